"""``SequenceTagger``: a label per token (named entities, chunks), scored per entity as
``conlleval`` and ``seqeval`` score it, beside the most-frequent-tag baseline.

The network (:mod:`grukit.tasks.tagger_networks`) reads each token's lower-cased word, its
casing and its characters, runs a (bidirectional) GRU over the sentence with its true length and
scores every tag per token; a linear-chain CRF (``crf=True``) decodes the best tag sequence the
scheme allows. Training data in IOB1, IOB2 or BIOES is converted to the training scheme
(``scheme``, BIOES by default); predictions are written back in the input's scheme.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.tasks.base import FitData, Task
from grukit.tasks.tagger_data import read_sentences, render_tags
from grukit.tasks.tagger_prep import TaggingPreparation

__all__ = ["SequenceTagger"]

_SCHEMES = ("IOB1", "IOB2", "BIOES")


class SequenceTagger(Task):
    """A GRU tagger of tokenised sentences (BiGRU-CRF with character features by default).

    Parameters
    ----------
    hidden_size, num_layers, bidirectional : the sentence GRU's shape.
    char_features : bool
        A character-level BiGRU per word (``char_hidden`` units per direction over
        ``char_dim``-wide character embeddings), concatenated with the word embedding.
    casing : bool
        A small embedding of each token's capitalisation class.
    crf : bool
        A linear-chain CRF over the tag scores, with the scheme's transition constraints.
    dropout : float
        On the token features, between GRU layers and before the tag scores.
    unknown_rate : float
        While training, a word seen once becomes ``<unk>`` with this probability.
    embedding_dim : int
        The word embedding (a ``word_vectors`` file's size wins).
    word_vectors : str, optional
        A word2vec/GloVe text file to initialise the word embedding.
    scheme : {"BIOES", "IOB2", "IOB1"}
        The scheme the network is trained and decodes in.
    label_column, token_column : columns of a CoNLL file (negative counts from the end).
    input_scheme : {"auto", "IOB1", "IOB2", "BIOES"}
        The scheme of the files read: detected, or declared and checked strictly.
    strict : bool
        Refuse labelled data with an entity type the training data never had (else such
        entities count as missed).
    min_count, max_vocab : the word vocabulary.
    max_word_chars : int
        Characters of a word the character GRU reads (its first ones).
    baselines : bool
        Fit the most-frequent-tag baseline beside the network.
    gru_config, train_config, verbose : as every task.

    Examples
    --------
    >>> from grukit.train import TrainConfig
    >>> tokens = [["Ann", "lives", "in", "Paris"], ["Bob", "met", "Ann"]] * 8
    >>> labels = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O", "B-PER"]] * 8
    >>> tagger = SequenceTagger(hidden_size=8, embedding_dim=8, baselines=False,
    ...                         train_config=TrainConfig(epochs=2), verbose=False)
    >>> len(tagger.fit((tokens, labels)).predict([["Ann", "met", "Bob"]])[0])
    3
    """

    task: ClassVar[str] = "sequence_tagger"

    def __init__(
        self,
        *,
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = True,
        char_features: bool = True,
        casing: bool = True,
        crf: bool = True,
        dropout: float = 0.5,
        unknown_rate: float = 0.5,
        embedding_dim: int = 100,
        char_dim: int = 25,
        char_hidden: int = 25,
        word_vectors: str | None = None,
        scheme: str = "BIOES",
        label_column: int = -1,
        token_column: int = 0,
        input_scheme: str = "auto",
        strict: bool = True,
        min_count: int = 1,
        max_vocab: int | None = None,
        max_word_chars: int = 20,
        baselines: bool = True,
        gru_config: Any = None,
        train_config: Any = None,
        verbose: bool | int = True,
    ) -> None:
        super().__init__(locals())

    def _check_params(self, given: dict[str, Any]) -> dict[str, Any]:
        p = dict(given)
        for name in ("hidden_size", "num_layers", "embedding_dim", "char_dim", "char_hidden",
                     "min_count", "max_word_chars"):  # fmt: skip
            p[name] = checks.positive_int(name, p[name])
        if p["max_vocab"] is not None:
            p["max_vocab"] = checks.positive_int("max_vocab", p["max_vocab"])
        for name in ("bidirectional", "char_features", "casing", "crf", "strict", "baselines"):
            p[name] = checks.flag(name, p[name])
        p["dropout"] = checks.probability("dropout", p["dropout"])
        p["unknown_rate"] = checks.probability("unknown_rate", p["unknown_rate"])
        p["scheme"] = checks.choice("scheme", p["scheme"], _SCHEMES)
        p["input_scheme"] = checks.choice("input_scheme", p["input_scheme"], ("auto", *_SCHEMES))
        for name in ("label_column", "token_column"):
            p[name] = checks.integer(name, p[name])
        return p

    # -- reading -----------------------------------------------------------------------------
    def _read(self, data: Any, *, training: bool = False, labelled: bool = True) -> Any:
        read = read_sentences(
            data, labelled=labelled, label_column=self.label_column,
            token_column=self.token_column, scheme=self.input_scheme,
        )  # fmt: skip
        if training:
            self.input_scheme_ = read.scheme
        return read

    def read(self, data: Any, *, labelled: bool = True) -> Any:
        """The sentences of `data` as this tagger reads them (:class:`TaggedSentences`)."""
        return self._read(data, labelled=labelled)

    def _split_validation(self, data: Any, fraction: float) -> tuple[Any, Any]:
        """The last `fraction` of the sentences (documents stay whole, mostly)."""
        import dataclasses

        cut = len(data) - int(round(len(data) * fraction))
        if cut <= 0 or cut >= len(data):
            raise GrukitDataError(
                f"a validation fraction of {fraction} of {len(data)} sentences leaves one side "
                "empty; use more data or another fraction"
            )
        first = dataclasses.replace(data, tokens=data.tokens[:cut], labels=data.labels[:cut])
        last = dataclasses.replace(data, tokens=data.tokens[cut:], labels=data.labels[cut:])
        return first, last

    # -- preparation -------------------------------------------------------------------------
    def _learn_preparation(self, sentences: Any) -> Any:
        self._prep = TaggingPreparation(scheme=self.scheme, max_word_chars=self.max_word_chars)
        pair = self._prep.learn(sentences, min_count=self.min_count, max_vocab=self.max_vocab)
        self.tags_ = list(self._prep.tags)
        self.types_ = sorted({tag[2:] for tag in self.tags_ if tag != "O"})
        return pair

    def _prepare(self, sentences: Any) -> Any:
        """The validation sentences (``fit`` prepares no other), kept for the F1 per epoch."""
        self._check_types(sentences)
        self._validation_sentences = sentences
        return self._prep.encode(sentences), self._prep.targets(self._known(sentences))

    def _check_types(self, sentences: Any) -> None:
        if self.strict and sentences.labels is not None:
            from grukit.text.conll import check_types

            check_types(sentences, self.types_)

    def _known(self, sentences: Any) -> Any:
        """`sentences` with labels of unknown types read as ``O`` (``strict=False``)."""
        import dataclasses

        known = set(self.types_)
        labels = [
            [label if label == "O" or label[2:] in known else "O" for label in row]
            for row in sentences.labels
        ]
        labels = [render_tags(row, sentences.scheme, sentences.scheme) for row in labels]
        return dataclasses.replace(sentences, labels=labels)

    def _training_pairs(self, prepared: Any, part: str) -> tuple[np.ndarray, np.ndarray]:
        return prepared

    # -- the network -------------------------------------------------------------------------
    def _network_type(self) -> type:
        from grukit.tasks.tagger_networks import TaggerNetwork

        return TaggerNetwork

    def _network_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "n_tags": len(self.tags_), "vocab_size": len(self._prep.words),
            "word_dim": self._embedding_size(), "n_chars": len(self._prep.chars),
            "char_dim": self.char_dim, "char_hidden": self.char_hidden if self.char_features else 0,
            "case_dim": 8 if self.casing else 0, "hidden_size": self.hidden_size,
            "num_layers": self.num_layers, "bidirectional": self.bidirectional,
            "dropout": self.dropout, "rare_from": self._prep.rare_from,
            "unknown_rate": self.unknown_rate, "crf": self.crf,
            "gru_options": self.gru_config.to_dict(),
        }  # fmt: skip
        if self.crf:
            from grukit.text import allowed_transitions

            start, allowed, end = allowed_transitions(self.tags_, self.scheme)
            options.update(
                allowed_start=start.tolist(), allowed=allowed.tolist(), allowed_end=end.tolist()
            )
        return options

    def _embedding_size(self) -> int:
        if self.word_vectors is None:
            return int(self.embedding_dim)
        from grukit.tasks.word_vectors import read_word_vectors

        self._vectors = read_word_vectors(self.word_vectors, self._prep.words)
        return int(self._vectors.shape[1])

    def _initialise_network(self, network: Any) -> None:
        import torch

        from grukit.tasks.word_vectors import start_embedding

        self._training_network = network  # the loss reads its CRF
        weight = network.word_embedding.weight
        with torch.no_grad():  # uniform in +-sqrt(3 / dim) (Ma & Hovy 2016), padding zero
            bound = float(np.sqrt(3.0 / weight.shape[1]))
            weight.uniform_(-bound, bound)
            weight[0] = 0
        vectors = getattr(self, "_vectors", None)
        if vectors is not None:
            start_embedding(weight, vectors)

    def _gru_shapes(self, steps: int) -> list[Any]:
        from grukit.tasks.memory import GRUShape

        o = self._network_kwargs
        size = o["word_dim"] + o["case_dim"] + 2 * o["char_hidden"]
        directions = 2 if o["bidirectional"] else 1
        return [GRUShape(size, o["hidden_size"], o["num_layers"], directions, steps)]

    def _fit_network(self, build: Any, config: Any, train_pair: Any, validation_pair: Any,
                     *, checkpoint_dir: Any, resume: bool, callbacks: Any) -> Any:  # fmt: skip
        """The base's training, with the epoch chosen (and early stopping decided) by the
        validation entity F1 (:class:`~grukit.tasks.tagger_scores.BestValidationF1`)."""
        sentences = self.__dict__.pop("_validation_sentences", None)
        chooser = None
        if validation_pair is not None and sentences is not None:
            from dataclasses import replace

            from grukit.tasks.tagger_scores import BestValidationF1

            chooser = BestValidationF1(self, sentences, config.patience, checkpoint_dir)
            config, callbacks = replace(config, patience=None), [*callbacks, chooser]
        network, history = super()._fit_network(
            build, config, train_pair, validation_pair, checkpoint_dir=checkpoint_dir,
            resume=resume, callbacks=callbacks,
        )  # fmt: skip
        self.validation_f1_ = None if chooser is None else list(chooser.scores)
        return network, history

    def _loss(self) -> Any:
        import functools

        from grukit.tasks.tagger_networks import tagging_loss

        loss = functools.partial(tagging_loss, self._training_network)
        functools.update_wrapper(loss, tagging_loss)
        return loss

    # -- after training ----------------------------------------------------------------------
    def _finish_fit(self, fit: FitData) -> None:
        self.__dict__.pop("_training_network", None)
        self.baseline_ = None
        if self.baselines:
            from grukit.baselines.tagging import MostFrequentTag

            baseline = MostFrequentTag().fit(fit.train.tokens, fit.train.labels)
            self.baseline_ = baseline.to_dict()

    def _learned_state(self) -> dict[str, Any]:
        return {
            "preparation": self._prep.to_dict(),
            "input_scheme": self.input_scheme_,
            "types": list(self.types_),
            "baseline": self.baseline_,
            "validation_f1": self.validation_f1_,
        }

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        self._prep = TaggingPreparation.from_dict(state["preparation"])
        self.tags_ = list(self._prep.tags)
        self.input_scheme_ = str(state["input_scheme"])
        self.types_ = [str(kind) for kind in state["types"]]
        self.baseline_ = state["baseline"]
        self.validation_f1_ = state.get("validation_f1")

    # -- inference ---------------------------------------------------------------------------
    def _decode(
        self, sentences: Any, network: Any = None, batch_size: int = 256
    ) -> list[list[str]]:
        """The predicted labels of read `sentences` in the training scheme (by ``network_``, or
        by `network` in training)."""
        import torch

        from grukit.runtime.threads import compute_threads, step_work

        network = self.network_ if network is None else network
        inputs = self._prep.encode(sentences)
        order = np.argsort([len(t) for t in sentences.tokens], kind="stable")  # similar lengths
        found: list[list[str]] = [[] for _ in range(len(sentences))]
        with compute_threads(step_work(network, batch_size)), torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                best = network.decode(torch.as_tensor(inputs[rows])).numpy()
                lengths = [len(sentences.tokens[row]) for row in rows]
                for row, labels in zip(rows, self._prep.labels_of(best, lengths), strict=True):
                    found[row] = labels
        return found

    def predict_sentences(self, sentences: Any, scheme: str | None = None) -> list[list[str]]:
        """Predicted labels of read `sentences`, in `scheme` (default: the sentences' own
        scheme if labelled, else the training data's)."""
        self._check_fitted()
        if scheme is None:
            scheme = sentences.scheme if sentences.labels is not None else self.input_scheme_
        return [render_tags(labels, self.scheme, scheme) for labels in self._decode(sentences)]

    def predict(self, data: Any) -> list[list[str]]:
        """One predicted label per token of each sentence of `data` (a CoNLL or .txt file, token
        lists, sentences), in the scheme of its labels, or of the training data's."""
        return self.predict_sentences(self._read(data, labelled=False))

    def evaluate(self, data: Any) -> dict[str, Any]:
        """Entity-level scores of the network and of the baseline on labelled `data`
        (:func:`grukit.tasks.tagger_scores.evaluate_tagger`)."""
        from grukit.tasks.tagger_scores import evaluate_tagger

        self._check_fitted()
        return evaluate_tagger(self, self._read(data))

    def score(self, data: Any) -> float:
        """Entity-level F1 on labelled `data` (higher is better)."""
        return float(self.evaluate(data)["model"]["f1"])
