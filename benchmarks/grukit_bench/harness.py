"""Run a benchmark: one worker process per side, correctness checks, targets, JSON and tables.

Entry points: :func:`run` (an :class:`Options` in, the result document out) and
:func:`grukit_bench.command.main` (the command line). Each side runs in its own process
(``python -m grukit_bench.worker`` or, for Keras, ``python -m grukit_bench.keras_worker``), one
after the other, so that no two thread pools share the cores. Every side writes the arrays of
its correctness check; this process compares them with ``nn.GRU``'s (same weights, same inputs).
"""

from __future__ import annotations

import collections
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

import grukit
import grukit_bench
from grukit_bench.config import (
    FULL_GRID,
    LOSSES,
    REFERENCE_SIDE,
    SIDES,
    WORKLOADS,
    Grid,
    Job,
    Method,
    Threads,
    WorkItem,
    check_name,
)
from grukit_bench.report import render_markdown
from grukit_bench.runner import write_json_atomic
from grukit_bench.targets import Lookup, evaluate_targets, row_key

__all__ = ["OUTPUT_TOLERANCE", "GRAD_TOLERANCE", "Options", "build_jobs", "compare_checks", "run"]

SCHEMA = "grukit-bench/1"
#: max |output - nn.GRU output| (float32; covers summation order and fast gate approximations)
OUTPUT_TOLERANCE = 1e-4
#: max |grad - nn.GRU grad| / max |nn.GRU grad| for ``weight_hh`` at the initial weights
GRAD_TOLERANCE = 1e-3
_OUTPUT_KEYS = ("output8", "h_n", "states")
#: start-up chatter of TensorFlow that its log level does not silence (kept in the error tail)
_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog|I0000 )")


@dataclass
class Options:
    """What to run. ``sides`` in run order; ``nn.GRU`` (the reference) is added if missing."""

    sides: tuple[str, ...]
    workloads: tuple[str, ...] = WORKLOADS
    losses: tuple[str, ...] = LOSSES
    grid: Grid = FULL_GRID
    method: Method = field(default_factory=Method)
    threads: Threads = field(default_factory=Threads)
    out: Path | None = None
    seed: int = 0
    keras_python: str | None = None
    quick: bool = False
    argv: list[str] | None = None
    #: the sides run this many times in turn, each time with a share of the repeats
    rounds: int = 3

    def __post_init__(self) -> None:
        unknown = [s for s in self.sides if s not in SIDES]
        if unknown:
            raise ValueError(f"`sides` must be among {', '.join(SIDES)}, got {unknown}")
        bad = [w for w in self.workloads if w not in WORKLOADS]
        if bad or not self.workloads:
            raise ValueError(f"`workloads` must be a non-empty subset of {WORKLOADS}, got {bad}")
        if REFERENCE_SIDE not in self.sides:
            self.sides = (REFERENCE_SIDE, *self.sides)
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds < 1:
            raise ValueError(f"`rounds` must be a positive integer, got {self.rounds!r}")


