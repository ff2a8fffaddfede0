"""Strict YAML files: a pydantic model refuses unknown keys and wrong types, and every refusal names
the file and the line (PyYAML's composed nodes keep their marks), with a fix.

Shared by the recipe and the corpus schema, so both files are held to the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from dataset_builder.problems import InputError, Problem, require_path

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["load_yaml", "validate_yaml"]

Model = TypeVar("Model", bound="BaseModel")


def load_yaml(path: Path, code: str, what: str) -> tuple[Any, yaml.Node | None]:
    """The data of a YAML file and its composed node tree (for line numbers)."""
    text = require_path(path, "file", what=f"{what} file", fix=f"Pass the path of a {what} YAML file.",
                        code=code).read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem(code, f"not valid YAML: {exc}", "Fix the YAML syntax.", path=str(path),
                                 line=mark.line + 1 if mark else None)) from None
    return data, node


def node_line(node: yaml.Node | None, location: tuple[int | str, ...], *, key: bool = False) -> int | None:
    """The 1-based line of the value at ``location`` (of its key with ``key=True``), as near as the tree goes."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for step in location:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(step):
                    line = (key_node if key else value_node).start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def validate_yaml(model: type[Model], data: Any, node: yaml.Node | None, *, path: Path, code: str,
                  fixes: Mapping[str, str]) -> Model:
    """``model`` validated from ``data``; the first error as an :class:`InputError` with file, line and fix.

    ``fixes`` maps a top-level key (``""`` for the file as a whole) to how to write it correctly.
    """
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = tuple(error["loc"])
        where = ".".join(str(step) for step in location) or "the file"
        top = str(location[0]) if location else ""
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(model.model_fields) if len(location) == 1 else fixes.get(top, "")
            message, fix = f"unknown key `{where}`.", f"Remove it, or use one of: {allowed}." if allowed else \
                "Remove it."
        elif error["type"] == "missing":
            message, fix = f"`{where}` is missing.", f"Add it: {fixes.get(top, f'`{top}:`')}."
        else:
            message = f"`{where}`: {error['msg'].rstrip('.')} (found {error.get('input')!r})."
            fix = fixes.get(top, "See the file's documentation.")
        line = node_line(node, location, key=error["type"] == "extra_forbidden")
        raise InputError(Problem(code, message, fix, path=str(path), line=line)) from None
