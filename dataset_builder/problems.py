"""Problems found in input: what is wrong, where, and how to fix it.

Every stage reports through :class:`Problem` so that ``akhbar validate`` can list them all and
``akhbar build`` can reject documents with a reason. A problem always says *where*
(file and line, or document id and character offset), *what* (a stable ``code`` and a sentence)
and *how to fix it*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Literal


class Severity(StrEnum):
    ERROR = "error"  # the document cannot be written as it is: it is rejected
    WARNING = "warning"  # written, but a human should look
    INFO = "info"  # a recorded decision (e.g. a BIO repair under a named policy)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a record was read from, for error messages: ``path:line``."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    fix: str
    severity: Severity = Severity.ERROR
    path: str | None = None
    line: int | None = None
    doc_id: str | None = None
    offset: int | None = None
    span_id: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        parts: list[str] = []
        if self.path:
            parts.append(self.path if self.line is None else f"{self.path}:{self.line}")
        if self.doc_id is not None:
            parts.append(f"doc {self.doc_id}")
        if self.span_id is not None:
            parts.append(f"span {self.span_id}")
        if self.offset is not None:
            parts.append(f"offset {self.offset}")
        return ", ".join(parts) or "<input>"

    def __str__(self) -> str:
        return f"{self.where()}: {self.severity.value}[{self.code}] {self.message} Fix: {self.fix}"

    def to_dict(self) -> dict[str, object]:
        # Every field is a str, an int or None: read directly, without asdict's deep copy (a build
        # logs one problem per projection note, thousands per corpus).
        d: dict[str, object] = {name: getattr(self, name) for name in _PROBLEM_FIELDS}
        d["severity"] = self.severity.value
        return {k: v for k, v in d.items() if v is not None}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    def at(self, location: Location | None) -> Problem:
        """The same problem, placed at a file location (keeps an existing one)."""
        if location is None or self.path is not None:
            return self
        return Problem(
            self.code, self.message, self.fix, self.severity, location.path, location.line,
            self.doc_id, self.offset, self.span_id,
        )


_PROBLEM_FIELDS = tuple(f.name for f in fields(Problem))


class ExitCode(IntEnum):
    """The exit codes of every ``akhbar`` command: one convention, documented in ``akhbar --help``."""

    OK = 0  # done; warnings allowed
    PROBLEMS = 1  # done, but input had error-level problems (documents rejected, predictions not scored)
    USAGE = 2  # usage or input error: nothing was produced
    REFUSED = 3  # refused on purpose (the version exists, leakage above the limit, a version bump that does not fit)
    #: A bug in akhbar: an exception no command expected. 70 is EX_SOFTWARE of sysexits.h, so CI can tell
    #: a crash from rejected input (1) at a glance; ``--debug`` shows the traceback.
    BUG = 70


class InputError(Exception):
    """Raised when input cannot be read at all (or on the first error under ``--strict``)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def require_path(path: str | Path, kind: Literal["file", "folder"], *, what: str, fix: str,
                 code: str = "usage", missing_ok: bool = False) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it is an existing ``kind``; else an :class:`InputError`
    that says which it is (missing, a folder where a file is expected, or a file where a folder is)
    and how to fix it. Every command checks its path arguments with this one helper. With
    ``missing_ok`` (an output the command creates), a path that does not exist yet is accepted too.

    >>> require_path(".", "file", what="recipe", fix="Pass a recipe.yaml.")
    Traceback (most recent call last):
    ...
    dataset_builder.problems.InputError: .: error[usage] the recipe is a folder, not a file. Fix: Pass a recipe.yaml.
    """
    path = Path(path)
    if not path.exists() and missing_ok:
        return path
    if not path.exists():
        message = f"the {what} does not exist."
    elif kind == "file" and path.is_dir():
        message = f"the {what} is a folder, not a file."
    elif kind == "folder" and not path.is_dir():
        message = f"the {what} is a file, not a folder."
    else:
        return path
    raise InputError(Problem(code, message, fix, path=str(path)))


def environment_problem(exc: OSError) -> Problem:
    """An operating-system failure (full disk, permissions, a file vanishing) as a :class:`Problem`."""
    import errno

    where = exc.filename if exc.filename is not None else None
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Problem("disk-full", f"no space left on the device ({exc.strerror}); nothing was published.",
                       "Free some space or write elsewhere (--out), then run the command again.",
                       path=None if where is None else str(where))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Problem("permission-denied", f"the operating system refused access ({exc.strerror}).",
                       "Check the permissions of the path, or choose another one.",
                       path=None if where is None else str(where))
    return Problem("os-error", f"the operating system reported: {exc.strerror or exc}.",
                   "Check the path and the disk, then run the command again.",
                   path=None if where is None else str(where))
