"""Contamination audit: are a built version's test sentences in a large external corpus?

A benchmark's test sentences that a model saw in pretraining measure memory, not skill. This module
checks every sentence of a built version (default: its ``test`` split) against an external collection
of any size -- JSONL (a ``text`` field), Parquet (a text column, read by record batches) or plain text
(one document a line) -- read streaming, in shards (:mod:`dataset_builder.engine`) on every core or on a
Ray cluster.

Both sides are compared on the canonical, clitic-insensitive token view of :mod:`dataset_builder.audit`
(:func:`~dataset_builder.audit.canonical_tokens`). External documents are cut into sentences at line
ends and ``. ! ? ؟``; each external sentence is checked two ways:

* **exact n-gram overlap**: a test sentence is contaminated when one of its ``ngram``-token windows
  (13, as benchmark decontamination tools use) occurs in an external sentence; a sentence shorter than
  that but of at least ``min_ngram`` tokens (8) when the whole of it occurs in one. External tokens are
  mapped to the test split's vocabulary first, so only runs of known tokens are ever looked up.
* **near duplicates**: MinHash signatures (:func:`~dataset_builder.audit.minhash_signatures`) of word
  shingles, LSH bands (:func:`~dataset_builder.audit.lsh_parameters`), and the exact Jaccard similarity
  of every candidate, reported at or above ``threshold``. An external sentence is hashed only when at
  least ``threshold`` of its shingles occur somewhere in the test split: below that no test sentence can
  reach the threshold (Jaccard <= |A & B| / |A|), so the filter loses nothing.

Memory is bounded by the test split: the index (n-grams, shingles, band tables) is built once and
shipped to each worker once; a task keeps only, per test sentence, its first n-gram match and its best
near match. Results are merged in the order of the external files, so the report is the same for any
number of workers and either engine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import regex

from dataset_builder.audit import (
    canonical_tokens,
    load_units,
    lsh_parameters,
    minhash_signatures,
    shingle_hashes,
    shingles,
)
from dataset_builder.engine import ByteRange, EngineSettings, TaskFailed, iter_lines, ranges_for, run_tasks
from dataset_builder.problems import InputError, Problem, require_path

__all__ = [
    "ContaminationReport",
    "ContaminationRequest",
    "ContaminationSettings",
    "ExternalMatch",
    "ParquetShard",
    "SentenceContamination",
    "SentenceIndex",
    "audit_against",
    "audit_against_request",
    "build_index",
    "external_shards",
]

_SENTENCE = regex.compile(r"[^\s.!?؟][^\n.!?؟]*")  # starts at its first visible character


@dataclass(frozen=True, slots=True)
class ContaminationSettings:
    """How sentences are compared and how the external corpus is read."""

    ngram: int = 13
    threshold: float = 0.8
    shingle_size: int = 3
    num_perm: int = 128
    seed: int = 1
    min_tokens: int = 3
    min_ngram: int = 8
    text_field: str = "text"
    id_field: str = "id"
    shard_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if self.ngram < 1 or self.shingle_size < 1 or self.shard_bytes < 1:
            raise ValueError("ngram, shingle_size and shard_bytes must be positive.")


@dataclass(frozen=True, slots=True)
class ParquetShard:
    """One row group of a Parquet file."""

    path: str
    row_group: int
    first_row: int

    @property
    def key(self) -> str:
        return f"{Path(self.path).name}-rg{self.row_group}"

    def describe(self) -> str:
        return f"{self.path} [row group {self.row_group}]"


@dataclass(frozen=True, slots=True)
class ExternalMatch:
    """Where a test sentence was found: external document id, character offset of the external
    sentence in that document's text, the file, and the similarity (1.0 for an n-gram match)."""

    doc_id: str
    offset: int
    path: str
    similarity: float


@dataclass(frozen=True, slots=True)
class SentenceIndex:
    """The test split, as the workers need it (built once, shipped once per worker)."""

    settings: ContaminationSettings
    #: Canonical token -> id; an external token not in it gets id ``len(vocabulary)`` (unknown).
    vocabulary: dict[str, int]
    ngrams: dict[tuple[int, ...], tuple[int, ...]]
    lengths: tuple[int, ...]
    #: The token-id windows of ``shingle_size`` tokens of the test sentences, as :func:`_window_keys` ints.
    shingle_keys: frozenset[int]
    shingle_sets: tuple[frozenset[int], ...]
    bands: tuple[dict[bytes, tuple[int, ...]], ...]
    rows: int


