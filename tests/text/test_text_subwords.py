"""SentencePiece subwords: exact round trips, the special ids, JSON saving, determinism, errors."""

import base64
import functools
import io
import itertools
import json

import pytest
import sentencepiece as spm

from grukit.data import GrukitDataError
from grukit.text import BOS, EOS, SubwordTokenizer, Vocabulary

SUBJECTS = ["Der Hund", "Die Katze", "Ein Mädchen", "Der Bär", "Die Größe", "Ein Fuß"]
VERBS = ["läuft", "schläft", "spielt", "frisst", "überquert"]
ENDS = ["über die Straße.", "im Park!", "am Öfen?", "– gut so; ja.", "(heute, 3.5 Std.)"]
#: 150 short German sentences with umlauts, ß and punctuation
SENTENCES = [" ".join(parts) for parts in itertools.product(SUBJECTS, VERBS, ENDS)]
#: seen characters, but not a training sentence
NEW = "Ein Bär überquert heute die Straße; gut so!"


@functools.cache
def _tokenizer(model_type="bpe", vocab_size=120, lower=False):
    return SubwordTokenizer.train(
        SENTENCES, vocab_size=vocab_size, model_type=model_type, lower=lower
    )


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_decode_inverts_encode_exactly(model_type):
    tokenizer = _tokenizer(model_type)
    for sentence in [*SENTENCES, NEW]:
        ids = tokenizer.encode(sentence)
        assert tokenizer.decode(ids) == sentence
        assert 1 not in ids  # every character was seen
    assert tokenizer.encode_all([NEW, SENTENCES[0]]) == [
        tokenizer.encode(NEW),
        tokenizer.encode(SENTENCES[0]),
    ]


def test_the_special_ids_are_those_of_a_vocabulary_with_bos_and_eos():
    tokenizer = _tokenizer()
    vocabulary = Vocabulary((), specials=(BOS, EOS))
    pieces = [tokenizer.piece(i) for i in range(4)]
    assert pieces == vocabulary.tokens == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (tokenizer.pad_index, tokenizer.unk_index) == (vocabulary.pad_index, 1)
    assert (tokenizer.bos_index, tokenizer.eos_index) == (2, 3)
    ids = tokenizer.encode(NEW)
    assert not {0, 2, 3} & set(ids)  # encode adds neither <bos> nor <eos>
    assert tokenizer.decode([2, *ids, 3, 0, 0]) == NEW  # pad, bos and eos are left out


def test_an_unseen_character_is_unk():
    tokenizer = _tokenizer()
    ids = tokenizer.encode("Der Hund € läuft.")
    assert ids.count(1) == 1
    assert "⁇" in tokenizer.decode(ids)


def test_pieces_are_the_pieces_of_the_ids_and_spell_the_text():
    tokenizer = _tokenizer()
    pieces = tokenizer.pieces(NEW)
    assert pieces == [tokenizer.piece(i) for i in tokenizer.encode(NEW)]
    assert "".join(pieces).replace("▁", " ").strip() == NEW
    assert pieces[0].startswith("▁")


def test_vocab_size_is_an_upper_bound():
    small = _tokenizer(vocab_size=120)
    assert len(small) == 120  # this corpus can fill 120 pieces
    large = _tokenizer(vocab_size=8000)
    assert 120 < len(large) < 8000  # hard_vocab_limit=False: what the corpus allows
    assert large.decode(large.encode(NEW)) == NEW
    assert max(max(ids) for ids in large.encode_all(SENTENCES)) < len(large)


def test_white_space_runs_are_one_space():
    tokenizer = _tokenizer()
    assert tokenizer.encode("  Der\tHund \n läuft.  ") == tokenizer.encode("Der Hund läuft.")


