"""The two configs of a built dataset, as ``datasets.Features``, and fast columnar row batches.

``documents`` (one row per document)::

    id        string
    text      string                     the text exactly as read; every offset points into it
    metadata  {title, date, dateline_place, dateline_agency, source_file, licence: string (nullable),
               paragraphs: List({start: int32, end: int32}), extra: string (canonical JSON)}
    <layer>   List({id: string, start: int32, end: int32, label: ClassLabel, text: string})
              one column per schema layer (``entities``, ``quotes``), labels in schema order
    links     List({id: string, type: ClassLabel(link types), source: string, target: string})
    defects   List({start: int32, end: int32, kind, text, suggestion, message: string})

``tokens`` (one row per sentence)::

    id              string   ``<doc_id>-s<0000>``
    doc_id          string
    sentence_index  int32
    start, end      int32    character offsets of the sentence in the document text
    tokens          List(string)
    token_starts    List(int32)  document character offsets
    token_ends      List(int32)
    <tag column>    List(ClassLabel(IOB2 names))  one per projected layer and nesting level
                    (``ner_tags``, ``ner_tags_2``, ``ner_tags_3``, ``quote_tags``)

Rows are not built as Python dicts and encoded one by one (what ``Dataset.from_generator``
does): the batch builders below append to flat Python lists and turn them into Arrow arrays
once per batch (``ListArray.from_arrays`` over offsets, ``StructArray.from_arrays``), which
is what makes the build faster than ``datasets`` at writing the same rows. ClassLabel columns
are stored as int64, as ``datasets`` stores them.

``datasets`` and ``pyarrow`` are imported inside functions so that importing this module (and
``akhbar --help``) stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dataset_builder.model import Document
from dataset_builder.schema import Schema

if TYPE_CHECKING:
    import datasets
    import pyarrow as pa

__all__ = [
    "DOCUMENTS",
    "TOKENS",
    "DefectRow",
    "DocumentBatch",
    "SentenceRows",
    "TokenBatch",
    "canonical_json",
    "document_features",
    "token_features",
]

DOCUMENTS = "documents"
TOKENS = "tokens"

#: One defect as stored: (start, end, kind, text, suggestion or None, message).
DefectRow = tuple[int, int, str, str, str | None, str]

_METADATA_STRINGS = ("title", "date", "dateline_place", "dateline_agency", "source_file", "licence")


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys and raw UTF-8: one value, one string, on every machine."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, set, frozenset)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def document_features(schema: Schema) -> datasets.Features:
    """The ``documents`` config's features for ``schema`` (see the module docstring)."""
    from datasets import ClassLabel, Features, List, Value

    string, int32 = Value("string"), Value("int32")
    columns: dict[str, Any] = {
        "id": string,
        "text": string,
        "metadata": {
            **{name: string for name in _METADATA_STRINGS},
            "paragraphs": List({"start": int32, "end": int32}),
            "extra": string,
        },
    }
    for layer in schema.layers:
        columns[layer.name] = List(
            {
                "id": string,
                "start": int32,
                "end": int32,
                "label": ClassLabel(names=list(layer.label_names)),
                "text": string,
            }
        )
    link_types = [link.name for link in schema.links]
    columns["links"] = List(
        {
            "id": string,
            # ClassLabel needs at least one name to be useful; a schema without links still gets
            # a typed (always empty) column so that every build of the project has the same shape.
            "type": ClassLabel(names=link_types) if link_types else ClassLabel(num_classes=0),
            "source": string,
            "target": string,
        }
    )
    columns["defects"] = List(
        {"start": int32, "end": int32, "kind": string, "text": string, "suggestion": string, "message": string}
    )
    return Features(columns)


def tag_columns(schema: Schema) -> list[tuple[str, str, int]]:
    """``(column, layer, level)`` for every token tag column, in column order (level 0 = outermost)."""
    return [
        (column, layer.name, level)
        for layer in schema.layers
        for level, column in enumerate(layer.tag_columns())
    ]


