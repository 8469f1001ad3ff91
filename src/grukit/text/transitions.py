"""Which label may follow which in a tagging scheme: the transition constraints of a CRF.

A linear-chain CRF (``grukit.nn.LinearChainCRF``) scores every path of labels; a tagging scheme
rules some paths out. :func:`allowed_transitions` turns a label list and a scheme into three
boolean arrays, ``allowed_start`` (K,), ``allowed`` (K, K) with ``allowed[i, j]``: may label
``j`` follow label ``i``, and ``allowed_end`` (K,), which the CRF takes as its
``allowed_start``, ``allowed_transitions`` and ``allowed_end``. Its decoder then only yields
label sequences that are valid in the scheme (as ``grukit.text.convert_tags`` checks them).
The rules, for entity types ``X`` and ``Y``:

``IOB2``
    ``I-X`` only after ``B-X`` or ``I-X`` (never after ``O`` or another type, never first);
    everything else is allowed, and any label may end a sentence.
``IOB1``
    ``I-X`` may follow anything (after ``O`` or another type it starts an entity); ``B-X``
    only right after an entity of the same type (``B-X`` or ``I-X``), never first; any end.
``BIOES``
    after ``B-X`` or ``I-X`` only ``I-X`` or ``E-X``; after ``E-X``, ``S-X`` or ``O`` only
    ``B-Y``, ``S-Y`` or ``O``; a sentence starts on ``B-``, ``S-`` or ``O`` and ends on ``E-``,
    ``S-`` or ``O``.

>>> start, allowed, end = allowed_transitions(["O", "B-PER", "I-PER"], "IOB2")
>>> start.tolist(), end.tolist()
([True, True, False], [True, True, True])
>>> allowed.astype(int).tolist()
[[1, 1, 0], [1, 1, 1], [1, 1, 1]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.text.conll_schemes import SCHEMES
from grukit.text.conll_schemes import split_label as _split

__all__ = ["allowed_transitions"]


def _follows(previous: tuple[str, str], label: tuple[str, str], scheme: str) -> bool:
    """Whether ``label`` may follow ``previous`` (each ``(prefix, type)``) in ``scheme``."""
    (before, before_kind), (prefix, kind) = previous, label
    same_entity = before != "O" and before_kind == kind
    if scheme == "IOB2":
        return prefix != "I" or same_entity
    if scheme == "IOB1":
        return prefix != "B" or same_entity
    if before in "BI":
        return prefix in "IE" and same_entity
    return prefix in "BSO"


def allowed_transitions(
    labels: Sequence[str], scheme: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The start, transition and end constraints of ``labels`` in ``scheme``.

    Parameters
    ----------
    labels : sequence of str
        The CRF's tags in index order: ``"O"`` or ``"<prefix>-<type>"`` with the prefixes of
        ``scheme`` (``B``, ``I`` and, in BIOES, ``E``, ``S``), each once.
    scheme : {"IOB1", "IOB2", "BIOES"}
        The tagging scheme (see the module docstring for the rules).

    Returns
    -------
    allowed_start : ndarray of bool, shape (K,)
        Which labels may start a sentence.
    allowed : ndarray of bool, shape (K, K)
        ``allowed[i, j]``: may ``labels[j]`` follow ``labels[i]``.
    allowed_end : ndarray of bool, shape (K,)
        Which labels may end a sentence.

    Raises
    ------
    GrukitDataError
        An unknown scheme, no labels, a repeated label or one not of the scheme's form.
    """
    checks.choice("scheme", scheme, SCHEMES, error=GrukitDataError)
    if isinstance(labels, str):
        raise GrukitDataError(f"`labels` must be a sequence of labels, got the string {labels!r}")
    labels = list(labels)
    if not labels:
        raise GrukitDataError("`labels` must hold at least one label, got none")
    for position, label in enumerate(labels):
        if not isinstance(label, str):
            raise GrukitDataError(
                f"`labels` must hold strings, got {label!r} at position {position}"
            )
        if label in labels[:position]:
            raise GrukitDataError(
                f"`labels` must name each label once, got {label!r} again at position {position}"
            )
    parsed = [_split(label, scheme, "`labels`", position) for position, label in enumerate(labels)]
    outside = ("O", "")
    allowed = np.array([[_follows(i, j, scheme) for j in parsed] for i in parsed], dtype=bool)
    allowed_start = np.array([_follows(outside, label, scheme) for label in parsed], dtype=bool)
    if scheme == "BIOES":
        allowed_end = np.array([prefix in "ESO" for prefix, _ in parsed], dtype=bool)
    else:
        allowed_end = np.ones(len(parsed), dtype=bool)
    return allowed_start, allowed, allowed_end
