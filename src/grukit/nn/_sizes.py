"""Refusing a module whose parameters cannot fit in this machine's memory, before allocating.

A size typed one digit too long (``hidden_size=1000000``: 12 TB of weights) would otherwise end
in an allocation traceback or in the process being killed for memory. The estimate counts the
parameter values at PyTorch's default dtype (the constructors allocate with it) plus
:data:`TENSOR_OVERHEAD` per parameter tensor, and is refused when it exceeds the physical memory
(``os.sysconf``); the forward pass, gradients and optimizer state need more on top, so a module
that passes may still be too large to train.
"""

from __future__ import annotations

import os

import torch

__all__ = ["TENSOR_OVERHEAD", "check_parameters_fit", "gru_parameter_count", "physical_memory"]

#: Bytes per parameter tensor beyond its values (PyTorch's tensor, storage and Python objects:
#: about 0.8 KiB measured), which dominate for very many tiny layers (``num_layers=1000000``).
TENSOR_OVERHEAD = 1024


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, or None where ``os.sysconf`` cannot tell."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # not a POSIX system, or a name it lacks
        return None


def gru_parameter_count(
    input_size: int,
    hidden_size: int,
    num_layers: int,
    num_directions: int,
    extra_vectors: int,
) -> tuple[int, int]:
    """``(values, tensors)`` of a GRU stack: per layer-direction ``3H (I + H)`` weights and
    ``extra_vectors`` vectors of 3H (2 biases, 2 layer norm gains), in closed form."""
    gates = 3 * hidden_size
    per_direction = gates * hidden_size + extra_vectors * gates  # weight_hh, biases, gains
    first = num_directions * (gates * input_size + per_direction)
    above = num_directions * (gates * num_directions * hidden_size + per_direction)
    tensors = num_layers * num_directions * (2 + extra_vectors)
    return first + (num_layers - 1) * above, tensors


def _size(count: int) -> str:
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count / 10**3:.3g} kB"


def check_parameters_fit(owner: str, values: int, tensors: int) -> None:
    """Raise ``ValueError`` when ``values`` parameter values in ``tensors`` tensors of the
    default dtype would take more than the physical memory; nothing is allocated."""
    dtype = torch.get_default_dtype()
    needed = values * dtype.itemsize + tensors * TENSOR_OVERHEAD
    memory = physical_memory()
    if memory is not None and needed > memory:
        raise ValueError(
            f"{owner}'s parameters would take about {_size(needed)} ({values:,} {dtype} values "
            f"in {tensors:,} tensors), more than this machine's physical memory "
            f"({_size(memory)}): choose smaller sizes"
        )
