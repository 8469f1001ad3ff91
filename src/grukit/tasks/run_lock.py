"""One writer per run directory: an exclusive lock file, ``RUN/.lock``.

Every command that writes into a run directory (``grukit train``, ``evaluate``, ``predict``,
``report``) holds the lock for its whole duration, so two commands on one ``--out`` never
interleave their files (a model of one run beside the ``run.json`` of another). The lock is an
``fcntl.flock`` on the file, so the operating system releases it when its process ends, however
it ends; the file holds the owner's pid and host, for the error message of a second process and
for the log line of the process that takes over a lock file left by a killed one. Where
``fcntl`` is missing (Windows) the file's exclusive creation is the lock and a lock file whose
process is no longer running on this host is taken over.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK_FILE", "RunInUseError", "locked_run"]

LOCK_FILE = ".lock"
_log = logging.getLogger("grukit.tasks")
_NOT_WRITABLE = (errno.EACCES, errno.EROFS, errno.EPERM)


class RunInUseError(FileExistsError):
    """Another process holds the run directory's lock."""


def _owner(path: Path) -> dict:
    with contextlib.suppress(OSError, ValueError):
        owner = json.loads(path.read_text())
        if isinstance(owner, dict):
            return owner
    return {}


def _in_use(directory: Path, owner: dict) -> RunInUseError:
    holder = f"process {owner.get('pid', '?')} on host {owner.get('host', '?')}"
    return RunInUseError(
        f"run directory '{directory}' is in use by {holder} (lock file "
        f"'{directory / LOCK_FILE}'); wait for it to finish, or choose another directory"
    )


def _is_running(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _report_takeover(directory: Path, owner: dict) -> None:
    if owner:
        _log.warning(
            "taking over the lock of run directory '%s' left by process %s on host %s, which "
            "no longer runs",
            directory,
            owner.get("pid", "?"),
            owner.get("host", "?"),
        )


def _acquire_flock(path: Path) -> int:
    """Open and flock ``path``; retried while the file found is not the one at ``path``."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _in_use(path.parent, _owner(path)) from None
        try:  # the previous holder may have removed the file between our open and our flock
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _acquire_exclusive(path: Path) -> int:  # pragma: no cover - Windows
    """Create ``path`` exclusively, taking over a file whose process no longer runs here."""
    for _ in range(2):
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            owner = _owner(path)
            if owner.get("host") != socket.gethostname() or _is_running(owner.get("pid")):
                raise _in_use(path.parent, owner) from None
            _report_takeover(path.parent, owner)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    raise _in_use(path.parent, _owner(path))


@contextlib.contextmanager
def locked_run(directory: Path, *, create: bool) -> Iterator[None]:
    """Hold the lock of the run directory ``directory`` for the duration of the block.

    Parameters
    ----------
    directory : pathlib.Path
        The run directory.
    create : bool
        Create ``directory`` (with its parents) if it does not exist (a training run). Without
        it a missing directory is not locked (the command then reports the missing run), and
        nor is one this process may not write to (it cannot be a writer there either).

    Raises
    ------
    RunInUseError
        Another process holds the lock; the message names the directory and that process.
    """
    directory = Path(directory)
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    elif not directory.is_dir():
        yield
        return
    path = directory / LOCK_FILE
    try:
        fd = _acquire_flock(path) if fcntl is not None else _acquire_exclusive(path)
    except OSError as error:
        if create or isinstance(error, RunInUseError) or error.errno not in _NOT_WRITABLE:
            raise
        fd = None
    if fd is None:
        yield
        return
    try:
        if fcntl is not None:  # a locked file with an owner: its process died holding it
            _report_takeover(directory, _owner(path))
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still holding it: a waiting process then retries on a new file
        os.close(fd)
