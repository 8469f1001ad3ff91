"""What a benchmark run measures: workloads, grid points, sides and the timing method.

Standard library only: this module is imported by the harness, by the PyTorch worker and by the
Keras worker (which may run under another interpreter without PyTorch or grukit's dependencies).

A *point* is ``(B, T, I, H)``: batch size, sequence length, input size, hidden size. Streaming
points always have ``B = 1`` and ``T`` = the number of steps per timed unit (1000 by default);
their time is reported per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

WORKLOADS: tuple[str, ...] = ("streaming", "inference", "training")
LOSSES: tuple[str, ...] = ("last", "all")


class Point(NamedTuple):
    """One grid point: batch ``B``, length ``T``, input size ``I``, hidden size ``H``."""

    B: int
    T: int
    I: int  # noqa: E741 - the notation B, T, I, H of the tables and targets
    H: int

    def label(self) -> str:
        return f"B={self.B} T={self.T} I={self.I} H={self.H}"


@dataclass(frozen=True)
class SideInfo:
    """A side of the comparison: a peer or a grukit configuration.

    ``runner`` is ``"python"`` (run by ``python -m grukit_bench.worker`` with this interpreter) or
    ``"keras"`` (run by the Keras worker, possibly under another interpreter).
    """

    name: str
    label: str
    workloads: tuple[str, ...]
    runner: str = "python"
    #: inference/training only at B=1 (a single-thread variant of a peer, say)
    batch_one_only: bool = False


#: Every side, in table order. ``nn.GRU`` is the reference of every correctness check.
SIDES: dict[str, SideInfo] = {
    side.name: side
    for side in (
        SideInfo("nn.GRU", "nn.GRU", ("streaming", "inference", "training")),
        SideInfo("nn.GRUCell", "nn.GRUCell", ("streaming",)),
        SideInfo("ort", "ORT", ("streaming", "inference")),
        SideInfo("ort-1t", "ORT 1t", ("streaming", "inference"), batch_one_only=True),
        SideInfo("keras", "Keras", ("streaming", "inference", "training"), runner="keras"),
        SideInfo("keras-xla", "Keras XLA", ("inference", "training"), runner="keras"),
        SideInfo("grukit-torch", "grukit torch", ("streaming", "inference", "training")),
        SideInfo("grukit-auto", "grukit auto", ("streaming", "inference", "training")),
        SideInfo("grukit-fused", "grukit fused", ("streaming", "inference", "training")),
        SideInfo("grukit-stepper", "grukit stepper", ("streaming",)),
    )
}
REFERENCE_SIDE = "nn.GRU"
#: The grukit side that the ratio columns compare with.
PRIMARY_SIDE = "grukit-fused"
#: ``--peers`` names -> sides (``nn.GRU`` always runs: it is the reference).
PEERS: dict[str, str] = {
    "cell": "nn.GRUCell",
    "ort": "ort",
    "ort-1t": "ort-1t",
    "keras": "keras",
    "keras-xla": "keras-xla",
}
#: ``--engines`` names -> sides.
ENGINES: dict[str, str] = {
    "fused": "grukit-fused",
    "auto": "grukit-auto",
    "torch": "grukit-torch",
    "stepper": "grukit-stepper",
}
DEFAULT_PEERS: tuple[str, ...] = ("cell", "ort", "ort-1t", "keras")
DEFAULT_ENGINES: tuple[str, ...] = ("fused", "auto", "stepper")


@dataclass(frozen=True)
class Grid:
    """The points of the whole-sequence workloads and of streaming (the targets' grid)."""

    batch_sizes: tuple[int, ...] = (1, 32, 128)
    lengths: tuple[int, ...] = (50, 200)
    input_sizes: tuple[int, ...] = (1, 32)
    hidden_sizes: tuple[int, ...] = (32, 64, 128, 256)
    streaming_input_sizes: tuple[int, ...] = (32,)
    streaming_hidden_sizes: tuple[int, ...] = (32, 64, 128, 256)
    streaming_steps: int = 1000

    def points(self, workload: str) -> list[Point]:
        """The points of ``workload`` in run order."""
        if workload == "streaming":
            return [
                Point(1, self.streaming_steps, i, h)
                for i in self.streaming_input_sizes
                for h in self.streaming_hidden_sizes
            ]
        return [
            Point(b, t, i, h)
            for b in self.batch_sizes
            for t in self.lengths
            for i in self.input_sizes
            for h in self.hidden_sizes
        ]


FULL_GRID = Grid()
#: ``--quick``: a few points that still exercise every table column and most targets.
QUICK_GRID = Grid(
    batch_sizes=(1, 32),
    lengths=(50, 200),
    input_sizes=(32,),
    hidden_sizes=(64,),
    streaming_hidden_sizes=(64,),
)


@dataclass(frozen=True)
class Method:
    """The timing method (``benchmarks/README.md``): warm-ups, calibrated inner loop, median."""

    warmup: int = 2
    repeats: int = 7
    #: the inner loop is calibrated so that one repeat lasts at least this long
    min_repeat_s: float = 0.05
    #: calls slower than this get ``slow_repeats`` repeats of one call each
    slow_call_s: float = 0.25
    slow_repeats: int = 3
    max_inner: int = 1_000_000

    def to_dict(self) -> dict[str, float | int]:
        return {
            "warmup": self.warmup,
            "repeats": self.repeats,
            "min_repeat_s": self.min_repeat_s,
            "slow_call_s": self.slow_call_s,
            "slow_repeats": self.slow_repeats,
            "max_inner": self.max_inner,
        }


QUICK_METHOD = Method(warmup=2, repeats=3, min_repeat_s=0.02, slow_call_s=0.1, slow_repeats=2)


@dataclass(frozen=True)
class Threads:
    """Thread settings of every side (recorded in the JSON)."""

    torch: int = 2
    ort_intra_op: int = 2
    ort_inter_op: int = 1
    tf_intra_op: int = 2
    tf_inter_op: int = 2

    def to_dict(self) -> dict[str, int]:
        return {
            "torch": self.torch,
            "ort_intra_op": self.ort_intra_op,
            "ort_inter_op": self.ort_inter_op,
            "ort_intra_op_1t": 1,
            "tf_intra_op": self.tf_intra_op,
            "tf_inter_op": self.tf_inter_op,
        }


@dataclass
class WorkItem:
    """The points of one workload (and loss, for training) that one side measures."""

    workload: str
    points: list[Point]
    loss: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "workload": self.workload,
            "loss": self.loss,
            "points": [list(point) for point in self.points],
        }


