"""The engine registry: names, lookup, and clear errors for unknown or missing engines."""

from __future__ import annotations

import pytest

import grukit.engines
from grukit.engines import ENGINES, get_engine, unsupported_reason


def test_engine_names_and_modules():
    assert ENGINES == ("torch", "native", "fused")
    for name in ("torch", "native"):
        engine = get_engine(name)
        assert callable(engine.gru_layer)
    assert unsupported_reason(get_engine("torch"), reset_after=False, layer_norm=True) is None
    assert unsupported_reason(get_engine("native"), reset_after=False) == (
        "reset_after=False: torch.nn.GRU only implements reset-after"
    )
    assert unsupported_reason(get_engine("native"), go_backwards=True) is None


def test_unknown_engine():
    with pytest.raises(
        ValueError, match="`engine` must be one of 'torch', 'native', 'fused', got 'cuda'"
    ):
        get_engine("cuda")


def test_missing_engine_module(monkeypatch):
    monkeypatch.setitem(grukit.engines._MODULES, "fused", "grukit.engines._not_there")
    with pytest.raises(
        ValueError, match="engine 'fused' is not available: module grukit.engines._not_there"
    ):
        get_engine("fused")


def test_engine_module_without_gru_layer(monkeypatch):
    monkeypatch.setitem(grukit.engines._MODULES, "fused", "grukit.nn._validation")
    with pytest.raises(ValueError, match="engine 'fused' is not available: .* has no gru_layer"):
        get_engine("fused")
