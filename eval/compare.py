"""Is system B better than system A? Paired significance tests between two stored evaluation runs.

:func:`compare_runs` reads two results written by ``akhbar eval --format json`` (or takes them in
memory), refuses runs that were not scored on the same gold data (:func:`check_comparable`), and
tests the difference B - A per layer and matching mode, resampling units (documents or sentences)
with both systems paired on each. ``akhbar compare`` prints its :class:`Comparison`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dataset_builder.problems import InputError, Problem, require_path
from eval.describe import gold_name, predictions_name

if TYPE_CHECKING:
    from eval.evaluate import EvalResult
    from eval.stats import Metric, SignificanceResult, UnitCounts

SignificanceTest = Literal["paired-bootstrap", "approximate-randomization"]
TESTS: tuple[SignificanceTest, ...] = ("paired-bootstrap", "approximate-randomization")
#: Resamples (bootstrap) or shuffles (approximate randomization) when ``n`` is not given.
DEFAULT_N: dict[str, int] = {"paired-bootstrap": 1000, "approximate-randomization": 10000}
METRICS = ("precision", "recall", "f1")


@dataclass(frozen=True)
class ComparisonOptions:
    """How two runs are compared: which test, how many resamples, what is compared.

    Attributes
    ----------
    test : {"paired-bootstrap", "approximate-randomization"}, default="paired-bootstrap"
    n : int, optional
        Resamples (bootstrap, default 1000) or shuffles (approximate randomization, default 10000).
    modes, layers : sequence of str, optional
        What to compare; default: every mode and layer both runs have.
    metric : {"precision", "recall", "f1"}, default="f1"
    average : str, default="micro"
        ``micro``, ``macro``, ``weighted`` or a label name.
    seed : int, default=0
    per_label : bool, default=False
        Also test each label on its own (its ``metric``), in :attr:`Comparison.label_rows`.
    confidence : float, optional
        With the paired bootstrap, also give the percentile interval of each difference at this level.

    Examples
    --------
    >>> from eval.compare import ComparisonOptions
    >>> ComparisonOptions(test="approximate-randomization").resamples
    10000
    >>> ComparisonOptions(n=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dataset_builder.problems.InputError: <input>: error[usage] --n 0 must be at least 1. ...
    """

    test: SignificanceTest = "paired-bootstrap"
    n: int | None = None
    modes: Sequence[str] | None = None
    layers: Sequence[str] | None = None
    metric: Metric = "f1"
    average: str = "micro"
    seed: int = 0
    per_label: bool = False
    confidence: float | None = None

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise _usage(f"--test {self.test!r} is not one of: {', '.join(TESTS)}.")
        if self.resamples < 1:
            raise _usage(f"--n {self.resamples} must be at least 1.", "Pass a count like 1000.")
        if self.metric not in METRICS:
            raise _usage(f"--metric {self.metric!r} is not one of: {', '.join(METRICS)}.")
        if self.confidence is not None and not 0.0 < self.confidence < 1.0:
            raise _usage(f"--confidence {self.confidence} is outside (0, 1).", "Give a share such as 0.95.")
        for name in ("modes", "layers"):
            value = getattr(self, name)
            object.__setattr__(self, name, None if value is None else tuple(value))

    @property
    def resamples(self) -> int:
        """``n``, or the test's default when it is not given."""
        return self.n if self.n is not None else DEFAULT_N[self.test]


@dataclass(frozen=True)
class ComparisonRow:
    """The test of one layer under one matching mode."""

    layer: str
    mode: str
    result: SignificanceResult
    #: The label compared (its own F1, precision or recall), or None for the run's ``average``.
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        label = {} if self.label is None else {"label": self.label}
        return {"layer": self.layer, "mode": self.mode, **label, **self.result.to_dict()}


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_runs` found: the two runs, the test's settings and one row per layer and mode."""

    name_a: str
    name_b: str
    run_a: EvalResult
    run_b: EvalResult
    test: SignificanceTest
    n: int
    seed: int
    metric: str
    average: str
    rows: tuple[ComparisonRow, ...]
    #: One row per layer, mode and label (``ComparisonOptions(per_label=True)``), labels in sorted order.
    label_rows: tuple[ComparisonRow, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = {"run_a": self.name_a, "run_b": self.name_b, "comparisons": [row.to_dict() for row in self.rows]}
        if self.label_rows:
            data["labels"] = [row.to_dict() for row in self.label_rows]
        return data

    def to_html(self, alpha: float = 0.05) -> str:
        """A self-contained page: per layer and mode, each label's difference B - A with its paired
        interval, the significant ones marked (:func:`eval.html.render_comparison_html`)."""
        from eval.html import render_comparison_html

        return render_comparison_html(self, alpha=alpha)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    def to_table(self, alpha: float = 0.05) -> str:
        """A plain-text table: scores of A and B, delta = B - A and the p-value; ``*`` marks p < ``alpha``."""
        a = self.run_a
        lines = [
            f"A: {self.name_a}  ({predictions_name(a)})",
            f"B: {self.name_b}  ({predictions_name(self.run_b)})",
            f"gold: {gold_name(a)}; {len(a.units)} {a.unit_kind}s resampled",
            f"test: {self.test}, n={self.n}, seed={self.seed}, metric: {self.average} {self.metric}; delta = B - A; "
            f"p two-sided; * p < {alpha:g}",
            "",
            f"{'layer':<10} {'mode':<8} {'A':>8} {'B':>8} {'delta':>8} {'p-value':>8}",
        ]
        for row in self.rows:
            r = row.result
            star = " *" if r.p_value < alpha else ""
            lines.append(f"{row.layer:<10} {row.mode:<8} {100 * r.score_a:>8.2f} {100 * r.score_b:>8.2f} "
                         f"{100 * r.delta:>+8.2f} {r.p_value:>8.4f}{star}")
        return "\n".join(lines) + "\n"


def _usage(message: str, fix: str = "") -> InputError:
    return InputError(Problem("usage", message, fix))


def _load(run: str | Path | EvalResult) -> tuple[EvalResult, str]:
    from eval.evaluate import EvalResult

    if isinstance(run, EvalResult):
        return run, "<in memory>"
    require_path(run, "file", what="run file", fix="Pass JSON results written by `akhbar eval --format json`.")
    try:
        return EvalResult.load(run), str(run)
    except (ValueError, KeyError, TypeError) as exc:
        raise _usage(str(exc)) from None


def check_comparable(a: EvalResult, b: EvalResult, name_a: str = "A", name_b: str = "B") -> None:
    """Refuse (:class:`InputError`) two runs whose scores cannot be compared: scored on different
    datasets, on different gold mentions (label map, ignored labels, layers), or counting unplaced
    offset-free mentions differently (``unaligned``)."""
    dataset_a, dataset_b = a.provenance.dataset or {}, b.provenance.dataset or {}
    fingerprint_a, fingerprint_b = dataset_a.get("fingerprint"), dataset_b.get("fingerprint")
    if fingerprint_a != fingerprint_b:
        raise _usage(
            f"the runs were scored on different datasets: {name_a} has fingerprint {fingerprint_a} "
            f"({dataset_a.get('source')}, split {dataset_a.get('split')}), {name_b} has {fingerprint_b} "
            f"({dataset_b.get('source')}, split {dataset_b.get('split')}).",
            "Evaluate both systems against the same dataset version and split.")
    if a.provenance.gold_fingerprint != b.provenance.gold_fingerprint:
        differing = [k for k in ("label_map", "ignore_labels", "layers")
                     if a.provenance.settings.get(k) != b.provenance.settings.get(k)]
        raise _usage(
            f"the runs scored different gold mentions ({name_a}: {a.provenance.gold_fingerprint[:23]}…, "
            f"{name_b}: {b.provenance.gold_fingerprint[:23]}…)"
            + (f"; their settings differ in {', '.join(differing)}." if differing else "."),
            "Evaluate both with the same --label-map, --ignore and --layer options.")
    # Runs written before --unaligned existed left unplaced mentions out of the scores: "ignore".
    policy_a, policy_b = (run.provenance.settings.get("unaligned", "ignore") for run in (a, b))
    if a.unit_kind == "document" and policy_a != policy_b:
        raise _usage(
            f"the runs counted unplaced offset-free mentions differently: {name_a} with --unaligned {policy_a}, "
            f"{name_b} with --unaligned {policy_b}; their precision is not comparable.",
            "Evaluate both with the same --unaligned option.")


def compare_runs(
    run_a: str | Path | EvalResult,
    run_b: str | Path | EvalResult,
    options: ComparisonOptions | None = None,
) -> Comparison:
    """Compare two evaluation runs: the difference B - A and its two-sided p-value, per layer and mode.

    Parameters
    ----------
    run_a, run_b : path or EvalResult
        Results of ``akhbar eval --format json`` (or :meth:`EvalResult.to_json`), scored on the same
        gold data; otherwise :class:`InputError` (see :func:`check_comparable`).
    options : ComparisonOptions, default=ComparisonOptions()
        The test, its resamples and seed, the metric and average, and the layers, modes and labels
        compared.

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        An unreadable run, runs that cannot be compared, a layer or mode missing from one of them,
        or a bad test setting.
    """
    from eval.stats import approximate_randomization, paired_bootstrap

    options = options if options is not None else ComparisonOptions()
    test, n_samples, seed, metric = options.test, options.resamples, options.seed, options.metric
    a, name_a = _load(run_a)
    b, name_b = _load(run_b)
    check_comparable(a, b, name_a, name_b)
    def significance(counts_a: UnitCounts, counts_b: UnitCounts, averaged: str) -> SignificanceResult:
        try:
            if test == "paired-bootstrap":
                return paired_bootstrap(counts_a, counts_b, n_resamples=n_samples, seed=seed, metric=metric,
                                        average=averaged, confidence=options.confidence)
            return approximate_randomization(counts_a, counts_b, n_trials=n_samples, seed=seed, metric=metric,
                                             average=averaged)
        except ValueError as exc:
            raise _usage(str(exc)) from None

    rows: list[ComparisonRow] = []
    label_rows: list[ComparisonRow] = []
    for layer in options.layers or [name for name in a.layers if name in b.layers]:
        if layer not in a.layers or layer not in b.layers:
            raise _usage(f"layer {layer!r} is not in both runs (A: {list(a.layers)}, B: {list(b.layers)}).")
        counts_a, counts_b = a.layers[layer].counts, b.layers[layer].counts
        for mode in options.modes or [m for m in counts_a if m in counts_b]:
            if mode not in counts_a or mode not in counts_b:
                raise _usage(f"mode {mode!r} of layer {layer!r} is not in both runs.")
            rows.append(ComparisonRow(layer, mode, significance(counts_a[mode], counts_b[mode], options.average)))
            if options.per_label:
                for label in sorted(set(counts_a[mode].labels) | set(counts_b[mode].labels)):
                    label_rows.append(ComparisonRow(layer, mode, significance(counts_a[mode], counts_b[mode], label),
                                                    label))
    return Comparison(name_a, name_b, a, b, test, n_samples, seed, metric, options.average, tuple(rows),
                      tuple(label_rows))


__all__ = ["DEFAULT_N", "TESTS", "Comparison", "ComparisonOptions", "ComparisonRow", "SignificanceTest",
           "check_comparable", "compare_runs"]
