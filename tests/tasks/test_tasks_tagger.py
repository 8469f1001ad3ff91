"""SequenceTagger: fit, predict in the input's scheme, padding independence, CRF constraints,
save/load, evaluation beside the baseline, and clear refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from grukit.data import GrukitDataError
from grukit.tasks import load
from grukit.tasks.tagger import SequenceTagger
from grukit.tasks.tagger_data import render_tags
from grukit.text import TaggedSentences, convert_tags, synthetic_entities, write_conll
from grukit.text.conll_schemes import check_sequence as _check
from grukit.train import TrainConfig


def _tagger(**options: object) -> SequenceTagger:
    settings: dict[str, object] = {
        "hidden_size": 16, "embedding_dim": 16, "char_dim": 8, "char_hidden": 8,
        "train_config": TrainConfig(epochs=12, batch_size=16, learning_rate=5e-3, patience=None),
        "verbose": False,
    }  # fmt: skip
    settings.update(options)
    return SequenceTagger(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted() -> tuple[SequenceTagger, TaggedSentences, TaggedSentences]:
    train = synthetic_entities(240, seed=0)
    test = synthetic_entities(60, seed=1)
    return _tagger().fit(train, validation=test), train, test


def test_fit_learns_tags_and_beats_the_baseline(fitted) -> None:
    tagger, _, test = fitted
    assert tagger.tags_[0] == "O" and set(tagger.types_) == {"LOC", "ORG", "PER"}
    assert tagger.input_scheme_ == "IOB2"
    result = tagger.evaluate(test)
    assert result["model"]["f1"] > 0.8, result["model"]
    assert result["baseline"] is not None and result["model"]["f1"] > result["baseline"]["f1"]
    assert result["beats_baseline"] is True
    assert result["sentences"] == 60 and result["tokens"] == sum(map(len, test.tokens))
    assert tagger.score(test) == pytest.approx(result["model"]["f1"])


def test_the_epoch_is_chosen_by_the_validation_entity_f1(fitted) -> None:
    tagger, _, test = fitted
    scores = tagger.validation_f1_
    history = tagger.history_
    assert len(scores) == len(history) == 12
    assert history.monitor == "val_entity_f1" and history.restored_best
    assert history.best_epoch == int(np.argmax(scores)) + 1
    assert tagger.evaluate(test)["model"]["f1"] == pytest.approx(max(scores))


def test_patience_counts_epochs_without_a_better_f1() -> None:
    train, valid = synthetic_entities(80, seed=6), synthetic_entities(20, seed=7)
    config = TrainConfig(epochs=40, batch_size=16, learning_rate=5e-3, patience=2)
    tagger = _tagger(train_config=config).fit(train, validation=valid)
    scores, history = tagger.validation_f1_, tagger.history_
    assert len(scores) < 40 and history.stop_reason == "callback"
    assert max(scores[-2:]) <= max(scores[:-2])  # the last two epochs did not improve


def test_predictions_are_valid_in_the_input_scheme(fitted, tmp_path) -> None:
    tagger, _, test = fitted
    iob1 = test.to_scheme("IOB1")
    path = write_conll(iob1, tmp_path / "test.iob1")
    predicted = tagger.predict(path)
    assert [len(p) for p in predicted] == [len(t) for t in test.tokens]
    for index, labels in enumerate(predicted):
        _check(labels, "IOB1", f"sentence {index}")  # the CRF's constraints: valid IOB1
    # the same spans in every scheme
    as_iob2 = tagger.predict(test)
    for labels, iob2 in zip(predicted, as_iob2, strict=True):
        assert convert_tags(labels, "IOB1", "IOB2") == iob2


def test_a_sentence_is_tagged_the_same_alone_and_among_longer_ones(fitted) -> None:
    tagger, _, test = fitted
    alone = [tagger.predict([tokens])[0] for tokens in test.tokens[:6]]
    together = tagger.predict(test.tokens[:6] + [["word"] * 70])[:6]
    assert alone == together


def test_unseen_words_and_plain_sentences_are_tagged(fitted, tmp_path) -> None:
    tagger, _, _ = fitted
    text = tmp_path / "sentences.txt"
    text.write_text("Zorblat Quux flew to Vexmoor on Monday.\n\nShares of Plinko Corp rose.\n")
    predicted = tagger.predict(text)
    assert [len(p) for p in predicted] == [8, 6]
    assert tagger.predict(["Shares of Plinko Corp rose ."]) == [predicted[1]]


def test_save_and_load_give_the_same_predictions(fitted, tmp_path) -> None:
    tagger, _, test = fitted
    tagger.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert isinstance(loaded, SequenceTagger)
    assert loaded.predict(test) == tagger.predict(test)
    assert loaded.evaluate(test)["model"] == tagger.evaluate(test)["model"]


@pytest.mark.parametrize("scheme", ["IOB2", "IOB1"])
def test_softmax_tagger_and_other_training_schemes(scheme: str) -> None:
    train = synthetic_entities(120, seed=3)
    tagger = _tagger(crf=False, char_features=False, casing=False, scheme=scheme)
    tagger.set_params(train_config=TrainConfig(epochs=3, batch_size=16, patience=None))
    tagger.fit(train, validation=0.2)
    assert tagger.network_.crf is None and tagger.network_.char_gru is None
    assert all(tag[:2] in ("O", "B-", "I-") for tag in tagger.tags_)
    assert len(tagger.predict(train.tokens[:3])) == 3


def test_training_is_reproducible() -> None:
    train = synthetic_entities(60, seed=4)
    config = TrainConfig(epochs=2, batch_size=16, patience=None)
    first = _tagger(train_config=config).fit(train)
    second = _tagger(train_config=config).fit(train)
    assert first.history_.train_loss == second.history_.train_loss


def test_unknown_entity_types_are_refused_in_strict_mode(fitted) -> None:
    tagger, _, test = fitted
    labels = [list(row) for row in test.labels]
    labels[2][0] = "B-MISC"
    odd = dataclasses.replace(test, labels=labels)
    with pytest.raises(GrukitDataError, match="MISC"):
        tagger.evaluate(odd)
    lenient = _tagger(strict=False)
    lenient.__dict__.update({k: v for k, v in vars(tagger).items() if k.endswith("_")})
    lenient._prep, lenient.network_ = tagger._prep, tagger.network_
    result = lenient.evaluate(odd)
    misc = result["model"]["per_type"]["MISC"]  # scored, and missed: the model cannot say MISC
    assert misc["support"] == 1 and misc["recall"] == 0.0


def test_fit_needs_labels_and_valid_params(tmp_path) -> None:
    with pytest.raises(GrukitDataError, match="no labels"):
        _tagger().fit([["a", "b"], ["c"]])
    with pytest.raises(ValueError, match="`scheme` must be one of"):
        SequenceTagger(scheme="BILOU")
    with pytest.raises(ValueError, match="`dropout`"):
        SequenceTagger(dropout=1.5)
    with pytest.raises(GrukitDataError, match="no such file"):
        _tagger().fit(tmp_path / "missing.conll")
    with pytest.raises(ValueError, match="not fitted"):
        _tagger().predict([["a"]])


def test_render_tags_equals_convert_tags_on_valid_sequences() -> None:
    sentences = synthetic_entities(50, seed=5)
    for labels in sentences.labels:
        for target in ("IOB1", "IOB2", "BIOES"):
            assert render_tags(labels, "IOB2", target) == convert_tags(labels, "IOB2", target)
            converted = convert_tags(labels, "IOB2", target)
            assert render_tags(converted, target, "IOB2") == labels


def test_render_tags_reads_invalid_sequences_as_conlleval() -> None:
    assert render_tags(["O", "I-PER", "I-PER", "E-LOC"], "BIOES", "IOB2") == [
        "O", "B-PER", "I-PER", "B-LOC",
    ]  # fmt: skip
    assert np.array_equal(render_tags(["I-X", "B-X"], "IOB2", "IOB1"), ["I-X", "B-X"])


def test_word_vectors_start_the_embedding(tmp_path) -> None:
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("flew 1 2 3 4 5 6\nmonday 0.5 0.5 0.5 0.5 0.5 0.5\nabsent 9 9 9 9 9 9\n")
    train = synthetic_entities(40, seed=8)
    tagger = _tagger(word_vectors=str(vectors))
    tagger._learn_preparation(train)
    tagger._network_kwargs = tagger._network_options()
    assert tagger._network_kwargs["word_dim"] == 6  # the file's size wins
    network = tagger._build_network()
    weight = network.word_embedding.weight.detach().numpy()
    words = tagger._prep.words
    assert weight[words.index("flew")].tolist() == [1, 2, 3, 4, 5, 6]
    assert weight[words.index("monday")].tolist() == [0.5] * 6
    assert not weight[0].any()  # padding
    other = weight[words.index("shares")]
    assert np.abs(other).max() <= np.sqrt(3 / 6) and other.any()  # uniform, Ma & Hovy's scale


def test_a_resumed_run_chooses_among_all_its_epochs(tmp_path) -> None:
    train, valid = synthetic_entities(60, seed=9), synthetic_entities(20, seed=10)

    def config(epochs: int) -> TrainConfig:
        return TrainConfig(epochs=epochs, batch_size=16, learning_rate=5e-3, patience=None)

    whole = _tagger(train_config=config(5)).fit(train, validation=valid)
    first = _tagger(train_config=config(2))
    first.fit(train, validation=valid, checkpoint_dir=tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "best-f1.json").is_file()
    resumed = _tagger(train_config=config(5))
    resumed.fit(train, validation=valid, checkpoint_dir=tmp_path / "ckpt", resume=True)
    assert resumed.validation_f1_ == whole.validation_f1_  # the two first epochs' scores kept
    assert resumed.history_.best_epoch == whole.history_.best_epoch
    assert resumed.predict(valid) == whole.predict(valid)
