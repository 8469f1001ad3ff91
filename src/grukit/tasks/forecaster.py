"""`Forecaster`: multi-step GRU forecasting of one or several targets, with baselines beside it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from grukit import checks
from grukit.data import (
    GrukitDataError,
    last_windows,
    make_scaler,
    make_windows,
    scaler_from_dict,
)
from grukit.tasks.backtesting import BACKTEST_BATCH, backtest_parts, nonempty, window_batches
from grukit.tasks.config import GRUConfig
from grukit.tasks.evaluation import EvaluationSums
from grukit.tasks.forecast_calendar import choose_period, forecast_times, learned_step
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
    time_unit, dayfirst, date_format : optional
        How the time column is read (:func:`grukit.data.times.parse_times`): integers are steps
        unless `time_unit` (``"s"``, ``"ms"``, ``"us"``, ``"ns"``, ``"D"``, ``"h"``, ``"min"``)
        says they are epoch times; text that reads both day-first and month-first is refused
        unless `dayfirst` or `date_format` (``"%d/%m/%Y"``) says which. Times with a zone are
        converted to UTC (and forecast times are then in UTC).
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
        Resolved time column and its regular step (``"0 days 01:00:00"``; an int for a time
        column of integer steps).
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
        time_unit: str | None = None,
        dayfirst: bool | None = None,
        date_format: str | None = None,
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
        self.period_ = choose_period(
            train_frame,
            period=self.period,
            horizon=self.horizon,
            target=self.targets_[0],
            time_column=self.time_column_,
            id_column=self.id_column,
        )
        self.time_step_ = learned_step(train_frame, self.time_column_, self.id_column)
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
            result[self.time_column_] = forecast_times(
                prepared, self.time_column_, self.id_column, self.time_step_, horizon
            )
        result["step"] = np.tile(np.arange(1, horizon + 1), n_series)
        for index, name in enumerate(self.targets_):
            result[name] = forecast[:, :, index].ravel()
        return pd.DataFrame(result)

    def backtest(
        self, data: Any, *, test_from: Any = None, test_fraction: float | None = None
    ) -> pd.DataFrame:
        """Rolling forecasts over `data` beside the baselines, on the same windows.

        Every window (stride 1) is forecast by the network, persistence and seasonal naive.
        The windows keep ``max(lookback, period_)`` rows of history, a full season (``lookback``
        when `data` is too short, with a warning; seasonal naive is then NaN). Without
        `test_from` and `test_fraction` the first that many rows of each series of `data` are
        history only. With either, `data` is the whole table: `test_from` (the first time, or
        step, of the test part) or `test_fraction` (the last fraction of each series) picks
        the test part, its history comes from the rows before it, and only windows whose
        forecast starts in the test part are kept (a row before it is never scored).

        Returns
        -------
        DataFrame
            Long format, one row per window, step and target: ``window``, the id column, ``time``
            (or ``row``, the position in the table) of the forecast value, ``step``, ``target``,
            ``actual`` (NaN where the value was missing and filled), ``gru``, ``persistence``,
            ``seasonal_naive``. The concatenation of :meth:`backtest_batches`.
        """
        parts = self.backtest_batches(data, test_from=test_from, test_fraction=test_fraction)
        return pd.concat(list(parts), ignore_index=True)

    def backtest_batches(
        self,
        data: Any,
        *,
        test_from: Any = None,
        test_fraction: float | None = None,
        batch: int | None = None,
    ) -> Iterator[pd.DataFrame]:
        """:meth:`backtest`'s table in parts of at most `batch` windows (default
        :data:`grukit.tasks.backtesting.BACKTEST_BATCH`), each cut, forecast and scored on its
        own: memory is bounded by the batch, not by the number of windows in `data`. The data
        is read and checked before the first part is given."""
        self._check_fitted()
        batch = BACKTEST_BATCH if batch is None else checks.positive_int("batch", batch)
        frame, test_rows = self._test_rows(self._read(data), test_from, test_fraction)
        prepared, missing = self._prepare_columns(frame)
        history = self._backtest_history(prepared)
        starts = window_batches(
            prepared, history, self.horizon, batch=batch,
            time_column=self.time_column_, id_column=self.id_column,
        )  # fmt: skip
        if test_rows is not None:
            scored = test_rows[prepared.index.to_numpy()]  # by position in `prepared`
            starts = (part[scored[part]] for part in starts)
            starts = nonempty(
                starts,
                f"no window forecasts into the test part (test_from={test_from!r}, "
                f"test_fraction={test_fraction!r}): it needs horizon = {self.horizon} rows "
                f"and {history} rows of history before them in one series",
            )
        return backtest_parts(self, self._forecast, prepared, missing, history, starts)

    def _backtest_history(self, prepared: pd.DataFrame) -> int:
        """Rows of history each backtest window keeps: a full season when the data has it."""
        history = self.test_context()
        one_per_segment = max(len(prepared), 1)  # make_windows' checks on one window a segment
        try:
            self._windows(prepared, history, self.horizon, stride=one_per_segment)
        except GrukitDataError:
            if history == self.lookback:
                raise
            warnings.warn(
                f"the data holds no window with max(lookback, period) = {history} rows of "
                f"history; the windows keep lookback = {self.lookback} rows and the seasonal-"
                "naive column is NaN (give the whole table and test_from or test_fraction, "
                "or more rows before the first value to score)",
                stacklevel=4,
            )
            history = self.lookback
            self._windows(prepared, history, self.horizon, stride=one_per_segment)
        return history

    def evaluate(
        self, data: Any, *, test_from: Any = None, test_fraction: float | None = None
    ) -> pd.DataFrame:
        """The network against persistence and seasonal naive on the windows of :meth:`backtest`
        (the same arguments: give the whole table and `test_from` or `test_fraction` to score
        the test part from its first row, as ``grukit train`` does).

        Returns the table of :func:`grukit.tasks.evaluation_table`: rows ``gru``,
        ``persistence``, ``seasonal_naive``; columns ``mse``, ``rmse``, ``mae``, ``mape``,
        ``smape`` and each per step (``rmse@1`` ... ``rmse@H``), in original units; a column
        MultiIndex ``(target, metric)`` with several targets; ``attrs["windows"]``: windows
        scored. MAPE is left out for a target that crosses zero. Accumulated over
        :meth:`backtest_batches` (memory bounded by a batch of windows).
        """
        sums = EvaluationSums()
        for part in self.backtest_batches(data, test_from=test_from, test_fraction=test_fraction):
            sums.add(part)
        return sums.table()

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
