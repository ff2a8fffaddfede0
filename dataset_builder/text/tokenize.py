"""Word tokenization of Arabic news text into exact character offsets.

The tokenizer is one compiled ``regex`` pattern run with ``finditer``; :func:`token_spans` returns
two plain lists of ints and is the hot path of the dataset writer (a text made only of ASCII, Arabic
letters, harakat, Arabic-Indic digits and common punctuation, most news text, runs through the same
rules compiled for the standard library's faster engine). :func:`tokenize` runs the same pattern and
also names each token's kind.

Rules (decisions, with the reason for each)
-------------------------------------------
* Tokens are split at whitespace and at punctuation. Offsets are code-point indices into the text
  as given and ``text[start:end] == token.text`` always; nothing is normalized or dropped except
  whitespace, control characters and invisible format characters *between* tokens.
* A word is a run of letters, combining marks and digits: harakat, shadda, tatweel and any other
  combining mark stay with their base letter, and clitics are not split (و+بوتين stays وبوتين), as in
  ANERcorp, Wojood and CAMeL Tools' ``simple_word_tokenize``. Letters of *different scripts* are not
  split either: فิصل (a Thai vowel sign typed for ي) and وقراهem (Latin "em" for هم) are single
  tokens, so that :mod:`~dataset_builder.text.defects` sees, and reports, the corrupted word as a
  whole instead of a tokenizer silently turning one defect into two plausible-looking tokens.
  ZWNJ/ZWJ/soft hyphen/word joiner inside a word keep it whole (Persian and Urdu spelling);
  bidi controls, ZWSP and BOM separate words, like spaces.
* A number is a run of digits (ASCII 0-9, Arabic-Indic ٠-٩, Persian ۰-۹ or any other decimal digits)
  with internal decimal or thousands separators ``.`` ``,`` ``٫`` ``٬`` between digits: 90.5, 1,000,
  ٣٫٥ are one token each. Dates and times are split at ``-`` ``/`` ``:`` (2021-09-14 -> 2021 - 09 - 14),
  as in ANERcorp and Wojood, so that a gold span covering only the year still aligns with tokens.
  Digits glued to letters (2021م, G20, COVID19, و90.5) form one word, with the same separators kept.
* Each punctuation mark is its own token (، ؛ ؟ « » “ ” „ ' " ‹ › brackets, ...), except runs of
  periods (".." and "..."), the ellipsis character "…", runs of ! ? ؟ (?!, ؟؟) and runs of hyphens
  ("--"), which are single tokens: they are one mark to a reader, and the sentence splitter treats
  them as one boundary.
* Each symbol ($ + = © emoji) is its own token; an emoji ZWJ sequence, a flag (two regional
  indicators) and an emoji with its skin-tone modifier are one token each. Kinds follow Unicode
  categories: % and ٪ are punctuation (Po), not symbols.
* Latin words are kept whole; "COVID-19" is COVID, -, 19 (the hyphen is punctuation).

Token kinds: ``word`` (contains a letter; Arabic, mixed-script or other scripts), ``latin``
(only Latin letters, digits and marks: COVID, G20), ``number``, ``punct``, ``symbol`` and
``other`` (private-use or unassigned code points, kept so nothing is lost).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

import regex

__all__ = ["TOKEN_KINDS", "TOKEN_PATTERN", "Token", "token_spans", "tokenize"]

TOKEN_KINDS: tuple[str, ...] = ("word", "latin", "number", "punct", "symbol", "other")

_WORD_CHAR = r"[\p{L}\p{M}\p{N}]"
# Joiners that belong inside a word: ZWNJ, ZWJ, word joiner, soft hyphen.
_JOINER = r"[\u200c\u200d\u2060\u00ad]"
# Decimal and thousands separators, kept between two digits: . , and Arabic ٫ ٬ (not the Arabic comma ،).
_NUMBER_SEPARATOR = r"[.,\u066b\u066c]"
# A pair of regional indicators is one flag; skin-tone modifiers belong to the emoji before them.
_SYMBOL = r"(?:[\U0001F1E6-\U0001F1FF]{2}|\p{S})[\p{M}\U0001F3FB-\U0001F3FF]*"
_PARTS: tuple[tuple[str, str], ...] = (
    # Letters, marks and digits; joiners inside; number separators between digits (و90.5, بـ1,000).
    ("word", rf"{_WORD_CHAR}+(?:(?:{_JOINER}+|(?<=\p{{Nd}}){_NUMBER_SEPARATOR}(?=\p{{Nd}})){_WORD_CHAR}+)*"),
    # Multi-character marks that read as one: "..", "...", "…", "?!", "؟؟", "!!!", "--".
    ("punct", r"\.{2,}\p{M}*|\u2026+\p{M}*|[!?\u061f]{2,}\p{M}*|-{2,}|\p{P}\p{M}*"),
    ("symbol", rf"{_SYMBOL}(?:\u200d{_SYMBOL})*"),
    # Anything else visible: private use, unassigned, surrogates. Whitespace, controls and
    # format characters between tokens are the only things not covered by a token.
    ("other", r"[^\s\p{Cc}\p{Cf}]"),
)

TOKEN_PATTERN: str = "|".join(body for _, body in _PARTS)
"""The token pattern, for reuse in other tools; compile with the ``regex`` module."""

_SPANS = regex.compile(TOKEN_PATTERN)
_KINDS = regex.compile("|".join(f"(?P<{kind}{i}>{body})" for i, (kind, body) in enumerate(_PARTS)))
_GROUP_KIND = {f"{kind}{i}": kind for i, (kind, _) in enumerate(_PARTS)}
_LATIN_ONLY = regex.compile(r"[\p{Latin}\p{N}\p{M}]+")
# Numbers are words made of digits (and separators between digits); they need no alternative of
# their own in the pattern, which keeps the hot path to one alternative per token shape.
_NUMBER = regex.compile(rf"\p{{N}}+(?:{_NUMBER_SEPARATOR}\p{{N}}+)*")


# A fast path for the usual news text: when every character is ASCII, an Arabic letter, tatweel, a
# haraka, an Arabic-Indic digit or common Arabic and typographic punctuation, the standard library's
# engine runs the same rules ~1.7x faster than ``regex`` (its character classes are spelled out from
# that short alphabet). The Unicode category of each character is asked of ``regex`` itself, so both
# engines classify every character alike; the words around any other character go to _SPANS.
_FAST_ALPHABET = (
    "".join(map(chr, range(0x21, 0x7F)))  # printable ASCII
    + "".join(map(chr, range(0x0621, 0x063B)))  # Arabic letters
    + "".join(map(chr, range(0x0640, 0x0653)))  # tatweel, letters, harakat
    + "\u0670"  # superscript alef
    + "".join(map(chr, range(0x0660, 0x066D)))  # Arabic-Indic digits, ٪ and the decimal and thousands separators
    + "\u060c\u061b\u061f\u06d4"  # Arabic comma, semicolon, question mark and full stop
    + "\u00ab\u00bb\u2018\u2019\u201a\u201c\u201d\u201e\u2039\u203a\u2026\u2013\u2014\u2022\u00b7"
)


def _fast_class(unicode_class: str) -> str:
    """The characters of _FAST_ALPHABET in a ``regex`` class, as a standard-library class."""
    pattern = regex.compile(unicode_class)
    return "[" + "".join(re.escape(char) for char in _FAST_ALPHABET if pattern.fullmatch(char)) + "]"


_FAST_WORD, _FAST_DIGIT, _FAST_MARK = _fast_class(_WORD_CHAR), _fast_class(r"\p{Nd}"), _fast_class(r"\p{M}")
_FAST_PUNCT, _FAST_SYMBOL = _fast_class(r"\p{P}"), _fast_class(r"\p{S}")
# The alternatives of _PARTS on that alphabet (no joiners, emoji or "other" characters occur in it).
_FAST_SPANS = re.compile(
    rf"{_FAST_WORD}+(?:(?<={_FAST_DIGIT}){_NUMBER_SEPARATOR}(?={_FAST_DIGIT}){_FAST_WORD}+)*"
    rf"|\.{{2,}}{_FAST_MARK}*|\u2026+{_FAST_MARK}*|[!?\u061f]{{2,}}{_FAST_MARK}*|-{{2,}}|{_FAST_PUNCT}{_FAST_MARK}*"
    rf"|{_FAST_SYMBOL}{_FAST_MARK}*"
)
_ASCII_SPACE = re.compile(r"[ \t\n\r]")
_OUTSIDE_FAST_ALPHABET = re.compile("[^ \t\n\r" + "".join(map(re.escape, _FAST_ALPHABET)) + "]")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: half-open code-point offsets ``[start, end)``, its text and its kind.

    ``kind`` is one of :data:`TOKEN_KINDS`.
    """

    start: int
    end: int
    text: str
    kind: str


