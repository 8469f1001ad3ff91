"""Quick, informal timings of the fused engine against torch.nn.GRU / nn.GRUCell / ONNX Runtime.

Run: ``.venv/bin/python benchmarks/fused_quick.py [stream|infer|batch|train|denormal ...]``; the
environment variable ``THREADS`` sets torch's (and ONNX Runtime's) thread count (default 2; 1
gives steadier numbers on a busy machine, where a 2-thread OpenMP barrier waits for a
descheduled worker). Each time is the **minimum** over repeats of a calibrated inner loop (the
least disturbed run on a shared machine), with the median in brackets where it is printed.
The full benchmark harness, with correctness checks and target bookkeeping, is ``grukit bench``.
Absolute numbers depend on the machine (and on whatever else runs on it); read the ratios.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
import warnings
from functools import partial

import numpy as np
import torch

from grukit.engines.fused import FusedStepper, gru_layer

THREADS = int(os.environ.get("THREADS", "2"))


def timeit(fn, *, min_time=0.05, repeats=7):
    """``(minimum, median)`` seconds per call of ``fn()`` (calibrated inner loop)."""
    fn()
    fn()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        number *= 2
    samples = [elapsed / number]
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return min(samples), statistics.median(samples)


def ort_session(module, example, threads):
    """An ONNX Runtime session running ``module`` (a torch.nn.GRU), or None without ORT."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, example, buffer, dynamo=False, opset_version=17,
            input_names=["x", "h0"], output_names=["y", "hn"],
        )  # fmt: skip
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])


def ort_best(gru, example, run):
    """The faster of ORT with 1 and ``THREADS`` threads: ``run(session)`` -> (min, median)."""
    times = []
    for threads in sorted({1, THREADS}):
        session = ort_session(gru, example, threads)
        if session is None:
            return float("nan"), float("nan")
        times.append(run(session))
    return min(times)


def _run_inplace(step, xs, h):
    for x in xs:
        step(x, h, h)


def _run_cell(cell, xs, h0):
    state = h0
    with torch.inference_mode():
        for x in xs:
            state = cell(x, state)


def _run_ort_stream(session, xs, h0):
    h = h0
    for x in xs:
        _, h = session.run(None, {"x": x, "h0": h})


def bench_stream(input_size=32, steps=1000):
    print(f"\nstreaming, B=1, I={input_size}: us/step (one Python call per step), min [median]")
    head = ("H", "fused out=h", "GRUCell", "ORT", "x GRUCell", "x ORT")
    print("{:>5} {:>16} {:>16} {:>16} {:>10} {:>7}".format(*head))
    for hidden in (32, 64, 128, 256):
        torch.manual_seed(0)
        cell = torch.nn.GRUCell(input_size, hidden)
        step = FusedStepper.from_module(cell).step
        xs = np.random.default_rng(0).normal(size=(steps, input_size)).astype(np.float32)
        xt = torch.from_numpy(xs)
        fused = timeit(partial(_run_inplace, step, list(xs), np.zeros(hidden, np.float32)))
        ref = timeit(partial(_run_cell, cell, xt[:, None, :], torch.zeros(1, hidden)))
        gru = torch.nn.GRU(input_size, hidden, batch_first=True)
        example = (torch.zeros(1, 1, input_size), torch.zeros(1, 1, hidden))
        xo = [x[None, None, :] for x in xs]
        ort = ort_best(
            gru, example,
            lambda s, xo=xo, h=hidden: timeit(
                partial(_run_ort_stream, s, xo, np.zeros((1, 1, h), np.float32)), repeats=3
            ),
        )  # fmt: skip
        us = [(t[0] / steps * 1e6, t[1] / steps * 1e6) for t in (fused, ref, ort)]
        cells = " ".join(f"{a:>7.2f} [{b:>6.2f}]" for a, b in us)
        print(f"{hidden:>5} {cells} {us[1][0] / us[0][0]:>9.1f}x {us[2][0] / us[0][0]:>6.1f}x")


def _infer_fused(x, params):
    with torch.inference_mode():
        gru_layer(x, None, *params, reset_after=True)


def _infer_native(gru, x):
    with torch.inference_mode():
        gru(x)


def _infer_ort(session, x, h0):
    session.run(None, {"x": x, "h0": h0})


