"""The engine: byte ranges cut at record boundaries (real corpora, Arabic, CRLF), run_tasks in input
order on both engines, retries, a task that keeps failing, completion markers and --resume, progress."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from dataset_builder.engine import (
    ByteRange,
    EngineSettings,
    TaskFailed,
    cut_byte_ranges,
    default_jobs,
    iter_lines,
    iter_records,
    run_tasks,
)

ROOT = Path(__file__).resolve().parents[1]
SANA = ROOT / "corpora" / "sana-sample" / "sana-sample.jsonl"
CONLL = sorted((ROOT / "tests" / "fixtures" / "corpora" / "anercorp-camel").rglob("*.txt"))


def _joined(path: Path, target: int, separator: str = "line") -> bytes:
    return b"".join(r.read() for r in cut_byte_ranges(path, target, separator=separator))  # type: ignore[arg-type]


@pytest.mark.parametrize("target", [1, 97, 1000, 10**9])
def test_ranges_of_a_real_arabic_jsonl_cover_it_and_cut_only_at_line_ends(target: int) -> None:
    data = SANA.read_bytes()
    ranges = cut_byte_ranges(SANA, target)
    assert _joined(SANA, target) == data
    for shard in ranges:
        chunk = shard.read()
        assert chunk.endswith(b"\n") or shard.stop == len(data)
        chunk.decode("utf-8")  # never a multi-byte character cut in two
    lines = [r.data for shard in ranges for r in iter_lines(shard)]
    assert lines == data.decode("utf-8").encode("utf-8").splitlines()
    assert len({r.key for r in ranges}) == len(ranges)


def test_crlf_lines_and_offsets(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    lines = ["أخبار سانا اليوم", "وزير الخارجية فيصل المقداد", "", "دمشق"]
    path.write_bytes("\r\n".join(lines).encode("utf-8") + b"\r\n")
    for target in (1, 5, 30, 1000):
        records = [r for shard in cut_byte_ranges(path, target) for r in iter_lines(shard)]
        assert [r.data.decode("utf-8") for r in records] == lines
        raw = path.read_bytes()
        for record in records:
            assert raw[record.offset : record.offset + len(record.data)] == record.data


@pytest.mark.skipif(not CONLL, reason="the ANERcorp fixture slice is missing")
@pytest.mark.parametrize("target", [1, 200, 5000])
def test_conll_ranges_cut_at_blank_lines(target: int, tmp_path: Path) -> None:
    source = CONLL[0]
    data = source.read_bytes()
    assert _joined(source, target, "blank-line") == data
    whole = [r.data for r in iter_records(ByteRange(str(source)), "blank-line")]
    shards = cut_byte_ranges(source, target, separator="blank-line")
    cut = [r.data for s in shards for r in iter_records(s, "blank-line")]
    assert cut == whole and len(whole) > 1
    # the same corpus with CRLF line ends cuts into the same sentences
    crlf = tmp_path / "crlf.conll"
    crlf.write_bytes(data.replace(b"\n", b"\r\n"))
    cut_crlf = [r.data.replace(b"\r\n", b"\n")
                for s in cut_byte_ranges(crlf, target, separator="blank-line") for r in iter_records(s, "blank-line")]
    assert cut_crlf == whole


def test_empty_file_has_no_range(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_bytes(b"")
    assert cut_byte_ranges(tmp_path / "e.jsonl", 10) == []
    with pytest.raises(ValueError):
        cut_byte_ranges(SANA, 0)


# ---------------------------------------------------------------------------------------------
# run_tasks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    number: int
    sleep: float = 0.0

    @property
    def key(self) -> str:
        return f"job-{self.number}"

    def describe(self) -> str:
        return f"job {self.number}"


def square_after_sleep(job: Job) -> tuple[int, int]:
    time.sleep(job.sleep)
    return job.number * job.number, os.getpid()


def fail_on_three(job: Job) -> int:
    if job.number == 3:
        raise ValueError("three is broken")
    return job.number


def fail_first_time(job: Job, flag_dir: str) -> int:
    flag = Path(flag_dir) / f"{job.number}"
    if not flag.exists():
        flag.touch()
        raise OSError("transient")
    return job.number


def count_calls(job: Job, log: str) -> int:
    with open(log, "a") as handle:
        handle.write(f"{job.number}\n")
    return job.number


# The first jobs sleep longest, so they finish last: results must still come back in input order.
JOBS = [Job(n, sleep=0.2 if n < 2 else 0.0) for n in range(8)]


def test_results_come_back_in_input_order_from_two_processes() -> None:
    results = run_tasks(JOBS, square_after_sleep, engine=EngineSettings(jobs=2))
    assert [r[0] for r in results] == [n * n for n in range(8)]
    assert os.getpid() not in {r[1] for r in results}
    assert len({r[1] for r in results}) == 2


def test_one_job_runs_in_this_process() -> None:
    results = run_tasks(JOBS[:3], square_after_sleep, engine=EngineSettings(jobs=1))
    assert {r[1] for r in results} == {os.getpid()}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_task_that_keeps_failing_fails_the_run_naming_it(jobs: int) -> None:
    with pytest.raises(TaskFailed, match=r"task job 3 failed 3 time\(s\); last error: ValueError: three is broken"):
        run_tasks([Job(n) for n in range(6)], fail_on_three, engine=EngineSettings(jobs=jobs, retries=2))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_task_is_retried(jobs: int, tmp_path: Path) -> None:
    from functools import partial

    fn = partial(fail_first_time, flag_dir=str(tmp_path))
    assert run_tasks([Job(n) for n in range(4)], fn, engine=EngineSettings(jobs=jobs, retries=1)) == [0, 1, 2, 3]
    for child in tmp_path.iterdir():
        child.unlink()
    with pytest.raises(TaskFailed, match="OSError: transient"):
        run_tasks([Job(n) for n in range(4)], fn, engine=EngineSettings(jobs=jobs, retries=0))


def test_resume_skips_tasks_with_a_completion_marker(tmp_path: Path) -> None:
    from functools import partial

    log = tmp_path / "calls.log"
    work = tmp_path / "work"
    fn = partial(count_calls, log=str(log))
    jobs = [Job(n) for n in range(5)]
    # a first run that dies at job 3 leaves markers for the jobs done before it
    with pytest.raises(TaskFailed):
        run_tasks(jobs, fail_on_three, engine=EngineSettings(jobs=1, retries=0, work_dir=work))
    assert sorted(p.name for p in (work / "done").iterdir()) == ["job-0.pkl", "job-1.pkl", "job-2.pkl"]
    assert run_tasks(jobs, fn, engine=EngineSettings(jobs=1, work_dir=work, resume=True)) == [0, 1, 2, 3, 4]
    assert log.read_text().split() == ["3", "4"]
    # without --resume a run starts clean
    log.unlink()
    assert run_tasks(jobs, fn, engine=EngineSettings(jobs=2, work_dir=work)) == [0, 1, 2, 3, 4]
    assert sorted(log.read_text().split()) == ["0", "1", "2", "3", "4"]
    with pytest.raises(ValueError, match="resume needs a work_dir"):
        EngineSettings(resume=True)


def test_progress_has_no_carriage_return_off_a_terminal(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    tasks = [ByteRange(f"{n}.jsonl") for n in range(4)]
    assert run_tasks(tasks, _path_of, engine=EngineSettings(jobs=1, progress=True), label="audit") == \
        [f"{n}.jsonl" for n in range(4)]
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout carries --json output
    lines = captured.err.splitlines()
    assert "\r" not in captured.err
    assert lines[0] == "audit: 4 task to do"
    assert lines[-1].startswith("audit: 4 of 4 task in ")


def test_progress_counts_resumed_tasks_and_is_silent_when_off(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    tasks = [ByteRange(f"{n}.jsonl") for n in range(3)]
    run_tasks(tasks, _path_of, engine=EngineSettings(jobs=1, work_dir=tmp_path))
    assert capsys.readouterr().err == ""  # progress is off unless asked for
    run_tasks(tasks, _path_of, engine=EngineSettings(jobs=1, work_dir=tmp_path, resume=True, progress=True))
    assert capsys.readouterr().err.splitlines()[-1].startswith("tasks: 3 of 3 task in ")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    run_tasks(tasks, _path_of, engine=EngineSettings(jobs=1, progress=True))
    assert capsys.readouterr().err == ""


def _path_of(task: ByteRange) -> str:
    return task.path


def test_jobs_default_to_the_cores() -> None:
    assert EngineSettings().jobs is None
    assert default_jobs() == len(os.sched_getaffinity(0))


def test_the_core_install_never_imports_ray() -> None:
    code = ("import sys; import dataset_builder.engine, dataset_builder.decontaminate, dataset_builder.cli; "
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# Ray: one local instance for the session (the `ray_instance` fixture of conftest.py)
# ---------------------------------------------------------------------------------------------


def test_ray_gives_the_same_results_in_input_order(ray_instance) -> None:
    local = run_tasks(JOBS, square_after_sleep, engine=EngineSettings(jobs=2))
    remote = run_tasks(JOBS, square_after_sleep, engine=EngineSettings(engine="ray"))
    assert [r[0] for r in remote] == [r[0] for r in local]
    with pytest.raises(TaskFailed, match="job 3"):
        run_tasks([Job(n) for n in range(5)], fail_on_three, engine=EngineSettings(engine="ray", retries=1))


def test_ray_audits_an_external_corpus_like_the_local_engine(ray_instance, sana_version: Path, tmp_path: Path) -> None:
    import json

    from dataset_builder.audit import load_units
    from dataset_builder.decontaminate import ContaminationSettings, audit_against

    units, _ = load_units(sana_version, "sentence", splits=["test"])
    with (tmp_path / "web.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(60):
            text = "نص لا علاقة له بالأخبار المنشورة. " + (units[n % len(units)].text if n % 7 == 0 else "")
            handle.write(json.dumps({"id": f"web-{n}", "text": text}, ensure_ascii=False) + "\n")
    settings = ContaminationSettings(shard_bytes=1500)
    local = audit_against(sana_version, [tmp_path], settings=settings, engine=EngineSettings(jobs=2))
    remote = audit_against(sana_version, [tmp_path], settings=settings, engine=EngineSettings(engine="ray"))
    assert local.external["tasks"] > 2 and local.splits["test"]["contaminated"] >= 8
    assert remote.to_dict() | {"seconds": 0} == local.to_dict() | {"seconds": 0}
