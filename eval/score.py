"""Precision, recall and F1 of mentions under the four SemEval-2013 (9.1) / nervaluate matching modes.

Modes
-----
Each mode scores its own best one-to-one matching (:mod:`eval.matching`): ``strict`` and ``exact``
the greedy alignment of :func:`eval.align.align`, ``partial`` and ``type`` the matching with the most
credit in that mode (``align(..., mode=mode)``), which can differ where mentions overlap several
others. Each aligned pair earns *credit* in each mode:

============================  ======  =====  =======  ====
outcome                       strict  exact  partial  type
============================  ======  =====  =======  ====
CORRECT                       1       1      1        1
CLITIC_BOUNDARY (opt-in)      1       1      1        1
WRONG_LABEL (same span)       0       1      1        0
WRONG_BOUNDARY (same label)   0       0      0.5      1
WRONG_LABEL_BOUNDARY          0       0      0.5      0
MISSED / SPURIOUS             0       0      0        0
============================  ======  =====  =======  ====

``tp`` is the total credit, ``fp = n_pred - tp`` and ``fn = n_gold - tp``; hence
``precision = (COR + 0.5 PAR) / ACT`` and ``recall = (COR + 0.5 PAR) / POS`` in partial mode, and
``COR / ACT``, ``COR / POS`` otherwise, exactly as nervaluate and SemEval-2013 define them.

Per label (nervaluate's per-label semantics)
--------------------------------------------
A label's row counts its own gold mentions (support, ``fn``) and its own predictions (``fp``), and
takes credit only from pairs whose gold *and* predicted labels are that label. A pair with two
labels (``WRONG_LABEL``, ``WRONG_LABEL_BOUNDARY``) is therefore a miss for the gold label and a
false alarm for the predicted one *in every mode*, although in ``exact`` and ``partial`` mode the
overall (micro) scores give it credit. This is what nervaluate 1.2 reports (it evaluates each
label on the mentions of that label only); as a consequence per-label rows of ``exact`` equal those
of ``strict``, and the label rows do not sum to the micro row in ``exact``/``partial``/``type``.
For flat layers this is the same as re-matching each label on its own (nervaluate); for nested
layers the label rows are read off the one global alignment, so they always agree with it.

Averages
--------
``micro`` is computed from the total credit (in strict mode: seqeval's and conlleval's micro
average); ``macro`` is the unweighted mean of the per-label precision, recall and F1, ``weighted``
their mean weighted by support (scikit-learn; F1 is averaged, not recomputed). ``zero_division``
follows scikit-learn exactly: the value (0.0, 1.0 or ``np.nan``) used for a precision with no
predictions, a recall with no gold and an F1 with neither; ``"warn"`` acts as 0.0 and warns.
F1 is ``2 tp / (2 tp + fp + fn)`` (scikit-learn's form; seqeval's ``2PR/(P+R)`` differs only in the
last bits). ``nan`` values are left out of macro and weighted means, as scikit-learn does.

Speed
-----
:func:`score_tags` scores tag sequences without building Python objects per mention: tags are
decoded with the vectorized decoders of :mod:`eval.bio` and matched with
:func:`eval.align.match_spans` (the engine behind :func:`eval.align.align`), so its numbers are
identical to ``score(mentions_from_tags(y_true), mentions_from_tags(y_pred))``;
:func:`score_tags_modes` decodes and matches once for several modes. On a million tokens this is
about 50x faster than seqeval and 20x faster than nervaluate (docs/benchmarks.md).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from eval.align import (
    MISSED,
    OUTCOMES,
    SpanArrays,
    align,
    match_spans,
)
from eval.bio import Decoder, Scheme, decode, encode_tags
from eval.matching import MODE_CREDIT, best_matching
from eval.types import MATCH_MODES, AlignedPair, LabelScore, MatchMode, Mention, ScoreReport

__all__ = [
    "UndefinedMetricWarning",
    "ZeroDivision",
    "prf",
    "score",
    "score_layers",
    "score_modes",
    "score_pairs",
    "score_tags",
    "score_tags_modes",
]

ZeroDivision = float | Literal["warn"]


class UndefinedMetricWarning(UserWarning):
    """A precision, recall or F1 was undefined (0/0) and set by ``zero_division="warn"`` to 0.0."""


def _check_mode(mode: str) -> None:
    if mode not in MATCH_MODES:
        raise ValueError(f"unknown matching mode {mode!r}; choose one of {', '.join(MATCH_MODES)}.")


def _zero_division_value(zero_division: ZeroDivision) -> float:
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0
    elif isinstance(zero_division, int | float) and not isinstance(zero_division, bool) and (
            math.isnan(zero_division) or zero_division in (0, 1)):
        return float(zero_division)
    raise ValueError(f"zero_division={zero_division!r}; use 0.0, 1.0, np.nan or 'warn' (as in scikit-learn).")


def _divide(numerator: np.ndarray, denominator: np.ndarray, value: float) -> tuple[np.ndarray, np.ndarray]:
    undefined = denominator == 0
    result = numerator / np.where(undefined, 1.0, denominator)
    result[undefined] = value
    return result, undefined


def _prf_arrays(tp: np.ndarray, n_pred: np.ndarray, n_gold: np.ndarray, value: float,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    precision, p_undefined = _divide(tp, n_pred, value)
    recall, r_undefined = _divide(tp, n_gold, value)
    f1, f_undefined = _divide(2 * tp, n_gold + n_pred, value)
    problems = []
    if p_undefined.any():
        problems.append("precision (no predicted mention)")
    if r_undefined.any():
        problems.append("recall (no gold mention)")
    if f_undefined.any():
        problems.append("F1 (neither)")
    return precision, recall, f1, problems


def prf(tp: float, fp: float, fn: float, zero_division: ZeroDivision = 0.0) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts, with scikit-learn's ``zero_division``.

    Parameters
    ----------
    tp, fp, fn : float
        True positives (credit), false positives and false negatives.
    zero_division : {0.0, 1.0, np.nan, "warn"}, default=0.0
        Value of an undefined ratio; ``"warn"`` gives 0.0 and an :class:`UndefinedMetricWarning`.

    Returns
    -------
    precision, recall, f1 : float

    Examples
    --------
    >>> prf(3, 1, 2)
    (0.75, 0.6, 0.6666666666666666)
    >>> prf(0, 0, 0, zero_division=1.0)
    (1.0, 1.0, 1.0)
    """
    value = _zero_division_value(zero_division)
    p, r, f, problems = _prf_arrays(np.array([tp], float), np.array([tp + fp], float), np.array([tp + fn], float),
                                    value)
    if problems and zero_division == "warn":
        warnings.warn(f"{', '.join(problems)} ill-defined and set to 0.0; use `zero_division` to control this.",
                      UndefinedMetricWarning, stacklevel=2)
    return float(p[0]), float(r[0]), float(f[0])


