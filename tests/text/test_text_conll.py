"""CoNLL column files and tagging schemes: tiny files, conversions by hand on CoNLL-2003-style
examples, round trips on random valid sequences, conlleval-style spans, and the real
CoNLL-2003 training file when the shared data folder has it."""

import pytest
from hypothesis import given, settings

from grukit.data import GrukitDataError
from grukit.text import (
    SCHEMES,
    TaggedSentences,
    check_types,
    convert_tags,
    detect_scheme,
    entities,
    read_conll,
    write_conll,
)
from strategies import iob2_like_pairs, iob2_tag_sequences
from support.datasets import CONLL2003, WNUT17

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
    # a token line without its label, after a blank line and a document line
    path.write_text("-DOCSTART- O\n\nEU I-ORG\nrejects O\n\nPeter\n", encoding="utf-8")
    with pytest.raises(
        GrukitDataError,
        match=r"^line 6 of .*ragged\.txt has 1 column, expected 2 like line 3, the file's first "
        r"token line \(a token or label missing, or a space in one\?\)$",
    ):
        read_conll(path)


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("-DOCSTART- O\n\n\n", encoding="utf-8")
    with pytest.raises(
        GrukitDataError, match=r"empty\.txt holds no sentences \(only blank and -DOCSTART- lines\)"
    ):
        read_conll(path)
    for text in ("", "\n \t\n", "\ufeff\n"):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(GrukitDataError, match=r"the CoNLL file .*empty\.txt is empty \("):
            read_conll(path)
    with pytest.raises(GrukitDataError, match=r"cannot read the CoNLL file .*absent\.txt"):
        read_conll(tmp_path / "absent.txt")


