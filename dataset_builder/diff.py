"""What changed between two built versions of a dataset.

:func:`diff` compares two version directories (``OUT/NAME/VERSION`` as written by ``akhbar build``)
and returns a :class:`DatasetDiff`: documents added, removed, with changed text or metadata, or
moved to another split; spans added, removed, relabelled or moved, per layer and label; links
added, removed or changed; schema changes (layers, labels and link types added, removed,
redefined or reordered); and build settings that changed (projection policy, builder version,
licence, ...). :mod:`dataset_builder.versioning` turns a diff into the semantic-version bump it
requires; :func:`changelog_entry` writes it up for ``CHANGELOG.md``.

How documents are compared
--------------------------
Both versions' ``documents`` configs are opened with :func:`datasets.load_from_disk`
(memory-mapped) and only their ``id`` columns are read up front. The union of ids is walked in
sorted order and each document is read by row, one at a time, from each side: memory holds the
two id indexes and one document pair, whatever the corpus size (:func:`iter_document_diffs`
yields the per-document differences as a stream; :func:`diff` keeps counts and a few examples).

Spans of a document present in both versions are paired layer by layer, in this order:

1. **unchanged** -- same start, end and label (ids may differ: readers of some formats number
   spans by position);
2. **relabelled** -- same start and end, another label;
3. **moved** -- same label and same id, other offsets; then same label and overlapping offsets
   (largest overlap first);
4. what is left is **removed** (old side) or **added** (new side).

When a document's text changed, old offsets do not point into the new text. They are mapped
through a character alignment of the two texts (common prefix and suffix, then
:class:`difflib.SequenceMatcher` on the middle) before pairing, so inserting a word shifts no
span into the "moved" column: the text edit itself is reported as such. A span boundary inside
an edited stretch snaps outwards to the edit's edges.

Links are paired through the span pairing: an old link whose type, source and target (translated
to the new span ids) equal a new link's is unchanged; remaining links with the same id are
**changed**; the rest are **removed** or **added**.

The ``tokens`` config is not compared: it is derived from the documents, the projection policy
and the builder version, all of which are compared.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dataset_builder.problems import InputError, Problem
from dataset_builder.version_dir import VersionDir

if TYPE_CHECKING:
    import datasets

    from dataset_builder.bump_rules import BumpRequirement

__all__ = [
    "DEFAULT_EXAMPLES",
    "DatasetDiff",
    "DocumentDiff",
    "LinkChange",
    "MetadataChange",
    "SchemaChange",
    "SettingChange",
    "SpanChange",
    "StoredDocument",
    "StoredLink",
    "StoredSpan",
    "TextEdit",
    "VersionInfo",
    "changelog_entry",
    "diff",
    "diff_schemas",
    "iter_document_diffs",
    "prepend_changelog",
    "read_version_info",
]

#: Examples kept per kind of change (counts are always complete).
DEFAULT_EXAMPLES = 5
#: Texts longer than this (after trimming their common prefix and suffix) are not aligned
#: character by character: the differing middle is reported as one edit.
MAX_ALIGNED_CHARS = 200_000
_FIXED_COLUMNS = frozenset({"id", "text", "metadata", "links", "defects"})
_METADATA_FIELDS = ("title", "date", "dateline_place", "dateline_agency", "source_file", "licence", "paragraphs",
                    "extra")
_SHOWN_CHARS = 40

SpanChangeKind = Literal["added", "removed", "relabelled", "moved"]
LinkChangeKind = Literal["added", "removed", "changed"]
SchemaChangeKind = Literal["added", "removed", "redefined", "reordered", "described"]


# ---------------------------------------------------------------------------------------------
# Records as stored in a version
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredSpan:
    """A span as a built version stores it (``text`` is the slice of the document it covers)."""

    id: str
    layer: str
    start: int
    end: int
    label: str
    text: str

    def describe(self) -> str:
        return f"{self.layer} {self.label} «{_shorten(self.text)}» [{self.start}, {self.end})"


@dataclass(frozen=True, slots=True)
class StoredLink:
    id: str
    type: str
    source: str
    target: str

    def describe(self) -> str:
        return f"{self.type} {self.id}: {self.source} → {self.target}"


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """One row of a version's ``documents`` config, labels decoded to their names."""

    id: str
    split: str
    text: str
    metadata: Mapping[str, Any]
    spans: tuple[StoredSpan, ...]
    links: tuple[StoredLink, ...]


def _span_dict(span: StoredSpan | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"id": span.id, "start": span.start, "end": span.end, "label": span.label, "text": span.text}


def _link_dict(link: StoredLink | None) -> dict[str, Any] | None:
    if link is None:
        return None
    return {"id": link.id, "type": link.type, "source": link.source, "target": link.target}


