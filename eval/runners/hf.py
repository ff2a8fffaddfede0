"""``--model hf:PATH``: a local token-classification model through the existing transformers adapter.

The adapter (:class:`~eval.baselines.transformers_adapter.TransformersTokenClassifier`) predicts
character spans in batches; here they become the same offset-free answers an LLM gives (mentions
in text order, which :func:`eval.mentions.align_mentions` places back on their own occurrences),
so both kinds of model share the predictions file, the log and the summary. It runs on the GPU
when torch sees one. Nothing is cached: a local model costs no request.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from eval.runners.llm import Answer, DocumentOutcome

if TYPE_CHECKING:
    from eval.gold import GoldSet
    from eval.runners.run import RunSettings


def hf_outcomes(gold: GoldSet, settings: RunSettings) -> list[DocumentOutcome]:
    import torch

    from eval.baselines.transformers_adapter import TransformersTokenClassifier

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = TransformersTokenClassifier(settings.target, batch_size=settings.batch_size, device=device)
    outcomes = []
    documents = gold.documents
    for begin in range(0, len(documents), settings.batch_size):
        batch = documents[begin:begin + settings.batch_size]
        started = time.perf_counter()
        predicted = model.predict(batch)
        latency = (time.perf_counter() - started) / max(1, len(batch))
        for doc, spans in zip(batch, predicted, strict=True):
            mentions = [{"text": doc.text[s.start:s.end], "label": s.label}
                        for s in sorted(spans, key=lambda s: (s.start, -s.end))]
            outcomes.append(DocumentOutcome(doc.id, "", None, Answer(mentions, None, ()), latency))
    return outcomes


__all__ = ["hf_outcomes"]
