"""The plain news article reader, on the real SANA seed article and on small variants of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataset_builder.model import Document, Unreadable
from dataset_builder.problems import Severity
from dataset_builder.readers import detect_format, read
from dataset_builder.readers.article import read_article

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"

# Lines of the seed article, used to build small articles when the shared data is absent.
TITLE = "قمة سورية روسية في موسكو بين الرئيسين الأسد وبوتين... المباحثات شملت تطوير ملفات التعاون الثنائي"
PARAGRAPH_1 = "عقدت في موسكو قمة سورية روسية بين السيدين الرئيسين بشار الأسد وفلاديمير بوتين."
PARAGRAPH_2 = "وناقش الرئيسان الأسد وبوتين آخر مستجدات الأوضاع على الساحتين الإقليمية والدولية."
CAPTION = "تصريح الرئيسين الأسد وبوتين في بداية القمة الثانية في موسكو"


def _only(items: list[Document | Unreadable]) -> Document:
    assert len(items) == 1
    (doc,) = items
    assert isinstance(doc, Document), doc
    return doc


def _write(tmp_path: Path, content: str | bytes, name: str = "article.txt") -> Path:
    file = tmp_path / name
    if isinstance(content, str):
        file.write_text(content, encoding="utf-8", newline="")
    else:
        file.write_bytes(content)
    return file


def _article(*lines: str, sep: str = "\n") -> str:
    return sep.join(lines) + sep


@pytest.fixture(scope="module")
def seed_doc() -> Document:
    if not SEED.exists():
        pytest.skip(f"shared seed article not found at {SEED}")
    return _only(list(read_article(SEED, licence="© SANA")))


def test_seed_metadata(seed_doc: Document) -> None:
    meta = seed_doc.metadata
    assert seed_doc.id == "sana-2021-09-14-assad-putin-moscow"
    assert meta.title == (
        "قمة سورية روسية في موسكو بين الرئيسين الأسد وبوتين... المباحثات شملت تطوير ملفات التعاون "
        "الثنائي ومكافحة الإرهاب - فيديو"
    )
    assert meta.date == "2021-09-14"
    assert (meta.dateline_place, meta.dateline_agency) == ("موسكو", "سانا")
    assert meta.source_file == SEED.name
    assert meta.licence == "© SANA"
    assert seed_doc.problems == ()


def test_seed_text_is_the_file_byte_for_byte(seed_doc: Document) -> None:
    assert seed_doc.text.encode("utf-8") == SEED.read_bytes()
    # the published defects stay in the text
    assert "ف\u0e34صل" in seed_doc.text and "وقراهem" in seed_doc.text and "لا\u06ccت" in seed_doc.text


def test_seed_paragraphs_are_the_body_lines(seed_doc: Document) -> None:
    lines = [line for line in SEED.read_text(encoding="utf-8").split("\n") if line.strip()]
    # title, date, dateline, 14 body paragraphs, caption
    body = lines[3:-1]
    assert len(seed_doc.metadata.paragraphs) == len(body) == 14
    assert [seed_doc.text[s:e] for s, e in seed_doc.metadata.paragraphs] == body
    assert seed_doc.text[slice(*seed_doc.metadata.paragraphs[0])].startswith("عقدت في موسكو قمة سورية روسية")
    assert seed_doc.text[slice(*seed_doc.metadata.paragraphs[-1])].endswith("بالدرجة الأولى.")


def test_seed_header_and_caption_spans(seed_doc: Document) -> None:
    text, extra = seed_doc.text, seed_doc.metadata.extra
    assert text[slice(*extra["title_span"])] == seed_doc.metadata.title
    assert text[slice(*extra["date_span"])] == "2021-09-14"
    assert text[slice(*extra["dateline_span"])] == "موسكو-سانا"
    assert text[slice(*extra["caption"])] == CAPTION
    # the caption is not a body paragraph and comes after all of them
    assert tuple(extra["caption"]) not in seed_doc.metadata.paragraphs
    assert extra["caption"][0] > seed_doc.metadata.paragraphs[-1][1]


def test_registry_reads_the_seed_as_an_article() -> None:
    if not SEED.exists():
        pytest.skip(f"shared seed article not found at {SEED}")
    assert detect_format(SEED) == "article"
    assert _only(list(read(SEED))).metadata.date == "2021-09-14"


def test_crlf_and_bom_keep_offsets_into_the_decoded_text(tmp_path: Path) -> None:
    content = _article("", TITLE, "", "2021-09-14", "", "دمشق-سانا", "", PARAGRAPH_1, "", CAPTION, sep="\r\n")
    file = _write(tmp_path, b"\xef\xbb\xbf" + content.encode("utf-8"))
    doc = _only(list(read_article(file)))
    assert doc.text == content  # BOM gone, CRLF kept
    assert "\r\n" in doc.text
    assert doc.metadata.title == TITLE
    assert [doc.text[s:e] for s, e in doc.metadata.paragraphs] == [PARAGRAPH_1]
    assert doc.text[slice(*doc.metadata.extra["caption"])] == CAPTION
    assert doc.problems == ()


@pytest.mark.parametrize(
    ("dateline", "place", "agency"),
    [
        ("موسكو-سانا", "موسكو", "سانا"),
        ("دمشق - سانا", "دمشق", "سانا"),
        ("دير الزور – سانا", "دير الزور", "سانا"),
        ("حلب ـ سانا", "حلب", "سانا"),
        ("القاهرة—أ ش أ", "القاهرة", "أ ش أ"),
    ],
)
def test_dateline_variants(tmp_path: Path, dateline: str, place: str, agency: str) -> None:
    file = _write(tmp_path, _article(TITLE, "2021-09-14", dateline, "", PARAGRAPH_1))
    doc = _only(list(read_article(file)))
    assert (doc.metadata.dateline_place, doc.metadata.dateline_agency) == (place, agency)
    assert doc.text[slice(*doc.metadata.extra["dateline_span"])] == dateline
    assert [doc.text[s:e] for s, e in doc.metadata.paragraphs] == [PARAGRAPH_1]


def test_arabic_indic_date_is_read_as_iso(tmp_path: Path) -> None:
    file = _write(tmp_path, _article(TITLE, "٢٠٢١-٠٩-١٤", "موسكو-سانا", "", PARAGRAPH_1))
    doc = _only(list(read_article(file)))
    assert doc.metadata.date == "2021-09-14"
    assert doc.text[slice(*doc.metadata.extra["date_span"])] == "٢٠٢١-٠٩-١٤"  # text untouched


@pytest.mark.parametrize("bad_date", ["14/09/2021", "2021-02-30", "2021-9-14", "2021-13-45"])
def test_non_iso_or_impossible_date_is_an_error_not_body_text(tmp_path: Path, bad_date: str) -> None:
    file = _write(tmp_path, _article("", TITLE, "", bad_date, "موسكو-سانا", "", PARAGRAPH_1))
    doc = _only(list(read_article(file)))
    assert doc.metadata.date is None
    (problem,) = doc.problems
    assert (problem.code, problem.severity, problem.line) == ("article-date-not-iso", Severity.ERROR, 4)
    assert problem.path == str(file) and bad_date in problem.message and "YYYY-MM-DD" in problem.fix
    assert doc.metadata.dateline_place == "موسكو"
    assert [doc.text[s:e] for s, e in doc.metadata.paragraphs] == [PARAGRAPH_1]


def test_missing_date_line_is_an_error_and_the_dateline_is_still_found(tmp_path: Path) -> None:
    file = _write(tmp_path, _article(TITLE, "", "موسكو-سانا", "", PARAGRAPH_1, "", PARAGRAPH_2))
    doc = _only(list(read_article(file)))
    assert doc.metadata.date is None and doc.metadata.extra["date_span"] is None
    assert [(p.code, p.line, p.severity) for p in doc.problems] == [("article-no-date", 3, Severity.ERROR)]
    assert "'موسكو-سانا'" in doc.problems[0].message  # the value found instead
    assert str(file) in str(doc.problems[0])
    assert doc.metadata.dateline_agency == "سانا"
    assert [doc.text[s:e] for s, e in doc.metadata.paragraphs] == [PARAGRAPH_1, PARAGRAPH_2]
    assert doc.metadata.extra["caption"] is None  # the last paragraph ends a sentence


def test_body_sentence_with_a_hyphen_is_not_a_dateline(tmp_path: Path) -> None:
    sentence = "وأضاف الرئيس الأسد أن العلاقات السورية - الروسية متينة."
    file = _write(tmp_path, _article(TITLE, "2021-09-14", "", sentence))
    doc = _only(list(read_article(file)))
    assert doc.metadata.dateline_place is None
    assert [p.code for p in doc.problems] == ["article-no-dateline"]
    assert doc.problems[0].line == 4
    assert [doc.text[s:e] for s, e in doc.metadata.paragraphs] == [sentence]


def test_multi_line_block_is_one_paragraph(tmp_path: Path) -> None:
    file = _write(tmp_path, _article(TITLE, "2021-09-14", "موسكو-سانا", "", PARAGRAPH_1, PARAGRAPH_2 + "  "))
    doc = _only(list(read_article(file)))
    (paragraph,) = doc.metadata.paragraphs
    assert doc.text[slice(*paragraph)] == PARAGRAPH_1 + "\n" + PARAGRAPH_2  # trailing spaces outside


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file_is_an_error_not_a_crash(tmp_path: Path, content: str) -> None:
    file = _write(tmp_path, content)
    doc = _only(list(read_article(file)))
    assert doc.text == content
    assert doc.metadata.title is None and doc.metadata.paragraphs == ()
    assert [(p.code, p.severity, p.line, p.path) for p in doc.problems] == [
        ("article-no-title", Severity.ERROR, 1, str(file))]


def test_title_only_file(tmp_path: Path) -> None:
    doc = _only(list(read_article(_write(tmp_path, TITLE))))
    assert doc.metadata.title == TITLE
    assert {p.code for p in doc.problems} == {"article-no-date", "article-no-dateline", "article-no-body"}
    body = next(p for p in doc.problems if p.code == "article-no-body")
    assert body.is_error and body.line == 1 and TITLE[:40] in body.message


def test_file_that_is_not_utf8_is_unreadable(tmp_path: Path) -> None:
    file = _write(tmp_path, TITLE.encode("utf-8") + b"\n" + "موسكو".encode("cp1256"))
    (item,) = read_article(file)
    assert isinstance(item, Unreadable)
    (problem,) = item.problems
    assert (problem.code, problem.line, problem.path) == ("article-not-utf8", 2, str(file))
    assert "UTF-8" in problem.fix


def test_folder_is_read_in_name_order_with_relative_source_files(tmp_path: Path) -> None:
    body = _article(TITLE, "2021-09-14", "موسكو-سانا", "", PARAGRAPH_1)
    _write(tmp_path, body, "b.txt")
    _write(tmp_path, body.replace("2021-09-14", "2021-09-15"), "a.txt")
    _write(tmp_path, "not an article", "notes.md")
    docs = [doc for doc in read_article(tmp_path, licence="CC BY 4.0") if isinstance(doc, Document)]
    assert [(d.id, d.metadata.source_file, d.metadata.date) for d in docs] == [
        ("a", "a.txt", "2021-09-15"), ("b", "b.txt", "2021-09-14"),
    ]
    assert {d.metadata.licence for d in docs} == {"CC BY 4.0"}


def test_doc_id_option(tmp_path: Path) -> None:
    file = _write(tmp_path, _article(TITLE, "2021-09-14", "موسكو-سانا", "", PARAGRAPH_1))
    assert _only(list(read_article(file, doc_id="sana-1"))).id == "sana-1"
    with pytest.raises(ValueError, match="single document"):
        list(read_article(tmp_path, doc_id="sana-1"))


def test_metadata_agrees_with_the_hand_annotated_gold_corpus() -> None:
    """The bundled gold corpus records title, date, dateline, paragraphs and caption by hand."""
    from dataset_builder.readers.jsonl import read_jsonl

    corpus = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample"
    raw = corpus / "raw" / "sana-2021-09-14-assad-putin-moscow.txt"
    if not (corpus / "sana-sample.jsonl").exists() or not raw.exists():
        pytest.skip("bundled gold corpus not found")
    (gold,) = read_jsonl(corpus / "sana-sample.jsonl")
    article = _only(list(read_article(raw)))
    assert isinstance(gold, Document)
    assert article.text == gold.text
    for name in ("title", "date", "dateline_place", "dateline_agency", "paragraphs"):
        assert getattr(article.metadata, name) == getattr(gold.metadata, name), name
    for key in ("title_span", "date_span", "dateline_span", "caption"):
        assert tuple(article.metadata.extra[key]) == tuple(gold.metadata.extra[key]), key
