"""Synthetic series: shape, determinism, anomaly labels where the values were changed."""

import numpy as np
import pytest

from grukit.data import GrukitDataError, multi_seasonal_with_anomalies, sine_wave


def test_sine_wave_is_exact_without_noise_and_deterministic_with_a_seed():
    frame = sine_wave(48, period=24, amplitude=2.0)
    assert frame.columns.tolist() == ["time", "value"]
    np.testing.assert_allclose(frame["value"], 2.0 * np.sin(2 * np.pi * np.arange(48) / 24))
    assert frame["time"].diff().iloc[1:].eq(frame["time"].iloc[1] - frame["time"].iloc[0]).all()
    a, b = sine_wave(30, noise=0.5, seed=7), sine_wave(30, noise=0.5, seed=7)
    assert a.equals(b)
    assert not a.equals(sine_wave(30, noise=0.5, seed=8))


@pytest.mark.parametrize("kinds", [("spike",), ("level_shift",), ("noise_burst",), ("flatline",)])
def test_anomalies_are_labelled_where_the_series_changed(kinds):
    kwargs = {"seed": 5, "noise": 0.0, "n_anomalies": 4, "kinds": kinds, "anomaly_length": 10}
    frame = multi_seasonal_with_anomalies(2000, **kwargs)
    clean = multi_seasonal_with_anomalies(2000, **{**kwargs, "n_anomalies": 0})
    assert frame.columns.tolist() == ["time", "value", "anomaly"]
    changed = ~np.isclose(frame["value"], clean["value"])
    label = frame["anomaly"].to_numpy().astype(bool)
    assert not (changed & ~label).any()  # nothing changes outside the labels
    expected_rows = 4 if kinds == ("spike",) else 40
    assert label.sum() == expected_rows
    assert changed.sum() >= (4 if kinds == ("spike",) else 4 * 9)  # a flatline keeps its 1st row
    assert frame.equals(multi_seasonal_with_anomalies(2000, **kwargs))


def test_multichannel_and_mixed_kinds():
    frame = multi_seasonal_with_anomalies(
        1000, n_channels=3, n_anomalies=6, kinds=("spike", "level_shift", "noise_burst")
    )
    assert frame.columns.tolist() == ["time", "value_0", "value_1", "value_2", "anomaly"]
    assert frame["anomaly"].dtype == np.int64
    assert frame["anomaly"].sum() == 2 * 1 + 4 * 12


def test_errors():
    with pytest.raises(GrukitDataError, match="`kinds` must be a non-empty subset of"):
        multi_seasonal_with_anomalies(1000, kinds=("dip",))
    with pytest.raises(GrukitDataError, match="`n` must be at least 4 \\* anomaly_length"):
        multi_seasonal_with_anomalies(100, n_anomalies=5)
    with pytest.raises(GrukitDataError, match="`amplitudes` must have one value per period"):
        multi_seasonal_with_anomalies(1000, amplitudes=(1.0,))
    with pytest.raises(GrukitDataError, match="`n` must be an integer >= 1, got 0"):
        sine_wave(0)
    with pytest.raises(GrukitDataError, match="`n` must be an integer >= 1, got 100.0"):
        sine_wave(100.0)
    with pytest.raises(GrukitDataError, match="`period` must be a finite number > 0, got 0"):
        sine_wave(100, period=0)
    with pytest.raises(GrukitDataError, match="`n_anomalies` must be an integer >= 0, got 2.0"):
        multi_seasonal_with_anomalies(1000, n_anomalies=2.0)
    with pytest.raises(GrukitDataError, match="`anomaly_length` must be a positive integer, got 0"):
        multi_seasonal_with_anomalies(1000, anomaly_length=0)
    with pytest.raises(GrukitDataError, match="`n_channels` must be a positive integer, got True"):
        multi_seasonal_with_anomalies(1000, n_channels=True)
