"""A ``compute_metrics`` for the Hugging Face ``transformers`` Trainer, scored the akhbar way.

``transformers`` is not a dependency: the returned function accepts anything shaped like
``transformers.EvalPrediction`` — an object with ``predictions`` and ``label_ids`` attributes, or a
``(predictions, label_ids)`` tuple — so it can be tested, and used, without it.

Example
-------
>>> from datasets import ClassLabel
>>> from eval.hf import make_compute_metrics
>>> tags = ClassLabel(names=["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE"])
>>> compute_metrics = make_compute_metrics(tags)
>>> labels = [[0, 1, 2, 0, 3, -100]]          # -100: special tokens and non-first sub-words
>>> predicted_ids = [[0, 1, 2, 0, 0, 4]]
>>> metrics = compute_metrics((predicted_ids, labels))
>>> metrics["precision"], metrics["recall"], metrics["PERS_f1"], metrics["GPE_f1"]
(1.0, 0.5, 1.0, 0.0)

Pass it as ``Trainer(..., compute_metrics=compute_metrics)``; the Trainer prefixes keys with
``eval_``, e.g. ``eval_f1`` for ``metric_for_best_model="f1"``.

Key layouts
-----------
``keys="akhbar"`` (the default, kept so existing ``metric_for_best_model="f1"`` settings keep
working): ``precision``, ``recall``, ``f1``, ``accuracy`` and ``<TYPE>_precision/_recall/_f1/_support``.

``keys="hf"``: Hugging Face ``evaluate``'s seqeval layout, flattened the way transformers'
``run_ner.py`` flattens it with ``return_entity_level_metrics``: ``<TYPE>_precision``,
``<TYPE>_recall``, ``<TYPE>_f1``, ``<TYPE>_number`` (an int, as seqeval's support) for each type,
then ``overall_precision``, ``overall_recall``, ``overall_f1``, ``overall_accuracy``, so code
written for ``evaluate.load("seqeval")`` (``metric_for_best_model="overall_f1"``) reads it unchanged.

Both layouts add ``macro_precision/_recall/_f1`` and ``weighted_precision/_recall/_f1`` (seqeval's
``macro avg`` and ``weighted avg``: over the types present in gold or predictions), and both list
every entity type of the label inventory, present or not, so every eval set of one inventory gives
the same key set (an absent type has support/number 0 and the ``zero_division`` value elsewhere).

>>> sorted(make_compute_metrics(tags, keys="hf")((predicted_ids, labels)))[:6]
['GPE_f1', 'GPE_number', 'GPE_precision', 'GPE_recall', 'PERS_f1', 'PERS_number']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from eval.types import MatchMode

IGNORE_INDEX = -100  # what Hugging Face token-classification collators put on positions not to score


def _label_names(label_feature: Any) -> list[str]:
    # ClassLabel, a List/Sequence feature wrapping one, or plain names.
    inner = getattr(label_feature, "feature", None)
    if inner is not None and hasattr(inner, "names"):
        label_feature = inner
    names = getattr(label_feature, "names", label_feature)
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise TypeError(
            "label_feature must be a datasets.ClassLabel (or a List of one) or a non-empty sequence of tag names, "
            f"not {type(label_feature).__name__}."
        )
    return [str(name) for name in names]


def _unpack(eval_prediction: Any) -> tuple[Any, Any]:
    if hasattr(eval_prediction, "predictions") and hasattr(eval_prediction, "label_ids"):
        return eval_prediction.predictions, eval_prediction.label_ids
    try:
        predictions, label_ids = eval_prediction[0], eval_prediction[1]
    except (TypeError, IndexError, KeyError):
        raise TypeError("expected an EvalPrediction or a (predictions, label_ids) tuple.") from None
    return predictions, label_ids


def _predicted_ids(predictions: Any, n_labels: int) -> np.ndarray:
    if isinstance(predictions, tuple):
        # Models that return extra outputs (hidden states, ...) give a tuple whose first item is the logits.
        predictions = predictions[0]
    array = np.asarray(predictions)
    if array.ndim == 3:
        if array.shape[-1] != n_labels:
            raise ValueError(f"logits have {array.shape[-1]} classes but the label feature has {n_labels} names; "
                             "pass the ClassLabel the model was trained with.")
        return array.argmax(axis=-1)
    if array.ndim != 2:
        raise ValueError(f"predictions must be ids of shape (batch, seq_len) or logits of shape (batch, seq_len, "
                         f"n_labels); got shape {array.shape}.")
    return array


def _entity_types(names: Sequence[str], scheme: str, conlleval_compat: bool) -> list[str]:
    """The entity types the tag names can produce, read by the same decoder that scores them."""
    from eval.bio import decode, encode_tags

    (encoded,) = encode_tags([[name] for name in names])
    chunks = decode(encoded, scheme=scheme, decoder="lenient", conlleval_compat=conlleval_compat)  # type: ignore[arg-type]
    return sorted({chunks.types[i] for i in np.unique(chunks.type_id)})


def make_compute_metrics(
    label_feature: Any,
    *,
    scheme: str = "IOB2",
    mode: MatchMode = "strict",
    decoder: Literal["lenient", "strict"] = "lenient",
    zero_division: float = 0.0,
    keys: Literal["akhbar", "hf"] = "akhbar",
    conlleval_compat: bool = False,
) -> Callable[[Any], dict[str, float]]:
    """Build a ``compute_metrics(eval_prediction) -> dict`` for ``transformers.Trainer``.

    Parameters
    ----------
    label_feature : datasets.ClassLabel or sequence of str
        The tag names, in id order (e.g. ``dataset.features["ner_tags"].feature``).
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, default="IOB2"
    mode : {"strict", "exact", "partial", "type"}, default="strict"
        Entity matching mode (see :func:`eval.score.score_tags`).
    decoder : {"lenient", "strict"}, default="lenient"
        How ill-formed tag sequences become chunks (conlleval's way, or seqeval strict's).
    zero_division : float, default=0.0
    keys : {"akhbar", "hf"}, default="akhbar"
        Key layout (module notes): akhbar's, or Hugging Face evaluate's seqeval layout flattened as
        transformers' ``run_ner.py`` does.
    conlleval_compat : bool, default=False
        Read tags the way conlleval.pl does (any tag, e.g. the digit ``0`` as outside), as in
        :func:`eval.bio.decode`.

    Returns
    -------
    callable
        Takes ``(predictions, label_ids)`` — predictions as logits ``(batch, seq_len, n_labels)``
        (argmax is taken) or ids ``(batch, seq_len)``; positions whose label is ``-100`` are
        ignored — and returns ``precision``, ``recall``, ``f1`` (micro, entity level), ``accuracy``
        (token level, over scored positions) and ``<LABEL>_precision``, ``<LABEL>_recall``,
        ``<LABEL>_f1`` and ``<LABEL>_support`` for each entity type, all plain floats, plus the
        macro and weighted averages; or, with ``keys="hf"``, the layout in the module notes.
    """
    if keys not in ("akhbar", "hf"):
        raise ValueError(f"keys={keys!r}; use 'akhbar' or 'hf' (Hugging Face evaluate's seqeval layout).")
    names = _label_names(label_feature)
    types = _entity_types(names, scheme, conlleval_compat)

    def compute_metrics(eval_prediction: Any) -> dict[str, float]:
        from eval.score import score_tags

        predictions, label_ids = _unpack(eval_prediction)
        predicted = _predicted_ids(predictions, len(names))
        labels = np.asarray(label_ids)
        if predicted.shape != labels.shape:
            raise ValueError(f"predictions have shape {predicted.shape} but label_ids {labels.shape}; "
                             "they must cover the same (batch, seq_len) positions.")
        keep = labels != IGNORE_INDEX
        if ((labels[keep] < 0) | (labels[keep] >= len(names))).any() or (
                (predicted[keep] < 0) | (predicted[keep] >= len(names))).any():
            raise ValueError(f"a label or predicted id is outside 0..{len(names) - 1} (the {len(names)} tag names).")
        y_true = [[names[i] for i in row[mask]] for row, mask in zip(labels, keep, strict=True)]
        y_pred = [[names[i] for i in row[mask]] for row, mask in zip(predicted, keep, strict=True)]
        report = score_tags(y_true, y_pred, scheme=scheme, decoder=decoder, mode=mode, zero_division=zero_division,
                            conlleval_compat=conlleval_compat)
        n_scored = int(keep.sum())
        accuracy = float((predicted[keep] == labels[keep]).sum() / n_scored) if n_scored else 0.0
        absent = float(zero_division)
        metrics: dict[str, float] = {}
        if keys == "akhbar":
            metrics.update(precision=float(report.micro.precision), recall=float(report.micro.recall),
                           f1=float(report.micro.f1), accuracy=accuracy)
        for label in sorted({*types, *report.per_label}):
            score = report.per_label.get(label)
            metrics[f"{label}_precision"] = float(score.precision) if score else absent
            metrics[f"{label}_recall"] = float(score.recall) if score else absent
            metrics[f"{label}_f1"] = float(score.f1) if score else absent
            if keys == "hf":
                metrics[f"{label}_number"] = score.support if score else 0
            else:
                metrics[f"{label}_support"] = float(score.support) if score else 0.0
        if keys == "hf":
            metrics.update(overall_precision=float(report.micro.precision), overall_recall=float(report.micro.recall),
                           overall_f1=float(report.micro.f1), overall_accuracy=accuracy)
        for name, average in (("macro", report.macro), ("weighted", report.weighted)):
            metrics[f"{name}_precision"] = float(average.precision)
            metrics[f"{name}_recall"] = float(average.recall)
            metrics[f"{name}_f1"] = float(average.f1)
        return metrics

    return compute_metrics


__all__ = ["IGNORE_INDEX", "make_compute_metrics"]
