"""What a dataset card says about gold that was adjudicated from several annotators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataset_builder.problems import InputError, Problem

__all__ = ["adjudication_paragraph", "read_adjudication_record"]


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def adjudication_paragraph(record_path: str | Path) -> str:
    """One Markdown paragraph from an ``.adjudication.json`` record: annotators, policy, counts, agreement.

    Raises
    ------
    InputError
        When the record cannot be read (:func:`read_adjudication_record`).
    """
    record = read_adjudication_record(record_path)
    spans, links = record["spans"], record["links"]
    annotators = record["annotators"]
    text = (f"The gold was adjudicated from {len(annotators)} annotators ({', '.join(annotators)}) under the "
            f"`{record['policy']}` policy (`akhbar adjudicate`): of {spans['in']} annotated spans, "
            f"{spans['kept_votes']} agreed on {spans['kept']} kept spans, {spans['dropped_by_decision']} were "
            f"dropped by the policy and {spans['in_conflicts']} were left in {len(record['conflicts'])} "
            f"conflict(s) for a human; of {links['in']} links, {links['kept']} were kept.")
    agreement = record.get("agreement") or {}
    if agreement:
        alpha = ", ".join(f"`{layer}` {_num(value)}" for layer, value in agreement["krippendorff_alpha"].items())
        text += f" Agreement before adjudication: Krippendorff's alpha on token tags {alpha}"
        for pair in agreement["pairs"]:
            f1 = "; ".join(f"`{layer}` " + ", ".join(f"{mode} {_pct(v)}" for mode, v in modes.items())
                           for layer, modes in pair["f1"].items())
            kappa = ", ".join(f"`{layer}` {_num(v)}" for layer, v in pair["cohen_kappa"].items())
            text += (f"; {pair['a']} and {pair['b']} ({pair['documents']} documents): span F1 {f1}; "
                     f"Cohen's kappa {kappa}")
        text += " (docs/annotation.md explains each figure)."
    return text


def read_adjudication_record(path: str | Path) -> dict[str, Any]:
    """The record :func:`write_adjudication` wrote (for the dataset card)."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(Problem("adjudication-record", f"cannot read the adjudication record: {exc}",
                                 "Point at the .adjudication.json file that akhbar adjudicate wrote.",
                                 path=str(path))) from None
    if not isinstance(record, dict) or "policy" not in record:
        raise InputError(Problem("adjudication-record", "not an adjudication record (no policy).",
                                 "Point at the .adjudication.json file that akhbar adjudicate wrote.", path=str(path)))
    return record
