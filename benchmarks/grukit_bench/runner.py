"""The loop every worker process runs: prepare a side, time each point, write results.

NumPy and the standard library only, shared by the PyTorch worker (:mod:`grukit_bench.worker`)
and the Keras worker (:mod:`grukit_bench.keras_worker`). A *side* is an object with

- ``versions() -> dict[str, str]`` and ``settings() -> dict`` (recorded in the JSON);
- ``streaming(data, steps)``, ``inference(data)``, ``training(data, loss)``, each returning a
  :class:`Prepared` (or raising ``NotImplementedError``: the point is reported "unsupported").

A side whose code is missing raises :class:`Unavailable` when it is made; the whole side is then
reported as "unavailable (reason)".
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grukit.io import atomic_write_bytes, atomic_write_text
from grukit_bench.config import Job, check_name
from grukit_bench.data import point_data, streaming_checkpoints
from grukit_bench.stats import measure

__all__ = [
    "Prepared",
    "Unavailable",
    "load_job",
    "run_job",
    "stream",
    "write_json_atomic",
    "write_text_atomic",
]


class Unavailable(Exception):
    """The side cannot run here (a missing package, a missing grukit feature)."""


@dataclass
class Prepared:
    """One measurable workload: ``fn()`` does one timed call of ``units_per_call`` units.

    ``checks`` holds the arrays compared with the ``nn.GRU`` side's (same names):
    ``output8`` (first <= 8 rows of the output), ``h_n``, ``states`` (streaming) and
    ``grad_weight_hh`` (training, gradient at the initial weights).
    """

    fn: Callable[[], object]
    checks: dict[str, np.ndarray] = field(default_factory=dict)
    units_per_call: int = 1


def stream(
    step: Callable[[Any, Any], tuple[Any, Any]],
    inputs: list[Any],
    carry: Any,
    *,
    to_numpy: Callable[[Any], np.ndarray],
    context: Callable[[], Any] | None = None,
) -> Prepared:
    """Streaming workload: ``y, carry = step(x_t, carry)`` over ``inputs``, the carry kept.

    The check records ``y`` at :func:`~grukit_bench.data.streaming_checkpoints` of a first pass
    from ``carry``; the timed calls then continue from where the previous call stopped.
    """
    enter = context or contextlib.nullcontext
    steps = len(inputs)
    wanted = set(streaming_checkpoints(steps))
    states = []
    state = carry
    with enter():
        for index, x_t in enumerate(inputs):
            y, state = step(x_t, state)
            if index in wanted:
                states.append(to_numpy(y).reshape(-1).copy())
    box = [state]

    def call() -> None:
        state = box[0]
        with enter():
            for x_t in inputs:
                _, state = step(x_t, state)
        box[0] = state

    return Prepared(call, {"states": np.stack(states)}, units_per_call=steps)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (``grukit.io``), creating the folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def write_json_atomic(path: str | os.PathLike[str], document: Any) -> None:
    """Write ``document`` as indented JSON to ``path`` atomically.

    Plain ``json.dumps``, not ``grukit.io.write_json``: a benchmark document may hold NaN for a
    side that could not run, which strict JSON refuses.
    """
    write_text_atomic(path, json.dumps(document, indent=1) + "\n")


def _save_checks(directory: Path, stem: str, checks: dict[str, np.ndarray]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in checks.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(directory / f"{stem}.npz", buffer.getvalue())


def _format_unit(seconds: float, workload: str) -> str:
    if workload == "streaming":
        return f"{seconds * 1e6:.3g} us/step"
    return f"{seconds * 1e3:.3g} ms"


def _prepare(side: Any, workload: str, loss: str | None, data: dict, steps: int) -> Prepared:
    if workload == "streaming":
        return side.streaming(data, steps)
    if workload == "inference":
        return side.inference(data)
    if workload == "training":
        return side.training(data, loss)
    raise ValueError(f"`workload` must be streaming, inference or training, got {workload!r}")


def run_job(
    job: Job,
    make_side: Callable[[Job], Any],
    *,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure every point of ``job`` with the side ``make_side(job)``; return the result document.

    The document is rewritten to ``job.result_path`` after every point, so a crash keeps what was
    measured. Errors of one point are recorded and the loop goes on.
    """
    if log is None:

        def log(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

    document: dict[str, Any] = {
        "side": job.side,
        "status": "ok",
        "reason": None,
        "versions": {},
        "settings": {},
        "records": [],
        "wall_s": None,
    }
    started = time.perf_counter()
    try:
        side = make_side(job)
    except Unavailable as error:
        document.update(status="unavailable", reason=str(error))
        log(f"  {job.side}: unavailable ({error})")
        write_json_atomic(job.result_path, document)
        return document
    document["versions"] = side.versions()
    document["settings"] = side.settings()
    check_root = Path(job.check_dir) / job.side
    for item in job.items:
        for point in item.points:
            record: dict[str, Any] = {
                "workload": item.workload,
                "loss": item.loss,
                "B": point.B,
                "T": point.T,
                "I": point.I,
                "H": point.H,
                "side": job.side,
                "status": "ok",
                "error": None,
            }
            what = f"  {job.side} {item.workload}"
            what += f" ({item.loss} loss)" if item.loss else ""
            what += f" {point.label()}"
            try:
                data = point_data(point, seed=job.seed)
                prepared = _prepare(side, item.workload, item.loss, data, point.T)
                _save_checks(
                    check_root, check_name(item.workload, item.loss, point), prepared.checks
                )
                result = measure(prepared.fn, job.method, units_per_call=prepared.units_per_call)
                record.update(result.to_dict())
                log(f"{what}: {_format_unit(result.median_s, item.workload)}")
            except NotImplementedError as error:
                record.update(status="unsupported", error=str(error) or "not implemented")
                log(f"{what}: unsupported ({record['error']})")
            except Exception as error:  # noqa: BLE001 - one failing point must not end the run
                lines = traceback.format_exception_only(type(error), error)
                record.update(status="error", error="".join(lines).strip())
                log(f"{what}: ERROR {record['error']}")
                log(traceback.format_exc())
            finally:
                prepared = data = None  # free memory before the next point
                gc.collect()
            document["records"].append(record)
            document["wall_s"] = time.perf_counter() - started
            write_json_atomic(job.result_path, document)
    document["wall_s"] = time.perf_counter() - started
    write_json_atomic(job.result_path, document)
    return document


def load_job(path: str) -> Job:
    """Read a job file written by the harness."""
    with open(path, encoding="utf-8") as file:
        return Job.from_dict(json.load(file))
