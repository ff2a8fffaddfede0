"""conlleval.pl, exactly and fast: read a CoNLL evaluation file and print the conlleval report.

The input is the CoNLL-2000/2003 evaluation format: one token per line, the *last two* columns
are the gold and the predicted tag; a blank line (or a line whose first column is ``-X-``) ends a
sentence. :func:`run_conlleval_file` prints what ``perl conlleval.pl < FILE`` prints, byte for byte
(same counts, same ``printf`` layout, per-type rows sorted by byte value, LaTeX table with
``latex=True``), and is checked against the real script on random files.

Differences from conlleval.pl, all on input it rejects or misreads:

* a UTF-8 byte-order mark is skipped and CRLF line ends are accepted (conlleval.pl keeps the
  ``\\r`` in the predicted tag and so scores every token wrong);
* columns are separated by runs of spaces or tabs (conlleval.pl splits on *each* single space, so
  two spaces make an empty column and a tab is not a separator); pass ``delimiter="\\t"`` for
  tokens that contain spaces;
* a line of only spaces/tabs is a sentence break (conlleval.pl stops with an error on a tab-only
  line, the NewsFANE separator);
* errors say file, line, what is wrong and how to fix it.

``compat=True`` (default) reproduces conlleval.pl's numbers, including its IOBES merging (see
:mod:`eval.bio`) and its counting of ``-DOCSTART-`` lines as tokens. ``compat=False`` decodes chunks
with :func:`eval.bio.decode` (correct IOBES, or ``decoder="strict"``) and treats ``-DOCSTART-`` lines
as document separators that are not tokens.

Speed: the file is parsed with numpy on its raw bytes, in blocks of about 1 MB (no Python work per
line): an 8.8 MB, 1M-token file is read and scored in about a quarter of a second of CPU time,
7x faster than conlleval.pl (figures in docs/benchmarks.md). This module imports only numpy.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eval.bio import (
    P_O,
    Decoder,
    EncodedTags,
    Scheme,
    _vocab_codes,
    conlleval_boundaries,
    decode,
    encode_tags,
)

__all__ = [
    "ConllevalCounts",
    "ConllevalData",
    "conlleval_counts",
    "conlleval_report",
    "format_conlleval",
    "main",
    "read_conlleval",
    "run_conlleval_file",
]

BOUNDARY = "-X-"
DOCSTART = "-DOCSTART-"


class ConllevalInputError(ValueError):
    """The file cannot be read as a conlleval file; the message says where and how to fix it."""


@dataclass(frozen=True, slots=True)
class ConllevalData:
    """A conlleval file as arrays, one row per line (row ``i`` is line ``i + 1``).

    Attributes
    ----------
    gold, pred : ndarray of int32
        Tag ids of the last two columns (``"O"`` on sentence-break rows).
    vocab : tuple of str
        Tag string of each id.
    is_break : ndarray of bool
        Blank lines and ``-X-`` lines.
    is_docstart : ndarray of bool
        Lines whose first column is ``-DOCSTART-``.
    path : str or None
        Where the data was read from, for messages.
    """

    gold: np.ndarray
    pred: np.ndarray
    vocab: tuple[str, ...]
    is_break: np.ndarray
    is_docstart: np.ndarray
    path: str | None = None

    def sentences(self, *, docstart_breaks: bool = True) -> tuple[EncodedTags, EncodedTags]:
        """Gold and predicted tags per sentence (breaks and, by default, ``-DOCSTART-`` rows dropped)."""
        separator = self.is_break | (self.is_docstart if docstart_breaks else False)
        token = ~separator
        # A sentence is a maximal run of token rows.
        starts_mask = token & ~np.concatenate(([False], token[:-1]))
        sentence_of_row = np.cumsum(starts_mask) - 1
        sentence = sentence_of_row[token]
        n_sent = int(starts_mask.sum())
        offsets = np.zeros(n_sent + 1, dtype=np.int64)
        np.cumsum(np.bincount(sentence, minlength=n_sent), out=offsets[1:])
        return (EncodedTags(self.gold[token], offsets, self.vocab),
                EncodedTags(self.pred[token], offsets, self.vocab))


def _error(path: str | None, line: int | None, message: str, fix: str) -> ConllevalInputError:
    where = f"{path or '<input>'}" + (f":{line}" if line is not None else "")
    return ConllevalInputError(f"{where}: {message} Fix: {fix}")


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
        row[:len(words)] = words
        at = int(np.searchsorted(self.known_hash, np.uint64(mix)))
        self.known_hash = np.insert(self.known_hash, at, np.uint64(mix))
        self.known_words = np.insert(self.known_words, at, row, axis=0)
        self.known_id = np.insert(self.known_id, at, tag_id)

    def _slow(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        data, index = self.data, self.index
        return np.fromiter((index.setdefault(data[s:e], len(index)) for s, e in zip(starts.tolist(), ends.tolist(),
                                                                                      strict=True)),
                           dtype=np.int32, count=len(starts))

    def vocab(self) -> list[str]:
        return [tag.decode("utf-8", "surrogateescape") for tag in self.index]


def _field_equals(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, token: bytes) -> np.ndarray:
    mask = lengths == len(token)
    for j, byte in enumerate(token):
        candidates = np.flatnonzero(mask)
        mask[candidates] = buf[starts[candidates] + j] == byte
    return mask


def read_conlleval(source: str | Path | bytes, *, delimiter: str | None = None, raw: bool = False,
                   o_tag: str = "O", path: str | None = None) -> ConllevalData:
    """Read a conlleval file (or its bytes) into arrays.

    Parameters
    ----------
    source : path or bytes
        The file, or its content.
    delimiter : str, optional
        A single-character column separator (conlleval.pl ``-d``). Default: runs of spaces/tabs.
    raw : bool, default=False
        conlleval.pl ``-r``: tags carry no ``B-``/``I-`` prefix; every non-``o_tag`` tag is a
        one-token chunk.
    o_tag : str, default="O"
        conlleval.pl ``-o``: the outside tag of raw input.
    path : str, optional
        Name used in error messages when ``source`` is bytes.

    Returns
    -------
    ConllevalData

    Raises
    ------
    ConllevalInputError (a ValueError)
        A token line with fewer than two columns, or with another number of columns than the
        first line (conlleval.pl stops there too), with the line number and a fix.
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
    if delimiter is not None:
        encoded = delimiter.encode("utf-8")
        if len(encoded) != 1 or encoded in b"\r\n":
            raise ValueError(f"delimiter={delimiter!r}: give a single ASCII character such as '\\t' or ' '.")
        delimiter_byte: int | None = encoded[0]
    else:
        delimiter_byte = None
    padded = np.zeros(len(data) + 40, dtype=np.uint8)  # room for 8-byte reads past the last field
    padded[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    interner = _Interner(padded, data)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    state = _ReadState(path)
    # Blocks of about 1 MB (whole lines) keep every temporary array small and reused.
    begin = 0
    while begin < len(data):
        stop = data.rfind(b"\n", begin, begin + _BLOCK) + 1 or data.find(b"\n", begin) + 1
        parts.append(_read_block(padded, begin, stop, delimiter_byte, interner, state))
        begin = stop
    vocab = interner.vocab()
    if raw:
        vocab = [tag if tag == "O" else f"B-{tag}" for tag in ("O" if tag == o_tag else tag for tag in vocab)]
    if "O" not in vocab:
        vocab.append("O")
    outside = vocab.index("O")
    if parts:
        gold, pred, is_break, is_docstart = (np.concatenate(x) for x in zip(*parts, strict=True))
    else:
        gold = pred = np.empty(0, dtype=np.int32)
        is_break = is_docstart = np.empty(0, dtype=bool)
    gold[gold < 0] = outside  # conlleval.pl reads a blank or boundary line as ("-X-", "O", "O")
    pred[pred < 0] = outside
    return ConllevalData(gold, pred, tuple(vocab), is_break, is_docstart, path)


_BLOCK = 1 << 20


@dataclass(slots=True)
class _ReadState:
    path: str | None
    lines_done: int = 0
    expected_fields: int | None = None


def _read_block(padded: np.ndarray, begin: int, stop: int, delimiter_byte: int | None, interner: _Interner,
                state: _ReadState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the lines in ``padded[begin:stop]`` (whole lines): gold id, pred id (-1 on breaks), flags."""
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
    n_fields = np.diff(fields_before_end, prepend=0)
    last = fields_before_end - 1
    nonempty = n_fields > 0
    if (n_fields == 1).any():
        line = state.lines_done + int(np.flatnonzero(n_fields == 1)[0]) + 1
        raise _error(state.path, line, "this line has one column; a token line needs at least the gold and the "
                     "predicted tag as its last two columns.", "add the missing column(s) or make the line blank.")
    if state.expected_fields is None and nonempty.any():
        state.expected_fields = int(n_fields[np.argmax(nonempty)])
    if state.expected_fields is not None:
        wrong = np.flatnonzero(nonempty & (n_fields != state.expected_fields))
        if len(wrong):
            line = state.lines_done + int(wrong[0]) + 1
            raise _error(state.path, line, f"this line has {int(n_fields[wrong[0]])} columns but the first token "
                         f"line has {state.expected_fields}.", "give every token line the same columns (token ... "
                         "gold predicted); with tokens that contain spaces, separate columns by tabs and pass "
                         "delimiter='\\t'.")
    state.lines_done += n_lines
    rows = np.flatnonzero(nonempty)
    first_field = (last - n_fields + 1)[rows]
    first_start, first_length = field_start[first_field], field_end[first_field] - field_start[first_field]
    is_break = ~nonempty
    is_break[rows] = _field_equals(buf, first_start, first_length, BOUNDARY.encode())
    is_docstart = np.zeros(n_lines, dtype=bool)
    is_docstart[rows] = _field_equals(buf, first_start, first_length, DOCSTART.encode())
    tag_rows = np.flatnonzero(~is_break)
    gold_field, pred_field = last[tag_rows] - 1, last[tag_rows]
    ids = interner(np.concatenate((field_start[gold_field], field_start[pred_field])) + begin,
                   np.concatenate((field_end[gold_field], field_end[pred_field])) + begin)
    gold = np.full(n_lines, -1, dtype=np.int32)
    pred = np.full(n_lines, -1, dtype=np.int32)
    gold[tag_rows], pred[tag_rows] = ids[:len(tag_rows)], ids[len(tag_rows):]
    return gold, pred, is_break, is_docstart


@dataclass(frozen=True, slots=True)
class ConllevalCounts:
    """Everything conlleval.pl prints, as counts."""

    tokens: int
    correct_tags: int
    found_gold: dict[str, int] = field(default_factory=dict)
    found_pred: dict[str, int] = field(default_factory=dict)
    correct: dict[str, int] = field(default_factory=dict)

    @property
    def n_gold(self) -> int:
        return sum(self.found_gold.values())

    @property
    def n_pred(self) -> int:
        return sum(self.found_pred.values())

    @property
    def n_correct(self) -> int:
        return sum(self.correct.values())


def _count_by_type(type_ids: np.ndarray, types: Sequence[str], weights: np.ndarray | None = None) -> dict[str, int]:
    counts = np.bincount(type_ids, weights=weights, minlength=len(types))
    return {types[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()}


def _counts_compat(data: ConllevalData) -> ConllevalCounts:
    codes = _vocab_codes(data.vocab, "conlleval", "IOB2", "")
    outside_type = codes.type_id[data.vocab.index("O")]
    # One virtual row before the first line: conlleval.pl starts with lastTag "O", lastType "".
    gold = np.concatenate(([data.vocab.index("O")], data.gold))
    pred = np.concatenate(([data.vocab.index("O")], data.pred))
    type_of_tag = codes.type_id.astype(np.int16 if len(codes.types) < 2**15 else np.int32)
    g_prefix, g_type = codes.prefix[gold], type_of_tag[gold]
    p_prefix, p_type = codes.prefix[pred], type_of_tag[pred]
    g_prefix[0] = p_prefix[0] = P_O
    g_type[0] = p_type[0] = outside_type
    g_end, g_start = conlleval_boundaries(g_prefix[:-1], g_prefix[1:], g_type[:-1] == g_type[1:])
    p_end, p_start = conlleval_boundaries(p_prefix[:-1], p_prefix[1:], p_type[:-1] == p_type[1:])
    g_now, p_now = g_type[1:], p_type[1:]
    g_last, p_last = g_type[:-1], p_type[:-1]
    # conlleval.pl's "inCorrect" state machine, vectorized: a joint start (same type) switches it on;
    # a joint end of same-typed chunks counts a correct chunk and switches it off; any disagreement
    # (one side ends, or the types differ) switches it off.
    success = g_end & p_end & (g_last == p_last)
    kill = success | (g_end != p_end) | (g_now != p_now)
    joint_start = g_start & p_start & (g_now == p_now)
    index = np.arange(len(g_now), dtype=np.int32)
    last_start = np.maximum.accumulate(np.where(joint_start, index, np.int32(-1)))
    last_kill = np.maximum.accumulate(np.where(kill, index, np.int32(-1)))
    on_after = (last_start >= 0) & (last_start >= last_kill)
    on_before = np.concatenate(([False], on_after[:-1]))
    counted = on_before & success
    correct_types = g_last[counted]
    if len(on_after) and on_after[-1]:
        correct_types = np.append(correct_types, g_now[-1])
    token = ~data.is_break
    # Token accuracy compares conlleval.pl's (prefix, type) split of both tags.
    split_id: dict[tuple[str, str], int] = {}
    norm = np.array([split_id.setdefault(_conlleval_split(tag), len(split_id)) for tag in data.vocab])
    correct_tags = int((norm[data.gold[token]] == norm[data.pred[token]]).sum())
    return ConllevalCounts(
        tokens=int(token.sum()), correct_tags=correct_tags,
        found_gold=_count_by_type(g_now[g_start], codes.types), found_pred=_count_by_type(p_now[p_start], codes.types),
        correct=_count_by_type(correct_types, codes.types),
    )


def _conlleval_split(tag: str) -> tuple[str, str]:
    """conlleval.pl's (prefix, type) of a tag: split at the first hyphen, type ``"0"`` read as empty."""
    prefix, _, type_ = tag.partition("-")
    return (prefix, "" if type_ == "0" else type_) if "-" in tag else (tag, "")


def _counts_decoded(data: ConllevalData, scheme: Scheme, decoder: Decoder) -> ConllevalCounts:
    gold_enc, pred_enc = data.sentences(docstart_breaks=True)
    gold = decode(gold_enc, scheme=scheme, decoder=decoder)
    pred = decode(pred_enc, scheme=scheme, decoder=decoder)
    names = sorted(set(gold.types) | set(pred.types))
    position = {name: i for i, name in enumerate(names)}
    g_label = np.array([position[t] for t in gold.types], dtype=np.int64)[gold.type_id]
    p_label = np.array([position[t] for t in pred.types], dtype=np.int64)[pred.type_id]
    span, width = len(gold_enc.ids) + 1, len(names) + 1

    def keys(chunks: object, label: np.ndarray) -> np.ndarray:
        base = gold_enc.offsets[chunks.sentence]  # type: ignore[attr-defined]
        return ((base + chunks.start) * span + base + chunks.end) * width + label  # type: ignore[attr-defined]

    common = np.intersect1d(keys(gold, g_label), keys(pred, p_label))
    return ConllevalCounts(
        tokens=len(gold_enc.ids), correct_tags=int((gold_enc.ids == pred_enc.ids).sum()),
        found_gold=_count_by_type(g_label, names), found_pred=_count_by_type(p_label, names),
        correct=_count_by_type(common % width, names),
    )


def conlleval_counts(data: ConllevalData, *, compat: bool = True, scheme: Scheme = "IOB2",
                     decoder: Decoder = "lenient") -> ConllevalCounts:
    """Counts behind the conlleval report.

    Parameters
    ----------
    data : ConllevalData
        From :func:`read_conlleval`.
    compat : bool, default=True
        Reproduce conlleval.pl (its chunk logic, ``-DOCSTART-`` lines counted as tokens). With
        False, chunks come from :func:`eval.bio.decode` with ``scheme`` and ``decoder``.
    scheme, decoder
        Used when ``compat=False``.
    """
    if compat:
        if decoder != "lenient":
            raise ValueError("compat=True reproduces conlleval.pl, which decodes leniently; pass compat=False "
                             "to use decoder='strict'.")
        return _counts_compat(data)
    return _counts_decoded(data, scheme, decoder)


def _percent(numerator: int, denominator: int) -> float:
    return 100 * numerator / denominator if denominator > 0 else 0.0


def _fb1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _pad(text: str, width: int, left: bool = False) -> str:
    """Perl's ``%17s`` on a byte string: padding counts UTF-8 bytes, not characters."""
    pad = " " * max(0, width - len(text.encode("utf-8", "surrogateescape")))
    return text + pad if left else pad + text


def _sorted_types(counts: ConllevalCounts) -> list[str]:
    # conlleval.pl sorts the keys of both hashes by bytes and drops repeats, except that a repeat of
    # the empty type (false in Perl) is kept, so "" is listed once per hash that has it.
    out: list[str] = []
    last: str | None = None
    for name in sorted([*counts.found_gold, *counts.found_pred], key=lambda s: s.encode("utf-8", "surrogateescape")):
        if not last or last != name:
            out.append(name)
        last = name
    return out


def format_conlleval(counts: ConllevalCounts, *, latex: bool = False) -> str:
    """The text conlleval.pl prints for these counts (``-l``: the LaTeX table)."""
    lines: list[str] = []
    precision = _percent(counts.n_correct, counts.n_pred)
    recall = _percent(counts.n_correct, counts.n_gold)
    if not latex:
        lines.append(f"processed {counts.tokens} tokens with {counts.n_gold} phrases; found: {counts.n_pred} "
                     f"phrases; correct: {counts.n_correct}.\n")
        if counts.tokens > 0:
            accuracy = 100 * counts.correct_tags / counts.tokens
            lines.append(f"accuracy: {accuracy:6.2f}%; precision: {precision:6.2f}%; recall: {recall:6.2f}%; "
                         f"FB1: {_fb1(precision, recall):6.2f}\n")
    else:
        lines.append("        & Precision &  Recall  & F$_{\\beta=1} \\\\\\hline")
    for name in _sorted_types(counts):
        correct = counts.correct.get(name, 0)
        found_pred = counts.found_pred.get(name, 0)
        p = _percent(correct, found_pred)
        r = _percent(correct, counts.found_gold.get(name, 0))
        f = 0.0 if p + r == 0.0 else 2 * p * r / (p + r)
        if latex:
            lines.append(f"\n{_pad(name, 7, left=True)} &  {p:6.2f}\\% & {r:6.2f}\\% & {f:6.2f} \\\\")
        else:
            lines.append(f"{_pad(name, 17)}: precision: {p:6.2f}%; recall: {r:6.2f}%; FB1: {f:6.2f}  {found_pred}\n")
    if latex:
        lines.append("\\hline\n")
        lines.append(f"Overall &  {precision:6.2f}\\% & {recall:6.2f}\\% & {_fb1(precision, recall):6.2f} "
                     "\\\\\\hline\n")
    return "".join(lines)


def conlleval_report(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]], *, compat: bool = True,
                     scheme: Scheme = "IOB2", decoder: Decoder = "lenient", latex: bool = False) -> str:
    """The conlleval.pl report for tag sequences (one list of tags per sentence).

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str
        Gold and predicted tags, sentence by sentence, of equal lengths.
    compat, scheme, decoder
        As in :func:`conlleval_counts`.
    latex : bool, default=False
        conlleval.pl ``-l``.

    Returns
    -------
    str

    Examples
    --------
    >>> print(conlleval_report([["B-PERS", "I-PERS", "O"]], [["B-PERS", "I-PERS", "B-GPE"]]), end="")
    processed 3 tokens with 1 phrases; found: 2 phrases; correct: 1.
    accuracy:  66.67%; precision:  50.00%; recall: 100.00%; FB1:  66.67
                  GPE: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
                 PERS: precision: 100.00%; recall: 100.00%; FB1: 100.00  1
    """
    if len(y_true) != len(y_pred) or any(len(a) != len(b) for a, b in zip(y_true, y_pred, strict=True)):
        raise ValueError("y_true and y_pred must have the same sentences and the same number of tags in each.")
    true_enc, pred_enc = encode_tags(y_true, y_pred)
    vocab = list(true_enc.vocab)
    if "O" not in vocab:
        vocab.append("O")
    outside = vocab.index("O")
    n_sent = true_enc.n_sentences
    # Lay sentences out as conlleval rows: tokens, then one break row after each sentence.
    size = len(true_enc.ids) + n_sent
    is_break = np.zeros(size, dtype=bool)
    is_break[true_enc.offsets[1:] + np.arange(n_sent)] = True
    gold = np.full(size, outside, dtype=np.int32)
    pred = np.full(size, outside, dtype=np.int32)
    gold[~is_break], pred[~is_break] = true_enc.ids, pred_enc.ids
    data = ConllevalData(gold, pred, tuple(vocab), is_break, np.zeros(size, dtype=bool))
    return format_conlleval(conlleval_counts(data, compat=compat, scheme=scheme, decoder=decoder), latex=latex)


