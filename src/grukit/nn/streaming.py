"""Streaming: ``GRU.step`` and :class:`GRUStreamer`, one time step per call.

On a CPU, for inference, steps go through the fused engine's steppers (``FusedStepper``): the
weights are packed once and re-packed only when a parameter changes (an optimizer step,
``load_state_dict``), detected through each parameter's version counter. Everything else
(autograd, GPUs, layer norm, zoneout, training-time dropout) takes grukit's
PyTorch step, which gives the same numbers up to rounding. Which route a call takes is
``grukit.nn.planning``'s decision (``step_engine``, ``plan_streamer``).
"""

from __future__ import annotations

import threading
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from grukit import checks
from grukit.engines.torch_loop import input_projection, make_step
from grukit.nn import _validation as check
from grukit.nn import planning

if TYPE_CHECKING:
    from grukit.nn._module import DirectionWeights, StackedGRU

__all__ = ["GRUStreamer"]

_VERSION = attrgetter("_version")


def check_streamable(gru: StackedGRU) -> None:
    """Refuse the configurations that cannot run one step at a time."""
    if gru.bidirectional:
        raise ValueError("streaming needs a unidirectional GRU, got bidirectional=True")
    if gru.go_backwards:
        raise ValueError("streaming cannot run backwards in time, got go_backwards=True")


class LayerSteppers:
    """One ``FusedStepper`` per layer of a GRU, kept by the GRU for its :meth:`GRU.step` and
    rebuilt when any parameter changed since the last step.

    A change is a new parameter object or an in-place update (optimizer steps and
    ``load_state_dict`` bump the tensor's version counter). A stepper's buffer holds its scratch
    arrays, so each thread gets its own steppers (``threading.local``): ``GRU.step`` from
    several threads at once on one module computes what each thread alone would, with no lock
    (the packed weights are small). Copies and pickles start with no steppers.
    """

    def __init__(self) -> None:
        self._per_thread = threading.local()  # .key, .steppers: this thread's

    def current(self, gru: StackedGRU, stack: list[DirectionWeights]) -> list[Any]:
        """This thread's steppers for ``gru``'s parameters ``stack`` (``gru.stack_weights()``)."""
        key = [(id(t), t._version) for p in stack for t in p if t is not None]
        mine = self._per_thread
        steppers: list[Any] | None = getattr(mine, "steppers", None)
        if steppers is None or key != mine.key:
            from grukit.engines.fused import FusedStepper

            layers = range(gru.num_layers)
            steppers = [FusedStepper.from_module(gru, layer=layer) for layer in layers]
            mine.steppers, mine.key = steppers, key
        return steppers

    def __getstate__(self) -> dict[str, Any]:
        return {}  # packed weights are a cache; a threading.local cannot be pickled

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._per_thread = threading.local()


def fused_step(
    gru: StackedGRU,
    x_t: Tensor,
    state: Tensor | None,
    stack: list[DirectionWeights],
    steppers: LayerSteppers,
) -> tuple[Tensor, Tensor]:
    """``gru.step`` through ``gru``'s steppers: a new state tensor, the inputs left untouched.

    ``stack``: ``gru.stack_weights()``.
    """
    weight = stack[0].weight_hh
    if not isinstance(x_t, Tensor) or x_t.dim() != 2 or x_t.shape[1] != gru.input_size:
        raise ValueError(
            f"`x_t` must have shape (B, {gru.input_size}), got "
            f"{tuple(x_t.shape) if hasattr(x_t, 'shape') else type(x_t).__name__}"
        )
    if x_t.dtype != weight.dtype:
        raise ValueError(f"`x_t` must have dtype {weight.dtype} (the parameters'), got {x_t.dtype}")
    batch = x_t.shape[0]
    expected = (gru.num_layers, batch, gru.hidden_size)
    new_state = torch.empty(expected, dtype=weight.dtype)
    if state is None:
        previous = np.zeros(expected, dtype=new_state.numpy().dtype)
    else:
        if not isinstance(state, Tensor) or tuple(state.shape) != expected:
            got = tuple(state.shape) if hasattr(state, "shape") else type(state).__name__
            raise ValueError(
                f"`state` must have shape (num_layers, batch, hidden_size) = {expected}, got {got}"
            )
        if state.dtype != weight.dtype:
            raise ValueError(
                f"`state` must have dtype {weight.dtype} (the parameters'), got {state.dtype}"
            )
        previous = state.detach().cpu().numpy()
    out = new_state.numpy()
    layer_input = np.ascontiguousarray(x_t.detach().cpu().numpy())
    for layer, stepper in enumerate(steppers.current(gru, stack)):
        stepper.step(layer_input, np.ascontiguousarray(previous[layer]), out=out[layer])
        layer_input = out[layer]
    return new_state[-1], new_state


