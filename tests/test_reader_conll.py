"""CoNLL reader: format quirks, text reconstruction, nesting, repairs, and the real corpora's counts.

Slices of the three corpora under tests/fixtures/corpora/ run everywhere; the full corpora under
../shared/corpora are checked against the counts their SOURCE.md files document, and skipped when
that folder is absent.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from dataset_builder.model import Document, Span, Unreadable
from dataset_builder.problems import InputError, Severity
from dataset_builder.readers import detect_format, read
from dataset_builder.readers.conll import DEFAULT_SENTENCES_PER_DOC, ConllOptions, given_tokenization, read_conll
from dataset_builder.readers.jsonl import document_from_json, document_to_json
from dataset_builder.schema import load_schema
from dataset_builder.validate import validate_document

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "corpora"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

NEWSFANE_SLICE = FIXTURES / "newsfane-gold" / "NewsFANE_slice.txt"
ANERCORP_SLICE = FIXTURES / "anercorp-camel" / "ANERCorp_slice.txt"
WOJOOD_TRAIN_SLICE = FIXTURES / "wojood-sample" / "train_slice.txt"
WOJOOD_VAL_SLICE = FIXTURES / "wojood-sample" / "val_slice.txt"
SLICES = [NEWSFANE_SLICE, ANERCORP_SLICE, WOJOOD_TRAIN_SLICE, WOJOOD_VAL_SLICE]

LRM = "\u200e"
RLM = "\u200f"


# ---------------------------------------------------------------- an independent, naive reading


@dataclass
class Line:
    number: int
    token: str
    tags: list[str]


def naive_sentences(path: Path) -> list[list[Line]]:
    """The file's sentences read the obvious way, to check the reader against."""
    sentences: list[list[Line]] = [[]]
    text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    for number, raw in enumerate(text.split("\n"), start=1):
        fields = raw.split()  # str.split() keeps U+200E: it is not whitespace
        if not fields:
            if sentences[-1]:
                sentences.append([])
            continue
        sentences[-1].append(Line(number, fields[0].strip(LRM + RLM), fields[1:]))
    return [s for s in sentences if s]


def documents(path: Path, **options) -> list[Document]:
    # Options by name, as a recipe's reader_options reach the reader (built into one ConllOptions).
    items = list(read(path, "conll", **options))
    assert all(isinstance(item, Document) for item in items)
    return items  # type: ignore[return-value]


def check_against_naive_reading(path: Path, docs: list[Document]) -> None:
    """Tokens, offsets, sentences and every mention (per tag column, as seqeval decodes it) agree."""
    expected_sentences = naive_sentences(path)
    position = 0
    for doc in docs:
        assert doc.metadata.extra["tokenization"] == "given"
        assert doc.metadata.extra["sentences"] == tuple(given_sentences(doc.text))
        assert doc.metadata.extra["sentences_count"] == doc.text.count("\n") + 1
        expected_spans: Counter[tuple[int, int, str, int]] = Counter()
        for start, end in doc.metadata.extra["sentences"]:
            sentence = expected_sentences[position]
            position += 1
            offsets = [(start + s, start + e) for s, e in given_tokens(doc.text[start:end])]
            assert [doc.text[s:e] for s, e in offsets] == [line.token for line in sentence]
            assert doc.metadata.extra["sentence_lines"][position - 1 - _first(doc, docs)] == sentence[0].number
            levels = max(len(line.tags) for line in sentence)
            for level in range(levels):
                column = [line.tags[level] if level < len(line.tags) else "O" for line in sentence]
                for label, first, last in get_entities(column):
                    expected_spans[(offsets[first][0], offsets[last][1], label, level + 1)] += 1
        got = Counter((s.start, s.end, s.label, s.attributes["level"]) for s in doc.spans)
        assert got == expected_spans
        for span in doc.spans:
            assert span.text == doc.text[span.start : span.end]
            assert "\n" not in span.text
            assert span.start == 0 or doc.text[span.start - 1] in " \n"
            assert span.end == len(doc.text) or doc.text[span.end] in " \n"
        assert [s.id for s in doc.spans] == [f"T{i}" for i in range(1, len(doc.spans) + 1)]
        assert doc.metadata.extra["mentions"] == len(doc.spans)
        assert doc.metadata.extra["tokens"] == len(given_tokens(doc.text))
    assert position == len(expected_sentences)


