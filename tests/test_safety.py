"""Export and push touch only what they own; no command ends in a traceback whatever the environment;
killed and concurrent runs leave complete folders; equal builds give byte-identical version folders."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FAKE_HUB_TOKEN, REPO_ROOT
from hub_server import HubServer

from dataset_builder.atomic_dir import TargetExistsError, recover_interrupted, replace_dir
from dataset_builder.cli import EXIT_BUG, EXIT_REFUSED, EXIT_USAGE, main
from dataset_builder.export import EXPORT_LIST_FILE, ExportExistsError, export, read_export_list
from dataset_builder.problems import ExitCode, InputError
from dataset_builder.publish import push
from dataset_builder.split import load_split_file
from dataset_builder.version_names import check_name, check_split_name, check_version

SANA = REPO_ROOT / "corpora" / "sana-sample"
REPO_ID = "akhbar-test/safety"
TEXT = "وأكمل الرئيس بوتين أن القضية الرئيسية هي الإرهاب الدولي."


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``akhbar ARGS`` through the console entry point in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else int(code)), captured.out, captured.err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _copy_version(version: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "v" / "sana-sample" / "1.0.0"
    shutil.copytree(version, copy)
    return copy


# -- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("check", "good"), [(check_name, "news"), (check_version, "1.0.0"),
                                             (check_split_name, "train")])
def test_a_trailing_newline_passes_no_name_check(check, good: str) -> None:  # type: ignore[no-untyped-def]
    assert check(good) == good
    for bad in (good + "\n", good + "\r\n", "\n" + good, good + " "):
        with pytest.raises(InputError):
            check(bad)


def test_cli_refuses_a_version_with_a_newline_and_a_300_character_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = _cli(capsys, "build", str(SANA / "recipe.yaml"), "--version", "1.0.0\n", "--out", str(out),
                        "--no-progress")
    assert code == EXIT_USAGE and "version-invalid" in err and "Traceback" not in err
    code, _, err = _cli(capsys, "build", str(SANA / "recipe.yaml"), "--name", "a" * 300, "--out", str(out),
                        "--no-progress")
    assert code == EXIT_USAGE and "name-too-long" in err and "Fix:" in err
    assert not out.exists() or not any(out.rglob("*"))


# -- export reads names from disk like names from the CLI -------------------------------------------


def test_export_refuses_split_names_from_dataset_dict_that_leave_the_folder(sana_version: Path, tmp_path: Path) -> None:
    version = _copy_version(sana_version, tmp_path)
    dict_path = version / "documents" / "dataset_dict.json"
    for hostile in ("../../../escaped", "test\n", "/tmp/abs"):
        dict_path.write_text(json.dumps({"splits": [hostile]}), encoding="utf-8")
        with pytest.raises(InputError) as info:
            export(version, tmp_path / "hub")
        assert info.value.problem.code == "split-invalid"
        assert info.value.problem.path == str(dict_path)
    assert not (tmp_path / "hub").exists() and _leftovers(tmp_path) == []
    assert not any(tmp_path.rglob("escaped*")) and not any(tmp_path.rglob("*.parquet"))


def test_export_refuses_config_names_from_the_manifest_that_leave_the_folder(sana_version: Path,
                                                                              tmp_path: Path) -> None:
    version = _copy_version(sana_version, tmp_path)
    manifest_path = version / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["configs"] = {"../../outside": ["test"]}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copytree(version / "documents", tmp_path / "outside")  # so the crafted path would resolve
    with pytest.raises(InputError) as info:
        export(version, tmp_path / "hub")
    assert info.value.problem.code == "split-invalid" and "outside" in info.value.problem.message
    assert not (tmp_path / "hub").exists() and not any(tmp_path.rglob("*.parquet"))


def test_state_json_cannot_point_at_a_file_outside_its_split(sana_version: Path, tmp_path: Path) -> None:
    version = _copy_version(sana_version, tmp_path)
    state_path = version / "documents" / "test" / "state.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state["_data_files"][0]["filename"] = "../../tokens/test/" + state["_data_files"][0]["filename"]
    state_path.write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(InputError) as info:
        export(version, tmp_path / "hub")
    assert info.value.problem.code == "not-a-version" and "outside its split folder" in info.value.problem.message


# -- push uploads exactly what the export wrote -----------------------------------------------------


@pytest.fixture
def exported(sana_version: Path, tmp_path: Path) -> Path:
    return export(sana_version, tmp_path / "hub").out_dir


@pytest.mark.parametrize("intruder", ["notes.txt", "private/secrets.json", "data/documents/extra.parquet"])
def test_push_refuses_files_the_export_did_not_write(exported: Path, hub_client: HubServer, intruder: str) -> None:
    (exported / intruder).parent.mkdir(parents=True, exist_ok=True)
    (exported / intruder).write_text("not for publication", encoding="utf-8")
    with pytest.raises(InputError) as info:
        push(exported, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    assert info.value.problem.code == "push-unlisted"
    assert intruder.split("/")[0] in info.value.problem.message
    assert hub_client.requests == []


def test_push_refuses_symlinks_even_to_listed_names(exported: Path, hub_client: HubServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private", encoding="utf-8")
    (exported / "link.txt").symlink_to(secret)
    with pytest.raises(InputError) as info:
        push(exported, REPO_ID, dry_run=True)
    assert info.value.problem.code == "push-symlink" and "link.txt" in info.value.problem.message
    (exported / "link.txt").unlink()
    # A listed shard replaced by a link to another file: refused too.
    shard = next((exported / "data" / "documents").glob("*.parquet"))
    shard.rename(tmp_path / "real.parquet")
    shard.symlink_to(tmp_path / "real.parquet")
    with pytest.raises(InputError) as info:
        push(exported, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    assert info.value.problem.code == "push-symlink"
    assert hub_client.requests == []


def test_push_refuses_a_changed_file_and_a_folder_without_the_export_list(exported: Path) -> None:
    croissant = exported / "croissant.json"
    croissant.write_bytes(croissant.read_bytes().replace(b"{", b"{ ", 1))
    with pytest.raises(InputError) as info:
        push(exported, REPO_ID, dry_run=True)
    assert info.value.problem.code == "push-changed" and "croissant.json" in info.value.problem.message
    (exported / EXPORT_LIST_FILE).unlink()
    with pytest.raises(InputError) as info:
        push(exported, REPO_ID, dry_run=True)
    assert info.value.problem.code == "export-list"


def test_a_dry_run_lists_exactly_the_export_list(exported: Path) -> None:
    (exported / ".DS_Store").write_bytes(b"\0")  # dot files are never part of the dataset
    result = push(exported, REPO_ID, dry_run=True)
    listed = read_export_list(exported)
    operations = sorted((op.path, op.size, op.sha256) for op in result.operations)
    assert operations == sorted((f.path, f.size, f.sha256) for f in listed)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_push_where_nothing_listens_is_a_problem(exported: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(InputError) as info:
        push(exported, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=endpoint)
    assert info.value.problem.code == "push-network"
    assert FAKE_HUB_TOKEN not in str(info.value)
    monkeypatch.setenv("HF_TOKEN", FAKE_HUB_TOKEN)
    code, _, err = _cli(capsys, "push", str(exported), "--repo-id", REPO_ID, "--endpoint", endpoint)
    assert code == EXIT_USAGE and "push-network" in err and "Traceback" not in err


# -- the top level: bugs, the environment ------------------------------------------------------------


def test_a_bug_is_one_line_and_exit_70_and_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataset_builder.resources as resources

    def broken() -> Path:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(resources, "default_recipe", broken)
    code, _, err = _cli(capsys, "build", "--no-progress")
    assert code == EXIT_BUG == ExitCode.BUG == 70
    assert "ZeroDivisionError: division by zero" in err and "--debug" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 2
    with pytest.raises(ZeroDivisionError):
        main(["build", "--no-progress", "--debug"])
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "build", "--no-progress"])


def test_exit_70_is_documented() -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    assert "70 a bug in akhbar" in " ".join(CliRunner().invoke(app, ["--help"]).output.split())
    assert "| 70 | a bug in akhbar" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_a_full_disk_is_a_problem_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataset_builder.pipeline as pipeline

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pipeline, "fsync_tree", full)
    out = tmp_path / "out"
    code, _, err = _cli(capsys, "build", str(SANA / "recipe.yaml"), "--out", str(out), "--no-progress")
    assert code == EXIT_USAGE and "disk-full" in err and "Fix:" in err and "Traceback" not in err
    assert list((out / "sana-sample").iterdir()) == []


def test_a_folder_where_the_recipe_goes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _cli(capsys, "build", str(SANA) + "/", "--out", str(tmp_path), "--no-progress")
    assert code == EXIT_USAGE and "a folder where the recipe file goes" in err
    assert str(SANA / "recipe.yaml") in err


def test_a_split_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "splits.tsv"
    path.write_bytes(b"d1\ttrain\nd2\t" + "اختبار".encode("cp1256") + b"\n")
    with pytest.raises(InputError) as info:
        load_split_file(path)
    assert info.value.problem.code == "split-file-invalid" and info.value.problem.line == 2


@pytest.mark.parametrize("entry", ["dangling", "loop", "folder"])
def test_unreadable_entries_of_an_input_folder(entry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SANA / "sana-sample.jsonl", folder / "a.jsonl")
    bad = folder / "b.jsonl"
    if entry == "dangling":
        bad.symlink_to(tmp_path / "missing.jsonl")
    elif entry == "loop":
        bad.symlink_to(bad)
    else:
        bad.mkdir()
    code, _, err = _cli(capsys, "validate", str(folder), "--schema", str(SANA / "schema.yaml"))
    assert code == EXIT_USAGE, err
    assert f"{bad}: error[input-unreadable]" in err and "Fix:" in err and "Traceback" not in err


def test_eval_gold_on_a_folder_holding_a_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold"
    (gold / "data").mkdir(parents=True)
    (gold / "README.md").write_text("---\n---\n", encoding="utf-8")
    (gold / "gold.py").write_text("raise SystemExit('code from a gold folder ran')\n", encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"id": "x", "mentions": []}\n', encoding="utf-8")
    code, _, err = _cli(capsys, "eval", "--gold", str(gold), "--pred", str(pred))
    assert code == EXIT_USAGE and "gold-script" in err and "gold.py" in err


# -- publishing: killed runs, the race, byte-identical folders ---------------------------------------


def test_recover_interrupted_restores_an_old_copy_and_deletes_half_writes(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (tmp_path / f".1.0.0.old-{dead}").mkdir()
    (tmp_path / f".1.0.0.old-{dead}" / "manifest.json").write_text("{}", encoding="utf-8")
    (tmp_path / f".1.0.0.tmp-{dead}").mkdir()
    (tmp_path / f".2.0.0.old-{dead}").mkdir()  # 2.0.0 exists: this old copy is stale
    (tmp_path / "2.0.0").mkdir()
    (tmp_path / f".3.0.0.tmp-{os.getpid()}").mkdir()  # a run in progress (this one) is left alone
    assert recover_interrupted(tmp_path) == [tmp_path / "1.0.0"]
    assert (tmp_path / "1.0.0" / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".3.0.0.tmp-{os.getpid()}", "1.0.0", "2.0.0"]


def test_replace_dir_refuses_a_target_that_appeared(tmp_path: Path) -> None:
    tmp, target = tmp_path / ".v.tmp-1", tmp_path / "v"
    tmp.mkdir()
    (tmp / "a").write_text("new", encoding="utf-8")
    target.mkdir()
    (target / "a").write_text("theirs", encoding="utf-8")
    with pytest.raises(TargetExistsError):
        replace_dir(tmp, target, force=False)
    assert (target / "a").read_text(encoding="utf-8") == "theirs"
    replace_dir(tmp, target, force=True)
    assert (target / "a").read_text(encoding="utf-8") == "new" and _leftovers(tmp_path) == []


def test_a_version_published_by_another_build_mid_rename_is_the_exit_3_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataset_builder.pipeline as pipeline

    real = pipeline.replace_dir

    def other_build_wins(tmp_dir: Path, target: Path, *, force: bool = True) -> None:
        shutil.copytree(tmp_dir, target)  # the other build renamed its complete copy first
        real(tmp_dir, target, force=force)

    monkeypatch.setattr(pipeline, "replace_dir", other_build_wins)
    code, _, err = _cli(capsys, "build", str(SANA / "recipe.yaml"), "--out", str(tmp_path), "--no-progress")
    assert code == EXIT_REFUSED and "version-exists" in err and "Traceback" not in err
    assert (tmp_path / "sana-sample" / "1.0.0" / "manifest.json").is_file()
    assert _leftovers(tmp_path / "sana-sample") == []


def test_two_builds_publishing_at_once(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from dataset_builder.cli import main; main()", "build",
               str(SANA / "recipe.yaml"), "--out", str(tmp_path), "--no-progress"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]  # type: ignore[union-attr]
    assert sorted(code for code, _ in results) == [0, EXIT_REFUSED], results
    assert all("Traceback" not in err for _, err in results)
    assert _leftovers(tmp_path / "sana-sample") == []


_KILL_BETWEEN_RENAMES = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import dataset_builder.atomic_dir as atomic

    real_rename = os.rename
    def rename(src, dst):
        real_rename(src, dst)
        if ".old-" in Path(dst).name:  # the previous copy is moved aside: die before the new one arrives
            os.kill(os.getpid(), signal.SIGKILL)
    atomic.os.rename = rename
    from dataset_builder.cli import main
    main(sys.argv[1:])
""")


