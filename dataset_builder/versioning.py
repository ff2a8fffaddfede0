"""Semantic versions of a dataset: which change needs which bump, enforced when a build names its
previous version.

A dataset version is ``MAJOR.MINOR.PATCH``. What a change between two versions requires
(:data:`RULES`; the reasoning is in ``docs/versioning.md``):

========  ===============================================================================
MAJOR     the schema changed (a layer, label or link type added, removed, redefined or
          reordered); a document's text changed; a document was removed; a document moved to
          another split; a split was added or removed; the projection policy changed
MINOR     documents added; spans or links added to existing documents
PATCH     spans relabelled, moved or removed; links removed or changed; document metadata
          changed; a schema, layer or link description reworded; the builder version, split
          rule, licence or citation changed; or only the rejected records differ
refused   nothing changed: the fingerprint equals the previous version's
========  ===============================================================================

A larger bump than required is always allowed. Versions below 1.0.0 follow the usual 0.y.z
convention (Cargo's): the minor number plays the major's role and the patch number the minor's,
so ``0.3.0 -> 0.4.0`` may break and ``0.3.0 -> 0.3.1`` may add, but not break.

``akhbar build --previous DIR`` (or ``previous:`` in a recipe) runs :func:`check_against_previous`
on the written-but-unpublished version: a refused bump publishes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.problems import InputError, Problem
from dataset_builder.version_names import SEMVER

if TYPE_CHECKING:
    from dataset_builder.diff import DatasetDiff, VersionInfo

__all__ = [
    "RULES",
    "Bump",
    "BumpRequirement",
    "Reason",
    "Rule",
    "Version",
    "VersionBumpError",
    "VersionCheck",
    "check_against_previous",
    "check_bump",
    "check_previous",
    "required_bump",
    "resolve_previous",
]

#: Examples shown per reason in messages.
SHOWN_EXAMPLES = 3


class Bump(IntEnum):
    """Bump levels, ordered: a larger bump satisfies every smaller requirement."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A semantic version ``MAJOR.MINOR.PATCH`` (no pre-release or build suffix)."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = SEMVER.match(str(text))
        if match is None:
            raise InputError(Problem(
                "version-invalid", f"{text!r} is not a semantic version MAJOR.MINOR.PATCH.",
                "Use three non-negative integers without leading zeros, e.g. 1.0.0 or 0.3.2."))
        return cls(*(int(part) for part in match.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def bumped(self, bump: Bump) -> Version:
        """The smallest version above this one that is a ``bump``-level change (0.y.z rules below 1.0.0)."""
        if bump is Bump.NONE:
            return self
        if self.major == 0:
            return Version(0, self.minor + 1, 0) if bump is Bump.MAJOR else Version(0, self.minor, self.patch + 1)
        if bump is Bump.MAJOR:
            return Version(self.major + 1, 0, 0)
        if bump is Bump.MINOR:
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)

    def bump_to(self, other: Version) -> Bump:
        """What level of change ``other`` may carry as a successor of this version.

        ``NONE`` when ``other`` is not greater. Below 1.0.0, a minor increase counts as MAJOR and a
        patch increase as MINOR (it may add but not break).
        """
        if other <= self:
            return Bump.NONE
        if other.major > self.major:
            return Bump.MAJOR
        if other.minor > self.minor:
            return Bump.MAJOR if self.major == 0 else Bump.MINOR
        return Bump.MINOR if self.major == 0 else Bump.PATCH


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of change and the bump it requires.

    ``count`` and ``examples`` read the kind's extent and examples off a :class:`DatasetDiff`.
    """

    key: str
    bump: Bump
    change: str
    unit: str
    count: Callable[[DatasetDiff], int]
    examples: Callable[[DatasetDiff], list[str]]


def _shown(kind: str) -> Callable[[DatasetDiff], list[str]]:
    return lambda d: [f"`{doc_id}`: {text}" for doc_id, text in d.examples.get(kind, [])]


def _schema_changes(d: DatasetDiff, *, prose: bool) -> list[Any]:
    return [c for c in d.schema if (c.kind == "described") == prose]


def _settings(d: DatasetDiff, keys: Sequence[str], *, inside: bool) -> list[Any]:
    return [s for s in d.settings if (s.key in keys) == inside]


_MAJOR_SETTINGS = ("projection_policy", "splits")

#: Every kind of change, with the bump it requires; :func:`required_bump` applies them in order.
RULES: tuple[Rule, ...] = (
    Rule("schema", Bump.MAJOR, "schema changed (a layer, label or link type added, removed, redefined or "
         "reordered)", "change", lambda d: len(_schema_changes(d, prose=False)),
         lambda d: [c.describe() for c in _schema_changes(d, prose=False)]),
    Rule("text", Bump.MAJOR, "document text changed", "document", lambda d: len(d.text_changed), _shown("text")),
    Rule("document removed", Bump.MAJOR, "document removed", "document", lambda d: len(d.documents_removed),
         _shown("document removed")),
    Rule("split", Bump.MAJOR, "document moved to another split", "document", lambda d: len(d.split_changed),
         _shown("split")),
    Rule("splits", Bump.MAJOR, "split added or removed", "change",
         lambda d: len([s for s in d.settings if s.key == "splits"]),
         lambda d: [s.describe() for s in d.settings if s.key == "splits"]),
    Rule("projection policy", Bump.MAJOR, "projection policy changed", "change",
         lambda d: len([s for s in d.settings if s.key == "projection_policy"]),
         lambda d: [s.describe() for s in d.settings if s.key == "projection_policy"]),
    Rule("document added", Bump.MINOR, "document added", "document", lambda d: len(d.documents_added),
         _shown("document added")),
    Rule("span added", Bump.MINOR, "span added to an existing document", "span", lambda d: d.span_count("added"),
         _shown("span added")),
    Rule("link added", Bump.MINOR, "link added to an existing document", "link", lambda d: d.link_count("added"),
         _shown("link added")),
    Rule("span relabelled", Bump.PATCH, "span relabelled", "span", lambda d: d.span_count("relabelled"),
         _shown("span relabelled")),
    Rule("span moved", Bump.PATCH, "span boundary moved", "span", lambda d: d.span_count("moved"),
         _shown("span moved")),
    Rule("span removed", Bump.PATCH, "span removed", "span", lambda d: d.span_count("removed"),
         _shown("span removed")),
    Rule("link removed", Bump.PATCH, "link removed", "link", lambda d: d.link_count("removed"),
         _shown("link removed")),
    Rule("link changed", Bump.PATCH, "link changed (type, source or target)", "link",
         lambda d: d.link_count("changed"), _shown("link changed")),
    Rule("metadata", Bump.PATCH, "document metadata changed", "document", lambda d: len(d.metadata_changed),
         _shown("metadata")),
    Rule("schema prose", Bump.PATCH, "schema, layer or link description reworded", "change",
         lambda d: len(_schema_changes(d, prose=True)),
         lambda d: [c.describe() for c in _schema_changes(d, prose=True)]),
    Rule("settings", Bump.PATCH, "builder version, split rule, licence or citation changed", "change",
         lambda d: len(_settings(d, _MAJOR_SETTINGS, inside=False)),
         lambda d: [s.describe() for s in _settings(d, _MAJOR_SETTINGS, inside=False)]),
)
#: When the fingerprints differ but no rule above applies (e.g. only rejected records changed).
OTHER_CHANGE = "fingerprint changed, published rows did not (rejected records or unreadable input changed)"


@dataclass(frozen=True, slots=True)
class Reason:
    """One kind of change found in a diff, the bump it requires, and a few examples."""

    key: str
    bump: Bump
    change: str
    count: int
    unit: str
    examples: tuple[str, ...] = ()

    def describe(self, shown: int = SHOWN_EXAMPLES) -> str:
        unit = self.unit if self.count == 1 else self.unit + "s"
        text = f"{self.change} ({self.bump}; {self.count:,} {unit}"
        if self.examples[:shown]:
            text += "; e.g. " + "; ".join(self.examples[:shown])
        return text + ")"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "bump": str(self.bump), "change": self.change, "count": self.count,
                "examples": list(self.examples)}


@dataclass(frozen=True, slots=True)
class BumpRequirement:
    """The bump a diff requires (the largest of its reasons) and every reason found, largest first.

    ``bump`` is ``NONE`` when nothing changed, and for a first version (nothing to compare with).
    """

    bump: Bump
    reasons: tuple[Reason, ...] = ()
    first_version: bool = False

    def summary(self, old_version: str | None, new_version: str) -> str:
        """One sentence, e.g. ``Required bump: MINOR (document added); 1.1.0 is a MINOR bump.``"""
        if self.first_version or old_version is None:
            return "First version: no bump to check."
        if self.bump is Bump.NONE:
            return "Nothing changed."
        leading = [r.change for r in self.reasons if r.bump == self.bump]
        actual = Version.parse(old_version).bump_to(Version.parse(new_version))
        verdict = "not greater" if actual is Bump.NONE else f"a {actual} bump"
        check = "ok" if actual >= self.bump else "too small"
        return f"Required bump: {self.bump} ({'; '.join(leading)}); {new_version} is {verdict}: {check}."

    def to_markdown(self, old_version: str | None, new_version: str) -> list[str]:
        lines = [f"**{self.summary(old_version, new_version)}**"]
        if self.reasons:
            lines.append("")
            lines += [f"- {reason.describe()}" for reason in self.reasons]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"bump": str(self.bump), "first_version": self.first_version,
                "reasons": [reason.to_dict() for reason in self.reasons]}


def required_bump(d: DatasetDiff) -> BumpRequirement:
    """The smallest bump the changes in ``d`` require, with the reason for every kind of change.

    Parameters
    ----------
    d : DatasetDiff
        From :func:`dataset_builder.diff.diff`.

    Returns
    -------
    BumpRequirement
        ``bump`` is the largest bump over :data:`RULES` that apply; ``NONE`` when the fingerprints
        are equal (nothing changed) or for a first version. A diff with different fingerprints but
        no change any rule names still requires a PATCH (the rejected records differ).
    """
    if d.old is None:
        return BumpRequirement(Bump.NONE, first_version=True)
    if d.fingerprint_equal:
        return BumpRequirement(Bump.NONE)
    reasons = []
    for rule in RULES:
        count = rule.count(d)
        if count:
            reasons.append(Reason(rule.key, rule.bump, rule.change, count, rule.unit, tuple(rule.examples(d))))
    if not reasons:
        reasons.append(Reason("other", Bump.PATCH, OTHER_CHANGE, 1, "change"))
    reasons.sort(key=lambda r: -r.bump)
    return BumpRequirement(max(r.bump for r in reasons), tuple(reasons))


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


class VersionBumpError(InputError):
    """The new version number does not fit the changes since the previous version (CLI exit code 3)."""


@dataclass(frozen=True, slots=True)
class VersionCheck:
    """The outcome of checking a version against its predecessor (recorded in ``build-report.json``)."""

    previous: str
    previous_fingerprint: str
    version: str
    fingerprint: str
    required: BumpRequirement
    bump: Bump

    @property
    def ok(self) -> bool:
        return self.required.bump is not Bump.NONE and self.bump >= self.required.bump

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.previous, "fingerprint": self.previous_fingerprint,
                "required_bump": str(self.required.bump), "bump": str(self.bump),
                "reasons": [reason.to_dict() for reason in self.required.reasons]}


def _zero_note(previous: Version) -> str:
    if previous.major != 0:
        return ""
    return " (below 1.0.0 a minor increase counts as MAJOR and a patch increase as MINOR)"


def check_bump(d: DatasetDiff, *, path: str | None = None) -> VersionCheck:
    """Check that ``d.new``'s version number is a large enough bump from ``d.old``'s.

    Parameters
    ----------
    d : DatasetDiff
        A diff between two versions of one dataset (``d.old`` must not be None).
    path : str, optional
        Where to point error messages (default: the new version directory).

    Returns
    -------
    VersionCheck
        When the bump is at least the required one.

    Raises
    ------
    VersionBumpError
        ``version-other-dataset`` (the names differ), ``version-not-greater``,
        ``version-unchanged`` (nothing changed: the fingerprints are equal) or
        ``version-bump-too-small`` (the message names each change that needs more, with examples).
    """
    if d.old is None:
        raise ValueError("check_bump needs a previous version (d.old is None)")
    old, new = d.old, d.new
    where = path or new.path
    _check_identity(old, name=new.name, version=new.version, path=where)
    requirement = required_bump(d)
    previous, current = Version.parse(old.version), Version.parse(new.version)
    if requirement.bump is Bump.NONE:
        raise VersionBumpError(Problem(
            "version-unchanged",
            f"nothing changed: the fingerprint equals {old.version} ({old.fingerprint[:16]}…); "
            f"{new.version} would publish the same data again.",
            f"Do not publish a new version: {old.version} already holds exactly this data. Change the data "
            "or the build settings first.", path=where))
    actual = previous.bump_to(current)
    if actual < requirement.bump:
        missing = [reason.describe() for reason in requirement.reasons if reason.bump > actual]
        raise VersionBumpError(Problem(
            "version-bump-too-small",
            f"{new.version} is a {actual} bump from {old.version}{_zero_note(previous)}, but the changes need a "
            f"{requirement.bump} bump: " + "; ".join(missing) + ".",
            f"Build it as {previous.bumped(requirement.bump)} (or any later version), or undo the changes that "
            "need the larger bump. The rules are in docs/versioning.md.", path=where))
    return VersionCheck(old.version, old.fingerprint, new.version, new.fingerprint, requirement, actual)


def _check_identity(old: VersionInfo, *, name: str, version: str, path: str | None) -> None:
    if old.name != name:
        raise VersionBumpError(Problem(
            "version-other-dataset",
            f"the previous version {old.path} is of dataset {old.name!r}, not {name!r}.",
            f"Pass a version directory of {name} (OUT/{name}/VERSION).", path=path))
    previous, current = Version.parse(old.version), Version.parse(version)
    if current <= previous:
        raise VersionBumpError(Problem(
            "version-not-greater",
            f"{version} is not greater than the previous version {old.version}.",
            f"Pick a version above {old.version}: {previous.bumped(Bump.PATCH)}, {previous.bumped(Bump.MINOR)} "
            f"or {previous.bumped(Bump.MAJOR)}, as docs/versioning.md requires for the changes.", path=path))


def resolve_previous(previous: str | Path, *, out_dir: str | Path, name: str) -> Path:
    """The previous version's directory: a bare ``MAJOR.MINOR.PATCH`` is ``<out_dir>/<name>/<it>``,
    anything else a path.

    Raises
    ------
    InputError
        ``previous-not-found`` when it is not a built version directory.
    """
    text = str(previous)
    path = Path(out_dir) / name / text if SEMVER.match(text) else Path(previous)
    if not (path / "manifest.json").is_file():
        raise InputError(Problem(
            "previous-not-found", f"the previous version {text!r} is not a built version directory "
            f"(looked for {path / 'manifest.json'}).",
            "Pass the directory of the previous version (OUT/NAME/VERSION), or its bare version number "
            "when it lies in the same output root.", path=str(path)))
    return path


def check_previous(previous_dir: str | Path, *, name: str, version: str) -> VersionInfo:
    """What can be checked before building: the previous version is of the same dataset and older."""
    from dataset_builder.diff import read_version_info

    info = read_version_info(previous_dir)
    _check_identity(info, name=name, version=version, path=str(previous_dir))
    return info


def check_against_previous(previous_dir: str | Path, version_dir: str | Path, *,
                           path: str | None = None) -> VersionCheck:
    """Diff ``version_dir`` against its predecessor ``previous_dir`` and check the bump (see :func:`check_bump`).

    The build's version-check stage (:class:`dataset_builder.pipeline.VersionCheckStage`) calls it on the
    written, unpublished version; ``path`` (where the version will be published) is named in a refusal.
    """
    from dataset_builder.diff import diff

    return check_bump(diff(previous_dir, version_dir), path=path)
