"""PNG plots of a translation run (``task = "seq2seq"``): the attention of one example.

An attention example (one entry of the run's ``attention.json``) is what the decoder looked at
while it translated one sentence: ``weights[i][j]`` is the weight of source token ``j`` when
target token ``i`` was produced, so each row sums to 1. It is drawn as a heat map, target
tokens as rows (top to bottom, the last one ``</s>``), source tokens as columns, on one colour
scale from 0 to 1 so that examples can be compared. The learning curves of a translation run
are :func:`grukit.report.generation.plot_learning_curves` (``tokens=True``): its loss is the
cross-entropy per target token, in nats, and ``exp(loss)`` the perplexity.

The plot writes one PNG, atomically, and returns the path written;
:func:`grukit.report.translation_page.translation_sections` puts it on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from grukit.report._figures import pyplot, save_figure

__all__ = ["plot_attention"]

_TITLE_CHARACTERS = 60  # the input sentence in the title is cut after this many characters
_CHARACTERS_PER_INCH = 10  # of a 10-point title, roughly: a narrow figure cuts it shorter


def _truncated(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _weights(example: Mapping[str, Any]) -> tuple[list[str], list[str], np.ndarray]:
    """The source and target tokens and the weights (target x source) of `example`, checked."""
    missing = [key for key in ("source", "target", "weights") if key not in example]
    if missing:
        raise ValueError(f"an attention example needs 'source', 'target' and 'weights'; "
                         f"missing: {', '.join(missing)}")  # fmt: skip
    source = [str(token) for token in example["source"]]
    target = [str(token) for token in example["target"]]
    rows = [list(np.atleast_1d(row)) for row in example["weights"]]
    lengths = sorted({len(row) for row in rows})
    if not source or not target or len(rows) != len(target) or lengths != [len(source)]:
        raise ValueError(
            f"attention weights must be len(target) x len(source) = {len(target)} x "
            f"{len(source)} (both at least 1), got {len(rows)} row(s) of length(s) "
            f"{', '.join(map(str, lengths)) or 'none'}"
        )
    weights = np.asarray(rows, dtype=np.float64)
    if not np.isfinite(weights).all():
        raise ValueError("attention weights must be finite numbers")
    return source, target, weights


def plot_attention(example: Mapping[str, Any], path: str | Path) -> Path:
    """A heat map of one example's attention: target tokens (rows) by source tokens (columns).

    Parameters
    ----------
    example : mapping
        One entry of ``attention.json``: ``source`` and ``target`` (lists of tokens) and
        ``weights`` (``len(target)`` rows of ``len(source)`` floats, each row summing to 1);
        ``input`` (the source sentence, shown truncated in the title) when there.
    path : str or Path
        The PNG to write.

    Returns
    -------
    Path
        `path`, written.

    Raises
    ------
    ValueError
        The weights are not ``len(target) x len(source)`` (or a key is missing, or a weight is
        not a finite number).
    """
    source, target, weights = _weights(example)
    sentence = str(example.get("input") or " ".join(source))
    plt = pyplot()
    width = min(max(0.38 * len(source) + 2.5, 5.0), 16.0)
    height = min(max(0.3 * len(target) + 1.8, 3.5), 14.0)
    figure, axis = plt.subplots(figsize=(width, height))
    image = axis.imshow(weights, aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0,
                        interpolation="nearest")  # fmt: skip
    # tokens are shown as they are: no mathtext, so a "$" in a sentence stays a dollar sign
    axis.set_xticks(range(len(source)), source, rotation=60, ha="right",
                    rotation_mode="anchor", parse_math=False)  # fmt: skip
    axis.set_yticks(range(len(target)), target, parse_math=False)
    axis.set_xlabel("source tokens")
    axis.set_ylabel("target tokens")
    limit = min(_TITLE_CHARACTERS, int(width * _CHARACTERS_PER_INCH) - len("Attention: "))
    axis.set_title(f"Attention: {_truncated(sentence, limit)}", fontsize=10, parse_math=False)
    figure.colorbar(image, ax=axis, label="attention weight")
    return save_figure(figure, path)
