"""The Large Movie Review Dataset (IMDB, Maas et al. 2011) in its original layout.

``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``: one UTF-8 review per file, HTML line
breaks as ``<br />`` (left in the text: the tokenisers strip them). Read from the extracted
folder or straight from ``aclImdb_v1.tar.gz``, streamed member by member without extracting
anything to disk. Members with an absolute name or a ``..`` part are refused, as are links
and review files over :data:`MAX_REVIEW_BYTES`; ``train/unsup`` is ignored.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pandas as pd

from grukit import checks, io
from grukit.data._errors import GrukitDataError

__all__ = ["MAX_REVIEW_BYTES", "SPLITS", "read_imdb"]

SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}
#: the largest review file read (the longest IMDB review is about 14 kB)
MAX_REVIEW_BYTES = 2**20


def read_imdb(path: str | os.PathLike, split: str = "train") -> pd.DataFrame:
    """The labelled reviews of one split of IMDB.

    Parameters
    ----------
    path : str or os.PathLike
        ``aclImdb_v1.tar.gz`` (or any tar, compressed or not, holding ``aclImdb/``), the
        extracted ``aclImdb`` folder, or a folder that holds ``aclImdb``.
    split : {"train", "test"}, default "train"

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` (str), ``label`` (int64: 1 for ``pos``, 0 for ``neg``) and ``file``
        (the path inside ``aclImdb``, e.g. ``"train/pos/0_9.txt"``), sorted by ``file``, index
        0..N-1. The real dataset has 25,000 rows per split, 12,500 per class.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    grukit.data.GrukitDataError
        No review of a class in the split, a review that is not UTF-8 or too large, a link, an
        unsafe tar member, or a damaged archive (one line naming the file or member).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "aclImdb"
    >>> for label, text in [("pos", "Loved it.<br />Again!"), ("neg", "Dull.")]:
    ...     (root / "test" / label).mkdir(parents=True)
    ...     _ = (root / "test" / label / f"0_{9 if label == 'pos' else 2}.txt").write_text(text)
    >>> read_imdb(root, split="test").to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'text': ['Dull.', 'Loved it.<br />Again!'], 'label': [0, 1],
     'file': ['test/neg/0_2.txt', 'test/pos/0_9.txt']}
    """
    split = checks.choice("split", split, SPLITS, error=GrukitDataError)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"IMDB dataset '{path}' does not exist")
    if path.is_dir():
        rows = list(_read_folder(_folder_root(path), split))
    else:
        rows = list(_read_tar(path, split))
    for name, label in LABELS.items():
        if not any(row[1] == label for row in rows):
            raise GrukitDataError(
                f"IMDB dataset '{path}' has no reviews in aclImdb/{split}/{name}/ (expected "
                f"the original layout aclImdb/{{train,test}}/{{pos,neg}}/*.txt)"
            )
    frame = pd.DataFrame(rows, columns=["text", "label", "file"])
    frame["label"] = frame["label"].astype("int64")
    return frame.sort_values("file", kind="stable", ignore_index=True)


def _label(parts: tuple[str, ...], split: str) -> int | None:
    """The label of a review path relative to ``aclImdb`` (``split/pos/x.txt``), or None."""
    if len(parts) == 3 and parts[0] == split and parts[1] in LABELS and parts[2].endswith(".txt"):
        return LABELS[parts[1]]
    return None


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GrukitDataError(f"{where} is not UTF-8 text (byte {error.start})") from None


def _too_large(size: int, where: str) -> GrukitDataError:
    return GrukitDataError(
        f"{where} is {size} bytes; a review is at most {MAX_REVIEW_BYTES} (not an IMDB review?)"
    )


# ----------------------------------------------------------------------------- extracted folder


def _folder_root(path: Path) -> Path:
    """``path`` itself when it holds ``train/`` or ``test/``, else ``path/aclImdb``."""
    if (path / "aclImdb").is_dir() and not any((path / split).is_dir() for split in SPLITS):
        return path / "aclImdb"
    return path


def _read_folder(root: Path, split: str) -> Iterator[tuple[str, int, str]]:
    for name, label in LABELS.items():
        folder = root / split / name
        if not folder.is_dir():
            continue
        for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
            if not entry.name.endswith(".txt"):
                continue
            relative = f"{split}/{name}/{entry.name}"
            where = f"IMDB review '{folder / entry.name}'"
            if not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                raise GrukitDataError(f"{where} is not a regular file (a link?); refusing it")
            with io.open_regular_file(entry.path, description="IMDB review") as (handle, size):
                if size > MAX_REVIEW_BYTES:
                    raise _too_large(size, where)
                data = io.read_exactly(handle, size, entry.path, "IMDB review")
            yield _decode(data, where), label, relative


# ----------------------------------------------------------------------------- tar archive


def _member_parts(member: tarfile.TarInfo, path: Path) -> tuple[str, ...]:
    """The parts of a member's name inside ``aclImdb/``; an unsafe name is an error."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or "\\" in member.name:
        raise GrukitDataError(
            f"IMDB archive '{path}' has a member with an unsafe name {member.name!r} (absolute "
            "or with '..'); refusing the archive"
        )
    parts = tuple(part for part in name.parts if part != ".")
    return parts[1:] if parts[:1] == ("aclImdb",) else parts


def _read_tar(path: Path, split: str) -> Iterator[tuple[str, int, str]]:
    description = "IMDB archive"
    with io.open_regular_file(path, description=description) as (handle, _):
        try:
            with tarfile.open(fileobj=handle, mode="r|*") as archive:
                for member in archive:
                    parts = _member_parts(member, path)
                    label = _label(parts, split)
                    if label is None:
                        continue
                    where = f"IMDB archive '{path}' member {member.name!r}"
                    if not member.isfile():
                        raise GrukitDataError(f"{where} is not a regular file (a link?)")
                    if member.size > MAX_REVIEW_BYTES:
                        raise _too_large(member.size, where)
                    data = archive.extractfile(member).read()  # type: ignore[union-attr]
                    yield _decode(data, where), label, "/".join(parts)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
            if isinstance(error, FileNotFoundError):
                raise
            raise GrukitDataError(
                f"IMDB archive '{path}' is not a readable tar archive ({error})"
            ) from None