def _nanaverage(values: np.ndarray, weights: np.ndarray | None) -> float:
    """scikit-learn's ``_nanaverage``: ignore nan; all-zero weights mean an unweighted average."""
    keep = ~np.isnan(values)
    if not keep.any():
        return math.nan
    if weights is None or not weights[keep].sum():
        return float(values[keep].mean())
    return float(np.average(values[keep], weights=weights[keep]))


def _report(mode: MatchMode, layer: str, names: Sequence[str], n_gold: np.ndarray, n_pred: np.ndarray,
            tp: np.ndarray, micro_counts: tuple[float, float, float], zero_division: ZeroDivision,
            settings: dict[str, Any]) -> ScoreReport:
    value = _zero_division_value(zero_division)
    n_gold = n_gold.astype(float)
    n_pred = n_pred.astype(float)
    tp = tp.astype(float)
    precision, recall, f1, problems = _prf_arrays(tp, n_pred, n_gold, value)
    per_label = {
        name: LabelScore(name, float(tp[i]), float(n_pred[i] - tp[i]), float(n_gold[i] - tp[i]),
                         float(precision[i]), float(recall[i]), float(f1[i]), int(n_gold[i]))
        for i, name in enumerate(names)
    }
    m_gold, m_pred, m_tp = micro_counts
    mp, mr, mf, micro_problems = _prf_arrays(np.array([m_tp]), np.array([m_pred]), np.array([m_gold]), value)
    micro = LabelScore("micro", m_tp, m_pred - m_tp, m_gold - m_tp, float(mp[0]), float(mr[0]), float(mf[0]),
                       int(m_gold))
    sums = (float(tp.sum()), float((n_pred - tp).sum()), float((n_gold - tp).sum()))
    averages = {}
    for name, weights in (("macro", None), ("weighted", n_gold)):
        scores = [_nanaverage(a, weights) for a in (precision, recall, f1)]  # nan without labels, as sklearn
        averages[name] = LabelScore(name, *sums, *scores, int(n_gold.sum()))
    if zero_division == "warn" and (problems or micro_problems):
        warnings.warn(f"{mode}: {', '.join(dict.fromkeys(problems + micro_problems))} ill-defined for some "
                      "label and set to 0.0; use `zero_division` to control this.", UndefinedMetricWarning,
                      stacklevel=3)
    return ScoreReport(mode=mode, layer=layer, per_label=per_label, micro=micro, macro=averages["macro"],
                       weighted=averages["weighted"], n_gold=int(m_gold), n_pred=int(m_pred),
                       settings={"zero_division": zero_division if isinstance(zero_division, str)
                                 else float(zero_division), **settings})


