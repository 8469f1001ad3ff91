"""The options of ``grukit train tag`` (declarations only; registered by
:mod:`grukit.cli.entry`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grukit.cli.train_options import Config, Device, Epochs, LearningRate, Resume, Seed, Threads

__all__ = ["train_tag"]

_Data = Annotated[
    Path,
    typer.Argument(
        help="CoNLL column file: one token a line (token first, label in --label-column), a "
        "blank line between sentences (e.g. CoNLL-2003 eng.train, WNUT 2017 wnut17train.conll)."
    ),
]
_Out = Annotated[Path | None, typer.Option(help="Run directory to create (required).")]
_Validation = Annotated[
    Path | None,
    typer.Option(help="CoNLL file for early stopping (default: the last --validation-fraction)."),
]
_Test = Annotated[
    Path | None,
    typer.Option(help="CoNLL file scored at the end beside the baseline (else --validation)."),
]
_ValidationFraction = Annotated[
    float | None, typer.Option(help="Last part of DATA for early stopping (default 0.1).")
]
_LabelColumn = Annotated[
    int | None, typer.Option(help="Column of the labels, negative from the end (default -1).")
]
_TokenColumn = Annotated[int | None, typer.Option(help="Column of the tokens (default 0).")]
_InputScheme = Annotated[
    str | None,
    typer.Option(help="auto (default: detected), IOB1, IOB2 or BIOES (then checked strictly)."),
]
_Scheme = Annotated[
    str | None, typer.Option(help="Scheme the network learns and decodes: BIOES (default), IOB2.")
]
_HiddenSize = Annotated[int | None, typer.Option(help="GRU hidden size per direction (128).")]
_NumLayers = Annotated[int | None, typer.Option(help="Stacked GRU layers (default 1).")]
_Bidirectional = Annotated[
    bool | None,
    typer.Option("--bidirectional/--no-bidirectional", help="Read both directions (default)."),
]
_CharFeatures = Annotated[
    bool | None,
    typer.Option("--char-features/--no-char-features", help="A character GRU per word (default)."),
]
_Casing = Annotated[
    bool | None, typer.Option("--casing/--no-casing", help="Capitalisation features (default).")
]
_Crf = Annotated[
    bool | None, typer.Option("--crf/--no-crf", help="A linear-chain CRF (default) or softmax.")
]
_Dropout = Annotated[float | None, typer.Option(help="Dropout (default 0.5).")]
_UnknownRate = Annotated[
    float | None,
    typer.Option(help="Chance a word seen once is read as unknown while training (default 0.5)."),
]
_EmbeddingDim = Annotated[int | None, typer.Option(help="Word embedding size (default 100).")]
_CharDim = Annotated[int | None, typer.Option(help="Character embedding size (default 25).")]
_CharHidden = Annotated[
    int | None, typer.Option(help="Character GRU size per direction (default 25).")
]
_WordVectors = Annotated[
    Path | None, typer.Option(help="word2vec/GloVe text file to start the embedding from.")
]
_Strict = Annotated[
    bool | None,
    typer.Option(
        "--strict/--no-strict",
        help="Refuse entity types the training data never had (default); else count them missed.",
    ),
]
_BatchSize = Annotated[int | None, typer.Option(help="Sentences per batch (default 64).")]


def train_tag(
    data: _Data,
    out: _Out = None,
    validation: _Validation = None,
    test: _Test = None,
    validation_fraction: _ValidationFraction = None,
    label_column: _LabelColumn = None,
    token_column: _TokenColumn = None,
    input_scheme: _InputScheme = None,
    scheme: _Scheme = None,
    hidden_size: _HiddenSize = None,
    num_layers: _NumLayers = None,
    bidirectional: _Bidirectional = None,
    char_features: _CharFeatures = None,
    casing: _Casing = None,
    crf: _Crf = None,
    dropout: _Dropout = None,
    unknown_rate: _UnknownRate = None,
    embedding_dim: _EmbeddingDim = None,
    char_dim: _CharDim = None,
    char_hidden: _CharHidden = None,
    word_vectors: _WordVectors = None,
    strict: _Strict = None,
    epochs: Epochs = None,
    batch_size: _BatchSize = None,
    lr: LearningRate = None,
    seed: Seed = None,
    device: Device = None,
    threads: Threads = None,
    resume: Resume = None,
    config: Config = None,
) -> None:
    """Train a GRU tagger (BiGRU-CRF) of tokens, e.g. named entities; score it per entity."""
    options = dict(locals())  # before the import below adds a local
    from grukit.cli.tag import run_train_tag

    run_train_tag(options, declared=train_tag)
