"""The ``akhbar`` command line: a thin shell over the Python API.

Commands here: ``build``, ``validate``, ``inspect`` and the dataset life cycle (``card``, ``export``,
``push``, ``diff``, ``audit``). The evaluation commands (``eval``, ``compare``, ``benchmark``) live in the
``eval`` package and register themselves on :data:`app`. Heavy libraries (``datasets``, ``pyarrow``) are
imported inside the commands, so ``akhbar --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from dataset_builder.problems import ExitCode, InputError, Problem

__all__ = ["EXIT_BUG", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_REFUSED", "EXIT_USAGE", "app", "environment_problem", "main"]

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


def _fail(problem: Problem, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"error: {problem}", err=True)
    return typer.Exit(code)


def default_recipe() -> Path:
    """The bundled corpus' recipe: the installed package's copy, or the checkout's."""
    from dataset_builder.resources import BUNDLED_RECIPE, shipped

    return shipped(BUNDLED_RECIPE)


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  # the bundled gold corpus -> ./out/sana-sample/1.0.0, with a summary\n"
        "  akhbar build\n"
        "  # a recipe, under another version and output root\n"
        "  akhbar build corpora/sana-sample/recipe.yaml --version 1.0.1 --out /tmp/datasets\n"
        "  # files without a recipe, hash split 80/10/10\n"
        "  akhbar build --input news.jsonl --schema schema.yaml --name my-news --version 0.1.0 \\\n"
        "               --split train=0.8,validation=0.1,test=0.1\n"
        "  # a CoNLL corpus with its official split, replacing an existing version\n"
        "  akhbar build --input train.txt --format conll --schema s.yaml --name x --version 1.0.0 \\\n"
        "               --split-file splits.tsv --policy split --force\n"
        "  # a correction release, refused unless 1.0.1 fits the changes since 1.0.0 (docs/versioning.md)\n"
        "  akhbar build corpora/sana-sample/recipe.yaml --version 1.0.1 --previous 1.0.0\n"
        "  # every core (the default), or a Ray cluster; a killed build started with --resume goes on where\n"
        "  # it stopped (the same bytes and fingerprint whatever the engine and --jobs; docs/scaling.md)\n"
        "  akhbar build archive.yaml --jobs 2 --resume\n"
        "  akhbar build archive.yaml --engine ray --ray-address auto --out /shared/out"
    )
)
def build(
    recipe: Annotated[Path | None, typer.Argument(help="A recipe.yaml (default: the bundled corpus).")] = None,
    recipe_option: Annotated[Path | None, typer.Option(
        "--recipe", "-r", metavar="PATH", help="A recipe.yaml (the same as the RECIPE argument).",
    )] = None,
    input: Annotated[list[Path] | None, typer.Option(
        "--input", "-i", metavar="PATH", help="Input file or folder (repeatable); builds without a recipe.",
    )] = None,
    schema: Annotated[Path | None, typer.Option(metavar="PATH", help="Schema YAML (required with --input).")] = None,
    name: Annotated[str | None, typer.Option(help="Dataset name (required with --input).")] = None,
    version: Annotated[str | None, typer.Option(help="Semantic version MAJOR.MINOR.PATCH; "
                                                     "overrides the recipe's.")] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Input format: jsonl, article, brat, "
                                                "conll, labelstudio (default: detected).")] = None,
    out: Annotated[Path, typer.Option(help="Output root; the version goes to OUT/NAME/VERSION.")] = Path("out"),
    split: Annotated[str | None, typer.Option(help="Hash split ratios, e.g. train=0.8,validation=0.1,test=0.1.")]
    = None,
    split_file: Annotated[Path | None, typer.Option(help="Explicit split: JSON {doc_id: split} or TSV "
                                                         "doc_id<TAB>split.")] = None,
    policy: Annotated[str | None, typer.Option(help="Span -> token tags: expand (default), split or strict.")]
    = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where a recipe's ${data_dir}/ inputs live.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop at the first invalid document instead of rejecting it.",
    )] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the version if it exists.")] = False,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes of --engine local (default: the "
                                              "number of cores); the output is the same for any number.")] = None,
    engine: Annotated[str | None, typer.Option(help="Where the build's tasks run: local (process pool, the "
                                                    "default) | ray.")] = None,
    ray_address: Annotated[str | None, typer.Option(help="With --engine ray: auto | ray://HOST:10001 (default: "
                                                         "a local Ray instance).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Keep the finished tasks of a killed build of this "
                                         "version (started with --resume too) and run only the rest.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary (with the version check and "
                                                              "leakage, when asked for) as one JSON object.")] = False,
    max_leakage: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Refuse to publish when more than this share of a split's sentences have a "
        "(near-)duplicate in another split (overrides the recipe's `audit`; see `akhbar audit`).",
    )] = None,
    previous: Annotated[str | None, typer.Option(
        metavar="DIR|VERSION", help="The previous version (its directory, or a bare version under OUT/NAME/): "
        "refuse (exit 3) a version number that does not fit the changes since it, or no change at all "
        "(overrides the recipe's `previous`; see docs/versioning.md).",
    )] = None,
) -> None:
    """Build a versioned dataset (documents + tokens configs, manifest, build report).

    With no arguments, builds the bundled gold corpus into ./out and prints a summary.
    """
    from dataset_builder.audit import AuditPolicy, LeakageError
    from dataset_builder.card import bundled_card_options
    from dataset_builder.config import BuildConfig
    from dataset_builder.engine import TaskFailed
    from dataset_builder.pipeline import VersionExistsError
    from dataset_builder.pipeline import build as run_build
    from dataset_builder.schema import load_schema
    from dataset_builder.split import load_split_file, parse_split_spec
    from dataset_builder.versioning import VersionBumpError

    try:
        if recipe is not None and recipe_option is not None:
            raise InputError(Problem("usage", "give the recipe once: as an argument or with --recipe.",
                                     "Drop one of them."))
        recipe = recipe or recipe_option
        if split and split_file:
            raise InputError(Problem("usage", "--split and --split-file are exclusive.", "Pass only one of them."))
        given = {"version": version, "format": format, "name": name, "policy": policy, "previous": previous,
                 "jobs": jobs, "engine": engine, "ray_address": ray_address,
                 "split": parse_split_spec(split) if split else load_split_file(split_file) if split_file else None,
                 "audit": None if max_leakage is None else AuditPolicy(max_leakage=max_leakage, action="refuse")}
        overrides = {key: value for key, value in given.items() if value is not None}
        overrides |= {"out_dir": out, "strict": strict, "force": force, "progress": progress, "jobs": jobs,
                      "resume": resume}
        if input:
            if recipe is not None:
                raise InputError(Problem("usage", "give either a recipe or --input, not both.",
                                         "Drop the recipe argument, or the --input options."))
            missing = [flag for flag, value in (("--schema", schema), ("--name", name), ("--version", version))
                       if not value]
            if missing:
                raise InputError(Problem("usage", f"building from --input needs {', '.join(missing)}.",
                                         "Add them, e.g. --schema schema.yaml --name my-news --version 0.1.0."))
            assert schema is not None
            config = BuildConfig(inputs=tuple(input), schema=load_schema(schema), **overrides)
        else:
            recipe = recipe or default_recipe()
            if _is_bundled_recipe(recipe):
                overrides["card"] = bundled_card_options()
            config = BuildConfig.from_recipe(recipe, overrides, data_dir=data_dir)
        report = run_build(config)
    except (VersionExistsError, LeakageError, VersionBumpError) as exc:
        raise _fail(exc.problem, EXIT_REFUSED) from None
    except InputError as exc:
        raise _fail(exc.problem) from None
    except TaskFailed as exc:
        raise _fail(Problem("task-failed", str(exc), "Nothing was published. Fix the cause and build again "
                            "(with --resume, finished tasks are kept)."), EXIT_PROBLEMS) from None
    if json_output:
        leakage = None if report.audit is None else report.audit.leakage()
        data = {**report.summary().to_dict(), "previous": report.previous, "leakage": leakage}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        raise typer.Exit(report.exit_code)
    typer.echo(report.summary().to_text())
    if report.previous is not None:
        check = report.previous
        typer.echo(f"  previous     {check['version']}: {check['required_bump']} bump required, "
                   f"{report.version} is {check['bump']}")
    if report.audit is not None:
        assert config.audit is not None
        leakage = ", ".join(f"{split} {100 * v:.2f}%" for splits in report.audit.leakage().values()
                            for split, v in splits.items())
        typer.echo(f"  leakage      {leakage or 'one split only'} (audit.json)")
        warning = report.audit.check(config.audit)
        if warning is not None:
            typer.echo(f"warning: {warning}", err=True)
    raise typer.Exit(report.exit_code)


