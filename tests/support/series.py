"""Small series and fast settings shared by the task, report and CLI tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grukit.train import TrainConfig


def fast_config(epochs: int = 2, **changes) -> TrainConfig:
    """A few quick epochs, no progress bar."""
    return TrainConfig(epochs=epochs, batch_size=32, learning_rate=5e-3, progress=False, **changes)


def seasonal_frame(n: int = 240, *, seed: int = 0, start: str = "2021-01-01") -> pd.DataFrame:
    """Hourly ``time``, two targets ``a`` (daily cycle) and ``b``, a covariate ``temp``, and a
    text covariate ``wind`` with three categories."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    temp = np.cos(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(n)
    return pd.DataFrame(
        {
            "time": pd.date_range(start, periods=n, freq="h"),
            "a": 10 + 3 * np.sin(2 * np.pi * t / 24) + 0.2 * rng.standard_normal(n),
            "b": 5 + 0.5 * temp + 0.1 * rng.standard_normal(n),
            "temp": temp,
            "wind": rng.choice(["NE", "NW", "cv"], size=n),
        }
    )


def two_series_frame(n: int = 150) -> pd.DataFrame:
    """Two series ``s1`` and ``s2`` in one table, told apart by ``site``."""
    first = seasonal_frame(n, seed=1).assign(site="s1")
    second = seasonal_frame(n, seed=2).assign(site="s2")
    second["a"] += 5
    return pd.concat([second, first], ignore_index=True)  # unsorted on purpose
