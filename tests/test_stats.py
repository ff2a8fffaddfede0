"""Bootstrap intervals and paired significance tests (eval/stats.py).

Every vectorized procedure is checked against a slow, loop-by-loop reference that draws from the same
seeded generator, so agreement is exact, not approximate.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from eval.stats import (
    ConfidenceInterval,
    UnitCounts,
    approximate_randomization,
    bootstrap_ci,
    bootstrap_intervals,
    paired_bootstrap,
    unit_counts,
)
from eval.types import AlignedPair, ErrorClass, Mention

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ANERCORP = SHARED / "corpora" / "anercorp-camel" / "ANERCorp_CamelLab_test.txt"


# ---------------------------------------------------------------- slow references (plain Python loops)

def _ratio(numerator: float, denominator: float, zero_division: float = 0.0) -> float:
    return numerator / denominator if denominator > 0 else zero_division


def _reference_metric(tp: list[float], fp: list[float], fn: list[float], metric: str, average: str) -> float:
    def one(t: float, p: float, n: float) -> float:
        if metric == "precision":
            return _ratio(t, t + p)
        if metric == "recall":
            return _ratio(t, t + n)
        precision, recall = _ratio(t, t + p), _ratio(t, t + n)
        return _ratio(2 * precision * recall, precision + recall)

    if average == "micro":
        return one(sum(tp), sum(fp), sum(fn))
    scores = [one(t, p, n) for t, p, n in zip(tp, fp, fn, strict=True)]
    if average == "macro":
        present = [s for s, t, p, n in zip(scores, tp, fp, fn, strict=True) if t + p + n > 0]
        return _ratio(sum(present), len(present))
    support = [t + n for t, n in zip(tp, fn, strict=True)]
    return _ratio(sum(s * w for s, w in zip(scores, support, strict=True)), sum(support))


def _sums(counts: UnitCounts, rows: list[int]) -> tuple[list[float], list[float], list[float]]:
    labels = range(len(counts.labels))
    return tuple(  # type: ignore[return-value]
        [float(sum(array[r, c] for r in rows)) for c in labels] for array in (counts.tp, counts.fp, counts.fn)
    )


def _reference_bootstrap_values(counts: UnitCounts, n: int, seed: int, metric: str, average: str) -> list[float]:
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        rows = [int(i) for i in rng.integers(0, counts.n_units, size=counts.n_units)]
        values.append(_reference_metric(*_sums(counts, rows), metric, average))
    return values


def _random_counts(seed: int, n_units: int = 40, labels: tuple[str, ...] = ("LOC", "ORG", "PERS")) -> UnitCounts:
    rng = np.random.default_rng(seed)
    shape = (n_units, len(labels))
    return UnitCounts(
        tuple(f"doc{i}" for i in range(n_units)), labels,
        tp=rng.integers(0, 6, size=shape), fp=rng.integers(0, 3, size=shape), fn=rng.integers(0, 3, size=shape),
    )


# ---------------------------------------------------------------- UnitCounts

def test_point_estimates_match_the_reference_formulas() -> None:
    counts = _random_counts(1)
    tp, fp, fn = (list(map(float, a)) for a in counts.totals())
    for metric in ("precision", "recall", "f1"):
        for average in ("micro", "macro", "weighted"):
            assert counts.score(metric, average) == pytest.approx(_reference_metric(tp, fp, fn, metric, average))
        assert counts.score(metric, "PERS") == pytest.approx(_reference_metric(tp[2:], fp[2:], fn[2:], metric, "micro"))


def test_unit_counts_validate_their_shape_and_values() -> None:
    with pytest.raises(ValueError, match="shape"):
        UnitCounts(("a", "b"), ("X",), tp=[[1]], fp=[[0], [0]], fn=[[0], [0]])
    with pytest.raises(ValueError, match="negative"):
        UnitCounts(("a",), ("X",), tp=[[-1]], fp=[[0]], fn=[[0]])
    with pytest.raises(ValueError, match="duplicate"):
        UnitCounts(("a", "a"), ("X",), tp=[[1], [1]], fp=[[0], [0]], fn=[[0], [0]])
    with pytest.raises(ValueError, match="neither"):
        _random_counts(0).score("f1", "MISC")


def test_unit_counts_round_trip_through_their_sparse_dict() -> None:
    counts = UnitCounts(("d1", "d2", "d3"), ("A", "B"), tp=[[1, 0.5], [0, 0], [2, 0]], fp=[[0, 0], [0, 0], [1, 0]],
                        fn=[[0, 0.5], [0, 0], [0, 3]], mode="partial", layer="quotes")
    again = UnitCounts.from_dict(counts.to_dict())
    assert again.units == counts.units and again.labels == counts.labels
    assert (again.mode, again.layer) == ("partial", "quotes")
    for name in ("tp", "fp", "fn"):
        np.testing.assert_array_equal(getattr(again, name), getattr(counts, name))
    cells = counts.to_dict()["cells"]
    assert len(cells) == 4 and all(row != 1 for row, *_ in cells)  # only non-zero cells; d2 costs nothing
    np.testing.assert_array_equal(again.micro, counts.micro)


def test_a_separate_micro_column_drives_the_micro_average() -> None:
    # exact mode: one pair with two labels at the same span is one micro TP but a miss and a false alarm
    # for the labels; the labels then sum to (0, 1, 1) while micro is (1, 0, 0).
    counts = UnitCounts(("d1", "d2"), ("GPE", "ORG"), tp=[[0, 0], [1, 0]], fp=[[0, 1], [0, 0]],
                        fn=[[1, 0], [0, 0]], mode="exact", micro=[[1, 0, 0], [1, 0, 0]])
    assert counts.score("f1", "micro") == 1.0
    assert counts.score("f1", "macro") == pytest.approx((2 / 3 + 0) / 2)
    assert counts.per_unit("f1") == {"d1": 1.0, "d2": 1.0}
    assert bootstrap_ci(counts, n_resamples=50).low == 1.0
    again = UnitCounts.from_dict(counts.to_dict()).reordered(("d2", "d1")).with_labels(("GPE", "LOC", "ORG"))
    assert again.micro_totals() == (2.0, 0.0, 0.0) and again.score("f1", "micro") == 1.0
    with pytest.raises(ValueError, match="micro"):
        UnitCounts(("d1",), ("X",), tp=[[1]], fp=[[0]], fn=[[0]], micro=[[1, 0]])


def test_per_unit_scores_are_each_units_own_metric() -> None:
    counts = UnitCounts(("d1", "d2"), ("X",), tp=[[3], [0]], fp=[[1], [2]], fn=[[0], [1]])
    assert counts.per_unit("f1") == {"d1": pytest.approx(6 / 7), "d2": 0.0}
    assert counts.per_unit("precision") == {"d1": 0.75, "d2": 0.0}


# ---------------------------------------------------------------- bootstrap intervals

@pytest.mark.parametrize("average", ["micro", "macro", "weighted", "ORG"])
@pytest.mark.parametrize("metric", ["precision", "recall", "f1"])
def test_bootstrap_ci_agrees_exactly_with_a_slow_reference(metric: str, average: str) -> None:
    counts = _random_counts(7, n_units=15)
    ci = bootstrap_ci(counts, n_resamples=200, seed=3, metric=metric, average=average)  # type: ignore[arg-type]
    if average in counts.labels:  # one label: the micro metric of that column alone
        column = [counts.labels.index(average)]
        counts = UnitCounts(counts.units, (average,), counts.tp[:, column], counts.fp[:, column],
                            counts.fn[:, column])
        average = "micro"
    values = _reference_bootstrap_values(counts, 200, 3, metric, average)
    low, high = np.quantile(values, [0.025, 0.975])
    assert ci.low == pytest.approx(low, abs=1e-12)
    assert ci.high == pytest.approx(high, abs=1e-12)
    assert ci.low <= ci.point <= ci.high


def test_bootstrap_is_reproducible_and_depends_on_the_seed() -> None:
    counts = _random_counts(2)
    first = bootstrap_ci(counts, n_resamples=300, seed=11)
    assert first == bootstrap_ci(counts, n_resamples=300, seed=11)
    assert (first.low, first.high) != (bootstrap_ci(counts, n_resamples=300, seed=12).low,
                                       bootstrap_ci(counts, n_resamples=300, seed=12).high)
    assert (first.n_resamples, first.seed, first.method) == (300, 11, "percentile")


def test_all_intervals_share_one_set_of_resamples() -> None:
    counts = _random_counts(5)
    intervals = bootstrap_intervals(counts, n_resamples=250, seed=4)
    assert set(intervals) == {"micro", "macro", "weighted", "LOC", "ORG", "PERS"}
    for average, by_metric in intervals.items():
        for metric, interval in by_metric.items():
            assert interval == bootstrap_ci(counts, n_resamples=250, seed=4, metric=metric, average=average)
            assert interval.low <= interval.point <= interval.high


def test_wider_confidence_gives_a_wider_interval_and_a_larger_sample_a_narrower_one() -> None:
    counts = _random_counts(9, n_units=60)
    ninety, ninety_nine = (bootstrap_ci(counts, n_resamples=500, confidence=c) for c in (0.90, 0.99))
    assert ninety_nine.low <= ninety.low and ninety.high <= ninety_nine.high
    bigger = UnitCounts(tuple(f"u{i}" for i in range(240)), counts.labels,
                        np.tile(counts.tp, (4, 1)), np.tile(counts.fp, (4, 1)), np.tile(counts.fn, (4, 1)))
    small, large = bootstrap_ci(counts, n_resamples=500), bootstrap_ci(bigger, n_resamples=500)
    assert large.point == pytest.approx(small.point)
    assert large.high - large.low < small.high - small.low


def test_a_label_absent_from_a_resample_is_left_out_of_the_macro_mean() -> None:
    # RARE occurs in one unit of 30: most resamples do not draw it. Scoring it zero there would
    # drag the macro F1 of a perfect system below 1.
    n = 30
    tp = np.zeros((n, 2))
    tp[:, 0] = 2
    tp[0, 1] = 1
    perfect = UnitCounts(tuple(map(str, range(n))), ("COMMON", "RARE"), tp, np.zeros((n, 2)), np.zeros((n, 2)))
    ci = bootstrap_ci(perfect, n_resamples=200, average="macro")
    assert (ci.low, ci.point, ci.high) == (1.0, 1.0, 1.0)


def test_bad_arguments_are_refused() -> None:
    counts = _random_counts(0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(counts, confidence=95)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci(counts, n_resamples=0)
    with pytest.raises(ValueError, match="metric"):
        bootstrap_ci(counts, metric="accuracy")  # type: ignore[arg-type]
    empty = UnitCounts((), ("X",), np.zeros((0, 1)), np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match="empty"):
        bootstrap_ci(empty)


def test_interval_round_trips_through_a_dict() -> None:
    ci = bootstrap_ci(_random_counts(3), n_resamples=50, seed=1)
    assert ConfidenceInterval.from_dict(ci.to_dict()) == ci


# ---------------------------------------------------------------- paired tests

def test_identical_systems_have_zero_delta_and_p_one() -> None:
    counts = _random_counts(4)
    for result in (paired_bootstrap(counts, counts, n_resamples=300),
                   approximate_randomization(counts, counts, n_trials=300)):
        assert result.delta == 0.0
        assert result.p_value == 1.0


def test_paired_bootstrap_refuses_a_single_unit_rather_than_call_any_difference_significant() -> None:
    # One document: every resample is the document itself, so without the refusal the centred
    # differences are all 0 and any delta, however small, gets p = 1 / (n + 1).
    one = UnitCounts(("doc",), ("PERS",), tp=[[1]], fp=[[0]], fn=[[1]])
    better = UnitCounts(("doc",), ("PERS",), tp=[[2]], fp=[[0]], fn=[[0]])
    with pytest.raises(ValueError, match="at least 2 units"):
        paired_bootstrap(one, better, n_resamples=100)
    # Approximate randomization stays available and, honestly, finds nothing significant.
    assert approximate_randomization(one, better, n_trials=100).p_value == 1.0
    two = UnitCounts(("d1", "d2"), ("PERS",), tp=[[1], [1]], fp=[[0], [0]], fn=[[1], [1]])
    two_better = UnitCounts(("d1", "d2"), ("PERS",), tp=[[2], [1]], fp=[[0], [0]], fn=[[0], [1]])
    assert 0 < paired_bootstrap(two, two_better, n_resamples=100).p_value <= 1


def _system(n_units: int, recall: float, seed: int) -> UnitCounts:
    """A system that finds each of 5 gold mentions per unit with probability ``recall``."""
    rng = np.random.default_rng(seed)
    found = (rng.random((n_units, 5)) < recall).sum(axis=1, keepdims=True).astype(float)
    return UnitCounts(tuple(f"s{i}" for i in range(n_units)), ("PERS",), found, np.zeros_like(found), 5 - found)


def test_a_clearly_better_system_gets_a_small_p_value() -> None:
    weak, strong = _system(80, 0.5, seed=1), _system(80, 0.9, seed=2)
    boot = paired_bootstrap(weak, strong, n_resamples=1000, seed=0)
    ar = approximate_randomization(weak, strong, n_trials=2000, seed=0)
    for result in (boot, ar):
        assert result.delta == pytest.approx(strong.score() - weak.score())
        assert result.delta > 0.2
        assert result.p_value < 0.01
    assert ar.p_value == pytest.approx(1 / 2001)  # no shuffle comes close: (0 + 1) / (n + 1)
    reversed_ = approximate_randomization(strong, weak, n_trials=2000, seed=0)
    assert reversed_.delta == pytest.approx(-ar.delta) and reversed_.p_value == ar.p_value


def test_two_draws_of_the_same_system_are_not_significantly_different() -> None:
    first, second = _system(60, 0.7, seed=5), _system(60, 0.7, seed=6)
    assert paired_bootstrap(first, second, n_resamples=1000).p_value > 0.05
    assert approximate_randomization(first, second, n_trials=2000).p_value > 0.05


def test_paired_bootstrap_agrees_exactly_with_a_slow_reference() -> None:
    a, b = _random_counts(20, n_units=12), _random_counts(21, n_units=12)
    result = paired_bootstrap(a, b, n_resamples=300, seed=8, average="macro")
    delta = b.score("f1", "macro") - a.score("f1", "macro")
    rng = np.random.default_rng(8)
    extreme = 0
    for _ in range(300):
        rows = [int(i) for i in rng.integers(0, 12, size=12)]
        d = _reference_metric(*_sums(b, rows), "f1", "macro") - _reference_metric(*_sums(a, rows), "f1", "macro")
        extreme += abs(d - delta) >= abs(delta) - 1e-12
    assert result.p_value == (extreme + 1) / 301
    assert result.delta == pytest.approx(delta)


def test_approximate_randomization_agrees_exactly_with_a_slow_reference() -> None:
    a, b = _random_counts(30, n_units=10), _random_counts(31, n_units=10)
    result = approximate_randomization(a, b, n_trials=400, seed=2)
    delta = b.score() - a.score()
    rng = np.random.default_rng(2)
    extreme = 0
    for _ in range(400):
        swap = rng.random(10) < 0.5
        rows_a = [i for i in range(10) if not swap[i]]
        rows_b = [i for i in range(10) if swap[i]]

        def mixed(first: UnitCounts, second: UnitCounts, mine: list[int], theirs: list[int]) -> float:
            own, other = _sums(first, mine), _sums(second, theirs)
            return _reference_metric(*([x + y for x, y in zip(o, t, strict=True)] for o, t in zip(own, other,
                                                                                                  strict=True)),
                                     "f1", "micro")

        shuffled_a = mixed(a, b, rows_a, rows_b)
        shuffled_b = mixed(b, a, rows_a, rows_b)
        extreme += abs(shuffled_b - shuffled_a) >= abs(delta) - 1e-12
    assert result.p_value == (extreme + 1) / 401
    assert result.n_resamples == 400 and result.method == "approximate-randomization"


def test_paired_tests_align_units_and_labels_and_refuse_different_test_sets() -> None:
    a = UnitCounts(("d1", "d2"), ("PERS",), tp=[[1], [2]], fp=[[0], [1]], fn=[[1], [0]])
    b_shuffled = UnitCounts(("d2", "d1"), ("LOC", "PERS"), tp=[[0, 2], [0, 1]], fp=[[1, 1], [0, 0]],
                            fn=[[0, 0], [0, 1]])
    result = approximate_randomization(a, b_shuffled, n_trials=100)
    assert result.score_a == pytest.approx(a.score())
    assert result.score_b == pytest.approx(b_shuffled.score())
    other_docs = UnitCounts(("d1", "d3"), ("PERS",), tp=[[1], [2]], fp=[[0], [1]], fn=[[1], [0]])
    with pytest.raises(ValueError, match="different units"):
        paired_bootstrap(a, other_docs)
    other_mode = UnitCounts(("d1", "d2"), ("PERS",), tp=[[1], [2]], fp=[[0], [1]], fn=[[1], [0]], mode="partial")
    with pytest.raises(ValueError, match="same layer under the same mode"):
        approximate_randomization(a, other_mode)


# ---------------------------------------------------------------- from aligned pairs

def _pair(gold: tuple[str, int, int, str] | None, pred: tuple[str, int, int, str] | None,
          outcome: ErrorClass) -> AlignedPair:
    def mention(spec: tuple[str, int, int, str] | None) -> Mention | None:
        return None if spec is None else Mention(spec[0], spec[1], spec[2], spec[3])
    return AlignedPair(mention(gold), mention(pred), outcome)


PAIRS = [
    _pair(("d1", 0, 5, "PERS"), ("d1", 0, 5, "PERS"), ErrorClass.CORRECT),
    _pair(("d1", 10, 15, "GPE"), ("d1", 10, 15, "ORG"), ErrorClass.WRONG_LABEL),
    _pair(("d1", 20, 30, "PERS"), ("d1", 22, 30, "PERS"), ErrorClass.WRONG_BOUNDARY),
    _pair(("d2", 0, 4, "GPE"), None, ErrorClass.MISSED),
    _pair(None, ("d2", 8, 12, "ORG"), ErrorClass.SPURIOUS),
    _pair(("d2", 20, 25, "GPE"), ("d2", 20, 25, "GPE"), ErrorClass.CORRECT),
]


@pytest.mark.parametrize("mode", ["strict", "exact", "partial", "type"])
def test_unit_counts_from_pairs_sum_to_the_corpus_scores(mode: str) -> None:
    from eval.score import score_pairs
    counts = unit_counts(PAIRS, mode, units=["d1", "d2", "d3"])  # type: ignore[arg-type]
    assert counts.units == ("d1", "d2", "d3") and counts.labels == ("GPE", "ORG", "PERS")
    report = score_pairs(PAIRS, mode, layer="entities")
    assert counts.micro_totals() == pytest.approx((report.micro.tp, report.micro.fp, report.micro.fn))
    tp, fp, fn = counts.totals()
    # a wrong-label pair earns overall credit but no label's credit outside strict mode (eval.score)
    assert tp.sum() + (0 if mode in ("strict", "type") else 1) == pytest.approx(report.micro.tp)
    for column, label in enumerate(counts.labels):
        assert (tp[column], fp[column], fn[column]) == pytest.approx(
            (report.per_label[label].tp, report.per_label[label].fp, report.per_label[label].fn))
    assert counts.score("f1") == pytest.approx(report.micro.f1)
    assert counts.score("f1", "macro") == pytest.approx(report.macro.f1)
    assert counts.score("f1", "weighted") == pytest.approx(report.weighted.f1)
    assert not counts.tp[2].any() and not counts.fp[2].any()  # d3: a document without any mention


def test_unit_counts_refuse_pairs_from_unlisted_documents() -> None:
    with pytest.raises(ValueError, match="not in `units`"):
        unit_counts(PAIRS, "strict", units=["d1"])


# ---------------------------------------------------------------- real data: ANERcorp sentences

def _anercorp_mentions() -> tuple[list[str], list[Mention]]:
    if not ANERCORP.exists():
        pytest.skip(f"real ANERcorp test split not found at {ANERCORP}")
    sentences = ANERCORP.read_text(encoding="utf-8").split("\n\n")
    units, mentions = [], []
    for index, block in enumerate(sentences):
        unit = str(index)
        units.append(unit)
        start, label = None, None
        tags = [line.rsplit(" ", 1)[1] for line in block.splitlines() if line.strip()] + ["O"]
        for position, tag in enumerate(tags):
            inside = tag.startswith("I-") and label == tag[2:]
            if start is not None and not inside:
                mentions.append(Mention(unit, start, position, label))  # type: ignore[arg-type]
                start, label = None, None
            if tag != "O" and not inside:
                start, label = position, tag[2:]
    return units, mentions


def test_on_anercorp_a_system_missing_more_names_is_significantly_worse() -> None:
    from eval.align import align
    units, gold = _anercorp_mentions()
    assert len(units) == 925 and len(gold) == 2285  # counts documented in the corpus SOURCE.md

    def keep_every(k: int) -> list[Mention]:  # a system that misses every k-th gold mention
        return [m for i, m in enumerate(gold) if i % k]

    weak = unit_counts(align(gold, keep_every(3)), "strict", units=units)
    strong = unit_counts(align(gold, keep_every(20)), "strict", units=units)
    assert weak.score("recall") == pytest.approx(1 - len(gold[::3]) / len(gold))
    ci = bootstrap_ci(strong, n_resamples=500)
    assert ci.low <= ci.point <= ci.high < 1.0
    for result in (paired_bootstrap(weak, strong, n_resamples=500),
                   approximate_randomization(weak, strong, n_trials=1000)):
        assert result.delta > 0.1 and result.p_value < 0.01
    tiny_difference = unit_counts(align(gold, keep_every(19)), "strict", units=units)
    assert approximate_randomization(tiny_difference, strong, n_trials=1000).p_value > 0.05
    assert not math.isnan(bootstrap_ci(weak, average="macro").point)
