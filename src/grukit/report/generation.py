"""PNG plots of a generation run: the learning curves and piano rolls.

A token model's loss is the cross-entropy per token in nats, ``L = -mean log p(next token)``,
so its perplexity is ``exp(L)`` (the number of equally likely tokens the model is as unsure
as) and its bits per token ``L / ln 2``; the learning curves draw the loss and, on a second
axis, the perplexity of the same points. A music model's loss is the negative log-likelihood
per frame, summed over the 88 keys (each key one Bernoulli), in nats.

A piano roll is drawn as an image of keys (rows, the lowest key at the bottom, labelled with the
C of each octave) by frames (columns), a dark cell where the key sounds.

The plots write one PNG each, atomically, and return the path written;
:func:`grukit.report.generation_page.generation_sections` puts them on the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from grukit.report._figures import pyplot, save_figure

__all__ = ["plot_learning_curves", "plot_piano_rolls"]

_MAX_PERPLEXITY_LOSS = 50.0  # exp() of a larger loss overflows the axis; drawn as no point


def _values(history: Mapping[str, Any], key: str) -> np.ndarray:
    return np.asarray(
        [np.nan if v is None else v for v in history.get(key) or []], dtype=np.float64
    )


def plot_learning_curves(history: Mapping[str, Any], path: str | Path, *, tokens: bool) -> Path:
    """Training and validation loss per epoch, the best epoch marked; for a token model
    (`tokens`) the perplexity ``exp(loss)`` on the right-hand axis.

    `history` is :meth:`grukit.train.History.to_dict` (the run's ``history.json``).
    """
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    train = _values(history, "train_loss")
    validation = _values(history, "val_loss")
    epochs = np.arange(1, train.size + 1)
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(epochs, train, marker="o", markersize=3, color="tab:blue", label="training")
    if validation.size == train.size and np.isfinite(validation).any():
        axis.plot(epochs, validation, marker="o", markersize=3, color="tab:orange",
                  label="validation")  # fmt: skip
    best = history.get("best_epoch")
    if best:
        axis.axvline(best, color="0.6", linestyle="--", linewidth=1, label=f"best epoch ({best})")
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    unit = "cross-entropy per token (nats)" if tokens else "NLL per frame (nats, 88 keys)"
    axis.set_ylabel(unit)
    axis.legend(loc="upper right")
    if tokens:
        right = axis.twinx()
        low, high = axis.get_ylim()
        right.set_ylim(math.exp(min(low, _MAX_PERPLEXITY_LOSS)),
                       math.exp(min(high, _MAX_PERPLEXITY_LOSS)))  # fmt: skip
        right.set_yscale("log")
        plain = FuncFormatter(lambda value, _: f"{value:.3g}")
        right.yaxis.set_major_formatter(plain)
        right.yaxis.set_minor_formatter(plain)
        right.set_ylabel("perplexity = exp(loss)")
        # the loss axis is linear, the perplexity axis logarithmic: the same points line up
        axis.set_title("Learning curves (perplexity on the right)")
    else:
        axis.set_title("Learning curves")
    return save_figure(figure, path)


def _octave_ticks(axis: Any) -> None:
    from grukit.data.music import LOWEST_PITCH

    keys = [k for k in range(88) if (k + LOWEST_PITCH) % 12 == 0]  # every C
    axis.set_yticks(keys, [f"C{(k + LOWEST_PITCH) // 12 - 1}" for k in keys])


def plot_piano_rolls(rolls: Mapping[str, Any], path: str | Path, *, frames: int = 128) -> Path:
    """Piano rolls side by side, keys by frames (the first `frames` of each), on one key range.

    Parameters
    ----------
    rolls : mapping of str to array (T, 88)
        A title per roll (e.g. ``{"generated": ..., "real": ...}``), each 0/1 (``T >= 1``).
    path : str or Path
        The PNG to write.
    frames : int
        Frames drawn at most per roll.
    """
    if not rolls:
        raise ValueError("`rolls` must hold at least one piano roll, got none")
    arrays = {str(name): np.asarray(roll)[:frames] for name, roll in rolls.items()}
    for name, roll in arrays.items():
        if roll.ndim != 2 or roll.shape[1] != 88 or roll.shape[0] < 1:
            raise ValueError(f"piano roll {name!r} must be (T, 88) with T >= 1, got {roll.shape}")
    active = np.flatnonzero(np.any([roll.any(axis=0) for roll in arrays.values()], axis=0))
    low, high = (max(active[0] - 3, 0), min(active[-1] + 3, 87)) if active.size else (0, 87)
    plt = pyplot()
    figure, axes = plt.subplots(1, len(arrays), figsize=(5.5 * len(arrays), 4.2), squeeze=False)
    for axis, (name, roll) in zip(axes[0], arrays.items(), strict=True):
        axis.imshow(roll.T, aspect="auto", origin="lower", cmap="Greys", vmin=0, vmax=1,
                    interpolation="nearest")  # fmt: skip
        axis.set_ylim(low - 0.5, high + 0.5)
        _octave_ticks(axis)
        axis.set_xlabel("frame")
        axis.set_title(f"{name} ({len(roll)} frames)")
    axes[0][0].set_ylabel("key")
    return save_figure(figure, path)
