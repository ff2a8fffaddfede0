"""BuildConfig, strict recipe and schema files, and the stage protocol of the build pipeline."""

from __future__ import annotations

import ast
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dataset_builder.audit import AuditPolicy
from dataset_builder.config import BuildConfig
from dataset_builder.pipeline import (
    AuditStage,
    CardStage,
    ManifestStage,
    ReadStage,
    ReportStage,
    SplitStage,
    Stage,
    TextLayerStage,
    ValidateStage,
    VersionCheckStage,
    WriteStage,
    build,
    build_stages,
    validate_inputs,
)
from dataset_builder.problems import InputError
from dataset_builder.recipe import load_recipe
from dataset_builder.schema import load_schema
from dataset_builder.split import HashSplit
from dataset_builder.version_dir import VersionDir

ROOT = Path(__file__).resolve().parents[1]
SANA = ROOT / "corpora" / "sana-sample"
#: The bundled corpus' fingerprint, as committed in cards/sana-sample: the refactored build must keep it.
SANA_FINGERPRINT = "4423dc91034efc1b319ab205eeb2fc04b49a63d26c550d051d23be9dbfa8a1ed"


def _copy_recipe(tmp_path: Path, text: str) -> Path:
    for name in ("schema.yaml", "sana-sample.jsonl"):
        shutil.copyfile(SANA / name, tmp_path / name)
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = "name: news\nversion: 1.0.0\nschema: schema.yaml\ninputs: [sana-sample.jsonl]\n"


# ---- BuildConfig ---------------------------------------------------------------------------------


def test_from_recipe_merges_overrides_in_one_place(tmp_path: Path) -> None:
    config = BuildConfig.from_recipe(SANA / "recipe.yaml", {"version": "1.0.1", "out_dir": tmp_path, "jobs": 2})
    assert (config.name, config.version, config.jobs, config.format) == ("sana-sample", "1.0.1", 2, "jsonl")
    assert config.inputs == (SANA / "sana-sample.jsonl",)
    assert config.version_dir == tmp_path / "sana-sample" / "1.0.1"
    assert config.split is not None and config.split.describe()["ratios"] == {"test": 1.0}
    # None is applied as given: the recipe's audit can be switched off
    recipe = _copy_recipe(tmp_path, BASE + "audit: {max_leakage: 0.1, action: warn}\n")
    assert BuildConfig.from_recipe(recipe).audit == AuditPolicy(max_leakage=0.1, action="warn")
    assert BuildConfig.from_recipe(recipe, {"audit": None}).audit is None
    with pytest.raises(InputError) as info:
        BuildConfig.from_recipe(recipe, {"jbos": 2})
    assert "jbos" in info.value.problem.message and "jobs" in info.value.problem.fix


@pytest.mark.parametrize(("changes", "code"), [
    ({"version": "1.0"}, "version-invalid"),
    ({"name": "no/slash"}, "name-invalid"),
    ({"policy": "widen"}, "policy-invalid"),
    ({"jobs": 0}, "jobs-invalid"),
    ({"engine": "spark"}, "engine-invalid"),
])
def test_config_is_checked_when_made(changes: dict, code: str) -> None:
    schema = load_schema(SANA / "schema.yaml")
    values = {"inputs": (), "schema": schema, "name": "x", "version": "1.0.0", **changes}
    with pytest.raises(InputError) as info:
        BuildConfig(**values)
    assert info.value.problem.code == code
    config = BuildConfig((), schema=schema, name="x", version="1.0.0")
    with pytest.raises(InputError):
        config.replace(**changes)  # a copy is checked again
    with pytest.raises(AttributeError):
        config.name = "y"  # type: ignore[misc]  # frozen


# ---- strict recipe and schema files ---------------------------------------------------------------


@pytest.mark.parametrize(("body", "line", "phrase"), [
    ("polcy: expand\n", 5, "unknown key `polcy`"),
    ("policy: widen\n", 5, "`policy`"),
    ("reader_options: [a, b]\n", 5, "`reader_options`"),
    ("licence: 4\n", 5, "`licence`"),
    ("split:\n  test: 1.0\naudit: yes\n", 7, "`audit`"),
])
def test_recipe_refuses_unknown_keys_and_wrong_types_with_the_line(tmp_path: Path, body: str, line: int,
                                                                  phrase: str) -> None:
    recipe = _copy_recipe(tmp_path, BASE + body)
    with pytest.raises(InputError) as info:
        load_recipe(recipe)
    problem = info.value.problem
    assert (problem.code, problem.path, problem.line) == ("recipe-invalid", str(recipe), line)
    assert phrase in problem.message and problem.fix


