"""SequenceClassifier on texts and irregular series: fit, predict, save/load, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grukit import SequenceClassifier, load
from grukit.data import GrukitDataError
from grukit.train import TrainConfig
from support.classification import sentiment_texts, vital_signs


def _text_classifier(**options) -> SequenceClassifier:
    settings = {"hidden_size": 16, "embedding_dim": 16, "min_count": 1, "verbose": False}
    settings.setdefault("train_config", TrainConfig(epochs=12, batch_size=32, learning_rate=0.01))
    return SequenceClassifier(**{**settings, **options})


def _series_classifier(**options) -> SequenceClassifier:
    settings = {
        "input": "series",
        "hidden_size": 16,
        "horizon_hours": 24,
        "step_hours": 2,
        "verbose": False,
        "train_config": TrainConfig(epochs=10, batch_size=32),
    }
    return SequenceClassifier(**{**settings, **options})


@pytest.fixture(scope="module")
def texts():
    return sentiment_texts(240)


@pytest.fixture(scope="module")
def fitted_text(texts):
    return _text_classifier().fit(texts, validation=0.2)


@pytest.fixture(scope="module")
def vitals():
    return vital_signs(150)


@pytest.fixture(scope="module")
def fitted_series(vitals):
    return _series_classifier().fit(vitals, validation=0.2)


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_text_classifier_learns_each_pooling(texts, pooling):
    clf = _text_classifier(pooling=pooling, baselines=False).fit(texts)
    accuracy = np.mean(clf.predict(texts[0]) == np.array(texts[1]))
    assert accuracy > 0.9
    assert list(clf.classes_) == ["neg", "pos"]


def test_predict_proba_rows_sum_to_one_and_predict_uses_the_threshold(fitted_text, texts):
    proba = fitted_text.predict_proba(texts[0][:20])
    assert proba.shape == (20, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    expected = np.where(proba[:, 1] >= fitted_text.threshold_, "pos", "neg")
    assert fitted_text.predict(texts[0][:20]).tolist() == expected.tolist()


def test_evaluate_shows_the_network_beside_its_baselines(fitted_text, texts):
    result = fitted_text.evaluate(texts)
    assert set(result["models"]) == {"gru", "tfidf_logistic", "majority"}
    assert result["models"]["majority"]["accuracy"] == pytest.approx(0.5)
    assert result["models"]["gru"]["accuracy"] > 0.9
    assert result["models"]["gru"]["roc_auc"] > 0.95


def test_a_saved_classifier_loads_with_the_same_predictions(fitted_text, texts, tmp_path):
    fitted_text.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    np.testing.assert_array_equal(
        loaded.predict_proba(texts[0]), fitted_text.predict_proba(texts[0])
    )
    assert loaded.threshold_ == fitted_text.threshold_
    before = fitted_text.evaluate(texts)["models"]["tfidf_logistic"]
    assert loaded.evaluate(texts)["models"]["tfidf_logistic"] == before


def test_a_chosen_threshold_reaches_its_sensitivity_on_validation(texts):
    clf = _text_classifier(threshold="sensitivity:0.9", baselines=False).fit(texts, validation=0.3)
    assert 0 < clf.threshold_ < 1
    assert clf.threshold_source_ == "validation"


def test_three_classes_use_argmax_and_no_threshold():
    texts, labels = sentiment_texts(240)
    labels = [
        ("neutral" if "plot" in t.split()[:2] else lab)
        for t, lab in zip(texts, labels, strict=True)
    ]
    clf = _text_classifier(baselines=False).fit((texts, labels))
    assert clf.threshold_ is None and len(clf.classes_) == 3
    assert clf.predict_proba(texts).shape == (240, 3)
    assert set(clf.predict(texts)) <= set(clf.classes_)


def test_class_weight_balanced_trains(texts):
    unbalanced = (
        texts[0][:150] + [t for t, y in zip(*texts, strict=True) if y == "pos"][:10],
        texts[1][:150] + ["pos"] * 10,
    )
    clf = _text_classifier(class_weight="balanced", baselines=False).fit(unbalanced)
    assert np.isfinite(clf.history_.train_loss).all()


def test_text_tables_are_read_by_column_names(texts, tmp_path):
    frame = pd.DataFrame({"review": texts[0], "sentiment": texts[1]})
    path = tmp_path / "reviews.csv"
    frame.to_csv(path, index=False)
    clf = _text_classifier(baselines=False, train_config=TrainConfig(epochs=1)).fit(str(path))
    assert clf.predict(frame).shape == (len(frame),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((["good", "  "], ["pos", "neg"]), "row 1 is an empty text"),
        ((["good", "bad"], ["pos", "pos"]), "one class only"),
        ((["good", "bad"], ["pos"]), "2 texts, 1 labels"),
        (pd.DataFrame({"text": ["a", "b"]}), "no label column"),
        (pd.DataFrame({"text": ["a", "b"], "label": ["x", None]}), "label of row 1 is missing"),
    ],
)
def test_bad_text_input_gets_one_clear_line(data, message):
    with pytest.raises(GrukitDataError, match=message):
        _text_classifier(baselines=False).fit(data)


def test_series_classifier_beats_the_majority(fitted_series, vitals):
    result = fitted_series.evaluate(vitals)
    assert set(result["models"]) == {"gru", "summary_logistic", "majority"}
    assert result["models"]["gru"]["roc_auc"] > 0.8


@pytest.mark.parametrize(
    "options", [{"decay": True}, {"pooling": "attention", "aggregate": "mean"}]
)
def test_series_options_train(vitals, options):
    clf = _series_classifier(baselines=False, **options).fit(vitals)
    assert clf.evaluate(vitals)["models"]["gru"]["roc_auc"] > 0.7


def test_series_arrays_with_lengths(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 6, 2))
    y = (x[:, :, 0].mean(axis=1) > 0).astype(int)
    x[rng.random(x.shape) < 0.2] = np.nan
    lengths = rng.integers(3, 7, 80)
    clf = _series_classifier(baselines=False, horizon_hours=None, step_hours=1).fit((x, lengths, y))
    assert clf._series.steps == 6
    assert clf.predict((x, lengths)).shape == (80,)
    clf.save(tmp_path / "m")
    np.testing.assert_array_equal(
        load(tmp_path / "m").predict((x, lengths)), clf.predict((x, lengths))
    )


def test_series_bad_input(fitted_series, vitals):
    unlabelled = vitals.assign(label=np.where(vitals["id"] == 4, np.nan, vitals["label"]))
    with pytest.raises(GrukitDataError, match="series 4 has no label"):
        _series_classifier().fit(unlabelled)
    mixed = vitals.assign(label=np.where(vitals.index == 0, 1 - vitals["label"], vitals["label"]))
    with pytest.raises(GrukitDataError, match="several labels"):
        _series_classifier().fit(mixed)
    strange = vitals.assign(Parameter=np.where(vitals.index == 3, "Glucose", vitals["Parameter"]))
    with pytest.raises(GrukitDataError, match=r"variables \['Glucose'\] were not in the training"):
        fitted_series.predict(strange.drop(columns="label"))
    with pytest.raises(GrukitDataError, match="lengths must be in"):
        _series_classifier().fit((np.zeros((2, 3, 1)), np.array([1, 4]), [0, 1]))
    with pytest.raises(GrukitDataError, match="X has 2 series but y has 3 labels"):
        _series_classifier().fit((np.zeros((2, 3, 1)), [0, 1, 1]))


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="pooling"):
        SequenceClassifier(pooling="sum")
    with pytest.raises(ValueError, match="`threshold` must be"):
        SequenceClassifier(threshold=1.5)
    with pytest.raises(ValueError, match="GRU-D"):
        SequenceClassifier(input="text", decay=True)
    assert SequenceClassifier(threshold="sensitivity:0.8").threshold == ["sensitivity", 0.8]


def test_each_baseline_gets_its_threshold_by_the_same_rule_on_validation(texts):
    clf = _text_classifier(threshold="youden").fit(texts, validation=0.25)
    own = clf.baselines_["tfidf_logistic"]["threshold"]
    assert 0 < own < 1 and clf.baselines_["majority"]["threshold"] == 0.5
    result = clf.evaluate(texts)
    assert result["models"]["tfidf_logistic"]["threshold"] == own
    assert result["models"]["gru"]["threshold"] == clf.threshold_
    fixed = _text_classifier(threshold=0.3, train_config=TrainConfig(epochs=1)).fit(texts)
    assert fixed.baselines_["tfidf_logistic"]["threshold"] == 0.3


def test_an_ensemble_averages_its_members_and_saves_whole(texts, tmp_path):
    import torch

    clf = _text_classifier(ensemble=3, baselines=False, train_config=TrainConfig(epochs=3))
    clf.fit(texts, checkpoint_dir=tmp_path / "checkpoints")
    members = clf.network_.members
    assert len(members) == 3 and clf.member_best_epochs_ == [3, 3, 3]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "member-0", "member-1", "member-2"
    ]  # fmt: skip
    ids = torch.as_tensor(clf._text.encode(clf.read(texts[0][:16], labelled=False)))
    with torch.inference_mode():
        mean = torch.stack([torch.softmax(m(ids), dim=1) for m in members]).mean(0).numpy()
    np.testing.assert_allclose(clf.predict_proba(texts[0][:16]), mean, atol=1e-6)
    single = _text_classifier(baselines=False, train_config=TrainConfig(epochs=3)).fit(texts)
    first = members[0].state_dict()
    assert all(torch.equal(first[k], v) for k, v in single.network_.state_dict().items())
    clf.save(tmp_path / "model")
    np.testing.assert_array_equal(
        load(tmp_path / "model").predict_proba(texts[0]), clf.predict_proba(texts[0])
    )
