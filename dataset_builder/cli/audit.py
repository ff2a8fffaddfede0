"""``akhbar audit``: duplicates across splits and datasets, and contamination by an external corpus."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dataset_builder.cli.root import EXIT_OK, EXIT_PROBLEMS, fail, print_result
from dataset_builder.problems import InputError, Problem

if TYPE_CHECKING:
    from dataset_builder.decontaminate import ContaminationRequest

AUDIT_EPILOG = (
    "\b\nExamples:\n"
    "  # duplicates across the splits of one dataset\n"
    "  akhbar audit out/newsfane-gold/1.0.0\n"
    "  # which ANERcorp test sentences NewsFANE also holds (cross-dataset), as JSON\n"
    "  akhbar audit out/anercorp-camel/1.0.0 out/newsfane-gold/1.0.0 --threshold 0.7 --json > audit.json\n"
    "  # the same on 2 worker processes (the report does not depend on the engine or the workers)\n"
    "  akhbar audit out/anercorp-camel/1.0.0 out/newsfane-gold/1.0.0 --jobs 2\n"
    "  # fail (exit 1) when more than 1% of a split's sentences leak into another split\n"
    "  akhbar audit out/wojood-sample/1.0.0 --max-leakage 0.01\n"
    "  # contamination: which test sentences are in an external corpus (JSONL, Parquet, text), on 2 cores\n"
    "  akhbar audit out/anercorp-camel/1.0.0 --against web/*.jsonl --against wiki.parquet --jobs 2\n"
    "  # the same on a Ray cluster, resumable after a kill\n"
    "  akhbar audit out/anercorp-camel/1.0.0 --against /shared/web --engine ray --ray-address auto "
    "--work-dir /shared/tmp/audit --resume"
)


def audit(
    datasets: Annotated[list[Path], typer.Argument(metavar="DATASET...", help="Built version directories "
                                                   "(OUT/NAME/VERSION).")],
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Minimum Jaccard similarity of word-shingle "
                                             "sets for a near duplicate (1.0: exact only).")] = 0.8,
    level: Annotated[str, typer.Option(help="Compare sentences or whole documents: sentence | document.")]
    = "sentence",
    shingle_size: Annotated[int, typer.Option(min=1, help="Words per shingle.")] = 3,
    min_tokens: Annotated[int, typer.Option(min=1, help="Leave out units with fewer canonical words.")] = 3,
    max_pairs: Annotated[int, typer.Option(min=0, help="Pairs listed in the JSON output (all are counted).")]
    = 1000,
    max_leakage: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Exit 1 when a split's leakage "
                                                      "into another split of its dataset is above this share.")]
    = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the full report as one JSON object on stdout: "
                                              "settings, datasets, units, short_units_left_out, leakage (dataset -> "
                                              "split -> share), matches, lsh_candidates, pairs_found, pairs, seconds. "
                                              "With --against: version, settings, external (files, documents, "
                                              "sentences, bytes, tasks), splits (per split: sentences checked, "
                                              "contaminated, ...), sentences, seconds.")] = False,
    against: Annotated[list[Path] | None, typer.Option(help="External corpus files or folders (JSONL, Parquet, "
                                                       "text): check the version's sentences against them.")]
    = None,
    split: Annotated[list[str] | None, typer.Option(help="With --against: splits to check (default: test).")]
    = None,
    text_field: Annotated[str, typer.Option(help="With --against: JSONL field / Parquet column of the text.")]
    = "text",
    engine: Annotated[str, typer.Option(help="Where the work runs: local (process pool) | ray.")] = "local",
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: the number of cores).")]
    = None,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster: auto | ray://HOST:10001 (default: a "
                                                    "local Ray instance).")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="With --against: completion markers go here (a path every node "
                                                  "can reach).")] = None,
    resume: Annotated[bool, typer.Option(help="With --against: skip tasks already completed in --work-dir.")]
    = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress on stderr (a bar on a "
                                           "terminal, one line per step otherwise).")] = True,
) -> None:
    """Exact and near-duplicate sentences (or documents) across splits and datasets.

    With --against: 13-gram overlap and MinHash near duplicates of the version's test sentences in an
    external corpus, read in shards on every core (or on a Ray cluster).

    Texts are compared on a normalized, clitic-insensitive word view (MinHash + LSH candidates,
    verified by exact Jaccard), so NewsFANE's segmented, hamza-less text matches ANERcorp's.
    """
    from dataset_builder.audit import AuditPolicy
    from dataset_builder.audit import audit as run_audit
    from dataset_builder.decontaminate import ContaminationRequest
    from dataset_builder.engine import EngineSettings, TaskFailed

    if against:
        raise _audit_against(ContaminationRequest(
            versions=tuple(datasets), against=tuple(against), splits=tuple(split or ("test",)), threshold=threshold,
            shingle_size=shingle_size, min_tokens=min_tokens, text_field=text_field, engine=engine, jobs=jobs,
            ray_address=ray_address, work_dir=work_dir, resume=resume, progress=progress), json_output=json_output)
    if level not in ("sentence", "document"):
        raise fail(Problem("usage", f"--level {level!r} is not sentence or document.", "Use --level sentence "
                           "or --level document."))
    try:
        report = run_audit(datasets, level=level, threshold=threshold,  # type: ignore[arg-type]
                           shingle_size=shingle_size, min_tokens=min_tokens, max_pairs=max_pairs,
                           engine=EngineSettings.from_command_line(engine, jobs, ray_address, progress=progress),
                           progress=progress)
    except InputError as exc:
        raise fail(exc.problem) from None
    except TaskFailed as exc:
        raise fail(Problem("audit-task-failed", str(exc), "Run the audit again."), EXIT_PROBLEMS) from None
    print_result(report, as_json=json_output)
    if max_leakage is not None:
        problem = report.check(AuditPolicy(max_leakage=max_leakage, threshold=threshold, level=level))
        if problem is not None:
            typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(EXIT_PROBLEMS)
    raise typer.Exit(EXIT_OK)


def _audit_against(request: ContaminationRequest, *, json_output: bool) -> typer.Exit:
    """``audit --against``: one call to :func:`dataset_builder.decontaminate.audit_against_request`, printed."""
    from dataset_builder.decontaminate import audit_against_request
    from dataset_builder.engine import TaskFailed

    try:
        report = audit_against_request(request)
    except InputError as exc:
        return fail(exc.problem)
    except TaskFailed as exc:
        return fail(Problem("audit-task-failed", str(exc), "Fix the shard named (or remove it) and run again "
                            "with --resume."), EXIT_PROBLEMS)
    print_result(report, as_json=json_output)
    return typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``akhbar`` app."""
    app.command("audit", epilog=AUDIT_EPILOG)(audit)
