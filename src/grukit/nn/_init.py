"""Parameter initialisation schemes of grukit's modules ("torch" and "keras")."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

INITS = ("torch", "keras")


@torch.no_grad()
def init_direction(
    scheme: str,
    hidden_size: int,
    weight_ih: Tensor,
    weight_hh: Tensor,
    biases: tuple[Tensor, ...],
    gains: tuple[Tensor, ...],
) -> None:
    """Initialise one layer-direction (or one cell) in place.

    ``"torch"``: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn.GRU``.
    ``"keras"``: Keras 3 ``GRU`` defaults: ``weight_ih`` Glorot-uniform over the whole (3H, I)
    matrix (limit sqrt(6 / (I + 3H))); ``weight_hh`` orthogonal as Keras's ``Orthogonal`` on its
    (H, 3H) recurrent kernel (our (3H, H) is that matrix transposed: orthonormal columns);
    zero biases. Layer norm gains start at one in both schemes.
    """
    if scheme == "torch":
        bound = 1.0 / math.sqrt(hidden_size)
        for tensor in (weight_ih, weight_hh, *biases):
            nn.init.uniform_(tensor, -bound, bound)
    elif scheme == "keras":
        nn.init.xavier_uniform_(weight_ih)
        nn.init.orthogonal_(weight_hh)
        for tensor in biases:
            nn.init.zeros_(tensor)
    else:  # guarded by the constructors
        raise ValueError(f"`init` must be one of {', '.join(map(repr, INITS))}, got {scheme!r}")
    for tensor in gains:
        nn.init.ones_(tensor)
