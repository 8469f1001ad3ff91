"""The model directory: what ``Task.save`` writes and ``grukit.tasks.load`` reads and verifies.

A model directory holds three files, JSON and safetensors only, so reading one never executes
anything from it:

``model.safetensors``
    The network's weights.
``history.json``
    The training history (:meth:`grukit.train.History.to_dict`).
``config.json``
    ``format``, ``version``, ``task`` (the task's name), ``grukit_version``, ``params`` (the
    constructor arguments, JSON-safe), ``fitted`` (the learned state) and ``weights`` (file name
    and SHA-256).

This module knows the format only; which class a ``task`` name means is decided by
:mod:`grukit.tasks.registry`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grukit.io import CorruptFileError, load_tensors, read_json, save_tensors, write_json

__all__ = [
    "CONFIG_NAME",
    "FORMAT",
    "HISTORY_NAME",
    "VERSION",
    "WEIGHTS_NAME",
    "SavedModel",
    "read_model",
    "write_model",
]

FORMAT = "grukit-model"
VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
HISTORY_NAME = "history.json"


@dataclass(frozen=True)
class SavedModel:
    """A model directory read and verified by :func:`read_model`."""

    directory: Path
    config: dict[str, Any]
    tensors: dict[str, Any]
    history: dict[str, Any]

    @property
    def task(self) -> str:
        return str(self.config["task"])

    @property
    def config_path(self) -> Path:
        return self.directory / CONFIG_NAME

    @property
    def weights_path(self) -> Path:
        return _weights_path(self.directory, self.config)


def _weights_path(directory: Path, config: Mapping[str, Any]) -> Path:
    return directory / str(config.get("weights", {}).get("file", WEIGHTS_NAME))


def write_model(
    path: str | Path,
    *,
    task: str,
    params: Mapping[str, Any],
    fitted: Mapping[str, Any],
    state_dict: Mapping[str, Any],
    history: Mapping[str, Any],
) -> Path:
    """Write a model directory at `path` (created if needed); returns it.

    Writes the weights, the history and, last, ``config.json`` (holding the weights' SHA-256),
    each atomically, so a crash leaves either the previous model or the new one readable.
    """
    from grukit._version import __version__

    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    weights = save_tensors(directory / WEIGHTS_NAME, dict(state_dict))
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    write_json(directory / HISTORY_NAME, dict(history))
    config = {
        "format": FORMAT,
        "version": VERSION,
        "task": task,
        "grukit_version": __version__,
        "params": dict(params),
        "fitted": dict(fitted),
        "weights": {"file": WEIGHTS_NAME, "sha256": digest},
    }
    write_json(directory / CONFIG_NAME, config)
    return directory


def _directory(path: str | Path) -> Path:
    path = Path(path)
    if path.name == CONFIG_NAME and path.is_file():
        return path.parent
    if not path.exists():
        raise FileNotFoundError(f"no grukit model at '{path}': the directory does not exist")
    if not path.is_dir():
        raise ValueError(
            f"a grukit model is a directory holding {CONFIG_NAME}, got the file '{path}'"
        )
    if not (path / CONFIG_NAME).exists():
        raise FileNotFoundError(f"no grukit model in '{path}': '{path / CONFIG_NAME}' is missing")
    return path


def _read_config(config_path: Path, tasks: Collection[str]) -> dict[str, Any]:
    config = read_json(config_path, description="model config")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CorruptFileError(f"'{config_path}' is not a grukit model config", config_path)
    if config.get("version") != VERSION:
        raise CorruptFileError(
            f"'{config_path}' has model format version {config.get('version')!r}; this grukit "
            f"reads version {VERSION}",
            config_path,
        )
    task = config.get("task")
    if task not in tasks:
        raise CorruptFileError(
            f"'{config_path}' names an unknown task {task!r}; expected one of {sorted(tasks)}",
            config_path,
        )
    return config


def read_model(path: str | Path, *, tasks: Collection[str]) -> SavedModel:
    """Read the model directory at `path` (or its ``config.json``) and verify it.

    Checks the format, the version, that the task is one of `tasks` and the weights' SHA-256.

    Raises
    ------
    FileNotFoundError
        No model there.
    grukit.io.CorruptFileError
        A truncated or damaged file, or a file that is not a grukit model config.
    """
    directory = _directory(path)
    config_path = directory / CONFIG_NAME
    config = _read_config(config_path, tasks)
    weights_path = _weights_path(directory, config)
    try:
        data = weights_path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"model weights '{weights_path}' do not exist") from None
    if hashlib.sha256(data).hexdigest() != config.get("weights", {}).get("sha256"):
        raise CorruptFileError(
            f"model weights '{weights_path}' are corrupt or do not belong to '{config_path}' "
            "(SHA-256 mismatch; was the file truncated or replaced?)",
            weights_path,
        )
    tensors = load_tensors(weights_path, description="model weights")
    history = read_json(directory / HISTORY_NAME, description="training history")
    return SavedModel(directory, config, tensors, history)
