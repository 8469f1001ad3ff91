"""The sections of the report of a tagging run (``task = "sequence_tagger"``).

A tag run directory holds, besides ``config.json`` and ``history.json``::

    metrics.json     the GRU and the baseline (most_frequent_tag) on the test data: per model
                     entity precision, recall, F1, token accuracy, per_type scores and counts;
                     the entity-type confusion (rows gold, columns predicted, with "O")
    examples.json    {"examples": [{"tokens", "gold", "predicted"}]}, the labels in IOB2

Each section is drawn only when its file (and its part of the file) is there, in this order:
model vs baseline, per entity type (a table and ``plots/entity_f1_by_type.png``), the
entity-type confusion (``plots/entity_confusion.png``), example sentences. The scores and
the confusion are explained in :mod:`grukit.report.tagging`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from grukit.io import read_json
from grukit.report._pieces import image_html, table_html
from grukit.report.classification_page import beats_sentence, headline_table
from grukit.report.tagging import (
    entity_legend_html,
    plot_entity_confusion,
    plot_entity_f1,
    tagged_sentence_html,
    type_colors,
)
from grukit.text.conll import entities

__all__ = ["HEADLINE", "MAX_EXAMPLES", "tagging_sections"]

#: The model-vs-baseline columns: the metrics file's keys and their names on the page.
HEADLINE = {"precision": "precision", "recall": "recall", "f1": "F1", "accuracy": "token accuracy"}
#: Example sentences drawn at most (the first ones of ``examples.json``).
MAX_EXAMPLES = 100
Section = tuple[str, str]


def _model_section(record: dict[str, Any]) -> Section:
    models = record["models"]
    table = headline_table(models, columns=tuple(HEADLINE)).rename(columns=HEADLINE)
    for key, name in (("gold", "gold entities"), ("predicted", "predicted"), ("correct", "right")):
        table[name] = [models[m].get("counts", {}).get(key) for m in table.index]
    where = html.escape(str(record.get("data", "the evaluation data")))
    scheme = html.escape(str(record.get("scheme", "?")))
    note = (
        f"{record.get('sentences')} sentences ({record.get('tokens')} tokens) of {where}, "
        f"tagged in {scheme}. Precision, recall and F1 are over entities: a predicted entity is "
        "right when it has exactly the span and the type of a gold one (as conlleval counts); "
        "token accuracy is the share of tokens whose label is right."
    )
    sentence = beats_sentence(models, metric=("f1", "entity F1"))
    body = f'<p class="note">{note}</p>' + table_html(table) + f"<p>{html.escape(sentence)}</p>"
    return "Model vs baseline", body


def _per_type_section(record: dict[str, Any], plots: Path) -> Section | None:
    models = record["models"]
    gru = models.get("gru", {}).get("per_type")
    if not gru:
        return None
    table = pd.DataFrame.from_dict(gru, orient="index")
    table = table[[c for c in ("precision", "recall", "f1", "support") if c in table.columns]]
    table = table.rename(columns={"f1": "F1"})
    table.index.name = "type"
    baselines = [m for m in models if m != "gru" and models[m].get("per_type")]
    for baseline in baselines:
        theirs = models[baseline]["per_type"]
        table[f"F1 of {baseline}"] = [theirs.get(t, {}).get("f1") for t in table.index]
    per_type = {m: models[m]["per_type"] for m in ["gru", *baselines]}
    image = plot_entity_f1(per_type, plots / "entity_f1_by_type.png", types=list(gru))
    note = '<p class="note">The GRU per entity type; support: the gold entities of the type.</p>'
    return "Per entity type", note + table_html(table) + image_html(
        f"plots/{image.name}", "entity F1 per type"
    )


def _confusion_section(record: dict[str, Any], plots: Path) -> Section | None:
    confusion = record.get("confusion")
    if not confusion:
        return None
    image = plot_entity_confusion(
        confusion["matrix"], confusion["types"], plots / "entity_confusion.png"
    )
    note = (
        '<p class="note">The GRU\'s entities; rows: the gold type, columns: the predicted one, '
        "for a gold and a predicted entity with the same boundaries. A gold entity no "
        "prediction matches is missed (the last column), a predicted one no gold entity "
        "matches is spurious (the last row).</p>"
    )
    return "Entity-type confusion", note + image_html(f"plots/{image.name}", "entity confusion")


def _example_types(examples: list[dict[str, Any]]) -> list[str]:
    found = {
        kind
        for example in examples
        for labels in (example["gold"], example["predicted"])
        for kind, _, _ in entities(labels, "IOB2")
    }
    return sorted(found)


def _examples_section(examples: list[dict[str, Any]], types: list[str]) -> Section:
    shown = examples[:MAX_EXAMPLES]
    colors = type_colors(list(dict.fromkeys([*types, *_example_types(shown)])))
    count = (
        f"The first {len(shown)} of {len(examples)} example sentences"
        if len(shown) < len(examples)
        else f"{len(shown)} example sentences"
    )
    note = (
        f'<p class="note">{count}, each twice: the gold entities, then the predicted ones; '
        "a predicted entity that is not exactly a gold one of the same type is underlined in "
        "red.</p>"
    )
    body = [note, entity_legend_html(colors)]
    for example in shown:
        tokens = example["tokens"]
        body.append(
            '<div class="example">'
            + tagged_sentence_html(tokens, example["gold"], colors=colors, title="gold")
            + tagged_sentence_html(
                tokens,
                example["predicted"],
                colors=colors,
                gold=example["gold"],
                title="predicted",
            )  # fmt: skip
            + "</div>"
        )
    return "Example sentences", "\n".join(body)


def tagging_sections(run: Path, plots: Path, config: dict[str, Any]) -> list[Section]:
    """The page sections of a tag run directory, from the files it holds.

    Parameters
    ----------
    run : Path
        The run directory (``metrics.json`` and ``examples.json`` are read when there).
    plots : Path
        Where the PNGs go (``run/plots``).
    config : dict
        The run's ``config.json`` (read for nothing yet: the files hold what is drawn).

    Returns
    -------
    list of (str, str)
        ``(heading, html body)`` pairs, in the order of the module docstring.
    """
    sections: list[Section] = []
    types: list[str] = []
    metrics_path = run / "metrics.json"
    if metrics_path.exists():
        record = read_json(metrics_path, description="metrics file")
        sections.append(_model_section(record))
        per_type = _per_type_section(record, plots)
        if per_type is not None:
            sections.append(per_type)
        confusion = _confusion_section(record, plots)
        if confusion is not None:
            sections.append(confusion)
        types += list(record["models"].get("gru", {}).get("per_type") or {})
        types += [str(t) for t in (record.get("confusion") or {}).get("types", []) if t != "O"]
    examples_path = run / "examples.json"
    if examples_path.exists():
        examples = read_json(examples_path, description="examples file").get("examples", [])
        if examples:
            sections.append(_examples_section(examples, list(dict.fromkeys(types))))
    return sections
