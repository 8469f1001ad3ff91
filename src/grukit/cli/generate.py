"""``grukit train generate`` and what evaluate/predict do with its runs: call the sequence
generator, write ``metrics.json`` (and, through :mod:`grukit.cli.generate_sample`, the samples),
print one summary line.

The parts: training is DATA (a ``.mat`` file's ``train`` part); validation is ``--validation``,
else a ``.mat`` file's ``valid`` part, else the last ``--validation-fraction`` of the tokens (of
the pieces, for music); the data scored at the end is ``--test`` (a ``.mat`` file's ``test``
part), else a ``.mat`` DATA's ``test`` part, else the validation data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import typer

from grukit.cli.options import resolve_options, train_config_from

__all__ = [
    "GENERATE_DEFAULTS",
    "evaluate_generator_run",
    "predict_generator",
    "run_train_generate",
    "summary_line",
]

GENERATE_DEFAULTS: dict[str, Any] = {
    "out": None, "level": "char", "music": False, "validation": None,
    "validation_fraction": 0.1, "test": None, "hidden_size": 256, "num_layers": 2,
    "embedding_dim": None, "tie_weights": True, "dropout": 0.2, "embedding_dropout": 0.0,
    "input_dropout": None,
    "bptt": 64, "lower": False, "min_count": 1, "max_vocab": None, "mixed_precision": False,
    "epochs": None, "batch_size": None, "lr": None, "seed": None, "device": None,
    "threads": None, "resume": False,
}  # fmt: skip
#: the network's name in metrics.json (the baseline goes by its own name)
MODEL = "gru"
_UNIT = {"char": "character", "word": "word", "note": "note"}


def _echo(text: str = "") -> None:
    typer.echo(text)


def _is_mat(path: Any) -> bool:
    return path is not None and Path(path).suffix.lower() == ".mat"


def _level(options: Mapping[str, Any], given: Mapping[str, Any]) -> str:
    level = str(options["level"])
    if options.get("music"):
        if given.get("level") not in (None, "music"):
            raise ValueError(f"--music is --level music; got --level {given['level']} as well")
        return "music"
    return level


def build_generator(options: Mapping[str, Any], gru_config: Any, train_config: Any) -> Any:
    from grukit.tasks.generator import SequenceGenerator

    names = ("hidden_size", "num_layers", "embedding_dim", "tie_weights", "dropout",
             "embedding_dropout", "input_dropout", "bptt", "lower", "min_count", "max_vocab",
             "mixed_precision")  # fmt: skip
    return SequenceGenerator(
        level=options["level"],
        gru_config=gru_config,
        train_config=train_config,
        **{name: options[name] for name in names},
    )


def _parts(model: Any, data: Path, options: Mapping[str, Any],
           given: Mapping[str, Any]) -> tuple[Any, Any, Any, str]:  # fmt: skip
    """(training, validation, test or None, what the validation is) read from the options;
    every file is read (and refused) before the run directory is touched."""
    train = model.read(data, split="train")
    if options.get("validation"):
        validation = model.read(options["validation"], split="valid")
        held = "the validation data"
    elif _is_mat(data) and given.get("validation_fraction") is None:
        validation, held = model.read(data, split="valid"), "the valid part of"
    else:
        fraction = float(options["validation_fraction"])
        train, validation = model._split_validation(train, fraction)
        what = "pieces" if model.level == "music" else "tokens"
        held = f"the held-out last {fraction:.0%} of the {what} of"
    test = None
    if options.get("test"):
        test = model.read(options["test"], split="test")
    elif _is_mat(data):
        test = model.read(data, split="test")
    return train, validation, test, held


def _describe(model: Any, corpus: Any) -> str:
    if model.level == "music":
        return f"{len(corpus)} pieces ({corpus.size:,} frames)"
    return f"{corpus.size:,} {_UNIT[model.level]}s"


def run_train_generate(given: dict[str, Any], *, declared: Callable | None = None) -> Any:
    """``grukit train generate``: train on DATA (early stopping on the validation data), score
    the test data beside the baseline, draw samples, save; returns the model."""
    from grukit.cli.console import apply_threads, require_options, training_lines
    from grukit.cli.generate_sample import write_samples
    from grukit.tasks.config import GRUConfig
    from grukit.tasks.runs import CHECKPOINTS, locked_run, start_run

    options, train_table, gru_table = resolve_options(given, GENERATE_DEFAULTS, declared=declared)
    require_options(options, ["out"])
    options["level"] = _level(options, given)
    apply_threads(options)
    model = build_generator(
        options, GRUConfig.from_dict(gru_table), train_config_from(options, train_table)
    )
    data = Path(given["data"])
    train, validation, test, held = _parts(model, data, options, given)
    out = Path(options["out"])
    with locked_run(out, create=True):
        record = {**options, "data": str(data.resolve())}
        start_run(out, "generate", record, resume=bool(options.get("resume")))
        _echo(f"Training a GRU {model.level}-level model on {_describe(model, train)} of "
              f"{data} ...")  # fmt: skip
        with training_lines():
            model.fit(
                train,
                validation=validation,
                resume=bool(options.get("resume")),
                checkpoint_dir=out / CHECKPOINTS,
            )
        model.save(out)
        history = model.history_
        _echo(f"Trained {len(history)} epochs (best {history.best_epoch}, "
              f"{history.stop_reason})")  # fmt: skip
        scored = test if test is not None else validation
        part = "test" if test is not None else "validation"
        source = f"the test data {scored.source}" if test is not None else f"{held} {data}"
        evaluate_generator_run(model, scored, out=out, part=part, source=source)
        write_samples(model, out, scored)
    _echo(f"Model saved in {out}; next: grukit sample {out}, grukit report {out}")
    return model


def evaluate_generator_run(model: Any, corpus: Any, *, out: Path | None, part: str,
                           source: str) -> dict[str, Any]:  # fmt: skip
    """The network and its baseline on a read `corpus`; prints :func:`summary_line` and, with
    `out`, writes ``out/metrics.json``; returns the record."""
    result = model.evaluate(corpus)
    models = {MODEL: result["model"]}
    baseline = result.get("baseline")
    if baseline is not None:
        models[str(baseline["name"]).replace(" ", "_")] = {
            k: v for k, v in baseline.items() if k != "name"
        }
    record = {
        "task": model.task, "level": result["level"], "part": part, "data": source,
        "documents": result["documents"], "models": models,
        "beats_baseline": result["beats_baseline"],
    }  # fmt: skip
    _echo(summary_line(record))
    if record["beats_baseline"] is False:
        _echo("The model does not beat its baseline.")
    if out is not None:
        from grukit.io import write_json

        write_json(out / "metrics.json", record)
        _echo(f"Metrics written to {out / 'metrics.json'}")
    return record


def summary_line(record: Mapping[str, Any]) -> str:
    """``test perplexity 112.3 (unigram baseline 692.1), 6.81 bits per word`` or ``test NLL
    per frame 8.41 (key-frequency baseline 11.09), frame accuracy 0.31`` of a metrics record.

    Examples
    --------
    >>> summary_line({"level": "word", "part": "test", "models": {
    ...     "gru": {"perplexity": 112.34, "bits_per_token": 6.812},
    ...     "unigram": {"perplexity": 692.1, "bits_per_token": 9.435}}})
    'test perplexity 112.3 (unigram baseline 692.1), 6.812 bits per word (baseline 9.435)'
    """
    models = dict(record["models"])
    gru = models.pop(MODEL)
    name, baseline = next(iter(models.items()), (None, None))
    part = record["part"]
    if record["level"] == "music":
        line = f"{part} NLL per frame {gru['nll_per_frame']:.2f}"
        if baseline is not None:
            line += f" (key-frequency baseline {baseline['nll_per_frame']:.2f})"
        return line + f", frame accuracy {gru['frame_accuracy']:.2f}"
    unit = _UNIT[record["level"]]
    line = f"{part} perplexity {gru['perplexity']:.1f}"
    if baseline is not None:
        line += f" ({name} baseline {baseline['perplexity']:.1f})"
    line += f", {gru['bits_per_token']:.3f} bits per {unit}"
    if baseline is not None:
        line += f" (baseline {baseline['bits_per_token']:.3f})"
    return line


def evaluate_generator(model: Any, data: Path) -> dict[str, Any]:
    """``grukit evaluate`` of a generator run: a ``.mat`` file's test part, else all of `data`;
    prints the summary line and writes nothing."""
    corpus = model.read(data, split="test")
    part = "test" if _is_mat(data) else "evaluation"
    source = f"the test part of {data}" if _is_mat(data) else f"all of {data}"
    return evaluate_generator_run(model, corpus, out=None, part=part, source=source)


def predict_generator(model: Any, run: Path) -> NoReturn:
    """``grukit predict`` of a generator run: refused in one line naming ``grukit sample``."""
    raise ValueError(
        f"'{run}' holds a sequence generator ({model.level} level): it generates with "
        f"`grukit sample {run}` (and is scored with `grukit evaluate {run} DATA`), not predict"
    )
