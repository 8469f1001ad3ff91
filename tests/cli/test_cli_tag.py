"""grukit train tag / evaluate / predict / report on CoNLL files a newcomer writes, and the one-line
refusals of bad ones."""

from __future__ import annotations

import json

import pytest

from grukit.text import read_conll, synthetic_entities, write_conll
from support.cli import run

FAST = ["--hidden-size", "16", "--embedding-dim", "16", "--char-hidden", "8", "--epochs", "6",
        "--lr", "0.005", "--batch-size", "16"]  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conll")
    paths = {}
    for name, count, seed in (("train", 200, 0), ("valid", 40, 1), ("test", 50, 2)):
        sentences = synthetic_entities(count, seed=seed).to_scheme("IOB1")  # as CoNLL-2003
        paths[name] = write_conll(sentences, folder / f"eng.{name}")
    return paths


@pytest.fixture(scope="module")
def trained(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tagger"
    from grukit.cli import main

    code = main(["train", "tag", str(files["train"]), "--validation", str(files["valid"]),
                 "--test", str(files["test"]), "--out", str(out), *FAST])  # fmt: skip
    assert code == 0
    return out


def test_train_tag_writes_the_run_and_the_comparison(trained) -> None:
    for name in ("config.json", "model.safetensors", "metrics.json", "examples.json", "run.json"):
        assert (trained / name).is_file(), name
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["task"] == "sequence_tagger" and metrics["scheme"] == "IOB1"
    assert set(metrics["models"]) == {"gru", "most_frequent_tag"}
    assert metrics["sentences"] == 50
    assert set(metrics["models"]["gru"]["per_type"]) == {"LOC", "ORG", "PER"}
    assert metrics["confusion"]["types"][-1] == "O"
    examples = json.loads((trained / "examples.json").read_text())["examples"]
    assert examples and all(len(e["tokens"]) == len(e["predicted"]) for e in examples)


def test_evaluate_predict_and_report(trained, files, tmp_path, capsys) -> None:
    code, stdout, stderr = run(capsys, "evaluate", trained, files["test"])
    assert code == 0, stderr
    assert "most_frequent_tag" in stdout and "The GRU" in stdout and "PER" in stdout
    assert json.loads((trained / "metrics.json").read_text())["sentences"] == 50

    text = tmp_path / "sentences.txt"
    text.write_text("Kalomi Ranvel flew to Sadorri on Monday .\nShares of Tesga Bank rose .\n")
    output = tmp_path / "tags.conll"
    code, stdout, stderr = run(capsys, "predict", trained, text, "--output", output)
    assert code == 0, stderr
    predicted = read_conll(output)
    assert [len(t) for t in predicted.tokens] == [8, 6]
    assert predicted.tokens[0][0] == "Kalomi"

    code, stdout, stderr = run(capsys, "predict", trained, files["test"])
    assert code == 0, stderr
    written = read_conll(trained / "predictions.conll", label_column=-1)
    gold = read_conll(trained / "predictions.conll", label_column=1)
    assert written.tokens == gold.tokens and len(written) == 50

    code, stdout, stderr = run(capsys, "report", trained)
    assert code == 0, stderr
    assert (trained / "report.html").is_file()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("EU\nrejects\n\nGerman\n", "one column"),
        ("EU B-ORG\nrejects\n", "has 1 column, expected 2"),
        ("", "is empty"),
        ("EU S-ORG\nrejects O\n\nGerman I-MISC\ncall O\n", "mix"),
    ],
)
def test_bad_files_get_one_line(content, message, tmp_path, capsys) -> None:
    path = tmp_path / "bad.conll"
    path.write_text(content)
    code, stdout, stderr = run(capsys, "train", "tag", path, "--out", tmp_path / "run", *FAST)
    assert code == 2
    assert message in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_an_unknown_type_in_strict_mode_is_refused(trained, tmp_path, capsys) -> None:
    path = tmp_path / "other.conll"
    path.write_text("Paris I-LOC\nis O\nnice O\n\nWindows I-PRODUCT\ncrashed O\n")
    code, _, stderr = run(capsys, "evaluate", trained, path)
    assert code == 2 and "PRODUCT" in stderr and "Traceback" not in stderr


def test_the_documented_conll_config_is_read(files, tmp_path, capsys) -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "conll2003.toml"
    out = tmp_path / "run"
    code, _, stderr = run(capsys, "train", "tag", files["train"], "--validation", files["valid"],
                          "--config", example, "--out", out, *FAST, "--epochs", "2")  # fmt: skip
    assert code == 0, stderr
    config = json.loads((out / "config.json").read_text())["params"]["train_config"]
    assert (config["schedule"], config["epochs"], config["batch_size"]) == ("cosine", 2, 16)
    assert config["min_learning_rate"] == 1e-4 and config["learning_rate"] == 0.005


def test_a_hand_written_tab_separated_file(tmp_path, capsys) -> None:
    sentences = [
        "Anna\tB-PER\nlives\tO\nin\tO\nOslo\tB-LOC\n.\tO\n",
        "Acme\tB-ORG\nCorp\tI-ORG\nhired\tO\nAnna\tB-PER\n",
        "Oslo\tB-LOC\nis\tO\ncold\tO\n",
    ]
    path = tmp_path / "mine.tsv"
    path.write_text("\n".join(sentences * 10))  # blank lines between sentences
    out = tmp_path / "run"
    code, stdout, stderr = run(capsys, "train", "tag", path, "--out", out, *FAST)
    assert code == 0, stderr
    assert "(IOB2; types LOC, ORG, PER)" in stdout
    metrics = json.loads((out / "metrics.json").read_text())  # scored on the validation part
    assert metrics["sentences"] == 3 and metrics["scheme"] == "IOB2"
    text = tmp_path / "new.txt"
    text.write_text("Anna lives in Oslo .\n")
    code, stdout, stderr = run(capsys, "predict", out, text)
    assert code == 0, stderr
    assert read_conll(out / "predictions.conll").tokens == [["Anna", "lives", "in", "Oslo", "."]]
