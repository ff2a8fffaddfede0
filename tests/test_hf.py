"""make_compute_metrics for the transformers Trainer (eval/hf.py), tested without transformers.

Trainer hands compute_metrics an EvalPrediction: ``predictions`` (logits, or a tuple whose first item
is the logits) and ``label_ids`` padded with -100. We build exactly that from real tag names and
real ANERcorp sentences, and check the metrics against seqeval as an independent reference.
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from datasets import ClassLabel, List

from dataset_builder.schema import load_schema
from eval.hf import IGNORE_INDEX, make_compute_metrics

REPO = Path(__file__).resolve().parents[1]
ANERCORP = REPO.parent / "shared" / "corpora" / "anercorp-camel" / "ANERCorp_CamelLab_test.txt"
EvalPrediction = namedtuple("EvalPrediction", ["predictions", "label_ids"])


def _anercorp(n_sentences: int = 200) -> list[list[str]]:
    if not ANERCORP.exists():
        pytest.skip(f"real ANERcorp test split not found at {ANERCORP}")
    blocks = ANERCORP.read_text(encoding="utf-8").split("\n\n")[:n_sentences]
    return [[line.rsplit(" ", 1)[1] for line in block.splitlines() if line.strip()] for block in blocks]


def _to_iob2(sentence: list[str]) -> list[str]:
    # ANERcorp has I- after O (its SOURCE.md, quirk 1); a tokenizer's labels would be IOB2.
    out, previous = [], "O"
    for tag in sentence:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        previous = tag
    return out


def _batch(tag_ids: list[list[int]], n_labels: int, *, pad_to: int, rng: np.random.Generator,
           noise: float) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Padded label ids, logits whose argmax is a corrupted copy, and the predicted ids per sentence."""
    labels = np.full((len(tag_ids), pad_to), IGNORE_INDEX)
    logits = rng.normal(size=(len(tag_ids), pad_to, n_labels)).astype(np.float32)
    predicted = []
    for row, ids in enumerate(tag_ids):
        labels[row, :len(ids)] = ids
        choice = [int(rng.integers(n_labels)) if rng.random() < noise else i for i in ids]
        predicted.append(choice)
        logits[row, np.arange(len(ids)), choice] = 10.0  # make the choice the argmax
    return labels, logits, predicted


def test_matches_seqeval_on_real_sentences_with_logits_and_padding() -> None:
    from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score

    sentences = [_to_iob2(s) for s in _anercorp()]
    names = ["O"] + [f"{p}-{t}" for t in ("PERS", "LOC", "ORG", "MISC") for p in "BI"]
    feature = ClassLabel(names=names)
    ids = [[feature.str2int(tag) for tag in sentence] for sentence in sentences]
    rng = np.random.default_rng(0)
    labels, logits, predicted = _batch(ids, len(names), pad_to=max(map(len, ids)) + 3, rng=rng, noise=0.08)
    metrics = make_compute_metrics(feature)(EvalPrediction(logits, labels))

    y_true = sentences
    y_pred = [[names[i] for i in row] for row in predicted]
    assert metrics["precision"] == pytest.approx(precision_score(y_true, y_pred))
    assert metrics["recall"] == pytest.approx(recall_score(y_true, y_pred))
    assert metrics["f1"] == pytest.approx(f1_score(y_true, y_pred))
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    reference = classification_report(y_true, y_pred, output_dict=True)
    for label in ("PERS", "LOC", "ORG", "MISC"):
        assert metrics[f"{label}_f1"] == pytest.approx(reference[label]["f1-score"])
        assert metrics[f"{label}_precision"] == pytest.approx(reference[label]["precision"])
        assert metrics[f"{label}_support"] == reference[label]["support"]
    assert all(type(value) is float for value in metrics.values())  # the Trainer logs them as JSON


