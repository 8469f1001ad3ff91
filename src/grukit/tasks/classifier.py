"""``SequenceClassifier``: texts or irregular series in, labels and probabilities out, beside the
baselines each field trusts.

The network (:mod:`grukit.tasks.classifier_networks`) reads token ids (text) or GRU-D's values,
mask and time gaps on a grid (series), pools the GRU's outputs and gives one logit per class,
trained with cross-entropy (class weights with ``class_weight="balanced"``). Binary problems get
a decision threshold chosen on the validation data; the baselines are fitted on the same
training part in the same ``fit``: TF-IDF + logistic regression (text) or logistic regression on
per-variable summaries (series), and the majority class.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.tasks import classifier_data as data_forms
from grukit.tasks.base import FitData, Task
from grukit.tasks.classifier_networks import POOLINGS
from grukit.tasks.classifier_prep import SeriesPreparation, TextPreparation
from grukit.tasks.classifier_scores import THRESHOLD_RULES, check_threshold

__all__ = ["INPUTS", "THRESHOLD_RULES", "SequenceClassifier"]

INPUTS = ("text", "series")


class SequenceClassifier(Task):
    """A GRU classifier of texts (``input="text"``) or irregular series (``input="series"``).

    Parameters
    ----------
    input : {"text", "series"}
    hidden_size, num_layers, bidirectional : the GRU's shape.
    pooling : {"last", "mean", "max", "attention"}
        How the GRU's outputs over the valid steps become one vector
        (:mod:`grukit.tasks.classifier_networks`).
    dropout, recurrent_dropout : float
        Dropout on the inputs, between layers and before the head; the GRU's recurrent dropout.
    class_weight : None or "balanced"
        ``"balanced"`` weighs each class's loss by ``N / (C * count)``.
    threshold : float, "f1", "youden", "accuracy", "sensitivity:L" or "specificity:L"
        Binary only: the probability at which the positive class (the second of the sorted
        classes) is predicted, or the rule that picks it on the validation data.
    ensemble : int
        Train this many networks from the seeds ``seed, seed + 1, ...`` and average their class
        probabilities (:class:`~grukit.tasks.classifier_networks.ClassifierEnsemble`); 1 (the
        default) trains one.
    baselines : bool
        Fit the baselines beside the network (shown by :meth:`evaluate`).
    text_column, label_column : str, optional
        Column names of a text table (found by name when omitted); ``label_column`` also names
        a series table's label column.
    level, lower, strip_html : tokenisation (:class:`grukit.text.Tokenizer`).
    max_vocab, min_count : vocabulary size limit and minimum count.
    max_length, truncate : the tokens kept per text, and from which end a long one is cut.
    embedding_dim : size of the learned word embedding.
    word_vectors : str, optional
        A word2vec/GloVe text file to initialise the embedding (its size wins).
    id_column, time_column : series table columns (found by name when omitted).
    step_hours, horizon_hours : the grid; the horizon defaults to the training span.
    aggregate : {"last", "mean"}: measurements in one step.
    decay : bool
        GRU-D's learned decays (series, one unidirectional layer).
    unknown : {"error", "keep", "drop"}: unknown PhysioNet parameters.
    gru_config, train_config : option dataclasses (:class:`GRUConfig`, :class:`TrainConfig`).
    verbose : bool or int

    Examples
    --------
    >>> from grukit.train import TrainConfig
    >>> texts = ["good film", "bad film", "very good", "very bad"] * 8
    >>> labels = ["pos", "neg", "pos", "neg"] * 8
    >>> clf = SequenceClassifier(hidden_size=8, embedding_dim=8, min_count=1, baselines=False,
    ...                          train_config=TrainConfig(epochs=2), verbose=False)
    >>> clf.fit((texts, labels)).predict(["good"]).shape
    (1,)
    """

    task: ClassVar[str] = "sequence_classifier"

    def __init__(
        self,
        *,
        input: str = "text",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        pooling: str = "last",
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        class_weight: str | None = None,
        threshold: Any = 0.5,
        ensemble: int = 1,
        baselines: bool = True,
        text_column: str | None = None,
        label_column: str | None = None,
        level: str = "word",
        lower: bool = True,
        strip_html: bool = True,
        max_vocab: int | None = 20000,
        min_count: int = 2,
        max_length: int | None = 400,
        truncate: str = "pre",
        embedding_dim: int = 128,
        word_vectors: str | None = None,
        id_column: str | None = None,
        time_column: str | None = None,
        step_hours: float = 1.0,
        horizon_hours: float | None = None,
        aggregate: str = "last",
        decay: bool = False,
        unknown: str = "error",
        gru_config: Any = None,
        train_config: Any = None,
        verbose: bool | int = True,
    ) -> None:
        super().__init__(locals())

    def _check_params(self, given: dict[str, Any]) -> dict[str, Any]:
        p = dict(given)
        p["input"] = checks.choice("input", p["input"], INPUTS)
        for name in ("hidden_size", "num_layers", "embedding_dim", "min_count", "ensemble"):
            p[name] = checks.positive_int(name, p[name])
        for name in ("max_vocab", "max_length"):
            p[name] = None if p[name] is None else checks.positive_int(name, p[name])
        for name in ("bidirectional", "baselines", "lower", "strip_html", "decay"):
            p[name] = checks.flag(name, p[name])
        p["pooling"] = checks.choice("pooling", p["pooling"], POOLINGS)
        p["dropout"] = checks.probability("dropout", p["dropout"])
        p["recurrent_dropout"] = checks.probability("recurrent_dropout", p["recurrent_dropout"])
        if p["class_weight"] is not None:
            p["class_weight"] = checks.choice("class_weight", p["class_weight"], ("balanced",))
        p["threshold"] = check_threshold(p["threshold"])
        p["level"] = checks.choice("level", p["level"], ("word", "char"))
        p["truncate"] = checks.choice("truncate", p["truncate"], ("pre", "post"))
        p["aggregate"] = checks.choice("aggregate", p["aggregate"], ("last", "mean"))
        p["unknown"] = checks.choice("unknown", p["unknown"], ("error", "keep", "drop"))
        p["step_hours"] = checks.number("step_hours", p["step_hours"], low=0, low_open=True)
        if p["horizon_hours"] is not None:
            p["horizon_hours"] = checks.number(
                "horizon_hours", p["horizon_hours"], low=0, low_open=True
            )
        if p["decay"] and (p["input"] != "series" or p["bidirectional"] or p["num_layers"] > 1):
            raise ValueError(
                "`decay`=True (GRU-D) needs input='series', one layer and bidirectional=False"
            )
        return p

    # -- reading -----------------------------------------------------------------------------
    def _read(self, data: Any, *, training: bool = False, labelled: bool = True) -> Any:
        if isinstance(data, data_forms.TextSamples | data_forms.SeriesSamples):
            return data  # read already (a run's parts)
        if isinstance(data, data_forms.DataParts):
            parts = [self._read(p, training=training, labelled=labelled) for p in data.parts]
            return data_forms.concat_samples(parts)
        if self.input == "text":
            return data_forms.read_texts(
                data, text_column=self.text_column, label_column=self.label_column,
                labelled=labelled, split="train" if training else "test",
            )  # fmt: skip
        outcomes = None
        if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], str | bytes):
            data, outcomes = data  # (records, outcomes file)
        return data_forms.read_series(
            data, outcomes=outcomes, labelled=labelled, id_column=self.id_column,
            time_column=self.time_column, label_column=self.label_column, unknown=self.unknown,
        )  # fmt: skip

    def read(self, data: Any, *, labelled: bool = True, split: str = "test") -> Any:
        """The samples of `data` as this classifier reads them (texts or series)."""
        if self.input == "text" and split == "train":
            return self._read(data, training=True, labelled=labelled)
        return self._read(data, labelled=labelled)

    def _split_validation(self, data: Any, fraction: float) -> tuple[Any, Any]:
        return data_forms.split_samples(data, fraction, self.train_config.seed)

    # -- preparation -------------------------------------------------------------------------
    def _learn_preparation(self, samples: Any) -> Any:
        self.classes_ = data_forms.classes_of(samples)
        if len(self.classes_) > 2 and self.threshold != 0.5:
            raise ValueError(
                f"`threshold`={self.threshold!r} decides between two classes; the data has "
                f"{len(self.classes_)} (they are decided by the largest probability)"
            )
        if self.input == "text":
            self._text = TextPreparation(
                self.level, self.lower, self.strip_html, self.max_length, self.truncate
            )
            inputs = self._text.learn(samples, min_count=self.min_count, max_size=self.max_vocab)
        else:
            self._series = SeriesPreparation(self.step_hours, self.horizon_hours, self.aggregate)
            inputs = self._series.learn(samples)
        return inputs, self._targets(samples)

    def _prepare(self, samples: Any) -> Any:
        inputs = self._encode(samples)
        return inputs, None if samples.labels is None else self._targets(samples)

    def _encode(self, samples: Any) -> np.ndarray:
        return (self._text if self.input == "text" else self._series).encode(samples)

    def _targets(self, samples: Any) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes_)}
        unknown = [c for c in dict.fromkeys(samples.labels.tolist()) if c not in index]
        if unknown:
            raise GrukitDataError(
                f"{samples.source}: labels {unknown[:3]} are not among the training classes "
                f"{self.classes_}"
            )
        return np.array([index[c] for c in samples.labels.tolist()], dtype=np.int64)

    def _training_pairs(self, prepared: Any, part: str) -> tuple[np.ndarray, np.ndarray]:
        return prepared

    # -- the network -------------------------------------------------------------------------
    def _network_type(self) -> type:
        from grukit.tasks.classifier_networks import ClassifierEnsemble, ClassifierNetwork

        return ClassifierEnsemble if self.ensemble > 1 else ClassifierNetwork

    def _train_network(self, train_pair: Any, validation_pair: Any, *, checkpoint_dir: Any,
                       resume: bool, callbacks: Any) -> None:  # fmt: skip
        """One network, or ``ensemble`` of them one after the other (seed ``seed + i``, each
        with its checkpoints in ``checkpoint_dir/member-i``); ``history_`` is the first's."""
        if self.ensemble == 1:
            super()._train_network(
                train_pair, validation_pair, checkpoint_dir=checkpoint_dir, resume=resume,
                callbacks=callbacks,
            )  # fmt: skip
            return
        from dataclasses import replace
        from pathlib import Path

        from grukit.tasks.classifier_networks import ClassifierEnsemble, ClassifierNetwork

        options = {k: v for k, v in self._network_kwargs.items() if k != "members"}

        def build() -> ClassifierNetwork:
            network = ClassifierNetwork(**options)
            self._initialise_network(network)
            return network

        ensemble = ClassifierEnsemble(**self._network_kwargs)
        histories = []
        for index, member in enumerate(ensemble.members):
            config = replace(self.train_config, seed=self.train_config.seed + index)
            directory = None if checkpoint_dir is None else Path(checkpoint_dir) / f"member-{index}"
            network, history = self._fit_network(
                build, config, train_pair, validation_pair, checkpoint_dir=directory,
                resume=resume, callbacks=callbacks,
            )  # fmt: skip
            member.load_state_dict(network.state_dict())
            histories.append(history)
        self.network_, self.history_ = ensemble.eval(), histories[0]
        self.member_best_epochs_ = [h.best_epoch for h in histories]

    def _network_options(self) -> dict[str, Any]:
        gru_options = self.gru_config.to_dict()
        configured = gru_options.pop("recurrent_dropout")
        if configured and self.recurrent_dropout and configured != self.recurrent_dropout:
            raise ValueError(
                f"`recurrent_dropout`={self.recurrent_dropout} and gru_config's "
                f"recurrent_dropout={configured} disagree; give one"
            )
        options: dict[str, Any] = {
            "input": self.input, "n_classes": len(self.classes_),
            "hidden_size": self.hidden_size, "num_layers": self.num_layers,
            "bidirectional": self.bidirectional, "pooling": self.pooling,
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout or configured,
            "gru_options": gru_options,
        }  # fmt: skip
        if self.ensemble > 1:
            options["members"] = self.ensemble
        if self.input == "text":
            options["vocab_size"] = len(self._text.vocabulary)
            options["embedding_dim"] = self._embedding_size()
        else:
            options["n_variables"] = len(self._series.variables)
            options["n_static"] = len(self._series.static_columns)
            options["decay"] = self.decay
        return options

    def _embedding_size(self) -> int:
        if self.word_vectors is None:
            return int(self.embedding_dim)
        from grukit.tasks.word_vectors import read_word_vectors

        self._vectors = read_word_vectors(self.word_vectors, self._text.vocabulary)
        return int(self._vectors.shape[1])

    def _initialise_network(self, network: Any) -> None:
        vectors = getattr(self, "_vectors", None)
        if vectors is not None:
            from grukit.tasks.word_vectors import start_embedding

            start_embedding(network.embedding.weight, vectors)

    def _gru_shapes(self, steps: int) -> list[Any]:
        from grukit.tasks.memory import GRUShape

        options = self._network_kwargs
        size = options.get("embedding_dim") or 3 * options["n_variables"]
        directions = 2 if options["bidirectional"] else 1
        return [GRUShape(size, options["hidden_size"], options["num_layers"], directions, steps)]

    def _loss(self) -> Any:
        if self.class_weight is None:
            return "cross_entropy"
        import functools

        import torch

        counts = np.bincount(self._train_targets, minlength=len(self.classes_)).astype(np.float64)
        weight = len(self._train_targets) / (len(counts) * np.maximum(counts, 1))
        loss = functools.partial(
            torch.nn.functional.cross_entropy, weight=torch.tensor(weight, dtype=torch.float32)
        )
        functools.update_wrapper(loss, torch.nn.functional.cross_entropy)
        return loss

    def _before_training(self, train_pair: tuple[np.ndarray, np.ndarray]) -> None:
        self._train_targets = train_pair[1]

    # -- after training ----------------------------------------------------------------------
    def _finish_fit(self, fit: FitData) -> None:
        from grukit.tasks import classifier_scores as scores

        self.threshold_ = self.threshold_source_ = None
        if len(self.classes_) == 2:
            prepared = fit.validation_prepared if fit.validation is not None else fit.train_prepared
            proba = self._proba(prepared[0])[:, 1]
            self.threshold_ = scores.pick_threshold(prepared[1], proba, self.threshold)
            self.threshold_source_ = "validation" if fit.validation is not None else "training"
        self.baselines_ = {}
        if self.baselines:
            self.baselines_ = scores.fit_baselines(self, fit.train, fit.validation)

    def _learned_state(self) -> dict[str, Any]:
        prep = self._text if self.input == "text" else self._series
        return {
            "classes": list(self.classes_),
            "threshold": self.threshold_,
            "threshold_source": self.threshold_source_,
            "input": self.input,
            "preparation": prep.to_dict(),
            "baselines": self.baselines_,
        }

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        self.classes_ = list(state["classes"])
        self.threshold_ = state["threshold"]
        self.threshold_source_ = state["threshold_source"]
        if state["input"] == "text":
            self._text = TextPreparation.from_dict(state["preparation"])
        else:
            self._series = SeriesPreparation.from_dict(state["preparation"])
        self.baselines_ = dict(state["baselines"])

    # -- inference ---------------------------------------------------------------------------
    def _proba(self, inputs: np.ndarray) -> np.ndarray:
        logits = self._infer(inputs, batch_size=256)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict_proba(self, data: Any) -> np.ndarray:
        """(N, C) class probabilities, columns in ``classes_`` order."""
        self._check_fitted()
        return self._proba(self._encode(self._read(data, labelled=False)))

    def predict(self, data: Any) -> np.ndarray:
        """The predicted class of each sample (the threshold decides a binary problem)."""
        return self.labels_of(self.predict_proba(data))

    def labels_of(self, proba: np.ndarray) -> np.ndarray:
        """Class labels from (N, C) probabilities."""
        if self.threshold_ is not None:
            index = (proba[:, 1] >= self.threshold_).astype(np.int64)
        else:
            index = proba.argmax(axis=1)
        return np.asarray(self.classes_, dtype=object)[index]

    def evaluate(self, data: Any) -> dict[str, Any]:
        """Metrics of the network and of each baseline on labelled `data` (see
        :func:`grukit.tasks.classifier_scores.evaluate_models`)."""
        from grukit.tasks.classifier_scores import evaluate_models

        self._check_fitted()
        return evaluate_models(self, self._read(data))

    def score(self, data: Any) -> float:
        """Accuracy on labelled `data` (higher is better)."""
        samples = self._read(data)
        predicted = self.predict_proba_samples(samples)
        return float(np.mean(self.labels_of(predicted) == samples.labels))

    def predict_proba_samples(self, samples: Any) -> np.ndarray:
        """:meth:`predict_proba` of already read samples."""
        self._check_fitted()
        return self._proba(self._encode(samples))

    def attention(self, data: Any) -> list[tuple[list[str], np.ndarray]]:
        """(tokens, weights) per text for ``pooling="attention"``: what the network attended."""
        import torch

        self._check_fitted()
        samples = self._read(data, labelled=False)
        ids = self._encode(samples)
        with torch.inference_mode():
            weights = self.network_.attention_weights(torch.as_tensor(ids)).numpy()
        out = []
        for row in range(len(ids)):
            length = int((ids[row] != 0).sum())
            tokens = self._text.vocabulary.decode(ids[row, :length].tolist())
            out.append((tokens, weights[row, :length].astype(np.float64)))
        return out

    def stream(self, static: dict[str, float] | None = None) -> Any:
        """A streaming session: one token (text) or one observation (series) at a time, the
        current probabilities after each (:mod:`grukit.tasks.classifier_stream`)."""
        from grukit.tasks.classifier_stream import open_stream

        self._check_fitted()
        return open_stream(self, static)
