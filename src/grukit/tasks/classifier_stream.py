"""Streaming classification: the current probabilities as tokens or observations arrive.

A session keeps the GRU's state (and the pooling's running sums) after the steps seen so far
and advances one step per token, or per grid step of a series, with the GRU's own streaming step
(:meth:`grukit.GRU.step`), never re-running the prefix. After each call its probabilities equal
:meth:`SequenceClassifier.predict_proba` of the whole prefix (tested), up to rounding.

Text (:class:`TextStream`): ``add("a few more words")`` or ``add(["tokens"])``; the prefix is the
tokens so far (a stream does not truncate: beyond ``max_length`` tokens it keeps reading, where
the batch classifier would keep only the last ``max_length``).

Series (:class:`SeriesStream`): ``observe(hours, variable, value)`` in time order. The grid step
of the latest observation is the open step: its input is recomputed from the measurements in it
so far and run from the state of the closed steps; when a later step begins, the open one is
closed (fed for good) and the empty steps between are fed with their filled values, a zero mask
and the growing gaps, exactly as :func:`grukit.data.to_grid` and the classifier's preparation
lay them out. Static descriptors are given when the session opens or observed by name at any
time (they enter at the head only).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

__all__ = ["EnsembleStream", "SeriesStream", "TextStream", "open_stream"]


class _Pooled:
    """The running pooling of the outputs of the closed steps (last, mean, max, attention)."""

    def __init__(self, pooling: str) -> None:
        self.pooling = pooling
        self.count = 0
        self.last: torch.Tensor | None = None
        self.total: torch.Tensor | None = None  # sum (mean), max (max), weighted sum (attention)
        self.top = -math.inf  # attention: the largest score so far
        self.weight = 0.0  # attention: sum of exp(score - top)

    def copy(self) -> _Pooled:
        other = _Pooled(self.pooling)
        other.__dict__.update(self.__dict__)
        return other

    def add(self, output: torch.Tensor, score: torch.Tensor | None) -> None:
        self.count += 1
        self.last = output
        if self.pooling == "mean":
            self.total = output if self.total is None else self.total + output
        elif self.pooling == "max":
            self.total = output if self.total is None else torch.maximum(self.total, output)
        elif self.pooling == "attention":
            assert score is not None
            value = float(score)
            top = max(self.top, value)
            scale = math.exp(self.top - top) if self.count > 1 else 0.0
            now = math.exp(value - top)
            self.weight = self.weight * scale + now
            self.total = output * now if self.total is None else self.total * scale + output * now
            self.top = top

    def value(self, state_last: torch.Tensor) -> torch.Tensor:
        if self.pooling == "last":
            return state_last  # h0 (zeros) before the first step, as the whole-sequence GRU
        if self.count == 0 or self.total is None:
            return torch.zeros_like(state_last)
        if self.pooling == "mean":
            return self.total / self.count
        if self.pooling == "max":
            return self.total
        return self.total / self.weight


class _Session:
    def __init__(self, model: Any, network: Any = None) -> None:
        self.model = model
        self.network = (model.network_ if network is None else network).eval()
        if self.network.directions != 1:
            raise ValueError(
                "a bidirectional classifier reads the whole sequence; it cannot stream (train "
                "one with bidirectional=False)"
            )
        self.state = self.network.initial_state(1)
        self.pooled = _Pooled(self.network.pooling)
        self.steps = 0

    def _advance(self, x: torch.Tensor, state: torch.Tensor, pooled: _Pooled) -> torch.Tensor:
        output, state = self.network.step(self.network.step_input(x), state)
        score = self.network.attention_score(output) if pooled.pooling == "attention" else None
        pooled.add(output, score)
        return state

    def _probabilities(self, state: torch.Tensor, pooled: _Pooled, static: Any) -> np.ndarray:
        last = state if self.network.decay else state[-1]
        logits = self.network.logits_from_pooled(pooled.value(last), static)
        return torch.softmax(logits.double(), dim=1)[0].numpy()

    def _positive(self, proba: np.ndarray) -> Any:
        return float(proba[1]) if len(proba) == 2 else proba


class TextStream(_Session):
    """Tokens in, the probabilities of the text so far out."""

    def __init__(self, model: Any, network: Any = None) -> None:
        super().__init__(model, network)
        self._tokenizer = model._text.tokenizer()
        self.probabilities = self._now()

    def add(self, text: str | list[str]) -> Any:
        """Read more text (a str, tokenised as the classifier does) or a list of tokens;
        returns the positive-class probability (binary) or all of them."""
        tokens = self._tokenizer(text) if isinstance(text, str) else list(text)
        vocabulary = self.model._text.vocabulary
        with torch.inference_mode():
            for token in tokens:
                ids = torch.tensor([vocabulary.index(token)], dtype=torch.int64)
                self.state = self._advance(ids, self.state, self.pooled)
                self.steps += 1
            self.probabilities = self._now()
        return self._positive(self.probabilities)

    def _now(self) -> np.ndarray:
        with torch.inference_mode():
            return self._probabilities(self.state, self.pooled, None)


class SeriesStream(_Session):
    """Observations ``(hours, variable, value)`` in, the current risk out."""

    def __init__(self, model: Any, static: dict[str, float] | None, network: Any = None) -> None:
        super().__init__(model, network)
        prep = model._series
        self.prep = prep
        self.index = {name: i for i, name in enumerate(prep.variables)}
        size = len(prep.variables)
        self.mean, self.std = np.asarray(prep.mean), np.asarray(prep.std)
        self.last = np.zeros(size, dtype=np.float64)  # standardised last value (0: the mean)
        self.seen_before = np.zeros(size, dtype=bool)  # observed in the previous step
        self.delta = np.zeros(size, dtype=np.float32)  # gaps of the open step
        self.open = -1  # the open grid step (-1: none yet)
        self.sums = np.zeros(size)
        self.counts = np.zeros(size)
        self.latest = np.full(size, np.nan)
        self.static = dict.fromkeys(prep.static_columns, math.nan)
        self._static: torch.Tensor | None = None  # prepared once per change, not per reading
        for name, value in (static or {}).items():
            self._set_static(name, value)
        self.probabilities = self._now()

    def _set_static(self, name: str, value: float) -> None:
        if name not in self.static:
            raise ValueError(f"unknown static descriptor {name!r}; known: {list(self.static)}")
        self.static[name] = float(value)
        self._static = None

    def _step_input(self) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """The open step's packed input, its mask and its filled values."""
        observed = self.counts > 0
        if self.prep.aggregate == "mean":
            raw = np.where(observed, self.sums / np.maximum(self.counts, 1), np.nan)
        else:
            raw = self.latest
        value = (raw.astype(np.float32).astype(np.float64) - self.mean) / self.std
        filled = np.where(observed, value, self.last).astype(np.float32)
        mask = observed.astype(np.float32)
        delta = self.delta / np.float32(self.prep.horizon_hours)
        packed = np.concatenate([filled, mask, delta]).astype(np.float32)
        return torch.as_tensor(packed[None, :]), mask, filled

    def _close(self) -> None:
        """Feed the open step for good and move on to the next step (empty so far)."""
        x, mask, filled = self._step_input()
        self.state = self._advance(x, self.state, self.pooled)
        self.steps += 1
        self.last = np.where(mask > 0, filled.astype(np.float64), self.last)
        step = np.float32(self.prep.step_hours)
        self.delta = (step + np.where(mask > 0, np.float32(0), self.delta)).astype(np.float32)
        self.sums[:], self.counts[:], self.latest[:] = 0, 0, np.nan
        self.open += 1

    def observe(self, hours: float, variable: str, value: float) -> Any:
        """Add one measurement; returns the positive-class probability (binary) or all.

        A static descriptor's name sets it, except a name that is a series variable too
        (PhysioNet's ``Weight``): that is static only at hour 0 while still unknown, as the
        challenge's loader reads it, and a series measurement otherwise.
        """
        is_static = variable in self.static
        if is_static and variable in self.index:
            is_static = float(hours) == 0.0 and math.isnan(self.static[variable])
        if is_static:
            self._set_static(variable, value)
            self.probabilities = self._now()
            return self._positive(self.probabilities)
        if variable not in self.index:
            raise ValueError(
                f"unknown variable {variable!r}; the classifier knows {list(self.index)[:8]}"
            )
        hours = float(hours)
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"`hours` must be a finite number >= 0, got {hours}")
        prep = self.prep
        step = min(math.floor(hours / prep.step_hours), prep.steps - 1)
        if self.open >= 0 and step < self.open:
            raise ValueError(
                f"observations must come in time order: hour {hours} is in step {step}, the "
                f"stream is at step {self.open}"
            )
        if hours > prep.horizon_hours or math.isnan(float(value)):  # left out, as to_grid does
            return self._positive(self.probabilities)
        with torch.inference_mode():
            if self.open < 0:
                self.open = 0
            while self.open < step:
                self._close()
            column = self.index[variable]
            self.sums[column] += float(value)
            self.counts[column] += 1
            self.latest[column] = float(value)
            self.probabilities = self._now()
        return self._positive(self.probabilities)

    def _static_tensor(self) -> torch.Tensor:
        if self._static is None:
            import pandas as pd

            frame = pd.DataFrame([self.static], columns=self.prep.static_columns)
            self._static = torch.as_tensor(self.prep.static_values(frame))
        return self._static

    def _now(self) -> np.ndarray:
        with torch.inference_mode():
            state, pooled = self.state, self.pooled
            if self.open >= 0:  # the open step, run from the closed ones' state
                pooled = pooled.copy()
                x, _, _ = self._step_input()
                state = self._advance(x, state, pooled)
            return self._probabilities(state, pooled, self._static_tensor())


