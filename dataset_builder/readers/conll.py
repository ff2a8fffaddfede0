"""CoNLL-style token/tag files: one token per line, sentences separated by blank lines.

The format as the Arabic NER corpora we read actually write it:

* columns separated by one or more spaces, or by tabs (a line with a tab is split on tabs only);
* UTF-8 with or without a BOM; LF or CRLF line ends; with or without a final newline;
* sentence separators that are empty lines or lines of spaces/tabs only (NewsFANE writes ``"\\t"``);
* ``-DOCSTART-`` lines start a new document;
* U+200E LEFT-TO-RIGHT MARK (and U+200F RIGHT-TO-LEFT MARK) before or after a token (NewsFANE puts
  one before every token with an Arabic letter) are stripped from the token and counted;
* several tag columns are nesting levels (Wojood): the first tag column holds the outermost mention
  covering a token, the next one the mention nested inside it, and so on; a column missing on a
  line reads as ``O``. Each column is decoded down the sentence on its own, so mentions nested in a
  mention of the same type, and two mentions with the same span in two columns, both survive.

Text reconstruction
-------------------
These corpora have tokens, not text. ``Document.text`` is built by joining a sentence's tokens with
single spaces (U+0020) and sentences with ``"\\n"``. So the corpus' tokens are exactly the maximal
runs of non-space characters of the text, and its sentences are exactly the lines of the text;
``metadata.extra["tokenization"] = "given"`` tells the pipeline to use them as they are instead of
re-tokenizing. Token offsets are therefore not stored (:func:`given_tokenization` recomputes them), but
sentence offsets are (``extra["sentences"]``), with the source line of each sentence.

Documents
---------
A ``-DOCSTART-`` line starts a new document. Corpora without article boundaries (ANERcorp,
NewsFANE, Wojood) are cut into blocks of ``sentences_per_doc`` sentences; by default 25
(:data:`DEFAULT_SENTENCES_PER_DOC`) when the file has no ``-DOCSTART-`` line, and whole
``-DOCSTART-`` documents when it has. Ids are ``<prefix>-<00001>``, numbered from 1 in file order.

What is recorded
----------------
Every document says in ``metadata.extra`` how it was read: ``format``, ``tokenization``,
``scheme`` (and whether it was ``detected``), ``repair_policy``, ``tag_levels``, ``sentences``,
``sentence_lines``, ``source_lines`` and counts: ``tokens``, ``sentences_count``, ``mentions``,
``repairs``, ``bidi_marks_stripped``, ``pseudo_tokens_dropped``, ``spans_dropped_by_label_map``.
Every repair of an ill-formed tag sequence is an INFO problem ``bio-repair`` at ``path:line``;
input the reader cannot use is an ERROR problem at ``path:line`` (the document is then rejected by
the build, never quietly changed).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, zip_longest
from pathlib import Path
from typing import NamedTuple

import numpy as np

from dataset_builder.input_limits import DEFAULT_LIMITS, InputLimits
from dataset_builder.model import Document, Metadata, Span, Unreadable
from dataset_builder.problems import InputError, Location, Problem, Severity
from dataset_builder.tags import (
    OUTSIDE,
    PREFIXES,
    REPAIR_POLICIES,
    SCHEMES,
    Chunk,
    IllFormedTagsError,
    Repair,
    RepairPolicy,
    Scheme,
    TagError,
    decode,
    detect_scheme,
    parse_tag,
)

DEFAULT_SENTENCES_PER_DOC = 25
DOCSTART = "-DOCSTART-"
BIDI_MARKS = "\u200e\u200f"  # LRM, RLM: invisible direction marks some corpora glue to tokens

# Any whitespace inside a token would break the "given" tokenization (tokens = runs of non-space).
_WHITESPACE = re.compile(r"\s")


@dataclass(slots=True)
class _Sentence:
    """A sentence as read from the file, before it is placed in a document."""

    tokens: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # 1-based source line of each token
    rows: list[tuple[str, ...]] = field(default_factory=list)  # tag columns of each token
    pseudo: list[int] = field(default_factory=list)  # indices of pseudo-tokens to drop
    problems: list[Problem] = field(default_factory=list)
    bidi_marks: int = 0
    closed_at: int = 0  # the blank or -DOCSTART- line that ended the sentence (0: the end of the input)


@dataclass(slots=True)
class _File:
    """What a first pass over the file found: sentences, where documents start, file-level facts."""

    sentences: list[_Sentence]
    doc_starts: set[int]  # indices of sentences that follow a -DOCSTART- line
    has_docstart: bool
    unplaced: list[Problem] = field(default_factory=list)  # problems of a file with no token line at all


@dataclass(frozen=True)
class ConllOptions:
    """How a CoNLL file is read: the ``reader_options:`` of a recipe, as one typed object.

    The read stage builds it once from the recipe (its field names are the option names) and
    :func:`read_conll` passes it down unchanged. It is checked when it is made: a bad value is a
    ``ValueError`` naming the option, which a build reports as ``reader-option-invalid``.

    Attributes
    ----------
    scheme : {"auto", "IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, default="auto"
        Tag scheme; ``"auto"`` detects it from all tag columns of the file
        (:func:`dataset_builder.tags.detect_scheme`).
    repair : {"begin", "drop", "strict"}, default="begin"
        Policy for ill-formed tag sequences (:mod:`dataset_builder.tags`). Each repair is recorded
        as an INFO problem ``bio-repair``; under ``"strict"`` each violation is an ERROR problem
        ``bio-ill-formed`` and only the well-formed mentions are kept.
    layer : str, default="entities"
        Layer of the spans.
    sentences_per_doc : int, optional
        Sentences per document. Default: 25 when the file has no ``-DOCSTART-`` line, whole
        ``-DOCSTART-`` documents when it has. A ``-DOCSTART-`` line always starts a new document.
    doc_id_prefix : str, optional
        Document ids are ``<prefix>-<00001>``; the default prefix is the file's stem.
    token_column : int, default=0
        0-based column of the token.
    tag_columns : sequence of int, optional
        0-based columns holding tags, outermost nesting level first. Default: every column after
        the token column (as many levels as the widest line has). The first tag column is
        required on every line; a missing later column reads as ``O``.
    pseudo_tokens : collection of str, default=()
        Tokens to leave out of the text (e.g. ``{"$#$"}``, Wojood's line-break marker). Tags are
        decoded before they are dropped, so a mention keeps its other tokens; the number dropped is
        recorded. Drop the same pseudo-tokens from gold and from predictions, or offsets will differ.
    label_map : mapping of str to (str or None), optional
        Renames span labels after decoding (decoding uses the file's types, so two adjacent mentions
        whose types map to one label stay two mentions). A label mapped to ``None`` is dropped, and
        counted. Labels not in the map are kept.

    Examples
    --------
    >>> ConllOptions(scheme="IOB2", sentences_per_doc=25, pseudo_tokens=["$#$"]).pseudo_tokens
    frozenset({'$#$'})
    >>> ConllOptions(token_column=1, tag_columns=[1])
    Traceback (most recent call last):
    ...
    ValueError: tag_columns must be non-empty 0-based column numbers other than the token column (1), not (1,)
    """

    scheme: Scheme | str = "auto"
    repair: RepairPolicy = "begin"
    layer: str = "entities"
    sentences_per_doc: int | None = None
    doc_id_prefix: str | None = None
    token_column: int = 0
    tag_columns: Sequence[int] | None = None
    pseudo_tokens: Collection[str] = ()
    label_map: Mapping[str, str | None] | None = None

    def __post_init__(self) -> None:
        if self.scheme != "auto" and self.scheme not in SCHEMES:
            raise ValueError(f"unknown tag scheme {self.scheme!r}; choose 'auto' or one of: {', '.join(SCHEMES)}")
        if self.repair not in REPAIR_POLICIES:
            raise ValueError(f"unknown repair policy {self.repair!r}; choose one of: {', '.join(REPAIR_POLICIES)}")
        if self.sentences_per_doc is not None and self.sentences_per_doc < 1:
            raise ValueError(f"sentences_per_doc must be a positive number, not {self.sentences_per_doc!r}")
        if self.token_column < 0:
            raise ValueError(f"token_column must be >= 0, not {self.token_column}")
        if self.tag_columns is not None:
            tag_columns = tuple(self.tag_columns)
            if not tag_columns or min(tag_columns) < 0 or self.token_column in tag_columns:
                raise ValueError(
                    f"tag_columns must be non-empty 0-based column numbers other than the token column "
                    f"({self.token_column}), not {tag_columns!r}"
                )
            object.__setattr__(self, "tag_columns", tag_columns)
        object.__setattr__(self, "pseudo_tokens", frozenset(self.pseudo_tokens))
        object.__setattr__(self, "label_map", dict(self.label_map or {}))


def read_conll(
    path: str | Path,
    options: ConllOptions = ConllOptions(),  # frozen: one shared default is safe
    *,
    limits: InputLimits = DEFAULT_LIMITS,
) -> Iterator[Document | Unreadable]:
    """Read a CoNLL-style token/tag file into documents with character-offset spans.

    Parameters
    ----------
    path : str or Path
        The file.
    options : ConllOptions, default=ConllOptions()
        Tag scheme, repair policy, layer, document blocks and ids, columns, pseudo-tokens and label
        map (:class:`ConllOptions`; a recipe's ``reader_options:`` are its fields).
    limits : InputLimits, optional
        Longest line, longest token and most columns accepted; a line beyond them is an ERROR
        (``conll-line-too-long``, ``conll-token-too-long``, ``conll-too-many-columns``) and is not read.
        A token holding a NUL or another control character is an ERROR (``conll-token-control``).
        Lines may end in spaces or tabs.

    Yields
    ------
    Document or Unreadable
        Documents in file order; an empty file gives one :class:`Unreadable`.

    Raises
    ------
    InputError
        If the file does not exist, is not UTF-8, or its tags mix schemes (with ``scheme="auto"``).
    """
    return _read(Path(path), _FileOptions.of(path, options, limits))


@dataclass(frozen=True, slots=True)
class _FileOptions:
    """:class:`ConllOptions` resolved for one file (the id prefix defaults to its stem) with the input limits:
    what the parsing functions read."""

    scheme: str
    repair: RepairPolicy
    layer: str
    sentences_per_doc: int | None
    doc_id_prefix: str
    token_column: int
    tag_columns: tuple[int, ...] | None
    pseudo_tokens: frozenset[str]
    label_map: dict[str, str | None]
    limits: InputLimits

    @classmethod
    def of(cls, path: str | Path, options: ConllOptions, limits: InputLimits) -> _FileOptions:
        return cls(scheme=str(options.scheme), repair=options.repair, layer=options.layer,
                   sentences_per_doc=options.sentences_per_doc,
                   doc_id_prefix=Path(path).stem if options.doc_id_prefix is None else options.doc_id_prefix,
                   token_column=options.token_column, tag_columns=options.tag_columns,  # type: ignore[arg-type]
                   pseudo_tokens=options.pseudo_tokens, label_map=options.label_map,  # type: ignore[arg-type]
                   limits=limits)


@dataclass(frozen=True, slots=True)
class ConllRange:
    """Bytes ``[start, stop)`` of a CoNLL file that begin at a document boundary, with what a reader of the
    whole file knows there: the line number at ``start``, the number of the first document (ids do not
    change when a file is cut), and the file-wide tag scheme and document size."""

    start: int
    stop: int | None
    first_line: int
    first_document: int
    scheme: str
    scheme_detected: bool
    sentences_per_doc: int


def conll_ranges(path: str | Path, target_bytes: int, options: ConllOptions = ConllOptions(), *,
                 limits: InputLimits = DEFAULT_LIMITS) -> list[ConllRange]:
    """Cut a CoNLL file into ranges of about ``target_bytes`` at document boundaries (never inside a
    sentence), for reading in parallel with :func:`read_conll_range`; the documents, ids, problems and line
    numbers are those of :func:`read_conll` on the whole file.

    The file is parsed once here (a document boundary is the reader's: a ``-DOCSTART-`` line or a block of
    ``sentences_per_doc`` sentences, and the tag scheme is detected over the whole file). A file that the
    whole-file reader would refuse (not UTF-8, mixed schemes, no token line) gives no range: read it whole,
    so the refusal is the same.
    """
    path = Path(path)
    source = str(path)
    checked = _FileOptions.of(path, options, limits)
    try:
        raw = path.read_bytes()
        parsed = _parse_lines(_decoded(raw, source, 1, bom=True), source, checked, 1)
        scheme, detected = _file_scheme(parsed, checked.scheme, source)
    except InputError:
        return []
    if not parsed.sentences:
        return []
    per_doc = _sentences_per_doc(parsed, checked.sentences_per_doc)
    import numpy as np

    newlines = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    # A document's range begins at the line that closed the previous sentence (a blank or -DOCSTART- line),
    # so lines after that sentence (bad ones whose problems go to the next sentence) move with the document.
    starts: list[tuple[int, int, int]] = [(0, 1, 1)]  # byte offset, line, document number
    sentence = 0
    for number, block in enumerate(_blocks(parsed, per_doc), start=1):
        if sentence:
            line = parsed.sentences[sentence - 1].closed_at
            offset = int(newlines[line - 2]) + 1
            if offset - starts[-1][0] >= target_bytes:
                starts.append((offset, line, number))
        sentence += len(block)
    stops = [offset for offset, _, _ in starts[1:]] + [None]
    return [ConllRange(offset, stop, line, number, scheme, detected, per_doc)
            for (offset, line, number), stop in zip(starts, stops, strict=True)]


def read_conll_range(path: str | Path, part: ConllRange, options: ConllOptions = ConllOptions(), *,
                     limits: InputLimits = DEFAULT_LIMITS) -> Iterator[Document | Unreadable]:
    """The documents of one range of :func:`conll_ranges`, exactly as :func:`read_conll` reads them in
    the whole file (ids, line numbers, problems)."""
    return _read(Path(path), _FileOptions.of(path, options, limits), part)


def _read(path: Path, options: _FileOptions, part: ConllRange | None = None) -> Iterator[Document | Unreadable]:
    source = str(path)
    if part is None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise InputError(
                Problem("conll-missing", "the file does not exist.", "Pass the path of a CoNLL file.", path=source)
            ) from None
        first_line = 1
    else:
        with path.open("rb") as handle:
            handle.seek(part.start)
            raw = handle.read(-1 if part.stop is None else part.stop - part.start)
        first_line = part.first_line
    content = _decoded(raw, source, first_line, bom=part is None or part.start == 0)
    parsed = _parse_lines(content, source, options, first_line)
    if not parsed.sentences:
        yield Unreadable(
            Location(source, 1),
            (
                *parsed.unplaced,
                Problem(
                    "conll-empty",
                    "the file holds no token lines.",
                    "Check that this is the right file: CoNLL files have one `TOKEN TAG` line per token.",
                    path=source,
                    line=1,
                ),
            ),
        )
        return

    if part is None:
        scheme, detected = _file_scheme(parsed, options.scheme, source)
        per_doc, first_document = _sentences_per_doc(parsed, options.sentences_per_doc), 1
    else:
        scheme, detected = part.scheme, part.scheme_detected
        per_doc, first_document = part.sentences_per_doc, part.first_document
    builder = _DocumentBuilder(
        source=source,
        scheme=scheme,  # type: ignore[arg-type]
        scheme_detected=detected,
        repair=options.repair,
        layer=options.layer,
        label_map=options.label_map,
    )
    blocks = _blocks(parsed, per_doc)
    for number, block in enumerate(blocks, start=first_document):
        doc = builder.build(f"{options.doc_id_prefix}-{number:05d}", block)
        if doc is not None:
            yield doc


def _file_scheme(parsed: _File, scheme: str, source: str) -> tuple[str, bool]:
    """The tag scheme (detected from every tag column of the file with ``auto``) and whether it was detected."""
    if scheme != "auto":
        return scheme, False
    try:
        return detect_scheme(col for sent in parsed.sentences for col in _columns(sent)), True
    except TagError as exc:
        raise InputError(
            Problem(
                "bio-scheme",
                f"cannot tell the tag scheme: {exc}",
                "Pass the scheme explicitly (scheme='IOB2', 'IOBES', ...) or fix the odd tags.",
                path=source,
            )
        ) from None


def _columns(sentence: _Sentence) -> list[list[str]]:
    """The sentence's tag columns (one list per nesting level), missing trailing columns as O."""
    if len(sentence.rows[0]) == 1 and all(len(row) == 1 for row in sentence.rows):
        return [[row[0] for row in sentence.rows]]
    return [list(column) for column in zip_longest(*sentence.rows, fillvalue=OUTSIDE)]


def _decoded(raw: bytes, source: str, first_line: int, *, bom: bool) -> str:
    """The text of a file (``bom``: its start, where a UTF-8 byte-order mark may be) or of a range whose
    first line is ``first_line``; bytes that are not UTF-8 are an error naming the file's line."""
    try:
        return raw.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + first_line
        raise InputError(
            Problem(
                "conll-encoding",
                f"the file is not UTF-8 (byte {exc.start}: {exc.reason}).",
                "Convert it to UTF-8, e.g. `iconv -f CP1256 -t UTF-8 in.txt > out.txt` for Windows Arabic.",
                path=source,
                line=line,
            )
        ) from None


def _parse_lines(content: str, source: str, options: _FileOptions, first_line: int) -> _File:
    """Sentences of ``content``, whose first line is line ``first_line`` of the file."""
    token_column, tag_columns = options.token_column, options.tag_columns
    pseudo_tokens, limits = options.pseudo_tokens, options.limits
    sentences: list[_Sentence] = []
    doc_starts: set[int] = set()
    has_docstart = False
    current = _Sentence()
    first_tag = token_column + 1 if tag_columns is None else tag_columns[0]
    needed = max(token_column, first_tag) + 1

    # Split on "\n" only: str.splitlines() would also break at U+2028, U+0085, form feeds...
    for number, line in enumerate(content.split("\n"), start=first_line):
        # Trailing spaces and tabs are editor residue, not an empty last column.
        line = line.rstrip(" \t\r")
        if not line.strip():
            if current.tokens:
                current.closed_at = number
                sentences.append(current)
                current = _Sentence()
            continue
        if len(line) > limits.max_line_chars:
            current.problems.append(_limit_problem(
                "conll-line-too-long", f"the line has {len(line):,} characters, more than the "
                f"{limits.max_line_chars:,} a token line may have; it was not read.", source, number))
            continue
        fields = _fields(line)
        if len(fields) > limits.max_columns:
            current.problems.append(_limit_problem(
                "conll-too-many-columns", f"the line has {len(fields):,} columns, more than the "
                f"{limits.max_columns:,} accepted; it was not read.", source, number))
            continue
        if len(fields) > token_column and fields[token_column].strip(BIDI_MARKS) == DOCSTART:
            if current.tokens:
                current.closed_at = number
                sentences.append(current)
                current = _Sentence()
            doc_starts.add(len(sentences))
            has_docstart = True
            continue
        if len(fields) <= token_column or not fields[token_column]:
            current.problems.append(_fields_problem(source, number, line, fields, needed, token_column, kept=False))
            continue
        token = fields[token_column]
        if len(token) > limits.max_token_chars:
            current.problems.append(_limit_problem(
                "conll-token-too-long", f"the token has {len(token):,} characters, more than the "
                f"{limits.max_token_chars:,} accepted (a missing line break?); it was not read.", source, number))
            continue
        if _CONTROL.search(token):
            current.problems.append(Problem(
                "conll-token-control", f"the token {token[:40]!r} holds a control character "
                f"(U+{ord(_CONTROL.search(token)[0]):04X}), which no text contains.",
                "Remove the character (a NUL usually means the file was cut or is UTF-16).",
                path=source, line=number))
        if len(fields) < needed:
            current.problems.append(_fields_problem(source, number, line, fields, needed, token_column, kept=True))
            row: tuple[str, ...] = (OUTSIDE,)
        elif tag_columns is None:
            row = tuple(fields[token_column + 1 :])
        else:
            row = tuple(fields[c] if c < len(fields) else OUTSIDE for c in tag_columns)
        row = _checked_tags(row, source, number, current.problems)

        if token[0] in BIDI_MARKS or token[-1] in BIDI_MARKS:
            stripped = token.strip(BIDI_MARKS)
            if stripped:
                current.bidi_marks += len(token) - len(stripped)
                token = stripped
            else:
                current.problems.append(
                    Problem(
                        "conll-token-invisible",
                        "the token consists only of direction marks (U+200E/U+200F); it is kept as it is.",
                        "Remove the line, or put the intended token before the tag.",
                        severity=Severity.WARNING,
                        path=source,
                        line=number,
                    )
                )
        if _WHITESPACE.search(token):
            current.problems.append(
                Problem(
                    "conll-token-whitespace",
                    f"the token {token!r} contains whitespace, so the text's tokens cannot match the file's.",
                    "Split it into one line per token, or join its parts (e.g. with '_').",
                    path=source,
                    line=number,
                )
            )
        if token in pseudo_tokens:
            current.pseudo.append(len(current.tokens))
        current.tokens.append(token)
        current.lines.append(number)
        current.rows.append(row)
    if current.tokens:
        sentences.append(current)
    elif current.problems and sentences:  # a bad line after the last sentence belongs to it
        sentences[-1].problems.extend(current.problems)
    return _File(sentences, doc_starts, has_docstart, [] if sentences else current.problems)


def _limit_problem(code: str, message: str, source: str, number: int) -> Problem:
    return Problem(code, message, "Check the line (a missing line break or a binary file?), or raise the limit "
                   "with BuildConfig(limits=InputLimits(...)) / the recipe's `limits:` (docs/formats.md).",
                   path=source, line=number)


# C0 controls and DEL other than tab (CR and LF cannot be inside a token line).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _fields(line: str) -> list[str]:
    """Split a line into columns: on tabs if it has any (tokens may then hold spaces), else on spaces."""
    if "\t" in line:
        fields = [f.strip(" ") for f in line.split("\t")]
        while fields and not fields[-1]:
            fields.pop()
        while fields and not fields[0]:
            fields.pop(0)
        return fields
    return line.split()


def _fields_problem(
    source: str, line_number: int, line: str, fields: list[str], needed: int, token_column: int, *, kept: bool
) -> Problem:
    kept_note = " The token is kept, tagged O." if kept else " The line is left out."
    return Problem(
        "conll-fields",
        f"the line has {len(fields)} column(s) ({line.strip()!r}); at least {needed} are needed "
        f"(token in column {token_column + 1}, then its tag).{kept_note}",
        "Write one `TOKEN TAG` line per token (tab or space separated), and leave blank lines empty.",
        path=source,
        line=line_number,
    )


def _checked_tags(row: tuple[str, ...], source: str, line_number: int, problems: list[Problem]) -> tuple[str, ...]:
    """The row with every unparsable tag replaced by O (each one reported)."""
    try:
        for tag in row:
            parse_tag(tag)
        return row
    except TagError:
        pass
    fixed: list[str] = []
    for column, tag in enumerate(row, start=1):
        try:
            parse_tag(tag)
            fixed.append(tag)
        except TagError as exc:
            problems.append(
                Problem(
                    "bio-invalid-tag",
                    f"tag column {column}: {exc} It is read as O.",
                    "Correct the tag (or, if the column is not a tag, choose the columns with tag_columns=).",
                    path=source,
                    line=line_number,
                )
            )
            fixed.append(OUTSIDE)
    return tuple(fixed)


def _sentences_per_doc(parsed: _File, sentences_per_doc: int | None) -> int:
    """The block size: as given, else whole -DOCSTART- documents when the file has them, else the default."""
    if sentences_per_doc is not None:
        return sentences_per_doc
    return max(1, len(parsed.sentences)) if parsed.has_docstart else DEFAULT_SENTENCES_PER_DOC


def _blocks(parsed: _File, sentences_per_doc: int) -> list[list[_Sentence]]:
    """Group sentences into documents: a -DOCSTART- always cuts; blocks of N cut too."""
    blocks: list[list[_Sentence]] = []
    current: list[_Sentence] = []
    for index, sentence in enumerate(parsed.sentences):
        if current and (index in parsed.doc_starts or len(current) >= sentences_per_doc):
            blocks.append(current)
            current = []
        current.append(sentence)
    if current:
        blocks.append(current)
    return blocks


@dataclass(slots=True)
class _DocumentBuilder:
    source: str
    scheme: Scheme
    scheme_detected: bool
    repair: RepairPolicy
    layer: str
    label_map: dict[str, str | None]

    def build(self, doc_id: str, block: list[_Sentence]) -> Document | None:
        lines: list[str] = []
        sentence_offsets: list[tuple[int, int]] = []
        sentence_lines: list[int] = []
        found: list[tuple[int, int, str, int, int]] = []  # start, end, type, level, source line
        problems: list[Problem] = []
        position = 0
        n_tokens = n_repairs = n_pseudo = n_bidi = 0
        levels = 0

        for sentence in block:
            problems.extend(sentence.problems)
            n_bidi += sentence.bidi_marks
            columns = _columns(sentence)
            levels = max(levels, len(columns))
            keep = _kept_positions(sentence)
            tokens = sentence.tokens if keep is None else [sentence.tokens[i] for i in keep]
            n_pseudo += len(sentence.tokens) - len(tokens)
            # A sentence of pseudo-tokens only places nothing in the text, but its tags are still decoded
            # below, so every mention on it is reported as lost and every tag error as an error.
            starts = list(accumulate((len(t) + 1 for t in tokens[:-1]), initial=position)) if tokens else []
            ends = [s + len(t) for s, t in zip(starts, tokens, strict=True)]
            # token index in the file's sentence -> index among kept tokens (pseudo-tokens: None)
            kept_index = None if keep is None else _index_map(keep, len(sentence.tokens))

            for level, column in enumerate(columns, start=1):
                column = self._valid(column, sentence, level, problems)
                chunks, repairs = self._decode(column, sentence, level, problems, starts, kept_index, doc_id)
                n_repairs += len(repairs)
                for repair in repairs:
                    problems.append(self._repair_problem(repair, sentence, level, starts, kept_index, doc_id))
                for chunk in chunks:
                    placed = _place(chunk, kept_index)
                    if placed is None:
                        problems.append(self._lost_problem(chunk, sentence, level, doc_id))
                        continue
                    first, last = placed
                    found.append((starts[first], ends[last], chunk.type, level, sentence.lines[chunk.start]))

            if not tokens:
                continue
            lines.append(" ".join(tokens))
            sentence_offsets.append((position, ends[-1]))
            sentence_lines.append(sentence.lines[0])
            position = ends[-1] + 1
            n_tokens += len(tokens)

        if not lines:
            return None
        text = "\n".join(lines)
        spans, n_unmapped = self._spans(text, found)
        extra = {
            "format": "conll",
            "tokenization": "given",
            "scheme": self.scheme,
            "scheme_detected": self.scheme_detected,
            "repair_policy": self.repair,
            "tag_levels": levels,
            "sentences": tuple(sentence_offsets),
            "sentence_lines": tuple(sentence_lines),
            "source_lines": (block[0].lines[0], block[-1].lines[-1]),
            "tokens": n_tokens,
            "sentences_count": len(lines),
            "mentions": len(spans),
            "repairs": n_repairs,
            "bidi_marks_stripped": n_bidi,
            "pseudo_tokens_dropped": n_pseudo,
            "spans_dropped_by_label_map": n_unmapped,
        }
        return Document(
            id=doc_id,
            text=text,
            metadata=Metadata(source_file=self.source, extra=extra),
            spans=spans,
            location=Location(self.source, block[0].lines[0]),
            problems=tuple(p if p.doc_id else _with_doc(p, doc_id) for p in problems),
        )

    def _valid(self, column: list[str], sentence: _Sentence, level: int, problems: list[Problem]) -> list[str]:
        """The column with tags of another scheme replaced by O (each one reported)."""
        allowed = PREFIXES[self.scheme]
        bad = [i for i, tag in enumerate(column) if tag != OUTSIDE and parse_tag(tag)[0] not in allowed]
        if not bad:
            return column
        column = list(column)
        for i in bad:
            problems.append(
                Problem(
                    "bio-invalid-tag",
                    f"tag column {level}: {column[i]!r} is not a {self.scheme} tag "
                    f"(prefixes {', '.join(sorted(allowed))}, O); it is read as O.",
                    "Pass the file's scheme (scheme='auto' detects it), or correct the tag.",
                    path=self.source,
                    line=sentence.lines[i],
                )
            )
            column[i] = OUTSIDE
        return column

    def _decode(
        self,
        column: list[str],
        sentence: _Sentence,
        level: int,
        problems: list[Problem],
        starts: list[int],
        kept_index: list[int | None] | None,
        doc_id: str,
    ) -> tuple[list[Chunk], list[Repair]]:
        try:
            return decode(column, self.scheme, repair=self.repair)
        except IllFormedTagsError as exc:
            for violation in exc.violations:
                problems.append(
                    Problem(
                        "bio-ill-formed",
                        f"tag column {level}: {violation.message}",
                        "Correct the tags in the source file, or read it with repair='begin' or 'drop'.",
                        path=self.source,
                        line=sentence.lines[violation.index],
                        doc_id=doc_id,
                        offset=_offset(violation.index, starts, kept_index),
                    )
                )
            return list(exc.chunks), []

    def _repair_problem(
        self,
        repair: Repair,
        sentence: _Sentence,
        level: int,
        starts: list[int],
        kept_index: list[int | None] | None,
        doc_id: str,
    ) -> Problem:
        return Problem(
            "bio-repair",
            f"tag column {level}: {repair.message}",
            f"Nothing to do if the {repair.policy!r} policy read it right; otherwise correct the tag in "
            f"the source file.",
            severity=Severity.INFO,
            path=self.source,
            line=sentence.lines[repair.index],
            doc_id=doc_id,
            offset=_offset(repair.index, starts, kept_index),
        )

    def _lost_problem(self, chunk: Chunk, sentence: _Sentence, level: int, doc_id: str) -> Problem:
        return Problem(
            "conll-pseudo-token-mention",
            f"tag column {level}: the {chunk.type} mention on tokens {chunk.start}..{chunk.end - 1} of the "
            f"sentence covers only pseudo-tokens, which are dropped, so the mention is dropped too.",
            "Keep the pseudo-tokens (pseudo_tokens=()) or correct the tags.",
            severity=Severity.WARNING,
            path=self.source,
            line=sentence.lines[chunk.start],
            doc_id=doc_id,
        )

    def _spans(self, text: str, found: list[tuple[int, int, str, int, int]]) -> tuple[tuple[Span, ...], int]:
        """Spans in document order (outer before inner, then by nesting column), ids T1, T2, ..."""
        found.sort(key=lambda f: (f[0], -f[1], f[3]))
        spans: list[Span] = []
        dropped = 0
        for start, end, type_, level, line in found:
            label = self.label_map.get(type_, type_)
            if label is None:
                dropped += 1
                continue
            spans.append(
                Span(
                    id=f"T{len(spans) + 1}",
                    layer=self.layer,
                    start=start,
                    end=end,
                    label=label,
                    text=text[start:end],
                    attributes={"level": level},
                    location=Location(self.source, line),
                )
            )
        return tuple(spans), dropped


def _kept_positions(sentence: _Sentence) -> list[int] | None:
    """Indices of the tokens that stay in the text (None: all of them)."""
    if not sentence.pseudo:
        return None
    dropped = set(sentence.pseudo)
    return [i for i in range(len(sentence.tokens)) if i not in dropped]


def _index_map(keep: list[int], n: int) -> list[int | None]:
    mapping: list[int | None] = [None] * n
    for new, old in enumerate(keep):
        mapping[old] = new
    return mapping


def _place(chunk: Chunk, kept_index: list[int | None] | None) -> tuple[int, int] | None:
    """First and last kept token of a chunk (None if it covers only dropped pseudo-tokens)."""
    if kept_index is None:
        return chunk.start, chunk.end - 1
    inside = [k for k in kept_index[chunk.start : chunk.end] if k is not None]
    return (inside[0], inside[-1]) if inside else None


def _offset(index: int, starts: list[int], kept_index: list[int | None] | None) -> int | None:
    if kept_index is None:
        return starts[index]
    kept = kept_index[index]
    return None if kept is None else starts[kept]


def _with_doc(problem: Problem, doc_id: str) -> Problem:
    return Problem(
        problem.code, problem.message, problem.fix, problem.severity, problem.path, problem.line,
        doc_id, problem.offset, problem.span_id,
    )


class GivenTokenization(NamedTuple):
    """Tokens and sentences of a document read with ``tokenization == "given"``."""

    starts: list[int]
    ends: list[int]
    sentences: list[tuple[int, int]]


def given_tokenization(text: str) -> GivenTokenization:
    """The tokens and sentences of a document read with ``tokenization == "given"``.

    The one rule for builder and evaluator: tokens are the maximal runs of characters other than
    space and newline, and sentences are the lines that hold at least one token. An empty line or
    a line of spaces is no sentence: the reader never writes one, and a sentence without tokens
    would become an empty row of the sentence table.

    Examples
    --------
    >>> given_tokenization("a bc\\n\\nd")
    GivenTokenization(starts=[0, 2, 6], ends=[1, 4, 7], sentences=[(0, 4), (6, 7)])
    """
    starts: list[int] = []
    ends: list[int] = []
    for match in _GIVEN_TOKEN.finditer(text):
        starts.append(match.start())
        ends.append(match.end())
    sentences: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        line_end = line_start + len(line)
        if line.strip(" "):
            sentences.append((line_start, line_end))
        line_start = line_end + 1
    return GivenTokenization(starts, ends, sentences)


def looks_like_tag(field: str) -> bool:
    """Whether a column reads as a chunk tag: ``O``, or a prefix B/I/E/S/L/U, a hyphen and a type.

    The one rule for format detection and for scoring CoNLL predictions. The separator is the
    hyphen only, as in every decoder here (:func:`dataset_builder.tags.parse_tag`, conlleval.pl,
    seqeval): ``B_PERS`` would be decoded with the type ``_PERS``, and ``_`` alone is the CoNLL-U
    empty field, so an underscore column is data, not a tag.
    """
    return field == OUTSIDE or (len(field) > 2 and field[1] == "-" and field[0] in "BIESLU")


_GIVEN_TOKEN = re.compile(r"[^ \n]+")

# ---------------------------------------------------------------------------- tag columns, with numpy

# A line whose first column is this ends a sentence in the CoNLL evaluation layout (conlleval.pl).
BOUNDARY = "-X-"
_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class TagColumns:
    """The last two columns of every line of a CoNLL file, as arrays (row ``i`` is line ``i + 1``).

    This is the CoNLL evaluation layout (``TOKEN ... GOLD PREDICTED``, conlleval.pl's input); the
    reader only splits lines into fields and interns the tags. What a consumer accepts (how many
    columns, which tags) is its own rule: conlleval stops at the first odd line, the predictions
    loader reports it and goes on.

    Attributes
    ----------
    gold, pred : ndarray of int32
        Tag ids of the second-to-last and last column; -1 on rows with fewer than two columns, on
        blank lines and on ``-X-`` lines.
    vocab : tuple of str
        Tag string of each id (UTF-8; undecodable bytes kept as surrogate escapes).
    n_fields : ndarray of int32
        Number of columns of each line (0 for a blank line).
    is_break : ndarray of bool
        Blank lines and ``-X-`` lines.
    is_docstart : ndarray of bool
        Lines whose first column is ``-DOCSTART-``.
    token_start, token_end : ndarray of int64
        Byte range of each line's first column in :attr:`data` (0, 0 on blank lines).
    line_end : ndarray of int64
        Byte offset of each line's newline in :attr:`data`.
    data : bytes
        The file's bytes (without a UTF-8 byte-order mark, with a final newline).
    path : str or None
        Where the data was read from, for messages.
    """

    gold: np.ndarray
    pred: np.ndarray
    vocab: tuple[str, ...]
    n_fields: np.ndarray
    is_break: np.ndarray
    is_docstart: np.ndarray
    token_start: np.ndarray
    token_end: np.ndarray
    line_end: np.ndarray
    data: bytes
    path: str | None = None

    def line(self, row: int) -> str:
        """The text of line ``row + 1`` (for messages)."""
        start = int(self.line_end[row - 1]) + 1 if row else 0
        return self.data[start : int(self.line_end[row])].decode("utf-8", "replace").rstrip("\r")

    def tokens(self, rows: np.ndarray) -> list[str]:
        """The first column of each of ``rows``, decoded as UTF-8."""
        data = self.data
        try:
            return [data[a:b].decode("utf-8") for a, b in zip(self.token_start[rows].tolist(),
                                                              self.token_end[rows].tolist(), strict=True)]
        except UnicodeDecodeError:
            bad = next(row for row, a, b in zip(rows.tolist(), self.token_start[rows].tolist(),
                                                 self.token_end[rows].tolist(), strict=True)
                       if not _is_utf8(data[a:b]))
            raise InputError(Problem(
                "conll-not-utf8", f"the token of line {bad + 1} is not valid UTF-8.",
                "Convert the file to UTF-8 (e.g. `iconv -f CP1256 -t UTF-8` for Windows Arabic).",
                path=self.path, line=bad + 1)) from None


def column_delimiter(delimiter: str | None) -> str | None:
    r"""A column delimiter as typed on a command line: ``'\t'`` (backslash, t) is a tab, as in conlleval.pl."""
    if delimiter is None:
        return None
    if delimiter == "\\t":
        return "\t"
    if not delimiter or any(c in "\r\n" for c in delimiter):
        raise ValueError(f"delimiter {delimiter!r}: give one or more characters other than a line break, "
                         "e.g. '\\t' for tab-separated columns.")
    return delimiter


def read_tag_columns(source: str | Path | bytes, *, delimiter: str | None = None,
                     path: str | None = None) -> TagColumns:
    r"""Read the token and tag columns of a CoNLL file (or its bytes) into arrays, with numpy.

    The file is parsed on its raw bytes in blocks of about 1 MB, with no Python work per line
    (an 8.8 MB, 1M-token file in well under a second); tags are interned by hashing.

    Parameters
    ----------
    source : path or bytes
        The file, or its content.
    delimiter : str, optional
        Column separator (any string without a line break; ``'\t'`` typed as two characters is a
        tab). Default: runs of spaces, tabs and other ASCII control characters, so a CR before the
        newline is no part of the last column.
    path : str, optional
        Name used in messages when ``source`` is bytes.

    Returns
    -------
    TagColumns
    """
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = path or str(source)
        data = Path(source).read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data and not data.endswith(b"\n"):
        data += b"\n"
    delimiter_byte: int | None = None
    delimiter = column_delimiter(delimiter)
    if delimiter is not None:
        encoded = delimiter.encode("utf-8")
        if len(encoded) > 1:
            # A longer delimiter becomes one control byte the file does not hold.
            free = next((bytes([b]) for b in range(1, 32) if b not in (9, 10, 13) and bytes([b]) not in data), None)
            if free is None:
                raise ValueError(f"delimiter {delimiter!r}: the file uses every ASCII control character; "
                                 "give a one-character delimiter.")
            data, encoded = data.replace(encoded, free), free
        delimiter_byte = encoded[0]
    padded = np.zeros(len(data) + 40, dtype=np.uint8)  # room for 8-byte reads past the last field
    padded[: len(data)] = np.frombuffer(data, dtype=np.uint8)
    interner = _Interner(padded, data)
    parts: list[tuple[np.ndarray, ...]] = []
    begin = 0
    while begin < len(data):
        stop = data.rfind(b"\n", begin, begin + _BLOCK) + 1 or data.find(b"\n", begin) + 1
        parts.append(_read_block(padded, begin, stop, delimiter_byte, interner))
        begin = stop
    if parts:
        columns = [np.concatenate(x) for x in zip(*parts, strict=True)]
    else:
        columns = [np.empty(0, dtype=dtype) for dtype in (np.int32, np.int32, np.int32, bool, bool, np.int64,
                                                            np.int64, np.int64)]
    gold, pred, n_fields, is_break, is_docstart, token_start, token_end, line_end = columns
    return TagColumns(gold, pred, tuple(interner.vocab()), n_fields, is_break, is_docstart, token_start, token_end,
                      line_end, data, path)


class _Interner:
    """Ids for byte strings ``buf[start:end]`` without a Python loop over rows.

    Fields of up to 32 bytes are read as four little-endian 64-bit words through an unaligned view
    of the (padded) buffer and hashed; each row is looked up among the hashes of the tags seen so
    far (a few dozen, kept sorted) and compared word for word with the tag found, so ids are exact.
    New tags and the (theoretical) hash collisions go through a dictionary of byte strings.
    """

    def __init__(self, padded: np.ndarray, data: bytes) -> None:
        self.data = data
        self.words64 = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
        self.keep_bytes = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
        self.index: dict[bytes, int] = {}
        self.known_hash = np.empty(0, dtype=np.uint64)  # sorted
        self.known_words = np.empty((0, 5), dtype=np.uint64)  # length, then four words, per known hash
        self.known_id = np.empty(0, dtype=np.int32)

    def __call__(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        if not len(starts):
            return np.empty(0, dtype=np.int32)
        lengths = ends - starts
        if int(lengths.max()) > 32:
            return self._slow(starts, ends)
        words = [lengths.astype(np.uint64)]
        for w in range((int(lengths.max()) + 7) // 8):
            words.append(self.words64[starts + 8 * w] & self.keep_bytes[np.clip(lengths - 8 * w, 0, 8)])
        mix = np.zeros(len(starts), dtype=np.uint64)
        for w, word in enumerate(words):
            mix = (mix ^ (word * np.uint64(0xBF58476D1CE4E5B9 + 2 * w))) * np.uint64(0x94D049BB133111EB)
        ids, found = self._lookup(mix, words)
        if not found.all():
            missing = np.flatnonzero(~found)
            _, first = np.unique(mix[missing], return_index=True)
            for row in missing[first].tolist():
                self._learn(int(starts[row]), int(ends[row]), int(mix[row]), [int(word[row]) for word in words])
            ids[missing], found[missing] = self._lookup(mix[missing], [word[missing] for word in words])
            if not found.all():  # two different tags with one hash: exact, slower path
                rest = np.flatnonzero(~found)
                ids[rest] = self._slow(starts[rest], ends[rest])
        return ids

    def _lookup(self, mix: np.ndarray, words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.known_hash):
            return np.zeros(len(mix), dtype=np.int32), np.zeros(len(mix), dtype=bool)
        at = np.minimum(np.searchsorted(self.known_hash, mix), len(self.known_hash) - 1)
        found = self.known_hash[at] == mix
        for w, word in enumerate(words):
            found &= self.known_words[at, w] == word
        return self.known_id[at], found

    def _learn(self, start: int, end: int, mix: int, words: list[int]) -> None:
        tag_id = self.index.setdefault(self.data[start:end], len(self.index))
        row = np.zeros(5, dtype=np.uint64)
        row[: len(words)] = words
        at = int(np.searchsorted(self.known_hash, np.uint64(mix)))
        self.known_hash = np.insert(self.known_hash, at, np.uint64(mix))
        self.known_words = np.insert(self.known_words, at, row, axis=0)
        self.known_id = np.insert(self.known_id, at, tag_id)

    def _slow(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        data, index = self.data, self.index
        pairs = zip(starts.tolist(), ends.tolist(), strict=True)
        return np.fromiter((index.setdefault(data[s:e], len(index)) for s, e in pairs), dtype=np.int32,
                           count=len(starts))

    def vocab(self) -> list[str]:
        return [tag.decode("utf-8", "surrogateescape") for tag in self.index]


def _field_equals(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, token: bytes) -> np.ndarray:
    mask = lengths == len(token)
    for j, byte in enumerate(token):
        candidates = np.flatnonzero(mask)
        mask[candidates] = buf[starts[candidates] + j] == byte
    return mask


def _read_block(padded: np.ndarray, begin: int, stop: int, delimiter_byte: int | None,
                interner: _Interner) -> tuple[np.ndarray, ...]:
    """The rows of the whole lines in ``padded[begin:stop]``, in the order of :class:`TagColumns`' fields."""
    buf = padded[begin:stop]
    line_end = np.flatnonzero(buf == 10)
    n_lines = len(line_end)
    # Separators: space, tab, CR, LF and the other ASCII control characters, or the given delimiter.
    separator = buf <= 32 if delimiter_byte is None else (buf == 10) | (buf == 13) | (buf == delimiter_byte)
    # Field edges: +1 where a field starts, -1 just after it ends (the block ends with a newline).
    edge = np.diff((~separator).view(np.int8), prepend=np.int8(0))
    field_start = np.flatnonzero(edge == 1)
    field_end = np.flatnonzero(edge == -1)
    fields_before_end = np.searchsorted(field_start, line_end)  # fields starting before each line end
    n_fields = np.diff(fields_before_end, prepend=0).astype(np.int32)
    last = fields_before_end - 1
    nonempty = n_fields > 0
    rows = np.flatnonzero(nonempty)
    first_field = (last - n_fields + 1)[rows]
    first_start, first_length = field_start[first_field], field_end[first_field] - field_start[first_field]
    is_break = ~nonempty
    is_break[rows] = _field_equals(buf, first_start, first_length, BOUNDARY.encode())
    is_docstart = np.zeros(n_lines, dtype=bool)
    is_docstart[rows] = _field_equals(buf, first_start, first_length, DOCSTART.encode())
    tag_rows = np.flatnonzero(~is_break & (n_fields >= 2))
    gold_field, pred_field = last[tag_rows] - 1, last[tag_rows]
    ids = interner(np.concatenate((field_start[gold_field], field_start[pred_field])) + begin,
                   np.concatenate((field_end[gold_field], field_end[pred_field])) + begin)
    gold = np.full(n_lines, -1, dtype=np.int32)
    pred = np.full(n_lines, -1, dtype=np.int32)
    gold[tag_rows], pred[tag_rows] = ids[: len(tag_rows)], ids[len(tag_rows) :]
    token_start = np.zeros(n_lines, dtype=np.int64)
    token_end = np.zeros(n_lines, dtype=np.int64)
    token_start[rows], token_end[rows] = first_start + begin, first_start + first_length + begin
    return (gold, pred, n_fields, is_break, is_docstart, token_start, token_end, line_end.astype(np.int64) + begin)


__all__ = [
    "BIDI_MARKS", "BOUNDARY", "DEFAULT_SENTENCES_PER_DOC", "DOCSTART", "ConllOptions", "ConllRange",
    "GivenTokenization", "TagColumns", "column_delimiter", "conll_ranges", "given_tokenization", "looks_like_tag",
    "read_conll", "read_conll_range", "read_tag_columns",
]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
