"""Entity-level tagging scores: agreement with spans counted by hand (grukit.text.entities) and
with seqeval on random IOB2-like predictions, invalid sequences included; a worked example of
the scores, the per-type numbers and the confusion counts; JSON-safe results; one-line errors."""

from __future__ import annotations

import json
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from seqeval import metrics as seqeval_metrics

from grukit.metrics import entity_confusion, entity_scores
from grukit.text import entities
from strategies import iob2_like_pairs

GOLD = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "B-ORG"], ["B-MISC", "O"]]
PREDICTED = [["B-PER", "I-PER", "O", "B-LOC", "O", "O", "B-PER"], ["B-MISC", "B-LOC"]]


def counted(gold, predicted):
    """Gold, predicted and correct spans per type, counted from grukit.text.entities."""
    tally = {"gold": Counter(), "predicted": Counter(), "correct": Counter()}
    for truth, guess in zip(gold, predicted, strict=True):
        true_spans, guessed_spans = set(entities(truth, "IOB2")), set(entities(guess, "IOB2"))
        tally["gold"].update(kind for kind, _, _ in true_spans)
        tally["predicted"].update(kind for kind, _, _ in guessed_spans)
        tally["correct"].update(kind for kind, _, _ in true_spans & guessed_spans)
    return tally


def ratios(correct, predicted, gold):
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if correct else 0.0)


@settings(max_examples=300)
@given(iob2_like_pairs())
def test_scores_agree_with_counted_spans_and_with_seqeval(pair):
    gold, predicted = pair
    scores = entity_scores(gold, predicted)
    tally = counted(gold, predicted)
    totals = {name: sum(counts.values()) for name, counts in tally.items()}
    assert scores["counts"] == totals
    expected = ratios(totals["correct"], totals["predicted"], totals["gold"])
    assert (scores["precision"], scores["recall"], scores["f1"]) == pytest.approx(expected, 1e-12)
    # seqeval's own micro scores, to the bit
    assert scores["precision"] == seqeval_metrics.precision_score(gold, predicted, zero_division=0)
    assert scores["recall"] == seqeval_metrics.recall_score(gold, predicted, zero_division=0)
    assert scores["f1"] == seqeval_metrics.f1_score(gold, predicted, zero_division=0)
    assert scores["accuracy"] == seqeval_metrics.accuracy_score(gold, predicted)
    kinds = sorted(set(tally["gold"]) | set(tally["predicted"]))
    assert list(scores["per_type"]) == kinds
    for kind in kinds:
        row = scores["per_type"][kind]
        counts = [tally[name][kind] for name in ("correct", "predicted", "gold")]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx(ratios(*counts))
        assert row["support"] == tally["gold"][kind]
    if kinds:  # seqeval's report needs one entity at least (it averages over the types)
        report = seqeval_metrics.classification_report(
            gold, predicted, output_dict=True, zero_division=0
        )
        for kind in kinds:
            theirs = report[kind]
            assert scores["per_type"][kind] == pytest.approx(
                {name: theirs[name] for name in ("precision", "recall", "support")}
                | {"f1": theirs["f1-score"]}
            )


@settings(max_examples=200)
@given(iob2_like_pairs())
def test_the_confusion_matrix_counts_every_entity_once(pair):
    gold, predicted = pair
    confusion = entity_confusion(gold, predicted)
    types, matrix = confusion["types"], confusion["matrix"]
    tally = counted(gold, predicted)
    assert types == sorted(set(tally["gold"]) | set(tally["predicted"])) + ["O"]
    assert len(matrix) == len(types) and all(len(row) == len(types) for row in matrix)
    for i, kind in enumerate(types[:-1]):
        assert sum(matrix[i]) == tally["gold"][kind]  # each gold entity in its row once
        assert sum(row[i] for row in matrix) == tally["predicted"][kind]
        assert matrix[i][i] == tally["correct"][kind]
    assert matrix[-1][-1] == 0


