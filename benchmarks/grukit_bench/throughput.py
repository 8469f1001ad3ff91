"""The process machinery of the task-network training-throughput benchmarks
(``benchmarks/classifier_throughput.py``, ``benchmarks/generator_throughput.py``).

Each script names its rows and sides and measures one row in :func:`run_rows`' ``measure``
callback; this module runs every (round, thread count, side) in a fresh worker process (the
script itself with ``--worker JOB``), one after the other so that no two thread pools share the
cores, and merges the rounds' repeats (the median over all of them).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

import grukit
from grukit_bench.config import Method
from grukit_bench.harness import machine_info, round_methods
from grukit_bench.runner import write_json_atomic
from grukit_bench.stats import median

__all__ = [
    "QUICK_METHOD", "QUICK_SETTINGS", "check_options", "collect", "full_method", "load_script",
    "option_changes", "parser", "run_job_file", "run_rows", "save_document", "spawn",
]  # fmt: skip

Measure = Callable[[str, Any, dict[str, Any]], dict[str, Any]]


def run_rows(job: dict[str, Any], rows: Sequence[Any], measure: Measure) -> dict[str, Any]:
    """Measure every row of ``job`` (one side, one thread count) with
    ``measure(side, row, job)``; a failing row is recorded, not raised; threads restored after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(job["threads"])
    records = []
    try:
        for row in (r for r in rows if r.name in job["rows"]):
            try:
                records.append(measure(job["side"], row, job))
            except Exception as error:  # noqa: BLE001 - one failing row must not end the run
                failure = f"{type(error).__name__}: {error}"
                records.append({"side": job["side"], "row": row.name, "threads": job["threads"],
                                "status": "error", "error": failure})  # fmt: skip
            last = records[-1]
            speed = f"{last['median_s'] * 1e3:.1f} ms/step" if "median_s" in last else last["error"]
            print(f"  {job['side']} {row.name} {job['threads']} thr: {speed}", file=sys.stderr)
    finally:
        torch.set_num_threads(previous)
    return {"side": job["side"], "threads": job["threads"], "records": records}


