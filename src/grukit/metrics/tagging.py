"""Entity-level scores of sequence tagging (named entities), as ``conlleval`` and seqeval count.

The labels given here are **IOB2** strings, one per token: ``"O"``, ``"B-TYPE"`` (begins an
entity), ``"I-TYPE"`` (continues one). Callers convert other schemes first
(:meth:`grukit.text.TaggedSentences.to_scheme`, :func:`grukit.text.convert_tags`); an ``E-`` or
``S-`` label is refused. Sequences need not be valid IOB2: spans are read leniently, as
seqeval's ``get_entities`` and ``conlleval`` read them (an ``I-X`` after ``O`` or after another
type starts an entity, a change of type ends one), so a tagger's raw predictions can be scored.

An entity is a ``(type, start, end)`` span of one sentence. With ``G`` the gold entities, ``P``
the predicted ones and ``C = |G ∩ P|`` those predicted exactly (type and both boundaries):

.. math::

    \\text{precision} = C / |P|, \\quad \\text{recall} = C / |G|, \\quad
    F_1 = 2 \\, \\text{precision} \\cdot \\text{recall} / (\\text{precision} + \\text{recall}),

micro-averaged over all sentences and types (seqeval's default mode, which is conlleval's),
and per type over that type's entities; a ratio with a zero denominator is 0.0 (no warning).
The token accuracy is the share of tokens whose predicted label equals the gold one. Every
result is plain Python ``int``, ``float``, ``str`` and lists or dicts: ``json.dumps`` writes it.

Shapes: ``gold`` and ``predicted`` are ``S`` sentences, sentence ``i`` of ``T_i`` labels in both.

>>> gold = [["B-PER", "I-PER", "O", "B-LOC"]]
>>> predicted = [["B-PER", "I-PER", "O", "B-ORG"]]
>>> scores = entity_scores(gold, predicted)
>>> scores["precision"], scores["recall"], scores["accuracy"]
(0.5, 0.5, 0.75)
>>> confusion = entity_confusion(gold, predicted)
>>> confusion["types"]
['LOC', 'ORG', 'PER', 'O']
>>> confusion["matrix"]  # rows gold, columns predicted: the LOC entity was tagged ORG
[[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["entity_confusion", "entity_scores"]

#: The column and row of :func:`entity_confusion` that stands for "no entity with these bounds".
OUTSIDE = "O"


def _get_entities() -> Callable[[list[str]], list[tuple[str, int, int]]]:
    """seqeval's ``get_entities`` (conlleval's reading), or an ImportError saying how to install."""
    try:
        from seqeval.metrics.sequence_labeling import get_entities
    except ImportError as error:
        raise ImportError(
            "grukit.metrics.tagging needs seqeval (entity-level tagging scores): "
            "pip install seqeval"
        ) from error
    return get_entities  # type: ignore[no-any-return]


def _label_error(name: str, sentence: int, position: int, label: object) -> ValueError:
    return ValueError(
        f"`{name}` sentence {sentence} holds {label!r} at position {position}, not an IOB2 "
        "label (O, B-TYPE or I-TYPE; convert other schemes first)"
    )


def _labels(name: str, sentences: Any) -> list[list[str]]:
    """``sentences`` as lists of IOB2 label strings, refused unless each label is one."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise ValueError(
            f"`{name}` must be a sequence of label sequences, got {type(sentences).__name__}"
        )
    result = []
    for index, sentence in enumerate(sentences):
        if isinstance(sentence, str) or not isinstance(sentence, Sequence):
            raise ValueError(
                f"`{name}` sentence {index} must be a sequence of labels, got "
                f"{type(sentence).__name__}"
            )
        for position, label in enumerate(sentence):
            ok = isinstance(label, str) and (
                label == OUTSIDE or (label[:2] in ("B-", "I-") and label[2:] not in ("", OUTSIDE))
            )
            if not ok:
                raise _label_error(name, index, position, label)
        result.append(list(sentence))
    return result


def _checked(gold: Any, predicted: Any) -> tuple[list[list[str]], list[list[str]]]:
    """Both label lists, refused unless of the same shape and holding at least one token."""
    y_true, y_pred = _labels("gold", gold), _labels("predicted", predicted)
    if not y_true:
        raise ValueError("`gold` must hold at least one sentence, got none")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"`gold` and `predicted` must hold the same number of sentences, got "
            f"{len(y_true)} and {len(y_pred)}"
        )
    for index, (truth, guess) in enumerate(zip(y_true, y_pred, strict=True)):
        if len(truth) != len(guess):
            raise ValueError(
                f"sentence {index} has {len(truth)} gold labels but {len(guess)} predicted "
                "labels (expected one per token in both)"
            )
    if not any(y_true):
        raise ValueError("`gold` must hold at least one token, got only empty sentences")
    return y_true, y_pred


