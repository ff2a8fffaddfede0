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

- :class:`BlockSplit` is for corpora without article boundaries that a reader cuts into numbered
  blocks of consecutive sentences (``<prefix>-00001``, ``<prefix>-00002``, ... in file order, as
  the CoNLL reader does). Whole blocks go to splits by their *order*, in runs of consecutive
  blocks, so that neighbouring sentences -- usually of the same article -- stay in one split.
- :class:`ByFileSplit` keeps a corpus' own split files (``train.txt`` -> train, ...): a document
  belongs to the input file whose stem starts its id (``train-00042`` comes from ``train.txt``).

Every rule describes itself (:meth:`SplitRule.describe`) for the build manifest, so that a
dataset always says how it was split.
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
from fractions import Fraction
from pathlib import Path
from typing import Any

from dataset_builder.problems import InputError, Problem
from dataset_builder.version_names import check_split_name

__all__ = [
    "DEFAULT_RATIOS",
    "BlockSplit",
    "ByFileSplit",
    "FileSplit",
    "HashSplit",
    "SplitRule",
    "load_split_file",
    "parse_split_spec",
    "split_rule_from_dict",
]


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
            check_split_name(name, "<split rule>")
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
            check_split_name(name, self.source)
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
        is_json = bool(self.source and self.source.lower().endswith(".json"))
        add = ('`"<doc_id>": "<split>"` for each of them to the split file\'s JSON object' if is_json
               else "a line `<doc_id><TAB><split>` for each of them to the split file")
        return [
            Problem(
                "split-file-missing-ids",
                f"{len(self._missing)} document id(s) are not in the split file: {shown}.",
                f"Add {add}, "
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
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            Problem("split-file-invalid", f"the split file is not UTF-8 text (byte {exc.start}: {exc.reason}).",
                    "Save it as UTF-8 (e.g. `iconv -f cp1256 -t utf-8`).", path=source, line=line)
        ) from None
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
    with the path relative to ``base``; ``{blocks: {train: 0.8, ..., run: 2, seed: s}}`` ->
    :class:`BlockSplit`; ``{by_file: {train.txt: train, ...}}`` -> :class:`ByFileSplit`.
    """
    if data is None:
        return HashSplit()
    if isinstance(data, str):
        return parse_split_spec(data)
    if "file" in data:
        file_path = Path(str(data["file"]))
        return load_split_file(file_path if base is None or file_path.is_absolute() else base / file_path)
    if "blocks" in data:
        return _block_split_from_dict(data["blocks"])
    if "by_file" in data:
        files = data["by_file"]
        if not isinstance(files, Mapping) or not files:
            raise InputError(Problem("split-invalid", "`split.by_file` must map input file names to splits.",
                                     "Write `split: {by_file: {train.txt: train, val.txt: validation}}`."))
        return ByFileSplit(tuple((str(k), str(v)) for k, v in files.items()))
    seed = str(data.get("seed", ""))
    ratios: Sequence[tuple[str, float]] = tuple(
        (str(k), float(v)) for k, v in data.items() if k not in {"seed", "rule"}
    )
    return HashSplit(tuple(ratios), seed=seed)


# --------------------------------------------------------------------------------------------
# Contiguous blocks and corpus-given split files
# --------------------------------------------------------------------------------------------

_BLOCK_ID = re.compile(r"^(?P<prefix>.*)-(?P<number>\d+)$")


def _block_split_from_dict(spec: Any) -> BlockSplit:
    if not isinstance(spec, Mapping):
        raise InputError(Problem("split-invalid", "`split.blocks` must be a mapping of split ratios.",
                                 "Write `split: {blocks: {train: 0.8, validation: 0.1, test: 0.1, run: 2}}`."))
    try:
        run = int(spec.get("run", 1))
        ratios = tuple((str(k), float(v)) for k, v in spec.items() if k not in {"run", "seed"})
    except (TypeError, ValueError):
        raise InputError(Problem("split-invalid", f"`split.blocks` has a value that is not a number: {dict(spec)}.",
                                 "Ratios and `run` are numbers, e.g. {train: 0.8, test: 0.2, run: 2}.")) from None
    return BlockSplit(ratios, run=run, seed=str(spec.get("seed", "")))


@dataclass(frozen=True, slots=True)
class BlockSplit(SplitRule):
    """Assign numbered blocks of consecutive sentences to splits by their order, in runs.

    A reader that has no article boundaries cuts the corpus into blocks of N sentences with ids
    ``<prefix>-<number>`` (number 1, 2, ... in file order). Blocks are grouped into *runs* of
    ``run`` consecutive blocks, and runs into *cycles* of ``cycle`` runs, where ``cycle`` is the
    smallest whole number that turns every ratio into a whole number of runs (0.8/0.1/0.1 -> 10:
    8 train runs, 1 validation run, 1 test run). Which run of a cycle goes to which split is a
    seeded permutation of those slots, drawn anew for every cycle.

    So the realized shares equal the ratios exactly in every complete cycle; every stretch of the
    corpus (and so every period or topic it drifts through) contributes to every split; and a
    split is a set of contiguous stretches of ``run x N`` sentences, never sentences drawn one
    by one -- which would put sentences of one article on both sides. Text can still leak at the
    few run boundaries that cut an article; ``akhbar audit`` measures it.

    The split of a block depends only on its id (prefix and number), the ratios, ``run`` and
    ``seed``: appending blocks to a corpus never moves an existing one.

    Parameters
    ----------
    ratios : sequence of (split name, ratio)
        Ratios >= 0 summing to 1; each must be a fraction with a denominator of at most 100.
    run : int, default=1
        Consecutive blocks per run.
    seed : str, default=""
        Seeds the permutation of each cycle.

    Examples
    --------
    >>> rule = BlockSplit((("train", 0.5), ("test", 0.5)), run=2)
    >>> [rule.assign(f"news-{n:05d}") for n in (1, 2)]  # one run: the same split
    ['train', 'train']
    """

    ratios: tuple[tuple[str, float], ...] = DEFAULT_RATIOS
    run: int = 1
    seed: str = ""
    _slots: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _unnumbered: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        HashSplit(self.ratios)  # the same checks: names, duplicates, finite, sum to 1
        if self.run < 1:
            raise _spec_error(f"`run` must be a positive number of blocks, not {self.run}.")
        fractions = {name: Fraction(ratio).limit_denominator(100) for name, ratio in self.ratios}
        for name, ratio in self.ratios:
            if abs(float(fractions[name]) - ratio) > 1e-9:
                raise _spec_error(f"ratio {ratio} of {name!r} is not a fraction with a denominator <= 100.")
        cycle = math.lcm(*(f.denominator for f in fractions.values()))
        slots = tuple(name for name, _ in self.ratios for _ in range(int(fractions[name] * cycle)))
        object.__setattr__(self, "_slots", slots)

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(name for name, ratio in self.ratios)

    @property
    def cycle(self) -> int:
        """Runs per cycle."""
        return len(self._slots)

    def _order(self, prefix: str, cycle_index: int) -> list[str]:
        keys = [
            hashlib.sha256(f"{self.seed}\0{prefix}\0{cycle_index}\0{slot}".encode()).digest()
            for slot in range(len(self._slots))
        ]
        order = sorted(range(len(self._slots)), key=keys.__getitem__)
        return [self._slots[i] for i in order]

    def assign(self, doc_id: str) -> str:
        match = _BLOCK_ID.match(doc_id)
        if match is None or int(match["number"]) < 1:
            self._unnumbered.append(doc_id)
            return ""
        run_index = (int(match["number"]) - 1) // self.run
        cycle_index, slot = divmod(run_index, self.cycle)
        return self._order(match["prefix"], cycle_index)[slot]

    def finish(self) -> list[Problem]:
        if not self._unnumbered:
            return []
        shown = ", ".join(self._unnumbered[:20]) + (" ..." if len(self._unnumbered) > 20 else "")
        return [Problem(
            "split-block-id",
            f"{len(self._unnumbered)} document id(s) are not numbered blocks `<prefix>-<number>`: {shown}",
            "Use the block split only with readers that number blocks (the CoNLL reader does); "
            "otherwise use a hash split.",
        )]

    def describe(self) -> dict[str, Any]:
        return {
            "rule": "blocks",
            "unit": "blocks of consecutive sentences, numbered in file order (<prefix>-<number>)",
            "run": self.run,
            "cycle": self.cycle,
            "order": "per cycle, slots sorted by sha256(seed NUL prefix NUL cycle NUL slot)",
            "seed": self.seed,
            "ratios": {name: ratio for name, ratio in self.ratios},
        }


@dataclass(frozen=True, slots=True)
class ByFileSplit(SplitRule):
    """Keep the split files a corpus ships with: ``train.txt`` -> train, ``val.txt`` -> validation.

    A document comes from the file whose name without suffix (its stem) starts the document id
    followed by ``-`` -- the id readers give blocks of a file (``train-00042``; the CoNLL reader's
    default ``doc_id_prefix``). When several stems fit, the longest wins. A document that fits no
    file is an error listed by :meth:`finish`.

    Parameters
    ----------
    files : sequence of (file name, split name)
        File names as in the recipe's inputs (``train.txt``); only their stems are used.
    """

    files: tuple[tuple[str, str], ...]
    _missing: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    _stems: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stems: dict[str, str] = {}
        for file_name, split in self.files:
            check_split_name(split, "<split rule>")
            stem = Path(file_name).stem
            if stem in stems:
                raise _spec_error(f"two files in `by_file` have the same stem {stem!r}.")
            stems[stem] = split
        if not stems:
            raise _spec_error("`by_file` names no file.")
        longest_first = tuple(sorted(stems.items(), key=lambda kv: -len(kv[0])))
        object.__setattr__(self, "_stems", longest_first)

    @property
    def splits(self) -> tuple[str, ...]:
        order = {name: i for i, (name, _) in enumerate(DEFAULT_RATIOS)}
        names = {split for _, split in self.files}
        return tuple(sorted(names, key=lambda s: (order.get(s, len(order)), s)))

    def assign(self, doc_id: str) -> str:
        for stem, split in self._stems:
            if doc_id.startswith(stem + "-"):
                return split
        self._missing.append(doc_id)
        return ""

    def finish(self) -> list[Problem]:
        if not self._missing:
            return []
        shown = ", ".join(self._missing[:20]) + (" ..." if len(self._missing) > 20 else "")
        return [Problem(
            "split-by-file-unknown",
            f"{len(self._missing)} document id(s) do not start with the stem of a file in `by_file` "
            f"({', '.join(stem for stem, _ in self._stems)}): {shown}",
            "List every input file under `split.by_file`, and keep the reader's default document ids "
            "(`<file stem>-<number>`).",
        )]

    def describe(self) -> dict[str, Any]:
        return {"rule": "by_file", "files": {name: split for name, split in self.files},
                "id_rule": "document id starts with '<file stem>-'"}