def token_features(schema: Schema) -> datasets.Features:
    """The ``tokens`` config's features for ``schema`` (see the module docstring)."""
    from datasets import ClassLabel, Features, List, Value

    string, int32 = Value("string"), Value("int32")
    columns: dict[str, Any] = {
        "id": string,
        "doc_id": string,
        "sentence_index": int32,
        "start": int32,
        "end": int32,
        "tokens": List(string),
        "token_starts": List(int32),
        "token_ends": List(int32),
    }
    for column, layer_name, _level in tag_columns(schema):
        columns[column] = List(ClassLabel(names=list(schema.layer(layer_name).bio_names)))
    return Features(columns)


def _list_of_structs(offsets: list[int], children: Sequence[pa.Array], list_type: pa.DataType) -> pa.Array:
    import pyarrow as pa

    struct_type = list_type.value_type
    values = pa.StructArray.from_arrays(list(children), fields=list(struct_type))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=list_type)


@dataclass(slots=True)
class _SpanColumns:
    offsets: list[int] = field(default_factory=lambda: [0])
    ids: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


class DocumentBatch:
    """Accumulates ``documents`` rows column by column; :meth:`to_record_batch` makes one Arrow batch.

    Parameters
    ----------
    schema : Schema
        Fixes the layer columns and the label -> ClassLabel id maps.
    arrow_schema : pyarrow.Schema
        ``document_features(schema).arrow_schema``; batches are built with exactly these types.
    """

    def __init__(self, schema: Schema, arrow_schema: pa.Schema) -> None:
        self.schema = schema
        self.arrow_schema = arrow_schema
        self._label_ids = {layer.name: {n: i for i, n in enumerate(layer.label_names)} for layer in schema.layers}
        self._link_ids = {link.name: i for i, link in enumerate(schema.links)}
        self.clear()

    def clear(self) -> None:
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.meta: dict[str, list[str | None]] = {name: [] for name in _METADATA_STRINGS}
        self.paragraph_offsets, self.paragraph_starts, self.paragraph_ends = [0], [], []
        self.extras: list[str] = []
        self.layers = {layer.name: _SpanColumns() for layer in self.schema.layers}
        self.link_offsets = [0]
        self.link_ids: list[str] = []
        self.link_types: list[int] = []
        self.link_sources: list[str] = []
        self.link_targets: list[str] = []
        self.defect_offsets = [0]
        self.defect_starts: list[int] = []
        self.defect_ends: list[int] = []
        self.defect_kinds: list[str] = []
        self.defect_texts: list[str] = []
        self.defect_suggestions: list[str | None] = []
        self.defect_messages: list[str] = []
        self.nbytes_estimate = 0

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, doc: Document, defects: Sequence[DefectRow] = ()) -> None:
        """Append one (validated) document. Spans are written in ``Document.layer`` order."""
        text = doc.text
        self.ids.append(doc.id)
        self.texts.append(text)
        meta = doc.metadata
        for name in _METADATA_STRINGS:
            self.meta[name].append(getattr(meta, name))
        for start, end in meta.paragraphs:
            self.paragraph_starts.append(start)
            self.paragraph_ends.append(end)
        self.paragraph_offsets.append(len(self.paragraph_starts))
        self.extras.append(canonical_json(dict(meta.extra)))
        by_layer: dict[str, list[Any]] = {name: [] for name in self.layers}
        for span in doc.spans:
            by_layer[span.layer].append(span)
        for name, spans in by_layer.items():
            columns, label_ids = self.layers[name], self._label_ids[name]
            spans.sort(key=lambda s: (s.start, -s.end, s.label))
            for span in spans:
                columns.ids.append(span.id)
                columns.starts.append(span.start)
                columns.ends.append(span.end)
                columns.labels.append(label_ids[span.label])
                columns.texts.append(text[span.start:span.end])
            columns.offsets.append(len(columns.ids))
        for link in doc.links:
            self.link_ids.append(link.id)
            self.link_types.append(self._link_ids[link.type])
            self.link_sources.append(link.source)
            self.link_targets.append(link.target)
        self.link_offsets.append(len(self.link_ids))
        for start, end, kind, defect_text, suggestion, message in defects:
            self.defect_starts.append(start)
            self.defect_ends.append(end)
            self.defect_kinds.append(kind)
            self.defect_texts.append(defect_text)
            self.defect_suggestions.append(suggestion)
            self.defect_messages.append(message)
        self.defect_offsets.append(len(self.defect_starts))
        # Text dominates the size of a row; spans add roughly 40 bytes each.
        self.nbytes_estimate += len(text) * 2 + 40 * len(doc.spans) + 200

    def to_record_batch(self) -> pa.RecordBatch:
        import pyarrow as pa

        types = {f.name: f.type for f in self.arrow_schema}
        string, int32, int64 = pa.string(), pa.int32(), pa.int64()
        meta_type = types["metadata"]
        meta_children = [pa.array(self.meta[name], string) for name in _METADATA_STRINGS]
        meta_children.append(
            _list_of_structs(
                self.paragraph_offsets,
                [pa.array(self.paragraph_starts, int32), pa.array(self.paragraph_ends, int32)],
                meta_type.field("paragraphs").type,
            )
        )
        meta_children.append(pa.array(self.extras, string))
        arrays: list[pa.Array] = [
            pa.array(self.ids, string),
            pa.array(self.texts, string),
            pa.StructArray.from_arrays(meta_children, fields=list(meta_type)),
        ]
        for layer in self.schema.layers:
            c = self.layers[layer.name]
            arrays.append(
                _list_of_structs(
                    c.offsets,
                    [pa.array(c.ids, string), pa.array(c.starts, int32), pa.array(c.ends, int32),
                     pa.array(c.labels, int64), pa.array(c.texts, string)],
                    types[layer.name],
                )
            )
        arrays.append(
            _list_of_structs(
                self.link_offsets,
                [pa.array(self.link_ids, string), pa.array(self.link_types, int64),
                 pa.array(self.link_sources, string), pa.array(self.link_targets, string)],
                types["links"],
            )
        )
        arrays.append(
            _list_of_structs(
                self.defect_offsets,
                [pa.array(self.defect_starts, int32), pa.array(self.defect_ends, int32),
                 pa.array(self.defect_kinds, string), pa.array(self.defect_texts, string),
                 pa.array(self.defect_suggestions, string), pa.array(self.defect_messages, string)],
                types["defects"],
            )
        )
        return pa.RecordBatch.from_arrays(arrays, schema=self.arrow_schema)


