"""flush_denormals reaches PyTorch's OpenMP worker threads and restores every thread."""

from __future__ import annotations

import os

import pytest
import torch

from grukit.runtime import apply_env_threads, denormal_support, flush_denormals, get_mxcsr
from grukit.runtime.denormals import FTZ_DAZ_BITS
from grukit.runtime.threads import _parse_threads

pytestmark = pytest.mark.skipif(
    denormal_support() is not None, reason=f"flush_denormals is a no-op here: {denormal_support()}"
)

TINY = 1e-39  # float32 subnormal (smallest normal is 1.18e-38)


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


# Made once, outside any flushing context (filling with FTZ set would already give zeros).
SUBNORMALS = torch.full((1 << 22,), TINY, dtype=torch.float32)


def subnormal_results() -> int:
    """How many elements of a parallel (2-thread) float32 multiply come out subnormal."""
    return int((SUBNORMALS * 1.0 != 0).sum())


def test_fused_flush_denormals_reaches_worker_threads(two_threads):
    caller_before = get_mxcsr()
    assert caller_before & FTZ_DAZ_BITS == 0, "test needs a default FP environment"
    assert subnormal_results() == 1 << 22

    # PyTorch's own switch sets the calling thread only: the worker's half stays subnormal.
    torch.set_flush_denormal(True)
    try:
        caller_only = subnormal_results()
    finally:
        torch.set_flush_denormal(False)
    assert 0 < caller_only < 1 << 22

    with flush_denormals():
        assert get_mxcsr() & FTZ_DAZ_BITS == FTZ_DAZ_BITS
        assert subnormal_results() == 0
        with flush_denormals():  # nesting keeps the outer setting on exit
            pass
        assert subnormal_results() == 0
    assert get_mxcsr() & FTZ_DAZ_BITS == 0
    assert subnormal_results() == 1 << 22  # every thread restored


def test_fused_flush_denormals_caller_only_and_restores_after_error(two_threads):
    with flush_denormals(workers=False):
        assert get_mxcsr() & FTZ_DAZ_BITS == FTZ_DAZ_BITS
    assert get_mxcsr() & FTZ_DAZ_BITS == 0
    with pytest.raises(RuntimeError, match="boom"), flush_denormals():
        raise RuntimeError("boom")
    assert get_mxcsr() & FTZ_DAZ_BITS == 0
    assert subnormal_results() == 1 << 22


def test_fused_layer_leaves_fp_environment_unchanged(two_threads):
    from grukit.engines.fused import gru_layer

    gru = torch.nn.GRU(3, 4, batch_first=True)
    out, h_n = gru_layer(torch.randn(2, 5, 3), None, *gru.parameters(), reset_after=True)
    h_n.sum().backward()
    assert get_mxcsr() & FTZ_DAZ_BITS == 0
    assert subnormal_results() == 1 << 22


def test_fused_thread_setting_validation(monkeypatch):
    assert _parse_threads("3", "GRUKIT_NUM_THREADS") == 3
    with pytest.raises(
        ValueError, match="`GRUKIT_NUM_THREADS` must be a positive integer, got 'x'"
    ):
        _parse_threads("x", "GRUKIT_NUM_THREADS")
    with pytest.raises(ValueError, match="`num_threads` must be a positive integer, got 0"):
        _parse_threads(0, "num_threads")
    monkeypatch.setitem(os.environ, "GRUKIT_NUM_THREADS", "1")
    apply_env_threads()  # applies at most once per process; must not raise
