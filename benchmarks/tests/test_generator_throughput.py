"""benchmarks/generator_throughput.py: its --quick mode in-process on tiny models, one worker
process, the peer model. The structure of the output, never the speed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from grukit_bench.throughput import QUICK_METHOD, load_script, spawn

SCRIPT = Path(__file__).resolve().parents[1] / "generator_throughput.py"


gt = load_script(SCRIPT)
SCALE = 0.03


def test_quick_run_in_process_has_every_row_side_and_ratio(tmp_path):
    out = tmp_path / "results" / "gen.json"
    lines = []
    options = gt.quick_options(scale=SCALE, out=out)
    document = gt.run(options, echo=lambda _: None, show=lines.append)
    assert document["schema"] == gt.SCHEMA and document["path"] == str(out)
    assert json.loads(out.read_text())["rows"] == document["rows"]
    rows = document["rows"]
    assert [(r["name"], r["threads"]) for r in rows] == [
        (row.name, n) for row in gt.ROWS for n in (1, 2)
    ]
    for row in rows:
        sides = row["sides"]
        assert all(sides[s]["status"] == "ok" for s in gt.SIDES), sides
        assert row["ratio"] == pytest.approx(
            sides["grukit"]["steps_per_s"] / sides["nn.GRU"]["steps_per_s"]
        )
        assert row["logits_max_abs_err"] <= gt.LOGITS_TOLERANCE
    table = lines[0].splitlines()
    assert table[0].startswith("| row | V |") and len(table) == 2 + len(rows) + 2
    assert lines[-1] == f"results written to {out}"


def test_one_worker_process_measures_its_rows(tmp_path):
    job = {"rows": ["jsb"], "seed": 0, "batches": 1, "scale": SCALE, "side": "nn.GRU",
           "threads": 1, "round": 1, "method": QUICK_METHOD.to_dict()}  # fmt: skip
    (record,) = spawn(SCRIPT, job, tmp_path)["records"]
    assert record["status"] == "ok", record.get("error")
    assert (record["side"], record["row"], record["engine"]) == ("nn.GRU", "jsb", "nn.GRU")
    assert record["median_s"] > 0 and np.asarray(record["logits"]).shape[-1] == 88


@pytest.mark.parametrize("name", ["ptb-small", "jsb"])
def test_peer_is_the_same_network_on_torch_nn_gru(name):
    row = gt.scaled(next(r for r in gt.ROWS if r.name == name), SCALE)
    inputs = gt.make_batches(row, 1, seed=3)[0][0]
    ours, peer = gt.build_model("grukit", row, 5).eval(), gt.build_model("nn.GRU", row, 5).eval()
    assert isinstance(peer.gru, torch.nn.GRU) and not isinstance(ours.gru, torch.nn.GRU)
    with torch.no_grad():
        torch.testing.assert_close(peer(inputs), ours(inputs), atol=1e-5, rtol=1e-5)


def test_token_batches_are_consecutive_chunks_of_streams():
    row = gt.scaled(gt.ROWS[0], SCALE)
    (x0, y0), (x1, _) = gt.make_batches(row, 2, seed=0)
    assert x0.shape == (row.batch, row.steps) and torch.equal(x0[:, 1:], y0[:, :-1])
    assert torch.equal(y0[:, -1], x1[:, 0])  # the next batch continues each stream


def test_options_refuse_unknown_rows_and_scales():
    with pytest.raises(ValueError, match="`rows`"):
        gt.Options(rows=("ptb",))
    with pytest.raises(ValueError, match="`scale`"):
        gt.Options(scale=0.0)
