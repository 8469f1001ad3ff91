"""The sections of the report of a classification run (``task = "sequence_classifier"``).

A classify run directory holds, besides ``config.json`` and ``history.json``::

    metrics.json     the GRU and the baselines on the test part (grukit.metrics'
                     classification_metrics per model)
    scores.csv       id, label (class index), then the probabilities of each model: binary one
                     column per model (the positive class), multi-class "MODEL:CLASS" columns
    streaming.csv    (optional) id, label, hours, risk: the streaming risk of a few series
    attention.json   (optional) {"examples": [{"tokens", "weights", "label", "predicted",
                     "probability"}]}

Each section is drawn only when its file is there, in this order: model vs baselines, per
class, confusion matrix, ROC and precision-recall curves (two classes only), calibration, risk
over time, attention.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit.io import read_json
from grukit.report._pieces import image_html, table_html
from grukit.report.classification import (
    attention_html,
    plot_calibration,
    plot_confusion,
    plot_precision_recall,
    plot_risk_over_time,
    plot_roc_curves,
)

__all__ = ["beats_sentence", "classification_sections", "headline_table"]

BINARY_HEADLINE = (
    "accuracy", "precision", "recall", "specificity", "f1", "f1_macro", "roc_auc", "auprc",
    "brier", "log_loss",
)  # fmt: skip
MULTICLASS_HEADLINE = (
    "accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc", "log_loss",
)  # fmt: skip
Section = tuple[str, str]


def _number(value: Any) -> float:
    """A metric as a float; None (undefined, e.g. ROC-AUC of one class) as NaN."""
    return float("nan") if value is None else float(value)


def _ordered(models: dict[str, Any]) -> list[str]:
    return sorted(models, key=lambda name: (name != "gru", list(models).index(name)))


def headline_table(
    models: dict[str, dict[str, Any]],
    *,
    binary: bool = False,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per model (the GRU first), the headline metrics as columns (NaN if undefined).

    The columns are `columns` (those a model has), by default the binary or the multi-class
    classification headline.
    """
    if columns is None:
        columns = BINARY_HEADLINE if binary else MULTICLASS_HEADLINE
    rows = {
        name: {c: _number(models[name].get(c)) for c in columns if c in models[name]}
        for name in _ordered(models)
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table[[c for c in columns if c in table.columns]]
    table.index.name = "model"
    return table


def beats_sentence(
    models: dict[str, dict[str, Any]],
    *,
    binary: bool = False,
    metric: tuple[str, str] | None = None,
) -> str:
    """Whether the GRU beats each baseline on ROC-AUC (binary) or accuracy (multi-class), or
    on `metric`, a ``(key in the models' dicts, name in the sentence)`` pair (higher better).

    Examples
    --------
    >>> beats_sentence({"gru": {"roc_auc": 0.84}, "summary_logistic": {"roc_auc": 0.86}},
    ...                binary=True)
    'The GRU does not beat summary_logistic on ROC-AUC (0.840 vs 0.860).'
    >>> beats_sentence({"gru": {"f1": 0.71}, "most_frequent_tag": {"f1": 0.42}},
    ...                metric=("f1", "entity F1"))
    'The GRU beats most_frequent_tag on entity F1 (0.710 vs 0.420).'
    """
    default = ("roc_auc", "ROC-AUC") if binary else ("accuracy", "accuracy")
    key, name = default if metric is None else metric
    if "gru" not in models:
        return "There is no GRU in the metrics file to compare with the baselines."
    gru = _number(models["gru"].get(key))
    sentences = []
    for baseline in _ordered(models)[1:]:
        other = _number(models[baseline].get(key))
        if math.isnan(gru) or math.isnan(other):
            sentences.append(f"The GRU and {baseline} cannot be compared on {name} (undefined).")
            continue
        verb = "beats" if gru > other else "does not beat"
        sentences.append(f"The GRU {verb} {baseline} on {name} ({gru:.3f} vs {other:.3f}).")
    if not sentences:
        return "There are no baselines in the metrics file to compare the GRU with."
    return " ".join(sentences)


def _metrics_sections(record: dict[str, Any], classes: list[str], plots: Path) -> list[Section]:
    models = record["models"]
    binary = len(classes) == 2
    threshold = record.get("threshold")
    where = html.escape(str(record.get("data", "the evaluation data")))
    part = html.escape(str(record.get("part", "test")))
    n = models.get("gru", next(iter(models.values()), {})).get("n")
    note = f"{n} examples of the {part} part of {where}" + (
        f"; the GRU's threshold on the probability of {html.escape(classes[1])}: {threshold:.3g}"
        if binary and threshold is not None
        else ""
    )
    body = (
        f'<p class="note">{note}.</p>'
        + table_html(headline_table(models, binary=binary))
        + f"<p>{html.escape(beats_sentence(models, binary=binary))}</p>"
    )
    sections = [("Model vs baselines", body)]
    gru = models.get("gru")
    if gru is None:
        return sections
    if gru.get("per_class"):
        table = pd.DataFrame(gru["per_class"]).set_index("class")
        sections.append(("Per class", table_html(table)))
    if gru.get("confusion") is not None:
        image = plot_confusion(gru["confusion"], classes, plots / "confusion.png")
        caption = '<p class="note">The GRU; rows: the true class, columns: the predicted one.</p>'
        sections.append(
            ("Confusion matrix", caption + image_html(f"plots/{image.name}", "confusion"))
        )
    return sections


def _scores_by_model(scores: pd.DataFrame, classes: list[str]) -> dict[str, np.ndarray]:
    """Per model, its probabilities: (n,) for two classes, (n, C) for more."""
    columns = [c for c in scores.columns if c not in ("id", "label")]
    if len(classes) == 2:
        return {c: scores[c].to_numpy(dtype=np.float64) for c in columns}
    models = list(dict.fromkeys(c.rpartition(":")[0] for c in columns if ":" in c))
    return {
        m: scores[[f"{m}:{name}" for name in classes]].to_numpy(dtype=np.float64) for m in models
    }


def _curve_sections(scores: pd.DataFrame, classes: list[str], plots: Path) -> list[Section]:
    labels = scores["label"].to_numpy(dtype=np.int64)
    by_model = dict(sorted(_scores_by_model(scores, classes).items(), key=lambda i: i[0] != "gru"))
    sections = []
    if len(classes) != 2:
        sections.append(
            (
                "ROC and precision-recall curves",
                f'<p class="note">Drawn for two classes only; this run has {len(classes)}: see '
                "the per-class table and the confusion matrix.</p>",
            )
        )
    elif len(np.unique(labels)) < 2:
        note = "Not drawn: the scored examples hold one class only."
        sections.append(("ROC and precision-recall curves", f'<p class="note">{note}</p>'))
    else:
        roc = plot_roc_curves(by_model, labels, plots / "roc.png")
        pr = plot_precision_recall(by_model, labels, plots / "precision_recall.png")
        images = image_html(f"plots/{roc.name}", "ROC curves") + image_html(
            f"plots/{pr.name}", "precision-recall curves"
        )
        sections.append(("ROC and precision-recall curves", images))
    if len(classes) == 2:
        chance, outcomes = by_model, labels == 1
        xlabel = f"predicted probability of {classes[1]}"
        note = f"The probability of {html.escape(classes[1])} against how often it is the class."
    else:  # confidence calibration: the top class's probability against being right
        chance = {m: p.max(axis=1) for m, p in by_model.items()}
        outcomes = {m: p.argmax(axis=1) == labels for m, p in by_model.items()}
        xlabel = "probability of the predicted (top) class"
        note = "The probability of the predicted class against how often it is right."
    image = plot_calibration(chance, outcomes, plots / "calibration.png", xlabel=xlabel)
    body = f'<p class="note">{note} Ten equal-width bins.</p>'
    sections.append(("Calibration", body + image_html(f"plots/{image.name}", "calibration")))
    return sections


def classification_sections(run: Path, plots: Path, config: dict[str, Any]) -> list[Section]:
    """The page sections of a classify run directory, from the files it holds."""
    fitted = config.get("fitted") or {}
    metrics_path = run / "metrics.json"
    record = read_json(metrics_path, description="metrics file") if metrics_path.exists() else {}
    classes = [str(c) for c in (fitted.get("classes") or record.get("classes") or [])]
    sections: list[Section] = []
    if record:
        sections += _metrics_sections(record, classes, plots)
    scores_path = run / "scores.csv"
    if scores_path.exists() and classes:
        sections += _curve_sections(pd.read_csv(scores_path), classes, plots)
    streaming_path = run / "streaming.csv"
    if streaming_path.exists():
        threshold = fitted.get("threshold", record.get("threshold"))
        image = plot_risk_over_time(
            pd.read_csv(streaming_path), plots / "risk_over_time.png", classes=classes or None,
            threshold=threshold,
        )  # fmt: skip
        note = '<p class="note">The GRU\'s risk as the series comes in, read step by step.</p>'
        sections.append(("Risk over time", note + image_html(f"plots/{image.name}", "risk")))
    attention_path = run / "attention.json"
    if attention_path.exists():
        examples = read_json(attention_path, description="attention file").get("examples", [])
        body = "\n".join(
            attention_html(
                e["tokens"], e["weights"], label=e.get("label"), predicted=e.get("predicted"),
                probability=e.get("probability"),
            )
            for e in examples
        )  # fmt: skip
        note = '<p class="note">Each token\'s background is its attention weight.</p>'
        sections.append(("Attention", note + body))
    return sections
