"""Uncertainty of scores: bootstrap confidence intervals and paired significance tests.

A corpus score is a function of summed counts. Resampling therefore never re-scores mentions:
we keep one row of TP/FP/FN counts per *unit* (a document, or a sentence for tag sequences) and per
label (:class:`UnitCounts`), and a resample is a weighted sum of those rows, computed for all
resamples at once as a matrix product. Every procedure takes a ``seed`` and draws from
``numpy.random.default_rng(seed)``, so results are reproducible to the last digit.

Units, not mentions, are resampled because mentions of one document are not independent
(a model that misses a name tends to miss all its repetitions); resampling documents keeps that
correlation inside each draw (Koehn 2004; Berg-Kirkpatrick, Burkett & Klein 2012; Dror et al. 2018).

Averages
--------
``average`` is ``"micro"`` (metric of summed counts), ``"macro"`` (unweighted mean over labels),
``"weighted"`` (mean weighted by gold support, ``tp + fn``) or the name of one label. In a resample
a label can vanish (no gold, no prediction in the drawn units); it is then left out of the macro
mean instead of being scored ``zero_division``, which would bias the interval downwards.

References
----------
- P. Koehn. Statistical significance tests for machine translation evaluation. EMNLP 2004.
- T. Berg-Kirkpatrick, D. Burkett, D. Klein. An empirical investigation of statistical
  significance in NLP. EMNLP-CoNLL 2012.
- E. W. Noreen. Computer-Intensive Methods for Testing Hypotheses. Wiley, 1989 (approximate
  randomization); A. Yeh. More accurate tests for the statistical significance of result
  differences. COLING 2000.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from eval.types import AlignedPair, MatchMode

Metric = Literal["precision", "recall", "f1"]
METRICS: tuple[Metric, ...] = ("precision", "recall", "f1")
AVERAGES: tuple[str, ...] = ("micro", "macro", "weighted")

# Rows of the (resamples x units) weight matrix built at once; bounds memory to ~16 MB per block.
_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True, eq=False)
class UnitCounts:
    """TP/FP/FN counts of one layer under one matching mode, per unit and per label.

    Parameters
    ----------
    units : tuple of str
        Unit ids (document ids, or sentence indices for tag sequences), one per row.
    labels : tuple of str
        Label names, one per column.
    tp, fp, fn : ndarray of shape (n_units, n_labels)
        Counts per label as floats: ``partial`` mode gives half credit, so TP can be ``x.5``.
    mode, layer : str
        What the counts measure, kept so that results cannot be mixed up.
    micro : ndarray of shape (n_units, 3), optional
        Micro TP, FP and FN of each unit. In ``exact``, ``partial`` and ``type`` mode a pair whose
        gold and predicted labels differ earns overall credit but no label's credit (see
        :mod:`eval.score`), so the micro row is not the sum of the label rows; it is kept apart.
        Defaults to the row sums of ``tp``, ``fp`` and ``fn`` (right for ``strict``).

    Summing the rows gives the corpus counts of :func:`eval.score.score_pairs`.
    """

    units: tuple[str, ...]
    labels: tuple[str, ...]
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    mode: str = "strict"
    layer: str = "entities"
    micro: np.ndarray | None = None

    def __post_init__(self) -> None:
        shape = (len(self.units), len(self.labels))
        for name in ("tp", "fp", "fn"):
            array = np.array(getattr(self, name), dtype=np.float64)
            if array.size == 0:
                array = array.reshape(shape)
            if array.shape != shape:
                raise ValueError(f"UnitCounts.{name} has shape {array.shape}, expected {shape} (units x labels).")
            if (array < 0).any():
                raise ValueError(f"UnitCounts.{name} has negative counts; counts must be >= 0.")
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if self.micro is None:
            micro = np.stack([self.tp.sum(axis=1), self.fp.sum(axis=1), self.fn.sum(axis=1)], axis=1)
        else:
            micro = np.array(self.micro, dtype=np.float64)
            if micro.size == 0:
                micro = micro.reshape(0, 3)
            if micro.shape != (len(self.units), 3) or (micro < 0).any():
                raise ValueError(f"UnitCounts.micro must hold non-negative (tp, fp, fn) per unit, shape "
                                 f"({len(self.units)}, 3); got {micro.shape}.")
        micro.setflags(write=False)
        object.__setattr__(self, "micro", micro)
        if len(set(self.units)) != len(self.units):
            raise ValueError("UnitCounts.units has duplicate ids; each unit must appear once.")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("UnitCounts.labels has duplicate names.")

    @property
    def n_units(self) -> int:
        return len(self.units)

    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Corpus TP, FP and FN per label (sums over units)."""
        return self.tp.sum(axis=0), self.fp.sum(axis=0), self.fn.sum(axis=0)

    def micro_totals(self) -> tuple[float, float, float]:
        """Corpus micro TP, FP and FN."""
        tp, fp, fn = self.micro.sum(axis=0)  # type: ignore[union-attr]
        return float(tp), float(fp), float(fn)

    def matrix(self) -> np.ndarray:
        """All counts of a unit in one row, ``[tp | fp | fn | micro]``: a resample is ``weights @ matrix``."""
        return np.concatenate([self.tp, self.fp, self.fn, self.micro], axis=1)  # type: ignore[list-item]

    def score(self, metric: Metric = "f1", average: str = "micro", zero_division: float = 0.0) -> float:
        """The metric on the whole corpus (the point estimate of every interval and test)."""
        sums = self.matrix().sum(axis=0, keepdims=True)
        return float(_metric(sums, len(self.labels), metric, self._selector(average), zero_division)[0])

    def per_unit(self, metric: Metric = "f1", average: str = "micro", zero_division: float = 0.0) -> dict[str, float]:
        """The metric of each unit on its own, e.g. per-document micro F1."""
        values = _metric(self.matrix(), len(self.labels), metric, self._selector(average), zero_division)
        return {unit: float(value) for unit, value in zip(self.units, values, strict=True)}

    def with_labels(self, labels: Sequence[str]) -> UnitCounts:
        """The same counts over a superset of labels (missing columns are zeros)."""
        missing = set(self.labels) - set(labels)
        if missing:
            raise ValueError(f"with_labels would drop labels {sorted(missing)}; pass a superset of {self.labels}.")
        index = [self.labels.index(label) if label in self.labels else -1 for label in labels]

        def widen(array: np.ndarray) -> np.ndarray:
            out = np.zeros((self.n_units, len(labels)))
            for column, source in enumerate(index):
                if source >= 0:
                    out[:, column] = array[:, source]
            return out

        return UnitCounts(self.units, tuple(labels), widen(self.tp), widen(self.fp), widen(self.fn),
                          self.mode, self.layer, self.micro)

    def reordered(self, units: Sequence[str]) -> UnitCounts:
        """The same counts with rows in the order of ``units`` (which must be the same set)."""
        if set(units) != set(self.units) or len(units) != len(self.units):
            only_here = sorted(set(self.units) - set(units))[:5]
            only_there = sorted(set(units) - set(self.units))[:5]
            raise ValueError(
                "the two runs were scored on different units (documents or sentences): "
                f"only in one {only_here}, only in the other {only_there}. "
                "Evaluate both systems on the same gold split."
            )
        position = {unit: i for i, unit in enumerate(self.units)}
        rows = [position[unit] for unit in units]
        return UnitCounts(tuple(units), self.labels, self.tp[rows], self.fp[rows], self.fn[rows],
                          self.mode, self.layer, self.micro[rows])  # type: ignore[index]

    def to_dict(self) -> dict[str, Any]:
        """A sparse JSON-ready form: only non-zero cells, as ``[row, col, tp, fp, fn]`` per label and
        ``[row, tp, fp, fn]`` for the micro counts."""
        rows, cols = np.nonzero(self.tp + self.fp + self.fn)
        cells = [
            [int(r), int(c), _plain(self.tp[r, c]), _plain(self.fp[r, c]), _plain(self.fn[r, c])]
            for r, c in zip(rows, cols, strict=True)
        ]
        micro = self.micro  # type: ignore[assignment]
        micro_cells = [[int(r), *(_plain(v) for v in micro[r])] for r in np.nonzero(micro.sum(axis=1))[0]]
        return {"mode": self.mode, "layer": self.layer, "units": list(self.units), "labels": list(self.labels),
                "cells": cells, "micro": micro_cells}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnitCounts:
        units, labels = tuple(data["units"]), tuple(data["labels"])
        arrays = [np.zeros((len(units), len(labels))) for _ in range(3)]
        for row, col, *values in data["cells"]:
            for array, value in zip(arrays, values, strict=True):
                array[row, col] = value
        micro = None
        if "micro" in data:
            micro = np.zeros((len(units), 3))
            for row, *values in data["micro"]:
                micro[row] = values
        return cls(units, labels, *arrays, mode=data.get("mode", "strict"), layer=data.get("layer", "entities"),
                   micro=micro)

    def _selector(self, average: str) -> str | int:
        if average in AVERAGES:
            return average
        if average in self.labels:
            return self.labels.index(average)
        raise ValueError(
            f"average={average!r} is neither one of {AVERAGES} nor a label of these counts ({list(self.labels)})."
        )


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def unit_counts(
    pairs: Iterable[AlignedPair],
    mode: MatchMode,
    *,
    layer: str = "entities",
    units: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
) -> UnitCounts:
    """Count TP/FP/FN per unit (document id) and label, from aligned pairs.

    Parameters
    ----------
    pairs : iterable of AlignedPair
        Output of :func:`eval.align.align` for one layer.
    mode : {"strict", "exact", "partial", "type"}
        Matching mode; counts are those :func:`eval.score.score_pairs` gives for each unit.
    layer : str
        Layer the pairs belong to.
    units : sequence of str, optional
        All units of the test set, in order. Units without any mention must be listed here, or
        they are missing from resamples. Defaults to the document ids seen in ``pairs``, sorted.
    labels : sequence of str, optional
        Columns; defaults to every label seen in gold or predictions, sorted.

    Returns
    -------
    UnitCounts
    """
    from eval.score import score_pairs

    by_unit: dict[str, list[AlignedPair]] = {}
    for pair in pairs:
        mention = pair.gold if pair.gold is not None else pair.pred
        assert mention is not None, "an aligned pair has a gold or a predicted mention"
        by_unit.setdefault(mention.doc_id, []).append(pair)
    if units is None:
        units = sorted(by_unit)
    else:
        unknown = sorted(set(by_unit) - set(units))
        if unknown:
            raise ValueError(
                f"pairs mention document ids not in `units`: {unknown[:5]}"
                f"{' …' if len(unknown) > 5 else ''}. Pass every document id of the test set as `units`."
            )
    if labels is None:
        seen = {m.label for group in by_unit.values() for p in group for m in (p.gold, p.pred) if m is not None}
        labels = sorted(seen)
    column = {label: i for i, label in enumerate(labels)}
    tp, fp, fn = (np.zeros((len(units), len(labels))) for _ in range(3))
    micro = np.zeros((len(units), 3))
    for row, unit in enumerate(units):
        group = by_unit.get(unit)
        if not group:
            continue
        report = score_pairs(group, mode, layer=layer, labels=list(labels))
        micro[row] = report.micro.tp, report.micro.fp, report.micro.fn
        for label, label_score in report.per_label.items():
            col = column.get(label)
            if col is None:
                continue
            tp[row, col], fp[row, col], fn[row, col] = label_score.tp, label_score.fp, label_score.fn
    return UnitCounts(tuple(units), tuple(labels), tp, fp, fn, mode=mode, layer=layer, micro=micro)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / denominator
    return np.where(denominator > 0, out, zero_division)


