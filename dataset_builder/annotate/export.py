"""Send documents to annotators: Label Studio tasks or a BRAT collection, generated from the schema.

Label Studio gets ``tasks.json`` (one task per document, its spans as a finished annotation when
the documents carry any, model spans as ``predictions``) and ``config.xml`` (the labeling config:
one ``<Labels>`` control per layer, each label with its definition as a hint, one ``<Relation>`` per
link type, text shown right to left). Offsets are in UTF-16 code units, what Label Studio's front
end counts (:class:`~dataset_builder.readers.labelstudio.Utf16Offsets`).

BRAT gets ``<doc id>.txt`` + ``<doc id>.ann`` per document and ``annotation.conf`` (entities of
every layer, relations with their argument types). BRAT has no notion of predictions, so
pre-annotations are written as ordinary spans with an ``AnnotatorNotes`` line ``pre-annotation:
<model>`` each; the annotator keeps, corrects or deletes them.

Both are read back by our own readers (``read(path, "labelstudio"|"brat", layer_of=...)``) with
the same spans: :func:`schema_layer_of` gives the label -> layer mapping of a schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import quoteattr

from dataset_builder.annotate.inputs import schema_layer_of
from dataset_builder.annotate.pre_annotate import PreAnnotator, pre_annotations, pre_annotations_from_file
from dataset_builder.model import Document, Link, Span
from dataset_builder.problems import InputError, Problem
from dataset_builder.readers.labelstudio import Utf16Offsets
from dataset_builder.schema import Schema

__all__ = [
    "AnnotationExport", "ExportTarget", "PreAnnotator", "brat_annotation_conf", "export_files",
    "export_for_annotation", "labelstudio_config", "pre_annotations_from_file", "schema_layer_of",
]

ExportTarget = Literal["labelstudio", "brat"]
TEXT_NAME = "text"
_PALETTE = ("#ffd166", "#06d6a0", "#118ab2", "#ef476f", "#8ecae6", "#f4a261", "#b5838d", "#90be6d", "#c77dff",
            "#e9c46a", "#2a9d8f", "#e76f51")
_SAFE_NAME = re.compile(r"[^\w.-]+")


@dataclass(frozen=True, slots=True)
class AnnotationExport:
    """What :func:`export_for_annotation` wrote: the folder, its files, and what went in.

    ``n_spans`` are the documents' own spans (sent as annotations); ``n_pre_annotations`` the model's
    spans (sent as predictions).
    """

    target: ExportTarget
    out_dir: Path
    files: tuple[Path, ...]
    n_documents: int
    n_spans: int
    n_links: int
    n_pre_annotations: int
    model_version: str | None = None


def labelstudio_config(schema: Schema) -> str:
    """The Label Studio labeling config of a schema (XML).

    Each layer is a ``<Labels>`` control named after it, each label carries its definition as
    ``hint``; each link type is a ``<Relation>``; the text is shown right to left, one character at
    a time (``granularity="symbol"``) so that clitics can be left out of a span.
    """
    colours = _label_colours(schema)
    lines = ['<View style="direction: rtl; text-align: right;">']
    for layer in schema.layers:
        header = f"{layer.name}: {layer.description}" if layer.description else layer.name
        lines.append(f"  <Header value={quoteattr(header)}/>")
        lines.append(f"  <Labels name={quoteattr(layer.name)} toName={quoteattr(TEXT_NAME)}>")
        for label in layer.labels:
            lines.append(f"    <Label value={quoteattr(label.name)} hint={quoteattr(label.definition)} "
                         f"background={quoteattr(colours[label.name])}/>")
        lines.append("  </Labels>")
    if schema.links:
        lines.append("  <Relations>")
        lines.extend(f"    <Relation value={quoteattr(link.name)}/>" for link in schema.links)
        lines.append("  </Relations>")
    lines.append(f'  <Text name="{TEXT_NAME}" value="${TEXT_NAME}" granularity="symbol"/>')
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def brat_annotation_conf(schema: Schema) -> str:
    """BRAT's ``annotation.conf`` for a schema: every label of every layer an entity, link types as relations."""
    labels = schema_layer_of(schema)
    lines = ["[entities]"]
    for layer in schema.layers:
        lines.append(f"# {layer.name}")
        lines.extend(name for name in layer.label_names if labels[name] == layer.name)
    lines += ["", "[relations]"]
    for link in schema.links:
        source = _arg_types(schema, link.source.layer, link.source.labels)
        target = _arg_types(schema, link.target.layer, link.target.labels)
        lines.append(f"{link.name}\tArg1:{source}, Arg2:{target}")
    lines += ["", "[events]", "", "[attributes]", ""]
    return "\n".join(lines)


