"""``akhbar inspect --format html``: a built version's summary and the figures of its card in one page.

Kept apart from :mod:`dataset_builder.figures` (which the card writer imports) because it reads the
version with :func:`dataset_builder.card.card_statistics`: one way, card -> figures, never back.
"""

from __future__ import annotations

import html
from pathlib import Path

from dataset_builder.card import card_statistics
from dataset_builder.figures import Figure, version_figures
from dataset_builder.version_dir import VersionDir


def render_version_html(version_dir: str | Path) -> str:
    """``akhbar inspect --format html``: one self-contained page with a built version's summary and the
    figures of its card, each with its numbers in a table under it."""
    version = VersionDir.open(Path(version_dir))
    summary = version.summary()
    manifest = version.manifest_data
    stats = card_statistics(version.path, version.schema(), list(manifest["splits"]))
    sections = []
    for figure in version_figures(manifest, version.schema(), stats):
        sections.append(f"<h2>{_esc(figure.alt)}</h2><figure>{figure.svg}</figure>"
                        f"<details><summary>Table</summary>{_figure_table(figure)}</details>")
    text = _esc(summary.to_text())
    title = f"{summary.name} {summary.version}"
    return (f'<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{_esc(title)}</h1>\n"
            f"<pre class='summary'>{text}</pre>\n" + "\n".join(sections) + "\n</body>\n</html>\n")


def _figure_table(figure: Figure) -> str:
    """The numbers drawn in a figure, read back from its marks (what was drawn is what is listed)."""
    import re

    rows: dict[str, list[tuple[str, str]]] = {}
    for match in re.finditer(r'data-label="([^"]*)"(?: data-segment="([^"]*)")? data-value="([^"]*)"', figure.svg):
        label, segment, value = match.groups()
        rows.setdefault(html.unescape(label), []).append((html.unescape(segment or "count"), value))
    columns = list(dict.fromkeys(name for values in rows.values() for name, _ in values))
    head = "<tr><th></th>" + "".join(f"<th>{_esc(c)}</th>" for c in columns) + "</tr>"
    body = "".join(
        f"<tr><td>{_esc(label)}</td>" + "".join(f"<td class='num'>{_esc(dict(values).get(c, '0'))}</td>"
                                                for c in columns) + "</tr>"
        for label, values in rows.items()
    )
    return f"<table>{head}{body}</table>"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


_STYLE = """
  body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #1f2328; margin: 1.5rem auto;
         max-width: 60rem; padding: 0 1rem; }
  h2 { font-size: 1.1rem; border-bottom: 1px solid #d1d9e0; margin-top: 1.6rem; }
  pre.summary { background: #f6f8fa; padding: .6rem .8rem; border-radius: 6px; font-size: .85rem;
                white-space: pre-wrap; overflow-wrap: anywhere; }
  table { border-collapse: collapse; font-size: .85rem; margin: .4rem 0 1rem; }
  th, td { border: 1px solid #d1d9e0; padding: .15rem .5rem; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  svg.chart { direction: ltr; display: block; }
  details > summary { cursor: pointer; }
"""


__all__ = ["render_version_html"]
