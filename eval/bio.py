"""Decode chunk tags (BIO and its relatives) into spans, one sentence or a whole corpus at a time.

Three decoders are provided, each reproducing a reference implementation exactly:

``decoder="lenient"`` (default)
    seqeval's default mode (``seqeval.metrics.sequence_labeling.get_entities``), which is
    conlleval.pl's logic extended to ``E-``/``S-`` tags. A chunk starts at ``B-`` or ``S-``, at an
    ``I-``/``E-`` that follows ``O``, ``E-`` or ``S-``, and wherever the type changes; it ends before
    ``B-``/``S-``/``O`` after ``B-``/``I-``, after every ``E-`` and ``S-``, and wherever the type
    changes. An ``I-`` after ``O`` therefore starts a chunk (CoNLL-2000 "IOB1-tolerant" reading).
    For tags made only of ``B``/``I``/``O`` this is *identical* to conlleval.pl (checked by property
    tests against the real script), so it is the decoder behind every CoNLL-2003-style number.
    With ``scheme="BILOU"`` the letters ``L``/``U`` are read as ``E``/``S`` (seqeval itself does
    not know them in its default mode).

``decoder="lenient", conlleval_compat=True``
    conlleval.pl (version 2004-01-26, Erik Tjong Kim Sang) bit for bit, including its handling of
    the ``[`` and ``]`` single-token chunk tags and of the ``.`` tag, which is outside like ``O``.
    Types are split at the *first* hyphen and the type ``"0"`` is read as empty, as Perl does.

``decoder="strict"``
    seqeval ``mode="strict"`` with ``scheme=IOB1/IOB2/IOE1/IOE2/IOBES/BILOU`` (``seqeval.scheme``):
    a chunk must start and end with the tags the scheme prescribes; chunks that do not are dropped
    (``B-PER I-PER`` is dropped under IOBES, an ``I-PER`` after ``O`` is dropped under IOB2). A
    prefix the scheme does not allow raises ``ValueError`` (as seqeval does).

Where conlleval.pl is wrong (IOBES / BILOU)
-------------------------------------------
conlleval.pl knows only ``B``, ``I``, ``E`` (for the IOE representations), ``O``, ``[``, ``]`` and
``.``. It has no rule for ``S``, and none for ``B`` after ``E``, so under IOBES it *merges*
adjacent chunks of one type whenever the boundary between them is written with ``S-`` or an
``E-``/``B-`` pair::

    tags        S-PER  S-PER  B-LOC  E-LOC  B-LOC  E-LOC  B-ORG  S-ORG
    conlleval   [PER 0:2 ]    [LOC 2:6                 ]  [ORG 6:8   ]   -> 3 chunks
    correct     [PER][PER]    [LOC 2:4   ]  [LOC 4:6   ]  [ORG][ORG]     -> 6 chunks

(``S-PER S-PER``: ``S`` after ``S`` of the same type is neither an end nor a start for conlleval;
``E-LOC B-LOC``: ``B`` starts a chunk only after ``B``, ``I`` or ``O``.) Both gold and predicted
chunks are merged the same way, so scores on IOBES files are silently wrong, usually too high or
too low by a few tenths. ``conlleval_compat=False`` (the default) decodes these correctly; pass
``conlleval_compat=True`` only to reproduce a published conlleval.pl number.

seqeval's default mode versus conlleval.pl
------------------------------------------
* ``B``/``I``/``O`` tags (IOB1, IOB2): identical chunks, hence identical scores.
* ``E``/``S`` tags: seqeval ends a chunk after every ``E``/``S`` and starts one at every ``B``/``S``,
  so it decodes IOBES as shown above ("correct"); conlleval.pl merges.
* Bare tags without a type (``B``): seqeval names the type ``_``, conlleval.pl the empty string.
* ``[``, ``]``: single-token chunks in conlleval.pl only.

Positions
---------
``chunks`` returns ``(start, end, type)`` with *token* offsets, ``end`` exclusive (seqeval's
``get_entities`` returns inclusive ends; conlleval.pl no offsets at all).

The corpus-level functions (:func:`encode_tags`, :func:`decode`) work on flat numpy arrays:
one tag id per token and sentence offsets. Each decoder is a handful of vectorized passes over
the corpus laid out with one ``O`` between sentences, so time is linear in the number of tokens
and does not depend on how it is split into sentences.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

# One scheme vocabulary for builder and evaluator: the names, and the prefixes each scheme uses.
from dataset_builder.tags import PREFIXES, SCHEMES, Scheme
from eval.types import Mention

__all__ = [
    "SCHEMES",
    "Chunks",
    "Decoder",
    "EncodedTags",
    "Scheme",
    "chunks",
    "conlleval_boundaries",
    "decode",
    "encode_tags",
    "mentions_from_tags",
]

Decoder = Literal["lenient", "strict"]

# Prefix codes. Lenient decoders use O..OTHER; the strict decoder uses O..U.
P_O, P_B, P_I, P_E, P_S, P_L, P_U, P_OPEN, P_CLOSE, P_DOT, P_OTHER = range(11)
N_PREFIXES = 11
_LETTER_CODES = {"O": P_O, "B": P_B, "I": P_I, "E": P_E, "S": P_S, "L": P_L, "U": P_U}


class _TagVocab(dict[str, int]):
    """Tag string -> id, assigning the next id to an unseen tag (used with ``map`` for speed)."""

    def __missing__(self, tag: str) -> int:
        index = self[tag] = len(self)
        return index


@dataclass(frozen=True, slots=True)
class EncodedTags:
    """Tag sequences as flat arrays.

    Attributes
    ----------
    ids : ndarray of int32, shape (n_tokens,)
        Tag id of every token, sentences concatenated.
    offsets : ndarray of int64, shape (n_sentences + 1,)
        Sentence ``i`` is ``ids[offsets[i]:offsets[i + 1]]``.
    vocab : tuple of str
        Tag string of each id.
    """

    ids: np.ndarray
    offsets: np.ndarray
    vocab: tuple[str, ...]

    @property
    def n_sentences(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def encode_tags(*corpora: Sequence[Sequence[str]]) -> tuple[EncodedTags, ...]:
    """Encode one or more tag corpora with one shared vocabulary.

    Parameters
    ----------
    *corpora : sequences of sequences of str
        Each a list of sentences, each sentence a list of tags (e.g. ``y_true`` and ``y_pred``).

    Returns
    -------
    tuple of EncodedTags
        One per corpus, all with the same ``vocab``.
    """
    vocab = _TagVocab()
    encoded: list[tuple[np.ndarray, np.ndarray]] = []
    for sentences in corpora:
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        offsets = np.zeros(len(sentences) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        total = int(offsets[-1])
        ids = np.fromiter(map(vocab.__getitem__, itertools.chain.from_iterable(sentences)),
                          dtype=np.int32, count=total)
        encoded.append((ids, offsets))
    names = tuple(vocab)
    return tuple(EncodedTags(ids, offsets, names) for ids, offsets in encoded)


@dataclass(frozen=True, slots=True)
class Chunks:
    """Decoded chunks of a corpus: sentence index, token start, token end (exclusive), type id."""

    sentence: np.ndarray
    start: np.ndarray
    end: np.ndarray
    type_id: np.ndarray
    types: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.start)

    def labels(self) -> list[str]:
        return [self.types[i] for i in self.type_id.tolist()]


# ------------------------------------------------------------------------------------- tag parsing

_CONLLEVAL_TAG = re.compile(r"([^-]*)-(.*)", re.DOTALL)


def _parse_conlleval(tag: str) -> tuple[int, str]:
    """conlleval.pl: split at the first hyphen; the type ``"0"`` is false in Perl, hence empty."""
    match = _CONLLEVAL_TAG.fullmatch(tag)
    prefix, type_ = (match.group(1), match.group(2)) if match else (tag, "")
    if type_ == "0":
        type_ = ""
    code = {"O": P_O, "B": P_B, "I": P_I, "E": P_E, "[": P_OPEN, "]": P_CLOSE, ".": P_DOT}.get(prefix, P_OTHER)
    return code, type_


def _parse_seqeval_default(tag: str, scheme: str) -> tuple[int, str]:
    """seqeval ``get_entities``: the prefix is the first character, the type what follows ``-``."""
    if not tag:
        raise ValueError("empty tag: every token needs a tag such as 'O' or 'B-PERS'.")
    letter = tag[0]
    if scheme == "BILOU":
        letter = {"L": "E", "U": "S"}.get(letter, letter)
    code = {"O": P_O, "B": P_B, "I": P_I, "E": P_E, "S": P_S, ".": P_DOT}.get(letter)
    if code is None:
        raise ValueError(
            f"tag {tag!r} does not start with B, I, E, S or O; the lenient decoder reads prefix tags such as "
            f"'B-PERS' (use conlleval_compat=True to read any tag the way conlleval.pl does).")
    return code, tag[1:].split("-", 1)[-1] or "_"


# The prefixes each scheme allows come from the shared vocabulary in dataset_builder.tags.
_ALLOWED: dict[str, frozenset[int]] = {
    scheme: frozenset({P_O, *(_LETTER_CODES[prefix] for prefix in prefixes)}) for scheme, prefixes in PREFIXES.items()
}


def _parse_strict(tag: str, scheme: str) -> tuple[int, str]:
    """seqeval ``Token``: prefix letter first, type = the rest stripped of ``-`` (``_`` if empty)."""
    code = _LETTER_CODES.get(tag[:1])
    if code is None or code not in _ALLOWED[scheme]:
        allowed = "".join(sorted(k for k, v in _LETTER_CODES.items() if v in _ALLOWED[scheme]))
        raise ValueError(f"invalid tag {tag!r} for scheme {scheme}: the prefix must be one of {allowed}.")
    return code, tag[1:].strip("-") or "_"


# Strict patterns, as in seqeval.scheme: (previous prefixes, current prefixes, type condition)
# with condition "same", "diff" or "any". ANY matches every prefix.
_ANY = frozenset(range(N_PREFIXES))
_Pattern = tuple[frozenset[int], frozenset[int], str]


def _p(prev: set[int] | frozenset[int], cur: set[int] | frozenset[int], cond: str) -> _Pattern:
    return frozenset(prev), frozenset(cur), cond


_STRICT_PATTERNS: dict[str, dict[str, tuple[_Pattern, ...]]] = {
    "IOB1": {
        "start": (_p({P_O}, {P_I}, "any"), _p({P_I}, {P_I}, "diff"), _p({P_B}, {P_I}, "any"),
                  _p({P_I}, {P_B}, "same"), _p({P_B}, {P_B}, "same")),
        "inside": (_p({P_B}, {P_I}, "same"), _p({P_I}, {P_I}, "same")),
        "end": (_p({P_I}, {P_I}, "diff"), _p({P_I}, {P_O}, "any"), _p({P_I}, {P_B}, "any"),
                _p({P_B}, {P_O}, "any"), _p({P_B}, {P_I}, "diff"), _p({P_B}, {P_B}, "same")),
    },
    "IOE1": {
        "start": (_p({P_O}, {P_I}, "any"), _p({P_I}, {P_I}, "diff"), _p({P_E}, {P_I}, "any"),
                  _p({P_E}, {P_E}, "same")),
        "inside": (_p({P_I}, {P_I}, "same"), _p({P_I}, {P_E}, "same")),
        "end": (_p({P_I}, {P_I}, "diff"), _p({P_I}, {P_O}, "any"), _p({P_I}, {P_E}, "diff"),
                _p({P_E}, {P_I}, "same"), _p({P_E}, {P_E}, "same")),
    },
    "IOB2": {
        "start": (_p(_ANY, {P_B}, "any"),),
        "inside": (_p({P_B}, {P_I}, "same"), _p({P_I}, {P_I}, "same")),
        "end": (_p({P_I}, {P_O}, "any"), _p({P_I}, {P_I}, "diff"), _p({P_I}, {P_B}, "any"),
                _p({P_B}, {P_O}, "any"), _p({P_B}, {P_I}, "diff"), _p({P_B}, {P_B}, "any")),
    },
    "IOE2": {
        "start": (_p({P_O}, {P_I}, "any"), _p({P_O}, {P_E}, "any"), _p({P_E}, {P_I}, "any"),
                  _p({P_E}, {P_E}, "any"), _p({P_I}, {P_I}, "diff"), _p({P_I}, {P_E}, "diff")),
        "inside": (_p({P_I}, {P_E}, "same"), _p({P_I}, {P_I}, "same")),
        "end": (_p({P_E}, _ANY, "any"),),
    },
    "IOBES": {
        "start": (_p(_ANY, {P_B}, "any"), _p(_ANY, {P_S}, "any")),
        "inside": (_p({P_B}, {P_I}, "same"), _p({P_B}, {P_E}, "same"), _p({P_I}, {P_I}, "same"),
                   _p({P_I}, {P_E}, "same")),
        "end": (_p({P_S}, _ANY, "any"), _p({P_E}, _ANY, "any")),
    },
    "BILOU": {
        "start": (_p(_ANY, {P_B}, "any"), _p(_ANY, {P_U}, "any")),
        "inside": (_p({P_B}, {P_I}, "same"), _p({P_B}, {P_L}, "same"), _p({P_I}, {P_I}, "same"),
                   _p({P_I}, {P_L}, "same")),
        "end": (_p({P_U}, _ANY, "any"), _p({P_L}, _ANY, "any")),
    },
}


def _pattern_table(patterns: tuple[_Pattern, ...]) -> np.ndarray:
    """Boolean table ``[previous prefix, prefix, same type]`` for a set of patterns."""
    table = np.zeros((N_PREFIXES, N_PREFIXES, 2), dtype=bool)
    for prev, cur, cond in patterns:
        for a in prev:
            for b in cur:
                if cond in ("same", "any"):
                    table[a, b, 1] = True
                if cond in ("diff", "any"):
                    table[a, b, 0] = True
    return table


_STRICT_TABLES = {
    scheme: {kind: _pattern_table(pats) for kind, pats in kinds.items()}
    for scheme, kinds in _STRICT_PATTERNS.items()
}


# Prefix membership is tested with one bit per prefix code (cheaper than table look-ups on
# million-element arrays): _bits turns codes into flags, the masks below select sets of prefixes.
def _mask(*codes: int) -> np.uint16:
    return np.uint16(sum(1 << c for c in codes))


def _bits(prefix: np.ndarray) -> np.ndarray:
    return np.left_shift(np.uint16(1), prefix.astype(np.uint16))


def _has(bits: np.ndarray, mask: np.uint16) -> np.ndarray:
    return (bits & mask) != 0


_M_B, _M_E, _M_OPEN_CLOSE = _mask(P_B), _mask(P_E), _mask(P_OPEN, P_CLOSE)
_M_BI, _M_BO, _M_EIO, _M_BIO = _mask(P_B, P_I), _mask(P_B, P_O), _mask(P_E, P_I, P_O), _mask(P_B, P_I, P_O)
_M_IE, _M_O, _M_OUTSIDE_LIKE = _mask(P_I, P_E), _mask(P_O), _mask(P_O, P_DOT)
_M_ES, _M_BSO, _M_BS, _M_ESO = _mask(P_E, P_S), _mask(P_B, P_S, P_O), _mask(P_B, P_S), _mask(P_E, P_S, P_O)


# ------------------------------------------------------------------------------------ the decoders


@dataclass(frozen=True, slots=True)
class _VocabCodes:
    prefix: np.ndarray  # prefix code per tag id
    type_id: np.ndarray  # type id per tag id
    types: list[str]  # type string per type id; types[0] is the sentinel type


def _vocab_codes(vocab: Sequence[str], flavour: str, scheme: str, sentinel_type: str) -> _VocabCodes:
    types = {sentinel_type: 0}
    prefix = np.empty(len(vocab), dtype=np.int8)
    type_id = np.empty(len(vocab), dtype=np.int32)
    for index, tag in enumerate(vocab):
        if flavour == "conlleval":
            code, type_ = _parse_conlleval(tag)
        elif flavour == "seqeval":
            code, type_ = _parse_seqeval_default(tag, scheme)
        else:
            code, type_ = _parse_strict(tag, scheme)
        prefix[index] = code
        type_id[index] = types.setdefault(type_, len(types))
    return _VocabCodes(prefix, type_id, list(types))


def conlleval_boundaries(prev_prefix: np.ndarray, prefix: np.ndarray, same_type: np.ndarray,
                         ) -> tuple[np.ndarray, np.ndarray]:
    """conlleval.pl's ``endOfChunk`` and ``startOfChunk`` for every pair of consecutive rows.

    Parameters
    ----------
    prev_prefix, prefix : ndarray of int8
        Prefix codes of the previous and the current row.
    same_type : ndarray of bool
        Whether the previous and the current row have the same type.

    Returns
    -------
    ended, started : ndarray of bool
        A chunk ended between the two rows; a chunk starts at the current row.
    """
    type_change = ~same_type
    pb, b = _bits(prev_prefix), _bits(prefix)
    # endOfChunk: B|I before B|O, E before E|I|O, a type change after anything but O and ".",
    # and after the one-token "[" and "]" chunks.
    ended = ((_has(pb, _M_BI) & _has(b, _M_BO)) | (_has(pb, _M_E) & _has(b, _M_EIO))
             | (~_has(pb, _M_OUTSIDE_LIKE) & type_change) | _has(pb, _M_OPEN_CLOSE))
    # startOfChunk: B after B|I|O, I|E after O, E|I after E, a type change at anything but O and
    # ".", and every "[" and "]".
    started = ((_has(b, _M_B) & _has(pb, _M_BIO)) | (_has(pb, _M_O) & _has(b, _M_IE))
               | (_has(pb, _M_E) & _has(b, _M_IE)) | (~_has(b, _M_OUTSIDE_LIKE) & type_change)
               | _has(b, _M_OPEN_CLOSE))
    return ended, started


def _layout(encoded: EncodedTags, codes: _VocabCodes, first_type: int, sentinel_type: int,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prefix and type arrays with one outside row before, between and after sentences.

    Returns prefix, type and the layout position of each sentence's first token.
    """
    n_sent = encoded.n_sentences
    size = len(encoded.ids) + n_sent + 1
    first = encoded.offsets[:-1] + np.arange(1, n_sent + 1)
    # Outside row k sits at offsets[k] + k (before sentence k; the last one after the last sentence).
    # A boolean mask scatter is several times faster than scattering through token positions.
    token_row = np.ones(size, dtype=bool)
    token_row[encoded.offsets + np.arange(n_sent + 1)] = False
    prefix = np.full(size, P_O, dtype=np.int8)
    types = np.full(size, sentinel_type, dtype=np.int32)
    prefix[token_row] = codes.prefix[encoded.ids]
    types[token_row] = codes.type_id[encoded.ids]
    types[0] = first_type
    return prefix, types, first


