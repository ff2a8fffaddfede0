"""The sharded build: the same bytes for any number of workers and either engine, byte-range tasks,
counts across shards, retries, failures naming the shard, and resumption after a kill."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dataset_builder.shard_build as shard_build
from dataset_builder.config import BuildConfig
from dataset_builder.engine import TaskFailed
from dataset_builder.pipeline import build
from dataset_builder.schema import load_schema
from dataset_builder.shard_build import plan_tasks
from dataset_builder.split import parse_split_spec

REPO = Path(__file__).resolve().parents[1]
SANA = REPO / "corpora" / "sana-sample"
SCHEMA_PATH = SANA / "schema.yaml"
SCHEMA = load_schema(SCHEMA_PATH)
SANA_FINGERPRINT = "4423dc91034efc1b319ab205eeb2fc04b49a63d26c550d051d23be9dbfa8a1ed"

_spec = importlib.util.spec_from_file_location("akhbar_benchmarks_synthetic", REPO / "benchmarks" / "_synthetic.py")
_synthetic = importlib.util.module_from_spec(_spec)
assert _spec.loader is not None
_spec.loader.exec_module(_synthetic)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three JSONL files: clean documents, then one with a broken line, then one that repeats an id of the
    first file and holds a document with an unknown label."""
    folder = tmp_path_factory.mktemp("inputs")
    first = _synthetic.write_synthetic_jsonl(folder / "a.jsonl", 120, tokens=80)
    lines = first.read_text(encoding="utf-8").splitlines()
    second = folder / "b.jsonl"
    renamed = [json.loads(line) | {"id": f"b-{json.loads(line)['id']}"} for line in lines[:40]]
    second.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in renamed) + "{not json\n",
                      encoding="utf-8")
    broken = json.loads(lines[5])
    broken["spans"][0]["label"] = "NOT-A-LABEL"
    broken["id"] = "c-broken"
    third = folder / "c.jsonl"
    third.write_text(lines[7] + "\n" + json.dumps(broken, ensure_ascii=False) + "\n", encoding="utf-8")
    return [first, second, third]


def _config(paths: list[Path], out: Path, **changes: object) -> BuildConfig:
    options: dict[str, object] = {"schema": SCHEMA, "name": "t", "version": "1.0.0", "out_dir": out,
                                  "split": parse_split_spec("train=0.8,validation=0.1,test=0.1"), "progress": False,
                                  "format": "jsonl", "shard_bytes": 20_000}
    options.update(changes)
    return BuildConfig(tuple(paths), **options)  # type: ignore[arg-type]


def test_tasks_are_files_and_line_aligned_byte_ranges(inputs: list[Path]) -> None:
    tasks = plan_tasks(_config(inputs, Path("unused")), inputs)
    assert len(tasks) > 4 and [t.index for t in tasks] == list(range(len(tasks)))
    first_file = [t for t in tasks if t.path == str(inputs[0])]
    assert len(first_file) > 2 and first_file[0].start == 0 and first_file[-1].stop == inputs[0].stat().st_size
    data = inputs[0].read_bytes()
    for task in first_file:
        assert task.start == 0 or data[task.start - 1:task.start] == b"\n"
        assert task.first_line == data[:task.start].count(b"\n") + 1
    assert len({t.key for t in tasks}) == len(tasks)


def test_jobs_and_task_cutting_do_not_change_the_fingerprint(inputs: list[Path], tmp_path: Path) -> None:
    one = build(_config(inputs, tmp_path / "one", jobs=1))
    two = build(_config(inputs, tmp_path / "two", jobs=2))
    assert _files(one.version_dir) == _files(two.version_dir)
    assert len(list((one.version_dir / "documents" / "train").glob("data-*.arrow"))) > 2  # one per task at least
    whole = build(_config(inputs, tmp_path / "whole", jobs=1, shard_bytes=10**9))  # one task per file
    assert whole.fingerprint == one.fingerprint
    for name in ("rejects.jsonl", "problems.jsonl", "manifest.json", "build-report.json"):
        assert (whole.version_dir / name).read_bytes() == (one.version_dir / name).read_bytes(), name
    import datasets

    for config in ("documents", "tokens"):
        for split in ("train", "validation", "test"):
            sharded = datasets.load_from_disk(str(one.version_dir / config))[split]
            single = datasets.load_from_disk(str(whole.version_dir / config))[split]
            assert sharded.to_list() == single.to_list()


