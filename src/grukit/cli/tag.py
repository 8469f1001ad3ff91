"""``grukit train tag`` and what evaluate/predict do with its runs: call the tagger, write
``metrics.json``, ``examples.json`` and CoNLL predictions, print the table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from grukit.cli.options import resolve_options, train_config_from

__all__ = ["TAG_DEFAULTS", "evaluate_tagger_run", "predict_tagger", "run_train_tag"]

TAG_DEFAULTS: dict[str, Any] = {
    "out": None, "validation": None, "test": None, "validation_fraction": 0.1,
    "label_column": -1, "token_column": 0, "input_scheme": "auto", "scheme": "BIOES",
    "hidden_size": 128, "num_layers": 1, "bidirectional": True, "char_features": True,
    "casing": True, "crf": True, "dropout": 0.5, "unknown_rate": 0.5, "embedding_dim": 100,
    "char_dim": 25, "char_hidden": 25, "word_vectors": None, "strict": True,
    "epochs": None, "batch_size": None, "lr": None, "seed": None, "device": None,
    "threads": None, "resume": False,
}  # fmt: skip
#: the model names of metrics.json
MODEL, BASELINE = "gru", "most_frequent_tag"
_SHOWN = ("precision", "recall", "f1", "accuracy")


def _echo(text: str = "") -> None:
    typer.echo(text)


def build_tagger(options: Mapping[str, Any], gru_config: Any, train_config: Any) -> Any:
    from grukit.tasks.tagger import SequenceTagger

    names = ("hidden_size", "num_layers", "bidirectional", "char_features", "casing", "crf",
             "dropout", "unknown_rate", "embedding_dim", "char_dim", "char_hidden", "scheme",
             "label_column", "token_column", "input_scheme", "strict")  # fmt: skip
    word_vectors = options.get("word_vectors")
    return SequenceTagger(
        word_vectors=None if word_vectors is None else str(word_vectors),
        gru_config=gru_config,
        train_config=train_config,
        **{name: options[name] for name in names},
    )


def run_train_tag(given: dict[str, Any], *, declared: Callable | None = None) -> Any:
    """``grukit train tag``: train on DATA (early stopping on --validation or a fraction),
    evaluate on --test (else on --validation) beside the baseline, save."""
    from grukit.cli.console import apply_threads, require_options, training_lines
    from grukit.tasks.config import GRUConfig
    from grukit.tasks.runs import CHECKPOINTS, locked_run, start_run

    options, train_table, gru_table = resolve_options(given, TAG_DEFAULTS, declared=declared)
    require_options(options, ["out"])
    apply_threads(options)
    model = build_tagger(
        options, GRUConfig.from_dict(gru_table), train_config_from(options, train_table)
    )
    data = Path(given["data"])
    train = model.read(data)  # refused before anything is written
    validation = model.read(options["validation"]) if options.get("validation") else None
    held_out = "the validation data"
    if validation is None:  # the last sentences of DATA, scored at the end when there is no test
        train, validation = model._split_validation(train, float(options["validation_fraction"]))
        held_out = f"the held-out last {len(validation)} sentences of"
    test = model.read(options["test"]) if options.get("test") else None
    out = Path(options["out"])
    with locked_run(out, create=True):
        record = {**options, "data": str(data.resolve())}
        start_run(out, "tag", record, resume=bool(options.get("resume")))
        types = sorted({label[2:] for row in train.labels for label in row if label != "O"})
        _echo(
            f"Training a GRU tagger on {len(train)} sentences of {data} ({train.scheme}; "
            f"types {', '.join(types)}) ..."
        )
        with training_lines():
            model.fit(
                train,
                validation=validation,
                resume=bool(options.get("resume")),
                checkpoint_dir=out / CHECKPOINTS,
            )
        model.save(out)
        history = model.history_
        trained = f"Trained {len(history)} epochs (best {history.best_epoch}, "
        if model.validation_f1_:
            best = max(model.validation_f1_)
            reason = "no better F1" if history.stop_reason == "callback" else history.stop_reason
            trained += f"by validation entity F1 {best:.4f}; stopped: {reason})"
        else:
            trained += f"{history.stop_reason})"
        _echo(trained)
        scored = test if test is not None else validation
        part = "the test data" if test is not None else held_out
        evaluate_tagger_run(model, scored, out, f"{part} {scored.source}")
    _echo(f"Model saved in {out}; next: grukit report {out}")
    return model


def _examples(model: Any, sentences: Any, count: int = 8) -> list[dict[str, Any]]:
    """Sentences with entities, those the network gets wrong first, for the report."""
    from grukit.tasks.tagger_data import render_tags

    gold = sentences.to_scheme("IOB2", strict=False).labels
    picked = [i for i, row in enumerate(gold) if any(tag != "O" for tag in row)][: 20 * count]
    subset = type(sentences)(
        [sentences.tokens[i] for i in picked], [gold[i] for i in picked], "IOB2", sentences.source
    )
    predicted = [render_tags(r, model.scheme, "IOB2") for r in model._decode(subset)]
    rows = [
        {"tokens": subset.tokens[k], "gold": subset.labels[k], "predicted": predicted[k]}
        for k in range(len(picked))
    ]
    wrong = [row for row in rows if row["gold"] != row["predicted"]]
    right = [row for row in rows if row["gold"] == row["predicted"]]
    return (wrong[: count // 2] + right)[:count]


def evaluate_tagger_run(model: Any, sentences: Any, out: Path, source: str) -> dict[str, Any]:
    """Network vs baseline on read `sentences`; writes metrics.json and examples.json."""
    from grukit.io import write_json

    result = model.evaluate(sentences)
    models = {MODEL: result["model"]}
    if result["baseline"] is not None:
        models[BASELINE] = result["baseline"]
    record = {
        "task": model.task, "data": source, "sentences": result["sentences"],
        "tokens": result["tokens"], "scheme": result["scheme"], "models": models,
        "confusion": result["confusion"], "beats_baseline": result["beats_baseline"],
    }  # fmt: skip
    write_json(out / "metrics.json", record)
    write_json(out / "examples.json", {"examples": _examples(model, sentences)})
    _print_table(record, source)
    _echo(f"\nMetrics written to {out / 'metrics.json'}")
    return record


def _print_table(record: dict[str, Any], source: str) -> None:
    models = record["models"]
    table = pd.DataFrame({name: {k: m[k] for k in _SHOWN} for name, m in models.items()}).T
    _echo(f"\nEntity-level scores on {record['sentences']} sentences of {source}:")
    _echo(table.to_string(float_format=lambda v: f"{v:.4f}"))
    per_type = pd.DataFrame(models[MODEL]["per_type"]).T
    _echo("\nPer entity type (the GRU):")
    _echo(per_type.to_string(float_format=lambda v: f"{v:.4f}"))
    if BASELINE in models:
        gru, base = models[MODEL]["f1"], models[BASELINE]["f1"]
        verdict = "beats" if gru > base else "does not beat"
        _echo(f"The GRU {verdict} the most-frequent-tag baseline on entity F1 ({gru:.4f} vs "
              f"{base:.4f}).")  # fmt: skip


def predict_tagger(model: Any, data: Any, output: Path) -> Path:
    """Predicted labels of each token of `data`, written as CoNLL (token, [gold], predicted)
    in the data's scheme (or the training data's); returns the path."""
    from grukit.text import write_conll

    sentences = model.read(data, labelled=False)
    predicted = model.predict_sentences(sentences)
    path = write_conll(sentences, output, predicted)
    for tokens, labels in list(zip(sentences.tokens, predicted, strict=True))[:5]:
        _echo(
            " ".join(
                t if tag == "O" else f"[{t} {tag}]" for t, tag in zip(tokens, labels, strict=True)
            )
        )
    if len(sentences) > 5:
        _echo(f"... ({len(sentences)} sentences)")
    _echo(f"Predictions written to {path}")
    return path
