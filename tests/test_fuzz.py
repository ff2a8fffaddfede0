"""Seeded mutation fuzzing of every reader and of ``akhbar eval``'s predictions formats.

Each case mutates a real input (the bundled corpus, the fixtures) and asserts one of two outcomes:
a clean read, or problems that name their file (an :class:`InputError` for a file refused as a
whole). Any other exception fails the test with the seed and the case that produced it. Some cases
run a whole build and check that every record read is written or rejected, for documents, spans
and links.

``AKHBAR_FUZZ_CASES`` (default 900) and ``AKHBAR_FUZZ_SEED`` (default 13) scale a run; the longer
run recorded in ``docs/reliability.md`` used ``AKHBAR_FUZZ_CASES=20000``.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataset_builder.config import BuildConfig
from dataset_builder.pipeline import build, validate_inputs
from dataset_builder.problems import InputError
from dataset_builder.readers.jsonl import read_jsonl
from dataset_builder.schema import load_schema
from eval.evaluate import evaluate
from eval.options import NO_INTERVALS
from eval.predictions import load_predictions

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_PREDICTIONS = SANA / "predictions"  # the shipped example outputs
CASES = int(os.environ.get("AKHBAR_FUZZ_CASES", "900"))
SEED = int(os.environ.get("AKHBAR_FUZZ_SEED", "13"))
SCHEMA = load_schema(SANA / "schema.yaml")
GOLD = list(read_jsonl(SANA / "sana-sample.jsonl"))
GOLD_BY_ID = {doc.id: doc for doc in GOLD}

# Byte strings that broke, or could break, a reader: escapes, huge numbers, deep nesting, control
# characters, pseudo-tokens, brat lines of every kind, encodings.
NASTY = [b"\\ud800", b"[" * 700, b"9" * 5000, b"99999999999999999999999", b"-1", b"null", b"true", b"{}",
         b'"speaker"', b"\x00", b"\t", b"   ", "\u064b".encode(), b"$#$", b"a" * 200_000, b"\r\n",
         b"\xef\xbb\xbf", b"\xff", b'"\\ud800"', b"\n", b"\n\n", b'"spans": [], ', b"R1\tX\n", b"R2\t\n",
         b"A1\tNeg T1\n", b"#1\tAnnotatorNotes T1\tx\n", b"T9\tPERS 99999999999999999999999 3\tx\n",
         b"*\tAlias T1 T2\n", b"E1\tX:T1\n", b"-DOCSTART- O\n", b" B-PERS", b"\xd9", "\u2028".encode()]
# JSON values put in place of any field of a decoded record.
VALUES: list[Any] = [None, True, 5, -1, 10**30, -(10**20), 2**63, "speaker", "\ud800", "", "x" * 50, 1.5, [], {},
                     [[1, 2]], [5], {"a": [1]}, "__DEEP50__", "__DEEP600__", "__DEEP3000__"]


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        position = rng.randrange(len(out) + 1)
        roll = rng.random()
        if roll < 0.4:
            out[position:position] = rng.choice(NASTY)
        elif roll < 0.6 and out:
            del out[position:position + rng.randint(1, 50)]
        elif roll < 0.8 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        else:
            out[position:position] = out[position:position + rng.randint(1, 200)]
    return bytes(out)


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if len(path) < 12:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            found += _paths(child, (*path, key))
    return found


def _mutate_json(value: Any, rng: random.Random) -> Any:
    value = copy.deepcopy(value)
    for _ in range(rng.randint(1, 3)):
        paths = [path for path in _paths(value) if path]
        if not paths:
            break
        path = rng.choice(paths)
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, list) and rng.random() < 0.2:
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))  # a duplicate record
        elif isinstance(parent, dict) and rng.random() < 0.1:
            parent[path[-1] + "x" if isinstance(path[-1], str) else path[-1]] = parent.pop(path[-1])  # a typo
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
    return value


def _dumps(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False)
    text = re.sub(r'"__DEEP(\d+)__"', lambda m: "[" * int(m[1]) + "1" + "]" * int(m[1]), text)
    return text.encode("utf-8", "surrogatepass")


def _json_lines(records: list[Any], rng: random.Random) -> bytes:
    data = b"\n".join(_dumps(_mutate_json(record, rng)) for record in records) + b"\n"
    return _mutate_bytes(data, rng) if rng.random() < 0.3 else data


def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class _Seeds:
    def __init__(self) -> None:
        self.jsonl = _lines(SANA / "sana-sample.jsonl") + _lines(FIXTURES / "jsonl" / "sana-paragraphs.jsonl")
        self.labelstudio = json.loads((FIXTURES / "labelstudio" / "sana-export.json").read_text(encoding="utf-8"))
        corpora = FIXTURES / "corpora"
        self.conll = [(corpora / "wojood-sample" / "train_slice.txt").read_bytes()[:20_000],
                      (corpora / "anercorp-camel" / "ANERCorp_slice.txt").read_bytes()[:20_000]]
        self.article = next((SANA / "raw").glob("*.txt")).read_bytes()
        self.ann = (FIXTURES / "brat" / "sana-summit.ann").read_bytes()
        self.txt = (FIXTURES / "brat" / "sana-summit.txt").read_bytes()
        self.mentions = _lines(EXAMPLE_PREDICTIONS / "llm-sana.jsonl")
        self.predicted_conll = (EXAMPLE_PREDICTIONS / "sana-lead.conll").read_bytes()


def _reader_case(kind: str, folder: Path, seeds: _Seeds, rng: random.Random) -> tuple[str, Path]:
    """Write one mutated input of ``kind`` under ``folder``; return its reader and path."""
    if kind == "jsonl":
        path = folder / "docs.jsonl"
        path.write_bytes(_json_lines([rng.choice(seeds.jsonl) for _ in range(rng.randint(1, 2))], rng))
    elif kind == "labelstudio":
        path = folder / "export.json"
        data = _dumps(_mutate_json(seeds.labelstudio, rng))
        path.write_bytes(_mutate_bytes(data, rng) if rng.random() < 0.3 else data)
    elif kind == "conll":
        path = folder / "tokens.txt"
        path.write_bytes(_mutate_bytes(rng.choice(seeds.conll), rng))
    elif kind == "article":
        path = folder / "article.txt"
        path.write_bytes(_mutate_bytes(seeds.article, rng))
    else:
        path = _brat_pair(folder, seeds, rng, keep_text=0.7)
    return kind, path


def _brat_pair(folder: Path, seeds: _Seeds, rng: random.Random, keep_text: float) -> Path:
    """A mutated .ann beside its .txt, itself mutated in ``1 - keep_text`` of the cases."""
    (folder / "a.ann").write_bytes(_mutate_bytes(seeds.ann, rng))
    mutated = keep_text < 1 and rng.random() >= keep_text
    (folder / "a.txt").write_bytes(_mutate_bytes(seeds.txt, rng) if mutated else seeds.txt)
    return folder


def _predictions_case(kind: str, folder: Path, seeds: _Seeds, rng: random.Random) -> Path:
    if kind == "mentions":
        path = folder / "mentions.jsonl"
        path.write_bytes(_json_lines(seeds.mentions, rng))
    elif kind == "jsonl":
        path = folder / "spans.jsonl"
        path.write_bytes(_json_lines(seeds.jsonl[:1], rng))
    elif kind == "conll":
        path = folder / "tags.conll"
        path.write_bytes(_mutate_bytes(seeds.predicted_conll, rng))
    else:
        path = _brat_pair(folder, seeds, rng, keep_text=1.0)
    return path


def _check_problems(problems: list, where: Path) -> None:
    for problem in problems:
        problem.to_json().encode("utf-8")  # every problem can be written (no lone surrogate)
        assert problem.path, f"a problem without its file: {problem}"
        assert problem.path.startswith(str(where)), problem


def _outcome(run: Callable[[], Any]) -> str:
    try:
        run()
    except InputError as exc:  # refused as a whole: still a problem with its file
        assert exc.problem.path, exc.problem
        return "refused"
    return "read"


READER_KINDS = ("jsonl", "labelstudio", "conll", "article", "brat")
PREDICTION_KINDS = ("jsonl", "mentions", "conll", "brat")


def test_every_reader_reads_cleanly_or_reports_problems(tmp_path: Path) -> None:
    rng, seeds, outcomes = random.Random(SEED), _Seeds(), Counter()
    for number in range(CASES):
        folder = tmp_path / f"case-{number}"
        folder.mkdir()
        kind, path = _reader_case(READER_KINDS[number % len(READER_KINDS)], folder, seeds, rng)

        def read(path: Path = path, kind: str = kind) -> None:
            result = validate_inputs([path], SCHEMA, format=kind)
            _check_problems(result.problems, path)
            assert 0 <= result.rejected <= result.documents

        try:
            outcomes[kind, _outcome(read)] += 1
        except Exception as exc:
            pytest.fail(f"seed {SEED}, case {number} ({kind}, {path}): {type(exc).__name__}: {exc}")
    assert sum(outcomes.values()) == CASES
    assert all(outcomes[kind, "read"] for kind in READER_KINDS)  # the mutations leave readable inputs too


def test_builds_of_mutated_inputs_account_for_every_record(tmp_path: Path) -> None:
    rng, seeds = random.Random(SEED + 1), _Seeds()
    builds = max(5, CASES // 90)
    for number in range(builds):
        folder = tmp_path / f"case-{number}"
        folder.mkdir()
        kind, path = _reader_case(("jsonl", "conll", "brat", "labelstudio", "article")[number % 5], folder, seeds, rng)
        config = BuildConfig(inputs=(path,), schema=SCHEMA, name="fuzz", version=f"0.0.{number}", format=kind,
                             out_dir=tmp_path / "out", progress=False, split=None)
        try:
            report = build(config)
        except InputError as exc:
            assert exc.problem.path, exc.problem
            continue
        except Exception as exc:
            pytest.fail(f"seed {SEED + 1}, build {number} ({kind}, {path}): {type(exc).__name__}: {exc}")
        counts = report.to_dict()
        for what in ("documents", "spans", "links"):
            assert counts[what]["read"] == counts[what]["written"] + counts[what]["rejected"], (number, counts)


def test_every_predictions_format_loads_cleanly_or_reports_problems(tmp_path: Path) -> None:
    rng, seeds, outcomes = random.Random(SEED + 2), _Seeds(), Counter()
    for number in range(CASES):
        folder = tmp_path / f"case-{number}"
        folder.mkdir()
        kind = PREDICTION_KINDS[number % len(PREDICTION_KINDS)]
        path = _predictions_case(kind, folder, seeds, rng)
        scored = number % 60 == 0

        def load(path: Path = path, kind: str = kind, scored: bool = scored) -> None:
            predictions = load_predictions(path, fmt=kind, documents=None if kind == "conll" else GOLD_BY_ID)
            _check_problems(predictions.problems, path)
            if scored and kind != "conll":  # and the scorer takes whatever the loader let through
                evaluate(GOLD, predictions, intervals=NO_INTERVALS)

        try:
            outcomes[kind, _outcome(load)] += 1
        except Exception as exc:
            pytest.fail(f"seed {SEED + 2}, case {number} ({kind}, {path}): {type(exc).__name__}: {exc}")
    assert all(outcomes[kind, "read"] for kind in PREDICTION_KINDS)