def _finish(begin: np.ndarray, end: np.ndarray, type_ids: np.ndarray, encoded: EncodedTags, first: np.ndarray,
            types: list[str]) -> Chunks:
    """Layout positions -> (sentence, local start, local end).

    Chunks of ill-formed tag sets can run over a separator row under conlleval.pl's rules (a tag it
    has no rule for is never ended by ``O``); they are cut at the end of their sentence.
    """
    sentence = np.searchsorted(first, begin, side="right") - 1
    base = first[sentence]
    end = np.minimum(end, base + encoded.lengths[sentence])
    keep = end > begin
    sentence, base, begin, end = sentence[keep], base[keep], begin[keep], end[keep]
    return Chunks(sentence.astype(np.int64), (begin - base).astype(np.int64), (end - base).astype(np.int64),
                  type_ids[keep].astype(np.int32), tuple(types))


def _decode_seqeval_default(encoded: EncodedTags, scheme: str) -> Chunks:
    codes = _vocab_codes(encoded.vocab, "seqeval", scheme, "_")
    # seqeval starts with prev_type '' (not '_', the type of 'O'): type id 1 is reserved for it.
    types = ["_", "", *codes.types[1:]]
    type_ids = np.where(codes.type_id == 0, 0, codes.type_id + 1)
    prefix, typ, first = _layout(encoded, _VocabCodes(codes.prefix, type_ids, types), 1, 0)
    bits = _bits(prefix)
    pb, b = bits[:-1], bits[1:]
    change = typ[:-1] != typ[1:]
    ended = _has(pb, _M_ES) | (_has(pb, _M_BI) & _has(b, _M_BSO)) | (~_has(pb, _M_OUTSIDE_LIKE) & change)
    started = _has(b, _M_BS) | (_has(b, _M_IE) & _has(pb, _M_ESO)) | (~_has(b, _M_OUTSIDE_LIKE) & change)
    start_pos = np.flatnonzero(started) + 1
    end_pos = np.flatnonzero(ended) + 1  # a chunk ended just before this row
    # seqeval emits one chunk per end, from the latest start before it (begin offset 0 if none).
    which = np.searchsorted(start_pos, end_pos, side="left") - 1
    begin = np.where(which >= 0, start_pos[np.maximum(which, 0)], 1)
    return _finish(begin, end_pos, typ[end_pos - 1], encoded, first, types)


