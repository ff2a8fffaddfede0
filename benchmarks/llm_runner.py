"""LLM runner speed: concurrency, a fully cached rerun, and the runner's own cost per request.

    python benchmarks/llm_runner.py                  # 1,000 documents, as issue 11 asks
    python benchmarks/llm_runner.py --documents 200  # a quick run

An OpenAI-compatible server (tests/openai_server.py) runs on 127.0.0.1 in a process of its own and
answers each synthetic document (benchmarks/_synthetic.py) with its gold mentions as JSON, so every
answer is parsed and placed on the text as in a real run. Three figures, side by side in one run:

1. the same documents with a server latency of 100 ms per request, ``--concurrency 1`` vs
   ``--concurrency 16`` (no cache): wall-clock ratio (goal: at least 10x);
2. a rerun of all documents answered from the SQLite cache (goal: under 2 s wall);
3. with a server answering instantly, ``--concurrency 1``, no cache: the runner's cost per request,
   as CPU time of this process (client, parsing, alignment; the server's work is in its own process)
   and as wall time (goal: under 2 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))  # first: the repository's `eval` package, not benchmarks/eval.py

from _machine import cpu_model  # noqa: E402
from _synthetic import synthetic_documents  # noqa: E402

from dataset_builder.readers.jsonl import read_jsonl  # noqa: E402
from eval.gold import gold_from_documents  # noqa: E402
from eval.runners.prompts import LabelInventory, answer_of  # noqa: E402
from eval.runners.run import RunSettings, predict_documents  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def loopback_server(answers: Path, latency: float) -> Iterator[str]:
    port_file = answers.with_suffix(f".{latency}.url")
    code = ("import sys; from tests.openai_server import serve_answers; "
            f"serve_answers({str(answers)!r}, {str(port_file)!r}, {latency})")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        yield port_file.read_text()
    finally:
        process.kill()
        process.wait()


def bare_client_cpu(url: str, text: str, calls: int = 300) -> float:
    """CPU seconds per call of the openai client alone (no prompt building, cache, parsing or threads)."""
    import openai

    client = openai.OpenAI(base_url=url, api_key="benchmark", max_retries=0)
    messages = [{"role": "system", "content": "x" * 2500}, {"role": "user", "content": text}]
    cpu = _cpu()
    for _ in range(calls):
        client.chat.completions.create(model="bench", messages=messages, temperature=0.0, max_tokens=2048,
                                       response_format={"type": "json_object"})
    client.close()
    return (_cpu() - cpu) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "benchmark")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        source = work / "docs.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                  for r in synthetic_documents(args.documents, tokens=120, spans_per_doc=6)),
                          encoding="utf-8")
        gold = gold_from_documents([d for d in read_jsonl(source) if hasattr(d, "text")])
        inventory = LabelInventory.from_documents(gold.documents)
        answers = work / "answers.json"
        answers.write_text(json.dumps({d.text: json.dumps(answer_of(d, inventory), ensure_ascii=False)
                                       for d in gold.documents}, ensure_ascii=False), encoding="utf-8")
        n = len(gold.documents)
        print(f"machine: {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
              f"Python {platform.python_version()}; {n} documents")

        def run(url: str, name: str, **changes: object) -> tuple[float, float, object]:
            settings = RunSettings(model="openai:bench", base_url=url, cache=str(work / "cache.sqlite"),
                                   **changes)  # type: ignore[arg-type]
            cpu, wall = _cpu(), time.perf_counter()
            done = predict_documents(gold, settings, out=work / f"{name}.jsonl", inventory=inventory)
            return time.perf_counter() - wall, _cpu() - cpu, done.summary

        with loopback_server(answers, 0.1) as slow:
            one_wall, _, one = run(slow, "c1", concurrency=1, use_cache=False)
            many_wall, _, many = run(slow, "c16", concurrency=16)
            cached_wall, cached_cpu, cached = run(slow, "cached", concurrency=16)
        print(f"1. 100 ms server: --concurrency 1 {one_wall:.1f} s wall ({one.requests} requests), "
              f"--concurrency 16 {many_wall:.1f} s wall ({many.requests} requests): {one_wall / many_wall:.1f}x")
        print(f"2. fully cached rerun: {cached_wall:.2f} s wall, {cached_cpu:.2f} s CPU "
              f"({cached.cached} cached, {cached.requests} requests)")
        with loopback_server(answers, 0.0) as fast:
            run(fast, "warm", concurrency=1, use_cache=False)
            walls, cpus = [], []
            for repeat in range(3):
                wall, cpu, summary = run(fast, f"fast{repeat}", concurrency=1, use_cache=False)
                walls.append(wall / summary.requests)
                cpus.append(cpu / summary.requests)
            client_cpus = [bare_client_cpu(fast, gold.documents[0].text) for _ in range(3)]
        walls.sort()
        cpus.sort()
        client_cpus.sort()
        print(f"3. instant server, --concurrency 1, no cache, median of 3: {1000 * cpus[1]:.2f} ms CPU and "
              f"{1000 * walls[1]:.2f} ms wall per request in the runner's process (server in its own process); "
              f"the bare openai client, same server and messages: {1000 * client_cpus[1]:.2f} ms CPU per call; "
              f"runner's own share: {1000 * (cpus[1] - client_cpus[1]):.2f} ms CPU per request")


if __name__ == "__main__":
    main()
