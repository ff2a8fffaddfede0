"""One call from gold and predictions to a complete, reproducible evaluation result.

:func:`evaluate` runs every stage — label mapping, alignment, scoring under each matching mode,
bootstrap confidence intervals, error analysis, confusion matrices, link scoring — and returns an
:class:`EvalResult` that records *what* was scored as well as the scores: the dataset identity and
fingerprint, a hash of the predictions, every setting and the akhbar version. ``to_json()`` and
``from_json()`` round-trip it, so a stored run can be re-rendered (:mod:`eval.report`) or compared
with another run (``akhbar compare``) later.

:func:`evaluate_tags` is the same for token tag sequences (``y_true``/``y_pred`` as lists of tag
lists), where units are sentences and offsets are token indices.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dataset_builder.model import Document
from dataset_builder.problems import Problem, Severity
from eval.errors import ErrorRecord, confusion_matrix, error_counts, error_records
from eval.nested import NestedScore, has_nesting, nested_scores
from eval.options import UNALIGNED_POLICIES, BootstrapOptions, ScoringOptions, UnalignedPolicy
from eval.stats import ConfidenceInterval, UnitCounts, bootstrap_intervals, unit_counts
from eval.types import (
    AlignedPair,
    ErrorClass,
    LabelScore,
    Mention,
    ScoreReport,
    UnplacedPrediction,
)

if TYPE_CHECKING:
    from eval.gold import GoldSet
    from eval.model import Model
    from eval.predictions import OffsetFreePredictions, Predictions, SpanPredictions

#: Version of the JSON layout written by :meth:`EvalResult.to_json`; bumped on incompatible change.
RESULT_SCHEMA_VERSION = 1
RESULT_KIND = "akhbar-eval-result"



# ---------------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class LayerResult:
    """Everything measured on one annotation layer.

    Attributes
    ----------
    layer : str
    scores : dict of mode to ScoreReport
        Per-label and averaged P/R/F1 under each matching mode.
    intervals : dict of mode to {average or label: {metric: ConfidenceInterval}}
        Bootstrap intervals (empty when ``bootstrap=0``).
    counts : dict of mode to UnitCounts
        TP/FP/FN per unit and label: what per-document scores and paired tests are computed from.
    error_counts : dict of str to int
        Number of aligned pairs in each :class:`~eval.types.ErrorClass`.
    errors : list of ErrorRecord
        Every pair that is not correct, located and quoted.
    confusion : (matrix as nested lists, labels)
        Gold label (rows) against predicted label (columns), ``∅`` for no mention.
    pairs : list of AlignedPair
        The alignment itself (correct pairs included), for rendering documents; it ends with the
        predictions that could not be placed on the text (``unaligned="spurious"``), pairs with no
        gold side and no offsets that every figure above counts as spurious.
    nested : dict of mode to {subset: NestedScore}
        Scores of the flat, inner and outer mentions and of nesting pairs (:mod:`eval.nested`);
        empty when neither side of the layer nests a mention in another.
    """

    layer: str
    scores: dict[str, ScoreReport]
    intervals: dict[str, dict[str, dict[str, ConfidenceInterval]]]
    counts: dict[str, UnitCounts]
    error_counts: dict[str, int]
    errors: list[ErrorRecord]
    confusion: tuple[list[list[int]], list[str]]
    pairs: list[AlignedPair] = field(default_factory=list)
    nested: dict[str, dict[str, NestedScore]] = field(default_factory=dict)

    @property
    def unplaced(self) -> list[UnplacedPrediction]:
        """The predictions of this layer that could not be placed on the text, scored as spurious."""
        return [pair.pred for pair in self.pairs if isinstance(pair.pred, UnplacedPrediction)]

    @property
    def placed_pairs(self) -> list[AlignedPair]:
        """The pairs with offsets on both sides present: what a document view can highlight."""
        return [pair for pair in self.pairs if pair.placed]

    def per_document(self, mode: str = "strict", metric: str = "f1") -> dict[str, float]:
        """Micro metric of every unit (document or sentence) on its own."""
        return self.counts[mode].per_unit(metric)  # type: ignore[arg-type]

    def document_macro(self, mode: str = "strict") -> dict[str, float]:
        """Mean and standard deviation over units of each unit's micro P/R/F1, as the HIPE scorer's
        ``macro_doc`` reports them (docs/evaluation.md, "Per-document macro scores").

        Returns ``{"precision": mean, "precision_std": std, ..., "units": n}`` (population std,
        ``numpy.std``; a unit with no gold and no predicted mention scores 0, as in ``per_document``).
        """
        import numpy as np

        out: dict[str, float] = {}
        for metric in ("precision", "recall", "f1"):
            values = np.fromiter(self.counts[mode].per_unit(metric).values(), dtype=np.float64)  # type: ignore[arg-type]
            out[metric] = float(values.mean()) if len(values) else math.nan
            out[f"{metric}_std"] = float(values.std()) if len(values) else math.nan
        out["units"] = self.counts[mode].n_units
        return out


@dataclass(frozen=True)
class Provenance:
    """What was evaluated, with what, how and by which version: enough to reproduce a run.

    ``gold_fingerprint`` hashes the gold mentions actually scored (after label mapping) and the
    list of units, so two runs are comparable exactly when it is equal.
    """

    dataset: dict[str, Any] | None
    gold_fingerprint: str
    predictions: dict[str, Any]
    settings: dict[str, Any]
    akhbar_version: str
    environment: dict[str, str]
    created: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "gold_fingerprint": self.gold_fingerprint, "predictions": self.predictions,
            "settings": self.settings, "akhbar_version": self.akhbar_version, "environment": self.environment,
            "created": self.created,
        }


@dataclass(frozen=True)
class EvalResult:
    """The complete result of :func:`evaluate` or :func:`evaluate_tags`.

    Attributes
    ----------
    layers : dict of layer name to LayerResult
    links : dict of link type to {mode: scores as a dict}
        Link (e.g. quote -> speaker) scores from :mod:`eval.links`; empty when gold has no links.
    units : tuple of str
        Unit ids in test-set order: document ids, or sentence indices for tag sequences.
    unit_kind : {"document", "sentence"}
    provenance : Provenance
    problems : list of Problem
        What was wrong with the input and what it did to the scores: predictions for unknown
        documents and malformed ones (errors: not scored), offset-free mentions that could not be
        placed (warnings: scored as spurious unless ``unaligned="ignore"``), layers not evaluated,
        ... Nothing is dropped silently.
    texts : dict of unit id to text, optional
        Document texts, for rendering documents in reports.
    tokens : dict, optional
        ``{"tokens": n, "correct": k}`` token-level tag agreement, for tag-sequence input.
    """

    layers: dict[str, LayerResult]
    links: dict[str, dict[str, dict[str, Any]]]
    units: tuple[str, ...]
    unit_kind: str
    provenance: Provenance
    problems: list[Problem] = field(default_factory=list)
    texts: dict[str, str] | None = None
    tokens: dict[str, int] | None = None

    def score(self, layer: str = "entities", mode: str = "strict") -> ScoreReport:
        """The :class:`ScoreReport` of one layer under one mode, with a helpful error if absent."""
        if layer not in self.layers:
            raise KeyError(f"layer {layer!r} was not evaluated; evaluated layers: {list(self.layers)}")
        scores = self.layers[layer].scores
        if mode not in scores:
            raise KeyError(f"mode {mode!r} was not evaluated for {layer!r}; evaluated modes: {list(scores)}")
        return scores[mode]

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self.provenance.settings.get("modes", ()))

    # -------------------------------------------------------------------------------- JSON

    def to_dict(self, *, include_pairs: bool = True, include_texts: bool = True) -> dict[str, Any]:
        """A JSON-ready dict (the layout is documented in docs/evaluation.md)."""
        return {
            "kind": RESULT_KIND,
            "schema_version": RESULT_SCHEMA_VERSION,
            "provenance": self.provenance.to_dict(),
            "unit_kind": self.unit_kind,
            "units": list(self.units),
            "tokens": self.tokens,
            "layers": {
                name: {
                    "scores": {mode: report.to_dict() for mode, report in layer.scores.items()},
                    "intervals": {
                        mode: {avg: {m: ci.to_dict() for m, ci in by_metric.items()}
                               for avg, by_metric in by_avg.items()}
                        for mode, by_avg in layer.intervals.items()
                    },
                    "counts": {mode: counts.to_dict() for mode, counts in layer.counts.items()},
                    "error_counts": layer.error_counts,
                    "errors": [record.to_dict() for record in layer.errors],
                    "confusion": {"labels": layer.confusion[1], "matrix": layer.confusion[0]},
                    "pairs": [_pair_to_json(pair) for pair in layer.placed_pairs] if include_pairs else None,
                    "unplaced": [prediction.to_dict() for prediction in layer.unplaced],
                    "document_macro": {mode: layer.document_macro(mode) for mode in layer.counts},
                    **({"nested": {mode: {subset: score.to_dict() for subset, score in by_subset.items()}
                                   for mode, by_subset in layer.nested.items()}} if layer.nested else {}),
                }
                for name, layer in self.layers.items()
            },
            "links": self.links,
            "problems": [problem.to_dict() for problem in self.problems],
            "texts": self.texts if include_texts else None,
        }

    def to_json(self, *, indent: int | None = 1, include_pairs: bool = True, include_texts: bool = True) -> str:
        """Serialize to JSON (UTF-8 text, Arabic kept as is, NaN written as ``null``)."""
        data = _nan_to_none(self.to_dict(include_pairs=include_pairs, include_texts=include_texts))
        return json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalResult:
        if data.get("kind") != RESULT_KIND:
            raise ValueError(f"not an akhbar evaluation result (kind={data.get('kind')!r}); "
                             "pass a file written by `akhbar eval --format json`.")
        if data.get("schema_version") != RESULT_SCHEMA_VERSION:
            raise ValueError(f"result schema version {data.get('schema_version')} is not supported "
                             f"(this akhbar reads version {RESULT_SCHEMA_VERSION}); re-run the evaluation.")
        layers = {}
        for name, raw in data["layers"].items():
            layers[name] = LayerResult(
                layer=name,
                scores={mode: _report_from_dict(report) for mode, report in raw["scores"].items()},
                intervals={
                    mode: {avg: {m: ConfidenceInterval.from_dict(_none_to_nan(ci)) for m, ci in by_metric.items()}
                           for avg, by_metric in by_avg.items()}
                    for mode, by_avg in raw["intervals"].items()
                },
                counts={mode: UnitCounts.from_dict(counts) for mode, counts in raw["counts"].items()},
                error_counts=dict(raw["error_counts"]),
                errors=[ErrorRecord.from_dict(record) for record in raw["errors"]],
                confusion=(raw["confusion"]["matrix"], raw["confusion"]["labels"]),
                pairs=[*(_pair_from_json(pair) for pair in raw.get("pairs") or ()),
                       *(AlignedPair(None, UnplacedPrediction.from_dict(u), ErrorClass.SPURIOUS)
                         for u in raw.get("unplaced") or ())],
                nested={mode: {subset: NestedScore.from_dict(score) for subset, score in by_subset.items()}
                        for mode, by_subset in (raw.get("nested") or {}).items()},
            )
        provenance = Provenance(**data["provenance"])
        problems = [Problem(**{**p, "severity": Severity(p.get("severity", "error"))}) for p in data["problems"]]
        return cls(layers=layers, links=data.get("links") or {}, units=tuple(data["units"]),
                   unit_kind=data["unit_kind"], provenance=provenance, problems=problems,
                   texts=data.get("texts"), tokens=data.get("tokens"))

    @classmethod
    def from_json(cls, text: str) -> EvalResult:
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> EvalResult:
        """Read a result written with ``to_json`` (e.g. by ``akhbar eval --format json --output``)."""
        path = Path(path)
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}). "
                             "Pass a file written by `akhbar eval --format json`.") from None
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None


def _mention_to_json(mention: Mention | None) -> dict[str, Any] | None:
    if mention is None:
        return None
    out: dict[str, Any] = {"doc_id": mention.doc_id, "start": mention.start, "end": mention.end,
                           "label": mention.label, "layer": mention.layer}
    if mention.text is not None:
        out["text"] = mention.text
    if mention.id is not None:
        out["id"] = mention.id
    return out


def _mention_from_json(data: Mapping[str, Any] | None) -> Mention | None:
    return None if data is None else Mention(**data)


def _pair_to_json(pair: AlignedPair) -> list[Any]:
    return [_mention_to_json(pair.gold), _mention_to_json(pair.pred), pair.outcome.value]


def _pair_from_json(data: Sequence[Any]) -> AlignedPair:
    return AlignedPair(_mention_from_json(data[0]), _mention_from_json(data[1]), ErrorClass(data[2]))


def _score_from_dict(data: Mapping[str, Any]) -> LabelScore:
    data = _none_to_nan(data)
    return LabelScore(data["label"], data["tp"], data["fp"], data["fn"], data["precision"], data["recall"],
                      data["f1"], data["support"])


def _report_from_dict(data: Mapping[str, Any]) -> ScoreReport:
    return ScoreReport(
        mode=data["mode"], layer=data["layer"],
        per_label={label: _score_from_dict(s) for label, s in data["per_label"].items()},
        micro=_score_from_dict(data["micro"]), macro=_score_from_dict(data["macro"]),
        weighted=_score_from_dict(data["weighted"]), n_gold=data["n_gold"], n_pred=data["n_pred"],
        settings=dict(data.get("settings") or {}),
    )


_FLOAT_FIELDS = frozenset({"precision", "recall", "f1", "low", "high", "point"})


def _none_to_nan(data: Mapping[str, Any]) -> dict[str, Any]:
    # JSON has no NaN (zero_division=nan); it is written as null and read back as NaN.
    return {k: (math.nan if v is None and k in _FLOAT_FIELDS else v) for k, v in data.items()}


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    return value


# ------------------------------------------------------------------------------------------ evaluate


def _akhbar_version() -> str:
    try:
        from importlib.metadata import version

        return version("akhbar")
    except Exception:  # not installed (running from a checkout): the package's own constant
        from dataset_builder import __version__

        return __version__


def _environment() -> dict[str, str]:
    import numpy

    return {"python": platform.python_version(), "numpy": numpy.__version__, "platform": platform.platform()}


def _gold_fingerprint(mentions: Iterable[Mention], units: Sequence[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(list(units), ensure_ascii=False).encode("utf-8"))
    for m in sorted(mentions, key=lambda m: (m.layer, m.doc_id, m.start, m.end, m.label)):
        digest.update(f"\n{m.layer}\t{m.doc_id}\t{m.start}\t{m.end}\t{m.label}".encode())
    return f"sha256:{digest.hexdigest()}"


def _mentions_hash(mentions: Iterable[Mention]) -> str:
    digest = hashlib.sha256()
    for m in sorted(mentions, key=lambda m: (m.layer, m.doc_id, m.start, m.end, m.label)):
        digest.update(f"{m.layer}\t{m.doc_id}\t{m.start}\t{m.end}\t{m.label}\n".encode())
    return f"sha256:{digest.hexdigest()}"


def _resolve_label_map(label_map: Any) -> tuple[Any, dict[str, Any] | None]:
    """A :class:`eval.labels.LabelMap` and its description for provenance.

    Accepts a LabelMap, a plain mapping (``unknown="error"``: every label must be listed), a YAML
    path, or the name of a built-in map (``dataset_builder/labelmaps/<name>.yaml``).
    """
    if label_map is None:
        return None, None
    from eval.labels import as_label_map

    resolved = as_label_map(label_map)
    return resolved, {"name": resolved.name, "source": resolved.source, "unknown": resolved.unknown,
                      "mapping": dict(sorted(resolved.mapping.items()))}


def _map(mentions: list[Mention], label_map: Any, ignore_labels: Sequence[str],
         labels: Sequence[str] | None = None) -> list[Mention]:
    if label_map is not None or ignore_labels:
        from eval.labels import map_mentions

        mentions = map_mentions(mentions, label_map, ignore=tuple(ignore_labels))
    if labels is not None:  # nervaluate's tags: the other labels leave before matching, on both sides
        kept = frozenset(labels)
        mentions = [m for m in mentions if m.label in kept]
    return mentions


@dataclass(frozen=True)
class _PredictionInput:
    """Predictions in the one shape evaluation needs, whatever kind they were given as."""

    mentions: list[Mention]
    links: list[Any]
    info: dict[str, Any]
    problems: list[Problem]
    unplaced: list[UnplacedPrediction] = field(default_factory=list)


def _prediction_input(pred: Predictions | Sequence[Mention] | Model, documents: Sequence[Document]) -> _PredictionInput:
    from eval.model import Model, run_model
    from eval.predictions import OffsetFreePredictions, SpanPredictions, TagPredictions

    if isinstance(pred, Model):
        run = run_model(pred, documents, progress=False)
        mentions = list(run)
        info = {"model": getattr(pred, "name", type(pred).__name__), "hash": _mentions_hash(mentions),
                "format": "model", "seconds": round(run.seconds, 3)}
        return _PredictionInput(mentions, [], info, list(run.problems))
    if isinstance(pred, TagPredictions):
        raise ValueError(f"{pred.path or 'the predictions'}: CoNLL predictions are in token positions and carry their "
                         "own gold column; they cannot be scored against character-offset gold documents. Score them "
                         "with evaluate_tags (or `akhbar eval` without --gold).")
    if isinstance(pred, OffsetFreePredictions):
        problems = [u.to_problem() for u in pred.unaligned] + list(pred.problems)
        return _PredictionInput(list(pred.mentions), list(pred.links), _file_info(pred, len(pred.unaligned)),
                                problems, pred.unplaced)
    if isinstance(pred, SpanPredictions):
        return _PredictionInput(list(pred.mentions), list(pred.links), _file_info(pred, 0), list(pred.problems))
    mentions = list(pred)
    if any(not isinstance(m, Mention) for m in mentions):
        raise TypeError("pred must be SpanPredictions, OffsetFreePredictions (from load_predictions), a Model or a "
                        "sequence of eval.types.Mention.")
    return _PredictionInput(mentions, [], {"hash": _mentions_hash(mentions), "format": "mentions"}, [])


def _file_info(pred: SpanPredictions | OffsetFreePredictions, n_unaligned: int) -> dict[str, Any]:
    """Provenance of predictions: read from a file (its hash), or made in memory (a hash of the mentions)."""
    if pred.source_hash is None:
        return {"hash": _mentions_hash(pred.mentions), "format": pred.fmt}
    return {"hash": pred.source_hash, "format": pred.fmt, "source": pred.path or None, "unaligned": n_unaligned}


def evaluate(
    gold: GoldSet | Sequence[Document],
    pred: Predictions | Sequence[Mention] | Model,
    *,
    options: ScoringOptions | None = None,
    intervals: BootstrapOptions | None = None,
) -> EvalResult:
    """Evaluate predictions against gold documents under several matching modes.

    Parameters
    ----------
    gold : GoldSet or sequence of Document
        From :func:`eval.gold.load_gold`, or documents read in memory (identified then by a content
        fingerprint).
    pred : SpanPredictions, OffsetFreePredictions, sequence of Mention, or Model
        From :func:`eval.predictions.load_predictions` (mentions with offsets, or offset-free
        mentions placed on the gold texts); mentions with character offsets; or a model, which is
        run on the gold documents with :func:`eval.model.run_model`. Tag sequences
        (:class:`~eval.predictions.TagPredictions`) are scored by :func:`evaluate_tags`.
    options : ScoringOptions, default=ScoringOptions()
        What is scored and how: matching modes, layers, label map, kept and ignored labels, clitic
        tolerance, minimum overlap, zero division and what unplaced offset-free mentions count for
        (:class:`eval.options.ScoringOptions`). Mentions that are ``malformed`` or have empty text
        are never scored (they are error-level problems), nor is an unplaced link end (a speaker),
        which makes its link wrong.
    intervals : BootstrapOptions, default=BootstrapOptions()
        Bootstrap confidence intervals: resamples (``0`` skips them), level and seed
        (:class:`eval.options.BootstrapOptions`; ``eval.options.NO_INTERVALS`` for none).

    Returns
    -------
    EvalResult
    """
    from eval.gold import GoldSet, gold_from_documents

    options = options if options is not None else ScoringOptions()
    intervals = intervals if intervals is not None else BootstrapOptions()

    gold_set = gold if isinstance(gold, GoldSet) else gold_from_documents(list(gold))
    documents = gold_set.documents
    if not documents:
        ref = gold_set.dataset
        raise ValueError(f"the gold set has no documents (source {ref.source}, config {ref.config}, split "
                         f"{ref.split}); pick the split that holds the evaluation data.")
    prediction = _prediction_input(pred, documents)
    problems = list(prediction.problems)

    known = {doc.id for doc in documents}
    foreign = [m for m in prediction.mentions if m.doc_id not in known]
    if foreign:
        ids = sorted({m.doc_id for m in foreign})
        problems.append(Problem(
            "prediction-unknown-document",
            f"{len(foreign)} predicted mention(s) belong to {len(ids)} document id(s) not in the gold set "
            f"({', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}); they are not scored.",
            "Evaluate against the split the predictions were made for, or fix the document ids.",
            Severity.ERROR, doc_id=ids[0],
        ))
    pred_mentions = [m for m in prediction.mentions if m.doc_id in known]
    # Unplaced mentions of unknown documents are left out with them (the loader reports those ids).
    unplaced = [u for u in prediction.unplaced if u.doc_id in known] if options.unaligned == "spurious" else []

    layer_names = options.layers if options.layers is not None else gold_set.layers
    if not layer_names:
        raise ValueError("the gold documents have no spans in any layer; there is nothing to evaluate.")
    gold_mentions = [m for layer in layer_names for m in gold_set.mentions(layer)]

    units = _Units(tuple(doc.id for doc in documents), "document", gold_set.texts(), gold_set.dataset.to_dict(),
                   prediction.info)
    result = _evaluate_mentions(gold_mentions, [*pred_mentions, *unplaced], units, layer_names, options, intervals,
                                problems)
    pred_links = [link for link in prediction.links if getattr(link, "doc_id", None) in known]
    links = _score_links(documents, pred_mentions, pred_links, options, problems)
    return EvalResult(layers=result.layers, links=links, units=result.units, unit_kind=result.unit_kind,
                      provenance=result.provenance, problems=problems, texts=result.texts)


def _score_links(
    documents: Sequence[Document], pred_mentions: list[Mention], pred_links: list[Any], options: ScoringOptions,
    problems: list[Problem],
) -> dict[str, dict[str, dict[str, Any]]]:
    link_types = sorted({link.type for doc in documents for link in doc.links})
    if not link_types:
        return {}
    from eval.links import score_links

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for link_type in link_types:
        for mode in options.modes:
            scored = score_links(documents, pred_mentions, pred_links, link_type=link_type, mode=mode,
                                 clitic_tolerance=options.clitic_tolerance,
                                 zero_division=options.float_zero_division)
            out.setdefault(link_type, {})[mode] = scored.to_dict()
    if not pred_links:
        problems.append(Problem(
            "prediction-no-links", f"the gold set has {', '.join(link_types)} links but the predictions have none; "
            "link scores are zero.", "Predict links (e.g. quote -> speaker) to have them scored.", Severity.INFO))
    return out


@dataclass(frozen=True)
class _Core:
    layers: dict[str, LayerResult]
    units: tuple[str, ...]
    unit_kind: str
    provenance: Provenance
    texts: dict[str, str] | None


@dataclass(frozen=True)
class _Units:
    """What the scored mentions belong to: unit ids in test-set order, their kind and texts, and the
    dataset and predictions they come from (recorded in provenance)."""

    ids: tuple[str, ...]
    kind: str
    texts: dict[str, str] | None
    dataset: dict[str, Any] | None
    prediction_info: dict[str, Any]


def _evaluate_mentions(
    gold_mentions: list[Mention],
    pred_mentions: list[Mention | UnplacedPrediction],
    units: _Units,
    layers: Sequence[str],
    options: ScoringOptions,
    intervals: BootstrapOptions,
    problems: list[Problem],
) -> _Core:
    from eval.align import align
    from eval.score import score_pairs

    label_map, ignore_labels, labels = options.label_map, options.ignore_labels, options.labels
    modes, texts, unit_kind, unit_ids = options.modes, units.texts, units.kind, units.ids
    clitic_tolerance, min_overlap, zero_division = options.clitic_tolerance, options.min_overlap, options.zero_division
    bootstrap, confidence, seed = intervals.resamples, intervals.confidence, intervals.seed
    resolved_map, map_info = _resolve_label_map(label_map)
    gold_mentions = _map(gold_mentions, resolved_map, ignore_labels, labels)
    placed = _map([m for m in pred_mentions if isinstance(m, Mention)], resolved_map, ignore_labels, labels)
    unplaced = _map_unplaced([m for m in pred_mentions if isinstance(m, UnplacedPrediction)], resolved_map,
                             ignore_labels, labels)
    pred_mentions = [*placed, *unplaced]

    other_layers = sorted({m.layer for m in placed} - set(layers))
    if other_layers:
        count = sum(m.layer in other_layers for m in placed)
        problems.append(Problem(
            "prediction-layer-not-evaluated",
            f"{count} predicted mention(s) in layer(s) {other_layers} are not scored: the evaluated layers are "
            f"{list(layers)}.", "Pass these layers to evaluate them, or drop them from the predictions.",
            Severity.INFO))

    if bootstrap and len(unit_ids) < 2:
        problems.append(Problem(
            "bootstrap-too-few-units", f"confidence intervals need at least 2 {unit_kind}s to resample; the test set "
            f"has {len(unit_ids)}, so none are reported.", f"Evaluate on more {unit_kind}s, or pass bootstrap=0.",
            Severity.INFO))
        bootstrap_now = 0
    else:
        bootstrap_now = bootstrap
    layer_results: dict[str, LayerResult] = {}
    for layer in layers:
        gold_layer = [m for m in gold_mentions if m.layer == layer]
        pred_layer = [m for m in pred_mentions if m.layer == layer]
        # Each mode scores its best matching; the error table reads the partial one, which pairs every
        # overlapping gold and prediction it can (docs/evaluation.md, "Error classes").
        greedy = align(gold_layer, pred_layer, clitic_tolerance=clitic_tolerance, texts=texts,
                       min_overlap=min_overlap)
        pairs_of = {mode: greedy if mode in ("strict", "exact") else
                    align(gold_layer, pred_layer, clitic_tolerance=clitic_tolerance, texts=texts, mode=mode,
                          min_overlap=min_overlap)
                    for mode in {*modes, "partial"}}
        pairs = pairs_of["partial"]
        scores: dict[str, ScoreReport] = {}
        counts: dict[str, UnitCounts] = {}
        intervals: dict[str, dict[str, dict[str, ConfidenceInterval]]] = {}
        for mode in modes:
            report = score_pairs(pairs_of[mode], mode, layer=layer, zero_division=zero_division)
            scores[mode] = report
            counts[mode] = unit_counts(pairs_of[mode], mode, layer=layer, units=unit_ids,
                                       labels=list(report.per_label))
            if bootstrap_now and counts[mode].labels:
                intervals[mode] = bootstrap_intervals(
                    counts[mode], n_resamples=bootstrap, confidence=confidence, seed=seed,
                    zero_division=options.float_zero_division,
                )
        matrix, axis = confusion_matrix(pairs)
        nested = ({mode: nested_scores(pairs_of[mode], mode, zero_division=options.float_zero_division)
                   for mode in modes} if has_nesting(pairs) else {})
        layer_results[layer] = LayerResult(
            layer=layer, scores=scores, intervals=intervals, counts=counts, error_counts=error_counts(pairs),
            errors=error_records(pairs, texts), confusion=(matrix.tolist(), axis), pairs=pairs, nested=nested,
        )

    settings = {
        "modes": list(modes), "layers": list(layers), "label_map": map_info, "ignore_labels": list(ignore_labels),
        "clitic_tolerance": clitic_tolerance, "bootstrap": bootstrap, "confidence": confidence, "seed": seed,
        "zero_division": zero_division if not (isinstance(zero_division, float) and math.isnan(zero_division))
        else "nan",
    }
    if unit_kind == "document":  # only documents can hold offset-free mentions that were not placed
        settings["unaligned"] = options.unaligned
    # Recorded only when set, so runs without them keep their settings (and JSON) unchanged.
    if labels is not None:
        settings["labels"] = list(labels)
    if min_overlap is not None:
        settings["min_overlap"] = min_overlap
    provenance = Provenance(
        dataset=units.dataset, gold_fingerprint=_gold_fingerprint(gold_mentions, unit_ids),
        predictions=units.prediction_info,
        settings=settings, akhbar_version=_akhbar_version(), environment=_environment(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return _Core(layer_results, unit_ids, unit_kind, provenance, texts)


def _map_unplaced(unplaced: Sequence[UnplacedPrediction], label_map: Any, ignore_labels: Sequence[str],
                  labels: Sequence[str] | None = None) -> list[UnplacedPrediction]:
    """Relabel unplaced predictions as :func:`eval.labels.map_mentions` relabels mentions."""
    ignored = frozenset(ignore_labels)
    out = []
    for prediction in unplaced:
        label: str | None = prediction.label
        if label_map is not None:
            try:
                label = label_map(prediction.label)
            except KeyError:
                raise ValueError(
                    f"doc {prediction.doc_id}: the unplaced {prediction.layer} mention {prediction.text!r} has label "
                    f"{prediction.label!r}, which is not in label map {label_map.name!r}. Add it to the map (map it "
                    "to null to drop such mentions), or use unknown='keep' or unknown='drop'.") from None
        if label is None or label in ignored or (labels is not None and label not in labels):
            continue
        out.append(prediction if label == prediction.label else replace(prediction, label=label))
    return out


def evaluate_tags(
    y_true: Sequence[Sequence[str]],
    y_pred: Sequence[Sequence[str]],
    *,
    scheme: str = "IOB2",
    decoder: Literal["lenient", "strict"] = "lenient",
    options: ScoringOptions | None = None,
    intervals: BootstrapOptions | None = None,
    layer: str = "entities",
    source: Mapping[str, Any] | None = None,
) -> EvalResult:
    """Evaluate token tag sequences (one list of tags per sentence), with every analysis of :func:`evaluate`.

    Parameters
    ----------
    y_true, y_pred : sequence of sequence of str
        Gold and predicted tags, sentence by sentence; each pair of sentences must have the same length.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, default="IOB2"
    decoder : {"lenient", "strict"}, default="lenient"
        ``lenient`` decodes chunks as conlleval.pl does (an ``I-`` after ``O`` starts a chunk);
        ``strict`` drops chunks that are invalid under the scheme, as seqeval ``mode="strict"``.
    options, intervals : ScoringOptions, BootstrapOptions
        As in :func:`evaluate` (``min_overlap`` is then a share of the gold mention's tokens). Tags
        have no text and one layer, so ``options.layers``, ``clitic_tolerance`` and ``unaligned``
        do not apply.
    layer : str, default="entities"
        The layer the decoded mentions are scored in.
    source : mapping, optional
        Where the tags came from (e.g. ``{"path": ..., "hash": ...}``), recorded in provenance.

    Units are sentences, ids ``"0"``, ``"1"``, ...; mention offsets are token indices.

    Examples
    --------
    >>> from eval.evaluate import evaluate_tags
    >>> from eval.options import NO_INTERVALS, ScoringOptions
    >>> result = evaluate_tags([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]],
    ...                        options=ScoringOptions(modes=("strict", "partial")), intervals=NO_INTERVALS)
    >>> result.score(mode="strict").micro.f1, result.score(mode="partial").micro.f1
    (0.0, 0.5)

    Returns
    -------
    EvalResult
        With ``tokens = {"tokens": n, "correct": k}`` (token accuracy, as conlleval reports it).
    """
    from eval.bio import mentions_from_tags

    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} sentences but y_pred has {len(y_pred)}; they must align.")
    n_tokens = correct = 0
    for index, (gold_tags, pred_tags) in enumerate(zip(y_true, y_pred, strict=True)):
        if len(gold_tags) != len(pred_tags):
            raise ValueError(f"sentence {index}: {len(gold_tags)} gold tags but {len(pred_tags)} predicted tags; "
                             "each sentence must have one predicted tag per token.")
        n_tokens += len(gold_tags)
        correct += sum(g == p for g, p in zip(gold_tags, pred_tags, strict=True))
    units = [str(i) for i in range(len(y_true))]
    gold = mentions_from_tags(y_true, scheme=scheme, decoder=decoder, doc_ids=units, layer=layer)
    pred = mentions_from_tags(y_pred, scheme=scheme, decoder=decoder, doc_ids=units, layer=layer)
    info = {"hash": _mentions_hash(pred), "format": "tags", "scheme": scheme, "decoder": decoder, **(source or {})}
    problems: list[Problem] = []
    # Clitic tolerance reads the document text around a boundary; tags have none.
    options = replace(options if options is not None else ScoringOptions(), clitic_tolerance=False)
    intervals = intervals if intervals is not None else BootstrapOptions()
    core = _evaluate_mentions(gold, pred, _Units(tuple(units), "sentence", None, None, info), (layer,), options,
                              intervals, problems)
    core.provenance.settings.update({"scheme": scheme, "decoder": decoder})
    return EvalResult(layers=core.layers, links={}, units=core.units, unit_kind="sentence",
                      provenance=core.provenance, problems=problems, texts=None,
                      tokens={"tokens": n_tokens, "correct": correct})


__all__ = [
    "RESULT_SCHEMA_VERSION", "UNALIGNED_POLICIES", "BootstrapOptions", "EvalResult", "LayerResult", "Provenance",
    "ScoringOptions", "UnalignedPolicy", "evaluate", "evaluate_tags",
]
