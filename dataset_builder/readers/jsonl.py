"""akhbar's native standoff format: one JSON document per line (the bundled gold corpus uses it).

A line holds one document, keys in this order (``docs/formats.md`` has the full description)::

    {"id": "sana-2021-09-14", "text": "...",
     "metadata": {"title": ..., "date": ..., "dateline_place": ..., "dateline_agency": ...,
                  "source_file": ..., "licence": ..., "paragraphs": [[s, e], ...], "extra": {...}},
     "spans": [{"id": "T1", "layer": "entities", "start": 150, "end": 155, "label": "GPE",
                "text": "موسكو", "attributes": {...}}, ...],
     "links": [{"id": "L1", "type": "speaker", "from": "Q1", "to": "T7"}, ...]}

Offsets are code-point indices into ``text`` (Python string indices), end exclusive.
:func:`write_jsonl` writes this canonical form (UTF-8, ``ensure_ascii=False``), and reading what
it wrote gives back equal documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dataset_builder.input_limits import DEFAULT_LIMITS, InputLimits, JsonLimitError, json_problem, loads_checked
from dataset_builder.model import Document, Link, Metadata, Span, Unreadable
from dataset_builder.problems import InputError, Location, Problem, Severity

__all__ = ["document_from_json", "document_to_json", "read_jsonl", "read_jsonl_range", "write_jsonl"]

_METADATA_TEXT_FIELDS = ("title", "date", "dateline_place", "dateline_agency", "source_file", "licence")
_DOCUMENT_KEYS = ("id", "text", "metadata", "spans", "links")
_METADATA_KEYS = (*_METADATA_TEXT_FIELDS, "paragraphs", "extra")
_SPAN_KEYS = ("id", "layer", "start", "end", "label", "text", "attributes")
_SPAN_KEY_SET = frozenset(_SPAN_KEYS)
_LINK_KEYS = ("id", "type", "from", "to")


def read_jsonl(path: Path, *, limits: InputLimits = DEFAULT_LIMITS) -> Iterator[Document | Unreadable]:
    """Read documents from a ``.jsonl`` file, or from every ``*.jsonl`` file of a folder (name order).

    Parameters
    ----------
    path : Path
        A JSON Lines file in the format above, or a folder of them (not recursive).

    Yields
    ------
    Document or Unreadable
        One item per non-blank line. A line that is not valid JSON, or whose document lacks
        ``id``/``text`` or has a value of the wrong type (e.g. a string ``start``), becomes an
        ``Unreadable`` whose problem names ``file:line``, the offending field and how to fix it.

    Notes
    -----
    - Blank lines are skipped; line numbers in problems are physical line numbers of the file.
    - Every document, span and link carries ``location = file:line``.
    - ``limits`` bounds each line's JSON nesting; deeper lines, lines holding a lone UTF-16 surrogate
      (``"\\ud800"``) and documents naming a key twice (e.g. two ``"spans"`` arrays) are unreadable.
    - Unknown keys are ignored with a WARNING (``jsonl-unknown-field``), so a typo such as
      ``"lable"`` is never lost silently.
    - JSON arrays inside ``metadata.extra`` and span ``attributes`` are read as tuples (documents
      are immutable); they are written back as arrays.
    - The reader checks structure and types only. Whether offsets lie inside the text and whether a
      span's ``text`` equals its slice is checked by validation (``dataset_builder.validate``).
    """
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    for file in files:
        yield from _read_file(file, limits)


def read_jsonl_range(path: Path, start: int, stop: int | None, first_line: int, *,
                     limits: InputLimits = DEFAULT_LIMITS) -> Iterator[Document | Unreadable]:
    """The records of bytes ``[start, stop)`` of one ``.jsonl`` file (a range cut at line boundaries by
    :func:`dataset_builder.engine.cut_byte_ranges`); ``first_line`` is the line number at ``start``, so
    locations are the file's physical lines, as when the whole file is read."""
    return _read_file(Path(path), limits, start, stop, first_line)


def _lines(fh: Any, start: int, stop: int | None) -> Iterator[bytes]:
    fh.seek(start)
    position = start
    for raw in fh:
        if stop is not None and position >= stop:
            return
        position += len(raw)
        yield raw


