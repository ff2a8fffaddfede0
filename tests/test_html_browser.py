"""The HTML report (eval/html.py): well-formed nested highlights, self-contained page, and a real browser.

The browser test renders a report of the real SANA seed article (gold from corpora/sana-sample) in
headless Chromium, takes a screenshot and reads the rendered DOM back. It is skipped only when no
Chromium binary can be found.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dataset_builder.model import Document
from dataset_builder.readers.jsonl import read_jsonl
from eval.evaluate import EvalResult, evaluate
from eval.html import label_colours, render_document_text, render_html
from eval.options import BootstrapOptions
from eval.types import AlignedPair, ErrorClass, Mention

REPO = Path(__file__).resolve().parents[1]
GOLD_FILE = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
SEED = REPO.parent / "shared" / "seed" / "sana-2021-09-14-assad-putin-moscow.txt"


class _Balance(HTMLParser):
    """Checks that every <span> opened is closed in order, and collects the text."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.max_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)
            self.max_depth = max(self.max_depth, len(self.stack))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(fragment: str) -> _Balance:
    parser = _Balance()
    parser.feed(fragment)
    parser.close()
    assert parser.stack == [], f"unclosed tags: {parser.stack}"
    return parser


def _documents() -> list[Document]:
    return [item for item in read_jsonl(GOLD_FILE) if isinstance(item, Document)]


def _predictions(doc: Document) -> list[Mention]:
    """Gold entities with every third one relabelled, every fourth one missed and a trimmed boundary."""
    predicted = []
    for index, span in enumerate(doc.layer("entities")):
        mention = Mention(doc.id, span.start, span.end, span.label)
        if index % 4 == 3:
            continue
        if index % 3 == 2:
            mention = replace(mention, label="ORG" if span.label != "ORG" else "GPE")
        if index % 7 == 5 and span.end - span.start > 3:
            mention = replace(mention, start=span.start + 1)
        predicted.append(mention)
    predicted += [Mention(doc.id, s.start, s.end, s.label, "quotes") for s in doc.layer("quotes")[1:]]
    return predicted


@pytest.fixture(scope="module")
def result() -> EvalResult:
    docs = _documents()
    return evaluate(docs, _predictions(docs[0]), intervals=BootstrapOptions(resamples=100, seed=0))


# ----------------------------------------------------------------------------------- document text


TEXT = "قال الرئيس بشار الأسد <لوزير> الخارجية & وبوتين"


def _m(surface: str, label: str, *, skip: int = 0) -> Mention:
    start = TEXT.index(surface)
    return Mention("d", start + skip, start + len(surface), label)


def test_nested_and_crossing_spans_give_well_formed_markup_and_the_exact_text() -> None:
    outer, inner = _m("الرئيس بشار الأسد", "PERS"), _m("الرئيس", "OCC")
    crossing_pred = _m("بشار الأسد <لوزير>", "PERS")  # crosses the outer gold span's end
    pairs = [
        AlignedPair(outer, crossing_pred, ErrorClass.WRONG_BOUNDARY),
        AlignedPair(inner, inner, ErrorClass.CORRECT),
        AlignedPair(_m("وبوتين", "PERS", skip=1), None, ErrorClass.MISSED),
        AlignedPair(None, _m("الخارجية", "ORG"), ErrorClass.SPURIOUS),
    ]
    markup = render_document_text(TEXT, pairs, label_colours(["PERS", "OCC", "ORG"]))
    parsed = _parse(markup)
    assert "".join(parsed.text) == TEXT  # text exactly as read, escapes undone
    assert "&lt;لوزير&gt;" in markup and "&amp;" in markup  # never raw markup from the source
    assert parsed.max_depth >= 2  # OCC nested inside PERS
    # each mention draws its label once, on its last fragment
    assert markup.count('class="m pred end"') == 2  # the crossing PERS and the nested OCC
    assert markup.count('class="m pred spurious end"') == 1  # the spurious ORG
    assert markup.count("m gold missed") == 1
    assert re.search(r'class="m gold[^"]*" style="--c:#[0-9a-f]{6};padding-bottom:7px"', markup)  # outer below inner


def test_text_without_mentions_is_only_escaped() -> None:
    assert render_document_text("a < b", [], {}) == "a &lt; b"