def round_methods(method: Method, rounds: int) -> list[Method]:
    """``method`` split into ``rounds`` shares of its repeats (each at least one).

    The machines are shared and noisy: one slow minute should not hit all of one side's points
    and none of another's. Running the sides in turn, ``rounds`` times, spreads every point's
    repeats over the whole run; its median is then taken over all of them.
    """

    def share(total: int, index: int) -> int:
        return max(1, total // rounds + (1 if index < total % rounds else 0))

    return [
        replace(
            method, repeats=share(method.repeats, i), slow_repeats=share(method.slow_repeats, i)
        )
        for i in range(rounds)
    ]


def merge_rounds(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (side, point): repeats of every round together, median over all; a
    point that failed in any round keeps the failure."""
    merged: dict[tuple, dict[str, Any]] = {}
    for record in records:
        key = (record.get("side"), *row_key(record))
        first = merged.get(key)
        if first is None or record.get("status") != "ok":
            merged[key] = {**record, "repeats_s": list(record.get("repeats_s") or [])}
        elif first.get("status") == "ok":
            first["repeats_s"] += list(record.get("repeats_s") or [])
            first["median_s"] = float(np.median(first["repeats_s"]))
            first["check_ok"] = bool(first.get("check_ok", True) and record.get("check_ok", True))
    return list(merged.values())


def build_jobs(options: Options, workdir: Path) -> list[Job]:
    """One job per side that has something to measure, the reference first."""
    jobs = []
    order = [REFERENCE_SIDE, *(s for s in options.sides if s != REFERENCE_SIDE)]
    for side in order:
        info = SIDES[side]
        items: list[WorkItem] = []
        for workload in options.workloads:
            if workload not in info.workloads:
                continue
            points = options.grid.points(workload)
            if info.batch_one_only and workload != "streaming":
                points = [p for p in points if p.B == 1]
            if not points:
                continue
            if workload == "training":  # both losses of a point back to back: their ratio
                # (the denormal-cliff check) then compares two measurements a second apart
                items += [
                    WorkItem(workload, [point], loss) for point in points for loss in options.losses
                ]
            else:
                items.append(WorkItem(workload, points))
        if items:
            safe = side.replace(".", "_")
            jobs.append(
                Job(
                    side=side,
                    items=items,
                    method=options.method,
                    threads=options.threads,
                    seed=options.seed,
                    check_dir=str(workdir / "checks"),
                    result_path=str(workdir / f"result-{safe}.json"),
                )
            )
    return jobs


def _package_root(workdir: Path) -> Path:
    """A folder holding only links to the grukit and the harness that this process runs.

    On a worker's ``PYTHONPATH`` it makes the worker import the same two packages as this
    process, however they were found here (installed, ``PYTHONPATH`` or ``sys.path``).
    """
    root = workdir / "pkgroot"
    if not root.exists():
        root.mkdir()
        for package in (grukit, grukit_bench):
            target = Path(package.__file__ or "").resolve().parent
            (root / package.__name__).symlink_to(target, target_is_directory=True)
    return root


def _command(job: Job, options: Options, workdir: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    job_path = str(Path(job.result_path).with_name(f"job-{Path(job.result_path).stem}.json"))
    write_json_atomic(job_path, job.to_dict())
    root = str(_package_root(workdir))
    # appended: whatever this process's PYTHONPATH makes visible still comes first
    env["PYTHONPATH"] = os.pathsep.join(path for path in (env.get("PYTHONPATH"), root) if path)
    if SIDES[job.side].runner != "keras":
        return [sys.executable, "-m", "grukit_bench.worker", job_path], env
    python = options.keras_python or sys.executable
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    env.setdefault("KERAS_BACKEND", "tensorflow")
    if os.path.abspath(python) != os.path.abspath(sys.executable):
        # Another environment (a venv may link to the same binary): make only grukit and the
        # harness visible.
        env["PYTHONPATH"] = root
    return [python, "-m", "grukit_bench.keras_worker", job_path], env


def _run_worker(
    job: Job, options: Options, workdir: Path, echo: Callable[[str], None]
) -> dict[str, Any]:
    command, env = _command(job, options, workdir)
    tail: collections.deque[str] = collections.deque(maxlen=15)
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
    except OSError as error:
        return {"status": "failed", "reason": f"cannot start {command[0]}: {error}", "records": []}
    with process:  # closes the pipe; on an interrupt the worker is killed, not left running
        try:
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip("\n")
                tail.append(line)
                if not _NOISE.match(line):
                    echo(line)
            returncode = process.wait()
        except BaseException:
            process.kill()
            raise
    result_path = Path(job.result_path)
    document: dict[str, Any] = {"status": "failed", "reason": None, "records": []}
    if result_path.exists():
        import json

        document = json.loads(result_path.read_text(encoding="utf-8"))
    if returncode != 0:
        last = " / ".join(line for line in tail if line.strip())[-600:]
        document["status"] = "failed"
        document["reason"] = f"worker exited with code {returncode}: {last}"
    document["returncode"] = returncode
    document.setdefault("wall_s", time.perf_counter() - started)
    return document


def _load_checks(path: Path) -> dict[str, np.ndarray] | None:
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def compare_checks(records: list[dict[str, Any]], check_dir: Path) -> list[str]:
    """Add ``max_abs_err``, ``grad_rel_err`` and ``check_ok`` to each ``ok`` record.

    Returns one line per record that fails the check (tolerances :data:`OUTPUT_TOLERANCE`,
    :data:`GRAD_TOLERANCE`).
    """
    failures = []
    for record in records:
        record.setdefault("max_abs_err", None)
        record.setdefault("grad_rel_err", None)
        record.setdefault("check_ok", None)
        if record.get("status") != "ok":
            continue
        workload, loss, point = row_key(record)
        stem = f"{check_name(workload, loss, point)}.npz"
        mine = _load_checks(check_dir / record["side"] / stem)
        reference = _load_checks(check_dir / REFERENCE_SIDE / stem)
        if mine is None or reference is None:
            continue
        problems = []
        errors = []
        for key in _OUTPUT_KEYS:
            if key in mine and key in reference:
                if mine[key].shape != reference[key].shape:
                    problems.append(f"{key} shape {mine[key].shape} != {reference[key].shape}")
                else:
                    errors.append(float(np.max(np.abs(mine[key] - reference[key]), initial=0.0)))
        if errors:
            record["max_abs_err"] = max(errors)
            if not record["max_abs_err"] <= OUTPUT_TOLERANCE:  # also catches NaN
                problems.append(f"max abs error {record['max_abs_err']:.2e} > {OUTPUT_TOLERANCE}")
        if "grad_weight_hh" in mine and "grad_weight_hh" in reference:
            grad, grad_ref = mine["grad_weight_hh"], reference["grad_weight_hh"]
            if grad.shape != grad_ref.shape:
                problems.append(f"grad shape {grad.shape} != {grad_ref.shape}")
            else:
                scale = max(float(np.max(np.abs(grad_ref), initial=0.0)), 1e-30)
                record["grad_rel_err"] = float(np.max(np.abs(grad - grad_ref), initial=0.0)) / scale
                if not record["grad_rel_err"] <= GRAD_TOLERANCE:
                    problems.append(
                        f"grad rel error {record['grad_rel_err']:.2e} > {GRAD_TOLERANCE}"
                    )
        record["check_ok"] = not problems
        if problems:
            where = f"{workload}{' ' + loss if loss else ''} {point.label()}"
            failures.append(f"{record['side']} {where}: {'; '.join(problems)}")
    return failures


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    """CPU model and flags of interest, usable CPUs, memory, OS and Python."""
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "?",
    )
    flags_line = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    flags = set(flags_line.split(":", 1)[-1].split())
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16")
    memory = next((line for line in _read("/proc/meminfo").splitlines() if "MemTotal" in line), "")
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    return {
        "cpu_model": model,
        "cpu_flags": [f for f in wanted if f in flags],
        "logical_cpus": usable,
        "cpu_count": os.cpu_count(),
        "memory_gib": round(int(memory.split()[1]) / 2**20, 1) if memory else None,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }


def default_out() -> Path:
    return Path("bench-results") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"


def _echo_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _run_rounds(
    options: Options, workdir: Path, echo: Callable[[str], None]
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Every side's worker, round after round: ``(side -> its run info, records merged)``."""
    sides: dict[str, dict[str, Any]] = {}
    records: list[dict[str, Any]] = []
    jobs = build_jobs(options, workdir)
    methods = round_methods(options.method, options.rounds)
    for round_index, method in enumerate(methods, start=1):
        for index, base in enumerate(jobs, start=1):
            job = replace(base, method=method)
            summary = ", ".join(
                f"{item.workload}{'/' + item.loss if item.loss else ''} {len(item.points)} pts"
                for item in job.items
            )
            echo(f"[round {round_index}/{len(methods)}, {index}/{len(jobs)}] {job.side}: {summary}")
            document = _run_worker(job, options, workdir, echo)
            records += document.get("records", [])
            info = {
                key: document.get(key)
                for key in ("status", "reason", "versions", "settings", "wall_s", "returncode")
            }
            previous = sides.get(job.side)
            if previous is not None and previous.get("status") == "ok":
                info["wall_s"] = (previous.get("wall_s") or 0) + (info.get("wall_s") or 0)
            if previous is None or previous.get("status") == "ok":
                sides[job.side] = info
    return sides, merge_rounds(records)


def _result_document(
    options: Options,
    sides: dict[str, dict[str, Any]],
    records: list[dict[str, Any]],
    failures: list[str],
) -> dict[str, Any]:
    """The result document of a run, less its ``wall_s`` (schema ``grukit-bench/1``)."""
    versions: dict[str, str] = {"grukit": grukit.__version__}
    for info in sides.values():
        for package, version in (info.get("versions") or {}).items():
            versions.setdefault(package, version)
    rows = list(dict.fromkeys(row_key(r) for r in records))
    return {
        "schema": SCHEMA,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": options.argv,
        "options": {
            "quick": options.quick,
            "sides": list(options.sides),
            "workloads": list(options.workloads),
            "losses": list(options.losses),
            "grid": asdict(options.grid),
            "seed": options.seed,
            "keras_python": options.keras_python or sys.executable,
        },
        "machine": machine_info(),
        "versions": versions,
        "threads": {
            **options.threads.to_dict(),
            "env": {k: os.environ[k] for k in sorted(os.environ) if k.endswith("_NUM_THREADS")},
        },
        "method": {
            **options.method.to_dict(),
            "rounds": options.rounds,
            "streaming_steps": options.grid.streaming_steps,
        },
        "tolerances": {"output_max_abs": OUTPUT_TOLERANCE, "grad_max_rel": GRAD_TOLERANCE},
        "sides": sides,
        "results": records,
        "targets": evaluate_targets(rows, Lookup(records)),
        "check_failures": failures,
    }


def run(
    options: Options,
    *,
    echo: Callable[[str], None] = _echo_stderr,
    show: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every side, check, evaluate the targets, write the JSON and show the tables.

    Parameters
    ----------
    options : Options
        Sides, workloads, grid, timing method, threads, output path.
    echo : callable
        Receives progress lines (default: standard error).
    show : callable
        Receives the final Markdown tables and the JSON path (default: ``print``).

    Returns
    -------
    dict
        The result document (schema ``grukit-bench/1``, see ``benchmarks/README.md``), also
        written to ``options.out`` (default ``bench-results/bench-<timestamp>.json``) as
        ``document["path"]``.
    """
    started = time.perf_counter()
    out = Path(options.out) if options.out is not None else default_out()
    with tempfile.TemporaryDirectory(prefix="grukit-bench-") as temp:
        workdir = Path(temp)
        sides, records = _run_rounds(options, workdir, echo)
        failures = compare_checks(records, workdir / "checks")
    reference = sides.get(REFERENCE_SIDE, {})
    if reference.get("status") != "ok":
        failures.insert(0, f"reference {REFERENCE_SIDE} did not run: {reference.get('reason')}")
    document = _result_document(options, sides, records, failures)
    document["wall_s"] = time.perf_counter() - started
    write_json_atomic(out, document)
    document["path"] = str(out)
    show(render_markdown(document))
    show(f"results written to {out}")
    return document
