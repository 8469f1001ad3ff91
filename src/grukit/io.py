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

Tensors (safetensors) are read and written by :mod:`grukit.tensor_files`, on these functions.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

__all__ = [
    "CorruptFileError",
    "atomic_write_bytes",
    "atomic_write_chunks",
    "atomic_write_text",
    "dumps_json",
    "is_plain_file_name",
    "open_regular_file",
    "parse_json",
    "read_exactly",
    "read_file_bytes",
    "read_json",
    "read_regular_json",
    "write_json",
]

PathLike = str | os.PathLike

_SAFE_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
_SAFE_READ_FLAGS |= getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer

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


# ----------------------------------------------------------------------------- safe reading


def is_plain_file_name(name: Any) -> bool:
    """Whether `name` is a file name that stays inside its directory: a non-empty str without a
    directory part (no separator, not absolute), not ``.`` or ``..``."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and Path(name).name == name
        and not any(character in name for character in "/\\\0")
    )


def _check_regular(info: os.stat_result, path: Path, description: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"{description} '{path}' is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "a FIFO, socket or device"
        raise CorruptFileError(
            f"{description} '{path}' is {kind}, not a regular file; refusing to read it", path
        )


@contextlib.contextmanager
def open_regular_file(path: PathLike, *, description: str) -> Iterator[tuple[IO[bytes], int]]:
    """Open a regular file for reading; yields ``(binary handle, size in bytes)``.

    A symbolic link, directory, FIFO, socket or device is refused from :func:`os.lstat`, before
    anything is opened; the file is then opened with ``O_NOFOLLOW`` and ``O_NONBLOCK`` where the
    platform has them (a file swapped for a link or a FIFO in between neither redirects nor
    blocks the open) and checked again on the open descriptor. The caller checks the size before
    reading (:func:`read_exactly`).
    """
    path = Path(path)
    try:
        _check_regular(os.lstat(path), path, description)
        fd = os.open(path, _SAFE_READ_FLAGS)
    except FileNotFoundError:
        raise FileNotFoundError(f"{description} '{path}' does not exist") from None
    except OSError as error:  # ELOOP: replaced by a symbolic link after the check
        if isinstance(error, IsADirectoryError):
            raise
        raise CorruptFileError(f"{description} '{path}' cannot be read ({error})", path) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _check_regular(info, path, description)
        yield handle, info.st_size


def read_exactly(handle: IO[bytes], size: int, path: PathLike, description: str) -> bytes:
    """Read `size` bytes from `handle` (opened by :func:`open_regular_file`)."""
    data = handle.read(size)
    if len(data) != size:
        raise CorruptFileError(f"{description} '{path}' changed while it was read", path)
    return data


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
    return atomic_write_text(path, dumps_json(obj, indent=indent))


def dumps_json(obj: Any, *, indent: int | None = 2) -> str:
    """The text :func:`write_json` writes (checked the same way, with a trailing newline)."""
    _check_json_value(obj, "")
    text = json.dumps(obj, sort_keys=True, indent=indent, allow_nan=False, ensure_ascii=False)
    return text + "\n"


def read_file_bytes(path: Path, description: str) -> bytes:
    """The bytes of `path`, or one clear error naming it (missing, a directory)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{description} '{path}' does not exist") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{description} '{path}' is a directory, not a file") from None


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
    return parse_json(read_file_bytes(path, description), path, description=description)


def read_regular_json(path: PathLike, *, description: str, max_bytes: int) -> Any:
    """JSON from `path`, read only as a regular file of at most `max_bytes` (links, FIFOs and
    devices refused before reading: :func:`open_regular_file`); errors name `description`."""
    path = Path(path)
    with open_regular_file(path, description=description) as (handle, size):
        if size > max_bytes:
            raise CorruptFileError(
                f"{description} '{path}' is {size} bytes; a {description} is at most {max_bytes}",
                path,
            )
        data = read_exactly(handle, size, path, description)
    return parse_json(data, path, description=description)


def parse_json(data: bytes, path: PathLike, *, description: str = "JSON file") -> Any:
    """Parse the bytes of the JSON file `path`, with :func:`read_json`'s errors."""
    path = Path(path)
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
