"""Tables of a benchmark run: absolute medians, ratios (peer / grukit) and the target checks.

The same Markdown renders to the console at the end of a run and into ``docs/performance.md``::

    python -m grukit_bench.report bench-results/bench-20261121-120000.json > section.md
    python -m grukit_bench.report            # the newest bench-*.json in ./bench-results
    grukit bench --markdown results.json     # the same through the command line

Ratios are ``peer time / grukit time`` within one run (> 1: grukit is faster), against the
``grukit fused`` side unless the column says ``auto``. "ORT" ratios use the faster of ORT with 2
and 1 intra-op threads.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from grukit_bench.config import PRIMARY_SIDE, REFERENCE_SIDE, SIDES, WORKLOADS
from grukit_bench.targets import ORT_SIDES, Lookup, Row, evaluate_targets, row_key

__all__ = [
    "format_ratio",
    "format_time",
    "latest_result",
    "load_results",
    "main",
    "markdown_table",
    "render_markdown",
    "workload_table",
]

#: workload -> (title, key columns, unit label, seconds -> unit factor, ratio columns)
#: ratio columns: (label, peer sides (the fastest counts), grukit side)
LAYOUT: dict[str, tuple[str, tuple[str, ...], str, float, tuple]] = {
    "streaming": (
        "Streaming, B=1, one step per Python call (us per step)",
        ("I", "H"),
        "us",
        1e6,
        (("vs GRUCell", ("nn.GRUCell",), PRIMARY_SIDE), ("vs ORT", ORT_SIDES, PRIMARY_SIDE)),
    ),
    "inference": (
        "Whole-sequence inference, full output (ms per call)",
        ("B", "T", "I", "H"),
        "ms",
        1e3,
        (
            ("vs nn.GRU", ("nn.GRU",), PRIMARY_SIDE),
            ("vs ORT", ORT_SIDES, PRIMARY_SIDE),
            ("auto vs nn.GRU", ("nn.GRU",), "grukit-auto"),
        ),
    ),
    "training": (
        "Training step: forward + Linear head + MSE + backward + Adam (ms per step)",
        ("loss", "B", "T", "I", "H"),
        "ms",
        1e3,
        (
            ("vs nn.GRU", ("nn.GRU",), PRIMARY_SIDE),
            ("auto vs nn.GRU", ("nn.GRU",), "grukit-auto"),
        ),
    ),
}


def format_time(value: float | None) -> str:
    """A time in display units with about three significant digits; ``-`` if missing."""
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_ratio(value: float | None) -> str:
    """``3.41x``; ``-`` if missing."""
    if value is None:
        return "-"
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


_NUMBER = re.compile(r"^-$|^[-+]?\d[\d.]*(e[-+]?\d+)?x?( \(!\))?$")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A pipe table with padded columns (readable as plain text too).

    Columns whose cells are all numbers, ratios (``2.5x``) or ``-`` are right-aligned, the others
    left-aligned.
    """
    rows = [list(map(str, row)) for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    numeric = [bool(rows) and all(_NUMBER.match(r[i]) for r in rows) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if r else (":" + "-" * (w + 1))
            for w, r in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _cell(record: Mapping[str, Any] | None, factor: float) -> str:
    if record is None:
        return "-"
    status = record.get("status")
    if status == "unsupported":
        return "unsupp."
    if status != "ok":
        return "ERROR"
    text = format_time(float(record["median_s"]) * factor)
    return text + " (!)" if record.get("check_ok") is False else text


def _target_cell(evaluated: list[dict[str, Any]]) -> str:
    if not evaluated:
        return ""
    groups = {"FAIL": [], "n/a": [], "PASS": []}
    for item in evaluated:
        key = {True: "PASS", False: "FAIL", None: "n/a"}[item["passed"]]
        groups[key].append(item["id"])
    if not groups["FAIL"] and not groups["n/a"]:
        return "PASS"
    return "; ".join(f"{k} {','.join(v)}" for k, v in groups.items() if v)


def _rows_of(records: Sequence[Mapping[str, Any]], workload: str) -> list[Row]:
    seen: dict[Row, None] = {}
    for record in records:
        if record["workload"] == workload:
            seen.setdefault(row_key(record), None)
    return list(seen)


def workload_table(document: Mapping[str, Any], workload: str) -> str:
    """The Markdown table of one workload ('' when the run has none)."""
    _, keys, _, factor, ratio_columns = LAYOUT[workload]
    records = [r for r in document.get("results", []) if r["workload"] == workload]
    rows = _rows_of(records, workload)
    if not rows:
        return ""
    present = {r["side"] for r in records}
    sides = [name for name in SIDES if name in present]
    ratio_columns = tuple(
        column
        for column in ratio_columns
        if column[2] in present and any(peer in present for peer in column[1])
    )
    by_key = {(r["side"], row_key(r)): r for r in records}
    lookup = Lookup(records)
    targets = document.get("targets")
    if targets is None:
        targets = evaluate_targets(rows, Lookup(document.get("results", [])))
    header = [*keys, *(SIDES[s].label for s in sides), *(c[0] for c in ratio_columns)]
    cliff_column = workload == "training" and PRIMARY_SIDE in present
    if cliff_column:
        header.append("last/all")
    header += ["max err", "targets"]
    table_rows = []
    for row in rows:
        _, loss, point = row
        values = {"loss": loss or "", **point._asdict()}
        cells = [str(values[k]) for k in keys]
        cells += [_cell(by_key.get((side, row)), factor) for side in sides]
        for _, peers, grukit_side in ratio_columns:
            cells.append(format_ratio(lookup.ratio(lookup.best(peers, row), grukit_side, row)))
        if cliff_column:
            cliff = None
            if loss == "last":
                all_row = (workload, "all", point)
                cliff = lookup.ratio(lookup.time(PRIMARY_SIDE, row), PRIMARY_SIDE, all_row)
            cells.append(format_ratio(cliff))
        errors = [
            by_key[(side, row)].get("max_abs_err")
            for side in sides
            if (side, row) in by_key and side != REFERENCE_SIDE
        ]
        errors = [e for e in errors if e is not None]
        cells.append(f"{max(errors):.1e}" if errors else "-")
        here = [t for t in targets if t["workload"] == workload and row_key(t) == row]
        cells.append(_target_cell(here))
        table_rows.append(cells)
    return markdown_table(header, table_rows)


def _target_summary(targets: Sequence[Mapping[str, Any]]) -> str:
    by_id: dict[str, list[Mapping[str, Any]]] = {}
    for item in targets:
        by_id.setdefault(item["id"], []).append(item)
    rows = []
    for target_id, items in by_id.items():
        passed = sum(1 for i in items if i["passed"] is True)
        failed = [i for i in items if i["passed"] is False]
        missing = sum(1 for i in items if i["passed"] is None)
        worst = ""
        if failed:
            pick = max if failed[0]["comparison"] == "<=" else min
            w = pick(failed, key=lambda i: i["value"])
            unit = "us" if w["unit"] == "us" else "x"
            where = (
                f"{w['loss'] + ' ' if w['loss'] else ''}B={w['B']} T={w['T']} I={w['I']} H={w['H']}"
            )
            worst = (
                f"{w['value']:.3g}{unit} vs {w['comparison']} {w['threshold']:.3g}{unit} at {where}"
            )
        verdict = "FAIL" if failed else ("n/a" if passed == 0 else "PASS")
        rows.append(
            [
                target_id,
                items[0]["description"],
                verdict,
                str(passed),
                str(len(failed)),
                str(missing),
                worst,
            ]
        )
    return markdown_table(
        ["id", "requirement", "verdict", "pass", "fail", "n/a", "worst failure"], rows
    )


def _sides_table(document: Mapping[str, Any]) -> str:
    rows = []
    for name, info in document.get("sides", {}).items():
        status = info.get("status", "?")
        text = status if not info.get("reason") else f"{status} ({info['reason']})"
        settings = ", ".join(f"{k}={v}" for k, v in (info.get("settings") or {}).items())
        settings = settings if len(settings) <= 70 else settings[:67] + "..."
        wall = info.get("wall_s")
        rows.append([name, text, settings, "-" if wall is None else f"{wall:.0f}"])
    return markdown_table(["side", "status", "settings", "wall s"], rows)


def render_markdown(document: Mapping[str, Any]) -> str:
    """The whole run as Markdown: context, one table per workload, targets, sides."""
    machine = document.get("machine", {})
    versions = document.get("versions", {})
    method = document.get("method", {})
    lines = [
        f"## grukit benchmark ({document.get('created', '?')})",
        "",
        f"- Machine: {machine.get('cpu_model', '?')}, {machine.get('logical_cpus', '?')} logical "
        f"CPUs usable, {machine.get('memory_gib', '?')} GiB; {machine.get('platform', '?')}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
        "- Threads: " + ", ".join(f"{k}={v}" for k, v in document.get("threads", {}).items()),
        f"- Method: {method.get('warmup')} warm-ups, inner loop calibrated to >= "
        f"{method.get('min_repeat_s')} s per repeat, {method.get('repeats')} repeats "
        f"({method.get('slow_repeats')} for calls over {method.get('slow_call_s')} s) shared "
        f"over {method.get('rounds', 1)} round(s) of all sides, median; each side in its own "
        "process; ratios = peer time / grukit time (> 1: grukit faster).",
        "",
    ]
    for workload in WORKLOADS:
        table = workload_table(document, workload)
        if table:
            lines += [f"### {LAYOUT[workload][0]}", "", table, ""]
    targets = document.get("targets") or []
    if targets:
        lines += ["### Targets", "", _target_summary(targets), ""]
    failures = document.get("check_failures") or []
    if failures:
        lines += ["### Correctness check failures", ""]
        lines += [f"- {item}" for item in failures]
        lines.append("")
    if document.get("sides"):
        lines += ["### Sides", "", _sides_table(document), ""]
    return "\n".join(lines)


def latest_result(path: str | Path = "bench-results") -> Path:
    """``path`` itself if it is a file, else the newest ``bench-*.json`` inside it."""
    path = Path(path)
    if path.is_file():
        return path
    candidates = sorted(path.glob("bench-*.json")) if path.is_dir() else []
    if not candidates:
        raise FileNotFoundError(f"no bench-*.json results in {str(path)!r}")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def load_results(path: str | Path) -> dict[str, Any]:
    """Read a results JSON (a file, or the newest in a folder)."""
    with open(latest_result(path), encoding="utf-8") as file:
        document = json.load(file)
    if not isinstance(document, dict) or "results" not in document:
        raise ValueError(f"{str(path)!r} is not a grukit benchmark result (no 'results')")
    return document


def main(argv: list[str] | None = None) -> int:
    """``python -m grukit_bench.report [PATH] [--out FILE]``: print or write the Markdown."""
    parser = argparse.ArgumentParser(
        prog="python -m grukit_bench.report", description="Render a benchmark JSON as Markdown."
    )
    parser.add_argument("path", nargs="?", default="bench-results", help="JSON file or folder")
    parser.add_argument("--out", help="write the Markdown here instead of printing it")
    args = parser.parse_args(argv)
    try:
        text = render_markdown(load_results(args.path))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.out:
        from grukit_bench.runner import write_text_atomic

        write_text_atomic(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
