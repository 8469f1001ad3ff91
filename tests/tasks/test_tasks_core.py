"""The Task core: parameters from the constructor, set_params, score, GRUConfig's checks, and
the tasks' import graph (no cycles, storage never imports a concrete task)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grukit.checks import constructor_arguments
from grukit.data import multi_seasonal_with_anomalies
from grukit.tasks import AnomalyDetector, Forecaster, GRUConfig
from grukit.tasks.registry import TASKS, task_class
from grukit.train import TrainConfig
from support.import_graph import import_graph
from support.series import fast_config, seasonal_frame


def test_get_params_returns_exactly_what_was_given():
    model = Forecaster(12, 3, targets="a", covariates=("temp",), scaler="none")
    params = model.get_params()
    assert list(params) == constructor_arguments(Forecaster)
    assert params["targets"] == "a" and params["covariates"] == ("temp",)
    assert params["scaler"] == "none" and params["gru_config"] is None
    # the checked, normalised values are the attributes
    assert model.targets == ["a"] and model.covariates == ["temp"] and model.scaler is None
    assert model.gru_config == GRUConfig() and model.train_config == TrainConfig()
    assert (
        repr(Forecaster(**params))
        == repr(model)
        == ("Forecaster(lookback=12, horizon=3, targets='a', covariates=('temp',), scaler='none')")
    )


def test_set_params_checks_like_the_constructor_and_returns_self():
    model = Forecaster(12, 3)
    assert model.set_params(horizon=6, dropout=0.25) is model
    assert model.horizon == 6 and model.get_params()["dropout"] == 0.25
    with pytest.raises(ValueError, match="`horizon` must be a positive integer, got 2.0"):
        model.set_params(horizon=2.0)
    with pytest.raises(ValueError, match=r"`dropout` must be a probability in \[0, 1\), got True"):
        model.set_params(dropout=True)
    with pytest.raises(ValueError, match="strategy='recursive' feeds forecasts back"):
        model.set_params(strategy="recursive", covariates=["temp"])
    assert model.horizon == 6 and model.strategy == "direct"  # a refused change changes nothing
    detector = AnomalyDetector(8)
    with pytest.raises(ValueError, match="`stride` must be at most `window` = 4, got 6"):
        detector.set_params(window=4, stride=6)
    assert detector.window == 8


def test_set_params_refuses_unknown_names():
    with pytest.raises(
        ValueError, match="AnomalyDetector has no parameter 'lookback'; its parameters are window,"
    ):
        AnomalyDetector(8).set_params(lookback=4)


def test_set_params_of_a_fitted_task_forgets_what_it_learned():
    frame = seasonal_frame(120)
    model = Forecaster(12, 3, targets="a", hidden_size=4, train_config=fast_config(1))
    model.fit(frame)
    model.set_params(hidden_size=4)  # no change: still fitted
    assert model.network_ is not None
    model.set_params(horizon=2)
    assert not [n for n in vars(model) if n.endswith("_") and not n.startswith("_")]
    with pytest.raises(ValueError, match="not fitted yet; call fit first"):
        model.predict(frame)
    assert model.fit(frame).predict(frame)["step"].tolist() == [1, 2]


def test_params_from_config_rebuilds_the_option_dataclasses():
    config = {"params": {"window": 8, "gru_config": {"layer_norm": True}, "train_config": {}}}
    params = AnomalyDetector.params_from_config(config)
    assert params["gru_config"] == GRUConfig(layer_norm=True)
    assert params["train_config"] == TrainConfig() and params["window"] == 8


def test_score_is_higher_for_the_better_model():
    frame = seasonal_frame(240)
    model = Forecaster(24, 3, targets="a", hidden_size=8, train_config=fast_config(1))
    model.fit(frame.iloc[:180])
    score = model.score(frame.iloc[150:])
    assert score == -model.evaluate(frame.iloc[150:]).loc["gru", "rmse"] and score < 0
    series = multi_seasonal_with_anomalies(600, n_anomalies=3)
    detector = AnomalyDetector(24, label_column="anomaly", hidden_size=4, stride=4,
                               train_config=fast_config(1))  # fmt: skip
    detector.fit(series)
    assert detector.score(series) == detector.evaluate(series)["f1"]
    assert 0 <= detector.score(series) <= 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"layer_norm": 1}, "`layer_norm` must be True or False, got 1"),
        ({"reset_after": "yes"}, "`reset_after` must be True or False, got 'yes'"),
        ({"zoneout": True}, r"`zoneout` must be a probability in \[0, 1\), got True"),
        ({"recurrent_dropout": "0.1"}, r"`recurrent_dropout` must be a probability"),
        ({"init": 1}, "`init` must be one of 'torch', 'keras', got 1"),
        ({"engine": "cuda"}, "`engine` must be one of 'auto', 'torch', 'native', 'fused'"),
    ],
)
def test_gru_config_json_round_trip_refuses_wrong_types(values, message):
    with pytest.raises(ValueError, match=message):
        GRUConfig.from_dict(values)


def test_every_registered_task_is_found_by_its_name():
    for name in TASKS:
        assert task_class(name).task == name
    with pytest.raises(ValueError, match="unknown task 'tagger'; expected one of"):
        task_class("tagger")


def test_the_general_task_modules_never_import_a_concrete_task():
    """Cycles and layers are checked for the whole package in tests/test_structure.py; here,
    the task core's own rule: in the task layer, only the registry knows the concrete tasks."""
    graph = import_graph()
    concrete = {"grukit.tasks.forecaster", "grukit.tasks.detector"}
    for low in ("grukit.tasks.base", "grukit.tasks.storage", "grukit.tasks.series"):
        assert not graph[low] & concrete, low
    importers = {
        m for m, targets in graph.items() if m.startswith("grukit.tasks") and targets & concrete
    }
    assert importers <= {"grukit.tasks", "grukit.tasks.registry", *concrete}, importers


def test_storage_and_base_load_without_the_concrete_tasks():
    code = (
        "import sys, grukit.tasks.base, grukit.tasks.storage, grukit.tasks.registry; "
        "print(sorted(m for m in sys.modules if m in "
        "('grukit.tasks.forecaster', 'grukit.tasks.detector')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
