"""The sine demo behind ``grukit demo`` (and ``make demo`` until the workflow demo lands)."""

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
    # a trained GRU must beat repeating the last value, one step ahead and over the rollout
    assert metrics["test_mse"] < 0.5 * metrics["persistence_mse"]
    assert metrics["rollout_mse"] < metrics["persistence_rollout_mse"]
    assert not list(tmp_path.glob("*.tmp*"))
