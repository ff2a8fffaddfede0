"""Build speed and memory: our end-to-end build vs `datasets` writing the same rows.

    python benchmarks/build.py                 # 100,000 synthetic documents (~300 tokens, ~10 spans each)
    python benchmarks/build.py --docs 5000     # a quick run
    python benchmarks/build.py --docs 20000 --ray   # also --engine ray on a local 2-CPU instance

What is timed, each in its own subprocess (peak RSS = that process' ``ru_maxrss``):

- **ours**: ``dataset_builder.pipeline.build`` on the JSONL file: read -> validate -> text layer
  (tokens, sentences, defects, IOB2 projection) -> split -> write both configs + manifest, with
  ``--jobs 1``, ``--jobs 2`` and (``--ray``) ``--engine ray``, side by side; the file is cut into
  byte-range tasks of ``--shard-mb``. Their fingerprints are printed and must be identical.
- **datasets**: the SAME final rows (read back from our build and pickled beforehand, so only
  writing is timed; see below) written with ``Dataset.from_generator(..., features=...)``
  per config and split, then ``DatasetDict.save_to_disk``, which is how one would write them
  with the ``datasets`` API.

docs/s counts input documents; MB/s is input JSONL megabytes per second (the same numerator for
both, so the ratio is the speed-up). ratio = datasets seconds / our seconds (>= 1: we are faster).
The rows are streamed to ``from_generator`` from pickles (holding 100k documents' rows in memory
takes ~10 GB); a pass that only unpickles them is timed first and subtracted.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCHEMA = REPO / "corpora" / "sana-sample" / "schema.yaml"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _cpu_seconds() -> float:
    """User + system CPU of this process and its (worker) children: steadier than wall time on a shared machine."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


# ---- child processes ---------------------------------------------------------------------------


def child_ours(source: Path, out: Path, jobs: int, engine: str, shard_bytes: int) -> dict[str, Any]:
    from dataset_builder.config import BuildConfig
    from dataset_builder.pipeline import build
    from dataset_builder.schema import load_schema
    from dataset_builder.split import parse_split_spec

    schema = load_schema(SCHEMA)
    cpu = _cpu_seconds()
    start = time.perf_counter()
    report = build(BuildConfig([source], schema=schema, name="bench", version="1.0.0", out_dir=out, format="jsonl",
                               split=parse_split_spec("train=0.8,validation=0.1,test=0.1"), progress=False, jobs=jobs,
                               force=True, engine=engine, shard_bytes=shard_bytes))  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu, "documents": report.documents.written,
            "fingerprint": report.fingerprint,
            "rejected": report.documents.rejected,
            "peak_rss_mb": _rss_mb(), "peak_rss_children_mb": _rss_mb(resource.RUSAGE_CHILDREN)}


def _pickled_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        while True:
            try:
                chunk = pickle.load(fh)
            except EOFError:
                return
            yield from chunk


def child_datasets(rows_dir: Path, out: Path) -> dict[str, Any]:
    import datasets

    from dataset_builder.features import document_features, token_features
    from dataset_builder.schema import load_schema

    datasets.disable_progress_bars()
    schema = load_schema(SCHEMA)
    features = {"documents": document_features(schema), "tokens": token_features(schema)}
    files: dict[str, dict[str, Path]] = {}
    for path in sorted(rows_dir.glob("*.pkl")):
        config, split = path.stem.split("--")
        files.setdefault(config, {})[split] = path

    # Holding 100k documents' rows in memory takes ~10 GB of Python objects, so the generator
    # streams them from the pickles instead; the time of a pass that only unpickles them is
    # measured first and subtracted, which leaves the time datasets spends writing.
    cpu = _cpu_seconds()
    start = time.perf_counter()
    n_documents = 0
    for config, splits in files.items():
        for path in splits.values():
            for _ in _pickled_rows(path):
                n_documents += config == "documents"
    read_seconds = time.perf_counter() - start
    read_cpu = _cpu_seconds() - cpu
    cache = Path(tempfile.mkdtemp(prefix="hf-cache-", dir=out.parent))

    cpu = _cpu_seconds()
    start = time.perf_counter()
    for config, splits in files.items():
        dataset_dict = datasets.DatasetDict({
            split: datasets.Dataset.from_generator(_pickled_rows, features=features[config], cache_dir=str(cache),
                                                   gen_kwargs={"path": path},
                                                   # a given fingerprint spares datasets hashing the generator
                                                   fingerprint=f"bench-{config}-{split}-{os.getpid()}")
            for split, path in splits.items()
        })
        dataset_dict.save_to_disk(str(out / config))
    total_seconds = time.perf_counter() - start
    total_cpu = _cpu_seconds() - cpu
    shutil.rmtree(cache, ignore_errors=True)
    return {"seconds": total_seconds - read_seconds, "cpu_seconds": total_cpu - read_cpu,
            "seconds_with_reading": total_seconds,
            "read_seconds": read_seconds, "documents": n_documents, "peak_rss_mb": _rss_mb()}


