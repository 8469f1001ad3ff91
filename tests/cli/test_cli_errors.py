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
