"""Gold loading: built version directories and Hub-layout export folders back to Documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataset_builder.config import BuildConfig
from dataset_builder.model import Document, Link, Metadata, Span
from dataset_builder.problems import InputError
from eval.gold import content_fingerprint, gold_from_documents, load_gold, mentions_of
from eval.types import Mention

datasets = pytest.importorskip("datasets")

# A paragraph of the SANA seed article (2021-09-14), with its real Thai-mark defect in فิصل.
TEXT = (
    "القمة التي استهلت باجتماع ثنائي مطول بين الرئيسين انضم إليه لاحقاً وزير الخارجية الدكتور "
    "فิصل المقداد ووزير الدفاع الروسي سيرغي شويغو بحثت التعاون المشترك."
)
QUOTE_TEXT = 'وقال الرئيس الأسد: "والزيارة اليوم هي فرصة مهمة".'
ENTITY_LABELS = ["PERS", "NORP", "OCC", "ORG", "GPE"]
QUOTE_LABELS = ["DIRECT", "INDIRECT"]


def _span(doc_text: str, span_id: str, layer: str, surface: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = doc_text.index(surface, start + 1)
    return Span(span_id, layer, start, start + len(surface), label, surface)


def _documents() -> list[Document]:
    doc1 = Document(
        "sana-p2", TEXT, Metadata(title="قمة سورية روسية", date="2021-09-14", paragraphs=((0, len(TEXT)),),
                                 extra={"caption": [0, 4]}),
        spans=(
            _span(TEXT, "T1", "entities", "وزير الخارجية", "OCC"),
            _span(TEXT, "T2", "entities", "فิصل المقداد", "PERS"),
            _span(TEXT, "T3", "entities", "وزير الدفاع الروسي", "OCC"),
            _span(TEXT, "T4", "entities", "الروسي", "NORP"),
            _span(TEXT, "T5", "entities", "سيرغي شويغو", "PERS"),
        ),
    )
    quote = QUOTE_TEXT.index('"')
    doc2 = Document(
        "sana-p9", QUOTE_TEXT,
        spans=(
            _span(QUOTE_TEXT, "T1", "entities", "الأسد", "PERS"),
            Span("Q1", "quotes", quote, len(QUOTE_TEXT) - 1, "DIRECT", QUOTE_TEXT[quote:-1]),
        ),
        links=(Link("L1", "speaker", "Q1", "T1"),),
    )
    return [doc1, doc2]


def _features() -> datasets.Features:
    from datasets import ClassLabel, Features, List, Value

    def layer(labels: list[str]) -> List:
        return List({"id": Value("string"), "start": Value("int32"), "end": Value("int32"),
                     "label": ClassLabel(names=labels), "text": Value("string")})

    return Features({
        "id": Value("string"),
        "text": Value("string"),
        "metadata": {
            "title": Value("string"), "date": Value("string"), "dateline_place": Value("string"),
            "dateline_agency": Value("string"), "source_file": Value("string"), "licence": Value("string"),
            "paragraphs": List({"start": Value("int32"), "end": Value("int32")}), "extra": Value("string"),
        },
        "entities": layer(ENTITY_LABELS),
        "quotes": layer(QUOTE_LABELS),
        "links": List({"id": Value("string"), "type": ClassLabel(names=["speaker"]),
                       "source": Value("string"), "target": Value("string")}),
        "defects": List({"start": Value("int32"), "end": Value("int32"), "kind": Value("string"),
                         "text": Value("string"), "suggestion": Value("string"), "message": Value("string")}),
    })


def _row(doc: Document) -> dict:
    def layer(name: str, labels: list[str]) -> list[dict]:
        return [{"id": s.id, "start": s.start, "end": s.end, "label": labels.index(s.label), "text": s.text}
                for s in doc.layer(name)]

    meta = doc.metadata
    return {
        "id": doc.id, "text": doc.text,
        "metadata": {
            "title": meta.title, "date": meta.date, "dateline_place": meta.dateline_place,
            "dateline_agency": meta.dateline_agency, "source_file": meta.source_file, "licence": meta.licence,
            "paragraphs": [{"start": s, "end": e} for s, e in meta.paragraphs],
            "extra": json.dumps(dict(meta.extra), ensure_ascii=False, sort_keys=True),
        },
        "entities": layer("entities", ENTITY_LABELS),
        "quotes": layer("quotes", QUOTE_LABELS),
        "links": [{"id": k.id, "type": 0, "source": k.source, "target": k.target} for k in doc.links],
        "defects": [],
    }


def _dataset(docs: list[Document]) -> datasets.Dataset:
    return datasets.Dataset.from_list([_row(d) for d in docs], features=_features())


@pytest.fixture
def version_dir(tmp_path: Path) -> Path:
    docs = _documents()
    out = tmp_path / "sana-sample" / "1.0.0"
    datasets.DatasetDict({"test": _dataset(docs), "train": _dataset(docs[:1])}).save_to_disk(str(out / "documents"))
    manifest = {"name": "sana-sample", "version": "1.0.0", "fingerprint": "f" * 64}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def test_version_dir_round_trips_documents_and_identity(version_dir: Path) -> None:
    gold = load_gold(version_dir)
    assert gold.dataset.name == "sana-sample"
    assert gold.dataset.version == "1.0.0"
    assert gold.dataset.fingerprint == "f" * 64
    assert (gold.dataset.config, gold.dataset.split) == ("documents", "test")
    # ClassLabel ints came back as names; spans, links and metadata are equal to what was written.
    assert gold.documents == _documents()
    doc = gold.by_id()["sana-p2"]
    assert doc.metadata.extra == {"caption": [0, 4]}
    assert doc.metadata.paragraphs == ((0, len(TEXT)),)
    assert gold.layers == ("entities", "quotes")


def test_version_dir_other_split_and_config_dir(version_dir: Path) -> None:
    train = load_gold(version_dir, split="train")
    assert [d.id for d in train.documents] == ["sana-p2"]
    # Pointing at the config directory itself finds the manifest one level up.
    assert load_gold(version_dir / "documents").dataset.fingerprint == "f" * 64


def test_unknown_split_names_the_available_ones(version_dir: Path) -> None:
    with pytest.raises(InputError) as info:
        load_gold(version_dir, split="validation")
    assert "validation" in str(info.value) and "test" in str(info.value) and "train" in str(info.value)
    assert info.value.problem.path.endswith("documents")


def test_tokens_config_is_refused_with_a_pointer(version_dir: Path) -> None:
    with pytest.raises(InputError, match="score_tags"):
        load_gold(version_dir, config="tokens")


def test_missing_path_and_non_dataset_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no dataset at this path"):
        load_gold(tmp_path / "nowhere" / "x" / "y")
    with pytest.raises(InputError, match=r"manifest\.json"):
        load_gold(tmp_path)


def _export(tmp_path: Path, card_extra: str = "") -> Path:
    folder = tmp_path / "export"
    docs = _documents()
    (folder / "data" / "documents").mkdir(parents=True)
    _dataset(docs).to_parquet(str(folder / "data" / "documents" / "test-00000-of-00001.parquet"))
    _dataset(docs[:1]).to_parquet(str(folder / "data" / "documents" / "train-00000-of-00001.parquet"))
    (folder / "README.md").write_text(
        "---\n"
        f"{card_extra}"
        "configs:\n"
        "- config_name: documents\n"
        "  data_files:\n"
        "  - split: test\n"
        "    path: data/documents/test-*.parquet\n"
        "  - split: train\n"
        "    path: data/documents/train-*.parquet\n"
        "---\n\n# sana-sample\n",
        encoding="utf-8",
    )
    return folder


def test_export_folder_without_manifest_uses_content_fingerprint(tmp_path: Path) -> None:
    gold = load_gold(_export(tmp_path))
    assert gold.documents == _documents()
    assert gold.dataset.fingerprint == content_fingerprint(_documents())
    assert gold.dataset.fingerprint.startswith("content-sha256:")
    # The same documents in memory have the same identity.
    assert gold_from_documents(_documents()).dataset.fingerprint == gold.dataset.fingerprint
    assert load_gold(_export(tmp_path / "b"), split="train").documents == _documents()[:1]


def test_export_folder_reads_identity_from_card_or_manifest(tmp_path: Path) -> None:
    folder = _export(tmp_path, "pretty_name: SANA sample\nakhbar:\n  name: sana-sample\n  version: 1.2.0\n")
    gold = load_gold(folder)
    assert (gold.dataset.name, gold.dataset.version) == ("sana-sample", "1.2.0")
    (folder / "manifest.json").write_text(json.dumps({"fingerprint": "abc", "version": "1.2.1"}), encoding="utf-8")
    gold = load_gold(folder)
    assert (gold.dataset.fingerprint, gold.dataset.version) == ("abc", "1.2.1")


def test_export_folder_unknown_split(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="validation"):
        load_gold(_export(tmp_path), split="validation")


def test_content_fingerprint_changes_with_content_only() -> None:
    docs = _documents()
    moved = [docs[0], Document(docs[1].id, docs[1].text, Metadata(title="another"), docs[1].spans, docs[1].links)]
    assert content_fingerprint(moved) == content_fingerprint(docs)  # metadata is not scored
    relabelled = [docs[0], Document(docs[1].id, docs[1].text, spans=(
        Span("T1", "entities", 12, 17, "OCC", "الأسد"), *docs[1].spans[1:]), links=docs[1].links)]
    assert content_fingerprint(relabelled) != content_fingerprint(docs)


def test_mentions_of_layer_sorted_with_surface_text() -> None:
    docs = _documents()
    entities = mentions_of(docs, "entities")
    assert [m.text for m in entities if m.doc_id == "sana-p2"] == [
        "وزير الخارجية", "فิصل المقداد", "وزير الدفاع الروسي", "الروسي", "سيرغي شويغو"]
    assert entities == sorted(entities)
    assert all(isinstance(m, Mention) and m.layer == "entities" for m in entities)
    quotes = mentions_of(docs, "quotes")
    assert [(m.doc_id, m.label, m.id) for m in quotes] == [("sana-p9", "DIRECT", "Q1")]
    assert quotes[0].text.startswith('"والزيارة')


@pytest.fixture(scope="module")
def built_sana(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled SANA corpus built by the real pipeline (all of it in `test`, as its recipe says)."""
    from dataset_builder import pipeline
    from dataset_builder.schema import load_schema
    from dataset_builder.split import HashSplit

    corpus = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample"
    if not (corpus / "sana-sample.jsonl").is_file():
        pytest.skip(f"the bundled gold corpus is absent ({corpus})")
    out = tmp_path_factory.mktemp("built")
    pipeline.build(BuildConfig([corpus / "sana-sample.jsonl"], schema=load_schema(corpus / "schema.yaml"),
                               name="sana-sample", version="1.0.0", split=HashSplit((("test", 1.0),)), out_dir=out,
                               progress=False))
    return out / "sana-sample" / "1.0.0"


