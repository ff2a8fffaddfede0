"""Scores broken down by nesting: flat, inner and outer mentions, nesting pairs, tag levels.

Nested-NER papers report how a system does on the mentions that take part in nesting apart from
the others (docs/evaluation.md, "Nested breakdowns", gives the definitions and their sources).
Each side is classified on its own, within one document and layer:

- **inner**: the span lies inside another, different span of the same side;
- **outer**: the span contains another, different span of the same side;
- **flat**: neither. A middle mention of a three-level nest is both inner and outer.

Recall of a subset is the credit its gold mentions earn in a mode's best matching divided by their
number, precision the credit its predicted mentions earn divided by theirs, so a flat prediction
that finds a nested gold mention counts for the gold's recall and the prediction's precision, as
in the papers. A prediction that could not be placed on the text is flat: it contains nothing.

A **nesting pair** is an outer mention with a mention inside it (every containing pair, not only
the direct parent). A gold pair is found with the smaller credit of its two members, so in
``strict`` both must be found; predicted pairs are scored the same way for precision.

:func:`score_tag_levels` scores the token tag columns of a nested tokens config (``ner_tags``,
``ner_tags_2``, ...) one level at a time with :func:`eval.score.score_tags`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eval.align import OUTCOMES, SpanArrays, _candidates
from eval.types import AlignedPair, MatchMode, Mention, ScoreReport

__all__ = ["NESTING_SUBSETS", "NestedScore", "has_nesting", "nested_scores", "nesting_roles", "score_tag_levels"]

#: The subsets scored by :func:`nested_scores`, in report order.
NESTING_SUBSETS: tuple[str, ...] = ("flat", "inner", "outer", "pairs")


@dataclass(frozen=True)
class NestedScore:
    """Micro P/R/F1 of one nesting subset in one mode.

    ``gold``/``pred`` count the subset's gold and predicted mentions (or pairs); ``found_gold`` and
    ``found_pred`` the credit they earned.
    """

    subset: str
    gold: int
    pred: int
    found_gold: float
    found_pred: float
    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, Any]:
        return {"subset": self.subset, "gold": self.gold, "pred": self.pred, "found_gold": self.found_gold,
                "found_pred": self.found_pred, "precision": self.precision, "recall": self.recall, "f1": self.f1}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NestedScore:
        return cls(**{k: (float("nan") if v is None else v) for k, v in data.items()})


def _arrays(mentions: Sequence[Mention]) -> SpanArrays:
    groups: dict[tuple[str, str], int] = {}
    n = len(mentions)
    return SpanArrays(
        group=np.fromiter((groups.setdefault((m.doc_id, m.layer), len(groups)) for m in mentions), np.int64, n),
        start=np.fromiter((m.start for m in mentions), np.int64, n),
        end=np.fromiter((m.end for m in mentions), np.int64, n),
        label=np.zeros(n, dtype=np.int64),
    )


def _containing_pairs(spans: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
    """(outer, inner) index pairs: the outer span contains the inner one and the spans differ."""
    first, second = _candidates(spans, spans)  # every overlapping pair of the side with itself
    contains = ((spans.start[first] <= spans.start[second]) & (spans.end[second] <= spans.end[first])
                & ((spans.start[first] != spans.start[second]) | (spans.end[first] != spans.end[second])))
    return first[contains], second[contains]


def nesting_roles(mentions: Sequence[Mention]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean arrays ``(inner, outer)`` over ``mentions`` (module notes; same document and layer only).

    Examples
    --------
    >>> from eval.types import Mention
    >>> inner, outer = nesting_roles([Mention("d", 0, 9, "ORG"), Mention("d", 4, 9, "GPE"),
    ...                               Mention("d", 12, 15, "PERS")])
    >>> inner.tolist(), outer.tolist()
    ([False, True, False], [True, False, False])
    """
    spans = _arrays(mentions)
    outer_index, inner_index = _containing_pairs(spans)
    inner = np.zeros(len(spans), dtype=bool)
    outer = np.zeros(len(spans), dtype=bool)
    inner[inner_index] = True
    outer[outer_index] = True
    return inner, outer


def _prf(found_pred: float, n_pred: int, found_gold: float, n_gold: int, zero_division: float) -> tuple[float, ...]:
    precision = found_pred / n_pred if n_pred else zero_division
    recall = found_gold / n_gold if n_gold else zero_division
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if not n_pred and not n_gold:
        f1 = zero_division
    return precision, recall, f1


