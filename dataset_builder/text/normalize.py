"""Orthographic normalization of Arabic text for *matching*, with an exact map back to the source.

Arabic news text spells the same word many ways: أحمد / احمد / إحمد (hamza on alef or not),
مستشفى / مستشفي (alef maksura or yeh), سورية / سوريه (teh marbuta or heh), with or without
harakat (سعيدٌ) and with or without tatweel (الرئيـــس). Search, alignment of predicted mentions
to gold, and deduplication must see through these differences; dataset text must not. So
:func:`normalize` never replaces a document's text: it returns a :class:`NormalizedView`, a
second string plus ``to_source``, the source offset of every normalized character, so that any
span found in the view maps back to exact offsets in the text as published.

Design
------
Every rule maps one source character to zero, one or several characters:

* one-to-one substitutions (أ إ آ ٱ -> ا, ى -> ي, ة -> ه, ی -> ي, ٣ -> 3, ...) keep offsets, so they
  are applied to the whole string by one ``str.translate`` call;
* deletions (harakat, Quranic marks, tatweel, bidi controls, zero-width characters) and
  expansions (presentation forms under ``presentation_forms=True``: ﻻ -> لا) shift offsets.
  One compiled pattern finds these "offset-changing" characters; ``to_source`` is then built from
  ``range`` runs between them. Work in Python is proportional to the number of such characters,
  not to the length of the text (typically a few per hundred characters in news text).

``to_source`` has ``len(text) + 1`` entries: ``to_source[i]`` is the source offset of normalized
character ``i``, and the last entry is ``len(source)``. It is non-decreasing, and strictly
increasing unless an expansion produced several characters from one source character.

Defaults follow common practice for Arabic matching (e.g. CAMeL Tools' ``normalize_alef_ar``,
``normalize_alef_maksura_ar``, ``normalize_teh_marbuta_ar`` and ``dediac_ar``). Hamza carriers
(ؤ ئ) are kept by default because folding them merges distinct words more often than it helps.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import regex

__all__ = [
    "ALEF_VARIANTS",
    "BIDI_CONTROLS",
    "CANONICAL",
    "DIACRITICS",
    "MATCHING",
    "TATWEEL",
    "ZERO_WIDTH",
    "NormalizationOptions",
    "NormalizedView",
    "normalize",
    "normalize_text",
]

# Alef with hamza above/below, with madda, wasla, and with wavy hamza above/below.
ALEF_VARIANTS = "\u0623\u0625\u0622\u0671\u0672\u0673"
ALEF = "\u0627"
ALEF_MAKSURA = "\u0649"
YEH = "\u064a"
TEH_MARBUTA = "\u0629"
HEH = "\u0647"
TATWEEL = "\u0640"

# Harakat, tanween, shadda, sukun and the other marks of U+064B-U+065F, superscript alef U+0670,
# Quranic annotation signs, and the Arabic Extended-A marks. Written as ranges for the pattern.
DIACRITICS = (
    "\u0610-\u061a"
    "\u064b-\u065f"
    "\u0670"
    "\u06d6-\u06dc"
    "\u06df-\u06e4"
    "\u06e7\u06e8"
    "\u06ea-\u06ed"
    "\u08d3-\u08e1"
    "\u08e3-\u08ff"
)
# Directional formatting characters: LRM, RLM, ALM, the embeddings/overrides and the isolates.
BIDI_CONTROLS = "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
# Zero-width space, joiners, word joiner, BOM (zero-width no-break space) and soft hyphen.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# Letters from outside the core Arabic alphabet that readers take for core letters.
# Persian yeh is dotless in final position, where it looks like alef maksura (see ``_PERSIAN_YEH_FINAL``).
_LOOKALIKES = {
    "\u06cc": YEH,  # ARABIC LETTER FARSI YEH
    "\u06d2": YEH,  # ARABIC LETTER YEH BARREE
    "\u06a9": "\u0643",  # ARABIC LETTER KEHEH -> KAF
    "\u06aa": "\u0643",  # ARABIC LETTER SWASH KAF -> KAF
    "\u06c1": HEH,  # ARABIC LETTER HEH GOAL
    "\u06be": HEH,  # ARABIC LETTER HEH DOACHASHMEE
    "\u06d5": HEH,  # ARABIC LETTER AE
    "\u06c3": TEH_MARBUTA,  # ARABIC LETTER TEH MARBUTA GOAL
}
_PERSIAN_YEH_FINAL = regex.compile(r"\u06cc(?![\p{L}\p{M}])")

_HAMZA_CARRIERS = {"\u0624": "\u0648", "\u0626": YEH}  # ؤ -> و, ئ -> ي

_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}


@dataclass(frozen=True, slots=True)
class NormalizationOptions:
    """Which normalization rules :func:`normalize` applies: one frozen object, made once and passed as is.

    Two presets are named: :data:`MATCHING` (the defaults, for search and alignment) and
    :data:`CANONICAL` (hamza carriers folded, ة and ى kept: the base of the duplicate audit's
    canonical view, :mod:`dataset_builder.audit`).

    Attributes
    ----------
    alef : bool, default True
        أ إ آ ٱ (and wavy-hamza alefs) -> ا.
    alef_maksura : bool, default True
        ى -> ي.
    teh_marbuta : bool, default True
        ة -> ه.
    diacritics : bool, default True
        Delete harakat, tanween, shadda, sukun, superscript alef and Quranic marks.
    tatweel : bool, default True
        Delete tatweel ـ (U+0640).
    hamza : bool, default False
        ؤ -> و and ئ -> ي.
    lookalikes : bool, default True
        Persian/Urdu letters that look like Arabic ones -> the Arabic letter: ی -> ي (or ى at the end
        of a word when ``alef_maksura`` is False), ک -> ك, ہ ھ ە -> ه, ے -> ي.
    digits : bool, default True
        Arabic-Indic ٠-٩ and Persian ۰-۹ digits -> ASCII 0-9.
    strip_bidi : bool, default True
        Delete directional formatting characters (LRM, RLM, ALM, embeddings, isolates).
    zero_width : bool, default True
        Delete ZWSP, ZWNJ, ZWJ, word joiner, BOM and soft hyphen.
    presentation_forms : bool, default True
        Replace Arabic presentation forms (U+FB50-U+FDFF, U+FE70-U+FEFF) with their NFKC letters;
        one source character may become several (ﻻ -> لا), all mapped to that source character.

    Examples
    --------
    >>> normalize("سورية", NormalizationOptions(teh_marbuta=False)).text
    'سورية'
    >>> normalize_text("مؤتمر سورية", CANONICAL)
    'موتمر سورية'
    """

    alef: bool = True
    alef_maksura: bool = True
    teh_marbuta: bool = True
    diacritics: bool = True
    tatweel: bool = True
    hamza: bool = False
    lookalikes: bool = True
    digits: bool = True
    strip_bidi: bool = True
    zero_width: bool = True
    presentation_forms: bool = True


#: The defaults: what search, alignment of predicted mentions and the baselines see.
MATCHING = NormalizationOptions()
#: Hamza carriers folded (ؤ -> و, ئ -> ي), ة and ى kept: the duplicate audit's base normalization.
CANONICAL = NormalizationOptions(hamza=True, teh_marbuta=False, alef_maksura=False)


@lru_cache(maxsize=64)
def _compile(options: NormalizationOptions) -> tuple[dict[int, str], regex.Pattern[str] | None]:
    """The translate table and the pattern of offset-changing characters for one set of options."""
    table: dict[int, str] = {}
    removed = ""
    if options.alef:
        table |= {ord(c): ALEF for c in ALEF_VARIANTS}
    if options.alef_maksura:
        table[ord(ALEF_MAKSURA)] = YEH
    if options.teh_marbuta:
        table[ord(TEH_MARBUTA)] = HEH
    if options.hamza:
        table |= {ord(k): v for k, v in _HAMZA_CARRIERS.items()}
    if options.lookalikes:
        table |= {ord(k): v for k, v in _LOOKALIKES.items()}
        if options.teh_marbuta:
            table[0x06C3] = HEH
    if options.digits:
        table |= {ord(k): v for k, v in _DIGITS.items()}
    if options.diacritics:
        removed += DIACRITICS
    if options.tatweel:
        removed += TATWEEL
    if options.strip_bidi:
        removed += BIDI_CONTROLS
    if options.zero_width:
        removed += ZERO_WIDTH
    changing_class = removed
    removed_chars = frozenset(_expand_class(removed))
    if options.presentation_forms:
        # Arabic presentation forms decompose under NFKC to one or more base letters; the base
        # letters then go through the other rules (ﻷ -> لأ -> لا).
        for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
            decomposed = unicodedata.normalize("NFKC", chr(cp))
            if decomposed != chr(cp):
                replacement = _apply_simple(decomposed, table, removed_chars)
                # The isolated-haraka forms (U+FC5E-U+FC63, U+FE70-U+FE7F) decompose to a space plus
                # marks; with the marks deleted the space is noise, not a word boundary.
                table[cp] = "" if replacement.isspace() else replacement
        changing_class += "\ufb50-\ufdff\ufe70-\ufeff"
    for char in removed_chars:
        table[ord(char)] = ""
    if not changing_class:
        return table, None
    # A character changes offsets when its replacement is not exactly one character.
    return table, regex.compile(f"[{changing_class}]")


def _expand_class(char_class: str) -> list[str]:
    """The characters of a class body written with ``a-b`` ranges (only as used in this module)."""
    chars: list[str] = []
    i = 0
    while i < len(char_class):
        if i + 2 < len(char_class) and char_class[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(char_class[i]), ord(char_class[i + 2]) + 1))
            i += 3
        else:
            chars.append(char_class[i])
            i += 1
    return chars


def _apply_simple(text: str, table: dict[int, str], removed: frozenset[str]) -> str:
    return "".join(table.get(ord(c), c) for c in text if c not in removed)


@dataclass(frozen=True, slots=True)
class NormalizedView:
    """A normalized copy of a source text, for matching only, with offsets back to the source.

    Attributes
    ----------
    text : str
        The normalized text. Never store it as a document's text: it is for search, alignment
        and deduplication.
    to_source : array of int, length ``len(text) + 1``
        ``to_source[i]`` is the offset in ``source`` of the character that produced ``text[i]``;
        ``to_source[len(text)] == len(source)``.
    source : str
        The text that was normalized, unchanged.
    options : NormalizationOptions
        The rules that were applied; :meth:`find` normalizes queries with the same rules.
    """

    text: str
    to_source: array
    source: str = field(repr=False)
    options: NormalizationOptions = field(default_factory=NormalizationOptions, repr=False)

    def __len__(self) -> int:
        return len(self.text)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the normalized text to the source.

        Characters deleted by normalization *inside* the span stay inside it. A span that ends on a
        letter also takes the harakat and tatweel that followed that letter in the source (they
        belong to it); deleted bidi and zero-width characters around the span stay outside.

        Parameters
        ----------
        start, end : int
            ``0 <= start <= end <= len(text)``.

        Returns
        -------
        (src_start, src_end) : tuple of int
            Half-open source offsets. An empty span maps to an empty span.
        """
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(f"span ({start}, {end}) is outside the normalized text of length {len(self.text)}")
        to_source = self.to_source
        src_start = to_source[start]
        if end == start:
            return src_start, src_start
        src_end = to_source[end - 1] + 1
        next_kept = to_source[end]
        if next_kept > src_end:
            # Only marks and tatweel were deleted between the last kept character and the next one.
            match = _TRAILING_MARKS.match(self.source, src_end, next_kept)
            if match is not None:
                src_end = match.end()
        return src_start, src_end

    def from_source(self, src_offset: int) -> int:
        """The normalized offset of the first normalized character produced at or after ``src_offset``.

        A deleted source character maps to the position of the next kept one, so
        ``source_span(from_source(a), from_source(b))`` covers ``source[a:b]``'s kept characters.
        """
        if not 0 <= src_offset <= len(self.source):
            raise IndexError(f"offset {src_offset} is outside the source text of length {len(self.source)}")
        return bisect_left(self.to_source, src_offset)

    def from_source_span(self, src_start: int, src_end: int) -> tuple[int, int]:
        """Map a half-open source span to the normalized text (see :meth:`from_source`)."""
        return self.from_source(src_start), self.from_source(src_end)

    def find(self, query: str, *, whole_words: bool = False) -> list[tuple[int, int]]:
        """Source spans of every non-overlapping occurrence of ``query``, compared after normalization.

        ``query`` is normalized with this view's options, so ``find("احمد")`` finds ``أَحمد``.
        With ``whole_words=True`` an occurrence must not be preceded or followed by a letter or digit
        in the normalized text. Results are in source order.
        """
        needle = normalize_text(query, self.options)
        if not needle:
            return []
        haystack = self.text
        spans: list[tuple[int, int]] = []
        if whole_words:
            pattern = regex.compile(rf"(?<![\p{{L}}\p{{M}}\p{{N}}]){regex.escape(needle)}(?![\p{{L}}\p{{M}}\p{{N}}])")
            for match in pattern.finditer(haystack):
                spans.append(self.source_span(*match.span()))
            return spans
        position = haystack.find(needle)
        while position != -1:
            spans.append(self.source_span(position, position + len(needle)))
            position = haystack.find(needle, position + len(needle))
        return spans


