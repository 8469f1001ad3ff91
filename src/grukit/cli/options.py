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

Every value must have its option's command-line type, checked by :mod:`grukit.checks`
(``lookback = 12.7``, ``lookback = true`` and ``resume = "no"`` are errors naming the file and
the option); the column-name options (``target``, ``covariates``, ``columns``) also take a list
of names, ``threshold`` also a number, and a text option a TOML date (``test_from =
2014-01-01``).
"""

from __future__ import annotations

import datetime
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from grukit import checks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "check_file_values",
    "option_types",
    "read_toml",
    "resolve_options",
    "split_names",
    "train_config_from",
]

#: options of text type that a TOML file may also give as a list of names, or as a number
NAME_LISTS = ("target", "covariates", "columns")
TEXT_OR_NUMBER = ("threshold",)
#: command-line names that are no options of a configuration file
_NOT_IN_FILE = ("config", "data")


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
    options: dict[str, Any] = {}
    for key, value in document.items():
        name = str(key).replace("-", "_")
        if name in options:
            raise ValueError(f"configuration file '{path}' gives option {name!r} twice")
        options[name] = value
    return options


def option_types(declared: Callable) -> dict[str, type]:
    """Option name -> its command-line type (int, float, bool, str or Path), from the type hints
    of the function `declared` that declares a command (``X | None`` read as X)."""
    types = {}
    for name, hint in typing.get_type_hints(declared).items():
        kinds = [t for t in typing.get_args(hint) or (hint,) if t is not type(None)]
        if len(kinds) == 1 and isinstance(kinds[0], type):
            types[name] = kinds[0]
    return types


def _check_file_value(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        return checks.flag(name, value)
    if kind is int:
        return checks.integer(name, value)
    if kind is float:
        return checks.number(name, value)
    if isinstance(value, datetime.date | datetime.time):  # TOML dates are text on the CLI
        return value.isoformat()
    if isinstance(value, str):
        return value
    if name in NAME_LISTS and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    if name in TEXT_OR_NUMBER and checks.is_number(value):
        return value
    expected = "text or a list of column names" if name in NAME_LISTS else "text"
    raise ValueError(f"`{name}` must be {expected}, got {value!r}")


def check_file_values(
    document: Mapping[str, Any], types: Mapping[str, type], path: Path
) -> dict[str, Any]:
    """The file's options, each checked against its command-line type (`types`)."""
    checked = {}
    for name, value in document.items():
        try:
            checked[name] = _check_file_value(name, value, types[name]) if name in types else value
        except ValueError as error:
            raise ValueError(f"configuration file '{path}': {error}") from None
    return checked


def resolve_options(
    given: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    declared: Callable | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Merge command-line values (None: not given) over the ``--config`` file over `defaults`.

    `declared` is the function declaring the command's options: the file's values must have
    their types (:func:`option_types`). Without it they are taken as they are.

    Returns
    -------
    options : dict
        One value per name in `defaults` and `given`.
    train_table, gru_table : dict
        The file's ``[train]`` and ``[gru]`` tables (empty without a file).
    """
    document: dict[str, Any] = {}
    path = given.get("config")
    if path is not None:
        document = read_toml(path)
    train_table = document.pop("train", {})
    gru_table = document.pop("gru", {})
    for name, table in (("train", train_table), ("gru", gru_table)):
        if not isinstance(table, dict):
            raise ValueError(f"[{name}] in configuration file '{path}' must be a table")
    valid = (set(defaults) | set(given)) - set(_NOT_IN_FILE)
    unknown = sorted(set(document) - valid)
    if unknown:
        raise ValueError(
            f"configuration file '{path}' has unknown option(s) "
            f"{', '.join(map(repr, unknown))}; valid options: "
            f"{', '.join(sorted(valid))}, [train], [gru]"
        )
    if declared is not None:
        document = check_file_values(document, option_types(declared), Path(str(path)))
    options = dict(defaults)
    options.update(document)
    options.update({k: v for k, v in given.items() if v is not None})
    for name, value in given.items():
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
