"""``_no_dispatch.bind``: a compiled overload called without numba's dispatcher, same results."""

from __future__ import annotations

import numpy as np
import pytest

import grukit
from grukit.engines.fused import FusedStepper, _kernels, _no_dispatch
from grukit.engines.fused.stepper import direct_step_inplace


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_direct_step_equals_the_dispatched_kernel(dtype):
    gru = grukit.GRU(5, 7).eval()
    stepper = FusedStepper.from_module(gru, batch_size=3, dtype=dtype)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5)).astype(dtype)
    h_direct = rng.standard_normal((3, 7)).astype(dtype)
    h_dispatched = h_direct.copy()
    direct = direct_step_inplace(dtype)
    assert direct is not _kernels.stream_step_inplace  # the bound function, not the fallback
    for _ in range(4):
        assert direct(x, h_direct, stepper.buffer) == 0
        assert _kernels.stream_step_inplace(x, h_dispatched, stepper.buffer) == 0
    np.testing.assert_array_equal(h_direct, h_dispatched)
    # shapes are still checked inside the kernel: a non-zero code and h left as it was
    before = h_direct.copy()
    assert direct(x[:, :4].copy(), h_direct, stepper.buffer) == _kernels.BAD_X
    np.testing.assert_array_equal(h_direct, before)


def test_bind_falls_back_to_the_dispatcher_when_it_cannot_bind():
    class NotADispatcher:
        def typeof_pyval(self, value):
            raise TypeError("no")

    dispatcher = NotADispatcher()
    assert _no_dispatch.bind(dispatcher, 1) is dispatcher
