"""Tests for dataset_builder.text.project: IOB2 projection under each policy, nesting, and notes."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import dataset_builder.text.project as project_module
from dataset_builder.model import Span
from dataset_builder.problems import Severity
from dataset_builder.text.project import NOTE_KINDS, Projection, project
from dataset_builder.text.tokenize import token_spans

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"
ANERCORP = SHARED / "corpora" / "anercorp-camel" / "ANERCorp_CamelLab_test.txt"
WOJOOD = SHARED / "corpora" / "wojood-sample"

# Sentences of the seed article (copied byte for byte) so the tests run where ../shared is absent.
TITLE = "قمة سورية روسية في موسكو بين الرئيسين الأسد وبوتين... المباحثات شملت تطوير ملفات التعاون"
MINISTERS = (
    "انضم إليه لاحقاً وزير الخارجية الدكتور فิصل المقداد ووزير الدفاع الروسي سيرغي شويغو بحثت التعاون"
)


def span_of(text: str, surface: str, label: str, occurrence: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface), label


def tagged(text: str, result: Projection, level: int = 0) -> list[tuple[str, str]]:
    return [(text[s:e], tag) for (s, e), tag in zip(result.tokens, result.tags[level], strict=True) if tag != "O"]


def run(text: str, spans: list[tuple[int, int, str]], **kwargs: object) -> Projection:
    starts, ends = token_spans(text)
    return project(text, starts, ends, spans, **kwargs)  # type: ignore[arg-type]


# --- expand ------------------------------------------------------------------------------------


def test_expand_tags_the_whole_token_and_notes_the_proclitic() -> None:
    spans = [span_of(TITLE, "الأسد", "PERS"), span_of(TITLE, "بوتين", "PERS")]
    result = run(TITLE, spans)
    assert tagged(TITLE, result) == [("الأسد", "B-PERS"), ("وبوتين", "B-PERS")]
    (note,) = result.notes
    assert (note.kind, note.remainder, note.label, note.span_index) == ("clitic-remainder", "و", "PERS", 1)
    assert TITLE[note.token_start : note.token_end] == "وبوتين"
    assert note.severity is Severity.INFO
    assert result.tokens == list(zip(*token_spans(TITLE), strict=True))


@pytest.mark.parametrize(
    ("token", "inner", "remainder", "kind"),
    [
        ("وبوتين", "بوتين", "و", "clitic-remainder"),
        ("والرئيس", "الرئيس", "و", "clitic-remainder"),
        ("والرئيس", "رئيس", "وال", "clitic-remainder"),
        ("بالإضافة", "إضافة", "بال", "clitic-remainder"),
        ("للأمم", "لأمم", "ل", "clitic-remainder"),
        ("للأمم", "أمم", "لل", "clitic-remainder"),
        ("فلروسيا", "روسيا", "فل", "clitic-remainder"),
        ("كحكومة", "حكومة", "ك", "clitic-remainder"),
        ("الـCOVID", "COVID", "الـ", "clitic-remainder"),
        ("المقداد", "قداد", "الم", "boundary-inside-token"),
        ("شويغو", "ويغو", "ش", "boundary-inside-token"),
    ],
)
def test_expand_classifies_the_left_remainder(token: str, inner: str, remainder: str, kind: str) -> None:
    text = f"قال {token} أمس"
    result = run(text, [span_of(text, inner, "X")])
    assert tagged(text, result) == [(token, "B-X")]
    (note,) = [n for n in result.notes if n.kind != "lam-alef-fusion"]
    assert (note.kind, note.remainder) == (kind, remainder)
    fused = [n.remainder for n in result.notes if n.kind == "lam-alef-fusion"]
    assert fused == (["ل"] if (token, inner) == ("للأمم", "لأمم") else [])


def test_expand_notes_a_right_remainder() -> None:
    text = "عادوا إلى مدنهم وقراهم"
    result = run(text, [span_of(text, "مدن", "LOC"), span_of(text, "وقراه", "LOC")])
    assert tagged(text, result) == [("مدنهم", "B-LOC"), ("وقراهم", "B-LOC")]
    assert [(n.kind, n.remainder) for n in result.notes] == [
        ("clitic-remainder", "هم"),  # the enclitic pronoun "their"
        ("boundary-inside-token", "م"),
    ]


def test_nested_occ_and_norp_from_the_seed() -> None:
    """وزير الدفاع الروسي is an OCC with a NORP (الروسي) inside; the OCC starts inside ووزير."""
    text = MINISTERS
    occ = span_of(text, "وزير الدفاع الروسي", "OCC")  # gold starts after the conjunction of ووزير
    assert text[occ[0] - 1 : occ[1]] == "ووزير الدفاع الروسي"
    norp = span_of(text, "الروسي", "NORP")
    pers = span_of(text, "سيرغي شويغو", "PERS")
    result = run(text, [pers, norp, occ], levels=2)
    assert tagged(text, result, 0) == [
        ("ووزير", "B-OCC"), ("الدفاع", "I-OCC"), ("الروسي", "I-OCC"), ("سيرغي", "B-PERS"), ("شويغو", "I-PERS"),
    ]
    assert tagged(text, result, 1) == [("الروسي", "B-NORP")]
    assert [(n.kind, n.remainder, n.label, n.level) for n in result.notes] == [("clitic-remainder", "و", "OCC", 0)]

    # With one tag column, the nested NORP is noted, not silently dropped.
    flat = run(text, [pers, norp, occ], levels=1)
    assert len(flat.tags) == 1
    assert [(n.kind, n.label, n.level) for n in flat.notes if n.kind == "too-deep"] == [("too-deep", "NORP", 1)]


def test_seed_article_entities_project_under_every_policy() -> None:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED} (../shared is absent)")
    text = SEED.read_text(encoding="utf-8")
    spans = [
        span_of(text, "بوتين", "PERS"),  # inside وبوتين in the title
        span_of(text, "الأسد", "PERS"),
        span_of(text, "موسكو", "GPE"),
        span_of(text, "فิصل المقداد", "PERS"),
        span_of(text, "وزير الدفاع الروسي", "OCC"),  # inside ووزير
        (text.index("الروسي سيرغي"), text.index("الروسي سيرغي") + len("الروسي"), "NORP"),
        span_of(text, "الأمم المتحدة", "ORG"),
        span_of(text, "90 بالمئة", "PERCENT"),
        span_of(text, "2021-09-14", "DATE"),
        span_of(text, "2021", "YEAR"),
    ]
    expand = run(text, spans, levels=3)
    assert ("وبوتين", "B-PERS") in tagged(text, expand, 0)
    dates = [pair for pair in tagged(text, expand, 0) if pair[1].endswith("DATE")]
    assert dates == [("2021", "B-DATE"), ("-", "I-DATE"), ("09", "I-DATE"), ("-", "I-DATE"), ("14", "I-DATE")]
    assert tagged(text, expand, 1) == [("2021", "B-YEAR"), ("الروسي", "B-NORP")]
    assert [(n.kind, n.remainder) for n in expand.notes] == [("clitic-remainder", "و")] * 2

    strict = run(text, spans, policy="strict", levels=3)
    misaligned = [(n.kind, text[n.start : n.end]) for n in strict.notes]
    assert misaligned == [("misaligned", "بوتين"), ("misaligned", "وزير الدفاع الروسي")]
    assert ("وبوتين", "B-PERS") not in tagged(text, strict, 0)

    split = run(text, spans, policy="split", levels=3)
    assert ("بوتين", "B-PERS") in tagged(text, split, 0)
    assert ("و", "O") in [(text[s:e], split.tags[0][i]) for i, (s, e) in enumerate(split.tokens)]
    assert len(split.tokens) == len(expand.tokens) + 2
    assert {n.kind for n in split.notes} == {"token-split"}


# --- split and strict --------------------------------------------------------------------------


def test_split_cuts_tokens_at_span_boundaries() -> None:
    text = "الرئيسين الأسد وبوتين"
    result = run(text, [span_of(text, "بوتين", "PERS")], policy="split")
    assert [text[s:e] for s, e in result.tokens] == ["الرئيسين", "الأسد", "و", "بوتين"]
    assert result.tags == [["O", "O", "O", "B-PERS"]]
    (note,) = result.notes
    assert (note.kind, note.remainder, note.severity) == ("token-split", "و", Severity.INFO)


def test_split_warns_on_lam_alef_fusion() -> None:
    """In للأمم the article's alef is dropped after ل: a span meant as الأمم can only start at لأمم."""
    text = "قوات تابعة للأمم المتحدة"
    gold = (text.index("للأمم") + 1, len(text), "ORG")  # لأمم المتحدة
    result = run(text, [gold], policy="split")
    assert [text[s:e] for s, e in result.tokens] == ["قوات", "تابعة", "ل", "لأمم", "المتحدة"]
    assert result.tags == [["O", "O", "O", "B-ORG", "I-ORG"]]
    assert [(n.kind, n.remainder) for n in result.notes] == [("lam-alef-fusion", "ل"), ("token-split", "ل")]
    fusion = result.notes[0]
    assert "الأمم" in fusion.message and fusion.severity is Severity.WARNING
    # Projecting again over the split tokens still reports the fusion (and nothing else).
    starts, ends = zip(*result.tokens, strict=True)
    again = project(text, list(starts), list(ends), [gold], policy="split")
    assert [n.kind for n in again.notes] == ["lam-alef-fusion"] and again.tokens == result.tokens
    # The whole token as the span start (the ANERcorp way) needs no split and no note.
    whole = run(text, [(text.index("للأمم"), len(text), "ORG")], policy="split")
    assert whole.notes == [] and whole.tags == [["O", "O", "B-ORG", "I-ORG"]]


