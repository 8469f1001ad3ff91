"""grukit train classify / predict / evaluate on texts and series files a newcomer writes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from support.classification import sentiment_texts, vital_signs
from support.cli import run

FAST = ["--hidden-size", "8", "--embedding-dim", "8", "--epochs", "3", "--lr", "0.01"]


@pytest.fixture(scope="module")
def reviews_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "reviews.csv"
    texts, labels = sentiment_texts(200)
    pd.DataFrame({"review": texts, "sentiment": labels}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def vitals_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("series") / "vitals.csv"
    vital_signs(120).rename(columns={"id": "patient", "time": "t", "label": "died"}).to_csv(
        path, index=False
    )
    return path


def test_train_classify_texts_writes_the_run_and_the_comparison(reviews_csv, tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys, "train", "classify", reviews_csv, "--text-column", "review",
        "--label-column", "sentiment", "--min-count", "1", "--pooling", "attention",
        "--out", out, *FAST,
    )  # fmt: skip
    assert code == 0, stderr
    for name in ("config.json", "model.safetensors", "metrics.json", "scores.csv", "run.json",
                 "attention.json"):  # fmt: skip
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["models"]) == {"gru", "tfidf_logistic", "majority"}
    assert metrics["n"] == 40  # the stratified 0.2 test part
    assert "tfidf_logistic" in stdout and "The GRU" in stdout
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns) == ["id", "label", "gru", "tfidf_logistic", "majority"]

    code, stdout, _ = run(capsys, "evaluate", out, reviews_csv)
    assert code == 0 and "the test part of" in stdout
    assert json.loads((out / "metrics.json").read_text())["n"] == 40
    code, stdout, _ = run(capsys, "evaluate", out, reviews_csv, "--all")
    assert code == 0 and json.loads((out / "metrics.json").read_text())["n"] == 200

    plain = tmp_path / "new.csv"
    pd.DataFrame({"review": ["good film", "awful plot"]}).to_csv(plain, index=False)
    code, stdout, _ = run(capsys, "predict", out, plain)
    assert code == 0
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["id", "predicted", "p_neg", "p_pos"]


def test_train_classify_series_with_streaming_risk(vitals_csv, tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys, "train", "classify", vitals_csv, "--id-column", "patient", "--time-column", "t",
        "--label-column", "died", "--horizon-hours", "24", "--threshold", "youden",
        "--out", out, *FAST,
    )  # fmt: skip
    assert code == 0, stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["models"]) == {"gru", "summary_logistic", "majority"}
    assert set(metrics["streaming_auc"]) == {"6", "12", "24", "48"}
    streaming = pd.read_csv(out / "streaming.csv")
    assert list(streaming.columns) == ["id", "label", "hours", "risk"]
    assert set(streaming["label"]) == {0, 1}
    code, _, _ = run(capsys, "report", out)
    assert code == 0 and (out / "report.html").is_file()


@pytest.mark.parametrize(
    ("rows", "options", "message"),
    [
        ({"review": ["good", ""], "sentiment": ["pos", "neg"]}, [], "row 1 is an empty text"),
        ({"review": ["good", "bad"]}, [], "no label column named label or sentiment"),
        ({"review": ["good", "bad"], "sentiment": ["pos", "pos"]}, [], "one class only"),
        (
            {"review": ["good", "bad"], "y": [1, 0]},
            ["--label-column", "mood"],
            "no label column 'mood'",
        ),
    ],
)
def test_bad_text_files_get_one_line_and_exit_2(rows, options, message, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    code, _, stderr = run(capsys, "train", "classify", path, "--out", tmp_path / "r", *options)
    assert code == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_bad_series_files_get_one_line(vitals_csv, tmp_path, capsys):
    frame = pd.read_csv(vitals_csv)
    frame.loc[frame["patient"] == 7, "died"] = None
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    code, _, stderr = run(
        capsys, "train", "classify", path, "--id-column", "patient", "--label-column", "died",
        "--time-column", "t", "--out", tmp_path / "r",
    )  # fmt: skip
    assert code == 2 and "series 7 has no label in 'died'" in stderr


def test_evaluate_refuses_to_score_the_training_data_of_a_run_with_test_data(
    reviews_csv, tmp_path, capsys
):
    held_out = tmp_path / "held_out.csv"
    texts, labels = sentiment_texts(60, seed=5)
    pd.DataFrame({"review": texts, "sentiment": labels}).to_csv(held_out, index=False)
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys, "train", "classify", reviews_csv, "--test", held_out, "--min-count", "1",
        "--out", out, *FAST,
    )  # fmt: skip
    assert code == 0, stderr
    assert json.loads((out / "metrics.json").read_text())["n"] == 60
    code, _, stderr = run(capsys, "evaluate", out, reviews_csv)
    assert code == 2 and "is the run's training data; its test data was --test" in stderr
    code, stdout, _ = run(capsys, "evaluate", out, held_out)
    assert code == 0 and "all of" in stdout


def test_several_data_paths_are_one_training_set(tmp_path, capsys):
    paths = []
    for seed in (1, 2):
        texts, labels = sentiment_texts(100, seed=seed)
        paths.append(tmp_path / f"part{seed}.csv")
        pd.DataFrame({"review": texts, "sentiment": labels}).to_csv(paths[-1], index=False)
    out = tmp_path / "run"
    code, _, stderr = run(
        capsys, "train", "classify", *paths, "--min-count", "1", "--out", out, *FAST
    )
    assert code == 0, stderr
    assert json.loads((out / "metrics.json").read_text())["n"] == 40  # 0.2 of the 200
    assert json.loads((out / "run.json").read_text())["options"]["data"] == [
        str(p.resolve()) for p in paths
    ]
    code, stdout, _ = run(capsys, "evaluate", out, *paths[:1])
    assert code == 0 and "all of" in stdout
    code, _, stderr = run(
        capsys, "train", "classify", *paths, "--outcomes", paths[0], "--out", tmp_path / "r2"
    )
    assert code == 2 and "give --outcomes once per DATA path: 2 paths, 1 outcomes" in stderr


def test_an_ensemble_run(reviews_csv, tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, stderr = run(
        capsys, "train", "classify", reviews_csv, "--min-count", "1", "--ensemble", "2",
        "--out", out, *FAST,
    )  # fmt: skip
    assert code == 0, stderr
    assert "Trained 2 networks (best epochs [3, 3])" in stdout
    assert (out / "checkpoints" / "member-1").is_dir()
    code, stdout, _ = run(capsys, "evaluate", out, reviews_csv)
    assert code == 0 and "the test part of" in stdout


def test_an_unknown_physionet_parameter_names_the_cli_remedy(tmp_path, capsys):
    records = tmp_path / "set-x"
    records.mkdir()
    (records / "132539.txt").write_text(
        "Time,Parameter,Value\n00:00,RecordID,132539\n00:00,Age,54\n00:00,Gender,0\n"
        "00:00,Height,-1\n00:00,ICUType,4\n00:00,Weight,-1\n00:07,HR,73\n10:45,,1.9\n"
    )
    code, _, stderr = run(capsys, "train", "classify", records, "--out", tmp_path / "r")
    assert code == 2 and "132539.txt line 9: unknown parameter ''" in stderr
    assert "--unknown drop leaves such a parameter out" in stderr
