"""Find the GRU layers of a Keras 3 model: in `.keras` / `.weights.h5` files, or in live objects.

Files are read with ``zipfile``, ``json`` and ``h5py``; TensorFlow and Keras are not needed.

Keras 3 weight files (``saving_lib``'s H5 store) hold one group per saveable object, addressed by
*attribute path*, not by layer name: a model's layers sit under ``layers/<class>``, where
``<class>`` is the snake-case class name with a counter for repeats (``gru``, ``gru_1``, ...,
``bidirectional``, ``sequential``); a GRU keeps its variables in ``<layer>/cell/vars/0, 1, 2``
(``kernel``, ``recurrent_kernel``, ``bias``), a ``Bidirectional`` in
``<layer>/forward_layer/cell/vars/...`` and ``<layer>/backward_layer/cell/vars/...``, and a nested
model under ``<layer>/layers/...``. Each ``vars`` group carries the layer name in its ``name``
attribute, which is used here as a check.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from grukit import checks
from grukit.interop import _keras_files as _files

__all__ = ["KerasLayerRecord", "live_records", "read_file_records"]

_MODEL_CLASSES = ("Sequential", "Functional", "Model")


@dataclass(frozen=True)
class KerasLayerRecord:
    """One Keras ``GRU`` or ``Bidirectional(GRU)`` layer: its name, config and weights.

    Attributes
    ----------
    name : str
        Layer name, prefixed by the names of enclosing nested models (``"encoder/gru"``).
    class_name : str
        ``"GRU"`` or ``"Bidirectional"``.
    config : dict
        The layer's Keras config (the inner ``"config"`` dict).
    weights : list of ndarray
        As ``layer.get_weights()`` orders them: ``[kernel, recurrent_kernel(, bias)]``, and for a
        ``Bidirectional`` the forward layer's arrays followed by the backward layer's.
    """

    name: str
    class_name: str
    config: dict[str, Any]
    weights: list[np.ndarray]


def _snake_case(name: str) -> str:
    # keras.src.utils.naming.to_snake_case, which names the groups of the weight file
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class _FileReader:
    """Reads the GRU records of a model config and its open weight file, checking both.

    A config that came from a file (``config_path``) and a weight file that do not have the
    expected shape raise :class:`~grukit.io.CorruptFileError` naming the file; a config passed as a
    dict or JSON text raises a :class:`ValueError` naming ``config``. Arrays are read only after
    their shape and dtype are checked, and at most ``MAX_WEIGHTS_BYTES`` of them in total.
    """

    def __init__(self, weights: h5py.File, weights_path: Path, config_path: Path | None) -> None:
        self.weights, self.weights_path, self.config_path = weights, weights_path, config_path
        self.remaining = _files.MAX_WEIGHTS_BYTES

    def config_error(self, problem: str) -> ValueError:
        if self.config_path is None:
            return ValueError(f"`config` is not a Keras model config: {problem}")
        return _files.corrupt(self.config_path, f"config: {problem}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.config_error(f"{where} must be an object, got a {type(value).__name__}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.config_error(f"{where} must be a string, got {value!r}")
        return value

    def group(self, parent: h5py.Group | None, key: str) -> h5py.Group | None:
        item = None if parent is None else parent.get(key)
        if item is not None and not isinstance(item, h5py.Group):
            raise _files.corrupt(self.weights_path, f"{item.name} is not a group")
        return item

    def check_gru_settings(self, config: dict[str, Any], where: str) -> None:
        """The settings conversion reads have the types Keras gives them."""
        try:
            checks.positive_int(f"{where}['units']", config.get("units"))
            for key in ("use_bias", "reset_after", "go_backwards"):
                checks.flag(f"{where}[{key!r}]", config.get(key, False))
            checks.probability(f"{where}['dropout']", config.get("dropout", 0))
            checks.probability(f"{where}['recurrent_dropout']", config.get("recurrent_dropout", 0))
        except ValueError as error:
            raise self.config_error(str(error)) from None

    def directions(self, entry: dict[str, Any], where: str) -> list[str] | None:
        """The weight groups of a GRU layer entry (None for another layer), its config checked."""
        config = self.mapping(entry.get("config", {}), f"{where}['config']")
        if entry.get("class_name") == "GRU":
            self.check_gru_settings(config, f"{where}['config']")
            return ["cell/vars"]
        if entry.get("class_name") != "Bidirectional":
            return None
        layer = self.mapping(config.get("layer", {}), f"{where}['config']['layer']")
        if layer.get("class_name") != "GRU":
            return None
        for part in ("layer", "backward_layer"):
            if part in config:
                inner = f"{where}['config'][{part!r}]"
                sub = self.mapping(config[part], inner)
                sub_config = self.mapping(sub.get("config"), f"{inner}['config']")
                self.check_gru_settings(sub_config, f"{inner}['config']")
        return ["forward_layer/cell/vars", "backward_layer/cell/vars"]

    def read_vars(self, group: h5py.Group, path: str) -> list[np.ndarray]:
        variables = self.group(group, path)
        if variables is None:
            raise ValueError(f"Keras weight file has no group {group.name}/{path}")
        keys = list(variables.keys())
        if not all(key.isdigit() for key in keys):
            raise _files.corrupt(self.weights_path, f"{variables.name} holds {keys}, not 0, 1, 2")
        arrays = []
        for key in sorted(keys, key=int):
            dataset = variables[key]
            if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind != "f":
                problem = f"{variables.name}/{key} is not an array of floats"
                raise _files.corrupt(self.weights_path, problem)
            if dataset.nbytes > self.remaining:
                limit = _files.MAX_WEIGHTS_BYTES
                raise _files.corrupt(
                    self.weights_path,
                    f"{dataset.name} holds {dataset.shape} values; the GRU weights read exceed "
                    f"{limit} bytes, the most grukit reads",
                )
            self.remaining -= dataset.nbytes
            arrays.append(np.asarray(dataset))
        return arrays

    def name_of(self, entry: dict[str, Any], key: str, where: str) -> str:
        config = self.mapping(entry.get("config", {}), f"{where}['config']")
        return self.text(config.get("name", entry.get("name", key)), f"{where}['config']['name']")

    def check_layer_group(self, layer_group: h5py.Group, name: str) -> None:
        variables = self.group(layer_group, "vars")
        if variables is None:
            return
        stored = variables.attrs.get("name")
        if isinstance(stored, bytes):
            stored = stored.decode("utf-8", "replace")
        if stored is not None and not isinstance(stored, str):
            raise _files.corrupt(self.weights_path, f"{variables.name} has a non-text name")
        if stored is not None and stored != name:
            raise ValueError(
                f"Keras weight file does not match the config: group {layer_group.name} holds "
                f"layer {stored!r}, the config expects {name!r}"
            )

    def walk(
        self, model: dict[str, Any], group: h5py.Group | None, prefix: str, where: str
    ) -> Iterator[KerasLayerRecord]:
        """Yield records for the GRU layers of a serialized Sequential/Functional model."""
        layers = self.mapping(model.get("config", {}), f"{where}['config']").get("layers")
        if layers is None:
            raise ValueError(
                f"Keras model {model.get('class_name')!r} has no layer list in its config "
                "(subclassed models cannot be read from a file; pass the live layer instead)"
            )
        if not isinstance(layers, list):
            raise self.config_error(f"{where}['config']['layers'] must be a list")
        container = self.group(group, "layers")
        used: dict[str, int] = {}
        for index, raw in enumerate(layers):
            at = f"{where}['config']['layers'][{index}]"
            entry = self.mapping(raw, at)
            base = _snake_case(self.text(entry.get("class_name", ""), f"{at}['class_name']"))
            used[base] = used.get(base, -1) + 1
            key = base if used[base] == 0 else f"{base}_{used[base]}"
            name = self.name_of(entry, key, at)
            qualified = f"{prefix}{name}"
            layer_group = self.group(container, key)
            if "layers" in entry.get("config", {}) and entry.get("class_name") != "Bidirectional":
                yield from self.walk(entry, layer_group, f"{qualified}/", at)
                continue
            directions = self.directions(entry, at)
            if directions is None:
                continue
            if layer_group is None:
                raise ValueError(
                    f"Keras weight file has no weights for layer {qualified!r} "
                    f"(expected group {container.name if container else ''}/{key})"
                )
            self.check_layer_group(layer_group, name)
            weights = [a for path in directions for a in self.read_vars(layer_group, path)]
            yield KerasLayerRecord(qualified, entry["class_name"], entry["config"], weights)

    def records(self, config: Any) -> list[KerasLayerRecord]:
        config = self.mapping(config, "the top level")
        inner = self.mapping(config.get("config", {}), "config['config']")
        if config.get("class_name") in _MODEL_CLASSES or "layers" in inner:
            return list(self.walk(config, self.weights, "", "config"))
        raise ValueError(
            f"Keras config describes a {config.get('class_name')!r}, not a Sequential or "
            "Functional model"
        )


def read_file_records(source: str | os.PathLike[str], config: Any = None) -> list[KerasLayerRecord]:
    """Records of every GRU layer in a ``.keras`` file, or a ``.weights.h5`` file plus config.

    Parameters
    ----------
    source : str or path-like
        A ``.keras`` archive (``config.json`` + ``model.weights.h5``) or a Keras 3 weights file.
    config : dict, str or path-like, optional
        Required with a weights file (which holds no architecture): a config dict
        (``json.loads(model.to_json())``), a JSON string, a ``.json`` file or a ``.keras`` file.

    Raises
    ------
    grukit.io.CorruptFileError
        A damaged or unsafe file (see :mod:`grukit.interop._keras_files` for the rules).
    """
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"Keras file not found: {str(path)!r}")
    if zipfile.is_zipfile(path):
        if config is not None:
            raise ValueError(
                "`config` is only used with a .weights.h5 file; a .keras file holds its own config"
            )
        with _files.open_keras_archive(path) as (model_config, weights):
            return _FileReader(weights, path, path).records(model_config)
    if not h5py.is_hdf5(path):
        raise _files.corrupt(path, "it is neither a .keras archive nor an HDF5 weights file")
    if config is None:
        raise ValueError(
            f"{str(path)!r} is a weights file without an architecture: pass `config=` "
            "(a .keras or .json file, a JSON string or a dict from model.to_json())"
        )
    model_config, config_path = _files.load_config(config)
    with _files.open_hdf5(path, path) as weights:
        return _FileReader(weights, path, config_path).records(model_config)


def live_records(obj: Any, prefix: str = "") -> list[KerasLayerRecord]:
    """Records of every GRU layer in a live Keras layer or model (imports ``keras``)."""
    import keras

    if isinstance(obj, keras.layers.GRU) or (
        isinstance(obj, keras.layers.Bidirectional)
        and isinstance(obj.forward_layer, keras.layers.GRU)
    ):
        weights = [np.asarray(w) for w in obj.get_weights()]
        if not weights:
            raise ValueError(f"Keras layer {obj.name!r} is not built yet (it has no weights)")
        class_name = "GRU" if isinstance(obj, keras.layers.GRU) else "Bidirectional"
        return [KerasLayerRecord(prefix + obj.name, class_name, obj.get_config(), weights)]
    if isinstance(obj, keras.Model) or hasattr(obj, "layers"):
        records: list[KerasLayerRecord] = []
        for layer in obj.layers:
            inner = f"{prefix}{layer.name}/"
            if isinstance(layer, keras.Model):
                records += live_records(layer, inner)
            else:
                records += live_records(layer, prefix)
        return records
    return []