def test_anercorp_lam_alef_fusion_on_real_text() -> None:
    if not ANERCORP.exists():
        pytest.skip(f"ANERcorp not found at {ANERCORP} (../shared is absent)")
    lines = ANERCORP.read_text(encoding="utf-8").splitlines()
    index = lines.index("للأمم B-ORG")
    tokens = [line.split(" ")[0] for line in lines[index - 4 : index + 2]]
    assert tokens[-2:] == ["للأمم", "المتحدة"]
    text = " ".join(tokens)
    starts, ends = token_spans(text)
    org_start = text.index("للأمم")
    result = project(text, starts, ends, [(org_start + 1, len(text), "ORG")], policy="split")
    assert [n.kind for n in result.notes] == ["lam-alef-fusion", "token-split"]
    expand = project(text, starts, ends, [(org_start + 1, len(text), "ORG")])
    assert tagged(text, expand) == [("للأمم", "B-ORG"), ("المتحدة", "I-ORG")]  # as ANERcorp tags it
    assert [(n.kind, n.remainder) for n in expand.notes] == [("clitic-remainder", "ل"), ("lam-alef-fusion", "ل")]


def test_strict_leaves_misaligned_spans_untagged() -> None:
    text = "الرئيسين الأسد وبوتين"
    result = run(text, [span_of(text, "الأسد", "PERS"), span_of(text, "بوتين", "PERS")], policy="strict")
    assert result.tags == [["O", "B-PERS", "O"]]
    (note,) = result.notes
    assert (note.kind, note.span_index, note.severity) == ("misaligned", 1, Severity.WARNING)
    assert "وبوتين" in note.message