def nested_scores(pairs: Sequence[AlignedPair], mode: MatchMode, *,
                  zero_division: float = 0.0) -> dict[str, NestedScore]:
    """Scores of the flat, inner and outer mentions and of nesting pairs under ``mode``.

    Parameters
    ----------
    pairs : sequence of AlignedPair
        One layer's best matching for ``mode`` (:func:`eval.align.align` with ``mode``).
    mode : {"strict", "exact", "partial", "type"}
        Whose credit counts (:data:`eval.matching.MODE_CREDIT`).
    zero_division : float, default=0.0
        The value of a ratio with nothing to divide by (a subset with no mentions).

    Returns
    -------
    dict of subset ("flat", "inner", "outer", "pairs") to NestedScore

    Examples
    --------
    >>> from eval.align import align
    >>> from eval.types import Mention
    >>> gold = [Mention("d", 0, 9, "ORG"), Mention("d", 4, 9, "GPE")]
    >>> pred = [Mention("d", 4, 9, "GPE")]  # the inner mention alone, as a flat system predicts it
    >>> scores = nested_scores(align(gold, pred), "strict")
    >>> scores["inner"].recall, scores["outer"].recall, scores["pairs"].recall, scores["flat"].precision
    (1.0, 0.0, 0.0, 1.0)
    """
    from eval.matching import MODE_CREDIT

    credit_of = dict(zip(OUTCOMES, MODE_CREDIT[mode].tolist(), strict=True))
    gold = [pair.gold for pair in pairs if pair.gold is not None]
    gold_credit = np.array([credit_of[pair.outcome] for pair in pairs if pair.gold is not None], dtype=np.float64)
    placed = [pair.pred for pair in pairs if isinstance(pair.pred, Mention)]
    pred_credit = np.array([credit_of[pair.outcome] for pair in pairs if isinstance(pair.pred, Mention)],
                           dtype=np.float64)
    n_unplaced = sum(1 for pair in pairs if pair.pred is not None and not isinstance(pair.pred, Mention))
    out: dict[str, NestedScore] = {}
    gold_inner, gold_outer = nesting_roles(gold)
    pred_inner, pred_outer = nesting_roles(placed)
    subsets = {"flat": (~gold_inner & ~gold_outer, ~pred_inner & ~pred_outer),
               "inner": (gold_inner, pred_inner), "outer": (gold_outer, pred_outer)}
    for subset, (in_gold, in_pred) in subsets.items():
        n_gold, n_pred = int(in_gold.sum()), int(in_pred.sum()) + (n_unplaced if subset == "flat" else 0)
        found_gold, found_pred = float(gold_credit[in_gold].sum()), float(pred_credit[in_pred].sum())
        out[subset] = NestedScore(subset, n_gold, n_pred, found_gold, found_pred,
                                  *_prf(found_pred, n_pred, found_gold, n_gold, zero_division))
    gold_pairs = _containing_pairs(_arrays(gold))
    pred_pairs = _containing_pairs(_arrays(placed))
    found_gold = float(np.minimum(gold_credit[gold_pairs[0]], gold_credit[gold_pairs[1]]).sum())
    found_pred = float(np.minimum(pred_credit[pred_pairs[0]], pred_credit[pred_pairs[1]]).sum())
    n_gold, n_pred = len(gold_pairs[0]), len(pred_pairs[0])
    out["pairs"] = NestedScore("pairs", n_gold, n_pred, found_gold, found_pred,
                               *_prf(found_pred, n_pred, found_gold, n_gold, zero_division))
    return out


def has_nesting(pairs: Sequence[AlignedPair]) -> bool:
    """Whether either side of a layer's pairs has a mention inside another (a nested breakdown says more)."""
    for side in ([p.gold for p in pairs if p.gold is not None], [p.pred for p in pairs if isinstance(p.pred, Mention)]):
        if len(_containing_pairs(_arrays(side))[0]):
            return True
    return False


def score_tag_levels(y_true: Mapping[str, Sequence[Sequence[str]]], y_pred: Mapping[str, Sequence[Sequence[str]]],
                     **options: Any) -> dict[str, ScoreReport]:
    """Score each nesting level's tag column on its own (``ner_tags``, ``ner_tags_2``, ...).

    Parameters
    ----------
    y_true, y_pred : mapping of column name to tag sequences
        The gold and predicted tag columns of a tokens config, one list of tags per sentence; every
        gold column needs its predicted column.
    **options
        Passed to :func:`eval.score.score_tags` (``scheme``, ``decoder``, ``mode``, ...).

    Returns
    -------
    dict of column name to ScoreReport, in the gold's column order

    Examples
    --------
    >>> levels = score_tag_levels({"ner_tags": [["B-ORG", "I-ORG"]], "ner_tags_2": [["O", "B-GPE"]]},
    ...                           {"ner_tags": [["B-ORG", "I-ORG"]], "ner_tags_2": [["O", "O"]]})
    >>> {column: report.micro.recall for column, report in levels.items()}
    {'ner_tags': 1.0, 'ner_tags_2': 0.0}
    """
    from eval.score import score_tags

    missing = [column for column in y_true if column not in y_pred]
    if missing:
        raise ValueError(f"the predictions have no tag column(s) {missing}; predict every nesting level of the "
                         f"gold ({list(y_true)}) or score only the levels you have.")
    return {column: score_tags(tags, y_pred[column], layer=column, **options) for column, tags in y_true.items()}
