"""The sections of the report of a translation run (``task = "seq2seq"``).

A translate run directory holds, besides ``config.json`` and ``history.json``::

    metrics.json     the GRU and its baseline (copy_source: the source sentence unchanged) on
                     the scored data: BLEU, chrF and their sacreBLEU signatures, exact match,
                     the perplexity of the references (the GRU only), the sentences scored;
                     and a few examples {"source", "reference", "hypothesis"}
    attention.json   (a model with attention) {"examples": [{"input", "translation",
                     "source", "target", "weights"}]}, the weights len(target) x len(source)

Each section is drawn only when its file is there, in this order: learning curves
(``plots/learning_curves.png``, with the best validation perplexity), model vs baseline (the
signatures under the table), example translations (escaped text), and the attention of the
first :data:`ATTENTION_PLOTS` examples (``plots/attention_1.png``, ...; see
:mod:`grukit.report.translation`).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from grukit.io import read_json
from grukit.report._pieces import image_html, table_html
from grukit.report._sections import Section, learning_curves_section, verdict_html
from grukit.report.classification_page import headline_table

__all__ = ["ATTENTION_PLOTS", "TRANSLATION_HEADLINE", "translation_sections"]

#: The model-vs-baseline columns: the metrics file's keys and their names.
TRANSLATION_HEADLINE = {"bleu": "BLEU", "chrf": "chrF", "exact_match": "exact match",
                        "perplexity": "perplexity", "sentences": "sentences"}  # fmt: skip
#: Attention examples drawn at most.
ATTENTION_PLOTS = 4
_SIGNATURES = {"bleu_signature": "BLEU", "chrf_signature": "chrF"}
_LEFT = ' style="text-align: left"'  # sentences read from the left


def _signatures_html(models: dict[str, dict[str, Any]]) -> str:
    """The sacreBLEU signatures in ``<code>``: once when all models share one, else per model."""
    lines = []
    for key, name in _SIGNATURES.items():
        found = {model: str(scores[key]) for model, scores in models.items() if scores.get(key)}
        if len(set(found.values())) == 1:
            lines.append(
                f"{name} signature: <code>{html.escape(next(iter(found.values())))}</code>"
            )
        else:
            lines += [
                f"{name} signature ({html.escape(model)}): <code>{html.escape(signature)}</code>"
                for model, signature in found.items()
            ]
    return f'<p class="note">{"<br>".join(lines)}</p>' if lines else ""


def _model_section(record: dict[str, Any]) -> Section:
    models = record["models"]
    table = headline_table(models, columns=tuple(TRANSLATION_HEADLINE))
    if "sentences" in table.columns:  # counts, not measurements: no significant digits
        table["sentences"] = ["-" if math.isnan(n) else str(round(n)) for n in table["sentences"]]
    table = table.rename(columns=TRANSLATION_HEADLINE)
    where = html.escape(str(record.get("data", "the evaluation data")))
    part = html.escape(str(record.get("part", "test")))
    beam = record.get("beam")
    decoding = "greedy decoding" if beam == 1 else f"beam search (beam {html.escape(str(beam))})"
    note = (
        f"{html.escape(str(record.get('sentences')))} sentences of the {part} part of {where}, "
        f"translated by {decoding}. BLEU and chrF are sacreBLEU's corpus scores (0 to 100, "
        "higher is better) on the detokenised text; exact match is the share of translations "
        "identical to their reference; perplexity is exp(cross-entropy per target token) of "
        "the references under teacher forcing. The baseline, <code>copy_source</code>, copies "
        "the source sentence unchanged."
    )
    ordered = {name: models[name] for name in table.index}  # the GRU first, as in the table
    body = f'<p class="note">{note}</p>' + table_html(table) + _signatures_html(ordered)
    return "Model vs baseline", body + verdict_html(record.get("beats_baseline"))


def _examples_section(record: dict[str, Any]) -> Section | None:
    examples = record.get("examples") or []
    if not examples:
        return None
    columns = ("source", "reference", "hypothesis")
    head = "".join(f"<th{_LEFT}>{name}</th>" for name in columns)
    rows = [
        "<tr>"
        + "".join(f"<td{_LEFT}>{html.escape(str(example.get(c, '')))}</td>" for c in columns)
        + "</tr>"
        for example in examples
    ]
    note = (
        '<p class="note">The first sentences of the scored data: the source, its reference '
        "translation and the model's (the hypothesis).</p>"
    )
    table = (
        f'<table class="translations"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return "Example translations", note + table


def _attention_section(record: dict[str, Any], plots: Path) -> Section | None:
    from grukit.report.translation import plot_attention

    examples = (record.get("examples") or [])[:ATTENTION_PLOTS]
    if not examples:
        return None
    body = [
        '<p class="note">Rows: the tokens of the translation (the last one <code>&lt;/s&gt;'
        "</code>, the end of the sentence); columns: the tokens of the source; a cell: the "
        "attention weight of that source token when that target token was produced (each row "
        "sums to 1).</p>"
    ]
    for number, example in enumerate(examples, start=1):
        image = plot_attention(example, plots / f"attention_{number}.png")
        source = html.escape(str(example.get("input") or " ".join(example["source"])))
        caption = f"<p>{source}"
        if example.get("translation") is not None:
            caption += f" &rarr; {html.escape(str(example['translation']))}"
        body.append(caption + "</p>" + image_html(f"plots/{image.name}", f"attention {number}"))
    return "Attention", "\n".join(body)


def translation_sections(run: Path, plots: Path, config: dict[str, Any]) -> list[Section]:
    """The page sections of a translate run directory, from the files it holds.

    Parameters
    ----------
    run : Path
        The run directory (``history.json``, ``metrics.json`` and ``attention.json`` are read
        when there).
    plots : Path
        Where the PNGs go (``run/plots``).
    config : dict
        The run's ``config.json`` (its settings are listed by the page itself).

    Returns
    -------
    list of (str, str)
        ``(heading, html body)`` pairs, in the order of the module docstring.
    """
    unit = "cross-entropy per target token (nats)"
    sections: list[Section] = []
    curves = learning_curves_section(run, plots, tokens=True, unit=unit)
    if curves is not None:
        sections.append(curves)
    metrics_path = run / "metrics.json"
    if metrics_path.exists():
        record = read_json(metrics_path, description="metrics file")
        sections.append(_model_section(record))
        examples = _examples_section(record)
        if examples is not None:
            sections.append(examples)
    attention_path = run / "attention.json"
    if attention_path.exists():
        attention = _attention_section(read_json(attention_path, description="attention file"),
                                       plots)  # fmt: skip
        if attention is not None:
            sections.append(attention)
    return sections
