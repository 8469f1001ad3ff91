"""Tables and Markdown of a result document (synthetic numbers, no timing)."""

from __future__ import annotations

import json
import os

import pytest

from grukit_bench import report
from grukit_bench.config import Point
from grukit_bench.report import (
    format_ratio,
    format_time,
    latest_result,
    load_results,
    markdown_table,
    render_markdown,
    workload_table,
)
from grukit_bench.targets import Lookup, evaluate_targets, row_key


def record(side, workload, point, seconds, *, loss=None, status="ok", err=0.0):
    return {
        "side": side,
        "workload": workload,
        "loss": loss,
        **Point(*point)._asdict(),
        "status": status,
        "median_s": seconds,
        "repeats_s": [seconds] * 3,
        "max_abs_err": err,
        "check_ok": True,
    }


@pytest.fixture
def document():
    stream = (1, 1000, 32, 64)
    seq = (1, 200, 32, 64)
    records = [
        record("nn.GRUCell", "streaming", stream, 20e-6),
        record("ort", "streaming", stream, 10e-6, err=3e-8),
        record("grukit-fused", "streaming", stream, 2e-6, err=1e-7),
        record("nn.GRU", "inference", seq, 2e-3),
        record("grukit-fused", "inference", seq, 0.25e-3, err=2e-7),
        record("ort", "inference", seq, None, status="unsupported"),
        record("nn.GRU", "training", seq, 16e-3, loss="last"),
        record("grukit-fused", "training", seq, 5e-3, loss="last"),
        record("grukit-fused", "training", seq, 4e-3, loss="all"),
    ]
    rows = list(dict.fromkeys(row_key(r) for r in records))
    return {
        "schema": "grukit-bench/1",
        "created": "2026-11-21T12:00:00+0000",
        "machine": {"cpu_model": "Test CPU", "logical_cpus": 2, "memory_gib": 24.0},
        "versions": {"torch": "2.13.0", "grukit": "0.1.0"},
        "threads": {"torch": 2},
        "method": {"warmup": 2, "repeats": 7, "min_repeat_s": 0.05},
        "sides": {"keras": {"status": "unavailable", "reason": "keras not importable"}},
        "results": records,
        "targets": evaluate_targets(rows, Lookup(records)),
        "check_failures": [],
    }


def test_format_time_and_ratio():
    assert format_time(None) == "-"
    assert format_time(1234.5) == "1234"
    assert format_time(12.345) == "12.3"
    assert format_time(1.2345) == "1.23"
    assert format_time(0.012345) == "0.0123"
    assert format_ratio(3.456) == "3.46x"
    assert format_ratio(12.34) == "12.3x"
    assert format_ratio(None) == "-"


def test_markdown_table_aligns_numbers_right_and_text_left():
    table = markdown_table(["name", "ms"], [["nn.GRU", "1.5"], ["grukit fused", "0.25"]])
    lines = table.splitlines()
    assert lines[0] == "| name         |   ms |"
    assert lines[1] == "|:-------------|-----:|"
    assert lines[2] == "| nn.GRU       |  1.5 |"
    assert lines[3] == "| grukit fused | 0.25 |"


def test_streaming_table_has_medians_ratios_and_targets(document):
    table = workload_table(document, "streaming")
    header, _, row = table.splitlines()
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "I", "H", "nn.GRUCell", "ORT", "grukit fused", "vs GRUCell", "vs ORT", "max err", "targets",
    ]  # fmt: skip
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:5] == ["32", "64", "20.0", "10.0", "2.00"]
    assert cells[5:8] == ["10.0x", "5.00x", "1.0e-07"]
    assert cells[8] == "PASS"  # 2 us <= 2.5 us, 10x GRUCell, 5x ORT


def test_target_cell_lists_failures_first(document):
    slower = [dict(r) for r in document["results"]]
    slower[2]["median_s"] = 3e-6  # grukit: 3 us per step
    document = {**document, "results": slower, "targets": None}
    row = workload_table(document, "streaming").splitlines()[2]
    assert row.strip("| ").endswith("FAIL S-time,S-cell; PASS S-ort")


def test_training_table_shows_the_last_over_all_ratio(document):
    table = workload_table(document, "training")
    lines = table.splitlines()
    assert "last/all" in lines[0]
    last = [c.strip() for c in lines[2].strip("|").split("|")]
    assert last[0] == "last"
    assert "1.25x" in last  # 5 ms / 4 ms
    assert "3.20x" in last  # nn.GRU 16 ms / grukit 5 ms


def test_unsupported_cells_and_missing_workloads(document):
    assert "unsupp." in workload_table(document, "inference")
    document["results"] = [r for r in document["results"] if r["workload"] != "training"]
    assert workload_table(document, "training") == ""


def test_render_markdown_has_every_section(document):
    text = render_markdown(document)
    for heading in ("## grukit benchmark", "### Streaming", "### Whole-sequence", "### Training"):
        assert heading in text
    assert "### Targets" in text
    assert "unavailable (keras not importable)" in text
    assert "Test CPU" in text


def test_latest_result_picks_the_newest_file(tmp_path, document):
    older, newer = tmp_path / "bench-1.json", tmp_path / "bench-2.json"
    for path in (older, newer):
        path.write_text(json.dumps(document))
    os.utime(older, (1_000_000, 1_000_000))
    assert latest_result(tmp_path) == newer
    assert latest_result(older) == older
    assert load_results(tmp_path)["schema"] == "grukit-bench/1"


def test_latest_result_and_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no bench-\\*.json results in"):
        latest_result(tmp_path)
    wrong = tmp_path / "bench-x.json"
    wrong.write_text("[1, 2]")
    with pytest.raises(ValueError, match="is not a grukit benchmark result"):
        load_results(wrong)


def test_report_main_writes_markdown(tmp_path, document, capsys):
    source = tmp_path / "bench-1.json"
    source.write_text(json.dumps(document))
    target = tmp_path / "docs" / "performance-section.md"
    assert report.main([str(source), "--out", str(target)]) == 0
    assert target.read_text().startswith("## grukit benchmark")
    assert report.main([str(tmp_path / "missing")]) == 1
    assert "error: no bench-*.json results" in capsys.readouterr().err
