"""The `akhbar eval` and `akhbar compare` commands (eval/cli.py), on a local Typer app.

Gold is the bundled SANA corpus built with the real pipeline; CoNLL input comes from the real
ANERcorp test split (skipped when ../shared is absent) and from a small inline file (always).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from eval.cli import EXIT_INPUT_PROBLEMS, EXIT_OK, EXIT_USAGE, register
from eval.evaluate import EvalResult

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpora" / "sana-sample"
LLM_FIXTURE = REPO / "corpora" / "sana-sample" / "predictions" / "llm-sana.jsonl"
ANERCORP = REPO.parent / "shared" / "corpora" / "anercorp-camel" / "ANERCorp_CamelLab_test.txt"

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
register(app)
runner = CliRunner()

SMALL_CONLL = """\
قال O O
الرئيس O O
بشار B-PERS B-PERS
الأسد I-PERS I-PERS
في O O
موسكو B-LOC B-ORG
. O O

وبوتين B-PERS B-PERS
والأمم B-ORG O
المتحدة I-ORG I-ORG
"""


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


# ------------------------------------------------------------------------------------------- CoNLL


def test_conlleval_format_is_the_fast_conlleval_report(tmp_path: Path) -> None:
    from eval.conlleval import run_conlleval_file

    path = tmp_path / "small.conll"
    path.write_text(SMALL_CONLL, encoding="utf-8")
    result = invoke("eval", "--pred", path, "--format", "conlleval")
    assert result.exit_code == 0, result.output
    assert result.stdout == run_conlleval_file(path)
    assert result.stdout.startswith("processed 10 tokens with 4 phrases; found: 4 phrases; correct: 2.")


def test_iobes_files_are_chunked_correctly_unless_compat_is_asked_for(tmp_path: Path) -> None:
    # Gold has two one-token PER chunks, the prediction one two-token chunk. conlleval.pl merges the gold
    # S-PER S-PER into one chunk (eval/bio.py) and so counts the wrong prediction as correct.
    path = tmp_path / "iobes.conll"
    path.write_text("بشار S-PER B-PER\nبوتين S-PER E-PER\nفي O O\nموسكو S-LOC S-LOC\n", encoding="utf-8")
    right = invoke("eval", "--pred", path, "--format", "conlleval", "--scheme", "IOBES")
    compat = invoke("eval", "--pred", path, "--format", "conlleval", "--scheme", "IOBES", "--conlleval-compat")
    assert right.exit_code == compat.exit_code == 0
    assert "with 3 phrases; found: 2 phrases; correct: 1." in right.stdout
    assert "with 2 phrases; found: 2 phrases; correct: 2." in compat.stdout


def test_conll_without_gold_gets_the_full_evaluation(tmp_path: Path) -> None:
    path = tmp_path / "small.conll"
    path.write_text(SMALL_CONLL, encoding="utf-8")
    out = tmp_path / "run.json"
    result = invoke("eval", "--pred", path, "--format", "json", "--output", out, "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    run = EvalResult.load(out)
    assert run.unit_kind == "sentence" and run.units == ("0", "1")
    assert run.tokens == {"tokens": 10, "correct": 8}
    strict = run.score("entities", "strict")
    assert (strict.micro.tp, strict.micro.fp, strict.micro.fn) == (2, 2, 2)
    assert run.score("entities", "exact").micro.tp == 3  # موسكو: same boundaries, other label
    assert run.layers["entities"].error_counts["wrong_boundary"] == 1  # المتحدة alone for والأمم المتحدة
    assert run.provenance.predictions["source"] == str(path)
    table = invoke("eval", "--pred", path, "--mode", "strict", "--bootstrap", "0")
    assert table.exit_code == 0 and "== entities — strict" in table.stdout and "== entities — exact" not in table.stdout


def test_eval_json_is_the_json_report_on_stdout(tmp_path: Path) -> None:
    path = tmp_path / "small.conll"
    path.write_text(SMALL_CONLL, encoding="utf-8")
    as_json = invoke("eval", "--pred", path, "--json", "--bootstrap", "0")
    assert as_json.exit_code == 0, as_json.output
    run = EvalResult.from_json(as_json.stdout)
    strict = run.score("entities", "strict").micro
    assert (strict.tp, strict.fp, strict.fn) == (2, 2, 2) and run.tokens == {"tokens": 10, "correct": 8}
    same = invoke("eval", "--pred", path, "--format", "json", "--bootstrap", "0")
    assert json.loads(same.stdout)["layers"] == json.loads(as_json.stdout)["layers"]
    clash = invoke("eval", "--pred", path, "--json", "--format", "markdown")
    assert clash.exit_code == EXIT_USAGE and "--json asks for JSON but --format asks for markdown" in clash.stderr


def test_conll_fast_path_imports_nothing_heavy(tmp_path: Path) -> None:
    path = tmp_path / "small.conll"
    path.write_text(SMALL_CONLL * 50, encoding="utf-8")
    script = f"""
