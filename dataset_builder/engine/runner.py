"""Run tasks on every core (``local``: a process pool) or on a Ray cluster (``ray``), in input order.

``run_tasks(tasks, fn, engine=EngineSettings(...))`` calls ``fn(task)`` for every task and returns the
results in the order of ``tasks``, whatever finished first. ``fn`` is shipped to each worker once (the
pool's initializer, or one ``ray.put``), so a large read-only context, such as the index of a test split,
is not pickled again for every task.

Completion markers: with a ``work_dir``, each finished task's result is pickled to
``work_dir/done/<task.key>.pkl`` (written to a temporary name, then renamed, so a killed run never leaves
a half marker). ``resume=True`` loads those results instead of running their tasks again; without it a
run starts clean. Choose a ``work_dir`` per job (its inputs and settings): a marker says only "this task
is done", not with which settings.
"""

from __future__ import annotations

import os
import pickle
import shutil
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from dataset_builder.problems import InputError, Problem

__all__ = ["ENGINES", "EngineSettings", "Task", "TaskFailed", "default_jobs", "run_tasks"]

ENGINES: tuple[str, ...] = ("local", "ray")
R = TypeVar("R")


class Task(Protocol):
    """What the engine needs of a task: a stable key (marker name) and a description (messages)."""

    @property
    def key(self) -> str: ...

    def describe(self) -> str: ...


