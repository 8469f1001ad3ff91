"""PNG plots and HTML pieces of a tagging run: entity F1 per type, the entity-type confusion
and sentences with their entity spans highlighted.

A tagger labels each of a sentence's T tokens ``O`` or ``B-X`` / ``I-X`` (IOB2), and the
labels mark entity spans ``(type, start, end)``, ``end`` exclusive. Spans are read leniently,
as ``conlleval`` reads them (:func:`grukit.text.conll.entities`): ``B-X`` starts an entity,
and so does an ``I-X`` after ``O`` or after another type. A predicted entity is right when it
is exactly a gold one, same start, same end and same type; precision is the share of the
predicted entities that are right, recall the share of the gold ones found,
``F1 = 2 P R / (P + R)``.

The entity-type confusion is a (K + 1) x (K + 1) matrix over the K types and ``O``: rows
gold, columns predicted; a gold and a predicted span with the same boundaries count at
(gold type, predicted type), a gold span no prediction matches counts in column ``O``
(missed), a predicted span no gold one matches in row ``O`` (spurious).

The plots write one PNG each, atomically, and return the path written;
:func:`grukit.report.tagging_page.tagging_sections` puts them on the page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grukit.report._figures import pyplot, save_figure
from grukit.report.classification import model_color, plot_confusion
from grukit.text.conll import entities

__all__ = [
    "NONE_LABEL",
    "entity_legend_html",
    "plot_entity_confusion",
    "plot_entity_f1",
    "tagged_sentence_html",
    "type_colors",
]

#: The name of the confusion matrix's ``O`` row and column on the heat map.
NONE_LABEL = "none (missed/spurious)"
#: Light backgrounds for entity types (text stays readable on them), in the order of the types.
TYPE_PALETTE = (
    "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#f7b6d2", "#dbdb8d", "#9edae5", "#c49c94",
    "#ff9896", "#c7c7c7",
)  # fmt: skip
_UNKNOWN_TYPE_COLOR = "#e0e0e0"
_MARK_STYLE = "background: {color}; padding: 0 .2em; border-radius: .25em"
_WRONG_STYLE = "; text-decoration: underline wavy #d62728; text-decoration-thickness: 2px"
_TAG_STYLE = "font-size: .7em; font-weight: bold; color: #444"


def type_colors(types: Sequence[str]) -> dict[str, str]:
    """A background colour per entity type, from :data:`TYPE_PALETTE` in the types' order
    (cycling past ten types).

    Examples
    --------
    >>> type_colors(["LOC", "PER"])
    {'LOC': '#aec7e8', 'PER': '#ffbb78'}
    """
    return {str(t): TYPE_PALETTE[i % len(TYPE_PALETTE)] for i, t in enumerate(types)}


def plot_entity_f1(
    per_type: Mapping[str, Mapping[str, Mapping[str, Any]]],
    path: str | Path,
    *,
    types: Sequence[str] | None = None,
) -> Path:
    """Entity F1 per type, one bar per model side by side (the GRU first, as given).

    Parameters
    ----------
    per_type : mapping of str to mapping of str to mapping
        Per model, per entity type, its scores: ``{"gru": {"LOC": {"f1": 0.9, "support":
        1668, ...}, ...}, "most_frequent_tag": {...}}`` (a metrics file's ``per_type``). A
        type a model lacks has no bar; the first model's ``support`` goes under the type.
    path : str or Path
        The PNG to write.
    types : sequence of str, optional
        The types, in order; default those of the first model.
    """
    if not per_type:
        raise ValueError("`per_type` must hold at least one model, got none")
    first = next(iter(per_type.values()))
    names = [str(t) for t in (first if types is None else types)]
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(max(5.0, 1.3 * len(names) + 2.5), 4.5))
    positions = np.arange(len(names), dtype=np.float64)
    width = 0.8 / len(per_type)
    for index, (model, scores) in enumerate(per_type.items()):
        values = np.array(
            [np.nan if scores.get(t, {}).get("f1") is None else scores[t]["f1"] for t in names],
            dtype=np.float64,
        )
        offsets = positions - 0.4 + width * (index + 0.5)
        bars = axis.bar(offsets, np.nan_to_num(values), width=width * 0.95,
                        color=model_color(str(model), index), label=str(model))  # fmt: skip
        for bar, value in zip(bars, values, strict=True):
            if np.isfinite(value):
                axis.text(bar.get_x() + bar.get_width() / 2, value + 0.01, f"{value:.2f}",
                          ha="center", va="bottom", fontsize=7)  # fmt: skip
    support = [first.get(t, {}).get("support") for t in names]
    labels = [
        n if s is None else f"{n}\n({int(s)} gold)" for n, s in zip(names, support, strict=True)
    ]
    axis.set_xticks(positions, labels)
    axis.set_ylim(0, 1.22)  # room for the legend above the bars
    axis.set_yticks(np.linspace(0, 1, 6))
    axis.set_ylabel("entity F1")
    axis.set_title("Entity F1 per type (exact span and type)")
    axis.legend(loc="upper center", fontsize=8, ncol=len(per_type))
    return save_figure(figure, path)


def plot_entity_confusion(matrix: Any, types: Sequence[str], path: str | Path) -> Path:
    """The entity-type confusion as a heat map: counts in the cells, each row shaded by its
    share of the gold row; ``O`` is drawn as :data:`NONE_LABEL`. A type with no entities has
    a row of zeros.

    Parameters
    ----------
    matrix : array (K + 1, K + 1)
        Counts, rows gold, columns predicted, in the order of `types` (module docstring).
    types : sequence of str
        The K entity types and ``"O"``.
    path : str or Path
    """
    names = [NONE_LABEL if str(t) == "O" else str(t) for t in types]
    return plot_confusion(
        matrix, names, path, xlabel="predicted", ylabel="gold",
        title="Entity-type confusion (share of the gold row)",
    )  # fmt: skip


def _mark(words: Sequence[str], kind: str, color: str, *, wrong: bool) -> str:
    """One entity span as a ``<mark>``: its tokens, then its type as a small label."""
    style = _MARK_STYLE.format(color=color) + (_WRONG_STYLE if wrong else "")
    title = f"{kind}: not a gold entity (wrong type or boundaries)" if wrong else kind
    text = " ".join(html.escape(str(w)) for w in words)
    return (
        f'<mark class="entity{" wrong" if wrong else ""}" style="{style}" '
        f'title="{html.escape(title)}">{text} '
        f'<small style="{_TAG_STYLE}">{html.escape(kind)}</small></mark>'
    )


def tagged_sentence_html(
    tokens: Sequence[str],
    labels: Sequence[str],
    *,
    colors: Mapping[str, str],
    gold: Sequence[str] | None = None,
    title: str = "",
) -> str:
    """A sentence as HTML, each entity span of `labels` (IOB2, read leniently) a ``<mark>`` in
    its type's colour with the type as a small label; all text is HTML-escaped.

    With `gold` (the gold labels; `labels` are then predictions), a span that is not exactly
    a gold entity of the same type is marked wrong: a red wavy underline. `title` (e.g.
    ``"gold"``) opens the line. A type missing from `colors` is grey.

    Examples
    --------
    >>> tagged_sentence_html(["<b>", "Paris"], ["O", "B-LOC"], colors={"LOC": "#aec7e8"})
    '<p class="tagged">&lt;b&gt; <mark class="entity" style="background: #aec7e8; padding: 0 .2em; border-radius: .25em" title="LOC">Paris <small style="font-size: .7em; font-weight: bold; color: #444">LOC</small></mark></p>'
    """  # noqa: E501
    if len(labels) != len(tokens):
        raise ValueError(
            f"`labels` must have one label per token ({len(tokens)}), got {len(labels)}"
        )
    if gold is not None and len(gold) != len(tokens):
        raise ValueError(f"`gold` must have one label per token ({len(tokens)}), got {len(gold)}")
    right = set(entities(gold, "IOB2")) if gold is not None else None
    pieces: list[str] = []
    position = 0
    for kind, start, end in entities(labels, "IOB2"):
        pieces += [html.escape(str(t)) for t in tokens[position:start]]
        wrong = right is not None and (kind, start, end) not in right
        color = colors.get(kind, _UNKNOWN_TYPE_COLOR)
        pieces.append(_mark(tokens[start:end], kind, color, wrong=wrong))
        position = end
    pieces += [html.escape(str(t)) for t in tokens[position:]]
    head = f'<span class="note">{html.escape(title)}:</span> ' if title else ""
    return f'<p class="tagged">{head}{" ".join(pieces)}</p>'


def entity_legend_html(colors: Mapping[str, str]) -> str:
    """A line naming each entity type in its colour, and what the red underline means (plain
    ``<span>`` elements: the only ``<mark>`` elements of the page are entity spans)."""
    swatches = [
        f'<span style="{_MARK_STYLE.format(color=html.escape(color))}">{html.escape(kind)}</span>'
        for kind, color in colors.items()
    ]
    wrong = _MARK_STYLE.format(color="#ffffff") + _WRONG_STYLE
    swatches.append(f'<span style="{wrong}">predicted, not a gold entity</span>')
    return '<p class="note">Entity types: ' + " ".join(swatches) + "</p>"
