"""Thread settings for grukit's CPU engines, and the thread count grukit trains with.

What grukit does, and does not do:

- The numba kernels of the ``fused`` engine have no thread pool of their own (no
  ``parallel=True``) and never call ``np.dot``: inside numba that goes through SciPy's OpenBLAS,
  a second pool whose spinning threads fight PyTorch's OpenMP pool for the same cores
  (measured: up to 1.5x slower). Their products are register-blocked loops.
- Large batches are split into row shards that run at once on PyTorch's own OpenMP workers
  (``grukit.engines.fused._row_parallel``): as many shards as ``torch.get_num_threads()``, only
  when each shard has enough work (inference and training at B = 32, T = 50 from H = 64 up; never
  at B = 1). With one thread nothing is split. The weight gradients are
  then summed shard by shard, so results are deterministic for a given thread count but may
  differ in the last bits between counts.
- The ``native`` and ``torch`` engines run on PyTorch's pool (MKL or oneDNN), so one pool serves
  everything.
- grukit changes no thread setting on import. If the environment variable
  ``GRUKIT_NUM_THREADS`` is set, the fused engine applies it once, on its first use, through
  :func:`set_num_threads`. A user overrides it at any time with :func:`set_num_threads` (or
  PyTorch's own ``torch.set_num_threads``).
- Training (:func:`grukit.train.train`, hence ``Task.fit``, the command line and the demo) and
  the tasks' inference run inside :func:`compute_threads`: unless the user chose a thread count
  (:func:`user_num_threads`), it uses :func:`auto_num_threads` for the model's
  :func:`step_work` and puts the previous count back afterwards. ``docs/performance.md``
  ("Threads") has the measurements behind the rule.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV_VAR = "GRUKIT_NUM_THREADS"
#: Environment variables from which PyTorch takes its default thread count; setting one is a choice.
TORCH_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Work per time step (trainable parameters times batch size) below which training uses one
#: thread: measured, a second thread did not pay below it (docs/performance.md, "Threads").
ONE_THREAD_WORK = 150_000_000
#: The most threads the automatic choice uses: beyond it a GRU's per-step products are too
#: small for the OpenMP barriers they cost.
MAX_AUTO_THREADS = 4

_applied = False
_user_choice: int | None = None  # the count last given to `set_num_threads`
_lock = threading.Lock()


def _parse_threads(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"`{name}` must be a positive integer, got {value!r}") from None
    else:
        number = value
    if number < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return number


def set_num_threads(num_threads: int) -> None:
    """Use ``num_threads`` threads for PyTorch's intra-op pool (matrix products, MKL).

    Parameters
    ----------
    num_threads : int
        A positive integer. This is ``torch.set_num_threads``; the fused engine splits large
        batches into this many row shards, run on the same threads. It also marks the count as
        the user's choice, which training then keeps (:func:`user_num_threads`).
    """
    import torch

    global _user_choice
    number = _parse_threads(num_threads, "num_threads")
    torch.set_num_threads(number)
    _user_choice = number


def get_num_threads() -> int:
    """The number of threads PyTorch's intra-op pool uses now."""
    import torch

    return torch.get_num_threads()


def apply_env_threads() -> int | None:
    """Apply ``GRUKIT_NUM_THREADS`` once per process; return the value applied, or ``None``.

    Called by the fused engine on first use and by :func:`compute_threads`. Later calls do
    nothing, so a user's own :func:`set_num_threads` after that point wins.
    """
    global _applied
    with _lock:
        if _applied:
            return None
        _applied = True
        raw = os.environ.get(ENV_VAR)
        if raw is None or raw.strip() == "":
            return None
        number = _parse_threads(raw, ENV_VAR)
        set_num_threads(number)
        return number


def physical_cores() -> int:
    """The machine's physical cores (hyper-threads counted once), as PyTorch counts them.

    Read from ``/sys/devices/system/cpu``; ``os.cpu_count()`` where that is not available.
    """
    cores = set()
    for topology in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/topology"):
        try:
            package = (topology / "physical_package_id").read_text().strip()
            cores.add((package, (topology / "core_id").read_text().strip()))
        except OSError:
            continue
    return len(cores) or os.cpu_count() or 1


def torch_default_num_threads() -> int:
    """The thread count PyTorch starts with: ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` when
    set, else the physical cores."""
    for name in TORCH_ENV_VARS:
        raw = os.environ.get(name, "").strip()
        if raw.isdigit() and int(raw) > 0:
            return int(raw)
    return physical_cores()


def user_num_threads() -> int | None:
    """The thread count the user chose, or ``None`` when PyTorch runs on its default.

    A choice is: ``GRUKIT_NUM_THREADS`` (applied here if not yet), :func:`set_num_threads` (so
    the command line's ``--threads``), ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``, or a
    ``torch.set_num_threads`` that left a count other than PyTorch's default. (A
    ``torch.set_num_threads`` to exactly the default cannot be told from the default; use
    :func:`set_num_threads` or ``GRUKIT_NUM_THREADS`` to make that choice firm.)
    """
    apply_env_threads()
    current = get_num_threads()
    chosen_by_env = any(os.environ.get(name, "").strip() for name in (ENV_VAR, *TORCH_ENV_VARS))
    if _user_choice is not None or chosen_by_env or current != torch_default_num_threads():
        return current
    return None


def step_work(model: Any, batch_size: int) -> int:
    """Trainable parameters times ``batch_size``: the multiply-adds of one time step of a
    recurrent network's forward pass, the unit of work each thread would share."""
    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return int(parameters) * int(batch_size)


def auto_num_threads(work: int, cores: int | None = None) -> int:
    """The automatic thread count for training with ``work`` (:func:`step_work`) per step.

    One thread below :data:`ONE_THREAD_WORK`; from there ``min(cores, MAX_AUTO_THREADS)``, where
    ``cores`` defaults to :func:`physical_cores`.
    """
    if work < ONE_THREAD_WORK:
        return 1
    return max(1, min(physical_cores() if cores is None else cores, MAX_AUTO_THREADS))


@contextlib.contextmanager
def compute_threads(work: int) -> Iterator[int]:
    """Run grukit's work (a training run, a task's predictions) on the user's thread count, or
    on :func:`auto_num_threads` of ``work``.

    Yields the count in use; afterwards PyTorch's previous count is put back, so grukit's own
    choice never outlives the call.
    """
    chosen = user_num_threads()
    if chosen is not None:
        yield chosen
        return
    import torch

    before = torch.get_num_threads()
    count = auto_num_threads(work)
    torch.set_num_threads(count)
    try:
        yield count
    finally:
        torch.set_num_threads(before)


__all__ = [
    "ENV_VAR",
    "MAX_AUTO_THREADS",
    "ONE_THREAD_WORK",
    "TORCH_ENV_VARS",
    "apply_env_threads",
    "auto_num_threads",
    "get_num_threads",
    "physical_cores",
    "set_num_threads",
    "step_work",
    "torch_default_num_threads",
    "compute_threads",
    "user_num_threads",
]
