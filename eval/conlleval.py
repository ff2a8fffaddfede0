"""conlleval.pl, exactly and fast: read a CoNLL evaluation file and print the conlleval report.

The input is the CoNLL-2000/2003 evaluation format: one token per line, the *last two* columns
are the gold and the predicted tag; a blank line (or a line whose first column is ``-X-``) ends a
sentence. :func:`run_conlleval_file` prints what ``perl conlleval.pl < FILE`` prints, byte for byte
(same counts, same ``printf`` layout, per-type rows sorted by byte value, LaTeX table with
``latex=True``), and is checked against the real script on random files.

Differences from conlleval.pl, all on input it rejects or misreads:

* a UTF-8 byte-order mark is skipped and CRLF line ends are accepted (conlleval.pl keeps the
  ``\\r`` in the last column: it stops with "unexpected number of features" at the first blank
  line, and scores every predicted chunk wrong in a file without one);
* columns are separated by runs of spaces or tabs (conlleval.pl splits on *each* single space, so
  two spaces make an empty column and a tab is not a separator); pass ``-d '\\t'`` (``delimiter``)
  for tokens that contain spaces. A delimiter is a literal string, where conlleval.pl's is a Perl
  pattern: both agree on ``\\t``, a tab and any character that is not a pattern character;
* a line of only spaces/tabs is a sentence break (conlleval.pl stops with an error on a tab-only
  line, the NewsFANE separator);
* errors say file, line, what is wrong and how to fix it.

``compat=True`` (default) reproduces conlleval.pl's numbers, including its IOBES merging (see
:mod:`eval.bio`) and its counting of ``-DOCSTART-`` lines as tokens. ``compat=False`` decodes chunks
with :func:`eval.bio.decode` (correct IOBES, or ``decoder="strict"``) and treats ``-DOCSTART-`` lines
as document separators that are not tokens.

Speed: the file is parsed by :func:`dataset_builder.readers.conll.read_tag_columns` with numpy on
its raw bytes, in blocks of about 1 MB (no Python work per line): an 8.8 MB, 1M-token file is read
and scored in about a quarter of a second of CPU time, 7x faster than conlleval.pl (figures in
docs/benchmarks.md). This module imports only the standard library, numpy and dataset_builder's
tag vocabulary and CoNLL reader; :func:`conlleval_main` serves ``akhbar eval --format conlleval``
without typer.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dataset_builder.problems import ExitCode
from dataset_builder.readers.conll import TagColumns, read_tag_columns
from dataset_builder.tags import SCHEMES
from eval.bio import (
    P_O,
    Decoder,
    EncodedTags,
    Scheme,
    _vocab_codes,
    chunks,
    conlleval_boundaries,
    decode,
    encode_tags,
)

__all__ = [
    "ConllevalCounts",
    "ConllevalData",
    "ConllevalInputError",
    "check_conlleval_tags",
    "conlleval_counts",
    "conlleval_main",
    "conlleval_report",
    "conlleval_tag_sequences",
    "format_conlleval",
    "main",
    "read_conlleval",
    "run_conlleval_file",
]



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


def read_conlleval(source: str | Path | bytes, *, delimiter: str | None = None, raw: bool = False,
                   o_tag: str = "O", path: str | None = None) -> ConllevalData:
    r"""Read a conlleval file (or its bytes) into arrays.

    Parameters
    ----------
    source : path or bytes
        The file, or its content.
    delimiter : str, optional
        Column separator (conlleval.pl ``-d``): any string without a line break; ``'\t'`` typed as
        two characters is a tab. Default: runs of spaces/tabs.
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
    columns = read_tag_columns(source, delimiter=delimiter, path=path)
    _check_columns(columns)
    vocab = list(columns.vocab)
    if raw:
        vocab = [tag if tag == "O" else f"B-{tag}" for tag in ("O" if tag == o_tag else tag for tag in vocab)]
    if "O" not in vocab:
        vocab.append("O")
    outside = vocab.index("O")
    gold, pred = columns.gold.copy(), columns.pred.copy()
    gold[gold < 0] = outside  # conlleval.pl reads a blank or boundary line as ("-X-", "O", "O")
    pred[pred < 0] = outside
    return ConllevalData(gold, pred, tuple(vocab), columns.is_break, columns.is_docstart, columns.path)


