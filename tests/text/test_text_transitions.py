"""grukit.text.allowed_transitions: each scheme's rules, and agreement with conll's strict check."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings

from grukit.data import GrukitDataError
from grukit.text import SCHEMES, allowed_transitions, convert_tags
from strategies import choices, iob2_tag_sequences, label_sequences

TYPES = ("PER", "LOC", "ORG", "MISC")


def labels_of(scheme: str, types=TYPES) -> list[str]:
    prefixes = "BIES" if scheme == "BIOES" else "BI"
    return ["O"] + [f"{prefix}-{kind}" for kind in types for prefix in prefixes]


def allows(sequence, labels, matrices) -> bool:
    start, allowed, end = matrices
    index = [labels.index(label) for label in sequence]
    moves = all(allowed[a, b] for a, b in itertools.pairwise(index))
    return bool(start[index[0]] and end[index[-1]] and moves)


def table(labels, scheme):
    """``{(previous, next): allowed}`` for readable assertions."""
    _, allowed, _ = allowed_transitions(labels, scheme)
    return {
        (a, b): bool(allowed[i, j])
        for (i, a), (j, b) in itertools.product(enumerate(labels), repeat=2)
    }


SMALL = {
    "IOB2": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "IOB1": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "BIOES": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"],
}


def test_iob2_rules():
    labels = SMALL["IOB2"]
    start, _, end = allowed_transitions(labels, "IOB2")
    assert start.tolist() == [True, True, False, True, False]
    assert end.tolist() == [True] * 5
    moves = table(labels, "IOB2")
    assert [b for b in labels if not moves["O", b]] == ["I-PER", "I-LOC"]
    assert [a for a in labels if moves[a, "I-PER"]] == ["B-PER", "I-PER"]
    assert [a for a in labels if moves[a, "I-LOC"]] == ["B-LOC", "I-LOC"]
    assert sum(not value for value in moves.values()) == 6  # only I-X after a non-X label
    assert all(moves[a, b] for a in labels for b in ("O", "B-PER", "B-LOC"))


def test_iob1_rules():
    labels = SMALL["IOB1"]
    start, _, end = allowed_transitions(labels, "IOB1")
    assert start.tolist() == [True, False, True, False, True]
    assert end.tolist() == [True] * 5
    moves = table(labels, "IOB1")
    assert all(moves[a, b] for a in labels for b in ("O", "I-PER", "I-LOC"))
    assert [a for a in labels if moves[a, "B-PER"]] == ["B-PER", "I-PER"]
    assert [a for a in labels if moves[a, "B-LOC"]] == ["B-LOC", "I-LOC"]


def test_bioes_rules():
    labels = SMALL["BIOES"]
    start, _, end = allowed_transitions(labels, "BIOES")
    firsts = [label for label, ok in zip(labels, start, strict=True) if ok]
    lasts = [label for label, ok in zip(labels, end, strict=True) if ok]
    assert firsts == ["O", "B-PER", "S-PER", "B-LOC", "S-LOC"]
    assert lasts == ["O", "E-PER", "S-PER", "E-LOC", "S-LOC"]
    moves = table(labels, "BIOES")
    for inside in ("B-PER", "I-PER"):
        assert [b for b in labels if moves[inside, b]] == ["I-PER", "E-PER"]
    for outside in ("O", "E-PER", "S-PER", "E-LOC", "S-LOC"):
        assert [b for b in labels if moves[outside, b]] == firsts


def test_the_order_of_labels_is_kept():
    labels = ["I-PER", "O", "B-PER"]
    start, allowed, end = allowed_transitions(labels, "IOB2")
    assert start.tolist() == [False, True, True]
    assert allowed.tolist() == [[True, True, True], [False, True, True], [True, True, True]]
    assert start.dtype == allowed.dtype == end.dtype == np.bool_


@settings(max_examples=60)
@given(labels=iob2_tag_sequences(), scheme=choices(SCHEMES))
def test_every_converted_sequence_is_allowed(labels, scheme):
    converted = convert_tags(labels, "IOB2", scheme)
    names = labels_of(scheme)
    assert allows(converted, names, allowed_transitions(names, scheme))


@settings(max_examples=150)
@given(scheme=choices(SCHEMES), data=label_sequences(labels_of("BIOES", ("PER", "LOC"))))
def test_allowed_is_exactly_what_the_strict_check_accepts(scheme, data):
    names = labels_of(scheme, ("PER", "LOC"))
    sequence = [label if label in names else "O" for label in data]  # E-, S- only in BIOES
    try:
        convert_tags(sequence, scheme, scheme)
        valid = True
    except GrukitDataError:
        valid = False
    assert allows(sequence, names, allowed_transitions(names, scheme)) == valid


@pytest.mark.parametrize(
    ("scheme", "sequence"),
    [
        ("IOB2", ["I-PER"]),
        ("IOB2", ["O", "I-PER"]),
        ("IOB2", ["B-LOC", "I-PER"]),
        ("IOB1", ["B-PER"]),
        ("IOB1", ["O", "B-PER"]),
        ("IOB1", ["I-LOC", "B-PER"]),
        ("BIOES", ["I-PER", "E-PER"]),
        ("BIOES", ["B-PER"]),
        ("BIOES", ["B-PER", "O"]),
        ("BIOES", ["B-PER", "E-LOC"]),
        ("BIOES", ["E-PER", "I-PER", "E-PER"]),
        ("BIOES", ["S-PER", "E-PER"]),
    ],
)
def test_invalid_sequences_are_refused(scheme, sequence):
    names = labels_of(scheme)
    assert not allows(sequence, names, allowed_transitions(names, scheme))
    with pytest.raises(GrukitDataError):
        convert_tags(sequence, scheme, scheme)


@pytest.mark.parametrize(
    ("labels", "scheme", "message"),
    [
        (["O"], "BIO", "`scheme` must be one of 'IOB1', 'IOB2', 'BIOES', got 'BIO'"),
        ([], "IOB2", "`labels` must hold at least one label, got none"),
        ("O", "IOB2", "`labels` must be a sequence of labels, got the string 'O'"),
        (["O", "B-PER", "O"], "IOB2", "`labels` must name each label once, got 'O' again at"),
        (["O", 3], "IOB2", "`labels` must hold strings, got 3 at position 1"),
        (["O", "S-PER"], "IOB2", r"label 'S-PER' at position 1 of `labels` is not a label of IOB2"),
        (["PER"], "BIOES", r"label 'PER' at position 0 of `labels` is not a label of BIOES"),
    ],
)
def test_bad_labels_are_refused(labels, scheme, message):
    with pytest.raises(GrukitDataError, match=message):
        allowed_transitions(labels, scheme)
