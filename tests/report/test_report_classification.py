"""The report of a classification run, on run directories built here (binary and multi-class,
with and without the optional files), and the classification plots and HTML pieces."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from grukit.io import write_json
from grukit.report import (
    attention_html,
    plot_confusion,
    plot_roc_curves,
    write_report,
)
from grukit.report.classification_page import beats_sentence

PNG = b"\x89PNG\r\n\x1a\n"
HISTORY = {
    "train_loss": [0.7, 0.5, 0.45],
    "val_loss": [0.72, 0.55, 0.56],
    "best_epoch": 2,
    "monitor": "val_loss",
    "stop_reason": "max_epochs",
}


def _metrics(labels: np.ndarray, probabilities: np.ndarray, classes: list[str]) -> dict:
    """A classification_metrics-shaped dict (the keys the report reads)."""
    binary = probabilities.ndim == 1
    predicted = (probabilities >= 0.5).astype(int) if binary else probabilities.argmax(axis=1)
    size = len(classes)
    confusion = np.zeros((size, size), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = [
        {"class": name, "precision": 0.5, "recall": 0.5, "f1": 0.5, "support": int(n)}
        for name, n in zip(classes, confusion.sum(axis=1), strict=True)
    ]
    common = {
        "n": int(labels.size),
        "accuracy": float((predicted == labels).mean()),
        "f1_macro": 0.5,
        "confusion": confusion.tolist(),
        "per_class": per_class,
    }
    if not binary:
        auc = roc_auc_score(labels, probabilities, multi_class="ovr")
        return {**common, "precision_macro": 0.5, "recall_macro": 0.5, "roc_auc": auc,
                "log_loss": 0.9}  # fmt: skip
    auc = None if len(np.unique(labels)) < 2 else float(roc_auc_score(labels, probabilities))
    return {**common, "precision": 0.5, "recall": 0.5, "sensitivity": 0.5, "specificity": 0.5,
            "f1": 0.5, "roc_auc": auc, "auprc": None, "brier": 0.2, "log_loss": 0.6,
            "threshold": 0.5}  # fmt: skip


def _binary_run(run: Path, *, gru_noise: float, optional: bool = True, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    labels = (rng.random(200) < 0.3).astype(int)
    signal = labels + 0.0
    probabilities = {
        "gru": 1 / (1 + np.exp(-(3 * signal - 1.5 + gru_noise * rng.standard_normal(200)))),
        "summary_logistic": 1 / (1 + np.exp(-(3 * signal - 1.5 + 2.0 * rng.standard_normal(200)))),
        "majority": np.full(200, 0.3),
    }
    classes = ["survived", "died"]
    _config(run, classes, 0.5, "series")
    models = {name: _metrics(labels, p, classes) for name, p in probabilities.items()}
    _write_metrics(run, classes, 0.5, models)
    pd.DataFrame({"id": np.arange(200), "label": labels, **probabilities}).to_csv(
        run / "scores.csv", index=False
    )
    if optional:
        hours = np.tile(np.arange(48.0), 4)
        ids = np.repeat([11, 12, 13, 14], 48)
        risk = np.clip(
            np.concatenate([np.linspace(0.1, r, 48) for r in (0.9, 0.2, 0.7, 0.1)]), 0, 1
        )
        pd.DataFrame({"id": ids, "label": np.repeat([1, 0, 1, 0], 48), "hours": hours,
                      "risk": risk}).to_csv(run / "streaming.csv", index=False)  # fmt: skip
        example = {"tokens": ["this", "was", "not", "<script>", "good"],
                   "weights": [0.05, 0.05, 0.5, 0.1, 0.3], "label": "neg", "predicted": "neg",
                   "probability": 0.91}  # fmt: skip
        write_json(run / "attention.json", {"examples": [example]})
    return models


def _config(run: Path, classes: list[str], threshold: float | None, kind: str) -> None:
    run.mkdir(parents=True, exist_ok=True)
    fitted = {"classes": classes, "threshold": threshold, "input": kind}
    config = {"task": "sequence_classifier", "params": {"hidden_size": 16}, "fitted": fitted}
    write_json(run / "config.json", config)
    write_json(run / "history.json", HISTORY)


def _write_metrics(run: Path, classes: list[str], threshold: float | None, models: dict) -> None:
    record = {"task": "sequence_classifier", "data": "synthetic <stays>", "part": "test",
              "classes": classes, "threshold": threshold, "models": models}  # fmt: skip
    write_json(run / "metrics.json", record)


def _multiclass_run(run: Path) -> None:
    rng = np.random.default_rng(1)
    classes = ["drama", "comedy", "horror"]
    labels = rng.integers(0, 3, 150)
    columns, models = {}, {}
    for name, noise in (("gru", 0.8), ("tfidf_logistic", 1.5), ("majority", 0.0)):
        logits = 2.0 * np.eye(3)[labels] + noise * rng.standard_normal((150, 3))
        if name == "majority":
            logits = np.zeros((150, 3))
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        columns.update({f"{name}:{c}": p[:, i] for i, c in enumerate(classes)})
        models[name] = _metrics(labels, p, classes)
    _config(run, classes, None, "text")
    _write_metrics(run, classes, None, models)
    pd.DataFrame({"id": np.arange(150), "label": labels, **columns}).to_csv(
        run / "scores.csv", index=False
    )
    return models


def _headings(page: Path) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", page.read_text())


def _images(run: Path, page: Path) -> list[str]:
    images = re.findall(r'<img src="([^"]+)"', page.read_text())
    for relative in images:
        assert (run / relative).read_bytes()[:8] == PNG, relative
        assert (run / relative).stat().st_size > 5_000
    assert not list(run.rglob("*.tmp"))
    return sorted(images)


def test_a_binary_run_has_every_section_in_order_and_its_images(tmp_path):
    run = tmp_path / "icu"
    models = _binary_run(run, gru_noise=1.5)
    page = write_report(run)
    assert _headings(page) == [
        "Training",
        "Model vs baselines",
        "Per class",
        "Confusion matrix",
        "ROC and precision-recall curves",
        "Calibration",
        "Risk over time",
        "Attention",
        "Settings",
    ]
    assert _images(run, page) == [
        "plots/calibration.png",
        "plots/confusion.png",
        "plots/loss.png",
        "plots/precision_recall.png",
        "plots/risk_over_time.png",
        "plots/roc.png",
    ]
    text = page.read_text()
    assert "<title>Classification run: icu</title>" in text
    assert "synthetic &lt;stays&gt;" in text and "summary_logistic" in text
    gru, other = models["gru"]["roc_auc"], models["summary_logistic"]["roc_auc"]
    assert gru > other
    assert f"The GRU beats summary_logistic on ROC-AUC ({gru:.3f} vs {other:.3f})." in text
    assert "The GRU beats majority on ROC-AUC (" in text and "cannot be compared" not in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "predicted: <b>neg</b> (probability 0.910)" in text


def test_the_sentence_says_when_the_gru_does_not_beat_a_baseline(tmp_path):
    models = _binary_run(tmp_path, gru_noise=4.0, optional=False)
    gru, other = models["gru"]["roc_auc"], models["summary_logistic"]["roc_auc"]
    assert gru < other
    text = write_report(tmp_path).read_text()
    assert f"The GRU does not beat summary_logistic on ROC-AUC ({gru:.3f} vs {other:.3f})." in text
    assert "Risk over time" not in text and "Attention" not in text


def test_a_multiclass_run_compares_accuracy_and_skips_the_curves_with_a_note(tmp_path):
    models = _multiclass_run(tmp_path)
    page = write_report(tmp_path)
    headings = _headings(page)
    assert headings[1:6] == [
        "Model vs baselines",
        "Per class",
        "Confusion matrix",
        "ROC and precision-recall curves",
        "Calibration",
    ]
    assert "Risk over time" not in headings and "Attention" not in headings
    assert _images(tmp_path, page) == ["plots/calibration.png", "plots/confusion.png",
                                       "plots/loss.png"]  # fmt: skip
    text = page.read_text()
    assert "Drawn for two classes only; this run has 3" in text
    gru, tfidf = models["gru"]["accuracy"], models["tfidf_logistic"]["accuracy"]
    assert gru > tfidf
    assert f"The GRU beats tfidf_logistic on accuracy ({gru:.3f} vs {tfidf:.3f})." in text
    assert "precision_macro" in text and "horror" in text


def test_a_run_with_only_a_config_gets_a_page_without_the_classification_sections(tmp_path):
    _config(tmp_path, ["a", "b"], 0.5, "series")
    (tmp_path / "history.json").unlink()
    page = write_report(tmp_path)
    assert _headings(page) == ["Settings"]


def test_the_sentence_handles_an_undefined_metric_and_no_baseline():
    models = {"gru": {"roc_auc": 0.9}, "majority": {"roc_auc": None}}
    sentence = beats_sentence(models, binary=True)
    assert sentence == "The GRU and majority cannot be compared on ROC-AUC (undefined)."
    assert "no baselines" in beats_sentence({"gru": {"accuracy": 0.5}}, binary=False)
    tie = beats_sentence({"gru": {"accuracy": 0.5}, "majority": {"accuracy": 0.5}}, binary=False)
    assert "does not beat majority" in tie


def test_attention_spans_are_escaped_and_shaded_by_weight():
    piece = attention_html(["a&b", "<script>alert(1)</script>"], [1.0, 4.0], label="x<y")
    assert "<script>" not in piece and "&lt;script&gt;alert(1)&lt;/script&gt;" in piece
    assert "a&amp;b" in piece and "x&lt;y" in piece
    shades = [float(s) for s in re.findall(r"rgba\(220, 40, 40, ([0-9.]+)\)", piece)]
    assert shades == [0.25, 1.0]
    with pytest.raises(ValueError, match="`weights` must have one weight per token"):
        attention_html(["a", "b"], [1.0])


def test_the_plots_refuse_inputs_that_do_not_fit(tmp_path):
    with pytest.raises(ValueError, match="`matrix` must be 2 x 2"):
        plot_confusion([[1, 2, 3]], ["a", "b"], tmp_path / "c.png")
    with pytest.raises(ValueError, match="`labels` must hold both classes"):
        plot_roc_curves({"gru": [0.1, 0.2]}, [1, 1], tmp_path / "r.png")
    with pytest.raises(ValueError, match=r"`scores\['gru'\]` must have one score per label"):
        plot_roc_curves({"gru": [0.1]}, [0, 1], tmp_path / "r.png")
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "r.png").exists()
