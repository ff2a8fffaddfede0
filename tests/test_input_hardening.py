"""Every hostile or careless input shape of issue 13 is a clean read or a problem with file and line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dataset_builder.config import BuildConfig
from dataset_builder.input_limits import InputLimits, JsonLimitError, loads_checked
from dataset_builder.model import Document, Span, Unreadable
from dataset_builder.pipeline import build, validate_inputs
from dataset_builder.problems import InputError, Severity
from dataset_builder.readers import read
from dataset_builder.readers.brat import read_brat
from dataset_builder.readers.jsonl import read_jsonl
from dataset_builder.readers.labelstudio import read_labelstudio
from dataset_builder.recipe import load_recipe
from dataset_builder.schema import load_schema
from dataset_builder.validate import validate_document
from eval.predictions import load_predictions

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample"
SCHEMA = load_schema(SANA / "schema.yaml")
GOLD_LINE = json.loads((SANA / "sana-sample.jsonl").read_text(encoding="utf-8").splitlines()[0])
GOLD = {GOLD_LINE["id"]: next(iter(read_jsonl(SANA / "sana-sample.jsonl")))}


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _jsonl(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "docs.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    return path


def _only_unreadable(items: list) -> Unreadable:
    (item,) = items
    assert isinstance(item, Unreadable), item
    return item


# ------------------------------------------------------------------------------------------ JSON


@pytest.mark.parametrize("depth", [600, 5000])
def test_deeply_nested_metadata_extra_is_refused_with_its_line(tmp_path: Path, depth: int) -> None:
    line = '{"id": "d", "text": "x", "metadata": {"extra": {"deep": ' + _nested(depth) + "}}}"
    item = _only_unreadable(list(read_jsonl(_jsonl(tmp_path, line))))
    (problem,) = item.problems
    assert problem.code == "jsonl-json-too-deep" and problem.line == 1 and problem.path.endswith("docs.jsonl")


def test_nesting_limit_is_a_setting() -> None:
    value = '{"extra": ' + _nested(10) + "}"
    with pytest.raises(JsonLimitError):
        loads_checked(value, InputLimits(max_json_depth=5))
    assert loads_checked(value, InputLimits(max_json_depth=20))["extra"]


@pytest.mark.parametrize("where", ["text", "span label"])
def test_lone_surrogate_is_refused_before_it_reaches_a_writer(tmp_path: Path, where: str) -> None:
    doc = {"id": "d", "text": "abc\\ud800" if where == "text" else "abc",
           "spans": [{"id": "T1", "layer": "entities", "start": 0, "end": 1,
                      "label": "PERS\\udc00" if where != "text" else "PERS"}]}
    line = json.dumps(doc).replace("\\\\u", "\\u")
    item = _only_unreadable(list(read_jsonl(_jsonl(tmp_path, line))))
    assert item.problems[0].code == "jsonl-json-lone-surrogate"
    json.dumps([p.to_dict() for p in item.problems], ensure_ascii=False).encode("utf-8")  # writable


def test_a_surrogate_pair_is_a_character_not_a_problem(tmp_path: Path) -> None:
    (doc,) = read_jsonl(_jsonl(tmp_path, '{"id": "d", "text": "\\ud83d\\ude00 x"}'))
    assert isinstance(doc, Document) and doc.text == "\U0001F600 x"


def test_duplicate_spans_key_is_an_error_not_a_silent_loss(tmp_path: Path) -> None:
    span = '{"id": "T1", "layer": "entities", "start": 0, "end": 1, "label": "PERS"}'
    line = f'{{"id": "d", "text": "ab", "spans": [{span}], "spans": []}}'
    item = _only_unreadable(list(read_jsonl(_jsonl(tmp_path, line))))
    assert item.problems[0].code == "jsonl-duplicate-key" and "'spans'" in item.problems[0].message


# ------------------------------------------------------------------------------------------ validation


def _doc(text: str, spans: list[Span], paragraphs: tuple = ()) -> Document:
    from dataset_builder.model import Metadata

    return Document("d", text, Metadata(paragraphs=paragraphs), tuple(spans))


def test_three_thousand_copies_of_a_span_are_one_problem_and_fast() -> None:
    text = "بوتين " * 40_000
    spans = [Span(f"T{i}", "entities", 0, 5, "PERS") for i in range(3000)]
    started = time.process_time()
    problems = validate_document(_doc(text, spans), SCHEMA)
    assert time.process_time() - started < 5  # 40 s before; a sanity bound, not a benchmark
    (duplicate,) = [p for p in problems if p.code == "span-duplicate"]
    assert "2999 spans ('T1', 'T10'," in duplicate.message and "repeat span 'T0'" in duplicate.message
    assert duplicate.span_id == "T1"


def test_two_copies_keep_the_pairwise_wording() -> None:
    spans = [Span("T1", "entities", 0, 5, "PERS"), Span("T2", "entities", 0, 5, "PERS")]
    (problem,) = [p for p in validate_document(_doc("بوتين قال", spans), SCHEMA) if p.code == "span-duplicate"]
    assert problem.message.startswith("span 'T2' repeats span 'T1'") and problem.span_id == "T2"


@pytest.mark.parametrize("pair", [(-1, 3), (0, 99), (5, 2), (0, 2**70)])
def test_paragraph_offsets_outside_the_text_are_errors(pair: tuple[int, int]) -> None:
    (problem,) = validate_document(_doc("بوتين قال", [], (pair,)), SCHEMA)
    assert problem.code == "paragraph-offsets" and problem.is_error and str(pair[0]) in problem.message


def test_span_starting_on_a_combining_mark_is_refused_but_a_proclitic_split_is_not() -> None:
    text = "قال كتابٌ وبوتين"
    inside = Span("T1", "entities", text.index("ٌ"), text.index("ٌ") + 1, "PERS")
    after_proclitic = Span("T2", "entities", text.index("بوتين"), len(text), "PERS")
    problems = validate_document(_doc(text, [inside, after_proclitic]), SCHEMA)
    assert [(p.code, p.span_id) for p in problems if p.is_error] == [("span-inside-grapheme", "T1")]


# ------------------------------------------------------------------------------------------ BRAT


def _brat(tmp_path: Path, ann: str, text: str = "بوتين في موسكو") -> list:
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "a.ann").write_text(ann, encoding="utf-8")
    return list(read_brat(tmp_path))


@pytest.mark.parametrize("line", ["R1\t", "R1\t \t", "R1\tArg1:T1 Arg2:T1"])
def test_brat_relation_without_a_type_is_a_malformed_line(tmp_path: Path, line: str) -> None:
    (doc,) = _brat(tmp_path, "T1\tPERS 0 5\tبوتين\n" + line + "\n")
    codes = [(p.code, p.line) for p in doc.problems]
    assert ("brat-malformed-line", 2) in codes and doc.links == ()


def test_brat_offsets_with_thousands_of_digits(tmp_path: Path) -> None:
    (doc,) = _brat(tmp_path, f"T1\tPERS {'9' * 5000} 3\tx\n")
    (problem,) = doc.problems
    assert problem.code == "brat-malformed-line" and problem.line == 1 and "digits" in problem.message


def test_brat_attributes_and_notes_are_reported_at_validation(tmp_path: Path) -> None:
    (doc,) = _brat(tmp_path, "T1\tPERS 0 5\tبوتين\nA1\tNegated T1\n#1\tAnnotatorNotes T1\tالرئيس\n")
    problems = validate_document(doc, SCHEMA)
    assert [(p.code, p.severity) for p in problems] == [("span-attributes-not-written", Severity.WARNING)]


# ------------------------------------------------------------------------------------------ Label Studio


def _labelstudio(tmp_path: Path, task: dict) -> list:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    return list(read_labelstudio(path))


def _task(**annotation: object) -> dict:
    region = {"id": "a1", "from_name": "label", "to_name": "text", "type": "labels",
              "value": {"start": 0, "end": 5, "text": "بوتين", "labels": ["PERS"]}}
    quote = {"id": "q1", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": 6, "end": 9, "text": "قال", "labels": ["DIRECT"]}}
    result = [region, quote, {"type": "relation", "from_id": "q1", "to_id": "a1", "direction": "right",
                              "labels": annotation.pop("labels", ["speaker"])}]
    return {"id": 1, "data": {"text": "بوتين قال"}, "annotations": [{"id": 1, "result": result, **annotation}]}


@pytest.mark.parametrize(("key", "value"), [("predictions", 5), ("result", 5), ("labels", 5)])
def test_labelstudio_fields_of_the_wrong_type_are_problems(tmp_path: Path, key: str, value: object) -> None:
    task = _task(labels=value) if key == "labels" else _task(**{key: value}) if key == "result" else \
        {**_task(), key: value}
    (doc,) = _labelstudio(tmp_path, task)
    assert isinstance(doc, Document)
    assert all(p.path == str(tmp_path / "export.json") and p.line for p in doc.problems)
    if key != "predictions":
        assert any(p.code == "labelstudio-unknown-shape" for p in doc.problems)


def test_labelstudio_relation_label_given_as_a_string_is_one_link(tmp_path: Path) -> None:
    (doc,) = _labelstudio(tmp_path, _task(labels="speaker"))
    assert [link.type for link in doc.links] == ["speaker"]


def test_labelstudio_decode_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b'[\n{"id": 1,\n "data": {"text": "\xd9"}}]')
    (item,) = read_labelstudio(path)
    assert isinstance(item, Unreadable) and item.problems[0].line == 3


def test_labelstudio_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("[" + _nested(5000) + "]", encoding="utf-8")
    (item,) = read_labelstudio(path)
    assert isinstance(item, Unreadable) and item.problems[0].code == "labelstudio-json-too-deep"


# ------------------------------------------------------------------------------------------ CoNLL


def _conll(tmp_path: Path, content: str, **options: object) -> list:
    path = tmp_path / "x.txt"
    path.write_text(content, encoding="utf-8")
    return list(read(path, "conll", **options))


def test_conll_lines_ending_in_spaces_or_a_tab_read_cleanly(tmp_path: Path) -> None:
    (doc,) = _conll(tmp_path, "قمة O  \nسورية B-GPE\t\nروسية I-GPE \n")
    assert doc.text == "قمة سورية روسية" and not doc.problems
    assert [(s.label, doc.text[s.start:s.end]) for s in doc.spans] == [("GPE", "سورية روسية")]


def test_conll_nul_in_a_token_is_an_error(tmp_path: Path) -> None:
    (doc,) = _conll(tmp_path, "قم\x00ة O\nسورية B-GPE\n")
    (problem,) = doc.problems
    assert (problem.code, problem.line, problem.is_error) == ("conll-token-control", 1, True)


def test_conll_multi_megabyte_token_and_line_are_refused_with_their_line(tmp_path: Path) -> None:
    docs = _conll(tmp_path, "قمة O\n" + "ق" * 3_000_000 + " O\nسورية " + "x" * 200_000 + "\nروسية O\n")
    problems = [p for doc in docs for p in doc.problems]
    assert [(p.code, p.line) for p in problems] == [("conll-line-too-long", 2), ("conll-line-too-long", 3)]
    docs = _conll(tmp_path, "قمة O\n" + "ق" * 6_000 + " O\n", limits=InputLimits(max_token_chars=5_000))
    assert [(p.code, p.line) for doc in docs for p in doc.problems] == [("conll-token-too-long", 2)]


def test_conll_with_1500_columns_is_refused_fast(tmp_path: Path) -> None:
    started = time.process_time()
    (item,) = _conll(tmp_path, ("قمة " + "O " * 1500 + "\n") * 100)
    assert time.process_time() - started < 5
    assert isinstance(item, Unreadable)
    assert [p.code for p in item.problems][:2] == ["conll-too-many-columns"] * 2
    assert item.problems[0].line == 1


def test_pseudo_token_only_sentence_reports_its_lost_mention(tmp_path: Path) -> None:
    (doc,) = _conll(tmp_path, "قمة O\n\n$#$ B-GPE\n$#$ I-GPE\n\nإعلان O\n", pseudo_tokens=["$#$"])
    assert doc.text == "قمة\nإعلان" and doc.spans == ()
    assert [(p.code, p.line) for p in doc.problems] == [("conll-pseudo-token-mention", 3)]


def test_limits_reach_the_reader_from_a_recipe(tmp_path: Path) -> None:
    (tmp_path / "x.conll").write_text("قمة O\nسورية B-GPE\n", encoding="utf-8")
    (tmp_path / "schema.yaml").write_bytes((SANA / "schema.yaml").read_bytes())
    (tmp_path / "recipe.yaml").write_text("name: t\nversion: 0.1.0\nschema: schema.yaml\ninputs: [x.conll]\n"
                                          "limits: {max_token_chars: 3}\n", encoding="utf-8")
    config = BuildConfig.from_recipe(tmp_path / "recipe.yaml", {"progress": False})
    assert config.limits == InputLimits(max_token_chars=3)
    result = validate_inputs(config.inputs, config.schema, limits=config.limits)
    assert result.by_code.get("conll-token-too-long") == 1


def test_a_bad_limit_in_a_recipe_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "schema.yaml").write_bytes((SANA / "schema.yaml").read_bytes())
    (tmp_path / "x.jsonl").write_text("", encoding="utf-8")
    for limits, word in (("{max_columns: 1}", "max_columns"), ("{max_colums: 5}", "max_colums")):
        (tmp_path / "recipe.yaml").write_text("name: t\nversion: 0.1.0\nschema: schema.yaml\ninputs: [x.jsonl]\n"
                                              f"limits: {limits}\n", encoding="utf-8")
        with pytest.raises(InputError) as caught:
            load_recipe(tmp_path / "recipe.yaml")
        assert caught.value.problem.path == str(tmp_path / "recipe.yaml") and word in str(caught.value)


# ------------------------------------------------------------------------------------------ eval


def _predictions(tmp_path: Path, spans: object, links: object = None) -> list[tuple[str, int | None]]:
    line = {"id": GOLD_LINE["id"], "spans": spans}
    if links is not None:
        line["links"] = links
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return [(p.code, p.line) for p in load_predictions(path, fmt="jsonl").problems]


@pytest.mark.parametrize("field", [{"layer": {}}, {"layer": 1}, {"id": [1]}, {"text": 5}])
def test_eval_mention_fields_of_the_wrong_type(tmp_path: Path, field: dict) -> None:
    assert _predictions(tmp_path, [{"start": 0, "end": 3, "label": "PERS", **field}]) == [("predictions-span", 1)]


def test_eval_links_that_are_not_a_list(tmp_path: Path) -> None:
    assert _predictions(tmp_path, [], True) == [("predictions-link", 1)]


def test_eval_offsets_too_large_for_c_long(tmp_path: Path) -> None:
    assert _predictions(tmp_path, [{"start": 2**63, "end": 2**64, "label": "PERS"}]) == [("predictions-offsets", 1)]


@pytest.mark.parametrize("fmt", ["jsonl", "mentions"])
def test_eval_predictions_not_utf8_or_too_deep(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"id": "x", "spans": []}\n{"id": "\xd9"}\n')
    with pytest.raises(InputError) as caught:
        load_predictions(path, fmt=fmt, documents=GOLD)
    assert (caught.value.problem.code, caught.value.problem.line) == ("predictions-not-utf8", 2)
    path.write_text('{"id": "x", "spans": ' + _nested(3000) + "}\n", encoding="utf-8")
    problems = load_predictions(path, fmt=fmt, documents=GOLD).problems
    assert [(p.code, p.line) for p in problems][:1] == [("predictions-json-too-deep", 1)]


def test_non_utf8_conll_on_the_non_fast_eval_path_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "p.conll"
    path.write_bytes("قمة O O\nسورية B-GPE B-GPE\n".encode() + b"\xd9\xff B-GPE O\n")
    with pytest.raises(InputError) as caught:
        load_predictions(path, fmt="conll")
    assert caught.value.problem.path == str(path) and caught.value.problem.line == 3


# ------------------------------------------------------------------------------------------ a build


def test_build_counts_every_hostile_line_as_read_and_rejected(tmp_path: Path) -> None:
    lines = [json.dumps(GOLD_LINE, ensure_ascii=False),
             '{"id": "deep", "text": "x", "metadata": {"extra": {"d": ' + _nested(600) + "}}}",
             '{"id": "sur", "text": "\\ud800"}',
             '{"id": "para", "text": "x", "metadata": {"paragraphs": [[0, 99]]}}']
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = BuildConfig(inputs=(source,), schema=SCHEMA, name="hostile", version="0.1.0", out_dir=tmp_path / "out",
                         progress=False)
    report = build(config)
    documents = report.to_dict()["documents"]
    assert documents == {"read": 4, "written": 1, "rejected": 3}
    rejects = (report.version_dir / "rejects.jsonl").read_text(encoding="utf-8")
    assert all(code in rejects for code in ("jsonl-json-too-deep", "jsonl-json-lone-surrogate", "paragraph-offsets"))


def test_eval_conll_tags_of_another_scheme_are_a_problem_on_their_sentence(tmp_path: Path) -> None:
    path = tmp_path / "p.conll"
    path.write_text("قمة O O\nسورية B-PERS L-PERS\n\nإعلان B-GPE B-GPE\n", encoding="utf-8")
    predictions = load_predictions(path, fmt="conll")
    assert [(p.code, p.line) for p in predictions.problems] == [("conll-tag", 1)]
    assert [(m.doc_id, m.label) for m in predictions.mentions] == [("1", "GPE")]  # the other sentence is scored


def test_repeated_builds_leave_no_mlcroissant_metadata_behind(tmp_path: Path) -> None:
    from mlcroissant._src.core.rdf import Rdf

    from dataset_builder.croissant import write_croissant

    config = BuildConfig.from_recipe(SANA / "recipe.yaml", {"progress": False, "out_dir": tmp_path})
    for number in range(2):
        report = build(config.replace(version=f"1.0.{number}"))
        # validating with mlcroissant (as export does) memoizes Rdf methods per instance: ~10 MB per
        # call stayed alive before
        write_croissant(report.version_dir, schema=config.schema, out_path=tmp_path / "croissant.json", validate=True)
        assert Rdf.shorten_key.cache_info().currsize == 0 and Rdf.reverse_context.cache_info().currsize == 0
