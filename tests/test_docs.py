"""The documentation against the code: every page is listed, every link, path, dotted name and CLI
option it mentions exists, and the examples it shows give what it says they give."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dataset_builder.card import bundled_card_options
from dataset_builder.cli import app, default_recipe
from dataset_builder.config import BuildConfig
from dataset_builder.export import export
from dataset_builder.model import Span
from dataset_builder.pipeline import build
from dataset_builder.readers import READERS, read
from dataset_builder.recipe import load_recipe
from eval.baselines._words import learn_clitic_convention
from eval.gold import load_gold

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", *DOCS, *sorted((REPO / "corpora").glob("*/README.md"))]

# `text` in backticks, and fenced blocks with their language.
INLINE_CODE = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
TOP_LEVEL = ("dataset_builder/", "eval/", "corpora/", "tests/", "examples/", "benchmarks/", "cards/", "docs/")


def _page_id(path: Path) -> str:
    return str(path.relative_to(REPO))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The page without its fenced blocks (sample output and code may quote anything)."""
    return FENCE.sub("", text)


def _commands(text: str) -> list[str]:
    """Every `akhbar ...` command of the page's bash blocks and inline code, continuation lines joined."""
    commands: list[str] = []
    for language, body in FENCE.findall(text):
        if language != "bash":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("akhbar "):
                commands.append(line)
    commands += [code for code in INLINE_CODE.findall(_prose(text)) if code.startswith("akhbar ")]
    return commands


