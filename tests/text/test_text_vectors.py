"""Pre-trained vectors: header or not, gzip, missing words, clear errors naming file and line."""

import gzip

import numpy as np
import pytest

from grukit.data import GrukitDataError
from grukit.text import Vocabulary, load_vectors

VOCAB = Vocabulary(["the", "film", "absent"])  # rows 2, 3, 4
LINES = "film 1 2 3\nthe -0.5 0 1e-1\nother 9 9 9\n"


def _write(tmp_path, text, name="vectors.txt", compress=False):
    path = tmp_path / name
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("header", ["", "3 3\n"])
@pytest.mark.parametrize("compress", [False, True])
def test_found_words_are_filled_and_the_rest_are_zero(tmp_path, header, compress):
    path = _write(tmp_path, header + LINES, "v.txt.gz" if compress else "v.txt", compress)
    matrix, found = load_vectors(path, VOCAB)
    assert matrix.dtype == np.float32 and matrix.shape == (5, 3) and found == 2
    np.testing.assert_array_equal(matrix[2], np.float32([-0.5, 0, 0.1]))
    np.testing.assert_array_equal(matrix[3], [1, 2, 3])
    assert not matrix[[0, 1, 4]].any()


def test_gzip_is_recognised_by_content_not_by_name(tmp_path):
    path = _write(tmp_path, LINES, "vectors.bin", compress=True)
    assert load_vectors(path, VOCAB)[1] == 2


def test_the_pad_row_stays_zero_and_the_first_of_duplicates_wins(tmp_path):
    path = _write(tmp_path, "<pad> 1 1\nthe 1 2\nthe 3 4\n<unk> 5 6\n")
    matrix, found = load_vectors(path, VOCAB)
    assert found == 2 and matrix[0].tolist() == [0, 0]
    assert matrix[2].tolist() == [1, 2] and matrix[1].tolist() == [5, 6]


def test_a_word_with_spaces_and_blank_lines(tmp_path):
    path = _write(tmp_path, "\nthe 3 4\n. . . 1 2\n\n")  # the size comes from the first line
    matrix, found = load_vectors(path, Vocabulary([". . .", "the"]))
    assert found == 2 and matrix[2].tolist() == [1, 2]
    matrix, found = load_vectors(_write(tmp_path, ". . . 1 2\n"), Vocabulary([". . ."]), dim=2)
    assert found == 1


def test_dim_is_checked_against_the_file(tmp_path):
    assert load_vectors(_write(tmp_path, LINES), VOCAB, dim=3)[0].shape == (5, 3)
    with pytest.raises(GrukitDataError, match=r"line 1 has 3 values after the word, expected 4"):
        load_vectors(_write(tmp_path, LINES), VOCAB, dim=4)
    with pytest.raises(GrukitDataError, match=r"line 1 \(the header\) gives vectors of size 3"):
        load_vectors(_write(tmp_path, "3 3\n" + LINES), VOCAB, dim=2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("the 1 2 3\nfilm 1 2\n", r"line 2 has 2 values after the word, expected 3"),
        ("the 1 2 3\nother 1 2 3 4\n", r"line 2 has 4 values after the word, expected 3"),
        ("2 3\nthe 1 2 3\nfilm 1 2\n", r"line 3 has 2 values"),
        ("the 1 2 x\n", r"line 1 has a value that is not a number: 'x'"),
        ("the 1 nan 3\n", r"line 1 has a value that is not finite"),
        ("3 2\nthe 1 2\n", r"has 1 vectors but its header says 3 \(truncated\?\)"),
        ("", r"has no vectors"),
        ("word\n", r"line 1 has no values after the word"),
    ],
)
def test_bad_lines_are_one_line_errors_naming_file_and_line(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(GrukitDataError, match=message) as caught:
        load_vectors(path, VOCAB)
    assert "vectors.txt" in str(caught.value) and "\n" not in str(caught.value)


def test_ragged_lines_of_words_outside_the_vocabulary_are_caught_too(tmp_path):
    with pytest.raises(GrukitDataError, match="line 3 has 1 values"):
        load_vectors(_write(tmp_path, "the 1 2\nfilm 3 4\nzzz 1\n"), VOCAB)


def test_not_utf8_damaged_gzip_and_missing_files(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("the 1 2\ncaf\u00e9 1 2\n".encode("latin-1"))
    with pytest.raises(GrukitDataError, match=r"line 2 is not UTF-8"):
        load_vectors(path, VOCAB)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(LINES.encode() * 50)[:60])
    with pytest.raises(GrukitDataError, match=r"vectors file '.*broken.gz' cannot be read"):
        load_vectors(broken, VOCAB)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_vectors(tmp_path / "absent.txt", VOCAB)
    with pytest.raises(GrukitDataError, match="`dim` must be a positive integer"):
        load_vectors(path, VOCAB, dim=0)
