"""PNG plots and HTML pieces of a classification run: ROC and precision-recall curves, the
confusion matrix, reliability diagrams, risk over time and attention over tokens.

The plots take what a classify run directory holds (``scores.csv``: probabilities of the model
and the baselines; ``streaming.csv``: the risk of a few series over time; ``attention.json``)
and write one PNG each, atomically; they return the path written.
:func:`grukit.report.classification_page.classification_sections` puts them on the page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit.report._figures import pyplot, save_figure

__all__ = [
    "attention_html",
    "model_color",
    "plot_calibration",
    "plot_confusion",
    "plot_precision_recall",
    "plot_risk_over_time",
    "plot_roc_curves",
]

MODEL_COLORS = {
    "gru": "tab:red",
    "tfidf_logistic": "tab:blue",
    "summary_logistic": "tab:blue",
    "majority": "0.5",
    "most_frequent_tag": "0.5",
}
_OTHER_COLORS = ("tab:green", "tab:purple", "tab:orange", "tab:brown", "tab:pink", "tab:olive")
LABEL_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")


def model_color(model: str, position: int) -> str:
    """The colour of `model` in every plot (the GRU red), else one by its `position`."""
    return MODEL_COLORS.get(model, _OTHER_COLORS[position % len(_OTHER_COLORS)])


def _binary_pairs(
    scores: Mapping[str, Any], labels: Any
) -> tuple[np.ndarray, list[tuple[str, np.ndarray, np.ndarray]]]:
    """The labels as 0/1 and, per model, its finite scores with their labels."""
    truth = np.asarray(labels).astype(np.int64).ravel()
    if not np.isin(truth, (0, 1)).all():
        raise ValueError(f"`labels` must be 0 or 1, got values {sorted(set(truth.tolist()))[:5]}")
    if len(np.unique(truth)) < 2:
        raise ValueError("`labels` must hold both classes to draw ROC or precision-recall curves")
    pairs = []
    for model, values in scores.items():
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.shape != truth.shape:
            raise ValueError(
                f"`scores[{model!r}]` must have one score per label ({truth.size}), "
                f"got {values.size}"
            )
        keep = np.isfinite(values)
        pairs.append((str(model), values[keep], truth[keep]))
    return truth, pairs


def plot_roc_curves(scores: Mapping[str, Any], labels: Any, path: str | Path) -> Path:
    """ROC curves (true-positive rate against false-positive rate) of each model, with its AUC.

    Parameters
    ----------
    scores : mapping of str to array (n,)
        Per model, the probability (or any score) of the positive class.
    labels : array (n,)
        The true classes, 0 or 1 (both present).
    path : str or Path
        The PNG to write.
    """
    from sklearn.metrics import roc_auc_score

    from grukit.metrics import roc_points

    plt = pyplot()
    _, pairs = _binary_pairs(scores, labels)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    axis.plot([0, 1], [0, 1], color="0.8", linestyle=":", label="chance")
    for position, (model, values, truth) in enumerate(pairs):
        points = roc_points(truth, values)
        fpr, tpr = points["fpr"], points["tpr"]
        auc = roc_auc_score(truth, values) if len(np.unique(truth)) == 2 else float("nan")
        width = 2.0 if model == "gru" else 1.2
        color = model_color(model, position)
        axis.plot(fpr, tpr, color=color, linewidth=width, label=f"{model} (AUC {auc:.3f})")
    axis.set_xlabel("false-positive rate (1 - specificity)")
    axis.set_ylabel("true-positive rate (sensitivity)")
    axis.set_title("ROC curves")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.01)
    axis.legend(loc="lower right", fontsize=8)
    return save_figure(figure, path)


def plot_precision_recall(scores: Mapping[str, Any], labels: Any, path: str | Path) -> Path:
    """Precision against recall of each model, with its average precision (AUPRC); the share
    of positives (a constant score's precision) drawn for reference. Arguments as
    :func:`plot_roc_curves`."""
    from sklearn.metrics import average_precision_score

    from grukit.metrics import pr_points

    plt = pyplot()
    truth_all, pairs = _binary_pairs(scores, labels)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    prevalence = float(truth_all.mean())
    axis.axhline(prevalence, color="0.8", linestyle=":", label=f"positives ({prevalence:.2f})")
    for position, (model, values, truth) in enumerate(pairs):
        points = pr_points(truth, values)
        precision, recall = points["precision"], points["recall"]
        ap = average_precision_score(truth, values) if truth.any() else float("nan")
        width = 2.0 if model == "gru" else 1.2
        color = model_color(model, position)
        axis.step(recall, precision, where="post", color=color, linewidth=width,
                  label=f"{model} (AP {ap:.3f})")  # fmt: skip
    axis.set_xlabel("recall")
    axis.set_ylabel("precision")
    axis.set_title("Precision-recall curves")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.01)
    axis.legend(loc="lower left", fontsize=8)
    return save_figure(figure, path)


def plot_confusion(
    matrix: Any,
    classes: Sequence[str],
    path: str | Path,
    *,
    xlabel: str = "predicted class",
    ylabel: str = "true class",
    title: str = "Confusion matrix (share of the true class)",
) -> Path:
    """The confusion matrix: rows the true class, columns the predicted one; each cell shows
    its count and its share of the row (the recall of the class on the diagonal; a row with
    no examples is 0 everywhere).

    Parameters
    ----------
    matrix : array (C, C)
        Counts, ``matrix[i, j]`` = examples of class ``i`` predicted as ``j`` (binary:
        ``[[tn, fp], [fn, tp]]``).
    classes : sequence of str
        The C class names, in the order of the rows.
    path : str or Path
    xlabel, ylabel, title : str
        The axes' names (columns, rows) and the title.
    """
    counts = np.asarray(matrix, dtype=np.float64)
    if counts.ndim != 2 or counts.shape != (len(classes), len(classes)):
        raise ValueError(
            f"`matrix` must be {len(classes)} x {len(classes)} (one row per class), "
            f"got shape {counts.shape}"
        )
    plt = pyplot()
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = max(4.0, 0.9 * len(classes) + 2.5)
    figure, axis = plt.subplots(figsize=(size + 1.0, size * 0.85))
    image = axis.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(len(classes)):
        for j in range(len(classes)):
            color = "white" if shares[i, j] > 0.6 else "black"
            axis.text(j, i, f"{counts[i, j]:.0f}\n{shares[i, j]:.0%}", ha="center",
                      va="center", color=color, fontsize=9)  # fmt: skip
    ticks = np.arange(len(classes))
    axis.set_xticks(ticks, [str(c) for c in classes], rotation=45 if len(classes) > 4 else 0)
    axis.set_yticks(ticks, [str(c) for c in classes])
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    figure.colorbar(image, ax=axis, fraction=0.046)
    return save_figure(figure, path)


def plot_calibration(
    scores: Mapping[str, Any],
    outcomes: Any,
    path: str | Path,
    *,
    bins: int = 10,
    xlabel: str = "predicted probability of the positive class",
) -> Path:
    """Reliability diagram of each model: observed frequency against mean predicted probability
    per bin (:func:`grukit.metrics.calibration_table`), the diagonal of perfect calibration,
    and below it how many predictions fall in each bin.

    `scores` maps each model to its probabilities (n,); `outcomes` (n,) are 1 where the event
    happened (binary: the positive class), or a mapping giving each model its own (multi-class
    confidence: whether that model's top class was right).
    """
    from grukit.metrics import calibration_table

    plt = pyplot()
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(6, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot([0, 1], [0, 1], color="0.7", linestyle=":", label="perfectly calibrated")
    edges = np.linspace(0.0, 1.0, bins + 1)
    for position, (model, values) in enumerate(scores.items()):
        own = outcomes[model] if isinstance(outcomes, Mapping) else outcomes
        table = calibration_table(own, values, bins=bins)
        color = model_color(str(model), position)
        top.plot(table["mean_predicted"], table["observed_rate"], marker="o", color=color,
                 linewidth=2.0 if model == "gru" else 1.2, label=str(model))  # fmt: skip
        finite = np.asarray(values, dtype=np.float64)
        bottom.hist(finite[np.isfinite(finite)], bins=edges, histtype="step", color=color)
    top.set_ylabel("observed frequency")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1.01)
    top.set_title(f"Reliability diagram ({bins} bins)")
    top.legend(loc="upper left", fontsize=8)
    bottom.set_xlabel(xlabel)
    bottom.set_ylabel("predictions")
    return save_figure(figure, path)


def plot_risk_over_time(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    classes: Sequence[str] | None = None,
    threshold: float | None = None,
) -> Path:
    """The streaming risk of each series over time: one line per ``id``, coloured by its label.

    `frame` has columns ``id, label, hours, risk`` (the run's ``streaming.csv``); a label that
    is a class index is named from `classes`. With a `threshold`, its level is drawn.
    """
    missing = [c for c in ("id", "label", "hours", "risk") if c not in frame.columns]
    if missing:
        raise ValueError(f"`frame` must have columns id, label, hours, risk; missing {missing}")
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(9, 4.5))
    labels = list(pd.unique(frame["label"]))
    labels.sort(key=str)
    named: set[Any] = set()
    for _, part in frame.groupby("id", sort=False):
        label = part["label"].iloc[0]
        color = LABEL_COLORS[labels.index(label) % len(LABEL_COLORS)]
        name = classes[int(label)] if classes is not None and _is_index(label, classes) else label
        part = part.sort_values("hours")
        axis.plot(part["hours"], part["risk"], color=color, linewidth=1.2, alpha=0.8,
                  label=None if label in named else f"label {name}")  # fmt: skip
        named.add(label)
    if threshold is not None:
        axis.axhline(threshold, color="0.3", linestyle="--", label=f"threshold {threshold:.3g}")
    axis.set_xlabel("hours")
    axis.set_ylabel("risk (predicted probability)")
    axis.set_ylim(0, 1)
    axis.set_title("Risk over time, one line per series")
    axis.legend(loc="upper left", fontsize=8)
    return save_figure(figure, path)


def _is_index(label: Any, classes: Sequence[str]) -> bool:
    try:
        return float(label).is_integer() and 0 <= int(label) < len(classes)
    except (TypeError, ValueError):
        return False


def attention_html(
    tokens: Sequence[str],
    weights: Sequence[float],
    *,
    label: str | None = None,
    predicted: str | None = None,
    probability: float | None = None,
) -> str:
    """The tokens as HTML spans whose red background is their attention weight (relative to the
    largest), each weight in the span's tooltip; the tokens are HTML-escaped. With `label` or
    `predicted`, a line above says the true and the predicted class.

    Examples
    --------
    >>> attention_html(["not", "<b>"], [0.75, 0.25])
    '<p class="attention"><span style="background: rgba(220, 40, 40, 1.00)" title="0.75">not</span> <span style="background: rgba(220, 40, 40, 0.33)" title="0.25">&lt;b&gt;</span></p>'
    """  # noqa: E501
    values = np.asarray(weights, dtype=np.float64).ravel()
    if values.size != len(tokens):
        raise ValueError(
            f"`weights` must have one weight per token ({len(tokens)}), got {values.size}"
        )
    top = np.nanmax(np.abs(values)) if values.size else 0.0
    shares = np.abs(values) / top if top > 0 else np.zeros_like(values)
    spans = [
        f'<span style="background: rgba(220, 40, 40, {share:.2f})" title="{value:.3g}">'
        f"{html.escape(str(token))}</span>"
        for token, value, share in zip(tokens, values, np.nan_to_num(shares), strict=True)
    ]
    head = []
    if label is not None:
        head.append(f"true: <b>{html.escape(str(label))}</b>")
    if predicted is not None:
        chance = "" if probability is None else f" (probability {float(probability):.3f})"
        head.append(f"predicted: <b>{html.escape(str(predicted))}</b>{chance}")
    line = f'<p class="note">{"; ".join(head)}</p>' if head else ""
    return line + '<p class="attention">' + " ".join(spans) + "</p>"
