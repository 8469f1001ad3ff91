"""Exact weight conversion between Keras 3 GRU layers and ``grukit.GRU``.

Keras -> grukit: ``GRU`` (both ``reset_after`` modes, ``use_bias``, ``go_backwards``) and
``Bidirectional(GRU)`` (merge ``concat``, ``sum``, ``mul``, ``ave`` -> ``"mean"``). Gate blocks are
reordered z, r, h -> r, z, n and transposed; see ``docs/interop.md`` for the tables.

Settings that change the inference function and have no grukit equivalent are refused with an error
naming the setting. Accepted with a note: ``stateful`` and ``unroll`` (they do not change the
function: pass ``h0=h_n`` to continue a sequence), ``dropout`` (Keras input dropout, training only;
mapped to grukit's ``input_dropout``: same rate, one mask per sequence, where Keras draws one mask
per gate) and ``recurrent_dropout`` (mapped to grukit's ``recurrent_dropout``, likewise one mask
per sequence instead of one per gate). The eval-mode outputs are identical.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from grukit.interop._keras_source import KerasLayerRecord, live_records, read_file_records
from grukit.interop._layout import keras_to_torch_direction, torch_to_keras_direction
from grukit.interop._modules import M, build, gru_settings, numpy_state

__all__ = [
    "from_keras",
    "load_keras",
    "record_to_spec",
    "spec_to_keras_weights",
    "to_keras_weights",
]

_MERGE_FROM_KERAS = {"concat": "concat", "sum": "sum", "mul": "mul", "ave": "mean"}
_MERGE_TO_KERAS = {value: key for key, value in _MERGE_FROM_KERAS.items()}
# Keras GRU settings that must agree between the two halves of a Bidirectional
_DIRECTION_KEYS = (
    "units",
    "activation",
    "recurrent_activation",
    "use_bias",
    "reset_after",
    "dropout",
    "recurrent_dropout",
)


def _check_gru_config(config: dict[str, Any], where: str) -> None:
    for key, needed, reason in (
        ("activation", "tanh", "grukit's candidate activation is tanh"),
        ("recurrent_activation", "sigmoid", "grukit's gates use the logistic sigmoid"),
    ):
        value = config.get(key, needed)
        if value != needed:
            raise ValueError(
                f"Keras layer {where!r}: `{key}` must be {needed!r} to convert ({reason}), "
                f"got {value!r}"
            )


def _direction(config: dict[str, Any], weights: list[np.ndarray], where: str) -> dict:
    _check_gru_config(config, where)
    use_bias = bool(config.get("use_bias", True))
    count = 3 if use_bias else 2
    if len(weights) != count:
        raise ValueError(
            f"Keras layer {where!r}: expected {count} weight arrays "
            f"(use_bias={use_bias}), got {len(weights)}"
        )
    units = int(config["units"])
    if weights[0].ndim != 2 or weights[0].shape[1] != 3 * units:
        raise ValueError(
            f"Keras layer {where!r}: `kernel` must have shape (I, {3 * units}) for units={units}, "
            f"got {weights[0].shape}"
        )
    return keras_to_torch_direction(
        weights[0],
        weights[1],
        weights[2] if use_bias else None,
        reset_after=bool(config.get("reset_after", True)),
    )


def _suffixed(direction: dict[str, np.ndarray], suffix: str) -> dict[str, np.ndarray]:
    return {f"{name}_l0{suffix}": value for name, value in direction.items()}


def record_to_spec(record: KerasLayerRecord) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Convert one Keras layer record to grukit settings and a PyTorch-layout state dict.

    Returns
    -------
    settings : dict
        Keyword arguments for ``grukit.GRU``.
    state : dict of str to ndarray
        ``weight_ih_l0`` (3H, I), ``weight_hh_l0`` (3H, H), ``bias_ih_l0``, ``bias_hh_l0`` (3H,),
        plus ``..._reverse`` for a Bidirectional layer.
    """
    config, name = record.config, record.name
    if record.class_name == "GRU":
        forward, backward, merge = config, None, "concat"
    elif record.class_name == "Bidirectional":
        merge_mode = config.get("merge_mode", "concat")
        if merge_mode not in _MERGE_FROM_KERAS:
            raise ValueError(
                f"Keras layer {name!r}: Bidirectional `merge_mode` must be one of "
                f"{sorted(_MERGE_FROM_KERAS)} to convert, got {merge_mode!r} (merge_mode=None "
                "returns the two directions as separate outputs; grukit's GRU returns one output)"
            )
        merge = _MERGE_FROM_KERAS[merge_mode]
        forward = config["layer"]["config"]
        backward = config.get("backward_layer", {}).get("config") or {
            **forward,
            "go_backwards": not forward.get("go_backwards", False),
        }
        if forward.get("go_backwards", False) or not backward.get("go_backwards", False):
            raise ValueError(
                f"Keras layer {name!r}: a Bidirectional whose forward layer has "
                "`go_backwards=True` (or whose backward layer has go_backwards=False) "
                "is not supported"
            )
        for key in _DIRECTION_KEYS:
            if forward.get(key) != backward.get(key):
                raise ValueError(
                    f"Keras layer {name!r}: the custom `backward_layer` has "
                    f"{key}={backward.get(key)!r} but the forward layer has "
                    f"{key}={forward.get(key)!r}; grukit's bidirectional GRU uses one setting "
                    "for both directions"
                )
    else:
        raise ValueError(f"Keras layer {name!r} is a {record.class_name}, not a GRU")

    per_direction = len(record.weights) // (1 if backward is None else 2)
    state = _suffixed(_direction(forward, record.weights[:per_direction], name), "")
    if backward is not None:
        reverse = _direction(backward, record.weights[per_direction:], name)
        state.update(_suffixed(reverse, "_reverse"))
    settings = {
        "input_size": int(state["weight_ih_l0"].shape[1]),
        "hidden_size": int(forward["units"]),
        "num_layers": 1,
        "bidirectional": backward is not None,
        "merge": merge,
        "reset_after": bool(forward.get("reset_after", True)),
        "bias": bool(forward.get("use_bias", True)),
        "batch_first": True,
        "input_dropout": float(forward.get("dropout", 0.0)),
        "recurrent_dropout": float(forward.get("recurrent_dropout", 0.0)),
        "go_backwards": bool(forward.get("go_backwards", False)) and backward is None,
    }
    return settings, state


