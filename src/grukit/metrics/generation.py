"""Scores of generative sequence models: language-model perplexity, polyphonic-music NLL and
frame accuracy (NumPy only).

**Language models** (text at the word or character level). With :math:`N` predicted tokens and
their summed negative log-likelihood :math:`L = -\\sum_i \\ln p(x_i \\mid x_{<i})` in nats,
:func:`language_model_scores` gives the cross-entropy :math:`H = L / N` (nats per token), the
perplexity :math:`e^H` and :math:`H / \\ln 2` bits per token. At the character level the last is
the *bits per character* (BPC) of the character-level benchmarks (Penn Treebank, enwik8).

**Polyphonic music** (piano rolls: frames of 0/1 over keys, each key a Bernoulli output). The
published metric (Boulanger-Lewandowski et al. 2012; Chung et al. 2014; Bai et al. 2018, TCN's
``music_test.py``) is the negative log-likelihood per frame in nats: with :math:`y_{t,k}` the
target and :math:`p_{t,k}` the predicted probability that key :math:`k` sounds in frame
:math:`t`,

.. math::

    \\text{NLL} = \\frac{1}{F} \\sum_{t} \\sum_{k} -\\big[ y_{t,k} \\ln p_{t,k}
    + (1 - y_{t,k}) \\ln (1 - p_{t,k}) \\big],

summed over the keys and averaged over the :math:`F` predicted frames of all sequences (frame
:math:`t + 1` predicted from frames :math:`\\le t`: a sequence of :math:`T` frames gives
:math:`T - 1` predictions; the caller aligns predictions with targets). :func:`frame_nll` takes
probabilities, clipped to :math:`[\\epsilon, 1 - \\epsilon]` with :data:`FRAME_NLL_EPS`;
:func:`frame_nll_from_logits` takes the logits :math:`z` and computes
:math:`\\text{softplus}(z) - y z` without overflow and without clipping.

The **frame-level accuracy** of Bay et al. (2009), used by Boulanger-Lewandowski et al. (2012),
counts true positives (a key predicted on that is on), false positives and false negatives over
all frames and keys: :math:`\\text{ACC} = TP / (TP + FP + FN)` (:func:`frame_accuracy`).

Sequences are given as one ``(T, K)`` array, a ``(N, T, K)`` array, or a list of ``(T_i, K)``
arrays; predictions and targets must have the same shapes. Bad input raises ``ValueError`` with
one line.

>>> round(language_model_scores(2 * math.log(4.0), 2)["perplexity"], 6)
4.0
>>> frame_accuracy([[1, 0, 1]], [[1, 1, 0]])
0.3333333333333333

References
----------
Bay, M., Ehmann, A. F., Downie, J. S. (2009), "Evaluation of Multiple-F0 Estimation and
Tracking Systems", ISMIR. Boulanger-Lewandowski, N., Bengio, Y., Vincent, P. (2012), "Modeling
Temporal Dependencies in High-Dimensional Sequences", ICML. Chung, J., Gulcehre, C., Cho, K.,
Bengio, Y. (2014), "Empirical Evaluation of Gated Recurrent Neural Networks on Sequence
Modeling", arXiv:1412.3555. Bai, S., Kolter, J. Z., Koltun, V. (2018), "An Empirical Evaluation
of Generic Convolutional and Recurrent Networks for Sequence Modeling", arXiv:1803.01271.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grukit import checks

__all__ = [
    "FRAME_NLL_EPS",
    "frame_accuracy",
    "frame_nll",
    "frame_nll_from_logits",
    "language_model_scores",
]

#: The clipping of probabilities in :func:`frame_nll`: a key predicted with probability 0 that
#: sounds costs :math:`-\ln 10^{-7} \approx 16.1` nats instead of infinity.
FRAME_NLL_EPS = 1e-7


def language_model_scores(total_nll: float, count: int) -> dict[str, float]:
    """Cross-entropy, perplexity and bits per token from a summed negative log-likelihood.

    Parameters
    ----------
    total_nll : float
        :math:`-\\sum_i \\ln p(x_i \\mid x_{<i})` over the predicted tokens, in nats (>= 0).
    count : int
        The number of predicted tokens, > 0.

    Returns
    -------
    dict
        ``cross_entropy`` (nats per token), ``perplexity`` (``exp(cross_entropy)``; ``inf``
        when it overflows), ``bits_per_token`` (``cross_entropy / ln 2``; bits per character
        for a character-level model) and ``tokens`` (``count``, an ``int``).

    Examples
    --------
    >>> scores = language_model_scores(6.931471805599453, 10)
    >>> round(scores["perplexity"], 6), round(scores["bits_per_token"], 6)
    (2.0, 1.0)
    """
    count = checks.positive_int("count", count)
    total = checks.number("total_nll", total_nll, low=0.0)
    cross_entropy = total / count
    perplexity = math.exp(cross_entropy) if cross_entropy < 709.0 else math.inf
    return {
        "cross_entropy": cross_entropy,
        "perplexity": perplexity,
        "bits_per_token": cross_entropy / math.log(2.0),
        "tokens": count,
    }


def _sequences(name: str, value: Any) -> list[np.ndarray]:
    """One 2-D float64 array per sequence, from a 2-D array, a 3-D array or a list of arrays."""
    items: list[Any]
    if isinstance(value, (list, tuple)) and all(isinstance(v, np.ndarray) for v in value):
        items = list(value)
    else:
        try:
            array = np.asarray(value)
        except ValueError:  # a ragged nested list: sequences of different lengths
            array = None
        if array is not None and array.ndim == 2:
            items = [array]
        elif array is not None and array.ndim == 3:
            items = list(array)
        elif array is None and isinstance(value, (list, tuple)):
            items = list(value)
        else:
            raise ValueError(
                f"`{name}` must be a (T, K) array, a (N, T, K) array or a list of (T, K) "
                f"arrays, got {type(value).__name__} of shape {getattr(array, 'shape', None)}"
            )
    if not items:
        raise ValueError(f"`{name}` must hold at least one sequence, got none")
    arrays = []
    for index, item in enumerate(items):
        array = np.asarray(item)
        if array.ndim != 2 or array.dtype.kind not in "biuf":
            raise ValueError(
                f"`{name}[{index}]` must be a 2-D numeric (T, K) array, got shape {array.shape} "
                f"of dtype {array.dtype}"
            )
        arrays.append(array.astype(np.float64, copy=False))
    return arrays


def _pairs(
    predicted_name: str, predicted: Any, rolls: Any
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    outputs, targets = _sequences(predicted_name, predicted), _sequences("rolls", rolls)
    if len(outputs) != len(targets):
        raise ValueError(
            f"`{predicted_name}` has {len(outputs)} sequences but `rolls` has {len(targets)}"
        )
    for index, (output, target) in enumerate(zip(outputs, targets, strict=True)):
        if output.shape != target.shape:
            raise ValueError(
                f"`{predicted_name}[{index}]` has shape {output.shape} but `rolls[{index}]` has "
                f"shape {target.shape}"
            )
        _zero_one("rolls", index, target)
    if sum(len(target) for target in targets) == 0:
        raise ValueError("`rolls` must hold at least one frame, got none")
    return outputs, targets


def _zero_one(name: str, index: int, values: np.ndarray) -> None:
    bad = (values != 0) & (values != 1)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"`{name}[{index}]` must hold only 0 and 1, got {values[position].item()!r} "
            f"at {position}"
        )


def frame_nll(probabilities: Any, rolls: Any, *, eps: float = FRAME_NLL_EPS) -> float:
    """Negative log-likelihood per frame in nats, summed over keys (the polyphonic-music metric).

    Parameters
    ----------
    probabilities : array_like or list of array_like
        Predicted probabilities that each key sounds, in [0, 1]: ``(T, K)``, ``(N, T, K)`` or a
        list of ``(T_i, K)`` arrays, frame ``t`` the prediction for frame ``t`` of ``rolls``.
    rolls : array_like or list of array_like
        The targets, 0/1, the same shapes.
    eps : float, default :data:`FRAME_NLL_EPS`
        Probabilities are clipped to ``[eps, 1 - eps]`` (0 <= eps < 0.5).

    Returns
    -------
    float
        The summed Bernoulli NLL over all frames and keys divided by the number of frames.

    Examples
    --------
    >>> round(frame_nll([[0.5, 0.5]], [[1, 0]]), 6) == round(2 * math.log(2.0), 6)
    True
    """
    eps = checks.number("eps", eps, low=0.0, high=0.5, high_open=True)
    outputs, targets = _pairs("probabilities", probabilities, rolls)
    total, frames = 0.0, 0
    for index, (output, target) in enumerate(zip(outputs, targets, strict=True)):
        if not np.all((output >= 0.0) & (output <= 1.0)):  # NaN fails too
            position = tuple(int(i) for i in np.argwhere(~((output >= 0) & (output <= 1)))[0])
            raise ValueError(
                f"`probabilities[{index}]` must hold probabilities in [0, 1], got "
                f"{output[position].item()!r} at {position}"
            )
        p = np.clip(output, eps, 1.0 - eps)
        total -= float(np.sum(target * np.log(p) + (1.0 - target) * np.log1p(-p)))
        frames += len(target)
    return total / frames


def frame_nll_from_logits(logits: Any, rolls: Any) -> float:
    """:func:`frame_nll` from logits (``p = sigmoid(logits)``), computed stably, not clipped.

    Each key costs ``softplus(z) - y z = max(z, 0) - y z + log1p(exp(-|z|))`` nats, the
    formula of PyTorch's ``binary_cross_entropy_with_logits``; the result equals
    ``binary_cross_entropy_with_logits(z, y, reduction="sum") / frames``.

    Parameters
    ----------
    logits : array_like or list of array_like
        Finite logits, the shapes of :func:`frame_nll`'s ``probabilities``.
    rolls : array_like or list of array_like
        The targets, 0/1, the same shapes.
    """
    outputs, targets = _pairs("logits", logits, rolls)
    total, frames = 0.0, 0
    for index, (z, target) in enumerate(zip(outputs, targets, strict=True)):
        if not np.all(np.isfinite(z)):
            position = tuple(int(i) for i in np.argwhere(~np.isfinite(z))[0])
            raise ValueError(
                f"`logits[{index}]` must be finite, got {z[position].item()!r} at {position}"
            )
        total += float(np.sum(np.maximum(z, 0.0) - target * z + np.log1p(np.exp(-np.abs(z)))))
        frames += len(target)
    return total / frames


def frame_accuracy(predicted: Any, rolls: Any) -> float:
    """Frame-level accuracy ``TP / (TP + FP + FN)`` (Bay et al. 2009), counted over all frames
    and keys of all sequences.

    Parameters
    ----------
    predicted : array_like or list of array_like
        The predicted rolls, 0/1 (threshold probabilities first, e.g. ``probabilities > 0.5``),
        the shapes of :func:`frame_nll`'s inputs.
    rolls : array_like or list of array_like
        The targets, 0/1, the same shapes.

    Returns
    -------
    float
        In [0, 1]; 1.0 when no key sounds in either (nothing to find, nothing predicted).

    Examples
    --------
    >>> frame_accuracy([[1, 1, 0, 0]], [[1, 0, 1, 0]])  # TP 1, FP 1, FN 1
    0.3333333333333333
    """
    outputs, targets = _pairs("predicted", predicted, rolls)
    true_positive = false_positive = false_negative = 0
    for index, (output, target) in enumerate(zip(outputs, targets, strict=True)):
        _zero_one("predicted", index, output)
        true_positive += int(np.sum((output == 1) & (target == 1)))
        false_positive += int(np.sum((output == 1) & (target == 0)))
        false_negative += int(np.sum((output == 0) & (target == 1)))
    counted = true_positive + false_positive + false_negative
    return true_positive / counted if counted else 1.0
