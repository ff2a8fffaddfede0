"""Synthetic Arabic-like news documents for benchmarks and large tests (deterministic, no data files).

The text imitates the statistics that matter for speed, not meaning: Arabic-letter words of 2-9
letters (some with the article ال, attached proclitics و/ب/ل, a few diacritics and tatweel),
numbers (ASCII and Arabic-Indic), sentences ending in . or ؟, commas ، , «quotations», and
paragraph breaks. Each document gets ~``spans_per_doc`` annotations against the bundled schema
(``corpora/sana-sample/schema.yaml``): entity spans on word boundaries (some nested: an OCC
containing a NORP), an occasional proclitic left outside a span, one quotation with a
``speaker`` link to a PERS mention. Every document is valid, so builds write all of them.

Used by ``benchmarks/build.py`` and by tests that need a larger input (e.g. the atomicity test).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
EXTRA_LETTERS = "ءآأإؤئةى"
DIACRITICS = "\u064e\u064f\u0650\u0651\u0652\u064b"
LABELS = ("PERS", "GPE", "ORG", "DATE", "CARDINAL", "EVENT", "LOC", "FAC", "OCC", "NORP")
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


def _word(rng: random.Random) -> str:
    n = rng.randint(2, 9)
    chars = [rng.choice(LETTERS) for _ in range(n)]
    if rng.random() < 0.15:
        chars[rng.randrange(n)] = rng.choice(EXTRA_LETTERS)
    if rng.random() < 0.08:
        pos = rng.randrange(n)
        chars[pos] += rng.choice(DIACRITICS)
    if rng.random() < 0.01:
        chars.insert(rng.randint(1, n), "\u0640")  # tatweel
    word = "".join(chars)
    if rng.random() < 0.3:
        word = "ال" + word
    return word


def _number(rng: random.Random) -> str:
    value = str(rng.randint(1, 2030))
    return value if rng.random() < 0.7 else value.translate(str.maketrans("0123456789", ARABIC_INDIC))


def synthetic_document(index: int, *, tokens: int = 300, spans_per_doc: int = 10, seed: int = 0) -> dict[str, Any]:
    """One document in akhbar's JSONL form (see docs/formats.md)."""
    rng = random.Random(f"{seed}-{index}")
    pieces: list[str] = []
    entity_slots: list[tuple[int, int]] = []  # (start, end) of single words usable as entities
    pos = 0
    sentence_len = 0
    n_words = 0
    quote: tuple[int, int] | None = None
    want_quote_at = rng.randint(tokens // 4, tokens // 2)

    line_start = True

    def emit(piece: str, *, space: bool = True) -> tuple[int, int]:
        nonlocal pos, line_start
        if space and not line_start:
            pieces.append(" ")
            pos += 1
        line_start = False
        start = pos
        pieces.append(piece)
        pos += len(piece)
        return start, pos

    while n_words < tokens:
        if n_words == want_quote_at and quote is None:
            emit("«")
            q_start = pos
            for k in range(rng.randint(6, 14)):
                emit(_word(rng), space=k > 0)
                n_words += 1
            quote = (q_start, pos)
            emit("»", space=False)
            continue
        if rng.random() < 0.05:
            start, end = emit(_number(rng))
        else:
            word = _word(rng)
            if rng.random() < 0.08:
                clitic = rng.choice("وبل")
                start, end = emit(clitic + word)
                start += 1  # the proclitic stays outside the entity span
            else:
                start, end = emit(word)
        entity_slots.append((start, end))
        n_words += 1
        sentence_len += 1
        if rng.random() < 0.06:
            emit("،", space=False)
        if sentence_len >= rng.randint(12, 30):
            emit(rng.choice(".؟"), space=False)
            sentence_len = 0
            if rng.random() < 0.25:
                pieces.append("\n")
                pos += 1
                line_start = True
    text = "".join(pieces)

    spans: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    chosen = sorted(rng.sample(range(len(entity_slots) - 1), min(spans_per_doc, len(entity_slots) - 1)))
    used_end = -1
    pers_id = None
    t = 0
    for slot in chosen:
        start, end = entity_slots[slot]
        if start < used_end:
            continue
        t += 1
        if rng.random() < 0.15 and slot + 1 < len(entity_slots):
            # OCC over two words containing a NORP on the second: one level of nesting.
            second_start, second_end = entity_slots[slot + 1]
            if text[end:second_start] == " ":
                spans.append({"id": f"T{t}", "layer": "entities", "start": start, "end": second_end,
                              "label": "OCC", "text": text[start:second_end]})
                t += 1
                spans.append({"id": f"T{t}", "layer": "entities", "start": second_start, "end": second_end,
                              "label": "NORP", "text": text[second_start:second_end]})
                used_end = second_end
                continue
        label = rng.choice(LABELS[:-2])
        spans.append({"id": f"T{t}", "layer": "entities", "start": start, "end": end, "label": label,
                      "text": text[start:end]})
        if label == "PERS" and pers_id is None:
            pers_id = f"T{t}"
        used_end = end
    if quote is not None:
        spans.append({"id": "Q1", "layer": "quotes", "start": quote[0], "end": quote[1], "label": "DIRECT",
                      "text": text[quote[0]:quote[1]]})
        if pers_id is not None:
            links.append({"id": "L1", "type": "speaker", "from": "Q1", "to": pers_id})
    paragraphs = []
    start = 0
    for block in text.split("\n"):
        if block:
            paragraphs.append([start, start + len(block)])
        start += len(block) + 1
    return {
        "id": f"syn-{seed}-{index:07d}",
        "text": text,
        "metadata": {"title": None, "date": "2021-09-14", "dateline_place": None, "dateline_agency": None,
                     "source_file": "synthetic.jsonl", "licence": "synthetic", "paragraphs": paragraphs,
                     "extra": {}},
        "spans": spans,
        "links": links,
    }


def synthetic_documents(n: int, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for index in range(n):
        yield synthetic_document(index, **kwargs)


def write_synthetic_jsonl(path: Path, n: int, **kwargs: Any) -> Path:
    """Write ``n`` synthetic documents to ``path`` (one JSON document per line) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for doc in synthetic_documents(n, **kwargs):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path
