r"""``grukit.nn.LinearChainCRF``: a linear-chain CRF over padded batches (a tagger's output layer).

A BiGRU-CRF tagger feeds per-step tag scores (``emissions``) into a CRF that scores whole tag
sequences: with ``transitions[i, j]`` the score of tag ``i`` followed by tag ``j`` and
``start``/``end`` the scores of the first and last tag, a path ``y`` of a sequence of length
``L`` scores::

    score(y) = start[y_0] + sum_{t<L} emissions[t, y_t] + sum_{0<t<L} transitions[y_{t-1}, y_t]
             + end[y_{L-1}]

and ``log p(y) = score(y) - log Z`` with ``log Z = logsumexp_y score(y)`` (the forward
algorithm). ``grukit.reference.crf`` is the NumPy specification that these batched versions are
tested against.

Constraints (which tag may follow which, start or end a sentence; see
``grukit.text.allowed_transitions``) become a fixed penalty of :data:`PENALTY` added to the
learned score of every forbidden move: decoding never chooses one while an allowed path exists,
and their probability is ``exp(-10000)``, zero in float32 and float64.

Shapes: ``B`` batch rows, ``T`` steps (padded), ``K`` tags. ``emissions`` (B, T, K) floating,
``tags`` (B, T) integer, ``lengths`` (B,) integer in [1, T]; steps ``t >= lengths[b]`` are
padding and ignored entirely (any tag, any emission value there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from grukit import checks
from grukit.nn import _validation as check

__all__ = ["PENALTY", "LinearChainCRF"]

#: the score added to a forbidden transition, start or end
PENALTY = -10000.0


def _constraint(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A boolean constraint array (NumPy, tensor or nested lists) of ``shape``, all True if None."""
    if value is None:
        return np.ones(shape, dtype=bool)
    if isinstance(value, Tensor):
        value = value.detach().to("cpu").numpy()
    array = np.asarray(value)
    if array.dtype != np.bool_:
        raise ValueError(f"`{name}` must be a boolean array, got dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"`{name}` must have shape {shape} (num_tags), got {array.shape}")
    if array.ndim == 1 and not array.any():
        raise ValueError(f"`{name}` must allow at least one tag, got all False")
    return array


class LinearChainCRF(nn.Module):
    r"""Linear-chain conditional random field on top of per-step tag scores.

    Parameters
    ----------
    num_tags : int
        ``K``, the number of tags.
    allowed_transitions : array_like of bool, shape (K, K), optional
        ``allowed_transitions[i, j]``: may tag ``j`` follow tag ``i``. None allows all.
    allowed_start, allowed_end : array_like of bool, shape (K,), optional
        Which tags may start and end a sequence (at least one each). None allows all.

    Attributes
    ----------
    transitions : Parameter, shape (K, K)
        ``transitions[i, j]``: the learned score of tag ``i`` followed by tag ``j``.
    start_transitions, end_transitions : Parameter, shape (K,)
        The learned scores of the first and the last tag. All three start U(-0.1, 0.1).
    transition_penalty, start_penalty, end_penalty : buffer, shape (K, K), (K,), (K,)
        0 where allowed, :data:`PENALTY` where forbidden; not learned, saved in the state dict.

    Notes
    -----
    Every method takes ``emissions`` (B, T, K) in the parameters' dtype (float32 or float64,
    convert the module with ``.to()``) and on their device, and ``lengths`` (B,) in [1, T]
    (a tensor, list or array). Gradients flow to ``emissions`` and the three parameters. The
    time loop runs in Python; batch rows and tags are vectorised.

    Examples
    --------
    >>> import torch, grukit.nn
    >>> crf = grukit.nn.LinearChainCRF(3)
    >>> emissions = torch.randn(2, 4, 3)
    >>> tags = torch.tensor([[0, 1, 2, 1], [2, 2, -100, -100]])
    >>> lengths = torch.tensor([4, 2])
    >>> loss = crf(emissions, tags, lengths)   # negative log-likelihood, summed over the batch
    >>> loss.backward()
    >>> crf.decode(emissions, lengths)[1, 2:].tolist()
    [-1, -1]
    >>> tuple(crf.log_likelihood(emissions, tags, lengths).shape)
    (2,)
    """

    transition_penalty: Tensor
    start_penalty: Tensor
    end_penalty: Tensor

    def __init__(
        self,
        num_tags: int,
        *,
        allowed_transitions: Any = None,
        allowed_start: Any = None,
        allowed_end: Any = None,
    ) -> None:
        super().__init__()
        self.num_tags = k = checks.positive_int("num_tags", num_tags)
        allowed = _constraint(allowed_transitions, "allowed_transitions", (k, k))
        start = _constraint(allowed_start, "allowed_start", (k,))
        end = _constraint(allowed_end, "allowed_end", (k,))
        self.transitions = nn.Parameter(torch.empty(k, k).uniform_(-0.1, 0.1))
        self.start_transitions = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))
        dtype = self.transitions.dtype
        for name, mask in (("transition", allowed), ("start", start), ("end", end)):
            penalty = torch.from_numpy(np.where(mask, 0.0, PENALTY)).to(dtype)
            self.register_buffer(f"{name}_penalty", penalty, persistent=True)

    def extra_repr(self) -> str:
        forbidden = int((self.transition_penalty != 0).sum())
        forbidden += int((self.start_penalty != 0).sum()) + int((self.end_penalty != 0).sum())
        return f"num_tags={self.num_tags}, forbidden={forbidden}"

    def scores(self) -> tuple[Tensor, Tensor, Tensor]:
        """``(transitions, start, end)`` in use: the parameters plus the constraint penalties."""
        return (
            self.transitions + self.transition_penalty,
            self.start_transitions + self.start_penalty,
            self.end_transitions + self.end_penalty,
        )

    def _inputs(self, emissions: object, lengths: object) -> tuple[Tensor, Tensor, Tensor]:
        """``(emissions, lengths, mask)`` checked; padded emissions replaced by zeros."""
        if not isinstance(emissions, Tensor):
            raise TypeError(f"`emissions` must be a torch.Tensor, got {type(emissions).__name__}")
        if emissions.dim() != 3 or emissions.shape[1] < 1 or emissions.shape[2] != self.num_tags:
            raise ValueError(
                f"`emissions` must have shape (B, T, K) with T >= 1 and K = {self.num_tags} "
                f"(num_tags), got {tuple(emissions.shape)}"
            )
        if not emissions.is_floating_point():
            raise ValueError(f"`emissions` must be a floating point tensor, got {emissions.dtype}")
        check.same_dtype("emissions", emissions, self.transitions)
        if emissions.device != self.transitions.device:
            raise ValueError(
                f"`emissions` is on {emissions.device} but the parameters are on "
                f"{self.transitions.device} (move one of them, e.g. module.to(emissions.device))"
            )
        batch, steps = emissions.shape[:2]
        values = check.lengths_tensor(lengths, batch, steps, minimum=1).to(emissions.device)
        mask = torch.arange(steps, device=emissions.device) < values[:, None]
        return torch.where(mask[..., None], emissions, 0.0), values, mask

    def _tags(self, tags: object, mask: Tensor) -> Tensor:
        """``tags`` (B, T) as int64, padded positions replaced by 0 (valid ones checked)."""
        if not isinstance(tags, Tensor):
            raise TypeError(f"`tags` must be a torch.Tensor, got {type(tags).__name__}")
        if tags.dtype == torch.bool or tags.is_floating_point() or tags.is_complex():
            raise ValueError(f"`tags` must hold integers, got dtype {tags.dtype}")
        if tuple(tags.shape) != tuple(mask.shape):
            raise ValueError(
                f"`tags` must have shape (B, T) = {tuple(mask.shape)} like `emissions`, "
                f"got {tuple(tags.shape)}"
            )
        safe = torch.where(mask, tags.to(device=mask.device, dtype=torch.int64), 0)
        bad = mask & ((safe < 0) | (safe >= self.num_tags))
        if bool(bad.any()):
            row, step = (int(i) for i in bad.nonzero()[0])
            raise ValueError(
                f"`tags` must lie in [0, {self.num_tags - 1}] (the tag indices) within each "
                f"sequence's length, got {int(safe[row, step])} at row {row}, step {step}"
            )
        return safe

    def log_likelihood(self, emissions: Tensor, tags: Tensor, lengths: object) -> Tensor:
        """``log p(tags | emissions)`` of each sequence, shape (B,).

        ``tags`` (B, T) integer: the gold path of each row, any value past its length.
        """
        emissions, lengths, mask = self._inputs(emissions, lengths)
        path = self._tags(tags, mask)
        transitions, start, end = self.scores()
        emitted = emissions.gather(2, path[..., None]).squeeze(-1).sum(dim=1)
        moved = torch.where(mask[:, 1:], transitions[path[:, :-1], path[:, 1:]], 0.0)
        last = path.gather(1, (lengths - 1)[:, None]).squeeze(1)
        score = start[path[:, 0]] + emitted + moved.sum(dim=1) + end[last]
        return score - self._log_partition(emissions, mask)

    def _log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        transitions, start, end = self.scores()
        alpha = start + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha[:, :, None] + transitions + emissions[:, t, None], 1)
            alpha = torch.where(mask[:, t, None], step, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def log_partition(self, emissions: Tensor, lengths: object) -> Tensor:
        """``log Z`` of each sequence, shape (B,): the logsumexp of the scores of all paths."""
        emissions, _, mask = self._inputs(emissions, lengths)
        return self._log_partition(emissions, mask)

    def forward(self, emissions: Tensor, tags: Tensor, lengths: object) -> Tensor:
        """The negative log-likelihood summed over the batch (a scalar; divide by B for a mean)."""
        return -self.log_likelihood(emissions, tags, lengths).sum()

    @torch.no_grad()
    def decode(self, emissions: Tensor, lengths: object) -> Tensor:
        """The Viterbi path of each sequence, int64 (B, T), ``-1`` at padded steps.

        Ties go to the lowest tag index, as in ``grukit.reference.crf_viterbi``.
        """
        emissions, lengths, mask = self._inputs(emissions, lengths)
        transitions, start, end = self.scores()
        batch, steps, k = emissions.shape
        stay = torch.arange(k, device=emissions.device).expand(batch, k)
        delta = start + emissions[:, 0]
        pointers = []
        for t in range(1, steps):
            best, pointer = (delta[:, :, None] + transitions).max(dim=1)
            delta = torch.where(mask[:, t, None], best + emissions[:, t], delta)
            pointers.append(torch.where(mask[:, t, None], pointer, stay))
        current = (delta + end).argmax(dim=1)
        path = [current]
        for pointer in reversed(pointers):
            current = pointer.gather(1, current[:, None]).squeeze(1)
            path.append(current)
        tags = torch.stack(path[::-1], dim=1)
        return torch.where(mask, tags, -1)

    def marginals(self, emissions: Tensor, lengths: object) -> Tensor:
        """The posterior marginals ``p(y_t = k)``, shape (B, T, K), zero at padded steps.

        Computed as the gradient of ``log Z`` with respect to the emissions; the result is
        detached (not differentiable).
        """
        if not isinstance(emissions, Tensor):
            raise TypeError(f"`emissions` must be a torch.Tensor, got {type(emissions).__name__}")
        scores = emissions.detach().requires_grad_(True)
        with torch.enable_grad():
            log_z = self.log_partition(scores, lengths).sum()
            (gradient,) = torch.autograd.grad(log_z, scores)
        return gradient
