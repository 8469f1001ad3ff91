"""AnomalyDetector: the contract, both methods, thresholds, and finding injected anomalies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grukit.data import GrukitDataError, multi_seasonal_with_anomalies
from grukit.tasks import AnomalyDetector
from grukit.tasks.scoring import best_f1_threshold, detection_scores
from support.series import fast_config


@pytest.fixture(scope="module")
def series():
    return multi_seasonal_with_anomalies(
        2000, seed=3, n_anomalies=8, kinds=("spike", "level_shift", "noise_burst"), noise=0.1
    )


@pytest.fixture(scope="module")
def autoencoder(series):
    detector = AnomalyDetector(
        32,
        columns="value",
        label_column="anomaly",
        hidden_size=16,
        stride=2,
        train_config=fast_config(12),
    )
    return detector.fit(series.iloc[:1200])


def test_fit_returns_self_with_learned_attributes(autoencoder):
    assert isinstance(autoencoder, AnomalyDetector)
    assert autoencoder.columns_ == ["value"] and autoencoder.n_features_in_ == 1
    assert autoencoder.time_column_ == "time"
    assert np.isfinite(autoencoder.threshold_) and autoencoder.threshold_ > 0
    assert len(autoencoder.history_) == 12


def test_autoencoder_finds_the_injected_anomalies(series, autoencoder):
    test = series.iloc[1200:]
    result = autoencoder.evaluate(test)
    assert set(result) == {
        "precision", "recall", "f1", "roc_auc", "threshold", "rows", "anomalies", "flagged",
    }  # fmt: skip
    assert result["rows"] == 800 and result["anomalies"] == int(test["anomaly"].sum()) > 0
    # chance: ROC-AUC 0.5 and F1 about the anomaly rate (~3%)
    assert result["roc_auc"] > 0.9
    assert result["f1"] > 0.4


def test_score_samples_and_predict_have_one_value_per_row(series, autoencoder):
    scores = autoencoder.score_samples(series.iloc[1200:])
    flags = autoencoder.predict(series.iloc[1200:])
    assert scores.shape == flags.shape == (800,)
    assert np.isfinite(scores).all() and set(np.unique(flags)) <= {0, 1}
    np.testing.assert_array_equal(flags, (scores > autoencoder.threshold_).astype(int))
    detections = autoencoder.detect(series.iloc[1200:])
    assert list(detections.columns) == ["time", "value", "anomaly", "score", "flag"]
    np.testing.assert_array_equal(detections["score"], scores)


def test_threshold_p99_is_the_percentile_of_the_training_scores(series, autoencoder):
    training_scores = autoencoder.score_samples(series.iloc[:1200])
    np.testing.assert_allclose(autoencoder.threshold_, np.percentile(training_scores, 99))


def test_forecast_method_scores_residuals_after_the_first_window(series):
    detector = AnomalyDetector(
        24, columns="value", method="forecast", threshold=0.5, hidden_size=8,
        train_config=fast_config(3),
    )  # fmt: skip
    detector.fit(series.iloc[:1000])
    assert detector.threshold_ == 0.5
    scores = detector.score_samples(series.iloc[1000:])
    assert np.isnan(scores[:24]).all() and np.isfinite(scores[24:]).all()
    flags = detector.predict(series.iloc[1000:])
    assert (flags[:24] == 0).all()


def test_validation_threshold_maximises_f1_on_labelled_validation(series):
    detector = AnomalyDetector(
        32, columns="value", threshold="validation", label_column="anomaly", hidden_size=8,
        stride=4, train_config=fast_config(2),
    )  # fmt: skip
    detector.fit(series.iloc[:900], validation=series.iloc[900:1500])
    validation = series.iloc[900:1500]
    scores = detector.score_samples(validation)
    expected = best_f1_threshold(scores, validation["anomaly"].to_numpy())
    assert detector.threshold_ == pytest.approx(expected)
    with pytest.raises(ValueError, match="threshold='validation' needs labelled `validation`"):
        AnomalyDetector(32, threshold="validation", train_config=fast_config(1)).fit(series)


def test_best_f1_threshold_separates_a_perfectly_ranked_set():
    scores = np.array([0.1, 0.2, 0.9, 0.3, 0.8, np.nan])
    labels = np.array([0, 0, 1, 0, 1, 1])
    threshold = best_f1_threshold(scores, labels)
    assert threshold == pytest.approx(0.55)
    result = detection_scores(labels, scores, threshold)
    assert result["f1"] == 1.0 and result["rows"] == 5 and result["roc_auc"] == 1.0


def test_several_series_are_scored_separately(series):
    first = series.iloc[:600].assign(unit="u1")
    second = series.iloc[600:1200].assign(unit="u2", time=series["time"].iloc[:600].to_numpy())
    data = pd.concat([first, second], ignore_index=True)
    detector = AnomalyDetector(
        24, columns="value", id_column="unit", method="forecast", hidden_size=8,
        train_config=fast_config(1),
    )  # fmt: skip
    scores = detector.fit(data).score_samples(data)
    # the first window of each series has no score
    assert np.isnan(scores[:24]).all() and np.isnan(scores[600:624]).all()
    assert np.isfinite(scores[24:600]).all() and np.isfinite(scores[624:]).all()


def test_evaluate_needs_labels(series):
    detector = AnomalyDetector(
        16, columns="value", hidden_size=4, stride=4, train_config=fast_config(1)
    )
    detector.fit(series.iloc[:300])
    with pytest.raises(ValueError, match="evaluate needs `labels` or a `label_column`"):
        detector.evaluate(series.iloc[300:600])
    labels = series["anomaly"].to_numpy()[300:600]
    assert detector.evaluate(series.iloc[300:600], labels=labels)["rows"] == 300


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "iforest"}, "`method` must be one of 'autoencoder', 'forecast', got 'iforest'"),
        ({"threshold": "q99"}, "`threshold` must be 'pQ'"),
        ({"stride": 40}, "`stride` must be at most `window` = 32, got 40"),
        ({"window": 0}, "`window` must be a positive integer, got 0"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, message):
    arguments = {"window": 32, **kwargs}
    with pytest.raises(ValueError, match=message):
        AnomalyDetector(arguments.pop("window"), **arguments)


def test_label_column_must_hold_zeros_and_ones(series, autoencoder):
    bad = series.iloc[1200:].copy()
    bad["anomaly"] = bad["anomaly"] * 2
    with pytest.raises(GrukitDataError, match="label column 'anomaly' must hold only 0 and 1"):
        autoencoder.evaluate(bad)


def test_too_short_validation_part_is_named(series):
    detector = AnomalyDetector(32, columns="value", train_config=fast_config(1))
    with pytest.raises(GrukitDataError, match="the validation data need at least 32 consecutive"):
        detector.fit(series.iloc[:300], validation=0.1)
