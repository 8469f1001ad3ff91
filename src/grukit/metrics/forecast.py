"""Forecast and anomaly-detection metrics in NumPy (no scikit-learn).

Regression metrics take arrays of equal shape. With ``ignore_nan=True`` the points where the
truth or the prediction is NaN are skipped (for example missing ground truth in raw data);
otherwise NaN propagates as in NumPy. A metric with no point left returns NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "f1",
    "forecast_metrics",
    "mae",
    "mape",
    "mse",
    "precision",
    "recall",
    "rmse",
    "roc_auc",
    "smape",
    "threshold_from_scores",
]

MAPE_EPS = 1e-8


def _pair(y_true: Any, y_pred: Any, ignore_nan: bool) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"`y_true` and `y_pred` must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    if ignore_nan:
        keep = ~(np.isnan(y_true) | np.isnan(y_pred))
        return y_true[keep], y_pred[keep]
    return y_true.ravel(), y_pred.ravel()


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def mse(y_true: Any, y_pred: Any, *, ignore_nan: bool = False) -> float:
    """Mean squared error ``mean((y - p)^2)``."""
    t, p = _pair(y_true, y_pred, ignore_nan)
    return _mean((t - p) ** 2)


def rmse(y_true: Any, y_pred: Any, *, ignore_nan: bool = False) -> float:
    """Root mean squared error ``sqrt(mse)``."""
    return float(np.sqrt(mse(y_true, y_pred, ignore_nan=ignore_nan)))


def mae(y_true: Any, y_pred: Any, *, ignore_nan: bool = False) -> float:
    """Mean absolute error ``mean(|y - p|)``."""
    t, p = _pair(y_true, y_pred, ignore_nan)
    return _mean(np.abs(t - p))


def mape(y_true: Any, y_pred: Any, *, eps: float = MAPE_EPS, ignore_nan: bool = False) -> float:
    """Mean absolute percentage error in percent: ``100 * mean(|y - p| / |y|)``.

    Points with ``|y| < eps`` are left out (their ratio is undefined or explodes); NaN when no
    point remains.
    """
    t, p = _pair(y_true, y_pred, ignore_nan)
    keep = ~(np.abs(t) < eps)  # NaN truth stays in (and propagates) unless ignore_nan
    return 100.0 * _mean(np.abs(t[keep] - p[keep]) / np.abs(t[keep]))


def smape(y_true: Any, y_pred: Any, *, ignore_nan: bool = False) -> float:
    """Symmetric MAPE in percent, in [0, 200]: ``100 * mean(2 |y - p| / (|y| + |p|))``.

    A point where both ``y`` and ``p`` are 0 counts as 0 (a perfect forecast).
    """
    t, p = _pair(y_true, y_pred, ignore_nan)
    denominator = np.abs(t) + np.abs(p)
    ratio = np.divide(2 * np.abs(t - p), denominator, out=np.zeros_like(t), where=denominator != 0)
    ratio[np.isnan(denominator)] = np.nan
    return 100.0 * _mean(ratio)


def forecast_metrics(
    y_true: Any, y_pred: Any, *, ignore_nan: bool = False, eps: float = MAPE_EPS
) -> dict[str, float]:
    """Overall and per-step forecast errors.

    Parameters
    ----------
    y_true, y_pred : array-like, shape (N, H) or (N, H, C)
        N windows, H forecast steps, C targets (pooled).
    ignore_nan, eps : see :func:`mape`.

    Returns
    -------
    dict
        ``{"mse", "rmse", "mae", "mape", "smape"}`` over all points (``rmse`` is the root of the
        overall ``mse``), then ``"mse@k"``, ``"rmse@k"``, ``"mae@k"`` for each step
        ``k = 1 .. H`` (k hours ahead for hourly data).
    """
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape or t.ndim not in (2, 3):
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape (N, H) or (N, H, C), got "
            f"{t.shape} and {p.shape}"
        )
    result = {
        "mse": mse(t, p, ignore_nan=ignore_nan),
        "rmse": rmse(t, p, ignore_nan=ignore_nan),
        "mae": mae(t, p, ignore_nan=ignore_nan),
        "mape": mape(t, p, eps=eps, ignore_nan=ignore_nan),
        "smape": smape(t, p, ignore_nan=ignore_nan),
    }
    for step in range(t.shape[1]):
        ts, ps = t[:, step], p[:, step]
        result[f"mse@{step + 1}"] = mse(ts, ps, ignore_nan=ignore_nan)
        result[f"rmse@{step + 1}"] = rmse(ts, ps, ignore_nan=ignore_nan)
        result[f"mae@{step + 1}"] = mae(ts, ps, ignore_nan=ignore_nan)
    return result


# -- anomaly detection ---------------------------------------------------------------------------
def _labels(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true).ravel()
    p = np.asarray(y_pred).ravel()
    if t.shape != p.shape:
        raise ValueError(f"labels must have the same length, got {t.size} and {p.size}")
    for name, values in (("y_true", t), ("y_pred", p)):
        if not np.isin(values, (0, 1)).all():
            raise ValueError(f"`{name}` must hold only 0 and 1, got {np.unique(values)[:5]}")
    return t.astype(bool), p.astype(bool)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def precision(y_true: Any, y_pred: Any) -> float:
    """``TP / (TP + FP)``; 0.0 when nothing is predicted positive."""
    t, p = _labels(y_true, y_pred)
    return _ratio(int((t & p).sum()), int(p.sum()))


def recall(y_true: Any, y_pred: Any) -> float:
    """``TP / (TP + FN)``; 0.0 when there is no positive."""
    t, p = _labels(y_true, y_pred)
    return _ratio(int((t & p).sum()), int(t.sum()))


def f1(y_true: Any, y_pred: Any) -> float:
    """``2 TP / (2 TP + FP + FN)``, the harmonic mean of precision and recall; 0.0 if undefined."""
    t, p = _labels(y_true, y_pred)
    true_positive = int((t & p).sum())
    return _ratio(2 * true_positive, int(t.sum()) + int(p.sum()))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    # runs of equal values share the mean of their 1-based ranks
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], ordered.size]
    mean_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def roc_auc(y_true: Any, scores: Any) -> float:
    """Area under the ROC curve: the probability that a positive outscores a negative.

    ``AUC = (R_+ - n_+ (n_+ + 1) / 2) / (n_+ n_-)`` with ``R_+`` the sum of the (tie-averaged)
    ranks of the positives' scores: the Mann-Whitney statistic, where a tie counts 1/2.

    Raises
    ------
    ValueError
        Labels other than 0/1, NaN scores, or only one class present.
    """
    t = np.asarray(y_true).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if t.shape != s.shape:
        raise ValueError(
            f"`y_true` and `scores` must have the same length, got {t.size} and {s.size}"
        )
    if not np.isin(t, (0, 1)).all():
        raise ValueError(f"`y_true` must hold only 0 and 1, got {np.unique(t)[:5]}")
    if np.isnan(s).any():
        raise ValueError("`scores` must not contain NaN")
    positive = t.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"roc_auc needs both classes in `y_true`, got {n_pos} positives and {n_neg} negatives"
        )
    rank_sum = _average_ranks(s)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def threshold_from_scores(scores: Any, rule: str | float) -> float:
    """A decision threshold for anomaly scores (score > threshold means anomaly).

    Parameters
    ----------
    scores : array-like
        Scores on normal (e.g. validation) data; NaNs are ignored.
    rule : str or float
        ``"pQ"`` (``"p99"``, ``"p99.5"``): the Q-th percentile of the scores (linear
        interpolation); a finite number: that threshold itself.
    """
    if isinstance(rule, bool):
        raise ValueError(f"`rule` must be 'pQ' (e.g. 'p99') or a number, got {rule!r}")
    if isinstance(rule, int | float | np.floating | np.integer):
        if not np.isfinite(rule):  # NaN flags nothing, +inf never, -inf everything
            raise ValueError(f"`rule` as a number must be finite, got {rule!r}")
        return float(rule)
    if isinstance(rule, str) and rule.startswith("p"):
        try:
            quantile = float(rule[1:])
        except ValueError:
            quantile = -1.0
        if 0 <= quantile <= 100:
            values = np.asarray(scores, dtype=np.float64).ravel()
            values = values[~np.isnan(values)]
            if values.size == 0:
                raise ValueError("`scores` must hold at least one non-NaN value")
            return float(np.percentile(values, quantile))
    raise ValueError(
        f"`rule` must be 'pQ' with 0 <= Q <= 100 (e.g. 'p99') or a number, got {rule!r}"
    )
