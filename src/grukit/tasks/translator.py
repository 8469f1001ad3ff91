"""``Seq2Seq``: GRU encoder-decoder translation (Cho et al. 2014), with additive attention
(Bahdanau et al. 2015) and beam search, scored with sacreBLEU and chrF.

Reading: :func:`grukit.text.read_parallel` (two parallel files, a TSV/CSV of two columns, or
lists); tokenisation and training arrays: :mod:`grukit.tasks.translator_prep`; the network:
:mod:`grukit.tasks.translator_networks`; decoding: :mod:`grukit.tasks.translator_decoding`;
scores: :mod:`grukit.tasks.translator_scores`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.tasks.base import FitData, Task
from grukit.tasks.translator_prep import (
    LEVELS,
    TextSide,
    TranslationPreparation,
    translation_pairs,
)
from grukit.text.parallel import ParallelText, read_parallel

__all__ = ["Seq2Seq"]


class Seq2Seq(Task):
    """A GRU encoder-decoder that translates text (or normalises it: dates, spellings).

    Parameters
    ----------
    tokens : {"subword", "word", "char"}
        How each side is cut: SentencePiece BPE subwords learnt per side (lossless: the output
        is detokenised exactly), white-space words, or characters.
    source_vocab_size, target_vocab_size : int
        The most token ids per side (specials included; for subwords an upper bound that small
        corpora may not reach).
    min_count : int
        Words or characters seen fewer times become ``<unk>`` (not for subwords).
    lower : bool
        Lower-case both sides first.
    max_length : int
        The most tokens per side: longer training pairs are left out (logged), and a longer
        sentence to translate is refused.
    embedding_dim, hidden_size : the embeddings and the encoder's GRU per direction.
    decoder_size : int, optional
        The decoder GRU's size (default ``hidden_size``).
    encoder_layers, decoder_layers, bidirectional : the GRU stacks.
    attention : bool
        Additive attention (Bahdanau et al. 2015) over the encoder's outputs; False is Cho et
        al.'s decoder, fed the encoder's final states at every step and in the output layer.
    attention_size : int, optional
        The attention's hidden size (default ``decoder_size``).
    dropout : float
        On the embeddings, between GRU layers and before the output layer.
    tie_embeddings : bool
        The output layer shares its weight with the target embedding.
    teacher_forcing, teacher_forcing_final : float
        The probability that the decoder reads the reference token (else its own arg max)
        in the first epoch, moved linearly to `teacher_forcing_final` (default: the same) in
        the last (scheduled sampling, Bengio et al. 2015).
    label_smoothing : float
        Of the training loss (validation and perplexity are not smoothed).
    beam, length_penalty : the default decoding (``beam=1``: greedy; see
        :mod:`grukit.tasks.translator_decoding`).
    mixed_precision : bool
        The output layer in bfloat16 while training (CPUs with AVX-512 BF16 or AMX).
    gru_config, train_config, verbose : as every task.

    Examples
    --------
    >>> from grukit.train import TrainConfig
    >>> pairs = [("eins zwei", "one two"), ("zwei eins", "two one"), ("eins", "one")] * 30
    >>> model = Seq2Seq(tokens="word", embedding_dim=16, hidden_size=16,
    ...                 train_config=TrainConfig(epochs=30, batch_size=8, learning_rate=0.01),
    ...                 verbose=False).fit(pairs)
    >>> model.translate(["zwei eins"])
    ['two one']
    """

    task: ClassVar[str] = "seq2seq"

    def __init__(
        self,
        *,
        tokens: str = "subword",
        source_vocab_size: int = 8000,
        target_vocab_size: int = 8000,
        min_count: int = 1,
        lower: bool = False,
        max_length: int = 100,
        embedding_dim: int = 256,
        hidden_size: int = 256,
        decoder_size: int | None = None,
        encoder_layers: int = 1,
        decoder_layers: int = 1,
        bidirectional: bool = True,
        attention: bool = True,
        attention_size: int | None = None,
        dropout: float = 0.3,
        tie_embeddings: bool = True,
        teacher_forcing: float = 1.0,
        teacher_forcing_final: float | None = None,
        label_smoothing: float = 0.0,
        beam: int = 5,
        length_penalty: float = 1.0,
        mixed_precision: bool = False,
        gru_config: Any = None,
        train_config: Any = None,
        verbose: bool | int = True,
    ) -> None:
        super().__init__(locals())

    def _check_params(self, given: dict[str, Any]) -> dict[str, Any]:
        p = dict(given)
        p["tokens"] = checks.choice("tokens", p["tokens"], LEVELS)
        for name in ("min_count", "max_length", "embedding_dim", "hidden_size",
                     "encoder_layers", "decoder_layers", "beam"):  # fmt: skip
            p[name] = checks.positive_int(name, p[name])
        for name in ("source_vocab_size", "target_vocab_size"):
            p[name] = checks.integer(name, p[name], minimum=8)
        for name in ("decoder_size", "attention_size"):
            if p[name] is not None:
                p[name] = checks.positive_int(name, p[name])
        for name in ("lower", "bidirectional", "attention", "tie_embeddings", "mixed_precision"):
            p[name] = checks.flag(name, p[name])
        for name in ("dropout", "label_smoothing"):
            p[name] = checks.probability(name, p[name])
        for name in ("teacher_forcing", "teacher_forcing_final"):
            if p[name] is not None:
                p[name] = checks.number(name, p[name], low=0.0, high=1.0)
        p["length_penalty"] = checks.number("length_penalty", p["length_penalty"], low=0.0)
        cell = p.get("gru_config")
        if getattr(cell, "recurrent_dropout", 0.0) > 0:  # a mask per whole sequence
            raise ValueError(
                "gru_config.recurrent_dropout is not available for Seq2Seq: its decoder runs "
                "one step at a time (use dropout)"
            )
        return p

    # -- reading and preparation -----------------------------------------------------------
    def _read(self, data: Any, *, training: bool = False) -> ParallelText:
        if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
            return read_parallel(data[0], data[1])
        return read_parallel(data)

    def _split_validation(self, text: ParallelText, fraction: float
                          ) -> tuple[ParallelText, ParallelText]:  # fmt: skip
        """The last `fraction` of the pairs."""
        cut = len(text) - int(round(len(text) * fraction))
        if cut < 1 or cut >= len(text):
            raise GrukitDataError(f"a validation fraction of {fraction} of {text.source} "
                                  f"({len(text)} pairs) leaves one side empty")  # fmt: skip
        return (ParallelText(text.sources[:cut], text.targets[:cut], text.source),
                ParallelText(text.sources[cut:], text.targets[cut:], text.source))  # fmt: skip

    def _learn_preparation(self, text: ParallelText) -> Any:
        options = {"min_count": self.min_count, "lower": self.lower}
        source = TextSide.learn(text.sources, self.tokens, vocab_size=self.source_vocab_size,
                                **options)  # fmt: skip
        target = TextSide.learn(text.targets, self.tokens, vocab_size=self.target_vocab_size,
                                **options)  # fmt: skip
        self._prep = TranslationPreparation(source, target, self.max_length)
        return self._prep.encode(text, part="training data")

    def _prepare(self, text: ParallelText) -> Any:
        return self._prep.encode(text, part="validation data")

    def _training_pairs(self, prepared: Any, part: str) -> tuple[np.ndarray, np.ndarray]:
        return translation_pairs(*prepared)

    # -- the network -------------------------------------------------------------------------
    def _network_type(self) -> type:
        from grukit.tasks.translator_networks import TranslatorNetwork

        return TranslatorNetwork

    def _network_options(self) -> dict[str, Any]:
        return {
            "source_size": self._prep.source.size, "target_size": self._prep.target.size,
            "embedding_dim": self.embedding_dim, "hidden_size": self.hidden_size,
            "decoder_size": self.decoder_size or self.hidden_size,
            "encoder_layers": self.encoder_layers, "decoder_layers": self.decoder_layers,
            "bidirectional": self.bidirectional, "attention": self.attention,
            "attention_size": self.attention_size or 0, "dropout": self.dropout,
            "tie_embeddings": self.tie_embeddings, "mixed_precision": self.mixed_precision,
            "gru_options": self.gru_config.to_dict(),
        }  # fmt: skip

    def _gru_shapes(self, steps: int) -> list[Any]:
        from grukit.tasks.memory import GRUShape

        o = self._network_kwargs
        directions = 2 if o["bidirectional"] else 1
        context = directions * o["hidden_size"]
        return [
            GRUShape(o["embedding_dim"], o["hidden_size"], o["encoder_layers"], directions, steps),
            GRUShape(o["embedding_dim"] + context, o["decoder_size"], o["decoder_layers"], 1,
                     steps),
        ]  # fmt: skip

    def _check_memory(self, inputs: np.ndarray) -> None:
        from grukit.tasks.memory import check_training_memory

        batch = min(self.train_config.batch_size, max(len(inputs), 1))
        check_training_memory(self._gru_shapes(int(inputs.shape[-1])), batch)

    def _loss(self) -> Any:
        from grukit.tasks.translator_networks import TranslationLoss

        return TranslationLoss(self.label_smoothing)

    def _fit_network(self, build: Any, config: Any, train_pair: Any, validation_pair: Any,
                     *, callbacks: Any = (), **options: Any) -> Any:  # fmt: skip
        """The base's training with the teacher-forcing schedule as a callback, the batches
        bucketed by length (:attr:`grukit.train.TrainConfig.bucket`)."""
        from grukit.tasks.translator_networks import TeacherForcing

        final = self.teacher_forcing_final
        schedule = TeacherForcing(self.teacher_forcing,
                                  self.teacher_forcing if final is None else final,
                                  config.epochs)  # fmt: skip
        config = replace(config, bucket=True)  # batches of similar lengths
        return super()._fit_network(build, config, train_pair, validation_pair,
                                    callbacks=[schedule, *callbacks], **options)  # fmt: skip

    # -- after training ----------------------------------------------------------------------
    def _finish_fit(self, fit: FitData) -> None:
        self.network_.teacher_forcing = 1.0

    def _learned_state(self) -> dict[str, Any]:
        return {"preparation": self._prep.to_dict()}

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        self._prep = TranslationPreparation.from_dict(state["preparation"])

    @property
    def preparation_(self) -> TranslationPreparation:
        """The two sides' tokenisation and the length limit."""
        self._check_fitted()
        return self._prep

    # -- translating -------------------------------------------------------------------------
    def translate(self, sentences: Any, *, beam: int | None = None,
                  length_penalty: float | None = None, max_length: int | None = None,
                  batch_size: int = 64, progress: Any = None) -> list[str]:  # fmt: skip
        """Detokenised translations of `sentences` (a str or a list of str), decoded with
        `beam` (default: the model's; 1 is greedy). See
        :func:`grukit.tasks.translator_scores.translate_all`."""
        from grukit.tasks.translator_scores import translate_all

        self._check_fitted()
        single = isinstance(sentences, str)
        results = translate_all(self, [sentences] if single else sentences, beam=beam,
                                length_penalty=length_penalty, max_length=max_length,
                                batch_size=batch_size, progress=progress)  # fmt: skip
        return [result.text for result in results]

    def attention_weights(self, sentence: str, *, beam: int | None = None) -> dict[str, Any]:
        """The translation of `sentence` with its attention weights: ``source`` and ``target``
        tokens and ``weights`` (target steps, with ``</s>`` when the translation ended rather
        than reached the length limit, by source tokens), rows summing to 1.
        Raises ValueError for a model without attention."""
        from grukit.tasks.translator_scores import translate_all

        self._check_fitted()
        if not self.network_.attention:
            raise ValueError("this model has no attention (it was trained with attention=False)")
        (result,) = translate_all(self, [sentence], beam=beam, attention=True)
        side = self._prep.target
        target = [side.decode([i]) if side.subwords is None else side.subwords.piece(i)
                  for i in result.ids]  # fmt: skip
        if result.attention is not None and len(result.attention) > len(target):
            target.append("</s>")  # the end was chosen (not cut at the length limit)
        return {"source": self._prep.source.tokens(sentence), "target": target,
                "weights": result.attention, "translation": result.text}  # fmt: skip

    # -- scoring -----------------------------------------------------------------------------
    def evaluate(self, data: Any, *, beam: int | None = None, progress: Any = None
                 ) -> dict[str, Any]:  # fmt: skip
        """BLEU and chrF (sacreBLEU, on detokenised text, with their signatures), exact match
        and perplexity on `data` (parallel text), beside copying the source as a floor
        (:func:`grukit.tasks.translator_scores.evaluate_translator`)."""
        from grukit.tasks.translator_scores import evaluate_translator

        self._check_fitted()
        return evaluate_translator(self, self._read(data), beam=beam, progress=progress)

    def score(self, data: Any) -> float:
        """Corpus BLEU (sacreBLEU) of the default decoding on `data`."""
        return float(self.evaluate(data)["model"]["bleu"])