def _decode_conlleval(encoded: EncodedTags) -> Chunks:
    codes = _vocab_codes(encoded.vocab, "conlleval", "IOB2", "")
    prefix, typ, first = _layout(encoded, codes, 0, 0)
    ended, started = conlleval_boundaries(prefix[:-1], prefix[1:], typ[:-1] == typ[1:])
    start_pos = np.flatnonzero(started) + 1
    # A chunk runs from its start to the next row where conlleval.pl sees an end or another start.
    stop = np.flatnonzero(ended | started) + 1
    nxt = np.searchsorted(stop, start_pos, side="right")
    end_pos = np.where(nxt < len(stop), stop[np.minimum(nxt, len(stop) - 1)], len(prefix))
    return _finish(start_pos, end_pos, typ[start_pos], encoded, first, codes.types)


def _decode_strict(encoded: EncodedTags, scheme: str) -> Chunks:
    codes = _vocab_codes(encoded.vocab, "strict", scheme, "_")
    prefix, typ, first = _layout(encoded, codes, 0, 0)
    tables = _STRICT_TABLES[scheme]
    pp, p = prefix[:-1], prefix[1:]
    same = (typ[:-1] == typ[1:]).astype(np.int8)
    size = len(prefix)
    is_start = np.zeros(size, dtype=bool)
    inside = np.zeros(size, dtype=bool)
    is_end = np.zeros(size, dtype=bool)
    is_start[1:] = tables["start"][pp, p, same]
    inside[1:] = tables["inside"][pp, p, same]
    is_end[1:] = tables["end"][pp, p, same]
    # seqeval scans left to right: at a start it jumps past the run of 'inside' rows that follows.
    # Rows that are not inside are always visited; an inside row is visited only if no start before
    # it in the same inside-run (or just before the run) has already swallowed it.
    index = np.arange(size)
    run_head_mark = inside & ~np.concatenate(([False], inside[:-1]))
    run_head = np.maximum.accumulate(np.where(run_head_mark, index, 0))
    inside_start = is_start & inside
    last_inside_start = np.maximum.accumulate(np.where(inside_start, index, -1))
    previous_inside_start = np.concatenate(([-1], last_inside_start[:-1]))
    first_in_run = previous_inside_start < run_head
    visited = is_start & (~inside | (first_in_run & ~is_start[np.maximum(run_head - 1, 0)]))
    start_pos = np.flatnonzero(visited)
    not_inside = np.where(~inside, index, size)
    next_not_inside = np.minimum.accumulate(not_inside[::-1])[::-1]
    end_pos = next_not_inside[np.minimum(start_pos + 1, size - 1)]
    keep = is_end[end_pos]
    start_pos, end_pos = start_pos[keep], end_pos[keep]
    return _finish(start_pos, end_pos, typ[start_pos], encoded, first, codes.types)


