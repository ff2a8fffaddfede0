"""Bad input at the command line: one message saying where, what and how to fix, the documented exit
code, and never a Python traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.cli import EXIT_USAGE, app

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "corpora" / "sana-sample" / "schema.yaml"
ANERCORP_SCHEMA = REPO / "corpora" / "recipes" / "schemas" / "anercorp.yaml"

runner = CliRunner()

TEXT = "وأكمل الرئيس بوتين أن القضية الرئيسية هي الإرهاب الدولي."


def _document(doc_id: str) -> str:
    start = TEXT.index("بوتين")
    span = {"id": "T1", "layer": "entities", "start": start, "end": start + 5, "label": "PERS", "text": "بوتين"}
    return json.dumps({"id": doc_id, "text": TEXT, "spans": [span], "links": []}, ensure_ascii=False)


@pytest.fixture
def news(tmp_path: Path) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text(_document("n1") + "\n" + _document("n2") + "\n", encoding="utf-8")
    return path


def _recipe(tmp_path: Path, body: str, *, schema: Path = SCHEMA, inputs: str = "news.jsonl") -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(f"name: news\nversion: 1.0.0\nschema: {schema}\ninputs: [{inputs}]\n{body}", encoding="utf-8")
    return path


def _assert_clean_usage_error(result, *phrases: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "Fix:" in result.output
    for phrase in phrases:
        assert phrase in result.output


def test_unknown_format_option_is_a_usage_error(tmp_path: Path, news: Path) -> None:
    build = runner.invoke(app, ["build", "-i", str(news), "--schema", str(SCHEMA), "--name", "news", "--version",
                                "0.1.0", "--format", "jsonlines", "--out", str(tmp_path / "out"), "--no-progress"])
    _assert_clean_usage_error(build, f"{news}: error[format-unknown]", "'jsonlines'", "jsonl, brat")
    assert not (tmp_path / "out" / "news" / "0.1.0").exists()
    validate = runner.invoke(app, ["validate", str(news), "--schema", str(SCHEMA), "--format", "jsonlines"])
    _assert_clean_usage_error(validate, "error[format-unknown]", "'jsonlines'")


def test_unknown_format_in_a_recipe_names_the_recipe(tmp_path: Path, news: Path) -> None:
    recipe = _recipe(tmp_path, "format: jsonlines\n")
    result = runner.invoke(app, ["build", str(recipe), "--out", str(tmp_path / "out"), "--no-progress"])
    _assert_clean_usage_error(result, f"{recipe}:5: error[recipe-invalid]", "unknown `format` 'jsonlines'")


def test_reader_option_the_reader_does_not_take(tmp_path: Path, news: Path) -> None:
    recipe = _recipe(tmp_path, "reader_options: {sentences_per_doc: 25}\n")
    result = runner.invoke(app, ["build", str(recipe), "--out", str(tmp_path / "out"), "--no-progress"])
    _assert_clean_usage_error(result, "error[reader-option-unknown]", "'sentences_per_doc'", "jsonl reader")
    assert not (tmp_path / "out" / "news" / "1.0.0").exists()


def test_label_map_with_a_reader_that_cannot_apply_it(tmp_path: Path, news: Path) -> None:
    recipe = _recipe(tmp_path, "label_map: newsfane-to-anercorp\n")
    result = runner.invoke(app, ["build", str(recipe), "--out", str(tmp_path / "out"), "--no-progress"])
    _assert_clean_usage_error(result, "error[reader-option-unknown]", "'label_map'", "`label_map:`")


def test_reader_option_with_a_value_the_reader_refuses(tmp_path: Path) -> None:
    conll = tmp_path / "news.conll"
    conll.write_text("بوتين B-PERS\nفي O\nموسكو B-LOC\n", encoding="utf-8")
    recipe = _recipe(tmp_path, "reader_options: {scheme: IOB3}\n", schema=ANERCORP_SCHEMA, inputs="news.conll")
    result = runner.invoke(app, ["build", str(recipe), "--out", str(tmp_path / "out"), "--no-progress"])
    _assert_clean_usage_error(result, f"{conll}: error[reader-option-invalid]", "scheme='IOB3'", "IOB2")
    assert not (tmp_path / "out" / "news" / "1.0.0").exists()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small built version (two documents, hash split train/test)."""
    root = tmp_path_factory.mktemp("built")
    news = root / "news.jsonl"
    news.write_text(_document("n1") + "\n" + _document("n2") + "\n", encoding="utf-8")
    result = runner.invoke(app, ["build", "-i", str(news), "--schema", str(SCHEMA), "--name", "news", "--version",
                                 "0.1.0", "--split", "train=0.5,test=0.5", "--out", str(root / "out"),
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    return root / "out" / "news" / "0.1.0"


def _damaged_copy(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "news" / "0.1.0"
    shutil.copytree(built, copy)
    return copy


@pytest.mark.parametrize(("manifest", "says"), [
    ("{broken", "not valid UTF-8 JSON"),
    ("[]", "holds a JSON list"),
    ('{"splits": {}}', "has no 'name', 'version', 'fingerprint'"),
])
@pytest.mark.parametrize("command", [["inspect"], ["card"], ["audit"], ["export", "--out", "EXPORT"]])
def test_a_damaged_manifest_is_named_not_a_traceback(built: Path, tmp_path: Path, manifest: str, says: str,
                                                     command: list[str]) -> None:
    version_dir = _damaged_copy(built, tmp_path)
    (version_dir / "manifest.json").write_text(manifest, encoding="utf-8")
    args = [str(tmp_path / "export") if arg == "EXPORT" else arg for arg in command]
    result = runner.invoke(app, [args[0], str(version_dir), *args[1:]])
    _assert_clean_usage_error(result, f"{version_dir / 'manifest.json'}", "error[not-a-version]", says)


@pytest.mark.parametrize("command", ["audit", "diff"])
def test_a_version_missing_a_split_is_named_not_a_traceback(built: Path, tmp_path: Path, command: str) -> None:
    version_dir = _damaged_copy(built, tmp_path)
    for config in ("documents", "tokens"):
        shutil.rmtree(version_dir / config / "train")
    result = runner.invoke(app, [command, str(version_dir)])
    _assert_clean_usage_error(result, f"{version_dir}: error[not-a-version]", "train", "akhbar build --force")


def test_an_empty_input_is_an_input_error_not_an_empty_dataset(tmp_path: Path, news: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "out"
    build = runner.invoke(app, ["build", "-i", str(news), "-i", str(empty), "--schema", str(SCHEMA), "--name", "news",
                                "--version", "0.1.0", "--out", str(out), "--no-progress"])
    _assert_clean_usage_error(build, f"{empty}: error[input-empty]", "as jsonl")
    assert not (out / "news" / "0.1.0").exists()

    folder = tmp_path / "articles"
    folder.mkdir()
    validate = runner.invoke(app, ["validate", str(folder), "--schema", str(SCHEMA)])
    _assert_clean_usage_error(validate, f"{folder}: error[input-empty]", "--format")


@pytest.mark.parametrize(("change", "code"), [
    (("version: 1.0.0", "version: '1.0'"), "version-invalid"),
    (("name: news", "name: ../news"), "name-invalid"),
    (("inputs:", "split: {train: 0.5, test: 0.2}\ninputs:"), "split-invalid"),
])
def test_a_bad_value_in_a_recipe_names_the_recipe(tmp_path: Path, news: Path, change: tuple[str, str],
                                                  code: str) -> None:
    recipe = _recipe(tmp_path, "")
    recipe.write_text(recipe.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    result = runner.invoke(app, ["build", str(recipe), "--out", str(tmp_path / "out"), "--no-progress"])
    _assert_clean_usage_error(result, f"{recipe}: error[{code}]")


@pytest.mark.parametrize(("name", "content", "fix"), [
    ("splits.tsv", "other\ttest\n", "a line `<doc_id><TAB><split>`"),
    ("splits.json", '{"other": "test"}', '`"<doc_id>": "<split>"`'),
])
def test_split_file_missing_ids_says_how_to_add_them_in_its_own_syntax(tmp_path: Path, news: Path, name: str,
                                                                      content: str, fix: str) -> None:
    split_file = tmp_path / name
    split_file.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["build", "-i", str(news), "--schema", str(SCHEMA), "--name", "news", "--version",
                                 "0.1.0", "--split-file", str(split_file), "--out", str(tmp_path / "out"),
                                 "--no-progress"])
    _assert_clean_usage_error(result, f"{split_file}: error[split-file-missing-ids]", "n1, n2.", f"Fix: Add {fix}")
    assert not (tmp_path / "out" / "news" / "0.1.0").exists()


def test_audit_against_with_threshold_0_is_a_usage_error_not_a_bug(built: Path) -> None:
    # --threshold accepts 0 for the split audit (every pair counts); the contamination index needs a
    # similarity above 0, which used to end as an internal error (exit 70).
    result = runner.invoke(app, ["audit", str(built), "--against", str(built / "manifest.json"), "--threshold", "0"])
    _assert_clean_usage_error(result, "--threshold 0.0", "(0, 1]")
