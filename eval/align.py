"""One-to-one alignment of gold and predicted mentions, independent of input order.

Every later number (scores in every matching mode, error tables, confusion matrices, bootstrap
resamples) is computed from the one list of :class:`~eval.types.AlignedPair` that :func:`align`
returns, so they all agree with each other.

How pairs are chosen
--------------------
Within each (document, layer), a gold and a predicted mention are *candidates* when they overlap
(share at least one position). Candidates are ranked, best first, by

1. boundaries: exact boundaries (or, with ``clitic_tolerance``, boundaries that differ only by
   attached proclitics) before mere overlap;
2. label: same label before another label;
3. overlap: more shared positions first;
4. closeness: smaller ``|start difference| + |end difference|`` first;
5. position: the gold mention, then the predicted one, in (start, end, label) order.

and accepted greedily in that order, each gold and each predicted mention at most once (the
classic greedy matching, run in vectorized rounds: a candidate that is the best remaining one for
both its gold and its predicted mention is accepted; the result equals the sequential greedy).
The ranking depends only on the mentions, never on the order they were given in, which is what
goes wrong in nervaluate (its issues #40 and #84: the first overlapping gold in list order is
consumed, so permuting the input changes the scores, and a prediction can lose its exact match
to an earlier, worse one). Nested and overlapping gold spans are fine: a layer is a *set* of spans.

Unmatched gold mentions are ``MISSED``, unmatched predictions ``SPURIOUS``. A prediction that could
not be placed on the text at all (an :class:`~eval.types.UnplacedPrediction`: an offset-free mention
the document does not contain) has nothing to overlap: it is a pair with no gold side, ``SPURIOUS``. A matched pair is
``CORRECT`` (same boundaries and label), ``WRONG_LABEL`` (same boundaries), ``WRONG_BOUNDARY``
(overlap, same label), ``WRONG_LABEL_BOUNDARY`` (overlap, other label) or ``CLITIC_BOUNDARY``
(same label, boundaries differ only by proclitics; only with ``clitic_tolerance=True``; a
clitic-only difference *with* another label is ``WRONG_LABEL``).

Proclitics
----------
Arabic attaches conjunctions (و ف), prepositions (ب ك ل) and the article (ال) to the next word:
``وبوتين`` is "and Putin", ``للأمم`` "for the nations" (ل + ال with the alef dropped). Corpora
disagree on whether a mention includes them (ANERcorp and Wojood include them, NewsFANE splits
them off). With ``clitic_tolerance=True`` two spans with the same end whose starts differ only by
such a chain (:mod:`dataset_builder.text.clitics`: ``[وف]? ([بكل] | [بك]?ال | لل)?``, optionally
with short vowels) are matched as if their boundaries were equal, provided the chain is attached:
both starts lie in one written word, the text from its start to each of them is empty or a chain.
So in وللشعب a predicted للشعب (after و) matches a gold لشعب (at the fused article's lam): they
differ by the preposition ل. The text is taken from ``texts[doc_id]``.

Complexity: candidates are found with two sorted sweeps (a predicted mention starting inside a
gold one, or a gold mention starting inside a predicted one), ``O((n + k) log n)`` for ``n``
mentions with ``k`` overlapping pairs; nothing is quadratic in the number of mentions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from dataset_builder.text.clitics import is_proclitic_chain
from eval.types import AlignedPair, ErrorClass, MatchMode, Mention, UnplacedPrediction

__all__ = [
    "OUTCOMES",
    "Matching",
    "SpanArrays",
    "align",
    "check_min_overlap",
    "differs_by_proclitics",
    "match_spans",
]

# Outcome codes used by the array-level matcher (index into OUTCOMES).
OUTCOMES: tuple[ErrorClass, ...] = (
    ErrorClass.CORRECT,
    ErrorClass.WRONG_LABEL,
    ErrorClass.WRONG_BOUNDARY,
    ErrorClass.WRONG_LABEL_BOUNDARY,
    ErrorClass.CLITIC_BOUNDARY,
    ErrorClass.MISSED,
    ErrorClass.SPURIOUS,
)
CORRECT, WRONG_LABEL, WRONG_BOUNDARY, WRONG_LABEL_BOUNDARY, CLITIC_BOUNDARY, MISSED, SPURIOUS = range(7)

# A sequential loop finishes the matching when a vectorized round accepts less than this share of
# the remaining candidates (long chains of overlapping mentions, rare in practice).
_MIN_ROUND_YIELD = 0.05


@dataclass(frozen=True, slots=True)
class SpanArrays:
    """Mentions as parallel arrays: group (document and layer), start, end (exclusive), label id."""

    group: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


@dataclass(frozen=True, slots=True)
class Matching:
    """Result of :func:`match_spans`: one row per pair; ``-1`` where a side is absent."""

    gold: np.ndarray
    pred: np.ndarray
    outcome: np.ndarray  # codes into OUTCOMES


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (owner, position) with ``lo[owner] <= position < hi[owner]``, vectorized."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(lo)), counts)
    first = np.cumsum(counts) - counts
    position = np.arange(total) - first[owner] + lo[owner]
    return owner, position


def _canonical_rank(spans: SpanArrays) -> np.ndarray:
    rank = np.empty(len(spans), dtype=np.int64)
    rank[np.lexsort((spans.label, spans.end, spans.start, spans.group))] = np.arange(len(spans))
    return rank


def _candidates(gold: SpanArrays, pred: SpanArrays,
                min_overlap: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every overlapping (gold, pred) pair in the same group, each exactly once.

    With ``min_overlap``, only pairs whose shared positions cover at least that share of the gold
    span: nervaluate's ``min_overlap_percentage`` (its ratio is also taken of the true entity).
    """
    if not len(gold) or not len(pred):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    stride = int(max(gold.end.max(), pred.end.max())) + 1
    g_start = gold.group * stride + gold.start
    g_end = gold.group * stride + gold.end
    p_start = pred.group * stride + pred.start
    p_end = pred.group * stride + pred.end
    # (a) the prediction starts inside the gold span: gold.start <= pred.start < gold.end
    p_order = np.argsort(p_start, kind="stable")
    p_sorted = p_start[p_order]
    owner, position = _expand(np.searchsorted(p_sorted, g_start, "left"),
                              np.searchsorted(p_sorted, g_end, "left"))
    gold_a, pred_a = owner, p_order[position]
    # (b) the gold span starts strictly inside the prediction: pred.start < gold.start < pred.end
    g_order = np.argsort(g_start, kind="stable")
    g_sorted = g_start[g_order]
    owner, position = _expand(np.searchsorted(g_sorted, p_start, "right"),
                              np.searchsorted(g_sorted, p_end, "left"))
    gold_b, pred_b = g_order[position], owner
    cand_gold, cand_pred = np.concatenate((gold_a, gold_b)), np.concatenate((pred_a, pred_b))
    if min_overlap is None:
        return cand_gold, cand_pred
    shared = np.minimum(gold.end[cand_gold], pred.end[cand_pred]) - np.maximum(gold.start[cand_gold],
                                                                              pred.start[cand_pred])
    # Compared in integers (shared / length >= ratio, with the ratio rounded to 1e-9) so that
    # nervaluate's percentages give the same decisions without float edge cases.
    scale = 10**9
    enough = shared * scale >= round(min_overlap * scale) * (gold.end[cand_gold] - gold.start[cand_gold])
    return cand_gold[enough], cand_pred[enough]


