"""Harness logic without timing: jobs, options, checks, data, the worker loop, the CLI parser."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grukit_bench import command
from grukit_bench.config import FULL_GRID, QUICK_GRID, Grid, Job, Method, Point, Threads
from grukit_bench.data import (
    keras_recurrent_to_torch,
    point_data,
    streaming_checkpoints,
    torch_to_keras,
)
from grukit_bench.harness import (
    GRAD_TOLERANCE,
    OUTPUT_TOLERANCE,
    Options,
    build_jobs,
    compare_checks,
    merge_rounds,
    round_methods,
)
from grukit_bench.runner import Prepared, Unavailable, run_job, stream, write_json_atomic

TINY = Grid(
    batch_sizes=(1, 4),
    lengths=(3,),
    input_sizes=(2,),
    hidden_sizes=(5,),
    streaming_input_sizes=(2,),
    streaming_hidden_sizes=(5,),
    streaming_steps=7,
)
FAST = Method(warmup=1, repeats=2, min_repeat_s=0.0, slow_call_s=10.0, slow_repeats=1)


def test_full_grid_has_the_target_points():
    assert len(FULL_GRID.points("inference")) == 3 * 2 * 2 * 4
    assert FULL_GRID.points("streaming") == [Point(1, 1000, 32, h) for h in (32, 64, 128, 256)]
    assert Point(1, 200, 32, 64) in QUICK_GRID.points("inference")


def test_build_jobs_reference_first_and_side_capabilities(tmp_path):
    options = Options(sides=("ort-1t", "nn.GRUCell", "grukit-fused"), grid=TINY)
    jobs = {job.side: job for job in build_jobs(options, tmp_path)}
    assert list(jobs)[0] == "nn.GRU"  # added and run first
    ort = jobs["ort-1t"]
    assert [i.workload for i in ort.items] == ["streaming", "inference"]
    assert [p.B for p in ort.items[1].points] == [1]  # single-thread ORT: B=1 only
    assert [i.workload for i in jobs["nn.GRUCell"].items] == ["streaming"]
    training = [(i.points, i.loss) for i in jobs["grukit-fused"].items if i.loss]
    points = TINY.points("training")
    # each point's two losses back to back (their ratio is the denormal-cliff check)
    assert training == [([p], loss) for p in points for loss in ("last", "all")]


def test_build_jobs_skips_sides_without_work(tmp_path):
    options = Options(sides=("nn.GRUCell", "ort"), workloads=("training",), grid=TINY)
    assert [job.side for job in build_jobs(options, tmp_path)] == ["nn.GRU"]


def test_options_reject_unknown_sides_and_workloads():
    with pytest.raises(ValueError, match="`sides` must be among"):
        Options(sides=("nn.LSTM",))
    with pytest.raises(ValueError, match="`workloads` must be a non-empty subset"):
        Options(sides=("nn.GRU",), workloads=("serving",))


def test_job_round_trips_through_json(tmp_path):
    options = Options(sides=("grukit-auto",), grid=TINY, method=FAST)
    job = build_jobs(options, tmp_path)[1]
    again = Job.from_dict(json.loads(json.dumps(job.to_dict())))
    assert again == job


def test_point_data_is_deterministic_and_shares_weights_across_b_and_t():
    a = point_data(Point(4, 10, 3, 8), seed=1)
    b = point_data(Point(4, 10, 3, 8), seed=1)
    c = point_data(Point(2, 50, 3, 8), seed=1)
    d = point_data(Point(4, 10, 3, 8), seed=2)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert np.array_equal(a["weight_hh"], c["weight_hh"])  # weights depend on (I, H) only
    assert not np.array_equal(a["x"][:2, :10], c["x"][:, :10])
    assert not np.array_equal(a["weight_hh"], d["weight_hh"])
    assert a["x"].shape == (4, 10, 3) and a["x"].dtype == np.float32
    assert a["weight_ih"].shape == (24, 3) and a["target_all"].shape == (4, 10, 1)
    assert np.abs(a["weight_hh"]).max() <= 1 / np.sqrt(8)


def test_keras_layout_round_trip_swaps_r_and_z():
    data = point_data(Point(1, 2, 3, 4), seed=0)
    keras = torch_to_keras(data)
    assert keras["kernel"].shape == (3, 12) and keras["bias"].shape == (2, 12)
    # Keras column block 0 (z) is PyTorch row block 1
    np.testing.assert_array_equal(keras["kernel"][:, :4], data["weight_ih"][4:8].T)
    np.testing.assert_array_equal(keras["bias"][1, 8:], data["bias_hh"][8:])
    np.testing.assert_array_equal(
        keras_recurrent_to_torch(keras["recurrent_kernel"]), data["weight_hh"]
    )


def test_streaming_checkpoints():
    assert streaming_checkpoints(1000) == list(range(99, 1000, 100))
    assert streaming_checkpoints(7) == [0, 1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="`steps` must be a positive integer, got 0"):
        streaming_checkpoints(0)


def save(directory, side, stem, **arrays):
    (directory / side).mkdir(parents=True, exist_ok=True)
    np.savez(directory / side / f"{stem}.npz", **arrays)


def test_compare_checks_measures_errors_against_nn_gru(tmp_path):
    ref = {"output8": np.zeros((2, 3, 4)), "h_n": np.zeros((2, 4))}
    grad = np.linspace(-1, 1, 12).reshape(3, 4)
    stem = "training-last-B2-T3-I1-H4"
    save(tmp_path, "nn.GRU", stem, **ref, grad_weight_hh=grad)
    save(tmp_path, "good", stem, output8=ref["output8"] + 1e-6, h_n=ref["h_n"],
         grad_weight_hh=grad * (1 + 1e-5))  # fmt: skip
    save(tmp_path, "bad", stem, output8=ref["output8"] + 2 * OUTPUT_TOLERANCE, h_n=ref["h_n"],
         grad_weight_hh=grad * (1 + 2 * GRAD_TOLERANCE))  # fmt: skip
    save(tmp_path, "shape", stem, output8=np.zeros((1, 3, 4)), h_n=ref["h_n"])
    base = {"workload": "training", "loss": "last", "B": 2, "T": 3, "I": 1, "H": 4, "status": "ok"}
    records = [{**base, "side": s} for s in ("nn.GRU", "good", "bad", "shape", "missing")]
    records.append({**base, "side": "good", "status": "error"})
    failures = compare_checks(records, tmp_path)
    ref_rec, good, bad, shape, missing, error = records
    assert ref_rec["max_abs_err"] == 0.0 and ref_rec["check_ok"] is True
    assert good["max_abs_err"] == pytest.approx(1e-6) and good["check_ok"] is True
    assert good["grad_rel_err"] == pytest.approx(1e-5, rel=1e-3)
    assert bad["check_ok"] is False and shape["check_ok"] is False
    assert missing["check_ok"] is None and error["check_ok"] is None
    assert len(failures) == 2
    assert failures[0].startswith("bad training last B=2 T=3 I=1 H=4: max abs error")
    assert "grad rel error" in failures[0]
    assert "output8 shape (1, 3, 4) != (2, 3, 4)" in failures[1]


class FakeSide:
    """A side with one working, one unsupported and one failing workload."""

    def __init__(self, job):
        self.calls = 0

    def versions(self):
        return {"fake": "1.0"}

    def settings(self):
        return {"threads": 1}

    def streaming(self, data, steps):
        h = np.zeros(data["weight_hh"].shape[1])

        def step(x_t, h):
            self.calls += 1
            h = np.tanh(h + x_t.sum())
            return h, h

        return stream(step, list(data["x"][0]), h, to_numpy=np.asarray)

    def inference(self, data):
        return Prepared(lambda: data["x"].sum(), {"h_n": data["x"][:, -1, :1]})

    def training(self, data, loss):
        raise NotImplementedError("no training here")


def tiny_job(tmp_path, side="fake"):
    return Job(
        side=side,
        items=[],
        method=FAST,
        threads=Threads(),
        seed=0,
        check_dir=str(tmp_path / "checks"),
        result_path=str(tmp_path / "r.json"),
    )


def test_run_job_records_ok_unsupported_and_errors(tmp_path):
    from grukit_bench.config import WorkItem

    job = tiny_job(tmp_path)
    job.items = [
        WorkItem("streaming", [Point(1, 7, 2, 5)]),
        WorkItem("inference", [Point(2, 3, 2, 5)]),
        WorkItem("training", [Point(2, 3, 2, 5)], "last"),
        WorkItem("training", [Point(2, 3, 2, 5)], "sideways"),
    ]
    lines = []
    document = run_job(job, FakeSide, log=lines.append)
    assert json.loads((tmp_path / "r.json").read_text()) == document
    statuses = [r["status"] for r in document["records"]]
    assert statuses == ["ok", "ok", "unsupported", "unsupported"]
    streaming = document["records"][0]
    assert streaming["units_per_call"] == 7 and len(streaming["repeats_s"]) == 2
    states = np.load(tmp_path / "checks" / "fake" / "streaming-B1-T7-I2-H5.npz")["states"]
    assert states.shape == (7, 5)
    assert document["records"][2]["error"] == "no training here"
    assert document["versions"] == {"fake": "1.0"}
    assert any("streaming B=1 T=7 I=2 H=5" in line for line in lines)


def test_run_job_reports_an_unavailable_side(tmp_path):
    def missing(job):
        raise Unavailable("grukit.engines.fused cannot be imported")

    document = run_job(tiny_job(tmp_path), missing, log=lambda line: None)
    assert document["status"] == "unavailable"
    assert document["reason"] == "grukit.engines.fused cannot be imported"
    assert document["records"] == []


def test_run_job_records_exceptions_and_goes_on(tmp_path):
    from grukit_bench.config import WorkItem

    class Broken(FakeSide):
        def inference(self, data):
            raise RuntimeError("kernel exploded")

    job = tiny_job(tmp_path)
    job.items = [WorkItem("inference", [Point(1, 3, 2, 5), Point(2, 3, 2, 5)])]
    document = run_job(job, Broken, log=lambda line: None)
    assert [r["status"] for r in document["records"]] == ["error", "error"]
    assert document["records"][0]["error"] == "RuntimeError: kernel exploded"


def test_worker_make_side_reports_unknown_sides(tmp_path):
    from grukit_bench import keras_worker, worker

    with pytest.raises(Unavailable, match="unknown side 'abacus'"):
        worker.make_side(tiny_job(tmp_path, "abacus"))
    with pytest.raises(Unavailable, match="unknown side 'nn.GRU' for the Keras worker"):
        keras_worker.make_side(tiny_job(tmp_path, "nn.GRU"))


def test_write_json_atomic_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "deep" / "out.json"
    write_json_atomic(target, {"a": [1, 2]})
    write_json_atomic(target, {"a": [3]})
    assert json.loads(target.read_text()) == {"a": [3]}
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_cli_options_quick_and_overrides():
    argv = ["--quick", "--peers", "ort", "--engines", "none", "--only", "streaming,inference"]
    argv += ["--hidden-sizes", "8,16", "--repeats", "2", "--threads", "1"]
    args = command.build_parser().parse_args(argv)
    options = command.options_from_args(args)
    assert options.sides == ("nn.GRU", "ort")
    assert options.workloads == ("streaming", "inference")
    assert options.grid.hidden_sizes == (8, 16) and options.grid.streaming_hidden_sizes == (8, 16)
    assert options.grid.batch_sizes == QUICK_GRID.batch_sizes
    assert options.method.repeats == 2 and options.method.slow_repeats == 2
    assert options.threads.torch == 1 and options.threads.ort_intra_op == 1
    assert options.rounds == 1  # --quick: one round
    full = command.options_from_args(command.build_parser().parse_args([]))
    assert full.rounds == 3
    two = command.options_from_args(command.build_parser().parse_args(["--rounds", "2"]))
    assert two.rounds == 2


def test_rounds_share_out_the_repeats():
    methods = round_methods(Method(repeats=7, slow_repeats=3), 3)
    assert [m.repeats for m in methods] == [3, 2, 2]
    assert [m.slow_repeats for m in methods] == [1, 1, 1]
    assert [m.repeats for m in round_methods(Method(repeats=2), 3)] == [1, 1, 1]  # at least one
    assert round_methods(Method(repeats=5), 1)[0].repeats == 5
    with pytest.raises(ValueError, match="`rounds` must be a positive integer, got 0"):
        Options(sides=("nn.GRU",), rounds=0)


def test_merge_rounds_takes_the_median_over_every_round():
    def record(side, repeats, status="ok", H=8):
        return {
            "workload": "inference", "loss": None, "B": 1, "T": 5, "I": 2, "H": H, "side": side,
            "status": status, "median_s": float(np.median(repeats)) if repeats else None,
            "repeats_s": repeats, "check_ok": True,
        }  # fmt: skip

    merged = merge_rounds(
        [
            record("a", [1.0, 2.0, 3.0]), record("b", [5.0]), record("a", [10.0, 11.0]),
            record("b", [], status="error"), record("a", [12.0], H=16),
        ]
    )  # fmt: skip
    by_key = {(r["side"], r["H"]): r for r in merged}
    assert len(merged) == 3
    assert by_key[("a", 8)]["repeats_s"] == [1.0, 2.0, 3.0, 10.0, 11.0]
    assert by_key[("a", 8)]["median_s"] == 3.0
    assert by_key[("b", 8)]["status"] == "error"  # a failure in any round is kept
    assert by_key[("a", 16)]["median_s"] == 12.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--peers", "tensorrt"], "`--peers` must be a comma-separated subset of cell, ort"),
        (["--only", "serving"], "`--only` must be a comma-separated subset of streaming"),
        (["--hidden-sizes", "8,0"], "`--hidden-sizes` must be comma-separated positive integers"),
        (["--repeats", "0"], "`--repeats` must be a positive int, got '0'"),
        (["--min-time", "soon"], "`--min-time` must be a positive float, got 'soon'"),
    ],
)
def test_cli_rejects_bad_arguments(argv, message, capsys):
    assert command.main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_markdown_renders_an_existing_result(tmp_path, capsys):
    path = tmp_path / "bench-1.json"
    path.write_text(json.dumps({"results": [], "created": "now"}))
    assert command.main(["--markdown", str(path)]) == 0
    assert "## grukit benchmark (now)" in capsys.readouterr().out