def test_read_equals_written_plus_rejected_across_shards(inputs: list[Path], tmp_path: Path) -> None:
    report = build(_config(inputs, tmp_path, jobs=2))
    documents = report.to_dict()["documents"]
    assert documents == {"read": 120 + 41 + 2, "written": 120 + 40, "rejected": 3}
    for kind in ("spans", "links"):
        tally = report.to_dict()[kind]
        assert tally["read"] == tally["written"] + tally["rejected"]
    rejects = [json.loads(line) for line in (report.version_dir / "rejects.jsonl").read_text().splitlines()]
    # in input order; the repeated id of c.jsonl is rejected as a duplicate of a.jsonl's, named by its line
    assert [r["location"] for r in rejects] == ["b.jsonl:41", "c.jsonl:1", "c.jsonl:2"]
    assert {p["code"] for p in rejects[1]["problems"]} == {"doc-id-duplicate"}
    assert "a.jsonl:8" in rejects[1]["problems"][0]["message"]


def test_the_bundled_corpus_keeps_its_fingerprint_with_two_workers(tmp_path: Path) -> None:
    config = BuildConfig.from_recipe(SANA / "recipe.yaml", {"out_dir": tmp_path / "a", "progress": False, "jobs": 1})
    one = build(config)
    two = build(config.replace(out_dir=tmp_path / "b", jobs=2))
    assert one.fingerprint == two.fingerprint == SANA_FINGERPRINT
    assert _files(one.version_dir) == _files(two.version_dir)


