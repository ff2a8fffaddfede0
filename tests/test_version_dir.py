"""VersionDir: the one reader of a built version, on the bundled corpus built by the real pipeline,
and on damaged copies of it (each damage named with its file and a fix, never a traceback)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.cli import app
from dataset_builder.diff import read_version_info
from dataset_builder.export import export
from dataset_builder.problems import InputError, Severity
from dataset_builder.version_dir import VersionDir, VersionSummary
from eval.gold import load_gold

runner = CliRunner()


def test_opens_the_built_bundled_corpus(sana_version: Path) -> None:
    manifest = json.loads((sana_version / "manifest.json").read_text(encoding="utf-8"))
    version = VersionDir.open(sana_version)
    assert (version.name, version.version, version.fingerprint) == ("sana-sample", "1.0.0", manifest["fingerprint"])
    assert version.manifest_data == manifest
    # The typed manifest holds everything the file says: writing it back gives the same object.
    assert version.manifest.to_dict() == manifest
    assert version.schema() is not None and version.schema().fingerprint() == manifest["schema"]["fingerprint"]
    assert version.configs == {"documents": ["test"], "tokens": ["test"]} == version.recorded_configs
    assert version.card_path.is_file() and version.croissant_path.is_file()
    assert [p.name for p in version.data_files("tokens", "test")] == ["data-00000-of-00001.arrow"]
    infos = version.config_infos()
    assert set(infos) == {"documents", "tokens"}
    assert infos["documents"]["splits"]["test"]["num_examples"] == manifest["splits"]["test"]["documents"]


def test_report_rejects_and_problems_agree(sana_version: Path) -> None:
    version = VersionDir.open(sana_version)
    report = version.report
    for what in ("documents", "spans", "links"):
        counts = report[what]
        assert counts["read"] == counts["written"] + counts["rejected"]
    assert list(version.rejects()) == [] and report["documents"]["rejected"] == 0
    problems = list(version.problems())
    by_severity = report["problems"]["by_severity"]
    assert len(problems) == by_severity["warning"] + by_severity["info"] > 0
    assert {p.severity for p in problems} <= {Severity.WARNING, Severity.INFO}
    assert all(p.path == "sana-sample.jsonl" and p.fix for p in problems)


def test_summary_is_what_inspect_prints(sana_version: Path) -> None:
    summary = VersionDir.open(sana_version).summary()
    assert isinstance(summary, VersionSummary)
    as_json = runner.invoke(app, ["inspect", str(sana_version), "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output) == summary.to_dict()
    text = runner.invoke(app, ["inspect", str(sana_version)])
    assert text.exit_code == 0 and text.output == summary.to_text() + "\n"
    lines = summary.to_text().splitlines()
    assert lines[0] == "sana-sample 1.0.0"
    assert "  documents    read 1, written 1, rejected 0" in lines
    assert "  rejects      0" in lines


def test_summary_lists_rejects(sana_version: Path, tmp_path: Path) -> None:
    copy = _copy(sana_version, tmp_path)
    records = [{"doc_id": f"d{i}", "location": f"x.jsonl:{i}", "problems": [{"code": "span-out-of-range"},
                                                                           {"code": "bad-label"}]}
               for i in range(23)]
    (copy / "rejects.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary = VersionDir.open(copy).summary()
    assert len(summary.rejects) == 23 and summary.rejects[0].codes == ("bad-label", "span-out-of-range")
    text = summary.to_text()
    assert "    d0 (x.jsonl:0): bad-label, span-out-of-range" in text
    assert "d20 (" not in text and text.endswith("    ... 3 more in rejects.jsonl")


def _copy(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "sana-sample" / "1.0.0"
    shutil.copytree(built, copy)
    return copy


def _write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def damage(version_dir: Path) -> None:
        path = version_dir / relative
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    return damage


def _remove(relative: str) -> Callable[[Path], None]:
    def damage(version_dir: Path) -> None:
        path = version_dir / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return damage


# (damage, what reads it, the file the problem names relative to the version, words of the message)
DAMAGES = {
    "no manifest": (_remove("manifest.json"), lambda v: v, "", "no manifest.json here"),
    "manifest not JSON": (_write("manifest.json", "{broken"), lambda v: v, "manifest.json", "not valid UTF-8 JSON"),
    "manifest not UTF-8": (_write("manifest.json", b"\xff\xfe{}"), lambda v: v, "manifest.json",
                           "not valid UTF-8 JSON"),
    "manifest a list": (_write("manifest.json", "[]"), lambda v: v, "manifest.json", "holds a JSON list"),
    "manifest without fingerprint": (_write("manifest.json", '{"name": "x", "version": "1.0.0"}'), lambda v: v,
                                     "manifest.json", "has no 'fingerprint'"),
    "config missing": (_remove("documents"), lambda v: v.configs, "", "documents/dataset_dict.json"),
    "split folder missing": (_remove("tokens/test"), lambda v: v.data_files("tokens", "test"), "",
                             "tokens/test/state.json is missing"),
    "data file missing": (_remove("tokens/test/data-00000-of-00001.arrow"), lambda v: v.data_files("tokens", "test"),
                          "", "lacks a data file (tokens/test/data-00000-of-00001.arrow)"),
    "split not listed": (_write("tokens/dataset_dict.json", '{"splits": ["train"]}'),
                         lambda v: v.split_dir("tokens", "test"), "", "split 'test' is not in the tokens config"),
    "dataset info missing": (_remove("documents/test/dataset_info.json"), lambda v: v.config_infos(),
                             "documents/test", "dataset_info.json is missing"),
    "report not JSON": (_write("build-report.json", "{"), lambda v: v.report, "build-report.json",
                        "build-report.json is not valid UTF-8 JSON"),
    "rejects line not JSON": (_write("rejects.jsonl", '{"doc_id": "a"}\nnot json\n'), lambda v: list(v.rejects()),
                              "rejects.jsonl", "rejects.jsonl line 2 is not JSON"),
    "problem record unknown": (_write("problems.jsonl", '{"code": "x", "colour": "red"}\n'),
                               lambda v: list(v.problems()), "problems.jsonl", "is not a problem"),
}


@pytest.mark.parametrize("damage_name", list(DAMAGES))
def test_each_damage_is_named_with_its_file_and_a_fix(sana_version: Path, tmp_path: Path, damage_name: str) -> None:
    damage, read, file, says = DAMAGES[damage_name]
    copy = _copy(sana_version, tmp_path)
    damage(copy)
    with pytest.raises(InputError) as info:
        read(VersionDir.open(copy))
    problem = info.value.problem
    assert problem.code == "not-a-version"
    assert problem.path == str(copy / file if file else copy)
    assert says in problem.message
    assert "akhbar build" in problem.fix


@pytest.mark.parametrize("damage_name", [name for name in DAMAGES if "manifest" in name])
@pytest.mark.parametrize("command", [["inspect"], ["card"], ["diff"], ["audit"], ["export", "--out", "EXPORT"]])
def test_commands_report_a_damaged_manifest_not_a_traceback(sana_version: Path, tmp_path: Path, damage_name: str,
                                                            command: list[str]) -> None:
    damage, _, file, says = DAMAGES[damage_name]
    copy = _copy(sana_version, tmp_path)
    damage(copy)
    args = [str(tmp_path / "export") if arg == "EXPORT" else arg for arg in command]
    result = runner.invoke(app, [args[0], str(copy), *args[1:]])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"{copy / file if file else copy}" in result.output and "error[not-a-version]" in result.output
    assert says in result.output


@pytest.mark.parametrize("read", [read_version_info, lambda path: export(path, path.parent / "hub"), load_gold])
def test_every_reader_refuses_a_damaged_manifest_alike(sana_version: Path, tmp_path: Path,
                                                       read: Callable[[Path], object]) -> None:
    copy = _copy(sana_version, tmp_path)
    (copy / "manifest.json").write_text('{"name": "sana-sample"}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read(copy)
    assert info.value.problem.code == "not-a-version"
    assert info.value.problem.path == str(copy / "manifest.json")
    assert "has no 'version', 'fingerprint'" in info.value.problem.message


@pytest.mark.parametrize("command", [["audit"], ["export", "--out", "EXPORT"]])
def test_commands_report_a_missing_data_file_not_a_traceback(sana_version: Path, tmp_path: Path,
                                                             command: list[str]) -> None:
    copy = _copy(sana_version, tmp_path)
    for config in ("documents", "tokens"):
        (copy / config / "test" / "data-00000-of-00001.arrow").unlink()
    args = [str(tmp_path / "export") if arg == "EXPORT" else arg for arg in command]
    result = runner.invoke(app, [args[0], str(copy), *args[1:]])
    assert result.exit_code == 2, result.output
    assert f"{copy}: error[not-a-version]" in result.output and "data-00000-of-00001.arrow" in result.output
    assert "akhbar build --force" in result.output


def test_diff_needs_the_documents_config(sana_version: Path, tmp_path: Path) -> None:
    copy = _copy(sana_version, tmp_path)
    shutil.rmtree(copy / "documents")
    with pytest.raises(InputError) as info:
        read_version_info(copy)
    assert info.value.problem.code == "not-a-version" and "documents/dataset_dict.json" in info.value.problem.message
