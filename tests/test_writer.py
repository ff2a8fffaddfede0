"""The Arrow writer against `datasets` itself, the features, and the content fingerprint."""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
import pyarrow as pa
import pytest

from dataset_builder.features import (
    DocumentBatch,
    SentenceRows,
    TokenBatch,
    canonical_json,
    document_features,
    token_features,
)
from dataset_builder.manifest import ContentFingerprint, canonical_document, hash_input_files
from dataset_builder.model import Document, Link, Location, Metadata, Span, Unreadable
from dataset_builder.problems import Problem, Severity
from dataset_builder.schema import load_schema
from dataset_builder.writer import DatasetDictWriter

REPO = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml")

# A real sentence of the seed article: OCC الرئيس containing nothing, PERS بوتين after a proclitic,
# a quotation and its speaker link.
TEXT = "وأكمل الرئيس بوتين أن القضية الرئيسية هي الإرهاب الدولي.\nوقال وزير الدفاع الروسي إن التعاون مستمر."


def _document(doc_id: str = "d1", text: str = TEXT) -> Document:
    start_putin = text.index("بوتين")
    start_quote = text.index("القضية")
    minister = text.index("وزير")
    norp = text.index("الروسي")
    return Document(
        doc_id,
        text,
        Metadata(title="عنوان", date="2021-09-14", dateline_place="موسكو", dateline_agency="سانا",
                 source_file="raw/x.txt", paragraphs=((0, text.index("\n")),), extra={"caption": (0, 5)}),
        spans=(
            Span("T2", "entities", start_putin, start_putin + 5, "PERS"),
            Span("T1", "entities", text.index("الرئيس"), text.index("الرئيس") + 6, "OCC", "الرئيس"),
            Span("T3", "entities", minister, norp + 6, "OCC"),
            Span("T4", "entities", norp, norp + 6, "NORP"),
            Span("Q1", "quotes", start_quote, text.index("."), "INDIRECT"),
        ),
        links=(Link("L1", "speaker", "Q1", "T2"),),
    )


def _rows() -> tuple[list[dict], list[dict]]:
    """A documents batch and a tokens batch built by our batch builders, as Python rows."""
    doc_features, tok_features = document_features(SCHEMA), token_features(SCHEMA)
    docs = DocumentBatch(SCHEMA, doc_features.arrow_schema)
    toks = TokenBatch(SCHEMA, tok_features.arrow_schema)
    for i in range(3):
        doc = _document(f"d{i}")
        docs.add(doc, [(text_start := doc.text.index("الدولي"), text_start + 6, "lookalike", "الدولي", None, "m")])
        words = list(re.finditer(r"[^ \n]+", doc.text))
        starts, ends = [m.start() for m in words], [m.end() for m in words]
        newline = doc.text.index("\n")
        first = sum(1 for s in starts if s < newline)
        tags = {column: [0] * len(starts) for column in ("ner_tags", "ner_tags_2", "ner_tags_3", "quote_tags")}
        tags["ner_tags"][2] = SCHEMA.layer("entities").bio_names.index("B-PERS")
        toks.add(doc.id, doc.text, SentenceRows(starts, ends, [(0, newline), (newline + 1, len(doc.text))],
                                                [(0, first), (first, len(starts))], tags))
    return docs.to_record_batch().to_pylist(), toks.to_record_batch().to_pylist()


def test_features_follow_the_schema() -> None:
    doc_features = document_features(SCHEMA)
    assert list(doc_features) == ["id", "text", "metadata", "entities", "quotes", "links", "defects"]
    label = doc_features["entities"].feature["label"]
    assert isinstance(label, datasets.ClassLabel)
    assert label.names == list(SCHEMA.layer("entities").label_names)
    assert doc_features["links"].feature["type"].names == ["speaker"]
    assert isinstance(doc_features["entities"], datasets.List)
    tok_features = token_features(SCHEMA)
    assert list(tok_features)[-4:] == ["ner_tags", "ner_tags_2", "ner_tags_3", "quote_tags"]
    assert tok_features["ner_tags_3"].feature.names == list(SCHEMA.layer("entities").bio_names)
    assert tok_features["quote_tags"].feature.names == ["O", "B-DIRECT", "I-DIRECT", "B-INDIRECT", "I-INDIRECT"]
    # ClassLabel values are stored as int64, like datasets stores them.
    assert tok_features.arrow_schema.field("ner_tags").type == pa.list_(pa.int64())