def _first(doc: Document, docs: list[Document]) -> int:
    return sum(d.metadata.extra["sentences_count"] for d in docs[: docs.index(doc)])


# ---------------------------------------------------------------- the slices (always run)


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.name)
def test_slice_reads_exactly_as_the_naive_reading(path: Path) -> None:
    docs = documents(path)
    check_against_naive_reading(path, docs)
    for doc in docs:
        assert not any(p.is_error for p in doc.problems)
        assert LRM not in doc.text and RLM not in doc.text
        assert doc.metadata.source_file == str(path)


def test_newsfane_slice_bom_crlf_tab_separators_and_lrm() -> None:
    raw = NEWSFANE_SLICE.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"\n\t\r\n" in raw  # the quirks are there
    lines = raw.decode("utf-8-sig").split("\r\n")
    docs = documents(NEWSFANE_SLICE)
    extra = docs[0].metadata.extra
    assert extra["scheme"] == "IOB2" and extra["scheme_detected"] is True
    assert sum(d.metadata.extra["bidi_marks_stripped"] for d in docs) == sum(1 for x in lines if x.startswith(LRM))
    assert sum(d.metadata.extra["sentences_count"] for d in docs) == lines.count("\t") + 1
    assert "\r" not in docs[0].text and "\t" not in docs[0].text and "\ufeff" not in docs[0].text
    assert docs[0].text.startswith("فرانكفورت ( د ب ا ) اعلن اتحاد صناعة السيارات")
    assert any(s.label == "Population-Center" and s.text == "فرانكفورت" for s in docs[0].spans)
    assert " ، " in docs[0].text  # the Arabic comma, which has no LRM in the source
    # The two I- after O in the slice: repaired under "begin", recorded with their lines.
    orphan_lines = [lines.index(LRM + "حماس\tI-Non-Governmental") + 1, lines.index("GOL\tI-Commercial") + 1]
    repairs = [p for d in docs for p in d.problems if p.code == "bio-repair"]
    assert [(p.line, p.severity) for p in repairs] == [(n, Severity.INFO) for n in orphan_lines]
    assert repairs[0].path == str(NEWSFANE_SLICE)
    doc = next(d for d in docs if d.id == repairs[0].doc_id)
    assert doc.text[repairs[0].offset :].startswith("حماس")


def test_anercorp_slice_repairs_under_each_policy() -> None:
    lines = ANERCORP_SLICE.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ". O"  # the file ends without a newline, as the corpus does
    prev = ["O"] + [x.split()[-1] if x else "O" for x in lines[:-1]]
    bad = [n for n, (x, p) in enumerate(zip(lines, prev, strict=True), start=1)
           if x.endswith(tuple(f"I-{t}" for t in ("PERS", "LOC", "ORG", "MISC"))) and p[2:] != x.split()[-1][2:]]
    assert len(bad) == 5  # four I- after O, one type switch (B-LOC, I-PERS)
    n_b = sum(x.split()[-1].startswith("B-") for x in lines if x)

    begin = documents(ANERCORP_SLICE)
    repairs = [p for d in begin for p in d.problems if p.code == "bio-repair"]
    assert sorted(p.line for p in repairs) == bad
    assert {p.severity for p in repairs} == {Severity.INFO}
    assert any("previous tag B-LOC" in p.message for p in repairs)
    assert sum(len(d.spans) for d in begin) == n_b + len(bad)

    drop = documents(ANERCORP_SLICE, repair="drop")
    assert sum(len(d.spans) for d in drop) == n_b
    assert all(d.metadata.extra["repair_policy"] == "drop" for d in drop)
    assert {(s.start, s.end, s.label) for d in drop for s in d.spans} <= {
        (s.start, s.end, s.label) for d in begin for s in d.spans
    }

    strict = documents(ANERCORP_SLICE, repair="strict")
    errors = [p for d in strict for p in d.problems if p.code == "bio-ill-formed"]
    assert {p.line for p in errors} >= set(bad)
    assert all(p.is_error and p.doc_id and p.offset is not None for p in errors)
    assert [s.label for d in strict for s in d.spans] == [s.label for d in drop for s in d.spans]


