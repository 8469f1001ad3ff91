"""The tasks by name, and :func:`load`: the one place that knows every concrete task.

``config.json`` names its task (``"forecaster"``); :data:`TASKS` says where that class lives, so
adding a task is one line here. The modules are imported only when a model of theirs is loaded.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from grukit.tasks.storage import read_model

__all__ = ["TASKS", "load", "task_class"]

#: task name (``Task.task``, as in ``config.json``) -> (module, class name)
TASKS: dict[str, tuple[str, str]] = {
    "forecaster": ("grukit.tasks.forecaster", "Forecaster"),
    "anomaly_detector": ("grukit.tasks.detector", "AnomalyDetector"),
    "sequence_classifier": ("grukit.tasks.classifier", "SequenceClassifier"),
    "sequence_tagger": ("grukit.tasks.tagger", "SequenceTagger"),
    "sequence_generator": ("grukit.tasks.generator", "SequenceGenerator"),
    "seq2seq": ("grukit.tasks.translator", "Seq2Seq"),
}


def task_class(name: str) -> Any:
    """The task class called `name` in :data:`TASKS`."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    module, cls = TASKS[name]
    return getattr(importlib.import_module(module), cls)


def load(path: str | Path, *, device: str = "cpu") -> Any:
    """Load a task (:class:`Forecaster`, :class:`AnomalyDetector`, ...) saved with ``save(path)``.

    Parameters
    ----------
    path : str or Path
        The model (or run) directory, or its ``config.json``.
    device : str
        Where to put the network (``"cpu"``, ``"cuda"``, ...).

    Raises
    ------
    FileNotFoundError
        No model there.
    grukit.io.CorruptFileError
        A truncated or damaged file, weights that do not match the configuration, or a file that
        is not a grukit model (a ``ValueError``).

    Examples
    --------
    >>> model = load("runs/pm25")  # doctest: +SKIP
    >>> model.predict("PRSA.csv")  # doctest: +SKIP
    """
    saved = read_model(path, tasks=TASKS)
    return task_class(saved.task).from_saved(saved, device=device)
