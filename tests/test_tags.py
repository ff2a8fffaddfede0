"""Tag-scheme codec: decoding, repairs under each policy, encoding, scheme detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import BILOU, IOB2, IOBES, IOE2, Entities

from dataset_builder.tags import (
    PREFIXES,
    SCHEMES,
    Chunk,
    IllFormedTagsError,
    TagError,
    check_tag,
    convert,
    decode,
    detect_scheme,
    encode,
    parse_tag,
)

TYPES = ("PERS", "LOC", "Population-Center")

# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("O", ("O", "")), ("B-PERS", ("B", "PERS")), ("I-Population-Center", ("I", "Population-Center")),
     ("L-Other_PER", ("L", "Other_PER")), ("U-X", ("U", "X"))],
)
def test_parse_tag_splits_at_the_first_hyphen(tag: str, expected: tuple[str, str]) -> None:
    assert parse_tag(tag) == expected


@pytest.mark.parametrize("tag", ["", "o", "B", "B-", "X-PERS", "PERS", "B_PERS", "-PERS", "B- PERS", "I-PERS "])
def test_parse_tag_rejects_what_is_not_a_tag(tag: str) -> None:
    with pytest.raises(TagError, match="is not a tag"):
        parse_tag(tag)


def test_check_tag_rejects_a_prefix_the_scheme_does_not_use() -> None:
    assert check_tag("S-LOC", "IOBES") == ("S", "LOC")
    with pytest.raises(TagError, match="scheme IOB2 does not have"):
        check_tag("S-LOC", "IOB2")
    with pytest.raises(TagError):
        decode(["B-LOC", "E-LOC"], "IOB2")


def test_unknown_scheme_or_policy_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown tag scheme"):
        decode(["O"], "BIO")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown repair policy"):
        decode(["O"], "IOB2", repair="fix")  # type: ignore[arg-type]


# ---------------------------------------------------------------- decoding well-formed input

# The same three chunks, PERS[0:2] PERS[2:3] LOC[4:5], written in every scheme.
WRITTEN = {
    "IOB1": ["I-PERS", "I-PERS", "B-PERS", "O", "I-LOC"],
    "IOB2": ["B-PERS", "I-PERS", "B-PERS", "O", "B-LOC"],
    "IOE1": ["I-PERS", "E-PERS", "I-PERS", "O", "I-LOC"],
    "IOE2": ["I-PERS", "E-PERS", "E-PERS", "O", "E-LOC"],
    "IOBES": ["B-PERS", "E-PERS", "S-PERS", "O", "S-LOC"],
    "BILOU": ["B-PERS", "L-PERS", "U-PERS", "O", "U-LOC"],
}
CHUNKS = [Chunk(0, 2, "PERS"), Chunk(2, 3, "PERS"), Chunk(4, 5, "LOC")]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_decodes_its_textbook_form(scheme: str) -> None:
    for policy in ("begin", "drop", "strict"):
        assert decode(WRITTEN[scheme], scheme, repair=policy) == (CHUNKS, [])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_encodes_its_textbook_form(scheme: str) -> None:
    assert encode(CHUNKS, 5, scheme) == WRITTEN[scheme]


def test_a_scheme_freedom_is_not_a_repair() -> None:
    # IOB1 B- after O and IOE1 E- before O each mean one chunk: unambiguous, nothing repaired.
    assert decode(["O", "B-LOC", "I-LOC"], "IOB1") == ([Chunk(1, 3, "LOC")], [])
    assert decode(["I-LOC", "E-LOC", "O"], "IOE1") == ([Chunk(0, 2, "LOC")], [])
    # IOB1/IOE1/IOE2 open a chunk with I- after another type: legal there.
    assert decode(["I-PERS", "I-LOC"], "IOB1") == ([Chunk(0, 1, "PERS"), Chunk(1, 2, "LOC")], [])
    assert decode(["E-PERS", "I-LOC", "E-LOC"], "IOE2") == ([Chunk(0, 1, "PERS"), Chunk(1, 3, "LOC")], [])


def test_hyphenated_fine_grained_types_survive() -> None:
    chunks, _ = decode(["B-Population-Center", "I-Population-Center", "B-Non-Governmental"])
    assert chunks == [Chunk(0, 2, "Population-Center"), Chunk(2, 3, "Non-Governmental")]


# ---------------------------------------------------------------- repairs


def test_orphan_inside_after_o_under_each_policy() -> None:
    tags = ["O", "I-PERS", "I-PERS", "O"]  # ANERcorp: وقال(O) الإخوان(I-MISC) ...
    chunks, repairs = decode(tags, "IOB2", repair="begin")
    assert chunks == [Chunk(1, 3, "PERS")]
    assert [(r.index, r.tag, r.kind, r.action, r.policy) for r in repairs] == [
        (1, "I-PERS", "orphan", "begin", "begin")
    ]
    assert "does not continue a PERS chunk (previous tag O)" in repairs[0].message

    chunks, repairs = decode(tags, "IOB2", repair="drop")
    assert chunks == []
    assert [(r.index, r.action) for r in repairs] == [(1, "drop"), (2, "drop")]
    assert "itself read as O" in repairs[1].message

    with pytest.raises(IllFormedTagsError) as info:
        decode(tags, "IOB2", repair="strict")
    assert [(v.index, v.action) for v in info.value.violations] == [(1, "reject"), (2, "reject")]
    assert info.value.chunks == ()


def test_type_change_inside_a_run_is_ill_formed() -> None:
    tags = ["B-PERS", "I-LOC", "I-LOC"]
    chunks, repairs = decode(tags, "IOB2")
    assert chunks == [Chunk(0, 1, "PERS"), Chunk(1, 3, "LOC")]
    assert [(r.index, r.kind) for r in repairs] == [(1, "orphan")]
    assert "previous tag B-PERS" in repairs[0].message
    assert decode(tags, "IOB2", repair="drop")[0] == [Chunk(0, 1, "PERS")]


def test_orphan_at_the_start_of_a_sequence() -> None:
    chunks, repairs = decode(["I-FAC", "O"])  # Wojood train.txt line 12377
    assert chunks == [Chunk(0, 1, "FAC")]
    assert "(first token)" in repairs[0].message


@pytest.mark.parametrize(
    ("scheme", "tags"),
    [("IOBES", ["B-LOC", "I-LOC", "O"]), ("BILOU", ["B-LOC", "I-LOC", "O"]), ("IOE2", ["I-LOC", "I-LOC", "O"])],
)
def test_unclosed_chunk_under_each_policy(scheme: str, tags: list[str]) -> None:
    chunks, repairs = decode(tags, scheme, repair="begin")
    assert chunks == [Chunk(0, 2, "LOC")]
    assert [(r.kind, r.action, r.index, r.start, r.end) for r in repairs] == [("unclosed", "close", 1, 0, 2)]
    assert "is followed by O" in repairs[0].message

    chunks, repairs = decode(tags, scheme, repair="drop")
    assert chunks == []
    assert [(r.kind, r.action, r.start, r.end) for r in repairs] == [("unclosed", "drop", 0, 2)]


def test_unclosed_chunk_at_the_end_of_the_sequence() -> None:
    chunks, repairs = decode(["S-X", "B-LOC", "I-LOC"], "IOBES")
    assert chunks == [Chunk(0, 1, "X"), Chunk(1, 3, "LOC")]
    assert "the sequence ends" in repairs[0].message


def test_orphan_end_tags_in_iobes_and_bilou() -> None:
    assert decode(["O", "E-LOC"], "IOBES")[0] == [Chunk(1, 2, "LOC")]
    assert decode(["O", "L-LOC"], "BILOU", repair="drop")[0] == []
    chunks, repairs = decode(["B-PERS", "I-LOC", "E-LOC"], "IOBES")
    assert chunks == [Chunk(0, 1, "PERS"), Chunk(1, 3, "LOC")]
    assert [r.kind for r in repairs] == ["unclosed", "orphan"]


def test_strict_error_names_the_first_problem_and_the_count() -> None:
    with pytest.raises(IllFormedTagsError, match=r"I-X at token 1 .* \(and 1 more\)"):
        decode(["O", "I-X", "O", "I-Y"], repair="strict")


# ---------------------------------------------------------------- encoding errors


def test_encode_rejects_overlap_and_bad_chunks() -> None:
    with pytest.raises(ValueError, match="overlap"):
        encode([(0, 3, "ORG"), (1, 2, "GPE")], 4)
    with pytest.raises(ValueError, match="outside"):
        encode([(2, 5, "ORG")], 4)
    with pytest.raises(ValueError, match="empty"):
        encode([(2, 2, "ORG")], 4)
    with pytest.raises(ValueError, match="type"):
        encode([(0, 1, "")], 4)


# ---------------------------------------------------------------- properties

@st.composite
def chunk_layouts(draw: st.DrawFn) -> tuple[list[Chunk], int]:
    """Non-overlapping chunks over a random sequence, often adjacent and of the same type."""
    chunks: list[Chunk] = []
    position = 0
    for _ in range(draw(st.integers(0, 8))):
        position += draw(st.sampled_from([0, 0, 1, 2]))
        length = draw(st.integers(1, 4))
        chunks.append(Chunk(position, position + length, draw(st.sampled_from(TYPES))))
        position += length
    return chunks, position + draw(st.integers(0, 2))


@settings(max_examples=300, deadline=None)
@given(chunk_layouts(), st.sampled_from(SCHEMES), st.sampled_from(SCHEMES))
def test_encode_then_decode_round_trips_in_every_scheme(layout, scheme, other) -> None:
    chunks, n = layout
    tags = encode(chunks, n, scheme)
    assert len(tags) == n
    assert all(check_tag(tag, scheme) for tag in tags)
    for policy in ("begin", "drop", "strict"):
        assert decode(tags, scheme, repair=policy) == (chunks, [])
    converted, repairs = convert(tags, scheme, other)
    assert repairs == []
    assert decode(converted, other) == (chunks, [])


@settings(max_examples=300, deadline=None)
@given(chunk_layouts(), st.sampled_from(SCHEMES))
def test_detected_scheme_reads_encoded_tags_as_written(layout, scheme) -> None:
    chunks, n = layout
    tags = encode(chunks, n, scheme)
    detected = detect_scheme([tags])
    assert decode(tags, detected) == (chunks, [])


def tag_sequences(scheme: str) -> st.SearchStrategy[list[str]]:
    tags = ["O"] + [f"{p}-{t}" for p in sorted(PREFIXES[scheme]) for t in ("X", "Y")]  # type: ignore[index]
    return st.lists(st.sampled_from(tags), max_size=14)


@settings(max_examples=300, deadline=None)
@given(tag_sequences("IOB2"))
def test_begin_policy_equals_seqeval_default_decoding_for_iob2(tags: list[str]) -> None:
    """seqeval's default mode is a port of conlleval.pl; for IOB2 "begin" must read exactly as it does."""
    ours = {(c.type, c.start, c.end - 1) for c in decode(tags, "IOB2")[0]}
    assert ours == set(get_entities(tags))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([("IOB2", IOB2), ("IOBES", IOBES), ("BILOU", BILOU), ("IOE2", IOE2)]).flatmap(
    lambda pair: st.tuples(st.just(pair), tag_sequences(pair[0]))
))
def test_drop_policy_equals_seqeval_strict_mode(case) -> None:
    """seqeval's strict mode keeps only chunks well-formed under the scheme: so does "drop"."""
    (scheme, seqeval_scheme), tags = case
    ours = {(c.type, c.start, c.end) for c in decode(tags, scheme, repair="drop")[0]}
    theirs = {(e.tag, e.start, e.end) for e in Entities([tags], seqeval_scheme).entities[0]}
    assert ours == theirs


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SCHEMES).flatmap(lambda s: st.tuples(st.just(s), tag_sequences(s))))
def test_policies_agree_with_each_other(case) -> None:
    scheme, tags = case
    begin, begin_repairs = decode(tags, scheme, repair="begin")
    drop, drop_repairs = decode(tags, scheme, repair="drop")
    # Well-formed chunks are read the same way by every policy; "begin" only adds.
    assert set(drop) <= set(begin)
    assert (begin_repairs == []) == (drop_repairs == []) == (begin == drop)
    # Under "begin" no tagged token is left outside a chunk.
    covered = {i for c in begin for i in range(c.start, c.end)}
    assert covered == {i for i, tag in enumerate(tags) if tag != "O"}
    # "strict" reports exactly what "drop" repaired, and carries the same chunks.
    try:
        decode(tags, scheme, repair="strict")
    except IllFormedTagsError as exc:
        assert [(v.index, v.kind) for v in exc.violations] == [(r.index, r.kind) for r in drop_repairs]
        assert list(exc.chunks) == drop
    else:
        assert drop_repairs == []


