"""The typer application behind ``grukit``: option declarations only.

Each command imports its implementation (``grukit.cli.commands``) lazily, so ``grukit --help``
stays quick. Options left out on the command line come from the ``--config`` TOML file, else
from the defaults listed in the help.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from grukit.cli.classify_entry import train_classify
from grukit.cli.generate_entry import sample, train_generate
from grukit.cli.tag_entry import train_tag
from grukit.cli.train_options import Config, Device, Epochs, LearningRate, Resume, Seed, Threads
from grukit.cli.translate_entry import pair_options, train_seq2seq, translate

app = typer.Typer(
    name="grukit",
    help=(
        "grukit: gated recurrent units, exact and fast. Train, evaluate and benchmark GRUs.\n\n"
        "Start with `grukit demo`; then `grukit train forecast DATA --target COL --lookback 24 "
        "--horizon 6 --out RUN`, `grukit evaluate RUN DATA` and `grukit report RUN`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich markup would eat "[train]" and print flags as <bool>
)
train_app = typer.Typer(
    help="Train a forecaster, an anomaly detector, a classifier, a tagger or a generator and "
    "save it in a run directory (--out).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(train_app, name="train")


def _print_version(value: bool) -> None:
    if value:
        from grukit._version import __version__

        typer.echo(f"grukit {__version__}")
        raise typer.Exit()


@app.callback()
def _top_level(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version, exit."
        ),
    ] = False,
) -> None:
    """Options before the command."""


# -- options shared by the training commands ---------------------------------------------------
Data = Annotated[Path, typer.Argument(help="CSV (.csv, .csv.gz) or Parquet file.")]
Out = Annotated[Path | None, typer.Option(help="Run directory to create (required).")]
TimeColumn = Annotated[
    str | None,
    typer.Option(
        help="Time column; 'auto' (default) finds time/date/timestamp or builds it from "
        "year,month,day,hour; 'none' for none."
    ),
]
TimeUnit = Annotated[
    str | None,
    typer.Option(
        help="Numbers in the time column are epoch times in this unit: s, ms, us, ns, D, h or "
        "min (default: integers are steps)."
    ),
]
Dayfirst = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Text dates put the day (or the month) first; needed where dates read both ways, "
        "as 01/02/2020 (or give --date-format).",
    ),
]
DateFormat = Annotated[
    str | None, typer.Option(help="strptime format of the text dates, e.g. %d/%m/%Y.")
]
IdColumn = Annotated[str | None, typer.Option(help="Column telling several series apart.")]
Fill = Annotated[
    str | None,
    typer.Option(help="Missing values: ffill, interpolate or drop (default: error)."),
]
TestFrom = Annotated[str | None, typer.Option(help="First date of the test part, e.g. 2014-01-01.")]
TestFraction = Annotated[
    float | None,
    typer.Option(help="Last fraction of each series held out for testing (default 0.2; 0: none)."),
]
ValidationFraction = Annotated[
    float | None,
    typer.Option(help="Last fraction of the training part for early stopping (default 0.1)."),
]
BatchSize = Annotated[int | None, typer.Option(help="Windows per batch (default 64).")]
HiddenSize = Annotated[int | None, typer.Option(help="GRU hidden size.")]
NumLayers = Annotated[int | None, typer.Option(help="Stacked GRU layers (default 1).")]
Dropout = Annotated[
    float | None, typer.Option(help="Dropout between stacked GRU layers (default 0).")
]
Bidirectional = Annotated[
    bool | None,
    typer.Option(
        "--bidirectional/--no-bidirectional",
        help="Read each window in both directions (default: forwards only).",
    ),
]


@train_app.command("forecast")
def train_forecast(
    data: Data,
    target: Annotated[
        str | None, typer.Option(help="Column(s) to forecast, comma-separated.")
    ] = None,
    lookback: Annotated[int | None, typer.Option(help="Input rows per window.")] = None,
    horizon: Annotated[int | None, typer.Option(help="Steps to forecast.")] = None,
    out: Out = None,
    covariates: Annotated[
        str | None,
        typer.Option(help="Past covariates, comma-separated; text columns are one-hot encoded."),
    ] = None,
    time_column: TimeColumn = None,
    time_unit: TimeUnit = None,
    dayfirst: Dayfirst = None,
    date_format: DateFormat = None,
    id_column: IdColumn = None,
    fill: Fill = None,
    test_from: TestFrom = None,
    test_fraction: TestFraction = None,
    validation_fraction: ValidationFraction = None,
    strategy: Annotated[str | None, typer.Option(help="direct (default) or recursive.")] = None,
    scaler: Annotated[str | None, typer.Option(help="standard (default), minmax or none.")] = None,
    period: Annotated[
        int | None, typer.Option(help="Season length for seasonal naive (default: detected).")
    ] = None,
    hidden_size: HiddenSize = None,
    num_layers: NumLayers = None,
    dropout: Dropout = None,
    bidirectional: Bidirectional = None,
    epochs: Epochs = None,
    batch_size: BatchSize = None,
    lr: LearningRate = None,
    seed: Seed = None,
    device: Device = None,
    threads: Threads = None,
    resume: Resume = None,
    config: Config = None,
) -> None:
    """Train a GRU forecaster, evaluate it against the baselines on the test part, save it."""
    options = dict(locals())  # before the import below adds a local
    from grukit.cli.commands import run_train_forecast

    run_train_forecast(options, declared=train_forecast)


@train_app.command("detect")
def train_detect(
    data: Data,
    columns: Annotated[
        str | None, typer.Option(help="Value columns, comma-separated (default: all numeric).")
    ] = None,
    window: Annotated[int | None, typer.Option(help="Window length.")] = None,
    out: Out = None,
    method: Annotated[str | None, typer.Option(help="autoencoder (default) or forecast.")] = None,
    threshold: Annotated[
        str | None,
        typer.Option(help="pQ (percentile of the scores, default p99), a number, or validation."),
    ] = None,
    label_column: Annotated[
        str | None, typer.Option(help="0/1 anomaly labels, for evaluation only.")
    ] = None,
    stride: Annotated[int | None, typer.Option(help="Rows between windows (default 1).")] = None,
    time_column: TimeColumn = None,
    time_unit: TimeUnit = None,
    dayfirst: Dayfirst = None,
    date_format: DateFormat = None,
    id_column: IdColumn = None,
    fill: Fill = None,
    test_from: TestFrom = None,
    test_fraction: TestFraction = None,
    validation_fraction: ValidationFraction = None,
    hidden_size: HiddenSize = None,
    num_layers: NumLayers = None,
    epochs: Epochs = None,
    batch_size: BatchSize = None,
    lr: LearningRate = None,
    seed: Seed = None,
    device: Device = None,
    threads: Threads = None,
    resume: Resume = None,
    config: Config = None,
) -> None:
    """Train a GRU anomaly detector (autoencoder or forecast residuals), save it."""
    options = dict(locals())  # before the import below adds a local
    from grukit.cli.commands import run_train_detect

    run_train_detect(options, declared=train_detect)


train_app.command("classify")(train_classify)
train_app.command("tag")(train_tag)
train_app.command("generate")(train_generate)
train_app.command("seq2seq")(train_seq2seq)
app.command("sample")(sample)
app.command("translate")(translate)

Outcomes = Annotated[
    Path | None, typer.Option(help="Classifier: the PhysioNet outcomes file of DATA's records.")
]


@app.command()
def predict(
    run: Annotated[Path, typer.Argument(help="Run directory (from grukit train).")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file (or texts, records).")],
    output: Annotated[
        Path | None, typer.Option(help="CSV to write (default RUN/predictions.csv).")
    ] = None,
    rolling: Annotated[
        bool,
        typer.Option("--rolling", help="Forecaster: forecast every window of DATA, not its end."),
    ] = False,
    outcomes: Outcomes = None,
) -> None:
    """Forecast after DATA, flag anomalies in it, classify or tag it, with a trained run
    (a generator run draws with `grukit sample`)."""
    from grukit.cli.commands import run_predict

    run_predict(run, data, output=output, rolling=rolling, outcomes=outcomes)


@app.command()
def evaluate(
    run: Annotated[Path, typer.Argument(help="Run directory (from grukit train).")],
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV or Parquet file (a tagger: CoNLL file; a generator: text, MIDI "
            "or .mat, its test part; seq2seq: the source file, or a TSV/CSV of pairs)."
        ),
    ],
    target: Annotated[
        Path | None,
        typer.Argument(help="Seq2seq: the target file, line i translating line i of DATA."),
    ] = None,
    all_rows: Annotated[
        bool,
        typer.Option("--all", help="Evaluate on all of DATA, not only the run's test part."),
    ] = False,
    outcomes: Outcomes = None,
) -> None:
    """Model vs baselines (or detection scores) on DATA's test part; writes RUN/metrics.json."""
    from grukit.cli.commands import run_evaluate

    run_evaluate(run, data, all_rows=all_rows, outcomes=outcomes, target=target)


