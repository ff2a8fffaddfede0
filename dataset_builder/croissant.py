"""Croissant (JSON-LD) metadata for the Hub export of a built version.

`Croissant <https://mlcommons.org/croissant>`_ describes a dataset so that tools can find and
load it without reading its card: the files (``distribution``), what a record is
(``recordSet``, one per config, with a field per column) and the meaning of categorical values.
The metadata describes the Parquet files of ``akhbar export``::

    data/<config>/<split>-NNNNN-of-NNNNN.parquet

* one ``FileSet`` per config (``data/<config>/*.parquet``), read relative to the JSON file;
* when the Parquet files exist (``export_dir`` given), one ``FileObject`` per file with its
  ``sha256`` and size, so a download can be checked. The build writes ``croissant.json`` before
  any Parquet file exists, so the copy in the version directory (and in ``cards/``) lists the file
  sets only; :func:`write_croissant` with ``export_dir`` completes it;
* one ``RecordSet`` per config: every column is a field (structs as sub-fields, lists as arrays,
  read through ``jsonPath`` transforms, as the Hub's own Croissant does), plus a ``split`` field
  taken from the file name;
* every ``ClassLabel`` is categorical: its field holds the integer id and ``references`` an
  enumeration record set (``sc:Enumeration``) whose inline records give each id its name (and,
  for span labels, the schema's definition); the split names form a ``cr:Split`` record set.

Written without ``mlcroissant``, validated with it on request. Why: importing ``mlcroissant`` (with
``rdflib``, ``jsonpath_rw``, its torch adapter...) and building its node objects cost about half a
second of every ``akhbar build`` of the bundled corpus (a fifth of the whole build), to write a file
whose shape never changes between builds. So :func:`croissant_document` writes the JSON-LD as plain
dicts, exactly as ``mlcroissant.Metadata.to_json()`` of the same nodes does (its key order:
``@context``, ``@type``, ``@id``, ``name``, ``description``, ``conformsTo``, then the others in
alphabetical order, then ``distribution``, ``field``, ``data``, ``recordSet``, ``subField``,
``extract``, ``transform``; single-element lists unboxed, except ``distribution``, ``field`` and
``recordSet``; empty values left out), so the bytes are those ``mlcroissant`` wrote.
``validate=True`` (what ``akhbar export`` does, before the Hub sees the file) parses the document
with ``mlcroissant`` (offline: nothing is downloaded for local files) and refuses it on any error;
the tests check, for every corpus we build, that ``mlcroissant`` reads the document back to the same
JSON, which is what keeps this writer and ``mlcroissant`` in step. No date is written (Croissant
recommends ``datePublished``; leaving it out keeps the file byte-identical across rebuilds).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.features import DOCUMENTS, TOKENS
from dataset_builder.manifest import sha256_file
from dataset_builder.problems import InputError, Problem
from dataset_builder.schema import Schema
from dataset_builder.version_dir import CROISSANT_FILE, VersionDir

if TYPE_CHECKING:
    import mlcroissant as mlc

__all__ = ["CROISSANT_FILE", "PARQUET_ENCODING", "croissant_document", "croissant_metadata", "validate_croissant",
           "write_croissant"]

PARQUET_ENCODING = "application/x-parquet"
_SPLIT_SET = "splits"
_ENUMERATION = "sc:Enumeration"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"

#: The JSON-LD context of Croissant 1.0, as ``mlcroissant`` 1.x writes it (key order included).
_CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet", "format": "cr:format",
    "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath", "key": "cr:key",
    "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "samplingRate": "cr:samplingRate", "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}

#: ``datasets`` value dtypes -> Croissant data types (what the Hub's Croissant uses), as JSON-LD shortens them.
_VALUE_TYPES = {
    "string": "sc:Text", "large_string": "sc:Text", "bool": "sc:Boolean",
    "int8": "cr:Int8", "int16": "cr:Int16", "int32": "cr:Int32", "int64": "cr:Int64",
    "uint8": "cr:UInt8", "uint16": "cr:UInt16", "uint32": "cr:UInt32", "uint64": "cr:UInt64",
    "float16": "cr:Float16", "float32": "cr:Float32", "float64": "cr:Float64",
}
_TEXT, _INTEGER, _SPLIT = "sc:Text", "sc:Integer", "cr:Split"

_COLUMN_DESCRIPTIONS = {
    DOCUMENTS: "One record per document: its text exactly as read, and every annotation as character offsets "
               "(Unicode code points, half-open) into that text.",
    TOKENS: "One record per sentence: tokens with their character offsets in the document text, and IOB2 tag "
            "columns projected from the character spans.",
}

#: mlcroissant's key order: these first, these last, every other key alphabetically in between.
_FIRST_KEYS = ("@context", "@type", "@id", "name", "description", "conformsTo")
_LAST_KEYS = ("distribution", "field", "data", "recordSet", "subField", "extract", "transform")


def _ordered(node: Mapping[str, Any]) -> dict[str, Any]:
    """A node: ``node`` without empty values (``False`` is kept), keys in mlcroissant's order."""
    return _sorted({key: value for key, value in node.items() if value or isinstance(value, bool)})


