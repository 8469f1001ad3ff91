"""The task tests train tiny models: every module here runs on one PyTorch thread."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(single_torch_thread):
    """See ``single_torch_thread`` in tests/conftest.py."""
