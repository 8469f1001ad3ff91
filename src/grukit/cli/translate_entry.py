"""The options of ``grukit train seq2seq`` and ``grukit translate`` (declarations only;
registered by :mod:`grukit.cli.entry`), and :func:`pair_options`, which lets ``--validation``
and ``--test`` take two files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grukit.cli.train_options import Config, Device, Epochs, LearningRate, Resume, Seed, Threads

__all__ = ["PAIRED", "pair_options", "train_seq2seq", "translate"]

#: option -> the option that names its second file
PAIRED = {"--validation": "--validation-target", "--test": "--test-target"}
_TABLES = (".tsv", ".csv", ".tsv.gz", ".csv.gz")


def pair_options(argv: list[str]) -> list[str]:
    """`argv` with ``--validation SRC TGT`` (and ``--test``) of ``grukit train seq2seq``
    spelled ``--validation SRC --validation-target TGT``: the second file is whatever follows
    the first unless that is an option or the first file is a TSV/CSV table (both sides)."""
    if argv[:2] != ["train", "seq2seq"]:
        return argv
    result, index = [], 0
    while index < len(argv):
        word = argv[index]
        result.append(word)
        follows = argv[index + 2] if index + 2 < len(argv) else None
        if word in PAIRED and index + 1 < len(argv):
            first = argv[index + 1]
            result.append(first)
            index += 2
            table = first.lower().endswith(_TABLES)
            if follows is not None and not follows.startswith("-") and not table:
                result.extend([PAIRED[word], follows])
                index += 1
            continue
        index += 1
    return result


_Source = Annotated[
    Path,
    typer.Argument(
        help="Source-side text file (one sentence per line, plain or .gz), or a TSV/CSV "
        "file of source and target columns."
    ),
]
_Target = Annotated[
    Path | None,
    typer.Argument(help="Target-side text file, line i translating line i of SOURCE."),
]
_Out = Annotated[Path | None, typer.Option(help="Run directory to create (required).")]
_Validation = Annotated[
    Path | None,
    typer.Option(
        help="Validation pairs: two files (--validation SRC TGT) or a TSV/CSV (default: the "
        "last --validation-fraction of the training pairs)."
    ),
]
_ValidationTarget = Annotated[
    Path | None, typer.Option(help="The target file of --validation (or give it after SRC).")
]
_ValidationFraction = Annotated[
    float | None, typer.Option(help="Last part of the training pairs held out (default 0.05).")
]
_Test = Annotated[
    Path | None,
    typer.Option(help="Pairs scored at the end (BLEU, chrF): two files or a TSV/CSV."),
]
_TestTarget = Annotated[
    Path | None, typer.Option(help="The target file of --test (or give it after SRC).")
]
_TokensOption = Annotated[
    str | None,
    typer.Option("--tokens", help="subword (SentencePiece BPE per side, default), word or char."),
]
_SourceVocab = Annotated[
    int | None, typer.Option(help="Most source tokens, specials included (default 8000).")
]
_TargetVocab = Annotated[
    int | None, typer.Option(help="Most target tokens, specials included (default 8000).")
]
_Lower = Annotated[
    bool | None, typer.Option("--lower/--no-lower", help="Lower-case both sides (default no).")
]
_MaxLength = Annotated[
    int | None, typer.Option(help="Most tokens per side (default 100); longer pairs are left out.")
]
_Embedding = Annotated[int | None, typer.Option(help="Embedding size (default 256).")]
_Hidden = Annotated[int | None, typer.Option(help="Encoder GRU size per direction (default 256).")]
_DecoderSize = Annotated[
    int | None, typer.Option(help="Decoder GRU size (default: --hidden-size).")
]
_EncoderLayers = Annotated[int | None, typer.Option(help="Encoder GRU layers (default 1).")]
_DecoderLayers = Annotated[int | None, typer.Option(help="Decoder GRU layers (default 1).")]
_Bidirectional = Annotated[
    bool | None,
    typer.Option("--bidirectional/--no-bidirectional", help="Bidirectional encoder (default)."),
]
_Attention = Annotated[
    bool | None,
    typer.Option(
        "--attention/--no-attention",
        help="Additive attention (default); --no-attention: Cho et al.'s fixed context.",
    ),
]
_Dropout = Annotated[float | None, typer.Option(help="Dropout (default 0.3).")]
_TeacherForcing = Annotated[
    float | None, typer.Option(help="Chance of reading the reference token (default 1).")
]
_TeacherForcingFinal = Annotated[
    float | None, typer.Option(help="--teacher-forcing in the last epoch (linear schedule).")
]
_LabelSmoothing = Annotated[
    float | None, typer.Option(help="Label smoothing of the training loss (default 0).")
]
_Beam = Annotated[int | None, typer.Option(help="Beam width (default 5; 1: greedy).")]
_LengthPenalty = Annotated[
    float | None, typer.Option(help="GNMT length penalty alpha (default 1; 0: none).")
]
_MixedPrecision = Annotated[
    bool | None,
    typer.Option(
        "--mixed-precision/--no-mixed-precision",
        help="Output layer in bfloat16 while training (AVX-512 BF16 CPUs; default no).",
    ),
]
_BatchSize = Annotated[int | None, typer.Option(help="Sentence pairs per batch (default 64).")]


def train_seq2seq(
    source: _Source,
    target: _Target = None,
    out: _Out = None,
    validation: _Validation = None,
    validation_target: _ValidationTarget = None,
    validation_fraction: _ValidationFraction = None,
    test: _Test = None,
    test_target: _TestTarget = None,
    tokens: _TokensOption = None,
    source_vocab_size: _SourceVocab = None,
    target_vocab_size: _TargetVocab = None,
    lower: _Lower = None,
    max_length: _MaxLength = None,
    embedding_dim: _Embedding = None,
    hidden_size: _Hidden = None,
    decoder_size: _DecoderSize = None,
    encoder_layers: _EncoderLayers = None,
    decoder_layers: _DecoderLayers = None,
    bidirectional: _Bidirectional = None,
    attention: _Attention = None,
    dropout: _Dropout = None,
    teacher_forcing: _TeacherForcing = None,
    teacher_forcing_final: _TeacherForcingFinal = None,
    label_smoothing: _LabelSmoothing = None,
    beam: _Beam = None,
    length_penalty: _LengthPenalty = None,
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
    """Train a GRU encoder-decoder (attention, beam search) on parallel text; score it with
    sacreBLEU and chrF."""
    options = dict(locals())  # before the import below adds a local
    from grukit.cli.translate import run_train_seq2seq

    run_train_seq2seq(options, declared=train_seq2seq)


_Run = Annotated[Path, typer.Argument(help="Run directory (from grukit train seq2seq).")]
_Text = Annotated[str | None, typer.Argument(help="A sentence to translate.")]
_Input = Annotated[
    Path | None, typer.Option(help="Translate every line of this file (plain or .gz).")
]
_Output = Annotated[Path | None, typer.Option(help="Write the translations here, one per line.")]
_MaxSteps = Annotated[
    int | None, typer.Option("--max-length", help="Most target tokens (default: the model's).")
]


def translate(
    run: _Run,
    text: _Text = None,
    input: _Input = None,  # noqa: A002 - the option's name
    output: _Output = None,
    beam: _Beam = None,
    length_penalty: _LengthPenalty = None,
    max_length: _MaxSteps = None,
) -> None:
    """Translate a sentence, or every line of --input, with a trained seq2seq run."""
    from grukit.cli.translate import run_translate

    run_translate(run, text=text, input=input, output=output, beam=beam,
                  length_penalty=length_penalty, max_length=max_length)  # fmt: skip
