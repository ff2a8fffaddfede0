"""examples/train_baseline.py, run as a user runs it, on a built version directory and on its Hub-layout export."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from eval.evaluate import EvalResult, evaluate
from eval.gold import load_gold
from eval.options import NO_INTERVALS, ScoringOptions
from eval.predictions import load_predictions
from tests.test_baselines import REPO, SLICE, build_recipe

SCRIPT = REPO / "examples" / "train_baseline.py"


@pytest.fixture(scope="module")
def slice_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_recipe(tmp_path_factory.mktemp("example"), "newsfane-slice", SLICE, sentences_per_doc=1,
                        split="{train: 0.5, test: 0.5, run: 1, seed: t}")


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_baseline", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    """Run the script's main() in this process (the imports are paid once), return (stdout, stderr)."""
    assert load_example().main([*args, "--bootstrap", "100"]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_runs_as_a_script() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, cwd=REPO,
                            timeout=120)
    assert result.returncode == 0 and "--hub-layout" in result.stdout


def test_trains_evaluates_and_saves_from_a_version_directory(
    slice_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "run"
    stdout, stderr = run_example(capsys, str(slice_dataset), "--out", str(out))
    assert "trained in" in stderr and "strict" in stdout
    gold = load_gold(slice_dataset, split="test")
    saved = EvalResult.load(out / "result.json")
    manifest = json.loads((slice_dataset / "manifest.json").read_text(encoding="utf-8"))
    assert saved.provenance.dataset["fingerprint"] == manifest["fingerprint"]
    assert set(saved.modes) == {"strict", "exact", "partial", "type"}
    predictions = load_predictions(out / "predictions.jsonl", documents=gold.by_id())
    assert predictions.problems == []
    assert len(out.joinpath("predictions.jsonl").read_text(encoding="utf-8").splitlines()) == len(gold.documents)
    rescored = evaluate(gold, predictions, options=ScoringOptions(modes=("strict",)), intervals=NO_INTERVALS).score()
    assert rescored.micro.f1 == saved.score("entities", "strict").micro.f1
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert model["model"] == "linear" and model["train_words"] == manifest["splits"]["train"]["tokens"]


def test_hub_layout_export_gives_the_same_predictions(
    slice_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    export = tmp_path / "hub"
    exported = subprocess.run([sys.executable, "-m", "dataset_builder.cli", "export", str(slice_dataset), "--out",
                               str(export)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert exported.returncode == 0, exported.stderr
    run_example(capsys, str(slice_dataset), "--out", str(tmp_path / "disk"))
    run_example(capsys, str(export), "--hub-layout", "--out", str(tmp_path / "hub-run"))
    disk = (tmp_path / "disk" / "predictions.jsonl").read_text(encoding="utf-8")
    hub = (tmp_path / "hub-run" / "predictions.jsonl").read_text(encoding="utf-8")
    assert disk == hub and disk.strip()
    assert EvalResult.load(tmp_path / "hub-run" / "result.json").provenance.dataset["version"] == "0.1.0"
