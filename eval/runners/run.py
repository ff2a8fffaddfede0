"""Run an extraction model over a dataset split and write its predictions: :func:`predict`.

``predict(dataset, RunSettings(model="openai:MODEL", base_url=...), out="pred.jsonl")`` loads the
split with :func:`eval.gold.load_gold`, asks the model about every document and writes

* ``OUT``: one line per document in the offset-free mention format of :mod:`eval.predictions`
  (``{"id", "mentions": [{"text", "label"}], "quotes": [...]}``), read unchanged by
  ``akhbar eval --pred OUT``. A document whose calls kept failing gets no line (the scorer counts it
  as predicting nothing and says so); the model's answers are written as given, mistakes included.
* ``OUT.run/`` (``pred.run/`` for ``pred.jsonl``): ``log.jsonl`` (per document: prompt hash, raw
  response, parsed mentions, problems, latency, token usage, requests, retries, error),
  ``summary.json`` (totals) and ``settings.json`` (what reproduces the run; never the API key).

Models: ``openai:MODEL`` (any OpenAI-compatible server, see :mod:`eval.runners.llm`) and ``hf:PATH``
(a local token-classification model, see :mod:`eval.runners.hf`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.model import Document
from dataset_builder.problems import InputError, Problem
from eval.gold import GoldSet, load_gold
from eval.runners.cache import ResponseCache
from eval.runners.llm import RESPONSE_FORMATS, Answer, CallSettings, ChatCaller, DocumentOutcome, read_answer
from eval.runners.prompts import LabelInventory, PromptBuilder, PromptTemplate, draw_shots

HOSTED_BASE_URL = "https://api.openai.com/v1"
MODEL_KINDS = ("openai", "hf")


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/akhbar/llm-responses.sqlite`` (``~/.cache/...`` by default)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "akhbar" / "llm-responses.sqlite"


@dataclass(frozen=True)
class RunSettings:
    """Everything that decides a run, passed once to :func:`predict`.

    ``model`` is ``openai:MODEL`` or ``hf:PATH``. The API key is read from the environment variable
    named by ``api_key_env`` at call time and is never stored here.
    """

    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    split: str = "test"
    revision: str | None = None
    shots: int = 0
    train_split: str = "train"
    shot_seed: int = 0
    prompt: str | None = None
    concurrency: int = 4
    timeout: float = 120.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    temperature: float = 0.0
    max_tokens: int | None = 2048
    response_format: str = "json_schema"
    cache: str | None = None
    use_cache: bool = True
    batch_size: int = 16

    @property
    def kind(self) -> str:
        return self.model.split(":", 1)[0]

    @property
    def target(self) -> str:
        return self.model.split(":", 1)[1]

    def check(self) -> None:
        """Raise :class:`InputError` naming the setting that cannot work."""
        def bad(code: str, message: str, fix: str) -> InputError:
            return InputError(Problem(code, message, fix))
        if ":" not in self.model or self.kind not in MODEL_KINDS or not self.target:
            raise bad("model-spec", f"model {self.model!r} is not openai:MODEL or hf:PATH.",
                      "Pass e.g. --model openai:gpt-4o-mini or --model hf:models/arabert-ner.")
        if self.concurrency < 1 or self.max_retries < 0 or self.timeout <= 0 or self.shots < 0:
            raise bad("run-settings", "concurrency and timeout must be positive; shots and max_retries not negative.",
                      "Pass e.g. --concurrency 8 --timeout 60 --max-retries 5.")
        if self.response_format not in RESPONSE_FORMATS:
            raise bad("response-format", f"response format {self.response_format!r} is unknown.",
                      f"Choose one of {', '.join(RESPONSE_FORMATS)}.")


@dataclass(frozen=True)
class RunSummary:
    """Totals of a run, as written to ``summary.json``."""

    documents: int
    requests: int
    cached: int
    retried: int
    failed: int
    failed_ids: tuple[str, ...]
    documents_with_problems: int
    prompt_tokens: int
    completion_tokens: int
    wall_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed_ids": list(self.failed_ids), "wall_seconds": round(self.wall_seconds, 3)}


@dataclass(frozen=True)
class PredictRun:
    """What :func:`predict` did: where it wrote, its totals, and each document's outcome."""

    out: Path
    run_dir: Path
    summary: RunSummary
    settings: dict[str, Any]
    gold: GoldSet
    outcomes: list[DocumentOutcome] = field(repr=False)