def test_page_is_self_contained_rtl_and_escaped(result: EvalResult) -> None:
    page = render_html(result)
    assert page.startswith("<!DOCTYPE html>")
    for external in ("http://", "https://", "<script", "<link", "src=", "@import", "url("):
        assert external not in page, f"the report must not load anything ({external!r} found)"
    assert page.count('<div class="doc" dir="rtl" lang="ar">') == 2  # the article, once per layer
    assert "unicode-bidi: isolate" in page and "Noto Naskh Arabic" in page
    body = page.split("<body>", 1)[1]
    _parse(body.replace("</body>\n</html>\n", ""))
    assert page.index("Scores") < page.index("Errors by class") < page.index("Documents")
    for cls, count in result.layers["entities"].error_counts.items():
        if cls != "correct" and count:
            assert f"{cls.replace('_', ' ')} ({count})" in page
    assert html.escape(result.provenance.predictions["hash"][:19]) in page


def test_documents_section_explains_itself_when_texts_are_absent(result: EvalResult) -> None:
    slim = EvalResult.from_json(result.to_json(include_texts=False))
    page = render_html(slim)
    assert '<div class="doc"' not in page and "Document texts are not part of this result" in page


def test_layout_links_in_reading_order_no_empty_ci_column_no_leading_blank_band(result: EvalResult) -> None:
    page = render_html(result)
    links = page[page.index("<table class='links'>"):]
    links = links[:links.index("</tr>")]
    headers = re.findall(r"<th>([^<]+)</th>", links)
    assert headers[:7] == ["mode", "precision", "recall", "f1", "tp", "fp", "fn"]
    # one document: nothing to resample, so no interval and no CI column
    assert not any(result.layers["entities"].intervals.values()) and "CI F1" not in page
    text = result.texts[result.units[0]]  # type: ignore[index]
    assert text.startswith("\n\n")  # the seed article opens with blank lines
    assert '<div class="doc" dir="rtl" lang="ar"><span class="lead" hidden>\n\n</span>' in page


