"""Parallel text: two files, TSV/CSV tables, lists; stripping; one-line errors naming the place."""

import gzip

import pytest

from grukit.data import GrukitDataError
from grukit.text import ParallelText, read_parallel


def _write(path, text, compress=False):
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_two_parallel_files_line_by_line(tmp_path, compress):
    suffix = ".gz" if compress else ""
    de = _write(tmp_path / f"a.de{suffix}", "Hallo Welt.\n  Ein Hund.\t\nDanke!\n", compress)
    en = _write(tmp_path / f"a.en{suffix}", "Hello world.\r\nA dog.\r\nThanks!", compress)
    text = read_parallel(de, en)
    assert isinstance(text, ParallelText) and len(text) == 3
    assert text.sources == ["Hallo Welt.", "Ein Hund.", "Danke!"]
    assert text.targets == ["Hello world.", "A dog.", "Thanks!"]
    assert text.source == f"{de} + {en}"
    assert text.pairs()[1] == ("Ein Hund.", "A dog.")


def test_a_byte_order_mark_and_non_ascii_text_are_read(tmp_path):
    de = _write(tmp_path / "a.de", "\ufeffÜber die Straße\n")
    en = _write(tmp_path / "a.en", "Across the street\n")
    assert read_parallel(str(de), str(en)).sources == ["Über die Straße"]


@pytest.mark.parametrize("name", ["p.tsv", "p.tsv.gz", "P.TSV"])
def test_a_tsv_table_with_and_without_header(tmp_path, name):
    compress = name.endswith(".gz")
    body = 'Hallo\tHello\n"Ja", sagte er.\t"Yes," he said.\n'
    plain = _write(tmp_path / name, body, compress)
    assert read_parallel(plain).pairs() == [
        ("Hallo", "Hello"),
        ('"Ja", sagte er.', '"Yes," he said.'),  # quotes are text in a TSV
    ]
    header = _write(tmp_path / ("h" + name), " Source \tTARGET\n" + body, compress)
    assert read_parallel(header).sources == ["Hallo", '"Ja", sagte er.']


def test_a_first_row_that_is_not_exactly_the_header_is_data(tmp_path):
    path = _write(tmp_path / "p.tsv", "source text\ttarget\n")
    assert read_parallel(path).pairs() == [("source text", "target")]


@pytest.mark.parametrize("compress", [False, True])
def test_a_csv_table_with_quoted_fields(tmp_path, compress):
    name = "p.csv.gz" if compress else "p.csv"
    body = 'source,target\r\n"Ja, gut.","Yes, fine."\r\nNein,No\r\n'
    text = read_parallel(_write(tmp_path / name, body, compress))
    assert text.pairs() == [("Ja, gut.", "Yes, fine."), ("Nein", "No")]
    assert text.source == str(tmp_path / name)


def test_lists_and_pairs_and_a_parallel_text():
    text = read_parallel([" Hallo ", "Ja"], ["Hello", " Yes\n"])
    assert text.pairs() == [("Hallo", "Hello"), ("Ja", "Yes")]
    assert text.source == "<memory>"
    assert read_parallel([("Hallo", "Hello"), ["Ja", "Yes"]]) == text
    assert read_parallel(text) is text


def test_a_parallel_text_needs_sides_of_equal_length():
    with pytest.raises(GrukitDataError, match="2 sources and 1 targets"):
        ParallelText(["a", "b"], ["x"])


def test_files_with_different_line_counts(tmp_path):
    de = _write(tmp_path / "a.de", "a\nb\nc\n")
    en = _write(tmp_path / "a.en", "x\ny\n")
    message = f"'{de}' has 3 lines and '{en}' has 2: line i of one must translate line i"
    with pytest.raises(GrukitDataError, match=message):
        read_parallel(de, en)


def test_a_missing_file_is_named(tmp_path):
    de = _write(tmp_path / "a.de", "a\n")
    with pytest.raises(GrukitDataError, match="the target file '.*nope.en' does not exist"):
        read_parallel(de, tmp_path / "nope.en")
    with pytest.raises(GrukitDataError, match="the TSV file '.*nope.tsv' does not exist"):
        read_parallel(tmp_path / "nope.tsv")


def test_empty_files_and_corpora(tmp_path):
    empty = _write(tmp_path / "e.de", "")
    other = _write(tmp_path / "e.en", "x\n")
    with pytest.raises(GrukitDataError, match="the source file '.*e.de' is empty"):
        read_parallel(empty, other)
    with pytest.raises(GrukitDataError, match="holds no sentence pairs"):
        read_parallel(_write(tmp_path / "h.tsv", "source\ttarget\n"))
    with pytest.raises(GrukitDataError, match="<memory> holds no sentence pairs"):
        read_parallel([], [])


def test_an_empty_side_names_the_file_line_and_the_other_side(tmp_path):
    de = _write(tmp_path / "a.de", "Ein Hund.\n   \n")
    en = _write(tmp_path / "a.en", "A dog.\nA cat.\n")
    with pytest.raises(GrukitDataError) as caught:
        read_parallel(de, en)
    assert str(caught.value) == (
        f"line 2 of '{de}': the source side is empty (its target is 'A cat.')"
    )
    with pytest.raises(GrukitDataError, match=r"line 2 of '.*a.de': the target side is empty"):
        read_parallel(en, de)
    both = _write(tmp_path / "b.de", "x\n\n")
    with pytest.raises(GrukitDataError, match=r"line 2 of '.*b.de' \+ '.*b.de': both sides"):
        read_parallel(both, both)


