"""Making the gold: documents out to annotators (Label Studio, BRAT) and their annotations back in, adjudicated.

Agreement between annotators lives with evaluation (:mod:`eval.agreement`): it reuses its alignment.
Names are imported lazily so that ``akhbar --help`` (which loads :mod:`dataset_builder.annotate.cli`)
stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "POLICIES": "adjudicate", "Adjudication": "adjudicate", "Conflict": "adjudicate", "adjudicate": "adjudicate",
    "adjudicate_files": "adjudicate", "read_adjudication_record": "card", "write_adjudication": "adjudicate",
    "AnnotationExport": "export", "brat_annotation_conf": "export", "export_files": "export",
    "export_for_annotation": "export", "labelstudio_config": "export", "pre_annotations_from_file": "pre_annotate",
    "PreAnnotations": "pre_annotate", "PreAnnotator": "pre_annotate", "pre_annotations": "pre_annotate",
    "schema_layer_of": "inputs", "AnnotatorInput": "inputs", "read_annotations": "inputs",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dataset_builder.annotate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dataset_builder.annotate.{module}"), name)


def __dir__() -> list[str]:
    return sorted(_EXPORTS)


__all__ = sorted(_EXPORTS)
