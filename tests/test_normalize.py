"""Tests for dataset_builder.text.normalize: the matching view and its map back to source offsets."""

from __future__ import annotations

import doctest
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dataset_builder.text.normalize as normalize_module
from dataset_builder.text.normalize import CANONICAL, MATCHING, NormalizationOptions, normalize, normalize_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"
NEWSFANE = SHARED / "corpora" / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt"


def _read_seed() -> str:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED} (../shared is absent)")
    return SEED.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("أحمد إبراهيم آمنة ٱلله", "احمد ابراهيم امنه الله"),
        ("مستشفى", "مستشفي"),
        ("سورية", "سوريه"),
        ("سَعِيدٌ", "سعيد"),
        ("الرئيـــس", "الرئيس"),
        ("لایت کتاب", "لايت كتاب"),
        ("عام ٢٠٢١ و۱۴۰۰", "عام 2021 و1400"),
        ("\u200eاسرائيل\u200f", "اسرائيل"),
        ("می\u200cخواهم", "ميخواهم"),
        ("ﻻ", "لا"),
        ("COVID-19", "COVID-19"),
    ],
)
def test_default_rules(source: str, expected: str) -> None:
    view = normalize(source)
    assert view.text == expected
    assert normalize_text(source) == expected


def test_flags_turn_rules_off() -> None:
    source = "أَمَّا مستشفى سورية ـ مؤتمر ٣"
    assert normalize(source, NormalizationOptions(alef=False)).text.startswith("أما")
    assert "مستشفى" in normalize(source, NormalizationOptions(alef_maksura=False)).text
    assert "سورية" in normalize(source, NormalizationOptions(teh_marbuta=False)).text
    assert normalize(source, NormalizationOptions(diacritics=False)).text.startswith("اَمَّا")
    assert "ـ" in normalize(source, NormalizationOptions(tatweel=False)).text
    assert "مؤتمر" in normalize(source).text
    assert "موتمر" in normalize(source, NormalizationOptions(hamza=True)).text
    assert normalize(source, NormalizationOptions(digits=False)).text.endswith("٣")


def test_persian_yeh_is_position_aware_when_alef_maksura_is_kept() -> None:
    view = normalize("علی لایت", NormalizationOptions(alef_maksura=False))
    assert view.text == "على لايت"  # final yeh looks like alef maksura, medial yeh like yeh
    assert normalize("علی لایت").text == "علي لايت"


def test_offsets_of_deleted_and_expanded_characters() -> None:
    source = "قال الرئيـــس: أهلاً"
    view = normalize(source)
    assert view.text == "قال الرئيس: اهلا"
    assert len(view.to_source) == len(view.text) + 1
    assert view.to_source[-1] == len(source)
    # The tatweel inside a word stays inside the word's span; the tanween goes with its letter.
    start = view.text.index("الرئيس")
    assert source[slice(*view.source_span(start, start + 6))] == "الرئيـــس"
    start = view.text.index("اهلا")
    assert source[slice(*view.source_span(start, start + 4))] == "أهلاً"

    ligature = normalize("ﻻ بد")
    assert ligature.text == "لا بد"
    assert list(ligature.to_source[:3]) == [0, 0, 1]
    assert ligature.source_span(0, 1) == (0, 1)  # half of the ligature still maps to the whole character
    assert ligature.source_span(0, 2) == (0, 1)


def test_bidi_marks_around_a_span_stay_outside() -> None:
    source = "\u200eبوتين\u200f قال"
    view = normalize(source)
    assert view.text == "بوتين قال"
    assert view.source_span(0, 5) == (1, 6)
    assert source[1:6] == "بوتين"


def test_from_source_maps_deleted_characters_to_the_next_kept_one() -> None:
    source = "سَعِيد"
    view = normalize(source)
    assert [view.from_source(i) for i in range(len(source) + 1)] == [0, 1, 1, 2, 2, 3, 4]
    assert view.from_source_span(0, len(source)) == (0, 4)


