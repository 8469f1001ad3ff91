"""Gate-block layouts of one GRU layer-direction: PyTorch/grukit <-> Keras (pure NumPy).

PyTorch and grukit store the gates as row blocks r, z, n of ``weight_ih`` (3H, I), ``weight_hh``
(3H, H), ``bias_ih`` (3H,) and ``bias_hh`` (3H,). Keras stores them as column blocks z, r, h of
``kernel`` (I, 3H) and ``recurrent_kernel`` (H, 3H); its ``bias`` is (2, 3H) (rows: input bias,
recurrent bias) with ``reset_after=True`` and one (3H,) vector with ``reset_after=False``.

Both reorderings swap the first two H-wide blocks, so the same permutation serves both directions.

The reset-before bias (``reset_after=False``) is exact in both directions: with it the candidate is
``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``, where ``b_in`` and ``b_hn`` are both outside the
reset product, and the r, z gates add ``b_i* + b_h*``; so the single Keras bias ``b`` equals
``bias_ih + bias_hh`` block by block, and ``bias_ih = b, bias_hh = 0`` reproduces it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["keras_to_torch_direction", "swap_rz", "torch_to_keras_direction"]


def swap_rz(array: np.ndarray, axis: int) -> np.ndarray:
    """Swap the first two of the three equal gate blocks along ``axis`` (r,z,n <-> z,r,h).

    Parameters
    ----------
    array : ndarray
        Any array whose size along ``axis`` is 3H.
    axis : int
        The gate axis: 0 for PyTorch rows, -1 for Keras columns.

    Returns
    -------
    ndarray
        A new array with blocks ``[1, 0, 2]``.
    """
    size = array.shape[axis]
    if size % 3:
        raise ValueError(f"gate axis must have size 3H, got shape {array.shape} (axis {axis})")
    first, second, third = np.split(array, 3, axis=axis)
    return np.concatenate([second, first, third], axis=axis)


def keras_to_torch_direction(
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None,
    *,
    reset_after: bool,
) -> dict[str, np.ndarray]:
    """Convert one Keras GRU direction to PyTorch/grukit tensors (exact: only copies).

    Parameters
    ----------
    kernel : ndarray, shape (I, 3H)
        Keras ``kernel``, column blocks z, r, h.
    recurrent_kernel : ndarray, shape (H, 3H)
        Keras ``recurrent_kernel``, column blocks z, r, h.
    bias : ndarray or None
        Shape (2, 3H) if ``reset_after`` else (3H,); ``None`` when ``use_bias=False``.
    reset_after : bool
        The Keras layer's ``reset_after``.

    Returns
    -------
    dict
        ``weight_ih`` (3H, I), ``weight_hh`` (3H, H) and, with a bias, ``bias_ih`` and ``bias_hh``
        (3H,) each, in gate order r, z, n. A reset-before bias goes to ``bias_ih``; ``bias_hh`` is
        zero (exact, see the module docstring).
    """
    kernel = np.asarray(kernel)
    recurrent_kernel = np.asarray(recurrent_kernel)
    if kernel.ndim != 2 or kernel.shape[1] % 3:
        raise ValueError(f"Keras `kernel` must have shape (I, 3H), got {kernel.shape}")
    hidden = kernel.shape[1] // 3
    if recurrent_kernel.shape != (hidden, 3 * hidden):
        raise ValueError(
            f"Keras `recurrent_kernel` must have shape {(hidden, 3 * hidden)}, "
            f"got {recurrent_kernel.shape}"
        )
    state = {
        "weight_ih": np.ascontiguousarray(swap_rz(kernel, -1).T),
        "weight_hh": np.ascontiguousarray(swap_rz(recurrent_kernel, -1).T),
    }
    if bias is None:
        return state
    bias = np.asarray(bias)
    expected = (2, 3 * hidden) if reset_after else (3 * hidden,)
    if bias.shape != expected:
        raise ValueError(
            f"Keras `bias` with reset_after={reset_after} must have shape {expected}, "
            f"got {bias.shape}"
        )
    if reset_after:
        state["bias_ih"] = swap_rz(bias[0], -1)
        state["bias_hh"] = swap_rz(bias[1], -1)
    else:
        state["bias_ih"] = swap_rz(bias, -1)
        state["bias_hh"] = np.zeros_like(state["bias_ih"])
    return state


def torch_to_keras_direction(
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray | None,
    bias_hh: np.ndarray | None,
    *,
    reset_after: bool,
) -> list[np.ndarray]:
    """Convert one PyTorch/grukit direction to the Keras ``[kernel, recurrent_kernel, bias]``.

    Parameters
    ----------
    weight_ih, weight_hh : ndarray, shapes (3H, I) and (3H, H)
        Row blocks r, z, n.
    bias_ih, bias_hh : ndarray of shape (3H,) or None
        Both ``None`` for a layer without bias.
    reset_after : bool
        Formulation of the target Keras layer.

    Returns
    -------
    list of ndarray
        ``[kernel (I, 3H), recurrent_kernel (H, 3H)]`` plus the bias: ``stack([b_ih, b_hh])``
        (2, 3H) with ``reset_after=True``; ``b_ih + b_hh`` (3H,) with ``reset_after=False``
        (exact in exact arithmetic; in floating point the sum is rounded once, so it is
        bit-exact when ``bias_hh`` is zero, as after a Keras import).
    """
    weight_ih = np.asarray(weight_ih)
    weight_hh = np.asarray(weight_hh)
    weights = [
        np.ascontiguousarray(swap_rz(weight_ih, 0).T),
        np.ascontiguousarray(swap_rz(weight_hh, 0).T),
    ]
    if bias_ih is None and bias_hh is None:
        return weights
    if bias_ih is None or bias_hh is None:
        raise ValueError("`bias_ih` and `bias_hh` must both be given or both be None")
    bias_ih = swap_rz(np.asarray(bias_ih), 0)
    bias_hh = swap_rz(np.asarray(bias_hh), 0)
    if reset_after:
        weights.append(np.stack([bias_ih, bias_hh]))
    else:
        weights.append(bias_ih + bias_hh)
    return weights
