"""Tensors in safetensors files: written atomically, read with clear errors, never pickled.

The writers go through :func:`grukit.io.atomic_write_bytes` (the old file or the new one, never
a mixture); the readers raise :class:`FileNotFoundError` for a missing file and
:class:`grukit.io.CorruptFileError` for a truncated or damaged one (a header announcing more
bytes than the file holds, or more than :data:`MAX_HEADER_BYTES`, included). PyTorch is imported
only inside the functions, so ``import grukit.tensor_files`` stays light.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grukit.io import CorruptFileError, PathLike, atomic_write_bytes, read_file_bytes

if TYPE_CHECKING:
    import torch

__all__ = [
    "MAX_HEADER_BYTES",
    "load_tensor_metadata",
    "load_tensors",
    "save_tensors",
    "tensors_from_bytes",
    "tensors_to_bytes",
]

#: The largest safetensors header read: its JSON index of the tensors (a few KiB in practice).
MAX_HEADER_BYTES = 100_000_000


def tensors_to_bytes(
    tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None
) -> bytes:
    """The safetensors bytes of `tensors` (moved to CPU, made contiguous, de-aliased)."""
    import torch
    from safetensors.torch import save

    if not isinstance(tensors, Mapping):
        raise TypeError(f"`tensors` must be a mapping of str to torch.Tensor, got {type(tensors)}")
    prepared: dict[str, torch.Tensor] = {}
    for name, tensor in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be strings, got {type(name).__name__} {name!r}")
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"`tensors[{name!r}]` must be a torch.Tensor, got {type(tensor)}")
        # clone: safetensors refuses tensors that share storage (tied weights, views)
        prepared[name] = tensor.detach().to("cpu").contiguous().clone()
    if metadata is not None:
        if not isinstance(metadata, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise TypeError(f"`metadata` must be a mapping of str to str, got {metadata!r}")
        metadata = dict(metadata)
    return save(prepared, metadata=metadata)


def _parse_safetensors_header(data: bytes, path: Path, description: str) -> dict[str, Any]:
    """Check the 8-byte length prefix and the JSON header before handing over to safetensors."""
    prefix = f"{description} '{path}' is corrupt"
    if len(data) < 8:
        raise CorruptFileError(f"{prefix} (only {len(data)} bytes; was it truncated?)", path)
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > len(data) - 8:
        raise CorruptFileError(
            f"{prefix} (not a safetensors file, or truncated: header of {header_size} bytes "
            f"announced, {len(data) - 8} bytes present)",
            path,
        )
    if header_size > MAX_HEADER_BYTES:
        raise CorruptFileError(f"{prefix} (a header of {header_size} bytes announced)", path)
    try:
        header = json.loads(data[8 : 8 + header_size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CorruptFileError(f"{prefix} (unreadable safetensors header)", path) from None
    if not isinstance(header, dict):
        raise CorruptFileError(f"{prefix} (safetensors header is not a JSON object)", path)
    return header


def save_tensors(
    path: PathLike,
    tensors: Mapping[str, torch.Tensor],
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Save named tensors to a safetensors file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination (conventionally ``*.safetensors``); its directory must exist.
    tensors : Mapping[str, torch.Tensor]
        Tensors of any dtype and device; they are copied to CPU, made contiguous and de-aliased.
    metadata : Mapping[str, str], optional
        Free-form string metadata stored in the file header.
    """
    return atomic_write_bytes(path, tensors_to_bytes(tensors, metadata))


def tensors_from_bytes(data: bytes, path: Path, description: str) -> dict[str, torch.Tensor]:
    """The tensors of the safetensors file `path` whose bytes are `data` (on CPU)."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    _parse_safetensors_header(data, path, description)
    try:
        return load(data)
    except SafetensorError as error:
        raise CorruptFileError(f"{description} '{path}' is corrupt ({error})", path) from None


def load_tensors(
    path: PathLike, *, device: str = "cpu", description: str = "tensor file"
) -> dict[str, torch.Tensor]:
    """Load all tensors of a safetensors file.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    device : str, default "cpu"
        Where to put the tensors.
    description : str, default "tensor file"
        What the file is, for error messages (e.g. ``"model weights"``).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    CorruptFileError
        The file is truncated or not a safetensors file.
    """
    path = Path(path)
    tensors = tensors_from_bytes(read_file_bytes(path, description), path, description)
    if device != "cpu":
        tensors = {name: tensor.to(device) for name, tensor in tensors.items()}
    return tensors


def load_tensor_metadata(path: PathLike, *, description: str = "tensor file") -> dict[str, str]:
    """Return the string metadata stored in a safetensors file's header (``{}`` when none)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:  # read only the header, not the tensors
            data = handle.read(8)
            if len(data) == 8:
                data += handle.read(min(struct.unpack("<Q", data)[0], MAX_HEADER_BYTES))
    except FileNotFoundError:
        raise FileNotFoundError(f"{description} '{path}' does not exist") from None
    header = _parse_safetensors_header(data, path, description)
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise CorruptFileError(f"{description} '{path}' is corrupt (bad metadata)", path)
    return dict(metadata)
