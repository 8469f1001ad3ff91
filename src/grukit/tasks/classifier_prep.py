"""What :class:`grukit.SequenceClassifier` learns from its training data before the network:
the vocabulary (text), or the variables, grid, filling and scaling (series); both as JSON.

Text: tokens (:class:`grukit.text.Tokenizer`) -> ids from the training vocabulary (minimum count,
maximum size; ``<unk>`` for the rest) -> (N, L) int64 padded with 0 at the end, each row cut to
``max_length`` tokens (``truncate="pre"`` keeps the end of a long text).

Series: observations -> a grid of ``step_hours`` steps over ``[0, horizon)``
(:func:`grukit.data.to_grid`; later measurements are left out) -> values standardised with the
training records' mean and deviation and forward-filled (0, the mean, before the first one),
the observed-mask, and the time since each variable was last seen divided by the horizon; the
static descriptors median-imputed and standardised. Packed by
:func:`grukit.tasks.classifier_networks.pack_series`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from grukit.data._errors import GrukitDataError
from grukit.tasks.classifier_data import SeriesSamples, TextSamples

__all__ = ["SeriesPreparation", "TextPreparation"]


@dataclass
class TextPreparation:
    """Tokeniser settings, vocabulary and length limit; :meth:`encode` gives the network input."""

    level: str = "word"
    lower: bool = True
    strip_html: bool = True
    max_length: int | None = 400
    truncate: str = "pre"
    vocabulary: Any = None

    def tokenizer(self) -> Any:
        from grukit.text import Tokenizer

        return Tokenizer(level=self.level, lower=self.lower, strip_html=self.strip_html)

    def learn(self, samples: TextSamples, *, min_count: int, max_size: int | None) -> np.ndarray:
        from grukit.text import Vocabulary

        tokens = self.tokenizer().tokenize_all(samples.texts)
        self.vocabulary = Vocabulary.build(tokens, min_count=min_count, max_size=max_size)
        return self._ids(tokens, samples)

    def encode(self, samples: TextSamples) -> np.ndarray:
        return self._ids(self.tokenizer().tokenize_all(samples.texts), samples)

    def _ids(self, tokens: list[list[str]], samples: TextSamples) -> np.ndarray:
        from grukit.text import encode_batch

        for row, row_tokens in enumerate(tokens):
            if not row_tokens:
                raise GrukitDataError(f"{samples.source}: row {row} has no tokens")
        ids, _ = encode_batch(
            tokens, self.vocabulary, max_length=self.max_length, truncate=self.truncate
        )
        return ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "lower": self.lower,
            "strip_html": self.strip_html,
            "max_length": self.max_length,
            "truncate": self.truncate,
            "vocabulary": self.vocabulary.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextPreparation:
        from grukit.text import Vocabulary

        values = dict(data)
        values["vocabulary"] = Vocabulary.from_dict(values["vocabulary"])
        return cls(**values)


@dataclass
class SeriesPreparation:
    """The grid, the variables and the statistics learned on the training records."""

    step_hours: float = 1.0
    horizon_hours: float | None = None
    aggregate: str = "last"
    variables: list[str] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    static_columns: list[str] = field(default_factory=list)
    static_median: list[float] = field(default_factory=list)
    static_mean: list[float] = field(default_factory=list)
    static_std: list[float] = field(default_factory=list)

    @property
    def steps(self) -> int:
        assert self.horizon_hours is not None
        return max(1, math.ceil(self.horizon_hours / self.step_hours - 1e-9))

    def learn(self, samples: SeriesSamples) -> np.ndarray:
        from grukit.data import GridFiller

        observations = samples.observations
        if self.horizon_hours is None:  # the span of the training series, in whole steps
            self.horizon_hours = self._span(samples)
        column = observations["variable"]
        if isinstance(column.dtype, pd.CategoricalDtype):
            seen = set(column.astype(object).unique())
            self.variables = [str(c) for c in column.cat.categories if c in seen]
        else:
            self.variables = sorted(str(v) for v in column.unique())
        if not self.variables:
            raise GrukitDataError(f"{samples.source}: no measurement in the training series")
        grid = self._grid(samples)
        filler = GridFiller("forward").fit(grid.values, self.variables)
        self.mean, self.std = filler.mean_.tolist(), filler.std_.tolist()
        static = samples.static.astype(np.float64)
        self.static_columns = [str(c) for c in static.columns]
        median = static.median().fillna(0.0)
        filled = static.fillna(median)
        std = filled.std(ddof=0)
        self.static_median = median.tolist()
        self.static_mean = filled.mean().fillna(0.0).tolist()
        self.static_std = std.where(std > 0, 1.0).fillna(1.0).tolist()
        return self._pack(grid, samples)

    def _span(self, samples: SeriesSamples) -> float:
        """The given span (arrays: their steps), else the latest training hour rounded up to
        whole steps: a measurement at exactly the horizon falls in the last step, as
        :func:`grukit.data.to_grid` bins it (PhysioNet's 48:00 gives 48 hourly steps)."""
        if samples.span_hours is not None:
            return float(samples.span_hours)
        observations = samples.observations
        latest = float(observations["hours"].max()) if len(observations) else 0.0
        return max(1, math.ceil(latest / self.step_hours - 1e-9)) * self.step_hours

    def encode(self, samples: SeriesSamples) -> np.ndarray:
        names = samples.observations["variable"].astype(object).astype(str).unique()
        unknown = sorted(set(names) - set(self.variables))
        if unknown:
            raise GrukitDataError(
                f"{samples.source}: variables {unknown[:5]} were not in the training data "
                f"(known: {self.variables[:8]}{' ...' if len(self.variables) > 8 else ''})"
            )
        missing = [c for c in self.static_columns if c not in samples.static.columns]
        if missing:
            raise GrukitDataError(
                f"{samples.source}: the static descriptors {missing[:5]} of the training data "
                "are missing"
            )
        return self._pack(self._grid(samples), samples)

    def _grid(self, samples: SeriesSamples) -> Any:
        from grukit.data import to_grid

        observations = samples.observations
        variable = observations["variable"].astype(object).astype(str)
        observations = observations.assign(variable=variable)
        return to_grid(
            observations,
            step_hours=self.step_hours,
            horizon_hours=self.horizon_hours,
            variables=self.variables,
            records=samples.records,
            aggregate=self.aggregate,
        )

    def filled_values(self, values: np.ndarray) -> np.ndarray:
        """Standardised and forward-filled values (GridFiller's transform)."""
        from grukit.data import GridFiller

        filler = GridFiller.from_dict(
            {"fill": "forward", "standardize": True, "mean": self.mean, "std": self.std}
        )
        return filler.transform(values)

    def static_values(self, static: pd.DataFrame) -> np.ndarray:
        """(N, S) float32: median-imputed, standardised static descriptors."""
        if not self.static_columns:
            return np.zeros((len(static), 0), dtype=np.float32)
        table = static[self.static_columns].astype(np.float64)
        table = table.fillna(pd.Series(self.static_median, index=self.static_columns))
        scaled = (table.to_numpy() - np.asarray(self.static_mean)) / np.asarray(self.static_std)
        return scaled.astype(np.float32)

    def _pack(self, grid: Any, samples: SeriesSamples) -> np.ndarray:
        from grukit.tasks.classifier_networks import pack_series

        assert self.horizon_hours is not None
        delta = grid.delta / np.float32(self.horizon_hours)
        lengths = np.asarray(grid.lengths)
        return pack_series(
            self.filled_values(grid.values), grid.mask, delta, lengths,
            self.static_values(samples.static),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeriesPreparation:
        return cls(**data)
