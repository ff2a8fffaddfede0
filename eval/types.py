"""Typed results shared by every stage of evaluation.

Evaluation flows one way: load gold and predictions -> align -> match -> score -> report.
These are the values that pass between stages. Offsets are character offsets into a document
text when scoring documents, or token indices when scoring tag sequences; ``end`` is exclusive.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """A gold mention, a predicted mention, or both, with how they relate. Independent of mode."""

    gold: Mention | None
    pred: Mention | None
    outcome: ErrorClass


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
