"""Classification metrics on top of :mod:`sklearn.metrics`, JSON-safe, and decision thresholds.

Labels ``y_true`` are class indices ``0 .. C-1`` (shape ``(N,)``). Probabilities are the
positive-class probability ``p`` (shape ``(N,)``, binary problems) or one row per example
(shape ``(N, C)``). Every result is made of plain Python ``int``, ``float``, ``str``, ``None``
and lists, so ``json.dumps`` writes it as it is (no NaN: an undefined score is ``None``).

The counting metrics are given ``labels=`` (every class gets its row, present or not) and
``zero_division=0`` (a precision with nothing predicted, or a recall with no example, is 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from grukit import checks

__all__ = [
    "calibration_table",
    "choose_threshold",
    "classification_metrics",
    "pr_points",
    "roc_points",
]

#: How far a row of an ``(N, C)`` probability array may sum from 1 (float32 softmax rounding).
ROW_SUM_TOLERANCE = 1e-4
_BEST_RULES = ("f1", "youden", "accuracy")
_TARGET_RULES = ("sensitivity", "specificity")


# -- checks --------------------------------------------------------------------------------------
def _labels(y_true: Any) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"`y_true` must have shape (N,) with N >= 1, got {y.shape}")
    if y.dtype.kind == "b":
        return y.astype(np.int64)
    if y.dtype.kind == "f":
        whole = np.isfinite(y) & (y == np.round(y))
        if not whole.all():
            raise ValueError(f"`y_true` must hold class indices, got {y[~whole][0].item()!r}")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"`y_true` must hold integer class indices, got dtype {y.dtype}")
    return y.astype(np.int64)


def _check_range(y: np.ndarray, n_classes: int) -> None:
    outside = (y < 0) | (y >= n_classes)
    if outside.any():
        raise ValueError(
            f"`y_true` must hold class indices in 0..{n_classes - 1}, got {int(y[outside][0])}"
        )


def _probabilities(values: Any, name: str) -> np.ndarray:
    p = np.asarray(values, dtype=np.float64)
    if np.isnan(p).any():
        raise ValueError(f"`{name}` must not contain NaN")
    if p.size and (p.min() < 0.0 or p.max() > 1.0):
        raise ValueError(
            f"`{name}` must hold probabilities in [0, 1], got values from {p.min():g} "
            f"to {p.max():g}"
        )
    return p


def _same_length(y: np.ndarray, p: np.ndarray, name: str) -> None:
    if p.ndim == 0 or p.shape[0] != y.shape[0]:
        raise ValueError(
            f"`y_true` and `{name}` must have the same length N, got {y.shape[0]} and "
            f"shape {p.shape}"
        )


def _binary_inputs(y_true: Any, p: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(y_true)
    values = _probabilities(p, name)
    if values.ndim != 1:
        raise ValueError(f"`{name}` must have shape (N,), got {values.shape}")
    _same_length(y, values, name)
    _check_range(y, 2)
    return y, values


def _both_classes(y: np.ndarray, owner: str) -> None:
    n_pos = int(y.sum())
    if n_pos in (0, y.size):
        raise ValueError(
            f"{owner} needs both classes in `y_true`, got {n_pos} positives and "
            f"{y.size - n_pos} negatives"
        )


def _class_names(classes: Sequence[Any] | None, n_classes: int) -> list[Any]:
    if classes is None:
        return list(range(n_classes))
    names = [c.item() if isinstance(c, np.generic) else c for c in classes]
    if len(names) != n_classes:
        raise ValueError(f"`classes` must name {n_classes} classes, got {len(names)}")
    return [c if isinstance(c, str | int) and not isinstance(c, bool) else str(c) for c in names]


# -- classification_metrics ----------------------------------------------------------------------
def classification_metrics(
    y_true: Any,
    proba: Any,
    *,
    threshold: float | None = None,
    classes: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC-AUC, log-loss, confusion matrix and per-class scores.

    Parameters
    ----------
    y_true : array-like, shape (N,)
        Class indices ``0 .. C-1``.
    proba : array-like, shape (N,) or (N, C)
        ``(N,)``: the probability of class 1 (then ``C = 2``). ``(N, C)``: one probability per
        class; rows must sum to 1 within :data:`ROW_SUM_TOLERANCE`. The probabilities are used
        as given (for ``C = 2``, the second column), except that the log-loss of ``C > 2``
        classes rescales each row to sum to 1.
    threshold : float in [0, 1], optional
        Binary only: class 1 is predicted where ``p >= threshold`` (default 0.5).
    classes : sequence, optional
        The ``C`` class names, used in ``per_class`` (default: the indices).

    Returns
    -------
    dict
        Binary (``C = 2``): ``n, accuracy, precision, recall, sensitivity`` (= recall),
        ``specificity = TN / (TN + FP), f1`` (of class 1), ``f1_macro, roc_auc, auprc``
        (average precision), ``brier = mean((p - y)^2), log_loss, threshold``, ``confusion``
        ``[[TN, FP], [FN, TP]]`` and ``per_class``. Multi-class (``C > 2``, the prediction is
        the argmax, the first class on ties): ``n, accuracy, precision_macro, recall_macro,
        f1_macro, roc_auc`` (one-vs-rest, macro over the classes present in ``y_true``),
        ``log_loss``, ``confusion`` (C x C) and ``per_class``. The confusion matrix has one row
        per true class and one column per predicted class, in class order; ``per_class`` is a
        list of ``{class, precision, recall, f1, support}``. ``roc_auc`` and ``auprc`` are
        ``None`` when ``y_true`` holds one class only.

    Examples
    --------
    >>> scores = classification_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8])
    >>> scores["accuracy"], scores["roc_auc"], scores["confusion"]
    (0.5, 0.75, [[1, 1], [1, 1]])
    """
    y = _labels(y_true)
    p = _probabilities(proba, "proba")
    _same_length(y, p, "proba")
    if p.ndim > 2 or (p.ndim == 2 and p.shape[1] < 2):
        raise ValueError(f"`proba` must have shape (N,) or (N, C) with C >= 2, got {p.shape}")
    n_classes = 2 if p.ndim == 1 else p.shape[1]
    _check_range(y, n_classes)
    names = _class_names(classes, n_classes)
    if p.ndim == 2:
        sums = p.sum(axis=1)
        off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise ValueError(f"rows of `proba` must sum to 1, row {row} sums to {sums[row]:g}")
    if n_classes == 2:
        return _binary_metrics(y, p if p.ndim == 1 else p[:, 1], threshold, names)
    if threshold is not None:
        raise ValueError(f"`threshold` is for binary problems only, got C = {n_classes} classes")
    return _multiclass_metrics(y, p, names)


