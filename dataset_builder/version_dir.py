"""One reader of a built version directory (``OUT/NAME/VERSION`` as written by ``akhbar build``).

Layout read here (written by :mod:`dataset_builder.pipeline` and :mod:`dataset_builder.writer`)::

    manifest.json                               name, version, fingerprint, settings, counts, schema
    build-report.json                           read = written + rejected, problems by code
    rejects.jsonl                               one rejected record a line, with its problems
    problems.jsonl                              the warnings and info of the written documents
    README.md, croissant.json                   the card and the Croissant metadata
    <config>/dataset_dict.json                  {"splits": [...]}, in split order
    <config>/<split>/dataset_info.json, state.json, data-*.arrow

:meth:`VersionDir.open` checks the manifest once (a UTF-8 JSON object with ``name``, ``version`` and
``fingerprint``); everything else is read when first asked for, so opening a large version costs one
small file. A missing or damaged part raises :class:`~dataset_builder.problems.InputError` with a
``not-a-version`` problem naming the file and how to fix it, never a traceback.

Example (after ``akhbar build``)::

    version = VersionDir.open("out/sana-sample/1.0.0")
    version.name, version.configs["documents"]      # ('sana-sample', ['test'])
    print(version.summary().to_text())               # what `akhbar inspect` prints
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.problems import InputError, Problem, Severity
from dataset_builder.version_names import check_split_name

if TYPE_CHECKING:  # pragma: no cover - typing only
    from dataset_builder.manifest import Manifest
    from dataset_builder.schema import Schema

__all__ = [
    "BUILD_REPORT_FILE",
    "CARD_FILE",
    "CROISSANT_FILE",
    "MANIFEST_FILE",
    "PROBLEMS_FILE",
    "REJECTS_FILE",
    "RejectSummary",
    "VersionDir",
    "VersionSummary",
    "read_manifest_file",
]

MANIFEST_FILE = "manifest.json"
BUILD_REPORT_FILE = "build-report.json"
REJECTS_FILE = "rejects.jsonl"
PROBLEMS_FILE = "problems.jsonl"
CARD_FILE = "README.md"
CROISSANT_FILE = "croissant.json"
DATASET_DICT_FILE = "dataset_dict.json"

_BUILD_IT = "Pass OUT/NAME/VERSION as written by `akhbar build`."
_REBUILD = "Pass OUT/NAME/VERSION as written by `akhbar build` (rebuild it with --force if it is damaged)."
_REBUILD_VERSION = "Rebuild the version with `akhbar build --force`."
_IDENTITY_KEYS = ("name", "version", "fingerprint")


def read_manifest_file(path: Path, *, required: tuple[str, ...] = _IDENTITY_KEYS) -> dict[str, Any]:
    """Parse one ``manifest.json`` (of a version directory or an export folder): a UTF-8 JSON object.

    Raises
    ------
    InputError
        ``not-a-version`` naming ``path`` (and the line, for bad JSON) when the file is missing, not
        JSON, not an object, or lacks one of ``required`` as a string.
    """
    if not path.is_file():
        raise InputError(Problem("not-a-version", f"no {path.name} here: not a built version directory.",
                                 _BUILD_IT, path=str(path.parent)))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(Problem("not-a-version", f"{path.name} is not valid UTF-8 JSON ({exc}).", _REBUILD,
                                 path=str(path), line=line)) from None
    if not isinstance(manifest, dict):
        raise InputError(Problem("not-a-version", f"{path.name} holds a JSON {type(manifest).__name__}, "
                                 "not the manifest object.", _REBUILD, path=str(path)))
    missing = [key for key in required if not isinstance(manifest.get(key), str)]
    if missing:
        raise InputError(Problem("not-a-version", f"{path.name} has no {', '.join(map(repr, missing))}.",
                                 _REBUILD, path=str(path)))
    return manifest


def _read_json_part(path: Path, root: Path) -> Any:
    """A JSON part of a version other than the manifest; missing or damaged -> ``not-a-version``."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem(
            "not-a-version", f"{path.name} is missing: not a complete built version directory.", _REBUILD,
            path=str(path.parent),
        )) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(Problem("not-a-version", f"{path.relative_to(root).as_posix()} is not valid UTF-8 JSON "
                                 f"({exc}).", _REBUILD_VERSION, path=str(path), line=line)) from None


