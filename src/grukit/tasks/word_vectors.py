"""Pre-trained word vectors for a task's embedding: read for its vocabulary, copied into the
rows of the words they hold (the other rows keep their initialisation). Shared by the text
classifier and the tagger."""

from __future__ import annotations

from typing import Any

import numpy as np

from grukit.data._errors import GrukitDataError

__all__ = ["read_word_vectors", "start_embedding"]


def read_word_vectors(path: str, vocabulary: Any) -> np.ndarray:
    """(len(vocabulary), dim) vectors of `vocabulary`'s words from a word2vec/GloVe text file
    (:func:`grukit.text.load_vectors`; zero rows for the words it lacks); refuses a file that
    holds none of them."""
    from grukit.text import load_vectors

    vectors, found = load_vectors(path, vocabulary)
    if found == 0:
        raise GrukitDataError(f"word vectors '{path}' hold none of the vocabulary's words")
    return vectors


def start_embedding(weight: Any, vectors: np.ndarray) -> None:
    """Copy the non-zero rows of `vectors` into the embedding `weight` (a parameter, in place)."""
    import torch

    with torch.no_grad():
        found = np.abs(vectors).sum(axis=1) > 0
        weight[torch.as_tensor(found)] = torch.as_tensor(vectors[found], dtype=weight.dtype)