def token_spans(text: str) -> tuple[list[int], list[int]]:
    """Token offsets of ``text``, as two parallel lists: the fast path.

    Parameters
    ----------
    text : str
        Text as read; it is not changed.

    Returns
    -------
    starts, ends : list of int
        ``text[starts[i]:ends[i]]`` is token ``i``; tokens are in order and do not overlap.

    Examples
    --------
    >>> token_spans("قال بوتين: 90.5%")
    ([0, 4, 9, 11, 15], [3, 9, 10, 15, 16])
    """
    outside = _OUTSIDE_FAST_ALPHABET.search(text)
    # One flat list of ints (start, end, start, end, ...), cut in two: cheaper than appending to two
    # lists per match, and no match object outlives its step (keeping millions of them alive made the
    # garbage collector slow long texts down).
    if outside is None:
        offsets = list(chain.from_iterable(map(re.Match.span, _FAST_SPANS.finditer(text))))
    else:
        offsets = list(chain.from_iterable(match.span() for match in _mixed_matches(text, outside)))
    return offsets[0::2], offsets[1::2]


def _mixed_matches(text: str, outside: re.Match[str]) -> Iterator[re.Match[str] | regex.Match[str]]:
    """The token matches of a text with characters outside the fast alphabet: no token holds a space,
    tab or line break, so the stretch between those around each such character goes to _SPANS and
    the rest of the text to _FAST_SPANS (a © or a Persian letter does not slow a whole article)."""
    position = 0
    while outside is not None:
        at = outside.start()
        slow_start = _after_last_space(text, position, at)
        after = _ASCII_SPACE.search(text, at)
        slow_end = after.start() if after is not None else len(text)
        yield from _FAST_SPANS.finditer(text, position, slow_start)
        yield from _SPANS.finditer(text, slow_start, slow_end)
        position = slow_end
        outside = _OUTSIDE_FAST_ALPHABET.search(text, position)
    yield from _FAST_SPANS.finditer(text, position)


