"""Version diffs on real builds of the bundled corpus (corpora/sana-sample) and edited copies of it:
a relabelled span, a moved boundary, removed and added spans, links, an added document, a one-letter
text fix, an insertion that shifts every offset, schema changes, a split change; renderings and the
changelog writer."""

from __future__ import annotations

import copy
import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset_builder.config import BuildConfig
from dataset_builder.diff import (
    CHANGELOG_PREAMBLE,
    _OffsetMap,
    _opcodes,
    changelog_entry,
    diff,
    diff_schemas,
    iter_document_diffs,
    prepend_changelog,
    read_version_info,
)
from dataset_builder.pipeline import build
from dataset_builder.problems import InputError
from dataset_builder.versioning import Bump

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample"
DOC_ID = "sana-2021-09-14-assad-putin-moscow"
#: The seed article spells the Foreign Minister's name with a Thai vowel sign (U+0E34) for ي.
LOOKALIKE_OFFSET = 443


# ---------------------------------------------------------------------------------------------
# Edited copies of the bundled corpus (also used by test_versioning.py)
# ---------------------------------------------------------------------------------------------


@dataclass
class CorpusCopy:
    """The bundled corpus' recipe, schema and JSONL as plain data, to edit and build from a folder."""

    documents: list[dict[str, Any]]
    schema: dict[str, Any]
    recipe: dict[str, Any]
    extra_files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def bundled(cls) -> CorpusCopy:
        documents = [json.loads(line) for line in (SANA / "sana-sample.jsonl").read_text("utf-8").splitlines()
                     if line.strip()]
        schema = yaml.safe_load((SANA / "schema.yaml").read_text("utf-8"))
        recipe = yaml.safe_load((SANA / "recipe.yaml").read_text("utf-8"))
        return cls(documents, schema, recipe)

    @property
    def doc(self) -> dict[str, Any]:
        return self.documents[0]

    def span(self, span_id: str, doc: dict[str, Any] | None = None) -> dict[str, Any]:
        return next(s for s in (doc or self.doc)["spans"] if s["id"] == span_id)

    def write(self, folder: Path, **recipe: Any) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sana-sample.jsonl").write_text(
            "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in self.documents), encoding="utf-8")
        (folder / "schema.yaml").write_text(yaml.safe_dump(self.schema, allow_unicode=True, sort_keys=False),
                                            encoding="utf-8")
        for name, text in self.extra_files.items():
            (folder / name).write_text(text, encoding="utf-8")
        path = folder / "recipe.yaml"
        path.write_text(yaml.safe_dump({**self.recipe, **recipe}, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        return path

    def build(self, folder: Path, version: str, out: Path, **options: Any) -> Path:
        """Write the copy into ``folder`` and build ``version`` of it with the real pipeline into ``out``."""
        overrides = {"version": version, **options, "out_dir": out, "progress": False}
        return build(BuildConfig.from_recipe(self.write(folder), overrides)).version_dir


def set_text(doc: dict[str, Any]) -> None:
    """Make every span's ``text`` the slice it covers again (after an edit of the text)."""
    for span in doc["spans"]:
        span["text"] = doc["text"][span["start"]:span["end"]]


def edit_text(doc: dict[str, Any], start: int, end: int, replacement: str) -> None:
    """Replace ``text[start:end]`` and shift every offset after it, as an annotation tool would."""
    delta = len(replacement) - (end - start)
    doc["text"] = doc["text"][:start] + replacement + doc["text"][end:]

    def shift(offset: int) -> int:
        return offset + delta if offset >= end else offset

    for span in doc["spans"]:
        span["start"], span["end"] = shift(span["start"]), shift(span["end"])
    meta = doc["metadata"]
    meta["paragraphs"] = [[shift(a), shift(b)] for a, b in meta["paragraphs"]]
    for key, value in meta["extra"].items():
        if isinstance(value, list) and len(value) == 2:
            meta["extra"][key] = [shift(value[0]), shift(value[1])]
    set_text(doc)


def add_span(doc: dict[str, Any], span_id: str, surface: str, label: str, *, occurrence: int = 0,
             layer: str = "entities") -> dict[str, Any]:
    start = -1
    for _ in range(occurrence + 1):
        start = doc["text"].index(surface, start + 1)
    span = {"id": span_id, "layer": layer, "start": start, "end": start + len(surface), "label": label,
            "text": surface}
    doc["spans"].append(span)
    return span


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def without_card_stage() -> Iterator[None]:
    """Builds here skip the dataset card and croissant.json (half of a small build's time): diffs and
    version checks read the data, the manifest and the build report, never the card (tested in
    test_card.py). The version check runs before the card stage in real builds too."""
    from dataset_builder import pipeline

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline.CardStage, "finish", lambda self, context: None)
        yield


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sana-sample 1.0.0, built from an unedited copy of the bundled recipe, schema and JSONL."""
    root = tmp_path_factory.mktemp("base")
    return CorpusCopy.bundled().build(root / "src", "1.0.0", root / "out")


def variant(tmp_path: Path, edit: Callable[[CorpusCopy], None], version: str = "1.1.0", **options: Any) -> Path:
    corpus = CorpusCopy.bundled()
    edit(corpus)
    return corpus.build(tmp_path / "src", version, tmp_path / "out", **options)


# ---------------------------------------------------------------------------------------------
# Annotation changes
# ---------------------------------------------------------------------------------------------


def test_relabel_moved_boundary_removed_and_added_spans_are_told_apart(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        doc = corpus.doc
        corpus.span("T2")["label"] = "GPE"                      # سورية: relabelled NORP -> GPE
        t16 = corpus.span("T16")                                # PERS بشار الأسد -> الأسد (same id)
        t16["start"] += len("بشار ")
        t24 = corpus.span("T24")                                # PERS سيرغي شويغو -> شويغو, under a new id
        t24["id"], t24["start"] = "T900", t24["start"] + len("سيرغي ")
        doc["spans"].remove(corpus.span("T3"))                  # NORP روسية removed
        add_span(doc, "T901", "السيدين", "OCC")                 # a new OCC mention
        set_text(doc)

    result = diff(base, variant(tmp_path, edit))
    assert result.spans["relabelled"] == Counter({("entities", "NORP", "GPE"): 1})
    assert result.spans["moved"] == Counter({("entities", "PERS"): 2})
    assert result.spans["removed"] == Counter({("entities", "NORP"): 1})
    assert result.spans["added"] == Counter({("entities", "OCC"): 1})
    assert result.annotation_changed == [DOC_ID]
    assert not (result.text_changed or result.metadata_changed or result.split_changed or result.schema
                or result.settings or result.documents_added or result.documents_removed)
    assert not any(result.links.values())  # no link touches these spans
    moved = [text for _, text in result.examples["span moved"]]
    assert any("«بشار الأسد» [201, 211) → «الأسد» [206, 211)" in text for text in moved)
    assert any("«سيرغي شويغو»" in text and "«شويغو»" in text for text in moved)
    assert "NORP → GPE" in result.examples["span relabelled"][0][1]
    assert result.required_bump().bump is Bump.MINOR  # the added span; the rest are fixes


def test_span_ids_do_not_matter_when_offsets_and_labels_agree(base: Path, tmp_path: Path) -> None:
    def renumber(corpus: CorpusCopy) -> None:
        ids = {s["id"]: f"E{i}" for i, s in enumerate(corpus.doc["spans"])}
        for span in corpus.doc["spans"]:
            span["id"] = ids[span["id"]]
        for link in corpus.doc["links"]:
            link["from"], link["to"] = ids[link["from"]], ids[link["to"]]

    result = diff(base, variant(tmp_path, renumber))
    # Same content under other ids: the fingerprint differs (ids are content), but nothing is
    # added, removed, relabelled or moved, and every link still joins the same two spans.
    assert not result.fingerprint_equal
    assert not any(result.spans.values()) and not any(result.links.values())
    assert result.annotation_changed == []
    requirement = result.required_bump()
    assert requirement.bump is Bump.PATCH and requirement.reasons[0].key == "other"


def test_links_removed_and_retargeted(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        doc = corpus.doc
        doc["links"] = [link for link in doc["links"] if link["id"] != "L1"]
        next(link for link in doc["links"] if link["id"] == "L2")["to"] = "T33"

    result = diff(base, variant(tmp_path, edit))
    assert result.links["removed"] == Counter({"speaker": 1})
    assert result.links["changed"] == Counter({"speaker": 1})
    assert result.links["added"] == Counter()
    assert result.examples["link changed"] == [(DOC_ID, "speaker L2: Q2 → T45 → speaker: Q2 → T33")]
    assert result.required_bump().bump is Bump.PATCH


def test_added_document(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        # The headline as a document of its own, with the spans that lie inside it.
        headline = copy.deepcopy(corpus.doc)
        start, end = headline["metadata"]["extra"]["title_span"]
        headline["id"] = DOC_ID + "-headline"
        headline["text"] = headline["text"][start:end]
        headline["spans"] = [dict(s, start=s["start"] - start, end=s["end"] - start)
                             for s in headline["spans"] if start <= s["start"] and s["end"] <= end]
        headline["links"] = []
        headline["metadata"] = {"title": headline["text"], "date": "2021-09-14"}
        corpus.documents.append(headline)

    result = diff(base, variant(tmp_path, edit))
    assert result.documents_added == [(DOC_ID + "-headline", "test")]
    assert result.documents_compared == 1 and result.documents_unchanged == 1
    assert result.spans_in_added_documents == Counter({
        ("entities", "EVENT"): 1, ("entities", "NORP"): 2, ("entities", "GPE"): 1, ("entities", "OCC"): 1,
        ("entities", "PERS"): 2})
    assert not any(result.spans.values())  # nothing changed in the existing document
    assert result.required_bump().bump is Bump.MINOR


# ---------------------------------------------------------------------------------------------
# Text changes
# ---------------------------------------------------------------------------------------------


def test_one_letter_text_fix_is_a_text_change_and_moves_no_span(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        doc = corpus.doc
        assert doc["text"][LOOKALIKE_OFFSET] == "\u0e34"
        edit_text(doc, LOOKALIKE_OFFSET, LOOKALIKE_OFFSET + 1, "ي")

    result = diff(base, variant(tmp_path, edit, "2.0.0"))
    assert result.text_changed == [DOC_ID]
    assert result.examples["text"] == [(DOC_ID, "«فิصل» → «فيصل» at 443 (replaced «\u0e34»)")]
    # T21 (PERS فิصل المقداد) covers the edit: same offsets, same label -> not a span change.
    assert not any(result.spans.values()) and not any(result.links.values())
    assert not result.metadata_changed
    requirement = result.required_bump()
    assert requirement.bump is Bump.MAJOR and [r.key for r in requirement.reasons] == ["text"]


def test_insertion_shifts_offsets_without_moving_spans(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        start = corpus.doc["metadata"]["extra"]["title_span"][0]
        edit_text(corpus.doc, start, start, "عاجل: ")

    new = variant(tmp_path, edit, "2.0.0")
    (document,) = list(iter_document_diffs(base, new))
    assert [(e.old_start, e.old_text, e.new_text) for e in document.text_edits] == [(2, "", "عاجل: ")]
    # 126 spans all shifted by 6 characters: every one is paired through the alignment.
    assert document.spans == () and document.links == ()
    assert {change.field for change in document.metadata} == {"paragraphs", "extra"}


# ---------------------------------------------------------------------------------------------
# Schema, splits, settings
# ---------------------------------------------------------------------------------------------


def test_label_added_to_the_schema(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        corpus.schema["layers"]["entities"]["labels"]["MISC"] = "Any other named entity."

    result = diff(base, variant(tmp_path, edit, "2.0.0"))
    assert [c.describe() for c in result.schema] == ["label entities/MISC added: “Any other named entity.”"]
    assert result.documents_unchanged == 1 and not any(result.spans.values())
    assert result.required_bump().bump is Bump.MAJOR


def test_reordered_labels_are_a_schema_change_not_relabels(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        labels = corpus.schema["layers"]["entities"]["labels"]
        corpus.schema["layers"]["entities"]["labels"] = {"NORP": labels["NORP"], **labels}  # NORP first

    result = diff(base, variant(tmp_path, edit, "2.0.0"))
    # Every NORP and PERS span now has another ClassLabel id; decoded with each version's own
    # names, the spans are the same.
    assert not any(result.spans.values())
    assert [(c.kind, c.what) for c in result.schema] == [("reordered", "label")]
    assert "PERS, NORP, OCC" in result.schema[0].detail and "→ NORP, PERS, OCC" in result.schema[0].detail


def test_definitions_and_descriptions(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        corpus.schema["description"] = "The SANA sample."
        corpus.schema["layers"]["quotes"]["description"] = "Reported speech."
        corpus.schema["layers"]["entities"]["labels"]["TIME"] = "A time of day."
        corpus.schema["layers"]["entities"]["levels"] = 2

    result = diff(base, variant(tmp_path, edit, "2.0.0"))
    assert [(c.kind, c.what, c.name) for c in result.schema] == [
        ("redefined", "label", "entities/TIME"), ("redefined", "layer", "entities"),
        ("described", "layer", "quotes"), ("described", "schema", "sana-sample")]
    assert "levels: 3 → 2" in result.schema[1].detail
    reasons = {r.key: r.bump for r in result.required_bump().reasons}
    assert reasons == {"schema": Bump.MAJOR, "schema prose": Bump.PATCH}


def test_diff_schemas_links_and_layers() -> None:
    old = yaml.safe_load((SANA / "schema.yaml").read_text("utf-8"))
    from dataset_builder.schema import schema_from_dict

    old_dict = schema_from_dict(old).to_dict()
    new = copy.deepcopy(old)
    new["links"]["speaker"]["to"]["labels"] = ["PERS", "ORG"]
    new["links"]["addressee"] = {"from": {"layer": "quotes"}, "to": {"layer": "entities"}}
    del new["layers"]["quotes"]
    new.pop("links")
    new["links"] = {"mentions": {"from": {"layer": "entities"}, "to": {"layer": "entities"}}}
    changes = diff_schemas(old_dict, schema_from_dict(new).to_dict())
    assert [(c.kind, c.what, c.name) for c in changes] == [
        ("removed", "layer", "quotes"), ("removed", "link type", "speaker"), ("added", "link type", "mentions")]
    assert changes[0].detail == "2 labels (DIRECT, INDIRECT)"
    retargeted = copy.deepcopy(old)
    retargeted["links"]["speaker"]["to"]["labels"] = ["PERS", "ORG"]
    (change,) = diff_schemas(old_dict, schema_from_dict(retargeted).to_dict())
    assert change.describe() == ("link type speaker redefined: from quotes to entities [PERS] → "
                                 "from quotes to entities [PERS, ORG]")
    assert diff_schemas(old_dict, old_dict) == ()


def test_split_change(base: Path, tmp_path: Path) -> None:
    new = variant(tmp_path, lambda corpus: corpus.recipe.update(split={"train": 1.0}), "2.0.0")
    result = diff(base, new)
    assert result.split_changed == [(DOC_ID, "test", "train")]
    assert {s.key for s in result.settings} == {"split_rule", "splits"}
    assert result.required_bump().bump is Bump.MAJOR


def test_identical_rebuild_is_no_change(base: Path, tmp_path: Path) -> None:
    result = diff(base, variant(tmp_path, lambda corpus: None, "1.0.1"))
    assert result.fingerprint_equal and not result.has_changes
    assert (result.documents_compared, result.documents_unchanged) == (1, 1)
    assert result.required_bump().bump is Bump.NONE
    assert "Nothing changed" in result.to_markdown()


def test_first_version_everything_added(base: Path) -> None:
    result = diff(None, base)
    manifest = json.loads((base / "manifest.json").read_text("utf-8"))
    expected = Counter({(layer, label): n for layers in manifest["labels"].values()
                        for layer, counts in layers.items() for label, n in counts.items() if n})
    assert result.documents_added == [(DOC_ID, "test")]
    assert result.spans_in_added_documents == expected
    assert sum(expected.values()) == 126
    assert result.links_in_added_documents == Counter({"speaker": 12})
    assert [(c.kind, c.what, c.name) for c in result.schema] == [
        ("added", "layer", "entities"), ("added", "layer", "quotes"), ("added", "link type", "speaker")]
    assert result.required_bump().first_version


def test_version_without_recorded_schema_falls_back_to_features(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        corpus.schema["layers"]["entities"]["labels"]["MISC"] = "Any other named entity."
        corpus.schema["layers"]["entities"]["labels"]["PERS"] = "A person."

    new = variant(tmp_path, edit, "2.0.0")
    legacy = tmp_path / "legacy" / "1.0.0"
    shutil.copytree(base, legacy)
    manifest = json.loads((legacy / "manifest.json").read_text("utf-8"))
    del manifest["schema_definition"]
    (legacy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    info = read_version_info(legacy)
    assert not info.schema_recorded
    assert list(info.schema["layers"]["entities"]["labels"])[:3] == ["PERS", "NORP", "OCC"]
    result = diff(legacy, new)
    # The added label is seen in the ClassLabel names; the definition change cannot be.
    assert [(c.kind, c.name) for c in result.schema] == [("added", "entities/MISC")]


def test_documents_stream_in_sorted_id_order(tmp_path: Path) -> None:
    def three(corpus: CorpusCopy) -> None:
        doc = corpus.doc
        corpus.documents[:] = [dict(copy.deepcopy(doc), id=doc_id) for doc_id in ("c-doc", "a-doc", "b-doc")]

    old = variant(tmp_path / "old", three, "1.0.0")

    def relabel_each(corpus: CorpusCopy) -> None:
        three(corpus)
        for doc in corpus.documents:
            corpus.span("T2", doc)["label"] = "GPE"
        corpus.recipe["split"] = {"train": 0.5, "test": 0.5}

    new = variant(tmp_path / "new", relabel_each, "2.0.0")
    diffs = list(iter_document_diffs(old, new))
    assert [d.doc_id for d in diffs] == ["a-doc", "b-doc", "c-doc"]
    assert all(len(d.spans) == 1 and d.spans[0].kind == "relabelled" for d in diffs)
    splits = {d.doc_id: d.new_split for d in diffs}
    moved = [d.doc_id for d in diffs if d.split_changed]
    assert moved == sorted(doc_id for doc_id, split in splits.items() if split == "train")


def test_not_a_version(tmp_path: Path, base: Path) -> None:
    with pytest.raises(InputError) as info:
        diff(tmp_path, base)
    assert info.value.problem.code == "not-a-version"
    assert info.value.problem.path == str(tmp_path)


# ---------------------------------------------------------------------------------------------
# Offset mapping (property) and renderings
# ---------------------------------------------------------------------------------------------


_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ابت مو", max_size=40), st.text(alphabet="ابت مو", max_size=40))
def test_alignment_reproduces_the_new_text_and_maps_monotonically(old: str, new: str) -> None:
    ops = _opcodes(old, new)
    rebuilt = "".join(new[j1:j2] if tag != "equal" else old[i1:i2] for tag, i1, i2, j1, j2 in ops)
    assert rebuilt == new
    # Contiguous cover of both texts.
    assert [(op[1], op[3]) for op in ops[1:]] == [(op[2], op[4]) for op in ops[:-1]]
    assert (ops[0][1], ops[0][3], ops[-1][2], ops[-1][4]) == (0, 0, len(old), len(new)) if ops else old == new == ""
    offsets = _OffsetMap(ops)
    for start in range(len(old)):
        for end in range(start + 1, len(old) + 1):
            assert 0 <= offsets.start(start) <= offsets.end(end) <= len(new)
            if all(tag == "equal" or i2 <= start or i1 >= end for tag, i1, i2, _, _ in ops):
                assert new[offsets.start(start):offsets.end(end)] == old[start:end]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_LETTERS), unique=True, max_size=20).map("".join), st.data())
def test_spans_outside_an_edit_keep_their_text(old: str, data: st.DataObject) -> None:
    # Distinct letters, and a replacement drawn from other characters: the edit is unambiguous.
    cut = sorted(data.draw(st.lists(st.integers(0, len(old)), min_size=2, max_size=2)))
    replacement = data.draw(st.text(alphabet="0123 ", max_size=5))
    new = old[:cut[0]] + replacement + old[cut[1]:]
    offsets = _OffsetMap(_opcodes(old, new))
    for start in range(len(old)):
        for end in range(start + 1, len(old) + 1):
            if end <= cut[0] or start >= cut[1]:
                assert new[offsets.start(start):offsets.end(end)] == old[start:end]
            else:  # a span around the edit covers all of it
                assert offsets.start(start) <= cut[0] + (start - cut[0] if start < cut[0] else 0)
                assert new[offsets.start(start):offsets.end(end)].find(replacement) >= 0


def test_renderings(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        corpus.span("T2")["label"] = "GPE"
        edit_text(corpus.doc, LOOKALIKE_OFFSET, LOOKALIKE_OFFSET + 1, "ي")

    result = diff(base, variant(tmp_path, edit, "2.0.0"), max_examples=1)
    data = json.loads(result.to_json())
    assert data["required_bump"]["bump"] == "MAJOR"
    assert [r["key"] for r in data["required_bump"]["reasons"]] == ["text", "span relabelled"]
    assert data["documents"]["text_changed"] == [DOC_ID]
    assert data["spans"]["relabelled"] == [{"layer": "entities", "old": "NORP", "new": "GPE", "count": 1}]
    markdown = result.to_markdown()
    assert markdown.startswith("# sana-sample 1.0.0 → 2.0.0\n")
    assert "**Required bump: MAJOR (document text changed); 2.0.0 is a MAJOR bump: ok.**" in markdown
    assert "| entities | GPE | 15 | 16 | 0 | 0 | 0 | 1 | 0 |" in markdown
    assert "| entities | NORP | 29 | 28 | 0 | 0 | 1 | 0 | 0 |" in markdown
    entry = changelog_entry(result, date="2026-01-31")
    assert entry.startswith("## [2.0.0] - 2026-01-31\n")
    assert "### Changed\n\n- Text of 1 document.\n  - `" + DOC_ID + "`: «فิصل» → «فيصل» at 443" in entry
    assert "### Fixed\n\n- 1 span relabelled: entities NORP → GPE 1." in entry
    assert "### Added" not in entry and "### Removed" not in entry


def test_changelog_is_idempotent_and_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    first = "## [1.0.0] - 2026-01-01\n\nFirst version.\n"
    second = "## [1.1.0] - 2026-02-01\n\nMore.\n"
    assert prepend_changelog(path, second, name="x")
    assert prepend_changelog(path, first, name="x")  # written later, but it is the older version
    text = path.read_text("utf-8")
    assert text.startswith(CHANGELOG_PREAMBLE.format(name="x"))
    assert text.index("## [1.1.0]") < text.index("## [1.0.0]")
    assert not prepend_changelog(path, second, name="x")
    # Rewriting an entry replaces it and keeps its date.
    assert prepend_changelog(path, "## [1.1.0] - 2026-03-01\n\nMore, corrected.\n", name="x")
    text = path.read_text("utf-8")
    assert text.count("## [1.1.0]") == 1 and "## [1.1.0] - 2026-02-01\n\nMore, corrected.\n" in text
    assert "More.\n" not in text and "## [1.0.0] - 2026-01-01\n\nFirst version.\n" in text
    # An [Unreleased] section stays on top.
    path.write_text(text.replace("## [1.1.0]", "## [Unreleased]\n\n- wip\n\n## [1.1.0]"), encoding="utf-8")
    prepend_changelog(path, "## [1.2.0] - 2026-04-01\n\nNewest.\n", name="x")
    text = path.read_text("utf-8")
    assert text.index("## [Unreleased]") < text.index("## [1.2.0]") < text.index("## [1.1.0]")
