"""Progress for every long step, one way: a tqdm bar on a terminal, one plain line per stage elsewhere.

On a terminal, :func:`progress_bar` is a tqdm bar (total, rate and ETA when the amount is known).
When stderr is not a terminal (a log file, CI, a pipe) there are no bars and no ``\\r``: the stage
writes one line when it starts and one when it ends (``label: 3 of 3 models in 41.2s``). Progress
is off with ``--no-progress`` (``enabled=False``), ``TQDM_DISABLE=1`` or
``HF_DATASETS_DISABLE_PROGRESS_BARS=1`` (the variable ``datasets`` honours, so one switch silences
both).

>>> import io
>>> log = io.StringIO()
>>> with progress_bar(total=2, desc="models", unit="model", stream=log) as bar:
...     bar.update(2)
>>> print(log.getvalue().replace(log.getvalue().split()[-1], "0.0s"), end="")
models: 2 model to do
models: 2 of 2 model in 0.0s
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

__all__ = ["DISABLING_VARIABLES", "progress_bar", "progress_enabled"]

#: Environment variables that switch every progress display off (any value but "", "0", "false", "off").
DISABLING_VARIABLES = ("TQDM_DISABLE", "HF_DATASETS_DISABLE_PROGRESS_BARS")


def progress_enabled(requested: bool = True) -> bool:
    """``requested`` (``--progress/--no-progress``) unless the environment switches progress off."""
    switched_off = any(os.environ.get(name, "").strip().lower() not in ("", "0", "false", "off", "no")
                       for name in DISABLING_VARIABLES)
    return requested and not switched_off


class _StageLines:
    """What stands in for a bar off a terminal: a line at the start and a line at the end."""

    def __init__(self, iterable: Iterable[Any] | None, total: int | None, desc: str, unit: str,
                 stream: TextIO) -> None:
        self.iterable, self.total, self.desc, self.unit, self.stream = iterable, total, desc, unit, stream
        self.n = 0
        self.started = time.monotonic()
        self._closed = False
        amount = f"{total} {unit} to do" if total is not None else "started"
        self._write(f"{desc}: {amount}")

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def update(self, count: int = 1) -> None:
        self.n += count

    def set_postfix_str(self, text: str) -> None:  # tqdm's API; a log keeps only the final line
        pass

    def __iter__(self) -> Iterator[Any]:
        assert self.iterable is not None
        for item in self.iterable:
            yield item
            self.n += 1
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

    def close(self) -> None:
        pass


def progress_bar(iterable: Iterable[Any] | None = None, *, total: int | None = None, desc: str, unit: str = "it",
                 enabled: bool = True, stream: TextIO | None = None) -> Any:
    """A progress display over ``iterable`` (or updated by hand with ``update(n)``), closed with ``close()``
    or a ``with`` block: tqdm on a terminal, start and end lines elsewhere, nothing when disabled."""
    stream = stream if stream is not None else sys.stderr
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if not progress_enabled(enabled):
        return _Silent(iterable, total)
    if not getattr(stream, "isatty", lambda: False)():
        return _StageLines(iterable, total, desc, unit, stream)
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=f" {unit}", file=stream, mininterval=0.5, dynamic_ncols=True)
