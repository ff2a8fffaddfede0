"""Link scoring: quote -> speaker attribution on the hand-annotated SANA article."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dataset_builder.model import Document, Link, Span
from eval.gold import mentions_of
from eval.links import MentionLink, gold_links, mentions_match, score_all_links, score_links
from eval.types import Mention

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "sana-sample" / "sana-sample.jsonl"
FIXTURES = ROOT / "corpora" / "sana-sample" / "predictions"


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    if not CORPUS.is_file():
        pytest.skip(f"the bundled gold corpus is absent ({CORPUS})")
    from dataset_builder.readers.jsonl import read_jsonl

    documents = [d for d in read_jsonl(CORPUS) if isinstance(d, Document)]
    assert any(link.type == "speaker" for d in documents for link in d.links)
    return documents


def _perfect(docs: list[Document]) -> tuple[list[Mention], list[MentionLink]]:
    spans = [m for layer in ("entities", "quotes") for m in mentions_of(docs, layer)]
    return spans, gold_links(docs, "speaker")


def _other_mention_of_same_name(docs: list[Document], target: Mention) -> Mention:
    doc = next(d for d in docs if d.id == target.doc_id)
    for m in mentions_of([doc], "entities"):
        if m.text == target.text and m.label == target.label and m.start != target.start:
            return m
    raise AssertionError(f"no second mention of {target.text}")


def test_perfect_predictions_score_one(docs: list[Document]) -> None:
    spans, links = _perfect(docs)
    for mode in ("strict", "exact", "partial", "type"):
        score = score_links(docs, spans, links, mode=mode)
        assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)
        assert score.n_gold == score.n_pred == score.tp == len(links) > 0
        assert score.attribution_accuracy == 1.0 and score.n_attributed == len(links)
        assert (score.source_layer, score.target_layer) == ("quotes", "entities")


def test_wrong_speaker_costs_one_link_and_one_attribution(docs: list[Document]) -> None:
    spans, links = _perfect(docs)
    by_name = {link.target.text: link.target for link in links}
    assert {"الأسد", "بوتين"} <= set(by_name)
    first = links[0]
    other = next(t for name, t in by_name.items() if name != first.target.text)
    wrong = [replace(first, target=other), *links[1:]]
    score = score_links(docs, spans, wrong)
    n = len(links)
    assert (score.tp, score.fp, score.fn) == (n - 1, 1, 1)
    assert score.attribution_accuracy == pytest.approx((n - 1) / n)
    assert score.precision == score.recall == pytest.approx((n - 1) / n)


def test_another_mention_of_the_same_name_counts_unless_mention_matching(docs: list[Document]) -> None:
    spans, links = _perfect(docs)
    first = links[0]
    elsewhere = _other_mention_of_same_name(docs, first.target)
    moved = [replace(first, target=elsewhere), *links[1:]]
    assert score_links(docs, spans, moved).tp == len(links)
    strict_mention = score_links(docs, spans, moved, target_match="mention")
    assert strict_mention.tp == len(links) - 1 and strict_mention.attribution_accuracy < 1.0


def test_quote_boundaries_follow_the_mode(docs: list[Document]) -> None:
    spans, links = _perfect(docs)
    text = next(d.text for d in docs if d.id == links[0].doc_id)
    quote = links[0].source
    assert text[quote.start - 1] == '"'  # gold direct quotes exclude the quotation marks
    with_marks = replace(quote, start=quote.start - 1, end=quote.end + 1)
    spans = [with_marks if m == quote else m for m in spans]
    shifted = [replace(links[0], source=with_marks), *links[1:]]
    strict = score_links(docs, spans, shifted, mode="strict")
    partial = score_links(docs, spans, shifted, mode="partial")
    assert (strict.tp, strict.fp, strict.fn) == (len(links) - 1, 1, 1)
    assert strict.n_attributed == len(links) - 1  # the unmatched quote is not an attribution decision
    assert (partial.tp, partial.fp, partial.fn) == (len(links), 0, 0)


def test_missing_and_unplaced_links(docs: list[Document]) -> None:
    spans, links = _perfect(docs)
    fewer = links[1:]
    score = score_links(docs, spans, fewer)
    assert (score.precision, score.recall) == (1.0, pytest.approx((len(links) - 1) / len(links)))
    assert score.attribution_accuracy == 1.0
    unplaced = [*links, MentionLink(links[0].doc_id, "speaker", None, links[0].target),
                MentionLink(links[0].doc_id, "speaker", links[1].source, None)]
    score = score_links(docs, spans, unplaced)
    assert (score.tp, score.fp, score.fn, score.n_pred) == (len(links), 2, 0, len(links) + 2)


def test_no_predicted_links_and_zero_division(docs: list[Document]) -> None:
    spans, _ = _perfect(docs)
    score = score_links(docs, spans, [], zero_division=1.0)
    assert (score.tp, score.precision, score.recall, score.attribution_accuracy) == (0, 1.0, 0.0, None)
    assert score_links(docs, spans, []).precision == 0.0


def test_offset_free_llm_quotes_end_to_end(docs: list[Document]) -> None:
    from eval.predictions import load_predictions

    pred = load_predictions(FIXTURES / "llm-sana.jsonl", documents={d.id: d for d in docs})
    # The fixture gives three quotes: the first truncated (right speaker), the second whole (right
    # speaker), the third whole but attributed to the wrong president.
    partial = score_links(docs, pred.mentions, pred.links, mode="partial")
    assert partial.n_pred == 3 and partial.n_attributed == 3
    assert partial.tp == 2 and partial.n_attribution_correct == 2
    exact = score_links(docs, pred.mentions, pred.links, mode="exact")
    assert exact.n_attributed < partial.n_attributed  # the truncated quote does not match exactly
    assert exact.tp <= partial.tp


def test_generic_link_types_take_layers_from_the_spans() -> None:
    text = "انضم إليه لاحقاً وزير الخارجية الدكتور فيصل المقداد"
    occ, pers = text.index("وزير الخارجية"), text.index("فيصل المقداد")
    doc = Document("d", text, spans=(
        Span("T1", "entities", occ, occ + len("وزير الخارجية"), "OCC"),
        Span("T2", "entities", pers, pers + len("فيصل المقداد"), "PERS"),
    ), links=(Link("L1", "holds", "T2", "T1"),))
    gold = mentions_of([doc], "entities")
    pred_link = MentionLink("d", "holds", gold[1], gold[0])
    scores = score_all_links([doc], gold, [pred_link])
    assert set(scores) == {"holds"}
    assert (scores["holds"].source_layer, scores["holds"].target_layer) == ("entities", "entities")
    assert scores["holds"].f1 == 1.0
    reversed_link = MentionLink("d", "holds", gold[0], gold[1])
    assert score_all_links([doc], gold, [reversed_link])["holds"].tp == 0


def test_mentions_match_modes_and_clitic_tolerance() -> None:
    text = "وناقش الرئيسان الأسد وبوتين"
    start = text.index("وبوتين")
    gold = Mention("d", start + 1, start + 6, "PERS")
    with_clitic = Mention("d", start, start + 6, "PERS")
    assert not mentions_match(gold, with_clitic, "strict")
    assert mentions_match(gold, with_clitic, "strict", text=text, clitic_tolerance=True)
    assert mentions_match(gold, replace(with_clitic, label="ORG"), "partial")
    assert not mentions_match(gold, replace(with_clitic, label="ORG"), "type")
    assert mentions_match(gold, replace(gold, label="ORG"), "exact")
    assert not mentions_match(gold, replace(gold, doc_id="e"), "partial")
    with pytest.raises(ValueError, match="unknown mode"):
        mentions_match(gold, gold, "fuzzy")  # type: ignore[arg-type]
