"""Killing ``grukit train`` mid-epoch and running it again with ``--resume`` loses no completed
epoch and ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import torch

from grukit.tensor_files import load_tensors
from support.cli import FAST, run, seasonal_csv

# Runs the CLI in a child process that SIGKILLs itself in the middle of a training epoch: a
# real, unannounced kill (no exception handler, no cleanup), after `KILL_AT` training batches.
KILLER = """
import os, signal, sys
import torch
from grukit.train.data import Batches

torch.set_num_threads(1)
original, seen = Batches.iterate, [0]

def iterate(self, *args, **kwargs):
    for batch in original(self, *args, **kwargs):
        if self.name == "train_data":
            seen[0] += 1
            if seen[0] == int(os.environ["KILL_AT"]):
                os.kill(os.getpid(), signal.SIGKILL)
        yield batch

Batches.iterate = iterate
from grukit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_kill_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path, capsys):
    data = seasonal_csv(tmp_path)
    common = ["train", "forecast", data, "--target", "a", "--covariates", "wind",
              "--lookback", "12", "--horizon", "3", *FAST[:2], "--epochs", "4",
              "--batch-size", "32"]  # fmt: skip
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    assert run(capsys, *common, "--out", reference)[0] == 0

    # 160 training rows, 10% validation: 144 rows -> 130 windows -> 5 batches per epoch;
    # the 13th batch is the third of epoch 3
    environment = {**os.environ, "KILL_AT": "13", "OMP_NUM_THREADS": "1"}
    child = subprocess.run(
        [sys.executable, "-c", KILLER, *map(str, common), "--out", str(interrupted)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    manifest = json.loads((interrupted / "checkpoints" / "checkpoint.json").read_text())
    assert manifest["epoch"] == 2  # epochs 1 and 2 completed and saved; epoch 3 was cut short
    assert not (interrupted / "config.json").exists()

    code, stdout, _ = run(capsys, *common, "--out", interrupted, "--resume")
    assert code == 0, stdout
    resumed_history = json.loads((interrupted / "history.json").read_text())
    reference_history = json.loads((reference / "history.json").read_text())
    assert len(resumed_history["train_loss"]) == 4
    assert resumed_history["train_loss"] == reference_history["train_loss"]
    assert resumed_history["val_loss"] == reference_history["val_loss"]
    resumed = load_tensors(interrupted / "model.safetensors")
    expected = load_tensors(reference / "model.safetensors")
    assert resumed.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(resumed[name], tensor), name
    assert (interrupted / "metrics.json").read_text() == ((reference / "metrics.json").read_text())
