"""Training throughput of grukit's text classifier network against the same model on nn.GRU.

Run: ``python benchmarks/classifier_throughput.py [--quick] [--threads 1,2] [--rounds 3]
[--rows imdb-last,recipe] [--out PATH]`` (``--help``). A Markdown table goes to standard output,
the JSON (schema ``grukit-classifier-throughput/1``) to ``--out`` (default
``bench-results/classifier-throughput-<YYYYmmdd-HHMMSS>.json``). docs/performance.md
("Classifier training throughput") describes the rows and columns.

One timed unit is one training step as ``grukit.train`` takes it for
:class:`grukit.SequenceClassifier`: zero_grad, forward, cross-entropy (2 classes), backward,
``clip_grad_norm_(1.0)``, ``Adam.step()``, subnormals flushed (``--no-flush``: left as they are);
samples/s = B / median seconds per step. Sides: ``grukit`` (``ClassifierNetwork(input="text")``
as the classifier builds it, engine auto, the engine it picked recorded), ``nn.GRU`` (the same
model on ``torch.nn.GRU`` over ``pack_padded_sequence(enforce_sorted=False)``, started from the
grukit network's weights; its eval logits are compared) and ``grukit-torch`` (engine "torch").
``torch.nn.GRU`` has no recurrent dropout, so in the ``recipe`` row its side runs without it.

Method (``grukit bench``'s, benchmarks/README.md): each (side, thread count) in its own worker
process with ``torch.set_num_threads(n)`` (grukit's fused engine obeys it too), one after the
other, in ``--rounds`` rounds sharing the repeats; the median over all of them; one untimed step
per row first (the fused kernels compile in each fresh process). ``--quick`` runs in this
process: one round, one batch per call, 2 repeats (a smoke run, not numbers to quote).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from grukit.runtime import flush_denormals
from grukit.tasks.classifier_networks import ClassifierNetwork
from grukit.tasks.config import GRUConfig
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

__all__ = ["RATIOS", "ROWS", "SIDES", "Options", "Row", "Shape", "TorchClassifier",
           "draw_lengths", "main", "render_table", "run"]  # fmt: skip

UNIT = "samples/s = B / median seconds per training step; ratios > 1: faster than nn.GRU"
SCHEMA = "grukit-classifier-throughput/1"
SIDES = ("grukit", "nn.GRU", "grukit-torch")
#: ratio name -> (numerator side, denominator side), both in samples/s: > 1 means the first
#: side is faster than nn.GRU
RATIOS = {"grukit/nn.GRU": ("grukit", "nn.GRU"), "grukit-torch/nn.GRU": ("grukit-torch", "nn.GRU")}
ENGINES = {"grukit": "auto", "grukit-torch": "torch"}
#: max |logits - nn.GRU logits| at the shared initial weights (eval mode, float32)
LOGITS_TOLERANCE = 1e-4
NOTE_NO_RECURRENT_DROPOUT = "nn.GRU has no recurrent dropout: its side runs without it"


@dataclass(frozen=True)
class Row:
    """One model configuration (a table row, measured at each thread count)."""

    name: str
    pooling: str
    bidirectional: bool = False
    #: token rows cut (and padded) to this many steps, at most the shape's ``steps``
    maxlen: int | None = None
    dropout: float = 0.0
    recurrent_dropout: float = 0.0

    def steps(self, shape: Shape) -> int:
        """T of this row's batches."""
        return min(self.maxlen or shape.steps, shape.steps)


ROWS: tuple[Row, ...] = (
    Row("imdb-last", "last"),
    Row("imdb-max", "max"),
    Row("imdb-last-bi", "last", bidirectional=True),
    Row("imdb-max-bi", "max", bidirectional=True),
    # the tutorials' recipe: maxlen 100, GRU 64, dropout 0.2 and recurrent_dropout 0.2
    Row("recipe", "last", maxlen=100, dropout=0.2, recurrent_dropout=0.2),
)


@dataclass(frozen=True)
class Shape:
    """Sizes of the model and of the batches (IMDB-shaped by default)."""

    vocab: int = 20000
    embedding: int = 128
    hidden: int = 64
    batch: int = 64
    steps: int = 400
    median_length: float = 230.0
    sigma: float = 0.65
    min_length: int = 5


