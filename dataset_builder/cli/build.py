"""``akhbar build`` and ``akhbar validate``: annotated text in, a versioned dataset (or its problems) out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataset_builder.cli.root import EXIT_PROBLEMS, EXIT_REFUSED, fail, print_json
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
    "  akhbar validate annotations/ --format brat --schema schema.yaml\n"
    "  # the counts per problem code, for a script\n"
    "  akhbar validate news.jsonl --schema schema.yaml --json | jq .by_code\n\n"
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
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout: the "
                                              "keys of `akhbar inspect --json` (name, version, fingerprint, splits, "
                                              "labels, documents, spans, links, problems, rejects, ...), previous "
                                              "(the version check) and leakage (split -> split -> share).")] = False,
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
    from dataset_builder.audit import LeakageError
    from dataset_builder.config import BuildConfig, BuildOptions
    from dataset_builder.engine import TaskFailed
    from dataset_builder.pipeline import VersionExistsError
    from dataset_builder.pipeline import build as run_build
    from dataset_builder.versioning import VersionBumpError

    options = BuildOptions(
        recipes=tuple(path for path in (recipe, recipe_option) if path is not None), inputs=tuple(input or ()),
        schema=schema, name=name, version=version, format=format, out_dir=out, split=split, split_file=split_file,
        policy=policy, data_dir=data_dir, strict=strict, force=force, jobs=jobs, engine=engine,
        ray_address=ray_address, resume=resume, progress=progress, max_leakage=max_leakage, previous=previous)
    try:
        config = BuildConfig.from_options(options)
        report = run_build(config)
    except (VersionExistsError, LeakageError, VersionBumpError) as exc:
        raise fail(exc.problem, EXIT_REFUSED) from None
    except InputError as exc:
        raise fail(exc.problem) from None
    except TaskFailed as exc:
        raise fail(Problem("task-failed", str(exc), "Nothing was published. Fix the cause and build again "
                           "(with --resume, finished tasks are kept)."), EXIT_PROBLEMS) from None
    if json_output:
        print_json(report.result_dict())
        raise typer.Exit(report.exit_code)
    typer.echo(report.result_text())
    warning = None if report.audit is None or config.audit is None else report.audit.check(config.audit)
    if warning is not None:
        typer.echo(f"warning: {warning}", err=True)
    raise typer.Exit(report.exit_code)


def validate(
    inputs: Annotated[list[Path], typer.Argument(help="Input files or folders.")],
    schema: Annotated[Path, typer.Option(help="Schema YAML to validate against.")],
    format: Annotated[str | None, typer.Option("--format", "-f", help="Input format (default: detected).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout: records, "
                                              "rejected, errors, by_severity, by_code, problems (each: code, "
                                              "message, fix, severity, path, line, doc_id, ...).")] = False,
) -> None:
    """List ALL problems of the input (file:line, what, fix) and a summary; exit 1 if any error."""
    from dataset_builder.pipeline import validate_inputs
    from dataset_builder.schema import load_schema

    try:
        result = validate_inputs(inputs, load_schema(schema), format=format)
    except InputError as exc:
        raise fail(exc.problem) from None
    if json_output:
        print_json(result.to_dict())
        raise typer.Exit(result.exit_code)
    for problem in result.problems:
        typer.echo(str(problem))
    typer.echo(result.summary())
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``akhbar`` app."""
    app.command("build", epilog=BUILD_EPILOG)(build)
    app.command("validate", epilog=VALIDATE_EPILOG)(validate)
