"""akhbar push against a local Hub-compatible server, driven by the real huggingface_hub client."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import datasets
import pytest
from conftest import FAKE_HUB_TOKEN, run_akhbar, run_python, write_test_card
from hub_server import HubServer

from dataset_builder.export import ExportedFile, export
from dataset_builder.manifest import sha256_file
from dataset_builder.problems import InputError
from dataset_builder.publish import PushRefusedError, plan_commits, push

REPO_ID = "akhbar-test/sana-sample"


def _commits(server: HubServer, repo_id: str = REPO_ID) -> int:
    return len(server.repo(repo_id).commits)


def _load_at_tags(env: dict[str, str], tags: list[str], tmp_path: Path) -> dict[str, list[dict]]:
    """``load_dataset(REPO_ID, "documents"/"tokens", split="test", revision=tag)`` in a fresh interpreter."""
    out = tmp_path / "loaded.json"
    run_python(
        "import json, datasets\n"
        "result = {}\n"
        f"for tag in {tags!r}:\n"
        "    for config in ('documents', 'tokens'):\n"
        f"        ds = datasets.load_dataset({REPO_ID!r}, config, split='test', revision=tag)\n"
        "        result[f'{tag}/{config}'] = {'rows': ds.to_list(), 'features': ds.features.to_dict()}\n"
        f"open({str(out)!r}, 'w', encoding='utf-8').write(json.dumps(result, ensure_ascii=False))\n",
        env,
    )
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_push_two_versions_then_load_each_by_its_tag(
    sana_version: Path, sana_version_next: Path, hub_server: HubServer, hub_env: dict[str, str], tmp_path: Path
) -> None:
    # 1.0.0 goes out sharded (several token shards), 1.1.0 in one shard: the second push must delete
    # the stale shards, or the `data/tokens/test-*` pattern would load both versions' rows at 1.1.0.
    first = export(sana_version, tmp_path / "hub-1.0.0", max_shard_bytes=8_000)
    assert len(first.shards("tokens", "test")) > 1
    pushed = run_akhbar(["push", str(first.out_dir), "--repo-id", REPO_ID], hub_env)
    assert pushed.returncode == 0, pushed.stderr
    assert _commits(hub_server) == 2  # the repository's initial commit + ONE commit for the version
    # A version directory is exported on the fly.
    pushed = run_akhbar(["push", str(sana_version_next), "--repo-id", REPO_ID, "--json"], hub_env)
    assert pushed.returncode == 0, pushed.stderr
    result = json.loads(pushed.stdout)
    assert result["status"] == "pushed" and len(result["commits"]) == 1 and _commits(hub_server) == 3
    added = {op["path"] for op in result["operations"] if op["action"] == "add"}
    deleted = sorted(op["path"] for op in result["operations"] if op["action"] == "delete")
    assert deleted == sorted(f.path for f in first.files if f.config is not None and f.path not in added)
    assert len(deleted) == len(first.shards("tokens", "test"))  # 1.1.0 has a single, differently named shard

    repo = hub_server.repo(REPO_ID)
    assert set(repo.tags) == {"1.0.0", "1.1.0"}
    assert repo.tags["1.1.0"] == repo.branches["main"] == result["tag_commit"]
    assert repo.tags["1.0.0"] != repo.tags["1.1.0"]
    assert not repo.private

    loaded = _load_at_tags(hub_env, ["1.0.0", "1.1.0"], tmp_path)
    for tag, version_dir in (("1.0.0", sana_version), ("1.1.0", sana_version_next)):
        for config in ("documents", "tokens"):
            reference = datasets.load_from_disk(str(version_dir / config))["test"]
            assert loaded[f"{tag}/{config}"]["rows"] == reference.to_list(), (tag, config)
            assert loaded[f"{tag}/{config}"]["features"] == reference.features.to_dict()
    spans = [len(loaded[f"{tag}/documents"]["rows"][0]["entities"]) for tag in ("1.0.0", "1.1.0")]
    assert spans[1] == spans[0] - 1  # the versions really differ

    # The manifest at each tag is that version's.
    for tag, version_dir in (("1.0.0", sana_version), ("1.1.0", sana_version_next)):
        assert hub_server.file_bytes(REPO_ID, "manifest.json", tag) == (version_dir / "manifest.json").read_bytes()


def test_pushed_files_are_the_export_byte_for_byte(sana_version: Path, hub_client: HubServer, tmp_path: Path) -> None:
    exported = export(sana_version, tmp_path / "hub")
    result = push(exported.out_dir, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url, private=True)
    assert result.status == "pushed" and result.tag == "1.0.0"
    assert sorted(op.path for op in result.operations) == sorted(f.path for f in exported.files)
    for file in exported.files:
        assert hub_client.file_bytes(REPO_ID, file.path, "1.0.0") == (exported.out_dir / file.path).read_bytes()
    repo = hub_client.repo(REPO_ID)
    assert repo.private
    assert repo.tags["1.0.0"] == result.tag_commit == result.commits[-1]
    # Parquet shards travelled through the LFS batch API, small text files inline in the commit.
    stored = repo.resolve("1.0.0").files
    assert stored["data/documents/test-00000-of-00001.parquet"].lfs_sha256 is not None
    assert stored["README.md"].lfs_sha256 is None


def test_same_fingerprint_is_a_no_op(sana_version: Path, hub_client: HubServer) -> None:
    push(sana_version, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    before = _commits(hub_client)
    hub_client.requests.clear()
    again = push(sana_version, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    assert again.status == "up-to-date" and again.commits == ()
    assert "already on" in again.message and again.fingerprint in again.message
    assert _commits(hub_client) == before
    assert not [r for r in hub_client.requests if r.method in {"PUT"} or "/commit/" in r.path or "/tag/" in r.path]


def test_a_conflicting_tag_is_refused(sana_version: Path, sana_version_conflicting: Path, hub_client: HubServer,
                                      hub_env: dict[str, str]) -> None:
    push(sana_version, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    before = (_commits(hub_client), dict(hub_client.repo(REPO_ID).tags))
    with pytest.raises(PushRefusedError) as info:
        push(sana_version_conflicting, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    assert info.value.problem.code == "push-tag-conflict"
    # The CLI says why, with both fingerprints, and exits 3 (refused).
    refused = run_akhbar(["push", str(sana_version_conflicting), "--repo-id", REPO_ID], hub_env)
    assert refused.returncode == 3
    assert "push-tag-conflict" in refused.stderr and "immutable" in refused.stderr
    for version_dir in (sana_version, sana_version_conflicting):
        assert json.loads((version_dir / "manifest.json").read_text())["fingerprint"] in refused.stderr
    assert (_commits(hub_client), dict(hub_client.repo(REPO_ID).tags)) == before


def test_dry_run_lists_every_operation_and_sends_nothing(sana_version: Path, hub_server: HubServer,
                                                         hub_env: dict[str, str], tmp_path: Path) -> None:
    exported = export(sana_version, tmp_path / "hub")
    env = {k: v for k, v in hub_env.items() if k != "HF_TOKEN"}  # a dry run needs no token
    result = run_akhbar(["push", str(exported.out_dir), "--repo-id", "ORG/NAME", "--dry-run"], env)
    assert result.returncode == 0, result.stderr
    assert hub_server.requests == []
    for file in exported.files:
        line = next(line for line in result.stdout.splitlines() if line.endswith(f"  {file.path}"))
        assert f"{file.size:,} B" in line and f"sha256:{sha256_file(exported.out_dir / file.path)}" in line
    assert "tag     1.0.0" in result.stdout
    assert "nothing sent" in result.stdout


def test_dry_run_result_in_process(sana_version: Path, hub_server: HubServer, tmp_path: Path) -> None:
    result = push(sana_version, REPO_ID, dry_run=True, endpoint=hub_server.url)
    assert result.status == "dry-run" and result.commits == () and result.tag == "1.0.0"
    assert {op.path for op in result.operations} >= {"README.md", "manifest.json",
                                                      "data/documents/test-00000-of-00001.parquet"}
    assert all(op.action == "add" and op.size and len(op.sha256 or "") == 64 for op in result.operations)
    assert hub_server.requests == []


def test_the_token_never_appears_in_output_or_logs(
    sana_version: Path, hub_server: HubServer, hub_env: dict[str, str], hub_client: HubServer,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = push(sana_version, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
        print(result.message, json.dumps(result.to_dict()))
        # A rejected token: the error names the failure, not the token.
        with pytest.raises(InputError) as info:
            push(sana_version, "akhbar-test/other", token=FAKE_HUB_TOKEN + "-revoked", endpoint=hub_client.url)
    assert info.value.problem.code == "push-http"
    captured = capsys.readouterr()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records  # the push did log (so the assertion below is about real messages)
    for text in (captured.out, captured.err, logged, str(info.value)):
        assert FAKE_HUB_TOKEN not in text
    # The CLI, end to end, as a user runs it with HF_TOKEN set.
    cli = run_akhbar(["push", str(sana_version), "--repo-id", "akhbar-test/cli"], hub_env)
    assert cli.returncode == 0, cli.stderr
    assert FAKE_HUB_TOKEN not in cli.stdout and FAKE_HUB_TOKEN not in cli.stderr


def test_no_token_is_a_clear_error_before_any_request(
    sana_version: Path, hub_client: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    with pytest.raises(InputError) as info:
        push(sana_version, REPO_ID, endpoint=hub_client.url)
    assert info.value.problem.code == "no-token"
    assert "HF_TOKEN" in info.value.problem.fix
    assert hub_client.requests == []


def test_a_stale_card_is_refused_before_any_request(sana_version: Path, hub_client: HubServer,
                                                    tmp_path: Path) -> None:
    exported = export(sana_version, tmp_path / "hub")
    write_test_card(exported.out_dir, fingerprint="f" * 64)
    with pytest.raises(InputError) as info:
        push(exported.out_dir, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    assert info.value.problem.code == "card-stale"
    (exported.out_dir / "README.md").unlink()
    with pytest.raises(InputError) as info:
        push(exported.out_dir, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url)
    assert info.value.problem.code == "no-card"
    assert hub_client.requests == []


def test_bad_sources_and_repo_ids(sana_version: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        push(sana_version, "no-namespace", dry_run=True)
    assert info.value.problem.code == "push-repo-id"
    with pytest.raises(InputError) as info:
        push(tmp_path, REPO_ID, dry_run=True)
    assert info.value.problem.code == "push-source"


def test_large_exports_are_committed_in_batches_and_the_tag_marks_the_last(
    sana_version: Path, hub_client: HubServer, tmp_path: Path
) -> None:
    exported = export(sana_version, tmp_path / "hub", max_shard_bytes=4_000)
    n_data = sum(1 for f in exported.files if f.config is not None)
    assert n_data >= 4
    result = push(exported.out_dir, REPO_ID, token=FAKE_HUB_TOKEN, endpoint=hub_client.url, max_files_per_commit=2)
    assert len(result.commits) == result.planned_commits > 1
    repo = hub_client.repo(REPO_ID)
    assert repo.tags["1.0.0"] == result.commits[-1] == repo.branches["main"]
    # The card and manifest arrive with the last commit only.
    first_commit = repo.commits[result.commits[0]]
    assert "README.md" not in first_commit.files and "manifest.json" not in first_commit.files
    assert {f.path for f in exported.files} <= set(repo.commits[result.commits[-1]].files)


def test_plan_commits_keeps_metadata_last() -> None:
    data = [ExportedFile(f"data/tokens/train-{i:05d}-of-00005.parquet", 40, "0" * 64) for i in range(5)]
    meta = [ExportedFile("README.md", 1, "0" * 64), ExportedFile("manifest.json", 1, "0" * 64)]
    assert plan_commits(meta + data) == [data + meta]
    by_count = plan_commits(meta + data, max_files=2)
    assert [len(b) for b in by_count] == [2, 2, 3] and by_count[-1][-2:] == meta
    by_size = plan_commits(meta + data, max_bytes=100)
    assert [[f.path for f in b] for b in by_size][:2] == [[d.path for d in data[:2]], [d.path for d in data[2:4]]]
    assert by_size[-1] == [data[4], *meta]


def test_cli_push_of_the_bundled_build_needs_no_token_for_a_dry_run(sana_version: Path, tmp_path: Path) -> None:
    # The README's publish flow: build -> export -> push --dry-run, with no token and no network.
    version = tmp_path / "out" / "sana-sample" / "1.0.0"
    shutil.copytree(sana_version, version)
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update({"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_OFFLINE": "1"})
    exported = run_akhbar(["export", str(version), "--out", str(tmp_path / "out" / "hub" / "sana-sample")], env)
    assert exported.returncode == 0, exported.stderr
    dry = run_akhbar(["push", str(tmp_path / "out" / "hub" / "sana-sample"), "--repo-id", "ORG/NAME", "--dry-run"],
                     env)
    assert dry.returncode == 0, dry.stderr
    assert "data/tokens/test-00000-of-00001.parquet" in dry.stdout
