"""Error listing, confusion matrix and per-document scores (eval/errors.py)."""

from __future__ import annotations

import numpy as np
import pytest

from eval.errors import (
    ERROR_CLASSES,
    NO_MENTION,
    ErrorRecord,
    confusion_matrix,
    error_counts,
    error_records,
    errors_by_class,
    per_document_scores,
)
from eval.types import AlignedPair, ErrorClass, Mention

# A sentence of the seed SANA article (2021-09-14), as published.
TEXT = (
    "عقدت في موسكو قمة سورية روسية بين السيدين الرئيسين بشار الأسد وفلاديمير بوتين جرى خلالها التباحث "
    "في ملفات التعاون الثنائي القائم بين البلدين"
)
TEXTS = {"sana": TEXT}


def at(surface: str, label: str, *, occurrence: int = 0, skip: int = 0, doc: str = "sana") -> Mention:
    """A mention of ``surface`` in TEXT (its ``occurrence``-th match), ``skip`` characters trimmed at the start."""
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(surface, start + 1)
    return Mention(doc, start + skip, start + len(surface), label)


MOSCOW = at("موسكو", "GPE")
ASSAD = at("بشار الأسد", "PERS")
PUTIN = at("بوتين", "PERS")
WITH_CONJUNCTION = at("وفلاديمير بوتين", "PERS")
PAIRS = [
    AlignedPair(MOSCOW, MOSCOW, ErrorClass.CORRECT),
    AlignedPair(at("سورية", "NORP"), None, ErrorClass.MISSED),
    AlignedPair(None, at("قمة", "EVENT"), ErrorClass.SPURIOUS),
    AlignedPair(at("روسية", "NORP"), at("روسية", "GPE"), ErrorClass.WRONG_LABEL),
    AlignedPair(ASSAD, at("الأسد", "PERS"), ErrorClass.WRONG_BOUNDARY),
    AlignedPair(at("الرئيسين بشار الأسد", "OCC"), at("السيدين الرئيسين", "PERS"), ErrorClass.WRONG_LABEL_BOUNDARY),
    AlignedPair(at("وفلاديمير بوتين", "PERS", skip=1), WITH_CONJUNCTION, ErrorClass.CLITIC_BOUNDARY),
    AlignedPair(at("البلدين", "GPE"), at("البلدين", "GPE"), ErrorClass.CORRECT),
]


def test_every_error_class_is_listed_with_location_labels_and_text() -> None:
    records = error_records(PAIRS, TEXTS)
    assert len(records) == 6
    by_class = {record.error: record for record in records}
    assert set(by_class) == set(ERROR_CLASSES)

    missed = by_class[ErrorClass.MISSED]
    assert (missed.gold_label, missed.gold_text, missed.pred_label, missed.pred_start) == ("NORP", "سورية", None, None)
    spurious = by_class[ErrorClass.SPURIOUS]
    assert (spurious.gold_label, spurious.pred_label, spurious.pred_text) == (None, "EVENT", "قمة")
    wrong_label = by_class[ErrorClass.WRONG_LABEL]
    assert (wrong_label.gold_label, wrong_label.pred_label, wrong_label.gold_text) == ("NORP", "GPE", "روسية")
    boundary = by_class[ErrorClass.WRONG_BOUNDARY]
    assert (boundary.gold_text, boundary.pred_text) == ("بشار الأسد", "الأسد")
    assert (boundary.gold_start, boundary.gold_end) == (ASSAD.start, ASSAD.end)
    both = by_class[ErrorClass.WRONG_LABEL_BOUNDARY]
    assert (both.gold_text, both.pred_text) == ("الرئيسين بشار الأسد", "السيدين الرئيسين")
    assert (both.start, both.end) == (TEXT.index("السيدين"), ASSAD.end)
    clitic = by_class[ErrorClass.CLITIC_BOUNDARY]
    assert (clitic.gold_text, clitic.pred_text) == ("فلاديمير بوتين", "وفلاديمير بوتين")
    for record in records:
        assert record.doc_id == "sana" and record.layer == "entities"
        assert TEXT[record.start - len(record.left_context):record.start] == record.left_context
        assert TEXT[record.end:record.end + len(record.right_context)] == record.right_context


