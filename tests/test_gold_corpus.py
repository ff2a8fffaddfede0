"""The bundled gold corpus (corpora/sana-sample): text kept byte-exact, spans and links consistent,
boundaries following the annotation guideline, and the counts the documentation states."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dataset_builder.schema import Schema, load_schema

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpora" / "sana-sample"
JSONL = CORPUS / "sana-sample.jsonl"
RAW = CORPUS / "raw" / "sana-2021-09-14-assad-putin-moscow.txt"
README = CORPUS / "README.md"
GUIDELINE = REPO / "docs" / "annotation-guideline.md"
SHARED_SEED = REPO.parent / "shared" / "seed" / RAW.name

DOC_ID = "sana-2021-09-14-assad-putin-moscow"
LICENCE = (
    "Source text © SANA (sana.sy), redistributed here as a short research sample; "
    "annotations CC BY-SA 4.0 by the akhbar project"
)
PROCLITICS = "وفبلك"
# Prefixes a word may carry before a mention: a conjunction, then a preposition (و ف ب ل ك وب ول فل …).
PROCLITIC_PREFIX = re.compile(r"[وف]?[بلك]?")
# Words that legitimately begin a mention with one of the letters و ف ب ل ك: the letter is a root
# letter, or (after a left-out preposition ل) the lam of the article in ل + ال = لل.
MENTION_INITIAL_WORDS = frozenset({
    "بشار", "بوتين", "فلاديمير", "فิصل", "وزير", "وزارة",  # root letters
    "لدولة", "لشعب", "لمؤسسة", "لانتخابات", "لإرهابيين",  # article lam after the preposition ل
})
# Defects of the published article that must survive in the text and inside their spans.
DEFECTS = {"\u0e34": "PERS", "\u06cc": "PRODUCT"}
COUNT_ROW = re.compile(r"^\|\s*(entities|quotes|links)\s*\|\s*([A-Z]+|\(all\)|\(nested\)|speaker)\s*\|\s*(\d+)\s*\|$")


@pytest.fixture(scope="module")
def raw_line() -> str:
    lines = [line for line in JSONL.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == 1, "the corpus holds exactly one document, on one line"
    return lines[0]


@pytest.fixture(scope="module")
def doc(raw_line: str) -> dict[str, Any]:
    return json.loads(raw_line)


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema(CORPUS / "schema.yaml")


def _layer(doc: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [span for span in doc["spans"] if span["layer"] == layer]


def _inside(inner: dict[str, Any], outer: dict[str, Any]) -> bool:
    return inner is not outer and outer["start"] <= inner["start"] and inner["end"] <= outer["end"]


def corpus_counts(doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    """Counts per (layer, label) as the README and guideline tables state them, every schema label included."""
    entities = _layer(doc, "entities")
    quotes = _layer(doc, "quotes")
    counts: dict[tuple[str, str], int] = {}
    for layer_name, spans in (("entities", entities), ("quotes", quotes)):
        by_label = Counter(span["label"] for span in spans)
        for label in load_schema(CORPUS / "schema.yaml").layer(layer_name).label_names:
            counts[(layer_name, label)] = by_label[label]
        counts[(layer_name, "(all)")] = len(spans)
    counts[("entities", "(nested)")] = sum(1 for s in entities if any(_inside(s, o) for o in entities))
    for link_type, n in Counter(link["type"] for link in doc["links"]).items():
        counts[("links", link_type)] = n
    return counts


def _stated_counts(path: Path) -> dict[tuple[str, str], int]:
    stated: dict[tuple[str, str], int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = COUNT_ROW.match(line.strip())
        if match:
            key = (match[1], match[2])
            assert key not in stated, f"{path.name}: row {key} appears twice in the counts table"
            stated[key] = int(match[3])
    return stated


# --- the text -------------------------------------------------------------------------------------

def test_document_shape_and_key_order(raw_line: str) -> None:
    obj = json.loads(raw_line, object_pairs_hook=lambda pairs: pairs)
    assert [key for key, _ in obj] == ["id", "text", "metadata", "spans", "links"]
    metadata = dict(obj)["metadata"]
    assert [key for key, _ in metadata] == [
        "title", "date", "dateline_place", "dateline_agency", "source_file", "licence", "paragraphs", "extra",
    ]
    assert [key for key, _ in dict(metadata)["extra"]] == [
        "caption", "title_span", "dateline_span", "date_span", "source_url",
    ]
    for span in dict(obj)["spans"]:
        assert [key for key, _ in span] == ["id", "layer", "start", "end", "label", "text"]
    for link in dict(obj)["links"]:
        assert [key for key, _ in link] == ["id", "type", "from", "to"]
    # Written with ensure_ascii=False: the Arabic is readable in the file, not \\u-escaped.
    assert "\\u06" not in raw_line and "موسكو" in raw_line


def test_text_is_the_raw_file_byte_for_byte(doc: dict[str, Any]) -> None:
    assert doc["id"] == DOC_ID == RAW.stem
    assert doc["text"].encode("utf-8") == RAW.read_bytes()
    assert doc["metadata"]["source_file"] == RAW.relative_to(CORPUS).as_posix()


def test_raw_copy_equals_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip(f"shared seed article not found at {SHARED_SEED}")
    assert RAW.read_bytes() == SHARED_SEED.read_bytes()


@pytest.mark.parametrize(("defect", "label"), sorted(DEFECTS.items()))
def test_defects_stay_in_the_text_and_inside_their_mention(doc: dict[str, Any], defect: str, label: str) -> None:
    text = doc["text"]
    assert text.count(defect) == 1
    position = text.index(defect)
    covering = [s for s in _layer(doc, "entities") if s["start"] <= position < s["end"]]
    assert [s["label"] for s in covering] == [label]
    assert "وقراهem" in text


# --- spans and links ------------------------------------------------------------------------------

def test_every_span_text_is_its_slice(doc: dict[str, Any]) -> None:
    text = doc["text"]
    assert doc["spans"], "the corpus has annotations"
    for span in doc["spans"]:
        assert isinstance(span["start"], int) and isinstance(span["end"], int)
        assert 0 <= span["start"] < span["end"] <= len(text), span
        assert text[span["start"]:span["end"]] == span["text"], span["id"]
        assert span["text"] == span["text"].strip(), f"{span['id']} starts or ends with white space"


def test_ids_are_unique_and_prefixed_by_kind(doc: dict[str, Any]) -> None:
    span_ids = [span["id"] for span in doc["spans"]]
    link_ids = [link["id"] for link in doc["links"]]
    assert len(set(span_ids)) == len(span_ids)
    assert len(set(link_ids)) == len(link_ids)
    for span in doc["spans"]:
        assert span["id"][0] == {"entities": "T", "quotes": "Q"}[span["layer"]], span["id"]
    assert all(link_id.startswith("L") for link_id in link_ids)


def test_layers_and_labels_are_in_the_schema(doc: dict[str, Any], schema: Schema) -> None:
    for span in doc["spans"]:
        assert span["label"] in schema.layer(span["layer"]).label_names, span
    assert {link["type"] for link in doc["links"]} <= {link.name for link in schema.links}


def test_spans_are_grouped_by_layer_and_sorted(doc: dict[str, Any], schema: Schema) -> None:
    layer_order = [span["layer"] for span in doc["spans"]]
    assert layer_order == sorted(layer_order, key=list(schema.layer_names).index)
    for layer in schema.layer_names:
        keys = [(s["start"], -s["end"]) for s in _layer(doc, layer)]
        assert keys == sorted(keys), f"layer {layer} is not sorted by (start, -end)"


def test_entity_structure_respects_the_schema(doc: dict[str, Any], schema: Schema) -> None:
    entities = _layer(doc, "entities")
    levels = schema.layer("entities").levels
    for span in entities:
        ancestors = [o for o in entities if _inside(span, o)]
        assert len(ancestors) < levels, f"{span['id']} nested deeper than {levels} levels"
        for other in entities:
            crossing = span["start"] < other["start"] < span["end"] < other["end"]
            assert not crossing, f"{span['id']} and {other['id']} cross"
    quotes = _layer(doc, "quotes")
    for first, second in itertools.pairwise(quotes):
        assert first["end"] <= second["start"], "quotations neither nest nor overlap"


def test_links_go_from_quotes_to_pers_and_each_quote_has_one_speaker(doc: dict[str, Any]) -> None:
    spans = {span["id"]: span for span in doc["spans"]}
    quotes = _layer(doc, "quotes")
    assert quotes
    for link in doc["links"]:
        assert link["type"] == "speaker"
        assert spans[link["from"]]["layer"] == "quotes"
        assert spans[link["to"]]["layer"] == "entities"
        assert spans[link["to"]]["label"] == "PERS"
    speakers = Counter(link["from"] for link in doc["links"])
    assert {quote["id"]: speakers[quote["id"]] for quote in quotes} == {quote["id"]: 1 for quote in quotes}


def test_speaker_is_named_before_the_quote_in_its_paragraph(doc: dict[str, Any]) -> None:
    spans = {span["id"]: span for span in doc["spans"]}
    paragraphs = doc["metadata"]["paragraphs"]
    for link in doc["links"]:
        quote, speaker = spans[link["from"]], spans[link["to"]]
        (paragraph,) = [p for p in paragraphs if p[0] <= quote["start"] and quote["end"] <= p[1]]
        assert paragraph[0] <= speaker["start"] and speaker["end"] <= quote["start"], link


def test_quote_boundaries(doc: dict[str, Any]) -> None:
    text = doc["text"]
    for quote in _layer(doc, "quotes"):
        before, after = text[quote["start"] - 1], text[quote["end"]]
        if before == '"':  # quoted: the marks are outside, and the span ends at the closing mark
            assert quote["label"] == "DIRECT" and after == '"', quote["id"]
        assert '"' not in quote["text"], f"{quote['id']} contains a quotation mark"
        assert not quote["text"].endswith("."), f"{quote['id']} keeps the sentence-final full stop"
        if quote["label"] == "INDIRECT":
            assert re.match(r"(أن|إن)", quote["text"]), f"{quote['id']} starts at its complementizer"


def test_entity_spans_leave_proclitics_outside_and_end_at_a_word_end(doc: dict[str, Any]) -> None:
    text = doc["text"]
    for span in _layer(doc, "entities"):
        start, end = span["start"], span["end"]
        word_start = start
        while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in '"(-:':
            word_start -= 1
        prefix = text[word_start:start]
        assert PROCLITIC_PREFIX.fullmatch(prefix), f"{span['id']} {span['text']!r} starts inside a word ({prefix!r})"
        first_word = span["text"].split()[0]
        if first_word[0] in PROCLITICS:
            assert first_word in MENTION_INITIAL_WORDS, f"{span['id']}: is {first_word[0]!r} a clitic left inside?"
        if first_word.startswith("ل") and first_word in MENTION_INITIAL_WORDS:
            assert prefix.endswith("ل"), f"{span['id']}: an article lam must follow the preposition ل"
        assert end == len(text) or not text[end].isalnum(), f"{span['id']} ends inside a word"


def test_guideline_examples_hold(doc: dict[str, Any]) -> None:
    """The boundary decisions the guideline singles out, checked on the annotation itself."""
    surfaces = {(span["label"], span["text"]) for span in _layer(doc, "entities")}
    texts = {span["text"] for span in _layer(doc, "entities")}
    for expected in [
        ("PERS", "بوتين"), ("PERS", "فلاديمير بوتين"), ("PERS", "بشار الأسد"), ("OCC", "الرئيسين"),
        ("OCC", "وزير الدفاع الروسي"), ("NORP", "الروسي"), ("EVENT", "القمة الثانية"), ("ORDINAL", "الثانية"),
        ("PERCENT", "90 بالمئة"), ("PRODUCT", "سيبوتنيك لایت"), ("GPE", "لدولة الروسية"),
        ("EVENT", "لانتخابات الرئاسية"), ("DATE", "ست سنوات"), ("DATE", "سنتين"), ("ORG", "الأمم المتحدة"),
    ]:
        assert expected in surfaces, expected
    for not_a_mention in ["البلدين", "الجانبان", "مؤخراً", "وبوتين", "السيدين الرئيسين", "نحو ست سنوات"]:
        assert not_a_mention not in texts, not_a_mention


# --- metadata -------------------------------------------------------------------------------------

def test_metadata_offsets_match_the_text(doc: dict[str, Any]) -> None:
    text, meta = doc["text"], doc["metadata"]
    extra = meta["extra"]

    def cut(span: list[int]) -> str:
        return text[span[0]:span[1]]

    assert cut(extra["title_span"]) == meta["title"]
    assert cut(extra["date_span"]) == meta["date"] == "2021-09-14"
    assert cut(extra["dateline_span"]) == f"{meta['dateline_place']}-{meta['dateline_agency']}" == "موسكو-سانا"
    assert cut(extra["caption"]) == text.strip().splitlines()[-1]
    assert extra["source_url"] is None
    lines = [line for line in text.splitlines() if line.strip()]
    paragraphs = [cut(p) for p in meta["paragraphs"]]
    # Every non-blank line is exactly one part: title, date, dateline, a body paragraph, or the caption.
    assert lines == [meta["title"], meta["date"], cut(extra["dateline_span"]), *paragraphs, cut(extra["caption"])]
    starts = [p[0] for p in meta["paragraphs"]]
    assert starts == sorted(starts)


def test_licence_is_stated_in_the_document_and_the_readme(doc: dict[str, Any]) -> None:
    assert doc["metadata"]["licence"] == LICENCE
    assert LICENCE in " ".join(README.read_text(encoding="utf-8").replace("*", "").split())


# --- documentation --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [README, GUIDELINE], ids=lambda p: p.name)
def test_stated_counts_match_the_corpus(doc: dict[str, Any], path: Path) -> None:
    assert _stated_counts(path) == corpus_counts(doc)


def test_readme_sizes_match_the_text(doc: dict[str, Any]) -> None:
    readme = " ".join(README.read_text(encoding="utf-8").split())
    match = re.search(r"([\d,]+) characters, ([\d,]+) white-space separated words, (\d+) body paragraphs", readme)
    assert match, "the README states the size of the article"
    characters, words, paragraphs = (int(group.replace(",", "")) for group in match.groups())
    assert characters == len(doc["text"])
    assert words == len(doc["text"].split())
    assert paragraphs == len(doc["metadata"]["paragraphs"])


def test_guideline_defines_every_label(schema: Schema) -> None:
    guideline = GUIDELINE.read_text(encoding="utf-8")
    for layer in schema.layers:
        for label in layer.label_names:
            assert f"`{label}`" in guideline, f"the guideline does not define {label}"


# --- the project's own readers and validation -----------------------------------------------------

def test_jsonl_reader_reads_the_corpus(doc: dict[str, Any], raw_line: str) -> None:
    from dataset_builder.readers.jsonl import document_to_json, read_jsonl

    items = list(read_jsonl(JSONL))
    assert len(items) == 1
    (document,) = items
    assert document.id == DOC_ID and document.text == doc["text"]
    assert not document.problems
    assert [(s.id, s.layer, s.start, s.end, s.label, s.text) for s in document.spans] == [
        (s["id"], s["layer"], s["start"], s["end"], s["label"], s["text"]) for s in doc["spans"]
    ]
    assert [(link.id, link.type, link.source, link.target) for link in document.links] == [
        (link["id"], link["type"], link["from"], link["to"]) for link in doc["links"]
    ]
    assert document.metadata.licence == LICENCE
    # The file is in the canonical form the project's writer produces: reading and writing it back
    # gives the same line, character for character.
    assert json.dumps(document_to_json(document), ensure_ascii=False) == raw_line


def test_validation_finds_no_problem(schema: Schema) -> None:
    from dataset_builder.readers.jsonl import read_jsonl
    from dataset_builder.validate import validate_document

    (document,) = read_jsonl(JSONL)
    assert [str(problem) for problem in validate_document(document, schema)] == []


def test_article_reader_derives_the_same_metadata(doc: dict[str, Any]) -> None:
    from dataset_builder.readers.article import read_article

    (article,) = read_article(RAW)
    assert article.text == doc["text"]
    meta, expected = article.metadata, doc["metadata"]
    assert (meta.title, meta.date, meta.dateline_place, meta.dateline_agency) == (
        expected["title"], expected["date"], expected["dateline_place"], expected["dateline_agency"],
    )
    assert [list(p) for p in meta.paragraphs] == expected["paragraphs"]
    for key in ("caption", "title_span", "dateline_span", "date_span"):
        assert list(meta.extra[key]) == expected["extra"][key], key
