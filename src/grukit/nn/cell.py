"""``grukit.GRUCell``: one GRU step, both formulations, optional layer norm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from grukit import checks
from grukit.engines.torch_loop import input_projection, make_step
from grukit.nn import _validation as check
from grukit.nn._init import init_direction
from grukit.nn._sizes import check_parameters_fit, gru_parameter_count


class GRUCell(nn.Module):
    r"""One GRU time step, a superset of ``torch.nn.GRUCell``.

    With gate blocks in PyTorch order r, z, n::

        gi = W_ih x + b_ih                    gh = W_hh h + b_hh
        r  = sigmoid(gi_r + gh_r)             z  = sigmoid(gi_z + gh_z)
        n  = tanh(gi_n + r * gh_n)                          # reset_after=True (PyTorch)
        n  = tanh(gi_n + W_hn (r * h) + b_hn)               # reset_after=False (Cho et al.)
        h' = (1 - z) * n + z * h

    ``layer_norm=True`` normalises ``W_ih x`` and ``W_hh h`` (for ``reset_after=False``: the r, z
    part and the candidate part separately) with gains and no shift, biases added after the norm
    (eps 1e-5), as :class:`grukit.GRU`.

    Parameters ``weight_ih`` (3H, I), ``weight_hh`` (3H, H), ``bias_ih``, ``bias_hh`` (3H,) are
    named as in ``torch.nn.GRUCell`` and initialised U(-1/sqrt(H), 1/sqrt(H)); ``layer_norm``
    adds ``norm_weight_ih``, ``norm_weight_hh`` (3H,), initialised to one.

    Shapes: ``x`` (B, I) or unbatched (I,); ``h`` and the result (B, H) or (H,).

    Examples
    --------
    >>> import torch, grukit
    >>> cell = grukit.GRUCell(3, 5, reset_after=False)
    >>> h = cell(torch.randn(2, 3))
    >>> h = cell(torch.randn(2, 3), h)
    >>> tuple(h.shape)
    (2, 5)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        reset_after: bool = True,
        bias: bool = True,
        layer_norm: bool = False,
    ) -> None:
        super().__init__()
        self.input_size = checks.positive_int("input_size", input_size)
        self.hidden_size = checks.positive_int("hidden_size", hidden_size)
        self.reset_after = checks.flag("reset_after", reset_after)
        self.bias = checks.flag("bias", bias)
        self.layer_norm = checks.flag("layer_norm", layer_norm)
        values, tensors = gru_parameter_count(
            self.input_size, self.hidden_size, 1, 1, 2 * self.bias + 2 * self.layer_norm
        )
        check_parameters_fit(f"GRUCell({self.input_size}, {self.hidden_size})", values, tensors)
        gates = 3 * self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gates, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates, self.hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(gates)) if self.bias else None
        self.bias_hh = nn.Parameter(torch.empty(gates)) if self.bias else None
        self.norm_weight_ih = nn.Parameter(torch.empty(gates)) if self.layer_norm else None
        self.norm_weight_hh = nn.Parameter(torch.empty(gates)) if self.layer_norm else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise: weights and biases U(-1/sqrt(H), 1/sqrt(H)), gains one."""
        biases = tuple(b for b in (self.bias_ih, self.bias_hh) if b is not None)
        gains = tuple(g for g in (self.norm_weight_ih, self.norm_weight_hh) if g is not None)
        init_direction("torch", self.hidden_size, self.weight_ih, self.weight_hh, biases, gains)

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        """One step: ``h' = GRU(x, h)``; ``h`` defaults to zeros."""
        x = check.input_tensor(x, self.input_size, batched_dims=2)
        check.same_dtype("x", x, self.weight_ih)
        unbatched = x.dim() == 1
        if unbatched:
            x = x.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size)
        if h is None:
            h = x.new_zeros(expected)
        elif unbatched:
            h = check.state_tensor("h", h, expected[1:], "hidden_size").unsqueeze(0)
        else:
            h = check.state_tensor("h", h, expected, "batch, hidden_size")
        gi = input_projection(x, self.weight_ih, self.bias_ih, self.norm_weight_ih)  # (B, 3H)
        step = make_step(
            self.weight_hh,
            self.bias_hh,
            reset_after=self.reset_after,
            norm_weight_hh=self.norm_weight_hh,
        )
        h_new = step(gi, h, None)
        return h_new[0] if unbatched else h_new

    def config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-serialisable dict (see :meth:`from_config`)."""
        return {name: getattr(self, name) for name in checks.constructor_arguments(type(self))}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GRUCell:
        """Build a freshly initialised cell from :meth:`config`'s dict."""
        allowed = checks.constructor_arguments(cls)
        return cls(**checks.config_keys(config, allowed, "GRUCell"))

    @classmethod
    def from_torch(cls, module: nn.GRUCell) -> GRUCell:
        """A cell with ``module``'s sizes and weights (``grukit.interop``)."""
        from grukit.interop import pytorch

        return pytorch.cell_from_torch(module, factory=cls)

    def to_torch(self) -> nn.GRUCell:
        """A ``torch.nn.GRUCell`` with this cell's weights (``grukit.interop``)."""
        from grukit.interop import pytorch

        return pytorch.cell_to_torch(self)

    def extra_repr(self) -> str:
        defaults = GRUCell.__init__.__kwdefaults__ or {}
        changed = [
            f"{k}={v!r}" for k, v in self.config().items() if k in defaults and defaults[k] != v
        ]
        return ", ".join([f"{self.input_size}, {self.hidden_size}", *changed])
