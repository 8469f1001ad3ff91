"""Training step time with 1 and 2 (or more) PyTorch threads, interleaved, for the thread rule.

Run: ``python benchmarks/thread_rule.py [--seconds 1.0] [--rounds 3] [--threads 1,2]``.
Each configuration is a grukit forecasting network (GRU encoder and linear head; MSE; Adam)
on random data; the thread counts alternate round by round so that a busy machine's load falls
on both alike. Prints the median milliseconds per training step and the work measure of
``grukit.runtime.threads`` (trainable parameters times batch size). The numbers in
docs/performance.md ("Threads") come from this script.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from grukit.runtime.threads import step_work
from grukit.tasks.networks import ForecastNetwork

# (hidden size, batch size): the PM2.5 model of the README up to the first size where a second
# thread paid on the busy 2-core machine (about a minute and a half in all).
CONFIGS = [(64, 64), (128, 64), (128, 128), (256, 128), (384, 192), (512, 128), (512, 256)]
LOOKBACK, FEATURES, HORIZON = 24, 8, 6


def _step_ms(network: torch.nn.Module, batch: int, seconds: float) -> float:
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    x = torch.randn(batch, LOOKBACK, FEATURES)
    y = torch.randn(batch, HORIZON, 1)
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or steps < 3:
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(network(x), y).backward()
        optimizer.step()
        steps += 1
    return 1e3 * (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    counts = [int(n) for n in args.threads.split(",")]
    for hidden, batch in CONFIGS:
        torch.manual_seed(0)
        network = ForecastNetwork(FEATURES, 1, HORIZON, hidden_size=hidden)
        times: dict[int, list[float]] = {n: [] for n in counts}
        _step_ms(network, batch, 0.2)  # warm-up (compilation, allocations)
        for _ in range(args.rounds):
            for n in counts:
                torch.set_num_threads(n)
                times[n].append(_step_ms(network, batch, args.seconds))
        work = step_work(network, batch)
        medians = "  ".join(f"{n} thr {statistics.median(times[n]):7.2f} ms" for n in counts)
        print(f"H={hidden:4d} B={batch:4d} work={work / 1e6:6.2f}M  {medians}", flush=True)


if __name__ == "__main__":
    main()
