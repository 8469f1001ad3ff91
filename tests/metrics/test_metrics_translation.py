"""Translation scores: BLEU and chrF as sacreBLEU computes them, hand-checked cases, errors."""

import math

import pytest
import sacrebleu

from grukit.metrics import sentence_bleu, translation_scores

HYPOTHESES = ["the cat sat on the mat", "a dog runs in the park .", "Hello , world"]
REFERENCES = ["the cat sat on a mat", "the dog runs in the park .", "hello , world"]


def test_a_perfect_translation_scores_100():
    scores = translation_scores(REFERENCES, REFERENCES)
    assert scores["bleu"] == pytest.approx(100.0)
    assert scores["chrf"] == pytest.approx(100.0)
    assert scores["exact_match"] == 1.0 and scores["sentences"] == 3
    assert scores["brevity_penalty"] == 1.0


def test_bleu_by_hand_all_ngram_orders_matched():
    # unigrams 5/6 (the second "the" is clipped), bigrams 3/5, trigrams 2/4, 4-grams 1/3;
    # equal lengths: no brevity penalty; BLEU = (5/6 * 3/5 * 2/4 * 1/3) ** (1/4) = (1/12) ** 0.25
    scores = translation_scores(["the cat sat on the mat"], ["the cat sat on a mat"])
    assert scores["bleu"] == pytest.approx(100 * (1 / 12) ** 0.25)
    assert scores["bleu_precisions"] == pytest.approx([500 / 6, 60.0, 50.0, 100 / 3])


def test_bleu_by_hand_brevity_penalty():
    # every n-gram of the 4 words matches; the reference has 6: BP = exp(1 - 6/4)
    scores = translation_scores(["the cat sat on"], ["the cat sat on the mat"])
    assert scores["brevity_penalty"] == pytest.approx(math.exp(-0.5))
    assert scores["bleu"] == pytest.approx(100 * math.exp(-0.5))


def test_bleu_by_hand_exponential_smoothing_of_a_zero_count():
    # 3/4, 2/3, 1/2 and no 4-gram of 1: sacreBLEU's "exp" smoothing counts it as 1 / (2 * 1)
    scores = translation_scores(["a b c d"], ["a b c e"])
    assert scores["bleu"] == pytest.approx(100 * (3 / 4 * 2 / 3 * 1 / 2 * 1 / 2) ** 0.25)


def test_scores_are_sacrebleus_corpus_scores():
    scores = translation_scores(HYPOTHESES, REFERENCES)
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES]).score)
    assert scores["chrf"] == pytest.approx(sacrebleu.corpus_chrf(HYPOTHESES, [REFERENCES]).score)
    lower = translation_scores(HYPOTHESES, REFERENCES, lowercase=True)
    expected = sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES], lowercase=True).score
    assert lower["bleu"] == pytest.approx(expected) and lower["bleu"] > scores["bleu"]


def test_the_corpus_score_is_not_the_mean_of_sentence_scores():
    scores = translation_scores(HYPOTHESES, REFERENCES)
    mean = sum(map(sentence_bleu, HYPOTHESES, REFERENCES)) / len(HYPOTHESES)
    assert scores["bleu"] != pytest.approx(mean)


def test_exact_matches_are_counted_after_stripping():
    hypotheses = ["  Hello world ", "Good day", "bye", "Bye"]
    references = ["Hello world", "Good  day", "Bye", "Bye\n"]
    assert translation_scores(hypotheses, references)["exact_match"] == 0.5
    assert translation_scores(hypotheses, references, lowercase=True)["exact_match"] == 0.75


def test_signatures_say_how_the_scores_were_computed():
    scores = translation_scores(HYPOTHESES, REFERENCES)
    version = f"version:{sacrebleu.__version__}"
    assert scores["bleu_signature"] == f"nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|{version}"
    assert scores["chrf_signature"].startswith("nrefs:1|case:mixed|")
    assert "nc:6" in scores["chrf_signature"] and version in scores["chrf_signature"]
    lower = translation_scores(HYPOTHESES, REFERENCES, lowercase=True)
    assert "case:lc" in lower["bleu_signature"] and "case:lc" in lower["chrf_signature"]


def test_sentence_bleu():
    assert sentence_bleu("the cat sat on the mat", "the cat sat on the mat") == pytest.approx(100)
    # two words: effective order 2, so the missing 3- and 4-grams do not count
    assert sentence_bleu("the cat", "the cat") == pytest.approx(100)
    expected = sacrebleu.sentence_bleu("a dog runs", ["the dog runs"]).score
    assert sentence_bleu("a dog runs", "the dog runs") == pytest.approx(expected)


def test_errors():
    with pytest.raises(ValueError, match="`hypotheses` holds 2 sentences and `references` 1"):
        translation_scores(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="at least one sentence, got 0"):
        translation_scores([], [])
    with pytest.raises(ValueError, match=r"`references\[1\]` must be a str, got int"):
        translation_scores(["a", "b"], ["a", 2])
    with pytest.raises(ValueError, match="`hypotheses` must be a list of str, got str"):
        translation_scores("a", "a")
    with pytest.raises(ValueError, match="`lowercase` must be True or False"):
        translation_scores(["a"], ["a"], lowercase=1)
    with pytest.raises(ValueError, match="`reference` must be a str, got list"):
        sentence_bleu("a", ["a"])
