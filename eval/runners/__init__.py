"""Run the extraction models people evaluate: LLMs behind an OpenAI-compatible API, and local models.

``predict(dataset, RunSettings(model="openai:MODEL", ...), out="pred.jsonl")`` is the one call; see
:mod:`eval.runners.run`. Names are loaded on first use, so ``akhbar --help`` (which imports
:mod:`eval.runners.cli`) pays for none of it, and only a run of an ``openai:`` model imports
``openai`` (the ``llm`` extra).
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = ("PredictRun", "RunSettings", "RunSummary", "default_cache_path", "predict", "predict_documents",
           "run_dir_of")


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'eval.runners' has no attribute {name!r}")
    value = getattr(importlib.import_module("eval.runners.run"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


__all__ = ["PredictRun", "RunSettings", "RunSummary", "default_cache_path", "predict", "predict_documents",
           "run_dir_of"]
