"""Metrics: forecast errors and anomaly-detection scores (NumPy), classification (scikit-learn),
entity-level tagging scores (seqeval), translation BLEU and chrF (sacreBLEU).

>>> from grukit.metrics import classification_metrics, mae
>>> mae([1.0, 2.0], [1.5, 2.0])
0.25
>>> classification_metrics([0, 1, 1], [0.2, 0.7, 0.4])["accuracy"]
0.6666666666666666
>>> from grukit.metrics import entity_scores
>>> entity_scores([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])["f1"]
0.0
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "FRAME_NLL_EPS": "grukit.metrics.generation",
        "MAPE_EPS": "grukit.metrics.forecast",
        "calibration_table": "grukit.metrics.classification",
        "choose_threshold": "grukit.metrics.classification",
        "classification_metrics": "grukit.metrics.classification",
        "entity_confusion": "grukit.metrics.tagging",
        "entity_scores": "grukit.metrics.tagging",
        "f1": "grukit.metrics.forecast",
        "forecast_metrics": "grukit.metrics.forecast",
        "frame_accuracy": "grukit.metrics.generation",
        "frame_nll": "grukit.metrics.generation",
        "frame_nll_from_logits": "grukit.metrics.generation",
        "language_model_scores": "grukit.metrics.generation",
        "mae": "grukit.metrics.forecast",
        "mape": "grukit.metrics.forecast",
        "mse": "grukit.metrics.forecast",
        "pr_points": "grukit.metrics.classification",
        "precision": "grukit.metrics.forecast",
        "recall": "grukit.metrics.forecast",
        "rmse": "grukit.metrics.forecast",
        "roc_auc": "grukit.metrics.forecast",
        "roc_points": "grukit.metrics.classification",
        "sentence_bleu": "grukit.metrics.translation",
        "smape": "grukit.metrics.forecast",
        "threshold_from_scores": "grukit.metrics.forecast",
        "translation_scores": "grukit.metrics.translation",
    },
)
