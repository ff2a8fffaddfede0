"""Dataset names and version numbers: the checks every module that names a version shares.

A module of its own (importing nothing of the project but ``problems``) so that the pipeline,
the recipe, ``versioning`` and ``diff`` can all use it without importing each other.
"""

from __future__ import annotations

import re

from dataset_builder.problems import InputError, Problem

__all__ = ["SEMVER", "VersionExistsError", "check_name", "check_version", "next_patch"]

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class VersionExistsError(InputError):
    """The version directory already exists and ``force`` was not given (CLI exit code 3)."""


def check_version(version: str) -> str:
    """Return ``version`` if it is a semantic version ``MAJOR.MINOR.PATCH``, else raise InputError."""
    if not SEMVER.match(version):
        raise InputError(
            Problem(
                "version-invalid",
                f"{version!r} is not a semantic version MAJOR.MINOR.PATCH.",
                "Use three non-negative integers without leading zeros, e.g. 1.0.0 or 0.3.2.",
            )
        )
    return version


def next_patch(version: str) -> str:
    """The next patch release: ``1.2.3`` -> ``1.2.4`` (pre-release and build tags dropped)."""
    major, minor, patch = (int(part) for part in version.split("-")[0].split("+")[0].split("."))
    return f"{major}.{minor}.{patch + 1}"


def check_name(name: str) -> str:
    """Return ``name`` if it can be a dataset name (it becomes a folder name), else raise InputError."""
    if not re.match(r"^[\w][\w.-]*$", name):
        raise InputError(Problem("name-invalid", f"{name!r} cannot be a dataset name (used as a folder name).",
                                 "Use letters, digits, '.', '_' and '-', e.g. sana-sample."))
    return name
