"""Flush denormal (subnormal) floats to zero on every thread that does GRU work.

Why. Gradients that travel back through many GRU steps shrink geometrically; at T=200 with a
loss on the last step they reach ~1e-42, far into the subnormal range, and every multiply that
touches them takes a slow microcode path (measured on x86: matrix products 10-50x slower). x86
CPUs avoid this when two bits of the MXCSR control register are set: FTZ (flush-to-zero, bit 15:
subnormal results become 0) and DAZ (denormals-are-zero, bit 6: subnormal inputs read as 0).
MXCSR is per thread. ``torch.set_flush_denormal`` sets it on the calling thread only, so the
OpenMP worker threads that run half of every PyTorch/MKL matrix product keep the slow path.

How. :func:`flush_denormals` reads and writes MXCSR with glibc's ``fegetenv``/``fesetenv``
(x86-64 ``fenv_t`` is 32 bytes with ``__mxcsr`` a ``uint32`` at offset 28) and reaches PyTorch's
OpenMP worker threads by calling ``GOMP_parallel`` of PyTorch's own ``libgomp`` with a ctypes
callback: libgomp runs the callback once on each thread of the team (the caller included), so
each thread records its previous MXCSR and sets FTZ|DAZ. On exit a second parallel region puts
every thread's recorded value back. ctypes releases the GIL around the foreign call, so the
worker threads can run the Python callback.

Where this cannot work (not x86-64 Linux with glibc, or no PyTorch ``libgomp`` loaded, e.g. a
TBB or macOS build) the context manager is a no-op and says so once in the ``debug`` log.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import platform
import sys
import threading
from collections.abc import Iterator

logger = logging.getLogger(__name__)

FTZ_DAZ_BITS = (1 << 15) | (1 << 6)  # MXCSR flush-to-zero | denormals-are-zero


class _FenvT(ctypes.Structure):
    # glibc x86-64 fenv_t: x87 environment (28 bytes) followed by the SSE MXCSR register.
    _fields_ = [("x87", ctypes.c_uint8 * 28), ("mxcsr", ctypes.c_uint32)]


_CALLBACK_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _Runtime:
    """Lazily resolved libc / libgomp entry points (``None`` members when unavailable)."""

    def __init__(self) -> None:
        self.libc: ctypes.CDLL | None = None
        self.gomp_parallel = None
        self.thread_num = None
        self.reason: str | None = None
        if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
            self.reason = f"platform {sys.platform}/{platform.machine()} is not x86-64 Linux"
            return
        if ctypes.sizeof(_FenvT) != 32:  # pragma: no cover - guarded layout assumption
            self.reason = "unexpected fenv_t layout"
            return
        try:
            libc = ctypes.CDLL(None)
            libc.fegetenv.argtypes = [ctypes.c_void_p]
            libc.fesetenv.argtypes = [ctypes.c_void_p]
        except (OSError, AttributeError) as error:  # pragma: no cover - non-glibc libc
            self.reason = f"fegetenv/fesetenv not found ({error})"
            return
        self.libc = libc
        path = _torch_libgomp_path()
        if path is None:
            self.reason = "PyTorch's libgomp is not loaded; only the calling thread is set"
            return
        gomp = ctypes.CDLL(path)
        gomp.GOMP_parallel.argtypes = [  # no ctypes.cast: it makes a reference cycle that
            _CALLBACK_TYPE,  # would keep the callback's closure (and its arrays) until a gc run
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_uint,
        ]
        gomp.GOMP_parallel.restype = None
        gomp.omp_get_thread_num.argtypes = []
        gomp.omp_get_thread_num.restype = ctypes.c_int
        self.gomp_parallel = gomp.GOMP_parallel
        self.thread_num = gomp.omp_get_thread_num


def _torch_libgomp_path() -> str | None:
    """Path of the ``libgomp`` that PyTorch loaded (from ``torch/lib``), or ``None``."""
    import torch

    torch_dir = os.path.dirname(os.path.realpath(torch.__file__))
    candidates = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rsplit(None, 1)[-1]
                if "libgomp" in os.path.basename(path) and path not in candidates:
                    candidates.append(path)
    except OSError:
        return None
    for path in candidates:
        if os.path.realpath(path).startswith(torch_dir):
            return path
    # A system PyTorch links the system libgomp; the only one loaded is then PyTorch's.
    return candidates[0] if len(candidates) == 1 else None


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def _get_runtime() -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = _Runtime()
            if _runtime.reason is not None:
                logger.debug("flush_denormals: %s", _runtime.reason)
        return _runtime


def get_mxcsr() -> int | None:
    """The calling thread's MXCSR register, or ``None`` where it cannot be read."""
    libc = _get_runtime().libc
    if libc is None:
        return None
    env = _FenvT()
    libc.fegetenv(ctypes.byref(env))
    return int(env.mxcsr)


