"""Contamination audit against an external corpus: planted test sentences of the real SANA build are
found in JSONL, Parquet and text files (in another corpus' spelling too), with the external document id
and offset; results do not depend on the number of workers; the CLI prints them or a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dataset_builder.audit import load_units
from dataset_builder.cli import app
from dataset_builder.decontaminate import ContaminationSettings, audit_against, external_shards
from dataset_builder.engine import EngineSettings

FILLER = "وقال المتحدث إن الاجتماع تناول قضايا التعاون الاقتصادي في المنطقة. "
#: Another corpus' spelling of a sentence: clitics split off, hamza dropped (NewsFANE's style).
SEGMENTED = {"الأسد": "ال أسد", "وبوتين": "و بوتين", "أن": "ان", "إلى": "الى"}


def _respell(text: str) -> str:
    return " ".join(SEGMENTED.get(word, word) for word in text.split())


def _long_sentences(version: Path) -> list[tuple[str, int, str]]:
    units, _ = load_units(version, "sentence", splits=["test"])
    return [(u.doc_id, u.sentence or 0, u.text) for u in units
            if len(u.text.split()) >= 20 and "." not in u.text.rstrip(" .")]


@pytest.fixture(scope="module")
def external(sana_version: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """JSONL (with ids), Parquet (no id column, small row groups) and text files with planted sentences."""
    root = tmp_path_factory.mktemp("external")
    sentences = _long_sentences(sana_version)
    assert len(sentences) >= 6
    planted: dict[tuple[str, int], tuple[str, int]] = {}  # test sentence -> (external id, offset)
    with (root / "web.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(40):
            text = FILLER * 3
            if n in (5, 25):
                doc_id, index, sentence = sentences[0 if n == 5 else 1]
                planted[(doc_id, index)] = (f"web-{n}", len(text))
                text += _respell(sentence) if n == 25 else sentence
            handle.write(json.dumps({"id": f"web-{n}", "body": text}, ensure_ascii=False) + "\n")
    texts = [FILLER * 2] * 30
    doc_id, index, sentence = sentences[2]
    texts[17] = FILLER + sentence
    planted[(doc_id, index)] = (f"{root / 'wiki.parquet'}:17", len(FILLER))
    pq.write_table(pa.table({"body": texts}), root / "wiki.parquet", row_group_size=7)
    doc_id, index, sentence = sentences[3]
    lines = [FILLER] * 10
    lines[6] = sentence
    raw = "\r\n".join(lines).encode("utf-8")
    (root / "news.txt").write_bytes(raw)
    offset = len("\r\n".join(lines[:6]).encode("utf-8")) + 2
    planted[(doc_id, index)] = (f"{root / 'news.txt'}:{offset}", 0)
    # a near duplicate: the last word of a long sentence changed (one shingle of twenty differs)
    doc_id, index, sentence = sentences[4]
    words = sentence.split()
    words[-2] = "مختلفة"  # the last word before the full stop
    (root / "near.jsonl").write_text(json.dumps({"id": "near-1", "body": " ".join(words)}, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    return {"root": root, "planted": planted, "near": (doc_id, index),
            "paths": [root / "web.jsonl", root / "wiki.parquet", root / "news.txt", root / "near.jsonl"]}


SETTINGS = ContaminationSettings(text_field="body", shard_bytes=2000)


def test_every_planted_sentence_is_found_with_its_document_and_offset(sana_version: Path, external: dict) -> None:
    report = audit_against(sana_version, external["paths"], settings=SETTINGS, engine=EngineSettings(jobs=1))
    found = {(s.doc_id, s.sentence): s for s in report.sentences}
    for key, (external_id, offset) in external["planted"].items():
        item = found[key]
        where = item.ngram_match or item.near_match
        assert item.ngram_matches >= 1 and item.ngram_match is not None, key
        assert (where.doc_id, where.offset) == (external_id, offset)
    near = found[external["near"]]
    assert near.near_match is not None and 0.8 <= near.near_match.similarity < 1.0
    assert near.near_match.doc_id == "near-1"
    # nothing else: the filler is not in the SANA test split
    assert set(found) == set(external["planted"]) | {external["near"]}
    counts = report.splits["test"]
    assert counts["contaminated"] == len(found) == 5
    assert report.external["documents"] == 40 + 30 + 10 + 1
    assert report.external["tasks"] > 4  # the JSONL file was cut into byte ranges, the Parquet file by row group


def test_the_result_does_not_depend_on_workers_or_shard_size(sana_version: Path, external: dict) -> None:
    one = audit_against(sana_version, external["paths"], settings=SETTINGS, engine=EngineSettings(jobs=1))
    two = audit_against(sana_version, [external["root"]], engine=EngineSettings(jobs=2),
                        settings=ContaminationSettings(text_field="body", shard_bytes=1 << 20))
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k not in ("seconds", "external")}  # noqa: E731
    assert strip(one) == strip(two)


def test_shards_of_a_folder_are_sorted_and_parquet_is_cut_by_row_group(external: dict) -> None:
    shards = external_shards([external["root"]], 2000)
    assert [Path(s.path).name for s in shards] == sorted(Path(s.path).name for s in shards)
    assert sum(1 for s in shards if s.path.endswith(".parquet")) == 5  # 30 rows, groups of 7


def test_cli_prints_the_report_and_a_clear_error(sana_version: Path, external: dict, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["audit", str(sana_version), "--against", str(external["root"] / "web.jsonl"),
                                 "--text-field", "body", "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert report["splits"]["test"]["contaminated"] == 2
    missing = runner.invoke(app, ["audit", str(sana_version), "--against", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok"}\n{not json\n', encoding="utf-8")
    bad = runner.invoke(app, ["audit", str(sana_version), "--against", str(broken), "--jobs", "1"])
    assert bad.exit_code != 0 and "byte 15" in bad.output and "Traceback" not in bad.output


def test_a_short_sentence_is_found_whole_inside_a_longer_external_sentence(sana_version: Path,
                                                                          tmp_path: Path) -> None:
    from dataset_builder.audit import canonical_tokens

    units, _ = load_units(sana_version, "sentence", splits=["test"])
    short = next(u for u in units if 8 <= len(canonical_tokens(u.text)) < 13)
    words = canonical_tokens(short.text)
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "x", "text": "في تقرير نشر اليوم " + short.text + " حسب المصدر"}, ensure_ascii=False)
        + "\n" + json.dumps({"id": "y", "text": " ".join(words[:-1])}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    report = audit_against(sana_version, [tmp_path / "a.jsonl"], engine=EngineSettings(jobs=1))
    (item,) = report.sentences
    assert (item.doc_id, item.sentence) == (short.doc_id, short.sentence)
    assert item.ngram_matches == 1 and item.ngram_match.doc_id == "x"  # all but one word is not a match
    too_strict = audit_against(sana_version, [tmp_path / "a.jsonl"], engine=EngineSettings(jobs=1),
                               settings=ContaminationSettings(min_ngram=13, threshold=1.0))
    assert too_strict.sentences == ()


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_window_keys_name_each_window_and_no_other(size):
    """The audit compares windows of token ids by int keys: equal keys must mean equal windows, for
    every window length (a sentence no longer than the window is one key of its own length)."""
    import random

    from dataset_builder.decontaminate import _window_keys

    rng = random.Random(size)
    base = 6  # ids 0-4 and the unknown id 5
    seen: dict[int, tuple[int, ...]] = {}
    for _ in range(3000):
        ids = [rng.randrange(base) for _ in range(rng.randint(0, 8))]
        keys = _window_keys(ids, size, base)
        windows = [tuple(ids)] if len(ids) <= size else [tuple(ids[i:i + size]) for i in range(len(ids) - size + 1)]
        assert len(keys) == len(windows)
        for key, window in zip(keys, windows, strict=True):
            assert seen.setdefault(key, window) == window


def test_short_ngrams_are_found_when_they_are_shorter_than_a_shingle(sana_version, tmp_path):
    """With n-grams shorter than the shingle window the look-ups cannot start only at known windows:
    a 2-word test phrase must still be found."""
    units, _ = load_units(sana_version, "sentence", splits=["test"])
    words = next(u.text for u in units if len(u.text.split()) >= 8).split()
    corpus = tmp_path / "ext.jsonl"
    corpus.write_text(json.dumps({"id": "e1", "text": f"كلام آخر {words[2]} {words[3]} هنا"}, ensure_ascii=False)
                      + "\n", encoding="utf-8")
    settings = ContaminationSettings(ngram=2, min_ngram=2, shingle_size=3)
    report = audit_against(sana_version, [corpus], settings=settings, engine=EngineSettings(jobs=1))
    assert any(s.ngram_match is not None and s.ngram_match.doc_id == "e1" for s in report.sentences)
