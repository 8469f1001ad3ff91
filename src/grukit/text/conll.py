"""CoNLL column files (one token a line, a blank line between sentences) and tagging schemes.

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

>>> convert_tags(["I-PER", "I-PER", "O", "I-LOC", "B-LOC"], "IOB1", "IOB2")
['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC']
>>> entities(["B-PER", "I-PER", "O", "S-LOC"], "BIOES")
[('PER', 0, 2), ('LOC', 3, 4)]
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from grukit import checks, io
from grukit.data._errors import GrukitDataError

__all__ = [
    "SCHEMES",
    "TaggedSentences",
    "convert_tags",
    "detect_scheme",
    "entities",
    "read_conll",
    "write_conll",
]

SCHEMES = ("IOB1", "IOB2", "BIOES")
PREFIXES = {"IOB1": "BI", "IOB2": "BI", "BIOES": "BIES"}
DOCSTART = "-DOCSTART-"


def _split(label: str, scheme: str, where: str, position: int) -> tuple[str, str]:
    """``(prefix, type)`` of one label, ``("O", "")`` for outside."""
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


def _check(labels: Sequence[str], scheme: str, where: str) -> None:
    """Raise unless ``labels`` is a valid sequence of the strict ``scheme``."""
    previous, previous_kind = "O", ""
    for position, label in enumerate(labels):
        prefix, kind = _split(label, scheme, where, position)
        open_before = previous in "BI" and scheme == "BIOES"
        continues = previous != "O" and kind == previous_kind
        unstarted = (scheme == "BIOES" and prefix in "IE" and not open_before) or (
            scheme == "IOB2" and prefix == "I" and not continues
        )
        problem = None
        if open_before and (prefix not in "IE" or kind != previous_kind):
            problem = f"follows {labels[position - 1]!r}, which needs I-{previous_kind} or E-"
            problem += f"{previous_kind} next"
        elif unstarted:
            problem = f"needs B-{kind} or I-{kind} before it"
        elif scheme == "IOB1" and prefix == "B" and not continues:
            problem = f"may only follow an entity of type {kind} (B- separates two of them)"
        if problem:
            raise GrukitDataError(
                f"label {label!r} at position {position} of {where} {problem} in {scheme}"
            )
        previous, previous_kind = prefix, kind
    if scheme == "BIOES" and previous in "BI":
        raise GrukitDataError(
            f"label {labels[-1]!r} at position {len(labels) - 1} of {where} leaves an entity "
            f"open at the end of the sentence in BIOES (expected E-{previous_kind} or S-)"
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
        prefix, kind = _split(label, scheme, "the sentence", position)
        if start >= 0 and _ends(previous, prefix, previous_kind, kind):
            spans.append((previous_kind, start, position))
            start = -1
        if _starts(previous, prefix, previous_kind, kind):
            start = position
        previous, previous_kind = prefix, kind
    if start >= 0:
        spans.append((previous_kind, start, len(labels)))
    return spans


def _render(spans: list[tuple[str, int, int]], length: int, scheme: str) -> list[str]:
    """The labels of ``length`` tokens holding ``spans`` (non-overlapping, sorted) in ``scheme``."""
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
    labels: Sequence[str], source: str, target: str, *, sentence: int | None = None
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

    Returns
    -------
    list of str
        The same entity spans in ``target``. Conversions round-trip: ``convert_tags(
        convert_tags(x, "IOB1", "IOB2"), "IOB2", "IOB1") == x`` for every valid ``x``.

    Raises
    ------
    GrukitDataError
        A label not of ``source``'s form, or an invalid sequence (``E-`` without ``B-`` in
        BIOES, ``I-X`` after ``O`` in IOB2, ``B-X`` after ``O`` in IOB1), naming the
        sentence and position.
    """
    checks.choice("source", source, SCHEMES, error=GrukitDataError)
    checks.choice("target", target, SCHEMES, error=GrukitDataError)
    where = "the sentence" if sentence is None else f"sentence {sentence}"
    _check(labels, source, where)
    return _render(entities(labels, source), len(labels), target)


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str:
    """The scheme that the label sequences of ``sentences`` are written in.

    ``"BIOES"`` if any label has the prefix ``E-`` or ``S-``; else ``"IOB1"`` if some entity
    starts with ``I-`` (after ``O``, another type or at the start); else ``"IOB2"``.
    """
    starts_with_i = False
    for labels in sentences:
        previous_kind = ""
        for position, label in enumerate(labels):
            prefix, kind = _split(label, "BIOES", "the sentence", position)
            if prefix in "ES":
                return "BIOES"
            if prefix == "I" and kind != previous_kind:
                starts_with_i = True
            previous_kind = kind
    return "IOB1" if starts_with_i else "IOB2"


