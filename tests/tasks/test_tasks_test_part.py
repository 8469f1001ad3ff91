"""Backtests score only the test part; periods, integer and zone-aware times in the Forecaster."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from grukit.data import GrukitDataError
from grukit.tasks import Forecaster
from support.series import fast_config, seasonal_frame


@pytest.fixture(scope="module")
def fitted():
    frame = seasonal_frame(600)
    model = Forecaster(12, 3, targets="a", hidden_size=8, train_config=fast_config(1))
    return frame, model.fit(frame.iloc[:480])


def test_no_history_row_is_scored(fitted):
    frame, model = fitted
    backtest = model.backtest(frame, test_fraction=0.2)
    assert backtest["window"].nunique() == 120 - 3 + 1
    assert backtest["time"].min() == frame["time"].iloc[480]  # the first test row
    by_date = model.evaluate(frame, test_from=str(frame["time"].iloc[480]))
    assert by_date.attrs["windows"] == 118 and not np.isnan(by_date.loc["seasonal_naive", "rmse"])
    with pytest.raises(ValueError, match="`test_from` or `test_fraction`, not both"):
        model.backtest(frame, test_from="2021-01-20", test_fraction=0.2)


def test_a_period_longer_than_the_training_part_is_refused():
    model = Forecaster(12, 3, targets="a", period=1000, train_config=fast_config(1))
    with pytest.raises(GrukitDataError, match="`period` = 1000 is longer than the training"):
        model.fit(seasonal_frame(480))


def test_a_short_evaluation_table_warns_that_the_seasonal_column_is_empty(fitted):
    frame, model = fitted
    with pytest.warns(UserWarning, match="seasonal-naive column is NaN"):
        table = model.evaluate(frame.iloc[480:500])
    assert np.isnan(table.loc["seasonal_naive", "rmse"])


def test_integer_steps_forecast_integer_times():
    frame = seasonal_frame(300).drop(columns="time").assign(t=np.arange(0, 3000, 10))
    model = Forecaster(12, 3, targets="a", time_column="t", train_config=fast_config(1))
    forecast = model.fit(frame).predict(frame)
    assert forecast["t"].tolist() == [3000, 3010, 3020] and forecast["step"].tolist() == [1, 2, 3]
    assert model.period_ == 24  # from the target, not from the integer times


def test_zone_aware_times_fit_and_forecast_in_utc():
    frame = seasonal_frame(300)
    frame["time"] = frame["time"].dt.tz_localize("Europe/Paris").astype(str)
    model = Forecaster(12, 3, targets="a", train_config=fast_config(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forecast = model.fit(frame).predict(frame)
    last = pd.Timestamp(frame["time"].iloc[-1]).tz_convert("UTC").tz_localize(None)
    assert forecast["time"].iloc[0] == last + pd.Timedelta(hours=1) and model.period_ == 24