def _cli_options() -> dict[str, set[str]]:
    """Option names of each `akhbar` subcommand, from the Click command typer builds."""
    group = typer.main.get_command(app)
    commands = dict(group.commands)
    for name, command in group.commands.items():  # command groups: `akhbar annotate export` is "annotate export"
        commands.update({f"{name} {sub}": c for sub, c in getattr(command, "commands", {}).items()})
    return {
        name: {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        for name, command in commands.items()
    }


def test_readme_lists_every_page_of_docs() -> None:
    listed = set(LINK.findall(_text(REPO / "README.md")))
    missing = [_page_id(page) for page in DOCS if _page_id(page) not in listed]
    assert not missing, f"README.md's documentation table does not list {missing}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_relative_links_point_at_files(page: Path) -> None:
    broken = []
    for target in LINK.findall(_text(page)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        if not (page.parent / target.split("#", 1)[0]).exists():
            broken.append(target)
    assert not broken, f"{_page_id(page)}: links to missing files {broken}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_repository_paths_exist(page: Path) -> None:
    missing = []
    for code in INLINE_CODE.findall(_prose(_text(page))):
        path = code.split(":", 1)[0].rstrip("/")  # `dataset_builder/split.py: BlockSplit`
        if not path.startswith(TOP_LEVEL) or re.search(r"[*<>{}$ ]|NNNNN", path):
            continue  # globs, placeholders and sentences are not paths
        if not (REPO / path).exists():
            missing.append(code)
    assert not missing, f"{_page_id(page)}: names paths that do not exist: {missing}"


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_dotted_names_resolve(page: Path) -> None:
    unresolved = []
    for code in INLINE_CODE.findall(_prose(_text(page))):
        match = re.match(r"((?:dataset_builder|eval)(?:\.\w+)+)(?:\(.*\)?)?(?: -> .*)?$", code)
        if match is None:
            continue
        try:
            _resolve(match.group(1))
        except (ImportError, AttributeError) as exc:
            unresolved.append(f"{match.group(1)} ({exc})")
    assert not unresolved, f"{_page_id(page)}: names that do not exist: {unresolved}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_cli_commands_and_options_exist(page: Path) -> None:
    options = _cli_options()
    wrong = []
    for command in _commands(_text(page)):
        words = command.split()
        name = words[1] if len(words) > 1 and not words[1].startswith("-") else "build"
        if len(words) > 2 and f"{name} {words[2]}" in options:
            name = f"{name} {words[2]}"
        if name not in options:
            wrong.append(f"{command!r}: no command {name!r}")
            continue
        for word in words:
            option = word.split("=", 1)[0]
            if option.startswith("--") and option not in options[name] | {"--help"}:
                wrong.append(f"{command!r}: akhbar {name} has no option {option}")
    assert not wrong, f"{_page_id(page)}: {wrong}"


def test_formats_page_documents_every_reader() -> None:
    page = _text(REPO / "docs" / "formats.md")
    undocumented = [fmt for fmt, (_, function) in READERS.items()
                    if f"`{function}`" not in page or f"(`{fmt}`)" not in page]
    assert not undocumented, f"docs/formats.md has no section (with its reader function) for {undocumented}"


def test_conll_example_of_the_formats_page_reads_as_stated(tmp_path: Path) -> None:
    section = _text(REPO / "docs" / "formats.md").split("## CoNLL", 1)[1]
    example = FENCE.search(section)
    assert example is not None and example.group(1) == "text"
    path = tmp_path / "example.conll"
    path.write_text(example.group(2), encoding="utf-8")
    (document,) = read(path)
    stated_text = re.search(r"becomes `([^`]+)`", section)
    assert stated_text is not None
    assert document.text == stated_text.group(1).replace("\\n", "\n")
    stated_spans = re.findall(r"`\[(\d+), (\d+)\) (\w+)`", section)
    assert [(s.start, s.end, s.label) for s in document.spans] == [(int(a), int(b), c) for a, b, c in stated_spans]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out as the docs assume: `akhbar build` and `akhbar export` done
    (out/sana-sample/1.0.0, out/hub/sana-sample), the repository's tests/, docs/ and corpora/
    beside them, and a predictions file named as in docs/evaluation.md."""
    root = tmp_path_factory.mktemp("docs-workspace")
    recipe = load_recipe(default_recipe())
    build(BuildConfig.from_recipe(recipe, {"out_dir": root / "out", "progress": False, "card": bundled_card_options()}))
    export(root / "out" / "sana-sample" / "1.0.0", root / "out" / "hub" / "sana-sample")
    for folder in ("tests", "docs", "corpora"):
        (root / folder).symlink_to(REPO / folder, target_is_directory=True)
    shutil.copy(REPO / "corpora" / "sana-sample" / "predictions" / "llm-sana.jsonl", root / "run-b.jsonl")
    return root


def _assert_readme_names_every_file_of(version_dir: Path) -> None:
    readme = _text(REPO / "README.md")
    section = readme.split("## What the dataset looks like", 1)[1].split("\n## ", 1)[0]
    named = {name.rstrip("/") for name in INLINE_CODE.findall(section)}
    built = {path.name for path in version_dir.iterdir()}
    assert built <= named, f"README.md does not name {sorted(built - named)} of a built version"


def test_readme_names_every_file_of_a_built_version(workspace: Path) -> None:
    _assert_readme_names_every_file_of(workspace / "out" / "sana-sample" / "1.0.0")


def _python_blocks(page: Path) -> list[str]:
    return [body for language, body in FENCE.findall(_text(page)) if language == "python"]


@pytest.mark.parametrize(("page", "index"), [("README.md", 0), ("docs/evaluation.md", 0), ("docs/cards.md", 1),
                                             ("docs/annotation.md", 0), ("docs/architecture.md", 0)])
def test_python_examples_run_as_written(page: str, index: int, workspace: Path, tmp_path: Path) -> None:
    """The block runs without an exception where the docs say it runs (after `akhbar build`), in a
    fresh interpreter as a reader would run it (on a copy: some examples rewrite files)."""
    copy = tmp_path / "workspace"
    shutil.copytree(workspace, copy, symlinks=True)
    _run_python_block(page, index, copy)


def _run_python_block(page: str, index: int, cwd: Path) -> None:
    source = _python_blocks(REPO / page)[index]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
    run = subprocess.run([sys.executable, "-c", source], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, f"{page}, python block {index}:\n{run.stderr[-3000:]}"


def test_publishing_dry_run_sample_is_what_a_dry_run_prints(workspace: Path, tmp_path: Path) -> None:
    """docs/publishing.md shows `akhbar push --dry-run` of the bundled corpus: same lines, and the same
    size and sha256 for the card and the manifest (Parquet bytes, and croissant.json which lists their
    hashes, depend on the pyarrow version)."""
    export_dir = tmp_path / "hub"
    runner = CliRunner()
    version_dir = workspace / "out" / "sana-sample" / "1.0.0"
    exported = runner.invoke(app, ["export", str(version_dir), "--out", str(export_dir)])
    assert exported.exit_code == 0, exported.output
    pushed = runner.invoke(app, ["push", str(export_dir), "--repo-id", "ORG/NAME", "--dry-run"])
    assert pushed.exit_code == 0, pushed.output
    page = _text(REPO / "docs" / "publishing.md").split("### Dry run", 1)[1]
    sample = FENCE.search(page)
    assert sample is not None

    def lines(text: str) -> list[str]:
        kept = []
        for line in text.strip().splitlines():
            if line.rstrip().endswith((".parquet", "croissant.json")):
                line = re.sub(r"[\d,]+ B  sha256:[0-9a-f]{64}", "<size> B  sha256:<hash>", line)
            kept.append(line.rstrip())
        return kept

    assert lines(sample.group(2)) == lines(pushed.stdout), (
        "docs/publishing.md's dry-run sample is stale: paste the output of `akhbar build && akhbar export "
        "out/sana-sample/1.0.0 --out out/hub/sana-sample && akhbar push out/hub/sana-sample --repo-id ORG/NAME "
        "--dry-run` into its ### Dry run section")


def _clitic_evidence_of_the_baselines_page(corpus: str) -> tuple[int, int]:
    page = " ".join(_text(REPO / "docs" / "baselines.md").split())
    stated = re.search(re.escape(corpus) + r" (\d+) : (\d+) ->", page)
    assert stated is not None, f"docs/baselines.md states no clitic evidence for {corpus!r}"
    return int(stated.group(1)), int(stated.group(2))


def test_clitic_evidence_stated_for_the_sana_article() -> None:
    (document,) = read(REPO / "corpora" / "sana-sample" / "sana-sample.jsonl")
    convention, evidence = learn_clitic_convention([document], "entities")
    assert convention == "exclude"
    assert _clitic_evidence_of_the_baselines_page("the SANA article") == (evidence["exclude"], evidence["include"])


@pytest.mark.slow
def test_baselines_page_on_newsfane(tmp_path: Path) -> None:
    """docs/baselines.md on NewsFANE Gold built by its recipe: the stated clitic evidence, and the
    gazetteer and linear examples run as written (the linear one after the gazetteer one)."""
    if not (SHARED / "corpora" / "newsfane-gold").is_dir():
        pytest.skip(f"{SHARED / 'corpora'} is absent (the shared corpora are not next to the repository)")
    recipe = load_recipe(REPO / "corpora" / "recipes" / "newsfane-gold.yaml", data_dir=SHARED / "corpora")
    report = build(BuildConfig.from_recipe(recipe, {"out_dir": tmp_path / "out", "progress": False}))
    convention, evidence = learn_clitic_convention(load_gold(report.version_dir, split="train").documents, "entities")
    assert convention == "include"
    assert _clitic_evidence_of_the_baselines_page("NewsFANE Gold's train split") == (
        evidence["exclude"], evidence["include"])
    for index in (0, 1):
        _run_python_block("docs/baselines.md", index, tmp_path)
    _assert_readme_names_every_file_of(report.version_dir)  # with the audit.json of the recipe's audit


def test_sana_sample_readme_lists_its_files_and_nesting() -> None:
    corpus = REPO / "corpora" / "sana-sample"
    page = _text(corpus / "README.md")
    files_section = page.split("## Files", 1)[1].split("\n## ", 1)[0]
    listed = {Path(name).parts[0] for name in re.findall(r"^\| `([^`]+)` \|", files_section, re.MULTILINE)}
    assert listed == {path.name for path in corpus.iterdir()}

    (document,) = read(corpus / "sana-sample.jsonl")
    entities = document.layer("entities")

    def depth(span: Span) -> int:
        return 1 + max((depth(o) for o in entities if o is not span and o.start <= span.start and span.end <= o.end
                        and o.end - o.start > span.end - span.start), default=0)

    deepest = max(depth(span) for span in entities)
    stated = {int(n) for n in re.findall(r"(?:deepest\s+nesting\s+is|article\s+needs)\s+(\d+)", page)}
    assert stated == {deepest}, f"corpora/sana-sample/README.md states nesting depth {stated}, the data has {deepest}"


@pytest.mark.slow
def test_cards_page_card_command_for_a_shared_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `akhbar card` example of docs/cards.md for the Wojood sample, as written (its --out
    redirected): it writes the same card as the build did."""
    if not (SHARED / "corpora" / "wojood-sample").is_dir():
        pytest.skip(f"{SHARED / 'corpora'} is absent (the shared corpora are not next to the repository)")
    (command,) = [c for c in _commands(_text(REPO / "docs" / "cards.md")) if "wojood-sample" in c]
    recipe = load_recipe(REPO / "corpora" / "recipes" / "wojood-sample.yaml", data_dir=SHARED / "corpora")
    report = build(BuildConfig.from_recipe(recipe, {"out_dir": tmp_path / "out", "progress": False}))
    (tmp_path / "corpora").symlink_to(REPO / "corpora", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    args = [str(tmp_path / "card") if word == "/tmp/card" else word for word in command.split()[1:]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "card" / "README.md").read_bytes() == (report.version_dir / "README.md").read_bytes()
