"""The Label Studio reader: UTF-16 offset conversion, annotation policies and error paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataset_builder.model import Document, Link, Unreadable
from dataset_builder.problems import Severity
from dataset_builder.readers import detect_format, read
from dataset_builder.readers.labelstudio import Utf16Offsets, read_labelstudio

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"
EXPORT = FIXTURES / "sana-export.json"
EXPORT_MIN = FIXTURES / "sana-export-min.json"
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"

# Text of task 102: astral characters (emoji, flags, 𝕏) before and inside spans.
SOCIAL = "😀 عاجل | قمة سورية روسية في موسكو 🇸🇾🇷🇺 بين الرئيسين الأسد وبوتين #قمة_موسكو_𝕏 🎥"


def _js_length(text: str) -> int:
    """What JavaScript's String.length says: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _docs(path: Path = EXPORT, **options: Any) -> dict[str, Document | Unreadable]:
    return {item.doc_id if isinstance(item, Unreadable) else item.id: item  # type: ignore[misc]
            for item in read_labelstudio(path, **options)}


def _surfaces(doc: Document | Unreadable) -> dict[str, str]:
    assert isinstance(doc, Document), doc
    return {span.id: doc.text[span.start:span.end] for span in doc.spans}


def _task(text: str, *results: dict[str, Any], task_id: int = 1) -> dict[str, Any]:
    return {"id": task_id, "data": {"text": text}, "annotations": [{"id": 1, "result": list(results)}]}


def _region(region_id: str, start: int, end: int, text: str | None, *labels: str) -> dict[str, Any]:
    value: dict[str, Any] = {"start": start, "end": end, "labels": list(labels)}
    if text is not None:
        value["text"] = text
    return {"id": region_id, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def _write(tmp_path: Path, content: Any, name: str = "export.json") -> Path:
    file = tmp_path / name
    file.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=1),
                    encoding="utf-8")
    return file


# -- the converter --------------------------------------------------------------------------------

def test_converter_with_emoji_before_and_inside_a_span() -> None:
    index = Utf16Offsets(SOCIAL)
    for surface in ("موسكو", "الأسد", "بوتين", "#قمة_موسكو_𝕏", "🇸🇾🇷🇺", "😀"):
        start = SOCIAL.index(surface)
        js_start = _js_length(SOCIAL[:start])
        js_end = js_start + _js_length(surface)
        assert (index.to_codepoints(js_start), index.to_codepoints(js_end)) == (start, start + len(surface))
        assert (index.to_utf16(start), index.to_utf16(start + len(surface))) == (js_start, js_end)
    assert index.to_codepoints(_js_length(SOCIAL)) == len(SOCIAL)


def test_converter_on_arabic_only_text_is_the_identity() -> None:
    text = "وأضاف بوتين: أعلم أنكم تعملون الكثير من أجل ذلك"
    index = Utf16Offsets(text)
    assert index.is_identity
    assert [index.to_codepoints(i) for i in range(len(text) + 1)] == list(range(len(text) + 1))


def test_converter_rejects_offsets_inside_a_surrogate_pair_or_outside() -> None:
    index = Utf16Offsets("a😀b")
    assert [index.to_codepoints(u) for u in (0, 1, 3, 4)] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="surrogate pair"):
        index.to_codepoints(2)
    with pytest.raises(ValueError, match="outside"):
        index.to_codepoints(5)
    with pytest.raises(ValueError, match="outside"):
        index.to_utf16(4)


@given(st.text(alphabet=st.sampled_from(["a", "س", "ً", " ", "😀", "𝕏", "\U0001f1f8", "\u0e34"]), max_size=30))
def test_converter_agrees_with_python_utf16_encoding(text: str) -> None:
    index = Utf16Offsets(text)
    boundaries = {_js_length(text[:i]): i for i in range(len(text) + 1)}
    for unit in range(_js_length(text) + 1):
        if unit in boundaries:
            assert index.to_codepoints(unit) == boundaries[unit]
        else:
            with pytest.raises(ValueError):
                index.to_codepoints(unit)
    assert all(index.to_utf16(i) == _js_length(text[:i]) for i in range(len(text) + 1))


# -- the full JSON export -------------------------------------------------------------------------

def test_spans_land_on_the_intended_arabic_text_after_astral_characters() -> None:
    doc = _docs()["102"]
    assert _surfaces(doc) == {
        "s1": "موسكو", "s2": "الأسد", "s3": "بوتين", "s4": "#قمة_موسكو_𝕏", "s5": "سورية",
    }
    assert isinstance(doc, Document)
    assert doc.text == SOCIAL
    assert [p for p in doc.problems if p.severity is not Severity.INFO] == []


