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


def _fail(path: str, message: str, fix: str) -> InputError:
    return InputError(Problem("schema-invalid", message, fix, path=path))


def schema_from_dict(data: dict[str, Any], source: str = "<schema>") -> Schema:
    """Build a :class:`Schema` from its YAML/JSON mapping, with clear errors for bad files."""
    if not isinstance(data, dict):
        raise _fail(source, "the schema must be a mapping at the top level.", "Start the file with `name:`.")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(source, "the schema has no `name`.", "Add `name: <corpus-name>` at the top.")
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, dict) or not raw_layers:
        raise _fail(source, "the schema declares no `layers`.", "Add `layers:` with at least one layer.")
    layers = []
    for layer_name, spec in raw_layers.items():
        spec = spec or {}
        raw_labels = spec.get("labels")
        if not isinstance(raw_labels, dict) or not raw_labels:
            raise _fail(
                source,
                f"layer {layer_name!r} has no labels.",
                f"Under `layers.{layer_name}.labels`, map each label to a one-line definition.",
            )
        labels = tuple(LabelSpec(str(k), str(v or "").strip()) for k, v in raw_labels.items())
        levels = int(spec.get("levels", 1))
        if levels < 1:
            raise _fail(source, f"layer {layer_name!r}: `levels` must be >= 1.", "Set `levels: 1` or more.")
        layers.append(
            LayerSpec(
                name=str(layer_name),
                labels=labels,
                description=str(spec.get("description", "")).strip(),
                nesting=bool(spec.get("nesting", False)),
                overlap=bool(spec.get("overlap", False)),
                levels=levels,
                tag_column=spec.get("tag_column"),
            )
        )
    layer_names = {layer.name for layer in layers}
    links = []
    for link_name, spec in (data.get("links") or {}).items():
        ends = []
        for key in ("from", "to"):
            end = (spec or {}).get(key) or {}
            if end.get("layer") not in layer_names:
                raise _fail(
                    source,
                    f"link {link_name!r}: `{key}.layer` is {end.get('layer')!r}, not a declared layer.",
                    f"Use one of: {', '.join(sorted(layer_names))}.",
                )
            ends.append(LinkEnd(end["layer"], tuple(end.get("labels") or ())))
        links.append(LinkSpec(str(link_name), ends[0], ends[1], str(spec.get("description", "")).strip()))
    return Schema(str(name), tuple(layers), tuple(links), str(data.get("description", "")).strip())


def load_schema(path: str | Path) -> Schema:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(str(path), "the schema file does not exist.", "Pass the path of a schema YAML file.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(
            Problem("schema-invalid", f"not valid YAML: {exc}", "Fix the YAML syntax.", path=str(path), line=line)
        ) from None
    return schema_from_dict(data, str(path))
