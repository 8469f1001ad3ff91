"""The grid of irregular series (GRU-D inputs), its filler, and the baseline's summary table."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from grukit.data import GridFiller, GrukitDataError, summary_features, to_grid
from strategies import irregular_observations


def _frame(rows):
    return pd.DataFrame(rows, columns=["record", "hours", "variable", "value"])


@pytest.fixture
def tiny():
    """Record 1: HR at 0.2, 0.5, 2.1 and 4.0 h (the horizon), one after it; Temp twice at 1.0 h
    and once as NaN. Record 2 has no measurement (static only)."""
    return _frame(
        [
            (1, 0.2, "HR", 70.0),
            (1, 0.5, "HR", 72.0),
            (1, 1.0, "Temp", 37.0),
            (1, 1.0, "Temp", 37.5),
            (1, 2.1, "HR", 80.0),
            (1, 3.0, "Temp", np.nan),
            (1, 4.0, "HR", 90.0),
            (1, 4.5, "HR", 99.0),
        ]
    )


def test_hand_worked_grid(tiny):
    grid = to_grid(tiny, horizon_hours=4, records=[1, 2], variables=["HR", "Temp"])
    values, mask, delta, lengths = grid
    nan = np.nan
    assert values.dtype == mask.dtype == delta.dtype == np.float32
    np.testing.assert_array_equal(values[0, :, 0], [72, nan, 80, 90])
    np.testing.assert_array_equal(values[0, :, 1], [nan, 37.5, nan, nan])
    np.testing.assert_array_equal(mask[0].T, [[1, 0, 1, 1], [0, 1, 0, 0]])
    np.testing.assert_array_equal(delta[0].T, [[0, 1, 2, 1], [0, 1, 1, 2]])
    assert np.isnan(values[1]).all() and not mask[1].any()
    np.testing.assert_array_equal(delta[1].T, [[0, 1, 2, 3]] * 2)
    assert lengths.tolist() == [4, 0]
    assert grid.records.tolist() == [1, 2] and grid.variables == ["HR", "Temp"]


def test_mean_aggregate_and_half_hour_steps(tiny):
    values, mask, delta, lengths = to_grid(
        tiny, step_hours=0.5, horizon_hours=2.5, aggregate="mean", variables=["Temp", "HR"]
    )
    assert values.shape == (1, 5, 2)
    np.testing.assert_array_equal(values[0, :, 0], [np.nan, np.nan, 37.25, np.nan, np.nan])
    np.testing.assert_array_equal(values[0, :, 1], [70, 72, np.nan, np.nan, 80])
    np.testing.assert_array_equal(delta[0, :, 0], [0, 0.5, 1.0, 0.5, 1.0])
    assert lengths.tolist() == [5]


def test_default_variables_and_records(tiny):
    grid = to_grid(tiny)
    assert grid.variables == ["HR", "Temp"] and grid.records.tolist() == [1]
    assert grid.values.shape == (1, 48, 2) and grid.lengths.tolist() == [5]
    categorical = tiny.assign(variable=pd.Categorical(tiny["variable"], ["Temp", "HR", "pH"]))
    assert to_grid(categorical).variables == ["Temp", "HR", "pH"]
    with pytest.raises(GrukitDataError, match=r"unknown: \['Pulse'\], known: \['Temp', 'HR'"):
        to_grid(categorical, variables=["HR", "Pulse"])
    plain = to_grid(tiny, variables=["HR", "Pulse"])  # a plain column: absent means unobserved
    assert not plain.mask[..., 1].any()


def _reference(rows, step, horizon, records, variables):
    """Plain Python: bins, the later row wins, then GRU-D's recursion step by step."""
    steps = math.ceil(horizon / step)
    observed = {}
    for record, hours, variable, value in sorted(rows, key=lambda r: r[1]):
        if hours <= horizon:
            observed[(record, min(int(hours // step), steps - 1), variable)] = value
    values, delta, lengths = [], [], []
    for record in records:
        v_rows, d_rows = [], []
        for t in range(steps):
            v_rows.append([observed.get((record, t, v), math.nan) for v in variables])
        for t in range(steps):
            if t == 0:
                d_rows.append([0.0] * len(variables))
                continue
            d_rows.append(
                [
                    step if not math.isnan(v_rows[t - 1][j]) else step + d_rows[t - 1][j]
                    for j in range(len(variables))
                ]
            )
        seen = [t for t in range(steps) if any(not math.isnan(x) for x in v_rows[t])]
        values.append(v_rows)
        delta.append(d_rows)
        lengths.append(seen[-1] + 1 if seen else 0)
    return np.array(values), np.array(delta), lengths


@settings(max_examples=200)
@given(irregular_observations())
def test_grid_matches_plain_python_reference(case):
    rows = [(r, q / 4, v, x) for r, q, v, x in case["rows"]]
    frame = _frame(rows).sort_values("hours", kind="stable")
    records, variables = [0, 1, 2], ["a", "b", "c"]
    grid = to_grid(
        frame,
        step_hours=case["step"],
        horizon_hours=case["horizon"],
        records=records,
        variables=variables,
    )
    values, delta, lengths = _reference(rows, case["step"], case["horizon"], records, variables)
    np.testing.assert_array_equal(grid.values, values.astype(np.float32))
    np.testing.assert_array_equal(grid.mask, ~np.isnan(values))
    np.testing.assert_allclose(grid.delta, delta, rtol=1e-6)
    assert grid.lengths.tolist() == lengths


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step_hours": 0}, "`step_hours` must be a finite number > 0, got 0"),
        ({"horizon_hours": -1.0}, "`horizon_hours` must be a finite number > 0"),
        ({"aggregate": "first"}, "`aggregate` must be one of 'last', 'mean', got 'first'"),
        ({"variables": ["HR", "HR"]}, "`variables` must be distinct names"),
        ({"records": [2]}, "`records` does not list record 1 of `observations`"),
        ({"records": [1, 1]}, "`records` must not repeat a record"),
    ],
)
def test_grid_errors(tiny, kwargs, message):
    with pytest.raises(GrukitDataError, match=message):
        to_grid(tiny, **kwargs)


def test_grid_refuses_negative_hours_and_missing_columns(tiny):
    with pytest.raises(GrukitDataError, match="'hours' must hold finite numbers >= 0"):
        to_grid(tiny.assign(hours=tiny["hours"] - 1))
    with pytest.raises(GrukitDataError, match="value"):
        to_grid(tiny.drop(columns="value"))


def test_filler_forward_and_mean_on_training_statistics():
    nan = np.nan
    train = np.array([[[1.0, 10.0], [nan, nan], [3.0, nan]]], np.float32)
    test = np.array([[[nan, nan], [5.0, 20.0], [nan, nan]]], np.float32)
    forward = GridFiller("forward", standardize=False).fit(train, ["x", "y"])
    assert forward.mean_.tolist() == [2.0, 10.0] and forward.std_.tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(forward.transform(test)[0], [[2, 10], [5, 20], [5, 20]])
    mean = GridFiller("mean", standardize=False).fit(train)
    np.testing.assert_array_equal(mean.transform(test)[0], [[2, 10], [5, 20], [2, 10]])
    standard = GridFiller("forward").fit(train)
    out = standard.transform(test)
    assert out.dtype == np.float32 and not np.isnan(out).any()
    np.testing.assert_allclose(out[0], [[0, 0], [3, 10], [3, 10]])  # (5 - 2) / 1; y: std 1


def test_filler_round_trip_and_errors():
    values = np.array([[[1.0, np.nan], [3.0, np.nan]]], np.float32)
    with pytest.raises(GrukitDataError, match=r"variables \['y'\] are never observed"):
        GridFiller().fit(values, ["x", "y"])
    with pytest.raises(GrukitDataError, match="not fitted"):
        GridFiller().transform(values)
    with pytest.raises(GrukitDataError, match="`fill` must be one of 'forward', 'mean'"):
        GridFiller("zero")
    filler = GridFiller("mean").fit(values[..., :1])
    again = GridFiller.from_dict(filler.to_dict())
    np.testing.assert_array_equal(
        again.transform(values[..., :1]), filler.transform(values[..., :1])
    )
    with pytest.raises(GrukitDataError, match="must have 1 variables, got 2"):
        filler.transform(values)


def test_summary_features_by_hand(tiny):
    static = pd.DataFrame({"Age": [50.0, 60.0]}, index=pd.Index([1, 2], name="record"))
    table = summary_features(tiny, static, ["HR", "Temp"])
    assert table.columns.tolist() == [
        *(f"HR_{s}" for s in ("last", "mean", "min", "max", "count")),
        *(f"Temp_{s}" for s in ("last", "mean", "min", "max", "count")),
        "Age",
    ]
    hr = [99.0, (70 + 72 + 80 + 90 + 99) / 5, 70.0, 99.0, 5.0]
    assert table.loc[1].tolist() == [*hr, 37.5, 37.25, 37.0, 37.5, 2.0, 50.0]
    assert table.loc[2, "HR_count"] == 0 and np.isnan(table.loc[2, "HR_last"])
    assert table.loc[2, "Age"] == 60.0
    with pytest.raises(GrukitDataError, match="`static` has no row for record 1"):
        summary_features(tiny, static.loc[[2]])
