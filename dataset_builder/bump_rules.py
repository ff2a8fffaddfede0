"""Which change between two versions of a dataset needs which semantic-version bump: :data:`RULES` and
:func:`required_bump` (the table and the reasoning are in :mod:`dataset_builder.versioning` and
``docs/versioning.md``).

A module of its own that reads a :class:`~dataset_builder.diff.DatasetDiff` without importing
``diff``, so that ``diff`` (which names the required bump in its summaries) and ``versioning``
(which diffs a build against its previous version) both import it and not each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from dataset_builder.problems import InputError, Problem
from dataset_builder.version_names import SEMVER

if TYPE_CHECKING:
    from dataset_builder.diff import DatasetDiff

__all__ = ["RULES", "SHOWN_EXAMPLES", "Bump", "BumpRequirement", "Reason", "Rule", "Version", "required_bump"]

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
        match = SEMVER.fullmatch(str(text))
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
