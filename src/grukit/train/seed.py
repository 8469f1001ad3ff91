"""Seeding and capturing every random number generator the loop depends on, without pickle."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

__all__ = ["capture_rng_state", "restore_rng_state", "seed_everything"]


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and all CUDA devices).

    Parameters
    ----------
    seed : int
        In ``[0, 2**32)`` (NumPy's limit).

    Notes
    -----
    The same seed, data, model initialization and configuration give bitwise identical training
    on CPU. On CUDA some kernels are nondeterministic unless
    ``torch.use_deterministic_algorithms(True)`` is set (this function does not set it).
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        raise ValueError(f"`seed` must be an integer in [0, 2**32), got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator is what user code touches
    torch.manual_seed(seed)  # also seeds every CUDA device


def capture_rng_state(
    shuffle_generator: torch.Generator,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Snapshot all generators as (tensors, JSON-safe dict) for a checkpoint.

    Tensors: ``torch_cpu`` and ``shuffle`` (uint8 generator states), ``cuda.<i>`` per CUDA device.
    JSON: ``numpy`` (bit generator state, the key as a list of ints), ``python`` (version, the
    internal state as a list of ints, the cached gauss value).
    """
    tensors = {
        "torch_cpu": torch.get_rng_state(),
        "shuffle": shuffle_generator.get_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{index}"] = state
    numpy_state = np.random.get_state(legacy=False)  # noqa: NPY002
    numpy_json = {
        "bit_generator": numpy_state["bit_generator"],
        "state": {
            "key": [int(v) for v in numpy_state["state"]["key"]],
            "pos": int(numpy_state["state"]["pos"]),
        },
        "has_gauss": int(numpy_state["has_gauss"]),
        "gauss": float(numpy_state["gauss"]),
    }
    version, internal, gauss_next = random.getstate()
    python_json = {"version": version, "state": list(internal), "gauss_next": gauss_next}
    return tensors, {"numpy": numpy_json, "python": python_json}


def restore_rng_state(
    tensors: dict[str, torch.Tensor],
    values: dict[str, Any],
    shuffle_generator: torch.Generator,
) -> None:
    """Inverse of :func:`capture_rng_state`; CUDA states are restored when CUDA is available."""
    torch.set_rng_state(tensors["torch_cpu"].to(torch.uint8).cpu())
    shuffle_generator.set_state(tensors["shuffle"].to(torch.uint8).cpu())
    cuda_states = [tensors[f"cuda.{i}"] for i in range(len(tensors)) if f"cuda.{i}" in tensors]
    if cuda_states and torch.cuda.is_available():
        count = min(len(cuda_states), torch.cuda.device_count())
        for index in range(count):
            torch.cuda.set_rng_state(cuda_states[index].to(torch.uint8).cpu(), index)
    numpy_json = values["numpy"]
    np.random.set_state(  # noqa: NPY002
        {
            "bit_generator": numpy_json["bit_generator"],
            "state": {
                "key": np.asarray(numpy_json["state"]["key"], dtype=np.uint32),
                "pos": int(numpy_json["state"]["pos"]),
            },
            "has_gauss": int(numpy_json["has_gauss"]),
            "gauss": float(numpy_json["gauss"]),
        }
    )
    python_json = values["python"]
    random.setstate(
        (int(python_json["version"]), tuple(python_json["state"]), python_json["gauss_next"])
    )