def test_lower_case_applies_to_training_and_encoding():
    tokenizer = _tokenizer(lower=True)
    assert all(piece == piece.lower() for piece in map(tokenizer.piece, range(4, len(tokenizer))))
    assert tokenizer.encode("DER HUND") == tokenizer.encode("der hund")
    assert tokenizer.decode(tokenizer.encode(NEW)) == NEW.lower()


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_the_same_data_gives_the_same_model(model_type):
    first = SubwordTokenizer.train(SENTENCES, vocab_size=100, model_type=model_type)
    second = SubwordTokenizer.train(list(SENTENCES), vocab_size=100, model_type=model_type)
    assert first.model == second.model and first == second
    other = SubwordTokenizer.train(SENTENCES[:40], vocab_size=100, model_type=model_type)
    assert other != first


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_to_dict_and_back_through_json(model_type):
    tokenizer = _tokenizer(model_type, lower=True)
    saved = json.loads(json.dumps(tokenizer.to_dict()))
    assert saved["format"] == "grukit.text.SubwordTokenizer" and saved["version"] == 1
    assert saved["model_type"] == model_type and saved["lower"] is True
    assert base64.b64decode(saved["model"]) == tokenizer.model
    loaded = SubwordTokenizer.from_dict(saved)
    assert loaded == tokenizer and len(loaded) == len(tokenizer)
    assert loaded.encode_all([*SENTENCES, NEW]) == tokenizer.encode_all([*SENTENCES, NEW])


def test_from_dict_refuses_what_to_dict_did_not_write():
    saved = _tokenizer().to_dict()
    cases = [
        ({**saved, "format": "other"}, "not a subword tokenizer: expected format"),
        ({**saved, "version": 2}, "version 2"),
        ({**saved, "model": "not base64!"}, "`model` is not valid base64"),
        ({**saved, "model": base64.b64encode(b"garbage").decode()}, "not a SentencePiece model"),
        ({**saved, "model": 3}, "must be a base64 str, got int"),
        ({**saved, "vocab_size": 7}, "`vocab_size` says 7 pieces, its model has 120"),
        ({**saved, "model_type": "word"}, "`model_type` must be one of 'bpe', 'unigram'"),
        ({**saved, "extra": 1}, r"keys that SubwordTokenizer does not take: \['extra'\]"),
    ]
    for data, message in cases:
        with pytest.raises(ValueError, match=message):
            SubwordTokenizer.from_dict(data)


def test_a_model_with_other_special_ids_is_refused():
    writer = io.BytesIO()  # SentencePiece's own defaults: <unk> 0, <s> 1, </s> 2, no pad
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(SENTENCES), model_writer=writer, vocab_size=60, minloglevel=2
    )
    with pytest.raises(GrukitDataError, match=r"ids 0-3 must be the special pieces .*'<unk>'"):
        SubwordTokenizer(writer.getvalue())


def test_training_errors():
    with pytest.raises(GrukitDataError, match="`sentences` must be a list of str, got str"):
        SubwordTokenizer.train("Der Hund läuft.")
    with pytest.raises(GrukitDataError, match=r"`sentences\[1\]` must be a str, got int"):
        SubwordTokenizer.train(["a", 1])
    with pytest.raises(GrukitDataError, match="at least one sentence that is not blank, got 2"):
        SubwordTokenizer.train([" ", "\t"])
    with pytest.raises(GrukitDataError, match="at least one sentence that is not blank, got 0"):
        SubwordTokenizer.train([])
    # a, b, c and the word mark: 4 characters, and 4 special pieces
    with pytest.raises(GrukitDataError, match="`vocab_size` must be at least 8 .*, got 6$"):
        SubwordTokenizer.train(["abc abc"] * 10, vocab_size=6)
    with pytest.raises(GrukitDataError, match="`vocab_size` must be an integer >= 5"):
        SubwordTokenizer.train(SENTENCES, vocab_size=4)
    with pytest.raises(GrukitDataError, match="`model_type` must be one of"):
        SubwordTokenizer.train(SENTENCES, model_type="char")
    with pytest.raises(GrukitDataError, match="`character_coverage` must be a number in"):
        SubwordTokenizer.train(SENTENCES, character_coverage=0.0)


def test_encoding_and_decoding_errors():
    tokenizer = _tokenizer()
    with pytest.raises(GrukitDataError, match="`text` must be a str, got int"):
        tokenizer.encode(3)
    with pytest.raises(GrukitDataError, match=r"`texts\[1\]` must be a str, got NoneType"):
        tokenizer.encode_all(["a", None])
    with pytest.raises(GrukitDataError, match=r"`ids\[1\]` must be an integer in \[0, 120\)"):
        tokenizer.decode([5, 120])
    with pytest.raises(GrukitDataError, match=r"`ids\[0\]` must be an integer in \[0, 120\)"):
        tokenizer.decode([-1])
    with pytest.raises(GrukitDataError, match=r"`index` must be an integer in \[0, 120\), got 2.0"):
        tokenizer.piece(2.0)
