"""eval.conlleval prints what conlleval.pl prints, reads real-world files, and says where input is bad."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval.bio import mentions_from_tags
from eval.conlleval import (
    ConllevalInputError,
    conlleval_counts,
    conlleval_main,
    conlleval_report,
    format_conlleval,
    read_conlleval,
    run_conlleval_file,
)
from eval.score import score_tags

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES_DIR = FIXTURES / "conlleval"
sys.path.insert(0, str(CASES_DIR))
from conlleval_cases import anercorp_case_input  # noqa: E402

CASES = json.loads((CASES_DIR / "cases.json").read_text(encoding="utf-8"))
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ANERCORP = SHARED / "corpora" / "anercorp-camel" / "ANERCorp_CamelLab_test.txt"


def _case_input(case: dict) -> str:
    return case["input"] if case["input"] is not None else anercorp_case_input()


def _report(text: str | bytes, options: list[str], **kwargs: object) -> str:
    if "-d" in options:
        kwargs.setdefault("delimiter", options[options.index("-d") + 1])
    data = read_conlleval(text.encode("utf-8") if isinstance(text, str) else text, raw="-r" in options,
                          o_tag=options[options.index("-o") + 1] if "-o" in options else "O", **kwargs)
    return format_conlleval(conlleval_counts(data), latex="-l" in options)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_report_is_byte_identical_to_conlleval_pl(case: dict) -> None:
    assert _report(_case_input(case), case["options"]) == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("through_typer", [False, True], ids=["fast-path", "typer"])
def test_akhbar_eval_takes_conlleval_pl_options_byte_for_byte(case: dict, through_typer: bool, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    path = tmp_path / "run.conll"
    path.write_bytes(_case_input(case).encode("utf-8"))
    argv = ["eval", "--pred", str(path), "--format", "conlleval", *case["options"]]
    if not through_typer:
        assert conlleval_main(argv) == 0
        assert capsys.readouterr().out == case["expected"]
        return
    # --bootstrap is no option of the fast path: the full command serves it, through the same API.
    assert conlleval_main([*argv, "--bootstrap", "0"]) is None
    result = CliRunner().invoke(app, [*argv, "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert result.stdout == case["expected"]


def test_dash_o_is_the_outside_tag_not_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES if c["name"] == "raw-with-o-tag")
    path = tmp_path / "raw.conll"
    path.write_text(case["input"], encoding="utf-8")
    out = tmp_path / "report.txt"
    monkeypatch.chdir(tmp_path)  # where `-o NONE` used to write a file named NONE
    argv = ["eval", "--pred", str(path), "--format", "conlleval", "-r", "-o", "NONE", "--output", str(out)]
    assert conlleval_main(argv) == 0
    assert out.read_text(encoding="utf-8") == case["expected"] and not (tmp_path / "NONE").exists()
    assert f"wrote {out}" in capsys.readouterr().err


def test_fast_path_errors_name_options_the_command_has(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from dataset_builder.cli import app

    path = tmp_path / "spaced.tsv"
    path.write_text("محمد بن سلمان\tB-PERS\tB-PERS\nفي\tO\tO\n", encoding="utf-8")
    argv = ["eval", "--pred", str(path), "--format", "conlleval"]
    assert conlleval_main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {path}:2: this line has 3 columns but the first token line has 5." in err
    assert "pass -d '\\t'" in err and "delimiter='\\t' in Python" in err
    help_text = CliRunner().invoke(app, ["eval", "--help"], terminal_width=200).stdout
    for option in ("-d", "-l", "-r", "-o", "--output", "--conlleval-compat", "--scheme"):
        assert f" {option} " in help_text or f" {option}," in help_text, option
    assert conlleval_main([*argv, "-d", "\\t"]) == 0
    assert capsys.readouterr().out.startswith("processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1.")
    path.write_text("a B-PER X-PER\n", encoding="utf-8")
    assert conlleval_main([*argv, "--scheme", "IOBES"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: the predicted tag 'X-PER' cannot be read as a tag of scheme IOBES" in err
    assert "--conlleval-compat" in err and "conlleval_compat=True" not in err


@pytest.mark.parametrize("case", [c for c in CASES if c["input"] and "-d" not in c["options"]],
                         ids=lambda c: c["name"])
def test_bom_crlf_and_tabs_read_like_the_clean_file(case: dict) -> None:
    text = _case_input(case)
    messy = b"\xef\xbb\xbf" + text.replace(" ", "\t").replace("\n", "\r\n").encode("utf-8")
    assert _report(messy, case["options"]) == case["expected"]


def test_tab_delimiter_keeps_tokens_with_spaces() -> None:
    case = next(c for c in CASES if c["name"] == "iob2-basic")
    lines = [line.replace(" ", "\t", 1).replace(" ", "\t") for line in case["input"].splitlines()]
    lines[0] = lines[0].replace("\t", " بن سلمان\t", 1)  # one token with spaces in it
    spaced = "\n".join(lines) + "\n"
    assert _report(spaced, [], delimiter="\t") == case["expected"]
    with pytest.raises(ConllevalInputError, match=r"<input>:2: this line has 3 columns but the first token line has 5"):
        _report(spaced, [])  # without the delimiter the words of that token are columns


def test_newsfane_layout_bom_crlf_and_tab_only_separators(tmp_path: Path) -> None:
    raw = (FIXTURES / "corpora" / "newsfane-gold" / "NewsFANE_slice.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\t\r\n" in raw
    # Predicted column = gold column: the file keeps NewsFANE's BOM, CRLF and TAB-only separators.
    lines = raw.split(b"\r\n")
    doubled = [line + b"\t" + line.rsplit(b"\t", 1)[1] if line.strip() else line for line in lines]
    path = tmp_path / "newsfane.txt"
    path.write_bytes(b"\r\n".join(doubled))
    data = read_conlleval(path)
    sentences, tags = [], []
    for line in raw.decode("utf-8-sig").split("\r\n"):
        if line.strip():
            tags.append(line.rsplit("\t", 1)[1])
        elif tags:
            sentences.append(tags)
            tags = []
    if tags:
        sentences.append(tags)
    counts = conlleval_counts(data)
    n_mentions = len(mentions_from_tags(sentences))
    assert counts.tokens == sum(map(len, sentences))
    assert counts.n_gold == counts.n_pred == counts.n_correct == n_mentions
    assert "Population-Center" in counts.found_gold  # hyphenated fine types survive the split at the first '-'


def test_errors_name_file_line_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("a B-PER B-PER\nb I-PER\n", encoding="utf-8")
    with pytest.raises(ConllevalInputError, match=r"bad\.txt:2: this line has 2 columns but .* Fix: "):
        read_conlleval(path)
    path.write_text("a B-PER B-PER\n\nlonely\n", encoding="utf-8")
    with pytest.raises(ConllevalInputError, match=r"bad\.txt:3: this line has one column.* Fix: "):
        read_conlleval(path)
    with pytest.raises(ValueError, match="other than a line break"):
        read_conlleval(b"a O O\n", delimiter="\n")


@pytest.mark.parametrize("delimiter", ["\t", "\\t", "|", " ||| ", "؛"])
def test_any_delimiter_reads_tokens_with_spaces(delimiter: str) -> None:
    separator = "\t" if delimiter == "\\t" else delimiter
    rows = [("محمد بن سلمان", "B-PERS", "B-PERS"), ("في", "O", "O"), ("الرياض", "B-LOC", "B-ORG")]
    text = "".join(separator.join(row) + "\n" for row in rows)
    counts = conlleval_counts(read_conlleval(text.encode(), delimiter=delimiter))
    assert (counts.tokens, counts.n_gold, counts.n_pred, counts.n_correct) == (3, 2, 2, 1)


def test_module_entry_point_prints_the_report(tmp_path: Path) -> None:
    case = next(c for c in CASES if c["name"] == "iob2-basic")
    path = tmp_path / "run.txt"
    path.write_text(case["input"], encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "eval.conlleval", str(path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], check=False)
    assert done.returncode == 0 and done.stdout == case["expected"] == run_conlleval_file(path)
    path.write_text("a O\nb\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "eval.conlleval", str(path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], check=False)
    assert done.returncode == 1 and f"{path}:2" in done.stderr and done.stdout == ""


def test_entry_point_imports_only_numpy() -> None:
    code = "import sys, eval.conlleval; print(sorted(m for m in ('datasets', 'pyarrow', 'sklearn', 'yaml', " \
           "'pandas') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], check=True)
    assert done.stdout.strip() == "[]"


def test_report_from_sequences_matches_the_file_path() -> None:
    case = next(c for c in CASES if c["name"] == "anercorp-slice-corrupted")
    y_true, y_pred, gold, pred = [], [], [], []
    for line in anercorp_case_input().split("\n"):
        if line:
            _, g, p = line.split(" ")
            gold.append(g)
            pred.append(p)
        elif gold:
            y_true.append(gold)
            y_pred.append(pred)
            gold, pred = [], []
    assert conlleval_report(y_true, y_pred) == case["expected"]


def test_compat_false_decodes_iobes_correctly_and_skips_docstart() -> None:
    merge = next(c for c in CASES if c["name"] == "iobes-merge")
    assert "with 3 phrases" in merge["expected"]  # conlleval.pl merges the 6 IOBES chunks into 3
    data = read_conlleval(merge["input"].encode())
    assert conlleval_counts(data, compat=False, scheme="IOBES").n_gold == 6
    docs = next(c for c in CASES if c["name"] == "docstart-and-boundary")
    data = read_conlleval(docs["input"].encode())
    assert conlleval_counts(data).tokens == 5  # conlleval.pl counts the two -DOCSTART- lines as tokens
    assert conlleval_counts(data, compat=False).tokens == 3
    with pytest.raises(ValueError, match="compat=False"):
        conlleval_counts(data, decoder="strict")


@pytest.mark.slow
def test_full_anercorp_counts_agree_with_the_mention_scorer(tmp_path: Path) -> None:
    if not ANERCORP.exists():
        pytest.skip(f"real ANERcorp test split not found at {ANERCORP}")
    text = ANERCORP.read_text(encoding="utf-8")
    lines = [line + " " + line.rsplit(" ", 1)[1] if line.strip() else "" for line in text.split("\n")]
    # Shift every fifth predicted mention by dropping its first token, deterministically.
    for i in range(len(lines) - 1):
        if lines[i].endswith(" B-ORG") and lines[i + 1].endswith(" I-ORG"):
            lines[i] = lines[i].rsplit(" ", 1)[0] + " O"
    path = tmp_path / "anercorp.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    counts = conlleval_counts(read_conlleval(path))
    y_true = [[ln.split(" ")[-2] for ln in block.split("\n") if ln] for block in "\n".join(lines).split("\n\n")]
    y_pred = [[ln.split(" ")[-1] for ln in block.split("\n") if ln] for block in "\n".join(lines).split("\n\n")]
    report = score_tags(y_true, y_pred)
    assert counts.tokens == 25008 and counts.n_gold == report.n_gold == 2285  # figures in SOURCE.md
    assert (counts.n_pred, counts.n_correct) == (report.n_pred, report.micro.tp)
    for label, row in report.per_label.items():
        assert (counts.found_gold.get(label, 0), counts.correct.get(label, 0)) == (row.support, row.tp)