def _window_keys(ids: Sequence[int], size: int, base: int) -> list[int]:
    """One int per window of ``size`` token ids, in order (the whole sequence when it is not longer).

    Every id is below ``base``, so a window's key, its ids as digits in base ``base`` after a leading
    1, names one window and no other (of any length); ints hash and compare much faster than tuples.
    """
    if len(ids) <= size:
        key = 1
        for token_id in ids:
            key = key * base + token_id
        return [key]
    if size == 3:  # the default shingle size, in one pass
        return [((base + a) * base + b) * base + c
                for a, b, c in zip(ids, ids[1:], ids[2:], strict=False)]
    count = len(ids) - size + 1
    keys = [1] * count
    for offset in range(size):
        keys = [key * base + token_id for key, token_id in zip(keys, ids[offset : offset + count], strict=True)]
    return keys


def build_index(texts: Sequence[str], settings: ContaminationSettings) -> SentenceIndex:
    """The n-gram, shingle and LSH index of the test sentences (sentences shorter than
    ``min_tokens`` canonical tokens get no entry)."""
    vocabulary: dict[str, int] = {}
    ngrams: dict[tuple[int, ...], list[int]] = {}
    token_ids: list[list[int]] = []
    shingle_sets: list[frozenset[int]] = []
    hashed: list[int] = []
    for number, text in enumerate(texts):
        tokens = canonical_tokens(text)
        ids = [vocabulary.setdefault(token, len(vocabulary)) for token in tokens]
        if len(tokens) < settings.min_tokens:
            shingle_sets.append(frozenset())
            continue
        if settings.min_ngram <= len(ids) < settings.ngram:
            ngrams.setdefault(tuple(ids), []).append(number)
        for start in range(len(ids) - settings.ngram + 1):
            ngrams.setdefault(tuple(ids[start : start + settings.ngram]), []).append(number)
        token_ids.append(ids)
        shingle_sets.append(frozenset(shingle_hashes(shingles(tokens, settings.shingle_size))))
        hashed.append(number)
    bands_count, rows = lsh_parameters(settings.threshold, settings.num_perm)
    tables: list[dict[bytes, list[int]]] = [{} for _ in range(bands_count)]
    if hashed:
        signatures = minhash_signatures([sorted(shingle_sets[i]) for i in hashed], num_perm=settings.num_perm,
                                        seed=settings.seed)
        for row, number in zip(signatures, hashed, strict=True):
            for band, table in enumerate(tables):
                table.setdefault(row[band * rows : (band + 1) * rows].tobytes(), []).append(number)
    lengths = tuple(sorted({len(key) for key in ngrams}))
    base = len(vocabulary) + 1  # the ids of the test split and the one unknown id of external tokens
    shingle_keys = frozenset(key for ids in token_ids for key in _window_keys(ids, settings.shingle_size, base))
    return SentenceIndex(settings, vocabulary, {k: tuple(v) for k, v in ngrams.items()}, lengths,
                         shingle_keys, tuple(shingle_sets),
                         tuple({k: tuple(v) for k, v in t.items()} for t in tables), rows)


# ---------------------------------------------------------------------------------------------
# External corpus: shards and documents
# ---------------------------------------------------------------------------------------------

Shard = ByteRange | ParquetShard


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return "text"


def external_shards(paths: Sequence[str | Path], shard_bytes: int = 64 << 20) -> list[Shard]:
    """Tasks over the external corpus: byte ranges of JSONL/text files (cut at line ends), row groups of
    Parquet files. A folder stands for the files in it (recursively, sorted)."""
    import pyarrow.parquet as pq

    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(Problem("against-missing", f"{path} does not exist.",
                                     "Pass JSONL, Parquet or text files (or folders of them) to --against."))
    shards: list[Shard] = []
    for path in files:
        if _kind(path) == "parquet":
            metadata = pq.ParquetFile(path).metadata
            first = 0
            for group in range(metadata.num_row_groups):
                shards.append(ParquetShard(str(path), group, first))
                first += metadata.row_group(group).num_rows
        else:
            shards.extend(ranges_for([path], shard_bytes))
    return shards


