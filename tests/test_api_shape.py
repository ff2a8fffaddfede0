"""The build and eval APIs take typed options objects, not long parameter lists.

No function of ``dataset_builder/`` or ``eval/`` (public or private) takes more than
:data:`MAX_PARAMETERS` parameters (``self``/``cls`` not counted). The one exemption is a typer
command: each of its parameters is a command-line option. A function is a command only when typer
registers it in the module that defines it: decorated with ``@<app>.command(...)`` or
``@<app>.callback(...)``, or passed to ``<app>.command(...)(function)``. A plain helper in a CLI
module is not exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dataset_builder", "eval")
MAX_PARAMETERS = 10
#: The typer methods that turn a function's parameters into command-line options.
REGISTRARS = frozenset({"command", "callback"})

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _registrar(node: ast.expr) -> bool:
    """Whether ``node`` is ``<something>.command(...)`` or ``<something>.callback(...)``."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in REGISTRARS)


def _registered_names(tree: ast.Module) -> set[str]:
    """Names of functions registered as ``<app>.command(...)(function)`` in this module."""
    return {call.args[0].id for call in ast.walk(tree)
            if isinstance(call, ast.Call) and _registrar(call.func) and len(call.args) == 1
            and isinstance(call.args[0], ast.Name)}


def parameter_count(function: Function) -> int:
    arguments = function.args
    names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return len([name for name in names if name not in ("self", "cls")])


def oversized_functions(source: str, filename: str) -> list[str]:
    """``file:line name (n parameters)`` for every function over the limit that is not a typer command."""
    tree = ast.parse(source, filename=filename)
    registered = _registered_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        count = parameter_count(node)
        if count <= MAX_PARAMETERS:
            continue
        if any(_registrar(decorator) for decorator in node.decorator_list) or node.name in registered:
            continue
        found.append(f"{filename}:{node.lineno} {node.name} ({count} parameters)")
    return found


def test_no_api_function_takes_more_than_ten_parameters():
    found = [line for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for line in oversized_functions(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not found, ("functions over the limit; pass one frozen options object instead of a parameter list:\n"
                       + "\n".join(found))


def test_the_exemption_covers_registered_typer_commands_only():
    many = ", ".join(f"p{i}: int = {i}" for i in range(MAX_PARAMETERS + 1))
    source = f"""
import typer
app = typer.Typer()

@app.command("decorated")
def decorated({many}): ...

def registered({many}): ...

app.command("registered")(registered)

def helper_in_a_cli_module({many}): ...

def fine(self, {", ".join(f"p{i}" for i in range(MAX_PARAMETERS))}): ...
"""
    assert [line.split()[1] for line in oversized_functions(source, "eval/cli.py")] == ["helper_in_a_cli_module"]
