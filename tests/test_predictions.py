"""Prediction readers: standoff JSONL, offset-free LLM output, CoNLL (gold + pred columns) and BRAT."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dataset_builder.model import Document
from dataset_builder.problems import InputError
from eval.predictions import load_predictions, source_hash

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "sana-sample" / "sana-sample.jsonl"
FIXTURES = ROOT / "corpora" / "sana-sample" / "predictions"
DOC_ID = "sana-2021-09-14-assad-putin-moscow"


@pytest.fixture(scope="module")
def gold() -> dict[str, Document]:
    if not CORPUS.is_file():
        pytest.skip(f"the bundled gold corpus is absent ({CORPUS})")
    from dataset_builder.readers.jsonl import read_jsonl

    return {doc.id: doc for doc in read_jsonl(CORPUS) if isinstance(doc, Document)}


def _at(text: str, surface: str, after: int = 0) -> tuple[int, int]:
    start = text.index(surface, after)
    return start, start + len(surface)


def _write_lines(path: Path, lines: list[object | str]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ standoff JSONL


def test_standoff_jsonl_checks_ids_offsets_and_texts(gold: dict[str, Document], tmp_path: Path) -> None:
    text = gold[DOC_ID].text
    moscow, assad = _at(text, "موسكو"), _at(text, "الأسد")
    quote = _at(text, "أنا سعيد أن نلتقي")
    path = _write_lines(tmp_path / "pred.jsonl", [
        {"id": DOC_ID, "spans": [
            {"id": "T1", "start": moscow[0], "end": moscow[1], "label": "GPE", "text": "موسكو"},
            {"id": "T2", "start": assad[0], "end": assad[1], "label": "PERS", "text": "الاسد"},  # wrong claim
            {"id": "T3", "start": 10, "end": 10_000, "label": "PERS"},
            {"id": "T4", "start": "5", "end": 9, "label": "PERS"},
            {"id": "Q1", "layer": "quotes", "start": quote[0], "end": quote[1], "label": "DIRECT"},
        ], "links": [{"id": "L1", "type": "speaker", "from": "Q1", "to": "T2"},
                     {"id": "L2", "type": "speaker", "source": "Q1", "target": "T9"}]},
        "",
        '{"id": "broken", "spans": [',
        {"id": "no-such-doc", "spans": [{"start": 0, "end": 3, "label": "PERS"}]},
        [1, 2],
    ])
    pred = load_predictions(path, documents=gold)
    assert pred.fmt == "jsonl"
    assert pred.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [(m.start, m.end, m.label, m.layer, m.text) for m in pred.mentions] == sorted([
        (moscow[0], moscow[1], "GPE", "entities", "موسكو"),
        (assad[0], assad[1], "PERS", "entities", "الأسد"),  # the surface is the real slice
        (quote[0], quote[1], "DIRECT", "quotes", text[quote[0]:quote[1]]),
    ])
    assert [m.text for m in pred.layer("quotes")] == ["أنا سعيد أن نلتقي"]
    ((link),) = pred.links
    assert (link.type, link.source.label, link.target.text) == ("speaker", "DIRECT", "الأسد")
    found = {(p.code, p.line) for p in pred.problems}
    assert found == {
        ("predictions-text-mismatch", 1), ("predictions-offsets", 1), ("predictions-span", 1),
        ("predictions-link", 1), ("predictions-json", 3), ("predictions-unknown-doc", 4), ("predictions-shape", 5),
    }
    assert all(p.path == str(path) for p in pred.problems)
    mismatch = next(p for p in pred.problems if p.code == "predictions-text-mismatch")
    assert not mismatch.is_error and mismatch.offset == assad[0] and "الاسد" in mismatch.message


def test_standoff_without_documents_and_strict_mode(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "pred.jsonl", [
        {"id": "a", "spans": [{"start": 0, "end": 5, "label": "PERS", "text": "بوتين"}]},
        {"id": "a", "spans": []},
        {"id": "b", "spans": [{"start": 3, "end": 1, "label": "PERS"}]},
    ])
    pred = load_predictions(path, layer="entities")
    assert [(m.doc_id, m.text) for m in pred.mentions] == [("a", "بوتين")]  # text kept as given
    assert {p.code for p in pred.problems} == {"predictions-duplicate-doc", "predictions-offsets"}
    with pytest.raises(InputError) as info:
        load_predictions(path, strict=True)
    assert info.value.problem.code == "predictions-offsets" and info.value.problem.line == 3


def test_missing_gold_documents_are_reported(gold: dict[str, Document], tmp_path: Path) -> None:
    extra = dict(gold) | {"other": Document("other", "نص آخر")}
    pred = load_predictions(_write_lines(tmp_path / "p.jsonl", [{"id": DOC_ID, "spans": []}]), documents=extra)
    (problem,) = pred.problems
    assert problem.code == "predictions-missing-docs" and "'other'" in problem.message


def test_a_line_whose_text_differs_from_gold_is_not_scored(gold: dict[str, Document], tmp_path: Path) -> None:
    text = gold[DOC_ID].text
    path = _write_lines(tmp_path / "p.jsonl", [
        {"id": DOC_ID, "text": text.strip(), "spans": [{"start": 0, "end": 3, "label": "EVENT"}]}])
    pred = load_predictions(path, documents=gold)
    assert pred.mentions == [] and [p.code for p in pred.problems] == ["predictions-text-differs"]


# ------------------------------------------------------------------------------------------ offset-free


def test_llm_mentions_and_quotes_on_the_sana_article(gold: dict[str, Document]) -> None:
    path = FIXTURES / "llm-sana.jsonl"
    pred = load_predictions(path, documents=gold)
    text = gold[DOC_ID].text
    assert pred.fmt == "mentions"
    entry = json.loads(path.read_text(encoding="utf-8"))
    surfaces = {m.text for m in pred.layer("entities")}
    assert {"بشار الأسد", "فิصل المقداد", "سوريا", "سيبوتنيك لایت", "الأمم المتحدة"} <= surfaces
    assert all(text[m.start:m.end] == m.text for m in pred.mentions)
    # The hallucinated name is reported with file:line, not dropped; everything else was placed.
    assert [(u.text, u.reason, u.line, u.path) for u in pred.unaligned] == [
        ("دونالد ترامب", "not-found", 1, str(path))]
    assert len(pred.layer("entities")) + 1 == len(entry["mentions"])
    assert len(pred.layer("quotes")) == len(entry["quotes"])
    # Each quote became a speaker link whose target is the speaker's occurrence nearest before the quote.
    assert len(pred.links) == len(entry["quotes"])
    for link, quote in zip(pred.links, entry["quotes"], strict=True):
        assert link.type == "speaker" and link.source is not None and link.target is not None
        assert link.target.text == quote["speaker"] and link.target.label == "PERS"
        assert link.target.end <= link.source.start
        assert quote["speaker"] not in text[link.target.end:link.source.start]


def test_llm_mapping_json_and_bare_lists(gold: dict[str, Document], tmp_path: Path) -> None:
    from_json = load_predictions(FIXTURES / "llm-sana.json", documents=gold)
    from_jsonl = load_predictions(FIXTURES / "llm-sana.jsonl", documents=gold)
    assert from_json.fmt == "mentions"
    assert from_json.layer("entities") == from_jsonl.layer("entities")
    raw_lines = (FIXTURES / "llm-sana.json").read_text(encoding="utf-8").splitlines()
    id_line = next(n for n, line in enumerate(raw_lines, 1) if f'"{DOC_ID}"' in line)
    assert from_json.unaligned[0].line == id_line  # JSON keeps no positions: the line of the document's id
    mentions = json.loads((FIXTURES / "llm-sana.json").read_text(encoding="utf-8"))[DOC_ID]
    bare = _write_lines(tmp_path / "bare.jsonl", [mentions, mentions])
    pred = load_predictions(bare, fmt="mentions", documents=gold)
    assert pred.layer("entities") == from_jsonl.layer("entities")
    assert [(p.code, p.line) for p in pred.problems] == [("predictions-extra-line", 2)]


def test_offset_free_needs_documents_and_reports_bad_entries(gold: dict[str, Document], tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "llm.jsonl", [
        {"id": DOC_ID, "mentions": [{"text": "بوتين"}, {"text": "بوتين", "label": "PERS"}],
         "quotes": [{"text": "كلام لم يقله أحد", "speaker": "بوتين"}, {"text": "سعيد جداً أن أرحب بكم", "speaker": ""}]},
        {"id": "unknown", "mentions": []},
    ])
    with pytest.raises(InputError, match="documents="):
        load_predictions(path)
    pred = load_predictions(path, documents=gold)
    reasons = sorted((u.layer, u.reason) for u in pred.unaligned)
    assert reasons == [("entities", "malformed"), ("entities", "malformed"), ("quotes", "not-found")]
    assert [p.code for p in pred.problems] == ["predictions-unknown-doc"]
    # Both quotes still count as predicted links: one has no placed quote, one no placed speaker.
    assert [(link.source is None, link.target is None) for link in pred.links] == [(True, False), (False, True)]
    assert pred.layer("quotes")[0].label == "QUOTE"


# ------------------------------------------------------------------------------------------ CoNLL


def test_conll_gold_and_predicted_columns() -> None:
    path = FIXTURES / "sana-lead.conll"
    pred = load_predictions(path)
    assert pred.fmt == "conll" and pred.problems == []
    gold = {(m.doc_id, m.start, m.end, m.label, m.text) for m in pred.gold}
    predicted = {(m.doc_id, m.start, m.end, m.label, m.text) for m in pred.mentions}
    assert ("0", 7, 9, "PERS", "الأسد وبوتين") in predicted  # B-PERS I-PERS: one merged mention
    assert {("0", 7, 8, "PERS", "الأسد"), ("0", 8, 9, "PERS", "وبوتين")} <= gold
    assert ("1", 2, 3, "LOC", "موسكو") in predicted and ("1", 2, 3, "GPE", "موسكو") in gold
    assert ("1", 9, 11, "PERS", "بشار الأسد") in gold & predicted
    assert ("1", 11, 13, "PERS", "وفلاديمير بوتين") in gold and ("1", 12, 13, "PERS", "بوتين") in predicted
    assert {m.doc_id for m in pred.gold} == {"0", "1"}
    # It is conlleval input too: every line has the same columns, -DOCSTART- line included.
    from eval.conlleval import run_conlleval_file

    assert run_conlleval_file(path).startswith("processed 23 tokens with 10 phrases; found: 8 phrases; correct: 5.")


def test_conll_bad_lines_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.conll"
    path.write_text("بوتين B-PERS B-PERS\nقال O\nموسكو B-GPE GPE\n\n", encoding="utf-8")
    pred = load_predictions(path, fmt="conll")
    assert [(p.code, p.line) for p in pred.problems] == [("conll-columns", 2), ("conll-tag", 3)]
    assert [(m.start, m.end, m.label) for m in pred.mentions] == [(0, 1, "PERS")]
    assert [(m.start, m.end, m.label) for m in pred.gold] == [(0, 1, "PERS"), (1, 2, "GPE")]


# ------------------------------------------------------------------------------------------ BRAT


def test_brat_folder_of_predicted_ann_files(gold: dict[str, Document], tmp_path: Path) -> None:
    text = gold[DOC_ID].text
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / f"{DOC_ID}.txt").write_text(text, encoding="utf-8")
    moscow, putin = _at(text, "موسكو"), _at(text, "بوتين")
    quote = _at(text, "سعيد جداً أن أرحب بكم")
    (folder / f"{DOC_ID}.ann").write_text(
        f"T1\tGPE {moscow[0]} {moscow[1]}\tموسكو\n"
        f"T2\tPERS {putin[0]} {putin[1]}\tبوتين\n"
        f"T3\tDIRECT {quote[0]} {quote[1]}\t{text[quote[0]:quote[1]]}\n"
        "R1\tspeaker Arg1:T3 Arg2:T2\n",
        encoding="utf-8",
    )
    (folder / "stray.txt").write_text("نص", encoding="utf-8")
    pred = load_predictions(folder, documents=gold)
    assert pred.fmt == "brat"
    assert [(m.label, m.layer, m.text) for m in pred.mentions if m.doc_id == DOC_ID] == [
        ("GPE", "entities", "موسكو"), ("PERS", "entities", "بوتين"), ("DIRECT", "quotes", text[quote[0]:quote[1]])]
    assert [(link.source.id, link.target.id) for link in pred.links] == [("T3", "T2")]
    codes = {p.code for p in pred.problems}
    assert "predictions-unknown-doc" in codes  # stray.txt is not a gold document
    assert pred.source_hash == source_hash(folder)
    (folder / "stray.txt").write_text("نص آخر", encoding="utf-8")
    assert source_hash(folder) != pred.source_hash


def test_unknown_path_and_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_predictions(tmp_path / "missing.jsonl")
    path = _write_lines(tmp_path / "p.jsonl", [{"id": "a", "spans": []}])
    with pytest.raises(InputError, match="unknown predictions format"):
        load_predictions(path, fmt="xml")  # type: ignore[arg-type]


def test_conll_underscore_is_no_tag_separator(tmp_path: Path) -> None:
    # One looks_like_tag for format detection and scoring: B_PERS would be decoded with the type "_PERS".
    path = tmp_path / "underscore.conll"
    path.write_text("بوتين B-PERS B_PERS\nقال O _\n", encoding="utf-8")
    pred = load_predictions(path, fmt="conll")
    assert [(p.code, p.line) for p in pred.problems] == [("conll-tag", 1), ("conll-tag", 2)]
    assert "'B_PERS' is not a tag" in pred.problems[0].message
    assert pred.mentions == [] and [(m.start, m.end, m.label, m.text) for m in pred.gold] == [(0, 1, "PERS", "بوتين")]
