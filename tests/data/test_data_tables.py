"""read_table, column checks, one-hot encoding and inspect_table."""

import gzip

import numpy as np
import pandas as pd
import pytest

from grukit.data import (
    GrukitDataError,
    encode_categoricals,
    inspect_table,
    read_table,
    require_numeric,
)


def _frame():
    return pd.DataFrame(
        {
            "id": ["b", "a", "b", "a"],
            "time": [
                "2024-01-01 01:00",
                "2024-01-01 01:00",
                "2024-01-01 00:00",
                "2024-01-01 00:00",
            ],
            "value": [4.0, 2.0, 3.0, 1.0],
            "colour": ["red", "blue", "red", "green"],
        }
    )


def test_dataframe_is_parsed_sorted_by_id_then_time_and_not_modified():
    original = _frame()
    frame = read_table(original, time_column="time", id_column="id")
    assert frame["value"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert frame["id"].tolist() == ["a", "a", "b", "b"]
    assert pd.api.types.is_datetime64_any_dtype(frame["time"])
    assert frame.index.tolist() == [0, 1, 2, 3]
    assert original["value"].tolist() == [4.0, 2.0, 3.0, 1.0]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet", ".pq"])
def test_files_are_read_by_suffix(tmp_path, suffix):
    frame = _frame()
    path = tmp_path / f"table{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".csv.gz":
        with gzip.open(path, "wt") as handle:
            frame.to_csv(handle, index=False)
    else:
        frame.to_parquet(path)
    result = read_table(str(path), time_column="time", id_column="id", columns=["value"])
    assert result.columns.tolist() == ["id", "time", "value"]
    assert result["value"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_numpy_arrays_get_default_or_given_names():
    assert read_table(np.arange(3.0)).columns.tolist() == ["0"]
    table = read_table(np.arange(6.0).reshape(3, 2), columns=["x", "y"])
    assert table.columns.tolist() == ["x", "y"]
    assert table["y"].tolist() == [1.0, 3.0, 5.0]
    with pytest.raises(GrukitDataError, match=r"`columns` must name all 2 columns .* got 1 names"):
        read_table(np.zeros((3, 2)), columns=["x"])
    with pytest.raises(GrukitDataError, match=r"must be 1-D or 2-D, got shape \(2, 2, 2\)"):
        read_table(np.zeros((2, 2, 2)))


def test_file_errors(tmp_path):
    with pytest.raises(GrukitDataError, match=r"file not found: '.*missing\.csv'"):
        read_table(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(GrukitDataError, match=r"the file '.*empty\.csv' is empty"):
        read_table(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b\n")
    with pytest.raises(GrukitDataError, match="the table is empty: no data rows"):
        read_table(header_only)
    odd = tmp_path / "table.xlsx"
    odd.write_text("x")
    with pytest.raises(GrukitDataError, match=r"unknown file type of '.*table\.xlsx'; expected"):
        read_table(odd)
    with pytest.raises(GrukitDataError, match="expected a file, got the directory"):
        read_table(tmp_path)
    with pytest.raises(GrukitDataError, match="`data` must be a DataFrame, a path .* got list"):
        read_table([1, 2, 3])


def test_unknown_column_lists_the_available_ones():
    with pytest.raises(GrukitDataError, match=r"unknown column 'nope'; available columns: 'id', "):
        read_table(_frame(), columns=["nope"])
    with pytest.raises(GrukitDataError, match="unknown column 'when'"):
        read_table(_frame(), time_column="when")


def test_duplicated_time_stamps_within_a_series_are_rejected():
    frame = _frame()
    frame.loc[0, "time"] = "2024-01-01 00:00"  # series b now has 00:00 twice
    with pytest.raises(
        GrukitDataError, match=r"duplicated time stamp '2024-01-01 00:00:00' in series 'b'"
    ):
        read_table(frame, time_column="time", id_column="id")
    # the same stamps in different series are fine
    assert len(read_table(_frame(), time_column="time", id_column="id")) == 4
    with pytest.raises(GrukitDataError, match="duplicated time stamp"):
        read_table(_frame(), time_column="time")


def test_unparsable_time_is_an_error():
    frame = _frame()
    frame.loc[2, "time"] = "not a date"
    with pytest.raises(GrukitDataError, match="time column 'time' could not be parsed"):
        read_table(frame, time_column="time")


def test_require_numeric_names_column_row_and_value(tmp_path):
    path = tmp_path / "bad.csv"
    rows = ["pm2.5"] + [str(float(i)) for i in range(17)] + ["abc", "3.0"]
    path.write_text("\n".join(rows) + "\n")
    frame = read_table(path)
    with pytest.raises(
        GrukitDataError, match=r"^column 'pm2.5' must be numeric, row 17 holds 'abc'$"
    ):
        require_numeric(frame, ["pm2.5"])
    with pytest.raises(GrukitDataError, match=r"target column 'colour' must be numeric, row 0"):
        require_numeric(_frame(), ["colour"], role="target column")
    with pytest.raises(GrukitDataError, match="a categorical column.* encode_categoricals"):
        require_numeric(_frame(), ["colour"])
    require_numeric(pd.DataFrame({"x": [1.0, None, np.nan]}), ["x"])  # missing is not bad


def test_encode_categoricals_in_place_with_fixed_categories():
    frame, names = encode_categoricals(_frame(), ["colour"])
    assert names == ["colour=blue", "colour=green", "colour=red"]
    assert frame.columns.tolist() == ["id", "time", "value", *names]
    assert frame[names].to_numpy().sum(axis=1).tolist() == [1.0] * 4
    assert frame["colour=red"].tolist() == [1.0, 0.0, 1.0, 0.0]
    fixed, names = encode_categoricals(
        _frame(), ["colour"], categories={"colour": ["red", "green", "blue", "pink"]}
    )
    assert names == ["colour=red", "colour=green", "colour=blue", "colour=pink"]
    assert fixed["colour=pink"].sum() == 0
    with pytest.raises(GrukitDataError, match="holds 'blue', which is not among the known"):
        encode_categoricals(_frame(), ["colour"], categories={"colour": ["red", "green"]})


def test_inspect_table_reports_frequency_period_and_lengths():
    times = pd.date_range("2024-01-01", periods=10, freq="15min")
    frame = pd.DataFrame({"id": ["x"] * 10 + ["y"] * 6, "time": list(times) + list(times[:6])})
    info = inspect_table(frame, time_column="time", id_column="id")
    assert info.frequency == "15min"
    assert info.step == pd.Timedelta(minutes=15)
    assert info.period == 96
    assert info.lengths == {"x": 10, "y": 6}
    assert info.n_series == 2
    plain = inspect_table(pd.DataFrame({"v": [1.0, 2.0]}))
    assert plain.frequency is None and plain.period is None and plain.lengths == {None: 2}


def test_id_without_time_sorts_stably_by_id():
    frame = pd.DataFrame({"id": ["b", "a", "b", "a"], "v": [1.0, 2.0, 3.0, 4.0]})
    table = read_table(frame, id_column="id")
    assert table["v"].tolist() == [2.0, 4.0, 1.0, 3.0]


def test_data_layer_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, grukit.data, grukit.metrics, grukit.baselines; print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
