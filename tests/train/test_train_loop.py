"""The training loop: determinism, early stopping, clipping, schedules, callbacks, progress."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import math

import numpy as np
import pytest
import torch
from torch import nn

from grukit.train import Callback, TrainConfig, seed_everything, train
from grukit.train import loop as loop_module
from support.tiny_training import make_data, make_model, weights


def quiet(**changes) -> TrainConfig:
    defaults = {"epochs": 4, "batch_size": 16, "learning_rate": 1e-2, "progress": False}
    return TrainConfig(**{**defaults, **changes})


def test_learns_a_linear_map():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x = torch.randn(256, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    history = train(model, (x, y), config=quiet(epochs=60, batch_size=32, learning_rate=0.05))
    assert history.stop_reason == "max_epochs"
    assert history.train_loss[-1] < 1e-3 < history.train_loss[0]
    assert torch.allclose(model.weight, torch.tensor([[1.0, -2.0, 0.5]]), atol=0.02)


def test_same_seed_gives_identical_history_and_weights():
    data, validation = make_data(48), make_data(16, seed=5)
    results = []
    for _ in range(2):
        model = make_model()
        history = train(model, data, validation=validation, config=quiet(seed=3))
        results.append((history, weights(model)))
    (h1, w1), (h2, w2) = results
    assert (h1.train_loss, h1.val_loss, h1.lr) == (h2.train_loss, h2.val_loss, h2.lr)
    assert all(torch.equal(w1[k], w2[k]) for k in w1)
    model = make_model()
    h3 = train(model, data, validation=validation, config=quiet(seed=4))
    assert h3.train_loss != h1.train_loss  # the seed matters (shuffling, dropout)


def test_seed_everything_seeds_all_generators():
    import random

    seed_everything(11)
    first = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    seed_everything(11)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first  # noqa: NPY002
    with pytest.raises(ValueError, match=r"`seed` must be an integer in \[0, 2\*\*32\), got -1"):
        seed_everything(-1)


def test_early_stopping_triggers_and_restores_best_weights():
    # Validation targets are the negated truth: as training improves, validation gets worse.
    x, y = make_data(48)
    model = make_model()
    snapshots = {}

    class Snapshot(Callback):
        def on_epoch_end(self, state):
            snapshots[state.epoch] = weights(state.model)

    history = train(
        model,
        (x, y),
        validation=(x[:16], -y[:16]),
        config=quiet(epochs=30, patience=3, learning_rate=0.05),
        callbacks=[Snapshot()],
    )
    assert history.stop_reason == "early_stopping"
    best = history.best_epoch
    assert best == 1 + int(np.argmin(history.val_loss))
    assert len(history) == best + 3 < 30
    assert history.best_loss == min(history.val_loss)
    assert history.restored_best
    final = weights(model)
    assert all(torch.equal(final[k], snapshots[best][k]) for k in final)
    assert not all(torch.equal(final[k], snapshots[len(history)][k]) for k in final)


def test_min_delta_counts_small_improvements_as_none():
    x = torch.randn(32, 3)
    model = nn.Linear(3, 1)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    history = train(
        model,
        (x, x.sum(1, keepdim=True)),
        validation=(x, x.sum(1, keepdim=True)),
        config=quiet(epochs=20, learning_rate=1e-4, patience=2, min_delta=10.0),
    )
    assert history.best_epoch == 1 and len(history) == 3
    assert history.stop_reason == "early_stopping"


def test_without_patience_the_last_weights_are_kept():
    x, y = make_data(32)
    model = make_model()
    history = train(model, (x, y), validation=(x, -y), config=quiet(epochs=5, patience=None))
    assert len(history) == 5 and history.stop_reason == "max_epochs"
    assert not history.restored_best


def test_gradient_clipping_bounds_each_step():
    x, y = make_data(32)
    scale = 1e8
    lr, clip = 0.1, 0.5

    def huge_loss(prediction, target):
        return scale * nn.functional.mse_loss(prediction, target)

    model = make_model()
    before = [torch.cat([p.detach().flatten() for p in model.parameters()])]
    steps = []

    class StepSize(Callback):
        def on_batch_end(self, state):
            now = torch.cat([p.detach().flatten() for p in state.model.parameters()])
            steps.append(float((now - before[0]).norm()))
            before[0] = now

    config = quiet(epochs=2, optimizer="sgd", momentum=0.0, learning_rate=lr, clip=clip)
    history = train(model, (x, y), loss=huge_loss, config=config, callbacks=[StepSize()])
    assert history.stop_reason == "max_epochs"
    assert all(math.isfinite(v) for v in history.train_loss)
    assert len(steps) == 4 and max(steps) <= lr * clip * (1 + 1e-5)
    assert max(steps) > 0.9 * lr * clip  # clipping was active: the raw gradient is huge

    # without clipping the same run blows up; the loop stops and restores the best weights
    model = make_model()
    config = dataclasses.replace(config, clip=None)
    history = train(model, (x, y), loss=huge_loss, config=config)
    assert history.stop_reason == "non_finite_loss"
    assert math.isnan(history.train_loss[-1])


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("step", [0.1, 0.1, 0.05, 0.05, 0.025]),
        ("cosine", [0.1 * (1 + math.cos(math.pi * k / 5)) / 2 for k in range(5)]),
        (None, [0.1] * 5),
    ],
)
def test_schedules_change_the_learning_rate(schedule, expected):
    x, y = make_data(16)
    config = quiet(
        epochs=5,
        learning_rate=0.1,
        schedule=schedule,
        schedule_step_epochs=2,
        schedule_factor=0.5,
        optimizer="sgd",
    )
    history = train(make_model(), (x, y), config=config)
    assert history.lr == pytest.approx(expected, rel=1e-12)


def test_plateau_schedule_decays_when_validation_stalls():
    x, y = make_data(32)
    config = quiet(
        epochs=8,
        learning_rate=0.05,
        schedule="plateau",
        schedule_patience=1,
        schedule_factor=0.5,
        patience=None,
    )
    history = train(make_model(), (x, y), validation=(x, -y), config=config)
    assert history.lr[0] == 0.05
    assert history.lr[-1] < 0.05  # the validation loss got worse, so the rate was cut
    assert all(b in (a, a * 0.5) for a, b in zip(history.lr, history.lr[1:], strict=False))


def test_plateau_patience_zero_decays_at_each_epoch_without_improvement():
    x, y = make_data(32)
    config = quiet(epochs=6, learning_rate=0.05, schedule="plateau", schedule_patience=0,
                   schedule_factor=0.25, patience=None)  # fmt: skip
    history = train(make_model(), (x, y), validation=(x, -y), config=config)
    best = [min(history.val_loss[: i + 1]) for i in range(len(history.val_loss))]
    for i in range(1, len(history.lr)):  # decayed right after every epoch that did not improve
        improved = i == 1 or best[i - 1] < best[i - 2]
        assert history.lr[i] == pytest.approx(history.lr[i - 1] * (1.0 if improved else 0.25))
    assert history.lr[-1] <= 0.05 * 0.25**3  # validation got worse: cut at (nearly) every epoch


def test_inputs_numpy_and_dataset_agree_with_tensors():
    x, y = make_data(40)
    reference = train(make_model(), (x, y), config=quiet())
    as_numpy = train(make_model(), (x.double().numpy(), y.double().numpy()), config=quiet())
    dataset = torch.utils.data.TensorDataset(x, y)
    as_dataset = train(make_model(), dataset, config=quiet())
    assert reference.train_loss == as_numpy.train_loss == as_dataset.train_loss


def test_callback_can_stop_and_hooks_run_in_order():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, state):
            calls.append("train_begin")

        def on_epoch_begin(self, state):
            calls.append(f"epoch_begin {state.epoch}")

        def on_batch_end(self, state):
            calls.append(f"batch {state.epoch}.{state.batch}")

        def on_epoch_end(self, state):
            calls.append(f"epoch_end {state.epoch}")
            state.stop_training = state.epoch == 2

        def on_train_end(self, state):
            calls.append("train_end")

    history = train(make_model(), make_data(24), config=quiet(), callbacks=[Recorder()])
    assert history.stop_reason == "callback" and len(history) == 2
    assert calls == [
        "train_begin",
        "epoch_begin 1",
        "batch 1.0",
        "batch 1.1",
        "epoch_end 1",
        "epoch_begin 2",
        "batch 2.0",
        "batch 2.1",
        "epoch_end 2",
        "train_end",
    ]


def test_compute_context_wraps_every_epoch(monkeypatch):
    entered = []

    @contextlib.contextmanager
    def recording():
        entered.append("enter")
        yield
        entered.append("exit")

    monkeypatch.setattr(loop_module, "compute_context", recording)
    train(make_model(), make_data(16), config=quiet(epochs=3))
    assert entered == ["enter", "exit"] * 3


def test_epochs_run_with_denormals_flushed_and_the_setting_is_restored():
    from grukit.runtime import denormal_support, get_mxcsr
    from grukit.runtime.denormals import FTZ_DAZ_BITS

    reason = denormal_support()
    if reason is not None:
        pytest.skip(f"denormal flushing unavailable here: {reason}")
    seen = []

    class Probe(Callback):
        def on_batch_end(self, state):
            seen.append(get_mxcsr() & FTZ_DAZ_BITS)

    before = get_mxcsr()
    train(make_model(), make_data(16), config=quiet(epochs=2), callbacks=[Probe()])
    assert seen and all(bits == FTZ_DAZ_BITS for bits in seen)
    assert get_mxcsr() == before


def test_one_log_line_per_epoch_without_a_terminal(caplog):
    with caplog.at_level(logging.INFO, logger="grukit.train"):
        train(make_model(), make_data(16), validation=make_data(8), config=quiet(progress=True))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert len(lines) == 4
    assert lines[0].startswith("epoch 1/4  train_loss ") and "val_loss" in lines[0]
    assert " lr 0.01 " in lines[0]


def test_rich_progress_bar_on_a_terminal(monkeypatch):
    class FakeTerminal(io.StringIO):
        def isatty(self):
            return True

    stream = FakeTerminal()
    monkeypatch.setattr("sys.stderr", stream)
    train(make_model(), make_data(16), config=quiet(progress=True, epochs=2))
    text = stream.getvalue()
    assert "epoch 2/2  train_loss" in text and "loss " in text and "eta" in text
    stream = FakeTerminal()
    monkeypatch.setattr("sys.stderr", stream)
    train(make_model(), make_data(16), config=quiet(progress=False, epochs=2))
    assert stream.getvalue() == ""  # progress=False: no bar, only log records


def test_argument_errors(tmp_path):
    x, y = make_data(8)
    model = make_model()
    with pytest.raises(
        ValueError,
        match="`train_data` inputs and targets must have the same number of samples, got 8 and 7",
    ):
        train(model, (x, y[:7]), config=quiet())
    with pytest.raises(TypeError, match="`train_data` must be an \\(inputs, targets\\) pair"):
        train(model, x, config=quiet())
    with pytest.raises(ValueError, match="`validation` must hold at least one sample, got 0"):
        train(model, (x, y), validation=(x[:0], y[:0]), config=quiet())
    with pytest.raises(ValueError, match="`train_data` inputs contains NaN or infinite values"):
        train(model, (x.masked_fill(x > 1, math.nan), y), config=quiet())
    with pytest.raises(ValueError, match="`loss` must be one of 'mse', 'mae', 'huber', 'cross"):
        train(model, (x, y), loss="l2", config=quiet())
    with pytest.raises(
        ValueError,
        match=r"`model` output shape \(8, 1\) does not match the "
        r"targets' shape \(8,\)",
    ):
        train(model, (x, y[:, 0]), config=quiet())
    with pytest.raises(TypeError, match="`model` must return one tensor of predictions, got tuple"):
        train(nn.GRU(2, 1, batch_first=True), (x, y), config=quiet())
    with pytest.raises(ValueError, match="`loss` must return a scalar tensor, got \\(8, 1\\)"):
        train(model, (x, y), loss=lambda p, t: (p - t) ** 2, config=quiet())
    with pytest.raises(ValueError, match="`resume=True` needs a `checkpoint_dir`"):
        train(model, (x, y), config=quiet(), resume=True)
    with pytest.raises(TypeError, match="`config` must be a TrainConfig, got dict"):
        train(model, (x, y), config={"epochs": 1})
    with pytest.raises(ValueError, match="`model` has no trainable parameters"):
        train(
            nn.Linear(6, 1).requires_grad_(False),
            (torch.ones(4, 6), torch.ones(4, 1)),
            config=quiet(),
        )


def test_device_requests():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="`device` 'cuda' requested but CUDA is not available"):
            train(make_model(), make_data(8), config=quiet(device="cuda"))
    model = make_model()
    train(model, make_data(8), config=quiet(device="auto", epochs=1))
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(model.parameters()).device.type == expected


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_and_resume(tmp_path):
    config = quiet(device="cuda", epochs=4)
    model = make_model()
    expected = train(model, make_data(32), config=config)
    model = make_model()
    with pytest.raises(KeyboardInterrupt):
        train(
            model,
            make_data(32),
            config=config,
            checkpoint_dir=tmp_path,
            callbacks=[type("Stop", (Callback,), {"on_epoch_begin": _interrupt_at_3})()],
        )
    history = train(model, make_data(32), config=config, checkpoint_dir=tmp_path, resume=True)
    assert history.train_loss == pytest.approx(expected.train_loss, rel=1e-5)


def _interrupt_at_3(self, state):
    if state.epoch == 3:
        raise KeyboardInterrupt


def test_public_names_are_sorted_and_resolve():
    import grukit.train

    assert list(grukit.train.__all__) == sorted(grukit.train.__all__)
    for name in grukit.train.__all__:
        assert getattr(grukit.train, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        grukit.train.nope  # noqa: B018
