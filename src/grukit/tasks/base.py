"""What Forecaster and AnomalyDetector share: parameters, training, inference, saving."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from grukit.tasks.config import GRUConfig
from grukit.train.config import TrainConfig

__all__ = ["FORMAT", "VERSION", "Task", "check_positive", "check_choice"]

FORMAT = "grukit-model"
VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
HISTORY_NAME = "history.json"


def check_positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, options: Iterable[Any]) -> Any:
    options = tuple(options)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"`{name}` must be one of {listed}, got {value!r}")
    return value


def check_configs(gru_config: Any, train_config: Any) -> tuple[GRUConfig, TrainConfig]:
    gru_config = GRUConfig() if gru_config is None else gru_config
    train_config = TrainConfig() if train_config is None else train_config
    if not isinstance(gru_config, GRUConfig):
        raise ValueError(f"`gru_config` must be a GRUConfig, got {type(gru_config).__name__}")
    if not isinstance(train_config, TrainConfig):
        raise ValueError(f"`train_config` must be a TrainConfig, got {type(train_config).__name__}")
    return gru_config, train_config


class Task:
    """Base of the scikit-learn-style tasks: ``fit`` returns self, learned attributes end in _.

    Subclasses define ``task`` (the name in ``config.json``), ``_param_names`` (constructor
    arguments, in order), ``_network_class`` and ``_fitted_state``/``_restore_state``.
    """

    task = ""
    _param_names: tuple[str, ...] = ()

    # -- parameters ------------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, as given (scikit-learn's ``get_params``)."""
        return {name: getattr(self, name) for name in self._param_names}

    def __repr__(self) -> str:
        defaults = dict(type(self).__init__.__kwdefaults__ or {})
        defaults.update(gru_config=GRUConfig(), train_config=TrainConfig())
        shown = []
        for name, value in self.get_params().items():
            if name in defaults and (defaults[name] == value or value is None):
                continue
            if name in ("gru_config", "train_config"):  # only the fields that differ
                default = defaults[name].to_dict()
                changed = {k: v for k, v in value.to_dict().items() if default[k] != v}
                value = (
                    f"{type(value).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"
                )
                shown.append(f"{name}={value}")
                continue
            shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _check_fitted(self) -> None:
        if getattr(self, "network_", None) is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _json_params(self) -> dict[str, Any]:
        params = self.get_params()
        params["gru_config"] = self.gru_config.to_dict()
        params["train_config"] = self.train_config.to_dict()
        return params

    # -- training and inference ------------------------------------------------------------------
    def _fit_network(
        self,
        build: Callable[[], Any],
        train_pair: tuple[np.ndarray, np.ndarray],
        validation_pair: tuple[np.ndarray, np.ndarray] | None,
        *,
        checkpoint_dir: str | Path | None,
        resume: bool,
        callbacks: Iterable[Any],
    ) -> None:
        import torch

        from grukit.train import train

        torch.manual_seed(self.train_config.seed)  # the initial weights depend on the seed only
        network = build()
        inputs, targets = (np.asarray(a, dtype=np.float32) for a in train_pair)
        validation = None
        if validation_pair is not None:
            validation = tuple(np.asarray(a, dtype=np.float32) for a in validation_pair)
        self.history_ = train(
            network,
            (inputs, targets),
            validation=validation,
            config=self.train_config,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            callbacks=callbacks,
        )
        self.network_ = network.eval()

    def _infer(self, inputs: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Run the network on (N, ...) inputs in eval mode; float64 NumPy out."""
        import torch

        network = self.network_
        device = next(network.parameters()).device
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(inputs), batch_size):
                batch = torch.as_tensor(
                    np.asarray(inputs[start : start + batch_size], dtype=np.float32), device=device
                )
                outputs.append(network(batch).cpu().numpy().astype(np.float64))
        if not outputs:
            return np.zeros((0,), dtype=np.float64)
        return np.concatenate(outputs)

    # -- persistence -----------------------------------------------------------------------------
    def _fitted_state(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _restore_state(self, state: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        """Set the learned attributes and return a freshly built network."""
        raise NotImplementedError

    def save(self, path: str | Path) -> Path:
        """Save the fitted model into directory `path` (created if needed); returns it.

        Writes ``model.safetensors`` (weights), ``history.json`` and, last, ``config.json``
        (parameters, learned state, the weights' SHA-256), each atomically, so a crash leaves
        either the previous model or the new one readable. No pickle: :func:`grukit.load` reads
        it back without executing anything from the files.
        """
        from grukit._version import __version__
        from grukit.io import save_tensors, write_json

        self._check_fitted()
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        weights = save_tensors(directory / WEIGHTS_NAME, self.network_.state_dict())
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        write_json(directory / HISTORY_NAME, self.history_.to_dict())
        config = {
            "format": FORMAT,
            "version": VERSION,
            "task": self.task,
            "grukit_version": __version__,
            "params": self._json_params(),
            "fitted": self._fitted_state(),
            "weights": {"file": WEIGHTS_NAME, "sha256": digest},
        }
        write_json(directory / CONFIG_NAME, config)
        return directory
