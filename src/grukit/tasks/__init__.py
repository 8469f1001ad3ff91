"""Time-series workflows: forecasting and anomaly detection with GRUs (scikit-learn style).

>>> from grukit.tasks import Forecaster, load
>>> model = Forecaster(24, 6, targets="pm2.5", covariates=["TEMP", "cbwd"], fill="ffill")
>>> model.fit(train).evaluate(test)  # doctest: +SKIP
>>> model.save("runs/pm25"); load("runs/pm25").predict(test)  # doctest: +SKIP

``fit`` returns the estimator; learned attributes end in ``_``. Names are imported lazily, so
``from grukit.tasks import GRUConfig`` does not import PyTorch.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "AnomalyDetector": "grukit.tasks.detector",
    "Forecaster": "grukit.tasks.forecaster",
    "GRUConfig": "grukit.tasks.config",
    "evaluation_table": "grukit.tasks.evaluation",
    "load": "grukit.tasks.storage",
    "load_frame": "grukit.tasks.tables",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'grukit.tasks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
