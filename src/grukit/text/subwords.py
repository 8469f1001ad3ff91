"""Subword tokenisation with SentencePiece (BPE or unigram), for translation.

:meth:`SubwordTokenizer.train` learns a model in memory (no file is written, nothing is
printed) and a tokenizer is saved inside a model's JSON as the serialised SentencePiece model
in base64 (:meth:`SubwordTokenizer.to_dict`); no pickle is involved.

The ids of the special pieces are those of :class:`grukit.text.Vocabulary` built with
``specials=("<bos>", "<eos>")``: ``<pad>`` 0, ``<unk>`` 1, ``<bos>`` 2, ``<eos>`` 3. Encoding
adds neither ``<bos>`` nor ``<eos>``; decoding leaves out ``<pad>``, ``<bos>`` and ``<eos>`` and
writes ``<unk>`` as SentencePiece does, `` ⁇ ``.

Text is prepared the same way for training and encoding: every run of white space (tabs and
newlines included) becomes one space and none is left at either end, then, with ``lower``, the
text is lower-cased (:meth:`str.lower`). SentencePiece's Unicode normalisation is switched off
(``normalization_rule_name="identity"``), so ``decode(encode(text)) == text`` exactly for a
prepared text whose characters were all seen in training (an unseen character is ``<unk>``;
``character_coverage=1.0`` keeps every character of the training text).

Training is deterministic: the same sentences and settings give the same model bytes (one
thread, every sentence used, none shuffled).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = ["SubwordTokenizer"]

FORMAT = "grukit.text.SubwordTokenizer"
VERSION = 1
MODEL_TYPES = ("bpe", "unigram")
#: the special pieces, by id: the same as a ``Vocabulary`` with ``specials=("<bos>", "<eos>")``
SPECIAL_PIECES = ("<pad>", "<unk>", "<bos>", "<eos>")


def _prepare(text: str, lower: bool) -> str:
    text = " ".join(text.split())
    return text.lower() if lower else text


def _check_text(text: object, name: str) -> str:
    if not isinstance(text, str):
        raise GrukitDataError(f"`{name}` must be a str, got {type(text).__name__} {text!r:.60}")
    return text


def _texts(texts: object, name: str) -> list[str]:
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Iterable):
        raise GrukitDataError(
            f"`{name}` must be a list of str, got {type(texts).__name__} {texts!r:.60}"
        )
    return [_check_text(text, f"{name}[{row}]") for row, text in enumerate(texts)]


def _train_error(error: Exception, vocab_size: int) -> GrukitDataError:
    """One line for SentencePiece's refusal to train."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    found = re.search(r"required_chars\. (\d+) vs (\d+)", message)
    if found:
        need = int(found.group(2))
        return GrukitDataError(
            f"`vocab_size` must be at least {need} for these sentences ({need - 4} distinct "
            f"characters, the word mark '▁' included, and 4 special pieces), got {vocab_size}"
        )
    return GrukitDataError(f"SentencePiece cannot train on these sentences: {message}")


