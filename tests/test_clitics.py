"""dataset_builder.text.clitics: the proclitic inventory, on the grammar, news words and the SANA gold."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from dataset_builder.text.clitics import (
    BEFORE_FUSED_ARTICLE,
    PROCLITIC_LETTERS,
    is_proclitic_chain,
    proclitic_chains,
    proclitic_prefixes,
    restore_elided_article,
    split_proclitics,
)

SANA_GOLD = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "sana-sample.jsonl"

# The chain grammar as the module documents it, written independently of the implementation.
GRAMMAR = re.compile(r"[وف]?(?:[بلك]|[بك]?ال|لل)?")

# News words that carry proclitics, with every chain cut (the key, article included) ...
ATTACHED = {
    "وبوتين": ("وب", "وتين"),  # a key, not an analysis: و + بوتين is only one reading (below)
    "فالرئيس": ("فال", "رئيس"),
    "وللشعب": ("ولل", "شعب"),
    "للأمم": ("لل", "أمم"),
    "بالإضافة": ("بال", "إضافة"),
    "كالمعتاد": ("كال", "معتاد"),
    "وبالتالي": ("وبال", "تالي"),
}
# ... and names and words that only start like a chain.
LOOK_ALIKE = ("فيصل", "بشار", "كورونا", "ليبيا", "وزير", "فلاديمير", "لبنان")


def _sana() -> dict:
    return json.loads(SANA_GOLD.read_text(encoding="utf-8").splitlines()[0])


def _word_start(text: str, position: int) -> int:
    while position > 0 and text[position - 1].isalpha():
        position -= 1
    return position


# ------------------------------------------------------------------------------------ the inventory


def test_chains_are_exactly_the_documented_grammar() -> None:
    letters = "وفبلكاي"
    for length in range(1, 6):
        for chars in itertools.product(letters, repeat=length):
            candidate = "".join(chars)
            assert is_proclitic_chain(candidate) == bool(GRAMMAR.fullmatch(candidate)), candidate
            without_article = bool(GRAMMAR.fullmatch(candidate)) and "ال" not in candidate and "لل" not in candidate
            assert is_proclitic_chain(candidate, article=False) == without_article, candidate
    assert len(proclitic_chains()) == 23 and len(proclitic_chains(article=False)) == 11
    assert set(proclitic_chains(segmented=True)) - set(proclitic_chains()) == {"لال", "ولال", "فلال"}


def test_chains_are_listed_longest_first_in_inventory_order() -> None:
    assert proclitic_chains(article=False) == ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")
    chains = proclitic_chains(segmented=True)
    assert [len(c) for c in chains] == sorted((len(c) for c in chains), reverse=True)
    assert {c for c in chains if len(c) == 1} == PROCLITIC_LETTERS


@pytest.mark.parametrize("chain", ["وف", "بل", "الب", "لال", "ووب", "فال ", "ـ", ""])
def test_what_is_not_a_chain(chain: str) -> None:
    # Two conjunctions or prepositions, a preposition after the article, ل + ال unfused, a space,
    # a tatweel alone, nothing.
    assert not is_proclitic_chain(chain, tatweel=True)


def test_tatweel_after_a_chain_only_when_asked() -> None:
    for written in ("الـ", "بـ", "وبالــ"):  # الـCOVID, بـiPhone
        assert is_proclitic_chain(written, tatweel=True)
        assert not is_proclitic_chain(written)
    assert not is_proclitic_chain("بـال", tatweel=True)  # elongation ends a chain, it does not join one
    assert not is_proclitic_chain("وَ", tatweel=True)  # harakat are the caller's to strip


def test_segmented_spelling_of_the_fused_article() -> None:
    # NewsFANE writes ل + ال as لال (لالاتحاد for للاتحاد): the same key once segmented=True.
    assert split_proclitics("لالاتحاد", article=True, segmented=True) == ("لال", "اتحاد")
    assert split_proclitics("للاتحاد", article=True) == ("لل", "اتحاد")
    assert split_proclitics("لالاتحاد", article=True) == ("ل", "الاتحاد")
    with pytest.raises(ValueError, match="needs article=True"):
        is_proclitic_chain("لال", article=False, segmented=True)


# ------------------------------------------------------------------------------------- news words


@pytest.mark.parametrize(("word", "cut"), ATTACHED.items())
def test_the_key_cuts_the_longest_chain(word: str, cut: tuple[str, str]) -> None:
    assert split_proclitics(word, article=True) == cut
    prefix, stem = cut
    assert (prefix, stem) in proclitic_prefixes(word, article=True)
    assert prefix + stem == word


def test_readings_list_every_cut_shortest_first() -> None:
    assert proclitic_prefixes("وبوتين") == [("و", "بوتين"), ("وب", "وتين")]
    assert proclitic_prefixes("وبالتالي", article=True) == [("و", "بالتالي"), ("وب", "التالي"), ("وبال", "تالي")]
    assert proclitic_prefixes("فالرئيس") == [("ف", "الرئيس")]  # without the article: the name keeps it
    assert proclitic_prefixes("فلاديمير", article=True) == [("ف", "لاديمير"), ("فل", "اديمير")]
    assert proclitic_prefixes("بن") == [] and proclitic_prefixes("ولد") == [("و", "لد")]  # min_stem=2
    assert proclitic_prefixes("ولد", min_stem=3) == []


@pytest.mark.parametrize("name", LOOK_ALIKE)
def test_names_that_start_like_a_chain_stay_whole_under_a_lexicon(name: str) -> None:
    known = {*LOOK_ALIKE, "بوتين", "الرئيس", "الشعب", "الأمم"}
    assert split_proclitics(name, known=known) == ("", name)
    assert split_proclitics(name, article=True, known=known) == ("", name)
    # Written with a clitic, only the clitic is cut: وفيصل, ووزير, وفلاديمير, but never وفل + اديمير.
    assert split_proclitics("و" + name, known=known) == ("و", name)
    assert split_proclitics("ل" + name, known=known) == ("ل", name)  # لليبيا, للبنان: ل + a name with ل
    assert split_proclitics("و" + name, known=set()) == ("", "و" + name)  # nothing known: nothing cut


def test_a_lexicon_cuts_no_more_than_needed() -> None:
    known = {"بوتين", "الرئيس", "الشعب", "التالي", "تالي"}
    assert split_proclitics("وبوتين", known=known) == ("و", "بوتين")
    assert split_proclitics("فالرئيس", article=True, known=known) == ("ف", "الرئيس")
    assert split_proclitics("وبالتالي", article=True, known=known) == ("وب", "التالي")


def test_without_a_lexicon_the_cut_is_a_key_shared_by_every_form() -> None:
    # A key cuts look-alikes too (لبنان -> بنان), but every spelling of one word meets.
    forms = {
        "لبنان": ("للبنان", "ولبنان"),
        "الولايات": ("والولايات", "بالولايات", "للولايات"),
        "الأمم": ("للأمم", "وللأمم"),
    }
    for word, variants in forms.items():
        key = split_proclitics(word, article=True)[1]
        assert {split_proclitics(v, article=True)[1] for v in variants} == {key}, word
    assert split_proclitics("لبنان", article=True) == ("ل", "بنان")


def test_the_elided_article_after_the_preposition() -> None:
    assert restore_elided_article("ل", "لأمم") == "الأمم"  # للأمم = ل + الأمم
    assert restore_elided_article("ول", "لشعب") == "الشعب"  # وللشعب
    assert restore_elided_article("ل", "ليبيا") == "اليبيا"  # لليبيا: the other reading, the caller tries both
    assert restore_elided_article("و", "لقاهرة") is None  # only after the preposition ل
    assert restore_elided_article("ل", "بنان") is None
    assert restore_elided_article("ل", "له") is None  # one letter after the article
    assert {"ل", "ول", "فل"} == BEFORE_FUSED_ARTICLE


# ------------------------------------------------------------------------------- the SANA gold


def test_every_sana_mention_inside_a_word_follows_a_chain() -> None:
    doc = _sana()
    text = doc["text"]
    prefixes = set()
    for span in doc["spans"]:
        start = span["start"]
        prefix = text[_word_start(text, start):start]
        if not prefix:
            continue
        prefixes.add(prefix)
        assert is_proclitic_chain(prefix, article=False), (prefix, span)
        if prefix in BEFORE_FUSED_ARTICLE and text.startswith("ل", start):
            # The guideline starts the mention at the article's lam: للشعب -> لشعب, read الشعب.
            first = text[start:span["end"]].split()[0]
            assert restore_elided_article(prefix, first) == "ا" + first
    assert prefixes == {"و", "ب", "ل", "ول"}


def test_a_lexicon_of_sana_mentions_reproduces_every_gold_boundary() -> None:
    # Cutting each gold mention's word with the mentions' first words as the lexicon puts the cut
    # exactly where the annotators started the mention: وبوتين -> و | بوتين, وللشعب -> ول | لشعب,
    # and بشار, وزير, فิصل, which start like a chain, stay whole.
    doc = _sana()
    text = doc["text"]
    known = {text[s["start"]:s["end"]].split()[0] for s in doc["spans"]}
    whole_look_alikes = set()
    for span in doc["spans"]:
        start = span["start"]
        word_start = _word_start(text, start)
        end = start
        while end < len(text) and text[end].isalpha():
            end += 1
        word = text[word_start:end]
        assert split_proclitics(word, known=known) == (text[word_start:start], text[start:end]), span
        if word_start == start and proclitic_prefixes(word):
            whole_look_alikes.add(word)
    assert {"بشار", "وزير"} <= whole_look_alikes
