"""Sharded execution: tasks over byte ranges of input files, run on every core or on a Ray cluster.

See ``docs/scaling.md`` for why this is a small engine of our own and not datatrove's executors.
"""

from dataset_builder.engine.runner import ENGINES, EngineSettings, TaskFailed, default_jobs, run_tasks
from dataset_builder.engine.shards import ByteRange, Record, cut_byte_ranges, iter_lines, iter_records, ranges_for

__all__ = [
    "ENGINES",
    "ByteRange",
    "EngineSettings",
    "Record",
    "TaskFailed",
    "cut_byte_ranges",
    "default_jobs",
    "iter_lines",
    "iter_records",
    "ranges_for",
    "run_tasks",
]
