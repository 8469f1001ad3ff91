"""Word and character tokenisers: HTML breaks, apostrophes, punctuation, case, settings."""

import re

import pytest

from grukit.data import GrukitDataError
from grukit.text import WORD_PATTERN, Tokenizer, clean_text, tokenize_chars, tokenize_words


def test_html_line_breaks_and_simple_tags_become_spaces():
    text = "One.<br /><br />Two<br>three<BR/>four <i>five</i> <a href='x'>six</a>"
    assert tokenize_words(text) == ["one", ".", "two", "three", "four", "five", "six"]
    assert "<" not in clean_text(text) and ">" not in clean_text(text)


def test_angle_brackets_that_are_not_tags_stay():
    assert tokenize_words("a < b, I <3 it", lower=False) == [
        "a",
        "<",
        "b",
        ",",
        "I",
        "<",
        "3",
        "it",
    ]


def test_strip_html_false_keeps_tags_as_punctuation_and_words():
    assert tokenize_words("a<br />b", strip_html=False) == ["a", "<", "br", "/", ">", "b"]


def test_entities_are_decoded():
    assert tokenize_words("Tom &amp; Jerry&#39;s") == ["tom", "&", "jerry's"]


def test_apostrophes_inside_words_are_kept_and_at_the_edges_split():
    assert tokenize_words("Don't o'clock it’s") == ["don't", "o'clock", "it’s"]
    assert tokenize_words("'quoted' students'") == ["'", "quoted", "'", "students", "'"]


def test_punctuation_and_numbers_are_separate_tokens():
    assert tokenize_words("Wow!!! 3.5/10, 10,000 fans... (80s)") == [
        "wow", "!", "!", "!", "3.5", "/", "10", ",", "10,000", "fans", ".", ".", ".",
        "(", "80s", ")",
    ]  # fmt: skip


def test_lower_casing_is_an_option():
    assert tokenize_words("The END") == ["the", "end"]
    assert tokenize_words("The END", lower=False) == ["The", "END"]
    assert clean_text("ÀB") == "ÀB" and clean_text("ÀB", lower=True) == "àb"


def test_the_word_tokeniser_is_the_documented_expression():
    text = "It's a 7/10 <br />film -- really, 1,000.5 times!"
    assert tokenize_words(text, lower=False) == re.findall(WORD_PATTERN, clean_text(text))


def test_characters_collapse_whitespace_and_strip_tags():
    assert tokenize_chars("  Hi<br />\n\tyou ") == ["h", "i", " ", "y", "o", "u"]
    assert tokenize_chars("Ab", lower=False) == ["A", "b"]
    assert tokenize_chars("") == [] and tokenize_words("") == []
    assert tokenize_words("<br /><br />") == []


def test_tokenizer_object_round_trips_and_tokenises_all_rows():
    for level in ("word", "char"):
        tokenizer = Tokenizer(level=level, lower=False, strip_html=True)
        assert Tokenizer.from_dict(tokenizer.to_dict()) == tokenizer
    assert Tokenizer().tokenize_all(["A b", "C"]) == [["a", "b"], ["c"]]
    assert Tokenizer(level="char").tokenize_all(["ab"]) == [["a", "b"]]


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(GrukitDataError, match=r"`level` must be one of 'word', 'char', got 'bpe'"):
        Tokenizer(level="bpe")
    with pytest.raises(GrukitDataError, match=r"`lower` must be True or False, got 1"):
        Tokenizer(lower=1)
    with pytest.raises(GrukitDataError, match=r"`texts\[1\]` must be a str, got float nan"):
        Tokenizer().tokenize_all(["ok", float("nan")])
    with pytest.raises(GrukitDataError, match="got one str"):
        Tokenizer().tokenize_all("abc")
    with pytest.raises(GrukitDataError, match=r"`text` must be a str, got bytes"):
        tokenize_words(b"abc")
    with pytest.raises(GrukitDataError, match="word pattern"):
        Tokenizer.from_dict({"level": "word", "word_pattern": r"\w+"})
    with pytest.raises(GrukitDataError, match=r"does not take: \['case'\]"):
        Tokenizer.from_dict({"case": True})


def test_tokenising_is_deterministic():
    text = "Same <br />text, same tokens: don't you think?"
    assert tokenize_words(text) == tokenize_words(text)
