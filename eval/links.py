"""Scoring of links between spans — above all ``speaker`` links from quotations to the person quoted.

A predicted link ``source -> target`` is **correct** when

1. its source matches the source of a gold link of the same type: the predicted and gold source
   layers (e.g. quotes) are aligned one-to-one with :func:`eval.align.align`, and the pair must
   match under the chosen mode; and
2. its target matches that gold link's target under the same mode, or — with
   ``target_match="name"``, the default — matches any gold mention of the target layer in the same
   document whose normalized text equals the gold target's. A quotation attributed to ``بوتين``
   is correctly attributed whether the model points at the ``بوتين`` just before the quote or at
   another mention of the same name; pointing at ``الأسد`` is wrong. With
   ``target_match="mention"`` only the gold target mention itself counts.

Each gold link is matched at most once. Precision, recall and F1 are over links; a predicted link
whose source or target could not be placed on the text counts as predicted and wrong.

**Attribution accuracy** answers a different question: of the sources the model found (a matched
source pair where both gold and prediction give a link of this type), how often is the target
right? It does not punish missed quotations, so it separates "finds quotes" from "knows who said
them".

Modes follow :data:`eval.types.MATCH_MODES`: ``strict`` (same boundaries and label), ``exact`` (same
boundaries), ``partial`` (overlap), ``type`` (overlap and same label). Predictions that differ only by
an attached proclitic count as matches when ``clitic_tolerance`` is on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from dataset_builder.model import Document
from dataset_builder.text.normalize import normalize_text
from eval.types import AlignedPair, ErrorClass, MatchMode, Mention

TargetMatch = Literal["mention", "name"]

_BOUNDARIES_EQUAL = {ErrorClass.CORRECT, ErrorClass.WRONG_LABEL}
_OVERLAP = {ErrorClass.CORRECT, ErrorClass.WRONG_LABEL, ErrorClass.WRONG_BOUNDARY, ErrorClass.WRONG_LABEL_BOUNDARY}


@dataclass(frozen=True, slots=True)
class MentionLink:
    """A link whose ends are resolved to mentions. An end that could not be placed is ``None``."""

    doc_id: str
    type: str
    source: Mention | None
    target: Mention | None
    id: str | None = None
    target_text: str | None = field(default=None, compare=False)  # what the model wrote, for reports


@dataclass(frozen=True, slots=True)
class LinkScore:
    """Scores of one link type under one mode.

    ``attribution_accuracy`` is ``n_attribution_correct / n_attributed`` (``None`` when no source was
    both matched and linked by the model).
    """

    link_type: str
    mode: MatchMode
    source_layer: str
    target_layer: str
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    n_gold: int
    n_pred: int
    n_attributed: int
    n_attribution_correct: int
    attribution_accuracy: float | None
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "link_type": self.link_type, "mode": self.mode, "source_layer": self.source_layer,
            "target_layer": self.target_layer, "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": self.precision, "recall": self.recall, "f1": self.f1, "n_gold": self.n_gold,
            "n_pred": self.n_pred, "n_attributed": self.n_attributed,
            "n_attribution_correct": self.n_attribution_correct,
            "attribution_accuracy": self.attribution_accuracy, "settings": self.settings,
        }


def gold_links(documents: Iterable[Document], link_type: str | None = None) -> list[MentionLink]:
    """Gold links (of one type, or all) with both ends resolved to mentions.

    Links whose ends are not spans of the document are skipped: validation rejects them before a
    dataset is built, so a built gold set has none.
    """
    links = []
    for doc in documents:
        spans = doc.span_by_id()
        for link in doc.links:
            if link_type is not None and link.type != link_type:
                continue
            ends = [spans.get(link.source), spans.get(link.target)]
            if None in ends:
                continue
            source, target = (
                Mention(doc.id, s.start, s.end, s.label, s.layer, doc.text[s.start:s.end], s.id) for s in ends
            )
            links.append(MentionLink(doc.id, link.type, source, target, link.id))
    return links


def pair_matches(pair: AlignedPair, mode: MatchMode) -> bool:
    """Whether an aligned gold/predicted pair counts as a match under ``mode``."""
    if pair.gold is None or pair.pred is None:
        return False
    if pair.outcome is ErrorClass.CLITIC_BOUNDARY:
        return mode in ("exact", "partial") or pair.gold.label == pair.pred.label
    if mode == "strict":
        return pair.outcome is ErrorClass.CORRECT
    if mode == "exact":
        return pair.outcome in _BOUNDARIES_EQUAL
    if mode == "partial":
        return pair.outcome in _OVERLAP
    if mode == "type":
        return pair.outcome in (ErrorClass.CORRECT, ErrorClass.WRONG_BOUNDARY)
    raise ValueError(f"unknown mode {mode!r}; choose one of strict, exact, partial, type")


def mentions_match(gold: Mention, pred: Mention, mode: MatchMode, *, text: str | None = None,
                   clitic_tolerance: bool = False) -> bool:
    """Whether one predicted mention matches one gold mention under ``mode`` (no one-to-one constraint)."""
    if gold.doc_id != pred.doc_id:
        return False
    same_bounds = (gold.start, gold.end) == (pred.start, pred.end)
    if not same_bounds and clitic_tolerance and text is not None and _clitic_variant(gold, pred, text):
        same_bounds = True
    overlap = gold.start < pred.end and pred.start < gold.end
    same_label = gold.label == pred.label
    if mode == "strict":
        return same_bounds and same_label
    if mode == "exact":
        return same_bounds
    if mode == "partial":
        return overlap
    if mode == "type":
        return overlap and same_label
    raise ValueError(f"unknown mode {mode!r}; choose one of strict, exact, partial, type")


def _clitic_variant(gold: Mention, pred: Mention, text: str) -> bool:
    from eval.mentions import PROCLITIC_CHAINS

    if gold.end != pred.end:
        return False
    outer, inner = (gold, pred) if gold.start < pred.start else (pred, gold)
    return normalize_text(text[outer.start:inner.start]) in PROCLITIC_CHAINS


def score_links(
    gold_docs: Sequence[Document],
    pred_spans: Sequence[Mention],
    pred_links: Sequence[MentionLink],
    *,
    link_type: str = "speaker",
    mode: MatchMode = "strict",
    target_match: TargetMatch = "name",
    clitic_tolerance: bool = False,
    zero_division: float = 0.0,
) -> LinkScore:
    """Precision, recall and F1 of predicted links of one type, and attribution accuracy.

    Parameters
    ----------
    gold_docs : sequence of Document
        Gold documents with spans and links.
    pred_spans : sequence of Mention
        Predicted mentions (any layers); those of the link type's source layer are aligned to the
        gold source spans. Sources of ``pred_links`` are added when missing.
    pred_links : sequence of MentionLink
        Predicted links; those of other types are ignored.
    link_type : str, default="speaker"
    mode : {"strict", "exact", "partial", "type"}, default="strict"
        Applied to both ends.
    target_match : {"name", "mention"}, default="name"
        See the module docstring.
    clitic_tolerance : bool, default=False
        Count ends that differ from gold only by an attached proclitic as matches.
    zero_division : float, default=0.0
        Value of a ratio whose denominator is zero (as scikit-learn).

    Returns
    -------
    LinkScore

    Examples
    --------
    A quote attributed to the right person, found with the right boundaries, is a true positive;
    see ``tests/test_links.py`` for the SANA article.
    """
    from eval.align import align

    gold = gold_links(gold_docs, link_type)
    predicted = [link for link in pred_links if link.type == link_type]
    source_layer, target_layer = _layers(gold, predicted)
    texts = {doc.id: doc.text for doc in gold_docs}

    gold_sources = [
        Mention(doc.id, s.start, s.end, s.label, s.layer, doc.text[s.start:s.end], s.id)
        for doc in gold_docs for s in doc.spans if s.layer == source_layer
    ]
    pred_sources = {m for m in pred_spans if m.layer == source_layer}
    pred_sources.update(link.source for link in predicted if link.source is not None)
    pairs = align(gold_sources, sorted(pred_sources), clitic_tolerance=clitic_tolerance, texts=texts)
    matched_gold_of = {pair.pred: pair.gold for pair in pairs if pair_matches(pair, mode)}

    gold_by_source: dict[Mention, list[MentionLink]] = defaultdict(list)
    for link in gold:
        gold_by_source[link.source].append(link)
    targets_by_doc: dict[str, list[Mention]] = defaultdict(list)
    for doc in gold_docs:
        for span in doc.spans:
            if span.layer == target_layer:
                targets_by_doc[doc.id].append(
                    Mention(doc.id, span.start, span.end, span.label, span.layer, doc.text[span.start:span.end]))

    def target_ok(gold_link: MentionLink, pred_target: Mention | None) -> bool:
        if pred_target is None or gold_link.target is None:
            return False
        text = texts.get(gold_link.doc_id)
        candidates = [gold_link.target]
        if target_match == "name":
            name = normalize_text(gold_link.target.text or "")
            candidates += [m for m in targets_by_doc[gold_link.doc_id] if normalize_text(m.text or "") == name]
        return any(mentions_match(c, pred_target, mode, text=text, clitic_tolerance=clitic_tolerance)
                   for c in candidates)

    used: set[int] = set()
    tp = attributed = attribution_correct = 0
    attributed_sources: set[Mention] = set()
    # Deterministic order: by document and position, so ties never depend on input order.
    for link in sorted(predicted, key=_link_order):
        gold_source = matched_gold_of.get(link.source) if link.source is not None else None
        candidates = gold_by_source.get(gold_source, []) if gold_source is not None else []
        if candidates and gold_source not in attributed_sources:
            attributed_sources.add(gold_source)
            attributed += 1
            attribution_correct += any(target_ok(g, link.target) for g in candidates)
        for gold_link in candidates:
            if id(gold_link) not in used and target_ok(gold_link, link.target):
                used.add(id(gold_link))
                tp += 1
                break

    fp, fn = len(predicted) - tp, len(gold) - tp
    precision = _ratio(tp, tp + fp, zero_division)
    recall = _ratio(tp, tp + fn, zero_division)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn, zero_division)  # as scikit-learn: harmonic mean of P and R
    return LinkScore(
        link_type, mode, source_layer, target_layer, tp, fp, fn, precision, recall, f1, len(gold), len(predicted),
        attributed, attribution_correct,
        attribution_correct / attributed if attributed else None,
        {"target_match": target_match, "clitic_tolerance": clitic_tolerance, "zero_division": zero_division},
    )


def score_all_links(
    gold_docs: Sequence[Document],
    pred_spans: Sequence[Mention],
    pred_links: Sequence[MentionLink],
    *,
    link_types: Iterable[str] | None = None,
    mode: MatchMode = "strict",
    **options: Any,
) -> dict[str, LinkScore]:
    """:func:`score_links` for every link type (those given, e.g. a schema's, else those in gold or predictions)."""
    if link_types is None:
        found = {link.type for doc in gold_docs for link in doc.links} | {link.type for link in pred_links}
        link_types = sorted(found)
    return {t: score_links(gold_docs, pred_spans, pred_links, link_type=t, mode=mode, **options) for t in link_types}


def _layers(gold: Sequence[MentionLink], predicted: Sequence[MentionLink]) -> tuple[str, str]:
    for link in (*gold, *predicted):
        if link.source is not None and link.target is not None:
            return link.source.layer, link.target.layer
    return "quotes", "entities"


def _link_order(link: MentionLink) -> tuple[Any, ...]:
    def key(m: Mention | None) -> tuple[int, int, str]:
        return (m.start, m.end, m.label) if m is not None else (-1, -1, "")

    return (link.doc_id, key(link.source), key(link.target), link.id or "")


def _ratio(numerator: float, denominator: float, zero_division: float) -> float:
    return numerator / denominator if denominator else zero_division


__all__ = [
    "LinkScore", "MentionLink", "TargetMatch", "gold_links", "mentions_match", "pair_matches", "score_all_links",
    "score_links",
]