class EnsembleStream:
    """One stream per member of a :class:`ClassifierEnsemble`; their probabilities averaged
    (what the ensemble's ``predict_proba`` gives for the prefix)."""

    def __init__(self, streams: list[Any]) -> None:
        self.streams = streams
        self.probabilities = self._mean()

    def _mean(self) -> np.ndarray:
        mean: np.ndarray = np.mean([s.probabilities for s in self.streams], axis=0)
        return mean

    def _after(self) -> Any:
        self.probabilities = self._mean()
        return float(self.probabilities[1]) if len(self.probabilities) == 2 else self.probabilities

    def add(self, text: str | list[str]) -> Any:
        """:meth:`TextStream.add` on every member."""
        for stream in self.streams:
            stream.add(text)
        return self._after()

    def observe(self, hours: float, variable: str, value: float) -> Any:
        """:meth:`SeriesStream.observe` on every member."""
        for stream in self.streams:
            stream.observe(hours, variable, value)
        return self._after()


def open_stream(model: Any, static: dict[str, float] | None = None) -> Any:
    """The streaming session of a fitted classifier (text or series; an ensemble's members'
    sessions averaged)."""
    if model.input == "text" and static:
        raise ValueError("`static` descriptors go with series input, not text")
    members = getattr(model.network_, "members", None)
    networks = [None] if members is None else list(members)
    if model.input == "text":
        streams: list[Any] = [TextStream(model, network) for network in networks]
    else:
        streams = [SeriesStream(model, static, network) for network in networks]
    return streams[0] if members is None else EnsembleStream(streams)
