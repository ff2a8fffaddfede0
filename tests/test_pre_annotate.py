"""`akhbar annotate export --pre-annotate MODEL`: a built-in baseline trained on a built version (the bundled
corpus built with the real pipeline), the LLM runner's output, and the resolution rule with its usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.annotate.export import export_files, schema_layer_of
from dataset_builder.annotate.pre_annotate import PreAnnotator, pre_annotations
from dataset_builder.cli import app
from dataset_builder.model import Document
from dataset_builder.problems import ExitCode, InputError
from dataset_builder.readers import read
from dataset_builder.readers.jsonl import write_jsonl
from dataset_builder.schema import load_schema
from eval.gold import load_gold

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
SCHEMA_PATH = REPO / "corpora" / "sana-sample" / "schema.yaml"
ASTRAL = "😀𝕏 "  # two characters outside the BMP: each is two UTF-16 code units
# The bundled corpus is all `test` (its recipe keeps it out of any training split), so the baselines
# learn from that split here.
TRAIN_SPLIT = "test"


def _with_an_astral_copy(tmp_path: Path) -> Path:
    """The bundled article and a copy with two astral characters before its text (UTF-16 offsets differ)."""
    [sana] = read(SANA)
    moved = tuple(replace(s, start=s.start + len(ASTRAL), end=s.end + len(ASTRAL)) for s in sana.spans)
    shifted = Document("sana-after-emoji", ASTRAL + sana.text, spans=moved, links=sana.links)
    path = tmp_path / "articles.jsonl"
    write_jsonl([sana, shifted], path)
    return path


def _utf16_slice(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")


def _export(*args: str) -> object:
    return CliRunner().invoke(app, ["annotate", "export", *args, "--schema", str(SCHEMA_PATH)])


@pytest.fixture(scope="module")
def train_names(sana_version: Path) -> set[str]:
    """The surface texts of the entity mentions of the training split."""
    gold = load_gold(sana_version, split=TRAIN_SPLIT)
    return {doc.text[s.start:s.end] for doc in gold.documents for s in doc.spans if s.layer == "entities"}


@pytest.mark.parametrize("model", ["gazetteer", "linear"])
def test_labelstudio_predictions_from_a_baseline_are_real_spans_marked_with_the_model(
        model: str, sana_version: Path, train_names: set[str], tmp_path: Path) -> None:
    articles = _with_an_astral_copy(tmp_path)
    result = _export(str(articles), "--to", "labelstudio", "--out", str(tmp_path / "ls"), "--pre-annotate", model,
                     "--train", str(sana_version), "--train-split", TRAIN_SPLIT)
    assert result.exit_code == 0, result.output
    tasks = {task["id"]: task for task in json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))}
    assert set(tasks) == {"sana-2021-09-14-assad-putin-moscow", "sana-after-emoji"}
    predicted = 0
    for task in tasks.values():
        [prediction] = task["predictions"]
        assert prediction["model_version"] == f"{model}@sana-sample/1.0.0:{TRAIN_SPLIT}"
        regions = prediction["result"]
        assert regions and {r["from_name"] for r in regions} == {"entities"}
        for region in regions:
            value = region["value"]
            assert _utf16_slice(task["data"]["text"], value["start"], value["end"]) == value["text"], region
        # names the baseline learned from the training split come back as predictions
        assert len({r["value"]["text"] for r in regions} & train_names) >= 10
        assert len(task["annotations"][0]["result"]) == 126 + 12  # the gold went along as the annotation
        predicted += len(regions)
    assert f"{predicted} pre-annotation(s)" in result.output
    # the same spans in both copies: the astral prefix moved every UTF-16 offset by two code units more
    first, shifted = (tasks[i]["predictions"][0]["result"] for i in ("sana-2021-09-14-assad-putin-moscow",
                                                                        "sana-after-emoji"))
    assert [r["value"]["start"] + len(ASTRAL) + 2 for r in first] == [r["value"]["start"] for r in shifted]


def test_importing_the_labelstudio_export_keeps_pre_annotations_apart(sana_version: Path, tmp_path: Path) -> None:
    result = _export(str(SANA), "--out", str(tmp_path), "--pre-annotate", "gazetteer", "--train", str(sana_version),
                     "--train-split", TRAIN_SPLIT)
    assert result.exit_code == 0, result.output
    [sana] = read(SANA)
    [back] = read(tmp_path / "tasks.json", "labelstudio", layer_of=schema_layer_of(load_schema(SCHEMA_PATH)))
    gold = sorted((s.layer, s.start, s.end, s.label) for s in sana.spans)
    assert sorted((s.layer, s.start, s.end, s.label) for s in back.spans) == gold  # annotations only
    assert [p.code for p in back.problems if p.code == "labelstudio-predictions-ignored"]


def test_brat_pre_annotations_from_a_baseline_carry_the_model(sana_version: Path, train_names: set[str],
                                                              tmp_path: Path) -> None:
    [sana] = read(SANA)
    raw = tmp_path / "raw.jsonl"
    write_jsonl([replace(sana, spans=(), links=())], raw)
    result = _export(str(raw), "--to", "brat", "--out", str(tmp_path / "brat"), "--pre-annotate", "gazetteer",
                     "--train", str(sana_version), "--train-split", TRAIN_SPLIT)
    assert result.exit_code == 0, result.output
    ann = (tmp_path / "brat" / f"{sana.id}.ann").read_text(encoding="utf-8").splitlines()
    spans = [line.split("\t") for line in ann if line.startswith("T")]
    notes = [line for line in ann if line.startswith("#")]
    assert spans and len(notes) == len(spans)
    assert all(note.endswith("\tpre-annotation: gazetteer@sana-sample/1.0.0:test") for note in notes)
    for _, label_and_offsets, surface in spans:
        _, start, end = label_and_offsets.split()
        assert sana.text[int(start):int(end)] == surface
    assert len({surface for *_, surface in spans} & train_names) >= 10
    [back] = read(tmp_path / "brat", "brat", layer_of=schema_layer_of(load_schema(SCHEMA_PATH)))
    assert len(back.spans) == len(spans)


def test_the_api_gives_the_same_pre_annotations_as_the_benchmark_model(sana_version: Path) -> None:
    from eval.benchmark import build_model
    from eval.model import run_model

    train = load_gold(sana_version, split=TRAIN_SPLIT)
    spec = PreAnnotator.resolve("gazetteer", train=sana_version, train_split=TRAIN_SPLIT)
    assert spec == PreAnnotator("baseline", "gazetteer", sana_version, TRAIN_SPLIT)
    made = pre_annotations(train.documents, spec)
    expected = run_model(build_model("gazetteer", train, layer="entities"), train.documents, progress=False)
    assert made.model_version == "gazetteer@sana-sample/1.0.0:test"
    assert sorted((doc_id, s.start, s.end, s.label) for doc_id, spans in made.spans.items() for s in spans) == \
        sorted((m.doc_id, m.start, m.end, m.label) for m in expected)
    renamed = pre_annotations(train.documents, replace(spec, model_version="gazetteer-v1"))
    assert renamed.model_version == "gazetteer-v1" and renamed.n_spans == made.n_spans == len(expected)


def test_pre_annotations_from_the_llm_runners_output(sana_version: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """What `akhbar predict --out FILE` writes for an LLM (here answering the gold) pre-annotates as it is."""
    pytest.importorskip("openai")
    from eval.runners import RunSettings, predict
    from eval.runners.prompts import LabelInventory, answer_of
    from tests.openai_server import OpenAIServer

    gold = load_gold(sana_version)
    inventory = LabelInventory.from_documents(gold.documents)
    answers = {doc.text: json.dumps(answer_of(doc, inventory), ensure_ascii=False) for doc in gold.documents}
    monkeypatch.setenv("OPENAI_API_KEY", "sk-AkhbarFakeKeyDoNotPrint0123456789")
    with OpenAIServer(lambda message: answers.get(message, '{"mentions": []}')) as server:
        run = predict(sana_version, RunSettings(model="openai:test-model", base_url=server.base_url,
                                                cache=str(tmp_path / "cache.sqlite"), timeout=5.0),
                      out=tmp_path / "llm.jsonl")
    export, problems = export_files([SANA], SCHEMA_PATH, tmp_path / "ls", pre_annotate=run.out)
    assert not [p for p in problems if p.is_error]
    [task] = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    [prediction] = task["predictions"]
    assert prediction["model_version"] == "llm.jsonl" == export.model_version
    [sana] = read(SANA)
    placed = {(r["from_name"], r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
              for r in prediction["result"]}
    gold = {(s.layer, s.start, s.end, s.label) for s in sana.spans}
    # the model answered the gold mentions and quotes by their text: placed on the text, they are the gold spans
    assert placed == gold and export.n_pre_annotations == len(gold) == 126


@pytest.mark.parametrize("args, code, fix", [
    (["--pre-annotate", "gazeteer"], "pre-annotate-unknown", "gazetteer, linear with --train VERSION_DIR"),
    (["--pre-annotate", "linear"], "pre-annotate-needs-train", "Pass --train out/NAME/VERSION"),
    (["--pre-annotate", str(SANA), "--train", "{version}"], "pre-annotate-train-unused", "Drop --train"),
    (["--train", "{version}"], "pre-annotate-train-unused", "Add --pre-annotate gazetteer"),
    (["--pre-annotate", "gazetteer", "--train", "{version}"], "gold-split", "Pass --train-split with one of"),
])
def test_pre_annotate_usage_errors_say_what_to_pass(args: list[str], code: str, fix: str, sana_version: Path,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _export(str(SANA), "--out", str(out), *[a.format(version=sana_version) for a in args])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"error[{code}]" in result.output and fix in result.output and "Traceback" not in result.output
    assert not out.exists()  # nothing written


def test_an_unknown_name_is_refused_by_the_api_too() -> None:
    with pytest.raises(InputError) as info:
        PreAnnotator.resolve("crf")
    assert info.value.problem.code == "pre-annotate-unknown" and "gazetteer, linear" in info.value.problem.message


def test_exporting_without_pre_annotation_imports_nothing_of_eval(tmp_path: Path) -> None:
    """The command's own eval imports wait for --pre-annotate: loading the CLI registers eval's commands, and an
    export without pre-annotation adds no eval module to those."""
    code = (f"import sys\nfrom typer.testing import CliRunner\nfrom dataset_builder.cli import app\n"
            f"loaded = set(sys.modules)\n"
            f"r = CliRunner().invoke(app, ['annotate', 'export', {str(SANA)!r}, '--schema', {str(SCHEMA_PATH)!r}, "
            f"'--out', {str(tmp_path)!r}])\nassert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in set(sys.modules) - loaded if m.split('.')[0] in ('eval', 'datasets', 'sklearn')) "
            "or 'none')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def test_the_help_names_the_baselines_and_the_runners_output() -> None:
    result = CliRunner().invoke(app, ["annotate", "export", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for words in ("FILE|gazetteer|linear", "--train VERSION_DIR", "--train-split", "akhbar predict --out",
                  "--pre-annotate gazetteer --train out/newsfane-gold/1.0.0"):
        assert words in result.output, words


def test_layer_chooses_what_the_baseline_learns_and_predicts(sana_version: Path, tmp_path: Path) -> None:
    result = _export(str(SANA), "--to", "labelstudio", "--out", str(tmp_path / "ls"), "--pre-annotate", "linear",
                     "--train", str(sana_version), "--train-split", TRAIN_SPLIT, "--layer", "quotes")
    assert result.exit_code == 0, result.output
    [task] = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    [prediction] = task["predictions"]
    regions = prediction["result"]
    assert regions and {r["from_name"] for r in regions} == {"quotes"}
    assert {r["value"]["labels"][0] for r in regions} <= {"DIRECT", "INDIRECT"}
    unknown = _export(str(SANA), "--out", str(tmp_path / "no"), "--pre-annotate", "gazetteer",
                      "--train", str(sana_version), "--train-split", TRAIN_SPLIT, "--layer", "events")
    assert unknown.exit_code == ExitCode.USAGE and "Traceback" not in unknown.output
    assert "layer 'events' is not a layer of the training data" in unknown.output
    assert "Pass --layer with one of: entities, quotes" in unknown.output
    assert not (tmp_path / "no").exists()
