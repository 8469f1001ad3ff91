"""Run directories: one training run of a table task, and finding its test part again later.

A run directory holds ``run.json`` (the command and its resolved options: checked by a resumed
run, and read to find the test part again), ``checkpoints/`` (one per epoch, to resume), the
model (``config.json``, ``model.safetensors``, ``history.json``; :mod:`grukit.tasks.storage`),
and what the command line writes beside it: ``metrics.json``, ``backtest.csv`` or
``detections.csv``, ``predictions.csv``, ``plots/`` and ``report.html``.

The options are the command line's names: ``out``, ``test_from`` (the first date of the test
part), ``test_fraction`` (the last fraction of each series; default
:data:`DEFAULT_TEST_FRACTION`, 0 for none), ``validation_fraction`` (the last fraction of the
training part, for early stopping; 0 or None for none), ``id_column`` and ``resume``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from grukit.io import read_json, write_json
from grukit.tasks.registry import load
from grukit.tasks.run_lock import locked_run
from grukit.train.checkpoint import has_checkpoint

__all__ = [
    "CHECKPOINTS",
    "DEFAULT_TEST_FRACTION",
    "RESUMABLE_OPTIONS",
    "RUN_RECORD",
    "TrainingRun",
    "evaluation_part",
    "locked_run",
    "open_run",
    "split_test",
    "start_run",
    "held_out",
    "fit_in_run",
    "validation_fraction",
]

RUN_RECORD = "run.json"
CHECKPOINTS = "checkpoints"
DEFAULT_TEST_FRACTION = 0.2
#: options that may change when a run is resumed (all others must be repeated)
RESUMABLE_OPTIONS = ("epochs", "device", "threads", "resume", "config")


def _json_safe(options: Mapping[str, Any]) -> dict[str, Any]:
    def safe(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [safe(v) for v in value]
        return str(value) if isinstance(value, Path) else value

    return {k: safe(v) for k, v in options.items()}


def start_run(out: Path, command: str, options: Mapping[str, Any], *, resume: bool) -> None:
    """Create (or check, when resuming) the run directory `out` and record the options.

    Raises
    ------
    FileExistsError
        `out` already holds a run (a model or a checkpoint) and `resume` is False.
    ValueError
        Resuming with another command, or other options than :data:`RESUMABLE_OPTIONS`
        changed; the message names each difference.
    """
    record = {"command": command, "options": _json_safe(options)}
    info = out / RUN_RECORD
    if resume:
        if info.exists():
            previous = read_json(info, description="run record")
            old, new = previous.get("options", {}), record["options"]
            changed = [
                f"{k}={old.get(k)!r} there, {new.get(k)!r} now"
                for k in sorted(set(old) | set(new))
                if k not in RESUMABLE_OPTIONS and old.get(k) != new.get(k)
            ]
            if previous.get("command") != command:
                changed.insert(0, f"command {previous.get('command')!r} there, {command!r} now")
            if changed:
                raise ValueError(
                    f"--resume must repeat the options of the run in '{out}': " + "; ".join(changed)
                )
    elif has_checkpoint(out / CHECKPOINTS) or (out / "config.json").exists():
        raise FileExistsError(
            f"run directory '{out}' already holds a run; pass --resume to continue it, or "
            "choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(info, record)


def held_out(options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The test part the options ask for, as keywords of :meth:`Forecaster.backtest
    <grukit.tasks.Forecaster.backtest>`: ``{"test_from": ...}`` or ``{"test_fraction": ...}``
    (default :data:`DEFAULT_TEST_FRACTION`), or None for none (``test_fraction`` 0).

    Raises
    ------
    ValueError
        Both ``test_from`` and ``test_fraction`` given: one of them decides.
    """
    test_from, fraction = options.get("test_from"), options.get("test_fraction")
    if test_from is not None:
        if fraction is not None:
            raise ValueError(
                f"give --test-from or --test-fraction, not both (got {test_from!r} and "
                f"{fraction!r})"
            )
        return {"test_from": str(test_from)}
    fraction = DEFAULT_TEST_FRACTION if fraction is None else float(fraction)
    return None if fraction == 0 else {"test_fraction": fraction}


