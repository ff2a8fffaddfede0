"""Projection of gold character spans onto token tags (IOB2), one tag column per nesting level.

Gold annotations are character spans; token-classification datasets need one tag per token. The
two rarely line up exactly in Arabic: clitics are written onto the next word (و+بوتين = وبوتين,
ل+ال+أمم = للأمم), so a gold span often starts inside a token. :func:`project` makes the choice
explicit (``policy``) and records every span that did not align cleanly as a
:class:`ProjectionNote` - nothing is dropped or moved silently.

Policies
--------
``expand`` (default)
    A span boundary inside a token takes the whole token, as ANERcorp, Wojood and CAMeLBERT's
    data do (``وبوتين B-PERS``). The part of the token outside the span is noted: a proclitic chain
    of :mod:`~dataset_builder.text.clitics` (و ف ب ل ك, the article ال, and chains such as وب ول فل
    وال بال لل, optionally elongated with tatweel) or an enclitic pronoun (ه ها هم هما هن ك كم كما كن
    ي نا) is a ``clitic-remainder``; anything else is a ``boundary-inside-token``, which usually
    means a tokenization or annotation error.
``split``
    Tokens are split at span boundaries so that every span aligns exactly (``و`` + ``بوتين``);
    ``Projection.tokens`` then differs from the input and each split is noted (``token-split``).
``strict``
    Tokens are left alone; a span that does not start and end on token boundaries is noted as
    ``misaligned`` and left untagged.

Under every policy, a span that starts between the two lams of ل+ال (للأمم) is noted as
``lam-alef-fusion``: the article's alef is not written after the preposition, so the span reads
لأمم, never الأمم (decided on the text, so it is reported whether or not the word is split yet).

Nesting
-------
Tag column ``k`` (0-based) holds the spans at nesting depth ``k``: level 0 the outermost spans,
level 1 the spans directly inside them, and so on (Wojood's layout). A span identical to another
goes one level deeper. A span deeper than ``levels - 1`` is noted ``too-deep``; a span that crosses
another (overlaps without nesting) cannot be written as nested IOB2 and is noted ``crossing``; two
spans that land on the same tokens at one level after expansion are noted ``collision``. All of
these are left untagged at that level.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, Protocol

import regex

from dataset_builder.problems import Problem, Severity
from dataset_builder.text.clitics import BEFORE_FUSED_ARTICLE, is_proclitic_chain

__all__ = ["NOTE_KINDS", "Policy", "Projection", "ProjectionNote", "project"]

Policy = Literal["expand", "split", "strict"]

NOTE_KINDS: dict[str, Severity] = {
    "clitic-remainder": Severity.INFO,
    "token-split": Severity.INFO,
    "lam-alef-fusion": Severity.WARNING,
    "boundary-inside-token": Severity.WARNING,
    "misaligned": Severity.WARNING,
    "too-deep": Severity.WARNING,
    "crossing": Severity.WARNING,
    "collision": Severity.WARNING,
    "no-token": Severity.WARNING,
    "empty-span": Severity.WARNING,
    "out-of-range": Severity.ERROR,
}
"""Every note kind and its severity. INFO kinds are recorded decisions; WARNING kinds lose or bend a span."""

_ENCLITICS = regex.compile(r"\u0640?(?:ه|ها|هم|هما|هن|ك|كم|كما|كن|ي|نا)")
_LETTER_OR_MARK = regex.compile(r"[\p{L}\p{M}]")


class _SpanLike(Protocol):
    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class ProjectionNote:
    """Something about one span that was not a clean alignment.

    Attributes
    ----------
    span_index : int
        Position of the span in the ``spans`` argument.
    label : str
        The span's label.
    kind : str
        One of :data:`NOTE_KINDS`.
    message : str
        What happened, quoting the text.
    start, end : int
        The span's character offsets.
    token_start, token_end : int or None
        Offsets of the token involved (the one a boundary fell inside), when there is one.
    remainder : str or None
        The part of a token outside the span (``"و"`` for gold بوتين in وبوتين), when relevant.
    level : int or None
        The nesting level the span belongs to.
    span_id : str or None
        The span's ``id`` when spans were :class:`~dataset_builder.model.Span` objects.
    """

    span_index: int
    label: str
    kind: str
    message: str
    start: int
    end: int
    token_start: int | None = None
    token_end: int | None = None
    remainder: str | None = None
    level: int | None = None
    span_id: str | None = None

    @property
    def severity(self) -> Severity:
        return NOTE_KINDS[self.kind]

    def to_problem(self, *, doc_id: str | None = None, path: str | None = None) -> Problem:
        """This note as a :class:`~dataset_builder.problems.Problem` (code ``projection-<kind>``)."""
        fixes = {
            "clitic-remainder": "Nothing to do: the clitic is tagged with the entity, as in ANERcorp and Wojood.",
            "token-split": "Nothing to do: the token was split at the span boundary.",
            "lam-alef-fusion": "Start the span at the preposition (للأمم) or annotate the fused form; "
            "the article's alef is not written after ل.",
            "boundary-inside-token": "Check the span boundaries; they cut a word in a place that is not a clitic.",
            "misaligned": "Use policy 'expand' or 'split', or move the span to token boundaries.",
            "too-deep": "Raise the layer's `levels` in the schema, or accept that this span is not in the tag columns.",
            "crossing": "Make the spans nest or not touch; crossing spans cannot be written as nested IOB2.",
            "collision": "Use policy 'split', or remove one of the spans: both cover the same tokens at one level.",
            "no-token": "The span covers only whitespace or invisible characters; move or delete it.",
            "empty-span": "Give the span at least one character, or delete it.",
            "out-of-range": "Fix the span offsets: they lie outside the text.",
        }
        return Problem(
            code=f"projection-{self.kind}", message=self.message, fix=fixes[self.kind], severity=self.severity,
            path=path, doc_id=doc_id, offset=self.start, span_id=self.span_id,
        )


@dataclass(frozen=True, slots=True)
class Projection:
    """Tokens and their IOB2 tags, one tag list per nesting level, and notes on every imperfect span.

    ``tokens[i]`` is ``(start, end)``; ``tags[level][i]`` is the tag of token ``i`` at that level.
    """

    token_starts: list[int]
    token_ends: list[int]
    tags: list[list[str]]
    notes: list[ProjectionNote]

    @property
    def tokens(self) -> list[tuple[int, int]]:
        """``(start, end)`` of every token (built on demand: the build reads the two offset lists)."""
        return list(zip(self.token_starts, self.token_ends, strict=True))


@dataclass(slots=True)
class _Item:
    index: int
    start: int
    end: int
    label: str
    span_id: str | None
    level: int = 0


def project(
    text: str,
    starts: Sequence[int],
    ends: Sequence[int],
    spans: Sequence[tuple[int, int, str]] | Sequence[_SpanLike],
    *,
    policy: Policy = "expand",
    levels: int = 1,
) -> Projection:
    """Project character spans onto token tags.

    Parameters
    ----------
    text : str
        The document text the offsets point into.
    starts, ends : sequence of int
        Token offsets, ordered and non-overlapping.
    spans : sequence of (start, end, label) or of objects with ``start``, ``end``, ``label``
        The spans of one annotation layer (e.g. :class:`~dataset_builder.model.Span`).
    policy : {"expand", "split", "strict"}, default "expand"
        What to do with a boundary inside a token (see the module docstring).
    levels : int, default 1
        Number of tag columns (nesting levels) to fill.

    Returns
    -------
    Projection

    Examples
    --------
    >>> text = "التقى الأسد وبوتين"
    >>> result = project(text, [0, 6, 12], [5, 11, 18], [(6, 11, "PERS"), (13, 18, "PERS")])
    >>> result.tags
    [['O', 'B-PERS', 'B-PERS']]
    >>> [(n.kind, n.remainder) for n in result.notes]
    [('clitic-remainder', 'و')]
    """
    if policy not in ("expand", "split", "strict"):
        raise ValueError(f"unknown projection policy {policy!r}; choose 'expand', 'split' or 'strict'")
    if levels < 1:
        raise ValueError(f"levels must be at least 1, got {levels}")
    if len(starts) != len(ends):
        raise ValueError(f"starts and ends differ in length ({len(starts)} != {len(ends)})")
    notes: list[ProjectionNote] = []
    items = _valid_items(text, spans, notes)
    placed = _assign_levels(items, levels, notes)

    if policy == "split":
        tokens = _split_tokens(text, list(zip(starts, ends, strict=True)), placed, notes)
        token_starts = [s for s, _ in tokens]
        token_ends = [e for _, e in tokens]
    else:
        token_starts, token_ends = list(starts), list(ends)

    tags = [["O"] * len(token_starts) for _ in range(levels)]
    level_end = [0] * levels  # first token index still free at each level
    for item in placed:
        _note_lam_alef_fusion(text, item, notes)
        first = bisect_right(token_ends, item.start)  # first token ending after the span starts
        last = bisect_left(token_starts, item.end) - 1  # last token starting before the span ends
        if first > last:
            notes.append(_note(item, "no-token", f"span {_quote(text, item)} covers no token."))
            continue
        aligned = token_starts[first] == item.start and token_ends[last] == item.end
        if not aligned:
            if policy == "strict":
                notes.append(_note(
                    item, "misaligned",
                    f"span {_quote(text, item)} does not start and end on token boundaries"
                    f" (tokens {text[token_starts[first]:token_ends[last]]!r}); left untagged.",
                    token_starts[first], token_ends[last],
                ))
                continue
            _note_remainders(text, item, token_starts[first], token_ends[first], token_starts[last],
                             token_ends[last], notes)
        level = item.level
        if first < level_end[level]:
            notes.append(_note(
                item, "collision",
                f"span {_quote(text, item)} lands on tokens already tagged at level {level} by another span;"
                " left untagged.",
                token_starts[first], token_ends[last],
            ))
            continue
        column = tags[level]
        column[first] = f"B-{item.label}"
        for i in range(first + 1, last + 1):
            column[i] = f"I-{item.label}"
        level_end[level] = last + 1
    notes.sort(key=lambda n: (n.start, -n.end, n.span_index, n.kind))
    return Projection(token_starts, token_ends, tags, notes)


def _valid_items(
    text: str, spans: Sequence[tuple[int, int, str]] | Sequence[_SpanLike], notes: list[ProjectionNote]
) -> list[_Item]:
    items: list[_Item] = []
    for index, span in enumerate(spans):
        if isinstance(span, tuple):
            start, end, label = span
            span_id = None
        else:
            start, end, label = span.start, span.end, span.label
            span_id = getattr(span, "id", None)
        item = _Item(index, start, end, label, span_id)
        if not 0 <= start <= end <= len(text):
            message = f"span ({start}, {end}) lies outside the text of length {len(text)}."
            notes.append(_note(item, "out-of-range", message))
        elif start == end:
            notes.append(_note(item, "empty-span", f"span at offset {start} is empty."))
        else:
            items.append(item)
    # Outer spans before inner ones; identical spans keep their input order.
    items.sort(key=lambda it: (it.start, -it.end, it.index))
    return items


def _assign_levels(items: list[_Item], levels: int, notes: list[ProjectionNote]) -> list[_Item]:
    """Set each span's level to its nesting depth; note crossing and too-deep spans."""
    placed: list[_Item] = []
    open_spans: list[_Item] = []  # the chain of spans containing the current position, outermost first
    for item in items:
        while open_spans and open_spans[-1].end <= item.start:
            open_spans.pop()
        if open_spans and open_spans[-1].end < item.end:
            other = open_spans[-1]
            notes.append(_note(
                item, "crossing",
                f"span ({item.start}, {item.end}) {item.label} crosses span ({other.start}, {other.end})"
                f" {other.label}; left untagged.",
            ))
            continue
        item.level = len(open_spans)
        open_spans.append(item)
        if item.level >= levels:
            notes.append(_note(
                item, "too-deep",
                f"span ({item.start}, {item.end}) {item.label} is at nesting level {item.level + 1},"
                f" deeper than the {levels} tag column(s); left untagged.",
            ))
            continue
        placed.append(item)
    return placed


