"""Label maps applied to gold and predicted mentions before scoring.

The maps themselves (:class:`~dataset_builder.labels.LabelMap`, the built-in maps in
``dataset_builder/labelmaps/``) are shared with the builder, which applies the same files at build
time; this module adds :func:`map_mentions` for evaluation and re-exports the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from dataset_builder.labels import LABELMAP_DIR, LabelMap, as_label_map, builtin_label_maps
from eval.types import Mention

__all__ = ["LABELMAP_DIR", "LabelMap", "as_label_map", "builtin_label_maps", "map_mentions"]


def map_mentions(mentions: Iterable[Mention], label_map: LabelMap | Mapping[str, str | None] | str | Path | None = None,
                 ignore: Sequence[str] = ()) -> list[Mention]:
    """Relabel mentions through a label map and drop ignored labels.

    Parameters
    ----------
    mentions : iterable of Mention
    label_map : LabelMap, mapping, YAML path or built-in map name, optional
        Applied first; a label mapped to ``None`` drops the mention.
    ignore : sequence of str, default=()
        Labels (after mapping) whose mentions are dropped.

    Returns
    -------
    list of Mention
        The kept mentions in input order, with ``text`` and ``id`` preserved.

    Raises
    ------
    ValueError
        When a label is not in a map with ``unknown="error"``; the message names the label, the
        first document and offset where it occurs, and how to fix the map.

    Examples
    --------
    >>> from eval.types import Mention
    >>> ms = [Mention("d", 0, 4, "Politician"), Mention("d", 5, 9, "Nation")]
    >>> [m.label for m in map_mentions(ms, {"Politician": "PERS", "Nation": None})]
    ['PERS']
    """
    resolved = as_label_map(label_map) if label_map is not None else None
    ignored = frozenset(ignore)
    out: list[Mention] = []
    for m in mentions:
        label: str | None = m.label
        if resolved is not None:
            try:
                label = resolved(m.label)
            except KeyError:
                raise ValueError(
                    f"doc {m.doc_id}, offset {m.start}: label {m.label!r} is not in label map {resolved.name!r}. "
                    f"Add it to the map (map it to null to drop such mentions), or use unknown='keep' or "
                    f"unknown='drop'.") from None
        if label is None or label in ignored:
            continue
        out.append(m if label == m.label else replace(m, label=label))
    return out
