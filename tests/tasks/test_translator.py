"""grukit.Seq2Seq: fitting on lists, subword/word/char sides, saving and loading, translating,
attention, evaluation beside copying the source, and the refusals."""

from __future__ import annotations

import random

import numpy as np
import pytest

from grukit.tasks.translator import Seq2Seq
from grukit.train import TrainConfig

NUMBERS = {"eins": "one", "zwei": "two", "drei": "three", "vier": "four"}


def _pairs(count: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        chosen = [rng.choice(list(NUMBERS)) for _ in range(rng.randint(2, 6))]
        pairs.append((" ".join(chosen), " ".join(NUMBERS[w] for w in chosen)))
    return pairs


def _model(**options) -> Seq2Seq:
    settings = {
        "tokens": "word",
        "embedding_dim": 16,
        "hidden_size": 16,
        "dropout": 0.0,
        "beam": 2,
        "verbose": False,
        "train_config": TrainConfig(epochs=25, batch_size=8, learning_rate=0.01),
    }
    settings.update(options)  # fmt: skip
    return Seq2Seq(**settings)


@pytest.fixture(scope="module")
def fitted() -> Seq2Seq:
    return _model().fit(_pairs(200), validation=_pairs(20, 1))


def test_it_learns_word_for_word_translation(fitted) -> None:
    assert fitted.translate("drei zwei") == ["three two"]
    assert fitted.translate(["eins vier", "vier drei zwei"], beam=1) == [
        "one four",
        "four three two",
    ]
    result = fitted.evaluate(_pairs(30, 2))
    assert result["model"]["exact_match"] >= 0.9
    assert result["model"]["bleu"] > result["baselines"]["copy_source"]["bleu"]
    assert result["model"]["perplexity"] < 2.0
    assert fitted.score(_pairs(30, 2)) == pytest.approx(result["model"]["bleu"])


def test_saved_and_loaded_it_translates_the_same(fitted, tmp_path) -> None:
    import grukit

    fitted.save(tmp_path / "model")
    loaded = grukit.load(tmp_path / "model")
    sentences = [s for s, _ in _pairs(15, 3)]
    assert loaded.translate(sentences) == fitted.translate(sentences)


def test_attention_rows_cover_the_source(fitted) -> None:
    found = fitted.attention_weights("zwei eins vier")
    assert found["source"] == ["zwei", "eins", "vier"]
    assert found["target"][-1] == "</s>"
    weights = np.asarray(found["weights"])
    assert weights.shape == (len(found["target"]), 3)
    np.testing.assert_allclose(weights.sum(1), 1.0, rtol=1e-5)
    # "two one four": each English word attends most to its German word
    assert list(weights[:3].argmax(1)) == [0, 1, 2]


@pytest.mark.parametrize("tokens", ["subword", "char"])
def test_subword_and_character_sides_round_trip(tokens) -> None:
    model = _model(tokens=tokens, source_vocab_size=40, target_vocab_size=40,
                   train_config=TrainConfig(epochs=2, batch_size=16))  # fmt: skip
    model.fit(_pairs(60), validation=0.1)
    side = model.preparation_.source
    text = "drei eins zwei"
    assert side.decode(side.encode(text)) == text
    assert len(model.translate(["vier eins"])[0]) > 0


def test_without_attention_is_cho_et_al(tmp_path) -> None:
    model = _model(attention=False, train_config=TrainConfig(epochs=2, batch_size=16))
    model.fit(_pairs(40), validation=0.2)
    assert model.network_.attention is False and not hasattr(model.network_, "query")
    assert isinstance(model.translate("eins zwei")[0], str)
    with pytest.raises(ValueError, match="no attention"):
        model.attention_weights("eins")


def test_refusals(fitted) -> None:
    with pytest.raises(ValueError, match="max_length"):
        fitted.translate(" ".join(["eins"] * 101))
    with pytest.raises(ValueError, match="empty"):
        fitted.translate([""])
    with pytest.raises(ValueError, match="beam"):
        fitted.translate("eins", beam=0)
    with pytest.raises(ValueError, match="str"):
        fitted.translate([3])
    with pytest.raises(ValueError, match="tokens"):
        Seq2Seq(tokens="bpe")
    with pytest.raises(ValueError, match="teacher_forcing"):
        Seq2Seq(teacher_forcing=1.5)
    from grukit.tasks.config import GRUConfig

    with pytest.raises(ValueError, match="one step at a time"):
        Seq2Seq(gru_config=GRUConfig(recurrent_dropout=0.1))
    with pytest.raises(ValueError, match="not fitted|fit"):
        Seq2Seq().translate("eins")


def test_long_training_pairs_are_left_out_and_logged(caplog) -> None:
    pairs = _pairs(40) + [(" ".join(["eins"] * 12), " ".join(["one"] * 12))]
    model = _model(max_length=8, train_config=TrainConfig(epochs=1, batch_size=16))
    with caplog.at_level("WARNING", logger="grukit.train"):
        model.fit(pairs, validation=0.1)
    assert any("left out 1 of" in record.getMessage() for record in caplog.records)


def test_teacher_forcing_schedule_reaches_the_network() -> None:
    from grukit.train.callbacks import Callback

    seen = []

    class Watch(Callback):
        def on_epoch_end(self, state) -> None:
            seen.append(state.model.teacher_forcing)

    model = _model(teacher_forcing=1.0, teacher_forcing_final=0.5,
                   train_config=TrainConfig(epochs=3, batch_size=16, patience=None))  # fmt: skip
    model.fit(_pairs(40), validation=0.2, callbacks=[Watch()])
    assert seen == [1.0, 0.75, 0.5]
    assert model.network_.teacher_forcing == 1.0
