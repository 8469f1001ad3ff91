"""Reading time columns: integer steps, epoch units, ambiguous dates, time zones, headers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grukit.data import GrukitDataError, read_table, time_step
from grukit.data.windows import segment_bounds


def test_integer_times_are_steps_not_nanoseconds():
    frame = read_table(pd.DataFrame({"t": np.arange(600), "v": 1.0}), time_column="t")
    assert frame["t"].dtype == np.int64 and frame["t"].iloc[-1] == 599
    assert time_step(frame["t"]) == 1
    tens = read_table(pd.DataFrame({"t": np.arange(0, 100, 10), "v": 1.0}), time_column="t")
    assert time_step(tens["t"]) == 10
    gap = read_table(pd.DataFrame({"t": [0, 1, 2, 5, 6, 7], "v": 1.0}), time_column="t")
    assert [(a, b) for a, b, _ in segment_bounds(gap, time_column="t")] == [(0, 3), (3, 6)]


def test_a_time_unit_reads_numbers_as_epoch_times():
    seconds = 1_600_000_000 + 3600 * np.arange(5)
    frame = read_table(pd.DataFrame({"t": seconds, "v": 1.0}), time_column="t", time_unit="s")
    assert frame["t"].iloc[0] == pd.Timestamp("2020-09-13 12:26:40")
    assert time_step(frame["t"]) == pd.Timedelta(hours=1)
    with pytest.raises(GrukitDataError, match="`time_unit` must be one of"):
        read_table(pd.DataFrame({"t": seconds}), time_column="t", time_unit="weeks")


def test_dates_that_read_both_ways_are_refused_unless_told():
    text = [f"{m:02d}/{d:02d}/2020" for m, d in [(1, 2), (3, 4), (12, 11)]]
    frame = pd.DataFrame({"date": text, "v": 1.0})
    with pytest.raises(GrukitDataError, match=r"ambiguous: '01/02/2020' \(row 0\) reads as"):
        read_table(frame, time_column="date")
    assert read_table(frame, time_column="date", dayfirst=True)["date"].iloc[0].month == 2
    month_first = read_table(frame, time_column="date", date_format="%m/%d/%Y")
    assert month_first["date"].iloc[0] == pd.Timestamp("2020-01-02")
    one_way = pd.DataFrame({"date": ["01/02/2020", "25/12/2020"], "v": 1.0})
    assert read_table(one_way, time_column="date")["date"].iloc[0].month == 2  # day-first only
    iso = pd.DataFrame({"date": ["2020-01-02", "2020-03-04", "2020-12-11"], "v": 1.0})
    assert read_table(iso, time_column="date")["date"].iloc[0] == pd.Timestamp("2020-01-02")
    assert read_table(iso, time_column="date", dayfirst=True)["date"].iloc[2].month == 12


def test_zone_aware_times_are_converted_to_utc():
    uniform = pd.DataFrame({"time": ["2021-01-01 00:00+01:00", "2021-01-01 01:00+01:00"]})
    frame = read_table(uniform.assign(v=1.0), time_column="time")
    assert frame["time"].iloc[0] == pd.Timestamp("2020-12-31 23:00")
    across_dst = ["2021-03-28 00:00+01:00", "2021-03-28 01:00+01:00", "2021-03-28 03:00+02:00"]
    frame = read_table(pd.DataFrame({"time": across_dst, "v": 1.0}), time_column="time")
    assert time_step(frame["time"]) == pd.Timedelta(hours=1)
    assert segment_bounds(frame, time_column="time") == [(0, 3, None)]  # regular in UTC
    aware = pd.DataFrame(
        {"time": pd.date_range("2021-01-01", periods=4, freq="h", tz="Europe/Paris"), "v": 1.0}
    )
    assert read_table(aware, time_column="time")["time"].dt.tz is None


def test_a_repeated_csv_header_is_refused(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("time,value,value\n2021-01-01,1,2\n2021-01-02,3,4\n")
    with pytest.raises(GrukitDataError, match="names the column 'value' twice"):
        read_table(path)
