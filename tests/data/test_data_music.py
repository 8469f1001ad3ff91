"""Piano rolls: the benchmark .mat files (built here, and JSB Chorales when present), MIDI files
written and read back (pretty_midi, and mido as a second reader), melodies."""

import mido
import numpy as np
import pretty_midi
import pytest
import scipy.io
from hypothesis import given, settings

from grukit.data import (
    HIGHEST_PITCH,
    LOWEST_PITCH,
    PIANO_KEYS,
    GrukitDataError,
    melody_from_roll,
    read_melody,
    read_midi,
    read_piano_rolls,
    roll_from_melody,
    write_midi,
)
from strategies import piano_rolls
from support.datasets import JSB_CHORALES

needs_jsb = pytest.mark.skipif(
    not JSB_CHORALES.exists(), reason=f"JSB Chorales not in the shared data ({JSB_CHORALES})"
)


def _cells(*rolls):
    cells = np.empty((1, len(rolls)), dtype=object)
    for index, roll in enumerate(rolls):
        cells[0, index] = roll
    return cells


def _mat(path, **splits):
    good = _cells(np.eye(3, PIANO_KEYS, dtype=np.uint8))
    contents = {"traindata": good, "validdata": good, "testdata": good}
    contents.update(splits)
    scipy.io.savemat(path, contents)
    return path


# ------------------------------------------------------------------------------ .mat files


def test_a_mat_file_built_here_reads_as_uint8_rolls(tmp_path):
    first = np.zeros((4, PIANO_KEYS), dtype=np.float64)
    first[1, 39] = first[2, 39] = 1.0  # middle C, saved as MATLAB doubles
    second = np.ones((2, PIANO_KEYS), dtype=np.uint8)
    path = _mat(tmp_path / "m.mat", traindata=_cells(first, second))
    rolls = read_piano_rolls(path)
    assert sorted(rolls) == ["test", "train", "valid"]
    assert [r.shape for r in rolls["train"]] == [(4, PIANO_KEYS), (2, PIANO_KEYS)]
    assert all(r.dtype == np.uint8 and r.flags.c_contiguous for r in rolls["train"])
    np.testing.assert_array_equal(rolls["train"][0], first.astype(np.uint8))
    np.testing.assert_array_equal(rolls["train"][1], second)
    test = read_piano_rolls(path, split="test")
    assert isinstance(test, list) and len(test) == 1
    np.testing.assert_array_equal(test[0], np.eye(3, PIANO_KEYS, dtype=np.uint8))


@needs_jsb
def test_jsb_chorales_has_the_published_splits():
    rolls = read_piano_rolls(JSB_CHORALES)
    counts = {name: len(rolls[name]) for name in ("train", "valid", "test")}
    frames = {name: sum(len(r) for r in rolls[name]) for name in ("train", "valid", "test")}
    assert counts == {"train": 229, "valid": 76, "test": 77}
    assert frames == {"train": 13807, "valid": 4602, "test": 4725}
    every = [r for split in rolls.values() for r in split]
    assert all(r.dtype == np.uint8 and r.flags.c_contiguous for r in every)
    assert {int(v) for r in every for v in np.unique(r)} == {0, 1}
    assert all(r.shape[1] == PIANO_KEYS for r in every)
    valid = read_piano_rolls(JSB_CHORALES, split="valid")
    assert all(np.array_equal(a, b) for a, b in zip(valid, rolls["valid"], strict=True))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(GrukitDataError, match=r"^piano-roll file not found: '.*nope\.mat'$"):
        read_piano_rolls(tmp_path / "nope.mat")


def test_a_text_file_is_not_a_mat_file(tmp_path):
    path = tmp_path / "notes.mat"
    path.write_text("these are not piano rolls\n")
    with pytest.raises(GrukitDataError, match=r"notes\.mat' is not a MATLAB v5 \.mat file \("):
        read_piano_rolls(path)


def test_a_truncated_mat_file_is_refused(tmp_path):
    whole = _mat(tmp_path / "whole.mat").read_bytes()
    path = tmp_path / "cut.mat"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(GrukitDataError, match="is not a MATLAB v5 .mat file"):
        read_piano_rolls(path)


