"""The sequence-tagging baseline that a tagger must beat: each token's most frequent label.

:class:`MostFrequentTag` learns, for every exact token (case and all) of the training
sentences, the label it carries most often; a tie goes to the label that token carried first
in the training order. A token never seen in training gets ``default_``, the most frequent
label overall (normally ``"O"``; a tie again goes to the label seen first). The labels are
learnt and predicted as given, whatever their scheme; the state is a JSON-safe dict
(:meth:`MostFrequentTag.to_dict`), nothing is pickled.

The protocol of the numbers in the shared data's ``SOURCE.md`` files, reproduced by
``tests/baselines/test_baselines_tagging.py``:

- CoNLL-2003 (IOB1): learn the IOB1 labels of ``eng.train`` as written, predict IOB1, convert
  the predictions to IOB2 leniently (``convert_tags(p, "IOB1", "IOB2", strict=False)``:
  conlleval's spans written in IOB2) and the gold labels strictly
  (``TaggedSentences.to_scheme("IOB2")``), then score with
  :func:`grukit.metrics.entity_scores`: entity F1 0.687 on ``eng.testa``, 0.572 on
  ``eng.testb``. (Learning the IOB2 labels instead gives 0.654 and 0.549: a token tagged
  ``B-`` as often as not loses to ``I-`` inside names.)
- WNUT 2017 (IOB2): learn and predict the IOB2 labels as written: 0.096 on the dev file,
  0.060 on the test file.

>>> baseline = MostFrequentTag().fit(
...     [["Peter", "saw", "Paris", "."], ["Paris", "Hilton", "smiled", "."]],
...     [["B-PER", "O", "B-LOC", "O"], ["B-PER", "I-PER", "O", "O"]],
... )
>>> baseline.tags_["Paris"], baseline.default_  # a tie: B-LOC came first
('B-LOC', 'O')
>>> baseline.predict([["Paris", "saw", "Rome"]])
[['B-LOC', 'O', 'O']]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MostFrequentTag"]


def _sentences(name: str, sentences: Any) -> list[list[str]]:
    """``sentences`` as lists of str, refused unless a sequence of sequences of str."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise ValueError(
            f"`{name}` must be a sequence of sentences (sequences of str), got "
            f"{type(sentences).__name__}"
        )
    result = []
    for index, sentence in enumerate(sentences):
        if isinstance(sentence, str) or not isinstance(sentence, Sequence):
            raise ValueError(
                f"`{name}` sentence {index} must be a sequence of str, got "
                f"{type(sentence).__name__}"
            )
        for position, value in enumerate(sentence):
            if not isinstance(value, str):
                raise ValueError(
                    f"`{name}` sentence {index} holds {type(value).__name__} {value!r} at "
                    f"position {position}, expected str"
                )
        result.append(list(sentence))
    return result


def _first_most_common(counts: Mapping[str, int]) -> str:
    """The key of the highest count, the first inserted among equal counts."""
    return max(counts, key=counts.__getitem__)  # max keeps the first of equal keys


class MostFrequentTag:
    """Tags each token with its most frequent training label, unseen tokens with ``default_``.

    Attributes
    ----------
    tags_ : dict of str to str
        Each training token's label (ties: the label the token carried first). Set, as
        ``default_``, by :meth:`fit` or :meth:`from_dict`.
    default_ : str
        The label of unseen tokens: the most frequent training label (ties: seen first).
    """

    tags_: dict[str, str]
    default_: str

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`from_dict`) has given the baseline its state."""
        return hasattr(self, "tags_")

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise ValueError(f"this {type(self).__name__} is not fitted: call fit first")

    def fit(
        self, tokens: Sequence[Sequence[str]], labels: Sequence[Sequence[str]]
    ) -> MostFrequentTag:
        """Learn ``tags_`` and ``default_`` from sentences and their labels (one per token).

        Raises
        ------
        ValueError
            Not sequences of sequences of str, a different number of sentences or of labels
            in a sentence (naming it), or no token at all.
        """
        token_lists, label_lists = _sentences("tokens", tokens), _sentences("labels", labels)
        if len(token_lists) != len(label_lists):
            raise ValueError(
                f"`tokens` and `labels` must hold the same number of sentences, got "
                f"{len(token_lists)} and {len(label_lists)}"
            )
        per_token: dict[str, Counter[str]] = {}
        overall: Counter[str] = Counter()
        for index, (words, tags) in enumerate(zip(token_lists, label_lists, strict=True)):
            if len(words) != len(tags):
                raise ValueError(
                    f"sentence {index} has {len(words)} tokens but {len(tags)} labels "
                    "(expected one label per token)"
                )
            for word, tag in zip(words, tags, strict=True):
                per_token.setdefault(word, Counter())[tag] += 1
                overall[tag] += 1
        if not overall:
            raise ValueError("`tokens` must hold at least one token, got none")
        self.tags_ = {word: _first_most_common(counts) for word, counts in per_token.items()}
        self.default_ = _first_most_common(overall)
        return self

    def predict(self, tokens: Sequence[Sequence[str]]) -> list[list[str]]:
        """One label per token of each sentence: ``tags_[token]``, else ``default_``."""
        self._check_fitted()
        return [
            [self.tags_.get(word, self.default_) for word in sentence]
            for sentence in _sentences("tokens", tokens)
        ]

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "MostFrequentTag", "default": str, "tags": {token: label}}`` (JSON-safe)."""
        self._check_fitted()
        return {"kind": type(self).__name__, "default": self.default_, "tags": dict(self.tags_)}

    @classmethod
    def from_dict(cls, state: Any) -> MostFrequentTag:
        """The fitted baseline that :meth:`to_dict` described."""
        if not isinstance(state, Mapping):
            raise ValueError(f"`state` must be a mapping, got {type(state).__name__}")
        if state.get("kind") != cls.__name__ or set(state) != {"kind", "default", "tags"}:
            raise ValueError(
                f"`state` must be a {cls.__name__} state with keys ['default', 'kind', 'tags'], "
                f"got kind {state.get('kind')!r} and keys {sorted(state)}"
            )
        default, tags = state["default"], state["tags"]
        if not isinstance(default, str):
            raise ValueError(f"`state['default']` must be a label (str), got {default!r}")
        if not isinstance(tags, Mapping) or not all(
            isinstance(word, str) and isinstance(tag, str) for word, tag in tags.items()
        ):
            raise ValueError("`state['tags']` must map tokens (str) to labels (str)")
        baseline = cls()
        baseline.tags_, baseline.default_ = dict(tags), default
        return baseline
