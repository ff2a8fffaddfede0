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
GOLD = str(REPO / "corpora" / "sana-sample" / "sana-sample.jsonl")

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


@pytest.mark.parametrize("case", CASES)
def test_a_path_of_the_wrong_kind_is_a_usage_error_with_a_fix(case: str, tmp_path: Path) -> None:
    paths = {"folder": tmp_path / "a-folder", "file": tmp_path / "a-file.txt", "missing": tmp_path / "no-such-path"}
    paths["folder"].mkdir()
    paths["file"].write_text("not what the command expects\n", encoding="utf-8")
    args = [arg.format(**paths) for arg in CASES[case]]
    result = CliRunner().invoke(app, args)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == ExitCode.USAGE, (args, output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert "error" in output.lower() and "Fix:" in output and "Traceback" not in output
    named = [p for p in paths.values() if str(p) in output or p.name in output]
    assert named, f"the error does not name the path: {output}"
