"""Read a model's predictions from a file, in any of the formats models actually produce.

:func:`load_predictions` reads

* ``jsonl`` — akhbar's standoff JSON Lines, one document per line::

      {"id": "doc-1", "spans": [{"start": 12, "end": 17, "label": "PERS", "layer": "entities",
                                 "id": "T1", "text": "بوتين"}],
       "links": [{"id": "L1", "type": "speaker", "from": "Q1", "to": "T1"}]}

  ``layer``, ``id`` and ``text`` are optional (``links`` too; ``source``/``target`` are accepted for
  ``from``/``to``). When ``text`` is given and the gold documents are known it is checked against
  the slice it claims to be, which catches offsets counted in bytes or UTF-16 units.
* ``mentions`` — offset-free mention lists as a language model returns them, placed on the text by
  :func:`eval.mentions.align_mentions` (so ``documents`` are required)::

      {"id": "doc-1", "mentions": [{"text": "بوتين", "label": "PERS"}],
       "quotes": [{"text": "سعيد جداً أن أرحب بكم", "speaker": "بوتين", "label": "DIRECT"}]}

  also a bare list of mentions per line (lines pair with ``documents`` in order), or a ``.json``
  file mapping each document id to its list (or to an object as above). A quote's ``speaker`` is
  placed at its occurrence nearest before the quote (see :meth:`DocumentMatcher.nearest`) and
  becomes a ``speaker`` link; a quote without ``label`` gets the label ``QUOTE`` (score such quotes
  in ``exact`` mode, which ignores labels).
* ``conll`` — conlleval's input: one token per line, the gold tag and the predicted tag in the last
  two columns, blank lines (or ``-DOCSTART-``) between sentences. Both sides are decoded with
  :func:`eval.bio.mentions_from_tags`; mentions are in token coordinates, doc id = sentence index.
  The gold side is returned in :attr:`TagPredictions.gold`.
* ``brat`` — a folder of predicted ``.ann`` files next to the ``.txt`` they annotate, read with
  :func:`dataset_builder.readers.brat.read_brat`.

Nothing is dropped silently: every line that cannot be read, every unknown document id, every span
outside its text and every mention that could not be placed is in ``problems`` or
:attr:`OffsetFreePredictions.unaligned`, with ``file:line``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from dataset_builder.input_limits import JsonLimitError, json_problem, loads_checked
from dataset_builder.model import Document
from dataset_builder.problems import InputError, Problem, Severity
from eval.links import MentionLink
from eval.mentions import DocumentMatcher, UnalignedMention, align_mentions
from eval.types import Mention, UnplacedPrediction

PredictionFormat = Literal["jsonl", "mentions", "conll", "brat"]
FORMATS: tuple[PredictionFormat, ...] = ("jsonl", "mentions", "conll", "brat")
_CONLL_SUFFIXES = {".conll", ".conllu", ".txt", ".tsv", ".iob", ".bio"}
_QUOTE_LABEL_DEFAULT = "QUOTE"
_MAX_OFFSET = 2**62


@dataclass(frozen=True, kw_only=True)
class _LoadedPredictions:
    """What every kind of predictions carries: mentions, links, problems and where they came from.

    Attributes
    ----------
    mentions : list of Mention
        Predicted mentions of every layer, sorted; filter with :meth:`layer`.
    links : list of MentionLink
        Predicted links with both ends resolved to mentions (an end that could not be placed is
        ``None``; such a link counts as predicted and can never be correct).
    problems : list of Problem
        Everything wrong with the input, each with file and line.
    source_hash : str or None
        sha256 of the file's bytes (of a folder: of its files' names and hashes); None for
        predictions made in memory (then a hash of the mentions identifies them).
    fmt : str
        The format that was read (``mentions`` for mentions given in memory).
    path : str
    """

    mentions: list[Mention]
    links: list[MentionLink] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    source_hash: str | None = None
    fmt: str = "mentions"
    path: str = ""

    def layer(self, name: str) -> list[Mention]:
        return [m for m in self.mentions if m.layer == name]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


@dataclass(frozen=True, kw_only=True)
class SpanPredictions(_LoadedPredictions):
    """Predicted mentions with character offsets: standoff JSONL, a BRAT folder, or mentions in memory
    (``SpanPredictions(mentions=[Mention(...), ...])``)."""


@dataclass(frozen=True, kw_only=True)
class OffsetFreePredictions(_LoadedPredictions):
    """Offset-free mentions (text and label) and quotes with their speakers, placed on the gold texts.

    ``mentions`` and ``links`` hold what could be placed; ``unaligned`` everything that could not
    (mentions, quotes and quote speakers, each with file, line and reason; not repeated in
    ``problems``, ``UnalignedMention.to_problem()`` converts). An unaligned speaker carries
    ``speaker_of`` (its quote's index): it makes its link wrong and is not a prediction of its own.
    """

    unaligned: list[UnalignedMention] = field(default_factory=list)

    @property
    def unplaced(self) -> list[UnplacedPrediction]:
        """The unaligned predictions that count as spurious mentions: not speakers (link ends), and
        not ``malformed`` or ``empty-text`` (nothing to score, see :meth:`UnplacedPrediction.from_unaligned`)."""
        scorable = (UnplacedPrediction.from_unaligned(u) for u in self.unaligned if u.speaker_of is None)
        return [prediction for prediction in scorable if prediction is not None]


@dataclass(frozen=True, kw_only=True)
class TagPredictions(_LoadedPredictions):
    """Tag sequences with their own gold column (conlleval's ``TOKEN GOLD PRED``), decoded to chunks.

    ``mentions`` (predicted) and ``gold`` are in token coordinates, document id = sentence index; they
    are scored with each other (:func:`eval.evaluate.evaluate_tags`), never against documents.
    """

    gold: list[Mention] = field(default_factory=list)
    fmt: str = "conll"


#: What :func:`load_predictions` returns and :func:`eval.evaluate.evaluate` takes (besides a model).
Predictions = SpanPredictions | OffsetFreePredictions | TagPredictions


def load_predictions(
    path: str | Path,
    *,
    fmt: PredictionFormat | None = None,
    documents: Mapping[str, Document] | None = None,
    layer: str = "entities",
    scheme: str = "IOB2",
    decoder: Literal["lenient", "strict"] = "lenient",
    strict: bool = False,
) -> Predictions:
    """Read predictions in any supported format (see the module docstring).

    Parameters
    ----------
    path : str or Path
        A file (``jsonl``, ``mentions``, ``conll``) or a folder (``brat``).
    fmt : {"jsonl", "mentions", "conll", "brat"}, optional
        Detected when omitted: a folder is ``brat``; ``.json`` is ``mentions``; ``.jsonl`` is
        ``jsonl`` or ``mentions`` after the first line's shape (``spans`` or ``mentions``/``quotes``/a
        list); other files are ``conll``.
    documents : mapping of id to Document, optional
        The gold documents. Required for ``mentions``; for the other formats enables the checks
        of document ids, offsets and surface texts.
    layer : str, default="entities"
        Layer given to spans and mentions that do not name one.
    scheme, decoder : str
        Tag scheme and decoder for ``conll`` input (see :func:`eval.bio.mentions_from_tags`).
    strict : bool, default=False
        Raise :class:`InputError` on the first error instead of collecting problems.

    Returns
    -------
    SpanPredictions, OffsetFreePredictions or TagPredictions
        By format: ``jsonl`` and ``brat`` give spans with offsets, ``mentions`` offset-free
        mentions placed on the text, ``conll`` tag sequences with their gold.

    Raises
    ------
    InputError
        When the file cannot be read at all, the format is unknown, ``mentions`` input comes
        without ``documents``, or (with ``strict``) on the first error.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("predictions-not-found", "the predictions file does not exist.",
                                 "Pass the path of a predictions file or BRAT folder.", path=str(path)))
    fmt = fmt or _detect_format(path)
    if fmt not in FORMATS:
        raise InputError(Problem("predictions-format", f"unknown predictions format {fmt!r}.",
                                 f"Use one of: {', '.join(FORMATS)}.", path=str(path)))
    if fmt == "mentions" and documents is None:
        raise InputError(Problem(
            "predictions-need-documents", "offset-free mentions can only be placed on the gold texts.",
            "Pass documents= (e.g. load_gold(...).by_id()).", path=str(path)))
    collector = _Collector(str(path), documents, layer, strict)
    if fmt == "brat":
        _read_brat(path, collector)
    elif fmt == "conll":
        _read_conll(path, collector, scheme, decoder)
    elif path.suffix.lower() == ".json" and fmt == "mentions":
        _read_mentions_json(path, collector)
    else:
        _read_json_lines(path, collector, fmt)
    collector.report_missing_documents()
    common: dict[str, Any] = {"mentions": sorted(collector.mentions), "links": collector.links,
                              "problems": collector.problems, "source_hash": source_hash(path), "fmt": fmt,
                              "path": str(path)}
    if fmt == "conll":
        return TagPredictions(gold=sorted(collector.gold), **common)
    if fmt == "mentions":
        return OffsetFreePredictions(unaligned=collector.unaligned, **common)
    return SpanPredictions(**common)


