"""CoNLL column files: one token a line, whitespace-separated columns, a blank line between
sentences, ``-DOCSTART-`` lines between documents.

A file is read as :class:`TaggedSentences` (tokens, labels, the labels' scheme, where they came
from and the line each sentence starts on) and written back with an optional column of
predictions, the layout ``conlleval`` reads. The schemes (IOB1, IOB2, BIOES), their
conversions and conlleval's entity spans live in :mod:`grukit.text.conll_schemes` and are
re-exported here.

Bad input is refused with one line naming the file and line: bytes that are not UTF-8 text, an
empty file, a line with another column count, a label column that is the token column, and (for
``scheme="auto"``) a file whose labels mix BIOES with another scheme. IOB1 and IOB2 are both
read leniently: an IOB2 file with one entity begun by ``I-`` (WNUT 2017's dev file) reads as
IOB1, and ``to_scheme(target, strict=False)`` converts it through conlleval's spans. A
byte-order mark (U+FEFF) at the start of a line is dropped, so a line holding only one is a
blank line.

>>> sentences = TaggedSentences.from_lists([["Peter", "Blackburn"]], [["I-PER", "I-PER"]])
>>> sentences.scheme, sentences.to_scheme("BIOES").labels
('IOB1', [['B-PER', 'E-PER']])
>>> check_types(sentences, ["LOC", "ORG"])
Traceback (most recent call last):
...
grukit.data._errors.GrukitDataError: <memory>: sentence 0 has the entity type 'PER' ... LOC, ORG
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from grukit import checks, io
from grukit.data._errors import GrukitDataError
from grukit.text.conll_schemes import (
    SCHEMES,
    check_sequence,
    convert_tags,
    detect_scheme,
    entities,
    sequence_problem,
)

__all__ = [
    "SCHEMES",
    "TaggedSentences",
    "check_types",
    "convert_tags",
    "detect_scheme",
    "entities",
    "read_conll",
    "write_conll",
]

DOCSTART = "-DOCSTART-"


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
    lines : list of int or None
        The line of the file on which each sentence starts (1-based), None in memory; error
        messages name it.
    """

    tokens: list[list[str]]
    labels: list[list[str]] | None
    scheme: str
    source: str
    lines: list[int] | None = None

    def __len__(self) -> int:
        return len(self.tokens)

    def where(self, index: int) -> str:
        """How messages name sentence ``index``: by its line in a file, else by its index."""
        if self.lines is None:
            return f"sentence {index}"
        return f"the sentence at line {self.lines[index]}"

    @classmethod
    def from_lists(
        cls,
        tokens: Sequence[Sequence[str]],
        labels: Sequence[Sequence[str]] | None = None,
        *,
        scheme: str = "auto",
        source: str = "<memory>",
        lines: Sequence[int] | None = None,
    ) -> TaggedSentences:
        """Sentences held in memory: ``tokens[i]`` and ``labels[i]`` of equal lengths.

        ``scheme="auto"`` detects the labels' scheme (:func:`detect_scheme`) and, when that is
        BIOES, checks every sentence strictly against it (so BIOES mixed with IOB1-style
        ``I-`` starts is refused; IOB1 and IOB2 are both read leniently and never mix-checked);
        a declared scheme is checked strictly, sentence by sentence. ``lines`` (one per
        sentence) are the lines of a file that error messages name.
        """
        checks.choice("scheme", scheme, ("auto", *SCHEMES), error=GrukitDataError)
        token_lists = [[str(token) for token in sentence] for sentence in tokens]
        if not token_lists:
            raise GrukitDataError(f"`tokens` must hold at least one sentence, got 0 ({source})")
        starts = None if lines is None else [int(line) for line in lines]
        if starts is not None and len(starts) != len(token_lists):
            raise GrukitDataError(
                f"`lines` must hold one line number per sentence ({len(token_lists)}), "
                f"got {len(starts)} ({source})"
            )
        read = cls(token_lists, None, "IOB2" if scheme == "auto" else scheme, source, starts)
        for index, sentence in enumerate(token_lists):
            if not sentence:
                raise GrukitDataError(f"{read.where(index)} of {source} has no tokens")
        if labels is None:
            return read
        label_lists = [[str(label) for label in sentence] for sentence in labels]
        if len(label_lists) != len(token_lists):
            raise GrukitDataError(
                f"`labels` must hold one list per sentence ({len(token_lists)}), "
                f"got {len(label_lists)} ({source})"
            )
        for index, (words, tags) in enumerate(zip(token_lists, label_lists, strict=True)):
            if len(words) != len(tags):
                raise GrukitDataError(
                    f"{read.where(index)} of {source} has {len(words)} tokens but "
                    f"{len(tags)} labels"
                )
        read.labels = label_lists
        if scheme == "auto":
            read.scheme = detect_scheme(label_lists)
            if read.scheme == "BIOES":
                read._check_not_mixed()
        else:
            for index, tags in enumerate(label_lists):
                check_sequence(tags, scheme, f"{read.where(index)} of {source}")
        return read

    def _check_not_mixed(self) -> None:
        """Refuse labels detected as BIOES of which a sentence is not valid BIOES."""
        for index, tags in enumerate(self.labels or []):
            found = sequence_problem(tags, "BIOES", f"{self.where(index)} of {self.source}")
            if found is not None:
                position, problem = found
                reads = "the file reads" if self.lines is not None else "they read"
                raise GrukitDataError(
                    f"labels of {self.source} mix schemes: {reads} as BIOES (E- or S- labels) "
                    f"but {self.where(index)} is not valid BIOES (label {tags[position]!r} at "
                    f"position {position} {problem})"
                )

    def to_scheme(self, target: str, *, strict: bool = True) -> TaggedSentences:
        """These sentences with their labels converted to the ``target`` scheme.

        ``strict`` refuses a sentence invalid in ``self.scheme`` (naming its line); ``False``
        converts every sentence through conlleval's lenient spans (:func:`convert_tags`), for
        labels with slips such as WNUT 2017's dev file (an IOB2 file with one entity begun by
        ``I-``, so detected as IOB1) or a tagger's predictions.
        """
        checks.choice("target", target, SCHEMES, error=GrukitDataError)
        checks.flag("strict", strict, error=GrukitDataError)
        if self.labels is None:
            return dataclasses.replace(self, scheme=target)
        converted = []
        for index, tags in enumerate(self.labels):
            if strict:
                check_sequence(tags, self.scheme, f"{self.where(index)} of {self.source}")
            converted.append(convert_tags(tags, self.scheme, target, strict=False))
        return dataclasses.replace(self, labels=converted, scheme=target)


