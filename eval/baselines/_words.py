"""What the baselines share: the words of a document, Arabic proclitics, BIO repair, tags -> spans.

The baselines see a document exactly as the build pipeline's text layer does, so that a model
trained on the ``tokens`` config predicts on the same words it was trained on: documents read
from CoNLL (``metadata.extra["tokenization"] == "given"``) keep the corpus' own tokens and one
sentence per line; any other document goes through :func:`~dataset_builder.text.tokenize.token_spans`
and :func:`~dataset_builder.text.sentences.split_sentences`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import regex

from dataset_builder.model import Document, Span
from dataset_builder.text.clitics import MIN_STEM, proclitic_chains, proclitic_prefixes, restore_elided_article
from dataset_builder.text.normalize import normalize_text

CliticConvention = Literal["include", "exclude"]

#: Conjunction and preposition proclitics that attach to a name (و ف ب ل ك and their pairs), longest
#: first. The article ال is not here: it belongs to the name (الأسد, القاهرة) in every guideline we read.
PROCLITICS: tuple[str, ...] = proclitic_chains(article=False)
# MIN_STEM (re-exported): the shortest stem left after removing a proclitic; shorter remainders are not
# names (بن, لا).

_LETTER = regex.compile(r"\p{L}")


def sentence_words(doc: Document) -> list[list[tuple[int, int]]]:
    """Character offsets of the words of each sentence of ``doc``, as the build's text layer cuts them.

    Returns
    -------
    list of list of (start, end)
        One list per sentence, in order; offsets index ``doc.text``. Sentences without words are omitted.
    """
    from dataset_builder.readers.conll import given_tokenization

    if doc.metadata.extra.get("tokenization") == "given":
        given = given_tokenization(doc.text)
        words = list(zip(given.starts, given.ends, strict=True))
        sentences = given.sentences
    else:
        from dataset_builder.text.sentences import split_sentences
        from dataset_builder.text.tokenize import token_spans

        starts, ends = token_spans(doc.text)
        words = list(zip(starts, ends, strict=True))
        sentences = split_sentences(doc.text, starts, ends)
    out: list[list[tuple[int, int]]] = []
    position = 0
    for _, sentence_end in sentences:
        sentence: list[tuple[int, int]] = []
        while position < len(words) and words[position][0] < sentence_end:
            sentence.append(words[position])
            position += 1
        if sentence:
            out.append(sentence)
    if position < len(words):  # words after the last sentence span (cannot happen with the splitters above)
        out.append(words[position:])
    return out


def proclitic_splits(word: str) -> list[tuple[str, int]]:
    """Ways to read ``word`` (normalized) as proclitic + stem: ``[(stem, proclitic length), ...]``.

    The whole word comes first (length 0), then the stems left by ever longer proclitics:
    ``وبوتين`` -> ``[("وبوتين", 0), ("بوتين", 1), ("وتين", 2)]``. The preposition ل before the
    article is written without the article's alef (``للقاهرة`` = ل + القاهرة), so after ل a stem
    starting with ل is also tried with the article restored, after the stem as written (``لليبيا``
    is ل + ليبيا): ``للقاهرة`` -> ``[..., ("لقاهرة", 1), ("القاهرة", 1)]``.
    """
    splits = [(word, 0)]
    for proclitic, stem in proclitic_prefixes(word, min_stem=MIN_STEM):
        splits.append((stem, len(proclitic)))
        restored = restore_elided_article(proclitic, stem, min_stem=MIN_STEM)
        if restored is not None:
            splits.append((restored, len(proclitic)))
    return splits


def learn_clitic_convention(documents: Iterable[Document], layer: str) -> tuple[CliticConvention, dict[str, int]]:
    """Whether the gold of ``documents`` keeps attached proclitics inside mentions or outside.

    A mention that starts inside a word, right after a proclitic (``و|بوتين``), is evidence for
    ``"exclude"`` (our guideline). A mention that starts at a word beginning with a proclitic
    whose remainder is itself the first word of another gold mention (``لإسرائيل`` next to
    ``إسرائيل``) is evidence for ``"include"`` (ANERcorp keeps the whole token). A corpus that
    splits clitics into tokens of their own (NewsFANE) shows little of either; ties go to
    ``"exclude"``.

    Returns
    -------
    convention : {"include", "exclude"}
    evidence : dict
        ``{"exclude": n, "include": m}``, the counts the decision was made from.
    """
    starts: list[tuple[str, bool]] = []  # (normalized first word of the mention, mention starts inside a word)
    for doc in documents:
        for span in doc.spans:
            if span.layer != layer or span.end <= span.start:
                continue
            inside = span.start > 0 and bool(_LETTER.match(doc.text, span.start - 1))
            first = doc.text[span.start:span.end].split(maxsplit=1)
            if first:
                starts.append((normalize_text(first[0]), inside))
    first_words = {word for word, _ in starts}
    exclude = sum(inside for _, inside in starts)
    include = sum(
        1 for word, inside in starts
        if not inside and any(stem in first_words for stem, cut in proclitic_splits(word) if cut)
    )
    return ("include" if include > exclude else "exclude"), {"exclude": exclude, "include": include}


def repair_bio(tags: Sequence[str]) -> list[str]:
    """IOB2 tags with every ``I-X`` that does not continue an ``X`` chunk turned into ``B-X``.

    This is the repair conlleval applies when it reads an ``I-`` after ``O`` or after another type,
    made explicit so that predicted chunks are well formed before they become spans.
    """
    repaired: list[str] = []
    previous_type: str | None = None
    for tag in tags:
        if tag == "O" or len(tag) < 3 or tag[1] != "-":
            repaired.append("O")
            previous_type = None
            continue
        prefix, kind = tag[0], tag[2:]
        if prefix == "I" and previous_type != kind:
            prefix = "B"
        repaired.append(f"{prefix}-{kind}")
        previous_type = kind
    return repaired


def spans_from_tags(
    words: Sequence[tuple[int, int]], tags: Sequence[str], *, layer: str, first_id: int = 1, id_prefix: str = "P",
) -> list[Span]:
    """Character spans of the chunks of ``tags`` (repaired IOB2) over ``words``.

    A chunk runs from the start of its first word to the end of its last word; its ``text`` is left
    ``None`` for the caller to fill from the document.
    """
    spans: list[Span] = []
    begin: int | None = None
    kind = ""
    for index, tag in enumerate([*repair_bio(tags), "O"]):
        if begin is not None and not (tag.startswith("I-") and tag[2:] == kind):
            spans.append(Span(f"{id_prefix}{first_id + len(spans)}", layer, words[begin][0], words[index - 1][1], kind))
            begin = None
        if tag.startswith("B-"):
            begin, kind = index, tag[2:]
    return spans


def tag_documents(documents: Sequence[Document], predict_tags: Callable[[list[list[str]]], list[list[str]]], *,
                  layer: str, id_prefix: str) -> list[list[Span]]:
    """Run a word-level tagger over every sentence of every document (words as the build cuts them, see
    :func:`sentence_words`) in one batch, and turn its tags back into character spans per document.

    ``predict_tags`` takes sentences as lists of word strings and returns one IOB2 tag list per
    sentence. Span ``text`` is left ``None`` (see :func:`with_text`).
    """
    per_doc = [sentence_words(doc) for doc in documents]
    sentences = [[doc.text[a:b] for a, b in words] for doc, doc_words in zip(documents, per_doc, strict=True)
                 for words in doc_words]
    tags = iter(predict_tags(sentences))
    out: list[list[Span]] = []
    for doc_words in per_doc:
        spans: list[Span] = []
        for words in doc_words:
            spans += spans_from_tags(words, next(tags), layer=layer, first_id=len(spans) + 1, id_prefix=id_prefix)
        out.append(spans)
    return out


def with_text(doc: Document, spans: Iterable[Span]) -> list[Span]:
    """``spans`` with ``text`` set to the slice of ``doc.text`` they cover."""
    return [Span(s.id, s.layer, s.start, s.end, s.label, doc.text[s.start:s.end]) for s in spans]


__all__ = [
    "MIN_STEM", "PROCLITICS", "CliticConvention", "learn_clitic_convention", "proclitic_splits", "repair_bio",
    "sentence_words", "spans_from_tags", "tag_documents", "with_text",
]
