"""Baseline models to evaluate: a dictionary tagger, a linear token classifier, and an adapter for
token-classification models from ``transformers``.

Every baseline is a :class:`~eval.model.Model` (a ``name`` and ``predict(documents)`` returning
character spans), so :func:`eval.evaluate.evaluate`, :func:`eval.model.run_model` and
``akhbar benchmark`` take them as they are. Names are imported on first use: the transformers
adapter needs ``torch`` and ``transformers`` (``pip install 'akhbar[transformers]'``), the others only
scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from eval.baselines.gazetteer import GazetteerBaseline, GazetteerEntry
    from eval.baselines.linear import LinearTokenClassifier, token_features
    from eval.baselines.transformers_adapter import TransformersTokenClassifier

_LAZY: dict[str, str] = {
    "GazetteerBaseline": "eval.baselines.gazetteer",
    "GazetteerEntry": "eval.baselines.gazetteer",
    "LinearTokenClassifier": "eval.baselines.linear",
    "token_features": "eval.baselines.linear",
    "TransformersTokenClassifier": "eval.baselines.transformers_adapter",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eval.baselines' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["GazetteerBaseline", "GazetteerEntry", "LinearTokenClassifier", "TransformersTokenClassifier",
           "token_features"]
