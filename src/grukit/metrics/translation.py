"""Scores of machine translation: corpus BLEU and chrF from sacreBLEU, and exact matches.

:func:`translation_scores` scores detokenised hypotheses against one reference each, as
sacreBLEU does from the command line (``sacrebleu refs.txt -i hyps.txt -m bleu chrf``): BLEU
with its 13a tokenisation, exponential smoothing of zero n-gram counts and the corpus brevity
penalty, from n-gram counts summed over all sentences (not an average of sentence scores);
chrF with character 6-grams and beta 2. Both are on sacreBLEU's 0-100 scale, and each comes
with sacreBLEU's signature (``nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0``),
which says how it was computed, so that scores are only compared with scores of the same
signature. ``exact_match`` is the share of hypotheses equal to their reference once surrounding
white space is stripped (and case folded, with ``lowercase``).

:func:`sentence_bleu` is sacreBLEU's sentence-level BLEU (``effective_order=True``: n-gram
orders longer than the sentence are left out), for looking at single sentences; a corpus is
scored with :func:`translation_scores`.

Bad input raises ``ValueError`` with one line.

>>> scores = translation_scores(["the cat sat on the mat"], ["the cat sat on a mat"])
>>> round(scores["bleu"], 2), scores["exact_match"], scores["sentences"]
(53.73, 0.0, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grukit import checks

__all__ = ["sentence_bleu", "translation_scores"]


def _texts(name: str, values: object) -> list[str]:
    return checks.strings(name, values)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False, got {value!r}")
    return value


def translation_scores(
    hypotheses: Sequence[str], references: Sequence[str], *, lowercase: bool = False
) -> dict[str, Any]:
    """Corpus BLEU and chrF (sacreBLEU) and the exact-match rate of translations.

    Parameters
    ----------
    hypotheses : sequence of str
        The system's translations, detokenised, one per sentence.
    references : sequence of str
        One reference translation per hypothesis, in the same order.
    lowercase : bool, default False
        Compare case-insensitively (every score; the signatures then say ``case:lc``).

    Returns
    -------
    dict
        ``bleu`` (0-100), ``bleu_signature``, ``bleu_precisions`` (the four n-gram precisions,
        0-100), ``brevity_penalty``, ``chrf`` (0-100), ``chrf_signature``, ``exact_match``
        (0-1) and ``sentences`` (the count): plain ``float``, ``str``, ``int`` and a list.

    Raises
    ------
    ValueError
        The two are not lists of str of the same, non-zero length.

    Examples
    --------
    >>> scores = translation_scores(["Hello world .", "Good day"], ["Hello world .", "Bye"])
    >>> scores["exact_match"], scores["bleu_signature"].startswith("nrefs:1|case:mixed")
    (0.5, True)
    """
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF

    hypotheses = _texts("hypotheses", hypotheses)
    references = _texts("references", references)
    lowercase = _flag("lowercase", lowercase)
    if len(hypotheses) != len(references):
        raise ValueError(
            f"`hypotheses` holds {len(hypotheses)} sentences and `references` "
            f"{len(references)}: one reference per hypothesis is needed"
        )
    if not hypotheses:
        raise ValueError("`hypotheses` and `references` must hold at least one sentence, got 0")
    bleu, chrf = BLEU(lowercase=lowercase), CHRF(lowercase=lowercase)
    bleu_score = bleu.corpus_score(hypotheses, [references])
    chrf_score = chrf.corpus_score(hypotheses, [references])

    def same(hypothesis: str, reference: str) -> bool:
        hypothesis, reference = hypothesis.strip(), reference.strip()
        if lowercase:
            hypothesis, reference = hypothesis.lower(), reference.lower()
        return hypothesis == reference

    matches = sum(same(h, r) for h, r in zip(hypotheses, references, strict=True))
    return {
        "bleu": float(bleu_score.score),
        "bleu_signature": str(bleu.get_signature()),
        "bleu_precisions": [float(p) for p in bleu_score.precisions],
        "brevity_penalty": float(bleu_score.bp),
        "chrf": float(chrf_score.score),
        "chrf_signature": str(chrf.get_signature()),
        "exact_match": matches / len(hypotheses),
        "sentences": len(hypotheses),
    }


def sentence_bleu(hypothesis: str, reference: str, *, lowercase: bool = False) -> float:
    """sacreBLEU's sentence BLEU (0-100) of one hypothesis against one reference.

    ``effective_order=True``: n-gram orders longer than the hypothesis do not count, so a short
    sentence is not scored 0 for having no 4-grams; zero counts are smoothed exponentially.

    Examples
    --------
    >>> round(sentence_bleu("the cat", "the cat"), 6)
    100.0
    """
    from sacrebleu.metrics.bleu import BLEU

    for name, value in (("hypothesis", hypothesis), ("reference", reference)):
        if not isinstance(value, str):
            raise ValueError(f"`{name}` must be a str, got {type(value).__name__} {value!r:.60}")
    bleu = BLEU(lowercase=_flag("lowercase", lowercase), effective_order=True)
    return float(bleu.sentence_score(hypothesis, [reference]).score)
