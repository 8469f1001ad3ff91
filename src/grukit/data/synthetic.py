"""Synthetic series with known structure, for tests, examples and docs. Deterministic per seed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = ["ANOMALY_KINDS", "multi_seasonal_with_anomalies", "sine_wave"]

ANOMALY_KINDS = ("spike", "level_shift", "noise_burst", "flatline")


def _times(n: int, start: str, freq: str) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq=freq)


def _check_n(n: int) -> int:
    if not checks.is_integer(n) or n < 1:
        raise GrukitDataError(f"`n` must be an integer >= 1, got {n!r}")
    return int(n)


def sine_wave(
    n: int,
    *,
    period: float = 24.0,
    noise: float = 0.0,
    amplitude: float = 1.0,
    seed: int | None = 0,
    start: str = "2020-01-01",
    freq: str = "h",
) -> pd.DataFrame:
    """``value_t = amplitude * sin(2 pi t / period) + noise * e_t``, ``e_t ~ N(0, 1)``.

    Returns
    -------
    DataFrame
        Columns ``time`` (from `start`, every `freq`) and ``value``; `n` rows.
    """
    n = _check_n(n)
    period = checks.number("period", period, low=0, low_open=True, error=GrukitDataError)
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    value = amplitude * np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(n)
    return pd.DataFrame({"time": _times(n, start, freq), "value": value})


def multi_seasonal_with_anomalies(
    n: int,
    *,
    seed: int | None = 0,
    periods: Sequence[float] = (24, 168),
    amplitudes: Sequence[float] | None = None,
    noise: float = 0.1,
    n_anomalies: int = 5,
    kinds: Sequence[str] = ("spike", "level_shift"),
    anomaly_length: int = 12,
    magnitude: float = 4.0,
    n_channels: int = 1,
    start: str = "2020-01-01",
    freq: str = "h",
) -> pd.DataFrame:
    """A sum of seasonal waves plus noise, with labelled anomalies.

    ``value_t = sum_k a_k sin(2 pi t / p_k + phi_k) + noise * e_t`` with random phases ``phi_k``,
    then `n_anomalies` non-overlapping anomalies (kinds drawn in turn from `kinds`):

    - ``"spike"``: one step moved by ``+-magnitude`` (times the series' standard deviation);
    - ``"level_shift"``: `anomaly_length` steps moved by ``+-magnitude / 2``;
    - ``"noise_burst"``: `anomaly_length` steps with added noise of std ``magnitude / 2``;
    - ``"flatline"``: `anomaly_length` steps frozen at their first value (a stuck sensor).

    Parameters
    ----------
    n : int
        Rows, at least ``4 * anomaly_length * n_anomalies`` so anomalies fit apart.
    amplitudes : sequence of float, optional
        One per period; default ``1, 1/2, 1/4, ...``.
    n_channels : int
        Value columns: ``value`` for one, else ``value_0 .. value_{k-1}`` (own phases and noise,
        anomalies on all channels at the same rows).

    Returns
    -------
    DataFrame
        ``time``, the value column(s), and ``anomaly`` (int64, 1 on anomalous rows).
    """
    n = _check_n(n)
    unknown = [k for k in kinds if k not in ANOMALY_KINDS]
    if unknown or not kinds:
        raise GrukitDataError(
            f"`kinds` must be a non-empty subset of {ANOMALY_KINDS}, got {tuple(kinds)!r}"
        )
    n_anomalies = checks.non_negative_int("n_anomalies", n_anomalies, error=GrukitDataError)
    anomaly_length = checks.positive_int("anomaly_length", anomaly_length, error=GrukitDataError)
    n_channels = checks.positive_int("n_channels", n_channels, error=GrukitDataError)
    slot = 4 * anomaly_length
    if n_anomalies and n < slot * n_anomalies:
        raise GrukitDataError(
            f"`n` must be at least 4 * anomaly_length * n_anomalies = {slot * n_anomalies} for "
            f"the anomalies to fit apart, got {n}"
        )
    amplitudes = [0.5**k for k in range(len(periods))] if amplitudes is None else amplitudes
    if len(amplitudes) != len(periods):
        raise GrukitDataError(
            f"`amplitudes` must have one value per period ({len(periods)}), got {len(amplitudes)}"
        )
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = np.empty((n, n_channels))
    for channel in range(n_channels):
        phases = rng.uniform(0, 2 * np.pi, len(periods))
        clean = sum(
            a * np.sin(2 * np.pi * t / p + phi)
            for a, p, phi in zip(amplitudes, periods, phases, strict=True)
        )
        values[:, channel] = clean + noise * rng.standard_normal(n)
    label = np.zeros(n, dtype=np.int64)
    scale = values.std(axis=0)
    # one anomaly per slot of `slot` rows, in a random subset of the slots, away from its edges
    chosen = np.sort(rng.choice(n // slot, size=n_anomalies, replace=False))
    for number, slot_index in enumerate(chosen):
        kind = kinds[number % len(kinds)]
        begin = slot_index * slot + int(rng.integers(anomaly_length, 2 * anomaly_length + 1))
        length = 1 if kind == "spike" else anomaly_length
        rows = slice(begin, begin + length)
        sign = rng.choice([-1.0, 1.0])
        if kind == "spike":
            values[rows] += sign * magnitude * scale
        elif kind == "level_shift":
            values[rows] += sign * magnitude / 2 * scale
        elif kind == "noise_burst":
            values[rows] += magnitude / 2 * scale * rng.standard_normal((length, n_channels))
        else:
            values[rows] = values[begin]
        label[rows] = 1
    names = ["value"] if n_channels == 1 else [f"value_{c}" for c in range(n_channels)]
    frame = pd.DataFrame(values, columns=names)
    frame.insert(0, "time", _times(n, start, freq))
    frame["anomaly"] = label
    return frame
