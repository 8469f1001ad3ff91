"""Training memory is estimated before the network is built: refused above the machine's
memory, a warning above half of it."""

from __future__ import annotations

import pytest

from grukit.tasks import AnomalyDetector, Forecaster, memory
from grukit.tasks.base import Task
from grukit.tasks.memory import GRUShape, estimate_training_memory
from support.cli import FAST, run, seasonal_csv
from support.series import fast_config, seasonal_frame


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the network was built although its memory was refused")

    monkeypatch.setattr(Task, "_train_network", refuse)


def test_parameter_estimate_is_3h_i_plus_h_plus_2_per_layer_direction():
    estimate = estimate_training_memory([GRUShape(5, 7, 2, 2, 10)], batch=3)
    floats = 2 * 3 * 7 * (5 + 7 + 2) + 2 * 3 * 7 * (14 + 7 + 2)
    assert estimate.parameters == floats * 4 * memory.PARAMETER_COPIES
    assert estimate.activations == 3 * 10 * 14 * 2 * memory.SAVED_PER_STEP * 4


@pytest.mark.parametrize("changes", [{"hidden_size": 1_000_000}, {"num_layers": 1_000_000}])
def test_a_network_too_big_for_memory_is_refused_before_it_is_built(changes, no_training):
    model = Forecaster(12, 3, targets="a", train_config=fast_config(1), **changes)
    with pytest.raises(ValueError, match=r"training this network needs about .* more than the "):
        model.fit(seasonal_frame(100))


def test_the_autoencoder_counts_both_of_its_grus(no_training):
    model = AnomalyDetector(12, columns="a", hidden_size=300_000, train_config=fast_config(1))
    with pytest.raises(ValueError, match="memory available"):
        model.fit(seasonal_frame(100))


def test_a_warning_above_half_of_the_memory(monkeypatch):
    shapes = [GRUShape(1, 8, 1, 1, 12)]
    need = estimate_training_memory(shapes, 32).total
    with pytest.warns(RuntimeWarning, match="over 50% of the"):
        memory.check_training_memory(shapes, 32, available=int(need * 1.5))
    memory.check_training_memory(shapes, 32, available=need * 3)  # no warning (filterwarnings)


def test_the_command_line_refuses_in_one_line_before_training(tmp_path, capsys, no_training):
    code, _, stderr = run(
        capsys, "train", "forecast", seasonal_csv(tmp_path), "--target", "a", "--lookback",
        "12", "--horizon", "3", "--out", tmp_path / "run", *FAST, "--hidden-size", "1000000",
    )  # fmt: skip
    assert code == 2 and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and "memory available" in stderr
    assert not (tmp_path / "run" / "checkpoints").exists()
