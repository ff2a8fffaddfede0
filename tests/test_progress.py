"""Progress: tqdm bars on a terminal, one line per stage elsewhere (no carriage returns in logs), and the
switches that turn it off (--no-progress, TQDM_DISABLE, HF_DATASETS_DISABLE_PROGRESS_BARS)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dataset_builder.progress import progress_bar, progress_enabled


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


def test_the_build_writes_stage_lines_into_a_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == 0, result.output
    # the build's bar counts tasks (one per input file here), as the engine runs them
    assert "building sana-sample 1.0.0  1/1 tasks" in result.stderr
    assert "\r" not in result.stderr
    quiet = CliRunner().invoke(app, ["build", "--force", "--no-progress"])
    assert "building sana-sample" not in quiet.stderr
