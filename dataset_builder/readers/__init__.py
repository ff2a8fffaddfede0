"""Readers turn files of one format into a stream of :class:`~dataset_builder.model.Document`.

Each reader is a function ``read_<format>(path, **options) -> Iterator[Document | Unreadable]``.
A reader never drops anything silently: what it repaired or could not keep is attached to the
document as :class:`~dataset_builder.problems.Problem` records; a record it cannot parse at all
becomes an :class:`~dataset_builder.model.Unreadable`, counted as read and rejected.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
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


def read(path: str | Path, fmt: str | None = None, **options: Any) -> Iterator[ReadItem]:
    """Read any supported format (detected from the path when ``fmt`` is None)."""
    path = Path(path)
    return get_reader(fmt or detect_format(path))(path, **options)


__all__ = ["READERS", "ReadItem", "detect_format", "get_reader", "read"]
