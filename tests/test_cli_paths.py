"""Every command, given a path of the wrong kind (a folder for a file, a file for a folder, a path that
does not exist), stops with a usage error that names the path and says how to fix it: exit 2, never a
traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.cli import app
from dataset_builder.problems import ExitCode

REPO = Path(__file__).resolve().parents[1]
SCHEMA = str(REPO / "corpora" / "sana-sample" / "schema.yaml")
RECIPE = str(REPO / "corpora" / "sana-sample" / "recipe.yaml")
GOLD = str(REPO / "corpora" / "sana-sample" / "sana-sample.jsonl")
INPUT = ["--input", "{file}", "--schema", SCHEMA, "--name", "x", "--version", "1.0.0"]

# {folder}: an existing empty folder; {file}: an existing text file; {missing}: a path that does not exist.
CASES = {
    "build: folder for the recipe": ["build", "{folder}"],
    "build: missing recipe": ["build", "{missing}"],
    "build: folder for --schema": ["build", "--input", "{file}", "--schema", "{folder}", "--name", "x",
                                   "--version", "1.0.0"],
    "card: file for the version": ["card", "{file}"],
    "card: missing version": ["card", "{missing}"],
    "validate: missing input": ["validate", "{missing}", "--schema", SCHEMA],
    "validate: folder for --schema": ["validate", "{file}", "--schema", "{folder}"],
    "inspect: file for the version": ["inspect", "{file}"],
    "inspect: missing version": ["inspect", "{missing}"],
    "export: file for the version": ["export", "{file}", "--out", "{missing}"],
    "push: file for the export": ["push", "{file}", "--repo-id", "org/name", "--dry-run"],
    "audit: file for a version": ["audit", "{file}"],
    "diff: file and folder": ["diff", "{file}", "{folder}"],
    "diff: missing versions": ["diff", "{missing}", "{missing}"],
    "eval: file for --gold": ["eval", "--gold", "{file}", "--pred", "{file}"],
    "eval: missing --pred": ["eval", "--pred", "{missing}"],
    "compare: folder for a run": ["compare", "{folder}", "{file}"],
    "compare: missing runs": ["compare", "{missing}", "{missing}"],
    "benchmark: file for --dataset": ["benchmark", "--dataset", "{file}", "--model", "gazetteer"],
    "predict: file for the dataset": ["predict", "{file}", "--model", "openai:m", "--out", "{missing}"],
    "annotate export: missing input": ["annotate", "export", "{missing}", "--to", "brat", "--schema", SCHEMA,
                                       "--out", "{folder}"],
    "annotate export: file for --train": ["annotate", "export", GOLD, "--schema", SCHEMA, "--out", "{missing}",
                                          "--pre-annotate", "gazetteer", "--train", "{file}"],
    "annotate export: missing --train": ["annotate", "export", GOLD, "--schema", SCHEMA, "--out", "{missing}",
                                         "--pre-annotate", "linear", "--train", "{missing}"],
    "agree: missing annotation": ["agree", "A={missing}", "B={missing}", "--schema", SCHEMA],
    "adjudicate: folder for --schema": ["adjudicate", "A={file}", "B={file}", "--schema", "{folder}",
                                        "--out", "{missing}"],
}


# Every path a build-side command takes, given the wrong kind: a folder for a file, a file for a folder, a
# path that does not exist ({version}: a real built version, so that only the path under test is wrong).
BUILD_SIDE = {
    "build: folder for the recipe": ["build", "{folder}"],
    "build: missing recipe": ["build", "{missing}"],
    "build: folder for --recipe": ["build", "--recipe", "{folder}"],
    "build: missing --input": ["build", *INPUT[:1], "{missing}", *INPUT[2:]],
    "build: folder for --schema": ["build", "--input", "{file}", "--schema", "{folder}", "--name", "x",
                                   "--version", "1.0.0"],
    "build: missing --schema": ["build", "--input", "{file}", "--schema", "{missing}", "--name", "x",
                                "--version", "1.0.0"],
    "build: folder for --split-file": ["build", *INPUT, "--split-file", "{folder}"],
    "build: missing --split-file": ["build", *INPUT, "--split-file", "{missing}"],
    "build: file for --data-dir": ["build", RECIPE, "--data-dir", "{file}", "--out", "{folder}"],
    "build: missing --data-dir": ["build", RECIPE, "--data-dir", "{missing}", "--out", "{folder}"],
    "build: file for --out": ["build", RECIPE, "--out", "{file}", "--no-progress"],
    "validate: missing input": ["validate", "{missing}", "--schema", SCHEMA],
    "validate: folder for --schema": ["validate", "{file}", "--schema", "{folder}"],
    "validate: missing --schema": ["validate", "{file}", "--schema", "{missing}"],
    "inspect: file for the version": ["inspect", "{file}"],
    "inspect: missing version": ["inspect", "{missing}"],
    "card: file for the version": ["card", "{file}"],
    "card: missing version": ["card", "{missing}"],
    "card: folder for --schema": ["card", "{version}", "--schema", "{folder}", "--out", "{missing}"],
    "card: folder for --recipe": ["card", "{version}", "--recipe", "{folder}", "--out", "{missing}"],
    "card: folder for --guideline": ["card", "{version}", "--guideline", "{folder}", "--out", "{missing}"],
    "card: folder for --adjudication": ["card", "{version}", "--adjudication", "{folder}", "--out", "{missing}"],
    "card: file for --export-dir": ["card", "{version}", "--export-dir", "{file}", "--out", "{missing}"],
    "card: file for --out": ["card", "{version}", "--out", "{file}"],
    "export: file for the version": ["export", "{file}", "--out", "{missing}"],
    "export: missing version": ["export", "{missing}", "--out", "{folder}"],
    "export: file for --out": ["export", "{version}", "--out", "{file}"],
    "push: file for the export": ["push", "{file}", "--repo-id", "org/name", "--dry-run"],
    "push: missing export": ["push", "{missing}", "--repo-id", "org/name", "--dry-run"],
    "audit: file for a version": ["audit", "{file}"],
    "audit: missing version": ["audit", "{missing}"],
    "audit: folder for a version's second": ["audit", "{version}", "{file}"],
    "audit --against: missing corpus": ["audit", "{version}", "--against", "{missing}", "--jobs", "1"],
    "audit --against: file for --work-dir": ["audit", "{version}", "--against", "{file}", "--work-dir", "{file}",
                                             "--jobs", "1"],
    "diff: file and folder": ["diff", "{file}", "{folder}"],
    "diff: missing versions": ["diff", "{missing}", "{missing}"],
    "diff: file for NEW alone": ["diff", "{file}"],
    "diff: folder for --changelog": ["diff", "{version}", "--changelog", "{folder}"],
}


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, built."""
    out = tmp_path_factory.mktemp("paths") / "out"
    result = CliRunner().invoke(app, ["build", "--out", str(out), "--no-progress"])
    assert result.exit_code == ExitCode.OK, result.output
    return out / "sana-sample" / "1.0.0"