def test_a_missing_key_names_the_keys_found(tmp_path):
    path = tmp_path / "m.mat"
    scipy.io.savemat(path, {"train": _cells(np.zeros((2, PIANO_KEYS))), "other": 1.0})
    with pytest.raises(GrukitDataError) as error:
        read_piano_rolls(path)
    message = str(error.value)
    assert "has no key 'traindata'" in message and "found other, train" in message
    assert "\n" not in message


def test_a_cell_of_another_width_names_key_index_and_shape(tmp_path):
    path = _mat(tmp_path / "m.mat", validdata=_cells(np.zeros((5, 88)), np.zeros((5, 87))))
    with pytest.raises(GrukitDataError, match=r"validdata\[1\] must be a T x 88 .* \(5, 87\)$"):
        read_piano_rolls(path)


def test_a_value_other_than_0_or_1_is_refused(tmp_path):
    roll = np.zeros((3, PIANO_KEYS), dtype=np.uint8)
    roll[2, 10] = 2
    path = _mat(tmp_path / "m.mat", testdata=_cells(roll))
    with pytest.raises(GrukitDataError, match=r"testdata\[0\] must hold only 0 and 1, got 2"):
        read_piano_rolls(path)


def test_an_empty_split_and_a_non_cell_are_refused(tmp_path):
    path = _mat(tmp_path / "empty.mat", validdata=np.empty((1, 0), dtype=object))
    with pytest.raises(GrukitDataError, match="'validdata' holds no sequence"):
        read_piano_rolls(path)
    path = _mat(tmp_path / "plain.mat", traindata=np.zeros((4, PIANO_KEYS)))
    with pytest.raises(GrukitDataError, match="'traindata' must be a 1xN cell array"):
        read_piano_rolls(path)


def test_an_unknown_split_is_refused(tmp_path):
    with pytest.raises(GrukitDataError, match="`split` must be one of 'train', 'valid', 'test'"):
        read_piano_rolls(_mat(tmp_path / "m.mat"), split="validation")


# ------------------------------------------------------------------------------------ MIDI


def _note_ons(path):
    return [m for track in mido.MidiFile(path).tracks for m in track if m.type == "note_on"]


@settings(max_examples=40)
@given(roll=piano_rolls())
def test_a_written_roll_reads_back_exactly(tmp_path_factory, roll):
    path = tmp_path_factory.mktemp("midi") / "roll.mid"
    assert write_midi(roll, path) == path
    back = read_midi(path)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, roll)


@pytest.mark.parametrize(("steps", "tempo"), [(1, 60.0), (3, 100.7), (4, 120.0), (7, 33.3)])
def test_the_round_trip_holds_on_other_grids_and_tempi(tmp_path, steps, tempo):
    roll = (np.random.default_rng(steps).random((40, PIANO_KEYS)) < 0.1).astype(np.uint8)
    roll[:2] = roll[-3:] = 0  # silence before the first note and after the last
    path = write_midi(roll.astype(bool), tmp_path / "r.mid", steps_per_beat=steps, tempo=tempo)
    np.testing.assert_array_equal(read_midi(path, steps_per_beat=steps), roll)
    assert abs(pretty_midi.PrettyMIDI(str(path)).get_tempo_changes()[1][0] - tempo) < 1e-3


