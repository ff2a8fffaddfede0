"""akhbar export: the Hub layout of a real build loads offline exactly like the version itself."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from conftest import run_akhbar, run_python, write_test_card
from hypothesis import given
from hypothesis import strategies as st

from dataset_builder.export import (
    EXPORT_LIST_FILE,
    ROW_GROUP_ROWS,
    ExportedFile,
    ExportExistsError,
    check_card,
    export,
    read_export_list,
    shard_ranges,
)
from dataset_builder.problems import InputError

CONFIGS = ("documents", "tokens")


def _copy_version(version_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "version"
    shutil.copytree(version_dir, copy)
    return copy


def _offline_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update({"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"),
                "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"})
    return env


def _load_offline(folder: Path, configs: dict[str, list[str]], tmp_path: Path) -> dict:
    """Every config/split of an export folder, loaded with load_dataset in an offline interpreter."""
    out = tmp_path / "loaded.json"
    run_python(
        "import json, datasets\n"
        f"configs = {configs!r}\n"
        "result = {}\n"
        "for config, splits in configs.items():\n"
        "    for split in splits:\n"
        f"        ds = datasets.load_dataset({str(folder)!r}, config, split=split)\n"
        "        result[f'{config}/{split}'] = {'features': ds.features.to_dict(), 'rows': ds.to_list()}\n"
        f"open({str(out)!r}, 'w', encoding='utf-8').write(json.dumps(result, ensure_ascii=False))\n",
        _offline_env(tmp_path),
    )
    return json.loads(out.read_text(encoding="utf-8"))


def _configs(version_dir: Path) -> dict[str, list[str]]:
    return json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))["configs"]


def test_export_loads_offline_with_the_same_rows_and_features(sana_version: Path, tmp_path: Path) -> None:
    # Sharded on purpose (31 sentence rows over several files) so the split patterns must gather all shards.
    result = export(sana_version, tmp_path / "hub", max_shard_bytes=8_000)
    configs = _configs(sana_version)
    assert set(configs) == set(CONFIGS)
    assert len(result.shards("tokens", "test")) > 1
    loaded = _load_offline(result.out_dir, configs, tmp_path)
    for config, splits in configs.items():
        reference = datasets.load_from_disk(str(sana_version / config))
        for split in splits:
            got = loaded[f"{config}/{split}"]
            assert got["features"] == reference[split].features.to_dict()
            assert got["rows"] == reference[split].to_list()
            assert result.rows[config][split] == reference[split].num_rows
    # ClassLabel names survive (not just integer ids): the entity labels are the schema's.
    features = datasets.Features.from_dict(loaded["documents/test"]["features"])
    assert "PERS" in features["entities"].feature["label"].names
    assert features["links"].feature["type"].names == ["speaker"]


def test_layout_card_and_manifest_are_copied(sana_version: Path, tmp_path: Path) -> None:
    result = export(sana_version, tmp_path / "hub")
    written = sorted(p.relative_to(result.out_dir).as_posix() for p in result.out_dir.rglob("*") if p.is_file())
    # The export's own list of what it wrote (what push uploads) is the one file besides the dataset's.
    assert written == sorted([EXPORT_LIST_FILE] + [f.path for f in result.files])
    assert read_export_list(result.out_dir) == [ExportedFile(f.path, f.size, f.sha256) for f in result.files]
    figures = sorted(p.relative_to(sana_version).as_posix() for p in (sana_version / "figures").glob("*.svg"))
    assert "figures/labels-entities.svg" in figures and "figures/tokens-per-document.svg" in figures
    assert written == sorted([EXPORT_LIST_FILE, "README.md", "manifest.json",
                              "data/documents/test-00000-of-00001.parquet", "data/tokens/test-00000-of-00001.parquet"]
                             + (["croissant.json"] if (sana_version / "croissant.json").is_file() else []) + figures)
    for name in ("README.md", "manifest.json", *figures):
        assert (result.out_dir / name).read_bytes() == (sana_version / name).read_bytes()
    card = (result.out_dir / "README.md").read_text(encoding="utf-8")
    for name in figures:  # the card embeds each figure by a relative link that resolves in the export
        assert f"]({name})" in card
    assert result.fingerprint == json.loads((sana_version / "manifest.json").read_text())["fingerprint"]


def test_croissant_of_the_export_lists_every_shard_with_its_sha256(sana_version: Path, tmp_path: Path) -> None:
    if not (sana_version / "croissant.json").is_file():
        pytest.skip("this build wrote no croissant.json")
    result = export(sana_version, tmp_path / "hub")
    croissant = json.loads((result.out_dir / "croissant.json").read_text(encoding="utf-8"))
    listed = {d["contentUrl"]: d["sha256"] for d in croissant["distribution"] if d["@type"] == "cr:FileObject"}
    shards = {f.path: f.sha256 for f in result.files if f.config is not None}
    assert listed == shards


def test_parquet_files_carry_the_features_and_fixed_settings(sana_version: Path, tmp_path: Path) -> None:
    result = export(sana_version, tmp_path / "hub")
    for file in result.files:
        if file.config is None:
            continue
        path = result.out_dir / file.path
        metadata = pq.read_metadata(path)
        assert metadata.num_rows == file.num_rows
        assert all(metadata.row_group(i).num_rows <= ROW_GROUP_ROWS for i in range(metadata.num_row_groups))
        compressions = {metadata.row_group(0).column(c).compression for c in range(metadata.num_columns)}
        assert compressions == {"ZSTD"}
        schema = pq.read_schema(path)
        assert b"huggingface" in schema.metadata
        features = datasets.Features.from_arrow_schema(schema)
        reference = datasets.load_from_disk(str(sana_version / file.config))[file.split].features
        assert features == reference


def test_export_is_byte_for_byte_deterministic(sana_version: Path, tmp_path: Path) -> None:
    first = export(sana_version, tmp_path / "a", max_shard_bytes=8_000)
    second = export(sana_version, tmp_path / "b", max_shard_bytes=8_000)
    assert [(f.path, f.sha256) for f in first.files] == [(f.path, f.sha256) for f in second.files]
    for file in first.files:
        assert (first.out_dir / file.path).read_bytes() == (second.out_dir / file.path).read_bytes()


def test_shards_are_contiguous_and_named_of_n(sana_version: Path, tmp_path: Path) -> None:
    result = export(sana_version, tmp_path / "hub", max_shard_bytes=8_000)
    shards = result.shards("tokens", "test")
    total = len(shards)
    assert [Path(s.path).name for s in shards] == [f"test-{i:05d}-of-{total:05d}.parquet" for i in range(total)]
    ids = [row for s in shards for row in pq.read_table(result.out_dir / s.path, columns=["id"])["id"].to_pylist()]
    assert ids == datasets.load_from_disk(str(sana_version / "tokens"))["test"]["id"]


@given(st.integers(0, 10_000), st.integers(1, 64))
def test_shard_ranges_partition_rows_evenly(num_rows: int, num_shards: int) -> None:
    ranges = shard_ranges(num_rows, num_shards)
    assert len(ranges) == num_shards
    assert ranges[0][0] == 0 and ranges[-1][1] == num_rows
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    sizes = [stop - start for start, stop in ranges]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


def test_missing_card_fails_clearly(sana_version: Path, tmp_path: Path) -> None:
    version = _copy_version(sana_version, tmp_path)
    (version / "README.md").unlink()
    with pytest.raises(InputError) as info:
        export(version, tmp_path / "hub")
    assert info.value.problem.code == "no-card"
    assert "no card: run akhbar build / akhbar card first" in str(info.value)
    assert not (tmp_path / "hub").exists()


def test_stale_card_is_refused(sana_version: Path, tmp_path: Path) -> None:
    version = _copy_version(sana_version, tmp_path)
    write_test_card(version, fingerprint="0" * 64)
    with pytest.raises(InputError) as info:
        export(version, tmp_path / "hub")
    assert info.value.problem.code == "card-stale"
    assert "0" * 64 in info.value.problem.message


def test_card_without_a_fingerprint_is_refused(sana_version: Path, tmp_path: Path) -> None:
    version = _copy_version(sana_version, tmp_path)
    (version / "README.md").write_text("---\nlanguage: [ar]\n---\n# A card that says nothing about its data\n",
                                       encoding="utf-8")
    with pytest.raises(InputError) as info:
        export(version, tmp_path / "hub")
    assert info.value.problem.code == "card-stale"


def test_card_must_declare_every_exported_split(sana_version: Path, tmp_path: Path) -> None:
    version = _copy_version(sana_version, tmp_path)
    card = write_test_card(version)
    card.write_text(card.read_text(encoding="utf-8").replace("data/tokens/test-*", "data/tokens/train-*"),
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        export(version, tmp_path / "hub")
    assert info.value.problem.code == "card-configs"
    assert "data/tokens/test-00000-of-00001.parquet" in info.value.problem.message
    assert not (tmp_path / "hub").exists()


def test_not_a_version_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        export(tmp_path, tmp_path / "hub")
    assert info.value.problem.code == "not-a-version"


def test_an_existing_export_is_replaced_only_with_force(sana_version: Path, tmp_path: Path) -> None:
    out = tmp_path / "hub"
    export(sana_version, out, max_shard_bytes=8_000)
    with pytest.raises(ExportExistsError):
        export(sana_version, out)
    result = export(sana_version, out, force=True)
    assert len(result.shards("tokens", "test")) == 1
    assert sorted(p.name for p in (out / "data" / "tokens").iterdir()) == ["test-00000-of-00001.parquet"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_the_real_card_of_the_build_matches_its_manifest(sana_version: Path) -> None:
    manifest = json.loads((sana_version / "manifest.json").read_text(encoding="utf-8"))
    card = check_card(sana_version / "README.md", manifest)
    assert manifest["fingerprint"] in card.fingerprints
    assert {config: sorted(splits) for config, splits in card.data_files.items()} == {
        config: sorted(splits) for config, splits in manifest["configs"].items()}


def test_cli_export(sana_version: Path, tmp_path: Path) -> None:
    out = tmp_path / "hub"
    first = run_akhbar(["export", str(sana_version), "--out", str(out)], _offline_env(tmp_path))
    assert first.returncode == 0, first.stderr
    assert "data/documents/test-00000-of-00001.parquet" in first.stdout
    assert (out / "data" / "tokens" / "test-00000-of-00001.parquet").is_file()
    again = run_akhbar(["export", str(sana_version), "--out", str(out)], _offline_env(tmp_path))
    assert again.returncode == 3
    assert "export-exists" in again.stderr and "--force" in again.stderr