def _bundled_documents() -> list[Document]:
    from dataset_builder.readers.jsonl import read_jsonl

    return list(read_jsonl(Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "sana-sample.jsonl"))


def test_gold_round_trip_through_the_real_builder(built_sana: Path) -> None:
    """Build the bundled SANA corpus with the pipeline and load it back: the documents must be unchanged."""
    originals = _bundled_documents()
    manifest = json.loads((built_sana / "manifest.json").read_text(encoding="utf-8"))
    gold = load_gold(built_sana)
    assert (gold.dataset.name, gold.dataset.version, gold.dataset.fingerprint) == (
        "sana-sample", "1.0.0", manifest["fingerprint"])
    assert [d.id for d in gold.documents] == [d.id for d in originals]
    for loaded, original in zip(gold.documents, originals, strict=True):
        assert loaded.text == original.text
        assert sorted(loaded.spans, key=lambda s: s.id) == sorted(
            (Span(s.id, s.layer, s.start, s.end, s.label, s.text) for s in original.spans), key=lambda s: s.id)
        assert set(loaded.links) == set(original.links)
        assert loaded.metadata.paragraphs == original.metadata.paragraphs
        assert loaded.metadata.title == original.metadata.title
    assert mentions_of(gold.documents, "quotes") == mentions_of(originals, "quotes")