def _label_order(seen: Iterable[str], labels: Sequence[str] | None) -> list[str]:
    if labels is None:
        return sorted(set(seen))
    order = list(labels)
    if len(set(order)) != len(order):
        raise ValueError(f"labels {order} lists a label twice; give each label once.")
    return order


def _counts(mode: MatchMode, outcome: np.ndarray, gold_label: np.ndarray, pred_label: np.ndarray,
            n_labels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float, float]]:
    """Per-label (n_gold, n_pred, tp) and micro counts from pair arrays.

    ``gold_label``/``pred_label`` hold a label index, ``-1`` for an absent side and ``-2`` for a
    label outside the evaluated set.
    """
    credit = MODE_CREDIT[mode][outcome]
    has_gold, has_pred = gold_label >= 0, pred_label >= 0
    n_gold = np.bincount(gold_label[has_gold], minlength=n_labels)[:n_labels]
    n_pred = np.bincount(pred_label[has_pred], minlength=n_labels)[:n_labels]
    same = has_gold & (gold_label == pred_label)
    tp = np.bincount(gold_label[same], weights=credit[same], minlength=n_labels)[:n_labels]
    both = has_gold & has_pred
    micro = (float(has_gold.sum()), float(has_pred.sum()), float(credit[both].sum()))
    return n_gold, n_pred, tp, micro


def _pair_arrays(pairs: Sequence[AlignedPair], layer: str | None,
                 ) -> tuple[np.ndarray, list[str | None], list[str | None], str | None]:
    outcome_code = {cls: code for code, cls in enumerate(OUTCOMES)}
    codes = np.empty(len(pairs), dtype=np.int8)
    gold_labels: list[str | None] = []
    pred_labels: list[str | None] = []
    layers: set[str] = set()
    for i, pair in enumerate(pairs):
        codes[i] = outcome_code[pair.outcome]
        gold_labels.append(pair.gold.label if pair.gold is not None else None)
        pred_labels.append(pair.pred.label if pair.pred is not None else None)
        for m in (pair.gold, pair.pred):
            if m is not None:
                layers.add(m.layer)
    if len(layers) > 1 or (layer is not None and layers and layers != {layer}):
        raise ValueError(f"pairs come from layers {sorted(layers)} but one layer ({layer!r}) is scored at a time; "
                         "score each layer on its own (eval.score.score_layers does this).")
    return codes, gold_labels, pred_labels, next(iter(layers)) if layers else None