def _span_pairs(
    y_true: list[list[str]], y_pred: list[list[str]]
) -> Iterator[tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]]:
    """Each sentence's gold and predicted ``{(start, end): type}`` (``end`` inclusive), as
    seqeval reads them."""
    get_entities = _get_entities()
    for truth, guess in zip(y_true, y_pred, strict=True):
        yield (
            {(start, end): kind for kind, start, end in get_entities(truth)},
            {(start, end): kind for kind, start, end in get_entities(guess)},
        )


def _ratios(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """``(precision, recall, f1)``, each 0.0 where its denominator is 0.

    The operations of seqeval's ``precision_recall_fscore_support`` (``zero_division=0``) in
    the same order, so the floats are the same to the last bit.
    """
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    total = precision + recall
    return precision, recall, (2 * precision * recall / total if total else 0.0)


def entity_scores(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Entity-level precision, recall and F1 (micro and per type) and the token accuracy.

    Parameters
    ----------
    gold, predicted : sequence of sequence of str
        IOB2 labels (``O``, ``B-TYPE``, ``I-TYPE``), one per token, ``S`` sentences of the same
        lengths in both; read leniently (see the module docstring).

    Returns
    -------
    dict
        ``"precision"``, ``"recall"``, ``"f1"`` (micro, entity level: seqeval's default mode,
        i.e. conlleval's, computed from the counts of seqeval's ``get_entities`` with seqeval's
        operations: ``seqeval.metrics.f1_score(gold, predicted)`` to the bit), ``"accuracy"``
        (tokens), ``"per_type"``: ``{type: {"precision", "recall", "f1", "support"}}`` for
        every type in ``gold`` or ``predicted`` (sorted;
        ``support`` = gold entities of the type) and ``"counts"``: ``{"gold", "predicted",
        "correct"}`` entities. Plain ``float`` and ``int``.

    Raises
    ------
    ValueError
        No sentence or no token, a different number of sentences or of labels in a sentence
        (naming it), or a label that is not IOB2.
    ImportError
        seqeval is not installed.
    """
    y_true, y_pred = _checked(gold, predicted)
    gold_by_type: Counter[str] = Counter()
    predicted_by_type: Counter[str] = Counter()
    correct_by_type: Counter[str] = Counter()
    for true_spans, guessed_spans in _span_pairs(y_true, y_pred):
        gold_by_type.update(true_spans.values())
        predicted_by_type.update(guessed_spans.values())
        correct_by_type.update(
            kind for bounds, kind in guessed_spans.items() if true_spans.get(bounds) == kind
        )
    per_type = {}
    for kind in sorted(set(gold_by_type) | set(predicted_by_type)):
        ratios = _ratios(correct_by_type[kind], predicted_by_type[kind], gold_by_type[kind])
        per_type[kind] = dict(zip(("precision", "recall", "f1"), ratios, strict=True))
        per_type[kind]["support"] = gold_by_type[kind]
    counts = {
        "gold": sum(gold_by_type.values()),
        "predicted": sum(predicted_by_type.values()),
        "correct": sum(correct_by_type.values()),
    }
    precision, recall, f1 = _ratios(counts["correct"], counts["predicted"], counts["gold"])
    tokens = zip(itertools.chain(*y_true), itertools.chain(*y_pred), strict=True)
    same = sum(truth == guess for truth, guess in tokens)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": same / sum(map(len, y_true)),
        "per_type": per_type,
        "counts": counts,
    }


def entity_confusion(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Which type each gold entity was predicted as, matching entities by their boundaries.

    Within one sentence, a gold entity and a predicted entity with the same ``(start, end)``
    count at ``(gold type, predicted type)`` (the diagonal holds the correct entities); a gold
    entity that no predicted entity has the bounds of counts at ``(gold type, "O")`` (missed),
    a predicted entity that no gold entity has the bounds of at ``("O", predicted type)``
    (spurious). Entities with overlapping but different bounds count as one missed and one
    spurious. Spans are read leniently, as seqeval's ``get_entities`` reads IOB2.

    Parameters
    ----------
    gold, predicted : sequence of sequence of str
        IOB2 labels, as :func:`entity_scores` takes them.

    Returns
    -------
    dict
        ``"types"``: the sorted entity types of ``gold`` and ``predicted``, then ``"O"``;
        ``"matrix"``: a list of lists of int, ``matrix[i][j]`` the entities of gold type
        ``types[i]`` predicted as ``types[j]`` (rows gold, columns predicted; the ``("O",
        "O")`` cell is 0).

    Raises
    ------
    ValueError
        As :func:`entity_scores`.
    """
    pairs: Counter[tuple[str, str]] = Counter()
    for true_spans, guessed_spans in _span_pairs(*_checked(gold, predicted)):
        pairs.update(
            (kind, guessed_spans.get(bounds, OUTSIDE)) for bounds, kind in true_spans.items()
        )
        pairs.update(
            (OUTSIDE, kind) for bounds, kind in guessed_spans.items() if bounds not in true_spans
        )
    types = sorted({kind for pair in pairs for kind in pair} - {OUTSIDE}) + [OUTSIDE]
    matrix = [[pairs[(row, column)] for column in types] for row in types]
    return {"types": types, "matrix": matrix}