def _killed(args: list[str]) -> None:
    run = subprocess.run([sys.executable, "-c", _KILL_BETWEEN_RENAMES, *args], capture_output=True, text=True,
                         timeout=300, cwd=REPO_ROOT)
    assert run.returncode == -signal.SIGKILL, run.stderr


def test_a_force_build_killed_between_its_renames_is_restored(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    args = ["build", str(SANA / "recipe.yaml"), "--out", str(tmp_path), "--no-progress"]
    assert _cli(capsys, *args)[0] == 0
    version = tmp_path / "sana-sample" / "1.0.0"
    before = _tree_bytes(version)
    _killed([*args, "--force"])
    # Killed with the complete old copy moved aside and the new one not yet renamed into place.
    assert not version.exists() and len(_leftovers(version.parent)) == 2
    code, _, err = _cli(capsys, *args)  # the next build puts it back, so the version exists
    assert code == EXIT_REFUSED and "version-exists" in err
    assert _tree_bytes(version) == before and _leftovers(version.parent) == []


def test_a_force_export_killed_between_its_renames_is_restored(sana_version: Path, tmp_path: Path) -> None:
    out = export(sana_version, tmp_path / "hub").out_dir
    before = _tree_bytes(out)
    _killed(["export", str(sana_version), "--out", str(out), "--force"])
    assert not out.exists() and len(_leftovers(tmp_path)) == 2
    with pytest.raises(ExportExistsError):
        export(sana_version, out)
    assert _tree_bytes(out) == before and _leftovers(tmp_path) == []


def test_a_killed_export_leaves_no_temporary_folder_behind(sana_version: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import os, signal
        import dataset_builder.export as export_module
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        export_module._write_export_list = die
        export_module.export({str(sana_version)!r}, {str(tmp_path / "hub")!r})
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert len(_leftovers(tmp_path)) == 1
    export(sana_version, tmp_path / "hub")
    assert _leftovers(tmp_path) == []


def test_equal_builds_give_byte_identical_version_folders(tmp_path: Path) -> None:
    """Built from two working directories into two roots, with an audit and a rejected document."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    start = TEXT.index("بوتين")
    documents = []
    for index in range(6):
        end = start + 5 if index else len(TEXT) + 9  # the first document's span ends past the text: rejected
        span = {"id": "T1", "layer": "entities", "start": start, "end": end, "label": "PERS"}
        documents.append(json.dumps({"id": f"n{index}", "text": TEXT, "spans": [span], "links": []},
                                    ensure_ascii=False))
    (corpus / "news.jsonl").write_text("\n".join(documents) + "\n", encoding="utf-8")
    (corpus / "recipe.yaml").write_text(
        f"name: news\nversion: 1.0.0\nschema: {SANA / 'schema.yaml'}\ninputs: [news.jsonl]\n"
        "split: {train: 0.5, test: 0.5}\naudit: {max_leakage: 1.0, action: warn}\n", encoding="utf-8")
    trees = []
    for cwd in (tmp_path, corpus):
        out = tmp_path / f"out-{len(trees)}"
        run = subprocess.run([sys.executable, "-c", "from dataset_builder.cli import main; main()", "build",
                              os.path.relpath(corpus / "recipe.yaml", cwd), "--out", str(out), "--no-progress"],
                             capture_output=True, text=True, timeout=300, cwd=cwd)
        assert run.returncode == 1, run.stderr  # one document rejected
        trees.append(_tree_bytes(out / "news" / "1.0.0"))
    assert trees[0] == trees[1]
    assert b'"seconds"' not in trees[0]["audit.json"]
    assert b'"path":"news.jsonl"' in trees[0]["rejects.jsonl"].replace(b" ", b"")
