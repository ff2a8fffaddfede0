"""Start-up and small-build cost: `akhbar --help` and `akhbar build` of the bundled corpus, side by side,
with the build's Croissant step as it is (written without mlcroissant) and as it was (validated by
mlcroissant, which imports it).

    python benchmarks/startup.py            # 5 runs of each, medians
    python benchmarks/startup.py --runs 9
    git archive main | tar -x -C /tmp/akhbar-main        # an earlier tree, to compare with
    python benchmarks/startup.py --other /tmp/akhbar-main   # adds its --help and build, side by side

Every run is a fresh process (`python -c 'from dataset_builder.cli import main; main()' ...`, what
the `akhbar` script runs), from this checkout (PYTHONPATH). CPU is user + system time of that
process (`resource.RUSAGE_CHILDREN`), steadier than wall time on a shared machine; medians of the
runs. "mlcroissant on" makes the build's card stage validate ``croissant.json`` with mlcroissant
(`write_croissant(..., validate=True)`), which is what every build did before; the bytes written
are the same either way (the script checks). Also prints which heavy packages `akhbar --help` imports.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import cpu_model  # noqa: E402

# Runs `akhbar` with the card stage's Croissant step validated by mlcroissant when the first argument is "on".
_AKHBAR = """
import sys
if sys.argv.pop(1) == "on":
    import functools
    import dataset_builder.croissant as croissant
    croissant.write_croissant = functools.partial(croissant.write_croissant, validate=True)
from dataset_builder.cli import main
main()
"""

_HEAVY = ("numpy", "pyarrow", "datasets", "pandas", "mlcroissant", "rdflib", "tqdm")


def _run(args: list[str], validate: bool, tree: Path = REPO) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh `akhbar` process running the code of ``tree``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _AKHBAR, "on" if validate else "off", *args], check=True, cwd=tree,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(tree), "TQDM_DISABLE": "1"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _help_imports(tree: Path = REPO) -> list[str]:
    code = ("import sys\nfrom dataset_builder.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
            "    pass\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(tree)})
    loaded = set(out.stderr.split())
    return [name for name in _HEAVY if name in loaded]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--other", type=Path, help="another tree (e.g. `git archive main`): its --help and build too")
    options = parser.parse_args()
    runs, other = options.runs, options.other
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    help_runs: dict[str, list[tuple[float, float]]] = {"this": [], "other": []}
    build_runs: dict[str, list[tuple[float, float]]] = {"on": [], "off": [], "other": []}
    digests: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(runs):  # interleaved, so every variant sees the same machine load
            help_runs["this"].append(_run(["--help"], validate=False))
            if other is not None:
                help_runs["other"].append(_run(["--help"], validate=False, tree=other))
            for variant in ("on", "off", "other") if other is not None else ("on", "off"):
                out = Path(tmp) / f"{number}-{variant}"
                args = ["build", "--out", str(out), "--no-progress"]
                if variant == "other":  # that tree's build as it is (it validated with mlcroissant)
                    build_runs[variant].append(_run(args, validate=False, tree=other))
                else:
                    build_runs[variant].append(_run(args, validate=variant == "on"))
                croissant = out / "sana-sample" / "1.0.0" / "croissant.json"
                digests.add(hashlib.sha256(croissant.read_bytes()).hexdigest())
    if len(digests) != 1:
        raise SystemExit(f"croissant.json differs between runs: {sorted(digests)}")
    wall, cpu = _median(help_runs["this"])
    print(f"akhbar --help, this tree              wall {wall:.2f} s  CPU {cpu:.2f} s   (medians of {runs})")
    if other is not None:
        other_wall, other_cpu = _median(help_runs["other"])
        print(f"akhbar --help, {other.name:<23} wall {other_wall:.2f} s  CPU {other_cpu:.2f} s   "
              f"ratio other/this: wall {other_wall / wall:.2f}x, CPU {other_cpu / cpu:.2f}x")
    on_wall, on_cpu = _median(build_runs["on"])
    off_wall, off_cpu = _median(build_runs["off"])
    print(f"akhbar build, mlcroissant on (before) wall {on_wall:.2f} s  CPU {on_cpu:.2f} s")
    print(f"akhbar build, mlcroissant off (now)   wall {off_wall:.2f} s  CPU {off_cpu:.2f} s")
    print(f"ratio on/off: wall {on_wall / off_wall:.2f}x, CPU {on_cpu / off_cpu:.2f}x")
    if other is not None:
        other_wall, other_cpu = _median(build_runs["other"])
        print(f"akhbar build, {other.name:<24} wall {other_wall:.2f} s  CPU {other_cpu:.2f} s   "
              f"ratio other/this: wall {other_wall / off_wall:.2f}x, CPU {other_cpu / off_cpu:.2f}x")
    print(f"croissant.json identical in every build ({next(iter(digests))[:12]}...)")
    print(f"heavy packages imported by akhbar --help: {', '.join(_help_imports()) or 'none'}"
          + (f" (in {other.name}: {', '.join(_help_imports(other)) or 'none'})" if other is not None else ""))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
