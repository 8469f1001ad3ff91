"""Scoring a :class:`grukit.SequenceTagger` and its baseline on labelled sentences.

Gold labels are converted from their scheme to IOB2 (strictly: they must be valid), the
network's predictions from the training scheme and the baseline's from the input scheme (both
read leniently, as ``conlleval`` reads them); then :func:`grukit.metrics.tagging.entity_scores`
(``seqeval``'s entity-level precision, recall and F1) scores each.
"""

from __future__ import annotations

from typing import Any

from grukit.tasks.tagger_data import render_tags

__all__ = ["baseline_predictions", "evaluate_tagger"]


def baseline_predictions(tagger: Any, sentences: Any) -> list[list[str]] | None:
    """The most-frequent-tag baseline's labels of `sentences` (the training data's scheme as
    read), or None when the tagger has no baseline."""
    if not tagger.baseline_:
        return None
    from grukit.baselines.tagging import MostFrequentTag

    return MostFrequentTag.from_dict(tagger.baseline_).predict(sentences.tokens)


def evaluate_tagger(tagger: Any, sentences: Any) -> dict[str, Any]:
    """Scores of the network (``"model"``) and the baseline (``"baseline"``, None without one)
    on read, labelled `sentences`, the network's entity-type confusion, and the counts.

    Returns
    -------
    dict
        ``model`` and ``baseline``: :func:`grukit.metrics.tagging.entity_scores`;
        ``confusion``: :func:`grukit.metrics.tagging.entity_confusion` of the network;
        ``beats_baseline``: whether the network's entity F1 is above the baseline's;
        ``sentences``, ``tokens``, ``scheme`` (of the gold labels), ``source``.
    """
    from grukit.metrics.tagging import entity_confusion, entity_scores

    tagger._check_types(sentences)
    gold = sentences.to_scheme("IOB2", strict=False).labels
    predicted = [render_tags(row, tagger.scheme, "IOB2") for row in tagger._decode(sentences)]
    result: dict[str, Any] = {
        "source": sentences.source,
        "scheme": sentences.scheme,
        "sentences": len(sentences),
        "tokens": sum(len(tokens) for tokens in sentences.tokens),
        "model": entity_scores(gold, predicted),
        "confusion": entity_confusion(gold, predicted),
        "baseline": None,
        "beats_baseline": None,
    }
    baseline = baseline_predictions(tagger, sentences)
    if baseline is not None:
        baseline_iob2 = [render_tags(row, tagger.input_scheme_, "IOB2") for row in baseline]
        result["baseline"] = entity_scores(gold, baseline_iob2)
        result["beats_baseline"] = result["model"]["f1"] > result["baseline"]["f1"]
    return result
