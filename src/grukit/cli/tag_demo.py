"""The tagging part of ``grukit demo`` (:mod:`grukit.cli.workflow_demo`).

6. Named entities: generated sentences (:func:`grukit.text.synthetic_entities`) written as CoNLL
   files in CoNLL-2003's IOB1 scheme (training, validation, test), then ``grukit train tag
   entities.train --validation entities.valid --test entities.test``: a BiGRU-CRF with character
   features against the most-frequent-tag baseline, scored per entity as conlleval scores it.
   The entities are invented words, so the baseline, which only remembers tokens, cannot
   name the test's.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grukit.cli.demo_commands import THREADS, command_line, fresh_run

__all__ = ["tagging_numbers", "tagging_part", "tagging_section", "tagging_summary"]

Echo = Callable[[str], None]


def tagging_part(out: Path, seed: int, settings: dict[str, Any], echo: Echo) -> Path:
    """Write the CoNLL files, train the tagger, draw its report; the run directory."""
    from grukit.cli.tag import run_train_tag
    from grukit.report import write_report
    from grukit.text import synthetic_entities, write_conll

    count = settings["sentences"]
    files = {}
    for index, (name, share) in enumerate((("train", 1.0), ("valid", 0.2), ("test", 0.2))):
        sentences = synthetic_entities(max(int(count * share), 20), seed=seed * 3 + index)
        files[name] = write_conll(sentences.to_scheme("IOB1"), out / f"entities.{name}")
    run = out / "entities"
    fresh_run(run)
    options = {
        "data": files["train"],
        "validation": files["valid"],
        "test": files["test"],
        "hidden_size": 32,
        "embedding_dim": 32,
        "char_hidden": 16,
        "epochs": settings["tag_epochs"],
        "batch_size": 32,
        "lr": 5e-3,
        "seed": seed,
        "threads": THREADS,
        "out": run,
    }
    echo(f"$ {command_line('tag', options)}")
    run_train_tag(options)
    write_report(run, title="Demo: named entities (BiGRU-CRF)")
    return run


def tagging_numbers(run: Path) -> dict[str, Any]:
    """The part's numbers from its ``metrics.json``: sentences, entity F1 per model, per type."""
    from grukit.io import read_json

    record = read_json(run / "metrics.json")
    models = record["models"]
    return {
        "sentences": record["sentences"],
        "f1": {name: m["f1"] for name, m in models.items()},
        "per_type": {kind: m["f1"] for kind, m in models["gru"]["per_type"].items()},
    }


def tagging_summary(numbers: dict[str, Any]) -> str:
    """The demo summary's line about the tagging part."""
    from grukit.cli.classify_demo import winner_sentence

    sentence = winner_sentence(numbers["f1"], "entity F1")
    return f"Entities ({numbers['sentences']} test sentences): {sentence}"


def tagging_section(numbers: dict[str, Any]) -> tuple[str, str]:
    """The demo page's section 6: the F1 table, the per-type F1 and a link into the run."""
    import pandas as pd

    from grukit.report import image_html, table_html

    table = pd.DataFrame({"entity F1": numbers["f1"]}, dtype=float)
    per_type = pd.DataFrame({"F1 (GRU)": numbers["per_type"]}, dtype=float)
    body = (
        table_html(table)
        + f"<p>{html.escape(tagging_summary(numbers))}</p>"
        + table_html(per_type)
        + image_html("entities/plots/entity_confusion.png", "entity-type confusion")
        + '<p><a href="entities/report.html">The full tagging report</a> (example sentences '
        "with gold and predicted entities)</p>"
    )
    return ("6. Named entities in generated sentences (test sentences)", body)
