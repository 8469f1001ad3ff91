"""How much a cross-core hand-off costs per call: a native ``GOMP_parallel`` on PyTorch's warm
OpenMP team, the body a numba ``cfunc`` (no Python, no GIL on the worker).

This bounds what splitting one streaming step over two cores could save (docs/performance.md,
"Streaming at H = 128 vs nn.GRUCell"): at H = 128 the step's products take about 1.5 us, so two
halves save at most 0.75 us, less this hand-off.

Run: ``.venv/bin/python benchmarks/omp_handshake.py`` (needs PyTorch's libgomp; Linux).
"""

from __future__ import annotations

import ctypes
import statistics
import time

import numpy as np
import torch
from numba import carray, cfunc, njit, types

from grukit.runtime.denormals import _torch_libgomp_path

CALLS = 20_000


def main() -> None:
    torch.set_num_threads(2)
    path = _torch_libgomp_path()
    if path is None:
        raise SystemExit("PyTorch's libgomp is not loaded here: nothing to measure")
    gomp = ctypes.CDLL(path)
    parallel = gomp.GOMP_parallel
    parallel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    parallel.restype = None
    thread_num = gomp.omp_get_thread_num
    thread_num.argtypes = []
    thread_num.restype = ctypes.c_int

    @cfunc(types.void(types.CPointer(types.float32)))
    def body(pointer):  # each thread bumps its own cache line
        counters = carray(pointer, 64)
        counters[thread_num() * 16] += 1.0

    address = body.address

    @njit
    def calls(count, threads, data):
        for _ in range(count):
            parallel(address, data.ctypes.data, threads, 0)

    data = np.zeros(64, np.float32)
    calls(10, 2, data)
    calls(10, 1, data)
    warm = torch.randn(64, 64)
    _ = warm @ warm  # start PyTorch's OpenMP team
    for threads in (2, 1):
        times = []
        for _ in range(7):
            start = time.perf_counter()
            calls(CALLS, threads, data)
            times.append((time.perf_counter() - start) / CALLS * 1e6)
        print(f"GOMP_parallel, {threads} thread(s): {statistics.median(times):.3f} us per call")


if __name__ == "__main__":
    main()
