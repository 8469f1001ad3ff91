"""Timing statistics: warm-ups, a calibrated inner loop, repeats and their median.

Standard library only (the Keras worker imports it too). The method (``benchmarks/README.md``,
"Method"): 2-3 warm-up calls; the inner loop calibrated so that one repeat lasts at least
``min_repeat_s`` (at least one call); 5-7 repeats; the **median** per-call time. Calls slower than
``slow_call_s`` get ``slow_repeats`` repeats of one call each, so the full grid fits in its time
budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from grukit_bench.config import Method

__all__ = ["Measurement", "calibrate_inner", "measure", "median"]

#: at most this many re-calibrations when a repeat turns out much shorter than planned
_MAX_RECALIBRATIONS = 2


def median(values: Sequence[float]) -> float:
    """Median of ``values`` (mean of the two middle values for an even count).

    Raises
    ------
    ValueError
        ``values`` is empty.
    """
    ordered = sorted(float(v) for v in values)
    if not ordered:
        raise ValueError("`values` must not be empty, got 0 values")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return 0.5 * (ordered[middle - 1] + ordered[middle])


def calibrate_inner(call_s: float, *, min_repeat_s: float, max_inner: int) -> int:
    """Number of calls per repeat so that a repeat lasts at least ``min_repeat_s``.

    Parameters
    ----------
    call_s : float
        Estimated seconds per call (from a warm-up); values <= 0 count as one clock tick (1 ns).
    min_repeat_s : float
        Target duration of one repeat.
    max_inner : int
        Upper bound on the result.

    Returns
    -------
    int
        ``ceil(min_repeat_s / call_s)`` clipped to ``[1, max_inner]``.
    """
    if min_repeat_s < 0:
        raise ValueError(f"`min_repeat_s` must be >= 0, got {min_repeat_s}")
    if max_inner < 1:
        raise ValueError(f"`max_inner` must be a positive integer, got {max_inner}")
    call_s = max(float(call_s), 1e-9)
    # the tiny slack keeps float noise (500.0000001 calls) from adding a call
    return int(min(max_inner, max(1, math.ceil(min_repeat_s / call_s * (1 - 1e-9)))))


@dataclass
class Measurement:
    """Result of :func:`measure`; all times in seconds **per unit** (a call or a step)."""

    median_s: float
    repeats_s: list[float]
    inner: int
    warmup_s: list[float]
    units_per_call: int = 1

    def to_dict(self) -> dict[str, object]:
        return {
            "median_s": self.median_s,
            "repeats_s": list(self.repeats_s),
            "inner": self.inner,
            "warmup_call_s": list(self.warmup_s),
            "units_per_call": self.units_per_call,
        }


def _timed_repeat(fn: Callable[[], object], inner: int, clock: Callable[[], float]) -> float:
    start = clock()
    for _ in range(inner):
        fn()
    return clock() - start


def measure(
    fn: Callable[[], object],
    method: Method,
    *,
    units_per_call: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> Measurement:
    """Time ``fn`` by ``method`` (warm-ups, calibrated inner loop, repeats); per-unit times.

    Parameters
    ----------
    fn : callable
        One call of the workload (for streaming: ``units_per_call`` consecutive steps).
    method : Method
        Warm-ups, repeats, calibration target and the slow-call rule.
    units_per_call : int
        The per-unit times are the per-call times divided by this (1000 for streaming).
    clock : callable
        Monotonic clock in seconds (tests pass a fake one).

    Returns
    -------
    Measurement
        ``median_s`` is the median over repeats of (repeat time / inner calls / units).
    """
    if units_per_call < 1:
        raise ValueError(f"`units_per_call` must be a positive integer, got {units_per_call}")
    warmup_s = []
    for _ in range(max(1, method.warmup)):
        start = clock()
        fn()
        warmup_s.append(clock() - start)
    # The first warm-up may include compilation or lazy set-up; later ones are representative.
    estimate = min(warmup_s[1:]) if len(warmup_s) > 1 else warmup_s[0]
    if estimate >= method.slow_call_s:
        inner, repeats = 1, max(1, min(method.repeats, method.slow_repeats))
    else:
        inner = calibrate_inner(
            estimate, min_repeat_s=method.min_repeat_s, max_inner=method.max_inner
        )
        repeats = max(1, method.repeats)
    times: list[float] = []
    recalibrations = 0
    while len(times) < repeats:
        elapsed = _timed_repeat(fn, inner, clock)
        too_short = elapsed < 0.5 * method.min_repeat_s and inner < method.max_inner
        if not times and too_short and recalibrations < _MAX_RECALIBRATIONS:
            # The warm-up overestimated the call time: calibrate again from this repeat.
            recalibrations += 1
            inner = calibrate_inner(
                elapsed / inner, min_repeat_s=method.min_repeat_s, max_inner=method.max_inner
            )
            continue
        times.append(elapsed / inner / units_per_call)
    return Measurement(
        median_s=median(times),
        repeats_s=times,
        inner=inner,
        warmup_s=warmup_s,
        units_per_call=units_per_call,
    )
