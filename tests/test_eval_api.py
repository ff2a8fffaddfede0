"""The evaluation API the commands stand on: typed predictions, run_evaluation, compare_runs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from dataset_builder.model import Document
from dataset_builder.problems import InputError
from eval.compare import Comparison, ComparisonOptions, check_comparable, compare_runs
from eval.evaluate import EvalResult, evaluate
from eval.gold import load_gold
from eval.options import NO_INTERVALS, BootstrapOptions, ScoringOptions
from eval.predictions import OffsetFreePredictions, SpanPredictions, TagPredictions, load_predictions
from eval.run import EvalRequest, run_evaluation
from eval.types import ErrorClass, Mention, UnplacedPrediction
from tests.test_eval_cli import build_sana_sample

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "corpora" / "sana-sample" / "predictions"
LLM = FIXTURES / "llm-sana.jsonl"
CONLL = FIXTURES / "sana-lead.conll"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sana_sample(tmp_path_factory.mktemp("datasets"))


def _without_time(result: EvalResult) -> dict:
    data = result.to_dict()
    data["provenance"].pop("created")
    return data


# ----------------------------------------------------------------------------------- typed predictions


def test_each_format_reads_into_its_own_kind(built: Path, tmp_path: Path) -> None:
    documents = load_gold(built, split="test").by_id()
    offset_free = load_predictions(LLM, documents=documents)
    assert isinstance(offset_free, OffsetFreePredictions) and offset_free.unaligned
    tags = load_predictions(CONLL)
    assert isinstance(tags, TagPredictions) and tags.gold and tags.fmt == "conll"
    doc = next(iter(documents.values()))
    standoff = tmp_path / "p.jsonl"
    standoff.write_text(json.dumps({"id": doc.id, "spans": [{"start": 0, "end": 3, "label": "PERS"}]}) + "\n",
                        encoding="utf-8")
    spans = load_predictions(standoff, documents=documents)
    assert isinstance(spans, SpanPredictions) and not isinstance(spans, OffsetFreePredictions)
    assert [(m.start, m.end, m.label) for m in spans.mentions] == [(0, 3, "PERS")]


def test_tag_predictions_are_refused_against_documents(built: Path) -> None:
    gold = load_gold(built, split="test")
    with pytest.raises(ValueError, match="token positions"):
        evaluate(gold, load_predictions(CONLL), intervals=NO_INTERVALS)


def test_mentions_in_memory_score_as_span_predictions(built: Path) -> None:
    gold = load_gold(built, split="test")
    mentions = gold.mentions("entities")[::2]
    as_list = evaluate(gold, mentions, intervals=NO_INTERVALS)
    typed = evaluate(gold, SpanPredictions(mentions=mentions), intervals=NO_INTERVALS)
    assert _without_time(typed) == _without_time(as_list)
    assert typed.provenance.predictions["format"] == "mentions"
    assert typed.score("entities").micro.tp == len(mentions)


def test_an_unplaced_speaker_is_typed_and_never_a_spurious_mention(tmp_path: Path) -> None:
    text = "قال الرئيس إن الاجتماع كان مثمرا."
    doc = Document(id="d", text=text)
    path = tmp_path / "llm.jsonl"
    # The mention and the quote's speaker share the text and the index 0: the old id convention could
    # only tell them apart by the order they were recorded in.
    path.write_text(json.dumps({"id": "d", "mentions": [{"text": "بوتين", "label": "PERS"}],
                                "quotes": [{"text": "الاجتماع كان مثمرا", "speaker": "بوتين"}]},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    pred = load_predictions(path, documents={"d": doc})
    assert isinstance(pred, OffsetFreePredictions)
    assert [(u.text, u.speaker_of) for u in pred.unaligned] == [("بوتين", None), ("بوتين", 0)]
    assert pred.unplaced == [UnplacedPrediction("d", "entities", "PERS", "بوتين", "not-found")]
    (link,) = pred.links
    assert link.target is None and link.source is not None  # the speaker makes its link wrong


# ---------------------------------------------------------------------------------------- unplaced pairs


def test_unplaced_predictions_are_pairs_with_no_gold_side_and_round_trip(built: Path) -> None:
    result = run_evaluation(EvalRequest(pred=LLM, gold=str(built), intervals=NO_INTERVALS))
    layer = result.layers["entities"]
    unplaced_pairs = [pair for pair in layer.pairs if not pair.placed]
    assert [(p.gold, p.pred.text, p.outcome) for p in unplaced_pairs] == [  # type: ignore[union-attr]
        (None, "دونالد ترامب", ErrorClass.SPURIOUS)]
    assert layer.pairs[-1] is unplaced_pairs[0]  # after every placed pair
    assert layer.unplaced == [unplaced_pairs[0].pred]
    data = json.loads(result.to_json())["layers"]["entities"]
    assert len(data["pairs"]) == len(layer.placed_pairs) == len(layer.pairs) - 1
    assert data["unplaced"] == [unplaced_pairs[0].pred.to_dict()]  # type: ignore[union-attr]
    again = EvalResult.from_json(result.to_json())
    assert again.layers["entities"].pairs == layer.pairs
    ignored = run_evaluation(EvalRequest(pred=LLM, gold=str(built), options=ScoringOptions(unaligned="ignore"),
                                         intervals=NO_INTERVALS))
    assert all(pair.placed for pair in ignored.layers["entities"].pairs)
    assert ignored.score().micro.fp == result.score().micro.fp - 1


# ------------------------------------------------------------------------------------------ run_evaluation


def test_run_evaluation_is_load_then_evaluate(built: Path) -> None:
    options = ScoringOptions(modes=("strict", "partial"), ignore_labels=("MISC",))
    intervals = BootstrapOptions(resamples=50, seed=3)
    request = EvalRequest(pred=LLM, gold=str(built), options=options, intervals=intervals)
    gold = load_gold(built, split="test")
    direct = evaluate(gold, load_predictions(LLM, documents=gold.by_id()), options=options, intervals=intervals)
    assert _without_time(run_evaluation(request)) == _without_time(direct)


def test_run_evaluation_scores_a_conll_file_on_its_own_gold() -> None:
    result = run_evaluation(EvalRequest(pred=CONLL, intervals=NO_INTERVALS))
    assert result.unit_kind == "sentence" and result.tokens and result.tokens["tokens"] > 0
    assert result.provenance.predictions["format"] == "tags"
    tags = load_predictions(CONLL)
    assert result.score().n_gold == len(tags.gold) and result.score().n_pred == len(tags.mentions)


@pytest.mark.parametrize(("gold", "pred", "message"), [
    ("built", CONLL, "token positions"),
    (None, LLM, "only a CoNLL file"),
    ("built", FIXTURES / "missing.jsonl", "does not exist"),
])
def test_run_evaluation_refuses_what_it_cannot_score(built: Path, gold: str | None, pred: Path,
                                                     message: str) -> None:
    request = EvalRequest(pred=pred, gold=str(built) if gold else None, intervals=NO_INTERVALS)
    with pytest.raises(InputError, match=message):
        run_evaluation(request)


def test_a_label_outside_the_label_map_is_an_input_error(built: Path, tmp_path: Path) -> None:
    label_map = tmp_path / "map.yaml"
    label_map.write_text("name: tiny\nmap:\n  PERS: PER\n", encoding="utf-8")
    with pytest.raises(InputError, match="not in label map 'tiny'"):
        run_evaluation(EvalRequest(pred=LLM, gold=str(built), options=ScoringOptions(label_map=label_map),
                                   intervals=NO_INTERVALS))


# ------------------------------------------------------------------------------------------- compare_runs


def test_compare_runs_in_memory_and_from_files(built: Path, tmp_path: Path) -> None:
    gold = load_gold(built, split="test")
    mentions = gold.mentions("entities")
    a = evaluate(gold, mentions[::2], options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
    b = evaluate(gold, mentions, options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
    options = ComparisonOptions(test="approximate-randomization", n=100, layers=["entities"])
    comparison = compare_runs(a, b, options)
    assert isinstance(comparison, Comparison) and comparison.n == 100
    (row,) = comparison.rows
    assert (row.layer, row.mode) == ("entities", "strict")
    assert row.result.delta == pytest.approx(b.score().micro.f1 - a.score().micro.f1)
    assert json.loads(comparison.to_json())["comparisons"] == [row.to_dict()]
    assert f"{100 * row.result.delta:>+8.2f}" in comparison.to_table()
    path_a, path_b = tmp_path / "a.json", tmp_path / "b.json"
    path_a.write_text(a.to_json(), encoding="utf-8")
    path_b.write_text(b.to_json(), encoding="utf-8")
    from_files = compare_runs(path_a, path_b, options)
    assert from_files.rows[0].to_dict() == row.to_dict() and from_files.name_a == str(path_a)
    with pytest.raises(InputError, match="at least 1"):
        compare_runs(a, b, ComparisonOptions(n=0))
    with pytest.raises(InputError, match="not in both runs"):
        compare_runs(a, b, ComparisonOptions(layers=["events"]))
    with pytest.raises(InputError, match="the run file does not exist"):
        compare_runs(tmp_path / "none.json", path_b)


def test_runs_on_other_gold_mentions_are_not_comparable(built: Path) -> None:
    gold = load_gold(built, split="test")
    mentions = gold.mentions("entities")
    a = evaluate(gold, mentions, options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
    other = evaluate(gold, mentions, options=ScoringOptions(modes=("strict",), ignore_labels=(mentions[0].label,)),
                     intervals=NO_INTERVALS)
    with pytest.raises(InputError, match="different gold mentions") as refused:
        check_comparable(a, other, "a.json", "b.json")
    assert "ignore_labels" in refused.value.problem.message and "--ignore" in refused.value.problem.fix
    moved = replace(other, provenance=replace(other.provenance, dataset={"fingerprint": "sha256:other"}))
    with pytest.raises(InputError, match="different datasets"):
        compare_runs(a, moved)


def test_an_offset_free_run_is_not_compared_with_one_that_ignored_unplaced_mentions(built: Path) -> None:
    spurious = run_evaluation(EvalRequest(pred=LLM, gold=str(built), intervals=NO_INTERVALS))
    ignored = run_evaluation(EvalRequest(pred=LLM, gold=str(built), options=ScoringOptions(unaligned="ignore"),
                                         intervals=NO_INTERVALS))
    with pytest.raises(InputError, match="unplaced offset-free mentions differently"):
        compare_runs(spurious, ignored)


# ---------------------------------------------------------------------------------------------- modules


def test_html_renders_without_importing_the_report_module() -> None:
    script = "import sys, eval.html\nassert 'eval.report' not in sys.modules, 'eval.html imports eval.report'\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr


def test_mention_lists_and_models_are_still_accepted_and_anything_else_is_refused(built: Path) -> None:
    gold = load_gold(built, split="test")
    with pytest.raises(TypeError, match="SpanPredictions"):
        evaluate(gold, ["not a mention"], intervals=NO_INTERVALS)  # type: ignore[list-item]
    one = Mention(gold.documents[0].id, 0, 1, "PERS")
    assert evaluate(gold, [one], intervals=NO_INTERVALS).score().n_pred == 1
