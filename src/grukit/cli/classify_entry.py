"""The options of ``grukit train classify`` (declarations only; registered by
:mod:`grukit.cli.entry`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grukit.cli.train_options import Config, Device, Epochs, LearningRate, Resume, Seed, Threads

__all__ = ["train_classify"]

_Data = Annotated[
    list[Path],
    typer.Argument(
        help="A CSV/Parquet table (texts and labels, or series: id, time, variables or "
        "Parameter,Value rows, label), the IMDB folder or aclImdb_v1.tar.gz, or PhysioNet "
        "2012 records (set-a/ or set-a.tar.gz, with --outcomes). Several are read as one "
        "training set (e.g. set-a.tar.gz set-b.tar.gz, with --outcomes once per path)."
    ),
]

_Out = Annotated[Path | None, typer.Option(help="Run directory to create (required).")]

_Input = Annotated[
    str | None,
    typer.Option(
        help="text, series or auto (default: series with --outcomes, --id-column "
        "or --time-column or a set-* path, else text)."
    ),
]

_TextColumn = Annotated[
    str | None, typer.Option(help="Text column (default: found by name: text, review, ...).")
]

_LabelColumn = Annotated[
    str | None,
    typer.Option(help="Label column (default: label, sentiment, class, target or y)."),
]

_IdColumn = Annotated[
    str | None, typer.Option(help="Series id column (default: id, record or patient).")
]

_TimeColumn = Annotated[
    str | None,
    typer.Option(help="Series time column: hours, or dates (default: time, hours or t)."),
]

_Outcomes = Annotated[
    list[Path] | None,
    typer.Option(help="PhysioNet Outcomes-a.txt of the records in DATA (once per DATA path)."),
]

_Test = Annotated[
    Path | None,
    typer.Option(help="Test data (default: IMDB's test split, else a random --test-fraction)."),
]

_TestOutcomes = Annotated[Path | None, typer.Option(help="Outcomes file of --test (PhysioNet).")]

_TestFraction = Annotated[
    float | None,
    typer.Option(help="Stratified random part held out for testing (default 0.2; 0: none)."),
]

_ValidationFraction = Annotated[
    float | None,
    typer.Option(
        help="Part of the training samples for early stopping and the threshold (default 0.1)."
    ),
]

_HiddenSize = Annotated[int | None, typer.Option(help="GRU hidden size (default 64).")]

_NumLayers = Annotated[int | None, typer.Option(help="Stacked GRU layers (default 1).")]

_Bidirectional = Annotated[
    bool | None,
    typer.Option(
        "--bidirectional/--no-bidirectional", help="Read both directions (no streaming then)."
    ),
]

_Pooling = Annotated[str | None, typer.Option(help="last (default), mean, max or attention.")]

_Dropout = Annotated[
    float | None,
    typer.Option(help="Dropout on inputs, between layers and before the head (default 0)."),
]

_RecurrentDropout = Annotated[
    float | None, typer.Option(help="The GRU's recurrent dropout (default 0).")
]

_ClassWeight = Annotated[str | None, typer.Option(help="balanced: weigh classes by their rarity.")]

_Threshold = Annotated[
    str | None,
    typer.Option(
        help="Binary decision: a probability (0.5), f1, youden, accuracy, sensitivity:L or "
        "specificity:L (chosen on validation)."
    ),
]

_MaxVocab = Annotated[int | None, typer.Option(help="Vocabulary size limit (default 20000).")]

_MinCount = Annotated[
    int | None, typer.Option(help="Minimum count of a vocabulary word (default 2).")
]

_MaxLength = Annotated[
    int | None, typer.Option(help="Tokens kept per text, its last ones (default 400).")
]

_EmbeddingDim = Annotated[int | None, typer.Option(help="Word embedding size (default 128).")]

_WordVectors = Annotated[
    Path | None, typer.Option(help="word2vec/GloVe text file to start the embedding from.")
]

_StepHours = Annotated[float | None, typer.Option(help="Series grid step in hours (default 1).")]

_HorizonHours = Annotated[
    float | None,
    typer.Option(help="Hours covered (default: the training span; PhysioNet: 48)."),
]

_Decay = Annotated[
    bool | None, typer.Option("--decay/--no-decay", help="GRU-D's learned decays (series).")
]

_Unknown = Annotated[
    str | None,
    typer.Option(
        help="PhysioNet parameters that are not the challenge's: error (default), keep or drop."
    ),
]

_Ensemble = Annotated[
    int | None,
    typer.Option(help="Train K networks from seeds seed..seed+K-1, average them (default 1)."),
]

_BatchSize = Annotated[int | None, typer.Option(help="Samples per batch (default 64).")]


def train_classify(
    data: _Data,
    out: _Out = None,
    input: _Input = None,
    text_column: _TextColumn = None,
    label_column: _LabelColumn = None,
    id_column: _IdColumn = None,
    time_column: _TimeColumn = None,
    outcomes: _Outcomes = None,
    test: _Test = None,
    test_outcomes: _TestOutcomes = None,
    test_fraction: _TestFraction = None,
    validation_fraction: _ValidationFraction = None,
    hidden_size: _HiddenSize = None,
    num_layers: _NumLayers = None,
    bidirectional: _Bidirectional = None,
    pooling: _Pooling = None,
    dropout: _Dropout = None,
    recurrent_dropout: _RecurrentDropout = None,
    class_weight: _ClassWeight = None,
    threshold: _Threshold = None,
    max_vocab: _MaxVocab = None,
    min_count: _MinCount = None,
    max_length: _MaxLength = None,
    embedding_dim: _EmbeddingDim = None,
    word_vectors: _WordVectors = None,
    step_hours: _StepHours = None,
    horizon_hours: _HorizonHours = None,
    decay: _Decay = None,
    unknown: _Unknown = None,
    ensemble: _Ensemble = None,
    epochs: Epochs = None,
    batch_size: _BatchSize = None,
    lr: LearningRate = None,
    seed: Seed = None,
    device: Device = None,
    threads: Threads = None,
    resume: Resume = None,
    config: Config = None,
) -> None:
    """Train a GRU classifier of texts or irregular series, evaluate it beside the baselines."""
    options = dict(locals())  # before the import below adds a local
    from grukit.cli.classify import run_train_classify

    run_train_classify(options, declared=train_classify)
