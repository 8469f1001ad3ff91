"""CoNLL column files and tagging schemes: tiny files, conversions by hand on CoNLL-2003-style
examples, round trips on random valid sequences, conlleval-style spans, and the real
CoNLL-2003 training file when the shared data folder has it."""

import pytest
from hypothesis import given, settings

from grukit.data import GrukitDataError
from grukit.text import (
    TaggedSentences,
    convert_tags,
    detect_scheme,
    entities,
    read_conll,
    write_conll,
)
from strategies import iob2_tag_sequences
from support.datasets import CONLL2003

# "U.N. official Ekeus heads for Baghdad ." and two adjacent ORG entities, as CoNLL-2003 has them
IOB1 = ["I-ORG", "O", "I-PER", "O", "O", "I-LOC", "I-ORG", "I-ORG", "B-ORG", "O"]
IOB2 = ["B-ORG", "O", "B-PER", "O", "O", "B-LOC", "B-ORG", "I-ORG", "B-ORG", "O"]
BIOES = ["S-ORG", "O", "S-PER", "O", "O", "S-LOC", "B-ORG", "E-ORG", "S-ORG", "O"]
SPANS = [("ORG", 0, 1), ("PER", 2, 3), ("LOC", 5, 6), ("ORG", 6, 8), ("ORG", 8, 9)]

FILE = """-DOCSTART- -X- -X- O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O


Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP I-NP I-LOC
"""


