"""README.md's quick start and tour, run top to bottom as written in a temporary copy of the repository.

`akhbar` is this checkout's CLI (a shell function over ``python -m dataset_builder.cli``), so the
test exercises the code under test rather than whatever is installed; the block itself runs
unchanged under ``set -e``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import copy_of_the_repository

REPO = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _tour() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A tour"):]
    language, body = FENCE.findall(section)[0]
    assert language == "bash"
    return body


def _files_outside_out(root: Path) -> list[Path]:
    relative = (p.relative_to(root) for p in root.rglob("*"))
    return sorted(p for p in relative if p.parts[0] != "out" and "__pycache__" not in p.parts)


def test_the_tour_runs_as_written(tmp_path: Path) -> None:
    root = copy_of_the_repository(tmp_path / "akhbar")
    tracked_before = _files_outside_out(root)
    script = (f'akhbar() {{ "{sys.executable}" -m dataset_builder.cli "$@"; }}\nset -e\n'
              "akhbar build\n"  # the quick start's build, which the tour follows
              + _tour())
    env = {**os.environ, "PYTHONPATH": str(root), "TQDM_DISABLE": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"the tour stopped:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    out = root / "out"
    assert (out / "sana-sample" / "1.0.0" / "manifest.json").is_file()
    assert (out / "sana-sample" / "2.0.0" / "manifest.json").is_file()
    assert (out / "report.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert "approximate-randomization" in done.stdout
    assert "[2.0.0]" in (out / "CHANGELOG.md").read_text(encoding="utf-8")
    assert (out / "hub" / "sana-sample" / "README.md").is_file()
    # Nothing but out/ was written: the tour leaves the checkout as it found it.
    assert _files_outside_out(root) == tracked_before


def test_out_is_ignored_by_git() -> None:
    assert "/out/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
