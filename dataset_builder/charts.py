"""Small SVG charts of our own: horizontal bars with interval whiskers, stacked bars, a heatmap.

Every chart of the project (the HTML evaluation report, ``akhbar compare --format html``, the figures of a
dataset card and ``akhbar inspect --format html``) is drawn here, as a standalone ``<svg>`` string that
works inline in a page and as a ``.svg`` file the Hub shows in a card. Why not matplotlib: these four
chart kinds are a few rectangles and text each; the six charts of a report take about 0.02 s of CPU
here against 1.2 s to import matplotlib and draw the same (``benchmarks/charts.py``, figures in
docs/benchmarks.md); writing them directly adds no dependency, gives byte-stable output (committed
card figures must not change between runs or machines) and lets tests read every number back from
the SVG text.

Choices that hold for every chart:

- colours from the Okabe-Ito palette, which stays distinguishable under the common colour-vision
  deficiencies; bars also carry their value as text, so nothing depends on colour alone, in print
  neither;
- the ``<svg>`` is ``direction="ltr"`` so its layout does not mirror inside a right-to-left page,
  while Arabic label text still runs right to left inside its own ``<text>`` element;
- each chart has a ``<title>`` (screen readers) and its marks carry ``data-*`` attributes (tests,
  scripts) with the exact values drawn.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Okabe & Ito (2008), "Color Universal Design": distinguishable for deuteranopia, protanopia and
#: tritanopia; the order puts the darkest, most print-safe hues first.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
                            "#000000")
FONT = "DejaVu Sans, Noto Sans, Segoe UI, Arial, sans-serif"
INK, MUTED, RULE = "#1f2328", "#59636e", "#d1d9e0"
SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 640
ROW = 22  # height of one bar row
CHAR = 8.0  # a wide 11px capital (DejaVu Sans, Noto Sans), to size the label column without clipping


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _label_width(labels: Sequence[str], minimum: float = 40, maximum: float = 220) -> float:
    return min(maximum, max(minimum, CHAR * max((len(label) for label in labels), default=0) + 12))


def _svg(width: float, height: float, title: str, body: list[str], kind: str) -> str:
    return (f'<svg class="chart {kind}" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" direction="ltr" role="img" font-family="{FONT}" '
            f'font-size="11" style="max-width:100%;height:auto">'
            f"<title>{_esc(title)}</title>"
            f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>")


def svg_file(svg: str) -> str:
    """A chart as the text of a standalone ``.svg`` file (inline SVG in HTML needs no namespace; a file does)."""
    return '<?xml version="1.0" encoding="utf-8"?>\n' + svg.replace("<svg ", f'<svg xmlns="{SVG_NS}" ', 1) + "\n"


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "", fill: str = INK,
          weight: str = "") -> str:
    attrs = f' class="{css}"' if css else ""
    attrs += f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{attrs}>{_esc(text)}</text>')


def format_percent(value: float | None) -> str:
    """A score as the reports print it: ``83.33`` for 0.8333..., ``n/a`` for NaN or None."""
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.2f}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, value, optional interval (whisker) and a note drawn after the value."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    note: str = ""
    highlight: bool = False


def bar_chart(bars: Sequence[Bar], *, title: str, axis_max: float = 1.0, percent: bool = True,
              colour: str = PALETTE[5]) -> str:
    """Horizontal bars from 0 to ``axis_max``, one per :class:`Bar`, in the order given.

    Values are drawn as text beside each bar (as percentages with two decimals when ``percent``,
    else as integers); an interval is a whisker with end ticks. A NaN value draws no bar and says
    ``n/a``.
    """
    left = _label_width([b.label for b in bars])
    value_room = 150
    plot = WIDTH - left - value_room
    top, height = 26, 26 + ROW * len(bars) + 24
    axis_max = axis_max if axis_max > 0 else 1.0

    def x(value: float) -> float:
        return left + plot * max(0.0, min(value, axis_max)) / axis_max

    body = [_text(8, 16, title, weight="600")]
    for tick in range(5):
        value = axis_max * tick / 4
        body.append(f'<line x1="{x(value):.1f}" y1="{top - 4}" x2="{x(value):.1f}" y2="{height - 22}" '
                    f'stroke="{RULE}" stroke-width="1"/>')
        shown = f"{100 * value:g}" if percent else f"{value:g}"
        body.append(_text(x(value), height - 8, shown, anchor="middle", fill=MUTED))
    for index, bar in enumerate(bars):
        y = top + ROW * index
        missing = bar.value is None or math.isnan(bar.value)
        shown = (format_percent(bar.value) if percent else "n/a" if missing else f"{bar.value:g}")
        body.append(_text(left - 6, y + 15, bar.label, anchor="end", css="label"))
        fill = PALETTE[1] if bar.highlight else colour
        if not missing:
            body.append(f'<rect class="bar" x="{left:.1f}" y="{y + 4}" width="{x(bar.value) - left:.1f}" '
                        f'height="{ROW - 8}" fill="{fill}" data-label="{_esc(bar.label)}" '
                        f'data-value="{bar.value!r}"/>')
        else:
            body.append(f'<rect class="bar" x="{left:.1f}" y="{y + 4}" width="0" height="{ROW - 8}" '
                        f'data-label="{_esc(bar.label)}" data-value="nan"/>')
        end = x(bar.value) if not missing else left
        if bar.low is not None and bar.high is not None and not math.isnan(bar.low):
            lo, hi, mid = x(bar.low), x(bar.high), y + ROW / 2
            end = max(end, hi)
            body.append(f'<g class="whisker" stroke="{INK}" stroke-width="1.2" data-low="{bar.low!r}" '
                        f'data-high="{bar.high!r}"><line x1="{lo:.1f}" y1="{mid:.1f}" x2="{hi:.1f}" y2="{mid:.1f}"/>'
                        f'<line x1="{lo:.1f}" y1="{mid - 4:.1f}" x2="{lo:.1f}" y2="{mid + 4:.1f}"/>'
                        f'<line x1="{hi:.1f}" y1="{mid - 4:.1f}" x2="{hi:.1f}" y2="{mid + 4:.1f}"/></g>')
        note = f"  {bar.note}" if bar.note else ""
        body.append(_text(end + 5, y + 15, shown + note, css="value"))
    return _svg(WIDTH, height, title, body, "bars")


def stacked_bar_chart(rows: Sequence[tuple[str, Sequence[float]]], segments: Sequence[str], *, title: str) -> str:
    """One horizontal bar per row, split into ``segments`` (counts), with a legend and the total.

    Each segment with a count is a ``<rect class="segment">`` carrying its count; the width of a row
    is proportional to its total, the longest row filling the plot.
    """
    left = _label_width([label for label, _ in rows])
    plot = WIDTH - left - 60
    legend_rows = math.ceil(len(segments) / 3)
    top = 26 + 18 * legend_rows
    height = top + ROW * len(rows) + 8
    largest = max((sum(values) for _, values in rows), default=0) or 1
    body = [_text(8, 16, title, weight="600")]
    for index, name in enumerate(segments):
        lx, ly = 8 + (WIDTH - 16) / 3 * (index % 3), 24 + 18 * (index // 3)
        body.append(f'<rect x="{lx:.1f}" y="{ly}" width="11" height="11" fill="{PALETTE[index % len(PALETTE)]}"/>')
        body.append(_text(lx + 15, ly + 10, name, css="legend"))
    for index, (label, values) in enumerate(rows):
        y = top + ROW * index
        body.append(_text(left - 6, y + 15, label, anchor="end", css="label"))
        x = left
        for segment, (name, value) in enumerate(zip(segments, values, strict=True)):
            if not value:
                continue
            width = plot * value / largest
            body.append(f'<rect class="segment" x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" '
                        f'fill="{PALETTE[segment % len(PALETTE)]}" stroke="#ffffff" stroke-width="0.8" '
                        f'data-label="{_esc(label)}" data-segment="{_esc(name)}" data-value="{value:g}">'
                        f"<title>{_esc(label)}, {_esc(name)}: {value:g}</title></rect>")
            x += width
        body.append(_text(x + 5, y + 15, f"{sum(values):g}", css="value"))
    return _svg(WIDTH, height, title, body, "stacked")


def heatmap(matrix: Sequence[Sequence[float]], rows: Sequence[str], columns: Sequence[str], *, title: str,
            row_title: str, column_title: str) -> str:
    """A matrix of counts as shaded cells with the count written in each non-empty one.

    Shading is one hue (blue) of increasing darkness, readable in grey print; text turns white on
    dark cells.
    """
    left = _label_width(rows) + 16
    cell = max(18.0, min(44.0, (WIDTH - left - 10) / max(1, len(columns))))
    label_room = _label_width(columns, minimum=20, maximum=120)
    top = 30 + label_room
    width = max(WIDTH * 0.5, left + cell * len(columns) + 10)
    height = top + cell * len(rows) + 10
    largest = max((v for row in matrix for v in row), default=0) or 1
    body = [_text(8, 16, f"{title} ({row_title} \u00d7 {column_title})", weight="600")]
    for j, name in enumerate(columns):
        cx = left + cell * j + cell / 2
        body.append(f'<text x="{cx:.1f}" y="{top - 6}" transform="rotate(-60 {cx:.1f} {top - 6})" '
                    f'fill="{INK}" class="column">{_esc(name)}</text>')
    for i, name in enumerate(rows):
        y = top + cell * i
        body.append(_text(left - 6, y + cell / 2 + 4, name, anchor="end", css="row"))
        for j, value in enumerate(matrix[i]):
            share = value / largest
            # Light blue to dark blue in lightness steps that survive greyscale printing.
            fill = "#ffffff" if not value else _blend("#deebf7", "#08306b", share)
            body.append(f'<rect class="cell" x="{left + cell * j:.1f}" y="{y:.1f}" width="{cell:.1f}" '
                        f'height="{cell:.1f}" fill="{fill}" stroke="{RULE}" data-row="{_esc(name)}" '
                        f'data-column="{_esc(columns[j])}" data-value="{value:g}"/>')
            if value:
                body.append(_text(left + cell * j + cell / 2, y + cell / 2 + 4, f"{value:g}", anchor="middle",
                                  css="count", fill="#ffffff" if share > 0.5 else INK))
    return _svg(width, height, title, body, "heatmap")


def _blend(light: str, dark: str, share: float) -> str:
    a = [int(light[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(dark[i:i + 2], 16) for i in (1, 3, 5)]
    share = 0.15 + 0.85 * max(0.0, min(1.0, share))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


@dataclass(frozen=True, slots=True)
class Difference:
    """One row of a difference chart: ``delta`` = B - A with its interval, and whether it is significant."""

    label: str
    delta: float
    low: float
    high: float
    significant: bool
    note: str = ""


def difference_chart(rows: Sequence[Difference], *, title: str) -> str:
    """Each difference as a dot on its interval around a zero line; significant rows are filled and
    marked ``*``, the others hollow. The axis is symmetric and spans the widest interval."""
    left = _label_width([r.label for r in rows]) + 8
    value_room = 190
    plot = WIDTH - left - value_room
    top, height = 26, 26 + ROW * len(rows) + 24
    finite = [abs(v) for r in rows for v in (r.delta, r.low, r.high) if not math.isnan(v)]
    reach = max(finite, default=0.0) or 0.01
    reach = math.ceil(reach * 100 / 5) * 5 / 100  # whole five points

    def x(value: float) -> float:
        return left + plot * (value + reach) / (2 * reach)

    body = [_text(8, 16, title, weight="600")]
    for tick in (-reach, -reach / 2, 0.0, reach / 2, reach):
        body.append(f'<line x1="{x(tick):.1f}" y1="{top - 4}" x2="{x(tick):.1f}" y2="{height - 22}" '
                    f'stroke="{INK if tick == 0 else RULE}" stroke-width="1"/>')
        body.append(_text(x(tick), height - 8, f"{100 * tick:+g}" if tick else "0", anchor="middle", fill=MUTED))
    for index, row in enumerate(rows):
        y = top + ROW * index
        mid = y + ROW / 2
        body.append(_text(left - 6, y + 15, row.label, anchor="end", css="label"))
        colour = PALETTE[0] if row.delta >= 0 else PALETTE[1]
        if not math.isnan(row.low):
            body.append(f'<line class="interval" x1="{x(row.low):.1f}" y1="{mid:.1f}" x2="{x(row.high):.1f}" '
                        f'y2="{mid:.1f}" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<circle class="delta" cx="{x(row.delta):.1f}" cy="{mid:.1f}" r="4.5" stroke="{colour}" '
                    f'stroke-width="1.5" fill="{colour if row.significant else "#ffffff"}" '
                    f'data-label="{_esc(row.label)}" data-delta="{row.delta!r}" '
                    f'data-significant="{str(row.significant).lower()}"/>')
        interval = "" if math.isnan(row.low) else f" [{100 * row.low:+.2f}, {100 * row.high:+.2f}]"
        star = " *" if row.significant else ""
        body.append(_text(left + plot + 8, y + 15, f"{100 * row.delta:+.2f}{interval}{star}{row.note}",
                          css="value"))
    return _svg(WIDTH, height, title, body, "differences")


__all__ = ["PALETTE", "Bar", "Difference", "bar_chart", "difference_chart", "format_percent", "heatmap",
           "stacked_bar_chart", "svg_file"]
