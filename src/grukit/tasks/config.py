"""`GRUConfig`: the cell options of a task's recurrent layers (no PyTorch import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from grukit import checks

__all__ = ["GRUConfig"]

_INITS = ("torch", "keras")
_ENGINES = ("auto", "torch", "native", "fused")


@dataclass(frozen=True)
class GRUConfig:
    """Cell options passed to every :class:`grukit.GRU` a task builds.

    The sizes (``hidden_size``, ``num_layers``, ``bidirectional``, ``dropout``) are arguments of
    the task itself; this holds the cell's formulation and regularisation. See
    ``docs/architecture.md`` for the equations of each option.

    Examples
    --------
    >>> from grukit.tasks import GRUConfig
    >>> config = GRUConfig(layer_norm=True, zoneout=0.1)
    >>> GRUConfig.from_dict(config.to_dict()) == config
    True
    >>> GRUConfig(zoneout=1.5)
    Traceback (most recent call last):
    ...
    ValueError: `zoneout` must be a probability in [0, 1), got 1.5
    """

    reset_after: bool = True  # PyTorch/cuDNN/Keras formulation; False: Cho et al. 2014
    bias: bool = True
    recurrent_dropout: float = 0.0  # Gal & Ghahramani mask on h_{t-1} (training only)
    zoneout: float = 0.0  # Krueger et al.; eval uses the expectation
    layer_norm: bool = False  # Haste's LayerNormGRU (gains only)
    init: str = "torch"  # "torch" (PyTorch defaults) | "keras" (glorot, orthogonal, zeros)
    engine: str = "auto"  # "auto" | "torch" | "native" | "fused"

    def __post_init__(self) -> None:
        # every field is checked, so a JSON file read by from_dict obeys the constructor's rules
        for name in ("reset_after", "bias", "layer_norm"):
            object.__setattr__(self, name, checks.flag(name, getattr(self, name)))
        for name in ("recurrent_dropout", "zoneout"):
            object.__setattr__(self, name, checks.probability(name, getattr(self, name)))
        for name, options in (("init", _INITS), ("engine", _ENGINES)):
            checks.choice(name, getattr(self, name), options)

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-safe dict (the keyword arguments of :class:`grukit.GRU`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> GRUConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error listing the valid ones."""
        if not isinstance(values, Mapping):
            raise ValueError(f"a GRUConfig must be built from a mapping, got {type(values)}")
        valid = [field.name for field in fields(cls)]
        unknown = sorted(str(key) for key in values if key not in valid)
        if unknown:
            raise ValueError(
                f"unknown GRUConfig field(s) {', '.join(map(repr, unknown))}; "
                f"valid fields: {', '.join(valid)}"
            )
        return cls(**dict(values))
