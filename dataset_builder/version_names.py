"""Dataset names and version numbers: the checks every module that names a version shares.

A module of its own (importing nothing of the project but ``problems``) so that the pipeline,
the recipe, ``versioning`` and ``diff`` can all use it without importing each other.
"""

from __future__ import annotations

import re

from dataset_builder.problems import InputError, Problem

__all__ = [
    "MAX_NAME_LENGTH", "SEMVER", "VersionExistsError", "check_name", "check_split_name", "check_version", "next_patch",
]

# Checked with fullmatch: `$` would also accept a trailing newline ("1.0.0\n" as a folder name).
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
#: A dataset name becomes a folder name and part of a Hub repository id, which allows 96 characters.
MAX_NAME_LENGTH = 96
_NAME = re.compile(r"\w[\w.-]*")
#: Split and config names must be usable as folder names and as ``datasets`` split names.
_SPLIT_NAME = re.compile(r"\w+(\.\w+)*")


class VersionExistsError(InputError):
    """The version directory already exists and ``force`` was not given (CLI exit code 3)."""


def check_version(version: str) -> str:
    """Return ``version`` if it is a semantic version ``MAJOR.MINOR.PATCH``, else raise InputError."""
    if not isinstance(version, str) or not SEMVER.fullmatch(version):
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
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(Problem("name-invalid", f"{name!r} cannot be a dataset name (used as a folder name).",
                                 "Use letters, digits, '.', '_' and '-', e.g. sana-sample."))
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(Problem("name-too-long", f"the dataset name is {len(name)} characters long; at most "
                                 f"{MAX_NAME_LENGTH} fit a folder name and a Hub repository id.",
                                 f"Choose a shorter name, e.g. {name[:24]!r}."))
    return name


def check_split_name(name: str, source: str | None = None) -> str:
    """Return ``name`` if it can name a split (or a config): a folder name and a ``datasets`` split name.

    Names read from disk (a version's ``dataset_dict.json``, its manifest's configs) go through the
    same check as names from the command line, so a crafted version cannot point a path elsewhere.
    """
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not _SPLIT_NAME.fullmatch(name):
        raise InputError(
            Problem(
                "split-invalid",
                f"{name!r} is not a valid split name.",
                "Use letters, digits and underscores only, e.g. train, validation, test.",
                path=source,
            )
        )
    return name
