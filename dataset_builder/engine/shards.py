"""Tasks over input files: whole files, or byte ranges of a large line/record file cut at record boundaries.

A task is a small picklable description (a path and two byte offsets), never the data: each worker
opens its own range, so work crosses a process boundary once per task, not once per document.

Cutting at record boundaries: a range ``[start, stop)`` starts just after a record separator (or at 0)
and ends just after one (or at the end of the file). The separator is a newline for JSONL and plain
text, a blank line for CoNLL. Cutting on a byte is safe in UTF-8: a newline byte (0x0A) never occurs
inside a multi-byte character, so an Arabic character is never split. ``\\r\\n`` line ends keep the
``\\r`` with the record before the ``\\n``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["ByteRange", "Record", "cut_byte_ranges", "iter_lines", "iter_records"]

Separator = Literal["line", "blank-line"]
_SCAN = 1 << 16  # bytes read at a time while looking for a boundary
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes ``[start, stop)`` of ``path``; ``stop`` is None for "to the end of the file"."""

    path: str
    start: int = 0
    stop: int | None = None

    @property
    def key(self) -> str:
        """A stable name for the task's completion marker (the same range, the same key on every run)."""
        digest = hashlib.blake2b(f"{self.path}\0{self.start}\0{self.stop}".encode(), digest_size=8).hexdigest()
        return f"{Path(self.path).name}-{self.start}-{digest}"

    def describe(self) -> str:
        """``path`` or ``path [start:stop]``, for progress and error messages."""
        if self.start == 0 and self.stop is None:
            return self.path
        return f"{self.path} [bytes {self.start}:{'' if self.stop is None else self.stop}]"

    def read(self) -> bytes:
        """The range's bytes (a range is sized to fit in a worker's memory)."""
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            return handle.read(-1 if self.stop is None else self.stop - self.start)


@dataclass(frozen=True, slots=True)
class Record:
    """One line (or blank-line separated block) of a file and the byte offset where it starts."""

    offset: int
    data: bytes


def _next_boundary(handle, position: int, separator: Separator, size: int) -> int:
    """The first record start at or after ``position`` (a position just after a separator), or ``size``."""
    if position <= 0:
        return 0
    # Step back one byte so a separator ending exactly at `position` is seen (then `position` is a start).
    look_from = position - 1 if separator == "line" else max(0, position - _SCAN)
    handle.seek(look_from)
    carry = b""
    base = look_from
    while True:
        chunk = handle.read(_SCAN)
        if not chunk:
            return size
        data = carry + chunk
        if separator == "line":
            found = data.find(b"\n")
            if found >= 0:
                return base + found + 1
            base += len(data)
            carry = b""
        else:
            for match in _BLANK_LINE.finditer(data):
                end = base + match.end()
                if end >= position:
                    return end
            keep = min(len(data), 64)  # a separator split across two reads
            base += len(data) - keep
            carry = data[-keep:]


def cut_byte_ranges(path: str | Path, target_bytes: int, *, separator: Separator = "line") -> list[ByteRange]:
    """Cut a file into ranges of about ``target_bytes`` that start and end at record boundaries.

    Every byte of the file is in exactly one range; a record longer than ``target_bytes`` stays
    whole (the range grows to hold it). An empty file gives no range.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "a.jsonl")
    ...     _ = open(path, "wb").write(b'{"text": "one"}\\n{"text": "two"}\\n{"text": "three"}\\n')
    ...     [(r.start, r.stop) for r in cut_byte_ranges(path, 20)]
    [(0, 32), (32, 50)]
    """
    if target_bytes <= 0:
        raise ValueError(f"target_bytes must be positive, not {target_bytes}")
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return []
    starts = [0]
    with path.open("rb") as handle:
        while True:
            start = _next_boundary(handle, starts[-1] + target_bytes, separator, size)
            if start >= size:
                break
            starts.append(start)
    stops = [*starts[1:], size]
    return [ByteRange(str(path), start, stop) for start, stop in zip(starts, stops, strict=True)]


def iter_lines(shard: ByteRange) -> Iterator[Record]:
    """The lines of a range with their absolute byte offsets (line ends, ``\\r\\n`` too, stripped)."""
    data = shard.read()
    position = 0
    while position < len(data):
        end = data.find(b"\n", position)
        if end < 0:
            end = len(data)
        yield Record(shard.start + position, data[position:end].rstrip(b"\r"))
        position = end + 1


def iter_records(shard: ByteRange, separator: Separator = "line") -> Iterator[Record]:
    """Lines (``line``) or blank-line separated blocks (``blank-line``, CoNLL sentences) of a range."""
    if separator == "line":
        yield from iter_lines(shard)
        return
    data = shard.read()
    position = 0
    for match in [*_BLANK_LINE.finditer(data), None]:
        end = len(data) if match is None else match.start()
        block = data[position:end].strip(b"\r\n")
        if block.strip():
            yield Record(shard.start + position, block)
        if match is not None:
            position = match.end()


def ranges_for(paths: Sequence[str | Path], target_bytes: int, *, separator: Separator = "line") -> list[ByteRange]:
    """Ranges of every file, in the order given (files smaller than ``target_bytes`` are one range)."""
    return [r for path in paths for r in cut_byte_ranges(path, target_bytes, separator=separator)]
