"""Which engine serves a call of :class:`grukit.GRU`: every routing rule of ``grukit.nn``.

``GRU.forward``, ``GRU.engine_for``, ``GRU.step`` and :class:`grukit.nn.GRUStreamer` ask the
functions here and nothing else decides:

- :func:`forward_engine`: the engine of a forward pass (``"native"``, ``"torch"`` or
  ``"fused"``); an explicit ``engine`` is kept, ``"auto"`` applies the rules below.
- :func:`plain_inference`: whether a forward call takes the fused plain-inference fast path
  (``grukit.nn._inference``), and if so the weights it runs with.
- :func:`step_engine`: whether ``GRU.step`` runs on the fused steppers (``"fused"``) or on
  grukit's PyTorch step (``"torch"``).
- :func:`plan_streamer`: the same for a streamer, decided once when it is created.

The rules, in words. The fused kernels serve a module whose parameters are float32 or float64
CPU tensors, when numba is importable and no option needs what they lack (layer norm,
zoneout); recurrent dropout runs on them (its mask, drawn by ``_stack.run_layers``, goes to
their ``gru_layer``). ``auto`` runs a forward pass on them for the batch sizes where they beat
``torch.nn.GRU`` (:data:`FUSED_INFERENCE_MAX_BATCH`, :data:`FUSED_TRAINING_MAX_BATCH`), and for
every batch when ``torch.nn.GRU``'s kernels cannot run the options (``reset_after=False``,
``recurrent_dropout``), in training and inference alike; otherwise native when it can, else
torch. The plain-inference fast path is never taken in training mode when the module draws
random masks there (dropout between layers, recurrent or input dropout): the general path
draws them.
Steps and streamers use the steppers when the fused kernels serve the module, ``engine`` is
``"auto"`` or ``"fused"``, no gradient is needed and, in training mode, no such mask is drawn:
dropout between layers needs the PyTorch step, and recurrent and input dropout (one mask per
whole sequence) cannot run step by step at all, so training-mode steps go to the PyTorch step,
which refuses them. In eval mode nothing is drawn and the steppers serve. Both routes give the same
numbers up to rounding, and the fast path gives the general path's bits.

The batch limits come from the benchmark tables in ``docs/performance.md`` (2-core AVX-512
machine, float32, one run of ``grukit bench``): the fused kernels beat ``torch.nn.GRU`` at every
measured point up to B = 128, for inference (1.1-18x) and training (1.1-27x); the margin shrinks
as B and H grow, where the recurrent GEMM dominates both, and larger batches were not measured,
so they stay with ``torch.nn.GRU``. When native cannot run a configuration
(``reset_after=False``), the alternative is grukit's own torch loop, which the fused kernels beat
at every batch size: no limit then.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import torch
from torch import Tensor

from grukit.engines import get_engine, unsupported_reason

if TYPE_CHECKING:
    from grukit.nn._module import DirectionWeights, StackedGRU

__all__ = [
    "FUSED_INFERENCE_MAX_BATCH",
    "FUSED_TRAINING_MAX_BATCH",
    "StreamerPlan",
    "engine_refusal",
    "forward_engine",
    "needs_grad",
    "plain_inference",
    "plan_streamer",
    "step_engine",
]

#: Largest batch for which ``auto`` runs inference with the fused kernels instead of nn.GRU.
FUSED_INFERENCE_MAX_BATCH = 128
#: Largest batch for which ``auto`` trains with the fused kernels instead of nn.GRU.
FUSED_TRAINING_MAX_BATCH = 128
#: Parameter dtypes the fused kernels compute in.
FUSED_DTYPES = (torch.float32, torch.float64)


class StreamerPlan(NamedTuple):
    """How a :class:`grukit.nn.GRUStreamer` runs its steps, decided when it is created."""

    #: ``"fused"`` (the steppers, called directly) or ``"torch"`` (through ``GRU.step``).
    engine: str
    #: The module draws random masks in training mode (dropout between layers, recurrent or
    #: input dropout): in training mode the steps need the PyTorch path.
    random_in_training: bool


def engine_options(gru: StackedGRU) -> dict[str, Any]:
    """The settings that decide which engines can run ``gru`` (read from its attributes)."""
    return {
        "reset_after": gru.reset_after,
        "layer_norm": gru.layer_norm,
        "recurrent_dropout": gru.recurrent_dropout,
        "zoneout": gru.zoneout,
        "go_backwards": gru.go_backwards,
    }


def engine_refusal(name: str, gru: StackedGRU) -> str | None:
    """Why engine ``name`` cannot run ``gru``'s configuration, or ``None`` if it can."""
    return unsupported_reason(get_engine(name), **engine_options(gru))


@functools.cache
def _support(
    reset_after: bool,
    layer_norm: bool,
    recurrent_dropout: float,
    zoneout: float,
    go_backwards: bool,
) -> tuple[bool, bool]:
    """``(native runs these options, the fused kernels run them)``: pure functions of the
    options (:func:`engine_options`'s), cached so that the fast paths pay one lookup."""
    options = {
        "reset_after": reset_after,
        "layer_norm": layer_norm,
        "recurrent_dropout": recurrent_dropout,
        "zoneout": zoneout,
        "go_backwards": go_backwards,
    }
    native = unsupported_reason(get_engine("native"), **options) is None
    fused = unsupported_reason(get_engine("fused"), **options) is None
    return native, fused


