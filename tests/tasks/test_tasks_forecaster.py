"""Forecaster: the estimator contract, shapes, tables, baselines and data handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grukit import metrics
from grukit.baselines import persistence, seasonal_naive
from grukit.data import GrukitDataError
from grukit.tasks import Forecaster, GRUConfig
from grukit.tasks.evaluation import METRICS, metric_columns
from support.series import fast_config, seasonal_frame, two_series_frame


@pytest.fixture(scope="module")
def frame():
    return seasonal_frame(240)


@pytest.fixture(scope="module")
def fitted(frame):
    model = Forecaster(
        12,
        3,
        targets="a",
        covariates=["temp", "wind"],
        hidden_size=8,
        train_config=fast_config(),
    )
    return model.fit(frame.iloc[:180], validation=0.2)


def test_fit_returns_self_and_learned_attributes_end_in_underscore(frame, fitted):
    assert isinstance(fitted, Forecaster)
    learned = [name for name in vars(fitted) if name.endswith("_") and not name.startswith("_")]
    assert {"network_", "history_", "scaler_", "targets_", "input_columns_", "period_"} <= set(
        learned
    )
    unfitted = Forecaster(12, 3)
    assert not [n for n in vars(unfitted) if n.endswith("_") and not n.startswith("_")]
    with pytest.raises(ValueError, match="not fitted yet; call fit first"):
        unfitted.predict(frame)


def test_get_params_returns_the_constructor_arguments(fitted):
    params = fitted.get_params()
    assert params["lookback"] == 12 and params["horizon"] == 3
    assert params["covariates"] == ["temp", "wind"]
    assert "hidden_size=8" in repr(fitted)


def test_text_covariate_is_one_hot_encoded_with_categories_from_training(fitted):
    assert fitted.categories_ == {"wind": ["NE", "NW", "cv"]}
    assert fitted.input_columns_ == ["a", "temp", "wind=NE", "wind=NW", "wind=cv"]
    assert fitted.n_features_in_ == 5


def test_scaler_is_fitted_on_the_training_part_only(frame, fitted):
    # fit(validation=0.2) trains on the first 80% of the 180 rows
    train = frame.iloc[:144]
    np.testing.assert_allclose(fitted.scaler_.offset_, train[["a", "temp"]].mean().to_numpy())
    assert not np.allclose(fitted.scaler_.offset_, frame.iloc[:180][["a", "temp"]].mean())


def test_period_is_detected_from_the_hourly_time_column(fitted):
    assert fitted.period_ == 24
    assert fitted.time_column_ == "time"
    assert pd.Timedelta(fitted.time_step_) == pd.Timedelta(hours=1)


def test_predict_forecasts_the_steps_after_the_data(frame, fitted):
    forecast = fitted.predict(frame.iloc[:180])
    assert list(forecast.columns) == ["time", "step", "a"]
    assert forecast["step"].tolist() == [1, 2, 3]
    expected = pd.date_range(frame["time"].iloc[179], periods=4, freq="h")[1:]
    assert (pd.DatetimeIndex(forecast["time"]) == expected).all()
    assert np.isfinite(forecast["a"]).all()


def test_evaluate_table_has_models_as_rows_and_metrics_per_step(frame, fitted):
    table = fitted.evaluate(frame.iloc[156:])
    assert list(table.index) == ["gru", "persistence", "seasonal_naive"]
    assert list(table.columns) == metric_columns(3)
    assert list(table.columns[:5]) == list(METRICS)
    assert {"rmse@1", "rmse@3", "mape@2", "smape@3", "mae@1"} <= set(table.columns)
    # windows keep max(lookback, period) = 24 rows of history: 84 rows -> 84 - 24 - 3 + 1
    assert table.attrs["windows"] == 58


def test_evaluate_baselines_match_direct_computation_in_original_units(frame, fitted):
    test = frame.iloc[156:].reset_index(drop=True)
    table = fitted.evaluate(test)
    values = test["a"].to_numpy()
    starts = np.arange(24, len(values) - 3 + 1)
    history = np.stack([values[s - 24 : s] for s in starts])
    truth = np.stack([values[s : s + 3] for s in starts])
    np.testing.assert_allclose(
        table.loc["persistence", "rmse"], metrics.rmse(truth, persistence(history, 3))
    )
    naive = seasonal_naive(history, 3, 24)
    np.testing.assert_allclose(
        table.loc["seasonal_naive", "mae@2"], metrics.mae(truth[:, 1], naive[:, 1])
    )
    # the GRU row is computed from the backtest's forecasts in original units
    backtest = fitted.backtest(test)
    gru = backtest["gru"].to_numpy().reshape(-1, 3)
    np.testing.assert_allclose(table.loc["gru", "mse"], metrics.mse(truth, gru))
    np.testing.assert_allclose(backtest["actual"].to_numpy().reshape(-1, 3), truth)


def test_several_targets_give_one_table_per_target(frame):
    model = Forecaster(12, 2, targets=["a", "b"], hidden_size=8, train_config=fast_config(1))
    model.fit(frame.iloc[:180])
    table = model.evaluate(frame.iloc[150:])
    assert isinstance(table.columns, pd.MultiIndex)
    assert list(table.columns.get_level_values(0).unique()) == ["a", "b"]
    assert list(table["b"].columns) == metric_columns(2)
    assert not table["a"].equals(table["b"])
    forecast = model.predict(frame)
    assert list(forecast.columns) == ["time", "step", "a", "b"]


def test_targets_default_to_the_numeric_columns(frame):
    model = Forecaster(12, 2, hidden_size=4, train_config=fast_config(1)).fit(frame.iloc[:100])
    assert model.targets_ == ["a", "b", "temp"]


def test_several_series_via_an_id_column(frame):
    data = two_series_frame()
    model = Forecaster(
        12, 2, targets="a", id_column="site", hidden_size=8, train_config=fast_config(1)
    )
    model.fit(data)
    forecast = model.predict(data)
    assert forecast["site"].tolist() == ["s1", "s1", "s2", "s2"]
    ends = data.groupby("site")["time"].max()
    assert forecast.loc[0, "time"] == ends["s1"] + pd.Timedelta(hours=1)
    backtest = model.backtest(data)
    # windows never cross series: each series gives 150 - 24 - 2 + 1 windows
    assert backtest.groupby("site")["window"].nunique().tolist() == [125, 125]


def test_recursive_strategy_rolls_one_step_forward(frame):
    model = Forecaster(
        12, 4, targets="a", strategy="recursive", hidden_size=8, train_config=fast_config(1)
    )
    model.fit(frame.iloc[:180])
    assert model.network_.steps == 1
    forecast = model.predict(frame.iloc[:180])
    assert forecast.shape == (4, 3)
    table = model.evaluate(frame.iloc[150:])
    assert table.shape == (3, len(metric_columns(4)))


def test_recursive_strategy_with_covariates_is_refused():
    with pytest.raises(ValueError, match="future covariates are unknown; use strategy='direct'"):
        Forecaster(12, 4, targets="a", covariates="temp", strategy="recursive")


def test_numpy_array_and_csv_and_parquet_inputs(tmp_path, frame):
    values = frame[["a", "temp"]].to_numpy()
    model = Forecaster(
        8, 2, targets="0", covariates="1", hidden_size=4, train_config=fast_config(1)
    )
    model.fit(values[:150])
    assert model.time_column_ is None and model.period_ == 24  # from the autocorrelation
    assert list(model.predict(values).columns) == ["step", "0"]
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_parquet(tmp_path / "data.parquet")
    for path in (tmp_path / "data.csv", str(tmp_path / "data.parquet")):
        model = Forecaster(8, 2, targets="a", hidden_size=4, train_config=fast_config(1)).fit(path)
        assert model.time_column_ == "time"


def test_uci_calendar_columns_become_the_time_column(frame):
    uci = frame.drop(columns="time").assign(
        year=frame["time"].dt.year,
        month=frame["time"].dt.month,
        day=frame["time"].dt.day,
        hour=frame["time"].dt.hour,
    )
    model = Forecaster(8, 2, targets="a", hidden_size=4, train_config=fast_config(1)).fit(uci)
    assert model.time_column_ == "time" and model.period_ == 24
    assert model.predict(uci)["time"].iloc[0] == frame["time"].iloc[-1] + pd.Timedelta(hours=1)


def test_missing_values_need_a_fill_policy(frame):
    holes = frame.copy()
    holes.loc[[30, 31, 77], "a"] = np.nan
    model = Forecaster(8, 2, targets="a", hidden_size=4, train_config=fast_config(1))
    with pytest.raises(
        GrukitDataError, match=r"column 'a' has 3 missing values \(rows 30, 31, 77\)"
    ):
        model.fit(holes)
    for fill in ("ffill", "interpolate", "drop"):
        model = Forecaster(8, 2, targets="a", fill=fill, hidden_size=4, train_config=fast_config(1))
        table = model.fit(holes).evaluate(holes)
        assert np.isfinite(table.loc["gru", "rmse"])


def test_filled_truth_is_left_out_of_the_metrics(frame):
    holes = frame.copy()
    holes.loc[100:110, "a"] = np.nan
    model = Forecaster(
        8, 2, targets="a", fill="interpolate", hidden_size=4, train_config=fast_config(1)
    )
    backtest = model.fit(holes).backtest(holes)
    missing_times = set(holes.loc[100:110, "time"])
    filled = backtest["time"].isin(missing_times)
    assert backtest.loc[filled, "actual"].isna().all()
    assert backtest.loc[~filled, "actual"].notna().all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targets": "nope"}, "unknown target column 'nope'; available columns: 'time', 'a'"),
        ({"covariates": "zzz"}, "unknown covariate column 'zzz'"),
    ],
)
def test_unknown_columns_name_what_exists(frame, change, message):
    with pytest.raises(GrukitDataError, match=message):
        Forecaster(8, 2, hidden_size=4, train_config=fast_config(1), **change).fit(frame)


def test_text_in_a_numeric_target_names_the_row(frame):
    bad = frame.astype({"a": object})
    bad.loc[17, "a"] = "abc"
    with pytest.raises(
        GrukitDataError, match="target column 'a' must be numeric, row 17 holds 'abc'"
    ):
        Forecaster(8, 2, targets="a", train_config=fast_config(1)).fit(bad)


def test_too_few_rows_for_one_window(frame):
    with pytest.raises(GrukitDataError, match=r"need at least lookback \+ horizon = 10 rows"):
        Forecaster(8, 2, targets="a", train_config=fast_config(1)).fit(frame.iloc[:5])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback": 0}, "`lookback` must be a positive integer, got 0"),
        ({"horizon": 2.5}, "`horizon` must be a positive integer, got 2.5"),
        ({"strategy": "magic"}, "`strategy` must be one of 'direct', 'recursive', got 'magic'"),
        ({"scaler": "robust"}, "`scaler` must be one of 'standard', 'minmax', None, got 'robust'"),
        (
            {"fill": "zero"},
            "`fill` must be one of None, 'ffill', 'interpolate', 'drop', got 'zero'",
        ),
        ({"dropout": 1.0}, r"`dropout` must be a probability in \[0, 1\), got 1.0"),
        ({"gru_config": {"zoneout": 0.1}}, "`gru_config` must be a GRUConfig, got dict"),
        ({"targets": "a", "covariates": ["a"]}, "column 'a' is given as a target and a covariate"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, message):
    arguments = {"lookback": 8, "horizon": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        Forecaster(arguments.pop("lookback"), arguments.pop("horizon"), **arguments)


def test_gru_config_reaches_the_encoder(frame):
    config = GRUConfig(layer_norm=True, reset_after=False)
    model = Forecaster(
        8, 2, targets="a", hidden_size=4, gru_config=config, train_config=fast_config(1)
    )
    encoder = model.fit(frame.iloc[:100]).network_.encoder
    assert encoder.layer_norm and not encoder.reset_after


def test_training_is_reproducible_with_the_same_seed(frame):
    def run():
        model = Forecaster(8, 2, targets="a", hidden_size=4, train_config=fast_config(2, seed=3))
        return model.fit(frame.iloc[:120]).predict(frame.iloc[:120])["a"].to_numpy()

    np.testing.assert_array_equal(run(), run())


def test_trained_gru_beats_persistence_on_a_seasonal_series():
    frame = seasonal_frame(600, seed=4)
    model = Forecaster(24, 6, targets="a", hidden_size=16, train_config=fast_config(15))
    table = model.fit(frame.iloc[:450], validation=0.15).evaluate(frame.iloc[426:])
    # persistence cannot follow the daily cycle six hours ahead; the GRU can
    assert table.loc["gru", "rmse@6"] < 0.5 * table.loc["persistence", "rmse@6"]
    assert table.loc["gru", "rmse"] < table.loc["persistence", "rmse"]


def test_validation_data_drives_early_stopping(frame):
    model = Forecaster(
        12, 2, targets="a", hidden_size=4, train_config=fast_config(30, patience=2, min_delta=1.0)
    )
    model.fit(frame.iloc[:150], validation=frame.iloc[138:200])
    # no epoch improves the validation loss by 1.0 after the first: stop after 1 + 2 epochs
    assert model.history_.monitor == "val_loss"
    assert len(model.history_) == 3 and model.history_.stop_reason == "early_stopping"
    assert model.history_.restored_best


def test_time_column_none_ignores_the_time_stamps(frame):
    model = Forecaster(
        8, 2, targets="a", time_column=None, hidden_size=4, train_config=fast_config(1)
    )
    forecast = model.fit(frame.drop(columns="wind")).predict(frame)
    assert model.time_column_ is None and list(forecast.columns) == ["step", "a"]