def test_a_failed_task_is_retried(inputs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real, failed = shard_build.run_build_task, []

    def flaky(job, task, items=()):
        if task.index == 2 and not failed:
            failed.append(task)
            raise OSError("disk hiccup")
        return real(job, task, items)

    monkeypatch.setattr(shard_build, "run_build_task", flaky)
    report = build(_config(inputs, tmp_path / "flaky", jobs=1))
    assert failed and report.documents.written == 160
    clean = build(_config(inputs, tmp_path / "clean", jobs=1))
    assert _files(report.version_dir) == _files(clean.version_dir)


def test_a_task_that_keeps_failing_fails_the_build_naming_its_shard(inputs: list[Path], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = shard_build.run_build_task

    def broken(job, task, items=()):
        if task.index == 2:
            raise OSError("disk gone")
        return real(job, task, items)

    monkeypatch.setattr(shard_build, "run_build_task", broken)
    with pytest.raises(TaskFailed) as info:
        build(_config(inputs, tmp_path, jobs=1))
    task = plan_tasks(_config(inputs, tmp_path), inputs)[2]
    assert task.describe() in str(info.value) and "a.jsonl [bytes" in str(info.value)
    assert "failed 3 time(s)" in str(info.value) and "disk gone" in str(info.value)
    assert not (tmp_path / "t").exists() or list((tmp_path / "t").iterdir()) == []  # nothing published, no tmp


def test_a_strict_build_in_workers_stops_with_the_problem_not_a_traceback(inputs: list[Path],
                                                                         tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "dataset_builder.cli", "build", "--input", str(inputs[0]), "--input",
                          str(inputs[1]), "--schema", str(SCHEMA_PATH), "--name", "t", "--version", "1.0.0",
                          "--out", str(tmp_path / "out"), "--no-progress", "--strict", "--jobs", "2",
                          "--split", "train=0.5,test=0.5"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "b.jsonl" in out.stderr and "41" in out.stderr, out.stderr
    assert list((tmp_path / "out" / "t").iterdir()) == []


_RESUMABLE = """
import sys
from pathlib import Path
from dataset_builder.config import BuildConfig
from dataset_builder.pipeline import build
from dataset_builder.schema import load_schema
build(BuildConfig([Path(sys.argv[1])], schema=load_schema(sys.argv[2]), name="big", version="1.0.0",
                  out_dir=sys.argv[3], format="jsonl", progress=False, jobs=1, resume=True, shard_bytes=60_000))
"""


def test_a_killed_build_resumes_with_only_the_missing_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = _synthetic.write_synthetic_jsonl(tmp_path / "big.jsonl", 2500)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", _RESUMABLE, str(big), str(SCHEMA_PATH), str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = out / "big" / ".1.0.0.tmp-resume" / ".tasks" / "done"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(done.glob("*.pkl"))) < 2:
        assert proc.poll() is None, "the build finished before it could be killed; enlarge the input"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.stem for p in done.glob("*.pkl")}
    config = BuildConfig([big], schema=SCHEMA, name="big", version="1.0.0", out_dir=out, format="jsonl",
                         progress=False, jobs=1, resume=True, shard_bytes=60_000)
    tasks = plan_tasks(config, [big])
    assert 2 <= len(finished) < len(tasks)
    real, ran = shard_build.run_build_task, []

    def counting(job, task, items=()):
        ran.append(task.key)
        return real(job, task, items)

    monkeypatch.setattr(shard_build, "run_build_task", counting)
    resumed = build(config)
    assert sorted(ran) == sorted(t.key for t in tasks if t.key not in finished)
    fresh = build(config.replace(out_dir=tmp_path / "fresh", resume=False))
    assert resumed.fingerprint == fresh.fingerprint
    assert _files(resumed.version_dir) == _files(fresh.version_dir)
    assert not (out / "big" / ".1.0.0.tmp-resume").exists()


# ---------------------------------------------------------------------------------------------
# Ray: one local instance for the session (the `ray_instance` fixture of conftest.py)
# ---------------------------------------------------------------------------------------------


def test_ray_builds_the_same_bytes(ray_instance, inputs: list[Path], tmp_path: Path) -> None:
    local = build(_config(inputs, tmp_path / "local", jobs=2))
    remote = build(_config(inputs, tmp_path / "ray", engine="ray"))
    assert remote.fingerprint == local.fingerprint
    assert _files(remote.version_dir) == _files(local.version_dir)
    config = BuildConfig.from_recipe(SANA / "recipe.yaml", {"out_dir": tmp_path / "sana", "progress": False,
                                                            "engine": "ray"})
    assert build(config).fingerprint == SANA_FINGERPRINT


def test_the_recipe_carries_engine_settings_and_the_cli_overrides_them(tmp_path: Path) -> None:
    from dataset_builder.problems import InputError

    recipe = tmp_path / "recipe.yaml"
    text = (SANA / "recipe.yaml").read_text(encoding="utf-8").replace("schema: schema.yaml",
                                                                      f"schema: {SCHEMA_PATH}")
    text = text.replace("sana-sample.jsonl", str(SANA / "sana-sample.jsonl"))
    recipe.write_text(text + "engine: {engine: ray, jobs: 3, ray_address: auto, shard_bytes: 1000}\n", encoding="utf-8")
    config = BuildConfig.from_recipe(recipe)
    assert (config.engine, config.jobs, config.ray_address, config.shard_bytes) == ("ray", 3, "auto", 1000)
    overridden = BuildConfig.from_recipe(recipe, {"engine": "local", "jobs": 1})
    assert (overridden.engine, overridden.jobs) == ("local", 1)
    recipe.write_text(text + "engine: {engine: spark}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        BuildConfig.from_recipe(recipe)
    assert "engine" in info.value.problem.fix and info.value.problem.line is not None
