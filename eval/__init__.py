"""akhbar's evaluation: score extraction models against gold Arabic news annotations.

Typical use::

    from eval import BootstrapOptions, ScoringOptions, evaluate, load_gold, load_predictions, render

    gold = load_gold("out/sana-sample/1.0.0", split="test")
    pred = load_predictions("predictions.jsonl", documents=gold.by_id())
    result = evaluate(gold, pred, options=ScoringOptions(modes=("strict", "partial")),
                      intervals=BootstrapOptions(resamples=1000, seed=0))
    print(render(result, "table"))

Stages, in the order data flows: ``gold``/``predictions`` (inputs) -> ``align`` -> ``score``
-> ``stats`` and ``errors`` -> ``report``/``html``. ``run_evaluation(EvalRequest(...))`` does what
``akhbar eval`` does in one call, ``compare_runs(run_a, run_b)`` what ``akhbar compare`` does. Settings
travel as frozen options objects: :class:`~eval.options.ScoringOptions` (what is scored and how),
:class:`~eval.options.BootstrapOptions` (intervals), ``eval.compare.ComparisonOptions`` and
``eval.benchmark.BenchmarkOptions``.
Names are imported on first use (module ``__getattr__``), so ``import eval`` costs nothing and
the fast CoNLL scoring path never loads ``datasets`` or scikit-learn.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from eval.types import (
    MATCH_MODES,
    AlignedPair,
    ErrorClass,
    LabelScore,
    MatchMode,
    Mention,
    ScoreReport,
    UnplacedPrediction,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from eval.align import align
    from eval.bio import mentions_from_tags
    from eval.compare import Comparison, ComparisonOptions, compare_runs
    from eval.errors import ErrorRecord, confusion_matrix, error_records, per_document_scores
    from eval.evaluate import EvalResult, LayerResult, Provenance, evaluate, evaluate_tags
    from eval.gold import DatasetRef, GoldSet, load_gold, mentions_of
    from eval.hf import make_compute_metrics
    from eval.labels import LabelMap, map_mentions
    from eval.links import LinkScore, score_links
    from eval.mentions import align_mentions
    from eval.model import Model, run_model
    from eval.options import NO_INTERVALS, BootstrapOptions, ScoringOptions
    from eval.predictions import (
        OffsetFreePredictions,
        Predictions,
        SpanPredictions,
        TagPredictions,
        load_predictions,
    )
    from eval.report import render
    from eval.run import EvalRequest, run_evaluation
    from eval.score import score, score_modes, score_pairs, score_tags
    from eval.stats import (
        ConfidenceInterval,
        SignificanceResult,
        UnitCounts,
        approximate_randomization,
        bootstrap_ci,
        paired_bootstrap,
        unit_counts,
    )

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "align": "eval.align",
    "mentions_from_tags": "eval.bio",
    "Comparison": "eval.compare",
    "compare_runs": "eval.compare",
    "ComparisonOptions": "eval.compare",
    "ErrorRecord": "eval.errors",
    "confusion_matrix": "eval.errors",
    "error_records": "eval.errors",
    "per_document_scores": "eval.errors",
    "EvalResult": "eval.evaluate",
    "LayerResult": "eval.evaluate",
    "Provenance": "eval.evaluate",
    "evaluate": "eval.evaluate",
    "evaluate_tags": "eval.evaluate",
    "DatasetRef": "eval.gold",
    "GoldSet": "eval.gold",
    "load_gold": "eval.gold",
    "mentions_of": "eval.gold",
    "make_compute_metrics": "eval.hf",
    "LabelMap": "eval.labels",
    "map_mentions": "eval.labels",
    "LinkScore": "eval.links",
    "score_links": "eval.links",
    "align_mentions": "eval.mentions",
    "Model": "eval.model",
    "run_model": "eval.model",
    "BootstrapOptions": "eval.options",
    "NO_INTERVALS": "eval.options",
    "ScoringOptions": "eval.options",
    "OffsetFreePredictions": "eval.predictions",
    "Predictions": "eval.predictions",
    "SpanPredictions": "eval.predictions",
    "TagPredictions": "eval.predictions",
    "load_predictions": "eval.predictions",
    "render": "eval.report",
    "EvalRequest": "eval.run",
    "run_evaluation": "eval.run",
    "score": "eval.score",
    "score_modes": "eval.score",
    "score_pairs": "eval.score",
    "score_tags": "eval.score",
    "ConfidenceInterval": "eval.stats",
    "SignificanceResult": "eval.stats",
    "UnitCounts": "eval.stats",
    "approximate_randomization": "eval.stats",
    "bootstrap_ci": "eval.stats",
    "paired_bootstrap": "eval.stats",
    "unit_counts": "eval.stats",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


#: Public functions named like the module that defines them.
_NAMED_LIKE_THEIR_MODULE = frozenset({"align", "evaluate", "score"})


class _Package(ModuleType):
    """The ``eval`` package, whose ``evaluate``, ``align`` and ``score`` stay the functions.

    Python binds a submodule as an attribute of its package when the submodule is first imported.
    Without this, ``from eval.evaluate import EvalResult`` (or anything importing ``eval.evaluate``)
    followed by ``from eval import evaluate`` would give the module, not the function. Submodules
    are still imported as usual (``from eval.evaluate import EvalResult``); only the package
    attribute is the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _NAMED_LIKE_THEIR_MODULE and isinstance(value, ModuleType) and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "MATCH_MODES",
    "NO_INTERVALS",
    "AlignedPair",
    "BootstrapOptions",
    "Comparison",
    "ComparisonOptions",
    "ConfidenceInterval",
    "DatasetRef",
    "ErrorClass",
    "ErrorRecord",
    "EvalRequest",
    "EvalResult",
    "GoldSet",
    "LabelMap",
    "LabelScore",
    "LayerResult",
    "LinkScore",
    "MatchMode",
    "Mention",
    "Model",
    "OffsetFreePredictions",
    "Predictions",
    "Provenance",
    "ScoreReport",
    "ScoringOptions",
    "SignificanceResult",
    "SpanPredictions",
    "TagPredictions",
    "UnitCounts",
    "UnplacedPrediction",
    "align",
    "align_mentions",
    "approximate_randomization",
    "bootstrap_ci",
    "compare_runs",
    "confusion_matrix",
    "error_records",
    "evaluate",
    "evaluate_tags",
    "load_gold",
    "load_predictions",
    "make_compute_metrics",
    "map_mentions",
    "mentions_from_tags",
    "mentions_of",
    "paired_bootstrap",
    "per_document_scores",
    "render",
    "run_evaluation",
    "run_model",
    "score",
    "score_links",
    "score_modes",
    "score_pairs",
    "score_tags",
    "unit_counts",
]
