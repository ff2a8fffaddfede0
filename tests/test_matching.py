"""The best one-to-one matching per mode (eval/matching.py), checked against brute force.

Random small span sets, flat and nested, are scored in every mode; a brute force enumerates every
one-to-one matching of overlapping pairs and takes the most credit. Our credit must equal it (it
cannot exceed it: ours is one of those matchings), whatever the input order, and the error classes
must follow docs/evaluation.md: no prediction is left spurious while an overlapping gold is missed.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.align import align
from eval.matching import MODE_CREDIT
from eval.score import score_modes, score_tags_modes
from eval.types import MATCH_MODES, ErrorClass, Mention

CREDIT = {mode: {cls: float(MODE_CREDIT[mode][code]) for code, cls in enumerate(
    (ErrorClass.CORRECT, ErrorClass.WRONG_LABEL, ErrorClass.WRONG_BOUNDARY, ErrorClass.WRONG_LABEL_BOUNDARY,
     ErrorClass.CLITIC_BOUNDARY, ErrorClass.MISSED, ErrorClass.SPURIOUS))} for mode in MATCH_MODES}


def _pair_credit(mode: str, g: Mention, p: Mention) -> float | None:
    """Credit of matching g with p in mode; None when they do not overlap (no pair)."""
    if not (g.start < p.end and p.start < g.end):
        return None
    same_span, same_label = (g.start, g.end) == (p.start, p.end), g.label == p.label
    table = {(True, True): 1.0, (True, False): {"exact": 1.0, "partial": 1.0}.get(mode, 0.0),
             (False, True): {"partial": 0.5, "type": 1.0}.get(mode, 0.0),
             (False, False): 0.5 if mode == "partial" else 0.0}
    return table[(same_span, same_label)]


def _brute_force(mode: str, gold: list[Mention], pred: list[Mention]) -> float:
    best = 0.0

    def walk(i: int, used: frozenset[int], total: float) -> None:
        nonlocal best
        if i == len(gold):
            best = max(best, total)
            return
        walk(i + 1, used, total)
        for j, p in enumerate(pred):
            credit = _pair_credit(mode, gold[i], p)
            if j not in used and credit is not None:
                walk(i + 1, used | {j}, total + credit)

    walk(0, frozenset(), 0.0)
    return best


@st.composite
def _spans(draw: st.DrawFn, nested: bool) -> list[Mention]:
    n = draw(st.integers(0, 5))
    out: set[Mention] = set()
    for _ in range(n):
        start = draw(st.integers(0, 9))
        end = draw(st.integers(start + 1, min(start + 5, 10)))
        out.add(Mention("d", start, end, draw(st.sampled_from("AB"))))
    spans = sorted(out, key=lambda m: (m.start, m.end, m.label))
    if nested:
        return spans
    flat: list[Mention] = []  # greedily drop spans overlapping a kept one
    for m in spans:
        if not flat or flat[-1].end <= m.start:
            flat.append(m)
    return flat


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans().flatmap(lambda nested: st.tuples(_spans(nested), _spans(nested))), st.randoms())
def test_credit_equals_brute_force_best_and_ignores_order(spans: tuple[list[Mention], list[Mention]],
                                                          rng) -> None:
    gold, pred = spans
    reports = score_modes(gold, pred)
    shuffled_gold, shuffled_pred = list(gold), list(pred)
    rng.shuffle(shuffled_gold)
    rng.shuffle(shuffled_pred)
    again = score_modes(shuffled_gold, shuffled_pred)
    for mode in MATCH_MODES:
        assert reports[mode].micro.tp == pytest.approx(_brute_force(mode, gold, pred)), mode
        assert again[mode] == reports[mode], mode
        pairs = align(gold, pred, mode=mode)
        assert pairs == align(shuffled_gold, shuffled_pred, mode=mode), mode
        assert sum(CREDIT[mode][p.outcome] for p in pairs) == pytest.approx(reports[mode].micro.tp)
        missed = [p.gold for p in pairs if p.outcome is ErrorClass.MISSED]
        spurious = [p.pred for p in pairs if p.outcome is ErrorClass.SPURIOUS]
        assert not any(g.start < p.end and p.start < g.end for g in missed for p in spurious), mode


def test_issue_example_flat_tags() -> None:
    """Gold B-A I-A B-B, predicted B-B B-A I-A: greedy gave partial 0.25; the best matching two half pairs."""
    reports = score_tags_modes([["B-A", "I-A", "B-B"]], [["B-B", "B-A", "I-A"]])
    assert (reports["partial"].micro.precision, reports["partial"].micro.recall) == (0.5, 0.5)
    assert reports["type"].micro.tp == 1.0
    assert reports["strict"].micro.tp == reports["exact"].micro.tp == 0.0
    gold = [Mention("d", 0, 2, "A"), Mention("d", 2, 3, "B")]
    pred = [Mention("d", 0, 1, "B"), Mention("d", 1, 3, "A")]
    assert [p.outcome for p in align(gold, pred, mode="partial")] == [ErrorClass.WRONG_LABEL_BOUNDARY] * 2
    # greedy (strict/exact) leaves B-B spurious although it overlaps gold A; partial matching does not
    assert {p.outcome for p in align(gold, pred)} >= {ErrorClass.SPURIOUS}


def test_tags_fast_path_equals_mentions_path_on_conflicts() -> None:
    from eval.bio import mentions_from_tags

    rng = np.random.default_rng(7)
    tags = ["O", "B-A", "I-A", "B-B", "I-B"]
    y_true = [[tags[i] for i in rng.integers(0, 5, 12)] for _ in range(300)]
    y_pred = [[tags[i] for i in rng.integers(0, 5, 12)] for _ in range(300)]
    fast = score_tags_modes(y_true, y_pred)
    slow = score_modes(mentions_from_tags(y_true), mentions_from_tags(y_pred))
    for mode in MATCH_MODES:
        assert fast[mode].micro.tp == slow[mode].micro.tp, mode
        assert {k: v.tp for k, v in fast[mode].per_label.items()} == {k: v.tp for k, v in slow[mode].per_label.items()}


def test_permutations_of_a_nested_component_agree() -> None:
    gold = [Mention("d", 0, 6, "A"), Mention("d", 0, 3, "B"), Mention("d", 3, 6, "A")]
    pred = [Mention("d", 0, 4, "A"), Mention("d", 2, 6, "B"), Mention("d", 4, 6, "A")]
    seen = {tuple(align(list(g), list(p), mode="type")) for g in permutations(gold) for p in permutations(pred)}
    assert len(seen) == 1
