"""``akhbar predict``: run a model over a dataset split and write predictions ``akhbar eval`` reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from eval.runners.run import PredictRun

PREDICT_EPILOG = (
    "\b\nExamples:\n"
    "  # a local vLLM or Ollama server (no key needed), 8 requests in flight\n"
    "  akhbar predict out/sana-sample/1.0.0 --model openai:qwen2.5-7b-instruct \\\n"
    "                 --base-url http://localhost:8000/v1 --concurrency 8 --out pred.jsonl\n"
    "  # the hosted API, key in $OPENAI_API_KEY, 3 examples from the train split\n"
    "  akhbar predict out/newsfane-gold/1.0.0 --model openai:gpt-4o-mini --shots 3 --out pred.jsonl\n"
    "  # then score it\n"
    "  akhbar eval --gold out/sana-sample/1.0.0 --pred pred.jsonl\n"
    "  # a local fine-tuned token classifier\n"
    "  akhbar predict out/newsfane-gold/1.0.0 --model hf:models/arabert-ner --out pred.jsonl"
)


def predict_command(
    dataset: Annotated[str, typer.Argument(help="Built version directory, export folder, or Hub repo id.")],
    model: Annotated[str, typer.Option("--model", "-m", help="openai:MODEL (any OpenAI-compatible server) or "
                                       "hf:PATH (local token classifier).")],
    out: Annotated[Path, typer.Option(help="Predictions file (offset-free mentions JSONL); the run folder "
                                      "OUT-stem.run/ is written next to it.")],
    base_url: Annotated[str | None, typer.Option(help="Server URL, e.g. http://localhost:8000/v1 (default: the "
                                                 "hosted OpenAI API).")] = None,
    split: Annotated[str, typer.Option(help="Split to predict.")] = "test",
    revision: Annotated[str | None, typer.Option(help="Hub revision, for a Hub repo id.")] = None,
    api_key_env: Annotated[str, typer.Option(help="Environment variable holding the API key.")] = "OPENAI_API_KEY",
    shots: Annotated[int, typer.Option(help="Worked examples drawn from --train-split (deterministic).")] = 0,
    train_split: Annotated[str, typer.Option(help="Split the shots come from.")] = "train",
    prompt: Annotated[Path | None, typer.Option(help="Prompt template file ([system] and [user] sections).")]
    = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 4,
    timeout: Annotated[float, typer.Option(help="Seconds per request before it is retried.")] = 120.0,
    max_retries: Annotated[int, typer.Option(help="Retries of a request on 429/5xx/timeouts.")] = 5,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.0,
    max_tokens: Annotated[int, typer.Option(help="Most tokens per answer.")] = 2048,
    response_format: Annotated[str, typer.Option(help="json_schema, json_object or none; steps down when the "
                                                 "server refuses.")] = "json_schema",
    cache: Annotated[Path | None, typer.Option(help="SQLite response cache (default "
                                               "~/.cache/akhbar/llm-responses.sqlite).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the run's summary as one JSON object (files "
                                              "written, requests, tokens, failures) instead of text.")] = False,
) -> None:
    """Run an LLM (or a local model) over a split; write predictions, a per-document log and a summary."""
    from dataset_builder.problems import ExitCode, InputError
    from eval.runners import RunSettings, predict

    settings = RunSettings(
        model=model, base_url=base_url, api_key_env=api_key_env, split=split, revision=revision, shots=shots,
        train_split=train_split, prompt=None if prompt is None else str(prompt), concurrency=concurrency,
        timeout=timeout, max_retries=max_retries, temperature=temperature, max_tokens=max_tokens,
        response_format=response_format, cache=None if cache is None else str(cache), use_cache=not no_cache)
    try:
        run = predict(dataset, settings, out=out)
    except InputError as exc:
        typer.echo(f"error: {exc.problem}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    s = run.summary
    if json_output:
        typer.echo(json.dumps({"out": str(run.out), "run_dir": str(run.run_dir), "summary": s.to_dict()},
                              ensure_ascii=False, indent=1))
    else:
        _print_summary(run)
    if s.failed:
        typer.echo(f"{s.failed} document(s) failed (no prediction line; see {run.run_dir}/log.jsonl): "
                   + ", ".join(s.failed_ids[:10]) + (" ..." if s.failed > 10 else ""), err=True)
        raise typer.Exit(ExitCode.PROBLEMS)


def _print_summary(run: PredictRun) -> None:
    s = run.summary
    typer.echo(f"{s.documents} documents: {s.requests} requests, {s.cached} cached, {s.retried} retried, "
               f"{s.failed} failed, {s.documents_with_problems} with answer problems; "
               f"{s.prompt_tokens} prompt + {s.completion_tokens} completion tokens; {s.wall_seconds:.1f} s")
    typer.echo(f"wrote {run.out} and {run.run_dir}/ (log.jsonl, summary.json, settings.json)")


def register(app: typer.Typer) -> None:
    """Add the ``predict`` command to the ``akhbar`` app."""
    app.command("predict", epilog=PREDICT_EPILOG, no_args_is_help=True)(predict_command)


__all__ = ["predict_command", "register"]