def _label_metric(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, metric: Metric, zero_division: float) -> np.ndarray:
    if metric == "precision":
        return _safe_divide(tp, tp + fp, zero_division)
    if metric == "recall":
        return _safe_divide(tp, tp + fn, zero_division)
    if metric == "f1":
        # 2TP / (2TP + FP + FN), as scikit-learn: equals the harmonic mean of P and R when both exist.
        return _safe_divide(2 * tp, 2 * tp + fp + fn, zero_division)
    raise ValueError(f"metric={metric!r}; choose one of {METRICS}.")


def _metric(sums: np.ndarray, n_labels: int, metric: Metric, selector: str | int, zero_division: float) -> np.ndarray:
    """Metric per row of summed counts laid out as :meth:`UnitCounts.matrix` (``[tp | fp | fn | micro]``).

    ``selector`` is an average name or a label column.
    """
    tp, fp, fn = sums[:, :n_labels], sums[:, n_labels:2 * n_labels], sums[:, 2 * n_labels:3 * n_labels]
    if isinstance(selector, int):
        return _label_metric(tp[:, selector], fp[:, selector], fn[:, selector], metric, zero_division)
    if selector == "micro":
        micro = sums[:, 3 * n_labels:]
        return _label_metric(micro[:, 0], micro[:, 1], micro[:, 2], metric, zero_division)
    per_label = _label_metric(tp, fp, fn, metric, zero_division)
    if selector == "macro":
        present = (tp + fp + fn) > 0
        n_present = present.sum(axis=1)
        total = np.where(present, per_label, 0.0).sum(axis=1)
        return _safe_divide(total, n_present.astype(np.float64), zero_division)
    if selector == "weighted":
        support = tp + fn
        return _safe_divide((per_label * support).sum(axis=1), support.sum(axis=1), zero_division)
    raise ValueError(f"average={selector!r}; choose one of {AVERAGES} or a label name.")


