"""The cross-version audit on the engine: the per-sentence work in tasks, LSH and verification after the
merge, and the same report for one task, many tasks, two workers and Ray; the build's audit on the
build's engine settings."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import dataset_builder.audit as audit_module
import dataset_builder.engine as engine_module
from dataset_builder.audit import AuditPolicy, AuditUnit, audit, audit_units
from dataset_builder.config import BuildConfig
from dataset_builder.engine import EngineSettings
from dataset_builder.pipeline import build
from dataset_builder.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "corpora" / "recipes"
SHARED = ROOT.parent / "shared" / "corpora"
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _units() -> list[AuditUnit]:
    """Sentences of random words over two datasets and three splits, with exact copies, copies with one
    word changed and copies in another spelling (a conjunction split off) planted across them."""
    rng = random.Random(7)
    words = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 7))) for _ in range(300)]
    places = [("a", "train"), ("a", "test"), ("b", "train"), ("b", "validation"), ("b", "test")]
    units = [AuditUnit(*rng.choice(places), f"doc-{n // 10}", " ".join(rng.choices(words, k=rng.randint(2, 14))),
                       n % 10) for n in range(420)]
    for n in range(0, 420, 9):
        dataset, split = rng.choice(places)
        tokens = units[n].text.split()
        if n % 3 == 1 and len(tokens) > 5:
            tokens[len(tokens) // 2] = rng.choice(words)
        elif n % 3 == 2:
            tokens[0] = "و " + tokens[0]
        units.append(AuditUnit(dataset, split, f"copy-{n}", " ".join(tokens), 0))
    return units


def _report(units: list[AuditUnit], **options: object) -> dict:
    return audit_units(units, datasets=[{"name": "a"}, {"name": "b"}], **options).to_dict(timing=False)


@pytest.fixture(scope="module")
def one_task() -> dict:
    """The report with every unit in one task, run here: the audit as it was before it had tasks."""
    units = _units()
    assert len(units) < audit_module.UNITS_PER_TASK
    report = _report(units, engine=EngineSettings(jobs=1))
    assert report["pairs_found"] > 40 and report["matches"]  # the planted copies are found
    return report


@pytest.mark.parametrize("jobs", [1, 2])
def test_many_tasks_give_the_report_of_one(one_task: dict, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    run_tasks = engine_module.run_tasks

    def counting(tasks, fn, **options):
        calls.append(len(tasks))
        return run_tasks(tasks, fn, **options)

    monkeypatch.setattr(audit_module, "UNITS_PER_TASK", 37)
    monkeypatch.setattr(engine_module, "run_tasks", counting)
    assert _report(_units(), engine=EngineSettings(jobs=jobs)) == one_task
    assert calls == [-(-len(_units()) // 37)]


def test_exact_duplicates_only_need_no_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_module, "UNITS_PER_TASK", 50)
    many = _report(_units(), threshold=1.0, engine=EngineSettings(jobs=2))
    monkeypatch.setattr(audit_module, "UNITS_PER_TASK", 10_000)
    assert many == _report(_units(), threshold=1.0, engine=EngineSettings(jobs=1))
    assert many["lsh_candidates"] == 0 and many["pairs_found"] > 0


def test_ray_gives_the_report_of_the_local_engine(ray_instance, one_task: dict,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_module, "UNITS_PER_TASK", 100)
    assert _report(_units(), engine=EngineSettings(engine="ray")) == one_task


def test_the_build_audits_on_its_engine_settings(sana_version: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, EngineSettings]] = []
    run_tasks = engine_module.run_tasks

    def recording(tasks, fn, *, engine=None, label="tasks"):
        seen.append((label, engine))
        return run_tasks(tasks, fn, engine=engine, label=label)

    monkeypatch.setattr(engine_module, "run_tasks", recording)
    config = BuildConfig.from_recipe(ROOT / "corpora" / "sana-sample" / "recipe.yaml",
                                     {"out_dir": tmp_path, "progress": False, "jobs": 2,
                                      "audit": AuditPolicy(max_leakage=1.0, action="warn")})
    report = build(config)
    audits = [settings for label, settings in seen if label == "audit"]
    assert audits == [EngineSettings(jobs=2)]
    # the same audit as a stand-alone one of the published version (the temporary path aside)
    stand_alone = audit([report.version_dir], max_pairs=200, engine=EngineSettings(jobs=1)).to_dict(timing=False)
    stand_alone["datasets"][0]["path"] = None
    written = json.loads((report.version_dir / "audit.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(stand_alone))


@pytest.mark.slow
def test_anercorp_against_newsfane_is_the_same_report_on_two_workers(tmp_path: Path) -> None:
    if not (SHARED / "anercorp-camel").is_dir():
        pytest.skip(f"the shared corpora are not at {SHARED}")
    versions = [build(BuildConfig.from_recipe(load_recipe(RECIPES / f"{name}.yaml", data_dir=SHARED),
                                              {"out_dir": tmp_path, "progress": False, "audit": None})).version_dir
                for name in ("anercorp-camel", "newsfane-gold")]
    one = audit(versions, engine=EngineSettings(jobs=1)).to_dict(timing=False)
    two = audit(versions, engine=EngineSettings(jobs=2)).to_dict(timing=False)
    assert one == two
    assert sum(one["units"].values()) > 5 * audit_module.UNITS_PER_TASK  # several tasks
    assert one["matches"] and one["pairs_found"] > 500


def test_akhbar_audit_of_two_versions_takes_the_engine_options(sana_version: Path, sana_version_next: Path) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import EXIT_OK, EXIT_USAGE, app

    runner = CliRunner()
    reports = []
    for jobs in ("1", "2"):
        result = runner.invoke(app, ["audit", str(sana_version), str(sana_version_next), "--jobs", jobs, "--json",
                                     "--no-progress"])
        assert result.exit_code == EXIT_OK, result.output
        assert result.stderr == ""  # --no-progress: nothing on stderr
        report = json.loads(result.stdout)
        report.pop("seconds")
        reports.append(report)
    assert reports[0] == reports[1] and reports[0]["pairs_found"] > 0  # the two versions share their sentences
    wrong = runner.invoke(app, ["audit", str(sana_version), "--engine", "spark"])
    assert wrong.exit_code == EXIT_USAGE and "--engine 'spark' is not one of local, ray" in wrong.stderr
