"""A single self-contained HTML report: scores, errors by class, and every document annotated.

The page needs nothing but a browser: the style sheet is inline, there are no scripts, fonts,
images or links to other resources. Documents are shown right-to-left (``dir="rtl" lang="ar"``)
in an Arabic-capable font stack, with gold spans underlined and predicted spans shaded, both in
the colour of their label; nested and crossing spans are drawn by splitting highlights into
properly nested fragments, and every fragment is bidi-isolated (``unicode-bidi: isolate``) so that
Latin labels and digits cannot reorder the Arabic text around them. Text is HTML-escaped and
shown exactly as read: offsets are never "fixed".
"""

from __future__ import annotations

import html
import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import TYPE_CHECKING

from dataset_builder.charts import Bar, Difference, bar_chart, difference_chart, heatmap, stacked_bar_chart
from dataset_builder.charts import format_percent as _pct
from eval.describe import AVERAGE_ROWS, describe_dataset, describe_predictions, predictions_name, settings_line
from eval.errors import ERROR_CLASSES, ERROR_DESCRIPTIONS, errors_by_class
from eval.types import AlignedPair, ErrorClass, Mention

if TYPE_CHECKING:
    from eval.compare import Comparison, ComparisonRow
    from eval.evaluate import EvalResult, LayerResult
    from eval.stats import SignificanceResult

# Twelve hues that stay distinguishable as underline and as light shading.
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939",
)


