"""grukit's performance targets, evaluated on the medians of one run (ratios within the run).

| id | workload | where | requirement |
|---|---|---|---|
| S-time | streaming | B=1, I=32 | grukit fused <= 1.5/2.5/5/10 us/step at H=32/64/128/256 |
| S-cell | streaming | B=1, I=32, H <= 128 | nn.GRUCell / grukit fused >= 10 |
| S-ort | streaming | B=1, I=32 | ORT (faster of 1 and 2 threads) / grukit fused >= 2 |
| I-ort | inference | B=1, T=200 | ORT (faster of 1 and 2 threads) / grukit fused >= 1 |
| I-gru | inference | B=1, T=200, H <= 128 | nn.GRU / grukit fused >= 5 |
| I-auto | inference | B >= 32 | nn.GRU / grukit auto >= 1/1.1 (never slower, 10 % noise allowed) |
| R-gru | training | B=32, T=50, H <= 128 (both losses) | nn.GRU / grukit fused >= 2 |
| R-cliff | training | T=200, last-step loss | grukit fused (last) / grukit fused (all) <= 1.3 |

A target whose sides did not run (unavailable, failed, outside the grid) is "n/a", never a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from grukit_bench.config import PRIMARY_SIDE, Point

__all__ = ["TARGETS", "Lookup", "Row", "Target", "evaluate_targets", "row_key"]

#: (workload, loss, point)
Row = tuple[str, "str | None", Point]

STREAMING_LIMITS_US: dict[int, float] = {32: 1.5, 64: 2.5, 128: 5.0, 256: 10.0}
AUTO_NOISE = 1.1


def row_key(record: Mapping[str, Any]) -> Row:
    """The table row of a result record."""
    point = Point(int(record["B"]), int(record["T"]), int(record["I"]), int(record["H"]))
    return (record["workload"], record.get("loss"), point)


class Lookup:
    """Median per-unit seconds of (side, row), from the ``ok`` records of a run."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self._median: dict[tuple[str, Row], float] = {}
        for record in records:
            if record.get("status") == "ok" and record.get("median_s") is not None:
                if record.get("check_ok") is False:
                    continue  # a wrong answer has no speed
                self._median[(record["side"], row_key(record))] = float(record["median_s"])

    def time(self, side: str, row: Row) -> float | None:
        return self._median.get((side, row))

    def best(self, sides: Iterable[str], row: Row) -> float | None:
        times = [t for t in (self.time(side, row) for side in sides) if t is not None]
        return min(times) if times else None

    def ratio(self, numerator: float | None, side: str, row: Row) -> float | None:
        denominator = self.time(side, row)
        if numerator is None or denominator is None or denominator <= 0:
            return None
        return numerator / denominator


@dataclass(frozen=True)
class Target:
    """One requirement: ``value(lookup, row)`` compared with ``threshold(row)``."""

    id: str
    workload: str
    description: str
    applies: Callable[[Row], bool]
    value: Callable[[Lookup, Row], float | None]
    threshold: Callable[[Row], float]
    at_most: bool  # True: value <= threshold; False: value >= threshold
    unit: str = "x"


ORT_SIDES = ("ort", "ort-1t")


def _ratio_to_primary(peer_sides: tuple[str, ...], grukit_side: str = PRIMARY_SIDE):
    def value(lookup: Lookup, row: Row) -> float | None:
        return lookup.ratio(lookup.best(peer_sides, row), grukit_side, row)

    return value


def _streaming_us(lookup: Lookup, row: Row) -> float | None:
    seconds = lookup.time(PRIMARY_SIDE, row)
    return None if seconds is None else seconds * 1e6


def _cliff(lookup: Lookup, row: Row) -> float | None:
    workload, _, point = row
    return lookup.ratio(lookup.time(PRIMARY_SIDE, row), PRIMARY_SIDE, (workload, "all", point))


def _constant(value: float) -> Callable[[Row], float]:
    return lambda row: value


