"""CoNLL inputs cut into byte ranges at document boundaries: the same documents, ids, problems, line
numbers and fingerprint as one whole-file read, for any number of ranges and workers."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from dataset_builder.config import BuildConfig
from dataset_builder.pipeline import build
from dataset_builder.readers.conll import ConllOptions, conll_ranges, read_conll, read_conll_range
from dataset_builder.schema import load_schema
from dataset_builder.shard_build import plan_tasks
from dataset_builder.split import parse_split_spec

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpora"
RECIPES = REPO / "corpora" / "recipes"
SCHEMA = load_schema(RECIPES / "schemas" / "anercorp.yaml")
WORDS = ["ذهب", "الرئيس", "بوش", "الى", "واشنطن", "يوم", "الاحد", "مع", "الامم", "المتحدة"]
TAGS = ["O", "O", "B-PERS", "O", "B-LOC", "O", "O", "O", "B-ORG", "I-ORG"]


def _sentence(number: int) -> list[str]:
    size = 3 + number % 5
    # A sentence may start on I-ORG: an ill-formed sequence, repaired (an INFO problem at its line).
    return [f"{WORDS[(number + k) % 10]}\t{TAGS[(number + k) % 10]}" for k in range(size)]


def _write_corpus(path: Path, *, sentences: int = 60, docstart_every: int = 0) -> dict[str, int]:
    """A CoNLL file with a BOM and CRLF line ends, tab-only separator lines, an invalid tag, and a line of
    too many columns after the blank line that ends a document (it is not read; its problem belongs to the
    next sentence, so the next document). Both documents are rejected. Returns the planted lines' numbers."""
    lines: list[str] = []
    planted: dict[str, int] = {}
    for number in range(sentences):
        if docstart_every and number % docstart_every == 0:
            lines += ["-DOCSTART-\tO", ""]
        rows = _sentence(number)
        if number == 41:
            rows[1] = rows[1].split("\t")[0] + "\tZ-LOC"
            planted["invalid"] = len(lines) + 2
        lines += rows
        lines.append("\t" if number % 2 else "")
        if number == 17:
            lines.append("\t".join(["O"] * 101))
            planted["columns"] = len(lines)
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return planted


def _config(path: Path, out: Path, **changes: object) -> BuildConfig:
    options: dict[str, object] = {
        "schema": SCHEMA, "name": "t", "version": "1.0.0", "out_dir": out, "progress": False, "format": "conll",
        "reader_options": {"scheme": "IOB2", "sentences_per_doc": 2, "doc_id_prefix": "t"},
        "split": parse_split_spec("train=0.8,validation=0.1,test=0.1"), "shard_bytes": 10**9,
    }
    options.update(changes)
    return BuildConfig((path,), **options)  # type: ignore[arg-type]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _same_version(whole: Path, cut: Path) -> None:
    """Cut at other places, a version differs only in its Arrow files (and their byte counts): the same
    logs, manifest, report and rows."""
    import datasets

    for name in ("rejects.jsonl", "problems.jsonl", "manifest.json", "build-report.json"):
        assert (whole / name).read_bytes() == (cut / name).read_bytes(), name
    for config in ("documents", "tokens"):
        for split, rows in datasets.load_from_disk(str(whole / config)).items():
            assert datasets.load_from_disk(str(cut / config))[split].to_list() == rows.to_list(), (config, split)


@pytest.mark.parametrize("docstart_every", [0, 3])
@pytest.mark.parametrize("target", [1, 150, 700])
def test_ranges_read_the_same_documents_as_the_whole_file(tmp_path: Path, docstart_every: int, target: int) -> None:
    path = tmp_path / "corpus.conll"
    _write_corpus(path, docstart_every=docstart_every)
    options = {"scheme": "auto", "sentences_per_doc": None if docstart_every else 4}
    whole = list(read_conll(path, ConllOptions(**options)))
    parts = conll_ranges(path, target, ConllOptions(**options))
    assert len(parts) > (10 if target == 1 else 2)
    assert parts[0].start == 0 and parts[-1].stop is None
    assert all(a.stop == b.start for a, b in pairwise(parts))
    read = [doc for part in parts for doc in read_conll_range(path, part, ConllOptions(**options))]
    assert read == whole  # ids, text, spans, problems with their lines, metadata


