"""What :class:`grukit.SequenceGenerator` reads: a corpus of token documents or of piano rolls.

Text (``level="char"`` or ``"word"``): a text file, a folder of ``.txt`` files (sorted by name),
a list of strings (one document each) or a :class:`Corpus`. At word level a document is split
on white space and every line ends with ``<eos>`` (the Penn Treebank language-model protocol of
Mikolov and of Zaremba et al. 2014: ``ptb.train.txt`` is read exactly as they read it); at
character level every character is a token, the line ends included.

Monophonic melodies (``level="note"``): MIDI files (a file or a folder of ``.mid``/``.midi``
files), each read as the highest pitch per frame (:func:`grukit.data.music.read_melody`), or
lists of MIDI pitch numbers (-1 a rest); the tokens are the pitch numbers as text and ``rest``.

Polyphonic music (``level="music"``): the benchmark ``.mat`` piano rolls
(:func:`grukit.data.music.read_piano_rolls`; training reads ``train``, the default validation
``valid``, evaluation ``test``), MIDI files, or a list of (T, 88) 0/1 arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grukit.data._errors import GrukitDataError

__all__ = ["EOS", "LEVELS", "REST", "Corpus", "read_corpus"]

LEVELS = ("char", "word", "note", "music")
EOS = "<eos>"
REST = "rest"
_MIDI = (".mid", ".midi")
_TEXT_LIMIT = 2**31  # characters of one corpus (ids are int64, memory is the bound)


@dataclass(frozen=True)
class Corpus:
    """Documents as token lists (text, melodies) or as (T, 88) uint8 piano rolls (music)."""

    level: str
    documents: list[Any]
    source: str = "<data>"

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def size(self) -> int:
        """Tokens (or frames) in all documents."""
        return int(sum(len(document) for document in self.documents))


def _tokens_of_text(text: str, level: str, lower: bool) -> list[str]:
    if lower:
        text = text.lower()
    if level == "char":
        return list(text)
    tokens: list[str] = []
    for line in text.splitlines():
        tokens.extend(line.split())
        tokens.append(EOS)
    return tokens


def _read_text_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise GrukitDataError(
            f"'{path}' is not UTF-8 text (byte {error.start}); expected a text file"
        ) from None
    except OSError as error:
        raise GrukitDataError(f"cannot read '{path}': {error.strerror}") from None


def _folder_files(folder: Path, suffixes: Sequence[str], what: str) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if not files:
        raise GrukitDataError(f"folder '{folder}' has no {what} files ({', '.join(suffixes)})")
    return files


def _read_path(path: Path, level: str, lower: bool, split: str) -> list[Any]:
    if not path.exists():
        raise GrukitDataError(f"corpus '{path}' does not exist")
    if level == "music":
        from grukit.data.music import read_midi, read_piano_rolls

        if path.is_dir():
            return [read_midi(p) for p in _folder_files(path, _MIDI, "MIDI")]
        if path.suffix.lower() == ".mat":
            return list(read_piano_rolls(path, split=split))
        return [read_midi(path)]
    if level == "note":
        from grukit.data.music import read_melody

        files = _folder_files(path, _MIDI, "MIDI") if path.is_dir() else [path]
        return [_melody_tokens(read_melody(p), str(p)) for p in files]
    files = _folder_files(path, (".txt",), "text") if path.is_dir() else [path]
    return [_tokens_of_text(_read_text_file(p), level, lower) for p in files]


def _melody_tokens(pitches: Sequence[Any], where: str) -> list[str]:
    tokens = []
    for index, pitch in enumerate(pitches):
        if isinstance(pitch, bool) or not isinstance(pitch, (int, np.integer)):
            raise GrukitDataError(
                f"{where}: note {index} is {pitch!r}; expected a MIDI pitch (an int) or -1"
            )
        if not (pitch == -1 or 0 <= pitch <= 127):
            raise GrukitDataError(
                f"{where}: note {index} is {pitch}; expected a MIDI pitch 0..127 or -1 (a rest)"
            )
        tokens.append(REST if pitch == -1 else str(int(pitch)))
    return tokens


def _roll(value: Any, where: str) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 2 or array.shape[1] != 88:
        raise GrukitDataError(
            f"{where} has shape {array.shape}; expected a (frames, 88) piano roll"
        )
    if array.size and not np.isin(array, (0, 1)).all():
        raise GrukitDataError(f"{where} holds values other than 0 and 1; expected a 0/1 roll")
    return np.ascontiguousarray(array, dtype=np.uint8)


def _read_list(data: Sequence[Any], level: str, lower: bool) -> list[Any]:
    documents: list[Any] = []
    for index, item in enumerate(data):
        where = f"document {index}"
        if level == "music":
            documents.append(_roll(item, where))
        elif level == "note":
            documents.append(_melody_tokens(list(item), where))
        elif isinstance(item, str):
            documents.append(_tokens_of_text(item, level, lower))
        else:
            raise GrukitDataError(f"{where} is a {type(item).__name__}; expected a string of text")
    return documents


def read_corpus(data: Any, level: str, *, lower: bool = False, split: str = "train") -> Corpus:
    """The :class:`Corpus` of `data` at `level`; `split` names the part of a ``.mat`` file.

    Raises :class:`grukit.data.GrukitDataError` for a missing or unreadable file, an empty
    corpus, or a document of the wrong kind.
    """
    if isinstance(data, Corpus):
        if data.level != level:
            raise GrukitDataError(f"the corpus is at level {data.level!r}; expected {level!r}")
        corpus = data
    elif isinstance(data, (str, Path)):
        path = Path(data)
        corpus = Corpus(level, _read_path(path, level, lower, split), str(path))
    elif isinstance(data, (Sequence, np.ndarray)):
        if isinstance(data, np.ndarray) and data.ndim == 2:
            data = [data]  # one piano roll
        corpus = Corpus(level, _read_list(list(data), level, lower))
    else:
        raise GrukitDataError(
            f"cannot read a corpus from a {type(data).__name__}; expected a file, a folder, "
            "or a list of strings (notes, piano rolls)"
        )
    corpus = Corpus(level, [d for d in corpus.documents if len(d)], corpus.source)
    if corpus.size == 0:
        raise GrukitDataError(f"the corpus {corpus.source} is empty; expected some text or music")
    if corpus.size > _TEXT_LIMIT:
        raise GrukitDataError(
            f"the corpus {corpus.source} has {corpus.size:,} tokens; at most {_TEXT_LIMIT:,}"
        )
    return corpus
