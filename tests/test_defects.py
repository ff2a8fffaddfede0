"""Tests for dataset_builder.text.defects: the seed article's three defects, every kind, no false alarms."""

from __future__ import annotations

import doctest
import unicodedata
from pathlib import Path

import pytest

import dataset_builder.text.defects as defects_module
from dataset_builder.problems import Severity
from dataset_builder.text.defects import DEFECT_KINDS, Defect, detect_defects
from dataset_builder.text.tokenize import token_spans

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"
CORPORA = SHARED / "corpora"

# The three sentences of the seed article that hold its real defects, copied byte for byte, so the
# hard requirement is tested even where ../shared is absent.
SEED_SENTENCES = (
    "القمة التي استهلت باجتماع ثنائي مطول بين الرئيسين انضم إليه لاحقاً وزير الخارجية الدكتور فิصل"
    " المقداد ووزير الدفاع الروسي سيرغي شويغو بحثت التعاون المشترك بين جيشهما البلدين في عملية مكافحة"
    " الإرهاب واستكمال تحرير الأراضي التي ما زالت تخضع لسيطرة التنظيمات الإرهابية.\n\n"
    "وفي مستهل القمة الثانية قال الرئيس الأسد: \"أنا سعيد أن نلتقي اليوم في موسكو وقد مضى على العملية"
    " المشتركة لمكافحة الإرهاب الآن نحو ست سنوات حق خلالها الجيشان العربي السوري والروسي إنجازات كبيرة"
    " ليس فقط من خلال تحرير الأراضي أو من خلال إعادة اللاجئين إلى مدنهم وقراهem وإنما أيضاً من خلال"
    " حماية مواطنين أبرياء كثري في هذا العالم لأن الإرهاب لا يعرف حدوداً سياسية ولا يقف عند الحدود"
    " السياسية\".\n\n"
    "ونحن نعمل معًا على حل القضية الرئيسية التي تواجهها البشرية بأسرها حالياً وأقصد بذلك مكافحة جائحة"
    " كورونا حيث وصلت إلى سورية الإرساليات الأولى من لقاحي (سيبوتنيك لایت)... وأمل في أن تتم بالجهود"
    " المشتركة مساعدة الشعب السوري للنهوض عبر المساعدة في إحياء الاقتصاد والوضع الاجتماعي ومجال الصحة"
    " بالدرجة الأولى."
)


def summary(text: str) -> list[tuple[str, str, str | None]]:
    return [(d.kind, d.text, d.suggestion) for d in detect_defects(text)]


def assert_consistent(text: str, defects: list[Defect]) -> None:
    starts, ends = token_spans(text)
    for defect in defects:
        assert text[defect.start : defect.end] == defect.text
        assert defect.token_start <= defect.start < defect.end <= defect.token_end
        assert defect.kind in DEFECT_KINDS
        assert defect.message
        if defect.suggestion is not None:
            assert defect.suggestion != text[defect.token_start : defect.token_end]
        # A defect is either inside a token, or exactly one character between tokens.
        inside = any(s == defect.token_start and e == defect.token_end for s, e in zip(starts, ends, strict=True))
        assert inside or (defect.token_start, defect.token_end) == (defect.start, defect.end)
    assert defects == sorted(defects, key=lambda d: (d.start, d.end, d.kind))


def check_three_seed_defects(text: str) -> None:
    defects = detect_defects(text)
    assert_consistent(text, defects)
    assert [(d.kind, d.text, text[d.token_start : d.token_end], d.suggestion) for d in defects] == [
        ("mixed-script", "\u0e34", "فิصل", "فيصل"),
        ("mixed-script", "em", "وقراهem", "وقراه"),
        ("lookalike", "\u06cc", "لایت", "لايت"),
    ]
    thai, latin, yeh = defects
    assert "THAI CHARACTER SARA I (U+0E34)" in thai.message and "فيصل" in thai.message
    assert thai.alternatives == ("فصل",)
    # Removing "em" is the mechanical suggestion; "em" as a transliteration of م is offered too.
    assert latin.alternatives == ("وقراهم",) and "transliteration" in latin.message
    assert "ARABIC LETTER FARSI YEH (U+06CC)" in yeh.message
    assert all(d.severity is Severity.WARNING for d in defects)