def _records(source: Any, config: Any) -> list[KerasLayerRecord]:
    if isinstance(source, (str, os.PathLike)):
        return read_file_records(source, config)
    if config is not None:
        raise ValueError("`config` is only used with a .weights.h5 file, not with a live object")
    if hasattr(source, "get_config") and hasattr(source, "get_weights"):
        return live_records(source)
    raise TypeError(
        "`source` must be the path of a .keras or .weights.h5 file, or a Keras layer or model, "
        f"got {type(source).__name__}"
    )


def _select(records: list[KerasLayerRecord], layer: str | None, source: Any) -> KerasLayerRecord:
    names = [record.name for record in records]
    if not records:
        raise ValueError(f"no Keras GRU or Bidirectional(GRU) layer found in {source!r}")
    if layer is None:
        if len(records) == 1:
            return records[0]
        raise ValueError(
            f"the Keras model has {len(records)} GRU layers: pass `layer=` one of {names}"
        )
    matches = [r for r in records if r.name == layer] or [
        r for r in records if r.name.rsplit("/", 1)[-1] == layer
    ]
    if len(matches) == 1:
        return matches[0]
    problem = "is ambiguous" if matches else "was not found"
    raise ValueError(f"`layer` {layer!r} {problem}; available GRU layers: {names}")


def from_keras(
    source: Any, layer: str | None = None, *, config: Any = None, factory: Callable[..., M]
) -> M:
    """Build a ``grukit.GRU`` computing exactly what a Keras ``GRU`` / ``Bidirectional`` computes.

    ``grukit.GRU.from_keras(source, layer, config=config)`` is this call with
    ``factory=grukit.GRU``.

    Parameters
    ----------
    source : str, path-like, or Keras layer/model
        A ``.keras`` file, a Keras 3 ``.weights.h5`` file (then ``config`` is required), or a live
        Keras ``GRU``, ``Bidirectional`` or model (imports ``keras`` only in that case).
    layer : str, optional
        Name of the layer when the model has several GRU layers; a layer inside a nested model
        may also be named ``"inner_model/layer"``.
    config : dict, str or path-like, optional
        Architecture for a weights file: a ``.keras`` file, a ``.json`` file or JSON string from
        ``model.to_json()``, or that JSON parsed into a dict.
    factory : callable
        Builds the module from the settings: ``grukit.GRU`` (or a subclass).

    Returns
    -------
    grukit.GRU
        In eval mode, ``batch_first=True``, float32. ``output, h_n = gru(x)`` gives Keras'
        ``return_sequences=True`` output and its final state(s); Keras' last output with
        ``return_sequences=False`` is ``output[:, -1]`` for a GRU, and the merge of
        ``h_n[0], h_n[1]`` for a ``Bidirectional``.

    Examples
    --------
    >>> gru = from_keras("model.keras", layer="encoder_gru", factory=grukit.GRU)  # doctest: +SKIP
    >>> output, h_n = gru(x)  # doctest: +SKIP
    """
    record = _select(_records(source, config), layer, source)
    settings, state = record_to_spec(record)
    return build(factory, settings, state).eval()