def test_gold_from_the_hub_layout_export_of_a_real_build(built_sana: Path, tmp_path: Path) -> None:
    from dataset_builder import export

    if not (built_sana / "README.md").is_file():
        pytest.skip("the build wrote no dataset card, which the export requires")
    export.export(built_sana, tmp_path / "export")
    exported = load_gold(tmp_path / "export")
    gold = load_gold(built_sana)
    assert exported.documents == gold.documents
    assert exported.dataset.fingerprint == gold.dataset.fingerprint
    assert (exported.dataset.name, exported.dataset.version) == ("sana-sample", "1.0.0")


def test_hub_repo_id_is_loaded_with_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub path, without a network: load_dataset and the manifest download are replaced."""
    import huggingface_hub

    calls: list[tuple] = []

    def fake_load_dataset(repo_id: str, config: str, *, split: str, revision: str | None) -> datasets.Dataset:
        calls.append((repo_id, config, split, revision))
        return _dataset(_documents())

    def no_manifest(*args: object, **kwargs: object) -> str:
        raise FileNotFoundError("manifest.json")

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_manifest)
    gold = load_gold("akhbar/sana-sample", split="test", revision="v1.0.0")
    assert calls == [("akhbar/sana-sample", "documents", "test", "v1.0.0")]
    assert gold.documents == _documents()
    assert (gold.dataset.source, gold.dataset.revision) == ("akhbar/sana-sample", "v1.0.0")
    assert gold.dataset.fingerprint == content_fingerprint(_documents())
    # Something that is neither an existing path nor a repo id is refused before any download.
    with pytest.raises(InputError, match="no dataset at this path"):
        load_gold("not a repo/with/slashes")
    assert len(calls) == 1
