"""Where the real data files are: the shared data folder next to the repository, or the folder
named by ``$GRUKIT_SHARED_DATA``. The files are never copied into the repository; tests that need
one skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DATA = Path(
    os.environ.get(
        "GRUKIT_SHARED_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    )
)
PM25 = SHARED_DATA / "beijing_pm25" / "PRSA_data_2010.1.1-2014.12.31.csv"
ETTH1 = SHARED_DATA / "ett_small" / "ETTh1.csv"
ETTH2 = SHARED_DATA / "ett_small" / "ETTh2.csv"
IMDB = SHARED_DATA / "aclimdb" / "aclImdb_v1.tar.gz"
PHYSIONET2012 = SHARED_DATA / "physionet2012"
CONLL2003 = SHARED_DATA / "conll2003"
WNUT17 = SHARED_DATA / "wnut17"
POLYPHONIC_MUSIC = SHARED_DATA / "polyphonic_music"
JSB_CHORALES = POLYPHONIC_MUSIC / "JSB_Chorales.mat"
PTB = SHARED_DATA / "ptb"
