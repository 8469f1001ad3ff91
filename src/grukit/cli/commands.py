"""What the ``grukit`` commands do: read, split, call the tasks, write the run directory, print.

A run directory (``--out RUN``) holds ``run.json`` (the resolved options, to check ``--resume``
and to find the test part again), ``checkpoints/`` (one per epoch, for ``--resume``), the model
(``config.json``, ``model.safetensors``, ``history.json``), ``metrics.json``, ``backtest.csv``
or ``detections.csv``, and after ``grukit report`` ``plots/`` and ``report.html``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from grukit.cli.options import resolve_options, split_names, train_config_from
from grukit.cli.results import evaluate_detector, evaluate_forecaster, write_csv

__all__ = [
    "DETECT_DEFAULTS",
    "FORECAST_DEFAULTS",
    "run_evaluate",
    "run_predict",
    "run_report",
    "run_train_detect",
    "run_train_forecast",
]

_COMMON = {
    "out": None,
    "time_column": "auto",
    "id_column": None,
    "fill": None,
    "test_from": None,
    "test_fraction": None,
    "validation_fraction": 0.1,
    "num_layers": 1,
    "epochs": None,
    "batch_size": None,
    "lr": None,
    "seed": None,
    "device": None,
    "threads": None,
}
FORECAST_DEFAULTS = {
    **_COMMON,
    "target": None,
    "lookback": None,
    "horizon": None,
    "covariates": None,
    "strategy": "direct",
    "scaler": "standard",
    "period": None,
    "hidden_size": 64,
}
DETECT_DEFAULTS = {
    **_COMMON,
    "columns": None,
    "window": None,
    "method": "autoencoder",
    "threshold": "p99",
    "label_column": None,
    "stride": 1,
    "scaler": "standard",
    "hidden_size": 32,
}
DEFAULT_TEST_FRACTION = 0.2
# options that may change when a run is resumed
_RESUMABLE = ("epochs", "device", "threads", "resume", "config")

Echo = Callable[[str], None]


def _echo(text: str = "") -> None:
    typer.echo(text)


class _CurrentStderr(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is at the time (pytest swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # not setStream: that flushes the old, maybe closed, stream
        super().emit(record)


@contextlib.contextmanager
def _training_lines() -> Iterator[None]:
    """Let the training loop's per-epoch lines through (when no progress bar is drawn) for the
    duration of one command, then put the logger back as it was."""
    logger = logging.getLogger("grukit.train")
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("  %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _apply_threads(options: Mapping[str, Any]) -> None:
    if options.get("threads") is not None:
        from grukit.runtime import set_num_threads

        set_num_threads(options["threads"])


def _require(options: Mapping[str, Any], names: list[str]) -> None:
    for name in names:
        if options.get(name) is None:
            raise ValueError(
                f"missing option --{name.replace('_', '-')} (give it on the command line or in "
                "the --config file)"
            )


def _time_column(value: Any) -> str | None:
    return None if value is None or str(value).lower() == "none" else str(value)


def _json_safe(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items()}


# -- run directories -------------------------------------------------------------------------------
def _start_run(out: Path, command: str, options: dict[str, Any], resume: bool) -> None:
    """Create (or check, with --resume) the run directory and record the options."""
    from grukit.io import read_json, write_json
    from grukit.train.checkpoint import has_checkpoint

    record = {"command": command, "options": _json_safe(options)}
    info = out / "run.json"
    if resume:
        if info.exists():
            previous = read_json(info, description="run record")
            old, new = previous.get("options", {}), record["options"]
            changed = [
                f"{k}={old.get(k)!r} there, {new.get(k)!r} now"
                for k in sorted(set(old) | set(new))
                if k not in _RESUMABLE and old.get(k) != new.get(k)
            ]
            if previous.get("command") != command:
                changed.insert(0, f"command {previous.get('command')!r} there, {command!r} now")
            if changed:
                raise ValueError(
                    f"--resume must repeat the options of the run in '{out}': " + "; ".join(changed)
                )
    elif has_checkpoint(out / "checkpoints") or (out / "config.json").exists():
        raise FileExistsError(
            f"run directory '{out}' already holds a run; pass --resume to continue it, or "
            "choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(info, record)


def _split(
    frame: pd.DataFrame, options: Mapping[str, Any], time_column: str | None, context: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(train part, test part or None) by --test-from or --test-fraction."""
    from grukit.data import split_by_date, split_by_fraction

    id_column = options.get("id_column")
    if options.get("test_from") is not None:
        if time_column is None:
            raise ValueError("--test-from needs a time column (see --time-column)")
        parts = split_by_date(
            frame,
            test_from=str(options["test_from"]),
            time_column=time_column,
            id_column=id_column,
            context=context,
        )
        return parts.train, parts.test
    fraction = options.get("test_fraction")
    fraction = DEFAULT_TEST_FRACTION if fraction is None else float(fraction)
    if fraction == 0:
        return frame, None
    parts = split_by_fraction(frame, 0.0, fraction, id_column=id_column, context=context)
    return parts.train, parts.test


