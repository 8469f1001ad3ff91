"""Sampling from a trained :class:`~grukit.tasks.generator_networks.GeneratorNetwork` on the
GRU's streaming step (:meth:`grukit.GRU.streamer`): one step per token or frame, the prompt
read once, never a re-run of the prefix.

Tokens are drawn from ``softmax(logits / temperature)``, restricted to the ``top_k`` most likely
tokens and then to the smallest set whose probability reaches ``top_p`` (nucleus sampling,
Holtzman et al. 2020). Piano-roll frames draw every key from its Bernoulli
``sigmoid(logit / temperature)``. A NumPy ``Generator`` seeded by ``seed`` draws everything, so
a seed gives the same sample every time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["choose_token", "sample_frames", "sample_tokens"]


def choose_token(
    logits: np.ndarray, rng: np.random.Generator, temperature: float,
    top_k: int | None, top_p: float | None,
) -> int:  # fmt: skip
    """One token id (never 0, ``<pad>``) drawn from `logits` (V,) with temperature, top-k
    and top-p."""
    scaled = logits.astype(np.float64) / temperature
    scaled[0] = -np.inf  # <pad> is never a next token
    scaled -= scaled.max()
    probabilities = np.exp(scaled)
    if top_k is not None and top_k < len(probabilities):
        cut = np.partition(probabilities, -top_k)[-top_k]
        probabilities[probabilities < cut] = 0.0
    probabilities /= probabilities.sum()
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-probabilities, kind="stable")
        cumulative = np.cumsum(probabilities[order])
        keep = int(np.searchsorted(cumulative, top_p)) + 1  # the smallest set reaching top_p
        kept = np.zeros_like(probabilities)
        kept[order[:keep]] = probabilities[order[:keep]]
        probabilities = kept / kept.sum()
    return int(rng.choice(len(probabilities), p=probabilities))


class _Head:
    """The network's output layer as NumPy (float32), for one step's last-layer state."""

    def __init__(self, network: Any) -> None:
        self.projection = None
        if network.projection is not None:
            self.projection = (_array(network.projection.weight), _array(network.projection.bias))
        self.weight, self.bias = _array(network.decoder.weight), _array(network.decoder.bias)

    def __call__(self, output: np.ndarray) -> np.ndarray:
        if self.projection is not None:
            output = output @ self.projection[0].T + self.projection[1]
        return (output @ self.weight.T + self.bias)[0]


def _array(tensor: Any) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype=np.float32)


def sample_tokens(
    network: Any, n: int, prompt: list[int], *, temperature: float,
    top_k: int | None, top_p: float | None, seed: int | None,
) -> list[int]:  # fmt: skip
    """`n` token ids following the ids of `prompt` (at least one id)."""
    import torch

    rng = np.random.default_rng(seed)
    embedding = _array(network.embedding.weight)
    head = _Head(network)
    network.eval()
    with torch.no_grad():
        streamer = network.gru.streamer(batch_size=1)
        for token in prompt[:-1]:
            streamer.step(embedding[token : token + 1])
        token, drawn = prompt[-1], []
        for _ in range(n):
            output = streamer.step(embedding[token : token + 1])
            token = choose_token(head(output), rng, temperature, top_k, top_p)
            drawn.append(token)
    return drawn


def sample_frames(network: Any, n: int, prompt: np.ndarray, *, temperature: float,
                  seed: int | None) -> np.ndarray:  # fmt: skip
    """`n` piano-roll frames (n, 88) uint8 following the frames of `prompt` (at least one)."""
    import torch

    rng = np.random.default_rng(seed)
    head = _Head(network)
    network.eval()
    frames = np.zeros((n, 88), dtype=np.uint8)
    with torch.no_grad():
        streamer = network.gru.streamer(batch_size=1)
        frame = np.ascontiguousarray(prompt[:1], dtype=np.float32)
        for row in prompt[1:]:
            streamer.step(frame)
            frame = np.ascontiguousarray(row[None, :], dtype=np.float32)
        for index in range(n):
            logits = head(streamer.step(frame)).astype(np.float64)
            probabilities = 0.5 * (1.0 + np.tanh(logits / (2.0 * temperature)))  # sigmoid
            frames[index] = rng.random(88) < probabilities
            frame = frames[index : index + 1].astype(np.float32)
    return frames