def _per_class(y: np.ndarray, predicted: np.ndarray, names: list[Any]) -> list[dict[str, Any]]:
    labels = list(range(len(names)))
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y, predicted, labels=labels, average=None, zero_division=0
    )
    return [
        {
            "class": names[k],
            "precision": float(precision[k]),
            "recall": float(recall[k]),
            "f1": float(f1[k]),
            "support": int(support[k]),
        }
        for k in labels
    ]


def _binary_metrics(
    y: np.ndarray, p: np.ndarray, threshold: float | None, names: list[Any]
) -> dict[str, Any]:
    threshold = 0.5 if threshold is None else checks.number("threshold", threshold, low=0, high=1)
    predicted = (p >= threshold).astype(np.int64)
    labels = [0, 1]
    confusion = skm.confusion_matrix(y, predicted, labels=labels).tolist()
    (tn, fp), _ = confusion
    two = np.unique(y).size == 2
    binary = {"labels": labels, "pos_label": 1, "average": "binary", "zero_division": 0}
    recall = float(skm.recall_score(y, predicted, **binary))
    return {
        "n": int(y.size),
        "accuracy": float(skm.accuracy_score(y, predicted)),
        "precision": float(skm.precision_score(y, predicted, **binary)),
        "recall": recall,
        "sensitivity": recall,
        "specificity": tn / (tn + fp) if tn + fp else 0.0,
        "f1": float(skm.f1_score(y, predicted, **binary)),
        "f1_macro": float(
            skm.f1_score(y, predicted, labels=labels, average="macro", zero_division=0)
        ),
        "roc_auc": float(skm.roc_auc_score(y, p)) if two else None,
        "auprc": float(skm.average_precision_score(y, p)) if two else None,
        "brier": float(skm.brier_score_loss(y, p, pos_label=1)),
        "log_loss": float(skm.log_loss(y, np.column_stack([1.0 - p, p]), labels=labels)),
        "threshold": threshold,
        "confusion": confusion,
        "per_class": _per_class(y, predicted, names),
    }


