"""Resolving command options: the command line, then the ``--config`` TOML file, then defaults.

A TOML file holds the same option names as the command line (dashes or underscores), plus two
optional tables: ``[train]`` with :class:`grukit.train.TrainConfig` fields (``optimizer``,
``schedule``, ``clip``, ``patience``, ...) and ``[gru]`` with :class:`grukit.tasks.GRUConfig`
fields::

    target = "pm2.5"
    covariates = ["DEWP", "TEMP", "PRES", "Iws", "Is", "Ir", "cbwd"]
    lookback = 24
    horizon = 6
    fill = "interpolate"
    test_from = "2014-01-01"

    [train]
    epochs = 20
    optimizer = "adamw"
    schedule = "cosine"
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["read_toml", "resolve_options", "split_names", "train_config_from"]


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file as a dict, with dashes in top-level keys turned into underscores."""
    try:
        with Path(path).open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise FileNotFoundError(f"configuration file '{path}' does not exist") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"configuration file '{path}' is a directory") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"configuration file '{path}' is not valid TOML: {error}") from None
    return {str(k).replace("-", "_"): v for k, v in document.items()}


def resolve_options(
    given: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Merge command-line values (None: not given) over the ``--config`` file over `defaults`.

    Returns
    -------
    options : dict
        One value per name in `defaults` and `given`.
    train_table, gru_table : dict
        The file's ``[train]`` and ``[gru]`` tables (empty without a file).
    """
    document: dict[str, Any] = {}
    if given.get("config") is not None:
        document = read_toml(given["config"])
    train_table = document.pop("train", {})
    gru_table = document.pop("gru", {})
    for name, table in (("train", train_table), ("gru", gru_table)):
        if not isinstance(table, dict):
            raise ValueError(f"[{name}] in configuration file '{given['config']}' must be a table")
    valid = set(defaults) | set(given)
    unknown = sorted(set(document) - valid)
    if unknown:
        raise ValueError(
            f"configuration file '{given['config']}' has unknown option(s) "
            f"{', '.join(map(repr, unknown))}; valid options: "
            f"{', '.join(sorted(valid - {'config', 'data', 'resume'}))}, [train], [gru]"
        )
    options = dict(defaults)
    options.update(document)
    options.update({k: v for k, v in given.items() if v is not None and v is not False})
    for name, value in given.items():  # flags given as False keep the file's or default value
        options.setdefault(name, value)
    return options, train_table, gru_table


def split_names(value: Any, option: str) -> list[str] | None:
    """``"a,b"`` or ``["a", "b"]`` -> ``["a", "b"]``; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        names = [name.strip() for name in value.split(",") if name.strip()]
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        names = [v.strip() for v in value]
    else:
        raise ValueError(f"`--{option}` must be comma-separated column names, got {value!r}")
    if not names:
        raise ValueError(f"`--{option}` must name at least one column, got {value!r}")
    return names


def train_config_from(options: Mapping[str, Any], table: Mapping[str, Any]) -> Any:
    """TrainConfig from the file's ``[train]`` table, then the options that map onto it."""
    from grukit.train.config import TrainConfig

    config = TrainConfig.from_dict(table)
    overrides = {
        field: options[name]
        for name, field in (
            ("epochs", "epochs"),
            ("batch_size", "batch_size"),
            ("lr", "learning_rate"),
            ("learning_rate", "learning_rate"),
            ("seed", "seed"),
            ("device", "device"),
        )
        if options.get(name) is not None
    }
    return replace(config, **overrides)
