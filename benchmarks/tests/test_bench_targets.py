"""Target evaluation on synthetic medians (no timing)."""

from __future__ import annotations

import pytest

from grukit_bench.config import Point
from grukit_bench.targets import Lookup, evaluate_targets, row_key


def record(side, workload, point, seconds, *, loss=None, status="ok", check_ok=True):
    return {
        "side": side,
        "workload": workload,
        "loss": loss,
        **Point(*point)._asdict(),
        "status": status,
        "median_s": seconds,
        "check_ok": check_ok,
    }


def evaluate(records):
    rows = list(dict.fromkeys(row_key(r) for r in records))
    return {(t["id"], t["H"], t["loss"]): t for t in evaluate_targets(rows, Lookup(records))}


def test_streaming_time_limits_depend_on_hidden_size():
    records = [
        record("grukit-fused", "streaming", (1, 1000, 32, 32), 1.4e-6),
        record("grukit-fused", "streaming", (1, 1000, 32, 256), 10.5e-6),
    ]
    result = evaluate(records)
    small, large = result[("S-time", 32, None)], result[("S-time", 256, None)]
    assert small["passed"] is True and small["threshold"] == 1.5
    assert small["value"] == pytest.approx(1.4)
    assert large["passed"] is False and large["threshold"] == 10.0
    assert large["comparison"] == "<="


def test_streaming_ratios_use_the_faster_ort_and_gru_cell():
    point = (1, 1000, 32, 64)
    records = [
        record("grukit-fused", "streaming", point, 2e-6),
        record("nn.GRUCell", "streaming", point, 21e-6),
        record("ort", "streaming", point, 10e-6),
        record("ort-1t", "streaming", point, 3e-6),  # the faster ORT counts
    ]
    result = evaluate(records)
    assert result[("S-cell", 64, None)]["value"] == pytest.approx(10.5)
    assert result[("S-cell", 64, None)]["passed"] is True
    assert result[("S-ort", 64, None)]["value"] == pytest.approx(1.5)
    assert result[("S-ort", 64, None)]["passed"] is False


def test_gru_cell_target_only_up_to_128_and_missing_sides_are_not_applicable():
    records = [record("grukit-fused", "streaming", (1, 1000, 32, 256), 5e-6)]
    result = evaluate(records)
    assert ("S-cell", 256, None) not in result
    assert result[("S-ort", 256, None)]["passed"] is None  # no ORT: n/a, never a pass
    assert result[("S-ort", 256, None)]["value"] is None


def test_wrong_answers_do_not_count_as_fast():
    point = (1, 1000, 32, 64)
    records = [
        record("grukit-fused", "streaming", point, 1e-6, check_ok=False),
        record("ort", "streaming", point, 10e-6),
    ]
    assert evaluate(records)[("S-ort", 64, None)]["passed"] is None


def test_inference_targets_at_b1_t200_and_auto_noise_allowance():
    b1 = (1, 200, 32, 128)
    b32 = (32, 200, 32, 128)
    records = [
        record("grukit-fused", "inference", b1, 1.0e-3),
        record("nn.GRU", "inference", b1, 4.9e-3),
        record("ort", "inference", b1, 1.0e-3),
        record("nn.GRU", "inference", b32, 10.0e-3),
        record("grukit-auto", "inference", b32, 10.9e-3),  # 9 % slower: within the noise
    ]
    result = evaluate(records)
    assert result[("I-ort", 128, None)]["passed"] is True  # exactly as fast as ORT
    assert result[("I-gru", 128, None)]["passed"] is False  # 4.9x < 5x
    assert result[("I-auto", 128, None)]["passed"] is True
    records[-1] = record("grukit-auto", "inference", b32, 11.2e-3)  # 12 % slower
    assert evaluate(records)[("I-auto", 128, None)]["passed"] is False


def test_training_targets_and_the_denormal_cliff():
    t50 = (32, 50, 1, 64)
    t200 = (32, 200, 1, 64)
    records = [
        record("nn.GRU", "training", t50, 8e-3, loss="last"),
        record("grukit-fused", "training", t50, 3e-3, loss="last"),
        record("grukit-fused", "training", t200, 13e-3, loss="last"),
        record("grukit-fused", "training", t200, 10e-3, loss="all"),
    ]
    result = evaluate(records)
    assert result[("R-gru", 64, "last")]["value"] == pytest.approx(8 / 3)
    assert result[("R-gru", 64, "last")]["passed"] is True
    cliff = result[("R-cliff", 64, "last")]
    assert cliff["value"] == pytest.approx(1.3)
    assert cliff["passed"] is True
    assert ("R-cliff", 64, "all") not in result
    records[2] = record("grukit-fused", "training", t200, 14e-3, loss="last")
    assert evaluate(records)[("R-cliff", 64, "last")]["passed"] is False


def test_failed_records_are_ignored_by_the_lookup():
    point = (1, 200, 32, 64)
    records = [
        record("grukit-fused", "inference", point, None, status="error"),
        record("nn.GRU", "inference", point, 1e-3),
    ]
    lookup = Lookup(records)
    row = row_key(records[0])
    assert lookup.time("grukit-fused", row) is None
    assert lookup.ratio(1e-3, "grukit-fused", row) is None
    assert evaluate(records)[("I-gru", 64, None)]["passed"] is None
