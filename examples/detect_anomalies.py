"""Find injected anomalies in a synthetic multi-seasonal series with the GRU autoencoder.

Usage::

    python examples/detect_anomalies.py

Trains on the first half (unlabelled, anomalies included), sets the threshold at the 99th
percentile of the training scores, and scores the second half against the labels.
"""

from __future__ import annotations

from grukit.data import multi_seasonal_with_anomalies
from grukit.report import plot_anomalies
from grukit.tasks import AnomalyDetector
from grukit.train import TrainConfig


def main() -> None:
    series = multi_seasonal_with_anomalies(
        4000, n_anomalies=12, kinds=("spike", "level_shift", "noise_burst"), seed=1
    )
    train, test = series.iloc[:2000], series.iloc[2000:]
    detector = AnomalyDetector(
        48,
        columns="value",
        label_column="anomaly",  # used for evaluation only, never as an input
        train_config=TrainConfig(epochs=30, learning_rate=3e-3, seed=0),
    )
    detector.fit(train, validation=0.1)
    print(detector.evaluate(test))  # precision, recall, F1, ROC-AUC, threshold, counts
    plot_anomalies(
        detector.detect(test),
        "anomalies.png",
        threshold=detector.threshold_,
        columns=["value"],
        time_column="time",
        label_column="anomaly",
    )
    print("plot written to anomalies.png")


if __name__ == "__main__":
    main()
