"""Options: every TOML value has its command-line type, and the CLI has the tasks' GRU sizes."""

from __future__ import annotations

import json
import re

import pytest

from grukit._version import __version__
from grukit.cli import main
from support.cli import FAST, run, seasonal_csv

BASE = 'target = "a"\nhorizon = 3\nhidden_size = 4\nepochs = 1\n'


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("lookback = 12.7", "`lookback` must be an integer, got 12.7"),
        ("lookback = true", "`lookback` must be an integer, got True"),
        ('resume = "no"', "`resume` must be True or False, got 'no'"),
        ("bidirectional = 1", "`bidirectional` must be True or False, got 1"),
        ('test_fraction = "x"', "`test_fraction` must be a finite number, got 'x'"),
        ('dropout = "0.1"', "`dropout` must be a finite number, got '0.1'"),
        ("fill = 3", "`fill` must be text, got 3"),
        ("covariates = [1, 2]", "`covariates` must be text or a list of column names, got [1, 2]"),
    ],
)
def test_a_toml_value_of_the_wrong_type_is_refused_naming_the_file(tmp_path, capsys, line,
                                                                   expected):  # fmt: skip
    config = tmp_path / "run.toml"
    config.write_text(BASE + ("" if line.startswith("lookback") else "lookback = 12\n") + line)
    out = tmp_path / "run"
    code, _, stderr = run(capsys, "train", "forecast", seasonal_csv(tmp_path), "--config", config,
                          "--out", out)  # fmt: skip
    assert code == 2 and stderr.strip() == f"error: configuration file '{config}': {expected}"
    assert not out.exists()


def test_toml_takes_every_option_and_refuses_arguments_and_unknown_keys(tmp_path, capsys):
    data = seasonal_csv(tmp_path)
    config = tmp_path / "run.toml"
    config.write_text(
        BASE + "lookback = 12\nnum-layers = 2\ndropout = 0.25\nbidirectional = true\n"
        "test_from = 2021-01-07\nresume = false\nthreads = 1\n"
    )
    out = tmp_path / "run"
    code, _, stderr = run(capsys, "train", "forecast", data, "--config", config, "--out", out)
    assert code == 0, stderr
    params = json.loads((out / "config.json").read_text())["params"]
    assert (params["num_layers"], params["dropout"], params["bidirectional"]) == (2, 0.25, True)
    assert json.loads((out / "run.json").read_text())["options"]["test_from"] == "2021-01-07"
    # the command line wins, also a flag turned off
    code, _, _ = run(capsys, "train", "forecast", data, "--config", config, "--no-bidirectional",
                     "--out", tmp_path / "off")  # fmt: skip
    assert code == 0
    assert (
        json.loads((tmp_path / "off" / "config.json").read_text())["params"]["bidirectional"]
        is False
    )
    for line in ('data = "other.csv"', "lookback = 12\nlookback-x = 1"):
        config.write_text(BASE + line + "\n")
        code, _, stderr = run(capsys, "train", "forecast", data, "--config", config, "--out",
                              tmp_path / "never")  # fmt: skip
        assert (
            code == 2
            and "has unknown option(s)" in stderr
            and "valid options: batch_size," in stderr
        )
        assert "resume" in stderr and "'data'" not in stderr.split("valid options:")[1]
    config.write_text(BASE + "lookback = 12\nhidden-size = 8\n")
    code, _, stderr = run(capsys, "train", "forecast", data, "--config", config, "--out",
                          tmp_path / "never")  # fmt: skip
    assert code == 2 and "gives option 'hidden_size' twice" in stderr


def test_dropout_bidirectional_and_num_layers_reach_the_forecaster(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, stderr = run(capsys, "train", "forecast", seasonal_csv(tmp_path), "--target", "a",
                          "--lookback", "12", "--horizon", "3", "--num-layers", "2", "--dropout",
                          "0.3", "--bidirectional", "--out", out, *FAST)  # fmt: skip
    assert code == 0, stderr
    params = json.loads((out / "config.json").read_text())["params"]
    assert (params["num_layers"], params["dropout"], params["bidirectional"]) == (2, 0.3, True)


def test_version_and_readable_help(capsys):
    code, stdout, _ = run(capsys, "--version")
    assert code == 0 and stdout.strip() == f"grukit {__version__}"
    code, stdout, _ = run(capsys, "train", "forecast", "--help")
    assert code == 0
    assert "<bool>" not in stdout
    text = " ".join(stdout.split())
    assert "[train] and [gru] tables" in text
    for option in ("--dropout <float>", "--bidirectional / --no-bidirectional", "--num-layers"):
        assert option in text
    assert re.search(r"--resume Continue", text)
    assert main(["train", "detect", "--help"]) == 0
    assert "--num-layers" in capsys.readouterr().out
