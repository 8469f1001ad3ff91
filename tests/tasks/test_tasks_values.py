"""One policy for bad values: NaN is missing (``fill``), +/-inf is refused by every entry point,
and everything a training command will need is checked before the first epoch."""

from __future__ import annotations

import numpy as np
import pytest

from grukit.data import GrukitDataError
from grukit.tasks import AnomalyDetector, Forecaster
from grukit.tasks.base import Task
from support.cli import FAST, run
from support.series import fast_config, seasonal_frame


@pytest.fixture(scope="module")
def frame():
    return seasonal_frame(160)


@pytest.fixture(scope="module")
def forecaster(frame):
    model = Forecaster(12, 3, targets="a", covariates="temp", hidden_size=8)
    return model.set_params(train_config=fast_config(1)).fit(frame.iloc[:120])


@pytest.fixture(scope="module")
def detector(frame):
    model = AnomalyDetector(12, columns=["a", "temp"], hidden_size=8, train_config=fast_config(1))
    return model.fit(frame.iloc[:120])


def _with_infinity(frame, row, column="a", sign=1.0):
    changed = frame.copy()
    changed.loc[row, column] = sign * np.inf
    return changed


def _expect_infinite(call, column, row, frame):
    with pytest.raises(GrukitDataError) as caught:
        call()
    message = str(caught.value)
    assert "infinite" in message and "missing values" not in message
    assert f"column {column!r}" in message and f"row {row}" in message
    assert str(frame["time"].iloc[row]) in message  # the row's time, with a time column


def test_fit_refuses_infinity_naming_column_row_and_time(frame):
    bad = _with_infinity(frame.iloc[:120], 30, "temp", -1.0)
    model = Forecaster(12, 3, targets="a", covariates="temp", train_config=fast_config(1))
    _expect_infinite(lambda: model.fit(bad), "temp", 30, bad)


@pytest.mark.parametrize("method", ["predict", "backtest", "evaluate", "score"])
def test_forecaster_inference_refuses_infinity_as_fit_does(frame, forecaster, method):
    bad = _with_infinity(frame, 150)  # inside the last window: predict used to forecast from it
    _expect_infinite(lambda: getattr(forecaster, method)(bad), "a", 150, bad)


@pytest.mark.parametrize("method", ["predict", "detect", "score_samples"])
def test_detector_inference_refuses_infinity(frame, detector, method):
    bad = _with_infinity(frame, 100, "temp")
    _expect_infinite(lambda: getattr(detector, method)(bad), "temp", 100, bad)


def test_detector_evaluate_and_score_refuse_infinity(frame, detector):
    bad = _with_infinity(frame, 100).assign(label=0)
    labels = np.zeros(len(bad), dtype=int)
    _expect_infinite(lambda: detector.evaluate(bad, labels), "a", 100, bad)
    _expect_infinite(lambda: detector.score(bad, labels), "a", 100, bad)


def test_infinity_is_not_filled_by_any_policy(frame):
    bad = _with_infinity(frame.iloc[:120], 7)
    for fill in ("ffill", "interpolate", "drop"):
        model = Forecaster(12, 3, targets="a", fill=fill, train_config=fast_config(1))
        _expect_infinite(lambda model=model: model.fit(bad), "a", 7, bad)


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), -float("inf"), "pnan"])
def test_threshold_must_be_finite(threshold):
    with pytest.raises(ValueError, match="`threshold` must be .* a finite number"):
        AnomalyDetector(12, threshold=threshold)


# -- the command line: refused before the first epoch -----------------------------------------
@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("training started before the data and options were checked")

    monkeypatch.setattr(Task, "_train_network", refuse)


def _refused_before_training(capsys, tmp_path, expected, *args):
    code, _, stderr = run(capsys, *args, "--out", tmp_path / "run", *FAST)
    assert code == 2, stderr
    assert expected in stderr and "Traceback" not in stderr
    assert not (tmp_path / "run" / "checkpoints").exists()
    assert not (tmp_path / "run" / "config.json").exists()


def test_infinity_in_the_test_part_is_refused_before_training(tmp_path, capsys, no_training):
    path = tmp_path / "data.csv"
    _with_infinity(seasonal_frame(200), 190).to_csv(path, index=False)  # in the last 20 %
    _refused_before_training(
        capsys, tmp_path, "column 'a' holds 1 infinite value(s)",
        "train", "forecast", path, "--target", "a", "--lookback", "12", "--horizon", "3",
    )  # fmt: skip


def test_nan_threshold_is_refused_before_training(tmp_path, capsys, no_training):
    path = tmp_path / "data.csv"
    seasonal_frame(200).to_csv(path, index=False)
    _refused_before_training(
        capsys, tmp_path, "a finite number, got nan",
        "train", "detect", path, "--columns", "a", "--window", "12", "--threshold", "nan",
    )  # fmt: skip


def test_bad_labels_in_the_test_part_are_refused_before_training(tmp_path, capsys, no_training):
    path = tmp_path / "data.csv"
    table = seasonal_frame(200).assign(label=0)
    table.loc[195, "label"] = 2
    table.to_csv(path, index=False)
    _refused_before_training(
        capsys, tmp_path, "label column 'label' must hold only 0 and 1",
        "train", "detect", path, "--columns", "a", "--window", "12", "--label-column", "label",
    )  # fmt: skip