def test_records_come_in_reading_order_and_correct_pairs_only_on_request() -> None:
    records = error_records(reversed(PAIRS), TEXTS)
    assert [r.start for r in records] == sorted(r.start for r in records)
    everything = error_records(PAIRS, TEXTS, include_correct=True)
    assert len(everything) == len(PAIRS)
    assert sum(r.error is ErrorClass.CORRECT for r in everything) == 2


def test_without_texts_surface_comes_from_mentions_or_stays_unknown() -> None:
    token_pair = AlignedPair(Mention("3", 0, 2, "PERS"), None, ErrorClass.MISSED)
    with_text = AlignedPair(None, Mention("3", 5, 6, "LOC", text="موسكو"), ErrorClass.SPURIOUS)
    missed, spurious = error_records([token_pair, with_text])
    assert missed.gold_text is None and missed.left_context is None
    assert spurious.pred_text == "موسكو"


def test_grouping_and_counts_cover_every_class() -> None:
    grouped = errors_by_class(error_records(PAIRS, TEXTS))
    assert list(grouped) == list(ERROR_CLASSES)
    assert all(len(group) == 1 for group in grouped.values())
    assert errors_by_class([])[ErrorClass.MISSED] == []
    counts = error_counts(PAIRS)
    assert counts["correct"] == 2 and counts["missed"] == 1 and sum(counts.values()) == len(PAIRS)


def test_records_round_trip_through_dicts() -> None:
    for record in error_records(PAIRS, TEXTS):
        assert ErrorRecord.from_dict(record.to_dict()) == record


def test_confusion_matrix_counts_gold_rows_against_predicted_columns() -> None:
    matrix, labels = confusion_matrix(PAIRS)
    assert labels == ["EVENT", "GPE", "NORP", "OCC", "PERS", NO_MENTION]
    cell = {(g, p): int(matrix[i, j]) for i, g in enumerate(labels) for j, p in enumerate(labels)}
    assert cell["GPE", "GPE"] == 2  # موسكو and البلدين
    assert cell["NORP", NO_MENTION] == 1  # missed
    assert cell[NO_MENTION, "EVENT"] == 1  # spurious
    assert cell["NORP", "GPE"] == 1 and cell["OCC", "PERS"] == 1
    assert cell["PERS", "PERS"] == 2  # boundary errors keep their label
    assert cell[NO_MENTION, NO_MENTION] == 0
    assert matrix.sum() == len(PAIRS)


def test_confusion_matrix_with_given_labels_and_its_errors() -> None:
    matrix, labels = confusion_matrix(PAIRS, labels=["PERS", "GPE", "NORP", "OCC", "EVENT", "LOC"])
    assert labels[-1] == NO_MENTION and labels[0] == "PERS"
    assert matrix.shape == (7, 7) and not matrix[5].any() and not matrix[:, 5].any()  # LOC never occurs
    with pytest.raises(ValueError, match="not in `labels`"):
        confusion_matrix(PAIRS, labels=["PERS"])
    with pytest.raises(ValueError, match="reserved"):
        confusion_matrix(PAIRS, labels=["PERS", NO_MENTION])
    empty, axis = confusion_matrix([], labels=["PERS"])
    np.testing.assert_array_equal(empty, np.zeros((2, 2)))
    assert axis == ["PERS", NO_MENTION]