def test_the_written_file_opens_in_pretty_midi_and_mido(tmp_path):
    roll = np.zeros((8, PIANO_KEYS), dtype=np.uint8)
    roll[0:4, 60 - LOWEST_PITCH] = 1  # one note of 4 frames
    roll[2:3, 64 - LOWEST_PITCH] = 1
    roll[6:8, 60 - LOWEST_PITCH] = 1  # the same key again after a gap: a second note
    roll[7, HIGHEST_PITCH - LOWEST_PITCH] = 1
    path = write_midi(roll, tmp_path / "r.mid", tempo=90.0, program=40, velocity=100)
    midi = pretty_midi.PrettyMIDI(str(path))
    (part,) = midi.instruments
    assert part.program == 40 and not part.is_drum
    notes = sorted((n.pitch, n.start, n.end, n.velocity) for n in part.notes)
    frame = 60.0 / 90.0 / 4  # the file stores whole microseconds per beat: 1e-6 relative
    expected = [(60, 0, 4, 100), (60, 6, 8, 100), (64, 2, 3, 100), (108, 7, 8, 100)]
    assert [(p, v) for p, _, _, v in notes] == [(p, v) for p, _, _, v in expected]
    times = [t for _, start, end, _ in notes for t in (start, end)]
    assert times == pytest.approx([f * frame for _, a, b, _ in expected for f in (a, b)], abs=1e-5)
    sounding = [m for m in _note_ons(path) if m.velocity > 0]
    assert len(sounding) == 4 == len(part.notes)
    assert sorted(m.note for m in sounding) == [60, 60, 64, 108]


def test_read_midi_merges_instruments_and_leaves_out_drums(tmp_path):
    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)  # a frame is 0.125 s
    piano, bass, drums = (pretty_midi.Instrument(0), pretty_midi.Instrument(33),
                          pretty_midi.Instrument(0, is_drum=True))  # fmt: skip
    piano.notes.append(pretty_midi.Note(velocity=90, pitch=72, start=0.0, end=0.5))
    # off the grid by less than half a frame, and a very short note: still one frame
    bass.notes.append(pretty_midi.Note(velocity=90, pitch=36, start=0.26, end=0.49))
    bass.notes.append(pretty_midi.Note(velocity=90, pitch=40, start=0.5, end=0.51))
    drums.notes.append(pretty_midi.Note(velocity=90, pitch=10, start=0.0, end=2.0))
    midi.instruments += [piano, bass, drums]
    path = tmp_path / "band.mid"
    midi.write(str(path))
    roll = read_midi(path)
    expected = np.zeros((5, PIANO_KEYS), dtype=np.uint8)
    expected[0:4, 72 - LOWEST_PITCH] = 1
    expected[2:4, 36 - LOWEST_PITCH] = 1
    expected[4, 40 - LOWEST_PITCH] = 1
    # the drum track's notes end at 2.0 s, and the roll lasts until the file's last event
    assert roll.shape == (16, PIANO_KEYS)
    np.testing.assert_array_equal(roll[:5], expected)
    assert not roll[5:].any()
    assert read_melody(path)[:6] == [72, 72, 72, 72, 40, -1]


def _write_notes(path, pitches, *, drum=False):
    midi = pretty_midi.PrettyMIDI()
    part = pretty_midi.Instrument(0, is_drum=drum)
    for index, pitch in enumerate(pitches):
        part.notes.append(pretty_midi.Note(velocity=80, pitch=pitch, start=index, end=index + 1))
    midi.instruments.append(part)
    midi.write(str(path))
    return path


def test_a_midi_without_notes_is_refused(tmp_path):
    with pytest.raises(GrukitDataError, match=r"'.*silent\.mid' holds no note \(drums aside\)$"):
        read_midi(_write_notes(tmp_path / "silent.mid", []))
    with pytest.raises(GrukitDataError, match="holds no note"):
        read_midi(_write_notes(tmp_path / "drums.mid", [40, 41], drum=True))
    silence = write_midi(np.zeros((4, PIANO_KEYS), dtype=np.uint8), tmp_path / "rest.mid")
    assert [m for m in _note_ons(silence) if m.velocity > 0] == []
    with pytest.raises(GrukitDataError, match="holds no note"):
        read_midi(silence)


def test_a_note_outside_the_piano_is_named(tmp_path):
    path = _write_notes(tmp_path / "low.mid", [60, 20])
    with pytest.raises(
        GrukitDataError, match=r"has a note of pitch 20 at 1\.000 s; the piano range is 21\.\.108$"
    ):
        read_midi(path)


def test_a_text_file_named_mid_is_refused(tmp_path):
    path = tmp_path / "song.mid"
    path.write_text("C D E F G\n")
    with pytest.raises(GrukitDataError, match=r"'.*song\.mid' is not a readable MIDI file \("):
        read_midi(path)
    with pytest.raises(GrukitDataError, match="MIDI file not found"):
        read_midi(tmp_path / "absent.mid")
    with pytest.raises(GrukitDataError, match="is a directory"):
        read_midi(tmp_path)