def test_scores_by_hand():
    scores = entity_scores(GOLD, PREDICTED)
    # gold PER(0-1) LOC(3-4) ORG(6) MISC(0); predicted PER(0-1) LOC(3) PER(6) MISC(0) LOC(1)
    assert scores["counts"] == {"gold": 4, "predicted": 5, "correct": 2}
    assert scores["precision"] == 0.4
    assert scores["recall"] == 0.5
    assert scores["f1"] == pytest.approx(4 / 9)
    assert scores["accuracy"] == pytest.approx(6 / 9)
    assert scores["per_type"] == {
        "LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "MISC": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
        "ORG": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "PER": {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1},
    }
    assert json.loads(json.dumps(scores)) == scores
    assert all(type(scores[name]) is float for name in ("precision", "recall", "f1", "accuracy"))
    assert all(type(value) is int for value in scores["counts"].values())


def test_confusion_by_hand():
    confusion = entity_confusion(GOLD, PREDICTED)
    assert confusion["types"] == ["LOC", "MISC", "ORG", "PER", "O"]
    assert confusion["matrix"] == [
        [0, 0, 0, 0, 1],  # LOC(3-4) missed: the prediction LOC(3) has other bounds
        [0, 1, 0, 0, 0],
        [0, 0, 0, 1, 0],  # ORG(6) predicted as PER
        [0, 0, 0, 1, 0],
        [2, 0, 0, 0, 0],  # spurious: LOC(3) and LOC(1) of the second sentence
    ]
    assert json.loads(json.dumps(confusion)) == confusion


def test_lenient_reading_of_invalid_predictions():
    # an I- after O starts an entity, as conlleval reads it: I-PER I-PER is PER(0-1)
    scores = entity_scores([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]])
    assert scores["f1"] == 1.0
    assert scores["accuracy"] == pytest.approx(2 / 3)
    # a change of type ends an entity: B-PER I-LOC is PER(0) and LOC(1)
    confusion = entity_confusion([["B-PER", "I-PER"]], [["B-PER", "I-LOC"]])
    assert confusion["types"] == ["LOC", "PER", "O"]
    assert confusion["matrix"] == [[0, 0, 0], [0, 0, 1], [1, 1, 0]]


def test_no_entities_scores_zero_without_warnings():
    scores = entity_scores([["O", "O"], []], [["O", "O"], []])
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.0, 0.0, 0.0)
    assert scores["accuracy"] == 1.0
    assert scores["per_type"] == {}
    assert entity_confusion([["O"]], [["O"]]) == {"types": ["O"], "matrix": [[0]]}
    missed = entity_scores([["B-PER"]], [["O"]])
    assert (missed["precision"], missed["recall"], missed["f1"]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("gold", "predicted", "message"),
    [
        ([["O", "O"], ["B-PER"]], [["O", "O"], ["O", "O"]], "sentence 1 has 1 gold labels but 2"),
        ([["O"]], [["O"], ["O"]], "the same number of sentences, got 1 and 2"),
        ([], [], "`gold` must hold at least one sentence"),
        ([[], []], [[], []], "at least one token, got only empty sentences"),
        ([["S-PER"]], [["O"]], r"`gold` sentence 0 holds 'S-PER' at position 0, not an IOB2"),
        ([["O"]], [["PER"]], r"`predicted` sentence 0 holds 'PER' at position 0"),
        ([["O", "B-"]], [["O", "O"]], r"holds 'B-' at position 1"),
        ([["B-O"]], [["O"]], r"holds 'B-O' at position 0"),
        ([["O", 3]], [["O", "O"]], r"holds 3 at position 1"),
        ("O O", [["O"]], "`gold` must be a sequence of label sequences, got str"),
        ([["O"]], ["O"], "`predicted` sentence 0 must be a sequence of labels, got str"),
    ],
)
def test_errors(gold, predicted, message):
    with pytest.raises(ValueError, match=message):
        entity_scores(gold, predicted)
    with pytest.raises(ValueError, match=message):
        entity_confusion(gold, predicted)


def test_missing_seqeval_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "seqeval.metrics.sequence_labeling", None)
    with pytest.raises(ImportError, match="needs seqeval .*pip install seqeval"):
        entity_scores([["O"]], [["O"]])