def run_conlleval_file(path: str | Path, *, scheme: Scheme = "IOB2", compat: bool = True,
                       decoder: Decoder = "lenient", delimiter: str | None = None, raw: bool = False,
                       o_tag: str = "O", latex: bool = False) -> str:
    """Read a conlleval file and return its report, as ``perl conlleval.pl < path`` prints it.

    Parameters
    ----------
    path : path
        The file (token columns, then gold and predicted tag).
    scheme, compat, decoder
        As in :func:`conlleval_counts`.
    delimiter, raw, o_tag
        As in :func:`read_conlleval` (conlleval.pl ``-d``, ``-r``, ``-o``).
    latex : bool, default=False
        conlleval.pl ``-l``.
    """
    data = read_conlleval(path, delimiter=delimiter, raw=raw, o_tag=o_tag)
    return format_conlleval(conlleval_counts(data, compat=compat, scheme=scheme, decoder=decoder), latex=latex)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m eval.conlleval [-l] [-r] [-d DELIM] [-o OTAG] [--no-compat] [--scheme S] [FILE]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m eval.conlleval",
                                     description="conlleval.pl, exactly and fast. Reads FILE (or stdin).")
    parser.add_argument("file", nargs="?", help="evaluation file; stdin when omitted")
    parser.add_argument("-l", dest="latex", action="store_true", help="LaTeX table output")
    parser.add_argument("-r", dest="raw", action="store_true", help="raw tags without B-/I- prefixes")
    parser.add_argument("-d", dest="delimiter", default=None, help="column delimiter (default: spaces/tabs)")
    parser.add_argument("-o", dest="o_tag", default="O", help="outside tag of raw input (default O)")
    parser.add_argument("--no-compat", dest="compat", action="store_false",
                        help="decode chunks correctly (IOBES) instead of conlleval.pl's way")
    parser.add_argument("--scheme", default="IOB2", choices=["IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"])
    parser.add_argument("--strict", action="store_true", help="with --no-compat: seqeval strict decoding")
    args = parser.parse_args(argv)
    try:
        source: str | bytes = args.file if args.file else sys.stdin.buffer.read()
        data = read_conlleval(source, delimiter=args.delimiter, raw=args.raw, o_tag=args.o_tag,
                              path=args.file or "<stdin>")
        counts = conlleval_counts(data, compat=args.compat, scheme=args.scheme,
                                  decoder="strict" if args.strict else "lenient")
    except (OSError, ValueError) as error:
        print(f"conlleval: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(format_conlleval(counts, latex=args.latex))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
