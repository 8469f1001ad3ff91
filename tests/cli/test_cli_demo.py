"""``grukit demo`` (``make demo``): the sine demo it starts with, and the whole quick demo."""

import pytest

from grukit.cli import main


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "demo" in out


def test_sine_demo_trains_beats_persistence_and_writes_plot(tmp_path, capsys):
    from grukit.cli.demo import run_sine_demo

    lines: list[str] = []
    metrics = run_sine_demo(out=tmp_path, seed=0, epochs=15, echo=lines.append)
    plot = tmp_path / "sine_rollout.png"
    assert plot.exists() and plot.stat().st_size > 10_000
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(str(plot.resolve()) in line for line in lines)
    assert lines[0] == "Training GRU(32) + Linear on 990 sine windows of length 10 ..."
    epoch_lines = [line for line in lines if line.startswith("  epoch ")]
    assert [line[:16] for line in epoch_lines] == [
        "  epoch   1/15  ",
        "  epoch  10/15  ",
        "  epoch  15/15  ",
    ]
    assert all("  train MSE " in line for line in epoch_lines)
    # a trained GRU must beat repeating the last value, one step ahead and over the rollout
    assert metrics["test_mse"] < 0.5 * metrics["persistence_mse"]
    assert metrics["rollout_mse"] < metrics["persistence_rollout_mse"]
    assert not list(tmp_path.glob("*.tmp*"))


RUNS = ("forecast", "detect", "icu", "sentiment", "entities", "generate", "seq2seq")


