"""Error analysis: every gold/predicted disagreement, located, classified and quoted.

The classes are those of :class:`eval.types.ErrorClass` (SemEval-2013 task 9.1, plus a class of its
own for boundaries that differ only by attached proclitics such as و ب ل ف ك). The class of a pair
is decided once, by :func:`eval.align.align`; this module lists the pairs that are not correct with
where they are (document id, character or token offsets) and what they say (labels, surface text),
builds the label confusion matrix, and scores each document on its own.

Predictions that could not be placed on the text (an offset-free mention the document does not
contain, see :mod:`eval.mentions`) are :class:`~eval.types.UnplacedPrediction`: they have a
document, a layer and a label but no offsets, so :func:`eval.align.align` returns each as a pair
with no gold side, outcome ``spurious``. The functions here list such a pair as a ``spurious`` error
without offsets (``reason`` says why) and count it in the ``∅`` row of the confusion matrix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eval.types import (
    SCORABLE_UNALIGNED_REASONS,
    AlignedPair,
    ErrorClass,
    LabelScore,
    MatchMode,
    Mention,
    UnplacedPrediction,
)

if TYPE_CHECKING:
    import numpy as np

#: Stands for "no mention" on either axis of the confusion matrix: row ∅ counts spurious
#: predictions (no gold mention), column ∅ counts missed gold mentions (no prediction).
NO_MENTION = "∅"

#: Classes that are errors, in the order reports list them.
ERROR_CLASSES: tuple[ErrorClass, ...] = (
    ErrorClass.MISSED,
    ErrorClass.SPURIOUS,
    ErrorClass.WRONG_LABEL,
    ErrorClass.WRONG_BOUNDARY,
    ErrorClass.WRONG_LABEL_BOUNDARY,
    ErrorClass.CLITIC_BOUNDARY,
)

ERROR_DESCRIPTIONS: Mapping[ErrorClass, str] = {
    ErrorClass.MISSED: "gold mention with no overlapping prediction",
    ErrorClass.SPURIOUS: "prediction with no overlapping gold mention",
    ErrorClass.WRONG_LABEL: "same boundaries, other label",
    ErrorClass.WRONG_BOUNDARY: "overlapping, same label, other boundaries",
    ErrorClass.WRONG_LABEL_BOUNDARY: "overlapping, other label and other boundaries",
    ErrorClass.CLITIC_BOUNDARY: "boundaries differ only by attached proclitics (و ف ب ل ك, ال)",
    ErrorClass.CORRECT: "same boundaries, same label",
}


#: ``reason`` of the error record of a prediction that could not be placed on the text.
UNPLACED_REASON = "not placed in the text"

@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """One aligned pair that is not correct (or is, when correct pairs are asked for), or one
    prediction that could not be placed on the text.

    Offsets are those of the mentions: characters into the document text, or token indices for
    tag sequences. ``gold_text``/``pred_text`` are the surface strings when known (from the
    mention, else from the document text). ``left_context``/``right_context`` hold up to
    ``context`` characters of text around the union of both spans.

    A record of an :class:`~eval.types.UnplacedPrediction` is ``spurious`` with ``pred_label``/``pred_text``,
    no offsets and no context (``placed`` is False), and ``reason`` = :data:`UNPLACED_REASON`.
    """

    error: ErrorClass
    doc_id: str
    layer: str
    gold_start: int | None = None
    gold_end: int | None = None
    gold_label: str | None = None
    gold_text: str | None = None
    pred_start: int | None = None
    pred_end: int | None = None
    pred_label: str | None = None
    pred_text: str | None = None
    left_context: str | None = None
    right_context: str | None = None
    reason: str | None = None

    @property
    def placed(self) -> bool:
        """Whether the record has offsets (False for a prediction not placed in the text)."""
        return self.gold_start is not None or self.pred_start is not None

    @property
    def start(self) -> int | None:
        """Start of the union of both spans; ``None`` when the record is not placed."""
        return min((x for x in (self.gold_start, self.pred_start) if x is not None), default=None)

    @property
    def end(self) -> int | None:
        """End of the union of both spans; ``None`` when the record is not placed."""
        return max((x for x in (self.gold_end, self.pred_end) if x is not None), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            name: (getattr(self, name).value if name == "error" else getattr(self, name))
            for name in self.__slots__  # type: ignore[attr-defined]
            if getattr(self, name) is not None
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorRecord:
        values = {k: data[k] for k in cls.__slots__ if k in data}  # type: ignore[attr-defined]
        values["error"] = ErrorClass(values["error"])
        return cls(**values)


def _surface(mention: Mention | None, texts: Mapping[str, str] | None) -> str | None:
    if mention is None:
        return None
    if mention.text is not None:
        return mention.text
    if texts is not None and mention.doc_id in texts:
        return texts[mention.doc_id][mention.start:mention.end]
    return None


def error_records(
    pairs: Iterable[AlignedPair],
    texts: Mapping[str, str] | None = None,
    *,
    include_correct: bool = False,
    context: int = 40,
) -> list[ErrorRecord]:
    """List the errors among aligned pairs, each with location, labels and text.

    Parameters
    ----------
    pairs : iterable of AlignedPair
        Output of :func:`eval.align.align`; the class of each pair is its ``outcome``. A pair whose
        prediction could not be placed on the text is listed as ``spurious`` without offsets, with
        ``reason`` :data:`UNPLACED_REASON`.
    texts : mapping of document id to text, optional
        Document texts, for surface strings of mentions that do not carry one, and for context.
    include_correct : bool, default=False
        Also list correct pairs (for a complete per-mention dump).
    context : int, default=40
        Characters of context kept on each side when the text is known.

    Returns
    -------
    list of ErrorRecord
        Sorted by document id, then position, then class: the order a reader scans a report in.
        Within a document, records without offsets come after the placed ones, in input order.
    """
    records: list[ErrorRecord] = []
    for pair in pairs:
        if pair.outcome is ErrorClass.CORRECT and not include_correct:
            continue
        gold, pred = pair.gold, pair.pred
        if isinstance(pred, UnplacedPrediction):
            records.append(ErrorRecord(error=ErrorClass.SPURIOUS, doc_id=pred.doc_id, layer=pred.layer,
                                       pred_label=pred.label, pred_text=pred.text, reason=UNPLACED_REASON))
            continue
        anchor = gold if gold is not None else pred
        if anchor is None:
            raise ValueError("an AlignedPair has neither a gold nor a predicted mention; it cannot be reported.")
        left = right = None
        text = texts.get(anchor.doc_id) if texts is not None else None
        if text is not None:
            start = min(m.start for m in (gold, pred) if m is not None)
            end = max(m.end for m in (gold, pred) if m is not None)
            left, right = text[max(0, start - context):start], text[end:end + context]
        records.append(ErrorRecord(
            error=pair.outcome, doc_id=anchor.doc_id, layer=anchor.layer,
            gold_start=gold.start if gold else None, gold_end=gold.end if gold else None,
            gold_label=gold.label if gold else None, gold_text=_surface(gold, texts),
            pred_start=pred.start if pred else None, pred_end=pred.end if pred else None,
            pred_label=pred.label if pred else None, pred_text=_surface(pred, texts),
            left_context=left, right_context=right,
        ))
    order = {cls: i for i, cls in enumerate((*ERROR_CLASSES, ErrorClass.CORRECT))}
    # sort is stable: unplaced records keep their input order after the placed ones of their document
    records.sort(key=lambda r: (r.layer, _natural(r.doc_id), not r.placed, r.start or 0, r.end or 0, order[r.error]))
    return records


def _natural(doc_id: str) -> tuple[int, int | str]:
    # Sentence indices ("2" before "10") sort as numbers; other ids as strings.
    return (0, int(doc_id)) if doc_id.isdigit() else (1, doc_id)


def errors_by_class(records: Iterable[ErrorRecord]) -> dict[ErrorClass, list[ErrorRecord]]:
    """Group records by class, every error class present (possibly empty), in report order."""
    grouped: dict[ErrorClass, list[ErrorRecord]] = {cls: [] for cls in ERROR_CLASSES}
    for record in records:
        grouped.setdefault(record.error, []).append(record)
    return grouped


def error_counts(pairs: Iterable[AlignedPair]) -> dict[str, int]:
    """How many pairs fall in each class (correct included), every class listed."""
    counts = Counter(pair.outcome for pair in pairs)
    return {cls.value: counts.get(cls, 0) for cls in (ErrorClass.CORRECT, *ERROR_CLASSES)}


def confusion_matrix(
    pairs: Iterable[AlignedPair], labels: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Label confusion matrix of aligned pairs, with a row and a column for "no mention".

    Parameters
    ----------
    pairs : iterable of AlignedPair
        Every aligned pair counts once: matched pairs (whatever their boundaries) at
        ``(gold label, predicted label)``, missed gold mentions at ``(gold label, ∅)`` and spurious
        predictions (placed on the text or not) at ``(∅, predicted label)``. ``(∅, ∅)`` is always 0.
    labels : sequence of str, optional
        Label order; defaults to every label seen, sorted. :data:`NO_MENTION` is appended.

    Returns
    -------
    matrix : ndarray of shape (n_labels + 1, n_labels + 1)
        ``matrix[i, j]`` counts pairs with gold label ``labels[i]`` and predicted label ``labels[j]``;
        rows are gold, columns predictions, as :func:`sklearn.metrics.confusion_matrix`.
    labels : list of str
        The labels of rows and columns, ending with :data:`NO_MENTION`.
    """
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix  # heavy: import on use

    pairs = list(pairs)
    y_true = [pair.gold.label if pair.gold is not None else NO_MENTION for pair in pairs]
    y_pred = [pair.pred.label if pair.pred is not None else NO_MENTION for pair in pairs]
    if labels is None:
        labels = sorted((set(y_true) | set(y_pred)) - {NO_MENTION})
    elif NO_MENTION in labels:
        raise ValueError(f"{NO_MENTION!r} is reserved for 'no mention'; leave it out of `labels`.")
    unknown = (set(y_true) | set(y_pred)) - set(labels) - {NO_MENTION}
    if unknown:
        raise ValueError(f"pairs carry labels {sorted(unknown)} that are not in `labels`; add them or map them.")
    axis = [*labels, NO_MENTION]
    if not y_true:
        import numpy as np

        return np.zeros((len(axis), len(axis)), dtype=np.int64), axis
    return sklearn_confusion_matrix(y_true, y_pred, labels=axis), axis