import sys, typer
from typer.testing import CliRunner
from eval.cli import register
app = typer.Typer()
register(app)
result = CliRunner().invoke(app, ["eval", "--pred", {str(path)!r}, "--format", "conlleval"])
assert result.exit_code == 0, result.output
heavy = sorted(m for m in ("datasets", "pyarrow", "sklearn", "pandas", "scipy") if m in sys.modules)
print(",".join(heavy) or "none")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


@pytest.mark.parametrize("argv", [
    ["eval", "--pred", "{path}", "--format", "table"],  # another format
    ["eval", "--pred", "{path}"],  # default format
    ["eval", "--pred", "{path}", "--format", "conlleval", "--gold", "out/x"],  # a gold dataset
    ["eval", "--pred", "{path}", "--format", "conlleval", "--ignore", "LOC"],  # an option of the full path
    ["eval", "--pred", "{path}", "--format", "conlleval", "--scheme", "BIO"],  # a bad scheme: typer reports it
    ["eval", "--format", "conlleval"],  # no --pred
    ["eval", "--pred", "{path}", "--pred", "{path}", "--format", "conlleval"],  # repeated option
    ["compare", "--pred", "{path}", "--format", "conlleval"],
])
def test_the_console_fast_path_leaves_every_other_command_line_to_typer(tmp_path: Path, argv: list[str]) -> None:
    from eval.cli import run_fast_conlleval

    path = tmp_path / "small.conll"
    path.write_text(SMALL_CONLL, encoding="utf-8")
    assert run_fast_conlleval([a.format(path=path) for a in argv]) is False