def _set_mxcsr(libc: ctypes.CDLL, value: int) -> int:
    env = _FenvT()
    libc.fegetenv(ctypes.byref(env))
    previous = int(env.mxcsr)
    env.mxcsr = value
    libc.fesetenv(ctypes.byref(env))
    return previous


def run_on_torch_threads(count: int, action) -> bool:
    """Run ``action(i)`` for ``i < count`` at once, on the calling thread (``i = 0``) and
    ``count - 1`` of PyTorch's own OpenMP workers; ``False`` (nothing run) where PyTorch's
    libgomp is not reachable.

    Running parallel work *on* PyTorch's workers, instead of on threads of another pool, means
    no worker spins idle on a core that the work needs (libgomp's workers spin for a while after
    each PyTorch operation: a second pool's thread then gets half a core). ``action`` runs with
    the GIL held; release it (a ``nogil`` numba kernel) for the calls to overlap. The first
    exception raised by any call is re-raised here after all have finished.
    """
    runtime = _get_runtime()
    if runtime.gomp_parallel is None or runtime.thread_num is None:
        return False
    errors: list[BaseException] = []
    thread_num = runtime.thread_num

    def callback(_data: int | None) -> None:
        try:
            action(thread_num())
        except BaseException as error:  # noqa: BLE001 - re-raised on the calling thread
            errors.append(error)

    c_callback = _CALLBACK_TYPE(callback)
    runtime.gomp_parallel(c_callback, None, count, 0)
    if errors:
        raise errors[0]
    return True


def _on_every_thread(action) -> None:
    """Run ``action()`` on the calling thread and each of PyTorch's OpenMP worker threads (only
    the calling thread where PyTorch's libgomp is not reachable)."""
    import torch

    if not run_on_torch_threads(torch.get_num_threads(), lambda _index: action()):
        action()


@contextlib.contextmanager
def flush_denormals(*, workers: bool = True) -> Iterator[None]:
    """Set FTZ and DAZ on the calling thread and PyTorch's worker threads; restore on exit.

    Parameters
    ----------
    workers : bool, default True
        Also reach PyTorch's OpenMP worker threads (about 25 us per enter/exit, because each
        worker runs a small Python callback). ``False`` sets the calling thread only (about
        1 us), which covers code that runs on that thread alone, such as the numba kernels.

    Notes
    -----
    Inside the context, subnormal results of floating-point operations on those threads become
    zero and subnormal inputs read as zero. Each thread's previous MXCSR value is restored on
    exit, so contexts nest. Threads that join the pool inside the context are not covered. On
    platforms where MXCSR cannot be reached this is a no-op.

    Examples
    --------
    >>> import torch
    >>> from grukit.runtime import flush_denormals
    >>> with flush_denormals():
    ...     y = torch.full((4,), 1e-39) * 1.0
    >>> bool((y == 0).all())
    True
    """
    runtime = _get_runtime()
    libc = runtime.libc
    if libc is None:
        yield
        return
    saved: dict[int, int] = {}
    lock = threading.Lock()

    def enter() -> None:
        tid = threading.get_native_id()
        env = _FenvT()
        libc.fegetenv(ctypes.byref(env))
        with lock:
            if tid in saved:  # the same OS thread twice in one team cannot happen; be safe
                return
            saved[tid] = int(env.mxcsr)
        if env.mxcsr & FTZ_DAZ_BITS != FTZ_DAZ_BITS:
            env.mxcsr |= FTZ_DAZ_BITS
            libc.fesetenv(ctypes.byref(env))

    def leave() -> None:
        previous = saved.get(threading.get_native_id())
        if previous is not None:
            _set_mxcsr(libc, previous)

    if workers:
        _on_every_thread(enter)
        if threading.get_native_id() not in saved:  # no team: at least the caller
            enter()
    else:
        enter()
    try:
        yield
    finally:
        if workers:
            _on_every_thread(leave)
        caller_previous = saved.get(threading.get_native_id())
        if caller_previous is not None:
            _set_mxcsr(libc, caller_previous)


def denormal_support() -> str | None:
    """Why :func:`flush_denormals` cannot reach every thread here, or ``None`` if it can."""
    return _get_runtime().reason


__all__ = ["FTZ_DAZ_BITS", "denormal_support", "flush_denormals", "get_mxcsr"]
