"""Classification baselines that a GRU classifier must beat, saved without pickle.

- :class:`MajorityBaseline`: the training class frequencies for every example.
- :class:`TfidfLogisticBaseline`: TF-IDF of word n-grams + logistic regression, for texts.
- :class:`SummaryLogisticBaseline`: median imputation + standardisation + logistic regression,
  for a numeric table (e.g. :func:`grukit.data.irregular.summary_features` of ICU stays).

Each has ``fit`` (returns the baseline), ``predict_proba`` (shape ``(N, C)``, columns in the
order of ``classes_``, the sorted labels seen in training), ``predict`` and ``to_state()``: a
JSON-safe ``config`` dict and a dict of NumPy arrays from which ``from_state(config, arrays)``
rebuilds the fitted baseline (vocabulary, idf, coefficients and scaler statistics are arrays;
nothing is pickled) with bitwise identical ``predict_proba``. The prediction of the logistic
models is computed here from the stored coefficients, as scikit-learn does:
``p = sigmoid(X w + b)`` for two classes (columns ``1 - p, p``), ``softmax(X W^T + b)`` for more.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from grukit import checks
from grukit.baselines._shared import (
    Baseline,
    coef_shape,
    decode_classes,
    encode_labels,
    fit_logistic,
    logistic_proba,
    state_array,
    state_config,
)

__all__ = ["MajorityBaseline", "SummaryLogisticBaseline", "TfidfLogisticBaseline"]

#: An HTML tag (IMDB reviews break lines with ``<br />``): replaced by a space before tokenising.
TAG = re.compile(r"<[^<>]*>")


# -- majority ------------------------------------------------------------------------------------
class MajorityBaseline(Baseline):
    """Predicts the training class frequencies for every example (argmax: the majority class).

    Examples
    --------
    >>> MajorityBaseline().fit(["neg", "pos", "pos"]).predict(2).tolist()
    ['pos', 'pos']
    """

    def fit(self, y: Any) -> MajorityBaseline:
        """Learn ``classes_`` and ``frequencies_`` (their share of ``y``)."""
        classes, codes = encode_labels(y)
        self.classes_ = classes
        self.frequencies_ = np.bincount(codes, minlength=classes.size) / codes.size
        return self

    def predict_proba(self, n_or_X: Any) -> np.ndarray:
        """``frequencies_`` repeated for ``n`` rows (an int) or for each row of ``X`` (``len``)."""
        self._check_fitted()
        n = checks.non_negative_int("n", n_or_X) if checks.is_integer(n_or_X) else len(n_or_X)
        return np.tile(self.frequencies_, (n, 1))

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``({"kind", "classes"}, {"frequencies"})``."""
        self._check_fitted()
        config = {"kind": type(self).__name__, "classes": self.classes_.tolist()}
        return config, {"frequencies": self.frequencies_.copy()}

    @classmethod
    def from_state(cls, config: Any, arrays: Mapping[str, Any]) -> MajorityBaseline:
        """The baseline that :meth:`to_state` described."""
        config = state_config(config, cls, ("classes",))
        baseline = cls()
        baseline.classes_ = decode_classes(config["classes"])
        shape = (baseline.classes_.size,)
        baseline.frequencies_ = state_array(arrays, "frequencies", shape).astype(np.float64)
        return baseline


# -- texts ---------------------------------------------------------------------------------------
def _clean_text(text: str, lowercase: bool) -> str:
    text = TAG.sub(" ", text)
    return text.lower() if lowercase else text


def _texts(texts: Any) -> list[str]:
    if isinstance(texts, str | bytes):
        raise ValueError("`texts` must be a sequence of str, got one str")
    texts = list(texts)
    if not texts:
        raise ValueError("`texts` must hold at least one text, got none")
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"`texts` must hold str, got {type(text).__name__} at {position}")
    return texts


