"""``akhbar env``: what a bug report needs to know about the installation."""

from __future__ import annotations

import json
from typing import Annotated

import typer

ENV_EPILOG = (
    "\b\nExamples:\n"
    "  # paste into a bug report\n"
    "  akhbar env\n"
    "  akhbar env --json"
)


def env_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Versions of akhbar, Python, the core libraries and the optional extras, and the platform."""
    from dataset_builder.environment import describe_environment

    environment = describe_environment()
    typer.echo(json.dumps(environment.to_dict(), indent=2) if as_json else environment.to_text())


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``akhbar`` app."""
    app.command("env", epilog=ENV_EPILOG)(env_command)
