"""How :class:`grukit.SequenceGenerator` is scored, beside its baseline.

Token levels: the network reads the whole id stream as one row (the state carried from the
first token to the last, as Zaremba et al. 2014 evaluate), and every token but the first is
predicted; cross-entropy (nats per token), perplexity and bits per token (per character at
``level="char"``). Baseline: the unigram model of the training tokens (add-one smoothed).

Music: each piece from a zero state, every frame but the first predicted; the negative
log-likelihood per frame summed over the 88 keys (the published tables' metric) and frame-level
accuracy (keys above 0.5). Baseline: each key on with its training frequency.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grukit.metrics.generation import frame_accuracy, frame_nll, language_model_scores

__all__ = ["evaluate_generator", "frame_baseline", "unigram_baseline"]

_CHUNK = 1024  # steps of the stream per network call


def unigram_baseline(ids: np.ndarray, size: int) -> list[float]:
    """Add-one smoothed probabilities (size,) of the training ids."""
    counts = np.bincount(ids, minlength=size).astype(np.float64) + 1.0
    return (counts / counts.sum()).tolist()


def frame_baseline(rolls: list[np.ndarray]) -> list[float]:
    """Each key's frequency over the training frames (clipped away from 0 and 1)."""
    frames = np.concatenate([np.asarray(roll, dtype=np.float64) for roll in rolls])
    return np.clip(frames.mean(axis=0), 1e-4, 1 - 1e-4).tolist()


def _stream_nll(network: Any, ids: np.ndarray) -> tuple[float, int]:
    import torch
    import torch.nn.functional as F

    total, state = 0.0, None
    inputs, targets = ids[:-1], ids[1:]
    for start in range(0, len(inputs), _CHUNK):
        x = torch.as_tensor(inputs[None, start : start + _CHUNK])
        y = torch.as_tensor(targets[start : start + _CHUNK])
        logits, state = network.run(x, state)
        total += float(F.cross_entropy(logits[0].double(), y, reduction="sum"))
    return total, len(targets)


def _token_scores(model: Any, corpus: Any) -> dict[str, Any]:
    ids = model._prep.stream(corpus)
    if len(ids) < 2:
        from grukit.data._errors import GrukitDataError

        raise GrukitDataError(f"{corpus.source} has {len(ids)} token(s); scoring needs two")
    total, count = _stream_nll(model.network_, ids)
    scores: dict[str, Any] = {"model": language_model_scores(total, count)}
    known = ids[1:] != 1
    scores["model"]["unknown_rate"] = float(1.0 - known.mean())
    if model.baseline_ is not None:
        probabilities = np.asarray(model.baseline_, dtype=np.float64)
        baseline_nll = float(-np.log(probabilities[ids[1:]]).sum())
        scores["baseline"] = {"name": "unigram", **language_model_scores(baseline_nll, count)}
    return scores


def _music_scores(model: Any, corpus: Any) -> dict[str, Any]:
    import torch

    rolls = [roll for roll in corpus.documents if len(roll) >= 2]
    probabilities = []
    for roll in rolls:
        x = torch.as_tensor(np.asarray(roll[None, :-1], dtype=np.float32))
        x = torch.cat([x, torch.ones(1, len(roll) - 1, 1)], dim=2)
        logits, _ = model.network_.run(x)
        probabilities.append(torch.sigmoid(logits[0].double()).numpy())
    targets = [roll[1:] for roll in rolls]
    frames = int(sum(len(t) for t in targets))
    model_scores = {
        "nll_per_frame": frame_nll(probabilities, targets),
        "frame_accuracy": frame_accuracy([p > 0.5 for p in probabilities], targets),
        "frames": frames,
    }
    scores: dict[str, Any] = {"model": model_scores}
    if model.baseline_ is not None:
        marginal = np.asarray(model.baseline_, dtype=np.float64)
        flat = [np.broadcast_to(marginal, t.shape) for t in targets]
        scores["baseline"] = {
            "name": "key frequencies",
            "nll_per_frame": frame_nll(flat, targets),
            "frame_accuracy": frame_accuracy([f > 0.5 for f in flat], targets),
            "frames": frames,
        }
    return scores


def evaluate_generator(model: Any, corpus: Any) -> dict[str, Any]:
    """``{"model": {...}, "baseline": {...}, "level", "documents"}`` for a read corpus."""
    import torch

    from grukit.runtime.threads import compute_threads, step_work

    network = model.network_.eval()
    with compute_threads(step_work(network, 1)), torch.inference_mode():
        if model.level == "music":
            scores = _music_scores(model, corpus)
        else:
            scores = _token_scores(model, corpus)
    beaten = None
    if "baseline" in scores:
        key = "nll_per_frame" if model.level == "music" else "cross_entropy"
        beaten = bool(scores["model"][key] < scores["baseline"][key])
    return {**scores, "level": model.level, "documents": len(corpus), "beats_baseline": beaten}
