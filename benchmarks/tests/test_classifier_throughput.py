"""benchmarks/classifier_throughput.py: its --quick mode in-process on tiny shapes, one worker
process, the peer model. The structure of the output, never the speed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from grukit_bench.throughput import QUICK_METHOD, load_script, spawn

SCRIPT = Path(__file__).resolve().parents[1] / "classifier_throughput.py"


ct = load_script(SCRIPT)
TINY = ct.Shape(vocab=50, embedding=8, hidden=4, batch=4, steps=12, median_length=8.0)


def test_quick_run_in_process_has_every_row_side_and_ratio(tmp_path):
    out = tmp_path / "results" / "clf.json"
    lines = []
    document = ct.run(ct.quick_options(shape=TINY, out=out), echo=lambda _: None, show=lines.append)
    assert document["schema"] == ct.SCHEMA and document["path"] == str(out)
    assert json.loads(out.read_text())["rows"] == document["rows"]
    rows = document["rows"]
    assert [(r["name"], r["threads"]) for r in rows] == [
        (row.name, n) for row in ct.ROWS for n in (1, 2)
    ]
    for row in rows:
        assert set(row["sides"]) == set(ct.SIDES)
        assert set(row["ratios"]) == set(ct.RATIOS)
        for side in row["sides"].values():
            assert side["status"] == "ok", side.get("error")
            assert side["samples_per_s"] > 0 and len(side["repeats_s"]) == 2
            assert side["logits_max_abs_err"] <= ct.LOGITS_TOLERANCE
        rates = {name: side["samples_per_s"] for name, side in row["sides"].items()}
        assert row["ratios"]["grukit/nn.GRU"] == pytest.approx(rates["grukit"] / rates["nn.GRU"])
        assert row["sides"]["grukit-torch"]["engine"] == "torch"
        assert row["sides"]["grukit"]["engine"] in ("fused", "native", "torch")
        assert row["sides"]["nn.GRU"]["logits_max_abs_err"] == 0.0
    recipe = [r for r in rows if r["name"] == "recipe"]
    assert all(r["recurrent_dropout"] == 0.2 and r["note"] for r in recipe)
    assert {r["maxlen"] for r in rows} == {TINY.steps}  # recipe's 100 cut to the shape's 12
    table = lines[0].splitlines()
    assert len([line for line in table if line.startswith("| imdb") or "recipe" in line]) == 10
    assert "no recurrent dropout" in lines[0]
    assert lines[-1] == f"results written to {out}"


def test_one_worker_process_measures_its_rows(tmp_path):
    job = {
        "rows": ["imdb-max"], "shape": vars(TINY), "seed": 0, "batches": 1, "flush": False,
        "side": "nn.GRU", "threads": 1, "round": 1, "method": QUICK_METHOD.to_dict(),
    }  # fmt: skip
    done = spawn(SCRIPT, job, tmp_path)
    (record,) = done["records"]
    assert record["status"] == "ok", record.get("error")
    assert (record["side"], record["row"], record["threads"]) == ("nn.GRU", "imdb-max", 1)
    assert record["engine"] == "nn.GRU (packed)" and record["median_s"] > 0
    assert np.asarray(record["logits"]).shape == (TINY.batch, 2)


@pytest.mark.parametrize("row", [r for r in ct.ROWS if r.name in ("imdb-max-bi", "imdb-last")])
def test_peer_computes_the_grukit_network_from_the_same_weights(row):
    batch = ct.make_batches(TINY, row, 1, seed=3)[0][0]
    grukit_net = ct.build_model("grukit-torch", TINY, row, seed=5).eval()
    peer = ct.build_model("nn.GRU", TINY, row, seed=5).eval()
    assert isinstance(peer, ct.TorchClassifier)
    with torch.no_grad():
        torch.testing.assert_close(peer(batch), grukit_net(batch), atol=1e-5, rtol=1e-5)


def test_lengths_are_clipped_and_padding_is_at_the_end():
    lengths = ct.draw_lengths(np.random.default_rng(0), ct.Shape(batch=4000), 400)
    assert lengths.min() >= 5 and lengths.max() == 400
    assert 200 <= np.median(lengths) <= 260 and 0.1 < np.mean(lengths == 400) < 0.3
    ids, labels = ct.make_batches(TINY, ct.ROWS[0], 1, seed=0)[0]
    counts = (ids != 0).sum(dim=1)
    assert all(int((ids[i, : counts[i]] != 0).sum()) == counts[i] for i in range(len(ids)))
    assert set(labels.tolist()) <= {0, 1}


def test_options_refuse_unknown_rows_and_a_missing_reference():
    with pytest.raises(ValueError, match="`rows`"):
        ct.Options(rows=("imdb",))
    with pytest.raises(ValueError, match="`sides` must include nn.GRU"):
        ct.Options(sides=("grukit",))
