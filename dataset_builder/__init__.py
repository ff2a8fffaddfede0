"""akhbar's dataset builder: Arabic news text + gold annotations -> a versioned Hugging Face dataset.

Stages, in the order data flows: ``readers`` -> ``validate`` -> ``text`` -> ``split`` -> ``writer`` -> card.

Names are imported on first use (module ``__getattr__``): the evaluator's fast conlleval path
imports :mod:`dataset_builder.tags` and :mod:`dataset_builder.readers.conll` and must not pay for
the schema's YAML parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from dataset_builder.model import Document, Link, Metadata, Span, Unreadable
    from dataset_builder.problems import InputError, Location, Problem, Severity
    from dataset_builder.schema import Schema, load_schema

__version__ = "0.1.0"

_LAZY = {
    "Document": "dataset_builder.model", "Link": "dataset_builder.model", "Metadata": "dataset_builder.model",
    "Span": "dataset_builder.model", "Unreadable": "dataset_builder.model",
    "InputError": "dataset_builder.problems", "Location": "dataset_builder.problems",
    "Problem": "dataset_builder.problems", "Severity": "dataset_builder.problems",
    "Schema": "dataset_builder.schema", "load_schema": "dataset_builder.schema",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dataset_builder' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Document", "InputError", "Link", "Location", "Metadata", "Problem", "Schema", "Severity", "Span",
    "Unreadable", "__version__", "load_schema",
]
