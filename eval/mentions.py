"""Place offset-free mentions (as a language model returns them) on a document's text.

An LLM asked for entities answers ``[{"text": "بوتين", "label": "PERS"}, ...]``: surface strings
without offsets, often spelled a little differently from the article. :func:`align_mentions`
finds each string in the document and returns ordinary :class:`~eval.types.Mention` objects with
character offsets into the text *as published*, so they can be scored like any other prediction.
Every mention that cannot be placed comes back as an :class:`UnalignedMention` with a reason;
nothing is dropped.

Matching rules, in the order they are tried
-------------------------------------------
Both the document and the mention are compared through
:func:`dataset_builder.text.normalize.normalize` (alef forms أ إ آ ٱ -> ا, ى -> ي, ة -> ه,
diacritics and tatweel removed, Persian/Urdu lookalike letters such as ی -> ي, Arabic-Indic digits
-> ASCII), whose offset map brings a match back to exact source offsets.
Whitespace runs match any whitespace run, and straight and typographic quotation marks
(" “ ” « » „) match each other.

1. **Normalized match** (kind ``exact`` when the surface is identical, else ``normalized``):
   ``الاسد`` finds ``الأسد``; ``معا`` finds ``معًا``; ``لايت`` finds ``لایت`` (Persian yeh).
2. **Attached proclitics** (kind ``proclitic``): a match may start inside a token when what
   precedes it in the token is a proclitic chain of :mod:`dataset_builder.text.clitics` — conjunction
   و/ف, then preposition ب/ل/ك, then the article ال (e.g. و, ب, وب, ال, وال, بال, لل, ولل).
   ``بوتين`` finds ``بوتين`` inside ``وبوتين`` and the span covers ``بوتين`` only; a mention that
   includes the clitic (``وبوتين``) covers the whole token.
3. **Lam-alef fusion** (kind ``lam-alef-fusion``): ل + ال is written لل, so ``الأمم`` never occurs
   in ``للأمم``; a mention starting with ال finds the fused form and the span starts at the
   article's ل (``لأمم``).
4. **Lookalike defects** (kind ``lookalike``), tried only when 1-3 find nothing: one character of
   the text that is not a core Arabic letter (a Thai, Latin or other foreign character) may stand
   in for one letter of the mention, or be inserted in it. This is what makes ``فيصل المقداد``
   find the published ``فิصل المقداد`` (Thai sara i U+0E34 where ي belongs). At most one such
   character per mention; two Arabic letters are never confused, so different spellings stay
   different: ``سوريا`` does not find ``سورية``.

Word boundaries: the character before a match must not be a word character unless it ends an
allowed proclitic chain (rule 2), and the character after a match must not be a word character:
enclitics and other suffixes are not skipped, so ``بوتين`` does not match inside ``البوتينات``.
Trailing diacritics of the last letter are kept inside the span.

Order: mentions are placed in the order given. Each is searched from the *start* of the previous
match onwards (so a nested mention listed after its container is found inside it); when nothing
lies ahead the search restarts from the beginning of the text. An occurrence already taken by an
earlier mention with the same label is skipped, so a name listed three times takes its first
three occurrences. The procedure is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import regex

from dataset_builder.problems import Problem, Severity
from dataset_builder.text.clitics import BEFORE_FUSED_ARTICLE, proclitic_chains
from dataset_builder.text.normalize import normalize, normalize_text
from eval.types import Mention

MatchKind = Literal["exact", "normalized", "proclitic", "lam-alef-fusion", "lookalike"]
UnalignedReason = Literal["malformed", "empty-text", "not-found", "inside-word", "occurrences-exhausted"]

#: Proclitic chains (normalized spelling) that may precede a match inside the same token: every chain of
#: :mod:`dataset_builder.text.clitics`, with NewsFANE's segmented لال, since the document may be its text.
PROCLITIC_CHAINS: frozenset[str] = frozenset(proclitic_chains(article=True, segmented=True))

_WORD_CHAR = regex.compile(r"[\p{L}\p{M}\p{N}\u0640]")
_QUOTE_MARKS = "\"“”«»„‟"
# A character that may stand in for a letter in rule 4: anything but a core Arabic letter,
# whitespace, punctuation, a symbol or a digit.
_LOOKALIKE_CLASS = r"[^\u0621-\u063A\u0641-\u064A\s\p{P}\p{S}\p{N}]"


@dataclass(frozen=True, slots=True)
class UnalignedMention:
    """A predicted mention that could not be placed on the text, and why.

    ``reason`` is one of ``malformed`` (not an object with a string ``text`` and ``label``),
    ``empty-text``, ``not-found``, ``inside-word`` (the string occurs only inside other words),
    ``occurrences-exhausted`` (every occurrence was already taken by an earlier mention with the same
    label). ``detail`` says it in a sentence. ``path``/``line`` locate the prediction when it was read
    from a file. ``speaker_of`` is set on the speaker of a quote (the quote's index): a speaker is the
    end of a link, not an entity prediction, so an unplaced one makes its link wrong and is not scored
    as a spurious mention.
    """

    index: int
    text: str
    label: str | None
    reason: UnalignedReason
    detail: str = ""
    doc_id: str | None = None
    layer: str = "entities"
    path: str | None = None
    line: int | None = None
    speaker_of: int | None = None

    def to_problem(self) -> Problem:
        """The problem to report: an error when the prediction is unusable (``malformed``, ``empty-text``:
        never scored), else a warning (the mention is scored as a spurious prediction by default)."""
        unusable = self.reason in ("malformed", "empty-text")
        fix = ("Give each mention a non-empty string `text` and a string `label`; this one is not scored."
               if unusable else
               "Check the mention against the document text. The text does not support it, so evaluation "
               "counts it as a false positive of its label (unaligned='spurious', the default) or leaves it "
               "out of the scores (unaligned='ignore'); a quote's unplaced speaker makes its link wrong.")
        return Problem(
            f"unaligned-{self.reason}",
            f"{self.layer} mention #{self.index} {self.text!r} ({self.label}) was not placed on the text: "
            f"{self.detail or self.reason}.",
            fix, Severity.ERROR if unusable else Severity.WARNING, self.path, self.line, self.doc_id,
        )


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a surface string was found: source offsets and which matching rule found it."""

    start: int
    end: int
    kind: MatchKind


@dataclass(frozen=True, slots=True)
class AlignedMention:
    """A placed mention with the index it had in the input and the rule that placed it."""

    index: int
    mention: Mention
    kind: MatchKind


@dataclass(frozen=True)
class AlignmentResult:
    """Outcome of :func:`align_mentions`: every input mention is in exactly one of the two lists."""

    mentions: list[Mention]
    unaligned: list[UnalignedMention]
    matches: list[AlignedMention] = field(default_factory=list)


class DocumentMatcher:
    """Finds surface strings in one document; build it once per document, query it many times."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.view = normalize(text)

    def occurrences(self, surface: str) -> tuple[list[Occurrence], list[int]]:
        """All boundary-respecting occurrences of ``surface``, sorted by start then length (longest first).

        Returns the occurrences, and the start offsets of matches rejected because they lie inside
        another word (to explain a miss). Rule 4 (lookalikes) is tried only when rules 1-3 find nothing.
        """
        words = normalize_text(surface).split()
        if not words:
            return [], []
        pattern = r"\s+".join(_word_pattern(word) for word in words)
        found, inside = self._search(regex.compile(pattern), surface, None)
        if words[0].startswith("ال") and len(words[0]) > 2:
            fused = r"\s+".join([_word_pattern("ل" + words[0][2:]), *map(_word_pattern, words[1:])])
            more, _ = self._search(regex.compile(fused), surface, "lam-alef-fusion")
            found += more
        if not found:
            fuzzy = regex.compile(rf"(?:{pattern}){{s<=1,i<=1,d<=0,e<=1:{_LOOKALIKE_CLASS}}}")
            found, more_inside = self._search(fuzzy, surface, "lookalike")
            inside += more_inside
        unique = sorted(set(found), key=lambda o: (o.start, -o.end))
        return unique, sorted(set(inside))

    def _search(
        self, pattern: regex.Pattern[str], surface: str, forced_kind: MatchKind | None
    ) -> tuple[list[Occurrence], list[int]]:
        text, found, inside = self.text, [], []
        for match in pattern.finditer(self.view.text, overlapped=True):
            start, end = self.view.source_span(*match.span())  # keeps the last letter's harakat inside
            if end < len(text) and _is_word(text[end]) and _is_word(text[end - 1]):
                inside.append(start)
                continue
            prefix = _token_prefix(text, start) if start > 0 and _is_word(text[start]) else ""
            if forced_kind == "lam-alef-fusion":
                if prefix not in BEFORE_FUSED_ARTICLE:
                    continue
                kind: MatchKind = "lam-alef-fusion"
            elif prefix and prefix not in PROCLITIC_CHAINS:
                inside.append(start)
                continue
            elif forced_kind is not None:
                kind = forced_kind
            elif prefix:
                kind = "proclitic"
            else:
                kind = "exact" if text[start:end] == surface.strip() else "normalized"
            found.append(Occurrence(start, end, kind))
        return found, inside

    def nearest(self, surface: str, anchor: int) -> Occurrence | None:
        """The occurrence of ``surface`` closest before ``anchor`` (else the first one after it).

        Used to place a speaker name near its quotation: attribution usually precedes the quote.
        """
        occurrences, _ = self.occurrences(surface)
        before = [o for o in occurrences if o.start < anchor]
        if before:
            return max(before, key=lambda o: (o.start, o.end))
        return occurrences[0] if occurrences else None


def _token_prefix(text: str, start: int) -> str:
    """Normalized text between the start of the token containing ``start`` and ``start``."""
    token_start = start
    while token_start > 0 and _is_word(text[token_start - 1]):
        token_start -= 1
    return normalize_text(text[token_start:start])


def _is_word(char: str) -> bool:
    return _WORD_CHAR.match(char) is not None


def _word_pattern(word: str) -> str:
    return "".join(f"[{regex.escape(_QUOTE_MARKS)}]" if c in _QUOTE_MARKS else regex.escape(c) for c in word)


def align_mentions(
    text: str,
    mentions: Sequence[Mapping[str, Any]],
    *,
    doc_id: str,
    layer: str = "entities",
    matcher: DocumentMatcher | None = None,
) -> AlignmentResult:
    """Place offset-free mentions on ``text`` (see the module docstring for the matching rules).

    Parameters
    ----------
    text : str
        The document text, as published.
    mentions : sequence of mapping
        Each with a string ``text`` and ``label`` (and optionally ``layer``, overriding ``layer``), in
        the order the model gave them.
    doc_id : str
        Document id given to the resulting mentions.
    layer : str, default="entities"
    matcher : DocumentMatcher, optional
        Reuse the normalized view of ``text`` across calls.

    Returns
    -------
    AlignmentResult
        ``mentions`` (sorted as the model gave them, with offsets and the source surface text),
        ``unaligned`` (each with a reason) and ``matches`` (index and matching rule of each placed
        mention). ``len(mentions) + len(unaligned) == len(input)``.

    Examples
    --------
    >>> result = align_mentions("وناقش الرئيسان الأسد وبوتين", [{"text": "الاسد", "label": "PERS"},
    ...                         {"text": "بوتين", "label": "PERS"}], doc_id="d1")
    >>> [(m.start, m.end, m.text) for m in result.mentions]
    [(15, 20, 'الأسد'), (22, 27, 'بوتين')]
    """
    matcher = matcher or DocumentMatcher(text)
    placed: list[AlignedMention] = []
    unaligned: list[UnalignedMention] = []
    taken: set[tuple[int, int, str, str]] = set()
    cursor = 0
    for index, item in enumerate(mentions):
        surface, label = _fields(item)
        item_layer = item.get("layer", layer) if isinstance(item, Mapping) else layer
        if surface is None or label is None:
            unaligned.append(UnalignedMention(
                index, str(surface if surface is not None else item), label, "malformed",
                "a mention needs a string `text` and a string `label`", doc_id, str(item_layer),
            ))
            continue
        if not surface.strip():
            unaligned.append(UnalignedMention(index, surface, label, "empty-text", "the text is empty", doc_id,
                                              item_layer))
            continue
        occurrences, inside = matcher.occurrences(surface)
        free = [o for o in occurrences if (o.start, o.end, label, item_layer) not in taken]
        chosen = next((o for o in free if o.start >= cursor), free[0] if free else None)
        if chosen is None:
            unaligned.append(_explain_miss(index, surface, label, doc_id, item_layer, occurrences, inside, text))
            continue
        taken.add((chosen.start, chosen.end, label, item_layer))
        cursor = chosen.start
        mention = Mention(doc_id, chosen.start, chosen.end, label, item_layer, text[chosen.start:chosen.end])
        placed.append(AlignedMention(index, mention, chosen.kind))
    return AlignmentResult([p.mention for p in placed], unaligned, placed)


def _fields(item: Any) -> tuple[str | None, str | None]:
    if not isinstance(item, Mapping):
        return None, None
    surface, label = item.get("text"), item.get("label")
    return (surface if isinstance(surface, str) else None), (label if isinstance(label, str) else None)


def _explain_miss(
    index: int, surface: str, label: str, doc_id: str, layer: str,
    occurrences: Iterable[Occurrence], inside: list[int], text: str,
) -> UnalignedMention:
    taken = list(occurrences)
    if taken:
        detail = (f"all {len(taken)} occurrence(s) are already taken by earlier {label} mentions "
                  f"(first at offset {taken[0].start})")
        return UnalignedMention(index, surface, label, "occurrences-exhausted", detail, doc_id, layer)
    if inside:
        word = _word_around(text, inside[0])
        detail = f"found only inside other words ({len(inside)}x, e.g. {word!r} at offset {inside[0]})"
        return UnalignedMention(index, surface, label, "inside-word", detail, doc_id, layer)
    return UnalignedMention(index, surface, label, "not-found",
                            "not in the text, even after normalizing spelling variants", doc_id, layer)


def _word_around(text: str, offset: int) -> str:
    start = offset
    while start > 0 and _is_word(text[start - 1]):
        start -= 1
    end = offset
    while end < len(text) and _is_word(text[end]):
        end += 1
    return text[start:end]


__all__ = [
    "PROCLITIC_CHAINS", "AlignedMention", "AlignmentResult", "DocumentMatcher", "MatchKind", "Occurrence",
    "UnalignedMention", "UnalignedReason", "align_mentions",
]
