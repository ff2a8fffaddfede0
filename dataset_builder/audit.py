"""Leakage audit: exact and near-duplicate sentences (or documents) across splits and datasets.

A model scored on a test sentence it saw in training is scored on memory, not on skill. Corpora
leak in three ways this module finds: the same text twice in one corpus (boilerplate, repeated
wire stories), a split that cuts an article in two, and two corpora that annotate the same text
(NewsFANE Gold re-annotates ANERcorp's news articles).

Comparable text
---------------
Corpora write the same sentence differently, so texts are compared on a *canonical token view*
(never stored; offsets and documents are untouched):

1. :func:`dataset_builder.text.normalize.normalize_text` with hamza carriers folded too: alef
   variants -> ا, ى -> ي, ة -> ه, ؤ -> و, ئ -> ي, diacritics, tatweel, bidi and zero-width
   marks deleted, Arabic-Indic digits -> ASCII. (ANERcorp keeps hamza forms; NewsFANE wrote them
   all as bare alef.) The lone hamza ء is deleted too: NewsFANE sometimes splits it off.
2. Words are the runs of letters and digits; punctuation is dropped (corpora split it differently).
3. Clitic tokens a segmenter split off are attached back: a lone proclitic (و ف ب ل ك) to the
   next word, a lone pronoun or inflection suffix (ه ها هم هما هن نا ني ي ت ن) to the previous
   one. NewsFANE's ``و الصحية``, ``علي نا``, ``ك ما``, ``لكن ن ي`` become ``والصحية``, ``علينا``,
   ``كما``, ``لكنني`` -- the surface words ANERcorp has.
4. Each word loses its proclitic chain (:func:`dataset_builder.text.clitics.split_proclitics`,
   article included): optional و/ف, then ب/ل/ك, then the article ال (and لل, ل + ال with the
   alef elided; NewsFANE's ``لال…`` is read as ``لل…``), when at least two letters remain. So
   ``والولايات``, ``بالولايات`` and ``الولايات`` are one word. This is a deterministic function
   of the word, the same on both sides, so it never hides a difference between two words that
   are written the same way.

Near duplicates
---------------
Each unit (sentence or document) becomes the set of its word n-grams (``shingle_size`` words;
a unit shorter than that is one shingle). MinHash signatures (``num_perm`` universal hash
functions ``(a*x + b) mod p`` over 32-bit shingle hashes, vectorized with numpy) go through
locality-sensitive hashing (``bands`` x ``rows``, chosen for the threshold like datasketch's
``MinHashLSH`` but weighted towards recall), so only units that share a band are ever compared:
no all-pairs step. Every candidate pair is then verified with the *exact* Jaccard similarity of
the two shingle sets; only pairs at or above ``threshold`` are reported. Units with the same
canonical token sequence are *exact* duplicates (similarity 1.0), grouped by hashing before LSH.

Why numpy and not ``datasketch``: the whole of MinHash is a few array operations here, fast
enough for the corpora we build (about a second for NewsFANE + ANERcorp), and it keeps the
dependency list short.

Figures
-------
:class:`AuditReport` gives, for every ordered pair of (dataset, split) locations, how many units
of the first have a match in the second and the distribution of their best similarity; the
*leakage* of a split is the share of its units with a match in another split of the same
dataset. ``akhbar audit`` prints it; a build refuses (or warns) when a recipe's
``audit: {max_leakage: ...}`` is exceeded (the build's audit stage,
:class:`dataset_builder.pipeline.AuditStage`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import regex

from dataset_builder.problems import InputError, Problem, Severity
from dataset_builder.text.clitics import FUSED_ARTICLE, PROCLITIC_LETTERS, SEGMENTED_FUSED_ARTICLE, split_proclitics
from dataset_builder.version_dir import VersionDir

if TYPE_CHECKING:
    import numpy as np

    from dataset_builder.engine import EngineSettings

__all__ = [
    "AuditPolicy",
    "AuditReport",
    "AuditUnit",
    "CanonicalShard",
    "Canonicalize",
    "DuplicatePair",
    "LeakageError",
    "UnitShard",
    "audit",
    "audit_units",
    "canonical_tokens",
    "find_duplicates",
    "load_units",
    "lsh_parameters",
    "minhash_signatures",
    "shingle_hashes",
    "shingles",
]

Level = Literal["sentence", "document"]
LEVELS: tuple[str, ...] = ("sentence", "document")
ACTIONS: tuple[str, ...] = ("refuse", "warn")

# ---------------------------------------------------------------------------------------------
# Canonical tokens
# ---------------------------------------------------------------------------------------------

_WORD = regex.compile(r"\p{L}+|\p{N}+")  # digits apart from letters: ANERcorp glues some (37الف)
_HAMZA = "\u0621"
_TEH_MARBUTA, _TEH, _ALEF_MAKSURA, _ALEF, _YEH, _HEH = "\u0629", "\u062a", "\u0649", "\u0627", "\u064a", "\u0647"
#: Lone tokens that belong to the next word: conjunctions, one-letter prepositions, and the alef
#: NewsFANE sometimes splits off a word's start (``ا حتلت``).
PROCLITIC_TOKENS = PROCLITIC_LETTERS | {"ا"}
#: Lone tokens that belong to the previous word: pronoun enclitics and split-off inflection
#: letters (NewsFANE writes كنت as ``كن ت`` and لكنني as ``لكن ن ي``). Independent words such as
#: كما, كم, هو, هي are deliberately absent.
ENCLITIC_TOKENS = frozenset({"ه", "ها", "هم", "هما", "هن", "نا", "ني", "ي", "ت", "ن"})
# NewsFANE's segmentation of ل + ال + word is لال…, of ال + word starting with ل is الال…
_SEGMENTED_ARTICLE = ((SEGMENTED_FUSED_ARTICLE, FUSED_ARTICLE), ("الال", "الل"))


def _normalize(text: str) -> str:
    """The matching normalization, except ة and ى, which :func:`canonical_tokens` folds after
    re-attaching suffixes (عودة + ه is عودته, not عودهه)."""
    from dataset_builder.text.normalize import CANONICAL, normalize_text

    return normalize_text(text, CANONICAL).replace(_HAMZA, "")


def _attach_suffix(word: str, suffix: str) -> str:
    if word.endswith(_TEH_MARBUTA):
        word = word[:-1] + _TEH  # مدينة + ها -> مدينتها
    elif word.endswith(_ALEF_MAKSURA):
        word = word[:-1] + _ALEF  # اسمى + ه -> اسماه
    return word + suffix


@lru_cache(maxsize=1 << 17)  # words repeat: news vocabulary is Zipfian
def _strip_proclitics(word: str) -> str:
    for segmented, surface in _SEGMENTED_ARTICLE:
        if word.startswith(segmented):
            word = surface + word[len(segmented) :]
    # A key, the same on both sides: the longest chain, article included, that leaves two letters
    # (ولد and بن stay whole), whether or not the word really carries it (لبنان -> بنان).
    _, stem = split_proclitics(word, article=True, min_stem=2)
    return stem.replace(_TEH_MARBUTA, _HEH).replace(_ALEF_MAKSURA, _YEH)


def canonical_tokens(text: str) -> list[str]:
    """The clitic-insensitive word sequence two corpora's versions of one text share.

    See the module documentation for each step.

    Examples
    --------
    >>> canonical_tokens("والولايات المتحدة") == canonical_tokens("و الولايات المتحدة")
    True
    >>> canonical_tokens("علي نا ان نقول ك ما قال عودة ه") == canonical_tokens("علينا أن نقول، كما قال عودته")
    True
    """
    words = _WORD.findall(_normalize(text))
    merged: list[str] = []
    pending = ""
    for word in words:
        if word in PROCLITIC_TOKENS:
            pending += word
            continue
        if word in ENCLITIC_TOKENS and merged and not pending:
            merged[-1] = _attach_suffix(merged[-1], word)
            continue
        merged.append(pending + word)
        pending = ""
    if pending:
        merged.append(pending)
    return [_strip_proclitics(word) for word in merged]


def shingles(tokens: Sequence[str], size: int) -> set[str]:
    """Word n-grams of ``size`` tokens, joined by a space; a shorter sequence is one shingle."""
    if not tokens:
        return set()
    if len(tokens) <= size:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


# ---------------------------------------------------------------------------------------------
# MinHash + LSH
# ---------------------------------------------------------------------------------------------

_PRIME = (1 << 32) - 5  # largest prime below 2**32: a*x + b stays below 2**64 in uint64


def shingle_hashes(items: Iterable[str]) -> list[int]:
    """32-bit hashes (blake2b) of shingles: the same on every run and in every process."""
    return [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little") for s in items]


def minhash_signatures(hash_sets: Sequence[Sequence[int]], *, num_perm: int = 128, seed: int = 1,
                       chunk: int = 1 << 16) -> np.ndarray:
    """MinHash signatures of sets of 32-bit hashes, shape ``(len(hash_sets), num_perm)``.

    Permutation ``i`` is ``x -> (a_i * x + b_i) mod p`` with ``p = 2**32 - 5`` and ``a_i, b_i``
    drawn from ``numpy.random.default_rng(seed)``; the signature is the minimum over the set.
    Every set must be non-empty.
    """
    import numpy as np

    if any(len(s) == 0 for s in hash_sets):
        raise ValueError("every set needs at least one shingle; leave empty units out before hashing.")
    rng = np.random.default_rng(seed)
    a = rng.integers(1, _PRIME, size=num_perm, dtype=np.uint64)[:, None]
    b = rng.integers(0, _PRIME, size=num_perm, dtype=np.uint64)[:, None]
    signatures = np.empty((len(hash_sets), num_perm), dtype=np.uint32)
    start = 0
    while start < len(hash_sets):
        # A block of whole sets, about `chunk` shingles: bounded memory (num_perm x chunk x 8 bytes).
        stop, size = start, 0
        while stop < len(hash_sets) and (size < chunk or stop == start):
            size += len(hash_sets[stop])
            stop += 1
        lengths = np.fromiter((len(s) for s in hash_sets[start:stop]), dtype=np.int64, count=stop - start)
        values = np.fromiter((h for s in hash_sets[start:stop] for h in s), dtype=np.uint64, count=size)
        permuted = (a * values[None, :] + b) % np.uint64(_PRIME)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        signatures[start:stop] = np.minimum.reduceat(permuted, offsets, axis=1).T
        start = stop
    return signatures


def _false_rates(threshold: float, bands: int, rows: int) -> tuple[float, float]:
    import numpy as np

    def probability(s: np.ndarray) -> np.ndarray:
        return 1.0 - (1.0 - s**rows) ** bands

    below = np.linspace(0.0, threshold, 201)
    above = np.linspace(threshold, 1.0, 201)
    false_positive = float(np.trapezoid(probability(below), below))
    false_negative = float(np.trapezoid(1.0 - probability(above), above))
    return false_positive, false_negative


def lsh_parameters(threshold: float, num_perm: int, *, false_negative_weight: float = 0.95) -> tuple[int, int]:
    """``(bands, rows)`` minimizing the weighted false positive/negative areas, as datasketch does.

    The weight leans towards recall: false positives cost only an exact Jaccard check each.
    """
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp, fn = _false_rates(threshold, bands, rows)
            error = (1 - false_negative_weight) * fp + false_negative_weight * fn
            if best is None or error < best[0]:
                best = (error, bands, rows)
    assert best is not None
    return best[1], best[2]


def _lsh_candidates(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of rows that agree on all ``rows`` values of at least one band."""
    import numpy as np

    pairs: list[np.ndarray] = []
    n = signatures.shape[0]
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        shared = counts[inverse] > 1
        if not shared.any():
            continue
        members = np.flatnonzero(shared)
        order = np.argsort(inverse[members], kind="stable")
        members = members[order]
        groups = inverse[members]
        bounds = np.flatnonzero(np.diff(groups)) + 1
        for group in np.split(members, bounds):
            i, j = np.triu_indices(len(group), k=1)
            pairs.append(group[i] * n + group[j])
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    unique = np.unique(np.concatenate(pairs))
    return np.stack((unique // n, unique % n), axis=1)


# ---------------------------------------------------------------------------------------------
# Units, duplicates, report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditUnit:
    """One sentence (``sentence`` >= 0) or one whole document (``sentence`` is None) to compare."""

    dataset: str
    split: str
    doc_id: str
    text: str
    sentence: int | None = None

    @property
    def location(self) -> str:
        """``dataset/split``: where the unit is, for per-split counts."""
        return f"{self.dataset}/{self.split}"

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"dataset": self.dataset, "split": self.split, "doc_id": self.doc_id}
        if self.sentence is not None:
            record["sentence"] = self.sentence
        record["text"] = self.text
        return record


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two units whose canonical shingle sets have Jaccard similarity >= the threshold."""

    a: int
    b: int
    similarity: float
    exact: bool


@dataclass(frozen=True, slots=True)
class DuplicateIndex:
    """The result of :func:`find_duplicates` over a list of units.

    ``groups[k]`` lists the units whose canonical token sequence is key ``k``; ``near`` links two
    keys with their exact Jaccard similarity; ``short`` lists units left out (fewer canonical
    tokens than ``min_tokens``).
    """

    units: tuple[AuditUnit, ...]
    groups: tuple[tuple[int, ...], ...]
    near: tuple[tuple[int, int, float], ...]
    short: tuple[int, ...]
    candidates: int
    bands: int
    rows: int

    def pairs(self) -> Iterator[DuplicatePair]:
        """Every duplicate pair of units, exact ones first (a group of k yields k(k-1)/2 pairs)."""
        for members in self.groups:
            for x, first in enumerate(members):
                for second in members[x + 1 :]:
                    yield DuplicatePair(first, second, 1.0, True)
        for k1, k2, similarity in self.near:
            for first in self.groups[k1]:
                for second in self.groups[k2]:
                    yield DuplicatePair(min(first, second), max(first, second), similarity, False)


#: Units per engine task: enough work (~0.3 s) to hide a task's hand-over, small enough to keep every worker
#: busy on a corpus of a few thousand sentences. The report does not depend on it.
UNITS_PER_TASK = 1000


@dataclass(frozen=True, slots=True)
class UnitShard:
    """A task of the audit: the texts of units ``start, start + 1, ...`` of the audited list."""

    start: int
    texts: tuple[str, ...]

    @property
    def key(self) -> str:
        """The completion marker's name: the position and a digest of the texts (other units, other key)."""
        digest = hashlib.blake2b(digest_size=8)
        for text in self.texts:
            digest.update(text.encode("utf-8") + b"\0")
        return f"units-{self.start:09d}-{len(self.texts)}-{digest.hexdigest()}"

    def describe(self) -> str:
        return f"units {self.start}:{self.start + len(self.texts)}"


@dataclass(frozen=True, slots=True)
class CanonicalShard:
    """What a task sends back: per unit, the index of its canonical token sequence among the task's
    distinct ``sequences`` (-1: fewer than ``min_tokens`` tokens), and per sequence its sorted shingle
    hashes and MinHash signature (None when only exact duplicates are wanted).

    Compact, because the driver unpickles every task's result: a sequence is its tokens joined by spaces
    (canonical tokens are runs of letters or digits, so the join is one-to-one), and the hash sets are one
    ``uint32`` array, sequence ``i``'s hashes at ``hashes[offsets[i]:offsets[i + 1]]``."""

    unit_sequence: tuple[int, ...]
    sequences: tuple[str, ...]
    hashes: np.ndarray
    offsets: np.ndarray
    signatures: np.ndarray | None

    def hash_set(self, sequence: int) -> np.ndarray:
        return self.hashes[self.offsets[sequence] : self.offsets[sequence + 1]]


@dataclass(frozen=True, slots=True)
class Canonicalize:
    """The per-unit work of :func:`find_duplicates` on one :class:`UnitShard` (shipped to each worker once):
    canonical tokens, shingle hashes and MinHash signatures, each a function of the unit alone."""

    shingle_size: int = 3
    num_perm: int = 128
    seed: int = 1
    min_tokens: int = 3
    signatures: bool = True

    def __call__(self, shard: UnitShard) -> CanonicalShard:
        import numpy as np

        distinct: dict[tuple[str, ...], int] = {}
        unit_sequence: list[int] = []
        for text in shard.texts:
            tokens = tuple(canonical_tokens(text))
            unit_sequence.append(-1 if len(tokens) < self.min_tokens else distinct.setdefault(tokens, len(distinct)))
        hash_sets = [sorted(set(shingle_hashes(shingles(tokens, self.shingle_size)))) for tokens in distinct]
        signatures = None
        if self.signatures and hash_sets:
            signatures = minhash_signatures(hash_sets, num_perm=self.num_perm, seed=self.seed)
        offsets = np.zeros(len(hash_sets) + 1, dtype=np.int64)
        np.cumsum([len(h) for h in hash_sets], out=offsets[1:])
        hashes = np.fromiter((h for hashes in hash_sets for h in hashes), dtype=np.uint32, count=int(offsets[-1]))
        return CanonicalShard(tuple(unit_sequence), tuple(" ".join(tokens) for tokens in distinct), hashes, offsets,
                              signatures)


def find_duplicates(units: Sequence[AuditUnit], *, threshold: float = 0.8, shingle_size: int = 3,
                    num_perm: int = 128, seed: int = 1, min_tokens: int = 3,
                    engine: EngineSettings | None = None) -> DuplicateIndex:
    """Exact and near-duplicate units (see the module documentation for the method).

    The per-unit work (canonical tokens, shingles, MinHash signatures) runs in tasks of
    :data:`UNITS_PER_TASK` units on ``engine``; the LSH candidates and their exact verification run once,
    here, on the merged tasks. The result is the same for any engine and number of workers.

    Parameters
    ----------
    units : sequence of AuditUnit
    threshold : float, default=0.8
        Minimum exact Jaccard similarity of two units' shingle sets, in ``(0, 1]``.
    shingle_size : int, default=3
        Words per shingle.
    num_perm : int, default=128
        MinHash permutations.
    seed : int, default=1
        Seeds the permutations (results are the same on every run with the same seed).
    min_tokens : int, default=3
        Units with fewer canonical tokens are left out (a lone "." or "شكرا" repeated is not leakage).
    engine : EngineSettings, optional
        Where the tasks run (default: a local process pool, one worker per core; one task runs here).

    Returns
    -------
    DuplicateIndex
    """
    import numpy as np

    from dataset_builder.engine import run_tasks

    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    shards = [UnitShard(start, tuple(unit.text for unit in units[start : start + UNITS_PER_TASK]))
              for start in range(0, len(units), UNITS_PER_TASK)]
    work = Canonicalize(shingle_size, num_perm, seed, min_tokens, signatures=threshold < 1.0)
    results = run_tasks(shards, work, engine=engine, label="audit")
    # The merge, in unit order: a sequence's key, hashes and signature come from its first unit (the same
    # values in every task: each is a function of the sequence).
    keys: dict[str, int] = {}
    members: list[list[int]] = []
    short: list[int] = []
    hash_sets: list[np.ndarray] = []
    signature_rows: list[np.ndarray] = []
    for shard, result in zip(shards, results, strict=True):
        for offset, local in enumerate(result.unit_sequence):
            if local < 0:
                short.append(shard.start + offset)
                continue
            key = keys.setdefault(result.sequences[local], len(keys))
            if key == len(members):
                members.append([])
                hash_sets.append(result.hash_set(local))
                if result.signatures is not None:
                    signature_rows.append(result.signatures[local])
            members[key].append(shard.start + offset)
    near: list[tuple[int, int, float]] = []
    candidates = 0
    bands, rows = lsh_parameters(threshold, num_perm)
    if threshold < 1.0 and len(keys) > 1:
        pairs = _lsh_candidates(np.stack(signature_rows), bands, rows)
        candidates = len(pairs)
        sets: dict[int, frozenset[int]] = {}  # only the candidates' sets are ever compared
        for k1, k2 in pairs.tolist():
            first = sets.get(k1) or sets.setdefault(k1, frozenset(hash_sets[k1].tolist()))
            second = sets.get(k2) or sets.setdefault(k2, frozenset(hash_sets[k2].tolist()))
            similarity = len(first & second) / len(first | second)
            if similarity >= threshold:
                near.append((k1, k2, similarity))
    return DuplicateIndex(tuple(units), tuple(tuple(m) for m in members), tuple(near), tuple(short),
                          candidates, bands, rows)


def _histogram(values: Sequence[float], threshold: float) -> dict[str, int]:
    """Counts in bins of 0.05 from the threshold up, and ``1.0`` for exact matches."""
    edges: list[float] = []
    edge = threshold
    while edge < 1.0 - 1e-9:
        edges.append(edge)
        edge = round(edge + 0.05, 10)
    bins: Counter[str] = Counter()
    for value in values:
        if value >= 1.0:
            bins["1.0"] += 1
            continue
        low = max(e for e in edges if e <= value + 1e-12) if edges else threshold
        high = min(round(low + 0.05, 10), 1.0)
        bins[f"[{low:.2f}, {high:.2f})"] += 1
    return dict(sorted(bins.items()))


@dataclass(frozen=True, slots=True)
class LocationMatch:
    """How many units of ``source`` have at least one duplicate in ``target``, and how close."""

    source: str
    target: str
    units: int
    matched: int
    exact: int
    best_similarities: tuple[float, ...] = field(repr=False)

    @property
    def fraction(self) -> float:
        return self.matched / self.units if self.units else 0.0

    def to_dict(self, threshold: float) -> dict[str, Any]:
        import numpy as np

        sims = np.asarray(self.best_similarities) if self.best_similarities else None
        return {
            "from": self.source,
            "to": self.target,
            "units": self.units,
            "with_match": self.matched,
            "fraction": round(self.fraction, 6),
            "exact": self.exact,
            "similarity": None if sims is None else {
                "min": round(float(sims.min()), 4),
                "median": round(float(np.median(sims)), 4),
                "mean": round(float(sims.mean()), 4),
                "histogram": _histogram(self.best_similarities, threshold),
            },
        }


@dataclass(slots=True)
class AuditReport:
    """What :func:`audit` found. ``to_dict()`` is the ``--json`` output; ``to_text()`` the summary.

    Attributes
    ----------
    settings : dict
        Level, threshold, shingle size, MinHash/LSH parameters, normalization.
    datasets : list of dict
        Name, version, fingerprint and path of each audited dataset.
    units : dict of str to int
        Units compared per ``dataset/split`` (after leaving out short ones).
    short : dict of str to int
        Units left out per location (fewer than ``min_tokens`` canonical tokens).
    matches : list of LocationMatch
        One per ordered pair of locations with at least one match (a location with itself counts:
        duplicates inside one split), plus ``dataset/split -> other/*``: units with a match anywhere
        in another dataset.
    pairs : list of (AuditUnit, AuditUnit, similarity, exact)
        Duplicate pairs, exact first then by decreasing similarity; at most ``max_pairs``.
    n_pairs : int
        All duplicate pairs found (``len(pairs)`` may be smaller).
    seconds : float
        Wall time of loading and comparing.
    """

    settings: dict[str, Any]
    datasets: list[dict[str, Any]]
    units: dict[str, int]
    short: dict[str, int]
    matches: list[LocationMatch]
    pairs: list[tuple[AuditUnit, AuditUnit, float, bool]]
    n_pairs: int
    candidates: int
    seconds: float = 0.0

    def match(self, source: str, target: str) -> LocationMatch | None:
        """The match figures of ``source`` units in ``target`` (``dataset/split`` strings)."""
        return next((m for m in self.matches if m.source == source and m.target == target), None)

    def leakage(self) -> dict[str, dict[str, float]]:
        """Per dataset and split: the share of the split's units with a duplicate in another split
        of the same dataset."""
        result: dict[str, dict[str, float]] = {}
        for dataset in self.datasets:
            name = dataset["name"]
            splits = [loc.split("/", 1)[1] for loc in self.units if loc.split("/", 1)[0] == name]
            per_split: dict[str, float] = {}
            for split in splits:
                source = f"{name}/{split}"
                per_split[split] = self._matched_elsewhere(source, {f"{name}/{s}" for s in splits if s != split})
            result[name] = per_split
        return result

    def _matched_elsewhere(self, source: str, targets: set[str]) -> float:
        total = self.units.get(source, 0)
        if not total or not targets:
            return 0.0
        matched = self._matched_sets.get(source, {})
        units: set[int] = set()
        for target in targets:
            units |= matched.get(target, set())
        return len(units) / total

    # unit indices of `source` matched in `target`; filled by `audit_units`
    _matched_sets: dict[str, dict[str, set[int]]] = field(default_factory=dict, repr=False)

    def max_leakage(self, dataset: str | None = None) -> float:
        """The largest split leakage (of one dataset, or of all)."""
        values = [v for name, splits in self.leakage().items() if dataset in (None, name) for v in splits.values()]
        return max(values, default=0.0)

    def to_dict(self, *, timing: bool = True) -> dict[str, Any]:
        """The report as JSON data; ``timing=False`` leaves out ``seconds`` (wall-clock time), as the
        ``audit.json`` of a version does, so equal builds give equal bytes."""
        threshold = float(self.settings["threshold"])
        return {
            "settings": self.settings,
            "datasets": self.datasets,
            "units": self.units,
            "short_units_left_out": self.short,
            "leakage": {name: {split: round(v, 6) for split, v in splits.items()}
                        for name, splits in self.leakage().items()},
            "matches": [m.to_dict(threshold) for m in self.matches],
            "lsh_candidates": self.candidates,
            "pairs_found": self.n_pairs,
            "pairs": [
                {"similarity": round(sim, 4), "exact": exact, "a": a.to_dict(), "b": b.to_dict()}
                for a, b, sim, exact in self.pairs
            ],
        } | ({"seconds": round(self.seconds, 3)} if timing else {})

    def to_json(self, *, timing: bool = True) -> str:
        return json.dumps(self.to_dict(timing=timing), ensure_ascii=False, indent=2)

    def to_text(self, *, examples: int = 10) -> str:
        s = self.settings
        lines = [
            f"audit: {s['level']}s, Jaccard >= {s['threshold']} on {s['shingle_size']}-word shingles of canonical "
            f"tokens (MinHash {s['num_perm']}, LSH {s['bands']}x{s['rows']}); {self.seconds:.2f} s",
        ]
        for dataset in self.datasets:
            lines.append(f"  {dataset['name']} {dataset.get('version') or ''}".rstrip())
        lines.append("  units compared" + "".join(f"\n    {loc:<32} {n}" for loc, n in self.units.items()))
        left_out = {loc: n for loc, n in self.short.items() if n}
        if left_out:
            lines.append(f"  left out (< {s['min_tokens']} tokens): "
                         + ", ".join(f"{loc} {n}" for loc, n in left_out.items()))
        lines.append("  units with a duplicate (from -> in: matched/units, exact, best similarity median)")
        for m in self.matches:
            median = sorted(m.best_similarities)[len(m.best_similarities) // 2] if m.best_similarities else 0.0
            lines.append(f"    {m.source} -> {m.target}: {m.matched}/{m.units} ({100 * m.fraction:.1f}%), "
                         f"{m.exact} exact, median {median:.2f}")
        lines.append("  leakage (share of a split's units with a duplicate in another split)")
        for name, splits in self.leakage().items():
            shown = ", ".join(f"{split} {100 * v:.2f}%" for split, v in splits.items())
            lines.append(f"    {name}: {shown or 'one split only'}")
        lines.append(f"  {self.n_pairs} duplicate pair(s) ({self.candidates} LSH candidates checked)")
        for a, b, sim, exact in self.pairs[:examples]:
            kind = "exact" if exact else f"{sim:.2f}"
            lines.append(f"    [{kind}] {a.location} {a.doc_id}#{a.sentence} ~ {b.location} {b.doc_id}#{b.sentence}: "
                         f"{_clip(a.text)}")
        return "\n".join(lines)

    def check(self, policy: AuditPolicy, dataset: str | None = None) -> Problem | None:
        """A problem when the leakage is above ``policy.max_leakage`` (ERROR to refuse, WARNING to warn)."""
        worst = self.max_leakage(dataset)
        if worst <= policy.max_leakage:
            return None
        leakage = self.leakage()
        detail = "; ".join(f"{name}: " + ", ".join(f"{split} {100 * v:.2f}%" for split, v in splits.items())
                           for name, splits in leakage.items() if dataset in (None, name))
        return Problem(
            "leakage",
            f"{100 * worst:.2f}% of a split's {self.settings['level']}s have a duplicate (Jaccard >= "
            f"{self.settings['threshold']}) in another split, above the allowed {100 * policy.max_leakage:.2f}% "
            f"({detail}).",
            "Run `akhbar audit` on the version to see the pairs; split by larger contiguous blocks, remove the "
            "duplicates, or raise `audit.max_leakage` in the recipe if they are known boilerplate.",
            severity=Severity.ERROR if policy.action == "refuse" else Severity.WARNING,
        )


def _clip(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def audit_units(units: Sequence[AuditUnit], *, threshold: float = 0.8, level: Level = "sentence",
                shingle_size: int = 3, num_perm: int = 128, seed: int = 1, min_tokens: int = 3,
                max_pairs: int = 1000, datasets: Sequence[Mapping[str, Any]] = (),
                engine: EngineSettings | None = None) -> AuditReport:
    """Audit units already loaded (see :func:`audit` for the parameters)."""
    started = time.perf_counter()
    index = find_duplicates(units, threshold=threshold, shingle_size=shingle_size, num_perm=num_perm, seed=seed,
                            min_tokens=min_tokens, engine=engine)
    locations = list(dict.fromkeys(u.location for u in units))
    counted = Counter(units[i].location for group in index.groups for i in group)
    short = Counter(units[i].location for i in index.short)

    # For every unit: its best similarity per target location (exact group members and near keys).
    neighbours: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for k1, k2, similarity in index.near:
        neighbours[k1].append((k2, similarity))
        neighbours[k2].append((k1, similarity))
    best: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    exact_hits: dict[tuple[str, str], set[int]] = defaultdict(set)
    for key, members in enumerate(index.groups):
        here = Counter(units[i].location for i in members)
        near_best: dict[str, float] = {}
        for other, similarity in neighbours.get(key, ()):
            for j in index.groups[other]:
                loc = units[j].location
                near_best[loc] = max(near_best.get(loc, 0.0), similarity)
        for i in members:
            source = units[i].location
            for target, count in here.items():
                if count - (target == source) > 0:
                    best[(source, target)][i] = 1.0
                    exact_hits[(source, target)].add(i)
            for target, similarity in near_best.items():
                if best[(source, target)].get(i, 0.0) < similarity:
                    best[(source, target)][i] = similarity
            # Against another dataset as a whole (`name/*`): is this text anywhere in it?
            source_dataset = units[i].dataset
            for (src, target), found in list(best.items()):
                if src == source and i in found:
                    other = target.split("/", 1)[0]
                    if other != source_dataset:
                        whole = best[(source, f"{other}/*")]
                        whole[i] = max(whole.get(i, 0.0), found[i])
                        if i in exact_hits[(source, target)]:
                            exact_hits[(source, f"{other}/*")].add(i)
    targets = locations + [f"{name}/*" for name in dict.fromkeys(u.dataset for u in units)]
    matches = [
        LocationMatch(source, target, counted[source], len(best[(source, target)]),
                      len(exact_hits[(source, target)]), tuple(sorted(best[(source, target)].values())))
        for source in locations for target in targets if best.get((source, target))
    ]
    all_pairs = index.pairs()
    pairs: list[tuple[AuditUnit, AuditUnit, float, bool]] = []
    n_pairs = 0
    for pair in all_pairs:
        n_pairs += 1
        pairs.append((units[pair.a], units[pair.b], pair.similarity, pair.exact))
    pairs.sort(key=lambda p: (not p[3], -p[2], p[0].location != p[1].location))
    # Cross-location pairs are the interesting ones: list them before pairs inside one split.
    pairs.sort(key=lambda p: p[0].location == p[1].location)
    report = AuditReport(
        settings={
            "level": level, "threshold": threshold, "shingle_size": shingle_size, "num_perm": num_perm,
            "bands": index.bands, "rows": index.rows, "seed": seed, "min_tokens": min_tokens,
            "normalization": "normalize_text(hamza=True), ء deleted, words = letter/digit runs, lone clitic "
                             "tokens attached back, proclitic chain (و ف + ب ل ك + ال/لل) stripped",
        },
        datasets=[dict(d) for d in datasets] or [{"name": n} for n in dict.fromkeys(u.dataset for u in units)],
        units={loc: counted.get(loc, 0) for loc in locations},
        short={loc: short.get(loc, 0) for loc in locations},
        matches=matches,
        pairs=pairs[:max_pairs],
        n_pairs=n_pairs,
        candidates=index.candidates,
    )
    report._matched_sets = {}
    for (source, target), found in best.items():
        report._matched_sets.setdefault(source, {})[target] = set(found)
    report.seconds = time.perf_counter() - started
    return report


def load_units(version_dir: str | Path, level: Level = "sentence", *, name: str | None = None,
               splits: Sequence[str] | None = None) -> tuple[list[AuditUnit], dict[str, Any]]:
    """Sentences (from the ``tokens`` config) or documents (``documents`` config) of a built version.

    Returns the units and the dataset's identity (name, version, fingerprint, path) from its manifest.

    Raises
    ------
    InputError
        When the folder is not a built version, or a requested split is missing.
    """
    import pyarrow as pa

    version = VersionDir.open(version_dir)
    identity = {"name": name or version.name, "version": version.version, "fingerprint": version.fingerprint,
                "path": str(version.path)}
    config = "tokens" if level == "sentence" else "documents"
    available = version.splits(config)
    wanted = list(splits) if splits else available
    missing = [s for s in wanted if s not in available]
    if missing:
        raise InputError(Problem("audit-split-missing", f"split(s) {missing} are not in this version "
                                 f"(it has {available}).", "Choose splits the version has.", path=str(version.path)))
    units: list[AuditUnit] = []
    columns = ["doc_id", "sentence_index", "tokens"] if level == "sentence" else ["id", "text"]
    for split in wanted:
        shards = version.data_files(config, split)
        if not shards:  # a split without data would silently audit as clean
            raise InputError(Problem("not-a-version", f"split {split!r} of the {config} config has no data files "
                                     f"({config}/{split}/state.json lists none).", "Rebuild the version with "
                                     "`akhbar build --force`.", path=str(version.path)))
        for shard in shards:
            with pa.memory_map(str(shard)) as source:
                table = pa.ipc.open_stream(source).read_all().select(columns)
            if level == "sentence":
                for doc_id, index, tokens in zip(*(table.column(c).to_pylist() for c in columns), strict=True):
                    units.append(AuditUnit(identity["name"], split, doc_id, " ".join(tokens), index))
            else:
                for doc_id, text in zip(*(table.column(c).to_pylist() for c in columns), strict=True):
                    units.append(AuditUnit(identity["name"], split, doc_id, text))
    return units, identity


def audit(version_dirs: Sequence[str | Path], *, level: Level = "sentence", threshold: float = 0.8,
          shingle_size: int = 3, num_perm: int = 128, seed: int = 1, min_tokens: int = 3,
          max_pairs: int = 1000, engine: EngineSettings | None = None, progress: bool = True) -> AuditReport:
    """Exact and near-duplicate units across the splits of one or more built datasets.

    Parameters
    ----------
    version_dirs : sequence of path
        Built versions (``OUT/NAME/VERSION``). Two with the same name are told apart as
        ``name@version``.
    level : {"sentence", "document"}, default="sentence"
        Compare sentences (rows of the ``tokens`` config) or whole documents.
    threshold : float, default=0.8
        Minimum Jaccard similarity of shingle sets for a near duplicate.
    shingle_size, num_perm, seed, min_tokens :
        See :func:`find_duplicates`.
    max_pairs : int, default=1000
        Pairs kept in the report (all are counted).
    engine : EngineSettings, optional
        Where the per-unit work runs (:func:`find_duplicates`): ``jobs``, ``engine`` (``local`` or
        ``ray``), ``ray_address``. Default: a local process pool, one worker per core. The report is the
        same for every setting.
    progress : bool, default=True
        Progress on stderr (:mod:`dataset_builder.progress`): the versions loaded, then one line for
        finding the duplicates.

    Returns
    -------
    AuditReport
    """
    from dataset_builder.progress import progress_bar, progress_step

    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    started = time.perf_counter()
    units: list[AuditUnit] = []
    identities: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    for version_dir in progress_bar(list(version_dirs), desc=f"audit: loading {level}s", unit="version",
                                    enabled=progress):
        name = VersionDir.open(version_dir).name
        label = name
        if name is not None and seen[name]:
            label = f"{name}@{Path(version_dir).name}"
        loaded, identity = load_units(version_dir, level, name=label)
        if name is not None:
            seen[name] += 1
        units.extend(loaded)
        identities.append(identity)
    with progress_step(f"audit: duplicates among {len(units)} {level}s", enabled=progress):
        report = audit_units(units, threshold=threshold, level=level, shingle_size=shingle_size, num_perm=num_perm,
                             seed=seed, min_tokens=min_tokens, max_pairs=max_pairs, datasets=identities,
                             engine=engine)
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------------------------------
# Build policy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditPolicy:
    """A build's leakage check: audit the new version's splits before publishing it.

    Attributes
    ----------
    max_leakage : float
        Largest allowed share of a split's units with a duplicate in another split (0.0: none).
    action : {"refuse", "warn"}
        ``refuse`` aborts the build (nothing is published); ``warn`` publishes and reports.
    threshold, level, min_tokens :
        As for :func:`audit`.
    """

    max_leakage: float = 0.0
    action: str = "refuse"
    threshold: float = 0.8
    level: str = "sentence"
    min_tokens: int = 3

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_leakage <= 1.0:
            raise ValueError(f"max_leakage must be a share in [0, 1], not {self.max_leakage}")
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {self.action!r}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {self.level!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditPolicy:
        unknown = sorted(set(data) - {"max_leakage", "action", "threshold", "level", "min_tokens"})
        if unknown:
            raise ValueError(f"unknown key(s) {unknown}")
        try:
            return cls(max_leakage=float(data.get("max_leakage", 0.0)), action=str(data.get("action", "refuse")),
                       threshold=float(data.get("threshold", 0.8)), level=str(data.get("level", "sentence")),
                       min_tokens=int(data.get("min_tokens", 3)))
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None


class LeakageError(InputError):
    """A build refused because cross-split leakage is above the recipe's ``max_leakage``."""

    #: The audit that refused the build (what ``audit.json`` would have held).
    report: AuditReport | None = None
