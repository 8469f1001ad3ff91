"""The arrays :class:`grukit.SequenceGenerator` trains on: token streams cut for truncated
backpropagation through time, and padded piano rolls.

Token levels (stateful training, as the language-model benchmarks train): the documents are
joined into one stream of ids, the stream is cut into ``streams`` equal rows (the batch) and
each row into chunks of ``bptt`` steps. The training pairs are laid out chunk-major, so that
batch ``k`` (rows ``k*streams ... (k+1)*streams - 1``, read in order) holds chunk ``k`` of every
row: the network carries each row's state from one batch to the next
(:class:`grukit.tasks.generator_networks.GeneratorNetwork`). The target of every input is the
next token; padding the last chunk has input 0 and target :data:`IGNORE`.

Music: inputs (N, T - 1, 89), the first T - 1 frames of each roll and a last column of 1 for
the real steps (0 for padding); targets (N, T - 1, 88), the next frame, :data:`IGNORE` where
padded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from grukit.data._errors import GrukitDataError
from grukit.tasks.generator_data import EOS, Corpus

__all__ = ["IGNORE", "GenerationPreparation", "music_pairs", "stream_pairs"]

IGNORE = -100  # the targets no loss reads (padding)


def stream_pairs(ids: np.ndarray, streams: int, bptt: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) int64 (K * streams, bptt) of the id stream, chunk-major."""
    predicted = len(ids) - 1
    if predicted < 1:
        raise GrukitDataError(f"a stream of {len(ids)} token(s) has no next token to predict")
    per_row = -(-predicted // streams)
    chunks = -(-per_row // bptt)
    width = chunks * bptt
    inputs = np.zeros(streams * width, dtype=np.int64)
    targets = np.full(streams * width, IGNORE, dtype=np.int64)
    inputs_rows, targets_rows = inputs.reshape(streams, width), targets.reshape(streams, width)
    for row in range(streams):
        start = row * per_row
        stop = min(start + per_row, predicted)
        if stop > start:
            inputs_rows[row, : stop - start] = ids[start:stop]
            targets_rows[row, : stop - start] = ids[start + 1 : stop + 1]

    def chunk_major(array: np.ndarray) -> np.ndarray:
        return array.reshape(streams, chunks, bptt).transpose(1, 0, 2).reshape(-1, bptt).copy()

    return chunk_major(inputs), chunk_major(targets)


def music_pairs(rolls: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (N, T-1, 89), targets (N, T-1, 88)) float32 of piano rolls (T the longest)."""
    rolls = [roll for roll in rolls if len(roll) >= 2]
    if not rolls:
        raise GrukitDataError("no piano roll has two frames; a model predicts the next frame")
    steps = max(len(roll) for roll in rolls) - 1
    inputs = np.zeros((len(rolls), steps, 89), dtype=np.float32)
    targets = np.full((len(rolls), steps, 88), IGNORE, dtype=np.float32)
    for row, roll in enumerate(rolls):
        length = len(roll) - 1
        inputs[row, :length, :88] = roll[:-1]
        inputs[row, :length, 88] = 1.0
        targets[row, :length] = roll[1:]
    return inputs, targets


class GenerationPreparation:
    """The vocabulary of a token level (none for music) and the id stream of a corpus."""

    def __init__(self, level: str, vocabulary: Any = None) -> None:
        self.level = level
        self.vocabulary = vocabulary

    @property
    def size(self) -> int:
        """The network's output size: the vocabulary, or the 88 keys."""
        return 88 if self.vocabulary is None else len(self.vocabulary)

    def learn(self, corpus: Corpus, *, min_count: int, max_vocab: int | None) -> None:
        """Build the vocabulary of a token corpus (``<eos>`` a special at word and note level)."""
        if self.level == "music":
            return
        from grukit.text.vocabulary import Vocabulary

        specials = () if self.level == "char" else (EOS,)
        self.vocabulary = Vocabulary.build(
            corpus.documents, min_count=min_count, max_size=max_vocab, specials=specials
        )

    def stream(self, corpus: Corpus) -> np.ndarray:
        """The int64 ids of every document in order (melodies separated by ``<eos>``)."""
        if self.vocabulary is None:
            raise GrukitDataError("a music corpus has no token stream")
        tokens: list[str] = []
        for document in corpus.documents:
            tokens.extend(document)
            if self.level == "note":
                tokens.append(EOS)
        return np.asarray(self.vocabulary.encode(tokens), dtype=np.int64)

    def to_dict(self) -> dict[str, Any]:
        vocabulary = None if self.vocabulary is None else self.vocabulary.to_dict()
        return {"level": self.level, "vocabulary": vocabulary}

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> GenerationPreparation:
        vocabulary = state["vocabulary"]
        if vocabulary is not None:
            from grukit.text.vocabulary import Vocabulary

            vocabulary = Vocabulary.from_dict(vocabulary)
        return cls(str(state["level"]), vocabulary)