def _documents(shard: Shard, settings: ContaminationSettings) -> Iterator[tuple[str, str]]:
    """``(doc_id, text)`` of a shard's documents; a document without an id is named ``path:offset``
    (byte offset of its line) or ``path:row``."""
    if isinstance(shard, ParquetShard):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(shard.path)
        names = parquet.schema_arrow.names
        if settings.text_field not in names:
            raise InputError(Problem("against-field", f"{shard.path} has no column {settings.text_field!r} "
                                     f"(it has {names}).", "Name the text column with --text-field.",
                                     path=shard.path))
        columns = [settings.text_field] + ([settings.id_field] if settings.id_field in names else [])
        row = shard.first_row
        for batch in parquet.iter_batches(batch_size=4096, row_groups=[shard.row_group], columns=columns):
            texts = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist() if len(columns) == 2 else [None] * len(texts)
            for doc_id, text in zip(ids, texts, strict=True):
                if text:
                    yield (str(doc_id) if doc_id is not None else f"{shard.path}:{row}"), text
                row += 1
        return
    as_json = _kind(Path(shard.path)) == "jsonl"
    for record in iter_lines(shard):
        if not record.data.strip():
            continue
        if not as_json:
            yield f"{shard.path}:{record.offset}", record.data.decode("utf-8", errors="replace")
            continue
        try:
            value = json.loads(record.data)
        except ValueError as exc:
            raise InputError(Problem("against-json", f"byte {record.offset}: not a JSON object ({exc}).",
                                     "Fix or drop the line; each line of a JSONL file is one JSON object.",
                                     path=shard.path)) from None
        text = value.get(settings.text_field) if isinstance(value, dict) else None
        if isinstance(text, str):
            doc_id = value.get(settings.id_field)
            yield (str(doc_id) if doc_id is not None else f"{shard.path}:{record.offset}"), text


# ---------------------------------------------------------------------------------------------
# One task
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _ShardResult:
    """What one task sends back: bounded by the test split (one entry per matched test sentence)."""

    ngram: dict[int, tuple[int, ExternalMatch]] = field(default_factory=dict)  # sentence -> (count, first)
    near: dict[int, ExternalMatch] = field(default_factory=dict)  # sentence -> best
    documents: int = 0
    sentences: int = 0
    bytes: int = 0


def _scan_shard(shard: Shard, index: SentenceIndex) -> _ShardResult:
    settings = index.settings
    result = _ShardResult()
    size, threshold = settings.shingle_size, settings.threshold
    vocabulary, ngrams, shingle_keys, lengths = index.vocabulary, index.ngrams, index.shingle_keys, index.lengths
    unknown = len(vocabulary)
    base = unknown + 1
    # An indexed n-gram (from a test sentence of min_tokens or more) of at least `size` tokens starts
    # with one of the test split's windows, so only positions whose window is known need a look-up.
    starts_at_known_windows = bool(lengths) and lengths[0] >= size
    near_candidates: list[tuple[list[str], str, int]] = []

    def flush() -> None:
        if not near_candidates:
            return
        hash_sets = [sorted(set(shingle_hashes(shingles(tokens, size)))) for tokens, _, _ in near_candidates]
        signatures = minhash_signatures(hash_sets, num_perm=settings.num_perm, seed=settings.seed)
        rows = index.rows
        for (_, doc_id, offset), hashes, signature in zip(near_candidates, hash_sets, signatures, strict=True):
            found: set[int] = set()
            for band, table in enumerate(index.bands):
                found.update(table.get(signature[band * rows : (band + 1) * rows].tobytes(), ()))
            mine = frozenset(hashes)
            for number in sorted(found):
                theirs = index.shingle_sets[number]
                similarity = len(mine & theirs) / len(mine | theirs)
                best = result.near.get(number)
                if similarity >= threshold and (best is None or similarity > best.similarity):
                    result.near[number] = ExternalMatch(doc_id, offset, shard.path, similarity)
        near_candidates.clear()

    for doc_id, text in _documents(shard, settings):
        result.documents += 1
        result.bytes += len(text.encode("utf-8"))
        for match in _SENTENCE.finditer(text):
            tokens = canonical_tokens(match.group())
            if len(tokens) < settings.min_tokens:
                continue
            result.sentences += 1
            ids = [vocabulary.get(token, unknown) for token in tokens]
            windows = _window_keys(ids, size, base)
            known = [position for position, key in enumerate(windows) if key in shingle_keys]
            # Exact n-grams (none holds the unknown id). Every hit of a sentence counts, and all of them
            # share one first match, so the order of the look-ups does not matter.
            for start in known if starts_at_known_windows else range(len(ids)):
                for n in lengths:
                    if start + n > len(ids):
                        break
                    for number in ngrams.get(tuple(ids[start : start + n]), ()):
                        count, first = result.ngram.get(number, (0, None))
                        result.ngram[number] = (count + 1, first or ExternalMatch(doc_id, match.start(),
                                                                                  shard.path, 1.0))
            # Near duplicates: hash only sentences enough of whose shingles the test split has at all.
            if known and len({windows[position] for position in known}) >= threshold * len(set(windows)):
                near_candidates.append((tokens, doc_id, match.start()))
                if len(near_candidates) >= 4096:
                    flush()
    flush()
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentenceContamination:
    """A test sentence found in the external corpus."""

    split: str
    doc_id: str
    sentence: int
    text: str
    ngram_matches: int
    ngram_match: ExternalMatch | None
    near_match: ExternalMatch | None

    def to_dict(self) -> dict[str, Any]:
        def match(m: ExternalMatch | None) -> dict[str, Any] | None:
            return None if m is None else {"doc_id": m.doc_id, "offset": m.offset, "path": m.path,
                                           "similarity": round(m.similarity, 4)}

        return {"split": self.split, "doc_id": self.doc_id, "sentence": self.sentence, "text": self.text,
                "ngram_matches": self.ngram_matches, "ngram_match": match(self.ngram_match),
                "near_match": match(self.near_match)}