def per_document_scores(
    pairs: Iterable[AlignedPair],
    mode: MatchMode = "strict",
    *,
    documents: Sequence[str] | None = None,
    layer: str = "entities",
    zero_division: float = 0.0,
) -> dict[str, LabelScore]:
    """Micro-averaged P/R/F1 of each document on its own (for spotting the documents a model fails on).

    Parameters
    ----------
    pairs : iterable of AlignedPair
    mode : {"strict", "exact", "partial", "type"}, default="strict"
    documents : sequence of str, optional
        Every document id to report, including those without any mention (scored with
        ``zero_division``). Defaults to the ids seen in ``pairs``.
    layer : str, default="entities"
    zero_division : float, default=0.0

    Returns
    -------
    dict of document id to LabelScore
        The ``micro`` row of each document; ``label`` is the document id.
    """
    from eval.stats import unit_counts

    counts = unit_counts(pairs, mode, layer=layer, units=documents)
    tp, fp, fn = counts.micro.T  # type: ignore[union-attr]
    scores = {}
    for row, doc_id in enumerate(counts.units):
        t, p, n = float(tp[row]), float(fp[row]), float(fn[row])
        precision = t / (t + p) if t + p else zero_division
        recall = t / (t + n) if t + n else zero_division
        f1 = 2 * t / (2 * t + p + n) if t + p + n else zero_division
        scores[doc_id] = LabelScore(doc_id, t, p, n, precision, recall, f1, support=round(t + n))
    return scores


__all__ = [
    "ERROR_CLASSES", "ERROR_DESCRIPTIONS", "NO_MENTION", "SCORABLE_UNALIGNED_REASONS", "UNPLACED_REASON",
    "ErrorRecord", "UnplacedPrediction", "confusion_matrix", "error_counts", "error_records", "errors_by_class",
    "per_document_scores",
]
