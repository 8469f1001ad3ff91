"""What :class:`grukit.SequenceTagger` learns from its training sentences before the network:
the word and character vocabularies and the tag set, and how a sentence becomes the network's
input; all as JSON.

A token becomes three things, packed into one int64 array (N, L, 2 + C) so that one array per
sentence travels through the training loop:

``[:, :, 0]`` the word id
    of the token lower-cased with every digit written ``0`` ("1996" and "2003" share
    ``0000``); ``0`` pads, ``1`` is ``<unk>``, a word unseen in training. The vocabulary is
    sorted by count, so the words seen once are the ids from ``rare_from`` on: the network
    replaces them by ``<unk>`` at random while it trains (Lample et al. 2016), and so learns
    what to do with a word it has never seen.
``[:, :, 1]`` the casing class
    (1 ... 8, :data:`CASINGS`), the capitalisation the lower-cased word loses.
``[:, :, 2:]`` the character ids
    of the first ``max_word_chars`` characters, case kept (``0`` pads, ``1`` an unseen
    character), read by the character-level GRU.

Padding (sentence positions past its length) is all zeros; every real token has a word id of
at least 1. Tags are indices into ``tags`` (the training scheme's labels, ``O`` first); padded
positions of the target array hold :data:`PAD_TAG`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grukit.data._errors import GrukitDataError

__all__ = ["CASINGS", "PAD_TAG", "TaggingPreparation", "casing", "normalise_word"]

#: the target index of padded positions (never reaches the loss)
PAD_TAG = -100
#: casing classes of a token, id = position + 1 (0 pads)
CASINGS = (
    "numeric", "mostly_numeric", "lower", "upper", "initial_upper", "mixed", "has_digit", "other",
)  # fmt: skip
_DIGIT = re.compile(r"\d")


def normalise_word(token: str) -> str:
    """The token as the word vocabulary sees it: lower case, every digit ``0``."""
    return _DIGIT.sub("0", token.lower())


def casing(token: str) -> int:
    """The casing class id (1 ... 8) of `token` (:data:`CASINGS`)."""
    digits = sum(ch.isdigit() for ch in token)
    if token.isdigit():
        name = "numeric"
    elif digits / max(len(token), 1) > 0.5:
        name = "mostly_numeric"
    elif token.islower():
        name = "lower"
    elif token.isupper():
        name = "upper"
    elif token[:1].isupper() and token[1:].islower():
        name = "initial_upper"
    elif any(ch.isupper() for ch in token) and any(ch.islower() for ch in token):
        name = "mixed"
    elif digits:
        name = "has_digit"
    else:
        name = "other"
    return CASINGS.index(name) + 1


@dataclass
class TaggingPreparation:
    """Vocabularies, tag set and limits; :meth:`encode` gives the network input."""

    scheme: str = "BIOES"  # the scheme the network is trained in
    max_word_chars: int = 20
    words: Any = None  # grukit.text.Vocabulary of normalised words
    chars: Any = None  # grukit.text.Vocabulary of characters
    tags: list[str] = field(default_factory=list)
    rare_from: int = 0  # word ids from here on were seen once in training

    def learn(
        self, sentences: Any, *, min_count: int = 1, max_vocab: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Learn the vocabularies and tags from labelled `sentences` (TaggedSentences in any
        scheme); return their (inputs, targets)."""
        from grukit.text import Vocabulary

        sentences = sentences.to_scheme(self.scheme, strict=False)
        normalised = [[normalise_word(t) for t in tokens] for tokens in sentences.tokens]
        self.words = Vocabulary.build(normalised, min_count=min_count, max_size=max_vocab)
        counts = Counter(word for tokens in normalised for word in tokens)
        rare = [i for i, w in enumerate(self.words.tokens) if i >= 2 and counts[w] == 1]
        self.rare_from = rare[0] if rare else len(self.words)
        self.chars = Vocabulary.build(
            [ch for ch in token] for tokens in sentences.tokens for token in tokens
        )
        seen = sorted({label for labels in sentences.labels for label in labels} - {"O"})
        self.tags = ["O", *sorted(seen, key=lambda label: (label[2:], label[:1]))]
        return self.encode(sentences), self.targets(sentences)

    def encode(self, sentences: Any) -> np.ndarray:
        """(N, L, 2 + C) int64 network inputs of `sentences` (labels not needed)."""
        longest = max(len(tokens) for tokens in sentences.tokens)
        width = min(self.max_word_chars, max(len(t) for ts in sentences.tokens for t in ts))
        out = np.zeros((len(sentences), longest, 2 + width), dtype=np.int64)
        words, chars = self.words, self.chars
        for row, tokens in enumerate(sentences.tokens):
            n = len(tokens)
            out[row, :n, 0] = words.encode([normalise_word(t) for t in tokens])
            out[row, :n, 1] = [casing(t) for t in tokens]
            for position, token in enumerate(tokens):
                ids = chars.encode(list(token[: self.max_word_chars]))
                out[row, position, 2 : 2 + len(ids)] = ids
        return out

    def targets(self, sentences: Any) -> np.ndarray:
        """(N, L) int64 tag indices of labelled `sentences` (:data:`PAD_TAG` past each end)."""
        sentences = sentences.to_scheme(self.scheme, strict=False)
        index = {tag: i for i, tag in enumerate(self.tags)}
        longest = max(len(tokens) for tokens in sentences.tokens)
        out = np.full((len(sentences), longest), PAD_TAG, dtype=np.int64)
        for row, labels in enumerate(sentences.labels):
            unknown = [label for label in labels if label not in index]
            if unknown:
                raise GrukitDataError(
                    f"{sentences.source}: sentence {row} has the label {unknown[0]!r} that the "
                    f"training data never had (known: {', '.join(self.tags)})"
                )
            out[row, : len(labels)] = [index[label] for label in labels]
        return out

    def labels_of(self, indices: np.ndarray, lengths: list[int]) -> list[list[str]]:
        """Tag label lists (training scheme) of (N, L) indices cut to each length."""
        tags = self.tags
        return [
            [tags[i] for i in row[:n]] for row, n in zip(indices.tolist(), lengths, strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "max_word_chars": self.max_word_chars,
            "words": self.words.to_dict(),
            "chars": self.chars.to_dict(),
            "tags": list(self.tags),
            "rare_from": self.rare_from,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaggingPreparation:
        from grukit.text import Vocabulary

        return cls(
            scheme=str(data["scheme"]),
            max_word_chars=int(data["max_word_chars"]),
            words=Vocabulary.from_dict(data["words"]),
            chars=Vocabulary.from_dict(data["chars"]),
            tags=[str(tag) for tag in data["tags"]],
            rare_from=int(data["rare_from"]),
        )
