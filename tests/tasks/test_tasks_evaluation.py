"""Forecast evaluation batch by batch: the same numbers as the whole backtest at once, memory
bounded by the batch, and MAPE left out for a target that crosses zero."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from grukit import metrics
from grukit.tasks import Forecaster, evaluation_table
from grukit.tasks import forecaster as forecaster_module
from grukit.tasks.evaluation import METRICS, table_from_record, table_to_record
from support.series import fast_config, two_series_frame


@pytest.fixture(scope="module")
def frame():
    return two_series_frame(150)


@pytest.fixture(scope="module")
def model(frame):
    model = Forecaster(
        10, 4, targets=["a", "b"], covariates="temp", id_column="site", hidden_size=8,
        train_config=fast_config(1),
    )  # fmt: skip
    return model.fit(frame)


def test_backtest_in_tiny_batches_equals_the_whole_backtest(frame, model):
    whole = model.backtest(frame)
    parts = list(model.backtest_batches(frame, batch=7))
    assert len(parts) > 10 and all(part["window"].nunique() <= 7 for part in parts)
    joined = pd.concat(parts, ignore_index=True)
    # the network runs in float32, whose sums may round differently for another batch size
    pd.testing.assert_frame_equal(
        joined.drop(columns="gru"), whole.drop(columns="gru"), check_exact=True
    )
    np.testing.assert_allclose(joined["gru"], whole["gru"], rtol=1e-6)


def test_evaluation_accumulated_over_tiny_batches_equals_the_metrics_of_the_whole(
    frame, model, monkeypatch
):
    whole = pd.concat(model.backtest_batches(frame, batch=3), ignore_index=True)
    monkeypatch.setattr(forecaster_module, "BACKTEST_BATCH", 3)
    table = model.evaluate(frame)
    assert table.attrs["windows"] == whole["window"].nunique()
    for target in ("a", "b"):
        part = whole[whole["target"] == target].sort_values(["window", "step"])
        truth = part["actual"].to_numpy().reshape(-1, 4)
        for name in ("gru", "persistence", "seasonal_naive"):
            predicted = part[name].to_numpy().reshape(-1, 4)
            for metric in METRICS:
                function = getattr(metrics, metric)
                expected = function(truth, predicted, ignore_nan=True)
                np.testing.assert_allclose(table.loc[name, (target, metric)], expected, rtol=1e-12)
                at_3 = function(truth[:, 2], predicted[:, 2], ignore_nan=True)
                np.testing.assert_allclose(
                    table.loc[name, (target, f"{metric}@3")], at_3, rtol=1e-12
                )
    pd.testing.assert_frame_equal(table, evaluation_table(whole), rtol=1e-12)


def test_evaluation_memory_is_bounded_by_the_batch_not_the_windows(monkeypatch):
    rng = np.random.default_rng(0)
    n, lookback = 20_000, 48
    t = np.arange(n)
    table = pd.DataFrame(
        {
            "time": pd.date_range("2020-01-01", periods=n, freq="h"),
            "a": 10 + np.sin(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(n),
            "temp": rng.standard_normal(n),
        }
    )
    model = Forecaster(lookback, 3, targets="a", covariates="temp", hidden_size=4)
    model.set_params(train_config=fast_config(1)).fit(table.iloc[:400])
    monkeypatch.setattr(forecaster_module, "BACKTEST_BATCH", 256, raising=False)
    all_windows = (n - lookback) * lookback * 2 * 8  # one float64 array (N, L, F): 15 MB
    tracemalloc.start()
    try:
        model.evaluate(table)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < all_windows / 2, f"peak {peak / 1e6:.1f} MB"


def test_mape_is_left_out_for_a_target_that_crosses_zero(frame):
    centred = frame.assign(b=frame["b"] - frame["b"].mean())  # both signs
    model = Forecaster(
        10, 2, targets=["a", "b"], id_column="site", hidden_size=4, train_config=fast_config(1)
    ).fit(centred)
    table = model.evaluate(centred)
    assert "mape" not in table["b"].columns and "mape@1" not in table["b"].columns
    assert "smape" in table["b"].columns and "mape" in table["a"].columns
    assert table.attrs["mape"] == {"b": "n/a (target crosses zero)"}
    record = table_to_record(table)
    assert "mape" not in record["b"]["gru"] and "mape" in record["a"]["gru"]
    assert "mape" not in table_from_record(record)["b"].columns
