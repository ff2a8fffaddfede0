"""Property tests: our scores equal seqeval's, nervaluate's and conlleval.pl's on random tag sequences.

Hypothesis draws several sentences of gold and predicted tags over four types, ill-formed ones
included (``I-`` after ``O``, type switches inside a run, ``E-``/``S-`` out of place).

* seqeval 1.2.2, default mode and ``mode="strict"``, IOB2 and IOBES: identical counts (support) and
  identical precision/recall/F1 (up to the last bits of floating point: seqeval computes F1 as
  2PR/(P+R), we as 2TP/(2TP+FP+FN), scikit-learn's form) per label and micro/macro/weighted. One
  documented difference is left out: with no entity at all seqeval reports a weighted average of 0
  but a macro average of nan; we follow scikit-learn (nan for both).
* nervaluate 1.2.1, all four modes, overall and per label. nervaluate matches each prediction, in
  list order, with the *first* unmatched gold it overlaps, so its partial/ent_type answers depend on
  the order of the mentions (MantisAI/nervaluate#40, #84). The property is therefore restricted,
  for ``partial`` and ``type``, to inputs where no mention overlaps two mentions of the other side:
  there the matching is unambiguous. A failing example outside the restriction, one sentence::

      gold  B-X I-X B-X I-X I-X I-X O        gold spans [0,2) and [2,6)
      pred  O   B-X I-X I-X I-X B-X I-X      pred spans [1,5) and [5,7)

  nervaluate pairs [1,5) with [0,2) (first in list order) and [5,7) with [2,6): partial precision
  0.5; listing the gold spans the other way round gives 0.25. We pair [1,5) with [2,6) (largest
  overlap) whatever the order, and [0,2) is missed, [5,7) spurious: 0.25.
  ``strict`` and ``exact`` are checked without restriction: their scores depend only on exact
  matches, which nervaluate finds whatever the order when spans on a side do not overlap.
* conlleval.pl: when ``CONLLEVAL_PL`` names a copy of the script, random files are scored by it
  (``perl``) and by :func:`eval.conlleval.run_conlleval_file`, and the reports must be equal byte for
  byte. Without it, ``tests/test_conlleval.py`` checks 54 recorded outputs of the script.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.bio import mentions_from_tags
from eval.conlleval import run_conlleval_file
from eval.score import score_modes, score_tags
from eval.types import Mention

TYPES = ("PER", "LOC", "ORG", "MISC")
NERVALUATE_MODE = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def _corpus(prefixes: str) -> st.SearchStrategy[tuple[list[list[str]], list[list[str]]]]:
    tag = st.sampled_from(["O", "O", "O"] + [f"{p}-{t}" for p in prefixes for t in TYPES])
    gold = st.lists(st.lists(tag, max_size=14), min_size=1, max_size=6)
    return gold.flatmap(lambda g: st.tuples(
        st.just(g), st.tuples(*(st.lists(tag, min_size=len(s), max_size=len(s)) for s in g)).map(list)))


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _check_against_seqeval(y_true: list[list[str]], y_pred: list[list[str]], scheme: str, strict: bool) -> None:
    import seqeval.scheme
    from seqeval.metrics import classification_report

    kwargs = {"mode": "strict", "scheme": getattr(seqeval.scheme, scheme)} if strict else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = classification_report(y_true, y_pred, output_dict=True, zero_division=0, **kwargs)
    ours = score_tags(y_true, y_pred, scheme=scheme, decoder="strict" if strict else "lenient")  # type: ignore[arg-type]
    labels = [k for k in reference if not k.endswith(" avg")]
    assert labels == list(ours.per_label)
    if not labels:
        return
    rows = {**ours.per_label, "micro avg": ours.micro, "macro avg": ours.macro, "weighted avg": ours.weighted}
    for name, expected in reference.items():
        row = rows[name]
        assert expected["support"] == row.support, name
        for theirs, mine in (("precision", row.precision), ("recall", row.recall), ("f1-score", row.f1)):
            assert _close(float(expected[theirs]), mine), (name, theirs, expected, row)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corpus("BI"), st.booleans())
def test_seqeval_iob2(corpus: tuple[list[list[str]], list[list[str]]], strict: bool) -> None:
    _check_against_seqeval(*corpus, "IOB2", strict)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corpus("BIES"), st.booleans())
def test_seqeval_iobes(corpus: tuple[list[list[str]], list[list[str]]], strict: bool) -> None:
    _check_against_seqeval(*corpus, "IOBES", strict)


def _unambiguous(gold: list[Mention], pred: list[Mention]) -> bool:
    def overlaps(a: Mention, b: Mention) -> bool:
        return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end

    return all(sum(overlaps(g, p) for p in pred) <= 1 for g in gold) and \
        all(sum(overlaps(p, g) for g in gold) <= 1 for p in pred)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corpus("BI"))
def test_nervaluate_all_modes(corpus: tuple[list[list[str]], list[list[str]]]) -> None:
    from nervaluate import Evaluator

    y_true, y_pred = corpus
    gold, pred = mentions_from_tags(y_true), mentions_from_tags(y_pred)
    labels = sorted({m.label for m in gold + pred})
    if not labels:
        return
    reference = Evaluator(y_true, y_pred, tags=labels, loader="list").evaluate()
    ours = score_modes(gold, pred)
    unambiguous = _unambiguous(gold, pred)
    for mode, theirs_mode in NERVALUATE_MODE.items():
        if mode in ("partial", "type") and not unambiguous:
            continue
        overall = reference["overall"][theirs_mode]
        micro = ours[mode].micro
        assert (overall.possible, overall.actual) == (micro.support, ours[mode].n_pred)
        for theirs, mine in ((overall.precision, micro.precision), (overall.recall, micro.recall),
                             (overall.f1, micro.f1)):
            assert _close(theirs, mine), (mode, overall, micro)
        for label in labels:
            expected, row = reference["entities"][label][theirs_mode], ours[mode].per_label[label]
            assert expected.possible == row.support
            assert _close(expected.precision, row.precision) and _close(expected.recall, row.recall), (mode, label)


def test_nervaluate_is_order_dependent_where_we_are_not() -> None:
    """The docstring's example, run: nervaluate's partial precision changes with the gold order; ours is the
    best one-to-one matching's (two half-credit pairs) in both orders."""
    from nervaluate import Evaluator

    gold = [{"label": "X", "start": 0, "end": 1}, {"label": "X", "start": 2, "end": 5}]  # inclusive ends
    pred = [[{"label": "X", "start": 1, "end": 4}, {"label": "X", "start": 5, "end": 6}]]
    forward = Evaluator([gold], pred, tags=["X"]).evaluate()["overall"]["partial"].precision
    backward = Evaluator([gold[::-1]], pred, tags=["X"]).evaluate()["overall"]["partial"].precision
    assert (forward, backward) == (0.5, 0.25)
    ours = [score_modes([Mention("s", g["start"], g["end"] + 1, "X") for g in order],
                        [Mention("s", p["start"], p["end"] + 1, "X") for p in pred[0]])["partial"].micro.precision
            for order in (gold, gold[::-1])]
    assert ours == [0.5, 0.5]


# ------------------------------------------------------------------------------- conlleval.pl

CONLLEVAL_PL = os.environ.get("CONLLEVAL_PL")


@pytest.mark.skipif(not CONLLEVAL_PL or not shutil.which("perl"),
                    reason="set CONLLEVAL_PL to a copy of conlleval.pl (and install perl) for live parity; "
                           "recorded outputs are checked in tests/test_conlleval.py")
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_corpus("BIES"), st.booleans(), st.booleans())
def test_conlleval_pl_live(tmp_path: Path, corpus: tuple[list[list[str]], list[list[str]]], latex: bool,
                           docstart: bool) -> None:
    y_true, y_pred = corpus
    lines = ["-DOCSTART- O O", ""] if docstart else []
    for gold, pred in zip(y_true, y_pred, strict=True):
        lines += [f"w{i} {g} {p}" for i, (g, p) in enumerate(zip(gold, pred, strict=True))] + [""]
    path = tmp_path / "case.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    options = ["-l"] if latex else []
    with path.open("rb") as stdin:
        expected = subprocess.run(["perl", str(CONLLEVAL_PL), *options], stdin=stdin, capture_output=True,
                                  check=True).stdout.decode("utf-8")
    assert run_conlleval_file(path, latex=latex) == expected