@dataclass(frozen=True)
class VersionDir:
    """A built version directory, opened once: the manifest checked, the rest read lazily.

    Attributes
    ----------
    path : Path
        The directory.
    manifest_data : mapping
        ``manifest.json`` as written (keys and order kept: cards and diffs render from it).
    """

    path: Path
    manifest_data: Mapping[str, Any] = field(repr=False, compare=False)  # a dict: hash and compare by path

    @classmethod
    def open(cls, path: str | Path) -> VersionDir:
        """Open ``path`` (``OUT/NAME/VERSION``); raises :class:`InputError` (``not-a-version``) when the
        manifest is missing, not a JSON object, or lacks ``name``, ``version`` or ``fingerprint``."""
        path = Path(path)
        return cls(path, read_manifest_file(path / MANIFEST_FILE))

    # -- identity and manifest ------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.manifest_data["name"]

    @property
    def version(self) -> str:
        return self.manifest_data["version"]

    @property
    def fingerprint(self) -> str:
        return self.manifest_data["fingerprint"]

    @cached_property
    def manifest(self) -> Manifest:
        """The manifest as the typed :class:`~dataset_builder.manifest.Manifest`."""
        from dataset_builder.manifest import Manifest

        return Manifest.from_dict(self.manifest_data)

    @property
    def schema_definition(self) -> dict[str, Any] | None:
        """``Schema.to_dict()`` recorded at build time; ``None`` for versions that did not record it."""
        definition = self.manifest_data.get("schema_definition")
        return definition if isinstance(definition, dict) else None

    def schema(self) -> Schema | None:
        """The schema the version was built with, from the manifest (``None`` when not recorded)."""
        from dataset_builder.schema import schema_from_dict

        definition = self.schema_definition
        return schema_from_dict(definition, MANIFEST_FILE) if definition else None

    # -- files ------------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST_FILE

    @property
    def report_path(self) -> Path:
        return self.path / BUILD_REPORT_FILE

    @property
    def rejects_path(self) -> Path:
        return self.path / REJECTS_FILE

    @property
    def problems_path(self) -> Path:
        return self.path / PROBLEMS_FILE

    @property
    def card_path(self) -> Path:
        return self.path / CARD_FILE

    @property
    def croissant_path(self) -> Path:
        return self.path / CROISSANT_FILE

    @cached_property
    def report(self) -> dict[str, Any]:
        """``build-report.json``, or ``{}`` for a version written without one."""
        return _read_json_part(self.report_path, self.path) if self.report_path.is_file() else {}

    def rejects(self) -> Iterator[dict[str, Any]]:
        """The records of ``rejects.jsonl`` (none when the file is absent), streamed."""
        return self._json_lines(self.rejects_path)

    def problems(self) -> Iterator[Problem]:
        """The problems logged in ``problems.jsonl`` (warnings and info of written documents), streamed."""
        for record in self._json_lines(self.problems_path):
            try:
                yield Problem(**{**record, "severity": Severity(record.get("severity", Severity.ERROR.value))})
            except (TypeError, ValueError) as exc:
                raise InputError(Problem("not-a-version", f"a record of {PROBLEMS_FILE} is not a problem ({exc}).",
                                         _REBUILD_VERSION, path=str(self.problems_path))) from None

    def _json_lines(self, path: Path) -> Iterator[dict[str, Any]]:
        if not path.is_file():
            return
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(Problem("not-a-version", f"{path.name} line {number} is not JSON ({exc.msg}).",
                                             _REBUILD_VERSION, path=str(path), line=number)) from None
                if not isinstance(record, dict):
                    raise InputError(Problem("not-a-version", f"{path.name} line {number} is not a JSON object.",
                                             _REBUILD_VERSION, path=str(path), line=number))
                yield record

    # -- configs and splits -----------------------------------------------------------------------

    @cached_property
    def configs(self) -> dict[str, list[str]]:
        """``{config: [splits]}``: the manifest's configs (or, for older manifests, every
        ``save_to_disk`` folder), each with its splits in the order of its ``dataset_dict.json``."""
        names = list(self.manifest_data.get("configs") or ())
        if not names:
            names = sorted(p.parent.name for p in self.path.glob(f"*/{DATASET_DICT_FILE}"))
        # Config names become paths (here and in an export): checked like names given on the command line.
        return {check_split_name(name, str(self.manifest_path)): self.splits(name) for name in names}

    @property
    def recorded_configs(self) -> dict[str, list[str]]:
        """``{config: [splits]}`` as the manifest records it (older manifests: both configs, every split)."""
        from dataset_builder.features import DOCUMENTS, TOKENS

        recorded = self.manifest_data.get("configs")
        if recorded:
            where = str(self.manifest_path)
            return {check_split_name(config, where): [check_split_name(split, where) for split in splits]
                    for config, splits in recorded.items()}
        splits = list(self.manifest_data.get("splits") or ())
        return {DOCUMENTS: splits, TOKENS: list(splits)}

    def config_infos(self) -> dict[str, dict[str, Any]]:
        """``{config: dataset_info.json of its first split}`` (features, description) for each recorded
        config, its ``splits`` gathered from every split (each split's file knows only its own size)."""
        infos = {}
        for config, splits in self.recorded_configs.items():
            if not splits:
                continue
            info = self.dataset_info(config, splits[0])
            info["splits"] = {split: self.dataset_info(config, split)["splits"][split] for split in splits}
            infos[config] = info
        return infos

    def has_config(self, config: str) -> bool:
        return (self.path / config / DATASET_DICT_FILE).is_file()

    def splits(self, config: str) -> list[str]:
        """The splits of ``config`` from its ``dataset_dict.json``; ``not-a-version`` when it is missing."""
        dict_path = self.path / config / DATASET_DICT_FILE
        if not dict_path.is_file():
            raise InputError(Problem("not-a-version", f"the {config} config is missing ({config}/{DATASET_DICT_FILE}).",
                                     _REBUILD_VERSION, path=str(self.path)))
        data = _read_json_part(dict_path, self.path)
        splits = data.get("splits") if isinstance(data, dict) else None
        if not isinstance(splits, list):
            raise InputError(Problem("not-a-version", f"{config}/{DATASET_DICT_FILE} lists no splits.",
                                     _REBUILD_VERSION, path=str(dict_path)))
        # Split names become paths (here and in an export): checked like names given on the command line.
        return [check_split_name(split, str(dict_path)) for split in splits]

    def config_dir(self, config: str) -> Path:
        """The ``save_to_disk`` folder of ``config`` (checked to exist)."""
        self.splits(config)
        return self.path / config

    def split_dir(self, config: str, split: str) -> Path:
        """The folder of one split; ``not-a-version`` when the config does not list it or it has no data."""
        available = self.splits(config)
        if split not in available:
            raise InputError(Problem("not-a-version", f"split {split!r} is not in the {config} config (it has "
                                     f"{available}).", _REBUILD_VERSION, path=str(self.path)))
        return self.path / config / split

    def data_files(self, config: str, split: str) -> list[Path]:
        """The Arrow files of one split, in the order ``datasets`` recorded them (its ``state.json``);
        ``not-a-version`` when the split folder, its state or a file it lists is missing. An empty
        split may have none."""
        split_dir = self.split_dir(config, split)
        state_path = split_dir / "state.json"
        if not state_path.is_file():
            raise InputError(Problem("not-a-version", f"split {split!r} of the {config} config has no data files "
                                     f"({config}/{split}/state.json is missing).", _REBUILD_VERSION,
                                     path=str(self.path)))
        names = [entry["filename"] for entry in _read_json_part(state_path, self.path)["_data_files"]]
        for name in names:
            if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
                raise InputError(Problem("not-a-version", f"state.json names a data file {name!r} outside its split "
                                         "folder.", _REBUILD_VERSION, path=str(state_path)))
        files = [split_dir / name for name in names]
        for file in files:
            if not file.is_file():
                raise InputError(Problem("not-a-version", f"split {split!r} of the {config} config lacks a data "
                                         f"file ({file.relative_to(self.path).as_posix()}).", _REBUILD_VERSION,
                                         path=str(self.path)))
        return files

    def dataset_info(self, config: str, split: str) -> dict[str, Any]:
        """``<config>/<split>/dataset_info.json`` (features, description, this split's size)."""
        return _read_json_part(self.path / config / split / "dataset_info.json", self.path)

    # -- summary ----------------------------------------------------------------------------------

    def summary(self) -> VersionSummary:
        """What the version holds: identity, settings, counts per split, labels, defects, rejects."""
        manifest, report = self.manifest_data, self.report
        rejects = tuple(
            RejectSummary(record.get("doc_id"), record.get("location"),
                          tuple(sorted({p["code"] for p in record.get("problems", [])})))
            for record in self.rejects()
        )
        return VersionSummary(
            name=self.name, version=self.version, fingerprint=self.fingerprint, schema=manifest.get("schema"),
            split_rule=manifest.get("split_rule"), projection_policy=manifest.get("projection_policy"),
            splits=manifest.get("splits", {}), labels=manifest.get("labels", {}),
            defects=manifest.get("defects", {}), documents=report.get("documents"), spans=report.get("spans"),
            links=report.get("links"), problems=report.get("problems"), rejects=rejects,
        )