def test_quick_workflow_demo_writes_runs_and_report(tmp_path, capsys):
    import json
    import re

    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 0
    out = capsys.readouterr().out
    page = tmp_path / "report.html"
    assert f"Report written to {page.resolve()}" in out
    for model in ("gru", "persistence", "seasonal_naive", "summary_logistic", "tfidf_logistic"):
        assert model in out
    assert "Detection: precision" in out
    assert "ICU risk (24 test stays, 5 deaths): " in out
    assert "ICU risk: the GRU's streaming ROC-AUC after 6 h " in out
    assert "Sentiment: " in out and " wins on accuracy: " in out
    assert "Entities (40 test sentences): " in out and " on entity F1" in out
    assert "validation characters): the GRU " in out and "A sample of 200 characters" in out
    assert "Dates (500 test dates): the GRU encoder-decoder " in out
    assert "'21 November 2026'" in out
    entities = json.loads((tmp_path / "entities" / "metrics.json").read_text())
    assert set(entities["models"]) == {"gru", "most_frequent_tag"}
    assert entities["scheme"] == "IOB1"
    for run in RUNS:
        assert (tmp_path / run / "config.json").is_file()
        assert (tmp_path / run / "report.html").is_file()
    # the stays in the PhysioNet format, as ``train classify RECORDS --outcomes`` reads them
    records = sorted(p.name for p in (tmp_path / "icu-stays").glob("3*.txt"))
    assert len(records) == 120 and records[0] == "300001.txt"
    outcomes = (tmp_path / "icu-stays" / "Outcomes.txt").read_text().splitlines()
    assert outcomes[0].startswith("RecordID,") and len(outcomes) == 121
    icu = json.loads((tmp_path / "icu" / "metrics.json").read_text())
    assert set(icu["models"]) == {"gru", "summary_logistic", "majority"}
    assert set(icu["streaming_auc"]) == {"6", "12", "24", "48"}
    assert (tmp_path / "icu" / "streaming.csv").is_file()
    sentiment = json.loads((tmp_path / "sentiment" / "metrics.json").read_text())
    assert set(sentiment["models"]) == {"gru", "tfidf_logistic", "majority"}
    attention = json.loads((tmp_path / "sentiment" / "attention.json").read_text())
    assert attention["examples"] and attention["examples"][0]["tokens"]
    text = page.read_text()
    headings = re.findall(r"<h2>(\d)\. ", text)
    assert headings == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert text.count('class="attention"') == 1  # one review's attention on the demo's page
    assert re.findall(r'<a href="([^"]+)"', text) == [f"{run}/report.html" for run in RUNS]
    images = re.findall(r'<img src="([^"]+)"', text)
    assert images == [
        "sine_rollout.png",
        "forecast/plots/forecast_value.png",
        "forecast/plots/rmse_by_step_value.png",
        "detect/plots/anomalies.png",
        "icu/plots/roc.png",
        "icu/plots/risk_over_time.png",
        "sentiment/plots/roc.png",
        "entities/plots/entity_confusion.png",
        "generate/plots/learning_curves.png",
        "seq2seq/plots/attention_1.png",
    ]
    for image in images:
        assert (tmp_path / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    # a second demo into the same folder replaces its runs and its stays (a stale record too)
    (tmp_path / "icu-stays" / "399999.txt").write_text("Time,Parameter,Value\n")
    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 0
    assert not (tmp_path / "icu-stays" / "399999.txt").exists()
    assert len(list((tmp_path / "icu-stays").glob("3*.txt"))) == 120


def test_the_demos_printed_commands_repeat_it_exactly(tmp_path, capsys):
    import json
    import shlex

    from grukit.cli.workflow_demo import run_demo

    lines: list[str] = []
    numbers = run_demo(out=tmp_path, quick=True, echo=lines.append)
    for part, key in (("icu", "roc_auc"), ("sentiment", "accuracy")):
        assert set(numbers[part][key]) >= {"gru", "majority"}
        assert all(0 <= value <= 1 for value in numbers[part][key].values())
    assert list(numbers["icu"]["streaming_auc"]) == ["6", "12", "24", "48"]
    printed = [line[2:] for line in lines if line.startswith("$ ")]
    assert [shlex.split(line)[:3] for line in printed] == [
        ["grukit", "train", "forecast"],
        ["grukit", "train", "detect"],
        ["grukit", "train", "classify"],
        ["grukit", "train", "classify"],
        ["grukit", "train", "tag"],
        ["grukit", "train", "generate"],
        ["grukit", "train", "seq2seq"],
    ]
    assert "--outcomes" in shlex.split(printed[2]) and "--horizon-hours" in shlex.split(printed[2])
    assert shlex.split(printed[3])[3:6] == [str(tmp_path / "reviews.csv"), "--pooling", "attention"]
    for line, run in zip(printed, RUNS, strict=True):
        words = shlex.split(line)
        assert words[-2:] == ["--out", str(tmp_path / f"{run}-again")]
        assert main(words[1:]) == 0, capsys.readouterr().err  # as printed, in the same folder
        demo = json.loads((tmp_path / run / "metrics.json").read_text())
        again = json.loads((tmp_path / f"{run}-again" / "metrics.json").read_text())
        assert again == demo


@pytest.mark.slow
def test_the_full_demos_classifiers_learn_and_their_risk_grows_with_the_hours(tmp_path):
    """Parts 4 and 5 with the full demo's settings (about 10 s): numbers a newcomer sees."""
    from grukit.cli.classify_demo import classification_numbers, icu_part, sentiment_part
    from grukit.cli.workflow_demo import _settings

    settings = _settings(quick=False)
    icu_run = icu_part(tmp_path, 0, settings, lambda line: None)
    sentiment_run = sentiment_part(tmp_path, 0, settings, lambda line: None)
    numbers = classification_numbers(icu_run, sentiment_run)
    icu, sentiment = numbers["icu"], numbers["sentiment"]
    assert (icu["stays"], icu["deaths"]) == (120, 24)
    assert icu["roc_auc"]["gru"] > 0.85 and icu["roc_auc"]["summary_logistic"] > 0.85
    streaming = list(icu["streaming_auc"].values())
    assert 0.5 < streaming[0] < streaming[2] < streaming[3]  # 6 h < 24 h < 48 h
    assert streaming[3] == pytest.approx(icu["roc_auc"]["gru"], abs=0.01)  # 48 h: the stay
    assert sentiment["accuracy"]["gru"] > 0.9
    assert sentiment["accuracy"]["gru"] > sentiment["accuracy"]["tfidf_logistic"] + 0.05


def test_the_generation_part_beats_the_unigram_baseline_on_grukits_docstrings(tmp_path):
    """Part 7 with the quick demo's settings: a character GRU on a slice of the docstrings."""
    from grukit.cli.generate_demo import generation_numbers, generation_part
    from grukit.cli.workflow_demo import _settings

    lines: list[str] = []
    run = generation_part(tmp_path, 0, _settings(quick=True), lines.append)
    numbers = generation_numbers(run)
    bits = numbers["bits_per_character"]
    assert bits["gru"] < bits["unigram"] - 0.5
    assert numbers["characters"] > 1500 and len(numbers["sample"]) == 200
    assert numbers["sample"] in lines  # the printed sample is the one a seed repeats
    assert (tmp_path / "docstrings.txt").stat().st_size >= 19_000
    assert (run / "report.html").is_file()


def test_the_full_seq2seq_part_normalises_dates_exactly(tmp_path):
    """Part 8 with the full demo's settings (about 15 s): at least 99 % of the 500 test dates
    come out exactly right, and the four printed examples are right."""
    from grukit.cli.translate_demo import EXAMPLES, seq2seq_numbers, seq2seq_part
    from grukit.cli.workflow_demo import _settings

    lines: list[str] = []
    run = seq2seq_part(tmp_path, 0, _settings(quick=False), lines.append)
    numbers = seq2seq_numbers(run)
    assert numbers["sentences"] == 500
    assert numbers["exact_match"] >= 0.99
    assert numbers["copy_exact_match"] == 0.0
    assert list(numbers["examples"]) == list(EXAMPLES)
    assert list(numbers["examples"].values()) == [
        "2026-11-21",
        "2026-11-21",
        "2001-02-03",
        "2026-11-21",
    ]
    assert (run / "report.html").is_file() and (run / "plots" / "attention_1.png").is_file()
