"""Loaders on the real files (skipped when absent) and the published persistence floors.

The files are read from the shared data folder next to the repository, or from
$GRUKIT_SHARED_DATA; they are never copied into the repository.
"""

import numpy as np
import pandas as pd
import pytest

from grukit.baselines import persistence
from grukit.data import (
    GrukitDataError,
    StandardScaler,
    fill_missing,
    load_beijing_pm25,
    load_ett,
    make_windows,
)
from grukit.metrics import forecast_metrics, mae, rmse
from support.datasets import ETTH1, ETTH2, PM25


def _need(path):
    if not path.exists():
        pytest.skip(f"dataset not found at {path} (set GRUKIT_SHARED_DATA)")


@pytest.fixture(scope="module")
def pm25():
    _need(PM25)
    return load_beijing_pm25(PM25)


def test_pm25_loader(pm25):
    assert len(pm25) == 43824
    assert pm25.columns.tolist() == [
        "time",
        "pm2.5",
        "DEWP",
        "TEMP",
        "PRES",
        "cbwd=NE",
        "cbwd=NW",
        "cbwd=SE",
        "cbwd=cv",
        "Iws",
        "Is",
        "Ir",
    ]
    assert int(pm25["pm2.5"].isna().sum()) == 2067
    assert pm25["time"].iloc[0] == pd.Timestamp("2010-01-01 00:00")
    assert pm25["time"].iloc[-1] == pd.Timestamp("2014-12-31 23:00")
    assert (pm25["time"].diff().iloc[1:] == pd.Timedelta(hours=1)).all()
    one_hot = pm25[["cbwd=NE", "cbwd=NW", "cbwd=SE", "cbwd=cv"]].to_numpy()
    assert (one_hot.sum(axis=1) == 1).all()
    with pytest.raises(GrukitDataError, match="column 'pm2.5' has 2067 missing values"):
        make_windows(pm25, 24, 6, targets=["pm2.5"], time_column="time")


def test_pm25_keeps_cbwd_as_text_on_request():
    _need(PM25)
    frame = load_beijing_pm25(PM25, one_hot=False)
    assert sorted(frame["cbwd"].unique()) == ["NE", "NW", "SE", "cv"]


@pytest.mark.parametrize(
    ("hours", "published_rmse", "published_mae"),
    [(1, 22.06, 11.92), (6, 61.23, 38.65), (24, 98.71, 67.27)],
)
def test_pm25_persistence_floor_of_source_md(pm25, hours, published_rmse, published_mae):
    """Protocol that reproduces SOURCE.md to all printed digits: every hour t of 2014 (the
    target), forecast = pm2.5 at t - h (which may lie in December 2013), pairs with a missing
    value at either end skipped. On the windows: lookback 1, horizon h, raw NaN kept, score the
    last step of the windows whose target hour is in 2014."""
    w = make_windows(pm25, 1, hours, targets=["pm2.5"], time_column="time", allow_nan=True)
    forecast = persistence(w.inputs[..., :1], hours)
    target_time = pd.DatetimeIndex(w.start_time) + pd.Timedelta(hours=hours - 1)
    in_2014 = np.asarray(target_time.year == 2014)
    truth, guess = w.targets[in_2014, -1, 0], forecast[in_2014, -1, 0]
    assert round(rmse(truth, guess, ignore_nan=True), 2) == published_rmse
    assert round(mae(truth, guess, ignore_nan=True), 2) == published_mae


def test_pm25_drop_windows_skip_the_gaps(pm25):
    dropped = fill_missing(pm25, ["pm2.5", "TEMP"], "drop")
    w = make_windows(dropped, 24, 6, targets=["pm2.5"], covariates=["TEMP"], time_column="time")
    assert not np.isnan(w.inputs).any() and not np.isnan(w.targets).any()
    first_input = pd.DatetimeIndex(w.start_time) - pd.Timedelta(hours=24)
    rows = pm25.set_index("time")["pm2.5"].isna()
    counts = rows.rolling(30).sum().shift(-5)  # NaNs among the 30 hours of each window
    assert (counts.reindex(first_input + pd.Timedelta(hours=24)).to_numpy() == 0).all()
    assert len(w) == int((counts == 0).sum())  # every gap-free 30-hour stretch gives a window


@pytest.mark.parametrize("path", [ETTH1, ETTH2], ids=["ETTh1", "ETTh2"])
def test_ett_loader(path):
    _need(path)
    frame = load_ett(path)
    assert frame.shape == (17420, 8)
    assert frame.columns.tolist() == ["time", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    assert frame["time"].iloc[0] == pd.Timestamp("2016-07-01 00:00")
    assert frame["time"].iloc[-1] == pd.Timestamp("2018-06-26 19:00")


def test_ett_persistence_floor_of_source_md():
    """Univariate OT, z-scored with the 8,640 training rows; Informer test windows with
    lookback 96 (test rows 11,520 .. 14,399 plus 96 rows of context)."""
    _need(ETTH1)
    frame = load_ett(ETTH1)
    scaler = StandardScaler().fit(frame.iloc[:8640], ["OT"])
    test = scaler.transform(frame.iloc[8640 + 2880 - 96 : 8640 + 2 * 2880])
    published = {24: (0.034, 0.139), 168: (0.087, 0.229), 720: (0.129, 0.283)}
    for horizon, (published_mse, published_mae) in published.items():
        w = make_windows(test, 96, horizon, targets=["OT"], time_column="time")
        assert len(w) == 2880 - horizon + 1
        scores = forecast_metrics(w.targets, persistence(w.inputs[..., :1], horizon))
        assert round(scores["mse"], 3) == published_mse
        assert round(scores["mae"], 3) == published_mae


def test_ett_without_a_date_column(tmp_path):
    path = tmp_path / "ett.csv"
    path.write_text("when,OT\n2020-01-01,1.0\n")
    with pytest.raises(GrukitDataError, match="an ETT table must have a 'date' column"):
        load_ett(path)
