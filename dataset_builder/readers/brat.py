"""Reader for BRAT standoff annotation (``.txt`` + ``.ann`` pairs), as written by brat and INCEpTION.

An ``.ann`` file holds one annotation per line, fields separated by tabs::

    T1	PERS 75 84	بشار الأسد          text-bound span: type, start, end, surface text
    T2	PERS 0 5;10 15	...              discontinuous span (several fragments)
    R1	speaker Arg1:T7 Arg2:T1           relation
    A1	Confidence T1 High                attribute (M: the older name of A); binary when no value
    #1	AnnotatorNotes T1	نص الملاحظة    note
    E1, N1, *                             events, normalizations, equivalences: not supported

BRAT offsets count Unicode code points of the ``.txt`` file as stored (brat keeps ``\\r\\n`` and a
byte-order mark as characters), so the text is decoded as plain UTF-8 and never edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_builder.model import Document, Link, Metadata, Span, Unreadable
from dataset_builder.problems import Location, Problem, Severity

__all__ = ["LayerOf", "default_layer", "layer_resolver", "read_brat"]

LayerOf = Callable[[str], str] | Mapping[str, str] | None
"""How to put an annotation type into a layer: a function, a mapping (unmapped types fall back to
:func:`default_layer`), or ``None`` for :func:`default_layer` alone."""

_QUOTE_TYPES = frozenset({"QUOTE", "DIRECT", "INDIRECT"})


def default_layer(label: str) -> str:
    """``"quotes"`` for the types QUOTE, DIRECT and INDIRECT (any case), ``"entities"`` for the rest."""
    return "quotes" if label.upper() in _QUOTE_TYPES else "entities"


def layer_resolver(layer_of: LayerOf) -> Callable[[str], str]:
    """Turn a :data:`LayerOf` option into a function from annotation type to layer name."""
    if layer_of is None:
        return default_layer
    if isinstance(layer_of, Mapping):
        mapping = dict(layer_of)
        return lambda label: mapping.get(label) or default_layer(label)
    if callable(layer_of):
        return layer_of
    raise TypeError(f"layer_of must be a mapping, a function or None, not {type(layer_of).__name__}")


def read_brat(path: Path, *, layer_of: LayerOf = None) -> Iterator[Document | Unreadable]:
    """Read BRAT ``.txt`` + ``.ann`` pairs.

    Parameters
    ----------
    path : Path
        A folder (every ``*.ann`` and ``*.txt`` in it, not recursive, by name), or one ``.ann`` or
        ``.txt`` file (its partner is the file with the same stem).
    layer_of : callable or mapping, optional
        Maps a BRAT type to a layer; see :func:`layer_resolver`. Default: QUOTE/DIRECT/INDIRECT go
        to ``"quotes"``, every other type to ``"entities"``.

    Yields
    ------
    Document or Unreadable
        One document per ``.txt`` (id: the file stem). An ``.ann`` without its ``.txt``, or a file
        that is not UTF-8, is an ``Unreadable``.

    Notes
    -----
    What is kept and what is reported (on ``Document.problems``, with ``file.ann:line``):

    - ``T`` lines become spans (nested and overlapping ones too), ``Span.text`` being the surface
      text stored in the ``.ann``. When it differs from ``text[start:end]`` the reader reports
      ``brat-text-mismatch`` (ERROR), saying when the offsets look like UTF-8 byte offsets or
      count ``\\r\\n`` as one character; offsets outside the text are ``brat-offsets`` (ERROR).
    - Discontinuous ``T`` spans (``0 5;10 15``) are not kept: ``brat-discontinuous`` (ERROR), with
      the fragments and how to split them. Relations, attributes and notes on them are reported too.
    - ``R`` lines become links (``type`` = relation type, ``source`` = Arg1, ``target`` = Arg2).
    - ``A``/``M`` lines become ``Span.attributes[name]`` (``True`` for a binary attribute); ``#``
      notes become ``Span.attributes["note"]`` (several notes are joined with a newline).
    - ``E``, ``N``, ``*`` and any other line type: ``brat-unsupported-line`` (WARNING); a line
      that cannot be parsed: ``brat-malformed-line`` (ERROR); a reference to an unknown id:
      ``brat-unknown-reference`` (ERROR); an id used twice: ``brat-duplicate-id`` (ERROR).
    - A ``.txt`` without ``.ann`` is read as a document without annotations, with a WARNING
      (``brat-no-annotations``): an unannotated text is not the same as one with no entities.
    """
    path = Path(path)
    resolve = layer_resolver(layer_of)
    if path.is_dir():
        stems = sorted({file.stem for file in path.glob("*.ann")} | {file.stem for file in path.glob("*.txt")})
        for stem in stems:
            yield _read_pair(path / f"{stem}.txt", path / f"{stem}.ann", resolve)
    else:
        yield _read_pair(path.with_suffix(".txt"), path.with_suffix(".ann"), resolve)


def _decode(path: Path, doc_id: str) -> str | Unreadable:
    raw = path.read_bytes()
    try:
        # not utf-8-sig: brat counts a byte-order mark as a character, so offsets include it
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(Location(str(path)), (Problem(
            "brat-not-utf8",
            f"byte {exc.start} (0x{raw[exc.start]:02x}) is not valid UTF-8.",
            "Convert the file to UTF-8 (e.g. `iconv -f CP1256 -t UTF-8` for Windows Arabic).",
            path=str(path), line=raw.count(b"\n", 0, exc.start) + 1, doc_id=doc_id,
        ),), doc_id)


def _read_pair(txt: Path, ann: Path, resolve: Callable[[str], str]) -> Document | Unreadable:
    doc_id = txt.stem
    if not txt.exists():
        return Unreadable(Location(str(ann)), (Problem(
            "brat-missing-text",
            f"the annotation file has no text file: {txt.name} does not exist.",
            f"Put the annotated text next to it as {txt.name} (same name, .txt), exactly as it was annotated.",
            path=str(ann), doc_id=doc_id,
        ),), doc_id)
    text = _decode(txt, doc_id)
    if isinstance(text, Unreadable):
        return text
    metadata_extra: dict[str, Any] = {"annotation_file": ann.name}
    if not ann.exists():
        problem = Problem(
            "brat-no-annotations",
            f"{txt.name} has no {ann.name}: the document is read without annotations.",
            f"Create {ann.name} (empty if the text truly has no mentions) or remove the text from the corpus.",
            Severity.WARNING, path=str(txt), doc_id=doc_id,
        )
        metadata_extra["annotation_file"] = None
        return Document(doc_id, text, Metadata(source_file=txt.name, extra=metadata_extra),
                        location=Location(str(txt)), problems=(problem,))
    ann_text = _decode(ann, doc_id)
    if isinstance(ann_text, Unreadable):
        return ann_text
    parser = _AnnParser(str(ann), doc_id, text, resolve)
    parser.parse(ann_text.lstrip("\ufeff"))
    spans, links = parser.build()
    return Document(
        doc_id, text, Metadata(source_file=txt.name, extra=metadata_extra), spans, links,
        location=Location(str(txt)), problems=tuple(parser.problems),
    )


@dataclass(slots=True)
class _PendingSpan:
    id: str
    label: str
    start: int
    end: int
    text: str | None
    line: int
    attributes: dict[str, Any] = field(default_factory=dict)


class _AnnParser:
    """Collects one ``.ann`` file: spans first (attributes and notes may come in any order)."""

    def __init__(self, ann_path: str, doc_id: str, text: str, resolve: Callable[[str], str]) -> None:
        self.ann_path = ann_path
        self.doc_id = doc_id
        self.text = text
        self.resolve = resolve
        self.problems: list[Problem] = []
        self.spans: dict[str, _PendingSpan] = {}
        self.relations: list[tuple[str, str, str, str, int]] = []  # id, type, arg1, arg2, line
        self.references: list[tuple[str, str, str, int]] = []  # kind, name/value, target, line
        self.notes: list[tuple[str, str, int]] = []  # target, note, line
        self.seen_ids: set[str] = set()
        self.discontinuous: dict[str, int] = {}  # id -> line, for messages about references to them

    def report(self, code: str, line: int, message: str, fix: str, severity: Severity = Severity.ERROR,
               offset: int | None = None, span_id: str | None = None) -> None:
        self.problems.append(Problem(code, message, fix, severity, self.ann_path, line, self.doc_id, offset, span_id))

    def parse(self, content: str) -> None:
        # brat writes "\n"; tolerate "\r\n" from editors. Split on "\n" only: a note may hold other breaks.
        for number, raw_line in enumerate(content.split("\n"), start=1):
            line = raw_line.removesuffix("\r")
            if not line.strip():
                continue
            fields = line.split("\t", 2)
            ann_id = fields[0]
            kind = ann_id[:1]
            if kind in "TRAM#" and ann_id:
                if len(fields) < 2:
                    self.malformed(number, line, "it has no tab-separated annotation field")
                    continue
                if kind != "#" and ann_id in self.seen_ids:
                    self.report("brat-duplicate-id", number, f"annotation id {ann_id!r} is used more than once.",
                                "Give every annotation its own id; this line was not read.", span_id=ann_id)
                    continue
                self.seen_ids.add(ann_id)
                {"T": self.parse_span, "R": self.parse_relation, "A": self.parse_attribute,
                 "M": self.parse_attribute, "#": self.parse_note}[kind](ann_id, fields, number, line)
            else:
                self.report(
                    "brat-unsupported-line", number,
                    f"annotation line {line[:60]!r} ({_KIND_NAMES.get(kind, 'unknown kind')}) is not supported "
                    "and was not read.",
                    "Only T (spans), R (relations), A/M (attributes) and # (notes) are read; convert events to "
                    "spans and relations, or ignore this if the line is not needed.",
                    Severity.WARNING,
                )

    def malformed(self, number: int, line: str, why: str) -> None:
        self.report("brat-malformed-line", number, f"cannot read annotation line {line[:80]!r}: {why}.",
                    "Fix the line to brat's format, e.g. `T1<TAB>PERS 0 5<TAB>text` or "
                    "`R1<TAB>speaker Arg1:T1 Arg2:T2`; it was not read.")

    def parse_span(self, ann_id: str, fields: list[str], number: int, line: str) -> None:
        label, _, offsets = fields[1].partition(" ")
        stored = fields[2] if len(fields) > 2 else None
        fragments: list[tuple[int, int]] = []
        for fragment in offsets.split(";"):
            parts = fragment.split()
            if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
                self.malformed(number, line, f"offsets {offsets[:80]!r} are not 'start end' pairs of integers")
                return
            # More digits than any text has characters: refused before int() (whose cost grows with them).
            if any(len(part) > _MAX_OFFSET_DIGITS for part in parts):
                self.malformed(number, line, f"an offset has more than {_MAX_OFFSET_DIGITS} digits")
                return
            fragments.append((int(parts[0]), int(parts[1])))
        if not label:
            self.malformed(number, line, "the span has no type")
            return
        if len(fragments) > 1:
            self.discontinuous[ann_id] = number
            pieces = ", ".join(f"[{s}, {e}) {self.text[s:e]!r}" for s, e in fragments)
            self.report(
                "brat-discontinuous", number,
                f"span {ann_id} ({label}) is discontinuous, with fragments {pieces}; akhbar spans are "
                "contiguous, so it was not read.",
                f"In brat, split {ann_id} into one span per fragment (link them with a relation if needed), or "
                f"extend it over the gap ({fragments[0][0]} {fragments[-1][1]}) if the gap belongs to the mention.",
                offset=fragments[0][0], span_id=ann_id,
            )
            return
        start, end = fragments[0]
        if not 0 <= start < end <= len(self.text):
            self.report(
                "brat-offsets", number,
                f"span {ann_id} ({label}) has offsets [{start}, {end}), empty or outside the text (length "
                f"{len(self.text)}){self.diagnose(start, end, stored) if stored else ''}.",
                "Check that the .ann belongs to this .txt and that the .txt is the exact file that was annotated.",
                offset=start, span_id=ann_id,
            )
        elif stored is not None and stored != self.text[start:end]:
            self.report(
                "brat-text-mismatch", number,
                f"span {ann_id} stores {stored!r} but the text at [{start}, {end}) is "
                f"{self.text[start:end]!r}{self.diagnose(start, end, stored)}.",
                "Use the exact .txt that was annotated (brat offsets count code points, with \\r\\n as two), "
                "or correct the offsets.",
                offset=start, span_id=ann_id,
            )
        self.spans[ann_id] = _PendingSpan(ann_id, label, start, end, stored, number)

    def diagnose(self, start: int, end: int, stored: str) -> str:
        """A hint at what the offsets count instead of code points, when one reading fits."""
        as_bytes = self.text.encode("utf-8")[start:end].decode("utf-8", errors="ignore")
        if as_bytes == stored:
            return "; the offsets fit UTF-8 byte positions, not characters"
        if self.text.replace("\r\n", "\n")[start:end] == stored:
            return "; the offsets fit a copy of the text with \\r\\n line ends counted as one character"
        if self.text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le", errors="ignore") == stored:
            return "; the offsets fit UTF-16 code units, not characters"
        return ""

    def parse_relation(self, ann_id: str, fields: list[str], number: int, line: str) -> None:
        rel_type, *args = fields[1].split() or [""]
        if not rel_type or ":" in rel_type:
            self.malformed(number, line, "the relation has no type")
            return
        roles = dict(arg.split(":", 1) for arg in args if ":" in arg)
        if "Arg1" not in roles or "Arg2" not in roles or len(roles) != len(args):
            self.malformed(number, line, "a relation needs exactly `Arg1:<id> Arg2:<id>`")
            return
        self.relations.append((ann_id, rel_type, roles["Arg1"], roles["Arg2"], number))

    def parse_attribute(self, ann_id: str, fields: list[str], number: int, line: str) -> None:
        parts = fields[1].split()
        if len(parts) not in (2, 3):
            self.malformed(number, line, "an attribute needs `<name> <target id> [<value>]`")
            return
        name, target = parts[0], parts[1]
        value: Any = parts[2] if len(parts) == 3 else True
        self.references.append((name, value, target, number))

    def parse_note(self, ann_id: str, fields: list[str], number: int, line: str) -> None:
        parts = fields[1].split()
        if len(parts) != 2:
            self.malformed(number, line, "a note needs `AnnotatorNotes <target id>` then a tab and the note")
            return
        self.notes.append((parts[1], fields[2] if len(fields) > 2 else "", number))

    def unknown_reference(self, what: str, target: str, number: int) -> None:
        if target in self.discontinuous:
            reason = f"{target} is a discontinuous span (line {self.discontinuous[target]}), which was not read"
            fix = f"Split {target} into contiguous spans and point the {what} at one of them."
        elif target in self.seen_ids or target[:1] == "E":
            reason = f"{target} is not a text-bound span (a relation or an event); only spans carry {what}s here"
            fix = f"Move the {what} to one of the spans, or drop it."
        else:
            reason = f"no span {target} exists in this file"
            fix = f"Point the {what} at an existing T id, or add the missing span."
        self.report("brat-unknown-reference", number,
                    f"the {what} refers to {target}, but {reason}, so the {what} was not read either.",
                    fix, span_id=target)

    def build(self) -> tuple[tuple[Span, ...], tuple[Link, ...]]:
        for name, value, target, number in self.references:
            if target not in self.spans:
                self.unknown_reference("attribute", target, number)
            else:
                self.spans[target].attributes[name] = value
        for target, note, number in self.notes:
            if target not in self.spans:
                self.unknown_reference("note", target, number)
            else:
                attributes = self.spans[target].attributes
                attributes["note"] = f"{attributes['note']}\n{note}" if "note" in attributes else note
        links = []
        for rel_id, rel_type, arg1, arg2, number in self.relations:
            missing = [arg for arg in (arg1, arg2) if arg not in self.spans]
            for arg in missing:
                self.unknown_reference("relation", arg, number)
            if not missing:
                links.append(Link(rel_id, rel_type, arg1, arg2, Location(self.ann_path, number)))
        self.problems.sort(key=lambda problem: problem.line or 0)
        spans = tuple(
            Span(p.id, self.resolve(p.label), p.start, p.end, p.label, p.text, p.attributes,
                 Location(self.ann_path, p.line))
            for p in self.spans.values()
        )
        return spans, tuple(links)


# 10**15 characters is far beyond any text; longer digit strings are typos or hostile input.
_MAX_OFFSET_DIGITS = 15

_KIND_NAMES = {"E": "event", "N": "normalization", "*": "equivalence"}
