"""Loading a saved task: JSON and safetensors only, nothing from the files is executed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from grukit.io import CorruptFileError, load_tensors, read_json
from grukit.tasks.base import CONFIG_NAME, FORMAT, HISTORY_NAME, VERSION, WEIGHTS_NAME, Task

__all__ = ["load"]


def _task_classes() -> dict[str, type[Task]]:
    from grukit.tasks.detector import AnomalyDetector
    from grukit.tasks.forecaster import Forecaster

    return {cls.task: cls for cls in (Forecaster, AnomalyDetector)}


def _directory(path: str | Path) -> Path:
    path = Path(path)
    if path.name == CONFIG_NAME and path.is_file():
        return path.parent
    if not path.exists():
        raise FileNotFoundError(f"no grukit model at '{path}': the directory does not exist")
    if not path.is_dir():
        raise ValueError(
            f"a grukit model is a directory holding {CONFIG_NAME}, got the file '{path}'"
        )
    if not (path / CONFIG_NAME).exists():
        raise FileNotFoundError(f"no grukit model in '{path}': '{path / CONFIG_NAME}' is missing")
    return path


def load(path: str | Path, *, device: str = "cpu") -> Task:
    """Load a :class:`Forecaster` or :class:`AnomalyDetector` saved with ``save(path)``.

    Parameters
    ----------
    path : str or Path
        The model (or run) directory, or its ``config.json``.
    device : str
        Where to put the network (``"cpu"``, ``"cuda"``, ...).

    Raises
    ------
    FileNotFoundError
        No model there.
    grukit.io.CorruptFileError
        A truncated or damaged file, weights that do not match the configuration, or a file that
        is not a grukit model (a ``ValueError``).

    Examples
    --------
    >>> model = load("runs/pm25")  # doctest: +SKIP
    >>> model.predict("PRSA.csv")  # doctest: +SKIP
    """
    from grukit.train.history import History

    directory = _directory(path)
    config_path = directory / CONFIG_NAME
    config = read_json(config_path, description="model config")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CorruptFileError(f"'{config_path}' is not a grukit model config", config_path)
    if config.get("version") != VERSION:
        raise CorruptFileError(
            f"'{config_path}' has model format version {config.get('version')!r}; this grukit "
            f"reads version {VERSION}",
            config_path,
        )
    classes = _task_classes()
    task = config.get("task")
    if task not in classes:
        raise CorruptFileError(
            f"'{config_path}' names an unknown task {task!r}; expected one of {sorted(classes)}",
            config_path,
        )
    weights_path = directory / str(config.get("weights", {}).get("file", WEIGHTS_NAME))
    try:
        data = weights_path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"model weights '{weights_path}' do not exist") from None
    if hashlib.sha256(data).hexdigest() != config.get("weights", {}).get("sha256"):
        raise CorruptFileError(
            f"model weights '{weights_path}' are corrupt or do not belong to '{config_path}' "
            "(SHA-256 mismatch; was the file truncated or replaced?)",
            weights_path,
        )
    tensors = load_tensors(weights_path, description="model weights")
    history_record = read_json(directory / HISTORY_NAME, description="training history")
    try:
        model = classes[task]._from_config(config)
        network = model._restore_state(config["fitted"])
        history = History.from_dict(history_record)
    except (KeyError, TypeError, ValueError) as error:
        raise CorruptFileError(
            f"'{config_path}' is not a valid model config: {error}", config_path
        ) from None
    try:
        network.load_state_dict(tensors)
    except RuntimeError as error:
        first = str(error).strip().splitlines()
        raise CorruptFileError(
            f"model weights '{weights_path}' do not fit the configuration: "
            f"{first[1].strip() if len(first) > 1 else first[0]}",
            weights_path,
        ) from None
    model.network_ = network.to(device).eval()
    model.history_ = history
    return model


def params_from_config(config: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments from a saved config (the two configs rebuilt as dataclasses)."""
    from grukit.tasks.config import GRUConfig
    from grukit.train.config import TrainConfig

    params = dict(config["params"])
    params["gru_config"] = GRUConfig.from_dict(params["gru_config"])
    params["train_config"] = TrainConfig.from_dict(params["train_config"])
    return params