@dataclass(frozen=True, slots=True)
class RejectSummary:
    """One line of ``rejects.jsonl``: which record, where it was read, the codes of its problems."""

    doc_id: str | None
    location: str | None
    codes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "location": self.location, "codes": list(self.codes)}


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """:meth:`VersionDir.summary`: what ``akhbar inspect`` prints (text or JSON)."""

    name: str
    version: str
    fingerprint: str
    schema: Mapping[str, Any] | None
    split_rule: Mapping[str, Any] | None
    projection_policy: str | None
    splits: Mapping[str, Mapping[str, Any]]
    labels: Mapping[str, Mapping[str, Mapping[str, int]]]
    defects: Mapping[str, int]
    documents: Mapping[str, int] | None  # read / written / rejected, from the build report
    spans: Mapping[str, int] | None
    links: Mapping[str, int] | None
    problems: Mapping[str, Any] | None
    rejects: tuple[RejectSummary, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "fingerprint": self.fingerprint, "schema": self.schema,
            "split_rule": self.split_rule, "projection_policy": self.projection_policy, "splits": self.splits,
            "labels": self.labels, "defects": self.defects, "documents": self.documents, "spans": self.spans,
            "links": self.links, "problems": self.problems, "rejects": [r.to_dict() for r in self.rejects],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self, *, max_rejects: int = 20) -> str:
        lines = [f"{self.name} {self.version}", f"  fingerprint  {self.fingerprint}"]
        if self.split_rule:
            lines.append(f"  split rule   {json.dumps(self.split_rule, ensure_ascii=False)}")
        if self.documents:
            for what, counts in (("documents", self.documents), ("spans", self.spans), ("links", self.links)):
                counts = counts or {}
                lines.append(f"  {what:<12} read {counts['read']}, written {counts['written']}, "
                             f"rejected {counts['rejected']}")
        lines.append("  splits")
        for split, counts in self.splits.items():
            mentions = ", ".join(f"{layer} {n}" for layer, n in counts.get("mentions", {}).items())
            lines.append(f"    {split:<12} {counts['documents']} documents, {counts['sentences']} sentences, "
                         f"{counts['tokens']} tokens; mentions: {mentions}")
        lines.append("  labels")
        for split, layers in self.labels.items():
            for layer, label_counts in layers.items():
                present = {label: n for label, n in label_counts.items() if n}
                if present:
                    shown = ", ".join(f"{label} {n}" for label, n in sorted(present.items(), key=lambda kv: -kv[1]))
                    lines.append(f"    {split:<12} {layer}: {shown}")
        lines.append("  defects      " + (", ".join(f"{kind} {n}" for kind, n in self.defects.items()) or "none"))
        if self.problems:
            by_severity = self.problems.get("by_severity", {})
            lines.append("  problems     " + ", ".join(f"{sev} {n}" for sev, n in by_severity.items()))
        lines.append(f"  rejects      {len(self.rejects)}")
        for record in self.rejects[:max_rejects]:
            lines.append(f"    {record.doc_id or '?'} ({record.location or 'no location'}): {', '.join(record.codes)}")
        if len(self.rejects) > max_rejects:
            lines.append(f"    ... {len(self.rejects) - max_rejects} more in {REJECTS_FILE}")
        return "\n".join(lines)
