"""Run directories (grukit.tasks.runs): run.json, the resume checks and the test part."""

from __future__ import annotations

import json

import pytest

from grukit.tasks import Forecaster
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
