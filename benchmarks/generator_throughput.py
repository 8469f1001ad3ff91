"""Training throughput of grukit's sequence-generator network against the same model on nn.GRU.

Run: ``python benchmarks/generator_throughput.py [--quick] [--threads 1,2] [--rounds 3]
[--rows ptb-small,jsb] [--out PATH]`` (``--help``). A Markdown table goes to standard output,
the JSON (schema ``grukit-generator-throughput/1``) to ``--out`` (default
``bench-results/generator-throughput-<YYYYmmdd-HHMMSS>.json``). docs/performance.md
("Generator training throughput") describes the rows and columns.

One timed unit is one training step as ``grukit.train`` takes it for
:class:`grukit.SequenceGenerator`: zero_grad, forward (the stateful carry included), the
generator's loss (cross-entropy per token, or the per-frame Bernoulli NLL for music), backward,
``clip_grad_norm_(1.0)``, ``Adam.step()``, subnormals flushed; tokens/s (frames/s for music) =
B * T / median seconds per step. Sides: ``grukit`` (``GeneratorNetwork`` as the generator
builds it, engine auto, the engine it picked recorded) and ``nn.GRU`` (the same network with its
GRU replaced by ``grukit.interop.pytorch.to_torch(network.gru)``, a ``torch.nn.GRU`` with the same
weights: every other layer is shared code; its eval logits are compared).

Method: :mod:`grukit_bench.throughput` (each side and thread count in its own worker process,
``--rounds`` rounds sharing the repeats, the median over all of them, one untimed step first).
``--quick`` runs in this process: one round, one batch per call, 2 repeats (a smoke run).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from grukit.interop.pytorch import to_torch
from grukit.runtime import flush_denormals
from grukit.tasks.generator_networks import GeneratorNetwork, frames_loss, tokens_loss
from grukit_bench.config import Method
from grukit_bench.stats import measure
from grukit_bench.throughput import (
    QUICK_SETTINGS,
    check_options,
    collect,
    full_method,
    option_changes,
    run_job_file,
    run_rows,
    save_document,
)
from grukit_bench.throughput import parser as throughput_parser

__all__ = ["ROWS", "SIDES", "Options", "Row", "build_model", "main", "render_table", "run"]

UNIT = "steps/s = B * T / median seconds per training step; ratio > 1: grukit faster"
SCHEMA = "grukit-generator-throughput/1"
SIDES = ("grukit", "nn.GRU")
#: max |logits - nn.GRU logits| at the shared initial weights (eval mode, float32)
LOGITS_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Row:
    """One model and batch shape (a table row, measured at each thread count)."""

    name: str
    kind: str  # "tokens" | "frames"
    size: int  # vocabulary, or 88 keys
    hidden: int
    layers: int
    batch: int
    steps: int
    dropout: float = 0.0
    tied: bool = False
    mixed_precision: bool = False
    input_dropout: float | None = None


ROWS: tuple[Row, ...] = (
    # Penn Treebank word level, Zaremba et al.'s "small" size (docs/benchmarks.md's run)
    Row("ptb-small", "tokens", 10000, 200, 2, 20, 35, dropout=0.2, tied=True),
    Row(
        "ptb-small-bf16",
        "tokens",
        10000,
        200,
        2,
        20,
        35,
        dropout=0.2,
        tied=True,
        mixed_precision=True,
    ),
    # characters, the generator's defaults (2 x 256, bptt 64, 64 streams)
    Row("char", "tokens", 96, 256, 2, 64, 64, dropout=0.2, tied=True),
    # JSB Chorales: the earlier 1 x 256, and docs/benchmarks.md's 1 x 512 (input dropout 0.2)
    Row("jsb", "frames", 88, 256, 1, 4, 128, dropout=0.5),
    Row("jsb-512", "frames", 88, 512, 1, 4, 128, dropout=0.5, input_dropout=0.2),
)


@dataclass
class Options:
    """What to run; see the module docstring."""

    rows: tuple[str, ...] = tuple(r.name for r in ROWS)
    threads: tuple[int, ...] = (1, 2)
    method: Method = field(default_factory=full_method)
    rounds: int = 3
    batches: int = 4
    seed: int = 0
    quick: bool = False
    in_process: bool = False
    scale: float = 1.0  # sizes times this (tests run tiny models)
    out: Path | None = None
    argv: list[str] | None = None

    def __post_init__(self) -> None:
        check_options(self, [r.name for r in ROWS])
        if not 0 < self.scale <= 1:
            raise ValueError(f"`scale` must be in (0, 1], got {self.scale}")


def quick_options(**changes: Any) -> Options:
    """``--quick``: in this process, one round, one batch per call, 2 repeats."""
    return Options(**{**QUICK_SETTINGS, **changes})


def scaled(row: Row, scale: float) -> Row:
    """``row`` with its sizes (not the 88 keys) times ``scale``, at least 2."""
    if scale == 1.0:
        return row
    size = row.size if row.kind == "frames" else max(2, int(row.size * scale))
    sizes = {k: max(2, int(getattr(row, k) * scale)) for k in ("hidden", "batch", "steps")}
    return replace(row, size=size, **sizes)


# -- data and models -------------------------------------------------------------------------
def make_batches(row: Row, count: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``count`` consecutive (inputs, targets) batches: token ids (B, T) (targets the next id),
    or piano-roll frames (B, T, 89) with every step real (targets (B, T, 88))."""
    rng = np.random.default_rng(seed)
    if row.kind == "tokens":
        stream = rng.integers(0, row.size, size=(row.batch, count * row.steps + 1))
        pairs = []
        for k in range(count):
            chunk = stream[:, k * row.steps : (k + 1) * row.steps + 1]
            pairs.append((torch.as_tensor(chunk[:, :-1]), torch.as_tensor(chunk[:, 1:])))
        return pairs
    batches = []
    for _ in range(count):
        roll = (rng.random((row.batch, row.steps + 1, 88)) < 0.05).astype(np.float32)
        inputs = np.concatenate([roll[:, :-1], np.ones((row.batch, row.steps, 1), np.float32)], 2)
        batches.append((torch.as_tensor(inputs), torch.as_tensor(roll[:, 1:])))
    return batches


