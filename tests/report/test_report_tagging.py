"""The report of a tagging run, on run directories built here (with and without the baseline,
the metrics and the examples), and the tagging plots and HTML pieces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given

from grukit.io import write_json
from grukit.report import (
    plot_entity_confusion,
    plot_entity_f1,
    tagged_sentence_html,
    write_report,
)
from grukit.report.tagging import NONE_LABEL, entity_legend_html, type_colors
from strategies import iob2_tag_sequences

PNG = b"\x89PNG\r\n\x1a\n"
HISTORY = {
    "train_loss": [1.9, 0.8, 0.5],
    "val_loss": [1.5, 0.9, 0.7],
    "best_epoch": 3,
    "monitor": "val_loss",
    "stop_reason": "max_epochs",
}
TYPES = ["LOC", "MISC", "ORG", "PER"]
# Three sentences: 5 gold spans, 6 predicted spans (3 of them wrong: "New" alone for "New
# York", "EU" as MISC for ORG, a spurious "Rome"), tokens to escape and a lenient I- start.
EXAMPLES = [
    {
        "tokens": ["<b>", "John", "Smith", "visited", "New", "York", "."],
        "gold": ["O", "B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"],
        "predicted": ["O", "B-PER", "I-PER", "O", "B-LOC", "O", "O"],
    },
    {
        "tokens": ["EU", "rejects", "German", "call"],
        "gold": ["B-ORG", "O", "B-MISC", "O"],
        "predicted": ["B-MISC", "O", "I-MISC", "O"],  # I-MISC after O starts an entity
    },
    {
        "tokens": ["Paris", "&", "Rome"],
        "gold": ["B-LOC", "O", "O"],
        "predicted": ["B-LOC", "O", "B-LOC"],
    },
]
GOLD_SPANS, PREDICTED_SPANS, WRONG_SPANS = 5, 6, 3


def _scores(f1: float, per_type_f1: dict[str, float], *, correct: int) -> dict:
    per_type = {
        t: {"precision": f, "recall": f, "f1": f, "support": 100 * (i + 1)}
        for i, (t, f) in enumerate(per_type_f1.items())
    }
    counts = {"gold": 1000, "predicted": 990, "correct": correct}
    return {"precision": f1, "recall": f1, "f1": f1, "accuracy": 0.95, "per_type": per_type,
            "counts": counts}  # fmt: skip


def _run(
    run: Path,
    *,
    gru_f1: float = 0.85,
    baseline_f1: float | None = 0.6,
    metrics: bool = True,
    examples: bool = True,
    matrix: list[list[int]] | None = None,
) -> None:
    run.mkdir(parents=True, exist_ok=True)
    config = {"task": "sequence_tagger", "params": {"hidden_size": 16, "scheme": "IOB1"}}
    write_json(run / "config.json", config)
    write_json(run / "history.json", HISTORY)
    if metrics:
        gru = dict(zip(TYPES, (0.9, 0.7, 0.8, 0.95), strict=True))
        models = {"gru": _scores(gru_f1, gru, correct=850)}
        if baseline_f1 is not None:
            baseline = dict(zip(TYPES, (0.7, 0.5, 0.4, 0.3), strict=True))
            models["most_frequent_tag"] = _scores(baseline_f1, baseline, correct=600)
        if matrix is None:
            matrix = [[400, 5, 10, 3, 20], [4, 150, 6, 2, 30], [12, 8, 300, 9, 40],
                      [2, 1, 5, 500, 10], [15, 20, 25, 5, 0]]  # fmt: skip
        record = {"task": "sequence_tagger", "data": "the test data <eng.testb>",
                  "sentences": 3453, "tokens": 46435, "scheme": "IOB1", "models": models,
                  "confusion": {"types": [*TYPES, "O"], "matrix": matrix},
                  "beats_baseline": baseline_f1 is None or gru_f1 > baseline_f1}  # fmt: skip
        write_json(run / "metrics.json", record)
    if examples:
        write_json(run / "examples.json", {"examples": EXAMPLES})


def _headings(page: Path) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", page.read_text())


def _images(run: Path, page: Path) -> list[str]:
    images = re.findall(r'<img src="([^"]+)"', page.read_text())
    for relative in images:
        assert (run / relative).read_bytes()[:8] == PNG, relative
        assert (run / relative).stat().st_size > 5_000
    assert not list(run.rglob("*.tmp"))
    return sorted(images)


def _section(text: str, heading: str) -> str:
    return text.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def test_a_tagging_run_has_every_section_in_order_and_its_images(tmp_path):
    run = tmp_path / "conll"
    _run(run)
    page = write_report(run)
    assert _headings(page) == [
        "Training",
        "Model vs baseline",
        "Per entity type",
        "Entity-type confusion",
        "Example sentences",
        "Settings",
    ]
    assert _images(run, page) == [
        "plots/entity_confusion.png",
        "plots/entity_f1_by_type.png",
        "plots/loss.png",
    ]
    text = page.read_text()
    assert "<title>Tagging run: conll</title>" in text
    assert "3453 sentences (46435 tokens) of the test data &lt;eng.testb&gt;" in text
    head = _section(text, "Model vs baseline")
    assert head.index("<th>gru</th>") < head.index("<th>most_frequent_tag</th>")
    assert "token accuracy" in head and "<th>F1</th>" in head and "850" in head
    assert "The GRU beats most_frequent_tag on entity F1 (0.850 vs 0.600)." in head
    per_type = _section(text, "Per entity type")
    assert "F1 of most_frequent_tag" in per_type and "support" in per_type
    assert re.findall(r"<th>(\w+)</th>", per_type)[-4:] == TYPES  # the rows, in order


def test_example_sentences_are_escaped_and_their_spans_highlighted(tmp_path):
    _run(tmp_path, metrics=False)
    text = write_report(tmp_path).read_text()
    examples = _section(text, "Example sentences")
    assert "<b>" not in text and "&lt;b&gt; <mark" in examples and "</mark> &amp; " in examples
    assert examples.count("<mark") == GOLD_SPANS + PREDICTED_SPANS
    assert examples.count('class="entity wrong"') == WRONG_SPANS
    assert examples.count("gold:</span>") == examples.count("predicted:</span>") == 3
    marked = re.findall(r'<mark[^>]*title="([^"]*)">(.*?) <small', examples)
    assert ("PER", "John Smith") in marked and ("LOC", "New York") in marked
    assert ("MISC", "German") in marked  # a lenient start: I-MISC after O
    # the types' colours come from the examples alone when there is no metrics file
    colors = type_colors(["LOC", "MISC", "ORG", "PER"])
    assert f"background: {colors['ORG']}" in examples and "predicted, not a gold entity" in text


def test_the_sentence_says_when_the_gru_does_not_beat_the_baseline(tmp_path):
    _run(tmp_path, gru_f1=0.5, baseline_f1=0.6, examples=False)
    text = write_report(tmp_path).read_text()
    assert "The GRU does not beat most_frequent_tag on entity F1 (0.500 vs 0.600)." in text
    assert "Example sentences" not in _headings(tmp_path / "report.html")


def test_without_a_baseline_the_tables_hold_the_gru_alone(tmp_path):
    _run(tmp_path, baseline_f1=None, examples=False)
    text = write_report(tmp_path).read_text()
    assert "There are no baselines in the metrics file to compare the GRU with." in text
    assert "most_frequent_tag" not in text
    assert (tmp_path / "plots" / "entity_f1_by_type.png").read_bytes()[:8] == PNG


def test_missing_files_leave_their_sections_out(tmp_path):
    _run(tmp_path, metrics=False, examples=False)
    assert _headings(write_report(tmp_path)) == ["Training", "Settings"]
    (tmp_path / "history.json").unlink()
    assert _headings(write_report(tmp_path)) == ["Settings"]
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["loss.png"]


def test_the_confusion_heat_map_handles_a_type_with_no_entities(tmp_path):
    matrix = [
        [40, 0, 1, 0, 3],
        [0, 0, 0, 0, 0],
        [2, 0, 30, 1, 4],
        [0, 0, 0, 50, 1],
        [3, 0, 2, 1, 0],
    ]  # fmt: skip  (MISC: neither gold nor predicted)
    _run(tmp_path, matrix=matrix, examples=False)
    page = write_report(tmp_path)
    assert "plots/entity_confusion.png" in _images(tmp_path, page)
    assert NONE_LABEL == "none (missed/spurious)"
    with pytest.raises(ValueError, match="`matrix` must be 5 x 5"):
        plot_entity_confusion([[1, 2], [3, 4]], [*TYPES, "O"], tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_the_f1_chart_needs_a_model_and_draws_a_missing_type_as_no_bar(tmp_path):
    with pytest.raises(ValueError, match="`per_type` must hold at least one model, got none"):
        plot_entity_f1({}, tmp_path / "f1.png")
    per_type = {"gru": {"LOC": {"f1": 0.9, "support": 10}}, "most_frequent_tag": {}}
    path = plot_entity_f1(per_type, tmp_path / "f1.png", types=["LOC", "PER"])
    assert path.read_bytes()[:8] == PNG


def test_a_predicted_span_is_wrong_unless_it_is_exactly_a_gold_one():
    colors = type_colors(["PER", "LOC"])
    tokens = ["a", "b", "c", "d", "e"]
    gold = ["B-PER", "I-PER", "O", "B-LOC", "O"]
    predicted = ["B-PER", "I-PER", "O", "B-PER", "B-LOC"]  # type wrong, then a spurious span
    piece = tagged_sentence_html(tokens, predicted, colors=colors, gold=gold, title="predicted")
    assert piece.count("<mark") == 3 and piece.count('class="entity wrong"') == 2
    assert piece.startswith('<p class="tagged"><span class="note">predicted:</span> ')
    lenient = tagged_sentence_html(tokens, ["I-PER", "I-PER", "O", "I-LOC", "B-LOC"],
                                   colors=colors)  # fmt: skip
    assert lenient.count("<mark") == 3 and "wrong" not in lenient
    unknown = tagged_sentence_html(["x"], ["B-DATE"], colors=colors)
    assert "background: #e0e0e0" in unknown and ">DATE</small>" in unknown
    with pytest.raises(ValueError, match=r"`labels` must have one label per token \(5\), got 1"):
        tagged_sentence_html(tokens, ["O"], colors=colors)
    with pytest.raises(ValueError, match=r"`gold` must have one label per token \(5\), got 2"):
        tagged_sentence_html(tokens, predicted, colors=colors, gold=["O", "O"])


def test_the_legend_names_every_type_without_marks():
    legend = entity_legend_html({"LOC": "#aec7e8", "A<B": "#ffbb78"})
    assert "<mark" not in legend and "A&lt;B" in legend and "background: #aec7e8" in legend


@given(iob2_tag_sequences())
def test_every_entity_of_a_valid_sequence_is_one_mark_and_the_tokens_stay_in_order(labels):
    tokens = [f"w{i}<" for i in range(len(labels))]
    piece = tagged_sentence_html(tokens, labels, colors=type_colors(["PER", "LOC"]), gold=labels)
    assert piece.count("<mark") == sum(label.startswith("B-") for label in labels)
    assert "wrong" not in piece
    text = re.sub(r"<small[^>]*>.*?</small>|<[^>]+>", "", piece)
    assert text.split() == [t.replace("<", "&lt;") for t in tokens]
