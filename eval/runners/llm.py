"""Call an OpenAI-compatible chat completions server for one document, with retries, and read its answer.

One client serves every OpenAI-compatible server (the hosted API, vLLM, TGI, Ollama, llama.cpp
server): the ``openai`` package of the ``llm`` extra, imported only when a run needs it.

Retries are ours, not the client's: the client is built with ``max_retries=0``. Its own loop
(``openai._base_client``: 0.5 s doubling to at most 8 s, jitter of up to -25 %, ``Retry-After`` up
to 60 s honoured) is invisible to the caller -- it cannot say how many calls were retried, which the
run summary must report -- and its delays are module constants, so tests could not make them tiny.
Here a call is retried on 408/409/429/5xx, timeouts and connection errors, waiting
``backoff_base * 2**attempt`` seconds (at most ``backoff_max``) times a jitter factor in [0.5, 1.5),
or the server's ``Retry-After`` when that is longer; any other 4xx fails the document at once.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.model import Document
from eval.mentions import align_mentions
from eval.runners.cache import ResponseCache, request_key

RESPONSE_FORMATS = ("json_schema", "json_object", "none")
#: Version of :func:`read_answer`'s rules; a cached reading of another version is read anew.
READER_VERSION = 1
_RETRY_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class CallSettings:
    """How each request is made: the parameters that enter the cache key and the retry policy."""

    model: str
    base_url: str
    temperature: float = 0.0
    max_tokens: int | None = 2048
    response_format: str = "json_schema"
    timeout: float = 120.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0


@dataclass(frozen=True)
class Answer:
    """What a model said about one document, as read from its response."""

    mentions: list[Any]
    quotes: list[Any] | None
    problems: tuple[str, ...]

    def to_reading(self) -> dict[str, Any]:
        return {"reader": READER_VERSION, "mentions": self.mentions, "quotes": self.quotes,
                "problems": list(self.problems)}

    @classmethod
    def from_reading(cls, reading: dict[str, Any] | None) -> Answer | None:
        if not reading or reading.get("reader") != READER_VERSION:
            return None
        return cls(reading["mentions"], reading["quotes"], tuple(reading["problems"]))


@dataclass(frozen=True)
class DocumentOutcome:
    """One document's call: the raw response, the answer read from it, and what it cost."""

    doc_id: str
    prompt_sha256: str
    raw: str | None
    answer: Answer | None
    latency: float
    usage: dict[str, int] = field(default_factory=dict)
    cached: bool = False
    requests: int = 0
    retries: int = 0
    error: str | None = None

    def to_log(self) -> dict[str, Any]:
        return {
            "id": self.doc_id, "prompt_sha256": self.prompt_sha256, "cached": self.cached, "requests": self.requests,
            "retries": self.retries, "latency_seconds": round(self.latency, 4), "usage": self.usage,
            "raw_response": self.raw, "error": self.error,
            "mentions": None if self.answer is None else self.answer.mentions,
            "quotes": None if self.answer is None else self.answer.quotes,
            "problems": [] if self.answer is None else list(self.answer.problems),
        }


