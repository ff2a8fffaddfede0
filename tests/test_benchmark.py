"""`akhbar benchmark` and eval.benchmark on a dataset built from the NewsFANE slice in tests/fixtures,
and (slow) the cross-corpus run NewsFANE -> ANERcorp on the shared corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dataset_builder.config import BuildConfig
from dataset_builder.model import Document, Metadata, Span
from dataset_builder.problems import InputError
from eval.benchmark import BenchmarkOptions, overlapping_documents, run_benchmark
from eval.benchmark_cli import register
from eval.evaluate import evaluate
from eval.gold import load_gold
from eval.options import NO_INTERVALS, BootstrapOptions, ScoringOptions
from eval.predictions import load_predictions
from tests.test_baselines import SHARED, SLICE, build_recipe

runner = CliRunner()


@pytest.fixture(scope="module")
def slice_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_recipe(tmp_path_factory.mktemp("bench"), "newsfane-slice", SLICE, sentences_per_doc=1,
                        split="{train: 0.5, test: 0.5, run: 1, seed: t}")


@pytest.fixture(scope="module")
def board_dir(slice_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("leaderboard")
    run_benchmark(slice_dataset, ["gazetteer", "linear"],
                  options=BenchmarkOptions(intervals=BootstrapOptions(resamples=200, seed=3)), out=out)
    return out


def test_rows_identify_the_dataset_and_carry_intervals(slice_dataset: Path, board_dir: Path) -> None:
    manifest = json.loads((slice_dataset / "manifest.json").read_text(encoding="utf-8"))
    board = json.loads((board_dir / "leaderboard.json").read_text(encoding="utf-8"))
    assert board["kind"] == "akhbar-leaderboard" and board["settings"]["bootstrap"] == 200
    rows = board["rows"]
    assert {row["model"] for row in rows} == {"gazetteer", "linear"}
    assert [row["f1"] for row in rows] == sorted((row["f1"] for row in rows), reverse=True)
    gold_mentions = len(load_gold(slice_dataset, split="test").mentions())
    for row in rows:
        assert (row["dataset"], row["version"], row["fingerprint"]) == (
            manifest["name"], manifest["version"], manifest["fingerprint"])
        assert row["split"] == "test" and row["train"] == "newsfane-slice 0.1.0 / train"
        assert row["n_gold"] == gold_mentions
        for metric in ("precision", "recall", "f1"):
            low, high = row[f"{metric}_ci"]
            assert 0.0 <= low <= row[metric] <= high <= 1.0
    markdown = (board_dir / "leaderboard.md").read_text(encoding="utf-8")
    assert markdown.count("| newsfane-slice | 0.1.0 |") == 2 and manifest["fingerprint"][:12] in markdown


def test_saved_predictions_rescore_to_the_leaderboard_figures(slice_dataset: Path, board_dir: Path) -> None:
    gold = load_gold(slice_dataset, split="test")
    rows = {row["model"]: row for row in json.loads((board_dir / "leaderboard.json").read_text())["rows"]}
    for name, row in rows.items():
        predictions = load_predictions(board_dir / f"{name}.predictions.jsonl", documents=gold.by_id())
        assert predictions.problems == [] and len(predictions.mentions) == row["n_pred"]
        micro = evaluate(gold, predictions, options=ScoringOptions(modes=("strict",)),
                         intervals=NO_INTERVALS).score().micro
        assert (micro.precision, micro.recall, micro.f1) == (row["precision"], row["recall"], row["f1"])
        result = json.loads((board_dir / f"{name}.result.json").read_text())
        assert result["provenance"]["predictions"]["model"] == name


def test_cli_is_registered_on_the_akhbar_app(slice_dataset: Path, tmp_path: Path) -> None:
    from dataset_builder.cli import app

    result = runner.invoke(app, ["benchmark", "--dataset", str(slice_dataset), "--model", "gazetteer",
                                 "--bootstrap", "0", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "| gazetteer | newsfane-slice | 0.1.0 |" in result.stdout
    assert (tmp_path / "leaderboard.md").is_file() and (tmp_path / "gazetteer.predictions.jsonl").is_file()
    as_json = runner.invoke(app, ["benchmark", "--dataset", str(slice_dataset), "--model", "gazetteer",
                                  "--bootstrap", "0", "--json", "--no-progress"])
    assert as_json.exit_code == 0, as_json.output
    board = json.loads(as_json.stdout)
    written = json.loads((tmp_path / "leaderboard.json").read_text(encoding="utf-8"))
    timing = ("fit_seconds", "predict_seconds")  # two runs, two clocks; everything else is the same
    assert board["settings"] == written["settings"] and [
        {k: v for k, v in r.items() if k not in timing} for r in board["rows"]] == [
        {k: v for k, v in r.items() if k not in timing} for r in written["rows"]]
    (row,) = board["rows"]
    assert row["model"] == "gazetteer" and row["dataset"] == "newsfane-slice" and 0 < row["f1"] < 1


def test_cli_usage_errors_name_the_problem(slice_dataset: Path, tmp_path: Path) -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    register(app)
    unknown = runner.invoke(app, ["--dataset", str(slice_dataset), "--model", "crf"])
    assert unknown.exit_code == 2 and "unknown model 'crf'" in unknown.output
    missing = runner.invoke(app, ["--dataset", str(tmp_path / "nothing"), "--model", "gazetteer"])
    assert missing.exit_code == 2 and "no dataset at this path" in missing.output
    split = runner.invoke(app, ["--dataset", str(slice_dataset), "--model", "gazetteer", "--split", "dev"])
    assert split.exit_code == 2 and "split 'dev'" in split.output


def test_cli_prints_every_problem_of_every_model_and_says_when_there_are_no_intervals(
        slice_dataset: Path, tmp_path: Path) -> None:
    from dataset_builder.pipeline import build
    from dataset_builder.schema import load_schema
    from dataset_builder.split import HashSplit

    corpus = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample"
    build(BuildConfig([corpus / "sana-sample.jsonl"], schema=load_schema(corpus / "schema.yaml"), name="sana-sample",
                      version="1.0.0", out_dir=tmp_path, split=HashSplit((("test", 1.0),)), progress=False))
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    register(app)
    # Scored on the one SANA article: the bootstrap has a single document, so there are no intervals.
    result = runner.invoke(app, ["--dataset", str(tmp_path / "sana-sample" / "1.0.0"), "--train-dataset",
                                 str(slice_dataset), "--model", "gazetteer", "--model", "linear"])
    assert result.exit_code == 0, result.output
    assert "4 problem(s):" in result.stderr  # per model: no intervals, and no speaker links predicted
    for name in ("gazetteer", "linear"):
        assert f"  {name}: <input>: info[bootstrap-too-few-units]" in result.stderr
        assert f"  {name}: <input>: info[prediction-no-links]" in result.stderr
    plain = runner.invoke(app, ["--dataset", str(slice_dataset), "--model", "gazetteer", "--bootstrap", "0"])
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.startswith("Strict matching, micro average; no bootstrap intervals; layer `entities`.")


def test_training_on_the_scored_split_with_exclusion_leaves_nothing(slice_dataset: Path) -> None:
    with pytest.raises(InputError, match="nothing is left to train on"):
        run_benchmark(slice_dataset, ["gazetteer"], options=BenchmarkOptions(
            train_split="test", exclude_overlap=True, intervals=NO_INTERVALS))


def test_a_layer_the_training_data_lacks_is_refused_with_the_layers_it_has(slice_dataset: Path) -> None:
    with pytest.raises(InputError, match="layer 'events' is not a layer of the training data") as caught:
        run_benchmark(slice_dataset, ["gazetteer"], options=BenchmarkOptions(layer="events", intervals=NO_INTERVALS))
    assert "Pass --layer with one of:" in caught.value.problem.fix and "entities" in caught.value.problem.fix


def test_overlap_is_found_across_tokenization_and_spelling() -> None:
    given = Metadata(extra={"tokenization": "given"})
    # ANERcorp writes clitics attached and hamza kept; NewsFANE splits و and writes bare alef.
    test = [Document("a-1", "وقال الأمين العام للأمم المتحدة إن المفاوضات ستستأنف في جنيف الأسبوع المقبل .",
                     metadata=given)]
    train = [
        Document("n-1", "و قال الامين العام للامم المتحدة ان المفاوضات ستستانف في جنيف الاسبوع المقبل .\n"
                 "فاز الفريق بالمباراة .", metadata=given, spans=(Span("T1", "entities", 62, 66, "LOC"),)),
        Document("n-2", "اعلنت الشركة عن ارباحها السنوية في تقرير نشر امس .", metadata=given),
    ]
    assert overlapping_documents(train, test) == {"n-1"}


@pytest.mark.slow
def test_cross_corpus_exclusion_removes_the_shared_articles(tmp_path: Path) -> None:
    corpora = SHARED / "corpora"
    if not (corpora / "newsfane-gold").is_dir() or not (corpora / "anercorp-camel").is_dir():
        pytest.skip(f"{corpora} is absent (the shared corpora are not next to the repository)")
    newsfane = build_recipe(tmp_path, "newsfane", corpora / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt",
                            sentences_per_doc=25,
                            split="{train: 0.8, validation: 0.1, test: 0.1, run: 2, seed: newsfane-gold-1}")
    from dataset_builder.cli import app

    recipe = Path(__file__).resolve().parents[1] / "corpora" / "recipes" / "anercorp-camel.yaml"
    built = runner.invoke(app, ["build", str(recipe), "--data-dir", str(corpora), "--out", str(tmp_path / "out"),
                                "--no-progress"])
    assert built.exit_code == 0, built.output
    scored = tmp_path / "out" / "anercorp-camel" / "1.0.0"
    fair = run_benchmark(scored, ["gazetteer"], options=BenchmarkOptions(
        train_dataset=newsfane, exclude_overlap=True, intervals=NO_INTERVALS))
    leaky = run_benchmark(scored, ["gazetteer"], options=BenchmarkOptions(train_dataset=newsfane,
                                                                          intervals=NO_INTERVALS))
    excluded = fair.settings["excluded_training_documents"]
    numbers = sorted(int(doc_id.rsplit("-", 1)[1]) for doc_id in excluded)
    # ANERcorp's test articles sit in one stretch of NewsFANE (SOURCE.md: from about 46% of the file).
    assert len(numbers) >= 20 and 0.35 < numbers[0] / 191 < 0.5 and numbers[-1] - numbers[0] < 60
    assert leaky.rows[0].f1 > fair.rows[0].f1 + 0.1  # training on the test text inflates the score


def test_progress_counts_models_and_times_training_and_scoring(slice_dataset: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    run_benchmark(slice_dataset, ["gazetteer", "linear"], options=BenchmarkOptions(intervals=NO_INTERVALS),
                  progress=True)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and "\r" not in captured.err
    assert lines[0] == "benchmark on test: 2 model to do"
    assert lines[-1].startswith("benchmark on test: 2 of 2 model in ")
    steps = [line.split(": done in ")[0] for line in lines if ": done in " in line]
    assert steps == ["benchmark: train gazetteer", "benchmark: score gazetteer", "benchmark: train linear",
                     "benchmark: score linear"]
    assert any(line.startswith("predict (linear): ") for line in lines)  # the per-document bar of each model
