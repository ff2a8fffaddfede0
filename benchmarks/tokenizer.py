"""Tokenizer throughput, in MB/s of UTF-8 input on one core.

Goal: ``token_spans`` >= 15 MB/s on Arabic news text, because the dataset writer tokenizes every
document and must outrun ``datasets.Dataset.from_generator`` end to end.

Inputs:
* the seed SANA article (``../shared/seed`` or the bundled ``corpora/sana-sample`` copy) repeated to
  about 20 MB;
* a synthetic corpus of the same size drawn (with a fixed seed) from Arabic words with and without
  harakat and tatweel, clitic-prefixed words, numbers, dates, Latin words and punctuation.

Rows, side by side: ``token_spans`` (offsets), ``tokenize`` (Token objects with kinds), a naive
``str.split`` + ``str.find`` offset tokenizer (whitespace only: the floor any offset tokenizer
pays), and CAMeL Tools' ``simple_word_tokenize`` (strings only, no offsets) when it is importable.
Ratios are relative to the naive tokenizer. Run: ``python benchmarks/tokenizer.py [--mb 20]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dataset_builder.text.tokenize import token_spans, tokenize  # noqa: E402

SEED_CANDIDATES = (
    REPO.parent / "shared" / "seed" / "sana-2021-09-14-assad-putin-moscow.txt",
    *sorted((REPO / "corpora" / "sana-sample").glob("*.txt")),
)


def naive_split_spans(text: str) -> tuple[list[int], list[int]]:
    """Whitespace-only offsets via ``str.split`` and ``str.find``: no punctuation handling at all."""
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    find = text.find
    for word in text.split():
        start = find(word, position)
        position = start + len(word)
        starts.append(start)
        ends.append(position)
    return starts, ends


def seed_text(size_mb: float) -> tuple[str, str] | None:
    for path in SEED_CANDIDATES:
        if path.is_file():
            article = path.read_text(encoding="utf-8")
            repeats = max(1, int(size_mb * 1e6 / len(article.encode("utf-8"))))
            return f"seed article x{repeats}", "\n\n".join([article] * repeats)
    return None


def synthetic_text(size_mb: float, seed: int = 13) -> str:
    rng = random.Random(seed)
    words = str.split(
        "قال الرئيس السوري بشار الأسد إن العلاقات مع روسيا الاتحادية استراتيجية وأضاف أن الحكومة "
        "تعمل على إعادة الإعمار وعودة اللاجئين إلى مدنهم وقراهم والمؤسسات الدولية للأمم المتحدة "
        "وبوتين وبالتزامن لمكافحة الإرهاب ومجلس الأمن الدولي سَعِيدٌ جِدًّا الرئيـــس مُؤتمر"
    )
    extras = ["2021-09-14", "90.5", "٣٫٥", "1,000", "۱۴۰۰", "COVID-19", "Sputnik", "G20", "2021م"]
    punct = ["،", ".", "؛", "؟", "...", ":", "«", "»", "(", ")", '"', "-", ".."]
    pieces: list[str] = []
    size = 0
    target = int(size_mb * 1e6)
    while size < target:
        sentence = [rng.choice(words) for _ in range(rng.randint(8, 30))]
        for _ in range(rng.randint(0, 3)):
            sentence.insert(rng.randrange(len(sentence)), rng.choice(extras))
        for _ in range(rng.randint(0, 4)):
            position = rng.randrange(len(sentence))
            sentence[position] += rng.choice(punct)
        line = " ".join(sentence) + rng.choice([".", "..", "؟", "!"]) + rng.choice([" ", "\n", "\n\n"])
        pieces.append(line)
        size += len(line.encode("utf-8"))
    return "".join(pieces)


def measure(function: Callable[[str], object], text: str, repeats: int) -> tuple[float, int]:
    """Best-of-``repeats`` throughput in MB/s, and the number of tokens produced."""
    megabytes = len(text.encode("utf-8")) / 1e6
    best = float("inf")
    result: object = None
    for _ in range(repeats):
        began = time.perf_counter()
        result = function(text)
        best = min(best, time.perf_counter() - began)
    count = len(result[0]) if isinstance(result, tuple) else len(result)  # type: ignore[arg-type]
    return megabytes / best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of each input in MB (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per row; the best is reported")
    args = parser.parse_args()

    rows: list[tuple[str, Callable[[str], object]]] = [
        ("token_spans", token_spans),
        ("tokenize", tokenize),
        ("naive str.split + find", naive_split_spans),
    ]
    try:
        from camel_tools.tokenizers.word import simple_word_tokenize  # type: ignore[import-not-found]
    except ImportError:
        print("camel_tools is not installed: skipping the simple_word_tokenize row")
    else:
        rows.append(("camel_tools simple_word_tokenize", simple_word_tokenize))

    inputs: list[tuple[str, str]] = []
    seed = seed_text(args.mb)
    if seed is None:
        print("seed article not found (../shared absent and no bundled copy): skipping that input")
    else:
        inputs.append(seed)
    inputs.append(("synthetic", synthetic_text(args.mb)))

    for name, text in inputs:
        megabytes = len(text.encode("utf-8")) / 1e6
        print(f"\n{name}: {megabytes:.1f} MB, {len(text):,} code points")
        print(f"  {'tokenizer':<34} {'MB/s':>8} {'tokens':>12} {'vs naive':>9}")
        results = [(row, *measure(function, text, args.repeats)) for row, function in rows]
        naive_speed = next(speed for row, speed, _ in results if row.startswith("naive"))
        for row, speed, count in results:
            print(f"  {row:<34} {speed:8.1f} {count:12,} {speed / naive_speed:8.2f}x")
        speed = results[0][1]
        verdict = "meets" if speed >= 15 else "MISSES"
        print(f"  token_spans {verdict} the 15 MB/s goal ({speed:.1f} MB/s)")


if __name__ == "__main__":
    main()