def test_wojood_slice_keeps_four_levels_of_nesting() -> None:
    docs = documents(WOJOOD_TRAIN_SLICE)
    assert docs[0].metadata.extra["tag_levels"] == 4
    spans = [s for d in docs for s in d.spans]

    def find(text: str, label: str) -> Span:
        return next(s for s in spans if s.text == text and s.label == label)

    event = find("لإنتخابات نقابة العاملين في جامعة بيرزيت", "EVENT")
    union = find("نقابة العاملين في جامعة بيرزيت", "ORG")
    university = find("جامعة بيرزيت", "ORG")
    city = find("بيرزيت", "GPE")
    assert [s.attributes["level"] for s in (event, union, university, city)] == [1, 2, 3, 4]
    assert event.start < union.start < university.start < city.start
    assert event.end == union.end == university.end == city.end
    # The same type nested in itself survives (decoded by column, not by type).
    agency = find("وكالة أبحاث الكونغرس", "ORG")
    congress = next(s for s in spans if s.text == "الكونغرس" and s.start > agency.start and s.end == agency.end)
    assert congress.label == "ORG" and congress.attributes["level"] == 2
    old_city = find("البلدة القديمة في مدينة الخليل", "GPE")
    hebron = find("مدينة الخليل", "GPE")
    assert (old_city.attributes["level"], hebron.attributes["level"]) == (1, 2)
    assert old_city.start < hebron.start and hebron.end == old_city.end
    # The glued token stays one token, and the ill-formed segment start is repaired and recorded.
    assert find("وكالةأبحاث الكونغرس", "ORG")
    lines = WOJOOD_TRAIN_SLICE.read_text(encoding="utf-8").split("\n")
    repairs = [p for d in docs for p in d.problems if p.code == "bio-repair"]
    assert [p.line for p in repairs] == [lines.index("الفرنسي I-FAC") + 1]
    assert "first token" in repairs[0].message and "tag column 1" in repairs[0].message
    assert find("الفرنسي", "FAC")


def test_wojood_identical_span_in_two_columns_survives() -> None:
    docs = documents(WOJOOD_VAL_SLICE)
    kilo = [s for d in docs for s in d.spans if s.text == "كيلو"]
    assert [(s.label, s.attributes["level"]) for s in kilo] == [("UNIT", 1), ("QUANTITY", 2)]
    assert kilo[0].start == kilo[1].start and kilo[0].end == kilo[1].end


@pytest.mark.parametrize("path", [WOJOOD_TRAIN_SLICE, WOJOOD_VAL_SLICE], ids=lambda p: p.name)
def test_pseudo_tokens_are_kept_by_default_and_dropped_on_request(path: Path) -> None:
    n_pseudo = sum(line.token == "$#$" for s in naive_sentences(path) for line in s)
    assert n_pseudo > 0
    kept = documents(path)
    dropped = documents(path, pseudo_tokens={"$#$"})
    assert sum(d.text.split().count("$#$") for d in kept) == n_pseudo
    assert not any("$#$" in d.text for d in dropped)
    assert sum(d.metadata.extra["pseudo_tokens_dropped"] for d in dropped) == n_pseudo
    assert sum(d.metadata.extra["tokens"] for d in kept) - n_pseudo == sum(
        d.metadata.extra["tokens"] for d in dropped
    )
    # Mentions are the same tokens either way.
    assert [(s.label, s.text) for d in kept for s in d.spans] == [(s.label, s.text) for d in dropped for s in d.spans]
    for doc in dropped:
        assert "  " not in doc.text and not doc.text.startswith(" ") and " \n" not in doc.text