def _index(labels: list[str | None], position: dict[str, int]) -> np.ndarray:
    return np.fromiter((-1 if label is None else position.get(label, -2) for label in labels), dtype=np.int64,
                       count=len(labels))


def _score_pair_arrays(codes: np.ndarray, gold_labels: list[str | None], pred_labels: list[str | None],
                       modes: Sequence[MatchMode], layer: str, labels: Sequence[str] | None,
                       zero_division: ZeroDivision, settings: dict[str, Any]) -> dict[MatchMode, ScoreReport]:
    names = _label_order((x for x in (*gold_labels, *pred_labels) if x is not None), labels)
    position = {name: i for i, name in enumerate(names)}
    gold_index, pred_index = _index(gold_labels, position), _index(pred_labels, position)
    if labels is not None:  # mentions of other labels are left out; a pair half outside loses its credit
        codes = np.where((gold_index == -2) | (pred_index == -2), MISSED, codes).astype(np.int8)
    out: dict[MatchMode, ScoreReport] = {}
    for mode in modes:
        _check_mode(mode)
        n_gold, n_pred, tp, micro = _counts(mode, codes, gold_index, pred_index, len(names))
        out[mode] = _report(mode, layer, names, n_gold, n_pred, tp, micro, zero_division, settings)
    return out


def score_pairs(pairs: Sequence[AlignedPair], mode: MatchMode, *, layer: str = "entities",
                labels: Sequence[str] | None = None, zero_division: ZeroDivision = 0.0) -> ScoreReport:
    """Scores of one layer from aligned pairs (the output of :func:`eval.align.align`).

    Parameters
    ----------
    pairs : sequence of AlignedPair
        Pairs of one layer; each gold and predicted mention once. A prediction with no place in the
        text (a pair with no gold side and an UnplacedPrediction) counts as a spurious prediction of
        its label in every mode, exactly as an unmatched placed prediction does.
    mode : {"strict", "exact", "partial", "type"}
        Matching mode (module notes).
    layer : str, default="entities"
        Layer name recorded in the report; pairs from another layer raise ``ValueError``.
    labels : sequence of str, optional
        Labels to report, in this order (labels without any mention get a row of zeros). Mentions
        of other labels are left out of every count. Default: every label seen, sorted.
    zero_division : {0.0, 1.0, np.nan, "warn"}, default=0.0
        As in scikit-learn.

    Returns
    -------
    ScoreReport
    """
    codes, gold_labels, pred_labels, _ = _pair_arrays(pairs, layer)
    return _score_pair_arrays(codes, gold_labels, pred_labels, (mode,), layer, labels, zero_division, {})[mode]


def _prepare(gold: Iterable[Mention], pred: Iterable[Mention], label_map: Any, ignore_labels: Sequence[str],
             settings: dict[str, Any]) -> tuple[list[Mention], list[Mention]]:
    gold_list, pred_list = list(gold), list(pred)
    if label_map is not None or ignore_labels:
        from eval.labels import as_label_map, map_mentions

        resolved = as_label_map(label_map) if label_map is not None else None
        gold_list = map_mentions(gold_list, resolved, ignore=tuple(ignore_labels))
        pred_list = map_mentions(pred_list, resolved, ignore=tuple(ignore_labels))
        if resolved is not None:
            settings["label_map"] = resolved.name
        if ignore_labels:
            settings["ignore_labels"] = sorted(ignore_labels)
    return gold_list, pred_list


def _single_layer(gold: list[Mention], pred: list[Mention]) -> str:
    layers = sorted({m.layer for m in gold} | {m.layer for m in pred})
    if len(layers) > 1:
        raise ValueError(f"mentions of several layers {layers} were given; score one layer at a time, or use "
                         "eval.score.score_layers to get a report per layer.")
    return layers[0] if layers else "entities"


