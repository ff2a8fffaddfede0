"""Semantic-version rules: version arithmetic, the bump each kind of change requires (on real builds
of edited copies of the bundled corpus), enforcement at build time (API, recipe, CLI), `akhbar diff`
and the committed CHANGELOG.md."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_diff import (  # noqa: F401  (without_card_stage: an autouse fixture, imported to apply here too)
    DOC_ID,
    LOOKALIKE_OFFSET,
    REPO,
    SANA,
    CorpusCopy,
    add_span,
    edit_text,
    set_text,
    variant,
    without_card_stage,
)
from typer.testing import CliRunner

from dataset_builder.cli import EXIT_PROBLEMS, EXIT_REFUSED, app
from dataset_builder.config import BuildConfig
from dataset_builder.diff import changelog_entry, diff
from dataset_builder.model import Document
from dataset_builder.pipeline import build, build_documents
from dataset_builder.problems import InputError
from dataset_builder.recipe import load_recipe
from dataset_builder.versioning import (
    RULES,
    Bump,
    Version,
    VersionBumpError,
    check_bump,
    required_bump,
    resolve_previous,
)

# ---------------------------------------------------------------------------------------------
# Version arithmetic
# ---------------------------------------------------------------------------------------------


def test_parse_order_and_format() -> None:
    assert Version.parse("1.10.0") > Version.parse("1.9.3") > Version.parse("1.9.2")
    assert str(Version.parse("0.3.12")) == "0.3.12"
    for bad in ("1.0", "01.0.0", "1.0.0-rc1", "v1.0.0", ""):
        with pytest.raises(InputError) as info:
            Version.parse(bad)
        assert info.value.problem.code == "version-invalid"


@pytest.mark.parametrize(("old", "new", "bump"), [
    ("1.0.0", "2.0.0", Bump.MAJOR), ("1.4.2", "3.0.1", Bump.MAJOR), ("1.0.0", "1.1.0", Bump.MINOR),
    ("1.0.0", "1.3.7", Bump.MINOR), ("1.0.0", "1.0.1", Bump.PATCH), ("1.0.0", "1.0.9", Bump.PATCH),
    ("1.0.0", "1.0.0", Bump.NONE), ("1.2.0", "1.1.9", Bump.NONE),
    # Below 1.0.0 the minor number is the breaking one and the patch number may add.
    ("0.3.0", "0.4.0", Bump.MAJOR), ("0.3.0", "0.3.1", Bump.MINOR), ("0.3.5", "1.0.0", Bump.MAJOR),
])
def test_bump_to(old: str, new: str, bump: Bump) -> None:
    assert Version.parse(old).bump_to(Version.parse(new)) is bump


def test_bumped_is_the_smallest_version_of_that_level() -> None:
    v = Version.parse("1.4.2")
    assert [str(v.bumped(b)) for b in (Bump.PATCH, Bump.MINOR, Bump.MAJOR)] == ["1.4.3", "1.5.0", "2.0.0"]
    zero = Version.parse("0.3.2")
    assert [str(zero.bumped(b)) for b in (Bump.PATCH, Bump.MINOR, Bump.MAJOR)] == ["0.3.3", "0.3.3", "0.4.0"]
    for version in (v, zero):
        for level in (Bump.PATCH, Bump.MINOR, Bump.MAJOR):
            assert version.bump_to(version.bumped(level)) >= level


def test_docs_table_states_every_rule() -> None:
    text = (REPO / "docs" / "versioning.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| (.+?) \| (MAJOR|MINOR|PATCH|refused) \|$", text, re.MULTILINE))
    for rule in RULES:
        assert rows.get(rule.change) == str(rule.bump), f"docs/versioning.md does not state: {rule.change}"
    assert len(rows) == len(RULES) + 2  # + the fallback PATCH row and the refusal row


# ---------------------------------------------------------------------------------------------
# Required bumps on real builds
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base")
    return CorpusCopy.bundled().build(root / "src", "1.0.0", root / "out")


def _relabel(corpus: CorpusCopy) -> None:
    corpus.span("T2")["label"] = "GPE"


def _move(corpus: CorpusCopy) -> None:
    corpus.span("T16")["start"] += len("بشار ")
    set_text(corpus.doc)


def _remove(corpus: CorpusCopy) -> None:
    corpus.doc["spans"].remove(corpus.span("T3"))


def _add_span(corpus: CorpusCopy) -> None:
    add_span(corpus.doc, "T900", "السيدين", "OCC")


def _fix_letter(corpus: CorpusCopy) -> None:
    edit_text(corpus.doc, LOOKALIKE_OFFSET, LOOKALIKE_OFFSET + 1, "ي")


def _add_label(corpus: CorpusCopy) -> None:
    corpus.schema["layers"]["entities"]["labels"]["MISC"] = "Any other named entity."


def _add_document(corpus: CorpusCopy) -> None:
    second = dict(corpus.doc, id=DOC_ID + "-copy")
    corpus.documents.append(second)


def _title(corpus: CorpusCopy) -> None:
    corpus.doc["metadata"]["title"] = "قمة سورية روسية في موسكو"


@pytest.mark.parametrize(("edit", "bump", "key"), [
    (_relabel, Bump.PATCH, "span relabelled"),
    (_move, Bump.PATCH, "span moved"),
    (_remove, Bump.PATCH, "span removed"),
    (_title, Bump.PATCH, "metadata"),
    (_add_span, Bump.MINOR, "span added"),
    (_add_document, Bump.MINOR, "document added"),
    (_fix_letter, Bump.MAJOR, "text"),
    (_add_label, Bump.MAJOR, "schema"),
], ids=lambda value: getattr(value, "__name__", str(value)))
def test_each_change_requires_its_bump(base: Path, tmp_path: Path, edit: object, bump: Bump, key: str) -> None:
    requirement = required_bump(diff(base, variant(tmp_path, edit)))  # type: ignore[arg-type]
    assert requirement.bump is bump
    assert [reason.key for reason in requirement.reasons] == [key]


def test_the_largest_change_decides_and_all_reasons_are_listed(base: Path, tmp_path: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        _relabel(corpus)
        _add_span(corpus)
        _fix_letter(corpus)

    requirement = required_bump(diff(base, variant(tmp_path, edit)))
    assert requirement.bump is Bump.MAJOR
    assert [(r.key, r.bump) for r in requirement.reasons] == [
        ("text", Bump.MAJOR), ("span added", Bump.MINOR), ("span relabelled", Bump.PATCH)]


# ---------------------------------------------------------------------------------------------
# Enforcement at build time
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def released(base: Path, tmp_path: Path) -> Path:
    """An output root of this test's own holding sana-sample 1.0.0 (a copy of ``base``), for builds that
    name it as their previous version."""
    shutil.copytree(base, tmp_path / "out" / "sana-sample" / "1.0.0")
    return tmp_path / "out"


def _refused(tmp_path: Path, out: Path, edit: object, version: str, previous: str = "1.0.0") -> InputError:
    corpus = CorpusCopy.bundled()
    edit(corpus)  # type: ignore[operator]
    with pytest.raises(VersionBumpError) as info:
        corpus.build(tmp_path / f"src-{version}", version, out, previous=previous)
    assert not (out / "sana-sample" / version).exists()
    assert [p.name for p in (out / "sana-sample").iterdir()] == ["1.0.0"]  # no temporary directory left
    return info.value


def test_too_small_a_bump_is_refused_with_the_changes_and_examples(tmp_path: Path, released: Path) -> None:
    def edit(corpus: CorpusCopy) -> None:
        _fix_letter(corpus)
        _relabel(corpus)

    problem = _refused(tmp_path, released, edit, "1.1.0").problem
    assert problem.code == "version-bump-too-small"
    assert problem.message.startswith("1.1.0 is a MINOR bump from 1.0.0, but the changes need a MAJOR bump: "
                                      "document text changed (MAJOR; 1 document; e.g. ")
    assert "«فิصل» → «فيصل» at 443" in problem.message
    assert "relabelled" not in problem.message  # a MINOR bump covers the relabel
    assert problem.fix.startswith("Build it as 2.0.0 (or any later version)")
    assert problem.path == str(released / "sana-sample" / "1.1.0")


def test_nothing_changed_is_refused(tmp_path: Path, released: Path) -> None:
    problem = _refused(tmp_path, released, lambda corpus: None, "1.0.1").problem
    assert problem.code == "version-unchanged"
    assert problem.message.startswith("nothing changed: the fingerprint equals 1.0.0 (")


def test_required_and_larger_bumps_are_published(tmp_path: Path, released: Path) -> None:
    corpus = CorpusCopy.bundled()
    _relabel(corpus)
    patch = corpus.build(tmp_path / "src-1.0.1", "1.0.1", released, previous="1.0.0")
    report = json.loads((patch / "build-report.json").read_text("utf-8"))
    assert report["previous"]["version"] == "1.0.0"
    assert (report["previous"]["required_bump"], report["previous"]["bump"]) == ("PATCH", "PATCH")
    assert report["previous"]["reasons"][0]["examples"] == [f"`{DOC_ID}`: entities «سورية» [6, 11) NORP → GPE"]
    _add_span(corpus)
    major = corpus.build(tmp_path / "src-2.0.0", "2.0.0", released, previous=str(patch))  # a directory
    report = json.loads((major / "build-report.json").read_text("utf-8"))
    assert (report["previous"]["version"], report["previous"]["required_bump"], report["previous"]["bump"]) == (
        "1.0.1", "MINOR", "MAJOR")


def test_zero_versions(tmp_path: Path) -> None:
    out = tmp_path / "out"
    CorpusCopy.bundled().build(tmp_path / "src", "0.1.0", out)
    corpus = CorpusCopy.bundled()
    _add_span(corpus)
    corpus.build(tmp_path / "src-0.1.1", "0.1.1", out, previous="0.1.0")  # additions: a patch increase
    _fix_letter(corpus)
    with pytest.raises(VersionBumpError) as info:
        corpus.build(tmp_path / "src-0.1.2", "0.1.2", out, previous="0.1.1")
    assert "below 1.0.0 a minor increase counts as MAJOR" in info.value.problem.message
    assert info.value.problem.fix.startswith("Build it as 0.2.0")


def _never_read() -> Iterator[Document]:
    raise AssertionError("the input was read before the version number was checked")
    yield  # pragma: no cover


@pytest.mark.parametrize(("version", "previous", "name", "code"), [
    ("1.0.0", "1.0.0", "sana-sample", "version-not-greater"),
    ("0.9.0", "1.0.0", "sana-sample", "version-not-greater"),
    ("2.0.0", "1.0.0", "other", "previous-not-found"),
    ("2.0.0", "3.1.4", "sana-sample", "previous-not-found"),
])
def test_refused_before_reading_any_input(released: Path, version: str, previous: str, name: str,
                                          code: str) -> None:
    schema = load_recipe(SANA / "recipe.yaml").schema
    with pytest.raises(InputError) as info:
        build_documents(_never_read(), BuildConfig((), schema=schema, name=name, version=version, out_dir=released,
                                                   force=True, previous=previous))
    assert info.value.problem.code == code


def test_previous_of_another_dataset(released: Path, tmp_path: Path) -> None:
    recipe = load_recipe(CorpusCopy.bundled().write(tmp_path / "src"))
    with pytest.raises(VersionBumpError) as info:
        build(BuildConfig.from_recipe(recipe, {"name": "other-news", "version": "2.0.0",
                                               "previous": released / "sana-sample" / "1.0.0",
                                               "out_dir": tmp_path / "o2", "progress": False}))
    assert info.value.problem.code == "version-other-dataset"
    assert "'sana-sample', not 'other-news'" in info.value.problem.message


def test_resolve_previous(released: Path) -> None:
    version_dir = released / "sana-sample" / "1.0.0"
    assert resolve_previous("1.0.0", out_dir=released, name="sana-sample") == version_dir
    assert resolve_previous(version_dir, out_dir="elsewhere", name="sana-sample") == version_dir
    with pytest.raises(InputError) as info:
        resolve_previous("1.0.1", out_dir=released, name="sana-sample")
    assert str(released / "sana-sample" / "1.0.1" / "manifest.json") in info.value.problem.message


def test_recipe_previous(tmp_path: Path, released: Path) -> None:
    corpus = CorpusCopy.bundled()
    assert load_recipe(corpus.write(tmp_path / "a", previous="1.0.0")).previous == "1.0.0"
    relative = load_recipe(corpus.write(tmp_path / "b", previous="../out/sana-sample/1.0.0"))
    assert relative.previous == str(tmp_path / "b" / "../out/sana-sample/1.0.0")
    with pytest.raises(InputError) as info:
        load_recipe(corpus.write(tmp_path / "c", previous=1))
    assert info.value.problem.code == "recipe-invalid"
    # The recipe's previous version is checked by the build: nothing changed, refused.
    config = BuildConfig.from_recipe(corpus.write(tmp_path / "a", previous="1.0.0"),
                                     {"version": "1.0.1", "out_dir": released, "progress": False})
    with pytest.raises(VersionBumpError) as refused:
        build(config)
    assert refused.value.problem.code == "version-unchanged"


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def test_cli_build_previous(tmp_path: Path, released: Path) -> None:
    runner = CliRunner()
    corpus = CorpusCopy.bundled()
    _fix_letter(corpus)
    recipe = corpus.write(tmp_path / "src")
    args = ["build", str(recipe), "--out", str(released), "--no-progress", "--previous", "1.0.0"]
    refused = runner.invoke(app, [*args, "--version", "1.0.1"])
    assert refused.exit_code == EXIT_REFUSED
    assert "error[version-bump-too-small] 1.0.1 is a PATCH bump from 1.0.0" in refused.output
    accepted = runner.invoke(app, [*args, "--version", "2.0.0"])
    assert accepted.exit_code == 0, accepted.output
    assert "previous     1.0.0: MAJOR bump required, 2.0.0 is MAJOR" in accepted.output


def test_cli_diff_report_check_and_changelog(tmp_path: Path, released: Path) -> None:
    runner = CliRunner()
    old = released / "sana-sample" / "1.0.0"
    corpus = CorpusCopy.bundled()
    _relabel(corpus)
    _add_span(corpus)
    small = corpus.build(tmp_path / "src", "1.0.1", tmp_path / "unchecked")  # built without --previous
    changelog = tmp_path / "CHANGELOG.md"
    result = runner.invoke(app, ["diff", str(old), str(small), "--changelog", str(changelog)])
    assert result.exit_code == EXIT_PROBLEMS
    assert "**Required bump: MINOR (span added to an existing document); 1.0.1 is a PATCH bump: too small.**" \
        in result.stdout
    assert "error[version-bump-too-small]" in result.output and not changelog.exists()

    good = corpus.build(tmp_path / "src", "1.1.0", tmp_path / "unchecked")
    first = runner.invoke(app, ["diff", str(old), "--changelog", str(changelog), "--date", "2026-01-01"])
    assert first.exit_code == 0, first.output
    as_json = runner.invoke(app, ["diff", str(old), str(good), "-f", "json", "--changelog", str(changelog),
                                  "--date", "2026-02-01"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["required_bump"]["bump"] == "MINOR" and data["documents"]["unchanged"] == 0
    text = changelog.read_text("utf-8")
    assert text.index("## [1.1.0] - 2026-02-01") < text.index("## [1.0.0] - 2026-01-01")
    assert "- 1 span relabelled: entities NORP → GPE 1." in text
    assert "- 1 span in existing documents: entities 1 (OCC 1)." in text
    again = runner.invoke(app, ["diff", str(old), str(good), "--changelog", str(changelog)])
    assert again.exit_code == 0 and changelog.read_text("utf-8") == text  # idempotent, date kept
    assert "unchanged:" in again.output

    usage = runner.invoke(app, ["diff", str(old), str(good), "--format", "yaml"])
    assert usage.exit_code == 2
    not_a_version = runner.invoke(app, ["diff", str(tmp_path), str(good)])
    assert not_a_version.exit_code == 2 and "not-a-version" in not_a_version.output


# ---------------------------------------------------------------------------------------------
# The committed changelog
# ---------------------------------------------------------------------------------------------


def test_committed_changelog_matches_the_canonical_build(tmp_path: Path) -> None:
    recipe = load_recipe(SANA / "recipe.yaml")
    version_dir = build(BuildConfig.from_recipe(recipe, {"out_dir": tmp_path, "progress": False})).version_dir
    committed = (REPO / "CHANGELOG.md").read_text("utf-8")
    heading = re.search(rf"^## \[{re.escape(recipe.version)}\] - (\S+)$", committed, re.MULTILINE)
    assert heading is not None, f"CHANGELOG.md has no entry for {recipe.version}"
    expected = changelog_entry(diff(None, version_dir), date=heading.group(1))
    start = heading.start()
    following = committed.find("\n## [", start + 1)
    entry = committed[start:following + 1 if following >= 0 else len(committed)]
    assert entry == expected, (
        "CHANGELOG.md's entry is stale; regenerate it: akhbar build --out /tmp/o && "
        f"akhbar diff /tmp/o/sana-sample/{recipe.version} --changelog CHANGELOG.md")


def test_check_bump_needs_a_previous_version(tmp_path: Path, released: Path) -> None:
    with pytest.raises(ValueError, match="previous version"):
        check_bump(diff(None, released / "sana-sample" / "1.0.0"))