def _note_lam_alef_fusion(text: str, item: _Item, notes: list[ProjectionNote]) -> None:
    """Note a span that starts between the lams of ل+ال (للأمم): it reads لأمم, never الأمم.

    Decided on the text, not the tokens, so the note is the same whether or not the word was
    already split (a second projection pass over split tokens still reports it).
    """
    if not text.startswith("ل", item.start):
        return
    for length in (1, 2):
        word_start = item.start - length
        if word_start < 0:
            return
        prefix = text[word_start : item.start]
        if prefix in BEFORE_FUSED_ARTICLE and (word_start == 0 or not _LETTER_OR_MARK.match(text[word_start - 1])):
            word_end = word_start + len(_WORD_AT.match(text, word_start).group())
            notes.append(_note(
                item, "lam-alef-fusion",
                f"span {_quote(text, item)} starts between the lams of {text[word_start:word_end]!r}: after the"
                f" preposition ل the article's alef is not written, so the span reads"
                f" {text[item.start:word_end]!r}, not {'ا' + text[item.start:word_end]!r}.",
                word_start, word_end, prefix,
            ))
            return


_WORD_AT = regex.compile(r"[\p{L}\p{M}]*")


def _note_remainders(
    text: str, item: _Item, first_start: int, first_end: int, last_start: int, last_end: int,
    notes: list[ProjectionNote],
) -> None:
    """Under ``expand``: note the parts of the boundary tokens that lie outside the span."""
    if first_start < item.start:
        remainder = text[first_start : item.start]
        # Text as written: a clitic may be elongated (الـ), and NewsFANE's text spells ل + ال as لال.
        if is_proclitic_chain(remainder, segmented=True, tatweel=True):
            kind, what = "clitic-remainder", "a proclitic"
        else:
            kind, what = "boundary-inside-token", "not a known proclitic"
        notes.append(_note(
            item, kind,
            f"span {_quote(text, item)} starts inside token {text[first_start:first_end]!r}; the token is tagged"
            f" whole, with {remainder!r} before the span ({what}).",
            first_start, first_end, remainder,
        ))
    if last_end > item.end:
        remainder = text[item.end : last_end]
        if _ENCLITICS.fullmatch(remainder):
            kind, what = "clitic-remainder", "an enclitic pronoun"
        else:
            kind, what = "boundary-inside-token", "not a known enclitic"
        notes.append(_note(
            item, kind,
            f"span {_quote(text, item)} ends inside token {text[last_start:last_end]!r}; the token is tagged"
            f" whole, with {remainder!r} after the span ({what}).",
            last_start, last_end, remainder,
        ))


