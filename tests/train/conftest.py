"""Run the training tests single-threaded: tiny models on a shared 2-core machine are much faster
(OpenMP threads contend otherwise) and the runs stay bitwise comparable across processes."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _single_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
