"""``grukit train classify`` and what predict/evaluate do with its runs: call the classifier,
write ``metrics.json``, ``scores.csv``, ``streaming.csv``, ``attention.json``, print the table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer

from grukit.cli.options import resolve_options, train_config_from

__all__ = ["CLASSIFY_DEFAULTS", "evaluate_classifier", "predict_classifier", "run_train_classify"]

CLASSIFY_DEFAULTS: dict[str, Any] = {
    "out": None, "input": "auto", "text_column": None, "label_column": None,
    "id_column": None, "time_column": None, "outcomes": None, "test": None,
    "test_outcomes": None, "test_fraction": None, "validation_fraction": 0.1,
    "hidden_size": 64, "num_layers": 1, "bidirectional": False, "pooling": "last",
    "dropout": 0.0, "recurrent_dropout": 0.0, "class_weight": None, "threshold": "0.5",
    "max_vocab": 20000, "min_count": 2, "max_length": 400, "embedding_dim": 128,
    "word_vectors": None, "step_hours": 1.0, "horizon_hours": None, "decay": False,
    "unknown": "error", "ensemble": 1,
    "epochs": None, "batch_size": None, "lr": None, "seed": None, "device": None,
    "threads": None, "resume": False,
}  # fmt: skip
#: hours after admission at which the streaming risk of series is scored
STREAM_HOURS = (6.0, 12.0, 24.0, 48.0)
_SHOWN = ("accuracy", "roc_auc", "auprc", "f1", "f1_macro", "sensitivity", "specificity")


def _echo(text: str = "") -> None:
    typer.echo(text)


def _input_kind(options: Mapping[str, Any]) -> str:
    kind = str(options["input"])
    if kind != "auto":
        return kind
    data = options["data"]
    names = [Path(str(p)).name for p in (data if isinstance(data, list | tuple) else [data])]
    series_hints = ("outcomes", "id_column", "time_column")
    if any(options.get(name) for name in series_hints) or names[0].startswith("set-"):
        return "series"
    return "text"


def _threshold(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def build_classifier(options: Mapping[str, Any], gru_config: Any, train_config: Any) -> Any:
    from grukit.tasks.classifier import SequenceClassifier

    names = ("hidden_size", "num_layers", "bidirectional", "pooling", "dropout",
             "recurrent_dropout", "class_weight", "text_column", "label_column", "max_vocab",
             "min_count", "max_length", "embedding_dim", "id_column", "time_column",
             "step_hours", "horizon_hours", "decay", "unknown", "ensemble")  # fmt: skip
    word_vectors = options.get("word_vectors")
    return SequenceClassifier(
        input=_input_kind(options),
        threshold=_threshold(options["threshold"]),
        word_vectors=None if word_vectors is None else str(word_vectors),
        gru_config=gru_config,
        train_config=train_config,
        **{name: options[name] for name in names},
    )


def run_train_classify(given: dict[str, Any], *, declared: Callable | None = None) -> Any:
    """``grukit train classify``: train, evaluate on the test part beside the baselines, save."""
    from grukit.cli.console import apply_threads, require_options, training_lines
    from grukit.tasks.classifier_runs import ClassificationRun, data_argument
    from grukit.tasks.config import GRUConfig

    options, train_table, gru_table = resolve_options(given, CLASSIFY_DEFAULTS, declared=declared)
    require_options(options, ["out"])
    apply_threads(options)
    model = build_classifier(
        options, GRUConfig.from_dict(gru_table), train_config_from(options, train_table)
    )
    data = data_argument(given["data"], options.get("outcomes"))
    with ClassificationRun.start(model, data, options, command="classify") as run:
        _echo(f"Training a GRU {model.input} classifier on {len(run.train)} samples ...")
        with training_lines():
            run.fit(model)
        trained = f"Trained {len(model.history_)} epochs (best {model.history_.best_epoch}, "
        trained += f"{model.history_.stop_reason})"
        if model.ensemble > 1:
            trained = f"Trained {model.ensemble} networks (best epochs {model.member_best_epochs_})"
        _echo(
            f"{trained}; classes {model.classes_}"
            + ("" if model.threshold_ is None else f", threshold {model.threshold_:.4g}")
        )
        if run.test is not None:
            evaluate_classifier(model, run.test, run.out, "the test part")
    _echo(f"Model saved in {run.out}; next: grukit report {run.out}")
    return model


def _scores_frame(model: Any, samples: Any, result: dict[str, Any]) -> pd.DataFrame:
    ids = samples.records if model.input == "series" else np.arange(len(samples))
    frame = pd.DataFrame({"id": np.asarray(ids), "label": result["targets"]})
    for name, proba in result["probabilities"].items():
        if proba.shape[1] == 2:
            frame[name] = proba[:, 1]
        else:
            for index, label in enumerate(result["classes"]):
                frame[f"{name}:{label}"] = proba[:, index]
    return frame


def _streaming_frame(model: Any, samples: Any, per_class: int = 3) -> pd.DataFrame | None:
    """The streaming risk of a few test series, observation by observation."""
    if model.input != "series" or model.bidirectional or len(model.classes_) != 2:
        return None
    targets = model._targets(samples)
    rows = []
    observations = samples.observations
    for label in (0, 1):
        for record in samples.records[targets == label][:per_class]:
            static = samples.static.loc[record].to_dict() if samples.static.shape[1] else None
            stream = model.stream(static=static)
            mine = observations[observations["record"] == record]
            for hours, variable, value in mine[["hours", "variable", "value"]].itertuples(
                index=False
            ):
                risk = stream.observe(hours, str(variable), value)
                rows.append((record, label, float(hours), risk))
    return pd.DataFrame(rows, columns=["id", "label", "hours", "risk"])


def _attention_examples(model: Any, samples: Any, count: int = 3) -> dict[str, Any] | None:
    if model.input != "text" or model.pooling != "attention":
        return None
    texts = samples.texts[:count]
    proba = model.predict_proba(texts)
    examples = []
    for row, (tokens, weights) in enumerate(model.attention(texts)):
        examples.append({
            "tokens": tokens, "weights": weights.tolist(),
            "label": str(samples.labels[row]) if samples.labels is not None else None,
            "predicted": str(model.labels_of(proba[row : row + 1])[0]),
            "probability": float(proba[row].max()),
        })  # fmt: skip
    return {"examples": examples}


def evaluate_classifier(model: Any, samples: Any, out: Path, source: str) -> dict[str, Any]:
    """Model vs baselines on `samples`; writes metrics.json, scores.csv and the optional files."""
    from grukit.cli.results import write_csv
    from grukit.io import write_json
    from grukit.tasks.classifier_scores import evaluate_models, prefix_auc

    result = evaluate_models(model, samples)
    record = {
        "task": model.task, "data": source, "part": "test", "classes": result["classes"],
        "threshold": result["threshold"], "n": result["n"], "models": result["models"],
    }  # fmt: skip
    if model.input == "series" and len(model.classes_) == 2:
        record["streaming_auc"] = prefix_auc(model, samples, STREAM_HOURS)
    write_json(out / "metrics.json", record)
    write_csv(_scores_frame(model, samples, result), out / "scores.csv")
    streaming = _streaming_frame(model, samples)
    if streaming is not None:
        write_csv(streaming, out / "streaming.csv")
    attention = _attention_examples(model, samples)
    if attention is not None:
        write_json(out / "attention.json", attention)
    _print_table(record, source)
    _echo(f"\nMetrics written to {out / 'metrics.json'}")
    return record


def _print_table(record: dict[str, Any], source: str) -> None:
    table = pd.DataFrame(
        {name: {k: m.get(k) for k in _SHOWN if k in m} for name, m in record["models"].items()}
    ).T
    _echo(f"\nModel vs baselines on {record['n']} samples of {source}:")
    _echo(table.to_string(float_format=lambda v: f"{v:.4f}", na_rep="-"))
    key = "roc_auc" if len(record["classes"]) == 2 else "accuracy"
    gru = record["models"]["gru"].get(key)
    for name, metrics in record["models"].items():
        other = metrics.get(key)
        if name == "gru" or other is None or gru is None:
            continue
        verdict = "beats" if gru > other else "does not beat"
        _echo(f"The GRU {verdict} {name} on {key} ({gru:.4f} vs {other:.4f}).")
    if "streaming_auc" in record:
        shown = ", ".join(
            f"{h:g} h {a:.4f}" if a is not None else f"{h:g} h -"
            for h, a in zip(STREAM_HOURS, record["streaming_auc"].values(), strict=True)
        )
        _echo(f"Streaming risk ROC-AUC after {shown}")


def predict_classifier(model: Any, data: Any) -> pd.DataFrame:
    """Predicted labels and class probabilities of each sample of `data`."""
    samples = model.read(data, labelled=False)
    proba = model.predict_proba_samples(samples)
    ids = samples.records if model.input == "series" else np.arange(len(samples))
    frame = pd.DataFrame({"id": np.asarray(ids), "predicted": model.labels_of(proba)})
    for index, label in enumerate(model.classes_):
        frame[f"p_{label}"] = proba[:, index]
    return frame
