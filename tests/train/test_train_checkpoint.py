"""Checkpoints: files after every epoch, exact resumption after an interruption, clear errors."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

import grukit.io
import grukit.train.checkpoint as checkpoint_module
from grukit.io import read_json
from grukit.tensor_files import load_tensors
from grukit.train import (
    Callback,
    CheckpointError,
    History,
    TrainConfig,
    has_checkpoint,
    load_checkpoint,
    train,
)
from grukit.train.seed import capture_rng_state, restore_rng_state
from grukit.train.state import decode_state, encode_state
from support import IMPORT_ROOT
from support.tiny_training import make_data, make_model, weights

CONFIG = TrainConfig(
    epochs=6, batch_size=16, learning_rate=2e-2, schedule="step", schedule_step_epochs=2,
    schedule_factor=0.5, patience=None, seed=5, progress=False,
)  # fmt: skip
DATA, VALIDATION = make_data(48), make_data(16, seed=9)


def reference_run():
    model = make_model()
    history = train(model, DATA, validation=VALIDATION, config=CONFIG)
    return history, weights(model)


def assert_same_run(history, model_weights, expected):
    expected_history, expected_weights = expected
    assert history.train_loss == expected_history.train_loss
    assert history.val_loss == expected_history.val_loss
    assert history.lr == expected_history.lr
    assert (history.best_epoch, history.best_loss, history.stop_reason) == (
        expected_history.best_epoch, expected_history.best_loss, expected_history.stop_reason,
    )  # fmt: skip
    assert model_weights.keys() == expected_weights.keys()
    for name in model_weights:
        assert torch.equal(model_weights[name], expected_weights[name]), name


class InterruptAt(Callback):
    """Raise KeyboardInterrupt at a batch of an epoch, as a user's Ctrl-C would."""

    def __init__(self, epoch: int, batch: int = 1) -> None:
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, state):
        if (state.epoch, state.batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def test_checkpoint_after_every_epoch_is_complete_and_loadable(tmp_path):
    seen = []

    class Inspect(Callback):
        def on_epoch_begin(self, state):
            if state.epoch > 1:
                seen.append(load_checkpoint(tmp_path))

    model = make_model()
    history = train(
        model, DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path,
        callbacks=[Inspect()],
    )  # fmt: skip
    seen.append(load_checkpoint(tmp_path))
    assert [c.epoch for c in seen] == [1, 2, 3, 4, 5, 6]
    for checkpoint in seen:
        assert checkpoint.history.train_loss == history.train_loss[: checkpoint.epoch]
        assert checkpoint.config == CONFIG and checkpoint.loss_name == "mse"
        assert checkpoint.best_state is not None
        assert set(checkpoint.optimizer_state) == {"state", "param_groups"}
        assert checkpoint.scheduler_state["last_epoch"] == checkpoint.epoch
    final = seen[-1]
    assert all(torch.equal(final.model_state[k], v) for k, v in weights(model).items())
    # one epoch directory only; every file named in the manifest, written before it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json", "epoch-00006"]
    manifest = read_json(tmp_path / "checkpoint.json")
    assert manifest["epoch"] == 6 and manifest["stop_reason"] == "max_epochs"
    manifest_time = (tmp_path / "checkpoint.json").stat().st_mtime_ns
    for entry in manifest["files"].values():
        assert (tmp_path / entry["path"]).stat().st_mtime_ns <= manifest_time
    assert manifest["model"]["gru.weight_ih_l0"] == {"shape": [24, 2], "dtype": "float32"}
    best = load_tensors(tmp_path / manifest["files"]["best"]["path"])
    assert set(best) == set(weights(model))
    assert "torch_cpu" in final.rng_tensors and final.rng_tensors["torch_cpu"].dtype == torch.uint8
    # no pickle anywhere: every file is JSON or safetensors
    assert {p.suffix for p in tmp_path.rglob("*") if p.is_file()} == {".json", ".safetensors"}


def test_resume_after_keyboard_interrupt_is_exact(tmp_path):
    expected = reference_run()
    model = make_model()
    with pytest.raises(KeyboardInterrupt):
        train(
            model, DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path,
            callbacks=[InterruptAt(epoch=4, batch=1)],
        )  # fmt: skip
    assert load_checkpoint(tmp_path).epoch == 3
    # the interrupted model object (half-way through epoch 4) is reloaded from the checkpoint
    history = train(
        model, DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path, resume=True
    )
    assert_same_run(history, weights(model), expected)
    # resuming a finished run changes nothing; raising `epochs` continues it
    fresh = make_model(seed=99)
    again = train(
        fresh, DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path, resume=True
    )
    assert_same_run(again, weights(fresh), expected)
    longer = dataclasses.replace(CONFIG, epochs=7)
    more = train(
        fresh, DATA, validation=VALIDATION, config=longer, checkpoint_dir=tmp_path, resume=True
    )
    assert len(more) == 7 and more.train_loss[:6] == expected[0].train_loss


def test_resume_after_sigkill_is_exact(tmp_path):
    """A separate process is killed (SIGKILL) mid-epoch 4; resuming here gives the same run."""
    expected = reference_run()
    marker = tmp_path / "epoch4-started"
    script = tmp_path / "run.py"
    script.write_text(
        "import sys, time\n"
        "from pathlib import Path\n"
        "import torch\n"
        "torch.set_num_threads(1)  # as the test process (conftest.py)\n"
        "from support.tiny_training import make_data, make_model\n"
        "from grukit.train import Callback, train\n"
        "from grukit.train.config import TrainConfig\n"
        "config = TrainConfig.from_dict(__import__('json').loads(sys.argv[1]))\n"
        "class Hang(Callback):\n"
        "    def on_batch_end(self, state):\n"
        "        if (state.epoch, state.batch) == (4, 1):\n"
        f"            Path({str(marker)!r}).touch()\n"
        "            time.sleep(120)\n"
        "train(make_model(), make_data(48), validation=make_data(16, seed=9), config=config,\n"
        f"      checkpoint_dir={str(tmp_path / 'ckpt')!r}, callbacks=[Hang()])\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(IMPORT_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, str(script), json.dumps(CONFIG.to_dict())],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(f"training subprocess ended early: {process.stdout.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("training subprocess did not reach epoch 4 within 60 s")
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    assert load_checkpoint(tmp_path / "ckpt").epoch == 3
    model = make_model(seed=1234)  # different initial weights: all state comes from the files
    history = train(
        model, DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path / "ckpt",
        resume=True,
    )  # fmt: skip
    assert_same_run(history, weights(model), expected)


def test_resume_with_early_stopping_is_exact(tmp_path):
    config = dataclasses.replace(CONFIG, epochs=30, patience=2, learning_rate=0.05)
    x, y = DATA
    validation = (x[:16], -y[:16])  # gets worse as training improves: stops early

    model = make_model()
    expected = train(model, DATA, validation=validation, config=config)
    expected_weights = weights(model)
    assert expected.stop_reason == "early_stopping" and expected.restored_best

    model = make_model()
    with pytest.raises(KeyboardInterrupt):
        train(
            model, DATA, validation=validation, config=config, checkpoint_dir=tmp_path,
            callbacks=[InterruptAt(epoch=len(expected), batch=0)],
        )  # fmt: skip
    history = train(
        model, DATA, validation=validation, config=config, checkpoint_dir=tmp_path, resume=True
    )
    assert_same_run(history, weights(model), (expected, expected_weights))
    assert history.restored_best


def test_resume_without_checkpoint_starts_fresh(tmp_path, caplog):
    expected = reference_run()
    model = make_model()
    with caplog.at_level(logging.INFO, logger="grukit.train"):
        history = train(
            model, DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path / "new",
            resume=True,
        )  # fmt: skip
    assert "no checkpoint in" in caplog.text and "starting a new run" in caplog.text
    assert_same_run(history, weights(model), expected)
    assert has_checkpoint(tmp_path / "new")


def test_existing_checkpoint_without_resume_is_refused(tmp_path):
    train(make_model(), DATA, config=dataclasses.replace(CONFIG, epochs=1), checkpoint_dir=tmp_path)
    with pytest.raises(FileExistsError, match="already holds a checkpoint; pass resume=True"):
        train(make_model(), DATA, config=CONFIG, checkpoint_dir=tmp_path)


def test_resume_refuses_a_different_model_config_or_loss(tmp_path):
    config = dataclasses.replace(CONFIG, epochs=2)
    train(make_model(), DATA, validation=VALIDATION, config=config, checkpoint_dir=tmp_path)

    def resume(model=None, **changes):
        loss = changes.pop("loss", "mse")
        validation = changes.pop("validation", VALIDATION)
        train(
            model or make_model(), DATA, validation=validation, loss=loss,
            config=dataclasses.replace(config, **changes), checkpoint_dir=tmp_path, resume=True,
        )  # fmt: skip

    with pytest.raises(CheckpointError, match=r"saved from a different model: gru.bias_hh_l0 is "
                       r"float32\[24\] there and float32\[48\] here; "):  # fmt: skip
        resume(make_model(hidden_size=16))
    with pytest.raises(CheckpointError, match=r"different settings: batch_size=16 there, 8 here; "
                       r"seed=5 there, 6 here \(resume with the same settings"):  # fmt: skip
        resume(batch_size=8, seed=6)
    with pytest.raises(CheckpointError, match="loss='mse' there, 'mae' here"):
        resume(loss="mae")
    with pytest.raises(ValueError, match="was trained with `validation` data; resume the same way"):
        resume(validation=None)
    resume(epochs=3, device="cpu", progress=True)  # allowed: more epochs, another device


def test_corrupt_checkpoint_gives_clear_errors(tmp_path):
    train(make_model(), DATA, config=dataclasses.replace(CONFIG, epochs=1), checkpoint_dir=tmp_path)
    model_file = tmp_path / "epoch-00001" / "model.safetensors"
    data = bytearray(model_file.read_bytes())
    data[-3] ^= 0xFF  # one flipped byte inside the weights
    model_file.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"checkpoint file '.*model.safetensors' is corrupt: "
                       "its size or SHA-256 does not match"):  # fmt: skip
        train(make_model(), DATA, config=CONFIG, checkpoint_dir=tmp_path, resume=True)
    model_file.unlink()
    with pytest.raises(CheckpointError, match="model.safetensors' listed in .* is missing"):
        load_checkpoint(tmp_path)
    manifest = tmp_path / "checkpoint.json"
    manifest.write_bytes(manifest.read_bytes()[:100])  # truncated
    with pytest.raises(CheckpointError, match=r"checkpoint manifest '.*checkpoint.json' is corrupt "
                       r"\(invalid JSON at line"):  # fmt: skip
        load_checkpoint(tmp_path)
    manifest.write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(CheckpointError, match="is not a grukit training checkpoint manifest"):
        load_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="checkpoint manifest '.*' does not exist"):
        load_checkpoint(tmp_path / "empty")


def test_crash_before_the_manifest_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    expected = reference_run()
    real_write_json = checkpoint_module.write_json

    def crash_at_epoch_3(path, obj, **kwargs):
        if obj["epoch"] == 3:
            raise KeyboardInterrupt  # dies after writing epoch 3's files, before the manifest
        return real_write_json(path, obj, **kwargs)

    monkeypatch.setattr(checkpoint_module, "write_json", crash_at_epoch_3)
    with pytest.raises(KeyboardInterrupt):
        train(
            make_model(), DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path
        )  # fmt: skip
    monkeypatch.undo()
    assert (tmp_path / "epoch-00003" / "model.safetensors").exists()  # complete but unreferenced
    assert load_checkpoint(tmp_path).epoch == 2
    model = make_model()
    history = train(
        model, DATA, validation=VALIDATION, config=CONFIG, checkpoint_dir=tmp_path, resume=True
    )
    assert_same_run(history, weights(model), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json", "epoch-00006"]


def test_state_encoding_round_trips_exactly():
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    state["extra"] = {"nan": math.nan, "inf": -math.inf, "tuple": (1, "a"), 3: [None, True]}
    tree, tensors = encode_state(state, "optimizer")
    tree = json.loads(json.dumps(tree, allow_nan=False))
    decoded = decode_state(tree, tensors)
    assert decoded["param_groups"] == state["param_groups"]
    assert decoded["extra"]["tuple"] == (1, "a") and decoded["extra"][3] == [None, True]
    assert math.isnan(decoded["extra"]["nan"]) and decoded["extra"]["inf"] == -math.inf
    for key, values in state["state"].items():
        for name, value in values.items():
            assert torch.equal(decoded["state"][key][name], value)
    with pytest.raises(TypeError, match="cannot save object at optimizer\\['x'\\]"):
        encode_state({"x": object()}, "optimizer")


def test_rng_state_round_trips():
    import random

    import numpy as np

    generator = torch.Generator().manual_seed(3)
    tensors, values = capture_rng_state(generator)
    json.dumps(values, allow_nan=False)
    draws = (random.random(), np.random.rand(), torch.rand(2), torch.rand(2, generator=generator))  # noqa: NPY002
    restore_rng_state(tensors, json.loads(json.dumps(values)), generator)
    again = (random.random(), np.random.rand(), torch.rand(2), torch.rand(2, generator=generator))  # noqa: NPY002
    assert draws[:2] == again[:2]
    assert torch.equal(draws[2], again[2]) and torch.equal(draws[3], again[3])


def test_history_round_trip_with_non_finite_losses():
    history = History(
        monitor="val_loss", best_epoch=1, best_loss=0.5, stop_reason="non_finite_loss"
    )
    history.append(train_loss=1.0, val_loss=0.5, lr=0.1, epoch_time=0.2)
    history.append(train_loss=math.nan, val_loss=math.inf, lr=0.1, epoch_time=0.1)
    encoded = json.loads(json.dumps(history.to_dict(), allow_nan=False))
    decoded = History.from_dict(encoded)
    assert decoded.train_loss[0] == 1.0 and math.isnan(decoded.train_loss[1])
    assert decoded.val_loss == [0.5, math.inf]
    assert decoded.rows()[1]["epoch"] == 2 and len(decoded) == 2
    with pytest.raises(ValueError, match=r"invalid History record: missing \['lr'\]"):
        History.from_dict({k: v for k, v in encoded.items() if k != "lr"})


def _one_epoch_checkpoint(tmp_path):
    train(make_model(), DATA, config=dataclasses.replace(CONFIG, epochs=1), checkpoint_dir=tmp_path)
    return tmp_path / "checkpoint.json"


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../checkpoint.json", "epoch-00001/../../x", "epoch-00002/model.safetensors",
     "model.safetensors", "epoch-00001/sub/model.safetensors", "epoch-00001/.."],
)  # fmt: skip
def test_manifest_paths_outside_the_checkpoint_folder_are_refused(tmp_path, path):
    manifest_path = _one_epoch_checkpoint(tmp_path)
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["model"]["path"] = path
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match=r"checkpoint.json' lists its model file as .*; "
                       r"expected 'epoch-00001/<file name>', a file inside"):  # fmt: skip
        load_checkpoint(tmp_path)


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and devices are POSIX")
def test_checkpoint_files_must_be_regular_files_and_are_not_opened_otherwise(tmp_path):
    _one_epoch_checkpoint(tmp_path)
    model_file = tmp_path / "epoch-00001" / "model.safetensors"
    model_file.unlink()
    model_file.symlink_to("/dev/zero")
    with pytest.raises(CheckpointError, match=r"'.*model.safetensors' is a symbolic link, not a "
                       "regular file; refusing to read it"):  # fmt: skip
        load_checkpoint(tmp_path)
    model_file.unlink()
    os.mkfifo(model_file)

    def blocked(*_):
        raise AssertionError("opening the FIFO blocked")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(20)  # a blocked open fails the test instead of hanging the suite
    try:
        with pytest.raises(CheckpointError, match="is a FIFO, socket or device, not a regular"):
            load_checkpoint(tmp_path)
        (tmp_path / "checkpoint.json").unlink()
        os.mkfifo(tmp_path / "checkpoint.json")
        with pytest.raises(CheckpointError, match=r"checkpoint manifest '.*' is a FIFO, socket"):
            load_checkpoint(tmp_path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_checkpoint_file_sizes_are_checked_before_reading(tmp_path, monkeypatch):
    _one_epoch_checkpoint(tmp_path)
    model_file = tmp_path / "epoch-00001" / "model.safetensors"
    size = model_file.stat().st_size
    with model_file.open("ab") as handle:
        handle.write(b"\0" * 100)
    read, real_read = [], checkpoint_module.read_exactly

    def recording_read(handle, size, path, description):
        read.append(path.name)
        return real_read(handle, size, path, description)

    monkeypatch.setattr(checkpoint_module, "read_exactly", recording_read)
    monkeypatch.setattr(grukit.io, "read_exactly", recording_read)  # the manifest's reader
    expected = rf"\(expected {size} bytes, found {size + 100}\)"
    with pytest.raises(CheckpointError, match=r"model.safetensors' is corrupt: its size or "
                       r"SHA-256 does not match .*" + expected):  # fmt: skip
        load_checkpoint(tmp_path)
    assert read == ["checkpoint.json"]  # the manifest, not the model file
