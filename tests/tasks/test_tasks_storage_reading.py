"""Loading a model reads only what it should: plain names of regular files inside the model
directory, of the recorded size, and a config that is itself checked; weights are compared with
what the config implies before any network is given memory."""

from __future__ import annotations

import hashlib
import json
import os
import signal

import pytest
import torch

import grukit.io
from grukit.cli.entry import main
from grukit.io import CorruptFileError
from grukit.tasks import Forecaster, load, storage
from grukit.tasks.networks import ForecastNetwork
from grukit.tasks.storage import config_digest
from support.series import fast_config, seasonal_frame

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and /etc are POSIX")


@pytest.fixture(scope="module")
def model():
    return Forecaster(12, 3, targets=["a"], hidden_size=6, train_config=fast_config(1)).fit(
        seasonal_frame(160)
    )


@pytest.fixture
def saved(model, tmp_path):
    return model.save(tmp_path / "model")


def _edit_config(directory, edit, *, sign=True):
    """Apply `edit` to config.json's content; re-sign it (as a deliberate editor could)."""
    path = directory / "config.json"
    config = json.loads(path.read_text())
    edit(config)
    if sign:
        config["config_sha256"] = config_digest(config)
    path.write_text(json.dumps(config))


@pytest.fixture
def no_hang():
    """Turn a read that blocks (a FIFO opened for reading) into a failure, not a hung suite."""

    def hung(*_):
        raise AssertionError("reading blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@posix_only
@pytest.mark.parametrize(
    "name", ["/etc/passwd", "/dev/zero", "../model.safetensors", "sub/model.safetensors", ".."]
)
def test_a_weights_file_outside_the_directory_is_refused(saved, name):
    _edit_config(saved, lambda config: config["weights"].update(file=name))
    with pytest.raises(CorruptFileError, match=r"config.json' names its weights file .*; expected "
                       "a plain file name inside the model directory"):  # fmt: skip
        load(saved)


@posix_only
@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "/etc/passwd"])
def test_a_weights_file_that_is_a_link_is_refused_unread(saved, target):
    weights = saved / "model.safetensors"
    weights.unlink()
    weights.symlink_to(target)
    with pytest.raises(CorruptFileError, match=r"model weights '.*' is a symbolic link, not a "
                       "regular file; refusing to read it"):  # fmt: skip
        load(saved)


@posix_only
@pytest.mark.parametrize("name", ["model.safetensors", "history.json", "config.json"])
def test_a_fifo_in_place_of_a_model_file_is_refused_without_blocking(saved, name, no_hang):
    (saved / name).unlink()
    os.mkfifo(saved / name)
    with pytest.raises(CorruptFileError, match=r"'.*' is a FIFO, socket or device, not a regular "
                       "file; refusing to read it"):  # fmt: skip
        load(saved)


def test_a_file_of_another_size_than_recorded_is_refused_before_reading(saved, monkeypatch):
    weights = saved / "model.safetensors"
    size = weights.stat().st_size
    with weights.open("ab") as handle:
        handle.write(b"\0" * 1000)
    read, real_read = [], storage.read_exactly

    def recording_read(handle, size, path, description):
        read.append(path.name)
        return real_read(handle, size, path, description)

    monkeypatch.setattr(storage, "read_exactly", recording_read)
    monkeypatch.setattr(grukit.io, "read_exactly", recording_read)  # config.json's reader
    with pytest.raises(CorruptFileError, match=rf"model weights '.*' are corrupt or do not belong "
                       rf"to '.*config.json' \({size + 1000} bytes, {size} recorded"):  # fmt: skip
        load(saved)
    assert read == ["config.json"]  # not the weights


def test_history_is_checked_against_its_recorded_size_and_sha256(saved):
    history = saved / "history.json"
    history.write_text(history.read_text().replace("1", "2", 1))
    with pytest.raises(CorruptFileError, match=r"training history '.*' is corrupt or does not "
                       r"belong to '.*config.json' \(SHA-256 mismatch"):  # fmt: skip
        load(saved)


def test_an_edited_config_is_refused(saved):
    _edit_config(saved, lambda config: config["fitted"]["network"].update(hidden_size=20000),
                 sign=False)  # fmt: skip
    with pytest.raises(CorruptFileError, match=r"model config '.*config.json' is corrupt or was "
                       "edited: the SHA-256 of its content does not match"):  # fmt: skip
        load(saved)


def test_a_config_implying_other_weights_builds_nothing_before_refusing(saved, monkeypatch):
    devices = []
    real_init = ForecastNetwork.__init__

    def recording_init(self, *args, **kwargs):
        devices.append(torch.get_default_device().type)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(ForecastNetwork, "__init__", recording_init)
    # a re-signed config asking for a network 100 times wider than the saved weights
    _edit_config(saved, lambda config: config["fitted"]["network"].update(hidden_size=600))
    with pytest.raises(CorruptFileError, match=r"model weights '.*' do not fit the configuration "
                       r"'.*': encoder.weight_ih_l0 is float32\[18, 1\] there, the configuration "
                       r"needs float32\[1800, 1\];.*\(the configuration implies \d+ values, the "
                       r"file holds \d+\)"):  # fmt: skip
        load(saved)
    assert devices == ["meta"]  # only the blueprint, which has no memory


def test_a_safetensors_header_larger_than_the_file_is_refused(saved):
    weights = saved / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[:8] = (len(data) * 2).to_bytes(8, "little")
    weights.write_bytes(bytes(data))
    _edit_config(saved, lambda config: config["weights"].update(
        sha256=hashlib.sha256(bytes(data)).hexdigest()))  # fmt: skip
    with pytest.raises(CorruptFileError, match=r"model weights '.*' is corrupt \(not a safetensors "
                       "file, or truncated: header of"):  # fmt: skip
        load(saved)


def test_models_of_format_version_1_still_load(model, saved):
    def as_version_1(config):
        config.update(version=1)
        del config["history"], config["config_sha256"], config["weights"]["bytes"]

    _edit_config(saved, as_version_1, sign=False)
    frame = seasonal_frame(160)
    assert load(saved).predict(frame).equals(model.predict(frame))
    _edit_config(saved, lambda config: config["weights"].update(file="/etc/passwd"), sign=False)
    with pytest.raises(CorruptFileError, match="expected a plain file name"):
        load(saved)


def test_the_cli_reports_a_tampered_run_in_one_line(saved, tmp_path, capsys):
    data = tmp_path / "data.csv"
    seasonal_frame(160).to_csv(data, index=False)
    _edit_config(saved, lambda config: config["weights"].update(file="../../etc/passwd"))
    assert main(["evaluate", str(saved), str(data)]) == 2
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("error: ") and "expected a plain file name" in stderr, stderr


def test_a_config_that_is_a_link_is_refused(saved):
    config = saved / "config.json"
    config.rename(saved / "real.json")
    config.symlink_to(saved / "real.json")
    with pytest.raises(CorruptFileError, match=r"model config '.*' is a symbolic link"):
        load(saved)
