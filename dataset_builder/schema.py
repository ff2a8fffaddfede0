"""The corpus schema: layers, their labels, nesting rules and link types, read from YAML.

A schema file looks like this (see ``corpora/sana-sample/schema.yaml``)::

    name: sana-sample
    layers:
      entities:
        description: Named entities and other mentions (Wojood's 21 types)
        nesting: true        # a span may lie inside another span of this layer
        overlap: false       # two spans may cross (share some characters, neither inside the other)
        levels: 3            # nesting levels projected to token tag columns: ner_tags, ner_tags_2, ner_tags_3
        tag_column: ner_tags
        labels:
          PERS: A person, named or referred to by name.
          ...
    links:
      speaker:
        description: Who said a quotation.
        from: {layer: quotes}
        to: {layer: entities, labels: [PERS]}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dataset_builder.problems import InputError, Problem
from dataset_builder.strict_yaml import load_yaml, node_line, validate_yaml


@dataclass(frozen=True, slots=True)
class LabelSpec:
    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class LayerSpec:
    name: str
    labels: tuple[LabelSpec, ...]
    description: str = ""
    nesting: bool = False
    overlap: bool = False
    levels: int = 1
    tag_column: str | None = None

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def bio_names(self) -> tuple[str, ...]:
        """IOB2 tag names in a fixed order: ``O``, then ``B-X``, ``I-X`` for each label in schema order."""
        names = ["O"]
        for label in self.labels:
            names += [f"B-{label.name}", f"I-{label.name}"]
        return tuple(names)

    def tag_columns(self) -> tuple[str, ...]:
        """Token-config column names, one per nesting level (empty when the layer is not projected)."""
        if not self.tag_column:
            return ()
        return (self.tag_column, *(f"{self.tag_column}_{i}" for i in range(2, self.levels + 1)))


@dataclass(frozen=True, slots=True)
class LinkEnd:
    layer: str
    labels: tuple[str, ...] = ()  # empty: any label of the layer


@dataclass(frozen=True, slots=True)
class LinkSpec:
    name: str
    source: LinkEnd
    target: LinkEnd
    description: str = ""


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    layers: tuple[LayerSpec, ...]
    links: tuple[LinkSpec, ...] = ()
    description: str = ""

    def layer(self, name: str) -> LayerSpec:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"layer {name!r} is not in schema {self.name!r} (layers: {self.layer_names})")

    def link(self, name: str) -> LinkSpec:
        for link in self.links:
            if link.name == name:
                return link
        raise KeyError(f"link type {name!r} is not in schema {self.name!r}")

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "layers": {
                layer.name: {
                    "description": layer.description,
                    "nesting": layer.nesting,
                    "overlap": layer.overlap,
                    "levels": layer.levels,
                    "tag_column": layer.tag_column,
                    "labels": {label.name: label.definition for label in layer.labels},
                }
                for layer in self.layers
            },
            "links": {
                link.name: {
                    "description": link.description,
                    "from": {"layer": link.source.layer, "labels": list(link.source.labels)},
                    "to": {"layer": link.target.layer, "labels": list(link.target.labels)},
                }
                for link in self.links
            },
        }

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON form: formatting and comments in the YAML do not count."""
        canonical = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _fail(path: str, message: str, fix: str, line: int | None = None) -> InputError:
    return InputError(Problem("schema-invalid", message, fix, path=path, line=line))


#: How to write each top-level key correctly (shown with the error).
_FIXES = {
    "": "Start the file with `name:` and `layers:`.",
    "name": "Add `name: <corpus-name>` at the top.",
    "description": "Write the description as text.",
    "layers": "Under `layers:`, give each layer `labels:` (label: definition) and optionally description, "
              "nesting (true/false), overlap (true/false), levels (a whole number >= 1) and tag_column.",
    "links": "Under `links:`, give each link type `from: {layer: L}` and `to: {layer: L, labels: [...]}` "
             "and optionally a description.",
}


def schema_from_dict(data: dict[str, Any], source: str = "<schema>", node: yaml.Node | None = None) -> Schema:
    """Build a :class:`Schema` from its YAML/JSON mapping, with clear errors for bad files.

    Unknown keys and wrong types are refused (``levels: 3`` must be a whole number; ``overlap`` and
    ``nesting`` must be true or false, not the string ``"false"``). ``node`` (the composed YAML) gives
    the errors their line.
    """
    if not isinstance(data, dict):
        raise _fail(source, "the schema must be a mapping at the top level.", "Start the file with `name:`.")
    if not isinstance(data.get("layers"), dict) or not data["layers"]:
        raise _fail(source, "the schema declares no `layers`.", "Add `layers:` with at least one layer.",
                    node_line(node, ("layers",)))
    for layer_name, spec in data["layers"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("labels"), dict) or not spec["labels"]:
            raise _fail(
                source,
                f"layer {layer_name!r} has no labels.",
                f"Under `layers.{layer_name}.labels`, map each label to a one-line definition.",
                node_line(node, ("layers", layer_name)),
            )
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise _fail(source, "the schema has no `name`.", "Add `name: <corpus-name>` at the top.")
    from dataset_builder.schema_file import SchemaFile  # pydantic: only when a schema is read

    parsed = validate_yaml(SchemaFile, data, node, path=Path(source), code="schema-invalid", fixes=_FIXES)
    layers = tuple(
        LayerSpec(
            name=str(layer_name),
            labels=tuple(LabelSpec(str(k), str(v or "").strip()) for k, v in spec.labels.items()),
            description=(spec.description or "").strip(),
            nesting=spec.nesting,
            overlap=spec.overlap,
            levels=spec.levels,
            tag_column=spec.tag_column,
        )
        for layer_name, spec in parsed.layers.items()
    )
    layer_names = {layer.name for layer in layers}
    links = []
    for link_name, link in (parsed.links or {}).items():
        for key, end in (("from", link.source), ("to", link.target)):
            if end.layer not in layer_names:
                raise _fail(
                    source,
                    f"link {link_name!r}: `{key}.layer` is {end.layer!r}, not a declared layer.",
                    f"Use one of: {', '.join(sorted(layer_names))}.",
                    node_line(node, ("links", link_name, key, "layer")),
                )
        links.append(LinkSpec(str(link_name), LinkEnd(link.source.layer, tuple(link.source.labels or ())),
                              LinkEnd(link.target.layer, tuple(link.target.labels or ())),
                              (link.description or "").strip()))
    return Schema(parsed.name, layers, tuple(links), (parsed.description or "").strip())


def load_schema(path: str | Path) -> Schema:
    """Read and check a schema YAML file (errors name the file and the line, and say how to fix it)."""
    path = Path(path)
    data, node = load_yaml(path, "schema-invalid", "schema")
    return schema_from_dict(data, str(path), node)