def build_model(side: str, row: Row, seed: int) -> GeneratorNetwork:
    """The generator's network for ``row``; the ``nn.GRU`` side has its GRU replaced by a
    ``torch.nn.GRU`` with the same weights (every other layer the same code)."""
    torch.manual_seed(seed)
    tokens = row.kind == "tokens"
    network = GeneratorNetwork(
        kind=row.kind, size=row.size, hidden_size=row.hidden, num_layers=row.layers,
        embedding_dim=row.hidden if tokens else 0, dropout=row.dropout, tie_weights=row.tied,
        stateful=tokens, mixed_precision=row.mixed_precision, input_dropout=row.input_dropout,
    )  # fmt: skip
    if side == "nn.GRU":
        network.gru = to_torch(network.gru)  # type: ignore[assignment]
    elif side != "grukit":
        raise ValueError(f"`side` must be one of {SIDES}, got {side!r}")
    return network


def training_step(model: GeneratorNetwork, optimizer: torch.optim.Optimizer, batch: tuple) -> None:
    """One step as ``grukit.train`` takes it (the generator's loss, clip 1.0, Adam)."""
    inputs, targets = batch
    optimizer.zero_grad(set_to_none=True)
    loss_fn = tokens_loss if model.kind == "tokens" else frames_loss
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    nn.utils.clip_grad_norm_(list(model.parameters()), 1.0)
    optimizer.step()


# -- one worker: every row of one side at one thread count --------------------------------------
def measure_row(side: str, row: Row, job: dict[str, Any]) -> dict[str, Any]:
    """Time ``side`` on ``row``: seconds per training step, the eval logits of batch 0."""
    row, method = scaled(row, job["scale"]), Method(**job["method"])
    model = build_model(side, row, job["seed"])
    batches = make_batches(row, job["batches"], job["seed"] + 1)
    model.eval()
    with torch.no_grad():
        logits = model(batches[0][0])[:2, :4]
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def call() -> None:
        for batch in batches:
            training_step(model, optimizer, batch)

    with flush_denormals():
        training_step(model, optimizer, batches[0])  # untimed: compilation, allocations
        result = measure(call, method, units_per_call=len(batches))
    engine = getattr(model.gru, "last_engine", None) if side == "grukit" else "nn.GRU"
    return {"side": side, "row": row.name, "threads": job["threads"], "status": "ok",
            "median_s": result.median_s, "repeats_s": result.repeats_s, "engine": engine,
            "steps": row.batch * row.steps, "logits": logits.tolist()}  # fmt: skip


