"""akhbar as users install it: the package list, the version, the CLI conventions, and (slow) a wheel
built with `python -m build`, checked by twine, installed into a fresh venv outside the checkout and
used there: build, inspect, eval on a shipped example, export.

The venv is made with ``--system-site-packages`` so that datasets, pyarrow and the other
dependencies already installed are reused instead of downloaded (``pip install --no-index``: the
test never reaches a package index); akhbar itself comes from the wheel, which the test checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dataset_builder
from dataset_builder.cli import app
from dataset_builder.environment import describe_environment
from tests.conftest import copy_of_the_repository

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
runner = CliRunner()


def test_the_package_list_names_every_package_of_the_tree() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(REPO).parts)
             for top in ("dataset_builder", "eval") for init in (REPO / top).rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"


def test_the_version_has_one_source() -> None:
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dataset_builder.__version__"}
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"akhbar {dataset_builder.__version__}"


def test_short_help_and_completion() -> None:
    short, long = runner.invoke(app, ["-h"]), runner.invoke(app, ["--help"])
    assert short.exit_code == 0 and short.output == long.output
    assert "--install-completion" in long.output and "Exit codes" in long.output
    build_help = runner.invoke(app, ["build", "-h"])
    assert build_help.exit_code == 0 and "Examples:" in build_help.output


def test_env_lists_what_a_bug_report_needs() -> None:
    text = runner.invoke(app, ["env"])
    assert text.exit_code == 0
    for name in ("akhbar", "python", "platform", "datasets", "pyarrow", "huggingface_hub", "[transformers]", "[llm]"):
        assert name in text.output, name
    as_json = runner.invoke(app, ["env", "--json"])
    data = json.loads(as_json.output)
    assert data == describe_environment().to_dict()
    assert data["akhbar"] == dataset_builder.__version__
    import pyarrow

    assert data["core"]["pyarrow"] == pyarrow.__version__
    assert set(data["extras"]) == set(PYPROJECT["project"]["optional-dependencies"]) - {"test"}
    assert (Path(data["bundled_corpus"]) / "recipe.yaml").is_file()


def test_the_transformers_extra_brings_accelerate() -> None:
    extra = PYPROJECT["project"]["optional-dependencies"]["transformers"]
    assert any(requirement.startswith("accelerate") for requirement in extra)


def test_the_readme_exit_code_table_matches_the_codes() -> None:
    from dataset_builder.problems import ExitCode

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"\n| {int(code)} | " in readme, code


# --- the wheel, installed outside the checkout --------------------------------------------------


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_the_wheel_runs_the_main_job_outside_the_checkout(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="`python -m build` is in the test extra")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"TQDM_DISABLE": "1", "HF_HUB_OFFLINE": "1", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    dist = tmp_path / "dist"
    # --no-isolation: the installed setuptools builds it, so the test needs no package index.
    # From a copy: setuptools writes akhbar.egg-info/ and build/ beside the sources it builds.
    source = copy_of_the_repository(tmp_path / "source")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, source], cwd=tmp_path, env=env,
         timeout=900)
    (wheel,) = dist.glob("akhbar-*.whl")
    (sdist,) = dist.glob("akhbar-*.tar.gz")
    assert wheel.name.startswith(f"akhbar-{dataset_builder.__version__}-")
    pytest.importorskip("twine", reason="twine is in the test extra")
    _run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist], cwd=tmp_path, env=env)

    venv.create(tmp_path / "venv", system_site_packages=True, with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    akhbar = tmp_path / "venv" / "bin" / "akhbar"
    _run([python, "-m", "pip", "install", "--no-index", wheel], cwd=tmp_path, env=env)

    work = tmp_path / "somewhere"
    work.mkdir()
    where = _run([python, "-c", "import dataset_builder; print(dataset_builder.__file__)"], cwd=work, env=env)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where.stdout  # the wheel, not the checkout

    built = _run([akhbar, "build"], cwd=work, env=env)
    version_dir = work / "out" / "sana-sample" / "1.0.0"
    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["fingerprint"] in built.stdout
    committed_card = (REPO / "cards" / "sana-sample" / "README.md").read_bytes()
    assert (version_dir / "README.md").read_bytes() == committed_card  # the same card as in a checkout

    inspected = _run([akhbar, "inspect", version_dir], cwd=work, env=env)
    assert "sana-sample 1.0.0" in inspected.stdout

    bundled = Path(json.loads(_run([akhbar, "env", "--json"], cwd=work, env=env).stdout)["bundled_corpus"])
    assert bundled.is_relative_to(tmp_path / "venv")
    example = bundled / "predictions" / "llm-sana.jsonl"
    _run([akhbar, "eval", "--gold", version_dir, "--pred", example, "--format", "json", "--output", "run.json"],
         cwd=work, env=env)
    run = json.loads((work / "run.json").read_text(encoding="utf-8"))
    assert run["provenance"]["dataset"]["fingerprint"] == manifest["fingerprint"]
    assert run["provenance"]["predictions"]["format"] == "mentions"

    _run([akhbar, "export", version_dir, "--out", "hub"], cwd=work, env=env)
    assert (work / "hub" / "README.md").is_file() and list((work / "hub").rglob("*.parquet"))


def test_build_prints_json_for_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", "--no-progress", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    manifest = json.loads((tmp_path / "out" / "sana-sample" / "1.0.0" / "manifest.json").read_text(encoding="utf-8"))
    assert data["fingerprint"] == manifest["fingerprint"] and data["previous"] is None and data["leakage"] is None
