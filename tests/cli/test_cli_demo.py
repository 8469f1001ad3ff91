"""``grukit demo`` (``make demo``): the sine demo it starts with, and the whole quick demo."""

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


def test_quick_workflow_demo_writes_runs_and_report(tmp_path, capsys):
    import re

    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 0
    out = capsys.readouterr().out
    page = tmp_path / "report.html"
    assert f"Report written to {page.resolve()}" in out
    for model in ("gru", "persistence", "seasonal_naive"):
        assert model in out
    assert "Detection: precision" in out
    for run in ("forecast", "detect"):
        assert (tmp_path / run / "config.json").is_file()
        assert (tmp_path / run / "report.html").is_file()
    images = re.findall(r'<img src="([^"]+)"', page.read_text())
    assert images == [
        "sine_rollout.png",
        "forecast/plots/forecast_value.png",
        "forecast/plots/rmse_by_step_value.png",
        "detect/plots/anomalies.png",
    ]
    for image in images:
        assert (tmp_path / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    # a second demo into the same folder replaces its runs
    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 0


def test_the_demos_printed_commands_repeat_it_exactly(tmp_path, capsys):
    import json
    import shlex

    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 0
    printed = [line[2:] for line in capsys.readouterr().out.splitlines() if line.startswith("$ ")]
    assert [shlex.split(line)[:3] for line in printed] == [
        ["grukit", "train", "forecast"],
        ["grukit", "train", "detect"],
    ]
    for line, run in zip(printed, ("forecast", "detect"), strict=True):
        words = shlex.split(line)
        assert words[-2:] == ["--out", str(tmp_path / f"{run}-again")]
        assert main(words[1:]) == 0, capsys.readouterr().err  # as printed, in the same folder
        demo = json.loads((tmp_path / run / "metrics.json").read_text())
        again = json.loads((tmp_path / f"{run}-again" / "metrics.json").read_text())
        assert again == demo
