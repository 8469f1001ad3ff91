"""benchmarks/seq2seq_decoding.py: the smoke run measures both modes and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "seq2seq_decoding.py"


def _module():
    spec = importlib.util.spec_from_file_location("seq2seq_decoding", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_times_greedy_and_beam(tmp_path, capsys) -> None:
    module = _module()
    out = tmp_path / "decoding.json"
    assert module.main(["--quick", "--beam", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| batched |" in printed and "| single |" in printed
    document = json.loads(out.read_text())
    assert document["schema"] == "grukit-seq2seq-decoding/1"
    for row in document["rows"]:
        assert row["greedy_ms"] > 0 and row["beam_ms"] > 0 and row["beam"] == 3
        assert row["ratio"] == pytest.approx(row["beam_ms"] / row["greedy_ms"])


def test_bad_arguments_get_one_line(capsys) -> None:
    module = _module()
    assert module.main(["--beam", "0", "--quick"]) == 2
    assert "--beam" in capsys.readouterr().err
    assert module.main([]) == 2
    assert "--run" in capsys.readouterr().err
