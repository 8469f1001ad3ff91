"""PNG plots of a run: loss curves, forecasts against the truth, errors per step, anomaly scores.

Every function draws one figure with matplotlib's non-interactive Agg backend and writes it
atomically (a reader never sees a half-written PNG); it returns the path written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit.report._figures import pyplot, save_figure

__all__ = ["plot_anomalies", "plot_error_by_step", "plot_forecast", "plot_loss_curves"]

MODEL_STYLES = {
    "gru": {"color": "tab:red", "linestyle": "-", "label": "GRU"},
    "persistence": {"color": "tab:blue", "linestyle": ":", "label": "persistence"},
    "seasonal_naive": {"color": "tab:green", "linestyle": "--", "label": "seasonal naive"},
}


def plot_loss_curves(history: Mapping[str, Any], path: str | Path) -> Path:
    """Training (and validation) loss per epoch, log scale, the best epoch marked.

    `history` is :meth:`grukit.train.History.to_dict` (the run's ``history.json``).
    """
    plt = pyplot()
    train = np.asarray(history["train_loss"], dtype=np.float64)
    epochs = np.arange(1, train.size + 1)
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(epochs, train, marker="o", markersize=3, label="training loss")
    validation = [np.nan if v is None else v for v in history.get("val_loss", [])]
    if validation and not np.isnan(np.asarray(validation, dtype=np.float64)).all():
        axis.plot(
            epochs,
            np.asarray(validation, dtype=np.float64),
            marker="o",
            markersize=3,
            label="validation loss",
        )
    best = history.get("best_epoch")
    if best:
        axis.axvline(best, color="0.6", linestyle="--", linewidth=1, label=f"best epoch ({best})")
    if np.all(train[np.isfinite(train)] > 0):
        axis.set_yscale("log")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss (scaled units)")
    axis.set_title("Loss curves")
    axis.legend()
    return save_figure(figure, path)


def plot_forecast(
    backtest: pd.DataFrame,
    path: str | Path,
    *,
    target: str | None = None,
    steps: Sequence[int] | None = None,
    last: int = 240,
    series: Any = None,
    id_column: str | None = None,
) -> Path:
    """Forecasts of the model and the baselines against the truth, one panel per step ahead.

    Parameters
    ----------
    backtest : DataFrame
        From :meth:`grukit.Forecaster.backtest` (or the run's ``backtest.csv``).
    target : str, optional
        Default: the first target.
    steps : sequence of int, optional
        Steps ahead to show; default the first and the last.
    last : int
        Show the last `last` forecast times.
    series, id_column
        With several series, the one to show (default the first).
    """
    plt = pyplot()
    frame = backtest
    target = str(frame["target"].iloc[0]) if target is None else target
    frame = frame[frame["target"].astype(str) == target]
    if id_column is not None and id_column in frame.columns:
        series = frame[id_column].iloc[0] if series is None else series
        frame = frame[frame[id_column] == series]
    horizon = int(frame["step"].max())
    steps = sorted({1, horizon}) if steps is None else list(steps)
    known = _BACKTEST_KNOWN | {id_column}
    x_name = next((c for c in frame.columns if c not in known), "row")
    figure, axes = plt.subplots(len(steps), 1, figsize=(10, 3.2 * len(steps)), squeeze=False)
    for axis, step in zip(axes[:, 0], steps, strict=True):
        part = frame[frame["step"] == step].tail(last)
        x = pd.to_datetime(part[x_name]) if x_name != "row" else part[x_name]
        axis.plot(x, part["actual"], color="black", linewidth=1.4, label="actual")
        for model, style in MODEL_STYLES.items():
            if model in part.columns and part[model].notna().any():
                axis.plot(x, part[model], linewidth=1.1, **style)
        axis.set_title(f"{target}: {step} step{'s' if step > 1 else ''} ahead")
        axis.legend(loc="upper left", fontsize=8, ncol=4)
    figure.autofmt_xdate()
    return save_figure(figure, path)


_BACKTEST_KNOWN = {"window", "step", "target", "actual", *MODEL_STYLES}


def plot_error_by_step(table: pd.DataFrame, path: str | Path, *, metric: str = "rmse") -> Path:
    """`metric` per horizon step for each model (a row of the evaluation table each)."""
    plt = pyplot()
    columns = [c for c in table.columns if str(c).startswith(f"{metric}@")]
    columns.sort(key=lambda c: int(str(c).split("@")[1]))  # as numbers: @2 before @10
    steps = [int(str(c).split("@")[1]) for c in columns]
    figure, axis = plt.subplots(figsize=(7, 4))
    for model, row in table.iterrows():
        style = dict(MODEL_STYLES.get(str(model), {"label": str(model)}))
        axis.plot(steps, row[columns].to_numpy(dtype=np.float64), marker="o", **style)
    axis.set_xlabel("steps ahead")
    axis.set_ylabel(metric.upper())
    axis.set_xticks(steps)
    axis.set_title(f"{metric.upper()} per horizon step (lower is better)")
    axis.legend()
    return save_figure(figure, path)


def plot_anomalies(
    detections: pd.DataFrame,
    path: str | Path,
    *,
    threshold: float,
    columns: Sequence[str],
    time_column: str | None = None,
    label_column: str | None = None,
    last: int | None = None,
) -> Path:
    """The series with flagged rows (and labelled anomalies, shaded), and the score with the
    threshold.

    `detections` is :meth:`grukit.AnomalyDetector.detect`'s table (the run's
    ``detections.csv``): the value columns, ``score`` and ``flag``.
    """
    plt = pyplot()
    frame = detections if last is None else detections.tail(last)
    if time_column is not None and time_column in frame.columns:
        x = pd.to_datetime(frame[time_column]).to_numpy()
    else:
        x = np.arange(len(frame))
    flagged = frame["flag"].to_numpy() == 1
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    for name in columns:
        top.plot(x, frame[name], linewidth=0.8, label=name)
        values = frame[name].to_numpy()
        top.scatter(x[flagged], values[flagged], color="tab:red", s=12, zorder=3)
    if label_column is not None and label_column in frame.columns:
        labels = frame[label_column].to_numpy() == 1
        for axis in (top, bottom):
            axis.fill_between(
                x,
                0,
                1,
                where=labels,
                color="tab:orange",
                alpha=0.25,
                transform=axis.get_xaxis_transform(),
                label="labelled anomaly",
            )
    top.scatter([], [], color="tab:red", s=12, label="flagged")
    top.legend(loc="upper left", fontsize=8, ncol=3)
    top.set_title("Series and flagged rows")
    bottom.plot(x, frame["score"], color="0.2", linewidth=0.8, label="anomaly score")
    bottom.axhline(threshold, color="tab:red", linestyle="--", label=f"threshold {threshold:.3g}")
    scores = frame["score"].to_numpy(dtype=np.float64)
    if np.nanmin(scores, initial=np.inf) > 0:
        bottom.set_yscale("log")
    bottom.legend(loc="upper left", fontsize=8)
    bottom.set_title("Anomaly score")
    if time_column is not None:
        figure.autofmt_xdate()
    return save_figure(figure, path)
