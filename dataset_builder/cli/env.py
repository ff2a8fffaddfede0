"""``akhbar env``: what a bug report needs to know about the installation."""

from __future__ import annotations

from typing import Annotated

import typer

from dataset_builder.cli.root import print_result

ENV_EPILOG = (
    "\b\nExamples:\n"
    "  # paste into a bug report\n"
    "  akhbar env\n"
    "  akhbar env --json"
)


def env_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout: akhbar, bundled_corpus, "
                                          "python, platform, core (library -> version), extras (extra -> library "
                                          "-> version or null).")] = False,
) -> None:
    """Versions of akhbar, Python, the core libraries and the optional extras, and the platform."""
    from dataset_builder.environment import describe_environment

    environment = describe_environment()
    print_result(environment, as_json=as_json)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``akhbar`` app."""
    app.command("env", epilog=ENV_EPILOG)(env_command)
