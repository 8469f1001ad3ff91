"""``grukit demo`` (and ``make demo``): the main workflows on built-in data, offline, in ~a minute.

1. The tutorials' sine wave: a next-value GRU and a 50-step autoregressive rollout
   (:func:`grukit.cli.demo.run_sine_demo`).
2. Forecasting a noisy series with daily and weekly seasons: ``grukit train forecast`` on a CSV
   the demo writes, the GRU against persistence and seasonal naive on the test part.
3. Anomaly detection on the same kind of series with injected spikes, level shifts and noise
   bursts: ``grukit train detect`` with the GRU autoencoder, scored against the labels.

Everything lands in one folder with an HTML report (``report.html``) that links the runs'
reports; the CSVs let a newcomer repeat each step with the printed command, which is rendered
from the very options the demo runs (the seed and one thread included), so it reproduces the
demo's numbers exactly, into a fresh folder beside the demo's run.
"""

from __future__ import annotations

import shlex
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["run_demo"]

Echo = Callable[[str], None]


def _settings(quick: bool) -> dict[str, Any]:
    if quick:  # a smoke test: seconds, not meaningful numbers
        return {"rows": 1200, "sine_epochs": 3, "epochs": 2, "anomalies": 3}
    return {"rows": 4000, "sine_epochs": 60, "epochs": 50, "anomalies": 12}


#: the training commands' thread count: small GRUs train fastest on one thread, and one thread
#: never waits for a core that another process holds (two threads on a busy 2-core machine made
#: this demo 15x slower); the printed commands repeat it, so they give the same numbers
THREADS = 1


def _fresh_run(path: Path) -> None:
    """Remove a previous demo run (only a folder grukit made: it holds run.json)."""
    if (path / "run.json").exists():
        shutil.rmtree(path)


def _command_line(command: str, options: dict[str, Any]) -> str:
    """``grukit train COMMAND DATA --option value ...`` for `options`, writing into a fresh
    ``--out`` beside the demo's run (``RUN-again``: the demo's own run stays as it is)."""
    words = ["grukit", "train", command, str(options["data"])]
    for name, value in options.items():
        if name in ("data", "out"):
            continue
        words += [
            f"--{name.replace('_', '-')}",
            f"{value:g}" if isinstance(value, float) else str(value),
        ]
    words += ["--out", f"{options['out']}-again"]
    return " ".join(shlex.quote(word) for word in words)


def run_demo(*, out: Path, seed: int = 0, quick: bool = False, echo: Echo = print) -> dict:
    """Run the three demo parts and write ``out/report.html``; returns their key numbers."""
    started = time.perf_counter()
    # Its models are small: grukit trains and predicts with one thread for them, as for any model
    # (grukit.runtime.compute_threads), unless the user chose a count; the printed commands
    # name that count (THREADS) so that they repeat the demo exactly.
    return _run(out, seed, _settings(quick), echo, started)


def _run(out: Path, seed: int, settings: dict[str, Any], echo: Echo, started: float) -> dict:
    """The three parts in turn, then the demo's report and a summary of their numbers."""
    from grukit.cli.demo import run_sine_demo
    from grukit.io import read_json
    from grukit.tasks.evaluation import table_from_record

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    echo("== 1/3  Sine wave: next-value GRU, rolled out 50 steps (the tutorials' example) ==")
    sine = run_sine_demo(out=out, seed=seed, epochs=settings["sine_epochs"], echo=echo)
    echo("\n== 2/3  Forecasting a noisy series with daily and weekly seasons ==")
    forecast_run = _forecast_part(out, seed, settings, echo)
    echo("\n== 3/3  Anomaly detection: spikes, level shifts and noise bursts ==")
    detect_run = _detect_part(out, seed, settings, echo)

    forecast_record = read_json(forecast_run / "metrics.json")
    table = next(iter(table_from_record(forecast_record["tables"]).values()))
    detection = read_json(detect_run / "metrics.json")["detection"] or {}
    overall = table[["rmse", "mae", "smape", "rmse@1", "rmse@12"]]
    scores = {k: detection.get(k) for k in ("precision", "recall", "f1", "roc_auc")}
    report = _write_demo_report(out, sine, overall, scores)

    echo("\n== Summary ==")
    echo(overall.to_string(float_format=lambda v: f"{v:.4g}"))
    echo(
        "Detection: "
        + ", ".join(f"{k} {v:.3f}" if v is not None else f"{k} -" for k, v in scores.items())
    )
    echo(f"\nReport written to {report.resolve()}")
    elapsed = time.perf_counter() - started
    echo(f"Demo finished in {elapsed:.0f} s.")
    return {"sine": sine, "forecast": table, "detection": detection, "seconds": elapsed}


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
    _fresh_run(forecast_run)
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
    echo(f"$ {_command_line('forecast', forecast_options)}")
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
    _fresh_run(detect_run)
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
    echo(f"$ {_command_line('detect', detect_options)}")
    run_train_detect(detect_options)
    write_report(detect_run, title="Demo: anomaly detection")
    return detect_run


def _write_demo_report(
    out: Path, sine: dict[str, float], overall: Any, scores: dict[str, Any]
) -> Path:
    """Write ``out/report.html``: the three parts' numbers and plots, linking the runs' reports."""
    import html

    import pandas as pd

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
