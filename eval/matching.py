"""The best one-to-one matching of gold and predicted spans for each matching mode.

:func:`eval.align.match_spans` ranks candidate pairs (exact boundaries first, then same label,
then overlap) and accepts them greedily. That ranking is what ``strict`` and ``exact`` credit
reward, so for them the greedy matching is already the best one. ``partial`` and ``type`` credit
other pairs (``type`` a boundary error with the right label, not a label error with the right
boundaries), and there greedy can fall short: gold ``B-A I-A B-B`` against predicted
``B-B B-A I-A`` gets partial P = R = 0.25 from greedy, 0.5 from the best matching.

:func:`best_matching` therefore keeps the greedy matching wherever it cannot be improved and
re-solves only the *conflicted* connected components of the overlap graph (a gold and a
prediction are linked when they overlap; a component with a single overlapping pair cannot
conflict). Each conflicted component is an assignment problem solved exactly with
``scipy.optimize.linear_sum_assignment``, maximizing, in this order:

1. the mode's credit (module :mod:`eval.score`, table ``MODE_CREDIT``);
2. the number of matched pairs, so that a prediction overlapping an unmatched gold mention is
   never left ``SPURIOUS`` (nor that gold ``MISSED``), as docs/evaluation.md defines them;
3. agreement with the greedy matching, which breaks the remaining ties deterministically and keeps
   the result identical to greedy (hence to nervaluate) where greedy is already optimal.

Rows and columns are laid out in the canonical (group, start, end, label) order, so the result
does not depend on the order the mentions were given in. The weights are small integers, so the
lexicographic objective is exact in floating point. Components are tiny in real data (a few
nested or overlapping mentions), and the work outside them is vectorized, so matching stays
linear in document length.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from eval.align import (
    CLITIC_BOUNDARY,
    CORRECT,
    MISSED,
    OUTCOMES,
    SPURIOUS,
    WRONG_BOUNDARY,
    WRONG_LABEL,
    WRONG_LABEL_BOUNDARY,
    Matching,
    SpanArrays,
    _candidates,
    _canonical_rank,
    match_spans,
)
from eval.types import MATCH_MODES, MatchMode

__all__ = ["MODE_CREDIT", "best_matching"]

# Credit of each outcome code (eval.align.OUTCOMES order) in each mode.
MODE_CREDIT: dict[str, np.ndarray] = {}
for _mode, _table in {
    "strict": {CORRECT: 1.0, CLITIC_BOUNDARY: 1.0},
    "exact": {CORRECT: 1.0, CLITIC_BOUNDARY: 1.0, WRONG_LABEL: 1.0},
    "partial": {CORRECT: 1.0, CLITIC_BOUNDARY: 1.0, WRONG_LABEL: 1.0, WRONG_BOUNDARY: 0.5,
                WRONG_LABEL_BOUNDARY: 0.5},
    "type": {CORRECT: 1.0, CLITIC_BOUNDARY: 1.0, WRONG_BOUNDARY: 1.0},
}.items():
    _credit = np.zeros(len(OUTCOMES))
    for _code, _value in _table.items():
        _credit[_code] = _value
    MODE_CREDIT[_mode] = _credit

# Modes whose credit follows the greedy ranking exactly, so greedy is already a best matching.
_GREEDY_OPTIMAL = frozenset({"strict", "exact"})


def _candidate_outcomes(gold: SpanArrays, pred: SpanArrays, cand_gold: np.ndarray, cand_pred: np.ndarray,
                        clitic_equal: Callable[[np.ndarray, np.ndarray], np.ndarray] | None) -> np.ndarray:
    """The outcome each candidate pair would have if matched (the classification of match_spans)."""
    gs, ge, ps, pe = gold.start[cand_gold], gold.end[cand_gold], pred.start[cand_pred], pred.end[cand_pred]
    exact = (gs == ps) & (ge == pe)
    boundary = exact.copy()
    if clitic_equal is not None:
        maybe = np.flatnonzero(~exact & (ge == pe))
        if len(maybe):
            boundary[maybe] = clitic_equal(cand_gold[maybe], cand_pred[maybe])
    same_label = gold.label[cand_gold] == pred.label[cand_pred]
    outcome = np.where(boundary, np.where(same_label, CORRECT, WRONG_LABEL),
                       np.where(same_label, WRONG_BOUNDARY, WRONG_LABEL_BOUNDARY)).astype(np.int8)
    outcome[boundary & ~exact & same_label] = CLITIC_BOUNDARY
    return outcome


def best_matching(gold: SpanArrays, pred: SpanArrays, mode: MatchMode, *,
                  clitic_equal: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                  greedy: Matching | None = None, min_overlap: float | None = None) -> Matching:
    """The one-to-one matching with the most credit in ``mode`` (module notes).

    Parameters
    ----------
    gold, pred : SpanArrays
        As in :func:`eval.align.match_spans`.
    mode : {"strict", "exact", "partial", "type"}
        Whose credit to maximize; ``strict`` and ``exact`` return the greedy matching unchanged.
    clitic_equal : callable, optional
        As in :func:`eval.align.match_spans`.
    greedy : Matching, optional
        ``match_spans(gold, pred, clitic_equal=clitic_equal, min_overlap=min_overlap)`` when the caller
        has it already.
    min_overlap : float, optional
        As in :func:`eval.align.match_spans`: pairs sharing less of the gold span are no candidates.

    Returns
    -------
    Matching
        Matched pairs first, then missed gold, then spurious predictions.
    """
    if mode not in MATCH_MODES:
        raise ValueError(f"unknown matching mode {mode!r}; choose one of {', '.join(MATCH_MODES)}.")
    if greedy is None:
        greedy = match_spans(gold, pred, clitic_equal=clitic_equal, min_overlap=min_overlap)
    if mode in _GREEDY_OPTIMAL:
        return greedy
    cand_gold, cand_pred = _candidates(gold, pred, min_overlap)
    n_gold, n_pred = len(gold), len(pred)
    # Union-find-free components: a candidate is conflicted when its gold or its prediction has
    # another candidate; only components containing such candidates need solving.
    gold_degree = np.bincount(cand_gold, minlength=n_gold)
    pred_degree = np.bincount(cand_pred, minlength=n_pred)
    conflicted = (gold_degree[cand_gold] > 1) | (pred_degree[cand_pred] > 1)
    if not conflicted.any():
        return greedy
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    cand_gold, cand_pred = cand_gold[conflicted], cand_pred[conflicted]
    outcome = _candidate_outcomes(gold, pred, cand_gold, cand_pred, clitic_equal)
    credit2 = (2 * MODE_CREDIT[mode][outcome]).astype(np.int64)  # 0, 1 or 2: exact integer weights
    both = (greedy.gold >= 0) & (greedy.pred >= 0)
    greedy_gold, greedy_pred, greedy_outcome = greedy.gold[both], greedy.pred[both], greedy.outcome[both]
    greedy_partner = np.full(n_gold, -1, dtype=np.int64)
    greedy_partner[greedy_gold] = greedy_pred
    in_greedy = (greedy_partner[cand_gold] == cand_pred).astype(np.int64)
    graph = coo_matrix((np.ones(len(cand_gold)), (cand_gold, n_gold + cand_pred)),
                       shape=(n_gold + n_pred, n_gold + n_pred))
    _, component = connected_components(graph, directed=False)
    g_rank, p_rank = _canonical_rank(gold), _canonical_rank(pred)
    order = np.lexsort((p_rank[cand_pred], g_rank[cand_gold], component[cand_gold]))
    bounds = np.flatnonzero(np.diff(component[cand_gold][order])) + 1
    solved: list[int] = []
    for chunk in np.split(order, bounds):
        rows, r = np.unique(g_rank[cand_gold[chunk]], return_inverse=True)  # canonical order: order-independent
        cols, c = np.unique(p_rank[cand_pred[chunk]], return_inverse=True)
        base = min(len(rows), len(cols)) + 1  # the lower criteria sum to less than one unit of the one above
        weight = np.zeros((len(rows), len(cols)), dtype=np.float64)
        weight[r, c] = credit2[chunk] * base * base + base + in_greedy[chunk]
        candidate = np.full((len(rows), len(cols)), -1, dtype=np.int64)
        candidate[r, c] = chunk
        chosen_rows, chosen_cols = linear_sum_assignment(weight, maximize=True)
        picked = candidate[chosen_rows, chosen_cols]
        solved.extend(picked[picked >= 0].tolist())  # a cell without a candidate is no pair
    taken = np.asarray(solved, dtype=np.int64)
    in_component = np.zeros(n_gold, dtype=bool)
    in_component[cand_gold] = True
    keep = ~in_component[greedy_gold]  # a greedy pair outside every conflicted component stays
    matched_gold = np.concatenate((greedy_gold[keep], cand_gold[taken]))
    matched_pred = np.concatenate((greedy_pred[keep], cand_pred[taken]))
    codes = np.concatenate((greedy_outcome[keep], outcome[taken])).astype(np.int8)
    missed = np.setdiff1d(np.arange(n_gold), matched_gold, assume_unique=True)
    spurious = np.setdiff1d(np.arange(n_pred), matched_pred, assume_unique=True)
    return Matching(
        gold=np.concatenate((matched_gold, missed, np.full(len(spurious), -1))).astype(np.int64),
        pred=np.concatenate((matched_pred, np.full(len(missed), -1), spurious)).astype(np.int64),
        outcome=np.concatenate((codes, np.full(len(missed), MISSED, np.int8),
                                np.full(len(spurious), SPURIOUS, np.int8))),
    )
