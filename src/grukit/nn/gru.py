"""``grukit.GRU``: a multi-layer GRU with both formulations, regularisers, lengths and streaming."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grukit.engines import ENGINES, get_engine, unsupported_reason
from grukit.engines.torch_loop import input_projection, make_step, reverse_padded
from grukit.nn import _validation as check
from grukit.nn._inference import fast_forward
from grukit.nn._init import INITS, init_direction
from grukit.nn._rules import fused_preferred
from grukit.nn._streaming import GRUStreamer, can_fuse_step, fused_step

MERGES = ("concat", "sum", "mean", "mul")
ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "norm_weight_ih", "norm_weight_hh")


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
    ``dropout`` acts between layers as in ``torch.nn.GRU``. In eval mode everything is
    deterministic.

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

    ``engine``: ``"native"`` runs ``torch.nn.GRU``'s kernels (cuDNN on a GPU; bit-identical to
    ``torch.nn.GRU``; plain reset-after GRUs only), ``"torch"`` grukit's own PyTorch loop (every
    option), ``"fused"`` compiled CPU kernels, ``"auto"`` native when possible, else torch
    (see :meth:`engine_for`). ``go_backwards`` (unidirectional only) is Keras's option: the stack
    runs on the time-reversed sequence (each row's valid steps) and returns its outputs in
    processing order, i.e. the reversed sequence; with ``lengths`` this output is left-padded,
    as Keras's with a mask.

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
    >>> tuple(y_t.shape), tuple(state.shape)
    ((4, 8), (1, 4, 8))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        num_layers: int = 1,
        bidirectional: bool = False,
        merge: str = "concat",
        reset_after: bool = True,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        zoneout: float = 0.0,
        layer_norm: bool = False,
        init: str = "torch",
        engine: str = "auto",
        go_backwards: bool = False,
    ) -> None:
        super().__init__()
        self.input_size = check.positive_int("input_size", input_size)
        self.hidden_size = check.positive_int("hidden_size", hidden_size)
        self.num_layers = check.positive_int("num_layers", num_layers)
        self.bidirectional = check.flag("bidirectional", bidirectional)
        self.merge = check.choice("merge", merge, MERGES)
        self.reset_after = check.flag("reset_after", reset_after)
        self.bias = check.flag("bias", bias)
        self.batch_first = check.flag("batch_first", batch_first)
        self.dropout = check.probability("dropout", dropout)
        self.recurrent_dropout = check.probability("recurrent_dropout", recurrent_dropout)
        self.zoneout = check.probability("zoneout", zoneout)
        self.layer_norm = check.flag("layer_norm", layer_norm)
        self.init = check.choice("init", init, INITS)
        self.engine = check.choice("engine", engine, ("auto", *ENGINES))
        self.go_backwards = check.flag("go_backwards", go_backwards)
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
            reason = unsupported_reason(get_engine(self.engine), **self._options())
            if reason is not None:
                raise ValueError(f"engine={self.engine!r} cannot run {reason}")

        self.num_directions = 2 if self.bidirectional else 1
        gates = 3 * self.hidden_size
        self._direction_names: list[dict[str, str]] = []  # per layer-direction: role -> name
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.num_directions * self.hidden_size
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, self.hidden_size)}
                if self.bias:
                    shapes |= {"bias_ih": (gates,), "bias_hh": (gates,)}
                if self.layer_norm:
                    shapes |= {"norm_weight_ih": (gates,), "norm_weight_hh": (gates,)}
                for role, shape in shapes.items():
                    self.register_parameter(role + suffix, nn.Parameter(torch.empty(shape)))
                self._direction_names.append({role: role + suffix for role in shapes})
        self.reset_parameters()

    # -- construction helpers -------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        return {
            "reset_after": self.reset_after,
            "layer_norm": self.layer_norm,
            "recurrent_dropout": self.recurrent_dropout,
            "zoneout": self.zoneout,
            "go_backwards": self.go_backwards,
        }

    def _params(self, layer: int, direction: int) -> dict[str, Tensor | None]:
        """The tensors of one layer-direction by role (``bias_ih`` ... ``None`` when absent)."""
        names = self._direction_names[layer * self.num_directions + direction]
        return {role: getattr(self, names[role]) if role in names else None for role in ROLES}

    def reset_parameters(self) -> None:
        """Re-initialise every parameter with the ``init`` scheme."""
        for layer in range(self.num_layers):
            for direction in range(self.num_directions):
                p = self._params(layer, direction)
                biases = tuple(p[k] for k in ("bias_ih", "bias_hh") if p[k] is not None)
                gains = tuple(
                    p[k] for k in ("norm_weight_ih", "norm_weight_hh") if p[k] is not None
                )
                init_direction(
                    self.init, self.hidden_size, p["weight_ih"], p["weight_hh"], biases, gains
                )

    def config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-serialisable dict (see :meth:`from_config`)."""
        return {name: getattr(self, name) for name in check.constructor_arguments(type(self))}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GRU:
        """Build a freshly initialised GRU from :meth:`config`'s dict."""
        allowed = check.constructor_arguments(cls)
        return cls(**check.config_keys(config, allowed, "GRU"))

    def extra_repr(self) -> str:
        defaults = GRU.__init__.__kwdefaults__ or {}
        changed = [
            f"{k}={v!r}" for k, v in self.config().items() if k in defaults and defaults[k] != v
        ]
        return ", ".join([f"{self.input_size}, {self.hidden_size}", *changed])

    # -- interop (implemented in grukit.interop) ------------------------------------------------

    @classmethod
    def from_torch(cls, module: nn.GRU) -> GRU:
        """A grukit GRU with ``module``'s configuration and weights (``grukit.interop``)."""
        from grukit import interop

        return interop.from_torch(module)

    def to_torch(self) -> nn.GRU:
        """A ``torch.nn.GRU`` with this GRU's weights (``grukit.interop``)."""
        from grukit import interop

        return interop.to_torch(self)

    @classmethod
    def from_keras(cls, source: Any, layer: str | None = None, *, config: Any = None) -> GRU:
        """A grukit GRU from a Keras model: a ``.keras`` file, a ``.weights.h5`` file with
        ``config`` (a ``.keras``/``.json`` path, JSON text or dict), or a live Keras layer.

        ``layer`` picks a GRU by name when the model has several. See ``grukit.interop``.
        """
        from grukit import interop

        return interop.from_keras(source, layer=layer, config=config)

    def to_keras_weights(self, *, layer: int | None = None) -> Any:
        """This GRU's weights as the list Keras' ``layer.set_weights`` takes.

        A stacked GRU needs ``layer=k``: each grukit layer becomes one Keras layer.
        """
        from grukit import interop

        return interop.to_keras_weights(self, layer=layer)

    # -- running --------------------------------------------------------------------------------

    def engine_for(self, x: Tensor | None = None) -> str:
        """The engine that a forward pass over ``x`` (B, T, I) runs: native, torch or fused.

        An explicit ``engine`` is returned as is. ``"auto"`` (rules in ``grukit.nn._rules``,
        backed by ``grukit bench``): on a GPU, PyTorch's native kernels (cuDNN) when the options
        allow, else grukit's torch engine; on a CPU, the fused kernels for the batch sizes where
        they are faster than ``torch.nn.GRU`` (and for every batch when native cannot run the
        options), else native.
        """
        if self.engine != "auto":
            return self.engine
        options = self._options()
        native_ok = unsupported_reason(get_engine("native"), **options) is None
        if fused_preferred(self, x, options, native_ok):
            return "fused"
        return "native" if native_ok else "torch"

    def forward(
        self, x: Tensor, h0: Tensor | None = None, lengths: Any = None
    ) -> tuple[Tensor, Tensor]:
        """Run the GRU over ``x``; returns ``(output, h_n)`` (shapes in the class docstring)."""
        if lengths is None:  # plain CPU inference on the fused kernels: nn._inference
            result = fast_forward(self, x, h0)
            if result is not None:
                return result
        x = check.input_tensor(x, self.input_size, batched_dims=3)
        check.same_dtype("x", x, self.weight_ih_l0)
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
                expected, meaning = (stacked, self.hidden_size), "num_layers * D, hidden_size"
                h0 = check.state_tensor("h0", h0, expected, meaning).unsqueeze(1)
            else:
                expected = (stacked, batch, self.hidden_size)
                meaning = "num_layers * D, batch, hidden_size"
                h0 = check.state_tensor("h0", h0, expected, meaning)
            check.same_dtype("h0", h0, self.weight_ih_l0)
        else:
            h0 = x.new_zeros(stacked, batch, self.hidden_size)
        if lengths is not None:
            if unbatched:  # a single length, as a scalar or a one-element sequence
                lengths = lengths.reshape(-1) if isinstance(lengths, Tensor) else np.ravel(lengths)
            lengths = check.lengths_tensor(lengths, batch, steps)

        if self.go_backwards:
            x = reverse_padded(x, lengths)
        name = self.engine_for(x)
        if name == "native":
            output, h_n = self._run_native(x, h0, lengths)
        else:
            output, h_n = self._run_layers(get_engine(name), x, h0, lengths)
        if self.go_backwards:  # processing order = the reversed sequence (Keras layout)
            output = reverse_padded(output, lengths).flip(1) if lengths is not None else output
        output = self._merge(output)

        if unbatched:
            return output[0], h_n[:, 0]
        if not self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n

    def _merge(self, output: Tensor) -> Tensor:
        if self.merge == "concat":
            return output
        forward, backward = output.chunk(2, dim=-1)
        if self.merge == "sum":
            return forward + backward
        if self.merge == "mean":
            return (forward + backward) * 0.5
        return forward * backward

    def _run_native(self, x: Tensor, h0: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor]:
        from grukit.engines.native import gru_stack

        # torch.nn.GRU's flat order: per layer, per direction, weight_ih, weight_hh[, biases]
        roles = ROLES[:4] if self.bias else ROLES[:2]
        weights = [getattr(self, names[role]) for names in self._direction_names for role in roles]
        return gru_stack(
            x,
            h0,
            weights,
            has_biases=self.bias,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            training=self.training,
            lengths=lengths,
        )

    def _run_layers(
        self, engine: Any, x: Tensor, h0: Tensor, lengths: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        batch, steps = x.shape[:2]
        layer_input, finals = x, []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                p = self._params(layer, direction)
                mask = keep = None
                if self.training and self.recurrent_dropout > 0:
                    keep_prob = 1.0 - self.recurrent_dropout
                    mask = torch.bernoulli(x.new_full((batch, self.hidden_size), keep_prob))
                    mask = mask / keep_prob  # (B, H), entries 0 or 1/(1-p)
                if self.zoneout > 0:
                    keep = x.new_full((batch, steps, self.hidden_size), self.zoneout)  # (B, T, H)
                    if self.training:
                        keep = torch.bernoulli(keep)
                output, h_n = engine.gru_layer(
                    layer_input,
                    h0[layer * self.num_directions + direction],
                    p["weight_ih"],
                    p["weight_hh"],
                    p["bias_ih"],
                    p["bias_hh"],
                    reset_after=self.reset_after,
                    lengths=lengths,
                    reverse=direction == 1,
                    norm_weight_ih=p["norm_weight_ih"],
                    norm_weight_hh=p["norm_weight_hh"],
                    recurrent_mask=mask,
                    zoneout_keep=keep,
                )
                outputs.append(output)
                finals.append(h_n)
            layer_input = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, torch.stack(finals)

    # -- streaming ------------------------------------------------------------------------------

    def _check_streamable(self) -> None:
        if self.bidirectional:
            raise ValueError("streaming needs a unidirectional GRU, got bidirectional=True")
        if self.go_backwards:
            raise ValueError("streaming cannot run backwards in time, got go_backwards=True")

    def streamer(self, batch_size: int = 1) -> GRUStreamer:
        """A stateful, allocation-free streaming wrapper (:class:`grukit.nn.GRUStreamer`)."""
        return GRUStreamer(self, batch_size)

    def initial_state(self, batch_size: int) -> Tensor:
        """Zeros of shape (num_layers, B, H) with the parameters' dtype and device."""
        self._check_streamable()
        batch_size = check.positive_int("batch_size", batch_size)
        weight = self.weight_hh_l0
        return weight.new_zeros(self.num_layers, batch_size, self.hidden_size)

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Advance one time step: ``x_t`` (B, I), ``state`` (num_layers, B, H) or ``None``.

        Returns ``(y_t, state)`` with ``y_t`` (B, H), equal to the whole-sequence output at this
        step. Zoneout uses its expectation in eval mode and draws in training; recurrent dropout
        (a mask per whole sequence) is not available step by step in training.
        """
        self._check_streamable()
        if can_fuse_step(self, x_t):
            return fused_step(self, x_t, state)
        if self.training and self.recurrent_dropout > 0:
            raise ValueError(
                "step() cannot apply recurrent_dropout in training mode (its mask spans a whole "
                "sequence); call eval() or use forward()"
            )
        x_t = check.input_tensor(x_t, self.input_size, batched_dims=2)
        check.same_dtype("x_t", x_t, self.weight_ih_l0)
        if x_t.dim() != 2:
            raise ValueError(
                f"`x_t` must have shape (B, {self.input_size}), got {tuple(x_t.shape)}"
            )
        expected = (self.num_layers, x_t.shape[0], self.hidden_size)
        if state is None:
            state = x_t.new_zeros(expected)
        state = check.state_tensor("state", state, expected, "num_layers, batch, hidden_size")
        check.same_dtype("state", state, self.weight_ih_l0)
        layer_input, new_state = x_t, []
        for layer in range(self.num_layers):
            p = self._params(layer, 0)
            gi = input_projection(layer_input, p["weight_ih"], p["bias_ih"], p["norm_weight_ih"])
            step = make_step(
                p["weight_hh"],
                p["bias_hh"],
                reset_after=self.reset_after,
                norm_weight_hh=p["norm_weight_hh"],
            )
            h_prev = state[layer]
            h = step(gi, h_prev, None)
            if self.zoneout > 0:
                keep = h.new_full(h.shape, self.zoneout)
                if self.training:
                    keep = torch.bernoulli(keep)
                h = torch.lerp(h, h_prev, keep)  # exact at keep = 0 and 1
            new_state.append(h)
            layer_input = h
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, torch.stack(new_state)