def _is_bundled_recipe(path: Path) -> bool:
    try:
        return path.resolve() == default_recipe().resolve()
    except InputError:
        return False


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  akhbar card out/sana-sample/1.0.0 --out cards/sana-sample\n"
        "  akhbar card out/my-news/0.1.0 --recipe corpora/recipes/my-news.yaml --guideline docs/guide.md\n"
        "  # gold merged by `akhbar adjudicate`: the card states the policy and the agreement figures\n"
        "  akhbar card out/my-news/0.1.0 --recipe corpora/recipes/my-news.yaml --adjudication gold.adjudication.json\n"
        "  # after `akhbar export`: list the Parquet files with their sha256 in croissant.json\n"
        "  akhbar card out/sana-sample/1.0.0 --export-dir out/hub/sana-sample"
    )
)
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
) -> None:
    """(Re)write the dataset card (README.md) and Croissant metadata (croissant.json) of a built version.

    The schema comes from --schema, --recipe, or the bundled corpus' recipe when the version is the bundled corpus.
    """
    import dataclasses

    from dataset_builder.card import CardOptions, bundled_card_options, write_card_files
    from dataset_builder.recipe import load_recipe, recipe_schema
    from dataset_builder.schema import load_schema
    from dataset_builder.version_dir import VersionDir

    try:
        options = CardOptions()
        if schema is not None:
            loaded_schema = load_schema(schema)
        elif recipe is not None:
            loaded_schema = recipe_schema(recipe)
            options = bundled_card_options() if _is_bundled_recipe(recipe) else options
        else:
            name = VersionDir.open(version_dir).name
            bundled = load_recipe(default_recipe())
            if bundled.name != name:
                raise InputError(Problem(
                    "usage", f"{name!r} is not the bundled corpus: the card needs its schema.",
                    "Pass --recipe RECIPE.yaml or --schema SCHEMA.yaml (the ones the version was built with).",
                ))
            loaded_schema, options = bundled.schema, bundled_card_options()
        changes: dict[str, Any] = {"guideline_path": guideline, "guideline_link": guideline and guideline.as_posix(),
                                   "repo_id": repo_id, "licence_id": licence_id, "adjudication": adjudication}
        options = dataclasses.replace(options, **{k: v for k, v in changes.items() if v is not None})
        readme, croissant = write_card_files(version_dir, schema=loaded_schema, options=options, out_dir=out,
                                             export_dir=export_dir)
    except InputError as exc:
        raise _fail(exc.problem) from None
    typer.echo(f"{readme}\n{croissant}")


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  akhbar validate corpora/sana-sample/sana-sample.jsonl --schema corpora/sana-sample/schema.yaml\n"
        "  akhbar validate annotations/ --format brat --schema schema.yaml\n\n"
        "Each problem is printed as: FILE:LINE, doc ID: SEVERITY[CODE] what is wrong. Fix: how to fix it."
    )
)
def validate(
    inputs: Annotated[list[Path], typer.Argument(help="Input files or folders.")],
    schema: Annotated[Path, typer.Option(help="Schema YAML to validate against.")],
    format: Annotated[str | None, typer.Option("--format", "-f", help="Input format (default: detected).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON problem per line instead of text.")]
    = False,
) -> None:
    """List ALL problems of the input (file:line, what, fix) and a summary; exit 1 if any error."""
    from dataset_builder.pipeline import validate_inputs
    from dataset_builder.schema import load_schema

    try:
        result = validate_inputs(inputs, load_schema(schema), format=format)
    except InputError as exc:
        raise _fail(exc.problem) from None
    for problem in result.problems:
        typer.echo(problem.to_json() if json_output else str(problem))
    typer.echo(result.summary(), err=json_output)
    raise typer.Exit(result.exit_code)


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  akhbar inspect out/sana-sample/1.0.0\n"
        "  akhbar inspect out/sana-sample/1.0.0 --json | jq .splits\n"
        "  # the summary and the card's figures (labels, tokens per document, nesting, defects) as one page\n"
        "  akhbar inspect out/sana-sample/1.0.0 --format html > sana-sample.html"
    )
)
def inspect(
    version_dir: Annotated[Path, typer.Argument(help="A built version directory: OUT/NAME/VERSION.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json (same as --json) or html (a "
                                     "self-contained page with the figures of the card).")] = "text",
) -> None:
    """Show what a built version holds: counts and label distribution per split, defects, rejects."""
    from dataset_builder.version_dir import VersionDir

    if fmt not in ("text", "json", "html"):
        raise _fail(Problem("usage", f"--format {fmt!r} is not one of: text, json, html.",
                            "Pass --format text, json or html."))
    try:
        if fmt == "html":
            from dataset_builder.inspect_html import render_version_html

            typer.echo(render_version_html(version_dir), nl=False)
            return
        summary = VersionDir.open(version_dir).summary()
    except InputError as exc:
        raise _fail(exc.problem) from None
    typer.echo(summary.to_json() if json_output or fmt == "json" else summary.to_text())


_SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def _parse_size(text: str) -> int:
    """``500MB`` -> 500000000 (KB/MB/GB are decimal, KiB/MiB/GiB binary; a bare number is bytes)."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*", text, re.IGNORECASE)
    if not match:
        raise InputError(Problem("usage", f"{text!r} is not a size.", "Write e.g. 500MB, 2GiB or 1000000."))
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()])


@app.command(
    name="export",
    epilog=(
        "\b\nExamples:\n"
        "  akhbar export out/sana-sample/1.0.0 --out out/hub/sana-sample\n"
        "  akhbar export out/my-news/2.0.0 --out /data/hub/my-news --max-shard-size 200MB --force\n\n"
        "The folder loads offline with datasets.load_dataset(FOLDER, 'documents', split='test')."
    ),
)
def export_command(
    version_dir: Annotated[Path, typer.Argument(help="A built version directory: OUT/NAME/VERSION.")],
    out: Annotated[Path, typer.Option(help="The export folder to write (Hub repository layout).")],
    max_shard_size: Annotated[str, typer.Option(help="Largest Parquet shard, as Arrow bytes: 500MB, 2GiB, ...")]
    = "500MB",
    force: Annotated[bool, typer.Option("--force", help="Replace the export folder if it holds files.")] = False,
) -> None:
    """Write a built version in the Hugging Face Hub layout: data/<config>/<split>-NNNNN-of-NNNNN.parquet,
    the dataset card (README.md) and manifest.json."""
    from dataset_builder.export import ExportExistsError, export

    try:
        result = export(version_dir, out, max_shard_bytes=_parse_size(max_shard_size), force=force)
    except ExportExistsError as exc:
        raise _fail(exc.problem, EXIT_REFUSED) from None
    except InputError as exc:
        raise _fail(exc.problem) from None
    typer.echo(result.to_text())


@app.command(
    name="push",
    epilog=(
        "\b\nExamples:\n"
        "  # what would be sent (no token, no network)\n"
        "  akhbar push out/hub/sana-sample --repo-id ORG/NAME --dry-run\n"
        "  # publish: HF_TOKEN or `hf auth login` provides the token\n"
        "  akhbar push out/hub/sana-sample --repo-id ORG/NAME\n"
        "  # a built version directory is exported on the fly\n"
        "  akhbar push out/sana-sample/1.0.0 --repo-id ORG/NAME --private\n\n"
        "The token is read from HF_TOKEN or the `hf auth login` store only (never from the command line, where "
        "shell history and process lists would keep it), and is never printed."
    ),
)
def push_command(
    source: Annotated[Path, typer.Argument(help="An export folder (akhbar export) or a built version directory.")],
    repo_id: Annotated[str, typer.Option("--repo-id", help="The Hub dataset repository: ORG/NAME.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repository private.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List every file operation and the tag; send "
                                                            "nothing.")] = False,
    endpoint: Annotated[str | None, typer.Option(help="Hub URL (default: HF_ENDPOINT or huggingface.co).")]
    = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Commit an export to a Hub dataset repository in one commit and tag it with the dataset version.

    Refuses a version whose tag already exists with another fingerprint (exit 3), and a missing or
    stale card; the same fingerprint is a no-op.
    """
    from dataset_builder.publish import PushRefusedError, push

    try:
        result = push(source, repo_id, private=private, dry_run=dry_run, endpoint=endpoint)
    except PushRefusedError as exc:
        raise _fail(exc.problem, EXIT_REFUSED) from None
    except InputError as exc:
        raise _fail(exc.problem) from None
    if json_output:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(result.to_text())


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  # duplicates across the splits of one dataset\n"
        "  akhbar audit out/newsfane-gold/1.0.0\n"
        "  # which ANERcorp test sentences NewsFANE also holds (cross-dataset), as JSON\n"
        "  akhbar audit out/anercorp-camel/1.0.0 out/newsfane-gold/1.0.0 --threshold 0.7 --json > audit.json\n"
        "  # fail (exit 1) when more than 1% of a split's sentences leak into another split\n"
        "  akhbar audit out/wojood-sample/1.0.0 --max-leakage 0.01\n"
        "  # contamination: which test sentences are in an external corpus (JSONL, Parquet, text), on 2 cores\n"
        "  akhbar audit out/anercorp-camel/1.0.0 --against web/*.jsonl --against wiki.parquet --jobs 2\n"
        "  # the same on a Ray cluster, resumable after a kill\n"
        "  akhbar audit out/anercorp-camel/1.0.0 --against /shared/web --engine ray --ray-address auto "
        "--work-dir /shared/tmp/audit --resume"
    )
)
def audit(
    datasets: Annotated[list[Path], typer.Argument(metavar="DATASET...", help="Built version directories "
                                                   "(OUT/NAME/VERSION).")],
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Minimum Jaccard similarity of word-shingle "
                                             "sets for a near duplicate (1.0: exact only).")] = 0.8,
    level: Annotated[str, typer.Option(help="Compare sentences or whole documents: sentence | document.")]
    = "sentence",
    shingle_size: Annotated[int, typer.Option(min=1, help="Words per shingle.")] = 3,
    min_tokens: Annotated[int, typer.Option(min=1, help="Leave out units with fewer canonical words.")] = 3,
    max_pairs: Annotated[int, typer.Option(min=0, help="Pairs listed in the JSON output (all are counted).")]
    = 1000,
    max_leakage: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Exit 1 when a split's leakage "
                                                      "into another split of its dataset is above this share.")]
    = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    against: Annotated[list[Path] | None, typer.Option(help="External corpus files or folders (JSONL, Parquet, "
                                                       "text): check the version's sentences against them.")]
    = None,
    split: Annotated[list[str] | None, typer.Option(help="With --against: splits to check (default: test).")]
    = None,
    text_field: Annotated[str, typer.Option(help="With --against: JSONL field / Parquet column of the text.")]
    = "text",
    engine: Annotated[str, typer.Option(help="With --against: local (process pool) | ray.")] = "local",
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: the number of cores).")]
    = None,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster: auto | ray://HOST:10001 (default: a "
                                                    "local Ray instance).")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="Completion markers go here (a path every node "
                                                  "can reach).")] = None,
    resume: Annotated[bool, typer.Option(help="Skip tasks already completed in --work-dir.")] = False,
) -> None:
    """Exact and near-duplicate sentences (or documents) across splits and datasets.

    With --against: 13-gram overlap and MinHash near duplicates of the version's test sentences in an
    external corpus, read in shards on every core (or on a Ray cluster).

    Texts are compared on a normalized, clitic-insensitive word view (MinHash + LSH candidates,
    verified by exact Jaccard), so NewsFANE's segmented, hamza-less text matches ANERcorp's.
    """
    from dataset_builder.audit import AuditPolicy
    from dataset_builder.audit import audit as run_audit

    if against:
        raise _audit_against(datasets, against, splits=split or ["test"], threshold=threshold,
                             shingle_size=shingle_size, min_tokens=min_tokens, text_field=text_field, engine=engine,
                             jobs=jobs, ray_address=ray_address, work_dir=work_dir, resume=resume,
                             json_output=json_output)
    if level not in ("sentence", "document"):
        raise _fail(Problem("usage", f"--level {level!r} is not sentence or document.", "Use --level sentence "
                            "or --level document."))
    try:
        report = run_audit(datasets, level=level, threshold=threshold,  # type: ignore[arg-type]
                           shingle_size=shingle_size, min_tokens=min_tokens, max_pairs=max_pairs)
    except InputError as exc:
        raise _fail(exc.problem) from None
    typer.echo(report.to_json() if json_output else report.to_text())
    if max_leakage is not None:
        problem = report.check(AuditPolicy(max_leakage=max_leakage, threshold=threshold, level=level))
        if problem is not None:
            typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(EXIT_PROBLEMS)
    raise typer.Exit(EXIT_OK)