def _check_columns(columns: TagColumns) -> None:
    """Stop at the first token line with one column, or with other columns than the first line."""
    n_fields = columns.n_fields
    one = np.flatnonzero(n_fields == 1)
    nonempty = np.flatnonzero(n_fields > 0)
    expected = int(n_fields[nonempty[0]]) if len(nonempty) else 0
    wrong = np.flatnonzero((n_fields > 0) & (n_fields != expected))
    if len(one) and (not len(wrong) or one[0] <= wrong[0]):
        raise _error(columns.path, int(one[0]) + 1, "this line has one column; a token line needs at least the gold "
                     "and the predicted tag as its last two columns.", "add the missing column(s) or make the line "
                     "blank.")
    if len(wrong):
        raise _error(columns.path, int(wrong[0]) + 1, f"this line has {int(n_fields[wrong[0]])} columns but the first "
                     f"token line has {expected}.", "give every token line the same columns (token ... gold "
                     "predicted); with tokens that contain spaces, separate columns by tabs and pass -d '\\t' "
                     "(delimiter='\\t' in Python).")


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


def check_conlleval_tags(data: ConllevalData, *, scheme: Scheme = "IOB2", decoder: Decoder = "lenient") -> None:
    """Raise :class:`ConllevalInputError` at the first line whose gold or predicted tag ``scheme`` and
    ``decoder`` cannot read (conlleval.pl's own reading, ``compat=True``, reads every tag)."""
    tokens = ~(data.is_break | data.is_docstart)
    unreadable = []
    for tag_id in np.unique(np.concatenate([data.gold[tokens], data.pred[tokens]])).tolist():
        try:
            chunks([data.vocab[tag_id]], scheme=scheme, decoder=decoder)
        except ValueError:
            unreadable.append(tag_id)
    if not unreadable:
        return
    bad_gold, bad_pred = np.isin(data.gold, unreadable) & tokens, np.isin(data.pred, unreadable) & tokens
    row = int(np.flatnonzero(bad_gold | bad_pred)[0])
    column, tag_id = ("gold", data.gold[row]) if bad_gold[row] else ("predicted", data.pred[row])
    raise _error(data.path, row + 1, f"the {column} tag {data.vocab[tag_id]!r} cannot be read as a tag of scheme "
                 f"{scheme} by the {decoder} decoder ({len(unreadable)} unreadable tag(s) in the file).",
                 "a tag is O, or a prefix (B- I- E- S-, or B- I- L- U- for BILOU) and a type such as B-PERS: correct "
                 "the tag or pass the --scheme the file is written in. `--format conlleval --conlleval-compat` reads "
                 "any tag as conlleval.pl does.")


def conlleval_tag_sequences(path: str | Path, *, scheme: Scheme = "IOB2", decoder: Decoder = "lenient",
                            delimiter: str | None = None, raw: bool = False, o_tag: str = "O",
                            ) -> tuple[list[list[str]], list[list[str]]]:
    """Gold and predicted tags per sentence of a conlleval file, after the tag check of
    :func:`check_conlleval_tags` (which names the line of an unreadable tag: the sequences no longer
    know where a tag came from). Raises :class:`ConllevalInputError`."""
    data = read_conlleval(path, delimiter=delimiter, raw=raw, o_tag=o_tag)
    check_conlleval_tags(data, scheme=scheme, decoder=decoder)
    sequences = []
    for encoded in data.sentences():
        tags = np.asarray(encoded.vocab, dtype=object)[encoded.ids].tolist()
        bounds = encoded.offsets.tolist()
        sequences.append([tags[a:b] for a, b in itertools.pairwise(bounds)])
    return sequences[0], sequences[1]


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

    Raises
    ------
    ConllevalInputError (a ValueError)
        The file cannot be read, or (``compat=False``) holds a tag the decoder cannot read; the
        message names the file, the line and a fix.
    OSError
        The file cannot be opened.
    """
    data = read_conlleval(path, delimiter=delimiter, raw=raw, o_tag=o_tag)
    try:
        counts = conlleval_counts(data, compat=compat, scheme=scheme, decoder=decoder)
    except ValueError:
        check_conlleval_tags(data, scheme=scheme, decoder=decoder)  # names the line of the unreadable tag
        raise
    return format_conlleval(counts, latex=latex)


def _add_conlleval_flags(parser: argparse.ArgumentParser) -> None:
    """conlleval.pl's own options, the same for ``python -m eval.conlleval`` and ``akhbar eval``."""
    parser.add_argument("-l", dest="latex", action="store_true", help="LaTeX table output (conlleval.pl -l)")
    parser.add_argument("-r", dest="raw", action="store_true",
                        help="raw tags without B-/I- prefixes: every tag but the outside tag is a one-token chunk")
    parser.add_argument("-d", dest="delimiter", default=None, metavar="DELIM",
                        help="column delimiter, e.g. -d '\\t' for tab-separated columns whose tokens contain "
                        "spaces (default: runs of spaces and tabs)")
    parser.add_argument("-o", dest="o_tag", default="O", metavar="OTHER",
                        help="the outside tag of raw (-r) input (default O)")


