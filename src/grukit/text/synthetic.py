"""Generated sentences with named entities (persons, locations, organisations), for the demo,
the tests and a first try of :class:`grukit.SequenceTagger` without a dataset.

Each sentence fills a template ("{PER} flew to {LOC} on Monday .") with entities made of
invented, capitalised words drawn from one pool of names for all types, so a name is a person
in one sentence and a place or a company in the next: a tagger must read the context ("flew
to", "shares of"), and the characters help only where an organisation carries a suffix
("Corp", "Group", half of them). Some templates do not say which type their entity is
("{ANY} declined to comment"): there a tagger can only guess. Sentences also start with
ordinary capitalised words, and a third of the names differ from seed to seed (never seen in
training by a test set of another seed). Entities span one to three tokens; labels are IOB2.
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
    "Officials said {ORG} had hired {PER} .",
    "Talks resumed in {LOC} after {PER} left .",
    "Analysts expect {ORG} to cut jobs .",
    "Fans of {PER} gathered outside the stadium .",
    "{ANY} said the deal was fair .",
    "{ANY} declined to comment on Tuesday .",
    "Reporters waited for {ANY} in {LOC} .",
)
_KINDS = ("PER", "LOC", "ORG")
_SYLLABLES = ("ka", "lo", "mi", "ran", "to", "vel", "sa", "dor", "ben", "ri", "nu", "ga", "tes")
_ORG_ENDS = ("Corp", "Group", "Bank", "United", "Airlines", "Holdings")
_LOC_ENDS = ("", "", "", "City", "Valley", "Bay")


def _name(rng: np.random.Generator) -> str:
    count = int(rng.integers(2, 4))
    return "".join(rng.choice(_SYLLABLES, size=count)).capitalize()


def _entity(kind: str, rng: np.random.Generator, pool: list[str]) -> list[str]:
    def name() -> str:
        return str(pool[int(rng.integers(len(pool)))])

    if kind == "PER":
        return [name() for _ in range(int(rng.integers(1, 3)))]
    if kind == "ORG":
        return [name(), str(rng.choice(_ORG_ENDS))] if rng.random() < 0.5 else [name()]
    words = [name()]
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
    shared = np.random.default_rng(12345)  # two thirds of the names are the same for every seed
    pool = [_name(shared) for _ in range(200)] + [_name(rng) for _ in range(100)]
    tokens, labels = [], []
    for _ in range(n_sentences):
        words: list[str] = []
        tags: list[str] = []
        for piece in str(rng.choice(_TEMPLATES)).split():
            if piece.startswith("{") and piece.endswith("}"):
                kind = piece[1:-1]
                if kind == "ANY":  # the context does not say which: a tagger must guess
                    kind = str(rng.choice(_KINDS))
                entity = _entity(kind, rng, pool)
                words += entity
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
            else:
                words.append(piece)
                tags.append("O")
        tokens.append(words)
        labels.append(tags)
    return TaggedSentences.from_lists(tokens, labels, scheme="IOB2", source="<synthetic>")
