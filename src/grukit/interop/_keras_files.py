"""Open Keras 3 files safely: bounded zip entries, self-contained HDF5, configs parsed with checks.

The rules (``docs/interop.md``, "Safe loading"):

* ``.keras`` archive: the sizes in the zip directory are checked before anything is extracted:
  ``config.json`` may hold at most :data:`MAX_CONFIG_BYTES` and ``model.weights.h5`` at most
  :data:`MAX_WEIGHTS_BYTES` uncompressed. Entries are copied in bounded chunks (the weights to a
  temporary file, not to memory), and never past the declared size: ``zipfile`` stops there and
  checks the CRC, so a forged directory gives a CRC error, not a larger allocation.
* HDF5 weights: every link is inspected before any array is read, and the file must be
  self-contained: external links, soft links, user-defined links, datasets stored in external files
  and virtual datasets are refused, so nothing outside the given file is ever opened.
* Damaged files (bad zip, bad CRC, bad JSON, JSON of the wrong shape, a truncated or non-HDF5
  weights file, a missing entry) raise :class:`grukit.io.CorruptFileError` naming the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import h5py

from grukit.io import CorruptFileError

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_HDF5_OBJECTS",
    "MAX_WEIGHTS_BYTES",
    "corrupt",
    "load_config",
    "open_keras_archive",
    "open_hdf5",
]

#: Largest ``config.json`` read from a ``.keras`` archive (or a ``.json`` config file), in bytes.
MAX_CONFIG_BYTES = 64 * 2**20
#: Largest uncompressed ``model.weights.h5`` entry, and most array bytes read from one file.
MAX_WEIGHTS_BYTES = 2 * 2**30
#: Most links walked in one HDF5 weights file (a Keras GRU model has a few dozen).
MAX_HDF5_OBJECTS = 100_000
_CHUNK_BYTES = 2**20
_CONFIG_ENTRY, _WEIGHTS_ENTRY = "config.json", "model.weights.h5"
# what zipfile and zlib raise for damaged entries (NotImplementedError: unknown compression method)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


def corrupt(path: str | os.PathLike, problem: str, what: str = "Keras file") -> CorruptFileError:
    """The error for a damaged or unsafe Keras file: ``<what> '<path>' is corrupt (<problem>)``."""
    return CorruptFileError(f"{what} {str(path)!r} is corrupt ({problem})", path)


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _size(count: int) -> str:
    return f"{count / 2**30:.1f} GiB" if count >= 2**30 else f"{count / 2**20:.1f} MiB"


# ----------------------------------------------------------------------------- zip archives


def _entry(archive: zipfile.ZipFile, name: str, limit: int, path: Path) -> zipfile.ZipInfo:
    """The directory record of ``name``, refused when missing, repeated, encrypted or too large."""
    infos = [info for info in archive.infolist() if info.filename == name]
    if not infos:
        found = sorted(info.filename for info in archive.infolist())
        raise corrupt(
            path,
            f"no {name} entry: a Keras 3 .keras archive holds config.json and "
            f"model.weights.h5, found {found}",
        )
    if len(infos) > 1:
        raise corrupt(path, f"{len(infos)} entries named {name}")
    info = infos[0]
    if info.flag_bits & 0x1:
        raise corrupt(path, f"entry {name} is encrypted")
    if info.file_size > limit:
        raise corrupt(
            path,
            f"entry {name} declares {_size(info.file_size)} uncompressed "
            f"({_size(info.compress_size)} stored), more than the {_size(limit)} grukit reads",
        )
    return info


def _copy_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: IO[bytes], path: Path
) -> None:
    """Copy one entry to ``sink`` in bounded chunks, at most its declared size, CRC checked."""
    copied = 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(_CHUNK_BYTES):
                copied += len(chunk)
                if copied > info.file_size:  # zipfile stops at the declared size; never trust it
                    raise corrupt(path, f"entry {info.filename} is longer than declared")
                sink.write(chunk)
    except _ZIP_ERRORS as error:
        raise corrupt(path, f"entry {info.filename}: {_reason(error)}") from None


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except _ZIP_ERRORS as error:
        raise corrupt(path, f"unreadable zip archive: {_reason(error)}") from None


def _archive_config(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    info = _entry(archive, _CONFIG_ENTRY, MAX_CONFIG_BYTES, path)
    with tempfile.SpooledTemporaryFile(max_size=MAX_CONFIG_BYTES) as buffer:
        _copy_entry(archive, info, buffer, path)
        buffer.seek(0)
        return _parse_config(buffer.read(), path, f"entry {_CONFIG_ENTRY}")


@contextmanager
def open_keras_archive(path: Path) -> Iterator[tuple[dict[str, Any], h5py.File]]:
    """The config and the open weights of a ``.keras`` archive (weights spooled to a temp file)."""
    with _open_zip(path) as archive:
        config = _archive_config(archive, path)
        weights_info = _entry(archive, _WEIGHTS_ENTRY, MAX_WEIGHTS_BYTES, path)
        with tempfile.TemporaryFile() as scratch:
            _copy_entry(archive, weights_info, scratch, path)
            scratch.seek(0)
            with open_hdf5(scratch, path, f"entry {_WEIGHTS_ENTRY}: ") as weights:
                yield config, weights


# ----------------------------------------------------------------------------- HDF5


def _check_object(group: h5py.Group, name: str, path: Path, where: str) -> h5py.HLObject | None:
    """The object a hard link names; any other link, external or virtual storage is refused."""
    location = f"{group.name.rstrip('/')}/{name}"
    try:
        link = group.get(name, getlink=True)
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise corrupt(path, f"{where}unreadable link {location}: {_reason(error)}") from None
    if isinstance(link, h5py.ExternalLink):
        raise corrupt(
            path,
            f"{where}{location} is an external link to {link.filename}:{link.path}; grukit "
            "reads only self-contained weight files",
        )
    if isinstance(link, h5py.SoftLink):
        raise corrupt(path, f"{where}{location} is a soft link to {link.path}; Keras writes none")
    if not isinstance(link, h5py.HardLink):
        raise corrupt(path, f"{where}{location} is a {type(link).__name__}; Keras writes none")
    item = group.get(name)
    if isinstance(item, h5py.Dataset):
        if item.is_virtual:
            raise corrupt(path, f"{where}{location} is a virtual dataset (data in other files)")
        if item.external:
            raise corrupt(
                path, f"{where}{location} stores its data in external file(s) {item.external}"
            )
    return item if isinstance(item, h5py.Group) else None


def _check_self_contained(root: h5py.File, path: Path, where: str) -> None:
    """Walk every link of the file (hard-link cycles visited once), refusing unsafe ones."""
    pending: list[h5py.Group] = [root]
    seen = {h5py.h5o.get_info(root.id).addr}
    count = 0
    while pending:
        group = pending.pop()
        for name in group:
            count += 1
            if count > MAX_HDF5_OBJECTS:
                raise corrupt(path, f"{where}more than {MAX_HDF5_OBJECTS} HDF5 objects")
            child = _check_object(group, name, path, where)
            if child is not None:
                address = h5py.h5o.get_info(child.id).addr
                if address not in seen:
                    seen.add(address)
                    pending.append(child)


@contextmanager
def open_hdf5(source: Path | IO[bytes], path: Path, where: str = "") -> Iterator[h5py.File]:
    """An HDF5 file checked by :func:`_check_self_contained`; read errors become corrupt errors.

    ``source`` is the file or a file object holding it; ``path`` names it in errors, and ``where``
    prefixes their problem (the archive entry).
    """
    try:
        handle = h5py.File(source, "r")
    except OSError as error:
        raise corrupt(path, f"{where}not a readable HDF5 file ({_reason(error)})") from None
    with handle:
        try:
            _check_self_contained(handle, path, where)
            yield handle
        except OSError as error:  # h5py's error for truncated or damaged data
            raise corrupt(path, f"{where}unreadable HDF5 data ({_reason(error)})") from None


# ----------------------------------------------------------------------------- configs


def _parse_config(data: bytes | str, path: Path | None, where: str = "") -> dict[str, Any]:
    """JSON text parsed to a dict; ``path`` None means the text was passed as ``config=``."""
    prefix = f"{where}: " if where else ""
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        if path is None:
            raise ValueError(f"`config` is not valid JSON ({_reason(error)})") from None
        raise corrupt(path, f"{prefix}invalid JSON ({_reason(error)})") from None
    if not isinstance(value, dict):
        if path is None:
            raise ValueError(f"`config` JSON must be an object, got a {type(value).__name__}")
        raise corrupt(path, f"{prefix}JSON must be an object, got a {type(value).__name__}")
    return value


def _config_file(path: Path) -> dict[str, Any]:
    if zipfile.is_zipfile(path):
        with _open_zip(path) as archive:
            return _archive_config(archive, path)
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise corrupt(path, f"{_size(size)}, more than {_size(MAX_CONFIG_BYTES)}", "`config` file")
    return _parse_config(path.read_bytes(), path)


def load_config(config: Any) -> tuple[dict[str, Any], Path | None]:
    """A config given as a dict, JSON text, a ``.json`` or a ``.keras`` file, and its file.

    Returns the config dict and the file it came from (None for a dict or JSON text), so that later
    errors about its contents can name the file.
    """
    if isinstance(config, dict):
        return config, None
    if isinstance(config, str) and config.lstrip()[:1] in ("{", "["):
        return _parse_config(config, None), None
    if isinstance(config, (str, os.PathLike)):
        path = Path(config)
        if not path.is_file():
            raise FileNotFoundError(f"`config` file not found: {str(path)!r}")
        return _config_file(path), path
    raise TypeError(
        "`config` must be a dict, a JSON string, or the path of a .json or .keras file, "
        f"got {type(config).__name__}"
    )
