"""A local SQLite cache of model responses, so reruns cost nothing and interrupted runs resume.

The key is the sha256 of the canonical JSON of everything that decides a response: base URL, model,
messages and request parameters (never the API key). Each response is committed as soon as it
arrives, so a run killed midway keeps every answer it already paid for. Only successful responses
are stored: a document that failed is asked again next time.

Beside each response the cache keeps what was read from it (mentions, problems): the messages in
the key hold the document text, so the reading is a function of the key and the reader, and a
cached rerun does not place every mention on its text again (most of its time otherwise). The
reader's version is stored with it; another version reads the response anew.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any


def request_key(base_url: str, model: str, messages: Any, parameters: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of what decides a response."""
    canonical = json.dumps({"base_url": base_url, "model": model, "messages": messages, "parameters": parameters},
                           ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """``key -> response`` (a JSON object) in one SQLite file, safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # WAL: a reader never waits for the writer, and a killed process leaves a consistent file.
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, "
                         "reading TEXT)")

    def get(self, key: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """``(response, reading)`` (reading ``None`` when none was stored), or ``None`` on a miss."""
        with self._lock:
            row = self._db.execute("SELECT response, reading FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else (json.loads(row[0]), None if row[1] is None else json.loads(row[1]))

    def put(self, key: str, response: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses (key, response) VALUES (?, ?)",
                             (key, json.dumps(response, ensure_ascii=False)))

    def put_reading(self, key: str, reading: dict[str, Any]) -> None:
        """Store what was read from the response under ``key`` (no effect when there is none)."""
        with self._lock:
            self._db.execute("UPDATE responses SET reading = ? WHERE key = ?",
                             (json.dumps(reading, ensure_ascii=False), key))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


__all__ = ["ResponseCache", "request_key"]