def score_modes(gold: Iterable[Mention], pred: Iterable[Mention], modes: Sequence[MatchMode] = MATCH_MODES, *,
                labels: Sequence[str] | None = None, label_map: Any = None, ignore_labels: Sequence[str] = (),
                clitic_tolerance: bool = False, texts: Mapping[str, str] | None = None,
                zero_division: ZeroDivision = 0.0) -> dict[MatchMode, ScoreReport]:
    """Reports of one layer in several modes from a single alignment.

    Parameters are those of :func:`score`, with ``modes`` instead of ``mode``.

    Returns
    -------
    dict of mode -> ScoreReport
    """
    settings: dict[str, Any] = {"clitic_tolerance": clitic_tolerance}
    gold_list, pred_list = _prepare(gold, pred, label_map, ignore_labels, settings)
    layer = _single_layer(gold_list, pred_list)
    out: dict[MatchMode, ScoreReport] = {}
    greedy_pairs = None
    for mode in modes:
        _check_mode(mode)
        if mode in ("strict", "exact"):  # greedy is their best matching: align once for both
            if greedy_pairs is None:
                greedy_pairs = align(gold_list, pred_list, clitic_tolerance=clitic_tolerance, texts=texts)
            pairs = greedy_pairs
        else:
            pairs = align(gold_list, pred_list, clitic_tolerance=clitic_tolerance, texts=texts, mode=mode)
        codes, gold_labels, pred_labels, _ = _pair_arrays(pairs, layer)
        out[mode] = _score_pair_arrays(codes, gold_labels, pred_labels, (mode,), layer, labels, zero_division,
                                       settings)[mode]
    return out


def score(gold: Sequence[Mention], pred: Sequence[Mention], mode: MatchMode = "strict", *,
          labels: Sequence[str] | None = None, label_map: Any = None, ignore_labels: Sequence[str] = (),
          clitic_tolerance: bool = False, texts: Mapping[str, str] | None = None,
          zero_division: ZeroDivision = 0.0) -> ScoreReport:
    """Score predicted mentions of one layer against gold mentions.

    Parameters
    ----------
    gold, pred : sequence of Mention
        Mentions of a single layer (any documents). Mixing layers raises ``ValueError``; use
        :func:`score_layers`.
    mode : {"strict", "exact", "partial", "type"}, default="strict"
        Matching mode (module notes).
    labels : sequence of str, optional
        Labels to report and average over, in order; other labels are left out. Default: every
        label seen in gold or predictions (after mapping), sorted.
    label_map : LabelMap, mapping or path, optional
        Fine -> coarse labels (``None`` drops the mention), applied to both sides before aligning.
    ignore_labels : sequence of str, default=()
        Labels dropped from both sides before aligning (after mapping).
    clitic_tolerance : bool, default=False
        Count boundaries that differ only by attached proclitics as matches (``CLITIC_BOUNDARY``).
    texts : mapping of str to str, optional
        Document texts, required by ``clitic_tolerance``.
    zero_division : {0.0, 1.0, np.nan, "warn"}, default=0.0
        As in scikit-learn.

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> from eval.types import Mention
    >>> gold = [Mention("d", 0, 5, "PERS"), Mention("d", 10, 15, "GPE")]
    >>> pred = [Mention("d", 0, 5, "PERS"), Mention("d", 11, 15, "GPE")]
    >>> score(gold, pred).micro.f1, score(gold, pred, "type").micro.f1, score(gold, pred, "partial").micro.f1
    (0.5, 1.0, 0.75)
    """
    return score_modes(gold, pred, (mode,), labels=labels, label_map=label_map, ignore_labels=ignore_labels,
                       clitic_tolerance=clitic_tolerance, texts=texts, zero_division=zero_division)[mode]


def score_layers(gold: Iterable[Mention], pred: Iterable[Mention], modes: Sequence[MatchMode] = MATCH_MODES,
                 **kwargs: Any) -> dict[str, dict[MatchMode, ScoreReport]]:
    """Reports for every layer present in gold or predictions: ``{layer: {mode: ScoreReport}}``.

    Keyword arguments are those of :func:`score_modes`.
    """
    gold_list, pred_list = list(gold), list(pred)
    layers = sorted({m.layer for m in gold_list} | {m.layer for m in pred_list})
    return {
        layer: score_modes([m for m in gold_list if m.layer == layer], [m for m in pred_list if m.layer == layer],
                           modes, **kwargs)
        for layer in layers
    }


