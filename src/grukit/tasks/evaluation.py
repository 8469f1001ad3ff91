"""The model-versus-baselines table of a forecast backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grukit import metrics

__all__ = [
    "METRICS",
    "MAPE_UNDEFINED",
    "EvaluationSums",
    "backtest_frame",
    "MODELS",
    "evaluation_table",
    "metric_columns",
    "table_from_record",
    "table_to_record",
]

#: Forecast metrics, overall and per step, in column order.
METRICS = ("mse", "rmse", "mae", "mape", "smape")
#: Rows of the table: the network and the baselines computed on the same windows.
MODELS = ("gru", "persistence", "seasonal_naive")

#: Why a target's MAPE columns are left out of its table (and of ``metrics.json``).
MAPE_UNDEFINED = "n/a (target crosses zero)"


def metric_columns(horizon: int) -> list[str]:
    """``mse, rmse, mae, mape, smape, mse@1 .. mse@H, rmse@1 .. rmse@H, ...``."""
    return list(METRICS) + [f"{m}@{k}" for m in METRICS for k in range(1, horizon + 1)]


def _column_order(column: str) -> tuple[bool, int, int]:
    """Sort key of a metric column in :func:`metric_columns` order: the overall metrics, then
    each metric per step, steps as numbers (``rmse@2`` before ``rmse@10``)."""
    name, _, step = str(column).partition("@")
    rank = METRICS.index(name) if name in METRICS else len(METRICS)
    return bool(step), rank, int(step) if step.isdigit() else 0


def _is_mape(column: str) -> bool:
    return str(column).partition("@")[0] == "mape"


class _TargetSums:
    """Running sums of one target's errors per model and step (points with NaN skipped)."""

    def __init__(self, models: list[str], horizon: int) -> None:
        zeros = {m: np.zeros((4, horizon)) for m in models}  # squared, absolute, APE, sAPE
        self.sums, self.counts, self.ape_counts = zeros, {}, {}
        for model in models:
            self.counts[model] = np.zeros(horizon)
            self.ape_counts[model] = np.zeros(horizon)
        self.windows, self.below, self.above = 0, False, False

    def add(self, truth: np.ndarray, predictions: dict[str, np.ndarray]) -> None:
        self.windows += truth.shape[0]
        observed = truth[~np.isnan(truth)]
        self.below |= bool((observed < metrics.MAPE_EPS).any())
        self.above |= bool((observed > -metrics.MAPE_EPS).any())
        for model, prediction in predictions.items():
            keep = ~(np.isnan(truth) | np.isnan(prediction))
            t, p = np.where(keep, truth, 0.0), np.where(keep, prediction, 0.0)
            error = np.abs(t - p)
            relevant = keep & ~(np.abs(t) < metrics.MAPE_EPS)
            ape = np.divide(error, np.abs(t), out=np.zeros_like(t), where=relevant)
            denominator = np.abs(t) + np.abs(p)
            sape = np.divide(2 * error, denominator, out=np.zeros_like(t), where=denominator != 0)
            for row, values in enumerate((error**2, error, ape, sape)):
                self.sums[model][row] += values.sum(axis=0)
            self.counts[model] += keep.sum(axis=0)
            self.ape_counts[model] += relevant.sum(axis=0)

    def crosses_zero(self) -> bool:
        """Whether the truth holds values of both signs or zero (MAPE is then meaningless)."""
        return self.below and self.above

    def row(self, model: str) -> dict[str, float]:
        sums, counts, ape_counts = self.sums[model], self.counts[model], self.ape_counts[model]

        def mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(count > 0, total / np.maximum(count, 1), np.nan)

        overall = {
            "mse": mean(sums[0].sum(), counts.sum()),
            "mae": mean(sums[1].sum(), counts.sum()),
        }
        per_step = {"mse": mean(sums[0], counts), "mae": mean(sums[1], counts)}
        overall["mape"] = 100 * mean(sums[2].sum(), ape_counts.sum())
        per_step["mape"] = 100 * mean(sums[2], ape_counts)
        overall["smape"] = 100 * mean(sums[3].sum(), counts.sum())
        per_step["smape"] = 100 * mean(sums[3], counts)
        overall["rmse"], per_step["rmse"] = np.sqrt(overall["mse"]), np.sqrt(per_step["mse"])
        result = {name: float(overall[name]) for name in METRICS}
        for name in METRICS:
            for step, value in enumerate(per_step[name], start=1):
                result[f"{name}@{step}"] = float(value)
        return result


