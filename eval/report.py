"""Render an :class:`~eval.evaluate.EvalResult` for people and for tools.

Formats
-------
``table``
    Aligned plain text: per layer and mode, one row per label, then micro / macro / weighted
    averages, with a bootstrap confidence interval of F1 beside each row; then error counts, the
    predictions not placed in the text (counted spurious) and every problem with the input.
``markdown``
    The same tables in GitHub-flavoured Markdown, provenance, and errors listed by class (an error
    without offsets, a prediction not placed in the text, shows its reason in the offsets column).
``json``
    :meth:`EvalResult.to_json` (the layout is documented in docs/evaluation.md).
``conlleval``
    conlleval.pl's layout for the strict mode of each layer: the phrase counts line, the overall
    line and one line per type. For documents (no tokens) the first line counts documents and the
    accuracy field is left out, since there is no tag accuracy to report.
``html``
    A self-contained page: tables, errors by class, and each document right-to-left with gold and
    predicted spans highlighted (:mod:`eval.html`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from eval.describe import AVERAGE_ROWS, describe_dataset, describe_predictions, settings_line
from eval.errors import ERROR_CLASSES, ERROR_DESCRIPTIONS, errors_by_class
from eval.types import ErrorClass

if TYPE_CHECKING:
    from eval.evaluate import EvalResult, LayerResult
    from eval.stats import ConfidenceInterval
    from eval.types import LabelScore, ScoreReport

ReportFormat = Literal["table", "json", "markdown", "conlleval", "html"]
FORMATS: tuple[str, ...] = ("table", "json", "markdown", "conlleval", "html")


def render(result: EvalResult, fmt: ReportFormat = "table", *, max_errors: int | None = 25) -> str:
    """Render a result in one of :data:`FORMATS`.

    Parameters
    ----------
    result : EvalResult
    fmt : {"table", "json", "markdown", "conlleval", "html"}, default="table"
    max_errors : int or None, default=25
        Errors listed per class in the Markdown report (the count of those left out is always
        stated); ``None`` lists all. The HTML report always lists all.

    Returns
    -------
    str
    """
    if fmt == "table":
        return render_table(result)
    if fmt == "json":
        return result.to_json()
    if fmt == "markdown":
        return render_markdown(result, max_errors=max_errors)
    if fmt == "conlleval":
        return render_conlleval(result)
    if fmt == "html":
        from eval.html import render_html

        return render_html(result)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}.")


# ------------------------------------------------------------------------------------ helpers


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.2f}"


def _count(value: float) -> str:
    return f"{value:g}"


def _interval(ci: ConfidenceInterval | None) -> str:
    if ci is None or math.isnan(ci.low):
        return ""
    return f"[{100 * ci.low:.2f}, {100 * ci.high:.2f}]"


def _rows(layer: LayerResult, mode: str) -> list[tuple[str, LabelScore, ConfidenceInterval | None]]:
    report: ScoreReport = layer.scores[mode]
    intervals = layer.intervals.get(mode, {})
    rows = [(label, score, intervals.get(label, {}).get("f1")) for label, score in sorted(report.per_label.items())]
    for key, name in AVERAGE_ROWS:
        rows.append((name, getattr(report, key), intervals.get(key, {}).get("f1")))
    return rows


def _confidence(result: EvalResult) -> str:
    settings = result.provenance.settings
    if not any(layer.intervals for layer in result.layers.values()):
        return ""
    return f"{round(100 * settings.get('confidence', 0.95))}% CI F1"


# -------------------------------------------------------------------------------------- table


def render_table(result: EvalResult) -> str:
    """Plain-text report with aligned columns (what ``akhbar eval`` prints by default)."""
    lines = [
        f"gold:        {describe_dataset(result)}",
        f"predictions: {describe_predictions(result)}",
        f"settings:    {settings_line(result)}",
        f"akhbar {result.provenance.akhbar_version}",
    ]
    if result.tokens:
        n, k = result.tokens["tokens"], result.tokens["correct"]
        lines.append(f"tokens:      {n}, tag accuracy {_pct(k / n if n else math.nan)}%")
    ci_header = _confidence(result)
    for name, layer in result.layers.items():
        for mode in layer.scores:
            report = layer.scores[mode]
            lines += ["", f"== {name} — {mode} ({report.n_gold} gold, {report.n_pred} predicted)"]
            rows = _rows(layer, mode)
            width = max([len("weighted avg")] + [len(label) for label, _, _ in rows])
            header = (f"{'label':<{width}}  {'precision':>9}  {'recall':>7}  {'f1':>7}  "
                      f"{ci_header:>16}  {'tp':>7}  {'fp':>7}  {'fn':>7}  {'support':>7}")
            lines.append(header.rstrip() if not ci_header else header)
            for index, (label, score, ci) in enumerate(rows):
                if index == len(rows) - len(AVERAGE_ROWS):
                    lines.append("-" * len(header))
                row = (f"{label:<{width}}  {_pct(score.precision):>9}  {_pct(score.recall):>7}  {_pct(score.f1):>7}  "
                       f"{_interval(ci):>16}  {_count(score.tp):>7}  {_count(score.fp):>7}  {_count(score.fn):>7}  "
                       f"{score.support:>7}")
                lines.append(row)
            lines += ["", _document_macro_line(result, layer, mode)]
        lines += _nested_table(name, layer)
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in layer.error_counts.items())
        lines += ["", f"{name} alignment: {counts}"]
        if layer.unplaced:
            lines.append(f"{name}: {len(layer.unplaced)} prediction(s) not placed in the text, each counted spurious:")
            lines += [f"  {u.doc_id}  {u.label}  {u.text}  ({u.why})" for u in layer.unplaced]
    for link_type, by_mode in result.links.items():
        for mode, scores in by_mode.items():
            shown = ", ".join(f"{k} {_pct(v) if isinstance(v, float) else v}" for k, v in scores.items()
                              if isinstance(v, int | float))
            lines.append(f"links {link_type} — {mode}: {shown}")
    if result.problems:
        lines += ["", f"{len(result.problems)} problem(s) with the input:"]
        lines += [f"  {problem}" for problem in result.problems]
    return "\n".join(lines) + "\n"


def _document_macro_line(result: EvalResult, layer: LayerResult, mode: str) -> str:
    """The HIPE scorer's macro_doc: mean ± population std of each unit's micro P/R/F1."""
    macro = layer.document_macro(mode)
    figures = ", ".join(f"{short} {_pct(macro[metric])} ± {_pct(macro[metric + '_std'])}"
                        for short, metric in (("P", "precision"), ("R", "recall"), ("F1", "f1")))
    return f"per-{result.unit_kind} macro ({macro['units']} {result.unit_kind}s, mean ± std): {figures}"


def _nested_table(name: str, layer: LayerResult) -> list[str]:
    """Flat / inner / outer mentions and nesting pairs (eval.nested), when the layer has nesting."""
    if not layer.nested:
        return []
    lines = ["", f"{name} nesting: flat = in no other mention, inner = inside another, outer = containing another, "
             "pairs = outer ⊃ inner found together",
             f"{'mode':<8}  {'subset':<6}  {'gold':>5}  {'pred':>5}  {'precision':>9}  {'recall':>7}  {'f1':>7}"]
    for mode, by_subset in layer.nested.items():
        lines += [f"{mode:<8}  {s.subset:<6}  {s.gold:>5}  {s.pred:>5}  {_pct(s.precision):>9}  {_pct(s.recall):>7}  "
                  f"{_pct(s.f1):>7}" for s in by_subset.values()]
    return lines


# ------------------------------------------------------------------------------------ markdown


def _md_escape(text: str | None) -> str:
    if text is None:
        return ""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(result: EvalResult, *, max_errors: int | None = 25) -> str:
    """GitHub-flavoured Markdown report: provenance, score tables, errors by class, problems."""
    out = [
        "# Evaluation report", "",
        f"- **Gold:** {_md_escape(describe_dataset(result))}",
        f"- **Predictions:** {_md_escape(describe_predictions(result))}",
        f"- **Settings:** `{settings_line(result)}`",
        f"- **akhbar:** {result.provenance.akhbar_version}, {result.provenance.created}",
    ]
    if result.tokens:
        n, k = result.tokens["tokens"], result.tokens["correct"]
        out.append(f"- **Tokens:** {n}, tag accuracy {_pct(k / n if n else math.nan)}%")
    ci_header = _confidence(result)
    for name, layer in result.layers.items():
        out += ["", f"## Layer `{name}`"]
        for mode in layer.scores:
            report = layer.scores[mode]
            out += ["", f"### {mode} ({report.n_gold} gold, {report.n_pred} predicted)", ""]
            columns = ["label", "precision %", "recall %", "F1 %"] + ([ci_header] if ci_header else []) + [
                "TP", "FP", "FN", "support"]
            out.append("| " + " | ".join(columns) + " |")
            out.append("|" + "|".join([":---"] + ["---:"] * (len(columns) - 1)) + "|")
            for label, score, ci in _rows(layer, mode):
                is_average = label.endswith(" avg")
                cells = [f"**{label}**" if is_average else f"`{_md_escape(label)}`", _pct(score.precision),
                         _pct(score.recall), _pct(score.f1)] + ([_interval(ci)] if ci_header else []) + [
                    _count(score.tp), _count(score.fp), _count(score.fn), str(score.support)]
                out.append("| " + " | ".join(cells) + " |")
            out += ["", _document_macro_line(result, layer, mode)]
        if layer.nested:
            out += ["", f"### Nesting in `{name}`", "", "| mode | subset | gold | predicted | precision % | "
                    "recall % | F1 % |", "|:---|:---|---:|---:|---:|---:|---:|"]
            out += [f"| {mode} | {s.subset} | {s.gold} | {s.pred} | {_pct(s.precision)} | {_pct(s.recall)} | "
                    f"{_pct(s.f1)} |" for mode, by_subset in layer.nested.items() for s in by_subset.values()]
        out += ["", f"### Errors in `{name}`", ""]
        out.append("| class | count | meaning |")
        out.append("|:---|---:|:---|")
        for cls in ("correct", *(c.value for c in ERROR_CLASSES)):
            out.append(f"| {cls} | {layer.error_counts.get(cls, 0)} | {ERROR_DESCRIPTIONS[ErrorClass(cls)]} |")
        for cls, records in errors_by_class(layer.errors).items():
            if not records:
                continue
            shown = records if max_errors is None else records[:max_errors]
            out += ["", f"#### {cls.value} ({len(records)})", "", "| doc | offsets | gold | predicted |",
                    "|:---|:---|:---|:---|"]
            for r in shown:
                gold = f"`{r.gold_label}` {_md_escape(r.gold_text)}" if r.gold_label else "—"
                pred = f"`{r.pred_label}` {_md_escape(r.pred_text)}" if r.pred_label else "—"
                offsets = " / ".join(f"{s}–{e}" for s, e in ((r.gold_start, r.gold_end), (r.pred_start, r.pred_end))
                                     if s is not None) or f"*{r.reason or 'no offsets'}*"
                out.append(f"| {_md_escape(r.doc_id)} | {offsets} | {gold} | {pred} |")
            if len(shown) < len(records):
                left_out = len(records) - len(shown)
                out.append(f"\n… and {left_out} more {cls.value} errors (see the JSON or HTML report).")
    if result.links:
        out += ["", "## Links", ""]
        for link_type, by_mode in result.links.items():
            for mode, scores in by_mode.items():
                shown = ", ".join(f"{k}: {_pct(v) if isinstance(v, float) else v}" for k, v in scores.items()
                                  if isinstance(v, int | float))
                out.append(f"- `{link_type}` ({mode}): {shown}")
    if result.problems:
        out += ["", "## Problems with the input", ""]
        out += [f"- {_md_escape(str(problem))}" for problem in result.problems]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------ conlleval


def _conlleval_block(report: ScoreReport, tokens: dict[str, int] | None, n_units: int, unit_kind: str) -> list[str]:
    micro = report.micro
    found_guessed, found_correct, correct = int(micro.tp + micro.fp), int(micro.tp + micro.fn), int(micro.tp)
    if tokens:
        first = (f"processed {tokens['tokens']} tokens with {found_correct} phrases; "
                 f"found: {found_guessed} phrases; correct: {correct}.")
        accuracy = 100 * tokens["correct"] / tokens["tokens"] if tokens["tokens"] else 0.0
        overall = f"accuracy: {accuracy:6.2f}%; "
    else:
        first = (f"processed {n_units} {unit_kind}s with {found_correct} phrases; "
                 f"found: {found_guessed} phrases; correct: {correct}.")
        overall = ""
    lines = [first, overall + _conlleval_prf(micro)]
    for label in sorted(report.per_label):
        score = report.per_label[label]
        lines.append(f"{label:>17}: {_conlleval_prf(score)}  {int(score.tp + score.fp)}")
    return lines


def _conlleval_prf(score: LabelScore) -> str:
    # conlleval.pl reports 0 (not NaN) for empty denominators, whatever zero_division was.
    def value(x: float) -> float:
        return 0.0 if x is None or math.isnan(x) else 100 * x

    return (f"precision: {value(score.precision):6.2f}%; recall: {value(score.recall):6.2f}%; "
            f"FB1: {value(score.f1):6.2f}")


def render_conlleval(result: EvalResult, layers: Sequence[str] | None = None) -> str:
    """conlleval.pl's report of the strict scores of each layer (one block per layer)."""
    blocks = []
    for name in layers or list(result.layers):
        layer = result.layers[name]
        if "strict" not in layer.scores:
            raise ValueError("the conlleval report shows strict scores; evaluate with mode 'strict' to render it.")
        lines = _conlleval_block(layer.scores["strict"], result.tokens, len(result.units), result.unit_kind)
        if len(result.layers) > 1:
            lines.insert(0, f"# layer {name}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


__all__ = ["FORMATS", "ReportFormat", "render", "render_conlleval", "render_markdown", "render_table"]