def _sorted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Keys in mlcroissant's order, nested dicts likewise (not ``@context``, nor dicts inside lists: those
    are nodes ordered when they were made, or data rows); nothing is left out below the node's own keys."""
    middle = sorted(key for key in mapping if key not in _FIRST_KEYS and key not in _LAST_KEYS)
    order = [key for key in _FIRST_KEYS if key in mapping] + middle + [key for key in _LAST_KEYS if key in mapping]
    return {key: _sorted(mapping[key]) if isinstance(mapping[key], dict) and key != "@context" else mapping[key]
            for key in order}


def _one_or_many(values: Sequence[Any]) -> Any:
    """A single value unboxed, as JSON-LD writers do for properties that may repeat."""
    return values[0] if len(values) == 1 else list(values)


def _field(field_id: str, name: str, *, description: str | None = None, data_type: str | None = None,
           source: Mapping[str, Any] | None = None, references: str | None = None,
           sub_fields: Sequence[dict[str, Any]] = (), is_array: bool = False) -> dict[str, Any]:
    return _ordered({
        "@type": "cr:Field", "@id": field_id, "name": name, "description": description, "dataType": data_type,
        "source": source, "references": {"field": {"@id": references}} if references else None,
        "subField": _one_or_many(sub_fields) if sub_fields else None,
        **({"cr:isArray": True, "cr:arrayShape": "-1"} if is_array else {}),
    })


def _require_mlcroissant() -> Any:
    try:
        import mlcroissant
    except ImportError:
        raise InputError(Problem(
            "missing-dependency", "writing Croissant metadata needs the `mlcroissant` package.",
            "Install the hub extra: pip install 'akhbar[hub]' (or pip install mlcroissant).",
        )) from None
    return mlcroissant


def release_mlcroissant_caches() -> None:
    """Empty the memo caches through which ``mlcroissant`` keeps every metadata object alive.

    ``mlcroissant`` (1.x) memoizes four methods of its ``Rdf`` class with ``functools.cache``; the
    class compares by identity, so every ``Rdf`` ever made (one per ``Metadata``, with its reverse
    context and every key it shortened) stays in those caches for the life of the process: ~10 MB per
    build for a library caller who builds in a loop. The caches are plain memoization, so emptying them
    only costs a recomputation.
    """
    try:
        from mlcroissant._src.core.rdf import Rdf
    except ImportError:  # not installed, or reorganised upstream: nothing of ours to release
        return
    for name in ("reverse_context", "abbreviations", "shorten_value", "shorten_key"):
        cache_clear = getattr(getattr(Rdf, name, None), "cache_clear", None)
        if cache_clear is not None:
            cache_clear()