def run_worker(job: dict[str, Any]) -> dict[str, Any]:
    """Measure every row of ``job`` (one side, one thread count)."""
    return run_rows(job, ROWS, measure_row)


# -- the run -------------------------------------------------------------------------------------
def _table_rows(options: Options, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (row, thread count): each side's steps/s, the ratio, the logits check."""
    found = {(r["side"], r["row"], r["threads"]): r for r in records}
    rows = []
    for row in (r for r in ROWS if r.name in options.rows):
        for threads in options.threads:
            sides = {s: dict(found.get((s, row.name, threads)) or {"status": "missing"})
                     for s in SIDES}  # fmt: skip
            logits = {s: sides[s].pop("logits", None) for s in SIDES}
            for entry in sides.values():
                if entry.get("status") == "ok":
                    entry["steps_per_s"] = entry["steps"] / entry["median_s"]
            error = None
            if logits["grukit"] is not None and logits["nn.GRU"] is not None:
                difference = np.asarray(logits["grukit"]) - np.asarray(logits["nn.GRU"])
                error = float(np.max(np.abs(difference)))
            rates = [sides[s].get("steps_per_s") for s in SIDES]
            ratio = rates[0] / rates[1] if rates[0] and rates[1] else None
            rows.append({**asdict(scaled(row, options.scale)), "threads": threads,
                         "sides": sides, "ratio": ratio, "logits_max_abs_err": error})  # fmt: skip
    return rows


def render_table(document: dict[str, Any]) -> str:
    """The rows of a result document as a Markdown table (steps/s, the ratio, the engine)."""
    lines = [
        "| row | V | H x L | B x T | bf16 head | thr | grukit (engine) | nn.GRU | grukit/nn.GRU "
        "| max err |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]

    def rate(entry: dict[str, Any]) -> str:
        if entry.get("status") != "ok":
            return str(entry.get("status", "?")).upper()
        engine = f" ({entry['engine']})" if entry.get("engine") not in (None, "nn.GRU") else ""
        return f"{entry['steps_per_s']:,.0f}{engine}"

    for item in document["rows"]:
        err = item["logits_max_abs_err"]
        cells = [
            item["name"], str(item["size"]), f"{item['hidden']} x {item['layers']}",
            f"{item['batch']} x {item['steps']}", "yes" if item["mixed_precision"] else "no",
            str(item["threads"]), rate(item["sides"]["grukit"]), rate(item["sides"]["nn.GRU"]),
            "-" if item["ratio"] is None else f"{item['ratio']:.2f}x",
            "-" if err is None else f"{err:.1e}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("\nsteps/s: tokens (frames for jsb) per second of training; > 1x: grukit faster")
    return "\n".join(lines)


def run(
    options: Options,
    *,
    echo: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    show: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure, write the JSON (``document["path"]``), show the table; return the document."""
    started = time.perf_counter()
    base = {"rows": list(options.rows), "seed": options.seed, "batches": options.batches,
            "scale": options.scale}  # fmt: skip
    records = collect(script=Path(__file__), base=base, method=options.method,
                      rounds=options.rounds, threads=options.threads, sides=SIDES,
                      worker=run_worker, in_process=options.in_process, echo=echo)  # fmt: skip
    return save_document(schema=SCHEMA, options=options,
                         unit=UNIT,
                         rows=_table_rows(options, records), started=started,
                         stem="generator-throughput", render=render_table, show=show)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """The command line; 0, or 1 when a row failed or a logits check exceeded the tolerance."""
    argv = sys.argv[1:] if argv is None else argv
    args = throughput_parser(__doc__.split("\n")[0], [r.name for r in ROWS]).parse_args(argv)
    if args.worker:
        return run_job_file(args.worker, run_worker)
    changes = option_changes(args)
    options = quick_options(**changes) if args.quick else Options(**changes)
    document = run(replace(options, argv=list(argv)))
    return 0 if all(_row_ok(item) for item in document["rows"]) else 1


def _row_ok(item: dict[str, Any]) -> bool:
    error = item["logits_max_abs_err"]
    ok = all(s.get("status") == "ok" for s in item["sides"].values())
    return ok and (error is None or error <= LOGITS_TOLERANCE)


if __name__ == "__main__":
    sys.exit(main())
