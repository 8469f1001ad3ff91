"""``grukit train seq2seq``, ``grukit translate`` and what evaluate/predict do with seq2seq runs:
call :class:`grukit.Seq2Seq`, write ``metrics.json``, ``hypotheses.txt`` and ``attention.json``,
print one summary line.

The parts: training is SOURCE and TARGET (or one TSV/CSV); validation is ``--validation``,
else the last ``--validation-fraction`` of the training pairs; the pairs scored at the end are
``--test``, else the validation pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import typer

from grukit.cli.options import resolve_options, train_config_from

__all__ = [
    "SEQ2SEQ_DEFAULTS",
    "evaluate_seq2seq",
    "evaluate_seq2seq_run",
    "predict_seq2seq",
    "run_train_seq2seq",
    "run_translate",
    "summary_line",
]

#: the network's options; the task's defaults (grukit.Seq2Seq) apply to those left None
_MODEL_OPTIONS = (
    "tokens", "source_vocab_size", "target_vocab_size", "lower", "max_length", "embedding_dim",
    "hidden_size", "decoder_size", "encoder_layers", "decoder_layers", "bidirectional",
    "attention", "dropout", "teacher_forcing", "teacher_forcing_final", "label_smoothing",
    "beam", "length_penalty", "mixed_precision",
)  # fmt: skip
SEQ2SEQ_DEFAULTS: dict[str, Any] = {
    "out": None, "validation": None, "validation_target": None, "validation_fraction": 0.05,
    "test": None, "test_target": None, **dict.fromkeys(_MODEL_OPTIONS), "epochs": None,
    "batch_size": None, "lr": None, "seed": None, "device": None, "threads": None,
    "resume": False,
}  # fmt: skip
MODEL = "gru"
#: attention examples written to attention.json (and drawn by grukit report)
ATTENTION_EXAMPLES = 4


def _echo(text: str = "") -> None:
    typer.echo(text)


def build_seq2seq(options: Mapping[str, Any], gru_config: Any, train_config: Any) -> Any:
    from grukit.tasks.translator import Seq2Seq

    chosen = {name: options[name] for name in _MODEL_OPTIONS if options.get(name) is not None}
    return Seq2Seq(gru_config=gru_config, train_config=train_config, **chosen)


def _pair(first: Any, second: Any, what: str) -> Any:
    """The :func:`grukit.text.read_parallel` text of one file (a table) or two."""
    from grukit.text.parallel import read_parallel

    if first is None:
        if second is not None:
            raise ValueError(f"--{what}-target needs --{what} (the source file)")
        return None
    return read_parallel(first) if second is None else read_parallel(first, second)


def _parts(model: Any, options: Mapping[str, Any], given: Mapping[str, Any]
           ) -> tuple[Any, Any, Any, str]:  # fmt: skip
    """(training, validation, test or None, what the validation is); every file is read (and
    refused) before the run directory is touched."""
    train = _pair(given["source"], given.get("target"), "source")
    validation = _pair(options.get("validation"), options.get("validation_target"),
                       "validation")  # fmt: skip
    held = "the validation pairs"
    if validation is None:
        fraction = float(options["validation_fraction"])
        train, validation = model._split_validation(train, fraction)
        held = f"the held-out last {fraction:.0%} of the training pairs"
    test = _pair(options.get("test"), options.get("test_target"), "test")
    return train, validation, test, held


def run_train_seq2seq(given: dict[str, Any], *, declared: Callable | None = None) -> Any:
    """``grukit train seq2seq``: train on the training pairs (early stopping on the validation
    pairs), score the test pairs, save; returns the model."""
    from grukit.cli.console import apply_threads, require_options, training_lines
    from grukit.tasks.config import GRUConfig
    from grukit.tasks.runs import CHECKPOINTS, locked_run, start_run

    options, train_table, gru_table = resolve_options(given, SEQ2SEQ_DEFAULTS, declared=declared)
    require_options(options, ["out"])
    apply_threads(options)
    model = build_seq2seq(
        options, GRUConfig.from_dict(gru_table), train_config_from(options, train_table)
    )
    train, validation, test, held = _parts(model, options, given)
    out = Path(options["out"])
    with locked_run(out, create=True):
        record = {**options, "source": str(given["source"]), "target": given.get("target")}
        start_run(out, "seq2seq", record, resume=bool(options.get("resume")))
        kind = "with attention" if model.attention else "without attention (Cho et al.)"
        _echo(f"Training a GRU encoder-decoder {kind} on {len(train):,} pairs of "
              f"{train.source} ...")  # fmt: skip
        with training_lines():
            model.fit(train, validation=validation, resume=bool(options.get("resume")),
                      checkpoint_dir=out / CHECKPOINTS)  # fmt: skip
        model.save(out)
        history = model.history_
        _echo(f"Trained {len(history)} epochs (best {history.best_epoch}, "
              f"{history.stop_reason})")  # fmt: skip
        scored = test if test is not None else validation
        part = "test" if test is not None else "validation"
        source = scored.source if test is not None else f"{held} {train.source}"
        evaluate_seq2seq_run(model, scored, out=out, part=part, source=source)
    _echo(f'Model saved in {out}; next: grukit translate {out} "...", grukit report {out}')
    return model


def _progress(total: int) -> Callable[[int, int], None] | None:
    """A progress line on stderr for long inputs (none for a few sentences)."""
    if total < 200:
        return None

    import sys

    terminal = sys.stderr.isatty()
    shown = [0]  # the last quarter reported (not on a terminal)

    def show(done: int, all_: int) -> None:
        if terminal:  # one line, rewritten
            typer.echo(f"\rtranslated {done:,}/{all_:,}", err=True, nl=done >= all_)
        elif 4 * done // all_ > shown[0]:  # a log: a line at each quarter
            shown[0] = 4 * done // all_
            typer.echo(f"translated {done:,}/{all_:,}", err=True)

    return show


def evaluate_seq2seq_run(model: Any, text: Any, *, out: Path | None, part: str, source: str,
                         beam: int | None = None) -> dict[str, Any]:  # fmt: skip
    """BLEU, chrF, exact match and perplexity of `model` on parallel `text`, beside copying the
    source; prints :func:`summary_line`; with `out`, writes ``metrics.json``,
    ``hypotheses.txt`` and (with attention) ``attention.json``. Returns the record."""
    result = model.evaluate(text, beam=beam, progress=_progress(len(text)))
    gru, copy = result["model"], result["baselines"]["copy_source"]
    record = {
        "task": model.task, "part": part, "data": source, "sentences": result["sentences"],
        "beam": result["beam"], "models": {MODEL: gru, "copy_source": copy},
        "beats_baseline": bool(gru["bleu"] > copy["bleu"]), "examples": result["examples"],
    }  # fmt: skip
    _echo(summary_line(record))
    _echo(f"BLEU signature: {gru['bleu_signature']}; chrF signature: {gru['chrf_signature']}")
    if not record["beats_baseline"]:
        _echo("The model does not beat its baseline (copying the source).")
    if out is not None:
        from grukit.io import atomic_write_text, write_json

        write_json(out / "metrics.json", record)
        atomic_write_text(out / "hypotheses.txt", "".join(h + "\n" for h in result["hypotheses"]))
        if model.attention:
            examples = [model.attention_weights(s) for s in text.sources[:ATTENTION_EXAMPLES]]
            write_json(out / "attention.json", {"examples": [
                {"input": s, **{k: v.tolist() if k == "weights" else v for k, v in e.items()}}
                for s, e in zip(text.sources, examples, strict=False)]})  # fmt: skip
        _echo(f"Metrics written to {out / 'metrics.json'}, translations to "
              f"{out / 'hypotheses.txt'}")  # fmt: skip
    return record


def summary_line(record: Mapping[str, Any]) -> str:
    """``test BLEU 30.12, chrF 55.43, exact match 4.1% (copying the source: BLEU 2.10), 1000
    sentences, beam 5`` of a metrics record.

    Examples
    --------
    >>> summary_line({"part": "test", "sentences": 2, "beam": 5, "models": {
    ...     "gru": {"bleu": 30.123, "chrf": 55.432, "exact_match": 0.5, "perplexity": 9.87},
    ...     "copy_source": {"bleu": 2.1, "chrf": 20.0, "exact_match": 0.0}}})
    'test BLEU 30.12, chrF 55.43, exact match 50.0%, perplexity 9.87 (copying the source: BLEU 2.10), 2 sentences, beam 5'
    """  # noqa: E501
    gru, copy = record["models"][MODEL], record["models"]["copy_source"]
    return (
        f"{record['part']} BLEU {gru['bleu']:.2f}, chrF {gru['chrf']:.2f}, exact match "
        f"{gru['exact_match']:.1%}, perplexity {gru['perplexity']:.2f} (copying the source: "
        f"BLEU {copy['bleu']:.2f}), {record['sentences']} sentences, beam {record['beam']}"
    )


def evaluate_seq2seq(model: Any, data: Path, target: Path | None) -> dict[str, Any]:
    """``grukit evaluate RUN SOURCE TARGET`` (or a TSV/CSV): prints, writes nothing."""
    text = _pair(data, target, "data")
    return evaluate_seq2seq_run(model, text, out=None, part="evaluation", source=text.source)


def predict_seq2seq(model: Any, run: Path) -> NoReturn:
    """``grukit predict`` of a seq2seq run: refused in one line naming ``grukit translate``."""
    raise ValueError(
        f"'{run}' holds a sequence-to-sequence model: it translates with `grukit translate "
        f'{run} "..."` or `--input FILE` (and is scored with `grukit evaluate {run} SOURCE '
        "TARGET`), not predict"
    )


def run_translate(run: Path, *, text: str | None, input: Path | None, output: Path | None,
                  beam: int | None, length_penalty: float | None,
                  max_length: int | None) -> list[str]:  # noqa: A002  # fmt: skip
    """``grukit translate``: TEXT, or every line of --input, printed or written to --output."""
    from grukit.io import atomic_write_text
    from grukit.tasks.runs import locked_run, open_run

    if (text is None) == (input is None):
        raise ValueError("give a sentence to translate or --input FILE (one of them)")
    if beam is not None and beam < 1:
        raise ValueError(f"--beam must be a positive integer (1: greedy), got {beam}")
    sentences = [text] if text is not None else _lines(Path(input))  # type: ignore[arg-type]
    with locked_run(Path(run), create=False):
        model, _ = open_run(Path(run))
    if model.task != "seq2seq":
        raise ValueError(f"'{run}' holds a {model.task}, not a seq2seq model: grukit "
                         "translate needs a run of grukit train seq2seq")  # fmt: skip
    translations = model.translate(sentences, beam=beam, length_penalty=length_penalty,
                                   max_length=max_length,
                                   progress=_progress(len(sentences)))  # fmt: skip
    if output is not None:
        atomic_write_text(output, "".join(t + "\n" for t in translations))
        _echo(f"{len(translations)} translations written to {output}")
    else:
        for translation in translations:
            _echo(translation)
    return translations


def _lines(path: Path) -> list[str]:
    """The lines of a text file (plain or .gz); an empty line is refused with its number."""
    from grukit.text.parallel import read_lines

    lines = read_lines(path)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise ValueError(f"line {number} of '{path}' is empty: there is nothing to translate")
    if not lines:
        raise ValueError(f"'{path}' has no lines to translate")
    return lines
