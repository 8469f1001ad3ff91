"""What the ``grukit`` train/predict/evaluate/report commands do: resolve the options, call the
tasks, print.

The run directory (``--out RUN``: ``run.json``, checkpoints, the model, and the test part found
again) is :mod:`grukit.tasks.runs`; :mod:`grukit.cli.results` writes ``metrics.json`` and the
CSVs beside it. Each training command is one :class:`TrainCommand`, all run by :func:`run_train`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from grukit.cli.console import apply_threads, require_options, training_lines
from grukit.cli.options import resolve_options, split_names, train_config_from
from grukit.cli.results import evaluate_detector, evaluate_forecaster, write_csv

__all__ = [
    "DETECT",
    "DETECT_DEFAULTS",
    "FORECAST",
    "FORECAST_DEFAULTS",
    "RUN_TASKS",
    "RunRequest",
    "TrainCommand",
    "run_evaluate",
    "run_predict",
    "run_report",
    "run_train",
    "run_train_detect",
    "run_train_forecast",
]

_COMMON = {
    "out": None,
    "time_column": "auto",
    "time_unit": None,
    "dayfirst": None,
    "date_format": None,
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
    "resume": False,
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
    "dropout": 0.0,
    "bidirectional": False,
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


def _echo(text: str = "") -> None:
    typer.echo(text)


def _time_column(value: Any) -> str | None:
    return None if value is None or str(value).lower() == "none" else str(value)


def _describe(frame: pd.DataFrame, time_column: str | None) -> str:
    if time_column is None or frame.empty:
        return f"{len(frame)} rows"
    return f"{len(frame)} rows, {frame[time_column].iloc[0]} to {frame[time_column].iloc[-1]}"


# -- the tasks the commands run --------------------------------------------------------------------
def _forecaster(options: Mapping[str, Any], gru_config: Any, train_config: Any) -> Any:
    from grukit.tasks.forecaster import Forecaster

    return Forecaster(
        options["lookback"],
        options["horizon"],
        targets=split_names(options["target"], "target"),
        covariates=split_names(options["covariates"], "covariates") or [],
        time_column=_time_column(options["time_column"]),
        time_unit=options["time_unit"],
        dayfirst=options["dayfirst"],
        date_format=options["date_format"],
        id_column=options["id_column"],
        fill=options["fill"],
        hidden_size=options["hidden_size"],
        num_layers=options["num_layers"],
        dropout=options["dropout"],
        bidirectional=options["bidirectional"],
        strategy=options["strategy"],
        scaler=options["scaler"],
        period=options["period"],
        gru_config=gru_config,
        train_config=train_config,
    )


def _detector(options: Mapping[str, Any], gru_config: Any, train_config: Any) -> Any:
    from grukit.tasks.detector import AnomalyDetector

    threshold = options["threshold"]
    with contextlib.suppress(TypeError, ValueError):  # "p99" and "validation" stay text
        threshold = float(threshold)
    return AnomalyDetector(
        options["window"],
        columns=split_names(options["columns"], "columns"),
        method=options["method"],
        threshold=threshold,
        label_column=options["label_column"],
        time_column=_time_column(options["time_column"]),
        time_unit=options["time_unit"],
        dayfirst=options["dayfirst"],
        date_format=options["date_format"],
        id_column=options["id_column"],
        fill=options["fill"],
        hidden_size=options["hidden_size"],
        num_layers=options["num_layers"],
        stride=options["stride"],
        scaler=options["scaler"],
        gru_config=gru_config,
        train_config=train_config,
    )


def _forecast_table(model: Any, data: Path, rolling: bool) -> pd.DataFrame:
    return model.backtest(data) if rolling else model.predict(data)


@dataclass(frozen=True)
class TrainCommand:
    """One ``grukit train NAME`` command and what the other commands do with its runs."""

    name: str  # the command (``grukit train forecast``), recorded in run.json
    task: str  # the task's name (``Task.task``)
    defaults: Mapping[str, Any]
    required: tuple[str, ...]
    build: Callable[[Mapping[str, Any], Any, Any], Any]  # (options, GRUConfig, TrainConfig)
    what: Callable[[Any], str]  # "a GRU forecaster", for "Training ... on ..."
    trained: Callable[[Any], str]  # the line printed after training
    # (model, whole table, test split or None for all rows, out, source): writes metrics.json
    evaluate: Callable[[Any, pd.DataFrame, dict[str, Any] | None, Path, str], Any]
    evaluate_training_data: bool  # without a test part, evaluate on the training part
    predict: Callable[[Any, Path, bool], pd.DataFrame]  # (model, data, rolling)


FORECAST = TrainCommand(
    name="forecast",
    task="forecaster",
    defaults=FORECAST_DEFAULTS,
    required=("target", "lookback", "horizon", "out"),
    build=_forecaster,
    what=lambda model: "a GRU forecaster",
    trained=lambda model: (
        f"Trained {len(model.history_)} epochs (best {model.history_.best_epoch}, "
        f"{model.history_.stop_reason})."
    ),
    evaluate=evaluate_forecaster,
    evaluate_training_data=False,
    predict=_forecast_table,
)
DETECT = TrainCommand(
    name="detect",
    task="anomaly_detector",
    defaults=DETECT_DEFAULTS,
    required=("window", "out"),
    build=_detector,
    what=lambda model: f"a GRU anomaly detector ({model.method})",
    trained=lambda model: (
        f"Trained {len(model.history_)} epochs; threshold {model.threshold_:.4g}."
    ),
    evaluate=evaluate_detector,
    evaluate_training_data=True,
    predict=lambda model, data, rolling: model.detect(data),
)
#: task name -> its command, for the table tasks' runs
_BY_TASK = {command.task: command for command in (FORECAST, DETECT)}


@dataclass(frozen=True)
class RunRequest:
    """What ``grukit predict`` or ``grukit evaluate`` was asked, for a task's handler."""

    run: Path
    data: Path
    output: Path | None = None  # predict: the file to write (default: one in the run)
    rolling: bool = False  # predict: a forecaster forecasts every window
    all_rows: bool = False  # evaluate: all of DATA, not only the run's test part
    outcomes: Path | None = None  # a classifier's PhysioNet outcomes file
    target: Path | None = None  # evaluate: a seq2seq run's target-side file


