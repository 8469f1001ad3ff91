"""Classification baselines: they learn separable synthetic data, agree with the same
scikit-learn pipeline built by hand, survive a JSON + arrays round trip bitwise, refuse bad
input in one line; two slow tests on IMDB and PhysioNet 2012 against their SOURCE.md numbers."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from grukit.baselines import MajorityBaseline, SummaryLogisticBaseline, TfidfLogisticBaseline
from grukit.metrics import classification_metrics
from support.datasets import IMDB, PHYSIONET2012

GOOD = ["great", "superb", "lovely", "wonderful", "brilliant"]
BAD = ["awful", "boring", "dreadful", "terrible", "dull"]
FILLER = ["the", "film", "plot", "actor", "scene", "story", "music", "ending"]


def reviews(n, seed, classes=2):
    """``n`` texts whose label is told by its sentiment words, amid filler and ``<br />``."""
    rng = np.random.default_rng(seed)
    words = [GOOD, BAD, ["meh", "average", "okay", "middling", "fine"]][:classes]
    labels = np.r_[np.arange(classes), rng.integers(0, classes, n - classes)]
    texts = []
    for label in labels:
        tokens = [*rng.choice(FILLER, 6), *rng.choice(words[label], 2)]
        rng.shuffle(tokens)
        texts.append(" ".join(tokens[:4]) + "<br /><br />" + " ".join(tokens[4:]).title())
    return texts, labels


def table(n, seed):
    """A numeric table with missing values; class 1 has a larger column ``a``."""
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    frame = pd.DataFrame(
        {
            "a": np.where(y == 1, 3.0, -3.0) + rng.normal(size=n),
            "b": rng.normal(size=n),
            "constant": np.full(n, 7.0),
            "never": np.full(n, np.nan),
        }
    )
    frame.loc[rng.random(n) < 0.3, "b"] = np.nan
    frame.loc[rng.random(n) < 0.1, "a"] = np.nan
    return frame, y


def round_trip(baseline):
    """``from_state`` of ``to_state`` after the config went through JSON text."""
    config, arrays = baseline.to_state()
    assert all(isinstance(v, np.ndarray) and v.dtype.kind in "fiu" for v in arrays.values())
    config = json.loads(json.dumps(config, allow_nan=False))
    return type(baseline).from_state(config, {k: v.copy() for k, v in arrays.items()})


def one_line_error(call, message, error=ValueError):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


# -- majority ------------------------------------------------------------------------------------
def test_majority_predicts_the_training_frequencies():
    model = MajorityBaseline().fit(["b", "a", "b", "b"])
    assert model.classes_.tolist() == ["a", "b"]
    np.testing.assert_array_equal(model.predict_proba(3), [[0.25, 0.75]] * 3)
    assert model.predict_proba(["x", "y"]).shape == (2, 2)  # rows of anything with a length
    assert model.predict(np.zeros((2, 5))).tolist() == ["b", "b"]
    assert model.predict_proba(0).shape == (0, 2)
    again = round_trip(model)
    assert again.classes_.tolist() == ["a", "b"]
    np.testing.assert_array_equal(again.predict_proba(4), model.predict_proba(4))


# -- texts ---------------------------------------------------------------------------------------
def test_tfidf_learns_sentiment_words_and_strips_tags():
    texts, y = reviews(200, 0)
    model = TfidfLogisticBaseline(min_df=2).fit(texts, y)
    assert "br" not in model.vocabulary_ and "great" in model.vocabulary_
    assert all(term == term.lower() for term in model.vocabulary_)
    test_texts, test_y = reviews(100, 1)
    proba = model.predict_proba(test_texts)
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(test_texts) == test_y).all()
    assert classification_metrics(test_y, proba[:, 1])["roc_auc"] == 1.0


def test_tfidf_matches_the_same_sklearn_pipeline():
    texts, y = reviews(150, 2)

    def clean(text):
        return re.sub(r"<[^<>]*>", " ", text).lower()

    for ngram_range in [(1, 1), (1, 2)]:
        model = TfidfLogisticBaseline(ngram_range=ngram_range, min_df=2, C=2.0).fit(texts, y)
        reference = make_pipeline(
            TfidfVectorizer(preprocessor=clean, ngram_range=ngram_range, min_df=2,
                            sublinear_tf=True),
            LogisticRegression(C=2.0, max_iter=1000),
        ).fit(texts, y)  # fmt: skip
        vocabulary = reference[0].vocabulary_
        assert model.vocabulary_ == sorted(vocabulary, key=vocabulary.__getitem__)
        np.testing.assert_array_equal(model.idf_, reference[0].idf_)
        test_texts, _ = reviews(50, 3)
        np.testing.assert_allclose(
            model.predict_proba(test_texts), reference.predict_proba(test_texts), atol=1e-9
        )


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"ngram_range": (1, 2), "max_features": 30, "sublinear_tf": False, "lowercase": False},
        {"min_df": 1, "C": 0.5, "max_iter": 200},
    ],
)
@pytest.mark.parametrize("classes", [2, 3])
def test_tfidf_round_trip_is_bitwise(settings, classes):
    texts, y = reviews(120, 4, classes)
    labels = np.array(["neg", "pos", "mid"])[y] if classes == 3 else y
    model = TfidfLogisticBaseline(**settings).fit(texts, labels)
    again = round_trip(model)
    assert again.classes_.tolist() == model.classes_.tolist()
    assert again.vocabulary_ == model.vocabulary_
    test_texts, _ = reviews(40, 5, classes)
    expected = model.predict_proba(test_texts)
    assert expected.shape == (40, classes)
    np.testing.assert_array_equal(again.predict_proba(test_texts), expected)
    assert again.to_state()[0] == model.to_state()[0]


def test_tfidf_errors():
    texts, y = reviews(20, 6)
    model = TfidfLogisticBaseline(min_df=1)
    one_line_error(lambda: model.fit(texts, np.ones(20, int)), r"`y` must hold at least two")
    one_line_error(lambda: model.fit([], []), r"`texts` must hold at least one text, got none")
    one_line_error(lambda: model.fit(texts, y[:5]), r"`y` must have one label per example \(20\)")
    one_line_error(lambda: model.fit("one text", [0]), r"`texts` must be a sequence of str")
    one_line_error(lambda: model.fit([*texts[:3], None], y[:4]), r"got NoneType at 3")
    one_line_error(lambda: model.predict_proba(texts), "not fitted", NotFittedError)
    one_line_error(lambda: TfidfLogisticBaseline(ngram_range=(2, 1)), r"`ngram_range\[1\]`")
    one_line_error(lambda: TfidfLogisticBaseline(ngram_range=3), r"`ngram_range` must be a pair")
    one_line_error(lambda: TfidfLogisticBaseline(C=0), r"`C` must be a finite number > 0")
    one_line_error(lambda: TfidfLogisticBaseline(min_df=0.5), r"`min_df` must be a positive int")
    config, arrays = model.fit(texts, y).to_state()
    one_line_error(
        lambda: MajorityBaseline.from_state(config, arrays), r"keys that MajorityBaseline does"
    )
    one_line_error(
        lambda: TfidfLogisticBaseline.from_state(config, {**arrays, "idf": arrays["idf"][1:]}),
        r"`arrays\['idf'\]` must have shape",
    )
    lacking = {k: v for k, v in arrays.items() if k != "coef"}
    one_line_error(
        lambda: TfidfLogisticBaseline.from_state(config, lacking), r"`arrays` lacks 'coef'"
    )


# -- numeric tables ------------------------------------------------------------------------------
def test_summary_learns_a_separable_table_with_training_medians():
    frame, y = table(200, 0)
    model = SummaryLogisticBaseline().fit(frame, y)
    expected = [frame["a"].median(), frame["b"].median(), 7.0, 0.0]  # all-NaN column: 0
    np.testing.assert_array_equal(model.medians_, expected)
    assert model.scales_[2] == 1.0 and model.scales_[3] == 1.0  # constant columns: centred only
    test, test_y = table(100, 1)
    assert (model.predict(test) == test_y).mean() > 0.9
    # the training medians, not those of the new data: a row of NaN gets the training median
    lone = pd.DataFrame([[np.nan, np.nan, np.nan, np.nan]], columns=frame.columns)
    imputed = pd.DataFrame([expected], columns=frame.columns)
    np.testing.assert_array_equal(model.predict_proba(lone), model.predict_proba(imputed))


def test_summary_matches_the_same_sklearn_pipeline():
    frame, y = table(150, 2)
    model = SummaryLogisticBaseline(C=0.3).fit(frame, y)
    reference = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.3, max_iter=1000),
    ).fit(frame.to_numpy(), y)
    test, _ = table(60, 3)
    np.testing.assert_allclose(
        model.predict_proba(test), reference.predict_proba(test.to_numpy()), atol=1e-9
    )


def test_summary_matches_columns_by_name_and_arrays_by_position():
    frame, y = table(100, 4)
    model = SummaryLogisticBaseline().fit(frame, y)
    test, _ = table(30, 5)
    expected = model.predict_proba(test)
    np.testing.assert_array_equal(model.predict_proba(test[test.columns[::-1]]), expected)
    np.testing.assert_array_equal(model.predict_proba(test.to_numpy()), expected)
    one_line_error(
        lambda: model.predict_proba(test.drop(columns="b")),
        r"`X` must have the training columns, lacks \['b'\] and has extra \[\]",
    )
    one_line_error(lambda: model.predict_proba(test.to_numpy()[:, :3]), r"must have 4 columns")
    positional = SummaryLogisticBaseline().fit(frame.to_numpy(), y)
    np.testing.assert_array_equal(positional.predict_proba(test), expected)


@pytest.mark.parametrize("use_frame", [True, False])
def test_summary_round_trip_is_bitwise(use_frame):
    frame, y = table(120, 6)
    labels = np.where(y == 1, 5, 2)  # any integer labels
    model = SummaryLogisticBaseline(C=1.0).fit(frame if use_frame else frame.to_numpy(), labels)
    again = round_trip(model)
    assert again.columns_ == (list(frame.columns) if use_frame else None)
    test, _ = table(50, 7)
    np.testing.assert_array_equal(again.predict_proba(test), model.predict_proba(test))
    assert again.predict(test).tolist() == model.predict(test).tolist()
    assert set(again.predict(test).tolist()) <= {2, 5}


def test_summary_multiclass_round_trip():
    rng = np.random.default_rng(8)
    y = np.r_[0, 1, 2, rng.integers(0, 3, 97)]
    X = rng.normal(size=(100, 3)) + np.eye(3)[y] * 4
    model = SummaryLogisticBaseline(C=1.0).fit(X, y)
    assert model.coef_.shape == (3, 3) and (model.predict(X) == y).mean() > 0.9
    np.testing.assert_array_equal(round_trip(model).predict_proba(X), model.predict_proba(X))


def test_summary_errors():
    frame, y = table(20, 9)
    model = SummaryLogisticBaseline()
    one_line_error(lambda: model.fit(frame, np.zeros(20, int)), r"`y` must hold at least two")
    one_line_error(lambda: model.fit(frame, y[:3]), r"`y` must have one label per example \(20\)")
    words = frame.assign(b=["x"] * 20)
    one_line_error(lambda: model.fit(words, y), r"`X` must be numeric, column 'b' has dtype")
    one_line_error(lambda: model.fit(frame.assign(a=np.inf), y), r"got an infinity")
    one_line_error(lambda: model.fit(np.zeros((0, 3)), []), r"`X` must be a table of shape")
    one_line_error(lambda: model.predict_proba(frame), "not fitted", NotFittedError)
    config, arrays = model.fit(frame, y).to_state()
    one_line_error(
        lambda: SummaryLogisticBaseline.from_state({**config, "kind": "Other"}, arrays),
        r"`config` must be a SummaryLogisticBaseline state",
    )


@pytest.mark.parametrize("baseline", [MajorityBaseline, SummaryLogisticBaseline])
def test_one_class_only_is_refused(baseline):
    model = baseline()
    fit = model.fit if baseline is MajorityBaseline else lambda y: model.fit(np.ones((3, 1)), y)
    one_line_error(lambda: fit([1, 1, 1]), r"`y` must hold at least two classes, got \[1\]")


# -- the real data -------------------------------------------------------------------------------
@pytest.mark.slow
def test_imdb_tfidf_unigrams_reach_the_reference_accuracy():
    """SOURCE.md: TF-IDF + LR, train 25k -> test 25k, 0.892 with unigrams."""
    if not IMDB.exists():
        pytest.skip(f"dataset not found at {IMDB} (set GRUKIT_SHARED_DATA)")
    from grukit.text import read_imdb

    train, test = read_imdb(IMDB, "train"), read_imdb(IMDB, "test")
    start = time.perf_counter()
    model = TfidfLogisticBaseline().fit(train["text"], train["label"].to_numpy())
    scores = classification_metrics(test["label"].to_numpy(), model.predict_proba(test["text"]))
    print(f"IMDB TF-IDF unigrams: {scores['accuracy']:.4f} in {time.perf_counter() - start:.0f} s")
    assert scores["accuracy"] >= 0.885


@pytest.mark.slow
def test_physionet_summary_logistic_reaches_the_reference_auc():
    """SOURCE.md: summary features + LR (C=0.1) trained on set-a, ROC-AUC 0.860 on set-c."""
    files = [PHYSIONET2012 / name for name in ("set-a.tar.gz", "Outcomes-a.txt")]
    files += [PHYSIONET2012 / name for name in ("set-c.tar.gz", "Outcomes-c.txt")]
    if not all(path.exists() for path in files):
        pytest.skip(f"dataset not found at {PHYSIONET2012} (set GRUKIT_SHARED_DATA)")
    from grukit.data import load_physionet2012
    from grukit.data.irregular import summary_features

    start = time.perf_counter()
    set_a = load_physionet2012(files[0], files[1])
    set_c = load_physionet2012(files[2], files[3], unknown="drop")  # one line has no name
    X_a = summary_features(set_a.observations, set_a.static)
    X_c = summary_features(set_c.observations, set_c.static)
    model = SummaryLogisticBaseline(C=0.1).fit(X_a, set_a.labels.loc[X_a.index].to_numpy())
    p = model.predict_proba(X_c)[:, 1]
    scores = classification_metrics(set_c.labels.loc[X_c.index].to_numpy(), p)
    print(f"PhysioNet set-c ROC-AUC {scores['roc_auc']:.4f} in {time.perf_counter() - start:.0f} s")
    assert scores["roc_auc"] >= 0.85