def test_seed_sentences_inline_have_exactly_the_three_defects() -> None:
    check_three_seed_defects(SEED_SENTENCES)


def test_seed_article_has_exactly_the_three_defects() -> None:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED} (../shared is absent)")
    text = SEED.read_text(encoding="utf-8")
    for sentence in SEED_SENTENCES.split("\n\n"):
        assert sentence in text  # the inline copy is faithful
    check_three_seed_defects(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Mixed script: Latin, Cyrillic and Greek letters inside Arabic words.
        ("مدنهم وقراهem", [("mixed-script", "em", "وقراه")]),
        ("سوриة", [("mixed-script", "ри", "سوة")]),
        ("الأμم", [("mixed-script", "μ", "الأم")]),
        ("مكتبةjquery", [("mixed-script", "jquery", None)]),  # foreign bulk: no safe suggestion
        # Lookalikes, position-aware for Persian yeh.
        ("لایت", [("lookalike", "ی", "لايت")]),
        ("علی", [("lookalike", "ی", "على")]),
        ("فی الدار", [("lookalike", "ی", "فى")]),
        ("ی", [("lookalike", "ی", "ى")]),
        ("علیً", [("lookalike", "ی", "علىً")]),  # harakat after a final yeh do not make it medial
        ("کتاب", [("lookalike", "ک", "كتاب")]),
        ("ہذا", [("lookalike", "ہ", "هذا")]),
        ("ھذا", [("lookalike", "ھ", "هذا")]),
        ("الحوثيین", [("lookalike", "ی", "الحوثيين")]),  # as written in Wojood
        ("عام ۱۴۰۰", [("lookalike", "۱۴۰۰", "١٤٠٠")]),
        # Presentation forms: a run is one defect, suggested in NFKC.
        ("ﺑﺴﻢ الله", [("presentation-form", "ﺑﺴﻢ", "بسم")]),
        ("وﻻ", [("presentation-form", "ﻻ", "ولا")]),
        ("مرﺁة", [("presentation-form", "ﺁ", "مرآة")]),
        # Tatweel is information.
        ("الرئيـــس", [("tatweel", "ـــ", "الرئيس")]),
        # Invisible characters.
        ("سورية\u200bروسيا", [("zero-width", "\u200b", "")]),
        ("\ufeffبسم", [("zero-width", "\ufeff", "")]),
        # ZWNJ breaks joining, so the yeh before it is drawn final (dotless): ى.
        ("می\u200cخواهم", [("lookalike", "ی", "مى\u200cخواهم"), ("zero-width", "\u200c", "میخواهم")]),
        ("قال \u200fبوتين", [("bidi-control", "\u200f", "")]),
        ("\u202bنص\u202c", [("bidi-control", "\u202b", ""), ("bidi-control", "\u202c", "")]),
        ("نص\u061c", [("bidi-control", "\u061c", "")]),
        # Normalization.
        ("ا\u0654حمد", [("unnormalized", "ا\u0654", "أحمد")]),
        ("مُدَّة", []),  # fatha before shadda is canonical order
        ("مُدَّة".replace("\u064e\u0651", "\u0651\u064e"), [("unnormalized", "\u0651\u064e", "مُدَّة")]),
        ("ﬁle", [("compatibility", "ﬁ", "file")]),
        ("عام ٢٠٢١ م²", [("compatibility", "²", "م2")]),
        # Controls and lost characters.
        ("قال\x07 بوتين", [("control", "\x07", "")]),
        ("سور\ufffdة", [("replacement-character", "\ufffd", None)]),
    ],
)
def test_each_kind(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert summary(text) == expected
    assert_consistent(text, detect_defects(text))


CLEAN = (
    "قَالَ الرَّئِيسُ بَشّارٌ الأسدُ: «إنّ سوريةَ ستنتصرُ»، وأضافَ: \"نحنُ مصممون\"؛ هل انتهى؟ نعم! "
    "بلغت النسبة 90.5% أو ٩٠٫٥٪ عام 2021م (2021-09-14)… وقال “بوتين” إن COVID-19 و Sputnik V "
    "وهٰذا الكتاب... لقاح وDell ‹نص› „اقتباس“ 'مفرد' — شرطة – 👍 ١٬٠٠٠\u00a0دولار\n"
)


def test_no_false_positives_on_clean_text() -> None:
    assert detect_defects(CLEAN) == []


def test_proclitics_on_foreign_words_only_record_the_tatweel() -> None:
    text = "لقاح الـCOVID وبـiPhone وDell"
    assert summary(text) == [("tatweel", "ـ", "الCOVID"), ("tatweel", "ـ", "وبiPhone")]
    assert all(d.severity is Severity.INFO for d in detect_defects(text))


def test_severities() -> None:
    warnings = {kind for kind, severity in DEFECT_KINDS.items() if severity is Severity.WARNING}
    info = {kind for kind, severity in DEFECT_KINDS.items() if severity is Severity.INFO}
    assert warnings == {"mixed-script", "lookalike", "presentation-form", "unnormalized", "control",
                        "replacement-character"}
    assert info == {"tatweel", "zero-width", "bidi-control", "compatibility"}
    (tatweel,) = detect_defects("الـ")
    assert tatweel.severity is Severity.INFO


def test_defect_as_problem() -> None:
    (defect,) = detect_defects("الدكتور فิصل")
    problem = defect.to_problem(doc_id="sana-1", path="article.txt")
    assert problem.code == "text-mixed-script"
    assert problem.severity is Severity.WARNING
    assert (problem.doc_id, problem.offset, problem.path) == ("sana-1", 9, "article.txt")
    assert "فيصل" in problem.fix and "فصل" in problem.fix
    (lost,) = detect_defects("سور\ufffdة")
    assert "source" in lost.to_problem().fix


def test_corpus_tokens_are_analysed_as_given() -> None:
    """With a corpus's own tokens (NewsFANE puts LRM inside every Arabic token), defects are
    located in those tokens."""
    text = "\u200eاسرائيل \u200eالى"
    starts, ends = [0, 9], [8, 13]
    defects = detect_defects(text, starts, ends)
    assert [(d.kind, d.start, d.token_start, d.token_end, d.suggestion) for d in defects] == [
        ("bidi-control", 0, 0, 8, "اسرائيل"),
        ("bidi-control", 9, 9, 13, "الى"),
    ]
    assert "at the start of the text" in defects[0].message
    assert "at the start of a word" in defects[1].message
    # With our own tokens the marks lie between words.
    assert [(d.kind, d.token_start, d.token_end) for d in detect_defects(text)] == [
        ("bidi-control", 0, 1), ("bidi-control", 9, 10),
    ]


def _corpus_text(relative: str) -> str:
    path = CORPORA / relative
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (../shared is absent)")
    return " ".join(line.split(" ")[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def test_anercorp_proclitics_on_latin_words_are_not_defects() -> None:
    text = _corpus_text("anercorp-camel/ANERCorp_CamelLab_test.txt")
    assert "وDell" in text and "وLenovo" in text  # the corpus really writes و onto Latin brand names
    defects = detect_defects(text)
    assert_consistent(text, defects)
    assert {d.kind for d in defects} == {"tatweel", "unnormalized"}
    for defect in defects:
        token = text[defect.token_start : defect.token_end]
        if defect.kind == "unnormalized":
            assert defect.suggestion == unicodedata.normalize("NFC", token) != token


def test_wojood_real_defects_are_found() -> None:
    text = _corpus_text("wojood-sample/test.txt")
    defects = detect_defects(text)
    assert_consistent(text, defects)
    found = {(d.kind, text[d.token_start : d.token_end], d.suggestion) for d in defects}
    assert ("lookalike", "الحوثيین", "الحوثيين") in found
    assert ("presentation-form", "مرﺁة", "مرآة") in found
    assert not [d for d in defects if d.kind == "mixed-script"]


def test_module_doctests() -> None:
    assert doctest.testmod(defects_module).failed == 0
