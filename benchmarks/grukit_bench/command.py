"""The command line of the benchmark: ``grukit bench ...`` = ``python -m grukit_bench ...``.

:func:`main` parses ``argv`` (argparse, so that ``grukit bench`` can hand it the raw arguments)
and calls :func:`grukit_bench.harness.run`, or renders an existing JSON with ``--markdown``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from grukit_bench.config import (
    DEFAULT_ENGINES,
    DEFAULT_PEERS,
    ENGINES,
    FULL_GRID,
    LOSSES,
    PEERS,
    QUICK_GRID,
    QUICK_METHOD,
    WORKLOADS,
    Method,
    Threads,
)

__all__ = ["build_parser", "main", "options_from_args"]

KERAS_PYTHON_ENV = "GRUKIT_BENCH_KERAS_PYTHON"


def _names(option: str, allowed: dict[str, str] | tuple[str, ...], allow_none: bool) -> Callable:
    choices = list(allowed)

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
        if allow_none and names == ("none",):
            return ()
        bad = [n for n in names if n not in choices]
        if bad or not names:
            extra = " (or 'none')" if allow_none else ""
            raise argparse.ArgumentTypeError(
                f"`{option}` must be a comma-separated subset of {', '.join(choices)}{extra}, "
                f"got {text!r}"
            )
        return names

    return parse


def _positive_ints(option: str) -> Callable:
    def parse(text: str) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            values = ()
        if not values or min(values) < 1:
            raise argparse.ArgumentTypeError(
                f"`{option}` must be comma-separated positive integers, got {text!r}"
            )
        return values

    return parse


def _positive(option: str, kind: type) -> Callable:
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise argparse.ArgumentTypeError(
                f"`{option}` must be a positive {kind.__name__}, got {text!r}"
            )
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grukit bench",
        description=(
            "Benchmark grukit against torch.nn.GRU/GRUCell, ONNX Runtime and Keras: streaming, "
            "whole-sequence inference and training. Each side runs in its own process; prints "
            "medians, ratios (peer time / grukit time) and the target checks, and writes JSON."
        ),
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="a small subset (smoke test, < 60 s)")
    add(
        "--only",
        type=_names("--only", WORKLOADS, False),
        action="append",
        help="workloads to run: streaming, inference, training (comma-separated or repeated)",
    )
    add(
        "--losses",
        type=_names("--losses", LOSSES, False),
        default=LOSSES,
        help="training losses: last, all (default both)",
    )
    add("--repeats", type=_positive("--repeats", int), help="timed repeats per point (default 7)")
    add(
        "--rounds",
        type=_positive("--rounds", int),
        help="run the sides this many times in turn, the repeats shared out (default 3; "
        "--quick: 1)",
    )
    add("--warmup", type=_positive("--warmup", int), help="warm-up calls per point (default 2)")
    add(
        "--min-time",
        type=_positive("--min-time", float),
        help="seconds one repeat lasts at least (default 0.05)",
    )
    add("--out", type=Path, help="JSON path (default bench-results/bench-<timestamp>.json)")
    add(
        "--peers",
        type=_names("--peers", PEERS, True),
        default=DEFAULT_PEERS,
        help=f"peers besides nn.GRU: {', '.join(PEERS)} or none "
        f"(default {','.join(DEFAULT_PEERS)})",
    )
    add(
        "--engines",
        type=_names("--engines", ENGINES, True),
        default=DEFAULT_ENGINES,
        help=f"grukit sides: {', '.join(ENGINES)} or none (default {','.join(DEFAULT_ENGINES)})",
    )
    add("--batch-sizes", type=_positive_ints("--batch-sizes"), help="override the grid's B values")
    add("--lengths", type=_positive_ints("--lengths"), help="override the grid's T values")
    add("--input-sizes", type=_positive_ints("--input-sizes"), help="override I (all workloads)")
    add("--hidden-sizes", type=_positive_ints("--hidden-sizes"), help="override H (all workloads)")
    add(
        "--streaming-steps",
        type=_positive("--streaming-steps", int),
        help="consecutive steps per timed streaming call (default 1000)",
    )
    add(
        "--threads",
        type=_positive("--threads", int),
        default=2,
        help="torch threads, ORT and TF intra-op threads (default 2)",
    )
    add("--seed", type=int, default=0, help="seed of the weights and inputs (default 0)")
    add(
        "--keras-python",
        default=os.environ.get(KERAS_PYTHON_ENV),
        help="interpreter with keras + tensorflow for the Keras sides "
        f"(default: ${KERAS_PYTHON_ENV} or this one)",
    )
    add(
        "--markdown",
        metavar="JSON",
        help="only render an existing result JSON (or folder) as Markdown",
    )
    return parser


def options_from_args(args: argparse.Namespace, argv: list[str] | None = None):
    """Turn parsed arguments into :class:`~grukit_bench.harness.Options`."""
    from grukit_bench.harness import Options

    grid = QUICK_GRID if args.quick else FULL_GRID
    overrides = {}
    if args.batch_sizes:
        overrides["batch_sizes"] = args.batch_sizes
    if args.lengths:
        overrides["lengths"] = args.lengths
    if args.input_sizes:
        overrides["input_sizes"] = overrides["streaming_input_sizes"] = args.input_sizes
    if args.hidden_sizes:
        overrides["hidden_sizes"] = overrides["streaming_hidden_sizes"] = args.hidden_sizes
    if args.streaming_steps:
        overrides["streaming_steps"] = args.streaming_steps
    grid = replace(grid, **overrides)
    method = QUICK_METHOD if args.quick else Method()
    method_overrides = {}
    if args.repeats:
        method_overrides["repeats"] = args.repeats
        method_overrides["slow_repeats"] = min(method.slow_repeats, args.repeats)
    if args.warmup:
        method_overrides["warmup"] = args.warmup
    if args.min_time:
        method_overrides["min_repeat_s"] = args.min_time
    method = replace(method, **method_overrides)
    workloads = tuple(dict.fromkeys(w for group in (args.only or [WORKLOADS]) for w in group))
    sides = ("nn.GRU", *(PEERS[p] for p in args.peers), *(ENGINES[e] for e in args.engines))
    threads = Threads(torch=args.threads, ort_intra_op=args.threads, tf_intra_op=args.threads)
    return Options(
        sides=tuple(dict.fromkeys(sides)),
        workloads=workloads,
        losses=args.losses,
        grid=grid,
        method=method,
        threads=threads,
        out=args.out,
        seed=args.seed,
        keras_python=args.keras_python,
        quick=args.quick,
        argv=argv,
        rounds=args.rounds or (1 if args.quick else 3),
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``grukit bench`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    0: the run finished (targets may still FAIL; see the table); 1: a correctness check failed
    or the reference did not run, or ``--markdown`` could not read its file; 2: bad arguments.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.markdown:
        from grukit_bench.report import main as report_main

        return report_main([args.markdown])
    from grukit_bench.harness import run

    document = run(options_from_args(args, argv))
    if document["check_failures"]:
        print("correctness check failures:", file=sys.stderr)
        for line in document["check_failures"]:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0