class _Ids:
    """Croissant ids must be unique and may not contain ``/`` except as the record-set separator."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, wanted: str) -> str:
        escaped = re.sub(r"[^A-Za-z0-9_.\-]", "_", wanted)
        candidate, n = escaped, 1
        while candidate in self.used:
            candidate, n = f"{escaped}_{n}", n + 1
        self.used.add(candidate)
        return candidate


def _enumeration(record_id: str, description: str, names: Sequence[str],
                 definitions: Mapping[str, str] | None = None) -> dict[str, Any]:
    fields = [
        _field(f"{record_id}/index", "index", data_type=_INTEGER, description="The id stored in the data."),
        _field(f"{record_id}/name", "name", data_type=_TEXT, description="Its name."),
    ]
    rows: list[dict[str, Any]] = [{f"{record_id}/index": i, f"{record_id}/name": n} for i, n in enumerate(names)]
    if definitions is not None:
        fields.append(_field(f"{record_id}/definition", "definition", data_type=_TEXT,
                             description="Its definition in the corpus schema."))
        for row, name in zip(rows, names, strict=True):
            row[f"{record_id}/definition"] = definitions.get(name, "")
    return _record_set(record_id, description, fields, key=record_id + "/index", data=rows, data_type=_ENUMERATION)


def _record_set(record_id: str, description: str, fields: list[dict[str, Any]], *, key: str | None = None,
                data: Sequence[dict[str, Any]] = (), data_type: str | None = None) -> dict[str, Any]:
    return _ordered({"@type": "cr:RecordSet", "@id": record_id, "name": record_id, "description": description,
                     "dataType": data_type, "key": {"@id": key} if key else None, "field": fields,
                     "data": _one_or_many(data) if data else None})


class _FieldMaker:
    """Turns ``datasets`` features into Croissant fields reading one config's Parquet file set."""

    def __init__(self, file_set: str, enumerations: Mapping[tuple[str, ...], str]) -> None:
        self.file_set = file_set
        #: ClassLabel position (column, *nested names) -> id of its enumeration record set
        self.enumerations = enumerations

    def _source(self, column: str, json_path: Sequence[str]) -> dict[str, Any]:
        source: dict[str, Any] = {"fileSet": {"@id": self.file_set}, "extract": {"column": column}}
        if json_path:
            source["transform"] = _one_or_many([{"jsonPath": p} for p in json_path])
        return source

    def field(self, field_id: str, name: str, column: str, feature: Any, json_path: tuple[str, ...],
              description: str, *, is_array: bool = False) -> dict[str, Any]:
        from datasets import ClassLabel, List, Value

        position = (column, *json_path)
        if isinstance(feature, List):
            enumeration = self.enumerations.get(position)
            if enumeration is not None and not json_path:
                # mlcroissant turns `references` on a list column into a join on the whole list,
                # which fails: the ids of a tag column name their enumeration in the description.
                # (The ClassLabel below then leaves `references` out.)
                return self.field(field_id, name, column, feature.feature, json_path,
                                  f"{description}: ids of the names in record set `{enumeration}`", is_array=True)
            return self.field(field_id, name, column, feature.feature, json_path, description, is_array=True)
        if isinstance(feature, dict):
            sub_fields = [
                self.field(f"{field_id}/{sub_name}", sub_name, column, sub_feature, (*json_path, sub_name),
                           f"`{'.'.join((*position, sub_name))}`")
                for sub_name, sub_feature in feature.items()
            ]
            return _field(field_id, name, description=description, sub_fields=sub_fields, is_array=is_array)
        source = self._source(column, json_path)
        if isinstance(feature, ClassLabel):
            enumeration = self.enumerations.get(position)
            if enumeration is None:  # a ClassLabel without names (a schema without link types): always empty
                return _field(field_id, name, description=f"{description} (no names: always empty)",
                              data_type=_INTEGER, source=source, is_array=is_array)
            return _field(field_id, name, description=description, data_type=_INTEGER, source=source,
                          references=None if is_array and not json_path else f"{enumeration}/index",  # see List
                          is_array=is_array)
        if isinstance(feature, Value) and feature.dtype in _VALUE_TYPES:
            return _field(field_id, name, description=description, data_type=_VALUE_TYPES[feature.dtype],
                          source=source, is_array=is_array)
        raise InputError(Problem(
            "croissant-feature", f"column {column!r} has a feature Croissant metadata cannot describe: {feature!r}.",
            "Report this: dataset_builder.croissant needs a mapping for this feature type.",
        ))