def test_document_rows_hold_sorted_spans_labels_links_and_defects() -> None:
    rows, _ = _rows()
    row = rows[0]
    assert row["text"] == TEXT
    assert [s["id"] for s in row["entities"]] == ["T1", "T2", "T3", "T4"]  # (start, -end): outer before inner
    names = SCHEMA.layer("entities").label_names
    assert [names[s["label"]] for s in row["entities"]] == ["OCC", "PERS", "OCC", "NORP"]
    assert all(TEXT[s["start"]:s["end"]] == s["text"] for s in row["entities"] + row["quotes"])
    assert row["links"] == [{"id": "L1", "type": 0, "source": "Q1", "target": "T2"}]
    assert row["metadata"]["paragraphs"] == [{"start": 0, "end": TEXT.index("\n")}]
    assert json.loads(row["metadata"]["extra"]) == {"caption": [0, 5]}
    assert row["defects"][0]["suggestion"] is None and row["defects"][0]["kind"] == "lookalike"


def _write_ours(root: Path, doc_rows_batch: pa.RecordBatch, features: datasets.Features, config: str,
                max_shard_bytes: int = 500 * 2**20) -> None:
    writer = DatasetDictWriter(root, features, ["train", "test"], config_name=config, dataset_name="t",
                               version="1.0.0", max_shard_bytes=max_shard_bytes)
    writer.write("train", doc_rows_batch)
    writer.close("f" * 64)


@pytest.mark.parametrize("config", ["documents", "tokens"])
def test_same_features_and_rows_as_save_to_disk(tmp_path: Path, config: str) -> None:
    doc_rows, tok_rows = _rows()
    rows = doc_rows if config == "documents" else tok_rows
    features = document_features(SCHEMA) if config == "documents" else token_features(SCHEMA)
    batch = pa.RecordBatch.from_pylist(rows, schema=features.arrow_schema)
    _write_ours(tmp_path / "ours", batch, features, config)

    reference = datasets.DatasetDict({"train": datasets.Dataset.from_list(rows, features=features)})
    reference.save_to_disk(str(tmp_path / "theirs"))

    ours, theirs = datasets.load_from_disk(str(tmp_path / "ours")), datasets.load_from_disk(str(tmp_path / "theirs"))
    assert list(ours) == ["train", "test"]
    assert ours["train"].features == theirs["train"].features == features
    assert ours["train"].to_list() == theirs["train"].to_list()
    assert ours["train"].num_rows == len(rows) == (3 if config == "documents" else 6)
    # An empty split still loads, with the same features (save_to_disk writes no shard at all for an
    # empty split, which load_from_disk then cannot read back; we write a schema-only shard).
    assert ours["test"].num_rows == 0 and ours["test"].features == features
    # The Arrow schema, metadata included, is the one datasets writes.
    ours_schema = pa.ipc.open_stream(tmp_path / "ours/train/data-00000-of-00001.arrow").schema
    theirs_schema = pa.ipc.open_stream(tmp_path / "theirs/train/data-00000-of-00001.arrow").schema
    assert ours_schema.equals(theirs_schema, check_metadata=True)
    # Same side files with the same keys datasets reads back.
    assert json.loads((tmp_path / "ours/dataset_dict.json").read_text()) == {"splits": ["train", "test"]}
    assert json.loads((tmp_path / "theirs/dataset_dict.json").read_text()) == {"splits": ["train"]}
    ours_state = json.loads((tmp_path / "ours/train/state.json").read_text())
    theirs_state = json.loads((tmp_path / "theirs/train/state.json").read_text())
    assert set(ours_state) == set(theirs_state)
    assert ours_state["_data_files"] == theirs_state["_data_files"]


def test_shards_roll_over_and_keep_row_order(tmp_path: Path) -> None:
    doc_rows, _ = _rows()
    features = document_features(SCHEMA)
    writer = DatasetDictWriter(tmp_path, features, ["train"], config_name="documents", dataset_name="t",
                               version="1.0.0", max_shard_bytes=1)  # every batch gets its own shard
    for i in range(4):
        rows = [dict(row, id=f"{row['id']}-{i}") for row in doc_rows]
        writer.write("train", pa.RecordBatch.from_pylist(rows, schema=features.arrow_schema))
    info = writer.close("0" * 64)["train"]
    assert info.files == tuple(f"data-{i:05d}-of-00004.arrow" for i in range(4))
    assert sorted(p.name for p in (tmp_path / "train").iterdir()) == sorted(
        [*info.files, "dataset_info.json", "state.json"]
    )
    loaded = datasets.load_from_disk(str(tmp_path))["train"]
    assert loaded["id"] == [f"d{j}-{i}" for i in range(4) for j in range(3)]
    assert info.num_examples == 12


