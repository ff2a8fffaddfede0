"""The document model every stage speaks: documents, spans, links and where they came from.

Offsets are Python string indices (Unicode code points) into ``Document.text``, half-open
``[start, end)``. The text is exactly what the reader decoded from the source file: no stage
edits it, so gold offsets always point into the text as it was published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from dataset_builder.problems import Location, Problem

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a news article says about itself, besides its text.

    ``paragraphs`` holds ``(start, end)`` character offsets of each paragraph of the body.
    ``extra`` keeps reader-specific facts (for example the CoNLL tag scheme a file used).
    """

    title: str | None = None
    date: str | None = None
    dateline_place: str | None = None
    dateline_agency: str | None = None
    source_file: str | None = None
    licence: str | None = None
    paragraphs: tuple[tuple[int, int], ...] = ()
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled stretch of a document's text, in one annotation layer.

    ``text`` is the surface string the annotator saw; validation checks it equals
    ``document.text[start:end]``. It may be ``None`` when a format does not store it.
    """

    id: str
    layer: str
    start: int
    end: int
    label: str
    text: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    location: Location | None = field(default=None, compare=False)

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Link:
    """A typed, directed relation between two spans, e.g. ``speaker``: quote -> PERS mention."""

    id: str
    type: str
    source: str
    target: str
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Document:
    """One article (or, for corpora without article boundaries, one block of sentences).

    ``problems`` carries what the reader noticed while reading this document (repairs it made,
    records it could not keep); validation adds its own findings on top. They never change
    equality: two documents are equal when their content is.
    """

    id: str
    text: str
    metadata: Metadata = field(default_factory=Metadata)
    spans: tuple[Span, ...] = ()
    links: tuple[Link, ...] = ()
    location: Location | None = field(default=None, compare=False)
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    def layer(self, name: str) -> tuple[Span, ...]:
        """The spans of one layer, sorted by ``(start, -end, label)``: outer spans before inner ones."""
        return tuple(sorted((s for s in self.spans if s.layer == name), key=_span_order))

    def span_by_id(self) -> dict[str, Span]:
        return {s.id: s for s in self.spans}


def _span_order(span: Span) -> tuple[int, int, str]:
    return (span.start, -span.end, span.label)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record a reader could not turn into a document at all (e.g. a malformed JSON line).

    It is still counted as read, and rejected, so that counts reconcile. ``spans_seen`` and
    ``links_seen`` are the span and link records the record held, where the reader could count them
    (e.g. a JSONL document whose ``spans`` array parsed but one span is ill-typed): they are counted
    as read and rejected too.
    """

    location: Location
    problems: tuple[Problem, ...]
    doc_id: str | None = None
    spans_seen: int = 0
    links_seen: int = 0


__all__ = ["Document", "Link", "Location", "Metadata", "Problem", "Span", "Unreadable"]