def test_per_document_scores_isolate_the_failing_document() -> None:
    other = [
        AlignedPair(Mention("other", 0, 4, "PERS"), Mention("other", 0, 4, "PERS"), ErrorClass.CORRECT),
        AlignedPair(Mention("other", 9, 12, "GPE"), Mention("other", 9, 12, "GPE"), ErrorClass.CORRECT),
    ]
    scores = per_document_scores(PAIRS + other, "strict", documents=["sana", "other", "empty"])
    assert list(scores) == ["sana", "other", "empty"]
    assert scores["other"].f1 == 1.0 and scores["other"].support == 2
    sana = scores["sana"]
    # strict: 7 gold and 7 predicted mentions in the seed sentence; 2 correct, plus the proclitic
    # boundary that clitic tolerance accepted
    assert (sana.tp, sana.fp, sana.fn) == (3, 4, 4)
    assert sana.f1 == pytest.approx(3 / 7)
    exact = per_document_scores(PAIRS, "exact")["sana"]
    assert exact.tp == 4  # the wrong-label pair has the same boundaries
    assert scores["empty"].f1 == 0.0 and scores["empty"].support == 0


# ------------------------------------------------------------------ predictions not placed in the text


def test_unplaced_predictions_are_spurious_records_without_offsets_listed_after_the_placed_ones() -> None:
    from eval.errors import UNPLACED_REASON, UnplacedPrediction

    trump = UnplacedPrediction("sana", "entities", "PERS", "دونالد ترامب")
    unplaced_pair = AlignedPair(None, trump, ErrorClass.SPURIOUS)  # as eval.align.align returns it
    records = error_records([*PAIRS, unplaced_pair], TEXTS)
    assert records[:-1] == error_records(PAIRS, TEXTS)  # placed records unchanged, in the same order
    last = records[-1]
    assert (last.error, last.pred_label, last.pred_text, last.reason) == (
        ErrorClass.SPURIOUS, "PERS", "دونالد ترامب", UNPLACED_REASON)
    assert not last.placed and last.start is None and last.end is None and last.left_context is None
    assert all(r.placed for r in records[:-1])
    assert ErrorRecord.from_dict(last.to_dict()) == last
    assert "pred_start" not in last.to_dict()
    assert errors_by_class(records)[ErrorClass.SPURIOUS][-1] == last

    counts = error_counts([*PAIRS, unplaced_pair])
    assert counts["spurious"] == error_counts(PAIRS)["spurious"] + 1
    matrix, labels = confusion_matrix([*PAIRS, unplaced_pair])
    before, _ = confusion_matrix(PAIRS, labels=labels[:-1])
    added = matrix - before
    assert added[labels.index(NO_MENTION), labels.index("PERS")] == 1 and added.sum() == 1
    # a label seen only in an unplaced prediction gets its own column
    event = UnplacedPrediction("sana", "entities", "EVENT", "قمة العشرين")
    matrix, labels = confusion_matrix([AlignedPair(None, event, ErrorClass.SPURIOUS)])
    assert labels == ["EVENT", NO_MENTION] and matrix.tolist() == [[0, 0], [1, 0]]


def test_only_labelled_mentions_of_a_document_that_the_text_does_not_support_are_scorable() -> None:
    from eval.errors import UnplacedPrediction
    from eval.mentions import align_mentions

    result = align_mentions(TEXT, [
        {"text": "دونالد ترامب", "label": "PERS"},  # not-found
        {"text": "بوت", "label": "PERS"},  # only inside بوتين: inside-word
        {"text": "موسكو", "label": "GPE"}, {"text": "موسكو", "label": "GPE"},  # the second: occurrences-exhausted
        {"text": "  ", "label": "PERS"},  # empty-text
        {"text": "موسكو"},  # malformed
    ], doc_id="sana")
    reasons = [u.reason for u in result.unaligned]
    assert reasons == ["not-found", "inside-word", "occurrences-exhausted", "empty-text", "malformed"]
    scorable = [UnplacedPrediction.from_unaligned(u) for u in result.unaligned]
    assert [(s.text, s.label, s.why) if s else None for s in scorable] == [
        ("دونالد ترامب", "PERS", "not-found"), ("بوت", "PERS", "inside-word"),
        ("موسكو", "GPE", "occurrences-exhausted"), None, None]
    assert UnplacedPrediction.from_dict(scorable[0].to_dict()) == scorable[0]