# ---------------------------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextEdit:
    """One stretch of text replaced: ``old_text`` at ``[old_start, old_end)`` became ``new_text``
    at ``[new_start, new_end)`` (either may be empty: an insertion or a deletion)."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_text: str
    new_text: str
    #: Unchanged text around the edit, out to the nearest white space (for display: a lone
    #: combining mark or letter means little without its word).
    before: str = ""
    after: str = ""

    def describe(self) -> str:
        old = _shorten(f"{self.before}{self.old_text}{self.after}", 2 * _SHOWN_CHARS)
        new = _shorten(f"{self.before}{self.new_text}{self.after}", 2 * _SHOWN_CHARS)
        what = "inserted" if not self.old_text else "deleted" if not self.new_text else "replaced"
        return f"«{old}» → «{new}» at {self.old_start} ({what} «{_shorten(self.old_text or self.new_text)}»)"

    def to_dict(self) -> dict[str, Any]:
        return {"old": [self.old_start, self.old_end], "new": [self.new_start, self.new_end],
                "old_text": self.old_text, "new_text": self.new_text}


@dataclass(frozen=True, slots=True)
class SpanChange:
    """A span added (``old`` is None), removed (``new`` is None), relabelled or moved."""

    kind: SpanChangeKind
    layer: str
    old: StoredSpan | None
    new: StoredSpan | None

    @property
    def label(self) -> str:
        """The label counted for this change: the old one, except for added spans."""
        span = self.old if self.old is not None else self.new
        assert span is not None
        return span.label

    def describe(self) -> str:
        if self.kind == "added":
            assert self.new is not None
            return f"added {self.new.describe()}"
        assert self.old is not None
        if self.kind == "removed":
            return f"removed {self.old.describe()}"
        assert self.new is not None
        if self.kind == "relabelled":
            return (f"{self.layer} «{_shorten(self.new.text)}» [{self.new.start}, {self.new.end}) "
                    f"{self.old.label} → {self.new.label}")
        return (f"{self.layer} {self.old.label} «{_shorten(self.old.text)}» [{self.old.start}, {self.old.end}) → "
                f"«{_shorten(self.new.text)}» [{self.new.start}, {self.new.end})")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "layer": self.layer, "old": _span_dict(self.old), "new": _span_dict(self.new)}


@dataclass(frozen=True, slots=True)
class LinkChange:
    kind: LinkChangeKind
    old: StoredLink | None
    new: StoredLink | None

    @property
    def type(self) -> str:
        link = self.old if self.old is not None else self.new
        assert link is not None
        return link.type

    def describe(self) -> str:
        if self.kind == "added":
            assert self.new is not None
            return f"added {self.new.describe()}"
        assert self.old is not None
        if self.kind == "removed":
            return f"removed {self.old.describe()}"
        assert self.new is not None
        return f"{self.old.describe()} → {self.new.type}: {self.new.source} → {self.new.target}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "old": _link_dict(self.old), "new": _link_dict(self.new)}


@dataclass(frozen=True, slots=True)
class MetadataChange:
    field: str
    old: Any
    new: Any

    def describe(self) -> str:
        return f"{self.field}: {_shorten(json.dumps(self.old, ensure_ascii=False))} → " \
               f"{_shorten(json.dumps(self.new, ensure_ascii=False))}"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class DocumentDiff:
    """How one document differs between the versions (only documents that differ are reported).

    ``status`` is ``added`` (only in the new version), ``removed`` (only in the old one) or
    ``changed``. Added and removed documents keep the stored document (``new``/``old``) so that
    their spans and links can be counted; changed ones list their edits.
    """

    doc_id: str
    status: Literal["added", "removed", "changed"]
    old_split: str | None
    new_split: str | None
    text_edits: tuple[TextEdit, ...] = ()
    metadata: tuple[MetadataChange, ...] = ()
    spans: tuple[SpanChange, ...] = ()
    links: tuple[LinkChange, ...] = ()
    old: StoredDocument | None = field(default=None, repr=False)
    new: StoredDocument | None = field(default=None, repr=False)

    @property
    def text_changed(self) -> bool:
        return bool(self.text_edits)

    @property
    def split_changed(self) -> bool:
        return self.status == "changed" and self.old_split != self.new_split

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"doc_id": self.doc_id, "status": self.status, "old_split": self.old_split,
                                "new_split": self.new_split}
        if self.status == "changed":
            data |= {
                "text_edits": [edit.to_dict() for edit in self.text_edits],
                "metadata": [change.to_dict() for change in self.metadata],
                "spans": [change.to_dict() for change in self.spans],
                "links": [change.to_dict() for change in self.links],
            }
        else:
            doc = self.new if self.status == "added" else self.old
            assert doc is not None
            data |= {"spans": len(doc.spans), "links": len(doc.links)}
        return data


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One difference between the schemas.

    ``what`` is ``schema``, ``layer``, ``label`` or ``link type``; ``name`` is the layer name,
    ``layer/LABEL`` for a label, the link type name, or the schema name. ``described`` changes
    touch only prose (a schema, layer or link description); ``redefined`` ones change meaning or
    shape (a label's definition, a layer's nesting, overlap, levels or tag column, a link's ends).
    """

    kind: SchemaChangeKind
    what: Literal["schema", "layer", "label", "link type"]
    name: str
    detail: str = ""

    def describe(self) -> str:
        text = f"{self.what} {self.name} {self.kind}"
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "name": self.name, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class SettingChange:
    """A build setting recorded in the manifest that differs (``projection_policy``, ``builder``, ...)."""

    key: str
    old: Any
    new: Any

    def describe(self) -> str:
        return f"{self.key}: {json.dumps(self.old, ensure_ascii=False)} → {json.dumps(self.new, ensure_ascii=False)}"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "old": self.old, "new": self.new}


# ---------------------------------------------------------------------------------------------
# Reading versions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What a version directory's manifest says about it, plus its schema in ``Schema.to_dict()``
    form. ``schema_recorded`` is False for versions whose manifest does not store the schema
    definition: the schema is then rebuilt from the features (layers, labels in ClassLabel order,
    link types) and label definitions, nesting and link ends are unknown (``None``)."""

    path: str
    name: str
    version: str
    fingerprint: str
    schema: Mapping[str, Any]
    schema_fingerprint: str | None
    schema_recorded: bool
    manifest: Mapping[str, Any] = field(repr=False)

    def totals(self) -> dict[str, int]:
        """Documents, sentences, tokens, links and spans per layer, summed over the splits."""
        totals: Counter[str] = Counter()
        for counts in (self.manifest.get("splits") or {}).values():
            for key in ("documents", "sentences", "tokens", "links"):
                totals[key] += int(counts.get(key, 0))
            for layer, n in (counts.get("mentions") or {}).items():
                totals[f"spans {layer}"] += int(n)
        return dict(totals)

    def label_totals(self) -> Counter[tuple[str, str]]:
        """Spans per ``(layer, label)``, summed over the splits."""
        totals: Counter[tuple[str, str]] = Counter()
        for layers in (self.manifest.get("labels") or {}).values():
            for layer, counts in layers.items():
                for label, n in counts.items():
                    totals[layer, label] += int(n)
        return totals

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "version": self.version, "fingerprint": self.fingerprint,
                "schema_fingerprint": self.schema_fingerprint, "schema_recorded": self.schema_recorded}


def read_version_info(version_dir: str | Path) -> VersionInfo:
    """Read ``manifest.json`` (and, for versions that do not record their schema, the features).

    Raises
    ------
    InputError
        ``not-a-version`` when the directory has no manifest or no ``documents`` config.
    """
    version = VersionDir.open(version_dir)
    version.config_dir("documents")
    manifest = dict(version.manifest_data)
    definition = version.schema_definition
    recorded = definition is not None
    schema = definition if recorded else _schema_from_features(version.path, manifest)
    return VersionInfo(
        path=str(version.path), name=version.name, version=version.version, fingerprint=version.fingerprint,
        schema=schema, schema_fingerprint=(manifest.get("schema") or {}).get("fingerprint"),
        schema_recorded=recorded, manifest=manifest,
    )


def _schema_from_features(path: Path, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """What the stored features say about the schema, for versions built before it was recorded."""
    from datasets import load_from_disk

    documents = load_from_disk(str(path / "documents"))
    features = next(iter(documents.values())).features
    layers: dict[str, Any] = {}
    for column, feature in features.items():
        names = None if column in _FIXED_COLUMNS else _label_names(feature)
        if names is not None:
            layers[column] = {"description": None, "nesting": None, "overlap": None, "levels": None,
                              "tag_column": None, "labels": dict.fromkeys(names)}
    link_type = features["links"].feature["type"] if "links" in features else None
    links = {name: None for name in getattr(link_type, "names", None) or []}
    schema = manifest.get("schema") or {}
    return {"name": schema.get("name"), "description": None, "layers": layers, "links": links}


class _OpenVersion:
    """A version's ``documents`` config, opened for reading one document at a time by id."""

    def __init__(self, info: VersionInfo) -> None:
        from datasets import load_from_disk

        self.info = info
        try:
            self.dataset_dict: datasets.DatasetDict = load_from_disk(str(Path(info.path) / "documents"))
        except FileNotFoundError as exc:
            raise InputError(Problem("not-a-version", f"the documents config is incomplete: {exc}",
                                     "Rebuild the version with `akhbar build --force`.", path=info.path)) from None
        self.rows = {split: ds.with_format("arrow") for split, ds in self.dataset_dict.items()}
        self.index: dict[str, tuple[str, int]] = {}
        for split, rows in self.rows.items():
            for row, doc_id in enumerate(rows["id"].to_pylist()):
                if doc_id in self.index:
                    raise InputError(Problem(
                        "diff-duplicate-id",
                        f"document id {doc_id!r} occurs twice (splits {self.index[doc_id][0]} and {split}).",
                        "Rebuild the version: `akhbar build` rejects duplicate ids.",
                        path=info.path, doc_id=doc_id))
                self.index[doc_id] = (split, row)
        features = next(iter(self.dataset_dict.values())).features if self.dataset_dict else {}
        self.layers = [c for c in features if c not in _FIXED_COLUMNS and _label_names(features[c]) is not None]
        self.label_names = {layer: _label_names(features[layer]) or [] for layer in self.layers}
        link_type = features["links"].feature["type"] if "links" in features else None
        self.link_types: list[str] = list(getattr(link_type, "names", None) or [])

    def document(self, doc_id: str) -> StoredDocument:
        split, row = self.index[doc_id]
        record = self.rows[split][row].to_pylist()[0]
        spans = []
        for layer in self.layers:
            names = self.label_names[layer]
            for span in record[layer] or ():
                spans.append(StoredSpan(span["id"], layer, span["start"], span["end"], names[span["label"]],
                                        span["text"] if span["text"] is not None else ""))
        links = tuple(StoredLink(link["id"], self.link_types[link["type"]], link["source"], link["target"])
                      for link in record.get("links") or ())
        meta = dict(record["metadata"] or {})
        meta["paragraphs"] = [[p["start"], p["end"]] for p in meta.get("paragraphs") or ()]
        if isinstance(meta.get("extra"), str):
            meta["extra"] = json.loads(meta["extra"])
        return StoredDocument(doc_id, split, record["text"], meta, tuple(spans), links)


