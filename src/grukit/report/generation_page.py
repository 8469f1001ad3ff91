"""The sections of the report of a generation run (``task = "sequence_generator"``).

A generate run directory holds, besides ``config.json`` and ``history.json``::

    metrics.json     the GRU and its baseline (unigram, or key frequencies for music) on the
                     scored data: perplexity, bits and cross-entropy per token, the share of
                     unknown tokens; or the NLL per frame and the frame accuracy
    samples.json     {"level", "settings", "samples": [{"seed", "text"} or {"seed", "frames"}]}
    sample.mid       (note and music runs) the first sample, and real.mid, the first piece of
    real.mid         the scored data

Each section is drawn only when its file is there, in this order: learning curves
(``plots/learning_curves.png``), model vs baseline, samples (escaped text in ``<pre>``), and
the piano rolls of ``sample.mid`` beside ``real.mid`` (``plots/piano_rolls.png``). The
quantities are explained in :mod:`grukit.report.generation`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from grukit.io import read_json
from grukit.report._pieces import image_html, table_html
from grukit.report._sections import Section, learning_curves_section, verdict_html
from grukit.report.classification_page import headline_table

__all__ = ["MUSIC_HEADLINE", "TOKEN_HEADLINE", "generation_sections"]

#: The model-vs-baseline columns of token runs: the metrics file's keys and their names.
TOKEN_HEADLINE = {"perplexity": "perplexity", "bits_per_token": "bits per token",
                  "cross_entropy": "cross-entropy (nats)", "unknown_rate": "unknown share",
                  "tokens": "tokens scored"}  # fmt: skip
#: The same for music runs.
MUSIC_HEADLINE = {"nll_per_frame": "NLL per frame", "frame_accuracy": "frame accuracy",
                  "frames": "frames scored"}  # fmt: skip


def _model_section(record: dict[str, Any]) -> Section:
    music = record.get("level") == "music"
    headline = MUSIC_HEADLINE if music else TOKEN_HEADLINE
    models = record["models"]
    table = headline_table(models, columns=tuple(headline)).rename(columns=headline)
    where = html.escape(str(record.get("data", "the evaluation data")))
    if music:
        what = (
            "The NLL per frame sums the 88 keys' Bernoulli negative log-likelihoods (nats, lower "
            "is better); frame accuracy is TP / (TP + FP + FN) over the keys, a key on when "
            "its probability is above 0.5. The baseline plays each key with its frequency in "
            "the training frames."
        )
    else:
        what = (
            "Perplexity is exp(cross-entropy per token) and bits per token the cross-entropy "
            "in bits (lower is better); the baseline is the unigram model of the training "
            "tokens (add-one smoothed)."
        )
    note = f"{record.get('documents')} document(s) of {where} ({record.get('part')}). {what}"
    body = f'<p class="note">{note}</p>' + table_html(table)
    body += verdict_html(record.get("beats_baseline"))
    return "Model vs baseline", body


def _samples_section(record: dict[str, Any]) -> Section | None:
    samples = [s for s in record.get("samples", []) if "text" in s]
    if not samples:
        return None
    settings = record.get("settings", {})
    shown = ", ".join(
        f"{k.replace('_', '-')} {v}" for k, v in settings.items() if k != "frames" and v is not None
    )
    body = [f'<p class="note">Drawn after the run ({html.escape(shown)}).</p>']
    for sample in samples:
        body.append(
            f"<h3>seed {html.escape(str(sample.get('seed')))}</h3>"
            f'<pre class="sample">{html.escape(str(sample["text"]))}</pre>'
        )
    return "Samples", "\n".join(body)


def _rolls_section(run: Path, plots: Path) -> Section | None:
    files = {"generated": run / "sample.mid", "real": run / "real.mid"}
    files = {name: path for name, path in files.items() if path.exists()}
    if not files:
        return None
    from grukit.data.music import read_midi
    from grukit.report.generation import plot_piano_rolls

    rolls = {name: read_midi(path) for name, path in files.items()}
    image = plot_piano_rolls(rolls, plots / "piano_rolls.png")
    note = (
        '<p class="note">Keys (rows) by frames (columns, the first 128), a dark cell where a '
        "key sounds: the first sample (<code>sample.mid</code>) beside the first piece of the "
        "scored data (<code>real.mid</code>).</p>"
    )
    return "Piano rolls", note + image_html(f"plots/{image.name}", "piano rolls")


def generation_sections(run: Path, plots: Path, config: dict[str, Any]) -> list[Section]:
    """The page sections of a generate run directory, from the files it holds.

    Parameters
    ----------
    run : Path
        The run directory (``history.json``, ``metrics.json``, ``samples.json``,
        ``sample.mid`` and ``real.mid`` are read when there).
    plots : Path
        Where the PNGs go (``run/plots``).
    config : dict
        The run's ``config.json`` (its ``level`` decides token or music units).

    Returns
    -------
    list of (str, str)
        ``(heading, html body)`` pairs, in the order of the module docstring.
    """
    tokens = config.get("params", {}).get("level") != "music"
    sections: list[Section] = []
    curves = learning_curves_section(run, plots, tokens=tokens)
    if curves is not None:
        sections.append(curves)
    metrics_path = run / "metrics.json"
    if metrics_path.exists():
        sections.append(_model_section(read_json(metrics_path, description="metrics file")))
    samples_path = run / "samples.json"
    if samples_path.exists():
        samples = _samples_section(read_json(samples_path, description="samples file"))
        if samples is not None:
            sections.append(samples)
    rolls = _rolls_section(run, plots)
    if rolls is not None:
        sections.append(rolls)
    return sections