def _split_tokens(
    text: str, tokens: list[tuple[int, int]], items: list[_Item], notes: list[ProjectionNote]
) -> list[tuple[int, int]]:
    """Under ``split``: cut tokens at every span boundary that falls inside one."""
    token_starts = [s for s, _ in tokens]
    cuts: dict[int, set[int]] = {}  # token index -> cut offsets inside it
    for item in items:
        for boundary in (item.start, item.end):
            i = bisect_right(token_starts, boundary) - 1
            if i < 0:
                continue
            start, end = tokens[i]
            if not start < boundary < end:
                continue
            cuts.setdefault(i, set()).add(boundary)
            token = text[start:end]
            notes.append(_note(
                item, "token-split",
                f"token {token!r} split at offset {boundary} into {text[start:boundary]!r} and {text[boundary:end]!r}"
                f" for span {_quote(text, item)}.",
                start, end, text[start:boundary] if boundary == item.start else text[boundary:end],
            ))
    if not cuts:
        return tokens
    result: list[tuple[int, int]] = []
    for i, (start, end) in enumerate(tokens):
        if i not in cuts:
            result.append((start, end))
            continue
        points = [start, *sorted(cuts[i]), end]
        result.extend(pairwise(points))
    return result


def _quote(text: str, item: _Item) -> str:
    return f"{text[item.start:item.end]!r} ({item.label}, {item.start}-{item.end})"


def _note(
    item: _Item, kind: str, message: str, token_start: int | None = None, token_end: int | None = None,
    remainder: str | None = None,
) -> ProjectionNote:
    return ProjectionNote(
        item.index, item.label, kind, message, item.start, item.end, token_start, token_end, remainder,
        item.level, item.span_id,
    )