def _class_labels(feature: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    from datasets import ClassLabel, List

    if isinstance(feature, ClassLabel):
        return [(path, feature)]
    if isinstance(feature, List):
        return _class_labels(feature.feature, path)
    if isinstance(feature, dict):
        return [item for name, sub in feature.items() for item in _class_labels(sub, (*path, name))]
    return []


def _label_definitions(schema: Schema | None, position: tuple[str, ...]) -> tuple[str, dict[str, str] | None]:
    """A description of a ClassLabel position, and label definitions when they come from the schema."""
    column = position[0]
    if schema is not None and column in schema.layer_names and position[1:] == ("label",):
        layer = schema.layer(column)
        return (f"Labels of layer `{column}`: {layer.description}".rstrip(": "),
                {label.name: label.definition for label in layer.labels})
    if column == "links" and position[1:] == ("type",):
        definitions = {link.name: link.description for link in schema.links} if schema is not None else None
        return "Link types.", definitions
    if schema is not None:
        for layer in schema.layers:
            if column in layer.tag_columns():
                return f"IOB2 tags of layer `{layer.name}` (`O`, then `B-` and `I-` of each label).", None
    return f"Names of `{'.'.join(position)}`.", None


def croissant_document(
    version_dir: str | Path,
    *,
    schema: Schema | None = None,
    export_dir: str | Path | None = None,
    description: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """Croissant metadata (JSON-LD, as a dict) of the Hub export of a built version; no ``mlcroissant`` needed.

    Parameters
    ----------
    version_dir : path
        ``OUT/NAME/VERSION`` as written by ``akhbar build``: manifest and features come from it.
    schema : Schema, optional
        Adds label definitions and descriptions to the enumerations.
    export_dir : path, optional
        An ``akhbar export`` folder: its Parquet files are listed with sha256 and size.
    description : str, optional
        Default: the description recorded in the build.
    url : str, optional
        The dataset's home page (e.g. its Hub repository).

    Raises
    ------
    InputError
        Not a built version, or an export folder without Parquet files.
    """
    from datasets import Features

    version_dir = Path(version_dir)
    version = VersionDir.open(version_dir)
    manifest = version.manifest_data
    configs = version.recorded_configs
    infos = version.config_infos()
    first = next(iter(infos.values()), {})
    ids = _Ids()
    distribution: list[dict[str, Any]] = []
    record_sets: list[dict[str, Any]] = []

    all_splits = list(dict.fromkeys(s for splits in configs.values() for s in splits))
    split_set = ids.make(_SPLIT_SET)
    record_sets.append(_record_set(
        split_set, "The splits of the dataset.", [_field(f"{split_set}/name", "name", data_type=_TEXT)],
        key=f"{split_set}/name", data=[{f"{split_set}/name": split} for split in all_splits], data_type=_SPLIT,
    ))

    if export_dir is not None:
        export_dir = Path(export_dir)
        parquet = sorted((export_dir / "data").rglob("*.parquet"))
        if not parquet:
            raise InputError(Problem(
                "croissant-no-files", "the export folder holds no data/<config>/*.parquet file.",
                "Run `akhbar export VERSION_DIR --out EXPORT_DIR` first.", path=str(export_dir),
            ))
        for path in parquet:
            relative = path.relative_to(export_dir).as_posix()
            distribution.append(_ordered({
                "@type": "cr:FileObject", "@id": ids.make(relative), "name": path.name, "contentUrl": relative,
                "encodingFormat": PARQUET_ENCODING, "sha256": sha256_file(path),
                "contentSize": f"{path.stat().st_size} B",
            }))

    enumeration_ids: dict[tuple[str, str, ...], str] = {}
    by_labels: dict[tuple[str, ...], str] = {}  # same names and meaning -> one enumeration
    for config, info in infos.items():
        features = Features.from_dict(info["features"])
        for column, feature in features.items():
            for position, class_label in _class_labels(feature, (column,)):
                if not class_label.names:
                    continue  # Croissant enumerations cannot be empty
                text, definitions = _label_definitions(schema, position)
                key = (text, *class_label.names)
                if key not in by_labels:
                    wanted = f"{position[0]}_labels" if position[1:] else f"{position[0]}_names"
                    record_id = ids.make(wanted)
                    by_labels[key] = record_id
                    record_sets.append(_enumeration(record_id, text, class_label.names, definitions))
                enumeration_ids[(config, *position)] = by_labels[key]

    for config, splits in configs.items():
        if config not in infos:
            continue
        file_set = ids.make(f"{config}-parquet")
        distribution.append(_ordered({
            "@type": "cr:FileSet", "@id": file_set, "name": file_set,
            "description": f"Parquet shards of the `{config}` config, one or more per split.",
            "includes": f"data/{config}/*.parquet", "encodingFormat": PARQUET_ENCODING,
        }))
        record_id = ids.make(config)
        maker = _FieldMaker(file_set, {k[1:]: v for k, v in enumeration_ids.items() if k[0] == config})
        split_pattern = "|".join(re.escape(s) for s in splits)
        fields = [_field(
            f"{record_id}/split", "split", description="The split the record belongs to (from its file name).",
            data_type=_TEXT,
            source={"fileSet": {"@id": file_set}, "extract": {"fileProperty": "fullpath"},
                    "transform": {"regex": rf"^(?:.*/)?({split_pattern})-\d{{5}}-of-\d{{5}}\.parquet$"}},
            # No `references` to the split set: mlcroissant would apply the regex to the split names too.
        )]
        features = Features.from_dict(infos[config]["features"])
        for column, feature in features.items():
            fields.append(maker.field(f"{record_id}/{column}", column, column, feature, (), f"`{column}`"))
        record_sets.append(_record_set(record_id, _COLUMN_DESCRIPTIONS.get(config, f"The `{config}` config."), fields))

    licence = manifest.get("licence") or first.get("license")
    return _ordered({
        "@context": _CONTEXT,
        "@type": "sc:Dataset",
        "name": manifest["name"],
        "description": (description or first.get("description") or "").strip() or manifest["name"],
        "conformsTo": CONFORMS_TO,
        "version": manifest["version"],
        "license": licence,
        "citeAs": manifest.get("citation") or None,
        "url": url,
        "inLanguage": "ar",
        "keywords": ["arabic", "news", "named-entity-recognition", "akhbar"],
        "distribution": distribution,
        "recordSet": record_sets,
    })


def validate_croissant(document: Mapping[str, Any], *, where: str | Path | None = None) -> mlc.Metadata:
    """Parse ``document`` with ``mlcroissant`` and return its ``Metadata``; refuse it on any error.

    Raises
    ------
    InputError
        ``missing-dependency`` without ``mlcroissant``; ``croissant-invalid`` when it reports errors
        (``where``, the version directory, is named in the problem).
    """
    mlc = _require_mlcroissant()
    release_mlcroissant_caches()  # what earlier calls left behind (see the function)
    try:
        context = mlc.Context()
        metadata = mlc.Metadata.from_json(ctx=context, json_=json.loads(json.dumps(document)))
        errors = sorted(context.issues.errors)
    except mlc.ValidationError as exc:
        errors = [str(exc)]
    if errors:
        raise InputError(Problem(
            "croissant-invalid", "mlcroissant rejects the metadata: " + "; ".join(errors),
            "Report this with the version directory: the Croissant writer produced invalid metadata.",
            path=None if where is None else str(where),
        ))
    return metadata


def croissant_metadata(version_dir: str | Path, *, schema: Schema | None = None, export_dir: str | Path | None = None,
                       description: str | None = None, url: str | None = None) -> mlc.Metadata:
    """:func:`croissant_document` validated and read by ``mlcroissant``, as an ``mlcroissant.Metadata``.

    Raises
    ------
    InputError
        What :func:`croissant_document` and :func:`validate_croissant` raise.
    """
    document = croissant_document(version_dir, schema=schema, export_dir=export_dir, description=description, url=url)
    return validate_croissant(document, where=version_dir)


def write_croissant(
    version_dir: str | Path,
    *,
    schema: Schema | None = None,
    export_dir: str | Path | None = None,
    out_path: str | Path | None = None,
    description: str | None = None,
    url: str | None = None,
    validate: bool = False,
) -> Path:
    """Write ``croissant.json`` for the Hub export of a built version (see :func:`croissant_document`).

    Parameters
    ----------
    version_dir : path
        The built version.
    schema : Schema, optional
        Adds label definitions to the enumerations.
    export_dir : path, optional
        An ``akhbar export`` folder: its Parquet files are listed with sha256, and the file is
        written there by default.
    out_path : path, optional
        Where to write. Default: ``export_dir/croissant.json``, else ``version_dir/croissant.json``.
    validate : bool, default=False
        Check the document with ``mlcroissant`` first (:func:`validate_croissant`; about half a second
        of imports). ``akhbar export`` does; the build does not (the document's shape is the same for
        every build, and the tests validate it).

    Returns
    -------
    Path
        The file written: pretty JSON, raw UTF-8, keys in ``mlcroissant``'s order, trailing newline.
    """
    document = croissant_document(version_dir, schema=schema, export_dir=export_dir, description=description, url=url)
    if validate:
        validate_croissant(document, where=version_dir)
        release_mlcroissant_caches()
    target = Path(out_path) if out_path is not None else Path(export_dir or version_dir) / CROISSANT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target
