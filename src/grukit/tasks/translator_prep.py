"""What :class:`grukit.Seq2Seq` learns before its network: the tokenisation of each side
(SentencePiece subwords, white-space words or characters), and the training arrays.

Every side numbers its tokens the same way: 0 ``<pad>``, 1 ``<unk>``, 2 ``<bos>``, 3 ``<eos>``,
then the regular tokens. A side turns text into ids and back: :meth:`TextSide.decode` gives
detokenised text (subwords and characters exactly; words joined by single spaces).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from grukit.data._errors import GrukitDataError
from grukit.text.vocabulary import BOS, EOS, Vocabulary

if TYPE_CHECKING:
    from grukit.text.parallel import ParallelText

__all__ = [
    "BOS_ID",
    "EOS_ID",
    "LEVELS",
    "TextSide",
    "TranslationPreparation",
    "translation_pairs",
]

LEVELS = ("subword", "word", "char")
BOS_ID, EOS_ID = 2, 3
_IGNORE = -100
logger = logging.getLogger("grukit.train")


class TextSide:
    """One side's tokens: ``level`` "subword" (a :class:`grukit.text.SubwordTokenizer`), "word"
    (split on white space) or "char", with a :class:`grukit.text.Vocabulary` for the last two."""

    def __init__(self, level: str, *, lower: bool = False, subwords: Any = None,
                 vocabulary: Vocabulary | None = None) -> None:  # fmt: skip
        self.level, self.lower = level, lower
        self.subwords, self.vocabulary = subwords, vocabulary

    @classmethod
    def learn(cls, sentences: Sequence[str], level: str, *, vocab_size: int, min_count: int = 1,
              lower: bool = False) -> TextSide:  # fmt: skip
        """The side learnt from the training sentences: at most `vocab_size` tokens."""
        if level == "subword":
            from grukit.text.subwords import SubwordTokenizer

            return cls(level, lower=lower, subwords=SubwordTokenizer.train(
                list(sentences), vocab_size=vocab_size, lower=lower))  # fmt: skip
        side = cls(level, lower=lower)
        vocabulary = Vocabulary.build(
            (side._tokens(s) for s in sentences), min_count=min_count,
            max_size=max(vocab_size, 4), specials=(BOS, EOS),
        )  # fmt: skip
        side.vocabulary = vocabulary
        return side

    def _tokens(self, text: str) -> list[str]:
        text = text.lower() if self.lower else text
        return list(text) if self.level == "char" else text.split()

    @property
    def size(self) -> int:
        """The number of token ids (specials included)."""
        return len(self.subwords) if self.subwords is not None else len(self.vocabulary or ())

    def encode(self, text: str) -> list[int]:
        """Token ids of `text` (no ``<bos>``/``<eos>``)."""
        if self.subwords is not None:
            return list(self.subwords.encode(text))
        assert self.vocabulary is not None
        return self.vocabulary.encode(self._tokens(text))

    def tokens(self, text: str) -> list[str]:
        """The tokens (subword pieces, words or characters) of `text`, as the model reads them."""
        if self.subwords is not None:
            return list(self.subwords.pieces(text))
        assert self.vocabulary is not None
        return self.vocabulary.decode(self.encode(text))

    def decode(self, ids: Sequence[int]) -> str:
        """Detokenised text of token ids; specials are left out."""
        ids = [int(i) for i in ids if int(i) > 3 or int(i) == 1]
        if self.subwords is not None:
            return str(self.subwords.decode(ids))
        assert self.vocabulary is not None
        tokens = self.vocabulary.decode(ids)
        return "".join(tokens) if self.level == "char" else " ".join(tokens)

    def to_dict(self) -> dict[str, Any]:
        body = self.subwords.to_dict() if self.subwords is not None else None
        words = self.vocabulary.to_dict() if self.vocabulary is not None else None
        return {"level": self.level, "lower": self.lower, "subwords": body, "vocabulary": words}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextSide:
        if data["level"] == "subword":
            from grukit.text.subwords import SubwordTokenizer

            return cls("subword", lower=bool(data["lower"]),
                       subwords=SubwordTokenizer.from_dict(data["subwords"]))  # fmt: skip
        return cls(str(data["level"]), lower=bool(data["lower"]),
                   vocabulary=Vocabulary.from_dict(data["vocabulary"]))  # fmt: skip


class TranslationPreparation:
    """The two sides and the longest sequence (tokens per side) the model takes."""

    def __init__(self, source: TextSide, target: TextSide, max_length: int) -> None:
        self.source, self.target, self.max_length = source, target, max_length

    def encode(self, text: ParallelText, *, part: str) -> tuple[list[list[int]], list[list[int]]]:
        """Ids of both sides; pairs with a side longer than ``max_length`` tokens are left out
        (their number is logged); one error if none is left."""
        sources = [self.source.encode(s) for s in text.sources]
        targets = [self.target.encode(t) for t in text.targets]
        kept = [i for i, (s, t) in enumerate(zip(sources, targets, strict=True))
                if 0 < len(s) <= self.max_length and len(t) < self.max_length]  # fmt: skip
        if not kept:
            raise GrukitDataError(
                f"{part} ({text.source}): every pair has a side longer than max_length="
                f"{self.max_length} tokens; raise max_length"
            )
        if len(kept) < len(sources):
            logger.warning("%s: left out %d of %d pairs longer than max_length=%d tokens",
                           part, len(sources) - len(kept), len(sources),
                           self.max_length)  # fmt: skip
        return [sources[i] for i in kept], [targets[i] for i in kept]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.to_dict(), "target": self.target.to_dict(),
                "max_length": self.max_length}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TranslationPreparation:
        return cls(TextSide.from_dict(data["source"]), TextSide.from_dict(data["target"]),
                   int(data["max_length"]))  # fmt: skip


def translation_pairs(sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]
                      ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(pairs (N, 2, L), next tokens (N, L)) for :class:`TranslatorNetwork`: row 0 the source,
    row 1 ``<bos>`` and the target (padding 0); the next tokens are the target and ``<eos>``
    (padding -100)."""
    if len(sources) != len(targets) or not sources:
        raise GrukitDataError(f"need as many sources as targets, at least one; got "
                              f"{len(sources)} and {len(targets)}")  # fmt: skip
    steps = max(max(map(len, sources)), max(map(len, targets)) + 1)
    pairs = np.zeros((len(sources), 2, steps), dtype=np.int64)
    following = np.full((len(sources), steps), _IGNORE, dtype=np.int64)
    for row, (source, target) in enumerate(zip(sources, targets, strict=True)):
        pairs[row, 0, : len(source)] = source
        pairs[row, 1, 0] = BOS_ID
        pairs[row, 1, 1 : len(target) + 1] = target
        following[row, : len(target)] = target
        following[row, len(target)] = EOS_ID
    return pairs, following
