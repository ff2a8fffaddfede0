"""Typed results shared by every stage of evaluation.

Evaluation flows one way: load gold and predictions -> align -> match -> score -> report.
These are the values that pass between stages. Offsets are character offsets into a document
text when scoring documents, or token indices when scoring tag sequences; ``end`` is exclusive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

MatchMode = Literal["strict", "exact", "partial", "type"]
MATCH_MODES: tuple[MatchMode, ...] = ("strict", "exact", "partial", "type")


@dataclass(frozen=True, slots=True, order=True)
class Mention:
    """One span to score: a gold or predicted mention in a document (or sentence) and a layer."""

    doc_id: str
    start: int
    end: int
    label: str
    layer: str = "entities"
    text: str | None = field(default=None, compare=False)
    id: str | None = field(default=None, compare=False)


class ErrorClass(StrEnum):
    """SemEval-2013 9.1 style outcome of one aligned gold/predicted pair."""

    CORRECT = "correct"  # same boundaries, same label
    MISSED = "missed"  # gold with no overlapping prediction
    SPURIOUS = "spurious"  # prediction with no overlapping gold
    WRONG_LABEL = "wrong_label"  # same boundaries, other label
    WRONG_BOUNDARY = "wrong_boundary"  # overlap, same label, other boundaries
    WRONG_LABEL_BOUNDARY = "wrong_label_boundary"  # overlap, other label and boundaries
    CLITIC_BOUNDARY = "clitic_boundary"  # boundaries differ only by attached proclitics (opt-in tolerance)


#: Reasons of :class:`eval.mentions.UnalignedMention` that leave a usable prediction (a label and a
#: string the text does not support); ``malformed`` and ``empty-text`` assert nothing to score.
SCORABLE_UNALIGNED_REASONS: frozenset[str] = frozenset({"not-found", "inside-word", "occurrences-exhausted"})


@dataclass(frozen=True, slots=True)
class UnplacedPrediction:
    """A predicted mention with a document, a layer and a label that could not be placed on the text.

    The system asserted a mention the text does not support (a hallucinated name, a string found only
    inside other words, one occurrence too many), so it is a spurious prediction. Having no offsets it
    matches no gold mention: :func:`eval.align.align` returns it as a pair with no gold side.

    Attributes
    ----------
    doc_id, layer, label, text : str
        Where it was predicted and what it said.
    why : str
        The alignment reason (``not-found``, ``inside-word`` or ``occurrences-exhausted``).
    """

    doc_id: str
    layer: str
    label: str
    text: str
    why: str = "not-found"

    @classmethod
    def from_unaligned(cls, unaligned: Any) -> UnplacedPrediction | None:
        """The scorable form of an :class:`eval.mentions.UnalignedMention`, or ``None`` when it has no
        label or document, or its reason (``malformed``, ``empty-text``) leaves nothing to score."""
        label, doc_id, reason = (getattr(unaligned, name, None) for name in ("label", "doc_id", "reason"))
        if not isinstance(label, str) or not isinstance(doc_id, str) or reason not in SCORABLE_UNALIGNED_REASONS:
            return None
        return cls(doc_id, str(getattr(unaligned, "layer", "entities")), label, str(unaligned.text), reason)

    def to_dict(self) -> dict[str, str]:
        return {"doc_id": self.doc_id, "layer": self.layer, "label": self.label, "text": self.text, "why": self.why}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnplacedPrediction:
        return cls(data["doc_id"], data["layer"], data["label"], data["text"], data.get("why", "not-found"))


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """A gold mention, a predicted mention, or both, with how they relate. Independent of mode.

    A prediction that could not be placed on the text (:class:`UnplacedPrediction`) is a pair with no
    gold side and outcome ``SPURIOUS``; ``placed`` is False for it, and it has no offsets to show.
    """

    gold: Mention | None
    pred: Mention | UnplacedPrediction | None
    outcome: ErrorClass

    @property
    def placed(self) -> bool:
        """Whether every mention of the pair has offsets (False for an unplaced prediction)."""
        return not isinstance(self.pred, UnplacedPrediction)


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str
    tp: float
    fp: float
    fn: float
    precision: float
    recall: float
    f1: float
    support: int  # number of gold mentions

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": self.precision, "recall": self.recall, "f1": self.f1, "support": self.support,
        }


@dataclass(frozen=True, slots=True)
class ScoreReport:
    """Scores of one layer under one matching mode: per label and averaged."""

    mode: MatchMode
    layer: str
    per_label: dict[str, LabelScore]
    micro: LabelScore
    macro: LabelScore
    weighted: LabelScore
    n_gold: int
    n_pred: int
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "layer": self.layer,
            "per_label": {k: v.to_dict() for k, v in self.per_label.items()},
            "micro": self.micro.to_dict(), "macro": self.macro.to_dict(), "weighted": self.weighted.to_dict(),
            "n_gold": self.n_gold, "n_pred": self.n_pred, "settings": self.settings,
        }