def test_the_registry_reads_and_detects_conll() -> None:
    assert detect_format(ANERCORP_SLICE) == "conll"
    assert [d.text for d in read(ANERCORP_SLICE)] == [d.text for d in read_conll(ANERCORP_SLICE)]  # type: ignore[union-attr]


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.name)
def test_documents_survive_the_jsonl_round_trip(path: Path) -> None:
    for doc in documents(path):
        assert document_from_json(json.loads(json.dumps(document_to_json(doc), ensure_ascii=False))) == doc


def test_wojood_documents_validate_against_the_project_schema() -> None:
    """Wojood's 21 types are the project's entity labels; only the 4th nesting level exceeds the schema."""
    schema = load_schema(Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "schema.yaml")
    problems = [p for path in (WOJOOD_TRAIN_SLICE, WOJOOD_VAL_SLICE) for d in documents(path)
                for p in validate_document(d, schema)]
    assert not any(p.is_error for p in problems)
    assert [p.code for p in problems if p.severity is Severity.WARNING] == ["span-too-deep"]


# ---------------------------------------------------------------- synthetic files: every rule


def write(tmp_path: Path, content: str | bytes, name: str = "sample.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_separators_line_ends_bom_and_missing_final_newline(tmp_path: Path) -> None:
    content = "\ufeffبوتين\tB-PERS\r\nفي\tO\r\n \t \r\nموسكو\tB-GPE\r\n\r\n\r\nاليوم\tB-DATE"
    (doc,) = documents(write(tmp_path, content))
    assert doc.text == "بوتين في\nموسكو\nاليوم"
    assert [(s.text, s.label) for s in doc.spans] == [("بوتين", "PERS"), ("موسكو", "GPE"), ("اليوم", "DATE")]
    assert doc.metadata.extra["sentences"] == ((0, 8), (9, 14), (15, 20))
    assert doc.metadata.extra["sentence_lines"] == (1, 4, 7)
    assert doc.metadata.extra["source_lines"] == (1, 7)
    assert [s.location.line for s in doc.spans] == [1, 4, 7]


def test_space_separated_columns_may_repeat_spaces(tmp_path: Path) -> None:
    (doc,) = documents(write(tmp_path, "الأسد   B-PERS\nو O\n"))
    assert doc.text == "الأسد و" and doc.spans[0].text == "الأسد"


def test_direction_marks_are_stripped_and_counted(tmp_path: Path) -> None:
    (doc,) = documents(write(tmp_path, f"{LRM}سورية\tB-GPE\n{RLM}{LRM}و\tO\nGOL{LRM}\tO\n"))
    assert doc.text == "سورية و GOL"
    assert doc.metadata.extra["bidi_marks_stripped"] == 4


def test_docstart_starts_documents_and_blocks_group_sentences(tmp_path: Path) -> None:
    content = "-DOCSTART- -X- O\n\nأ O\n\nب O\n\n-DOCSTART- -X- O\n\nج B-LOC\n"
    docs = documents(write(tmp_path, content, "news.conll"))
    assert [(d.id, d.text) for d in docs] == [("news-00001", "أ\nب"), ("news-00002", "ج")]
    docs = documents(write(tmp_path, content, "news.conll"), sentences_per_doc=1, doc_id_prefix="x")
    assert [(d.id, d.text) for d in docs] == [("x-00001", "أ"), ("x-00002", "ب"), ("x-00003", "ج")]

    many = "\n\n".join(f"t{i} O" for i in range(DEFAULT_SENTENCES_PER_DOC * 2 + 1))
    docs = documents(write(tmp_path, many, "plain.txt"))
    assert [d.metadata.extra["sentences_count"] for d in docs] == [DEFAULT_SENTENCES_PER_DOC] * 2 + [1]
    assert docs[1].text.split("\n")[0] == f"t{DEFAULT_SENTENCES_PER_DOC}"
    assert docs[1].location.line == 2 * DEFAULT_SENTENCES_PER_DOC + 1


def test_wrong_number_of_fields_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "بوتين B-PERS\nيتحدث\nفي O\n")
    (doc,) = documents(path)
    (problem,) = doc.problems
    assert (problem.code, problem.path, problem.line, problem.is_error) == ("conll-fields", str(path), 2, True)
    assert "1 column(s)" in problem.message and problem.fix
    assert doc.text == "بوتين يتحدث في"  # the token is kept (tagged O): nothing vanishes from the text
    assert str(path) + ":2" in str(problem)