def run_dir_of(out: str | Path) -> Path:
    """The run folder next to a predictions file: ``pred.jsonl`` -> ``pred.run/``."""
    out = Path(out)
    return out.with_name(out.stem + ".run")


def _inventory(dataset: str | Path, documents: Sequence[Document]) -> tuple[LabelInventory, str]:
    """The label inventory from the dataset's manifest (schema definitions), else from the gold labels."""
    from dataset_builder.schema import schema_from_dict

    path = Path(dataset)
    for manifest in (path / "manifest.json", path.parent / "manifest.json"):
        if manifest.is_file():
            definition = json.loads(manifest.read_text(encoding="utf-8")).get("schema_definition")
            if definition:
                return LabelInventory.from_schema(schema_from_dict(definition, str(manifest))), str(manifest)
    return LabelInventory.from_documents(documents), "gold labels (no schema in the dataset)"


def _api_key(settings: RunSettings) -> str:
    key = os.environ.get(settings.api_key_env)
    if key:
        return key
    if settings.base_url is None:
        raise InputError(Problem(
            "api-key-missing", f"the environment variable {settings.api_key_env} is not set.",
            f"export {settings.api_key_env}=... (or name another variable with --api-key-env), or pass --base-url "
            "for a local server that needs no key."))
    return "no-key"  # local servers (vLLM, Ollama, llama.cpp) ignore it; the client requires one


def _llm_outcomes(gold: GoldSet, settings: RunSettings, builder: PromptBuilder) -> list[DocumentOutcome]:
    call_settings = CallSettings(
        model=settings.target, base_url=settings.base_url or HOSTED_BASE_URL, temperature=settings.temperature,
        max_tokens=settings.max_tokens, response_format=settings.response_format, timeout=settings.timeout,
        max_retries=settings.max_retries, backoff_base=settings.backoff_base, backoff_max=settings.backoff_max)
    cache = ResponseCache(settings.cache or default_cache_path()) if settings.use_cache else None
    try:
        import openai  # noqa: F401
    except ImportError:
        raise InputError(Problem("llm-extra-missing", "the `openai` package is not installed.",
                                 "pip install 'akhbar[llm]'")) from None
    caller = ChatCaller(call_settings, _api_key(settings), cache, builder.inventory.response_schema())

    def one(document: Document) -> DocumentOutcome:
        messages = builder.messages(document)
        result = caller.call(messages)
        answer = Answer.from_reading(result["reading"])
        if answer is None and not result["error"]:
            answer = read_answer(result["content"], result["finish_reason"], document,
                                 with_quotes=builder.inventory.has_quotes)
            if cache is not None:
                cache.put_reading(result["key"], answer.to_reading())
        return DocumentOutcome(document.id, builder.template.sha256, result["content"], answer, result["latency"],
                               result["usage"], result["cached"], result["requests"], result["retries"],
                               result["error"])
    try:
        with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
            return list(pool.map(one, gold.documents))
    finally:
        caller.close()
        if cache is not None:
            cache.close()


def _write_atomic(path: Path, lines: Sequence[str]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(lines), encoding="utf-8")
    partial.replace(path)