def split_test(
    frame: pd.DataFrame, options: Mapping[str, Any], time_column: str | None, *, context: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(training part, test part or None) by ``test_from`` or ``test_fraction``
    (:func:`held_out`).

    The test part starts `context` rows early (history for its first windows).
    """
    from grukit.data import split_by_date, split_by_fraction

    id_column = options.get("id_column")
    split = held_out(options)
    if split is None:
        return frame, None
    if "test_from" in split:
        if time_column is None:
            raise ValueError("--test-from needs a time column (see --time-column)")
        parts = split_by_date(
            frame,
            test_from=split["test_from"],
            time_column=time_column,
            id_column=id_column,
            context=context,
        )
        return parts.train, parts.test
    parts = split_by_fraction(
        frame, 0.0, split["test_fraction"], id_column=id_column, context=context
    )
    return parts.train, parts.test


def validation_fraction(options: Mapping[str, Any]) -> float | None:
    """The ``validation_fraction`` option as ``fit`` takes it (None for none or 0)."""
    value = options.get("validation_fraction")
    return None if value is None or float(value) == 0 else float(value)


def fit_in_run(model: Any, train: Any, options: Mapping[str, Any], out: Path) -> Any:
    """Fit `model` on `train` with the run's validation fraction and its checkpoints in `out`
    (resumed when the options say so), then save it into `out`; returns it."""
    model.fit(
        train,
        validation=validation_fraction(options),
        resume=bool(options.get("resume")),
        checkpoint_dir=out / CHECKPOINTS,
    )
    model.save(out)
    return model


@dataclass
class TrainingRun:
    """A started run: the whole table, its training part and where the run is written."""

    out: Path
    options: dict[str, Any]
    frame: pd.DataFrame
    time_column: str | None
    train: pd.DataFrame

    @classmethod
    @contextlib.contextmanager
    def start(
        cls, model: Any, data: Any, options: Mapping[str, Any], *, command: str
    ) -> Iterator[TrainingRun]:
        """Check the whole table (`data`) for `model`, then start the run in ``options["out"]``
        (see :func:`start_run`) and hold its lock (:func:`locked_run`) until the block ends.
        Nothing is written when the table is refused."""
        frame, time_column = model.read_table(data)
        out = Path(options["out"])
        with locked_run(out, create=True):
            start_run(
                out, command, {**options, "data": str(data)}, resume=bool(options.get("resume"))
            )
            train, _ = split_test(frame, options, time_column, context=0)
            yield cls(out, dict(options), frame, time_column, train)

    def fit(self, model: Any) -> Any:
        """Fit `model` on the training part (checkpoints in the run, resumed if asked), save it
        into the run directory; returns it."""
        return fit_in_run(model, self.train, self.options, self.out)

    def held_out(self) -> dict[str, Any] | None:
        """The run's test part as keywords of ``Forecaster.backtest`` (see :func:`held_out`)."""
        return held_out(self.options)


def open_run(run: Path) -> tuple[Any, dict[str, Any] | None]:
    """(the run's model, its ``run.json`` record or None) of a run directory."""
    model = load(run)
    info = Path(run) / RUN_RECORD
    record = read_json(info, description="run record") if info.exists() else None
    return model, record


def evaluation_part(
    model: Any, record: Mapping[str, Any] | None, data: Any, *, all_rows: bool
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """(the table `data` as `model` reads it, the run's test split or None for all of it).

    The test part is found again from the run's options (:func:`held_out`); None with
    `all_rows`, for a run without a record, or when the run held no test part out.
    """
    frame, _ = model.read_table(data, check=False)
    if all_rows or record is None:
        return frame, None
    return frame, held_out(record["options"])