@dataclass
class Options:
    """What to run; see the module docstring."""

    rows: tuple[str, ...] = tuple(r.name for r in ROWS)
    sides: tuple[str, ...] = SIDES
    threads: tuple[int, ...] = (1, 2)
    shape: Shape = field(default_factory=Shape)
    method: Method = field(default_factory=full_method)
    rounds: int = 3
    batches: int = 4
    seed: int = 0
    flush: bool = True
    in_process: bool = False
    quick: bool = False
    out: Path | None = None
    argv: list[str] | None = None

    def __post_init__(self) -> None:
        check_options(self, [r.name for r in ROWS])
        if "nn.GRU" not in self.sides or any(s not in SIDES for s in self.sides):
            raise ValueError(f"`sides` must include nn.GRU and be among {SIDES}, got {self.sides}")


def quick_options(**changes: Any) -> Options:
    """``--quick``: in this process, one round, one batch per call, 2 repeats."""
    return Options(**{**QUICK_SETTINGS, **changes})


# -- data and models -------------------------------------------------------------------------
def draw_lengths(rng: np.random.Generator, shape: Shape, maxlen: int) -> np.ndarray:
    """(B,) lengths: lognormal (median ``shape.median_length``), clipped to [min_length, maxlen]."""
    drawn = rng.lognormal(np.log(shape.median_length), shape.sigma, size=shape.batch)
    return np.clip(np.round(drawn), min(shape.min_length, maxlen), maxlen).astype(np.int64)


def make_batches(shape: Shape, row: Row, count: int, seed: int) -> list[tuple[Any, Any]]:
    """``count`` (ids (B, maxlen) int64, 0 = padding at the end; labels (B,)) batches."""
    rng = np.random.default_rng(seed)
    maxlen = row.steps(shape)
    batches = []
    for _ in range(count):
        lengths = draw_lengths(rng, shape, maxlen)
        ids = rng.integers(1, shape.vocab, size=(shape.batch, maxlen))
        ids[np.arange(maxlen)[None, :] >= lengths[:, None]] = 0
        labels = rng.integers(0, 2, size=shape.batch)
        batches.append((torch.as_tensor(ids), torch.as_tensor(labels)))
    return batches


def grukit_network(shape: Shape, row: Row, engine: str) -> ClassifierNetwork:
    """The network :class:`grukit.SequenceClassifier` builds for ``row`` (2 classes)."""
    gru_options = {**GRUConfig().to_dict(), "engine": engine}
    gru_options.pop("recurrent_dropout")  # the classifier passes it as its own argument
    return ClassifierNetwork(
        input="text", n_classes=2, hidden_size=shape.hidden, num_layers=1,
        bidirectional=row.bidirectional, pooling=row.pooling, dropout=row.dropout,
        recurrent_dropout=row.recurrent_dropout, vocab_size=shape.vocab,
        embedding_dim=shape.embedding, gru_options=gru_options,
    )  # fmt: skip