def check_types(sentences: TaggedSentences, known: Sequence[str]) -> None:
    """Raise unless every entity type in ``sentences``' labels is one of ``known``.

    A model that knows the types ``known`` (say ``["LOC", "MISC", "ORG", "PER"]``) cannot be
    scored on, or trained further with, labels of another type: the message names the source,
    the sentence (by its line when read from a file), the type and the label. Unlabelled
    sentences pass.
    """
    if isinstance(known, str):
        raise GrukitDataError(f"`known` must be a sequence of entity types, got the str {known!r}")
    names = {str(kind) for kind in known}
    for index, tags in enumerate(sentences.labels or []):
        for label in tags:
            kind = label.partition("-")[2]
            if label != "O" and kind not in names:
                listed = ", ".join(sorted(names)) or "none"
                raise GrukitDataError(
                    f"{sentences.source}: {sentences.where(index)} has the entity type {kind!r} "
                    f"(label {label!r}) that the model does not know; known types: {listed}"
                )


def _column(name: str, value: int, count: int, path: Path) -> int:
    """``value`` as an index into ``count`` columns (negative counts from the end)."""
    index = checks.integer(name, value, error=GrukitDataError)
    if not -count <= index < count:
        raise GrukitDataError(
            f"`{name}` must be a column index in [{-count}, {count - 1}] of {path} "
            f"({count} columns), got {index}"
        )
    return index % count