@pytest.mark.parametrize("case", BUILD_SIDE)
def test_every_build_side_path_of_the_wrong_kind_is_a_usage_error_with_a_fix(case: str, tmp_path: Path,
                                                                             version: Path) -> None:
    _assert_usage_error_naming_the_path(BUILD_SIDE[case], tmp_path, version=str(version))
    assert not (tmp_path / "no-such-path").exists(), "a refused command wrote its output"


@pytest.mark.parametrize("case", CASES)
def test_a_path_of_the_wrong_kind_is_a_usage_error_with_a_fix(case: str, tmp_path: Path) -> None:
    _assert_usage_error_naming_the_path(CASES[case], tmp_path)


def _assert_usage_error_naming_the_path(template: list[str], tmp_path: Path, **values: str) -> None:
    paths = {"folder": tmp_path / "a-folder", "file": tmp_path / "a-file.txt", "missing": tmp_path / "no-such-path"}
    paths["folder"].mkdir()
    paths["file"].write_text("not what the command expects\n", encoding="utf-8")
    args = [arg.format(**paths, **values) for arg in template]
    result = CliRunner().invoke(app, args)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == ExitCode.USAGE, (args, output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert "error" in output.lower() and "Fix:" in output and "Traceback" not in output
    named = [p for p in paths.values() if str(p) in output or p.name in output]
    assert named, f"the error does not name the path: {output}"
