"""The Arabic text layer: tokens, sentences, defects, normalization for matching, and projection.

Every function takes the text as read and returns code-point offsets into it; none edits it.
Import from the submodules (``from dataset_builder.text.tokenize import token_spans``): the package
does not re-export their functions, because ``tokenize``, ``normalize`` and ``project`` would shadow
the submodules of the same names.

* :mod:`~dataset_builder.text.tokenize` - :func:`token_spans` (the fast path: two lists of ints)
  and :func:`tokenize` (:class:`Token` objects with kinds).
* :mod:`~dataset_builder.text.sentences` - :func:`split_sentences`, :func:`sentence_token_ranges`.
* :mod:`~dataset_builder.text.defects` - :func:`detect_defects` -> :class:`Defect` (mixed script,
  lookalike letters, presentation forms, invisible characters, NFC/NFKC).
* :mod:`~dataset_builder.text.normalize` - :func:`normalize` -> :class:`NormalizedView`, a
  normalized copy for search, alignment and deduplication, with a map back to source offsets.
* :mod:`~dataset_builder.text.project` - :func:`project` character spans onto nested IOB2 tags.
"""

__all__ = ["defects", "normalize", "project", "sentences", "tokenize"]
