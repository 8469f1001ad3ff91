"""Deterministic weights, inputs and targets of one grid point (NumPy only).

Every worker process regenerates the data of a point from the run's seed and the point itself,
so all sides see identical float32 weights and inputs without shipping arrays between processes.
The initialisation matches PyTorch's ``nn.GRU`` default: U(-1/sqrt(H), 1/sqrt(H)).
"""

from __future__ import annotations

import numpy as np

from grukit_bench.config import Point

__all__ = [
    "GATE_SWAP",
    "keras_recurrent_to_torch",
    "point_data",
    "streaming_checkpoints",
    "torch_to_keras",
]

#: number of states recorded along a stream for the correctness check
_STREAM_CHECKS = 10


def point_data(point: Point, *, seed: int) -> dict[str, np.ndarray]:
    """Weights (PyTorch layout, gates r, z, n), input and targets of ``point``, float32.

    Returns
    -------
    dict
        ``weight_ih`` (3H, I), ``weight_hh`` (3H, H), ``bias_ih`` (3H,), ``bias_hh`` (3H,),
        ``head_weight`` (1, H), ``head_bias`` (1,), ``x`` (B, T, I) standard normal,
        ``target_last`` (B, 1) and ``target_all`` (B, T, 1) standard normal.
    """
    batch, length, inputs, hidden = (int(v) for v in point)
    # Weights depend on (I, H) only, so a side may reuse an exported model across B and T.
    weight_rng = np.random.default_rng([int(seed), inputs, hidden])
    rng = np.random.default_rng([int(seed), batch, length, inputs, hidden])
    bound = 1.0 / np.sqrt(hidden)

    def uniform(*shape: int) -> np.ndarray:
        return weight_rng.uniform(-bound, bound, size=shape).astype(np.float32)

    return {
        "weight_ih": uniform(3 * hidden, inputs),
        "weight_hh": uniform(3 * hidden, hidden),
        "bias_ih": uniform(3 * hidden),
        "bias_hh": uniform(3 * hidden),
        "head_weight": uniform(1, hidden),
        "head_bias": uniform(1),
        "x": rng.standard_normal((batch, length, inputs)).astype(np.float32),
        "target_last": rng.standard_normal((batch, 1)).astype(np.float32),
        "target_all": rng.standard_normal((batch, length, 1)).astype(np.float32),
    }


def streaming_checkpoints(steps: int) -> list[int]:
    """Step indices (0-based, after which the state is recorded) for the streaming check."""
    if steps < 1:
        raise ValueError(f"`steps` must be a positive integer, got {steps}")
    stride = max(1, steps // _STREAM_CHECKS)
    return sorted({min(steps - 1, k) for k in range(stride - 1, steps, stride)} | {steps - 1})


#: block order that turns PyTorch's r, z, n into Keras' z, r, h (and back: it is an involution)
GATE_SWAP = (1, 0, 2)


def _swap_blocks(array: np.ndarray, axis: int) -> np.ndarray:
    blocks = np.split(array, 3, axis=axis)
    return np.concatenate([blocks[i] for i in GATE_SWAP], axis=axis)


def torch_to_keras(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keras ``GRU(reset_after=True)`` weights equal to the PyTorch-layout weights in ``data``.

    Returns
    -------
    dict
        ``kernel`` (I, 3H), ``recurrent_kernel`` (H, 3H) (column blocks z, r, h) and ``bias``
        (2, 3H) (rows: input bias, recurrent bias).
    """
    return {
        "kernel": np.ascontiguousarray(_swap_blocks(data["weight_ih"], 0).T),
        "recurrent_kernel": np.ascontiguousarray(_swap_blocks(data["weight_hh"], 0).T),
        "bias": np.stack([_swap_blocks(data["bias_ih"], 0), _swap_blocks(data["bias_hh"], 0)]),
    }


def keras_recurrent_to_torch(recurrent_kernel: np.ndarray) -> np.ndarray:
    """Keras ``recurrent_kernel`` (H, 3H; z, r, h) -> PyTorch ``weight_hh`` (3H, H; r, z, n)."""
    return np.ascontiguousarray(_swap_blocks(np.asarray(recurrent_kernel).T, 0))
