"""``grukit sample`` and the samples a ``grukit train generate`` run keeps for its report.

A run holds ``samples.json``: :data:`SAMPLE_SETTINGS` (three samples, seeds 0, 1 and 2, of 300
tokens or 64 frames at temperature 0.8) and each sample as text (characters, words, or pitches
with ``rest``) or, for music, as the active MIDI pitches of each frame. A note or music run also
holds ``sample.mid`` (the first sample) and ``real.mid`` (the first piece of the scored data),
written by :func:`grukit.data.music.write_midi` on its default grid (4 frames a beat, 120 beats a
minute).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = ["SAMPLE_SETTINGS", "melody_text", "run_sample", "write_samples"]

#: what ``grukit train generate`` samples for the report
SAMPLE_SETTINGS: dict[str, Any] = {"tokens": 300, "frames": 64, "temperature": 0.8,
                                   "seeds": [0, 1, 2], "top_k": None, "top_p": None}  # fmt: skip


def melody_text(pitches: list[int]) -> str:
    """``"60 62 rest 64"`` of pitches with -1 for a rest.

    >>> melody_text([60, -1, 64])
    '60 rest 64'
    """
    return " ".join("rest" if p == -1 else str(p) for p in pitches)


def _melody(prompt: str) -> list[int]:
    pitches = []
    for word in prompt.split():
        if word.lower() in ("rest", "-1"):
            pitches.append(-1)
        elif word.isdigit():
            pitches.append(int(word))
        else:
            raise GrukitDataError(
                f"--prompt {prompt!r}: {word!r} is no MIDI pitch; expected pitches and 'rest', "
                "e.g. '60 62 rest 64'"
            )
    return pitches


def _piano_roll(model: Any, drawn: Any) -> np.ndarray:
    """A (T, 88) roll of a music sample, or of a melody (pitches off the piano are rests)."""
    if model.level == "music":
        return np.asarray(drawn, dtype=np.uint8)
    from grukit.data.music import HIGHEST_PITCH, LOWEST_PITCH, roll_from_melody

    return roll_from_melody([p if LOWEST_PITCH <= p <= HIGHEST_PITCH else -1 for p in drawn])


def _keys(roll: np.ndarray) -> list[list[int]]:
    from grukit.data.music import LOWEST_PITCH

    return [[int(k) + LOWEST_PITCH for k in np.flatnonzero(frame)] for frame in roll]


def write_samples(model: Any, out: Path, scored: Any) -> Path:
    """Draw the :data:`SAMPLE_SETTINGS` samples into ``out/samples.json`` (and, for note and
    music models, ``sample.mid`` and ``real.mid`` from the first document of `scored`)."""
    from grukit.io import write_json

    settings = dict(SAMPLE_SETTINGS)
    length = settings["frames"] if model.level == "music" else settings["tokens"]
    samples, first = [], None
    for seed in settings["seeds"]:
        drawn = model.sample(length, temperature=settings["temperature"], seed=seed)
        first = drawn if first is None else first
        if model.level == "music":
            samples.append({"seed": seed, "frames": _keys(drawn)})
        elif model.level == "note":
            samples.append({"seed": seed, "text": melody_text(drawn)})
        else:
            samples.append({"seed": seed, "text": drawn})
    record = {"level": model.level, "settings": settings, "samples": samples}
    if model.level in ("note", "music"):
        from grukit.data.music import write_midi

        write_midi(_piano_roll(model, first), out / "sample.mid")
        real = scored.documents[0]
        write_midi(_piano_roll(model, [_pitch(t) for t in real] if model.level == "note"
                               else real), out / "real.mid")  # fmt: skip
        record["midi"] = {"sample": "sample.mid", "real": "real.mid"}
    return write_json(out / "samples.json", record)


def _pitch(token: str) -> int:
    return int(token) if token.isdigit() else -1


def _prompt(model: Any, prompt: str | None) -> Any:
    if prompt is None:
        return None
    if model.level == "note":
        return _melody(prompt)
    if model.level == "music":
        from grukit.data.music import read_midi

        return read_midi(prompt)
    return prompt


def _check_outputs(model: Any, midi: Path | None, output: Path | None) -> None:
    if midi is not None and model.level not in ("note", "music"):
        raise ValueError(
            f"--midi writes music, but the run's model is a {model.level}-level text model; "
            "its sample is text (printed, or written with --output FILE)"
        )
    if model.level == "music" and midi is None:
        raise ValueError("a music model draws a piano roll: give --midi FILE to write it")
    if model.level == "music" and output is not None:
        raise ValueError("--output writes text; a music model writes its sample with --midi FILE")


def run_sample(run: Path, *, tokens: int, temperature: float, top_k: int | None,
               top_p: float | None, prompt: str | None, seed: int | None,
               midi: Path | None, output: Path | None) -> Any:  # fmt: skip
    """``grukit sample``: draw from the run's model; print the prompt and its continuation (or
    write them to `output`), or write them as a MIDI file (`midi`). Returns them."""
    from grukit.tasks.runs import locked_run, open_run

    with locked_run(run, create=False):
        model, _ = open_run(run)
    if model.task != "sequence_generator":
        raise ValueError(f"'{run}' holds a {model.task}, not a sequence generator; "
                         "`grukit sample` draws from `grukit train generate` runs")  # fmt: skip
    tokens = checks.positive_int("--tokens", tokens)
    temperature = checks.number("--temperature", temperature, low=0.0, low_open=True)
    if model.level == "music" and (top_k is not None or top_p is not None):
        raise ValueError("--top-k and --top-p apply to tokens; music keys are drawn one by one "
                         "(use --temperature)")  # fmt: skip
    if top_k is not None:
        top_k = checks.positive_int("--top-k", top_k)
    if top_p is not None:
        top_p = checks.number("--top-p", top_p, low=0.0, high=1.0, low_open=True)
    _check_outputs(model, midi, output)
    start = _prompt(model, prompt)
    drawn = model.sample(tokens, prompt=start, temperature=temperature, top_k=top_k,
                         top_p=top_p, seed=seed)  # fmt: skip
    piece = _with_prompt(model, start, drawn)
    if midi is not None:
        from grukit.data.music import write_midi

        path = write_midi(_piano_roll(model, piece), midi)
        typer.echo(f"MIDI written to {path} ({len(piece)} frames)")
    if model.level == "music":
        return piece
    text = melody_text(piece) if model.level == "note" else piece
    if output is not None:
        from grukit.io import atomic_write_text

        typer.echo(f"Sample written to {atomic_write_text(output, text)}")
    elif midi is None:
        typer.echo(text)
    return piece


def _with_prompt(model: Any, start: Any, drawn: Any) -> Any:
    """The prompt followed by what was drawn after it (text, pitches or frames)."""
    if start is None:
        return drawn
    if model.level == "music":
        return np.concatenate([np.asarray(start, dtype=np.uint8), drawn])
    if model.level == "note":
        return [*start, *drawn]
    if model.level == "word":
        return f"{start.rstrip()} {drawn}" if start.strip() else drawn
    return start + drawn