def test_side_files_are_deterministic_and_portable(tmp_path: Path) -> None:
    doc_rows, _ = _rows()
    features = document_features(SCHEMA)
    batch = pa.RecordBatch.from_pylist(doc_rows, schema=features.arrow_schema)
    for name in ("a", "b"):
        _write_ours(tmp_path / name, batch, features, "documents")
    for path in sorted((tmp_path / "a").rglob("*")):
        if path.is_file():
            twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
            assert path.read_bytes() == twin.read_bytes(), path.name
            if path.suffix == ".json":
                assert str(tmp_path) not in path.read_text()
    info = json.loads((tmp_path / "a/train/dataset_info.json").read_text())
    assert info["splits"]["train"]["num_examples"] == 3 and info["config_name"] == "documents"
    assert json.loads((tmp_path / "a/train/state.json").read_text())["_split"] == "train"


def test_fingerprint_ignores_format_quirks_but_not_content() -> None:
    doc = _document()
    shuffled = Document(doc.id, doc.text, doc.metadata, spans=tuple(reversed(doc.spans)), links=doc.links,
                        location=Location("elsewhere.jsonl", 99),
                        problems=(Problem("x", "reader note", "none", Severity.INFO),))
    without_surface = Document(doc.id, doc.text, doc.metadata,
                               spans=tuple(Span(s.id, s.layer, s.start, s.end, s.label) for s in doc.spans),
                               links=doc.links)
    edited = Document(doc.id, doc.text.replace("بوتين", "بوتبن"), doc.metadata, doc.spans, doc.links)
    relabelled = Document(doc.id, doc.text, doc.metadata,
                          spans=(Span("T2", "entities", doc.spans[0].start, doc.spans[0].end, "ORG"), *doc.spans[1:]),
                          links=doc.links)

    def digest(*items: Document | Unreadable, settings: dict | None = None) -> str:
        fp = ContentFingerprint(settings or {"builder_version": "0.1.0"})
        for item in items:
            fp.update(item)
        return fp.hexdigest()

    base = digest(doc)
    assert digest(shuffled) == base
    assert digest(without_surface) == base
    assert canonical_document(doc) == canonical_document(shuffled)
    assert digest(edited) != base
    assert digest(relabelled) != base
    assert digest(doc, settings={"builder_version": "0.2.0"}) != base
    unreadable = Unreadable(Location("x.jsonl", 3), (Problem("jsonl-invalid", "bad", "fix"),))
    assert digest(doc, unreadable) != base
    assert digest(doc, unreadable) == digest(doc, unreadable)
    # Stream order is part of the definition.
    other = _document("d2")
    assert digest(doc, other) != digest(other, doc)


def test_canonical_json_is_compact_sorted_utf8() -> None:
    assert canonical_json({"b": (1, 2), "a": "سانا"}) == '{"a":"سانا","b":[1,2]}'


def test_input_file_hashes_use_relative_names(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("أ", encoding="utf-8")
    (tmp_path / "corpus" / "b.txt").write_text("ب", encoding="utf-8")
    single = tmp_path / "one.jsonl"
    single.write_text("{}", encoding="utf-8")
    hashes = hash_input_files([tmp_path / "corpus", single])
    assert list(hashes) == ["corpus/a.txt", "corpus/b.txt", "one.jsonl"]
    assert hashes["one.jsonl"] == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert list(hash_input_files([single], base=tmp_path.parent)) == [f"{tmp_path.name}/one.jsonl"]


def test_token_strings_are_the_texts_slices():
    """The tokens column is gathered from the texts' UTF-8 bytes; it must hold exactly text[start:end]
    for 1- to 4-byte characters, empty texts and documents without tokens."""
    import random

    from dataset_builder.features import _token_strings

    rng = random.Random(4)
    alphabet = "ab ابت\u064e😀é\u0800\uffff\U00010000\n"
    for _ in range(500):
        texts, counts, starts, ends, expected = [], [], [], [], []
        for _ in range(rng.randint(1, 4)):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.randint(0, 8))))
            pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
            texts.append(text)
            counts.append(len(pairs))
            for start, end in pairs:
                starts.append(start)
                ends.append(end)
                expected.append(text[start:end])
        got = _token_strings(texts, counts, starts, ends)
        got.validate(full=True)
        assert got.to_pylist() == expected
