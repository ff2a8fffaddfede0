"""Inter-annotator agreement: how far two or more people who annotated the same documents agree.

Figures, for every pair of annotators (documents matched by id; a pair is scored on the documents
both annotated):

- **span F1** per layer, label and document, in ``strict`` and ``partial`` mode (or any modes of
  :mod:`eval.score`): annotator A's spans aligned to B's with :func:`eval.align.align` and scored
  with :func:`eval.score.score_pairs`, A in the place of gold. Micro F1 does not depend on which of
  the two is "gold" (precision and recall swap); per-label F1 does not either.
- **Cohen's kappa** on token tags (scikit-learn's ``cohen_kappa_score``), per layer. The *token tag
  view*: the text is cut into tokens by :func:`dataset_builder.text.tokenize.token_spans`; a token
  gets the label of the outermost span of the layer that overlaps it (the longest, then the first),
  ``O`` when none does. Nested spans thus count by their outer span, and a span that differs only
  by an attached clitic (``و`` + ``بوتين``) tags the same token: kappa measures agreement on *what*
  is annotated, span F1 on the exact boundaries.
- **link agreement** per link type: :func:`eval.links.score_links` with A as gold; its attribution
  accuracy is the share of quotes both marked that have the same speaker.
- **bootstrap confidence intervals** of micro F1 over documents (:func:`eval.stats.bootstrap_intervals`).

Across all annotators: **Krippendorff's alpha** (nominal) on the same token tags, per layer; a
document an annotator did not annotate is missing data for alpha, not disagreement.
"""

from __future__ import annotations

import html
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from dataset_builder.model import Document
from dataset_builder.problems import Problem
from dataset_builder.schema import Schema
from eval.align import align
from eval.gold import mentions_of
from eval.links import LinkScore, gold_links, score_links
from eval.options import BootstrapOptions
from eval.score import score_pairs
from eval.stats import ConfidenceInterval, bootstrap_intervals, unit_counts
from eval.types import AlignedPair, ErrorClass, MatchMode, Mention, ScoreReport

__all__ = [
    "AGREEMENT_FORMATS", "AgreementResult", "Disagreement", "PairAgreement", "agreement", "agreement_of_files",
    "krippendorff_alpha",
    "render_agreement", "token_tags",
]

AgreementFormat = Literal["table", "json", "markdown", "html"]
AGREEMENT_FORMATS: tuple[AgreementFormat, ...] = ("table", "json", "markdown", "html")
OUTSIDE = "O"
CONTEXT_CHARS = 30


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One span on which two annotators differ (an aligned pair that is not ``correct``)."""

    doc_id: str
    layer: str
    outcome: str
    a: Mention | None
    b: Mention | None
    context: str

    @property
    def label_pair(self) -> tuple[str, str]:
        return (self.a.label if self.a else "—", self.b.label if self.b else "—")

    def to_dict(self) -> dict[str, Any]:
        def side(m: Mention | None) -> dict[str, Any] | None:
            return None if m is None else {"start": m.start, "end": m.end, "label": m.label, "text": m.text}

        return {"doc_id": self.doc_id, "layer": self.layer, "outcome": self.outcome, "a": side(self.a),
                "b": side(self.b), "context": self.context}


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Agreement of annotators ``a`` and ``b`` on the documents both annotated.

    ``scores[layer][mode]`` is a :class:`~eval.types.ScoreReport` (per label, micro, macro);
    ``intervals[layer][mode]`` the bootstrap interval of its micro F1; ``per_document[layer][mode]``
    the micro F1 of each document (NaN where neither marked anything); ``kappa[layer]`` Cohen's
    kappa on token tags (None when undefined: both gave every token the same tag).
    """

    a: str
    b: str
    documents: tuple[str, ...]
    scores: Mapping[str, Mapping[str, ScoreReport]]
    intervals: Mapping[str, Mapping[str, ConfidenceInterval]]
    per_document: Mapping[str, Mapping[str, Mapping[str, float]]]
    kappa: Mapping[str, float | None]
    links: Mapping[str, LinkScore]
    disagreements: tuple[Disagreement, ...]

    def f1(self, layer: str, mode: str = "strict") -> float:
        return self.scores[layer][mode].micro.f1

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "documents": list(self.documents),
            "scores": {layer: {mode: r.to_dict() for mode, r in by.items()} for layer, by in self.scores.items()},
            "intervals": {layer: {mode: ci.to_dict() for mode, ci in by.items()}
                          for layer, by in self.intervals.items()},
            "per_document": {layer: {mode: {d: _json_float(v) for d, v in docs.items()} for mode, docs in by.items()}
                             for layer, by in self.per_document.items()},
            "kappa": dict(self.kappa),
            "links": {name: score.to_dict() for name, score in self.links.items()},
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