def test_the_console_fast_path_gives_the_conlleval_report_without_pydantic(tmp_path: Path) -> None:
    from eval.conlleval import run_conlleval_file

    path = tmp_path / "iobes.conll"
    path.write_text("بشار S-PER B-PER\nبوتين S-PER E-PER\nفي O O\nموسكو S-LOC S-LOC\n", encoding="utf-8")
    out = tmp_path / "report.txt"
    script = f"""
import sys
sys.argv = ["akhbar", "eval", "--pred={path}", "--format", "conlleval", "--scheme", "IOBES", "--output", {str(out)!r}]
from dataset_builder.cli import main
main()
print("pydantic" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # typer's per-parameter coercion (pydantic) was never reached
    assert out.read_text(encoding="utf-8") == run_conlleval_file(path, scheme="IOBES", compat=False)
    compat = subprocess.run([sys.executable, "-m", "dataset_builder.cli", "eval", "--pred", str(path), "--format",
                             "conlleval", "--scheme", "IOBES", "--conlleval-compat"],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert compat.returncode == 0, compat.stderr
    assert compat.stdout == run_conlleval_file(path, scheme="IOBES", compat=True)
    missing = subprocess.run([sys.executable, "-m", "dataset_builder.cli", "eval", "--pred", str(tmp_path / "no.conll"),
                              "--format", "conlleval"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert missing.returncode == EXIT_USAGE and "does not exist" in missing.stderr


def test_anercorp_conll_scores_agree_between_fast_and_full_paths(tmp_path: Path) -> None:
    if not ANERCORP.exists():
        pytest.skip(f"real ANERcorp test split not found at {ANERCORP}")
    lines = []
    for number, line in enumerate(ANERCORP.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            lines.append("")
            continue
        token, tag = line.rsplit(" ", 1)
        predicted = "O" if tag.endswith("MISC") or number % 11 == 0 else tag  # a system blind to MISC
        lines.append(f"{token} {tag} {predicted}")
    path = tmp_path / "anercorp.conll"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = invoke("eval", "--pred", path, "--format", "conlleval")
    assert fast.exit_code == 0, fast.output
    out = tmp_path / "run.json"
    full = invoke("eval", "--pred", path, "--format", "json", "--output", out, "--mode", "strict", "--bootstrap", "0")
    assert full.exit_code == 0, full.output
    strict = EvalResult.load(out).score("entities", "strict")
    overall = fast.stdout.splitlines()[1]
    assert f"precision: {100 * strict.micro.precision:6.2f}%" in overall
    assert f"FB1: {100 * strict.micro.f1:6.2f}" in overall
    assert strict.per_label["MISC"].recall == 0.0


# ----------------------------------------------------------------------------------- gold + compare


def build_sana_sample(out: Path) -> Path:
    """Build the bundled SANA corpus with the real pipeline into ``out``, every document in ``test``."""
    from dataset_builder.config import BuildConfig
    from dataset_builder.pipeline import build
    from dataset_builder.schema import load_schema
    from dataset_builder.split import HashSplit

    build(BuildConfig([CORPUS / "sana-sample.jsonl"], schema=load_schema(CORPUS / "schema.yaml"), name="sana-sample",
                      version="1.0.0", out_dir=out, split=HashSplit((("test", 1.0),)), progress=False))
    return out / "sana-sample" / "1.0.0"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled SANA corpus built with the real pipeline."""
    return build_sana_sample(tmp_path_factory.mktemp("datasets"))


def _write_predictions(path: Path, *, every: int) -> Path:
    """Standoff JSONL predictions: the gold entities, every `every`-th one left out, quotes kept."""
    with path.open("w", encoding="utf-8") as handle:
        for line in (CORPUS / "sana-sample.jsonl").read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            spans = [
                {"start": s["start"], "end": s["end"], "label": s["label"], "layer": s["layer"]}
                for index, s in enumerate(doc["spans"]) if s["layer"] != "entities" or index % every
            ]
            handle.write(json.dumps({"id": doc["id"], "spans": spans}, ensure_ascii=False) + "\n")
    return path


