"""Charts: our SVG writers (dataset_builder.charts) vs matplotlib writing SVG, and what the charts cost the
commands that do not draw.

    python benchmarks/charts.py                              # drawing only
    python benchmarks/charts.py --baseline-tree /tmp/before  # also `akhbar --help` and `akhbar eval
                                                             # --format table`: this tree vs another

Drawing: the charts of one report of 21 labels and 4 modes (four F1 bar charts with whiskers, a
22 x 22 confusion heatmap, error classes as stacked bars), each library in a fresh process
(interpreter start, import, draw, serialize to SVG), run in turn ``--repeat`` times. matplotlib is
only needed for this comparison (``pip install matplotlib``).

Commands: each command in a fresh process of each tree, in turn, ``--repeat`` times. Times are CPU
seconds (user + system) of the child processes, medians; on a shared machine CPU time is the stable
measure. ratio = other / ours.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_model

REPO = Path(__file__).resolve().parents[1]

DATA = """
import random
rng = random.Random(0)
LABELS = [f"LABEL_{i:02d}" for i in range(21)]
MODES = ["strict", "exact", "partial", "type"]
F1 = {m: {label: rng.random() for label in LABELS} for m in MODES}
CI = {m: {label: (max(0, v - 0.1), min(1, v + 0.1)) for label, v in F1[m].items()} for m in MODES}
SUPPORT = {label: rng.randrange(1, 500) for label in LABELS}
AXIS = LABELS + ["none"]
MATRIX = [[rng.randrange(0, 50) for _ in AXIS] for _ in AXIS]
ERRORS = [(label, [rng.randrange(0, 20) for _ in range(6)]) for label in LABELS]
CLASSES = ["missed", "spurious", "wrong label", "wrong boundary", "wrong label boundary", "clitic boundary"]
"""

OURS = DATA + """
from dataset_builder.charts import Bar, bar_chart, heatmap, stacked_bar_chart
out = []
for m in MODES:
    bars = [Bar(label, F1[m][label], *CI[m][label], note=f"n={SUPPORT[label]}")
            for label in sorted(LABELS, key=lambda label: -F1[m][label])]
    out.append(bar_chart(bars, title=m))
out.append(heatmap(MATRIX, AXIS, AXIS, title="confusion", row_title="gold", column_title="predicted"))
out.append(stacked_bar_chart(ERRORS, CLASSES, title="errors"))
print(sum(map(len, out)))
"""

MATPLOTLIB = DATA + """
import io
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
out = []
def save(fig):
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    out.append(buffer.getvalue())
for m in MODES:
    labels = sorted(LABELS, key=lambda label: F1[m][label])
    values = [F1[m][label] for label in labels]
    errors = [[v - CI[m][label][0] for label, v in zip(labels, values)],
              [CI[m][label][1] - v for label, v in zip(labels, values)]]
    fig, ax = plt.subplots(figsize=(6.4, 0.22 * len(labels) + 0.5))
    ax.barh(labels, values, xerr=errors, color="#56B4E9", ecolor="#1f2328", capsize=3)
    for y, (label, v) in enumerate(zip(labels, values)):
        ax.text(v + 0.02, y, f"{100 * v:.2f}  n={SUPPORT[label]}", va="center", fontsize=7)
    ax.set_title(m)
    save(fig)
fig, ax = plt.subplots(figsize=(6.4, 6.4))
ax.imshow(MATRIX, cmap="Blues")
for i, row in enumerate(MATRIX):
    for j, v in enumerate(row):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=5)
ax.set_xticks(range(len(AXIS)), AXIS, rotation=60, fontsize=6)
ax.set_yticks(range(len(AXIS)), AXIS, fontsize=6)
save(fig)
fig, ax = plt.subplots(figsize=(6.4, 5))
left = [0] * len(ERRORS)
for k, name in enumerate(CLASSES):
    widths = [values[k] for _, values in ERRORS]
    ax.barh([label for label, _ in ERRORS], widths, left=left, label=name)
    left = [a + b for a, b in zip(left, widths)]
ax.legend(fontsize=6)
save(fig)
print(sum(map(len, out)))
"""


def child_cpu(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """CPU seconds (user + system) and wall seconds of one child process, and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, done.stdout


def interleaved(commands: dict[str, tuple[list[str], dict[str, str]]], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (command, env) in commands.items():
            times[name].append(child_cpu(command, env)[0])
    return times


def env_for(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-tree", type=Path, default=None,
                        help="another source tree (`git archive` of an earlier commit) for the command timings")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"Python {sys.version.split()[0]}")

    env = env_for(REPO)
    drawing = {"ours (dataset_builder.charts)": ([sys.executable, "-c", OURS], env)}
    try:
        import matplotlib

        drawing[f"matplotlib {matplotlib.__version__} (svg backend)"] = ([sys.executable, "-c", MATPLOTLIB], env)
    except ImportError:
        print("matplotlib is not installed: drawing timed for ours only")
    nothing = {"interpreter alone": ([sys.executable, "-c", "pass"], env)}
    times = interleaved({**nothing, **drawing}, args.repeat)
    floor = statistics.median(times.pop("interpreter alone"))
    print(f"\n== six charts of one report (4 F1 bar charts, 22x22 heatmap, stacked errors), fresh process, "
          f"median CPU of {args.repeat}; interpreter start {floor:.3f} s ==")
    medians = {name: statistics.median(values) for name, values in times.items()}
    ours = next(iter(medians.values()))
    for name, value in medians.items():
        print(f"  {name:<40} {value:8.3f} s cpu  ({value - floor:.3f} s above the interpreter)  "
              f"ratio {value / ours:.1f}x")

    if args.baseline_tree is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run([sys.executable, "-m", "dataset_builder.cli", "build", "--out", str(out)], env=env,
                       check=True, capture_output=True)
        gold = str(out / "sana-sample" / "1.0.0")
        pred = str(REPO / "tests" / "fixtures" / "predictions" / "llm-sana.jsonl")
        cli = [sys.executable, "-m", "dataset_builder.cli"]
        commands = {
            "akhbar --help": [*cli, "--help"],
            "akhbar eval --format table": [*cli, "eval", "--gold", gold, "--pred", pred, "--format", "table"],
        }
        for label, command in commands.items():
            trees = {"this tree": (command, env), "baseline": (command, env_for(args.baseline_tree))}
            result = interleaved(trees, args.repeat)
            mine, base = (statistics.median(result[k]) for k in ("this tree", "baseline"))
            print(f"\n== {label}: median CPU of {args.repeat}, fresh process each ==")
            print(f"  this tree {mine:.3f} s   baseline {base:.3f} s   this / baseline {mine / base:.2f}x")


if __name__ == "__main__":
    main()