class TorchClassifier(nn.Module):
    """The classifier network on ``torch.nn.GRU`` with packed sequences (the peer).

    Embedding -> input dropout (one mask per sequence over the features, as grukit's) ->
    ``nn.GRU`` over ``pack_padded_sequence(enforce_sorted=False)`` -> pooling (``last``:
    ``h_n`` of each direction; ``max``: over the valid steps) -> dropout -> Linear.
    Parameter names match :class:`ClassifierNetwork`'s, so its state dict loads here.
    """

    def __init__(self, shape: Shape, row: Row) -> None:
        super().__init__()
        if row.pooling not in ("last", "max"):
            raise ValueError(f"`pooling` must be 'last' or 'max', got {row.pooling!r}")
        self.pooling, self.p = row.pooling, row.dropout
        self.directions = 2 if row.bidirectional else 1
        self.embedding = nn.Embedding(shape.vocab, shape.embedding, padding_idx=0)
        self.gru = nn.GRU(
            shape.embedding, shape.hidden, batch_first=True, bidirectional=row.bidirectional
        )
        self.head_dropout = nn.Dropout(row.dropout)
        self.head = nn.Linear(self.directions * shape.hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lengths = (x != 0).sum(dim=1)
        steps = self.embedding(x)
        if self.training and self.p > 0:
            keep = torch.full((len(x), 1, steps.shape[2]), 1 - self.p)
            steps = steps * torch.bernoulli(keep) / (1 - self.p)
        packed = nn.utils.rnn.pack_padded_sequence(
            steps, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        outputs, h_n = self.gru(packed)
        if self.pooling == "last":
            pooled = h_n[-self.directions :].permute(1, 0, 2).reshape(len(x), -1)
        else:
            padded, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True)
            valid = torch.arange(padded.shape[1])[None, :, None] < lengths[:, None, None]
            pooled = padded.masked_fill(~valid, float("-inf")).max(dim=1).values
        logits: torch.Tensor = self.head(self.head_dropout(pooled))
        return logits


def build_model(side: str, shape: Shape, row: Row, seed: int) -> nn.Module:
    """The side's model; every side starts from the same weights (``seed``)."""
    torch.manual_seed(seed)
    network = grukit_network(shape, row, ENGINES.get(side, "auto"))
    if side in ENGINES:
        return network
    peer = TorchClassifier(shape, row)
    peer.load_state_dict(network.state_dict())
    return peer


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, batch: tuple) -> None:
    """One step as ``grukit.train`` takes it (cross-entropy, clip 1.0, Adam)."""
    ids, labels = batch
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(ids), labels)
    loss.backward()
    nn.utils.clip_grad_norm_(list(model.parameters()), 1.0)
    optimizer.step()


# -- one worker: every row of one side at one thread count --------------------------------------
def measure_row(side: str, row: Row, job: dict[str, Any]) -> dict[str, Any]:
    """Time ``side`` on ``row``: seconds per training step, the eval logits of batch 0."""
    shape, method = Shape(**job["shape"]), Method(**job["method"])
    model = build_model(side, shape, row, job["seed"])
    batches = make_batches(shape, row, job["batches"], job["seed"] + 1)
    model.eval()
    with torch.no_grad():
        logits = model(batches[0][0])
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def call() -> None:
        for batch in batches:
            training_step(model, optimizer, batch)

    record: dict[str, Any] = {"side": side, "row": row.name, "threads": job["threads"]}
    with flush_denormals() if job["flush"] else contextlib.nullcontext():
        training_step(model, optimizer, batches[0])  # untimed: compilation, allocations
        result = measure(call, method, units_per_call=len(batches))
    gru = getattr(model, "gru", None)
    record.update(
        status="ok",
        median_s=result.median_s,
        repeats_s=result.repeats_s,
        engine=getattr(gru, "last_engine", None) if side in ENGINES else "nn.GRU (packed)",
        logits=logits.tolist(),
    )
    return record


def run_worker(job: dict[str, Any]) -> dict[str, Any]:
    """Measure every row of ``job`` (one side, one thread count); thread count restored after."""
    return run_rows(job, ROWS, measure_row)


# -- the run -------------------------------------------------------------------------------------
def _collect(options: Options, echo: Callable[[str], None]) -> list[dict[str, Any]]:
    """Every round, thread count and side: records with every round's repeats merged."""
    base = {"rows": list(options.rows), "shape": asdict(options.shape), "seed": options.seed,
            "batches": options.batches, "flush": options.flush}  # fmt: skip
    return collect(script=Path(__file__), base=base, method=options.method,
                   rounds=options.rounds, threads=options.threads, sides=options.sides,
                   worker=run_worker, in_process=options.in_process, echo=echo)  # fmt: skip


