"""Character-level defects in Arabic news text: found, located and explained, never fixed.

Published Arabic text carries the traces of keyboards, converters and copy-paste: a Thai vowel sign
where ي belongs (فิصل), Latin letters typed with the wrong keyboard layout (وقراهem), Persian letters
that look like Arabic ones (لایت with Persian yeh), presentation-form glyphs from PDF extraction,
invisible bidi and zero-width characters. Such text still *looks* right to a reader, but breaks
search, entity matching and tokenization. :func:`detect_defects` reports each one with exact
offsets, a message a reviewer can act on, and a conservative suggestion. The text is never edited:
gold offsets point into the text as published.

Kinds and severities
--------------------
Errors for review (``Severity.WARNING``: the document is kept, a human should look):

``mixed-script``
    A token with Arabic letters and letters or marks of another script (Thai, Latin, Cyrillic,
    Greek...). Reported on the foreign run. A foreign *letter* run is suggested for removal, and
    when its letters read as a transliteration of Arabic ones (Latin "em" ~ م) the message also
    offers that reading; a foreign *vowel sign* stands where an Arabic letter was, so it is replaced
    by the long vowel its name gives (Thai SARA I -> ي: فิصل -> فيصل). When the foreign letters are
    most of the token (jqueryو) there is no suggestion: a space may be missing. Arabic proclitic
    chains (:mod:`~dataset_builder.text.clitics`) written onto a foreign word (وDell, الـCOVID,
    بـiPhone, as in ANERcorp) are normal Arabic writing, not a defect.
``lookalike``
    A letter from outside the core Arabic alphabet that looks like a core letter: Persian yeh ی
    (-> ي inside a word, -> ى at its end, where both are dotless), keheh ک -> ك, heh goal ہ and
    heh doachashmee ھ and ae ە -> ه, teh marbuta goal ۃ -> ة, yeh barree ے -> ي, noon ghunna ں -> ن,
    and Persian digits ۰-۹ -> Arabic-Indic ٠-٩ (۴ ۵ ۶ are drawn differently).
``presentation-form``
    Arabic presentation forms (U+FB50-U+FDFF, U+FE70-U+FEFE): contextual glyphs, not letters.
    Suggestion: the NFKC letters.
``unnormalized``
    A token that changes under NFC (a combining hamza after alef, harakat typed in non-canonical
    order). Suggestion: the NFC form.
``control``
    A C0/C1 control character other than tab and line breaks.
``replacement-character``
    U+FFFD: a character was lost when the text was decoded.

Information (``Severity.INFO``: recorded, usually intended):

``tatweel``
    Tatweel ـ (U+0640), elongation for typography or an abbreviation mark (هـ, الـ).
``zero-width``
    ZWSP, ZWNJ, ZWJ, word joiner, soft hyphen or BOM inside the text.
``bidi-control``
    LRM, RLM, ALM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
``compatibility``
    A character that NFKC changes other than a presentation form (superscripts, full-width
    letters, ligatures such as ﬁ). Suggestion: the NFKC form.

Harakat, shadda, sukun, superscript alef, Arabic-Indic digits, Arabic punctuation and Latin words
standing alone (COVID-19) are normal text and never reported.

Speed: one scan finds the few characters worth a closer look (a plain character class run by the
standard library's engine proposes places, the full ``regex`` pattern decides at each); only the
tokens that hold them are analysed in Python, so clean text costs one scan.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import regex

from dataset_builder.problems import Problem, Severity
from dataset_builder.text.clitics import is_proclitic_chain
from dataset_builder.text.tokenize import token_spans

__all__ = ["DEFECT_KINDS", "Defect", "detect_defects"]

DEFECT_KINDS: dict[str, Severity] = {
    "mixed-script": Severity.WARNING,
    "lookalike": Severity.WARNING,
    "presentation-form": Severity.WARNING,
    "unnormalized": Severity.WARNING,
    "control": Severity.WARNING,
    "replacement-character": Severity.WARNING,
    "tatweel": Severity.INFO,
    "zero-width": Severity.INFO,
    "bidi-control": Severity.INFO,
    "compatibility": Severity.INFO,
}
"""Every defect kind and its severity: WARNING kinds are errors for review, INFO kinds are recorded."""


@dataclass(frozen=True, slots=True)
class Defect:
    """One defect in a text.

    Attributes
    ----------
    start, end : int
        Half-open code-point offsets of the defective characters (e.g. the Latin "em" of وقراهem).
    kind : str
        One of :data:`DEFECT_KINDS`.
    text : str
        ``source[start:end]``.
    message : str
        What is wrong, naming the characters and code points.
    suggestion : str or None
        What ``source[token_start:token_end]`` should probably read, or ``None`` when there is no
        safe guess. A suggestion, never applied.
    token_start, token_end : int
        The token holding the defect; for a character between tokens (a bidi mark after a space)
        the defect's own span.
    alternatives : tuple of str
        Other plausible readings of the token, best first (may be empty).
    """

    start: int
    end: int
    kind: str
    text: str
    message: str
    suggestion: str | None
    token_start: int
    token_end: int
    alternatives: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        return DEFECT_KINDS[self.kind]

    def to_problem(self, *, doc_id: str | None = None, path: str | None = None) -> Problem:
        """This defect as a :class:`~dataset_builder.problems.Problem` (code ``text-<kind>``)."""
        if self.suggestion is None:
            fix = "Check the published source and correct the text at its origin if it is wrong."
        elif self.suggestion == "":
            fix = "Remove the character(s) in the source if they are not intended."
        else:
            fix = f"Suggested spelling: {self.suggestion!r}; check the published source before correcting it."
            if self.alternatives:
                fix += " Other readings: " + ", ".join(repr(a) for a in self.alternatives) + "."
        return Problem(
            code=f"text-{self.kind}", message=self.message, fix=fix, severity=self.severity,
            path=path, doc_id=doc_id, offset=self.start,
        )


# --- character classes ---------------------------------------------------------------------------

_BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_TATWEEL = "\u0640"
_HARAKAT = "\u064b-\u0652\u0670"
_ARABIC_LETTERS = "\u0621-\u063a\u0641-\u064a"
# Characters of ordinary Arabic news text that need no closer look on their own (their Latin letters and
# harakat are looked at in context below).
_PLAIN_SYMBOLS = (
    r"\x21-\x40\x5b-\x60\x7b-\x7e"  # ASCII digits, punctuation and symbols
    + _ARABIC_LETTERS
    + "\u0660-\u0669\u060c\u061b\u061f\u066a-\u066c\u06d4"  # Arabic-Indic digits and punctuation
    + "\u00ab\u00bb\u2018\u2019\u201a\u201c\u201d\u201e\u2039\u203a\u2026\u2013\u2014\u2022\u00b7"
)
_PLAIN = rf"\sA-Za-z{_HARAKAT}{_PLAIN_SYMBOLS}"
_CANDIDATES = regex.compile(
    rf"[^{_PLAIN}]"
    # Latin letters touching Arabic ones within a word (through harakat, digits, tatweel, joiners).
    rf"|(?<=[{_ARABIC_LETTERS}][{_HARAKAT}\d\u0640\u200c\u200d]*)[A-Za-z]"
    rf"|[A-Za-z](?=[{_HARAKAT}\d\u0640\u200c\u200d]*[{_ARABIC_LETTERS}])"
    # Two or more marks in a row may be in non-canonical order.
    rf"|[{_HARAKAT}]{{2,}}"
)
# Where a candidate may start: one plain character class that holds every first character of
# _CANDIDATES (and single harakat), which the standard library's engine scans several times faster
# than ``regex`` runs _CANDIDATES over a whole text. Only ASCII whitespace counts as plain here, so no
# candidate is missed; _CANDIDATES itself decides at each place found.
_MAYBE_CANDIDATE = re.compile(rf"[^ \t\n\r{_PLAIN_SYMBOLS}]")

_ARABIC_LETTER = regex.compile(r"(?=\p{Script=Arabic})\p{L}")
_FOREIGN_RUN = regex.compile(r"(?:(?![\p{Script=Arabic}\p{Script=Common}\p{Script=Inherited}])[\p{L}\p{M}])+")
_PRESENTATION_RUN = regex.compile(r"[\ufb50-\ufdff\ufe70-\ufefe]+")
_TATWEEL_RUN = regex.compile(r"\u0640+")
_INVISIBLE = regex.compile(rf"[{_BIDI}{_ZERO_WIDTH}]")
_LETTER_OR_MARK = regex.compile(r"[\p{L}\p{M}]")

_LOOKALIKE_LETTERS = {
    "\u06a9": ("\u0643", "keheh ک looks like kaf ك"),
    "\u06aa": ("\u0643", "swash kaf ڪ looks like kaf ك"),
    "\u06c1": ("\u0647", "heh goal ہ looks like heh ه"),
    "\u06be": ("\u0647", "heh doachashmee ھ looks like heh ه"),
    "\u06d5": ("\u0647", "ae ە looks like heh ه"),
    "\u06c3": ("\u0629", "teh marbuta goal ۃ looks like teh marbuta ة"),
    "\u06d2": ("\u064a", "yeh barree ے stands for yeh ي"),
    "\u06ba": ("\u0646", "noon ghunna ں looks like noon ن"),
}
_PERSIAN_YEH = "\u06cc"
_LOOKALIKE_RUN = regex.compile(rf"[{''.join(_LOOKALIKE_LETTERS)}{_PERSIAN_YEH}]|[\u06f0-\u06f9]+")

# Latin letters as transliterations of Arabic consonants; short vowels are not written in Arabic.
_LATIN_TO_ARABIC = {
    "b": "ب", "t": "ت", "j": "ج", "d": "د", "r": "ر", "z": "ز", "s": "س", "f": "ف", "q": "ق",
    "k": "ك", "l": "ل", "m": "م", "n": "ن", "h": "ه", "w": "و", "y": "ي",
    "a": "", "e": "", "i": "", "o": "", "u": "",
}
# The long vowel letter a foreign vowel sign stands for, from the last word of its Unicode name.
_VOWEL_NAME_TO_ARABIC = {"I": "ي", "II": "ي", "EE": "ي", "U": "و", "UU": "و", "OO": "و", "A": "ا", "AA": "ا"}


def _script_name(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ")[0].title() if name else "unknown"


def _describe(chars: str) -> str:
    return ", ".join(f"{unicodedata.name(c, 'UNNAMED')} (U+{ord(c):04X})" for c in chars)


def detect_defects(
    text: str,
    starts: Sequence[int] | None = None,
    ends: Sequence[int] | None = None,
) -> list[Defect]:
    """Find character-level defects in ``text`` (see the module docstring for kinds and severities).

    Parameters
    ----------
    text : str
        Text as read; it is not changed.
    starts, ends : sequence of int, optional
        Token offsets (from :func:`~dataset_builder.text.tokenize.token_spans`, or a corpus's own
        tokens). A defect is analysed within its token. Computed when omitted.

    Returns
    -------
    list of Defect
        Sorted by ``(start, end, kind)``.

    Examples
    --------
    >>> [(d.kind, d.text, d.suggestion) for d in detect_defects("الدكتور فิصل المقداد")]
    [('mixed-script', 'ิ', 'فيصل')]
    >>> [(d.kind, d.text, d.suggestion) for d in detect_defects("لقاحي (سيبوتنيك لایت)")]
    [('lookalike', 'ی', 'لايت')]
    """
    if starts is None or ends is None:
        starts, ends = token_spans(text)
    defects: list[Defect] = []
    last_token = -1
    for match in _candidates(text):
        position = match.start()
        token = bisect_right(starts, position) - 1
        if token >= 0 and position < ends[token]:
            if token != last_token:
                defects.extend(_token_defects(text, starts[token], ends[token]))
                last_token = token
        else:
            defects.extend(_between_tokens_defects(text, position))
    defects.sort(key=lambda d: (d.start, d.end, d.kind))
    return defects


def _candidates(text: str) -> Iterator[regex.Match[str]]:
    """The matches of ``_CANDIDATES.finditer(text)``: _CANDIDATES is tried only where _MAYBE_CANDIDATE
    finds a possible start (most of a news text is plain Arabic letters, spaces and ASCII)."""
    search, match_at = _MAYBE_CANDIDATE.search, _CANDIDATES.match
    position = 0
    while (maybe := search(text, position)) is not None:
        found = match_at(text, maybe.start())
        if found is None:
            position = maybe.start() + 1
        else:
            yield found
            position = found.end()


def _between_tokens_defects(text: str, position: int) -> list[Defect]:
    """Defects of a character that no token covers (invisible characters, controls)."""
    char = text[position]
    kind = _invisible_kind(char)
    if kind is None:
        if unicodedata.category(char) != "Cc" or char in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85":
            return []
        kind = "control"
    return [_character_defect(text, position, position + 1, kind, position, position + 1)]


def _invisible_kind(char: str) -> str | None:
    if char in _BIDI:
        return "bidi-control"
    if char in _ZERO_WIDTH:
        return "zero-width"
    return None


def _character_defect(text: str, start: int, end: int, kind: str, token_start: int, token_end: int) -> Defect:
    """A defect whose suggestion is the token without the characters (invisible ones, controls)."""
    chars = text[start:end]
    if start == 0:
        where = "at the start of the text"
    elif (token_start, token_end) == (start, end):
        where = "between words"
    elif start == token_start:
        where = "at the start of a word"
    elif end == token_end:
        where = "at the end of a word"
    else:
        where = "inside a word"
    token = text[token_start:token_end]
    suggestion = token[: start - token_start] + token[end - token_start :]
    message = f"{_describe(chars)} {where}."
    if kind == "bidi-control":
        message += " Directional marks are invisible and break exact matching."
    elif kind == "zero-width":
        if chars in ("\u200c", "\u200d") and token_start != start:
            message += " Joiners are normal in Persian and Urdu spelling but not in Arabic."
        else:
            message += " It is invisible and breaks exact matching."
    return Defect(start, end, kind, chars, message, suggestion, token_start, token_end)


def _token_defects(text: str, token_start: int, token_end: int) -> list[Defect]:
    """Every defect inside one token (only called for tokens holding a candidate character)."""
    token = text[token_start:token_end]
    found: list[Defect] = []
    found.extend(_mixed_script(text, token, token_start, token_end))
    found.extend(_lookalikes(token, token_start, token_end))
    for match in _PRESENTATION_RUN.finditer(token):
        letters = unicodedata.normalize("NFKC", match.group())
        suggestion = token[: match.start()] + letters + token[match.end() :]
        found.append(Defect(
            token_start + match.start(), token_start + match.end(), "presentation-form", match.group(),
            f"Arabic presentation form(s) {_describe(match.group())} in {token!r}: glyph shapes, not letters.",
            suggestion, token_start, token_end,
        ))
    for match in _TATWEEL_RUN.finditer(token):
        suggestion = token[: match.start()] + token[match.end() :]
        found.append(Defect(
            token_start + match.start(), token_start + match.end(), "tatweel", match.group(),
            f"Tatweel (U+0640) x{len(match.group())} in {token!r}: elongation or an abbreviation mark.",
            suggestion, token_start, token_end,
        ))
    for match in _INVISIBLE.finditer(token):
        kind = _invisible_kind(match.group())
        assert kind is not None
        position = token_start + match.start()
        found.append(_character_defect(text, position, position + 1, kind, token_start, token_end))
    found.extend(_normalization(token, token_start, token_end))
    if "\ufffd" in token:
        for match in regex.finditer("\ufffd+", token):
            found.append(Defect(
                token_start + match.start(), token_start + match.end(), "replacement-character", match.group(),
                f"U+FFFD REPLACEMENT CHARACTER in {token!r}: a character was lost when the source was decoded.",
                None, token_start, token_end,
            ))
    return found


def _mixed_script(text: str, token: str, token_start: int, token_end: int) -> list[Defect]:
    if not _ARABIC_LETTER.search(token):
        return []
    found: list[Defect] = []
    for match in _FOREIGN_RUN.finditer(token):
        run = match.group()
        before = token[: match.start()]
        # وDell, الـCOVID, بـiPhone: Arabic proclitics written onto a foreign word, often elongated
        # with tatweel; the text may be NewsFANE's, which spells ل + ال as لال.
        if is_proclitic_chain(before, segmented=True, tatweel=True) and not _ARABIC_LETTER.search(token, match.end()):
            continue
        scripts = sorted({_script_name(c) for c in run})
        dropped = token[: match.start()] + token[match.end() :]
        reading = _transliterate(run)
        message = f"{token!r} mixes Arabic with {'/'.join(scripts)}: {_describe(run)}."
        if all(unicodedata.category(c) == "Mn" for c in run):
            # A combining mark cannot add a sound to an Arabic word: it stands where a letter was.
            if reading:
                suggestion = token[: match.start()] + reading + token[match.end() :]
                message += (
                    f" A foreign vowel sign sits where an Arabic letter belongs; its vowel suggests {reading}"
                    f" ({suggestion}). Removing it instead gives {dropped}."
                )
                alternatives: tuple[str, ...] = (dropped,)
            else:
                suggestion, alternatives = dropped, ()
                message += f" Removing it gives {dropped}."
        elif len(run) >= len(_ARABIC_LETTER.findall(token)):
            # The foreign word is the bulk of the token (jqueryو): more likely a missing space or a
            # stray Arabic letter than stray foreign letters; no safe single suggestion.
            suggestion, alternatives = None, ()
            message += " The foreign letters are most of the word: a space may be missing."
        else:
            suggestion = dropped
            message += f" Removing the foreign letters gives {dropped}."
            alternatives = ()
            if reading:
                read = token[: match.start()] + reading + token[match.end() :]
                message += f" They may also be a transliteration ({run!r} ~ {reading}), giving {read}."
                alternatives = (read,)
        found.append(Defect(
            token_start + match.start(), token_start + match.end(), "mixed-script", run, message,
            suggestion, token_start, token_end, alternatives,
        ))
    return found


def _transliterate(run: str) -> str:
    """The Arabic letters a foreign run may stand for, or ``""`` when there is no confident reading."""
    if all(unicodedata.category(c) == "Mn" for c in run):
        letters = []
        for char in run:
            name = unicodedata.name(char, "")
            is_vowel_sign = " VOWEL SIGN " in name or " SARA " in name
            vowel = _VOWEL_NAME_TO_ARABIC.get(name.rsplit(" ", 1)[-1]) if is_vowel_sign else None
            if vowel is None:
                return ""
            letters.append(vowel)
        return "".join(letters)
    if not run.isascii():
        return ""
    letters = [_LATIN_TO_ARABIC.get(char) for char in run.lower()]
    if any(letter is None for letter in letters):
        return ""
    return "".join(letters)  # type: ignore[arg-type]


def _lookalikes(token: str, token_start: int, token_end: int) -> list[Defect]:
    found: list[Defect] = []
    for match in _LOOKALIKE_RUN.finditer(token):
        chars = match.group()
        if chars[0] == _PERSIAN_YEH:
            rest = token[match.end() :].lstrip("".join(chr(c) for c in range(0x064B, 0x0653)) + "\u0670")
            final = not rest or not _LETTER_OR_MARK.match(rest)
            replacement = "\u0649" if final else "\u064a"
            why = (
                "Persian yeh ی is dotless at the end of a word, like alef maksura ى"
                if final else "Persian yeh ی has dots inside a word, like yeh ي"
            )
        elif chars[0] in _LOOKALIKE_LETTERS:
            replacement, why = _LOOKALIKE_LETTERS[chars[0]]
        else:
            replacement = "".join(chr(ord(c) - 0x06F0 + 0x0660) for c in chars)
            why = "Persian digits ۰-۹ are not the Arabic-Indic digits ٠-٩ (۴ ۵ ۶ are drawn differently)"
        suggestion = token[: match.start()] + replacement + token[match.end() :]
        found.append(Defect(
            token_start + match.start(), token_start + match.end(), "lookalike", chars,
            f"{_describe(chars)} in {token!r}: {why}; the Arabic spelling is {suggestion}.",
            suggestion, token_start, token_end,
        ))
    return found


def _normalization(token: str, token_start: int, token_end: int) -> list[Defect]:
    found: list[Defect] = []
    nfc = unicodedata.normalize("NFC", token)
    if nfc != token:
        prefix = _common_prefix(token, nfc)
        suffix = _common_prefix(token[prefix:][::-1], nfc[prefix:][::-1])
        start, end = prefix, len(token) - suffix
        found.append(Defect(
            token_start + start, token_start + end, "unnormalized", token[start:end],
            f"{token!r} is not in Unicode NFC: {_describe(token[start:end])} becomes"
            f" {nfc[prefix:len(nfc) - suffix]!r} (composed or reordered), so equal-looking words compare unequal.",
            nfc, token_start, token_end,
        ))
    position = 0
    while position < len(token):
        char = token[position]
        if _is_compatibility(char):
            end = position + 1
            while end < len(token) and _is_compatibility(token[end]):
                end += 1
            chars = token[position:end]
            folded = unicodedata.normalize("NFKC", chars)
            found.append(Defect(
                token_start + position, token_start + end, "compatibility", chars,
                f"{_describe(chars)} in {token!r} is a compatibility character; NFKC reads it as {folded!r}.",
                token[:position] + folded + token[end:], token_start, token_end,
            ))
            position = end
        else:
            position += 1
    return found


def _is_compatibility(char: str) -> bool:
    if "\ufb50" <= char <= "\ufdff" or "\ufe70" <= char <= "\ufefe":
        return False  # reported as presentation-form
    return unicodedata.normalize("NFKC", char) != unicodedata.normalize("NFC", char)


def _common_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length
