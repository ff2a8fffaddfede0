"""Progress for every long step, one way: a tqdm bar on a terminal, one plain line per stage elsewhere.

On a terminal, :func:`progress_bar` is a tqdm bar (total, rate and ETA when the amount is known).
When stderr is not a terminal (a log file, CI, a pipe) there are no bars and no ``\\r``: the stage
writes one line when it starts, a line at most every ``every`` seconds (10 by default) while it runs
(``label: 4 of 10 task (40%), 12s, ETA 18s``) and one when it ends (``label: 3 of 3 models in 41.2s``).
A step whose amount is unknown and that has no parts to count (a build's card, its audit) is timed
by :func:`progress_step`: one line when it is done (``card: done in 0.4s``), terminal or not.
Progress goes to stderr, never to stdout (which carries ``--json`` output). It is off with
``--no-progress`` (``enabled=False``), ``TQDM_DISABLE=1`` or ``HF_DATASETS_DISABLE_PROGRESS_BARS=1``
(the variable ``datasets`` honours, so one switch silences both).

>>> import io
>>> log = io.StringIO()
>>> with progress_bar(total=2, desc="models", unit="model", stream=log) as bar:
...     bar.update(2)
>>> print(log.getvalue().replace(log.getvalue().split()[-1], "0.0s"), end="")
models: 2 model to do
models: 2 of 2 model in 0.0s
>>> log = io.StringIO()
>>> with progress_step("card", stream=log):
...     pass
>>> log.getvalue().startswith("card: done in ")
True
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

__all__ = ["DISABLING_VARIABLES", "LOG_EVERY_SECONDS", "progress_bar", "progress_enabled", "progress_step"]

#: Environment variables that switch every progress display off (any value but "", "0", "false", "off").
DISABLING_VARIABLES = ("TQDM_DISABLE", "HF_DATASETS_DISABLE_PROGRESS_BARS")

#: Off a terminal, the shortest time between two lines of a running stage: a log shows that a long
#: stage is moving without growing a line per item.
LOG_EVERY_SECONDS = 10.0


def progress_enabled(requested: bool = True) -> bool:
    """``requested`` (``--progress/--no-progress``) unless the environment switches progress off."""
    switched_off = any(os.environ.get(name, "").strip().lower() not in ("", "0", "false", "off", "no")
                       for name in DISABLING_VARIABLES)
    return requested and not switched_off


class _StageLines:
    """What stands in for a bar off a terminal: a line at the start, a line at most every ``every``
    seconds while it runs (with the share done and an ETA when the total is known) and a line at the end."""

    def __init__(self, iterable: Iterable[Any] | None, total: int | None, desc: str, unit: str,
                 stream: TextIO, every: float = LOG_EVERY_SECONDS) -> None:
        self.iterable, self.total, self.desc, self.unit, self.stream = iterable, total, desc, unit, stream
        self.every = every
        self.n = 0
        self.started = self._last = time.monotonic()
        self._closed = False
        amount = f"{total} {unit} to do" if total is not None else "started"
        self._write(f"{desc}: {amount}")

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def update(self, count: int = 1) -> None:
        self.n += count
        now = time.monotonic()
        if now - self._last < self.every or (self.total is not None and self.n >= self.total):
            return  # the end line says it when everything is done
        self._last = now
        elapsed = now - self.started
        if self.total:
            eta = f"{elapsed / self.n * (self.total - self.n):.0f}s" if self.n else "?"
            self._write(f"{self.desc}: {self.n} of {self.total} {self.unit} ({100 * self.n / self.total:.0f}%), "
                        f"{elapsed:.0f}s, ETA {eta}")
        else:
            self._write(f"{self.desc}: {self.n} {self.unit} so far, {elapsed:.0f}s")

    def set_postfix_str(self, text: str) -> None:  # tqdm's API; a log keeps only the final line
        pass

    def __iter__(self) -> Iterator[Any]:
        assert self.iterable is not None
        for item in self.iterable:
            yield item
            self.update()
        self.close()  # as tqdm does when its iterable is exhausted

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        seconds = time.monotonic() - self.started
        amount = f"{self.n} of {self.total}" if self.total is not None else f"{self.n}"
        self._write(f"{self.desc}: {amount} {self.unit} in {seconds:.1f}s")

    def __enter__(self) -> _StageLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Silent(_StageLines):
    def __init__(self, iterable: Iterable[Any] | None, total: int | None) -> None:
        self.iterable, self.total, self.n, self._closed = iterable, total, 0, True

    def update(self, count: int = 1) -> None:
        self.n += count

    def close(self) -> None:
        pass


def progress_bar(iterable: Iterable[Any] | None = None, *, total: int | None = None, desc: str, unit: str = "it",
                 enabled: bool = True, stream: TextIO | None = None, every: float = LOG_EVERY_SECONDS) -> Any:
    """A progress display over ``iterable`` (or updated by hand with ``update(n)``), closed with ``close()``
    or a ``with`` block: tqdm on a terminal, start, periodic (at most every ``every`` seconds) and end
    lines elsewhere, nothing when disabled. ``stream`` defaults to stderr."""
    stream = stream if stream is not None else sys.stderr
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if not progress_enabled(enabled):
        return _Silent(iterable, total)
    if not _is_terminal(stream):
        return _StageLines(iterable, total, desc, unit, stream, every)
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=f" {unit}", file=stream, mininterval=0.5, dynamic_ncols=True)


@contextlib.contextmanager
def progress_step(desc: str, *, enabled: bool = True, stream: TextIO | None = None,
                  min_seconds: float = 0.0) -> Iterator[None]:
    """Time one step that has no parts to count: ``desc: done in 0.4s`` on stderr when it ends (not when
    it fails: the error says what happened). One plain line on a terminal too: there is no amount to draw.
    ``min_seconds``: say nothing about a step that took less (an evaluation of a small file stays quiet)."""
    if not progress_enabled(enabled):
        yield
        return
    started = time.monotonic()
    yield
    if time.monotonic() - started < min_seconds:
        return
    target = stream if stream is not None else sys.stderr
    target.write(f"{desc}: done in {time.monotonic() - started:.1f}s\n")
    target.flush()


def _is_terminal(stream: TextIO) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())
