"""Baselines on constructed series with known answers, on the same windows as the model."""

import numpy as np
import pytest

from grukit.baselines import persistence, seasonal_naive
from grukit.data import make_windows
from grukit.metrics import forecast_metrics


def test_persistence_repeats_the_last_value():
    history = np.arange(12.0).reshape(2, 3, 2)  # (N, L, C)
    forecast = persistence(history, 4)
    assert forecast.shape == (2, 4, 2)
    assert forecast[1].tolist() == [[10.0, 11.0]] * 4
    assert persistence([[1.0, 5.0]], 3).tolist() == [[5.0, 5.0, 5.0]]


def test_persistence_is_exact_on_a_constant_series_and_off_by_k_on_a_ramp():
    w = make_windows(np.arange(50.0), 5, 3, targets=[0])
    forecast = persistence(w.inputs[..., :1], 3)
    np.testing.assert_array_equal(
        w.targets - forecast, np.broadcast_to([[1.0], [2.0], [3.0]], w.targets.shape)
    )


def test_seasonal_naive_is_exact_on_a_periodic_series():
    period = 24
    t = np.arange(24 * 20)
    rng = np.random.default_rng(0)
    season = rng.standard_normal(period)
    values = np.stack([season[t % period], 2 * season[t % period] + 1], axis=1)
    for horizon in (1, 24, 60):  # shorter, equal to and longer than a period
        w = make_windows(values, 48, horizon, targets=["0", "1"])
        forecast = seasonal_naive(w.inputs[..., :2], horizon, period)
        assert forecast.shape == w.targets.shape
        scores = forecast_metrics(w.targets, forecast)
        assert scores["mse"] == 0.0 and scores["mae"] == 0.0
        assert forecast_metrics(w.targets, persistence(w.inputs[..., :2], horizon))["mse"] > 0.1


def test_seasonal_naive_by_hand_and_period_one_is_persistence():
    history = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    assert seasonal_naive(history, 5, 2).tolist() == [[4.0, 5.0, 4.0, 5.0, 4.0]]
    assert seasonal_naive(history, 2, 5).tolist() == [[1.0, 2.0]]
    np.testing.assert_array_equal(seasonal_naive(history, 3, 1), persistence(history, 3))


def test_errors():
    with pytest.raises(ValueError, match="needs lookback >= period = 24, got lookback 5"):
        seasonal_naive(np.zeros((2, 5)), 3, 24)
    with pytest.raises(ValueError, match="`period` must be a positive integer, got 0"):
        seasonal_naive(np.zeros((2, 5)), 3, 0)
    with pytest.raises(ValueError, match="`horizon` must be a positive integer, got 0"):
        persistence(np.zeros((2, 5)), 0)
    with pytest.raises(ValueError, match=r"`history` must have shape \(N, L\) or \(N, L, C\)"):
        persistence(np.zeros(5), 2)
