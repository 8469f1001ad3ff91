"""A real (tiny) run: one point, nn.GRU only, in a worker process. No timing assertions."""

from __future__ import annotations

import json

from grukit_bench import main


def test_quick_run_of_one_tiny_point_writes_json_and_tables(tmp_path, capsys):
    out = tmp_path / "results" / "bench.json"
    argv = [
        "--quick", "--peers", "none", "--engines", "none",
        "--batch-sizes", "2", "--lengths", "4", "--input-sizes", "2", "--hidden-sizes", "3",
        "--streaming-steps", "5", "--losses", "last",
        "--warmup", "1", "--repeats", "2", "--min-time", "0.001", "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert f"results written to {out}" in captured.out
    assert "### Whole-sequence inference" in captured.out
    document = json.loads(out.read_text())
    assert document["schema"] == "grukit-bench/1"
    assert document["sides"]["nn.GRU"]["status"] == "ok"
    assert document["sides"]["nn.GRU"]["settings"]["torch_threads"] == 2
    assert "torch" in document["versions"] and document["machine"]["logical_cpus"] >= 1
    assert document["check_failures"] == []
    records = {(r["workload"], r["loss"]): r for r in document["results"]}
    assert set(records) == {("streaming", None), ("inference", None), ("training", "last")}
    for record in records.values():
        assert record["status"] == "ok", record["error"]
        assert record["side"] == "nn.GRU" and record["check_ok"] is True
        assert len(record["repeats_s"]) == 2 and record["median_s"] > 0
    assert records[("streaming", None)]["units_per_call"] == 5
    assert (records[("inference", None)]["B"], records[("inference", None)]["H"]) == (2, 3)