def _label_names(feature: Any) -> list[str] | None:
    from datasets import ClassLabel

    inner = getattr(feature, "feature", None)
    label = inner.get("label") if isinstance(inner, dict) else None
    return list(label.names) if isinstance(label, ClassLabel) else None


# ---------------------------------------------------------------------------------------------
# Text alignment and offset mapping
# ---------------------------------------------------------------------------------------------


Opcode = tuple[str, int, int, int, int]


def _opcodes(old: str, new: str) -> list[Opcode]:
    """difflib-style opcodes covering both texts; equal prefix and suffix are found first (cheap),
    so a one-character fix in a long article costs almost nothing."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    old_mid, new_mid = old[prefix:len(old) - suffix], new[prefix:len(new) - suffix]
    ops: list[Opcode] = []
    if prefix:
        ops.append(("equal", 0, prefix, 0, prefix))
    if old_mid or new_mid:
        if max(len(old_mid), len(new_mid)) > MAX_ALIGNED_CHARS or not old_mid or not new_mid:
            tag = "replace" if old_mid and new_mid else ("insert" if new_mid else "delete")
            middle: list[Opcode] = [(tag, 0, len(old_mid), 0, len(new_mid))]
        else:
            matcher = difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False)
            middle = matcher.get_opcodes()
        ops.extend((tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix) for tag, i1, i2, j1, j2 in middle)
    if suffix:
        ops.append(("equal", len(old) - suffix, len(old), len(new) - suffix, len(new)))
    return ops


class _OffsetMap:
    """Maps old character offsets to new ones through an alignment.

    Inside an equal stretch offsets move by the stretch's shift. A start inside (or at) an edit
    maps to the edit's new start, an end to its new end: a span around an edited word keeps
    covering it. Text inserted exactly at a span's start or end stays outside the span.
    """

    def __init__(self, ops: Sequence[Opcode]) -> None:
        self._ops = list(ops)
        self._starts = [op[1] for op in self._ops]

    def start(self, position: int) -> int:
        k = bisect.bisect_right(self._starts, position) - 1
        if k < 0:
            return position
        tag, i1, i2, j1, j2 = self._ops[k]
        if tag == "equal":
            return j1 + min(position, i2) - i1
        return j2 if position >= i2 else j1

    def end(self, position: int) -> int:
        k = bisect.bisect_left(self._starts, position) - 1
        if k < 0:
            return 0 if not self._ops else self._ops[0][3]
        tag, i1, i2, j1, j2 = self._ops[k]
        if tag == "equal":
            return j1 + min(position, i2) - i1
        return j2


_WORD_CONTEXT = 20


def _text_edits(old: str, new: str, ops: Sequence[Opcode]) -> tuple[TextEdit, ...]:
    edits = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        start = i1
        while start > 0 and i1 - start < _WORD_CONTEXT and not old[start - 1].isspace():
            start -= 1
        end = i2
        while end < len(old) and end - i2 < _WORD_CONTEXT and not old[end].isspace():
            end += 1
        edits.append(TextEdit(i1, i2, j1, j2, old[i1:i2], new[j1:j2], old[start:i1], old[i2:end]))
    return tuple(edits)


# ---------------------------------------------------------------------------------------------
# Pairing spans and links
# ---------------------------------------------------------------------------------------------


def _pair_spans(layer: str, old: Sequence[StoredSpan], new: Sequence[StoredSpan],
                offsets: _OffsetMap | None) -> tuple[list[SpanChange], dict[str, str]]:
    """Span changes of one layer, and old span id -> new span id for every paired span."""
    def key(span: StoredSpan) -> tuple[int, int]:
        if offsets is None:
            return span.start, span.end
        return offsets.start(span.start), offsets.end(span.end)

    old_keys = {id(s): key(s) for s in old}
    left_old = sorted(old, key=lambda s: (*old_keys[id(s)], s.label, s.id))
    left_new = sorted(new, key=lambda s: (s.start, s.end, s.label, s.id))
    changes: list[SpanChange] = []
    id_map: dict[str, str] = {}

    def pair_by(kind: SpanChangeKind | None, match_key: Any) -> None:
        nonlocal left_old, left_new
        waiting: dict[Any, list[StoredSpan]] = {}
        for span in left_new:
            waiting.setdefault(match_key(span, (span.start, span.end)), []).append(span)
        rest: list[StoredSpan] = []
        for span in left_old:
            candidates = waiting.get(match_key(span, old_keys[id(span)]))
            if candidates:
                partner = candidates.pop(0)
                id_map[span.id] = partner.id
                if kind is not None:
                    changes.append(SpanChange(kind, layer, span, partner))
            else:
                rest.append(span)
        unpaired = {id(s) for group in waiting.values() for s in group}
        left_new = [s for s in left_new if id(s) in unpaired]
        left_old = rest

    pair_by(None, lambda s, k: (k, s.label))
    pair_by("relabelled", lambda s, k: k)
    pair_by("moved", lambda s, k: (s.id, s.label))
    # Same label, overlapping: the largest overlap first, then the closest boundaries.
    candidates = []
    for i, o in enumerate(left_old):
        o_start, o_end = old_keys[id(o)]
        for j, n in enumerate(left_new):
            if n.label == o.label:
                overlap = min(o_end, n.end) - max(o_start, n.start)
                if overlap > 0:
                    candidates.append((-overlap, abs(o_start - n.start) + abs(o_end - n.end), i, j))
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, _, i, j in sorted(candidates):
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        id_map[left_old[i].id] = left_new[j].id
        changes.append(SpanChange("moved", layer, left_old[i], left_new[j]))
    changes.extend(SpanChange("removed", layer, s, None) for i, s in enumerate(left_old) if i not in used_old)
    changes.extend(SpanChange("added", layer, None, s) for j, s in enumerate(left_new) if j not in used_new)
    return changes, id_map


def _pair_links(old: Sequence[StoredLink], new: Sequence[StoredLink], id_map: Mapping[str, str]) -> list[LinkChange]:
    def translated(link: StoredLink) -> tuple[str, str | None, str | None]:
        return link.type, id_map.get(link.source), id_map.get(link.target)

    waiting: dict[tuple[str, str | None, str | None], list[StoredLink]] = {}
    for link in new:
        waiting.setdefault((link.type, link.source, link.target), []).append(link)
    left_old = []
    for link in old:
        group = waiting.get(translated(link))
        if group:
            group.pop(0)
        else:
            left_old.append(link)
    left_new = [link for group in waiting.values() for link in group]
    by_id = {link.id: link for link in left_new}
    changes: list[LinkChange] = []
    matched: set[str] = set()
    for link in left_old:
        partner = by_id.get(link.id)
        if partner is not None and link.id not in matched:
            matched.add(link.id)
            changes.append(LinkChange("changed", link, partner))
        else:
            changes.append(LinkChange("removed", link, None))
    changes.extend(LinkChange("added", None, link) for link in left_new if link.id not in matched)
    return changes


def _document_diff(old: StoredDocument, new: StoredDocument) -> DocumentDiff | None:
    edits: tuple[TextEdit, ...] = ()
    offsets = None
    if old.text != new.text:
        ops = _opcodes(old.text, new.text)
        edits = _text_edits(old.text, new.text, ops)
        offsets = _OffsetMap(ops)
    metadata = tuple(MetadataChange(name, old.metadata.get(name), new.metadata.get(name))
                     for name in _METADATA_FIELDS if old.metadata.get(name) != new.metadata.get(name))
    span_changes: list[SpanChange] = []
    id_map: dict[str, str] = {}
    layers = list(dict.fromkeys([s.layer for s in old.spans] + [s.layer for s in new.spans]))
    for layer in layers:
        changes, pairs = _pair_spans(layer, [s for s in old.spans if s.layer == layer],
                                     [s for s in new.spans if s.layer == layer], offsets)
        span_changes.extend(changes)
        id_map.update(pairs)
    link_changes = _pair_links(old.links, new.links, id_map)
    if not (edits or metadata or span_changes or link_changes or old.split != new.split):
        return None
    order = {"relabelled": 0, "moved": 1, "removed": 2, "added": 3}
    span_changes.sort(key=lambda c: (c.layer, order[c.kind], _span_position(c)))
    return DocumentDiff(old.id, "changed", old.split, new.split, edits, metadata, tuple(span_changes),
                        tuple(link_changes), old, new)


def _span_position(change: SpanChange) -> tuple[int, int]:
    span = change.old if change.old is not None else change.new
    assert span is not None
    return span.start, span.end


def iter_document_diffs(old_dir: str | Path | None, new_dir: str | Path) -> Iterator[DocumentDiff]:
    """The documents that differ between two versions, in sorted id order, one at a time.

    Parameters
    ----------
    old_dir : path or None
        The earlier version directory; None compares against an empty dataset (every document
        is added), which is how the first version's changelog entry is written.
    new_dir : path
        The later version directory.

    Yields
    ------
    DocumentDiff
        One per document that was added, removed or changed (split, text, metadata, spans or
        links); identical documents are skipped.
    """
    new = _OpenVersion(read_version_info(new_dir))
    old = _OpenVersion(read_version_info(old_dir)) if old_dir is not None else None
    yield from _iter_diffs(old, new)


def _iter_diffs(old: _OpenVersion | None, new: _OpenVersion) -> Iterator[DocumentDiff]:
    old_index = old.index if old is not None else {}
    for doc_id in sorted(old_index.keys() | new.index.keys()):
        if doc_id not in old_index:
            doc = new.document(doc_id)
            yield DocumentDiff(doc_id, "added", None, doc.split, new=doc)
        elif doc_id not in new.index:
            assert old is not None
            doc = old.document(doc_id)
            yield DocumentDiff(doc_id, "removed", doc.split, None, old=doc)
        else:
            assert old is not None
            changed = _document_diff(old.document(doc_id), new.document(doc_id))
            if changed is not None:
                yield changed


# ---------------------------------------------------------------------------------------------
# Schema and settings
# ---------------------------------------------------------------------------------------------


_LAYER_ATTRIBUTES = ("nesting", "overlap", "levels", "tag_column")


def diff_schemas(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> tuple[SchemaChange, ...]:
    """Differences between two schemas in ``Schema.to_dict()`` form (see :class:`SchemaChange`).

    ``None`` values (unknown: a version that did not record its schema definition) never count
    as a difference. Label order matters: it fixes the ClassLabel ids of every label column.
    """
    changes: list[SchemaChange] = []
    old_layers: Mapping[str, Any] = (old or {}).get("layers") or {}
    new_layers: Mapping[str, Any] = new.get("layers") or {}
    if old is not None:
        for key in ("name", "description"):
            if _known_differ(old.get(key), new.get(key)):
                changes.append(SchemaChange("described", "schema", str(new.get("name")),
                                            f"{key}: {_quoted(old.get(key))} → {_quoted(new.get(key))}"))
    for name in old_layers.keys() - new_layers.keys():
        changes.append(SchemaChange("removed", "layer", name, _label_list(old_layers[name])))
    for name in new_layers:
        if name not in old_layers:
            changes.append(SchemaChange("added", "layer", name, _label_list(new_layers[name])))
    common = [name for name in new_layers if name in old_layers]
    old_common = [name for name in old_layers if name in new_layers]
    if common != old_common:
        changes.append(SchemaChange("reordered", "layer", "layers", f"{', '.join(old_common)} → {', '.join(common)}"))
    for name in common:
        changes.extend(_diff_layer(name, old_layers[name], new_layers[name]))
    old_links: Mapping[str, Any] = (old or {}).get("links") or {}
    new_links: Mapping[str, Any] = new.get("links") or {}
    for name in old_links.keys() - new_links.keys():
        changes.append(SchemaChange("removed", "link type", name))
    for name, spec in new_links.items():
        if name not in old_links:
            changes.append(SchemaChange("added", "link type", name, _link_ends(spec)))
            continue
        before = old_links[name]
        if before is None or spec is None:
            continue
        if _link_ends(before) != _link_ends(spec):
            changes.append(SchemaChange("redefined", "link type", name, f"{_link_ends(before)} → {_link_ends(spec)}"))
        if _known_differ(before.get("description"), spec.get("description")):
            changes.append(SchemaChange("described", "link type", name,
                                        f"{_quoted(before.get('description'))} → {_quoted(spec.get('description'))}"))
    order = {"removed": 0, "redefined": 1, "reordered": 2, "added": 3, "described": 4}
    return tuple(sorted(changes, key=lambda c: (order[c.kind], c.what, c.name)))


def _diff_layer(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[SchemaChange]:
    changes = []
    for key in _LAYER_ATTRIBUTES:
        if _known_differ(old.get(key), new.get(key)):
            changes.append(SchemaChange("redefined", "layer", name, f"{key}: {old.get(key)} → {new.get(key)}"))
    if _known_differ(old.get("description"), new.get("description")):
        changes.append(SchemaChange("described", "layer", name,
                                    f"{_quoted(old.get('description'))} → {_quoted(new.get('description'))}"))
    old_labels: Mapping[str, Any] = old.get("labels") or {}
    new_labels: Mapping[str, Any] = new.get("labels") or {}
    for label in old_labels:
        if label not in new_labels:
            changes.append(SchemaChange("removed", "label", f"{name}/{label}", _quoted(old_labels[label])))
    for label, definition in new_labels.items():
        if label not in old_labels:
            changes.append(SchemaChange("added", "label", f"{name}/{label}", _quoted(definition)))
        elif _known_differ(old_labels[label], definition):
            changes.append(SchemaChange("redefined", "label", f"{name}/{label}",
                                        f"{_quoted(old_labels[label])} → {_quoted(definition)}"))
    kept_old = [label for label in old_labels if label in new_labels]
    kept_new = [label for label in new_labels if label in old_labels]
    if kept_old != kept_new:
        changes.append(SchemaChange("reordered", "label", f"{name}/*",
                                    f"{', '.join(kept_old)} → {', '.join(kept_new)} (ClassLabel ids change)"))
    return changes


def _known_differ(old: Any, new: Any) -> bool:
    return old is not None and new is not None and old != new


def _label_list(layer: Mapping[str, Any]) -> str:
    labels = list((layer.get("labels") or {}).keys())
    return f"{len(labels)} label{'s' if len(labels) != 1 else ''} ({', '.join(labels)})"


def _link_ends(spec: Mapping[str, Any] | None) -> str:
    if not spec:
        return ""

    def end(value: Mapping[str, Any]) -> str:
        labels = value.get("labels") or []
        return f"{value.get('layer')}" + (f" [{', '.join(labels)}]" if labels else "")

    return f"from {end(spec.get('from') or {})} to {end(spec.get('to') or {})}"


def _quoted(value: Any) -> str:
    return "(none)" if value is None else f"“{_shorten(str(value), 80)}”"


_SETTINGS = ("projection_policy", "split_rule", "builder", "licence", "citation")


def _settings_changes(old: VersionInfo | None, new: VersionInfo) -> tuple[SettingChange, ...]:
    if old is None:
        return ()
    changes = [SettingChange(key, old.manifest.get(key), new.manifest.get(key))
               for key in _SETTINGS if old.manifest.get(key) != new.manifest.get(key)]
    old_splits = _split_names(old.manifest)
    new_splits = _split_names(new.manifest)
    if old_splits != new_splits:
        changes.append(SettingChange("splits", old_splits, new_splits))
    return tuple(changes)


def _split_names(manifest: Mapping[str, Any]) -> list[str]:
    configs = manifest.get("configs") or {}
    return sorted(configs.get("documents") or (manifest.get("splits") or {}).keys())


# ---------------------------------------------------------------------------------------------
# The dataset diff
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class DatasetDiff:
    """Everything that differs between two versions: complete counts, a few examples of each kind.

    Attributes
    ----------
    old : VersionInfo or None
        The earlier version (None: compared against an empty dataset, i.e. a first version).
    new : VersionInfo
        The later version.
    schema : tuple of SchemaChange
    settings : tuple of SettingChange
        Manifest settings that differ (``projection_policy``, ``split_rule``, ``builder``,
        ``licence``, ``citation``) and ``splits`` when the set of split names differs.
    documents_compared : int
        Documents present in both versions.
    documents_added, documents_removed : list of (id, split)
    text_changed, metadata_changed : list of str
        Ids of documents whose text (metadata) differs.
    split_changed : list of (id, old split, new split)
    spans : dict
        ``{"added"|"removed"|"moved": Counter{(layer, label): n}, "relabelled": Counter{(layer,
        old label, new label): n}}``, for documents present in both versions.
    links : dict
        ``{"added"|"removed"|"changed": Counter{type: n}}``, documents present in both versions.
    spans_in_added_documents, spans_in_removed_documents : Counter of (layer, label)
    links_in_added_documents, links_in_removed_documents : Counter of link type
    examples : dict
        Up to ``max_examples`` ``(doc_id, description)`` pairs per kind of change.
    """

    old: VersionInfo | None
    new: VersionInfo
    schema: tuple[SchemaChange, ...] = ()
    settings: tuple[SettingChange, ...] = ()
    documents_compared: int = 0
    documents_added: list[tuple[str, str]] = field(default_factory=list)
    documents_removed: list[tuple[str, str]] = field(default_factory=list)
    text_changed: list[str] = field(default_factory=list)
    metadata_changed: list[str] = field(default_factory=list)
    split_changed: list[tuple[str, str, str]] = field(default_factory=list)
    annotation_changed: list[str] = field(default_factory=list)
    spans: dict[str, Counter[Any]] = field(default_factory=lambda: {
        kind: Counter() for kind in ("added", "removed", "relabelled", "moved")})
    links: dict[str, Counter[str]] = field(default_factory=lambda: {
        kind: Counter() for kind in ("added", "removed", "changed")})
    spans_in_added_documents: Counter[tuple[str, str]] = field(default_factory=Counter)
    spans_in_removed_documents: Counter[tuple[str, str]] = field(default_factory=Counter)
    links_in_added_documents: Counter[str] = field(default_factory=Counter)
    links_in_removed_documents: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    max_examples: int = DEFAULT_EXAMPLES

    # ---- facts ---------------------------------------------------------------------------
    @property
    def fingerprint_equal(self) -> bool:
        return self.old is not None and self.old.fingerprint == self.new.fingerprint

    @property
    def documents_unchanged(self) -> int:
        changed = set(self.text_changed) | set(self.metadata_changed) | set(self.annotation_changed)
        changed |= {doc_id for doc_id, _, _ in self.split_changed}
        return self.documents_compared - len(changed)

    def span_count(self, kind: str) -> int:
        return sum(self.spans[kind].values())

    def link_count(self, kind: str) -> int:
        return sum(self.links[kind].values())

    @property
    def has_changes(self) -> bool:
        """True when anything at all differs that this diff can name."""
        return bool(self.schema or self.settings or self.documents_added or self.documents_removed
                    or self.text_changed or self.metadata_changed or self.split_changed
                    or any(self.spans.values()) or any(self.links.values()))

    def required_bump(self) -> BumpRequirement:
        """The smallest semantic-version bump these changes require (see :mod:`dataset_builder.versioning`)."""
        from dataset_builder.bump_rules import required_bump

        return required_bump(self)

    # ---- accumulation --------------------------------------------------------------------
    def _example(self, kind: str, doc_id: str, description: str) -> None:
        shown = self.examples.setdefault(kind, [])
        if len(shown) < self.max_examples:
            shown.append((doc_id, description))

    def add(self, doc: DocumentDiff) -> None:
        """Count one document's differences (what :func:`diff` does for each yielded document)."""
        if doc.status == "added":
            assert doc.new is not None
            self.documents_added.append((doc.doc_id, doc.new.split))
            self.spans_in_added_documents.update((s.layer, s.label) for s in doc.new.spans)
            self.links_in_added_documents.update(link.type for link in doc.new.links)
            self._example("document added", doc.doc_id, f"{doc.new.split}, {len(doc.new.text):,} characters, "
                          f"{_n(len(doc.new.spans), 'span')}, {_n(len(doc.new.links), 'link')}")
            return
        if doc.status == "removed":
            assert doc.old is not None
            self.documents_removed.append((doc.doc_id, doc.old.split))
            self.spans_in_removed_documents.update((s.layer, s.label) for s in doc.old.spans)
            self.links_in_removed_documents.update(link.type for link in doc.old.links)
            self._example("document removed", doc.doc_id, f"{doc.old.split}, {len(doc.old.text):,} characters, "
                          f"{_n(len(doc.old.spans), 'span')}, {_n(len(doc.old.links), 'link')}")
            return
        if doc.text_edits:
            self.text_changed.append(doc.doc_id)
            for edit in doc.text_edits:
                self._example("text", doc.doc_id, edit.describe())
        if doc.metadata:
            self.metadata_changed.append(doc.doc_id)
            for change in doc.metadata:
                self._example("metadata", doc.doc_id, change.describe())
        if doc.split_changed:
            assert doc.old_split is not None and doc.new_split is not None
            self.split_changed.append((doc.doc_id, doc.old_split, doc.new_split))
            self._example("split", doc.doc_id, f"{doc.old_split} → {doc.new_split}")
        if doc.spans or doc.links:
            self.annotation_changed.append(doc.doc_id)
        for span in doc.spans:
            if span.kind == "relabelled":
                assert span.old is not None and span.new is not None
                self.spans["relabelled"][span.layer, span.old.label, span.new.label] += 1
            else:
                self.spans[span.kind][span.layer, span.label] += 1
            self._example(f"span {span.kind}", doc.doc_id, span.describe())
        for link in doc.links:
            self.links[link.kind][link.type] += 1
            self._example(f"link {link.kind}", doc.doc_id, link.describe())

    # ---- renderings ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what ``akhbar diff --format json`` prints)."""
        requirement = self.required_bump()
        return {
            "old": None if self.old is None else self.old.to_dict(),
            "new": self.new.to_dict(),
            "fingerprint_equal": self.fingerprint_equal,
            "required_bump": requirement.to_dict(),
            "schema": [change.to_dict() for change in self.schema],
            "settings": [change.to_dict() for change in self.settings],
            "documents": {
                "compared": self.documents_compared,
                "unchanged": self.documents_unchanged,
                "added": [{"id": i, "split": s} for i, s in self.documents_added],
                "removed": [{"id": i, "split": s} for i, s in self.documents_removed],
                "text_changed": self.text_changed,
                "metadata_changed": self.metadata_changed,
                "split_changed": [{"id": i, "old": a, "new": b} for i, a, b in self.split_changed],
                "annotation_changed": self.annotation_changed,
            },
            "spans": {
                **{kind: _nested_counts(self.spans[kind]) for kind in ("added", "removed", "moved")},
                "relabelled": [{"layer": layer, "old": a, "new": b, "count": n}
                               for (layer, a, b), n in sorted(self.spans["relabelled"].items())],
                "in_added_documents": _nested_counts(self.spans_in_added_documents),
                "in_removed_documents": _nested_counts(self.spans_in_removed_documents),
            },
            "links": {
                **{kind: dict(sorted(self.links[kind].items())) for kind in ("added", "removed", "changed")},
                "in_added_documents": dict(sorted(self.links_in_added_documents.items())),
                "in_removed_documents": dict(sorted(self.links_in_removed_documents.items())),
            },
            "examples": {kind: [{"doc_id": d, "change": text} for d, text in shown]
                         for kind, shown in self.examples.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self) -> str:
        """A human-readable report (what ``akhbar diff`` prints)."""
        return _markdown(self)


def _nested_counts(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    nested: dict[str, dict[str, int]] = {}
    for (layer, label), n in sorted(counter.items()):
        nested.setdefault(layer, {})[label] = n
    return nested


def diff(old_dir: str | Path | None, new_dir: str | Path, *, max_examples: int = DEFAULT_EXAMPLES) -> DatasetDiff:
    """Compare two built versions of a dataset.

    Parameters
    ----------
    old_dir : path or None
        The earlier version directory (``OUT/NAME/VERSION``); None compares against an empty
        dataset, so every document, span and schema part of ``new_dir`` is "added".
    new_dir : path
        The later version directory (also a build's temporary directory, before publishing).
    max_examples : int, default=5
        Examples kept per kind of change; counts are always complete.

    Returns
    -------
    DatasetDiff

    Raises
    ------
    InputError
        ``not-a-version`` when a directory is not a built version.

    Examples
    --------
    >>> d = diff("out/sana-sample/1.0.0", "out/sana-sample/1.1.0")  # doctest: +SKIP
    >>> d.span_count("relabelled"), str(d.required_bump().bump)  # doctest: +SKIP
    (1, 'PATCH')
    """
    new_info = read_version_info(new_dir)
    old_info = read_version_info(old_dir) if old_dir is not None else None
    result = DatasetDiff(old_info, new_info, diff_schemas(old_info.schema if old_info else None, new_info.schema),
                         _settings_changes(old_info, new_info), max_examples=max_examples)
    if old_info is not None and old_info.fingerprint == new_info.fingerprint:
        # The fingerprint covers every record and setting: nothing to walk, every document is unchanged.
        result.documents_compared = new_info.totals().get("documents", 0)
        return result
    new = _OpenVersion(new_info)
    old = _OpenVersion(old_info) if old_info is not None else None
    if old is not None:
        result.documents_compared = len(old.index.keys() & new.index.keys())
    for doc in _iter_diffs(old, new):
        result.add(doc)
    return result


# ---------------------------------------------------------------------------------------------
# Markdown and changelog
# ---------------------------------------------------------------------------------------------


def _shorten(text: str, limit: int = _SHOWN_CHARS) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def _by_label(counter: Counter[tuple[str, str]]) -> str:
    """``entities 3 (PERS 2, GPE 1); quotes 1 (DIRECT 1)``: layers by name, labels by count."""
    per_layer: dict[str, Counter[str]] = {}
    for (layer, label), n in counter.items():
        per_layer.setdefault(layer, Counter())[label] += n
    parts = []
    for layer in sorted(per_layer):
        labels = per_layer[layer]
        shown = ", ".join(f"{label} {n:,}" for label, n in sorted(labels.items(), key=lambda kv: (-kv[1], kv[0])))
        parts.append(f"{layer} {sum(labels.values()):,} ({shown})")
    return "; ".join(parts)


def _examples(d: DatasetDiff, kind: str) -> list[str]:
    return [f"`{doc_id}`: {text}" for doc_id, text in d.examples.get(kind, [])]


def _markdown(d: DatasetDiff) -> str:
    new = d.new
    old = d.old
    title = f"{new.name} {old.version} → {new.version}" if old else f"{new.name} {new.version} (first version)"
    lines = [f"# {title}", ""]
    old_totals = old.totals() if old else {}
    new_totals = new.totals()
    keys = list(dict.fromkeys([*old_totals, *new_totals]))
    lines += [f"| | {old.version if old else '—'} | {new.version} |", "|---|---:|---:|",
              f"| fingerprint | `{old.fingerprint[:12] if old else '—'}` | `{new.fingerprint[:12]}` |"]
    lines += [f"| {key} | {old_totals.get(key, 0):,} | {new_totals.get(key, 0):,} |" for key in keys]
    lines.append("")
    requirement = d.required_bump()
    lines += requirement.to_markdown(old.version if old else None, new.version)
    lines.append("")
    if d.fingerprint_equal:
        lines.append("Nothing changed: the fingerprints are equal.")
        return "\n".join(lines) + "\n"
    if d.schema:
        lines += ["## Schema", ""]
        if old is not None and not (old.schema_recorded and new.schema_recorded):
            lines += ["(One version does not record its schema definition: compared from its features only.)", ""]
        lines += [f"- {change.describe()}" for change in d.schema]
        lines.append("")
    if d.settings:
        lines += ["## Settings", ""]
        lines += [f"- {change.describe()}" for change in d.settings]
        lines.append("")
    lines += ["## Documents", ""]
    if old is not None:
        lines.append(f"- compared: {d.documents_compared:,}, unchanged: {d.documents_unchanged:,}")
    for kind, items in (("added", d.documents_added), ("removed", d.documents_removed)):
        if items:
            splits = Counter(split for _, split in items)
            lines.append(f"- {kind}: {len(items):,} ({', '.join(f'{s} {n:,}' for s, n in sorted(splits.items()))})")
            lines += [f"  - {text}" for text in _examples(d, f"document {kind}")]
    for label, ids, kind in (("text changed", d.text_changed, "text"), ("metadata changed", d.metadata_changed,
                             "metadata"), ("split changed", d.split_changed, "split")):
        if ids:
            lines.append(f"- {label}: {len(ids):,}")
            lines += [f"  - {text}" for text in _examples(d, kind)]
    if d.annotation_changed:
        lines.append(f"- annotation changed (spans or links): {len(d.annotation_changed):,}")
    lines.append("")
    if any(d.spans.values()) or d.spans_in_added_documents or d.spans_in_removed_documents:
        lines += ["## Spans", ""]
        relabelled_from: Counter[tuple[str, str]] = Counter()
        relabelled_to: Counter[tuple[str, str]] = Counter()
        for (layer, a, b), n in d.spans["relabelled"].items():
            relabelled_from[layer, a] += n
            relabelled_to[layer, b] += n
        old_labels = old.label_totals() if old else Counter()
        new_labels = new.label_totals()
        rows = set(d.spans["added"]) | set(d.spans["removed"]) | set(d.spans["moved"]) | set(relabelled_from) \
            | set(relabelled_to)
        if rows:
            lines += ["In documents present in both versions, per layer and label (old and new: totals):", "",
                      "| layer | label | old | new | added | removed | relabelled from | relabelled to | moved |",
                      "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for layer, label in sorted(rows):
            key = (layer, label)
            lines.append(f"| {layer} | {label} | {old_labels[key]:,} | {new_labels[key]:,} | {d.spans['added'][key]:,} "
                         f"| {d.spans['removed'][key]:,} | {relabelled_from[key]:,} | {relabelled_to[key]:,} "
                         f"| {d.spans['moved'][key]:,} |")
        if rows:
            lines.append("")
        if d.spans_in_added_documents:
            lines += [f"Spans in added documents: {_by_label(d.spans_in_added_documents)}.", ""]
        if d.spans_in_removed_documents:
            lines += [f"Spans in removed documents: {_by_label(d.spans_in_removed_documents)}.", ""]
        for kind in ("relabelled", "moved", "removed", "added"):
            shown = _examples(d, f"span {kind}")
            if shown:
                lines += [f"Examples, {kind}:", "", *[f"- {text}" for text in shown], ""]
    if any(d.links.values()) or d.links_in_added_documents or d.links_in_removed_documents:
        lines += ["## Links", ""]
        for kind in ("added", "removed", "changed"):
            if d.links[kind]:
                counts = ", ".join(f"{t} {n:,}" for t, n in sorted(d.links[kind].items()))
                lines.append(f"- {kind}: {d.link_count(kind):,} ({counts})")
                lines += [f"  - {text}" for text in _examples(d, f"link {kind}")]
        for label, counter in (("in added documents", d.links_in_added_documents),
                               ("in removed documents", d.links_in_removed_documents)):
            if counter:
                lines.append(f"- {label}: " + ", ".join(f"{t} {n:,}" for t, n in sorted(counter.items())))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def changelog_entry(d: DatasetDiff, *, date: str | None = None) -> str:
    """The ``CHANGELOG.md`` entry of ``d.new`` (Keep a Changelog: Added, Changed, Fixed, Removed).

    Counts are complete; examples are those kept by the diff. ``date`` (``YYYY-MM-DD``) defaults
    to today.
    """
    new, old = d.new, d.old
    day = date or Date.today().isoformat()
    lines = [f"## [{new.version}] - {day}", ""]
    requirement = d.required_bump()
    if old is None:
        lines.append(f"First version of {new.name}. Fingerprint `{new.fingerprint}`.")
    else:
        lines.append(f"{new.name} {new.version}, fingerprint `{new.fingerprint}` (from {old.version}, "
                     f"`{old.fingerprint[:12]}`). {requirement.summary(old.version, new.version)}")
    lines.append("")
    sections: dict[str, list[str]] = {"Added": [], "Changed": [], "Fixed": [], "Removed": []}

    def item(section: str, text: str, examples: Sequence[str] = ()) -> None:
        sections[section].append(f"- {text}")
        sections[section].extend(f"  - {example}" for example in examples)

    # Added
    if d.documents_added:
        splits = Counter(split for _, split in d.documents_added)
        item("Added", f"{_n(len(d.documents_added), 'document')} "
                      f"({', '.join(f'{s}: {n:,}' for s, n in sorted(splits.items()))}).",
             _examples(d, "document added"))
    where = "" if old is None else " in the added documents"
    if d.spans_in_added_documents:
        item("Added", f"{_n(sum(d.spans_in_added_documents.values()), 'span')}{where}: "
                      f"{_by_label(d.spans_in_added_documents)}.")
    if d.links_in_added_documents:
        item("Added", f"{_n(sum(d.links_in_added_documents.values()), 'link')}{where}: "
                      + ", ".join(f"{t} {n:,}" for t, n in sorted(d.links_in_added_documents.items())) + ".")
    if d.spans["added"]:
        item("Added", f"{_n(d.span_count('added'), 'span')} in existing documents: {_by_label(d.spans['added'])}.",
             _examples(d, "span added"))
    if d.links["added"]:
        item("Added", f"{_n(d.link_count('added'), 'link')} in existing documents: "
                      + ", ".join(f"{t} {n:,}" for t, n in sorted(d.links["added"].items())) + ".",
             _examples(d, "link added"))
    for change in d.schema:
        section = {"added": "Added", "removed": "Removed"}.get(change.kind, "Changed")
        item(section, f"Schema: {change.describe()}.")
    # Changed
    if d.text_changed:
        item("Changed", f"Text of {_n(len(d.text_changed), 'document')}.",
             _examples(d, "text"))
    if d.split_changed:
        item("Changed", f"{_n(len(d.split_changed), 'document')} moved to another split.", _examples(d, "split"))
    if d.metadata_changed:
        item("Changed", f"Metadata of {_n(len(d.metadata_changed), 'document')}.", _examples(d, "metadata"))
    for setting in d.settings:
        item("Changed", f"Build setting {setting.describe()}.")
    # Fixed
    if d.spans["relabelled"]:
        counts = ", ".join(f"{layer} {a} → {b} {n:,}" for (layer, a, b), n in sorted(d.spans["relabelled"].items()))
        item("Fixed", f"{_n(d.span_count('relabelled'), 'span')} relabelled: {counts}.",
             _examples(d, "span relabelled"))
    if d.spans["moved"]:
        item("Fixed", f"{_n(d.span_count('moved'), 'span boundary', 'span boundaries')} moved: "
                      f"{_by_label(d.spans['moved'])}.", _examples(d, "span moved"))
    if d.links["changed"]:
        item("Fixed", f"{_n(d.link_count('changed'), 'link')} changed: "
                      + ", ".join(f"{t} {n:,}" for t, n in sorted(d.links["changed"].items())) + ".",
             _examples(d, "link changed"))
    # Removed
    if d.documents_removed:
        item("Removed", f"{_n(len(d.documents_removed), 'document')} with "
                        f"{_n(sum(d.spans_in_removed_documents.values()), 'span')}.", _examples(d, "document removed"))
    if d.spans["removed"]:
        item("Removed", f"{_n(d.span_count('removed'), 'span')}: {_by_label(d.spans['removed'])}.",
             _examples(d, "span removed"))
    if d.links["removed"]:
        item("Removed", f"{_n(d.link_count('removed'), 'link')}: "
                        + ", ".join(f"{t} {n:,}" for t, n in sorted(d.links["removed"].items())) + ".",
             _examples(d, "link removed"))
    for section, entries in sections.items():
        if entries:
            lines += [f"### {section}", "", *entries, ""]
    if old is not None and not any(sections.values()):
        lines += ["No change to the published data (the fingerprint differs: rejected records or "
                  "source files changed).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


CHANGELOG_PREAMBLE = """# Changelog

All notable changes to the {name} dataset are documented in this file, newest first.
The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/); versions follow
the semantic-versioning rules of [docs/versioning.md](docs/versioning.md), which `akhbar build
--previous` enforces. Entries are written by `akhbar diff OLD NEW --changelog CHANGELOG.md`.
"""

_ENTRY_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?[ \t]*$", re.MULTILINE)


def _version_key(text: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(part) for part in match.groups()) if match else None


def prepend_changelog(path: str | Path, entry: str, *, name: str, keep_date: bool = True) -> bool:
    """Put ``entry`` (from :func:`changelog_entry`) into the changelog at ``path``, idempotently.

    A missing file is created with a Keep a Changelog preamble. An existing entry for the same
    version is replaced in place (keeping its date when ``keep_date``, so re-running on another
    day changes nothing); otherwise the entry goes above the first entry of a lower version, so
    entries stay newest first whatever order they are written in (an ``[Unreleased]`` section
    stays on top).

    Returns
    -------
    bool
        True when the file changed.
    """
    path = Path(path)
    heading = _ENTRY_HEADING.match(entry)
    if heading is None:
        raise ValueError("a changelog entry starts with '## [VERSION] - DATE'")
    version = heading.group("version")
    old_text = path.read_text(encoding="utf-8") if path.is_file() else CHANGELOG_PREAMBLE.format(name=name)
    entries = list(_ENTRY_HEADING.finditer(old_text))
    same = next((m for m in entries if m.group("version") == version), None)
    if same is not None:
        if keep_date and same.group("date"):
            entry = _ENTRY_HEADING.sub(f"## [{version}] - {same.group('date')}", entry, count=1)
        following = next((m.start() for m in entries if m.start() > same.start()), len(old_text))
        tail = old_text[following:]
        new_text = old_text[:same.start()] + entry + ("\n" + tail if tail else "")
    else:
        this = _version_key(version)
        lower = next((m for m in entries if (key := _version_key(m.group("version"))) is not None
                      and this is not None and key < this), None)
        if lower is not None:
            new_text = old_text[:lower.start()] + entry + "\n" + old_text[lower.start():]
        else:
            new_text = old_text.rstrip("\n") + "\n\n" + entry
    if new_text == old_text and path.is_file():
        return False
    path.write_text(new_text, encoding="utf-8")
    return True
