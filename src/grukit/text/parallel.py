"""Parallel text for translation: sentence pairs read from two files, a two-column table or
lists.

:func:`read_parallel` takes

- two text files, ``read_parallel("train.de.gz", "train.en.gz")``: UTF-8, one sentence a line,
  line *i* of one translating line *i* of the other; gzip-compressed when the name ends in
  ``.gz``; ``\\n`` or ``\\r\\n`` line ends; the newline ending the last line does not start
  another sentence; a byte-order mark at the start is dropped;
- one table of two columns, source then target: ``pairs.tsv`` (tab separated, no quoting: a
  ``"`` is text, one row a line) or ``pairs.csv`` (the :mod:`csv` module's dialect, quoted
  fields allowed), either of them also ``.gz``. No header, unless the first row is exactly
  ``source``, ``target`` (any case, surrounding spaces ignored): then it is skipped;
- lists: ``read_parallel(["Hallo"], ["Hello"])`` or pairs ``read_parallel([("Hallo", "Hello")])``;
- a :class:`ParallelText`, returned as it is.

Every sentence is stripped of surrounding white space. Bad input is refused with one line
(:class:`grukit.data.GrukitDataError`) naming the file and line, or the list item: a missing
file, an empty corpus, files with different line counts, a pair with an empty side, a table row
without two columns, bytes that are not UTF-8, more pairs than ``max_lines`` (counted while
reading: nothing past the cap is read).

>>> text = read_parallel([("Hallo ", "Hello"), ("Danke.", "Thanks.")])
>>> len(text), text.sources, text.source
(2, ['Hallo', 'Danke.'], '<memory>')
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = ["ParallelText", "read_lines", "read_parallel"]

MEMORY = "<memory>"
_TABLES = {".tsv": "TSV", ".csv": "CSV"}
_HEADER = ("source", "target")


@dataclasses.dataclass(frozen=True)
class ParallelText:
    """Sentence pairs: ``targets[i]`` translates ``sources[i]``.

    Attributes
    ----------
    sources : list of str
        The source sentences.
    targets : list of str
        The target sentences, as many as ``sources``.
    source : str
        Where the pairs came from, for messages: ``"train.de.gz + train.en.gz"``,
        ``"pairs.tsv"`` or ``"<memory>"``.
    """

    sources: list[str]
    targets: list[str]
    source: str = MEMORY

    def __post_init__(self) -> None:
        if len(self.sources) != len(self.targets):
            raise GrukitDataError(
                f"a ParallelText needs as many targets as sources, got {len(self.sources)} "
                f"sources and {len(self.targets)} targets ({self.source})"
            )

    def __len__(self) -> int:
        return len(self.sources)

    def pairs(self) -> list[tuple[str, str]]:
        """The ``(source, target)`` pairs, in order."""
        return list(zip(self.sources, self.targets, strict=True))


def _table_kind(path: Path) -> str | None:
    """``"TSV"``, ``"CSV"`` or None (not a table), from the name (``.gz`` looked through)."""
    name = path.name.lower()
    name = name[:-3] if name.endswith(".gz") else name
    return _TABLES.get(os.path.splitext(name)[1])


def _lines(path: Path, role: str, limit: int | None) -> Iterator[str]:
    """The lines of ``path`` with their line ends, decoded from UTF-8 (gzip by the ``.gz``
    suffix); more than ``limit`` lines are refused before line ``limit + 1`` is used."""
    if not path.exists():
        raise GrukitDataError(f"the {role} file '{path}' does not exist")
    if not path.is_file():
        raise GrukitDataError(f"the {role} file '{path}' is not a regular file")
    compressed = path.name.lower().endswith(".gz")
    number = 0
    try:
        with open(path, "rb") as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
            for number, data in enumerate(stream, start=1):
                if limit is not None and number > limit:
                    raise GrukitDataError(
                        f"the {role} file '{path}' has more than {limit} lines, the cap "
                        f"`max_lines`={limit}"
                    )
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise GrukitDataError(
                        f"line {number} of the {role} file '{path}' is not UTF-8 text: byte "
                        f"0x{data[error.start]:02x} at column {error.start + 1} (re-encode the "
                        "file as UTF-8)"
                    ) from None
                yield text.lstrip("\ufeff") if number == 1 else text
    except (OSError, EOFError, zlib.error) as error:
        after = f" after line {number}" if number else ""
        raise GrukitDataError(f"the {role} file '{path}' cannot be read{after}: {error}") from None


def read_lines(path: str | os.PathLike[str], *, max_lines: int | None = None) -> list[str]:
    """The lines of a UTF-8 text file (plain or .gz by the suffix), without their line ends
    and surrounding white space; e.g. the sentences ``grukit translate --input`` reads."""
    lines = _lines(Path(path), "input", max_lines)
    return [line.strip() for line in lines]


def _check_pairs(
    sources: list[str], targets: list[str], where: Callable[[int, str], str], source: str
) -> ParallelText:
    """The stripped pairs, refused when there are none or a pair has an empty side."""
    if not sources:
        raise GrukitDataError(f"{source} holds no sentence pairs")
    sources = [text.strip() for text in sources]
    targets = [text.strip() for text in targets]
    for index, (first, second) in enumerate(zip(sources, targets, strict=True)):
        if not first and not second:
            raise GrukitDataError(
                f"{where(index, 'both')}: both sides are empty (a blank line? every pair needs "
                "a source and a target)"
            )
        if not first:
            raise GrukitDataError(
                f"{where(index, 'source')}: the source side is empty (its target is {second!r:.80})"
            )
        if not second:
            raise GrukitDataError(
                f"{where(index, 'target')}: the target side is empty (its source is {first!r:.80})"
            )
    return ParallelText(sources, targets, source)


def _read_two_files(first: Path, second: Path, limit: int | None) -> ParallelText:
    sources = list(_lines(first, "source", limit))
    targets = list(_lines(second, "target", limit))
    for role, path, lines in (("source", first, sources), ("target", second, targets)):
        if not lines:
            raise GrukitDataError(f"the {role} file '{path}' is empty (no lines)")
    if len(sources) != len(targets):
        raise GrukitDataError(
            f"'{first}' has {len(sources)} lines and '{second}' has {len(targets)}: line i of "
            "one must translate line i of the other"
        )

    def where(index: int, side: str) -> str:
        named = {"source": f"'{first}'", "target": f"'{second}'"}
        return f"line {index + 1} of " + named.get(side, f"'{first}' + '{second}'")

    return _check_pairs(sources, targets, where, f"{first} + {second}")


def _read_table(path: Path, kind: str, limit: int | None) -> ParallelText:
    lines = _lines(path, kind, None)
    if kind == "TSV":
        reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(lines)
    sources: list[str] = []
    targets: list[str] = []
    numbers: list[int] = []
    try:
        for row in reader:
            if reader.line_num == 1 and tuple(cell.strip().lower() for cell in row) == _HEADER:
                continue
            if len(row) not in (0, 2):
                what = "1 column" if len(row) == 1 else f"{len(row)} columns"
                what = "no tab" if kind == "TSV" and len(row) == 1 else what
                raise GrukitDataError(
                    f"line {reader.line_num} of the {kind} file '{path}' has {what}: expected 2 "
                    f"columns, source and target, got {row!r:.80}"
                )
            if limit is not None and len(sources) == limit:
                raise GrukitDataError(
                    f"the {kind} file '{path}' has more than {limit} pairs, the cap "
                    f"`max_lines`={limit}"
                )
            sources.append(row[0] if row else "")
            targets.append(row[1] if row else "")
            numbers.append(reader.line_num)
    except csv.Error as error:
        raise GrukitDataError(
            f"line {reader.line_num} of the {kind} file '{path}' cannot be parsed: {error}"
        ) from None
    return _check_pairs(
        sources, targets, lambda index, side: f"line {numbers[index]} of '{path}'", str(path)
    )


def _strings(values: Any, name: str) -> list[str]:
    return checks.strings(name, values, error=GrukitDataError)


def _from_lists(data: Any, target: Any) -> ParallelText:
    if target is None:
        sources, targets = [], []
        for index, pair in enumerate(data):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise GrukitDataError(
                    f"`data[{index}]` must be a (source, target) pair of str, got "
                    f"{type(pair).__name__} {pair!r:.60}"
                )
            for side, value in zip(("source", "target"), pair, strict=True):
                if not isinstance(value, str):
                    raise GrukitDataError(
                        f"the {side} of `data[{index}]` must be a str, got "
                        f"{type(value).__name__} {value!r:.60}"
                    )
            sources.append(pair[0])
            targets.append(pair[1])
    else:
        sources, targets = _strings(data, "data"), _strings(target, "target")
        if len(sources) != len(targets):
            raise GrukitDataError(
                f"`data` holds {len(sources)} sources and `target` {len(targets)} targets: item "
                "i of one must translate item i of the other"
            )
    return _check_pairs(sources, targets, lambda index, side: f"item {index} of the lists", MEMORY)


def read_parallel(data: Any, target: Any = None, *, max_lines: int | None = None) -> ParallelText:
    """Sentence pairs from two parallel files, one two-column table, lists or pairs.

    Parameters
    ----------
    data : path, list or ParallelText
        The source file (with ``target`` the target file); a ``.tsv``/``.csv`` table (also
        ``.gz``) of source, target rows (``target`` not given); a list of source sentences
        (with ``target`` the list of target sentences); a list of ``(source, target)`` pairs;
        or a :class:`ParallelText`, returned unchanged.
    target : path or list, optional
        The target side, when ``data`` is the source side only.
    max_lines : int, optional
        Refuse more pairs (file lines, table rows) than this; files are read no further.

    Returns
    -------
    ParallelText
        Stripped sentences; ``source`` names the files (``"a.de + a.en"``) or ``"<memory>"``.

    Raises
    ------
    grukit.data.GrukitDataError
        One line naming the file and line (or list item) and the problem.

    Examples
    --------
    >>> read_parallel(["Guten Tag", "Tschüss"], ["Good day", "Bye"]).pairs()
    [('Guten Tag', 'Good day'), ('Tschüss', 'Bye')]
    """
    if max_lines is not None:
        max_lines = checks.positive_int("max_lines", max_lines, error=GrukitDataError)
    if isinstance(data, ParallelText):
        if target is not None:
            raise GrukitDataError("`target` must not be given with a ParallelText (it has both)")
        text = data
    elif isinstance(data, (str, os.PathLike)):
        text = _read_files(Path(data), target, max_lines)
    elif isinstance(data, (list, tuple)):
        if target is not None and not isinstance(target, (list, tuple)):
            raise GrukitDataError(
                f"`target` must be a list of str like `data`, got {type(target).__name__}"
            )
        text = _from_lists(data, target)
    else:
        raise GrukitDataError(
            "`data` must be a file path, a list of str, a list of (source, target) pairs or a "
            f"ParallelText, got {type(data).__name__}"
        )
    if max_lines is not None and len(text) > max_lines:
        raise GrukitDataError(
            f"{text.source} holds {len(text)} pairs, more than `max_lines`={max_lines}"
        )
    return text


def _read_files(path: Path, target: Any, limit: int | None) -> ParallelText:
    kind = _table_kind(path)
    if target is None:
        if kind is None:
            raise GrukitDataError(
                f"`target` is missing: one file must be a .tsv or .csv table of source, target "
                f"rows, got '{path}' (give the target file too for two parallel text files)"
            )
        return _read_table(path, kind, limit)
    if kind is not None:
        raise GrukitDataError(
            f"`target` must not be given with the {kind} file '{path}' (it holds both sides)"
        )
    if not isinstance(target, (str, os.PathLike)):
        raise GrukitDataError(
            f"`target` must be a file path like `data`, got {type(target).__name__}"
        )
    return _read_two_files(path, Path(target), limit)