def load_keras(
    source: Any, *, config: Any = None, factory: Callable[..., M]
) -> list[tuple[str, M]]:
    """Every GRU layer of a Keras model as ``(name, grukit.GRU)`` pairs, in model order.

    Includes GRUs inside ``Bidirectional`` wrappers and nested Sequential/Functional models (named
    ``"inner_model/layer"``). Arguments as for :func:`from_keras` (``factory=grukit.GRU``); a
    layer that cannot be converted raises the error :func:`from_keras` would.
    """
    return [
        (record.name, build(factory, *record_to_spec(record)).eval())
        for record in _records(source, config)
    ]


def spec_to_keras_weights(
    settings: dict[str, Any], state: dict[str, np.ndarray], *, layer: int | None = None
) -> list[np.ndarray]:
    """Keras ``set_weights`` arrays for one layer of a grukit GRU given as settings + state dict.

    See :func:`to_keras_weights`.
    """
    for key, reason in (
        ("layer_norm", "Keras' GRU has no layer normalization"),
        ("zoneout", "Keras' GRU has no zoneout (its eval-mode output differs)"),
    ):
        if settings.get(key):
            raise ValueError(f"cannot convert a GRU with {key}={settings[key]!r}: {reason}")
    num_layers = int(settings.get("num_layers", 1))
    if layer is None:
        if num_layers != 1:
            raise ValueError(
                f"the GRU has num_layers={num_layers}; Keras has no multi-layer GRU: pass "
                f"`layer=` in 0..{num_layers - 1} to get the weights of one Keras layer of the "
                "equivalent stack (return_sequences=True between layers)"
            )
        layer = 0
    if not 0 <= layer < num_layers:
        raise ValueError(f"`layer` must be in 0..{num_layers - 1}, got {layer}")
    bidirectional = bool(settings.get("bidirectional", False))
    if bidirectional and layer == num_layers - 1 and settings.get("merge") not in _MERGE_TO_KERAS:
        raise ValueError(f"`merge` {settings.get('merge')!r} has no Keras merge_mode")
    weights: list[np.ndarray] = []
    for suffix in ("", "_reverse") if bidirectional else ("",):
        names = [f"{role}_l{layer}{suffix}" for role in ("weight_ih", "weight_hh")]
        bias_names = [f"{role}_l{layer}{suffix}" for role in ("bias_ih", "bias_hh")]
        biases = [state.get(n) for n in bias_names] if settings.get("bias", True) else [None, None]
        weights += torch_to_keras_direction(
            state[names[0]],
            state[names[1]],
            *biases,
            reset_after=bool(settings.get("reset_after", True)),
        )
    return weights


def to_keras_weights(gru: torch.nn.Module, *, layer: int | None = None) -> list[np.ndarray]:
    """The arrays for Keras ``layer.set_weights`` that reproduce a ``grukit.GRU``.

    Parameters
    ----------
    gru : grukit.GRU
        Without ``layer_norm`` or ``zoneout`` (Keras has neither).
    layer : int, optional
        Required when ``num_layers > 1``: Keras has no multi-layer GRU, so layer ``k`` of the stack
        becomes one Keras ``GRU`` (or ``Bidirectional``, merge ``concat`` below the last layer).

    Returns
    -------
    list of ndarray
        ``[kernel (I, 3H), recurrent_kernel (H, 3H), bias]`` for a unidirectional layer; for a
        bidirectional one the forward arrays then the backward arrays, the order of
        ``Bidirectional.get_weights()``. ``bias`` is ``stack([bias_ih, bias_hh])`` reordered,
        (2, 3H), with ``reset_after=True``, and ``bias_ih + bias_hh`` reordered, (3H,), with
        ``reset_after=False`` (exact: in the reset-before candidate both biases sit outside the
        reset product). No bias array when ``bias=False``.
    """
    return spec_to_keras_weights(gru_settings(gru), numpy_state(gru), layer=layer)
