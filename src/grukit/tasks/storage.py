"""The model directory: what ``Task.save`` writes and ``grukit.tasks.load`` reads and verifies.

A model directory holds three files, JSON and safetensors only, so reading one never executes
anything from it:

``model.safetensors``
    The network's weights.
``history.json``
    The training history (:meth:`grukit.train.History.to_dict`).
``config.json``
    ``format``, ``version``, ``task`` (the task's name), ``grukit_version``, ``params`` (the
    constructor arguments, JSON-safe), ``fitted`` (the learned state), ``weights`` and
    ``history`` (each: file name, size in bytes and SHA-256) and ``config_sha256``, the SHA-256 of
    the config's own content (:func:`config_digest`), so an edited config is refused.

**The update is atomic as a whole.** :func:`write_model` writes the new version's three files
into the subfolder ``.grukit-pending`` and its ``config.json`` last: from then on that folder *is*
the model (:func:`read_model` reads it whenever it holds a ``config.json``). Only then are the
three files moved in place, as hard links (a copy where the file system has none) renamed over
the old ones, and the pending folder removed, its ``config.json`` first. A kill at any point
leaves the old model or the new one to read, never a mixture and never neither; the next save
finishes or discards what an interrupted one left.

**Reading is bounded.** Only plain file names inside the directory are followed, only regular
files are read (a link, FIFO or device is refused before it is opened), each file's size is
checked against the size the config records before it is read, then its SHA-256.

Models of format version 1 (no sizes, no ``config_sha256``) are still read, with the same name
and file-type rules. This module knows the format only; which class a ``task`` name means is
decided by :mod:`grukit.tasks.registry`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grukit.io import (
    CorruptFileError,
    atomic_write_bytes,
    dumps_json,
    is_plain_file_name,
    open_regular_file,
    parse_json,
    read_exactly,
    read_regular_json,
)
from grukit.tensor_files import tensors_from_bytes, tensors_to_bytes

__all__ = [
    "CONFIG_NAME",
    "FORMAT",
    "HISTORY_NAME",
    "PENDING_NAME",
    "VERSION",
    "WEIGHTS_NAME",
    "SavedModel",
    "config_digest",
    "read_model",
    "weight_mismatches",
    "write_model",
]

FORMAT = "grukit-model"
VERSION = 2
#: Versions read: 1 recorded the weights' name and SHA-256 only.
READABLE_VERSIONS = (1, 2)
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
HISTORY_NAME = "history.json"
#: The subfolder a save writes the new version into before moving it in place.
PENDING_NAME = ".grukit-pending"
DIGEST_KEY = "config_sha256"
#: The largest config.json read (its size is recorded nowhere else).
MAX_CONFIG_BYTES = 64 * 2**20
_FILES = (WEIGHTS_NAME, HISTORY_NAME, CONFIG_NAME)  # the order they are moved in place


@dataclass(frozen=True)
class SavedModel:
    """A model directory read and verified by :func:`read_model`.

    `directory` is the folder the files were read from: the model directory, or its pending
    folder when a save was interrupted after writing the new version completely.
    """

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
        return self.directory / str(self.config["weights"]["file"])


def config_digest(config: Mapping[str, Any]) -> str:
    """SHA-256 of `config` without its ``config_sha256``, as canonical JSON (sorted, compact)."""
    content = {key: value for key, value in config.items() if key != DIGEST_KEY}
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_entry(name: str, data: bytes) -> dict[str, Any]:
    return {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write_model(
    path: str | Path,
    *,
    task: str,
    params: Mapping[str, Any],
    fitted: Mapping[str, Any],
    state_dict: Mapping[str, Any],
    history: Mapping[str, Any],
) -> Path:
    """Write a model directory at `path` (created if needed), replacing the model there atomically.

    Returns the directory. See the module docstring for how a crash leaves the old model or the
    new one.
    """
    from grukit._version import __version__

    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    _settle(directory)
    weights = tensors_to_bytes(dict(state_dict))
    history_bytes = dumps_json(dict(history)).encode("utf-8")
    config: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "task": task,
        "grukit_version": __version__,
        "params": dict(params),
        "fitted": dict(fitted),
        "weights": _file_entry(WEIGHTS_NAME, weights),
        "history": _file_entry(HISTORY_NAME, history_bytes),
    }
    dumps_json(config)  # refuses what JSON cannot hold, naming where, before the digest
    config[DIGEST_KEY] = config_digest(config)
    config_bytes = dumps_json(config).encode("utf-8")
    pending = directory / PENDING_NAME
    pending.mkdir()
    atomic_write_bytes(pending / WEIGHTS_NAME, weights)
    atomic_write_bytes(pending / HISTORY_NAME, history_bytes)
    atomic_write_bytes(pending / CONFIG_NAME, config_bytes)  # the new version is complete
    _install(directory)
    return directory


def _settle(directory: Path) -> None:
    """Finish installing a complete pending version, or discard an incomplete one."""
    pending = directory / PENDING_NAME
    if os.path.lexists(pending / CONFIG_NAME):
        _install(directory)
    elif os.path.lexists(pending):
        shutil.rmtree(pending)
    for name in _FILES:  # temporary files of writes that were killed
        for stale in directory.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()


def _install(directory: Path) -> None:
    """Move the complete version in the pending folder in place, then remove the folder."""
    pending = directory / PENDING_NAME
    for name in _FILES:
        target = directory / name
        temporary = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            os.link(pending / name, temporary)
        except OSError:  # no hard links on this file system: copy
            atomic_write_bytes(temporary, (pending / name).read_bytes())
        os.replace(temporary, target)
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    (pending / CONFIG_NAME).unlink()  # the directory's own files are the model from here on
    shutil.rmtree(pending)


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
    if not os.path.lexists(path / CONFIG_NAME) and _pending(path) is None:
        raise FileNotFoundError(f"no grukit model in '{path}': '{path / CONFIG_NAME}' is missing")
    return path


def _pending(directory: Path) -> Path | None:
    """The pending folder when it holds a complete version (a save was interrupted), else None."""
    pending = directory / PENDING_NAME
    try:
        if stat.S_ISDIR(os.lstat(pending).st_mode) and os.path.lexists(pending / CONFIG_NAME):
            return pending
    except OSError:
        pass
    return None


def _check_header(config: Any, config_path: Path, tasks: Collection[str]) -> None:
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CorruptFileError(f"'{config_path}' is not a grukit model config", config_path)
    if config.get("version") not in READABLE_VERSIONS:
        raise CorruptFileError(
            f"'{config_path}' has model format version {config.get('version')!r}; this grukit "
            f"reads versions {', '.join(map(str, READABLE_VERSIONS))}",
            config_path,
        )
    if config["version"] >= 2 and config.get(DIGEST_KEY) != config_digest(config):
        raise CorruptFileError(
            f"model config '{config_path}' is corrupt or was edited: the SHA-256 of its content "
            f"does not match its {DIGEST_KEY} (save the model again rather than editing it)",
            config_path,
        )
    task = config.get("task")
    if task not in tasks:
        raise CorruptFileError(
            f"'{config_path}' names an unknown task {task!r}; expected one of {sorted(tasks)}",
            config_path,
        )


def _read_config(config_path: Path, tasks: Collection[str]) -> dict[str, Any]:
    config = read_regular_json(config_path, description="model config", max_bytes=MAX_CONFIG_BYTES)
    _check_header(config, config_path, tasks)
    return config


#: role in config.json -> (what the file is, how a mismatch is said), for error messages
_ROLES = {
    "weights": ("model weights", "are corrupt or do not belong to"),
    "history": ("training history", "is corrupt or does not belong to"),
}


def _file_record(config: dict[str, Any], config_path: Path, role: str) -> dict[str, Any]:
    """``config[role]`` checked: a plain file name, its size and SHA-256.

    Version 1 recorded neither sizes nor the history's record (its file was ``history.json``).
    """
    entry = config.get(role)
    if entry is None and config["version"] == 1 and role == "history":
        entry = {"file": HISTORY_NAME}
    valid = isinstance(entry, dict)
    if valid:
        size, digest = entry.get("bytes"), entry.get("sha256")
        required = ["bytes", "sha256"] if config["version"] >= 2 else []
        if role == "weights":  # version 1 recorded the weights' SHA-256 too
            required.append("sha256")
        valid = all(entry.get(key) is not None for key in required)
        valid &= size is None or (type(size) is int and size >= 0)
        valid &= digest is None or isinstance(digest, str)
    if not valid:
        raise CorruptFileError(
            f"'{config_path}' has an invalid {role!r} record {entry!r}; expected a file name, "
            "its size in bytes and its SHA-256",
            config_path,
        )
    if not is_plain_file_name(entry.get("file")):
        raise CorruptFileError(
            f"'{config_path}' names its {role} file {entry.get('file')!r}; expected a plain file "
            "name inside the model directory (no path separators, no '..', not absolute)",
            config_path,
        )
    return entry


def _read_recorded(source: Path, config: dict[str, Any], role: str) -> tuple[Path, bytes]:
    """The path and bytes of the file ``config[role]`` names, checked (size, then SHA-256)."""
    config_path = source / CONFIG_NAME
    entry = _file_record(config, config_path, role)
    description, mismatch = _ROLES[role]
    path = source / entry["file"]
    problem = "SHA-256 mismatch"
    with open_regular_file(path, description=description) as (handle, size):
        if entry.get("bytes") not in (None, size):
            problem = f"{size} bytes, {entry['bytes']} recorded: SHA-256 mismatch"
        else:
            data = read_exactly(handle, size, path, description)
            if "sha256" not in entry or hashlib.sha256(data).hexdigest() == entry["sha256"]:
                return path, data
    raise CorruptFileError(
        f"{description} '{path}' {mismatch} '{config_path}' ({problem}; was the file truncated or "
        "replaced?)",
        path,
    )


def _read_from(source: Path, tasks: Collection[str]) -> SavedModel:
    config = _read_config(source / CONFIG_NAME, tasks)
    weights_path, weights = _read_recorded(source, config, "weights")
    history_path, history = _read_recorded(source, config, "history")
    tensors = tensors_from_bytes(weights, weights_path, "model weights")
    history_record = parse_json(history, history_path, description="training history")
    return SavedModel(source, config, tensors, history_record)


def read_model(path: str | Path, *, tasks: Collection[str]) -> SavedModel:
    """Read the model directory at `path` (or its ``config.json``) and verify it.

    Checks the format, the version, the config's own SHA-256, that the task is one of `tasks`,
    and each file's name, type, size and SHA-256 (see the module docstring).

    Raises
    ------
    FileNotFoundError
        No model there.
    grukit.io.CorruptFileError
        A truncated or damaged file, a file that is not a grukit model config, an edited config,
        or a config naming a file outside the directory or one that is not a regular file.
    """
    directory = _directory(path)
    pending = _pending(directory)
    if pending is None:
        return _read_from(directory, tasks)
    try:
        return _read_from(pending, tasks)
    except FileNotFoundError:  # a save finished installing it meanwhile
        return _read_from(directory, tasks)


def weight_mismatches(expected: Mapping[str, Any], saved: Mapping[str, Any]) -> str:
    """What differs between the tensors a config implies and the saved ones ('' when nothing)."""

    def describe(tensor: Any) -> str:
        return f"{str(tensor.dtype).removeprefix('torch.')}{list(tensor.shape)}"

    problems = [f"{name} is missing" for name in expected if name not in saved]
    problems += [
        f"{name} is not in the configured network" for name in saved if name not in expected
    ]
    problems += [
        f"{name} is {describe(saved[name])} there, the configuration needs {describe(tensor)}"
        for name, tensor in expected.items()
        if name in saved and describe(saved[name]) != describe(tensor)
    ]
    if not problems:
        return ""
    counts = [sum(t.numel() for t in tensors.values()) for tensors in (expected, saved)]
    listed = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    return f"{listed} (the configuration implies {counts[0]} values, the file holds {counts[1]})"