def test_binary_and_non_utf8_files_are_refused(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("EU B-ORG\n\nZürich B-LOC\n".encode("latin-1"))
    with pytest.raises(
        GrukitDataError,
        match=r"bad\.txt is not UTF-8 text: byte 0xfc on line 3 is not UTF-8 \(re-encode",
    ):
        read_conll(path)
    path.write_bytes(b"EU B-ORG\n\x89PNG\x00\x00\n")
    with pytest.raises(GrukitDataError, match=r"bad\.txt is not text: line 2 holds a NUL byte"):
        read_conll(path)
    path.write_text("EU B-ORG\n", encoding="utf-16")
    with pytest.raises(GrukitDataError, match=r"bad\.txt is UTF-16 text: re-encode it as UTF-8"):
        read_conll(path)


def test_byte_order_marks_at_line_starts_are_dropped(tmp_path):
    # as WNUT 2017's dev file: a BOM at the start, a line holding only one, one inside a token
    path = tmp_path / "bom.txt"
    path.write_text("\ufeffEU\tB-ORG\nDubbz\ufeff\tB-PER\n\ufeff\nKöln\tB-LOC\n", encoding="utf-8")
    sentences = read_conll(path)
    assert sentences.tokens == [["EU", "Dubbz\ufeff"], ["Köln"]]
    assert sentences.lines == [1, 4]


def test_lines_of_sentences(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(FILE, encoding="utf-8")
    sentences = read_conll(path)
    assert sentences.lines == [3, 9, 14]
    assert sentences.to_scheme("IOB2").lines == [3, 9, 14]
    assert read_conll(path, label_column=None).lines == [3, 9, 14]
    assert TaggedSentences.from_lists([["a"]], [["O"]]).lines is None
    with pytest.raises(GrukitDataError, match=r"`lines` must hold one line number per sentence"):
        TaggedSentences.from_lists([["a"]], [["O"]], lines=[1, 2])


def test_one_column_and_same_column_are_refused_when_labelled(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("EU\nrejects\n\nPeter\n", encoding="utf-8")
    with pytest.raises(
        GrukitDataError,
        match=r"^line 1 of .*words\.txt has one column; a labelled CoNLL file needs a token and "
        r"a label column \(pass label_column=None to read unlabelled text\)$",
    ):
        read_conll(path)
    assert read_conll(path, label_column=None).tokens == [["EU", "rejects"], ["Peter"]]
    path.write_text("EU NNP B-ORG\n", encoding="utf-8")
    with pytest.raises(
        GrukitDataError,
        match=r"`label_column` \(-3\) and `token_column` \(0\) are the same column 0",
    ):
        read_conll(path, label_column=-3)


BIOES_FILE = "EU S-ORG\nrejects O\n\nPeter B-PER\nBlackburn E-PER\n\nNew I-LOC\nYork E-LOC\n"


def test_files_mixing_bioes_with_another_scheme_are_refused(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_text(BIOES_FILE, encoding="utf-8")
    with pytest.raises(
        GrukitDataError,
        match=r"^labels of .*mixed\.txt mix schemes: the file reads as BIOES \(E- or S- labels\) "
        r"but the sentence at line 7 is not valid BIOES \(label 'I-LOC' at position 0 needs "
        r"B-LOC or I-LOC before it in BIOES\)$",
    ):
        read_conll(path)
    # IOB1-style single-token entities among BIOES ones
    path.write_text("EU S-ORG\n\nPeter I-PER\nsaid O\n", encoding="utf-8")
    with pytest.raises(GrukitDataError, match=r"the sentence at line 3 is not valid BIOES"):
        read_conll(path)
    # a declared scheme is only checked against itself; IOB2 reads as the file says
    path.write_text(BIOES_FILE.replace("New I-LOC", "New B-LOC"), encoding="utf-8")
    assert read_conll(path).scheme == "BIOES"
    with pytest.raises(GrukitDataError, match="they read as BIOES .* but sentence 1 is not valid"):
        TaggedSentences.from_lists([["a"], ["b", "c"]], [["S-PER"], ["O", "B-PER"]])


def test_iob2_with_a_stray_i_start_reads_as_iob1(tmp_path):
    # IOB1 and IOB2 are read leniently: such a file (WNUT 2017's dev file is one) is no error
    path = tmp_path / "iob2.txt"
    path.write_text("EU B-ORG\nrejects O\n\nPeter B-PER\nsaid O\nYork I-LOC\n", encoding="utf-8")
    sentences = read_conll(path)
    assert sentences.scheme == "IOB1"
    assert entities(sentences.labels[1], "IOB1") == [("PER", 0, 1), ("LOC", 2, 3)]
    # B-ORG after nothing is not strict IOB1: converting needs strict=False
    with pytest.raises(
        GrukitDataError,
        match=r"'B-ORG' at position 0 of the sentence at line 1 of .*iob2\.txt may only follow",
    ):
        sentences.to_scheme("IOB2")
    converted = sentences.to_scheme("IOB2", strict=False)
    assert converted.labels == [["B-ORG", "O"], ["B-PER", "O", "B-LOC"]]
    assert converted.scheme == "IOB2" and converted.lines == [1, 4]


def test_check_types(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(FILE.replace("Blackburn NNP I-NP I-PER", "Blackburn NNP I-NP I-XYZ"))
    sentences = read_conll(path)
    check_types(sentences, ["LOC", "MISC", "ORG", "PER", "XYZ"])
    with pytest.raises(
        GrukitDataError,
        match=r"^.*tiny\.txt: the sentence at line 9 has the entity type 'XYZ' \(label 'I-XYZ'\) "
        r"that the model does not know; known types: LOC, MISC, ORG, PER$",
    ):
        check_types(sentences, ["PER", "ORG", "MISC", "LOC"])
    in_memory = TaggedSentences.from_lists([["a"], ["b"]], [["O"], ["B-creative-work"]])
    with pytest.raises(
        GrukitDataError,
        match=r"^<memory>: sentence 1 has the entity type 'creative-work' \(label "
        r"'B-creative-work'\) that the model does not know; known types: none$",
    ):
        check_types(in_memory, [])
    check_types(TaggedSentences.from_lists([["a"]]), [])  # unlabelled: nothing to check
    with pytest.raises(GrukitDataError, match="`known` must be a sequence of entity types"):
        check_types(in_memory, "PER")


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
@given(iob2_like_pairs())
def test_lenient_conversion_keeps_conllevals_spans(pair):
    for labels in pair[0]:
        spans = entities(labels, "IOB2")  # labels may be invalid IOB2 (I- after O)
        for target in SCHEMES:
            converted = convert_tags(labels, "IOB2", target, strict=False)
            assert entities(converted, target) == spans
            convert_tags(converted, target, "IOB2")  # valid in the strict target scheme


def test_lenient_conversion_by_hand():
    predicted = ["O", "B-PER", "I-LOC", "I-LOC", "I-PER"]  # IOB1 tagger output, invalid IOB1
    with pytest.raises(GrukitDataError, match="'B-PER' at position 1 of the sentence may only"):
        convert_tags(predicted, "IOB1", "IOB2")
    assert convert_tags(predicted, "IOB1", "IOB2", strict=False) == [
        "O",
        "B-PER",
        "B-LOC",
        "I-LOC",
        "B-PER",
    ]
    with pytest.raises(GrukitDataError, match="`strict` must be"):
        convert_tags(predicted, "IOB1", "IOB2", strict="no")


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


def test_real_wnut17_files():
    if not (WNUT17 / "emerging.dev.conll").exists():
        pytest.skip(f"WNUT 2017 is not in the shared data folder ({WNUT17} lacks its files)")
    found = {}
    for name in ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"):
        sentences = read_conll(WNUT17 / name)
        found[name] = (len(sentences), sentences.scheme)
    # the dev file ends with a line holding only a byte-order mark, and one entity starts with
    # I- (line 1674: I-person then I-creative-work), so it reads as IOB1
    assert found == {
        "wnut17train.conll": (3394, "IOB2"),
        "emerging.dev.conll": (1009, "IOB1"),
        "emerging.test.annotated": (1287, "IOB2"),
    }
    check_types(
        sentences, ["corporation", "creative-work", "group", "location", "person", "product"]
    )
