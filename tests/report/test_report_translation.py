"""The report of a translation run (``seq2seq``), on run directories built here: the scores
and their signatures, escaped examples, attention heat maps, and the sections that go when
their files are missing."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grukit.io import write_json
from grukit.report import plot_attention, write_report

PNG = b"\x89PNG\r\n\x1a\n"
HISTORY = {"train_loss": [4.1, 3.0, 2.5], "val_loss": [3.6, 2.9, 2.7], "best_epoch": 3,
           "monitor": "val_loss", "stop_reason": "max_epochs"}  # fmt: skip
BLEU_SIGNATURE = "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
CHRF_SIGNATURE = "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"
SOURCE = ["\u2581Ein", "\u2581Hund", "\u2581l\u00e4uft", "."]
TARGET = ["\u2581A", "\u2581dog", "\u2581runs", ".", "</s>"]


def _scores(bleu: float, chrf: float, exact: float) -> dict:
    return {"bleu": bleu, "bleu_signature": BLEU_SIGNATURE, "chrf": chrf,
            "chrf_signature": CHRF_SIGNATURE, "exact_match": exact, "sentences": 1000}  # fmt: skip


def _attention_example(number: int) -> dict:
    weights = np.random.default_rng(number).dirichlet(np.ones(len(SOURCE)), size=len(TARGET))
    return {"input": f"Ein Hund l\u00e4uft {number}.", "translation": f"A dog runs {number}.",
            "source": SOURCE, "target": TARGET, "weights": weights.tolist()}  # fmt: skip


def _run(run, *, beats: bool = True, metrics: bool = True, attention: int = 5):
    run.mkdir(parents=True)
    params = {"tokens": "bpe", "attention": True, "beam": 5}
    write_json(run / "config.json", {"task": "seq2seq", "params": params})
    write_json(run / "history.json", HISTORY)
    if metrics:
        gru = {**_scores(30.123 if beats else 1.5, 55.0, 0.05), "perplexity": 12.3}
        examples = [
            {"source": "Ein <b>Hund</b> & Katze.", "reference": "A <b>dog</b> & cat.",
             "hypothesis": "A dog and a cat."},
            {"source": "Hallo.", "reference": "Hello.", "hypothesis": "Hello."},
        ]  # fmt: skip
        write_json(run / "metrics.json", {
            "task": "seq2seq", "part": "test", "data": "newstest <2014>", "sentences": 1000,
            "beam": 5, "models": {"copy_source": _scores(2.1, 20.0, 0.0), "gru": gru},
            "beats_baseline": beats, "examples": examples})  # fmt: skip
    if attention:
        write_json(run / "attention.json",
                   {"examples": [_attention_example(n) for n in range(attention)]})  # fmt: skip


def _headings(page):
    return re.findall(r"<h2>(.*?)</h2>", page.read_text())


def _section(page, heading):
    return page.read_text().split(f"<h2>{heading}</h2>")[1].split("<h2>")[0]


def test_a_translation_run_has_curves_scores_examples_and_attention(tmp_path):
    run = tmp_path / "de-en"
    _run(run)
    page = write_report(run)
    assert _headings(page) == ["Learning curves", "Model vs baseline", "Example translations",
                               "Attention", "Settings"]  # fmt: skip
    text = page.read_text()
    assert "<title>Translation (sequence to sequence) run: de-en</title>" in text
    curves = _section(page, "Learning curves")
    assert "cross-entropy per target token" in curves and "perplexity 14.88" in curves  # e^2.7
    head = _section(page, "Model vs baseline")
    assert head.index("<th>gru</th>") < head.index("<th>copy_source</th>")
    assert "30.12" in head and "BLEU" in head and "chrF" in head and "exact match" in head
    assert f"<code>{BLEU_SIGNATURE}</code>" in head and f"<code>{CHRF_SIGNATURE}</code>" in head
    assert head.count(BLEU_SIGNATURE) == 1  # shared by both models: printed once
    assert "<td>1000</td>" in head and "sacreBLEU" in head and "detokenised" in head
    assert "copies the source sentence unchanged" in head and "newstest &lt;2014&gt;" in head
    assert "The model beats its baseline." in head and "does not beat" not in head
    examples = _section(page, "Example translations")
    assert "<b>" not in examples and examples.count("<tr>") == 3  # the header and two rows
    assert "Ein &lt;b&gt;Hund&lt;/b&gt; &amp; Katze." in examples
    assert "A &lt;b&gt;dog&lt;/b&gt; &amp; cat." in examples and "A dog and a cat." in examples


def test_the_attention_heat_maps_are_png_files(tmp_path):
    run = tmp_path / "attention"
    _run(run, attention=5)
    page = write_report(run)
    images = re.findall(r'<img src="([^"]+)"', _section(page, "Attention"))
    assert images == [f"plots/attention_{n}.png" for n in (1, 2, 3, 4)]  # four at most
    for relative in images:
        data = (run / relative).read_bytes()
        assert data[:8] == PNG and len(data) > 5_000, relative
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width >= 300 and height >= 200, relative
    assert not (run / "plots" / "attention_5.png").exists()
    assert "Ein Hund läuft 0. &rarr; A dog runs 0." in _section(page, "Attention")


def test_missing_files_drop_their_sections(tmp_path):
    run = tmp_path / "bare"
    _run(run, metrics=False, attention=0)
    (run / "history.json").unlink()
    assert _headings(write_report(run)) == ["Settings"]
    run = tmp_path / "no-attention"
    _run(run, attention=0)
    page = write_report(run)
    assert _headings(page) == ["Learning curves", "Model vs baseline", "Example translations",
                               "Settings"]  # fmt: skip
    assert "Training" not in _headings(page)  # the learning curves replace the loss plot
    run = tmp_path / "no-metrics"
    _run(run, metrics=False, attention=1)
    assert _headings(write_report(run)) == ["Learning curves", "Attention", "Settings"]


def test_the_page_says_when_the_model_does_not_beat_its_baseline(tmp_path):
    run = tmp_path / "worse"
    _run(run, beats=False)
    head = _section(write_report(run), "Model vs baseline")
    assert "<strong>The model does not beat its baseline.</strong>" in head


def test_plot_attention_refuses_weights_of_the_wrong_shape(tmp_path):
    example = _attention_example(0)
    path = plot_attention(example, tmp_path / "ok.png")
    assert path == tmp_path / "ok.png" and path.read_bytes()[:8] == PNG
    shape = r"must be len\(target\) x len\(source\) = 5 x 4"
    with pytest.raises(ValueError, match=shape):
        plot_attention({**example, "weights": example["weights"][:-1]}, tmp_path / "rows.png")
    with pytest.raises(ValueError, match=r"= 5 x 3 .*got 5 row\(s\) of length\(s\) 4"):
        plot_attention({**example, "source": SOURCE[:-1]}, tmp_path / "columns.png")
    ragged = [row[:-1] if i == 2 else row for i, row in enumerate(example["weights"])]
    with pytest.raises(ValueError, match=shape):
        plot_attention({**example, "weights": ragged}, tmp_path / "ragged.png")
    assert not any(tmp_path.glob("[rc]*.png"))