def test_eval_against_a_built_dataset_then_compare(built: Path, tmp_path: Path) -> None:
    weak, strong = _write_predictions(tmp_path / "weak.jsonl", every=2), _write_predictions(tmp_path / "strong.jsonl",
                                                                                             every=9)
    runs = []
    for name, pred in (("a", weak), ("b", strong)):
        out = tmp_path / f"run-{name}.json"
        result = invoke("eval", "--gold", built, "--pred", pred, "--format", "json", "--output", out,
                        "--mode", "strict", "--mode", "partial", "--bootstrap", "100")
        assert result.exit_code == 0, result.output
        runs.append(EvalResult.load(out))
    a, b = runs
    assert a.provenance.dataset["name"] == "sana-sample" and a.provenance.dataset["version"] == "1.0.0"
    assert a.provenance.dataset["fingerprint"] == b.provenance.dataset["fingerprint"]
    assert a.provenance.predictions["hash"] != b.provenance.predictions["hash"]
    assert a.score("entities").micro.recall < b.score("entities").micro.recall
    assert a.score("quotes").micro.f1 == 1.0

    # One document: the paired bootstrap (the default) has nothing to resample and refuses.
    refused = invoke("compare", tmp_path / "run-a.json", tmp_path / "run-b.json", "--n", "200")
    assert refused.exit_code == EXIT_USAGE and "at least 2 units" in refused.stderr, refused.output
    assert "Traceback" not in refused.output
    table = invoke("compare", tmp_path / "run-a.json", tmp_path / "run-b.json", "--n", "200", "--test",
                   "approximate-randomization")
    assert table.exit_code == 0, table.output
    rows = [line.split() for line in table.stdout.splitlines() if line.startswith(("entities", "quotes"))]
    assert [(r[0], r[1]) for r in rows] == [("entities", "strict"), ("entities", "partial"),
                                            ("quotes", "strict"), ("quotes", "partial")]
    entities_strict = rows[0]
    assert float(entities_strict[4]) == pytest.approx(
        100 * (b.score("entities").micro.f1 - a.score("entities").micro.f1), abs=0.01)
    quotes = rows[2]
    assert float(quotes[4]) == 0.0 and float(quotes[5]) == 1.0  # identical quotes: no difference, p = 1

    as_json = invoke("compare", tmp_path / "run-a.json", tmp_path / "run-b.json", "--test",
                     "approximate-randomization", "--n", "500", "--format", "json", "--mode", "strict",
                     "--layer", "entities")
    assert as_json.exit_code == 0, as_json.output
    (comparison,) = json.loads(as_json.stdout)["comparisons"]
    assert comparison["method"] == "approximate-randomization" and comparison["n_resamples"] == 500
    # one document: the only shuffles are "swap it" and "keep it", so the test cannot be significant
    assert comparison["p_value"] > 0.05
    alias = invoke("compare", tmp_path / "run-a.json", tmp_path / "run-b.json", "--test",
                   "approximate-randomization", "--n", "500", "--json", "--mode", "strict", "--layer", "entities")
    assert alias.exit_code == 0 and json.loads(alias.stdout) == json.loads(as_json.stdout)
    assert json.loads(alias.stdout)["comparisons"][0]["delta"] == pytest.approx(
        b.score("entities").micro.f1 - a.score("entities").micro.f1)

    html_out = tmp_path / "report.html"
    assert invoke("eval", "--gold", built, "--pred", strong, "--format", "html", "--output", html_out).exit_code == 0
    assert 'dir="rtl" lang="ar"' in html_out.read_text(encoding="utf-8")


def test_conlleval_report_of_document_gold_lists_every_problem_on_stderr(built: Path, tmp_path: Path) -> None:
    pred = _write_predictions(tmp_path / "p.jsonl", every=3)
    with pred.open("a", encoding="utf-8") as handle:  # a document the gold split does not hold
        handle.write(json.dumps({"id": "elsewhere", "spans": [{"start": 0, "end": 3, "label": "PERS"}]}) + "\n")
    out = tmp_path / "report.txt"
    result = invoke("eval", "--gold", built, "--pred", pred, "--format", "conlleval", "--output", out)
    assert result.exit_code == EXIT_INPUT_PROBLEMS, result.output  # the report is written, 'elsewhere' not scored
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# layer entities\nprocessed 1 documents") and "elsewhere" not in report
    table = invoke("eval", "--gold", built, "--pred", pred, "--bootstrap", "0")
    problems = table.stdout.split("problem(s) with the input:\n", 1)[1].splitlines()
    assert len(problems) >= 2 and any("'elsewhere'" in line for line in problems)
    for line in problems:  # the same list as the table report's, none left out
        assert line in result.stderr.splitlines(), line


def test_compare_refuses_runs_on_different_data(built: Path, tmp_path: Path) -> None:
    pred = _write_predictions(tmp_path / "p.jsonl", every=3)
    out = tmp_path / "run.json"
    assert invoke("eval", "--gold", built, "--pred", pred, "--format", "json", "--output", out, "--bootstrap",
                  "0").exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    data["provenance"]["dataset"]["fingerprint"] = "sha256:another-build"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    refused = invoke("compare", out, other)
    assert refused.exit_code == EXIT_USAGE
    assert "different datasets" in refused.stderr and "sha256:another-build" in refused.stderr

    mapped = tmp_path / "mapped.json"
    assert invoke("eval", "--gold", built, "--pred", pred, "--format", "json", "--output", mapped, "--bootstrap", "0",
                  "--ignore", "NORP").exit_code == 0
    refused = invoke("compare", out, mapped)
    assert refused.exit_code == EXIT_USAGE and "ignore_labels" in refused.stderr