def test_compare_cli_writes_a_page_with_a_chart_per_mode(newsfane_runs: tuple[EvalResult, EvalResult],
                                                          tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    paths = []
    for name, run in zip("ab", newsfane_runs, strict=True):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(run.to_json(), encoding="utf-8")
    out = CliRunner().invoke(app, ["compare", *map(str, paths), "--format", "html", "--mode", "strict"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("<!DOCTYPE html>") and out.output.count('<svg class="chart differences"') == 1
    table = CliRunner().invoke(app, ["compare", *map(str, paths), "--mode", "strict"])
    as_json = CliRunner().invoke(app, ["compare", *map(str, paths), "--mode", "strict", "--format", "json"])
    assert '"labels"' not in as_json.output and "low" not in as_json.output  # unchanged without --per-label
    assert "entities   strict" in table.output


# ------------------------------------------------------------------------------------ real browser


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _chromium_flags(tmp_path: Path, size: str) -> list[str]:
    """Headless, offline, with a throw-away profile: nothing but the page is loaded."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={size}"]


@pytest.mark.browser
def test_report_of_the_seed_article_renders_arabic_in_headless_chromium(result: EvalResult, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium found (/usr/bin/chromium, chromium, chromium-browser): install the Debian "
                    "package `chromium` (and `fonts-noto-core` for Arabic glyphs)")
    text = result.texts[result.units[0]]  # type: ignore[index]
    if SEED.exists():  # the bundled corpus is a byte-exact copy of the seed article
        assert SEED.read_text(encoding="utf-8") in text or text in SEED.read_text(encoding="utf-8")
    page = tmp_path / "report.html"
    page.write_text(render_html(result), encoding="utf-8")
    flags = _chromium_flags(tmp_path, "1200,2000")
    screenshot = tmp_path / "report.png"
    subprocess.run([browser, *flags, f"--screenshot={screenshot}", page.as_uri()], check=True,
                   capture_output=True, timeout=120)
    assert screenshot.exists() and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a blank 1200x2000 page compresses to a few KB
    dumped = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], check=True, capture_output=True,
                            timeout=120, text=True).stdout
    parser = _Balance()
    parser.feed(dumped)
    rendered = html.unescape("".join(parser.text))
    for name in ("بشار الأسد", "فلاديمير بوتين", "سيرغي شويغو", "موسكو"):
        assert name in rendered
    assert "micro avg" in rendered and "precision %" in rendered and "weighted avg" in rendered
    assert 'dir="rtl" lang="ar"' in dumped


# ------------------------------------------------------------------------ charts in a real browser

NEWSFANE = REPO / "tests" / "fixtures" / "corpora" / "newsfane-gold" / "NewsFANE_slice.txt"


def _newsfane_tags() -> list[list[str]]:
    """Gold tags per sentence of the NewsFANE slice (12 sentences, 11 labels): enough units for intervals."""
    sentences: list[list[str]] = [[]]
    for line in NEWSFANE.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            sentences[-1].append(line.split("\t")[-1].strip())
        elif sentences[-1]:
            sentences.append([])
    return [s for s in sentences if s]


def _system(gold: list[list[str]], dropped: int) -> list[list[str]]:
    """A system that misses every fourth entity (from the ``dropped``-th) and calls every fifth a Person."""
    predicted = []
    for sentence in gold:
        tags, seen = [], 0
        for tag in sentence:
            seen += tag.startswith("B-")
            if tag != "O" and seen % 4 == dropped:
                tags.append("O")
            elif tag != "O" and seen % 5 == 2:
                tags.append(tag[:2] + "Person")
            else:
                tags.append(tag)
        predicted.append(tags)
    return predicted


@pytest.fixture(scope="module")
def newsfane_runs() -> tuple[EvalResult, EvalResult]:
    from eval.evaluate import evaluate_tags

    gold = _newsfane_tags()
    return (evaluate_tags(gold, _system(gold, 3), intervals=BootstrapOptions(resamples=200, seed=0)),
            evaluate_tags(gold, _system(gold, 1), intervals=BootstrapOptions(resamples=200, seed=0)))


class _Charts(HTMLParser):
    """The charts of a rendered DOM: per ``<svg class="chart ...">``, its kind, marks and texts."""

    MARKS = frozenset({("rect", "bar"), ("rect", "cell"), ("rect", "segment"), ("circle", "delta")})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: list[dict] = []
        self._in_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "svg" and "chart" in classes:
            self.charts.append({"kind": classes[1], "marks": [], "texts": []})
        elif self.charts and (tag, classes[0] if classes else "") in self.MARKS:
            self.charts[-1]["marks"].append(a)
        self._in_text = tag == "text" and bool(self.charts)

    def handle_endtag(self, tag: str) -> None:
        self._in_text = False

    def handle_data(self, data: str) -> None:
        if self._in_text:
            self.charts[-1]["texts"].append(data)


def _in_chromium(page: Path, tmp_path: Path, *, size: str = "1200,2400", min_bytes: int = 20_000) -> tuple[str, Path]:
    """Screenshot and rendered DOM of a page in headless Chromium; fails on any console message."""
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium found: install the Debian packages `chromium` and `fonts-noto-core`")
    flags = [*_chromium_flags(tmp_path, size), "--enable-logging=stderr", "--v=0"]
    screenshot = tmp_path / f"{page.stem}.png"
    shot = subprocess.run([browser, *flags, f"--screenshot={screenshot}", page.as_uri()], check=True,
                          capture_output=True, timeout=120, text=True)
    dumped = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], check=True, capture_output=True,
                            timeout=120, text=True)
    for log in (shot.stderr, dumped.stderr):
        console = [line for line in log.splitlines() if ":CONSOLE" in line]
        assert not console, f"console messages in {page.name}: {console}"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > min_bytes  # not blank
    return dumped.stdout, screenshot


def _charts(dom: str) -> list[dict]:
    parser = _Charts()
    parser.feed(dom)
    return parser.charts


def _value_texts(chart: dict) -> list[str]:
    """The number drawn after each bar: the first word of each value label, in bar order."""
    return [text.split()[0] for text in chart["texts"] if re.fullmatch(r"(\d+\.\d\d|n/a|[+-]\d+\.\d\d)( .*)?", text)]


@pytest.mark.browser
def test_report_charts_render_with_the_numbers_of_the_json_report(newsfane_runs: tuple[EvalResult, EvalResult],
                                                                   tmp_path: Path) -> None:
    import json

    result = newsfane_runs[0]
    page = tmp_path / "report.html"
    page.write_text(render_html(result), encoding="utf-8")
    dom, _ = _in_chromium(page, tmp_path)
    report = json.loads(result.to_json())["layers"]["entities"]
    charts = _charts(dom)
    bars = [c for c in charts if c["kind"] == "bars"]
    assert len(bars) == len(report["scores"]) == 4  # one F1 chart per mode
    for chart, (mode, scores) in zip(bars, report["scores"].items(), strict=True):
        per_label = scores["per_label"]
        assert len(chart["marks"]) == len(per_label)
        drawn = [m["data-label"] for m in chart["marks"]]
        f1 = [per_label[label]["f1"] for label in drawn]
        assert f1 == sorted(f1, reverse=True), f"{mode}: bars not sorted by F1"
        assert _value_texts(chart) == [f"{100 * v:.2f}" for v in f1]  # the numbers drawn are the JSON's
        supports = [t.split("n=")[1] for t in chart["texts"] if "n=" in t and not t.startswith("entities")]
        assert supports == [str(per_label[label]["support"]) for label in drawn]
    # intervals exist (twelve sentences resampled) and are drawn as whiskers
    assert dom.count('class="whisker"') >= 4
    (heat,) = [c for c in charts if c["kind"] == "heatmap"]
    matrix, labels = result.layers["entities"].confusion
    assert len(heat["marks"]) == len(labels) ** 2
    assert {(m["data-row"], m["data-column"]): int(m["data-value"]) for m in heat["marks"]} == {
        (labels[i], labels[j]): matrix[i][j] for i in range(len(labels)) for j in range(len(labels))}
    (stacked,) = [c for c in charts if c["kind"] == "stacked"]
    errors = report["error_counts"]
    assert sum(int(m["data-value"]) for m in stacked["marks"]) == sum(v for k, v in errors.items() if k != "correct")
    # each chart has its table in a <details>
    assert dom.count("<details") >= len(charts)


@pytest.mark.browser
def test_compare_page_marks_the_significant_differences(newsfane_runs: tuple[EvalResult, EvalResult],
                                                        tmp_path: Path) -> None:
    from eval.compare import ComparisonOptions, compare_runs

    comparison = compare_runs(*newsfane_runs, ComparisonOptions(modes=["strict", "partial"], per_label=True,
                                                                confidence=0.95))
    page = tmp_path / "compare.html"
    page.write_text(comparison.to_html(), encoding="utf-8")
    dom, _ = _in_chromium(page, tmp_path, size="1000,1400")
    charts = _charts(dom)
    assert [c["kind"] for c in charts] == ["differences", "differences"]
    for chart, mode in zip(charts, ["strict", "partial"], strict=True):
        rows = {row.label: row.result for row in comparison.label_rows if row.mode == mode}
        assert len(chart["marks"]) == len(rows)
        for mark in chart["marks"]:
            result = rows[mark["data-label"]]
            assert float(mark["data-delta"]) == result.delta
            assert mark["data-significant"] == str(result.p_value < 0.05).lower()
        drawn = [t.split()[0] for t in chart["texts"] if re.match(r"[+-]\d+\.\d\d ", t)]
        assert drawn == [f"{100 * rows[m['data-label']].delta:+.2f}" for m in chart["marks"]]
    assert any(row.result.p_value < 0.05 for row in comparison.label_rows)  # the page has something to mark
    assert dom.count(" *</text>") == sum(row.result.p_value < 0.05 for row in comparison.label_rows)


@pytest.mark.browser
def test_card_figures_open_as_svg_files_in_chromium(tmp_path: Path) -> None:
    """The figures as the Hub serves them: standalone .svg files, parsed as XML by the browser."""
    from dataset_builder.card import CARDS_DIR

    folder = CARDS_DIR / "sana-sample"
    manifest_labels = {}
    card = (folder / "README.md").read_text(encoding="utf-8")
    figures = sorted((folder / "figures").glob("*.svg"))
    assert len(figures) >= 4
    for figure in figures:
        assert f"](figures/{figure.name})" in card
        dom, _ = _in_chromium(figure, tmp_path, size="700,700", min_bytes=5_000)
        assert "parsererror" not in dom and "This page contains the following errors" not in dom
        (chart,) = _charts(dom)
        assert chart["marks"], figure.name
        manifest_labels[figure.name] = {m["data-label"]: m["data-value"] for m in chart["marks"]}
    assert manifest_labels["labels-quotes.svg"] == {"DIRECT": "8", "INDIRECT": "4"}