def test_invalid_tags_and_tags_of_another_scheme(tmp_path: Path) -> None:
    path = write(tmp_path, "a B-PERS\nb PERSON\nc O\n")
    (doc,) = documents(path)
    assert [(p.code, p.line) for p in doc.problems] == [("bio-invalid-tag", 2)]
    path = write(tmp_path, "a B-PERS\nb E-PERS\nc O\n")
    (doc,) = documents(path, scheme="IOB2")
    assert [(p.code, p.line) for p in doc.problems] == [("bio-invalid-tag", 2)]
    assert "not a IOB2 tag" in doc.problems[0].message
    assert [s.text for s in doc.spans] == ["a"]
    (doc,) = documents(path)  # auto-detection reads it as IOBES
    assert doc.metadata.extra["scheme"] == "IOBES" and [s.text for s in doc.spans] == ["a b"]


def test_other_schemes_are_detected_and_decoded(tmp_path: Path) -> None:
    (doc,) = documents(write(tmp_path, "a U-LOC\nb B-PERS\nc L-PERS\nd O\n"))
    assert doc.metadata.extra["scheme"] == "BILOU"
    assert [(s.text, s.label) for s in doc.spans] == [("a", "LOC"), ("b c", "PERS")]


def test_mixed_schemes_cannot_be_read(tmp_path: Path) -> None:
    path = write(tmp_path, "a B-LOC\nb E-LOC\nc U-LOC\n")
    with pytest.raises(InputError) as info:
        list(read_conll(path))
    assert info.value.problem.code == "bio-scheme" and info.value.problem.path == str(path)


def test_token_with_whitespace_is_an_error(tmp_path: Path) -> None:
    (doc,) = documents(write(tmp_path, "New York\tB-GPE\ncity\tO\n"))
    assert [(p.code, p.line) for p in doc.problems] == [("conll-token-whitespace", 1)]


def test_explicit_token_and_tag_columns(tmp_path: Path) -> None:
    content = "1 دمشق NNP B-GPE\n2 عاصمة NN O\n3 سورية NNP B-GPE B-X\n"
    (doc,) = documents(write(tmp_path, content), token_column=1, tag_columns=[3])
    assert doc.text == "دمشق عاصمة سورية"
    assert [s.text for s in doc.spans] == ["دمشق", "سورية"]
    (doc,) = documents(write(tmp_path, content), token_column=1, tag_columns=[3, 4])
    assert [(s.text, s.attributes["level"]) for s in doc.spans] == [("دمشق", 1), ("سورية", 1), ("سورية", 2)]
    with pytest.raises(ValueError, match="tag_columns"):
        ConllOptions(token_column=1, tag_columns=[1])


