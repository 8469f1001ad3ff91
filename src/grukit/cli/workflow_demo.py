"""``grukit demo`` (and ``make demo``): the main workflows on built-in data, offline, in ~a minute.

1. The tutorials' sine wave: a next-value GRU and a 50-step autoregressive rollout
   (:func:`grukit.cli.demo.run_sine_demo`).
2. Forecasting a noisy series with daily and weekly seasons: ``grukit train forecast`` on a CSV
   the demo writes, the GRU against persistence and seasonal naive on the test part.
3. Anomaly detection on the same kind of series with injected spikes, level shifts and noise
   bursts: ``grukit train detect`` with the GRU autoencoder, scored against the labels.
4. ICU mortality risk from irregular vital signs: ``grukit train classify`` on synthetic stays
   in the PhysioNet 2012 format, the GRU against a summary-feature logistic regression, and
   its risk streamed after 6-48 h (:mod:`grukit.cli.classify_demo`).
5. Sentiment of reviews: ``grukit train classify --pooling attention`` on a synthetic reviews
   CSV, the GRU against TF-IDF + logistic regression, with the attention over a review.
6. Named entities: ``grukit train tag`` (a BiGRU-CRF) on generated CoNLL files, against the
   most-frequent-tag baseline, scored per entity (:mod:`grukit.cli.tag_demo`).
7. Text: ``grukit train generate --level char`` on grukit's own docstrings, its bits per
   character against the unigram baseline, and a sample (:mod:`grukit.cli.generate_demo`).
8. Date normalisation: ``grukit train seq2seq --tokens char`` on generated TSV files of dates
   in a dozen formats and their ISO form, scored by exact match against copying the source
   (:mod:`grukit.cli.translate_demo`).

Everything lands in one folder with an HTML report (``report.html``) that links the runs'
reports; the CSVs let a newcomer repeat each step with the printed command, which is rendered
from the very options the demo runs (the seed and one thread included), so it reproduces the
demo's numbers exactly, into a fresh folder beside the demo's run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grukit.cli.demo_commands import THREADS, command_line, fresh_run

__all__ = ["THREADS", "run_demo"]

Echo = Callable[[str], None]


def _settings(quick: bool) -> dict[str, Any]:
    if quick:  # a smoke test: seconds, not meaningful numbers
        return {
            "rows": 1200, "sine_epochs": 3, "epochs": 2, "anomalies": 3,
            "stays": 120, "icu_epochs": 2, "reviews": 300, "sentiment_epochs": 2,
            "sentences": 200, "tag_epochs": 2,
            "characters": 20000, "generate_hidden": 64, "generate_epochs": 5, "generate_batch": 8,
            "dates": 300, "seq2seq_hidden": 16, "seq2seq_epochs": 1,
        }  # fmt: skip
    return {
        "rows": 4000, "sine_epochs": 60, "epochs": 50, "anomalies": 12,
        "stays": 600, "icu_epochs": 15, "reviews": 2000, "sentiment_epochs": 10,
        "sentences": 1200, "tag_epochs": 8,
        "characters": 120000, "generate_hidden": 128, "generate_epochs": 3, "generate_batch": 32,
        "dates": 3000, "seq2seq_hidden": 64, "seq2seq_epochs": 8,
    }  # fmt: skip


def run_demo(*, out: Path, seed: int = 0, quick: bool = False, echo: Echo = print) -> dict:
    """Run the eight demo parts and write ``out/report.html``; returns their key numbers."""
    started = time.perf_counter()
    # Its models are small: grukit trains and predicts with one thread for them, as for any model
    # (grukit.runtime.compute_threads), unless the user chose a count; the printed commands
    # name that count (THREADS) so that they repeat the demo exactly.
    return _run(out, seed, _settings(quick), echo, started)


def _run(out: Path, seed: int, settings: dict[str, Any], echo: Echo, started: float) -> dict:
    """The eight parts in turn, then the demo's report and a summary of their numbers."""
    from grukit.cli.classify_demo import classification_numbers, icu_part, sentiment_part
    from grukit.cli.demo import run_sine_demo
    from grukit.cli.generate_demo import generation_numbers, generation_part
    from grukit.cli.tag_demo import tagging_numbers, tagging_part
    from grukit.cli.translate_demo import seq2seq_numbers, seq2seq_part
    from grukit.io import read_json
    from grukit.tasks.evaluation import table_from_record

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    classified: dict[str, Any] = {}

    echo("== 1/8  Sine wave: next-value GRU, rolled out 50 steps (the tutorials' example) ==")
    sine = run_sine_demo(out=out, seed=seed, epochs=settings["sine_epochs"], echo=echo)
    echo("\n== 2/8  Forecasting a noisy series with daily and weekly seasons ==")
    forecast_run = _forecast_part(out, seed, settings, echo)
    echo("\n== 3/8  Anomaly detection: spikes, level shifts and noise bursts ==")
    detect_run = _detect_part(out, seed, settings, echo)
    echo("\n== 4/8  ICU mortality risk from irregular vital signs (PhysioNet format) ==")
    icu_run = icu_part(out, seed, settings, echo)
    echo("\n== 5/8  Sentiment of reviews: GRU with attention vs TF-IDF ==")
    sentiment_run = sentiment_part(out, seed, settings, echo)
    echo("\n== 6/8  Named entities: BiGRU-CRF vs the most frequent tag ==")
    classified["entities"] = tagging_numbers(tagging_part(out, seed, settings, echo))
    echo("\n== 7/8  Text: a character GRU on grukit's own docstrings vs the unigram model ==")
    classified["text"] = generation_numbers(generation_part(out, seed, settings, echo))
    echo("\n== 8/8  Date normalisation: a character GRU encoder-decoder with attention ==")
    classified["dates"] = seq2seq_numbers(seq2seq_part(out, seed, settings, echo))

    forecast_record = read_json(forecast_run / "metrics.json")
    table = next(iter(table_from_record(forecast_record["tables"]).values()))
    detection = read_json(detect_run / "metrics.json")["detection"] or {}
    overall = table[["rmse", "mae", "smape", "rmse@1", "rmse@12"]]
    scores = {k: detection.get(k) for k in ("precision", "recall", "f1", "roc_auc")}
    classified.update(classification_numbers(icu_run, sentiment_run))
    report = _write_demo_report(out, sine, overall, scores, classified)
    _summary(echo, overall, scores, classified)
    echo(f"\nReport written to {report.resolve()}")
    elapsed = time.perf_counter() - started
    echo(f"Demo finished in {elapsed:.0f} s.")
    return {
        "sine": sine,
        "forecast": table,
        "detection": detection,
        "icu": classified["icu"],
        "sentiment": classified["sentiment"],
        "entities": classified["entities"],
        "text": classified["text"],
        "dates": classified["dates"],
        "seconds": elapsed,
    }