def check_min_overlap(min_overlap: float | None) -> None:
    """Refuse a ``min_overlap`` outside (0, 1] with the fix in the message."""
    if min_overlap is not None and not 0.0 < min_overlap <= 1.0:
        raise ValueError(f"min_overlap={min_overlap}: give the share of a gold mention a prediction must cover, "
                         "0 < min_overlap <= 1 (nervaluate's min_overlap_percentage / 100), or leave it unset.")


def _greedy(cand_gold: np.ndarray, cand_pred: np.ndarray, n_gold: int, n_pred: int) -> np.ndarray:
    """Indices of the accepted candidates; candidates are given best first."""
    k = len(cand_gold)
    alive = np.ones(k, dtype=bool)
    used_gold = np.zeros(n_gold, dtype=bool)
    used_pred = np.zeros(n_pred, dtype=bool)
    accepted: list[np.ndarray] = []
    while True:
        index = np.flatnonzero(alive)
        if not len(index):
            break
        g, p = cand_gold[index], cand_pred[index]
        best_gold = np.full(n_gold, k, dtype=np.int64)
        best_pred = np.full(n_pred, k, dtype=np.int64)
        np.minimum.at(best_gold, g, index)
        np.minimum.at(best_pred, p, index)
        take = index[(best_gold[g] == index) & (best_pred[p] == index)]
        accepted.append(take)
        used_gold[cand_gold[take]] = True
        used_pred[cand_pred[take]] = True
        alive[index] = ~used_gold[g] & ~used_pred[p]
        if len(take) < _MIN_ROUND_YIELD * len(index):
            rest: list[int] = []
            for c in np.flatnonzero(alive).tolist():
                gi, pi = int(cand_gold[c]), int(cand_pred[c])
                if not used_gold[gi] and not used_pred[pi]:
                    used_gold[gi] = used_pred[pi] = True
                    rest.append(c)
            accepted.append(np.asarray(rest, dtype=np.int64))
            break
    return np.concatenate(accepted) if accepted else np.empty(0, dtype=np.int64)


