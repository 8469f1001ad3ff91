"""make_windows (per series, across gaps), last_windows, make_sequences, scores_to_timesteps."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings

from grukit.data import (
    GrukitDataError,
    fill_missing,
    last_windows,
    make_sequences,
    make_windows,
    scores_to_timesteps,
    segment_bounds,
    sequence_starts,
)
from strategies import choices, flags, seeds, sizes


def _two_series(n_a=12, n_b=9):
    rows = []
    for key, n, offset in (("A", n_a, 0.0), ("B", n_b, 1000.0)):
        for t in range(n):
            rows.append((key, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=t), offset + t))
    frame = pd.DataFrame(rows, columns=["id", "time", "y"])
    frame["c"] = -frame["y"]
    return frame


def test_windows_match_a_brute_force_loop():
    values = np.random.default_rng(0).standard_normal((20, 3))
    frame = pd.DataFrame(values, columns=["a", "b", "c"])
    w = make_windows(frame, 4, 3, targets=["c", "a"], covariates=["b"], stride=2)
    expected_starts = list(range(4, 20 - 3 + 1, 2))
    assert w.start_row.tolist() == expected_starts
    assert w.inputs.shape == (len(expected_starts), 4, 3)
    assert w.targets.shape == (len(expected_starts), 3, 2)
    assert w.input_names == ("c", "a", "b") and w.target_names == ("c", "a")
    for i, s in enumerate(expected_starts):
        np.testing.assert_array_equal(w.inputs[i], values[s - 4 : s][:, [2, 0, 1]])
        np.testing.assert_array_equal(w.targets[i], values[s : s + 3][:, [2, 0]])
    assert w.start_time is None and w.series is None and len(w) == len(expected_starts)


def test_numpy_input_uses_positional_names():
    w = make_windows(np.arange(10.0), 3, 2, targets=[0])
    assert w.targets[:, :, 0].tolist()[0] == [3.0, 4.0]
    assert w.start_row.tolist() == [3, 4, 5, 6, 7, 8]


def test_windows_never_cross_series():
    frame = _two_series()
    w = make_windows(
        frame, 3, 2, targets=["y"], covariates=["c"], time_column="time", id_column="id"
    )
    assert len(w) == (12 - 5 + 1) + (9 - 5 + 1)
    for window_in, window_out, key in zip(w.inputs, w.targets, w.series, strict=True):
        values = np.concatenate([window_in[:, 0], window_out[:, 0]])
        assert np.all(np.diff(values) == 1.0)  # consecutive steps of one series only
        assert (values >= 1000).all() == (key == "B")
    first_b = int(np.argmax(w.series == "B"))
    assert w.start_time[first_b] == np.datetime64("2024-01-01T03:00")


def test_drop_gaps_split_windows_with_and_without_time_column():
    values = np.arange(30.0)
    values[[10, 11, 20]] = np.nan
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=30, freq="D"), "y": values})
    dropped = fill_missing(frame, ["y"], "drop")
    for kwargs in ({"time_column": "time"}, {}):
        assert segment_bounds(dropped, **kwargs) == [(0, 10, None), (10, 18, None), (18, 27, None)]
        w = make_windows(dropped, 3, 2, targets=["y"], **kwargs)
        spans = np.concatenate([w.inputs[:, :, 0], w.targets[:, :, 0]], axis=1)
        assert np.all(np.diff(spans, axis=1) == 1.0)  # no window spans a dropped row
        assert len(w) == (10 - 4) + (8 - 4) + (9 - 4)
    # time gaps are found even after reset_index (from the time column)
    w = make_windows(dropped.reset_index(drop=True), 3, 2, targets=["y"], time_column="time")
    assert len(w) == 15
    # a permuted integer index is not taken as gaps
    assert (
        len(segment_bounds(frame.sample(frac=1.0, random_state=0).sort_index(ascending=False))) == 1
    )


def test_missing_values_error_unless_allowed():
    frame = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0, 5.0]})
    with pytest.raises(GrukitDataError, match=r"column 'y' has 1 missing values \(rows 1\)"):
        make_windows(frame, 2, 1, targets=["y"])
    w = make_windows(frame, 2, 1, targets=["y"], allow_nan=True)
    assert np.isnan(w.inputs[0, 1, 0]) and w.targets[:, 0, 0].tolist() == [3.0, 4.0, 5.0]


def test_too_few_rows_names_the_series():
    with pytest.raises(
        GrukitDataError,
        match=r"^need at least lookback \+ horizon = 30 rows per series, got 12 \(series 'A'\)$",
    ):
        make_windows(_two_series(12, 40), 24, 6, targets=["y"], id_column="id")
    with pytest.raises(GrukitDataError, match=r"= 8 rows per series, got 5$"):
        make_windows(np.arange(5.0), 5, 3, targets=[0])
    values = np.arange(12.0)
    values[[4, 8]] = np.nan
    dropped = fill_missing(pd.DataFrame({"y": values}), ["y"], "drop")
    with pytest.raises(
        GrukitDataError, match="no window fits: the longest contiguous segment has 4"
    ):
        make_windows(dropped, 3, 2, targets=["y"])


def test_argument_errors():
    frame = _two_series().assign(colour="red")
    with pytest.raises(GrukitDataError, match="`lookback` must be a positive integer, got 0"):
        make_windows(frame, 0, 1, targets=["y"])
    with pytest.raises(GrukitDataError, match="`stride` must be a positive integer, got 1.5"):
        make_windows(frame, 2, 1, targets=["y"], stride=1.5)
    # a float or a bool is refused, never truncated to an integer
    with pytest.raises(GrukitDataError, match="`lookback` must be a positive integer, got 3.0"):
        make_windows(frame, 3.0, 1, targets=["y"])
    with pytest.raises(GrukitDataError, match="`horizon` must be a positive integer, got True"):
        make_windows(frame, 2, True, targets=["y"])
    assert make_windows(frame, np.int64(2), 1, targets=["y"]).inputs.shape[1] == 2
    with pytest.raises(GrukitDataError, match="unknown target column 'z'; available columns"):
        make_windows(frame, 2, 1, targets=["z"])
    with pytest.raises(GrukitDataError, match="target column 'colour' must be numeric, row 0"):
        make_windows(frame, 2, 1, targets=["colour"])
    with pytest.raises(GrukitDataError, match="covariate column 'colour' must be numeric"):
        make_windows(frame, 2, 1, targets=["y"], covariates=["colour"])
    with pytest.raises(GrukitDataError, match="'y' is given both as a target and a covariate"):
        make_windows(frame, 2, 1, targets=["y"], covariates=["y"])
    with pytest.raises(GrukitDataError, match="`targets` must name at least one column"):
        make_windows(frame, 2, 1, targets=[])


def test_last_windows_take_the_tail_of_each_series():
    inputs, series = last_windows(_two_series(), 3, targets=["y"], covariates=["c"], id_column="id")
    assert series.tolist() == ["A", "B"]
    assert inputs[:, :, 0].tolist() == [[9.0, 10.0, 11.0], [1006.0, 1007.0, 1008.0]]
    assert inputs[:, :, 1].tolist() == [[-9.0, -10.0, -11.0], [-1006.0, -1007.0, -1008.0]]
    with pytest.raises(
        GrukitDataError, match=r"lookback = 10 rows per series, got 9 \(series 'B'\)"
    ):
        last_windows(_two_series(), 10, targets=["y"], id_column="id")


def test_sequences_cover_every_step():
    values = np.arange(10.0)
    assert sequence_starts(10, 4, stride=3).tolist() == [0, 3, 6]
    assert sequence_starts(11, 4, stride=3).tolist() == [0, 3, 6, 7]
    seq = make_sequences(np.stack([values, -values], axis=1), 4, stride=3)
    assert seq.shape == (3, 4, 2)
    np.testing.assert_array_equal(seq[2, :, 1], -values[6:10])
    assert make_sequences(values, 10).shape == (1, 10, 1)
    with pytest.raises(GrukitDataError, match="need at least window = 11 time steps, got 10"):
        make_sequences(values, 11)
    with pytest.raises(GrukitDataError, match="`n_timesteps` must be an integer >= 0, got 10.0"):
        sequence_starts(10.0, 4)
    with pytest.raises(GrukitDataError, match="`window` must be a positive integer, got 4.0"):
        make_sequences(values, 4.0)


@settings(max_examples=60)
@given(
    n=sizes(40),
    window=sizes(12),
    stride=sizes(6),
    per_step=flags,
    reduce=choices(["mean", "max"]),
    seed=seeds,
)
def test_scores_to_timesteps_matches_brute_force(n, window, stride, per_step, reduce, seed):
    assume(window <= n and stride <= window)
    starts = sequence_starts(n, window, stride=stride)
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((starts.size, window) if per_step else starts.size)
    result = scores_to_timesteps(scores, n, window, stride=stride, reduce=reduce)
    covering = [[] for _ in range(n)]
    for i, s in enumerate(starts):
        for j in range(window):
            covering[s + j].append(scores[i, j] if per_step else scores[i])
    expected = [np.mean(c) if reduce == "mean" else np.max(c) for c in covering]
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


def test_scores_to_timesteps_errors():
    with pytest.raises(GrukitDataError, match=r"`scores` must have shape \(3,\) or \(3, 4\)"):
        scores_to_timesteps(np.zeros(5), 10, 4, stride=3)
    with pytest.raises(GrukitDataError, match="`reduce` must be 'mean' or 'max', got 'sum'"):
        scores_to_timesteps(np.zeros(3), 10, 4, stride=3, reduce="sum")
    with pytest.raises(GrukitDataError, match="`stride` must be at most `window` = 2 so every"):
        scores_to_timesteps(np.zeros(3), 5, 2, stride=3)
