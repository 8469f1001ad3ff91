"""The report of a generation run, on run directories built here (text and music, with and
without a beaten baseline), and its plots."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grukit.io import write_json
from grukit.report import plot_learning_curves, plot_piano_rolls, write_report

PNG = b"\x89PNG\r\n\x1a\n"
HISTORY = {"train_loss": [3.1, 2.2, 1.9], "val_loss": [2.6, 2.1, 2.0], "best_epoch": 3,
           "monitor": "val_loss", "stop_reason": "max_epochs"}  # fmt: skip


def _token_run(run, *, beats: bool = True):
    run.mkdir(parents=True)
    write_json(run / "config.json", {"task": "sequence_generator", "params": {"level": "char"}})
    write_json(run / "history.json", HISTORY)
    gru = {"perplexity": 7.4, "bits_per_token": 2.89, "cross_entropy": 2.0, "tokens": 900,
           "unknown_rate": 0.0}  # fmt: skip
    unigram = {"perplexity": 30.1 if beats else 5.0, "bits_per_token": 4.91, "cross_entropy": 3.4,
               "tokens": 900}  # fmt: skip
    write_json(run / "metrics.json", {
        "task": "sequence_generator", "level": "char", "part": "validation",
        "data": "the held-out <last> 10%", "documents": 1, "beats_baseline": beats,
        "models": {"gru": gru, "unigram": unigram}})  # fmt: skip
    write_json(run / "samples.json", {
        "level": "char", "settings": {"tokens": 300, "frames": 64, "temperature": 0.8,
                                      "seeds": [0, 1, 2], "top_k": None, "top_p": None},
        "samples": [{"seed": s, "text": f"<script>alert({s})</script> & more"}
                    for s in (0, 1, 2)]})  # fmt: skip


def _headings(page):
    return re.findall(r"<h2>(.*?)</h2>", page.read_text())


def _images(run, page):
    images = re.findall(r'<img src="([^"]+)"', page.read_text())
    for relative in images:
        assert (run / relative).read_bytes()[:8] == PNG, relative
    return images


def test_a_text_run_has_curves_table_and_escaped_samples(tmp_path):
    run = tmp_path / "text"
    _token_run(run)
    page = write_report(run)
    assert _headings(page) == ["Learning curves", "Model vs baseline", "Samples", "Settings"]
    assert _images(run, page) == ["plots/learning_curves.png"]
    text = page.read_text()
    assert "<title>Generation run: text</title>" in text
    assert "perplexity 7.389" in text  # exp of the best validation loss, 2.0
    head = text.split("<h2>Model vs baseline</h2>")[1].split("<h2>")[0]
    assert head.index("<th>gru</th>") < head.index("<th>unigram</th>")
    assert "bits per token" in head and "the held-out &lt;last&gt; 10%" in head
    assert "The model beats its baseline." in head
    samples = text.split("<h2>Samples</h2>")[1].split("<h2>")[0]
    assert samples.count('<pre class="sample">') == 3 and "<script>" not in samples
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in samples
    assert "temperature 0.8" in samples


def test_the_page_says_when_the_model_does_not_beat_its_baseline(tmp_path):
    run = tmp_path / "worse"
    _token_run(run, beats=False)
    assert "the model does not beat its baseline" in write_report(run).read_text().lower()


def test_a_music_run_draws_the_piano_rolls_of_its_midi_files(tmp_path):
    from grukit.data.music import roll_from_melody, write_midi

    run = tmp_path / "music"
    run.mkdir()
    write_json(run / "config.json", {"task": "sequence_generator", "params": {"level": "music"}})
    write_json(run / "history.json", {**HISTORY, "train_loss": [60.0, 20.0, 9.0]})
    write_json(run / "metrics.json", {
        "task": "sequence_generator", "level": "music", "part": "test", "data": "tiny.mat",
        "documents": 2, "beats_baseline": True,
        "models": {"gru": {"nll_per_frame": 8.4, "frame_accuracy": 0.31, "frames": 77},
                   "key_frequencies": {"nll_per_frame": 11.1, "frame_accuracy": 0.0,
                                       "frames": 77}}})  # fmt: skip
    write_midi(roll_from_melody([60, 62, 64, -1] * 8), run / "sample.mid")
    write_midi(roll_from_melody([48, 50] * 20), run / "real.mid")
    page = write_report(run)
    assert _headings(page) == ["Learning curves", "Model vs baseline", "Piano rolls", "Settings"]
    assert _images(run, page) == ["plots/learning_curves.png", "plots/piano_rolls.png"]
    head = page.read_text().split("<h2>Model vs baseline</h2>")[1]
    assert "NLL per frame" in head and "frame accuracy" in head and "key_frequencies" in head


def test_the_plots_check_their_input(tmp_path):
    with pytest.raises(ValueError, match="at least one piano roll"):
        plot_piano_rolls({}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"must be \(T, 88\)"):
        plot_piano_rolls({"bad": np.zeros((4, 12))}, tmp_path / "x.png")
    path = plot_piano_rolls({"silence": np.zeros((3, 88), dtype=np.uint8)}, tmp_path / "s.png")
    assert path.read_bytes()[:8] == PNG
    curves = plot_learning_curves({"train_loss": [2.0], "val_loss": [None]}, tmp_path / "c.png",
                                  tokens=True)  # fmt: skip
    assert curves.read_bytes()[:8] == PNG
