"""Word- and character-level tokenisation: deterministic, documented, standard library only.

Cleaning (:func:`clean_text`) comes first: with ``strip_html`` every simple HTML tag
(:data:`TAG_PATTERN`: ``<br />``, ``<br>``, ``<i>``, ``</p>``, ``<a href="...">``) becomes a
space and HTML entities (``&amp;``, ``&#39;``) become their characters; with ``lower`` the text
is lower-cased (:meth:`str.lower`). The word tokeniser then finds the tokens of
:data:`WORD_PATTERN`; the character tokeniser returns the characters, with every run of
whitespace turned into one space and none at either end.

>>> tokenize_words("I don't like it.<br /><br />It's 3.5/10, really!")
['i', "don't", 'like', 'it', '.', "it's", '3.5', '/', '10', ',', 'really', '!']
>>> tokenize_chars("Hi <br />there", lower=False)
['H', 'i', ' ', 't', 'h', 'e', 'r', 'e']
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = ["TAG_PATTERN", "WORD_PATTERN", "Tokenizer", "clean_text", "tokenize_chars",
           "tokenize_words"]  # fmt: skip

#: A simple HTML tag: ``<`` directly followed by a tag name (or ``/`` and a name), then anything
#: but angle brackets up to ``>``. ``a < b`` and ``<3`` are not tags.
TAG_PATTERN = r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,500})?/?>"

#: The word tokeniser's regular expression, tried left to right at each position:
#:
#: 1. a number with decimal or thousands separators: ``3.5``, ``10,000``, ``1.2.3``;
#: 2. a word: letters, digits and underscores, with apostrophes (``'`` or ``’``) kept when they
#:    join two such runs: ``don't``, ``o'clock``, ``80s``, ``mp3``; a leading or trailing
#:    apostrophe (``'quoted'``, ``students'``) is a token of its own;
#: 3. any other single character that is not whitespace: each punctuation mark or symbol is one
#:    token (``...`` is three tokens ``.``).
WORD_PATTERN = r"\d+(?:[.,]\d+)+|\w+(?:['’]\w+)*|[^\w\s]"

_TAG = re.compile(TAG_PATTERN)
_WORD = re.compile(WORD_PATTERN)
_SPACE = re.compile(r"\s+")
LEVELS = ("word", "char")


def _check_text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise GrukitDataError(f"`{name}` must be a str, got {type(text).__name__} {text!r:.60}")
    return text


def clean_text(text: str, *, lower: bool = False, strip_html: bool = True) -> str:
    """``text`` with HTML tags replaced by spaces and entities decoded, optionally lower-cased.

    Parameters
    ----------
    text : str
        The raw text.
    lower : bool, default False
        Lower-case the result (:meth:`str.lower`).
    strip_html : bool, default True
        Replace each tag of :data:`TAG_PATTERN` with a space, then decode HTML entities
        (:func:`html.unescape`).

    Returns
    -------
    str

    Examples
    --------
    >>> clean_text("Great<br />film &amp; <i>cast</i>")
    'Great film &  cast '
    """
    text = _check_text(text)
    if checks.flag("strip_html", strip_html, error=GrukitDataError):
        text = html.unescape(_TAG.sub(" ", text))
    if checks.flag("lower", lower, error=GrukitDataError):
        text = text.lower()
    return text


def tokenize_words(text: str, *, lower: bool = True, strip_html: bool = True) -> list[str]:
    """The word tokens of ``text`` (:data:`WORD_PATTERN`, after :func:`clean_text`).

    Examples
    --------
    >>> tokenize_words("Don't stop -- <br />NOW!", lower=False)
    ["Don't", 'stop', '-', '-', 'NOW', '!']
    """
    return _WORD.findall(clean_text(text, lower=lower, strip_html=strip_html))


def tokenize_chars(text: str, *, lower: bool = True, strip_html: bool = True) -> list[str]:
    """The characters of ``text`` after :func:`clean_text`, whitespace runs as one space.

    Examples
    --------
    >>> tokenize_chars("  A\\tb ")
    ['a', ' ', 'b']
    """
    cleaned = clean_text(text, lower=lower, strip_html=strip_html)
    return list(_SPACE.sub(" ", cleaned).strip())


@dataclass(frozen=True)
class Tokenizer:
    """A tokeniser's settings, callable on one text and saved with a model (:meth:`to_dict`).

    Parameters
    ----------
    level : {"word", "char"}, default "word"
        :func:`tokenize_words` or :func:`tokenize_chars`.
    lower : bool, default True
        Lower-case the text first.
    strip_html : bool, default True
        Replace HTML tags with spaces and decode entities first (:func:`clean_text`).

    Examples
    --------
    >>> tokenizer = Tokenizer(level="word")
    >>> tokenizer("It's <br />GOOD.")
    ["it's", 'good', '.']
    >>> Tokenizer.from_dict(tokenizer.to_dict()) == tokenizer
    True
    """

    level: str = "word"
    lower: bool = True
    strip_html: bool = True

    def __post_init__(self) -> None:
        checks.choice("level", self.level, LEVELS, error=GrukitDataError)
        checks.flag("lower", self.lower, error=GrukitDataError)
        checks.flag("strip_html", self.strip_html, error=GrukitDataError)

    def __call__(self, text: str) -> list[str]:
        """The tokens of one text."""
        function = tokenize_words if self.level == "word" else tokenize_chars
        return function(text, lower=self.lower, strip_html=self.strip_html)

    def tokenize_all(self, texts: Iterable[str]) -> list[list[str]]:
        """The tokens of each text, in order; a row that is not a str is named in the error."""
        if isinstance(texts, str):
            raise GrukitDataError("`texts` must be an iterable of str, got one str")
        out = []
        for row, text in enumerate(texts):
            _check_text(text, f"texts[{row}]")
            out.append(self(text))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (with the word pattern, for reference)."""
        return {**asdict(self), "word_pattern": WORD_PATTERN}

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> Tokenizer:
        """The tokeniser :meth:`to_dict` described; a changed word pattern is refused."""
        allowed = ["level", "lower", "strip_html", "word_pattern"]
        values = checks.config_keys(config, allowed, "Tokenizer", error=GrukitDataError)
        pattern = values.pop("word_pattern", WORD_PATTERN)
        if pattern != WORD_PATTERN:
            raise GrukitDataError(
                f"the tokeniser was saved with word pattern {pattern!r}; this grukit uses "
                f"{WORD_PATTERN!r}"
            )
        return cls(**values)