def _after_last_space(text: str, lowest: int, at: int) -> int:
    """Just after the last space, tab or line break of ``text[lowest:at]`` (``lowest`` without one),
    looked for in short windows so that the cost follows the word's length, not the text's."""
    high = at
    while high > lowest:
        low = max(lowest, high - 64)
        found = max(text.rfind(char, low, high) for char in " \t\n\r")
        if found >= 0:
            return found + 1
        high = low
    return lowest


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with their offsets and kinds (same boundaries as :func:`token_spans`).

    Examples
    --------
    >>> [(t.text, t.kind) for t in tokenize("وقراهem (سبوتنيك لایت) COVID-19")]  # doctest: +NORMALIZE_WHITESPACE
    [('وقراهem', 'word'), ('(', 'punct'), ('سبوتنيك', 'word'), ('لایت', 'word'), (')', 'punct'),
     ('COVID', 'latin'), ('-', 'punct'), ('19', 'number')]
    """
    tokens: list[Token] = []
    add = tokens.append
    for match in _KINDS.finditer(text):
        kind = _GROUP_KIND[match.lastgroup]
        token_text = match.group()
        if kind == "word":
            if _NUMBER.fullmatch(token_text):
                kind = "number"
            elif _LATIN_ONLY.fullmatch(token_text):
                kind = "latin"
        start, end = match.span()
        add(Token(start, end, token_text, kind))
    return tokens