def _bootstrap_weights(n_units: int, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Blocks of rows ``w`` where ``w[u]`` is how often unit ``u`` was drawn (rows sum to ``n_units``)."""
    block = max(1, _BLOCK_CELLS // max(n_units, 1))
    done = 0
    while done < n_resamples:
        rows = min(block, n_resamples - done)
        draws = rng.integers(0, n_units, size=(rows, n_units))
        flat = draws + (np.arange(rows) * n_units)[:, None]
        yield np.bincount(flat.ravel(), minlength=rows * n_units).reshape(rows, n_units).astype(np.float64)
        done += rows


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence={confidence}; it must lie strictly between 0 and 1 (e.g. 0.95).")


def _check_count(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name}={value}; it must be >= 1.")


@dataclass(frozen=True, slots=True)
class ConfidenceInterval:
    """A bootstrap confidence interval of one metric.

    ``point`` is the metric on the full test set; ``low`` and ``high`` are the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the resampled metric.
    """

    low: float
    high: float
    point: float
    n_resamples: int
    seed: int
    method: str = "percentile"
    confidence: float = 0.95
    metric: str = "f1"
    average: str = "micro"

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": self.low, "high": self.high, "point": self.point, "n_resamples": self.n_resamples,
            "seed": self.seed, "method": self.method, "confidence": self.confidence,
            "metric": self.metric, "average": self.average,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConfidenceInterval:
        return cls(**{k: data[k] for k in cls.__slots__ if k in data})  # type: ignore[attr-defined]


def bootstrap_intervals(
    counts: UnitCounts,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    metrics: Sequence[Metric] = METRICS,
    averages: Sequence[str] | None = None,
    zero_division: float = 0.0,
) -> dict[str, dict[str, ConfidenceInterval]]:
    """Percentile bootstrap intervals of several metrics and averages from ONE set of resamples.

    Parameters
    ----------
    counts : UnitCounts
    n_resamples : int, default=1000
    confidence : float, default=0.95
    seed : int, default=0
    metrics : sequence of {"precision", "recall", "f1"}
    averages : sequence of str, optional
        ``"micro"``, ``"macro"``, ``"weighted"`` and/or label names. Defaults to the three averages
        followed by every label.
    zero_division : float, default=0.0
        Value of a metric whose denominator is zero (``nan`` is allowed: quantiles then skip it).

    Returns
    -------
    dict
        ``{average_or_label: {metric: ConfidenceInterval}}``.
    """
    _check_confidence(confidence)
    _check_count("n_resamples", n_resamples)
    if counts.n_units == 0:
        raise ValueError("no units to resample: the test set is empty.")
    averages = tuple(AVERAGES) + counts.labels if averages is None else tuple(averages)
    selectors = {average: counts._selector(average) for average in averages}
    samples: dict[tuple[str, str], list[np.ndarray]] = {(a, m): [] for a in averages for m in metrics}
    rng = np.random.default_rng(seed)
    matrix, n_labels = counts.matrix(), len(counts.labels)
    for weights in _bootstrap_weights(counts.n_units, n_resamples, rng):
        sums = weights @ matrix
        for average, selector in selectors.items():
            for metric in metrics:
                samples[average, metric].append(_metric(sums, n_labels, metric, selector, zero_division))
    tail = (1.0 - confidence) / 2.0
    out: dict[str, dict[str, ConfidenceInterval]] = {}
    for average in averages:
        for metric in metrics:
            values = np.concatenate(samples[average, metric])
            if np.isnan(values).all():
                low = high = math.nan
            else:
                low, high = (float(q) for q in np.nanquantile(values, [tail, 1.0 - tail]))
            out.setdefault(average, {})[metric] = ConfidenceInterval(
                low=low, high=high, point=counts.score(metric, average, zero_division),
                n_resamples=n_resamples, seed=seed, confidence=confidence, metric=metric, average=average,
            )
    return out


def bootstrap_ci(
    unit_counts: UnitCounts,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    metric: Metric = "f1",
    average: str = "micro",
    zero_division: float = 0.0,
) -> ConfidenceInterval:
    """Percentile bootstrap confidence interval of a corpus metric, resampling units with replacement.

    Parameters
    ----------
    unit_counts : UnitCounts
        Per-unit counts, from :func:`unit_counts`.
    n_resamples : int, default=1000
        Number of bootstrap test sets, each of ``n_units`` units drawn with replacement.
    confidence : float, default=0.95
    seed : int, default=0
        Seed of ``numpy.random.default_rng``; same seed, same interval.
    metric : {"precision", "recall", "f1"}, default="f1"
    average : str, default="micro"
        ``"micro"``, ``"macro"``, ``"weighted"`` or a label name.
    zero_division : float, default=0.0

    Returns
    -------
    ConfidenceInterval

    Examples
    --------
    >>> counts = UnitCounts(("d1", "d2", "d3"), ("PERS",), tp=[[2], [1], [3]], fp=[[0], [1], [1]], fn=[[1], [0], [0]])
    >>> ci = bootstrap_ci(counts, n_resamples=200, seed=0)
    >>> round(ci.point, 3), ci.low <= ci.point <= ci.high
    (0.8, True)
    """
    return bootstrap_intervals(
        unit_counts, n_resamples=n_resamples, confidence=confidence, seed=seed,
        metrics=(metric,), averages=(average,), zero_division=zero_division,
    )[average][metric]


@dataclass(frozen=True, slots=True)
class SignificanceResult:
    """Outcome of a paired significance test between system A and system B.

    ``delta`` is ``score_b - score_a`` on the full test set; ``p_value`` is two-sided: the
    probability, under the null hypothesis that the systems are exchangeable, of a difference at
    least as large in absolute value.
    """

    delta: float
    p_value: float
    n_resamples: int
    seed: int
    method: str
    metric: str = "f1"
    average: str = "micro"
    score_a: float = math.nan
    score_b: float = math.nan
    n_units: int = 0
    #: Percentile interval of the paired bootstrap differences (asked with ``confidence``), else NaN.
    low: float = math.nan
    high: float = math.nan
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "delta": self.delta, "p_value": self.p_value, "n_resamples": self.n_resamples, "seed": self.seed,
            "method": self.method, "metric": self.metric, "average": self.average,
            "score_a": self.score_a, "score_b": self.score_b, "n_units": self.n_units,
        }
        if self.confidence is not None:
            data.update(low=self.low, high=self.high, confidence=self.confidence)
        return data


def _paired(counts_a: UnitCounts, counts_b: UnitCounts) -> tuple[UnitCounts, UnitCounts]:
    if counts_a.mode != counts_b.mode or counts_a.layer != counts_b.layer:
        raise ValueError(
            f"cannot compare {counts_a.layer}/{counts_a.mode} counts with {counts_b.layer}/{counts_b.mode} counts; "
            "compare the same layer under the same mode."
        )
    labels = tuple(sorted(set(counts_a.labels) | set(counts_b.labels)))
    return counts_a.with_labels(labels), counts_b.reordered(counts_a.units).with_labels(labels)


def _same(a: np.ndarray, b: float) -> np.ndarray:
    # Metric values are ratios of float sums; treat differences below 1e-12 as ties so that
    # identical systems give p = 1 however the sums were associated.
    return np.abs(a) >= abs(b) - 1e-12


def paired_bootstrap(
    counts_a: UnitCounts,
    counts_b: UnitCounts,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    metric: Metric = "f1",
    average: str = "micro",
    zero_division: float = 0.0,
    confidence: float | None = None,
) -> SignificanceResult:
    """Paired bootstrap test of the difference ``metric(B) - metric(A)``.

    Both systems are scored on the same resampled units (Koehn 2004). Following
    Berg-Kirkpatrick et al. (2012), the bootstrap distribution of the difference is shifted to mean
    zero (it is centred on the observed ``delta``), which makes it a sample of the null hypothesis.
    The two-sided p-value counts resamples whose difference departs from the observed one by at
    least as much as the observed one departs from zero::

        p = (1 + #{ |delta_i - delta| >= |delta| }) / (1 + n_resamples)

    The ``+1`` terms count the observed test set as one of the samples, so ``p`` is never 0 and
    identical systems give exactly ``p = 1``. A test set of one unit is refused: it has no
    variation to resample.

    Parameters
    ----------
    counts_a, counts_b : UnitCounts
        Counts of the two systems on the same units, layer and mode (labels may differ).
    n_resamples : int, default=1000
    seed : int, default=0
    metric : {"precision", "recall", "f1"}, default="f1"
    average : str, default="micro"
    zero_division : float, default=0.0
    confidence : float, optional
        Also give the percentile interval of the resampled differences ``metric(B) - metric(A)`` at this
        level (``low``, ``high``): the uncertainty of ``delta``, drawn by ``akhbar compare --format html``.

    Returns
    -------
    SignificanceResult
    """
    _check_count("n_resamples", n_resamples)
    if confidence is not None:
        _check_confidence(confidence)
    a, b = _paired(counts_a, counts_b)
    if a.n_units == 0:
        raise ValueError("no units to resample: the test set is empty.")
    if a.n_units == 1:
        # Every resample of one unit is the test set itself: the centred differences are all 0, so
        # any non-zero delta would get the smallest possible p-value, 1 / (n_resamples + 1).
        raise ValueError(
            f"the paired bootstrap needs at least 2 units to resample; the test set has 1 ({a.units[0]!r}), on "
            "which every resample is the test set itself and any difference would look significant. Compare "
            "on more documents (approximate randomization accepts one, but cannot find a difference "
            "significant on it).")
    selector = a._selector(average)
    score_a, score_b = a.score(metric, average, zero_division), b.score(metric, average, zero_division)
    delta = score_b - score_a
    rng = np.random.default_rng(seed)
    matrix_a, matrix_b, n_labels = a.matrix(), b.matrix(), len(a.labels)
    extreme = 0
    differences: list[np.ndarray] = []
    for weights in _bootstrap_weights(a.n_units, n_resamples, rng):
        resampled_a = _metric(weights @ matrix_a, n_labels, metric, selector, zero_division)
        resampled_b = _metric(weights @ matrix_b, n_labels, metric, selector, zero_division)
        extreme += int(_same(resampled_b - resampled_a - delta, delta).sum())
        if confidence is not None:
            differences.append(resampled_b - resampled_a)
    low = high = math.nan
    if confidence is not None:
        values = np.concatenate(differences)
        tail = (1.0 - confidence) / 2
        if not np.isnan(values).all():
            low, high = (float(q) for q in np.nanquantile(values, [tail, 1.0 - tail]))
    return SignificanceResult(
        delta=delta, p_value=(extreme + 1) / (n_resamples + 1), n_resamples=n_resamples, seed=seed,
        method="paired-bootstrap", metric=metric, average=average, score_a=score_a, score_b=score_b,
        n_units=a.n_units, low=low, high=high, confidence=confidence,
    )


def approximate_randomization(
    counts_a: UnitCounts,
    counts_b: UnitCounts,
    n_trials: int = 10000,
    seed: int = 0,
    *,
    metric: Metric = "f1",
    average: str = "micro",
    zero_division: float = 0.0,
) -> SignificanceResult:
    """Approximate randomization (permutation) test of ``metric(B) - metric(A)``.

    In each trial, the outputs of the two systems are swapped on each unit independently with
    probability 0.5, and the difference of the shuffled systems is recomputed. Two-sided p-value::

        p = (r + 1) / (n_trials + 1),   r = #{ |delta_i| >= |delta| }

    (Noreen 1989; Yeh 2000). Under the null hypothesis the two outputs of each unit are
    exchangeable, so no distributional assumption is made about the metric.

    Parameters
    ----------
    counts_a, counts_b : UnitCounts
        Counts of the two systems on the same units, layer and mode (labels may differ).
    n_trials : int, default=10000
    seed : int, default=0
    metric : {"precision", "recall", "f1"}, default="f1"
    average : str, default="micro"
    zero_division : float, default=0.0

    Returns
    -------
    SignificanceResult
    """
    _check_count("n_trials", n_trials)
    a, b = _paired(counts_a, counts_b)
    if a.n_units == 0:
        raise ValueError("no units to shuffle: the test set is empty.")
    selector = a._selector(average)
    score_a, score_b = a.score(metric, average, zero_division), b.score(metric, average, zero_division)
    delta = score_b - score_a
    matrix_a, matrix_b, n_labels = a.matrix(), b.matrix(), len(a.labels)
    total_a, total_b, move = matrix_a.sum(axis=0), matrix_b.sum(axis=0), matrix_b - matrix_a
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(a.n_units, 1))
    extreme, done = 0, 0
    while done < n_trials:
        rows = min(block, n_trials - done)
        swap = (rng.random((rows, a.n_units)) < 0.5).astype(np.float64)
        shift = swap @ move  # what swapping the chosen units moves from B's totals to A's
        difference = _metric(total_b - shift, n_labels, metric, selector, zero_division) - _metric(
            total_a + shift, n_labels, metric, selector, zero_division
        )
        extreme += int(_same(difference, delta).sum())
        done += rows
    return SignificanceResult(
        delta=delta, p_value=(extreme + 1) / (n_trials + 1), n_resamples=n_trials, seed=seed,
        method="approximate-randomization", metric=metric, average=average, score_a=score_a,
        score_b=score_b, n_units=a.n_units,
    )


__all__ = [
    "AVERAGES", "METRICS", "ConfidenceInterval", "SignificanceResult", "UnitCounts", "approximate_randomization",
    "bootstrap_ci", "bootstrap_intervals", "paired_bootstrap", "unit_counts",
]