@pytest.mark.parametrize("steps", [0, -1, 2.0, True])
def test_steps_per_beat_must_be_a_positive_integer(tmp_path, steps):
    message = "`steps_per_beat` must be a positive integer"
    with pytest.raises(GrukitDataError, match=message):
        read_midi(tmp_path / "any.mid", steps_per_beat=steps)
    with pytest.raises(GrukitDataError, match=message):
        write_midi(np.ones((2, PIANO_KEYS)), tmp_path / "x.mid", steps_per_beat=steps)


@pytest.mark.parametrize(
    ("roll", "options", "message"),
    [
        (
            np.ones((3, 87)),
            {},
            r"`roll` must be a \(T, 88\) piano roll with T >= 1, got shape \(3, 87\)",
        ),
        (np.ones((0, 88)), {}, r"with T >= 1, got shape \(0, 88\)"),
        (np.full((2, 88), 0.5), {}, r"`roll` must hold only 0 and 1, got 0.5 at \(0, 0\)"),
        (np.ones((2, 88)), {"tempo": 0.0}, "`tempo` must be a finite number > 0"),
        (np.ones((2, 88)), {"tempo": float("inf")}, "`tempo` must be a finite number > 0"),
        (np.ones((2, 88)), {"program": 128}, r"`program` must be an integer in \[0, 127\]"),
        (np.ones((2, 88)), {"velocity": 0}, r"`velocity` must be an integer in \[1, 127\]"),
    ],
)
def test_write_midi_refuses_bad_input(tmp_path, roll, options, message):
    with pytest.raises(GrukitDataError, match=message):
        write_midi(roll, tmp_path / "x.mid", **options)
    assert not (tmp_path / "x.mid").exists()


def test_write_midi_replaces_a_file_whole(tmp_path):
    path = tmp_path / "x.mid"
    path.write_bytes(b"old contents")
    write_midi(np.ones((2, PIANO_KEYS)), path)
    assert path.read_bytes()[:4] == b"MThd"
    assert [p.name for p in tmp_path.iterdir()] == ["x.mid"]  # no temporary file left


# -------------------------------------------------------------------------------- melodies


def test_melody_helpers_round_trip_and_take_the_top_note():
    melody = [60, 62, -1, 21, 108, -1]
    roll = roll_from_melody(melody)
    assert roll.shape == (6, PIANO_KEYS) and roll.dtype == np.uint8
    assert roll.sum(axis=1).tolist() == [1, 1, 0, 1, 1, 0]
    assert melody_from_roll(roll) == melody
    chord = roll.copy()
    chord[0, 55 - LOWEST_PITCH] = chord[1, 70 - LOWEST_PITCH] = 1
    assert melody_from_roll(chord) == [60, 70, -1, 21, 108, -1]
    assert roll_from_melody(np.array([64, -1])).sum() == 1  # NumPy integers are integers


@pytest.mark.parametrize(
    ("pitches", "message"),
    [
        ([60, 109], r"`pitches\[1\]` must be a MIDI pitch in 21\.\.108 or -1 .*got 109"),
        ([20], r"`pitches\[0\]` .* got 20"),
        ([60, -2], r"got -2"),
        ([60.0], r"got 60\.0"),
        ([], "at least one frame"),
        ("CDE", "must be a sequence of MIDI pitches, got str"),
    ],
)
def test_roll_from_melody_refuses_what_is_not_a_melody(pitches, message):
    with pytest.raises(GrukitDataError, match=message):
        roll_from_melody(pitches)


def test_read_melody_reads_the_top_line(tmp_path):
    roll = roll_from_melody([60, 60, -1, 67])
    roll[0:2, 48 - LOWEST_PITCH] = 1  # an accompaniment below
    path = write_midi(roll, tmp_path / "m.mid", steps_per_beat=2)
    assert read_melody(path, steps_per_beat=2) == [60, 60, -1, 67]
