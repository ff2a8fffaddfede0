"""Figures of a built version: what the dataset card embeds and ``akhbar inspect --format html`` shows.

Four kinds, each a small SVG drawn by :mod:`dataset_builder.charts` from numbers the card already
states in its tables: spans per label and split (one figure per layer), tokens per document,
nesting depth (layers with nested spans) and defects by kind. The card links them relatively
(``figures/<name>.svg``), so they show on the Hub and in any checkout of the export; the Hub
displays SVG files of the repository as images.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dataset_builder.charts import Bar, bar_chart, stacked_bar_chart, svg_file

if TYPE_CHECKING:

    from dataset_builder.card import CardStatistics
    from dataset_builder.schema import Schema

#: Folder of the figures, next to the card's README.md (in the version, the export and cards/<name>/).
FIGURES_DIR = "figures"
#: Upper edges of the tokens-per-document bins (the last bin is open).
TOKEN_BINS = (100, 250, 500, 1000, 2000, 5000)


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: its file name in :data:`FIGURES_DIR`, its alternative text and its inline ``<svg>``."""

    name: str
    alt: str
    svg: str

    @property
    def path(self) -> str:
        """Where the card links it: relative to README.md."""
        return f"{FIGURES_DIR}/{self.name}"

    def file_text(self) -> str:
        return svg_file(self.svg)


def nice_axis_max(value: float) -> float:
    """The smallest whole number of at least ``value`` whose quarters are round (4, 8, 40, 160...)."""
    if value <= 0:
        return 4.0
    quarter = value / 4
    step = 10 ** max(0, math.floor(math.log10(quarter))) if quarter >= 1 else 1
    return 4 * math.ceil(quarter / step) * step


def token_bin_labels() -> list[str]:
    lows = (1, *(edge + 1 for edge in TOKEN_BINS))
    return [f"{low}–{high}" for low, high in zip(lows, TOKEN_BINS, strict=False)] + [f"> {TOKEN_BINS[-1]}"]


def token_histogram(counts: Sequence[int]) -> list[int]:
    """How many documents fall in each bin of :data:`TOKEN_BINS` (and above the last)."""
    import bisect

    bins = [0] * (len(TOKEN_BINS) + 1)
    for count in counts:
        bins[bisect.bisect_left(TOKEN_BINS, count)] += 1
    return bins


def version_figures(manifest: Mapping[str, Any], schema: Schema, stats: CardStatistics) -> list[Figure]:
    """The figures of a built version, from its manifest and :func:`~dataset_builder.card.card_statistics`."""
    splits = list(manifest["splits"])
    labels = manifest.get("labels", {})
    figures = []
    for layer in schema.layers:
        rows = [(label, [labels.get(s, {}).get(layer.name, {}).get(label, 0) for s in splits])
                for label in layer.label_names]
        rows = sorted(rows, key=lambda row: (-sum(row[1]), row[0]))
        figures.append(Figure(f"labels-{layer.name}.svg", f"Spans per label and split, layer {layer.name}",
                              stacked_bar_chart(rows, splits, title=f"{layer.name}: spans per label and split")))
    if stats.tokens_per_document:
        by_bin = [sum(values) for values in zip(*(token_histogram(stats.tokens_per_document.get(s, []))
                                                   for s in splits), strict=True)]
        bars = [Bar(label, count) for label, count in zip(token_bin_labels(), by_bin, strict=True)]
        figures.append(Figure("tokens-per-document.svg", "Documents by number of tokens",
                              bar_chart(bars, title="documents by number of tokens (all splits)",
                                        axis_max=nice_axis_max(max(by_bin)), percent=False)))
    for layer in schema.layers:
        depth = stats.depth.get(layer.name, {})
        deepest = max((d for counter in depth.values() for d in counter), default=0)
        if not layer.nesting and deepest <= 1:
            continue
        bars = [Bar(f"depth {level}", sum(depth[s].get(level, 0) for s in splits)) for level in range(1, deepest + 1)]
        figures.append(Figure(f"nesting-{layer.name}.svg", f"Spans by nesting depth, layer {layer.name}",
                              bar_chart(bars, title=f"{layer.name}: spans by nesting depth (all splits)",
                                        axis_max=nice_axis_max(max((b.value for b in bars), default=0)),
                                        percent=False)))
    defects = manifest.get("defects") or {}
    if defects:
        bars = [Bar(kind, count) for kind, count in sorted(defects.items(), key=lambda item: (-item[1], item[0]))]
        figures.append(Figure("defects.svg", "Text defects by kind",
                              bar_chart(bars, title="text defects by kind (all splits)",
                                        axis_max=nice_axis_max(max(defects.values())), percent=False)))
    return figures


def figures_markdown(figures: Sequence[Figure]) -> str:
    """The card's figure block: each figure as a Markdown image with a relative link."""
    return "\n\n".join(f"![{figure.alt}]({figure.path})" for figure in figures)


__all__ = ["FIGURES_DIR", "TOKEN_BINS", "Figure", "figures_markdown", "nice_axis_max", "token_histogram",
           "version_figures"]
