"""Classification runs: the training and test parts of ``grukit train classify``, found again by
``grukit evaluate``.

The test part is, in this order: the data given with ``test`` (e.g. PhysioNet's set-c), the
IMDB layout's own ``test`` split, or a stratified random ``test_fraction`` of the samples (0.2 by
default; 0 for none, drawn with the run's seed). The run directory is :mod:`grukit.tasks.runs`'s:
``run.json``, checkpoints, the model, one writer at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grukit.tasks.classifier_data import DataParts, _is_imdb, classes_of, split_samples
from grukit.tasks.runs import (
    DEFAULT_TEST_FRACTION,
    fit_in_run,
    locked_run,
    start_run,
)

__all__ = ["ClassificationRun", "data_argument", "test_part"]


def _one(path: Any, outcomes: Any) -> Any:
    return path if outcomes is None else (str(path), str(outcomes))


def data_argument(path: Any, outcomes: Any) -> Any:
    """What :meth:`SequenceClassifier.read` takes for the command line's DATA (one path or a
    list) and outcomes files (None, one, or one per path): several paths are
    :class:`DataParts`."""
    paths = list(path) if isinstance(path, list | tuple) else [path]
    given = (
        []
        if outcomes is None
        else list(outcomes)
        if isinstance(outcomes, list | tuple)
        else [outcomes]
    )
    if given and len(given) != len(paths):
        raise ValueError(
            f"give --outcomes once per DATA path: {len(paths)} paths, {len(given)} outcomes files"
        )
    items = [_one(p, given[i] if given else None) for i, p in enumerate(paths)]
    return items[0] if len(items) == 1 else DataParts(tuple(items))


def _paths(data: Any) -> list[Path]:
    """The data paths of a :func:`data_argument` result (resolved)."""
    items = data.parts if isinstance(data, DataParts) else (data,)
    return [Path(str(item[0] if isinstance(item, tuple) else item)).resolve() for item in items]


def _is_imdb_path(data: Any) -> bool:
    return isinstance(data, str | Path) and _is_imdb(Path(data))


def _test_fraction(options: Mapping[str, Any]) -> float:
    value = options.get("test_fraction")
    fraction = DEFAULT_TEST_FRACTION if value is None else float(value)
    if not 0 <= fraction < 1:
        raise ValueError(f"--test-fraction must be in [0, 1), got {fraction}")
    return fraction


def test_part(model: Any, data: Any, options: Mapping[str, Any], seed: int) -> tuple[Any, Any]:
    """(training samples, test samples or None) of `data` under the run's `options`."""
    samples = model.read(data, split="train")
    classes_of(samples)  # one class only: refused before anything is split or written
    if options.get("test") is not None:
        test = model.read(data_argument(options["test"], options.get("test_outcomes")))
        return samples, test
    if model.input == "text" and _is_imdb_path(data):
        return samples, model.read(data, split="test")
    fraction = _test_fraction(options)
    if fraction == 0:
        return samples, None
    return split_samples(samples, fraction, seed)


@dataclass
class ClassificationRun:
    """A started classification run: its parts and where it is written."""

    out: Path
    options: dict[str, Any]
    train: Any
    test: Any

    @classmethod
    @contextlib.contextmanager
    def start(cls, model: Any, data: Any, options: Mapping[str, Any], *,
              command: str) -> Iterator[ClassificationRun]:  # fmt: skip
        """Read and split `data` (nothing is written when it is refused), then start the run in
        ``options["out"]`` and hold its lock until the block ends."""
        train, test = test_part(model, data, options, model.train_config.seed)
        out = Path(options["out"])
        with locked_run(out, create=True):
            paths = [str(p) for p in _paths(data)]
            record = {**options, "data": paths[0] if len(paths) == 1 else paths}
            start_run(out, command, record, resume=bool(options.get("resume")))
            yield cls(out, dict(options), train, test)

    def fit(self, model: Any) -> Any:
        """Fit on the training part (checkpoints in the run, resumed if asked), save; returns it."""
        return fit_in_run(model, self.train, self.options, self.out)


def evaluation_samples(model: Any, record: Mapping[str, Any] | None, data: Any,
                       *, all_rows: bool) -> tuple[Any, str]:  # fmt: skip
    """(the samples `grukit evaluate` scores, their description): the run's test part of
    `data` when `data` is the run's training data, else all of `data` (or with `all_rows`)."""
    options = dict(record["options"]) if record is not None else {}
    path = ", ".join(str(p) for p in _paths(data))
    recorded = options.get("data")
    recorded = recorded if isinstance(recorded, list) else [recorded]
    same = record is not None and _paths(data) == [Path(str(p)).resolve() for p in recorded]
    if all_rows or not same:
        split = "test" if model.input == "text" and _is_imdb_path(data) else "train"
        return model.read(data, split=split), f"all of {path}"
    if options.get("test") is not None:
        raise ValueError(
            f"'{path}' is the run's training data; its test data was --test {options['test']}: "
            "evaluate on that (or pass --all to score the training data)"
        )
    seed = model.train_config.seed
    _, test = test_part(model, data, options, seed)
    if test is None:
        return model.read(data, split="train"), f"all of {path} (the run held no test part)"
    return test, f"the test part of {path}"
