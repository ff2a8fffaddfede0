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
    return evaluate(docs, _predictions(docs[0]), bootstrap=100, seed=0)


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


# ------------------------------------------------------------------------------------ real browser


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


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
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2000"]
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