def test_label_map_renames_after_decoding_and_counts_drops(tmp_path: Path) -> None:
    path = write(tmp_path, "a B-Nation\nb B-Population-Center\nc B-Politician\n")
    (doc,) = documents(path, label_map={"Nation": "GPE", "Population-Center": "GPE", "Politician": None})
    # two adjacent mentions whose types map to one label stay two mentions
    assert [(s.text, s.label) for s in doc.spans] == [("a", "GPE"), ("b", "GPE")]
    assert doc.metadata.extra["spans_dropped_by_label_map"] == 1


def test_pseudo_token_inside_a_mention_is_dropped_from_it(tmp_path: Path) -> None:
    path = write(tmp_path, "وزارة B-ORG\n$#$ I-ORG\nالخارجية I-ORG\n$#$ B-LOC\n")
    (doc,) = documents(path, pseudo_tokens={"$#$"})
    assert doc.text == "وزارة الخارجية"
    assert [s.text for s in doc.spans] == ["وزارة الخارجية"]
    assert [p.code for p in doc.problems] == ["conll-pseudo-token-mention"]


def test_empty_missing_and_non_utf8_files(tmp_path: Path) -> None:
    (item,) = list(read_conll(write(tmp_path, "\n\n")))
    assert isinstance(item, Unreadable) and item.problems[0].code == "conll-empty"
    with pytest.raises(InputError, match="does not exist"):
        list(read_conll(tmp_path / "nope.txt"))
    path = write(tmp_path, b"a O\n" + "b O\n".encode("cp1256") + "ج O\n".encode("cp1256"))
    with pytest.raises(InputError) as info:
        list(read_conll(path))
    assert info.value.problem.line == 3 and "iconv" in info.value.problem.fix


def test_bad_options_are_value_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "a O\n")
    for options in ({"scheme": "BIO"}, {"repair": "fix"}, {"sentences_per_doc": 0}, {"token_column": -1}):
        with pytest.raises(ValueError):
            ConllOptions(**options)
        with pytest.raises(ValueError):
            read(path, "conll", **options)
    assert ConllOptions(tag_columns=[2, 3], label_map=None).tag_columns == (2, 3)
    with pytest.raises(TypeError, match="layers"):  # a misspelt option is refused, not ignored
        read(path, "conll", layers="entities")


def given_tokens(text: str) -> list[tuple[int, int]]:
    given = given_tokenization(text)
    return list(zip(given.starts, given.ends, strict=True))


def given_sentences(text: str) -> list[tuple[int, int]]:
    return given_tokenization(text).sentences


def test_given_tokens_and_sentences() -> None:
    text = "أعلن الرئيس\nبشار الأسد ."
    assert [text[s:e] for s, e in given_tokens(text)] == ["أعلن", "الرئيس", "بشار", "الأسد", "."]
    assert [text[s:e] for s, e in given_sentences(text)] == ["أعلن الرئيس", "بشار الأسد ."]


# ---------------------------------------------------------------- the full corpora (skip when absent)

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared corpora not found at {SHARED}")


