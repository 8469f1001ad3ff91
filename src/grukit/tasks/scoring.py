"""Anomaly scores to decisions: the F1-optimal threshold and the detection metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from grukit import metrics

__all__ = ["best_f1_threshold", "detection_scores"]


def best_f1_threshold(scores: Any, labels: Any) -> float:
    """The threshold ``t`` maximising the F1 score of ``scores > t`` against 0/1 `labels`.

    ``t`` lies halfway between the lowest flagged score and the highest unflagged one.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    keep = ~np.isnan(scores)
    scores, labels = scores[keep], labels[keep].astype(np.int64)
    if labels.sum() == 0:
        raise ValueError("threshold='validation' needs at least one labelled anomaly, got none")
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], np.cumsum(labels[order])
    flagged = np.arange(1, ranked.size + 1)
    f1 = 2 * hits / (flagged + labels.sum())
    distinct = np.r_[ranked[1:] < ranked[:-1], True]  # cut only between different scores
    best = int(np.argmax(np.where(distinct, f1, -1.0)))
    below = ranked[best + 1] if best + 1 < ranked.size else ranked[best] - 1.0
    return float((ranked[best] + below) / 2)


def detection_scores(labels: Any, scores: Any, threshold: float) -> dict[str, Any]:
    """Precision, recall, F1 (of ``scores > threshold``) and ROC-AUC against 0/1 `labels`.

    Rows with a NaN score are left out. ``roc_auc`` is None when only one class is present.
    Also returns ``threshold``, ``rows`` (scored), ``anomalies`` (labelled) and ``flagged``.
    """
    labels = np.asarray(labels).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    scored = ~np.isnan(scores)
    truth, scores = labels[scored].astype(np.int64), scores[scored]
    flags = (scores > threshold).astype(np.int64)
    both = 0 < truth.sum() < truth.size
    return {
        "precision": metrics.precision(truth, flags),
        "recall": metrics.recall(truth, flags),
        "f1": metrics.f1(truth, flags),
        "roc_auc": metrics.roc_auc(truth, scores) if both else None,
        "threshold": float(threshold),
        "rows": int(truth.size),
        "anomalies": int(truth.sum()),
        "flagged": int(flags.sum()),
    }
