"""Read what annotators hand back (any input format) or a built version, for export, agreement and adjudication."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dataset_builder.model import Document, Unreadable
from dataset_builder.problems import InputError, Problem
from dataset_builder.schema import Schema


def schema_layer_of(schema: Schema) -> dict[str, str]:
    """Label -> layer of a schema, the ``layer_of`` option of the BRAT and Label Studio readers.

    A label that two layers share goes to the first layer that lists it.
    """
    mapping: dict[str, str] = {}
    for layer in schema.layers:
        for name in layer.label_names:
            mapping.setdefault(name, layer.name)
    return mapping


__all__ = ["AnnotatorInput", "annotator_inputs", "input_problems", "read_annotations", "schema_layer_of"]

# Readers that put annotation types into layers; the schema says which layer each label is in.
_LAYERED_FORMATS = ("brat", "labelstudio")


@dataclass(frozen=True, slots=True)
class AnnotatorInput:
    """One annotator's documents, and what the reader could not keep (nothing is dropped silently).

    ``problems`` holds every reader problem, those of unreadable records included; documents with an
    error-level problem are kept (their spans may still be compared) and the CLI exits 1.
    """

    name: str
    path: Path
    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]
    n_unreadable: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def _is_version(path: Path) -> bool:
    return path.is_dir() and (path / "manifest.json").exists()


def read_annotations(path: str | Path, schema: Schema, *, name: str | None = None, fmt: str | None = None,
                     split: str = "test") -> AnnotatorInput:
    """Read one annotator's export, or a built version (a folder with ``manifest.json``, one ``split``).

    Parameters
    ----------
    path : str or Path
        A file or folder in any input format (detected unless ``fmt``), or a version directory.
    schema : Schema
        Gives BRAT and Label Studio types their layer (:func:`schema_layer_of`).
    name : str, optional
        The annotator's name (default: the file or folder name without suffix).
    fmt : str, optional
        Input format, as for :func:`dataset_builder.readers.read`.
    split : str, default="test"
        The split to read from a version directory.

    Raises
    ------
    InputError
        When the path does not exist or no reader takes it.
    """
    from dataset_builder.pipeline import read_inputs
    from dataset_builder.readers import detect_format

    path = Path(path)
    label = name or (path.name if _is_version(path) else path.stem)
    if not path.exists():
        raise InputError(Problem("input-missing", "the input does not exist.", "Check the path.", path=str(path)))
    if _is_version(path):
        from eval.gold import load_gold

        documents = load_gold(path, split=split).documents
        return AnnotatorInput(label, path, tuple(documents), ())
    detected = fmt or detect_format(path)
    options = {"layer_of": schema_layer_of(schema)} if detected in _LAYERED_FORMATS else {}
    documents: list[Document] = []
    problems: list[Problem] = []
    unreadable = 0
    for item in read_inputs([path], detected, options):
        problems += [p.at(item.location) for p in item.problems]
        if isinstance(item, Unreadable):
            unreadable += 1
        else:
            documents.append(item)
    return AnnotatorInput(label, path, tuple(documents), tuple(problems), unreadable)


def annotator_inputs(arguments: Sequence[str], schema: Schema, *, fmt: str | None = None) -> list[AnnotatorInput]:
    """Read ``NAME=PATH`` (or ``PATH``: named after the file) arguments, one annotator each.

    Raises
    ------
    InputError
        When two annotators get the same name.
    """
    inputs: list[AnnotatorInput] = []
    for argument in arguments:
        name, sep, path = argument.partition("=")
        if not sep or Path(argument).exists():
            name, path = "", argument
        annotator = read_annotations(path, schema, name=name or None, fmt=fmt)
        if any(other.name == annotator.name for other in inputs):
            raise InputError(Problem(
                "annotator-name-twice", f"two inputs are both named {annotator.name!r}.",
                f"Name them: NAME=PATH, e.g. ann1={argument}.", path=str(path)))
        inputs.append(annotator)
    return inputs


def input_problems(inputs: Sequence[AnnotatorInput]) -> list[Problem]:
    """Every reader problem of every input, in input order (for the CLI to list and count)."""
    return [problem for annotator in inputs for problem in annotator.problems]
