"""The build manifest and the dataset fingerprint.

Fingerprint
-----------
The fingerprint identifies a built dataset by *content*, so that evaluation results can say
exactly which gold data they were computed on. It is the sha256 of, in this order::

    "akhbar-dataset-fingerprint/1\\n"
    canonical JSON of the build settings   {builder_version, schema_fingerprint, split rule,
                                            projection policy, licence override}, then "\\n"
    for every record read, in stream order: its canonical JSON, then "\\n"

The *canonical JSON* of a document (:func:`canonical_document`) holds its id, text, metadata
(``paragraphs`` as lists, ``extra`` as a JSON object), its spans sorted by
``(layer, start, -end, label, id)`` with ``text`` always equal to the slice it covers, and its
links sorted by id; keys sorted, no insignificant white space, raw UTF-8. So format quirks that
do not change content do not change the fingerprint: the order spans appear in a file, a span
stored without its surface text, JSON key order and spacing, the line a record was on, and
reader problems (repairs are reflected in the content they produced). A record no reader could
parse (:class:`~dataset_builder.model.Unreadable`) contributes its location and problem codes,
so adding a broken line changes the fingerprint (the rejects differ) while staying reproducible.

The schema enters through :meth:`Schema.fingerprint` (its canonical JSON, so YAML comments and
formatting do not count); the builder version, because a new builder may write different rows.
Source-file hashes are recorded in the manifest but do *not* enter the fingerprint: re-encoding
a file without changing its content keeps the dataset identical.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.features import canonical_json
from dataset_builder.model import Document, Unreadable

__all__ = [
    "FINGERPRINT_PREFIX",
    "ContentFingerprint",
    "Manifest",
    "canonical_document",
    "hash_input_files",
    "sha256_file",
    "write_json_file",
]

FINGERPRINT_PREFIX = b"akhbar-dataset-fingerprint/1\n"


def canonical_document(doc: Document) -> dict[str, Any]:
    """The content of a document as a JSON-able dict, independent of how its file was formatted."""
    text = doc.text
    meta = doc.metadata
    spans = sorted(doc.spans, key=lambda s: (s.layer, s.start, -s.end, s.label, s.id))
    return {
        "id": doc.id,
        "text": text,
        "metadata": {
            "title": meta.title,
            "date": meta.date,
            "dateline_place": meta.dateline_place,
            "dateline_agency": meta.dateline_agency,
            "source_file": meta.source_file,
            "licence": meta.licence,
            "paragraphs": [[start, end] for start, end in meta.paragraphs],
            "extra": dict(meta.extra),
        },
        "spans": [
            {
                "id": s.id, "layer": s.layer, "start": s.start, "end": s.end, "label": s.label,
                "text": text[s.start:s.end] if _valid_offsets(s.start, s.end, len(text)) else s.text,
                "attributes": dict(s.attributes),
            }
            for s in spans
        ],
        "links": [
            {"id": link.id, "type": link.type, "source": link.source, "target": link.target}
            for link in sorted(doc.links, key=lambda link: (link.id, link.type, link.source, link.target))
        ],
    }


def _valid_offsets(start: Any, end: Any, length: int) -> bool:
    return isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= length


class ContentFingerprint:
    """Incremental dataset fingerprint (see the module docstring for the exact definition).

    Examples
    --------
    >>> fp = ContentFingerprint({"builder_version": "0.1.0"})
    >>> fp.update(Document("d1", "نص"))
    >>> len(fp.hexdigest())
    64
    """

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._hash = hashlib.sha256(FINGERPRINT_PREFIX)
        self._hash.update(canonical_json(dict(settings)).encode("utf-8") + b"\n")

    def update(self, item: Document | Unreadable) -> None:
        self._hash.update(self.record_line(item))

    def update_lines(self, data: bytes) -> None:
        """Records already made into lines by :meth:`record_line` (any number, in stream order): a sharded
        build makes the lines in its tasks and hashes them here in task order, so the fingerprint is the
        same for any number of tasks."""
        self._hash.update(data)

    @staticmethod
    def record_line(item: Document | Unreadable) -> bytes:
        """What one record adds to the fingerprint: its canonical JSON and a newline."""
        if isinstance(item, Unreadable):
            record: dict[str, Any] = {
                "unreadable": str(item.location),
                "problems": [p.code for p in item.problems],
                "doc_id": item.doc_id,
            }
        else:
            record = canonical_document(item)
        return canonical_json(record).encode("utf-8") + b"\n"

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def sha256_file(path: Path, *, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def hash_input_files(inputs: Iterable[Path], *, base: Path | None = None) -> dict[str, str]:
    """sha256 of every input file (files inside input folders too), keyed by a relative name.

    Names are relative to ``base`` when the file lies under it, else to the input's parent
    folder, with ``/`` separators, so a manifest never contains an absolute path.
    """
    hashes: dict[str, str] = {}
    for root in inputs:
        root = Path(root)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        anchor = root.parent
        for path in files:
            try:
                name = path.resolve().relative_to(base.resolve()) if base is not None else None
            except ValueError:
                name = None
            if name is None:
                name = path.relative_to(anchor)
            hashes[name.as_posix()] = sha256_file(path)
    return dict(sorted(hashes.items()))


@dataclass(slots=True)
class Manifest:
    """What ``manifest.json`` says about one built version (see :meth:`to_dict` for the keys)."""

    name: str
    version: str
    fingerprint: str
    builder_version: str
    schema_name: str
    schema_fingerprint: str
    split_rule: dict[str, Any]
    projection_policy: str
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    defects: dict[str, int] = field(default_factory=dict)
    source_files: dict[str, str] = field(default_factory=dict)
    configs: dict[str, list[str]] = field(default_factory=dict)
    licence: str | None = None
    citation: str | None = None
    #: ``Schema.to_dict()`` of the schema the version was built with (label order kept), so that
    #: ``akhbar diff`` can compare schemas from the version directory alone; None: not recorded.
    schema_definition: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "fingerprint_definition": "sha256 over settings + canonical JSON of each record read "
                                      "(see dataset_builder.manifest)",
            "builder": {"name": "akhbar", "version": self.builder_version},
            "schema": {"name": self.schema_name, "fingerprint": self.schema_fingerprint},
            "split_rule": self.split_rule,
            "projection_policy": self.projection_policy,
            "licence": self.licence,
            "citation": self.citation,
            "configs": self.configs,
            "splits": self.splits,
            "labels": self.labels,
            "defects": dict(sorted(self.defects.items())),
            "source_files": self.source_files,
        }
        if self.schema_definition is not None:
            data["schema_definition"] = self.schema_definition
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """The inverse of :meth:`to_dict`; keys an older build did not write take their defaults.

        Reading a version directory goes through :class:`dataset_builder.version_dir.VersionDir`,
        which checks the file first.
        """
        builder = data.get("builder") or {}
        schema = data.get("schema") or {}
        return cls(
            name=data["name"], version=data["version"], fingerprint=data["fingerprint"],
            builder_version=str(builder.get("version", "")), schema_name=str(schema.get("name", "")),
            schema_fingerprint=str(schema.get("fingerprint", "")), split_rule=dict(data.get("split_rule") or {}),
            projection_policy=str(data.get("projection_policy", "")), splits=dict(data.get("splits") or {}),
            labels=dict(data.get("labels") or {}), defects=dict(data.get("defects") or {}),
            source_files=dict(data.get("source_files") or {}), configs=dict(data.get("configs") or {}),
            licence=data.get("licence"), citation=data.get("citation"),
            schema_definition=data.get("schema_definition"),
        )

    def write(self, path: Path) -> None:
        write_json_file(path, self.to_dict())


def write_json_file(path: Path, value: Any) -> None:
    """Deterministic pretty JSON (raw UTF-8, trailing newline), fsynced."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
