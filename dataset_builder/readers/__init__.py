"""Readers turn files of one format into a stream of :class:`~dataset_builder.model.Document`.

Each reader is a function ``read_<format>(path, **options) -> Iterator[Document | Unreadable]``; a
reader with many options takes them as one frozen object instead, ``read_<format>(path, options)``
(``read_conll`` and :class:`~dataset_builder.readers.conll.ConllOptions`), whose fields are the
option names: :func:`call_reader` builds it from options given by name (a recipe's ``reader_options``).
A reader never drops anything silently: what it repaired or could not keep is attached to the
document as :class:`~dataset_builder.problems.Problem` records; a record it cannot parse at all
becomes an :class:`~dataset_builder.model.Unreadable`, counted as read and rejected.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dataset_builder.model import Document, Unreadable

ReadItem = Document | Unreadable

# format name -> (module, function); imported lazily so that `akhbar --help` stays fast.
READERS: dict[str, tuple[str, str]] = {
    "article": ("dataset_builder.readers.article", "read_article"),
    "jsonl": ("dataset_builder.readers.jsonl", "read_jsonl"),
    "brat": ("dataset_builder.readers.brat", "read_brat"),
    "conll": ("dataset_builder.readers.conll", "read_conll"),
    "labelstudio": ("dataset_builder.readers.labelstudio", "read_labelstudio"),
}


def get_reader(fmt: str) -> Callable[..., Iterator[ReadItem]]:
    try:
        module_name, func_name = READERS[fmt]
    except KeyError:
        raise ValueError(f"unknown input format {fmt!r}; choose one of: {', '.join(READERS)}") from None
    return getattr(importlib.import_module(module_name), func_name)


def detect_format(path: Path) -> str:
    """Guess a format from a path: a folder of .ann files is BRAT, *.jsonl ours, *.json Label Studio,
    *.txt with token/tag lines CoNLL, any other *.txt a plain article."""
    path = Path(path)
    if path.is_dir():
        if any(path.glob("*.ann")):
            return "brat"
        if any(path.glob("*.jsonl")):
            return "jsonl"
        return "article"
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".json":
        return "labelstudio"
    if suffix == ".ann":
        return "brat"
    if suffix in {".conll", ".iob", ".bio", ".tsv"}:
        return "conll"
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        head = [line for line in (fh.readline() for _ in range(20)) if line.strip()]
    from dataset_builder.readers.conll import looks_like_tag

    tagged = sum(1 for line in head if len(line.split()) >= 2 and looks_like_tag(line.split()[-1]))
    return "conll" if head and tagged >= 0.8 * len(head) else "article"


def reader_option_names(reader: Callable[..., Iterator[ReadItem]]) -> list[str]:
    """The options a reader takes, by name: its keyword parameters after the path, or, for a reader
    whose ``options`` parameter defaults to a frozen options object (``read_conll``), that object's
    fields followed by its other keyword parameters."""
    parameters = _keyword_parameters(reader)
    typed = _options_parameter(parameters)
    if typed is None:
        return [parameter.name for parameter in parameters]
    return [f.name for f in dataclasses.fields(typed.default)] + [p.name for p in parameters if p is not typed]


def call_reader(reader: Callable[..., Iterator[ReadItem]], path: Path,
                options: Mapping[str, Any]) -> Iterator[ReadItem]:
    """Call ``reader`` on ``path`` with options given by name (a recipe's ``reader_options``): a
    reader with a typed options object gets one, built here once from the names that are its fields."""
    typed = _options_parameter(_keyword_parameters(reader))
    if typed is None:
        return reader(path, **options)
    names = {f.name for f in dataclasses.fields(typed.default)}
    built = dataclasses.replace(typed.default, **{k: v for k, v in options.items() if k in names})
    return reader(path, built, **{k: v for k, v in options.items() if k not in names})


def _keyword_parameters(reader: Callable[..., Iterator[ReadItem]]) -> list[inspect.Parameter]:
    parameters = list(inspect.signature(reader).parameters.values())[1:]  # the first one is the path
    return [p for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _options_parameter(parameters: list[inspect.Parameter]) -> inspect.Parameter | None:
    return next((p for p in parameters if p.name == "options" and dataclasses.is_dataclass(p.default)), None)


def read(path: str | Path, fmt: str | None = None, **options: Any) -> Iterator[ReadItem]:
    """Read any supported format (detected from the path when ``fmt`` is None), with the reader's
    options given by name."""
    path = Path(path)
    return call_reader(get_reader(fmt or detect_format(path)), path, options)


__all__ = ["READERS", "ReadItem", "call_reader", "detect_format", "get_reader", "read", "reader_option_names"]