@dataclass
class Job:
    """Everything a worker process needs (serialised to JSON, never pickled)."""

    side: str
    items: list[WorkItem]
    method: Method
    threads: Threads
    seed: int
    check_dir: str
    result_path: str
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "side": self.side,
            "items": [item.to_dict() for item in self.items],
            "method": self.method.to_dict(),
            "threads": self.threads.to_dict(),
            "seed": self.seed,
            "check_dir": self.check_dir,
            "result_path": self.result_path,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        method = Method(**data["method"])
        threads_data = {k: v for k, v in data["threads"].items() if k != "ort_intra_op_1t"}
        items = [
            WorkItem(item["workload"], [Point(*p) for p in item["points"]], item["loss"])
            for item in data["items"]
        ]
        return cls(
            side=data["side"],
            items=items,
            method=method,
            threads=Threads(**threads_data),
            seed=int(data["seed"]),
            check_dir=data["check_dir"],
            result_path=data["result_path"],
            extra=dict(data.get("extra", {})),
        )


def check_name(workload: str, loss: str | None, point: Point) -> str:
    """File stem of the correctness-check arrays of one measurement."""
    tag = workload if loss is None else f"{workload}-{loss}"
    return f"{tag}-B{point.B}-T{point.T}-I{point.I}-H{point.H}"