def score_tags(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]], *, scheme: Scheme = "IOB2",
               decoder: Decoder = "lenient", mode: MatchMode = "strict", zero_division: ZeroDivision = 0.0,
               labels: Sequence[str] | None = None, conlleval_compat: bool = False,
               layer: str = "entities") -> ScoreReport:
    """Score tag sequences directly (fast path; identical to scoring their decoded mentions).

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str
        Gold and predicted tags, one list per sentence, of equal lengths.
    scheme, decoder, conlleval_compat
        Decoding, as in :func:`eval.bio.decode`. ``decoder="lenient"`` gives seqeval's default
        (and conlleval.pl's) numbers, ``decoder="strict"`` seqeval's ``mode="strict"`` numbers.
    mode : {"strict", "exact", "partial", "type"}, default="strict"
        Matching mode.
    zero_division : {0.0, 1.0, np.nan, "warn"}, default=0.0
        As in scikit-learn.
    labels : sequence of str, optional
        As in :func:`score`.
    layer : str, default="entities"
        Layer name recorded in the report.

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> y_true = [["B-PERS", "I-PERS", "O", "B-GPE"]]
    >>> y_pred = [["B-PERS", "I-PERS", "O", "B-ORG"]]
    >>> report = score_tags(y_true, y_pred)
    >>> report.micro.precision, report.per_label["GPE"].recall
    (0.5, 0.0)
    """
    return score_tags_modes(y_true, y_pred, (mode,), scheme=scheme, decoder=decoder, zero_division=zero_division,
                            labels=labels, conlleval_compat=conlleval_compat, layer=layer)[mode]


