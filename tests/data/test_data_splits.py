"""Chronological splits by fraction and by date, per series, with context rows."""

import numpy as np
import pandas as pd
import pytest

from grukit.data import GrukitDataError, make_windows, split_by_date, split_by_fraction


def _frame(lengths=(("A", 100), ("B", 50))):
    parts = []
    for key, n in lengths:
        parts.append(
            pd.DataFrame(
                {
                    "id": key,
                    "time": pd.date_range("2024-01-01", periods=n, freq="D"),
                    "y": np.arange(n, dtype=float),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_fraction_split_is_chronological_per_series():
    train, validation, test = split_by_fraction(_frame(), 0.1, 0.2, id_column="id")
    for part, sizes in (
        (train, {"A": 70, "B": 35}),
        (validation, {"A": 10, "B": 5}),
        (test, {"A": 20, "B": 10}),
    ):
        assert part.groupby("id").size().to_dict() == sizes
    for key in ("A", "B"):
        last_train = train.loc[train["id"] == key, "time"].max()
        first_val = validation.loc[validation["id"] == key, "time"].min()
        last_val = validation.loc[validation["id"] == key, "time"].max()
        assert last_train < first_val <= last_val < test.loc[test["id"] == key, "time"].min()
    assert sorted(pd.concat([train, validation, test]).index) == list(range(150))


def test_context_rows_let_the_first_window_forecast_the_first_row_of_a_part():
    frame = _frame((("A", 100),))
    _, validation, test = split_by_fraction(frame, 0.1, 0.2, context=5)
    assert len(validation) == 15 and len(test) == 25
    w = make_windows(test, 5, 1, targets=["y"])
    assert w.targets[0, 0, 0] == 80.0  # the first test row
    assert validation.index[0] == 65


def test_validation_zero_gives_an_empty_part():
    train, validation, test = split_by_fraction(_frame(), 0.0, 0.5)
    assert len(validation) == 0 and list(validation.columns) == ["id", "time", "y"]
    assert len(train) == 75 and len(test) == 75


def test_fraction_errors():
    with pytest.raises(GrukitDataError, match=r"`test` must be a fraction in \[0, 1\), got 1.5"):
        split_by_fraction(_frame(), 0.1, 1.5)
    with pytest.raises(GrukitDataError, match="`validation` \\+ `test` must be below 1"):
        split_by_fraction(_frame(), 0.5, 0.5)
    with pytest.raises(GrukitDataError, match="the test part of series 'C' would be empty"):
        split_by_fraction(_frame((("A", 100), ("C", 2))), 0.1, 0.2, id_column="id")
    with pytest.raises(GrukitDataError, match="`context` must be a non-negative integer, got -1"):
        split_by_fraction(_frame(), context=-1)
    with pytest.raises(GrukitDataError, match="`context` must be a non-negative integer, got 2.0"):
        split_by_fraction(_frame(), context=2.0)
    with pytest.raises(GrukitDataError, match=r"`validation` must be a fraction in \[0, 1\), got "):
        split_by_fraction(_frame(), "0.1", 0.2)


def test_date_split_per_series_and_errors():
    frame = _frame((("A", 100), ("B", 60)))  # B ends 2024-02-29
    train, validation, test = split_by_date(
        frame, test_from="2024-02-20", validation_from="2024-02-10", id_column="id"
    )
    assert train.groupby("id").size().to_dict() == {"A": 40, "B": 40}
    assert validation.groupby("id").size().to_dict() == {"A": 10, "B": 10}
    assert test.groupby("id").size().to_dict() == {"A": 50, "B": 10}
    assert (test["time"] >= pd.Timestamp("2024-02-20")).all()
    _, none, _ = split_by_date(frame, test_from="2024-02-20", context=3, id_column="id")
    assert len(none) == 0
    with pytest.raises(GrukitDataError, match="the test part of series 'B' would be empty"):
        split_by_date(frame, test_from="2024-03-05", id_column="id")
    with pytest.raises(GrukitDataError, match="`validation_from` must come before `test_from`"):
        split_by_date(frame, test_from="2024-02-01", validation_from="2024-02-01")
    with pytest.raises(GrukitDataError, match="the train part would be empty"):
        split_by_date(frame, test_from="2023-01-01")
