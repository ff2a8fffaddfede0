"""Reader for plain news articles as published by Arabic news agencies (SANA and alike).

The expected layout, blank lines anywhere between the parts::

    <title line>
    <date line: YYYY-MM-DD>
    <dateline: place-agency, e.g. موسكو-سانا or دمشق – سانا>
    <paragraph>
    ...
    <caption line (optional): a last, one-line block that does not end a sentence>

``Document.text`` is the file exactly as decoded (only a UTF-8 byte-order mark is dropped by the
``utf-8-sig`` codec): leading blank lines, CRLF line ends and any defect in the text stay, so
offsets point into the text as published. Structure is recorded as offsets, never by editing text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import regex

from dataset_builder.model import Document, Metadata, Unreadable
from dataset_builder.problems import Location, Problem, Severity

__all__ = ["read_article"]

# A date-like line: three groups of (any script's) digits. Only YYYY-MM-DD is accepted as a date;
# anything else that looks like one is reported instead of being mistaken for body text.
_DATE_LIKE = regex.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_ISO_DATE = regex.compile(r"(\d{4})-(\d{2})-(\d{2})")
# "place-agency": hyphen or a dash, spaces optional; a kashida (U+0640) only counts as a dash when
# spaced, because unspaced it is part of a word. Each side is at most four words: a body sentence
# with a hyphen in it is not a dateline.
_WORD = r"[^\s\-\u2010-\u2015]+"
_DATELINE = regex.compile(
    rf"(?P<place>{_WORD}(?: {_WORD}){{0,3}})"
    r"(?:\s*[-\u2010-\u2015]\s*|\s+\u0640+\s+)"
    rf"(?P<agency>{_WORD}(?: {_WORD}){{0,3}})"
)
# A caption names what a photo or video shows; it does not end like a sentence does.
_SENTENCE_END = frozenset('.!?؟…"»”)\'')


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # 1-based line number in the file
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character

    def slice(self, text: str) -> str:
        return text[self.start:self.end]


def read_article(
    path: Path, *, licence: str | None = None, doc_id: str | None = None
) -> Iterator[Document | Unreadable]:
    """Read one plain-text news article, or every ``*.txt`` file of a folder (sorted by name).

    Parameters
    ----------
    path : Path
        A ``.txt`` file, or a folder whose ``*.txt`` files (not recursive) are read in name order.
    licence : str, optional
        Licence statement stored in ``Metadata.licence`` of every document.
    doc_id : str, optional
        Document id; only allowed for a single file. Default: the file name without extension.

    Yields
    ------
    Document or Unreadable
        One document per file; a file that is not valid UTF-8 becomes an ``Unreadable``.

    Notes
    -----
    Metadata is derived as follows. A file without a title, a date line that holds a real calendar date
    or a body paragraph is an ERROR on ``Document.problems`` (validation rejects it: an empty or
    undated article is not a document to publish); a missing dateline or caption is a WARNING and leaves
    its field ``None``. The read itself never stops:

    - ``title``: the first non-blank line (``extra["title_span"]`` holds its offsets);
    - ``date``: the next non-blank line when it is an ISO date ``YYYY-MM-DD`` (Arabic-Indic digits
      are read as digits; ``date`` is always written with ASCII digits); ``extra["date_span"]``;
    - ``dateline_place``, ``dateline_agency``: the next non-blank line when it reads
      ``place-agency`` (hyphen, en or em dash, spaces optional); ``extra["dateline_span"]``;
    - ``paragraphs``: ``(start, end)`` of each body block (consecutive non-blank lines), from its
      first to its last non-space character. The caption is **not** a body paragraph: when the
      last block is a single line that does not end like a sentence (``.``, ``!``, ``؟``, ``…``,
      closing quote or bracket), it is taken as the caption and its offsets go to
      ``extra["caption"]`` (``None`` when there is no caption).
    - ``source_file``: the file name (relative to the folder when reading a folder).

    All offsets are code-point offsets into ``Document.text`` with exclusive ends.
    """
    path = Path(path)
    if path.is_dir():
        if doc_id is not None:
            raise ValueError("doc_id names a single document; it cannot be used when reading a folder.")
        for file in sorted(path.glob("*.txt")):
            yield _read_one(file, file.relative_to(path).as_posix(), licence, file.stem)
    else:
        yield _read_one(path, path.name, licence, doc_id or path.stem)


def _read_one(path: Path, source_file: str, licence: str | None, doc_id: str) -> Document | Unreadable:
    location = Location(str(path))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problem = Problem(
            "article-not-utf8",
            f"byte {exc.start} (0x{raw[exc.start]:02x}) is not valid UTF-8.",
            "Convert the file to UTF-8 (e.g. `iconv -f CP1256 -t UTF-8` for Windows Arabic).",
            path=str(path), line=line, doc_id=doc_id,
        )
        return Unreadable(location, (problem,), doc_id)

    problems: list[Problem] = []

    def warn(code: str, message: str, fix: str, line: int | None) -> None:
        problems.append(Problem(code, message, fix, Severity.WARNING, str(path), line, doc_id))

    def refuse(code: str, message: str, fix: str, line: int | None) -> None:
        problems.append(Problem(code, message, fix, Severity.ERROR, str(path), line, doc_id))

    lines = _content_lines(text)
    extra: dict[str, object] = {"title_span": None, "date_span": None, "dateline_span": None, "caption": None}
    title = date = place = agency = None
    position = 0

    if not lines:
        refuse("article-no-title", f"the file is empty ({len(text)} character(s), none but white space): no title, "
               "no date, no body.", "Put the article's title on the first non-blank line, or remove the file.", 1)
    else:
        title_line = lines[0]
        title = title_line.slice(text)
        extra["title_span"] = (title_line.start, title_line.end)
        position = 1

        date_line = lines[position] if position < len(lines) else None
        if date_line is not None and _DATE_LIKE.fullmatch(date_line.slice(text)):
            extra["date_span"] = (date_line.start, date_line.end)
            position += 1
            date = _iso_date(date_line.slice(text))
            if date is None:
                why = ("is not a calendar date" if _ISO_DATE.fullmatch(date_line.slice(text))
                       else "is not an ISO date (YYYY-MM-DD)")
                refuse("article-date-not-iso", f"the date line {date_line.slice(text)!r} {why}.",
                       "Write the date as YYYY-MM-DD, e.g. 2021-09-14.", date_line.number)
        else:
            shown = repr(date_line.slice(text)[:40]) if date_line else "nothing"
            refuse("article-no-date", f"expected an ISO date line (YYYY-MM-DD) after the title, found {shown}.",
                   "Put the publication date (YYYY-MM-DD) on its own line after the title.",
                   date_line.number if date_line else title_line.number)

        dateline = lines[position] if position < len(lines) else None
        match = _DATELINE.fullmatch(dateline.slice(text)) if dateline is not None else None
        if dateline is not None and match is not None:
            place, agency = match["place"], match["agency"]
            extra["dateline_span"] = (dateline.start, dateline.end)
            position += 1
        else:
            shown = repr(dateline.slice(text)[:40]) if dateline else "nothing"
            warn("article-no-dateline",
                 f"expected a dateline 'place-agency' (e.g. موسكو-سانا) after the date, found {shown}.",
                 "Put the dateline on its own line after the date, or ignore this if the article has none.",
                 dateline.number if dateline else None)

    blocks = _blocks(lines[position:])
    paragraphs = [(block[0].start, block[-1].end) for block in blocks]
    if blocks and len(blocks[-1]) == 1 and text[blocks[-1][0].end - 1] not in _SENTENCE_END:
        extra["caption"] = paragraphs.pop()
    if not paragraphs and lines:
        last = lines[position - 1] if position else lines[0]
        refuse("article-no-body", f"the article has no body paragraph after its header lines (the last one, line "
               f"{last.number}, is {last.slice(text)[:40]!r}).",
               "Check that the file holds the article body, separated from the header by blank lines.", last.number)

    metadata = Metadata(
        title=title, date=date, dateline_place=place, dateline_agency=agency,
        source_file=source_file, licence=licence, paragraphs=tuple(paragraphs), extra=extra,
    )
    return Document(doc_id, text, metadata, location=location, problems=tuple(problems))


def _content_lines(text: str) -> list[_Line]:
    """The non-blank lines of ``text`` with their stripped offsets; ``\\r\\n``, ``\\n``, ``\\r`` all end a line."""
    found = []
    for number, match in enumerate(regex.finditer(r"[^\r\n]*+(?:\r\n|\n|\r)?+", text), start=1):
        content = match.group().rstrip("\r\n")
        stripped = content.strip()
        if not stripped:
            continue
        start = match.start() + (len(content) - len(content.lstrip()))
        found.append(_Line(number, start, start + len(stripped)))
    return found


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Group lines into blocks of consecutive line numbers: blank lines separate paragraphs."""
    blocks: list[list[_Line]] = []
    for line in lines:
        if blocks and blocks[-1][-1].number == line.number - 1:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _iso_date(value: str) -> str | None:
    """``YYYY-MM-DD`` in ASCII digits when ``value`` is a real ISO calendar date, else ``None``."""
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        return None
    try:
        return dt.date(*(int(group) for group in match.groups())).isoformat()
    except ValueError:  # e.g. 2021-02-30
        return None