def predict(dataset: str | Path, settings: RunSettings, *, out: str | Path) -> PredictRun:
    """Run ``settings.model`` on a split of ``dataset``; write predictions to ``out`` and the run folder.

    Parameters
    ----------
    dataset : str or Path
        A built version directory, an export folder, or a Hub repo id (with ``settings.revision``).
    settings : RunSettings
    out : str or Path
        The predictions file (offset-free mention JSONL); ``<out stem>.run/`` is written next to it.

    Returns
    -------
    PredictRun

    Raises
    ------
    InputError
        Bad settings, a dataset that cannot be loaded, a missing API key or template, or ``shots``
        without a training split. Failed calls never raise: they are counted in the summary.
    """
    settings.check()
    gold = load_gold(dataset, split=settings.split, revision=settings.revision)
    inventory, schema_source = _inventory(dataset, gold.documents)
    train: list[Document] = []
    if settings.kind == "openai" and settings.shots:
        if settings.train_split == settings.split:
            raise InputError(Problem("shots-from-scored-split", f"shots cannot come from the scored split "
                                     f"{settings.split!r}.", "Pass --train-split train (or another split).",
                                     path=str(dataset)))
        train = load_gold(dataset, split=settings.train_split, revision=settings.revision).documents
    return predict_documents(gold, settings, out=out, inventory=inventory, train=train, schema_source=schema_source)


def predict_documents(gold: GoldSet, settings: RunSettings, *, out: str | Path, inventory: LabelInventory | None = None,
                      train: Sequence[Document] = (), schema_source: str = "") -> PredictRun:
    """:func:`predict` on documents already loaded (e.g. :func:`eval.gold.gold_from_documents`).

    ``inventory`` defaults to the labels of the gold documents; ``train`` is where ``settings.shots``
    examples are drawn from (documents of ``gold`` are never drawn).
    """
    settings.check()
    started = time.perf_counter()
    if inventory is None:
        inventory, schema_source = LabelInventory.from_documents(gold.documents), "gold labels"
    run_settings: dict[str, Any] = {
        "model": settings.model, "dataset": gold.dataset.to_dict(), "schema_source": schema_source,
        **{k: v for k, v in asdict(settings).items() if k not in ("model", "cache", "use_cache")},
        "cache": None if not settings.use_cache else str(settings.cache or default_cache_path()),
    }
    if settings.kind == "hf":
        from eval.runners.hf import hf_outcomes

        outcomes = hf_outcomes(gold, settings)
    else:
        shots = draw_shots(train, settings.shots, seed=settings.shot_seed, exclude_ids=frozenset(gold.by_id()))
        template = PromptTemplate.load(settings.prompt)
        builder = PromptBuilder(template, inventory, tuple(shots))
        run_settings.update({"prompt_template": template.path, "prompt_sha256": template.sha256,
                             "shot_ids": [doc.id for doc in shots],
                             "base_url": settings.base_url or HOSTED_BASE_URL})
        outcomes = _llm_outcomes(gold, settings, builder)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for outcome in outcomes:
        if outcome.answer is None:
            continue
        record: dict[str, Any] = {"id": outcome.doc_id, "mentions": outcome.answer.mentions}
        if outcome.answer.quotes is not None:
            record["quotes"] = outcome.answer.quotes
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    _write_atomic(out, lines)
    failed = tuple(o.doc_id for o in outcomes if o.answer is None)
    summary = RunSummary(
        documents=len(outcomes), requests=sum(o.requests for o in outcomes), cached=sum(o.cached for o in outcomes),
        retried=sum(o.retries for o in outcomes), failed=len(failed), failed_ids=failed,
        documents_with_problems=sum(1 for o in outcomes if o.answer is not None and o.answer.problems),
        prompt_tokens=sum(o.usage.get("prompt_tokens", 0) for o in outcomes),
        completion_tokens=sum(o.usage.get("completion_tokens", 0) for o in outcomes),
        wall_seconds=time.perf_counter() - started,
    )
    run_dir = run_dir_of(out)
    run_dir.mkdir(exist_ok=True)
    _write_atomic(run_dir / "log.jsonl", [json.dumps(o.to_log(), ensure_ascii=False) + "\n" for o in outcomes])
    (run_dir / "summary.json").write_text(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    (run_dir / "settings.json").write_text(json.dumps(run_settings, ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
    return PredictRun(out, run_dir, summary, run_settings, gold, outcomes)


__all__ = [
    "MODEL_KINDS", "PredictRun", "RunSettings", "RunSummary", "default_cache_path", "predict", "predict_documents",
    "run_dir_of",
]
