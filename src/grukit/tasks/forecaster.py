"""`Forecaster`: multi-step GRU forecasting of one or several targets, with baselines beside it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from grukit import checks
from grukit.baselines import persistence, seasonal_naive
from grukit.data import (
    GrukitDataError,
    detect_period,
    inspect_table,
    last_windows,
    make_scaler,
    make_windows,
    scaler_from_dict,
    time_step,
)
from grukit.tasks.config import GRUConfig
from grukit.tasks.evaluation import backtest_frame, evaluation_table
from grukit.tasks.series import SeriesTask
from grukit.tasks.tables import AUTO, as_name_list, default_columns, prepare_columns
from grukit.train.config import TrainConfig

__all__ = ["Forecaster"]

STRATEGIES = ("direct", "recursive")


class Forecaster(SeriesTask):
    """Forecast the next `horizon` values of the targets from the last `lookback` rows.

    A GRU encoder reads the lookback window (scaled targets, then past covariates) and a linear
    head forecasts the change from the last observed value (see :class:`ForecastNetwork`):
    all `horizon` steps at once (``strategy="direct"``), or one step that is fed back `horizon`
    times (``"recursive"``; only without covariates, whose future values are unknown).

    Parameters
    ----------
    lookback, horizon : int
        Input rows L and forecast steps H.
    targets : str or list of str, optional
        Columns to forecast; by default every numeric column that is not the time, id or a
        covariate column.
    covariates : str or list of str, optional
        Past covariates (known up to the forecast origin). A text column is one-hot encoded.
    time_column : str, "auto" or None
        See :func:`grukit.tasks.tables.load_frame`; "auto" also builds ``time`` from the UCI
        ``year, month, day, hour`` columns.
    id_column : str, optional
        Several series in one table; each series is windowed separately, one model for all.
    fill : {None, "ffill", "interpolate", "drop"}
        Missing values: None raises an error naming the column and rows. With "ffill" and
        "interpolate" the metrics skip the filled (never observed) truth values.
    hidden_size, num_layers, bidirectional, dropout
        Of the encoder GRU.
    strategy : {"direct", "recursive"}
    scaler : {"standard", "minmax", None}
        Fitted on the training data only, for the targets and numeric covariates. Predictions
        and metrics are in original units.
    period : int, optional
        Season length for the seasonal-naive baseline, in rows; by default detected from the
        time column's step (hourly: 24), else from the autocorrelation of the first target.
    gru_config : GRUConfig, optional
        Cell options of the GRU.
    train_config : TrainConfig, optional
        Optimizer, epochs, early stopping, seed, device (see :func:`grukit.train.train`).
    verbose : bool or int, default True
        Training progress on stderr: every epoch (True), every k-th epoch (k) or none (False).

    Attributes
    ----------
    network_ : ForecastNetwork
    history_ : grukit.train.History
    scaler_ : grukit.data.Scaler
    targets_, covariates_ : list of str
    input_columns_ : list of str
        The network's input features: targets, then covariates (one-hot columns expanded).
    categories_ : dict
        Categories of each one-hot encoded covariate.
    period_ : int or None
    time_column_, time_step_ : str or None
        Resolved time column and its regular step (``"0 days 01:00:00"``).
    n_features_in_ : int

    Examples
    --------
    >>> from grukit.data import sine_wave
    >>> from grukit.tasks import Forecaster
    >>> from grukit.train import TrainConfig
    >>> frame = sine_wave(400, period=24, noise=0.05)
    >>> model = Forecaster(24, 6, train_config=TrainConfig(epochs=2), verbose=False)
    >>> model.fit(frame.iloc[:300]).predict(frame.iloc[:300]).shape
    (6, 3)
    >>> list(model.evaluate(frame.iloc[276:]).index)
    ['gru', 'persistence', 'seasonal_naive']
    """

    task = "forecaster"

    def __init__(
        self,
        lookback: int,
        horizon: int,
        *,
        targets: str | list[str] | None = None,
        covariates: str | list[str] | None = None,
        time_column: str | None = AUTO,
        id_column: str | None = None,
        fill: str | None = None,
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        strategy: str = "direct",
        scaler: str | None = "standard",
        period: int | None = None,
        gru_config: GRUConfig | None = None,
        train_config: TrainConfig | None = None,
        verbose: bool | int = True,
    ) -> None:
        super().__init__(locals())

    def _check_own_params(self, given: dict[str, Any]) -> dict[str, Any]:
        checked = {
            "lookback": checks.positive_int("lookback", given["lookback"]),
            "horizon": checks.positive_int("horizon", given["horizon"]),
            "targets": as_name_list(given["targets"], "targets"),
            "covariates": as_name_list(given["covariates"], "covariates"),
        }
        targets, covariates = checked["targets"], checked["covariates"]
        if targets is not None and not targets:
            raise ValueError("`targets` must name at least one column, got an empty list")
        overlap = set(targets or ()) & set(covariates or ())
        if overlap:
            raise ValueError(f"column {sorted(overlap)[0]!r} is given as a target and a covariate")
        checked["hidden_size"] = checks.positive_int("hidden_size", given["hidden_size"])
        checked["num_layers"] = checks.positive_int("num_layers", given["num_layers"])
        checked["bidirectional"] = checks.flag("bidirectional", given["bidirectional"])
        checked["dropout"] = checks.probability("dropout", given["dropout"])
        checked["strategy"] = checks.choice("strategy", given["strategy"], STRATEGIES)
        if checked["strategy"] == "recursive" and covariates:
            raise ValueError(
                "strategy='recursive' feeds forecasts back as inputs, but future covariates are "
                f"unknown; use strategy='direct' with covariates {covariates}"
            )
        period = given["period"]
        checked["period"] = None if period is None else checks.positive_int("period", period)
        return checked

    def _minimum_rows(self) -> tuple[int, str]:
        return self.lookback + self.horizon, "lookback + horizon"

    def test_context(self) -> int:
        """``max(lookback, period_)``: the windows of :meth:`backtest` keep a full season."""
        return max(self.lookback, self.period_ or 0)

    def _validation_context(self) -> int:
        return self.lookback

    # -- preparation -----------------------------------------------------------------------------
    def _columns(self, frame: pd.DataFrame, time_column: str | None) -> tuple[list[str], list[str]]:
        """(targets, covariates) of a table: the targets default to its numeric columns."""
        covariates = list(self.covariates or [])
        targets = self.targets or default_columns(frame, [time_column, self.id_column, *covariates])
        return targets, covariates

    def _check_columns(self, frame: pd.DataFrame, time_column: str | None) -> None:
        targets, covariates = self._columns(frame, time_column)
        prepare_columns(
            frame,
            targets,
            covariates,
            fill=self.fill,
            time_column=time_column,
            id_column=self.id_column,
        )

    def _learn_preparation(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.targets_, self.covariates_ = self._columns(frame, self.time_column_)
        train_frame, inputs, self.categories_ = prepare_columns(
            frame,
            self.targets_,
            self.covariates_,
            fill=self.fill,
            time_column=self.time_column_,
            id_column=self.id_column,
        )
        self.input_columns_ = self.targets_ + inputs
        self.n_features_in_ = len(self.input_columns_)
        numeric = [c for c in self.covariates_ if c not in self.categories_]
        self.scaler_ = make_scaler(self.scaler).fit(train_frame, self.targets_ + numeric)
        self.period_ = self._detect_period(train_frame)
        step = None
        if self.time_column_ is not None:
            ids = None if self.id_column is None else train_frame[self.id_column]
            step = time_step(train_frame[self.time_column_], ids)
        self.time_step_ = None if step is None else str(step)
        return self.scaler_.transform(train_frame)

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.scaler_.transform(self._prepare_columns(frame)[0])

    def _prepare_columns(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Prepared frame and a mask (same index) of the target values that were missing."""
        prepared, _, _ = prepare_columns(
            frame,
            self.targets_,
            self.covariates_,
            fill=self.fill,
            time_column=self.time_column_,
            id_column=self.id_column,
            categories=self.categories_,
        )
        missing = frame[self.targets_].isna().loc[prepared.index]
        return prepared, missing

    def _steps(self) -> int:
        """Forecast steps the network produces at once."""
        return self.horizon if self.strategy == "direct" else 1

    def _training_pairs(self, scaled: pd.DataFrame, part: str) -> tuple[np.ndarray, np.ndarray]:
        windows = self._windows(scaled, self.lookback, self._steps())
        return windows.inputs, windows.targets

    def _windows(self, frame: pd.DataFrame, lookback: int, steps: int, **options: Any) -> Any:
        return make_windows(
            frame,
            lookback,
            steps,
            targets=self.targets_,
            covariates=self.input_columns_[len(self.targets_) :],
            time_column=self.time_column_,
            id_column=self.id_column,
            **options,
        )

    def _detect_period(self, frame: pd.DataFrame) -> int | None:
        if self.period is not None:
            return self.period
        if self.time_column_ is not None:
            info = inspect_table(frame, time_column=self.time_column_, id_column=self.id_column)
            if info.period is not None:
                return info.period
        first = (
            frame
            if self.id_column is None
            else frame[frame[self.id_column] == frame[self.id_column].iloc[0]]
        )
        return detect_period(first[self.targets_[0]].to_numpy(dtype=np.float64))

    # -- the network -----------------------------------------------------------------------------
    def _network_type(self) -> type:
        from grukit.tasks.networks import ForecastNetwork

        return ForecastNetwork

    def _network_options(self) -> dict[str, Any]:
        return {
            "input_size": self.n_features_in_,
            "n_targets": len(self.targets_),
            "steps": self._steps(),
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "gru_options": self.gru_config.to_dict(),
        }

    # -- forecasting -----------------------------------------------------------------------------
    def _forecast(self, inputs: np.ndarray) -> np.ndarray:
        """Scaled forecasts (N, H, C) from scaled input windows (N, L, F)."""
        if self.strategy == "direct":
            return self._infer(inputs)
        window, steps = np.array(inputs, dtype=np.float64), []
        for _ in range(self.horizon):
            step = self._infer(window)  # (N, 1, C); F == C without covariates
            steps.append(step)
            window = np.concatenate([window[:, 1:], step], axis=1)
        return np.concatenate(steps, axis=1)

    def predict(self, data: Any) -> pd.DataFrame:
        """Forecast the `horizon` steps after the end of each series in `data`.

        Returns
        -------
        DataFrame
            One row per series and step: the id column (with several series), ``time`` (the
            forecast times, when the model has a time column), ``step`` (1..H) and one column
            per target, in original units.
        """
        self._check_fitted()
        frame = self._read(data)
        prepared, _ = self._prepare_columns(frame)
        inputs, series = last_windows(
            self.scaler_.transform(prepared),
            self.lookback,
            targets=self.targets_,
            covariates=self.input_columns_[len(self.targets_) :],
            id_column=self.id_column,
        )
        forecast = self.scaler_.inverse_transform(self._forecast(inputs), columns=self.targets_)
        n_series, horizon = forecast.shape[:2]
        result: dict[str, Any] = {}
        if self.id_column is not None:
            result[self.id_column] = np.repeat(series, horizon)
        if self.time_column_ is not None:
            ends = (
                prepared.groupby(self.id_column, sort=False)[self.time_column_].last().to_numpy()
                if self.id_column is not None
                else prepared[self.time_column_].to_numpy()[-1:]
            )
            delta = pd.Timedelta(self.time_step_) if self.time_step_ else pd.Timedelta(0)
            offsets = np.arange(1, horizon + 1) * delta.to_timedelta64()
            result[self.time_column_] = (ends[:, None] + offsets[None, :]).ravel()
        result["step"] = np.tile(np.arange(1, horizon + 1), n_series)
        for index, name in enumerate(self.targets_):
            result[name] = forecast[:, :, index].ravel()
        return pd.DataFrame(result)

    def backtest(self, data: Any) -> pd.DataFrame:
        """Rolling forecasts over `data` beside the baselines, on the same windows.

        Every window of `data` (stride 1) is forecast by the network, by persistence and by the
        seasonal-naive baseline. The windows keep ``max(lookback, period_)`` rows of history so
        the seasonal baseline has a full season (``lookback`` when `data` is too short; the
        seasonal column is then NaN); the network reads the last `lookback` of them.

        Returns
        -------
        DataFrame
            Long format, one row per window, step and target: ``window``, the id column, ``time``
            (or ``row``, the position in the table) of the forecast value, ``step``, ``target``,
            ``actual`` (NaN where the value was missing and filled), ``gru``, ``persistence``,
            ``seasonal_naive``.
        """
        self._check_fitted()
        frame = self._read(data)
        prepared, missing = self._prepare_columns(frame)
        history = max(self.lookback, self.period_ or 0)
        try:
            raw = self._windows(prepared, history, self.horizon)
        except GrukitDataError:
            if history == self.lookback:
                raise
            history = self.lookback
            raw = self._windows(prepared, history, self.horizon)
        scaled = self._windows(self.scaler_.transform(prepared), history, self.horizon)
        n_targets = len(self.targets_)
        model_inputs = scaled.inputs[:, -self.lookback :]
        forecasts = {
            "gru": self.scaler_.inverse_transform(
                self._forecast(model_inputs), columns=self.targets_
            ),
            "persistence": persistence(raw.inputs[..., :n_targets], self.horizon),
        }
        if self.period_ is not None and history >= self.period_:
            forecasts["seasonal_naive"] = seasonal_naive(
                raw.inputs[..., :n_targets], self.horizon, self.period_
            )
        else:
            forecasts["seasonal_naive"] = np.full_like(forecasts["persistence"], np.nan)
        observed = prepared[self.targets_].mask(missing.to_numpy())
        truth = raw.targets.copy()
        positions = raw.start_row[:, None] + np.arange(self.horizon)  # (N, H)
        truth[:] = observed.to_numpy(dtype=np.float64)[positions]
        where: dict[str, np.ndarray] = {}
        if self.id_column is not None:
            where[self.id_column] = raw.series
        return backtest_frame(
            truth,
            forecasts,
            positions,
            self.targets_,
            series=where,
            times=None if self.time_column_ is None else prepared[self.time_column_].to_numpy(),
            time_column=self.time_column_,
        )

    def evaluate(self, data: Any) -> pd.DataFrame:
        """The network against persistence and seasonal naive on every window of `data`.

        `data` should start with at least `lookback` (better ``max(lookback, period_)``) rows
        before the first value to score. Returns :func:`grukit.tasks.evaluation_table` of
        :meth:`backtest`: rows ``gru``, ``persistence``, ``seasonal_naive``; columns ``mse``,
        ``rmse``, ``mae``, ``mape``, ``smape`` and each per step (``rmse@1`` ... ``rmse@H``),
        in original units; a column MultiIndex ``(target, metric)`` with several targets.
        """
        return evaluation_table(self.backtest(data))

    def score(self, data: Any) -> float:
        """Minus the network's RMSE on every window of `data`, in original units (higher is
        better; scikit-learn's ``neg_root_mean_squared_error``).

        The RMSE of :meth:`evaluate`'s ``gru`` row; with several targets, the mean of the
        targets' RMSEs.
        """
        table = self.evaluate(data)
        if isinstance(table.columns, pd.MultiIndex):
            return -float(np.mean([table.loc["gru", (t, "rmse")] for t in self.targets_]))
        return -float(table.loc["gru", "rmse"])

    # -- learned state ---------------------------------------------------------------------------
    def _learned_state(self) -> dict[str, Any]:
        return {
            "targets": self.targets_,
            "covariates": self.covariates_,
            "input_columns": self.input_columns_,
            "categories": self.categories_,
            "scaler": self.scaler_.to_dict(),
            "period": self.period_,
            "time_column": self.time_column_,
            "time_step": self.time_step_,
        }

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        self.targets_ = list(state["targets"])
        self.covariates_ = list(state["covariates"])
        self.input_columns_ = list(state["input_columns"])
        self.categories_ = {k: list(v) for k, v in state["categories"].items()}
        self.scaler_ = scaler_from_dict(state["scaler"])
        self.period_ = state["period"]
        self.time_column_ = state["time_column"]
        self.time_step_ = state["time_step"]
        self.n_features_in_ = len(self.input_columns_)
