"""``grukit bench``: the command hands over to the benchmark harness, or says how to get it."""

from __future__ import annotations

import importlib
import sys

import pytest

from grukit.cli import main


def test_bench_without_the_harness_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "grukit_bench", None)  # as if it were not installed
    assert main(["bench", "--quick"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "error: the benchmark harness is not installed: from a grukit checkout run "
        "`make bench` or `pip install -e benchmarks`\n"
    )


def test_bench_with_a_broken_harness_shows_the_real_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "grukit_bench.command", None)
    importlib.import_module("grukit_bench")  # the dev environment has it (Makefile)
    with pytest.raises(ImportError, match="grukit_bench.command"):
        main(["bench", "--quick"])


def test_bench_hands_the_raw_arguments_to_the_harness(monkeypatch):
    harness = importlib.import_module("grukit_bench")
    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 1

    monkeypatch.setattr(harness, "main", fake_main)
    assert main(["bench", "--quick", "--peers", "none"]) == 1
    assert seen == [["--quick", "--peers", "none"]]
