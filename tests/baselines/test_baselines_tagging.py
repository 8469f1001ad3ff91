"""The most-frequent-tag baseline: what it learns (ties and unseen tokens by the documented
rules), a JSON round trip, one-line errors, and the SOURCE.md numbers of CoNLL-2003 and WNUT
2017 reproduced when the shared data folder has them."""

from __future__ import annotations

import json

import pytest

from grukit.baselines import MostFrequentTag
from grukit.metrics import entity_scores
from grukit.text import convert_tags, read_conll
from support.datasets import CONLL2003, WNUT17

TOKENS = [["Paris", "is", "in", "France"], ["Paris", "Hilton", "is", "here"], ["Paris"]]
LABELS = [["B-LOC", "O", "O", "B-LOC"], ["B-PER", "I-PER", "O", "O"], ["B-PER"]]


def test_learns_each_tokens_most_frequent_label():
    baseline = MostFrequentTag().fit(TOKENS, LABELS)
    assert baseline.tags_ == {
        "Paris": "B-PER",  # B-PER twice, B-LOC once
        "is": "O",
        "in": "O",
        "France": "B-LOC",
        "Hilton": "I-PER",
        "here": "O",
    }
    assert baseline.default_ == "O"
    assert baseline.predict([["Paris", "Hilton", "left", "france"]]) == [
        ["B-PER", "I-PER", "O", "O"]  # unseen tokens (exact match: "france") get "O"
    ]
    assert baseline.predict([[]]) == [[]]


def test_ties_go_to_the_label_seen_first():
    tokens = [["Jordan", "won"], ["Jordan", "lost"]]
    baseline = MostFrequentTag().fit(tokens, [["B-LOC", "O"], ["B-PER", "O"]])
    assert baseline.tags_["Jordan"] == "B-LOC"  # once each: B-LOC came first
    flipped = MostFrequentTag().fit(tokens, [["B-PER", "O"], ["B-LOC", "O"]])
    assert flipped.tags_["Jordan"] == "B-PER"
    # the default too: B-X and O once each, B-X first
    assert MostFrequentTag().fit([["a", "b"]], [["B-X", "O"]]).default_ == "B-X"
    assert MostFrequentTag().fit([["a", "b"]], [["O", "B-X"]]).default_ == "O"


def test_the_default_is_the_most_frequent_label_overall():
    baseline = MostFrequentTag().fit([["a", "b", "c"]], [["B-X", "I-X", "I-X"]])
    assert baseline.default_ == "I-X"
    assert baseline.predict([["d"]]) == [["I-X"]]


def test_json_round_trip():
    baseline = MostFrequentTag().fit(TOKENS, LABELS)
    state = json.loads(json.dumps(baseline.to_dict()))
    assert state["kind"] == "MostFrequentTag"
    again = MostFrequentTag.from_dict(state)
    assert again.tags_ == baseline.tags_ and again.default_ == baseline.default_
    sentences = [["Paris", "France", "unseen"], ["here"]]
    assert again.predict(sentences) == baseline.predict(sentences)
    assert again.fitted and not MostFrequentTag().fitted


@pytest.mark.parametrize(
    ("tokens", "labels", "message"),
    [
        ([["a", "b"]], [["O"]], "sentence 0 has 2 tokens but 1 labels"),
        ([["a"], ["b"]], [["O"]], "the same number of sentences, got 2 and 1"),
        ([[], []], [[], []], "at least one token, got none"),
        ("a b", [["O"]], "`tokens` must be a sequence of sentences .*, got str"),
        ([["a"]], ["O"], "`labels` sentence 0 must be a sequence of str, got str"),
        ([["a", 1]], [["O", "O"]], "`tokens` sentence 0 holds int 1 at position 1"),
    ],
)
def test_fit_errors(tokens, labels, message):
    with pytest.raises(ValueError, match=message):
        MostFrequentTag().fit(tokens, labels)


def test_predict_before_fit_and_state_errors():
    with pytest.raises(ValueError, match="this MostFrequentTag is not fitted: call fit first"):
        MostFrequentTag().predict([["a"]])
    with pytest.raises(ValueError, match="not fitted"):
        MostFrequentTag().to_dict()
    baseline = MostFrequentTag().fit([["a"]], [["O"]])
    with pytest.raises(ValueError, match="`tokens` sentence 0 must be a sequence of str"):
        baseline.predict(["a b"])
    good = baseline.to_dict()
    with pytest.raises(ValueError, match="`state` must be a mapping, got list"):
        MostFrequentTag.from_dict([])
    with pytest.raises(ValueError, match="got kind 'Majority' and keys"):
        MostFrequentTag.from_dict(good | {"kind": "Majority"})
    with pytest.raises(ValueError, match=r"keys \['default', 'kind', 'tags'\].*'extra'"):
        MostFrequentTag.from_dict(good | {"extra": 1})
    with pytest.raises(ValueError, match=r"`state\['default'\]` must be a label \(str\), got 3"):
        MostFrequentTag.from_dict(good | {"default": 3})
    with pytest.raises(ValueError, match=r"`state\['tags'\]` must map tokens"):
        MostFrequentTag.from_dict(good | {"tags": {"a": 1}})


def test_conll2003_numbers_of_source_md():
    """SOURCE.md: dev 0.687, test 0.572 (learn IOB1 as written, predictions to IOB2 leniently)."""
    if not (CONLL2003 / "eng.testb").exists():
        pytest.skip(f"CoNLL-2003 is not in the shared data folder ({CONLL2003} lacks eng.testb)")
    train = read_conll(CONLL2003 / "eng.train")
    assert train.scheme == "IOB1"
    baseline = MostFrequentTag().fit(train.tokens, train.labels)
    assert baseline.default_ == "O"
    for name, expected in (("eng.testa", 0.687), ("eng.testb", 0.572)):
        test = read_conll(CONLL2003 / name)
        predicted = [
            convert_tags(labels, "IOB1", "IOB2", strict=False)
            for labels in baseline.predict(test.tokens)
        ]
        scores = entity_scores(test.to_scheme("IOB2").labels, predicted)
        assert round(scores["f1"], 3) == expected, name


def test_wnut17_numbers_of_source_md():
    """SOURCE.md: dev 0.096, test 0.060 (IOB2 learnt and predicted as written)."""
    if not (WNUT17 / "emerging.test.annotated").exists():
        pytest.skip(f"WNUT 2017 is not in the shared data folder ({WNUT17} lacks its test file)")
    train = read_conll(WNUT17 / "wnut17train.conll")
    baseline = MostFrequentTag().fit(train.tokens, train.labels)
    for name, expected in (("emerging.dev.conll", 0.096), ("emerging.test.annotated", 0.060)):
        test = read_conll(WNUT17 / name)
        scores = entity_scores(test.labels, baseline.predict(test.tokens))
        assert round(scores["f1"], 3) == expected, name
