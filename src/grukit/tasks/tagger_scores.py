"""Scoring a :class:`grukit.SequenceTagger` and its baseline on labelled sentences.

Gold labels are converted from their scheme to IOB2 (strictly: they must be valid), the
network's predictions from the training scheme and the baseline's from the input scheme (both
read leniently, as ``conlleval`` reads them); then :func:`grukit.metrics.tagging.entity_scores`
(``seqeval``'s entity-level precision, recall and F1) scores each.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from grukit.io import read_json, write_json
from grukit.tasks.tagger_data import render_tags
from grukit.tensor_files import load_tensors, save_tensors
from grukit.train.callbacks import Callback

__all__ = ["BestValidationF1", "baseline_predictions", "evaluate_tagger"]

_SCORES, _WEIGHTS = "best-f1.json", "best-f1.safetensors"


def baseline_predictions(tagger: Any, sentences: Any) -> list[list[str]] | None:
    """The most-frequent-tag baseline's labels of `sentences` (the training data's scheme as
    read), or None when the tagger has no baseline."""
    if not tagger.baseline_:
        return None
    from grukit.baselines.tagging import MostFrequentTag

    return MostFrequentTag.from_dict(tagger.baseline_).predict(sentences.tokens)


def evaluate_tagger(tagger: Any, sentences: Any) -> dict[str, Any]:
    """Scores of the network (``"model"``) and the baseline (``"baseline"``, None without one)
    on read, labelled `sentences`, the network's entity-type confusion, and the counts.

    Returns
    -------
    dict
        ``model`` and ``baseline``: :func:`grukit.metrics.tagging.entity_scores`;
        ``confusion``: :func:`grukit.metrics.tagging.entity_confusion` of the network;
        ``beats_baseline``: whether the network's entity F1 is above the baseline's;
        ``sentences``, ``tokens``, ``scheme`` (of the gold labels), ``source``.
    """
    from grukit.metrics.tagging import entity_confusion, entity_scores

    tagger._check_types(sentences)
    gold = sentences.to_scheme("IOB2", strict=False).labels
    predicted = [render_tags(row, tagger.scheme, "IOB2") for row in tagger._decode(sentences)]
    result: dict[str, Any] = {
        "source": sentences.source,
        "scheme": sentences.scheme,
        "sentences": len(sentences),
        "tokens": sum(len(tokens) for tokens in sentences.tokens),
        "model": entity_scores(gold, predicted),
        "confusion": entity_confusion(gold, predicted),
        "baseline": None,
        "beats_baseline": None,
    }
    baseline = baseline_predictions(tagger, sentences)
    if baseline is not None:
        baseline_iob2 = [render_tags(row, tagger.input_scheme_, "IOB2") for row in baseline]
        result["baseline"] = entity_scores(gold, baseline_iob2)
        result["beats_baseline"] = result["model"]["f1"] > result["baseline"]["f1"]
    return result


class BestValidationF1(Callback):
    """A training callback: the validation sentences' entity F1 after every epoch; the weights
    of the best epoch are put back at the end, and ``patience`` epochs without a better F1 stop
    the run.

    The validation loss (the CRF's negative log-likelihood) is a poor guide for a tagger: it
    rises as the network grows confident while the entity F1 still improves, so the epoch is
    chosen, and training stopped, by F1 (as the CoNLL systems choose theirs on the dev set).
    With a checkpoint directory the scores and the best weights are kept there
    (``best-f1.safetensors``, then ``best-f1.json``), so a resumed run chooses among all its
    epochs.
    """

    def __init__(self, tagger: Any, sentences: Any, patience: int | None,
                 directory: Any = None) -> None:  # fmt: skip
        self.tagger, self.sentences, self.patience = tagger, sentences, patience
        self.directory = None if directory is None else Path(directory)
        self.scores: list[float] = []
        self.best_epoch = 0
        self.best_state: dict[str, Any] | None = None

    def on_train_begin(self, state: Any) -> None:
        self.scores, self.best_epoch, self.best_state = [], 0, None
        done = len(state.history)
        if self.directory is None or done == 0 or not (self.directory / _SCORES).exists():
            return
        record = read_json(self.directory / _SCORES, description="validation F1 record")
        if 0 < record["best_epoch"] <= done:  # else written after the checkpoint resumed
            self.scores, self.best_epoch = list(record["scores"])[:done], record["best_epoch"]
            self.best_state = load_tensors(self.directory / _WEIGHTS, description="best weights")

    def on_epoch_end(self, state: Any) -> None:
        from grukit.metrics.tagging import entity_scores

        model = state.model
        was_training = model.training
        model.eval()
        predicted = self.tagger._decode(self.sentences, network=model)
        model.train(was_training)
        gold = self.sentences.to_scheme("IOB2", strict=False).labels
        iob2 = [render_tags(row, self.tagger.scheme, "IOB2") for row in predicted]
        f1 = float(entity_scores(gold, iob2)["f1"])
        better = self.best_state is None or f1 > max(self.scores, default=-1.0)
        self.scores.append(f1)
        if better:
            self.best_epoch = state.epoch
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self._write(better)
        waited = state.epoch - self.best_epoch
        if self.patience is not None and waited >= self.patience:
            state.stop_training = True
        logging.getLogger("grukit.train").info(
            f"epoch {state.epoch}: validation entity F1 {f1:.4f}{'*' if better else ''}"
        )

    def _write(self, better: bool) -> None:
        """The best weights (when they changed), then the scores, into the directory."""
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        if better and self.best_state is not None:
            save_tensors(self.directory / _WEIGHTS, self.best_state)
        write_json(self.directory / _SCORES, {"scores": self.scores, "best_epoch": self.best_epoch})

    def on_train_end(self, state: Any) -> None:
        if self.best_state is None:
            return
        state.model.load_state_dict(self.best_state)
        history = state.history
        history.monitor, history.best_epoch = "val_entity_f1", self.best_epoch
        history.best_loss = history.val_loss[self.best_epoch - 1]
        history.restored_best = True