def test_first_annotation_relations_quotes_and_metadata() -> None:
    doc = _docs()["101"]
    assert isinstance(doc, Document)
    surfaces = _surfaces(doc)
    assert (surfaces["e1"], surfaces["e2"], surfaces["e3"]) == ("الرئيس", "بوتين", "موسكو")
    assert surfaces["q1"].startswith("سعيد جداً أن أرحب بكم في موسكو")
    assert doc.span_by_id()["q1"].layer == "quotes" and doc.span_by_id()["e2"].layer == "entities"
    assert doc.links == (Link("R1", "speaker", "q1", "e2"),)
    assert doc.metadata.title == "قمة سورية روسية في موسكو" and doc.metadata.date == "2021-09-14"
    extra = doc.metadata.extra
    assert (extra["annotation_id"], extra["annotation_policy"], extra["labelstudio_task_id"]) == (8, "first", 101)
    assert extra["data"] == {"paragraph": 9}
    codes = [(p.code, p.severity) for p in doc.problems]
    assert codes == [("labelstudio-cancelled", Severity.INFO), ("labelstudio-other-annotations", Severity.INFO)]
    assert all(p.path == str(EXPORT) and p.line == 2 for p in doc.problems)


def test_task_text_is_from_the_seed_article() -> None:
    if not SEED.exists():
        pytest.skip(f"shared seed article not found at {SEED}")
    doc = _docs()["101"]
    assert isinstance(doc, Document)
    assert doc.text in SEED.read_text(encoding="utf-8")


def test_annotation_all_reads_every_submitted_annotation() -> None:
    docs = _docs(annotation="all")
    assert [key for key in docs if key.startswith("101")] == ["101-a8", "101-a9"]
    second = docs["101-a9"]
    assert isinstance(second, Document)
    assert second.metadata.extra["annotation_policy"] == "all" and second.metadata.extra["completed_by"] == 3
    assert _surfaces(second) == {"e1": "الرئيس", "e2": "بوتين", "e3": "موسكو"}
    (dangling,) = [p for p in second.problems if p.code == "labelstudio-unknown-reference"]
    assert dangling.doc_id == "101-a9" and "q9" in dangling.message and dangling.severity is Severity.ERROR
    assert all(p.doc_id == "101-a9" for p in second.problems)


def test_unannotated_task_is_an_error_and_predictions_are_noted() -> None:
    doc = _docs()["103"]
    assert isinstance(doc, Document) and doc.spans == ()
    assert [(p.code, p.severity) for p in doc.problems] == [
        ("labelstudio-predictions-ignored", Severity.INFO), ("labelstudio-unannotated", Severity.ERROR),
    ]


def test_task_without_the_text_field_is_unreadable_and_text_field_option_reads_it() -> None:
    bad = _docs()["104"]
    assert isinstance(bad, Unreadable)
    (problem,) = bad.problems
    assert problem.code == "labelstudio-no-text" and "article" in problem.message
    assert f"{EXPORT}:{problem.line}" in str(problem) and 'text_field="article"' in problem.fix
    good = _docs(text_field="article")["104"]
    assert isinstance(good, Document) and good.text.startswith("وناقش الرئيسان الأسد وبوتين")


def test_from_name_filters_controls_with_info() -> None:
    docs = _docs(from_name="label")
    doc = docs["101"]
    assert isinstance(doc, Document)
    assert "q1" not in doc.span_by_id() and doc.links == ()
    notes = [p for p in doc.problems if p.code == "labelstudio-other-controls"]
    assert [p.severity for p in notes] == [Severity.INFO, Severity.INFO]
    assert "quote (1)" in notes[0].message
    assert not any(p.is_error for p in doc.problems)


def test_per_region_and_document_level_choices_are_kept() -> None:
    doc = _docs()["102"]
    assert isinstance(doc, Document)
    assert doc.span_by_id()["s2"].attributes == {"confidence": ("high",)}
    assert doc.metadata.extra["document_results"] == {"topic": ("politics", "diplomacy")}


def test_codepoint_offsets_option_and_its_diagnosis() -> None:
    doc = _docs(offsets="codepoints")["102"]
    assert isinstance(doc, Document)
    mismatches = [p for p in doc.problems if p.code == "labelstudio-text-mismatch"]
    assert len(mismatches) == 5
    assert all("fit UTF-16 code units" in p.message for p in mismatches)


def test_auto_offsets_pick_code_points_when_only_they_fit(tmp_path: Path) -> None:
    start = SOCIAL.index("الأسد")
    task = _task(SOCIAL, _region("p1", start, start + 5, "الأسد", "PERS"))
    file = _write(tmp_path, [task])
    (as_utf16,) = read_labelstudio(file)
    assert isinstance(as_utf16, Document)
    (problem,) = as_utf16.problems
    assert problem.code == "labelstudio-text-mismatch" and "offsets='codepoints' or 'auto'" in problem.message
    (auto,) = read_labelstudio(file, offsets="auto")
    assert isinstance(auto, Document)
    assert _surfaces(auto) == {"p1": "الأسد"}
    assert [(p.code, p.severity) for p in auto.problems] == [("labelstudio-codepoint-offsets", Severity.INFO)]


def test_offset_inside_a_surrogate_pair_is_reported(tmp_path: Path) -> None:
    file = _write(tmp_path, [_task("😀 سانا", _region("r1", 1, 4, None, "ORG"))])
    (doc,) = read_labelstudio(file)
    assert isinstance(doc, Document) and doc.spans == ()
    (problem,) = doc.problems
    assert problem.code == "labelstudio-bad-offsets" and "surrogate pair" in problem.message
    assert problem.span_id == "r1" and problem.line == 2


