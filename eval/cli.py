"""``akhbar eval`` and ``akhbar compare``: the evaluation commands, a thin shell over :mod:`eval`.

:func:`register` adds both commands to the ``akhbar`` Typer app. Each parses its options, calls
one API function (:func:`eval.run.run_evaluation`, :func:`eval.compare.compare_runs`), prints the
result and picks the exit code. Only ``typer``, the standard library and light modules of ours are
imported here at module level: scoring a CoNLL file with ``--format conlleval`` goes
straight to :func:`eval.conlleval.run_conlleval_file` (numpy only) and must never pay for importing
``datasets``, ``pyarrow`` or scikit-learn.

Exit codes: 0 ok; 1 (``akhbar eval``) the report was written but the input had error-level problems
(predictions that were not scored: a broken predictions line, offsets outside the text, an unknown
document id, a malformed or empty offset-free mention); 2 usage or input error where no report can be
produced (bad option, unreadable file, runs that cannot be compared). Warnings (e.g. an offset-free
mention not placed in the text, which is scored as a false positive) leave the exit code at 0.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dataset_builder.problems import ExitCode, InputError
from eval.run import looks_like_conll
from eval.types import MATCH_MODES

EXIT_OK = ExitCode.OK
EXIT_INPUT_PROBLEMS = ExitCode.PROBLEMS
EXIT_USAGE = ExitCode.USAGE
UNALIGNED = ("spurious", "ignore")

MODES = MATCH_MODES
FORMATS = ("table", "json", "markdown", "conlleval", "html")
TESTS = ("paired-bootstrap", "approximate-randomization")

EVAL_EPILOG = (
    "\b\nExamples:\n"
    "  # score a CoNLL file of TOKEN GOLD PRED lines, conlleval.pl style (fast path)\n"
    "  akhbar eval --pred output.conll --format conlleval\n"
    "  # IOBES tags, chunked correctly (add --conlleval-compat for conlleval.pl's merged chunks)\n"
    "  akhbar eval --pred output.conll --format conlleval --scheme IOBES\n"
    "  # conlleval.pl's own options: tab-separated columns (tokens with spaces), LaTeX table\n"
    "  akhbar eval --pred output.tsv --format conlleval -d '\\t' -l\n"
    "  # raw tags (no B-/I-), NONE as the outside tag\n"
    "  akhbar eval --pred output.conll --format conlleval -r -o NONE\n"
    "  # the same file with all four matching modes, 95% bootstrap intervals and error counts\n"
    "  akhbar eval --pred output.conll\n"
    "  # predictions (standoff JSONL) against the test split of a built dataset, saved as JSON\n"
    "  akhbar eval --gold out/sana-sample/1.0.0 --pred pred.jsonl --format json --output run-a.json\n"
    "  # offset-free LLM mentions ({\"id\": ..., \"mentions\": [{\"text\": ..., \"label\": ...}]})\n"
    "  akhbar eval --gold out/sana-sample/1.0.0 --pred llm.jsonl --mode strict --mode partial\n"
    "  # fine types mapped to PERS/LOC/ORG/MISC, MISC ignored, clitic-tolerant boundaries, HTML report\n"
    "  akhbar eval --gold out/news/2.0.0 --pred pred.jsonl --label-map newsfane-to-anercorp \\\n"
    "              --ignore MISC --clitic-tolerance --format html --output report.html\n"
    "  # only PERS and GPE scored; a prediction must cover half a gold mention to be credited\n"
    "  akhbar eval --gold out/sana-sample/1.0.0 --pred pred.jsonl --label PERS --label GPE --min-overlap 0.5\n"
    "  # a Hub dataset at a pinned revision\n"
    "  akhbar eval --gold owner/arabic-news --revision v1.0.0 --split test --pred pred.jsonl\n"
    "\nExit codes: 0 report written, input clean (warnings allowed); 1 report written, but the input had\n"
    "error-level problems (predictions not scored: a broken line, offsets outside the text, unknown\n"
    "document ids, malformed or empty LLM mentions; listed in the report and on stderr); 2 usage or\n"
    "input error, no report. The fast --format conlleval path exits 0 or 2."
)

COMPARE_EPILOG = (
    "\b\nExamples:\n"
    "  akhbar eval --gold out/sana-sample/1.0.0 --pred a.jsonl --format json --output run-a.json\n"
    "  akhbar eval --gold out/sana-sample/1.0.0 --pred b.jsonl --format json --output run-b.json\n"
    "  # is B better than A? paired bootstrap over documents, micro F1, every layer and mode\n"
    "  akhbar compare run-a.json run-b.json\n"
    "  # approximate randomization, 10,000 shuffles, strict mode only, macro F1\n"
    "  akhbar compare run-a.json run-b.json --test approximate-randomization --n 10000 \\\n"
    "                 --mode strict --average macro\n"
    "  # a page: each label's difference B - A with its 95% paired interval, significant ones marked\n"
    "  akhbar compare run-a.json run-b.json --format html > compare.html"
)


def _usage_error(message: str, fix: str | None = None) -> typer.Exit:
    typer.echo(f"error: {message}" + (f" Fix: {fix}" if fix else ""), err=True)
    return typer.Exit(EXIT_USAGE)


def usage_exit(exc: InputError) -> typer.Exit:
    """Print an input error and return the usage exit code (a ``usage`` problem without a path has no location
    to name)."""
    problem = exc.problem
    if problem.code == "usage" and problem.path is None:
        return _usage_error(problem.message, problem.fix or None)
    return _usage_error(str(problem))


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _usage_error(f"{name} {value!r} is not one of: {', '.join(allowed)}.")
    return value


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _usage_error(f"{output}: cannot write the report ({exc.strerror}).",
                           "Pass --output a path in a writable folder.") from None
    typer.echo(f"wrote {output}", err=True)


def eval_command(
    pred: Annotated[Path, typer.Option("--pred", "-p", help="Predictions: standoff JSONL, offset-free mentions "
                                       "(JSONL/JSON), a BRAT folder, or a CoNLL file TOKEN GOLD PRED.")],
    gold: Annotated[str | None, typer.Option(
        "--gold", "-g", help="Gold: a built version directory, a Hub-layout export folder or a Hub repo id. "
        "Omit it for a CoNLL file that carries its own gold column.")] = None,
    split: Annotated[str, typer.Option(help="Gold split to load.")] = "test",
    config: Annotated[str, typer.Option(help="Gold dataset config.")] = "documents",
    revision: Annotated[str | None, typer.Option(help="Hub revision (tag, branch or commit) of --gold.")] = None,
    mode: Annotated[list[str] | None, typer.Option(
        "--mode", "-m", help="Matching mode; repeat for several. strict: same boundaries and label; exact: same "
        "boundaries; partial: overlap counts half; type: overlap and same label. Default: all four.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"Report format: {', '.join(FORMATS)}.")] = "table",
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON (same as --format json).")]
    = False,
    output: Annotated[Path | None, typer.Option("--output", help="Write the report here (default: stdout).")] = None,
    label_map: Annotated[Path | None, typer.Option(help="Label map: a YAML file (fine label -> coarse label, or null "
                                                   "to drop) or a built-in map name such as newsfane-to-anercorp; "
                                                   "applied to gold and predictions.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Label to leave out of scoring; repeatable.")]
    = None,
    label: Annotated[list[str] | None, typer.Option(
        "--label", help="Score only this label; repeatable. Other labels leave gold and predictions before "
        "matching, as nervaluate's tags do. Default: every label.")] = None,
    min_overlap: Annotated[float | None, typer.Option(
        "--min-overlap", min=0.0, max=1.0, help="Share of a gold mention (0-1] a prediction must cover to be paired "
        "with it, e.g. 0.5; nervaluate's min_overlap_percentage / 100. Default: one shared character (token).")]
    = None,
    layer: Annotated[list[str] | None, typer.Option("--layer", help="Layer to score; repeatable. Default: every "
                                                    "gold layer.")] = None,
    clitic_tolerance: Annotated[bool, typer.Option(
        "--clitic-tolerance", help="Accept boundaries that differ only by attached proclitics (و ف ب ل ك, ال); "
        "such pairs are listed as clitic_boundary.")] = False,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for confidence intervals (0: none).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    pred_format: Annotated[str | None, typer.Option(
        help="Predictions format (jsonl, mentions, conll, brat); detected when omitted.")] = None,
    scheme: Annotated[str, typer.Option(help="Tag scheme of CoNLL input: IOB1, IOB2, IOE1, IOE2, IOBES, BILOU.")]
    = "IOB2",
    decoder: Annotated[str, typer.Option(help="CoNLL chunk decoder: lenient (conlleval.pl) or strict (seqeval "
                                         "strict: invalid chunks dropped).")] = "lenient",
    unaligned: Annotated[str, typer.Option(
        help="Offset-free (LLM) mentions that cannot be placed in the text (not found, only inside other words, "
        "every occurrence taken): spurious = each is a false positive of its label in every mode, listed as a "
        "spurious error without offsets; ignore = left out of the scores. Either way each is listed as a warning. "
        "Malformed or empty mentions are never scored (errors).")] = "spurious",
    conlleval_compat: Annotated[bool, typer.Option(
        "--conlleval-compat", help="With --format conlleval, reproduce conlleval.pl even where it is wrong (it merges "
        "adjacent IOBES/BILOU chunks). Always on for IOB1/IOB2, where its chunks are right.")] = False,
    latex: Annotated[bool, typer.Option("-l", help="With --format conlleval: conlleval.pl's LaTeX table.")] = False,
    raw: Annotated[bool, typer.Option("-r", help="CoNLL tags without B-/I- prefixes (conlleval.pl -r): every tag "
                                      "but the outside tag is a one-token chunk.")] = False,
    delimiter: Annotated[str | None, typer.Option("-d", metavar="DELIM", help="Column delimiter of a CoNLL file, "
                                                  "e.g. -d '\\t' for tab-separated columns whose tokens contain "
                                                  "spaces (default: runs of spaces and tabs).")] = None,
    other: Annotated[str, typer.Option("-o", metavar="OTHER", help="The outside tag of -r input (conlleval.pl -o).")]
    = "O",
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="A line on stderr for each step of a "
                                           "large evaluation that takes a second or more (load gold, load "
                                           "predictions, score).")] = True,
) -> None:
    """Score predictions against gold annotations and print a report.

    Every run records the dataset fingerprint, a hash of the predictions and all settings, so a
    JSON report can later be re-rendered or compared with `akhbar compare`.
    """
    fmt = _choice("--format", fmt, FORMATS)
    if json_output and fmt not in ("table", "json"):
        raise _usage_error(f"--json asks for JSON but --format asks for {fmt}.", "Drop one of them.")
    fmt = "json" if json_output else fmt
    modes = tuple(mode) if mode else MODES
    for m in modes:
        _choice("--mode", m, MODES)
    _choice("--decoder", decoder, ("lenient", "strict"))
    _choice("--unaligned", unaligned, UNALIGNED)
    if bootstrap < 0:
        raise _usage_error(f"--bootstrap {bootstrap} is negative.", "Pass 0 to skip intervals, or a count like 1000.")
    if not pred.exists():
        raise _usage_error(f"{pred}: the predictions file does not exist.", "Check the --pred path.")
    if gold is None and looks_like_conll(pred) and pred_format in (None, "conll"):
        if fmt == "conlleval" and not (label_map or ignore or layer or label or min_overlap) and decoder == "lenient":
            _conlleval_report(pred, scheme, output, compat=conlleval_compat or scheme in ("IOB1", "IOB2"),
                              latex=latex, raw=raw, delimiter=delimiter, other=other)
            return
        if latex:
            raise _usage_error("-l (conlleval.pl's LaTeX table) needs --format conlleval without --decoder strict, "
                               "--label-map, --ignore or --layer.", "Drop -l, or those options.")
    elif latex or raw or delimiter is not None or other != "O":
        raise _usage_error("-l, -r, -d and -o are conlleval.pl's options for a CoNLL file of TOKEN GOLD PRED "
                           "lines scored without --gold.", "Drop them, or drop --gold to score such a file.")
    from eval.options import BootstrapOptions, ScoringOptions
    from eval.run import EvalRequest, run_evaluation

    try:
        request = EvalRequest(
            pred=pred, gold=gold, split=split, config=config, revision=revision,
            pred_format=pred_format, scheme=scheme, decoder=decoder,  # type: ignore[arg-type]
            delimiter=delimiter, raw=raw, o_tag=other,
            options=ScoringOptions(
                modes=modes, layers=layer or None, label_map=label_map, labels=label or None,  # type: ignore[arg-type]
                ignore_labels=ignore or (), clitic_tolerance=clitic_tolerance, min_overlap=min_overlap,
                unaligned=unaligned),  # type: ignore[arg-type]
            intervals=BootstrapOptions(resamples=bootstrap, seed=seed), progress=progress)
        result = run_evaluation(request)
    except InputError as exc:
        raise usage_exit(exc) from None
    from eval.report import render

    try:
        text = render(result, fmt)  # type: ignore[arg-type]
    except ValueError as exc:
        raise _usage_error(str(exc)) from None
    _write(text, output)
    if fmt == "conlleval" and result.problems:
        # conlleval.pl's layout has no place for them, so they all go to stderr.
        typer.echo(f"{len(result.problems)} problem(s) with the input:", err=True)
        for problem in result.problems:
            typer.echo(f"  {problem}", err=True)
    elif fmt != "table" and result.problems:
        typer.echo(f"{len(result.problems)} problem(s) with the input are listed in the report; first: "
                   f"{result.problems[0]}", err=True)
    errors = [problem for problem in result.problems if problem.is_error]
    if errors:
        typer.echo(f"exit {EXIT_INPUT_PROBLEMS}: {len(errors)} error-level problem(s) with the input left predictions "
                   f"unscored; first: {errors[0]}", err=True)
        raise typer.Exit(EXIT_INPUT_PROBLEMS)


def _conlleval_report(path: Path, scheme: str, output: Path | None, *, compat: bool, latex: bool, raw: bool,
                      delimiter: str | None, other: str) -> None:
    from eval.conlleval import ConllevalInputError, run_conlleval_file

    try:
        report = run_conlleval_file(path, scheme=scheme, compat=compat, delimiter=delimiter,  # type: ignore[arg-type]
                                    raw=raw, o_tag=other, latex=latex)
    except ConllevalInputError as exc:
        raise _usage_error(str(exc)) from None  # already located as path:line
    except (OSError, ValueError) as exc:
        raise _usage_error(f"{path}: {exc}") from None
    _write(report, output)


def run_fast_conlleval(argv: list[str]) -> bool:
    """Serve a plain ``akhbar eval --format conlleval`` command line without typer (see
    :func:`eval.conlleval.conlleval_main`); False, doing nothing, for any other command line."""
    if not argv or argv[0] != "eval" or not any("conlleval" in arg for arg in argv[1:]):
        return False  # without importing eval.conlleval (numpy): `akhbar --help` and every other command
    from eval.conlleval import conlleval_main

    code = conlleval_main(argv)
    if code:
        raise typer.Exit(code)
    return code is not None


# ------------------------------------------------------------------------------------------- compare


def compare_command(
    run_a: Annotated[Path, typer.Argument(help="JSON result of system A (akhbar eval --format json).")],
    run_b: Annotated[Path, typer.Argument(help="JSON result of system B, on the same gold data.")],
    test: Annotated[str, typer.Option(help=f"Significance test: {', '.join(TESTS)}.")] = "paired-bootstrap",
    n: Annotated[int | None, typer.Option("--n", help="Resamples (bootstrap, default 1000) or shuffles "
                                          "(approximate randomization, default 10000).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the test.")] = 0,
    metric: Annotated[str, typer.Option(help="precision, recall or f1.")] = "f1",
    average: Annotated[str, typer.Option(help="micro, macro, weighted, or a label name.")] = "micro",
    layer: Annotated[list[str] | None, typer.Option("--layer", help="Layer to compare; repeatable.")] = None,
    mode: Annotated[list[str] | None, typer.Option("--mode", "-m", help="Mode to compare; repeatable.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, or html (a page with each label's "
                                     "difference and its paired interval; writes the per-label rows to json too "
                                     "with --per-label).")] = "table",
    per_label: Annotated[bool, typer.Option("--per-label", help="Also test each label (always on with "
                                            "--format html).")] = False,
    confidence: Annotated[float, typer.Option(help="Level of the paired bootstrap interval of each difference "
                                              "(json with --per-label, and html).")] = 0.95,
    alpha: Annotated[float, typer.Option(help="Significance level marked with * in the table.")] = 0.05,
    json_output: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON (same as --format json).")]
    = False,
) -> None:
    """Compare two evaluation runs: the difference B - A and its two-sided p-value, per layer and mode.

    Both runs must have been scored on the same gold data (same dataset fingerprint and same gold
    mentions after label mapping); otherwise the comparison is refused. Resampling is over
    documents (or sentences), pairing the two systems on each.
    """
    _choice("--test", test, TESTS)
    _choice("--metric", metric, ("precision", "recall", "f1"))
    fmt = _choice("--format", fmt, ("table", "json", "html"))
    if json_output and fmt not in ("table", "json"):
        raise _usage_error(f"--json asks for JSON but --format asks for {fmt}.", "Drop one of them.")
    fmt = "json" if json_output else fmt
    from eval.compare import ComparisonOptions, compare_runs

    per_label = per_label or fmt == "html"
    try:
        options = ComparisonOptions(test=test, n=n, modes=mode, layers=layer, metric=metric,  # type: ignore[arg-type]
                                    average=average, seed=seed, per_label=per_label,
                                    confidence=confidence if per_label else None)
        comparison = compare_runs(run_a, run_b, options)
    except InputError as exc:
        raise usage_exit(exc) from None
    if fmt == "json":
        _write(comparison.to_json(), None)
    else:
        _write(comparison.to_html(alpha) if fmt == "html" else comparison.to_table(alpha), None)


def register(app: typer.Typer) -> None:
    """Add the ``eval`` and ``compare`` commands to the ``akhbar`` app."""
    app.command("eval", epilog=EVAL_EPILOG, no_args_is_help=True)(eval_command)
    app.command("compare", epilog=COMPARE_EPILOG, no_args_is_help=True)(compare_command)


__all__ = ["EXIT_OK", "EXIT_USAGE", "compare_command", "eval_command", "register", "usage_exit"]
