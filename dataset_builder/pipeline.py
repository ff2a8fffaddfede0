"""The build pipeline: read -> validate -> text layer -> split -> write (-> card), one way, streaming.

:func:`build` is the Python API; ``akhbar build`` is a thin shell over it. Documents flow one
at a time (the text layer works on small batches), so memory does not grow with the corpus.

What happens to a document:

1. **read** -- a reader yields a :class:`~dataset_builder.model.Document` or an
   :class:`~dataset_builder.model.Unreadable` (counted as read, then rejected).
2. **validate** -- reader problems plus :func:`dataset_builder.validate.validate_document`
   and duplicate-id checks. Any error rejects the document into ``rejects.jsonl`` with all its
   problems (``strict=True`` raises :class:`InputError` on the first error instead).
3. **text layer** -- tokens, sentences, defects and IOB2 tags per projected layer. Documents
   marked ``metadata.extra["tokenization"] == "given"`` (CoNLL-derived) keep their corpus'
   tokenization exactly: tokens are the maximal runs of characters other than U+0020 and
   ``\\n``, sentences are the lines. Projection notes become warnings/info in ``problems.jsonl``.
4. **split** -- a :class:`~dataset_builder.split.SplitRule` names the split from the id.
5. **write** -- columnar batches into the ``documents`` and ``tokens`` configs.

Then the finishing stages (:data:`FINISHING_STAGES`) write ``manifest.json``,
``build-report.json``, ``rejects.jsonl`` and ``problems.jsonl`` into the version directory;
a later stage (the dataset card) is added by appending to that list.

Atomicity: everything is written into ``<out>/<name>/.<version>.tmp-<pid>``, fsynced, and
renamed to ``<out>/<name>/<version>`` in one ``os.rename``. An existing version is never
replaced without ``force=True`` (then: old renamed away, new renamed in, old deleted). A build
killed midway leaves only its temporary directory, which the next build removes once its
process is gone; SIGTERM is turned into a clean abort that removes it at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import re
import shutil
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from dataset_builder.card import CardOptions
from dataset_builder.features import (
    DOCUMENTS,
    TOKENS,
    DefectRow,
    DocumentBatch,
    SentenceRows,
    TokenBatch,
    document_features,
    tag_columns,
    token_features,
)
from dataset_builder.manifest import ContentFingerprint, Manifest, hash_input_files, write_json_file
from dataset_builder.model import Document, Unreadable
from dataset_builder.problems import InputError, Location, Problem, Severity
from dataset_builder.schema import Schema
from dataset_builder.split import HashSplit, SplitRule
from dataset_builder.writer import DEFAULT_MAX_SHARD_BYTES, DatasetDictWriter, fsync_tree

__all__ = [
    "FINISHING_STAGES",
    "POLICIES",
    "BuildContext",
    "BuildReport",
    "VersionExistsError",
    "analyse_text",
    "build",
    "build_documents",
    "check_name",
    "check_version",
    "read_inputs",
]

POLICIES = ("expand", "split", "strict")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
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


class VersionExistsError(InputError):
    """The version directory already exists and ``force`` was not given (CLI exit code 3)."""


def check_version(version: str) -> str:
    """Return ``version`` if it is a semantic version ``MAJOR.MINOR.PATCH``, else raise InputError."""
    if not _SEMVER.match(version):
        raise InputError(
            Problem(
                "version-invalid",
                f"{version!r} is not a semantic version MAJOR.MINOR.PATCH.",
                "Use three non-negative integers without leading zeros, e.g. 1.0.0 or 0.3.2.",
            )
        )
    return version


def _next_patch(version: str) -> str:
    major, minor, patch = (int(part) for part in version.split("-")[0].split("+")[0].split("."))
    return f"{major}.{minor}.{patch + 1}"


def check_name(name: str) -> str:
    """Return ``name`` if it can be a dataset name (it becomes a folder name), else raise InputError."""
    if not re.match(r"^[\w][\w.-]*$", name):
        raise InputError(Problem("name-invalid", f"{name!r} cannot be a dataset name (used as a folder name).",
                                 "Use letters, digits, '.', '_' and '-', e.g. sana-sample."))
    return name


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


@dataclass(slots=True)
class BuildContext:
    """Everything the finishing stages need; they write into ``tmp_dir`` before it is published."""

    tmp_dir: Path
    schema: Schema
    report: BuildReport
    manifest: Manifest
    options: dict[str, Any]


def _write_manifest(context: BuildContext) -> None:
    context.manifest.write(context.tmp_dir / "manifest.json")


def _write_report(context: BuildContext) -> None:
    write_json_file(context.tmp_dir / "build-report.json", context.report.to_dict())


def _write_card(context: BuildContext) -> None:
    """The dataset card (``README.md``) and Croissant metadata (``croissant.json``), from the written data."""
    from dataset_builder.card import write_card
    from dataset_builder.croissant import write_croissant

    write_card(context.tmp_dir, schema=context.schema, manifest=context.manifest, options=context.options.get("card"))
    write_croissant(context.tmp_dir, schema=context.schema)


def _check_version_bump(context: BuildContext) -> None:
    """With a previous version: refuse a version number that does not fit the changes (versioning.py)."""
    from dataset_builder.versioning import version_check_stage

    version_check_stage(context)


#: Run in order after the data is written, inside the temporary directory. Append a
#: ``(name, function(BuildContext))`` pair to add a stage (insert it where its inputs exist).
FINISHING_STAGES: list[tuple[str, Callable[[BuildContext], None]]] = [
    ("manifest", _write_manifest),
    ("version-check", _check_version_bump),  # diffs the written version; before the report records it
    ("build-report", _write_report),
    ("card", _write_card),  # reads manifest.json and build-report.json: keep it after them
]


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------


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


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(name_dir: Path) -> None:
    """Delete temporary/old directories left by builds whose process no longer exists."""
    if not name_dir.is_dir():
        return
    for entry in name_dir.iterdir():
        match = re.match(r"^\..+\.(?:tmp|old)-(\d+)$", entry.name)
        if match and entry.is_dir() and not _pid_alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


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


def _problem_record(problem: Problem, doc_id: str | None) -> Problem:
    if problem.doc_id is None and doc_id is not None:
        return dataclasses.replace(problem, doc_id=doc_id)
    return problem


def build(
    inputs: Sequence[str | Path],
    *,
    schema: Schema,
    name: str,
    version: str,
    out_dir: str | Path = "out",
    fmt: str | None = None,
    split: SplitRule | None = None,
    policy: str = "expand",
    strict: bool = False,
    force: bool = False,
    progress: bool = True,
    licence: str | None = None,
    citation: str | None = None,
    description: str | None = None,
    reader_options: Mapping[str, Any] | None = None,
    base_dir: str | Path | None = None,
    jobs: int = 1,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    card: CardOptions | None = None,
    previous: str | Path | None = None,
) -> BuildReport:
    """Build version ``version`` of dataset ``name`` from input files.

    Parameters
    ----------
    inputs : sequence of path
        Files or folders, read in the given order with ``dataset_builder.readers.read``.
    schema : Schema
        Layers, labels and link types; fixes the dataset's features.
    name, version : str
        The dataset name and its semantic version ``MAJOR.MINOR.PATCH``.
    out_dir : path, default="out"
        The version is published at ``<out_dir>/<name>/<version>/``.
    fmt : str, optional
        Input format (``jsonl``, ``article``, ``brat``, ``conll``, ``labelstudio``); detected
        from each path when None.
    split : SplitRule, optional
        Default: hash split train=0.8, validation=0.1, test=0.1.
    policy : {"expand", "split", "strict"}, default="expand"
        How character spans become token tags (see ``dataset_builder.text.project``).
    strict : bool, default=False
        Raise :class:`InputError` on the first error instead of rejecting the document.
    force : bool, default=False
        Replace an existing version (otherwise :class:`VersionExistsError`).
    progress : bool, default=True
        Show a progress bar.
    licence, citation, description : str, optional
        Dataset-level facts, recorded in the manifest and ``dataset_info.json``.
    reader_options : mapping, optional
        Keyword arguments for the reader (e.g. ``{"sentences_per_doc": 25}`` for CoNLL).
    base_dir : path, optional
        Source-file names in the manifest are relative to it (default: each input's folder).
    jobs : int, default=1
        Processes for the text layer (the rest of the pipeline runs in this process).
    max_shard_bytes : int
        Size at which an Arrow shard rolls over (default 500 MB).
    card : CardOptions, optional
        What the dataset card says that the data cannot (guideline, Hub licence id, ...); see
        :mod:`dataset_builder.card`. The card and ``croissant.json`` are always written.
    previous : path or str, optional
        The previous version: its directory, or a bare ``MAJOR.MINOR.PATCH`` under
        ``<out_dir>/<name>/``. The build is refused (:class:`~dataset_builder.versioning.VersionBumpError`,
        nothing published) when ``version`` is not a large enough bump for the changes since it, or
        when nothing changed (see :mod:`dataset_builder.versioning`).

    Returns
    -------
    BuildReport
        Counts, fingerprint and where the version was written.

    Raises
    ------
    InputError
        Unreadable schema/split settings, a bad version, a missing input, or (``strict``) the
        first invalid document. Nothing is published.
    VersionExistsError
        The version exists and ``force`` is False.
    """
    paths = [Path(p) for p in inputs]
    for path in paths:
        if not path.exists():
            raise InputError(Problem("input-missing", "the input does not exist.",
                                     "Check the path (globs in recipes are expanded relative to the recipe).",
                                     path=str(path)))
    items = read_inputs(paths, fmt, reader_options)
    return build_documents(
        items, schema=schema, name=name, version=version, out_dir=out_dir, split=split, policy=policy,
        strict=strict, force=force, progress=progress, licence=licence, citation=citation,
        description=description, source_files=hash_input_files(paths, base=Path(base_dir) if base_dir else None),
        jobs=jobs, max_shard_bytes=max_shard_bytes,
        path_base=Path(base_dir) if base_dir else (paths[0].parent if paths else None), card=card,
        previous=previous,
    )


def read_inputs(paths: Sequence[Path], fmt: str | None = None,
                reader_options: Mapping[str, Any] | None = None) -> Iterator[Document | Unreadable]:
    """Read ``paths`` in order, each with the reader of ``fmt`` (or of its detected format).

    Every path's reader is looked up and checked against ``reader_options`` before anything is
    read, so a wrong format or option is one clear error rather than a traceback halfway through.

    Raises
    ------
    InputError
        ``format-unknown`` for a format no reader handles; ``reader-option-unknown`` for an option
        the reader does not take (at once); ``reader-option-invalid`` when the reader refuses an
        option's value, and ``input-empty`` when a path yields no record at all (while reading).
    """
    import inspect

    from dataset_builder.readers import READERS, detect_format, get_reader

    options = dict(reader_options or {})
    readers: list[tuple[Path, str, Callable[..., Iterator[Document | Unreadable]]]] = []
    for path in paths:
        name = fmt or detect_format(path)
        if name not in READERS:
            raise InputError(Problem("format-unknown", f"unknown input format {name!r}.",
                                     f"Use one of: {', '.join(READERS)} (or leave the format out to detect it "
                                     "from the file name).", path=str(path)))
        reader = get_reader(name)
        parameters = list(inspect.signature(reader).parameters.values())[1:]  # the first one is the path
        accepted = [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            # A recipe's `label_map:` reaches the reader as an option: say where it came from.
            source = "the recipe's `label_map:` or its reader_options" if "label_map" in unknown else \
                "the recipe's reader_options"
            raise InputError(Problem(
                "reader-option-unknown", f"the {name} reader takes no option {', '.join(map(repr, unknown))}.",
                f"Remove it from {source}; the {name} reader takes: {', '.join(accepted) or 'no options'} "
                "(docs/formats.md).", path=str(path)))
        readers.append((path, name, reader))
    return chain.from_iterable(_reading(path, name, reader, options) for path, name, reader in readers)


def _reading(path: Path, name: str, reader: Callable[..., Iterator[Document | Unreadable]],
             options: Mapping[str, Any]) -> Iterator[Document | Unreadable]:
    # A reader checks its options' values when called or when reading starts, so a refused value
    # surfaces from either; without options such an exception is a reader bug and keeps its traceback.
    records: Iterator[Document | Unreadable] | None = None
    count = 0
    while True:
        try:
            if records is None:
                records = iter(reader(path, **options))
            item = next(records)
        except StopIteration:
            break
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


def build_documents(
    items: Iterable[Document | Unreadable],
    *,
    schema: Schema,
    name: str,
    version: str,
    out_dir: str | Path = "out",
    split: SplitRule | None = None,
    policy: str = "expand",
    strict: bool = False,
    force: bool = False,
    progress: bool = False,
    licence: str | None = None,
    citation: str | None = None,
    description: str | None = None,
    source_files: Mapping[str, str] | None = None,
    jobs: int = 1,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    path_base: Path | None = None,
    card: CardOptions | None = None,
    previous: str | Path | None = None,
) -> BuildReport:
    """Like :func:`build`, from documents already read (a stream of ``Document | Unreadable``).

    ``source_files`` (relative name -> sha256) is recorded in the manifest as given. File paths
    in ``problems.jsonl`` and ``rejects.jsonl`` are written relative to ``path_base`` when given,
    so that the logs of one build are the same on every machine.
    """
    check_version(version)
    if policy not in POLICIES:
        raise InputError(Problem("policy-invalid", f"unknown projection policy {policy!r}.",
                                 f"Use one of: {', '.join(POLICIES)}."))
    check_name(name)
    previous_dir = None
    if previous is not None:  # what can be refused before building: another dataset, a version not above
        from dataset_builder.versioning import check_previous, resolve_previous

        previous_dir = resolve_previous(previous, out_dir=out_dir, name=name)
        check_previous(previous_dir, name=name, version=version)
    split = split or HashSplit()
    name_dir = Path(out_dir) / name
    final_dir = name_dir / version
    if final_dir.exists() and not force:
        raise VersionExistsError(
            Problem("version-exists", f"version {version} of {name} already exists.",
                    f"Bump the version (e.g. {_next_patch(version)}), or pass --force to replace it.",
                    path=str(final_dir))
        )
    name_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale(name_dir)
    tmp_dir = name_dir / f".{version}.tmp-{os.getpid()}"
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    tmp_dir.mkdir()
    run = _BuildRun(schema=schema, name=name, version=version, tmp_dir=tmp_dir, split=split, policy=policy,
                    strict=strict, licence=licence, citation=citation, description=description,
                    source_files=dict(source_files or {}), jobs=jobs, max_shard_bytes=max_shard_bytes,
                    report=BuildReport(name, version, final_dir), path_base=path_base)
    run.card_options = card
    run.previous = previous_dir
    try:
        with _sigterm_unwinds(), _fewer_gc_passes():
            run.run(items, progress=progress)
            fsync_tree(tmp_dir)
            _publish(tmp_dir, final_dir, force=force)
    except _Interrupted:
        run.abort()
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise SystemExit(128 + signal.SIGTERM) from None
    except BaseException:
        run.abort()
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return run.report


def _publish(tmp_dir: Path, final_dir: Path, *, force: bool) -> None:
    if final_dir.exists():
        if not force:
            raise VersionExistsError(
                Problem("version-exists", f"version {final_dir.name} appeared while building.",
                        "Bump the version, or pass --force to replace it.", path=str(final_dir))
            )
        old_dir = final_dir.parent / f".{final_dir.name}.old-{os.getpid()}"
        os.rename(final_dir, old_dir)
        os.rename(tmp_dir, final_dir)
        _fsync_dir(final_dir.parent)
        shutil.rmtree(old_dir)
    else:
        os.rename(tmp_dir, final_dir)
        _fsync_dir(final_dir.parent)


class _BuildRun:
    """State of one build while documents stream through it."""

    def __init__(self, *, schema: Schema, name: str, version: str, tmp_dir: Path, split: SplitRule,
                 policy: str, strict: bool, licence: str | None, citation: str | None,
                 description: str | None, source_files: dict[str, str], jobs: int, max_shard_bytes: int,
                 report: BuildReport, path_base: Path | None) -> None:
        from dataset_builder.validate import DocumentIdTracker, validate_document

        self._pool: Any = None
        if jobs > 1:
            import multiprocessing

            # Workers are forked first thing, before pyarrow has started any thread that a fork
            # would copy mid-flight; they only ever run the pure-Python text layer on plain data.
            # (fork, not forkserver/spawn: those re-import __main__, which fails from stdin/REPL.)
            self._pool = multiprocessing.get_context("fork").Pool(jobs)
        try:
            self._setup(schema=schema, name=name, version=version, tmp_dir=tmp_dir, split=split, policy=policy,
                        strict=strict, licence=licence, citation=citation, description=description,
                        source_files=source_files, jobs=jobs, max_shard_bytes=max_shard_bytes, report=report,
                        path_base=path_base, validate_document=validate_document,
                        tracker=DocumentIdTracker())
        except BaseException:
            if self._pool is not None:
                self._pool.terminate()
            raise

    def _setup(self, *, schema: Schema, name: str, version: str, tmp_dir: Path, split: SplitRule, policy: str,
               strict: bool, licence: str | None, citation: str | None, description: str | None,
               source_files: dict[str, str], jobs: int, max_shard_bytes: int, report: BuildReport,
               path_base: Path | None, validate_document: Callable[[Document, Schema], list[Problem]],
               tracker: Any) -> None:
        self.schema, self.name, self.version, self.tmp_dir = schema, name, version, tmp_dir
        self.split, self.policy, self.strict, self.jobs = split, policy, strict, jobs
        self.licence, self.citation, self.description = licence, citation, description
        self.source_files = source_files
        self.report = report
        self.path_base = path_base
        self.validate_document = validate_document
        self.ids = tracker
        self.settings = {
            "builder_version": _builder_version(),
            "schema_fingerprint": schema.fingerprint(),
            "split_rule": split.describe(),
            "projection_policy": policy,
            "licence": licence,
        }
        self.fingerprint = ContentFingerprint(self.settings)
        doc_features, tok_features = document_features(schema), token_features(schema)
        common = {"dataset_name": name, "version": version, "description": description or schema.description,
                  "citation": citation or "", "licence": licence or "", "max_shard_bytes": max_shard_bytes}
        splits = split.splits
        self.doc_writer = DatasetDictWriter(tmp_dir / DOCUMENTS, doc_features, splits, config_name=DOCUMENTS,
                                            **common)
        self.tok_writer = DatasetDictWriter(tmp_dir / TOKENS, tok_features, splits, config_name=TOKENS, **common)
        self.doc_batches = {s: DocumentBatch(schema, self.doc_writer.arrow_schema) for s in splits}
        self.tok_batches = {s: TokenBatch(schema, self.tok_writer.arrow_schema) for s in splits}
        self.tag_columns = tag_columns(schema)
        self.rejects = _JsonlSink(tmp_dir / "rejects.jsonl")
        self.problem_log = _JsonlSink(tmp_dir / "problems.jsonl")
        self.split_counts = {
            s: {"documents": 0, "sentences": 0, "tokens": 0,
                "mentions": {layer.name: 0 for layer in schema.layers}, "links": 0}
            for s in splits
        }
        self.label_counts: dict[str, dict[str, Counter[str]]] = {
            s: {layer.name: Counter() for layer in schema.layers} for s in splits
        }
        self.card_options: CardOptions | None = None
        self.previous: Path | None = None

    # ---- problems ------------------------------------------------------------------------
    def _count(self, problem: Problem) -> None:
        self.report.problems_by_code[problem.code] += 1
        self.report.problems_by_severity[problem.severity.value] += 1

    def _relative(self, path: str | None) -> str | None:
        if path is None or self.path_base is None or not os.path.isabs(path):
            return path
        return Path(os.path.relpath(path, self.path_base)).as_posix()

    def _portable(self, problem: Problem) -> Problem:
        relative = self._relative(problem.path)
        return problem if relative == problem.path else dataclasses.replace(problem, path=relative)

    def _log(self, problem: Problem) -> None:
        self._count(problem)
        self.problem_log.write(self._portable(problem).to_json())

    def _reject(self, location: Location | None, doc_id: str | None, problems: Sequence[Problem],
                n_spans: int, n_links: int) -> None:
        for problem in problems:
            self._count(problem)
        if self.strict:
            first = next((p for p in problems if p.is_error), problems[0])
            raise InputError(first)
        report = self.report
        report.documents.rejected += 1
        report.spans.rejected += n_spans
        report.links.rejected += n_links
        if doc_id is not None:
            report.rejected_ids.append(doc_id)
        where = None
        if location is not None:
            where = str(Location(self._relative(location.path) or location.path, location.line))
        record = {
            "doc_id": doc_id,
            "location": where,
            "problems": [self._portable(p).to_dict() for p in problems],
        }
        from dataset_builder.features import canonical_json

        self.rejects.write(canonical_json(record))

    # ---- stages --------------------------------------------------------------------------
    def _validated(self, items: Iterable[Document | Unreadable]) -> Iterator[Document]:
        """read + validate: yields the documents that will be written, rejects the others."""
        for item in items:
            self.fingerprint.update(item)
            self.report.documents.read += 1
            if isinstance(item, Unreadable):
                problems = [p.at(item.location) for p in item.problems] or [
                    Problem("unreadable", "the record could not be read.", "See the reader's documentation.",
                            path=item.location.path, line=item.location.line)
                ]
                self.report.spans.read += item.spans_seen
                self.report.links.read += item.links_seen
                self._reject(item.location, item.doc_id, problems, item.spans_seen, item.links_seen)
                continue
            doc = item
            self.report.spans.read += len(doc.spans)
            self.report.links.read += len(doc.links)
            problems = [_problem_record(p.at(doc.location), doc.id) for p in doc.problems]
            problems += self.ids.check(doc)
            problems += self.validate_document(doc, self.schema)
            if any(p.is_error for p in problems):
                self._reject(doc.location, doc.id, problems, len(doc.spans), len(doc.links))
                continue
            for problem in problems:
                self._log(problem)
            yield doc

    def _analysed(self, docs: Iterator[Document]) -> Iterator[tuple[Document, TextResult]]:
        """text layer, in batches; in worker processes when jobs > 1 (order is kept)."""
        batches = iter(lambda: list(islice(docs, TEXT_BATCH)), [])
        if self.jobs <= 1:
            for batch in batches:
                results = _analyse_batch([_text_task(d, self.schema, self.policy) for d in batch])
                yield from zip(batch, results, strict=True)
            return
        pending: list[tuple[list[Document], Any]] = []
        for batch in batches:
            tasks = [_text_task(d, self.schema, self.policy) for d in batch]
            pending.append((batch, self._pool.apply_async(_analyse_batch, (tasks,))))
            # Keep a bounded number of batches in flight: memory must not grow with the corpus.
            while len(pending) > 2 * self.jobs:
                done_batch, future = pending.pop(0)
                yield from zip(done_batch, future.get(), strict=True)
        for done_batch, future in pending:
            yield from zip(done_batch, future.get(), strict=True)
        self._pool.close()
        self._pool.join()
        self._pool = None

    def run(self, items: Iterable[Document | Unreadable], *, progress: bool) -> None:
        stream: Iterable[Document | Unreadable] = items
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(items, desc=f"building {self.name} {self.version}", unit=" doc", mininterval=0.5)
            stream = bar
        try:
            for doc, result in self._analysed(self._validated(stream)):
                self._write(doc, result)
        finally:
            if bar is not None:
                bar.close()
        for problem in self.split.finish():
            if problem.is_error:
                raise InputError(problem)
            self._log(problem)
        self._finish()

    def _write(self, doc: Document, result: TextResult) -> None:
        split = self.split.assign(doc.id)
        if not split:
            return  # a FileSplit without this id: reported by split.finish(), the build then fails
        report = self.report
        for note in result.notes:
            self._log(note.at(doc.location))
        report.documents.written += 1
        report.spans.written += len(doc.spans)
        report.links.written += len(doc.links)
        for row in result.defects:
            report.defects[row[2]] += 1
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

    def _finish(self) -> None:
        for split in self.split.splits:
            self._flush(split)
        fingerprint = self.fingerprint.hexdigest()
        self.doc_writer.close(fingerprint)
        self.tok_writer.close(fingerprint)
        self.rejects.close()
        self.problem_log.close()
        report = self.report
        report.fingerprint = fingerprint
        report.splits = self.split_counts
        report.labels = {
            split: {layer: _ordered_counts(counter, self.schema.layer(layer).label_names)
                    for layer, counter in layers.items()}
            for split, layers in self.label_counts.items()
        }
        manifest = Manifest(
            name=self.name, version=self.version, fingerprint=fingerprint,
            builder_version=self.settings["builder_version"], schema_name=self.schema.name,
            schema_fingerprint=self.settings["schema_fingerprint"], split_rule=self.split.describe(),
            projection_policy=self.policy, splits=self.split_counts, labels=report.labels,
            defects=dict(report.defects), source_files=self.source_files,
            configs={DOCUMENTS: list(self.split.splits), TOKENS: list(self.split.splits)},
            licence=self.licence, citation=self.citation, schema_definition=self.schema.to_dict(),
        )
        context = BuildContext(self.tmp_dir, self.schema, report, manifest,
                               {"policy": self.policy, "strict": self.strict, "card": self.card_options,
                                "previous": self.previous})
        for _stage_name, stage in FINISHING_STAGES:
            stage(context)

    def abort(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
        for writer in (self.doc_writer, self.tok_writer):
            with contextlib.suppress(Exception):
                writer.abort()
        for sink in (self.rejects, self.problem_log):
            with contextlib.suppress(Exception):
                sink._fh.close()


def _ordered_counts(counter: Counter[str], order: Sequence[str]) -> dict[str, int]:
    """Label counts in schema order, zeros included, so every split lists the same labels."""
    return {label: counter.get(label, 0) for label in order}