def match_spans(gold: SpanArrays, pred: SpanArrays, *,
                clitic_equal: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                min_overlap: float | None = None) -> Matching:
    """One-to-one matching of span arrays (the engine behind :func:`align` and the fast scorers).

    Parameters
    ----------
    gold, pred : SpanArrays
        Spans with integer group ids (one group per document and layer; spans of different groups
        never match) and integer label ids.
    clitic_equal : callable, optional
        ``clitic_equal(gold_idx, pred_idx) -> bool array`` for candidate pairs with the same end and
        different starts: True when the starts differ only by proclitics.
    min_overlap : float, optional
        Pairs that share less than this share of the gold span are not candidates (module notes).

    Returns
    -------
    Matching
        Matched pairs first (in acceptance order), then missed gold, then spurious predictions.
    """
    cand_gold, cand_pred = _candidates(gold, pred, min_overlap)
    gs, ge, ps, pe = gold.start[cand_gold], gold.end[cand_gold], pred.start[cand_pred], pred.end[cand_pred]
    exact = (gs == ps) & (ge == pe)
    clitic = np.zeros(len(cand_gold), dtype=bool)
    if clitic_equal is not None:
        maybe = np.flatnonzero(~exact & (ge == pe))
        if len(maybe):
            clitic[maybe] = clitic_equal(cand_gold[maybe], cand_pred[maybe])
    same_label = gold.label[cand_gold] == pred.label[cand_pred]
    boundary_match = exact | clitic
    tier = np.where(boundary_match, np.where(same_label, 0, 1), np.where(same_label, 2, 3))
    overlap = np.minimum(ge, pe) - np.maximum(gs, ps)
    distance = np.abs(gs - ps) + np.abs(ge - pe)
    g_rank, p_rank = _canonical_rank(gold), _canonical_rank(pred)
    order = np.lexsort((p_rank[cand_pred], g_rank[cand_gold], distance, -overlap, tier))
    taken = order[_greedy(cand_gold[order], cand_pred[order], len(gold), len(pred))]
    outcome_of_tier = np.array([CORRECT, WRONG_LABEL, WRONG_BOUNDARY, WRONG_LABEL_BOUNDARY], dtype=np.int8)
    outcome = outcome_of_tier[tier[taken]]
    outcome[(tier[taken] == 0) & ~exact[taken]] = CLITIC_BOUNDARY
    matched_gold, matched_pred = cand_gold[taken], cand_pred[taken]
    missed = np.setdiff1d(np.arange(len(gold)), matched_gold, assume_unique=True)
    spurious = np.setdiff1d(np.arange(len(pred)), matched_pred, assume_unique=True)
    none_m, none_s = np.full(len(missed), -1), np.full(len(spurious), -1)
    return Matching(
        gold=np.concatenate((matched_gold, missed, none_s)).astype(np.int64),
        pred=np.concatenate((matched_pred, none_m, spurious)).astype(np.int64),
        outcome=np.concatenate((outcome, np.full(len(missed), MISSED, np.int8),
                                np.full(len(spurious), SPURIOUS, np.int8))),
    )


# ----------------------------------------------------------------------------------------- clitics

_SHORT_VOWELS = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, superscript alef, tatweel


def _is_mark(char: str) -> bool:
    return bool(_SHORT_VOWELS.fullmatch(char))


