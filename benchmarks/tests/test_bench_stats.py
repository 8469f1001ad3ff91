"""Timing statistics with a fake clock: median, calibration, warm-ups, slow calls."""

from __future__ import annotations

import pytest

from grukit_bench.config import Method
from grukit_bench.stats import calibrate_inner, measure, median


class FakeClock:
    """A clock that only moves when the fake workload runs."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def workload(clock: FakeClock, durations: list[float]):
    """``fn()`` advances the clock by the next duration (the last one repeats forever)."""
    calls = []

    def fn() -> None:
        index = min(len(calls), len(durations) - 1)
        clock.now += durations[index]
        calls.append(durations[index])

    return fn, calls


def test_median_odd_even_and_unsorted():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([7]) == 7.0


def test_median_rejects_empty():
    with pytest.raises(ValueError, match="`values` must not be empty"):
        median([])


def test_calibrate_inner_reaches_the_target_duration():
    assert calibrate_inner(0.001, min_repeat_s=0.05, max_inner=10**6) == 50
    assert calibrate_inner(0.03, min_repeat_s=0.05, max_inner=10**6) == 2
    assert calibrate_inner(0.2, min_repeat_s=0.05, max_inner=10**6) == 1
    assert calibrate_inner(1e-9, min_repeat_s=0.05, max_inner=1000) == 1000
    assert calibrate_inner(0.0, min_repeat_s=0.05, max_inner=7) == 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_repeat_s": -1.0, "max_inner": 10}, "`min_repeat_s` must be >= 0, got -1.0"),
        ({"min_repeat_s": 0.05, "max_inner": 0}, "`max_inner` must be a positive integer, got 0"),
    ],
)
def test_calibrate_inner_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        calibrate_inner(0.001, **kwargs)


def test_measure_calibrates_and_takes_the_median():
    clock = FakeClock()
    # warm-ups: 5 s (compilation) then 0.001 s; timed calls alternate 0.001 and 0.003 s
    fn, calls = workload(clock, [5.0, 0.001])
    method = Method(warmup=2, repeats=5, min_repeat_s=0.05, slow_call_s=0.25, slow_repeats=3)
    result = measure(fn, method, clock=clock)
    assert result.warmup_s == pytest.approx([5.0, 0.001])
    assert result.inner == 50  # from the second warm-up, not the compiling first one
    assert len(result.repeats_s) == 5
    assert result.median_s == pytest.approx(0.001)
    assert len(calls) == 2 + 5 * 50


def test_measure_median_ignores_an_outlier_repeat():
    clock = FakeClock()
    durations = [0.01, 0.01] + [0.01] * 5 * 3 + [1.0] * 5 + [0.01] * 50
    fn, _ = workload(clock, durations)
    method = Method(warmup=2, repeats=7, min_repeat_s=0.05)
    result = measure(fn, method, clock=clock)
    assert result.inner == 5
    assert len(result.repeats_s) == 7
    assert max(result.repeats_s) == pytest.approx(1.0)  # the slow repeat is recorded ...
    assert result.median_s == pytest.approx(0.01)  # ... but does not move the median


def test_measure_slow_calls_get_few_repeats_of_one_call():
    clock = FakeClock()
    fn, calls = workload(clock, [2.5])
    method = Method(warmup=2, repeats=7, min_repeat_s=0.05, slow_call_s=0.25, slow_repeats=3)
    result = measure(fn, method, clock=clock)
    assert result.inner == 1
    assert len(result.repeats_s) == 3
    assert len(calls) == 5
    assert result.median_s == pytest.approx(2.5)


def test_measure_recalibrates_when_warmups_overestimate():
    clock = FakeClock()
    # both warm-ups are slow (lazy set-up), the real call is 100x faster
    fn, _ = workload(clock, [0.01, 0.01, 0.0001])
    method = Method(warmup=2, repeats=3, min_repeat_s=0.05)
    result = measure(fn, method, clock=clock)
    assert result.inner == 500  # 0.05 s / 0.0001 s, not 5
    assert result.median_s == pytest.approx(0.0001)
    assert all(r == pytest.approx(0.0001) for r in result.repeats_s)


def test_measure_divides_by_units_per_call():
    clock = FakeClock()
    fn, _ = workload(clock, [0.02])  # 1000 streaming steps of 20 us
    method = Method(warmup=2, repeats=3, min_repeat_s=0.05)
    result = measure(fn, method, units_per_call=1000, clock=clock)
    assert result.inner == 3
    assert result.median_s == pytest.approx(2e-5)
    assert result.to_dict()["units_per_call"] == 1000


def test_measure_rejects_bad_units():
    with pytest.raises(ValueError, match="`units_per_call` must be a positive integer, got 0"):
        measure(lambda: None, Method(), units_per_call=0)
