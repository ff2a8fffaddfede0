"""The `akhbar` CLI: build / validate / inspect through typer's CliRunner, plus one real process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, EXIT_USAGE, app

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "corpora" / "sana-sample" / "schema.yaml"
GOLD = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
runner = CliRunner()

TEXT = "وأكمل الرئيس بوتين أن القضية الرئيسية هي الإرهاب الدولي."


def _line(doc_id: str, spans: list[dict]) -> str:
    return json.dumps({"id": doc_id, "text": TEXT, "metadata": {}, "spans": spans, "links": []}, ensure_ascii=False)


def _putin() -> dict:
    start = TEXT.index("بوتين")
    return {"id": "T1", "layer": "entities", "start": start, "end": start + 5, "label": "PERS", "text": "بوتين"}


@pytest.fixture
def news_jsonl(tmp_path: Path) -> Path:
    """Four documents; the third has a span whose stored text does not match, the fourth an unknown label."""
    wrong_text = dict(_putin(), text="بوتن")
    unknown = dict(_putin(), label="PERSON")
    lines = [_line("n1", [_putin()]), _line("n2", []), _line("n3", [wrong_text]), _line("n4", [unknown])]
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _require_gold() -> None:
    if not GOLD.is_file():
        pytest.skip("corpora/sana-sample/sana-sample.jsonl is not in this checkout yet")


def test_help_documents_exit_codes_and_examples() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for phrase in ("Exit codes", "0 ok", "1 problems", "2 usage", "3 refused"):
        assert phrase in result.output
    for command in ("build", "validate", "inspect"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Examples:" in result.output and f"akhbar {command}" in result.output


def test_build_without_arguments_builds_the_bundled_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _require_gold()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", "--no-progress"])
    assert result.exit_code == EXIT_OK, result.output
    manifest = json.loads((tmp_path / "out" / "sana-sample" / "1.0.0" / "manifest.json").read_text())
    assert manifest["fingerprint"] in result.output
    assert "sana-sample 1.0.0" in result.output and "test " in result.output
    assert f"entities {manifest['splits']['test']['mentions']['entities']}" in result.output

    again = runner.invoke(app, ["build", "--no-progress"])
    assert again.exit_code == EXIT_REFUSED
    assert "already exists" in again.output and "--force" in again.output
    assert "e.g. 1.0.1" in again.output  # the next patch version of the one that exists
    forced = runner.invoke(app, ["build", "--no-progress", "--force"])
    assert forced.exit_code == EXIT_OK
    assert manifest["fingerprint"] in forced.output  # same inputs, same fingerprint


def test_build_from_inputs_rejects_and_inspect_reports(tmp_path: Path, news_jsonl: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", "--input", str(news_jsonl), "--schema", str(SCHEMA), "--name", "news",
                                 "--version", "0.1.0", "--out", str(out), "--split", "train=0.5,test=0.5",
                                 "--no-progress"])
    assert result.exit_code == EXIT_PROBLEMS, result.output
    assert "read 4, written 2, rejected 2" in result.output
    assert "n3 (news.jsonl:3): span-text-mismatch" in result.output
    assert "n4 (news.jsonl:4): unknown-label" in result.output

    version_dir = out / "news" / "0.1.0"
    inspected = runner.invoke(app, ["inspect", str(version_dir), "--json"])
    assert inspected.exit_code == EXIT_OK
    summary = json.loads(inspected.output)
    manifest = json.loads((version_dir / "manifest.json").read_text())
    assert summary["fingerprint"] == manifest["fingerprint"]
    assert summary["splits"] == manifest["splits"]
    assert summary["documents"] == {"read": 4, "written": 2, "rejected": 2}
    assert [r["doc_id"] for r in summary["rejects"]] == ["n3", "n4"]
    text = runner.invoke(app, ["inspect", str(version_dir)])
    assert text.exit_code == EXIT_OK and "rejects      2" in text.output and "PERS 1" in text.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--input", "x.jsonl", "--name", "n"], "needs --schema, --version"),
        (["build", "--split", "train=0.5", "--split-file", "f.tsv"], "exclusive"),
        (["build", str(REPO / "no-such-recipe.yaml")], "does not exist"),
        (["inspect", "."], "not a built version directory"),
    ],
)
def test_usage_and_input_errors_exit_2(args: list[str], message: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_USAGE
    assert message in result.output and "Fix:" in result.output


def test_bad_version_is_a_usage_error(tmp_path: Path, news_jsonl: Path) -> None:
    result = runner.invoke(app, ["build", "-i", str(news_jsonl), "--schema", str(SCHEMA), "--name", "news",
                                 "--version", "1.0", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == EXIT_USAGE and "semantic version" in result.output
    assert not (tmp_path / "news").exists() or not any((tmp_path / "news").iterdir())


def test_validate_lists_every_problem_with_location_and_fix(news_jsonl: Path) -> None:
    result = runner.invoke(app, ["validate", str(news_jsonl), "--schema", str(SCHEMA)])
    assert result.exit_code == EXIT_PROBLEMS
    lines = result.output.strip().splitlines()
    problems = [line for line in lines if "error[" in line]
    assert any(f"{news_jsonl}:3" in line and "span-text-mismatch" in line and "Fix:" in line for line in problems)
    assert any(f"{news_jsonl}:4" in line and "unknown-label" in line for line in problems)
    assert lines[-1].startswith("4 record(s) checked, 2 with errors")

    as_json = runner.invoke(app, ["validate", str(news_jsonl), "--schema", str(SCHEMA), "--json"])
    assert as_json.exit_code == EXIT_PROBLEMS
    result = json.loads(as_json.stdout)  # one object, nothing else on stdout
    records = result["problems"]
    assert {r["code"] for r in records} >= {"span-text-mismatch", "unknown-label"}
    assert all("fix" in r and "line" in r for r in records)
    assert (result["records"], result["rejected"]) == (4, 2)


def test_validate_clean_input_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "clean.jsonl"
    path.write_text(_line("ok", [_putin()]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path), "--schema", str(SCHEMA)])
    assert result.exit_code == EXIT_OK, result.output
    assert "1 record(s) checked, 0 with errors" in result.output


def test_validate_bundled_corpus_has_no_errors() -> None:
    _require_gold()
    result = runner.invoke(app, ["validate", str(GOLD), "--schema", str(SCHEMA)])
    assert result.exit_code == EXIT_OK, result.output


def test_real_akhbar_process(tmp_path: Path, news_jsonl: Path) -> None:
    executable = shutil.which("akhbar")
    command = [executable] if executable else [sys.executable, "-m", "dataset_builder.cli"]
    result = subprocess.run([*command, "build", "-i", str(news_jsonl), "--schema", str(SCHEMA), "--name", "news",
                             "--version", "1.2.3", "--out", str(tmp_path / "out"), "--split", "test=1.0",
                             "--no-progress"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == EXIT_PROBLEMS, result.stderr
    assert "news 1.2.3" in result.stdout and "rejected 2" in result.stdout
    refused = subprocess.run([*command, "build", "-i", str(news_jsonl), "--schema", str(SCHEMA), "--name", "news",
                              "--version", "1.2.3", "--out", str(tmp_path / "out"), "--no-progress"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert refused.returncode == EXIT_REFUSED and "version-exists" in refused.stderr


def test_card_reads_the_schema_of_a_recipe_whose_inputs_live_in_the_data_dir(tmp_path: Path) -> None:
    # corpora/recipes/*.yaml name their inputs as ${data_dir}/...: `akhbar card` needs only the schema.
    recipe = REPO / "corpora" / "recipes" / "wojood-sample.yaml"
    assert "${data_dir}" in recipe.read_text(encoding="utf-8")
    slice_dir = REPO / "tests" / "fixtures" / "corpora" / "wojood-sample"
    built = runner.invoke(app, ["build", "--input", str(next(slice_dir.glob("*.txt"))), "--format", "conll",
                                "--schema", str(REPO / "corpora" / "recipes" / "schemas" / "wojood.yaml"),
                                "--name", "wojood-slice", "--version", "0.1.0", "--split", "test=1.0",
                                "--out", str(tmp_path / "out"), "--no-progress"])
    assert built.exit_code == EXIT_OK, built.output
    version = tmp_path / "out" / "wojood-slice" / "0.1.0"
    card = runner.invoke(app, ["card", str(version), "--recipe", str(recipe), "--out", str(tmp_path / "card")])
    assert card.exit_code == EXIT_OK, card.output
    assert "data_dir" not in card.output
    assert "| `NORP` |" in (tmp_path / "card" / "README.md").read_text(encoding="utf-8")