def _audit_against(datasets: list[Path], against: list[Path], *, splits: list[str], threshold: float,
                   shingle_size: int, min_tokens: int, text_field: str, engine: str, jobs: int | None,
                   ray_address: str | None, work_dir: Path | None, resume: bool, json_output: bool) -> typer.Exit:
    """`audit --against`: one call to :func:`dataset_builder.decontaminate.audit_against`, printed."""
    from dataset_builder.decontaminate import ContaminationSettings, audit_against
    from dataset_builder.engine import ENGINES, EngineSettings, TaskFailed

    if len(datasets) != 1:
        return _fail(Problem("usage", f"--against checks one version, not {len(datasets)}.",
                             "Pass one built version directory."))
    if engine not in ENGINES:
        return _fail(Problem("usage", f"--engine {engine!r} is not one of {', '.join(ENGINES)}.",
                             "Use --engine local or --engine ray."))
    if resume and work_dir is None:
        return _fail(Problem("usage", "--resume needs --work-dir (where the completion markers are).",
                             "Pass the --work-dir of the run to resume."))
    settings = ContaminationSettings(threshold=threshold, shingle_size=shingle_size, min_tokens=min_tokens,
                                     text_field=text_field)
    run = EngineSettings(engine=engine, jobs=jobs, ray_address=ray_address, work_dir=work_dir,  # type: ignore[arg-type]
                         resume=resume, progress=True)
    try:
        report = audit_against(datasets[0], against, splits=splits, settings=settings, engine=run)
    except InputError as exc:
        return _fail(exc.problem)
    except TaskFailed as exc:
        return _fail(Problem("audit-task-failed", str(exc), "Fix the shard named (or remove it) and run again "
                             "with --resume."), EXIT_PROBLEMS)
    typer.echo(report.to_json() if json_output else report.to_text())
    return typer.Exit(EXIT_OK)