# --- nesting and bad spans ---------------------------------------------------------------------


def test_identical_spans_go_one_level_deeper() -> None:
    """Wojood's val.txt has كيلو as both UNIT and QUANTITY; the second goes to the next column."""
    text = "عشرة كيلو"
    kilo = span_of(text, "كيلو", "UNIT")
    result = run(text, [kilo, (kilo[0], kilo[1], "QUANTITY")], levels=2)
    assert result.tags == [["O", "B-UNIT"], ["O", "B-QUANTITY"]]
    assert result.notes == []


def test_four_levels_as_in_wojood() -> None:
    text = "لإنتخابات نقابة العاملين في جامعة بيرزيت"
    spans = [
        (0, len(text), "EVENT"),
        span_of(text, "نقابة العاملين في جامعة بيرزيت", "ORG"),
        span_of(text, "جامعة بيرزيت", "ORG"),
        span_of(text, "بيرزيت", "GPE"),
    ]
    result = run(text, spans, levels=4)
    assert result.tags == [
        ["B-EVENT", "I-EVENT", "I-EVENT", "I-EVENT", "I-EVENT", "I-EVENT"],
        ["O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG"],
        ["O", "O", "O", "O", "B-ORG", "I-ORG"],
        ["O", "O", "O", "O", "O", "B-GPE"],
    ]
    three = run(text, spans, levels=3)
    assert [(n.kind, n.label) for n in three.notes] == [("too-deep", "GPE")]


