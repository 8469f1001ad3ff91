"""The thread count grukit computes with: the rule, and training, tasks and CLI applying it."""

from __future__ import annotations

import contextlib

import pytest
import torch

from grukit.runtime import threads
from grukit.runtime.threads import (
    MAX_AUTO_THREADS,
    ONE_THREAD_WORK,
    auto_num_threads,
    compute_threads,
    step_work,
    user_num_threads,
)
from grukit.tasks.networks import ForecastNetwork
from grukit.train import Callback, TrainConfig, train
from support.cli import FAST, run, seasonal_csv
from support.tiny_training import make_data, make_model


def forecast_network(hidden_size: int) -> ForecastNetwork:
    """The README's PM2.5 forecaster shape: 8 input features, one target, 6 steps ahead."""
    return ForecastNetwork(8, 1, 6, hidden_size=hidden_size)


# -- the rule -------------------------------------------------------------------------------------
def test_small_work_gets_one_thread_and_large_work_up_to_four():
    assert auto_num_threads(0, cores=16) == 1
    assert auto_num_threads(ONE_THREAD_WORK - 1, cores=16) == 1
    assert auto_num_threads(ONE_THREAD_WORK, cores=16) == MAX_AUTO_THREADS == 4
    assert auto_num_threads(ONE_THREAD_WORK, cores=2) == 2
    assert auto_num_threads(10 * ONE_THREAD_WORK, cores=1) == 1


@pytest.mark.parametrize(
    ("hidden_size", "batch_size", "expected"),
    [(64, 64, 1), (256, 128, 1), (512, 128, 1), (512, 256, 4)],  # docs/performance.md, "Threads"
)
def test_the_measured_models_fall_on_the_measured_side(hidden_size, batch_size, expected):
    work = step_work(forecast_network(hidden_size), batch_size)
    assert auto_num_threads(work, cores=8) == expected


def test_step_work_counts_trainable_parameters_times_batch():
    model = torch.nn.Linear(3, 2)  # 8 parameters
    assert step_work(model, 10) == 80
    model.bias.requires_grad_(False)
    assert step_work(model, 10) == 60


# -- whose choice ---------------------------------------------------------------------------------
def test_the_default_count_is_no_choice(default_threads):
    assert user_num_threads() is None


def test_a_torch_set_num_threads_away_from_the_default_is_a_choice(default_threads):
    torch.set_num_threads(2)
    assert user_num_threads() == 2


def test_grukit_set_num_threads_is_a_choice_even_at_the_default(default_threads):
    threads.set_num_threads(default_threads)
    assert user_num_threads() == default_threads


@pytest.mark.parametrize("name", ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "GRUKIT_NUM_THREADS"])
def test_an_environment_variable_is_a_choice(default_threads, monkeypatch, name):
    monkeypatch.setenv(name, "2")
    monkeypatch.setattr(threads, "_applied", False)  # GRUKIT_NUM_THREADS: not applied yet
    if name != "GRUKIT_NUM_THREADS":
        torch.set_num_threads(2)  # what PyTorch starts with under that variable
    assert user_num_threads() == 2
    assert torch.get_num_threads() == 2


def test_compute_threads_applies_the_rule_and_restores(default_threads):
    with compute_threads(ONE_THREAD_WORK - 1) as count:
        assert count == torch.get_num_threads() == 1
    assert torch.get_num_threads() == default_threads
    with compute_threads(ONE_THREAD_WORK) as count:
        assert count == torch.get_num_threads() == default_threads  # min(cores, 4)
    with pytest.raises(RuntimeError), compute_threads(0):
        raise RuntimeError("restored on errors too")
    assert torch.get_num_threads() == default_threads


def test_compute_threads_keeps_the_users_choice(default_threads):
    torch.set_num_threads(2)
    with compute_threads(0) as count:
        assert count == torch.get_num_threads() == 2
    assert torch.get_num_threads() == 2


# -- training, the tasks and the command line apply it ---------------------------------------------
class ThreadProbe(Callback):
    def __init__(self) -> None:
        self.seen: list[int] = []

    def on_epoch_begin(self, state) -> None:
        self.seen.append(torch.get_num_threads())


@pytest.fixture
def epoch_threads(monkeypatch):
    """The thread counts the epochs of every training run ran on (the CLI takes no callback)."""
    seen: list[int] = []

    @contextlib.contextmanager
    def recording():
        seen.append(torch.get_num_threads())
        yield

    monkeypatch.setattr("grukit.train.loop.compute_context", recording)
    return seen


def test_train_uses_one_thread_for_a_small_model_then_restores(default_threads):
    probe = ThreadProbe()
    config = TrainConfig(epochs=2, batch_size=16)
    train(make_model(), make_data(32), config=config, callbacks=[probe], verbose=False)
    assert probe.seen == [1, 1]
    assert torch.get_num_threads() == default_threads


def test_train_uses_up_to_four_threads_for_a_large_model(default_threads, monkeypatch):
    monkeypatch.setattr(threads, "ONE_THREAD_WORK", 100)  # the tiny model counts as large
    probe = ThreadProbe()
    config = TrainConfig(epochs=1, batch_size=16)
    train(make_model(), make_data(32), config=config, callbacks=[probe], verbose=False)
    assert probe.seen == [min(default_threads, MAX_AUTO_THREADS)]


def test_train_keeps_a_users_torch_set_num_threads(default_threads):
    torch.set_num_threads(2)
    probe = ThreadProbe()
    config = TrainConfig(epochs=1, batch_size=16)
    train(make_model(), make_data(32), config=config, callbacks=[probe], verbose=False)
    assert probe.seen == [2] and torch.get_num_threads() == 2


def test_fit_applies_the_rule(default_threads, epoch_threads):
    from grukit.data import sine_wave
    from grukit.tasks import Forecaster

    frame = sine_wave(200, period=24, noise=0.05)
    model = Forecaster(12, 3, hidden_size=8, train_config=TrainConfig(epochs=2), verbose=False)
    model.fit(frame)
    assert epoch_threads == [1, 1]
    assert torch.get_num_threads() == default_threads


def test_the_command_line_applies_the_rule_and_threads_wins(
    default_threads, epoch_threads, tmp_path, capsys
):
    data = seasonal_csv(tmp_path)
    args = ["train", "forecast", data, "--target", "a", "--lookback", "12", "--horizon", "3"]
    assert run(capsys, *args, "--out", tmp_path / "auto", *FAST)[0] == 0
    assert epoch_threads == [1, 1]
    epoch_threads.clear()
    assert run(capsys, *args, "--out", tmp_path / "two", "--threads", "2", *FAST)[0] == 0
    assert epoch_threads == [2, 2]
