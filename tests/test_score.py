"""eval.score: the four modes by hand, zero_division as scikit-learn, label maps, and the fast path."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.align import align
from eval.bio import mentions_from_tags
from eval.labels import LabelMap, builtin_label_maps, map_mentions
from eval.score import (
    UndefinedMetricWarning,
    prf,
    score,
    score_layers,
    score_modes,
    score_pairs,
    score_tags,
    score_tags_modes,
)
from eval.types import MATCH_MODES, ErrorClass, Mention, UnplacedPrediction

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "corpora"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

# Gold and predictions with one pair of every kind (SemEval-2013 9.1 table).
GOLD = [Mention("d", 0, 5, "PERS"), Mention("d", 10, 15, "GPE"), Mention("d", 20, 25, "ORG"),
        Mention("d", 30, 35, "ORG"), Mention("d", 40, 45, "GPE")]
PRED = [Mention("d", 0, 5, "PERS"),  # correct
        Mention("d", 10, 15, "ORG"),  # wrong label
        Mention("d", 21, 25, "ORG"),  # wrong boundary
        Mention("d", 29, 33, "GPE"),  # wrong label and boundary
        Mention("d", 50, 55, "GPE")]  # spurious; GPE 40-45 is missed


@pytest.mark.parametrize(("mode", "tp"), [("strict", 1), ("exact", 2), ("partial", 3), ("type", 2)])
def test_micro_credit_per_mode(mode: str, tp: float) -> None:
    report = score(GOLD, PRED, mode)  # type: ignore[arg-type]
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (tp, 5 - tp, 5 - tp)
    assert report.micro.precision == report.micro.recall == tp / 5
    assert (report.n_gold, report.n_pred, report.layer, report.mode) == (5, 5, "entities", mode)


def test_per_label_rows_follow_nervaluate() -> None:
    # A pair with two labels is a miss for the gold label and a false alarm for the predicted one,
    # in every mode; only same-label pairs give a label credit.
    for mode, org_tp in (("strict", 0.0), ("exact", 0.0), ("partial", 0.5), ("type", 1.0)):
        report = score(GOLD, PRED, mode)  # type: ignore[arg-type]
        assert list(report.per_label) == ["GPE", "ORG", "PERS"]
        org, gpe, pers = report.per_label["ORG"], report.per_label["GPE"], report.per_label["PERS"]
        assert (org.tp, org.fp, org.fn, org.support) == (org_tp, 2 - org_tp, 2 - org_tp, 2)
        assert (gpe.tp, gpe.fp, gpe.fn, gpe.support) == (0.0, 2.0, 2.0, 2)
        assert (pers.tp, pers.precision, pers.f1) == (1.0, 1.0, 1.0)
        assert report.macro.f1 == pytest.approx(np.mean([org.f1, gpe.f1, pers.f1]))
        assert report.weighted.f1 == pytest.approx((2 * org.f1 + 2 * gpe.f1 + pers.f1) / 5)


def test_score_pairs_equals_score_and_modes_share_one_alignment() -> None:
    pairs = align(GOLD, PRED)
    reports = score_modes(GOLD, PRED)
    assert list(reports) == list(MATCH_MODES)
    for mode in MATCH_MODES:
        assert score_pairs(pairs, mode).to_dict()["per_label"] == reports[mode].to_dict()["per_label"]
        assert score_pairs(pairs, mode).micro == reports[mode].micro == score(GOLD, PRED, mode).micro


def test_labels_restrict_and_order() -> None:
    report = score(GOLD, PRED, labels=["PERS", "LOC", "ORG"])
    assert list(report.per_label) == ["PERS", "LOC", "ORG"]
    assert report.per_label["LOC"].support == 0 and report.per_label["LOC"].f1 == 0.0
    assert (report.micro.tp, report.n_gold, report.n_pred) == (1, 3, 3)  # PERS and ORG mentions only
    with pytest.raises(ValueError, match="twice"):
        score(GOLD, PRED, labels=["ORG", "ORG"])


def test_zero_division_matches_scikit_learn() -> None:
    from sklearn.metrics import precision_recall_fscore_support

    # labels: 0 = no gold and no prediction of class 1, 1 = predicted never, 2 = never in gold
    y_true, y_pred = [1, 1, 0, 0], [0, 0, 0, 2]
    for zd in (0.0, 1.0, np.nan):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=[1, 2, 3], zero_division=zd)
        for label, (pi, ri, fi) in zip([1, 2, 3], zip(p, r, f, strict=True), strict=True):
            tp = sum(t == q == label for t, q in zip(y_true, y_pred, strict=True))
            fp = sum(q == label != t for t, q in zip(y_true, y_pred, strict=True))
            fn = sum(t == label != q for t, q in zip(y_true, y_pred, strict=True))
            ours = prf(tp, fp, fn, zero_division=zd)
            assert all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(ours, (pi, ri, fi), strict=True))
    with pytest.warns(UndefinedMetricWarning, match="precision"):
        assert prf(0, 0, 3, zero_division="warn") == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="zero_division"):
        prf(1, 1, 1, zero_division=0.5)


def test_zero_division_in_reports_and_averages() -> None:
    gold = [Mention("d", 0, 2, "PERS")]
    pred = [Mention("d", 5, 7, "GPE")]
    report = score(gold, pred, zero_division=np.nan)
    assert math.isnan(report.per_label["GPE"].recall) and math.isnan(report.per_label["PERS"].precision)
    assert report.macro.f1 == 0.0 and report.macro.precision == 0.0  # nan left out of the mean
    assert score(gold, pred, zero_division=1.0).macro.recall == 0.5
    with pytest.warns(UndefinedMetricWarning):
        score(gold, pred, zero_division="warn")
    empty = score([], [])
    assert empty.micro.f1 == 0.0 and math.isnan(empty.macro.f1) and empty.per_label == {}


def test_layers_are_scored_one_at_a_time() -> None:
    quotes = [Mention("d", 0, 40, "DIRECT", layer="quotes")]
    with pytest.raises(ValueError, match="score_layers"):
        score(GOLD + quotes, PRED)
    by_layer = score_layers(GOLD + quotes, PRED, modes=("strict",))
    assert sorted(by_layer) == ["entities", "quotes"]
    assert by_layer["quotes"]["strict"].micro.recall == 0.0 and by_layer["quotes"]["strict"].layer == "quotes"
    with pytest.raises(ValueError, match="one layer"):
        score_pairs(align(GOLD + quotes, PRED), "strict")


def test_label_map_and_ignore() -> None:
    gold = [Mention("d", 0, 3, "Politician"), Mention("d", 5, 9, "Nation"), Mention("d", 12, 14, "Group")]
    pred = [Mention("d", 0, 3, "Athlete"), Mention("d", 5, 9, "Population-Center")]
    report = score(gold, pred, label_map="newsfane-to-anercorp")
    assert report.micro.tp == 2 and set(report.per_label) == {"PERS", "LOC", "MISC"}
    assert report.settings["label_map"] == "newsfane-to-anercorp"
    report = score(gold, pred, label_map="newsfane-to-anercorp", ignore_labels=["MISC"])
    assert report.micro.recall == 1.0 and report.settings["ignore_labels"] == ["MISC"]
    with pytest.raises(ValueError, match=r"doc d, offset 0: label 'Politician' is not in label map 'custom'"):
        map_mentions(gold, {"Nation": "LOC"})
    assert [m.label for m in map_mentions(gold, LabelMap.from_dict({"Nation": "LOC"}, unknown="drop"))] == ["LOC"]


def test_builtin_maps_cover_their_corpora() -> None:
    assert builtin_label_maps() == ["newsfane-to-anercorp", "wojood-to-anercorp"]
    newsfane, wojood = LabelMap.builtin("newsfane-to-anercorp"), LabelMap.builtin("wojood-to-anercorp")
    assert newsfane.targets == wojood.targets == ("LOC", "MISC", "ORG", "PERS")
    wojood_types = {"PERS", "NORP", "OCC", "ORG", "GPE", "LOC", "FAC", "EVENT", "DATE", "TIME", "LANGUAGE", "WEBSITE",
                    "LAW", "PRODUCT", "CARDINAL", "ORDINAL", "PERCENT", "QUANTITY", "UNIT", "MONEY", "CURR"}
    assert set(wojood.mapping) == wojood_types
    # Every fine type that occurs in the NewsFANE slice and in the Wojood slices is mapped.
    for path in [FIXTURES / "newsfane-gold" / "NewsFANE_slice.txt", *(FIXTURES / "wojood-sample").glob("*.txt")]:
        seen = {tag[2:] for line in path.read_text(encoding="utf-8-sig").splitlines() for tag in line.split()[1:]
                if tag[:2] in ("B-", "I-")}
        label_map = newsfane if "NewsFANE" in path.name else wojood
        assert seen and seen <= set(label_map.mapping), path.name


@pytest.mark.slow
def test_newsfane_map_is_total_on_the_full_corpus() -> None:
    path = SHARED / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt"
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    types = {line.rsplit("\t", 1)[1][2:] for line in path.read_text(encoding="utf-8-sig").splitlines()
             if line.strip() and not line.endswith("\tO")}
    assert len(types) == 45 and types == set(LabelMap.builtin("newsfane-to-anercorp").mapping)


# --------------------------------------------------------------------------------- the fast path

_TAGS = st.sampled_from(["O", "O", "B-PERS", "I-PERS", "B-GPE", "I-GPE", "B-ORG", "I-ORG", "E-ORG", "S-GPE"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_TAGS, max_size=12), min_size=1, max_size=5).flatmap(
    lambda gold: st.tuples(st.just(gold), st.tuples(*(st.lists(_TAGS, min_size=len(s), max_size=len(s))
                                                      for s in gold)))),
    st.sampled_from(["lenient", "strict"]), st.sampled_from(MATCH_MODES))
def test_score_tags_equals_scoring_decoded_mentions(case: tuple, decoder: str, mode: str) -> None:
    y_true, y_pred = case[0], [list(s) for s in case[1]]
    fast = score_tags(y_true, y_pred, scheme="IOBES", decoder=decoder, mode=mode)  # type: ignore[arg-type]
    slow = score(mentions_from_tags(y_true, scheme="IOBES", decoder=decoder),  # type: ignore[arg-type]
                 mentions_from_tags(y_pred, scheme="IOBES", decoder=decoder), mode)  # type: ignore[arg-type]
    assert fast.to_dict()["per_label"] == slow.to_dict()["per_label"]
    for a, b in ((fast.micro, slow.micro), (fast.macro, slow.macro), (fast.weighted, slow.weighted)):
        assert a.to_dict() == pytest.approx(b.to_dict(), nan_ok=True)
    together = score_tags_modes(y_true, y_pred, (mode, "strict"), scheme="IOBES", decoder=decoder)  # type: ignore[arg-type]
    assert repr(together[mode]) == repr(fast)  # repr: nan == nan
    restricted = score_tags(y_true, y_pred, scheme="IOBES", decoder=decoder, mode=mode, labels=["ORG"])  # type: ignore[arg-type]
    assert restricted.micro == score(mentions_from_tags(y_true, scheme="IOBES", decoder=decoder),  # type: ignore[arg-type]
                                     mentions_from_tags(y_pred, scheme="IOBES", decoder=decoder),  # type: ignore[arg-type]
                                     mode, labels=["ORG"]).micro  # type: ignore[arg-type]


def test_score_tags_rejects_misaligned_input() -> None:
    with pytest.raises(ValueError, match="sentence 1: 2 gold tags but 1 predicted"):
        score_tags([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="2 sentences but y_pred has 1"):
        score_tags([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="unknown matching mode"):
        score_tags([["O"]], [["O"]], mode="loose")  # type: ignore[arg-type]


def test_anercorp_slice_against_seqeval() -> None:
    from seqeval.metrics import classification_report

    text = (FIXTURES / "anercorp-camel" / "ANERCorp_slice.txt").read_text(encoding="utf-8")
    y_true = [[line.rsplit(" ", 1)[1] for line in block.splitlines()] for block in text.split("\n\n")]
    rng = np.random.default_rng(7)
    y_pred = [[t if rng.random() > 0.15 else str(rng.choice(["O", "B-LOC", "I-PERS"])) for t in s] for s in y_true]
    ours = score_tags(y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    assert ours.micro.tp > 0 and ours.micro.fp > 0 and ours.micro.fn > 0
    for label, row in ours.per_label.items():
        assert (row.precision, row.recall, row.support) == pytest.approx(
            (ref[label]["precision"], ref[label]["recall"], ref[label]["support"]))
    assert ours.micro.f1 == pytest.approx(ref["micro avg"]["f1-score"])
    assert ours.weighted.f1 == pytest.approx(ref["weighted avg"]["f1-score"])


def test_unplaced_predictions_count_as_spurious_in_every_mode() -> None:
    gold = [Mention("d", 0, 5, "PERS"), Mention("d", 10, 15, "GPE")]
    pred = [Mention("d", 0, 5, "PERS")]
    pairs = align(gold, pred)
    unplaced = [UnplacedPrediction("d", "entities", "PERS", "دونالد ترامب"),
                UnplacedPrediction("d", "entities", "ORG", "ناتو")]
    pairs_with_unplaced = align(gold, [*pred, *unplaced])
    # alignment returns each one as a pair with no gold side, after the placed pairs, in the order given
    assert pairs_with_unplaced[:len(pairs)] == pairs
    assert [(p.gold, p.pred, p.outcome) for p in pairs_with_unplaced[len(pairs):]] == [
        (None, u, ErrorClass.SPURIOUS) for u in unplaced]
    assert not any(p.placed for p in pairs_with_unplaced[len(pairs):]) and all(p.placed for p in pairs)
    for mode in ("strict", "exact", "partial", "type"):
        plain = score_pairs(pairs, mode)
        with_unplaced = score_pairs(pairs_with_unplaced, mode)
        assert (with_unplaced.micro.tp, with_unplaced.micro.fp, with_unplaced.micro.fn) == (
            plain.micro.tp, plain.micro.fp + 2, plain.micro.fn)
        assert with_unplaced.n_pred == plain.n_pred + 2 and with_unplaced.n_gold == plain.n_gold
        assert with_unplaced.per_label["PERS"].fp == plain.per_label["PERS"].fp + 1
        assert with_unplaced.per_label["ORG"].fp == 1 and with_unplaced.per_label["ORG"].support == 0
        assert with_unplaced.micro.precision == 1 / 3
