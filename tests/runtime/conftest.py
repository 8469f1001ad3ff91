"""Fixtures of the thread-policy tests."""

from __future__ import annotations

import pytest

from grukit.runtime import threads

#: The cores the tests pretend the machine has (PyTorch's default count), so that an automatic
#: choice (1) and the default (3) differ, whatever machine runs the tests.
CORES = 3


@pytest.fixture
def default_threads(monkeypatch):
    """PyTorch on its default thread count, as in a fresh process where the user chose nothing.

    No ``GRUKIT_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS``; no earlier
    :func:`grukit.runtime.set_num_threads`; the machine has :data:`CORES` physical cores and
    PyTorch runs on all of them. PyTorch's thread count is put back afterwards.
    """
    import torch

    for name in (threads.ENV_VAR, *threads.TORCH_ENV_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_applied", True)
    monkeypatch.setattr(threads, "_user_choice", None)
    monkeypatch.setattr(threads, "physical_cores", lambda: CORES)
    before = torch.get_num_threads()
    torch.set_num_threads(CORES)
    yield CORES
    torch.set_num_threads(before)
