"""What a dataset card says about gold that was adjudicated from several annotators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["adjudication_paragraph"]


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def adjudication_paragraph(record_path: str | Path) -> str:
    """One Markdown paragraph from an ``.adjudication.json`` record: annotators, policy, counts, agreement.

    Raises
    ------
    InputError
        When the record cannot be read (:func:`~dataset_builder.annotate.adjudicate.read_adjudication_record`).
    """
    from dataset_builder.annotate.adjudicate import read_adjudication_record

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
