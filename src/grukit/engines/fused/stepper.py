"""Streaming: one GRU step per call, allocation-free, for small batches (e.g. B = 1).

Per call the Python side does a handful of attribute lookups and ONE numba call; the weights are
packed once (transposed so every mat-vec streams contiguous rows) and all scratch buffers are
preallocated. Pass ``out=h`` to update the state in place without allocating anything.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, types
from numba.extending import overload

from grukit.engines.fused import _kernels
from grukit.engines.fused.layer import folded_input_bias, pack_recurrent

_BAD_X, _BAD_H, _BAD_OUT, _NEW_BATCH = 1, 2, 3, 4


def _as_2d(array):  # pragma: no cover - replaced by the overload inside numba
    raise NotImplementedError


@overload(_as_2d, inline="always")
def _as_2d_overload(array):
    if isinstance(array, types.Array) and array.ndim == 2:
        return lambda array: array
    if isinstance(array, types.Array) and array.ndim == 1:
        return lambda array: array.reshape((1, array.shape[0]))
    return None


@njit(**_kernels.JIT_OPTIONS)
def _stream_step(x, h, out, packed, layout):
    """Check shapes (return a non-zero code on mismatch), then run ``_kernels.step``.

    ``packed`` holds, one after the other: ``W_ih^T`` (I, 3H), ``b_gi`` (3H,), ``wt_a``
    (H, A), ``b_a`` (A,), ``wt_b`` (H, C), zeros (H,) (``_kernels`` module docstring: A = 3H,
    C = 0 for reset_after, A = 2H, C = H otherwise), then the scratch ``gi`` (B, 3H), ``gh``
    (B, A), ``gh_n`` (B, H), ``gates`` (4, B, H). ``layout`` is ``[I, H, B, reset_after, A, C,
    1 (x B: the active flags)]``. Five arguments keep numba's dispatch cost (about 0.07 us per
    argument) low.
    """
    inputs, hidden, rows, cols_a, cols_b = layout[0], layout[1], layout[2], layout[4], layout[5]
    x2 = _as_2d(x)
    h2 = _as_2d(h)
    o2 = _as_2d(out)
    if x.ndim != h.ndim or x2.shape[1] != inputs:
        return _BAD_X
    if h2.shape[1] != hidden or h2.shape[0] != x2.shape[0]:
        return _BAD_H
    if o2.shape[0] != h2.shape[0] or o2.shape[1] != hidden or out.ndim != h.ndim:
        return _BAD_OUT
    if x2.shape[0] != rows:
        return _NEW_BATCH
    o = 0
    wt_ih = packed[o : o + inputs * 3 * hidden].reshape((inputs, 3 * hidden))
    o += inputs * 3 * hidden
    b_gi = packed[o : o + 3 * hidden]
    o += 3 * hidden
    wt_a = packed[o : o + hidden * cols_a].reshape((hidden, cols_a))
    o += hidden * cols_a
    b_a = packed[o : o + cols_a]
    o += cols_a
    wt_b = packed[o : o + hidden * cols_b].reshape((hidden, cols_b))
    o += hidden * cols_b
    zeros = packed[o : o + hidden]
    o += hidden
    gi = packed[o : o + rows * 3 * hidden].reshape((rows, 3 * hidden))
    o += rows * 3 * hidden
    gh = packed[o : o + rows * cols_a].reshape((rows, cols_a))
    o += rows * cols_a
    gh_n = packed[o : o + rows * hidden].reshape((rows, hidden))
    o += rows * hidden
    gates = packed[o : o + 4 * rows * hidden].reshape((4, rows, hidden))
    _kernels.step(
        x2, h2, o2, wt_ih, b_gi, wt_a, b_a, wt_b, layout[3] != 0, (gi, gh, gh_n, zeros),
        gates, layout[6 : 6 + rows],
    )  # fmt: skip
    return 0


def _as_array(value, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


class FusedStepper:
    """Single GRU steps ``h_t = GRUCell(x_t, h_{t-1})`` with packed weights and no allocation.

    Parameters
    ----------
    weight_ih, weight_hh : array or Tensor, (3H, I) and (3H, H); gate rows r, z, n.
    bias_ih, bias_hh : array or Tensor (3H,), or None.
    reset_after : bool, default True
        PyTorch/cuDNN formulation if True, Cho et al. 2014 if False (``docs/architecture.md``).
    dtype : {np.float32, np.float64} or None
        Compute type; default the type of ``weight_hh`` (float32 unless it is float64).
    batch_size : int, default 1
        Size the scratch buffers for this many rows; another batch size reallocates them once.

    Notes
    -----
    One stepper owns one set of scratch buffers: do not call the same stepper from several
    threads at once (build one per thread; the packed weights are small).

    Examples
    --------
    >>> import numpy as np, torch
    >>> cell = torch.nn.GRUCell(4, 8)
    >>> stepper = FusedStepper.from_module(cell)
    >>> h = np.zeros(8, np.float32)
    >>> for x_t in np.ones((3, 4), np.float32):
    ...     h = stepper.step(x_t, h)
    >>> h.shape
    (8,)
    """

    def __init__(
        self,
        weight_ih,
        weight_hh,
        bias_ih=None,
        bias_hh=None,
        *,
        reset_after: bool = True,
        dtype=None,
        batch_size: int = 1,
    ) -> None:
        w_ih = _as_array(weight_ih, "weight_ih")
        w_hh = _as_array(weight_hh, "weight_hh")
        if dtype is None:
            dtype = np.float64 if w_hh.dtype == np.float64 else np.float32
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"`dtype` must be float32 or float64, got {self.dtype}")
        if w_hh.ndim != 2 or w_hh.shape[0] != 3 * w_hh.shape[1]:
            raise ValueError(f"`weight_hh` must have shape (3H, H), got {w_hh.shape}")
        hidden = w_hh.shape[1]
        if w_ih.ndim != 2 or w_ih.shape[0] != 3 * hidden:
            raise ValueError(f"`weight_ih` must have shape ({3 * hidden}, I), got {w_ih.shape}")
        biases = []
        for name, bias in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
            if bias is not None:
                bias = _as_array(bias, name)
                if bias.shape != (3 * hidden,):
                    raise ValueError(f"`{name}` must have shape ({3 * hidden},), got {bias.shape}")
                bias = torch.from_numpy(bias.astype(self.dtype))
            biases.append(bias)
        like = torch.from_numpy(np.zeros(1, self.dtype))
        self.input_size, self.hidden_size = w_ih.shape[1], hidden
        self.reset_after = bool(reset_after)
        self._wt_ih = np.ascontiguousarray(w_ih.astype(self.dtype).T)  # (I, 3H)
        self._b_gi = folded_input_bias(*biases, hidden, self.reset_after, like).numpy().copy()
        self._recurrent = pack_recurrent(
            torch.from_numpy(w_hh.astype(self.dtype)), biases[1], self.reset_after
        )  # (wt_a, b_a, wt_b)
        self._allocate(batch_size)

    @classmethod
    def from_module(cls, module, *, layer: int = 0, reverse: bool = False, **options):
        """Build from ``torch.nn.GRUCell``, ``torch.nn.GRU`` or ``grukit.GRU`` (one direction).

        Parameters are looked up as ``weight_ih`` (cells) or ``weight_ih_l{layer}[_reverse]``;
        ``reset_after`` is taken from the module when it has that attribute.
        """
        suffix = (
            "" if hasattr(module, "weight_ih") else f"_l{layer}" + ("_reverse" if reverse else "")
        )
        if not hasattr(module, f"weight_ih{suffix}"):
            raise ValueError(f"module {type(module).__name__} has no parameter weight_ih{suffix}")
        options.setdefault("reset_after", getattr(module, "reset_after", True))
        return cls(
            getattr(module, f"weight_ih{suffix}"),
            getattr(module, f"weight_hh{suffix}"),
            getattr(module, f"bias_ih{suffix}", None),
            getattr(module, f"bias_hh{suffix}", None),
            **options,
        )

    def _allocate(self, batch_size: int) -> None:
        """Pack weights and scratch for ``batch_size`` rows in one buffer (``_stream_step``)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
        hidden = self.hidden_size
        wt_a, b_a, wt_b = self._recurrent
        weights = [self._wt_ih, self._b_gi, wt_a, b_a, wt_b, np.zeros(hidden, self.dtype)]
        scratch = np.zeros(batch_size * (3 * hidden + wt_a.shape[1] + 5 * hidden), self.dtype)
        self._packed = np.concatenate([w.ravel() for w in weights] + [scratch])
        layout = [self.input_size, hidden, batch_size, int(self.reset_after)]
        layout += [wt_a.shape[1], wt_b.shape[1]] + [1] * batch_size
        self._layout = np.array(layout, dtype=np.int64)

    def step(self, x, h, out=None):
        """One step: ``x`` (I,) or (B, I), ``h`` (H,) or (B, H) -> new state, shaped like ``h``.

        NumPy arrays of the stepper's dtype (C-contiguous) take the fast path; torch tensors are
        accepted too (the result is then a tensor). ``out`` (shaped like ``h``) receives the
        result and may be ``h`` itself.
        """
        as_tensor = type(h) is not np.ndarray and isinstance(h, torch.Tensor)
        if type(x) is not np.ndarray or type(h) is not np.ndarray:
            x, h = _as_array(x, "x"), _as_array(h, "h")
            if out is not None:
                out = _as_array(out, "out")
        dtype = self.dtype
        if x.dtype != dtype or h.dtype != dtype:
            raise ValueError(f"`x` and `h` must have dtype {dtype}, got {x.dtype} and {h.dtype}")
        if out is None:
            out = np.empty_like(h)
        code = _stream_step(x, h, out, self._packed, self._layout)
        if code:
            if code == _NEW_BATCH:
                self._allocate(1 if x.ndim == 1 else x.shape[0])
                code = _stream_step(x, h, out, self._packed, self._layout)
            if code:
                self._raise(code, x, h, out)
        return torch.from_numpy(out) if as_tensor else out

    __call__ = step

    def _raise(self, code: int, x, h, out) -> None:
        if code == _BAD_X:
            raise ValueError(
                f"`x` must have shape ({self.input_size},) or (B, {self.input_size}) matching `h`, "
                f"got {x.shape} with h {h.shape}"
            )
        if code == _BAD_H:
            raise ValueError(
                f"`h` must have shape ({self.hidden_size},) or (B, {self.hidden_size}) with the "
                f"batch of `x`, got {h.shape} with x {x.shape}"
            )
        raise ValueError(f"`out` must have the shape of `h` {h.shape}, got {out.shape}")
