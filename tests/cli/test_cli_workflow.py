"""grukit train / predict / evaluate / report, end to end in temporary directories."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from grukit.data import multi_seasonal_with_anomalies
from support.cli import FAST, run, seasonal_csv


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("forecast")
    data = seasonal_csv(directory)
    out = directory / "run"
    args = [
        "train",
        "forecast",
        data,
        "--target",
        "a",
        "--covariates",
        "temp,wind",
        "--lookback",
        "12",
        "--horizon",
        "3",
        "--test-fraction",
        "0.25",
        "--out",
        out,
        *FAST,
    ]
    return data, out, args


def test_train_forecast_writes_the_run_and_prints_the_table(forecast_run, capsys):
    data, out, args = forecast_run
    code, stdout, _ = run(capsys, *args)
    assert code == 0
    for name in (
        "config.json",
        "model.safetensors",
        "history.json",
        "metrics.json",
        "backtest.csv",
        "run.json",
        "checkpoints/checkpoint.json",
    ):
        assert (out / name).is_file(), name
    for model in ("gru", "persistence", "seasonal_naive"):
        assert model in stdout
    assert "rmse@3" in stdout and f"grukit report {out}" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    # 50 test rows + 24 rows of context (the detected period): 74 - 24 - 3 + 1 windows
    assert metrics["windows"] == 48 and metrics["period"] == 24
    assert set(metrics["tables"]["a"]) == {"gru", "persistence", "seasonal_naive"}


def test_predict_writes_the_forecast_after_the_data(forecast_run, capsys, tmp_path):
    data, out, _ = forecast_run
    code, stdout, _ = run(capsys, "predict", out, data)
    assert code == 0 and f"Predictions written to {out / 'predictions.csv'}" in stdout
    forecast = pd.read_csv(out / "predictions.csv")
    assert list(forecast.columns) == ["time", "step", "a"] and len(forecast) == 3
    code, _, _ = run(capsys, "predict", out, data, "--rolling", "--output", tmp_path / "r.csv")
    rolling = pd.read_csv(tmp_path / "r.csv")
    assert code == 0 and {"actual", "gru", "persistence", "seasonal_naive"} <= set(rolling)


def test_evaluate_uses_the_test_part_unless_all(forecast_run, capsys):
    data, out, _ = forecast_run
    code, stdout, _ = run(capsys, "evaluate", out, data)
    assert code == 0 and "the test part of" in stdout
    assert json.loads((out / "metrics.json").read_text())["windows"] == 48
    code, stdout, _ = run(capsys, "evaluate", out, data, "--all")
    assert code == 0 and json.loads((out / "metrics.json").read_text())["windows"] == 174


def test_report_writes_pngs_and_html(forecast_run, capsys):
    _, out, _ = forecast_run
    code, stdout, _ = run(capsys, "report", out)
    assert code == 0 and str((out / "report.html").resolve()) in stdout
    page = (out / "report.html").read_text()
    for name in ("loss.png", "forecast_a.png", "rmse_by_step_a.png"):
        assert (out / "plots" / name).is_file() and f"plots/{name}" in page


def test_training_again_into_a_run_needs_resume(forecast_run, capsys):
    _, out, args = forecast_run
    code, _, stderr = run(capsys, *args)
    assert code == 2
    assert stderr.strip() == (
        f"error: run directory '{out}' already holds a run; pass --resume to continue it, "
        "or choose another --out"
    )
    # resuming a finished run with other options is refused, naming the difference
    changed = [a if a != "12" else "10" for a in args]
    code, _, stderr = run(capsys, *changed, "--resume")
    assert code == 2 and "lookback=12 there, 10 now" in stderr


def test_train_detect_scores_against_labels(tmp_path, capsys):
    series = multi_seasonal_with_anomalies(600, n_anomalies=4)
    series.to_csv(tmp_path / "anomalies.csv", index=False)
    out = tmp_path / "detect"
    code, stdout, _ = run(
        capsys, "train", "detect", tmp_path / "anomalies.csv", "--columns", "value",
        "--label-column", "anomaly", "--window", "24", "--stride", "4", "--out", out, *FAST,
    )  # fmt: skip
    assert code == 0 and "Detection on the test part: precision" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["detection"]) >= {"precision", "recall", "f1", "roc_auc"}
    detections = pd.read_csv(out / "detections.csv")
    assert len(detections) == 120 and {"score", "flag", "anomaly"} <= set(detections)
    code, _, _ = run(capsys, "predict", out, tmp_path / "anomalies.csv")
    assert code == 0 and len(pd.read_csv(out / "predictions.csv")) == 600
    code, _, _ = run(capsys, "report", out)
    assert code == 0 and (out / "plots" / "anomalies.png").is_file()


def test_options_from_a_toml_file_and_the_command_line_wins(tmp_path, capsys):
    data = seasonal_csv(tmp_path)
    config = tmp_path / "run.toml"
    config.write_text(
        'target = "a"\ncovariates = ["temp"]\nlookback = 12\nhorizon = 2\ntest-fraction = 0.2\n'
        'hidden_size = 4\n\n[train]\nepochs = 1\noptimizer = "adamw"\nclip = "none"\n'
        "\n[gru]\nlayer_norm = true\n"
    )
    out = tmp_path / "run"
    code, _, _ = run(capsys, "train", "forecast", data, "--config", config, "--horizon", "4",
                     "--out", out)  # fmt: skip
    assert code == 0
    saved = json.loads((out / "config.json").read_text())["params"]
    assert saved["lookback"] == 12 and saved["horizon"] == 4 and saved["covariates"] == ["temp"]
    assert saved["hidden_size"] == 4
    assert saved["train_config"]["optimizer"] == "adamw" and saved["train_config"]["clip"] is None
    assert saved["train_config"]["epochs"] == 1 and saved["gru_config"]["layer_norm"] is True
    config.write_text('target = "a"\nlookbak = 12\n')
    code, _, stderr = run(capsys, "train", "forecast", data, "--config", config, "--out",
                          tmp_path / "other")  # fmt: skip
    assert code == 2 and "has unknown option(s) 'lookbak'; valid options:" in stderr


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], ["train", "predict", "evaluate", "report", "demo"]),
        (["train"], ["forecast", "detect"]),
        (["train", "forecast"], ["--target", "--lookback", "--horizon", "--covariates",
                                 "--time-column", "--id-column", "--fill", "--test-from",
                                 "--test-fraction", "--epochs", "--batch-size", "--lr", "--seed",
                                 "--resume", "--config"]),
        (["train", "detect"], ["--columns", "--window", "--threshold", "--label-column"]),
        (["predict"], ["--output", "--rolling"]),
        (["evaluate"], ["--all"]),
        (["report"], ["RUN"]),
        (["demo"], ["--out", "--quick"]),
    ],
)  # fmt: skip
def test_help_of_every_command(capsys, command, expected):
    code, stdout, _ = run(capsys, *command, "--help")
    assert code == 0
    for word in expected:
        assert word in stdout
