"""The sine-wave demo: the tutorials' first GRU example, done properly.

A GRU(32) with a linear head learns to predict the next value of a sine wave from the previous 10
values (windows cut by :func:`grukit.data.make_windows`, trained by :func:`grukit.train.train`).
The model is then rolled out autoregressively for 50 steps (each prediction fed back as the next
input) and compared with the true continuation. Everything is offline and runs in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from grukit.data import make_windows, sine_wave
from grukit.train import Callback, TrainConfig, TrainState, train

LOOKBACK = 10
ROLLOUT = 50
PERIOD = 25.0  # samples per sine period


class _EpochLines(Callback):
    """Echo the training MSE after the first epoch, every tenth and the last."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo

    def on_epoch_end(self, state: TrainState) -> None:
        epoch, epochs = state.epoch, state.config.epochs
        if epoch == 1 or epoch % 10 == 0 or epoch == epochs:
            mse = state.history.train_loss[-1]
            self.echo(f"  epoch {epoch:3d}/{epochs}  train MSE {mse:.5f}")


class NextValueModel(nn.Module):
    """``GRU(1 -> hidden)`` followed by ``Linear(hidden -> 1)`` on the last step's output."""

    def __init__(self, hidden_size: int = 32) -> None:
        super().__init__()
        from grukit.nn import GRU

        self.gru = GRU(1, hidden_size)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.gru(x)  # (B, T, H)
        return self.head(output[:, -1])  # (B, 1)


def rollout(model: nn.Module, context: np.ndarray, steps: int) -> np.ndarray:
    """Feed each prediction back as input for ``steps`` steps, starting from ``context``."""
    window = list(context)
    predictions = []
    with torch.inference_mode():
        for _ in range(steps):
            x = torch.tensor(window[-LOOKBACK:], dtype=torch.float32).view(1, LOOKBACK, 1)
            value = float(model(x))
            predictions.append(value)
            window.append(value)
    return np.asarray(predictions)


def run_sine_demo(
    *, out: Path, seed: int = 0, epochs: int = 60, echo: Callable[[str], None] = print
) -> dict[str, float]:
    """Train, evaluate and roll out the sine model; write ``sine_rollout.png`` into ``out``.

    Returns the metrics it printed: one-step test MSE, rollout MSE, and the same for the
    persistence baseline (repeat the last value).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    started = time.perf_counter()
    torch.manual_seed(seed)  # the model's initial weights
    series = sine_wave(1200, period=PERIOD, noise=0.05, seed=seed)["value"].to_numpy()
    split = 1000  # chronological split: train on the first 1000 samples, test on the rest
    # next-value windows: inputs (N, LOOKBACK, 1), targets (N, 1) (horizon 1, one target)
    train_windows = make_windows(series[:split], LOOKBACK, 1, targets=[0])
    test_windows = make_windows(series[split - LOOKBACK :], LOOKBACK, 1, targets=[0])
    x_test, y_test = test_windows.inputs, test_windows.targets[..., 0]

    model = NextValueModel()
    config = TrainConfig(
        epochs=epochs,
        batch_size=64,
        learning_rate=1e-2,
        schedule="cosine",
        clip=1.0,
        patience=None,
        seed=seed,
    )
    echo(f"Training GRU(32) + Linear on {len(train_windows)} sine windows of length {LOOKBACK} ...")
    train(
        model,
        (train_windows.inputs, train_windows.targets[..., 0]),
        config=config,
        callbacks=[_EpochLines(echo)],
        verbose=False,  # the callback prints the demo's own lines
    )

    model.eval()
    with torch.inference_mode():
        predicted = model(torch.tensor(x_test, dtype=torch.float32)).numpy().astype(np.float64)
    test_mse = float(np.mean((predicted - y_test) ** 2))
    persistence_mse = float(np.mean((x_test[:, -1] - y_test) ** 2))

    truth = series[split : split + ROLLOUT]
    roll = rollout(model, series[split - LOOKBACK : split], ROLLOUT)
    rollout_mse = float(np.mean((roll - truth) ** 2))
    flat_mse = float(np.mean((series[split - 1] - truth) ** 2))

    out.mkdir(parents=True, exist_ok=True)
    plot_path = out / "sine_rollout.png"
    figure, axis = plt.subplots(figsize=(9, 4))
    history_t = np.arange(split - 3 * LOOKBACK, split)
    axis.plot(history_t, series[history_t], color="0.5", label="context (observed)")
    future_t = np.arange(split, split + ROLLOUT)
    axis.plot(future_t, truth, color="black", label="ground truth")
    axis.plot(future_t, roll, color="tab:red", linestyle="--", label="GRU rollout (fed back)")
    axis.axvline(split - 0.5, color="0.8", linewidth=1)
    axis.set_xlabel("time step")
    axis.set_title(f"{ROLLOUT}-step autoregressive rollout, MSE {rollout_mse:.4f}")
    axis.legend(loc="upper right")
    figure.tight_layout()
    temporary = plot_path.with_name(plot_path.name + ".tmp.png")
    figure.savefig(temporary, dpi=110)
    plt.close(figure)
    temporary.replace(plot_path)

    echo("")
    echo(f"{'':28s}{'GRU':>10s}{'persistence':>14s}")
    echo(f"{'one-step test MSE':28s}{test_mse:10.5f}{persistence_mse:14.5f}")
    echo(f"{f'{ROLLOUT}-step rollout MSE':28s}{rollout_mse:10.5f}{flat_mse:14.5f}")
    echo(f"\nPlot written to {plot_path.resolve()}")
    echo(f"Done in {time.perf_counter() - started:.1f} s.")
    return {
        "test_mse": test_mse,
        "persistence_mse": persistence_mse,
        "rollout_mse": rollout_mse,
        "persistence_rollout_mse": flat_mse,
    }
