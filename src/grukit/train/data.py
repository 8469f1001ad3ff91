"""Turning ``(inputs, targets)`` arrays, tensors or a Dataset into (seeded) batches.

No ``DataLoader``: the loop draws one permutation per epoch from its own seeded generator and
indexes the tensors directly (or collates ``dataset[i]`` items), which is fast for in-memory
windows and makes the order depend only on the seed and the epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, default_collate

__all__ = ["Batches"]


def _as_tensor(value: Any, what: str, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"{what} must be a numeric array, got an object array")
        value = torch.from_numpy(np.ascontiguousarray(value))
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor or numpy.ndarray, got {type(value)}")
    if value.ndim == 0:
        raise ValueError(f"{what} must have a leading sample axis, got a 0-d tensor")
    if value.is_floating_point():
        value = value.to(dtype)  # match the model's parameters (e.g. float64 arrays)
        if not bool(torch.isfinite(value).all()):
            raise ValueError(f"{what} contains NaN or infinite values")
    return value


class Batches:
    """In-order or shuffled mini-batches of ``(inputs, targets)``.

    Parameters
    ----------
    data : tuple of (array-like, array-like) or torch.utils.data.Dataset
        Inputs (N, ...) and targets (N, ...) as tensors or NumPy arrays, or a map-style dataset
        whose items are ``(input, target)`` pairs (collated with ``default_collate``).
    name : str
        The argument's name, for error messages (``"train_data"``, ``"validation"``).
    dtype : torch.dtype
        Floating inputs and targets are cast to this (the model's parameter dtype).
    """

    def __init__(self, data: Any, *, name: str, dtype: torch.dtype) -> None:
        self.name = name
        self.dtype = dtype
        self.dataset: Dataset | None = None
        self._sample_lengths: torch.Tensor | None = None
        if isinstance(data, Dataset):
            if not hasattr(data, "__len__"):
                raise TypeError(f"`{name}` must be a map-style Dataset with __len__")
            self.dataset = data
            self.length = len(data)  # type: ignore[arg-type]
        elif isinstance(data, tuple | list) and len(data) == 2:
            self.inputs = _as_tensor(data[0], f"`{name}` inputs", dtype)
            self.targets = _as_tensor(data[1], f"`{name}` targets", dtype)
            if len(self.inputs) != len(self.targets):
                raise ValueError(
                    f"`{name}` inputs and targets must have the same number of samples, got "
                    f"{len(self.inputs)} and {len(self.targets)}"
                )
            self.length = len(self.inputs)
        else:
            raise TypeError(
                f"`{name}` must be an (inputs, targets) pair of tensors or arrays, or a "
                f"torch.utils.data.Dataset, got {type(data).__name__}"
            )
        if self.length == 0:
            raise ValueError(f"`{name}` must hold at least one sample, got 0")

    def __len__(self) -> int:
        return self.length

    def num_batches(self, batch_size: int) -> int:
        return -(-self.length // batch_size)

    def _take(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.dataset is None:
            return self.inputs[indices], self.targets[indices]
        items = [self.dataset[int(i)] for i in indices]
        if not all(isinstance(item, tuple | list) and len(item) == 2 for item in items):
            raise TypeError(f"`{self.name}` items must be (input, target) pairs")
        inputs, targets = default_collate(items)
        if inputs.is_floating_point():
            inputs = inputs.to(self.dtype)
        if targets.is_floating_point():
            targets = targets.to(self.dtype)
        return inputs, targets

    def _lengths(self) -> torch.Tensor:
        """(N,) the number of non-zero input entries of each sample (tensor data only)."""
        if self.dataset is not None or self.inputs.is_floating_point():
            raise ValueError(
                f"`bucket` needs integer inputs (token ids padded with 0) in `{self.name}`"
            )
        if self._sample_lengths is None:
            self._sample_lengths = (self.inputs != 0).reshape(self.length, -1).sum(dim=1)
        return self._sample_lengths

    def _buckets(
        self, order: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> list[torch.Tensor]:
        """Batches of similar lengths: pools of 64 batches of `order`, each sorted by length
        and cut, the batches then shuffled (with `generator`)."""
        lengths = self._lengths()
        batches: list[torch.Tensor] = []
        for pool in order.split(batch_size * 64):
            ranked = pool[torch.argsort(lengths[pool], stable=True)]
            batches.extend(ranked.split(batch_size))
        shuffled = torch.randperm(len(batches), generator=generator).tolist()
        return [batches[i] for i in shuffled]

    def iterate(
        self,
        batch_size: int,
        *,
        generator: torch.Generator | None = None,
        device: torch.device | None = None,
        bucket: bool = False,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield ``(inputs, targets)`` batches; shuffled when a generator is given, and then
        of similar lengths with `bucket` (:attr:`TrainConfig.bucket`)."""
        if generator is not None:
            order = torch.randperm(self.length, generator=generator)
        else:
            order = torch.arange(self.length)
        batches = list(order.split(batch_size))
        if generator is not None and bucket:
            batches = self._buckets(order, batch_size, generator)
        for indices in batches:
            inputs, targets = self._take(indices)
            if device is not None:
                inputs = inputs.to(device, non_blocking=True)
                targets = targets.to(device, non_blocking=True)
            yield inputs, targets