def _strip_fence(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


def read_answer(content: str, finish_reason: str | None, document: Document, *, with_quotes: bool) -> Answer:
    """Read a response's content as ``{"mentions": [...], "quotes": [...]}``; name every problem.

    Nothing is repaired or dropped: entries with wrong fields and mentions that are not in the text
    stay in the answer (the scorer rejects or counts them as spurious) and are named in ``problems``.
    """
    problems: list[str] = []
    if finish_reason == "length":
        problems.append("truncated: the model stopped at max_tokens before finishing its answer")
    try:
        parsed = json.loads(_strip_fence(content))
    except json.JSONDecodeError as exc:
        problems.append(f"not-json: the response is not JSON ({exc.msg} at char {exc.pos})")
        return Answer([], [] if with_quotes else None, tuple(problems))
    mentions: Any = parsed
    quotes: Any = None
    if isinstance(parsed, dict):
        mentions, quotes = parsed.get("mentions", []), parsed.get("quotes")
    if not isinstance(mentions, list) or (quotes is not None and not isinstance(quotes, list)):
        problems.append('wrong-fields: expected {"mentions": [...], "quotes": [...]} lists')
        return Answer([], [] if with_quotes else None, tuple(problems))
    usable = []
    for index, item in enumerate(mentions):
        if isinstance(item, dict) and isinstance(item.get("text"), str) and isinstance(item.get("label"), str):
            usable.append(item)
        else:
            problems.append(f"wrong-fields: mention #{index} is not a {{text, label}} object: {item!r}"[:300])
    for miss in align_mentions(document.text, usable, doc_id=document.id).unaligned:
        problems.append(f"not-in-text: {miss.text!r} ({miss.label}): {miss.reason}")
    return Answer(mentions, quotes if quotes is not None or not with_quotes else [], tuple(problems))


class ChatCaller:
    """Sends chat requests for documents, through the cache, with bounded retries.

    Shared by the worker threads of a run: the ``openai`` client (an ``httpx`` pool) is thread-safe,
    and a server that refuses ``json_schema`` (HTTP 400) switches the whole run to ``json_object``.
    """

    def __init__(self, settings: CallSettings, api_key: str, cache: ResponseCache | None,
                 response_schema: dict[str, Any]) -> None:
        import openai

        self._openai = openai
        self.settings = settings
        self.cache = cache
        self.response_schema = response_schema
        # the structured-output modes still to try, best first
        self._formats = list(RESPONSE_FORMATS[RESPONSE_FORMATS.index(settings.response_format):])
        self._lock = threading.Lock()
        self._client: Any = None
        self._api_key = api_key

    def _client_once(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._openai.OpenAI(base_url=self.settings.base_url, api_key=self._api_key,
                                                   max_retries=0, timeout=self.settings.timeout)
            return self._client

    def _parameters(self, fmt: str) -> dict[str, Any]:
        parameters: dict[str, Any] = {"temperature": self.settings.temperature}
        if self.settings.max_tokens is not None:
            parameters["max_tokens"] = self.settings.max_tokens
        if fmt == "json_schema":
            parameters["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "mentions", "schema": self.response_schema}}
        elif fmt == "json_object":
            parameters["response_format"] = {"type": "json_object"}
        return parameters

    def _key(self, messages: Sequence[dict[str, str]], fmt: str) -> str:
        return request_key(self.settings.base_url, self.settings.model, list(messages), self._parameters(fmt))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** attempt) * random.uniform(0.5, 1.5)
        return max(backoff, retry_after or 0.0)

    @staticmethod
    def _retry_after(exc: Any) -> float | None:
        response = getattr(exc, "response", None)
        value = response.headers.get("retry-after") if response is not None else None
        try:
            return float(value) if value is not None else None
        except ValueError:  # an HTTP date: wait the ordinary backoff instead
            return None

    def call(self, messages: Sequence[dict[str, str]]) -> dict[str, Any]:
        """``{"content", "finish_reason", "usage", "cached", "requests", "retries", "latency", "error", "key",
        "reading"}`` (``reading``: what was read from a cached response earlier, else ``None``)."""
        started = time.perf_counter()
        if self.cache is not None:
            for fmt in self._formats:
                key = self._key(messages, fmt)
                hit = self.cache.get(key)
                if hit is not None:
                    return {**hit[0], "cached": True, "requests": 0, "retries": 0, "key": key, "reading": hit[1],
                            "latency": time.perf_counter() - started, "error": None}
        requests = retries = 0
        attempt = 0
        while True:
            fmt = self._formats[0]
            requests += 1
            try:
                completion = self._client_once().chat.completions.create(
                    model=self.settings.model, messages=list(messages), **self._parameters(fmt))
            except self._openai.APIStatusError as exc:
                if exc.status_code == 400 and fmt != "none" and "response_format" in str(exc):
                    with self._lock:  # the server does not support this structured-output mode: step down
                        if self._formats[0] == fmt and len(self._formats) > 1:
                            self._formats.pop(0)
                    continue
                retryable = exc.status_code in _RETRY_STATUS or exc.status_code >= 500
                error, retry_after = f"HTTP {exc.status_code}: {exc.message}", self._retry_after(exc)
            except (self._openai.APITimeoutError, self._openai.APIConnectionError) as exc:
                retryable = True
                error, retry_after = f"{type(exc).__name__}: {exc}", None
            else:
                choice = completion.choices[0] if completion.choices else None
                usage = completion.usage
                response = {
                    "content": (choice.message.content if choice else None) or "",
                    "finish_reason": choice.finish_reason if choice else None,
                    "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
                    if usage else {},
                }
                key = self._key(messages, fmt)
                if self.cache is not None:
                    self.cache.put(key, response)
                return {**response, "cached": False, "requests": requests, "retries": retries, "key": key,
                        "reading": None, "latency": time.perf_counter() - started, "error": None}
            if not retryable or attempt >= self.settings.max_retries:
                return {"content": None, "finish_reason": None, "usage": {}, "cached": False, "requests": requests,
                        "retries": retries, "key": None, "reading": None, "latency": time.perf_counter() - started,
                        "error": f"{error} (after {requests} request(s))"}
            time.sleep(self._delay(attempt, retry_after))
            attempt += 1
            retries += 1

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


__all__ = [
    "READER_VERSION", "RESPONSE_FORMATS", "Answer", "CallSettings", "ChatCaller", "DocumentOutcome", "read_answer",
]
