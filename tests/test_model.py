"""The Model protocol, run_model's checks and timing, and the gazetteer baseline on the SANA article."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest

from dataset_builder.model import Document, Span
from dataset_builder.text.normalize import normalize_text
from eval.baselines.gazetteer import GazetteerBaseline
from eval.model import Model, ModelRun, run_model
from eval.types import Mention

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "sana-sample" / "sana-sample.jsonl"
DISCUSSED = "وناقش الرئيسان الأسد وبوتين آخر مستجدات الأوضاع.\nوقال فلاديمير بوتين: سعيد جداً"


def _gold_documents() -> list[Document]:
    if not CORPUS.is_file():
        pytest.skip(f"the bundled gold corpus is absent ({CORPUS})")
    from dataset_builder.readers.jsonl import read_jsonl

    docs = list(read_jsonl(CORPUS))
    assert all(isinstance(d, Document) for d in docs)
    return docs


@dataclass
class ScriptedModel:
    """Returns fixed outputs per document id and records how it was called."""

    outputs: dict[str, list[object]]
    name: str = "scripted"
    calls: list[int] = field(default_factory=list)

    def predict(self, documents: Sequence[Document]) -> list[list[object]]:
        self.calls.append(len(documents))
        return [self.outputs.get(doc.id, []) for doc in documents]


def test_gazetteer_satisfies_the_protocol() -> None:
    assert isinstance(GazetteerBaseline.from_entries({"بوتين": "PERS"}), Model)
    assert isinstance(ScriptedModel({}), Model)
    assert not isinstance(object(), Model)


def test_gazetteer_longest_match_proclitic_and_no_match_across_lines() -> None:
    model = GazetteerBaseline.from_entries({"بوتين": "PERS", "فلاديمير بوتين": "PERS", "الاسد": "PERS",
                                            "بوتين آخر": "X", "الأوضاع وقال": "X"})
    doc = Document("d", DISCUSSED)
    spans = model.predict([doc])[0]
    assert [(s.text, s.label) for s in spans] == [
        ("الأسد", "PERS"),  # normalized dictionary entry, published spelling in the span
        ("بوتين آخر", "X"),  # the longest entry wins, after the proclitic و (left outside)
        ("فلاديمير بوتين", "PERS"),
    ]
    assert all(DISCUSSED[s.start:s.end] == s.text for s in spans)
    # "الأوضاع وقال" is not matched: a full stop and a line break lie between the two words.


def test_gazetteer_fit_without_pruning_keeps_every_gold_surface_and_finds_it() -> None:
    docs = _gold_documents()
    model = GazetteerBaseline(min_precision=0.0).fit(docs)
    run = run_model(model, docs, progress=False)
    surfaces = {normalize_text(d.text[s.start:s.end]) for d in docs for s in d.spans if s.layer == "entities"}
    assert len(model) == len(surfaces)
    assert run.problems == []
    assert len(run) > 0
    # Every prediction is a gold surface, and predictions never nest (longest match, left to right).
    assert all(normalize_text(m.text) in surfaces for m in run)
    ordered = sorted(run, key=lambda m: (m.doc_id, m.start))
    assert all(a.doc_id != b.doc_id or a.end <= b.start for a, b in pairwise(ordered))
    # Each outermost gold span is found with its exact boundaries, unless a longer dictionary entry covers it.
    for doc in docs:
        gold = doc.layer("entities")
        spans = [(m.start, m.end) for m in run if m.doc_id == doc.id]
        for span in gold:
            if any(o.start <= span.start and span.end <= o.end and o.length > span.length for o in gold):
                continue  # nested: a flat tagger cannot find it
            inside_longer = any(s <= span.start and span.end <= e and e - s > span.length for s, e in spans)
            assert (span.start, span.end) in spans or inside_longer, span


def test_run_model_rejects_invalid_spans_and_keeps_the_rest() -> None:
    doc = Document("d", DISCUSSED)
    start = DISCUSSED.index("الأسد")
    outputs = {"d": [
        Span("a", "entities", start, start + 5, "PERS", "الأسد"),
        Span("b", "entities", start, start + 5, "PERS", "الاسد"),  # claims another spelling: kept, warned
        Span("c", "entities", 5, 500, "PERS"),  # beyond the text
        Span("d", "entities", 7, 7, "PERS"),  # empty
        Mention("d", 0, 5, "X"),  # duck-typed: has start/end/label/layer
        "not a span",
    ]}
    run = run_model(ScriptedModel(outputs), [doc], progress=False)
    assert [(m.start, m.end, m.label, m.id) for m in run] == [(0, 5, "X", None), (start, start + 5, "PERS", "a"),
                                                              (start, start + 5, "PERS", "b")]
    codes = sorted(p.code for p in run.problems)
    assert codes == ["model-invalid-span", "model-offsets", "model-offsets", "model-text-mismatch"]
    assert all(p.doc_id == "d" for p in run.problems)
    assert next(p for p in run.problems if p.code == "model-text-mismatch").is_error is False


def test_run_model_batches_and_is_independent_of_batch_size() -> None:
    texts = [DISCUSSED, "وأضاف بوتين إنني لا أتكلم الآن", "عقدت في موسكو قمة سورية روسية"]
    docs = [Document(f"d{i}", t) for i, t in enumerate(texts * 3)]
    model = GazetteerBaseline.from_entries({"بوتين": "PERS", "موسكو": "GPE"})
    runs = {}
    for batch_size in (1, 2, 32):
        calls: list[int] = []
        original = model.predict

        def counting(batch: Sequence[Document], calls: list[int] = calls, original=original) -> list[list[Span]]:
            calls.append(len(batch))
            return original(batch)

        model.predict = counting  # type: ignore[method-assign]
        runs[batch_size] = run_model(model, docs, batch_size=batch_size, progress=False)
        model.predict = original  # type: ignore[method-assign]
        assert len(calls) == math.ceil(len(docs) / batch_size) and sum(calls) == len(docs)
    assert list(runs[1]) == list(runs[2]) == list(runs[32])
    run = runs[32]
    assert isinstance(run, ModelRun) and run.n_documents == len(docs) and run.seconds >= 0
    assert run[0] == run.mentions[0] and run[:2] == list(run)[:2]
    assert {m.label for m in run} == {"PERS", "GPE"}


def test_run_model_refuses_misaligned_outputs() -> None:
    class Broken:
        name = "broken"

        def predict(self, documents: Sequence[Document]) -> list[list[Span]]:
            return [[]]  # one result for any batch

    with pytest.raises(ValueError, match="one sequence of spans per document"):
        run_model(Broken(), [Document("a", "x"), Document("b", "y")], progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        run_model(Broken(), [], batch_size=0)


def test_run_model_with_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_model(GazetteerBaseline.from_entries({"بوتين": "PERS"}), [Document("d", DISCUSSED)], progress=True)
    assert len(run) == 2
    assert "predict (gazetteer)" in capsys.readouterr().err