def torch_step(
    gru: StackedGRU, x_t: Tensor, state: Tensor | None, stack: list[DirectionWeights]
) -> tuple[Tensor, Tensor]:
    """``gru.step`` with grukit's PyTorch step: every option, differentiable.

    ``stack``: ``gru.stack_weights()``.
    """
    for name in ("recurrent_dropout", "input_dropout"):
        if gru.training and getattr(gru, name) > 0:
            raise ValueError(
                f"step() cannot apply {name} in training mode (its mask spans a whole "
                "sequence); call eval() or use forward()"
            )
    x_t = check.input_tensor(x_t, gru.input_size, batched_dims=2)
    check.same_dtype("x_t", x_t, stack[0].weight_ih)
    if x_t.dim() != 2:
        raise ValueError(f"`x_t` must have shape (B, {gru.input_size}), got {tuple(x_t.shape)}")
    expected = (gru.num_layers, x_t.shape[0], gru.hidden_size)
    if state is None:
        state = x_t.new_zeros(expected)
    state = check.state_tensor("state", state, expected, "num_layers, batch, hidden_size")
    check.same_dtype("state", state, stack[0].weight_ih)
    layer_input, new_state = x_t, []
    for layer, p in enumerate(stack):
        gi = input_projection(layer_input, p.weight_ih, p.bias_ih, p.norm_weight_ih)
        step = make_step(
            p.weight_hh, p.bias_hh, reset_after=gru.reset_after, norm_weight_hh=p.norm_weight_hh
        )
        h_prev = state[layer]
        h = step(gi, h_prev, None)
        if gru.zoneout > 0:
            keep = h.new_full(h.shape, gru.zoneout)
            if gru.training:
                keep = torch.bernoulli(keep)
            h = torch.lerp(h, h_prev, keep)  # exact at keep = 0 and 1
        new_state.append(h)
        layer_input = h
        if gru.training and gru.dropout > 0 and layer < gru.num_layers - 1:
            layer_input = F.dropout(layer_input, gru.dropout, training=True)
    return layer_input, torch.stack(new_state)


