"""Evaluating a trained run and writing what the report reads: metrics.json and the CSVs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import typer

__all__ = ["evaluate_detector", "evaluate_forecaster", "format_forecast_table", "write_csv"]


def _echo(text: str = "") -> None:
    typer.echo(text)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    from grukit.io import atomic_write_text

    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return atomic_write_text(path, buffer.getvalue())


def format_forecast_table(table: pd.DataFrame, horizon: int) -> str:
    """The overall metrics and RMSE/MAE at the first and last steps, for the terminal."""
    steps = range(1, horizon + 1) if horizon <= 6 else (1, horizon)
    shown = ["rmse", "mae", "mape", "smape"]
    shown += [f"{m}@{k}" for m in ("rmse", "mae") for k in steps]
    shown = [c for c in shown if c in table.columns]  # no MAPE for a target crossing zero
    return table[shown].to_string(float_format=lambda v: f"{v:.4g}", na_rep="-")


def evaluate_forecaster(
    model: Any, data: pd.DataFrame, split: dict[str, Any] | None, out: Path, source: str
) -> pd.DataFrame:
    """Backtest `model` on the windows forecasting into the test part `split` of `data` (all of
    `data` without one); history rows before the test part are never scored. One batch of
    windows is in memory at a time: ``backtest.csv`` is written and the metrics summed batch by
    batch."""
    from grukit.io import atomic_write_chunks, write_json
    from grukit.tasks.evaluation import EvaluationSums, table_to_record

    sums = EvaluationSums()

    def csv_parts() -> Any:
        for index, part in enumerate(model.backtest_batches(data, **(split or {}))):
            sums.add(part)
            yield part.to_csv(index=False, header=index == 0).encode("utf-8")

    atomic_write_chunks(out / "backtest.csv", csv_parts())
    table = sums.table()
    record = {
        "task": model.task,
        "data": source,
        "windows": table.attrs["windows"],
        "period": model.period_,
        "tables": table_to_record(table),
        "mape": table.attrs["mape"],  # targets whose MAPE is left out, and why
    }
    write_json(out / "metrics.json", record)
    tables = (
        {t: table[t] for t in model.targets_}
        if len(model.targets_) > 1
        else {model.targets_[0]: table}
    )
    for target, part in tables.items():
        _echo(
            f"\n{target}: model vs baselines on {table.attrs['windows']} windows of {source} "
            "(original units; MAPE/sMAPE in %)"
            + (f"; MAPE {table.attrs['mape'][target]}" if target in table.attrs["mape"] else "")
        )
        _echo(format_forecast_table(part, model.horizon))
    _echo(f"\nMetrics written to {out / 'metrics.json'}")
    return table


def evaluate_detector(
    model: Any, data: pd.DataFrame, split: dict[str, Any] | None, out: Path, source: str
) -> dict | None:
    """Detect on the test part `split` of `data` (all of `data` without one)."""
    from grukit.io import write_json
    from grukit.tasks.runs import split_test
    from grukit.tasks.scoring import detection_scores

    if split is not None:
        options = {**split, "id_column": model.id_column}
        data = split_test(data, options, model.time_column_, context=model.test_context())[1]
    detections = model.detect(data)
    write_csv(detections, out / "detections.csv")
    record: dict[str, Any] = {"task": model.task, "data": source, "detection": None}
    scores = None
    if model.label_column is not None and model.label_column in detections.columns:
        scores = detection_scores(
            detections[model.label_column], detections["score"], model.threshold_
        )
        record["detection"] = scores
        _echo(
            f"\nDetection on {source}: "
            + ", ".join(
                f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in scores.items()
            )
        )
    else:
        flagged = int(detections["flag"].sum())
        _echo(f"\n{flagged} of {len(detections)} rows of {source} flagged (no labels to score)")
    write_json(out / "metrics.json", record)
    return scores
