r"""NumPy reference of a linear-chain conditional random field (CRF): the executable specification.

A linear-chain CRF scores a whole tag sequence instead of one tag per step. One sequence of
``T`` steps over ``K`` tags has ``emissions`` (T, K) (the per-step tag scores a network
produces), ``transitions`` (K, K) with ``transitions[i, j]`` the score of tag ``i`` followed by
tag ``j``, and ``start`` (K,), ``end`` (K,) the scores of the first and the last tag. The
score of a path ``y = (y_0, ..., y_{T-1})`` is::

    score(y) = start[y_0] + sum_{t=0}^{T-1} emissions[t, y_t]
             + sum_{t=1}^{T-1} transitions[y_{t-1}, y_t] + end[y_{T-1}]

and its probability ``p(y) = exp(score(y)) / Z`` with ``log Z = logsumexp_y score(y)`` over all
``K**T`` paths, computed by the forward algorithm in log space::

    alpha_0[j] = start[j] + emissions[0, j]
    alpha_t[j] = logsumexp_i (alpha_{t-1}[i] + transitions[i, j]) + emissions[t, j]
    log Z      = logsumexp_j (alpha_{T-1}[j] + end[j])

The backward recursion ``beta_{T-1}[i] = end[i]``, ``beta_t[i] = logsumexp_j (transitions[i,
j] + emissions[t+1, j] + beta_{t+1}[j])`` gives the posterior marginals ``p(y_t = k) =
exp(alpha_t[k] + beta_t[k] - log Z)`` (which are also ``d log Z / d emissions[t, k]``).
Viterbi decoding replaces logsumexp by max (keeping backpointers) and returns the highest
scoring path, ties broken towards the lowest tag index.

Shapes: ``T`` steps (``T >= 1``), ``K`` tags (``K >= 1``). Every function works in float64 on
one sequence; scores of ``-inf`` (a forbidden transition) are allowed. Imports only NumPy.

>>> import numpy as np
>>> emissions = np.log([[0.9, 0.1], [0.2, 0.8]])
>>> zeros = np.zeros(2)
>>> path, score = crf_viterbi(emissions, np.zeros((2, 2)), zeros, zeros)
>>> path.tolist(), round(score, 4)
([0, 1], -0.3285)
>>> round(crf_log_partition(emissions, np.zeros((2, 2)), zeros, zeros), 4)
0.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["crf_log_partition", "crf_marginals", "crf_sequence_score", "crf_viterbi"]


def _float(value: Any, name: str, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``value`` as a float64 array of ``shape`` (spelled ``what``, e.g. ``"(K, K)"``)."""
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must be a real floating-point array, got dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"`{name}` must have shape {what} = {shape}, got {array.shape}")
    return array.astype(np.float64)


def _validate(
    emissions: Any, transitions: Any, start: Any, end: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four score arrays in float64, after checking that their shapes agree."""
    scores = np.asarray(emissions)
    if scores.dtype.kind not in "iuf":
        raise TypeError(
            f"`emissions` must be a real floating-point array, got dtype {scores.dtype}"
        )
    if scores.ndim != 2 or scores.shape[0] < 1 or scores.shape[1] < 1:
        raise ValueError(
            f"`emissions` must be a 2-D array (T, K) with T >= 1 steps and K >= 1 tags, "
            f"got shape {scores.shape}"
        )
    k = scores.shape[1]
    return (
        scores.astype(np.float64),
        _float(transitions, "transitions", (k, k), "(K, K)"),
        _float(start, "start", (k,), "(K,)"),
        _float(end, "end", (k,), "(K,)"),
    )


def _logsumexp(values: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(values), axis))``, stable, and ``-inf`` where every value is ``-inf``."""
    peak = np.max(values, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(values - peak), axis=axis, keepdims=True))
    return np.asarray(np.squeeze(total + peak, axis=axis))


