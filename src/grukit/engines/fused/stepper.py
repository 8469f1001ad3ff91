"""Streaming: one GRU step per call, allocation-free, for small batches (e.g. B = 1).

Per call the Python side does a few type checks and ONE numba call with three or four array
arguments (numba's dispatch costs about 0.04 us per argument): the weights, their panel tables,
the biases and all scratch live in a single 64-byte aligned byte buffer (layout in
``_kernels``), packed once. The input and recurrent projections are one fused product per step
(``_kernels.stream_step``). Pass ``out=h`` to update the state in place without allocating.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from grukit import checks
from grukit.engines.fused import _kernels, _no_dispatch, _packing, _panels
from grukit.engines.fused._layer_weights import folded_input_bias

_BAD_X, _BAD_H, _BAD_OUT, _NEW_BATCH = (
    _kernels.BAD_X, _kernels.BAD_H, _kernels.BAD_OUT, _kernels.NEW_BATCH,
)  # fmt: skip
_NDARRAY = np.ndarray


def _as_array(value: Any, name: str) -> np.ndarray:
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
        weight_ih: Any,
        weight_hh: Any,
        bias_ih: Any = None,
        bias_hh: Any = None,
        *,
        reset_after: bool = True,
        dtype: npt.DTypeLike | None = None,
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
        biases: list[Tensor | None] = []
        for name, given in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
            if given is None:
                biases.append(None)
                continue
            bias = _as_array(given, name)
            if bias.shape != (3 * hidden,):
                raise ValueError(f"`{name}` must have shape ({3 * hidden},), got {bias.shape}")
            biases.append(torch.from_numpy(bias.astype(self.dtype)))
        like = torch.from_numpy(np.zeros(1, self.dtype))
        self.input_size, self.hidden_size = w_ih.shape[1], hidden
        self.reset_after = bool(reset_after)
        self._w_ih = w_ih.astype(self.dtype)
        self._w_hh = w_hh.astype(self.dtype)
        bias_ih_t, bias_hh_t = biases
        b_gi = folded_input_bias(bias_ih_t, bias_hh_t, hidden, self.reset_after, like)
        self._b_gi = b_gi.numpy().copy()
        self._b_hn = np.zeros(hidden, self.dtype)
        if self.reset_after and bias_hh_t is not None:
            self._b_hn[:] = bias_hh_t.numpy()[2 * hidden :]
        self._allocate(batch_size)

    @classmethod
    def from_module(
        cls, module: Any, *, layer: int = 0, reverse: bool = False, **options: Any
    ) -> FusedStepper:
        """Build from ``torch.nn.GRUCell``, ``torch.nn.GRU`` or ``grukit.GRU`` (one direction).

        Parameters are looked up as ``weight_ih`` (cells) or ``weight_ih_l{layer}[_reverse]``,
        through ``direction_weights`` for a module that has it (``grukit.GRU``, which must not
        use layer norm: the steppers have none); ``reset_after`` is taken from the module when
        it has that attribute.
        """
        suffix = (
            "" if hasattr(module, "weight_ih") else f"_l{layer}" + ("_reverse" if reverse else "")
        )
        if not hasattr(module, f"weight_ih{suffix}"):
            raise ValueError(f"module {type(module).__name__} has no parameter weight_ih{suffix}")
        options.setdefault("reset_after", getattr(module, "reset_after", True))
        if hasattr(module, "direction_weights"):
            weights = module.direction_weights(layer, 1 if reverse else 0)
            if weights.norm_weight_ih is not None or weights.norm_weight_hh is not None:
                raise ValueError(
                    f"module {type(module).__name__} has layer_norm=True: the fused steppers "
                    "have no layer normalisation"
                )
            return cls(*weights[:4], **options)
        return cls(
            getattr(module, f"weight_ih{suffix}"),
            getattr(module, f"weight_hh{suffix}"),
            getattr(module, f"bias_ih{suffix}", None),
            getattr(module, f"bias_hh{suffix}", None),
            **options,
        )

    def _allocate(self, batch_size: int) -> None:
        """Pack weights, tables and scratch for ``batch_size`` rows in one buffer."""
        batch_size = checks.positive_int("batch_size", batch_size)
        inputs, hidden, dtype = self.input_size, self.hidden_size, self.dtype
        hv = _packing.padded(hidden, dtype)
        w_ih, w_hh = self._w_ih, self._w_hh
        # r and z read all of v = [x, h]: (I + H, 2H) as the transpose of [W_ih | W_hh] rows
        rz = np.concatenate([w_ih[: 2 * hidden], w_hh[: 2 * hidden]], axis=1).T
        table_a = _packing.gate_groups(rz, 2, 0, 0, hidden, dtype)
        w_in, w_hn = w_ih[2 * hidden :].T, w_hh[2 * hidden :].T
        if self.reset_after:
            groups = [table_a + [(w_hn, inputs, 2 * hv), (w_in, 0, 3 * hv)], []]
        else:
            groups = [table_a + [(w_in, 0, 3 * hv)], [(w_hn, 0, 2 * hv)]]
        weights, tables = _packing.pack_tables(groups, dtype, _packing.nvmax_for(batch_size))
        bias = np.zeros(4 * hv, dtype)
        for g, col in enumerate((0, hv, 3 * hv)):
            bias[col : col + hidden] = self._b_gi[g * hidden : (g + 1) * hidden]
        bias[2 * hv : 2 * hv + hidden] = self._b_hn

        def whole(count: int) -> int:  # elements, rounded up to whole cache lines
            return _packing.padded(count, np.uint8) // dtype.itemsize if count else 0

        sizes = {
            "bias": 4 * hv,
            "zeros": 4 * hv,
            "v": batch_size * (inputs + hidden),
            "acc": batch_size * 4 * hv,
            "q": batch_size * hidden,
        }
        offsets, cursor = {}, whole(weights.size * dtype.itemsize)
        for name, count in sizes.items():
            offsets[name] = cursor
            cursor += whole(count * dtype.itemsize)
        table = np.concatenate(tables)
        meta = np.zeros(_kernels.META_SIZE + table.size, np.int64)
        meta[_kernels.META_SIZE :] = table
        floats_at = _packing.padded(meta.size * 8, np.uint8)
        meta[: _kernels.META_Q + 1] = [
            inputs, hidden, batch_size, int(self.reset_after), hv,
            tables[0].size // _panels.TABLE_WIDTH, tables[1].size // _panels.TABLE_WIDTH, 0,
            floats_at, offsets["bias"], offsets["zeros"], offsets["v"], offsets["acc"],
            offsets["q"],
        ]  # fmt: skip
        buf = _packing.aligned_empty(floats_at + cursor * dtype.itemsize, np.uint8, zero=True)
        buf[: meta.size * 8] = meta.view(np.uint8)
        floats = buf[floats_at:].view(dtype)
        floats[: weights.size] = weights
        floats[offsets["bias"] : offsets["bias"] + bias.size] = bias
        self._buf = buf

    @property
    def buffer(self) -> np.ndarray:
        """The packed weights, tables and scratch, for :func:`direct_step_inplace`."""
        return self._buf

    @overload
    def step(self, x: Any, h: Tensor, out: Any = None) -> Tensor: ...
    @overload
    def step(self, x: Any, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray: ...
    def step(self, x: Any, h: Any, out: Any = None) -> Any:
        """One step: ``x`` (I,) or (B, I), ``h`` (H,) or (B, H) -> new state, shaped like ``h``.

        NumPy arrays of the stepper's dtype (C-contiguous) take the fast path; torch tensors are
        accepted too (the result is then a tensor). ``out`` (shaped like ``h``) receives the
        result and may be ``h`` itself.
        """
        if type(x) is _NDARRAY and type(h) is _NDARRAY:
            dtype = self.dtype
            if x.dtype is not dtype or h.dtype is not dtype:
                self._check_dtypes(x, h)
            if out is h:
                code = _kernels.stream_step_inplace(x, h, self._buf)
                if code:
                    return self._retry(code, x, h, out)
                return out
            if out is None:
                out = np.empty_like(h)
            elif type(out) is not _NDARRAY:
                out = _as_array(out, "out")
            code = _kernels.stream_step(x, h, out, self._buf)
            if code:
                return self._retry(code, x, h, out)
            return out
        as_tensor = isinstance(h, torch.Tensor)
        x, h = _as_array(x, "x"), _as_array(h, "h")
        out = np.empty_like(h) if out is None else _as_array(out, "out")
        self._check_dtypes(x, h)
        code = _kernels.stream_step(x, h, out, self._buf)
        if code:
            self._retry(code, x, h, out)
        return torch.from_numpy(out) if as_tensor else out

    def _check_dtypes(self, x: np.ndarray, h: np.ndarray) -> None:
        if x.dtype != self.dtype or h.dtype != self.dtype:
            raise ValueError(
                f"`x` and `h` must have dtype {self.dtype}, got {x.dtype} and {h.dtype}"
            )

    def _retry(self, code: int, x: np.ndarray, h: np.ndarray, out: np.ndarray) -> np.ndarray:
        """A new batch size: repack the scratch and run again; otherwise raise."""
        if code == _NEW_BATCH:
            self._allocate(1 if x.ndim == 1 else x.shape[0])
            code = _kernels.stream_step(x, h, out, self._buf)
        if code:
            self._raise(code, x, h, out)
        return out

    __call__ = step

    def _raise(self, code: int, x: np.ndarray, h: np.ndarray, out: np.ndarray) -> None:
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


@functools.cache
def direct_step_inplace(
    dtype: npt.DTypeLike,
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], int]:
    """``h <- GRUCell(x, h)`` with a stepper's :attr:`FusedStepper.buffer`, for 2-D
    C-contiguous arrays of ``dtype``, without numba's dispatch (``_no_dispatch``): about 0.2 us
    less per call than the dispatched ``_kernels.stream_step_inplace``. Returns 0, or a non-zero
    code (wrong shapes, another batch size) leaving ``h`` unchanged.

    The caller MUST pass ``x`` (B, I) and ``h`` (B, H) as C-contiguous 2-D ``np.ndarray`` of
    exactly ``dtype`` and a stepper's buffer; anything else is read as if it were (undefined
    results). Shapes and the batch size are still checked by the kernel (non-zero code).
    """
    example = np.zeros((1, 1), np.dtype(dtype))
    return _no_dispatch.bind(_kernels.stream_step_inplace, example, example, np.zeros(8, np.uint8))
