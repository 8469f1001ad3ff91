"""The options of ``grukit train classify`` (declarations only; registered by
:mod:`grukit.cli.entry`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["train_classify"]

Text = Annotated[str | None, typer.Option()]


def train_classify(
    data: Annotated[
        Path,
        typer.Argument(
            help="A CSV/Parquet table (texts and labels, or series: id, time, variables or "
            "Parameter,Value rows, label), the IMDB folder or aclImdb_v1.tar.gz, or PhysioNet "
            "2012 records (set-a/ or set-a.tar.gz, with --outcomes)."
        ),
    ],
    out: Annotated[Path | None, typer.Option(help="Run directory to create (required).")] = None,
    input: Annotated[
        str | None,
        typer.Option(
            help="text, series or auto (default: series with --outcomes, --id-column "
            "or --time-column or a set-* path, else text)."
        ),
    ] = None,
    text_column: Annotated[
        str | None, typer.Option(help="Text column (default: found by name: text, review, ...).")
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option(help="Label column (default: label, sentiment, class, target or y)."),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option(help="Series id column (default: id, record or patient).")
    ] = None,
    time_column: Annotated[
        str | None,
        typer.Option(help="Series time column: hours, or dates (default: time, hours or t)."),
    ] = None,
    outcomes: Annotated[
        Path | None, typer.Option(help="PhysioNet Outcomes-a.txt for the records in DATA.")
    ] = None,
    test: Annotated[
        Path | None,
        typer.Option(help="Test data (default: IMDB's test split, else a random --test-fraction)."),
    ] = None,
    test_outcomes: Annotated[
        Path | None, typer.Option(help="Outcomes file of --test (PhysioNet).")
    ] = None,
    test_fraction: Annotated[
        float | None,
        typer.Option(help="Stratified random part held out for testing (default 0.2; 0: none)."),
    ] = None,
    validation_fraction: Annotated[
        float | None,
        typer.Option(
            help="Part of the training samples for early stopping and the threshold (default 0.1)."
        ),
    ] = None,
    hidden_size: Annotated[int | None, typer.Option(help="GRU hidden size (default 64).")] = None,
    num_layers: Annotated[int | None, typer.Option(help="Stacked GRU layers (default 1).")] = None,
    bidirectional: Annotated[
        bool | None,
        typer.Option(
            "--bidirectional/--no-bidirectional", help="Read both directions (no streaming then)."
        ),
    ] = None,
    pooling: Annotated[
        str | None, typer.Option(help="last (default), mean, max or attention.")
    ] = None,
    dropout: Annotated[
        float | None,
        typer.Option(help="Dropout on inputs, between layers and before the head (default 0)."),
    ] = None,
    recurrent_dropout: Annotated[
        float | None, typer.Option(help="The GRU's recurrent dropout (default 0).")
    ] = None,
    class_weight: Annotated[
        str | None, typer.Option(help="balanced: weigh classes by their rarity.")
    ] = None,
    threshold: Annotated[
        str | None,
        typer.Option(
            help="Binary decision: a probability (0.5), f1, youden, accuracy, sensitivity:L or "
            "specificity:L (chosen on validation)."
        ),
    ] = None,
    max_vocab: Annotated[
        int | None, typer.Option(help="Vocabulary size limit (default 20000).")
    ] = None,
    min_count: Annotated[
        int | None, typer.Option(help="Minimum count of a vocabulary word (default 2).")
    ] = None,
    max_length: Annotated[
        int | None, typer.Option(help="Tokens kept per text, its last ones (default 400).")
    ] = None,
    embedding_dim: Annotated[
        int | None, typer.Option(help="Word embedding size (default 128).")
    ] = None,
    word_vectors: Annotated[
        Path | None, typer.Option(help="word2vec/GloVe text file to start the embedding from.")
    ] = None,
    step_hours: Annotated[
        float | None, typer.Option(help="Series grid step in hours (default 1).")
    ] = None,
    horizon_hours: Annotated[
        float | None,
        typer.Option(help="Hours covered (default: the training span; PhysioNet: 48)."),
    ] = None,
    decay: Annotated[
        bool | None, typer.Option("--decay/--no-decay", help="GRU-D's learned decays (series).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs (default 50).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Samples per batch (default 64).")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate (default 1e-3).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default 0).")] = None,
    device: Annotated[str | None, typer.Option(help="auto (default), cpu, cuda or cuda:N.")] = None,
    threads: Annotated[int | None, typer.Option(help="PyTorch CPU threads.")] = None,
    resume: Annotated[
        bool | None, typer.Option("--resume", help="Continue the interrupted run in --out.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML file of options (as for train forecast).")
    ] = None,
) -> None:
    """Train a GRU classifier of texts or irregular series, evaluate it beside the baselines."""
    options = dict(locals())  # before the import below adds a local
    from grukit.cli.classify import run_train_classify

    run_train_classify(options, declared=train_classify)