def _table_predict(model: Any, record: Any, request: RunRequest) -> Path:
    result = _BY_TASK[model.task].predict(model, request.data, request.rolling)
    return _write_predictions(result, request)


def _table_evaluate(model: Any, record: Any, request: RunRequest) -> Any:
    from grukit.tasks.runs import evaluation_part

    frame, split = evaluation_part(model, record, request.data, all_rows=request.all_rows)
    data = request.data
    source = f"the test part of {data}" if split is not None else f"all of {data}"
    return _BY_TASK[model.task].evaluate(model, frame, split, request.run, source)


def _classifier_predict(model: Any, record: Any, request: RunRequest) -> Path:
    from grukit.cli.classify import predict_classifier
    from grukit.tasks.classifier_runs import data_argument

    result = predict_classifier(model, data_argument(request.data, request.outcomes))
    return _write_predictions(result, request)


def _classifier_evaluate(model: Any, record: Any, request: RunRequest) -> Any:
    from grukit.cli.classify import evaluate_classifier
    from grukit.tasks.classifier_runs import data_argument, evaluation_samples

    given = data_argument(request.data, request.outcomes)
    samples, source = evaluation_samples(model, record, given, all_rows=request.all_rows)
    return evaluate_classifier(model, samples, request.run, source)


def _tagger_predict(model: Any, record: Any, request: RunRequest) -> Path:
    from grukit.cli.tag import predict_tagger

    output = request.output
    target = request.run / "predictions.conll" if output is None else Path(output)
    return predict_tagger(model, request.data, target)


def _tagger_evaluate(model: Any, record: Any, request: RunRequest) -> Any:
    from grukit.cli.tag import evaluate_tagger_run

    data = request.data
    return evaluate_tagger_run(model, model.read(data), request.run, f"all of {data}")


def _generator_predict(model: Any, record: Any, request: RunRequest) -> Path:
    from grukit.cli.generate import predict_generator

    predict_generator(model, request.run)  # refuses in one line: generation is `grukit sample`


def _generator_evaluate(model: Any, record: Any, request: RunRequest) -> Any:
    from grukit.cli.generate import evaluate_generator

    return evaluate_generator(model, request.data)


def _seq2seq_predict(model: Any, record: Any, request: RunRequest) -> Path:
    from grukit.cli.translate import predict_seq2seq

    predict_seq2seq(model, request.run)  # refuses in one line: translation is `grukit translate`


def _seq2seq_evaluate(model: Any, record: Any, request: RunRequest) -> Any:
    from grukit.cli.translate import evaluate_seq2seq

    return evaluate_seq2seq(model, request.data, request.target)