class TfidfLogisticBaseline(Baseline):
    """TF-IDF of word n-grams and a logistic regression (L2, lbfgs): the text baseline.

    Each text has its HTML tags replaced by a space (the regex ``<[^<>]*>``: IMDB's ``<br />``;
    a ``<`` ... ``>`` span in plain prose goes too) and is lowercased (``lowercase=True``), then
    split into words of two or more word characters (scikit-learn's default tokens). The
    features are ``tf * idf`` per n-gram, ``tf = 1 + log(count)`` with ``sublinear_tf`` (else the
    count), ``idf = 1 + log((1 + n) / (1 + df))``, and each row scaled to unit L2 norm.

    Parameters
    ----------
    ngram_range : (int, int), default (1, 1)
        The smallest and largest n of the word n-grams.
    min_df : int, default 2
        N-grams in fewer training texts are left out.
    max_features : int, optional
        Keep only the most frequent n-grams (over the training texts).
    C : float, default 1.0
        Inverse L2 regularisation strength of the logistic regression.
    sublinear_tf, lowercase : bool, default True
    max_iter : int, default 1000
        Iterations of lbfgs.

    Examples
    --------
    >>> texts = ["good fun", "good film", "bad plot", "bad acting<br />bad"]
    >>> model = TfidfLogisticBaseline(min_df=1, C=10.0).fit(texts, [1, 1, 0, 0])
    >>> model.predict(["a good one", "so bad"]).tolist()
    [1, 0]
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int = 2,
        max_features: int | None = None,
        C: float = 1.0,
        sublinear_tf: bool = True,
        lowercase: bool = True,
        max_iter: int = 1000,
    ) -> None:
        if not isinstance(ngram_range, tuple | list) or len(ngram_range) != 2:
            raise ValueError(f"`ngram_range` must be a pair (low, high), got {ngram_range!r}")
        low = checks.positive_int("ngram_range[0]", ngram_range[0])
        high = checks.positive_int("ngram_range[1]", ngram_range[1], minimum=low)
        self.ngram_range = (low, high)
        self.min_df = checks.positive_int("min_df", min_df)
        if max_features is not None:
            max_features = checks.positive_int("max_features", max_features)
        self.max_features = max_features
        self.C = checks.number("C", C, low=0.0, low_open=True)
        self.sublinear_tf = checks.flag("sublinear_tf", sublinear_tf)
        self.lowercase = checks.flag("lowercase", lowercase)
        self.max_iter = checks.positive_int("max_iter", max_iter)

    def _params(self) -> dict[str, Any]:
        return {
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "C": self.C,
            "sublinear_tf": self.sublinear_tf,
            "lowercase": self.lowercase,
            "max_iter": self.max_iter,
        }

    def _preprocessor(self) -> Any:
        return functools.partial(_clean_text, lowercase=self.lowercase)

    def fit(self, texts: Any, y: Any) -> TfidfLogisticBaseline:
        """Learn the vocabulary and idf on ``texts``, then the logistic regression on ``y``."""
        texts = _texts(texts)
        classes, codes = encode_labels(y, len(texts))
        vectorizer = TfidfVectorizer(
            preprocessor=self._preprocessor(),
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            dtype=np.float64,
        )
        vectorizer.fit(texts)
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        self._set_vocabulary(terms, np.asarray(vectorizer.idf_, dtype=np.float64))
        self.coef_, self.intercept_ = fit_logistic(
            self._features(texts), codes, self.C, self.max_iter
        )
        self.classes_ = classes
        return self

    def _set_vocabulary(self, terms: list[str], idf: np.ndarray) -> None:
        self.vocabulary_ = terms  # the n-gram of each feature column
        self.idf_ = idf
        self._counter = CountVectorizer(
            preprocessor=self._preprocessor(),
            ngram_range=self.ngram_range,
            vocabulary=terms,
            dtype=np.float64,
        )

    def _features(self, texts: list[str]) -> sparse.csr_matrix:
        features = self._counter.transform(texts)
        if self.sublinear_tf:
            np.log(features.data, out=features.data)
            features.data += 1.0
        features.data *= self.idf_[features.indices]
        return normalize(features, norm="l2", copy=False)

    def predict_proba(self, texts: Any) -> np.ndarray:
        """Class probabilities, shape (N, C), columns in ``classes_`` order."""
        self._check_fitted()
        return logistic_proba(self._features(_texts(texts)), self.coef_, self.intercept_)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``({"kind", "params", "classes"}, {"vocabulary", "idf", "coef", "intercept"})``.

        ``vocabulary`` is the UTF-8 bytes (uint8) of the n-grams joined by newlines, in feature
        order (no n-gram holds a newline: tokens are runs of word characters).
        """
        self._check_fitted()
        config = {"kind": type(self).__name__, "params": self._params()}
        config["classes"] = self.classes_.tolist()
        vocabulary = np.frombuffer("\n".join(self.vocabulary_).encode("utf-8"), dtype=np.uint8)
        arrays = {"vocabulary": vocabulary.copy(), "idf": self.idf_.copy()}
        return config, {**arrays, "coef": self.coef_.copy(), "intercept": self.intercept_.copy()}

    @classmethod
    def from_state(cls, config: Any, arrays: Mapping[str, Any]) -> TfidfLogisticBaseline:
        """The baseline that :meth:`to_state` described."""
        config = state_config(config, cls, ("params", "classes"))
        baseline = cls(**checks.config_keys(config["params"], cls._keys(), cls.__name__))
        classes = decode_classes(config["classes"])
        if "vocabulary" not in arrays:
            raise ValueError(f"`arrays` lacks 'vocabulary', got {sorted(arrays)}")
        raw = np.asarray(arrays["vocabulary"], dtype=np.uint8).tobytes()
        terms = raw.decode("utf-8").split("\n")
        baseline._set_vocabulary(
            terms, state_array(arrays, "idf", (len(terms),)).astype(np.float64)
        )
        shape = coef_shape(classes.size, len(terms))
        baseline.coef_ = state_array(arrays, "coef", shape).astype(np.float64)
        baseline.intercept_ = state_array(arrays, "intercept", shape[:1]).astype(np.float64)
        baseline.classes_ = classes
        return baseline

    @staticmethod
    def _keys() -> list[str]:
        return checks.constructor_arguments(TfidfLogisticBaseline)


