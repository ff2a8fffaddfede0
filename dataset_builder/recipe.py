"""Build recipes: one small YAML file that says how to build a corpus, so a build is one command.

Example (``corpora/sana-sample/recipe.yaml``)::

    name: sana-sample
    version: 1.0.0
    schema: schema.yaml                # relative to the recipe
    inputs: [sana-sample.jsonl]        # files, folders or globs, relative to the recipe
    format: jsonl                      # optional: detected from each input when absent
    reader_options: {}                 # keyword arguments for the reader
    split: {test: 1.0}                 # name: ratio pairs (optional `seed`), {file: splits.tsv},
                                       # {blocks: {train: 0.8, ..., run: 2}} or {by_file: {train.txt: train}}
    label_map: newsfane-to-anercorp    # optional: a label map (dataset_builder/labelmaps name, or a YAML path
                                       # relative to the recipe) applied by the reader after decoding
    audit: {max_leakage: 0.0, action: refuse}  # optional: cross-split duplicate check before publishing
    policy: expand                     # projection policy: expand | split | strict
    limits: {max_line_chars: 100000}   # optional: raise or lower the input limits (InputLimits fields)
    licence: CC BY-SA 4.0
    citation: "..."
    description: "..."
    previous: ../../out/sana-sample/1.0.0  # optional: the previous version (a directory relative to the
                                       # recipe, or a bare version under the build's OUT/NAME/); the
                                       # build refuses a version number that does not fit the changes
    engine: {engine: local, jobs: 2, shard_bytes: 67108864}  # optional: where the build's tasks run
                                       # (local | ray, with ray_address: auto); the output does not depend on it

Inputs that live outside the repository (the shared corpora) start with ``${data_dir}/``; they
resolve against the ``--data-dir`` given to ``akhbar build`` (a clear error when it is missing).
Globs (``*``, ``?``, ``[...]``) expand in sorted order and must match at least one path.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dataset_builder.audit import AuditPolicy
from dataset_builder.input_limits import DEFAULT_LIMITS, InputLimits
from dataset_builder.problems import InputError, Location, Problem
from dataset_builder.readers import READERS
from dataset_builder.schema import Schema, load_schema
from dataset_builder.split import SplitRule, split_rule_from_dict
from dataset_builder.strict_yaml import load_yaml, node_line, validate_yaml
from dataset_builder.version_names import check_name, check_version

__all__ = ["DATA_DIR_PREFIX", "Recipe", "load_recipe"]

DATA_DIR_PREFIX = "${data_dir}/"


@dataclass(frozen=True, slots=True)
class Recipe:
    """A parsed recipe with every path resolved (see the module docstring for the YAML keys)."""

    path: Path
    name: str
    version: str
    schema: Schema
    schema_path: Path
    inputs: tuple[Path, ...]
    split: SplitRule
    format: str | None = None
    reader_options: Mapping[str, Any] = field(default_factory=dict)
    policy: str = "expand"
    licence: str | None = None
    citation: str | None = None
    description: str | None = None
    label_map: str | None = None
    audit: AuditPolicy | None = None
    #: A bare ``MAJOR.MINOR.PATCH`` (looked up under the build's ``<out>/<name>/``) or a resolved path.
    previous: str | None = None
    #: The recipe's ``engine:`` settings (BuildConfig field -> value): engine, jobs, ray_address, shard_bytes.
    engine: Mapping[str, Any] = field(default_factory=dict)
    limits: InputLimits = DEFAULT_LIMITS

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def _error(path: Path, message: str, fix: str) -> InputError:
    return InputError(Problem("recipe-invalid", message, fix, path=str(path)))


def _resolve_inputs(recipe_path: Path, entries: list[Any], data_dir: Path | None) -> tuple[Path, ...]:
    resolved: list[Path] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry:
            raise _error(recipe_path, f"`inputs` entry {entry!r} is not a path.", "List paths as strings.")
        if entry.startswith(DATA_DIR_PREFIX):
            if data_dir is None:
                raise _error(
                    recipe_path, f"input {entry!r} lives in the data directory, but none was given.",
                    "Pass --data-dir DIR (the folder that holds the corpora), e.g. --data-dir ../shared/corpora.",
                )
            candidate = data_dir / entry[len(DATA_DIR_PREFIX):]
        else:
            candidate = recipe_path.parent / entry
        if glob.has_magic(str(candidate)):
            matches = sorted(Path(p) for p in glob.glob(str(candidate)))
            if not matches:
                raise _error(recipe_path, f"input pattern {entry!r} matches nothing (looked for {candidate}).",
                             "Fix the pattern, or check --data-dir.")
            resolved.extend(matches)
        else:
            if not candidate.exists():
                raise _error(recipe_path, f"input {entry!r} does not exist (looked for {candidate}).",
                             "Fix the path; paths are relative to the recipe file.")
            resolved.append(candidate)
    return tuple(resolved)


class _EngineKeys(BaseModel):
    """``engine:`` of a recipe: where the build's tasks run (``docs/scaling.md``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    engine: Literal["local", "ray"] | None = None
    jobs: int | None = Field(default=None, ge=1)
    ray_address: str | None = None
    shard_bytes: int | None = Field(default=None, ge=1)


