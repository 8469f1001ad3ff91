"""The sequence-to-sequence part of ``grukit demo`` (:mod:`grukit.cli.workflow_demo`).

8. Date normalisation: dates written in a dozen human formats ("21 November 2026",
   "Nov. 21, 26", "Saturday, 21 November 2026") paired with their ISO form ("2026-11-21")
   by :func:`grukit.text.synthetic_dates`, written as two TSV files, then
   ``grukit train seq2seq dates_train.tsv --test dates_test.tsv --tokens char``: a small
   character-level GRU encoder-decoder with attention, scored by exact match (and BLEU, chrF)
   beside copying the source, and a few dates translated with beam search.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grukit.cli.demo_commands import THREADS, command_line, fresh_run

__all__ = ["EXAMPLES", "seq2seq_numbers", "seq2seq_part", "seq2seq_section", "seq2seq_summary"]

Echo = Callable[[str], None]
#: dates the demo translates after training (none of them is drawn for training)
EXAMPLES = ("21 November 2026", "Nov. 21, 26", "the 3rd of February, 2001", "2026/11/21")


def _write_pairs(path: Path, sources: list[str], targets: list[str]) -> Path:
    from grukit.io import atomic_write_text

    rows = "".join(f"{s}\t{t}\n" for s, t in zip(sources, targets, strict=True))
    return atomic_write_text(path, "source\ttarget\n" + rows)


def seq2seq_part(out: Path, seed: int, settings: dict[str, Any], echo: Echo) -> Path:
    """Write the date pairs, train the character model on them, translate a few dates, draw
    its report; the run directory."""
    from grukit.cli.translate import run_train_seq2seq
    from grukit.report import write_report
    from grukit.tasks.registry import load
    from grukit.text.dates import synthetic_dates

    sources, targets = synthetic_dates(settings["dates"] + 500, seed=seed)
    train = _write_pairs(out / "dates_train.tsv", sources[:-500], targets[:-500])
    test = _write_pairs(out / "dates_test.tsv", sources[-500:], targets[-500:])
    run = out / "seq2seq"
    fresh_run(run)
    options = {
        "data": train, "test": test, "tokens": "char", "embedding_dim": 32,
        "hidden_size": settings["seq2seq_hidden"], "dropout": 0.0, "beam": 3,
        "epochs": settings["seq2seq_epochs"], "batch_size": 32, "lr": 5e-3, "seed": seed,
        "threads": THREADS, "out": run,
    }  # fmt: skip
    echo(f"$ {command_line('seq2seq', options)}")
    given = {("source" if name == "data" else name): value for name, value in options.items()}
    run_train_seq2seq(given)
    model = load(run)
    for date, iso in zip(EXAMPLES, model.translate(list(EXAMPLES)), strict=True):
        echo(f"  {date!r:32} -> {iso}")
    write_report(run, title="Demo: date normalisation with a character GRU encoder-decoder")
    return run


def seq2seq_numbers(run: Path) -> dict[str, Any]:
    """The part's numbers from its ``metrics.json`` and the example translations."""
    from grukit.io import read_json
    from grukit.tasks.registry import load

    record = read_json(run / "metrics.json")
    gru, copy = record["models"]["gru"], record["models"]["copy_source"]
    return {
        "sentences": record["sentences"], "exact_match": gru["exact_match"],
        "bleu": gru["bleu"], "chrf": gru["chrf"], "copy_exact_match": copy["exact_match"],
        "examples": dict(zip(EXAMPLES, load(run).translate(list(EXAMPLES)), strict=True)),
    }  # fmt: skip


def seq2seq_summary(numbers: dict[str, Any]) -> str:
    """The demo summary's line about the seq2seq part.

    >>> seq2seq_summary({"sentences": 500, "exact_match": 0.996, "chrf": 99.8,
    ...                  "copy_exact_match": 0.0})
    'Dates (500 test dates): the GRU encoder-decoder 99.6% exact, chrF 99.80; copying the source 0.0%'
    """  # noqa: E501
    return (
        f"Dates ({numbers['sentences']} test dates): the GRU encoder-decoder "
        f"{numbers['exact_match']:.1%} exact, chrF {numbers['chrf']:.2f}; copying the source "
        f"{numbers['copy_exact_match']:.1%}"
    )


def seq2seq_section(numbers: dict[str, Any]) -> tuple[str, str]:
    """The demo page's section 8: exact match, the example dates, the attention of one."""
    import pandas as pd

    from grukit.report import image_html, table_html

    table = pd.DataFrame({"translation": numbers["examples"]})
    table.index.name = "date"
    body = (
        f"<p>{html.escape(seq2seq_summary(numbers))}</p>"
        + table_html(table)
        + image_html("seq2seq/plots/attention_1.png", "attention over a date")
        + '<p><a href="seq2seq/report.html">The full seq2seq report</a> (learning curves, '
        "BLEU and chrF with their signatures, attention heat maps)</p>"
    )
    return ("8. Date normalisation: a character GRU encoder-decoder with attention", body)
