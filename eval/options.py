"""How to score and how to resample: the two typed options objects of every evaluation.

:class:`ScoringOptions` says what is scored and how predictions are matched (modes, layers, label
map, kept and ignored labels, clitic tolerance, minimum overlap, zero division, unplaced
mentions); :class:`BootstrapOptions` says how confidence intervals are drawn (resamples, level,
seed). A caller (``akhbar eval``, :class:`eval.run.EvalRequest`, :func:`eval.benchmark.run_benchmark`,
a script) builds each once; :func:`eval.evaluate.evaluate` and :func:`eval.evaluate.evaluate_tags`
take them as they are and pass them down unchanged. Both are checked when they are made: a bad
value is an :class:`~dataset_builder.problems.InputError` that names the option and the fix.

Examples
--------
>>> from eval.options import NO_INTERVALS, BootstrapOptions, ScoringOptions
>>> ScoringOptions(modes=["strict", "partial"], ignore_labels=["MISC"]).modes
('strict', 'partial')
>>> BootstrapOptions(resamples=200, seed=3).confidence
0.95
>>> NO_INTERVALS.resamples
0
>>> ScoringOptions(min_overlap=1.5)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
dataset_builder.problems.InputError: <input>: error[usage] min_overlap=1.5 is outside (0, 1]. Fix: Give the share ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from dataset_builder.problems import InputError, Problem
from eval.types import MATCH_MODES, MatchMode

if TYPE_CHECKING:
    from eval.score import ZeroDivision

UnalignedPolicy = Literal["spurious", "ignore"]
UNALIGNED_POLICIES: tuple[UnalignedPolicy, ...] = ("spurious", "ignore")


def _refuse(message: str, fix: str = "") -> InputError:
    return InputError(Problem("usage", message, fix))


def _strings(value: Sequence[str] | None) -> tuple[str, ...] | None:
    # A lone string is a common slip for a one-element list; refuse it rather than score its letters.
    if isinstance(value, str):
        raise _refuse(f"{value!r} is a string where a list of names is expected.", f"Pass [{value!r}].")
    return None if value is None else tuple(value)


@dataclass(frozen=True)
class ScoringOptions:
    """What is scored and how predictions are matched to gold.

    Attributes
    ----------
    modes : sequence of {"strict", "exact", "partial", "type"}, default=all four
        Matching modes (SemEval-2013 task 9.1): strict = same boundaries and label; exact = same
        boundaries; partial = overlap counts half; type = overlap and same label.
    layers : sequence of str, optional
        Layers to score; defaults to every layer that has gold spans. (Tag sequences have one
        layer, named by ``evaluate_tags(layer=...)``.)
    label_map : LabelMap, mapping or path to YAML, optional
        Applied to gold and predictions before scoring (e.g. fine types -> PERS/LOC/ORG/MISC).
    labels : sequence of str, optional
        Score only these labels (after ``label_map``): mentions of other labels leave gold and
        predictions before matching, as nervaluate's ``tags`` do. Default: every label.
    ignore_labels : sequence of str, default=()
        Labels removed from gold and predictions before scoring.
    clitic_tolerance : bool, default=False
        Let boundaries that differ only by attached proclitics (و ف ب ل ك, ال) match; such pairs
        are counted correct but listed under their own error class, ``clitic_boundary``. Needs the
        document texts, so tag sequences never use it.
    min_overlap : float, optional
        The share of a gold mention (0 < ratio <= 1) a prediction must cover to be paired with it in
        any mode, nervaluate's ``min_overlap_percentage`` / 100 (:func:`eval.align.align`). Default:
        one shared position.
    zero_division : float or "warn", default=0.0
        Value of a metric whose denominator is zero, as in scikit-learn.
    unaligned : {"spurious", "ignore"}, default="spurious"
        What an offset-free predicted mention that could not be placed on its document's text counts
        for (docs/evaluation.md): ``spurious``, a false positive of its label in every mode;
        ``ignore``, not scored. Either way each one is listed in the result's ``problems``.

    Examples
    --------
    >>> from eval.options import ScoringOptions
    >>> ScoringOptions(modes=("strict",), label_map="newsfane-to-anercorp", ignore_labels=("MISC",)).ignore_labels
    ('MISC',)
    >>> ScoringOptions(modes=("lenient",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dataset_builder.problems.InputError: <input>: error[usage] unknown matching mode(s) ['lenient']. Fix: Choose ...
    """

    modes: Sequence[MatchMode] = MATCH_MODES
    layers: Sequence[str] | None = None
    label_map: Any = None
    labels: Sequence[str] | None = None
    ignore_labels: Sequence[str] = ()
    clitic_tolerance: bool = False
    min_overlap: float | None = None
    zero_division: ZeroDivision = 0.0
    unaligned: UnalignedPolicy = "spurious"

    def __post_init__(self) -> None:
        modes = _strings(self.modes) or ()
        unknown = [m for m in modes if m not in MATCH_MODES]
        if unknown or not modes:
            raise _refuse(f"unknown matching mode(s) {unknown}.", f"Choose from {list(MATCH_MODES)}.")
        object.__setattr__(self, "modes", modes)
        object.__setattr__(self, "layers", _strings(self.layers))
        object.__setattr__(self, "labels", _strings(self.labels))
        object.__setattr__(self, "ignore_labels", _strings(self.ignore_labels))
        if self.min_overlap is not None:
            from eval.align import check_min_overlap  # imported here: numpy only when an overlap is set

            try:
                check_min_overlap(self.min_overlap)
            except ValueError as exc:
                message, _, fix = str(exc).partition(": ")
                raise _refuse(f"{message} is outside (0, 1].", fix[0].upper() + fix[1:]) from None
        if self.unaligned not in UNALIGNED_POLICIES:
            raise _refuse(f"unaligned={self.unaligned!r} is not a policy.", f"Choose from {list(UNALIGNED_POLICIES)}.")
        if self.zero_division != "warn" and not isinstance(self.zero_division, int | float):
            raise _refuse(f"zero_division={self.zero_division!r} is not a number.",
                          "Give a number (0.0, 1.0, nan) or 'warn'.")

    @property
    def float_zero_division(self) -> float:
        """The float used where scikit-learn's ``"warn"`` has no meaning (resampling, link ratios): 0.0."""
        return 0.0 if self.zero_division == "warn" else float(self.zero_division)


@dataclass(frozen=True)
class BootstrapOptions:
    """How confidence intervals are drawn: resamples of the test units (documents or sentences).

    Attributes
    ----------
    resamples : int, default=1000
        Bootstrap resamples; ``0`` skips the intervals.
    confidence : float, default=0.95
        Level of the intervals, 0 < confidence < 1.
    seed : int, default=0
        Seed of the resampling.

    Examples
    --------
    >>> from eval.options import BootstrapOptions
    >>> BootstrapOptions(resamples=500, confidence=0.9, seed=1).resamples
    500
    >>> BootstrapOptions(confidence=95)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dataset_builder.problems.InputError: <input>: error[usage] confidence=95 is outside (0, 1). Fix: Give the level ...
    """

    resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.resamples, bool) or not isinstance(self.resamples, int) or self.resamples < 0:
            raise _refuse(f"bootstrap resamples={self.resamples!r} is not a count.",
                          "Pass 0 to skip confidence intervals, or a positive count like 1000.")
        if not 0.0 < self.confidence < 1.0:
            raise _refuse(f"confidence={self.confidence} is outside (0, 1).",
                          "Give the level as a share, 0 < confidence < 1 (e.g. 0.95).")


#: No confidence intervals: the scores alone (fast, for tests and quick looks).
NO_INTERVALS = BootstrapOptions(resamples=0)

__all__ = ["NO_INTERVALS", "UNALIGNED_POLICIES", "BootstrapOptions", "ScoringOptions", "UnalignedPolicy"]
