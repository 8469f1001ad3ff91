"""grukit train generate / sample / evaluate / predict / report on a text file a newcomer writes,
a tiny hand-written piano-roll .mat file and a folder of MIDI melodies, and the one-line
refusals of bad input."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from support.cli import run

FAST = ["--hidden-size", "24", "--num-layers", "1", "--epochs", "2", "--bptt", "16",
        "--batch-size", "4", "--lr", "0.01", "--dropout", "0", "--threads", "1"]  # fmt: skip
WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "log", "with", "big",
         "red", "hat"]  # fmt: skip


def _story(path):
    rng = random.Random(0)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))) for _ in range(150)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _chords(frames: int) -> np.ndarray:
    roll = np.zeros((frames, 88), dtype=np.uint8)
    for t in range(frames):
        root = (39, 43, 46, 41)[(t // 4) % 4]
        roll[t, [root, root + 4, root + 7]] = 1
    return roll


def _mat(path):
    import scipy.io

    def cells(lengths):
        array = np.empty((1, len(lengths)), dtype=object)
        for index, length in enumerate(lengths):
            array[0, index] = _chords(length)
        return array

    scipy.io.savemat(path, {"traindata": cells([24, 32, 28, 20]), "validdata": cells([16, 20]),
                            "testdata": cells([24, 18])})  # fmt: skip
    return path


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return _story(tmp_path_factory.mktemp("text") / "my story.txt")


@pytest.fixture(scope="module")
def char_run(story, tmp_path_factory):
    from grukit.cli import main

    out = tmp_path_factory.mktemp("runs") / "char"
    assert main(["train", "generate", str(story), "--out", str(out), *FAST]) == 0
    return out


@pytest.fixture(scope="module")
def music_run(tmp_path_factory):
    from grukit.cli import main

    folder = tmp_path_factory.mktemp("music")
    out = folder / "run"
    assert main(["train", "generate", str(_mat(folder / "tiny.mat")), "--music",
                 "--input-dropout", "0.1", "--out", str(out), *FAST]) == 0  # fmt: skip
    return out


def test_a_character_run_holds_its_files_and_scores_the_held_out_tokens(char_run) -> None:
    for name in ("run.json", "config.json", "model.safetensors", "metrics.json", "samples.json"):
        assert (char_run / name).is_file(), name
    metrics = json.loads((char_run / "metrics.json").read_text())
    assert metrics["task"] == "sequence_generator" and metrics["level"] == "char"
    assert metrics["part"] == "validation" and set(metrics["models"]) == {"gru", "unigram"}
    assert metrics["models"]["gru"]["tokens"] == metrics["models"]["unigram"]["tokens"] > 300
    assert metrics["beats_baseline"] is True
    samples = json.loads((char_run / "samples.json").read_text())
    assert samples["settings"]["temperature"] == 0.8 and samples["settings"]["seeds"] == [0, 1, 2]
    assert [len(s["text"]) for s in samples["samples"]] == [300, 300, 300]
    assert json.loads((char_run / "run.json").read_text())["command"] == "generate"


def test_sample_with_a_seed_prints_the_same_text_twice(char_run, capsys, tmp_path) -> None:
    args = ("sample", char_run, "--tokens", "60", "--seed", "7", "--temperature", "0.8")
    code, first, stderr = run(capsys, *args)
    assert code == 0, stderr
    code, second, _ = run(capsys, *args)
    assert first == second and len(first) == 61  # the text and a line end
    code, prompted, stderr = run(capsys, *args, "--prompt", "the cat ")
    assert code == 0, stderr
    assert prompted.startswith("the cat ") and len(prompted) == len("the cat ") + 61
    code, stdout, stderr = run(capsys, *args, "--top-k", "3", "--top-p", "0.9",
                               "--output", tmp_path / "s.txt")  # fmt: skip
    assert code == 0, stderr
    assert len((tmp_path / "s.txt").read_text()) == 60 and "Sample written to" in stdout


def test_evaluate_prints_the_summary_and_predict_points_to_sample(char_run, story, capsys):
    before = (char_run / "metrics.json").read_text()
    code, stdout, stderr = run(capsys, "evaluate", char_run, story)
    assert code == 0, stderr
    assert "evaluation perplexity " in stdout and "(unigram baseline " in stdout
    assert "bits per character" in stdout
    assert (char_run / "metrics.json").read_text() == before  # evaluate writes nothing
    code, stdout, stderr = run(capsys, "predict", char_run, story)
    assert code == 2 and stderr.count("\n") == 1 and "grukit sample" in stderr


def test_a_word_run_and_its_report(story, tmp_path, capsys) -> None:
    out = tmp_path / "words"
    code, stdout, stderr = run(capsys, "train", "generate", story, "--level", "word",
                               "--test", story, "--mixed-precision", "--out", out,
                               *FAST)  # fmt: skip
    assert code == 0, stderr
    assert "test perplexity " in stdout and "bits per word" in stdout
    config = json.loads((out / "config.json").read_text())
    assert config["params"]["mixed_precision"] is True  # the option reaches the model
    code, text, stderr = run(capsys, "sample", out, "--tokens", "12", "--seed", "1")
    assert code == 0, stderr
    assert set(text.split()) <= set(WORDS)
    assert len(text.split()) == 12 - text.count("\n") + 1  # line ends are <eos> tokens
    code, stdout, stderr = run(capsys, "report", out)
    assert code == 0, stderr
    page = (out / "report.html").read_text()
    for heading in ("Learning curves", "Model vs baseline", "Samples", "Settings"):
        assert f"<h2>{heading}</h2>" in page
    assert (out / "plots" / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"


def test_a_music_run_samples_midi_that_pretty_midi_and_mido_open(music_run, tmp_path, capsys):
    import mido
    import pretty_midi

    from grukit.data.music import read_midi

    metrics = json.loads((music_run / "metrics.json").read_text())
    assert metrics["part"] == "test" and metrics["documents"] == 2
    params = json.loads((music_run / "config.json").read_text())["params"]
    assert params["input_dropout"] == 0.1 != params["dropout"]  # apart from --dropout
    assert set(metrics["models"]) == {"gru", "key_frequencies"}
    for name in ("sample.mid", "real.mid"):
        assert pretty_midi.PrettyMIDI(str(music_run / name)).instruments
    assert read_midi(music_run / "real.mid").shape == (24, 88)  # the first test piece
    path = tmp_path / "piece.mid"
    code, stdout, stderr = run(capsys, "sample", music_run, "--tokens", "32", "--seed", "0",
                               "--midi", path)  # fmt: skip
    assert code == 0, stderr
    assert "MIDI written to" in stdout
    piece = pretty_midi.PrettyMIDI(str(path))
    assert piece.instruments[0].notes  # the untrained keys are on half the time
    assert mido.MidiFile(str(path)).length == pytest.approx(32 * 0.125, abs=0.01)  # 4 a beat
    code, stdout, stderr = run(capsys, "report", music_run)
    assert code == 0, stderr
    page = (music_run / "report.html").read_text()
    assert "<h2>Piano rolls</h2>" in page and 'src="plots/piano_rolls.png"' in page
    code, stdout, stderr = run(capsys, "evaluate", music_run, music_run.parent / "tiny.mat")
    assert code == 0, stderr
    assert "test NLL per frame " in stdout and "(key-frequency baseline " in stdout


def test_a_note_run_on_midi_melodies_writes_midi(tmp_path, capsys) -> None:
    from grukit.data.music import read_melody, roll_from_melody, write_midi

    folder = tmp_path / "melodies"
    folder.mkdir()
    scale = [60, 62, 64, 65, 67, -1, 67, 65, 64, 62]
    for index in range(3):
        write_midi(roll_from_melody(scale * 4), folder / f"tune{index}.mid")
    out = tmp_path / "notes"
    code, _, stderr = run(capsys, "train", "generate", folder, "--level", "note", "--out", out,
                          *FAST)  # fmt: skip
    assert code == 0, stderr
    code, text, stderr = run(capsys, "sample", out, "--tokens", "8", "--prompt", "60 62",
                             "--seed", "0")  # fmt: skip
    assert code == 0, stderr
    words = text.split()
    assert words[:2] == ["60", "62"] and len(words) == 10
    assert all(w == "rest" or w.isdigit() for w in words)
    code, _, stderr = run(capsys, "sample", out, "--tokens", "8", "--prompt", "60 62",
                          "--seed", "0", "--midi", tmp_path / "m.mid")  # fmt: skip
    assert code == 0, stderr
    melody = read_melody(tmp_path / "m.mid")  # the prompt, then the sample (trailing rests cut)
    assert (
        melody[:2] == [60, 62]
        and melody == [-1 if w == "rest" else int(w) for w in words][: len(melody)]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--temperature", "0"], "`--temperature` must be a finite number > 0"),
        (["--prompt", "XYZ"], "the prompt has characters the model never saw: 'XYZ'"),
        (["--midi", "out.mid"], "--midi writes music, but the run's model is a char-level"),
        (["--tokens", "0"], "`--tokens` must be"),
    ],
)
def test_bad_sample_options_get_one_line(char_run, args, message, capsys) -> None:
    code, stdout, stderr = run(capsys, "sample", char_run, *args)
    assert code == 2 and stdout == ""
    assert stderr.startswith(f"error: {message}") and stderr.count("\n") == 1, stderr


def test_music_refusals_and_a_missing_run(music_run, tmp_path, capsys) -> None:
    for args, message in (
        (["--top-k", "3", "--midi", tmp_path / "x.mid"], "--top-k and --top-p apply to tokens"),
        ([], "a music model draws a piano roll: give --midi FILE"),
    ):
        code, _, stderr = run(capsys, "sample", music_run, *args)
        assert code == 2 and stderr.startswith(f"error: {message}"), stderr
        assert stderr.count("\n") == 1 and "Traceback" not in stderr
    code, _, stderr = run(capsys, "sample", tmp_path / "no-run")
    assert (
        code == 2 and stderr.startswith("error: no grukit model at") and "Traceback" not in stderr
    )


def test_a_run_is_not_overwritten_and_conflicting_levels_are_refused(char_run, story, capsys):
    code, _, stderr = run(capsys, "train", "generate", story, "--out", char_run, *FAST)
    assert code == 2 and "already holds a run; pass --resume" in stderr
    code, _, stderr = run(capsys, "train", "generate", story, "--out", char_run, "--resume",
                          *FAST, "--hidden-size", "8")  # fmt: skip
    assert code == 2 and "--resume must repeat the options" in stderr and "hidden_size" in stderr
    code, _, stderr = run(capsys, "train", "generate", story, "--music", "--level", "word",
                          "--out", char_run.parent / "other")  # fmt: skip
    assert code == 2 and stderr == "error: --music is --level music; got --level word as well\n"