class GRUStreamer:
    """Stateful, allocation-free streaming over a unidirectional :class:`~grukit.GRU`.

    Holds the state (num_layers, B, H) in a buffer that every :meth:`step` updates in place, so
    a step allocates nothing on the fused path. The streamer is bound to the module's parameter
    tensors when it is created: in-place updates (optimizer steps, ``load_state_dict``) are
    picked up at the next step; after replacing parameters or moving the module (``.to()``),
    create a new streamer. ``step`` accepts NumPy arrays (the fastest route) or tensors and
    returns the last layer's new state as the same kind: a view into the buffer, which the next
    step overwrites (pass ``copy=True`` or ``out=`` to keep it).

    A streamer holds one state, so it serves one thread: the thread of its first step owns it,
    and a step from any other thread raises ``RuntimeError`` (create one streamer per thread;
    :meth:`GRU.step` itself may be called from several threads at once).

    Which engine serves the steps is planned once, at creation (``grukit.nn.planning``):
    ``"fused"`` (the steppers) when they serve the module, else ``"torch"`` (through
    ``GRU.step``). :attr:`last_engine` names the engine of the last step; it is written when the
    route changes, not at every step.

    Examples
    --------
    >>> import numpy as np, grukit
    >>> gru = grukit.GRU(4, 8, num_layers=2).eval()
    >>> streamer = gru.streamer(batch_size=1)
    >>> for x_t in np.random.default_rng(0).standard_normal((5, 1, 4)).astype("float32"):
    ...     y_t = streamer.step(x_t)
    >>> y_t.shape, streamer.last_engine
    ((1, 8), 'fused')
    """

    def __init__(self, gru: StackedGRU, batch_size: int = 1) -> None:
        check_streamable(gru)
        self.gru = gru
        self.batch_size = checks.positive_int("batch_size", batch_size)
        self.state = gru.initial_state(batch_size)  # (num_layers, B, H), updated in place
        self._shape = (batch_size, gru.input_size)
        self._last_layer = self.state[-1]  # a view, returned by tensor steps
        # planned once: what the plan depends on cannot change without a new streamer
        self._plan = planning.plan_streamer(gru)
        #: The engine of the last step: ``"fused"`` or ``"torch"`` (before the first step: the
        #: planned one).
        self.last_engine = self._plan.engine
        self._layer_states: list[np.ndarray] | None = None
        if self._plan.engine == "fused":
            self._layer_states = list(self.state.numpy())
        # Version counters only grow, so their sum changes whenever a parameter is updated in
        # place (optimizer steps, load_state_dict): one C-level pass instead of a cache key.
        self._params = tuple(gru.parameters())
        self._version_sum = -1
        self._kernel_args: list[tuple[np.ndarray, np.ndarray]] = []  # (buffer, layer state)
        self._kernel: Any = None  # set with the buffers by _refresh()
        self._np_dtype = self.state.numpy().dtype if self._layer_states is not None else None
        self._owner: int | None = None  # threading.get_ident() of the first step's thread
        self._owner_lock = threading.Lock()
        if self._layer_states is not None:
            self.step = self._fast_step()  # type: ignore[method-assign]  # see _fast_step

    def _refresh(self) -> None:
        """Re-pack the weights into one stepper per layer, sized for this batch."""
        from grukit.engines.fused import FusedStepper
        from grukit.engines.fused.stepper import direct_step_inplace

        gru = self.gru
        steppers = [
            FusedStepper.from_module(gru, layer=layer, batch_size=self.batch_size)
            for layer in range(gru.num_layers)
        ]
        assert self._layer_states is not None
        self._steppers = steppers
        self._kernel_args = [
            (stepper.buffer, state)
            for stepper, state in zip(steppers, self._layer_states, strict=True)
        ]
        self._version_sum = sum(map(_VERSION, self._params))
        self._kernel = direct_step_inplace(self._np_dtype)

    def _fusable(self) -> bool:
        return self._layer_states is not None and not (
            self._plan.random_in_training and self.gru.training
        )

    def _claim(self) -> int:
        """The owning thread's id: this thread's at the first step; from another, an error."""
        caller = threading.get_ident()
        with self._owner_lock:  # two first steps at once: one thread wins
            if self._owner is None:
                self._owner = caller
        if self._owner != caller:
            raise RuntimeError(
                f"a GRUStreamer belongs to the thread that made its first step (thread id "
                f"{self._owner}), got a step from thread id {caller}: a streamer holds one "
                "state, so create one streamer per thread"
            )
        return caller

    def _deliver(self, x_t: Any, out: Any, copy: bool) -> Any:
        """:meth:`step` with ``out`` or ``copy``: ``out`` is checked before the state moves."""
        as_numpy = isinstance(x_t, np.ndarray)
        if out is not None:
            if copy:
                raise ValueError("pass `out` or `copy=True`, not both")
            shape = (self.batch_size, self.gru.hidden_size)
            dtype: Any = self.state.dtype
            if as_numpy:
                dtype = torch.empty(0, dtype=dtype).numpy().dtype
            if (
                not isinstance(out, np.ndarray if as_numpy else Tensor)
                or tuple(out.shape) != shape
                or out.dtype != dtype
            ):
                like = "a NumPy array" if as_numpy else "a tensor"
                got = f"{type(out).__name__} {tuple(getattr(out, 'shape', ()))}"
                raise ValueError(
                    f"`out` must be {like} of shape {shape} and dtype {dtype} (like the "
                    f"step's output for this `x_t`), got {got} {getattr(out, 'dtype', '')}"
                )
        result = self.step(x_t)
        if out is None:
            return result.copy() if isinstance(result, np.ndarray) else result.clone()
        if isinstance(result, np.ndarray):
            np.copyto(out, result)
        else:
            with torch.no_grad():
                out.copy_(result)
        return out

    def reset(self, state: Tensor | None = None) -> None:
        """Zero the state, or copy ``state`` (num_layers, B, H) into it."""
        with torch.no_grad():
            if state is None:
                self.state.zero_()
            else:
                self.state.copy_(state)

    def step(self, x_t: Any, out: Any = None, copy: bool = False) -> Any:
        """Advance one step with ``x_t`` (B, I); returns the output (B, H) like ``x_t``'s kind.

        The output is a view into the streamer's state, which the next step overwrites: pass
        ``copy=True`` for a new array (tensor), or ``out`` (an array, or a tensor for tensor
        input, of shape (B, H) and the parameters' dtype) to have it written there and returned.
        Only the thread of the first step may step (else ``RuntimeError``).

        Streaming is inference: no gradient flows through a streamer. The fast path (a
        C-contiguous NumPy input of the parameters' dtype and the streamer's shape, a CPU module
        the fused engine serves) is one direct kernel call per layer
        (``engines.fused._no_dispatch``): the checks made per call are what makes that call safe,
        the rest was checked at construction.
        """
        # A streamer that the fused engine serves replaces this method by _fast_step()'s
        # closure at construction; what reaches here runs on the PyTorch path.
        if self._owner != threading.get_ident():
            self._claim()
        if out is not None or copy:
            return self._deliver(x_t, out, copy)
        return self._step_slow(x_t)

    def _fast_step(self) -> Any:
        """:meth:`step` as a closure over everything it reads (a cell read instead of an
        attribute lookup: about 0.2 us less per step at a microsecond per step)."""
        ndarray, dtype, shape, gru = np.ndarray, self._np_dtype, self._shape, self.gru
        params, slow, run_fused = self._params, self._step_slow, self._run_fused
        ident, claim, deliver = threading.get_ident, self._claim, self._deliver
        owner = None  # the owning thread's id, once the first step has claimed the streamer
        dropout = self._plan.random_in_training  # in training mode: the PyTorch step
        version = -2  # != any sum: the first step goes through _run_fused, which packs
        kernel = buffer = state = None
        # one layer (2 or 4 parameters): the version sum written out, 0.1 us less than
        # sum(map(...)); a spare tensor's version never moves
        spare = torch.empty(0)
        p0, p1, p2, p3 = (*params, spare, spare)[:4]

        def step(x_t: Any, out: Any = None, copy: bool = False) -> Any:
            nonlocal version, kernel, buffer, state, owner
            if ident() != owner:
                owner = claim()
            if out is not None or copy:
                return deliver(x_t, out, copy)
            if (
                type(x_t) is ndarray
                and x_t.dtype is dtype
                and x_t.shape == shape
                and x_t.flags.c_contiguous
                and not (dropout and gru.training)
            ):
                if (
                    kernel is not None
                    and p0._version + p1._version + p2._version + p3._version == version
                ):
                    if kernel(x_t, state, buffer):  # pragma: no cover - shapes checked above
                        raise RuntimeError(f"the fused streaming kernel refused x_t {x_t.shape}")
                    return state
                out = run_fused(x_t)  # packs (again) when a parameter changed
                version = self._version_sum
                if len(self._kernel_args) == 1 and len(params) <= 4:  # one layer: inlined above
                    kernel, (buffer, state) = self._kernel, self._kernel_args[0]
                return out
            version = -2  # the next fast step goes through _run_fused, which records the engine
            return slow(x_t)

        step.__doc__ = GRUStreamer.step.__doc__
        return step

    def _run_fused(self, x_t: np.ndarray) -> np.ndarray:
        """The kernels over the layers; ``x_t`` a C-contiguous (B, I) array of the dtype."""
        if sum(map(_VERSION, self._params)) != self._version_sum:
            self._refresh()
        self.last_engine = "fused"
        kernel, layer_input = self._kernel, x_t
        for buffer, state in self._kernel_args:
            if kernel(layer_input, state, buffer):  # pragma: no cover - shapes checked above
                raise RuntimeError(f"the fused streaming kernel refused x_t {x_t.shape}")
            layer_input = state
        return layer_input

    def _step_slow(self, x_t: Any) -> Any:
        as_numpy = isinstance(x_t, np.ndarray)
        shape = tuple(x_t.shape) if hasattr(x_t, "shape") else type(x_t).__name__
        if shape != self._shape:
            raise ValueError(f"`x_t` must have shape {self._shape}, got {shape}")
        if as_numpy and not x_t.dtype.isnative:  # e.g. big-endian data read from a file
            x_t = x_t.astype(x_t.dtype.newbyteorder("="))
        gru = self.gru
        if self._fusable():
            x = x_t if as_numpy else x_t.detach().cpu().numpy()
            if x.dtype == self._np_dtype:
                out = self._run_fused(np.ascontiguousarray(x, dtype=self._np_dtype))
                return out if as_numpy else self._last_layer
        with torch.no_grad():
            x = torch.from_numpy(x_t) if as_numpy else x_t
            _, new_state = gru.step(x, self.state)
            self.state.copy_(new_state)
        engine = gru.last_engine
        assert engine is not None  # written by the step just run
        self.last_engine = engine
        return self.state.numpy()[-1] if as_numpy else self._last_layer
