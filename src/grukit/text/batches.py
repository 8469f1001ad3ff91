"""Token lists to one padded id array and the true lengths (the ``lengths`` of ``grukit.GRU``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.text.vocabulary import Vocabulary, _tokens_of

__all__ = ["TRUNCATE", "encode_batch"]

#: ``"pre"`` drops tokens at the start (keeps the last ``max_length``), ``"post"`` at the end
TRUNCATE = ("pre", "post")


def encode_batch(
    token_lists: Iterable[Iterable[str]],
    vocab: Vocabulary,
    *,
    max_length: int | None = None,
    truncate: str = "pre",
    allow_empty: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Encode each token list with ``vocab`` into one array padded with ``0`` (``<pad>``).

    Parameters
    ----------
    token_lists : iterable of lists of str
        One list of tokens per text (rows).
    vocab : Vocabulary
        Unknown tokens become ``1`` (``<unk>``).
    max_length : int, optional
        Cut longer rows to this many tokens.
    truncate : {"pre", "post"}, default "pre"
        Where a long row is cut: ``"pre"`` drops its first tokens (keeps the end, as Keras'
        ``pad_sequences``), ``"post"`` its last ones.
    allow_empty : bool, default True
        With False, a row with no tokens raises :class:`~grukit.data.GrukitDataError` naming
        the row.

    Returns
    -------
    ids : numpy.ndarray of int64, shape (N, L)
        Row ``i`` holds its ids in ``ids[i, :lengths[i]]`` and ``0`` after them (padding always
        at the end). ``L`` is the longest row after truncation (0 when every row is empty).
    lengths : numpy.ndarray of int64, shape (N,)
        The number of real tokens of each row after truncation; padding is never counted, an
        empty row has length 0.

    Examples
    --------
    >>> vocab = Vocabulary(["a", "b", "c"])
    >>> ids, lengths = encode_batch([["a", "b", "c"], ["c"], []], vocab, max_length=2)
    >>> ids.tolist(), lengths.tolist()
    ([[3, 4], [4, 0], [0, 0]], [2, 1, 0])
    >>> encode_batch([["a", "b", "c"]], vocab, max_length=2, truncate="post")[0].tolist()
    [[2, 3]]
    """
    if not isinstance(vocab, Vocabulary):
        raise GrukitDataError(f"`vocab` must be a Vocabulary, got {type(vocab).__name__}")
    if max_length is not None:
        max_length = checks.positive_int("max_length", max_length, error=GrukitDataError)
    checks.choice("truncate", truncate, TRUNCATE, error=GrukitDataError)
    allow_empty = checks.flag("allow_empty", allow_empty, error=GrukitDataError)
    if isinstance(token_lists, str):
        raise GrukitDataError("`token_lists` must be an iterable of token lists, got a str")
    rows = []
    for row, tokens in enumerate(token_lists):
        ids = vocab.encode(_tokens_of(tokens, f"token_lists[{row}]"))
        if not ids and not allow_empty:
            raise GrukitDataError(
                f"`token_lists[{row}]` has no tokens (allow_empty=False); drop empty texts "
                "or pass allow_empty=True"
            )
        if max_length is not None and len(ids) > max_length:
            ids = ids[-max_length:] if truncate == "pre" else ids[:max_length]
        rows.append(ids)
    lengths = np.array([len(ids) for ids in rows], dtype=np.int64)
    width = int(lengths.max()) if len(rows) else 0
    out = np.zeros((len(rows), width), dtype=np.int64)
    for row, ids in enumerate(rows):
        out[row, : len(ids)] = ids
    return out, lengths
