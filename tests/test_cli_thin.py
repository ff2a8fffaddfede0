"""Every CLI module stays thin: each command parses, calls one API function and prints its result.

The measure is the number of statements of logic in a module, counted with :mod:`ast`:

* every statement node counts, wherever it is: at module level, in function and class bodies, and
  nested inside ``if``/``for``/``try``/``with`` blocks (a ``def`` is one statement; its body counts too);
* docstrings (a string expression that opens a module, class or function) do not count;
* imports (``import``, ``from ... import``) do not count;
* the typer parameter declarations of a command are not statements (they live in the signature as
  annotations and defaults), so the options a command offers never count against it; nor do the
  arguments of one call spread over many lines (one call statement is one statement).

A module above :data:`LIMIT` statements is doing work that belongs in the API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIMIT = 120


def cli_modules() -> list[Path]:
    """The command-line modules of the tree: every module of ``dataset_builder/`` and ``eval/`` that imports
    typer (at module level or inside a function), so a command defined in an API module is caught too."""
    modules = []
    for root in ("dataset_builder", "eval"):
        for path in sorted((REPO / root).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any((isinstance(node, ast.Import) and any(alias.name == "typer" for alias in node.names))
                   or (isinstance(node, ast.ImportFrom) and node.module == "typer") for node in ast.walk(tree)):
                modules.append(path)
    return modules


def logic_statements(source: str) -> int:
    """The statements of ``source`` that count (see the module docstring)."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first.value, "value", None), str):
                docstrings.add(first)
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.stmt)
               and not isinstance(node, ast.Import | ast.ImportFrom) and node not in docstrings)


def test_the_counter_counts_logic_and_skips_docstrings_imports_and_options() -> None:
    source = '''"""Doc."""
import json
from typing import Annotated

import typer


def command(
    a: Annotated[int, typer.Option(help="an option")] = 1,
    b: Annotated[str, typer.Option(help="another")] = "x",
) -> None:
    """Doc."""
    from pathlib import Path

    if a:
        print(json.dumps(
            {"a": a},
        ))
    for _ in range(a):
        pass
    Path(b)
'''
    # def, if, print(...), for, pass, Path(b)
    assert logic_statements(source) == 6


def test_the_tree_has_the_cli_modules_the_test_means() -> None:
    names = {path.relative_to(REPO).as_posix() for path in cli_modules()}
    assert {"dataset_builder/cli/root.py", "dataset_builder/cli/build.py", "eval/cli.py", "eval/benchmark_cli.py",
            "eval/runners/cli.py", "dataset_builder/annotate/cli.py"} <= names
    assert "eval/benchmark.py" not in names  # the benchmark's API module holds no command


@pytest.mark.parametrize("path", cli_modules(), ids=lambda path: path.relative_to(REPO).as_posix())
def test_a_cli_module_has_at_most_120_statements_of_logic(path: Path) -> None:
    count = logic_statements(path.read_text(encoding="utf-8"))
    assert count <= LIMIT, (f"{path.relative_to(REPO)} has {count} statements of logic (limit {LIMIT}): move the "
                            "work into the API, so the command only parses, calls one function and prints.")
