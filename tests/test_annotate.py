"""Annotation round trip (Label Studio, BRAT), pre-annotation, adjudication and the card of adjudicated gold,
on the bundled corpus and a second annotation of it (tests/fixtures/annotation/sana-annotator-b.jsonl)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.annotate.adjudicate import adjudicate, adjudicate_files, read_adjudication_record
from dataset_builder.annotate.export import (
    brat_annotation_conf,
    export_files,
    export_for_annotation,
    labelstudio_config,
    pre_annotations_from_file,
    schema_layer_of,
)
from dataset_builder.cli import app
from dataset_builder.model import Document, Link, Span
from dataset_builder.problems import ExitCode, InputError
from dataset_builder.readers import read
from dataset_builder.schema import load_schema
from eval.options import BootstrapOptions

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
SCHEMA_PATH = REPO / "corpora" / "sana-sample" / "schema.yaml"
ANNOTATOR_B = REPO / "tests" / "fixtures" / "annotation" / "sana-annotator-b.jsonl"
ASTRAL = "😀𝕏 "  # two characters outside the BMP: each is two UTF-16 code units


@pytest.fixture(scope="module")
def schema():
    return load_schema(SCHEMA_PATH)


@pytest.fixture(scope="module")
def sana() -> list[Document]:
    return list(read(SANA))


@pytest.fixture(scope="module")
def annotator_b() -> list[Document]:
    return list(read(ANNOTATOR_B))


def _shifted(doc: Document, prefix: str, doc_id: str) -> Document:
    """The document with ``prefix`` before its text, every span moved along."""
    spans = tuple(replace(s, start=s.start + len(prefix), end=s.end + len(prefix)) for s in doc.spans)
    return Document(doc_id, prefix + doc.text, spans=spans, links=doc.links)


def _content(doc: Document) -> tuple[list[tuple], list[tuple]]:
    """Spans and links by what they are (ids differ between formats)."""
    by_id = {s.id: (s.layer, s.start, s.end, s.label) for s in doc.spans}
    return sorted(by_id.values()), sorted((ln.type, by_id[ln.source], by_id[ln.target]) for ln in doc.links)


@pytest.mark.parametrize("target", ["labelstudio", "brat"])
def test_round_trip_gives_the_same_spans_and_links(target: str, sana, schema, tmp_path: Path) -> None:
    documents = [*sana, _shifted(sana[0], ASTRAL, "sana-after-emoji")]
    result = export_for_annotation(documents, schema, tmp_path, to=target)
    assert result.n_documents == 2 and result.n_spans == 2 * len(sana[0].spans)
    source = tmp_path / "tasks.json" if target == "labelstudio" else tmp_path
    back = {doc.id: doc for doc in read(source, target, layer_of=schema_layer_of(schema))}
    assert set(back) == {doc.id for doc in documents}
    for doc in documents:
        assert back[doc.id].text == doc.text
        assert _content(back[doc.id]) == _content(doc)
        assert not [p for p in back[doc.id].problems if p.is_error]
    assert len(_content(sana[0])[1]) == 12  # the speaker links made the trip too


def test_labelstudio_offsets_are_utf16_code_units(sana, schema, tmp_path: Path) -> None:
    shifted = _shifted(sana[0], ASTRAL, "astral")
    export_for_annotation([shifted], schema, tmp_path)
    task = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))[0]
    first = min(shifted.spans, key=lambda s: s.start)
    region = next(r for r in task["annotations"][0]["result"] if r.get("id") == first.id)
    # two astral characters before every span: two extra code units
    assert region["value"]["start"] == first.start + 2
    assert region["value"]["end"] == first.end + 2
    assert region["value"]["text"] == shifted.text[first.start:first.end]


def test_labelstudio_config_is_generated_from_the_schema(schema) -> None:
    root = ET.fromstring(labelstudio_config(schema))
    assert "rtl" in root.get("style", "")
    controls = {c.get("name"): c for c in root.iter("Labels")}
    assert set(controls) == set(schema.layer_names)
    for layer in schema.layers:
        hints = {label.get("value"): label.get("hint") for label in controls[layer.name].iter("Label")}
        assert hints == {label.name: label.definition for label in layer.labels}
        assert controls[layer.name].get("toName") == "text"
    assert [r.get("value") for r in root.iter("Relation")] == ["speaker"]
    text = next(root.iter("Text"))
    assert (text.get("name"), text.get("value")) == ("text", "$text")


def test_brat_annotation_conf_lists_every_label_and_the_link_types(schema) -> None:
    conf = brat_annotation_conf(schema)
    entities = conf.split("[entities]")[1].split("[relations]")[0]
    names = [line for line in entities.splitlines() if line and not line.startswith("#")]
    assert sorted(names) == sorted(schema_layer_of(schema))
    assert "speaker\tArg1:DIRECT|INDIRECT, Arg2:PERS" in conf


def test_pre_annotations_go_in_as_predictions(sana, schema, tmp_path: Path) -> None:
    raw = [replace(sana[0], spans=(), links=())]
    pre = pre_annotations_from_file(ANNOTATOR_B, raw)
    result = export_for_annotation(raw, schema, tmp_path, pre_annotations=pre, model_version="annotator-b")
    assert result.n_pre_annotations == 120 and result.n_spans == 0
    task = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))[0]
    assert "annotations" not in task
    [prediction] = task["predictions"]
    assert prediction["model_version"] == "annotator-b"
    assert len(prediction["result"]) == 120
    # our reader treats predictions as not annotated: an unannotated task is not gold "no entities"
    [back] = read(tmp_path / "tasks.json", "labelstudio")
    assert not back.spans and any(p.code == "labelstudio-unannotated" for p in back.problems)


def test_brat_pre_annotations_carry_a_note(sana, schema, tmp_path: Path) -> None:
    raw = [replace(sana[0], spans=(), links=())]
    export_for_annotation(raw, schema, tmp_path, to="brat", pre_annotations=pre_annotations_from_file(ANNOTATOR_B, raw))
    ann = (tmp_path / f"{sana[0].id}.ann").read_text(encoding="utf-8")
    assert ann.count("AnnotatorNotes") == 120 and "pre-annotation: pre-annotation" in ann
    [back] = read(tmp_path, "brat", layer_of=schema_layer_of(schema))
    assert len(back.spans) == 120


def test_pre_annotations_of_unknown_documents_are_refused(sana, schema, tmp_path: Path) -> None:
    other = [replace(sana[0], id="another-article")]
    with pytest.raises(InputError) as info:
        pre_annotations_from_file(ANNOTATOR_B, other)
    assert info.value.problem.code == "pre-annotations-invalid"


def test_export_reads_a_built_version(sana_version: Path, schema, tmp_path: Path) -> None:
    result, problems = export_files([sana_version], schema, tmp_path, to="brat")
    assert not problems and result.n_documents == 1 and result.n_spans == len(next(iter(read(SANA))).spans)


@pytest.fixture(scope="module")
def sana_version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import _build_sana

    return _build_sana(tmp_path_factory.mktemp("sana"), "1.0.0")


# --- adjudication ---------------------------------------------------------------------------------


def _reconciles(result) -> None:
    for counts in (result.spans, result.links):
        assert counts.reconciles, counts
    assert result.spans.conflict_votes == sum(c.votes for c in result.conflicts if c.kind == "span")
    assert result.links.conflict_votes == sum(c.votes for c in result.conflicts if c.kind == "link")
    assert result.spans.dropped_votes == sum(len(a.annotators) for a in result.dropped)


def test_majority_of_two_leaves_every_difference_to_a_human(sana, annotator_b) -> None:
    result = adjudicate({"A": sana, "B": annotator_b}, policy="majority")
    _reconciles(result)
    assert result.spans.votes_in == 126 + 120
    assert result.spans.kept == 115 and result.spans.dropped_votes == 0
    # the missed clitic attachment: وبوتين (B) against بوتين (A), one conflict with both alternatives
    clitic = next(c for c in result.conflicts if c.start == 46)
    assert {(a.text, a.annotators) for a in clitic.alternatives} == {("وبوتين", ("B",)), ("بوتين", ("A",))}
    assert "[وبوتين]" in clitic.context
    # the wrong speaker of Putin's quote leaves its link undecided; so does the moved quote boundary, the link
    # of each version of the quote in a conflict of its own (grouped by the quote the link starts from)
    assert {c.start for c in result.conflicts if c.kind == "link"} == {2690, 3044, 3047}
    wrong_speaker = next(c for c in result.conflicts if c.kind == "link" and c.start == 2690)
    assert {(a.text, a.annotators) for a in wrong_speaker.alternatives} == {("بوتين", ("A",)), ("الأسد", ("B",))}
    [doc] = result.documents
    assert all(span.attributes["annotators"] == ("A", "B") for span in doc.spans)


def test_majority_of_three_restores_the_gold(sana, annotator_b) -> None:
    result = adjudicate({"A": sana, "B": annotator_b, "C": sana}, policy="majority")
    _reconciles(result)
    assert not result.conflicts
    assert _content(result.documents[0]) == _content(sana[0])
    assert result.spans.dropped_votes == 5 and result.links.dropped_votes == 2  # B's alone


def test_unanimous_and_prefer(sana, annotator_b) -> None:
    unanimous = adjudicate({"A": sana, "B": annotator_b, "C": sana}, policy="unanimous")
    _reconciles(unanimous)
    assert unanimous.spans.kept == 115 and unanimous.spans.conflict_votes == 2 * 11 + 5
    prefer_b = adjudicate({"A": sana, "B": annotator_b}, policy="prefer:B")
    _reconciles(prefer_b)
    assert _content(prefer_b.documents[0]) == _content(annotator_b[0])
    with pytest.raises(InputError, match="prefer:<annotator>"):
        adjudicate({"A": sana, "B": annotator_b}, policy="prefer:C")


def test_prefer_an_annotator_who_skipped_a_document_leaves_it_in_conflict() -> None:
    text = "قال بوتين في موسكو"
    doc_a = Document("d1", text, spans=(Span("T1", "entities", 4, 9, "PERS"),))
    doc_b = Document("d2", text, spans=(Span("T1", "entities", 13, 18, "GPE"),))
    doc_c = Document("d2", text, spans=(Span("X", "entities", 13, 18, "GPE"), Span("Y", "entities", 4, 9, "PERS")))
    result = adjudicate({"A": [doc_a], "B": [doc_b], "C": [doc_c]}, policy="prefer:A")
    _reconciles(result)
    assert [c.doc_id for c in result.conflicts] == ["d2", "d2"]
    assert result.documents[1].spans == ()


def test_links_with_a_dropped_end_are_dropped() -> None:
    text = "قال بوتين: نحن سعداء"
    quote, speaker = Span("Q", "quotes", 11, 20, "DIRECT"), Span("P", "entities", 4, 9, "PERS")
    with_link = Document("d", text, spans=(quote, speaker), links=(Link("L", "speaker", "Q", "P"),))
    without = Document("d", text, spans=(quote,))
    result = adjudicate({"A": [with_link], "B": [without], "C": [without]}, policy="majority")
    _reconciles(result)
    assert result.links.dropped_votes == 1 and not result.documents[0].links


def test_annotators_must_annotate_the_same_text(sana) -> None:
    other = [replace(sana[0], text=sana[0].text + " ")]
    with pytest.raises(InputError) as info:
        adjudicate({"A": sana, "B": other})
    assert info.value.problem.code == "adjudication-text-differs"
    with pytest.raises(InputError):
        adjudicate({"A": sana})


def test_adjudicated_gold_builds_and_its_card_states_policy_and_agreement(sana, tmp_path: Path) -> None:
    from dataset_builder.card import CardOptions, bundled_card_options
    from dataset_builder.config import BuildConfig
    from dataset_builder.pipeline import build
    from dataset_builder.split import HashSplit

    result, (gold, conflicts, record), problems = adjudicate_files(
        [f"ali={SANA}", f"mona={ANNOTATOR_B}", f"sami={SANA}"], SCHEMA_PATH, tmp_path / "gold.jsonl",
        intervals=BootstrapOptions(resamples=50))
    assert not problems and not result.conflicts
    assert conflicts.read_text(encoding="utf-8") == ""
    saved = read_adjudication_record(record)
    assert saved["policy"] == "majority" and saved["spans"]["in"] == 126 + 120 + 126
    assert saved["agreement"]["pairs"][0]["a"] == "ali"
    options = replace(bundled_card_options(), adjudication=record)
    report = build(BuildConfig([gold], schema=load_schema(SCHEMA_PATH), name="sana-adjudicated", version="1.0.0",
                               split=HashSplit((("test", 1.0),)), out_dir=tmp_path / "out", progress=False,
                               card=options))
    assert report.documents.rejected == 0 and report.spans.written == 126 and report.links.written == 12
    card = (report.version_dir / "README.md").read_text(encoding="utf-8")
    assert "adjudicated from 3 annotators (ali, mona, sami) under the `majority` policy" in card
    assert "Krippendorff's alpha on token tags `entities` 0.988" in card
    assert "ali and mona (1 documents): span F1 `entities` strict 93.7, partial 95.9" in card
    plain = build(BuildConfig([gold], schema=load_schema(SCHEMA_PATH), name="sana-adjudicated", version="1.0.0",
                              split=HashSplit((("test", 1.0),)), out_dir=tmp_path / "plain", progress=False,
                              card=CardOptions()))
    assert "adjudicated from" not in (plain.version_dir / "README.md").read_text(encoding="utf-8")


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_export_agree_adjudicate(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["annotate", "export", str(SANA), "--to", "brat", "--schema", str(SCHEMA_PATH),
                              "--out", str(tmp_path / "brat")])
    assert out.exit_code == 0, out.output
    assert "wrote 1 document(s), 126 span(s), 12 link(s)" in out.output
    agree = runner.invoke(app, ["agree", f"A={tmp_path / 'brat'}", f"B={ANNOTATOR_B}", "--schema", str(SCHEMA_PATH),
                                "--format", "json", "--n-resamples", "50"])
    assert agree.exit_code == 0, agree.output
    figures = json.loads(agree.stdout)
    assert figures["pairs"][0]["scores"]["entities"]["strict"]["micro"]["f1"] == pytest.approx(208 / 222)
    alias = runner.invoke(app, ["agree", f"A={tmp_path / 'brat'}", f"B={ANNOTATOR_B}", "--schema", str(SCHEMA_PATH),
                                "--json", "--n-resamples", "50"])
    assert alias.exit_code == 0 and json.loads(alias.stdout) == figures
    adjudicated = runner.invoke(app, ["adjudicate", str(SANA), str(ANNOTATOR_B), "--schema", str(SCHEMA_PATH),
                                      "--out", str(tmp_path / "gold.jsonl")])
    assert adjudicated.exit_code == 0, adjudicated.output
    assert "spans: 246 in = 230 kept (as 115) + 0 dropped by decision + 16 in conflicts" in adjudicated.output
    back = runner.invoke(app, ["annotate", "export", str(tmp_path / "gold.conflicts.jsonl"), "--schema",
                               str(SCHEMA_PATH), "--out", str(tmp_path / "ls")])
    assert back.exit_code == 0, back.output
    assert "16 span(s)" in back.output


@pytest.mark.parametrize("args, message", [
    (["adjudicate", str(SANA), str(ANNOTATOR_B), "--policy", "vote"], "adjudication-policy"),
    (["agree", str(SANA), str(ANNOTATOR_B), "--format", "pdf"], "agree-format"),
    (["agree", str(SANA), str(SANA)], "annotator-name-twice"),
    (["agree", str(SANA), "missing.jsonl"], "input-missing"),
    (["annotate", "export", str(SANA), "--to", "inception"], "annotate-target"),
])
def test_cli_errors_are_clear(args: list[str], message: str, tmp_path: Path) -> None:
    extra = ["--schema", str(SCHEMA_PATH)]
    if args[0] == "adjudicate" or args[:2] == ["annotate", "export"]:
        extra += ["--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.output and "Traceback" not in result.output


# --- docs/annotation.md ---------------------------------------------------------------------------


def test_the_commands_of_the_annotation_page_run_and_print_what_it_shows(tmp_path: Path, monkeypatch) -> None:
    """Every `akhbar` command of docs/annotation.md's bash blocks, in order, from a folder laid out like the
    repository; the sample outputs of `akhbar agree` and `akhbar adjudicate` are what they print."""
    import re
    import shlex

    page = (REPO / "docs" / "annotation.md").read_text(encoding="utf-8")
    for folder in ("corpora", "tests"):
        (tmp_path / folder).symlink_to(REPO / folder, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", page, flags=re.MULTILINE | re.DOTALL)
    outputs = {}
    for language, body in blocks:
        if language != "bash":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line.split("#", 1)[0])
            if not words:
                continue
            result = CliRunner().invoke(app, words[1:])
            assert result.exit_code == 0, f"{line}\n{result.output}"
            outputs.setdefault(words[1], result.stdout)  # the first of each command has its sample
    samples = [body for language, body in blocks if language == "text"]
    assert samples[0].strip() in outputs["agree"]
    assert outputs["adjudicate"].strip() == samples[1].strip()
    card = (tmp_path / "out" / "sana-adjudicated" / "1.0.0" / "README.md").read_text(encoding="utf-8")
    assert "under the `majority` policy" in card