def _text(path: Path) -> str:
    """The text of a CoNLL file, refused when missing, empty, binary or not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise GrukitDataError(f"cannot read the CoNLL file {path}: {error}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GrukitDataError(f"the CoNLL file {path} is UTF-16 text: re-encode it as UTF-8")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise GrukitDataError(
            f"the CoNLL file {path} is not text: line {line} holds a NUL byte (a binary file?)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise GrukitDataError(
            f"the CoNLL file {path} is not UTF-8 text: byte 0x{data[error.start]:02x} on line "
            f"{line} is not UTF-8 (re-encode the file as UTF-8)"
        ) from None
    if not text.replace("\ufeff", "").strip():
        raise GrukitDataError(f"the CoNLL file {path} is empty ({len(data)} bytes, no tokens)")
    return text


def _read_rows(path: Path) -> list[list[tuple[int, list[str]]]]:
    """The sentences of a CoNLL file as lists of ``(line number, columns)``."""
    sentences: list[list[tuple[int, list[str]]]] = []
    current: list[tuple[int, list[str]]] = []
    width, first = 0, 0
    for number, line in enumerate(_text(path).split("\n"), start=1):
        columns = line.lstrip("\ufeff").split()
        if not columns or columns[0] == DOCSTART:
            if current:
                sentences.append(current)
            current = []
            continue
        width, first = (width, first) if width else (len(columns), number)
        if len(columns) != width:
            counted = "1 column" if len(columns) == 1 else f"{len(columns)} columns"
            raise GrukitDataError(
                f"line {number} of {path} has {counted}, expected {width} like line {first}, "
                "the file's first token line (a token or label missing, or a space in one?)"
            )
        current.append((number, columns))
    if current:
        sentences.append(current)
    if not sentences:
        raise GrukitDataError(
            f"the CoNLL file {path} holds no sentences (only blank and {DOCSTART} lines)"
        )
    return sentences


def read_conll(
    path: str | os.PathLike[str],
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
        line between sentences; ``-DOCSTART-`` lines are skipped, a byte-order mark at the
        start of a line is dropped. Every non-blank line has the column count of the file's
        first.
    label_column : int or None, default -1
        The column of the labels (negative counts from the end); None for unlabelled text.
    token_column : int, default 0
        The column of the tokens.
    scheme : {"auto", "IOB1", "IOB2", "BIOES"}, default "auto"
        The labels' scheme: detected (:func:`detect_scheme`; a file detected as BIOES has
        every sentence checked strictly, so BIOES mixed with another scheme is refused) or
        declared and checked strictly. The labels are kept as written;
        :meth:`TaggedSentences.to_scheme` converts them.

    Returns
    -------
    TaggedSentences
        With ``lines``, the line each sentence starts on.

    Raises
    ------
    GrukitDataError
        An unreadable, empty, binary or non-UTF-8 file, a line with another column count, one
        column only (when labelled), a file without sentences, or labels invalid in the
        declared scheme or mixing schemes, each naming the file and line.
    """
    path = Path(path)
    checks.choice("scheme", scheme, ("auto", *SCHEMES), error=GrukitDataError)
    rows = _read_rows(path)
    lines = [sentence[0][0] for sentence in rows]
    width = len(rows[0][0][1])
    tokens_at = _column("token_column", token_column, width, path)
    tokens = [[columns[tokens_at] for _, columns in sentence] for sentence in rows]
    if label_column is None:
        return TaggedSentences.from_lists(
            tokens, None, scheme=scheme, source=str(path), lines=lines
        )
    if width == 1:
        raise GrukitDataError(
            f"line {lines[0]} of {path} has one column; a labelled CoNLL file needs a token and "
            "a label column (pass label_column=None to read unlabelled text)"
        )
    labels_at = _column("label_column", label_column, width, path)
    if labels_at == tokens_at:
        raise GrukitDataError(
            f"`label_column` ({label_column}) and `token_column` ({token_column}) are the same "
            f"column {labels_at} of {path}"
        )
    labels = [[columns[labels_at] for _, columns in sentence] for sentence in rows]
    return TaggedSentences.from_lists(tokens, labels, scheme=scheme, source=str(path), lines=lines)


def write_conll(
    sentences: TaggedSentences,
    path: str | os.PathLike[str],
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