def _check_scheme(scheme: str, decoder: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}.")
    if decoder not in ("lenient", "strict"):
        raise ValueError(f"unknown decoder {decoder!r}; choose 'lenient' (conlleval/seqeval default) or 'strict'.")


def decode(encoded: EncodedTags, *, scheme: Scheme = "IOB2", decoder: Decoder = "lenient",
           conlleval_compat: bool = False) -> Chunks:
    """Decode every sentence of an encoded corpus at once (vectorized; linear in the tokens).

    Parameters
    ----------
    encoded : EncodedTags
        From :func:`encode_tags`.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, default="IOB2"
        Tagging scheme. The strict decoder validates against it; the lenient decoder reads every
        B/I/E/S/O prefix whatever the scheme, and uses the scheme only to read ``L``/``U`` as
        ``E``/``S`` under BILOU.
    decoder : {"lenient", "strict"}, default="lenient"
        See the module documentation.
    conlleval_compat : bool, default=False
        With the lenient decoder, reproduce conlleval.pl exactly, including its IOBES merging.

    Returns
    -------
    Chunks
        Sorted by sentence, then start.
    """
    _check_scheme(scheme, decoder)
    if decoder == "strict":
        if conlleval_compat:
            raise ValueError("conlleval_compat=True reproduces conlleval.pl, which has no strict mode; "
                             "use decoder='lenient' with it.")
        return _decode_strict(encoded, scheme)
    if conlleval_compat:
        return _decode_conlleval(encoded)
    return _decode_seqeval_default(encoded, scheme)


