"""``akhbar build`` and ``akhbar validate``: annotated text in, a versioned dataset (or its problems) out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dataset_builder.cli.root import EXIT_PROBLEMS, EXIT_REFUSED, fail
from dataset_builder.problems import InputError, Problem

BUILD_EPILOG = (
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


VALIDATE_EPILOG = (
    "\b\nExamples:\n"
    "  akhbar validate corpora/sana-sample/sana-sample.jsonl --schema corpora/sana-sample/schema.yaml\n"
    "  akhbar validate annotations/ --format brat --schema schema.yaml\n\n"
    "Each problem is printed as: FILE:LINE, doc ID: SEVERITY[CODE] what is wrong. Fix: how to fix it."
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
    from dataset_builder.resources import default_recipe, is_bundled_recipe
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
            if is_bundled_recipe(recipe):
                overrides["card"] = bundled_card_options()
            config = BuildConfig.from_recipe(recipe, overrides, data_dir=data_dir)
        report = run_build(config)
    except (VersionExistsError, LeakageError, VersionBumpError) as exc:
        raise fail(exc.problem, EXIT_REFUSED) from None
    except InputError as exc:
        raise fail(exc.problem) from None
    except TaskFailed as exc:
        raise fail(Problem("task-failed", str(exc), "Nothing was published. Fix the cause and build again "
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
        raise fail(exc.problem) from None
    for problem in result.problems:
        typer.echo(problem.to_json() if json_output else str(problem))
    typer.echo(result.summary(), err=json_output)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``akhbar`` app."""
    app.command("build", epilog=BUILD_EPILOG)(build)
    app.command("validate", epilog=VALIDATE_EPILOG)(validate)
