"""Metrics against hand-computed examples; roc_auc against a brute-force pairwise count."""

import numpy as np
import pytest
from hypothesis import given, settings

from grukit.metrics import (
    f1,
    forecast_metrics,
    mae,
    mape,
    mse,
    precision,
    recall,
    rmse,
    roc_auc,
    smape,
    threshold_from_scores,
)
from strategies import labelled_scores

Y = np.array([1.0, 2.0, 4.0, -2.0])
P = np.array([2.0, 2.0, 1.0, 0.0])  # errors -1, 0, 3, -2


def test_regression_metrics_by_hand():
    assert mse(Y, P) == pytest.approx((1 + 0 + 9 + 4) / 4, rel=1e-15)
    assert rmse(Y, P) == pytest.approx(np.sqrt(3.5), rel=1e-15)
    assert mae(Y, P) == pytest.approx(6 / 4, rel=1e-15)
    assert mape(Y, P) == pytest.approx(100 * (1 / 1 + 0 + 3 / 4 + 2 / 2) / 4, rel=1e-15)
    assert smape(Y, P) == pytest.approx(100 * (2 / 3 + 0 + 6 / 5 + 4 / 2) / 4, rel=1e-15)


def test_mape_skips_zero_truth_and_smape_counts_double_zero_as_perfect():
    assert mape([0.0, 2.0, 1e-12], [5.0, 3.0, 1.0]) == pytest.approx(50.0)
    assert np.isnan(mape([0.0, 0.0], [1.0, 2.0]))
    assert mape([0.0, 4.0], [1.0, 3.0], eps=5.0) != mape([0.0, 4.0], [1.0, 3.0])
    assert smape([0.0, 1.0], [0.0, 3.0]) == pytest.approx(100 * (0 + 2 * 2 / 4) / 2)


def test_nan_propagates_or_is_skipped():
    y = np.array([1.0, np.nan, 3.0])
    p = np.array([1.0, 5.0, 1.0])
    assert np.isnan(mse(y, p))
    assert mse(y, p, ignore_nan=True) == pytest.approx(2.0)
    assert mape(y, p, ignore_nan=True) == pytest.approx(100 * (0 + 2 / 3) / 2)
    assert np.isnan(mae([np.nan], [1.0], ignore_nan=True))  # nothing left


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(3,\)"):
        mse([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"same shape \(N, H\) or \(N, H, C\), got \(3,\)"):
        forecast_metrics(np.zeros(3), np.zeros(3))


def test_forecast_metrics_overall_and_per_step():
    y = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    p = np.array([[1.0, 3.0, 6.0], [2.0, 2.0, 6.0]])  # errors step1 0,0; step2 -1,2; step3 -3,0
    m = forecast_metrics(y, p)
    assert m["mse"] == pytest.approx((1 + 4 + 9) / 6)
    assert m["rmse"] == pytest.approx(np.sqrt(14 / 6))
    assert m["mae"] == pytest.approx(6 / 6)
    assert m["mse@1"] == 0.0 and m["mse@2"] == pytest.approx(2.5) and m["mse@3"] == 4.5
    assert m["rmse@3"] == pytest.approx(np.sqrt(4.5)) and m["mae@2"] == pytest.approx(1.5)
    assert list(m)[:5] == ["mse", "rmse", "mae", "mape", "smape"]
    assert len(m) == 5 + 3 * 3
    multi = forecast_metrics(np.stack([y, y], -1), np.stack([p, y], -1))  # (N, H, C)
    assert multi["mse@3"] == pytest.approx((9 + 0) / 4)


def test_classification_metrics_by_hand():
    t = [1, 1, 1, 0, 0, 0, 0]
    p = [1, 0, 0, 1, 0, 0, 0]  # TP 1, FN 2, FP 1
    assert precision(t, p) == 0.5
    assert recall(t, p) == pytest.approx(1 / 3)
    assert f1(t, p) == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert precision([1, 0], [0, 0]) == 0.0 and recall([0, 0], [1, 0]) == 0.0
    assert f1([0, 0], [0, 0]) == 0.0
    with pytest.raises(ValueError, match="`y_pred` must hold only 0 and 1"):
        f1([0, 1], [0, 2])


def test_roc_auc_by_hand_with_ties():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert roc_auc([1, 0, 1], [3.0, 1.0, 2.0]) == 1.0
    with pytest.raises(ValueError, match="needs both classes in `y_true`, got 2 positives and 0"):
        roc_auc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="`scores` must not contain NaN"):
        roc_auc([0, 1], [0.1, np.nan])


@settings(max_examples=100)
@given(labelled_scores())
def test_roc_auc_equals_the_pairwise_count(pairs):
    labels = np.array([label for label, _ in pairs])
    scores = np.array([score for _, score in pairs], dtype=float) / 3.0  # many ties
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert roc_auc(labels, scores) == pytest.approx(wins / (positives.size * negatives.size))


def test_threshold_from_scores():
    scores = np.arange(101.0)
    assert threshold_from_scores(scores, "p99") == pytest.approx(99.0)
    assert threshold_from_scores(scores, "p99.5") == pytest.approx(99.5)
    assert threshold_from_scores(np.r_[scores, np.nan], "p50") == 50.0
    assert threshold_from_scores(scores, 3.25) == 3.25
    for bad in ("q99", "p101", "p", True):
        with pytest.raises(ValueError, match=r"`rule` must be 'pQ'.* got"):
            threshold_from_scores(scores, bad)
