"""Brute force for the linear-chain CRF: every one of the ``K**T`` paths, scored by loops.

Independent of ``grukit.reference.crf`` and ``grukit.nn.crf``: the score of each path is summed
term by term, so that the forward algorithm, forward-backward and Viterbi can be checked
against plain enumeration (T <= 4 and K <= 4 keep it at 256 paths at most).
"""

from __future__ import annotations

import itertools

import numpy as np


def all_paths(steps: int, num_tags: int) -> np.ndarray:
    """Every tag path of ``steps`` steps over ``num_tags`` tags, int64 (K**T, T)."""
    paths = list(itertools.product(range(num_tags), repeat=steps))
    return np.array(paths, dtype=np.int64).reshape(len(paths), steps)


def path_score(emissions, path, transitions, start, end) -> float:
    """``start[y_0] + sum_t emissions[t, y_t] + sum_t transitions[y_{t-1}, y_t] + end[y_-1]``."""
    total = float(start[path[0]]) + float(end[path[-1]])
    for t, tag in enumerate(path):
        total += float(emissions[t, tag])
        if t:
            total += float(transitions[path[t - 1], tag])
    return total


def brute_force(emissions, transitions, start, end) -> tuple[np.ndarray, np.ndarray]:
    """``(paths (K**T, T), scores (K**T,))`` of one sequence's emissions (T, K)."""
    steps, num_tags = emissions.shape
    paths = all_paths(steps, num_tags)
    scores = np.array([path_score(emissions, p, transitions, start, end) for p in paths])
    return paths, scores


def logsumexp(values: np.ndarray) -> float:
    peak = float(np.max(values))
    return peak + float(np.log(np.sum(np.exp(values - peak))))


def brute_marginals(paths: np.ndarray, scores: np.ndarray, num_tags: int) -> np.ndarray:
    """``p(y_t = k)`` (T, K) by summing the probabilities of the paths through each tag."""
    probabilities = np.exp(scores - logsumexp(scores))
    marginals = np.zeros((paths.shape[1], num_tags))
    for path, probability in zip(paths, probabilities, strict=True):
        marginals[np.arange(paths.shape[1]), path] += probability
    return marginals


def path_is_allowed(path, allowed, allowed_start, allowed_end) -> bool:
    """Whether a path starts, moves and ends only where the boolean constraints allow."""
    moves = all(allowed[a, b] for a, b in itertools.pairwise(path))
    return bool(allowed_start[path[0]] and allowed_end[path[-1]] and moves)


def random_crf(seed: int, steps: int, num_tags: int, scale: float = 1.0) -> tuple:
    """``(emissions (T, K), transitions (K, K), start (K,), end (K,))`` from N(0, scale**2)."""
    rng = np.random.default_rng(seed)
    return (
        rng.normal(scale=scale, size=(steps, num_tags)),
        rng.normal(scale=scale, size=(num_tags, num_tags)),
        rng.normal(scale=scale, size=num_tags),
        rng.normal(scale=scale, size=num_tags),
    )
