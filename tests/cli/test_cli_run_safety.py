"""A run directory has one writer at a time, and a full or read-only disk is one line, exit 2."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys

import pytest

import grukit.io
from grukit.tasks.run_lock import LOCK_FILE
from support.cli import FAST, run, seasonal_csv

HOLDER = """
import sys
from pathlib import Path
from grukit.tasks.run_lock import locked_run

with locked_run(Path(sys.argv[1]), create=True):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _train_args(data, out):
    return ["train", "forecast", data, "--target", "a", "--lookback", "12", "--horizon", "3",
            "--out", out, *FAST]  # fmt: skip


def _one_line_error(code, stderr, expected):
    assert code == 2, stderr
    assert stderr.strip().splitlines() == [f"error: {expected}"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    directory = tmp_path_factory.mktemp("trained")
    data = seasonal_csv(directory)
    out = directory / "run"
    from grukit.cli import main

    assert main([str(a) for a in _train_args(data, out)]) == 0
    return data, out


def test_a_second_process_on_a_held_run_directory_gets_one_line_and_exit_2(tmp_path, capsys):
    data, out = seasonal_csv(tmp_path), tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, stderr = run(capsys, *_train_args(data, out))
        _one_line_error(code, stderr, f"run directory '{out}' is in use by process {holder.pid} "
                        f"on host {socket.gethostname()} (lock file '{out / LOCK_FILE}'); wait "
                        "for it to finish, or choose another directory")  # fmt: skip
        assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # nothing else written
    finally:
        holder.communicate("\n", timeout=60)
    code, _, stderr = run(capsys, *_train_args(data, out))
    assert code == 0, stderr
    assert not (out / LOCK_FILE).exists()  # released when the command ends


@pytest.mark.parametrize(
    "command", [["evaluate", "RUN", "DATA"], ["predict", "RUN", "DATA"], ["report", "RUN"]]
)
def test_evaluate_predict_and_report_wait_for_no_one_either(trained, command, capsys):
    data, out = trained
    args = [{"RUN": out, "DATA": data}.get(word, word) for word in command]
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, stderr = run(capsys, *args)
        _one_line_error(code, stderr, f"run directory '{out}' is in use by process {holder.pid} "
                        f"on host {socket.gethostname()} (lock file '{out / LOCK_FILE}'); wait "
                        "for it to finish, or choose another directory")  # fmt: skip
        after = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != LOCK_FILE}
        assert after == before
    finally:
        holder.communicate("\n", timeout=60)
    assert run(capsys, *args)[0] == 0


def _full_disk(monkeypatch, error_number=errno.ENOSPC):
    """Every atomic write fails as a full disk does; returns the paths it was asked to write."""
    attempted = []

    def refuse(path, data):
        attempted.append(str(path))
        raise OSError(error_number, os.strerror(error_number), str(path))

    monkeypatch.setattr(grukit.io, "atomic_write_bytes", refuse)
    return attempted


@pytest.mark.parametrize(
    "command", [["train"], ["evaluate", "RUN", "DATA"], ["predict", "RUN", "DATA"],
                ["report", "RUN"]],
)  # fmt: skip
def test_a_full_disk_is_one_line_naming_the_file(trained, command, tmp_path, capsys, monkeypatch):
    data, out = trained
    if command == ["train"]:
        args = _train_args(data, tmp_path / "new-run")
    else:
        args = [{"RUN": out, "DATA": data}.get(word, word) for word in command]
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    attempted = _full_disk(monkeypatch)
    code, _, stderr = run(capsys, *args)
    assert attempted, "the command wrote nothing"
    _one_line_error(code, stderr, f"no space left on device while writing '{attempted[0]}'")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not (out / LOCK_FILE).exists()


@pytest.mark.parametrize(
    ("error_number", "words"),
    [(errno.EDQUOT, "disk quota exceeded while writing"),
     (errno.EROFS, "read-only file system: cannot write"),
     (errno.EACCES, "permission denied for")],
)  # fmt: skip
def test_quota_read_only_and_permission_errors_are_one_line(
    trained, error_number, words, capsys, monkeypatch
):
    data, out = trained
    attempted = _full_disk(monkeypatch, error_number)
    code, _, stderr = run(capsys, "evaluate", out, data)
    _one_line_error(code, stderr, f"{words} '{attempted[0]}'")


def test_a_real_failed_write_names_the_destination_not_the_temporary_file(
    tmp_path, capsys, monkeypatch
):
    # a full disk fails in write() or fsync(), whose OSError names no file
    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    out = tmp_path / "run"
    code, _, stderr = run(capsys, *_train_args(seasonal_csv(tmp_path), out))
    _one_line_error(code, stderr, f"no space left on device while writing '{out / 'run.json'}'")
    assert not list(out.glob(".*.tmp"))
