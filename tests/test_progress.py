"""Progress: tqdm bars on a terminal, one line per stage elsewhere (no carriage returns in logs), and the
switches that turn it off (--no-progress, TQDM_DISABLE, HF_DATASETS_DISABLE_PROGRESS_BARS)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from dataset_builder.progress import progress_bar, progress_enabled, progress_step


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_start_and_an_end_line_and_no_carriage_return() -> None:
    log = io.StringIO()
    seen = list(progress_bar(range(5), desc="reading", unit="doc", stream=log))
    assert seen == [0, 1, 2, 3, 4]
    lines = log.getvalue().splitlines()
    assert lines[0] == "reading: 5 doc to do"
    assert lines[1].startswith("reading: 5 of 5 doc in ") and lines[1].endswith("s")
    assert "\r" not in log.getvalue() and len(lines) == 2


def test_a_terminal_gets_a_tqdm_bar_with_total_and_eta() -> None:
    from tqdm import tqdm

    screen = _Terminal()
    bar = progress_bar(total=3, desc="benchmark", unit="model", stream=screen)
    assert isinstance(bar, tqdm)
    bar.update(1)
    bar.refresh()
    bar.close()
    assert "1/3" in screen.getvalue() or "3/3" in screen.getvalue()
    assert "<" in screen.getvalue()  # tqdm's "elapsed<remaining"


@pytest.mark.parametrize("variable", ["TQDM_DISABLE", "HF_DATASETS_DISABLE_PROGRESS_BARS"])
def test_the_environment_switches_progress_off(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert progress_enabled()
    monkeypatch.setenv(variable, "1")
    assert not progress_enabled()
    screen = _Terminal()
    with progress_bar(total=2, desc="x", stream=screen) as bar:
        bar.update(2)
    assert screen.getvalue() == ""
    monkeypatch.setenv(variable, "0")
    assert progress_enabled()


def test_no_progress_is_silent() -> None:
    log = io.StringIO()
    assert list(progress_bar([1, 2], desc="x", enabled=False, stream=log)) == [1, 2]
    assert log.getvalue() == ""


def test_a_long_stage_writes_periodic_lines_with_an_eta_and_no_carriage_return() -> None:
    log = io.StringIO()
    with progress_bar(total=4, desc="tasks", unit="task", stream=log, every=0.0) as bar:
        for _ in range(4):
            bar.update()
    lines = log.getvalue().splitlines()
    assert lines[0] == "tasks: 4 task to do"
    assert lines[1].startswith("tasks: 1 of 4 task (25%), ") and "ETA " in lines[1]
    assert len(lines) == 5  # start, three while running, end (the last update is the end line's)
    assert lines[-1].startswith("tasks: 4 of 4 task in ")
    assert "\r" not in log.getvalue()


def test_a_log_gets_no_line_per_item_between_the_periodic_ones() -> None:
    log = io.StringIO()
    for _ in progress_bar(range(1000), desc="reading", unit="doc", stream=log):  # default: every 10 s
        pass
    assert len(log.getvalue().splitlines()) == 2


def test_a_step_writes_one_line_when_done_and_none_when_it_fails() -> None:
    log = io.StringIO()
    with progress_step("card", stream=log):
        pass
    assert re.fullmatch(r"card: done in \d+\.\ds\n", log.getvalue())
    failed = io.StringIO()
    with pytest.raises(ValueError), progress_step("audit", stream=failed):
        raise ValueError("refused")
    assert failed.getvalue() == ""
    quiet = io.StringIO()
    with progress_step("card", stream=quiet, enabled=False):
        pass
    assert quiet.getvalue() == ""


def _build(args: list[str]) -> Any:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    return CliRunner().invoke(app, ["build", *args])


BUILD_STAGE_LINES = ["hash inputs", "plan tasks", "building sana-sample 1.0.0: 1 task to do",
                     "building sana-sample 1.0.0: 1 of 1 task in ", "merge", "manifest", "build-report", "card",
                     "publish"]


def test_the_build_log_covers_set_up_to_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.chdir(tmp_path)
    result = _build([])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == len(BUILD_STAGE_LINES), lines
    for line, expected in zip(lines, BUILD_STAGE_LINES, strict=True):
        if expected.startswith("building"):
            assert line.startswith(expected), line
        else:
            assert re.fullmatch(rf"{expected}: done in \d+\.\ds", line), line
    assert "\r" not in result.stderr
    assert "building sana-sample" not in result.stdout  # progress never goes to stdout
    quiet = _build(["--force", "--no-progress"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""


def test_the_build_audit_stage_has_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.chdir(tmp_path)
    result = _build(["--max-leakage", "1.0"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^audit: done in \d+\.\ds$", result.stderr, re.MULTILINE), result.stderr
    assert result.stderr.index("manifest: done") < result.stderr.index("audit: done") < \
        result.stderr.index("card: done")


def test_tqdm_disable_silences_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.chdir(tmp_path)
    result = _build([])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_the_engine_draws_a_tqdm_bar_with_total_and_eta_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataset_builder.engine import ByteRange, EngineSettings, run_tasks

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    screen = _Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    run_tasks([ByteRange("a"), ByteRange("b"), ByteRange("c")], _upper, engine=EngineSettings(jobs=1, progress=True),
              label="building")
    assert "building: 100%" in screen.getvalue() and "3/3" in screen.getvalue()
    assert "\r" in screen.getvalue() and "<" in screen.getvalue()  # tqdm's redraws and "elapsed<remaining"


def _upper(task: Any) -> str:
    return task.path.upper()


@pytest.fixture(scope="module")
def sana_version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dataset_builder.config import BuildConfig
    from dataset_builder.pipeline import build

    recipe = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "recipe.yaml"
    out = tmp_path_factory.mktemp("progress-build")
    return build(BuildConfig.from_recipe(recipe, {"out_dir": out, "progress": False})).version_dir


@pytest.fixture()
def progress_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)


def test_export_counts_splits_and_times_the_croissant(sana_version: Path, tmp_path: Path, progress_on: None,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from dataset_builder.export import export

    export(sana_version, tmp_path / "hub")
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[0] == "exporting sana-sample 1.0.0: 2 split to do"  # documents/test and tokens/test
    assert lines[1].startswith("exporting sana-sample 1.0.0: 2 of 2 split in ")
    assert re.fullmatch(r"croissant: done in \d+\.\ds", lines[2]) and len(lines) == 3
    assert captured.out == "" and "\r" not in captured.err
    export(sana_version, tmp_path / "quiet", progress=False)
    assert capsys.readouterr().err == ""


def test_audit_reports_loading_and_matching(sana_version: Path, progress_on: None,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from dataset_builder.audit import audit

    audit([sana_version])
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "audit: loading sentences: 1 version to do"
    assert lines[1].startswith("audit: loading sentences: 1 of 1 version in ")
    assert re.fullmatch(r"audit: duplicates among 31 sentences: done in \d+\.\ds", lines[2]) and len(lines) == 3
    audit([sana_version], progress=False)
    assert capsys.readouterr().err == ""


def test_eval_steps_are_reported_only_when_they_take_a_while(sana_version: Path, progress_on: None,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import eval.run
    from eval.options import NO_INTERVALS
    from eval.run import EvalRequest, run_evaluation

    predictions = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "predictions" / "llm-sana.jsonl"
    request = EvalRequest(pred=predictions, gold=str(sana_version), intervals=NO_INTERVALS)
    monkeypatch.setattr(eval.run, "STEP_SECONDS", 3600.0)  # as if every step were short (timing-free)
    run_evaluation(request)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(eval.run, "STEP_SECONDS", 0.0)  # as if every step were long
    run_evaluation(request)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": done in ")[0] for line in lines] == [
        f"eval: load gold {sana_version}", "eval: load predictions llm-sana.jsonl", "eval: score"]
    run_evaluation(EvalRequest(pred=predictions, gold=str(sana_version), intervals=NO_INTERVALS, progress=False))
    assert capsys.readouterr().err == ""


def test_the_linear_fit_reports_its_steps(progress_on: None, capsys: pytest.CaptureFixture[str]) -> None:
    from eval.baselines.linear import LinearTokenClassifier

    words, tags = [["قال", "بوتين", "في", "موسكو"]] * 4, [["O", "B-PERS", "O", "B-LOC"]] * 4
    LinearTokenClassifier(epochs=5, progress=True).fit(words, tags)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": done in ")[0] for line in lines] == [
        "linear: features of 16 words", "linear: fit, 5 epochs over 3 tags"]
    LinearTokenClassifier(epochs=5).fit(words, tags)  # off by default, as for any estimator
    assert capsys.readouterr().err == ""


def test_the_audit_against_an_external_corpus_reports_its_index_and_tasks(
        sana_version: Path, progress_on: None, capsys: pytest.CaptureFixture[str]) -> None:
    from dataset_builder.decontaminate import audit_against
    from dataset_builder.engine import EngineSettings

    external = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "sana-sample.jsonl"
    audit_against(sana_version, [external], engine=EngineSettings(jobs=1, progress=True))
    lines = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"audit: index of the test sentences: done in \d+\.\ds", lines[0])
    assert lines[1] == "audit: 1 task to do" and lines[-1].startswith("audit: 1 of 1 task in ")
    audit_against(sana_version, [external], engine=EngineSettings(jobs=1))
    assert capsys.readouterr().err == ""


def test_akhbar_export_reports_its_steps_unless_told_not_to(sana_version: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import EXIT_OK, app

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    shown = CliRunner().invoke(app, ["export", str(sana_version), "--out", str(tmp_path / "shown")])
    quiet = CliRunner().invoke(app, ["export", str(sana_version), "--out", str(tmp_path / "quiet"), "--no-progress"])
    assert shown.exit_code == quiet.exit_code == EXIT_OK
    assert "exporting sana-sample 1.0.0: 2 " in shown.stderr and "croissant: done in " in shown.stderr
    assert "\r" not in shown.stderr
    assert "exporting" not in quiet.stderr and "croissant" not in quiet.stderr