class _LimitsFile(BaseModel):
    """The ``limits:`` mapping: any of :class:`InputLimits`' fields."""

    model_config = ConfigDict(extra="forbid", strict=True)

    max_json_depth: int | None = None
    max_line_chars: int | None = None
    max_token_chars: int | None = None
    max_columns: int | None = None


class _RecipeFile(BaseModel):
    """The keys a recipe may have, with their types (unknown keys and wrong types are refused)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    version: str
    schema_: str = Field(alias="schema")
    inputs: list[str] | str
    format: str | None = None
    reader_options: dict[str, Any] | None = None
    split: dict[str, Any] | str | None = None
    policy: Literal["expand", "split", "strict"] = "expand"
    licence: str | None = None
    citation: str | None = None
    description: str | None = None
    label_map: str | None = None
    audit: dict[str, Any] | None = None
    previous: str | None = None
    engine: _EngineKeys | None = None
    limits: _LimitsFile | None = None


#: How to write each key correctly (shown with the error).
_FIXES = {
    "name": "Write `name: my-news` (letters, digits, '.', '_' and '-').",
    "version": "Write `version: 1.0.0` (quoted if YAML reads it as a number: `version: \"1.0\"` is not one).",
    "schema": "Write `schema: schema.yaml` (a path relative to the recipe).",
    "inputs": "Write `inputs: [file.jsonl, ...]` (paths relative to the recipe, or ${data_dir}/...).",
    "format": f"Use one of: {', '.join(READERS)}, or leave `format` out to detect it from each input.",
    "reader_options": "Write `reader_options: {option: value}`.",
    "split": "Write `split: {train: 0.8, validation: 0.1, test: 0.1}` or `split: {file: splits.tsv}`.",
    "policy": "Use expand, split or strict.",
    "licence": "Write the licence statement as text, e.g. `licence: CC BY-SA 4.0`.",
    "citation": "Write the citation as text (quote it).",
    "description": "Write the description as text (quote it).",
    "label_map": "Write e.g. `label_map: newsfane-to-anercorp` or `label_map: maps/my-map.yaml`.",
    "audit": "Write `audit: {max_leakage: 0.0, action: refuse, threshold: 0.8, level: sentence}`.",
    "limits": "Write e.g. `limits: {max_line_chars: 200000, max_columns: 200}` (fields of InputLimits).",
    "previous": "Write e.g. `previous: 1.0.0` (under the build's output root) or `previous: ../out/my-news/1.0.0`.",
    "engine": "Write e.g. `engine: {engine: local, jobs: 2}` or `engine: {engine: ray, ray_address: auto}` "
              "(keys: engine, jobs, ray_address, shard_bytes).",
}


def _read_recipe(path: Path) -> _RecipeFile:
    data, node = load_yaml(path, "recipe-invalid", "recipe")
    if not isinstance(data, dict):
        raise _error(path, "the recipe must be a mapping.", "Start the file with `name:`.")
    recipe = validate_yaml(_RecipeFile, data, node, path=path, code="recipe-invalid", fixes=_FIXES)
    for key in ("name", "version", "schema_", "inputs"):
        if not getattr(recipe, key):
            shown = key.rstrip("_")
            raise InputError(Problem("recipe-invalid", f"`{shown}` is empty.", _FIXES[shown], path=str(path),
                                     line=node_line(node, (shown,))))
    if recipe.format is not None and recipe.format not in READERS:
        raise InputError(Problem("recipe-invalid", f"unknown `format` {recipe.format!r}.", _FIXES["format"],
                                 path=str(path), line=node_line(node, ("format",))))
    return recipe


def recipe_schema(path: str | Path) -> Schema:
    """The schema a recipe names, without resolving its inputs: for commands that need only the schema
    (``akhbar card``), so a recipe whose inputs live under ``${data_dir}`` works without ``--data-dir``."""
    path = Path(path)
    return load_schema(path.parent / _read_recipe(path).schema_)


def load_recipe(path: str | Path, *, data_dir: str | Path | None = None) -> Recipe:
    """Read and check a recipe YAML file.

    Parameters
    ----------
    path : path
        The recipe file.
    data_dir : path, optional
        Where ``${data_dir}/...`` inputs are looked up.

    Raises
    ------
    InputError
        With the recipe path and line, what is wrong and how to fix it (unknown keys and wrong types included).
    """
    path = Path(path)
    data = _read_recipe(path)
    inputs = [data.inputs] if isinstance(data.inputs, str) else data.inputs
    schema_path = path.parent / data.schema_
    reader_options: dict[str, Any] = dict(data.reader_options or {})
    if data.label_map is not None:
        reader_options = {**reader_options, "label_map": _load_label_map(path, data.label_map)}
    previous = data.previous
    if previous is not None and not re.fullmatch(r"\d+\.\d+\.\d+", previous):
        previous = str(path.parent / previous)
    try:
        check_name(data.name)
        check_version(data.version)
        split = split_rule_from_dict(data.split, base=path.parent)
        limits = _limits(path, data.limits)
    except InputError as exc:  # say which file holds the bad value (a split file's own errors keep its path)
        raise InputError(exc.problem.at(Location(str(path)))) from None
    return Recipe(
        path=path,
        name=data.name,
        version=data.version,
        schema=load_schema(schema_path),
        schema_path=schema_path,
        inputs=_resolve_inputs(path, inputs, Path(data_dir) if data_dir is not None else None),
        split=split,
        format=data.format,
        reader_options=reader_options,
        policy=data.policy,
        licence=data.licence,
        citation=data.citation,
        description=data.description,
        label_map=data.label_map,
        audit=None if data.audit is None else _audit_policy(path, data.audit),
        previous=previous,
        engine={} if data.engine is None else data.engine.model_dump(exclude_none=True),
        limits=limits,
    )


def _limits(path: Path, data: _LimitsFile | None) -> InputLimits:
    if data is None:
        return DEFAULT_LIMITS
    try:
        return InputLimits(**{**asdict(DEFAULT_LIMITS), **data.model_dump(exclude_none=True)})
    except ValueError as exc:
        raise _error(path, f"`limits`: {exc}.", _FIXES["limits"]) from None


def _load_label_map(recipe_path: Path, value: Any) -> dict[str, str | None]:
    """The ``label_map:`` of a recipe as a plain dict: a YAML path relative to the recipe, or the name
    of a map shipped in ``dataset_builder/labelmaps`` (one file format and one parser for builds and scoring)."""
    from dataset_builder.labels import LabelMap

    if not isinstance(value, str) or not value:
        raise _error(recipe_path, f"`label_map` must be a map name or a path, not {value!r}.",
                     "Write e.g. `label_map: newsfane-to-anercorp` or `label_map: maps/my-map.yaml`.")
    candidate = recipe_path.parent / value
    try:
        label_map = LabelMap.from_file(candidate) if candidate.is_file() else LabelMap.builtin(value)
    except ValueError as exc:
        raise _error(recipe_path, f"`label_map` {value!r}: {exc}",
                     f"Give the path of a label-map YAML relative to the recipe (looked for {candidate}), "
                     "or the name of a map in dataset_builder/labelmaps.") from None
    return dict(label_map.mapping)


def _audit_policy(recipe_path: Path, data: dict[str, Any]) -> AuditPolicy:
    try:
        return AuditPolicy.from_dict(data)
    except ValueError as exc:
        raise _error(recipe_path, f"`audit`: {exc}",
                     "Write `audit: {max_leakage: 0.0, action: refuse, threshold: 0.8, level: sentence}`.") from None
