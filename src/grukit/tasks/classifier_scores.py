"""The decision threshold, the baselines and the evaluation of a :class:`SequenceClassifier`.

Baselines, fitted on the classifier's training part in the same ``fit`` and saved with it (as
JSON: arrays as lists, no pickle): ``tfidf_logistic`` (text; TF-IDF + logistic regression),
``summary_logistic`` (series; logistic regression on each variable's last, mean, min, max and
count plus the static descriptors) and ``majority`` (the most frequent class).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grukit import checks

__all__ = [
    "BASELINE_CLASSES",
    "THRESHOLD_RULES",
    "check_threshold",
    "evaluate_models",
    "fit_baselines",
    "pick_threshold",
    "prefix_auc",
]

#: baseline name -> class name in :mod:`grukit.baselines`
BASELINE_CLASSES = {
    "tfidf_logistic": "TfidfLogisticBaseline",
    "summary_logistic": "SummaryLogisticBaseline",
    "majority": "MajorityBaseline",
}


THRESHOLD_RULES = ("f1", "youden", "accuracy")
_TARGETS = ("sensitivity", "specificity")


def check_threshold(value: Any) -> Any:
    """A probability, a rule name, or ``(target, level)`` / ``"sensitivity:0.8"``."""
    if isinstance(value, str) and ":" in value:
        name, _, level = value.partition(":")
        value = (name, level)
    if isinstance(value, list | tuple) and len(value) == 2 and value[0] in _TARGETS:
        try:
            level = float(value[1])
        except ValueError:
            level = -1.0
        return [value[0], checks.probability(f"threshold {value[0]} level", level)]
    if isinstance(value, str):
        return checks.choice("threshold", value, THRESHOLD_RULES)
    if checks.is_number(value) and 0 < float(value) < 1:
        return float(value)
    raise ValueError(
        f"`threshold` must be a probability in (0, 1), one of {THRESHOLD_RULES}, or "
        f"'sensitivity:L' / 'specificity:L', got {value!r}"
    )


def pick_threshold(y_true: np.ndarray, p_positive: np.ndarray, rule: Any) -> float:
    """The threshold of `rule` (a probability is kept as it is) on these predictions."""
    if isinstance(rule, float):
        return rule
    from grukit.metrics import choose_threshold

    if len(set(np.asarray(y_true).tolist())) < 2:
        return 0.5  # a rule needs both classes; the validation part has one
    return float(
        choose_threshold(y_true, p_positive, tuple(rule) if isinstance(rule, list) else rule)
    )


def _encode_state(state: tuple[dict[str, Any], dict[str, np.ndarray]]) -> dict[str, Any]:
    config, arrays = state
    return {
        "config": config,
        "arrays": {
            name: {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.ravel().tolist()}
            for name, a in arrays.items()
        },
    }


def _decode_state(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays = {
        name: np.asarray(item["data"], dtype=np.dtype(item["dtype"])).reshape(item["shape"])
        for name, item in record["arrays"].items()
    }
    return record["config"], arrays


def _baseline(name: str, record: dict[str, Any]) -> Any:
    import grukit.baselines as baselines

    cls = getattr(baselines, BASELINE_CLASSES[name])
    return cls.from_state(*_decode_state(record))


def baseline_inputs(model: Any, samples: Any) -> Any:
    """What the baselines read: the texts, or the summary-feature table of the series."""
    if model.input == "text":
        return samples.texts
    from grukit.data import summary_features

    observations = samples.observations
    variable = observations["variable"].astype(object).astype(str)
    observations = observations.assign(variable=variable)
    static = samples.static[model._series.static_columns]
    return summary_features(observations, static, variables=model._series.variables)


def fit_baselines(model: Any, samples: Any, validation: Any = None) -> dict[str, Any]:
    """Fit the baselines of `model`'s input kind on the training `samples`; their saved form.

    For two classes and a threshold rule (``"f1"``, ``"sensitivity:0.8"``, ...), each baseline
    gets its own threshold by the same rule on the same `validation` samples (the training
    samples without them), saved as its ``"threshold"``; a fixed threshold is used as it is.
    """
    import grukit.baselines as baselines

    targets = model._targets(samples)
    fitted = {}
    if model.input == "text":
        text = baselines.TfidfLogisticBaseline().fit(baseline_inputs(model, samples), targets)
        fitted["tfidf_logistic"] = _encode_state(text.to_state())
    else:
        summary = baselines.SummaryLogisticBaseline().fit(baseline_inputs(model, samples), targets)
        fitted["summary_logistic"] = _encode_state(summary.to_state())
    fitted["majority"] = _encode_state(baselines.MajorityBaseline().fit(targets).to_state())
    if len(model.classes_) == 2:
        chosen_on = samples if validation is None else validation
        proba = _baseline_probabilities(model, fitted, chosen_on)
        truth = model._targets(chosen_on)
        for name, record in fitted.items():
            fixed = model.threshold if isinstance(model.threshold, float) else 0.5
            rule = fixed if name == "majority" else model.threshold  # constant scores: no rule
            record["threshold"] = pick_threshold(truth, proba[name][:, 1], rule)
    return fitted


def _baseline_probabilities(model: Any, fitted: dict[str, Any], samples: Any) -> dict[str, Any]:
    proba, inputs = {}, None
    for name, record in fitted.items():
        baseline = _baseline(name, record)
        if name == "majority":
            proba[name] = baseline.predict_proba(len(samples))
            continue
        if inputs is None:
            inputs = baseline_inputs(model, samples)
        proba[name] = baseline.predict_proba(inputs)
    return proba


def model_probabilities(model: Any, samples: Any) -> dict[str, np.ndarray]:
    """(N, C) probabilities of the network (``"gru"``) and of each saved baseline."""
    proba = {"gru": model.predict_proba_samples(samples)}
    proba.update(_baseline_probabilities(model, model.baselines_, samples))
    return proba


def evaluate_models(model: Any, samples: Any) -> dict[str, Any]:
    """Metrics of the network and the baselines on labelled `samples`.

    Returns ``{"n", "classes", "threshold", "models": {name: metrics}, "probabilities": {name:
    (N, C)}, "targets": (N,)}``. Binary decisions: each model at its own threshold, chosen by
    the classifier's rule on the same validation samples (:func:`fit_baselines`; ROC-AUC and
    AUPRC need none).
    """
    from grukit.metrics import classification_metrics

    targets = model._targets(samples)
    proba = model_probabilities(model, samples)
    classes = [str(c) for c in model.classes_]
    metrics = {}
    for name, p in proba.items():
        given = p[:, 1] if p.shape[1] == 2 else p
        threshold = None
        if p.shape[1] == 2:  # each model at its own threshold, chosen by the same rule
            record = model.baselines_.get(name, {})
            threshold = model.threshold_ if name == "gru" else record.get("threshold", 0.5)
        metrics[name] = classification_metrics(targets, given, threshold=threshold, classes=classes)
    return {
        "n": len(samples),
        "classes": classes,
        "threshold": model.threshold_,
        "models": metrics,
        "probabilities": proba,
        "targets": targets,
    }


def prefix_auc(model: Any, samples: Any, hours: Any) -> dict[str, float | None]:
    """ROC-AUC of the risk after each of `hours` (series, binary): the classifier run on each
    record's observations up to that hour, which is what its stream gives at that time
    (:mod:`grukit.tasks.classifier_stream`, tested equal). None where one class is missing."""
    from dataclasses import replace

    from sklearn.metrics import roc_auc_score

    targets = model._targets(samples)
    result: dict[str, float | None] = {}
    for hour in hours:
        observations = samples.observations
        prefix = replace(samples, observations=observations[observations["hours"] <= hour])
        proba = model.predict_proba_samples(prefix)[:, 1]
        both = len(set(targets.tolist())) == 2
        result[f"{float(hour):g}"] = float(roc_auc_score(targets, proba)) if both else None
    return result
