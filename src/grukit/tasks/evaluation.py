"""The model-versus-baselines table of a forecast backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grukit import metrics

__all__ = [
    "METRICS",
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

_FUNCTIONS = {
    "mse": metrics.mse,
    "rmse": metrics.rmse,
    "mae": metrics.mae,
    "mape": metrics.mape,
    "smape": metrics.smape,
}


def metric_columns(horizon: int) -> list[str]:
    """``mse, rmse, mae, mape, smape, mse@1 .. mse@H, rmse@1 .. rmse@H, ...``."""
    return list(METRICS) + [f"{m}@{k}" for m in METRICS for k in range(1, horizon + 1)]


def _row(truth: np.ndarray, prediction: np.ndarray) -> list[float]:
    """Metrics of (N, H) arrays; points with missing truth (or prediction) are skipped."""
    values = [_FUNCTIONS[m](truth, prediction, ignore_nan=True) for m in METRICS]
    for name in METRICS:
        for step in range(truth.shape[1]):
            values.append(_FUNCTIONS[name](truth[:, step], prediction[:, step], ignore_nan=True))
    return values


def backtest_frame(
    truth: np.ndarray,
    forecasts: dict[str, np.ndarray],
    positions: np.ndarray,
    targets: list[str],
    *,
    series: dict[str, np.ndarray] | None = None,
    times: np.ndarray | None = None,
    time_column: str | None = None,
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
    """
    n_windows, horizon, n_targets = truth.shape
    shape = (n_windows, horizon, n_targets)

    def spread(values: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(np.expand_dims(values, axes), shape).ravel()

    result: dict[str, np.ndarray] = {"window": spread(np.arange(n_windows), (1, 2))}
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
        number of forecast windows) and, for a single target, ``target``. MAPE skips points
        whose truth is 0; a metric without any point (e.g. seasonal naive without a detected
        period) is NaN.
    """
    required = ["window", "step", "target", "actual"]
    missing = [c for c in required if c not in backtest.columns]
    if missing:
        raise ValueError(f"`backtest` lacks the column(s) {missing}; expected {required}")
    models = [m for m in MODELS if m in backtest.columns]
    tables = {}
    windows = 0
    for target in pd.unique(backtest["target"]):
        part = backtest[backtest["target"] == target].sort_values(["window", "step"])
        windows = part["window"].nunique()
        horizon = int(part["step"].max())
        shape = (windows, horizon)
        truth = part["actual"].to_numpy(dtype=np.float64).reshape(shape)
        rows = [_row(truth, part[m].to_numpy(dtype=np.float64).reshape(shape)) for m in models]
        tables[str(target)] = pd.DataFrame(
            rows, index=pd.Index(models, name="model"), columns=metric_columns(horizon)
        )
    table = next(iter(tables.values())) if len(tables) == 1 else pd.concat(tables, axis=1)
    table.attrs["windows"] = int(windows)
    if len(tables) == 1:
        table.attrs["target"] = next(iter(tables))
    return table


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
        frame.index.name = "model"
        tables[target] = frame
    return tables
