"""``akhbar export`` and ``akhbar push``: a built version in the Hub layout, and on the Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataset_builder.cli.root import EXIT_REFUSED, fail, print_result
from dataset_builder.problems import InputError

EXPORT_EPILOG = (
    "\b\nExamples:\n"
    "  akhbar export out/sana-sample/1.0.0 --out out/hub/sana-sample\n"
    "  akhbar export out/my-news/2.0.0 --out /data/hub/my-news --max-shard-size 200MB --force\n"
    "  # every file with its size and sha256, as JSON\n"
    "  akhbar export out/sana-sample/1.0.0 --out out/hub/sana-sample --json | jq '.files[].sha256'\n\n"
    "The folder loads offline with datasets.load_dataset(FOLDER, 'documents', split='test')."
)


PUSH_EPILOG = (
    "\b\nExamples:\n"
    "  # what would be sent (no token, no network)\n"
    "  akhbar push out/hub/sana-sample --repo-id ORG/NAME --dry-run\n"
    "  # publish: HF_TOKEN or `hf auth login` provides the token\n"
    "  akhbar push out/hub/sana-sample --repo-id ORG/NAME\n"
    "  # a built version directory is exported on the fly\n"
    "  akhbar push out/sana-sample/1.0.0 --repo-id ORG/NAME --private\n\n"
    "The token is read from HF_TOKEN or the `hf auth login` store only (never from the command line, where "
    "shell history and process lists would keep it), and is never printed."
)


def export_command(
    version_dir: Annotated[Path, typer.Argument(help="A built version directory: OUT/NAME/VERSION.")],
    out: Annotated[Path, typer.Option(help="The export folder to write (Hub repository layout).")],
    max_shard_size: Annotated[str, typer.Option(help="Largest Parquet shard, as Arrow bytes: 500MB, 2GiB, ...")]
    = "500MB",
    force: Annotated[bool, typer.Option("--force", help="Replace the export folder if it holds files.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress on stderr (a bar on a "
                                           "terminal, one line per step otherwise).")] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout: out_dir, "
                                              "name, version, fingerprint, rows (config -> split -> rows), "
                                              "total_bytes, files (path, size, sha256, config, split, num_rows).")]
    = False,
) -> None:
    """Write a built version in the Hugging Face Hub layout: data/<config>/<split>-NNNNN-of-NNNNN.parquet,
    the dataset card (README.md) and manifest.json."""
    from dataset_builder.export import ExportExistsError, export
    from dataset_builder.input_limits import parse_size

    try:
        result = export(version_dir, out, max_shard_bytes=parse_size(max_shard_size), force=force,
                        progress=progress)
    except ExportExistsError as exc:
        raise fail(exc.problem, EXIT_REFUSED) from None
    except InputError as exc:
        raise fail(exc.problem) from None
    print_result(result, as_json=json_output)


def push_command(
    source: Annotated[Path, typer.Argument(help="An export folder (akhbar export) or a built version directory.")],
    repo_id: Annotated[str, typer.Option("--repo-id", help="The Hub dataset repository: ORG/NAME.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repository private.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List every file operation and the tag; send "
                                                            "nothing.")] = False,
    endpoint: Annotated[str | None, typer.Option(help="Hub URL (default: HF_ENDPOINT or huggingface.co).")]
    = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout: repo_id, "
                                              "name, version, fingerprint, status, operations (action, path, size, "
                                              "sha256, commit), commits, planned_commits, tag, tag_commit, "
                                              "message.")] = False,
) -> None:
    """Commit an export to a Hub dataset repository in one commit and tag it with the dataset version.

    Refuses a version whose tag already exists with another fingerprint (exit 3), and a missing or
    stale card; the same fingerprint is a no-op.
    """
    from dataset_builder.publish import PushRefusedError, push

    try:
        result = push(source, repo_id, private=private, dry_run=dry_run, endpoint=endpoint)
    except PushRefusedError as exc:
        raise fail(exc.problem, EXIT_REFUSED) from None
    except InputError as exc:
        raise fail(exc.problem) from None
    print_result(result, as_json=json_output)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``akhbar`` app."""
    app.command("export", epilog=EXPORT_EPILOG)(export_command)
    app.command("push", epilog=PUSH_EPILOG)(push_command)