@dataclass(frozen=True, slots=True)
class AgreementResult:
    """Agreement of every pair of annotators, and Krippendorff's alpha across all of them."""

    annotators: tuple[str, ...]
    layers: tuple[str, ...]
    modes: tuple[MatchMode, ...]
    pairs: tuple[PairAgreement, ...]
    alpha: Mapping[str, float | None]
    missing: Mapping[str, tuple[str, ...]]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The headline figures (what a dataset card states): alpha per layer, and per pair the micro F1
        of each layer and mode and kappa."""
        return {
            "annotators": list(self.annotators),
            "krippendorff_alpha": {layer: _json_float(v) for layer, v in self.alpha.items()},
            "pairs": [{"a": p.a, "b": p.b, "documents": len(p.documents),
                       "f1": {layer: {mode: p.f1(layer, mode) for mode in self.modes} for layer in self.layers},
                       "cohen_kappa": dict(p.kappa),
                       "speaker_attribution": {t: s.attribution_accuracy for t, s in p.links.items()}}
                      for p in self.pairs],
        }

    def to_dict(self) -> dict[str, Any]:
        return {"annotators": list(self.annotators), "layers": list(self.layers), "modes": list(self.modes),
                "alpha": {layer: _json_float(v) for layer, v in self.alpha.items()},
                "missing": {k: list(v) for k, v in self.missing.items()}, "settings": dict(self.settings),
                "pairs": [p.to_dict() for p in self.pairs]}


def _json_float(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def token_tags(doc: Document, layer: str) -> list[str]:
    """The token tag view of one layer of a document (module notes): one label or ``O`` per token.

    Examples
    --------
    >>> from dataset_builder.model import Span
    >>> doc = Document("d", "التقى الرئيس بشار الأسد", spans=(
    ...     Span("1", "entities", 6, 23, "PERS"), Span("2", "entities", 6, 12, "OCC")))
    >>> token_tags(doc, "entities")
    ['O', 'PERS', 'PERS', 'PERS']
    """
    from dataset_builder.text.tokenize import token_spans

    starts, ends = (np.asarray(values, dtype=np.int64) for values in token_spans(doc.text))
    tags = np.full(len(starts), OUTSIDE, dtype=object)
    # Shortest (then last) first, so that the outermost span, written last, wins.
    spans = sorted((s for s in doc.spans if s.layer == layer), key=lambda s: (s.end - s.start, -s.start),)
    for span in spans:
        first = int(np.searchsorted(ends, span.start, side="right"))  # first token ending after the start
        last = int(np.searchsorted(starts, span.end, side="left"))  # tokens starting before the end
        tags[first:last] = span.label
    return tags.tolist()


def krippendorff_alpha(data: Sequence[Sequence[Any]]) -> float:
    """Krippendorff's alpha for nominal data.

    Parameters
    ----------
    data : annotators x units
        The value each annotator gave each unit; ``None`` (or NaN) where an annotator gave none.

    Returns
    -------
    float
        ``1 - D_o / D_e`` from the coincidence matrix; NaN when no unit has two values or only one
        value occurs at all (nothing to be chance-corrected).

    Examples
    --------
    >>> krippendorff_alpha([["a", "a", "b", "b"], ["a", "a", "b", "a"]])
    0.5333333333333333
    """
    rows = [list(row) for row in data]
    values = sorted({v for row in rows for v in row if not _missing(v)}, key=str)
    if not rows or len(values) < 2:
        return math.nan
    code = {v: i for i, v in enumerate(values)}
    n_units = len(rows[0])
    if any(len(row) != n_units for row in rows):
        raise ValueError("every annotator needs a value (or None) for every unit")
    per_unit = np.zeros((n_units, len(values)))
    for row in rows:
        for unit, value in enumerate(row):
            if not _missing(value):
                per_unit[unit, code[value]] += 1
    pairable = per_unit.sum(axis=1)
    per_unit = per_unit[pairable >= 2]
    if not len(per_unit):
        return math.nan
    weighted = per_unit / (per_unit.sum(axis=1, keepdims=True) - 1)
    coincidences = weighted.T @ per_unit - np.diag(weighted.sum(axis=0))
    n_c = coincidences.sum(axis=0)
    n = n_c.sum()
    expected = n * n - (n_c * n_c).sum()
    if expected == 0:
        return math.nan
    observed = coincidences.sum() - np.trace(coincidences)
    return float(1.0 - (n - 1) * observed / expected)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cohen_kappa(a: list[str], b: list[str]) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(set(a) | set(b)) < 2:
        return None  # both annotators gave every token the same tag: kappa is 0/0
    return float(cohen_kappa_score(a, b))


def _context(text: str, first: Mention | None, second: Mention | None) -> str:
    mentions = [m for m in (first, second) if m is not None]
    start, end = min(m.start for m in mentions), max(m.end for m in mentions)
    return text[max(0, start - CONTEXT_CHARS):end + CONTEXT_CHARS].replace("\n", " ")


@dataclass(frozen=True)
class _Comparing:
    """What every pair of annotators is compared on, fixed once by :func:`agreement`."""

    layers: Sequence[str]
    modes: Sequence[MatchMode]
    link_types: Sequence[str]
    clitic_tolerance: bool
    intervals: BootstrapOptions


def _pair(a: str, b: str, docs_a: list[Document], docs_b: list[Document], comparing: _Comparing) -> PairAgreement:
    layers, clitic_tolerance, bootstrap = comparing.layers, comparing.clitic_tolerance, comparing.intervals
    ids = tuple(doc.id for doc in docs_a)
    texts = {doc.id: doc.text for doc in docs_a}
    scores: dict[str, dict[str, ScoreReport]] = {}
    intervals: dict[str, dict[str, ConfidenceInterval]] = {}
    per_document: dict[str, dict[str, dict[str, float]]] = {}
    kappa: dict[str, float | None] = {}
    disagreements: list[Disagreement] = []
    for layer in layers:
        pairs: list[AlignedPair] = align(mentions_of(docs_a, layer), mentions_of(docs_b, layer),
                                         clitic_tolerance=clitic_tolerance, texts=texts)
        scores[layer], intervals[layer], per_document[layer] = {}, {}, {}
        for mode in comparing.modes:
            scores[layer][mode] = score_pairs(pairs, mode, layer=layer)
            counts = unit_counts(pairs, mode, layer=layer, units=ids)
            if pairs:
                intervals[layer][mode] = bootstrap_intervals(
                    counts, n_resamples=bootstrap.resamples, confidence=bootstrap.confidence, seed=bootstrap.seed,
                    metrics=("f1",),
                    averages=("micro",))["micro"]["f1"]
            tp, fp, fn = counts.micro.T
            denominator = 2 * tp + fp + fn
            with np.errstate(invalid="ignore", divide="ignore"):
                f1 = np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), math.nan)
            per_document[layer][mode] = dict(zip(ids, f1.tolist(), strict=True))
        tags_a = [tag for doc in docs_a for tag in token_tags(doc, layer)]
        tags_b = [tag for doc in docs_b for tag in token_tags(doc, layer)]
        kappa[layer] = _cohen_kappa(tags_a, tags_b)
        disagreements += [
            Disagreement(layer=layer, doc_id=(p.gold or p.pred).doc_id, outcome=p.outcome.value, a=p.gold, b=p.pred,
                         context=_context(texts[(p.gold or p.pred).doc_id], p.gold, p.pred))
            for p in pairs if p.outcome is not ErrorClass.CORRECT
        ]
    b_mentions = [m for layer in layers for m in mentions_of(docs_b, layer)]
    links = {link_type: score_links(docs_a, b_mentions, gold_links(docs_b, link_type), link_type=link_type,
                                    clitic_tolerance=clitic_tolerance)
             for link_type in comparing.link_types}
    return PairAgreement(a, b, ids, scores, intervals, per_document, kappa, links, tuple(disagreements))


def agreement(
    annotations: Mapping[str, Sequence[Document]],
    *,
    layers: Sequence[str] | None = None,
    link_types: Sequence[str] | None = None,
    modes: Sequence[MatchMode] = ("strict", "partial"),
    clitic_tolerance: bool = False,
    intervals: BootstrapOptions | None = None,
) -> AgreementResult:
    """Agreement of two or more annotators on the same documents (module notes).

    Parameters
    ----------
    annotations : mapping of annotator name to documents
        Each annotator's export, read with :func:`dataset_builder.readers.read`; documents are
        matched by id and must have the same text.
    layers, link_types : sequence of str, optional
        What to compare (a schema's ``layer_names`` and link names); default: every layer and link
        type any annotator used.
    modes : sequence of {"strict", "exact", "partial", "type"}, default=("strict", "partial")
    clitic_tolerance : bool, default=False
        Count spans that differ only by an attached proclitic as matching (see :mod:`eval.align`).
    intervals : BootstrapOptions, optional
        The bootstrap intervals over documents (:class:`eval.options.BootstrapOptions`: resamples,
        confidence, seed; default: 1,000 resamples at 95 %; ``NO_INTERVALS`` for none).

    Returns
    -------
    AgreementResult

    Raises
    ------
    dataset_builder.problems.InputError
        Fewer than two annotators, a document with different texts, a document twice.
    """
    from dataset_builder.annotate.adjudicate import documents_by_id
    from dataset_builder.problems import InputError

    names = tuple(annotations)
    if len(names) < 2:
        raise InputError(Problem("agreement-annotators", f"agreement needs two annotators or more, got {len(names)}.",
                                 "Pass one export per annotator."))
    by_id = documents_by_id(annotations)
    all_docs = [doc for versions in by_id.values() for doc in versions.values()]
    if layers is None:
        layers = sorted({span.layer for doc in all_docs for span in doc.spans})
    if link_types is None:
        link_types = sorted({link.type for doc in all_docs for link in doc.links})
    intervals = BootstrapOptions() if intervals is None else intervals
    comparing = _Comparing(layers, modes, link_types, clitic_tolerance, intervals)
    pairs = []
    for a, b in itertools.combinations(names, 2):
        common = [versions for versions in by_id.values() if a in versions and b in versions]
        pairs.append(_pair(a, b, [v[a] for v in common], [v[b] for v in common], comparing))
    alpha: dict[str, float | None] = {}
    for layer in layers:
        rows: list[list[str | None]] = [[] for _ in names]
        for versions in by_id.values():
            tags = {name: token_tags(doc, layer) for name, doc in versions.items()}
            n_tokens = len(next(iter(tags.values())))
            for row, name in zip(rows, names, strict=True):
                row.extend(tags.get(name) or [None] * n_tokens)
        alpha[layer] = _json_float(krippendorff_alpha(rows))
    missing = {name: tuple(doc_id for doc_id, versions in by_id.items() if name not in versions) for name in names}
    return AgreementResult(names, tuple(layers), tuple(modes), tuple(pairs), alpha,
                           {k: v for k, v in missing.items() if v},
                           {"clitic_tolerance": clitic_tolerance, "n_resamples": intervals.resamples,
                            "confidence": intervals.confidence, "seed": intervals.seed,
                            "token_view": "outermost span label per token (dataset_builder.text.tokenize), O outside"})


# ---------------------------------------------------------------------------------------------- reports


def _pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{100 * value:.1f}"


def _num(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.3f}"


def _ci(ci: ConfidenceInterval | None) -> str:
    return "" if ci is None or math.isnan(ci.low) else f" [{100 * ci.low:.1f}, {100 * ci.high:.1f}]"


def _rows(result: AgreementResult) -> list[list[str]]:
    rows = []
    for pair in result.pairs:
        for layer in result.layers:
            row = [f"{pair.a} ~ {pair.b}", layer, str(len(pair.documents))]
            row += [_pct(pair.f1(layer, mode)) + _ci(pair.intervals[layer].get(mode)) for mode in result.modes]
            row += [_num(pair.kappa[layer])]
            rows.append(row)
    return rows


def _header(result: AgreementResult) -> list[str]:
    return ["pair", "layer", "docs", *(f"F1 {mode}" for mode in result.modes), "kappa"]


def _link_rows(result: AgreementResult) -> list[list[str]]:
    return [[f"{p.a} ~ {p.b}", t, _pct(s.f1), f"{s.n_attribution_correct}/{s.n_attributed}"]
            for p in result.pairs for t, s in p.links.items()]


def _label_rows(result: AgreementResult, mode: str) -> list[list[str]]:
    return [[f"{p.a} ~ {p.b}", layer, label, _pct(score.f1), str(int(score.tp)), str(int(score.fp + score.fn))]
            for p in result.pairs for layer in result.layers
            for label, score in p.scores[layer][mode].per_label.items()]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _alpha_line(result: AgreementResult) -> str:
    return "Krippendorff's alpha (token tags): " + ", ".join(
        f"{layer} {_num(value)}" for layer, value in result.alpha.items())


def render_agreement(result: AgreementResult, fmt: AgreementFormat = "table") -> str:
    """The agreement report as a text table, JSON, Markdown or a standalone HTML page."""
    if fmt == "json":
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=1, allow_nan=False)
    first_mode = result.modes[0]
    if fmt == "table":
        parts = [f"Agreement of {len(result.annotators)} annotators: {', '.join(result.annotators)}",
                 _alpha_line(result), "", _text_table(_header(result), _rows(result))]
        if _link_rows(result):
            parts += ["", _text_table(["pair", "link", "F1", "same speaker"], _link_rows(result))]
        parts += ["", f"Per label ({first_mode}):",
                  _text_table(["pair", "layer", "label", "F1", "agreed", "differ"], _label_rows(result, first_mode))]
        return "\n".join(parts) + "\n"
    if fmt == "markdown":
        parts = [f"## Agreement of {len(result.annotators)} annotators", "", _alpha_line(result) + ".", "",
                 _md_table(_header(result), _rows(result))]
        if _link_rows(result):
            parts += ["", _md_table(["pair", "link", "F1", "same speaker"], _link_rows(result))]
        parts += ["", f"### Per label ({first_mode})", "",
                  _md_table(["pair", "layer", "label", "F1", "agreed", "differ"], _label_rows(result, first_mode))]
        return "\n".join(parts) + "\n"
    if fmt == "html":
        return _render_html(result)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(AGREEMENT_FORMATS)}")


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _side(mention: Mention | None, context: str) -> str:
    if mention is None:
        return '<td class="none">—</td>'
    return (f'<td dir="rtl" lang="ar"><mark>{html.escape(mention.text or "")}</mark>'
            f'<div class="ctx">{html.escape(context)}</div><small>{mention.start}–{mention.end}</small></td>')


def _render_html(result: AgreementResult) -> str:
    sections = []
    for pair in result.pairs:
        groups: dict[tuple[str, str], list[Disagreement]] = {}
        for item in pair.disagreements:
            groups.setdefault(item.label_pair, []).append(item)
        blocks = []
        for (label_a, label_b), items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            rows = "".join(
                f"<tr><td>{html.escape(d.doc_id)}</td><td>{html.escape(d.outcome)}</td>"
                f"{_side(d.a, d.context)}{_side(d.b, d.context)}</tr>" for d in items)
            blocks.append(
                f"<h4>{html.escape(label_a)} ↔ {html.escape(label_b)} ({len(items)})</h4><table class=\"side\">"
                f"<thead><tr><th>document</th><th>outcome</th><th>{html.escape(pair.a)}</th>"
                f"<th>{html.escape(pair.b)}</th></tr></thead><tbody>{rows}</tbody></table>")
        sections.append(f"<h3>Disagreements of {html.escape(pair.a)} and {html.escape(pair.b)} "
                        f"({len(pair.disagreements)}), by label pair</h3>" + "".join(blocks))
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}"
             "td[dir=rtl]{text-align:right;font-size:1.1em}mark{background:#ffd166}.ctx{color:#555}"
             "td.none{color:#999;text-align:center}")
    link_table = _html_table(["pair", "link", "F1", "same speaker"], _link_rows(result)) if _link_rows(result) else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Annotator agreement</title>"
        f"<style>{style}</style></head><body><h1>Agreement of {html.escape(', '.join(result.annotators))}</h1>"
        f"<p>{html.escape(_alpha_line(result))}</p>{_html_table(_header(result), _rows(result))}{link_table}"
        f"<h2>Per label ({html.escape(result.modes[0])})</h2>"
        f"{_html_table(['pair', 'layer', 'label', 'F1', 'agreed', 'differ'], _label_rows(result, result.modes[0]))}"
        f"<h2>Disagreements</h2>{''.join(sections)}</body></html>\n"
    )


def agreement_of_files(arguments: Sequence[str], schema: Schema | str | Path, *, fmt: str | None = None,
                       **options: Any) -> tuple[AgreementResult, list[Problem]]:
    """:func:`agreement` of annotators' exports on disk (``NAME=PATH`` or ``PATH`` each), over the
    schema's layers and link types; also every reader problem (what could not be read is not compared).

    ``options`` are those of :func:`agreement`.
    """
    from dataset_builder.annotate.inputs import annotator_inputs, input_problems
    from dataset_builder.schema import load_schema

    loaded = schema if isinstance(schema, Schema) else load_schema(schema)
    inputs = annotator_inputs(arguments, loaded, fmt=fmt)
    options.setdefault("layers", loaded.layer_names)
    options.setdefault("link_types", tuple(link.name for link in loaded.links))
    result = agreement({a.name: a.documents for a in inputs}, **options)
    return result, input_problems(inputs)