@app.command(
    name="diff",
    epilog=(
        "\b\nExamples:\n"
        "  # what changed, as Markdown (exit 1 when 1.1.0 is too small a bump for the changes)\n"
        "  akhbar diff out/sana-sample/1.0.0 out/sana-sample/1.1.0\n"
        "  # the same as JSON, and the CHANGELOG.md entry for 1.1.0 (re-running replaces it)\n"
        "  akhbar diff out/sana-sample/1.0.0 out/sana-sample/1.1.0 --format json --changelog CHANGELOG.md\n"
        "  # the entry of a first version (everything in it is added)\n"
        "  akhbar diff out/sana-sample/1.0.0 --changelog CHANGELOG.md"
    ),
)
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
) -> None:
    """What changed between two versions: documents, spans (per layer and label), links, splits, schema,
    settings; and the semantic-version bump the changes require (docs/versioning.md).

    Exit 1 when NEW's version number is too small a bump for the changes (nothing is written to the
    changelog then).
    """
    import re

    from dataset_builder.diff import changelog_entry, diff, prepend_changelog
    from dataset_builder.versioning import VersionBumpError, check_bump

    if format not in ("markdown", "json"):
        raise _fail(Problem("usage", f"--format {format!r} is not markdown or json.", "Use --format markdown "
                            "or --format json."))
    if len(versions) not in (1, 2):
        raise _fail(Problem("usage", f"expected OLD NEW (or NEW alone), got {len(versions)} paths.",
                            "Pass two version directories, e.g. out/sana-sample/1.0.0 out/sana-sample/1.1.0."))
    if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise _fail(Problem("usage", f"--date {date!r} is not YYYY-MM-DD.", "Write e.g. --date 2026-01-31."))
    old_dir, new_dir = (None, versions[0]) if len(versions) == 1 else (versions[0], versions[1])
    try:
        result = diff(old_dir, new_dir, max_examples=examples)
    except InputError as exc:
        raise _fail(exc.problem) from None
    typer.echo(result.to_json() if format == "json" else result.to_markdown(), nl=format == "json")
    if result.old is not None:
        try:
            check_bump(result)
        except VersionBumpError as exc:
            typer.echo(f"error: {exc.problem}", err=True)
            raise typer.Exit(EXIT_PROBLEMS) from None
    if changelog is not None:
        changed = prepend_changelog(changelog, changelog_entry(result, date=date), name=result.new.name,
                                    keep_date=date is None)
        typer.echo(f"{'wrote' if changed else 'unchanged:'} {changelog} [{result.new.version}]", err=True)


