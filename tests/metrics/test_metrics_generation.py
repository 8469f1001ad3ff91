"""Generation metrics: hand-computed values, a direct float64 formula, PyTorch's BCE with logits,
and the per-key marginal baseline of JSB Chorales (11.09 nats per frame)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grukit.metrics import (
    FRAME_NLL_EPS,
    frame_accuracy,
    frame_nll,
    frame_nll_from_logits,
    language_model_scores,
)
from support.datasets import JSB_CHORALES

# --------------------------------------------------------------------------- language models


def test_language_model_scores_by_hand():
    scores = language_model_scores(10 * math.log(50.0), 10)
    assert scores["cross_entropy"] == pytest.approx(math.log(50.0))
    assert scores["perplexity"] == pytest.approx(50.0)
    assert scores["bits_per_token"] == pytest.approx(math.log2(50.0))
    assert scores["tokens"] == 10 and isinstance(scores["tokens"], int)
    perfect = language_model_scores(0.0, 3)
    assert perfect == {"cross_entropy": 0.0, "perplexity": 1.0, "bits_per_token": 0.0, "tokens": 3}
    assert language_model_scores(1e6, 1)["perplexity"] == math.inf  # no OverflowError


@pytest.mark.parametrize(
    ("total", "count", "message"),
    [
        (1.0, 0, "`count` must be a positive integer, got 0"),
        (1.0, 2.0, "`count` must be a positive integer, got 2.0"),
        (float("nan"), 2, "`total_nll` must be a finite number >= 0, got nan"),
        (float("inf"), 2, "`total_nll` must be a finite number >= 0, got inf"),
        (-0.5, 2, "`total_nll` must be a finite number >= 0, got -0.5"),
    ],
)
def test_language_model_scores_refuse_bad_input(total, count, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        language_model_scores(total, count)


# ------------------------------------------------------------------------------- frame NLL


def test_frame_nll_by_hand():
    probabilities = [[0.5, 0.25], [0.9, 0.1]]
    rolls = [[1, 0], [0, 0]]
    # frame 1: -ln .5 - ln .75; frame 2: -ln .1 - ln .9; the mean of the two frames
    expected = (-math.log(0.5) - math.log(0.75) - math.log(0.1) - math.log(0.9)) / 2
    assert frame_nll(probabilities, rolls) == pytest.approx(expected, rel=1e-12)


def test_frame_nll_averages_over_the_frames_of_all_sequences():
    first = np.full((3, 2), 0.5)
    second = np.array([[0.2, 0.8]])
    targets = [np.array([[1, 1], [0, 0], [1, 0]]), np.array([[0, 1]])]
    expected = (3 * 2 * math.log(2.0) - 2 * math.log(0.8)) / 4  # not the mean of the two means
    assert frame_nll([first, second], targets) == pytest.approx(expected, rel=1e-12)
    # a 3-D batch is N sequences
    batch = np.stack([first, first])
    rolls = np.stack([targets[0], targets[0]])
    assert frame_nll(batch, rolls) == pytest.approx(2 * math.log(2.0), rel=1e-12)


def _random_case(seed, lengths=(5, 9, 1), keys=88):
    rng = np.random.default_rng(seed)
    logits = [rng.normal(0.0, 4.0, (n, keys)) for n in lengths]
    rolls = [(rng.random((n, keys)) < 0.2).astype(np.uint8) for n in lengths]
    return logits, rolls


def test_frame_nll_is_the_direct_formula_and_torch_bce_with_logits():
    logits, rolls = _random_case(0)
    probabilities = [1.0 / (1.0 + np.exp(-z)) for z in logits]
    frames = sum(len(r) for r in rolls)
    direct = -sum(
        float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
        for p, y in zip(probabilities, rolls, strict=True)
    )
    torch_sum = sum(
        F.binary_cross_entropy_with_logits(
            torch.from_numpy(z), torch.from_numpy(y.astype(np.float64)), reduction="sum"
        ).item()
        for z, y in zip(logits, rolls, strict=True)
    )
    assert frame_nll(probabilities, rolls) == pytest.approx(direct / frames, rel=1e-9)
    assert frame_nll_from_logits(logits, rolls) == pytest.approx(torch_sum / frames, rel=1e-12)
    assert frame_nll_from_logits(logits, rolls) == pytest.approx(direct / frames, rel=1e-9)


def test_frame_nll_from_logits_is_stable_where_probabilities_saturate():
    logits = np.array([[800.0, -800.0, 40.0]])
    rolls = np.array([[0, 1, 1]])
    expected = F.binary_cross_entropy_with_logits(
        torch.from_numpy(logits), torch.from_numpy(rolls.astype(np.float64)), reduction="sum"
    ).item()
    assert frame_nll_from_logits(logits, rolls) == pytest.approx(1600.0, rel=1e-12)
    assert frame_nll_from_logits(logits, rolls) == pytest.approx(expected, rel=1e-12)
    # the probabilities are 1 and 0 exactly: clipping bounds each wrong key by -ln(eps), and
    # the right one costs -ln(1 - eps)
    for eps in (FRAME_NLL_EPS, 1e-3):
        expected = -2 * math.log(eps) - math.log(1 - eps)
        assert frame_nll([[1.0, 0.0, 1.0]], rolls, eps=eps) == pytest.approx(expected, rel=1e-9)
    assert frame_nll([[1.0, 0.0, 1.0]], rolls) == frame_nll([[1.0, 0.0, 1.0]], rolls, eps=1e-7)


@pytest.mark.parametrize(
    ("probabilities", "rolls", "message"),
    [
        ([[0.5, 0.5]], [[1, 0, 0]], r"`probabilities\[0\]` has shape \(1, 2\) but `rolls\[0\]`"),
        ([np.ones((2, 3))], [np.ones((2, 3))] * 2, "`probabilities` has 1 sequences but `rolls`"),
        ([[0.5, 1.5]], [[1, 0]], r"probabilities in \[0, 1\], got 1\.5 at \(0, 1\)"),
        ([[0.5, float("nan")]], [[1, 0]], r"probabilities in \[0, 1\], got nan at \(0, 1\)"),
        ([[0.5, 0.5]], [[1, 2]], r"`rolls\[0\]` must hold only 0 and 1, got 2\.0 at \(0, 1\)"),
        ([0.5, 0.5], [1, 0], "`probabilities` must be a .* got list of shape \\(2,\\)"),
        ([], [], "`probabilities` must hold at least one sequence"),
        (np.ones((0, 88)), np.ones((0, 88)), "`rolls` must hold at least one frame"),
        ([["a"]], [[1]], r"`probabilities\[0\]` must be a 2-D numeric"),
    ],
)
def test_frame_nll_refuses_bad_input(probabilities, rolls, message):
    with pytest.raises(ValueError, match=message):
        frame_nll(probabilities, rolls)


def test_frame_nll_refuses_eps_out_of_range_and_infinite_logits():
    with pytest.raises(ValueError, match=r"`eps` must be a number in \[0, 0.5\)"):
        frame_nll([[0.5]], [[1]], eps=0.5)
    with pytest.raises(ValueError, match=r"`logits\[0\]` must be finite, got inf at \(0, 0\)"):
        frame_nll_from_logits([[float("inf")]], [[1]])


def test_ragged_nested_lists_are_sequences():
    value = frame_nll([[[0.5]], [[0.5], [0.5]]], [[[1]], [[0], [1]]])
    assert value == pytest.approx(math.log(2.0))


@pytest.mark.skipif(not JSB_CHORALES.exists(), reason=f"JSB Chorales absent ({JSB_CHORALES})")
def test_the_per_key_marginal_baseline_of_jsb_is_11_09_nats_per_frame():
    """SOURCE.md's sanity floor: independent per-key frequencies of the training frames,
    scored on the test set's predicted frames (every frame after the first, as TCN)."""
    from grukit.data import read_piano_rolls

    rolls = read_piano_rolls(JSB_CHORALES)
    marginal = np.concatenate(rolls["train"]).mean(axis=0)
    targets = [roll[1:] for roll in rolls["test"]]
    probabilities = [np.broadcast_to(marginal, target.shape) for target in targets]
    assert sum(len(t) for t in targets) == 4725 - 77
    assert frame_nll(probabilities, targets) == pytest.approx(11.09, abs=0.005)
    logits = [np.log(np.clip(p, 1e-7, 1 - 1e-7) / (1 - np.clip(p, 1e-7, 1 - 1e-7))) for p in
              probabilities]  # fmt: skip
    assert frame_nll_from_logits(logits, targets) == pytest.approx(11.09, abs=0.005)