def _summary(echo: Echo, overall: Any, scores: dict[str, Any], classified: dict) -> None:
    from grukit.cli.classify_demo import summary_lines

    echo("\n== Summary ==")
    echo(overall.to_string(float_format=lambda v: f"{v:.4g}"))
    echo(
        "Detection: "
        + ", ".join(f"{k} {v:.3f}" if v is not None else f"{k} -" for k, v in scores.items())
    )
    from grukit.cli.tag_demo import tagging_summary

    for line in summary_lines(classified):
        echo(line)
    echo(tagging_summary(classified["entities"]))
    from grukit.cli.generate_demo import generation_summary

    echo(generation_summary(classified["text"]))
    from grukit.cli.translate_demo import seq2seq_summary

    echo(seq2seq_summary(classified["dates"]))


def _forecast_part(out: Path, seed: int, settings: dict[str, Any], echo: Echo) -> Path:
    """Write ``seasonal.csv``, run ``grukit train forecast`` on it and its report; the run."""
    from grukit.cli.commands import run_train_forecast
    from grukit.data import multi_seasonal_with_anomalies
    from grukit.io import atomic_write_text
    from grukit.report import write_report

    series = multi_seasonal_with_anomalies(
        settings["rows"], seed=seed, n_anomalies=0, noise=0.15, periods=(24, 168)
    ).drop(columns=["anomaly"])
    series_csv = out / "seasonal.csv"
    atomic_write_text(series_csv, series.to_csv(index=False))
    forecast_run = out / "forecast"
    fresh_run(forecast_run)
    forecast_options = {
        "data": series_csv,
        "target": "value",
        "lookback": 48,
        "horizon": 12,
        "out": forecast_run,
        "test_fraction": 0.2,
        "hidden_size": 32,
        "epochs": settings["epochs"],
        "seed": seed,
        "lr": 3e-3,
        "threads": THREADS,
    }
    echo(f"$ {command_line('forecast', forecast_options)}")
    run_train_forecast(forecast_options)
    write_report(forecast_run, title="Demo: forecasting a multi-seasonal series")
    return forecast_run


