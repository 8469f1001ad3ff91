"""TrainConfig: defaults, validation messages, dict and TOML round trips."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from grukit.train import TrainConfig


def test_defaults():
    config = TrainConfig()
    assert (config.epochs, config.batch_size, config.learning_rate) == (50, 64, 1e-3)
    assert (config.optimizer, config.weight_decay, config.momentum) == ("adam", 0.0, 0.9)
    assert (config.schedule, config.clip, config.patience, config.min_delta) == (None, 1.0, 10, 0.0)
    assert (config.seed, config.device, config.progress, config.shuffle) == (0, "auto", True, True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "`epochs` must be a positive integer, got 0"),
        ({"epochs": 2.0}, "`epochs` must be a positive integer, got 2.0"),
        ({"batch_size": True}, "`batch_size` must be a positive integer, got True"),
        ({"learning_rate": 0}, "`learning_rate` must be a positive finite number, got 0"),
        ({"learning_rate": float("nan")}, "`learning_rate` must be a positive finite number"),
        ({"optimizer": "rmsprop"}, "`optimizer` must be one of 'adam', 'adamw', 'sgd', got 'rmsp"),
        ({"weight_decay": -1e-4}, "`weight_decay` must be a finite number >= 0, got -0.0001"),
        ({"momentum": 1.0}, r"`momentum` must be a number in \[0, 1\), got 1.0"),
        ({"schedule": "linear"}, "`schedule` must be None or one of 'cosine', 'step', 'plateau'"),
        ({"schedule_factor": 1.5}, r"`schedule_factor` must be a number in \(0, 1\), got 1.5"),
        ({"schedule_step_epochs": 0}, "`schedule_step_epochs` must be a positive integer"),
        ({"clip": -1.0}, "`clip` must be a positive finite number, or None/0 to disable"),
        ({"patience": 0}, "`patience` must be a positive integer, or None to disable early"),
        ({"min_delta": -1}, "`min_delta` must be a finite number >= 0, got -1"),
        ({"seed": -1}, r"`seed` must be an integer in \[0, 2\*\*32\), got -1"),
        ({"seed": 2**32}, r"`seed` must be an integer in \[0, 2\*\*32\)"),
        ({"device": "gpu"}, "`device` must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got 'gpu'"),
        ({"progress": "yes"}, "`progress` must be True or False, got 'yes'"),
        ({"shuffle": 1}, "`shuffle` must be True or False, got 1"),
    ],
)
def test_validation_messages(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_normalization():
    config = TrainConfig(
        optimizer="AdamW", schedule="Cosine", clip=0, patience="none", learning_rate=1
    )
    assert config.optimizer == "adamw"
    assert config.schedule == "cosine"
    assert config.clip is None
    assert config.patience is None
    assert config.learning_rate == 1.0 and isinstance(config.learning_rate, float)
    assert TrainConfig(schedule="None").schedule is None
    assert TrainConfig(device="cuda:1").device == "cuda:1"


def test_frozen_and_replace_revalidates():
    config = TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.epochs = 3
    assert dataclasses.replace(config, epochs=3).epochs == 3
    with pytest.raises(ValueError, match="`epochs` must be a positive integer, got -3"):
        dataclasses.replace(config, epochs=-3)


def test_dict_round_trip_is_json_safe():
    config = TrainConfig(epochs=7, schedule="plateau", clip=None, patience=None, seed=99)
    values = json.loads(json.dumps(config.to_dict(), allow_nan=False))
    assert TrainConfig.from_dict(values) == config
    assert list(values) == list(TrainConfig.field_names())
    assert TrainConfig.from_dict({"epochs": 3}) == TrainConfig(epochs=3)


def test_from_dict_unknown_keys_lists_valid_fields():
    with pytest.raises(
        ValueError, match="unknown TrainConfig field\\(s\\) 'epoch', 'lr'; valid fi"
    ):
        TrainConfig.from_dict({"epoch": 3, "lr": 0.1})
    with pytest.raises(ValueError, match="valid fields: batch_size, bucket, clip, device, epochs"):
        TrainConfig.from_dict({"epoch": 3})


def test_from_toml(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        "[data]\nlookback = 24\n\n"
        "[train]\n"
        "epochs = 30\n"
        'optimizer = "adamw"\n'
        'schedule = "none"  # TOML has no null\n'
        "clip = 0.5\n"
        'patience = "none"\n'
        "learning_rate = 3e-4\n\n"
        "[tool.grukit.train]\nepochs = 4\n",
        encoding="utf-8",
    )
    config = TrainConfig.from_toml(path)
    assert config == TrainConfig(
        epochs=30, optimizer="adamw", schedule=None, clip=0.5, patience=None, learning_rate=3e-4
    )
    assert TrainConfig.from_toml(path, section="tool.grukit.train") == TrainConfig(epochs=4)


def test_from_toml_errors(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[data]\nlookback = 24\n[train]\nepochs = 0\nbatchsize = 3\n", encoding="utf-8")
    with pytest.raises(
        ValueError,
        match=r"no \[fit\] table \(no 'fit' in the top level; tables "
        r"there: data, train\)",
    ):
        TrainConfig.from_toml(path, section="fit")
    with pytest.raises(
        ValueError,
        match=r"\[train\] in configuration file '.*run.toml': unknown "
        r"TrainConfig field\(s\) 'batchsize'",
    ):
        TrainConfig.from_toml(path)
    path.write_text("[train]\nepochs = 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[train\] .*`epochs` must be a positive integer, got 0"):
        TrainConfig.from_toml(path)
    path.write_text("[train\nepochs = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="configuration file '.*run.toml' is not valid TOML"):
        TrainConfig.from_toml(path)
    with pytest.raises(FileNotFoundError, match="configuration file '.*nope.toml' does not exist"):
        TrainConfig.from_toml(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("toml_line", "json_values", "message"),
    [
        ("epochs = 3.0", {"epochs": 3.0}, "`epochs` must be a positive integer, got 3.0"),
        ("batch_size = true", {"batch_size": True}, "`batch_size` must be a positive integer, got"),
        ("patience = 2.0", {"patience": 2.0}, "`patience` must be a positive integer, or None"),
        ("seed = 7.0", {"seed": 7.0}, r"`seed` must be an integer in \[0, 2\*\*32\), got 7.0"),
        ("schedule_patience = 1.5", {"schedule_patience": 1.5}, "`schedule_patience` must be a"),
        ("shuffle = 1", {"shuffle": 1}, "`shuffle` must be True or False, got 1"),
        ("learning_rate = true", {"learning_rate": True}, "`learning_rate` must be a positive"),
        ("clip = true", {"clip": True}, "`clip` must be a positive finite number, or None/0"),
    ],
)
def test_toml_and_json_values_are_not_truncated_or_coerced(
    tmp_path, toml_line, json_values, message
):
    # a float or a bool where an integer is expected is refused, never truncated (3.0 -> 3)
    path = tmp_path / "run.toml"
    path.write_text(f"[train]\n{toml_line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[train\] in configuration file .*: " + message):
        TrainConfig.from_toml(path)
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_dict(json.loads(json.dumps(json_values)))


def test_numpy_scalars_are_normalized_to_python_types():
    import numpy as np

    config = TrainConfig(
        epochs=np.int64(3), patience=np.int32(2), seed=np.uint32(5), shuffle=np.bool_(False)
    )
    assert (config.epochs, config.patience, config.seed, config.shuffle) == (3, 2, 5, False)
    assert type(config.epochs) is int and type(config.patience) is int
    assert type(config.seed) is int and type(config.shuffle) is bool
    assert json.loads(json.dumps(config.to_dict())) == config.to_dict()


def test_config_import_does_not_import_torch():
    code = (
        "import sys; from grukit.train.config import TrainConfig; import grukit.train as t; "
        "t.TrainConfig(epochs=2); print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
