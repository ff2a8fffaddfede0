"""Tag-scheme codec: token tag sequences <-> chunks, for IOB1, IOB2, IOE1, IOE2, IOBES and BILOU.

A *chunk* is ``(start, end, type)`` in token indices, ``end`` exclusive. A *tag* is ``"O"`` or
``"<prefix>-<type>"``; the type is everything after the first hyphen, so fine-grained types such
as ``B-Population-Center`` keep their hyphens.

The six schemes (Ramshaw & Marcus 1995; Tjong Kim Sang & Veenstra 1999; Ratinov & Roth 2009):

=======  ===========  ==============================================================
scheme   prefixes     a chunk is written as
=======  ===========  ==============================================================
IOB1     I, B         ``I I I``; ``B`` only on the first token of a chunk that directly
                      follows a chunk of the same type
IOB2     B, I         ``B I I``
IOE1     I, E         ``I I I``; ``E`` only on the last token of a chunk that directly
                      precedes a chunk of the same type
IOE2     I, E         ``I I E``
IOBES    B, I, E, S   ``B I E``, or ``S`` for one token
BILOU    B, I, L, U   ``B I L``, or ``U`` for one token
=======  ===========  ==============================================================

Ill-formed sequences
--------------------
A sequence is ill-formed in two ways, and both are detected for every scheme where they can occur:

* **orphan continuation**: a tag that can only continue a chunk (``I-`` in IOB2, IOBES and BILOU;
  ``E-``/``L-`` in IOBES and BILOU) does not follow a chunk of the same type, e.g. ``O I-PERS`` or a
  type change inside a run, ``B-PERS I-LOC``;
* **unclosed chunk**: in a scheme where every chunk is closed by its own tag (IOE2, IOBES, BILOU)
  a chunk stops without it, e.g. IOBES ``B-LOC I-LOC O``.

What is done about them is a named *repair policy*, and every decision is returned as a
:class:`Repair`, so a caller can report it:

* ``"begin"`` (default): an orphan continuation starts a new chunk, and an unclosed chunk ends where
  its run stops. For IOB2 this is exactly conlleval.pl and seqeval's default decoding.
* ``"drop"``: only chunks that are well-formed under the scheme are kept; every token of an
  ill-formed run is read as ``O``. For IOB2 this counts exactly the ``B-`` starts.
* ``"strict"``: the same reading as ``"drop"``, but :func:`decode` raises
  :class:`IllFormedTagsError` carrying every violation (and the well-formed chunks).

Tags that merely use a scheme's freedom are *not* repairs: IOB1 ``O B-X`` (a ``B`` where ``I`` was
expected) and IOE1 ``E-X O`` mean exactly one chunk and are read as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple, get_args

Scheme = Literal["IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"]
RepairPolicy = Literal["begin", "drop", "strict"]
RepairKind = Literal["orphan", "unclosed"]
RepairAction = Literal["begin", "close", "drop", "reject"]

SCHEMES: tuple[Scheme, ...] = get_args(Scheme)
REPAIR_POLICIES: tuple[RepairPolicy, ...] = get_args(RepairPolicy)

OUTSIDE = "O"

# Scheme prefixes mapped onto four roles: begin, inside, end, single. BILOU's L and U are E and S.
_ROLES: dict[Scheme, dict[str, str]] = {
    "IOB1": {"B": "B", "I": "I"},
    "IOB2": {"B": "B", "I": "I"},
    "IOE1": {"I": "I", "E": "E"},
    "IOE2": {"I": "I", "E": "E"},
    "IOBES": {"B": "B", "I": "I", "E": "E", "S": "S"},
    "BILOU": {"B": "B", "I": "I", "L": "E", "U": "S"},
}
PREFIXES: dict[Scheme, frozenset[str]] = {scheme: frozenset(roles) for scheme, roles in _ROLES.items()}

# Schemes in which an I- tag after a different type legitimately opens a chunk.
_INSIDE_MAY_START: frozenset[str] = frozenset({"IOB1", "IOE1", "IOE2"})
# Schemes in which an E- tag after a different type is a legitimate one-token chunk.
_END_MAY_START: frozenset[str] = frozenset({"IOE1", "IOE2"})
# Schemes in which every chunk must be closed by its own end tag (E/L, or S/U for one token).
_EXPLICIT_END: frozenset[str] = frozenset({"IOE2", "IOBES", "BILOU"})
# Prefix that closes a chunk / writes a one-token chunk, for messages.
_END_PREFIX: dict[str, tuple[str, str | None]] = {"IOE2": ("E", None), "IOBES": ("E", "S"), "BILOU": ("L", "U")}


class Chunk(NamedTuple):
    """A run of tokens ``[start, end)`` of one type; a plain tuple ``(start, end, type)``."""

    start: int
    end: int
    type: str


class TagError(ValueError):
    """A tag that is not ``O`` or ``<prefix>-<type>``, or whose prefix the scheme does not use."""


@dataclass(frozen=True, slots=True)
class Repair:
    """One decision taken on an ill-formed tag sequence.

    Attributes
    ----------
    index : int
        Token where the sequence is ill-formed: the orphan tag, or the last token of an unclosed chunk.
    tag : str
        The tag found at ``index``, as written.
    kind : {"orphan", "unclosed"}
        What is wrong (see the module docstring).
    action : {"begin", "close", "drop", "reject"}
        What was done: started a chunk, closed the chunk at ``index``, read the tokens
        ``[start, end)`` as ``O``, or (policy ``"strict"``) nothing but the report.
    policy : {"begin", "drop", "strict"}
        The repair policy that decided.
    start, end : int
        Tokens the decision concerns: ``[index, index + 1)`` for an orphan, the whole chunk when unclosed.
    message : str
        One sentence saying what was wrong and what was done.
    """

    index: int
    tag: str
    kind: RepairKind
    action: RepairAction
    policy: RepairPolicy
    start: int
    end: int
    message: str


class IllFormedTagsError(ValueError):
    """Raised by :func:`decode` with ``repair="strict"`` when a sequence is ill-formed.

    ``violations`` lists every problem found (as :class:`Repair` records with action ``"reject"``);
    ``chunks`` holds the well-formed chunks, i.e. what ``repair="drop"`` would return.
    """

    def __init__(self, violations: Sequence[Repair], chunks: Sequence[Chunk]) -> None:
        self.violations = tuple(violations)
        self.chunks = tuple(chunks)
        first = self.violations[0].message if self.violations else ""
        more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        super().__init__(f"ill-formed tag sequence: {first}{more}")


@lru_cache(maxsize=8192)
def parse_tag(tag: str) -> tuple[str, str]:
    """Split a tag into ``(prefix, type)``; ``"O"`` gives ``("O", "")``.

    Parameters
    ----------
    tag : str
        ``"O"`` or ``"<prefix>-<type>"`` where prefix is one of ``B I E S L U``.

    Returns
    -------
    prefix, type : tuple of str

    Raises
    ------
    TagError
        If the tag has no known prefix or an empty type.

    Examples
    --------
    >>> parse_tag("B-Population-Center")
    ('B', 'Population-Center')
    >>> parse_tag("O")
    ('O', '')
    """
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, sep, type_ = tag.partition("-")
    if not sep or prefix not in {"B", "I", "E", "S", "L", "U"} or not type_ or type_ != type_.strip():
        raise TagError(f"{tag!r} is not a tag: expected 'O' or '<B|I|E|S|L|U>-<TYPE>', e.g. 'B-PERS'.")
    return prefix, type_


def check_tag(tag: str, scheme: Scheme) -> tuple[str, str]:
    """:func:`parse_tag`, also requiring the prefix to belong to ``scheme``."""
    prefix, type_ = parse_tag(tag)
    if prefix != OUTSIDE and prefix not in PREFIXES[scheme]:
        allowed = ", ".join(sorted(PREFIXES[scheme]))
        raise TagError(f"{tag!r} uses prefix {prefix!r}, which scheme {scheme} does not have (it uses {allowed}, O).")
    return prefix, type_


def _check_scheme(scheme: str) -> Scheme:
    if scheme not in PREFIXES:
        raise ValueError(f"unknown tag scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    return scheme  # type: ignore[return-value]


def decode(
    tags: Sequence[str], scheme: Scheme = "IOB2", *, repair: RepairPolicy = "begin"
) -> tuple[list[Chunk], list[Repair]]:
    """Read the chunks a tag sequence encodes.

    Parameters
    ----------
    tags : sequence of str
        One tag per token, e.g. ``["B-PERS", "I-PERS", "O"]``.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, default="IOB2"
        The scheme the tags are written in.
    repair : {"begin", "drop", "strict"}, default="begin"
        What to do with ill-formed stretches (see the module docstring).

    Returns
    -------
    chunks : list of Chunk
        ``(start, end, type)`` in token indices, ``end`` exclusive, sorted by start.
    repairs : list of Repair
        Every decision taken on an ill-formed stretch, in token order; empty when the sequence is
        well-formed.

    Raises
    ------
    TagError
        If a tag cannot be parsed or uses a prefix the scheme does not have.
    IllFormedTagsError
        With ``repair="strict"``, if the sequence is ill-formed.

    Examples
    --------
    >>> decode(["O", "I-PERS", "I-PERS", "B-LOC"])[0]
    [Chunk(start=1, end=3, type='PERS'), Chunk(start=3, end=4, type='LOC')]
    >>> decode(["O", "I-PERS", "I-PERS", "B-LOC"], repair="drop")[0]
    [Chunk(start=3, end=4, type='LOC')]
    """
    scheme = _check_scheme(scheme)
    if repair not in REPAIR_POLICIES:
        raise ValueError(f"unknown repair policy {repair!r}; choose one of: {', '.join(REPAIR_POLICIES)}")
    roles = _ROLES[scheme]
    lenient = repair == "begin"
    explicit_end = scheme in _EXPLICIT_END
    inside_may_start = scheme in _INSIDE_MAY_START
    end_may_start = scheme in _END_MAY_START

    chunks: list[Chunk] = []
    repairs: list[Repair] = []
    open_type: str | None = None  # type of the chunk being read, if any
    open_start = 0
    last_dropped = -1  # last token read as O by the "drop"/"strict" reading, for messages

    def close(at: int) -> None:
        """End the open chunk before token ``at`` (the run stopped without a closing tag)."""
        nonlocal open_type, last_dropped
        if open_type is None:
            return
        if explicit_end:
            repairs.append(_unclosed(tags, open_start, at, open_type, scheme, repair))
            if lenient:
                chunks.append(Chunk(open_start, at, open_type))
            else:
                last_dropped = at - 1
        else:
            chunks.append(Chunk(open_start, at, open_type))
        open_type = None

    for i, tag in enumerate(tags):
        prefix, type_ = check_tag(tag, scheme)
        if prefix == OUTSIDE:
            close(i)
            continue
        role = roles[prefix]
        if open_type == type_ and role in ("I", "E"):
            if role == "E":
                chunks.append(Chunk(open_start, i + 1, type_))
                open_type = None
            continue
        close(i)
        if role == "B":
            open_type, open_start = type_, i
        elif role == "S":
            chunks.append(Chunk(i, i + 1, type_))
        elif (role == "I" and inside_may_start) or (role == "E" and end_may_start):
            if role == "I":
                open_type, open_start = type_, i
            else:
                chunks.append(Chunk(i, i + 1, type_))
        else:  # an orphan continuation
            repairs.append(_orphan(tags, i, type_, repair, previous_dropped=0 < i == last_dropped + 1))
            if not lenient:
                last_dropped = i
            elif role == "I":
                open_type, open_start = type_, i
            else:
                chunks.append(Chunk(i, i + 1, type_))
    close(len(tags))

    if repair == "strict" and repairs:
        raise IllFormedTagsError(repairs, chunks)
    return chunks, repairs


_ACTIONS: dict[tuple[RepairKind, RepairPolicy], RepairAction] = {
    ("orphan", "begin"): "begin",
    ("orphan", "drop"): "drop",
    ("orphan", "strict"): "reject",
    ("unclosed", "begin"): "close",
    ("unclosed", "drop"): "drop",
    ("unclosed", "strict"): "reject",
}


def _orphan(
    tags: Sequence[str], i: int, type_: str, policy: RepairPolicy, *, previous_dropped: bool
) -> Repair:
    previous = f"previous tag {tags[i - 1]}" if i else "first token"
    if previous_dropped:
        previous += ", itself read as O"
    action = _ACTIONS["orphan", policy]
    done = {
        "begin": "it starts a new chunk",
        "drop": "it was read as O",
        "reject": "rejected (policy 'strict')",
    }[action]
    message = f"{tags[i]} at token {i} does not continue a {type_} chunk ({previous}); {done}."
    return Repair(i, tags[i], "orphan", action, policy, i, i + 1, message)


def _unclosed(
    tags: Sequence[str], start: int, stop: int, type_: str, scheme: str, policy: RepairPolicy
) -> Repair:
    end_prefix, single_prefix = _END_PREFIX[scheme]
    expected = f"{end_prefix}-{type_}" + (f" (or {single_prefix}-{type_} for one token)" if single_prefix else "")
    after = f"it is followed by {tags[stop]}" if stop < len(tags) else "the sequence ends"
    action = _ACTIONS["unclosed", policy]
    done = {
        "close": f"it was closed after token {stop - 1}",
        "drop": f"tokens {start}..{stop - 1} were read as O",
        "reject": "rejected (policy 'strict')",
    }[action]
    message = (
        f"the {type_} chunk at tokens {start}..{stop - 1} does not end with {expected}; {after}; {done}."
    )
    return Repair(stop - 1, tags[stop - 1], "unclosed", action, policy, start, stop, message)


def encode(chunks: Iterable[tuple[int, int, str]], n_tokens: int, scheme: Scheme = "IOB2") -> list[str]:
    """Write chunks as one tag per token.

    Parameters
    ----------
    chunks : iterable of (start, end, type)
        Token ranges, ``end`` exclusive; they must not overlap (encode nested chunks one level at a
        time). Order does not matter.
    n_tokens : int
        Length of the token sequence.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, default="IOB2"

    Returns
    -------
    tags : list of str
        ``decode(encode(chunks, n, scheme), scheme)`` gives the chunks back, with no repairs.

    Raises
    ------
    ValueError
        If a chunk is empty, out of range, has an empty type, or overlaps another.

    Examples
    --------
    >>> encode([(0, 2, "PERS"), (2, 3, "PERS")], 4, "IOB1")
    ['I-PERS', 'I-PERS', 'B-PERS', 'O']
    >>> encode([(0, 2, "PERS"), (3, 4, "LOC")], 4, "BILOU")
    ['B-PERS', 'L-PERS', 'O', 'U-LOC']
    """
    scheme = _check_scheme(scheme)
    ordered = sorted((int(s), int(e), str(t)) for s, e, t in chunks)
    tags = [OUTSIDE] * n_tokens
    previous: tuple[int, int, str] | None = None
    for k, (start, end, type_) in enumerate(ordered):
        if not 0 <= start < end <= n_tokens:
            raise ValueError(f"chunk {(start, end, type_)} is empty or outside tokens 0..{n_tokens - 1}.")
        if not type_ or type_ != type_.strip():
            raise ValueError(f"chunk {(start, end, type_)} has an empty or space-padded type.")
        if previous is not None and start < previous[1]:
            raise ValueError(
                f"chunks {previous} and {(start, end, type_)} overlap; encode one nesting level at a time."
            )
        nxt = ordered[k + 1] if k + 1 < len(ordered) else None
        first, middle, last, single = _chunk_tags(scheme, type_, previous, nxt, start, end)
        if end - start == 1:
            tags[start] = single
        else:
            tags[start] = first
            for i in range(start + 1, end - 1):
                tags[i] = middle
            tags[end - 1] = last
        previous = (start, end, type_)
    return tags


def _chunk_tags(
    scheme: str,
    type_: str,
    previous: tuple[int, int, str] | None,
    nxt: tuple[int, int, str] | None,
    start: int,
    end: int,
) -> tuple[str, str, str, str]:
    """(first, middle, last, single-token) tags of one chunk, given its neighbours."""
    inside = f"I-{type_}"
    if scheme == "IOB2":
        return f"B-{type_}", inside, inside, f"B-{type_}"
    if scheme == "IOB1":
        touches = previous is not None and previous[1] == start and previous[2] == type_
        first = f"B-{type_}" if touches else inside
        return first, inside, inside, first
    if scheme == "IOE2":
        return inside, inside, f"E-{type_}", f"E-{type_}"
    if scheme == "IOE1":
        touches = nxt is not None and nxt[0] == end and nxt[2] == type_
        last = f"E-{type_}" if touches else inside
        return inside, inside, last, last
    if scheme == "IOBES":
        return f"B-{type_}", inside, f"E-{type_}", f"S-{type_}"
    return f"B-{type_}", inside, f"L-{type_}", f"U-{type_}"  # BILOU


def convert(
    tags: Sequence[str], source: Scheme, target: Scheme, *, repair: RepairPolicy = "begin"
) -> tuple[list[str], list[Repair]]:
    """Rewrite a tag sequence from one scheme into another (decode, then encode).

    Returns the new tags and the repairs taken while decoding ``tags`` in ``source``.
    """
    chunks, repairs = decode(tags, source, repair=repair)
    return encode(chunks, len(tags), target), repairs


def detect_scheme(tags: Iterable[str] | Iterable[Sequence[str]]) -> Scheme:
    """Tell which scheme a corpus' tags are written in.

    Parameters
    ----------
    tags : iterable of str, or iterable of sequences of str
        Either the corpus' tag sequences (e.g. one list per sentence), or its tags as one flat
        sequence in reading order, or an unordered ``set``/``frozenset`` of its distinct tags.

    Returns
    -------
    scheme : str
        The prefixes decide first: ``L``/``U`` mean BILOU; ``S``, or ``B`` together with ``E``,
        mean IOBES; ``E`` without ``B`` means IOE; otherwise IOB. IOB1 and IOB2 (and IOE1 and
        IOE2) use the same prefixes, so the order of tags decides: a chunk that opens after ``O``
        or another type opens with ``I`` in IOB1 and with ``B`` in IOB2, and the more frequent
        opening wins (ill-formed IOB2 with a few ``I`` openings stays IOB2). ``I`` without ``B``
        is IOB1. With a ``set`` (no order) the answer is IOB2 or IOE2. Only ``O`` gives IOB2.

    Raises
    ------
    TagError
        If a tag cannot be parsed, or the prefixes mix schemes (e.g. ``E`` with ``L``).

    Examples
    --------
    >>> detect_scheme([["B-PERS", "I-PERS", "O"], ["I-LOC", "O"]])
    'IOB2'
    >>> detect_scheme([["I-PERS", "I-PERS", "B-PERS", "O"]])
    'IOB1'
    >>> detect_scheme({"O", "S-LOC", "B-PERS", "E-PERS"})
    'IOBES'
    """
    sequences: list[Sequence[str]]
    if isinstance(tags, set | frozenset):
        sequences, ordered = [sorted(tags)], False
    else:
        flat: list[str] = []
        sequences = []
        for item in tags:
            if isinstance(item, str):
                flat.append(item)
            else:
                sequences.append(item)
        if flat:
            sequences.append(flat)
        ordered = True

    prefixes: set[str] = set()
    for sequence in sequences:
        for tag in set(sequence):
            prefixes.add(parse_tag(tag)[0])
    prefixes.discard(OUTSIDE)

    if prefixes & {"L", "U"}:
        if prefixes & {"E", "S"}:
            raise TagError(f"the tags mix BILOU (L, U) and IOBES (E, S) prefixes: {sorted(prefixes)}.")
        return "BILOU"
    if "S" in prefixes or {"B", "E"} <= prefixes:
        return "IOBES"
    if "E" in prefixes:
        if not ordered or "I" not in prefixes:
            return "IOE2"
        i_closes, e_closes = _count_closings(sequences)
        return "IOE1" if i_closes > e_closes else "IOE2"
    if "I" in prefixes and "B" not in prefixes:
        return "IOB1"
    if not ordered or "I" not in prefixes:
        return "IOB2"
    i_opens, b_opens = _count_openings(sequences)
    return "IOB1" if i_opens > b_opens else "IOB2"


def _count_openings(sequences: Iterable[Sequence[str]]) -> tuple[int, int]:
    """How many chunks open with I (after O or another type), and how many with B there."""
    i_opens = b_opens = 0
    for sequence in sequences:
        previous_type = ""
        for tag in sequence:
            prefix, type_ = parse_tag(tag)
            if prefix != OUTSIDE and type_ != previous_type:
                if prefix == "I":
                    i_opens += 1
                elif prefix == "B":
                    b_opens += 1
            previous_type = type_
    return i_opens, b_opens


def _count_closings(sequences: Iterable[Sequence[str]]) -> tuple[int, int]:
    """How many chunks close with I (before O or another type), and how many with E there."""
    i_closes = e_closes = 0
    for sequence in sequences:
        parsed = [parse_tag(tag) for tag in sequence]
        for (prefix, type_), (_, next_type) in zip(parsed, [*parsed[1:], (OUTSIDE, "")], strict=True):
            if prefix != OUTSIDE and type_ != next_type:
                if prefix == "I":
                    i_closes += 1
                elif prefix == "E":
                    e_closes += 1
    return i_closes, e_closes


__all__ = [
    "OUTSIDE",
    "PREFIXES",
    "REPAIR_POLICIES",
    "SCHEMES",
    "Chunk",
    "IllFormedTagsError",
    "Repair",
    "RepairAction",
    "RepairKind",
    "RepairPolicy",
    "Scheme",
    "TagError",
    "check_tag",
    "convert",
    "decode",
    "detect_scheme",
    "encode",
    "parse_tag",
]
