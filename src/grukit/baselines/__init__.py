"""Baselines that every model must beat: naive forecasts (NumPy), classifiers (scikit-learn) and
the most-frequent-tag tagger.

>>> from grukit.baselines import MajorityBaseline, persistence
>>> persistence([[1.0, 2.0, 3.0]], 2)
array([[3., 3.]])
>>> MajorityBaseline().fit([0, 1, 1, 1]).predict_proba(2)
array([[0.25, 0.75],
       [0.25, 0.75]])
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "MajorityBaseline": "grukit.baselines.classification",
        "MostFrequentTag": "grukit.baselines.tagging",
        "SummaryLogisticBaseline": "grukit.baselines.classification",
        "TfidfLogisticBaseline": "grukit.baselines.classification",
        "persistence": "grukit.baselines.forecast",
        "seasonal_naive": "grukit.baselines.forecast",
    },
)
