"""The root of the ``akhbar`` command line: the Typer :data:`app`, its ``--version`` and ``--debug``,
the exit codes, and :func:`main`, which turns what no command foresaw into one line and an exit code.

The commands live in the sibling modules and add themselves to :data:`app` when
:mod:`dataset_builder.cli` imports them.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Protocol

import typer

from dataset_builder.problems import ExitCode, Problem, environment_problem

__all__ = ["EXIT_BUG", "EXIT_CODES_HELP", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_REFUSED", "EXIT_USAGE", "app", "fail",
           "main", "print_json", "print_result"]

EXIT_OK = ExitCode.OK
EXIT_PROBLEMS = ExitCode.PROBLEMS
EXIT_USAGE = ExitCode.USAGE
EXIT_REFUSED = ExitCode.REFUSED
EXIT_BUG = ExitCode.BUG

#: The one table of exit codes (also in README.md; tests/test_cli.py keeps them equal).
EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 problems found or documents rejected; 2 usage or input error; "
    "3 refused (the version exists: pass --force; or cross-split leakage is above the recipe's audit.max_leakage; "
    "or the version number does not fit the changes since --previous; or a Hub tag with another fingerprint); "
    "70 a bug in akhbar (one line; rerun with --debug for the traceback and report it)."
)

app = typer.Typer(
    name="akhbar",
    help=(
        "akhbar (أخبار): Arabic news text with gold annotations -> versioned Hugging Face datasets, "
        "and evaluation of extraction models against them.\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from dataset_builder import __version__

        typer.echo(f"akhbar {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_print_version, is_eager=True, help="Print akhbar's version and exit.",
    )] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="On an unexpected error, show the full Python traceback (allowed after any command too).",
    )] = False,
) -> None:
    """akhbar (أخبار): Arabic news text with gold annotations -> versioned Hugging Face datasets,
    and evaluation of extraction models against them. (``--debug`` itself is read by :func:`main`.)"""


def fail(problem: Problem, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``problem`` as one ``error:`` line on stderr; the exit to raise (usage, unless ``code`` says)."""
    typer.echo(f"error: {problem}", err=True)
    return typer.Exit(code)


def print_json(data: object) -> None:
    """What every ``--json`` prints: one JSON object on stdout (indented, Arabic as is), nothing else there."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


class Printable(Protocol):
    """A command's result: its JSON form and its text form."""

    def to_dict(self) -> Any: ...

    def to_text(self) -> str: ...


def print_result(result: Printable, *, as_json: bool) -> None:
    """A command's result on stdout: :func:`print_json` of ``to_dict()`` with ``--json``, else ``to_text()``."""
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(result.to_text())


def _debug_requested(argv: list[str]) -> tuple[bool, list[str]]:
    """Whether ``--debug`` appears among the options (before a ``--``), and the arguments without it."""
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    return debug, [arg for i, arg in enumerate(argv) if not (i < end and arg == "--debug")]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``akhbar``).

    Every failure a command foresees is a :class:`Problem` printed by the command. What is left:
    an operating-system error (full disk, permissions) is one ``error:`` line and exit 2; any other
    exception is a bug, printed as one line with a hint to rerun with ``--debug`` (which shows the
    full traceback), exit :attr:`ExitCode.BUG`.
    """
    from eval.cli import run_fast_conlleval

    debug, args = _debug_requested(list(sys.argv[1:] if argv is None else argv))
    try:
        if run_fast_conlleval(args):
            return
        app(args=args, prog_name="akhbar")
    except typer.Exit as exc:  # raised by the fast path, outside typer's own handling
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
    except OSError as exc:
        if debug:
            raise
        typer.echo(f"error: {environment_problem(exc)}", err=True)
        sys.exit(ExitCode.USAGE)
    except Exception as exc:
        if debug:
            raise
        message = str(exc).splitlines()[0][:300] if str(exc) else ""
        typer.echo(f"internal error (a bug in akhbar): {type(exc).__name__}: {message}", err=True)
        typer.echo(f"Rerun the same command with --debug to see the full traceback, and report it "
                   f"(exit {int(ExitCode.BUG)}).", err=True)
        sys.exit(ExitCode.BUG)

