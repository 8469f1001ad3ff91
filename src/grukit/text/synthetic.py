"""Generated sentences with named entities (persons, locations, organisations), for the demo,
the tests and a first try of :class:`grukit.SequenceTagger` without a dataset.

Each sentence fills a template ("{PER} flew to {LOC} on Monday .") with entities made of
invented, capitalised words, so a tagger cannot memorise a list of names: it must read the
context ("flew to", "shares of"), the capitalisation and the characters (organisations end in
"Corp", "Group", ...). Entities span one to three tokens; labels are IOB2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grukit import checks

__all__ = ["synthetic_entities"]

_TEMPLATES = (
    "{PER} flew to {LOC} on Monday .",
    "{PER} , the chief executive of {ORG} , resigned .",
    "Shares of {ORG} rose 3 percent in {LOC} trading .",
    "{ORG} said it would open a plant near {LOC} .",
    "Police in {LOC} arrested {PER} late on Friday .",
    "{PER} met {PER} in {LOC} to discuss the deal .",
    "The talks between {ORG} and {ORG} broke down .",
    "{PER} scored twice as {ORG} beat {ORG} 2 - 1 .",
    "Heavy rain hit {LOC} and {LOC} overnight .",
    '" We are pleased , " {PER} told reporters .',
    "the weather was mild and markets were quiet .",
    "{LOC} exported more grain than last year .",
)
_SYLLABLES = ("ka", "lo", "mi", "ran", "to", "vel", "sa", "dor", "ben", "ri", "nu", "ga", "tes")
_ORG_ENDS = ("Corp", "Group", "Bank", "United", "Airlines", "Holdings")
_LOC_ENDS = ("", "", "", "City", "Valley", "Bay")


def _name(rng: np.random.Generator) -> str:
    count = int(rng.integers(2, 4))
    return "".join(rng.choice(_SYLLABLES, size=count)).capitalize()


def _entity(kind: str, rng: np.random.Generator) -> list[str]:
    if kind == "PER":
        return [_name(rng) for _ in range(int(rng.integers(1, 3)))]
    if kind == "ORG":
        return [_name(rng), str(rng.choice(_ORG_ENDS))]
    words = [_name(rng)]
    end = str(rng.choice(_LOC_ENDS))
    return words + [end] if end else words


def synthetic_entities(n_sentences: int = 1000, *, seed: int = 0) -> Any:
    """`n_sentences` generated sentences with IOB2 entity labels (PER, LOC, ORG).

    Returns
    -------
    grukit.text.TaggedSentences

    Examples
    --------
    >>> sentences = synthetic_entities(3, seed=1)
    >>> len(sentences), sentences.scheme
    (3, 'IOB2')
    """
    from grukit.text.conll import TaggedSentences

    n_sentences = checks.positive_int("n_sentences", n_sentences)
    rng = np.random.default_rng(seed)
    tokens, labels = [], []
    for _ in range(n_sentences):
        words: list[str] = []
        tags: list[str] = []
        for piece in str(rng.choice(_TEMPLATES)).split():
            if piece.startswith("{") and piece.endswith("}"):
                kind = piece[1:-1]
                entity = _entity(kind, rng)
                words += entity
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
            else:
                words.append(piece)
                tags.append("O")
        tokens.append(words)
        labels.append(tags)
    return TaggedSentences.from_lists(tokens, labels, scheme="IOB2", source="<synthetic>")