def test_region_problems(tmp_path: Path) -> None:
    text = "قال الرئيس الأسد"
    results = [
        _region("r1", 11, 16, "الأسد", "PERS", "OCC"),
        _region("r2", 4, 10, "الرئيس"),
        _region("r3", "4", 10, "الرئيس", "OCC"),  # type: ignore[arg-type]
        {"from_id": "r1", "to_id": "r2", "type": "relation", "direction": "left", "labels": ["x", "y"]},
        {"from_id": "r1", "to_id": "r1", "type": "relation", "direction": "bi"},
    ]
    file = _write(tmp_path, [_task(text, *results)])
    (doc,) = read_labelstudio(file)
    assert isinstance(doc, Document)
    assert [(s.id, s.label) for s in doc.spans] == [("r1", "PERS"), ("r1-2", "OCC")]
    codes = [(p.code, p.severity, p.span_id) for p in doc.problems]
    assert codes == [
        ("labelstudio-multiple-labels", Severity.WARNING, "r1"),
        ("labelstudio-no-label", Severity.ERROR, "r2"),
        ("labelstudio-bad-result", Severity.ERROR, "r3"),
        ("labelstudio-unknown-reference", Severity.ERROR, "r2"),
        ("labelstudio-bidirectional-relation", Severity.WARNING, "r1"),
    ]
    assert doc.links == (Link("R1", "relation", "r1", "r1"),)


def test_left_relation_is_reversed_and_each_label_is_a_link(tmp_path: Path) -> None:
    text = "قال الرئيس الأسد"
    results = [
        _region("p", 11, 16, "الأسد", "PERS"), _region("q", 0, 3, "قال", "DIRECT"),
        {"from_id": "p", "to_id": "q", "type": "relation", "direction": "left", "labels": ["speaker", "cue"]},
    ]
    (doc,) = read_labelstudio(_write(tmp_path, [_task(text, *results)]))
    assert isinstance(doc, Document) and doc.problems == ()
    assert doc.links == (Link("R1", "speaker", "q", "p"), Link("R2", "cue", "q", "p"))


# -- other shapes and files -----------------------------------------------------------------------

def test_json_min_export() -> None:
    (doc,) = read_labelstudio(EXPORT_MIN)
    assert isinstance(doc, Document)
    assert doc.id == "102" and doc.problems == ()
    assert sorted(_surfaces(doc).values()) == sorted(["موسكو", "الأسد", "بوتين", "#قمة_موسكو_𝕏", "سورية"])
    assert doc.metadata.extra["annotation_policy"] == "json-min" and doc.metadata.extra["annotation_id"] == 10
    assert doc.metadata.extra["data"]["topic"] == "politics"


def test_single_task_object_is_accepted(tmp_path: Path) -> None:
    file = _write(tmp_path, _task("موسكو-سانا", _region("g", 0, 5, "موسكو", "GPE")))
    (doc,) = read_labelstudio(file)
    assert isinstance(doc, Document) and _surfaces(doc) == {"g": "موسكو"}


@pytest.mark.parametrize(
    ("content", "code", "line"),
    [
        ('[{"id": 1, "data": {"text": "نص"}},\n  {"id": 2,', "labelstudio-invalid-json", 2),
        ("", "labelstudio-invalid-json", 1),
        ('"just a string"', "labelstudio-unknown-shape", 1),
        ('[\n  {"id": 1, "data": {"text": "نص"}, "annotations": []},\n  ["not", "a task"]\n]',
         "labelstudio-unknown-shape", 3),
        ('[\n  {"id": 5, "tokens": ["نص"]}\n]', "labelstudio-unknown-shape", 2),
    ],
)
def test_bad_files_and_tasks_are_unreadable_with_file_and_line(
    tmp_path: Path, content: str, code: str, line: int
) -> None:
    file = _write(tmp_path, content)
    bad = [item for item in read_labelstudio(file) if isinstance(item, Unreadable)]
    assert len(bad) == 1
    (problem,) = bad[0].problems
    assert (problem.code, problem.line) == (code, line)
    assert f"{file}:{line}" in str(problem) and problem.fix


def test_empty_export_yields_nothing(tmp_path: Path) -> None:
    assert list(read_labelstudio(_write(tmp_path, "[]\n"))) == []


def test_option_values_are_checked() -> None:
    with pytest.raises(ValueError, match="annotation"):
        list(read_labelstudio(EXPORT, annotation="last"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="offsets"):
        list(read_labelstudio(EXPORT, offsets="bytes"))  # type: ignore[arg-type]


def test_registry_detects_label_studio_json_and_folders(tmp_path: Path) -> None:
    assert detect_format(EXPORT) == "labelstudio"
    assert [getattr(d, "id", None) for d in read(EXPORT)][:3] == ["101", "102", "103"]
    assert [d.id for d in read_labelstudio(FIXTURES) if isinstance(d, Document)][:1] == ["102"]  # min first
