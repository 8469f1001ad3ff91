"""SequenceGenerator on the shared Penn Treebank and JSB Chorales files.

Reading follows the published protocols exactly (token and frame counts of the data's
SOURCE.md); a short JSB training (slow) must already beat the key-frequency baseline.
"""

from __future__ import annotations

import pytest

from grukit.tasks.generator import SequenceGenerator
from grukit.tasks.generator_data import read_corpus
from grukit.train import TrainConfig
from support.datasets import JSB_CHORALES, PTB


def _need(path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not in the shared data folder (set GRUKIT_SHARED_DATA)")


@pytest.mark.parametrize("split,tokens", [("train", 929_589), ("valid", 73_760), ("test", 82_430)])
def test_ptb_reads_as_the_language_model_benchmarks_read_it(split, tokens):
    path = PTB / f"ptb.{split}.txt"
    _need(path)
    assert read_corpus(path, "word").size == tokens


@pytest.mark.slow
def test_a_short_jsb_training_beats_the_key_frequency_baseline():
    _need(JSB_CHORALES)
    config = TrainConfig(epochs=10, batch_size=4, learning_rate=5e-3, patience=None)
    model = SequenceGenerator(level="music", hidden_size=64, num_layers=1, dropout=0.3,
                              train_config=config, verbose=False).fit(JSB_CHORALES)  # fmt: skip
    scores = model.evaluate(JSB_CHORALES)
    assert scores["model"]["frames"] == 4_725 - 77  # every frame after each piece's first
    assert scores["baseline"]["nll_per_frame"] == pytest.approx(11.09, abs=0.01)
    assert scores["model"]["nll_per_frame"] < scores["baseline"]["nll_per_frame"] - 0.5