def totals(docs: list[Document]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for doc in docs:
        for key in ("tokens", "sentences_count", "mentions", "repairs", "bidi_marks_stripped", "pseudo_tokens_dropped"):
            counts[key] += doc.metadata.extra[key]
    return counts


def labels(docs: list[Document]) -> Counter[str]:
    return Counter(s.label for d in docs for s in d.spans)


@needs_shared
def test_anercorp_counts_match_its_source_notes() -> None:
    path = SHARED / "anercorp-camel" / "ANERCorp_CamelLab_test.txt"
    begin = documents(path)
    check_against_naive_reading(path, begin)
    counts = totals(begin)
    assert (counts["sentences_count"], counts["tokens"], counts["mentions"]) == (925, 25008, 2285)
    assert labels(begin) == {"PERS": 907, "LOC": 676, "ORG": 459, "MISC": 243}
    repairs = [p for d in begin for p in d.problems if p.code == "bio-repair"]
    assert len(repairs) == counts["repairs"] == 74  # 71 I- after O, 3 type switches
    after_o = sum("(previous tag O)" in p.message or "(first token)" in p.message for p in repairs)
    assert after_o == 71
    # Strict IOB2 (only B- starts count): the "drop" policy.
    drop = documents(path, repair="drop")
    assert totals(drop)["mentions"] == 2211
    assert labels(drop) == {"PERS": 858, "LOC": 668, "ORG": 450, "MISC": 235}  # the B- tag counts
    assert {d.metadata.extra["scheme"] for d in begin} == {"IOB2"}


@needs_shared
def test_newsfane_counts_match_its_source_notes() -> None:
    path = SHARED / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt"
    docs = documents(path)
    check_against_naive_reading(path, docs)
    counts = totals(docs)
    assert (counts["sentences_count"], counts["tokens"], counts["mentions"]) == (4760, 168080, 11423)
    assert counts["bidi_marks_stripped"] == 152599
    assert len(docs) == -(-4760 // DEFAULT_SENTENCES_PER_DOC)
    assert [p.line for d in docs for p in d.problems if p.code == "bio-repair"] == [82783, 83588, 106635, 106642]
    outside = sum(d.metadata.extra["tokens"] for d in docs) - sum(
        len(given_tokens(d.text[s.start : s.end])) for d in docs for s in d.spans
    )
    assert outside == 149978  # the O tokens: flat IOB2 under "begin" leaves no tagged token outside a mention
    assert labels(docs) == {
        "Nation": 2232, "Population-Center": 1427, "Politician": 1315, "Athlete": 865, "Non-Governmental": 770,
        "Group": 685, "Sports": 661, "Artist": 451, "Other_PER": 444, "Media": 358, "Government": 284,
        "Building-Grounds": 238, "State-or-Province": 220, "Religious_PER": 175, "Commercial": 170,
        "Scientist": 151, "GPE-Cluster": 125, "Continent": 109, "Water-Body": 102, "Book": 94,
        "Educational": 73, "Movie": 73, "Land": 68, "Police": 57, "County-or-District": 48,
        "Businessperson": 48, "Air": 23, "Medical-Science": 23, "Land-Region-Natural": 17, "Airport": 16,
        "Path": 16, "Subarea-Facility": 13, "Software": 11, "Lawyer": 11, "Entertainment": 10,
        "Religious_ORG": 9, "Hardware": 7, "Engineer": 6, "Celestial": 4, "Food": 3, "Projectile": 3,
        "Shooting": 3, "Drug": 2, "Water": 2, "Plant": 1,
    }


WOJOOD = {  # split: segments, tokens, mentions, strictly nested, same-type nested, identical pairs, by column
    "train": (1114, 18887, 2883, 571, 26, 0, [2312, 515, 55, 1]),
    "val": (158, 2743, 470, 84, 5, 1, [385, 74, 11]),
    "test": (357, 5344, 870, 159, 5, 0, [711, 137, 22]),
}


def nesting(docs: list[Document]) -> tuple[int, int, int]:
    """Mentions strictly inside another, of them inside one of the same type, identical-span pairs."""
    inside = same_type = identical = 0
    for doc in docs:
        spans = doc.spans
        for a in spans:
            containers = [b for b in spans if b is not a and b.start <= a.start and a.end <= b.end]
            strict = [b for b in containers if (b.start, b.end) != (a.start, a.end)]
            inside += bool(strict)
            same_type += any(b.label == a.label for b in strict)
            identical += sum((b.start, b.end) == (a.start, a.end) for b in containers)
    return inside, same_type, identical // 2


@needs_shared
@pytest.mark.parametrize("split", WOJOOD)
def test_wojood_counts_match_its_source_notes(split: str) -> None:
    path = SHARED / "wojood-sample" / f"{split}.txt"
    docs = documents(path)
    check_against_naive_reading(path, docs)
    segments, tokens, mentions, nested, same_type, identical, by_column = WOJOOD[split]
    counts = totals(docs)
    assert (counts["sentences_count"], counts["tokens"], counts["mentions"]) == (segments, tokens, mentions)
    assert nesting(docs) == (nested, same_type, identical)
    column_counts = Counter(s.attributes["level"] for d in docs for s in d.spans)
    assert [column_counts[level] for level in range(1, len(by_column) + 1)] == by_column
    repairs = [p for d in docs for p in d.problems if p.code == "bio-repair"]
    assert [p.line for p in repairs] == ([12377] if split == "train" else [])


@needs_shared
def test_wojood_totals_and_pseudo_tokens() -> None:
    kept = {split: documents(SHARED / "wojood-sample" / f"{split}.txt") for split in WOJOOD}
    dropped = {
        split: documents(SHARED / "wojood-sample" / f"{split}.txt", pseudo_tokens={"$#$"}) for split in WOJOOD
    }
    all_kept = [d for docs in kept.values() for d in docs]
    all_dropped = [d for docs in dropped.values() for d in docs]
    assert totals(all_kept)["mentions"] == 4223
    assert nesting(all_kept)[1] == 36
    assert totals(all_dropped)["pseudo_tokens_dropped"] == 523
    assert totals(all_kept)["tokens"] - totals(all_dropped)["tokens"] == 523
    assert labels(all_dropped) == labels(all_kept)
    assert labels(all_kept)["GPE"] == 1013 and labels(all_kept)["UNIT"] == 5 and labels(all_kept)["QUANTITY"] == 3
    assert len(labels(all_kept)) == 21


# ------------------------------------------------------------------ one rule for tags and given tokens


@pytest.mark.parametrize(("field", "expected"), [
    ("O", True), ("B-PERS", True), ("I-Population-Center", True), ("U-LOC", True),
    ("_", False), ("B_PERS", False), ("B-", False), ("X-PERS", False), ("o", False), ("PERS", False),
])
def test_looks_like_tag_takes_the_hyphen_only(field: str, expected: bool) -> None:
    from dataset_builder.readers.conll import looks_like_tag
    from dataset_builder.tags import TagError, parse_tag

    assert looks_like_tag(field) is expected
    # Whatever looks like a tag is one the builder's codec parses.
    if expected:
        parse_tag(field)
    else:
        with pytest.raises(TagError):
            parse_tag(field)


def test_underscore_columns_are_not_tags_for_format_detection(tmp_path: Path) -> None:
    conllu_like = tmp_path / "a.txt"
    conllu_like.write_text("".join(f"word{i} _ _\n" for i in range(10)), encoding="utf-8")
    tagged = tmp_path / "b.txt"
    tagged.write_text("".join(f"word{i} B-PERS\n" for i in range(10)), encoding="utf-8")
    assert detect_format(conllu_like) == "article"
    assert detect_format(tagged) == "conll"


def test_given_tokenization_skips_lines_without_tokens() -> None:
    text = "ذهب محمد\n\n   \nإلى دمشق "
    given = given_tokenization(text)
    assert [text[a:b] for a, b in zip(given.starts, given.ends, strict=True)] == ["ذهب", "محمد", "إلى", "دمشق"]
    assert [text[a:b] for a, b in given.sentences] == ["ذهب محمد", "إلى دمشق "]


def test_given_tokenization_matches_what_the_reader_wrote(tmp_path: Path) -> None:
    path = tmp_path / "x.conll"
    path.write_text("ذهب O\nمحمد B-PERS\n\nإلى O\nدمشق B-LOC\n", encoding="utf-8")
    (doc,) = read_conll(path)
    given = given_tokenization(doc.text)
    assert given.sentences == [tuple(s) for s in doc.metadata.extra["sentences"]]
    assert len(given.starts) == doc.metadata.extra["tokens"]