def _infer_row(batch, steps, input_size, hidden, *, ort):
    torch.manual_seed(0)
    gru = torch.nn.GRU(input_size, hidden, batch_first=True)
    x = torch.randn(batch, steps, input_size)
    tf = timeit(partial(_infer_fused, x, list(gru.parameters())))
    tn = timeit(partial(_infer_native, gru, x))
    line = (
        f"{batch:>4} {steps:>4} {input_size:>3} {hidden:>4} {tf[0] * 1e3:>8.3f}"
        f" [{tf[1] * 1e3:>7.3f}] {tf[0] / steps * 1e6:>8.2f} {tn[0] * 1e3:>10.3f}"
        f" {tn[0] / tf[0]:>6.1f}x"
    )
    if ort:
        h0 = np.zeros((1, batch, hidden), np.float32)
        example = (x, torch.zeros(1, batch, hidden))
        to = ort_best(gru, example, lambda s: timeit(partial(_infer_ort, s, x.numpy(), h0)))
        line += f" {to[0] * 1e3:>8.3f} {to[0] / tf[0]:>6.1f}x"
    print(line)


def bench_infer():
    print("\nwhole-sequence inference, B=1, T=200: ms per call, min [median]")
    head = ("B", "T", "I", "H", "fused ms", "", "us/step", "nn.GRU ms", "ratio", "ORT ms", "ratio")
    print("{:>4} {:>4} {:>3} {:>4} {:>8} {:>9} {:>8} {:>10} {:>7} {:>8} {:>7}".format(*head))
    for input_size in (1, 32):
        for hidden in (32, 64, 128, 256):
            _infer_row(1, 200, input_size, hidden, ort=True)


def bench_batch():
    print("\nbatched inference, T=200, I=32: ms per call, min [median]")
    head = ("B", "T", "I", "H", "fused ms", "", "us/step", "nn.GRU ms", "ratio")
    print("{:>4} {:>4} {:>3} {:>4} {:>8} {:>9} {:>8} {:>10} {:>7}".format(*head))
    for batch in (8, 32, 128):
        for hidden in (64, 128, 256):
            _infer_row(batch, 200, 32, hidden, ort=False)


class Model(torch.nn.Module):
    def __init__(self, input_size, hidden, fused):
        super().__init__()
        self.gru = torch.nn.GRU(input_size, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)
        self.fused = fused

    def forward(self, x):
        if self.fused:
            out, _ = gru_layer(x, None, *self.gru.parameters(), reset_after=True)
        else:
            out, _ = self.gru(x)
        return self.head(out)


def train_step_time(batch, steps, input_size, hidden, *, fused, loss_on="all"):
    torch.manual_seed(0)
    model = Model(input_size, hidden, fused)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, steps, input_size)
    y = torch.randn(batch, steps, 1)

    def step():
        opt.zero_grad(set_to_none=True)
        pred = model(x)
        loss = (
            torch.nn.functional.mse_loss(pred, y)
            if loss_on == "all"
            else torch.nn.functional.mse_loss(pred[:, -1], y[:, -1])
        )
        loss.backward()
        opt.step()

    return timeit(step, min_time=0.1, repeats=5)[0] * 1e3


def bench_train():
    print("\ntraining step (forward, backward, Adam), all-step MSE: ms (min)")
    print(f"{'B':>4} {'T':>4} {'I':>3} {'H':>4} {'fused':>8} {'nn.GRU':>8} {'ratio':>7}")
    for input_size in (1, 32):
        for hidden in (32, 64, 128):
            tf = train_step_time(32, 50, input_size, hidden, fused=True)
            tn = train_step_time(32, 50, input_size, hidden, fused=False)
            row = f"{32:>4} {50:>4} {input_size:>3} {hidden:>4} {tf:>8.2f} {tn:>8.2f}"
            print(f"{row} {tn / tf:>6.1f}x")


def bench_denormal():
    print("\ndenormals: train step at T=200, last-step vs all-step loss: ms (min)")
    head = ("B", "H", "fused last", "fused all", "last/all", "nn.GRU last", "nn.GRU all")
    print("{:>4} {:>4} {:>11} {:>10} {:>9} {:>12} {:>11}".format(*head))
    for batch, hidden in ((32, 64), (32, 128)):
        fl = train_step_time(batch, 200, 32, hidden, fused=True, loss_on="last")
        fa = train_step_time(batch, 200, 32, hidden, fused=True, loss_on="all")
        nl = train_step_time(batch, 200, 32, hidden, fused=False, loss_on="last")
        na = train_step_time(batch, 200, 32, hidden, fused=False, loss_on="all")
        row = f"{batch:>4} {hidden:>4} {fl:>11.2f} {fa:>10.2f} {fl / fa:>8.2f}x"
        print(f"{row} {nl:>12.2f} {na:>11.2f}")


if __name__ == "__main__":
    torch.set_num_threads(THREADS)
    print(f"torch threads: {torch.get_num_threads()}")
    chosen = sys.argv[1:] or ["stream", "infer", "batch", "train", "denormal"]
    for name in chosen:
        {
            "stream": bench_stream,
            "infer": bench_infer,
            "batch": bench_batch,
            "train": bench_train,
            "denormal": bench_denormal,
        }[name]()
