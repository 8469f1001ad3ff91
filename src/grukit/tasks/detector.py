"""`AnomalyDetector`: GRU reconstruction or forecast errors as anomaly scores, with a threshold."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit import checks, metrics
from grukit.data import (
    GrukitDataError,
    make_scaler,
    make_sequences,
    make_windows,
    require_columns,
    require_numeric,
    scaler_from_dict,
    scores_to_timesteps,
    segment_bounds,
)
from grukit.tasks.base import FitData
from grukit.tasks.config import GRUConfig
from grukit.tasks.memory import GRUShape
from grukit.tasks.scoring import best_f1_threshold, detection_scores
from grukit.tasks.series import SeriesTask, column_name
from grukit.tasks.tables import AUTO, as_name_list, default_columns, prepare_columns
from grukit.train.config import TrainConfig

__all__ = ["AnomalyDetector"]

METHODS = ("autoencoder", "forecast")


def _check_threshold(threshold: Any) -> Any:
    if threshold == "validation":
        return threshold
    try:
        metrics.threshold_from_scores([0.0], threshold)
    except ValueError:
        raise ValueError(
            "`threshold` must be 'pQ' (a percentile of the scores, e.g. 'p99'), 'validation' or "
            f"a finite number, got {threshold!r}"
        ) from None
    return float(threshold) if not isinstance(threshold, str) else threshold


class AnomalyDetector(SeriesTask):
    """Flag anomalous rows of one or several series by the error of a GRU model.

    ``method="autoencoder"``: the tutorials' GRU autoencoder (encoder GRU, latent repeated over
    the window, decoder GRU, per-step linear output; :class:`AutoencoderNetwork`) is trained to
    reconstruct sliding windows of the scaled columns; the score of a row is its squared
    reconstruction error (mean over columns), averaged over the windows that cover it.
    ``method="forecast"``: a GRU forecaster predicts each row from the `window` rows before it;
    the score is the squared residual (mean over columns); the first `window` rows of each series
    get no score (NaN, never flagged).

    Parameters
    ----------
    window : int
        Window length (autoencoder) or lookback (forecast).
    columns : str or list of str, optional
        Value columns; by default every numeric column but the time, id and label columns.
    method : {"autoencoder", "forecast"}
    threshold : "pQ", float or "validation"
        A row is flagged when its score exceeds the threshold: ``"p99"`` is the 99th percentile
        of the scores on the validation data when given, else on the training data; a number
        is used as it is; ``"validation"`` maximises F1 on labelled validation data.
    label_column : str, optional
        0/1 labels in the data (never an input): used by ``threshold="validation"`` and
        :meth:`evaluate`.
    time_column, id_column, time_unit, dayfirst, date_format, fill, scaler, gru_config,
    train_config, verbose
        As in :class:`Forecaster`.
    hidden_size, num_layers : int
        Of each GRU.
    stride : int
        Rows between the starts of consecutive autoencoder windows (1..window).

    Attributes
    ----------
    network_, history_, scaler_, columns_, threshold_, time_column_, n_features_in_

    Examples
    --------
    >>> from grukit.data import multi_seasonal_with_anomalies
    >>> from grukit.tasks import AnomalyDetector
    >>> from grukit.train import TrainConfig
    >>> frame = multi_seasonal_with_anomalies(800, n_anomalies=3)
    >>> detector = AnomalyDetector(24, label_column="anomaly",
    ...                            train_config=TrainConfig(epochs=2), verbose=False)
    >>> detector.fit(frame).predict(frame).shape
    (800,)
    """

    task = "anomaly_detector"

    def __init__(
        self,
        window: int,
        *,
        columns: str | list[str] | None = None,
        method: str = "autoencoder",
        threshold: str | float = "p99",
        label_column: str | None = None,
        time_column: str | None = AUTO,
        id_column: str | None = None,
        time_unit: str | None = None,
        dayfirst: bool | None = None,
        date_format: str | None = None,
        fill: str | None = None,
        hidden_size: int = 32,
        num_layers: int = 1,
        stride: int = 1,
        scaler: str | None = "standard",
        gru_config: GRUConfig | None = None,
        train_config: TrainConfig | None = None,
        verbose: bool | int = True,
    ) -> None:
        super().__init__(locals())

    def _check_own_params(self, given: dict[str, Any]) -> dict[str, Any]:
        window = checks.positive_int("window", given["window"])
        checked = {
            "window": window,
            "columns": as_name_list(given["columns"], "columns"),
            "method": checks.choice("method", given["method"], METHODS),
            "threshold": _check_threshold(given["threshold"]),
            "label_column": column_name("label_column", given["label_column"]),
            "hidden_size": checks.positive_int("hidden_size", given["hidden_size"]),
            "num_layers": checks.positive_int("num_layers", given["num_layers"]),
            "stride": checks.positive_int("stride", given["stride"]),
        }
        if checked["stride"] > window:
            raise ValueError(f"`stride` must be at most `window` = {window}, got {given['stride']}")
        return checked

    def _minimum_rows(self) -> tuple[int, str]:
        return self.window + 1, "window + 1"

    # -- data ------------------------------------------------------------------------------------
    def _columns(self, frame: pd.DataFrame, time_column: str | None) -> list[str]:
        """The value columns of a table: by default its numeric columns."""
        return self.columns or default_columns(
            frame, [time_column, self.id_column, self.label_column]
        )

    def _check_columns(self, frame: pd.DataFrame, time_column: str | None) -> None:
        if self.label_column is not None:  # a label column the table lacks would score nothing
            require_columns(frame, [self.label_column], role="label column")
        prepare_columns(
            frame,
            self._columns(frame, time_column),
            fill=self.fill,
            time_column=time_column,
            id_column=self.id_column,
            target_role="column",
        )
        if self.label_column is not None and self.label_column in frame.columns:
            self._labels(frame)  # the labels evaluation will score, checked before training

    def _learn_preparation(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.columns_ = self._columns(frame, self.time_column_)
        if self.label_column is not None and self.label_column in self.columns_:
            raise ValueError(f"the label column {self.label_column!r} cannot be a value column")
        self.n_features_in_ = len(self.columns_)
        prepared = self._prepare_columns(frame)
        self.scaler_ = make_scaler(self.scaler).fit(prepared, self.columns_)
        return self.scaler_.transform(prepared)

    def _prepare_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        prepared, _, _ = prepare_columns(
            frame,
            self.columns_,
            fill=self.fill,
            time_column=self.time_column_,
            id_column=self.id_column,
            target_role="column",
        )
        return prepared

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.scaler_.transform(self._prepare_columns(frame))

    def _segments(self, scaled: pd.DataFrame) -> list[tuple[int, int]]:
        bounds = segment_bounds(scaled, time_column=self.time_column_, id_column=self.id_column)
        return [(begin, end) for begin, end, _ in bounds]

    def _training_pairs(self, scaled: pd.DataFrame, part: str) -> tuple[np.ndarray, np.ndarray]:
        """Training pairs: (windows, windows) or (lookback windows, next rows)."""
        longest = max((end - begin for begin, end in self._segments(scaled)), default=0)
        need = self.window + (self.method == "forecast")
        if longest < need:
            raise GrukitDataError(
                f"the {part} need at least {need} consecutive rows in a series (window = "
                f"{self.window}), got {longest}"
            )
        if self.method == "forecast":
            windows = make_windows(
                scaled,
                self.window,
                1,
                targets=self.columns_,
                time_column=self.time_column_,
                id_column=self.id_column,
            )
            return windows.inputs, windows.targets
        values = scaled[self.columns_].to_numpy(dtype=np.float64)
        blocks = [
            make_sequences(values[begin:end], self.window, stride=self.stride)
            for begin, end in self._segments(scaled)
            if end - begin >= self.window
        ]
        sequences = np.concatenate(blocks)
        return sequences, sequences

    def _scores(self, scaled: pd.DataFrame) -> np.ndarray:
        """Per-row scores of a prepared, scaled table (NaN where none)."""
        scores = np.full(len(scaled), np.nan)
        values = scaled[self.columns_].to_numpy(dtype=np.float64)
        for begin, end in self._segments(scaled):
            length = end - begin
            if self.method == "autoencoder" and length >= self.window:
                sequences = make_sequences(values[begin:end], self.window, stride=self.stride)
                error = ((self._infer(sequences) - sequences) ** 2).mean(axis=2)  # (N, W)
                scores[begin:end] = scores_to_timesteps(
                    error, length, self.window, stride=self.stride
                )
            elif self.method == "forecast" and length > self.window:
                block = values[begin:end]
                index = np.arange(self.window)[None, :] + np.arange(length - self.window)[:, None]
                predicted = self._infer(block[index])[:, 0]  # (N, C)
                residual = ((predicted - block[self.window :]) ** 2).mean(axis=1)
                scores[begin + self.window : end] = residual
        return scores

    def _labels(self, frame: pd.DataFrame) -> np.ndarray:
        require_columns(frame, [self.label_column], role="label column")
        require_numeric(frame, [self.label_column], role="label column")
        labels = frame[self.label_column].to_numpy()
        if not np.isin(labels, (0, 1)).all():
            raise GrukitDataError(
                f"label column {self.label_column!r} must hold only 0 and 1, got "
                f"{np.unique(labels)[:5].tolist()}"
            )
        return labels.astype(np.int64)

    # -- the network -----------------------------------------------------------------------------
    def _network_type(self) -> type:
        from grukit.tasks.networks import AutoencoderNetwork, ForecastNetwork

        return AutoencoderNetwork if self.method == "autoencoder" else ForecastNetwork

    def _network_options(self) -> dict[str, Any]:
        features = self.n_features_in_
        if self.method == "autoencoder":
            options: dict[str, Any] = {"n_features": features}
        else:
            options = {"input_size": features, "n_targets": features, "steps": 1}
        options.update(hidden_size=self.hidden_size, num_layers=self.num_layers)
        options["gru_options"] = self.gru_config.to_dict()
        return options

    def _gru_shapes(self, steps: int) -> list[GRUShape]:
        if self.method == "forecast":
            return super()._gru_shapes(steps)
        features, hidden, layers = self.n_features_in_, self.hidden_size, self.num_layers
        return [
            GRUShape(features, hidden, layers, 1, steps),
            GRUShape(hidden, hidden, layers, 1, steps),
        ]

    # -- fitting ---------------------------------------------------------------------------------
    def fit(
        self,
        data: Any,
        validation: Any = None,
        *,
        resume: bool = False,
        checkpoint_dir: str | Path | None = None,
        callbacks: Iterable[Any] = (),
    ) -> AnomalyDetector:
        """Fit scaler, network and threshold on `data` (mostly normal rows); returns self.

        `validation` (same kinds as `data`, or a fraction: the last part of each series of
        `data`) drives early stopping and the percentile threshold; with
        ``threshold="validation"`` it must hold the label column. `resume`, `checkpoint_dir`
        and `callbacks` as in :meth:`grukit.tasks.base.Task.fit`.
        """
        if validation is None and self.threshold == "validation":
            raise ValueError("threshold='validation' needs labelled `validation` data in fit")
        return super().fit(
            data, validation, resume=resume, checkpoint_dir=checkpoint_dir, callbacks=callbacks
        )

    def _finish_fit(self, fit: FitData) -> None:
        if isinstance(self.threshold, float):
            self.threshold_ = self.threshold
        elif self.threshold == "validation":
            if self.label_column is None or self.label_column not in fit.validation.columns:
                raise ValueError(
                    "threshold='validation' needs the labels of the validation data: set "
                    "`label_column` to a 0/1 column that the validation data holds"
                )
            labels = self._labels(fit.validation).astype(np.float64)
            scaled = fit.validation_prepared
            scores = pd.Series(self._scores(scaled), index=scaled.index)
            self.threshold_ = best_f1_threshold(scores.to_numpy(), labels[scaled.index])
        else:
            reference = fit.train_prepared
            if fit.validation_prepared is not None:
                reference = fit.validation_prepared
            self.threshold_ = metrics.threshold_from_scores(self._scores(reference), self.threshold)

    # -- scoring ---------------------------------------------------------------------------------
    def score_samples(self, data: Any) -> np.ndarray:
        """Anomaly score of every row of `data` (sorted by id and time), higher = more anomalous.

        Returns an array of shape (T,), NaN for rows without a score (dropped by ``fill="drop"``
        or, with ``method="forecast"``, the first `window` rows of each series).
        """
        self._check_fitted()
        frame = self._read(data)
        return self._frame_scores(frame)

    def _frame_scores(self, frame: pd.DataFrame) -> np.ndarray:
        scaled = self._prepare(frame)
        scores = pd.Series(self._scores(scaled), index=scaled.index)
        return scores.reindex(frame.index).to_numpy()

    def predict(self, data: Any) -> np.ndarray:
        """0/1 flags of shape (T,): 1 where the score exceeds ``threshold_`` (NaN scores: 0)."""
        scores = self.score_samples(data)
        return np.where(np.isnan(scores), 0, scores > self.threshold_).astype(np.int64)

    def detect(self, data: Any) -> pd.DataFrame:
        """The table with ``score`` and ``flag`` columns added (sorted by id and time)."""
        self._check_fitted()
        frame = self._read(data)
        scores = self._frame_scores(frame)
        keep = [c for c in (self.id_column, self.time_column_) if c is not None]
        keep += self.columns_
        if self.label_column is not None and self.label_column in frame.columns:
            keep.append(self.label_column)
        result = frame[keep].copy()
        result["score"] = scores
        result["flag"] = np.where(np.isnan(scores), 0, scores > self.threshold_).astype(np.int64)
        return result

    def evaluate(self, data: Any, labels: Any = None) -> dict[str, Any]:
        """Precision, recall, F1 and ROC-AUC of the flags against 0/1 labels.

        `labels` (T,) in the order of the sorted table, or the `label_column` of `data`. Rows
        without a score are left out. ``roc_auc`` is None when only one class is present.
        """
        self._check_fitted()
        frame = self._read(data)
        if labels is None:
            if self.label_column is None:
                raise ValueError("evaluate needs `labels` or a `label_column` in the data")
            labels = self._labels(frame)
        labels = np.asarray(labels).ravel()
        if labels.shape[0] != len(frame):
            raise ValueError(
                f"`labels` must have one value per row ({len(frame)}), got {labels.shape[0]}"
            )
        return detection_scores(labels, self._frame_scores(frame), self.threshold_)

    def score(self, data: Any, labels: Any = None) -> float:
        """F1 of the flags against 0/1 labels (higher is better): :meth:`evaluate`'s ``f1``."""
        return float(self.evaluate(data, labels)["f1"])

    # -- learned state ---------------------------------------------------------------------------
    def _learned_state(self) -> dict[str, Any]:
        return {
            "columns": self.columns_,
            "scaler": self.scaler_.to_dict(),
            "threshold": self.threshold_,
            "time_column": self.time_column_,
        }

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        self.columns_ = list(state["columns"])
        self.n_features_in_ = len(self.columns_)
        self.scaler_ = scaler_from_dict(state["scaler"])
        self.threshold_ = float(state["threshold"])
        self.time_column_ = state["time_column"]
