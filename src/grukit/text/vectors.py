"""Pre-trained word vectors (word2vec or GloVe text format) for the words of a vocabulary.

The file is read line by line (plain or gzip-compressed, told apart by its first bytes); only
the vectors of vocabulary words are kept, so memory stays at the size of the returned matrix
whatever the size of the file. Each line is ``word v1 v2 ... vD`` separated by spaces; a first
line of exactly two integers ``count dim`` is word2vec's header (checked against the file). A word
may contain spaces (a few lines of ``glove.840B``) when what precedes the last ``D`` values is
not all numbers; any other line with the wrong number of values is an error naming the file and
line. The number of values is checked on every line; the values themselves (finite numbers) are
parsed only for vocabulary words, which keeps a 400,000-word file quick to scan.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from grukit import checks, io
from grukit.data._errors import GrukitDataError
from grukit.text.vocabulary import PAD, Vocabulary

__all__ = ["load_vectors"]

_GZIP_MAGIC = b"\x1f\x8b"


@contextlib.contextmanager
def _lines(path: Path) -> Iterator[Iterator[bytes]]:
    """The lines of ``path`` (bytes), decompressed when it is gzip; errors name the file."""
    with io.open_regular_file(path, description="vectors file") as (handle, _):
        stream: IO[bytes] = handle
        if handle.read(2) == _GZIP_MAGIC:
            handle.seek(0)
            stream = gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[assignment]
        else:
            handle.seek(0)
        try:
            yield iter(stream)
        except (OSError, EOFError, zlib.error) as error:
            raise GrukitDataError(f"vectors file '{path}' cannot be read: {error}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _header(fields: list[str]) -> tuple[int, int] | None:
    if len(fields) == 2 and all(field.isdigit() for field in fields):
        return int(fields[0]), int(fields[1])
    return None


def _split(text: str, dim: int, where: str) -> tuple[str, list[str]]:
    """``(word, values)`` of one line of ``dim`` values, or an error naming ``where``."""
    fields = text.split()
    if len(fields) > dim + 1 and not all(_is_number(field) for field in fields[1:-dim]):
        return " ".join(fields[:-dim]), fields[-dim:]  # a word with spaces
    if len(fields) != dim + 1:
        raise GrukitDataError(
            f"{where} has {len(fields) - 1} values after the word, expected {dim} (a ragged "
            "or truncated line)"
        )
    return fields[0], fields[1:]


def _vector(values: list[str], where: str) -> np.ndarray:
    try:
        vector = np.array(values, dtype=np.float32)
    except ValueError:
        bad = next(value for value in values if not _is_number(value))
        raise GrukitDataError(f"{where} has a value that is not a number: {bad!r:.40}") from None
    if not np.isfinite(vector).all():
        raise GrukitDataError(f"{where} has a value that is not finite (NaN or infinity)")
    return vector


def load_vectors(
    path: str | os.PathLike, vocab: Vocabulary, *, dim: int | None = None
) -> tuple[np.ndarray, int]:
    """The vectors of ``vocab``'s words from a word2vec/GloVe text file (optionally gzip).

    Parameters
    ----------
    path : str or os.PathLike
        The vectors file, ``.txt`` or gzip-compressed (``.gz``); a word2vec header line
        ``count dim`` is optional.
    vocab : Vocabulary
        Row ``i`` of the result is the vector of ``vocab.tokens[i]``.
    dim : int, optional
        The expected vector size; by default the header's, or that of the first line (whose
        word must then have no spaces).

    Returns
    -------
    matrix : numpy.ndarray of float32, shape (len(vocab), dim)
        The vectors of the words found in the file; the other rows are zero, for the caller to
        fill (the ``<pad>`` row is never filled). A word listed twice keeps its first vector.
    found : int
        How many rows were filled.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    grukit.data.GrukitDataError
        One line naming the file (and line): a ragged line, a value that is not a finite
        number, a size other than ``dim`` or the header's, fewer or more lines than the header
        says, no vectors at all, or a damaged gzip stream.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "vectors.txt").write_text("2 3\\ngood 1 2 3\\nbad -1 0 0.5\\n")
    >>> matrix, found = load_vectors(folder / "vectors.txt", Vocabulary(["bad", "film"]))
    >>> matrix.tolist(), found
    ([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 0.5], [0.0, 0.0, 0.0]], 1)
    """
    if not isinstance(vocab, Vocabulary):
        raise GrukitDataError(f"`vocab` must be a Vocabulary, got {type(vocab).__name__}")
    if dim is not None:
        dim = checks.positive_int("dim", dim, error=GrukitDataError)
    path = Path(path)
    matrix: np.ndarray | None = None
    filled = np.zeros(len(vocab), dtype=bool)
    declared: int | None = None
    vectors = 0
    with _lines(path) as lines:
        for number, raw in enumerate(lines, start=1):
            where = f"vectors file '{path}' line {number}"
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as error:
                raise GrukitDataError(f"{where} is not UTF-8 (byte {error.start})") from None
            if not text:
                continue
            if matrix is None:
                header = _header(text.split()) if vectors == 0 and declared is None else None
                if header is not None:
                    declared, size = header
                    dim = _check_dim(dim, size, f"{where} (the header)")
                    continue
                if dim is None:  # else the line is checked against `dim` as any other
                    dim = _check_dim(None, len(text.split()) - 1, where)
                matrix = np.zeros((len(vocab), dim), dtype=np.float32)
            word, values = _fast_split(text, dim, where)  # type: ignore[arg-type]
            vectors += 1
            row = vocab.index(word) if word in vocab and word != PAD else -1
            if row >= 0 and not filled[row]:
                matrix[row] = _vector(values, where)
                filled[row] = True
    if matrix is None:
        raise GrukitDataError(f"vectors file '{path}' has no vectors")
    if declared is not None and declared != vectors:
        raise GrukitDataError(
            f"vectors file '{path}' has {vectors} vectors but its header says {declared} "
            "(truncated?)"
        )
    return matrix, int(filled.sum())


def _check_dim(dim: int | None, size: int, where: str) -> int:
    if size < 1:
        raise GrukitDataError(f"{where} has no values after the word")
    if dim is not None and size != dim:
        raise GrukitDataError(f"{where} gives vectors of size {size}, expected dim={dim}")
    return size


def _fast_split(text: str, dim: int, where: str) -> tuple[str, list[str]]:
    if text.count(" ") == dim and "\t" not in text:
        fields = text.split(" ")
        if all(fields):
            return fields[0], fields[1:]
    return _split(text, dim, where)
