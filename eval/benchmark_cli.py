"""``akhbar benchmark``: parse the options, call :func:`eval.benchmark.run_benchmark`, print the leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataset_builder.problems import InputError, Problem
from eval.benchmark import BenchmarkOptions, run_benchmark
from eval.options import BootstrapOptions

BENCHMARK_EPILOG = (
    "\b\nExamples:\n"
    "  # both baselines, trained on train, scored on test, leaderboard in leaderboard/\n"
    "  akhbar benchmark --dataset out/newsfane-gold/1.0.0 --model gazetteer --model linear --out leaderboard/\n"
    "  # cross-corpus: train on NewsFANE without the blocks that hold ANERcorp's test text\n"
    "  akhbar benchmark --dataset out/anercorp-camel/1.0.0 --train-dataset out/newsfane-gold/1.0.0 \\\n"
    "                   --exclude-overlap --model gazetteer --model linear\n"
    "  # a fine-tuned token-classification model from a local folder\n"
    "  akhbar benchmark --dataset out/newsfane-gold/1.0.0 --model transformers:models/arabert-ner\n"
    "  # an LLM behind a local OpenAI-compatible server, next to the gazetteer\n"
    "  akhbar benchmark --dataset out/newsfane-gold/1.0.0 --model gazetteer --model openai:qwen2.5-7b-instruct \\\n"
    "                   --base-url http://localhost:8000/v1"
)


def benchmark_command(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Built version directory (or export folder) "
                                         "to score on.")],
    model: Annotated[list[str], typer.Option("--model", "-m", help="gazetteer, linear, transformers:PATH or "
                                             "openai:MODEL (an LLM, see `akhbar predict`); repeat for several.")],
    split: Annotated[str, typer.Option(help="Split to score on.")] = "test",
    train_split: Annotated[str, typer.Option(help="Split to train on.")] = "train",
    train_dataset: Annotated[str | None, typer.Option(help="Train on this dataset instead (cross-corpus).")] = None,
    exclude_overlap: Annotated[bool, typer.Option(
        "--exclude-overlap", help="Drop training documents that share a (near-)duplicate sentence with the scored "
        "split.")] = False,
    layer: Annotated[str | None, typer.Option(help="Layer to train and score (default: the first).")] = None,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals (0: none).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Write leaderboard.md/.json, results and predictions here.")]
    = None,
    base_url: Annotated[str | None, typer.Option(help="openai:MODEL rows: the server URL (default: hosted API).")]
    = None,
    api_key_env: Annotated[str, typer.Option(help="openai:MODEL rows: variable holding the API key.")]
    = "OPENAI_API_KEY",
    concurrency: Annotated[int, typer.Option(help="openai:MODEL rows: requests in flight.")] = 4,
    cache: Annotated[Path | None, typer.Option(help="openai:MODEL rows: SQLite response cache.")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress per model on stderr (bars on "
                                           "a terminal, one line per stage otherwise).")] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the leaderboard as JSON (leaderboard.json's "
                                              "content) instead of the Markdown table.")] = False,
) -> None:
    """Train baselines on one split, score them (strict P/R/F1, bootstrap 95% CIs) on another; print a leaderboard."""
    from eval.cli import usage_exit
    from eval.runners import RunSettings

    try:
        if bootstrap < 0:
            raise InputError(Problem("usage", f"--bootstrap {bootstrap} is negative.", "pass 0 or a count like 1000."))
        options = BenchmarkOptions(
            split=split, train_split=train_split, train_dataset=train_dataset, exclude_overlap=exclude_overlap,
            layer=layer, intervals=BootstrapOptions(resamples=bootstrap, seed=seed),
            runner=RunSettings(model="openai:?", base_url=base_url, api_key_env=api_key_env, concurrency=concurrency,
                               cache=None if cache is None else str(cache)))
        board = run_benchmark(dataset, model, options=options, out=out, progress=progress)
    except InputError as exc:
        raise usage_exit(exc) from None
    if json_output:
        typer.echo(board.to_json(), nl=False)
    else:
        typer.echo(board.to_markdown(), nl=False)
    problems = [(name, problem) for name, result in board.results.items() for problem in result.problems]
    if problems:  # spans a model got wrong and what kept intervals out: never only inside --out files
        typer.echo(f"{len(problems)} problem(s):", err=True)
        for name, problem in problems:
            typer.echo(f"  {name}: {problem}", err=True)
    if out is not None:
        typer.echo(f"wrote {out}/leaderboard.md, leaderboard.json and per-model results", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``benchmark`` command to the ``akhbar`` app."""
    app.command("benchmark", epilog=BENCHMARK_EPILOG, no_args_is_help=True)(benchmark_command)


__all__ = ["BENCHMARK_EPILOG", "benchmark_command", "register"]
