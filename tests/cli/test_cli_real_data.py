"""The public datasets of ../shared/data through the command line a newcomer would type.

Skipped when the folder is absent (set GRUKIT_SHARED_DATA to point elsewhere).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from support.cli import run
from support.datasets import ETTH1, PM25

COVARIATES = "DEWP,TEMP,PRES,Iws,Is,Ir,cbwd"

needs_pm25 = pytest.mark.skipif(not PM25.exists(), reason=f"PM2.5 file not found at {PM25}")
needs_ett = pytest.mark.skipif(not ETTH1.exists(), reason=f"ETTh1 file not found at {ETTH1}")


def _subset(tmp_path: Path, years: tuple[int, ...]) -> Path:
    """The UCI file's rows of some years, in the UCI layout (year, month, day, hour columns)."""
    frame = pd.read_csv(PM25)
    path = tmp_path / "pm25.csv"
    frame[frame["year"].isin(years)].to_csv(path, index=False)
    return path


@needs_pm25
def test_pm25_plain_command_builds_time_and_encodes_wind(tmp_path, capsys):
    data = _subset(tmp_path, (2014,))
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys, "train", "forecast", data, "--target", "pm2.5", "--covariates", COVARIATES,
        "--lookback", "24", "--horizon", "6", "--fill", "interpolate", "--test-from",
        "2014-12-01", "--epochs", "1", "--hidden-size", "8", "--out", out,
    )  # fmt: skip
    assert code == 0, stderr
    config = json.loads((out / "config.json").read_text())["fitted"]
    assert config["time_column"] == "time" and config["period"] == 24
    assert config["categories"] == {"cbwd": ["NE", "NW", "SE", "cv"]}
    assert config["input_columns"][-4:] == ["cbwd=NE", "cbwd=NW", "cbwd=SE", "cbwd=cv"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["windows"] == 31 * 24 - 6 + 1
    code, _, _ = run(capsys, "predict", out, data)
    forecast = pd.read_csv(out / "predictions.csv")
    assert code == 0 and forecast["time"].iloc[0] == "2015-01-01 00:00:00"


@needs_pm25
def test_pm25_without_fill_names_the_missing_rows(tmp_path, capsys):
    code, _, stderr = run(
        capsys, "train", "forecast", PM25, "--target", "pm2.5", "--lookback", "24", "--horizon",
        "6", "--out", tmp_path / "run",
    )  # fmt: skip
    assert code == 2
    assert stderr.strip() == (
        "error: column 'pm2.5' has 2067 missing values (rows 0, 1, 2, ...); choose --fill "
        "ffill, interpolate or drop"
    )


@needs_ett
def test_ett_date_column_is_found(tmp_path, capsys):
    data = tmp_path / "etth1.csv"
    pd.read_csv(ETTH1).iloc[:600].to_csv(data, index=False)
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys, "train", "forecast", data, "--target", "OT", "--covariates", "HUFL,HULL",
        "--lookback", "24", "--horizon", "4", "--epochs", "1", "--hidden-size", "8", "--out", out,
    )  # fmt: skip
    assert code == 0, stderr
    assert json.loads((out / "config.json").read_text())["fitted"]["time_column"] == "date"


@pytest.mark.slow
@needs_pm25
def test_pm25_gru_beats_persistence_at_1h_and_6h(tmp_path, capsys):
    """Train on 2012-2013 (last 10% for early stopping), test on 2014 (docs/benchmarks.md)."""
    data = _subset(tmp_path, (2012, 2013, 2014))
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys, "train", "forecast", data, "--target", "pm2.5", "--covariates", COVARIATES,
        "--lookback", "24", "--horizon", "6", "--fill", "interpolate", "--test-from",
        "2014-01-01", "--epochs", "6", "--seed", "0", "--out", out,
    )  # fmt: skip
    assert code == 0, stderr
    table = json.loads((out / "metrics.json").read_text())["tables"]["pm2.5"]
    for step in (1, 6):
        assert table["gru"][f"rmse@{step}"] < table["persistence"][f"rmse@{step}"], step
    # the persistence floor of the data's SOURCE.md (22.06 and 61.23 over all of 2014)
    assert table["persistence"]["rmse@1"] == pytest.approx(22.06, abs=0.1)
    assert table["persistence"]["rmse@6"] == pytest.approx(61.23, abs=0.2)