def source_hash(path: Path) -> str:
    """sha256 of a file's bytes; for a folder, of each file's relative name and sha256, in name order."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).hexdigest().encode("ascii") + b"\n")
    return digest.hexdigest()


def _detect_format(path: Path) -> PredictionFormat:
    if path.is_dir():
        return "brat"
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "mentions"
    if suffix == ".jsonl":
        for line in _lines(path):
            try:
                first = loads_checked(line[1])
            except (json.JSONDecodeError, JsonLimitError):
                continue
            return "jsonl" if isinstance(first, dict) and "spans" in first else "mentions"
        return "jsonl"
    return "conll"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based physical line numbers (BOM and CR tolerated)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            line = _decoded(raw, path, number).rstrip("\r\n")
            if line.strip():
                yield number, line


def _decoded(raw: bytes, path: Path, number: int) -> str:
    """One line (or a whole file, ``number`` 1) as text; not UTF-8 is an InputError at its line."""
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        line = number + raw.count(b"\n", 0, exc.start)
        raise InputError(Problem(
            "predictions-not-utf8", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8.",
            "Write the predictions as UTF-8.", path=str(path), line=line)) from None


class _Collector:
    """Accumulates mentions, links and problems while a file is read."""

    def __init__(self, path: str, documents: Mapping[str, Document] | None, layer: str, strict: bool) -> None:
        self.path, self.documents, self.layer, self.strict = path, documents, layer, strict
        self.mentions: list[Mention] = []
        self.gold: list[Mention] = []
        self.links: list[MentionLink] = []
        self.unaligned: list[UnalignedMention] = []
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}

    def problem(self, code: str, message: str, fix: str, line: int | None, *, doc_id: str | None = None,
                severity: Severity = Severity.ERROR, offset: int | None = None) -> None:
        self.add(Problem(code, message, fix, severity, self.path, line, doc_id, offset))

    def document(self, doc_id: Any, line: int | None) -> Document | Literal[False] | None:
        """The gold document for ``doc_id`` (None when no documents were given); False when unusable."""
        if not isinstance(doc_id, str) or not doc_id:
            self.problem("predictions-doc-id", f"the document id is {doc_id!r}, not a non-empty string.",
                         'Give each line an "id" naming a gold document.', line)
            return False
        if doc_id in self.seen:
            self.problem("predictions-duplicate-doc", f"document {doc_id!r} already appeared on line "
                         f"{self.seen[doc_id]}; both lines are kept.", "Put each document's predictions on one line.",
                         line, doc_id=doc_id, severity=Severity.WARNING)
        else:
            self.seen[doc_id] = line or 0
        if self.documents is None:
            return None
        doc = self.documents.get(doc_id)
        if doc is None:
            self.problem("predictions-unknown-doc", f"document {doc_id!r} is not in the gold set; its predictions "
                         "are not scored.", "Check the id against the gold documents (wrong split?).", line,
                         doc_id=doc_id)
            return False
        return doc

    def add(self, problem: Problem) -> None:
        if self.strict and problem.is_error:
            raise InputError(problem)
        self.problems.append(problem)

    def add_unaligned(self, items: Iterable[UnalignedMention], line: int | None) -> None:
        # Kept apart from `problems` (UnalignedMention.to_problem() turns one into a Problem).
        self.unaligned.extend(replace(item, path=self.path, line=line) for item in items)

    def report_missing_documents(self) -> None:
        if self.documents is None or not self.seen:
            return
        missing = [doc_id for doc_id in self.documents if doc_id not in self.seen]
        if missing:
            shown = ", ".join(map(repr, missing[:10])) + (" ..." if len(missing) > 10 else "")
            self.problem("predictions-missing-docs", f"{len(missing)} gold document(s) have no predictions line "
                         f"({shown}); they are scored as predicting nothing.",
                         "Emit a line (possibly with no spans) for every gold document.", None,
                         severity=Severity.WARNING)


# ---------------------------------------------------------------------------------------------- JSON lines


def _read_json_lines(path: Path, out: _Collector, fmt: PredictionFormat) -> None:
    order = list(out.documents) if out.documents is not None else []
    for position, (number, line) in enumerate(_lines(path)):
        try:
            obj = loads_checked(line)
        except JsonLimitError as exc:
            out.problem(f"predictions-{exc.code}", *json_problem(exc), number)
            continue
        except json.JSONDecodeError as exc:
            out.problem("predictions-json", f"not valid JSON ({exc.msg} at column {exc.colno}).",
                        "Write one JSON object per line.", number)
            continue
        if fmt == "mentions" and isinstance(obj, list):
            if position >= len(order):
                out.problem("predictions-extra-line", f"line {position + 1} of bare mention lists, but the gold "
                            f"set has only {len(order)} documents.",
                            'Give each line an "id", or write one line per document.', number)
                continue
            obj = {"id": order[position], "mentions": obj}
        if not isinstance(obj, dict):
            out.problem("predictions-shape", f"a line holds a JSON {type(obj).__name__}, not an object.",
                        'Write {"id": ..., "spans": [...]} (or "mentions" for offset-free predictions).', number)
            continue
        if fmt == "jsonl":
            _standoff_line(obj, out, number)
        else:
            _offset_free_entry(obj, out, number)


def _standoff_line(obj: dict[str, Any], out: _Collector, line: int) -> None:
    doc = out.document(obj.get("id"), line)
    if doc is False:
        return
    doc_id: str = obj["id"]
    if not isinstance(obj.get("spans", []), list) or "mentions" in obj:
        out.problem("predictions-shape", 'expected "spans": a list of {start, end, label} objects.',
                    "Use the standoff format, or pass fmt='mentions' for offset-free predictions.", line,
                    doc_id=doc_id)
        return
    if doc is not None and isinstance(obj.get("text"), str) and obj["text"] != doc.text:
        out.problem("predictions-text-differs", "the line's text differs from the gold document's text, so its "
                    "offsets cannot be trusted; its spans are not scored.",
                    "Predict on the gold text exactly as given (no normalization or stripping).", line, doc_id=doc_id)
        return
    by_id: dict[str, Mention] = {}
    for index, span in enumerate(obj.get("spans", [])):
        mention = _standoff_span(span, index, doc, doc_id, out, line)
        if mention is not None:
            out.mentions.append(mention)
            by_id[mention.id or f"#{index}"] = mention
    links = obj.get("links") or []
    if not isinstance(links, list):
        out.problem("predictions-link", f"`links` is {_shown(links)}, not a list; no link of the line is scored.",
                    'Write "links": [{"type": ..., "from": ..., "to": ...}, ...] or leave it out.', line,
                    doc_id=doc_id)
        links = []
    for index, link in enumerate(links):
        _standoff_link(link, index, by_id, doc_id, out, line)


def _shown(value: Any) -> str:
    """A JSON value as it was written, cut short for messages."""
    return json.dumps(value, ensure_ascii=False)[:60]


def _standoff_span(span: Any, index: int, doc: Document | None, doc_id: str, out: _Collector,
                   line: int) -> Mention | None:
    where = f"span #{index}"
    if not isinstance(span, dict):
        out.problem("predictions-span", f"{where} is not an object.", "Write spans as {start, end, label}.", line,
                    doc_id=doc_id)
        return None
    start, end, label = span.get("start"), span.get("end"), span.get("label")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not isinstance(label, str):
        out.problem("predictions-span", f"{where} needs integer start/end and a string label, got start={start!r}, "
                    f"end={end!r}, label={label!r}.", "Fix the span's fields.", line, doc_id=doc_id)
        return None
    span_layer, span_id = span.get("layer", out.layer), span.get("id")
    if not isinstance(span_layer, str) or not isinstance(span_id, (str, int, type(None))) \
            or isinstance(span_id, bool) or not isinstance(span.get("text"), (str, type(None))):
        out.problem("predictions-span", f"{where} has `layer` {_shown(span_layer)}, `id` {_shown(span_id)} and "
                    f"`text` {_shown(span.get('text'))}; layer must be a string, id a string or integer, text a "
                    "string (each may be left out).", "Fix the span's fields.", line, doc_id=doc_id)
        return None
    # Offsets travel as 64-bit integers from here on; no text is that long anyway.
    if not 0 <= start < end or end > _MAX_OFFSET or (doc is not None and end > len(doc.text)):
        limit = f" (text length {len(doc.text)})" if doc is not None else ""
        out.problem("predictions-offsets", f"{where} has offsets [{start}, {end}) outside the text or empty{limit}.",
                    "Offsets are code-point indices into the document text, end exclusive.", line, doc_id=doc_id,
                    offset=start)
        return None
    surface = span.get("text")
    if doc is not None:
        actual = doc.text[start:end]
        if isinstance(surface, str) and surface != actual:
            out.problem("predictions-text-mismatch", f"{where} says its text is {surface!r} but [{start}, {end}) "
                        f"is {actual!r}; scored by its offsets.", "Check how offsets were counted (code points, "
                        "not bytes or UTF-16 units).", line, doc_id=doc_id, severity=Severity.WARNING, offset=start)
        surface = actual
    return Mention(doc_id, start, end, label, span_layer, surface if isinstance(surface, str) else None,
                   str(span_id) if span_id is not None else f"#{index}")


def _standoff_link(link: Any, index: int, by_id: Mapping[str, Mention], doc_id: str, out: _Collector,
                   line: int) -> None:
    if not isinstance(link, dict):
        out.problem("predictions-link", f"link #{index} is not an object.", "Write links as {type, from, to}.",
                    line, doc_id=doc_id)
        return
    source, target = link.get("from", link.get("source")), link.get("to", link.get("target"))
    link_type = link.get("type")
    ends = [by_id.get(str(source)), by_id.get(str(target))]
    if not isinstance(link_type, str) or None in ends:
        unknown = [str(x) for x, end in zip((source, target), ends, strict=True) if end is None]
        out.problem("predictions-link", f"link #{index} (type {link_type!r}) refers to unknown or unusable span "
                    f"id(s) {', '.join(unknown) or '-'}; it is not scored.",
                    "Link spans of the same line by their ids.", line, doc_id=doc_id)
        return
    out.links.append(MentionLink(doc_id, link_type, ends[0], ends[1], str(link.get("id", f"#{index}"))))


# ---------------------------------------------------------------------------------------------- offset-free


def _read_mentions_json(path: Path, out: _Collector) -> None:
    raw = _decoded(path.read_bytes(), path, 1)
    try:
        data = loads_checked(raw)
    except JsonLimitError as exc:
        raise InputError(Problem(f"predictions-{exc.code}", *json_problem(exc), path=out.path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(Problem("predictions-json", f"not valid JSON ({exc.msg}).", "Fix the JSON syntax.",
                                 path=out.path, line=exc.lineno)) from None
    if isinstance(data, list):  # one entry per document, each with an "id"
        entries = [(item.get("id") if isinstance(item, dict) else None, item) for item in data]
    elif isinstance(data, dict):
        entries = list(data.items())
    else:
        raise InputError(Problem("predictions-shape", f"the file holds a JSON {type(data).__name__}.",
                                 "Map each document id to its list of mentions.", path=out.path))
    for doc_id, value in entries:
        # JSON parsers do not keep positions: point at the line where the id first appears.
        line = _line_of(raw, json.dumps(doc_id, ensure_ascii=False)) if isinstance(doc_id, str) else None
        entry = {"mentions": value} if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        if not isinstance(entry, dict):
            out.problem("predictions-shape", f"the entry of {doc_id!r} is a JSON {type(value).__name__}.",
                        "Give a list of mentions, or an object with mentions/quotes.", line)
            continue
        entry["id"] = doc_id
        _offset_free_entry(entry, out, line)


def _line_of(raw: str, needle: str) -> int | None:
    position = raw.find(needle)
    return raw.count("\n", 0, position) + 1 if position >= 0 else None


def _offset_free_entry(entry: dict[str, Any], out: _Collector, line: int | None) -> None:
    doc = out.document(entry.get("id"), line)
    if not doc:  # False (unusable) or None cannot happen: documents are required for this format
        return
    mentions, quotes = entry.get("mentions", []), entry.get("quotes", [])
    if "spans" in entry or not isinstance(mentions, list) or not isinstance(quotes, list):
        out.problem("predictions-shape", 'expected "mentions" and/or "quotes" lists of {text, label} objects.',
                    "Use the offset-free format, or pass fmt='jsonl' for standoff predictions.", line, doc_id=doc.id)
        return
    matcher = DocumentMatcher(doc.text)
    result = align_mentions(doc.text, mentions, doc_id=doc.id, layer=out.layer, matcher=matcher)
    out.mentions.extend(result.mentions)
    out.add_unaligned(result.unaligned, line)
    _offset_free_quotes(quotes, doc, matcher, out, line)


def _offset_free_quotes(quotes: list[Any], doc: Document, matcher: DocumentMatcher, out: _Collector,
                        line: int | None) -> None:
    as_mentions = [
        {"text": q.get("text"), "label": q.get("label", _QUOTE_LABEL_DEFAULT)} if isinstance(q, dict) else q
        for q in quotes
    ]
    result = align_mentions(doc.text, as_mentions, doc_id=doc.id, layer="quotes", matcher=matcher)
    out.mentions.extend(result.mentions)
    out.add_unaligned(result.unaligned, line)
    placed = {match.index: match.mention for match in result.matches}
    for index, quote in enumerate(quotes):
        speaker = quote.get("speaker") if isinstance(quote, dict) else None
        if speaker is None:
            continue
        source = placed.get(index)
        target = None
        if isinstance(speaker, str) and speaker.strip():
            # Placed near the quote it belongs to; if the quote itself is unplaced, at its first occurrence.
            found = matcher.nearest(speaker, source.start if source else 0)
            if found is not None:
                target = Mention(doc.id, found.start, found.end, "PERS", "entities", doc.text[found.start:found.end])
        if target is None:
            reason = "not-found" if isinstance(speaker, str) and speaker.strip() else "malformed"
            out.add_unaligned([UnalignedMention(
                index, str(speaker), "PERS", reason,
                f"the speaker of quote #{index} is not in the text; the link counts as predicted and wrong",
                doc.id, "entities", speaker_of=index,
            )], line)
        out.links.append(MentionLink(doc.id, "speaker", source, target, f"q{index}",
                                     target_text=speaker if isinstance(speaker, str) else None))


# ---------------------------------------------------------------------------------------------- CoNLL


def _read_conll(path: Path, out: _Collector, scheme: str, decoder: Literal["lenient", "strict"]) -> None:
    """``TOKEN ... GOLD PRED`` lines, read by the one CoNLL column reader; odd lines are reported, not fatal."""
    import numpy as np

    from dataset_builder.readers.conll import looks_like_tag, read_tag_columns
    from eval.bio import mentions_from_tags

    columns = read_tag_columns(path)
    separator = columns.is_break | columns.is_docstart
    short = np.flatnonzero(~separator & (columns.n_fields < 3))
    for row in short.tolist():
        out.problem("conll-columns", f"a token line needs at least 3 columns (token, gold tag, predicted "
                    f"tag), found {int(columns.n_fields[row])}: {columns.line(row).strip()!r}; the sentence is "
                    "scored without it.", "Write `TOKEN GOLD PRED`, separated by spaces or tabs.", row + 1)
    rows = np.flatnonzero(~separator & (columns.n_fields >= 3))
    is_tag = np.array([looks_like_tag(tag) for tag in columns.vocab], dtype=bool)
    vocab = np.array([*columns.vocab, "O"], dtype=object)
    gold_ids, pred_ids = columns.gold[rows], columns.pred[rows]
    for index in np.flatnonzero(~is_tag[gold_ids] | ~is_tag[pred_ids]).tolist():
        bad = [vocab[tag] for tag in (gold_ids[index], pred_ids[index]) if not is_tag[tag]]
        out.problem("conll-tag", f"{' and '.join(map(repr, bad))} is not a tag (expected O or PREFIX-TYPE); "
                    "the token is read as O.", "The last two columns must be the gold and predicted tags.",
                    int(rows[index]) + 1)
    outside = len(columns.vocab)
    gold = vocab[np.where(is_tag[gold_ids], gold_ids, outside)].tolist()
    pred = vocab[np.where(is_tag[pred_ids], pred_ids, outside)].tolist()
    tokens = columns.tokens(rows)
    # A sentence: the kept token lines between two separator lines (sentences left empty are none).
    group = np.cumsum(separator)[rows]
    bounds = [0, *(np.flatnonzero(np.diff(group)) + 1).tolist(), len(rows)] if len(rows) else [0]
    pairs = list(itertools.pairwise(bounds))
    for name, side, target in (("gold", gold, out.gold), ("predicted", pred, out.mentions)):
        sentences = [side[a:b] for a, b in pairs]
        try:
            decoded = mentions_from_tags(sentences, scheme=scheme, decoder=decoder, layer=out.layer)
        except ValueError:  # a tag of another scheme (L-PERS under IOB2): find the sentence, score it as O
            decoded = []
            for number, sentence in enumerate(sentences):
                try:
                    found = mentions_from_tags([sentence], scheme=scheme, decoder=decoder, layer=out.layer)
                except ValueError as exc:
                    why = str(exc).rstrip(".")
                    out.problem("conll-tag", f"the {name} tags of this sentence cannot be decoded: {why}; the "
                                "sentence is read as O.", f"Give the file's tag scheme (scheme=..., now {scheme!r}) "
                                "or correct the tags.", int(rows[pairs[number][0]]) + 1)
                    continue
                decoded += [replace(m, doc_id=str(number)) for m in found]
        target.extend(replace(m, text=" ".join(tokens[pairs[int(m.doc_id)][0] + m.start:
                                                        pairs[int(m.doc_id)][0] + m.end])) for m in decoded)


# ---------------------------------------------------------------------------------------------- BRAT


def _read_brat(path: Path, out: _Collector) -> None:
    from dataset_builder.model import Unreadable
    from dataset_builder.readers.brat import read_brat

    for item in read_brat(path):
        if isinstance(item, Unreadable):
            for problem in item.problems:
                out.problem(problem.code, problem.message, problem.fix, item.location.line, doc_id=item.doc_id)
            continue
        for problem in item.problems:
            out.add(problem)
        line = item.location.line if item.location else None
        doc = out.document(item.id, line)
        if doc is False:
            continue
        if doc is not None and doc.text != item.text:
            out.problem("predictions-text-differs", f"the .txt next to the predictions for {item.id!r} differs from "
                        "the gold text; its spans are not scored.", "Annotate a copy of the gold text.", line,
                        doc_id=item.id)
            continue
        by_id = {}
        for span in item.spans:
            mention = Mention(item.id, span.start, span.end, span.label, span.layer, item.text[span.start:span.end],
                              span.id)
            out.mentions.append(mention)
            by_id[span.id] = mention
        for link in item.links:
            if link.source in by_id and link.target in by_id:
                out.links.append(MentionLink(item.id, link.type, by_id[link.source], by_id[link.target], link.id))
            else:
                out.problem("predictions-link", f"relation {link.id} refers to a span that was not read.",
                            "Fix the relation's arguments.", link.location.line if link.location else line,
                            doc_id=item.id)


__all__ = [
    "FORMATS", "OffsetFreePredictions", "PredictionFormat", "Predictions", "SpanPredictions", "TagPredictions",
    "load_predictions", "source_hash",
]
