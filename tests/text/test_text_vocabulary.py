"""Vocabulary: counts, ties, specials, unknown tokens, JSON and file round trips."""

import json

import pytest
from hypothesis import given, settings

from grukit.data import GrukitDataError
from grukit.io import CorruptFileError
from grukit.text import BOS, EOS, PAD, UNK, Vocabulary
from strategies import vocabulary_cases

ROWS = [["b", "a", "c", "a"], ["d", "b", "a"], ["c", "e"]]  # a:3, b:2, c:2, d:1, e:1


def test_pad_is_zero_unk_is_one_then_specials_then_by_count_then_token():
    vocab = Vocabulary.build(ROWS, specials=[BOS, EOS])
    assert vocab.tokens == [PAD, UNK, BOS, EOS, "a", "b", "c", "d", "e"]
    assert (vocab.pad_index, vocab.unk_index) == (0, 1)
    assert vocab.index(PAD) == 0 and vocab.index(UNK) == 1 and len(vocab) == 9


def test_min_count_and_max_size():
    assert Vocabulary.build(ROWS, min_count=2).tokens == [PAD, UNK, "a", "b", "c"]
    assert Vocabulary.build(ROWS, max_size=4).tokens == [PAD, UNK, "a", "b"]
    assert Vocabulary.build(ROWS, max_size=2).tokens == [PAD, UNK]
    assert len(Vocabulary.build(ROWS, max_size=100)) == 7
    with pytest.raises(GrukitDataError, match=r"`max_size` must be an integer >= 3, got 2"):
        Vocabulary.build(ROWS, max_size=2, specials=[EOS])
    with pytest.raises(GrukitDataError, match=r"`min_count` must be a positive integer, got 0"):
        Vocabulary.build(ROWS, min_count=0)


def test_ties_do_not_depend_on_the_order_of_the_streams():
    forward = Vocabulary.build(ROWS)
    backward = Vocabulary.build([list(reversed(row)) for row in reversed(ROWS)])
    assert forward == backward
    assert Vocabulary.build(iter(ROWS)) == forward  # a generator is read once


def test_specials_in_the_streams_are_not_counted_twice():
    vocab = Vocabulary.build([[EOS, "x", EOS, PAD, UNK]], specials=[EOS])
    assert vocab.tokens == [PAD, UNK, EOS, "x"]


def test_unknown_tokens_encode_to_one_and_decode_checks_ids():
    vocab = Vocabulary.build(ROWS)
    assert vocab.encode(["a", "never", "e"]) == [2, 1, 6]
    assert "a" in vocab and "never" not in vocab
    assert vocab.decode([0, 2, 1, 0]) == [PAD, "a", UNK, PAD]
    assert vocab.decode([2, 0, 0], skip_pad=True) == ["a"]
    with pytest.raises(GrukitDataError, match=r"`ids\[1\]` must be an integer in \[0, 7\), got 7"):
        vocab.decode([2, 7])
    with pytest.raises(GrukitDataError, match=r"got True"):
        vocab.decode([True])
    with pytest.raises(GrukitDataError, match="tokenise the text first"):
        vocab.encode("abc")


def test_bad_streams_and_duplicates_are_named():
    with pytest.raises(GrukitDataError, match=r"`token_lists\[1\]` must be a list of str"):
        Vocabulary.build([["a"], "bc"])
    with pytest.raises(GrukitDataError, match=r"`token_lists\[0\]\[1\]` must be a str token"):
        Vocabulary.build([["a", 3]])
    with pytest.raises(GrukitDataError, match="token 'a' appears twice"):
        Vocabulary(["a", "b", "a"])
    with pytest.raises(GrukitDataError, match="special token '<pad>' appears twice"):
        Vocabulary(specials=[PAD])


def test_dict_json_and_file_round_trips(tmp_path):
    vocab = Vocabulary.build(ROWS, specials=[BOS])
    assert Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict()))) == vocab
    path = vocab.save(tmp_path / "vocab.json")
    assert Vocabulary.load(path) == vocab
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temporary file


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b'{"format": "grukit.text.Vocabulary", "vers', "invalid JSON"),
        (b"[1, 2]", "`config` must be a mapping"),
        (b'{"format": "other", "version": 1, "specials": [], "tokens": []}', "not a vocabulary"),
        (
            b'{"format": "grukit.text.Vocabulary", "version": 1, "specials": [], '
            b'"tokens": ["<unk>", "<pad>", "a"]}',
            "must start with",
        ),
        (
            b'{"format": "grukit.text.Vocabulary", "version": 1, "specials": [], '
            b'"tokens": ["<pad>", "<unk>", "a", "a"]}',
            "appears twice",
        ),
        (
            b'{"format": "grukit.text.Vocabulary", "version": 1, "specials": [], '
            b'"tokens": ["<pad>", "<unk>", 5]}',
            "must be a str token",
        ),
    ],
)
def test_a_damaged_file_is_one_corrupt_file_error_naming_it(tmp_path, content, message):
    path = tmp_path / "vocab.json"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError, match=message) as caught:
        Vocabulary.load(path)
    assert "vocab.json" in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="vocabulary file .* does not exist"):
        Vocabulary.load(tmp_path / "absent.json")


@settings(max_examples=60)
@given(vocabulary_cases())
def test_encode_then_decode_of_vocabulary_tokens_is_the_identity(case):
    rows, specials = case
    vocab = Vocabulary.build(rows, specials=specials)
    for row in rows:
        assert vocab.decode(vocab.encode(row)) == row
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab
    assert vocab.decode(range(len(vocab))) == vocab.tokens
