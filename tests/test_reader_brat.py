"""The BRAT standoff reader, on fixtures made from the SANA seed article, and its error paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataset_builder.model import Document, Link, Unreadable
from dataset_builder.problems import Location, Severity
from dataset_builder.readers import detect_format, read
from dataset_builder.readers.brat import default_layer, layer_resolver, read_brat
from dataset_builder.schema import load_schema

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "brat"


def _doc(path: Path, **options: object) -> Document:
    (item,) = list(read_brat(path, **options))  # type: ignore[arg-type]
    assert isinstance(item, Document), item
    return item


def _surfaces(doc: Document) -> dict[str, str]:
    return {span.id: doc.text[span.start:span.end] for span in doc.spans}


def test_clean_document_spans_land_on_the_intended_arabic_text() -> None:
    doc = _doc(FIXTURES / "sana-summit.ann")
    assert doc.id == "sana-summit"
    assert doc.problems == ()
    surfaces = _surfaces(doc)
    assert {k: v for k, v in surfaces.items() if k != "T7"} == {
        "T1": "موسكو", "T2": "سانا", "T3": "القمة الثانية", "T4": "الثانية", "T5": "الرئيس", "T6": "الأسد",
        "T8": "اليوم", "T9": "موسكو", "T10": "ست سنوات", "T11": "الجيشان العربي السوري", "T12": "العربي السوري",
    }
    assert surfaces["T7"].startswith("أنا سعيد أن نلتقي اليوم في موسكو")
    assert surfaces["T7"].endswith("ولا يقف عند الحدود السياسية")  # inside the quotation marks
    assert all(span.text == doc.text[span.start:span.end] for span in doc.spans)
    assert doc.text.encode("utf-8") == (FIXTURES / "sana-summit.txt").read_bytes()


def test_nested_spans_layers_relation_attributes_and_note() -> None:
    doc = _doc(FIXTURES / "sana-summit.txt")
    spans = doc.span_by_id()
    assert spans["T3"].start <= spans["T4"].start < spans["T4"].end <= spans["T3"].end
    assert spans["T11"].start < spans["T12"].start and spans["T12"].end == spans["T11"].end
    assert {span.id for span in doc.layer("quotes")} == {"T7"}
    assert spans["T7"].label == "DIRECT" and spans["T6"].layer == "entities"
    assert doc.links == (Link("R1", "speaker", "T7", "T6"),)
    assert doc.links[0].location == Location(str(FIXTURES / "sana-summit.ann"), 13)
    assert spans["T6"].attributes == {"Confidence": "High"}
    assert spans["T9"].attributes == {"Metonymy": True}
    assert spans["T3"].attributes == {"note": "القمة الثانية بين الرئيسين في موسكو"}
    assert spans["T1"].attributes == {}
    assert spans["T12"].location == Location(str(FIXTURES / "sana-summit.ann"), 12)
    assert doc.metadata.source_file == "sana-summit.txt"
    assert doc.metadata.extra == {"annotation_file": "sana-summit.ann"}


def test_clean_document_validates_against_the_corpus_schema() -> None:
    from dataset_builder.validate import validate_document

    schema = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml")
    # The only finding is that the attributes and notes the file holds have no column in the dataset.
    (problem,) = validate_document(_doc(FIXTURES / "sana-summit.ann"), schema)
    assert (problem.code, problem.severity) == ("span-attributes-not-written", Severity.WARNING)
    assert "3 span(s)" in problem.message and "'Metonymy'" in problem.message and "'note'" in problem.message


def test_fixture_text_is_copied_from_the_seed_article() -> None:
    if not SEED.exists():
        pytest.skip(f"shared seed article not found at {SEED}")
    seed = SEED.read_text(encoding="utf-8")
    for name in ("sana-summit.txt", "sana-armies.txt"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            assert line.rstrip('".') in seed, (name, line[:40])


def test_discontinuous_span_is_an_error_with_file_line_and_how_to_split() -> None:
    doc = _doc(FIXTURES / "sana-armies.ann")
    ann = str(FIXTURES / "sana-armies.ann")
    assert "T6" not in doc.span_by_id()
    (problem,) = [p for p in doc.problems if p.code == "brat-discontinuous"]
    assert problem.severity is Severity.ERROR
    assert (problem.path, problem.line, problem.span_id) == (ann, 6, "T6")
    assert f"{ann}:6" in str(problem)
    assert "'الجيشان'" in problem.message and "'الروسي'" in problem.message
    assert "split T6" in problem.fix


def test_references_to_the_discontinuous_span_are_reported_not_dropped_silently() -> None:
    doc = _doc(FIXTURES / "sana-armies.ann")
    references = [(p.line, p.span_id) for p in doc.problems if p.code == "brat-unknown-reference"]
    assert references == [(10, "T6"), (11, "T6")]  # R2 part-of, A1 Collective
    assert [link.id for link in doc.links] == ["R1"]
    assert "discontinuous" in next(p for p in doc.problems if p.code == "brat-unknown-reference").message


def test_unsupported_lines_are_warnings_with_their_line() -> None:
    doc = _doc(FIXTURES / "sana-armies.ann")
    warnings = [(p.line, p.severity) for p in doc.problems if p.code == "brat-unsupported-line"]
    assert warnings == [(12, Severity.WARNING), (13, Severity.WARNING), (14, Severity.WARNING)]
    kinds = " ".join(p.message for p in doc.problems if p.code == "brat-unsupported-line")
    assert "(event)" in kinds and "(equivalence)" in kinds and "(normalization)" in kinds
    assert [p.line for p in doc.problems] == sorted(p.line or 0 for p in doc.problems)


def test_defective_text_stays_inside_spans() -> None:
    doc = _doc(FIXTURES / "sana-armies.ann")
    assert _surfaces(doc)["T2"] == "ف\u0e34صل المقداد"
    assert _surfaces(doc)["T4"] == "الروسي"


def test_byte_offsets_are_diagnosed() -> None:
    doc = _doc(FIXTURES / "broken" / "byte-offsets.ann")
    mismatches = [p for p in doc.problems if p.code == "brat-text-mismatch"]
    assert [p.line for p in mismatches] == [1, 7]
    assert all("UTF-8 byte positions" in p.message and p.severity is Severity.ERROR for p in mismatches)
    assert "'بشار الأسد'" in mismatches[0].message
    codes = [(p.line, p.code) for p in doc.problems if p.code != "brat-text-mismatch"]
    assert codes == [
        (3, "brat-unsupported-line"), (4, "brat-malformed-line"), (5, "brat-duplicate-id"),
        (6, "brat-malformed-line"), (8, "brat-unknown-reference"),
    ]
    assert _surfaces(doc)["T2"] == "موسكو"  # the first T2 is kept, the duplicate is not


def test_ann_without_txt_is_unreadable() -> None:
    items = list(read_brat(FIXTURES / "broken"))
    assert [type(item).__name__ for item in items] == ["Document", "Unreadable"]
    orphan = items[1]
    assert isinstance(orphan, Unreadable)
    (problem,) = orphan.problems
    assert problem.code == "brat-missing-text" and orphan.doc_id == "orphan"
    assert "orphan.txt" in problem.message and problem.path == str(FIXTURES / "broken" / "orphan.ann")


def test_folder_reads_all_pairs_in_name_order() -> None:
    assert [d.id for d in read_brat(FIXTURES)] == ["sana-armies", "sana-summit"]
    assert detect_format(FIXTURES) == "brat"
    assert [d.id for d in read(FIXTURES)] == ["sana-armies", "sana-summit"]


def test_txt_without_ann_is_an_unannotated_document_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("موسكو-سانا\n", encoding="utf-8")
    doc = _doc(tmp_path)
    assert doc.spans == () and doc.text == "موسكو-سانا\n"
    assert [(p.code, p.severity) for p in doc.problems] == [("brat-no-annotations", Severity.WARNING)]


def test_crlf_counts_as_two_characters_and_lf_offsets_are_diagnosed(tmp_path: Path) -> None:
    text = "موسكو-سانا\r\n\r\nعقدت في موسكو قمة سورية روسية\r\n"
    (tmp_path / "crlf.txt").write_bytes(text.encode("utf-8"))
    start = text.index("قمة")
    lf_start = text.replace("\r\n", "\n").index("قمة")
    (tmp_path / "crlf.ann").write_text(
        f"T1\tEVENT {start} {start + 3}\tقمة\nT2\tEVENT {lf_start} {lf_start + 3}\tقمة\n", encoding="utf-8"
    )
    doc = _doc(tmp_path / "crlf.ann")
    assert doc.text == text
    assert _surfaces(doc)["T1"] == "قمة"
    (problem,) = doc.problems
    assert problem.code == "brat-text-mismatch" and problem.line == 2 and "\\r\\n" in problem.message


def test_byte_order_mark_is_a_character_as_in_brat(tmp_path: Path) -> None:
    text = "\ufeffموسكو-سانا\n"
    (tmp_path / "bom.txt").write_bytes(text.encode("utf-8"))
    (tmp_path / "bom.ann").write_text("T1\tGPE 1 6\tموسكو\n", encoding="utf-8")
    doc = _doc(tmp_path / "bom.ann")
    assert doc.text == text and doc.problems == ()
    assert _surfaces(doc)["T1"] == "موسكو"


def test_several_notes_are_joined_and_notes_on_relations_are_reported(tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text("قال الرئيس الأسد\n", encoding="utf-8")
    (tmp_path / "n.ann").write_text(
        "T1\tPERS 11 16\tالأسد\nT2\tDIRECT 0 3\tقال\nR1\tspeaker Arg1:T2 Arg2:T1\n"
        "#1\tAnnotatorNotes T1\tالرئيس السوري\n#2\tAnnotatorNotes T1\tذكر مختصر\n#3\tAnnotatorNotes R1\tواضح\n",
        encoding="utf-8",
    )
    doc = _doc(tmp_path / "n.ann")
    assert doc.span_by_id()["T1"].attributes == {"note": "الرئيس السوري\nذكر مختصر"}
    (problem,) = doc.problems
    assert (problem.code, problem.line) == ("brat-unknown-reference", 6)
    assert "not a text-bound span" in problem.message


def test_layer_of_mapping_and_function() -> None:
    mapped = _doc(FIXTURES / "sana-summit.ann", layer_of={"DATE": "temporal"})
    layers = {span.id: span.layer for span in mapped.spans}
    assert layers["T8"] == layers["T10"] == "temporal"
    assert layers["T7"] == "quotes" and layers["T1"] == "entities"  # unmapped types: default rule
    everything = _doc(FIXTURES / "sana-summit.ann", layer_of=lambda label: "all")
    assert {span.layer for span in everything.spans} == {"all"}


def test_default_layer_rule() -> None:
    assert [default_layer(t) for t in ("PERS", "QUOTE", "Direct", "INDIRECT", "quotes")] == [
        "entities", "quotes", "quotes", "quotes", "entities",
    ]
    assert layer_resolver(None) is default_layer
    with pytest.raises(TypeError, match="layer_of"):
        layer_resolver(42)  # type: ignore[arg-type]


def test_text_file_that_is_not_utf8_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes("موسكو".encode("cp1256"))
    (tmp_path / "w.ann").write_text("T1\tGPE 0 5\tموسكو\n", encoding="utf-8")
    (item,) = read_brat(tmp_path)
    assert isinstance(item, Unreadable)
    assert item.problems[0].code == "brat-not-utf8" and item.problems[0].line == 1