# ----------------------------------------------------------------------- unplaced LLM mentions, exit codes


def _scorable_unplaced(built: Path) -> list:
    """The fixture's offset-free mentions that cannot be placed and have a label: what --unaligned spurious scores."""
    from eval.errors import UnplacedPrediction
    from eval.gold import load_gold
    from eval.predictions import load_predictions

    predictions = load_predictions(LLM_FIXTURE, documents=load_gold(built, split="test").by_id())
    unplaced = [u for u in map(UnplacedPrediction.from_unaligned, predictions.unaligned) if u is not None]
    assert unplaced, "the LLM fixture should hold a mention the article does not contain"
    return unplaced


def _llm_run(built: Path, tmp_path: Path, pred: Path, *extra: str) -> tuple[EvalResult, str]:
    out = tmp_path / f"{pred.stem}{'-'.join(extra)}.json"
    result = invoke("eval", "--gold", built, "--pred", pred, "--format", "json", "--output", out, "--bootstrap", "0",
                    *extra)
    assert result.exit_code == EXIT_OK, result.output  # unplaced mentions are warnings: scored, not lost
    text = out.read_text(encoding="utf-8")
    return EvalResult.from_json(text), text


def test_a_hallucinated_llm_mention_is_one_false_positive_in_every_mode(built: Path, tmp_path: Path) -> None:
    unplaced = _scorable_unplaced(built)
    assert [(u.text, u.label) for u in unplaced] == [("دونالد ترامب", "PERS")]
    scored, scored_json = _llm_run(built, tmp_path, LLM_FIXTURE)
    ignored, _ = _llm_run(built, tmp_path, LLM_FIXTURE, "--unaligned", "ignore")
    assert scored.provenance.settings["unaligned"] == "spurious"
    assert ignored.provenance.settings["unaligned"] == "ignore"
    n = len(unplaced)
    for mode in scored.modes:
        with_fp, without = scored.score("entities", mode), ignored.score("entities", mode)
        assert (with_fp.micro.tp, with_fp.micro.fn) == (without.micro.tp, without.micro.fn)
        assert with_fp.micro.fp == without.micro.fp + n and with_fp.n_pred == without.n_pred + n
        assert with_fp.micro.precision == pytest.approx(with_fp.micro.tp / (with_fp.micro.tp + with_fp.micro.fp))
        assert with_fp.micro.precision < without.micro.precision
        assert with_fp.per_label["PERS"].fp == without.per_label["PERS"].fp + n
        # per-document counts (what intervals and `compare` resample) carry it too
        assert scored.layers["entities"].counts[mode].micro_totals()[1] == with_fp.micro.fp
    strict = ignored.score("entities", "strict")
    assert strict.micro.fp == 0 and strict.micro.precision == 1.0  # the old, flattering number

    layer = scored.layers["entities"]
    assert layer.error_counts["spurious"] == ignored.layers["entities"].error_counts["spurious"] + n
    (record,) = [r for r in layer.errors if not r.placed]
    assert (record.error.value, record.pred_label, record.pred_text, record.reason) == (
        "spurious", "PERS", "دونالد ترامب", "not placed in the text")
    assert record.doc_id == unplaced[0].doc_id and record.start is None and record.pred_start is None
    matrix, labels = layer.confusion
    old_matrix, old_labels = ignored.layers["entities"].confusion
    assert labels == old_labels
    assert matrix[-1][labels.index("PERS")] == old_matrix[-1][labels.index("PERS")] + n
    # the alignment holds it as a pair with no gold side and no offsets, never among the placed pairs
    (hallucinated,) = [pair for pair in layer.pairs if pair.pred is not None and pair.pred.text == "دونالد ترامب"]
    assert hallucinated.gold is None and hallucinated.outcome.value == "spurious" and not hallucinated.placed
    assert hallucinated not in layer.placed_pairs and layer.unplaced == [hallucinated.pred]
    assert not any(pair.pred is not None and pair.pred.text == "دونالد ترامب" for pair in layer.placed_pairs)
    assert [problem.code for problem in scored.problems if problem.code.startswith("unaligned-")] == \
        ["unaligned-not-found"]  # still reported

    # the JSON report round-trips exactly, unplaced record included
    again = EvalResult.from_json(scored_json)
    assert again.to_json() == scored_json and again.layers["entities"].unplaced == layer.unplaced