class EvaluationSums:
    """The evaluation table accumulated over chunks of a backtest (bounded memory).

    :meth:`add` takes one chunk of :func:`backtest_frame` at a time (whole windows: a window's
    steps and targets all in one chunk); :meth:`table` gives what :func:`evaluation_table` gives
    for the concatenated chunks.
    """

    def __init__(self) -> None:
        self._targets: dict[str, _TargetSums] = {}

    def add(self, backtest: pd.DataFrame) -> None:
        """Accumulate one chunk (columns ``window``, ``step``, ``target``, ``actual``, models)."""
        required = ["window", "step", "target", "actual"]
        missing = [c for c in required if c not in backtest.columns]
        if missing:
            raise ValueError(f"`backtest` lacks the column(s) {missing}; expected {required}")
        models = [m for m in MODELS if m in backtest.columns]
        for target in pd.unique(backtest["target"]):
            part = backtest[backtest["target"] == target].sort_values(["window", "step"])
            horizon = int(part["step"].max())
            shape = (part["window"].nunique(), horizon)
            sums = self._targets.setdefault(str(target), _TargetSums(models, horizon))
            truth = part["actual"].to_numpy(dtype=np.float64).reshape(shape)
            sums.add(truth, {m: part[m].to_numpy(dtype=np.float64).reshape(shape) for m in models})

    def table(self) -> pd.DataFrame:
        """The table of :func:`evaluation_table` for everything added so far."""
        if not self._targets:
            raise ValueError("no backtest rows to evaluate")
        tables = {}
        for target, sums in self._targets.items():
            rows = {model: sums.row(model) for model in sums.sums}
            table = pd.DataFrame.from_dict(rows, orient="index")
            if sums.crosses_zero():
                table = table.drop(columns=[c for c in table.columns if _is_mape(c)])
            table.index.name = "model"
            tables[target] = table
        table = next(iter(tables.values())) if len(tables) == 1 else pd.concat(tables, axis=1)
        first = next(iter(self._targets.values()))
        table.attrs["windows"] = int(first.windows)
        table.attrs["mape"] = {
            t: MAPE_UNDEFINED for t, s in self._targets.items() if s.crosses_zero()
        }
        if len(tables) == 1:
            table.attrs["target"] = next(iter(tables))
        return table


def backtest_frame(
    truth: np.ndarray,
    forecasts: dict[str, np.ndarray],
    positions: np.ndarray,
    targets: list[str],
    *,
    series: dict[str, np.ndarray] | None = None,
    times: np.ndarray | None = None,
    time_column: str | None = None,
    first_window: int = 0,
) -> pd.DataFrame:
    """The long table of a backtest: one row per window, step and target.

    Parameters
    ----------
    truth : ndarray, shape (N, H, C)
        Observed values (NaN where missing).
    forecasts : dict of str to ndarray (N, H, C)
        One entry per model, in column order.
    positions : ndarray of int, shape (N, H)
        Row (position in the table) of each forecast value.
    targets : list of str
        The C target names.
    series : dict, optional
        ``{id_column: ids (N,)}`` with several series.
    times, time_column : optional
        The table's time stamps (T,) and the column's name; without them a ``row`` column
        holds `positions`.
    first_window : int
        Number of the first window (a part of a longer backtest).
    """
    n_windows, horizon, n_targets = truth.shape
    shape = (n_windows, horizon, n_targets)

    def spread(values: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(np.expand_dims(values, axes), shape).ravel()

    result: dict[str, np.ndarray] = {"window": spread(first_window + np.arange(n_windows), (1, 2))}
    for name, ids in (series or {}).items():
        result[name] = spread(np.asarray(ids), (1, 2))
    flat = spread(positions, (2,))
    if times is not None and time_column is not None:
        result[time_column] = np.asarray(times)[flat]
    else:
        result["row"] = flat
    result["step"] = spread(np.arange(1, horizon + 1), (0, 2))
    result["target"] = spread(np.asarray(targets, dtype=object), (0, 1))
    result["actual"] = truth.ravel()
    for name, values in forecasts.items():
        result[name] = np.asarray(values).ravel()
    return pd.DataFrame(result)


def evaluation_table(backtest: pd.DataFrame) -> pd.DataFrame:
    """Metrics of every model in a backtest, overall and per horizon step, in original units.

    Parameters
    ----------
    backtest : DataFrame
        From :meth:`Forecaster.backtest`: columns ``window``, ``step``, ``target``, ``actual``
        and one column per model (``gru``, ``persistence``, ``seasonal_naive``).

    Returns
    -------
    DataFrame
        Indexed by model name; columns :func:`metric_columns` (``mse``, ..., ``rmse@1``, ...).
        With several targets the columns are a MultiIndex ``(target, metric)``, so
        ``table["pm2.5"]`` is the table of one target. ``table.attrs`` holds ``windows`` (the
        number of forecast windows), ``mape`` (``{target: MAPE_UNDEFINED}`` for each target whose
        MAPE columns are left out) and, for a single target, ``target``. MAPE skips points whose
        truth is 0, and is left out for a target whose truth crosses zero (holds values of both
        signs, or zero); a metric without any point (e.g. seasonal naive without a detected
        period) is NaN.
    """
    sums = EvaluationSums()
    sums.add(backtest)
    return sums.table()


def table_to_record(table: pd.DataFrame) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{target: {model: {metric: value}}}`` for JSON (NaN becomes None); a single-target table
    is filed under the key ``""`` unless `table.attrs["target"]` names it."""
    if isinstance(table.columns, pd.MultiIndex):
        parts = {str(t): table[t] for t in table.columns.get_level_values(0).unique()}
    else:
        parts = {str(table.attrs.get("target", "")): table}
    return {
        target: {
            str(model): {
                str(metric): (None if pd.isna(value) else float(value))
                for metric, value in row.items()
            }
            for model, row in part.iterrows()
        }
        for target, part in parts.items()
    }


def table_from_record(
    record: dict[str, dict[str, dict[str, float | None]]],
) -> dict[str, pd.DataFrame]:
    """Inverse of :func:`table_to_record`: one table per target."""
    tables = {}
    for target, models in record.items():
        frame = pd.DataFrame.from_dict(models, orient="index").astype(np.float64)
        frame = frame[sorted(frame.columns, key=_column_order)]  # JSON keys come sorted as text
        frame.index.name = "model"
        tables[target] = frame
    return tables
