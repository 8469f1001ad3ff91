"""Padded id batches: truncation on either side, true lengths, padding never counted."""

import numpy as np
import pytest

from grukit.data import GrukitDataError
from grukit.text import Vocabulary, encode_batch

VOCAB = Vocabulary(["a", "b", "c", "d"])  # a=2, b=3, c=4, d=5


def test_rows_are_padded_with_zero_at_the_end_and_lengths_are_true():
    ids, lengths = encode_batch([["a", "b", "c"], ["d"], ["x", "a"]], VOCAB)
    assert ids.dtype == np.int64 and lengths.dtype == np.int64
    assert ids.tolist() == [[2, 3, 4], [5, 0, 0], [1, 2, 0]]
    assert lengths.tolist() == [3, 1, 2]


@pytest.mark.parametrize(("truncate", "expected"), [("pre", [4, 5]), ("post", [2, 3])])
def test_truncation_on_either_side(truncate, expected):
    ids, lengths = encode_batch([["a", "b", "c", "d"], ["a"]], VOCAB, max_length=2,
                                truncate=truncate)  # fmt: skip
    assert ids.tolist() == [expected, [2, 0]]
    assert lengths.tolist() == [2, 1]


def test_the_default_truncation_keeps_the_end():
    ids, _ = encode_batch([["a", "b", "c"]], VOCAB, max_length=1)
    assert ids.tolist() == [[4]]


def test_padding_is_never_counted_even_when_a_row_holds_the_pad_token():
    ids, lengths = encode_batch([["<pad>", "a"], ["b"]], VOCAB)
    assert lengths.tolist() == [2, 1]  # an explicit <pad> token is a token, not padding
    assert (ids[np.arange(ids.shape[1]) >= lengths[:, None]] == 0).all()


def test_empty_rows_have_length_zero_or_are_refused_by_row():
    ids, lengths = encode_batch([[], ["a"], []], VOCAB)
    assert ids.tolist() == [[0], [2], [0]] and lengths.tolist() == [0, 1, 0]
    ids, lengths = encode_batch([[], []], VOCAB)
    assert ids.shape == (2, 0) and lengths.tolist() == [0, 0]
    ids, lengths = encode_batch([], VOCAB)
    assert ids.shape == (0, 0) and lengths.shape == (0,)
    with pytest.raises(GrukitDataError, match=r"`token_lists\[2\]` has no tokens"):
        encode_batch([["a"], ["b"], []], VOCAB, allow_empty=False)


def test_bad_arguments_are_one_line_errors():
    with pytest.raises(GrukitDataError, match=r"`truncate` must be one of 'pre', 'post'"):
        encode_batch([["a"]], VOCAB, truncate="left")
    with pytest.raises(GrukitDataError, match=r"`max_length` must be a positive integer, got 0"):
        encode_batch([["a"]], VOCAB, max_length=0)
    with pytest.raises(GrukitDataError, match="`vocab` must be a Vocabulary, got dict"):
        encode_batch([["a"]], {"a": 2})
    with pytest.raises(GrukitDataError, match=r"`token_lists\[0\]` must be a list of str"):
        encode_batch(["ab"], VOCAB)
    with pytest.raises(GrukitDataError, match="got a str"):
        encode_batch("ab", VOCAB)
