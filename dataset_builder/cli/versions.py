"""``akhbar inspect``, ``akhbar card`` and ``akhbar diff``: read a built version back, describe it, compare two."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataset_builder.cli.root import EXIT_PROBLEMS, fail, print_json, print_result
from dataset_builder.problems import InputError, Problem

INSPECT_EPILOG = (
    "\b\nExamples:\n"
    "  akhbar inspect out/sana-sample/1.0.0\n"
    "  akhbar inspect out/sana-sample/1.0.0 --json | jq .splits\n"
    "  # the summary and the card's figures (labels, tokens per document, nesting, defects) as one page\n"
    "  akhbar inspect out/sana-sample/1.0.0 --format html > sana-sample.html"
)


CARD_EPILOG = (
    "\b\nExamples:\n"
    "  akhbar card out/sana-sample/1.0.0 --out cards/sana-sample\n"
    "  akhbar card out/my-news/0.1.0 --recipe corpora/recipes/my-news.yaml --guideline docs/guide.md\n"
    "  # gold merged by `akhbar adjudicate`: the card states the policy and the agreement figures\n"
    "  akhbar card out/my-news/0.1.0 --recipe corpora/recipes/my-news.yaml --adjudication gold.adjudication.json\n"
    "  # after `akhbar export`: list the Parquet files with their sha256 in croissant.json\n"
    "  akhbar card out/sana-sample/1.0.0 --export-dir out/hub/sana-sample"
)


DIFF_EPILOG = (
    "\b\nExamples:\n"
    "  # what changed, as Markdown (exit 1 when 1.1.0 is too small a bump for the changes)\n"
    "  akhbar diff out/sana-sample/1.0.0 out/sana-sample/1.1.0\n"
    "  # the same as JSON, and the CHANGELOG.md entry for 1.1.0 (re-running replaces it)\n"
    "  akhbar diff out/sana-sample/1.0.0 out/sana-sample/1.1.0 --format json --changelog CHANGELOG.md\n"
    "  # the entry of a first version (everything in it is added)\n"
    "  akhbar diff out/sana-sample/1.0.0 --changelog CHANGELOG.md"
)


def inspect(
    version_dir: Annotated[Path, typer.Argument(help="A built version directory: OUT/NAME/VERSION.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on stdout: name, "
                                              "version, fingerprint, schema, split_rule, projection_policy, splits "
                                              "(per split: documents, tokens, mentions per layer, ...), labels, "
                                              "defects, documents/spans/links (read, written, rejected), problems, "
                                              "rejects. The same as --format json.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json (same as --json) or html (a "
                                     "self-contained page with the figures of the card).")] = "text",
) -> None:
    """Show what a built version holds: counts and label distribution per split, defects, rejects."""
    from dataset_builder.version_dir import VersionDir

    if fmt not in ("text", "json", "html"):
        raise fail(Problem("usage", f"--format {fmt!r} is not one of: text, json, html.",
                            "Pass --format text, json or html."))
    try:
        if fmt == "html" and not json_output:
            from dataset_builder.inspect_html import render_version_html

            typer.echo(render_version_html(version_dir), nl=False)
            return
        summary = VersionDir.open(version_dir).summary()
    except InputError as exc:
        raise fail(exc.problem) from None
    print_result(summary, as_json=json_output or fmt == "json")


def card(
    version_dir: Annotated[Path, typer.Argument(help="A built version directory: OUT/NAME/VERSION.")],
    out: Annotated[Path | None, typer.Option(help="Where to write README.md and croissant.json "
                                                  "(default: the version directory).")] = None,
    recipe: Annotated[Path | None, typer.Option(help="The recipe the version was built from (for its schema).")]
    = None,
    schema: Annotated[Path | None, typer.Option(help="The schema YAML the version was built with.")] = None,
    guideline: Annotated[Path | None, typer.Option(help="The annotation guideline to pin in the card.")] = None,
    repo_id: Annotated[str | None, typer.Option(help="Hub repository id for the quick-start code.")] = None,
    licence_id: Annotated[str | None, typer.Option(help="Hub licence id (default: from the licence statement).")]
    = None,
    export_dir: Annotated[Path | None, typer.Option(help="An `akhbar export` folder: croissant.json lists its "
                                                         "Parquet files with sha256 and is written there.")] = None,
    adjudication: Annotated[Path | None, typer.Option(help="The .adjudication.json of `akhbar adjudicate`: the "
                                                           "card states its policy and agreement figures.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout: name, "
                                              "version, fingerprint, readme and croissant (the paths written).")]
    = False,
) -> None:
    """(Re)write the dataset card (README.md) and Croissant metadata (croissant.json) of a built version.

    The schema comes from --schema, --recipe, or the bundled corpus' recipe when the version is the bundled corpus.
    """
    from dataset_builder.card import CardRequest, write_card_request

    request = CardRequest(version_dir=version_dir, out_dir=out, recipe=recipe, schema=schema, guideline=guideline,
                          repo_id=repo_id, licence_id=licence_id, export_dir=export_dir, adjudication=adjudication)
    try:
        files = write_card_request(request)
    except InputError as exc:
        raise fail(exc.problem) from None
    if json_output:
        print_json(files.to_dict())
    else:
        typer.echo(f"{files.readme}\n{files.croissant}")


def diff_command(
    versions: Annotated[list[Path], typer.Argument(
        metavar="[OLD] NEW", help="Two built version directories (OUT/NAME/VERSION), older first; or NEW alone "
        "for a first version.")],
    format: Annotated[str, typer.Option("--format", "-f", help="markdown or json.")] = "markdown",
    changelog: Annotated[Path | None, typer.Option(
        metavar="PATH", help="Prepend NEW's Keep a Changelog entry to this file (created if missing; an existing "
        "entry for NEW is replaced, keeping its date).")] = None,
    date: Annotated[str | None, typer.Option(help="The entry's date, YYYY-MM-DD (default: today, or the "
                                                  "existing entry's).")] = None,
    examples: Annotated[int, typer.Option(min=0, help="Examples shown per kind of change.")] = 5,
    json_output: Annotated[bool, typer.Option("--json", help="Print the diff as one JSON object on stdout (the same "
                                              "as --format json): old and new (name, version, fingerprint, ...), "
                                              "fingerprint_equal, required_bump, schema, settings, documents "
                                              "(compared, unchanged, added, removed, ...), spans, links.")] = False,
) -> None:
    """What changed between two versions: documents, spans (per layer and label), links, splits, schema,
    settings; and the semantic-version bump the changes require (docs/versioning.md).

    Exit 1 when NEW's version number is too small a bump for the changes (nothing is written to the
    changelog then).
    """
    from dataset_builder.versioning import DiffRequest, diff_release

    if format not in ("markdown", "json"):
        raise fail(Problem("usage", f"--format {format!r} is not markdown or json.", "Use --format markdown "
                           "or --format json."))
    try:
        release = diff_release(DiffRequest(versions=tuple(versions), examples=examples, changelog=changelog,
                                           date=date))
    except InputError as exc:
        raise fail(exc.problem) from None
    if json_output or format == "json":
        print_json(release.diff.to_dict())
    else:
        typer.echo(release.diff.to_markdown(), nl=False)
    if release.refusal is not None:
        raise fail(release.refusal, EXIT_PROBLEMS)
    if release.changelog_changed is not None:
        typer.echo(f"{'wrote' if release.changelog_changed else 'unchanged:'} {changelog} "
                   f"[{release.diff.new.version}]", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``akhbar`` app."""
    app.command("inspect", epilog=INSPECT_EPILOG)(inspect)
    app.command("card", epilog=CARD_EPILOG)(card)
    app.command("diff", epilog=DIFF_EPILOG)(diff_command)
