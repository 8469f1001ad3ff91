"""Crash-safe training checkpoints: safetensors + JSON, a manifest written last, no pickle.

Layout of a checkpoint directory after epoch ``k`` (only the latest epoch is kept)::

    checkpoint.json              manifest, replaced atomically LAST: names the epoch directory and
                                 each file's size and SHA-256, the model's parameter shapes, the
                                 loss name and the configuration
    epoch-0000k/model.safetensors   weights after epoch k (``model.state_dict()``)
    epoch-0000k/best.safetensors    weights of the best epoch so far (absent before any)
    epoch-0000k/state.safetensors   tensors of the optimizer and scheduler state, RNG states
                                    (``rng.torch_cpu``, ``rng.shuffle``, ``rng.cuda.<i>``: uint8)
    epoch-0000k/state.json          the rest of that state (see :mod:`grukit.train.state`),
                                    NumPy and Python RNG states
    epoch-0000k/history.json        :meth:`History.to_dict`
    epoch-0000k/config.json         :meth:`TrainConfig.to_dict`

A crash at any point leaves ``checkpoint.json`` naming complete, verified files: the new epoch's
files are all written (each atomically) before the manifest is replaced, and older epoch
directories are deleted only after that.

Reading follows only ``epoch-<epoch>/<plain file name>`` paths of the manifest (nothing absolute,
no ``..``, no other folder, no link for the folder or the file), reads only regular files (a FIFO
or device is refused unopened) and checks each file's size against the manifest before reading
it, its SHA-256 after.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from grukit.io import (
    CorruptFileError,
    atomic_write_bytes,
    is_plain_file_name,
    open_regular_file,
    read_exactly,
    read_regular_json,
    write_json,
)
from grukit.tensor_files import tensors_from_bytes, tensors_to_bytes
from grukit.train.config import TrainConfig
from grukit.train.history import History
from grukit.train.state import decode_state, encode_state

__all__ = [
    "MANIFEST_NAME",
    "Checkpoint",
    "CheckpointError",
    "check_compatible",
    "has_checkpoint",
    "load_checkpoint",
    "model_signature",
    "save_checkpoint",
]

MANIFEST_NAME = "checkpoint.json"
#: The largest manifest read (its size is recorded nowhere else).
MAX_MANIFEST_BYTES = 64 * 2**20
FORMAT = "grukit-train-checkpoint"
VERSION = 1
# Fields that may change between a run and its resumption without changing the trajectory.
RESUMABLE_CHANGES = ("epochs", "progress", "device")


class CheckpointError(ValueError):
    """A checkpoint is damaged, or does not fit the model, configuration or loss of the run."""


@dataclass
class Checkpoint:
    """Everything :func:`load_checkpoint` reads back (tensors on CPU)."""

    directory: Path
    epoch: int
    config: TrainConfig
    history: History
    loss_name: str
    model_state: dict[str, torch.Tensor]
    best_state: dict[str, torch.Tensor] | None
    optimizer_state: dict[str, Any]
    scheduler_state: dict[str, Any] | None
    rng_tensors: dict[str, torch.Tensor]
    rng_values: dict[str, Any]
    manifest: dict[str, Any]


def model_signature(state: dict[str, torch.Tensor]) -> dict[str, dict[str, Any]]:
    """``{name: {"shape": [...], "dtype": "float32"}}`` of a ``state_dict()``."""
    return {
        name: {"shape": list(tensor.shape), "dtype": str(tensor.dtype).removeprefix("torch.")}
        for name, tensor in state.items()
    }


def has_checkpoint(checkpoint_dir: str | Path) -> bool:
    """Whether ``checkpoint_dir`` holds a checkpoint manifest."""
    return (Path(checkpoint_dir) / MANIFEST_NAME).is_file()


def _cpu_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().cpu() for name, tensor in state.items()}


def save_checkpoint(
    checkpoint_dir: str | Path,
    *,
    epoch: int,
    model: nn.Module,
    best_state: dict[str, torch.Tensor] | None,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    rng_state: tuple[dict[str, torch.Tensor], dict[str, Any]],
    history: History,
    config: TrainConfig,
    loss_name: str,
) -> Path:
    """Write the checkpoint of a completed ``epoch`` (from 1) into ``checkpoint_dir``.

    ``rng_state`` is what :func:`grukit.train.seed.capture_rng_state` returns. Returns the
    manifest's path.
    """
    root = Path(checkpoint_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"epoch-{epoch:05d}"
    target = root / name
    if target.exists():  # left over from a crash before its manifest was written
        shutil.rmtree(target)
    target.mkdir()

    model_state = model.state_dict()
    optimizer_tree, tensors = encode_state(optimizer.state_dict(), "optimizer")
    scheduler_tree = None
    if scheduler is not None:
        scheduler_tree, scheduler_tensors = encode_state(scheduler.state_dict(), "scheduler")
        tensors.update(scheduler_tensors)
    rng_tensors, rng_values = rng_state
    tensors.update({f"rng.{key}": value for key, value in rng_tensors.items()})

    def as_json(obj: Any) -> bytes:
        return (json.dumps(obj, sort_keys=True, indent=1, allow_nan=False) + "\n").encode()

    contents = {
        "model": ("model.safetensors", tensors_to_bytes(model_state, {"epoch": str(epoch)})),
        "state": ("state.safetensors", tensors_to_bytes(tensors)),
        "state_json": (
            "state.json",
            as_json({"optimizer": optimizer_tree, "scheduler": scheduler_tree, "rng": rng_values}),
        ),
        "history": ("history.json", as_json(history.to_dict())),
        "config": ("config.json", as_json(config.to_dict())),
    }
    if best_state is not None:
        best_bytes = tensors_to_bytes(best_state, {"epoch": str(history.best_epoch)})
        contents["best"] = ("best.safetensors", best_bytes)
    files = {}
    for role, (filename, data) in contents.items():
        atomic_write_bytes(target / filename, data)
        files[role] = {
            "path": f"{name}/{filename}",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": epoch,
        "files": files,
        "model": model_signature(model_state),
        "loss": loss_name,
        "config": config.to_dict(),
        "stop_reason": history.stop_reason,
    }
    manifest_path = write_json(root / MANIFEST_NAME, manifest)
    # only now may older epochs and temporary files of interrupted writes go
    for stale in root.glob("epoch-*"):
        if stale.name != name and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    for stale in root.glob(f".{MANIFEST_NAME}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
    return manifest_path


def _checkpoint_file(root: Path, manifest: dict[str, Any], role: str) -> tuple[Path, int, str]:
    """(path, size, SHA-256) of the file of `role` the manifest lists, its name checked.

    Only ``epoch-<epoch>/<plain file name>`` is accepted: a file of the manifest's own epoch
    folder, never an absolute path, ``..`` or another folder.
    """
    entry = manifest["files"][role]
    folder = f"epoch-{int(manifest['epoch']):05d}"
    recorded = entry.get("path") if isinstance(entry, dict) else None
    parts = recorded.split("/") if isinstance(recorded, str) else []
    if len(parts) != 2 or parts[0] != folder or not is_plain_file_name(parts[1]):
        raise CheckpointError(
            f"'{root / MANIFEST_NAME}' lists its {role} file as {recorded!r}; expected "
            f"'{folder}/<file name>', a file inside the checkpoint's folder"
        )
    size, digest = entry.get("bytes"), entry.get("sha256")
    if type(size) is not int or size < 0 or not isinstance(digest, str):
        raise CheckpointError(
            f"'{root / MANIFEST_NAME}' has an invalid {role!r} record {entry!r}; expected a "
            "path, its size in bytes and its SHA-256"
        )
    try:
        is_folder = stat.S_ISDIR(os.lstat(root / folder).st_mode)  # a link to elsewhere is not
    except FileNotFoundError:
        is_folder = False
    if not is_folder:
        raise CheckpointError(
            f"checkpoint folder '{root / folder}' listed in '{root / MANIFEST_NAME}' is missing "
            "or not a directory"
        )
    return root / folder / parts[1], size, digest


def _read_verified(root: Path, manifest: dict[str, Any], role: str) -> tuple[Path, bytes]:
    """The bytes of a listed file: a regular file of the recorded size (checked before reading)
    and SHA-256."""
    path, expected, digest = _checkpoint_file(root, manifest, role)
    mismatch = (
        f"checkpoint file '{path}' is corrupt: its size or SHA-256 does not match "
        f"'{root / MANIFEST_NAME}' (expected {expected} bytes, found {{}})"
    )
    try:
        with open_regular_file(path, description="checkpoint file") as (handle, size):
            if size != expected:
                raise CheckpointError(mismatch.format(size))
            data = read_exactly(handle, size, path, "checkpoint file")
    except FileNotFoundError:
        raise CheckpointError(
            f"checkpoint file '{path}' listed in '{root / MANIFEST_NAME}' is missing"
        ) from None
    except (CorruptFileError, IsADirectoryError) as error:
        raise CheckpointError(str(error)) from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise CheckpointError(mismatch.format(len(data)))
    return path, data


def load_checkpoint(checkpoint_dir: str | Path) -> Checkpoint:
    """Read and verify the latest checkpoint in ``checkpoint_dir`` (tensors on CPU).

    Raises
    ------
    FileNotFoundError
        No ``checkpoint.json`` in the directory.
    CheckpointError
        A file is missing, corrupt (size/SHA-256 mismatch) or unreadable, or the manifest is not a
        grukit checkpoint of a known version.
    """
    root = Path(checkpoint_dir)
    manifest_path = root / MANIFEST_NAME
    try:
        manifest = read_regular_json(
            manifest_path, description="checkpoint manifest", max_bytes=MAX_MANIFEST_BYTES
        )
    except CorruptFileError as error:
        raise CheckpointError(str(error)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"'{manifest_path}' is not a grukit training checkpoint manifest")
    if manifest.get("version") != VERSION:
        raise CheckpointError(
            f"checkpoint '{manifest_path}' has format version {manifest.get('version')!r}; "
            f"this grukit reads version {VERSION}"
        )
    try:
        path, data = _read_verified(root, manifest, "model")
        model_state = tensors_from_bytes(data, path, "checkpoint weights")
        best_state = None
        if "best" in manifest["files"]:
            path, data = _read_verified(root, manifest, "best")
            best_state = tensors_from_bytes(data, path, "checkpoint best weights")
        path, data = _read_verified(root, manifest, "state")
        tensors = tensors_from_bytes(data, path, "checkpoint state")
        trees = json.loads(_read_verified(root, manifest, "state_json")[1])
        history = History.from_dict(json.loads(_read_verified(root, manifest, "history")[1]))
        config = TrainConfig.from_dict(json.loads(_read_verified(root, manifest, "config")[1]))
        optimizer_state = decode_state(trees["optimizer"], tensors)
        scheduler_state = None
        if trees["scheduler"] is not None:
            scheduler_state = decode_state(trees["scheduler"], tensors)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(f"checkpoint in '{root}' is unreadable: {error}") from None
    rng_tensors = {k.removeprefix("rng."): v for k, v in tensors.items() if k.startswith("rng.")}
    return Checkpoint(
        directory=root,
        epoch=int(manifest["epoch"]),
        config=config,
        history=history,
        loss_name=str(manifest["loss"]),
        model_state=model_state,
        best_state=best_state,
        optimizer_state=optimizer_state,
        scheduler_state=scheduler_state,
        rng_tensors=rng_tensors,
        rng_values=trees["rng"],
        manifest=manifest,
    )


def check_compatible(
    checkpoint: Checkpoint, model: nn.Module, config: TrainConfig, loss_name: str
) -> None:
    """Raise :class:`CheckpointError` unless ``checkpoint`` can continue this run.

    The model must have the same parameter and buffer names, shapes and dtypes, the loss the same
    name, and the configuration the same values except ``epochs`` (unless the schedule is
    cosine, whose period is ``epochs``), ``progress`` and ``device``.
    """
    where = f"checkpoint in '{checkpoint.directory}'"
    saved = checkpoint.manifest["model"]
    current = model_signature(model.state_dict())
    problems = [f"{n} is missing from the model" for n in saved if n not in current]
    problems += [f"{n} is not in the checkpoint" for n in current if n not in saved]
    problems += [
        f"{n} is {saved[n]['dtype']}{saved[n]['shape']} there and "
        f"{current[n]['dtype']}{current[n]['shape']} here"
        for n in saved
        if n in current and saved[n] != current[n]
    ]
    if problems:
        listed = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
        raise CheckpointError(f"{where} was saved from a different model: {listed}")
    free = set(RESUMABLE_CHANGES) - ({"epochs"} if config.schedule == "cosine" else set())
    old, new = checkpoint.config.to_dict(), config.to_dict()
    changed = [
        f"{k}={old[k]!r} there, {new[k]!r} here" for k in old if k not in free and old[k] != new[k]
    ]
    if checkpoint.loss_name != loss_name:
        changed.append(f"loss={checkpoint.loss_name!r} there, {loss_name!r} here")
    if changed:
        raise CheckpointError(
            f"{where} was saved with different settings: {'; '.join(changed)} (resume with the "
            "same settings, or start a new run in another directory)"
        )
