"""eval.align: one-to-one, order-independent alignment; a brute-force reference; Arabic proclitics."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.align import OUTCOMES, SpanArrays, align, differs_by_proclitics, match_spans
from eval.types import AlignedPair, ErrorClass, Mention

SEED_ARTICLE = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "raw" / \
    "sana-2021-09-14-assad-putin-moscow.txt"
SEED_GOLD = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "sana-sample.jsonl"


def _outcomes(pairs: list[AlignedPair]) -> Counter[ErrorClass]:
    return Counter(p.outcome for p in pairs)


def _key(pair: AlignedPair) -> tuple:
    return (pair.gold, pair.pred, pair.outcome)


mentions = st.builds(
    lambda doc, start, length, label: Mention(doc, start, start + length, label),
    st.sampled_from(["d1", "d2"]), st.integers(0, 30), st.integers(1, 8), st.sampled_from(["PERS", "GPE", "ORG"]),
)


# ------------------------------------------------------------------------------- nervaluate bugs


def test_nervaluate_issue_40_order_of_gold_does_not_matter() -> None:
    # Two gold mentions predicted as one span (MantisAI/nervaluate#40): nervaluate's result depends
    # on which gold comes first in the list.
    a, b = Mention("d", 0, 12, "A"), Mention("d", 14, 17, "B")
    pred = [Mention("d", 0, 17, "A")]
    first, second = align([a, b], pred), align([b, a], pred)
    assert first == second
    assert [(p.gold, p.outcome) for p in first] == [(a, ErrorClass.WRONG_BOUNDARY), (b, ErrorClass.MISSED)]


def test_nervaluate_issue_84_exact_same_label_match_wins() -> None:
    # MantisAI/nervaluate#84: gold x, predictions y and x on the same span; x must match x.
    gold = [Mention("d", 0, 2, "x")]
    x, y = Mention("d", 0, 3, "x"), Mention("d", 0, 3, "y")
    for pred in ([y, x], [x, y]):
        pairs = align(gold, pred)
        assert [(p.pred.label if p.pred else None, p.outcome) for p in pairs] == [
            ("x", ErrorClass.WRONG_BOUNDARY), ("y", ErrorClass.SPURIOUS)]


def test_exact_boundary_beats_a_larger_earlier_overlap() -> None:
    gold = [Mention("d", 0, 4, "PERS")]
    pred = [Mention("d", 0, 10, "PERS"), Mention("d", 0, 4, "GPE")]
    pairs = align(gold, pred)
    assert _outcomes(pairs) == {ErrorClass.WRONG_LABEL: 1, ErrorClass.SPURIOUS: 1}


def test_outcome_classes() -> None:
    gold = [Mention("d", 0, 5, "PERS"), Mention("d", 10, 15, "GPE"), Mention("d", 20, 25, "ORG"),
            Mention("d", 30, 35, "ORG"), Mention("d", 40, 45, "GPE"), Mention("e", 0, 3, "PERS")]
    pred = [Mention("d", 0, 5, "PERS"), Mention("d", 10, 15, "ORG"), Mention("d", 21, 25, "ORG"),
            Mention("d", 29, 33, "GPE"), Mention("d", 50, 55, "GPE"), Mention("d", 0, 3, "PERS")]
    got = [(p.gold and (p.gold.doc_id, p.gold.start), p.pred and (p.pred.doc_id, p.pred.start), p.outcome.value)
           for p in align(gold, pred)]
    assert got == [
        (("d", 0), ("d", 0), "correct"),
        (None, ("d", 0), "spurious"),  # doc e's mention cannot match in doc d
        (("d", 10), ("d", 10), "wrong_label"),
        (("d", 20), ("d", 21), "wrong_boundary"),
        (("d", 30), ("d", 29), "wrong_label_boundary"),
        (("d", 40), None, "missed"),
        (None, ("d", 50), "spurious"),
        (("e", 0), None, "missed"),
    ]


def test_layers_never_match_each_other() -> None:
    gold = [Mention("d", 0, 5, "DIRECT", layer="quotes")]
    pred = [Mention("d", 0, 5, "DIRECT", layer="entities")]
    assert _outcomes(align(gold, pred)) == {ErrorClass.MISSED: 1, ErrorClass.SPURIOUS: 1}


def test_nested_gold_spans_are_a_set() -> None:
    # Wojood-style nesting: an ORG containing a GPE, and a UNIT/QUANTITY pair on one span.
    gold = [Mention("d", 0, 3, "ORG"), Mention("d", 2, 3, "GPE"), Mention("d", 5, 6, "UNIT"),
            Mention("d", 5, 6, "QUANTITY")]
    pred = [Mention("d", 2, 3, "GPE"), Mention("d", 0, 3, "ORG"), Mention("d", 5, 6, "QUANTITY")]
    pairs = align(gold, pred)
    assert _outcomes(pairs) == {ErrorClass.CORRECT: 3, ErrorClass.MISSED: 1}
    assert next(p.gold for p in pairs if p.outcome is ErrorClass.MISSED).label == "UNIT"


def test_invalid_spans_and_missing_texts_are_reported() -> None:
    with pytest.raises(ValueError, match=r"doc d, offset 4: start=4, end=4"):
        align([Mention("d", 4, 4, "X")], [])
    with pytest.raises(TypeError, match=r"pred\[0\] is a tuple"):
        align([], [("d", 0, 1, "X")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="needs the document texts"):
        align([], [], clitic_tolerance=True)
    with pytest.raises(ValueError, match="doc d: no text"):
        align([Mention("d", 0, 1, "X")], [], clitic_tolerance=True, texts={})
    with pytest.raises(ValueError, match="beyond the text"):
        align([Mention("d", 0, 9, "X")], [], clitic_tolerance=True, texts={"d": "abc"})


# --------------------------------------------------------------------------------------- clitics


def test_proclitic_chains() -> None:
    assert differs_by_proclitics("وبوتين", 0, 1, 6)
    assert differs_by_proclitics("للأمم المتحدة", 0, 2, 13)  # ل + ال written لل
    assert differs_by_proclitics("وبالقاهرة", 0, 4, 9)  # و + ب + ال
    assert differs_by_proclitics("وَبوتين", 0, 2, 7)  # a short vowel on the conjunction
    assert not differs_by_proclitics("و بوتين", 0, 2, 7)  # detached: a separate word
    assert not differs_by_proclitics("مبوتين", 0, 1, 6)  # م is not a proclitic
    assert not differs_by_proclitics("الرئيس وبوتين", 5, 8, 13)  # the longer span starts mid-word
    assert not differs_by_proclitics("ووو", 0, 3, 3)


def test_clitic_tolerance_on_the_seed_article() -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    start = text.index("وبوتين")
    gold = [Mention("sana", start + 1, start + 6, "PERS")]  # بوتين
    pred = [Mention("sana", start, start + 6, "PERS")]  # وبوتين
    assert [p.outcome for p in align(gold, pred)] == [ErrorClass.WRONG_BOUNDARY]
    tolerant = align(gold, pred, clitic_tolerance=True, texts={"sana": text})
    assert [p.outcome for p in tolerant] == [ErrorClass.CLITIC_BOUNDARY]
    other_label = [Mention("sana", start, start + 6, "GPE")]
    assert [p.outcome for p in align(gold, other_label, clitic_tolerance=True, texts={"sana": text})] == [
        ErrorClass.WRONG_LABEL]
    # A clitic-only difference is a boundary match: it outranks a larger same-label overlap.
    decoy = Mention("sana", start + 1, start + 8, "PERS")
    tolerant = align(gold, [decoy, *pred], clitic_tolerance=True, texts={"sana": text})
    assert {(p.pred, p.outcome) for p in tolerant} == {(pred[0], ErrorClass.CLITIC_BOUNDARY),
                                                       (decoy, ErrorClass.SPURIOUS)}


def test_preposition_before_a_fused_article_is_a_proclitic_difference() -> None:
    # ل + ال is written لل, and the SANA gold starts a mention at the article's lam (وللشعب -> لشعب).
    # A model that keeps the preposition but not the conjunction predicts للشعب: the two differ by
    # the preposition ل alone, although neither starts the word.
    doc = json.loads(SEED_GOLD.read_text(encoding="utf-8").splitlines()[0])
    text = doc["text"]
    gold_span = next(s for s in doc["spans"] if text[s["start"]:s["end"]] == "لشعب الروسي")
    start, end = gold_span["start"], gold_span["end"]
    assert text[start - 2:start] == "ول"
    gold = [Mention("sana", start, end, gold_span["label"])]
    for pred_start in (start - 1, start - 2):  # للشعب, وللشعب
        pred = [Mention("sana", pred_start, end, gold_span["label"])]
        assert [p.outcome for p in align(gold, pred)] == [ErrorClass.WRONG_BOUNDARY]
        tolerant = align(gold, pred, clitic_tolerance=True, texts={"sana": text})
        assert [p.outcome for p in tolerant] == [ErrorClass.CLITIC_BOUNDARY]
    assert differs_by_proclitics(text, start - 1, start + 1, end)  # للشعب vs شعب: ل + the fused article
    assert differs_by_proclitics("وبالقاهرة", 1, 2, 9)  # بالقاهرة after و vs القاهرة
    # Inside the stem it is still a wrong boundary, even when the longer span starts after a clitic.
    assert not differs_by_proclitics(text, start + 1, start + 2, end)  # شعب vs عب
    assert not differs_by_proclitics("الروسية", 2, 3, 7)  # روسية vs وسية: ر is not a clitic


# ----------------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.lists(mentions, max_size=12), st.lists(mentions, max_size=12), st.randoms(use_true_random=False))
def test_order_independent_and_one_to_one(gold: list[Mention], pred: list[Mention], rng: random.Random) -> None:
    pairs = align(gold, pred)
    assert Counter(p.gold for p in pairs if p.gold) == Counter(gold)
    assert Counter(p.pred for p in pairs if p.pred) == Counter(pred)
    shuffled_gold, shuffled_pred = gold[:], pred[:]
    rng.shuffle(shuffled_gold)
    rng.shuffle(shuffled_pred)
    assert Counter(map(_key, align(shuffled_gold, shuffled_pred))) == Counter(map(_key, pairs))
    for p in pairs:
        if p.gold and p.pred:
            assert p.gold.doc_id == p.pred.doc_id and p.gold.start < p.pred.end and p.pred.start < p.gold.end


def _brute_force(gold: list[Mention], pred: list[Mention]) -> Counter:
    """The documented ranking, applied to all pairs with a plain sequential greedy."""
    cands = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if g.doc_id == p.doc_id and g.start < p.end and p.start < g.end:
                exact = (g.start, g.end) == (p.start, p.end)
                tier = (0 if g.label == p.label else 1) if exact else (2 if g.label == p.label else 3)
                overlap = min(g.end, p.end) - max(g.start, p.start)
                distance = abs(g.start - p.start) + abs(g.end - p.end)
                cands.append(((tier, -overlap, distance, (g.doc_id, g.start, g.end, g.label),
                               (p.doc_id, p.start, p.end, p.label)), gi, pi))
    used_g, used_p, out = set(), set(), Counter()
    for (tier, *_), gi, pi in sorted(cands):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out[(gold[gi], pred[pi], ("correct", "wrong_label", "wrong_boundary", "wrong_label_boundary")[tier])] += 1
    out.update((g, None, "missed") for i, g in enumerate(gold) if i not in used_g)
    out.update((None, p, "spurious") for i, p in enumerate(pred) if i not in used_p)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(mentions, max_size=15), st.lists(mentions, max_size=15))
def test_vectorized_greedy_equals_the_sequential_definition(gold: list[Mention], pred: list[Mention]) -> None:
    got = Counter((p.gold, p.pred, p.outcome.value) for p in align(gold, pred))
    assert got == _brute_force(gold, pred)


def test_long_overlap_chains_use_the_sequential_finish() -> None:
    # A staircase: every prediction overlaps two gold spans, each gold's best partner is its right
    # neighbour, so each vectorized round settles only one pair and the loop takes over.
    n = 400
    gold = [Mention("d", 10 * i, 10 * i + 10, "X") for i in range(n)]
    pred = [Mention("d", 10 * i + 9 - (i % 7), 10 * i + 19, "X") for i in range(n)]
    assert Counter((p.gold, p.pred, p.outcome.value) for p in align(gold, pred)) == _brute_force(gold, pred)


def test_match_spans_on_arrays() -> None:
    gold = SpanArrays(np.array([0, 0]), np.array([0, 5]), np.array([3, 8]), np.array([0, 1]))
    pred = SpanArrays(np.array([0, 1]), np.array([0, 5]), np.array([3, 8]), np.array([0, 1]))
    m = match_spans(gold, pred)
    assert [OUTCOMES[c].value for c in m.outcome.tolist()] == ["correct", "missed", "spurious"]
    assert m.gold.tolist() == [0, 1, -1] and m.pred.tolist() == [0, -1, 1]
