"""Every Hypothesis strategy of the test suite.

Test modules import them as ``from strategies import ...`` (the ``pythonpath = ["tests"]``
option of pytest in pyproject.toml puts this directory on the import path) and never import
``hypothesis.strategies`` themselves. The settings profiles are registered in tests/conftest.py;
a test states only its own ``max_examples``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

T = TypeVar("T")

#: seeds for ``numpy.random.default_rng`` and ``torch.Generator().manual_seed``
seeds = st.integers(0, 2**32 - 1)

#: either value of a boolean option
flags = st.booleans()

#: any float, NaN and infinities included: the values that padded positions may hold
any_floats = st.floats(allow_nan=True, allow_infinity=True)


def sizes(maximum: int) -> st.SearchStrategy[int]:
    """A size or count from 1 to ``maximum`` (features, hidden units, layers, rows, steps)."""
    return st.integers(1, maximum)


def choices(values: Sequence[T]) -> st.SearchStrategy[T]:
    """One of ``values`` (an option name, an index into a table of configurations)."""
    return st.sampled_from(values)


def row_lengths(max_length: int, max_rows: int) -> st.SearchStrategy[list[int]]:
    """The lengths of 1 to ``max_rows`` rows, each from 1 to ``max_length`` steps."""
    return st.lists(st.integers(1, max_length), min_size=1, max_size=max_rows)


@st.composite
def padded_batch_shapes(draw) -> tuple[list[int], int, int]:
    """``(lengths, steps, seed)`` of a padded batch: 1-4 rows of 0..steps valid steps, 1-7 steps."""
    batch = draw(st.integers(1, 4))
    steps = draw(st.integers(1, 7))
    lengths = draw(st.lists(st.integers(0, steps), min_size=batch, max_size=batch))
    return lengths, steps, draw(seeds)


@st.composite
def padded_reference_cases(draw, input_size: int, hidden_size: int) -> dict:
    """A batch for the NumPy reference: lengths, options, and arbitrary values (NaN included)
    at the padded positions, which lie past each row's length and in 1-3 extra steps."""
    batch = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 5))
    extra = draw(st.integers(1, 3))
    lengths = np.array(draw(st.lists(st.integers(0, steps), min_size=batch, max_size=batch)))
    padded_shape = (batch, steps + extra)
    return {
        "steps": steps,
        "lengths": lengths,
        "options": {"reset_after": draw(flags), "reverse": draw(flags)},
        "layer_norm": draw(flags),
        "use_mask": draw(flags),
        "use_keep": draw(flags),
        "seed": draw(seeds),
        "x_padding": draw(arrays(np.float64, (*padded_shape, input_size), elements=any_floats)),
        "d_output_padding": draw(
            arrays(np.float64, (*padded_shape, hidden_size), elements=any_floats)
        ),
    }


def labelled_scores() -> st.SearchStrategy[list[tuple[int, int]]]:
    """2-40 pairs ``(label 0 or 1, score 0..6)`` with both labels present and many ties."""
    pairs = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)), min_size=2, max_size=40)
    return pairs.filter(lambda pairs: len({label for label, _ in pairs}) == 2)


#: a token: 1-6 letters, digits or punctuation, never whitespace (what a tokeniser produces)
text_tokens = st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1, max_size=6)


@st.composite
def vocabulary_cases(draw) -> tuple[list[list[str]], list[str]]:
    """``(token_lists, specials)``: 1-5 rows of 0-8 tokens drawn from a small pool, and 0-2 extra
    special tokens (``<bos>``, ``<eos>``)."""
    pool = draw(st.lists(text_tokens, min_size=1, max_size=10, unique=True))
    rows = draw(st.lists(st.lists(st.sampled_from(pool), max_size=8), min_size=1, max_size=5))
    specials = draw(st.sampled_from([[], ["<bos>"], ["<bos>", "<eos>"]]))
    return rows, specials


@st.composite
def irregular_observations(draw) -> dict:
    """Long-format measurements of 1-3 records over 1-3 variables: times on a 15-minute lattice
    in [0, horizon], several sharing a time allowed, with the grid step and horizon."""
    step = draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))
    horizon = step * draw(st.integers(1, 8))
    quarters = int(round(horizon * 4))
    row = st.tuples(
        st.integers(0, 2),
        st.integers(0, quarters),
        st.sampled_from(["a", "b", "c"]),
        st.floats(-100, 100, allow_nan=False, width=32),
    )
    rows = draw(st.lists(row, max_size=30))
    return {"rows": rows, "step": step, "horizon": horizon}


@st.composite
def iob2_tag_sequences(draw) -> list[str]:
    """A valid IOB2 label sequence of 1-12 tokens: runs of ``O`` and entities of 1-4 tokens of
    types PER, LOC, ORG, MISC, adjacent entities (of one type or two) included."""
    labels: list[str] = []
    while not labels or (len(labels) < 12 and draw(st.booleans())):
        if draw(st.booleans()):
            labels += ["O"] * draw(st.integers(1, 3))
        else:
            kind = draw(st.sampled_from(("PER", "LOC", "ORG", "MISC")))
            labels += [f"B-{kind}"] + [f"I-{kind}"] * draw(st.integers(0, 3))
    return labels


def label_sequences(labels: Sequence[str], max_size: int = 8) -> st.SearchStrategy[list[str]]:
    """1 to ``max_size`` labels drawn from ``labels``, valid in a scheme or not."""
    return st.lists(st.sampled_from(labels), min_size=1, max_size=max_size)


#: the labels of IOB2-like sequences: ``O`` and ``B-``/``I-`` of three types
IOB2_LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")


@st.composite
def iob2_like_pairs(draw) -> tuple[list[list[str]], list[list[str]]]:
    """``(gold, predicted)``: 1-5 sentences of 0-10 tokens, at least one token in all, the same
    lengths in both; each label any of :data:`IOB2_LABELS`, so sequences may be invalid IOB2
    (``I-X`` after ``O`` or after another type), as a tagger's raw predictions are. The
    predictions copy the gold label of a token half the time, so correct entities occur."""
    lengths = draw(st.lists(st.integers(0, 10), min_size=1, max_size=5).filter(any))
    gold = [draw(st.lists(st.sampled_from(IOB2_LABELS), min_size=n, max_size=n)) for n in lengths]
    predicted = [
        [label if draw(st.booleans()) else draw(st.sampled_from(IOB2_LABELS)) for label in labels]
        for labels in gold
    ]
    return gold, predicted


@st.composite
def piano_rolls(draw, max_frames: int = 24) -> np.ndarray:
    """A ``(T, 88)`` ``uint8`` roll of 0/1, 1 to ``max_frames`` frames, at least one key on:
    sparse or dense, runs of a key across frames, silent frames at either end included."""
    frames = draw(st.integers(1, max_frames))
    density = draw(st.sampled_from([0.02, 0.1, 0.5, 0.9]))
    rng = np.random.default_rng(draw(seeds))
    roll = (rng.random((frames, 88)) < density).astype(np.uint8)
    roll[draw(st.integers(0, frames - 1)), draw(st.integers(0, 87))] = 1
    return roll
