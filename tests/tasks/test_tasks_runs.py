"""Run directories (grukit.tasks.runs): run.json, the resume checks and the test part."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys

import pytest

from grukit.tasks import Forecaster
from grukit.tasks.run_lock import LOCK_FILE, RunInUseError, locked_run
from grukit.tasks.runs import (
    RESUMABLE_OPTIONS,
    evaluation_part,
    held_out,
    split_test,
    start_run,
)
from support.series import seasonal_frame


def test_start_run_records_the_options_and_checks_a_resumed_run(tmp_path):
    out = tmp_path / "run"
    options = {"lookback": 12, "epochs": 2, "data": tmp_path / "data.csv"}
    start_run(out, "forecast", options, resume=False)
    record = json.loads((out / "run.json").read_text())
    assert record == {"command": "forecast", "options": {**options, "data": str(options["data"])}}
    start_run(out, "forecast", {**options, "epochs": 5}, resume=True)  # epochs may change
    assert "epochs" in RESUMABLE_OPTIONS
    with pytest.raises(ValueError, match="command 'forecast' there, 'detect' now; lookback=12"):
        start_run(out, "detect", {**options, "lookback": 10}, resume=True)
    (out / "config.json").write_text("{}")
    with pytest.raises(FileExistsError, match="already holds a run; pass --resume"):
        start_run(out, "forecast", options, resume=False)


def test_split_test_by_fraction_or_date_with_context():
    frame = seasonal_frame(100)
    train, test = split_test(frame, {}, "time", context=0)  # 20% by default
    assert (len(train), len(test)) == (80, 20)
    train, test = split_test(frame, {"test_fraction": 0.1}, "time", context=24)
    assert (len(train), len(test)) == (90, 34)
    assert split_test(frame, {"test_fraction": 0}, "time", context=0)[1] is None
    train, test = split_test(frame, {"test_from": "2021-01-04"}, "time", context=0)
    assert test["time"].min().day == 4 and len(train) + len(test) == 100
    with pytest.raises(ValueError, match="--test-from needs a time column"):
        split_test(frame, {"test_from": "2021-01-04"}, None, context=0)


def test_evaluation_part_finds_the_test_part_again():
    frame = seasonal_frame(100)
    model = Forecaster(12, 3, period=24)
    model.period_ = 24  # as fitting would learn it
    record = {"options": {"test_fraction": 0.25}}
    whole, split = evaluation_part(model, record, frame, all_rows=False)
    assert split == {"test_fraction": 0.25} and len(whole) == 100
    model.time_column_ = "time"
    part, scored = model._test_rows(whole, None, 0.25)
    assert len(part) == 25 + 24 and scored.sum() == 25 and not scored[:24].any()
    whole, split = evaluation_part(model, record, frame, all_rows=True)
    assert split is None and len(whole) == 100
    assert evaluation_part(model, None, frame, all_rows=False)[1] is None
    with pytest.raises(ValueError, match="--test-from or --test-fraction, not both"):
        held_out({"test_from": "2021-01-04", "test_fraction": 0.2})


# -- one writer per run directory ----------------------------------------------------------------
HOLDER = """
import sys
from pathlib import Path
from grukit.tasks.run_lock import locked_run

with locked_run(Path(sys.argv[1]), create=True):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_held_run_directory_is_refused_naming_the_process_that_holds_it(tmp_path):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUseError) as refused, locked_run(out, create=True):
            pass
        assert str(refused.value) == (
            f"run directory '{out}' is in use by process {holder.pid} on host "
            f"{socket.gethostname()} (lock file '{out / LOCK_FILE}'); wait for it to finish, or "
            "choose another directory"
        )
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0 and not (out / LOCK_FILE).exists()  # released
    with locked_run(out, create=True):  # and free again
        assert json.loads((out / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert not (out / LOCK_FILE).exists()


def test_the_lock_is_released_on_an_error_and_one_process_cannot_hold_it_twice(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ZeroDivisionError), locked_run(out, create=True):
        1 / 0  # noqa: B018
    assert not (out / LOCK_FILE).exists()
    held = pytest.raises(RunInUseError, match="is in use by process")
    with locked_run(out, create=True), held, locked_run(out, create=False):
        pass
    with locked_run(tmp_path / "missing", create=False):  # nothing to lock: the command says so
        assert not (tmp_path / "missing").exists()


def test_a_lock_left_by_a_killed_process_is_taken_over_with_a_log_line(tmp_path, caplog):
    out = tmp_path / "run"
    out.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(gone.stdout)
    (out / LOCK_FILE).write_text(json.dumps({"pid": dead_pid, "host": socket.gethostname()}))
    with caplog.at_level(logging.WARNING, logger="grukit.tasks"), locked_run(out, create=True):
        assert json.loads((out / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert f"left by process {dead_pid} on host {socket.gethostname()}" in caplog.text
    assert not (out / LOCK_FILE).exists()
