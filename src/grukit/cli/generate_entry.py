"""The options of ``grukit train generate`` and ``grukit sample`` (declarations only; registered
by :mod:`grukit.cli.entry`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grukit.cli.train_options import Config, Device, Epochs, LearningRate, Resume, Seed, Threads

__all__ = ["sample", "train_generate"]

_Data = Annotated[
    Path,
    typer.Argument(
        help="Text file or folder of .txt files (char, word); MIDI file or folder (note, music); "
        "or a polyphonic-music benchmark .mat file (music: its train part)."
    ),
]
_Out = Annotated[Path | None, typer.Option(help="Run directory to create (required).")]
_Level = Annotated[
    str | None,
    typer.Option(help="What a step is: char (default), word, note (a melody) or music."),
]
_Music = Annotated[
    bool | None, typer.Option("--music", help="Polyphonic piano rolls: --level music.")
]
_Validation = Annotated[
    Path | None,
    typer.Option(
        help="Data for early stopping (default: a .mat file's valid part, else the last "
        "--validation-fraction of the tokens or pieces)."
    ),
]
_ValidationFraction = Annotated[
    float | None, typer.Option(help="Last part of DATA for early stopping (default 0.1).")
]
_Test = Annotated[
    Path | None,
    typer.Option(
        help="Data scored at the end beside the baseline (default: a .mat DATA's test part, "
        "else the validation data)."
    ),
]
_HiddenSize = Annotated[int | None, typer.Option(help="GRU hidden size (default 256).")]
_NumLayers = Annotated[int | None, typer.Option(help="Stacked GRU layers (default 2).")]
_EmbeddingDim = Annotated[
    int | None, typer.Option(help="Token embedding size (default: the hidden size).")
]
_TieWeights = Annotated[
    bool | None,
    typer.Option(
        "--tie-weights/--no-tie-weights",
        help="Share the output layer's weight with the embedding (default).",
    ),
]
_Dropout = Annotated[
    float | None, typer.Option(help="Dropout between layers and before the output (0.2).")
]
_EmbeddingDropout = Annotated[
    float | None, typer.Option(help="Chance a token's embedding is dropped in training (0).")
]
_InputDropout = Annotated[
    float | None,
    typer.Option(help="Music: dropout on the input frames (default: --dropout's)."),
]
_Bptt = Annotated[
    int | None, typer.Option(help="Steps per truncated-backpropagation chunk (default 64).")
]
_Lower = Annotated[
    bool | None, typer.Option("--lower/--no-lower", help="Lower-case the text (default: no).")
]
_MinCount = Annotated[
    int | None, typer.Option(help="Rarer tokens become <unk> (default 1: keep all).")
]
_MaxVocab = Annotated[
    int | None, typer.Option(help="Keep at most this many tokens (default: all).")
]
_MixedPrecision = Annotated[
    bool | None,
    typer.Option(
        "--mixed-precision/--no-mixed-precision",
        help="Output layer in bfloat16 while training (fast on CPUs with AVX-512 BF16; "
        "default: no).",
    ),
]
_BatchSize = Annotated[
    int | None,
    typer.Option(help="Parallel token streams, or pieces of music, per batch (default 64)."),
]


def train_generate(
    data: _Data,
    out: _Out = None,
    level: _Level = None,
    music: _Music = None,
    validation: _Validation = None,
    validation_fraction: _ValidationFraction = None,
    test: _Test = None,
    hidden_size: _HiddenSize = None,
    num_layers: _NumLayers = None,
    embedding_dim: _EmbeddingDim = None,
    tie_weights: _TieWeights = None,
    dropout: _Dropout = None,
    embedding_dropout: _EmbeddingDropout = None,
    input_dropout: _InputDropout = None,
    bptt: _Bptt = None,
    lower: _Lower = None,
    min_count: _MinCount = None,
    max_vocab: _MaxVocab = None,
    mixed_precision: _MixedPrecision = None,
    epochs: Epochs = None,
    batch_size: _BatchSize = None,
    lr: LearningRate = None,
    seed: Seed = None,
    device: Device = None,
    threads: Threads = None,
    resume: Resume = None,
    config: Config = None,
) -> None:
    """Train a GRU language model of characters, words, notes or piano rolls; score it beside
    its baseline and draw samples."""
    options = dict(locals())  # before the import below adds a local
    from grukit.cli.generate import run_train_generate

    run_train_generate(options, declared=train_generate)


_Run = Annotated[Path, typer.Argument(help="Run directory (from grukit train generate).")]
_Tokens = Annotated[
    int, typer.Option(help="Characters, words or notes to draw (frames for music).")
]
_Temperature = Annotated[
    float, typer.Option(help="Below 1: safer choices; above 1: more surprising ones.")
]
_TopK = Annotated[
    int | None, typer.Option(help="Draw only among the K most likely tokens (not for music).")
]
_TopP = Annotated[
    float | None,
    typer.Option(help="Draw among the most likely tokens whose chances reach P (nucleus)."),
]
_Prompt = Annotated[
    str | None,
    typer.Option(
        help="Text to continue (char, word), pitches such as '60 62 rest 64' (note), or a MIDI "
        "file (music)."
    ),
]
_SampleSeed = Annotated[int | None, typer.Option(help="The same seed draws the same sample.")]
_Midi = Annotated[
    Path | None, typer.Option(help="Write the sample as a MIDI file (note and music models).")
]
_Output = Annotated[
    Path | None, typer.Option(help="Write the text to this file instead of printing it.")
]


def sample(
    run: _Run,
    tokens: _Tokens = 500,
    temperature: _Temperature = 1.0,
    top_k: _TopK = None,
    top_p: _TopP = None,
    prompt: _Prompt = None,
    seed: _SampleSeed = None,
    midi: _Midi = None,
    output: _Output = None,
) -> None:
    """Draw new text, a melody or a piece of music from a trained generator run."""
    from grukit.cli.generate_sample import run_sample

    run_sample(run, tokens=tokens, temperature=temperature, top_k=top_k, top_p=top_p,
               prompt=prompt, seed=seed, midi=midi, output=output)  # fmt: skip