def _ovr_roc_auc(y: np.ndarray, proba: np.ndarray) -> float | None:
    present = np.unique(y)
    if present.size < 2:
        return None
    # sklearn's multi_class="ovr" macro AUC is this mean, but it refuses an absent class and
    # rows that do not sum to 1 within 1e-5 (a rescaling would break ties in the columns)
    return float(np.mean([skm.roc_auc_score(y == k, proba[:, k]) for k in present]))


def _multiclass_metrics(y: np.ndarray, proba: np.ndarray, names: list[Any]) -> dict[str, Any]:
    labels = list(range(proba.shape[1]))
    predicted = proba.argmax(axis=1)
    macro = {"labels": labels, "average": "macro", "zero_division": 0}
    return {
        "n": int(y.size),
        "accuracy": float(skm.accuracy_score(y, predicted)),
        "precision_macro": float(skm.precision_score(y, predicted, **macro)),
        "recall_macro": float(skm.recall_score(y, predicted, **macro)),
        "f1_macro": float(skm.f1_score(y, predicted, **macro)),
        "roc_auc": _ovr_roc_auc(y, proba),
        "log_loss": float(skm.log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=labels)),
        "confusion": skm.confusion_matrix(y, predicted, labels=labels).tolist(),
        "per_class": _per_class(y, predicted, names),
    }


# -- thresholds ----------------------------------------------------------------------------------
def _rule(rule: Any) -> tuple[str, float | None]:
    if isinstance(rule, str) and rule in _BEST_RULES:
        return rule, None
    if isinstance(rule, tuple | list) and len(rule) == 2 and rule[0] in _TARGET_RULES:
        return str(rule[0]), checks.number("rule[1]", rule[1], low=0, high=1)
    raise ValueError(
        "`rule` must be 'f1', 'youden', 'accuracy', ('sensitivity', target) or "
        f"('specificity', target), got {rule!r}"
    )