def chunks(tags: Sequence[str], scheme: Scheme = "IOB2", *, decoder: Decoder = "lenient",
           conlleval_compat: bool = False) -> list[tuple[int, int, str]]:
    """Chunks of one tag sequence.

    Parameters
    ----------
    tags : sequence of str
        One sentence, e.g. ``["B-PERS", "I-PERS", "O"]``.
    scheme, decoder, conlleval_compat
        As in :func:`decode`.

    Returns
    -------
    list of (start, end, type)
        Token offsets with ``end`` exclusive, in order of ``start``.

    Examples
    --------
    >>> chunks(["B-PERS", "I-PERS", "O", "I-LOC"])
    [(0, 2, 'PERS'), (3, 4, 'LOC')]
    >>> chunks(["B-PERS", "I-PERS", "O", "I-LOC"], decoder="strict")
    [(0, 2, 'PERS')]
    >>> chunks(["S-PERS", "S-PERS"], "IOBES")
    [(0, 1, 'PERS'), (1, 2, 'PERS')]
    >>> chunks(["S-PERS", "S-PERS"], "IOBES", conlleval_compat=True)
    [(0, 2, 'PERS')]
    """
    (encoded,) = encode_tags([list(tags)])
    found = decode(encoded, scheme=scheme, decoder=decoder, conlleval_compat=conlleval_compat)
    return list(zip(found.start.tolist(), found.end.tolist(), found.labels(), strict=True))