@dataclass(frozen=True, slots=True)
class SentenceRows:
    """The ``tokens`` rows of one document, in flat form (what the text layer hands the writer).

    ``token_starts``/``token_ends`` are the document's tokens; sentence ``i`` covers characters
    ``sentence_spans[i]`` and tokens ``token_ranges[i]`` (half-open). ``tags`` maps each tag
    column to one ClassLabel id per token of the document.
    """

    token_starts: list[int]
    token_ends: list[int]
    sentence_spans: list[tuple[int, int]]
    token_ranges: list[tuple[int, int]]
    tags: dict[str, list[int]]

    @property
    def n_tokens(self) -> int:
        return sum(hi - lo for lo, hi in self.token_ranges)


class TokenBatch:
    """Accumulates ``tokens`` rows (one per sentence) column by column."""

    def __init__(self, schema: Schema, arrow_schema: pa.Schema) -> None:
        self.arrow_schema = arrow_schema
        self.columns = [column for column, _layer, _level in tag_columns(schema)]
        self.clear()

    def clear(self) -> None:
        self.ids: list[str] = []
        self.doc_ids: list[str] = []
        self.indices: list[int] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.token_offsets = [0]
        # Token strings are cut from the texts once per batch (:func:`_token_strings`), not one
        # Python string per token: the texts and each document's number of tokens are enough.
        self.texts: list[str] = []
        self.text_token_counts: list[int] = []
        self.token_starts: list[int] = []
        self.token_ends: list[int] = []
        self.tags: dict[str, list[int]] = {column: [] for column in self.columns}
        self.nbytes_estimate = 0

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, doc_id: str, text: str, rows: SentenceRows) -> None:
        starts, ends, ranges = rows.token_starts, rows.token_ends, rows.token_ranges
        n_sentences = len(ranges)
        self.ids.extend([f"{doc_id}-s{index:04d}" for index in range(n_sentences)])
        self.doc_ids.extend([doc_id] * n_sentences)
        self.indices.extend(range(n_sentences))
        self.starts.extend([start for start, _ in rows.sentence_spans])
        self.ends.extend([end for _, end in rows.sentence_spans])
        base = len(self.token_starts)
        contiguous = all(ranges[i][1] == ranges[i + 1][0] for i in range(n_sentences - 1))
        if contiguous and (not ranges or (ranges[0][0] == 0 and ranges[-1][1] == len(starts))):
            # The usual case: sentences tile the document's tokens, so whole-document lists are
            # appended at once and only the per-sentence offsets are computed.
            self.token_starts.extend(starts)
            self.token_ends.extend(ends)
            for column in self.columns:
                self.tags[column].extend(rows.tags[column])
            self.token_offsets.extend([base + hi for _, hi in ranges])
        else:
            for lo, hi in ranges:
                self.token_starts.extend(starts[lo:hi])
                self.token_ends.extend(ends[lo:hi])
                for column in self.columns:
                    self.tags[column].extend(rows.tags[column][lo:hi])
                self.token_offsets.append(len(self.token_starts))
        self.texts.append(text)
        self.text_token_counts.append(len(self.token_starts) - base)
        # Token strings average a few characters; offsets and tags add 4-8 bytes each.
        self.nbytes_estimate += 40 * len(starts) + 60 * n_sentences

    def to_record_batch(self) -> pa.RecordBatch:
        import pyarrow as pa

        string, int32, int64 = pa.string(), pa.int32(), pa.int64()
        offsets = pa.array(self.token_offsets, int32)

        def listed(values: pa.Array, column: str) -> pa.Array:
            return pa.ListArray.from_arrays(offsets, values, type=self.arrow_schema.field(column).type)

        arrays = [
            pa.array(self.ids, string),
            pa.array(self.doc_ids, string),
            pa.array(self.indices, int32),
            pa.array(self.starts, int32),
            pa.array(self.ends, int32),
            listed(_token_strings(self.texts, self.text_token_counts, self.token_starts, self.token_ends),
                   "tokens"),
            listed(pa.array(self.token_starts, int32), "token_starts"),
            listed(pa.array(self.token_ends, int32), "token_ends"),
        ]
        arrays += [listed(pa.array(self.tags[column], int64), column) for column in self.columns]
        return pa.RecordBatch.from_arrays(arrays, schema=self.arrow_schema)


