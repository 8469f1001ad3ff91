"""The NumPy linear-chain CRF against brute-force enumeration of all K**T paths (T, K <= 4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from grukit.reference import crf_log_partition, crf_marginals, crf_sequence_score, crf_viterbi
from strategies import seeds, sizes
from support.crf import brute_force, brute_marginals, logsumexp, random_crf


@settings(max_examples=40)
@given(steps=sizes(4), num_tags=sizes(4), seed=seeds)
def test_log_partition_is_the_logsumexp_of_every_path(steps, num_tags, seed):
    scores = random_crf(seed, steps, num_tags, scale=2.0)
    _, path_scores = brute_force(*scores)
    assert crf_log_partition(*scores) == pytest.approx(logsumexp(path_scores), abs=1e-10)


@settings(max_examples=40)
@given(steps=sizes(4), num_tags=sizes(4), seed=seeds)
def test_sequence_scores_of_all_paths_exp_sum_to_z(steps, num_tags, seed):
    emissions, transitions, start, end = random_crf(seed, steps, num_tags)
    paths, expected = brute_force(emissions, transitions, start, end)
    scores = np.array(
        [crf_sequence_score(emissions, path, transitions, start, end) for path in paths]
    )
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)
    z = np.exp(crf_log_partition(emissions, transitions, start, end))
    assert np.exp(scores).sum() == pytest.approx(z, rel=1e-12)


@settings(max_examples=40)
@given(steps=sizes(4), num_tags=sizes(4), seed=seeds)
def test_viterbi_is_the_brute_force_argmax(steps, num_tags, seed):
    scores = random_crf(seed, steps, num_tags)
    paths, path_scores = brute_force(*scores)
    path, score = crf_viterbi(*scores)
    assert path.dtype == np.int64 and path.shape == (steps,)
    assert path.tolist() == paths[np.argmax(path_scores)].tolist()
    assert score == pytest.approx(path_scores.max(), abs=1e-12)
    assert score == pytest.approx(crf_sequence_score(scores[0], path, *scores[1:]), abs=1e-12)


@settings(max_examples=40)
@given(steps=sizes(4), num_tags=sizes(4), seed=seeds)
def test_marginals_are_the_brute_force_marginals(steps, num_tags, seed):
    scores = random_crf(seed, steps, num_tags)
    paths, path_scores = brute_force(*scores)
    marginals = crf_marginals(*scores)
    assert marginals.shape == (steps, num_tags)
    np.testing.assert_allclose(marginals.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    expected = brute_marginals(paths, path_scores, num_tags)
    np.testing.assert_allclose(marginals, expected, rtol=0, atol=1e-12)


def test_forbidden_transitions_of_minus_infinity_are_never_taken():
    emissions, transitions, start, end = random_crf(3, 4, 3)
    transitions[:, 1] = -np.inf  # tag 1 can only start a sequence
    start[0] = -np.inf
    paths, path_scores = brute_force(emissions, transitions, start, end)
    finite = np.isfinite(path_scores)
    assert finite.any() and not finite.all()
    log_z = crf_log_partition(emissions, transitions, start, end)
    assert log_z == pytest.approx(logsumexp(path_scores[finite]), abs=1e-10)
    path, _ = crf_viterbi(emissions, transitions, start, end)
    assert 1 not in path[1:].tolist() and path[0] != 0
    marginals = crf_marginals(emissions, transitions, start, end)
    assert np.all(marginals[1:, 1] == 0) and marginals[0, 0] == 0
    assert np.all(np.isfinite(marginals))


def test_one_step_one_tag():
    scores = (np.array([[1.5]]), np.array([[7.0]]), np.array([0.25]), np.array([-1.0]))
    assert crf_log_partition(*scores) == pytest.approx(0.75)
    assert crf_viterbi(*scores)[0].tolist() == [0]
    assert crf_marginals(*scores).tolist() == [[1.0]]


def test_huge_scores_stay_finite():
    emissions, transitions, start, end = random_crf(5, 4, 3, scale=1e4)
    paths, path_scores = brute_force(emissions, transitions, start, end)
    log_z = crf_log_partition(emissions, transitions, start, end)
    assert log_z == pytest.approx(logsumexp(path_scores), rel=1e-12)
    marginals = crf_marginals(emissions, transitions, start, end)
    assert np.all(np.isfinite(marginals))
    np.testing.assert_allclose(marginals.sum(axis=1), 1.0, atol=1e-9)


E, TR, S = np.zeros((3, 2)), np.zeros((2, 2)), np.zeros(2)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((np.zeros(3), TR, S, S), ValueError, r"`emissions` must be a 2-D array \(T, K\) with T"),
        ((np.zeros((0, 2)), TR, S, S), ValueError, r"T >= 1 steps .*got shape \(0, 2\)"),
        ((E > 0, TR, S, S), TypeError, "`emissions` must be a real floating-point array, got"),
        ((E, np.zeros((2, 3)), S, S), ValueError, r"`transitions` must have shape \(K, K\) ="),
        ((E, TR, np.zeros(3), S), ValueError, r"`start` must have shape \(K,\) = \(2,\), got"),
        ((E, TR, S, np.zeros((2, 1))), ValueError, r"`end` must have shape \(K,\) = \(2,\)"),
        ((E, TR, S, S.astype(complex)), TypeError, "`end` must be a real floating-point array"),
    ],
)
def test_bad_shapes_are_refused(arguments, error, message):
    for function in (crf_log_partition, crf_marginals, crf_viterbi):
        with pytest.raises(error, match=message):
            function(*arguments)
    with pytest.raises(error, match=message):
        crf_sequence_score(arguments[0], np.zeros(3, dtype=int), *arguments[1:])


@pytest.mark.parametrize(
    ("tags", "error", "message"),
    [
        (np.zeros(2, dtype=int), ValueError, r"`tags` must have shape \(T,\) = \(3,\), got \(2,\)"),
        (np.zeros(3), TypeError, "`tags` must be an array of integers, got dtype float64"),
        (
            np.array([0, 2, 1]),
            ValueError,
            r"`tags` must lie in \[0, 1\] \(the tag indices\), got 2$",
        ),
        (np.array([0, -1, 1]), ValueError, r"`tags` must lie in \[0, 1\] .*got -1"),
    ],
)
def test_bad_tags_are_refused(tags, error, message):
    with pytest.raises(error, match=message):
        crf_sequence_score(E, tags, TR, S, S)