def _detect_part(out: Path, seed: int, settings: dict[str, Any], echo: Echo) -> Path:
    """Write ``anomalies.csv``, run ``grukit train detect`` on it and its report; the run."""
    from grukit.cli.commands import run_train_detect
    from grukit.data import multi_seasonal_with_anomalies
    from grukit.io import atomic_write_text
    from grukit.report import write_report

    anomalies = multi_seasonal_with_anomalies(
        settings["rows"],
        seed=seed + 1,
        n_anomalies=settings["anomalies"],
        noise=0.1,
        kinds=("spike", "level_shift", "noise_burst"),
    )
    anomalies_csv = out / "anomalies.csv"
    atomic_write_text(anomalies_csv, anomalies.to_csv(index=False))
    detect_run = out / "detect"
    fresh_run(detect_run)
    detect_options = {
        "data": anomalies_csv,
        "columns": "value",
        "label_column": "anomaly",
        "window": 48,
        "out": detect_run,
        "test_fraction": 0.5,
        "epochs": settings["epochs"],
        "seed": seed,
        "lr": 3e-3,
        "threads": THREADS,
    }
    echo(f"$ {command_line('detect', detect_options)}")
    run_train_detect(detect_options)
    write_report(detect_run, title="Demo: anomaly detection")
    return detect_run


def _write_demo_report(
    out: Path, sine: dict[str, float], overall: Any, scores: dict[str, Any], classified: dict
) -> Path:
    """Write ``out/report.html``: the eight parts' numbers and plots, linking the runs' reports."""
    import html

    import pandas as pd

    from grukit.cli.classify_demo import classification_sections
    from grukit.cli.generate_demo import generation_section
    from grukit.cli.tag_demo import tagging_section
    from grukit.cli.translate_demo import seq2seq_section
    from grukit.io import atomic_write_text
    from grukit.report import image_html, render_page, table_html

    sections = [
        (
            "1. Sine wave: autoregressive rollout",
            f"<p>One-step test MSE: GRU {sine['test_mse']:.5f}, persistence "
            f"{sine['persistence_mse']:.5f}. 50-step rollout MSE: GRU {sine['rollout_mse']:.5f}, "
            f"repeating the last value {sine['persistence_rollout_mse']:.5f}.</p>"
            + image_html("sine_rollout.png", "sine rollout"),
        ),
        (
            "2. Forecast: model vs baselines (test part)",
            table_html(overall)
            + image_html("forecast/plots/forecast_value.png", "forecast vs actual")
            + image_html("forecast/plots/rmse_by_step_value.png", "RMSE per step")
            + '<p><a href="forecast/report.html">The full forecasting report</a></p>',
        ),
        (
            "3. Anomaly detection (test part)",
            table_html(pd.DataFrame([scores], index=["gru autoencoder"]))
            + image_html("detect/plots/anomalies.png", "anomaly scores")
            + '<p><a href="detect/report.html">The full detection report</a></p>',
        ),
        *classification_sections(classified, out / "sentiment"),
        tagging_section(classified["entities"]),
        generation_section(classified["text"]),
        seq2seq_section(classified["dates"]),
    ]
    page = render_page(
        "grukit demo",
        sections,
        intro=html.escape(
            "Built-in synthetic data, trained on this machine. Repeat any step with the "
            "commands printed by `grukit demo`."
        ),
    )
    return atomic_write_text(out / "report.html", page)
