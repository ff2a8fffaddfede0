"""The build pipeline end to end: layout, exact features in a fresh process, determinism, atomicity,
refusal, reconciliation of counts with rejects, given tokenization, and the real bundled corpus."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import datasets
import pytest

from dataset_builder.config import BuildConfig
from dataset_builder.model import Document, Link, Location, Metadata, Span, Unreadable
from dataset_builder.pipeline import VersionExistsError, build, build_documents, check_version
from dataset_builder.problems import InputError, Problem
from dataset_builder.schema import load_schema
from dataset_builder.split import load_split_file, parse_split_spec

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "corpora" / "sana-sample" / "schema.yaml"
SCHEMA = load_schema(SCHEMA_PATH)
GOLD = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
# Loaded by path: putting benchmarks/ on sys.path would let benchmarks/eval.py shadow the `eval` package.
_spec = importlib.util.spec_from_file_location("akhbar_benchmarks_synthetic", REPO / "benchmarks" / "_synthetic.py")
_synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_synthetic)
synthetic_document, write_synthetic_jsonl = _synthetic.synthetic_document, _synthetic.write_synthetic_jsonl

# Sentences of the seed article (SANA, 2021-09-14).
SENTENCES = [
    "وأكمل الرئيس بوتين أن القضية الرئيسية هي الإرهاب الدولي.",
    "وقال وزير الدفاع الروسي إن التعاون مستمر.",
    "وأضاف الرئيس الأسد: «العلاقات بين البلدين تتطور».",
]


def _doc(doc_id: str, text: str = " ".join(SENTENCES), **kwargs: object) -> Document:
    spans = []
    if "بوتين" in text:
        start = text.index("بوتين")
        spans.append(Span("T1", "entities", start, start + 5, "PERS", "بوتين"))
        occ = text.index("الرئيس")
        spans.append(Span("T2", "entities", occ, occ + 6, "OCC", "الرئيس"))
    if "وزير الدفاع الروسي" in text:
        start = text.index("وزير الدفاع الروسي")
        spans.append(Span("T3", "entities", start, start + len("وزير الدفاع الروسي"), "OCC"))
        norp = text.index("الروسي")
        spans.append(Span("T4", "entities", norp, norp + 6, "NORP"))
    links = []
    if "القضية" in text:
        start, end = text.index("القضية"), text.index("الدولي") + 6
        spans.append(Span("Q1", "quotes", start, end, "INDIRECT"))
        links.append(Link("L1", "speaker", "Q1", "T1"))
    return Document(doc_id, text, Metadata(date="2021-09-14", source_file="x.txt"), tuple(spans), tuple(links),
                    **kwargs)  # type: ignore[arg-type]


def _docs(n: int = 12) -> list[Document]:
    return [_doc(f"doc-{i:03d}", location=Location("in.jsonl", i + 1)) for i in range(n)]


def _build(docs: list[Document | Unreadable], out: Path, **kwargs: object) -> object:
    options: dict[str, object] = {"schema": SCHEMA, "name": "t", "version": "1.0.0", "out_dir": out,
                                  "split": parse_split_spec("train=0.5,test=0.5")}
    options.update(kwargs)
    return build_documents(docs, BuildConfig((), **options))  # type: ignore[arg-type]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_counts_and_tokens(tmp_path: Path) -> None:
    report = _build(_docs(), tmp_path)
    version_dir = tmp_path / "t" / "1.0.0"
    assert report.version_dir == version_dir
    names = set(_files(version_dir))
    for config in ("documents", "tokens"):
        assert f"{config}/dataset_dict.json" in names
        for split in ("train", "test"):
            assert {f"{config}/{split}/state.json", f"{config}/{split}/dataset_info.json",
                    f"{config}/{split}/data-00000-of-00001.arrow"} <= names
    assert {"manifest.json", "build-report.json", "rejects.jsonl", "problems.jsonl"} <= names
    assert not [p for p in (tmp_path / "t").iterdir() if p.name.startswith(".")]  # no temporary left

    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["fingerprint"] == report.fingerprint and len(report.fingerprint) == 64
    assert manifest["schema"] == {"name": SCHEMA.name, "fingerprint": SCHEMA.fingerprint()}
    assert manifest["split_rule"]["ratios"] == {"train": 0.5, "test": 0.5}
    docs = datasets.load_from_disk(str(version_dir / "documents"))
    tokens = datasets.load_from_disk(str(version_dir / "tokens"))
    for split in ("train", "test"):
        counts = manifest["splits"][split]
        assert counts["documents"] == docs[split].num_rows
        assert counts["sentences"] == tokens[split].num_rows
        assert counts["tokens"] == sum(len(t) for t in tokens[split]["tokens"])
        assert counts["mentions"]["entities"] == 4 * counts["documents"]
        assert manifest["labels"][split]["entities"]["OCC"] == 2 * counts["documents"]
    assert sum(manifest["splits"][s]["documents"] for s in ("train", "test")) == 12

    row = tokens["train"][0] if tokens["train"].num_rows else tokens["test"][0]
    text = " ".join(SENTENCES)
    assert row["id"] == f"{row['doc_id']}-s0000" and row["sentence_index"] == 0
    assert text[row["start"]:row["end"]] == SENTENCES[0]
    assert [text[a:b] for a, b in zip(row["token_starts"], row["token_ends"], strict=True)] == row["tokens"]
    names = tokens["train"].features["ner_tags"].feature.names
    tags = dict(zip(row["tokens"], (names[t] for t in row["ner_tags"]), strict=False))
    assert tags["بوتين"] == "B-PERS" and tags["الرئيس"] == "B-OCC" and tags["القضية"] == "O"
    quote_names = tokens["train"].features["quote_tags"].feature.names
    quote_tags = [quote_names[t] for t in row["quote_tags"]]
    assert quote_tags[row["tokens"].index("القضية")] == "B-INDIRECT"
    assert quote_tags[row["tokens"].index("الدولي")] == "I-INDIRECT"


def test_nested_spans_go_to_the_inner_tag_column(tmp_path: Path) -> None:
    _build(_docs(4), tmp_path, split=parse_split_spec("test=1.0"))
    tokens = datasets.load_from_disk(str(tmp_path / "t" / "1.0.0" / "tokens"))["test"]
    names = tokens.features["ner_tags"].feature.names
    row = next(r for r in tokens if "وزير" in r["tokens"])
    i = row["tokens"].index("وزير")
    j = row["tokens"].index("الروسي")
    assert [names[t] for t in row["ner_tags"][i:j + 1]] == ["B-OCC", "I-OCC", "I-OCC"]
    assert names[row["ner_tags_2"][j]] == "B-NORP"
    assert all(t == 0 for t in row["ner_tags_3"])


def test_loads_in_a_fresh_process_with_exact_features(tmp_path: Path) -> None:
    _build(_docs(), tmp_path)
    version_dir = tmp_path / "t" / "1.0.0"
    script = (
        "import json, sys, datasets\n"
        "out = {}\n"
        "for config in ('documents', 'tokens'):\n"
        "    dd = datasets.load_from_disk(sys.argv[1] + '/' + config)\n"
        "    out[config] = {'splits': list(dd), 'features': dd['train'].features.to_dict(),\n"
        "                   'rows': sum(d.num_rows for d in dd.values())}\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(version_dir)], capture_output=True, text=True,
                            check=True, cwd=tmp_path)
    loaded = json.loads(result.stdout)
    from dataset_builder.features import document_features, token_features

    assert loaded["documents"]["features"] == document_features(SCHEMA).to_dict()
    assert loaded["tokens"]["features"] == token_features(SCHEMA).to_dict()
    entities = loaded["documents"]["features"]["entities"]["feature"]["label"]
    assert entities == {"names": list(SCHEMA.layer("entities").label_names), "_type": "ClassLabel"}
    assert loaded["documents"]["splits"] == ["train", "test"] and loaded["documents"]["rows"] == 12


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = _build(_docs(), tmp_path / "a")
    second = _build(_docs(), tmp_path / "b")
    assert first.fingerprint == second.fingerprint
    assert _files(tmp_path / "a" / "t" / "1.0.0") == _files(tmp_path / "b" / "t" / "1.0.0")
    third = _build(_docs()[:-1], tmp_path / "c")
    assert third.fingerprint != first.fingerprint


def test_worker_processes_give_the_same_bytes(tmp_path: Path) -> None:
    docs = [Document(d["id"], d["text"], spans=tuple(Span(s["id"], s["layer"], s["start"], s["end"], s["label"])
                                                     for s in d["spans"]))
            for d in (synthetic_document(i, tokens=120) for i in range(150))]
    _build(docs, tmp_path / "one", jobs=1)
    _build(docs, tmp_path / "two", jobs=2)
    assert _files(tmp_path / "one" / "t" / "1.0.0") == _files(tmp_path / "two" / "t" / "1.0.0")


def test_existing_version_is_refused_then_replaced_with_force(tmp_path: Path) -> None:
    _build(_docs(), tmp_path)
    version_dir = tmp_path / "t" / "1.0.0"
    before = _files(version_dir)
    with pytest.raises(VersionExistsError) as info:
        _build(_docs(3), tmp_path)
    assert "--force" in info.value.problem.fix
    assert _files(version_dir) == before
    report = _build(_docs(3), tmp_path, force=True)
    assert report.documents.written == 3
    assert json.loads((version_dir / "manifest.json").read_text())["fingerprint"] == report.fingerprint
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["1.0.0"]


def test_rejects_reconcile_with_counts(tmp_path: Path) -> None:
    good = _docs(6)
    text = " ".join(SENTENCES)
    planted: list[Document | Unreadable] = [
        Unreadable(Location("in.jsonl", 40), (Problem("jsonl-invalid", "not JSON", "Fix the line.",
                                                      path="in.jsonl", line=40),)),
        # offsets outside the text
        Document("bad-offsets", "قصير", spans=(Span("T1", "entities", 0, 99, "PERS"),),
                 location=Location("in.jsonl", 41)),
        # a label the schema does not know, and a link to a missing span
        Document("bad-label", text, spans=(Span("T1", "entities", 0, 5, "PERSON"),),
                 links=(Link("L1", "speaker", "Q9", "T1"),), location=Location("in.jsonl", 42)),
        # duplicate id of a good document
        _doc("doc-000", location=Location("in.jsonl", 43)),
    ]
    report = _build([*good[:3], *planted, *good[3:]], tmp_path)
    assert (report.documents.read, report.documents.written, report.documents.rejected) == (10, 6, 4)
    assert report.spans.read == report.spans.written + report.spans.rejected
    assert report.links.read == report.links.written + report.links.rejected
    assert report.spans.written == 6 * 5 and report.links.rejected == 2
    assert report.exit_code == 1

    version_dir = tmp_path / "t" / "1.0.0"
    rejects = [json.loads(line) for line in (version_dir / "rejects.jsonl").read_text().splitlines()]
    assert [r["doc_id"] for r in rejects] == [None, "bad-offsets", "bad-label", "doc-000"]
    assert rejects[0]["location"] == "in.jsonl:40"
    codes = {r["doc_id"]: {p["code"] for p in r["problems"]} for r in rejects}
    assert "span-offsets" in codes["bad-offsets"]
    assert {"unknown-label", "link-dangling"} <= codes["bad-label"]
    assert codes["doc-000"] == {"doc-id-duplicate"}
    build_report = json.loads((version_dir / "build-report.json").read_text())
    assert build_report["documents"] == {"read": 10, "written": 6, "rejected": 4}
    by_code = Counter(p["code"] for r in rejects for p in r["problems"])
    for code, n in by_code.items():
        assert build_report["problems"]["by_code"][code] >= n
    written = datasets.load_from_disk(str(version_dir / "documents"))
    assert sorted(i for split in written.values() for i in split["id"]) == sorted(d.id for d in good)


def test_spans_of_an_unreadable_jsonl_document_are_counted_as_read_and_rejected(tmp_path: Path) -> None:
    from dataset_builder.readers.jsonl import document_to_json, read_jsonl

    good = _doc("ok")
    broken = document_to_json(_doc("broken"))
    broken["spans"][1]["start"] = "12"  # ill-typed: the whole line is unreadable
    broken["links"] = [{"id": "L1", "type": "speaker", "from": "T1", "to": "T2"}]
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(document_to_json(good), ensure_ascii=False) + "\n"
                      + json.dumps(broken, ensure_ascii=False) + "\n" + '{"id": "x", "text": ' + "\n",
                      encoding="utf-8")
    items = list(read_jsonl(source))
    assert [type(i).__name__ for i in items] == ["Document", "Unreadable", "Unreadable"]
    assert (items[1].spans_seen, items[1].links_seen) == (len(broken["spans"]), 1)
    assert (items[2].spans_seen, items[2].links_seen) == (0, 0)  # not JSON: nothing can be counted
    report = _build(items, tmp_path)
    assert (report.documents.read, report.documents.written, report.documents.rejected) == (3, 1, 2)
    assert report.spans.read == len(good.spans) + len(broken["spans"]) == report.spans.written + report.spans.rejected
    assert report.spans.rejected == len(broken["spans"])
    assert (report.links.read, report.links.rejected) == (len(good.links) + 1, 1)


def test_strict_stops_at_the_first_error_and_publishes_nothing(tmp_path: Path) -> None:
    bad = Document("bad", "نص", spans=(Span("T1", "entities", 0, 9, "PERS"),), location=Location("in.jsonl", 7))
    with pytest.raises(InputError) as info:
        _build([*_docs(3), bad], tmp_path, strict=True)
    assert info.value.problem.code == "span-offsets" and info.value.problem.line == 7
    assert not (tmp_path / "t" / "1.0.0").exists()
    assert list((tmp_path / "t").iterdir()) == []


def test_given_tokenization_keeps_corpus_tokens_and_lines(tmp_path: Path) -> None:
    # CoNLL-derived text: tokens joined by single spaces (punctuation is its own token), sentences by "\n".
    text = "وأكمل بوتين أن القضية الرئيسية هي الإرهاب .\nو قال الأسد : سورية ."
    start = text.index("بوتين")
    doc = Document("conll-1", text, Metadata(extra={"tokenization": "given"}),
                   spans=(Span("T1", "entities", start, start + 5, "PERS"),
                          Span("T2", "entities", text.index("سورية"), text.index("سورية") + 5, "GPE")))
    _build([doc], tmp_path, split=parse_split_spec("test=1.0"))
    rows = datasets.load_from_disk(str(tmp_path / "t" / "1.0.0" / "tokens"))["test"].to_list()
    assert [r["tokens"] for r in rows] == [line.split(" ") for line in text.split("\n")]
    assert [(r["start"], r["end"]) for r in rows] == [(0, text.index("\n")), (text.index("\n") + 1, len(text))]
    assert rows[1]["tokens"][:2] == ["و", "قال"]  # the corpus' own split of the proclitic is kept


def test_split_file_with_missing_ids_fails_the_build(tmp_path: Path) -> None:
    split_file = tmp_path / "splits.tsv"
    split_file.write_text("doc-000\ttrain\ndoc-001\ttest\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        _build(_docs(4), tmp_path / "out", split=load_split_file(split_file))
    assert "doc-002" in info.value.problem.message and "doc-003" in info.value.problem.message
    assert not (tmp_path / "out" / "t" / "1.0.0").exists()
    report = _build(_docs(2), tmp_path / "out", split=load_split_file(split_file))
    manifest = json.loads((report.version_dir / "manifest.json").read_text())
    assert manifest["split_rule"]["rule"] == "file"
    assert manifest["splits"]["train"]["documents"] == manifest["splits"]["test"]["documents"] == 1


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0.0", ""])
def test_versions_must_be_semantic(version: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="semantic version"):
        _build(_docs(1), tmp_path, version=version)
    assert check_version("10.2.33") == "10.2.33"


def test_bundled_corpus_builds_from_its_recipe(tmp_path: Path) -> None:
    if not GOLD.is_file():
        pytest.skip("corpora/sana-sample/sana-sample.jsonl is not in this checkout yet")
    from dataset_builder.recipe import load_recipe

    recipe = load_recipe(REPO / "corpora" / "sana-sample" / "recipe.yaml")
    report = build(BuildConfig.from_recipe(recipe, {"out_dir": tmp_path, "progress": False}))
    assert report.exit_code == 0
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    manifest = json.loads((report.version_dir / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["splits"]) == ["test"]
    expected = Counter((s["layer"], s["label"]) for d in gold for s in d["spans"])
    for (layer, label), n in expected.items():
        assert manifest["labels"]["test"][layer][label] == n
    assert manifest["source_files"] == {"sana-sample.jsonl": hashlib.sha256(GOLD.read_bytes()).hexdigest()}
    documents = datasets.load_from_disk(str(report.version_dir / "documents"))["test"]
    assert documents["text"] == [d["text"] for d in gold]
    raw = REPO / "corpora" / "sana-sample" / "raw" / "sana-2021-09-14-assad-putin-moscow.txt"
    if raw.is_file():
        assert documents[0]["text"].encode("utf-8") == raw.read_bytes()
    tokens = datasets.load_from_disk(str(report.version_dir / "tokens"))["test"]
    text = gold[0]["text"]
    for row in tokens:
        assert [text[a:b] for a, b in zip(row["token_starts"], row["token_ends"], strict=True)] == row["tokens"]
    # Every entity mention starts exactly one B- tag on some level (nesting spreads them over columns).
    names = tokens.features["ner_tags"].feature.names
    begins = sum(names[t].startswith("B-") for row in tokens for c in ("ner_tags", "ner_tags_2", "ner_tags_3")
                 for t in row[c])
    assert begins == manifest["splits"]["test"]["mentions"]["entities"]
    assert sum(manifest["defects"].values()) == len(documents[0]["defects"])


# ---- atomicity -----------------------------------------------------------------------------

_BUILD_SCRIPT = """
import sys
from pathlib import Path
from dataset_builder.config import BuildConfig
from dataset_builder.pipeline import build
from dataset_builder.schema import load_schema
build(BuildConfig([Path(sys.argv[1])], schema=load_schema(sys.argv[2]), name="big", version="1.0.0",
                  out_dir=sys.argv[3], format="jsonl", force=True, progress=False))
