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

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

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


def _is_gru_layer(entry: dict[str, Any]) -> bool:
    if entry.get("class_name") == "GRU":
        return True
    inner = entry.get("config", {}).get("layer", {})
    return entry.get("class_name") == "Bidirectional" and inner.get("class_name") == "GRU"


def _read_vars(group: h5py.Group, path: str) -> list[np.ndarray]:
    if path not in group:
        raise ValueError(f"Keras weight file has no group {group.name}/{path}")
    variables = group[path]
    keys = sorted(variables.keys(), key=int)
    return [np.asarray(variables[key]) for key in keys]


def _walk_model(
    model: dict[str, Any], group: h5py.Group | None, prefix: str
) -> Iterator[KerasLayerRecord]:
    """Yield records for the GRU layers of a serialized Sequential/Functional model."""
    layers = model.get("config", {}).get("layers")
    if layers is None:
        raise ValueError(
            f"Keras model {model.get('class_name')!r} has no layer list in its config "
            "(subclassed models cannot be read from a file; pass the live layer instead)"
        )
    container = None if group is None else group.get("layers")
    used: dict[str, int] = {}
    for entry in layers:
        base = _snake_case(entry.get("class_name", ""))
        used[base] = used.get(base, -1) + 1
        key = base if used[base] == 0 else f"{base}_{used[base]}"
        config = entry.get("config", {})
        name = config.get("name", entry.get("name", key))
        qualified = f"{prefix}{name}"
        layer_group = None if container is None else container.get(key)
        if "layers" in config and entry.get("class_name") != "Bidirectional":
            yield from _walk_model(entry, layer_group, f"{qualified}/")
            continue
        if not _is_gru_layer(entry):
            continue
        if layer_group is None:
            raise ValueError(
                f"Keras weight file has no weights for layer {qualified!r} "
                f"(expected group {container.name if container else ''}/{key})"
            )
        stored = layer_group["vars"].attrs.get("name") if "vars" in layer_group else None
        if stored is not None and stored != name:
            raise ValueError(
                f"Keras weight file does not match the config: group {layer_group.name} holds "
                f"layer {stored!r}, the config expects {name!r}"
            )
        if entry["class_name"] == "GRU":
            weights = _read_vars(layer_group, "cell/vars")
        else:
            weights = _read_vars(layer_group, "forward_layer/cell/vars")
            weights += _read_vars(layer_group, "backward_layer/cell/vars")
        yield KerasLayerRecord(qualified, entry["class_name"], config, weights)


def _load_config(config: Any) -> dict[str, Any]:
    """A config given as a dict, a JSON string, a ``.json`` file or a ``.keras`` file."""
    if isinstance(config, dict):
        return config
    if isinstance(config, str) and config.lstrip().startswith("{"):
        return json.loads(config)
    if isinstance(config, (str, os.PathLike)):
        path = Path(config)
        if not path.is_file():
            raise FileNotFoundError(f"`config` file not found: {str(path)!r}")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        return json.loads(path.read_text())
    raise TypeError(
        "`config` must be a dict, a JSON string, or the path of a .json or .keras file, "
        f"got {type(config).__name__}"
    )


def _records_from(config: dict[str, Any], weights: h5py.File) -> list[KerasLayerRecord]:
    if config.get("class_name") in _MODEL_CLASSES or "layers" in config.get("config", {}):
        return list(_walk_model(config, weights, ""))
    raise ValueError(
        f"Keras config describes a {config.get('class_name')!r}, not a Sequential or Functional "
        "model"
    )


def read_file_records(source: str | os.PathLike, config: Any = None) -> list[KerasLayerRecord]:
    """Records of every GRU layer in a ``.keras`` file, or a ``.weights.h5`` file plus config.

    Parameters
    ----------
    source : str or path-like
        A ``.keras`` archive (``config.json`` + ``model.weights.h5``) or a Keras 3 weights file.
    config : dict, str or path-like, optional
        Required with a weights file (which holds no architecture): a config dict
        (``json.loads(model.to_json())``), a JSON string, a ``.json`` file or a ``.keras`` file.
    """
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"Keras file not found: {str(path)!r}")
    if zipfile.is_zipfile(path):
        if config is not None:
            raise ValueError(
                "`config` is only used with a .weights.h5 file; a .keras file holds its own config"
            )
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "config.json" not in names or "model.weights.h5" not in names:
                raise ValueError(
                    f"{str(path)!r} is not a Keras 3 .keras archive with config.json and "
                    f"model.weights.h5 (found {sorted(names)})"
                )
            model_config = json.loads(archive.read("config.json"))
            blob = io.BytesIO(archive.read("model.weights.h5"))
        with h5py.File(blob, "r") as weights:
            return _records_from(model_config, weights)
    if not h5py.is_hdf5(path):
        raise ValueError(f"{str(path)!r} is neither a .keras archive nor an HDF5 weights file")
    if config is None:
        raise ValueError(
            f"{str(path)!r} is a weights file without an architecture: pass `config=` "
            "(a .keras or .json file, a JSON string or a dict from model.to_json())"
        )
    with h5py.File(path, "r") as weights:
        return _records_from(_load_config(config), weights)


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
