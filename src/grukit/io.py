"""Crash-safe file I/O: atomic writes, JSON and safetensors with clear errors.

Every writer here goes through :func:`atomic_write_bytes`: the data is written to a temporary file
in the destination's directory, flushed and ``fsync``-ed, then moved over the destination with
:func:`os.replace` (atomic on POSIX and Windows), and finally the directory itself is ``fsync``-ed
where the platform allows it. A reader therefore sees either the old file or the new one, never a
mixture, even if the process is killed mid-write. No pickle anywhere: tensors go to safetensors,
everything else to JSON.

Readers raise :class:`FileNotFoundError` for a missing file and :class:`CorruptFileError` (a
:class:`ValueError`) for a truncated or damaged one, with the file's path and role in the message:

>>> from grukit.io import read_json
>>> read_json("run/config.json", description="model file")  # doctest: +SKIP
CorruptFileError: model file 'run/config.json' is corrupt (invalid JSON at line 3, column 1): ...

PyTorch is imported only by the tensor functions, so ``import grukit.io`` stays light.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = [
    "CorruptFileError",
    "atomic_write_bytes",
    "atomic_write_chunks",
    "atomic_write_text",
    "load_tensor_metadata",
    "load_tensors",
    "read_json",
    "save_tensors",
    "write_json",
]

PathLike = str | os.PathLike

# Files created by mkstemp are private (0600); give ours the permissions open() would give them.
_UMASK = os.umask(0)
os.umask(_UMASK)


class CorruptFileError(ValueError):
    """A file exists but cannot be parsed (truncated, damaged, or not the expected format).

    Attributes
    ----------
    path : pathlib.Path
        The offending file.
    """

    def __init__(self, message: str, path: PathLike) -> None:
        super().__init__(message)
        self.path = Path(path)


# ----------------------------------------------------------------------------- atomic writes


def _fsync_directory(directory: Path) -> None:
    """Persist a rename by syncing its directory (POSIX only; a no-op where unsupported)."""
    if os.name != "posix":  # pragma: no cover - Windows cannot open directories
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. exotic file systems
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _naming(error: OSError, path: Path) -> OSError:
    """The same error (class, errno, words) naming the destination, not the temporary file (a
    full disk fails in ``write``, whose error names no file at all)."""
    return type(error)(error.errno, error.strerror, str(path))


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, ``fsync``, ``os.replace``).

    Parameters
    ----------
    path : str or os.PathLike
        Destination. Its directory must exist; an existing file is replaced.
    data : bytes
        The complete new contents.

    Returns
    -------
    pathlib.Path
        The destination path.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"`data` must be bytes, got {type(data).__name__}")
    return atomic_write_chunks(path, [data])


def atomic_write_chunks(path: PathLike, chunks: Iterable[bytes]) -> Path:
    """Write the concatenated `chunks` to `path` atomically, one chunk in memory at a time.

    As :func:`atomic_write_bytes` (temporary file, ``fsync``, ``os.replace``): until the last
    chunk is written `path` keeps its previous contents; an error while the chunks are produced
    removes the temporary file.
    """
    path = Path(path)
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write '{path}': directory '{directory}' does not exist")
    try:
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        if error.errno is None:
            raise
        raise _naming(error, path) from error
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o666 & ~_UMASK)
        os.replace(temp_name, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(error, OSError) and error.errno is not None:
            raise _naming(error, path) from error
        raise
    _fsync_directory(directory)
    return path


def atomic_write_text(path: PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; see :func:`atomic_write_bytes`."""
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str, got {type(text).__name__}")
    return atomic_write_bytes(path, text.encode(encoding))


# ----------------------------------------------------------------------------- JSON


def _check_json_value(value: Any, where: str) -> None:
    """Refuse what JSON cannot represent faithfully, naming the location of the offending value."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(
                f"cannot write {value!r} at {where or 'the top level'} as JSON: JSON has no "
                "NaN or Infinity (encode it explicitly, e.g. as None or a string)"
            )
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"JSON object keys must be strings, got {type(key).__name__} {key!r} "
                    f"at {where or 'the top level'}"
                )
            _check_json_value(item, f"{where}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json_value(item, f"{where}[{index}]")
        return
    raise TypeError(
        f"cannot write a {type(value).__module__}.{type(value).__qualname__} at "
        f"{where or 'the top level'} as JSON (convert it to a str, int, float, bool, None, "
        "list or dict first)"
    )


def write_json(path: PathLike, obj: Any, *, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON, atomically, with sorted keys and a trailing newline.

    NaN and infinities are refused (a :class:`ValueError` naming where they are) rather than
    written as the non-standard ``NaN``/``Infinity`` tokens that other JSON readers reject; encode
    them explicitly (``None``, or a string) if they are meaningful. Tuples are written as lists.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its directory must exist.
    obj : Any
        Nested dicts (string keys), lists, tuples, str, int, float, bool and None.
    indent : int or None, default 2
        Pretty-printing indent; None for the compact form.
    """
    _check_json_value(obj, "")
    text = json.dumps(obj, sort_keys=True, indent=indent, allow_nan=False, ensure_ascii=False)
    return atomic_write_text(path, text + "\n")


def read_json(path: PathLike, *, description: str = "JSON file") -> Any:
    """Read a JSON file, with a clear error for a missing, empty, truncated or damaged file.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    description : str, default "JSON file"
        What the file is, for error messages (e.g. ``"model file"``).

    Raises
    ------
    FileNotFoundError
        ``"<description> '<path>' does not exist"``.
    CorruptFileError
        ``"<description> '<path>' is corrupt (invalid JSON at line L, column C): <reason>"``,
        or ``"... is empty"`` / ``"... is not UTF-8 text"``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{description} '{path}' does not exist") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{description} '{path}' is a directory, not a file") from None
    if not data.strip():
        raise CorruptFileError(
            f"{description} '{path}' is corrupt (empty file; was it truncated?)", path
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorruptFileError(
            f"{description} '{path}' is corrupt (not UTF-8 text, byte {error.start})", path
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CorruptFileError(
            f"{description} '{path}' is corrupt (invalid JSON at line {error.lineno}, "
            f"column {error.colno}): {error.msg}",
            path,
        ) from None


# ----------------------------------------------------------------------------- safetensors


def _tensors_to_bytes(
    tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None
) -> bytes:
    """Serialize tensors (moved to CPU, made contiguous, de-aliased) in the safetensors format."""
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


def _read_file_bytes(path: Path, description: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{description} '{path}' does not exist") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{description} '{path}' is a directory, not a file") from None


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
    return atomic_write_bytes(path, _tensors_to_bytes(tensors, metadata))


def _tensors_from_bytes(data: bytes, path: Path, description: str) -> dict[str, torch.Tensor]:
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
    tensors = _tensors_from_bytes(_read_file_bytes(path, description), path, description)
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
                data += handle.read(min(struct.unpack("<Q", data)[0], 100_000_000))
    except FileNotFoundError:
        raise FileNotFoundError(f"{description} '{path}' does not exist") from None
    header = _parse_safetensors_header(data, path, description)
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise CorruptFileError(f"{description} '{path}' is corrupt (bad metadata)", path)
    return dict(metadata)
