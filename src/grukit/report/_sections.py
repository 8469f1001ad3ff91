"""Sections shared by the report's pages of token models (generation and translation): the
learning curves with the perplexity, and the sentence on whether the model beats its baseline."""

from __future__ import annotations

import html
import math
from pathlib import Path

from grukit.io import read_json
from grukit.report._pieces import image_html

__all__ = ["Section", "learning_curves_section", "verdict_html"]

Section = tuple[str, str]


def learning_curves_section(
    run: Path, plots: Path, *, tokens: bool, unit: str | None = None
) -> Section | None:
    """The learning curves of ``run/history.json`` (``plots/learning_curves.png``) and a note
    with the epochs, the best validation loss and, for a token model, its perplexity.

    Parameters
    ----------
    run : Path
        The run directory; None is returned when it holds no ``history.json`` or no epochs.
    plots : Path
        Where the PNG goes (``run/plots``).
    tokens : bool
        A token model (the perplexity ``exp(loss)`` drawn and given), else a music model.
    unit : str, optional
        What the loss is, for the note; by default the cross-entropy per token (nats) or the
        NLL per frame (nats).
    """
    from grukit.report.generation import plot_learning_curves

    path = run / "history.json"
    if not path.exists():
        return None
    history = read_json(path, description="training history")
    if not history.get("train_loss"):
        return None
    image = plot_learning_curves(history, plots / "learning_curves.png", tokens=tokens)
    losses = [v for v in history.get("val_loss") or [] if v is not None]
    if unit is None:
        unit = "cross-entropy per token (nats)" if tokens else "NLL per frame (nats)"
    note = f"{len(history['train_loss'])} epochs; the loss is the {html.escape(unit)}"
    if losses and tokens:
        best = min(losses)
        note += f"; best validation loss {best:.4f}, perplexity {math.exp(best):.4g}"
    note += (
        f"; best epoch {html.escape(str(history.get('best_epoch')))}, stopped by "
        f"<code>{html.escape(str(history.get('stop_reason')))}</code>."
    )
    return "Learning curves", f"<p>{note}</p>" + image_html(
        f"plots/{image.name}", "learning curves"
    )


def verdict_html(beats: object) -> str:
    """Whether the model beats its baseline (a metrics file's ``beats_baseline``): a paragraph,
    in bold when it does not; nothing when the file does not say.

    Examples
    --------
    >>> verdict_html(False)
    '<p><strong>The model does not beat its baseline.</strong></p>'
    >>> verdict_html(None)
    ''
    """
    if beats is False:
        return "<p><strong>The model does not beat its baseline.</strong></p>"
    if beats:
        return "<p>The model beats its baseline.</p>"
    return ""
