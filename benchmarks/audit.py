"""Cross-version audit on the engine: ANERcorp (CAMeL test) against NewsFANE Gold, --jobs 1 vs --jobs 2.

    python benchmarks/audit.py                      # 5 rounds of each, side by side
    python benchmarks/audit.py --rounds 9 --ray     # more rounds, and a local Ray instance (2 CPUs)
    python benchmarks/audit.py --scale 10           # 10x the sentences (copies with their words shuffled)

Both versions are built from the shared corpora (``../shared/corpora``, or ``--data-dir``) into a temporary
folder. Each audit runs in a fresh process (so no run inherits another's warm word cache), the engines
alternating round by round so that a change in the machine's load hits both alike. A run reports the
``audit()`` call's wall time and the CPU seconds of the process and its workers (``RUSAGE_CHILDREN``:
pool workers are waited for; Ray's are not, so Ray's CPU column is a lower bound). Medians over the
rounds are printed with their ratios to ``--jobs 1``; the script fails when any report differs from the
first ``--jobs 1`` report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _machine import cpu_model  # noqa: E402

_RUN = """
import json, random, resource, sys, time
from dataset_builder.audit import AuditUnit, audit, audit_units, load_units
from dataset_builder.engine import EngineSettings

settings = EngineSettings(**json.loads(sys.argv[1]))
scale = int(sys.argv[2])
if scale == 1:
    started, cpu = time.perf_counter(), time.process_time()
    report = audit(sys.argv[3:], engine=settings)
else:  # the two versions and scale - 1 copies of them, each sentence's words shuffled (other shingles)
    units = [u for path in sys.argv[3:] for u in load_units(path)[0]]
    rng = random.Random(7)
    copies = list(units)
    for copy in range(1, scale):
        for u in units:
            words = u.text.split()
            rng.shuffle(words)
            copies.append(AuditUnit(u.dataset, u.split, f"{u.doc_id}~{copy}", " ".join(words), u.sentence))
    started, cpu = time.perf_counter(), time.process_time()
    report = audit_units(copies, engine=settings)
wall = time.perf_counter() - started
children = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "report": report.to_dict(timing=False)}, ensure_ascii=False))
"""


def _build(data_dir: Path, out: Path) -> list[str]:
    from dataset_builder.config import BuildConfig
    from dataset_builder.pipeline import build

    versions = []
    for name in ("anercorp-camel", "newsfane-gold"):
        config = BuildConfig.from_recipe(REPO / "corpora" / "recipes" / f"{name}.yaml",
                                         {"out_dir": out, "progress": False, "audit": None}, data_dir=data_dir)
        versions.append(str(build(config).version_dir))
    return versions


def _run(settings: dict, scale: int, versions: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", _RUN, json.dumps(settings), str(scale), *versions],
                          capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    if done.returncode:
        raise SystemExit(f"audit failed: {done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each engine setting (default 5)")
    parser.add_argument("--ray", action="store_true", help="also run on a local Ray instance (2 CPUs)")
    parser.add_argument("--scale", type=int, default=1, help="audit the two versions and scale - 1 copies of "
                        "them with each sentence's words shuffled (default 1: the versions alone)")
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "corpora",
                        help="the shared corpora (default ../shared/corpora)")
    args = parser.parse_args()
    if not (args.data_dir / "anercorp-camel").is_dir():
        raise SystemExit(f"the shared corpora are not at {args.data_dir}; pass --data-dir")

    root = Path(tempfile.mkdtemp(prefix="akhbar-audit-bench-"))
    try:
        versions = _build(args.data_dir, root)
        runs = {"--jobs 1": {"jobs": 1}, "--jobs 2": {"jobs": 2}}
        if args.ray:
            runs["--engine ray"] = {"engine": "ray", "jobs": 2}
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        reference = None
        for _ in range(args.rounds):
            for name, settings in runs.items():
                result = _run(settings, args.scale, versions)
                reference = reference or result["report"]
                if result["report"] != reference:
                    raise SystemExit(f"{name} gave a different report than --jobs 1")
                figures[name].append((result["wall"], result["cpu"]))
        units = sum(reference["units"].values()) + sum(reference["short_units_left_out"].values())
        print(f"machine: {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} (1 min) after the runs")
        scaled = f" x{args.scale}" if args.scale > 1 else ""
        print(f"audit of ANERcorp vs NewsFANE Gold{scaled}: {units} sentences, {reference['pairs_found']} pairs, "
              f"{args.rounds} rounds, every report identical")
        base_wall = statistics.median(w for w, _ in figures["--jobs 1"])
        base_cpu = statistics.median(c for _, c in figures["--jobs 1"])
        for name, values in figures.items():
            wall = statistics.median(w for w, _ in values)
            cpu = statistics.median(c for _, c in values)
            print(f"{name:<14} audit() wall median {wall:6.2f}s (x{base_wall / wall:.2f} of --jobs 1)  "
                  f"CPU median {cpu:6.2f}s (ratio to --jobs 1 {cpu / base_cpu:.2f})  "
                  f"walls {' '.join(f'{w:.2f}' for w, _ in values)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
