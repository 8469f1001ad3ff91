"""The classifier on the shared datasets (slow: `make test-slow`): PhysioNet 2012 and IMDB.

Each test skips with the path it looked for when the dataset is absent; CI has them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from grukit import SequenceClassifier
from grukit.train import TrainConfig
from support.datasets import IMDB, PHYSIONET2012

pytestmark = pytest.mark.slow


def _require(*paths):
    for path in paths:
        if not path.exists():
            pytest.skip(f"dataset not found at {path} (set GRUKIT_SHARED_DATA)")


def test_physionet_set_a_to_set_c_beside_the_summary_baseline():
    files = [PHYSIONET2012 / n for n in ("set-a.tar.gz", "Outcomes-a.txt")]
    files += [PHYSIONET2012 / n for n in ("set-c.tar.gz", "Outcomes-c.txt")]
    _require(*files)
    clf = SequenceClassifier(
        input="series", hidden_size=32, dropout=0.3, horizon_hours=48, unknown="drop",
        train_config=TrainConfig(epochs=15, patience=4), verbose=False,
    )  # fmt: skip
    clf.fit((str(files[0]), str(files[1])), validation=0.15)
    assert clf._series.steps == 48 and len(clf._series.variables) == 37
    test = clf.read((str(files[2]), str(files[3])))
    result = clf.evaluate(test)
    assert result["n"] == 4000
    assert result["models"]["summary_logistic"]["roc_auc"] > 0.84  # SOURCE.md: 0.860
    assert result["models"]["gru"]["roc_auc"] > 0.80
    # the stream of a few set-c stays gives the batch classifier's risk of each prefix
    for record in test.records[:3]:
        mine = test.observations[test.observations["record"] == record].iloc[:40]
        stream = clf.stream(static=test.static.loc[record].dropna().to_dict())
        for hours, variable, value in mine[["hours", "variable", "value"]].itertuples(index=False):
            risk = stream.observe(hours, str(variable), value)
        one = test.take(np.flatnonzero(test.records == record))
        whole = clf.predict_proba_samples(replace(one, observations=mine))[0, 1]
        assert risk == pytest.approx(whole, abs=1e-5)


def test_imdb_reviews_from_the_archive():
    _require(IMDB)
    clf = SequenceClassifier(
        hidden_size=32, embedding_dim=64, max_length=200, pooling="max", max_vocab=10000,
        train_config=TrainConfig(epochs=4, learning_rate=0.003), verbose=False,
    )  # fmt: skip
    train = clf.read(str(IMDB), split="train")
    test = clf.read(str(IMDB), split="test")
    assert len(train) == len(test) == 25000
    rows = np.sort(np.random.default_rng(0).permutation(25000)[:10000])
    clf.fit(train.take(rows))
    result = clf.evaluate(test.take(rows[:5000]))
    assert result["models"]["tfidf_logistic"]["accuracy"] > 0.84
    assert result["models"]["gru"]["accuracy"] > 0.80