def _duplicated_record_keys(line: str) -> tuple[str, ...]:
    """Top-level keys given twice (``json.loads`` silently keeps the last one).

    Only lines naming a key twice are decoded again, with a pair hook, so the common case costs one
    substring count per key.
    """
    # "id" and "text" also name span fields, so only the keys that appear once in a sane line are counted.
    if not any(line.count(f'"{key}"') > 1 for key in ("spans", "links", "metadata")):
        return ()
    found: list[tuple[str, ...]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        found.append(tuple(sorted({key for key in keys if keys.count(key) > 1})))
        return dict(items)

    json.loads(line, object_pairs_hook=pairs)
    return found[-1] if found else ()  # the top-level object is the last one the hook sees


def _read_file(path: Path, limits: InputLimits, start: int = 0, stop: int | None = None,
               first_line: int = 1) -> Iterator[Document | Unreadable]:
    with path.open("rb") as fh:
        for number, raw in enumerate(_lines(fh, start, stop) if start or stop is not None else fh,
                                     start=first_line):
            location = Location(str(path), number)
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield Unreadable(location, (_problem(
                    "jsonl-not-utf8",
                    f"byte {exc.start} of the line (0x{raw[exc.start]:02x}) is not valid UTF-8.",
                    "Write the file as UTF-8.",
                    location,
                ),))
                continue
            if not line.strip():
                continue
            try:
                obj = loads_checked(line, limits)
            except JsonLimitError as exc:
                yield Unreadable(location, (_problem(f"jsonl-{exc.code}", *json_problem(exc), location),))
                continue
            except json.JSONDecodeError as exc:
                yield Unreadable(location, (_problem(
                    "jsonl-invalid-json",
                    f"the line is not valid JSON: {exc.msg} at column {exc.colno}.",
                    "Write exactly one complete JSON object per line (no line breaks inside a document, "
                    "no trailing commas).",
                    location,
                ),))
                continue
            doc_id = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
            doc_id = doc_id or None
            duplicated = _duplicated_record_keys(line) if isinstance(obj, dict) else ()
            if duplicated:
                yield Unreadable(location, (_problem(
                    "jsonl-duplicate-key",
                    f"the document has more than one {', '.join(map(repr, duplicated))} key; JSON keeps only "
                    "the last, so the others would be lost.",
                    "Merge the arrays into one key.", location, doc_id=doc_id,
                ),), doc_id, _records(obj, "spans"), _records(obj, "links"))
                continue
            try:
                yield document_from_json(obj, location)
            except InputError as exc:
                yield Unreadable(location, (exc.problem,), doc_id, _records(obj, "spans"), _records(obj, "links"))


def _records(obj: Any, key: str) -> int:
    """How many span or link records an unreadable document held (0 when the array itself is unusable)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return len(value) if isinstance(value, list) else 0


def document_from_json(obj: Any, location: Location | None = None) -> Document:
    """Build a :class:`Document` from one decoded JSON object of the native format.

    Parameters
    ----------
    obj : Any
        The decoded JSON value of one line.
    location : Location, optional
        Where it was read (``file:line``); stored on the document, its spans and links, and used in
        problems.

    Returns
    -------
    Document
        With WARNING problems for ignored unknown keys, if any.

    Raises
    ------
    InputError
        When ``obj`` is not an object, lacks ``id`` or ``text``, or a field has the wrong type.
    """
    reader = _ObjectReader(location)
    return reader.document(obj)


def document_to_json(doc: Document) -> dict[str, Any]:
    """The canonical JSON-ready mapping of ``doc``: keys in format order, tuples as lists.

    Span ``text`` and ``attributes`` are left out when absent (``None`` / empty); all metadata
    keys are always present. ``document_from_json(document_to_json(doc)) == doc`` holds whenever
    ``metadata.extra`` and span attributes hold JSON values with sequences as tuples (as every
    akhbar reader produces them).
    """
    meta = doc.metadata
    spans = []
    for span in doc.spans:
        item: dict[str, Any] = {
            "id": span.id, "layer": span.layer, "start": span.start, "end": span.end, "label": span.label,
        }
        if span.text is not None:
            item["text"] = span.text
        if span.attributes:
            item["attributes"] = _to_plain(span.attributes)
        spans.append(item)
    return {
        "id": doc.id,
        "text": doc.text,
        "metadata": {
            **{name: getattr(meta, name) for name in _METADATA_TEXT_FIELDS},
            "paragraphs": [[start, end] for start, end in meta.paragraphs],
            "extra": _to_plain(meta.extra),
        },
        "spans": spans,
        "links": [{"id": ln.id, "type": ln.type, "from": ln.source, "to": ln.target} for ln in doc.links],
    }


def write_jsonl(documents: Iterable[Document], path: Path) -> int:
    """Write ``documents`` to ``path`` in the canonical form, one line each; return how many.

    UTF-8, ``ensure_ascii=False`` (Arabic stays readable), ``\\n`` line ends. Line separators
    U+2028/U+2029 inside strings are escaped so that no tool splits a document across lines.
    """
    path = Path(path)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for doc in documents:
            line = json.dumps(document_to_json(doc), ensure_ascii=False)
            fh.write(line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
            fh.write("\n")
            count += 1
    return count


def _to_plain(value: Any) -> Any:
    """JSON-ready copy: mappings -> dicts, tuples -> lists, recursively."""
    if isinstance(value, Mapping):
        return {str(key): _to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(item) for item in value]
    return value


def _to_frozen(value: Any) -> Any:
    """Read-side counterpart of :func:`_to_plain`: arrays become tuples, recursively."""
    if isinstance(value, dict):
        return {key: _to_frozen(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_to_frozen(item) for item in value)
    return value


def _problem(code: str, message: str, fix: str, location: Location | None,
             severity: Severity = Severity.ERROR, doc_id: str | None = None) -> Problem:
    return Problem(
        code, message, fix, severity,
        path=location.path if location else None, line=location.line if location else None, doc_id=doc_id,
    )


def _type_name(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    for kind, name in ((type(None), "null"), (bool, "boolean"), (int, "integer"), (float, "number"),
                       (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


class _ObjectReader:
    """Checks one decoded document field by field; the first structural error raises."""

    def __init__(self, location: Location | None) -> None:
        self.location = location
        self.doc_id: str | None = None
        self.warnings: list[Problem] = []

    def fail(self, field: str, message: str, fix: str, code: str = "jsonl-wrong-type") -> InputError:
        return InputError(_problem(code, f"`{field}` {message}", fix, self.location, doc_id=self.doc_id))

    def expect(self, value: Any, field: str, kind: type | tuple[type, ...], wanted: str,
               optional: bool = False) -> Any:
        if value is None and optional:
            return None
        # bool is an int subclass in Python, but `true` is not an offset
        if isinstance(value, kind) and not (isinstance(value, bool) and bool not in _as_tuple(kind)):
            return value
        example = {"integer": "12", "string": '"..."', "array": "[...]", "object": "{...}"}.get(wanted, "")
        raise self.fail(
            field, f"must be {'null or ' if optional else ''}{_article(wanted)} {wanted}, "
            f"not {_type_name(value)} {json.dumps(value, ensure_ascii=False)[:60]}.",
            f"Write `{field.rsplit('.', 1)[-1]}` as {_article(wanted)} {wanted}"
            + (f" (e.g. {example})." if example else "."),
        )

    def check_keys(self, obj: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        unknown = [key for key in obj if key not in allowed]
        if unknown:
            self.warnings.append(_problem(
                "jsonl-unknown-field",
                f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; they were ignored.",
                f"Use only: {', '.join(allowed)} (check for typos).",
                self.location, Severity.WARNING, self.doc_id,
            ))

    def document(self, obj: Any) -> Document:
        if not isinstance(obj, dict):
            raise InputError(_problem(
                "jsonl-not-object", f"the line holds a JSON {_type_name(obj)}, not a document object.",
                'Write one object per line: {"id": ..., "text": ..., "spans": [...]}.', self.location,
            ))
        for required in ("id", "text"):
            if required not in obj:
                raise self.fail(required, "is missing.", f"Add the document's `{required}` (a string).",
                                code="jsonl-missing-field")
        doc_id = self.expect(obj["id"], "id", str, "string")
        if not doc_id:
            raise self.fail("id", "is empty.", "Give the document a unique, non-empty id.")
        self.doc_id = doc_id
        text = self.expect(obj["text"], "text", str, "string")
        self.check_keys(obj, _DOCUMENT_KEYS, "the document")
        metadata = self.metadata(obj.get("metadata"))
        raw_spans = self.expect(obj.get("spans"), "spans", list, "array", optional=True) or []
        raw_links = self.expect(obj.get("links"), "links", list, "array", optional=True) or []
        spans = tuple(self.span(item, f"spans[{i}]") for i, item in enumerate(raw_spans))
        links = tuple(self.link(item, f"links[{i}]") for i, item in enumerate(raw_links))
        return Document(doc_id, text, metadata, spans, links, self.location, tuple(self.warnings))

    def metadata(self, value: Any) -> Metadata:
        meta = self.expect(value, "metadata", dict, "object", optional=True)
        if meta is None:
            return Metadata()
        self.check_keys(meta, _METADATA_KEYS, "`metadata`")
        fields = {
            name: self.expect(meta.get(name), f"metadata.{name}", str, "string", optional=True)
            for name in _METADATA_TEXT_FIELDS
        }
        paragraphs = []
        for i, pair in enumerate(self.expect(meta.get("paragraphs"), "metadata.paragraphs", list, "array",
                                             optional=True) or []):
            field = f"metadata.paragraphs[{i}]"
            if not (isinstance(pair, list) and len(pair) == 2):
                raise self.fail(field, f"must be a [start, end] pair, not {json.dumps(pair)[:60]}.",
                                "Write each paragraph as [start, end] code-point offsets.")
            start = self.expect(pair[0], f"{field}[0]", int, "integer")
            end = self.expect(pair[1], f"{field}[1]", int, "integer")
            paragraphs.append((start, end))
        extra = self.expect(meta.get("extra"), "metadata.extra", dict, "object", optional=True) or {}
        return Metadata(**fields, paragraphs=tuple(paragraphs), extra=_to_frozen(extra))

    def span(self, item: Any, field: str) -> Span:
        # Fast path for a well-formed span (the common case on large corpora); anything else takes the
        # checked path below, which names what is wrong. `type(...) is int` also rules out booleans.
        if (type(item) is dict and item.keys() <= _SPAN_KEY_SET and type(item.get("id")) is str
                and type(item.get("layer")) is str and type(item.get("start")) is int
                and type(item.get("end")) is int and type(item.get("label")) is str
                and type(item.get("text")) in (str, type(None)) and "attributes" not in item):
            return Span(item["id"], item["layer"], item["start"], item["end"], item["label"], item.get("text"),
                        location=self.location)
        return self._checked_span(item, field)

    def _checked_span(self, item: Any, field: str) -> Span:
        self.expect(item, field, dict, "object")
        for required in ("id", "layer", "start", "end", "label"):
            if required not in item:
                raise self.fail(f"{field}.{required}", "is missing.",
                                "Give every span id, layer, start, end and label.", code="jsonl-missing-field")
        self.check_keys(item, _SPAN_KEYS, f"`{field}`")
        attributes = self.expect(item.get("attributes"), f"{field}.attributes", dict, "object", optional=True)
        return Span(
            id=self.expect(item["id"], f"{field}.id", str, "string"),
            layer=self.expect(item["layer"], f"{field}.layer", str, "string"),
            start=self.expect(item["start"], f"{field}.start", int, "integer"),
            end=self.expect(item["end"], f"{field}.end", int, "integer"),
            label=self.expect(item["label"], f"{field}.label", str, "string"),
            text=self.expect(item.get("text"), f"{field}.text", str, "string", optional=True),
            attributes=_to_frozen(attributes or {}),
            location=self.location,
        )

    def link(self, item: Any, field: str) -> Link:
        self.expect(item, field, dict, "object")
        for required in _LINK_KEYS:
            if required not in item:
                raise self.fail(f"{field}.{required}", "is missing.",
                                'Write every link as {"id", "type", "from", "to"}.', code="jsonl-missing-field")
        self.check_keys(item, _LINK_KEYS, f"`{field}`")
        return Link(
            id=self.expect(item["id"], f"{field}.id", str, "string"),
            type=self.expect(item["type"], f"{field}.type", str, "string"),
            source=self.expect(item["from"], f"{field}.from", str, "string"),
            target=self.expect(item["to"], f"{field}.to", str, "string"),
            location=self.location,
        )


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