@dataclasses.dataclass
class TaggedSentences:
    """Tokenised sentences with (optionally) one label per token.

    Attributes
    ----------
    tokens : list of list of str
        The tokens of each sentence.
    labels : list of list of str or None
        One label per token of each sentence, or None for unlabelled text.
    scheme : str
        The scheme of ``labels`` as read (detected or declared), ``"IOB2"`` when unlabelled.
    source : str
        Where the sentences came from (a file path or ``"<memory>"``).
    """

    tokens: list[list[str]]
    labels: list[list[str]] | None
    scheme: str
    source: str

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def from_lists(
        cls,
        tokens: Sequence[Sequence[str]],
        labels: Sequence[Sequence[str]] | None = None,
        *,
        scheme: str = "auto",
        source: str = "<memory>",
    ) -> TaggedSentences:
        """Sentences held in memory: ``tokens[i]`` and ``labels[i]`` of equal lengths.

        ``scheme="auto"`` detects the labels' scheme (:func:`detect_scheme`); a declared
        scheme is checked strictly, sentence by sentence.
        """
        checks.choice("scheme", scheme, ("auto", *SCHEMES), error=GrukitDataError)
        token_lists = [[str(token) for token in sentence] for sentence in tokens]
        if not token_lists:
            raise GrukitDataError(f"`tokens` must hold at least one sentence, got 0 ({source})")
        for index, sentence in enumerate(token_lists):
            if not sentence:
                raise GrukitDataError(f"sentence {index} of {source} has no tokens")
        if labels is None:
            return cls(token_lists, None, "IOB2" if scheme == "auto" else scheme, source)
        label_lists = [[str(label) for label in sentence] for sentence in labels]
        if len(label_lists) != len(token_lists):
            raise GrukitDataError(
                f"`labels` must hold one list per sentence ({len(token_lists)}), "
                f"got {len(label_lists)} ({source})"
            )
        for index, (words, tags) in enumerate(zip(token_lists, label_lists, strict=True)):
            if len(words) != len(tags):
                raise GrukitDataError(
                    f"sentence {index} of {source} has {len(words)} tokens but {len(tags)} labels"
                )
        if scheme == "auto":
            scheme = detect_scheme(label_lists)
        else:
            for index, tags in enumerate(label_lists):
                _check(tags, scheme, f"sentence {index} of {source}")
        return cls(token_lists, label_lists, scheme, source)

    def to_scheme(self, target: str) -> TaggedSentences:
        """These sentences with their labels converted to the ``target`` scheme."""
        checks.choice("target", target, SCHEMES, error=GrukitDataError)
        if self.labels is None:
            return dataclasses.replace(self, scheme=target)
        converted = [
            convert_tags(tags, self.scheme, target, sentence=index)
            for index, tags in enumerate(self.labels)
        ]
        return dataclasses.replace(self, labels=converted, scheme=target)


def _column(name: str, value: int, count: int, path: Path) -> int:
    """``value`` as an index into ``count`` columns (negative counts from the end)."""
    index = checks.integer(name, value, error=GrukitDataError)
    if not -count <= index < count:
        raise GrukitDataError(
            f"`{name}` must be a column index in [{-count}, {count - 1}] of {path} "
            f"({count} columns), got {index}"
        )
    return index % count


