"""Offset-free (LLM) mention alignment on the real SANA seed article and on its sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset_builder.text.normalize import normalize_text
from eval.mentions import PROCLITIC_CHAINS, DocumentMatcher, align_mentions
from eval.options import NO_INTERVALS, ScoringOptions

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"
BUNDLED = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "raw" / SEED.name

# Sentences of the seed article, byte-exact (defects included), so these tests run without ../shared.
LEAD = ("عقدت في موسكو قمة سورية روسية بين السيدين الرئيسين بشار الأسد وفلاديمير بوتين جرى خلالها "
        "التباحث في ملفات التعاون الثنائي القائم بين البلدين.")
MINISTERS = ("القمة التي استهلت باجتماع ثنائي مطول بين الرئيسين انضم إليه لاحقاً وزير الخارجية الدكتور "
             "فิصل المقداد ووزير الدفاع الروسي سيرغي شويغو بحثت التعاون المشترك.")
DISCUSSED = "وناقش الرئيسان الأسد وبوتين آخر مستجدات الأوضاع على الساحتين الإقليمية والدولية."
VACCINE = "حيث وصلت إلى سورية الإرساليات الأولى من لقاحي (سيبوتنيك لایت)... ونحن نعمل معًا"


def _seed_text() -> str:
    for path in (SEED, BUNDLED):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip(f"the seed article is absent (looked for {SEED} and {BUNDLED})")


def _pers(*names: str) -> list[dict[str, str]]:
    return [{"text": name, "label": "PERS"} for name in names]


def _check_invariants(text: str, given: list, result) -> None:
    assert len(result.mentions) + len(result.unaligned) == len(given)
    for m in result.mentions:
        assert text[m.start:m.end] == m.text


def test_hamza_free_spelling_aligns_to_hamza_alef() -> None:
    result = align_mentions(DISCUSSED, _pers("الاسد"), doc_id="d")
    (m,) = result.mentions
    assert m.text == "الأسد" and m.start == DISCUSSED.index("الأسد")
    assert result.matches[0].kind == "normalized"


def test_attached_proclitic_stays_outside_unless_the_model_included_it() -> None:
    result = align_mentions(DISCUSSED, _pers("بوتين"), doc_id="d")
    (m,) = result.mentions
    assert (m.text, m.start) == ("بوتين", DISCUSSED.index("وبوتين") + 1)
    assert result.matches[0].kind == "proclitic"
    whole = align_mentions(DISCUSSED, _pers("وبوتين"), doc_id="d").mentions[0]
    assert (whole.text, whole.start) == ("وبوتين", DISCUSSED.index("وبوتين"))


def test_multiword_name_after_conjunction() -> None:
    result = align_mentions(LEAD, _pers("بشار الأسد", "فلاديمير بوتين"), doc_id="d")
    assert [m.text for m in result.mentions] == ["بشار الأسد", "فلاديمير بوتين"]
    assert LEAD[result.mentions[1].start - 1] == "و"


def test_thai_mark_defect_aligns_by_lookalike_tolerance() -> None:
    result = align_mentions(MINISTERS, _pers("فيصل المقداد"), doc_id="d")
    (m,) = result.mentions
    assert m.text == "فิصل المقداد"  # the defective published text, not a repaired one
    assert result.matches[0].kind == "lookalike"


def test_lookalike_tolerance_never_swaps_arabic_letters() -> None:
    # One Arabic letter for another is a different word, not a defect; and the foreign mark in فิصل
    # uses up the one tolerated character, so a second difference is not forgiven.
    result = align_mentions(MINISTERS, _pers("فيصل المقداذ", "سيرغي شوبغو"), doc_id="d")
    assert result.mentions == []
    assert [u.reason for u in result.unaligned] == ["not-found", "not-found"]


def test_persian_yeh_and_tanween_and_parenthesis() -> None:
    result = align_mentions(VACCINE, [{"text": "سيبوتنيك لايت", "label": "PRODUCT"},
                                      {"text": "معا", "label": "X"}], doc_id="d")
    assert [m.text for m in result.mentions] == ["سيبوتنيك لایت", "معًا"]  # tanween stays with its letter


def test_teh_marbuta_and_alef_spellings_are_different_words() -> None:
    # Only سورية in this text: سوريا must not align to it.
    result = align_mentions(VACCINE, [{"text": "سوريا", "label": "GPE"}, {"text": "سورية", "label": "GPE"}],
                            doc_id="d")
    assert [m.text for m in result.mentions] == ["سورية"]
    assert [(u.index, u.reason) for u in result.unaligned] == [(0, "not-found")]


def test_seed_article_has_both_spellings_and_each_finds_its_own() -> None:
    text = _seed_text()
    result = align_mentions(text, [{"text": "سوريا", "label": "GPE"}] * 2, doc_id="seed")
    assert [text[m.start:m.end] for m in result.mentions] == ["سوريا"]
    assert text.count("سوريا") == 1
    assert result.unaligned[0].reason == "occurrences-exhausted"
    result = align_mentions(text, [{"text": "سورية", "label": "GPE"}] * text.count("سورية"), doc_id="seed")
    assert [m.text for m in result.mentions] == ["سورية"] * text.count("سورية")
    assert len({m.start for m in result.mentions}) == len(result.mentions)


def test_match_inside_another_word_is_refused_with_a_reason() -> None:
    text = "درس الباحثون البوتينات في المختبر"
    result = align_mentions(text, _pers("بوتين"), doc_id="d")
    (miss,) = result.unaligned
    assert miss.reason == "inside-word" and "البوتينات" in miss.detail
    assert result.mentions == []


def test_lam_alef_fusion() -> None:
    text = "وهذا يتناقض مع قرار للأمم المتحدة"
    result = align_mentions(text, [{"text": "الأمم المتحدة", "label": "ORG"}], doc_id="d")
    (m,) = result.mentions
    assert m.text == "لأمم المتحدة" and result.matches[0].kind == "lam-alef-fusion"


def test_whitespace_and_quote_mark_differences() -> None:
    text = 'قال الرئيس الأسد: "أنا سعيد أن نلتقي\nاليوم في موسكو"'
    result = align_mentions(text, [{"text": "“أنا سعيد أن نلتقي اليوم في  موسكو”", "label": "DIRECT"}],
                            doc_id="d", layer="quotes")
    (m,) = result.mentions
    assert m.text == text[text.index('"'):] and m.layer == "quotes"


def test_in_order_search_nested_and_repeated_mentions() -> None:
    text = _seed_text()
    given = [
        {"text": "وزير الدفاع الروسي", "label": "OCC"},
        {"text": "الروسي", "label": "NORP"},  # nested: found inside the previous match, not earlier
        {"text": "الأسد", "label": "PERS"},
        {"text": "الأسد", "label": "PERS"},
        {"text": "بوتين", "label": "PERS"},
    ]
    result = align_mentions(text, given, doc_id="seed")
    _check_invariants(text, given, result)
    occ, norp, assad1, assad2, putin = result.mentions
    assert occ.start <= norp.start and norp.end == occ.end
    assert occ.start < assad1.start < assad2.start < putin.start
    # Determinism: the same input gives the same output.
    assert align_mentions(text, given, doc_id="seed") == result


def test_search_restarts_from_the_beginning_when_nothing_lies_ahead() -> None:
    given = [{"text": "شويغو", "label": "PERS"}, {"text": "وزير الخارجية", "label": "OCC"}]
    result = align_mentions(MINISTERS, given, doc_id="d")
    assert [m.text for m in result.mentions] == ["شويغو", "وزير الخارجية"]
    assert result.mentions[1].start < result.mentions[0].start


def test_malformed_and_empty_mentions_are_reported_not_dropped() -> None:
    given = [{"text": "الأسد"}, "بوتين", {"text": "  ", "label": "PERS"}, {"text": 5, "label": "PERS"},
             {"text": "بوتين", "label": "PERS", "layer": "speakers"}]
    result = align_mentions(DISCUSSED, given, doc_id="d")
    _check_invariants(DISCUSSED, given, result)
    assert [(u.index, u.reason) for u in result.unaligned] == [
        (0, "malformed"), (1, "malformed"), (2, "empty-text"), (3, "malformed")]
    assert result.mentions[0].layer == "speakers"
    problem = result.unaligned[2].to_problem()
    assert problem.doc_id == "d" and problem.code == "unaligned-empty-text" and problem.fix
    # The fix says what happens to the mention: evaluate() leaves it out of the scores.
    assert "not scored" in problem.fix and "count as errors" not in problem.fix


def test_nearest_occurrence_prefers_the_one_before_the_anchor() -> None:
    text = _seed_text()
    matcher = DocumentMatcher(text)
    anchor = text.index("أعلم أنكم")
    nearest = matcher.nearest("بوتين", anchor)
    assert nearest is not None and nearest.start == text.rindex("بوتين", 0, anchor)
    assert matcher.nearest("بوتين", 0).start == text.index("بوتين")
    assert matcher.nearest("ترامب", anchor) is None


def test_proclitic_chains_cover_the_common_combinations() -> None:
    assert {"و", "ف", "ب", "ل", "ك", "وب", "ول", "فل", "ال", "وال", "بال", "لل", "ولل"} <= PROCLITIC_CHAINS
    assert "ات" not in PROCLITIC_CHAINS and "" not in PROCLITIC_CHAINS


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_run_of_words_from_the_article_aligns_to_an_equal_span(data: st.DataObject) -> None:
    text = LEAD + "\n\n" + MINISTERS + "\n\n" + DISCUSSED
    words = text.split()
    start = data.draw(st.integers(0, len(words) - 1))
    length = data.draw(st.integers(1, min(4, len(words) - start)))
    query = " ".join(words[start:start + length])
    result = align_mentions(text, [{"text": query, "label": "X"}], doc_id="d")
    (m,) = result.mentions
    assert normalize_text(m.text).split() == normalize_text(query).split()


def test_an_unplaced_mention_is_reported_and_scored_as_its_problem_says(tmp_path: Path) -> None:
    from dataset_builder.model import Document, Span
    from dataset_builder.problems import Severity
    from eval import evaluate, load_predictions

    start = DISCUSSED.index("بوتين")
    doc = Document("d", DISCUSSED, spans=(Span("T1", "entities", start, start + len("بوتين"), "PERS"),))
    path = tmp_path / "llm.jsonl"
    path.write_text('{"id": "d", "mentions": [{"text": "بوتين", "label": "PERS"}, '
                    '{"text": "دونالد ترامب", "label": "PERS"}, {"text": "", "label": "PERS"}]}\n', encoding="utf-8")
    predictions = load_predictions(path, documents={"d": doc})
    by_policy = {policy: evaluate([doc], predictions, options=ScoringOptions(modes=("strict",), unaligned=policy),
                                  intervals=NO_INTERVALS)
                 for policy in ("spurious", "ignore")}
    scored, ignored = (by_policy[p].score("entities", "strict") for p in ("spurious", "ignore"))
    # the hallucinated name is one false positive; the empty mention asserts nothing and is never scored
    assert (scored.micro.tp, scored.micro.fp, scored.n_pred) == (1, 1, 2)
    assert (ignored.micro.tp, ignored.micro.fp, ignored.n_pred) == (1, 0, 1)
    for result in by_policy.values():
        problems = {p.code: p for p in result.problems if p.code.startswith("unaligned-")}
        assert set(problems) == {"unaligned-not-found", "unaligned-empty-text"}
        found = problems["unaligned-not-found"]
        assert (found.path, found.line, found.doc_id, found.severity) == (str(path), 1, "d", Severity.WARNING)
        assert "دونالد ترامب" in found.message and "false positive" in found.fix and "'ignore'" in found.fix
        assert problems["unaligned-empty-text"].severity is Severity.ERROR
        assert "not scored" in problems["unaligned-empty-text"].fix
