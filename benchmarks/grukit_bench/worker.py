"""Worker process for the PyTorch-based sides: ``python -m grukit_bench.worker JOB.json``.

The harness starts one worker per side, so that thread pools (PyTorch's OpenMP, ONNX Runtime's,
OpenBLAS under numba) never share the cores with another side's. The worker reads the job (JSON),
measures every point and writes the result document to the job's ``result_path``.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from grukit_bench.config import Job
from grukit_bench.runner import Unavailable, load_job, run_job

__all__ = ["SIDE_FACTORIES", "main", "make_side"]

#: side name -> "module:attribute" of its factory (looked up by name, imported lazily)
SIDE_FACTORIES: dict[str, str] = {
    "nn.GRU": "grukit_bench.peers:TorchGRUSide",
    "nn.GRUCell": "grukit_bench.peers:TorchCellSide",
    "ort": "grukit_bench.peers:OrtSide",
    "ort-1t": "grukit_bench.peers:OrtSide",
    "grukit-fused": "grukit_bench.grukit_sides:GrukitSide",
    "grukit-auto": "grukit_bench.grukit_sides:GrukitSide",
    "grukit-torch": "grukit_bench.grukit_sides:GrukitSide",
    "grukit-stepper": "grukit_bench.grukit_sides:StepperSide",
}


def make_side(job: Job) -> Any:
    """Instantiate the side named by ``job.side`` (raises :class:`Unavailable` if it cannot run)."""
    import importlib

    target = SIDE_FACTORIES.get(job.side)
    if target is None:
        raise Unavailable(f"unknown side {job.side!r} for this worker")
    module_name, _, attribute = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise Unavailable(f"{target} cannot be loaded ({error})") from error
    if job.side.startswith("ort"):
        threads = 1 if job.side == "ort-1t" else job.threads.ort_intra_op
        return factory(job, intra_op_threads=threads)
    if job.side.startswith("grukit-") and job.side != "grukit-stepper":
        return factory(job, engine=job.side.removeprefix("grukit-"))
    return factory(job)


def main(argv: list[str] | None = None) -> int:
    """Run the job file named by ``argv[0]``; exit code 0 unless the job file is unusable."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m grukit_bench.worker JOB.json", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")  # library deprecation chatter would drown the progress lines
    run_job(load_job(argv[0]), make_side)
    return 0


if __name__ == "__main__":
    sys.exit(main())