# -- numeric tables ------------------------------------------------------------------------------
def _table(X: Any) -> tuple[np.ndarray, list[str] | None]:
    """``(values, names)``: a float64 (N, D) array and the column names (None for an array)."""
    names = None
    if isinstance(X, pd.DataFrame):
        for name, dtype in X.dtypes.items():
            if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
                raise ValueError(f"`X` must be numeric, column {name!r} has dtype {dtype}")
        names = [str(name) for name in X.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"`X` must have distinct column names, got {names}")
        values = X.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(X, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(f"`X` must be a table of shape (N, D) with N, D >= 1, got {values.shape}")
    if np.isinf(values).any():
        raise ValueError("`X` must hold finite numbers or NaN (missing), got an infinity")
    return values, names


class SummaryLogisticBaseline(Baseline):
    """Logistic regression (L2, lbfgs) on a numeric table with missing values: the ICU baseline.

    Missing values (NaN) are replaced by the training median of their column (0 for a column
    with no value in training), then each column is standardised with the training mean and
    standard deviation of the imputed values (a constant column is only centred):
    ``z = (x - mean) / scale``.

    Parameters
    ----------
    C : float, default 0.1
        Inverse L2 regularisation strength.
    max_iter : int, default 1000

    Notes
    -----
    A DataFrame fitted on is matched by column name afterwards (reordered when its columns come
    in another order; a missing or extra column is an error); an array is matched by position.

    Examples
    --------
    >>> X = [[1.0, float("nan")], [2.0, 0.0], [8.0, 1.0], [9.0, float("nan")]]
    >>> model = SummaryLogisticBaseline(C=10.0).fit(X, [0, 0, 1, 1])
    >>> model.medians_.tolist(), model.predict([[1.5, 0.0], [8.5, 1.0]]).tolist()
    ([5.0, 0.5], [0, 1])
    """

    def __init__(self, *, C: float = 0.1, max_iter: int = 1000) -> None:
        self.C = checks.number("C", C, low=0.0, low_open=True)
        self.max_iter = checks.positive_int("max_iter", max_iter)

    def fit(self, X: Any, y: Any) -> SummaryLogisticBaseline:
        """Learn medians, means and scales of ``X`` (N, D), then the logistic regression."""
        values, names = _table(X)
        classes, codes = encode_labels(y, values.shape[0])
        missing = np.isnan(values)
        medians = np.zeros(values.shape[1])
        seen = ~missing.all(axis=0)
        if seen.any():
            medians[seen] = np.nanmedian(values[:, seen], axis=0)
        imputed = np.where(missing, medians, values)
        constant = (imputed == imputed[0]).all(axis=0)
        self.columns_ = names
        self.medians_ = medians
        self.means_ = imputed.mean(axis=0)
        self.scales_ = np.where(constant, 1.0, imputed.std(axis=0))
        self.coef_, self.intercept_ = fit_logistic(
            self._standardised(values), codes, self.C, self.max_iter
        )
        self.classes_ = classes
        return self

    def _standardised(self, values: np.ndarray) -> np.ndarray:
        return (np.where(np.isnan(values), self.medians_, values) - self.means_) / self.scales_

    def _values(self, X: Any) -> np.ndarray:
        if isinstance(X, pd.DataFrame) and self.columns_ is not None:
            given = [str(name) for name in X.columns]
            if sorted(given) != sorted(self.columns_) or len(set(given)) != len(given):
                lacking = [n for n in self.columns_ if n not in given][:5]
                extra = [n for n in given if n not in self.columns_][:5]
                raise ValueError(
                    f"`X` must have the training columns, lacks {lacking} and has extra {extra}"
                )
            X = X.iloc[:, [given.index(name) for name in self.columns_]]
        values, _ = _table(X)
        if values.shape[1] != self.medians_.size:
            raise ValueError(
                f"`X` must have {self.medians_.size} columns as in training, got {values.shape[1]}"
            )
        return values

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (N, C), columns in ``classes_`` order."""
        self._check_fitted()
        return logistic_proba(self._standardised(self._values(X)), self.coef_, self.intercept_)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``({"kind", "params", "classes", "columns"}, {"medians", "means", "scales", "coef",
        "intercept"})``; ``columns`` is None when fitted on an array."""
        self._check_fitted()
        config = {
            "kind": type(self).__name__,
            "params": {"C": self.C, "max_iter": self.max_iter},
            "classes": self.classes_.tolist(),
            "columns": self.columns_,
        }
        names = ("medians", "means", "scales", "coef", "intercept")
        return config, {name: getattr(self, f"{name}_").copy() for name in names}

    @classmethod
    def from_state(cls, config: Any, arrays: Mapping[str, Any]) -> SummaryLogisticBaseline:
        """The baseline that :meth:`to_state` described."""
        config = state_config(config, cls, ("params", "classes", "columns"))
        params = checks.config_keys(config["params"], ("C", "max_iter"), cls.__name__)
        baseline = cls(**params)
        classes = decode_classes(config["classes"])
        n_features = np.asarray(arrays.get("medians", ())).size
        columns = config["columns"]
        if columns is not None and (not isinstance(columns, list) or len(columns) != n_features):
            raise ValueError(f"`config['columns']` must list {n_features} names, got {columns!r}")
        baseline.columns_ = None if columns is None else [str(name) for name in columns]
        for name in ("medians", "means", "scales"):
            setattr(
                baseline, f"{name}_", state_array(arrays, name, (n_features,)).astype(np.float64)
            )
        shape = coef_shape(classes.size, n_features)
        baseline.coef_ = state_array(arrays, "coef", shape).astype(np.float64)
        baseline.intercept_ = state_array(arrays, "intercept", shape[:1]).astype(np.float64)
        baseline.classes_ = classes
        return baseline
