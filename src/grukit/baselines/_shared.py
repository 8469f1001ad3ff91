"""What the classification baselines share: labels, saved states, the logistic model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import expit, softmax
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from grukit import checks


def encode_labels(y: Any, n_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)``: the sorted distinct labels (int or str) and each label's index."""
    labels = np.asarray(y)
    if labels.dtype.kind == "O" and all(isinstance(v, str) for v in labels.ravel()):
        labels = labels.astype(str)
    if labels.ndim != 1 or labels.dtype.kind not in "iuU":
        raise ValueError(
            f"`y` must be a 1-D array of integer or str labels, got shape {labels.shape} and "
            f"dtype {labels.dtype}"
        )
    if n_rows is not None and labels.size != n_rows:
        raise ValueError(f"`y` must have one label per example ({n_rows}), got {labels.size}")
    classes, codes = np.unique(labels, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"`y` must hold at least two classes, got {classes.tolist()}")
    return classes, codes.astype(np.int64)


def decode_classes(values: Any) -> np.ndarray:
    """``classes_`` from the list a saved state holds (two or more int or str labels)."""
    classes = np.asarray(values)
    if classes.ndim != 1 or classes.size < 2 or classes.dtype.kind not in "iuU":
        raise ValueError(f"`config['classes']` must list two or more labels, got {values!r}")
    return classes


def state_array(arrays: Mapping[str, Any], name: str, shape: tuple[int, ...]) -> np.ndarray:
    """``arrays[name]``, refused unless present and of ``shape``."""
    if name not in arrays:
        raise ValueError(f"`arrays` lacks {name!r}, got {sorted(arrays)}")
    value = np.asarray(arrays[name])
    if value.shape != shape:
        raise ValueError(f"`arrays[{name!r}]` must have shape {shape}, got {value.shape}")
    return value


def state_config(config: Any, cls: type, keys: tuple[str, ...]) -> dict[str, Any]:
    """``config`` as a dict, refused unless it has ``kind == cls.__name__`` and ``keys``."""
    config = checks.config_keys(config, ("kind", *keys), cls.__name__)
    if config.get("kind") != cls.__name__ or set(config) != {"kind", *keys}:
        raise ValueError(
            f"`config` must be a {cls.__name__} state with keys {sorted(['kind', *keys])}, "
            f"got kind {config.get('kind')!r} and keys {sorted(config)}"
        )
    return config


def fit_logistic(
    features: Any, codes: np.ndarray, C: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(coef, intercept)`` of an L2 logistic regression (lbfgs) fitted on class codes."""
    model = LogisticRegression(C=C, max_iter=max_iter, solver="lbfgs").fit(features, codes)
    return np.array(model.coef_, dtype=np.float64), np.array(model.intercept_, dtype=np.float64)


def logistic_proba(features: Any, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Class probabilities (N, C) of a logistic regression, computed as scikit-learn does."""
    scores = np.asarray(features @ coef.T) + intercept  # (N, 1) for two classes, else (N, C)
    if coef.shape[0] == 1:
        p = expit(scores[:, 0])
        return np.column_stack([1.0 - p, p])
    return softmax(scores, axis=1)


def coef_shape(n_classes: int, n_features: int) -> tuple[int, int]:
    """The shape of ``coef``: one row for two classes (the score of the second), else C."""
    return (1 if n_classes == 2 else n_classes, n_features)


class Baseline:
    """What the three baselines share: ``classes_``, ``predict`` and the fitted check."""

    classes_: np.ndarray

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted: call fit first")

    def predict_proba(self, X: Any) -> np.ndarray:  # pragma: no cover - defined by each class
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each example (the first in ``classes_`` on ties)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
