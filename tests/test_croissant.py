"""Croissant metadata: written without mlcroissant yet exactly as mlcroissant writes it, validated by it, and
records read through it equal the built rows; the build never imports it."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import load_from_disk

from dataset_builder.card import bundled_card_options
from dataset_builder.cli import default_recipe
from dataset_builder.config import BuildConfig
from dataset_builder.croissant import croissant_document, croissant_metadata, validate_croissant, write_croissant
from dataset_builder.pipeline import build
from dataset_builder.problems import InputError
from dataset_builder.recipe import load_recipe
from dataset_builder.version_dir import VersionDir

mlc = pytest.importorskip("mlcroissant")  # the [hub] extra: validation needs it, writing does not
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"
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


def _round_trip(document: dict) -> dict:
    """What mlcroissant writes for the metadata it reads from ``document``."""
    return validate_croissant(document).to_json()


def test_mlcroissant_reads_our_documents_back_to_the_same_json(bundled: tuple[Path, object],
                                                               exported: Path) -> None:
    version_dir, schema = bundled
    version_doc = croissant_document(version_dir, schema=schema)
    assert json.loads((version_dir / "croissant.json").read_text(encoding="utf-8")) == version_doc
    assert _round_trip(version_doc) == version_doc
    # the export's: a FileObject per Parquet file, and a url as `akhbar card --repo-id` gives
    export_doc = croissant_document(version_dir, schema=schema, export_dir=exported,
                                    url="https://huggingface.co/datasets/akhbar/sana-sample")
    assert any(d["@type"] == "cr:FileObject" for d in export_doc["distribution"])
    assert _round_trip(export_doc) == export_doc


def test_the_bundled_croissant_keeps_the_bytes_mlcroissant_wrote(bundled: tuple[Path, object]) -> None:
    # What mlcroissant 1.1's Metadata.to_json() wrote for the bundled corpus before this writer replaced it
    # (key order included: a document read back by mlcroissant orders data rows differently, so the round
    # trip above compares values, and this digest the bytes).
    version_dir, _schema = bundled
    digest = hashlib.sha256((version_dir / "croissant.json").read_bytes()).hexdigest()
    assert digest == "f750a01d6d01be27ae21ebd57ab38f9cbc8ed85883c37f1c5f5543bc9b4b5a98"


def test_validation_refuses_an_invalid_document(bundled: tuple[Path, object]) -> None:
    version_dir, schema = bundled
    document = copy.deepcopy(croissant_document(version_dir, schema=schema))
    tokens = next(r for r in document["recordSet"] if r["@id"] == "tokens")
    tokens["field"][1]["source"]["fileSet"]["@id"] = "no-such-file-set"
    with pytest.raises(InputError) as info:
        validate_croissant(document, where=version_dir)
    assert info.value.problem.code == "croissant-invalid" and "no-such-file-set" in info.value.problem.message
    assert info.value.problem.path == str(version_dir)


def test_the_build_does_not_import_mlcroissant(tmp_path: Path) -> None:
    code = ("import sys; from dataset_builder.cli import main\n"
            "try:\n    main(['build', '--out', sys.argv[1], '--no-progress'])\n"
            "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'mlcroissant', 'rdflib'}))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=True)
    assert out.stdout.splitlines()[-1] == "[]"
    written = tmp_path / "sana-sample" / "1.0.0" / "croissant.json"
    assert _round_trip(json.loads(written.read_text(encoding="utf-8"))) == \
        json.loads(written.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared corpora are not at {SHARED}")
@pytest.mark.parametrize("recipe", ["anercorp-camel", "newsfane-gold-fine", "wojood-sample"])
def test_the_shared_corpora_documents_are_what_mlcroissant_writes(recipe: str, tmp_path: Path) -> None:
    config = BuildConfig.from_recipe(ROOT / "corpora" / "recipes" / f"{recipe}.yaml",
                                     {"out_dir": tmp_path, "progress": False}, data_dir=SHARED)
    version_dir = build(config).version_dir
    document = croissant_document(version_dir, schema=VersionDir.open(version_dir).schema())
    assert _round_trip(document) == document