def spawn(script: Path, job: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run ``job`` in a fresh process (``script --worker JOB``); its records, or one error
    record per row when the worker fails."""
    name = f"{job['side'].replace('.', '_')}-{job['threads']}t-r{job['round']}"
    job_path, result_path = workdir / f"job-{name}.json", workdir / f"result-{name}.json"
    write_json_atomic(job_path, {**job, "result_path": str(result_path)})
    env = dict(os.environ)
    # the grukit and grukit_bench that this process runs come first in the worker too
    paths = [str(Path(grukit.__file__).resolve().parents[1])]
    paths.append(str(Path(__file__).resolve().parents[1]))
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in [env.get("PYTHONPATH")] if p])
    command = [sys.executable, str(Path(script).resolve()), "--worker", str(job_path)]
    returncode = subprocess.run(command, env=env, check=False).returncode
    if returncode != 0 or not result_path.exists():
        error = f"worker exited with code {returncode}"
        return {"records": [{"side": job["side"], "row": r, "threads": job["threads"],
                             "status": "error", "error": error} for r in job["rows"]]}  # fmt: skip
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    return result


def collect(
    *,
    script: Path,
    base: dict[str, Any],
    method: Method,
    rounds: int,
    threads: Sequence[int],
    sides: Sequence[str],
    worker: Callable[[dict[str, Any]], dict[str, Any]],
    in_process: bool,
    echo: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Every round, thread count and side (``base``: the job's other fields, ``rows`` among
    them): records keyed by (side, row, threads), every round's repeats merged. ``worker`` runs
    a job here when ``in_process``, else ``script`` runs it in a fresh process."""
    merged: dict[tuple, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="grukit-throughput-") as temp:
        for index, round_method in enumerate(round_methods(method, rounds), 1):
            for count in threads:
                for side in sides:
                    echo(f"[round {index}/{rounds}] {side}, {count} thread(s)")
                    job = {**base, "side": side, "threads": count, "round": index,
                           "method": round_method.to_dict()}  # fmt: skip
                    done = worker(job) if in_process else spawn(script, job, Path(temp))
                    for record in done["records"]:
                        key = (record["side"], record["row"], record["threads"])
                        first = merged.get(key)
                        if first is None or record["status"] != "ok":
                            merged[key] = record
                        elif first["status"] == "ok":
                            first["repeats_s"] += record["repeats_s"]
                            first["median_s"] = median(first["repeats_s"])
    return list(merged.values())


def save_document(
    *,
    schema: str,
    options: Any,
    unit: str,
    rows: list[dict[str, Any]],
    started: float,
    stem: str,
    render: Callable[[dict[str, Any]], str],
    show: Callable[[str], None],
) -> dict[str, Any]:
    """The result document of a run (``options``: its dataclass, ``out`` and ``argv`` among
    the fields), written atomically to ``options.out`` (default
    ``bench-results/<stem>-<timestamp>.json``, ``document["path"]``) and shown as a table."""
    document: dict[str, Any] = {
        "schema": schema,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": options.argv,
        "options": {**asdict(options), "out": None if options.out is None else str(options.out)},
        "unit": unit,
        "machine": machine_info(),
        "versions": {"grukit": grukit.__version__, "torch": torch.__version__},
        "threads_env": {k: v for k, v in sorted(os.environ.items()) if k.endswith("_NUM_THREADS")},
        "rows": rows,
    }
    document["wall_s"] = time.perf_counter() - started
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = options.out or Path("bench-results") / f"{stem}-{stamp}.json"
    write_json_atomic(out, document)
    document["path"] = str(out)
    show(render(document))
    show(f"results written to {out}")
    return document


def parser(description: str, row_names: Sequence[str]) -> argparse.ArgumentParser:
    """The options every throughput script takes (``--worker`` runs one job, internally)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smoke run in this process")
    parser.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    parser.add_argument("--rounds", type=int, help="rounds (default 3; --quick 1)")
    parser.add_argument("--batches", type=int, help="batches per timed call (default 4)")
    parser.add_argument("--rows", help=f"rows to run (default all: {list(row_names)})")
    parser.add_argument("--out", type=Path, help="the JSON file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser


def option_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`Options` fields the common arguments set."""
    changes: dict[str, Any] = {"threads": tuple(int(n) for n in args.threads.split(","))}
    for name in ("rounds", "batches", "out"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.rows:
        changes["rows"] = tuple(args.rows.split(","))
    return changes


def run_job_file(path: str, worker: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """``--worker JOB``: run the job file's job, write its result where the job says."""
    job = json.loads(Path(path).read_text(encoding="utf-8"))
    write_json_atomic(job["result_path"], worker(job))
    return 0


def full_method() -> Method:
    """The timing method of a full run (``grukit bench``'s for slow calls)."""
    return Method(warmup=1, repeats=6, min_repeat_s=0.3, slow_call_s=1.0, slow_repeats=3)


#: ``--quick``: one batch per call, 2 repeats (a smoke run, not numbers to quote)
QUICK_METHOD = Method(warmup=1, repeats=2, min_repeat_s=0.0, slow_call_s=0.1, slow_repeats=2)
#: the :class:`Options` fields ``--quick`` sets: in this process, one round, one batch per call
QUICK_SETTINGS: dict[str, Any] = dict(
    method=QUICK_METHOD, rounds=1, batches=1, in_process=True, quick=True
)


def check_options(options: Any, known_rows: Sequence[str]) -> None:
    """Refuse unknown rows, thread counts below 1, and rounds or batches below 1."""
    if not options.rows or any(r not in known_rows for r in options.rows):
        raise ValueError(
            f"`rows` must be a non-empty subset of {sorted(known_rows)}, got {options.rows}"
        )
    if not options.threads or any(n < 1 for n in options.threads):
        raise ValueError(f"`threads` must be positive integers, got {options.threads}")
    for name in ("rounds", "batches"):
        if getattr(options, name) < 1:
            raise ValueError(f"`{name}` must be a positive integer, got {getattr(options, name)}")


def load_script(path: Path) -> Any:
    """The benchmark script at ``path`` imported as a module of its file name (registered in
    ``sys.modules`` first: its dataclasses look their module up there)."""
    name = Path(path).stem
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import the benchmark script {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
