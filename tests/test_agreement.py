"""Inter-annotator agreement: figures by hand on small cases, Krippendorff's alpha against the reference
package and Cohen's kappa against scikit-learn on random cases, and the bundled article against a second
annotation of it with plausible differences (tests/fixtures/annotation/sana-annotator-b.jsonl)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from dataset_builder.model import Document, Link, Span
from dataset_builder.readers import read
from dataset_builder.text.tokenize import token_spans
from eval.agreement import agreement, agreement_of_files, krippendorff_alpha, render_agreement, token_tags
from eval.options import BootstrapOptions

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
SCHEMA = REPO / "corpora" / "sana-sample" / "schema.yaml"
ANNOTATOR_B = REPO / "tests" / "fixtures" / "annotation" / "sana-annotator-b.jsonl"

TEXT = "التقى بوتين الأسد في موسكو اليوم"  # tokens: [0,5) [6,11) [12,17) [18,20) [21,26) [27,31)


def _doc(doc_id: str, *spans: tuple[int, int, str], text: str = TEXT, links: tuple[Link, ...] = ()) -> Document:
    return Document(doc_id, text, spans=tuple(Span(f"T{i}", "entities", s, e, label)
                                               for i, (s, e, label) in enumerate(spans, start=1)), links=links)


# --- by hand ----------------------------------------------------------------------------------------


def test_span_f1_strict_and_partial_by_hand() -> None:
    a = [_doc("d", (6, 11, "PERS"), (21, 26, "GPE"))]
    b = [_doc("d", (6, 11, "PERS"), (22, 26, "GPE"), (27, 31, "DATE"))]
    [pair] = agreement({"A": a, "B": b}, intervals=BootstrapOptions(resamples=20)).pairs
    # strict: 1 agreed of 2 and 3 spans -> 2*1/(2+3); partial: the GPE overlap earns half -> 2*1.5/5
    assert pair.f1("entities", "strict") == pytest.approx(2 / 5)
    assert pair.f1("entities", "partial") == pytest.approx(3 / 5)
    assert pair.scores["entities"]["strict"].per_label["PERS"].f1 == 1.0
    assert pair.scores["entities"]["strict"].per_label["GPE"].f1 == 0.0
    # symmetric: B against A gives the same micro F1
    [swapped] = agreement({"B": b, "A": a}, intervals=BootstrapOptions(resamples=20)).pairs
    assert swapped.f1("entities", "strict") == pair.f1("entities", "strict")
    assert {(d.label_pair, d.outcome) for d in pair.disagreements} == {
        (("GPE", "GPE"), "wrong_boundary"), (("—", "DATE"), "spurious")}


def test_token_tags_take_the_outermost_span() -> None:
    doc = _doc("d", (6, 17, "PERS"), (12, 17, "PERS2"), (21, 26, "GPE"), (28, 31, "DATE"))
    assert token_tags(doc, "entities") == ["O", "PERS", "PERS", "O", "GPE", "DATE"]
    assert token_tags(doc, "quotes") == ["O"] * 6


def test_cohen_kappa_by_hand() -> None:
    # tokens: A = O PERS PERS O GPE O, B = O PERS O O GPE GPE: po = 4/6;
    # pe = P(O) 3/6*3/6 + P(PERS) 2/6*1/6 + P(GPE) 1/6*2/6 = (9 + 2 + 2)/36
    a = [_doc("d", (6, 17, "PERS"), (21, 26, "GPE"))]
    b = [_doc("d", (6, 11, "PERS"), (21, 31, "GPE"))]
    [pair] = agreement({"A": a, "B": b}, intervals=BootstrapOptions(resamples=20)).pairs
    po, pe = 4 / 6, 13 / 36
    assert pair.kappa["entities"] == pytest.approx((po - pe) / (1 - pe))


def test_kappa_is_undefined_when_nobody_marked_anything() -> None:
    [pair] = agreement({"A": [_doc("d")], "B": [_doc("d")]}, layers=["entities"],
                       intervals=BootstrapOptions(resamples=20)).pairs
    assert pair.kappa["entities"] is None
    assert math.isnan(pair.per_document["entities"]["strict"]["d"])


def test_krippendorff_alpha_by_hand() -> None:
    # 4 units, 2 coders; coincidences: o_aa = 4, o_bb = 2, o_ab = o_ba = 1; n = 8, n_a = 5, n_b = 3
    # alpha = 1 - (n - 1) * (o_ab + o_ba) / (n^2 - n_a^2 - n_b^2) = 1 - 7 * 2 / 30
    assert krippendorff_alpha([["a", "a", "b", "b"], ["a", "a", "b", "a"]]) == pytest.approx(1 - 14 / 30)
    assert krippendorff_alpha([["a", "b"], ["a", "b"]]) == 1.0
    assert math.isnan(krippendorff_alpha([["a", "a"], ["a", "a"]]))  # one value only: nothing to correct for
    assert math.isnan(krippendorff_alpha([["a", None], [None, "b"]]))  # no unit with two values


# --- against the reference implementations ----------------------------------------------------------

_tables = st.integers(2, 4).flatmap(lambda coders: st.integers(1, 12).flatmap(lambda units: st.lists(
    st.lists(st.one_of(st.none(), st.sampled_from(["O", "PERS", "GPE", "ORG"])), min_size=units, max_size=units),
    min_size=coders, max_size=coders)))


@settings(max_examples=200, deadline=None)
@given(_tables)
def test_alpha_equals_the_krippendorff_package(table: list[list[str | None]]) -> None:
    ours = krippendorff_alpha(table)
    values = sorted({v for row in table for v in row if v is not None})
    pairable = sum(1 for unit in zip(*table, strict=True) if sum(v is not None for v in unit) >= 2)
    if len(values) < 2 or not pairable:
        assert math.isnan(ours)
        return
    codes = {v: i for i, v in enumerate(values)}
    data = np.array([[np.nan if v is None else codes[v] for v in row] for row in table], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        reference = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    if math.isnan(reference):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(reference, abs=1e-9)


_spans = st.lists(st.tuples(st.integers(0, 5), st.integers(1, 3), st.sampled_from(["PERS", "GPE"])), max_size=4)


def _tokens_doc(doc_id: str, picks: list[tuple[int, int, str]]) -> Document:
    starts, ends = token_spans(TEXT)
    spans = tuple(Span(f"T{i}", "entities", starts[first], ends[min(first + width, len(ends)) - 1], label)
                  for i, (first, width, label) in enumerate(picks))
    return Document(doc_id, TEXT, spans=spans)


@settings(max_examples=100, deadline=None)
@given(_spans, _spans)
def test_kappa_is_scikit_learns_on_the_token_view(a: list, b: list) -> None:
    doc_a, doc_b = _tokens_doc("d", a), _tokens_doc("d", b)
    [pair] = agreement({"A": [doc_a], "B": [doc_b]}, layers=["entities"],
                       intervals=BootstrapOptions(resamples=10)).pairs
    tags_a, tags_b = token_tags(doc_a, "entities"), token_tags(doc_b, "entities")
    if len(set(tags_a) | set(tags_b)) < 2:
        assert pair.kappa["entities"] is None
    else:
        assert pair.kappa["entities"] == pytest.approx(cohen_kappa_score(tags_a, tags_b), nan_ok=True)


# --- several documents, missing documents, intervals ---------------------------------------------------


def test_documents_matched_by_id_and_bootstrap_over_documents() -> None:
    a = [_doc("d1", (6, 11, "PERS")), _doc("d2", (21, 26, "GPE")), _doc("d3", (12, 17, "PERS"))]
    b = [_doc("d3", (12, 17, "PERS")), _doc("d2", (21, 26, "LOC")), _doc("d1", (6, 11, "PERS"))]
    c = [_doc("d1", (6, 11, "PERS"))]
    result = agreement({"A": a, "B": b, "C": c}, intervals=BootstrapOptions(resamples=200))
    ab, ac, bc = result.pairs
    assert (ab.a, ab.b, ac.b, bc.a) == ("A", "B", "C", "B")
    assert ab.per_document["entities"]["strict"] == {"d1": 1.0, "d2": 0.0, "d3": 1.0}
    ci = ab.intervals["entities"]["strict"]
    assert ab.f1("entities", "strict") == pytest.approx(2 / 3)
    assert ci.low <= ab.f1("entities", "strict") <= ci.high and ci.low < ci.high
    assert ac.documents == ("d1",) and ac.f1("entities", "strict") == 1.0
    assert result.missing == {"C": ("d2", "d3")}
    # alpha: C's missing documents are missing values, not disagreement
    tags = {name: [] for name in "ABC"}
    for doc_id in ("d1", "d2", "d3"):
        for name, docs in (("A", a), ("B", b), ("C", c)):
            doc = next((d for d in docs if d.id == doc_id), None)
            n = len(token_spans(TEXT)[0])
            tags[name] += token_tags(doc, "entities") if doc else [None] * n
    assert result.alpha["entities"] == pytest.approx(krippendorff_alpha(list(tags.values())))


def test_speaker_agreement_by_hand() -> None:
    text = "قال بوتين والأسد: نحن سعداء"
    spans = (Span("P1", "entities", 4, 9, "PERS"), Span("P2", "entities", 11, 16, "PERS"),
             Span("Q", "quotes", 18, 27, "DIRECT"))
    a = Document("d", text, spans=spans, links=(Link("L", "speaker", "Q", "P1"),))
    b = Document("d", text, spans=spans, links=(Link("L", "speaker", "Q", "P2"),))
    [same] = agreement({"A": [a], "B": [a]}, intervals=BootstrapOptions(resamples=10)).pairs
    [wrong] = agreement({"A": [a], "B": [b]}, intervals=BootstrapOptions(resamples=10)).pairs
    assert same.links["speaker"].f1 == 1.0 and same.links["speaker"].attribution_accuracy == 1.0
    assert wrong.links["speaker"].f1 == 0.0 and wrong.links["speaker"].attribution_accuracy == 0.0


# --- the bundled article annotated twice -------------------------------------------------------------


@pytest.fixture(scope="module")
def realistic():
    return agreement_of_files([f"A={SANA}", f"B={ANNOTATOR_B}"], SCHEMA, intervals=BootstrapOptions(resamples=50))


def test_realistic_second_annotator(realistic) -> None:
    result, problems = realistic
    assert not problems
    [pair] = result.pairs
    # entities: A 114, B 108 (5 nested spans flattened away, 1 missed); 104 identical; 3 clitic attachments
    # overlap (half credit in partial), 1 other label (full credit in partial, which ignores labels)
    assert pair.f1("entities", "strict") == pytest.approx(2 * 104 / (114 + 108))
    assert pair.f1("entities", "partial") == pytest.approx(2 * 106.5 / (114 + 108))
    # quotes: 12 each, one boundary moved
    assert pair.f1("quotes", "strict") == pytest.approx(22 / 24)
    # speakers: the wrong speaker and the quote that no longer matches strictly -> 10 of 12;
    # same speaker for 10 of the 11 quotes both marked
    speaker = pair.links["speaker"]
    assert (speaker.tp, speaker.fp, speaker.fn) == (10, 2, 2)
    assert (speaker.n_attribution_correct, speaker.n_attributed) == (10, 11)
    groups = {}
    for item in pair.disagreements:
        groups[item.label_pair] = groups.get(item.label_pair, 0) + 1
    assert groups == {("NORP", "—"): 3, ("ORDINAL", "—"): 2, ("TIME", "—"): 1, ("ORG", "NORP"): 1,
                      ("PERS", "PERS"): 3, ("INDIRECT", "INDIRECT"): 1}
    # the token view: clitic attachments tag the same token, nested spans count by the outer one,
    # so kappa stays above span F1
    assert pair.kappa["entities"] > pair.f1("entities", "strict")
    assert 0.9 < result.alpha["entities"] < 1.0


def test_clitic_tolerance_forgives_the_attached_conjunction() -> None:
    a, b = list(read(SANA)), list(read(ANNOTATOR_B))
    [tolerant] = agreement({"A": a, "B": b}, clitic_tolerance=True, modes=("strict",),
                            intervals=BootstrapOptions(resamples=10)).pairs
    assert tolerant.f1("entities", "strict") == pytest.approx(2 * 107 / (114 + 108))


def test_reports(realistic) -> None:
    result, _ = realistic
    table = render_agreement(result, "table")
    assert "Krippendorff's alpha (token tags): entities" in table and "A ~ B" in table
    data = json.loads(render_agreement(result, "json"))
    assert data["pairs"][0]["kappa"]["entities"] == pytest.approx(result.pairs[0].kappa["entities"])
    markdown = render_agreement(result, "markdown")
    assert "| A ~ B | entities | 1 | 93.7" in markdown
    page = render_agreement(result, "html")
    assert page.count('dir="rtl"') == 2 * len(result.pairs[0].disagreements) - page.count('class="none"')
    assert "<h4>ORG ↔ NORP (1)</h4>" in page and "<h4>PERS ↔ PERS (3)</h4>" in page
    with pytest.raises(ValueError):
        render_agreement(result, "pdf")  # type: ignore[arg-type]