def score_tags_modes(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]],
                     modes: Sequence[MatchMode] = MATCH_MODES, *, scheme: Scheme = "IOB2",
                     decoder: Decoder = "lenient", zero_division: ZeroDivision = 0.0,
                     labels: Sequence[str] | None = None, conlleval_compat: bool = False,
                     layer: str = "entities") -> dict[MatchMode, ScoreReport]:
    """:func:`score_tags` in several modes at once: the tags are decoded and matched only once.

    Returns
    -------
    dict of mode -> ScoreReport
    """
    for mode in modes:
        _check_mode(mode)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} sentences but y_pred has {len(y_pred)}; give one predicted "
                         "tag sequence per gold sentence.")
    true_enc, pred_enc = encode_tags(y_true, y_pred)
    mismatch = np.flatnonzero(true_enc.lengths != pred_enc.lengths)
    if len(mismatch):
        i = int(mismatch[0])
        raise ValueError(f"sentence {i}: {true_enc.lengths[i]} gold tags but {pred_enc.lengths[i]} predicted tags "
                         f"({len(mismatch)} sentence(s) differ); each token needs exactly one predicted tag.")
    gold = decode(true_enc, scheme=scheme, decoder=decoder, conlleval_compat=conlleval_compat)
    pred = decode(pred_enc, scheme=scheme, decoder=decoder, conlleval_compat=conlleval_compat)
    names = sorted({gold.types[i] for i in np.unique(gold.type_id)} | {pred.types[i] for i in np.unique(pred.type_id)})
    position = {name: i for i, name in enumerate(names)}
    gold_label = np.array([position.get(t, -1) for t in gold.types], dtype=np.int64)[gold.type_id]
    pred_label = np.array([position.get(t, -1) for t in pred.types], dtype=np.int64)[pred.type_id]
    settings = {"scheme": scheme, "decoder": decoder, "conlleval_compat": conlleval_compat}
    out: dict[MatchMode, ScoreReport] = {}

    if "strict" in modes:
        # Strict credit needs only identical (sentence, start, end, label): count common keys, built from
        # corpus-wide token positions: (start * (n + 1) + end) * n_labels + label.
        span = len(true_enc.ids) + 1
        width = len(names) + 1

        def keys(chunks: Any, label: np.ndarray) -> np.ndarray:
            base = true_enc.offsets[chunks.sentence]
            return ((base + chunks.start) * span + base + chunks.end) * width + label

        gold_keys, gold_n = _unique_counts(keys(gold, gold_label))
        pred_keys, pred_n = _unique_counts(keys(pred, pred_label))
        at = np.minimum(np.searchsorted(gold_keys, pred_keys), max(len(gold_keys) - 1, 0))
        pi = np.flatnonzero(gold_keys[at] == pred_keys) if len(gold_keys) else np.zeros(0, dtype=np.int64)
        gi, common = at[pi], pred_keys[pi]
        matched = np.minimum(gold_n[gi], pred_n[pi]).astype(float)
        tp_all = np.bincount(common % width, weights=matched, minlength=len(names))
        out["strict"] = _report_from_label_counts(
            "strict", layer, names, labels, np.bincount(gold_label, minlength=len(names)),
            np.bincount(pred_label, minlength=len(names)), tp_all, zero_division, settings)
    others = [m for m in modes if m != "strict"]
    if others:
        gold_spans = SpanArrays(gold.sentence, gold.start, gold.end, gold_label)
        pred_spans = SpanArrays(pred.sentence, pred.start, pred.end, pred_label)
        greedy = match_spans(gold_spans, pred_spans)
    for mode in others:
        matching = greedy if mode == "exact" else best_matching(gold_spans, pred_spans, mode, greedy=greedy)
        g_lab = np.where(matching.gold >= 0, gold_label[np.maximum(matching.gold, 0)] if len(gold) else -1, -1)
        p_lab = np.where(matching.pred >= 0, pred_label[np.maximum(matching.pred, 0)] if len(pred) else -1, -1)
        if labels is None:
            order = names
            remap = np.arange(len(names))
        else:
            order = _label_order((), labels)
            wanted = {name: i for i, name in enumerate(order)}
            remap = np.array([wanted.get(name, -2) for name in names], dtype=np.int64)
        g_idx = np.where(g_lab >= 0, remap[np.maximum(g_lab, 0)] if len(names) else -1, -1)
        p_idx = np.where(p_lab >= 0, remap[np.maximum(p_lab, 0)] if len(names) else -1, -1)
        codes = np.where((g_idx == -2) | (p_idx == -2), MISSED, matching.outcome).astype(np.int8)
        n_gold, n_pred, tp, micro = _counts(mode, codes, g_idx, p_idx, len(order))
        out[mode] = _report(mode, layer, order, n_gold, n_pred, tp, micro, zero_division, settings)
    return {mode: out[mode] for mode in modes}


def _unique_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys and their counts; decoded flat chunks usually come sorted and unique already,
    which an O(n) check detects, sparing the sort."""
    if len(keys) < 2 or bool((keys[1:] > keys[:-1]).all()):
        return keys, np.ones(len(keys), dtype=np.int64)
    return np.unique(keys, return_counts=True)


def _report_from_label_counts(mode: MatchMode, layer: str, names: list[str], labels: Sequence[str] | None,
                              n_gold: np.ndarray, n_pred: np.ndarray, tp: np.ndarray,
                              zero_division: ZeroDivision, settings: dict[str, Any]) -> ScoreReport:
    """A strict-mode report from per-label counts (micro = label sums, as strict credit never crosses labels)."""
    order = names if labels is None else _label_order((), labels)
    source = {name: i for i, name in enumerate(names)}
    pick = np.array([source.get(name, -1) for name in order], dtype=np.int64)

    def take(values: np.ndarray) -> np.ndarray:
        padded = np.append(values.astype(float), 0.0)
        return padded[pick] if len(pick) else np.zeros(0)

    g, p, t = take(n_gold), take(n_pred), take(tp)
    return _report(mode, layer, order, g, p, t, (float(g.sum()), float(p.sum()), float(t.sum())), zero_division,
                   settings)
