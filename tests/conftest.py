"""Fixtures and settings shared by the whole test suite.

How shared test code is organised (one rule for every directory):

- **A fixture** when it needs pytest: setup and teardown, a scope, ``autouse``, or other
  fixtures. A fixture lives in the ``conftest.py`` of the nearest directory that holds all of
  its users: here when tests in more than one directory use it, in ``tests/<dir>/conftest.py``
  when only that directory does. Test modules never import a fixture.
- **A plain import** for everything else that tests share: functions, classes and constants
  (data builders, a tiny model, a NumPy reference of a GRU stack) live in the ``support``
  package (``tests/support/``), Hypothesis strategies in ``tests/strategies.py``. These are
  needed where fixtures do not exist: at import time (module constants, ``@given``,
  ``parametrize``) and in subprocesses that a test starts.
- Nothing edits ``sys.path``, and no test module imports another test module or a
  ``conftest.py``: ``pythonpath = ["tests"]`` under ``[tool.pytest.ini_options]`` in
  pyproject.toml makes ``import support...`` and ``import strategies`` work.

Hypothesis profiles: ``local`` (the default) and ``ci`` (the same examples on every run), loaded
where the environment has ``CI`` set (``.ci/run`` runs with ``CI=true``) or with
``pytest --hypothesis-profile=ci``. Neither has a deadline: on a busy machine the time of one
example says nothing about the code, and a deadline only makes such runs flaky. Each test keeps
its own ``max_examples``.

Doctests: tests/test_docstrings.py runs every ``>>>`` example in src/grukit once.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("local", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "local")


@pytest.fixture(scope="module")
def single_torch_thread():
    """Run a test module on one PyTorch thread, then restore the previous thread count.

    Tiny models train fastest on one thread, and one thread never spins waiting for a core that
    another process holds (two threads on a busy 2-core machine ran 10x slower); single-threaded
    runs also stay bitwise comparable across processes. Module scope, so that module-scoped
    fixtures that train a model run on one thread too. Directories whose tests all train small
    models request it from an autouse fixture in their ``conftest.py``.
    """
    import torch  # here, not at the top: tests that need no torch start without it

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