@app.command()
def report(
    run: Annotated[Path, typer.Argument(help="Run directory (from grukit train).")],
) -> None:
    """Write PNG plots and an HTML page (RUN/report.html) for a run."""
    from grukit.cli.commands import run_report

    run_report(run)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's runs, plots and report.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    quick: Annotated[bool, typer.Option("--quick", help="Tiny settings (a smoke test).")] = False,
) -> None:
    """The main job on built-in data, offline: forecast, detect, report (about a minute)."""
    from grukit.cli.workflow_demo import run_demo

    run_demo(out=out, seed=seed, quick=quick, echo=typer.echo)


# -- the benchmark ---------------------------------------------------------------------------------


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def bench(ctx: typer.Context) -> None:
    """Benchmark grukit's engines against torch.nn.GRU, ONNX Runtime and Keras (see --help).

    Each side runs in its own process; prints medians and ratios, checks the performance targets
    and writes JSON to bench-results/. `grukit bench --quick` is a one-minute smoke run.
    The harness lives beside the library, in a grukit checkout's benchmarks/ (`make bench`).
    """
    try:
        from grukit_bench import main as bench_main
    except ImportError as error:
        if error.name != "grukit_bench":  # the harness is there but broken: show why
            raise
        typer.echo(
            "error: the benchmark harness is not installed: from a grukit checkout run "
            "`make bench` or `pip install -e benchmarks`",
            err=True,
        )
        raise typer.Exit(2) from None
    code = bench_main(list(ctx.args))
    if code:
        raise typer.Exit(code)


