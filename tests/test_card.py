"""Dataset cards: Hub metadata read back with huggingface_hub and datasets, prose checked against the data,
determinism, the committed cards of the bundled corpus, and a card for a real shared corpus."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from datasets import Features, load_from_disk
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from dataset_builder.card import (
    CARD_FILES,
    CARDS_DIR,
    UNDOCUMENTED,
    CardOptions,
    bundled_card_options,
    card_statistics,
    licence_identifier,
    render_card,
    size_category,
    write_card,
)
from dataset_builder.cli import default_recipe
from dataset_builder.config import BuildConfig
from dataset_builder.pipeline import build
from dataset_builder.problems import InputError
from dataset_builder.recipe import load_recipe
from dataset_builder.schema import load_schema

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
STALE = ("cards/sana-sample is stale: run `akhbar card out/sana-sample/1.0.0 --out cards/sana-sample` "
         "and commit cards/")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus built as `akhbar build` builds it (recipe as is, bundled card options)."""
    recipe = load_recipe(default_recipe())
    out = tmp_path_factory.mktemp("build")
    report = build(BuildConfig.from_recipe(recipe, {"out_dir": out, "progress": False, "card": bundled_card_options()}))
    return report.version_dir


@pytest.fixture(scope="module")
def manifest(bundled: Path) -> dict:
    return json.loads((bundled / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def card(bundled: Path) -> DatasetCard:
    return DatasetCard.load(bundled / "README.md")


def _section(text: str, title: str) -> str:
    """The body of the section titled ``title``, subsections included."""
    match = re.search(rf"^(#+) {re.escape(title)}\n", text, flags=re.MULTILINE)
    assert match, f"no section {title!r}"
    end = re.compile(rf"^#{{1,{len(match.group(1))}}} ", flags=re.MULTILINE).search(text, match.end())
    return text[match.end():end.start() if end else len(text)]


def _table_rows(section: str) -> list[list[str]]:
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]


# --- Hub metadata ------------------------------------------------------------------------------


def test_card_metadata_reads_back_with_the_hub_parser(card: DatasetCard, manifest: dict) -> None:
    data = card.data
    assert data.language == ["ar"]
    assert data.task_categories == ["token-classification"]
    assert data.task_ids == ["named-entity-recognition"]
    assert data.multilinguality == ["monolingual"]
    assert data.annotations_creators == ["expert-generated"]
    assert data.source_datasets == ["original"]
    assert data.size_categories == ["n<1K"]
    assert data.pretty_name == bundled_card_options().pretty_name
    # text (c) SANA and annotations CC BY-SA are two licences: not a single Hub identifier
    assert data.license == "other"
    assert data.license_name == "sana-sample-licence"
    assert data.akhbar["fingerprint"] == manifest["fingerprint"]
    assert data.akhbar["version"] == manifest["version"] == "1.0.0"
    assert data.akhbar["schema"]["sha256"] == manifest["schema"]["fingerprint"]


def test_configs_point_at_the_export_layout(card: DatasetCard) -> None:
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert set(configs) == {"documents", "tokens"}
    assert configs["documents"]["data_files"] == [{"split": "test", "path": "data/documents/test-*.parquet"}]
    assert configs["tokens"]["data_files"] == [{"split": "test", "path": "data/tokens/test-*.parquet"}]
    assert configs.get_default_config_name() == "documents"


def test_dataset_info_gives_the_exact_features_and_split_sizes(card: DatasetCard, bundled: Path) -> None:
    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    for config in ("documents", "tokens"):
        on_disk = load_from_disk(str(bundled / config))["test"]
        assert infos[config].features == on_disk.features, config  # ClassLabel names included
        assert infos[config].splits["test"].num_examples == on_disk.num_rows
    assert infos["tokens"].features["ner_tags"].feature.names[:3] == ["O", "B-PERS", "I-PERS"]


def test_publishing_accepts_the_card(bundled: Path, manifest: dict) -> None:
    from dataset_builder import export

    info = export.check_card(bundled / "README.md", manifest)  # raises when stale or without a fingerprint
    assert info.fingerprints == (manifest["fingerprint"],)
    assert info.data_files == {"documents": {"test": ["data/documents/test-*.parquet"]},
                               "tokens": {"test": ["data/tokens/test-*.parquet"]}}


# --- Prose against the data --------------------------------------------------------------------


def test_every_field_and_label_is_explained(bundled: Path, card: DatasetCard) -> None:
    text = card.text
    assert UNDOCUMENTED not in text
    structure = _section(text, "Dataset structure")
    for config in ("documents", "tokens"):
        features: Features = load_from_disk(str(bundled / config))["test"].features
        for column in features:
            assert f"| `{column}` |" in structure, column
    schema = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml")
    labels = _section(text, "Labels")
    for layer in schema.layers:
        for label in layer.labels:
            assert f"| `{label.name}` | {label.definition} |" in labels


def test_statistics_match_an_independent_count_of_the_gold_file(card: DatasetCard) -> None:
    """Label and nesting-depth counts recomputed from the annotated JSONL, not from the build."""
    gold = json.loads((REPO / "corpora" / "sana-sample" / "sana-sample.jsonl").read_text(encoding="utf-8"))
    entities = [s for s in gold["spans"] if s["layer"] == "entities"]
    labels = Counter(s["label"] for s in entities)
    depths = Counter(
        1 + sum(o is not s and o["start"] <= s["start"] and s["end"] <= o["end"]
                and (o["start"], -o["end"]) < (s["start"], -s["end"]) for o in entities)
        for s in entities
    )
    rows = _table_rows(_section(card.text, "Spans per label: `entities`"))
    per_label = {row[0].strip("`"): int(row[1]) for row in rows}
    assert {k: v for k, v in per_label.items() if v} == dict(labels)
    depth_rows = _table_rows(_section(card.text, "Nesting depth: `entities`"))
    assert {int(row[0].split()[0]): int(row[1]) for row in depth_rows} == dict(depths)
    size = _table_rows(_section(card.text, "Size"))[0]
    assert size[4] == str(len(entities))
    assert size[6] == str(len(gold["links"]))


def test_defect_examples_point_at_the_characters_they_name(bundled: Path, manifest: dict) -> None:
    schema = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml")
    stats = card_statistics(bundled, schema, ["test"])
    text = load_from_disk(str(bundled / "documents"))["test"][0]["text"]
    examples = [e for kind in stats.defect_examples.values() for e in kind]
    assert Counter(e.kind for e in examples) == Counter(manifest["defects"])  # fewer than 3 of each here
    for example in examples:
        assert text[example.start:example.end] == example.text
    card_text = (bundled / "README.md").read_text(encoding="utf-8")
    assert "| `mixed-script` | `sana-2021-09-14-assad-putin-moscow` (test) | 443-444 | `\u0e34` |" in card_text


def test_guideline_is_pinned_by_hash(card: DatasetCard) -> None:
    import hashlib

    digest = hashlib.sha256((REPO / "docs" / "annotation-guideline.md").read_bytes()).hexdigest()
    annotation = _section(card.text, "Annotation process")
    assert f"`docs/annotation-guideline.md` (sha256 `{digest}`)" in annotation


def test_card_is_deterministic(bundled: Path, tmp_path: Path) -> None:
    import datetime

    schema = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml")
    again = write_card(bundled, schema=schema, options=bundled_card_options(), out_dir=tmp_path)
    first = (bundled / "README.md").read_text(encoding="utf-8")
    assert again.read_text(encoding="utf-8") == first
    assert datetime.date.today().isoformat() not in first
    assert str(bundled) not in first and str(REPO) not in first


def test_wrong_schema_is_refused(bundled: Path, tmp_path: Path) -> None:
    schema = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml")
    other = replace(schema, description="another schema")
    with pytest.raises(InputError) as info:
        render_card(bundled, schema=other)
    assert info.value.problem.code == "card-schema"
    assert "Pass the schema" in info.value.problem.fix


def test_helpers() -> None:
    assert licence_identifier("CC BY-SA 4.0") == "cc-by-sa-4.0"
    assert licence_identifier("MIT") == "mit"
    assert licence_identifier("MIT (by inclusion: no separate data licence)") == "other"
    assert licence_identifier(None) == "unknown"
    assert [size_category(n) for n in (0, 999, 1000, 54_321, 2_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M"]


# --- Committed cards ---------------------------------------------------------------------------


def _card_files(folder: Path) -> list[str]:
    """The card's files in a folder: README.md, croissant.json and every figure."""
    figures = sorted(f"figures/{path.name}" for path in (folder / "figures").glob("*.svg"))
    return [*CARD_FILES, *figures]


def test_committed_cards_are_not_stale(bundled: Path, tmp_path: Path) -> None:
    """The refresh command the failure message names, run into a temporary folder, gives the committed files:
    the same set of figures, then every file byte for byte."""
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    result = CliRunner().invoke(app, ["card", str(bundled), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    committed_dir = CARDS_DIR / "sana-sample"
    expected = _card_files(tmp_path)
    assert len(expected) > len(CARD_FILES), "the card command wrote no figures"
    if _card_files(committed_dir) != expected:  # a figure added or dropped
        pytest.fail(f"{STALE} (files {_card_files(committed_dir)} instead of {expected})")
    for name in expected:
        committed = committed_dir / name
        assert committed.is_file(), STALE
        if committed.read_bytes() != (tmp_path / name).read_bytes():
            pytest.fail(f"{STALE} ({name} differs)")


def test_build_never_writes_into_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`akhbar build` of the bundled corpus leaves cards/ alone: its modification times do not move."""
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    before = {path: path.stat().st_mtime_ns for path in CARDS_DIR.rglob("*")}
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["build", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "cards/" not in result.output
    assert {path: path.stat().st_mtime_ns for path in CARDS_DIR.rglob("*")} == before
    assert (tmp_path / "out" / "sana-sample" / "1.0.0" / "README.md").is_file()


def test_akhbar_card_regenerates_the_same_files(bundled: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    result = CliRunner().invoke(app, ["card", str(bundled), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert _card_files(tmp_path) == _card_files(bundled)
    for name in _card_files(bundled):
        assert (tmp_path / name).read_bytes() == (bundled / name).read_bytes(), name


def test_akhbar_card_needs_the_schema_of_other_corpora(tmp_path: Path, bundled: Path) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    copy = tmp_path / "other"
    import shutil

    shutil.copytree(bundled, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["name"] = "someone-else"
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(app, ["card", str(copy)])
    assert result.exit_code == 2
    assert "Pass --recipe RECIPE.yaml or --schema SCHEMA.yaml" in result.output


# --- A real shared corpus ----------------------------------------------------------------------


@pytest.mark.slow
def test_card_of_the_wojood_sample(tmp_path: Path) -> None:
    if not (SHARED / "corpora" / "wojood-sample" / "train.txt").is_file():
        pytest.skip(f"the shared corpora are not at {SHARED}")
    recipe = load_recipe(REPO / "corpora" / "recipes" / "wojood-sample.yaml", data_dir=SHARED / "corpora")
    options = CardOptions(source_datasets=("extended|other",), pretty_name="Wojood (public sample)")
    report = build(BuildConfig.from_recipe(recipe, {"out_dir": tmp_path, "progress": False, "card": options}))
    card = DatasetCard.load(report.version_dir / "README.md")
    manifest = json.loads((report.version_dir / "manifest.json").read_text(encoding="utf-8"))
    assert card.data.license == "other"  # the recipe's statement qualifies "MIT"
    assert card.data.size_categories == [size_category(sum(s["sentences"] for s in manifest["splits"].values()))]
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert [f["split"] for f in configs["tokens"]["data_files"]] == ["train", "validation", "test"]
    assert UNDOCUMENTED not in card.text
    depth = _table_rows(_section(card.text, "Nesting depth: `entities`"))
    # Wojood nests up to four levels; every level has spans in the sample
    assert [row[0].split()[0] for row in depth] == ["1", "2", "3", "4"][: len(depth)] and len(depth) >= 3
    assert all(int(row[-1].replace(",", "")) > 0 for row in depth)
    total = sum(int(row[-1].replace(",", "")) for row in depth)
    assert total == sum(s["mentions"]["entities"] for s in manifest["splits"].values())
    assert "No annotation guideline was given" in card.text


def test_card_figures_draw_the_counts_of_the_card(bundled: Path, manifest: dict) -> None:
    """Each figure is linked relatively from the card, and its marks carry the manifest's numbers."""
    import re

    text = (bundled / "README.md").read_text(encoding="utf-8")
    entities = (bundled / "figures" / "labels-entities.svg").read_text(encoding="utf-8")
    assert entities.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in entities
    assert "](figures/labels-entities.svg)" in text and "](figures/defects.svg)" in text
    drawn = {label: int(value) for label, value in
             re.findall(r'class="segment"[^>]*data-label="([^"]+)" data-segment="test" data-value="(\d+)"', entities)}
    assert drawn == {k: v for k, v in manifest["labels"]["test"]["entities"].items() if v}
    defects = (bundled / "figures" / "defects.svg").read_text(encoding="utf-8")
    assert dict(re.findall(r'class="bar"[^>]*data-label="([^"]+)" data-value="(\d+)"', defects)) == {
        kind: str(n) for kind, n in manifest["defects"].items()}
    nesting = (bundled / "figures" / "nesting-entities.svg").read_text(encoding="utf-8")
    depths = [int(v) for v in re.findall(r'class="bar"[^>]*data-label="depth \d" data-value="(\d+)"', nesting)]
    assert sum(depths) == sum(manifest["labels"]["test"]["entities"].values()) and len(depths) >= 2
    tokens = (bundled / "figures" / "tokens-per-document.svg").read_text(encoding="utf-8")
    bins = [int(v) for v in re.findall(r'class="bar"[^>]*data-value="(\d+)"', tokens)]
    assert sum(bins) == manifest["splits"]["test"]["documents"]


def test_inspect_html_shows_the_card_figures_with_their_tables(bundled: Path) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    result = CliRunner().invoke(app, ["inspect", str(bundled), "--format", "html"])
    assert result.exit_code == 0, result.output
    page = result.output
    figures = sorted((bundled / "figures").glob("*.svg"))
    assert page.startswith("<!DOCTYPE html>") and page.count('<svg class="chart') == len(figures)
    assert page.count("<details>") == len(figures) and "http://" not in page  # inline, no namespace, no network
    assert "<td>DIRECT</td><td class='num'>8</td>" in page  # the quotes figure's table
    wrong = CliRunner().invoke(app, ["inspect", str(bundled), "--format", "pdf"])
    assert wrong.exit_code == 2 and "text, json, html" in wrong.output


# --- Reading a version of many Arrow files -----------------------------------------------------


@pytest.fixture(scope="module")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 synthetic documents built in tasks of 20 kB: several Arrow files in every split."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("akhbar_benchmarks_synthetic", REPO / "benchmarks" / "_synthetic.py")
    assert spec is not None and spec.loader is not None
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    folder = tmp_path_factory.mktemp("many-files")
    source = synthetic.write_synthetic_jsonl(folder / "docs.jsonl", 120, tokens=80)
    from dataset_builder.split import parse_split_spec

    config = BuildConfig((source,), schema=load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml"), name="t",
                         version="1.0.0", out_dir=folder / "out", format="jsonl", progress=False, shard_bytes=20_000,
                         split=parse_split_spec("train=0.8,validation=0.1,test=0.1"))
    return build(config).version_dir


def _mapped(files: list[Path]) -> set[str]:
    """Which of ``files`` this process has memory-mapped now (Linux: /proc/self/maps)."""
    names = {str(file.resolve()) for file in files}
    maps = Path("/proc/self/maps").read_text(encoding="utf-8").splitlines()
    return {line.split(maxsplit=5)[5] for line in maps if len(line.split(maxsplit=5)) == 6} & names


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads the memory maps of Linux")
def test_the_card_maps_one_arrow_file_of_a_split_at_a_time(many_files: Path) -> None:
    """The card's statistics read every row of the version; a file stays mapped (its pages counted in the
    build's resident memory) only while its rows are read, so a build's peak does not grow with the corpus."""
    from dataset_builder.card import _split_batches
    from dataset_builder.version_dir import VersionDir

    version = VersionDir.open(many_files)
    for config in ("documents", "tokens"):
        files = version.data_files(config, "train")
        assert len(files) > 2
        seen: set[str] = set()
        for batch in _split_batches(many_files, config, "train", ["id"], max_rows=16):
            mapped = _mapped(files)
            assert len(mapped) == 1, (config, mapped)
            seen |= mapped
            del batch
        assert seen == {str(file.resolve()) for file in files}
        assert not _mapped(files)


def test_card_statistics_read_every_file_of_a_split(many_files: Path) -> None:
    """Counted per file, the statistics still cover every row: tokens per document as the rows of
    ``load_from_disk`` give them, one nesting depth per mention and every link of the manifest."""
    manifest = json.loads((many_files / "manifest.json").read_text(encoding="utf-8"))
    schema = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml")
    stats = card_statistics(many_files, schema, list(manifest["splits"]))
    tokens = load_from_disk(str(many_files / "tokens"))
    for split, counts in manifest["splits"].items():
        expected: dict[str, int] = {}
        for row in tokens[split]:
            expected[row["doc_id"]] = expected.get(row["doc_id"], 0) + len(row["tokens"])
        assert stats.tokens_per_document[split] == list(expected.values())
        assert len(expected) == counts["documents"]
        for layer, mentions in counts["mentions"].items():
            assert sum(stats.depth[layer][split].values()) == mentions
        assert sum(stats.links[name][split] for name in stats.links) == counts["links"]
