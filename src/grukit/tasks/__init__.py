"""The workflows: forecasting, anomaly detection and sequence classification with GRUs
(scikit-learn style).

>>> from grukit.tasks import Forecaster, load
>>> model = Forecaster(24, 6, targets="pm2.5", covariates=["TEMP", "cbwd"], fill="ffill")
>>> model.fit(train).evaluate(test)  # doctest: +SKIP
>>> model.save("runs/pm25"); load("runs/pm25").predict(test)  # doctest: +SKIP

``fit`` returns the estimator; learned attributes end in ``_``. Names are imported lazily, so
``from grukit.tasks import GRUConfig`` does not import PyTorch.
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "AnomalyDetector": "grukit.tasks.detector",
        "Forecaster": "grukit.tasks.forecaster",
        "GRUConfig": "grukit.tasks.config",
        "SequenceClassifier": "grukit.tasks.classifier",
        "Seq2Seq": "grukit.tasks.translator",
        "SequenceGenerator": "grukit.tasks.generator",
        "SequenceTagger": "grukit.tasks.tagger",
        "evaluation_table": "grukit.tasks.evaluation",
        "load": "grukit.tasks.registry",
        "load_frame": "grukit.tasks.tables",
    },
)
