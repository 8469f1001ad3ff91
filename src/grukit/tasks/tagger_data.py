"""The sentences :class:`grukit.SequenceTagger` reads, and the conversions of predicted tags.

Inputs, all read into :class:`grukit.text.TaggedSentences`:

- a CoNLL column file (token first, the label in ``label_column``; see
  :func:`grukit.text.read_conll`);
- a plain text file (suffix ``.txt``): one sentence a line, split into words and punctuation
  (:func:`split_words`), for prediction;
- ``(tokens, labels)``: two lists of lists of str;
- a list of token lists or of sentences (str), for prediction;
- ``TaggedSentences`` as they are.

Predicted tags come out of the network in the training scheme (BIOES by default). They are read
as entity spans leniently, the way ``conlleval`` reads them (:func:`grukit.text.entities`), and
written in the scheme asked for (:func:`render_tags`), so what is scored is what is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grukit.data._errors import GrukitDataError

__all__ = ["read_sentences", "render_tags", "split_words"]

_WORD = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]", re.UNICODE)


def split_words(line: str) -> list[str]:
    """The tokens of one line: runs of word characters (with inner ``-``, ``'`` and ``.``) and
    single punctuation marks, case kept.

    >>> split_words("EU rejects German call to boycott British lamb.")
    ['EU', 'rejects', 'German', 'call', 'to', 'boycott', 'British', 'lamb', '.']
    """
    return _WORD.findall(line)


def _read_text_file(path: Path) -> Any:
    from grukit.text import TaggedSentences

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise GrukitDataError(f"cannot read the text file {path}: {error}") from None
    sentences = [split_words(line) for line in lines]
    sentences = [tokens for tokens in sentences if tokens]
    if not sentences:
        raise GrukitDataError(f"the text file {path} holds no sentences (it is empty)")
    return TaggedSentences.from_lists(sentences, None, source=str(path))


def _is_token_lists(data: Any) -> bool:
    return (
        isinstance(data, list | tuple)
        and len(data) > 0
        and all(isinstance(row, list | tuple) for row in data)
        and all(isinstance(token, str) for row in data for token in row)
    )


def read_sentences(
    data: Any,
    *,
    labelled: bool,
    label_column: int = -1,
    token_column: int = 0,
    scheme: str = "auto",
) -> Any:
    """`data` as :class:`grukit.text.TaggedSentences` (see the module docstring).

    With ``labelled=True`` the sentences must carry labels; with False the labels of a CoNLL
    file are read when it has a label column (so a labelled file can be predicted), and
    ignored otherwise.
    """
    from grukit.text import TaggedSentences, read_conll

    if isinstance(data, TaggedSentences):
        read = data
    elif isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.exists():
            raise GrukitDataError(f"no such file: {path}")
        if path.suffix.lower() == ".txt":
            read = _read_text_file(path)
        else:
            column = label_column
            if not labelled and _single_column(path):
                column = None  # tokens only
            read = read_conll(path, label_column=column, token_column=token_column, scheme=scheme)
    elif isinstance(data, tuple) and len(data) == 2 and _is_token_lists(data[0]):
        read = TaggedSentences.from_lists(data[0], data[1], scheme=scheme)
    elif _is_token_lists(data):
        read = TaggedSentences.from_lists(data, None)
    elif isinstance(data, list | tuple) and data and all(isinstance(s, str) for s in data):
        read = TaggedSentences.from_lists([split_words(s) for s in data], None)
    else:
        raise GrukitDataError(
            "tagging data must be a CoNLL file, a .txt file (one sentence a line), "
            "(tokens, labels) lists, a list of token lists or of sentences, or TaggedSentences; "
            f"got {type(data).__name__}"
        )
    if labelled and read.labels is None:
        raise GrukitDataError(
            f"{read.source}: the sentences have no labels (expected labelled data)"
        )
    return read


def _single_column(path: Path) -> bool:
    """Whether the first token line of a CoNLL file has one column (tokens only)."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                if fields and fields[0] != "-DOCSTART-":
                    return len(fields) == 1
    except (OSError, UnicodeDecodeError) as error:
        raise GrukitDataError(f"cannot read the CoNLL file {path}: {error}") from None
    return False


def render_tags(labels: Sequence[str], source: str, target: str) -> list[str]:
    """`labels` (scheme `source`, read leniently as conlleval does) written in `target`."""
    from grukit.text.conll_schemes import entities, render

    return render(entities(labels, source), len(labels), target)
