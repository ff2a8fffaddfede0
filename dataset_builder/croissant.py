"""Croissant (JSON-LD) metadata for the Hub export of a built version, written with ``mlcroissant``.

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

Validated by ``mlcroissant`` itself (``mlcroissant.Dataset(jsonld=...)``) before it is written,
offline: nothing is downloaded for local files. No date is written (Croissant recommends
``datePublished``; leaving it out keeps the file byte-identical across rebuilds).
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

__all__ = ["CROISSANT_FILE", "PARQUET_ENCODING", "croissant_metadata", "write_croissant"]

PARQUET_ENCODING = "application/x-parquet"
_SPLIT_SET = "splits"
_ENUMERATION = "https://schema.org/Enumeration"

#: ``datasets`` value dtypes -> Croissant data types (what the Hub's Croissant uses).
_VALUE_TYPES = {
    "string": "TEXT", "large_string": "TEXT", "bool": "BOOL",
    "int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64",
    "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
    "float16": "FLOAT16", "float32": "FLOAT32", "float64": "FLOAT64",
}

_COLUMN_DESCRIPTIONS = {
    DOCUMENTS: "One record per document: its text exactly as read, and every annotation as character offsets "
               "(Unicode code points, half-open) into that text.",
    TOKENS: "One record per sentence: tokens with their character offsets in the document text, and IOB2 tag "
            "columns projected from the character spans.",
}


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


def _enumeration(mlc: Any, record_id: str, description: str, names: Sequence[str],
                 definitions: Mapping[str, str] | None = None) -> Any:
    fields = [
        mlc.Field(id=f"{record_id}/index", name="index", data_types=[mlc.DataType.INTEGER],
                  description="The id stored in the data."),
        mlc.Field(id=f"{record_id}/name", name="name", data_types=[mlc.DataType.TEXT], description="Its name."),
    ]
    rows: list[dict[str, Any]] = [{f"{record_id}/index": i, f"{record_id}/name": n} for i, n in enumerate(names)]
    if definitions is not None:
        fields.append(mlc.Field(id=f"{record_id}/definition", name="definition", data_types=[mlc.DataType.TEXT],
                                description="Its definition in the corpus schema."))
        for row, name in zip(rows, names, strict=True):
            row[f"{record_id}/definition"] = definitions.get(name, "")
    from rdflib import URIRef

    return mlc.RecordSet(id=record_id, name=record_id, description=description, fields=fields,
                         key=[f"{record_id}/index"], data=rows, data_types=[URIRef(_ENUMERATION)])


class _FieldMaker:
    """Turns ``datasets`` features into Croissant fields reading one config's Parquet file set."""

    def __init__(self, mlc: Any, file_set: str, enumerations: Mapping[tuple[str, ...], str]) -> None:
        self.mlc = mlc
        self.file_set = file_set
        #: ClassLabel position (column, *nested names) -> id of its enumeration record set
        self.enumerations = enumerations

    def _source(self, column: str, json_path: Sequence[str]) -> Any:
        mlc = self.mlc
        transforms = [mlc.Transform(json_path=p) for p in json_path]
        return mlc.Source(file_set=self.file_set, extract=mlc.Extract(column=column), transforms=transforms)

    def field(self, field_id: str, name: str, column: str, feature: Any, json_path: tuple[str, ...],
              description: str) -> Any:
        from datasets import ClassLabel, List, Value

        mlc = self.mlc
        position = (column, *json_path)
        if isinstance(feature, List):
            inner = self.field(field_id, name, column, feature.feature, json_path, description)
            inner.is_array = True
            inner.array_shape = "-1"
            enumeration = self.enumerations.get(position)
            if enumeration is not None and not json_path:
                # mlcroissant turns `references` on a list column into a join on the whole list,
                # which fails: the ids of a tag column name their enumeration in the description.
                inner.references = mlc.Source()
                inner.description = f"{description}: ids of the names in record set `{enumeration}`"
            return inner
        if isinstance(feature, dict):
            sub_fields = [
                self.field(f"{field_id}/{sub_name}", sub_name, column, sub_feature, (*json_path, sub_name),
                           f"`{'.'.join((*position, sub_name))}`")
                for sub_name, sub_feature in feature.items()
            ]
            return mlc.Field(id=field_id, name=name, description=description, sub_fields=sub_fields)
        if isinstance(feature, ClassLabel):
            enumeration = self.enumerations.get(position)
            if enumeration is None:  # a ClassLabel without names (a schema without link types): always empty
                return mlc.Field(id=field_id, name=name, description=f"{description} (no names: always empty)",
                                 data_types=[mlc.DataType.INTEGER], source=self._source(column, json_path))
            return mlc.Field(id=field_id, name=name, description=description, data_types=[mlc.DataType.INTEGER],
                             source=self._source(column, json_path),
                             references=mlc.Source(field=f"{enumeration}/index"))
        if isinstance(feature, Value) and feature.dtype in _VALUE_TYPES:
            return mlc.Field(id=field_id, name=name, description=description,
                             data_types=[getattr(mlc.DataType, _VALUE_TYPES[feature.dtype])],
                             source=self._source(column, json_path))
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