def test_recipe_version_read_as_a_number_is_refused(tmp_path: Path) -> None:
    recipe = _copy_recipe(tmp_path, BASE.replace("1.0.0", "1.0"))
    with pytest.raises(InputError) as info:
        load_recipe(recipe)
    assert info.value.problem.line == 2 and "`version`" in info.value.problem.message


@pytest.mark.parametrize(("old", "new", "phrase"), [
    ("    levels: 3\n", "    level: 3\n", "unknown key `layers.entities.level`"),
    ("    overlap: false\n", '    overlap: "false"\n', "`layers.entities.overlap`"),
    ("    levels: 3\n", "    levels: 0\n", "`layers.entities.levels`"),
    ("    levels: 3\n", '    levels: "3"\n', "`layers.entities.levels`"),
])
def test_schema_refuses_what_it_used_to_misread(tmp_path: Path, old: str, new: str, phrase: str) -> None:
    text = (SANA / "schema.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "schema.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_schema(path)
    problem = info.value.problem
    assert problem.code == "schema-invalid" and phrase in problem.message, problem
    assert problem.line == text.splitlines().index(old.rstrip("\n")) + 1


# ---- stages ---------------------------------------------------------------------------------------


def test_the_stage_list_comes_from_the_config(tmp_path: Path) -> None:
    config = BuildConfig.from_recipe(SANA / "recipe.yaml", {"out_dir": tmp_path, "progress": False})
    kinds = [ReadStage, ValidateStage, TextLayerStage, SplitStage, WriteStage, ManifestStage, ReportStage, CardStage]

    def made(config: BuildConfig, previous_dir: Path | None = None) -> list[type]:
        work = tmp_path / f"work-{len(list(tmp_path.iterdir()))}"
        work.mkdir()
        stages = build_stages(config, tmp_dir=work, path_base=None, previous_dir=previous_dir)
        assert all(isinstance(stage, Stage) for stage in stages)
        for stage in stages:
            stage.abort()
        return [type(stage) for stage in stages]

    assert made(config) == kinds
    audited = made(config.replace(audit=AuditPolicy()), previous_dir=tmp_path)
    assert audited == [*kinds[:6], AuditStage, VersionCheckStage, *kinds[6:]]


def test_report_counts_come_from_the_stages_and_keep_the_fingerprint(tmp_path: Path) -> None:
    config = BuildConfig.from_recipe(SANA / "recipe.yaml", {"out_dir": tmp_path, "progress": False})
    report = build(config)
    assert report.fingerprint == SANA_FINGERPRINT
    on_disk = json.loads((report.version_dir / "build-report.json").read_text(encoding="utf-8"))
    assert on_disk == report.to_dict()
    assert on_disk["documents"] == {"read": 1, "written": 1, "rejected": 0}
    assert on_disk["spans"]["read"] == on_disk["spans"]["written"] == 126
    summary = report.summary()
    assert summary.split_rule["ratios"] == {"test": 1.0} and summary.rejects == ()
    assert summary.to_dict() == VersionDir.open(report.version_dir).summary().to_dict()  # what inspect reads back


def test_stages_run_one_by_one_with_their_own_counters(tmp_path: Path) -> None:
    """The document stages used directly, as a notebook or a sharded engine would."""
    from dataset_builder.pipeline import BuildLog, run_stages

    config = BuildConfig((SANA / "sana-sample.jsonl",), schema=load_schema(SANA / "schema.yaml"), name="s",
                         version="1.0.0", split=HashSplit((("test", 1.0),)), progress=False)
    log = BuildLog(None)
    stages = [ReadStage(config), ValidateStage(config.schema, log), TextLayerStage(config.schema, "expand"),
              SplitStage(config.split, log)]  # type: ignore[arg-type]
    ((split, doc, result),) = run_stages(stages)
    assert (split, doc.id) == ("test", "sana-2021-09-14-assad-putin-moscow")
    assert result.rows.n_tokens == 806
    assert [dict(stage.stats) for stage in stages] == [
        {"documents": 1, "spans": 126, "links": 12}, {"documents": 1}, {"documents": 1}, {"test": 1}]
    # a second shard of two reads nothing of a single input file
    shard = ReadStage(config)
    assert list(shard.run((), rank=1, world_size=2)) == [] and shard.stats["documents"] == 0


def test_validate_inputs_shares_the_build_stages(tmp_path: Path) -> None:
    result = validate_inputs([SANA / "sana-sample.jsonl"], load_schema(SANA / "schema.yaml"))
    assert (result.documents, result.rejected, result.errors, result.exit_code) == (1, 0, 0, 0)
    broken = tmp_path / "broken.jsonl"
    line = (SANA / "sana-sample.jsonl").read_text(encoding="utf-8").splitlines()[0]
    record = json.loads(line)
    record["spans"][0]["label"] = "NOT-A-LABEL"
    broken.write_text(line + "\n" + json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    result = validate_inputs([broken], load_schema(SANA / "schema.yaml"))
    assert (result.documents, result.rejected, result.exit_code) == (2, 1, 1)
    codes = {p.code for p in result.problems if p.is_error}
    assert codes == {"doc-id-duplicate", "unknown-label"}
    assert result.summary().startswith("2 record(s) checked, 1 with errors")


# ---- import structure ------------------------------------------------------------------------------


def _imports_at_run_time(tree: ast.AST) -> Iterator[str]:
    """Every module an ``import`` names, at any depth (function-level too), except under ``if TYPE_CHECKING``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            yield from (name for child in node.orelse for name in _imports_at_run_time(child))
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        yield from _imports_at_run_time(node)


def test_no_import_circle_in_the_builder() -> None:
    package = ROOT / "dataset_builder"
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for p in package.rglob("*.py")}
    graph = {name: {target for target in _imports_at_run_time(ast.parse(path.read_text(encoding="utf-8")))
                    if target in modules and target != name and not name.startswith(f"{target}.")}
             for name, path in modules.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and (seen.add(nxt) or reaches(nxt, goal, seen))):
                return True
        return False

    circles = sorted(name for name in graph if reaches(name, name, set()))
    assert not circles, f"modules on an import circle: {circles}"
    # the edges the circle diff <-> versioning <-> pipeline was made of, now one way
    assert "dataset_builder.diff" in graph["dataset_builder.versioning"]
    assert not graph["dataset_builder.diff"] & {"dataset_builder.versioning", "dataset_builder.pipeline"}
    assert not graph["dataset_builder.versioning"] & {"dataset_builder.pipeline"}


def test_from_options_is_the_command_lines_one_way_to_a_config(tmp_path: Path) -> None:
    from dataset_builder.config import BuildOptions
    from dataset_builder.problems import InputError
    from dataset_builder.resources import default_recipe

    bundled = BuildConfig.from_options(BuildOptions(out_dir=tmp_path, split="train=0.5,test=0.5", max_leakage=0.1))
    assert bundled.name == "sana-sample" and bundled.out_dir == tmp_path
    assert bundled.card is not None and bundled.card.guideline_link == "docs/annotation-guideline.md"
    assert dict(bundled.split.ratios) == {"train": 0.5, "test": 0.5}  # type: ignore[union-attr]
    assert bundled.audit == AuditPolicy(max_leakage=0.1, action="refuse")
    schema = SANA / "schema.yaml"
    inputs = BuildConfig.from_options(BuildOptions(inputs=(tmp_path / "a.jsonl",), schema=schema, name="n",
                                                   version="0.1.0"))
    assert (inputs.inputs, inputs.name, inputs.card) == ((tmp_path / "a.jsonl",), "n", None)
    for options, says in [
        (BuildOptions(recipes=(default_recipe(), default_recipe())), "give the recipe once"),
        (BuildOptions(recipes=(default_recipe(),), inputs=(schema,)), "either a recipe or --input"),
        (BuildOptions(inputs=(schema,), name="n"), "needs --schema, --version"),
        (BuildOptions(split="test=1.0", split_file=schema), "exclusive"),
        (BuildOptions(out_dir=schema), "is a file, not a folder"),
    ]:
        with pytest.raises(InputError, match=says):
            BuildConfig.from_options(options)