# ---- orchestration ------------------------------------------------------------------------------


def _run_child(*args: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True,
                            env=env)
    if result.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _dump_rows(version_dir: Path, rows_dir: Path) -> None:
    """Our built rows, as Python dicts, pickled in chunks per config and split (not timed)."""
    import datasets

    rows_dir.mkdir(parents=True, exist_ok=True)
    for config in ("documents", "tokens"):
        dataset_dict = datasets.load_from_disk(str(version_dir / config))
        for split, dataset in dataset_dict.items():
            with (rows_dir / f"{config}--{split}.pkl").open("wb") as fh:
                for batch in dataset.iter(batch_size=2000):
                    columns = list(batch)
                    pickle.dump([dict(zip(columns, values, strict=True))
                                 for values in zip(*batch.values(), strict=True)], fh,
                                protocol=pickle.HIGHEST_PROTOCOL)


def _machine() -> str:
    from _machine import cpu_model

    return f"{os.cpu_count()} CPU(s) ({cpu_model()}), Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="number of synthetic documents")
    parser.add_argument("--shard-mb", type=float, default=8.0, help="byte-range task size of the input (MB)")
    parser.add_argument("--ray", action="store_true", help="also time --engine ray (a local 2-CPU instance)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep inputs/outputs here (default: temp)")
    args = parser.parse_args()

    from _synthetic import write_synthetic_jsonl

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="akhbar-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"synthetic-{args.docs}.jsonl"
    if not source.exists():
        print(f"generating {args.docs:,} synthetic documents -> {source}", file=sys.stderr)
        write_synthetic_jsonl(source, args.docs)
    mb = source.stat().st_size / 1e6

    ours_out = workdir / "ours"
    shutil.rmtree(ours_out, ignore_errors=True)
    shard_bytes = str(int(args.shard_mb * 1e6))
    runs: dict[str, dict[str, Any]] = {}
    for label, jobs, engine in (("jobs=1", 1, "local"), ("jobs=2", 2, "local"), *((("ray", 2, "ray"),) if args.ray
                                                                                      else ())):
        print(f"timing our build ({label}) ...", file=sys.stderr)
        shutil.rmtree(ours_out, ignore_errors=True)
        runs[label] = _run_child("_ours", str(source), str(ours_out), str(jobs), engine, shard_bytes)
    ours = runs["jobs=1"]
    rows_dir = workdir / "rows"
    shutil.rmtree(rows_dir, ignore_errors=True)
    _dump_rows(ours_out / "bench" / "1.0.0", rows_dir)
    theirs_out = workdir / "datasets"
    shutil.rmtree(theirs_out, ignore_errors=True)
    theirs_out.mkdir()
    print("timing datasets.Dataset.from_generator + save_to_disk ...", file=sys.stderr)
    theirs = _run_child("_datasets", str(rows_dir), str(theirs_out / "out"))
    assert ours["documents"] == theirs["documents"] == args.docs, (ours, theirs)

    def line(label: str, r: dict[str, Any], extra: str = "") -> str:
        return (f"{label:<30} {r['seconds']:7.1f} s (CPU {r['cpu_seconds']:7.1f} s) "
                f"{args.docs / r['seconds']:6.0f} docs/s "
                f"{mb / r['seconds']:7.2f} MB/s   peak RSS {r['peak_rss_mb']:7.0f} MB{extra}")

    print(f"\n{args.docs:,} documents, {mb:.1f} MB of JSONL; {_machine()}")
    for label, run in runs.items():
        workers = f" (workers {run['peak_rss_children_mb']:.0f} MB each at most)" if label == "jobs=2" else ""
        print(line(f"akhbar build ({label})", run, workers))
    print(line("datasets from_generator+save", theirs,
               f" (unpickling the rows, {theirs['read_seconds']:.1f} s, subtracted)"))
    print(f"ratio (datasets time / our time): wall {theirs['seconds'] / ours['seconds']:.2f}, "
          f"CPU {theirs['cpu_seconds'] / ours['cpu_seconds']:.2f}")
    print(f"ratio jobs=1 / jobs=2: wall {ours['seconds'] / runs['jobs=2']['seconds']:.2f}, "
          f"CPU {ours['cpu_seconds'] / runs['jobs=2']['cpu_seconds']:.2f}")
    if "ray" in runs:
        print(f"ratio ray / jobs=2: wall {runs['ray']['seconds'] / runs['jobs=2']['seconds']:.2f} (start-up included)")
    for label, run in runs.items():
        print(f"fingerprint {label:<7} {run['fingerprint']}")
    if len({run["fingerprint"] for run in runs.values()}) != 1:
        raise SystemExit("the fingerprints differ")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_ours":
        print(json.dumps(child_ours(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
                                    int(sys.argv[6]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_datasets":
        print(json.dumps(child_datasets(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
