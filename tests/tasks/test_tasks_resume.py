"""fit(resume=True) after an interruption loses no completed epoch and ends where an
uninterrupted run ends."""

from __future__ import annotations

import numpy as np
import pytest

from grukit.tasks import Forecaster
from grukit.train import Callback
from support.series import fast_config, seasonal_frame


class Interrupt(Exception):
    pass


class StopAfter(Callback):
    """Raise in the middle of epoch `epoch` (after its first optimizer step)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_batch_end(self, state):
        if state.epoch == self.epoch:
            raise Interrupt


def _model():
    return Forecaster(12, 3, targets="a", covariates="wind", hidden_size=8,
                      train_config=fast_config(5, patience=None))  # fmt: skip


def test_resume_continues_from_the_last_completed_epoch(tmp_path):
    frame = seasonal_frame(200)
    reference = _model().fit(frame, validation=0.2)

    checkpoints = tmp_path / "checkpoints"
    with pytest.raises(Interrupt):
        _model().fit(frame, validation=0.2, checkpoint_dir=checkpoints, callbacks=[StopAfter(3)])
    resumed = _model().fit(frame, validation=0.2, checkpoint_dir=checkpoints, resume=True)

    assert len(resumed.history_) == 5
    # epochs 1-2 come from the checkpoint, 3-5 are trained again: all equal the reference
    assert resumed.history_.train_loss == reference.history_.train_loss
    assert resumed.history_.val_loss == reference.history_.val_loss
    np.testing.assert_array_equal(
        resumed.predict(frame)["a"].to_numpy(), reference.predict(frame)["a"].to_numpy()
    )


def test_a_checkpoint_directory_in_use_needs_resume(tmp_path):
    frame = seasonal_frame(120)
    model = Forecaster(8, 2, targets="a", hidden_size=4, train_config=fast_config(1))
    model.fit(frame, checkpoint_dir=tmp_path)
    with pytest.raises(FileExistsError, match="already holds a checkpoint; pass resume=True"):
        model.fit(frame, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="`resume=True` needs a `checkpoint_dir`"):
        model.fit(frame, resume=True)
