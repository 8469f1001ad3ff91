"""Thread settings for grukit's CPU engines.

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
"""

from __future__ import annotations

import os
import threading

ENV_VAR = "GRUKIT_NUM_THREADS"

_applied = False
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
        batches into this many row shards, run on the same threads.
    """
    import torch

    torch.set_num_threads(_parse_threads(num_threads, "num_threads"))


def get_num_threads() -> int:
    """The number of threads PyTorch's intra-op pool uses now."""
    import torch

    return torch.get_num_threads()


def apply_env_threads() -> int | None:
    """Apply ``GRUKIT_NUM_THREADS`` once per process; return the value applied, or ``None``.

    Called by the fused engine on first use. Later calls do nothing, so a user's own
    :func:`set_num_threads` after that point wins.
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


__all__ = ["ENV_VAR", "apply_env_threads", "get_num_threads", "set_num_threads"]