def _arg_types(schema: Schema, layer: str, labels: Sequence[str]) -> str:
    return "|".join(labels or schema.layer(layer).label_names)


def _label_colours(schema: Schema) -> dict[str, str]:
    names = list(schema_layer_of(schema))
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(names)}


def export_for_annotation(
    documents: Iterable[Document],
    schema: Schema,
    out_dir: str | Path,
    *,
    to: ExportTarget = "labelstudio",
    pre_annotations: Mapping[str, Sequence[Span]] | None = None,
    model_version: str | None = None,
) -> AnnotationExport:
    """Write documents for annotation in Label Studio or BRAT.

    Parameters
    ----------
    documents : iterable of Document
        What to annotate. Their own spans and links go in as a finished annotation (Label Studio)
        or as the ``.ann`` content (BRAT): empty for raw articles, the gold when re-annotating or
        adjudicating.
    schema : Schema
        Labels, layers and link types of the project.
    out_dir : str or Path
        Created if missing; existing files of the same name are overwritten.
    to : {"labelstudio", "brat"}
    pre_annotations : mapping of document id to spans, optional
        A model's spans (e.g. :func:`pre_annotations_from_file`), sent as Label Studio
        ``predictions`` (with ``model_version``) or BRAT spans with a ``pre-annotation`` note.
    model_version : str, optional
        Who pre-annotated (default: ``"pre-annotation"``).

    Returns
    -------
    AnnotationExport
    """
    if to not in ("labelstudio", "brat"):
        raise ValueError(f"unknown annotation target {to!r}; choose labelstudio or brat")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs = list(documents)
    pre = pre_annotations or {}
    model = model_version or "pre-annotation"
    unknown = sorted(set(pre) - {doc.id for doc in docs})
    if unknown:
        raise InputError(Problem(
            "pre-annotations-unknown-documents", f"pre-annotations name documents not exported: {unknown[:5]}",
            "Pre-annotate the same documents you export (ids must match)."))
    if to == "labelstudio":
        files = _write_labelstudio(docs, schema, out, pre, model)
    else:
        files = _write_brat(docs, schema, out, pre, model)
    return AnnotationExport(
        to, out, files, len(docs), sum(len(d.spans) for d in docs), sum(len(d.links) for d in docs),
        sum(len(spans) for spans in pre.values()), model if pre else None)


def _region(span: Span, text: str, units: Utf16Offsets, layer_control: str) -> dict[str, object]:
    return {
        "id": span.id, "from_name": layer_control, "to_name": TEXT_NAME, "type": "labels",
        "value": {"start": units.to_utf16(span.start), "end": units.to_utf16(span.end),
                  "text": text[span.start:span.end], "labels": [span.label]},
    }


def _relation(link: Link) -> dict[str, object]:
    return {"type": "relation", "from_id": link.source, "to_id": link.target, "direction": "right",
            "labels": [link.type]}


def _write_labelstudio(docs: list[Document], schema: Schema, out: Path, pre: Mapping[str, Sequence[Span]],
                       model: str) -> tuple[Path, ...]:
    tasks = []
    for doc in docs:
        units = Utf16Offsets(doc.text)
        data: dict[str, object] = {TEXT_NAME: doc.text, "doc_id": doc.id}
        for name in ("title", "date", "dateline_place", "dateline_agency", "source_file", "licence"):
            value = getattr(doc.metadata, name)
            if value is not None:
                data[name] = value
        task: dict[str, object] = {"id": doc.id, "data": data}
        if doc.spans or doc.links:
            result = [_region(span, doc.text, units, span.layer) for span in doc.spans]
            result += [_relation(link) for link in doc.links]
            task["annotations"] = [{"id": 1, "was_cancelled": False, "result": result}]
        if doc.id in pre:
            task["predictions"] = [{"model_version": model, "result": [
                _region(span, doc.text, units, span.layer) for span in pre[doc.id]]}]
        tasks.append(task)
    tasks_path, config_path = out / "tasks.json", out / "config.xml"
    tasks_path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    config_path.write_text(labelstudio_config(schema), encoding="utf-8")
    return tasks_path, config_path


