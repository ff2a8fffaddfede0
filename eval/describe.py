"""One-line descriptions of an evaluation run, shared by every report format and ``akhbar compare``.

Kept apart from :mod:`eval.report` so that :mod:`eval.html` (which :mod:`eval.report` renders with)
and the comparison need not import the report module or its private helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eval.evaluate import EvalResult

#: The averaged rows of a score table: (key in ScoreReport, row title).
AVERAGE_ROWS: tuple[tuple[str, str], ...] = (("micro", "micro avg"), ("macro", "macro avg"),
                                             ("weighted", "weighted avg"))


def describe_dataset(result: EvalResult) -> str:
    dataset = result.provenance.dataset
    if not dataset:
        return f"{len(result.units)} {result.unit_kind}s (gold {result.provenance.gold_fingerprint[:19]}…)"
    name = " ".join(str(x) for x in (dataset.get("name"), dataset.get("version")) if x) or dataset.get("source")
    return (f"{name} [{dataset.get('config')}/{dataset.get('split')}], {len(result.units)} {result.unit_kind}s, "
            f"fingerprint {str(dataset.get('fingerprint'))[:23]}…")


def describe_predictions(result: EvalResult) -> str:
    info = result.provenance.predictions
    parts = [str(info[k]) for k in ("model", "source", "format") if info.get(k)]
    if info.get("hash"):
        parts.append(f"{str(info['hash'])[:19]}…")
    return ", ".join(parts)


def settings_line(result: EvalResult) -> str:
    s = result.provenance.settings
    parts = [f"modes={','.join(s.get('modes', []))}"]
    if s.get("label_map"):
        parts.append(f"label_map={s['label_map'].get('source') or 'inline'}")
    if s.get("ignore_labels"):
        parts.append(f"ignore={','.join(s['ignore_labels'])}")
    if s.get("labels") is not None:
        parts.append(f"labels={','.join(s['labels'])}")
    if s.get("min_overlap") is not None:
        parts.append(f"min_overlap={s['min_overlap']}")
    if s.get("clitic_tolerance"):
        parts.append("clitic_tolerance")
    if "scheme" in s:
        parts.append(f"scheme={s['scheme']} decoder={s.get('decoder')}")
    parts.append(f"bootstrap={s.get('bootstrap')} seed={s.get('seed')} zero_division={s.get('zero_division')}")
    return " ".join(parts)


def predictions_name(result: EvalResult) -> str:
    """The model, file or hash the run's predictions came from (the first known)."""
    info = result.provenance.predictions
    return str(info.get("model") or info.get("source") or info.get("hash", "?"))


def gold_name(result: EvalResult) -> str:
    """The gold dataset's name and version, else its source, else the gold fingerprint."""
    dataset = result.provenance.dataset or {}
    name = " ".join(str(x) for x in (dataset.get("name"), dataset.get("version")) if x)
    return name or str(dataset.get("source") or result.provenance.gold_fingerprint[:19])


__all__ = ["AVERAGE_ROWS", "describe_dataset", "describe_predictions", "gold_name", "predictions_name",
           "settings_line"]
