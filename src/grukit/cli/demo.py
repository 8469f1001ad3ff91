"""The sine-wave demo: the tutorials' first GRU example, done properly.

A GRU(32) with a linear head learns to predict the next value of a sine wave from the previous 10
values. The model is then rolled out autoregressively for 50 steps (each prediction fed back as the
next input) and compared with the true continuation. Everything is offline and runs in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

LOOKBACK = 10
ROLLOUT = 50
PERIOD = 25.0  # samples per sine period


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


def sine_series(n: int, *, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``sin(2 pi t / PERIOD)`` for t = 0..n-1 plus Gaussian noise of std ``noise``."""
    t = np.arange(n, dtype=np.float64)
    return np.sin(2 * np.pi * t / PERIOD) + noise * rng.standard_normal(n)


def windows(series: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (N, lookback, 1) and next-value targets (N, 1) from a 1-D series."""
    n = len(series) - lookback
    index = np.arange(lookback)[None, :] + np.arange(n)[:, None]  # (N, lookback)
    return series[index][..., None], series[lookback:][:, None]


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
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    series = sine_series(1200, noise=0.05, rng=rng)
    split = 1000  # chronological split: train on the first 1000 samples, test on the rest
    x_train, y_train = windows(series[:split], LOOKBACK)
    x_test, y_test = windows(series[split - LOOKBACK :], LOOKBACK)
    x_train_t = torch.tensor(x_train, dtype=torch.float32)
    y_train_t = torch.tensor(y_train, dtype=torch.float32)

    model = NextValueModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    generator = torch.Generator().manual_seed(seed)
    echo(f"Training GRU(32) + Linear on {len(x_train)} sine windows of length {LOOKBACK} ...")
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train_t), generator=generator)
        total = 0.0
        for batch in order.split(64):
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(model(x_train_t[batch]), y_train_t[batch])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(batch)
        scheduler.step()
        if epoch == 1 or epoch % 10 == 0 or epoch == epochs:
            echo(f"  epoch {epoch:3d}/{epochs}  train MSE {total / len(x_train):.5f}")

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