def crf_sequence_score(emissions: Any, tags: Any, transitions: Any, start: Any, end: Any) -> float:
    """The unnormalised score of one tag path (see the module docstring).

    Parameters
    ----------
    emissions : array_like, shape (T, K)
    tags : array_like of int, shape (T,)
        The path, each tag in [0, K).
    transitions : array_like, shape (K, K)
        ``transitions[i, j]``: the score of tag ``i`` followed by tag ``j``.
    start, end : array_like, shape (K,)

    Returns
    -------
    float
        ``start[y_0] + sum_t emissions[t, y_t] + sum_{t>0} transitions[y_{t-1}, y_t] +
        end[y_{T-1}]``.
    """
    emissions, transitions, start, end = _validate(emissions, transitions, start, end)
    steps, k = emissions.shape
    path = np.asarray(tags)
    if path.dtype.kind not in "iu":
        raise TypeError(f"`tags` must be an array of integers, got dtype {path.dtype}")
    if path.shape != (steps,):
        raise ValueError(f"`tags` must have shape (T,) = ({steps},), got {path.shape}")
    if np.any((path < 0) | (path >= k)):
        bad = int(path[(path < 0) | (path >= k)][0])
        raise ValueError(f"`tags` must lie in [0, {k - 1}] (the tag indices), got {bad}")
    path = path.astype(np.int64)
    total = start[path[0]] + emissions[np.arange(steps), path].sum() + end[path[-1]]
    return float(total + transitions[path[:-1], path[1:]].sum())


def _forward(emissions: np.ndarray, transitions: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The forward log-scores ``alpha``, shape (T, K)."""
    alpha = np.empty_like(emissions)
    alpha[0] = start + emissions[0]
    for t in range(1, emissions.shape[0]):
        alpha[t] = _logsumexp(alpha[t - 1][:, None] + transitions, axis=0) + emissions[t]
    return alpha


def _backward(emissions: np.ndarray, transitions: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The backward log-scores ``beta``, shape (T, K)."""
    beta = np.empty_like(emissions)
    beta[-1] = end
    for t in range(emissions.shape[0] - 2, -1, -1):
        beta[t] = _logsumexp(transitions + (emissions[t + 1] + beta[t + 1])[None, :], axis=1)
    return beta


def crf_log_partition(emissions: Any, transitions: Any, start: Any, end: Any) -> float:
    """``log Z``: the logsumexp of the scores of all ``K**T`` paths (the forward algorithm).

    Parameters
    ----------
    emissions : array_like, shape (T, K)
    transitions : array_like, shape (K, K)
    start, end : array_like, shape (K,)

    Returns
    -------
    float
        ``log Z``; the log-likelihood of a path ``y`` is ``crf_sequence_score(y) - log Z``.
    """
    emissions, transitions, start, end = _validate(emissions, transitions, start, end)
    alpha = _forward(emissions, transitions, start)
    return float(_logsumexp(alpha[-1] + end, axis=0))


def crf_marginals(emissions: Any, transitions: Any, start: Any, end: Any) -> np.ndarray:
    """The posterior marginals ``p(y_t = k)`` (forward-backward).

    Parameters
    ----------
    emissions : array_like, shape (T, K)
    transitions : array_like, shape (K, K)
    start, end : array_like, shape (K,)

    Returns
    -------
    ndarray of float64, shape (T, K)
        Each row sums to one; equal to the gradient of ``log Z`` with respect to
        ``emissions``.
    """
    emissions, transitions, start, end = _validate(emissions, transitions, start, end)
    alpha = _forward(emissions, transitions, start)
    beta = _backward(emissions, transitions, end)
    log_z = _logsumexp(alpha[-1] + end, axis=0)
    return np.asarray(np.exp(alpha + beta - log_z))


def crf_viterbi(emissions: Any, transitions: Any, start: Any, end: Any) -> tuple[np.ndarray, float]:
    """The highest scoring path and its score (Viterbi decoding).

    Parameters
    ----------
    emissions : array_like, shape (T, K)
    transitions : array_like, shape (K, K)
    start, end : array_like, shape (K,)

    Returns
    -------
    path : ndarray of int64, shape (T,)
        ``argmax_y score(y)``, ties broken towards the lowest tag index at each step.
    score : float
        ``score(path)`` (:func:`crf_sequence_score`).
    """
    emissions, transitions, start, end = _validate(emissions, transitions, start, end)
    steps = emissions.shape[0]
    delta = start + emissions[0]
    pointers = np.zeros(emissions.shape, dtype=np.int64)
    for t in range(1, steps):
        candidates = delta[:, None] + transitions
        pointers[t] = np.argmax(candidates, axis=0)
        delta = candidates[pointers[t], np.arange(emissions.shape[1])] + emissions[t]
    delta = delta + end
    path = np.empty(steps, dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    for t in range(steps - 1, 0, -1):
        path[t - 1] = pointers[t, path[t]]
    return path, float(delta[path[-1]])
