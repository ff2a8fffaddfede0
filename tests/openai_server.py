"""A scriptable OpenAI-compatible chat completions server on 127.0.0.1, for tests and benchmarks only.

It answers ``POST /v1/chat/completions`` the way vLLM, Ollama or the hosted API do (``choices``,
``message.content``, ``finish_reason``, ``usage``), honours ``response_format`` of type ``json_object``
and ``json_schema`` (or refuses ``json_schema`` with a 400 when ``json_schema=False``, as older
servers do), and counts every request it receives. What it answers is decided by ``answer``, a
function of the last user message returning the content string; faults are scripted per request:

* ``latency``: seconds to wait before answering;
* ``faults``: a list consumed one per request -- ``None`` (answer normally), ``("429", retry_after)``,
  ``("500",)``, ``("truncate",)`` (half of the content, ``finish_reason="length"``), ``("garbage",)``
  (content that is not JSON) or ``("hang",)`` (sleep past any client timeout);
* ``fail_always``: a predicate on the user message; matching requests always get a 500.

The server threads are daemons and :meth:`close` shuts it down; use it as a context manager.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OpenAIServer:
    def __init__(self, answer: Callable[[str], str], *, latency: float = 0.0, json_schema: bool = True) -> None:
        self.answer = answer
        self.latency = latency
        self.json_schema = json_schema
        self.faults: list[tuple[Any, ...] | None] = []
        self.fail_always: Callable[[str], bool] = lambda _message: False
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle's algorithm and the client's
                # delayed ACK add ~40 ms to every keep-alive response
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.authorizations.append(self.headers.get("Authorization", ""))
                    fault = server.faults.pop(0) if server.faults else None
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": "not found"}})
                message = next((m["content"] for m in reversed(body.get("messages", [])) if m["role"] == "user"), "")
                if server.latency:
                    time.sleep(server.latency)
                if server.fail_always(message):
                    return self._send(500, {"error": {"message": "internal error"}})
                if fault is not None:
                    kind = fault[0]
                    if kind == "429":
                        return self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": str(fault[1])})
                    if kind == "500":
                        return self._send(500, {"error": {"message": "internal error"}})
                    if kind == "hang":
                        time.sleep(fault[1] if len(fault) > 1 else 2.0)
                fmt = (body.get("response_format") or {}).get("type")
                if fmt == "json_schema" and not server.json_schema:
                    return self._send(400, {"error": {"message": "response_format json_schema is not supported"}})
                content, finish = server.answer(message), "stop"
                if fault is not None and fault[0] == "truncate":
                    content, finish = content[: len(content) // 2], "length"
                elif fault is not None and fault[0] == "garbage":
                    content = "Sure! Here are the entities: بوتين (PERS)"
                prompt_tokens = sum(len(m["content"].split()) for m in body.get("messages", []))
                self._send(200, {
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": 0,
                    "model": body.get("model", ""),
                    "choices": [{"index": 0, "finish_reason": finish,
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(content.split()),
                              "total_tokens": prompt_tokens + len(content.split())},
                })

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up (timeout, kill) is part of the script, not an error to print

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OpenAIServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_answers(answers_path: str, port_file: str, latency: float = 0.0) -> None:
    """Serve until killed, answering each article with its entry of a JSON ``{text: content}`` file
    (``{"mentions": []}`` otherwise), and write the base URL to ``port_file``: a server in its own
    process, so that a benchmark's client process measures only itself."""
    from pathlib import Path

    answers = json.loads(Path(answers_path).read_text(encoding="utf-8"))
    server = OpenAIServer(lambda message: answers.get(message, '{"mentions": []}'), latency=latency)
    Path(port_file).write_text(server.base_url, encoding="utf-8")
    threading.Event().wait()
