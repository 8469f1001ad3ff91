"""Loaders for public datasets read from a path the user gives (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grukit.data._errors import GrukitDataError
from grukit.data.tables import encode_categoricals, read_table, require_columns

__all__ = ["BEIJING_PM25_CATEGORIES", "load_beijing_pm25", "load_ett"]

#: Wind direction categories of the PM2.5 file (``cv`` is "calm and variable").
BEIJING_PM25_CATEGORIES = {"cbwd": ["NE", "NW", "SE", "cv"]}


def load_beijing_pm25(path: str | Path, *, one_hot: bool = True) -> pd.DataFrame:
    """The UCI Beijing PM2.5 table (``PRSA_data_2010.1.1-2014.12.31.csv``), hourly 2010-2014.

    Builds a ``time`` column from ``year, month, day, hour`` (which are dropped), drops the row
    counter ``No``, keeps ``pm2.5`` with its 2,067 missing values as NaN, and one-hot encodes the
    wind direction ``cbwd`` into ``cbwd=NE, cbwd=NW, cbwd=SE, cbwd=cv`` (``one_hot=False`` keeps
    it as text).

    Returns
    -------
    DataFrame
        43,824 rows: ``time, pm2.5, DEWP, TEMP, PRES, cbwd=NE, cbwd=NW, cbwd=SE, cbwd=cv, Iws, Is,
        Ir``, sorted by time.

    References
    ----------
    Liang, X. et al. (2015), Proc. R. Soc. A 471: 20150257. UCI dataset 381, CC BY 4.0.
    """
    frame = read_table(path)
    parts = ["year", "month", "day", "hour"]
    require_columns(frame, [*parts, "pm2.5", "cbwd"])
    time = pd.to_datetime(frame[parts])
    frame = frame.drop(columns=[c for c in ["No", *parts] if c in frame.columns])
    frame.insert(0, "time", time)
    frame = read_table(frame, time_column="time")  # sorts and rejects duplicated hours
    if one_hot:
        frame, _ = encode_categoricals(frame, ["cbwd"], categories=BEIJING_PM25_CATEGORIES)
    return frame


def load_ett(path: str | Path) -> pd.DataFrame:
    """An ETT-small hourly table (``ETTh1.csv`` or ``ETTh2.csv``; also the 15-minute ``ETTm``).

    The ``date`` column becomes ``time``; the other columns are ``HUFL, HULL, MUFL, MULL, LUFL,
    LULL`` and the usual target ``OT``. The standard split (Informer) is 8,640 / 2,880 / 2,880
    rows for train / validation / test, the remaining rows unused.

    References
    ----------
    Zhou, H. et al., "Informer", AAAI 2021; github.com/zhouhaoyi/ETDataset (CC BY-ND 4.0).
    """
    frame = read_table(path)
    if "date" not in frame.columns:
        raise GrukitDataError(
            f"an ETT table must have a 'date' column; available columns: {list(frame.columns)}"
        )
    frame = frame.rename(columns={"date": "time"})
    return read_table(frame, time_column="time")
