"""Split rules: which split (``train``, ``validation``, ``test`` ...) each document goes to.

A rule must be *deterministic per document*: the split of a document depends only on its id
(and the rule), never on the order of the input or on the other documents. Then adding a
document to a corpus never moves another one from ``test`` to ``train``, and a rebuild on
another machine gives the same splits.

Two rules exist:

- :class:`HashSplit` hashes ``seed + "\\0" + doc_id`` with sha256, reads the first 8 bytes as a
  number uniform in ``[0, 1)`` and picks the split whose cumulative ratio interval holds it.
  Ratios are the *expected* shares; on small corpora the realized shares vary (binomially).
- :class:`FileSplit` reads an explicit ``doc_id -> split`` assignment from a JSON or TSV file
  (official splits of published corpora). A document whose id the file does not list is an
  error: :meth:`SplitRule.finish` lists every missing id at the end of the build.

Every rule describes itself (:meth:`SplitRule.describe`) for the build manifest, so that a
dataset always says how it was split. Rules for corpora without article boundaries (for example
contiguous blocks of sentences) can be added as further :class:`SplitRule` subclasses.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.problems import InputError, Problem

__all__ = [
    "DEFAULT_RATIOS",
    "FileSplit",
    "HashSplit",
    "SplitRule",
    "load_split_file",
    "parse_split_spec",
    "split_rule_from_dict",
]

#: Split names must be usable as directory names and as ``datasets`` split names.
_SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")

DEFAULT_RATIOS: tuple[tuple[str, float], ...] = (("train", 0.8), ("validation", 0.1), ("test", 0.1))


class SplitRule(ABC):
    """Assigns each document id to one split name."""

    @property
    @abstractmethod
    def splits(self) -> tuple[str, ...]:
        """Every split this rule can assign, in the order they are written and reported."""

    @abstractmethod
    def assign(self, doc_id: str) -> str:
        """The split of one document."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """A JSON-able description of the rule, recorded in the manifest and the fingerprint."""

    def finish(self) -> list[Problem]:
        """Problems only known once every document was seen (e.g. ids missing from a split file)."""
        return []


def _check_split_name(name: str, source: str) -> str:
    if not _SPLIT_NAME.match(name):
        raise InputError(
            Problem(
                "split-invalid",
                f"{name!r} is not a valid split name.",
                "Use letters, digits and underscores only, e.g. train, validation, test.",
                path=source,
            )
        )
    return name


@dataclass(frozen=True, slots=True)
class HashSplit(SplitRule):
    """Split by a seeded hash of the document id, with given ratios.

    Parameters
    ----------
    ratios : sequence of (split name, ratio)
        Ratios must be >= 0 and sum to 1 (within 1e-6). Order matters: it fixes which hash
        interval each split gets, and the order splits are reported in.
    seed : str, default=""
        Changing the seed reshuffles every document; keep it fixed for a corpus.

    Examples
    --------
    >>> rule = HashSplit((("train", 0.8), ("test", 0.2)))
    >>> rule.assign("doc-1") == rule.assign("doc-1")
    True
    """

    ratios: tuple[tuple[str, float], ...] = DEFAULT_RATIOS
    seed: str = ""
    _bounds: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.ratios:
            raise _spec_error("no splits given.")
        names = [name for name, _ in self.ratios]
        for name in names:
            _check_split_name(name, "<split rule>")
        if len(set(names)) != len(names):
            raise _spec_error(f"a split is named twice in {names}.")
        if any(not math.isfinite(r) or r < 0 for _, r in self.ratios):
            raise _spec_error(f"ratios must be finite and >= 0, got {dict(self.ratios)}.")
        total = sum(r for _, r in self.ratios)
        if abs(total - 1.0) > 1e-6:
            raise _spec_error(f"ratios sum to {total:g}, not 1.")
        bounds, cumulative = [], 0.0
        for _, ratio in self.ratios:
            cumulative += ratio
            bounds.append(cumulative)
        bounds[-1] = 1.0  # a float sum like 0.8+0.1+0.1 may fall short of 1 by an ulp
        object.__setattr__(self, "_bounds", tuple(bounds))

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(name for name, ratio in self.ratios)

    def unit_value(self, doc_id: str) -> float:
        """The document's position in ``[0, 1)``: first 64 bits of sha256(seed NUL id) / 2**64."""
        digest = hashlib.sha256(f"{self.seed}\0{doc_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64

    def assign(self, doc_id: str) -> str:
        value = self.unit_value(doc_id)
        for (name, ratio), bound in zip(self.ratios, self._bounds, strict=True):
            if value < bound and ratio > 0:
                return name
        return next(name for name, ratio in reversed(self.ratios) if ratio > 0)

    def describe(self) -> dict[str, Any]:
        return {
            "rule": "hash",
            "hash": "sha256(seed + NUL + doc_id), first 8 bytes big-endian / 2**64",
            "seed": self.seed,
            "ratios": {name: ratio for name, ratio in self.ratios},
        }


@dataclass(frozen=True, slots=True)
class FileSplit(SplitRule):
    """Split by an explicit assignment ``doc_id -> split`` (see :func:`load_split_file`).

    Ids the assignment does not list are collected while the build runs; :meth:`finish` turns
    them into one error listing them all, so the build fails instead of guessing a split.
    """

    assignment: Mapping[str, str]
    source: str = "<split file>"
    source_sha256: str | None = None
    _missing: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in set(self.assignment.values()):
            _check_split_name(name, self.source)
        if not self.assignment:
            raise InputError(
                Problem(
                    "split-file-invalid", "the split file assigns no document.",
                    "List one `doc_id<TAB>split` per line (TSV) or a JSON object {doc_id: split}.",
                    path=self.source,
                )
            )

    @property
    def splits(self) -> tuple[str, ...]:
        order = {name: i for i, (name, _) in enumerate(DEFAULT_RATIOS)}
        return tuple(sorted(set(self.assignment.values()), key=lambda s: (order.get(s, len(order)), s)))

    def assign(self, doc_id: str) -> str:
        split = self.assignment.get(doc_id)
        if split is None:
            self._missing.append(doc_id)
            return ""
        return split

    def finish(self) -> list[Problem]:
        if not self._missing:
            return []
        shown = ", ".join(self._missing[:50]) + (" ..." if len(self._missing) > 50 else "")
        return [
            Problem(
                "split-file-missing-ids",
                f"{len(self._missing)} document id(s) are not in the split file: {shown}",
                "Add a line `<doc_id><TAB><split>` for each of them to the split file, "
                "or use a hash split (--split train=0.8,validation=0.1,test=0.1).",
                path=self.source,
            )
        ]

    def describe(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for split in self.assignment.values():
            counts[split] = counts.get(split, 0) + 1
        return {
            "rule": "file",
            "file": Path(self.source).name,
            "sha256": self.source_sha256,
            "ids_per_split": {name: counts[name] for name in self.splits},
        }


def _spec_error(message: str) -> InputError:
    return InputError(
        Problem(
            "split-invalid", message,
            "Write the split as name=ratio pairs that sum to 1, e.g. train=0.8,validation=0.1,test=0.1.",
        )
    )


def parse_split_spec(spec: str, *, seed: str = "") -> HashSplit:
    """Parse ``"train=0.8,validation=0.1,test=0.1"`` into a :class:`HashSplit`.

    Examples
    --------
    >>> parse_split_spec("train=0.9,test=0.1").splits
    ('train', 'test')
    """
    ratios: list[tuple[str, float]] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise _spec_error(f"{part!r} in split {spec!r} has no '='.")
        try:
            ratios.append((name.strip(), float(value)))
        except ValueError:
            raise _spec_error(f"{value.strip()!r} in split {spec!r} is not a number.") from None
    return HashSplit(tuple(ratios), seed=seed)


def load_split_file(path: str | Path) -> FileSplit:
    """Read an explicit split assignment.

    Accepted shapes:

    - JSON object ``{"doc_id": "split", ...}``;
    - JSON object ``{"split": ["doc_id", ...], ...}`` (official split lists);
    - TSV (any other suffix): one ``doc_id<TAB>split`` per line; blank lines and lines starting
      with ``#`` are skipped.

    An id assigned to two different splits is an error naming both lines.
    """
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            Problem("split-file-invalid", f"cannot read the split file: {exc.strerror}.",
                    "Pass an existing JSON or TSV split file.", path=source)
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8-sig")
    assignment: dict[str, str] = {}
    where: dict[str, str] = {}

    def put(doc_id: str, split: str, at: str, line: int | None) -> None:
        if doc_id in assignment and assignment[doc_id] != split:
            raise InputError(
                Problem(
                    "split-file-conflict",
                    f"document {doc_id!r} is assigned to {assignment[doc_id]!r} ({where[doc_id]}) "
                    f"and to {split!r} ({at}).",
                    "Assign every document to exactly one split.",
                    path=source, line=line,
                )
            )
        assignment[doc_id], where[doc_id] = split, at

    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                Problem("split-file-invalid", f"not valid JSON: {exc.msg}.", "Fix the JSON syntax.",
                        path=source, line=exc.lineno)
            ) from None
        if not isinstance(data, dict):
            raise InputError(
                Problem("split-file-invalid", "the JSON split file is not an object.",
                        'Write {"doc_id": "split", ...} or {"split": ["doc_id", ...]}.', path=source)
            )
        for key, value in data.items():
            if isinstance(value, str):
                put(str(key), value, f"key {key!r}", None)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                for doc_id in value:
                    put(doc_id, str(key), f"list {key!r}", None)
            else:
                raise InputError(
                    Problem("split-file-invalid", f"the value of {key!r} is neither a split name nor a list of ids.",
                            'Write {"doc_id": "split", ...} or {"split": ["doc_id", ...]}.', path=source)
                )
    else:
        for line_no, row in enumerate(csv.reader(text.splitlines(), delimiter="\t"), start=1):
            if not row or not "".join(row).strip() or row[0].startswith("#"):
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise InputError(
                    Problem("split-file-invalid", f"expected 2 tab-separated fields, found {len(row)}: {row!r}.",
                            "Write one `doc_id<TAB>split` per line.", path=source, line=line_no)
                )
            put(row[0].strip(), row[1].strip(), f"line {line_no}", line_no)
    return FileSplit(assignment, source=source, source_sha256=digest)


def split_rule_from_dict(data: Mapping[str, Any] | str | None, *, base: Path | None = None) -> SplitRule:
    """A split rule from a recipe's ``split:`` value.

    ``None`` -> the default hash split; a string -> :func:`parse_split_spec`; a mapping of
    ``name: ratio`` -> hash split (``seed`` key optional); ``{file: path}`` -> :func:`load_split_file`
    with the path relative to ``base``.
    """
    if data is None:
        return HashSplit()
    if isinstance(data, str):
        return parse_split_spec(data)
    if "file" in data:
        file_path = Path(str(data["file"]))
        return load_split_file(file_path if base is None or file_path.is_absolute() else base / file_path)
    seed = str(data.get("seed", ""))
    ratios: Sequence[tuple[str, float]] = tuple(
        (str(k), float(v)) for k, v in data.items() if k not in {"seed", "rule"}
    )
    return HashSplit(tuple(ratios), seed=seed)
