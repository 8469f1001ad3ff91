"""A tiny model and its data for the training tests (also imported by a training subprocess)."""

from __future__ import annotations

import torch
from torch import nn


class TinyRegressor(nn.Module):
    """nn.GRU + dropout + Linear head: (N, T, 2) -> (N, 1). Dropout exercises the global RNG."""

    def __init__(self, hidden_size: int = 8) -> None:
        super().__init__()
        self.gru = nn.GRU(2, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.gru(x)  # (N, T, H)
        return self.head(self.dropout(output[:, -1]))  # (N, 1)


def make_data(n: int = 48, steps: int = 6, seed: int = 123) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows (n, steps, 2) and targets (n, 1): a smooth function of the window."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, steps, 2, generator=generator)
    targets = torch.tanh(inputs[:, :, 0].mean(dim=1, keepdim=True)) + 0.5 * inputs[:, -1:, 1]
    return inputs, targets


def make_model(seed: int = 7, hidden_size: int = 8) -> TinyRegressor:
    torch.manual_seed(seed)
    return TinyRegressor(hidden_size)


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