def default_jobs() -> int:
    """The cores this process may use (the scheduler's affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """How tasks run.

    Attributes
    ----------
    engine : {"local", "ray"}
        ``local``: a process pool on this machine (``jobs`` = 1 runs in this process, no pool).
        ``ray``: Ray remote functions, on ``ray_address`` or on a local Ray instance started for the run.
    jobs : int or None
        Worker processes for ``local`` (None: :func:`default_jobs`). Ray schedules on its cluster's CPUs.
    retries : int
        How many times a failed task is run again before the run fails, naming the task.
    work_dir : path or None
        Where completion markers go (None: no markers, no resumption).
    resume : bool
        Skip tasks whose marker is in ``work_dir`` (their results are read back from it).
    ray_address : str or None
        ``auto`` (the cluster this machine belongs to), ``ray://host:10001``, or None (a local instance).
    progress : bool
        Show progress over tasks (done / total, with ETA) on stderr, through
        :func:`dataset_builder.progress.progress_bar`: a bar on a terminal, plain lines elsewhere.
    """

    engine: Literal["local", "ray"] = "local"
    jobs: int | None = None
    retries: int = 2
    work_dir: Path | None = None
    resume: bool = False
    ray_address: str | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {self.engine!r}")
        if self.jobs is not None and self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, not {self.retries}")
        if self.resume and self.work_dir is None:
            raise ValueError("resume needs a work_dir (where the completion markers are).")

    @classmethod
    def from_command_line(cls, engine: str, jobs: int | None, ray_address: str | None, *,
                          work_dir: Path | None = None, resume: bool = False, progress: bool = True) -> EngineSettings:
        """The settings of a command's ``--engine/--jobs/--ray-address/--work-dir/--resume/--progress``
        options; a wrong value is a usage :class:`~dataset_builder.problems.InputError` with the fix."""
        from dataset_builder.problems import InputError, Problem

        if engine not in ENGINES:
            raise InputError(Problem("usage", f"--engine {engine!r} is not one of {', '.join(ENGINES)}.",
                                     "Use --engine local or --engine ray."))
        if resume and work_dir is None:
            raise InputError(Problem("usage", "--resume needs --work-dir (where the completion markers are).",
                                     "Pass the --work-dir of the run to resume."))
        return cls(engine=engine, jobs=jobs, ray_address=ray_address,  # type: ignore[arg-type]
                   work_dir=work_dir, resume=resume, progress=progress)


class TaskFailed(RuntimeError):
    """A task failed on every attempt. ``task`` names its shard, ``detail`` is the last error's
    traceback, ``error`` the exception itself when it could cross the process boundary (else None)."""

    def __init__(self, task: Any, attempts: int, failure: _Failure) -> None:
        self.task = task
        self.attempts = attempts
        self.detail = failure.traceback
        self.error = failure.error
        super().__init__(f"task {task.describe()} failed {attempts} time(s); last error: {failure.summary}")


@dataclass(frozen=True, slots=True)
class _Failure:
    summary: str
    traceback: str
    error: BaseException | None

    @property
    def retryable(self) -> bool:
        # Bad input is not transient: a second attempt reads the same bytes and finds the same problem.
        return not isinstance(self.error, InputError)


# ---------------------------------------------------------------------------------------------
# Completion markers
# ---------------------------------------------------------------------------------------------


def _marker(work_dir: Path, task: Task) -> Path:
    return work_dir / "done" / f"{task.key}.pkl"


def _write_marker(work_dir: Path, task: Task, result: Any) -> None:
    path = _marker(work_dir, task)
    partial = path.with_suffix(".partial")
    partial.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)  # atomic: a marker is whole or absent


def _read_marker(work_dir: Path, task: Task) -> tuple[bool, Any]:
    path = _marker(work_dir, task)
    if not path.is_file():
        return False, None
    try:
        return True, pickle.loads(path.read_bytes())
    except Exception:  # a damaged marker: run the task again rather than trust it
        return False, None


# ---------------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------------

_WORKER_FN: Callable[[Any], Any] | None = None  # set once per pool worker by its initializer


def _init_worker(fn: Callable[[Any], Any]) -> None:
    global _WORKER_FN
    _WORKER_FN = fn


def _call_in_worker(task: Any) -> tuple[bool, Any]:
    assert _WORKER_FN is not None
    return _call_here(_WORKER_FN, task)


def _call_here(fn: Callable[[Any], Any], task: Any) -> tuple[bool, Any]:
    """Run one task; an exception comes back as a :class:`_Failure` and never kills the worker."""
    try:
        return True, fn(task)
    except Exception as exc:
        error: BaseException | None = exc
        try:  # the exception travels only if it survives a round trip (custom __init__s often do not)
            pickle.loads(pickle.dumps(exc))
        except Exception:
            error = None
        return False, _Failure(f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=6), error)


def _run_local(pending: list[int], tasks: Sequence[Any], fn: Callable[[Any], Any], settings: EngineSettings,
               finish: Callable[[int, Any], None]) -> None:
    jobs = min(settings.jobs or default_jobs(), max(1, len(pending)))
    attempts = dict.fromkeys(pending, 0)
    if jobs == 1:
        for index in pending:
            while True:
                attempts[index] += 1
                ok, value = _call_here(fn, tasks[index])
                if ok:
                    finish(index, value)
                    break
                if attempts[index] > settings.retries or not value.retryable:
                    raise TaskFailed(tasks[index], attempts[index], value)
        return
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(fn,)) as pool:
        running: dict[Future, int] = {}

        def submit(index: int) -> None:
            attempts[index] += 1
            running[pool.submit(_call_in_worker, tasks[index])] = index

        queue = list(reversed(pending))
        try:
            # Keep 2 tasks per worker in flight: enough to hide the hand-over, few enough that a
            # failure stops the run soon.
            while queue or running:
                while queue and len(running) < 2 * jobs:
                    submit(queue.pop())
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    index = running.pop(future)
                    try:
                        ok, value = future.result()
                    except Exception as exc:  # the worker process died (killed, out of memory)
                        ok, value = False, _Failure(f"worker process lost: {type(exc).__name__}: {exc}", "", None)
                    if ok:
                        finish(index, value)
                    elif attempts[index] > settings.retries or not value.retryable:
                        raise TaskFailed(tasks[index], attempts[index], value)
                    else:
                        submit(index)
        except BaseException:
            for future in running:
                future.cancel()
            raise


def _run_ray(pending: list[int], tasks: Sequence[Any], fn: Callable[[Any], Any], settings: EngineSettings,
             finish: Callable[[int, Any], None]) -> None:
    try:
        import ray
    except ImportError:
        raise InputError(Problem("ray-missing", "--engine ray needs Ray, which is not installed.",
                                 "pip install 'akhbar[ray]', or use --engine local.")) from None
    started_here = not ray.is_initialized()
    if started_here:
        if settings.ray_address:
            ray.init(address=settings.ray_address, log_to_driver=False)
        else:
            ray.init(num_cpus=settings.jobs or default_jobs(), include_dashboard=False, log_to_driver=False)
    try:
        fn_ref = ray.put(fn)  # once per run: every worker gets the same object from the object store
        remote = ray.remote(num_cpus=1, max_retries=settings.retries)(_call_with)
        attempts = dict.fromkeys(pending, 0)
        running: dict[Any, int] = {}

        def submit(index: int) -> None:
            attempts[index] += 1
            running[remote.remote(fn_ref, tasks[index])] = index

        for index in pending:
            submit(index)
        while running:
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                index = running.pop(ref)
                try:
                    ok, value = ray.get(ref)
                except Exception as exc:  # the worker died more often than Ray's own retries allow
                    ok, value = False, _Failure(f"{type(exc).__name__}: {exc}", "", None)
                if ok:
                    finish(index, value)
                elif attempts[index] > settings.retries or not value.retryable:
                    for other in running:
                        ray.cancel(other)
                    raise TaskFailed(tasks[index], attempts[index], value)
                else:
                    submit(index)
    finally:
        if started_here:
            ray.shutdown()


def _call_with(fn: Callable[[Any], Any], task: Any) -> tuple[bool, Any]:
    return _call_here(fn, task)


def run_tasks(tasks: Sequence[Any], fn: Callable[[Any], R], *, engine: EngineSettings | None = None,
              label: str = "tasks") -> list[R]:
    """``[fn(task) for task in tasks]``, in parallel, in input order.

    Parameters
    ----------
    tasks : sequence of Task
        Small picklable descriptions (e.g. :class:`dataset_builder.engine.ByteRange`) with ``key`` and
        ``describe()``. Keys must be unique.
    fn : callable
        A picklable function of one task (a module-level function or a ``functools.partial`` of one).
    engine : EngineSettings, optional
        Default: local, one job per core, 2 retries, no markers.
    label : str
        The progress bar's label.

    Raises
    ------
    TaskFailed
        A task failed on all ``1 + retries`` attempts (the run stops; finished tasks keep their markers).

    Examples
    --------
    >>> from dataset_builder.engine import ByteRange, EngineSettings, run_tasks
    >>> run_tasks([ByteRange("a.jsonl"), ByteRange("b.jsonl")], lambda task: task.path.upper(),
    ...           engine=EngineSettings(jobs=1))
    ['A.JSONL', 'B.JSONL']
    """
    settings = engine or EngineSettings()
    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique (two tasks would share a completion marker).")
    results: list[Any] = [None] * len(tasks)
    pending: list[int] = []
    work_dir = settings.work_dir
    if work_dir is not None:
        if not settings.resume and (work_dir / "done").exists():
            shutil.rmtree(work_dir / "done")
        (work_dir / "done").mkdir(parents=True, exist_ok=True)
    for index, task in enumerate(tasks):
        found, value = _read_marker(work_dir, task) if settings.resume and work_dir is not None else (False, None)
        if found:
            results[index] = value
        else:
            pending.append(index)
    from dataset_builder.progress import progress_bar  # the one display: --no-progress and the env switch it off

    progress = progress_bar(total=len(tasks), desc=label, unit="task", enabled=settings.progress)
    progress.update(len(tasks) - len(pending))  # resumed tasks count as done

    def finish(index: int, value: Any) -> None:
        results[index] = value
        if work_dir is not None:
            _write_marker(work_dir, tasks[index], value)
        progress.update()

    try:
        if pending:
            runner = _run_ray if settings.engine == "ray" else _run_local
            runner(pending, tasks, fn, settings, finish)
    finally:
        progress.close()
    return results