def _check_rows(frame: pd.DataFrame, need: int, id_column: str | None, what: str) -> None:
    from grukit.data import GrukitDataError

    sizes = [len(frame)] if id_column is None else frame.groupby(id_column).size().tolist()
    if min(sizes) < need:
        raise GrukitDataError(f"need at least {what} = {need} rows per series, got {min(sizes)}")


def _describe(frame: pd.DataFrame, time_column: str | None) -> str:
    if time_column is None or frame.empty:
        return f"{len(frame)} rows"
    return f"{len(frame)} rows, {frame[time_column].iloc[0]} to {frame[time_column].iloc[-1]}"


def _validation(options: Mapping[str, Any]) -> float | None:
    value = options.get("validation_fraction")
    return None if value is None or float(value) == 0 else float(value)


# -- commands --------------------------------------------------------------------------------------
def run_train_forecast(given: dict[str, Any]) -> Any:
    """``grukit train forecast``; returns the fitted Forecaster."""
    from grukit.tasks.config import GRUConfig
    from grukit.tasks.forecaster import Forecaster
    from grukit.tasks.tables import load_frame, prepare_columns

    options, train_table, gru_table = resolve_options(given, FORECAST_DEFAULTS)
    _require(options, ["target", "lookback", "horizon", "out"])
    _apply_threads(options)
    targets = split_names(options["target"], "target")
    covariates = split_names(options["covariates"], "covariates") or []
    model = Forecaster(
        int(options["lookback"]),
        int(options["horizon"]),
        targets=targets,
        covariates=covariates,
        time_column=_time_column(options["time_column"]),
        id_column=options["id_column"],
        fill=options["fill"],
        hidden_size=options["hidden_size"],
        num_layers=options["num_layers"],
        strategy=options["strategy"],
        scaler=options["scaler"],
        period=options["period"],
        gru_config=GRUConfig.from_dict(gru_table),
        train_config=train_config_from(options, train_table),
    )
    frame, time_column = load_frame(
        given["data"], time_column=model.time_column, id_column=model.id_column
    )
    # check the whole table first, so errors name rows of the file, not of a part
    prepare_columns(
        frame,
        targets,
        covariates,
        fill=model.fill,
        time_column=time_column,
        id_column=model.id_column,
    )
    _check_rows(frame, model.lookback + model.horizon, model.id_column, "lookback + horizon")
    out = Path(options["out"])
    resume = bool(options.get("resume"))
    _start_run(out, "forecast", {**options, "data": str(given["data"])}, resume)
    train_part, _ = _split(frame, options, time_column, context=0)
    _echo(f"Training a GRU forecaster on {_describe(train_part, time_column)} ...")
    with _training_lines():
        model.fit(
            train_part,
            validation=_validation(options),
            resume=resume,
            checkpoint_dir=out / "checkpoints",
        )
    model.save(out)
    history = model.history_
    _echo(f"Trained {len(history)} epochs (best {history.best_epoch}, {history.stop_reason}).")
    context = max(model.lookback, model.period_ or 0)
    _, test_part = _split(frame, options, time_column, context=context)
    if test_part is not None:
        evaluate_forecaster(model, test_part, out, "the test part")
    _echo(f"Model saved in {out}; next: grukit report {out}")
    return model