TARGETS: tuple[Target, ...] = (
    Target(
        "S-time",
        "streaming",
        "streaming B=1, I=32: grukit <= 1.5/2.5/5/10 us per step at H=32/64/128/256",
        lambda r: r[2].I == 32 and r[2].H in STREAMING_LIMITS_US,
        _streaming_us,
        lambda r: STREAMING_LIMITS_US[r[2].H],
        at_most=True,
        unit="us",
    ),
    Target(
        "S-cell",
        "streaming",
        "streaming B=1, I=32, H<=128: >= 10x faster than nn.GRUCell",
        lambda r: r[2].I == 32 and r[2].H <= 128,
        _ratio_to_primary(("nn.GRUCell",)),
        _constant(10.0),
        at_most=False,
    ),
    Target(
        "S-ort",
        "streaming",
        "streaming B=1, I=32: >= 2x faster than ORT (faster of 1/2 threads)",
        lambda r: r[2].I == 32,
        _ratio_to_primary(ORT_SIDES),
        _constant(2.0),
        at_most=False,
    ),
    Target(
        "I-ort",
        "inference",
        "inference B=1, T=200: at least as fast as ORT (faster of 1/2 threads)",
        lambda r: r[2].B == 1 and r[2].T == 200,
        _ratio_to_primary(ORT_SIDES),
        _constant(1.0),
        at_most=False,
    ),
    Target(
        "I-gru",
        "inference",
        "inference B=1, T=200, H<=128: >= 5x faster than nn.GRU",
        lambda r: r[2].B == 1 and r[2].T == 200 and r[2].H <= 128,
        _ratio_to_primary(("nn.GRU",)),
        _constant(5.0),
        at_most=False,
    ),
    Target(
        "I-auto",
        "inference",
        "inference B>=32: grukit auto never slower than nn.GRU (10% noise allowed)",
        lambda r: r[2].B >= 32,
        _ratio_to_primary(("nn.GRU",), "grukit-auto"),
        _constant(1.0 / AUTO_NOISE),
        at_most=False,
    ),
    Target(
        "R-gru",
        "training",
        "training B=32, T=50, H<=128: >= 2x faster than nn.GRU",
        lambda r: r[2].B == 32 and r[2].T == 50 and r[2].H <= 128,
        _ratio_to_primary(("nn.GRU",)),
        _constant(2.0),
        at_most=False,
    ),
    Target(
        "R-cliff",
        "training",
        "training T=200: grukit last-step loss within 1.3x of all-step loss",
        lambda r: r[1] == "last" and r[2].T == 200,
        _cliff,
        _constant(1.3),
        at_most=True,
    ),
)


def evaluate_targets(
    rows: Iterable[Row], lookup: Lookup, targets: Iterable[Target] = TARGETS
) -> list[dict[str, Any]]:
    """Evaluate every target at every row it applies to.

    Returns
    -------
    list of dict
        ``id``, ``description``, ``workload``, ``loss``, ``B``, ``T``, ``I``, ``H``, ``value``
        (None if a side is missing), ``threshold``, ``comparison`` ("<=" or ">="), ``unit`` and
        ``passed`` (True, False, or None for "n/a").
    """
    targets = tuple(targets)
    evaluated = []
    for row in rows:
        workload, loss, point = row
        for target in targets:
            if target.workload != workload or not target.applies(row):
                continue
            value = target.value(lookup, row)
            threshold = target.threshold(row)
            if value is None:
                passed = None
            else:
                passed = value <= threshold if target.at_most else value >= threshold
            evaluated.append(
                {
                    "id": target.id,
                    "description": target.description,
                    "workload": workload,
                    "loss": loss,
                    **point._asdict(),
                    "value": value,
                    "threshold": threshold,
                    "comparison": "<=" if target.at_most else ">=",
                    "unit": target.unit,
                    "passed": passed,
                }
            )
    return evaluated
