"""``SequenceGenerator``: GRU language models of text (characters or words), of melodies and of
polyphonic music, scored by perplexity or per-frame likelihood, sampled on the streaming step.

Reading: :mod:`grukit.tasks.generator_data`; the training arrays (stateful truncated
backpropagation through time for tokens, padded pieces for music):
:mod:`grukit.tasks.generator_prep`; the network: :mod:`grukit.tasks.generator_networks`;
scores and baselines: :mod:`grukit.tasks.generator_scores`; sampling:
:mod:`grukit.tasks.generator_sampling`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.tasks.base import FitData, Task
from grukit.tasks.generator_data import EOS, LEVELS, Corpus, read_corpus
from grukit.tasks.generator_prep import GenerationPreparation, music_pairs, stream_pairs

__all__ = ["SequenceGenerator"]


def _is_mat(data: Any) -> bool:
    return isinstance(data, (str, Path)) and Path(data).suffix.lower() == ".mat"


class SequenceGenerator(Task):
    """A GRU that predicts the next character, word, note or piano-roll frame, and samples.

    Parameters
    ----------
    level : {"char", "word", "note", "music"}
        What a step is: a character, a word (white-space split, ``<eos>`` at each line end),
        a melody's note (MIDI pitch or rest), or a frame of 88 piano keys (many on at once).
    hidden_size, num_layers : the GRU's shape.
    embedding_dim : int, optional
        The token embedding (default ``hidden_size``); token levels only.
    tie_weights : bool
        Share the output layer's weight with the embedding (token levels; a projection
        ``hidden_size -> embedding_dim`` comes first when they differ).
    dropout : float
        Between GRU layers and before the output layer (and on the input frames for music,
        unless `input_dropout` is given).
    embedding_dropout : float
        While training, each token's embedding vector is dropped with this probability.
    input_dropout : float, optional
        Music only: dropout on the input frames (the keys of the frames the model reads), apart
        from `dropout`; None: `dropout`. Less noise on the inputs than on the outputs trains
        better models (JSB Chorales: input 0.2, output 0.5, docs/benchmarks.md).
    bptt : int
        Steps per truncation: tokens are trained on chunks of this many steps, the state
        carried from one chunk to the next (``train_config.batch_size`` is the number of
        parallel streams).
    lower : bool
        Lower-case text before reading it.
    min_count, max_vocab : the token vocabulary (rarer tokens become ``<unk>``).
    mixed_precision : bool
        While training, compute the output layer in bfloat16 (:func:`torch.autocast`); the
        loss, scores and sampling stay float32. With a large vocabulary the output layer is
        most of the cost: a Penn Treebank training step (10,000 words, 2 x 200) runs 1.4x
        faster on a 2-core AVX-512 BF16 CPU (docs/performance.md). CPUs without bfloat16
        arithmetic (no AVX-512 BF16 or AMX) emulate it and get slower: leave it off there.
    baselines : bool
        Fit the baseline (unigram tokens, key frequencies for music) beside the network.
    gru_config, train_config, verbose : as every task.

    Examples
    --------
    >>> from grukit.train import TrainConfig
    >>> text = ["the cat sat on the mat", "the dog sat on the log"] * 20
    >>> model = SequenceGenerator(level="char", hidden_size=16, bptt=16,
    ...                           train_config=TrainConfig(epochs=2, batch_size=4),
    ...                           verbose=False).fit(text)
    >>> len(model.sample(20, prompt="the ", seed=0))
    20
    """

    task: ClassVar[str] = "sequence_generator"

    def __init__(
        self,
        *,
        level: str = "char",
        hidden_size: int = 256,
        num_layers: int = 2,
        embedding_dim: int | None = None,
        tie_weights: bool = True,
        dropout: float = 0.2,
        embedding_dropout: float = 0.0,
        input_dropout: float | None = None,
        bptt: int = 64,
        lower: bool = False,
        min_count: int = 1,
        max_vocab: int | None = None,
        mixed_precision: bool = False,
        baselines: bool = True,
        gru_config: Any = None,
        train_config: Any = None,
        verbose: bool | int = True,
    ) -> None:
        super().__init__(locals())

    def _check_params(self, given: dict[str, Any]) -> dict[str, Any]:
        p = dict(given)
        p["level"] = checks.choice("level", p["level"], LEVELS)
        for name in ("hidden_size", "num_layers", "bptt", "min_count"):
            p[name] = checks.positive_int(name, p[name])
        for name in ("embedding_dim", "max_vocab"):
            if p[name] is not None:
                p[name] = checks.positive_int(name, p[name])
        for name in ("tie_weights", "lower", "baselines", "mixed_precision"):
            p[name] = checks.flag(name, p[name])
        p["dropout"] = checks.probability("dropout", p["dropout"])
        p["embedding_dropout"] = checks.probability("embedding_dropout", p["embedding_dropout"])
        if p["input_dropout"] is not None:
            if p["level"] != "music":
                raise ValueError(
                    f"input_dropout is for level='music' (the input frames), got level="
                    f"{p['level']!r}; token levels drop embeddings: use embedding_dropout"
                )
            p["input_dropout"] = checks.probability("input_dropout", p["input_dropout"])
        return p

    @property
    def tokens(self) -> bool:
        """Whether steps are tokens (not piano-roll frames)."""
        return self.level != "music"

    # -- reading -----------------------------------------------------------------------------
    def _read(self, data: Any, *, training: bool = False, split: str | None = None) -> Corpus:
        split = split or ("train" if training else "valid")
        return read_corpus(data, self.level, lower=self.lower, split=split)

    def read(self, data: Any, *, split: str = "test") -> Corpus:
        """The :class:`~grukit.tasks.generator_data.Corpus` of `data` as this model reads it
        (`split`: the part of a ``.mat`` file)."""
        return self._read(data, split=split)

    def fit(self, data: Any, validation: Any = None, **options: Any) -> SequenceGenerator:
        """As :meth:`Task.fit`; a ``.mat`` file of piano rolls trains on its ``train`` part and,
        without other validation data, validates on its ``valid`` part."""
        if validation is None and _is_mat(data):
            validation = data
        return super().fit(data, validation, **options)

    def _split_validation(self, corpus: Corpus, fraction: float) -> tuple[Corpus, Corpus]:
        """The last `fraction` of the pieces (music) or of the tokens (token levels)."""
        if self.tokens:
            stream = [token for document in corpus.documents for token in document]
            cut = len(stream) - int(round(len(stream) * fraction))
            parts = [[stream[:cut]], [stream[cut:]]]
        else:
            cut = len(corpus) - int(round(len(corpus) * fraction))
            parts = [corpus.documents[:cut], corpus.documents[cut:]]
        if cut <= 1 or not parts[1] or not len(parts[1][-1]):
            raise GrukitDataError(
                f"a validation fraction of {fraction} of {corpus.source} leaves one side "
                "empty; use more data or another fraction"
            )
        return Corpus(self.level, parts[0], corpus.source), Corpus(
            self.level, parts[1], corpus.source
        )

    # -- preparation -------------------------------------------------------------------------
    def _learn_preparation(self, corpus: Corpus) -> Any:
        self._prep = GenerationPreparation(self.level)
        self._prep.learn(corpus, min_count=self.min_count, max_vocab=self.max_vocab)
        return self._prepare(corpus)

    def _prepare(self, corpus: Corpus) -> Any:
        return self._prep.stream(corpus) if self.tokens else list(corpus.documents)

    def _training_pairs(self, prepared: Any, part: str) -> tuple[np.ndarray, np.ndarray]:
        try:
            if self.tokens:
                return stream_pairs(prepared, self.train_config.batch_size, self.bptt)
            return music_pairs(prepared)
        except GrukitDataError as error:
            raise GrukitDataError(f"{part}: {error}") from None

    # -- the network -------------------------------------------------------------------------
    def _network_type(self) -> type:
        from grukit.tasks.generator_networks import GeneratorNetwork

        return GeneratorNetwork

    def _network_options(self) -> dict[str, Any]:
        embedding = self.embedding_dim or self.hidden_size
        return {
            "kind": "tokens" if self.tokens else "frames", "size": self._prep.size,
            "hidden_size": self.hidden_size, "num_layers": self.num_layers,
            "embedding_dim": embedding if self.tokens else 0, "dropout": self.dropout,
            "embedding_dropout": self.embedding_dropout if self.tokens else 0.0,
            "tie_weights": self.tie_weights and self.tokens, "stateful": self.tokens,
            "mixed_precision": self.mixed_precision, "input_dropout": self.input_dropout,
            "gru_options": self.gru_config.to_dict(),
        }  # fmt: skip

    def _gru_shapes(self, steps: int) -> list[Any]:
        from grukit.tasks.memory import GRUShape

        o = self._network_kwargs
        size = o["embedding_dim"] if self.tokens else 88
        return [GRUShape(size, o["hidden_size"], o["num_layers"], 1, steps)]

    def _fit_network(self, build: Any, config: Any, train_pair: Any, validation_pair: Any,
                     **options: Any) -> Any:  # fmt: skip
        """The base's training; token batches are read in order (the state is carried)."""
        if self.tokens:
            from dataclasses import replace

            config = replace(config, shuffle=False)
        return super()._fit_network(build, config, train_pair, validation_pair, **options)

    def _loss(self) -> Any:
        from grukit.tasks.generator_networks import frames_loss, tokens_loss

        return tokens_loss if self.tokens else frames_loss

    # -- after training ----------------------------------------------------------------------
    def _finish_fit(self, fit: FitData) -> None:
        from grukit.tasks.generator_scores import frame_baseline, unigram_baseline

        self.baseline_ = None
        if self.baselines:
            prepared = fit.train_prepared
            if self.tokens:
                self.baseline_ = unigram_baseline(prepared, self._prep.size)
            else:
                self.baseline_ = frame_baseline(prepared)

    def _learned_state(self) -> dict[str, Any]:
        return {"preparation": self._prep.to_dict(), "baseline": self.baseline_}

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        self._prep = GenerationPreparation.from_dict(state["preparation"])
        self.baseline_ = state["baseline"]

    @property
    def vocabulary_(self) -> Any:
        """The token :class:`grukit.text.Vocabulary` (None for music)."""
        self._check_fitted()
        return self._prep.vocabulary

    # -- scoring -----------------------------------------------------------------------------
    def evaluate(self, data: Any, *, split: str = "test") -> dict[str, Any]:
        """The network's and the baseline's scores on `data`
        (:func:`grukit.tasks.generator_scores.evaluate_generator`): perplexity and bits per
        token, or the NLL per frame and frame accuracy (music)."""
        from grukit.tasks.generator_scores import evaluate_generator

        self._check_fitted()
        return evaluate_generator(self, self._read(data, split=split))

    def score(self, data: Any) -> float:
        """Minus the cross-entropy per token, or minus the NLL per frame (higher is better)."""
        scores = self.evaluate(data)["model"]
        return -float(scores["nll_per_frame" if self.level == "music" else "cross_entropy"])

    # -- sampling ----------------------------------------------------------------------------
    def sample(self, n: int, *, prompt: Any = None, temperature: float = 1.0,
               top_k: int | None = None, top_p: float | None = None,
               seed: int | None = None) -> Any:  # fmt: skip
        """`n` new steps after `prompt`, drawn on the GRU's streaming step.

        Returns text (``"char"``: the characters; ``"word"``: words joined by spaces, ``<eos>``
        as a line end), a list of MIDI pitches with -1 for a rest (``"note"``), or a (n, 88)
        uint8 piano roll (``"music"``). `prompt`: text, a list of pitches, or a (T, 88) roll
        (default: a line end, or silence). The same `seed` gives the same sample.
        """
        from grukit.tasks.generator_sampling import sample_frames, sample_tokens

        self._check_fitted()
        n = checks.positive_int("n", n)
        temperature = checks.number("temperature", temperature, low=0.0, low_open=True)
        if self.tokens:
            if top_k is not None:
                top_k = checks.positive_int("top_k", top_k)
            if top_p is not None:
                top_p = checks.number("top_p", top_p, low=0.0, high=1.0, low_open=True)
            ids = sample_tokens(self.network_, n, self._prompt_ids(prompt),
                                temperature=temperature, top_k=top_k, top_p=top_p,
                                seed=seed)  # fmt: skip
            return self._render(ids)
        if top_k is not None or top_p is not None:
            raise ValueError("`top_k` and `top_p` apply to tokens; music keys are drawn one "
                             "by one (use temperature)")  # fmt: skip
        start = np.zeros((1, 88), dtype=np.uint8) if prompt is None else prompt
        roll = read_corpus([start], "music").documents[0] if prompt is not None else start
        return sample_frames(self.network_, n, roll, temperature=temperature, seed=seed)

    def _prompt_ids(self, prompt: Any) -> list[int]:
        vocabulary = self._prep.vocabulary
        if prompt is None or (isinstance(prompt, str) and not prompt):
            start = {"char": "\n", "word": EOS, "note": EOS}[self.level]
            return [vocabulary.index(start) if start in vocabulary else 2]
        if self.level == "note":
            tokens = read_corpus([list(prompt)], "note").documents[0]
        elif isinstance(prompt, str):
            text = prompt.lower() if self.lower else prompt
            tokens = list(text) if self.level == "char" else text.split()
        else:
            raise ValueError(f"`prompt` must be text, got {type(prompt).__name__}")
        if self.level == "char":
            unknown = sorted({c for c in tokens if c not in vocabulary})
            if unknown:
                raise ValueError(
                    f"the prompt has characters the model never saw: {''.join(unknown)!r}; "
                    f"its {len(vocabulary) - 2} characters are the training text's"
                )
        return vocabulary.encode(tokens)

    def _render(self, ids: list[int]) -> Any:
        tokens = self._prep.vocabulary.decode(ids)
        if self.level == "char":
            return "".join("\ufffd" if token == "<unk>" else token for token in tokens)
        if self.level == "note":  # the end of a melody (and <unk>) is a rest
            return [int(t) if t.isdigit() else -1 for t in tokens]
        lines, words = [], []
        for token in tokens:
            if token == EOS:
                lines.append(" ".join(words) + "\n")
                words = []
            else:
                words.append(token)
        return "".join(lines) + " ".join(words)
