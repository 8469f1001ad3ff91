"""grukit train seq2seq / translate / evaluate / predict / report on parallel files a newcomer
writes (two gzip files, a TSV), and the one-line refusals of bad input."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from support.cli import run

FAST = ["--tokens", "word", "--embedding-dim", "16", "--hidden-size", "16", "--epochs", "25",
        "--batch-size", "8", "--lr", "0.01", "--dropout", "0", "--threads", "1",
        "--beam", "2"]  # fmt: skip
NUMBERS = {"eins": "one", "zwei": "two", "drei": "three", "vier": "four", "fünf": "five"}


def _pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """Sequences of German number words and their English words, in the same order."""
    rng = random.Random(seed)
    words = list(NUMBERS)
    pairs = []
    for _ in range(count):
        chosen = [rng.choice(words) for _ in range(rng.randint(2, 6))]
        pairs.append((" ".join(chosen), " ".join(NUMBERS[w] for w in chosen)))
    return pairs


def _write(folder, name: str, pairs: list[tuple[str, str]]):
    source, target = folder / f"{name}.de.gz", folder / f"{name}.en.gz"
    with gzip.open(source, "wt", encoding="utf-8") as handle:
        handle.write("".join(s + "\n" for s, _ in pairs))
    with gzip.open(target, "wt", encoding="utf-8") as handle:
        handle.write("".join(t + "\n" for _, t in pairs))
    return source, target


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parallel")
    return {
        "train": _write(folder, "train", _pairs(300, 0)),
        "val": _write(folder, "val", _pairs(40, 1)),
        "test": _write(folder, "test", _pairs(40, 2)),
        "folder": folder,
    }


@pytest.fixture(scope="module")
def s2s_run(corpus, tmp_path_factory):
    from grukit.cli import main

    out = tmp_path_factory.mktemp("runs") / "numbers"
    train, val, test = corpus["train"], corpus["val"], corpus["test"]
    code = main(["train", "seq2seq", str(train[0]), str(train[1]), "--validation", str(val[0]),
                 str(val[1]), "--test", str(test[0]), str(test[1]), "--attention",
                 "--out", str(out), *FAST])  # fmt: skip
    assert code == 0
    return out


def test_training_scores_the_test_pairs_and_bleu_is_sacrebleus(s2s_run, corpus) -> None:
    import sacrebleu

    record = json.loads((s2s_run / "metrics.json").read_text())
    gru = record["models"]["gru"]
    assert record["part"] == "test" and record["sentences"] == 40
    hypotheses = (s2s_run / "hypotheses.txt").read_text(encoding="utf-8").splitlines()
    with gzip.open(corpus["test"][1], "rt", encoding="utf-8") as handle:
        references = [line.strip() for line in handle]
    assert len(hypotheses) == len(references) == 40
    assert gru["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hypotheses, [references]).score)
    assert gru["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hypotheses, [references]).score)
    assert "version:" in gru["bleu_signature"]
    exact = sum(h == r for h, r in zip(hypotheses, references, strict=True)) / 40
    assert gru["exact_match"] == pytest.approx(exact)
    assert exact >= 0.9  # word-for-word number translation is learnt
    assert record["beats_baseline"] is True
    assert record["models"]["copy_source"]["bleu"] < gru["bleu"]
    attention = json.loads((s2s_run / "attention.json").read_text())["examples"][0]
    assert len(attention["weights"]) == len(attention["target"])
    assert len(attention["weights"][0]) == len(attention["source"])


def test_translate_a_sentence_and_a_file(s2s_run, tmp_path, capsys) -> None:
    code, stdout, stderr = run(capsys, "translate", s2s_run, "drei eins")
    assert code == 0, stderr
    assert stdout.strip() == "three one"
    code, stdout, _ = run(capsys, "translate", s2s_run, "zwei vier", "--beam", "1")
    assert code == 0 and stdout.strip() == "two four"
    lines = tmp_path / "input.txt"
    lines.write_text("eins\nfünf zwei\n", encoding="utf-8")
    output = tmp_path / "hyp.en"
    code, stdout, stderr = run(capsys, "translate", s2s_run, "--input", lines, "--output", output)
    assert code == 0, stderr
    assert output.read_text(encoding="utf-8") == "one\nfive two\n"


def test_evaluate_two_files_and_a_tsv(s2s_run, corpus, tmp_path, capsys) -> None:
    test = corpus["test"]
    code, stdout, stderr = run(capsys, "evaluate", s2s_run, test[0], test[1])
    assert code == 0, stderr
    assert "evaluation BLEU" in stdout and "signature" in stdout
    table = tmp_path / "pairs.tsv"
    table.write_text("source\ttarget\n" + "".join(f"{s}\t{t}\n" for s, t in _pairs(10, 5)),
                     encoding="utf-8")  # fmt: skip
    code, stdout, stderr = run(capsys, "evaluate", s2s_run, table)
    assert code == 0, stderr
    assert "10 sentences" in stdout
    code, stdout, stderr = run(capsys, "predict", s2s_run, table)
    assert code == 2 and "grukit translate" in stderr


def test_report_has_the_scores_and_attention(s2s_run, capsys) -> None:
    code, stdout, stderr = run(capsys, "report", s2s_run)
    assert code == 0, stderr
    page = (s2s_run / "report.html").read_text(encoding="utf-8")
    assert "BLEU" in page and "version:" in page
    assert list((s2s_run / "plots").glob("attention*.png"))


def test_a_tsv_trains_too(tmp_path, capsys) -> None:
    table = tmp_path / "pairs.tsv"
    table.write_text("".join(f"{s}\t{t}\n" for s, t in _pairs(120, 3)), encoding="utf-8")
    out = tmp_path / "run"
    code, stdout, stderr = run(capsys, "train", "seq2seq", table, "--out", out,
                               "--no-attention", *FAST[:-6], "--epochs", "2")  # fmt: skip
    assert code == 0, stderr
    assert "without attention" in stdout
    assert not (out / "attention.json").exists()


def _one_line_error(code: int, stderr: str) -> str:
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_bad_inputs_get_one_line(s2s_run, corpus, tmp_path, capsys) -> None:
    train = corpus["train"]
    short = tmp_path / "short.en"
    short.write_text("one\ntwo\n", encoding="utf-8")
    code, _, stderr = run(capsys, "train", "seq2seq", train[0], short, "--out", tmp_path / "r")
    message = _one_line_error(code, stderr)
    assert "lines" in message and not (tmp_path / "r").exists()
    empty = tmp_path / "empty.de"
    empty.write_text("eins\n\n", encoding="utf-8")
    code, _, stderr = run(capsys, "train", "seq2seq", empty, short, "--out", tmp_path / "r")
    assert "empty" in _one_line_error(code, stderr)
    code, _, stderr = run(capsys, "translate", s2s_run, "eins", "--beam", "0")
    assert "--beam" in _one_line_error(code, stderr)
    long_sentence = " ".join(["eins"] * 150)
    code, _, stderr = run(capsys, "translate", s2s_run, long_sentence)
    assert "max_length" in _one_line_error(code, stderr)
    code, _, stderr = run(capsys, "translate", s2s_run)
    assert "--input" in _one_line_error(code, stderr)
    code, _, stderr = run(capsys, "evaluate", s2s_run, train[0], short)
    assert "lines" in _one_line_error(code, stderr)


def test_pair_options_take_two_files_after_validation_and_test() -> None:
    from grukit.cli.translate_entry import pair_options

    argv = ["train", "seq2seq", "a.de", "a.en", "--validation", "v.de", "v.en", "--test",
            "t.de", "t.en", "--out", "r"]  # fmt: skip
    assert pair_options(argv) == ["train", "seq2seq", "a.de", "a.en", "--validation", "v.de",
                                  "--validation-target", "v.en", "--test", "t.de",
                                  "--test-target", "t.en", "--out", "r"]  # fmt: skip
    table = ["train", "seq2seq", "--validation", "v.tsv", "a.tsv", "--out", "r"]
    assert pair_options(table) == table  # a table holds both sides: a.tsv is DATA
    alone = ["train", "seq2seq", "a.tsv", "--validation", "v.de", "--epochs", "2"]
    assert pair_options(alone) == alone  # an option follows: no second file
    other = ["evaluate", "run", "--validation", "x", "y"]
    assert pair_options(other) == other
