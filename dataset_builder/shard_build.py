"""The sharded build: tasks over input files and byte ranges, each writing its own Arrow shards; one merge.

A build is cut into :class:`BuildTask` s (:func:`plan_tasks`): every input file, byte ranges of JSONL files
larger than ``config.shard_bytes`` cut at line boundaries (the engine's range cutter), and byte ranges of
such CoNLL files cut at document boundaries (:func:`dataset_builder.readers.conll.conll_ranges`). The task list
depends only on the inputs and ``shard_bytes``, never on the number of workers or the engine, and each task
writes the same files wherever it runs, so a build gives the same bytes for ``--jobs 1``, ``--jobs 2`` and
``--engine ray``.

A task (:func:`run_build_task`) runs read -> validate -> text layer -> split -> write on its shard into
``<tmp>/.tasks/<key>/``: Arrow shards per config and split (``.partial`` names), ``rejects.jsonl``,
``problems.jsonl`` and ``records.bin`` (the canonical lines the content fingerprint hashes). It returns a
small :class:`ShardResult` (counters, the ids it saw): work crosses a process boundary once per task.

The merge (:func:`merge_shards`), in task order: a document id already seen in an earlier task makes that
task run again with the earlier ids known (its duplicate is rejected exactly as in one stream); then the
Arrow shards are numbered ``data-0000i-of-0000N.arrow`` across tasks, the logs are concatenated, the
fingerprint is the sha256 of the settings and every task's record lines (the definition of
:mod:`dataset_builder.manifest`, unchanged), and the counts add up into the build report and manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.config import BuildConfig
from dataset_builder.engine import cut_byte_ranges, run_tasks
from dataset_builder.features import DOCUMENTS, TOKENS
from dataset_builder.manifest import ContentFingerprint
from dataset_builder.model import Document, Unreadable
from dataset_builder.readers.conll import ConllOptions, ConllRange, conll_ranges

__all__ = ["TASKS_DIR", "BuildTask", "ShardResult", "merge_shards", "plan_tasks", "run_build_task", "run_sharded"]

#: The folder of the temporary version directory where tasks write (removed before publishing).
TASKS_DIR = ".tasks"
_CONFIGS = (DOCUMENTS, TOKENS)
_COUNT_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class BuildTask:
    """One shard of a build: a whole input (file or folder), or bytes ``[start, stop)`` of a JSONL file
    whose first line is line ``first_line`` of the file, or a range of a CoNLL file (``conll``: where it
    starts in the file's documents, and the file-wide facts its reader needs)."""

    index: int
    path: str
    start: int = 0
    stop: int | None = None
    first_line: int = 1
    conll: ConllRange | None = None

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.stop is None

    @property
    def key(self) -> str:
        digest = hashlib.blake2b(f"{self.path}\0{self.start}\0{self.stop}".encode(), digest_size=6).hexdigest()
        return f"{self.index:05d}-{Path(self.path).name}-{digest}"

    def describe(self) -> str:
        if self.whole:
            return self.path
        return f"{self.path} [bytes {self.start}:{'' if self.stop is None else self.stop}, from line {self.first_line}]"


def plan_tasks(config: BuildConfig, paths: Sequence[Path]) -> list[BuildTask]:
    """The tasks of a build, in input order: one per input, JSONL files above ``config.shard_bytes`` cut
    into byte ranges at line boundaries, CoNLL files above it at document boundaries."""
    from dataset_builder.readers import detect_format

    tasks: list[BuildTask] = []
    for path in paths:
        fmt = config.format or detect_format(path)
        if fmt not in ("jsonl", "conll") or not path.is_file() or path.stat().st_size <= config.shard_bytes:
            tasks.append(BuildTask(len(tasks), str(path)))
            continue
        if fmt == "conll":
            parts = _conll_parts(config, path)
            if not parts:
                tasks.append(BuildTask(len(tasks), str(path)))
            for part in parts:
                tasks.append(BuildTask(len(tasks), str(path), part.start, part.stop, part.first_line, part))
            continue
        ranges = cut_byte_ranges(path, config.shard_bytes)
        lines = _line_numbers(path, [r.start for r in ranges])
        for byte_range, first_line in zip(ranges, lines, strict=True):
            tasks.append(BuildTask(len(tasks), str(path), byte_range.start, byte_range.stop, first_line))
    return tasks


def conll_options(config: BuildConfig) -> ConllOptions:
    """The CoNLL reader's options of a build (its ``reader_options``); ``TypeError`` for an option the reader
    does not take, ``ValueError`` for a bad value (the whole-file read reports both as problems)."""
    return ConllOptions(**config.reader_options)


def _conll_parts(config: BuildConfig, path: Path) -> list[ConllRange]:
    """The document-aligned ranges of a large CoNLL file; none (one whole task) when it is one range, cannot
    be cut or its options are refused: the whole-file read then reports the problem as a one-task build does."""
    try:
        parts = conll_ranges(path, config.shard_bytes, conll_options(config), limits=config.limits)
    except (TypeError, ValueError):
        return []
    return parts if len(parts) > 1 else []


def _line_numbers(path: Path, offsets: Sequence[int]) -> list[int]:
    """The line number at each of ``offsets`` (sorted starts of lines): one pass counting newlines."""
    numbers, newlines, position = [], 0, 0
    with path.open("rb") as handle:
        for offset in offsets:
            while position < offset:
                chunk = handle.read(min(_COUNT_CHUNK, offset - position))
                newlines += chunk.count(b"\n")
                position += len(chunk)
            numbers.append(newlines + 1)
    return numbers


@dataclass(frozen=True, slots=True)
class ShardResult:
    """What a task did (its files are in its folder under ``<tmp>/.tasks/``)."""

    key: str
    read: Counter[str]
    rejected: Counter[str]
    written: Counter[str]
    split_counts: dict[str, dict[str, Any]]
    label_counts: dict[str, dict[str, Counter[str]]]
    defects: Counter[str]
    by_code: Counter[str]
    by_severity: Counter[str]
    rejected_ids: list[str]
    reject_summaries: list[dict[str, Any]]
    #: (doc id, where it was first seen) of the task, in read order: the merge's duplicate check.
    seen: list[tuple[str, str]]
    #: config -> split -> (shard files relative to the task folder, rows, bytes).
    shards: dict[str, dict[str, tuple[list[str], int, int]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ShardJob:
    """What every task of one build shares (shipped to each worker once)."""

    config: BuildConfig
    tmp_dir: Path
    path_base: Path | None
    #: ``dataset_builder.pipeline.run_document_stages`` (handed in: the pipeline imports this module).
    run_stages: Callable[..., tuple[list[Any], Any]]
    prior: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, task: BuildTask) -> ShardResult:
        return run_build_task(self, task)


def run_build_task(job: ShardJob, task: BuildTask, items: Iterable[Document | Unreadable] = ()) -> ShardResult:
    """Read, validate, analyse, split and write one shard into ``<tmp>/.tasks/<key>/``."""
    config = job.config
    task_dir = job.tmp_dir / TASKS_DIR / task.key
    if task_dir.exists():  # a retried or resumed task starts clean
        shutil.rmtree(task_dir)
    task_dir.mkdir(parents=True)
    with (task_dir / "records.bin").open("wb") as records:
        stages, result = job.run_stages(config, items, tmp_dir=task_dir, path_base=job.path_base, task=task,
                                        records=records, prior=job.prior)
    read, validate, write = stages[0], stages[1], stages[4]
    log = validate.log
    shards = {name: {split: ([p.relative_to(task_dir).as_posix() for p in files], rows, size)
                     for split, (files, rows, size) in splits.items()}
              for name, splits in result.items()}
    return ShardResult(
        key=task.key, read=read.stats, rejected=validate.stats, written=write.stats,
        split_counts=write.split_counts, label_counts=write.label_counts, defects=write.defects,
        by_code=log.by_code, by_severity=log.by_severity, rejected_ids=log.rejected_ids,
        reject_summaries=log.reject_summaries, seen=[(i, w) for i, w in validate.seen.items() if i not in job.prior],
        shards=shards,
    )


def run_sharded(config: BuildConfig, tasks: Sequence[BuildTask], *, tmp_dir: Path, path_base: Path | None,
                run_stages: Callable[..., tuple[list[Any], Any]],
                items: Iterable[Document | Unreadable] | None = None) -> list[ShardResult]:
    """Run every task on the configured engine (``items``, documents handed in, make one task run here)."""
    job = ShardJob(config, tmp_dir, path_base, run_stages)
    work_dir = tmp_dir / TASKS_DIR
    if items is not None:
        return [run_build_task(job, tasks[0], items)]
    results = run_tasks(tasks, job, engine=config.engine_settings(work_dir), label=f"building {config.name} "
                        f"{config.version}")
    # Duplicate ids across tasks: a task whose ids were seen earlier runs again knowing them, so its
    # duplicates are rejected exactly as in one stream (rare: ids are meant to be unique).
    seen: dict[str, str] = {}
    for index, task in enumerate(tasks):
        clashes = {doc_id: seen[doc_id] for doc_id, _ in results[index].seen if doc_id in seen}
        if clashes:
            results[index] = run_build_task(ShardJob(config, tmp_dir, path_base, run_stages, clashes), task)
        for doc_id, where in results[index].seen:
            seen.setdefault(doc_id, where)
    return results


def merge_shards(config: BuildConfig, splits: Sequence[str], results: Sequence[ShardResult], *,
                 tmp_dir: Path, settings: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Number the tasks' Arrow shards into ``tmp_dir``, concatenate their logs in task order and hash their
    records: returns the content fingerprint and the merged counts (for the report and manifest)."""
    from dataset_builder.writer import SplitInfo, SplitWriter

    tasks_dir = tmp_dir / TASKS_DIR
    fingerprint = ContentFingerprint(settings)
    for result in results:
        with (tasks_dir / result.key / "records.bin").open("rb") as records:
            while chunk := records.read(_COUNT_CHUNK):
                fingerprint.update_lines(chunk)
    digest = fingerprint.hexdigest()
    for log_name in ("rejects.jsonl", "problems.jsonl"):
        with (tmp_dir / log_name).open("wb") as merged:
            for result in results:
                with (tasks_dir / result.key / log_name).open("rb") as part:
                    shutil.copyfileobj(part, merged)
    infos: dict[str, dict[str, SplitInfo]] = {}
    for name in _CONFIGS:
        infos[name] = {}
        for split in splits:
            directory = tmp_dir / name / split
            directory.mkdir(parents=True, exist_ok=True)
            parts = [tasks_dir / r.key / f for r in results for f in r.shards[name][split][0]]
            rows = sum(r.shards[name][split][1] for r in results)
            size = sum(r.shards[name][split][2] for r in results)
            if not parts:  # no task had rows for this split: one schema-only shard, as one stream writes
                infos[name][split] = SplitWriter(directory, _arrow_schema(config, name)).close()
                continue
            files = []
            for number, part in enumerate(parts):
                file = f"data-{number:05d}-of-{len(parts):05d}.arrow"
                part.rename(directory / file)
                files.append(file)
            infos[name][split] = SplitInfo(split, rows, size, tuple(files))
    merged = _merge_counts(results, splits)
    merged["infos"] = infos
    return digest, merged


def _arrow_schema(config: BuildConfig, name: str) -> Any:
    from dataset_builder.features import document_features, token_features

    features = document_features(config.schema) if name == DOCUMENTS else token_features(config.schema)
    return features.arrow_schema


def _merge_counts(results: Sequence[ShardResult], splits: Sequence[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {key: Counter() for key in ("read", "rejected", "written", "defects", "by_code",
                                                         "by_severity")}
    merged["rejected_ids"], merged["reject_summaries"] = [], []
    merged["split_counts"] = {}
    merged["label_counts"] = {}
    for result in results:
        for key in ("read", "rejected", "written", "defects", "by_code", "by_severity"):
            merged[key].update(getattr(result, key))
        merged["rejected_ids"] += result.rejected_ids
        merged["reject_summaries"] += result.reject_summaries
    for split in splits:
        counts: dict[str, Any] | None = None
        labels: dict[str, Counter[str]] = {}
        for result in results:
            part = result.split_counts[split]
            if counts is None:
                counts = json.loads(json.dumps(part))  # a deep copy of plain counts
            else:
                for key, value in part.items():
                    if isinstance(value, dict):
                        for layer, n in value.items():
                            counts[key][layer] += n
                    else:
                        counts[key] += value
            for layer, counter in result.label_counts[split].items():
                labels.setdefault(layer, Counter()).update(counter)
        merged["split_counts"][split] = counts
        merged["label_counts"][split] = labels
    return merged