# the library's wording of a remedy -> the command line's
_CLI_WORDING = (
    ("choose fill='ffill', 'interpolate' or 'drop'", "choose --fill ffill, interpolate or drop"),
    ("pass resume=True to continue it", "pass --resume to continue it"),
    (
        "unknown='drop' leaves such a parameter out, unknown='keep' keeps it as a variable",
        "--unknown drop leaves such a parameter out, --unknown keep keeps it as a variable",
    ),
)


def _user_error_types() -> tuple[type[BaseException], ...]:
    # ValueError covers GrukitDataError, grukit.io.CorruptFileError and CheckpointError
    return (ValueError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)


# what the file system refused (errno -> words); other OSErrors are bugs and keep their traceback
_STORAGE_ERRORS = {
    errno.ENOSPC: "no space left on device while writing",
    errno.EDQUOT: "disk quota exceeded while writing",
    errno.EROFS: "read-only file system: cannot write",
    errno.EACCES: "permission denied for",
}


def _storage_message(error: OSError) -> str | None:
    """``no space left on device while writing 'RUN/metrics.json'``, or None for other errors."""
    words = _STORAGE_ERRORS.get(error.errno) if error.errno is not None else None
    if words is None:
        return None
    if error.filename is None:
        return f"{words} the output files ({error.strerror or error})"
    return f"{words} '{os.fsdecode(error.filename)}'"


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    A user error (bad data or options, a missing or corrupt run) prints one line
    ``error: <message>`` to stderr and returns 2; set ``GRUKIT_DEBUG=1`` for the traceback.
    """
    try:
        args = pair_options(list(sys.argv[1:] if argv is None else argv))
        result = app(args=args, prog_name="grukit", standalone_mode=False)
    except SystemExit as exit_:  # --help and usage errors in some typer versions
        return int(exit_.code or 0)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("interrupted (a training run continues with --resume)", err=True)
        return 130
    except typer.TyperException as error:  # usage errors: unknown option, missing argument
        show = getattr(error, "show", None)
        if show is not None:
            show()
        else:  # pragma: no cover
            typer.echo(f"error: {error.format_message()}", err=True)
        return int(error.exit_code)
    except _user_error_types() as error:
        if os.environ.get("GRUKIT_DEBUG"):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        for library, option in _CLI_WORDING:
            message = message.replace(library, option)
        typer.echo(f"error: {message}", err=True)
        return 2
    except OSError as error:  # the disk is full, read-only or not ours: one line, no traceback
        message = _storage_message(error)
        if message is None or os.environ.get("GRUKIT_DEBUG"):
            raise
        typer.echo(f"error: {message}", err=True)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