def test_ids_logits_tuples_and_padding_garbage_give_the_same_metrics() -> None:
    sentences = [_to_iob2(s) for s in _anercorp(60)]
    names = ["O", "B-PERS", "I-PERS", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
    ids = [[names.index(tag) for tag in sentence] for sentence in sentences]
    labels, logits, _ = _batch(ids, len(names), pad_to=max(map(len, ids)), rng=np.random.default_rng(1), noise=0.1)
    compute = make_compute_metrics(names)
    from_logits = compute((logits, labels))
    from_ids = compute((logits.argmax(-1), labels))
    with_extra_outputs = compute(EvalPrediction((logits, np.zeros((2, 2))), labels))
    assert from_logits == from_ids == with_extra_outputs
    garbage = logits.argmax(-1)
    garbage[labels == IGNORE_INDEX] = names.index("B-PERS")  # what a model says on padding must not count
    assert compute((garbage, labels)) == from_ids


def test_works_with_the_bundled_schema_class_label_inside_a_list_feature() -> None:
    names = load_schema(REPO / "corpora" / "sana-sample" / "schema.yaml").layer("entities").bio_names
    feature = List(ClassLabel(names=list(names)))
    tag = ClassLabel(names=list(names)).str2int
    # الرئيسين بشار الأسد وفلاديمير بوتين : OCC PERS PERS O? -> gold: OCC, PERS(2 tokens), PERS(2 tokens)
    gold = [[tag("B-OCC"), tag("B-PERS"), tag("I-PERS"), tag("B-PERS"), tag("I-PERS"), IGNORE_INDEX]]
    pred = [[tag("B-OCC"), tag("B-PERS"), tag("I-PERS"), tag("B-GPE"), tag("I-GPE"), 0]]
    metrics = make_compute_metrics(feature)((pred, gold))
    assert metrics["precision"] == pytest.approx(2 / 3) and metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["OCC_f1"] == 1.0 and metrics["PERS_recall"] == 0.5 and metrics["GPE_precision"] == 0.0
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    exact = make_compute_metrics(feature, mode="exact")((pred, gold))
    assert exact["f1"] == 1.0  # same boundaries, labels ignored


def test_clear_errors_for_mismatched_inputs() -> None:
    compute = make_compute_metrics(["O", "B-PERS", "I-PERS"])
    labels = np.array([[0, 1, 2]])
    with pytest.raises(ValueError, match="5 classes but the label feature has 3"):
        compute((np.zeros((1, 3, 5)), labels))
    with pytest.raises(ValueError, match="same"):
        compute((np.zeros((1, 4), dtype=int), labels))
    with pytest.raises(ValueError, match=r"outside 0\.\.2"):
        compute((np.array([[0, 7, 0]]), labels))
    with pytest.raises(TypeError, match="ClassLabel"):
        make_compute_metrics(42)
    with pytest.raises(TypeError, match="EvalPrediction"):
        compute(3)


def _hf_evaluate_seqeval_flattened(y_true: list[list[str]], y_pred: list[list[str]]) -> dict[str, float]:
    """A hand reproduction of HF evaluate's metrics/seqeval/seqeval.py ``_compute`` (default config:
    scheme=None, mode=None, zero_division="warn"), flattened as transformers' run_ner.py flattens it
    with ``return_entity_level_metrics``."""
    from seqeval.metrics import accuracy_score, classification_report

    report = classification_report(y_true=y_true, y_pred=y_pred, output_dict=True, zero_division="warn")
    report.pop("macro avg")
    report.pop("weighted avg")
    overall = report.pop("micro avg")
    scores: dict = {name: {"precision": s["precision"], "recall": s["recall"], "f1": s["f1-score"],
                           "number": s["support"]} for name, s in report.items()}
    scores["overall_precision"] = overall["precision"]
    scores["overall_recall"] = overall["recall"]
    scores["overall_f1"] = overall["f1-score"]
    scores["overall_accuracy"] = accuracy_score(y_true=y_true, y_pred=y_pred)
    flat: dict[str, float] = {}
    for key, value in scores.items():
        if isinstance(value, dict):
            for name, number in value.items():
                flat[f"{key}_{name}"] = number
        else:
            flat[key] = value
    return flat


def test_hf_keys_equal_hf_evaluate_seqeval_flattened_by_run_ner() -> None:
    from seqeval.metrics import classification_report

    sentences = [_to_iob2(s) for s in _anercorp()]
    names = ["O"] + [f"{p}-{t}" for t in ("PERS", "LOC", "ORG", "MISC") for p in "BI"]
    ids = [[names.index(tag) for tag in sentence] for sentence in sentences]
    labels, logits, predicted = _batch(ids, len(names), pad_to=max(map(len, ids)) + 2,
                                       rng=np.random.default_rng(3), noise=0.1)
    y_pred = [[names[i] for i in row] for row in predicted]
    ours = make_compute_metrics(names, keys="hf")(EvalPrediction(logits, labels))
    reference = _hf_evaluate_seqeval_flattened(sentences, y_pred)
    averages = {k: ours.pop(k) for k in list(ours) if k.startswith(("macro_", "weighted_"))}
    assert list(ours) == list(reference)  # same keys, same order
    for key, value in reference.items():
        assert ours[key] == pytest.approx(value), key
    assert all(type(ours[k]) is (int if k.endswith("_number") else float) for k in ours)  # JSON-loggable
    full = classification_report(sentences, y_pred, output_dict=True)
    for name, key in (("macro", "macro avg"), ("weighted", "weighted avg")):
        assert averages[f"{name}_precision"] == pytest.approx(full[key]["precision"])
        assert averages[f"{name}_recall"] == pytest.approx(full[key]["recall"])
        assert averages[f"{name}_f1"] == pytest.approx(full[key]["f1-score"])


@pytest.mark.parametrize("keys", ["akhbar", "hf"])
def test_key_set_is_the_same_for_every_eval_set_of_one_inventory(keys: str) -> None:
    names = ["O", "B-PERS", "I-PERS", "B-GPE", "I-GPE", "B-ORG", "I-ORG"]
    compute = make_compute_metrics(ClassLabel(names=names), keys=keys)  # type: ignore[arg-type]
    only_pers = compute(([[1, 2, 0]], [[1, 2, 0]]))
    only_gpe = compute(([[0, 3, 4]], [[3, 4, 0]]))
    assert list(only_pers) == list(only_gpe)
    support = "number" if keys == "hf" else "support"
    assert only_pers[f"ORG_{support}"] == 0 and only_pers["ORG_f1"] == 0.0
    assert only_pers[f"PERS_{support}"] == 1 and only_pers["PERS_f1"] == 1.0
    assert only_gpe[f"GPE_{support}"] == 1 and only_gpe[f"PERS_{support}"] == 0
    with pytest.raises(ValueError, match="'akhbar' or 'hf'"):
        make_compute_metrics(names, keys="seqeval")  # type: ignore[arg-type]


def test_digit_zero_tag_error_names_a_parameter_that_exists() -> None:
    names = ["0", "B-PERS", "I-PERS"]  # conlleval.pl reads the type "0" as outside
    with pytest.raises(ValueError, match="conlleval_compat=True") as error:
        make_compute_metrics(names)
    assert "conlleval_compat" in make_compute_metrics.__code__.co_varnames
    metrics = make_compute_metrics(names, conlleval_compat=True)(([[1, 2, 0]], [[1, 2, 0]]))
    assert metrics["f1"] == 1.0 and metrics["PERS_support"] == 1.0
    assert "0" in str(error.value)