# ---------------------------------------------------------------- scheme detection


@pytest.mark.parametrize(("scheme", "tags"), WRITTEN.items())
def test_detect_scheme_from_sequences(scheme: str, tags: list[str]) -> None:
    assert detect_scheme([tags]) == scheme
    assert detect_scheme(tags) == scheme  # a flat sequence in reading order


def test_detect_scheme_tolerates_a_few_ill_formed_openings() -> None:
    sentences = [["B-PERS", "I-PERS", "O"]] * 20 + [["O", "I-PERS"]]
    assert detect_scheme(sentences) == "IOB2"
    assert detect_scheme([["I-PERS", "I-PERS", "O"]] * 20 + [["B-PERS", "O"]]) == "IOB1"


def test_detect_scheme_from_an_unordered_tag_set() -> None:
    assert detect_scheme({"O", "B-PERS", "I-PERS"}) == "IOB2"
    assert detect_scheme({"O", "I-PERS", "E-PERS"}) == "IOE2"
    assert detect_scheme({"O", "I-PERS"}) == "IOB1"
    assert detect_scheme({"O", "B-PERS", "E-PERS"}) == "IOBES"
    assert detect_scheme({"O", "U-PERS"}) == "BILOU"
    assert detect_scheme({"O"}) == "IOB2"
    assert detect_scheme([]) == "IOB2"


def test_detect_scheme_rejects_mixed_or_broken_tags() -> None:
    with pytest.raises(TagError, match="mix BILOU"):
        detect_scheme({"B-X", "E-X", "L-X"})
    with pytest.raises(TagError):
        detect_scheme([["B-X", "PERS"]])
