"""Replacing a saved model is atomic as a whole: a kill at any step of ``save`` leaves the old
model or the new one to load, exactly, never neither (and the next save cleans up)."""

from __future__ import annotations

import os
import shutil

import pytest
import torch

from grukit.tasks import Forecaster, load
from support.series import fast_config, seasonal_frame

#: The file-system steps a kill may fall before: once one is reached, it and every later one
#: fail, as if the process had died there (nothing after it reaches the disk).
STEPS = ("replace", "rename", "link", "unlink", "rmdir", "mkdir", "fsync")


class Killed(BaseException):
    """Raised at and after the chosen step; a BaseException, so no handler cleans up."""


class KillAt:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, step: int) -> None:
        self.count, self.step, self.fired = 0, step, False
        for name in STEPS:
            monkeypatch.setattr(os, name, self._wrap(getattr(os, name)))

    def _wrap(self, real):
        def step(*args, **kwargs):
            self.count += 1
            if self.fired or self.count >= self.step:
                self.fired = True
                raise Killed
            return real(*args, **kwargs)

        return step


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    frame = seasonal_frame(160)
    old = Forecaster(12, 3, targets=["a"], hidden_size=6, train_config=fast_config(1))
    new = Forecaster(12, 3, targets=["a"], hidden_size=6, train_config=fast_config(2, seed=3))
    old.fit(frame), new.fit(frame)
    saved_old = old.save(tmp_path_factory.mktemp("old") / "model")
    return old, new, saved_old


def _which(loaded, old, new) -> str:
    """'old' or 'new' when `loaded` is exactly that model (weights, history, settings)."""
    state = loaded.network_.state_dict()
    for label, model in (("old", old), ("new", new)):
        expected = model.network_.state_dict()
        if state.keys() == expected.keys() and all(
            torch.equal(state[name], tensor) for name, tensor in expected.items()
        ):
            assert loaded.history_.to_dict() == model.history_.to_dict()
            assert loaded.train_config == model.train_config
            return label
    raise AssertionError("the loaded weights are neither the old model's nor the new one's")


def _save_killed_at(monkeypatch, model, directory, step) -> bool:
    """Save `model` into `directory`, killed at the `step`-th step; whether the kill happened."""
    killer = KillAt(monkeypatch, step)
    try:
        model.save(directory)
    except Killed:
        pass
    finally:
        monkeypatch.undo()
    return killer.fired


def test_a_kill_at_any_step_of_save_leaves_the_old_or_the_new_model(models, tmp_path, monkeypatch):
    old, new, saved_old = models
    seen = []
    for step in range(1, 100):
        directory = tmp_path / f"kill-{step}"
        shutil.copytree(saved_old, directory)
        if not _save_killed_at(monkeypatch, new, directory, step):
            break  # the save completed before reaching this step
        seen.append(_which(load(directory), old, new))
        new.save(directory)  # the next save finishes or discards what the killed one left
        assert _which(load(directory), old, new) == "new"
        assert sorted(p.name for p in directory.iterdir()) == [
            "config.json", "history.json", "model.safetensors",
        ], step  # fmt: skip
    else:
        raise AssertionError("save did not complete within 100 steps")
    assert _which(load(directory), old, new) == "new"
    assert "old" in seen and "new" in seen, seen  # kills fell before and after the switch


def test_a_kill_during_the_first_save_leaves_no_model_or_the_new_one(models, tmp_path, monkeypatch):
    old, new, _ = models
    for step in range(1, 100):
        directory = tmp_path / f"kill-{step}"
        if not _save_killed_at(monkeypatch, new, directory, step):
            break
        try:
            loaded = load(directory)
        except FileNotFoundError:
            continue  # nothing was saved yet
        assert _which(loaded, old, new) == "new"
    else:
        raise AssertionError("save did not complete within 100 steps")
