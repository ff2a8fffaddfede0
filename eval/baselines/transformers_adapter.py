"""Evaluate a ``transformers`` token-classification model, loaded from a local folder, as a :class:`~eval.model.Model`.

:class:`TransformersTokenClassifier` cuts each document into the words and sentences of the
build's text layer (the corpus' own tokens for CoNLL input), runs the model on each sentence with
``is_split_into_words=True``, labels every word with the prediction on its **first sub-token**
(the convention of the Hugging Face token-classification recipe, which trains with ``-100`` on the
other sub-tokens), repairs the IOB2 sequence and returns character spans into the document text.

Nothing is downloaded: the model and tokenizer are read with ``local_files_only=True``. Needs the
``transformers`` extra (``pip install 'akhbar[transformers]'``; see docs/baselines.md for the CPU
build of torch).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataset_builder.model import Document, Span
from dataset_builder.problems import InputError, Problem
from eval.baselines._words import repair_bio, tag_documents, with_text


class TransformersTokenClassifier:
    """A local token-classification model (``AutoModelForTokenClassification``) as a span predictor.

    Parameters
    ----------
    model_path : str or Path
        A folder written by ``save_pretrained`` holding the model (``config.json`` with ``id2label``
        in IOB2: ``O``, ``B-X``, ``I-X``) and its fast tokenizer.
    layer : str, default="entities"
        Layer of the predicted spans.
    batch_size : int, default=16
        Sentences (or windows of long sentences) per forward pass.
    max_length : int, optional
        Most sub-tokens per forward pass, special tokens included; defaults to the model's
        ``max_position_embeddings`` (512 for BERT). A longer sentence is cut into windows of whole
        words, each predicted on its own.
    device : str, default="cpu"
    name : str, optional
        Defaults to ``transformers:<folder name>``.

    Raises
    ------
    InputError
        When the folder does not exist, is not a token-classification model, or its labels are not
        IOB2 tag names (``LABEL_0`` ... means the config was saved without ``id2label``).
    ImportError
        When ``torch`` or ``transformers`` is not installed.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        layer: str = "entities",
        batch_size: int = 16,
        max_length: int | None = None,
        device: str = "cpu",
        name: str | None = None,
    ) -> None:
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForTokenClassification, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(f"{exc}. The transformers adapter needs torch and transformers: "
                              "pip install 'akhbar[transformers]' (see docs/baselines.md).") from None
        path = Path(model_path)
        if not (path / "config.json").is_file():
            raise InputError(Problem(
                "model-not-found", "no config.json: not a saved transformers model.",
                "Pass a folder written by model.save_pretrained() and tokenizer.save_pretrained().", path=str(path)))
        self.model_path = path
        self.layer = layer
        self.batch_size = batch_size
        self.device = device
        self.name = name or f"transformers:{path.name}"
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        if not getattr(self.tokenizer, "is_fast", False):
            raise InputError(Problem(
                "model-tokenizer", "the tokenizer is not a fast tokenizer, so sub-tokens cannot be mapped to words.",
                "Save the model with its tokenizers-backed (fast) tokenizer (tokenizer.json).", path=str(path)))
        self.model = AutoModelForTokenClassification.from_pretrained(str(path), local_files_only=True).to(device)
        self.model.eval()
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        bad = [label for label in self.labels if label != "O" and not label.startswith(("B-", "I-"))]
        if bad:
            raise InputError(Problem(
                "model-labels", f"the model's labels are not IOB2 tags: {bad[:5]}.",
                "Save the model with config.id2label = {0: 'O', 1: 'B-PERS', ...}.", path=str(path / "config.json")))
        limit = max_length or int(getattr(self.model.config, "max_position_embeddings", 512))
        self.max_length = min(limit, int(getattr(self.tokenizer, "model_max_length", limit) or limit))

    def describe(self) -> dict[str, object]:
        """Settings, for provenance (JSON-ready)."""
        return {"model": "transformers", "path": str(self.model_path), "labels": list(self.labels),
                "labelling": "first sub-token", "max_length": self.max_length, "layer": self.layer}

    def predict(self, documents: Sequence[Document]) -> list[list[Span]]:
        """Character spans of every document (see :class:`~eval.model.Model`)."""
        per_doc = tag_documents(documents, self.predict_tags, layer=self.layer, id_prefix="H")
        return [with_text(doc, spans) for doc, spans in zip(documents, per_doc, strict=True)]

    def predict_tags(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """The IOB2 tag of every word (the model's label on its first sub-token), one list per sentence.

        A word the tokenizer turns into no sub-token at all (an invisible character) gets ``O``. The
        sequence is repaired with :func:`~eval.baselines._words.repair_bio` (an ``I-X`` that continues
        no ``X`` chunk becomes ``B-X``), across window boundaries too.
        """
        windows = [(index, window) for index, words in enumerate(sentences) for window in self._windows(words)]
        tags: list[list[str]] = [["O"] * len(words) for words in sentences]
        for begin in range(0, len(windows), self.batch_size):
            batch = windows[begin:begin + self.batch_size]
            predicted = self._predict_words([list(sentences[i][a:b]) for i, (a, b) in batch])
            for (index, (a, _end)), labels in zip(batch, predicted, strict=True):
                tags[index][a:a + len(labels)] = labels
        return [repair_bio(sequence) for sequence in tags]

    def _windows(self, words: Sequence[str]) -> list[tuple[int, int]]:
        """Word ranges ``[a, b)`` whose sub-tokens fit ``max_length`` (one range for most sentences)."""
        if not words:
            return []
        budget = self.max_length - self.tokenizer.num_special_tokens_to_add(pair=False)
        counts = [max(1, len(ids)) for ids in self.tokenizer(list(words), add_special_tokens=False)["input_ids"]]
        windows: list[tuple[int, int]] = []
        start, used = 0, 0
        for i, count in enumerate(counts):
            if used + count > budget and i > start:
                windows.append((start, i))
                start, used = i, 0
            used += count
        windows.append((start, len(words)))
        return windows

    def _predict_words(self, batch: list[list[str]]) -> list[list[str]]:
        import torch

        encoding = self.tokenizer(batch, is_split_into_words=True, truncation=True, max_length=self.max_length,
                                  padding=True, return_tensors="pt")
        inputs: dict[str, Any] = {k: v.to(self.device) for k, v in encoding.items()}
        with torch.inference_mode():
            label_ids = self.model(**inputs).logits.argmax(dim=-1).cpu().tolist()
        out: list[list[str]] = []
        for row, words in enumerate(batch):
            labels = ["O"] * len(words)
            seen: set[int] = set()
            for position, word in enumerate(encoding.word_ids(row)):
                if word is not None and word not in seen:  # the first sub-token speaks for the word
                    seen.add(word)
                    labels[word] = self.labels[label_ids[row][position]]
            out.append(labels)
        return out


__all__ = ["TransformersTokenClassifier"]