def differs_by_proclitics(text: str, start_a: int, start_b: int, end: int) -> bool:
    """Whether two spans ending at ``end`` differ only by proclitics attached at the start.

    Parameters
    ----------
    text : str
        The document text the offsets point into.
    start_a, start_b : int
        Starts of the two spans (either order).
    end : int
        Their common end (exclusive).

    Returns
    -------
    bool
        True when both starts lie on proclitic boundaries of one written word: the text from the
        word's start to the shorter span is a proclitic chain of :mod:`dataset_builder.text.clitics`
        (و ف, then ب ك ل, or ال with or without ب ك, or لل; short vowels and tatweel aside), and the
        longer span starts the word or right after a shorter chain. So in وللشعب the spans وللشعب,
        للشعب (after و), لشعب (at the fused article's lam) and شعب all differ only by proclitics.

    Examples
    --------
    >>> text = "والتقى الرئيس وبوتين"
    >>> differs_by_proclitics(text, 14, 15, 20)
    True
    >>> differs_by_proclitics("و بوتين", 0, 2, 7)
    False
    >>> differs_by_proclitics("وللشعب", 1, 2, 6)  # the preposition ل before the fused article
    True
    """
    a, b = sorted((start_a, start_b))
    if a == b or b >= end or end > len(text) or a < 0:
        return False
    if not text[b].isalpha():  # the shorter span must continue the same written word
        return False
    word_start = a
    while word_start > 0 and (text[word_start - 1].isalpha() or _is_mark(text[word_start - 1])):
        word_start -= 1
    # The longer span may itself start after a clitic: gold لشعب (at the article's lam in وللشعب, as
    # the guideline writes ل + ال) against a predicted للشعب differs by the preposition ل alone.
    outer = _SHORT_VOWELS.sub("", text[word_start:a])
    whole = _SHORT_VOWELS.sub("", text[word_start:b])
    return whole != outer and (not outer or is_proclitic_chain(outer)) and is_proclitic_chain(whole)


# ------------------------------------------------------------------------------------ Mention API


def _check_mentions(mentions: list[Mention], side: str) -> None:
    for index, m in enumerate(mentions):
        if not isinstance(m, Mention):
            raise TypeError(f"{side}[{index}] is a {type(m).__name__}, not an eval.types.Mention.")
        if not 0 <= m.start < m.end:
            raise ValueError(
                f"{side} mention {m.label!r} in doc {m.doc_id}, offset {m.start}: start={m.start}, end={m.end}; a "
                "mention needs 0 <= start < end (end is exclusive). Fix the offsets or drop the empty mention.")


def _span_arrays(mentions: list[Mention], groups: dict[tuple[str, str], int], labels: dict[str, int]) -> SpanArrays:
    n = len(mentions)
    return SpanArrays(
        group=np.fromiter((groups[(m.doc_id, m.layer)] for m in mentions), dtype=np.int64, count=n),
        start=np.fromiter((m.start for m in mentions), dtype=np.int64, count=n),
        end=np.fromiter((m.end for m in mentions), dtype=np.int64, count=n),
        label=np.fromiter((labels[m.label] for m in mentions), dtype=np.int64, count=n),
    )


def _pair_key(pair: AlignedPair) -> tuple[str, str, int, int, int, str, str]:
    first = pair.gold if pair.gold is not None else pair.pred
    assert first is not None
    return (first.doc_id, first.layer, first.start, 0 if pair.gold is not None else 1, first.end,
            pair.gold.label if pair.gold else "", pair.pred.label if pair.pred else "")


