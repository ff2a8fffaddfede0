"""``--json`` on every build-side command: one JSON object on stdout and nothing else there, carrying the
real numbers of the bundled corpus' build (its manifest, its fingerprint ``4423dc91...``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dataset_builder.cli import EXIT_OK, EXIT_PROBLEMS, app
from tests.conftest import run_akhbar

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample"
BUNDLED_FINGERPRINT = "4423dc91"
runner = CliRunner()


def _json(args: list[str], code: int = EXIT_OK) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == code, (args, result.output)
    return json.loads(result.stdout)  # the whole of stdout: one JSON document, nothing else


def _manifest(version_dir: Path) -> dict[str, Any]:
    return json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The bundled corpus built with ``--json``: the version and what the build printed."""
    out = tmp_path_factory.mktemp("json-build") / "out"
    printed = _json(["build", "--out", str(out), "--no-progress", "--json"])
    return out / "sana-sample" / "1.0.0", printed


def test_build(built: tuple[Path, dict[str, Any]]) -> None:
    version_dir, printed = built
    manifest = _manifest(version_dir)
    assert printed["fingerprint"] == manifest["fingerprint"] and printed["fingerprint"].startswith(BUNDLED_FINGERPRINT)
    assert printed["splits"] == manifest["splits"]
    assert printed["documents"]["written"] == sum(split["documents"] for split in manifest["splits"].values())
    assert printed["previous"] is None and printed["leakage"] is None


def test_validate(tmp_path: Path) -> None:
    clean = _json(["validate", str(SANA / "sana-sample.jsonl"), "--schema", str(SANA / "schema.yaml"), "--json"])
    lines = (SANA / "sana-sample.jsonl").read_text(encoding="utf-8").splitlines()
    assert clean["records"] == sum(1 for line in lines if line.strip()) and clean["errors"] == 0
    assert clean["rejected"] == 0 and set(clean["by_severity"]) == {"error", "warning", "info"}

    broken = tmp_path / "broken.jsonl"
    broken.write_text(lines[0] + "\n{not json\n", encoding="utf-8")
    found = _json(["validate", str(broken), "--schema", str(SANA / "schema.yaml"), "--json"], EXIT_PROBLEMS)
    assert found["records"] == 2 and found["errors"] == found["by_severity"]["error"] >= 1
    assert next((p["path"], p["line"]) for p in found["problems"] if p["severity"] == "error") == (str(broken), 2)


def test_inspect(built: tuple[Path, dict[str, Any]]) -> None:
    version_dir, printed = built
    summary = _json(["inspect", str(version_dir), "--json"])
    for key in ("name", "version", "fingerprint", "splits", "labels", "documents", "spans", "links"):
        assert summary[key] == printed[key], key
    assert summary["fingerprint"].startswith(BUNDLED_FINGERPRINT)


def test_card(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    version_dir, _ = built
    files = _json(["card", str(version_dir), "--out", str(tmp_path / "card"), "--json"])
    manifest = _manifest(version_dir)
    assert (files["name"], files["version"], files["fingerprint"]) == ("sana-sample", "1.0.0", manifest["fingerprint"])
    assert files["readme"] == str(tmp_path / "card" / "README.md")
    assert manifest["fingerprint"] in Path(files["readme"]).read_text(encoding="utf-8")
    croissant = json.loads(Path(files["croissant"]).read_text(encoding="utf-8"))
    assert croissant["name"] == "sana-sample"


def test_export_and_push(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    version_dir, _ = built
    export_dir = tmp_path / "hub" / "sana-sample"
    exported = _json(["export", str(version_dir), "--out", str(export_dir), "--json"])
    manifest = _manifest(version_dir)
    assert exported["fingerprint"] == manifest["fingerprint"] and exported["out_dir"] == str(export_dir)
    assert exported["rows"]["documents"] == {split: data["documents"] for split, data in manifest["splits"].items()}
    assert exported["total_bytes"] == sum(file["size"] for file in exported["files"])
    assert all((export_dir / file["path"]).stat().st_size == file["size"] for file in exported["files"])

    # push --dry-run sends nothing and needs no token; a fresh process, so that the Hub client reads
    # HF_HUB_OFFLINE as it starts.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env |= {"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    pushed = run_akhbar(["push", str(export_dir), "--repo-id", "ORG/NAME", "--dry-run", "--json"], env)
    assert pushed.returncode == EXIT_OK, pushed.stderr
    plan = json.loads(pushed.stdout)
    assert (plan["status"], plan["tag"], plan["fingerprint"]) == ("dry-run", "1.0.0", manifest["fingerprint"])
    assert {op["path"] for op in plan["operations"]} >= {file["path"] for file in exported["files"]}


def test_audit_both_forms(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    version_dir, _ = built
    splits = _json(["audit", str(version_dir), "--json"])
    assert splits["units"] and set(splits["leakage"]) == {"sana-sample"}

    # the test split's own sentences as the external corpus: every checked sentence is found
    test_docs = [json.loads(line) for line in (SANA / "sana-sample.jsonl").read_text(encoding="utf-8").splitlines()]
    external = tmp_path / "web.jsonl"
    external.write_text("".join(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n"
                                for d in test_docs), encoding="utf-8")
    against = _json(["audit", str(version_dir), "--against", str(external), "--jobs", "1", "--json"])
    test = against["splits"]["test"]
    assert against["external"]["documents"] == len(test_docs) and against["external"]["files"] == 1
    assert test["contaminated"] == len(against["sentences"]) > 0


def test_diff(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    version_dir, _ = built
    same = tmp_path / "sana-sample" / "1.0.1"
    shutil.copytree(version_dir, same)
    manifest = json.loads((same / "manifest.json").read_text(encoding="utf-8"))
    (same / "manifest.json").write_text(json.dumps(manifest | {"version": "1.0.1"}), encoding="utf-8")
    # the same data under a new number: printed, then refused (exit 1, the reason on stderr only)
    result = _json(["diff", str(version_dir), str(same), "--json"], EXIT_PROBLEMS)
    assert result["old"]["version"] == "1.0.0" and result["new"]["version"] == "1.0.1"
    assert result["fingerprint_equal"] is True
    assert result["documents"]["compared"] == sum(split["documents"] for split in manifest["splits"].values())
    assert result["documents"]["unchanged"] == result["documents"]["compared"]
    assert result == _json(["diff", str(version_dir), str(same), "--format", "json"], EXIT_PROBLEMS)


def test_env() -> None:
    environment = _json(["env", "--json"])
    from dataset_builder import __version__

    assert environment["akhbar"] == __version__ and "datasets" in environment["core"]
