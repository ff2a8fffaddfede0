"""Every validation error, on text taken from the seed article."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataset_builder.model import Document, Link, Location, Span
from dataset_builder.problems import Severity
from dataset_builder.schema import load_schema, schema_from_dict
from dataset_builder.validate import DocumentIdTracker, validate_document

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(ROOT / "corpora" / "sana-sample" / "schema.yaml")

# A sentence of the seed article (SANA, 2021-09-14), with the proclitic و on وبوتين.
TEXT = "وأضاف الرئيس الأسد: \"أريد أن أستغل هذا اللقاء\" وناقش الرئيسان الأسد وبوتين آخر المستجدات في موسكو."


def at(sub: str, occurrence: int = 0) -> tuple[int, int]:
    pos = -1
    for _ in range(occurrence + 1):
        pos = TEXT.index(sub, pos + 1)
    return pos, pos + len(sub)


def span(span_id: str, sub: str, label: str, layer: str = "entities", occurrence: int = 0, **kw) -> Span:
    start, end = at(sub, occurrence)
    return Span(span_id, layer, start, end, label, kw.pop("text", sub), location=Location("gold.jsonl", 7), **kw)


def good_doc(**changes) -> Document:
    spans = (
        span("T1", "الرئيس", "OCC"),
        span("T2", "الأسد", "PERS"),
        span("T3", "بوتين", "PERS"),
        span("T4", "موسكو", "GPE"),
        span("Q1", "أريد أن أستغل هذا اللقاء", "DIRECT", layer="quotes"),
    )
    links = (Link("L1", "speaker", "Q1", "T2"),)
    fields = {"id": "doc-1", "text": TEXT, "spans": spans, "links": links, "location": Location("gold.jsonl", 7)}
    fields.update(changes)
    return Document(**fields)


def codes(doc: Document, schema=SCHEMA) -> list[str]:
    return [p.code for p in validate_document(doc, schema)]


def test_clean_document_has_no_problems():
    assert validate_document(good_doc(), SCHEMA) == []


def test_missing_id():
    assert codes(good_doc(id="")) == ["doc-id-missing"]


@pytest.mark.parametrize("start,end", [(-1, 3), (5, 5), (10, 4), (0, len(TEXT) + 1)])
def test_offsets_outside_text(start, end):
    bad = Span("T9", "entities", start, end, "PERS", None)
    problems = validate_document(good_doc(spans=(*good_doc().spans, bad)), SCHEMA)
    assert [p.code for p in problems] == ["span-offsets"]
    assert problems[0].span_id == "T9" and problems[0].doc_id == "doc-1"
    assert f"length {len(TEXT)}" in problems[0].message


def test_text_mismatch_reports_where_the_text_really_is():
    start, end = at("بوتين")
    shifted = Span("T3", "entities", start - 1, end - 1, "PERS", "بوتين", location=Location("gold.jsonl", 7))
    spans = tuple(shifted if s.id == "T3" else s for s in good_doc().spans)
    problems = validate_document(good_doc(spans=spans), SCHEMA)
    assert [p.code for p in problems] == ["span-text-mismatch"]
    p = problems[0]
    assert (p.path, p.line, p.doc_id, p.span_id, p.offset) == ("gold.jsonl", 7, "doc-1", "T3", start - 1)
    assert f"[{start}, {end})" in p.fix
    assert "gold.jsonl:7" in str(p)


def test_whitespace_at_boundary_is_a_warning():
    start, end = at(" موسكو")
    spans = (*good_doc().spans[:3], Span("T4", "entities", start, end, "GPE", " موسكو"), good_doc().spans[4])
    problems = validate_document(good_doc(spans=spans), SCHEMA)
    assert [(p.code, p.severity) for p in problems] == [("span-whitespace", Severity.WARNING)]


def test_unknown_layer_and_label_with_suggestion():
    spans = (*good_doc().spans, span("T5", "موسكو", "GPE", layer="events"), span("T6", "بوتين", "PER"))
    problems = validate_document(good_doc(spans=spans), SCHEMA)
    got = {p.code: p for p in problems}
    assert sorted(p.code for p in problems) == ["unknown-label", "unknown-layer"]
    assert "entities, quotes" in got["unknown-layer"].fix
    assert "Did you mean 'PERS'?" in got["unknown-label"].fix


def test_duplicate_span_ids_and_duplicate_spans():
    dup_id = span("T1", "موسكو", "GPE")
    assert "span-id-duplicate" in codes(good_doc(spans=(*good_doc().spans, dup_id)))
    same = span("T7", "موسكو", "GPE")
    assert codes(good_doc(spans=(*good_doc().spans, same))) == ["span-duplicate"]


def test_nesting_allowed_in_entities_but_not_in_quotes():
    # OCC "الرئيس الأسد" containing PERS "الأسد": nesting is allowed in entities.
    outer = span("T8", "الرئيس الأسد", "OCC")
    assert codes(good_doc(spans=(*good_doc().spans, outer))) == []
    inner_quote = span("Q2", "أستغل هذا", "DIRECT", layer="quotes")
    problems = validate_document(good_doc(spans=(*good_doc().spans, inner_quote)), SCHEMA)
    assert [p.code for p in problems] == ["span-nesting"]
    assert "Q2" in problems[0].message and "Q1" in problems[0].message


def test_same_offsets_two_labels_is_nesting():
    # Wojood's كيلو B-UNIT B-QUANTITY: same span, two labels; fine where nesting is allowed.
    twin = span("T9", "موسكو", "LOC")
    assert codes(good_doc(spans=(*good_doc().spans, twin))) == []
    flat = schema_from_dict({**SCHEMA.to_dict(), "layers": {
        "entities": {**SCHEMA.to_dict()["layers"]["entities"], "nesting": False},
        "quotes": SCHEMA.to_dict()["layers"]["quotes"],
    }})
    assert codes(good_doc(spans=(*good_doc().spans, twin)), flat) == ["span-nesting"]


def test_crossing_spans_are_an_overlap_error():
    a = span("T10", "الرئيسان الأسد", "OCC")
    b = span("T11", "الأسد وبوتين", "PERS")
    problems = validate_document(good_doc(spans=(*good_doc().spans, a, b)), SCHEMA)
    assert [p.code for p in problems] == ["span-overlap"]
    assert "crosses" in problems[0].message


def test_depth_beyond_levels_is_a_warning():
    levels = [span(f"N{i}", sub, "EVENT") for i, sub in enumerate(
        ["الرئيسان الأسد وبوتين", "الأسد وبوتين", "وبوتين", "بوتين"])]
    problems = validate_document(good_doc(spans=(*good_doc().spans[:2], good_doc().spans[3], *levels[:3],
                                                 good_doc().spans[4])), SCHEMA)
    assert problems == []
    spans = (*good_doc().spans[:2], good_doc().spans[3], *levels, good_doc().spans[4])
    problems = validate_document(good_doc(spans=spans), SCHEMA)
    assert [(p.code, p.span_id, p.severity) for p in problems] == [("span-too-deep", "N3", Severity.WARNING)]


def test_links_dangling_wrong_type_layer_and_label():
    doc = good_doc(links=(
        Link("L1", "speaker", "Q1", "T2"),
        Link("L2", "speaker", "Q1", "T99"),
        Link("L3", "speaker", "T3", "T2"),
        Link("L4", "speaker", "Q1", "T4"),
        Link("L5", "mentions", "Q1", "T2"),
        Link("L1", "speaker", "Q1", "T3"),
    ))
    got = sorted((p.code, p.span_id) for p in validate_document(doc, SCHEMA))
    assert got == [
        ("link-dangling", "L2"),
        ("link-id-duplicate", "L1"),
        ("link-wrong-label", "L4"),
        ("link-wrong-layer", "L3"),
        ("unknown-link-type", "L5"),
    ]


def test_duplicate_document_ids_across_a_build():
    tracker = DocumentIdTracker()
    first = good_doc(location=Location("a.jsonl", 1))
    second = good_doc(location=Location("b.jsonl", 4))
    assert tracker.check(first) == []
    problems = tracker.check(second)
    assert [p.code for p in problems] == ["doc-id-duplicate"]
    assert "a.jsonl:1" in problems[0].message and problems[0].path == "b.jsonl" and problems[0].line == 4


def test_every_problem_says_where_what_and_how_to_fix():
    spans = (*good_doc().spans, Span("T9", "entities", 3, 1, "XX"), span("T1", "موسكو", "PERSON"))
    for p in validate_document(good_doc(spans=spans, links=(Link("L9", "speaker", "Q1", "nope"),)), SCHEMA):
        assert p.path == "gold.jsonl" and p.doc_id == "doc-1"
        assert p.message and p.fix
        assert str(p).startswith("gold.jsonl:7")