def brat_file_stem(doc_id: str) -> str:
    """A file name for a document id (BRAT names documents by file; characters unsafe in names become ``_``)."""
    return _SAFE_NAME.sub("_", doc_id) or "document"


def _write_brat(docs: list[Document], schema: Schema, out: Path, pre: Mapping[str, Sequence[Span]],
                model: str) -> tuple[Path, ...]:
    files: list[Path] = []
    stems: set[str] = set()
    for doc in docs:
        stem = brat_file_stem(doc.id)
        if stem in stems:
            raise InputError(Problem("brat-name-clash", f"two documents map to the file name {stem!r}.",
                                     "Give documents ids that differ in letters, digits, '.', '-' or '_'.",
                                     doc_id=doc.id))
        stems.add(stem)
        numbers: dict[str, str] = {}
        lines = []
        for span in doc.spans:
            numbers[span.id] = f"T{len(numbers) + 1}"
            lines.append(f"{numbers[span.id]}\t{span.label} {span.start} {span.end}\t{_one_line(doc.text, span)}")
        for index, link in enumerate(doc.links, start=1):
            lines.append(f"R{index}\t{link.type} Arg1:{numbers[link.source]} Arg2:{numbers[link.target]}")
        for note, span in enumerate(pre.get(doc.id, ()), start=1):
            number = f"T{len(numbers) + note}"
            lines.append(f"{number}\t{span.label} {span.start} {span.end}\t{_one_line(doc.text, span)}")
            lines.append(f"#{note}\tAnnotatorNotes {number}\tpre-annotation: {model}")
        txt, ann = out / f"{stem}.txt", out / f"{stem}.ann"
        # newline="" keeps "\r\n" as two characters: BRAT offsets count the file's code points.
        with txt.open("w", encoding="utf-8", newline="") as handle:
            handle.write(doc.text)
        ann.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        files += [txt, ann]
    conf = out / "annotation.conf"
    conf.write_text(brat_annotation_conf(schema), encoding="utf-8")
    return (*files, conf)


def _one_line(text: str, span: Span) -> str:
    # The surface column is informative only; a line break in it would end the .ann line.
    return " ".join(text[span.start:span.end].split("\n"))


def export_files(inputs: Sequence[str | Path], schema: Schema | str | Path, out_dir: str | Path, *,
                 to: ExportTarget = "labelstudio", pre_annotate: PreAnnotator | str | Path | None = None,
                 fmt: str | None = None, split: str = "test",
                 model_version: str | None = None) -> tuple[AnnotationExport, list[Problem]]:
    """Read inputs (files, folders or one split of a built version) and :func:`export_for_annotation` them,
    pre-annotated when ``pre_annotate`` is given: a :class:`~dataset_builder.annotate.pre_annotate.PreAnnotator`
    (a predictions file or a built-in baseline with its training data), or a path or name that
    :meth:`PreAnnotator.resolve` resolves. ``model_version`` renames the pre-annotating model. Also returns
    every reader problem.
    """
    from dataset_builder.annotate.inputs import read_annotations
    from dataset_builder.schema import load_schema

    loaded = schema if isinstance(schema, Schema) else load_schema(schema)
    pre_annotator = pre_annotate if isinstance(pre_annotate, PreAnnotator) or pre_annotate is None else \
        PreAnnotator.resolve(pre_annotate)
    if pre_annotator is not None and model_version is not None:
        pre_annotator = replace(pre_annotator, model_version=model_version)
    read = [read_annotations(path, loaded, fmt=fmt, split=split) for path in inputs]
    documents = [doc for annotator in read for doc in annotator.documents]
    pre = None if pre_annotator is None else pre_annotations(documents, pre_annotator)
    result = export_for_annotation(documents, loaded, out_dir, to=to,
                                   pre_annotations=None if pre is None else pre.spans,
                                   model_version=None if pre is None else pre.model_version)
    return result, [problem for annotator in read for problem in annotator.problems]
