"""The text layer shared by grukit's text workflows (classification, tagging, generation,
translation): tokenisation, vocabularies, padded batches, pre-trained vectors and dataset readers.

NumPy and pandas, SentencePiece for subwords, no PyTorch. A typical classification pipeline::

    train = read_imdb("aclImdb_v1.tar.gz", split="train")        # text, label, file
    tokenizer = Tokenizer(level="word", lower=True, strip_html=True)
    tokens = tokenizer.tokenize_all(train["text"])
    vocab = Vocabulary.build(tokens, min_count=2, max_size=20_000)
    ids, lengths = encode_batch(tokens, vocab, max_length=400, truncate="pre")
    vectors, found = load_vectors("glove.6B.100d.txt.gz", vocab)  # optional

Tagging data: ``read_conll`` / ``write_conll`` read and write CoNLL column files as
``TaggedSentences`` (``check_types`` refuses entity types a model does not know);
``convert_tags``, ``detect_scheme`` and ``entities`` handle the IOB1, IOB2 and BIOES schemes;
``allowed_transitions`` gives a scheme's constraints on which label may follow which, for
``grukit.nn.LinearChainCRF``.

Translation data: ``read_parallel`` reads sentence pairs (two parallel text files, a two-column
TSV/CSV table, or lists) as ``ParallelText``; ``SubwordTokenizer`` wraps SentencePiece (BPE or
unigram, trained in memory, saved as JSON) with the special ids of a ``Vocabulary`` built with
``specials=("<bos>", "<eos>")``; ``synthetic_dates`` draws date-normalisation pairs for a demo.

Bad input data raises :class:`grukit.data.GrukitDataError` (a ``ValueError``) with a one-line
message naming the argument, row, file or line.
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "BOS": "grukit.text.vocabulary",
        "EOS": "grukit.text.vocabulary",
        "PAD": "grukit.text.vocabulary",
        "ParallelText": "grukit.text.parallel",
        "SCHEMES": "grukit.text.conll_schemes",
        "SubwordTokenizer": "grukit.text.subwords",
        "TAG_PATTERN": "grukit.text.tokens",
        "TaggedSentences": "grukit.text.conll",
        "Tokenizer": "grukit.text.tokens",
        "UNK": "grukit.text.vocabulary",
        "Vocabulary": "grukit.text.vocabulary",
        "WORD_PATTERN": "grukit.text.tokens",
        "allowed_transitions": "grukit.text.transitions",
        "check_types": "grukit.text.conll",
        "clean_text": "grukit.text.tokens",
        "convert_tags": "grukit.text.conll_schemes",
        "detect_scheme": "grukit.text.conll_schemes",
        "encode_batch": "grukit.text.batches",
        "entities": "grukit.text.conll_schemes",
        "load_vectors": "grukit.text.vectors",
        "read_conll": "grukit.text.conll",
        "read_imdb": "grukit.text.imdb",
        "read_parallel": "grukit.text.parallel",
        "synthetic_dates": "grukit.text.dates",
        "synthetic_entities": "grukit.text.synthetic",
        "tokenize_chars": "grukit.text.tokens",
        "tokenize_words": "grukit.text.tokens",
        "write_conll": "grukit.text.conll",
    },
)
