"""SequenceTagger on the shared CoNLL-2003 and WNUT 2017 files (slow: ``make test-slow``).

A short training (two epochs, a small network) must already beat the most-frequent-tag
baseline by a wide margin; the documented full runs are in docs/benchmarks.md.
"""

from __future__ import annotations

import pytest

from grukit.tasks.tagger import SequenceTagger
from grukit.train import TrainConfig
from support.datasets import CONLL2003, WNUT17

pytestmark = pytest.mark.slow


def _need(path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not in the shared data folder (set GRUKIT_SHARED_DATA)")


def _short(epochs: int) -> SequenceTagger:
    config = TrainConfig(epochs=epochs, batch_size=32, learning_rate=2e-3, patience=None)
    return SequenceTagger(hidden_size=64, train_config=config, verbose=False)


def test_conll2003_two_epochs_beat_the_baseline_on_the_test_set() -> None:
    _need(CONLL2003 / "eng.testb")
    tagger = _short(2).fit(CONLL2003 / "eng.train", validation=CONLL2003 / "eng.testa")
    assert tagger.input_scheme_ == "IOB1" and tagger.types_ == ["LOC", "MISC", "ORG", "PER"]
    result = tagger.evaluate(CONLL2003 / "eng.testb")
    assert result["sentences"] == 3453
    assert result["baseline"]["f1"] == pytest.approx(0.572, abs=5e-4)  # SOURCE.md's number
    assert result["model"]["f1"] > 0.75, result["model"]
    assert set(result["model"]["per_type"]) == {"LOC", "MISC", "ORG", "PER"}
    predicted = tagger.predict(CONLL2003 / "eng.testb")
    assert len(predicted) == 3453  # written back in IOB1, the file's scheme


def test_wnut17_reads_its_three_files_and_beats_the_baseline() -> None:
    _need(WNUT17 / "emerging.test.annotated")
    tagger = _short(3).fit(WNUT17 / "wnut17train.conll", validation=WNUT17 / "emerging.dev.conll")
    result = tagger.evaluate(WNUT17 / "emerging.test.annotated")
    assert result["sentences"] == 1287
    assert result["baseline"]["f1"] == pytest.approx(0.060, abs=5e-4)
    assert result["model"]["f1"] > result["baseline"]["f1"]
