"""Validation: is a document consistent with itself and with the corpus schema?

Checks, each with a stable problem code:

=====================  ======================================================================
code                   what is wrong
=====================  ======================================================================
doc-id-missing         the document has no id
doc-id-duplicate       two documents of one build share an id (see :class:`DocumentIdTracker`)
span-offsets           start/end are not integers with ``0 <= start < end <= len(text)``
span-text-mismatch     the span's stored surface text differs from ``text[start:end]``
span-whitespace        the span starts or ends with white space (warning)
span-inside-grapheme   the span starts on a combining mark, i.e. inside a letter with its diacritics
span-attributes-not-written
                       spans carry attributes (BRAT ``A``/``M``/``#`` notes, JSONL ``attributes``), which
                       the dataset has no column for (warning, once per document)
span-id-duplicate      two spans of one document share an id
unknown-layer          the span's layer is not declared in the schema
unknown-label          the label is not declared for the span's layer
span-duplicate         two or more spans of a layer have the same offsets and label (one problem per
                       group of copies)
paragraph-offsets      a ``metadata.paragraphs`` pair is not ``0 <= start <= end <= len(text)``
span-nesting           a span lies inside another, in a layer that does not allow nesting
span-overlap           two spans cross (share characters, neither inside the other)
span-too-deep          nesting deeper than the layer's ``levels`` (warning: the tokens config
                       can only carry ``levels`` tag columns)
link-id-duplicate      two links of one document share an id
unknown-link-type      the link type is not declared in the schema
link-dangling          a link points to a span id that does not exist
link-wrong-layer       a link end is in another layer than the schema says
link-wrong-label       a link end has a label the schema does not allow for that end
=====================  ======================================================================

Validation never changes a document; it only reports. Errors make ``akhbar build`` reject the
document (or stop, with ``--strict``); warnings are kept in the build's problem report.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby

from dataset_builder.model import Document, Link, Span
from dataset_builder.problems import Problem, Severity
from dataset_builder.schema import LayerSpec, Schema

__all__ = ["DocumentIdTracker", "validate_document"]


def validate_document(doc: Document, schema: Schema) -> list[Problem]:
    """All problems of one document against ``schema``, in a stable order.

    Reader-level problems already attached to ``doc.problems`` are not repeated here.
    """
    problems: list[Problem] = []
    path = doc.location.path if doc.location else None
    line = doc.location.line if doc.location else None
    if not doc.id:
        problems.append(
            Problem(
                "doc-id-missing",
                "the document has no id.",
                "Give every document a unique, non-empty `id`.",
                path=path,
                line=line,
            )
        )

    valid_spans = _check_spans(doc, schema, problems)
    _check_attributes(doc, problems)
    layers = {layer.name: layer for layer in schema.layers}
    by_layer: dict[str, list[Span]] = {}
    for span in valid_spans:
        if span.layer in layers:
            by_layer.setdefault(span.layer, []).append(span)
    for layer_name, spans in by_layer.items():
        _check_layer_structure(doc, layers[layer_name], spans, problems)
    _check_links(doc, schema, problems)
    _check_paragraphs(doc, problems)
    return problems


#: Attributes a reader derives from the file's structure and the dataset writes in another form: the tag
#: column a CoNLL mention came from (``level``) is the tag column it is projected onto again.
_STRUCTURAL_ATTRIBUTES = {"given": frozenset({"level"})}


def _check_attributes(doc: Document, problems: list[Problem]) -> None:
    structural = _STRUCTURAL_ATTRIBUTES.get(str(doc.metadata.extra.get("tokenization")), frozenset())
    with_attributes = [span for span in doc.spans if set(span.attributes) - structural]
    if not with_attributes:
        return
    names = sorted({str(name) for span in with_attributes for name in span.attributes if name not in structural})
    problems.append(_problem(
        doc, with_attributes[0], "span-attributes-not-written",
        f"{len(with_attributes)} span(s) carry attributes ({', '.join(map(repr, names[:10]))}"
        f"{', ...' if len(names) > 10 else ''}); the dataset has no column for them, so they are not written.",
        "Keep them in the source files, or turn the ones that matter into labels or links.",
        Severity.WARNING,
    ))


def _check_paragraphs(doc: Document, problems: list[Problem]) -> None:
    n = len(doc.text)
    for index, pair in enumerate(doc.metadata.paragraphs):
        start, end = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
        if not (type(start) is int and type(end) is int and 0 <= start <= end <= n):
            problems.append(_problem(
                doc, None, "paragraph-offsets",
                f"metadata.paragraphs[{index}] is {list(pair) if isinstance(pair, tuple) else pair!r}, not a range "
                f"inside the text (length {n}).",
                "Write each paragraph as [start, end] code-point offsets with 0 <= start <= end <= the text's length.",
            ))


def _problem(doc: Document, span: Span | Link | None, code: str, message: str, fix: str,
             severity: Severity = Severity.ERROR, offset: int | None = None) -> Problem:
    location = (span.location if span is not None else None) or doc.location
    return Problem(
        code,
        message,
        fix,
        severity,
        path=location.path if location else None,
        line=location.line if location else None,
        doc_id=doc.id or None,
        offset=offset,
        span_id=span.id if span is not None else None,
    )


def _check_spans(doc: Document, schema: Schema, problems: list[Problem]) -> list[Span]:
    """Per-span checks; returns the spans whose offsets are usable for structural checks."""
    text = doc.text
    n = len(text)
    layers = {layer.name: layer for layer in schema.layers}
    label_sets = {layer.name: frozenset(layer.label_names) for layer in schema.layers}
    usable: list[Span] = []
    for span_id, count in Counter(s.id for s in doc.spans).items():
        if count > 1:
            first = next(s for s in doc.spans if s.id == span_id)
            problems.append(
                _problem(doc, first, "span-id-duplicate", f"span id {span_id!r} is used {count} times.",
                         "Give every span of a document its own id (e.g. T1, T2, ...).")
            )
    for span in doc.spans:
        if not (isinstance(span.start, int) and isinstance(span.end, int)) or not (0 <= span.start < span.end <= n):
            problems.append(
                _problem(
                    doc, span, "span-offsets",
                    f"offsets [{span.start}, {span.end}) are not a non-empty range inside the text "
                    f"(length {n}).",
                    "Offsets are 0-based code-point indices, end exclusive; check the span against the text.",
                    offset=span.start if isinstance(span.start, int) else None,
                )
            )
            continue
        usable.append(span)
        surface = text[span.start:span.end]
        if unicodedata.combining(text[span.start]):
            problems.append(
                _problem(
                    doc, span, "span-inside-grapheme",
                    f"span {surface!r} starts on the combining mark U+{ord(text[span.start]):04X}, which belongs "
                    f"to the letter before it ({text[max(0, span.start - 1):span.start + 1]!r}).",
                    "Start the span on a base letter: move the start one character left (to take the letter "
                    "with its mark) or past the marks.", offset=span.start,
                )
            )
        if span.text is not None and span.text != surface:
            problems.append(
                _problem(
                    doc, span, "span-text-mismatch",
                    f"stored text {span.text!r} differs from the text at [{span.start}, {span.end}): "
                    f"{surface!r}.",
                    _mismatch_fix(text, span),
                    offset=span.start,
                )
            )
        if surface != surface.strip():
            problems.append(
                _problem(
                    doc, span, "span-whitespace",
                    f"span {surface!r} starts or ends with white space.",
                    "Move the boundary to the first/last non-space character.",
                    Severity.WARNING, offset=span.start,
                )
            )
        layer = layers.get(span.layer)
        if layer is None:
            problems.append(
                _problem(
                    doc, span, "unknown-layer",
                    f"layer {span.layer!r} is not declared in schema {schema.name!r}.",
                    f"Use one of: {', '.join(schema.layer_names)}; or declare the layer in the schema.",
                    offset=span.start,
                )
            )
        elif span.label not in label_sets[span.layer]:
            close = difflib.get_close_matches(span.label, layer.label_names, n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            problems.append(
                _problem(
                    doc, span, "unknown-label",
                    f"label {span.label!r} is not declared for layer {span.layer!r}.",
                    f"{hint}Labels of {span.layer!r}: {', '.join(layer.label_names)}.",
                    offset=span.start,
                )
            )
    return usable


def _mismatch_fix(text: str, span: Span) -> str:
    assert span.text is not None
    hits = []
    pos = text.find(span.text)
    while pos != -1 and len(hits) < 50:
        hits.append(pos)
        pos = text.find(span.text, pos + 1)
    if not hits:
        return "The stored text does not occur in the document: re-export the annotation from its source."
    nearest = min(hits, key=lambda p: abs(p - span.start))
    return (
        f"The stored text occurs at [{nearest}, {nearest + len(span.text)}); fix the offsets, or the stored text "
        "if the offsets are right (offsets count Unicode code points, not bytes or UTF-16 units)."
    )


def _check_layer_structure(doc: Document, layer: LayerSpec, spans: Sequence[Span], problems: list[Problem]) -> None:
    """Duplicates, nesting, crossing and depth in one layer, in O(n log n + k) for k reported pairs.

    Copies of one span (same offsets and label) are reported once per group and only the first copy
    takes part in the other checks, so 3,000 copies cost one problem, not 4.5 million pairs.
    """
    ordered = []
    for _, group in groupby(sorted(spans, key=lambda s: (s.start, -s.end, s.label, s.id)),
                            key=lambda s: (s.start, s.end, s.label)):
        first, *copies = group
        ordered.append(first)
        if copies:
            shown = ", ".join(repr(copy.id) for copy in copies[:5]) + (", ..." if len(copies) > 5 else "")
            subject = f"span {shown} repeats" if len(copies) == 1 else f"{len(copies)} spans ({shown}) repeat"
            problems.append(_problem(
                doc, copies[0], "span-duplicate",
                f"{subject} span {first.id!r}: same offsets [{first.start}, {first.end}) and label {first.label!r}.",
                "Delete one of the two." if len(copies) == 1 else "Keep one of the copies.",
                offset=first.start,
            ))
    # Stack of spans that enclose the current position, outermost first.
    stack: list[Span] = []
    for span in ordered:
        while stack and stack[-1].end <= span.start:
            stack.pop()
        for outer in stack:
            if outer.start == span.start and outer.end == span.end:
                if not layer.nesting:
                    problems.append(
                        _problem(
                            doc, span, "span-nesting",
                            f"span {span.id!r} ({span.label}) has the same offsets as {outer.id!r} "
                            f"({outer.label}) in layer {layer.name!r}, which does not allow nesting.",
                            "Keep one label, or allow nesting for this layer in the schema.",
                            offset=span.start,
                        )
                    )
            elif span.end <= outer.end:
                if not layer.nesting:
                    problems.append(
                        _problem(
                            doc, span, "span-nesting",
                            f"span {span.id!r} [{span.start}, {span.end}) lies inside {outer.id!r} "
                            f"[{outer.start}, {outer.end}) in layer {layer.name!r}, which does not allow nesting.",
                            "Remove the inner span, or set `nesting: true` for the layer in the schema.",
                            offset=span.start,
                        )
                    )
            elif not layer.overlap:
                problems.append(
                    _problem(
                        doc, span, "span-overlap",
                        f"span {span.id!r} [{span.start}, {span.end}) crosses {outer.id!r} "
                        f"[{outer.start}, {outer.end}): they share characters but neither contains the other.",
                        "Move one boundary so the spans nest or do not touch.",
                        offset=span.start,
                    )
                )
        depth = 1 + sum(1 for outer in stack if outer.start <= span.start and span.end <= outer.end)
        if layer.nesting and depth > layer.levels:
            problems.append(
                _problem(
                    doc, span, "span-too-deep",
                    f"span {span.id!r} is at nesting depth {depth}; layer {layer.name!r} projects only "
                    f"{layer.levels} level(s) to token tags.",
                    "Raise `levels` for the layer in the schema, or flatten the annotation.",
                    Severity.WARNING, offset=span.start,
                )
            )
        stack.append(span)
        # Keep the stack sorted by end descending among enclosing spans so the pop above stays valid.
        stack.sort(key=lambda s: -s.end)


def _check_links(doc: Document, schema: Schema, problems: list[Problem]) -> None:
    spans = doc.span_by_id()
    link_types = {link.name: link for link in schema.links}
    for link_id, count in Counter(link.id for link in doc.links).items():
        if count > 1:
            first = next(link for link in doc.links if link.id == link_id)
            problems.append(
                _problem(doc, first, "link-id-duplicate", f"link id {link_id!r} is used {count} times.",
                         "Give every link of a document its own id (e.g. L1, L2, ...).")
            )
    for link in doc.links:
        spec = link_types.get(link.type)
        if spec is None:
            problems.append(
                _problem(
                    doc, link, "unknown-link-type",
                    f"link type {link.type!r} is not declared in schema {schema.name!r}.",
                    f"Use one of: {', '.join(link_types) or '(none declared)'}; or declare it under `links:`.",
                )
            )
        for end_name, span_id, end_spec in (
            ("from", link.source, spec.source if spec else None),
            ("to", link.target, spec.target if spec else None),
        ):
            span = spans.get(span_id)
            if span is None:
                problems.append(
                    _problem(
                        doc, link, "link-dangling",
                        f"link {link.id!r} `{end_name}` points to span {span_id!r}, which does not exist.",
                        "Point the link at an existing span id, or delete the link.",
                    )
                )
                continue
            if end_spec is None:
                continue
            if span.layer != end_spec.layer:
                problems.append(
                    _problem(
                        doc, link, "link-wrong-layer",
                        f"link {link.id!r} ({link.type}) `{end_name}` is span {span_id!r} in layer "
                        f"{span.layer!r}; the schema wants layer {end_spec.layer!r}.",
                        f"Point `{end_name}` at a span of layer {end_spec.layer!r}.",
                        offset=span.start,
                    )
                )
            elif end_spec.labels and span.label not in end_spec.labels:
                problems.append(
                    _problem(
                        doc, link, "link-wrong-label",
                        f"link {link.id!r} ({link.type}) `{end_name}` is span {span_id!r} labelled "
                        f"{span.label!r}; the schema allows {', '.join(end_spec.labels)}.",
                        f"Point `{end_name}` at a {'/'.join(end_spec.labels)} span, or fix that span's label.",
                        offset=span.start,
                    )
                )


class DocumentIdTracker:
    """Reports documents whose id was already seen in the same build (ids only are kept in memory)."""

    def __init__(self, prior: Mapping[str, str] | None = None) -> None:
        #: id -> where it was first seen; ``prior`` holds ids of earlier shards of a sharded build.
        self._seen: dict[str, str] = dict(prior or {})

    @property
    def seen(self) -> Mapping[str, str]:
        return self._seen

    def check(self, doc: Document) -> list[Problem]:
        where = str(doc.location) if doc.location else "<unknown>"
        if doc.id in self._seen:
            return [
                _problem(
                    doc, None, "doc-id-duplicate",
                    f"document id {doc.id!r} was already used by the document at {self._seen[doc.id]}.",
                    "Give every document a unique id; the later one is rejected.",
                )
            ]
        self._seen[doc.id] = where
        return []

    def check_all(self, docs: Iterable[Document]) -> list[Problem]:
        return [p for doc in docs for p in self.check(doc)]