def _esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def label_colours(labels: list[str]) -> dict[str, str]:
    """A colour per label, stable for a given label set (sorted, then the palette in order)."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(sorted(set(labels)))}


# ------------------------------------------------------------------------------- document view


@dataclass(frozen=True, slots=True)
class _Mark:
    start: int
    end: int
    side: str  # "gold" or "pred"
    label: str
    outcome: ErrorClass
    key: int

    def order(self) -> tuple[int, int, int, str, int]:
        # Outer spans first; gold outside predicted when both cover the same stretch.
        return (self.start, -self.end, 0 if self.side == "gold" else 1, self.label, self.key)


def _marks(pairs: list[AlignedPair]) -> list[_Mark]:
    marks = []
    for pair in pairs:
        for side, mention in (("gold", pair.gold), ("pred", pair.pred)):
            if mention is not None and mention.end > mention.start:
                marks.append(_Mark(mention.start, mention.end, side, mention.label, pair.outcome, len(marks)))
    return marks


def _gold_heights(marks: list[_Mark]) -> dict[int, int]:
    """For each gold mark, 1 + the deepest chain of gold marks inside it: outer underlines sit lower."""
    gold = sorted((m for m in marks if m.side == "gold"), key=lambda m: (m.end - m.start, m.start))
    heights: dict[int, int] = {}
    for i, mark in enumerate(gold):
        inner = [heights[g.key] for g in gold[:i] if mark.start <= g.start and g.end <= mark.end]
        heights[mark.key] = 1 + max(inner, default=0)
    return heights


def render_document_text(text: str, pairs: list[AlignedPair], colours: dict[str, str]) -> str:
    """HTML of one document's text with the gold and predicted mentions of ``pairs`` highlighted.

    Overlapping highlights are split into fragments so the markup nests properly; the fragment
    that ends a mention carries class ``end`` (where the label is drawn).
    """
    marks = _marks(pairs)
    if not marks:
        return _esc(text)
    heights = _gold_heights(marks)
    cuts = sorted({0, len(text)} | {m.start for m in marks} | {m.end for m in marks})
    starting: dict[int, list[_Mark]] = defaultdict(list)
    for mark in marks:
        starting[mark.start].append(mark)
    out: list[str] = []
    active: list[_Mark] = []
    opened: list[tuple[_Mark, int]] = []  # open fragments and the index of their opening tag in `out`

    def close_down_to(depth: int, position: int) -> None:
        while len(opened) > depth:
            mark, index = opened.pop()
            if position == mark.end:  # the fragment reaching the mention's end draws its label
                out[index] = _open(mark, colours, heights, ends_here=True)
            out.append("</span>")

    for left, right in itertools.pairwise(cuts):
        active = [m for m in active if m.end > left] + starting.get(left, [])
        wanted = sorted((m for m in active if m.start <= left and m.end >= right), key=_Mark.order)
        common = 0
        while common < min(len(opened), len(wanted)) and opened[common][0] is wanted[common]:
            common += 1
        close_down_to(common, left)
        for mark in wanted[common:]:
            opened.append((mark, len(out)))
            out.append(_open(mark, colours, heights, ends_here=False))
        out.append(_esc(text[left:right]))
    close_down_to(0, len(text))
    return "".join(out)


def _open(mark: _Mark, colours: dict[str, str], heights: dict[int, int], *, ends_here: bool) -> str:
    classes = ["m", mark.side]
    if mark.side == "gold" and mark.outcome is ErrorClass.MISSED:
        classes.append("missed")
    if mark.side == "pred" and mark.outcome is ErrorClass.SPURIOUS:
        classes.append("spurious")
    if ends_here:
        classes.append("end")
    style = f"--c:{colours.get(mark.label, '#777')}"
    if mark.side == "gold":
        style += f";padding-bottom:{2 + 5 * (heights.get(mark.key, 1) - 1)}px"
    side = "gold" if mark.side == "gold" else "predicted"
    title = f"{side} {mark.label} [{mark.start}, {mark.end}) — {mark.outcome.value.replace('_', ' ')}"
    return (f'<span class="{" ".join(classes)}" style="{style}" data-label="{_esc(mark.label)}" '
            f'title="{_esc(title)}">')


# ------------------------------------------------------------------------------------ sections


def _score_section(result: EvalResult) -> str:
    parts = ["<h2>Scores</h2>"]
    confidence = result.provenance.settings.get("confidence", 0.95)
    for name, layer in result.layers.items():
        parts.append(f"<h3>Layer <code>{_esc(name)}</code></h3>")
        parts.append(_summary_table(layer, confidence))
        for index, mode in enumerate(layer.scores):
            report = layer.scores[mode]
            parts.append(f'<section class="mode" data-layer="{_esc(name)}" data-mode="{_esc(mode)}">')
            parts.append(f"<h4>{_esc(mode)} — F1 per label ({report.n_gold} gold, {report.n_pred} predicted)</h4>")
            parts.append(f'<figure>{f1_chart(layer, mode, confidence)}</figure>')
            parts.append(f"<details{' open' if index == 0 else ''}><summary>{_esc(mode)} — per label table"
                         "</summary>")
            parts.append(_label_table(layer, mode, confidence))
            parts.append("</details>")
            if layer.nested.get(mode):
                parts.append(_nesting_section(layer, mode))
            parts.append("</section>")
        parts.append(_confusion_section(layer))
    for link_type, by_mode in result.links.items():
        parts.append(f"<h3>Links <code>{_esc(link_type)}</code></h3>")
        parts.append(_links_table(by_mode))
    return "\n".join(parts)


#: Columns of the links table in reading order: scores first, then the counts they come from.
LINK_COLUMNS = ("precision", "recall", "f1", "tp", "fp", "fn", "n_gold", "n_pred", "n_attributed",
                "n_attribution_correct", "attribution_accuracy")


def _links_table(by_mode: dict[str, dict[str, object]]) -> str:
    present = {k for scores in by_mode.values() for k, v in scores.items() if isinstance(v, int | float)}
    keys = [k for k in LINK_COLUMNS if k in present] + sorted(present - set(LINK_COLUMNS))
    rows = "".join(
        f"<tr><td>{_esc(mode)}</td>" + "".join(f'<td class="num">{_esc(_link_value(scores.get(k)))}</td>'
                                               for k in keys) + "</tr>"
        for mode, scores in by_mode.items()
    )
    return ("<table class='links'><tr><th>mode</th>" + "".join(f"<th>{_esc(k)}</th>" for k in keys)
            + f"</tr>{rows}</table>")


def f1_chart(layer: LayerResult, mode: str, confidence: float = 0.95) -> str:
    """Per-label F1 of one mode as horizontal bars, best first, with the bootstrap interval as a whisker
    and the support beside the value (an inline ``<svg>``)."""
    report = layer.scores[mode]
    intervals = layer.intervals.get(mode, {})
    bars = []
    for label, score in sorted(report.per_label.items(), key=lambda item: (-_sortable(item[1].f1), item[0])):
        ci = intervals.get(label, {}).get("f1")
        bars.append(Bar(label, score.f1, ci.low if ci is not None else None, ci.high if ci is not None else None,
                        note=f"n={score.support}"))
    ci_note = f", whiskers: {round(100 * confidence)}% bootstrap interval" if intervals else ""
    return bar_chart(bars, title=f"{layer.layer} · {mode}: F1 % per label (n = gold support{ci_note})")


def nesting_chart(layer: LayerResult, mode: str) -> str:
    """F1 of flat, inner and outer mentions and of nesting pairs in one mode (``LayerResult.nested``), as
    nested-NER papers report them; the support is the gold count of each subset."""
    bars = [Bar(subset, score.f1, note=f"n={score.gold}") for subset, score in layer.nested[mode].items()]
    return bar_chart(bars, title=f"{layer.layer} · {mode}: F1 % by nesting (flat, inner, outer, pairs)")


def _nesting_section(layer: LayerResult, mode: str) -> str:
    rows = "".join(
        f"<tr><td>{_esc(subset)}</td>" + "".join(f'<td class="num">{_esc(value)}</td>' for value in (
            score.gold, score.pred, score.found_gold, score.found_pred, _pct(score.precision), _pct(score.recall),
            _pct(score.f1))) + "</tr>"
        for subset, score in layer.nested[mode].items()
    )
    table = ("<table class='nesting'><tr><th>subset</th><th>gold</th><th>predicted</th><th>gold found</th>"
             f"<th>predicted found</th><th>P</th><th>R</th><th>F1</th></tr>{rows}</table>")
    return (f"<h4>{_esc(mode)} — nesting</h4><figure>{nesting_chart(layer, mode)}</figure>"
            f"<details><summary>{_esc(mode)} — nesting table</summary>{table}</details>")


def _sortable(value: float) -> float:
    return -1.0 if value is None or math.isnan(value) else value


def _link_value(value: object) -> str:
    return _pct(value) if isinstance(value, float) else ("" if value is None else str(value))


def _ci_cell(layer: LayerResult, mode: str, key: str) -> str:
    ci = layer.intervals.get(mode, {}).get(key, {}).get("f1")
    if ci is None or math.isnan(ci.low):
        return '<td class="num"></td>'
    return f'<td class="num">[{100 * ci.low:.2f}, {100 * ci.high:.2f}]</td>'


def _has_ci(layer: LayerResult, modes: list[str]) -> bool:
    """Whether any interval of these modes has a value: an all-empty CI column is left out."""
    return any(not math.isnan(ci.low) for mode in modes for metrics in layer.intervals.get(mode, {}).values()
               for key, ci in metrics.items() if key == "f1")


def _summary_table(layer: LayerResult, confidence: float) -> str:
    with_ci = _has_ci(layer, list(layer.scores))
    header = "<tr><th>mode</th><th>precision %</th><th>recall %</th><th>F1 %</th>"
    header += f"<th>{round(100 * confidence)}% CI F1</th>" if with_ci else ""
    header += "<th>macro F1 %</th><th>gold</th><th>predicted</th></tr>"
    rows = []
    for mode, report in layer.scores.items():
        micro = report.micro
        rows.append(
            f"<tr><td>{_esc(mode)}</td><td class='num'>{_pct(micro.precision)}</td>"
            f"<td class='num'>{_pct(micro.recall)}</td><td class='num'>{_pct(micro.f1)}</td>"
            + (_ci_cell(layer, mode, "micro") if with_ci else "")
            + f"<td class='num'>{_pct(report.macro.f1)}</td><td class='num'>{report.n_gold}</td>"
            f"<td class='num'>{report.n_pred}</td></tr>"
        )
    return f'<table class="summary">{header}{"".join(rows)}</table>'


def _label_table(layer: LayerResult, mode: str, confidence: float) -> str:
    report = layer.scores[mode]
    with_ci = _has_ci(layer, [mode])
    header = "<tr><th>label</th><th>precision %</th><th>recall %</th><th>F1 %</th>"
    header += f"<th>{round(100 * confidence)}% CI F1</th>" if with_ci else ""
    header += "<th>TP</th><th>FP</th><th>FN</th><th>support</th></tr>"
    rows = []
    entries = [(label, score, label, "") for label, score in sorted(report.per_label.items())]
    entries += [(name, getattr(report, key), key, ' class="average"') for key, name in AVERAGE_ROWS]
    for label, score, key, css in entries:
        rows.append(
            f"<tr{css}><td>{_esc(label)}</td><td class='num'>{_pct(score.precision)}</td>"
            f"<td class='num'>{_pct(score.recall)}</td><td class='num'>{_pct(score.f1)}</td>"
            + (_ci_cell(layer, mode, key) if with_ci else "")
            + f"<td class='num'>{score.tp:g}</td><td class='num'>{score.fp:g}</td><td class='num'>{score.fn:g}</td>"
            f"<td class='num'>{score.support}</td></tr>"
        )
    return f'<table class="labels" data-mode="{_esc(mode)}">{header}{"".join(rows)}</table>'


def _confusion_section(layer: LayerResult) -> str:
    matrix, labels = layer.confusion
    if not labels:
        return ""
    head = "<tr><th>gold \\ predicted</th>" + "".join(f"<th>{_esc(label)}</th>" for label in labels) + "</tr>"
    rows = "".join(
        f"<tr><th>{_esc(labels[i])}</th>" + "".join(f"<td class='num'>{value or ''}</td>" for value in row) + "</tr>"
        for i, row in enumerate(matrix)
    )
    chart = heatmap(matrix, labels, labels, title=f"{layer.layer}: confusion matrix, ∅ = no mention",
                    row_title="gold", column_title="predicted")
    return (f"<h4>Confusion matrix</h4><figure>{chart}</figure>"
            f"<details><summary>Confusion matrix table ({_esc(layer.layer)}; ∅ = no mention)</summary>"
            f"<table class='confusion'>{head}{rows}</table></details>")


def error_class_rows(layer: LayerResult) -> list[tuple[str, list[int]]]:
    """Errors per label and class (:data:`~eval.errors.ERROR_CLASSES` order), most errors first; an error
    counts under its gold label, a spurious prediction under its predicted label."""
    counts: dict[str, Counter[ErrorClass]] = defaultdict(Counter)
    for record in layer.errors:
        counts[record.gold_label or record.pred_label or "?"][record.error] += 1
    rows = [(label, [by_class.get(cls, 0) for cls in ERROR_CLASSES]) for label, by_class in counts.items()]
    return sorted(rows, key=lambda row: (-sum(row[1]), row[0]))


def _context_cell(record: object) -> str:
    left = getattr(record, "left_context", None)
    right = getattr(record, "right_context", None)
    reason = getattr(record, "reason", None)
    if reason is not None and not getattr(record, "placed", True):
        # No offsets, so no context to quote and nothing to highlight in the document view.
        return f"<td class='unplaced'>{_esc(reason)}</td>"
    if left is None and right is None:
        return "<td></td>"
    gold_text = getattr(record, "gold_text", None)
    pred_text = getattr(record, "pred_text", None)
    start, end = record.start, record.end  # type: ignore[attr-defined]
    middle = gold_text if (gold_text is not None and getattr(record, "gold_start", None) == start
                           and getattr(record, "gold_end", None) == end) else pred_text
    if middle is None or len(middle) != end - start:
        middle = gold_text or pred_text or ""
    return (f'<td class="ar ctx" dir="rtl" lang="ar">…{_esc(left)}<mark>{_esc(middle)}</mark>'
            f"{_esc(right)}…</td>")


def _errors_section(result: EvalResult) -> str:
    parts = ["<h2>Errors by class</h2>"]
    for name, layer in result.layers.items():
        parts.append(f"<h3>Layer <code>{_esc(name)}</code></h3>")
        counts = "".join(
            f"<tr><td>{_esc(cls)}</td><td class='num'>{count}</td>"
            f"<td>{_esc(ERROR_DESCRIPTIONS[ErrorClass(cls)])}</td></tr>"
            for cls, count in layer.error_counts.items()
        )
        rows = error_class_rows(layer)
        if rows:
            chart = stacked_bar_chart(rows, [cls.value.replace("_", " ") for cls in ERROR_CLASSES],
                                      title=f"{name}: errors per label and class")
            head = "".join(f"<th>{_esc(cls.value.replace('_', ' '))}</th>" for cls in ERROR_CLASSES)
            body = "".join(f"<tr><td>{_esc(label)}</td>" + "".join(f"<td class='num'>{v}</td>" for v in values)
                           + "</tr>" for label, values in rows)
            parts.append(f"<figure>{chart}</figure><details><summary>Errors per label table</summary>"
                         f"<table class='error-labels'><tr><th>label</th>{head}</tr>{body}</table></details>")
        parts.append("<table class='error-counts'><tr><th>class</th><th>count</th><th>meaning</th></tr>"
                     f"{counts}</table>")
        for cls, records in errors_by_class(layer.errors).items():
            if not records:
                continue
            parts.append(f"<details><summary>{_esc(cls.value.replace('_', ' '))} ({len(records)})</summary>")
            rows = []
            for r in records:
                doc_link = (f'<a href="#{_esc(_anchor(name, r.doc_id))}">{_esc(r.doc_id)}</a>'
                            if result.texts else _esc(r.doc_id))
                rows.append(
                    f"<tr><td>{doc_link}</td>"
                    f"<td class='num'>{_offsets(r.gold_start, r.gold_end)}</td><td>{_esc(r.gold_label or '—')}</td>"
                    f'<td class="ar" dir="rtl" lang="ar">{_esc(r.gold_text or "")}</td>'
                    f"<td class='num'>{_offsets(r.pred_start, r.pred_end)}</td><td>{_esc(r.pred_label or '—')}</td>"
                    f'<td class="ar" dir="rtl" lang="ar">{_esc(r.pred_text or "")}</td>{_context_cell(r)}</tr>'
                )
            parts.append(
                f"<table class='errors' data-class='{_esc(cls.value)}'><tr><th>{_esc(result.unit_kind)}</th>"
                "<th>gold offsets</th><th>gold label</th><th>gold text</th><th>predicted offsets</th>"
                "<th>predicted label</th><th>predicted text</th><th>context</th></tr>" + "".join(rows) + "</table>"
            )
            parts.append("</details>")
    return "\n".join(parts)


def _offsets(start: int | None, end: int | None) -> str:
    return "" if start is None else f"{start}–{end}"


def _anchor(layer: str, doc_id: str) -> str:
    return f"doc-{layer}-{doc_id}"


def _legend(colours: dict[str, str]) -> str:
    keys = (
        '<span class="item"><span class="key-gold">نص</span> gold</span>'
        '<span class="item"><span class="key-missed">نص</span> gold, missed</span>'
        '<span class="item"><span class="key-pred">نص</span> predicted</span>'
        '<span class="item"><span class="key-spurious">نص</span> predicted, spurious</span>'
    )
    swatches = "".join(
        f'<span class="item"><span class="swatch" style="--c:{colour}"></span>{_esc(label)}</span>'
        for label, colour in colours.items()
    )
    return f'<div class="legend">{keys}{swatches}</div>'


def _documents_section(result: EvalResult, max_documents: int | None) -> str:
    if not result.texts:
        return ("<h2>Documents</h2><p class='note'>Document texts are not part of this result "
                f"({_esc(result.unit_kind)}s scored from tags, or a result saved without texts).</p>")
    parts = ["<h2>Documents</h2>"]
    for name, layer in result.layers.items():
        placed = layer.placed_pairs  # an unplaced prediction has no offsets to highlight
        if not placed:
            continue
        labels = [m.label for p in placed for m in (p.gold, p.pred) if isinstance(m, Mention)]
        colours = label_colours(labels)
        parts.append(f"<h3>Layer <code>{_esc(name)}</code></h3>")
        parts.append(_legend(colours))
        by_doc: dict[str, list[AlignedPair]] = defaultdict(list)
        for pair in placed:
            mention = pair.gold if pair.gold is not None else pair.pred
            by_doc[mention.doc_id].append(pair)  # type: ignore[union-attr]
        shown = [unit for unit in result.units if unit in result.texts]
        if max_documents is not None and len(shown) > max_documents:
            parts.append(f"<p class='note'>Showing the first {max_documents} of {len(shown)} documents.</p>")
            shown = shown[:max_documents]
        for doc_id in shown:
            pairs = by_doc.get(doc_id, [])
            errors = sum(p.outcome is not ErrorClass.CORRECT for p in pairs)
            parts.append(f'<div class="doc-title" id="{_esc(_anchor(name, doc_id))}">{_esc(doc_id)} — '
                         f"{len(pairs)} aligned pair(s), {errors} not correct</div>")
            parts.append(f'<div class="doc" dir="rtl" lang="ar">'
                         f"{_hide_leading_blank_lines(render_document_text(result.texts[doc_id], pairs, colours))}"
                         "</div>")
    return "\n".join(parts)


def _hide_leading_blank_lines(markup: str) -> str:
    """Keep the text's leading line breaks in the page (offsets and copied text stay exact) but hidden:
    shown with ``white-space: pre-wrap`` they are an empty band above the article."""
    lead = len(markup) - len(markup.lstrip("\r\n"))
    if not lead:
        return markup
    return f'<span class="lead" hidden>{markup[:lead]}</span>{markup[lead:]}'


def _problems_section(result: EvalResult) -> str:
    if not result.problems:
        return ""
    items = "".join(f"<li>{_esc(problem)}</li>" for problem in result.problems)
    return f"<h2>Problems with the input</h2><ul class='problems'>{items}</ul>"


def _page(title: str, version: str, provenance: list[tuple[str, str]], **sections: str) -> str:
    items = "\n".join(f"<li><strong>{_esc(key)}:</strong> {_esc(value)}</li>" for key, value in provenance)
    template = Template(resources.files("eval").joinpath("templates/report.html").read_text(encoding="utf-8"))
    parts = {"scores": "", "errors": "", "documents": "", "problems": "", **sections}
    return template.substitute(title=_esc(title), version=_esc(version), provenance=items, **parts)


def _interval(result: SignificanceResult) -> str:
    return "" if math.isnan(result.low) else f"[{100 * result.low:+.2f}, {100 * result.high:+.2f}]"


def _comparison_table(rows: list[ComparisonRow], alpha: float, first: str) -> str:
    head = (f"<tr><th>{_esc(first)}</th><th>A %</th><th>B %</th><th>delta (B − A)</th><th>interval</th>"
            f"<th>p-value</th><th>p &lt; {alpha:g}</th></tr>")
    body = []
    for row in rows:
        r = row.result
        name = row.label if row.label is not None else f"{row.layer} · {row.mode}"
        body.append(f"<tr><td>{_esc(name)}</td><td class='num'>{_pct(r.score_a)}</td>"
                    f"<td class='num'>{_pct(r.score_b)}</td><td class='num'>{100 * r.delta:+.2f}</td>"
                    f"<td class='num'>{_interval(r)}</td><td class='num'>{r.p_value:.4f}</td>"
                    f"<td>{'yes *' if r.p_value < alpha else 'no'}</td></tr>")
    return f"<table class='comparison'>{head}{''.join(body)}</table>"


def render_comparison_html(comparison: Comparison, *, alpha: float = 0.05, title: str | None = None) -> str:
    """``akhbar compare --format html``: one self-contained page with, per layer and mode, each label's
    difference B - A as a dot on its paired bootstrap interval (filled and ``*`` when p < ``alpha``) and
    the same numbers in a table under it.

    The comparison should carry per-label rows (``ComparisonOptions(per_label=True, confidence=...)``);
    without them the page shows the averaged rows only.
    """
    a, b = comparison.run_a, comparison.run_b
    title = title or f"Comparison — {comparison.name_a} vs {comparison.name_b}"
    metric = f"{comparison.average} {comparison.metric}"
    parts = ["<h2>Summary</h2>",
             f"<p class='note'>delta = B − A on the {metric}; two-sided p-value of the {_esc(comparison.test)} "
             f"test; * marks p &lt; {alpha:g}.</p>",
             _comparison_table(list(comparison.rows), alpha, "layer · mode")]
    by_mode: dict[tuple[str, str], list[ComparisonRow]] = defaultdict(list)
    for row in comparison.label_rows:
        by_mode[(row.layer, row.mode)].append(row)
    if by_mode:
        parts.append("<h2>Per label</h2>")
    for (layer, mode), rows in by_mode.items():
        rows = sorted(rows, key=lambda row: (-row.result.delta, row.label or ""))
        confidence = rows[0].result.confidence
        shown = f"{round(100 * confidence)}% paired bootstrap interval" if confidence else "no interval"
        chart = difference_chart(
            [Difference(row.label or "", row.result.delta, row.result.low, row.result.high,
                        row.result.p_value < alpha) for row in rows],
            title=f"{layer} · {mode}: {comparison.metric} B − A per label (line: {shown}; filled, * = p < {alpha:g})")
        parts.append(f'<section class="mode" data-layer="{_esc(layer)}" data-mode="{_esc(mode)}">'
                     f"<h3>Layer <code>{_esc(layer)}</code> · {_esc(mode)}</h3><figure>{chart}</figure>"
                     f"<details><summary>{_esc(mode)} — per label table</summary>"
                     f"{_comparison_table(rows, alpha, 'label')}</details></section>")
    provenance = [("A", f"{comparison.name_a} ({predictions_name(a)})"),
                  ("B", f"{comparison.name_b} ({predictions_name(b)})"),
                  ("gold", describe_dataset(a)),
                  ("test", f"{comparison.test}, n={comparison.n}, seed={comparison.seed}, {len(a.units)} "
                           f"{a.unit_kind}s resampled, metric {metric}")]
    return _page(title, a.provenance.akhbar_version, provenance, scores="\n".join(parts))


def render_html(result: EvalResult, *, title: str | None = None, max_documents: int | None = None) -> str:
    """The full report as one self-contained HTML page.

    Parameters
    ----------
    result : EvalResult
    title : str, optional
        Page title; defaults to "Evaluation — <dataset>".
    max_documents : int, optional
        Show at most this many documents (the page says how many were left out).

    Returns
    -------
    str
        An HTML5 document with no external resources.
    """
    dataset = result.provenance.dataset or {}
    title = title or f"Evaluation — {dataset.get('name') or dataset.get('source') or 'akhbar'}"
    provenance = [
        ("gold", describe_dataset(result)), ("predictions", describe_predictions(result)),
        ("settings", settings_line(result)),
        ("akhbar", f"{result.provenance.akhbar_version}, {result.provenance.created}"),
    ]
    return _page(title, result.provenance.akhbar_version, provenance, scores=_score_section(result),
                 errors=_errors_section(result), documents=_documents_section(result, max_documents),
                 problems=_problems_section(result))


__all__ = ["LINK_COLUMNS", "PALETTE", "error_class_rows", "f1_chart", "label_colours", "render_comparison_html",
           "render_document_text", "render_html"]