@app.command(
    "env",
    epilog=(
        "\b\nExamples:\n"
        "  # paste into a bug report\n"
        "  akhbar env\n"
        "  akhbar env --json"
    ),
)
def env_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Versions of akhbar, Python, the core libraries and the optional extras, and the platform."""
    from dataset_builder.environment import describe_environment

    environment = describe_environment()
    typer.echo(json.dumps(environment.to_dict(), indent=2) if as_json else environment.to_text())


def _register_command_groups() -> None:
    # Command groups that live with their own package; each module imports only typer at load time.
    from dataset_builder.annotate.cli import register as register_annotate
    from eval.benchmark import register as register_benchmark
    from eval.cli import register as register_eval
    from eval.runners.cli import register as register_predict

    register_eval(app)
    register_benchmark(app)
    register_predict(app)
    register_annotate(app)


_register_command_groups()


def _debug_requested(argv: list[str]) -> tuple[bool, list[str]]:
    """Whether ``--debug`` appears among the options (before a ``--``), and the arguments without it."""
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    return debug, [arg for i, arg in enumerate(argv) if not (i < end and arg == "--debug")]


def environment_problem(exc: OSError) -> Problem:
    """An operating-system failure (full disk, permissions, a file vanishing) as a :class:`Problem`."""
    import errno

    where = exc.filename if exc.filename is not None else None
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Problem("disk-full", f"no space left on the device ({exc.strerror}); nothing was published.",
                       "Free some space or write elsewhere (--out), then run the command again.",
                       path=None if where is None else str(where))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Problem("permission-denied", f"the operating system refused access ({exc.strerror}).",
                       "Check the permissions of the path, or choose another one.",
                       path=None if where is None else str(where))
    return Problem("os-error", f"the operating system reported: {exc.strerror or exc}.",
                   "Check the path and the disk, then run the command again.",
                   path=None if where is None else str(where))


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


if __name__ == "__main__":  # pragma: no cover
    main()