class SubwordTokenizer:
    """A trained SentencePiece model: text <-> subword ids, specials at ids 0-3.

    Build one with :meth:`train` or :meth:`from_dict`; ``SubwordTokenizer(model)`` takes the
    bytes of a serialised SentencePiece model whose ids 0-3 are :data:`SPECIAL_PIECES`.

    Parameters
    ----------
    model : bytes
        The serialised SentencePiece model (``ModelProto``).
    model_type : {"bpe", "unigram"}, default "bpe"
        The algorithm it was trained with (kept for :meth:`to_dict`).
    lower : bool, default False
        Lower-case text before encoding (as it was before training).

    Examples
    --------
    >>> sentences = ["Der Hund läuft.", "Die Katze schläft.", "Der Hund schläft."] * 20
    >>> tokenizer = SubwordTokenizer.train(sentences, vocab_size=60)
    >>> tokenizer.decode(tokenizer.encode("Die Katze läuft."))
    'Die Katze läuft.'
    >>> [tokenizer.piece(i) for i in range(4)]
    ['<pad>', '<unk>', '<bos>', '<eos>']
    """

    pad_index = 0
    unk_index = 1
    bos_index = 2
    eos_index = 3

    def __init__(self, model: bytes, *, model_type: str = "bpe", lower: bool = False) -> None:
        import sentencepiece as spm

        self.model_type = checks.choice("model_type", model_type, MODEL_TYPES,
                                        error=GrukitDataError)  # fmt: skip
        self.lower = checks.flag("lower", lower, error=GrukitDataError)
        if not isinstance(model, (bytes, bytearray)) or not model:
            raise GrukitDataError(
                f"`model` must be the bytes of a SentencePiece model, got {type(model).__name__}"
            )
        self._model = bytes(model)
        try:
            self._processor = spm.SentencePieceProcessor(model_proto=self._model)
        except (RuntimeError, OSError, ValueError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
            raise GrukitDataError(f"`model` is not a SentencePiece model ({first})") from None
        size = self._processor.get_piece_size()
        found = [self._processor.id_to_piece(i) for i in range(min(size, 4))]
        if (
            tuple(found) != SPECIAL_PIECES
            or not self._processor.is_unknown(1)
            or not all(self._processor.is_control(i) for i in (0, 2, 3))
        ):
            raise GrukitDataError(
                f"a subword model's ids 0-3 must be the special pieces {list(SPECIAL_PIECES)}, "
                f"got {found}"
            )

    # ------------------------------------------------------------------------ training

    @classmethod
    def train(
        cls,
        sentences: Sequence[str],
        *,
        vocab_size: int = 8000,
        model_type: str = "bpe",
        character_coverage: float = 1.0,
        lower: bool = False,
    ) -> SubwordTokenizer:
        """A tokenizer trained with SentencePiece on ``sentences``, in memory and quietly.

        Parameters
        ----------
        sentences : sequence of str
            The training text, one sentence per item (at least one that is not blank).
            Sentences longer than 4192 bytes are left out of training (SentencePiece's
            ``max_sentence_length``).
        vocab_size : int, default 8000
            The most pieces, the 4 special pieces included. It is an upper bound
            (SentencePiece's ``hard_vocab_limit=False``): a small corpus that cannot fill it
            gives fewer pieces (see ``len(tokenizer)``). It must still hold every character
            kept by ``character_coverage``; a smaller size is one error giving the least one.
        model_type : {"bpe", "unigram"}, default "bpe"
            Byte-pair encoding or the unigram language model.
        character_coverage : float, default 1.0
            The fraction of the characters (by count) that get a piece of their own; the rarest
            rest become ``<unk>``. 1.0 keeps every character, right for alphabetic scripts;
            0.9995 is SentencePiece's advice for Chinese or Japanese.
        lower : bool, default False
            Lower-case the text, here and when encoding.

        Returns
        -------
        SubwordTokenizer
        """
        import sentencepiece as spm

        vocab_size = checks.integer("vocab_size", vocab_size, minimum=5, error=GrukitDataError)
        checks.choice("model_type", model_type, MODEL_TYPES, error=GrukitDataError)
        coverage = checks.number("character_coverage", character_coverage, low=0.0, high=1.0,
                                 low_open=True, error=GrukitDataError)  # fmt: skip
        lower = checks.flag("lower", lower, error=GrukitDataError)
        if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Sequence):
            raise GrukitDataError(
                f"`sentences` must be a list of str, got {type(sentences).__name__}"
            )
        prepared = [_prepare(text, lower) for text in _texts(sentences, "sentences")]
        prepared = [text for text in prepared if text]
        if not prepared:
            raise GrukitDataError(
                f"`sentences` must hold at least one sentence that is not blank, got "
                f"{len(sentences)} blank ones"
            )
        writer = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(prepared), model_writer=writer, vocab_size=vocab_size,
                model_type=model_type, character_coverage=coverage, hard_vocab_limit=False,
                pad_id=0, unk_id=1, bos_id=2, eos_id=3, pad_piece=SPECIAL_PIECES[0],
                unk_piece=SPECIAL_PIECES[1], bos_piece=SPECIAL_PIECES[2],
                eos_piece=SPECIAL_PIECES[3], normalization_rule_name="identity",
                num_threads=1, input_sentence_size=0, shuffle_input_sentence=False,
                minloglevel=2,
            )  # fmt: skip
        except RuntimeError as error:
            raise _train_error(error, vocab_size) from None
        return cls(writer.getvalue(), model_type=model_type, lower=lower)

    # ------------------------------------------------------------------------ encoding

    def __len__(self) -> int:
        """The number of pieces (ids ``0 .. len - 1``), the special pieces included."""
        return int(self._processor.get_piece_size())

    def encode(self, text: str) -> list[int]:
        """The piece ids of ``text`` (no ``<bos>``/``<eos>``); unseen characters are ``1``."""
        prepared = _prepare(_check_text(text, "text"), self.lower)
        return [int(i) for i in self._processor.encode(prepared)]

    def encode_all(self, texts: Iterable[str]) -> list[list[int]]:
        """:meth:`encode` of each text, in order; an item that is not a str is named."""
        prepared = [_prepare(text, self.lower) for text in _texts(texts, "texts")]
        return [[int(i) for i in ids] for ids in self._processor.encode(prepared)]

    def pieces(self, text: str) -> list[str]:
        """The pieces of ``text`` (``"▁"`` marks a piece that starts a word)."""
        prepared = _prepare(_check_text(text, "text"), self.lower)
        return [str(piece) for piece in self._processor.encode(prepared, out_type=str)]

    def _id(self, value: object, where: str) -> int:
        if not checks.is_integer(value) or not 0 <= value < len(self):  # type: ignore[operator]
            raise GrukitDataError(
                f"`{where}` must be an integer in [0, {len(self)}), got {value!r}"
            )
        return int(value)  # type: ignore[call-overload,no-any-return]

    def piece(self, index: int) -> str:
        """The piece of id ``index`` (``"<pad>"``, ``"<unk>"``, ... for the specials)."""
        return str(self._processor.id_to_piece(self._id(index, "index")))

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``: ``<pad>``, ``<bos>`` and ``<eos>`` are left out, ``<unk>`` is
        written `` ⁇ ``; an id outside ``[0, len)`` is refused, naming its position."""
        if isinstance(ids, (str, bytes)):
            raise GrukitDataError(f"`ids` must be a list of integers, got {ids!r:.60}")
        values = [self._id(value, f"ids[{position}]") for position, value in enumerate(ids)]
        return str(self._processor.decode(values))

    # ------------------------------------------------------------------------ saving

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SubwordTokenizer):
            return NotImplemented
        return (self._model, self.model_type, self.lower) == (
            other._model, other.model_type, other.lower
        )  # fmt: skip

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SubwordTokenizer({self.model_type}, {len(self)} pieces, lower={self.lower})"

    @property
    def model(self) -> bytes:
        """The serialised SentencePiece model."""
        return self._model

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: ``{"format", "version", "model_type", "lower",
        "vocab_size", "model"}``, ``model`` the serialised SentencePiece model in base64."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "model_type": self.model_type,
            "lower": self.lower,
            "vocab_size": len(self),
            "model": base64.b64encode(self._model).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubwordTokenizer:
        """The tokenizer :meth:`to_dict` described; anything else is one clear error
        (:class:`grukit.data.GrukitDataError`, a ``ValueError``)."""
        allowed = ["format", "version", "model_type", "lower", "vocab_size", "model"]
        data = checks.config_keys(data, allowed, "SubwordTokenizer", error=GrukitDataError)
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise GrukitDataError(
                f"not a subword tokenizer: expected format {FORMAT!r} version {VERSION}, got "
                f"{data.get('format')!r} version {data.get('version')!r}"
            )
        encoded = data.get("model")
        if not isinstance(encoded, str):
            raise GrukitDataError(
                f"a subword tokenizer's `model` must be a base64 str, got {type(encoded).__name__}"
            )
        try:
            model = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise GrukitDataError("a subword tokenizer's `model` is not valid base64") from None
        tokenizer = cls(model, model_type=data.get("model_type", "bpe"),
                        lower=data.get("lower", False))  # fmt: skip
        size = data.get("vocab_size", len(tokenizer))
        if size != len(tokenizer):
            raise GrukitDataError(
                f"a subword tokenizer's `vocab_size` says {size!r} pieces, its model has "
                f"{len(tokenizer)}"
            )
        return tokenizer