def test_reads_sentences_skipping_docstart_and_blank_lines(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(FILE, encoding="utf-8")
    sentences = read_conll(path)
    assert len(sentences) == 3
    assert sentences.tokens == [
        ["EU", "rejects", "German", "call"],
        ["Peter", "Blackburn"],
        ["BRUSSELS"],
    ]
    assert sentences.labels == [["I-ORG", "O", "I-MISC", "O"], ["I-PER", "I-PER"], ["I-LOC"]]
    assert sentences.scheme == "IOB1"
    assert sentences.source == str(path)
    chunks = read_conll(path, label_column=2)
    assert chunks.labels[1] == ["I-NP", "I-NP"]
    assert read_conll(path, label_column=None).labels is None


def test_tabs_and_spaces_and_utf8(tmp_path):
    path = tmp_path / "tabs.txt"
    path.write_text("Zürich\tB-LOC\nist  O\n\nKöln\tB-LOC\n", encoding="utf-8")
    sentences = read_conll(path)
    assert sentences.tokens == [["Zürich", "ist"], ["Köln"]]
    assert sentences.scheme == "IOB2"


def test_ragged_line_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "ragged.txt"
    path.write_text("EU NNP I-ORG\nrejects O\n", encoding="utf-8")
    with pytest.raises(GrukitDataError, match=r"line 2 of .*ragged\.txt has 2 columns, expected 3"):
        read_conll(path)


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("-DOCSTART- O\n\n\n", encoding="utf-8")
    with pytest.raises(GrukitDataError, match="holds no sentences"):
        read_conll(path)


def test_bad_column_and_declared_scheme_errors(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("Peter E-PER\n", encoding="utf-8")
    with pytest.raises(
        GrukitDataError, match=r"`token_column` must be a column index in \[-2, 1\]"
    ):
        read_conll(path, token_column=2)
    with pytest.raises(GrukitDataError, match=r"'E-PER' at position 0 of the sentence at line 1"):
        read_conll(path, scheme="BIOES")
    with pytest.raises(GrukitDataError, match="`scheme` must be one of"):
        read_conll(path, scheme="IO")


def test_conversions_by_hand():
    assert convert_tags(IOB1, "IOB1", "IOB2") == IOB2
    assert convert_tags(IOB1, "IOB1", "BIOES") == BIOES
    assert convert_tags(IOB2, "IOB2", "IOB1") == IOB1
    assert convert_tags(BIOES, "BIOES", "IOB1") == IOB1
    assert convert_tags(BIOES, "BIOES", "IOB2") == IOB2
    assert convert_tags(IOB2, "IOB2", "IOB2") == IOB2
    long = ["B-MISC", "I-MISC", "I-MISC", "O"]
    assert convert_tags(long, "IOB2", "BIOES") == ["B-MISC", "I-MISC", "E-MISC", "O"]


@pytest.mark.parametrize(
    ("labels", "scheme", "message"),
    [
        (["O", "E-PER"], "BIOES", r"'E-PER' at position 1 of sentence 4 needs B-PER"),
        (["B-PER", "O"], "BIOES", r"'O' at position 1 of sentence 4 follows 'B-PER'"),
        (["B-PER", "I-PER"], "BIOES", r"position 1 of sentence 4 leaves an entity open"),
        (["B-PER", "E-LOC"], "BIOES", r"'E-LOC' at position 1"),
        (["O", "I-PER"], "IOB2", r"'I-PER' at position 1 of sentence 4 needs B-PER"),
        (["O", "B-PER"], "IOB1", r"'B-PER' at position 1 of sentence 4 may only follow"),
        (["S-PER"], "IOB2", r"'S-PER' at position 0 of sentence 4 is not a label of IOB2"),
        (["PER"], "IOB1", r"'PER' at position 0 of sentence 4 is not a label of IOB1"),
    ],
)
def test_invalid_sequences_in_a_strict_scheme(labels, scheme, message):
    with pytest.raises(GrukitDataError, match=message):
        convert_tags(labels, scheme, "IOB2", sentence=4)


def test_detect_scheme():
    assert detect_scheme([IOB1]) == "IOB1"
    assert detect_scheme([IOB2]) == "IOB2"
    assert detect_scheme([IOB2, BIOES]) == "BIOES"
    assert detect_scheme([["O"], ["B-PER", "I-PER"], ["I-LOC"]]) == "IOB1"
    assert detect_scheme([["O", "O"]]) == "IOB2"


def test_entities_by_hand():
    assert entities(IOB1, "IOB1") == SPANS
    assert entities(IOB2, "IOB2") == SPANS
    assert entities(BIOES, "BIOES") == SPANS
    # conlleval: an I-X after O or another type starts an entity even in IOB2
    assert entities(["O", "I-PER", "I-PER", "I-LOC", "B-LOC"], "IOB2") == [
        ("PER", 1, 3),
        ("LOC", 3, 4),
        ("LOC", 4, 5),
    ]
    assert entities(["B-PER", "I-PER"], "IOB2") == [("PER", 0, 2)]
    assert entities(["O", "O"], "IOB1") == []


@settings(max_examples=200)
@given(iob2_tag_sequences())
def test_conversions_round_trip(iob2):
    iob1 = convert_tags(iob2, "IOB2", "IOB1")
    bioes = convert_tags(iob2, "IOB2", "BIOES")
    assert convert_tags(iob1, "IOB1", "IOB2") == iob2
    assert convert_tags(convert_tags(iob1, "IOB1", "IOB2"), "IOB2", "IOB1") == iob1
    assert convert_tags(convert_tags(bioes, "BIOES", "IOB2"), "IOB2", "BIOES") == bioes
    assert convert_tags(convert_tags(iob1, "IOB1", "BIOES"), "BIOES", "IOB1") == iob1
    spans = entities(iob2, "IOB2")
    assert entities(iob1, "IOB1") == spans == entities(bioes, "BIOES")


def test_from_lists_to_scheme_and_write(tmp_path):
    sentences = TaggedSentences.from_lists(
        [["U.N.", "official"], ["Ekeus"]], [["I-ORG", "O"], ["I-PER"]]
    )
    assert sentences.scheme == "IOB1"
    converted = sentences.to_scheme("BIOES")
    assert converted.labels == [["S-ORG", "O"], ["S-PER"]]
    assert converted.scheme == "BIOES"
    assert sentences.labels == [["I-ORG", "O"], ["I-PER"]]
    path = write_conll(sentences, tmp_path / "out.txt", predictions=[["I-ORG", "I-ORG"], ["O"]])
    assert path.read_text(encoding="utf-8") == (
        "U.N. I-ORG I-ORG\nofficial O I-ORG\n\nEkeus I-PER O\n\n"
    )
    again = read_conll(path, label_column=1)
    assert again.tokens == sentences.tokens
    assert again.labels == sentences.labels


def test_from_lists_and_write_errors(tmp_path):
    with pytest.raises(GrukitDataError, match="sentence 0 of <memory> has 2 tokens but 1 labels"):
        TaggedSentences.from_lists([["a", "b"]], [["O"]])
    with pytest.raises(GrukitDataError, match="at least one sentence"):
        TaggedSentences.from_lists([], [])
    with pytest.raises(GrukitDataError, match="'I-PER' at position 0 of sentence 0"):
        TaggedSentences.from_lists([["a"]], [["I-PER"]], scheme="IOB2")
    sentences = TaggedSentences.from_lists([["New York"]], [["B-LOC"]])
    with pytest.raises(GrukitDataError, match="empty or holds whitespace"):
        write_conll(sentences, tmp_path / "x.txt")
    with pytest.raises(GrukitDataError, match="sentence 0 has 1 tokens but 2 labels"):
        write_conll(sentences, tmp_path / "x.txt", predictions=[["O", "O"]])
    assert not (tmp_path / "x.txt").exists()


def test_real_conll2003_training_file():
    path = CONLL2003 / "eng.train"
    if not path.exists():
        pytest.skip(f"CoNLL-2003 is not in the shared data folder ({path} is absent)")
    sentences = read_conll(path)
    assert len(sentences) == 14_041
    assert sentences.scheme == "IOB1"
    # IOB1 needs no B-PER in this file: 8 distinct labels; in IOB2 all 9 (B-/I- of 4 types, O)
    assert len({label for tags in sentences.labels for label in tags}) == 8
    iob2 = sentences.to_scheme("IOB2")
    assert len({label for tags in iob2.labels for label in tags}) == 9
    assert iob2.to_scheme("BIOES").to_scheme("IOB1").labels == sentences.labels
