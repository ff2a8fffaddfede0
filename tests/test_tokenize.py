"""Tests for dataset_builder.text.tokenize: rules, exact offsets, and agreement with real corpora."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import dataset_builder.text.tokenize as tokenize_module
from dataset_builder.text.tokenize import TOKEN_KINDS, Token, token_spans, tokenize

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"
CORPORA = SHARED / "corpora"

_BETWEEN_TOKENS = regex.compile(r"[\s\p{Cc}\p{Cf}]*")
_PUNCT_OR_SYMBOL = regex.compile(r"[\p{P}\p{S}]+")


def texts(text: str) -> list[str]:
    return [token.text for token in tokenize(text)]


def assert_exact_cover(text: str) -> None:
    """Every token is text[start:end], tokens are ordered, and only invisible characters lie between."""
    starts, ends = token_spans(text)
    assert [(t.start, t.end) for t in tokenize(text)] == list(zip(starts, ends, strict=True))
    previous_end = 0
    for start, end in zip(starts, ends, strict=True):
        assert previous_end <= start < end
        assert _BETWEEN_TOKENS.fullmatch(text, previous_end, start), repr(text[previous_end:start])
        previous_end = end
    assert _BETWEEN_TOKENS.fullmatch(text, previous_end, len(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Clitics and the article stay attached; harakat and tatweel stay with their letter.
        ("وبوتين والرئيس", ["وبوتين", "والرئيس"]),
        ("سَعِيدٌ جِدًّا", ["سَعِيدٌ", "جِدًّا"]),
        ("الرئيـــس", ["الرئيـــس"]),
        # Mixed-script words are kept whole so the defect detector can report them.
        ("وزير الخارجية الدكتور فิصل المقداد", ["وزير", "الخارجية", "الدكتور", "فิصل", "المقداد"]),
        ("إلى مدنهم وقراهem وإنما", ["إلى", "مدنهم", "وقراهem", "وإنما"]),
        ("(سيبوتنيك لایت)...", ["(", "سيبوتنيك", "لایت", ")", "..."]),
        # Arabic and Latin punctuation, every kind of quotation mark.
        ("قال، ثم؛ لماذا؟", ["قال", "،", "ثم", "؛", "لماذا", "؟"]),
        (
            "«سورية» “روسيا” „موسكو“ ‹دمشق› 'حلب' \"حمص\"",
            [
                "«", "سورية", "»", "“", "روسيا", "”", "„", "موسكو", "“", "‹", "دمشق", "›",
                "'", "حلب", "'", "\"", "حمص", "\"",
            ],
        ),
        ("[تحرير] {أ}", ["[", "تحرير", "]", "{", "أ", "}"]),
        # Multi-character marks.
        ("الأسد وبوتين... المباحثات", ["الأسد", "وبوتين", "...", "المباحثات"]),
        ("مؤخراً.. وقد", ["مؤخراً", "..", "وقد"]),
        ("انتهى… ثم", ["انتهى", "…", "ثم"]),
        ("حقاً؟! نعم!!", ["حقاً", "؟!", "نعم", "!!"]),
        ("أ -- ب", ["أ", "--", "ب"]),
        # Numbers: separators between digits are kept, dates and times are split.
        ("على 90 بالمئة و90.5 و٣٫٥ و1,000 و١٬٠٠٠", ["على", "90", "بالمئة", "و90.5", "و٣٫٥", "و1,000", "و١٬٠٠٠"]),
        ("90.5 ٣٫٥ 1,000 ۱۴۰۰", ["90.5", "٣٫٥", "1,000", "۱۴۰۰"]),
        ("2021-09-14", ["2021", "-", "09", "-", "14"]),
        ("3/6/1959 10:30", ["3", "/", "6", "/", "1959", "10", ":", "30"]),
        ("عام 2021م.", ["عام", "2021م", "."]),
        ("بلغ 90.5م", ["بلغ", "90.5م"]),
        ("بلغ 90.", ["بلغ", "90", "."]),
        ("90%", ["90", "%"]),
        ("٪٥٠", ["٪", "٥٠"]),
        # Latin.
        ("COVID-19 G20 Putin's", ["COVID", "-", "19", "G20", "Putin", "'", "s"]),
        # Invisible characters: joiners stay inside words; bidi marks and ZWSP separate like spaces.
        ("می\u200cخواهم", ["می\u200cخواهم"]),
        ("\u200eاسرائيل\u200f قال", ["اسرائيل", "قال"]),
        ("سورية\u200bروسيا", ["سورية", "روسيا"]),
        ("\ufeffبسم", ["بسم"]),
        # Symbols, emoji sequences, and code points outside the BMP (offsets are code points).
        ("👨\u200d👩\u200d👧 عائلة", ["👨\u200d👩\u200d👧", "عائلة"]),
        ("🇸🇾 سورية", ["🇸🇾", "سورية"]),
        ("👍🏽👍", ["👍🏽", "👍"]),
        ("a\ue000b", ["a", "\ue000", "b"]),
    ],
)
def test_tokenization_rules(text: str, expected: list[str]) -> None:
    assert texts(text) == expected
    assert_exact_cover(text)


def test_kinds() -> None:
    tokens = tokenize("قال بوتين: COVID-19 بنسبة 90.5% 2021م ٣ G20 فิصل \ue000 ½ $")
    assert [(t.text, t.kind) for t in tokens] == [
        ("قال", "word"), ("بوتين", "word"), (":", "punct"), ("COVID", "latin"), ("-", "punct"),
        ("19", "number"), ("بنسبة", "word"), ("90.5", "number"), ("%", "punct"), ("2021م", "word"),
        ("٣", "number"), ("G20", "latin"), ("فิصل", "word"), ("\ue000", "other"), ("½", "number"),
        ("$", "symbol"),
    ]
    assert {t.kind for t in tokens} <= set(TOKEN_KINDS)


def test_offsets_are_code_points_into_the_unchanged_text() -> None:
    text = "🇸🇾 قمة سورية روسية"
    tokens = tokenize(text)
    assert tokens[1] == Token(3, 6, "قمة", "word")
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_empty_and_blank_text() -> None:
    assert token_spans("") == ([], [])
    assert tokenize(" \n\t\u200f ") == []


def test_seed_article() -> None:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED} (../shared is absent)")
    text = SEED.read_text(encoding="utf-8")
    assert_exact_cover(text)
    tokens = tokenize(text)
    words = [t.text for t in tokens]
    for defect_word in ("فิصل", "وقراهem", "لایت"):
        assert words.count(defect_word) == 1
    assert "2021" in words and "..." in words and "90" in words
    assert not [t for t in tokens if t.kind == "other"]


@pytest.mark.parametrize(
    ("relative", "min_agreement"),
    [("anercorp-camel/ANERCorp_CamelLab_test.txt", 0.999), ("wojood-sample/train.txt", 0.98)],
)
def test_agrees_with_gold_tokenization_of_real_corpora(relative: str, min_agreement: float) -> None:
    """Each gold token, tokenized alone, is one token, unless it had punctuation glued to it.

    ANERcorp and Wojood split punctuation but not clitics, like this tokenizer; the disagreements are
    the corpora's own glued punctuation (كابول؛, ق.م., [تحرير]) and Wojood's ``$#$`` line-break marker.
    """
    path = CORPORA / relative
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (../shared is absent)")
    gold = [line.split(" ")[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    disagreements = []
    for gold_token in gold:
        starts, ends = token_spans(gold_token)
        if (starts, ends) != ([0], [len(gold_token)]):
            disagreements.append(gold_token)
            # We split only where punctuation or a symbol meets something else, never inside a word.
            for start, end in zip(starts, ends, strict=True):
                piece = gold_token[start:end]
                assert _PUNCT_OR_SYMBOL.fullmatch(piece) or not _PUNCT_OR_SYMBOL.search(piece), gold_token
    assert 1 - len(disagreements) / len(gold) >= min_agreement
    # And the whole corpus text, tokens joined by spaces, tokenizes back to the same number of pieces.
    joined = " ".join(gold)
    assert len(token_spans(joined)[0]) == len(gold) + sum(len(token_spans(t)[0]) - 1 for t in disagreements)


_CHARS = st.sampled_from(
    [*"قمة سورية روسية الأسد،؛؟«»\"'.()-:/%", *"0123456789٠١٢٣٫٬.,", *"abcXYZ",
     "\u064e", "\u0651", "\u0640", "\u0e34", "\u200c", "\u200d", "\u200e", "\u200f", "\u200b", "\n", "\t",
     "\u00a0", "🇸", "👍", "\ufe0f", "\ue000", "\x00"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_CHARS, max_size=60).map("".join))
def test_tokens_exactly_cover_any_text(text: str) -> None:
    assert_exact_cover(text)
    # Tokenizing a token alone gives the token back: boundaries do not depend on context.
    for token in tokenize(text):
        assert token_spans(token.text) == ([0], [len(token.text)]), token


def test_module_doctests() -> None:
    assert doctest.testmod(tokenize_module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_fast_path_tokenizes_like_the_unicode_pattern():
    """Texts of the common alphabet go through the standard-library pattern; it must cut every one of
    them exactly as the ``regex`` pattern does (random strings of that alphabet, dense in the tricky
    places: number separators, runs of marks, harakat after punctuation, lines and spaces)."""
    import random

    module = tokenize_module
    alphabet = module._FAST_ALPHABET + " \n\t\r" * 8 + "..." * 4 + "؟؟!!--" * 3 + "١٢3,.٫٬" * 4 + "\u064b\u0651" * 4
    every_char_has_a_token_class = regex.compile(r"[\p{L}\p{M}\p{N}\p{P}\p{S}]")
    assert all(every_char_has_a_token_class.fullmatch(char) for char in module._FAST_ALPHABET)
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert module._OUTSIDE_FAST_ALPHABET.search(text) is None
        expected = [match.span() for match in module._SPANS.finditer(text)]
        starts, ends = token_spans(text)
        assert list(zip(starts, ends, strict=True)) == expected, text


def test_text_outside_the_fast_alphabet_takes_the_unicode_pattern():
    module = tokenize_module
    # ZWNJ keeps a Persian word whole, which only the Unicode pattern knows.
    text = "می\u200cخواهم 90.5"
    assert module._OUTSIDE_FAST_ALPHABET.search(text) is not None
    assert token_spans(text) == ([0, 9], [8, 13])


def test_mixed_text_tokenizes_like_the_unicode_pattern():
    """Words holding characters outside the fast alphabet (joiners, Persian letters and digits, Latin
    accents, emoji, no-break spaces, bidi marks) go to the Unicode pattern and the rest to the fast one:
    the tokens must be those of the Unicode pattern over the whole text."""
    import random

    module = tokenize_module
    rare = "\u200c\u200d\u06cc\u06f1\u06f2é©\u00a0\u200f\u0e34😀\U0001F1F8\U0001F1FE\u0301\x0b\u2028\ue000"
    alphabet = module._FAST_ALPHABET + " \n\t\r" * 8 + "..." * 4 + "؟؟!!--" * 3 + "١٢3,.٫٬" * 4 + rare * 3
    rng = random.Random(12)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        expected = [match.span() for match in module._SPANS.finditer(text)]
        starts, ends = token_spans(text)
        assert list(zip(starts, ends, strict=True)) == expected, text
