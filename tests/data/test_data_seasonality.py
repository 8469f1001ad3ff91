"""Regular time step and seasonal period detection."""

import numpy as np
import pandas as pd
import pytest

from grukit.data import GrukitDataError, detect_period, sine_wave, time_step


@pytest.mark.parametrize(
    ("freq", "period"),
    [
        ("h", 24),
        ("15min", 96),
        ("30min", 48),
        ("min", 1440),
        ("D", 7),
        ("W", 52),
        ("MS", 12),
        ("QS", 4),
        ("YS", None),
        ("7h", None),
    ],
)
def test_period_from_the_time_step(freq, period):
    times = pd.date_range("2020-01-01", periods=40, freq=freq)
    assert detect_period(times) == period
    assert detect_period(pd.Series(times)) == period
    assert detect_period(times.to_numpy()) == period


def test_time_step_is_the_most_common_one_and_ignores_series_changes():
    times = pd.to_datetime(
        [
            "2024-01-01 00:00",
            "2024-01-01 01:00",
            "2024-01-01 05:00",
            "2024-01-01 06:00",
            "2023-01-01 00:00",
            "2023-01-01 01:00",
        ]
    )
    assert time_step(times) == pd.Timedelta(hours=1)
    assert time_step(times[:1]) is None
    # across the id change the step would be negative; it is not counted either way
    assert time_step(times, ids=["a"] * 4 + ["b"] * 2) == pd.Timedelta(hours=1)


@pytest.mark.parametrize("period", [7, 12, 24, 50])
def test_period_from_autocorrelation(period):
    values = sine_wave(20 * period, period=period, noise=0.2, seed=1)["value"].to_numpy()
    assert detect_period(values) == period


def test_multi_seasonal_returns_the_short_period_with_nan_values_removed():
    t = np.arange(24 * 7 * 6)
    values = np.sin(2 * np.pi * t / 24) + 0.5 * np.sin(2 * np.pi * t / 168)
    values[[5, 100, 400]] = np.nan
    assert detect_period(values) == 24


def test_no_period_is_none():
    rng = np.random.default_rng(0)
    assert detect_period(rng.standard_normal(500)) is None
    assert detect_period(np.arange(100.0)) is None  # a trend has no peak
    assert detect_period(np.ones(50)) is None
    assert detect_period(np.array([1.0, 2.0, 1.0])) is None


def test_bad_input():
    with pytest.raises(GrukitDataError, match=r"takes 1-D values, got shape \(10, 2\)"):
        detect_period(np.zeros((10, 2)))
    with pytest.raises(GrukitDataError, match="takes datetimes or numbers, got values of type"):
        detect_period(np.array(["a", "b"]))
