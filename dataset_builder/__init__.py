"""akhbar's dataset builder: Arabic news text + gold annotations -> a versioned Hugging Face dataset.

Stages, in the order data flows: ``readers`` -> ``validate`` -> ``text`` -> ``split`` -> ``writer`` -> card.
"""

from dataset_builder.model import Document, Link, Metadata, Span, Unreadable
from dataset_builder.problems import InputError, Location, Problem, Severity
from dataset_builder.schema import Schema, load_schema

__version__ = "0.1.0"

__all__ = [
    "Document", "InputError", "Link", "Location", "Metadata", "Problem", "Schema", "Severity", "Span",
    "Unreadable", "__version__", "load_schema",
]
