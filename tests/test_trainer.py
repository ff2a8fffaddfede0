"""The documented training path works with the transformers extra as declared: a `Trainer` (which needs
`accelerate`) runs a few steps on the bundled corpus' tokens config with a tiny, randomly initialised
BERT made here (no download), and evaluates with `eval.hf.make_compute_metrics`."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the transformers extra (torch) is not installed")
transformers = pytest.importorskip("transformers", reason="the transformers extra is not installed")
pytest.importorskip("accelerate", reason="the transformers extra (accelerate) is not installed")

import datasets  # noqa: E402

from eval.hf import make_compute_metrics  # noqa: E402
from tests.conftest import _build_sana  # noqa: E402
from tests.test_transformers_adapter import _save_tiny_bert  # noqa: E402


def test_trainer_runs_and_scores_with_make_compute_metrics(tmp_path: Path) -> None:
    version = _build_sana(tmp_path, "1.0.0")
    tokens = datasets.load_from_disk(str(version / "tokens"))["test"]
    tag_feature = tokens.features["ner_tags"].feature
    folder = _save_tiny_bert(tmp_path / "tiny", " ".join(" ".join(row) for row in tokens["tokens"]))
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = transformers.BertForTokenClassification.from_pretrained(
        folder, local_files_only=True, num_labels=tag_feature.num_classes, ignore_mismatched_sizes=True,
        id2label=dict(enumerate(tag_feature.names)), label2id={n: i for i, n in enumerate(tag_feature.names)})

    def encode(batch: dict) -> dict:
        encoded = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=128)
        labels = []
        for row, tags in enumerate(batch["ner_tags"]):
            previous, row_labels = None, []
            for word in encoded.word_ids(row):  # the first sub-token of a word carries its tag
                row_labels.append(-100 if word is None or word == previous else tags[word])
                previous = word
            labels.append(row_labels)
        return {**encoded, "labels": labels}

    encoded = tokens.map(encode, batched=True, remove_columns=tokens.column_names)
    compute_metrics = make_compute_metrics(tag_feature)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "run"), max_steps=3, per_device_train_batch_size=8, per_device_eval_batch_size=8,
        learning_rate=1e-3, report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no", seed=0)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=encoded, eval_dataset=encoded,
                                   data_collator=transformers.DataCollatorForTokenClassification(tokenizer),
                                   compute_metrics=compute_metrics)
    trained = trainer.train()
    assert trained.global_step == 3
    metrics = trainer.evaluate()
    assert {"eval_loss", "eval_f1", "eval_precision", "eval_recall"} <= set(metrics), sorted(metrics)
    assert 0.0 <= metrics["eval_f1"] <= 1.0