def test_a_file_the_reader_refuses_is_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "mixed.conll"
    path.write_text("a S-PERS\n\nb U-LOC\n\nc B-ORG\nd E-ORG\n\ne L-LOC\n", encoding="utf-8")  # IOBES, BILOU
    assert conll_ranges(path, 1, ConllOptions()) == []
    tasks = plan_tasks(_config(path, tmp_path, reader_options={}, shard_bytes=1), [path])
    assert len(tasks) == 1 and tasks[0].whole


def test_a_cut_conll_build_equals_the_whole_file_build(tmp_path: Path) -> None:
    path = tmp_path / "corpus.conll"
    planted = _write_corpus(path, sentences=80)
    cut_config = _config(path, tmp_path / "cut1", shard_bytes=200, jobs=1)
    tasks = plan_tasks(cut_config, [path])
    assert len(tasks) > 10 and all(t.conll is not None for t in tasks)
    whole = build(_config(path, tmp_path / "whole", jobs=1))
    one = build(cut_config)
    two = build(cut_config.replace(out_dir=tmp_path / "cut2", jobs=2))
    assert whole.fingerprint == one.fingerprint == two.fingerprint
    assert _files(one.version_dir) == _files(two.version_dir)
    _same_version(whole.version_dir, one.version_dir)
    rejects = [json.loads(line) for line in (one.version_dir / "rejects.jsonl").read_text().splitlines()]
    # sentences 18-19 (the 10th document) and 40-41 (the 21st), with the whole file's line numbers
    assert [r["doc_id"] for r in rejects] == ["t-00010", "t-00021"]
    assert [(p["code"], p["line"]) for r in rejects for p in r["problems"] if p["severity"] == "error"] == \
        [("conll-too-many-columns", planted["columns"]), ("bio-invalid-tag", planted["invalid"])]


def _shared_recipe(name: str) -> Path:
    if not (SHARED / "anercorp-camel").is_dir() or not (SHARED / "newsfane-gold").is_dir():
        pytest.skip("the shared corpora are not here (../shared/corpora)")
    return RECIPES / name


@pytest.mark.parametrize("recipe", ["anercorp-camel.yaml", "newsfane-gold-fine.yaml"])
def test_the_shared_corpora_read_in_ranges_give_the_same_documents(recipe: str) -> None:
    config = BuildConfig.from_recipe(_shared_recipe(recipe), {"progress": False}, data_dir=SHARED)
    path = config.inputs[0]
    options = ConllOptions(**config.reader_options)
    parts = conll_ranges(path, 20_000, options)
    assert len(parts) > 10
    read = [doc for part in parts for doc in read_conll_range(path, part, options)]
    assert read == list(read_conll(path, ConllOptions(**config.reader_options)))


@pytest.mark.parametrize("recipe", ["anercorp-camel.yaml", pytest.param("newsfane-gold.yaml", marks=pytest.mark.slow)])
def test_the_shared_corpora_cut_into_many_ranges_build_the_same_version(recipe: str, tmp_path: Path) -> None:
    path = _shared_recipe(recipe)
    config = BuildConfig.from_recipe(path, {"out_dir": tmp_path / "whole", "progress": False, "jobs": 1,
                                            "shard_bytes": 10**9}, data_dir=SHARED)
    cut = config.replace(out_dir=tmp_path / "cut", jobs=2, shard_bytes=20_000)
    assert len(plan_tasks(cut, list(cut.inputs))) > 10
    whole, sharded = build(config), build(cut)
    assert whole.fingerprint == sharded.fingerprint
    _same_version(whole.version_dir, sharded.version_dir)
    assert (whole.version_dir / "audit.json").read_bytes() == (sharded.version_dir / "audit.json").read_bytes()
