"""``grukit.GRU``: a multi-layer GRU with both formulations, regularisers, lengths and streaming."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from grukit import checks
from grukit.engines import ENGINES, get_engine
from grukit.engines.torch_loop import reverse_padded
from grukit.nn import _validation as check
from grukit.nn import planning
from grukit.nn._inference import run_plain_inference
from grukit.nn._init import INITS, init_direction
from grukit.nn._module import DirectionWeights
from grukit.nn._sizes import check_parameters_fit, gru_parameter_count
from grukit.nn._stack import merge_directions, run_layers, run_native
from grukit.nn.streaming import (
    GRUStreamer,
    LayerSteppers,
    check_streamable,
    fused_step,
    torch_step,
)

MERGES = ("concat", "sum", "mean", "mul")
ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "norm_weight_ih", "norm_weight_hh")


def _lookup(names: tuple[str | None, ...], params: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple([params[name] if name else None for name in names])


def _role_lookup(
    names: tuple[str | None, ...],
) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[None, ...]]:
    """``(get, pad)``: ``get(params) + pad`` is the parameters of ``names`` in role order (a
    missing name raises KeyError). When the present roles come first (every layout but layer
    norm without bias), ``get`` is one ``itemgetter``: 0.3 us less per call than a loop."""
    present = tuple(name for name in names if name)
    if names[: len(present)] == present:
        return itemgetter(*present), (None,) * (len(names) - len(present))
    return functools.partial(_lookup, names), ()


def _refuse_oversized(gru: GRU) -> None:
    """Refuse sizes whose parameters cannot fit in memory (``nn._sizes``), before allocating."""
    extra_vectors = 2 * gru.bias + 2 * gru.layer_norm
    values, tensors = gru_parameter_count(
        gru.input_size, gru.hidden_size, gru.num_layers, gru.num_directions, extra_vectors
    )
    bidirectional = ", bidirectional=True" if gru.bidirectional else ""
    owner = f"GRU({gru.input_size}, {gru.hidden_size}, num_layers={gru.num_layers}{bidirectional})"
    check_parameters_fit(owner, values, tensors)


@functools.cache
def _constructor_defaults() -> dict[str, Any]:
    parameters = inspect.signature(GRU.__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


class GRU(nn.Module):
    r"""Multi-layer gated recurrent unit, a drop-in superset of ``torch.nn.GRU``.

    For each layer and direction, with gate blocks in PyTorch order r, z, n::

        gi  = W_ih x_t + b_ih                 gh = W_hh h_{t-1} + b_hh
        r_t = sigmoid(gi_r + gh_r)            z_t = sigmoid(gi_z + gh_z)
        n_t = tanh(gi_n + r_t * gh_n)                         # reset_after=True (PyTorch, cuDNN)
        n_t = tanh(gi_n + W_hn (r_t * h_{t-1}) + b_hn)        # reset_after=False (Cho et al.)
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Options (``docs/architecture.md``): ``recurrent_dropout`` p multiplies h_{t-1} inside the
    recurrent products by one mask per sequence (entries 0 or 1/(1-p), Gal & Ghahramani 2016);
    ``zoneout`` p keeps each unit's previous value with probability p,
    ``h_t = d_t * h_{t-1} + (1 - d_t) * h~_t`` (Krueger et al. 2016; eval uses d = p);
    ``layer_norm`` normalises ``W_ih x`` and ``W_hh h`` with gains (Haste's LayerNormGRU, eps 1e-5);
    ``dropout`` acts between layers as in ``torch.nn.GRU``; ``input_dropout`` p (Keras's GRU
    ``dropout``) multiplies the first layer's input features by one mask per sequence,
    ``x_t * m`` with ``m`` (B, I) of entries 0 or 1/(1-p), the same at every step, before any
    engine runs. The dropouts and zoneout draw only in training mode; in eval mode everything
    is deterministic.

    Shapes: B batch (PyTorch's N), T length (L), I ``input_size``, H ``hidden_size``,
    D = 2 if ``bidirectional`` else 1.

    - ``x``: (B, T, I) if ``batch_first`` (the default), (T, B, I) otherwise, or (T, I) unbatched.
    - ``h0`` and ``h_n``: (num_layers * D, B, H), index ``layer * D + direction``; unbatched
      (num_layers * D, H).
    - ``output``: (B, T, D * H) for ``merge="concat"``, (B, T, H) for ``"sum"``, ``"mean"``,
      ``"mul"`` (which combine the last layer's two directions; lower layers always pass the
      concatenation up). Zeros at padded steps.
    - ``lengths``: (B,) integers in [0, T] for right-padded rows; h_n is the state after each
      row's last valid step (h0 for a zero length); the reverse direction starts at each row's
      own last valid step.

    Parameters are named and shaped as in ``torch.nn.GRU`` (``weight_ih_l0``,
    ``bias_hh_l1_reverse``, ...), so state dicts map one to one; ``layer_norm`` adds gains
    ``norm_weight_ih_l{k}[_reverse]`` and ``norm_weight_hh_l{k}[_reverse]`` (3H,).
    :meth:`direction_weights` returns one layer-direction's parameters by role.

    Construction as ``torch.nn.GRU``'s, except: ``batch_first`` defaults to True (PyTorch:
    False); only ``num_layers`` may follow the two sizes positionally (the rest are keywords);
    there are no ``device`` and ``dtype`` arguments (use ``.to()``). Sizes whose parameters
    would exceed the machine's physical memory are refused before anything is allocated.
    :meth:`step` may be called from several threads at once; a :meth:`streamer` serves one.

    ``engine``: ``"native"`` runs ``torch.nn.GRU``'s kernels (cuDNN on a GPU; bit-identical to
    ``torch.nn.GRU``; plain reset-after GRUs only), ``"torch"`` grukit's own PyTorch loop (every
    option), ``"fused"`` compiled CPU kernels, ``"auto"`` picks one per call (see
    :meth:`engine_for`; the rules are ``grukit.nn.planning``'s). After each ``forward`` or
    ``step``, :attr:`last_engine` names the engine that ran it. ``go_backwards``
    (unidirectional only) is Keras's option: the stack runs on the time-reversed sequence (each
    row's valid steps) and returns its outputs in processing order, i.e. the reversed sequence;
    with ``lengths`` this output is left-padded, as Keras's with a mask.

    Examples
    --------
    >>> import torch, grukit
    >>> gru = grukit.GRU(3, 8, num_layers=2, bidirectional=True, merge="sum")
    >>> output, h_n = gru(torch.randn(4, 10, 3), lengths=[10, 7, 1, 0])
    >>> tuple(output.shape), tuple(h_n.shape)
    ((4, 10, 8), (4, 4, 8))
    >>> stream = grukit.GRU(3, 8, zoneout=0.1).eval()
    >>> state = stream.initial_state(batch_size=4)
    >>> y_t, state = stream.step(torch.randn(4, 3), state)
    >>> tuple(y_t.shape), tuple(state.shape), stream.last_engine
    ((4, 8), (1, 4, 8), 'torch')
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        bidirectional: bool = False,
        merge: str = "concat",
        reset_after: bool = True,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        input_dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        zoneout: float = 0.0,
        layer_norm: bool = False,
        init: str = "torch",
        engine: str = "auto",
        go_backwards: bool = False,
    ) -> None:
        super().__init__()
        self.input_size = checks.positive_int("input_size", input_size)
        self.hidden_size = checks.positive_int("hidden_size", hidden_size)
        self.num_layers = checks.positive_int("num_layers", num_layers)
        self.bidirectional = checks.flag("bidirectional", bidirectional)
        self.merge = checks.choice("merge", merge, MERGES)
        self.reset_after = checks.flag("reset_after", reset_after)
        self.bias = checks.flag("bias", bias)
        self.batch_first = checks.flag("batch_first", batch_first)
        self.dropout = checks.probability("dropout", dropout)
        self.input_dropout = checks.probability("input_dropout", input_dropout)
        self.recurrent_dropout = checks.probability("recurrent_dropout", recurrent_dropout)
        self.zoneout = checks.probability("zoneout", zoneout)
        self.layer_norm = checks.flag("layer_norm", layer_norm)
        self.init = checks.choice("init", init, INITS)
        self.engine = checks.choice("engine", engine, ("auto", *ENGINES))
        self.go_backwards = checks.flag("go_backwards", go_backwards)
        if self.merge != "concat" and not self.bidirectional:
            raise ValueError(
                f"`merge`={self.merge!r} combines two directions and needs bidirectional=True "
                "(use merge='concat' for a unidirectional GRU)"
            )
        if self.go_backwards and self.bidirectional:
            raise ValueError(
                "`go_backwards`=True cannot be combined with bidirectional=True "
                "(a bidirectional GRU already runs both directions)"
            )
        if self.engine != "auto":
            reason = planning.engine_refusal(self.engine, self)
            if reason is not None:
                raise ValueError(f"engine={self.engine!r} cannot run {reason}")

        self.num_directions = 2 if self.bidirectional else 1
        _refuse_oversized(self)
        #: The engine that ran the last ``forward`` or ``step`` (None before the first call).
        self.last_engine: str | None = None
        self._layer_steppers = LayerSteppers()  # GRU.step's packed weights, made on first use
        gates = 3 * self.hidden_size
        # per layer-direction: the parameter name of each role in ROLES (None when absent)
        self._role_names: list[tuple[str | None, ...]] = []
        self._role_lookups: list[tuple[Callable[[Any], tuple[Any, ...]], tuple[None, ...]]] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.num_directions * self.hidden_size
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes: dict[str, tuple[int, ...]] = {
                    "weight_ih": (gates, layer_input),
                    "weight_hh": (gates, self.hidden_size),
                }
                if self.bias:
                    shapes |= {"bias_ih": (gates,), "bias_hh": (gates,)}
                if self.layer_norm:
                    shapes |= {"norm_weight_ih": (gates,), "norm_weight_hh": (gates,)}
                for role, shape in shapes.items():
                    self.register_parameter(role + suffix, nn.Parameter(torch.empty(shape)))
                names = tuple(role + suffix if role in shapes else None for role in ROLES)
                self._role_names.append(names)
                self._role_lookups.append(_role_lookup(names))
        self.reset_parameters()

    # -- parameters and configuration ----------------------------------------------------------

    def stack_weights(self) -> list[DirectionWeights]:
        """:meth:`direction_weights` of every layer-direction, at index ``layer * D + direction``
        (the order of ``h0``).

        Read from the module at each call, so that a replaced parameter is seen; the hot paths
        call this once per call, so it reads the parameter dictionary directly instead of going
        through ``nn.Module.__getattr__`` (about 0.3 us per name) unless a name is not there (a
        parametrization replaced the parameter by a computed attribute).
        """
        params = self._parameters
        try:
            return [DirectionWeights._make(get(params) + pad) for get, pad in self._role_lookups]
        except KeyError:
            return [
                DirectionWeights._make([getattr(self, name) if name else None for name in names])
                for names in self._role_names
            ]

    def direction_weights(self, layer: int, direction: int = 0) -> DirectionWeights:
        """The parameters of layer ``layer``, direction ``direction`` (1: reverse), by role.

        Examples
        --------
        >>> import grukit
        >>> weights = grukit.GRU(3, 4, num_layers=2, bias=False).direction_weights(1)
        >>> tuple(weights.weight_ih.shape), weights.bias_ih
        ((12, 4), None)
        """
        layer = checks.integer("layer", layer, minimum=0, maximum=self.num_layers - 1)
        direction = checks.integer(
            "direction", direction, minimum=0, maximum=self.num_directions - 1
        )
        return self.stack_weights()[layer * self.num_directions + direction]

    def reset_parameters(self) -> None:
        """Re-initialise every parameter with the ``init`` scheme."""
        for p in self.stack_weights():
            biases = tuple(b for b in (p.bias_ih, p.bias_hh) if b is not None)
            gains = tuple(g for g in (p.norm_weight_ih, p.norm_weight_hh) if g is not None)
            init_direction(self.init, self.hidden_size, p.weight_ih, p.weight_hh, biases, gains)

    def config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-serialisable dict (see :meth:`from_config`)."""
        return {name: getattr(self, name) for name in checks.constructor_arguments(type(self))}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GRU:
        """Build a freshly initialised GRU from :meth:`config`'s dict."""
        allowed = checks.constructor_arguments(cls)
        return cls(**checks.config_keys(config, allowed, "GRU"))

    def extra_repr(self) -> str:
        defaults = _constructor_defaults()
        changed = [
            f"{k}={v!r}" for k, v in self.config().items() if k in defaults and defaults[k] != v
        ]
        return ", ".join([f"{self.input_size}, {self.hidden_size}", *changed])

    # -- interop (conversions in grukit.interop; the module is built here, by ``cls``) ---------

    @classmethod
    def from_torch(cls, module: nn.GRU) -> GRU:
        """A GRU with ``module``'s configuration and weights (``grukit.interop``)."""
        from grukit.interop import pytorch

        return pytorch.from_torch(module, factory=cls)

    def to_torch(self) -> nn.GRU:
        """A ``torch.nn.GRU`` with this GRU's weights (``grukit.interop``)."""
        from grukit.interop import pytorch

        return pytorch.to_torch(self)

    @classmethod
    def from_keras(cls, source: Any, layer: str | None = None, *, config: Any = None) -> GRU:
        """A GRU from a Keras model: a ``.keras`` file, a ``.weights.h5`` file with ``config``
        (a ``.keras``/``.json`` path, JSON text or dict), or a live Keras layer.

        ``layer`` picks a GRU by name when the model has several. See ``grukit.interop``.
        """
        from grukit.interop import keras

        return keras.from_keras(source, layer=layer, config=config, factory=cls)

    def to_keras_weights(self, *, layer: int | None = None) -> list[np.ndarray]:
        """This GRU's weights as the list Keras' ``layer.set_weights`` takes.

        A stacked GRU needs ``layer=k``: each grukit layer becomes one Keras layer.
        """
        from grukit.interop import keras

        return keras.to_keras_weights(self, layer=layer)

    # -- running --------------------------------------------------------------------------------

    def engine_for(self, x: Tensor | None = None) -> str:
        """The engine that a forward pass over ``x`` (B, T, I) runs: native, torch or fused.

        An explicit ``engine`` is returned as is. ``"auto"`` (rules in ``grukit.nn.planning``,
        backed by ``grukit bench``): on a GPU, PyTorch's native kernels (cuDNN) when the options
        allow, else grukit's torch engine; on a CPU, the fused kernels for the batch sizes where
        they are faster than ``torch.nn.GRU`` (and for every batch when native cannot run the
        options), else native. After a call, :attr:`last_engine` names the engine that ran.
        """
        return planning.forward_engine(self, x)

    def forward(
        self, x: Tensor, h0: Tensor | None = None, lengths: Any = None
    ) -> tuple[Tensor, Tensor]:
        """Run the GRU over ``x``; returns ``(output, h_n)`` (shapes in the class docstring)."""
        if lengths is None:  # plain CPU inference on the fused kernels: nn._inference
            layers = planning.plain_inference(self, x, h0)
            if layers is not None:
                result = run_plain_inference(x, h0, layers, self.batch_first, self.reset_after)
                # written to __dict__: nn.Module.__setattr__ costs about 1 us
                self.__dict__["last_engine"] = "fused"
                return result
        x = check.input_tensor(x, self.input_size, batched_dims=3)
        weight = self.stack_weights()[0].weight_ih
        check.same_dtype("x", x, weight)
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)
        elif not self.batch_first:
            x = x.transpose(0, 1)  # (B, T, I)
        batch, steps = x.shape[:2]
        if steps == 0:
            raise ValueError("`x` must have at least one time step, got a sequence of length 0")
        stacked = self.num_layers * self.num_directions
        if h0 is not None:
            if unbatched:
                expected: tuple[int, ...] = (stacked, self.hidden_size)
                meaning = "num_layers * D, hidden_size"
                h0 = check.state_tensor("h0", h0, expected, meaning).unsqueeze(1)
            else:
                expected = (stacked, batch, self.hidden_size)
                meaning = "num_layers * D, batch, hidden_size"
                h0 = check.state_tensor("h0", h0, expected, meaning)
            check.same_dtype("h0", h0, weight)
        else:
            h0 = x.new_zeros(stacked, batch, self.hidden_size)
        if lengths is not None:
            if unbatched:  # a single length, as a scalar or a one-element sequence
                lengths = lengths.reshape(-1) if isinstance(lengths, Tensor) else np.ravel(lengths)
            lengths = check.lengths_tensor(lengths, batch, steps)

        if self.training and self.input_dropout > 0:  # one mask (B, I) per sequence
            keep_prob = 1.0 - self.input_dropout
            mask = torch.bernoulli(x.new_full((batch, self.input_size), keep_prob)) / keep_prob
            x = x * mask[:, None, :]
        if self.go_backwards:
            x = reverse_padded(x, lengths)
        name = planning.forward_engine(self, x)
        if name == "native":
            output, h_n = run_native(self, x, h0, lengths)
        else:
            output, h_n = run_layers(self, get_engine(name), x, h0, lengths)
        self.__dict__["last_engine"] = name
        if self.go_backwards:  # processing order = the reversed sequence (Keras layout)
            output = reverse_padded(output, lengths).flip(1) if lengths is not None else output
        output = merge_directions(output, self.merge)

        if unbatched:
            return output[0], h_n[:, 0]
        if not self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n

    # -- streaming (grukit.nn.streaming) --------------------------------------------------------

    def streamer(self, batch_size: int = 1) -> GRUStreamer:
        """A stateful, allocation-free streaming wrapper (:class:`grukit.nn.GRUStreamer`)."""
        return GRUStreamer(self, batch_size)

    def initial_state(self, batch_size: int) -> Tensor:
        """Zeros of shape (num_layers, B, H) with the parameters' dtype and device."""
        check_streamable(self)
        batch_size = checks.positive_int("batch_size", batch_size)
        weight = self.direction_weights(0).weight_hh
        return weight.new_zeros(self.num_layers, batch_size, self.hidden_size)

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Advance one time step: ``x_t`` (B, I), ``state`` (num_layers, B, H) or ``None``.

        Returns ``(y_t, state)`` with ``y_t`` (B, H), equal to the whole-sequence output at this
        step. Zoneout uses its expectation in eval mode and draws in training; recurrent dropout
        and input dropout (masks per whole sequence) are not available step by step in training
        (``ValueError``). On a CPU, for inference, the step runs on the fused steppers
        (:attr:`last_engine` ``"fused"``), else on grukit's PyTorch step (``"torch"``); see
        ``grukit.nn.planning``.
        """
        check_streamable(self)
        stack = self.stack_weights()
        engine = planning.step_engine(self, x_t, stack)
        if engine == "fused":
            result = fused_step(self, x_t, state, stack, self._layer_steppers)
        else:
            result = torch_step(self, x_t, state, stack)
        self.__dict__["last_engine"] = engine
        return result