def mentions_from_tags(sequences: Sequence[Sequence[str]], *, scheme: Scheme = "IOB2",
                       decoder: Decoder = "lenient", doc_ids: Sequence[str] | None = None,
                       layer: str = "entities", conlleval_compat: bool = False) -> list[Mention]:
    """Mentions (token offsets) decoded from tag sequences.

    Parameters
    ----------
    sequences : sequence of sequences of str
        One tag sequence per sentence (or document).
    scheme, decoder, conlleval_compat
        As in :func:`decode`.
    doc_ids : sequence of str, optional
        Id of each sequence; defaults to the sequence index as a string (``"0"``, ``"1"``, ...).
    layer : str, default="entities"
        Layer name given to every mention.

    Returns
    -------
    list of Mention
        In sequence order, then by start.
    """
    if doc_ids is not None and len(doc_ids) != len(sequences):
        raise ValueError(f"doc_ids has {len(doc_ids)} ids for {len(sequences)} sequences; give one id per sequence.")
    (encoded,) = encode_tags(sequences)
    found = decode(encoded, scheme=scheme, decoder=decoder, conlleval_compat=conlleval_compat)
    names = list(doc_ids) if doc_ids is not None else None
    out: list[Mention] = []
    for sentence, start, end, label in zip(found.sentence.tolist(), found.start.tolist(), found.end.tolist(),
                                           found.labels(), strict=True):
        doc_id = names[sentence] if names is not None else str(sentence)
        out.append(Mention(doc_id, start, end, label, layer))
    return out