Handler = Callable[[Any, Any, RunRequest], Any]  # (model, its run.json record or None, request)
#: task name -> (predict, evaluate) of its runs
RUN_TASKS: dict[str, tuple[Handler, Handler]] = {
    "forecaster": (_table_predict, _table_evaluate),
    "anomaly_detector": (_table_predict, _table_evaluate),
    "sequence_classifier": (_classifier_predict, _classifier_evaluate),
    "sequence_tagger": (_tagger_predict, _tagger_evaluate),
    "sequence_generator": (_generator_predict, _generator_evaluate),
    "seq2seq": (_seq2seq_predict, _seq2seq_evaluate),
}


def _handlers(model: Any) -> tuple[Handler, Handler]:
    if model.task not in RUN_TASKS:  # pragma: no cover - every registered task is listed
        raise ValueError(f"no command handles runs of the task {model.task!r}")
    return RUN_TASKS[model.task]


def _write_predictions(result: pd.DataFrame, request: RunRequest) -> Path:
    output = request.output
    path = write_csv(result, request.run / "predictions.csv" if output is None else Path(output))
    _echo(result.head(12).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if len(result) > 12:
        _echo(f"... ({len(result)} rows)")
    _echo(f"Predictions written to {path}")
    return path


# -- commands --------------------------------------------------------------------------------------
def run_train(
    command: TrainCommand, given: dict[str, Any], *, declared: Callable | None = None
) -> Any:
    """``grukit train NAME``: train the task in a run directory, evaluate it; returns it.

    `given` holds the command line's values (None: not given); `declared` is the function that
    declares the command's options, whose types the ``--config`` file's values must have.
    """
    from grukit.tasks.config import GRUConfig
    from grukit.tasks.runs import TrainingRun

    options, train_table, gru_table = resolve_options(given, command.defaults, declared=declared)
    require_options(options, list(command.required))
    apply_threads(options)
    gru_config = GRUConfig.from_dict(gru_table)
    model = command.build(options, gru_config, train_config_from(options, train_table))
    with TrainingRun.start(model, given["data"], options, command=command.name) as run:
        _echo(f"Training {command.what(model)} on {_describe(run.train, run.time_column)} ...")
        with training_lines():
            run.fit(model)
        _echo(command.trained(model))
        split = run.held_out()
        if split is not None:
            command.evaluate(model, run.frame, split, run.out, "the test part")
        elif command.evaluate_training_data:
            command.evaluate(model, run.train, None, run.out, "the training data")
    _echo(f"Model saved in {run.out}; next: grukit report {run.out}")
    return model


def run_train_forecast(given: dict[str, Any], *, declared: Callable | None = None) -> Any:
    """``grukit train forecast``; returns the fitted Forecaster."""
    return run_train(FORECAST, given, declared=declared)


def run_train_detect(given: dict[str, Any], *, declared: Callable | None = None) -> Any:
    """``grukit train detect``; returns the fitted AnomalyDetector."""
    return run_train(DETECT, given, declared=declared)


def run_predict(
    run: Path, data: Path, *, output: Path | None, rolling: bool, outcomes: Path | None = None
) -> Path:
    """``grukit predict``: forecasts, flags, classes or tags written to a file; returns its path
    (the task's handler in :data:`RUN_TASKS`)."""
    from grukit.tasks.runs import locked_run, open_run

    request = RunRequest(Path(run), Path(data), output=output, rolling=rolling, outcomes=outcomes)
    with locked_run(request.run, create=False):
        model, record = open_run(request.run)
        return _handlers(model)[0](model, record, request)


def run_evaluate(run: Path, data: Path, *, all_rows: bool, outcomes: Path | None = None,
                 target: Path | None = None) -> Any:  # fmt: skip
    """``grukit evaluate``: on the run's test part of `data` (all of it with --all), by the
    task's handler in :data:`RUN_TASKS`; `target`: a seq2seq run's target-side file."""
    from grukit.tasks.runs import locked_run, open_run

    request = RunRequest(Path(run), Path(data), all_rows=all_rows, outcomes=outcomes,
                         target=None if target is None else Path(target))  # fmt: skip
    with locked_run(request.run, create=False):
        model, record = open_run(request.run)
        if target is not None and model.task != "seq2seq":
            raise ValueError(f"a second DATA file is for seq2seq runs (the target side); "
                             f"'{run}' holds a {model.task}")  # fmt: skip
        return _handlers(model)[1](model, record, request)


def run_report(run: Path) -> Path:
    """``grukit report``: plots and HTML page; returns the page's path."""
    from grukit.report import write_report
    from grukit.tasks.runs import locked_run

    with locked_run(run, create=False):
        page = write_report(run)
    _echo(f"Report written to {page.resolve()}")
    return page
