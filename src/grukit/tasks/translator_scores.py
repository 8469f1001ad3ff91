"""Translating many sentences with a fitted :class:`grukit.Seq2Seq`, and its scores: BLEU and
chrF from sacreBLEU on the detokenised output (:func:`grukit.metrics.translation_scores`),
exact match, and the perplexity of the references under teacher forcing, beside the floor of
copying the source unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grukit.data._errors import GrukitDataError
from grukit.text.parallel import ParallelText

__all__ = ["Translation", "evaluate_translator", "translate_all"]


@dataclass
class Translation:
    """One translation: the text, its target token ids, their log-probability, and the
    attention weights (target steps incl. ``<eos>``, source tokens) when asked for."""

    text: str
    ids: list[int]
    log_prob: float
    attention: np.ndarray | None


def _source_ids(model: Any, sentences: Sequence[Any]) -> list[list[int]]:
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise ValueError(f"`sentences` must be a str or a list of str, got "
                         f"{type(sentences).__name__}")  # fmt: skip
    limit = model.preparation_.max_length
    encoded = []
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise ValueError(f"sentence {index + 1} must be a str, got {type(sentence).__name__}")
        ids = model.preparation_.source.encode(sentence)
        if not ids:
            raise GrukitDataError(f"sentence {index + 1} is empty: there is nothing to translate")
        if len(ids) > limit:
            raise GrukitDataError(
                f"sentence {index + 1} has {len(ids)} source tokens, longer than the model's "
                f"max_length={limit}: split it ({sentence[:40]!r}...)"
            )
        encoded.append(ids)
    return encoded


Progress = Callable[[int, int], None]


def translate_all(model: Any, sentences: Sequence[str], *, beam: int | None = None,
                  length_penalty: float | None = None, max_length: int | None = None,
                  batch_size: int = 64, attention: bool = False,
                  progress: Progress | None = None) -> list[Translation]:  # fmt: skip
    """Translations of `sentences` in their order, decoded in batches of similar length.

    `max_length` caps the target tokens (default: the model's ``max_length``, and at most
    twice the longest source of a batch plus 10). `progress(done, total)` is called after
    each batch.
    """
    import torch

    from grukit import checks
    from grukit.runtime.threads import compute_threads, step_work
    from grukit.tasks.translator_decoding import decode_batch

    beam = model.beam if beam is None else checks.positive_int("beam", beam)
    penalty = model.length_penalty if length_penalty is None else checks.number(
        "length_penalty", length_penalty, low=0.0)  # fmt: skip
    limit = model.preparation_.max_length
    if max_length is not None:
        limit = checks.positive_int("max_length", max_length)
    batch_size = checks.positive_int("batch_size", batch_size)
    encoded = _source_ids(model, sentences)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    results: list[Translation | None] = [None] * len(encoded)
    network, target = model.network_.eval(), model.preparation_.target
    with compute_threads(step_work(network, batch_size * beam)):
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            longest = max(len(encoded[i]) for i in rows)
            source = torch.zeros(len(rows), longest, dtype=torch.long)
            for row, index in enumerate(rows):
                source[row, : len(encoded[index])] = torch.tensor(encoded[index])
            decoded = decode_batch(network, source, beam=beam, length_penalty=penalty,
                                   max_length=min(limit, 2 * longest + 10),
                                   attention=attention)  # fmt: skip
            for index, result in zip(rows, decoded, strict=True):
                results[index] = Translation(target.decode(result.ids), result.ids,
                                             result.log_prob, result.attention)  # fmt: skip
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
    return [result for result in results if result is not None]


def _perplexity(model: Any, text: ParallelText) -> float:
    """exp(mean cross-entropy per reference token, ``<eos>`` included) under teacher forcing."""
    import torch

    from grukit.tasks.translator_networks import translation_loss
    from grukit.tasks.translator_prep import translation_pairs

    sources, targets = model.preparation_.encode(text, part="evaluation data")
    pairs, following = translation_pairs(sources, targets)
    total = tokens = 0.0
    network = model.network_.eval()
    with torch.no_grad():
        for start in range(0, len(pairs), 128):
            batch = torch.from_numpy(pairs[start : start + 128])
            labels = torch.from_numpy(following[start : start + 128])
            count = float((labels != -100).sum())
            total += float(translation_loss(network(batch), labels)) * count
            tokens += count
    return math.exp(total / tokens)


def evaluate_translator(model: Any, text: ParallelText, *, beam: int | None = None,
                        progress: Any = None) -> dict[str, Any]:  # fmt: skip
    """``{"model": scores, "baselines": {"copy_source": scores}, "sentences", "beam",
    "examples"}``; the scores are :func:`grukit.metrics.translation_scores`' (BLEU, chrF,
    their signatures, exact match), the model's with ``perplexity``. ``examples``: the first
    five (source, reference, hypothesis)."""
    from grukit.metrics.translation import translation_scores

    beam = model.beam if beam is None else beam
    hypotheses = translate_all(model, text.sources, beam=beam, progress=progress)
    texts = [h.text for h in hypotheses]
    scores = translation_scores(texts, text.targets)
    scores["perplexity"] = _perplexity(model, text)
    examples = [
        {"source": s, "reference": r, "hypothesis": h}
        for s, r, h in zip(text.sources[:5], text.targets[:5], texts[:5], strict=True)
    ]
    return {
        "model": scores,
        "baselines": {"copy_source": translation_scores(list(text.sources), text.targets)},
        "sentences": len(text), "beam": beam, "hypotheses": texts, "examples": examples,
    }  # fmt: skip
