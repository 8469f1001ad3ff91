"""save/load: identical predictions after a round trip, clear errors for damaged files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import grukit
from grukit.data import multi_seasonal_with_anomalies
from grukit.io import CorruptFileError
from grukit.tasks import AnomalyDetector, Forecaster, GRUConfig, load
from grukit.tasks.storage import config_digest
from support.series import fast_config, seasonal_frame


@pytest.fixture(scope="module")
def frame():
    return seasonal_frame(200)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, frame):
    model = Forecaster(
        12, 3, targets=["a", "b"], covariates=["temp", "wind"], fill="ffill", hidden_size=8,
        gru_config=GRUConfig(layer_norm=True), train_config=fast_config(2),
    )  # fmt: skip
    model.fit(frame.iloc[:150], validation=0.2)
    path = tmp_path_factory.mktemp("model")
    model.save(path)
    return model, path


def test_round_trip_gives_identical_predictions_and_tables(frame, saved):
    model, path = saved
    loaded = load(path)
    assert isinstance(loaded, Forecaster)
    assert loaded.get_params()["gru_config"] == GRUConfig(layer_norm=True)
    assert loaded.train_config == model.train_config
    for name in ("targets_", "input_columns_", "categories_", "period_", "time_step_"):
        assert getattr(loaded, name) == getattr(model, name), name
    assert loaded.predict(frame).equals(model.predict(frame))
    assert loaded.evaluate(frame.iloc[120:]).equals(model.evaluate(frame.iloc[120:]))
    assert loaded.history_.to_dict() == model.history_.to_dict()


def test_the_top_level_load_is_the_same_function():
    assert grukit.tasks.load is load


def test_saved_files_are_json_and_safetensors_only(saved):
    _, path = saved
    assert sorted(p.name for p in path.iterdir()) == [
        "config.json", "history.json", "model.safetensors",
    ]  # fmt: skip
    config = json.loads((path / "config.json").read_text())
    assert config["task"] == "forecaster" and config["format"] == "grukit-model"
    assert config["fitted"]["scaler"]["kind"] == "standard"
    assert config["fitted"]["categories"] == {"wind": ["NE", "NW", "cv"]}
    assert config["params"]["train_config"]["epochs"] == 2


def test_detector_round_trip(tmp_path):
    series = multi_seasonal_with_anomalies(600, n_anomalies=2)
    detector = AnomalyDetector(24, label_column="anomaly", hidden_size=8, stride=4,
                               train_config=fast_config(1))  # fmt: skip
    detector.fit(series).save(tmp_path / "detector")
    loaded = load(tmp_path / "detector" / "config.json")
    assert isinstance(loaded, AnomalyDetector) and loaded.threshold_ == detector.threshold_
    np.testing.assert_array_equal(loaded.score_samples(series), detector.score_samples(series))


def _copy(saved, tmp_path):
    _, path = saved
    target = tmp_path / "copy"
    target.mkdir()
    for item in path.iterdir():
        (target / item.name).write_bytes(item.read_bytes())
    return target


def test_truncated_weights_give_a_clear_error(saved, tmp_path):
    path = _copy(saved, tmp_path)
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match="model weights .* are corrupt .*SHA-256 mismatch"):
        load(path)


def test_corrupt_or_truncated_config_gives_a_clear_error(saved, tmp_path):
    path = _copy(saved, tmp_path)
    config = path / "config.json"
    config.write_text(config.read_text()[:200])
    with pytest.raises(
        CorruptFileError, match=r"model config .*config.json' is corrupt \(invalid JSON"
    ):
        load(path)
    config.write_text("")
    with pytest.raises(CorruptFileError, match="is corrupt \\(empty file"):
        load(path)
    config.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(CorruptFileError, match="is not a grukit model config"):
        load(path)


def test_weights_that_do_not_fit_the_config_are_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    config = json.loads((path / "config.json").read_text())
    config["fitted"]["network"]["hidden_size"] = 9
    config["config_sha256"] = config_digest(config)  # an edit that passes the config's own check
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CorruptFileError, match="do not fit the configuration"):
        load(path)


def test_missing_model_gives_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no grukit model at .*does not exist"):
        load(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no grukit model in .*config.json' is missing"):
        load(tmp_path)


def test_save_before_fit_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="not fitted yet"):
        Forecaster(8, 2).save(tmp_path)