def test_compare_sees_a_hallucinated_mention(built: Path, tmp_path: Path) -> None:
    honest = tmp_path / "honest.jsonl"
    entry = json.loads(LLM_FIXTURE.read_text(encoding="utf-8"))
    entry["mentions"] = [m for m in entry["mentions"] if m["text"] != "دونالد ترامب"]
    honest.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    runs = {}
    for name, pred, extra in (("a", honest, ()), ("b", LLM_FIXTURE, ()), ("b-ignore", LLM_FIXTURE, ("--unaligned",
                                                                                                     "ignore"))):
        out = tmp_path / f"run-{name}.json"
        assert invoke("eval", "--gold", built, "--pred", pred, "--format", "json", "--output", out, "--bootstrap", "0",
                      *extra).exit_code == EXIT_OK
        runs[name] = EvalResult.load(out)
    result = invoke("compare", tmp_path / "run-a.json", tmp_path / "run-b.json", "--test",
                    "approximate-randomization", "--n", "100", "--metric", "precision", "--mode", "strict",
                    "--layer", "entities", "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    (comparison,) = json.loads(result.stdout)["comparisons"]
    a, b = (runs[k].score("entities", "strict").micro.precision for k in ("a", "b"))
    assert b < a and comparison["delta"] == pytest.approx(b - a)
    refused = invoke("compare", tmp_path / "run-a.json", tmp_path / "run-b-ignore.json", "--test",
                     "approximate-randomization")
    assert refused.exit_code == EXIT_USAGE and "--unaligned" in refused.stderr, refused.output


def test_html_report_lists_an_unplaced_mention_but_never_highlights_it(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert invoke("eval", "--gold", built, "--pred", LLM_FIXTURE, "--format", "html", "--output", out,
                  "--bootstrap", "0").exit_code == EXIT_OK
    page = out.read_text(encoding="utf-8")
    errors, documents = page.split("<h2>Documents</h2>", 1)
    spurious = errors.split("data-class='spurious'", 1)[1].split("</table>", 1)[0]
    assert "دونالد ترامب" in spurious and "not placed in the text" in spurious
    assert "دونالد ترامب" not in documents.split("<h2>Problems with the input</h2>", 1)[0]


def test_eval_exit_codes(built: Path, tmp_path: Path) -> None:
    clean = invoke("eval", "--gold", built, "--pred", LLM_FIXTURE, "--bootstrap", "0")
    assert clean.exit_code == EXIT_OK, clean.output
    assert "warning[unaligned-not-found]" in clean.stdout

    broken = tmp_path / "broken.jsonl"
    entry = json.loads(LLM_FIXTURE.read_text(encoding="utf-8"))
    entry["mentions"].append({"text": "موسكو"})  # no label: malformed, cannot be scored
    broken.write_text(json.dumps(entry, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    for fmt in ("table", "json"):
        out = tmp_path / f"broken.{fmt}"
        result = invoke("eval", "--gold", built, "--pred", broken, "--bootstrap", "0", "--format", fmt, "--output", out)
        assert result.exit_code == EXIT_INPUT_PROBLEMS, result.output
        assert out.exists() and f"exit {EXIT_INPUT_PROBLEMS}: 2 error-level problem(s)" in result.stderr
    report = EvalResult.load(tmp_path / "broken.json")
    codes = {p.code for p in report.problems if p.is_error}
    assert codes == {"unaligned-malformed", "predictions-json"}, codes
    # the malformed mention is a problem only; the hallucinated one is still scored
    assert len(report.layers["entities"].unplaced) == 1

    usage = invoke("eval", "--gold", built, "--pred", LLM_FIXTURE, "--unaligned", "drop")
    assert usage.exit_code == EXIT_USAGE and "--unaligned 'drop' is not one of: spurious, ignore" in usage.stderr
    help_text = invoke("eval", "--help").stdout
    assert "--unaligned" in help_text and "Exit codes:" in help_text


# ------------------------------------------------------------------------------------ usage errors


def test_usage_errors_exit_2_with_a_fix(tmp_path: Path, built: Path) -> None:
    conll = tmp_path / "small.conll"
    conll.write_text(SMALL_CONLL, encoding="utf-8")
    cases = [
        (["eval", "--pred", conll, "--format", "pdf"], "--format 'pdf' is not one of"),
        (["eval", "--pred", conll, "--mode", "lenient"], "--mode 'lenient' is not one of"),
        (["eval", "--pred", tmp_path / "missing.conll"], "does not exist"),
        (["eval", "--pred", _write_predictions(tmp_path / "p.jsonl", every=3)], "no --gold given"),
        (["eval", "--gold", built, "--pred", conll], "token positions"),
        (["eval", "--gold", tmp_path, "--pred", _write_predictions(tmp_path / "q.jsonl", every=3)], "error:"),
        (["compare", tmp_path / "nope.json", tmp_path / "nope.json"], "the run file does not exist"),
        (["compare", tmp_path, conll], "the run file is a folder, not a file"),
        (["compare", conll, conll], "not valid JSON"),
    ]
    for args, message in cases:
        result = invoke(*args)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


def test_bad_conll_lines_are_named_by_file_and_line_on_every_path(tmp_path: Path) -> None:
    # Line 9 (وبوتين) gets a predicted tag no IOB2 reader knows; line 6 (موسكو) a gold S- tag that
    # only the strict decoder refuses under IOB2.
    lines = SMALL_CONLL.splitlines()
    lines[8] = "وبوتين B-PERS Q-PERS"
    bad_tag = tmp_path / "bad-tag.conll"
    bad_tag.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in ([], ["--format", "markdown"], ["--format", "conlleval", "--scheme", "IOBES"]):
        result = invoke("eval", "--pred", bad_tag, "--bootstrap", "0", *extra)
        assert result.exit_code == EXIT_USAGE, (extra, result.output)
        assert f"{bad_tag}:9: the predicted tag 'Q-PERS'" in result.stderr, (extra, result.stderr)
        assert "Fix:" in result.stderr and "Traceback" not in result.output
    lines = SMALL_CONLL.splitlines()
    lines[5] = "موسكو S-LOC B-ORG"
    strict_only = tmp_path / "s-tag.conll"
    strict_only.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert invoke("eval", "--pred", strict_only, "--bootstrap", "0").exit_code == 0
    refused = invoke("eval", "--pred", strict_only, "--bootstrap", "0", "--decoder", "strict")
    assert refused.exit_code == EXIT_USAGE
    assert f"{strict_only}:6: the gold tag 'S-LOC' cannot be read as a tag of scheme IOB2 by the strict" \
        in refused.stderr

    short = tmp_path / "short.conll"
    short.write_text(SMALL_CONLL.replace("في O O", "في O"), encoding="utf-8")
    result = invoke("eval", "--pred", short, "--format", "conlleval")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith(f"error: {short}:5: this line has 2 columns")  # the path once, with the line


def test_help_teaches_by_example() -> None:
    for command in ("eval", "compare"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.stdout and f"akhbar {command}" in result.stdout
