"""The native standoff JSONL reader and writer: round trips, locations and every error path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataset_builder.model import Document, Link, Metadata, Span, Unreadable
from dataset_builder.problems import InputError, Location, Severity
from dataset_builder.readers import detect_format, read
from dataset_builder.readers.article import read_article
from dataset_builder.readers.jsonl import document_from_json, document_to_json, read_jsonl, write_jsonl

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"
GOLD = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
FIXTURES = Path(__file__).parent / "fixtures" / "jsonl"

# First sentence of the seed article (SANA, 2021-09-14).
TEXT = "عقدت في موسكو قمة سورية روسية بين السيدين الرئيسين بشار الأسد وفلاديمير بوتين."


def _at(text: str, surface: str, occurrence: int = 1) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


def _span(span_id: str, layer: str, label: str, surface: str, **kwargs: object) -> Span:
    start, end = _at(TEXT, surface)
    return Span(span_id, layer, start, end, label, surface, **kwargs)  # type: ignore[arg-type]


def _sample_document() -> Document:
    return Document(
        id="sana-sample-1",
        text=TEXT,
        metadata=Metadata(
            title="قمة سورية روسية", date="2021-09-14", dateline_place="موسكو", dateline_agency="سانا",
            source_file="raw/sample.txt", licence="CC BY-SA 4.0", paragraphs=((0, len(TEXT)),),
            extra={"caption": None, "title_span": (0, 15), "nested": {"levels": (1, 2), "ok": True}},
        ),
        spans=(
            _span("T1", "entities", "GPE", "موسكو"),
            _span("T2", "entities", "OCC", "الرئيسين"),
            _span("T3", "entities", "PERS", "بشار الأسد", attributes={"note": "ذكر كامل", "ids": ("Q1", "Q2")}),
            _span("T4", "entities", "PERS", "فلاديمير بوتين"),
            Span("Q1", "quotes", 0, len(TEXT) - 1, "INDIRECT"),  # no stored text
        ),
        links=(Link("L1", "speaker", "Q1", "T3"),),
    )


def _write_lines(tmp_path: Path, *lines: str, name: str = "docs.jsonl") -> Path:
    file = tmp_path / name
    file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return file


def _one_unreadable(file: Path) -> Unreadable:
    (item,) = list(read_jsonl(file))
    assert isinstance(item, Unreadable), item
    return item


def test_write_then_read_is_equal_and_rewrite_is_byte_identical(tmp_path: Path) -> None:
    doc = _sample_document()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert write_jsonl([doc, doc], first) == 2
    back = list(read_jsonl(first))
    assert back == [doc, doc]
    assert all(d.problems == () for d in back if isinstance(d, Document))
    write_jsonl(back, second)  # type: ignore[arg-type]
    assert first.read_bytes() == second.read_bytes()


def test_spans_land_on_the_intended_arabic_text_after_a_round_trip(tmp_path: Path) -> None:
    file = tmp_path / "doc.jsonl"
    write_jsonl([_sample_document()], file)
    (doc,) = read_jsonl(file)
    assert isinstance(doc, Document)
    assert {s.id: doc.text[s.start:s.end] for s in doc.spans if s.layer == "entities"} == {
        "T1": "موسكو", "T2": "الرئيسين", "T3": "بشار الأسد", "T4": "فلاديمير بوتين",
    }
    assert doc.span_by_id()["T3"].attributes == {"note": "ذكر كامل", "ids": ("Q1", "Q2")}
    assert doc.metadata.extra["nested"] == {"levels": (1, 2), "ok": True}


def test_canonical_form_key_order_and_readable_arabic(tmp_path: Path) -> None:
    obj = document_to_json(_sample_document())
    assert list(obj) == ["id", "text", "metadata", "spans", "links"]
    assert list(obj["metadata"]) == [
        "title", "date", "dateline_place", "dateline_agency", "source_file", "licence", "paragraphs", "extra",
    ]
    assert list(obj["spans"][0]) == ["id", "layer", "start", "end", "label", "text"]
    assert list(obj["spans"][2]) == ["id", "layer", "start", "end", "label", "text", "attributes"]
    assert list(obj["spans"][4]) == ["id", "layer", "start", "end", "label"]  # no text, no attributes
    assert obj["links"] == [{"id": "L1", "type": "speaker", "from": "Q1", "to": "T3"}]
    file = tmp_path / "doc.jsonl"
    write_jsonl([_sample_document()], file)
    raw = file.read_text(encoding="utf-8")
    assert "بشار الأسد" in raw and "\\u0" not in raw
    assert raw.count("\n") == 1 and raw.endswith("}\n")
    assert json.loads(raw) == obj


def test_document_from_json_is_the_inverse_of_document_to_json() -> None:
    doc = _sample_document()
    back = document_from_json(json.loads(json.dumps(document_to_json(doc))), Location("mem.jsonl", 7))
    assert back == doc
    assert back.location == Location("mem.jsonl", 7)
    assert back.spans[0].location == Location("mem.jsonl", 7)


def test_seed_article_round_trips_through_jsonl(tmp_path: Path) -> None:
    if not SEED.exists():
        pytest.skip(f"shared seed article not found at {SEED}")
    (article,) = read_article(SEED)
    assert isinstance(article, Document)
    file = tmp_path / "seed.jsonl"
    write_jsonl([article], file)
    (back,) = read_jsonl(file)
    assert back == article
    assert back.text.encode("utf-8") == SEED.read_bytes()


def test_line_separators_in_text_do_not_split_the_line(tmp_path: Path) -> None:
    doc = Document("ls", "سطر\u2028سطر\u2029فقرة\r\nنهاية")
    file = tmp_path / "ls.jsonl"
    write_jsonl([doc], file)
    assert len(file.read_bytes().split(b"\n")) == 2
    assert list(read_jsonl(file)) == [doc]


def test_blank_lines_are_skipped_and_locations_are_physical_lines(tmp_path: Path) -> None:
    line = json.dumps(document_to_json(_sample_document()), ensure_ascii=False)
    file = _write_lines(tmp_path, "", line, "   ", "", line.replace("sana-sample-1", "sana-sample-2"))
    docs = list(read_jsonl(file))
    assert [d.id for d in docs if isinstance(d, Document)] == ["sana-sample-1", "sana-sample-2"]
    assert [d.location for d in docs] == [Location(str(file), 2), Location(str(file), 5)]
    assert docs[1].spans[3].location == Location(str(file), 5)  # type: ignore[union-attr]
    assert docs[1].links[0].location == Location(str(file), 5)  # type: ignore[union-attr]


def test_minimal_document_and_byte_order_mark(tmp_path: Path) -> None:
    file = tmp_path / "min.jsonl"
    file.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "d1", "text": TEXT}, ensure_ascii=False).encode() + b"\n")
    (doc,) = read_jsonl(file)
    assert doc == Document("d1", TEXT)


def test_folder_reads_jsonl_files_in_name_order(tmp_path: Path) -> None:
    _write_lines(tmp_path, json.dumps({"id": "b", "text": "ب"}), name="2.jsonl")
    _write_lines(tmp_path, json.dumps({"id": "a", "text": "أ"}), name="1.jsonl")
    _write_lines(tmp_path, json.dumps({"id": "z", "text": "ز"}), name="ignored.json")
    assert [d.id for d in read_jsonl(tmp_path) if isinstance(d, Document)] == ["a", "b"]
    assert detect_format(tmp_path) == "jsonl"
    assert [d.id for d in read(tmp_path) if isinstance(d, Document)] == ["a", "b"]


@pytest.mark.parametrize(
    ("line", "code", "in_message", "doc_id"),
    [
        ('{"id": "d1", "text": "نص",', "jsonl-invalid-json", "not valid JSON", None),
        ('["d1", "نص"]', "jsonl-not-object", "array", None),
        ('{"text": "نص"}', "jsonl-missing-field", "`id` is missing", None),
        ('{"id": "d1"}', "jsonl-missing-field", "`text` is missing", "d1"),
        ('{"id": 7, "text": "نص"}', "jsonl-wrong-type", "`id` must be a string, not integer 7", None),
        ('{"id": "", "text": "نص"}', "jsonl-wrong-type", "`id` is empty", None),
        ('{"id": "d1", "text": ["نص"]}', "jsonl-wrong-type", "`text` must be a string", "d1"),
        ('{"id": "d1", "text": "نص", "metadata": []}', "jsonl-wrong-type", "`metadata` must be null or an object",
         "d1"),
        ('{"id": "d1", "text": "نص", "metadata": {"date": 20210914}}', "jsonl-wrong-type",
         "`metadata.date` must be null or a string", "d1"),
        ('{"id": "d1", "text": "نص", "metadata": {"paragraphs": [[0, 1, 2]]}}', "jsonl-wrong-type",
         "`metadata.paragraphs[0]` must be a [start, end] pair", "d1"),
        ('{"id": "d1", "text": "نص", "metadata": {"paragraphs": [[0, "2"]]}}', "jsonl-wrong-type",
         "`metadata.paragraphs[0][1]` must be an integer", "d1"),
        ('{"id": "d1", "text": "نص", "spans": {}}', "jsonl-wrong-type", "`spans` must be null or an array", "d1"),
        ('{"id": "d1", "text": "نص", "spans": [{"id": "T1", "layer": "entities", "start": "0", "end": 2, '
         '"label": "GPE"}]}', "jsonl-wrong-type", '`spans[0].start` must be an integer, not string "0"', "d1"),
        ('{"id": "d1", "text": "نص", "spans": [{"id": "T1", "layer": "entities", "start": 0, "end": 1.5, '
         '"label": "GPE"}]}', "jsonl-wrong-type", "`spans[0].end` must be an integer, not number 1.5", "d1"),
        ('{"id": "d1", "text": "نص", "spans": [{"id": "T1", "layer": "entities", "start": false, "end": 2, '
         '"label": "GPE"}]}', "jsonl-wrong-type", "`spans[0].start` must be an integer, not boolean", "d1"),
        ('{"id": "d1", "text": "نص", "spans": [{"id": "T1", "layer": "entities", "start": 0, "end": 2}]}',
         "jsonl-missing-field", "`spans[0].label` is missing", "d1"),
        ('{"id": "d1", "text": "نص", "spans": ["T1"]}', "jsonl-wrong-type", "`spans[0]` must be an object", "d1"),
        ('{"id": "d1", "text": "نص", "spans": [{"id": "T1", "layer": "entities", "start": 0, "end": 2, '
         '"label": "GPE", "attributes": "x"}]}', "jsonl-wrong-type", "`spans[0].attributes` must be null or an object",
         "d1"),
        ('{"id": "d1", "text": "نص", "links": [{"id": "L1", "type": "speaker", "from": "Q1"}]}',
         "jsonl-missing-field", "`links[0].to` is missing", "d1"),
        ('{"id": "d1", "text": "نص", "links": [{"id": "L1", "type": "speaker", "from": "Q1", "to": 3}]}',
         "jsonl-wrong-type", "`links[0].to` must be a string", "d1"),
    ],
)
def test_bad_lines_are_unreadable_with_file_line_and_fix(
    tmp_path: Path, line: str, code: str, in_message: str, doc_id: str | None
) -> None:
    good = json.dumps({"id": "ok", "text": "نص"}, ensure_ascii=False)
    file = _write_lines(tmp_path, good, "", line, good.replace('"ok"', '"ok2"'))
    items = list(read_jsonl(file))
    # the bad line is counted and rejected; the lines around it are still read
    assert [type(item).__name__ for item in items] == ["Document", "Unreadable", "Document"]
    bad = items[1]
    assert isinstance(bad, Unreadable)
    assert bad.location == Location(str(file), 3)
    assert bad.doc_id == doc_id
    (problem,) = bad.problems
    assert problem.code == code and problem.severity is Severity.ERROR
    assert in_message in problem.message
    assert f"{file}:3" in str(problem) and problem.fix


def test_document_from_json_raises_input_error() -> None:
    with pytest.raises(InputError, match="`text` is missing"):
        document_from_json({"id": "d1"}, Location("x.jsonl", 4))


def test_unknown_keys_are_warnings_not_silent(tmp_path: Path) -> None:
    obj = document_to_json(_sample_document())
    obj["lang"] = "ar"
    obj["spans"][0]["lable"] = "GPE"
    obj["metadata"]["url"] = "https://sana.sy"
    file = _write_lines(tmp_path, json.dumps(obj, ensure_ascii=False))
    (doc,) = read_jsonl(file)
    assert isinstance(doc, Document)
    assert doc == _sample_document()
    messages = [(p.code, p.severity, p.line) for p in doc.problems]
    assert messages == [("jsonl-unknown-field", Severity.WARNING, 1)] * 3
    joined = " ".join(p.message for p in doc.problems)
    assert "'lang'" in joined and "'lable'" in joined and "'url'" in joined and "spans[0]" in joined


def test_line_that_is_not_utf8_is_unreadable_and_the_rest_is_read(tmp_path: Path) -> None:
    file = tmp_path / "mixed.jsonl"
    good = json.dumps({"id": "ok", "text": "نص"}, ensure_ascii=False).encode()
    file.write_bytes(good + b"\n" + '{"id": "x", "text": "موسكو"}'.encode("cp1256") + b"\n" + good + b"\n")
    kinds = [type(item).__name__ for item in read_jsonl(file)]
    assert kinds == ["Document", "Unreadable", "Document"]
    bad = list(read_jsonl(file))[1]
    assert isinstance(bad, Unreadable)
    assert bad.problems[0].code == "jsonl-not-utf8" and bad.problems[0].line == 2


def test_fixture_file_reads_with_one_error_line() -> None:
    items = list(read_jsonl(FIXTURES / "sana-paragraphs.jsonl"))
    docs = [item for item in items if isinstance(item, Document)]
    bad = [item for item in items if isinstance(item, Unreadable)]
    assert len(docs) == 2 and len(bad) == 1
    assert bad[0].problems[0].code == "jsonl-wrong-type" and bad[0].location.line == 5
    for doc in docs:
        for span in doc.spans:
            assert doc.text[span.start:span.end] == span.text, (doc.id, span.id)
    assert docs[0].span_by_id()["T2"].label == "PERS"


def test_bundled_gold_corpus_reads_cleanly() -> None:
    if not GOLD.exists():
        pytest.skip(f"bundled gold corpus not found at {GOLD}")
    items = list(read_jsonl(GOLD))
    assert items and all(isinstance(item, Document) for item in items)
    for doc in items:
        assert isinstance(doc, Document)
        assert doc.problems == ()
        assert all(doc.text[s.start:s.end] == s.text for s in doc.spans if s.text is not None)