def _table_rows(options: Options, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (row, thread count): every side's samples/s, the ratios, the check."""
    found = {(r["side"], r["row"], r["threads"]): r for r in records}
    rows = []
    for row in (r for r in ROWS if r.name in options.rows):
        for threads in options.threads:
            sides: dict[str, Any] = {}
            for side in options.sides:
                record = dict(found.get((side, row.name, threads)) or {"status": "missing"})
                logits = record.pop("logits", None)
                if record.get("status") == "ok":
                    record["samples_per_s"] = options.shape.batch / record["median_s"]
                    record["logits_max_abs_err"] = _error(logits, found, row.name, threads)
                sides[side] = record
            rate = {s: sides[s].get("samples_per_s") for s in sides}
            ratios = {key: rate[a] / rate[b] if rate.get(a) and rate.get(b) else None
                      for key, (a, b) in RATIOS.items() if a in sides}  # fmt: skip
            note = NOTE_NO_RECURRENT_DROPOUT if row.recurrent_dropout else None
            rows.append({**asdict(row), "maxlen": row.steps(options.shape),
                         "threads": threads, "B": options.shape.batch, "sides": sides,
                         "ratios": ratios, "note": note})  # fmt: skip
    return rows


def _error(logits: Any, found: dict, row: str, threads: int) -> float | None:
    reference = (found.get(("nn.GRU", row, threads)) or {}).get("logits")
    if logits is None or reference is None:
        return None
    return float(np.max(np.abs(np.asarray(logits) - np.asarray(reference))))


def render_table(document: dict[str, Any]) -> str:
    """The rows of a result document as a Markdown table (samples/s, ratios, engine)."""
    lines = [
        "| row | pooling | dirs | T | thr | grukit (engine) | nn.GRU | grukit torch "
        "| grukit/nn.GRU | torch/nn.GRU | max err |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def rate(entry: dict[str, Any] | None) -> str:
        if not entry:
            return "-"
        if entry.get("status") != "ok":
            return entry.get("status", "?").upper()
        return f"{entry['samples_per_s']:.0f}"

    for item in document["rows"]:
        sides, ratios = item["sides"], item["ratios"]
        grukit_side = sides.get("grukit")
        engine = f" ({grukit_side['engine']})" if grukit_side and grukit_side.get("engine") else ""
        errors = [s.get("logits_max_abs_err") for s in sides.values()]
        err = max((e for e in errors if e is not None), default=None)
        cells = [
            item["name"] + (" *" if item["note"] else ""), item["pooling"],
            "2" if item["bidirectional"] else "1", str(item["maxlen"]), str(item["threads"]),
            rate(grukit_side) + engine, rate(sides.get("nn.GRU")), rate(sides.get("grukit-torch")),
            *(f"{ratios[k]:.2f}x" if ratios.get(k) else "-" for k in RATIOS),
            "-" if err is None else f"{err:.1e}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    if any(item["note"] for item in document["rows"]):
        lines.append(f"\n\\* {NOTE_NO_RECURRENT_DROPOUT} (grukit's runs with 0.2).")
    return "\n".join(lines)


def run(
    options: Options,
    *,
    echo: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    show: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure, write the JSON (``document["path"]``), show the table; return the document."""
    started = time.perf_counter()
    records = _collect(options, echo)
    return save_document(schema=SCHEMA, options=options,
                         unit=UNIT,
                         rows=_table_rows(options, records), started=started,
                         stem="classifier-throughput", render=render_table, show=show)  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = throughput_parser(__doc__.split("\n")[0], [r.name for r in ROWS])
    parser.add_argument("--sides", help=f"sides (default {','.join(SIDES)}; nn.GRU always)")
    parser.add_argument("--no-flush", action="store_true", help="leave denormals as they are")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line; 0, or 1 when a row failed or a logits check exceeded the tolerance."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.worker:
        return run_job_file(args.worker, run_worker)
    changes = option_changes(args)
    if args.sides:
        changes["sides"] = tuple(dict.fromkeys(["nn.GRU", *args.sides.split(",")]))
    options = quick_options(**changes) if args.quick else Options(**changes)
    options = replace(options, flush=not args.no_flush, argv=list(argv))
    document = run(options)
    return 0 if all(_row_ok(item) for item in document["rows"]) else 1


def _row_ok(item: dict[str, Any]) -> bool:
    sides = item["sides"].values()
    errors = [s.get("logits_max_abs_err") for s in sides if s.get("status") == "ok"]
    return all(s.get("status") == "ok" for s in sides) and all(
        e is None or e <= LOGITS_TOLERANCE for e in errors
    )


if __name__ == "__main__":
    sys.exit(main())
