"""`Task`: the core every grukit workflow shares (parameters, fitting, inference, saving, score).

A task subclass declares its parameters (the constructor and ``_check_params``), its data
preparation (``_read``, ``_split_validation``, ``_learn_preparation``, ``_prepare``,
``_training_pairs``), its network (``_network_type``, ``_network_options``) and its learned
state (``_learned_state``, ``_restore_learned_state``); the base does the rest. See
``docs/workflows.md`` ("How a new task plugs in").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from grukit import checks
from grukit.tasks.config import GRUConfig
from grukit.tasks.memory import GRUShape, check_training_memory
from grukit.tasks.storage import SavedModel, weight_mismatches, write_model
from grukit.train.config import TrainConfig
from grukit.train.progress import check_verbose

__all__ = ["CONFIG_PARAMS", "DISPLAY_PARAMS", "FitData", "Task"]

#: Parameters that are option dataclasses (``to_dict``/``from_dict``); None means the default.
CONFIG_PARAMS: dict[str, type] = {"gru_config": GRUConfig, "train_config": TrainConfig}
#: Parameters of what a task shows, not of what it learns: changing one keeps a fitted model.
DISPLAY_PARAMS = ("verbose",)

TaskT = TypeVar("TaskT", bound="Task")


@dataclass(frozen=True)
class FitData:
    """What :meth:`Task.fit` read and prepared, handed to ``_finish_fit``."""

    train: Any
    validation: Any
    train_prepared: Any
    validation_prepared: Any


def _check_config(name: str, value: Any, config_class: type) -> Any:
    if value is None:
        return config_class()
    if not isinstance(value, config_class):
        raise ValueError(f"`{name}` must be a {config_class.__name__}, got {type(value).__name__}")
    return value


class Task:
    """Base of the scikit-learn-style tasks: ``fit`` returns self, learned attributes end in _.

    A subclass's constructor takes its parameters and calls ``super().__init__(locals())``;
    ``task`` is its name in ``config.json`` and in :data:`grukit.tasks.registry.TASKS`.

    Every task takes ``verbose`` (True by default; listed in its constructor), checked here and
    handed to :func:`grukit.train.train`: training progress on stderr every epoch (True), every
    k-th epoch (an integer k) or not at all (False); see :mod:`grukit.train.progress`.
    """

    task: ClassVar[str] = ""
    verbose: bool | int = True  # for a subclass whose constructor does not list it

    def __init__(self, given: Mapping[str, Any]) -> None:
        self._accept_params({name: given[name] for name in self._param_names()})

    # -- parameters ------------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return checks.constructor_arguments(cls)

    def _check_params(self, given: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
        """The task's own parameters (all but :data:`CONFIG_PARAMS`) checked and normalised."""
        raise NotImplementedError

    def _accept_params(self, given: dict[str, Any]) -> None:
        checked = self._check_params(dict(given))
        for name, config_class in CONFIG_PARAMS.items():
            if name in given:
                checked[name] = _check_config(name, given[name], config_class)
        if "verbose" in given:
            verbose = given["verbose"]
            checked["verbose"] = verbose if isinstance(verbose, bool) else check_verbose(verbose)
        names = self._param_names()
        learned_with = [name for name in names if name not in DISPLAY_PARAMS]
        if self._is_fitted() and any(getattr(self, n) != checked[n] for n in learned_with):
            self._forget_learned()  # learned with other parameters
        for name in names:
            setattr(self, name, checked[name])
        self._given = dict(given)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments exactly as given (scikit-learn's ``get_params``).

        The checked, normalised values are the attributes of the same names (``targets="a"``
        is given, ``self.targets`` is ``["a"]``). `deep` is accepted for scikit-learn and
        changes nothing: no parameter is itself an estimator.
        """
        return dict(self._given)

    def set_params(self: TaskT, **params: Any) -> TaskT:
        """Change parameters, checked as the constructor checks them; returns self.

        Unknown names are refused. When a fitted task's parameters change, its learned
        attributes are removed (they belong to the old parameters): fit it again.
        """
        names = self._param_names()
        unknown = [name for name in params if name not in names]
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no parameter {unknown[0]!r}; its parameters are "
                f"{', '.join(names)}"
            )
        self._accept_params({**self._given, **params})
        return self

    @classmethod
    def params_from_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Constructor arguments from a saved ``config.json`` (the option dataclasses rebuilt)."""
        params = dict(config["params"])
        for name, config_class in CONFIG_PARAMS.items():
            if name in params:
                params[name] = config_class.from_dict(params[name])  # type: ignore[attr-defined]
        return params

    def _json_params(self) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in self._param_names()}
        for name in CONFIG_PARAMS:
            if name in params:
                params[name] = params[name].to_dict()
        return params

    def __repr__(self) -> str:
        defaults = dict(type(self).__init__.__kwdefaults__ or {})
        defaults.update({name: config_class() for name, config_class in CONFIG_PARAMS.items()})
        shown = []
        for name, value in self.get_params().items():
            if name in defaults and (defaults[name] == value or value is None):
                continue
            if name in CONFIG_PARAMS:  # only the fields that differ
                default = defaults[name].to_dict()
                changed = {k: v for k, v in value.to_dict().items() if default[k] != v}
                value = (
                    f"{type(value).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"
                )
                shown.append(f"{name}={value}")
                continue
            shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # -- learned state ---------------------------------------------------------------------------
    def _is_fitted(self) -> bool:
        return getattr(self, "network_", None) is not None

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _forget_learned(self) -> None:
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)
        self.__dict__.pop("_network_kwargs", None)

    def _learned_state(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """The learned attributes (but the network), JSON-safe, for ``config.json``."""
        raise NotImplementedError

    def _restore_learned_state(self, state: dict[str, Any]) -> None:  # pragma: no cover
        """Set the learned attributes from ``_learned_state()``'s record."""
        raise NotImplementedError

    # -- data preparation (declared by each task) --------------------------------------------------
    def _read(self, data: Any, *, training: bool = False) -> Any:  # pragma: no cover
        """Read `data`; for the training data, learn what reading shows (e.g. the time column)."""
        raise NotImplementedError

    def _split_validation(self, data: Any, fraction: float) -> tuple[Any, Any]:  # pragma: no cover
        """(training part, validation part): the last `fraction` of the read training data."""
        raise NotImplementedError

    def _learn_preparation(self, data: Any) -> Any:  # pragma: no cover - abstract
        """Learn the preprocessing (columns, scaler, ...) from the training data; return it
        prepared."""
        raise NotImplementedError

    def _prepare(self, data: Any) -> Any:  # pragma: no cover - abstract
        """Prepare read data with the learned preprocessing."""
        raise NotImplementedError

    def _training_pairs(self, prepared: Any, part: str) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, targets) of prepared data; `part` names it in errors."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _finish_fit(self, fit: FitData) -> None:
        """Learn what needs the trained network (e.g. a threshold); nothing by default."""

    # -- the network (declared by each task) -----------------------------------------------------
    def _network_type(self) -> type:  # pragma: no cover - abstract
        """The ``torch.nn.Module`` class of the network (imported here, as it imports torch)."""
        raise NotImplementedError

    def _network_options(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """The network's keyword arguments, JSON-safe (saved as ``fitted["network"]``)."""
        raise NotImplementedError

    def _initialise_network(self, network: Any) -> None:
        """Set initial weights the seed does not give (e.g. pre-trained vectors); nothing by
        default."""

    def _before_training(self, train_pair: tuple[np.ndarray, np.ndarray]) -> None:
        """See the training arrays just before training (e.g. for class weights)."""

    def _loss(self) -> Any:
        """The loss :func:`grukit.train.train` minimises (a name or a callable); "mse"."""
        return "mse"

    def _gru_shapes(self, steps: int) -> list[GRUShape]:
        """The GRUs of the network, for the memory estimate; by default one GRU read from the
        network options ``input_size``, ``hidden_size``, ``num_layers``, ``bidirectional``."""
        options = self._network_kwargs
        directions = 2 if options.get("bidirectional") else 1
        return [
            GRUShape(
                options["input_size"], options["hidden_size"], options["num_layers"], directions,
                steps,
            )
        ]  # fmt: skip

    def _check_memory(self, inputs: np.ndarray) -> None:
        """Refuse (one line) a network whose training would not fit in memory, before it is
        built (:func:`grukit.tasks.memory.check_training_memory`)."""
        steps = inputs.shape[1] if inputs.ndim > 1 else 1
        batch = min(self.train_config.batch_size, max(len(inputs), 1))
        check_training_memory(self._gru_shapes(steps), batch)

    # -- fitting ---------------------------------------------------------------------------------
    def fit(
        self: TaskT,
        data: Any,
        validation: Any = None,
        *,
        resume: bool = False,
        checkpoint_dir: str | Path | None = None,
        callbacks: Iterable[Any] = (),
    ) -> TaskT:
        """Learn the preprocessing and train the network on `data`; returns self.

        Everything is read, checked and prepared before the network is built: a network whose
        training would not fit in memory is refused then (:mod:`grukit.tasks.memory`).

        Parameters
        ----------
        data : DataFrame, path or ndarray
            The training data (a series: chronological; see :func:`grukit.data.split_by_date`).
        validation : same kinds, float or None
            Validation data for early stopping and the best epoch (a series should start with
            the rows of context its windows need), or a fraction: the last part of `data` (of
            each series).
        resume : bool
            Continue the interrupted training whose checkpoints are in `checkpoint_dir`.
        checkpoint_dir : str or Path, optional
            Write a checkpoint after every epoch there (see :func:`grukit.train.train`).
        callbacks : iterable of grukit.train.Callback
        """
        if isinstance(validation, float) and not 0 < validation < 1:
            raise ValueError(f"`validation` as a fraction must be in (0, 1), got {validation}")
        self._forget_learned()
        train = self._read(data, training=True)
        validation_data = None
        if isinstance(validation, float):
            train, validation_data = self._split_validation(train, validation)
        elif validation is not None:
            validation_data = self._read(validation)
        train_prepared = self._learn_preparation(train)
        train_pair = self._training_pairs(train_prepared, "training data")
        validation_prepared = validation_pair = None
        if validation_data is not None:
            validation_prepared = self._prepare(validation_data)
            validation_pair = self._training_pairs(validation_prepared, "validation data")
        self._network_kwargs = self._network_options()
        self._check_memory(train_pair[0])
        self._train_network(
            train_pair,
            validation_pair,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            callbacks=callbacks,
        )
        self._finish_fit(FitData(train, validation_data, train_prepared, validation_prepared))
        return self

    def _train_network(
        self,
        train_pair: tuple[np.ndarray, np.ndarray],
        validation_pair: tuple[np.ndarray, np.ndarray] | None,
        *,
        checkpoint_dir: str | Path | None,
        resume: bool,
        callbacks: Iterable[Any],
    ) -> None:
        """Build the network and train it: ``network_`` and ``history_``."""
        self.network_, self.history_ = self._fit_network(
            self._build_network,
            self.train_config,
            train_pair,
            validation_pair,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            callbacks=callbacks,
        )

    def _build_network(self) -> Any:
        """The untrained network of the options (``_network_type``, ``_network_kwargs``)."""
        network = self._network_type()(**self._network_kwargs)
        self._initialise_network(network)
        return network

    def _fit_network(
        self,
        build: Any,
        config: TrainConfig,
        train_pair: tuple[np.ndarray, np.ndarray],
        validation_pair: tuple[np.ndarray, np.ndarray] | None,
        *,
        checkpoint_dir: str | Path | None,
        resume: bool,
        callbacks: Iterable[Any],
    ) -> tuple[Any, Any]:
        """(the network `build` returns, trained with `config`, in eval mode; its history)."""
        import torch

        from grukit.train import train

        torch.manual_seed(config.seed)  # the initial weights depend on the seed only
        network = build()
        inputs, targets = (_training_array(a) for a in train_pair)
        validation = None
        if validation_pair is not None:
            validation = tuple(_training_array(a) for a in validation_pair)
        self._before_training((inputs, targets))
        history = train(
            network,
            (inputs, targets),
            validation=validation,
            loss=self._loss(),
            config=config,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            callbacks=callbacks,
            verbose=self.verbose,
        )
        return network.eval(), history

    # -- inference -------------------------------------------------------------------------------
    def _infer(self, inputs: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Run the network on (N, ...) inputs in eval mode; float64 NumPy out."""
        import torch

        from grukit.runtime.threads import compute_threads, step_work

        network = self.network_
        device = next(network.parameters()).device
        outputs = []
        work = step_work(network, min(batch_size, len(inputs)))
        with compute_threads(work), torch.inference_mode():
            for start in range(0, len(inputs), batch_size):
                batch = torch.as_tensor(
                    _training_array(inputs[start : start + batch_size]), device=device
                )
                outputs.append(network(batch).cpu().numpy().astype(np.float64))
        if not outputs:
            return np.zeros((0,), dtype=np.float64)
        return np.concatenate(outputs)

    def score(self, data: Any) -> float:  # pragma: no cover - abstract
        """One number, higher is better, that each task defines (scikit-learn's ``score``)."""
        raise NotImplementedError

    # -- saving and loading ----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save the fitted model into directory `path` (created if needed); returns it.

        Writes ``model.safetensors`` (weights), ``history.json`` and ``config.json`` (parameters,
        learned state, each file's size and SHA-256, the config's own SHA-256). Replacing a model
        is atomic as a whole: a crash leaves the previous model or the new one to load, never
        neither (:mod:`grukit.tasks.storage`). No pickle: :func:`grukit.load` reads it back
        without executing anything from the files.
        """
        self._check_fitted()
        return write_model(
            path,
            task=self.task,
            params=self._json_params(),
            fitted={**self._learned_state(), "network": dict(self._network_kwargs)},
            state_dict=self.network_.state_dict(),
            history=self.history_.to_dict(),
        )

    @classmethod
    def from_saved(cls: type[TaskT], saved: SavedModel, *, device: str = "cpu") -> TaskT:
        """The fitted task of a model directory read by :func:`grukit.tasks.storage.read_model`.

        The network is first built on PyTorch's ``meta`` device (no memory) and its parameter
        names, shapes and dtypes compared with the saved tensors'; only weights that fit are
        given memory, so a config asking for a huge network allocates nothing.

        Raises ``grukit.io.CorruptFileError`` when the config or the weights do not make a model.
        """
        import torch

        from grukit.io import CorruptFileError
        from grukit.train.history import History

        try:
            model = cls(**cls.params_from_config(saved.config))
            state = dict(saved.config["fitted"])
            model._network_kwargs = dict(state.pop("network"))
            model._restore_learned_state(state)
            with torch.device("meta"):
                blueprint = model._network_type()(**model._network_kwargs)
            history = History.from_dict(saved.history)
        except (KeyError, TypeError, ValueError) as error:
            raise CorruptFileError(
                f"'{saved.config_path}' is not a valid model config: {error}", saved.config_path
            ) from None
        problems = weight_mismatches(blueprint.state_dict(), saved.tensors)
        if problems:
            raise CorruptFileError(
                f"model weights '{saved.weights_path}' do not fit the configuration "
                f"'{saved.config_path}': {problems}",
                saved.weights_path,
            )
        network = model._network_type()(**model._network_kwargs)
        network.load_state_dict(saved.tensors)
        model.network_ = network.to(device).eval()
        model.history_ = history
        return model


def _training_array(values: Any) -> np.ndarray:
    """Floating arrays as float32 (the network's dtype); integer ones (token ids, class
    indices) as int64."""
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64, copy=False)
    return array.astype(np.float32, copy=False)