def test_crossing_collision_and_invalid_spans_are_noted() -> None:
    text = "قمة سورية روسية في موسكو"
    spans = [
        span_of(text, "سورية روسية", "NORP"),
        span_of(text, "روسية في", "X"),  # crosses the NORP span
        (3, 3, "EMPTY"),
        (0, 999, "FAR"),
        (3, 4, "SPACE"),  # only the space between two words
    ]
    result = run(text, spans, levels=2)
    assert result.tags[0] == ["O", "B-NORP", "I-NORP", "O", "O"]
    assert result.tags[1] == ["O"] * 5
    assert sorted((n.kind, n.label) for n in result.notes) == [
        ("crossing", "X"), ("empty-span", "EMPTY"), ("no-token", "SPACE"), ("out-of-range", "FAR"),
    ]
    # Two different spans inside one token collide after expansion at the same level.
    text = "وبوتين"
    collided = run(text, [(0, 1, "A"), (1, 6, "B")])
    assert collided.tags == [["B-A"]]
    assert [n.kind for n in collided.notes] == ["boundary-inside-token", "clitic-remainder", "collision"]
    # Under split they do not collide.
    assert run(text, [(0, 1, "A"), (1, 6, "B")], policy="split").tags == [["B-A", "B-B"]]


def test_span_objects_and_problems() -> None:
    text = "الرئيسين الأسد وبوتين"
    start, end, _ = span_of(text, "بوتين", "PERS")
    spans = [Span(id="T1", layer="entities", start=start, end=end, label="PERS", text="بوتين")]
    starts, ends = token_spans(text)
    (note,) = project(text, starts, ends, spans, policy="strict").notes
    assert note.span_id == "T1"
    problem = note.to_problem(doc_id="sana-1")
    assert (problem.code, problem.span_id, problem.offset, problem.severity) == (
        "projection-misaligned", "T1", start, Severity.WARNING,
    )
    assert "expand" in problem.fix
    assert set(NOTE_KINDS) >= {n.kind for n in project(text, starts, ends, spans).notes}


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="unknown projection policy"):
        project("نص", [0], [2], [], policy="loose")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="levels must be at least 1"):
        project("نص", [0], [2], [], levels=0)
    with pytest.raises(ValueError, match="differ in length"):
        project("نص", [0], [], [])


def test_wojood_gold_tags_round_trip_through_projection() -> None:
    """Decode Wojood's nested tag columns to character spans, project them back: the same tags."""
    path = WOJOOD / "val.txt"
    if not path.exists():
        pytest.skip(f"Wojood sample not found at {path} (../shared is absent)")
    segments = path.read_text(encoding="utf-8").split("\n\n")
    checked = 0
    for segment in segments:
        rows = [line.split(" ") for line in segment.splitlines() if line]
        tokens = [row[0] for row in rows]
        text = " ".join(tokens)
        starts, ends = [], []
        position = 0
        for token in tokens:
            starts.append(position)
            ends.append(position + len(token))
            position += len(token) + 1
        depth = max(len(row) - 1 for row in rows)
        columns = [[row[1 + k] if len(row) > 1 + k else "O" for row in rows] for k in range(depth)]
        spans = []
        for column in columns:
            for i, tag in enumerate(column):
                if tag.startswith("B-") or (tag.startswith("I-") and (i == 0 or column[i - 1][2:] != tag[2:])):
                    j = i
                    while j + 1 < len(column) and column[j + 1] == f"I-{tag[2:]}":
                        j += 1
                    spans.append((starts[i], ends[j], tag[2:]))
        result = project(text, starts, ends, spans, levels=max(depth, 1))
        expected = [[("B-" + t[2:]) if t.startswith("I-") and (i == 0 or c[i - 1] == "O") else t
                     for i, t in enumerate(c)] for c in columns]
        assert result.tags[:depth] == expected, text
        assert result.notes == []
        checked += 1
    assert checked == 158


def test_module_doctests() -> None:
    assert doctest.testmod(project_module).failed == 0
