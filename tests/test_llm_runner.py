"""eval.runners and `akhbar predict` against an OpenAI-compatible server on 127.0.0.1 (tests/openai_server.py),
on the bundled SANA corpus and a NewsFANE slice built with train and test splits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.cli import app
from eval.evaluate import evaluate
from eval.gold import load_gold
from eval.options import NO_INTERVALS, ScoringOptions
from eval.predictions import load_predictions
from eval.runners import RunSettings, predict
from eval.runners.cache import ResponseCache
from eval.runners.prompts import LabelInventory, PromptTemplate, answer_of, draw_shots
from tests.openai_server import OpenAIServer
from tests.test_baselines import SLICE, build_recipe

pytest.importorskip("openai")
REPO = Path(__file__).resolve().parents[1]
FAKE_KEY = "sk-AkhbarFakeKeyDoNotPrint0123456789"
runner = CliRunner()


@pytest.fixture(scope="module")
def slice_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_recipe(tmp_path_factory.mktemp("llm"), "newsfane-slice", SLICE, sentences_per_doc=1,
                        split="{train: 0.5, test: 0.5, run: 1, seed: t}")


def _answers(dataset: Path) -> dict[str, str]:
    """What our fake model answers for each document text: the gold, one mention dropped, one invented."""
    gold = load_gold(dataset)
    inventory = LabelInventory.from_documents(gold.documents)
    answers = {}
    for doc in gold.documents:
        answer = answer_of(doc, inventory)
        answer["mentions"] = [*answer["mentions"][:-1], {"text": "مدينة لا توجد", "label": "LOC"}]
        answers[doc.text] = json.dumps(answer, ensure_ascii=False)
    return answers


def _server(dataset: Path, **kwargs: object) -> OpenAIServer:
    answers = _answers(dataset)
    return OpenAIServer(lambda message: answers.get(message, '{"mentions": []}'), **kwargs)  # type: ignore[arg-type]


def _settings(server: OpenAIServer, tmp_path: Path, **changes: object) -> RunSettings:
    values: dict[str, object] = {"model": "openai:test-model", "base_url": server.base_url, "concurrency": 4,
                                 "cache": str(tmp_path / "cache.sqlite"), "backoff_base": 0.01, "timeout": 5.0}
    values.update(changes)
    return RunSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)


def test_scores_of_a_run_equal_those_of_the_same_answers_as_a_predictions_file(
        slice_dataset: Path, tmp_path: Path) -> None:
    gold = load_gold(slice_dataset)
    with _server(slice_dataset) as server:
        run = predict(slice_dataset, _settings(server, tmp_path), out=tmp_path / "pred.jsonl")
    by_text = _answers(slice_dataset)
    handwritten = tmp_path / "by-hand.jsonl"
    handwritten.write_text("".join(json.dumps({"id": d.id, **json.loads(by_text[d.text])}, ensure_ascii=False) + "\n"
                                   for d in gold.documents), encoding="utf-8")
    scores = []
    for path in (run.out, handwritten):
        predictions = load_predictions(path, fmt="mentions", documents=gold.by_id())
        result = evaluate(gold, predictions, options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
        scores.append(result.score("entities", "strict").micro)
    assert scores[0] == scores[1]
    assert 0 < scores[0].precision < 1 and 0 < scores[0].recall < 1  # the invented and dropped mentions count
    assert run.summary.documents == len(gold.documents) == run.summary.requests
    assert run.summary.failed == 0 and run.summary.cached == 0
    assert run.summary.documents_with_problems == len(gold.documents)  # the invented mention is not in any text
    log = [json.loads(line) for line in (run.run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [entry["id"] for entry in log] == [doc.id for doc in gold.documents]
    assert all("not-in-text: 'مدينة لا توجد'" in entry["problems"][0] for entry in log)
    assert all(entry["usage"]["prompt_tokens"] > 0 and entry["raw_response"] for entry in log)
    # the eval CLI reads the file unchanged
    result = runner.invoke(app, ["eval", "--gold", str(slice_dataset), "--pred", str(run.out), "--mode", "strict",
                                 "--bootstrap", "0", "--format", "json", "--output", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert f'"f1": {scores[0].f1}' in (tmp_path / "r.json").read_text(encoding="utf-8")


def test_a_second_run_sends_no_request_and_no_cache_sends_them_all(slice_dataset: Path, tmp_path: Path) -> None:
    with _server(slice_dataset) as server:
        first = predict(slice_dataset, _settings(server, tmp_path), out=tmp_path / "a.jsonl")
        sent = server.request_count
        second = predict(slice_dataset, _settings(server, tmp_path), out=tmp_path / "b.jsonl")
        assert server.request_count == sent and second.summary.requests == 0
        assert second.summary.cached == second.summary.documents
        assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
        # what was read from each response comes back from the cache as it was first read
        assert [(o.raw, o.answer, o.usage) for o in second.outcomes] == [(o.raw, o.answer, o.usage)
                                                                          for o in first.outcomes]
        assert all(o.answer.problems for o in second.outcomes)
        predict(slice_dataset, _settings(server, tmp_path, use_cache=False), out=tmp_path / "c.jsonl")
        assert server.request_count == 2 * sent == 2 * first.summary.documents
        # another parameter is another key
        predict(slice_dataset, _settings(server, tmp_path, temperature=0.7), out=tmp_path / "d.jsonl")
        assert server.request_count == 3 * sent


def test_429_with_retry_after_500_and_timeouts_are_retried_and_counted(slice_dataset: Path, tmp_path: Path) -> None:
    with _server(slice_dataset) as server:
        server.faults = [("429", 0.3), ("500",), ("hang", 1.5)]
        started = time.perf_counter()
        run = predict(slice_dataset, _settings(server, tmp_path, concurrency=1, timeout=0.5),
                      out=tmp_path / "pred.jsonl")
        elapsed = time.perf_counter() - started
    assert run.summary.failed == 0 and run.summary.retried == 3
    assert run.summary.requests == run.summary.documents + 3 == server.request_count
    assert elapsed >= 0.3 + 0.5  # waited the Retry-After and the timeout
    first = run.outcomes[0]
    assert first.retries == 3 and first.requests == 4


def test_a_document_that_keeps_failing_is_recorded_and_the_run_finishes(slice_dataset: Path, tmp_path: Path) -> None:
    gold = load_gold(slice_dataset)
    victim = gold.documents[1]
    out = tmp_path / "pred.jsonl"
    with _server(slice_dataset) as server:
        server.fail_always = lambda message: message == victim.text
        result = runner.invoke(app, ["predict", str(slice_dataset), "--model", "openai:test-model", "--base-url",
                                     server.base_url, "--out", str(out), "--cache", str(tmp_path / "c.sqlite"),
                                     "--max-retries", "2"])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        assert "1 failed" in result.output and victim.id in result.output and "Traceback" not in result.output
        as_json = runner.invoke(app, ["predict", str(slice_dataset), "--model", "openai:test-model", "--base-url",
                                      server.base_url, "--out", str(tmp_path / "again.jsonl"), "--cache",
                                      str(tmp_path / "c.sqlite"), "--max-retries", "0", "--json"])
        assert as_json.exit_code == 1, as_json.output
        printed = json.loads(as_json.stdout)
        assert printed["out"] == str(tmp_path / "again.jsonl") and printed["summary"]["failed_ids"] == [victim.id]
        assert printed["summary"]["cached"] == len(gold.documents) - 1 and printed["summary"]["failed"] == 1
        summary = json.loads((tmp_path / "pred.run" / "summary.json").read_text(encoding="utf-8"))
        assert summary["failed"] == 1 and summary["failed_ids"] == [victim.id] and summary["retried"] == 2
        ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
        assert ids == [doc.id for doc in gold.documents if doc.id != victim.id]
        log = {e["id"]: e for e in map(json.loads, (tmp_path / "pred.run" / "log.jsonl").read_text().splitlines())}
        assert log[victim.id]["error"].startswith("HTTP 500") and log[victim.id]["requests"] == 3
        # the failure was not cached: a rerun asks again for that document only
        server.fail_always = lambda _message: False
        rerun = predict(slice_dataset, _settings(server, tmp_path, cache=str(tmp_path / "c.sqlite")), out=out)
    assert rerun.summary.requests == 1 and rerun.summary.failed == 0 and rerun.summary.cached == len(ids)


def test_malformed_output_is_kept_raw_reported_and_scored(slice_dataset: Path, tmp_path: Path) -> None:
    gold = load_gold(slice_dataset)
    with _server(slice_dataset) as server:
        server.faults = [("garbage",), ("truncate",)]
        run = predict(slice_dataset, _settings(server, tmp_path, concurrency=1), out=tmp_path / "pred.jsonl")
    first, second = run.outcomes[:2]
    assert first.raw.startswith("Sure!") and first.answer.problems[0].startswith("not-json")
    assert second.answer.problems[0].startswith("truncated") and "not-json" in second.answer.problems[1]
    lines = [json.loads(line) for line in run.out.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"id": gold.documents[0].id, "mentions": []}
    predictions = load_predictions(run.out, fmt="mentions", documents=gold.by_id())
    assert not predictions.errors
    assert len(predictions.unaligned) == len(gold.documents) - 2  # the invented mention of the other documents


def test_a_server_without_json_schema_gets_json_object(slice_dataset: Path, tmp_path: Path) -> None:
    with _server(slice_dataset, json_schema=False) as server:
        run = predict(slice_dataset, _settings(server, tmp_path, concurrency=1), out=tmp_path / "pred.jsonl")
        kinds = [r.get("response_format", {}).get("type") for r in server.requests]
        assert kinds[0] == "json_schema" and set(kinds[1:]) == {"json_object"}
        assert run.summary.failed == 0
        again = predict(slice_dataset, _settings(server, tmp_path), out=tmp_path / "again.jsonl")
        assert again.summary.requests == 0


def test_a_killed_run_resumes_with_only_the_missing_requests(slice_dataset: Path, tmp_path: Path) -> None:
    cache, out = tmp_path / "cache.sqlite", tmp_path / "pred.jsonl"
    with _server(slice_dataset, latency=0.3) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "dataset_builder.cli", "predict", str(slice_dataset), "--model", "openai:test-model",
             "--base-url", server.base_url, "--concurrency", "1", "--cache", str(cache), "--out", str(out)],
            env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while server.request_count < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        stored = len(ResponseCache(cache))
        server.latency = 0.0
        before = server.request_count
        run = predict(slice_dataset, _settings(server, tmp_path, cache=str(cache)), out=out)
    assert 2 <= stored < run.summary.documents and process.returncode == -signal.SIGKILL
    assert run.summary.requests == server.request_count - before == run.summary.documents - stored
    assert run.summary.cached == stored


def test_the_api_key_is_sent_but_never_printed_or_stored(slice_dataset: Path, tmp_path: Path) -> None:
    with _server(slice_dataset) as server:
        server.faults = [("500",)]
        result = runner.invoke(app, ["predict", str(slice_dataset), "--model", "openai:test-model", "--base-url",
                                     server.base_url, "--out", str(tmp_path / "pred.jsonl"), "--cache",
                                     str(tmp_path / "c.sqlite")])
        assert set(server.authorizations) == {f"Bearer {FAKE_KEY}"}
    assert result.exit_code == 0, result.output
    assert FAKE_KEY not in result.output
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 5
    for path in files:
        assert FAKE_KEY.encode() not in path.read_bytes(), path


def test_a_hosted_run_without_a_key_is_a_clear_error(slice_dataset: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    result = runner.invoke(app, ["predict", str(slice_dataset), "--model", "openai:gpt-4o-mini", "--out",
                                 str(tmp_path / "p.jsonl"), "--api-key-env", "MY_KEY"])
    assert result.exit_code == 2 and "MY_KEY is not set" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["predict", str(slice_dataset), "--model", "gpt-4o-mini", "--out", "p.jsonl"])
    assert result.exit_code == 2 and "openai:MODEL or hf:PATH" in result.output
    result = runner.invoke(app, ["predict", str(tmp_path / "nowhere"), "--model", "openai:m", "--out", "p.jsonl"])
    assert result.exit_code == 2 and "no dataset at this path" in result.output
    result = runner.invoke(app, ["predict", str(slice_dataset), "--model", "openai:m", "--base-url", "http://x",
                                 "--concurrency", "0", "--out", "p.jsonl"])
    assert result.exit_code == 2 and "concurrency" in result.output


def test_shots_come_from_train_deterministically_and_never_from_the_scored_split(
        slice_dataset: Path, tmp_path: Path) -> None:
    train, test = load_gold(slice_dataset, split="train"), load_gold(slice_dataset, split="test")
    with _server(slice_dataset) as server:
        run = predict(slice_dataset, _settings(server, tmp_path, shots=2), out=tmp_path / "pred.jsonl")
        messages = server.requests[0]["messages"]
    shot_ids = run.settings["shot_ids"]
    assert len(shot_ids) == 2 and set(shot_ids) <= {d.id for d in train.documents}
    assert shot_ids == [d.id for d in draw_shots(train.documents, 2)]  # same draw every time
    train_texts = {d.id: d.text for d in train.documents}
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert [messages[1]["content"], messages[3]["content"]] == [train_texts[i] for i in shot_ids]
    shot = next(d for d in train.documents if d.id == shot_ids[0])
    assert json.loads(messages[2]["content"]) == answer_of(shot, LabelInventory.from_documents(train.documents))
    assert not {m["content"] for m in messages[:-1]} & {d.text for d in test.documents}
    with pytest.raises(Exception, match="scored split"):
        predict(slice_dataset, _settings(server, tmp_path, shots=1, train_split="test"), out=tmp_path / "x.jsonl")


def test_prompts_carry_the_schema_definitions_and_quotes(sana_version: Path, tmp_path: Path) -> None:
    gold = load_gold(sana_version)
    with OpenAIServer(lambda _m: '{"mentions": [{"text": "بوتين", "label": "PERS"}], '
                                 '"quotes": [{"text": "سعيد", "label": "DIRECT", "speaker": "بوتين"}]}') as server:
        run = predict(sana_version, _settings(server, tmp_path), out=tmp_path / "pred.jsonl")
        request = server.requests[0]
    system = request["messages"][0]["content"]
    assert "- PERS: A person referred to by name" in system and "- DIRECT:" in system and "speaker" in system
    schema = request["response_format"]["json_schema"]["schema"]
    assert "quotes" in schema["properties"] and "PRODUCT" in str(schema)
    assert run.settings["prompt_sha256"] == PromptTemplate.load().sha256
    predictions = load_predictions(run.out, fmt="mentions", documents=gold.by_id())
    assert predictions.links and predictions.layer("entities")
    custom = tmp_path / "prompt.txt"
    custom.write_text("[system]\nLabels:\n$labels\n[user]\nArticle: $text\n", encoding="utf-8")
    with OpenAIServer(lambda _m: '{"mentions": []}') as server:
        other = predict(sana_version, _settings(server, tmp_path, prompt=str(custom)), out=tmp_path / "p2.jsonl")
        assert server.requests[0]["messages"][-1]["content"].startswith("Article: ")
    assert other.settings["prompt_sha256"] != run.settings["prompt_sha256"]
    custom.write_text("no sections", encoding="utf-8")
    result = runner.invoke(app, ["predict", str(sana_version), "--model", "openai:test-model", "--base-url", "http://x",
                                 "--prompt", str(custom), "--out", str(tmp_path / "p3.jsonl")])
    assert result.exit_code == 2 and "[system]" in result.output


def test_benchmark_adds_an_llm_row(slice_dataset: Path, tmp_path: Path) -> None:
    from eval.benchmark import BenchmarkOptions, run_benchmark
    from eval.runners.run import HOSTED_BASE_URL  # noqa: F401 - the runner module must import

    with _server(slice_dataset) as server:
        options = BenchmarkOptions(intervals=NO_INTERVALS, runner=_settings(server, tmp_path))
        board = run_benchmark(slice_dataset, ["gazetteer", "openai:test-model"], options=options,
                              out=tmp_path / "board")
    rows = {row.model: row for row in board.rows}
    assert set(rows) == {"gazetteer", "openai:test-model"}
    llm = rows["openai:test-model"]
    gold = load_gold(slice_dataset)
    expected = evaluate(gold, load_predictions(tmp_path / "board" / "openai_test-model.mentions.jsonl",
                                               fmt="mentions", documents=gold.by_id()),
                        options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS)
    assert llm.f1 == expected.score("entities", "strict").micro.f1 and 0 < llm.f1 < 1
    assert llm.model_settings["summary"]["requests"] == len(gold.documents)
    with _server(slice_dataset) as server:
        result = runner.invoke(app, ["benchmark", "--dataset", str(slice_dataset), "--model", "openai:test-model",
                                     "--base-url", server.base_url, "--cache", str(tmp_path / "c.sqlite"),
                                     "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert "| openai:test-model | newsfane-slice | 0.1.0 |" in result.output and f"{100 * llm.f1:.1f}" in result.output


def test_importing_the_cli_does_not_import_openai() -> None:
    code = "import sys, dataset_builder.cli; print('openai' in sys.modules, 'eval.runners.run' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_a_local_token_classifier_runs_through_the_same_runner(tmp_path: Path, sana_version: Path) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from tests.test_transformers_adapter import _save_tiny_bert

    gold = load_gold(sana_version)
    model = _save_tiny_bert(tmp_path / "bert", gold.documents[0].text)
    run = predict(sana_version, RunSettings(model=f"hf:{model}", batch_size=4), out=tmp_path / "pred.jsonl")
    assert run.summary.requests == 0 and run.summary.failed == 0
    predictions = load_predictions(run.out, fmt="mentions", documents=gold.by_id())
    from eval.baselines.transformers_adapter import TransformersTokenClassifier

    direct = TransformersTokenClassifier(model).predict(gold.documents)[0]
    assert sorted((m.start, m.end, m.label) for m in predictions.mentions) == sorted(
        (s.start, s.end, s.label) for s in direct)
