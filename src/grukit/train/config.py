"""`TrainConfig`: every knob of the training loop, validated, with a JSON and TOML round trip.

This module does not import PyTorch, so building a configuration (e.g. while parsing a command
line) stays quick.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from grukit import checks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["OPTIMIZERS", "SCHEDULES", "TrainConfig"]

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("cosine", "step", "plateau")
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def _lowercase_choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    """``value`` lower-cased if that is one of ``options``; else the error of checks.choice."""
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    return checks.choice(name, value, options)  # raises: no spelling of it is an option


def _is_none_spelling(value: Any) -> bool:
    """TOML has no null: the string "none" (any case) stands for None in optional fields."""
    return value is None or (isinstance(value, str) and value.strip().lower() == "none")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`grukit.train.train`; validated on construction.

    Build one with keywords, from a dict (:meth:`from_dict`) or from a TOML file section
    (:meth:`from_toml`); change one with :func:`dataclasses.replace` (validated again). Optional
    fields (``schedule``, ``clip``, ``patience``) accept ``None``; in TOML, which has no null,
    write the string ``"none"``.

    Examples
    --------
    >>> from grukit.train import TrainConfig
    >>> config = TrainConfig(epochs=20, optimizer="adamw", schedule="cosine")
    >>> TrainConfig.from_dict(config.to_dict()) == config
    True
    >>> TrainConfig(epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be a positive integer, got 0
    """

    # --- length and batching
    epochs: int = 50  # maximum number of passes over the training windows
    batch_size: int = 64  # windows per optimizer step (the last batch of an epoch may be smaller)
    # Shuffle the order of the training windows each epoch (seeded). Each window is already a
    # chronological sample, so this mixes whole windows, never the time steps inside one;
    # validation windows are never shuffled.
    shuffle: bool = True
    # With shuffle: batches of samples of similar length, the length of a sample being the
    # number of non-zero entries of its (integer) input, e.g. token ids padded with 0. Each
    # pool of 64 shuffled batches is sorted by length and cut into batches, which are then
    # put in random order; a network that trims padding to its batch then runs fewer steps.
    bucket: bool = False
    # --- optimizer
    learning_rate: float = 1e-3  # initial step size
    optimizer: str = "adam"  # "adam" | "adamw" (decoupled weight decay) | "sgd"
    weight_decay: float = 0.0  # L2 penalty (adam, sgd) or decoupled decay (adamw)
    momentum: float = 0.9  # sgd only (heavy-ball momentum); ignored by adam/adamw
    # --- learning-rate schedule, stepped once per epoch
    # None (constant) | "cosine" (to min_learning_rate over `epochs`) |
    # "step" (times schedule_factor every schedule_step_epochs) |
    # "plateau" (times schedule_factor after schedule_patience epochs without improvement of the
    # validation loss, or of the training loss when there is no validation data)
    schedule: str | None = None
    schedule_step_epochs: int = 10  # "step": epochs between decays
    schedule_factor: float = 0.1  # "step", "plateau": multiplier applied at each decay, in (0, 1)
    schedule_patience: int = 5  # "plateau": epochs without improvement before a decay (0: at once)
    min_learning_rate: float = 0.0  # "cosine", "plateau": floor of the learning rate
    # --- stability
    clip: float | None = 1.0  # max global L2 norm of the gradients; None or 0 disables clipping
    # --- early stopping, on the validation loss (ignored without validation data)
    patience: int | None = 10  # epochs without improvement before stopping; None disables
    min_delta: float = 0.0  # an improvement must lower the best loss by more than this
    # --- reproducibility and execution
    seed: int = 0  # seeds python `random`, NumPy, PyTorch and the shuffling generator
    device: str = "auto"  # "auto" (CUDA when available, else CPU) | "cpu" | "cuda" | "cuda:N"
    # Progress on stderr: a rich bar on an interactive terminal, else one line per epoch; False:
    # only log records. With `verbose` of train() and the tasks, see grukit.train.progress.
    progress: bool = True

    def __post_init__(self) -> None:
        def fail(name: str, expected: str) -> None:
            raise ValueError(f"`{name}` must be {expected}, got {getattr(self, name)!r}")

        def set_(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)  # frozen dataclass: normalize in place

        for name in ("epochs", "batch_size", "schedule_step_epochs"):
            set_(name, checks.positive_int(name, getattr(self, name)))
        # 0: decay at the first epoch without improvement (the word-language-model recipe)
        patience = checks.non_negative_int("schedule_patience", self.schedule_patience)
        set_("schedule_patience", patience)
        for name in ("shuffle", "bucket", "progress"):
            set_(name, checks.flag(name, getattr(self, name)))

        if not checks.is_number(self.learning_rate) or self.learning_rate <= 0:
            fail("learning_rate", "a positive finite number")
        set_("learning_rate", float(self.learning_rate))
        for name in ("weight_decay", "min_learning_rate", "min_delta"):
            set_(name, checks.number(name, getattr(self, name), low=0))
        set_("momentum", checks.number("momentum", self.momentum, low=0, high=1, high_open=True))
        factor = checks.number(
            "schedule_factor", self.schedule_factor, low=0, high=1, low_open=True, high_open=True
        )
        set_("schedule_factor", factor)

        set_("optimizer", _lowercase_choice("optimizer", self.optimizer, OPTIMIZERS))
        if _is_none_spelling(self.schedule):
            set_("schedule", None)
        elif not isinstance(self.schedule, str) or self.schedule.lower() not in SCHEDULES:
            fail("schedule", "None or one of " + ", ".join(map(repr, SCHEDULES)))
        else:
            set_("schedule", self.schedule.lower())

        if _is_none_spelling(self.clip) or (checks.is_number(self.clip) and self.clip == 0):
            set_("clip", None)
        elif not checks.is_number(self.clip) or self.clip < 0:
            fail("clip", "a positive finite number, or None/0 to disable clipping")
        else:
            set_("clip", float(self.clip))
        if _is_none_spelling(self.patience):
            set_("patience", None)
        elif not checks.is_integer(self.patience) or self.patience < 1:
            fail("patience", "a positive integer, or None to disable early stopping")
        else:
            set_("patience", int(self.patience))

        if not checks.is_integer(self.seed) or not 0 <= self.seed < 2**32:
            fail("seed", "an integer in [0, 2**32)")
        set_("seed", int(self.seed))
        if not isinstance(self.device, str) or not _DEVICE_PATTERN.match(self.device.strip()):
            fail("device", "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
        set_("device", self.device.strip())

    # ------------------------------------------------------------------ round trips

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names of all fields, in declaration order."""
        return tuple(field.name for field in fields(cls))

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-safe dict (``None`` for disabled optional fields)."""
        return {name: getattr(self, name) for name in self.field_names()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Build a config from a mapping; missing fields take their defaults.

        Raises
        ------
        ValueError
            For unknown keys (the message lists the valid fields) and invalid values.
        """
        if not isinstance(values, Mapping):
            raise TypeError(f"`values` must be a mapping of field names, got {type(values)}")
        valid = cls.field_names()
        unknown = sorted(str(key) for key in values if key not in valid)
        if unknown:
            raise ValueError(
                f"unknown TrainConfig field(s) {', '.join(map(repr, unknown))}; "
                f"valid fields: {', '.join(sorted(valid))}"
            )
        return cls(**dict(values))

    @classmethod
    def from_toml(cls, path: str | os.PathLike, section: str = "train") -> TrainConfig:
        """Build a config from one table of a TOML file.

        Parameters
        ----------
        path : str or os.PathLike
            The TOML file.
        section : str, default "train"
            The table holding the fields; dotted for nested tables (``"tool.grukit.train"``);
            ``""`` for the top level.

        Examples
        --------
        A file ``run.toml`` containing::

            [train]
            epochs = 30
            optimizer = "adamw"
            schedule = "none"   # TOML has no null

        gives ``TrainConfig.from_toml("run.toml")``.
        """
        path = Path(path)
        try:
            with path.open("rb") as handle:
                document = tomllib.load(handle)
        except FileNotFoundError:
            raise FileNotFoundError(f"configuration file '{path}' does not exist") from None
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"configuration file '{path}' is not valid TOML: {error}") from None
        table: Any = document
        if section:
            for depth, key in enumerate(section.split(".")):
                if not isinstance(table, dict) or key not in table:
                    where = ".".join(section.split(".")[:depth]) or "the top level"
                    available = sorted(k for k, v in table.items() if isinstance(v, dict))
                    raise ValueError(
                        f"configuration file '{path}' has no [{section}] table (no {key!r} in "
                        f"{where}; tables there: {', '.join(available) or 'none'})"
                    )
                table = table[key]
            if not isinstance(table, dict):
                raise ValueError(f"[{section}] in configuration file '{path}' is not a table")
        try:
            return cls.from_dict(table)
        except ValueError as error:
            raise ValueError(f"[{section}] in configuration file '{path}': {error}") from None