class _Once(argparse.Action):
    """Store an option's value, refusing a second occurrence (the full command decides what that means)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            raise argparse.ArgumentError(self, "given twice")
        setattr(namespace, self.dest, values)


def conlleval_main(argv: Sequence[str]) -> int | None:
    """Serve ``akhbar eval --pred FILE --format conlleval`` with conlleval.pl's options and return the exit code.

    Accepted: ``--pred/-p FILE --format/-f conlleval [--scheme S] [--conlleval-compat] [--output F] [-l] [-r]
    [-d DELIM] [-o OTHER]`` (``argv`` starts with ``eval``). For any other command line it returns None
    and does nothing: the full ``akhbar eval`` command handles it and reports its errors.

    Why a second parser: this invocation competes with ``conlleval.pl`` on multi-million-token files,
    where the whole process must finish in well under a second; typer coerces every parameter through
    pydantic, which alone costs ~0.15 s of CPU per run. This module imports only the standard library,
    numpy and the tag vocabulary and CoNLL reader of :mod:`dataset_builder`.

    Exit codes: 0 report written; 2 input or usage error (``error: path:line: what. Fix: how.`` on stderr).
    """
    if len(argv) < 2 or argv[0] != "eval":
        return None
    parser = argparse.ArgumentParser(prog="akhbar eval", add_help=False, allow_abbrev=False, exit_on_error=False)
    for flags, dest in ((("--pred", "-p"), "pred"), (("--format", "-f"), "fmt"), (("--scheme",), "scheme"),
                        (("--output",), "output")):
        parser.add_argument(*flags, dest=dest, action=_Once)
    parser.add_argument("--conlleval-compat", dest="compat", action="store_true")
    _add_conlleval_flags(parser)
    try:
        args, rest = parser.parse_known_args(list(argv[1:]))
    except argparse.ArgumentError:
        return None
    scheme = args.scheme or "IOB2"
    pred = Path(args.pred) if args.pred else None
    if rest or args.fmt != "conlleval" or pred is None or scheme not in SCHEMES:
        return None
    if not pred.is_file() or pred.suffix.lower() in (".json", ".jsonl"):
        return None  # not a CoNLL file: the full command says what is wrong
    try:
        report = run_conlleval_file(pred, scheme=scheme, compat=args.compat or scheme in ("IOB1", "IOB2"),
                                    delimiter=args.delimiter, raw=args.raw, o_tag=args.o_tag, latex=args.latex)
    except ConllevalInputError as exc:
        return _usage_error(str(exc))  # already located as path:line, with its fix
    except (OSError, ValueError) as exc:
        return _usage_error(f"{pred}: {exc}")
    if args.output is None:
        sys.stdout.write(report)
        sys.stdout.flush()
        return 0
    output = Path(args.output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
    except OSError as exc:
        return _usage_error(f"{output}: cannot write the report ({exc.strerror}).",
                            "Pass --output a path in a writable folder.")
    print(f"wrote {output}", file=sys.stderr)
    return 0


def _usage_error(message: str, fix: str | None = None) -> int:
    print(f"error: {message}" + (f" Fix: {fix}" if fix else ""), file=sys.stderr)
    return int(ExitCode.USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m eval.conlleval [-l] [-r] [-d DELIM] [-o OTAG] [--no-compat] [--scheme S] [FILE]``."""
    parser = argparse.ArgumentParser(prog="python -m eval.conlleval",
                                     description="conlleval.pl, exactly and fast. Reads FILE (or stdin).")
    parser.add_argument("file", nargs="?", help="evaluation file; stdin when omitted")
    _add_conlleval_flags(parser)
    parser.add_argument("--no-compat", dest="compat", action="store_false",
                        help="decode chunks correctly (IOBES) instead of conlleval.pl's way")
    parser.add_argument("--scheme", default="IOB2", choices=SCHEMES)
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