def test_table_rows_with_an_empty_side_or_a_blank_line(tmp_path):
    tsv = _write(tmp_path / "p.tsv", "source\ttarget\nHallo\tHello\nJa\t \n")
    with pytest.raises(GrukitDataError, match=r"^line 3 of '.*p.tsv': the target side is empty "):
        read_parallel(tsv)
    blank = _write(tmp_path / "b.tsv", "Hallo\tHello\n\nJa\tYes\n")
    with pytest.raises(GrukitDataError, match=r"^line 2 of '.*b.tsv': both sides are empty"):
        read_parallel(blank)


def test_table_rows_need_two_columns(tmp_path):
    tsv = _write(tmp_path / "p.tsv", "Hallo\tHello\nJa Yes\n")
    with pytest.raises(GrukitDataError, match=r"line 2 of the TSV file '.*p.tsv' has no tab"):
        read_parallel(tsv)
    wide = _write(tmp_path / "w.tsv", "Hallo\tHello\tCC-BY\n")
    with pytest.raises(GrukitDataError, match=r"line 1 of the TSV file .* has 3 columns"):
        read_parallel(wide)
    csv_path = _write(tmp_path / "p.csv", "a,b\nc\n")
    with pytest.raises(
        GrukitDataError, match=r"line 2 of the CSV file .* has 1 column: expected 2"
    ):
        read_parallel(csv_path)


def test_list_items_must_be_str_or_pairs_of_str():
    with pytest.raises(GrukitDataError, match=r"`target\[1\]` must be a str, got int 3"):
        read_parallel(["a", "b"], ["x", 3])
    with pytest.raises(GrukitDataError, match=r"`data\[0\]` must be a \(source, target\) pair"):
        read_parallel([("a", "b", "c")])
    with pytest.raises(GrukitDataError, match=r"the target of `data\[1\]` must be a str"):
        read_parallel([("a", "b"), ("c", None)])
    with pytest.raises(GrukitDataError, match="2 sources and `target` 1 targets"):
        read_parallel(["a", "b"], ["x"])
    with pytest.raises(GrukitDataError, match=r"item 1 of the lists: the source side is empty"):
        read_parallel(["a", " "], ["x", "y"])
    with pytest.raises(GrukitDataError, match="`data` must be a file path"):
        read_parallel(3)


def test_bytes_that_are_not_utf8_name_file_and_line(tmp_path):
    de = tmp_path / "a.de"
    de.write_bytes(b"gut\nschl\xe4ft\n")
    en = _write(tmp_path / "a.en", "good\nsleeps\n")
    with pytest.raises(GrukitDataError, match=r"line 2 of the source file '.*a.de' is not UTF-8"):
        read_parallel(de, en)


def test_target_is_refused_with_a_table_and_needed_with_a_text_file(tmp_path):
    tsv = _write(tmp_path / "p.tsv", "a\tb\n")
    with pytest.raises(GrukitDataError, match="`target` must not be given with the TSV file"):
        read_parallel(tsv, tmp_path / "x.en")
    de = _write(tmp_path / "a.de", "a\n")
    with pytest.raises(GrukitDataError, match="`target` is missing"):
        read_parallel(de)
    with pytest.raises(GrukitDataError, match="`target` must not be given with a ParallelText"):
        read_parallel(ParallelText(["a"], ["b"]), ["c"])


def test_max_lines_caps_files_tables_and_lists(tmp_path):
    de = _write(tmp_path / "a.de", "a\nb\nc\n")
    en = _write(tmp_path / "a.en", "x\ny\nz\n")
    assert len(read_parallel(de, en, max_lines=3)) == 3
    with pytest.raises(GrukitDataError, match=r"'.*a.de' has more than 2 lines, .*max_lines`=2"):
        read_parallel(de, en, max_lines=2)
    tsv = _write(tmp_path / "p.tsv", "source\ttarget\na\tx\nb\ty\n")
    assert len(read_parallel(tsv, max_lines=2)) == 2  # the header is not a pair
    with pytest.raises(GrukitDataError, match="more than 1 pairs"):
        read_parallel(tsv, max_lines=1)
    with pytest.raises(GrukitDataError, match="holds 2 pairs, more than `max_lines`=1"):
        read_parallel(["a", "b"], ["x", "y"], max_lines=1)
    with pytest.raises(GrukitDataError, match="`max_lines` must be a positive integer"):
        read_parallel(de, en, max_lines=0)


def test_max_lines_stops_reading_at_the_cap(tmp_path):
    # a line past the cap that is not UTF-8 is never decoded: the cap is met first
    de = tmp_path / "a.de"
    de.write_bytes(b"a\nb\n\xff\n")
    en = _write(tmp_path / "a.en", "x\ny\nz\n")
    with pytest.raises(GrukitDataError, match="has more than 2 lines"):
        read_parallel(de, en, max_lines=2)


def test_a_damaged_gzip_file_is_named(tmp_path):
    path = tmp_path / "a.de.gz"
    path.write_bytes(gzip.compress(b"a\nb\n")[:-6])
    en = _write(tmp_path / "a.en", "x\ny\n")
    with pytest.raises(GrukitDataError, match=r"the source file '.*a.de.gz' cannot be read"):
        read_parallel(path, en)


def test_read_lines_strips_each_line_and_reads_gzip(tmp_path):
    from grukit.text.parallel import read_lines

    path = _write(tmp_path / "in.txt.gz", "\ufeff Hallo \r\nWelt\n", compress=True)
    assert read_lines(path) == ["Hallo", "Welt"]
    with pytest.raises(GrukitDataError, match="has more than 1 lines"):
        read_lines(path, max_lines=1)