def align(gold: Iterable[Mention], pred: Iterable[Mention | UnplacedPrediction], *, clitic_tolerance: bool = False,
          texts: Mapping[str, str] | None = None, mode: MatchMode | None = None,
          min_overlap: float | None = None) -> list[AlignedPair]:
    """Align gold and predicted mentions one-to-one, per document and layer.

    Parameters
    ----------
    gold : iterable of Mention
    pred : iterable of Mention or UnplacedPrediction
        Gold and predicted mentions; any order, any mix of documents and layers. Spans may nest
        or overlap within a side. Predictions without a place in the text (UnplacedPrediction)
        become pairs with no gold side, outcome ``SPURIOUS``.
    clitic_tolerance : bool, default=False
        Match spans whose starts differ only by attached proclitics (see the module notes); such a
        pair is ``CLITIC_BOUNDARY`` (same label) or ``WRONG_LABEL``, never ``CORRECT``.
    texts : mapping of str to str, optional
        Document text by ``doc_id``; required with ``clitic_tolerance``.
    mode : {"strict", "exact", "partial", "type"}, optional
        Align for this matching mode: the one-to-one matching with the most credit in it
        (:func:`eval.matching.best_matching`). Default: the greedy ranking above, which is the best
        matching for ``strict`` and ``exact``.
    min_overlap : float, optional
        The share of a gold mention (0 < ratio <= 1) a prediction must cover to be paired with it,
        as nervaluate's ``min_overlap_percentage`` / 100; a prediction covering less of every gold
        mention is ``SPURIOUS`` and the gold ``MISSED``. Default: any shared position.

    Returns
    -------
    list of AlignedPair
        Every gold and every predicted mention exactly once, sorted by document, layer and
        position; then the unplaced predictions, in the order given. Apart from those, the result
        does not depend on the order of ``gold`` or ``pred``.

    Raises
    ------
    ValueError
        For a mention with ``start >= end`` or ``start < 0``; with ``clitic_tolerance`` and no
        ``texts``, or a document missing from ``texts``, or a span beyond its text.

    Examples
    --------
    >>> from eval.types import Mention
    >>> gold = [Mention("d", 0, 5, "PERS"), Mention("d", 10, 15, "GPE")]
    >>> pred = [Mention("d", 0, 5, "PERS"), Mention("d", 11, 15, "ORG")]
    >>> [p.outcome.value for p in align(gold, pred)]
    ['correct', 'wrong_label_boundary']
    """
    check_min_overlap(min_overlap)
    gold_list = list(gold)
    pred_list: list[Mention] = []
    unplaced: list[UnplacedPrediction] = []
    for prediction in pred:
        (unplaced if isinstance(prediction, UnplacedPrediction) else pred_list).append(prediction)
    _check_mentions(gold_list, "gold")
    _check_mentions(pred_list, "pred")
    groups: dict[tuple[str, str], int] = {}
    for m in (*gold_list, *pred_list):
        groups.setdefault((m.doc_id, m.layer), len(groups))
    labels = {label: i for i, label in enumerate(sorted({m.label for m in (*gold_list, *pred_list)}))}
    gold_arrays = _span_arrays(gold_list, groups, labels)
    pred_arrays = _span_arrays(pred_list, groups, labels)

    clitic_equal = None
    if clitic_tolerance:
        if texts is None:
            raise ValueError("clitic_tolerance=True needs the document texts: pass texts={doc_id: text}.")
        for m in (*gold_list, *pred_list):
            text = texts.get(m.doc_id)
            if text is None:
                raise ValueError(f"doc {m.doc_id}: no text in `texts`, which clitic_tolerance needs; add it "
                                 "or turn clitic_tolerance off.")
            if m.end > len(text):
                raise ValueError(f"doc {m.doc_id}, offset {m.start}: mention {m.label!r} ends at {m.end}, beyond "
                                 f"the text ({len(text)} characters); offsets must point into texts[doc_id].")

        def clitic_equal(gold_idx: np.ndarray, pred_idx: np.ndarray) -> np.ndarray:
            out = np.zeros(len(gold_idx), dtype=bool)
            for i, (gi, pi) in enumerate(zip(gold_idx.tolist(), pred_idx.tolist(), strict=True)):
                g, p = gold_list[gi], pred_list[pi]
                out[i] = differs_by_proclitics(texts[g.doc_id], g.start, p.start, g.end)
            return out

    if mode is None:
        matching = match_spans(gold_arrays, pred_arrays, clitic_equal=clitic_equal, min_overlap=min_overlap)
    else:
        from eval.matching import best_matching  # eval.matching builds on this module

        matching = best_matching(gold_arrays, pred_arrays, mode, clitic_equal=clitic_equal, min_overlap=min_overlap)
    pairs = [
        AlignedPair(gold_list[gi] if gi >= 0 else None, pred_list[pi] if pi >= 0 else None, OUTCOMES[code])
        for gi, pi, code in zip(matching.gold.tolist(), matching.pred.tolist(), matching.outcome.tolist(),
                                strict=True)
    ]
    pairs.sort(key=_pair_key)
    pairs.extend(AlignedPair(None, prediction, ErrorClass.SPURIOUS) for prediction in unplaced)
    return pairs
