"""evaluate() / evaluate_tags() end to end, the EvalResult JSON round trip, and the text report formats.

Gold is the bundled, hand-annotated SANA article (corpora/sana-sample); predictions are derived from
it by a deterministic corruption whose every change is known, so each expected count is computed
from the corruption, never typed in.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from dataset_builder.model import Document
from dataset_builder.problems import InputError
from dataset_builder.readers.jsonl import read_jsonl
from eval.evaluate import EvalResult, evaluate, evaluate_tags
from eval.options import NO_INTERVALS, BootstrapOptions, ScoringOptions
from eval.report import FORMATS, render
from eval.types import Mention

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GOLD_FILE = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
ANERCORP = SHARED / "corpora" / "anercorp-camel" / "ANERCorp_CamelLab_test.txt"


def gold_documents() -> list[Document]:
    docs = [item for item in read_jsonl(GOLD_FILE) if isinstance(item, Document)]
    assert docs, f"no gold document in {GOLD_FILE}"
    return docs


def paragraph_documents() -> list[Document]:
    """The article cut into its paragraphs, one document each, with the spans and links inside them.

    A real multi-document test set (bootstrap intervals need more than one unit to resample).
    """
    out = []
    for doc in gold_documents():
        for number, (start, end) in enumerate(doc.metadata.paragraphs, 1):
            spans = tuple(replace(s, start=s.start - start, end=s.end - start, location=None)
                          for s in doc.spans if start <= s.start and s.end <= end)
            kept = {s.id for s in spans}
            links = tuple(link for link in doc.links if link.source in kept and link.target in kept)
            out.append(Document(f"{doc.id}-p{number:02d}", doc.text[start:end], spans=spans, links=links))
    return out


def corrupt(documents: list[Document]) -> tuple[list[Mention], dict[str, int]]:
    """Predicted entity and quote mentions derived from gold, and how many of each change were made.

    Entities, cycling through their sorted order: drop (missed), relabel (wrong label), trim the last
    character (wrong boundary), widen over an attached one-letter proclitic when the span follows
    one (clitic boundary), keep. Quotes are kept. One spurious mention is added per document.
    """
    changes = {"missed": 0, "wrong_label": 0, "wrong_boundary": 0, "clitic": 0, "kept": 0, "spurious": 0}
    predicted: list[Mention] = []
    for doc in documents:
        for index, span in enumerate(doc.layer("entities")):
            mention = Mention(doc.id, span.start, span.end, span.label, "entities")
            step = index % 5
            if step == 0:
                changes["missed"] += 1
                continue
            if step == 1:
                mention = replace(mention, label="ORG" if span.label != "ORG" else "GPE")
                changes["wrong_label"] += 1
            elif step == 2 and span.end - span.start > 2:
                mention = replace(mention, end=span.end - 1)
                changes["wrong_boundary"] += 1
            elif step == 3 and span.start > 1 and doc.text[span.start - 1] in "وبلفك" \
                    and doc.text[span.start - 2].isspace():  # a one-letter proclitic opening the token
                mention = replace(mention, start=span.start - 1)
                changes["clitic"] += 1
            else:
                changes["kept"] += 1
            predicted.append(mention)
        predicted += [Mention(doc.id, s.start, s.end, s.label, "quotes") for s in doc.layer("quotes")]
        taken = [(s.start, s.end) for s in doc.layer("entities")]
        word = next((w for w in re.finditer(r"[\u0621-\u064A]{5,}", doc.text)
                     if not any(a < w.end() and w.start() < b for a, b in taken)), None)
        if word is not None:  # a word no gold entity touches, called an EVENT
            predicted.append(Mention(doc.id, word.start(), word.end(), "EVENT", "entities"))
            changes["spurious"] += 1
    return predicted, changes


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return paragraph_documents()


@pytest.fixture(scope="module")
def run(docs: list[Document]) -> tuple[EvalResult, dict[str, int]]:
    predicted, changes = corrupt(docs)
    return evaluate(docs, predicted, intervals=BootstrapOptions(resamples=200, seed=1)), changes


# ------------------------------------------------------------------------------------- evaluate


def test_evaluate_scores_every_gold_layer_in_every_mode(run: tuple[EvalResult, dict[str, int]],
                                                        docs: list[Document]) -> None:
    result, changes = run
    assert list(result.layers) == ["entities", "quotes"]
    n_gold = sum(len(doc.layer("entities")) for doc in docs)
    strict = result.score("entities", "strict")
    assert strict.n_gold == n_gold
    assert strict.n_pred == n_gold - changes["missed"] + changes["spurious"]
    assert strict.micro.tp == changes["kept"]
    exact = result.score("entities", "exact")
    assert exact.micro.tp == changes["kept"] + changes["wrong_label"]
    type_ = result.score("entities", "type")
    assert type_.micro.tp == changes["kept"] + changes["wrong_boundary"] + changes["clitic"]
    partial = result.score("entities", "partial")
    assert partial.micro.tp == pytest.approx(
        changes["kept"] + changes["wrong_label"] + 0.5 * (changes["wrong_boundary"] + changes["clitic"]))
    quotes = result.score("quotes", "strict")
    assert quotes.micro.f1 == 1.0 and quotes.n_gold == sum(len(doc.layer("quotes")) for doc in docs)


def test_every_disagreement_is_classified_and_located(run: tuple[EvalResult, dict[str, int]]) -> None:
    result, changes = run
    layer = result.layers["entities"]
    counts = layer.error_counts
    assert counts["missed"] == changes["missed"]
    assert counts["spurious"] == changes["spurious"]
    assert counts["wrong_label"] == changes["wrong_label"]
    # without clitic tolerance a proclitic-widened span is an ordinary boundary error
    assert counts["wrong_boundary"] == changes["wrong_boundary"] + changes["clitic"]
    assert counts["clitic_boundary"] == 0
    assert len(layer.errors) == sum(v for k, v in counts.items() if k != "correct")
    assert result.texts is not None
    for record in layer.errors:
        text = result.texts[record.doc_id]
        if record.gold_text is not None:
            assert text[record.gold_start:record.gold_end] == record.gold_text
        if record.pred_text is not None:
            assert text[record.pred_start:record.pred_end] == record.pred_text
    matrix, _labels = layer.confusion
    assert sum(map(sum, matrix)) == len(layer.pairs)


def test_clitic_tolerance_moves_proclitic_boundaries_to_their_own_class(docs: list[Document]) -> None:
    predicted, changes = corrupt(docs)
    assert changes["clitic"] > 0
    result = evaluate(docs, predicted, options=ScoringOptions(modes=("strict",), clitic_tolerance=True),
                      intervals=NO_INTERVALS)
    counts = result.layers["entities"].error_counts
    assert counts["clitic_boundary"] == changes["clitic"]
    assert counts["wrong_boundary"] == changes["wrong_boundary"]
    assert result.layers["entities"].intervals == {}
    assert result.provenance.settings["clitic_tolerance"] is True


def test_intervals_and_per_document_counts(run: tuple[EvalResult, dict[str, int]]) -> None:
    result, _ = run
    layer = result.layers["entities"]
    for mode, report in layer.scores.items():
        interval = layer.intervals[mode]["micro"]["f1"]
        assert interval.point == pytest.approx(report.micro.f1)
        assert interval.low <= interval.point <= interval.high
        assert interval.n_resamples == 200 and interval.seed == 1
        assert layer.counts[mode].micro_totals() == pytest.approx(
            (report.micro.tp, report.micro.fp, report.micro.fn))
        for label, score in report.per_label.items():
            assert layer.intervals[mode][label]["f1"].point == pytest.approx(score.f1)
    assert layer.counts["strict"].units == result.units == tuple(doc.id for doc in paragraph_documents())
    per_document = layer.per_document("strict")
    predicted, _ = corrupt(paragraph_documents())
    for doc in paragraph_documents()[:4]:  # each document scored on its own agrees
        alone = evaluate([doc], [m for m in predicted if m.doc_id == doc.id],
                         options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
        assert per_document[doc.id] == pytest.approx(alone.score("entities", "strict").micro.f1)


def test_provenance_records_data_predictions_settings_and_version(run: tuple[EvalResult, dict[str, int]],
                                                                   docs: list[Document]) -> None:
    from eval.gold import content_fingerprint

    result, _ = run
    provenance = result.provenance
    assert provenance.dataset is not None and provenance.dataset["fingerprint"] == content_fingerprint(docs)
    assert provenance.predictions["hash"].startswith("sha256:")
    assert provenance.settings["modes"] == ["strict", "exact", "partial", "type"]
    assert provenance.settings["bootstrap"] == 200 and provenance.settings["seed"] == 1
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", provenance.akhbar_version)
    assert provenance.gold_fingerprint.startswith("sha256:")
    again = evaluate(docs, corrupt(docs)[0], options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
    assert again.provenance.gold_fingerprint == provenance.gold_fingerprint
    assert again.provenance.predictions["hash"] == provenance.predictions["hash"]


def test_label_map_and_ignored_labels_apply_to_both_sides(docs: list[Document]) -> None:
    from eval.labels import LabelMap

    predicted, _ = corrupt(docs)
    coarse = {"PERS": "PER", "GPE": "LOC", "ORG": "ORG", "NORP": None}
    with pytest.raises(ValueError, match="label 'EVENT' is not in label map"):  # a plain dict must be complete
        evaluate(docs, predicted, options=ScoringOptions(modes=("strict",), label_map=coarse), intervals=NO_INTERVALS)
    mapped = evaluate(docs, predicted, options=ScoringOptions(
        layers=["entities"], modes=("strict",), ignore_labels=["DATE"],
        label_map=LabelMap.from_dict(coarse, unknown="keep")), intervals=NO_INTERVALS)
    labels = set(mapped.score("entities", "strict").per_label)
    assert {"PER", "LOC", "EVENT"} <= labels  # EVENT kept as it is
    assert not labels & {"PERS", "GPE", "NORP", "DATE"}
    assert mapped.provenance.settings["label_map"]["mapping"]["NORP"] is None
    assert mapped.provenance.settings["ignore_labels"] == ["DATE"]
    unmapped = evaluate(docs, predicted, options=ScoringOptions(layers=["entities"], modes=("strict",)),
                        intervals=NO_INTERVALS)
    assert mapped.provenance.gold_fingerprint != unmapped.provenance.gold_fingerprint


def test_predictions_for_unknown_documents_are_reported_not_scored(docs: list[Document]) -> None:
    predicted = [*corrupt(docs)[0], Mention("no-such-doc", 0, 3, "PERS")]
    result = evaluate(docs, predicted, options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
    codes = [p.code for p in result.problems]
    assert "prediction-unknown-document" in codes
    assert "no-such-doc" in str(result.problems[codes.index("prediction-unknown-document")])
    assert result.problems[codes.index("prediction-unknown-document")].is_error  # not scored: an error
    assert result.score().n_pred == len([m for m in predicted if m.layer == "entities"]) - 1


def test_evaluate_takes_a_model_and_scores_links(docs: list[Document]) -> None:
    from eval.baselines.gazetteer import GazetteerBaseline

    names = {d.text[s.start:s.end]: s.label for d in docs for s in d.layer("entities") if s.label in ("PERS", "GPE")}
    result = evaluate(docs, GazetteerBaseline.from_entries(names), options=ScoringOptions(modes=("strict", "type")),
                      intervals=NO_INTERVALS)
    assert result.provenance.predictions["model"] == "gazetteer"
    strict = result.score("entities", "strict")
    assert strict.per_label["PERS"].recall > 0.5 and strict.per_label["GPE"].recall > 0.5
    assert "speaker" in result.links and set(result.links["speaker"]) == {"strict", "type"}
    assert result.links["speaker"]["strict"]["n_gold"] == sum(len(doc.links) for doc in docs) > 0
    assert "prediction-no-links" in [p.code for p in result.problems]


def test_bad_settings_are_refused(docs: list[Document]) -> None:
    # The options objects refuse a bad value when they are made, with the fix, before anything is scored.
    with pytest.raises(InputError, match=r"unknown matching mode.*Fix: Choose from \['strict'"):
        ScoringOptions(modes=("lenient",))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown matching mode"):
        ScoringOptions(modes=())
    with pytest.raises(InputError, match="bootstrap resamples=-1"):
        BootstrapOptions(resamples=-1)
    for level in (0.0, 1.0, 95):
        with pytest.raises(InputError, match=f"confidence={level} is outside"):
            BootstrapOptions(confidence=level)
    with pytest.raises(InputError, match="unaligned='drop'"):
        ScoringOptions(unaligned="drop")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'PERS' is a string"):
        ScoringOptions(labels="PERS")
    with pytest.raises(TypeError, match="Mention"):
        evaluate(docs, ["بوتين"])  # type: ignore[list-item]
    assert ScoringOptions(modes=["strict"], layers=["entities"]).layers == ("entities",)


# ------------------------------------------------------------------- offset-free mentions not placed


HALLUCINATED = {"text": "دونالد ترامب", "label": "PERS"}


def llm_predictions(docs: list[Document], tmp_path: Path, *, hallucinate_in: int):
    """Offset-free predictions: every gold entity's surface and label, in order, per paragraph document,
    plus one name the article never mentions in paragraph ``hallucinate_in``."""
    from eval.predictions import load_predictions

    path = tmp_path / "llm.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for index, doc in enumerate(docs):
            mentions = [{"text": doc.text[s.start:s.end], "label": s.label} for s in doc.layer("entities")]
            if index == hallucinate_in:
                mentions.append(HALLUCINATED)
            handle.write(json.dumps({"id": doc.id, "mentions": mentions}, ensure_ascii=False) + "\n")
    return load_predictions(path, documents={doc.id: doc for doc in docs})


def test_unplaced_mentions_are_false_positives_per_document_and_in_every_format(docs: list[Document],
                                                                               tmp_path: Path) -> None:
    target = 1
    predictions = llm_predictions(docs, tmp_path, hallucinate_in=target)
    spurious = evaluate(docs, predictions, intervals=BootstrapOptions(resamples=50, seed=3))
    ignored = evaluate(docs, predictions, options=ScoringOptions(unaligned="ignore"),
                       intervals=BootstrapOptions(resamples=50, seed=3))
    layer, before = spurious.layers["entities"], ignored.layers["entities"]
    assert [(u.doc_id, u.text) for u in layer.unplaced] == [(docs[target].id, HALLUCINATED["text"])]
    assert before.unplaced == []
    for mode in spurious.modes:
        fp_after = layer.counts[mode].fp - before.counts[mode].with_labels(layer.counts[mode].labels).fp
        expected = {(docs[target].id, "PERS"): 1.0}
        nonzero = {(layer.counts[mode].units[i], layer.counts[mode].labels[j]): fp_after[i, j]
                   for i, j in zip(*fp_after.nonzero(), strict=True)}
        assert nonzero == expected, mode
        assert layer.counts[mode].micro_totals()[1] == spurious.score("entities", mode).micro.fp
        after, prior = spurious.score("entities", mode), ignored.score("entities", mode)
        for average in ("micro", "macro", "weighted"):
            assert getattr(after, average).precision <= getattr(prior, average).precision
        assert after.micro.precision < prior.micro.precision
        assert spurious.layers["entities"].intervals[mode]["micro"]["precision"].point == \
            pytest.approx(after.micro.precision)
    per_doc = spurious.layers["entities"].per_document("strict", "precision")
    assert per_doc[docs[target].id] < ignored.layers["entities"].per_document("strict", "precision")[docs[target].id]

    table = render(spurious, "table")
    assert "1 prediction(s) not placed in the text, each counted spurious" in table
    assert f"{docs[target].id}  PERS  دونالد ترامب  (not-found)" in table
    markdown = render(spurious, "markdown")
    assert f"| {docs[target].id} | *not placed in the text* | — | `PERS` دونالد ترامب |" in markdown
    assert "not placed" not in render(ignored, "markdown").split("## Problems with the input")[0]

    # a label map or ignored label applies to unplaced mentions as to placed ones
    dropped = evaluate(docs, predictions, options=ScoringOptions(ignore_labels=["PERS"]), intervals=NO_INTERVALS)
    assert dropped.layers["entities"].unplaced == [] and "PERS" not in dropped.score().per_label
    labels = {s.label for doc in docs for s in doc.spans}
    renamed = evaluate(docs, predictions, options=ScoringOptions(label_map={**{lab: lab for lab in labels},
                                                                             "PERS": "PERSON"}),
                       intervals=NO_INTERVALS)
    assert [u.label for u in renamed.layers["entities"].unplaced] == ["PERSON"]
    assert renamed.score().per_label["PERSON"].fp == spurious.score().per_label["PERS"].fp


# --------------------------------------------------------------------------------- JSON round trip


def test_result_round_trips_through_json(run: tuple[EvalResult, dict[str, int]]) -> None:
    result, _ = run
    text = result.to_json()
    data = json.loads(text)
    assert data["kind"] == "akhbar-eval-result" and data["schema_version"] == 1
    assert "الأسد" in text  # Arabic is written as is, not \\u-escaped
    again = EvalResult.from_json(text)
    assert again.units == result.units and again.unit_kind == "document"
    assert again.provenance == result.provenance
    assert again.texts == result.texts and again.links == result.links
    for name, layer in result.layers.items():
        other = again.layers[name]
        assert other.scores == layer.scores
        assert other.errors == layer.errors and other.pairs == layer.pairs
        assert other.error_counts == layer.error_counts and other.confusion == layer.confusion
        assert other.intervals == layer.intervals
        for mode, counts in layer.counts.items():
            assert (other.counts[mode].tp == counts.tp).all() and other.counts[mode].labels == counts.labels
    assert [str(p) for p in again.problems] == [str(p) for p in result.problems]
    assert again.to_json() == text
    slim = json.loads(result.to_json(include_pairs=False, include_texts=False))
    assert slim["texts"] is None and slim["layers"]["entities"]["pairs"] is None


def test_from_json_refuses_other_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an akhbar evaluation result"):
        EvalResult.from_json('{"kind": "something else"}')
    broken = tmp_path / "broken.json"
    broken.write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json:2"):
        EvalResult.load(broken)


def test_nan_zero_division_survives_json(docs: list[Document]) -> None:
    result = evaluate(docs, [], options=ScoringOptions(layers=["quotes"], modes=("strict",), zero_division=math.nan),
                      intervals=BootstrapOptions(resamples=20))
    assert math.isnan(result.score("quotes").micro.precision)
    again = EvalResult.from_json(result.to_json())
    assert math.isnan(again.score("quotes").micro.precision)
    assert again.score("quotes").micro.recall == 0.0


# ------------------------------------------------------------------------------------- renderers


def test_table_lists_every_label_and_average_with_intervals(run: tuple[EvalResult, dict[str, int]]) -> None:
    result, _ = run
    table = render(result, "table")
    for name, layer in result.layers.items():
        for mode, _report in layer.scores.items():
            assert f"== {name} — {mode}" in table
        section = table.split(f"== {name} — strict")[1].split("\n\n")[0].splitlines()
        strict = layer.scores["strict"]
        for label, score in strict.per_label.items():
            row = next(line for line in section if line.startswith(f"{label} "))
            assert f"{100 * score.f1:.2f}" in row and f" {score.support}" in row
        micro_row = next(line for line in section if line.startswith("micro avg"))
        assert f"{100 * strict.micro.f1:.2f}" in micro_row
    interval = result.layers["entities"].intervals["strict"]["micro"]["f1"]
    assert f"[{100 * interval.low:.2f}, {100 * interval.high:.2f}]" in table
    assert "95% CI F1" in table and "weighted avg" in table and "macro avg" in table
    assert "entities alignment: correct" in table
    # columns line up: every row of a table has the same width as its header
    block = table.split("== entities — strict")[1].split("\n\n")[0].splitlines()[1:]
    assert len({len(line) for line in block}) == 1


def test_markdown_has_tables_and_errors_by_class(run: tuple[EvalResult, dict[str, int]]) -> None:
    result, changes = run
    markdown = render(result, "markdown", max_errors=2)
    assert markdown.startswith("# Evaluation report")
    assert "## Layer `entities`" in markdown and "### strict" in markdown
    assert "| label | precision % | recall % | F1 % | 95% CI F1 | TP | FP | FN | support |" in markdown
    assert f"#### missed ({changes['missed']})" in markdown
    assert f"… and {changes['missed'] - 2} more missed errors" in markdown
    assert "الأسد" in markdown or "بوتين" in markdown
    full = render(result, "markdown", max_errors=None)
    assert "more missed errors" not in full


def test_conlleval_layout_for_documents(run: tuple[EvalResult, dict[str, int]]) -> None:
    result, _ = run
    report = render(result, "conlleval")
    strict = result.score("entities", "strict")
    first = report.splitlines()[1]
    found = int(strict.micro.tp + strict.micro.fp)
    assert first == (f"processed {len(result.units)} documents with {strict.n_gold} phrases; found: {found} phrases; "
                     f"correct: {int(strict.micro.tp)}.")
    pers = strict.per_label["PERS"]
    assert (f"             PERS: precision: {100 * pers.precision:6.2f}%; recall: {100 * pers.recall:6.2f}%; "
            f"FB1: {100 * pers.f1:6.2f}  {int(pers.tp + pers.fp)}") in report.splitlines()


def test_every_format_renders_and_unknown_ones_are_refused(run: tuple[EvalResult, dict[str, int]]) -> None:
    result, _ = run
    for fmt in FORMATS:
        assert render(result, fmt)  # type: ignore[arg-type]
    assert json.loads(render(result, "json"))["provenance"]["settings"]["seed"] == 1
    with pytest.raises(ValueError, match="unknown report format"):
        render(result, "pdf")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- tag sequences


def _anercorp_tags() -> list[list[str]]:
    if not ANERCORP.exists():
        pytest.skip(f"real ANERcorp test split not found at {ANERCORP}")
    blocks = ANERCORP.read_text(encoding="utf-8").split("\n\n")
    return [[line.rsplit(" ", 1)[1] for line in block.splitlines() if line.strip()] for block in blocks]


def test_evaluate_tags_on_anercorp_matches_score_tags_and_renders_conlleval() -> None:
    from eval.score import score_tags

    y_true = _anercorp_tags()
    # a system that tags every other PERS name as ORG and misses every fifth LOC token
    y_pred = []
    for index, sentence in enumerate(y_true):
        predicted = []
        for position, tag in enumerate(sentence):
            if tag.endswith("PERS") and index % 2:
                tag = tag[:2] + "ORG"
            elif tag.endswith("LOC") and position % 5 == 0:
                tag = "O"
            predicted.append(tag)
        y_pred.append(predicted)
    result = evaluate_tags(y_true, y_pred, intervals=BootstrapOptions(resamples=100))
    assert result.unit_kind == "sentence" and len(result.units) == 925
    n_tokens = sum(map(len, y_true))
    assert result.tokens == {"tokens": n_tokens, "correct": sum(
        g == p for gs, ps in zip(y_true, y_pred, strict=True) for g, p in zip(gs, ps, strict=True))}
    for mode in ("strict", "exact", "partial", "type"):
        expected = score_tags(y_true, y_pred, mode=mode)
        got = result.score("entities", mode)
        assert got.micro.f1 == pytest.approx(expected.micro.f1)
        assert {k: v.f1 for k, v in got.per_label.items()} == pytest.approx(
            {k: v.f1 for k, v in expected.per_label.items()})
    report = render(result, "conlleval").splitlines()
    assert report[0].startswith(f"processed {n_tokens} tokens with 2285 phrases;")
    assert report[1].startswith("accuracy: ")
    assert result.layers["entities"].error_counts["wrong_label"] > 0


def test_evaluate_tags_refuses_misaligned_sentences() -> None:
    with pytest.raises(ValueError, match="sentence 1: 2 gold tags but 1 predicted"):
        evaluate_tags([["O"], ["B-PERS", "I-PERS"]], [["O"], ["B-PERS"]])
    with pytest.raises(ValueError, match="2 sentences"):
        evaluate_tags([["O"], ["O"]], [["O"]])


def test_a_single_document_gets_no_interval_and_says_why() -> None:
    whole = gold_documents()
    result = evaluate(whole, corrupt(whole)[0], options=ScoringOptions(modes=("strict",)),
                      intervals=BootstrapOptions(resamples=100))
    assert result.layers["entities"].intervals == {}
    assert "bootstrap-too-few-units" in [p.code for p in result.problems]
    table = render(result, "table")
    assert "[" not in table.split("== entities — strict")[1].split("\n\n")[0]  # no interval column filled


def test_text_reports_do_not_import_the_chart_writers() -> None:
    """The table, Markdown and JSON paths (and `akhbar --help`) must not pay for the charts."""
    import subprocess
    import sys

    code = ("import sys\nfrom eval.evaluate import evaluate_tags\nfrom eval.options import NO_INTERVALS\n"
            "from eval.report import render\n"
            "r = evaluate_tags([['B-PER', 'O']], [['B-PER', 'O']], intervals=NO_INTERVALS)\n"
            "for fmt in ('table', 'markdown', 'json'): render(r, fmt)\n"
            "import dataset_builder.cli\n"
            "assert 'dataset_builder.charts' not in sys.modules, 'charts imported by a text report'\n"
            "render(r, 'html')\nassert 'dataset_builder.charts' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


def test_html_report_draws_the_nesting_breakdown_with_its_numbers(run: tuple[EvalResult, dict[str, int]]) -> None:
    """Nested gold (the bundled article's paragraphs): one chart per mode with the flat, inner, outer
    and pairs bars, whose values are the JSON report's nested F1, and the table under it."""
    import re

    from eval.html import render_html

    result, _ = run
    nested = result.layers["entities"].nested
    assert set(nested) == set(result.layers["entities"].scores) and nested["strict"]["inner"].gold > 0
    page = render_html(result)
    for mode, subsets in nested.items():
        title = f"entities · {mode}: F1 % by nesting"
        start = page.index(title)
        svg = page[start:page.index("</svg>", start)]
        drawn = dict(re.findall(r'data-label="(\w+)" data-value="([^"]+)"', svg))
        assert list(drawn) == list(subsets)
        for subset, score in subsets.items():
            assert float(drawn[subset]) == pytest.approx(score.f1, nan_ok=True)
    assert page.count("— nesting table</summary>") == len(nested)
