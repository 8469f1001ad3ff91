"""The networks behind the tasks: a GRU forecaster and a GRU sequence autoencoder.

Shape glossary: ``B`` batch, ``L`` lookback (input steps), ``F`` input features (targets first,
then covariates), ``C`` targets, ``S`` output steps, ``W`` window, ``H`` hidden size, ``D``
directions.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from grukit.nn import GRU

__all__ = ["AutoencoderNetwork", "ForecastNetwork"]


def _last_state(h_n: torch.Tensor, directions: int) -> torch.Tensor:
    """The last layer's final state of every direction, concatenated: (B, D * H)."""
    last = h_n[-directions:]  # (D, B, H)
    return last.permute(1, 0, 2).reshape(last.shape[1], -1)


class ForecastNetwork(nn.Module):
    r"""GRU encoder over the lookback window and a linear head for ``steps`` future values.

    ``y_hat = x_{L, :C} + reshape(W h_L + b, (S, C))`` where ``h_L`` is the encoder's final
    state (both directions concatenated when bidirectional) and ``x_{L, :C}`` the last observed
    (scaled) targets. The head thus predicts the change from the last value, so an untrained
    network starts at the persistence forecast.

    Parameters
    ----------
    input_size : int
        F, the targets and covariates per step.
    n_targets : int
        C; the targets are the first C input features.
    steps : int
        S, forecast steps produced at once (the horizon for the direct strategy, 1 for the
        recursive one).
    hidden_size, num_layers, bidirectional, dropout
        Of the encoder :class:`grukit.GRU`.
    gru_options : dict
        Further :class:`grukit.GRU` keyword arguments (:meth:`GRUConfig.to_dict`).

    Shapes: input (B, L, F), output (B, S, C).
    """

    def __init__(
        self,
        input_size: int,
        n_targets: int,
        steps: int,
        *,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        gru_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.n_targets, self.steps = n_targets, steps
        self.directions = 2 if bidirectional else 1
        self.encoder = GRU(
            input_size,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            **(gru_options or {}),
        )
        self.head = nn.Linear(self.directions * hidden_size, steps * n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.encoder(x)  # (layers * D, B, H)
        change = self.head(_last_state(h_n, self.directions))  # (B, S * C)
        change = change.view(x.shape[0], self.steps, self.n_targets)  # (B, S, C)
        return x[:, -1:, : self.n_targets] + change


class AutoencoderNetwork(nn.Module):
    r"""The tutorials' GRU sequence autoencoder: encode a window, repeat the latent, decode.

    ``z = h_W`` (the encoder's final state), the decoder GRU reads ``z`` at every one of the W
    steps, and a linear layer maps each decoder output back to the F features:
    ``x_hat_t = V d_t + c``. Trained to reconstruct its input; the reconstruction error
    ``mean_f (x_hat_{t,f} - x_{t,f})^2`` is the anomaly score of step t.

    Shapes: input (B, W, F), output (B, W, F).
    """

    def __init__(
        self,
        n_features: int,
        *,
        hidden_size: int,
        num_layers: int = 1,
        gru_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        options = gru_options or {}
        self.encoder = GRU(n_features, hidden_size, num_layers=num_layers, **options)
        self.decoder = GRU(hidden_size, hidden_size, num_layers=num_layers, **options)
        self.head = nn.Linear(hidden_size, n_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = self.encoder(x)  # (layers, B, H)
        latent = h_n[-1]  # (B, H)
        repeated = latent[:, None, :].expand(-1, x.shape[1], -1)  # (B, W, H)
        decoded, _ = self.decoder(repeated.contiguous())  # (B, W, H)
        return self.head(decoded)  # (B, W, F)
