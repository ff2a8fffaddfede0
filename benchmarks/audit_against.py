"""Contamination audit throughput: one version's test split against a large synthetic external corpus.

    python benchmarks/audit_against.py                 # 2 GB of JSONL in /tmp, jobs 1 vs 2, and Ray
    python benchmarks/audit_against.py --mb 200        # a quicker run
    python benchmarks/audit_against.py --no-ray        # local engine only

The external corpus is generated into a temporary folder (never the repository): documents of random
words drawn from the SANA test split's own vocabulary mixed with other Arabic words (so the filters see
realistic known-word runs), with every 997th document carrying a planted test sentence (some in
another corpus' spelling: clitics split off, hamza dropped). Each run is ``akhbar audit --against`` in
its own subprocess; CPU seconds are that process' and its workers' (``RUSAGE_CHILDREN``), which misses
most of Ray's workers (they outlive the driver's accounting), so Ray's CPU column is a lower bound. The script
fails when a planted sentence is missed or when the engines disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _machine import cpu_model  # noqa: E402

OTHER_WORDS = [
    "الحكومة", "الاقتصاد", "السوق", "المدينة", "الجامعة", "الطلاب", "المستشفى", "الطقس", "الأمطار", "الرياضة",
    "المباراة", "الفريق", "اللاعب", "الملعب", "الشركة", "الأسعار", "النفط", "الزراعة", "المياه", "الكهرباء",
    "السياحة", "الفندق", "الثقافة", "المعرض", "الكتاب", "الفيلم", "المسرح", "الموسيقى", "التعليم", "المدرسة",
    "الصحة", "الدواء", "الطبيب", "الشارع", "السيارة", "الطريق", "القطار", "المطار",
]


def _build_version(root: Path) -> Path:
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import _build_sana

    return _build_sana(root, "1.0.0")


def _generate(out: Path, megabytes: int, sentences: list[str], seed: int = 7) -> list[int]:
    """Write ``megabytes`` of JSONL; returns the indexes of the planted test sentences."""
    rng = random.Random(seed)
    vocabulary = sorted({w for s in sentences for w in s.split() if len(w) > 1}) + OTHER_WORDS
    # A pool of paragraphs reused in random order: generating 2 GB word by word would take longer than the audit.
    pool = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 30))) + "." for _ in range(4000)]
    planted: list[int] = []
    target = megabytes * 1_000_000
    written = 0
    n = 0
    with out.open("w", encoding="utf-8") as handle:
        while written < target:
            text = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 12)))
            if n % 997 == 0:
                index = (n // 997) % len(sentences)
                sentence = sentences[index]
                if n % 2:  # another corpus' spelling
                    sentence = sentence.replace("أ", "ا").replace("إ", "ا").replace(" و", " و ")
                text = f"{text} {sentence} {rng.choice(pool)}"
                planted.append(index)
            line = json.dumps({"id": f"ext-{n}", "text": text}, ensure_ascii=False) + "\n"
            handle.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    return sorted(set(planted))


def _run(version: Path, corpus: Path, extra: list[str]) -> tuple[float, float, dict]:
    code = ("import resource, sys, time\n"
            "from dataset_builder.cli import main\n"
            "sys.argv = ['akhbar'] + sys.argv[1:]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import sys\n")
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", code, "audit", str(version), "--against", str(corpus), "--json",
                           *extra], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"audit failed: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=2000, help="external corpus size in MB (default 2000)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray engine")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="akhbar-audit-bench-"))
    try:
        version = _build_version(root)
        from dataset_builder.audit import load_units

        units, _ = load_units(version, "sentence", splits=["test"])
        from dataset_builder.audit import canonical_tokens

        # Sentences of 8+ words (ContaminationSettings.min_ngram) are found inside any external text; shorter
        # ones ("موسكو - سانا") only as near duplicates of a whole external sentence, so they are not planted.
        keep = [i for i, u in enumerate(units) if len(canonical_tokens(u.text)) >= 8]
        units = [units[i] for i in keep]
        texts = [u.text for u in units]
        corpus = root / "external.jsonl"
        started = time.perf_counter()
        planted = _generate(corpus, args.mb, texts)
        size = corpus.stat().st_size / 1e6
        print(f"machine: {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
        print(f"external corpus: {size:,.0f} MB JSONL, generated in {time.perf_counter() - started:.0f}s; "
              f"{len(planted)} distinct test sentences planted; test split {len(texts)} sentences")
        runs = {"local --jobs 1": ["--jobs", "1"], "local --jobs 2": ["--jobs", "2"]}
        if not args.no_ray:
            runs["ray (local, 2 CPUs)"] = ["--engine", "ray", "--jobs", "2"]
        results = {}
        for name, extra in runs.items():
            wall, cpu, report = _run(version, corpus, extra)
            results[name] = (wall, cpu, report)
            found = {(s["doc_id"], s["sentence"]) for s in report["sentences"]}
            wanted = {(units[i].doc_id, units[i].sentence) for i in planted}
            missed = wanted - found
            print(f"{name:<22} wall {wall:7.1f}s  cpu {cpu:7.1f}s  {size / wall:6.1f} MB/s  "
                  f"{size / cpu:5.1f} MB/s per core-second  found {len(wanted & found)}/{len(wanted)} planted "
                  f"({len(found)} contaminated)  tasks {report['external']['tasks']}")
            if missed:
                raise SystemExit(f"{name}: missed planted sentences {sorted(missed)}")
        base = results["local --jobs 1"]
        for name, (wall, cpu, report) in results.items():
            if name == "local --jobs 1":
                continue
            same = {k: v for k, v in report.items() if k not in ("seconds",)} == \
                   {k: v for k, v in base[2].items() if k not in ("seconds",)}
            print(f"{name} vs --jobs 1: wall ratio {base[0] / wall:.2f}x, cpu ratio {cpu / base[1]:.2f}, "
                  f"same report: {same}")
            if not same:
                raise SystemExit(f"{name} gave a different report than --jobs 1")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
