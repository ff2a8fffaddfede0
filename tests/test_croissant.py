"""Croissant metadata: validated by mlcroissant, and records read through it equal the built rows."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import pytest
from datasets import load_from_disk

from dataset_builder.card import bundled_card_options
from dataset_builder.cli import default_recipe
from dataset_builder.config import BuildConfig
from dataset_builder.croissant import croissant_metadata, write_croissant
from dataset_builder.pipeline import build
from dataset_builder.problems import InputError
from dataset_builder.recipe import load_recipe

mlc = pytest.importorskip("mlcroissant")
logging.getLogger("absl").setLevel(logging.ERROR)  # mlcroissant warns that datePublished is absent


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    recipe = load_recipe(default_recipe())
    out = tmp_path_factory.mktemp("build")
    report = build(BuildConfig.from_recipe(recipe, {"out_dir": out, "progress": False, "card": bundled_card_options()}))
    return report.version_dir, recipe.schema


@pytest.fixture(scope="module")
def exported(bundled: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Hub export of the bundled corpus, with croissant.json listing its Parquet files."""
    version_dir, schema = bundled
    out = tmp_path_factory.mktemp("export") / "sana-sample"
    from dataset_builder import export

    export.export(version_dir, out)
    write_croissant(version_dir, schema=schema, export_dir=out)
    return out


def _text(value: object) -> object:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def test_version_croissant_validates_and_describes_both_configs(bundled: tuple[Path, object]) -> None:
    version_dir, _schema = bundled
    dataset = mlc.Dataset(jsonld=str(version_dir / "croissant.json"))
    metadata = dataset.metadata
    assert metadata.name == "sana-sample" and metadata.version == "1.0.0"
    assert not metadata.issues.errors
    ids = {record_set.id for record_set in metadata.record_sets}
    assert {"documents", "tokens", "splits", "entities_labels", "quotes_labels", "links_labels",
            "ner_tags_names", "quote_tags_names"} <= ids
    file_sets = {d.id: d.includes for d in metadata.distribution}
    assert file_sets == {"documents-parquet": ["data/documents/*.parquet"],
                         "tokens-parquet": ["data/tokens/*.parquet"]}  # no Parquet file exists yet: no checksums


def test_enumerations_carry_classlabel_names_and_schema_definitions(bundled: tuple[Path, object]) -> None:
    version_dir, schema = bundled
    dataset = mlc.Dataset(jsonld=str(version_dir / "croissant.json"))
    features = load_from_disk(str(version_dir / "tokens"))["test"].features
    tags = [(r["ner_tags_names/index"], r["ner_tags_names/name"]) for r in dataset.records("ner_tags_names")]
    assert tags == list(enumerate(features["ner_tags"].feature.names))
    labels = list(dataset.records("entities_labels"))
    layer = schema.layer("entities")
    assert [r["entities_labels/name"] for r in labels] == list(layer.label_names)
    assert [r["entities_labels/definition"] for r in labels] == [label.definition for label in layer.labels]
    raw = json.loads((version_dir / "croissant.json").read_text(encoding="utf-8"))
    documents = next(r for r in raw["recordSet"] if r["@id"] == "documents")
    entities = next(f for f in documents["field"] if f["@id"] == "documents/entities")
    label = next(f for f in entities["subField"] if f["@id"] == "documents/entities/label")
    assert label["references"] == {"field": {"@id": "entities_labels/index"}}
    # the three tag columns of one layer share one enumeration, named in their description
    tokens = next(r for r in raw["recordSet"] if r["@id"] == "tokens")
    described = {f["@id"]: f["description"] for f in tokens["field"]}
    for column in ("ner_tags", "ner_tags_2", "ner_tags_3"):
        assert described[f"tokens/{column}"].endswith("record set `ner_tags_names`")


def test_export_croissant_checksums_every_parquet_file(exported: Path) -> None:
    raw = json.loads((exported / "croissant.json").read_text(encoding="utf-8"))
    objects = [d for d in raw["distribution"] if d["@type"] == "cr:FileObject"]
    parquet = sorted(p.relative_to(exported).as_posix() for p in (exported / "data").rglob("*.parquet"))
    assert sorted(o["contentUrl"] for o in objects) == parquet and parquet
    for obj in objects:
        path = exported / obj["contentUrl"]
        assert obj["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert obj["contentSize"] == f"{path.stat().st_size} B"


def test_records_read_through_croissant_equal_the_built_rows(exported: Path, bundled: tuple[Path, object]) -> None:
    version_dir, _schema = bundled
    dataset = mlc.Dataset(jsonld=str(exported / "croissant.json"))
    documents = load_from_disk(str(version_dir / "documents"))["test"]
    records = list(dataset.records("documents"))
    assert len(records) == documents.num_rows == 1
    record, row = records[0], documents[0]
    assert _text(record["documents/split"]) == "test"
    assert _text(record["documents/id"]) == row["id"]
    assert _text(record["documents/text"]) == row["text"]
    spans = [(int(s["documents/entities/start"]), int(s["documents/entities/end"]), s["documents/entities/label"],
              _text(s["documents/entities/text"])) for s in record["documents/entities"]]
    assert spans == [(s["start"], s["end"], s["label"], s["text"]) for s in row["entities"]]
    links = [(_text(x["documents/links/source"]), _text(x["documents/links/target"]))
             for x in record["documents/links"]]
    assert links == [(x["source"], x["target"]) for x in row["links"]]
    tokens = load_from_disk(str(version_dir / "tokens"))["test"]
    for record, row in zip(dataset.records("tokens"), tokens, strict=True):
        assert _text(record["tokens/id"]) == row["id"]
        assert [_text(t) for t in record["tokens/tokens"]] == row["tokens"]
        assert list(record["tokens/ner_tags_2"]) == row["ner_tags_2"]


def test_the_version_croissant_copied_into_an_export_reads_its_files(exported: Path, bundled: tuple[Path, object],
                                                                     tmp_path: Path) -> None:
    """What `akhbar export` copies (no checksums) still loads: the file sets resolve next to the JSON file."""
    version_dir, _schema = bundled
    copy = tmp_path / "export"
    shutil.copytree(exported, copy)
    shutil.copyfile(version_dir / "croissant.json", copy / "croissant.json")
    records = list(mlc.Dataset(jsonld=str(copy / "croissant.json")).records("tokens"))
    assert len(records) == load_from_disk(str(version_dir / "tokens"))["test"].num_rows


def test_export_without_parquet_is_refused(bundled: tuple[Path, object], tmp_path: Path) -> None:
    version_dir, schema = bundled
    with pytest.raises(InputError) as info:
        croissant_metadata(version_dir, schema=schema, export_dir=tmp_path)
    assert info.value.problem.code == "croissant-no-files"
    assert "akhbar export" in info.value.problem.fix


def test_croissant_is_deterministic(bundled: tuple[Path, object], tmp_path: Path) -> None:
    version_dir, schema = bundled
    again = write_croissant(version_dir, schema=schema, out_path=tmp_path / "croissant.json")
    assert again.read_bytes() == (version_dir / "croissant.json").read_bytes()