@dataclass(frozen=True, slots=True)
class ContaminationReport:
    """Per split: sentences checked, too short, with an n-gram match, with a near match, contaminated
    (either); per sentence: where it was found. ``external`` counts what was read."""

    version: dict[str, Any]
    settings: dict[str, Any]
    external: dict[str, Any]
    splits: dict[str, dict[str, Any]]
    sentences: tuple[SentenceContamination, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "settings": self.settings, "external": self.external,
                "splits": self.splits, "sentences": [s.to_dict() for s in self.sentences],
                "seconds": round(self.seconds, 3)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        ext = self.external
        lines = [f"contamination audit of {self.version.get('name')} {self.version.get('version')} against "
                 f"{ext['files']} file(s), {ext['documents']:,} documents, {ext['sentences']:,} sentences, "
                 f"{ext['bytes'] / 1e6:,.1f} MB in {ext['tasks']} task(s), {self.seconds:.1f}s",
                 f"  {self.settings['ngram']}-gram exact overlap and MinHash near duplicates "
                 f"(Jaccard >= {self.settings['threshold']})"]
        for split, counts in self.splits.items():
            lines.append(f"  {split:<10} {counts['contaminated']:>6} / {counts['sentences']} sentences "
                         f"({100 * counts['share']:.2f}%)  n-gram {counts['ngram']}  near {counts['near']}  "
                         f"too short {counts['short']}")
        for item in self.sentences[:20]:
            where = item.ngram_match or item.near_match
            assert where is not None
            lines.append(f"    {item.split} {item.doc_id}#{item.sentence} -> {where.doc_id} @{where.offset} "
                         f"({where.similarity:.2f}): {item.text[:60]}")
        if len(self.sentences) > 20:
            lines.append(f"    ... {len(self.sentences) - 20} more (--json lists all)")
        return "\n".join(lines)


def _read_version_sentences(version_dir: Path, splits: Sequence[str]) -> tuple[list[Any], dict[str, Any]]:
    """The sentences of a built version's splits, and its identity (one place to swap in another reader)."""
    return load_units(version_dir, "sentence", splits=splits)


def audit_against(version_dir: str | Path, against: Sequence[str | Path], *, splits: Sequence[str] = ("test",),
                  settings: ContaminationSettings | None = None,
                  engine: EngineSettings | None = None) -> ContaminationReport:
    """Check every sentence of ``splits`` of a built version against an external corpus.

    Parameters
    ----------
    version_dir : path
        A built version (``OUT/NAME/VERSION``).
    against : sequence of path
        JSONL (``.jsonl``/``.ndjson``), Parquet (``.parquet``) and plain text files, or folders of them.
    splits : sequence of str, default=("test",)
    settings : ContaminationSettings, optional
    engine : EngineSettings, optional
        Where the shards run (default: a local process pool, one worker per core).

    Raises
    ------
    InputError
        The version or a split is missing, an external file is missing or unreadable.
    """
    started = time.perf_counter()
    settings = settings or ContaminationSettings()
    from dataset_builder.progress import progress_step

    shown = engine is not None and engine.progress  # the engine's switch: its task bar follows
    with progress_step(f"audit: index of the {', '.join(splits)} sentences", enabled=shown):
        units, identity = _read_version_sentences(Path(version_dir), splits)
        index = build_index([unit.text for unit in units], settings)
    shards = external_shards(against, settings.shard_bytes)
    total = sum((s.stop or 0) - s.start for s in shards if isinstance(s, ByteRange))
    smaller = max(1 << 20, total // 64)
    if smaller < settings.shard_bytes:  # ~64 tasks at least: every core busy, whatever --jobs (so --resume works)
        shards = external_shards(against, smaller)
    try:
        results = run_tasks(shards, partial(_scan_shard, index=index), engine=engine, label="audit")
    except TaskFailed as exc:
        if isinstance(exc.error, InputError):  # bad external data: the problem itself, naming file and byte
            raise exc.error from None
        raise

    ngram: dict[int, tuple[int, ExternalMatch]] = {}
    near: dict[int, ExternalMatch] = {}
    for result in results:  # input order: the first match is the first in the external files' order
        for number, (count, first) in result.ngram.items():
            previous = ngram.get(number)
            ngram[number] = (count, first) if previous is None else (previous[0] + count, previous[1])
        for number, match in result.near.items():
            if number not in near or match.similarity > near[number].similarity:
                near[number] = match
    found = sorted(set(ngram) | set(near))
    sentences = tuple(
        SentenceContamination(units[i].split, units[i].doc_id, units[i].sentence or 0, units[i].text,
                              ngram.get(i, (0, None))[0], ngram.get(i, (0, None))[1], near.get(i))
        for i in found
    )
    per_split: dict[str, dict[str, Any]] = {}
    for number, unit in enumerate(units):
        counts = per_split.setdefault(unit.split, {"sentences": 0, "short": 0, "ngram": 0, "near": 0,
                                                   "contaminated": 0, "share": 0.0})
        counts["sentences"] += 1
        counts["short"] += not index.shingle_sets[number]
        counts["ngram"] += number in ngram
        counts["near"] += number in near
        counts["contaminated"] += number in ngram or number in near
    for counts in per_split.values():
        counts["share"] = counts["contaminated"] / counts["sentences"] if counts["sentences"] else 0.0
    bands, rows = lsh_parameters(settings.threshold, settings.num_perm)
    report_settings = {"ngram": settings.ngram, "min_ngram": settings.min_ngram, "threshold": settings.threshold,
                       "shingle_size": settings.shingle_size, "num_perm": settings.num_perm, "bands": bands,
                       "rows": rows, "seed": settings.seed, "min_tokens": settings.min_tokens,
                       "text_field": settings.text_field, "id_field": settings.id_field}
    external = {"files": len({s.path for s in shards}), "tasks": len(shards),
                "documents": sum(r.documents for r in results), "sentences": sum(r.sentences for r in results),
                "bytes": sum(r.bytes for r in results)}
    return ContaminationReport(identity, report_settings, external, per_split, sentences,
                               time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class ContaminationRequest:
    """What ``akhbar audit --against`` was asked: ``versions`` as given (exactly one is checked), the
    external files or folders, the splits, how sentences are compared (the
    :class:`ContaminationSettings` fields of the same names) and where the shards run (the
    :class:`~dataset_builder.engine.EngineSettings` fields of the same names)."""

    versions: tuple[Path, ...]
    against: tuple[Path, ...]
    splits: tuple[str, ...] = ("test",)
    threshold: float = 0.8
    shingle_size: int = 3
    min_tokens: int = 3
    text_field: str = "text"
    engine: str = "local"
    jobs: int | None = None
    ray_address: str | None = None
    work_dir: Path | None = None
    resume: bool = False
    progress: bool = True


def audit_against_request(request: ContaminationRequest) -> ContaminationReport:
    """:func:`audit_against` as ``akhbar audit --against`` asks for it.

    Raises
    ------
    InputError
        ``usage``: not exactly one version, an unknown engine, ``resume`` without a ``work_dir``, a
        threshold outside (0, 1]; and everything :func:`audit_against` raises.
    """
    if len(request.versions) != 1:
        raise InputError(Problem("usage", f"--against checks one version, not {len(request.versions)}.",
                                 "Pass one built version directory."))
    if request.work_dir is not None:
        require_path(request.work_dir, "folder", what="work folder (--work-dir)", missing_ok=True,
                     fix="Pass a folder for the completion markers (one every node can reach), not a file.")
    if not 0.0 < request.threshold <= 1.0:
        raise InputError(Problem("usage", f"--threshold {request.threshold} is not above 0 (and at most 1).",
                                 "Pass a similarity in (0, 1], e.g. --threshold 0.8."))
    settings = ContaminationSettings(threshold=request.threshold, shingle_size=request.shingle_size,
                                     min_tokens=request.min_tokens, text_field=request.text_field)
    engine = EngineSettings.from_command_line(request.engine, request.jobs, request.ray_address,
                                              work_dir=request.work_dir, resume=request.resume,
                                              progress=request.progress)
    return audit_against(request.versions[0], request.against, splits=request.splits, settings=settings,
                         engine=engine)