def _read_rows(path: Path) -> list[list[tuple[int, list[str]]]]:
    """The sentences of a CoNLL file as lists of ``(line number, columns)``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GrukitDataError(f"cannot read the CoNLL file {path}: {error}") from None
    sentences: list[list[tuple[int, list[str]]]] = []
    current: list[tuple[int, list[str]]] = []
    width = 0
    for number, line in enumerate(text.splitlines(), start=1):
        columns = line.split()
        if not columns or columns[0] == DOCSTART:
            if current:
                sentences.append(current)
            current = []
            continue
        width = width or len(columns)
        if len(columns) != width:
            raise GrukitDataError(
                f"line {number} of {path} has {len(columns)} columns, expected {width} "
                "like the file's first line"
            )
        current.append((number, columns))
    if current:
        sentences.append(current)
    if not sentences:
        raise GrukitDataError(f"the CoNLL file {path} holds no sentences")
    return sentences


def read_conll(
    path: str | os.PathLike,
    *,
    label_column: int | None = -1,
    token_column: int = 0,
    scheme: str = "auto",
) -> TaggedSentences:
    """The sentences of a CoNLL column file.

    Parameters
    ----------
    path : str or os.PathLike
        A UTF-8 text file: whitespace-separated (tab or space) columns per token, a blank
        line between sentences; ``-DOCSTART-`` lines are skipped. Every non-blank line has
        the column count of the file's first.
    label_column : int or None, default -1
        The column of the labels (negative counts from the end); None for unlabelled text.
    token_column : int, default 0
        The column of the tokens.
    scheme : {"auto", "IOB1", "IOB2", "BIOES"}, default "auto"
        The labels' scheme: detected (:func:`detect_scheme`) or declared and checked strictly.
        The labels are kept as written; :meth:`TaggedSentences.to_scheme` converts them.

    Returns
    -------
    TaggedSentences

    Raises
    ------
    GrukitDataError
        An unreadable file, a line with another column count (naming the file and line), a
        file without sentences, or labels invalid in the declared scheme.
    """
    path = Path(path)
    checks.choice("scheme", scheme, ("auto", *SCHEMES), error=GrukitDataError)
    rows = _read_rows(path)
    width = len(rows[0][0][1])
    tokens_at = _column("token_column", token_column, width, path)
    tokens = [[columns[tokens_at] for _, columns in sentence] for sentence in rows]
    if label_column is None:
        return TaggedSentences.from_lists(tokens, None, scheme=scheme, source=str(path))
    labels_at = _column("label_column", label_column, width, path)
    labels = [[columns[labels_at] for _, columns in sentence] for sentence in rows]
    read = TaggedSentences.from_lists(tokens, labels, scheme="auto", source=str(path))
    if scheme != "auto":
        # checked here, not by from_lists, so that the message names the sentence's line
        for sentence, tags in zip(rows, labels, strict=True):
            _check(tags, scheme, f"the sentence at line {sentence[0][0]} of {path}")
        read.scheme = scheme
    return read


def write_conll(
    sentences: TaggedSentences,
    path: str | os.PathLike,
    predictions: Sequence[Sequence[str]] | None = None,
) -> Path:
    """Write ``sentences`` as a CoNLL file: token, gold label (if any), prediction (if any).

    Parameters
    ----------
    sentences : TaggedSentences
        The tokens and gold labels, written in their own scheme (``sentences.scheme``).
    path : str or os.PathLike
        The file, written atomically (space-separated columns, a blank line after each
        sentence, UTF-8).
    predictions : sequence of sequence of str, optional
        One predicted label per token, in ``sentences.scheme``: an extra last column, the
        layout ``conlleval`` reads.

    Returns
    -------
    Path
        The path written.
    """
    columns = [sentences.tokens]
    if sentences.labels is not None:
        columns.append(sentences.labels)
    if predictions is not None:
        if len(predictions) != len(sentences):
            raise GrukitDataError(
                f"`predictions` must hold one list per sentence ({len(sentences)}), "
                f"got {len(predictions)}"
            )
        columns.append([list(map(str, sentence)) for sentence in predictions])
    lines = []
    for index, fields in enumerate(zip(*columns, strict=True)):
        if any(len(field) != len(fields[0]) for field in fields):
            raise GrukitDataError(
                f"sentence {index} has {len(fields[0])} tokens but "
                f"{max(map(len, fields[1:]))} labels or predictions (expected one per token)"
            )
        for row in zip(*fields, strict=True):
            if any(not value or len(value.split()) != 1 for value in row):
                raise GrukitDataError(
                    f"sentence {index} holds a token or label {row!r} that is empty or holds "
                    "whitespace (a CoNLL column cannot)"
                )
            lines.append(" ".join(row))
        lines.append("")
    return io.atomic_write_text(path, "\n".join(lines) + "\n")
