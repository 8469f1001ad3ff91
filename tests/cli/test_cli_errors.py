"""Bad inputs give one line ``error: ...`` on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import numpy as np

from support.cli import FAST, run, seasonal_csv
from support.series import seasonal_frame


def _write(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _train(capsys, data, tmp_path, *extra):
    return run(capsys, "train", "forecast", data, "--target", "a", "--lookback", "12",
               "--horizon", "3", "--out", tmp_path / "run", *FAST, *extra)  # fmt: skip


def _one_line_error(code, stderr, expected):
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in stderr


def test_missing_column(tmp_path, capsys):
    code, _, stderr = _train(capsys, seasonal_csv(tmp_path), tmp_path, "--covariates", "humidity")
    _one_line_error(code, stderr, "unknown covariate column 'humidity'; available columns: 'time'")


def test_missing_values_without_fill(tmp_path, capsys):
    frame = seasonal_frame(100)
    frame.loc[[40, 41, 42, 90], "a"] = np.nan
    code, _, stderr = _train(capsys, _write(tmp_path, frame), tmp_path)
    _one_line_error(
        code, stderr,
        "column 'a' has 4 missing values (rows 40, 41, 42, ...); choose --fill ffill, "
        "interpolate or drop",
    )  # fmt: skip
    code, _, _ = _train(capsys, _write(tmp_path, frame), tmp_path, "--fill", "interpolate")
    assert code == 0


def test_text_in_a_numeric_column(tmp_path, capsys):
    frame = seasonal_frame(100).astype({"a": object})
    frame.loc[5, "a"] = "n/a?"
    code, _, stderr = _train(capsys, _write(tmp_path, frame), tmp_path)
    _one_line_error(code, stderr, "target column 'a' must be numeric, row 5 holds 'n/a?'")


def test_empty_file_and_header_only_file(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, stderr = _train(capsys, empty, tmp_path)
    _one_line_error(code, stderr, f"the file '{empty}' is empty")
    header = tmp_path / "header.csv"
    header.write_text("time,a,b\n")
    code, _, stderr = _train(capsys, header, tmp_path)
    _one_line_error(code, stderr, "the table is empty: no data rows")


def test_one_row_file(tmp_path, capsys):
    code, _, stderr = _train(capsys, _write(tmp_path, seasonal_frame(1)), tmp_path)
    _one_line_error(code, stderr, "need at least lookback + horizon = 15 rows per series, got 1")
    assert not (tmp_path / "run").exists()  # nothing written for a refused command


def test_missing_data_file(tmp_path, capsys):
    code, _, stderr = _train(capsys, tmp_path / "nope.csv", tmp_path)
    _one_line_error(code, stderr, f"file not found: '{tmp_path / 'nope.csv'}'")


def test_missing_required_option(tmp_path, capsys):
    code, _, stderr = run(capsys, "train", "forecast", seasonal_csv(tmp_path), "--lookback", "4",
                          "--horizon", "2", "--out", tmp_path / "run")  # fmt: skip
    _one_line_error(code, stderr, "missing option --target (give it on the command line or in")


def test_bad_option_value(tmp_path, capsys):
    code, _, stderr = _train(capsys, seasonal_csv(tmp_path), tmp_path, "--strategy", "magic")
    _one_line_error(code, stderr, "`strategy` must be one of 'direct', 'recursive', got 'magic'")


def test_missing_and_corrupt_runs(tmp_path, capsys):
    data = seasonal_csv(tmp_path)
    code, _, stderr = run(capsys, "predict", tmp_path / "no-run", data)
    _one_line_error(code, stderr, "no grukit model at")
    code, _, stderr = run(capsys, "report", tmp_path / "no-run")
    _one_line_error(code, stderr, "no grukit run in")
    code, _, stderr = _train(capsys, data, tmp_path)
    assert code == 0, stderr
    weights = tmp_path / "run" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    code, _, stderr = run(capsys, "evaluate", tmp_path / "run", data)
    _one_line_error(code, stderr, "are corrupt or do not belong to")


def test_unknown_option_is_a_usage_error(tmp_path, capsys):
    code, _, stderr = _train(capsys, seasonal_csv(tmp_path), tmp_path, "--bogus")
    assert code == 2 and "No such option: --bogus" in stderr and "Traceback" not in stderr


def test_context_rows_are_never_scored_and_a_too_long_period_is_refused(tmp_path, capsys):
    import json

    data = seasonal_csv(tmp_path, 600)
    base = ["train", "forecast", data, "--target", "a", "--lookback", 12, "--horizon", 3, *FAST]
    code, _, err = run(capsys, *base, "--out", tmp_path / "long", "--period", 1000)
    assert code == 2 and "`period` = 1000 is longer than the training part" in err
    assert "Traceback" not in err
    code, out, _ = run(capsys, *base, "--out", tmp_path / "ok", "--period", 24)
    assert code == 0 and "on 118 windows of the test part" in out
    assert json.loads((tmp_path / "ok" / "metrics.json").read_text())["windows"] == 118
    code, out, _ = run(capsys, "evaluate", tmp_path / "ok", data)
    assert code == 0 and "on 118 windows of the test part" in out


def test_options_that_would_be_ignored_are_refused(tmp_path, capsys):
    data = seasonal_csv(tmp_path, 200)
    forecast = ["train", "forecast", data, "--target", "a", "--lookback", 12, "--horizon", 3]
    code, _, err = run(
        capsys,
        *forecast,
        *FAST,
        "--out",
        tmp_path / "both",
        "--test-from",
        "2021-01-08",
        "--test-fraction",
        0.2,
    )
    assert code == 2 and "give --test-from or --test-fraction, not both" in err
    detect = ["train", "detect", data, "--window", 12, "--columns", "a", *FAST]
    code, _, err = run(capsys, *detect, "--out", tmp_path / "label", "--label-column", "nope")
    assert code == 2 and "unknown label column 'nope'" in err
    twice = tmp_path / "twice.csv"
    twice.write_text(data.read_text().replace("temp", "a", 1))
    code, _, err = run(capsys, *forecast[:2], twice, *forecast[3:], *FAST, "--out", tmp_path / "t")
    assert code == 2 and "names the column 'a' twice" in err


def test_time_reading_options(tmp_path, capsys):
    import pandas as pd

    frame = pd.read_csv(seasonal_csv(tmp_path, 200))
    frame["time"] = np.arange(200)
    frame.to_csv(tmp_path / "steps.csv", index=False)
    base = ["--target", "a", "--lookback", 12, "--horizon", 3, *FAST, "--period", 24]
    code, out, err = run(
        capsys, "train", "forecast", tmp_path / "steps.csv", *base, "--out", tmp_path / "s"
    )
    assert code == 0 and "0 to 159" in out, err
    frame["time"] = 1_600_000_000 + 3600 * np.arange(200)
    frame.to_csv(tmp_path / "epoch.csv", index=False)
    code, out, err = run(
        capsys,
        "train",
        "forecast",
        tmp_path / "epoch.csv",
        *base,
        "--time-unit",
        "s",
        "--out",
        tmp_path / "e",
    )
    assert code == 0 and "2020-09-13 12:26:40" in out, err
    frame["time"] = [f"{1 + i % 12:02d}/{1 + i // 12 % 12:02d}/2020" for i in range(200)]
    frame.drop_duplicates("time").to_csv(tmp_path / "dates.csv", index=False)
    code, _, err = run(
        capsys, "train", "forecast", tmp_path / "dates.csv", *base, "--out", tmp_path / "d"
    )
    assert code == 2 and "is ambiguous" in err and "--dayfirst" in err