# -------------------------------------------------------------------------- frame accuracy


def test_frame_accuracy_by_hand():
    predicted = [np.array([[1, 1, 0], [0, 0, 0]]), np.array([[1, 0, 0]])]
    rolls = [np.array([[1, 0, 1], [0, 1, 0]]), np.array([[1, 0, 0]])]
    # TP: (0,0) and the second sequence's key 0 = 2; FP: (0,1) = 1; FN: (0,2), (1,1) = 2
    assert frame_accuracy(predicted, rolls) == pytest.approx(2 / 5)
    assert frame_accuracy(rolls, rolls) == 1.0
    assert frame_accuracy(np.zeros((2, 4)), np.ones((2, 4))) == 0.0
    assert frame_accuracy(np.zeros((2, 4)), np.zeros((2, 4))) == 1.0  # nothing to find
    assert frame_accuracy(np.ones((3, 4), dtype=bool), np.ones((3, 4))) == 1.0


def test_frame_accuracy_sums_the_counts_before_dividing():
    predicted, rolls = np.array([[1, 0], [0, 0]]), np.array([[1, 1], [0, 1]])
    # TP 1, FP 0, FN 2 over both frames: 1/3, where the mean of per-frame ratios is (1/2 + 0) / 2
    assert frame_accuracy(predicted, rolls) == pytest.approx(1 / 3)


def test_frame_accuracy_refuses_probabilities():
    with pytest.raises(ValueError, match=r"`predicted\[0\]` must hold only 0 and 1, got 0\.7"):
        frame_accuracy([[0.7, 0.0]], [[1, 0]])
    with pytest.raises(ValueError, match=r"`predicted\[0\]` has shape \(1, 2\) but `rolls\[0\]`"):
        frame_accuracy([[1, 0]], [[1, 0], [0, 0]])
