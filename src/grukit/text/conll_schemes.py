"""Tagging schemes: the IOB1, IOB2 and BIOES labels of entity spans, checked, read and converted.

The labels of a tagged sentence mark entity spans with a prefix and a type, ``B-PER``,
``I-LOC``, ``O`` (outside). Three schemes are known:

``IOB1``
    CoNLL-2003's original: ``I-X`` starts an entity unless it follows a token of the same
    type; ``B-X`` appears only to start an entity right after another entity of type ``X``.
``IOB2``
    ``B-X`` starts every entity, ``I-X`` continues it.
``BIOES``
    ``B-X`` begins, ``I-X`` continues, ``E-X`` ends an entity of two or more tokens, ``S-X``
    is an entity of one token.

Every conversion goes through the spans: a sentence's labels are checked against their
scheme (strictly), read as ``(type, start, end)`` spans and written back in the target scheme,
so conversions round-trip. :func:`entities` reads spans leniently, the way ``conlleval`` does.
:mod:`grukit.text.conll` re-exports these names.

>>> convert_tags(["I-PER", "I-PER", "O", "I-LOC", "B-LOC"], "IOB1", "IOB2")
['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC']
>>> entities(["B-PER", "I-PER", "O", "S-LOC"], "BIOES")
[('PER', 0, 2), ('LOC', 3, 4)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = [
    "SCHEMES",
    "check_sequence",
    "convert_tags",
    "detect_scheme",
    "entities",
    "render",
    "sequence_problem",
    "split_label",
]

SCHEMES = ("IOB1", "IOB2", "BIOES")
PREFIXES = {"IOB1": "BI", "IOB2": "BI", "BIOES": "BIES"}


def split_label(label: str, scheme: str, where: str, position: int) -> tuple[str, str]:
    """``(prefix, type)`` of one label, ``("O", "")`` for outside; an error names ``where``."""
    if label == "O":
        return "O", ""
    prefix, dash, kind = label.partition("-")
    if not dash or not kind or len(prefix) != 1 or prefix not in PREFIXES[scheme]:
        allowed = ", ".join(f"{p}-TYPE" for p in PREFIXES[scheme])
        raise GrukitDataError(
            f"label {label!r} at position {position} of {where} is not a label of {scheme} "
            f"(expected O, {allowed})"
        )
    return prefix, kind


def sequence_problem(
    labels: Sequence[str], scheme: str, where: str = "the sentence"
) -> tuple[int, str] | None:
    """``(position, what is wrong)`` of the first label invalid in the strict ``scheme``.

    None when ``labels`` is a valid sequence; a label not of the scheme's form raises (naming
    ``where``). The text reads after ``"label 'X' at position P "`` and names the scheme.
    """
    previous, previous_kind = "O", ""
    for position, label in enumerate(labels):
        prefix, kind = split_label(label, scheme, where, position)
        open_before = previous in "BI" and scheme == "BIOES"
        continues = previous != "O" and kind == previous_kind
        unstarted = (scheme == "BIOES" and prefix in "IE" and not open_before) or (
            scheme == "IOB2" and prefix == "I" and not continues
        )
        if open_before and (prefix not in "IE" or kind != previous_kind):
            return position, (
                f"follows {labels[position - 1]!r}, which needs I-{previous_kind} or "
                f"E-{previous_kind} next in {scheme}"
            )
        if unstarted:
            return position, f"needs B-{kind} or I-{kind} before it in {scheme}"
        if scheme == "IOB1" and prefix == "B" and not continues:
            return position, (
                f"may only follow an entity of type {kind} (B- separates two of them) in {scheme}"
            )
        previous, previous_kind = prefix, kind
    if scheme == "BIOES" and previous in "BI":
        return len(labels) - 1, (
            "leaves an entity open at the end of the sentence in BIOES (expected "
            f"E-{previous_kind} or S-)"
        )
    return None


def check_sequence(labels: Sequence[str], scheme: str, where: str) -> None:
    """Raise unless ``labels`` is a valid sequence of the strict ``scheme``."""
    found = sequence_problem(labels, scheme, where)
    if found is not None:
        position, problem = found
        raise GrukitDataError(
            f"label {labels[position]!r} at position {position} of {where} {problem}"
        )


def _ends(previous: str, prefix: str, previous_kind: str, kind: str) -> bool:
    """conlleval's ``endOfChunk``: does an entity end between the two labels?"""
    if previous in "ES" or (previous in "BI" and prefix in "BSO"):
        return True
    return previous != "O" and previous_kind != kind


def _starts(previous: str, prefix: str, previous_kind: str, kind: str) -> bool:
    """conlleval's ``startOfChunk``: does an entity start at the second label?"""
    if prefix in "BS" or (prefix in "IE" and previous in "ESO"):
        return True
    return prefix != "O" and previous_kind != kind


