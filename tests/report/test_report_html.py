"""The report: PNG plots and an HTML page that references them, for both kinds of run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grukit.data import multi_seasonal_with_anomalies
from grukit.io import write_json
from grukit.report import plot_error_by_step, write_report
from grukit.tasks import AnomalyDetector, Forecaster, evaluation_table
from grukit.tasks.evaluation import table_from_record, table_to_record
from support.series import fast_config, seasonal_frame

PNG = b"\x89PNG\r\n\x1a\n"


def _images(page: Path) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page.read_text())


def _check_images(run: Path, page: Path) -> list[str]:
    images = _images(page)
    for relative in images:
        image = run / relative
        assert image.exists(), relative
        assert image.read_bytes()[:8] == PNG
        assert image.stat().st_size > 5_000
    assert not list(run.rglob("*.tmp"))
    return images


def test_forecast_report_has_loss_forecast_and_error_plots(tmp_path):
    frame = seasonal_frame(200)
    model = Forecaster(12, 3, targets=["a", "b"], hidden_size=8, train_config=fast_config(3))
    model.fit(frame.iloc[:150], validation=0.2).save(tmp_path)
    backtest = model.backtest(frame.iloc[126:])
    backtest.to_csv(tmp_path / "backtest.csv", index=False)
    table = evaluation_table(backtest)
    write_json(tmp_path / "metrics.json", {"windows": 10, "tables": table_to_record(table)})

    page = write_report(tmp_path)
    assert page == tmp_path / "report.html"
    images = _check_images(tmp_path, page)
    assert sorted(images) == [
        "plots/forecast_a.png",
        "plots/forecast_b.png",
        "plots/loss.png",
        "plots/rmse_by_step_a.png",
        "plots/rmse_by_step_b.png",
    ]
    text = page.read_text()
    assert "Model vs baselines: a" in text and "seasonal_naive" in text and "rmse@3" in text


def test_detection_report_shows_scores_threshold_and_flags(tmp_path):
    series = multi_seasonal_with_anomalies(500, n_anomalies=2)
    detector = AnomalyDetector(24, label_column="anomaly", hidden_size=8, stride=4,
                               train_config=fast_config(1))  # fmt: skip
    detector.fit(series).save(tmp_path)
    detector.detect(series).to_csv(tmp_path / "detections.csv", index=False)
    write_json(tmp_path / "metrics.json", {"detection": detector.evaluate(series)})
    page = write_report(tmp_path, title="Detection <test>")
    assert sorted(_check_images(tmp_path, page)) == ["plots/anomalies.png", "plots/loss.png"]
    text = page.read_text()
    assert "<title>Detection &lt;test&gt;</title>" in text and "roc_auc" in text


def test_report_of_a_run_with_only_a_model(tmp_path):
    frame = seasonal_frame(120)
    Forecaster(8, 2, targets="a", hidden_size=4, train_config=fast_config(1)).fit(frame).save(
        tmp_path
    )
    page = write_report(tmp_path)
    assert _check_images(tmp_path, page) == ["plots/loss.png"]


def test_report_of_a_missing_run_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no grukit run in .*config.json' does not exist"):
        write_report(tmp_path)


def test_metrics_record_round_trip_and_error_plot(tmp_path):
    frame = seasonal_frame(150)
    model = Forecaster(8, 2, targets="a", hidden_size=4, train_config=fast_config(1)).fit(frame)
    table = model.evaluate(frame)
    restored = table_from_record(table_to_record(table))["a"]
    assert restored.round(12).equals(table.round(12))
    path = plot_error_by_step(table, tmp_path / "errors.png")
    assert path.read_bytes()[:8] == PNG