_TRAILING_MARKS = regex.compile(r"[\p{Mn}\u0640]+")


def normalize(text: str, options: NormalizationOptions = MATCHING) -> NormalizedView:
    """Normalize Arabic text for matching and keep a map back to the source offsets.

    The result is for search, alignment and deduplication only; a document's text is never replaced.

    Parameters
    ----------
    text : str
        Source text, as read.
    options : NormalizationOptions, default=MATCHING
        The rules to apply (:class:`NormalizationOptions`; presets :data:`MATCHING` and :data:`CANONICAL`).
    Returns
    -------
    NormalizedView

    Examples
    --------
    >>> view = normalize("قال الرئيـــس: أهلاً")
    >>> view.text
    'قال الرئيس: اهلا'
    >>> view.source_span(12, 16)
    (15, 20)
    """
    table, changing = _compile(options)
    source = text
    if options.lookalikes and not options.alef_maksura and "\u06cc" in text:
        text = _PERSIAN_YEH_FINAL.sub(ALEF_MAKSURA, text)  # one-to-one: offsets are unchanged
    normalized = text.translate(table)
    to_source = array("q")
    if changing is None:
        to_source.extend(range(len(source) + 1))
    else:
        previous = 0
        extend = to_source.extend
        for match in changing.finditer(text):
            position = match.start()
            extend(range(previous, position))
            extend((position,) * len(table.get(ord(text[position]), text[position])))
            previous = position + 1
        extend(range(previous, len(source) + 1))
    if len(to_source) != len(normalized) + 1:  # pragma: no cover - guards the one-char-per-rule invariant
        raise AssertionError("normalization produced an offset map of the wrong length")
    return NormalizedView(normalized, to_source, source, options)


def normalize_text(text: str, options: NormalizationOptions = MATCHING) -> str:
    """The normalized string only (no offset map): the fast path for keys and queries.

    Takes the same options as :func:`normalize`.
    """
    characters, replacements = _replacer(options)
    if options.lookalikes and not options.alef_maksura and "\u06cc" in text:
        text = _PERSIAN_YEH_FINAL.sub(ALEF_MAKSURA, text)
    return characters.sub(replacements, text)


@lru_cache(maxsize=64)
def _replacer(options: NormalizationOptions) -> tuple[re.Pattern[str], Callable[[re.Match[str]], str]]:
    """``text.translate(table)`` as a substitution of only the characters the table changes: a few per
    sentence, where ``str.translate`` looks every character of a non-ASCII text up in the dict (~3x
    slower on Arabic sentences; the audit normalizes every sentence of an external corpus)."""
    table, _ = _compile(options)
    by_char = {chr(code): replacement for code, replacement in table.items()}
    characters = re.compile("[" + "".join(re.escape(char) for char in by_char) + "]" if by_char else "(?!)")

    def replace(match: re.Match[str]) -> str:
        return by_char[match.group()]

    return characters, replace
