"""The HTML report of a run directory: metric tables and the PNG plots, on one static page.

A run directory (written by ``grukit train`` and ``grukit evaluate``) holds::

    config.json  model.safetensors  history.json    the model (grukit.load reads these)
    metrics.json                                    the evaluation (vs baselines, or detection)
    backtest.csv | detections.csv | scores.csv      rolling forecasts, scores and flags, or
                                                    the classifiers' probabilities
    examples.json                                   a tagger's sentences, gold and predicted
    attention.json                                  a classifier's or translator's attention
    samples.json  sample.mid  real.mid              a generator's samples, and for music its
                                                    first sample and a real piece as MIDI
    plots/*.png  report.html                        written by write_report

The page references the PNGs by relative path, so the folder can be moved or zipped as a whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from grukit.io import atomic_write_text, read_json
from grukit.report._pieces import image_html, table_html

__all__ = ["image_html", "render_page", "table_html", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f4f4f4; } img { max-width: 100%; margin: .5em 0; }
.note { color: #666; font-size: .9em; } code { background: #f4f4f4; padding: 0 .2em; }
"""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "target"


def render_page(title: str, sections: Sequence[tuple[str, str]], *, intro: str = "") -> str:
    """A complete HTML page; `sections` are ``(heading, html body)`` pairs."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    if intro:
        body.append(f'<p class="note">{intro}</p>')
    for heading, content in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>\n{content}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _training_section(run: Path, plots: Path) -> tuple[str, str] | None:
    from grukit.report.plots import plot_loss_curves

    path = run / "history.json"
    if not path.exists():
        return None
    history = read_json(path, description="training history")
    if not history.get("train_loss"):
        return None
    image = plot_loss_curves(history, plots / "loss.png")
    summary = (
        f"<p>{len(history['train_loss'])} epochs; best epoch {history.get('best_epoch')} "
        f"(monitored: {html.escape(str(history.get('monitor')))}); stopped by "
        f"<code>{html.escape(str(history.get('stop_reason')))}</code>.</p>"
    )
    return "Training", summary + image_html(f"plots/{image.name}", "loss curves")


def _forecast_sections(run: Path, plots: Path, config: dict[str, Any]) -> list[tuple[str, str]]:
    from grukit.report.plots import plot_error_by_step, plot_forecast
    from grukit.tasks.evaluation import table_from_record

    sections = []
    metrics_path = run / "metrics.json"
    if metrics_path.exists():
        record = read_json(metrics_path, description="metrics file")
        for target, table in table_from_record(record["tables"]).items():
            overall = table[[c for c in table.columns if "@" not in str(c)]]
            per_step = table[[c for c in table.columns if str(c).startswith(("rmse@", "mae@"))]]
            image = plot_error_by_step(table, plots / f"rmse_by_step_{_slug(target)}.png")
            sections.append(
                (
                    f"Model vs baselines: {target}",
                    f'<p class="note">{record.get("windows")} forecast windows of '
                    f"{html.escape(str(record.get('data', 'the evaluation data')))}; original "
                    "units; MAPE and sMAPE in percent"
                    + (
                        f"; MAPE {html.escape(record['mape'][target])}"
                        if target in record.get("mape", {})
                        else ""
                    )
                    + ".</p>"
                    + table_html(overall)
                    + table_html(per_step)
                    + image_html(f"plots/{image.name}", f"RMSE per step, {target}"),
                )
            )
    backtest_path = run / "backtest.csv"
    if backtest_path.exists():
        backtest = pd.read_csv(backtest_path)
        id_column = config["params"].get("id_column")
        for target in pd.unique(backtest["target"].astype(str)):
            image = plot_forecast(
                backtest,
                plots / f"forecast_{_slug(target)}.png",
                target=target,
                id_column=id_column,
            )
            sections.append(
                (f"Forecast vs actual: {target}", image_html(f"plots/{image.name}", "forecast"))
            )
    return sections


def _detection_sections(run: Path, plots: Path, config: dict[str, Any]) -> list[tuple[str, str]]:
    from grukit.report.plots import plot_anomalies

    sections = []
    fitted = config["fitted"]
    metrics_path = run / "metrics.json"
    if metrics_path.exists():
        record = read_json(metrics_path, description="metrics file")
        scores = pd.DataFrame([record["detection"]], index=pd.Index(["gru"], name="model"))
        sections.append(("Detection scores", table_html(scores)))
    detections_path = run / "detections.csv"
    if detections_path.exists():
        detections = pd.read_csv(detections_path)
        image = plot_anomalies(
            detections,
            plots / "anomalies.png",
            threshold=float(fitted["threshold"]),
            columns=fitted["columns"],
            time_column=fitted.get("time_column"),
            label_column=config["params"].get("label_column"),
        )
        sections.append(
            ("Anomaly scores, threshold and flags", image_html(f"plots/{image.name}", "anomalies"))
        )
    return sections


def write_report(run_dir: str | Path, *, title: str | None = None) -> Path:
    """Draw the plots of a run into ``run_dir/plots`` and write ``run_dir/report.html``.

    Uses what the run holds: the loss curves always (``history.json``); for a forecaster the
    model-vs-baselines tables (``metrics.json``), errors per step and forecasts against the
    truth (``backtest.csv``); for a detector the detection scores and the series with scores,
    threshold and flags (``detections.csv``); for a sequence classifier the model-vs-baselines
    and per-class tables, the confusion matrix, ROC, precision-recall and reliability curves,
    the risk over time and the attention over tokens (see
    :mod:`grukit.report.classification_page`); for a sequence tagger the model-vs-baseline
    entity scores, the scores and F1 per entity type, the entity-type confusion
    (``metrics.json``) and example sentences with their gold and predicted entities
    highlighted (``examples.json``; see :mod:`grukit.report.tagging_page`); for a sequence
    generator the learning curves with the perplexity, the model-vs-baseline table
    (``metrics.json``), the samples (``samples.json``) and the piano rolls of ``sample.mid``
    beside ``real.mid`` (see :mod:`grukit.report.generation_page`); for a translator
    (``seq2seq``) the learning curves with the perplexity, the model-vs-baseline table with
    BLEU, chrF and their signatures, example translations (``metrics.json``) and the
    attention heat maps (``attention.json``; see :mod:`grukit.report.translation_page`).
    Returns the page's path.

    Raises
    ------
    FileNotFoundError
        `run_dir` holds no model (``config.json``).
    """
    run = Path(run_dir)
    config_path = run / "config.json"
    if not config_path.exists():
        raise FileNotFoundError(f"no grukit run in '{run}': '{config_path}' does not exist")
    config = read_json(config_path, description="model config")
    plots = run / "plots"
    plots.mkdir(exist_ok=True)
    sections = []
    task = config.get("task")
    perplexity = task in ("sequence_generator", "seq2seq")
    training = None if perplexity else _training_section(run, plots)
    if training is not None:  # a token model's learning curves carry its perplexity instead
        sections.append(training)
    if task == "forecaster":
        sections += _forecast_sections(run, plots, config)
        kind = "Forecast"
    elif task == "sequence_classifier":
        from grukit.report.classification_page import classification_sections

        sections += classification_sections(run, plots, config)
        kind = "Classification"
    elif task == "sequence_tagger":
        from grukit.report.tagging_page import tagging_sections

        sections += tagging_sections(run, plots, config)
        kind = "Tagging"
    elif task == "sequence_generator":
        from grukit.report.generation_page import generation_sections

        sections += generation_sections(run, plots, config)
        kind = "Generation"
    elif task == "seq2seq":
        from grukit.report.translation_page import translation_sections

        sections += translation_sections(run, plots, config)
        kind = "Translation (sequence to sequence)"
    else:
        sections += _detection_sections(run, plots, config)
        kind = "Anomaly detection"
    params = {k: v for k, v in config["params"].items() if k not in ("gru_config", "train_config")}
    settings = pd.DataFrame({"value": [str(v) for v in params.values()]}, index=list(params))
    sections.append(("Settings", table_html(settings)))
    page = render_page(title or f"{kind} run: {run.resolve().name}", sections)
    return atomic_write_text(run / "report.html", page)