def _operating_points(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct ``p >= t`` split: thresholds ascending, true and false positives."""
    thresholds = np.unique(p)
    if thresholds[-1] < 1.0:  # the point "nothing positive", still a threshold in [0, 1]
        thresholds = np.append(thresholds, np.nextafter(thresholds[-1], np.inf))
    positives, negatives = np.sort(p[y == 1]), np.sort(p[y == 0])
    tp = positives.size - np.searchsorted(positives, thresholds, side="left")
    fp = negatives.size - np.searchsorted(negatives, thresholds, side="left")
    return thresholds, tp.astype(np.int64), fp.astype(np.int64)


def choose_threshold(y_true: Any, p_positive: Any, rule: str | tuple[str, float] = "f1") -> float:
    """The decision threshold ``t`` (predict class 1 where ``p >= t``) that a rule picks.

    The candidates are the distinct values of ``p_positive`` (each gives one operating point,
    reproduced exactly by ``p_positive >= t``) and, below 1, the next float above the largest
    (nothing predicted positive).

    Parameters
    ----------
    y_true : array-like of 0 and 1, shape (N,)
        Both classes must occur.
    p_positive : array-like, shape (N,)
        Probabilities of class 1, in [0, 1].
    rule : str or (str, float), default "f1"
        ``"f1"``: the largest F1 ``2 TP / (2 TP + FP + FN)``; ``"youden"``: the largest
        ``sensitivity + specificity - 1``; ``"accuracy"``: the largest accuracy (for these
        three, on ties the highest of the tied thresholds); ``("sensitivity", s)``: the highest
        threshold with ``TP / P >= s``; ``("specificity", s)``: the lowest threshold with
        ``TN / N >= s``.

    Raises
    ------
    ValueError
        One class only in ``y_true``; an unknown rule; a specificity no threshold in [0, 1]
        reaches (a negative with ``p = 1``).

    Examples
    --------
    >>> choose_threshold([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8])
    0.4
    >>> choose_threshold([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8], ("specificity", 1.0))
    0.8
    """
    y, p = _binary_inputs(y_true, p_positive, "p_positive")
    _both_classes(y, "choose_threshold")
    name, target = _rule(rule)
    thresholds, tp, fp = _operating_points(y, p)
    n_pos, n_neg = int(y.sum()), int(y.size - y.sum())
    tn = n_neg - fp
    if name == "sensitivity":
        return float(thresholds[np.flatnonzero(tp / n_pos >= target)[-1]])
    if name == "specificity":
        reached = np.flatnonzero(tn / n_neg >= target)
        if reached.size == 0:
            raise ValueError(
                f"no threshold in [0, 1] reaches specificity {target:g}, at most "
                f"{tn.max() / n_neg:g} (negatives have p = 1)"
            )
        return float(thresholds[reached[0]])
    if name == "f1":
        score = 2 * tp / (2 * tp + fp + (n_pos - tp))  # one division each: equal ratios tie
    elif name == "youden":
        score = tp * n_neg + tn * n_pos  # (Youden + 1) * P * N, in integers
    else:
        score = tp + tn
    return float(thresholds[np.flatnonzero(score == score.max())[-1]])


# -- curves and calibration ----------------------------------------------------------------------
def roc_points(y_true: Any, p: Any) -> dict[str, list[float]]:
    """The ROC curve for a plot: ``{"fpr": [...], "tpr": [...]}`` (``sklearn.metrics.roc_curve``).

    Both classes must occur in ``y_true`` (0 and 1); ``p`` holds the probabilities of class 1.

    Examples
    --------
    >>> roc_points([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8])
    {'fpr': [0.0, 0.0, 0.5, 0.5, 1.0], 'tpr': [0.0, 0.5, 0.5, 1.0, 1.0]}
    """
    y, values = _binary_inputs(y_true, p, "p")
    _both_classes(y, "roc_points")
    fpr, tpr, _ = skm.roc_curve(y, values)
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist()}


def pr_points(y_true: Any, p: Any) -> dict[str, list[float]]:
    """The precision-recall curve for a plot: ``{"recall": [...], "precision": [...]}``.

    From ``sklearn.metrics.precision_recall_curve`` (recall decreasing to 0, where precision is
    1 by convention). Both classes must occur in ``y_true``.

    Examples
    --------
    >>> pr_points([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8])
    {'recall': [1.0, 1.0, 0.5, 0.5, 0.0], 'precision': [0.5, 0.6666666666666666, 0.5, 1.0, 1.0]}
    """
    y, values = _binary_inputs(y_true, p, "p")
    _both_classes(y, "pr_points")
    precision, recall, _ = skm.precision_recall_curve(y, values)
    return {"recall": recall.tolist(), "precision": precision.tolist()}


def calibration_table(y_true: Any, p: Any, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed rates in ``bins`` equal-width bins of ``p`` over [0, 1].

    Bin ``i`` holds ``i / bins <= p < (i + 1) / bins`` (the last bin includes 1).

    Returns
    -------
    DataFrame
        Columns ``bin_low, bin_high, mean_predicted`` (the mean ``p`` in the bin),
        ``observed_rate`` (the fraction of class 1) and ``count``; bins without an example are
        left out.

    Examples
    --------
    >>> calibration_table([0, 0, 1, 1], [0.1, 0.15, 0.8, 0.9], bins=2)
       bin_low  bin_high  mean_predicted  observed_rate  count
    0      0.0       0.5           0.125            0.0      2
    1      0.5       1.0           0.850            1.0      2
    """
    y, values = _binary_inputs(y_true, p, "p")
    bins = checks.positive_int("bins", bins)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.minimum(np.searchsorted(edges, values, side="right") - 1, bins - 1)
    count = np.bincount(index, minlength=bins)
    keep = count > 0
    return pd.DataFrame(
        {
            "bin_low": edges[:-1][keep],
            "bin_high": edges[1:][keep],
            "mean_predicted": np.bincount(index, weights=values, minlength=bins)[keep]
            / count[keep],
            "observed_rate": np.bincount(index, weights=y, minlength=bins)[keep] / count[keep],
            "count": count[keep].astype(np.int64),
        }
    )
