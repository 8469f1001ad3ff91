"""Classification metrics: small cases computed by hand, scikit-learn itself on random data,
the threshold rules against a brute force in exact fractions, JSON safety, one-class data."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from sklearn import metrics as skm

from grukit.metrics import (
    calibration_table,
    choose_threshold,
    classification_metrics,
    pr_points,
    roc_points,
)
from strategies import seeds

BINARY_KEYS = [
    "n", "accuracy", "precision", "recall", "sensitivity", "specificity", "f1", "f1_macro",
    "roc_auc", "auprc", "brier", "log_loss", "threshold", "confusion", "per_class",
]  # fmt: skip
MULTICLASS_KEYS = [
    "n", "accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc", "log_loss",
    "confusion", "per_class",
]  # fmt: skip
Y = [0, 0, 1, 1, 1]
P = [0.1, 0.6, 0.4, 0.8, 0.9]


def assert_plain(value):
    """Only the JSON types, no NumPy scalar, no NaN."""
    if isinstance(value, dict):
        assert all(isinstance(k, str) for k in value)
        for item in value.values():
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)
    else:
        assert value is None or type(value) in (int, float, str), (value, type(value))
        assert not (isinstance(value, float) and math.isnan(value))


def test_binary_by_hand():
    m = classification_metrics(Y, P, classes=["neg", "pos"])
    assert list(m) == BINARY_KEYS
    # p >= 0.5 predicts [0, 1, 0, 1, 1]: TN 1, FP 1, FN 1, TP 2
    assert m["confusion"] == [[1, 1], [1, 2]]
    assert m["n"] == 5 and m["threshold"] == 0.5
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == m["sensitivity"] == pytest.approx(2 / 3)
    assert m["specificity"] == pytest.approx(1 / 2)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["f1_macro"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert m["roc_auc"] == pytest.approx(5 / 6)  # 5 of the 6 (positive, negative) pairs ordered
    # precision at recall 1/3, 2/3, 1 (scores 0.9, 0.8, 0.4): 1, 1, 3/4
    assert m["auprc"] == pytest.approx((1 + 1 + 3 / 4) / 3)
    assert m["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.04 + 0.01) / 5)
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.4, 0.8, 0.9])))
    assert m["per_class"] == [
        {"class": "neg", "precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
        {"class": "pos", "precision": pytest.approx(2 / 3), "recall": pytest.approx(2 / 3),
         "f1": pytest.approx(2 / 3), "support": 3},
    ]  # fmt: skip


def test_the_threshold_is_applied_with_greater_or_equal():
    m = classification_metrics(Y, P, threshold=0.4)  # 0.4 itself is positive
    assert m["confusion"] == [[1, 1], [0, 3]] and m["threshold"] == 0.4
    assert classification_metrics(Y, P, threshold=0.41)["confusion"] == [[1, 1], [1, 2]]
    assert m["per_class"][0]["class"] == 0  # the index without `classes`


def test_binary_as_two_columns_is_the_same():
    two = np.column_stack([1 - np.asarray(P), P])
    assert classification_metrics(Y, two) == classification_metrics(Y, P)


def test_multiclass_by_hand_with_an_absent_class():
    y = [0, 0, 1, 2, 2]
    proba = [
        [0.7, 0.2, 0.1, 0.0],
        [0.3, 0.6, 0.1, 0.0],
        [0.2, 0.5, 0.3, 0.0],
        [0.1, 0.1, 0.8, 0.0],
        [0.4, 0.4, 0.2, 0.0],  # a tie between 0 and 1: the first wins
    ]
    m = classification_metrics(y, proba, classes=list("abcd"))
    assert list(m) == MULTICLASS_KEYS
    assert m["confusion"] == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    assert m["accuracy"] == pytest.approx(3 / 5)
    supports = [row["support"] for row in m["per_class"]]
    assert supports == [2, 1, 2, 0] and m["per_class"][3]["class"] == "d"
    precision = [1 / 2, 1 / 2, 1, 0]
    recall = [1 / 2, 1, 1 / 2, 0]
    assert m["precision_macro"] == pytest.approx(np.mean(precision))
    assert m["recall_macro"] == pytest.approx(np.mean(recall))
    f1 = [2 * p * r / (p + r) if p + r else 0 for p, r in zip(precision, recall, strict=True)]
    assert m["f1_macro"] == pytest.approx(np.mean(f1))
    # one-vs-rest, macro over the classes present (d is absent): pairs ordered of a 5/6 (0.7
    # beats 0.2 0.1 0.4, 0.3 beats two), b 3/4 (0.5 beats 0.2 0.1 0.4), c 5/6 (0.8 and 0.2)
    assert m["roc_auc"] == pytest.approx((5 / 6 + 3 / 4 + 5 / 6) / 3)
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.7, 0.3, 0.5, 0.8, 0.2])))
    json.dumps(m, allow_nan=False)


def _random_case(seed, n_classes):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(n_classes * 3, 60))
    y = np.r_[np.arange(n_classes), rng.integers(0, n_classes, n - n_classes)]
    proba = rng.dirichlet(np.ones(n_classes), size=n)
    if rng.random() < 0.5:  # ties
        proba = np.round(proba, 1)
        proba /= proba.sum(axis=1, keepdims=True)
    return y, proba


@settings(max_examples=30)
@given(seeds)
def test_binary_matches_sklearn(seed):
    y, proba = _random_case(seed, 2)
    p = proba[:, 1]
    threshold = float(np.random.default_rng(seed).uniform(0.2, 0.8))
    m = classification_metrics(y, p, threshold=threshold)
    predicted = (p >= threshold).astype(int)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    assert m["precision"] == pytest.approx(skm.precision_score(y, predicted, zero_division=0))
    assert m["recall"] == pytest.approx(skm.recall_score(y, predicted, zero_division=0))
    assert m["f1"] == pytest.approx(skm.f1_score(y, predicted, zero_division=0))
    tn, fp, fn, tp = skm.confusion_matrix(y, predicted).ravel()
    assert m["confusion"] == [[tn, fp], [fn, tp]]
    assert m["specificity"] == pytest.approx(tn / (tn + fp))
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert m["auprc"] == pytest.approx(skm.average_precision_score(y, p))
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert_plain(m)


@settings(max_examples=30)
@given(seeds)
def test_multiclass_matches_sklearn(seed):
    n_classes = int(np.random.default_rng(seed).integers(3, 6))
    y, proba = _random_case(seed, n_classes)
    m = classification_metrics(y, proba)
    predicted = proba.argmax(axis=1)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    macro = {"average": "macro", "zero_division": 0}
    assert m["precision_macro"] == pytest.approx(skm.precision_score(y, predicted, **macro))
    assert m["recall_macro"] == pytest.approx(skm.recall_score(y, predicted, **macro))
    assert m["f1_macro"] == pytest.approx(skm.f1_score(y, predicted, **macro))
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert m["confusion"] == skm.confusion_matrix(y, predicted).tolist()
    assert [row["support"] for row in m["per_class"]] == np.bincount(y).tolist()
    assert_plain(m)


def test_float32_rows_are_accepted_and_rescaled():
    y, proba = _random_case(0, 4)
    single = proba.astype(np.float32)  # rows sum to 1 within about 1e-7
    assert np.abs(single.sum(axis=1, dtype=np.float64) - 1).max() > 0
    m = classification_metrics(y, single)
    assert m["confusion"] == classification_metrics(y, proba)["confusion"]
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba), rel=1e-6)


@pytest.mark.parametrize("label", [0, 1])
def test_one_class_gives_none_for_the_ranking_scores(label):
    m = classification_metrics([label] * 4, [0.2, 0.4, 0.6, 0.8])
    assert m["roc_auc"] is None and m["auprc"] is None
    assert m["confusion"][1 - label] == [0, 0]
    assert m["per_class"][1 - label]["support"] == 0
    assert_plain(m)
    json.dumps(m, allow_nan=False)
    multi = classification_metrics([2, 2], [[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    assert multi["roc_auc"] is None and len(multi["confusion"]) == 3
    json.dumps(multi, allow_nan=False)


@pytest.mark.parametrize(
    ("y", "proba", "kwargs", "message"),
    [
        ([0, 1, 1], [0.2, 0.8], {}, r"`y_true` and `proba` must have the same length N, got 3"),
        ([0, 1], [0.2, 1.5], {}, r"`proba` must hold probabilities in \[0, 1\], got values"),
        ([0, 1], [-0.1, 0.5], {}, r"`proba` must hold probabilities in \[0, 1\]"),
        ([0, 1], [0.2, np.nan], {}, r"`proba` must not contain NaN"),
        ([0, 2], [0.2, 0.3], {}, r"`y_true` must hold class indices in 0\.\.1, got 2"),
        ([0, -1], [0.2, 0.3], {}, r"`y_true` must hold class indices in 0\.\.1, got -1"),
        ([0, 3], [[0.2, 0.3, 0.5]] * 2, {}, r"class indices in 0\.\.2, got 3"),
        ([0, 0.5], [0.2, 0.3], {}, r"`y_true` must hold class indices, got 0\.5"),
        (["a", "b"], [0.2, 0.3], {}, r"`y_true` must hold integer class indices, got dtype"),
        ([[0, 1]], [0.2, 0.3], {}, r"`y_true` must have shape \(N,\) with N >= 1"),
        ([], [], {}, r"`y_true` must have shape \(N,\) with N >= 1, got \(0,\)"),
        ([0, 1], [[0.2], [0.3]], {}, r"`proba` must have shape \(N,\) or \(N, C\) with C >= 2"),
        ([0, 1], [[0.2, 0.3], [0.3, 0.7]], {}, r"rows of `proba` must sum to 1, row 0 sums"),
        ([0, 1], [0.2, 0.3], {"threshold": 1.5}, r"`threshold` must be a number in \[0, 1\]"),
        ([0, 1], [0.2, 0.3], {"classes": ["a"]}, r"`classes` must name 2 classes, got 1"),
        ([0, 1], [[0.2, 0.3, 0.5]] * 2, {"threshold": 0.5}, r"`threshold` is for binary"),
    ],
)
def test_errors_are_one_line_and_name_the_argument(y, proba, kwargs, message):
    with pytest.raises(ValueError, match=message) as caught:
        classification_metrics(y, proba, **kwargs)
    assert "\n" not in str(caught.value)


# -- choose_threshold ----------------------------------------------------------------------------
def _candidates(p):
    """Every split by a threshold in [0, 1]; inf stands for "nothing positive" (below 1)."""
    values = sorted(set(p.tolist()))
    return [*values, math.inf] if values[-1] < 1.0 else values


def _point(y, p, t):
    predicted = p >= t
    tp = int((predicted & (y == 1)).sum())
    fp = int((predicted & (y == 0)).sum())
    return tp, fp


def _exact(rule, y, tp, fp):
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    tn, fn = n_neg - fp, n_pos - tp
    if rule == "f1":
        return Fraction(2 * tp, 2 * tp + fp + fn)
    if rule == "youden":
        return Fraction(tp, n_pos) + Fraction(tn, n_neg) - 1
    return Fraction(tp + tn, n_pos + n_neg)


def test_choose_threshold_by_hand():
    y, p = [0, 0, 1, 1, 0, 1], [0.1, 0.3, 0.35, 0.5, 0.6, 0.9]
    assert choose_threshold(y, p) == 0.35  # F1 6/7 (TP 3, FP 1)
    assert choose_threshold(y, p, "youden") == 0.35  # 1 + 2/3 - 1
    assert choose_threshold(y, p, "accuracy") == 0.35  # 5/6
    # accuracy 3/4 at 0.4 (TP 2, TN 1) and at 0.8 (TP 1, TN 2): ties go to the highest
    assert choose_threshold([0, 1, 0, 1], [0.2, 0.4, 0.6, 0.8], "accuracy") == 0.8
    assert choose_threshold(y, p, ("sensitivity", 0.6)) == 0.5  # 2/3 >= 0.6, 1/3 is not
    assert choose_threshold(y, p, ("sensitivity", 1.0)) == 0.35
    assert choose_threshold(y, p, ["specificity", 2 / 3]) == 0.35  # 0.3 gives 1/3
    assert choose_threshold(y, p, ("specificity", 0.3)) == 0.3
    top = choose_threshold(y, p, ("specificity", 1.0))
    assert top == 0.9 and _point(np.array(y), np.array(p), top) == (1, 0)


def test_choose_threshold_can_predict_nothing_positive():
    y, p = np.array([1, 0, 0, 0]), np.array([0.2, 0.7, 0.8, 0.9])
    t = choose_threshold(y, p, "accuracy")  # all negative: 3/4
    assert 0.9 < t <= 1.0 and _point(y, p, t) == (0, 0)
    with pytest.raises(ValueError, match=r"no threshold in \[0, 1\] reaches specificity 1") as e:
        choose_threshold([1, 0, 0], [0.2, 0.5, 1.0], ("specificity", 1.0))
    assert "\n" not in str(e.value)


@settings(max_examples=40)
@given(seeds)
def test_threshold_rules_pick_the_best_point_and_reproduce_it(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    p = rng.random(n)
    if rng.random() < 0.5:
        p = np.round(p, 1)  # ties, and maybe 1.0
    points = {t: _point(y, p, t) for t in _candidates(p)}
    for rule in ("f1", "youden", "accuracy"):
        t = choose_threshold(y, p, rule)
        scores = {c: _exact(rule, y, *point) for c, point in points.items()}
        best = max(scores.values())
        assert _exact(rule, y, *_point(y, p, t)) == best
        tied = [c for c, s in scores.items() if s == best]
        assert _point(y, p, t) == points[max(tied)] and t <= 1.0
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    target = float(rng.choice([0.5, 0.8, 0.9, 1.0]))
    t = choose_threshold(y, p, ("sensitivity", target))
    tp, fp = _point(y, p, t)
    assert tp / n_pos >= target and t in points
    assert all(points[c][0] / n_pos < target for c in points if c > t)
    if all((n_neg - fp) / n_neg < target for _, fp in points.values()):
        with pytest.raises(ValueError, match="no threshold in"):  # a negative has p = 1
            choose_threshold(y, p, ("specificity", target))
        return
    t = choose_threshold(y, p, ("specificity", target))
    tp, fp = _point(y, p, t)
    assert (n_neg - fp) / n_neg >= target
    assert all((n_neg - points[c][1]) / n_neg < target for c in points if c < t)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("auc", r"`rule` must be 'f1', 'youden', 'accuracy', \('sensitivity', target\)"),
        (("sensitivity",), r"`rule` must be"),
        (("precision", 0.5), r"`rule` must be"),
        (("sensitivity", 1.5), r"`rule\[1\]` must be a number in \[0, 1\], got 1.5"),
    ],
)
def test_choose_threshold_rule_errors(rule, message):
    with pytest.raises(ValueError, match=message):
        choose_threshold([0, 1], [0.2, 0.7], rule)


@pytest.mark.parametrize("function", [choose_threshold, roc_points, pr_points])
def test_one_class_is_refused_where_a_curve_needs_both(function):
    with pytest.raises(ValueError, match=r"needs both classes in `y_true`, got 3 positives and 0"):
        function([1, 1, 1], [0.2, 0.5, 0.9])


def test_binary_helpers_check_their_inputs():
    with pytest.raises(ValueError, match=r"`y_true` must hold class indices in 0\.\.1, got 2"):
        choose_threshold([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"`p_positive` must have shape \(N,\)"):
        choose_threshold([0, 1], [[0.1, 0.9], [0.2, 0.8]])
    with pytest.raises(ValueError, match=r"`y_true` and `p` must have the same length N"):
        roc_points([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"`p` must not contain NaN"):
        calibration_table([0, 1], [0.1, np.nan])


# -- curves and calibration ----------------------------------------------------------------------
@settings(max_examples=20)
@given(seeds)
def test_curves_are_sklearns_as_plain_lists(seed):
    y, proba = _random_case(seed, 2)
    roc = roc_points(y, proba[:, 1])
    fpr, tpr, _ = skm.roc_curve(y, proba[:, 1])
    assert roc == {"fpr": fpr.tolist(), "tpr": tpr.tolist()}
    pr = pr_points(y, proba[:, 1])
    precision, recall, _ = skm.precision_recall_curve(y, proba[:, 1])
    assert pr == {"recall": recall.tolist(), "precision": precision.tolist()}
    assert_plain(roc)
    assert_plain(pr)


def test_calibration_table_by_hand():
    y = [0, 0, 1, 1, 1, 0]
    p = [0.05, 0.1, 0.35, 0.3, 1.0, 0.9]  # 1.0 falls in the last bin
    table = calibration_table(y, p, bins=5)
    assert list(table.columns) == [
        "bin_low",
        "bin_high",
        "mean_predicted",
        "observed_rate",
        "count",
    ]
    assert table["bin_low"].tolist() == pytest.approx([0.0, 0.2, 0.8])  # 0.4-0.8 left out
    assert table["bin_high"].tolist() == pytest.approx([0.2, 0.4, 1.0])
    assert table["mean_predicted"].tolist() == pytest.approx([0.075, 0.325, 0.95])
    assert table["observed_rate"].tolist() == pytest.approx([0.0, 1.0, 0.5])
    assert table["count"].tolist() == [2, 2, 2]
    edges = calibration_table([0, 1, 1], [0.0, 0.5, 0.49999], bins=2)
    assert edges["count"].tolist() == [2, 1]  # bins are [low, high)
    with pytest.raises(ValueError, match=r"`bins` must be a positive integer, got 0"):
        calibration_table(y, p, bins=0)


@settings(max_examples=20)
@given(seeds)
def test_calibration_table_counts_every_example_once(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, 2, 50), rng.random(50)
    table = calibration_table(y, p, bins=int(rng.integers(1, 20)))
    assert table["count"].sum() == 50 and (table["count"] > 0).all()
    assert (table["mean_predicted"] >= table["bin_low"]).all()
    assert (table["mean_predicted"] <= table["bin_high"]).all()
    assert (table["count"] * table["observed_rate"]).sum() == pytest.approx(y.sum())


def test_calibration_table_agrees_with_scikit_learn():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(3)
    p = rng.random(500)
    y = (rng.random(500) < p**2).astype(int)
    table = calibration_table(y, p, bins=10)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(table["observed_rate"], observed)
    np.testing.assert_allclose(table["mean_predicted"], predicted)
    assert table["count"].sum() == 500