def croissant_metadata(
    version_dir: str | Path,
    *,
    schema: Schema | None = None,
    export_dir: str | Path | None = None,
    description: str | None = None,
    url: str | None = None,
) -> mlc.Metadata:
    """Croissant metadata of the Hub export of a built version, as an ``mlcroissant.Metadata``.

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
        Not a built version, ``mlcroissant`` missing, or the metadata does not validate.
    """
    from datasets import Features

    mlc = _require_mlcroissant()
    release_mlcroissant_caches()  # what earlier calls left behind (see the function)
    version_dir = Path(version_dir)
    version = VersionDir.open(version_dir)
    manifest = version.manifest_data
    configs = version.recorded_configs
    infos = version.config_infos()
    first = next(iter(infos.values()), {})
    ids = _Ids()
    distribution: list[Any] = []
    record_sets: list[Any] = []

    all_splits = list(dict.fromkeys(s for splits in configs.values() for s in splits))
    split_set = ids.make(_SPLIT_SET)
    record_sets.append(mlc.RecordSet(
        id=split_set, name=split_set, description="The splits of the dataset.", data_types=[mlc.DataType.SPLIT],
        key=[f"{split_set}/name"],
        fields=[mlc.Field(id=f"{split_set}/name", name="name", data_types=[mlc.DataType.TEXT])],
        data=[{f"{split_set}/name": split} for split in all_splits],
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
            distribution.append(mlc.FileObject(
                id=ids.make(relative), name=path.name, content_url=relative, encoding_formats=[PARQUET_ENCODING],
                sha256=sha256_file(path), content_size=f"{path.stat().st_size} B",
            ))

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
                    record_sets.append(_enumeration(mlc, record_id, text, class_label.names, definitions))
                enumeration_ids[(config, *position)] = by_labels[key]

    for config, splits in configs.items():
        if config not in infos:
            continue
        file_set = ids.make(f"{config}-parquet")
        distribution.append(mlc.FileSet(
            id=file_set, name=file_set, description=f"Parquet shards of the `{config}` config, one or more per split.",
            includes=[f"data/{config}/*.parquet"], encoding_formats=[PARQUET_ENCODING],
        ))
        record_id = ids.make(config)
        maker = _FieldMaker(mlc, file_set, {k[1:]: v for k, v in enumeration_ids.items() if k[0] == config})
        split_pattern = "|".join(re.escape(s) for s in splits)
        fields = [mlc.Field(
            id=f"{record_id}/split", name="split", description="The split the record belongs to (from its file name).",
            data_types=[mlc.DataType.TEXT],
            source=mlc.Source(file_set=file_set, extract=mlc.Extract(file_property=mlc.FileProperty.fullpath),
                              transforms=[mlc.Transform(regex=rf"^(?:.*/)?({split_pattern})-\d{{5}}-of-\d{{5}}\.parquet$")]),
            # No `references` to the split set: mlcroissant would apply the regex to the split names too.
        )]
        features = Features.from_dict(infos[config]["features"])
        for column, feature in features.items():
            fields.append(maker.field(f"{record_id}/{column}", column, column, feature, (), f"`{column}`"))
        record_sets.append(mlc.RecordSet(id=record_id, name=record_id,
                                         description=_COLUMN_DESCRIPTIONS.get(config, f"The `{config}` config."),
                                         fields=fields))

    licence = manifest.get("licence") or first.get("license")
    try:
        metadata = mlc.Metadata(
            name=manifest["name"],
            description=(description or first.get("description") or "").strip() or manifest["name"],
            version=manifest["version"],
            license=[licence] if licence else None,
            cite_as=manifest.get("citation") or None,
            url=url,
            in_language=["ar"],
            keywords=["arabic", "news", "named-entity-recognition", "akhbar"],
            distribution=distribution,
            record_sets=record_sets,
        )
        errors = sorted(metadata.issues.errors)
    except mlc.ValidationError as exc:
        errors = [str(exc)]
    if errors:
        raise InputError(Problem(
            "croissant-invalid", "mlcroissant rejects the metadata: " + "; ".join(errors),
            "Report this with the version directory: the Croissant writer produced invalid metadata.",
            path=str(version_dir),
        ))
    return metadata


def write_croissant(
    version_dir: str | Path,
    *,
    schema: Schema | None = None,
    export_dir: str | Path | None = None,
    out_path: str | Path | None = None,
    description: str | None = None,
    url: str | None = None,
) -> Path:
    """Write ``croissant.json`` for the Hub export of a built version (see :func:`croissant_metadata`).

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

    Returns
    -------
    Path
        The file written: pretty JSON, raw UTF-8, keys in ``mlcroissant``'s order, trailing newline.
    """
    metadata = croissant_metadata(version_dir, schema=schema, export_dir=export_dir, description=description,
                                  url=url)
    target = Path(out_path) if out_path is not None else Path(export_dir or version_dir) / CROISSANT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(metadata.to_json(), ensure_ascii=False, indent=2) + "\n"
    del metadata
    release_mlcroissant_caches()
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target
