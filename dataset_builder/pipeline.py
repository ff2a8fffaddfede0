"""The build pipeline: an explicit list of stages, one way, streaming.

:func:`build` is the Python API (one argument, a :class:`~dataset_builder.config.BuildConfig`);
``akhbar build`` is a thin shell over it. :func:`build_stages` makes the stage list from the config:

    read -> validate -> text layer -> split -> write -> manifest -> (audit) -> (version check)
    -> build report -> card

Every stage follows one protocol (:class:`Stage`): ``run(stream, rank=0, world_size=1)`` takes an
iterator and yields one, and the stage keeps its own counters in ``stats``. Documents flow one at a
time (the text layer works on small batches), so memory does not grow with the corpus. The write
stage ends the document stream and yields one :class:`BuildContext` (the written, unpublished
version); the finishing stages take and yield that context.

What happens to a document:

1. **read** -- a reader yields a :class:`~dataset_builder.model.Document` or an
   :class:`~dataset_builder.model.Unreadable` (counted as read, then rejected).
2. **validate** -- reader problems plus :func:`dataset_builder.validate.validate_document`
   and duplicate-id checks. Any error rejects the document into ``rejects.jsonl`` with all its
   problems; warnings and info of documents kept go to ``problems.jsonl`` (``strict=True`` raises
   :class:`InputError` on the first error instead).
3. **text layer** -- tokens, sentences, defects and IOB2 tags per projected layer. Documents
   marked ``metadata.extra["tokenization"] == "given"`` (CoNLL-derived) keep their corpus'
   tokenization exactly: tokens are the maximal runs of characters other than U+0020 and
   ``\\n``, sentences are the lines. Projection notes become warnings/info in ``problems.jsonl``.
4. **split** -- a :class:`~dataset_builder.split.SplitRule` names the split from the id.
5. **write** -- columnar batches into the ``documents`` and ``tokens`` configs.

Then the finishing stages write ``manifest.json``, ``audit.json`` (with an audit policy),
check the version number against the previous version (when one is given), write
``build-report.json`` (``read == written + rejected``, from the stages' counters), and the
dataset card (``README.md``) with ``croissant.json``. ``rejects.jsonl`` and ``problems.jsonl``
are complete when the write stage ends.

Atomicity: everything is written into ``<out>/<name>/.<version>.tmp-<pid>``, fsynced, and
renamed to ``<out>/<name>/<version>`` in one ``os.rename``. An existing version is never
replaced without ``force=True`` (then: old renamed away, new renamed in, old deleted). A build
killed midway leaves only its temporary directory, which the next build removes once its
process is gone; SIGTERM is turned into a clean abort that removes it at once.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import gc
import os
import shutil
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, runtime_checkable

from dataset_builder.atomic_dir import TargetExistsError, recover_interrupted, replace_dir
from dataset_builder.config import POLICIES, BuildConfig
from dataset_builder.features import (
    DOCUMENTS,
    TOKENS,
    DefectRow,
    DocumentBatch,
    SentenceRows,
    TokenBatch,
    canonical_json,
    document_features,
    token_features,
)
from dataset_builder.input_limits import DEFAULT_LIMITS, InputLimits
from dataset_builder.manifest import ContentFingerprint, Manifest, hash_input_files, write_json_file
from dataset_builder.model import Document, Unreadable
from dataset_builder.problems import InputError, Location, Problem, Severity
from dataset_builder.schema import Schema
from dataset_builder.split import HashSplit, SplitRule
from dataset_builder.version_names import VersionExistsError, check_name, check_version, next_patch
from dataset_builder.writer import DatasetDictWriter, fsync_tree

if TYPE_CHECKING:
    from dataset_builder.audit import AuditReport
    from dataset_builder.shard_build import BuildTask
    from dataset_builder.version_dir import VersionSummary

__all__ = [
    "POLICIES",
    "AuditStage",
    "BuildConfig",
    "BuildContext",
    "BuildLog",
    "BuildReport",
    "CardStage",
    "FinishingStage",
    "ManifestStage",
    "ReadStage",
    "ReportStage",
    "SplitStage",
    "Stage",
    "TextLayerStage",
    "ValidateStage",
    "ValidationResult",
    "VersionCheckStage",
    "VersionExistsError",
    "WriteStage",
    "analyse_text",
    "build",
    "build_documents",
    "build_stages",
    "check_name",
    "check_version",
    "document_stages",
    "finishing_stages",
    "read_inputs",
    "run_document_stages",
    "run_stages",
    "validate_inputs",
]

#: Documents are handed to the text layer (and to worker processes) in batches of this size.
TEXT_BATCH = 64
#: A record batch is cut every this many documents of a split (or earlier for very large ones).
#: The buffers of every split are held at once, as Python objects (~60 KB per 300-token
#: document), so this bounds the build's memory: 256 keeps it near 250 MB.
WRITE_BATCH = 256
_WRITE_BATCH_BYTES = 64 * 1024 * 1024


def _builder_version() -> str:
    from dataset_builder import __version__

    return __version__


# --------------------------------------------------------------------------------------------
# Text layer (runs in worker processes when jobs > 1: everything here is plain data)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SpanRef:
    """What projection needs of a span (Span itself carries a mapping that cannot be pickled)."""

    start: int
    end: int
    label: str
    id: str


#: (layer name, spans, levels, tag columns, IOB2 names)
LayerTask = tuple[str, list[SpanRef], int, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class TextTask:
    doc_id: str
    text: str
    given_tokenization: bool
    layers: tuple[LayerTask, ...]
    policy: str


@dataclass(frozen=True, slots=True)
class TextResult:
    rows: SentenceRows
    defects: list[DefectRow]
    #: Every projection note and tokenization finding (warnings and info), with the doc id.
    notes: list[Problem]


def analyse_text(task: TextTask) -> TextResult:
    """Tokens, sentences, defects and IOB2 tag ids of one document.

    Uses ``dataset_builder.text`` (tokenizer, sentence splitter, defect detector, projection).
    Under the ``split`` policy projection may cut tokens at span boundaries; every layer is then
    re-projected on the final tokens so all tag columns describe the same tokens.
    """
    from dataset_builder.readers.conll import given_tokenization
    from dataset_builder.text.defects import detect_defects
    from dataset_builder.text.project import project
    from dataset_builder.text.sentences import sentence_token_ranges, split_sentences
    from dataset_builder.text.tokenize import token_spans

    text = task.text
    notes: list[Problem] = []
    if task.given_tokenization:
        starts, ends, sentence_spans = given_tokenization(text)
    else:
        starts, ends = token_spans(text)
        sentence_spans = [(int(a), int(b)) for a, b in split_sentences(text, starts, ends)]

    defects = [
        (d.start, d.end, d.kind, d.text, d.suggestion, d.message) for d in detect_defects(text, starts, ends)
    ]

    projections: dict[str, Any] = {}
    # Only the "split" policy may change tokens; then every layer is projected again on the final
    # tokens (a second pass changes nothing more: splitting at the same boundaries is idempotent).
    for _ in range(2 if task.policy == "split" else 1):
        changed = False
        for name, spans, levels, _columns, _names in task.layers:
            projection = project(text, starts, ends, spans, policy=task.policy, levels=levels)
            projections[name] = projection
            if task.policy == "split":
                new_starts, new_ends = projection.token_starts, projection.token_ends
                if new_starts != starts or new_ends != ends:
                    starts, ends, changed = new_starts, new_ends, True
        if not changed:
            break
    final_starts, final_ends = starts, ends
    n_tokens = len(starts)
    token_ranges = [(int(lo), int(hi)) for lo, hi in sentence_token_ranges(final_starts, final_ends,
                                                                           sentence_spans)]
    covered = sum(hi - lo for lo, hi in token_ranges)
    if covered != n_tokens:
        notes.append(Problem(
            "tokens-outside-sentences",
            f"{n_tokens - covered} token(s) lie outside every sentence and are not in the tokens config.",
            "Report this as a sentence-splitter bug, with the document id.",
            Severity.WARNING, doc_id=task.doc_id,
        ))

    tags: dict[str, list[int]] = {}
    for name, _spans, _levels, columns, bio_names in task.layers:
        projection = projections[name]
        index = {tag: i for i, tag in enumerate(bio_names)}
        for level, column in enumerate(columns):
            level_tags = projection.tags[level] if level < len(projection.tags) else ["O"] * n_tokens
            tags[column] = list(map(index.__getitem__, level_tags))
        notes.extend(note.to_problem(doc_id=task.doc_id) for note in projection.notes)
    rows = SentenceRows(final_starts, final_ends, sentence_spans, token_ranges, tags)
    return TextResult(rows, defects, notes)


def _text_task(doc: Document, schema: Schema, policy: str) -> TextTask:
    layers: list[LayerTask] = []
    for layer in schema.layers:
        columns = layer.tag_columns()
        if not columns:
            continue
        spans = [SpanRef(s.start, s.end, s.label, s.id) for s in doc.spans if s.layer == layer.name]
        layers.append((layer.name, spans, layer.levels, columns, layer.bio_names))
    given = doc.metadata.extra.get("tokenization") == "given"
    return TextTask(doc.id, doc.text, given, tuple(layers), policy)


def _analyse_batch(tasks: list[TextTask]) -> list[TextResult]:
    return [analyse_text(task) for task in tasks]


# --------------------------------------------------------------------------------------------
# Build report
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    read: int = 0
    written: int = 0
    rejected: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"read": self.read, "written": self.written, "rejected": self.rejected}


@dataclass(slots=True)
class BuildReport:
    """What a build did. ``to_dict()`` is ``build-report.json``; counts reconcile
    (``read == written + rejected`` for documents, spans and links).

    Attributes
    ----------
    version_dir : Path
        Where the version was published.
    exit_code : int
        0 when nothing was rejected, 1 otherwise (the CLI's exit code).
    """

    name: str
    version: str
    version_dir: Path
    fingerprint: str = ""
    documents: _Tally = field(default_factory=_Tally)
    spans: _Tally = field(default_factory=_Tally)
    links: _Tally = field(default_factory=_Tally)
    problems_by_code: Counter[str] = field(default_factory=Counter)
    problems_by_severity: Counter[str] = field(default_factory=Counter)
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    defects: Counter[str] = field(default_factory=Counter)
    rejected_ids: list[str] = field(default_factory=list)
    #: The version check against the previous version, when one was given (VersionCheck.to_dict()).
    previous: dict[str, Any] | None = None
    #: The leakage audit of the build, when the config has an audit policy (also in ``audit.json``).
    audit: AuditReport | None = None
    #: What the manifest of the version says (set when the data is written).
    manifest: Manifest | None = None
    #: One entry per rejected record, as in ``rejects.jsonl``: doc id, location and its problem codes.
    rejects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.documents.rejected else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "documents": self.documents.to_dict(),
            "spans": self.spans.to_dict(),
            "links": self.links.to_dict(),
            "problems": {
                "by_severity": {s.value: self.problems_by_severity.get(s.value, 0) for s in Severity},
                "by_code": dict(sorted(self.problems_by_code.items())),
            },
            "splits": self.splits,
            "defects": dict(sorted(self.defects.items())),
            "rejects": "rejects.jsonl",
            "problem_log": "problems.jsonl",
            **({"previous": self.previous} if self.previous is not None else {}),
        }

    def result_dict(self) -> dict[str, Any]:
        """What ``akhbar build --json`` prints: the summary of :meth:`summary` (the keys of ``akhbar inspect
        --json``), with ``previous`` (the version check, or None) and ``leakage`` (split -> other split ->
        share of sentences, or None without an audit)."""
        leakage = None if self.audit is None else self.audit.leakage()
        return {**self.summary().to_dict(), "previous": self.previous, "leakage": leakage}

    def result_text(self) -> str:
        """What ``akhbar build`` prints: the summary, and the version check and the leakage when asked for."""
        lines = [self.summary().to_text()]
        if self.previous is not None:
            check = self.previous
            lines.append(f"  previous     {check['version']}: {check['required_bump']} bump required, "
                         f"{self.version} is {check['bump']}")
        if self.audit is not None:
            leakage = ", ".join(f"{split} {100 * v:.2f}%" for splits in self.audit.leakage().values()
                                for split, v in splits.items())
            lines.append(f"  leakage      {leakage or 'one split only'} (audit.json)")
        return "\n".join(lines)

    def summary(self) -> VersionSummary:
        """The version at a glance, from what the build just did (what ``akhbar inspect`` reads back
        from a published version; nothing is read from disk here)."""
        from dataset_builder.version_dir import RejectSummary, VersionSummary

        manifest = self.manifest.to_dict() if self.manifest is not None else {}
        report = self.to_dict()
        return VersionSummary(
            name=self.name, version=self.version, fingerprint=self.fingerprint, schema=manifest.get("schema"),
            split_rule=manifest.get("split_rule"), projection_policy=manifest.get("projection_policy"),
            splits=self.splits, labels=self.labels,
            defects=manifest.get("defects", dict(sorted(self.defects.items()))), documents=report["documents"],
            spans=report["spans"], links=report["links"], problems=report["problems"],
            rejects=tuple(RejectSummary(r["doc_id"], r["location"], tuple(r["codes"])) for r in self.rejects),
        )


@dataclass(slots=True)
class BuildContext:
    """The written, unpublished version: what the finishing stages work on (in ``tmp_dir``)."""

    tmp_dir: Path
    schema: Schema
    report: BuildReport
    manifest: Manifest
    config: BuildConfig


# --------------------------------------------------------------------------------------------
# The stage protocol
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Stage(Protocol):
    """One step of a build: takes a stream, yields a stream, counts what it did in ``stats``.

    ``rank`` and ``world_size`` say which shard of the build this run is (``0`` of ``1``: all of it);
    a stage that has nothing to shard ignores them. ``abort()`` releases what the stage holds (files,
    worker processes) when the build fails; it must be safe to call at any time.
    """

    name: str
    stats: Counter[str]

    def run(self, stream: Iterable[Any], rank: int = 0, world_size: int = 1) -> Iterator[Any]: ...

    def abort(self) -> None: ...


class _StageBase:
    name = "stage"

    def __init__(self) -> None:
        self.stats: Counter[str] = Counter()

    def abort(self) -> None:
        """Nothing to release."""


def run_stages(stages: Sequence[Stage], stream: Iterable[Any] = (), rank: int = 0, world_size: int = 1) -> list[Any]:
    """Chain ``stages`` over ``stream`` and drain it; what the last stage yields, as a list.

    On any error every stage is aborted (files closed, workers terminated) before the error goes on.
    """
    try:
        for stage in stages:
            stream = stage.run(stream, rank, world_size)
        return list(stream)
    except BaseException:
        for stage in stages:
            with contextlib.suppress(Exception):
                stage.abort()
        raise


# --------------------------------------------------------------------------------------------
# Problem and reject logs
# --------------------------------------------------------------------------------------------


class BuildLog:
    """Where the stages put problems: ``problems.jsonl`` and ``rejects.jsonl`` of a build (paths relative
    to ``path_base``), or nowhere (``out_dir=None``: a validation keeps them in :attr:`records`)."""

    def __init__(self, out_dir: Path | None, *, path_base: Path | None = None, strict: bool = False) -> None:
        self.path_base, self.strict = path_base, strict
        self._relative_paths: dict[str, str] = {}
        self.by_code: Counter[str] = Counter()
        self.by_severity: Counter[str] = Counter()
        self.rejected_ids: list[str] = []
        #: Doc id, location and problem codes of each reject (what ``rejects.jsonl`` holds, in short).
        self.reject_summaries: list[dict[str, Any]] = []
        #: Without an output directory: every (doc id, problems, rejected) in read order.
        self.records: list[tuple[str | None, list[Problem], bool]] = []
        self._rejects = _JsonlSink(out_dir / "rejects.jsonl") if out_dir is not None else None
        self._problems = _JsonlSink(out_dir / "problems.jsonl") if out_dir is not None else None

    def _count(self, problem: Problem) -> None:
        self.by_code[problem.code] += 1
        self.by_severity[problem.severity.value] += 1

    def _relative(self, path: str | None) -> str | None:
        # Relative to the recipe or input root, whatever the working directory (byte-identical folders);
        # a "path" that names no file (e.g. "<split rule>") is kept as it is.
        if path is None or self.path_base is None:
            return path
        # Every problem of an input file names the same path: look at the file system once per path.
        relative = self._relative_paths.get(path)
        if relative is None:
            relative = self._relative_paths[path] = _relative_to(path, self.path_base)
        return relative

    def _portable(self, problem: Problem) -> Problem:
        relative = self._relative(problem.path)
        return problem if relative == problem.path else dataclasses.replace(problem, path=relative)

    def log(self, problem: Problem) -> None:
        """A problem that does not reject a document (a warning or info, or a build-level note)."""
        self._count(problem)
        if self._problems is not None:
            self._problems.write(self._portable(problem).to_json())

    def accept(self, doc_id: str | None, problems: Sequence[Problem]) -> None:
        """The problems of a document that is kept."""
        if self._problems is None:
            for problem in problems:
                self._count(problem)
            self.records.append((doc_id, list(problems), False))
            return
        for problem in problems:
            self.log(problem)

    def reject(self, location: Location | None, doc_id: str | None, problems: Sequence[Problem]) -> None:
        """A rejected document with all its problems (``strict``: raise the first error instead)."""
        for problem in problems:
            self._count(problem)
        if self.strict:
            first = next((p for p in problems if p.is_error), problems[0])
            raise InputError(first)
        if doc_id is not None:
            self.rejected_ids.append(doc_id)
        if self._rejects is None:
            self.records.append((doc_id, list(problems), True))
            return
        where = None
        if location is not None:
            where = str(Location(self._relative(location.path) or location.path, location.line))
        self.reject_summaries.append({"doc_id": doc_id, "location": where,
                                      "codes": sorted({p.code for p in problems})})
        record = {"doc_id": doc_id, "location": where, "problems": [self._portable(p).to_dict() for p in problems]}
        self._rejects.write(canonical_json(record))

    def close(self) -> None:
        for sink in (self._rejects, self._problems):
            if sink is not None:
                sink.close()

    def abort(self) -> None:
        for sink in (self._rejects, self._problems):
            if sink is not None:
                with contextlib.suppress(Exception):
                    sink._fh.close()


# --------------------------------------------------------------------------------------------
# Document stages
# --------------------------------------------------------------------------------------------


class ReadStage(_StageBase):
    """read: yields the documents handed in, then those of its input files; counts and fingerprints them.

    Stats: ``documents``, ``spans``, ``links`` read. :attr:`fingerprint` covers every record read.
    With ``world_size > 1`` it reads every ``world_size``-th input file, starting at ``rank``.
    """

    name = "read"

    def __init__(self, config: BuildConfig, settings: Mapping[str, Any] | None = None, *,
                 records: BinaryIO | None = None, task: BuildTask | None = None) -> None:
        super().__init__()
        self.config, self.task, self.records = config, task, records
        self.fingerprint = ContentFingerprint(settings or {})

    def _items(self, rank: int, world_size: int) -> Iterable[Document | Unreadable]:
        config, task = self.config, self.task
        if task is None or not task.path:  # every input (after the documents handed in, if any)
            paths = list(config.inputs)[rank::world_size]
            return read_inputs(paths, config.format, config.reader_options, limits=config.limits) if paths else ()
        if task.whole:
            return read_inputs([Path(task.path)], config.format, config.reader_options, limits=config.limits)
        if task.conll is not None:
            from dataset_builder.readers.conll import read_conll_range
            from dataset_builder.shard_build import conll_options

            return read_conll_range(Path(task.path), task.conll, conll_options(config), limits=config.limits)
        from dataset_builder.readers.jsonl import read_jsonl_range

        return read_jsonl_range(Path(task.path), task.start, task.stop, task.first_line, limits=config.limits)

    def run(self, stream: Iterable[Any], rank: int = 0, world_size: int = 1) -> Iterator[Document | Unreadable]:
        config = self.config
        items: Iterable[Document | Unreadable] = chain(stream, self._items(rank, world_size))
        bar = None
        if self.task is None:
            from dataset_builder.progress import progress_bar

            bar = progress_bar(items, desc=f"building {config.name} {config.version}", unit="doc",
                               enabled=config.progress)
            items = bar
        stats, fingerprint, records = self.stats, self.fingerprint, self.records
        record_line = ContentFingerprint.record_line
        try:
            for item in items:
                if records is None:
                    fingerprint.update(item)
                else:  # a task of a sharded build: the merge hashes every task's lines in task order
                    records.write(record_line(item))
                stats["documents"] += 1
                if isinstance(item, Unreadable):
                    stats["spans"] += item.spans_seen
                    stats["links"] += item.links_seen
                else:
                    stats["spans"] += len(item.spans)
                    stats["links"] += len(item.links)
                yield item
        finally:
            if bar is not None:
                bar.close()


class ValidateStage(_StageBase):
    """validate: keeps the valid documents; rejects the others (with all their problems) into the log.

    Stats: ``documents`` kept; ``rejected_documents``, ``rejected_spans``, ``rejected_links``.
    """

    name = "validate"

    def __init__(self, schema: Schema, log: BuildLog, *, prior: Mapping[str, str] | None = None) -> None:
        from dataset_builder.validate import DocumentIdTracker, validate_document

        super().__init__()
        self.schema, self.log = schema, log
        self._ids = DocumentIdTracker(prior)
        self._validate_document = validate_document

    @property
    def seen(self) -> Mapping[str, str]:
        """Every document id seen (with where it was first seen), ``prior`` ids first."""
        return self._ids.seen

    def _rejected(self, location: Location | None, doc_id: str | None, problems: Sequence[Problem],
                  n_spans: int, n_links: int) -> None:
        self.log.reject(location, doc_id, problems)
        self.stats["rejected_documents"] += 1
        self.stats["rejected_spans"] += n_spans
        self.stats["rejected_links"] += n_links

    def run(self, stream: Iterable[Document | Unreadable], rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for item in stream:
            if isinstance(item, Unreadable):
                problems = [p.at(item.location) for p in item.problems] or [
                    Problem("unreadable", "the record could not be read.", "See the reader's documentation.",
                            path=item.location.path, line=item.location.line)
                ]
                self._rejected(item.location, item.doc_id, problems, item.spans_seen, item.links_seen)
                continue
            doc = item
            problems = [_problem_record(p.at(doc.location), doc.id) for p in doc.problems]
            problems += self._ids.check(doc)
            problems += self._validate_document(doc, self.schema)
            if any(p.is_error for p in problems):
                self._rejected(doc.location, doc.id, problems, len(doc.spans), len(doc.links))
                continue
            self.log.accept(doc.id, problems)
            self.stats["documents"] += 1
            yield doc


class TextLayerStage(_StageBase):
    """text layer: tokens, sentences, defects and tags, in batches. Yields ``(document, TextResult)``.
    (A build uses every core by running tasks in parallel: :mod:`dataset_builder.shard_build`.)

    Stats: ``documents`` analysed.
    """

    name = "text-layer"

    def __init__(self, schema: Schema, policy: str) -> None:
        super().__init__()
        self.schema, self.policy = schema, policy

    def run(self, stream: Iterable[Document], rank: int = 0,
            world_size: int = 1) -> Iterator[tuple[Document, TextResult]]:
        docs = iter(stream)
        for batch in iter(lambda: list(islice(docs, TEXT_BATCH)), []):
            results = _analyse_batch([_text_task(d, self.schema, self.policy) for d in batch])
            self.stats["documents"] += len(batch)
            yield from zip(batch, results, strict=True)


class SplitStage(_StageBase):
    """split: names each document's split; yields ``(split, document, TextResult)``.

    A :class:`~dataset_builder.split.FileSplit` that does not list a document drops it (stat
    ``unassigned``) and names it when the stream ends, as an error that fails the build.
    Stats: ``documents`` per split name.
    """

    name = "split"

    def __init__(self, rule: SplitRule, log: BuildLog) -> None:
        super().__init__()
        self.rule, self.log = rule, log

    def run(self, stream: Iterable[tuple[Document, TextResult]], rank: int = 0,
            world_size: int = 1) -> Iterator[tuple[str, Document, TextResult]]:
        for doc, result in stream:
            split = self.rule.assign(doc.id)
            if not split:
                self.stats["unassigned"] += 1
                continue
            self.stats[split] += 1
            yield split, doc, result
        for problem in self.rule.finish():
            if problem.is_error:
                raise InputError(problem)
            self.log.log(problem)


class WriteStage(_StageBase):
    """write: columnar batches into the ``documents`` and ``tokens`` configs under ``tmp_dir`` (a task's
    folder); when the stream ends, closes the shards (``.partial`` names, numbered by the merge) and the logs,
    and yields ``{config: {split: (shard files, rows, bytes)}}``.

    Stats: ``documents``, ``spans``, ``links`` written; ``split_counts``, ``label_counts`` and ``defects``
    hold what the report and manifest add up over tasks.
    """

    name = "write"

    def __init__(self, config: BuildConfig, *, tmp_dir: Path, log: BuildLog) -> None:
        super().__init__()
        self.config, self.tmp_dir, self.log = config, tmp_dir, log
        schema, splits = config.schema, self._split_rule().splits
        self.defects: Counter[str] = Counter()
        doc_features, tok_features = document_features(schema), token_features(schema)
        common = {"dataset_name": config.name, "version": config.version,
                  "description": config.description or schema.description, "citation": config.citation or "",
                  "licence": config.licence or "", "max_shard_bytes": config.max_shard_bytes}
        self.doc_writer = DatasetDictWriter(tmp_dir / DOCUMENTS, doc_features, splits, config_name=DOCUMENTS,
                                            **common)
        self.tok_writer = DatasetDictWriter(tmp_dir / TOKENS, tok_features, splits, config_name=TOKENS, **common)
        self.doc_batches = {s: DocumentBatch(schema, self.doc_writer.arrow_schema) for s in splits}
        self.tok_batches = {s: TokenBatch(schema, self.tok_writer.arrow_schema) for s in splits}
        self.split_counts = {
            s: {"documents": 0, "sentences": 0, "tokens": 0,
                "mentions": {layer.name: 0 for layer in schema.layers}, "links": 0}
            for s in splits
        }
        self.label_counts: dict[str, dict[str, Counter[str]]] = {
            s: {layer.name: Counter() for layer in schema.layers} for s in splits
        }

    def _split_rule(self) -> SplitRule:
        return self.config.split or _DEFAULT_SPLIT

    def run(self, stream: Iterable[tuple[str, Document, TextResult]], rank: int = 0,
            world_size: int = 1) -> Iterator[dict[str, dict[str, tuple[list[Path], int, int]]]]:
        for split, doc, result in stream:
            self._write(split, doc, result)
        yield self._finish()

    def _write(self, split: str, doc: Document, result: TextResult) -> None:
        for note in result.notes:
            self.log.log(note.at(doc.location))
        stats = self.stats
        stats["documents"] += 1
        stats["spans"] += len(doc.spans)
        stats["links"] += len(doc.links)
        for row in result.defects:
            self.defects[row[2]] += 1
        counts = self.split_counts[split]
        counts["documents"] += 1
        counts["sentences"] += len(result.rows.sentence_spans)
        counts["tokens"] += result.rows.n_tokens
        counts["links"] += len(doc.links)
        labels = self.label_counts[split]
        for span in doc.spans:
            counts["mentions"][span.layer] += 1
            labels[span.layer][span.label] += 1
        doc_batch, tok_batch = self.doc_batches[split], self.tok_batches[split]
        doc_batch.add(doc, result.defects)
        tok_batch.add(doc.id, doc.text, result.rows)
        if len(doc_batch) >= WRITE_BATCH or doc_batch.nbytes_estimate > _WRITE_BATCH_BYTES:
            self._flush(split)

    def _flush(self, split: str) -> None:
        doc_batch, tok_batch = self.doc_batches[split], self.tok_batches[split]
        if len(doc_batch):
            self.doc_writer.write(split, doc_batch.to_record_batch())
            doc_batch.clear()
        if len(tok_batch):
            self.tok_writer.write(split, tok_batch.to_record_batch())
            tok_batch.clear()

    def _finish(self) -> dict[str, dict[str, tuple[list[Path], int, int]]]:
        for split in self._split_rule().splits:
            self._flush(split)
        shards = {name: {split: writer.close_partials() for split, writer in config_writer.writers.items()}
                  for name, config_writer in ((DOCUMENTS, self.doc_writer), (TOKENS, self.tok_writer))}
        self.log.close()
        return shards

    def abort(self) -> None:
        for writer in (self.doc_writer, self.tok_writer):
            with contextlib.suppress(Exception):
                writer.abort()
        self.log.abort()




def _build_context(config: BuildConfig, merged: Mapping[str, Any], fingerprint: str, *, tmp_dir: Path,
                   version_dir: Path, source_files: Mapping[str, str]) -> BuildContext:
    """The report and manifest of the merged tasks, with the side files of both configs written."""
    schema, rule = config.schema, config.split or _DEFAULT_SPLIT
    common = {"dataset_name": config.name, "version": config.version,
              "description": config.description or schema.description, "citation": config.citation or "",
              "licence": config.licence or "", "max_shard_bytes": config.max_shard_bytes}
    for name, features in ((DOCUMENTS, document_features(schema)), (TOKENS, token_features(schema))):
        writer = DatasetDictWriter(tmp_dir / name, features, rule.splits, config_name=name, **common)
        writer.write_side_files(merged["infos"][name], fingerprint)
    read, rejected, written = merged["read"], merged["rejected"], merged["written"]
    report = BuildReport(
        config.name, config.version, version_dir, fingerprint=fingerprint,
        documents=_Tally(read["documents"], written["documents"], rejected["rejected_documents"]),
        spans=_Tally(read["spans"], written["spans"], rejected["rejected_spans"]),
        links=_Tally(read["links"], written["links"], rejected["rejected_links"]),
        problems_by_code=merged["by_code"], problems_by_severity=merged["by_severity"],
        splits=merged["split_counts"], defects=merged["defects"], rejected_ids=merged["rejected_ids"],
        rejects=merged["reject_summaries"],
    )
    report.labels = {
        split: {layer: _ordered_counts(counter, schema.layer(layer).label_names)
                for layer, counter in layers.items()}
        for split, layers in merged["label_counts"].items()
    }
    settings = _settings(config)
    manifest = Manifest(
        name=config.name, version=config.version, fingerprint=fingerprint,
        builder_version=settings["builder_version"], schema_name=schema.name,
        schema_fingerprint=settings["schema_fingerprint"], split_rule=rule.describe(),
        projection_policy=config.policy, splits=report.splits, labels=report.labels,
        defects=dict(report.defects), source_files=dict(source_files),
        configs={DOCUMENTS: list(rule.splits), TOKENS: list(rule.splits)},
        licence=config.licence, citation=config.citation, schema_definition=schema.to_dict(),
    )
    report.manifest = manifest
    return BuildContext(tmp_dir, schema, report, manifest, config)


_DEFAULT_SPLIT = HashSplit()


def _settings(config: BuildConfig) -> dict[str, Any]:
    """The build settings that the content fingerprint covers (with every record read)."""
    return {
        "builder_version": _builder_version(),
        "schema_fingerprint": config.schema.fingerprint(),
        "split_rule": (config.split or _DEFAULT_SPLIT).describe(),
        "projection_policy": config.policy,
        "licence": config.licence,
    }


# --------------------------------------------------------------------------------------------
# Finishing stages: a stream of one BuildContext, in the temporary directory
# --------------------------------------------------------------------------------------------


class FinishingStage(_StageBase):
    """A stage that works on the written version: subclasses implement :meth:`finish`."""

    def run(self, stream: Iterable[BuildContext], rank: int = 0, world_size: int = 1) -> Iterator[BuildContext]:
        from dataset_builder.progress import progress_step

        for context in stream:
            with progress_step(self.name, enabled=context.config.progress):  # "card: done in 0.4s"
                self.finish(context)
            self.stats["versions"] += 1
            yield context

    def finish(self, context: BuildContext) -> None:
        raise NotImplementedError


class ManifestStage(FinishingStage):
    """``manifest.json``."""

    name = "manifest"

    def finish(self, context: BuildContext) -> None:
        context.manifest.write(context.tmp_dir / "manifest.json")


class AuditStage(FinishingStage):
    """The cross-split leakage audit (:mod:`dataset_builder.audit`, its per-sentence work on the build's
    engine settings): writes ``audit.json``; with
    ``action: refuse`` raises :class:`~dataset_builder.audit.LeakageError` above ``max_leakage``
    (nothing is published). Reads the version's identity from ``manifest.json``: runs after it."""

    name = "audit"

    def finish(self, context: BuildContext) -> None:
        from dataset_builder.audit import LeakageError, audit

        policy = context.config.audit
        assert policy is not None
        report = audit([context.tmp_dir], level=policy.level, threshold=policy.threshold,  # type: ignore[arg-type]
                       min_tokens=policy.min_tokens, max_pairs=200, engine=context.config.engine_settings(),
                       progress=context.config.progress)
        report.datasets[0]["path"] = None  # the temporary directory means nothing once published
        (context.tmp_dir / "audit.json").write_text(report.to_json(timing=False) + "\n", encoding="utf-8")
        context.report.audit = report
        problem = report.check(policy)
        if problem is not None and problem.is_error:
            refused = LeakageError(problem)
            refused.report = report
            raise refused


class VersionCheckStage(FinishingStage):
    """With a previous version: diff the written version against it and refuse
    (:class:`~dataset_builder.versioning.VersionBumpError`) a version number that does not fit the changes.
    Records the check under ``previous`` in the report: runs before the report stage."""

    name = "version-check"

    def __init__(self, previous_dir: Path) -> None:
        super().__init__()
        self.previous_dir = previous_dir

    def finish(self, context: BuildContext) -> None:
        from dataset_builder.versioning import check_against_previous

        check = check_against_previous(self.previous_dir, context.tmp_dir, path=str(context.report.version_dir))
        context.report.previous = check.to_dict()


class ReportStage(FinishingStage):
    """``build-report.json``."""

    name = "build-report"

    def finish(self, context: BuildContext) -> None:
        write_json_file(context.tmp_dir / "build-report.json", context.report.to_dict())


class CardStage(FinishingStage):
    """The dataset card (``README.md``) and Croissant metadata (``croissant.json``), from the written data;
    reads ``manifest.json`` and ``build-report.json``: runs after them."""

    name = "card"

    def finish(self, context: BuildContext) -> None:
        from dataset_builder.card import write_card
        from dataset_builder.croissant import write_croissant

        write_card(context.tmp_dir, schema=context.schema, manifest=context.manifest, options=context.config.card)
        # Not validated with mlcroissant here (half a second of imports per build): see dataset_builder.croissant.
        write_croissant(context.tmp_dir, schema=context.schema)


def document_stages(config: BuildConfig, *, tmp_dir: Path, path_base: Path | None, task: BuildTask | None = None,
                    records: BinaryIO | None = None, prior: Mapping[str, str] | None = None) -> list[Stage]:
    """read -> validate -> text layer -> split -> write, for one task of a build (``task``; None: every input),
    writing into ``tmp_dir`` (the task's folder). ``records`` receives the fingerprint's record lines;
    ``prior`` holds ids seen by earlier tasks (their documents' duplicates here are rejected)."""
    log = BuildLog(tmp_dir, path_base=path_base, strict=config.strict)
    try:
        # Each run gets its own copy of the split rule: rules collect the ids they cannot place.
        rule = copy.deepcopy(config.split or _DEFAULT_SPLIT)
        return [ReadStage(config, _settings(config), records=records, task=task),
                ValidateStage(config.schema, log, prior=prior), TextLayerStage(config.schema, config.policy),
                SplitStage(rule, log), WriteStage(config, tmp_dir=tmp_dir, log=log)]
    except BaseException:
        log.abort()
        raise


def run_document_stages(config: BuildConfig, items: Iterable[Document | Unreadable], **options: Any
                        ) -> tuple[list[Stage], Any]:
    """:func:`document_stages` (``options`` are its keywords) run over ``items`` then the task's input: the
    stages (with their counters) and what the write stage yielded."""
    stages = document_stages(config, **options)
    (written,) = run_stages(stages, items)
    return stages, written


def finishing_stages(config: BuildConfig, previous_dir: Path | None = None) -> list[Stage]:
    """manifest -> (audit) -> (version check) -> build report -> card, on the merged version."""
    stages: list[Stage] = [ManifestStage()]
    if config.audit is not None:
        stages.append(AuditStage())
    if previous_dir is not None:
        stages.append(VersionCheckStage(previous_dir))
    return [*stages, ReportStage(), CardStage()]


def build_stages(config: BuildConfig, *, tmp_dir: Path, path_base: Path | None,
                 previous_dir: Path | None = None) -> list[Stage]:
    """The stages of one build, in order, made from ``config``: :func:`document_stages` (run by every task of
    the sharded build, :mod:`dataset_builder.shard_build`) then :func:`finishing_stages` (run once on the
    merged version)."""
    return [*document_stages(config, tmp_dir=tmp_dir, path_base=path_base),
            *finishing_stages(config, previous_dir)]


# --------------------------------------------------------------------------------------------
# Validation without a build
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """What :func:`validate_inputs` found: every record's problems, in read order."""

    #: (doc id, problems, rejected) per record that has problems or was rejected.
    records: tuple[tuple[str | None, tuple[Problem, ...], bool], ...]
    documents: int
    rejected: int
    by_severity: Mapping[str, int]
    by_code: Mapping[str, int]

    @property
    def problems(self) -> list[Problem]:
        return [problem for _, problems, _ in self.records for problem in problems]

    @property
    def errors(self) -> int:
        return self.by_severity.get(Severity.ERROR.value, 0)

    @property
    def exit_code(self) -> int:
        from dataset_builder.problems import ExitCode

        return ExitCode.PROBLEMS if self.errors else ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        """What ``akhbar validate --json`` prints: ``records`` checked, ``rejected`` (records with errors),
        ``errors``, ``by_severity`` and ``by_code`` (counts), and ``problems`` (every problem, in read order,
        as :meth:`Problem.to_dict`: code, message, fix, severity, path, line, doc_id, ...)."""
        return {"records": self.documents, "rejected": self.rejected, "errors": self.errors,
                "by_severity": {severity.value: self.by_severity.get(severity.value, 0) for severity in Severity},
                "by_code": dict(sorted(self.by_code.items())),
                "problems": [problem.to_dict() for problem in self.problems]}

    def summary(self) -> str:
        """One line: records checked, with errors, counts by severity and by code."""
        text = (f"{self.documents} record(s) checked, {self.rejected} with errors: {self.errors} error(s), "
                f"{self.by_severity.get('warning', 0)} warning(s), {self.by_severity.get('info', 0)} info")
        if self.by_code:
            text += " [" + ", ".join(f"{code}: {n}" for code, n in sorted(self.by_code.items())) + "]"
        return text


def validate_inputs(inputs: Sequence[str | Path], schema: Schema, *, format: str | None = None,
                    reader_options: Mapping[str, Any] | None = None,
                    limits: InputLimits = DEFAULT_LIMITS) -> ValidationResult:
    """Every problem of ``inputs`` against ``schema``, with the build's own read and validate stages
    (nothing is written). Raises :class:`InputError` for a missing input or an unknown format."""
    paths = _existing(inputs)
    config = BuildConfig(inputs=tuple(paths), schema=schema, name="validation", version="0.0.0", format=format,
                         reader_options=dict(reader_options or {}), progress=False, limits=limits)
    log = BuildLog(None)
    read, validate = ReadStage(config), ValidateStage(schema, log)
    run_stages([read, validate])
    return ValidationResult(
        records=tuple((doc_id, tuple(problems), rejected) for doc_id, problems, rejected in log.records
                      if problems or rejected),
        documents=read.stats["documents"], rejected=validate.stats["rejected_documents"],
        by_severity=dict(log.by_severity), by_code=dict(log.by_code),
    )


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------


def _existing(inputs: Sequence[str | Path]) -> list[Path]:
    paths = [Path(p) for p in inputs]
    for path in paths:
        if not path.exists():
            raise InputError(Problem("input-missing", "the input does not exist.",
                                     "Check the path (globs in recipes are expanded relative to the recipe).",
                                     path=str(path)))
    return paths


def build(config: BuildConfig) -> BuildReport:
    """Build the version ``config`` describes from its input files; see :class:`BuildConfig` for the settings.

    Returns
    -------
    BuildReport
        Counts, fingerprint and where the version was written.

    Raises
    ------
    InputError
        Unreadable inputs or reader options, a missing input, or (``strict``) the first invalid
        document. Nothing is published.
    VersionExistsError
        The version exists and ``config.force`` is False.
    dataset_builder.versioning.VersionBumpError
        With ``config.previous``: the version number does not fit the changes (nothing is published).
    dataset_builder.audit.LeakageError
        With ``config.audit`` (action refuse): leakage above ``max_leakage`` (nothing is published).
    """
    from dataset_builder.progress import progress_step

    paths = _existing(config.inputs)
    base = config.base_dir
    with progress_step("hash inputs", enabled=config.progress):  # reads every input byte once
        source_files = hash_input_files(paths, base=base)
    return _build(config, None, source_files=source_files, path_base=base or (paths[0].parent if paths else None))


def build_documents(items: Iterable[Document | Unreadable], config: BuildConfig) -> BuildReport:
    """Like :func:`build`, from documents already read (a stream of ``Document | Unreadable``) followed by
    those of ``config.inputs`` (usually none). No source files are recorded; file paths in
    ``problems.jsonl`` and ``rejects.jsonl`` are written relative to ``config.base_dir`` when given."""
    return _build(config, items, source_files={}, path_base=config.base_dir)


def _build(config: BuildConfig, items: Iterable[Document | Unreadable] | None, *, source_files: Mapping[str, str],
           path_base: Path | None) -> BuildReport:
    from dataset_builder.progress import progress_step

    previous_dir = None
    if config.previous is not None:  # what can be refused before building: another dataset, a version not above
        from dataset_builder.versioning import check_previous, resolve_previous

        previous_dir = resolve_previous(config.previous, out_dir=config.out_dir, name=config.name)
        check_previous(previous_dir, name=config.name, version=config.version)
    name_dir, final_dir = config.out_dir / config.name, config.version_dir
    recover_interrupted(name_dir)  # first: a killed --force run's old copy counts as existing
    if final_dir.exists() and not config.force:
        raise VersionExistsError(
            Problem("version-exists", f"version {config.version} of {config.name} already exists.",
                    f"Bump the version (e.g. {next_patch(config.version)}), or pass --force to replace it.",
                    path=str(final_dir))
        )
    name_dir.mkdir(parents=True, exist_ok=True)
    # A resumable build's temporary directory is named from the version, so the next run finds it again;
    # any other is named from the process, so a crashed one is recognised and removed.
    tmp_dir = name_dir / (f".{config.version}.tmp-resume" if config.resume else f".{config.version}.tmp-{os.getpid()}")
    if tmp_dir.exists() and not config.resume:
        shutil.rmtree(tmp_dir)
    tmp_dir.mkdir(exist_ok=True)
    try:
        with _sigterm_unwinds(), _fewer_gc_passes():
            context = _run_build(config, items, tmp_dir=tmp_dir, final_dir=final_dir, source_files=source_files,
                                 path_base=path_base, previous_dir=previous_dir)
            with progress_step("publish", enabled=config.progress):
                fsync_tree(tmp_dir)
                _publish(tmp_dir, final_dir, force=config.force)
    except _Interrupted:
        if not config.resume:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        raise SystemExit(128 + signal.SIGTERM) from None
    except BaseException:
        if not config.resume:  # a resumable build keeps its finished tasks for the next run
            shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return context.report


def _run_build(config: BuildConfig, items: Iterable[Document | Unreadable] | None, *, tmp_dir: Path,
               final_dir: Path, source_files: Mapping[str, str], path_base: Path | None,
               previous_dir: Path | None) -> BuildContext:
    """Tasks, merge, finishing stages: the written version in ``tmp_dir``, ready to publish."""
    from dataset_builder.engine import TaskFailed
    from dataset_builder.progress import progress_step
    from dataset_builder.shard_build import TASKS_DIR, BuildTask, merge_shards, plan_tasks, run_sharded

    with progress_step("plan tasks", enabled=config.progress):  # cuts large JSONL files at line ends
        tasks = plan_tasks(config, list(config.inputs)) if items is None else []
        if not tasks:  # documents handed in (then every input), or nothing at all: one task, in this process
            tasks, items = [BuildTask(0, "")], items or ()
        _keep_only_matching_tasks(tmp_dir, config, tasks)
    try:
        results = run_sharded(config, tasks, tmp_dir=tmp_dir, path_base=path_base, run_stages=run_document_stages,
                              items=items)
    except TaskFailed as failed:
        if isinstance(failed.error, InputError):  # bad input (or --strict): the problem itself, not the task
            raise failed.error from None
        raise
    with progress_step("merge", enabled=config.progress):  # hashes every record into the fingerprint
        fingerprint, merged = merge_shards(config, (config.split or _DEFAULT_SPLIT).splits, results,
                                           tmp_dir=tmp_dir, settings=_settings(config))
        shutil.rmtree(tmp_dir / TASKS_DIR)
        context = _build_context(config, merged, fingerprint, tmp_dir=tmp_dir, version_dir=final_dir,
                                 source_files=source_files)
    (context,) = run_stages(finishing_stages(config, previous_dir), [context])
    return context


def _keep_only_matching_tasks(tmp_dir: Path, config: BuildConfig, tasks: Sequence[BuildTask]) -> None:
    """Resuming: finished tasks count only if the settings and the task list are those of this run;
    anything else in the temporary directory (another run's tasks, a half merge) is cleared."""
    from dataset_builder.shard_build import TASKS_DIR

    plan = canonical_json({"settings": _settings(config), "tasks": [t.key for t in tasks],
                      "inputs": [str(p) for p in config.inputs], "reader_options": dict(config.reader_options),
                      "format": config.format, "strict": config.strict})
    plan_file = tmp_dir / TASKS_DIR / "plan.json"
    if plan_file.is_file() and plan_file.read_text(encoding="utf-8") == plan:
        for entry in tmp_dir.iterdir():
            if entry.name != TASKS_DIR:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return
    for entry in tmp_dir.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    plan_file.parent.mkdir(parents=True)
    plan_file.write_text(plan, encoding="utf-8")


class _Interrupted(BaseException):
    """SIGTERM during a build: unwind (removing the temporary directory) and exit."""


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Raise the collector's first threshold while documents stream through.

    A build allocates millions of small objects that never form cycles (token strings, offsets);
    at the default threshold of 700 allocations the collector keeps rescanning the live batch
    buffers, which costs about a tenth of the build. Restored on exit.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _JsonlSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("w", encoding="utf-8")

    def write(self, line: str) -> None:
        self._fh.write(line + "\n")

    def close(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()


def _relative_to(path: str, base: Path) -> str:
    absolute = path if os.path.isabs(path) else os.path.abspath(path)
    if absolute != path and not os.path.lexists(absolute):
        return path
    return Path(os.path.relpath(absolute, os.path.abspath(base))).as_posix()


def _problem_record(problem: Problem, doc_id: str | None) -> Problem:
    if problem.doc_id is None and doc_id is not None:
        return dataclasses.replace(problem, doc_id=doc_id)
    return problem


def _publish(tmp_dir: Path, final_dir: Path, *, force: bool) -> None:
    exists = Problem("version-exists", f"version {final_dir.name} appeared while building.",
                     "Bump the version, or pass --force to replace it.", path=str(final_dir))
    if final_dir.exists() and not force:
        raise VersionExistsError(exists)
    try:
        replace_dir(tmp_dir, final_dir, force=force)
    except TargetExistsError:  # another build published the same version while this one renamed
        raise VersionExistsError(exists) from None
    _fsync_dir(final_dir.parent)


def read_inputs(paths: Sequence[Path], fmt: str | None = None, reader_options: Mapping[str, Any] | None = None,
                *, limits: InputLimits = DEFAULT_LIMITS) -> Iterator[Document | Unreadable]:
    """Read ``paths`` in order, each with the reader of ``fmt`` (or of its detected format).

    Every path's reader is looked up and checked against ``reader_options`` before anything is
    read, so a wrong format or option is one clear error rather than a traceback halfway through.

    Raises
    ------
    InputError
        ``format-unknown`` for a format no reader handles; ``reader-option-unknown`` for an option
        the reader does not take (at once); ``reader-option-invalid`` when the reader refuses an
        option's value, and ``input-empty`` when a path yields no record at all (while reading).

    ``limits`` reaches every reader that takes a ``limits`` keyword (JSONL, Label Studio, CoNLL).
    """
    from dataset_builder.readers import READERS, detect_format, get_reader, reader_option_names

    options = dict(reader_options or {})
    readers: list[tuple[Path, str, Callable[..., Iterator[Document | Unreadable]], dict[str, Any]]] = []
    # Limits are a build setting, not a reader option: they go to every reader that takes them.
    for path in paths:
        name = fmt or detect_format(path)
        if name not in READERS:
            raise InputError(Problem("format-unknown", f"unknown input format {name!r}.",
                                     f"Use one of: {', '.join(READERS)} (or leave the format out to detect it "
                                     "from the file name).", path=str(path)))
        reader = get_reader(name)
        accepted = reader_option_names(reader)
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            # A recipe's `label_map:` reaches the reader as an option: say where it came from.
            source = "the recipe's `label_map:` or its reader_options" if "label_map" in unknown else \
                "the recipe's reader_options"
            raise InputError(Problem(
                "reader-option-unknown", f"the {name} reader takes no option {', '.join(map(repr, unknown))}.",
                f"Remove it from {source}; the {name} reader takes: {', '.join(accepted) or 'no options'} "
                "(docs/formats.md).", path=str(path)))
        settings = {"limits": limits} if "limits" in accepted and "limits" not in options else {}
        readers.append((path, name, reader, settings))
    return chain.from_iterable(_reading(path, name, reader, options, settings)
                               for path, name, reader, settings in readers)


def _reading(path: Path, name: str, reader: Callable[..., Iterator[Document | Unreadable]],
             options: Mapping[str, Any], settings: Mapping[str, Any]) -> Iterator[Document | Unreadable]:
    # A reader checks its options' values when called or when reading starts, so a refused value
    # surfaces from either; without options such an exception is a reader bug and keeps its traceback.
    from dataset_builder.readers import call_reader

    records: Iterator[Document | Unreadable] | None = None
    count = 0
    while True:
        try:
            if records is None:
                records = iter(call_reader(reader, path, {**options, **settings}))
            item = next(records)
        except StopIteration:
            break
        except OSError as exc:  # an entry of an input folder that is no readable file
            raise InputError(unreadable_input(exc, path)) from None
        except (ValueError, TypeError) as exc:
            if not options:
                raise
            shown = ", ".join(f"{key}={value!r}" for key, value in options.items())
            raise InputError(Problem(
                "reader-option-invalid", f"the {name} reader refused its options ({shown}): {exc}",
                "Fix the option's value in the recipe's reader_options (docs/formats.md lists each reader's "
                "options).", path=str(path))) from exc
        count += 1
        yield item
    if not count:  # an empty file, or a folder without files of the format: most likely the wrong path
        raise InputError(Problem(
            "input-empty", f"the input holds no record to read as {name}.",
            "Check the path (a folder is read one level deep: .jsonl files for jsonl, .txt for article and "
            "conll, .ann/.txt pairs for brat, .json for labelstudio), or choose the reader with --format.",
            path=str(path)))


def unreadable_input(exc: OSError, path: Path) -> Problem:
    """An input file or folder entry the operating system cannot read, as a :class:`Problem`."""
    import errno

    fixes = {
        errno.ELOOP: "It is a symbolic link loop: remove the link or point it at a file.",
        errno.ENOENT: "It is a dangling symbolic link or a file that vanished: remove the link or restore its "
                      "target.",
        errno.EISDIR: "It is a folder named like a data file: rename it or move it out of the input folder.",
        errno.EACCES: "Make the file readable (chmod), or move it out of the input folder.",
    }
    where = exc.filename if exc.filename is not None else path
    return Problem("input-unreadable", f"cannot read this input ({exc.strerror or exc}).",
                   fixes.get(exc.errno or 0, "Check the file, or move it out of the input folder."), path=str(where))


def _ordered_counts(counter: Counter[str], order: Sequence[str]) -> dict[str, int]:
    """Label counts in schema order, zeros included, so every split lists the same labels."""
    return {label: counter.get(label, 0) for label in order}
