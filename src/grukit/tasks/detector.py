"""`AnomalyDetector`: GRU reconstruction or forecast errors as anomaly scores, with a threshold."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit import metrics
from grukit.data import (
    FILL_POLICIES,
    GrukitDataError,
    make_scaler,
    make_sequences,
    make_windows,
    require_columns,
    require_numeric,
    scaler_from_dict,
    scores_to_timesteps,
    segment_bounds,
    split_by_fraction,
)
from grukit.tasks.base import Task, check_choice, check_configs, check_positive
from grukit.tasks.config import GRUConfig
from grukit.tasks.scoring import best_f1_threshold, detection_scores
from grukit.tasks.tables import (
    AUTO,
    as_name_list,
    check_time_column,
    default_columns,
    load_frame,
    prepare_columns,
)
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
            f"a number, got {threshold!r}"
        ) from None
    return float(threshold) if not isinstance(threshold, str) else threshold


class AnomalyDetector(Task):
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
    time_column, id_column, fill, scaler, gru_config, train_config
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
    ...                                   train_config=TrainConfig(epochs=2, progress=False))
    >>> detector.fit(frame).predict(frame).shape
    (800,)
    """

    task = "anomaly_detector"
    _param_names = (
        "window",
        "columns",
        "method",
        "threshold",
        "label_column",
        "time_column",
        "id_column",
        "fill",
        "hidden_size",
        "num_layers",
        "stride",
        "scaler",
        "gru_config",
        "train_config",
    )

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
        fill: str | None = None,
        hidden_size: int = 32,
        num_layers: int = 1,
        stride: int = 1,
        scaler: str | None = "standard",
        gru_config: GRUConfig | None = None,
        train_config: TrainConfig | None = None,
    ) -> None:
        self.window = check_positive("window", window)
        self.columns = as_name_list(columns, "columns")
        self.method = check_choice("method", method, METHODS)
        self.threshold = _check_threshold(threshold)
        self.label_column = label_column
        self.time_column, self.id_column = time_column, id_column
        self.fill = check_choice("fill", fill, (None, *FILL_POLICIES))
        self.hidden_size = check_positive("hidden_size", hidden_size)
        self.num_layers = check_positive("num_layers", num_layers)
        self.stride = check_positive("stride", stride)
        if self.stride > self.window:
            raise ValueError(f"`stride` must be at most `window` = {window}, got {stride}")
        self.scaler = (
            None
            if scaler == "none"
            else check_choice("scaler", scaler, ("standard", "minmax", None))
        )
        self.gru_config, self.train_config = check_configs(gru_config, train_config)

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> AnomalyDetector:
        from grukit.tasks.storage import params_from_config

        params = params_from_config(config)
        return cls(params.pop("window"), **params)

    # -- data ------------------------------------------------------------------------------------
    def _load(self, data: Any) -> pd.DataFrame:
        frame, time_column = load_frame(
            data, time_column=self.time_column, id_column=self.id_column
        )
        if hasattr(self, "time_column_"):
            check_time_column(self.time_column_, time_column)
        else:
            self.time_column_ = time_column
        return frame

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        prepared, _, _ = prepare_columns(
            frame,
            self.columns_,
            fill=self.fill,
            time_column=self.time_column_,
            id_column=self.id_column,
            target_role="column",
        )
        return self.scaler_.transform(prepared)

    def _segments(self, scaled: pd.DataFrame) -> list[tuple[int, int]]:
        bounds = segment_bounds(scaled, time_column=self.time_column_, id_column=self.id_column)
        return [(begin, end) for begin, end, _ in bounds]

    def _pairs(self, scaled: pd.DataFrame, part: str) -> tuple[np.ndarray, np.ndarray]:
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
        ``threshold="validation"`` it must hold the label column.
        """
        from grukit.tasks.networks import AutoencoderNetwork, ForecastNetwork

        self.__dict__.pop("time_column_", None)  # refitting: resolve the time column afresh
        frame = self._load(data)
        exclude = [self.time_column_, self.id_column, self.label_column]
        self.columns_ = self.columns or default_columns(frame, exclude)
        if self.label_column is not None and self.label_column in self.columns_:
            raise ValueError(f"the label column {self.label_column!r} cannot be a value column")
        self.n_features_in_ = len(self.columns_)
        if isinstance(validation, float):
            if not 0 < validation < 1:
                raise ValueError(f"`validation` as a fraction must be in (0, 1), got {validation}")
            parts = split_by_fraction(frame, validation, 0.0, id_column=self.id_column)
            frame, validation = parts.train, parts.validation
        prepared, _, _ = prepare_columns(
            frame,
            self.columns_,
            fill=self.fill,
            time_column=self.time_column_,
            id_column=self.id_column,
            target_role="column",
        )
        self.scaler_ = make_scaler(self.scaler).fit(prepared, self.columns_)
        scaled = self.scaler_.transform(prepared)
        validation_frame = validation_scaled = validation_pair = None
        if validation is not None:
            validation_frame = self._load(validation)
            validation_scaled = self._prepare(validation_frame)
            validation_pair = self._pairs(validation_scaled, "validation data")
        elif self.threshold == "validation":
            raise ValueError("threshold='validation' needs labelled `validation` data in fit")
        features = self.n_features_in_
        if self.method == "autoencoder":
            self._network_kwargs = {
                "n_features": features,
                "hidden_size": self.hidden_size,
                "num_layers": self.num_layers,
            }
            network_class: Any = AutoencoderNetwork
        else:
            self._network_kwargs = {
                "input_size": features,
                "n_targets": features,
                "steps": 1,
                "hidden_size": self.hidden_size,
                "num_layers": self.num_layers,
            }
            network_class = ForecastNetwork
        self._network_kwargs["gru_options"] = self.gru_config.to_dict()
        self._fit_network(
            lambda: network_class(**self._network_kwargs),
            self._pairs(scaled, "training data"),
            validation_pair,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            callbacks=callbacks,
        )
        if isinstance(self.threshold, float):
            self.threshold_ = self.threshold
        elif self.threshold == "validation":
            if self.label_column is None or self.label_column not in validation_frame.columns:
                raise ValueError(
                    "threshold='validation' needs the labels of the validation data: set "
                    "`label_column` to a 0/1 column that the validation data holds"
                )
            labels = self._labels(validation_frame).astype(np.float64)
            scores = pd.Series(self._scores(validation_scaled), index=validation_scaled.index)
            self.threshold_ = best_f1_threshold(scores.to_numpy(), labels[validation_scaled.index])
        else:
            reference = scaled if validation_scaled is None else validation_scaled
            self.threshold_ = metrics.threshold_from_scores(self._scores(reference), self.threshold)
        return self

    # -- scoring ---------------------------------------------------------------------------------
    def score_samples(self, data: Any) -> np.ndarray:
        """Anomaly score of every row of `data` (sorted by id and time), higher = more anomalous.

        Returns an array of shape (T,), NaN for rows without a score (dropped by ``fill="drop"``
        or, with ``method="forecast"``, the first `window` rows of each series).
        """
        self._check_fitted()
        frame = self._load(data)
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
        frame = self._load(data)
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
        frame = self._load(data)
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

    # -- persistence -----------------------------------------------------------------------------
    def _fitted_state(self) -> dict[str, Any]:
        return {
            "columns": self.columns_,
            "scaler": self.scaler_.to_dict(),
            "threshold": self.threshold_,
            "time_column": self.time_column_,
            "network": dict(self._network_kwargs),
        }

    def _restore_state(self, state: dict[str, Any]) -> Any:
        from grukit.tasks.networks import AutoencoderNetwork, ForecastNetwork

        self.columns_ = list(state["columns"])
        self.n_features_in_ = len(self.columns_)
        self.scaler_ = scaler_from_dict(state["scaler"])
        self.threshold_ = float(state["threshold"])
        self.time_column_ = state["time_column"]
        self._network_kwargs = dict(state["network"])
        cls = AutoencoderNetwork if self.method == "autoencoder" else ForecastNetwork
        return cls(**self._network_kwargs)
