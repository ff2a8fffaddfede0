"""``akhbar annotate export``, ``akhbar agree`` and ``akhbar adjudicate``: a thin shell over
:mod:`dataset_builder.annotate` and :mod:`eval.agreement`.

Exit codes (:class:`~dataset_builder.problems.ExitCode`): 0 done; 1 done, but an input had
error-level problems (listed on stderr; what could not be read is not compared or merged); 2 usage or
input error, nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dataset_builder.problems import ExitCode, InputError, Problem

annotate_app = typer.Typer(help="Send documents to annotators (Label Studio, BRAT), pre-annotated or not.",
                           no_args_is_help=True)

EXPORT_EPILOG = (
    "\b\nExamples:\n"
    "  # the bundled article as Label Studio tasks + labeling config (tasks.json, config.xml)\n"
    "  akhbar annotate export corpora/sana-sample/sana-sample.jsonl --to labelstudio \\\n"
    "         --schema corpora/sana-sample/schema.yaml --out ls/\n"
    "  # a BRAT collection (.txt/.ann per document + annotation.conf), pre-annotated from a predictions file\n"
    "  akhbar annotate export articles/ --to brat --schema schema.yaml --out brat/ --pre-annotate pred.jsonl\n"
    "  # pre-annotated by the gazetteer baseline, trained on the train split of a built version\n"
    "  akhbar annotate export articles/ --to labelstudio --schema schema.yaml --out ls/ \\\n"
    "         --pre-annotate gazetteer --train out/newsfane-gold/1.0.0\n"
    "  # the conflicts akhbar adjudicate left, back to Label Studio for a human adjudicator\n"
    "  akhbar annotate export gold.conflicts.jsonl --to labelstudio --schema schema.yaml --out adjudicate/\n"
    "\n--pre-annotate MODEL: an existing path is a predictions file akhbar eval reads (standoff JSONL as\n"
    "akhbar benchmark --out writes it, the offset-free mentions akhbar predict --out writes for an LLM, a\n"
    "BRAT folder); gazetteer or linear is that baseline, trained on --train VERSION_DIR (its --train-split)\n"
    "as akhbar benchmark trains it. Its spans go in as Label Studio predictions (model_version = the file\n"
    "name, or e.g. gazetteer@newsfane-gold/1.0.0; --model-version renames), or BRAT spans with a note."
)
AGREE_EPILOG = (
    "\b\nExamples:\n"
    "  # two annotators' Label Studio exports, named after their files\n"
    "  akhbar agree ali.json mona.json --schema schema.yaml\n"
    "  # named annotators, three of them, an HTML report with the disagreements side by side\n"
    "  akhbar agree ali=ali.json mona=mona/ sami=sami.jsonl --schema schema.yaml --format html -o agree.html\n"
    "  # the bundled article against a second annotation of it\n"
    "  akhbar agree A=corpora/sana-sample/sana-sample.jsonl B=tests/fixtures/annotation/sana-annotator-b.jsonl \\\n"
    "               --schema corpora/sana-sample/schema.yaml"
)
ADJUDICATE_EPILOG = (
    "\b\nExamples:\n"
    "  # majority vote; ties are conflicts, listed with context in gold.adjudication.json\n"
    "  akhbar adjudicate ali.json mona.json sami.json --schema schema.yaml --out gold.jsonl\n"
    "  # take mona's spans where the annotators differ\n"
    "  akhbar adjudicate ali.json mona.json --schema schema.yaml --out gold.jsonl --policy prefer:mona\n"
    "\nWrites gold.jsonl (merged gold, every span with its annotators), gold.conflicts.jsonl (undecided\n"
    "spans, for akhbar annotate export) and gold.adjudication.json (policy, counts, conflicts, agreement;\n"
    "akhbar card VERSION --adjudication gold.adjudication.json states them in the dataset card)."
)


def _fail(problem: Problem) -> typer.Exit:
    typer.echo(f"error: {problem}", err=True)
    return typer.Exit(ExitCode.USAGE)


def _report_problems(problems: list[Problem]) -> int:
    """List reader problems on stderr; the exit code they call for."""
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    errors = [p for p in problems if p.is_error]
    if errors:
        typer.echo(f"exit {int(ExitCode.PROBLEMS)}: {len(errors)} error-level problem(s) in the inputs.", err=True)
        return ExitCode.PROBLEMS
    return ExitCode.OK


@annotate_app.command("export", epilog=EXPORT_EPILOG, no_args_is_help=True)
def export_command(
    inputs: Annotated[list[Path], typer.Argument(help="Input files or folders (any format), or a built version.")],
    schema: Annotated[Path, typer.Option(help="Schema YAML: labels, definitions, link types.")],
    out: Annotated[Path, typer.Option(help="Folder to write the tasks or the BRAT collection to.")],
    to: Annotated[str, typer.Option(help="labelstudio or brat.")] = "labelstudio",
    pre_annotate: Annotated[str | None, typer.Option(
        metavar="FILE|gazetteer|linear", help="Pre-annotate: a predictions file (akhbar benchmark/predict output), "
        "or a baseline trained on --train.")] = None,
    train: Annotated[Path | None, typer.Option(
        metavar="VERSION_DIR", help="--pre-annotate gazetteer|linear: the built version to train on.")] = None,
    train_split: Annotated[str, typer.Option(help="--pre-annotate gazetteer|linear: the split to train on.")]
    = "train",
    layer: Annotated[str | None, typer.Option(help="--pre-annotate gazetteer|linear: the layer to learn and "
                                              "predict (default: the first layer of the training data).")] = None,
    model_version: Annotated[str | None, typer.Option(help="Name of the pre-annotating model.")] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Input format (default: detected).")] = None,
    split: Annotated[str, typer.Option(help="Split to export from a built version.")] = "test",
) -> None:
    """Write documents for annotation: Label Studio tasks + config, or a BRAT collection."""
    from dataset_builder.annotate.export import export_files
    from dataset_builder.annotate.pre_annotate import PreAnnotator

    if to not in ("labelstudio", "brat"):
        raise _fail(Problem("annotate-target", f"--to {to!r} is not a target.", "Use --to labelstudio or --to brat."))
    try:
        if pre_annotate is None and train is not None:
            raise InputError(Problem("pre-annotate-train-unused", "--train is given without --pre-annotate.",
                                     "Add --pre-annotate gazetteer (or linear), or drop --train."))
        pre_annotator = None if pre_annotate is None else PreAnnotator.resolve(
            pre_annotate, train=train, train_split=train_split, layer=layer, model_version=model_version)
        result, problems = export_files(inputs, schema, out, to=to, pre_annotate=pre_annotator,  # type: ignore[arg-type]
                                        fmt=format, split=split)
    except InputError as exc:
        raise _fail(exc.problem) from None
    typer.echo(f"wrote {result.n_documents} document(s), {result.n_spans} span(s), {result.n_links} link(s)"
               f"{f', {result.n_pre_annotations} pre-annotation(s)' if result.n_pre_annotations else ''} "
               f"to {result.out_dir} ({', '.join(p.name for p in result.files[-2:])}...)")
    raise typer.Exit(_report_problems(problems))


def agree_command(
    annotators: Annotated[list[str], typer.Argument(help="Two or more exports, PATH or NAME=PATH each.")],
    schema: Annotated[Path, typer.Option(help="Schema YAML: which layers and link types to compare.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, json, markdown or html.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    mode: Annotated[list[str] | None, typer.Option(help="Matching modes (default: strict and partial).")] = None,
    clitic_tolerance: Annotated[bool, typer.Option(help="Spans differing by a proclitic agree.")] = False,
    n_resamples: Annotated[int, typer.Option(help="Bootstrap resamples over documents.")] = 1000,
    input_format: Annotated[str | None, typer.Option(help="Input format (default: detected).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON (same as --format json).")]
    = False,
) -> None:
    """Agreement of annotators: span F1, Cohen's kappa, Krippendorff's alpha, speakers, with intervals."""
    from eval.agreement import AGREEMENT_FORMATS, agreement_of_files, render_agreement
    from eval.options import BootstrapOptions

    if format not in AGREEMENT_FORMATS:
        raise _fail(Problem("agree-format", f"--format {format!r} is not a report format.",
                            f"Use one of: {', '.join(AGREEMENT_FORMATS)}."))
    if json_output and format not in ("table", "json"):
        raise _fail(Problem("agree-format", f"--json asks for JSON but --format asks for {format}.",
                            "Drop one of them."))
    format = "json" if json_output else format
    modes = tuple(mode or ("strict", "partial"))
    if bad := [m for m in modes if m not in ("strict", "exact", "partial", "type")]:
        raise _fail(Problem("agree-mode", f"--mode {bad[0]!r} is not a matching mode.",
                            "Use strict, exact, partial or type."))
    try:
        result, problems = agreement_of_files(annotators, schema, fmt=input_format, modes=modes,
                                              clitic_tolerance=clitic_tolerance,
                                              intervals=BootstrapOptions(resamples=n_resamples))
    except (InputError, ValueError) as exc:
        raise _fail(exc.problem if isinstance(exc, InputError) else Problem("agree-input", str(exc), "")) from None
    text = render_agreement(result, format)  # type: ignore[arg-type]
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    raise typer.Exit(_report_problems(problems))


def adjudicate_command(
    annotators: Annotated[list[str], typer.Argument(help="Two or more exports, PATH or NAME=PATH each.")],
    schema: Annotated[Path, typer.Option(help="Schema YAML.")],
    out: Annotated[Path, typer.Option(help="Merged gold, JSONL standoff.")],
    policy: Annotated[str, typer.Option(help="majority, unanimous or prefer:NAME.")] = "majority",
    input_format: Annotated[str | None, typer.Option(help="Input format (default: detected).")] = None,
) -> None:
    """Merge annotators into one gold under a policy; list every conflict; account for every span."""
    from dataset_builder.annotate.adjudicate import adjudicate_files

    try:
        result, paths, problems = adjudicate_files(annotators, schema, out, policy=policy, fmt=input_format)
    except InputError as exc:
        raise _fail(exc.problem) from None
    for kind, counts in (("spans", result.spans), ("links", result.links)):
        typer.echo(f"{kind}: {counts.votes_in} in = {counts.kept_votes} kept (as {counts.kept}) + "
                   f"{counts.dropped_votes} dropped by decision + {counts.conflict_votes} in conflicts")
    typer.echo(f"{len(result.conflicts)} conflict(s) for a human; wrote {', '.join(str(p) for p in paths)}")
    raise typer.Exit(_report_problems(problems))


def register(app: typer.Typer) -> None:
    """Add ``annotate export``, ``agree`` and ``adjudicate`` to the ``akhbar`` app."""
    app.add_typer(annotate_app, name="annotate")
    app.command("agree", epilog=AGREE_EPILOG, no_args_is_help=True)(agree_command)
    app.command("adjudicate", epilog=ADJUDICATE_EPILOG, no_args_is_help=True)(adjudicate_command)


__all__ = ["adjudicate_command", "agree_command", "annotate_app", "export_command", "register"]