"""


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_jsonl(tmp_path_factory.mktemp("big") / "big.jsonl", 3000)


def _start_build(big: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _BUILD_SCRIPT, str(big), str(SCHEMA_PATH), str(out)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_partial_data(proc: subprocess.Popen[bytes], name_dir: Path, timeout: float = 60.0) -> None:
    """Wait until the build has written Arrow data into its temporary directory."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the build finished before it could be interrupted; enlarge the input"
        if any(name_dir.glob(".1.0.0.tmp-*/**/documents/*/data-*.arrow.partial")):
            return
        time.sleep(0.02)
    raise AssertionError("the build wrote no data in time")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_build_leaves_the_old_version_intact(tmp_path: Path, big_input: Path, sig: int) -> None:
    _build(_docs(), tmp_path, name="big")
    version_dir = tmp_path / "big" / "1.0.0"
    before = _files(version_dir)

    proc = _start_build(big_input, tmp_path)
    _wait_for_partial_data(proc, tmp_path / "big")
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    assert proc.returncode in (-sig, 128 + sig)
    assert _files(version_dir) == before  # the old version is untouched
    leftovers = [p.name for p in (tmp_path / "big").iterdir() if p.name != "1.0.0"]
    if sig == signal.SIGTERM:
        assert leftovers == []  # cleaned up on the way out
    else:
        assert len(leftovers) == 1 and leftovers[0].startswith(".1.0.0.tmp-")  # nothing could run

    # The next build succeeds, publishes the new version and removes the stale temporary directory.
    proc = _start_build(big_input, tmp_path)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr.decode()
    assert sorted(p.name for p in (tmp_path / "big").iterdir()) == ["1.0.0"]
    manifest = json.loads((version_dir / "manifest.json").read_text())
    assert sum(s["documents"] for s in manifest["splits"].values()) == 3000
