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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.bump_rules import (
    RULES,
    Bump,
    BumpRequirement,
    Reason,
    Rule,
    Version,
    required_bump,
)
from dataset_builder.problems import InputError, Problem
from dataset_builder.version_names import SEMVER

if TYPE_CHECKING:
    from dataset_builder.diff import DatasetDiff, VersionInfo

__all__ = [
    "RULES",
    "Bump",
    "BumpRequirement",
    "DiffRequest",
    "Reason",
    "ReleaseDiff",
    "Rule",
    "Version",
    "VersionBumpError",
    "VersionCheck",
    "check_against_previous",
    "check_bump",
    "check_previous",
    "diff_release",
    "required_bump",
    "resolve_previous",
]

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
    from dataset_builder.version_dir import MANIFEST_FILE

    text = str(previous)
    path = Path(out_dir) / name / text if SEMVER.fullmatch(text) else Path(previous)
    if not (path / MANIFEST_FILE).is_file():  # read (and checked) by check_previous
        raise InputError(Problem(
            "previous-not-found", f"the previous version {text!r} is not a built version directory "
            f"(looked for {path / MANIFEST_FILE}).",
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


@dataclass(frozen=True, slots=True)
class DiffRequest:
    """What ``akhbar diff`` was asked: ``versions`` as given (OLD NEW, or NEW alone for a first version),
    examples kept per kind of change, and the changelog to prepend NEW's entry to (with its
    ``YYYY-MM-DD`` date; None: today, or the date of an existing entry for NEW)."""

    versions: tuple[Path, ...]
    examples: int = 5
    changelog: Path | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseDiff:
    """:func:`diff_release`'s result: the diff, the refusal of NEW's version number (None when it fits
    or there is no OLD), and whether the changelog changed (None: no changelog was asked for, or the
    number was refused, so nothing was written)."""

    diff: DatasetDiff
    refusal: Problem | None
    changelog_changed: bool | None


def diff_release(request: DiffRequest) -> ReleaseDiff:
    """Diff two versions (or a first version against nothing), check NEW's version number against the
    changes (:func:`check_bump`), and prepend NEW's Keep a Changelog entry to ``request.changelog``
    when the number fits: what ``akhbar diff`` does.

    Raises
    ------
    InputError
        ``usage``: not one or two versions, a date that is not ``YYYY-MM-DD``, a folder for the
        changelog; and what :func:`dataset_builder.diff.diff` raises for a version it cannot read.
    """
    import re

    from dataset_builder.diff import changelog_entry, diff, prepend_changelog
    from dataset_builder.problems import require_path

    if len(request.versions) not in (1, 2):
        raise InputError(Problem("usage", f"expected OLD NEW (or NEW alone), got {len(request.versions)} paths.",
                                 "Pass two version directories, e.g. out/sana-sample/1.0.0 out/sana-sample/1.1.0."))
    if request.date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", request.date):
        raise InputError(Problem("usage", f"--date {request.date!r} is not YYYY-MM-DD.",
                                 "Write e.g. --date 2026-01-31."))
    if request.changelog is not None:
        require_path(request.changelog, "file", what="changelog (--changelog)", missing_ok=True,
                     fix="Pass the changelog's file, e.g. --changelog CHANGELOG.md (created if missing).")
    versions = request.versions
    old_dir, new_dir = (None, versions[0]) if len(versions) == 1 else (versions[0], versions[1])
    result = diff(old_dir, new_dir, max_examples=request.examples)
    try:
        if result.old is not None:
            check_bump(result)
    except VersionBumpError as exc:
        return ReleaseDiff(result, exc.problem, None)
    if request.changelog is None:
        return ReleaseDiff(result, None, None)
    changed = prepend_changelog(request.changelog, changelog_entry(result, date=request.date),
                                name=result.new.name, keep_date=request.date is None)
    return ReleaseDiff(result, None, changed)