def entities(labels: Sequence[str], scheme: str) -> list[tuple[str, int, int]]:
    """The entity spans of one sentence, read as ``conlleval`` reads them.

    Parameters
    ----------
    labels : sequence of str
        One label per token, ``"O"`` or ``"<prefix>-<type>"``.
    scheme : {"IOB1", "IOB2", "BIOES"}
        The scheme of ``labels`` (which prefixes are allowed).

    Returns
    -------
    list of (str, int, int)
        ``(type, start, end)`` of each entity, ``end`` exclusive, in order. Lenient: an
        ``I-X`` after ``O`` or another type starts a new entity (in every scheme, as conlleval
        does), a change of type ends one.
    """
    checks.choice("scheme", scheme, SCHEMES, error=GrukitDataError)
    spans: list[tuple[str, int, int]] = []
    previous, previous_kind, start = "O", "", -1
    for position, label in enumerate(labels):
        prefix, kind = split_label(label, scheme, "the sentence", position)
        if start >= 0 and _ends(previous, prefix, previous_kind, kind):
            spans.append((previous_kind, start, position))
            start = -1
        if _starts(previous, prefix, previous_kind, kind):
            start = position
        previous, previous_kind = prefix, kind
    if start >= 0:
        spans.append((previous_kind, start, len(labels)))
    return spans


def render(spans: Iterable[tuple[str, int, int]], length: int, scheme: str) -> list[str]:
    """The labels of ``length`` tokens holding ``spans`` (non-overlapping, sorted) in ``scheme``.

    >>> render([("PER", 0, 2), ("PER", 2, 3)], 4, "IOB1")
    ['I-PER', 'I-PER', 'B-PER', 'O']
    """
    labels = ["O"] * length
    previous_end, previous_kind = -1, ""
    for kind, start, end in spans:
        if scheme == "IOB2":
            labels[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        elif scheme == "IOB1":
            first = "B" if previous_end == start and previous_kind == kind else "I"
            labels[start:end] = [f"{first}-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        elif end - start == 1:
            labels[start] = f"S-{kind}"
        else:
            inner = [f"I-{kind}"] * (end - start - 2)
            labels[start:end] = [f"B-{kind}", *inner, f"E-{kind}"]
        previous_end, previous_kind = end, kind
    return labels


def convert_tags(
    labels: Sequence[str],
    source: str,
    target: str,
    *,
    sentence: int | None = None,
    strict: bool = True,
) -> list[str]:
    """One sentence's labels converted from the ``source`` scheme to ``target``.

    Parameters
    ----------
    labels : sequence of str
        One label per token, valid in the strict ``source`` scheme.
    source, target : {"IOB1", "IOB2", "BIOES"}
        The schemes (see the module docstring).
    sentence : int, optional
        The sentence's index, named in error messages.
    strict : bool, default True
        Refuse a sequence invalid in ``source``. ``False`` converts any sequence of
        ``source``'s labels through its lenient spans (:func:`entities`), e.g. a tagger's raw
        predictions: ``convert_tags(["O", "B-PER"], "IOB1", "IOB2", strict=False)`` is
        ``["O", "B-PER"]``.

    Returns
    -------
    list of str
        The same entity spans in ``target``. Conversions round-trip: ``convert_tags(
        convert_tags(x, "IOB1", "IOB2"), "IOB2", "IOB1") == x`` for every valid ``x``.

    Raises
    ------
    GrukitDataError
        A label not of ``source``'s form, or an invalid sequence (``E-`` without ``B-`` in
        BIOES, ``I-X`` after ``O`` in IOB2, ``B-X`` after ``O`` in IOB1; only when
        ``strict``), naming the sentence and position.
    """
    checks.choice("source", source, SCHEMES, error=GrukitDataError)
    checks.choice("target", target, SCHEMES, error=GrukitDataError)
    where = "the sentence" if sentence is None else f"sentence {sentence}"
    if checks.flag("strict", strict, error=GrukitDataError):
        check_sequence(labels, source, where)
    return render(entities(labels, source), len(labels), target)


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str:
    """The scheme that the label sequences of ``sentences`` are written in.

    ``"BIOES"`` if any label has the prefix ``E-`` or ``S-``; else ``"IOB1"`` if some entity
    starts with ``I-`` (after ``O``, another type or at the start); else ``"IOB2"``.
    """
    starts_with_i = False
    for labels in sentences:
        previous_kind = ""
        for position, label in enumerate(labels):
            prefix, kind = split_label(label, "BIOES", "the sentence", position)
            if prefix in "ES":
                return "BIOES"
            if prefix == "I" and kind != previous_kind:
                starts_with_i = True
            previous_kind = kind
    return "IOB1" if starts_with_i else "IOB2"
