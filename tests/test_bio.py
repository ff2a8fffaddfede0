"""eval.bio: the three decoders against their references, edge cases, and real corpora."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.bio import SCHEMES, chunks, decode, encode_tags, mentions_from_tags
from eval.conlleval import conlleval_counts, read_conlleval

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "corpora"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
PREFIXES = {"IOB1": "IOB", "IOB2": "IOB", "IOE1": "IOE", "IOE2": "IOE", "IOBES": "IOBES", "BILOU": "BILOU"}


def _tags(prefixes: str, types: str = "XY") -> st.SearchStrategy[str]:
    return st.sampled_from(["O"] + [f"{p}-{t}" for p in prefixes if p != "O" for t in types])


def _sentences(prefixes: str) -> st.SearchStrategy[list[list[str]]]:
    return st.lists(st.lists(_tags(prefixes), max_size=10), min_size=1, max_size=5)


# ------------------------------------------------------------------------------------ examples


def test_iob2_examples() -> None:
    assert chunks(["B-PERS", "I-PERS", "O", "B-GPE"]) == [(0, 2, "PERS"), (3, 4, "GPE")]
    # An I- after O, and a type change inside a run, start chunks (conlleval.pl); strict drops them.
    tags = ["O", "I-PERS", "I-PERS", "I-GPE", "B-ORG", "I-ORG"]
    assert chunks(tags) == [(1, 3, "PERS"), (3, 4, "GPE"), (4, 6, "ORG")]
    assert chunks(tags, decoder="strict") == [(4, 6, "ORG")]
    assert chunks([]) == [] and chunks(["O", "O"]) == []


def test_iobes_module_example_merges_only_under_compat() -> None:
    tags = ["S-PER", "S-PER", "B-LOC", "E-LOC", "B-LOC", "E-LOC", "B-ORG", "S-ORG"]
    correct = [(0, 1, "PER"), (1, 2, "PER"), (2, 4, "LOC"), (4, 6, "LOC"), (6, 7, "ORG"), (7, 8, "ORG")]
    assert chunks(tags, "IOBES") == correct
    assert chunks(tags, "IOBES", conlleval_compat=True) == [(0, 2, "PER"), (2, 6, "LOC"), (6, 8, "ORG")]
    # Strict: B-ORG followed by S-ORG never ends, so it is dropped.
    assert chunks(tags, "IOBES", decoder="strict") == [*correct[:4], (7, 8, "ORG")]
    # What conlleval.pl counts (recorded from the script itself in tests/test_conlleval.py).
    text = "".join(f"w {t} {t}\n" for t in tags).encode()
    assert conlleval_counts(read_conlleval(text)).n_gold == 3


def test_bilou_and_ioe() -> None:
    assert chunks(["B-X", "L-X", "U-X", "U-Y"], "BILOU") == [(0, 2, "X"), (2, 3, "X"), (3, 4, "Y")]
    assert chunks(["B-X", "L-X", "U-X", "U-Y"], "BILOU", decoder="strict") == [(0, 2, "X"), (2, 3, "X"), (3, 4, "Y")]
    assert chunks(["I-X", "E-X", "I-X", "O"], "IOE1", decoder="strict") == [(0, 2, "X"), (2, 3, "X")]
    assert chunks(["I-X", "I-X", "O"], "IOE2", decoder="strict") == []  # IOE2 chunks must end with E-
    assert chunks(["I-X", "I-X", "O"], "IOE2") == [(0, 2, "X")]


def test_conlleval_compat_reads_brackets_dots_and_any_tag() -> None:
    assert chunks(["[-NP", "]-NP", ".", "I-NP"], conlleval_compat=True) == [(0, 1, "NP"), (1, 2, "NP"), (3, 4, "NP")]
    assert chunks(["B-A-B", "I-A-B"], conlleval_compat=True) == [(0, 2, "A-B")]  # split at the first hyphen
    assert chunks(["B-A-B", "I-A-B"]) == [(0, 2, "A-B")]


def test_bad_input_raises_with_a_fix() -> None:
    with pytest.raises(ValueError, match="invalid tag 'E-X' for scheme IOB2"):
        chunks(["B-X", "E-X"], decoder="strict")
    with pytest.raises(ValueError, match="does not start with B, I, E, S or O"):
        chunks(["PERS"])
    with pytest.raises(ValueError, match="unknown scheme"):
        chunks(["O"], "BIO")
    with pytest.raises(ValueError, match="conlleval_compat"):
        chunks(["O"], decoder="strict", conlleval_compat=True)
    with pytest.raises(ValueError, match="one id per sequence"):
        mentions_from_tags([["O"]], doc_ids=["a", "b"])


def test_mentions_carry_doc_ids_and_layer() -> None:
    found = mentions_from_tags([["B-X"], [], ["O", "B-Y", "I-Y"]], doc_ids=["s1", "s2", "s3"], layer="quotes")
    assert [(m.doc_id, m.start, m.end, m.label, m.layer) for m in found] == [
        ("s1", 0, 1, "X", "quotes"), ("s3", 1, 3, "Y", "quotes")]
    assert [m.doc_id for m in mentions_from_tags([["B-X"], ["B-X"]])] == ["0", "1"]


def test_encode_shares_one_vocabulary() -> None:
    gold, pred = encode_tags([["B-X", "O"]], [["O", "B-Y"], []])
    assert gold.vocab == pred.vocab == ("B-X", "O", "B-Y")
    assert gold.ids.tolist() == [0, 1] and pred.ids.tolist() == [1, 2]
    assert pred.offsets.tolist() == [0, 2, 2]


# ---------------------------------------------------------------------- properties vs references


@settings(max_examples=300, deadline=None)
@given(_sentences("BIES"))
def test_lenient_equals_seqeval_default(sentences: list[list[str]]) -> None:
    from seqeval.metrics.sequence_labeling import get_entities

    offsets = list(itertools.accumulate((len(s) + 1 for s in sentences), initial=0))
    ours = sorted((m.label, offsets[int(m.doc_id)] + m.start, offsets[int(m.doc_id)] + m.end - 1)
                  for m in mentions_from_tags(sentences, scheme="IOBES"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours == sorted(get_entities(sentences))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SCHEMES).flatmap(lambda s: st.tuples(st.just(s), _sentences(PREFIXES[s]))))
def test_strict_equals_seqeval_strict(case: tuple[str, list[list[str]]]) -> None:
    import seqeval.scheme

    scheme, sentences = case
    reference = seqeval.scheme.Entities(sentences, getattr(seqeval.scheme, scheme))
    expected = sorted((e.sent_id, e.start, e.end, e.tag) for e in itertools.chain(*reference.entities))
    ours = sorted((int(m.doc_id), m.start, m.end, m.label)
                  for m in mentions_from_tags(sentences, scheme=scheme, decoder="strict"))  # type: ignore[arg-type]
    assert ours == expected


@settings(max_examples=200, deadline=None)
@given(_sentences("BIO"))
def test_on_bio_tags_compat_and_default_agree(sentences: list[list[str]]) -> None:
    assert mentions_from_tags(sentences) == mentions_from_tags(sentences, conlleval_compat=True)


@settings(max_examples=200, deadline=None)
@given(_sentences("BIES"), st.sampled_from(["lenient", "strict"]), st.booleans())
def test_corpus_decoding_equals_sentence_by_sentence(sentences: list[list[str]], decoder: str, compat: bool) -> None:
    if decoder == "strict" and compat:
        return
    whole = mentions_from_tags(sentences, scheme="IOBES", decoder=decoder, conlleval_compat=compat)  # type: ignore[arg-type]
    one_by_one = [(str(i), *c) for i, s in enumerate(sentences)
                  for c in chunks(s, "IOBES", decoder=decoder, conlleval_compat=compat)]  # type: ignore[arg-type]
    assert [(m.doc_id, m.start, m.end, m.label) for m in whole] == one_by_one


# ------------------------------------------------------------------------------------- real data


def _read_tagged(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    text = path.read_text(encoding=encoding).replace("\r\n", "\n")
    return [[line.split()[-1] for line in block.split("\n") if line.strip()]
            for block in text.replace("\n\t\n", "\n\n").split("\n\n") if block.strip()]


def test_anercorp_slice_keeps_its_ill_formed_runs() -> None:
    sentences = _read_tagged(FIXTURES / "anercorp-camel" / "ANERCorp_slice.txt")
    lenient, strict = mentions_from_tags(sentences), mentions_from_tags(sentences, decoder="strict")
    starts_with_i = sum(tag.startswith("I-") and (i == 0 or s[i - 1][2:] != tag[2:])
                        for s in sentences for i, tag in enumerate(s))
    assert starts_with_i >= 4  # the slice README lists four I- after O and one type switch
    assert len(lenient) - len(strict) == starts_with_i


@pytest.mark.slow
@pytest.mark.parametrize(("corpus", "lenient", "strict"), [
    ("anercorp-camel/ANERCorp_CamelLab_test.txt", 2285, 2211),
    ("newsfane-gold/NewsFANE_Gold_2014_170K.txt", 11423, 11419),
])
def test_full_corpora_mention_counts_match_their_source_notes(corpus: str, lenient: int, strict: int) -> None:
    path = SHARED / corpus
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    sentences = _read_tagged(path, "utf-8-sig")
    assert len(mentions_from_tags(sentences)) == lenient  # counts measured in each corpus' SOURCE.md
    assert len(mentions_from_tags(sentences, decoder="strict")) == strict
    (encoded,) = encode_tags(sentences)
    assert len(decode(encoded, conlleval_compat=True)) == lenient