def test_out_of_range_offsets_are_rejected() -> None:
    view = normalize("أهلا")
    with pytest.raises(IndexError, match="outside the normalized text"):
        view.source_span(0, 5)
    with pytest.raises(IndexError, match="outside the source text"):
        view.from_source(-1)
    assert view.source_span(2, 2) == (2, 2)


def test_find_sees_through_spelling_variants() -> None:
    source = "التقى الرئيسُ الأسد بالرئيس بوتين؛ وقال الأَسَد إن سورية..."
    view = normalize(source)
    found = view.find("الاسد")
    assert [source[a:b] for a, b in found] == ["الأسد", "الأَسَد"]
    assert [source[a:b] for a, b in view.find("الرئيس", whole_words=True)] == ["الرئيسُ"]
    assert len(view.find("الرئيس")) == 2
    assert view.find("") == []
    assert [source[a:b] for a, b in view.find("سوريه")] == ["سورية"]


def test_find_on_the_seed_article_matches_every_hamza_spelling() -> None:
    text = _read_seed()
    view = normalize(text)
    found = view.find("الاسد", whole_words=True)
    assert len(found) == text.count("الأسد")
    assert {text[a:b] for a, b in found} == {"الأسد"}
    # The Persian yeh in لایت is found by its Arabic spelling.
    (lite,) = view.find("لايت")
    assert text[lite[0] : lite[1]] == "لایت"


def test_newsfane_lrm_prefixes_are_invisible_to_matching() -> None:
    if not NEWSFANE.exists():
        pytest.skip(f"NewsFANE Gold not found at {NEWSFANE} (../shared is absent)")
    lines = NEWSFANE.read_text(encoding="utf-8-sig").splitlines()[:500]
    tokens = [line.split("\t")[0] for line in lines if line.strip()]
    assert sum(token.startswith("\u200e") for token in tokens) > 100  # the quirk is really there
    source = " ".join(tokens)
    view = normalize(source)
    assert "\u200e" not in view.text
    position = 0
    for token in tokens:
        bare = normalize_text(token)
        start = view.text.index(bare, position)
        src_start, src_end = view.source_span(start, start + len(bare))
        assert source[src_start:src_end] == token.lstrip("\u200e")
        position = start + len(bare)


def test_options_object_and_presets() -> None:
    options = NormalizationOptions(teh_marbuta=False)
    assert normalize("سورية", options).text == "سورية"
    assert normalize_text("سورية", options) == "سورية"
    assert normalize_text("سورية", replace(options, teh_marbuta=True)) == "سوريه"
    assert normalize("سورية").options is MATCHING and normalize_text("مؤتمر سورية", CANONICAL) == "موتمر سورية"
    assert normalize("سورية", options).options is options


_ALPHABET = st.sampled_from(
    [
        *"ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئىةٱ ٠١٢۰۱ .،؟",
        *("\u064e", "\u0651", "\u0652", "\u064b", "\u0640", "\u200e", "\u200f", "\u200c", "\u06cc", "\u06a9"),
        *("\ufefb", "\ufef5", "\ufdfa", "\ufe8e", "a", "Z", "5"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_normalization_is_character_by_character_and_offsets_are_consistent(source: str) -> None:
    view = normalize(source)
    assert view.text == "".join(normalize_text(char) for char in source)
    to_source = list(view.to_source)
    assert len(to_source) == len(view.text) + 1
    assert to_source[-1] == len(source)
    assert to_source == sorted(to_source)
    for i, char in enumerate(view.text):
        assert char in normalize_text(source[to_source[i]])
    # Any normalized span maps to a source span whose normalization is exactly that span.
    for start in range(len(view.text) + 1):
        for end in range(start, min(len(view.text), start + 6) + 1):
            a, b = view.source_span(start, end)
            covered = normalize_text(source[a:b])
            assert view.text[start:end] in covered
            starts_clean = start == 0 or to_source[start - 1] != to_source[start]
            ends_clean = end == len(view.text) or to_source[end] != to_source[end - 1]
            if starts_clean and ends_clean:  # not cutting through an expanded ligature
                assert covered == view.text[start:end]


def test_module_doctests() -> None:
    assert doctest.testmod(normalize_module).failed == 0
