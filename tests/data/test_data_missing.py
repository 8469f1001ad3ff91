"""fill_missing: the default error and the three fill policies, series by series."""

import numpy as np
import pandas as pd
import pytest

from grukit.data import GrukitDataError, fill_missing


def _frame():
    return pd.DataFrame(
        {
            "id": ["a"] * 5 + ["b"] * 4,
            "time": list(pd.date_range("2024-01-01", periods=5, freq="h"))
            + list(
                pd.to_datetime(
                    ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 04:00", "2024-01-01 05:00"]
                )
            ),
            "x": [np.nan, 1.0, np.nan, 3.0, np.nan, 10.0, np.nan, 40.0, 50.0],
            "y": np.arange(9.0),
        }
    )


def test_default_is_an_error_naming_column_count_and_rows():
    with pytest.raises(
        GrukitDataError,
        match=r"^column 'x' has 4 missing values \(rows 0, 2, 4, \.\.\.\); choose "
        r"fill='ffill', 'interpolate' or 'drop'$",
    ):
        fill_missing(_frame(), ["y", "x"])
    assert fill_missing(_frame(), ["y"]).equals(_frame())  # unused columns are not checked


def test_unknown_policy_is_rejected():
    with pytest.raises(GrukitDataError, match=r"`fill` must be None, .* got 'mean'"):
        fill_missing(_frame(), ["x"], "mean")


def test_ffill_carries_forward_within_each_series_and_backfills_the_start():
    filled = fill_missing(_frame(), ["x"], "ffill", id_column="id")
    assert filled["x"].tolist() == [1.0, 1.0, 1.0, 3.0, 3.0, 10.0, 10.0, 40.0, 50.0]
    assert np.isnan(_frame()["x"].iloc[0])  # the input is not modified


def test_interpolate_is_linear_in_time_with_nearest_edges():
    filled = fill_missing(_frame(), ["x"], "interpolate", time_column="time", id_column="id")
    # series b: 10 at 00:00, 40 at 04:00 -> 17.5 at 01:00 (linear in time, not in rows)
    assert filled["x"].tolist() == [1.0, 1.0, 2.0, 3.0, 3.0, 10.0, 17.5, 40.0, 50.0]
    by_row = fill_missing(_frame(), ["x"], "interpolate", id_column="id")
    assert by_row["x"].iloc[6] == 25.0


def test_drop_removes_rows_and_keeps_original_positions():
    dropped = fill_missing(_frame(), ["x"], "drop")
    assert dropped.index.tolist() == [1, 3, 5, 7, 8]
    assert not dropped["x"].isna().any()


def test_a_series_with_no_observation_cannot_be_filled():
    frame = _frame()
    frame.loc[frame["id"] == "b", "x"] = np.nan
    with pytest.raises(GrukitDataError, match="column 'x' has no observed value in series 'b'"):
        fill_missing(frame, ["x"], "ffill", id_column="id")


def test_non_numeric_column_is_rejected_before_filling():
    frame = _frame().assign(x=["1", "oops"] + ["2"] * 7)
    with pytest.raises(GrukitDataError, match="column 'x' must be numeric, row 1 holds 'oops'"):
        fill_missing(frame, ["x"], "ffill")


@pytest.mark.parametrize("policy", [None, "ffill", "interpolate", "drop"])
def test_infinity_is_refused_by_every_policy_naming_column_row_and_time(policy):
    frame = _frame()
    frame.loc[3, "x"] = -np.inf
    with pytest.raises(GrukitDataError) as caught:
        fill_missing(frame, ["x"], policy, time_column="time", id_column="id")
    message = str(caught.value)
    assert "column 'x' holds 1 infinite value(s), the first (-inf) at row 3" in message
    assert "(time 2024-01-01 03:00:00)" in message and "missing" not in message.split(";")[0]
