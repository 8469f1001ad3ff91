"""The IMDB reader: a tiny synthetic dataset as a folder and as tar archives, unsafe members
refused, and the real archive when the shared data folder has it."""

import io
import tarfile
import time

import pytest

from grukit.data import GrukitDataError
from grukit.text import read_imdb
from support.datasets import IMDB

REVIEWS = {
    "train/pos/10_9.txt": "Great film.<br />Loved it!",
    "train/pos/2_8.txt": "Good.",
    "train/neg/1_1.txt": "Awful.",
    "test/pos/0_10.txt": "Superb.",
    "test/neg/0_3.txt": "Boring <br /><br />and long.",
    "train/unsup/0_0.txt": "Unlabelled.",
}


def _folder(tmp_path):
    root = tmp_path / "aclImdb"
    for name, text in REVIEWS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "README").write_text("readme")
    return root


def _tar(tmp_path, members, mode="w:gz", name="aclImdb_v1.tar.gz"):
    path = tmp_path / name
    with tarfile.open(path, mode) as archive:
        for member_name, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


EXPECTED_TRAIN = {
    "text": ["Awful.", "Great film.<br />Loved it!", "Good."],
    "label": [0, 1, 1],
    "file": ["train/neg/1_1.txt", "train/pos/10_9.txt", "train/pos/2_8.txt"],
}


def test_the_folder_layout(tmp_path):
    root = _folder(tmp_path)
    frame = read_imdb(root, split="train")
    assert frame.to_dict("list") == EXPECTED_TRAIN
    assert list(frame.index) == [0, 1, 2] and str(frame["label"].dtype) == "int64"
    assert read_imdb(tmp_path, split="test")["file"].tolist() == [
        "test/neg/0_3.txt",
        "test/pos/0_10.txt",
    ]  # the folder that holds aclImdb/ works too


@pytest.mark.parametrize(("mode", "name"), [("w:gz", "a.tar.gz"), ("w", "a.tar")])
def test_the_archive_gives_the_same_table_as_the_folder(tmp_path, mode, name):
    members = {"aclImdb/" + key: text for key, text in REVIEWS.items()}
    path = _tar(tmp_path, {"aclImdb/README": "readme", **members}, mode, name)
    for split in ("train", "test"):
        expected = read_imdb(_folder(tmp_path / "folder"), split=split)
        assert read_imdb(path, split=split).equals(expected)


@pytest.mark.parametrize("bad", ["aclImdb/../evil.txt", "/etc/passwd", "aclImdb/train/../../x"])
def test_members_with_dot_dot_or_absolute_names_are_refused(tmp_path, bad):
    members = {"aclImdb/" + key: text for key, text in REVIEWS.items()}
    path = _tar(tmp_path, {**members, bad: "x"})
    with pytest.raises(GrukitDataError, match="unsafe name") as caught:
        read_imdb(path)
    assert repr(bad) in str(caught.value)


def test_links_in_the_archive_or_the_folder_are_refused(tmp_path):
    members = {"aclImdb/" + key: text for key, text in REVIEWS.items()}
    path = tmp_path / "links.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member_name, text in members.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
        link = tarfile.TarInfo("aclImdb/train/pos/5_9.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    with pytest.raises(GrukitDataError, match="is not a regular file"):
        read_imdb(path)
    root = _folder(tmp_path / "folder")
    (root / "train" / "pos" / "7_9.txt").symlink_to(root / "README")
    with pytest.raises(GrukitDataError, match="is not a regular file"):
        read_imdb(root)


def test_missing_classes_bad_text_and_bad_archives_are_one_line(tmp_path):
    only_pos = _tar(tmp_path, {"aclImdb/train/pos/0_9.txt": "ok"}, name="pos.tar.gz")
    with pytest.raises(GrukitDataError, match=r"no reviews in aclImdb/train/neg/"):
        read_imdb(only_pos)
    root = _folder(tmp_path / "folder")
    (root / "train" / "neg" / "9_2.txt").write_bytes(b"caf\xe9")
    with pytest.raises(GrukitDataError, match=r"9_2.txt' is not UTF-8 text"):
        read_imdb(root)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    with pytest.raises(GrukitDataError, match="is not a readable tar archive"):
        read_imdb(junk)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_imdb(tmp_path / "absent.tar.gz")
    with pytest.raises(GrukitDataError, match=r"`split` must be one of 'train', 'test'"):
        read_imdb(root, split="unsup")


def test_the_real_archive_has_25000_reviews_per_split_half_of_each_class():
    if not IMDB.exists():
        pytest.skip(f"dataset not found at {IMDB} (set GRUKIT_SHARED_DATA)")
    start = time.perf_counter()
    for split in ("train", "test"):
        frame = read_imdb(IMDB, split=split)
        assert len(frame) == 25_000
        assert frame["label"].value_counts().to_dict() == {0: 12_500, 1: 12_500}
        assert frame["file"].is_unique and frame["file"].is_monotonic_increasing
        assert frame["file"].str.startswith(f"{split}/").all()
        assert frame["text"].str.contains("<br />", regex=False).any()
    assert time.perf_counter() - start < 30
