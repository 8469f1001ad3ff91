"""A vocabulary: tokens <-> integer ids, built from token streams, saved as JSON.

Index 0 is always ``<pad>`` (the padding of :func:`grukit.text.encode_batch`) and index 1
``<unk>`` (every token not in the vocabulary); extra special tokens (``<bos>``, ``<eos>``, ...)
follow in the order given, then the tokens seen, most frequent first, ties broken by the token
(code-point order), so that the same streams always give the same ids.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from grukit import checks, io
from grukit.data._errors import GrukitDataError

__all__ = ["BOS", "EOS", "PAD", "UNK", "Vocabulary"]

PAD = "<pad>"
UNK = "<unk>"
BOS = "<bos>"
EOS = "<eos>"
FORMAT = "grukit.text.Vocabulary"
VERSION = 1
#: the largest vocabulary file :meth:`Vocabulary.load` reads
MAX_FILE_BYTES = 512 * 2**20


def _tokens_of(row: object, where: str) -> Sequence[str]:
    """``row`` as a sequence of str tokens, or one error naming ``where``."""
    if isinstance(row, str) or not isinstance(row, Iterable):
        raise GrukitDataError(
            f"`{where}` must be a list of str tokens, got {type(row).__name__} {row!r:.60} "
            "(tokenise the text first)"
        )
    row = row if isinstance(row, Sequence) else list(row)
    for position, token in enumerate(row):
        if not isinstance(token, str):
            raise GrukitDataError(
                f"`{where}[{position}]` must be a str token, got {type(token).__name__} "
                f"{token!r:.60}"
            )
    return row


class Vocabulary:
    """Tokens in index order: ``<pad>`` (0), ``<unk>`` (1), the extra specials, the rest.

    Build one from token streams with :meth:`build`; ``Vocabulary(tokens)`` takes the regular
    tokens already in order.

    Parameters
    ----------
    tokens : iterable of str
        The regular tokens, in index order (unique, none of them a special token).
    specials : sequence of str, default ()
        Extra special tokens after ``<pad>`` and ``<unk>``, e.g. ``("<bos>", "<eos>")``.

    Examples
    --------
    >>> vocab = Vocabulary.build([["a", "b", "a"], ["c", "b", "a"]], specials=["<eos>"])
    >>> vocab.tokens
    ['<pad>', '<unk>', '<eos>', 'a', 'b', 'c']
    >>> vocab.encode(["b", "zzz", "<eos>"])
    [4, 1, 2]
    >>> vocab.decode([3, 5])
    ['a', 'c']
    """

    pad_index = 0
    unk_index = 1

    def __init__(self, tokens: Iterable[str] = (), *, specials: Sequence[str] = ()) -> None:
        if isinstance(specials, str):
            raise GrukitDataError(f"`specials` must be a list of str, got the str {specials!r}")
        specials = list(_tokens_of(specials, "specials"))
        regular = list(_tokens_of(tokens, "tokens"))
        self._tokens = [PAD, UNK, *specials, *regular]
        self._specials = tuple(specials)
        self._index: dict[str, int] = {}
        for index, token in enumerate(self._tokens):
            if token in self._index:
                kind = "special token" if index < 2 + len(specials) else "token"
                raise GrukitDataError(
                    f"{kind} {token!r} appears twice in the vocabulary (indices "
                    f"{self._index[token]} and {index})"
                )
            self._index[token] = index

    # ------------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Iterable[str]],
        *,
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = (),
    ) -> Vocabulary:
        """The vocabulary of the tokens in ``token_lists`` (one list of tokens per text).

        Parameters
        ----------
        token_lists : iterable of lists of str
            Read once, one row at a time (a generator is fine).
        min_count : int, default 1
            Keep only tokens seen at least this often.
        max_size : int, optional
            The most entries in all, specials included: the ``max_size - 2 - len(specials)``
            most frequent tokens are kept.
        specials : sequence of str, default ()
            Extra special tokens (``<pad>`` and ``<unk>`` are always there). Special tokens
            met in the streams are not counted as regular tokens.

        Returns
        -------
        Vocabulary

        Examples
        --------
        >>> Vocabulary.build([["b", "a", "c", "c"]], max_size=4).tokens
        ['<pad>', '<unk>', 'c', 'a']
        """
        min_count = checks.positive_int("min_count", min_count, error=GrukitDataError)
        vocab = cls((), specials=specials)
        if max_size is not None:
            max_size = checks.integer(
                "max_size", max_size, minimum=len(vocab), error=GrukitDataError
            )
        if isinstance(token_lists, str):
            raise GrukitDataError("`token_lists` must be an iterable of token lists, got a str")
        counts: Counter[str] = Counter()
        for row, tokens in enumerate(token_lists):
            counts.update(_tokens_of(tokens, f"token_lists[{row}]"))
        kept = sorted(
            (token for token, count in counts.items() if count >= min_count),
            key=lambda token: (-counts[token], token),
        )
        kept = [token for token in kept if token not in vocab._index]
        if max_size is not None:
            kept = kept[: max_size - len(vocab)]
        return cls(kept, specials=vocab._specials)

    # ------------------------------------------------------------------------ lookups

    @property
    def tokens(self) -> list[str]:
        """Every entry in index order (a copy)."""
        return list(self._tokens)

    @property
    def specials(self) -> tuple[str, ...]:
        """The extra special tokens (after ``<pad>`` and ``<unk>``)."""
        return self._specials

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self._tokens == other._tokens and self._specials == other._specials

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} entries, specials={list(self._specials)})"

    def index(self, token: str) -> int:
        """The id of ``token`` (``1``, the id of ``<unk>``, when it is not in the vocabulary)."""
        return self._index.get(token, self.unk_index)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """The ids of ``tokens``; unknown tokens become ``1`` (``<unk>``)."""
        get, unknown = self._index.get, self.unk_index
        return [get(token, unknown) for token in _tokens_of(tokens, "tokens")]

    def decode(self, ids: Iterable[int], *, skip_pad: bool = False) -> list[str]:
        """The tokens of ``ids`` (``skip_pad=True`` leaves out ``<pad>``); an id outside
        ``[0, len(vocab))`` is refused, naming its position."""
        skip_pad = checks.flag("skip_pad", skip_pad, error=GrukitDataError)
        out = []
        for position, value in enumerate(ids):
            if not checks.is_integer(value) or not 0 <= value < len(self._tokens):  # type: ignore[operator]
                raise GrukitDataError(
                    f"`ids[{position}]` must be an integer in [0, {len(self._tokens)}), got "
                    f"{value!r}"
                )
            if not (skip_pad and value == self.pad_index):
                out.append(self._tokens[int(value)])  # type: ignore[call-overload]
        return out

    # ------------------------------------------------------------------------ saving

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: ``{"format", "version", "specials", "tokens"}`` (every
        entry, specials included, in index order)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "specials": list(self._specials),
            "tokens": list(self._tokens),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocabulary:
        """The vocabulary :meth:`to_dict` described; anything else is one clear error."""
        data = checks.config_keys(data, ["format", "version", "specials", "tokens"],
                                  "Vocabulary", error=GrukitDataError)  # fmt: skip
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise GrukitDataError(
                f"not a vocabulary: expected format {FORMAT!r} version {VERSION}, got "
                f"{data.get('format')!r} version {data.get('version')!r}"
            )
        specials = data.get("specials")
        tokens = data.get("tokens")
        if not isinstance(specials, list) or not isinstance(tokens, list):
            raise GrukitDataError("a vocabulary's `specials` and `tokens` must be lists")
        head = [PAD, UNK, *specials]
        if tokens[: len(head)] != head:
            raise GrukitDataError(
                f"a vocabulary's tokens must start with {head!r}, got {tokens[: len(head)]!r}"
            )
        return cls(tokens[len(head) :], specials=specials)

    def save(self, path: str | os.PathLike) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``, atomically (:func:`grukit.io.write_json`)."""
        return io.write_json(path, self.to_dict(), indent=None)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """The vocabulary :meth:`save` wrote to ``path``.

        Raises
        ------
        FileNotFoundError
            The file does not exist.
        grukit.io.CorruptFileError
            Not a regular file, over 512 MiB, not JSON, or not a vocabulary (the message
            names the file and the problem).
        """
        description = "vocabulary file"
        data = io.read_regular_json(path, description=description, max_bytes=MAX_FILE_BYTES)
        try:
            return cls.from_dict(data)
        except GrukitDataError as error:
            raise io.CorruptFileError(f"{description} '{path}' is corrupt: {error}", path) from None
