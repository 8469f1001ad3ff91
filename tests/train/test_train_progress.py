"""Progress from Python: epoch lines on stderr by default, ``verbose`` and logging."""

from __future__ import annotations

import logging

import pytest

from grukit.data import sine_wave
from grukit.tasks import AnomalyDetector, Forecaster
from grukit.train import TrainConfig, train
from grukit.train.progress import check_verbose
from support.cli import FAST, run, seasonal_csv
from support.tiny_training import make_data, make_model


def epoch_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("epoch ")]


@pytest.fixture(scope="module")
def frame():
    return sine_wave(200, period=24, noise=0.05)


def tiny_forecaster(**params) -> Forecaster:
    return Forecaster(12, 3, hidden_size=8, train_config=TrainConfig(epochs=3), **params)


def test_fit_prints_one_line_per_epoch_on_stderr_by_default(frame, capsys):
    tiny_forecaster().fit(frame)
    captured = capsys.readouterr()
    lines = epoch_lines(captured.err)
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert "train_loss" in lines[0] and captured.out == ""


def test_fit_with_verbose_false_prints_nothing(frame, capsys):
    tiny_forecaster(verbose=False).fit(frame)
    AnomalyDetector(12, hidden_size=8, train_config=TrainConfig(epochs=2), verbose=False).fit(frame)
    assert capsys.readouterr() == ("", "")


def test_verbose_k_shows_every_kth_epoch_and_the_last(capsys):
    config = TrainConfig(epochs=5, batch_size=16)
    train(make_model(), make_data(32), config=config, verbose=2)
    lines = epoch_lines(capsys.readouterr().err)
    assert [line.split()[1] for line in lines] == ["2/5", "4/5", "5/5"]


def test_early_stopping_is_said_on_stderr(capsys):
    config = TrainConfig(epochs=50, batch_size=16, patience=1, learning_rate=1.0, seed=3)
    history = train(make_model(), make_data(32), validation=make_data(16), config=config)
    assert history.stop_reason == "early_stopping"
    assert f"stopped after epoch {len(history)}: early_stopping" in capsys.readouterr().err


def test_configured_logging_gets_the_lines_once(capsys, caplog):
    config = TrainConfig(epochs=2, batch_size=16)
    with caplog.at_level(logging.INFO, logger="grukit.train"):
        train(make_model(), make_data(32), config=config)
    assert len(epoch_lines("\n".join(r.getMessage() for r in caplog.records))) == 2
    assert epoch_lines(capsys.readouterr().err) == []  # the records are the lines


def test_progress_false_leaves_only_log_records(capsys, caplog):
    config = TrainConfig(epochs=2, batch_size=16, progress=False)
    with caplog.at_level(logging.INFO, logger="grukit.train"):
        train(make_model(), make_data(32), config=config)
    assert capsys.readouterr().err == ""
    assert len(epoch_lines("\n".join(r.getMessage() for r in caplog.records))) == 2


@pytest.mark.parametrize("value", [-1, 1.5, "yes", None])
def test_verbose_must_be_a_flag_or_a_non_negative_integer(value):
    message = "`verbose` must be True, False or a non-negative integer"
    with pytest.raises(ValueError, match=message):
        check_verbose(value)
    with pytest.raises(ValueError, match=message):
        tiny_forecaster(verbose=value)


def test_verbose_is_a_parameter_and_changing_it_keeps_the_fitted_model(frame):
    model = tiny_forecaster(verbose=False).fit(frame)
    assert model.get_params()["verbose"] is False
    model.set_params(verbose=2)
    assert model.verbose == 2 and model.network_ is not None


def test_the_command_line_prints_each_epoch_once_as_before(tmp_path, capsys):
    data = seasonal_csv(tmp_path)
    args = ["train", "forecast", data, "--target", "a", "--lookback", "12", "--horizon", "3"]
    code, _, err = run(capsys, *args, "--out", tmp_path / "run", *FAST)
    assert code == 0
    lines = [line for line in err.splitlines() if "epoch " in line and "train_loss" in line]
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"]
    assert all(line.startswith("  epoch ") for line in lines)  # the command's own format