def _support_of(gru: StackedGRU) -> tuple[bool, bool]:
    return _support(
        gru.reset_after, gru.layer_norm, gru.recurrent_dropout, gru.zoneout, gru.go_backwards
    )


@functools.cache
def _fused_engine() -> ModuleType:
    from grukit.engines import fused

    return fused


def _fused_available() -> bool:
    available: bool = _fused_engine().is_available()  # asked at every call: tests switch it off
    return available


def _kernels_take(weight: Tensor) -> bool:
    """The fused kernels compute with parameters like ``weight`` (device and dtype)."""
    return weight.device.type == "cpu" and weight.dtype in FUSED_DTYPES


def _fused_serves(gru: StackedGRU, weight: Tensor) -> bool:
    """The fused kernels can run ``gru`` (its options, its parameters ``weight``'s kind)."""
    return _kernels_take(weight) and _support_of(gru)[1] and _fused_available()


def _random_in_training(gru: StackedGRU) -> bool:
    """In training mode ``gru`` draws masks that only the general path and the PyTorch step
    handle: dropout between layers, recurrent and input dropout (per sequence)."""
    return (
        (gru.num_layers > 1 and gru.dropout > 0)
        or gru.recurrent_dropout > 0
        or gru.input_dropout > 0
    )


def _auto_picks_fused(batch: int, grad: bool, native_ok: bool) -> bool:
    """``auto``'s batch rule for a module the fused kernels serve."""
    if not native_ok:
        return True
    return batch <= (FUSED_TRAINING_MAX_BATCH if grad else FUSED_INFERENCE_MAX_BATCH)


def needs_grad(x: object, weights: list[DirectionWeights]) -> bool:
    """Whether a call must be differentiable: grad mode on and ``x`` or a parameter needs it.

    ``weights``: the module's ``stack_weights()`` (every parameter).
    """
    if not torch.is_grad_enabled():
        return False
    if isinstance(x, Tensor) and x.requires_grad:
        return True
    return any(t is not None and t.requires_grad for p in weights for t in p)


def forward_engine(gru: StackedGRU, x: Tensor | None = None) -> str:
    """The engine of ``gru``'s forward pass over ``x`` (B, T, I): native, torch or fused."""
    if gru.engine != "auto":
        return str(gru.engine)
    native_ok, _ = _support_of(gru)
    weights = gru.stack_weights()
    if _fused_serves(gru, weights[0].weight_hh):
        batch = 1 if x is None else x.shape[0]
        if _auto_picks_fused(batch, needs_grad(x, weights), native_ok):
            return "fused"
    return "native" if native_ok else "torch"


def plain_inference(gru: StackedGRU, x: object, h0: object) -> list[DirectionWeights] | None:
    """The layers' weights when ``gru(x, h0)`` (no ``lengths``) takes the fast path, else None.

    The fast path is taken exactly when the general path would run the fused engine on every
    layer with no gradient, the stack is unidirectional and the arguments are well formed (a
    malformed one goes to the general path for its error message). The checks run cheapest
    first: this is about a microsecond of a 30 us call.
    """
    if type(x) is not Tensor or x.dim() != 3:
        return None
    engine = gru.engine
    if engine != "auto" and engine != "fused":
        return None
    if gru.bidirectional or gru.go_backwards or (gru.training and _random_in_training(gru)):
        return None
    native_ok, fused_ok = _support_of(gru)
    if not fused_ok:
        return None
    layers = gru.stack_weights()
    weight = layers[0].weight_hh
    if x.dtype is not weight.dtype or x.device.type != "cpu" or not _kernels_take(weight):
        return None
    if needs_grad(x, layers):
        return None
    steps, batch = (x.shape[1], x.shape[0]) if gru.batch_first else (x.shape[0], x.shape[1])
    if steps == 0 or x.shape[2] != gru.input_size:
        return None
    if engine == "auto" and not _auto_picks_fused(batch, False, native_ok):
        return None
    if h0 is not None and (
        type(h0) is not Tensor
        or h0.shape != (gru.num_layers, batch, gru.hidden_size)
        or h0.dtype is not weight.dtype
        or h0.device.type != "cpu"
    ):
        return None
    return layers if _fused_available() else None


def _steppers_serve(gru: StackedGRU, weight: Tensor) -> bool:
    """The fused steppers can run ``gru``'s steps (leaving aside gradients and training)."""
    if gru.engine != "auto" and gru.engine != "fused":
        return False
    return _fused_serves(gru, weight)


def step_engine(gru: StackedGRU, x_t: object, weights: list[DirectionWeights]) -> str:
    """``"fused"`` when ``gru.step(x_t, ...)`` runs on the fused steppers, else ``"torch"``.

    ``weights`` is ``gru.stack_weights()`` (the step runs with them too). The steppers have no
    autograd: a step that needs a gradient keeps the PyTorch path.
    """
    if (
        _steppers_serve(gru, weights[0].weight_hh)
        and not (gru.training and _random_in_training(gru))
        and not needs_grad(x_t, weights)
    ):
        return "fused"
    return "torch"


def plan_streamer(gru: StackedGRU) -> StreamerPlan:
    """How a streamer over ``gru`` runs (no gradient flows through a streamer)."""
    engine = "fused" if _steppers_serve(gru, gru.stack_weights()[0].weight_hh) else "torch"
    return StreamerPlan(engine, _random_in_training(gru))