def run_train_detect(given: dict[str, Any]) -> Any:
    """``grukit train detect``; returns the fitted AnomalyDetector."""
    from grukit.tasks.config import GRUConfig
    from grukit.tasks.detector import AnomalyDetector
    from grukit.tasks.tables import default_columns, load_frame, prepare_columns

    options, train_table, gru_table = resolve_options(given, DETECT_DEFAULTS)
    _require(options, ["window", "out"])
    _apply_threads(options)
    threshold = options["threshold"]
    with contextlib.suppress(TypeError, ValueError):  # "p99" and "validation" stay text
        threshold = float(threshold)
    model = AnomalyDetector(
        int(options["window"]),
        columns=split_names(options["columns"], "columns"),
        method=options["method"],
        threshold=threshold,
        label_column=options["label_column"],
        time_column=_time_column(options["time_column"]),
        id_column=options["id_column"],
        fill=options["fill"],
        hidden_size=options["hidden_size"],
        num_layers=options["num_layers"],
        stride=options["stride"],
        scaler=options["scaler"],
        gru_config=GRUConfig.from_dict(gru_table),
        train_config=train_config_from(options, train_table),
    )
    frame, time_column = load_frame(
        given["data"], time_column=model.time_column, id_column=model.id_column
    )
    columns = model.columns or default_columns(
        frame, [time_column, model.id_column, model.label_column]
    )
    prepare_columns(
        frame,
        columns,
        fill=model.fill,
        time_column=time_column,
        id_column=model.id_column,
        target_role="column",
    )
    _check_rows(frame, model.window + 1, model.id_column, "window + 1")
    out = Path(options["out"])
    resume = bool(options.get("resume"))
    _start_run(out, "detect", {**options, "data": str(given["data"])}, resume)
    train_part, test_part = _split(frame, options, time_column, context=0)
    _echo(
        f"Training a GRU anomaly detector ({model.method}) on "
        f"{_describe(train_part, time_column)} ..."
    )
    with _training_lines():
        model.fit(
            train_part,
            validation=_validation(options),
            resume=resume,
            checkpoint_dir=out / "checkpoints",
        )
    model.save(out)
    _echo(f"Trained {len(model.history_)} epochs; threshold {model.threshold_:.4g}.")
    if test_part is not None:
        evaluate_detector(model, test_part, out, "the test part")
    else:
        evaluate_detector(model, train_part, out, "the training data")
    _echo(f"Model saved in {out}; next: grukit report {out}")
    return model


def _load_run(run: Path) -> tuple[Any, dict[str, Any] | None]:
    from grukit.io import read_json
    from grukit.tasks.storage import load

    model = load(run)
    info = run / "run.json"
    record = read_json(info, description="run record") if info.exists() else None
    return model, record


def run_predict(run: Path, data: Path, *, output: Path | None, rolling: bool) -> Path:
    """``grukit predict``: forecasts (or flags) written as CSV; returns the CSV's path."""
    model, _ = _load_run(run)
    if model.task == "forecaster":
        result = model.backtest(data) if rolling else model.predict(data)
    else:
        result = model.detect(data)
    path = write_csv(result, run / "predictions.csv" if output is None else Path(output))
    _echo(result.head(12).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if len(result) > 12:
        _echo(f"... ({len(result)} rows)")
    _echo(f"Predictions written to {path}")
    return path


def run_evaluate(run: Path, data: Path, *, all_rows: bool) -> Any:
    """``grukit evaluate``: on the run's test part of `data` (all of it with --all)."""
    from grukit.tasks.tables import load_frame

    model, record = _load_run(run)
    frame, time_column = load_frame(data, time_column=model.time_column, id_column=model.id_column)
    part, source = frame, f"all of {data}"
    if not all_rows and record is not None:
        options = record["options"]
        context = max(model.lookback, model.period_ or 0) if model.task == "forecaster" else 0
        _, test = _split(frame, options, time_column, context=context)
        if test is not None:
            part, source = test, f"the test part of {data}"
    if model.task == "forecaster":
        return evaluate_forecaster(model, part, run, source)
    return evaluate_detector(model, part, run, source)


def run_report(run: Path) -> Path:
    """``grukit report``: plots and HTML page; returns the page's path."""
    from grukit.report import write_report

    page = write_report(run)
    _echo(f"Report written to {page.resolve()}")
    return page