def _token_strings(texts: Sequence[str], token_counts: Sequence[int], starts: Sequence[int],
                   ends: Sequence[int]) -> pa.Array:
    """``pa.array([text[start:end] for each token])``, built from the UTF-8 bytes of the texts.

    ``token_counts[i]`` tokens belong to ``texts[i]`` (in order); ``starts``/``ends`` are code-point
    offsets into their own text. Code-point offsets become byte offsets through each character's
    UTF-8 width, and the tokens' bytes are gathered in one step, so no Python string is made per
    token (millions per corpus, the largest cost of writing the tokens config when done one by one).
    """
    import numpy as np
    import pyarrow as pa

    joined = "".join(texts)
    code_points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    widths = 1 + (code_points >= 0x80).astype(np.int64) + (code_points >= 0x800) + (code_points >= 0x10000)
    byte_at = np.zeros(len(code_points) + 1, dtype=np.int64)  # byte offset of each code point (and the end)
    np.cumsum(widths, out=byte_at[1:])
    text_starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum([len(text) for text in texts[:-1]], out=text_starts[1:])
    shift = np.repeat(text_starts, np.asarray(token_counts, dtype=np.int64))
    byte_starts = byte_at[np.asarray(starts, dtype=np.int64) + shift]
    byte_ends = byte_at[np.asarray(ends, dtype=np.int64) + shift]
    lengths = byte_ends - byte_starts
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] > np.iinfo(np.int32).max:  # gigabytes of tokens in one batch: as before, one string each
        owners = np.repeat(np.arange(len(texts)), np.asarray(token_counts, dtype=np.int64))
        return pa.array([texts[owner][start:end] for owner, start, end in zip(owners, starts, ends, strict=True)],
                        pa.string())
    # Byte k of the output is byte (k - offsets[token] + byte_starts[token]) of the joined text.
    gather = np.arange(offsets[-1], dtype=np.int64) + np.repeat(byte_starts - offsets[:-1], lengths)
    data = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)[gather]
    return pa.StringArray.from_buffers(len(lengths), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))
