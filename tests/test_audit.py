"""The leakage audit: canonical view, MinHash/LSH against brute force, planted leaks, build refusal,
and what it finds on real corpora (NewsFANE Gold re-annotating ANERcorp; Wojood's boilerplate)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_builder.audit import (
    AuditPolicy,
    AuditUnit,
    LeakageError,
    audit,
    audit_units,
    canonical_tokens,
    find_duplicates,
    lsh_parameters,
    shingles,
)
from dataset_builder.cli import EXIT_PROBLEMS, EXIT_REFUSED, app
from dataset_builder.config import BuildConfig
from dataset_builder.model import Document, Metadata
from dataset_builder.pipeline import build, build_documents
from dataset_builder.recipe import load_recipe
from dataset_builder.schema import schema_from_dict
from dataset_builder.split import BlockSplit

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "corpora" / "recipes"
SHARED = ROOT.parent / "shared" / "corpora"
OVERLAP = ROOT / "tests" / "fixtures" / "corpora" / "overlap"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared corpora are not at {SHARED}")

SCHEMA = schema_from_dict({"name": "t", "layers": {"entities": {"tag_column": "ner_tags", "labels": {"LOC": "x"}}}})


# ---------------------------------------------------------------------------------------------
# The canonical view
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("anercorp", "newsfane"), [
    # conjunction and pronoun enclitics split off, hamza-alef written bare
    ("وأكد جلالته خلال اللقاء الذي جمعه وأعضاء اللجنة", "و اكد جلالة ه خلال اللقاء الذي جمع ه و اعضاء اللجنة"),
    # ة + suffix is ت (عودته), ى + suffix is ا (اسماه); inflection letters split off (كنت, لكنني)
    ("عودته اسماه كنت لكنني", "عودة ه اسمى ه كن ت لكن ن ي"),
    # ل + ال is لل on the surface and لال… in NewsFANE; كما split as ك ما
    ("للاتحاد كما قال", "لالاتحاد ، ك ما قال"),
    # digits glued to a word in ANERcorp
    ("37الف دولار", "37 الف دولار"),
    # diacritics, tatweel, alef maksura / yeh, hamza on waw and yeh
    ("مسؤولُ الأمـــم إلى", "مسوول الامم الي"),
])
def test_canonical_tokens_make_the_two_corpora_comparable(anercorp: str, newsfane: str) -> None:
    assert canonical_tokens(anercorp) == canonical_tokens(newsfane)


def test_canonical_tokens_strip_proclitics_but_keep_short_words() -> None:
    assert canonical_tokens("والولايات بالولايات الولايات") == ["ولايات"] * 3
    # nothing is stripped when fewer than two letters would remain; ولد loses a و that is a root
    # letter -- harmless, because the same word is cut the same way in every corpus
    assert canonical_tokens("بن لا ولد") == ["بن", "لا", "لد"]
    # independent short words are not glued to their neighbours
    assert canonical_tokens("هو في كم") == ["هو", "في", "كم"]
    assert shingles(["a", "b"], 3) == {"a b"} and shingles(["a", "b", "c", "d"], 3) == {"a b c", "b c d"}


# ---------------------------------------------------------------------------------------------
# MinHash + LSH
# ---------------------------------------------------------------------------------------------


def test_lsh_finds_what_brute_force_finds() -> None:
    rng = random.Random(7)
    vocabulary = [f"كلمة{i}" for i in range(400)]
    base = [" ".join(rng.choices(vocabulary, k=rng.randint(8, 30))) for _ in range(300)]
    texts = list(base)
    for text in base[:120]:  # near copies: one to three words replaced
        words = text.split()
        for _ in range(rng.randint(1, 3)):
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        texts.append(" ".join(words))
    units = [AuditUnit("d", "train" if i % 2 else "test", f"doc-{i}", t, 0) for i, t in enumerate(texts)]
    index = find_duplicates(units, threshold=0.6)
    found = {(p.a, p.b) for p in index.pairs()}
    sets = [shingles(canonical_tokens(t), 3) for t in texts]
    truth = {(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))
             if len(sets[i] & sets[j]) >= 0.6 * len(sets[i] | sets[j])}
    assert len(truth) > 50
    assert found <= truth  # every reported pair is verified exactly
    assert len(found) >= 0.97 * len(truth)  # LSH recall at its tuned parameters
    assert index.candidates < len(texts) * (len(texts) - 1) / 2 / 50  # no all-pairs step


def test_lsh_parameters_lean_towards_recall() -> None:
    bands, rows = lsh_parameters(0.8, 128)
    assert bands * rows <= 128
    # the probability that a pair at the threshold becomes a candidate
    assert 1 - (1 - 0.8**rows) ** bands > 0.9
    # and one far below it rarely does
    assert 1 - (1 - 0.3**rows) ** bands < 0.01


# ---------------------------------------------------------------------------------------------
# Planted leaks, in a real build
# ---------------------------------------------------------------------------------------------


def _documents(texts: list[list[str]]) -> list[Document]:
    return [Document(id=f"news-{i + 1:05d}", text="\n".join(sentences),
                     metadata=Metadata(extra={"tokenization": "given"})) for i, sentences in enumerate(texts)]


def _corpus() -> list[Document]:
    rng = random.Random(3)
    words = ["قال", "أعلن", "الرئيس", "الوزير", "الحكومة", "المدينة", "اليوم", "أمس", "مؤتمر", "صحفي",
             "اتفاق", "تعاون", "زيارة", "رسمية"]
    blocks = [[" ".join(rng.choices(words, k=12)) + f" {b}{s} ." for s in range(5)] for b in range(10)]
    return _documents(blocks)


RULE = BlockSplit((("train", 0.9), ("test", 0.1)), run=1, seed="")


def test_a_planted_cross_split_duplicate_is_caught_and_refused(tmp_path: Path) -> None:
    test_block = next(n for n in range(1, 11) if RULE.assign(f"news-{n:05d}") == "test")
    docs = _corpus()
    planted = docs[test_block - 1].text.split("\n")[0].replace("أعلن", "اعلن").replace(" الوزير", " و الوزير")
    train_block = 1 if test_block != 1 else 2
    sentences = docs[train_block - 1].text.split("\n")
    sentences[2] = planted
    docs[train_block - 1] = Document(id=docs[train_block - 1].id, text="\n".join(sentences),
                                     metadata=docs[train_block - 1].metadata)
    config = BuildConfig((), schema=SCHEMA, name="leaky", version="1.0.0", out_dir=tmp_path, split=RULE)
    with pytest.raises(LeakageError) as info:
        build_documents(docs, config.replace(audit=AuditPolicy(max_leakage=0.0)))
    assert info.value.problem.code == "leakage" and "test" in info.value.problem.message
    assert not (tmp_path / "leaky" / "1.0.0").exists()  # refused: nothing published
    report = info.value.report
    assert report is not None
    assert report.leakage()["leaky"]["test"] == pytest.approx(1 / 5)
    (pair,) = [p for p in report.pairs if p[0].split != p[1].split]
    assert {pair[0].doc_id, pair[1].doc_id} == {f"news-{test_block:05d}", f"news-{train_block:05d}"}
    assert pair[3] is True  # identical on the canonical view although the surface text differs

    # warn: published, with the audit next to the data
    built = build_documents(docs, config.replace(audit=AuditPolicy(max_leakage=0.0, action="warn")))
    saved = json.loads((built.version_dir / "audit.json").read_text(encoding="utf-8"))
    assert saved["leakage"]["leaky"]["test"] == pytest.approx(0.2)
    assert built.audit is not None and built.audit.leakage()["leaky"]["test"] == pytest.approx(0.2)
    # without an audit policy a build does not audit
    clean = build_documents(docs, config.replace(name="plain"))
    assert not (clean.version_dir / "audit.json").exists()

    runner = CliRunner()
    result = runner.invoke(app, ["audit", str(built.version_dir), "--max-leakage", "0.05"])
    assert result.exit_code == EXIT_PROBLEMS, result.output
    assert "leakage" in result.output
    as_json = json.loads(runner.invoke(app, ["audit", str(built.version_dir), "--json"]).stdout)  # progress: stderr
    assert as_json["pairs_found"] == 1 and as_json["matches"]


def test_a_clean_block_split_shows_no_leakage(tmp_path: Path) -> None:
    report = build_documents(_corpus(), BuildConfig((), schema=SCHEMA, name="clean", version="1.0.0",
                                                    out_dir=tmp_path, split=RULE))
    result = audit([report.version_dir])
    assert result.max_leakage() == 0.0 and result.n_pairs == 0
    assert sum(result.units.values()) == 50


def test_cli_build_refuses_with_max_leakage_and_exit_code_3(tmp_path: Path) -> None:
    data = tmp_path / "data" / "wojood-sample"
    data.mkdir(parents=True)
    slices = ROOT / "tests" / "fixtures" / "corpora" / "wojood-sample"
    shutil.copyfile(slices / "train_slice.txt", data / "train.txt")
    shutil.copyfile(slices / "val_slice.txt", data / "val.txt")
    shutil.copyfile(slices / "val_slice.txt", data / "test.txt")  # test = validation: total leakage
    args = ["build", "--recipe", str(RECIPES / "wojood-sample.yaml"), "--data-dir", str(tmp_path / "data"),
            "--out", str(tmp_path / "out"), "--no-progress"]
    refused = CliRunner().invoke(app, [*args, "--max-leakage", "0.5"])
    assert refused.exit_code == EXIT_REFUSED, refused.output
    assert "leakage" in refused.output and not (tmp_path / "out" / "wojood-sample" / "1.0.0").exists()
    # the recipe's own policy warns (max 5%) and publishes, with the figures in audit.json
    warned = CliRunner().invoke(app, args)
    assert warned.exit_code == 0, warned.output
    saved = json.loads((tmp_path / "out" / "wojood-sample" / "1.0.0" / "audit.json").read_text(encoding="utf-8"))
    assert saved["leakage"]["wojood-sample"]["test"] == 1.0


# ---------------------------------------------------------------------------------------------
# ANERcorp / NewsFANE overlap on the committed slices (always run)
# ---------------------------------------------------------------------------------------------


def _build_recipe(recipe: str, data_dir: Path, out: Path) -> Path:
    loaded = load_recipe(RECIPES / f"{recipe}.yaml", data_dir=data_dir)
    return build(BuildConfig.from_recipe(loaded, {"out_dir": out, "progress": False, "audit": None})).version_dir


def test_the_overlapping_article_is_found_sentence_by_sentence(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "anercorp-camel").mkdir(parents=True)
    (data / "newsfane-gold").mkdir()
    shutil.copyfile(OVERLAP / "ANERCorp_overlap.txt", data / "anercorp-camel" / "ANERCorp_CamelLab_test.txt")
    shutil.copyfile(OVERLAP / "NewsFANE_overlap.txt", data / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt")
    anercorp = _build_recipe("anercorp-camel", data, tmp_path / "out")
    newsfane = _build_recipe("newsfane-gold", data, tmp_path / "out")
    report = audit([anercorp, newsfane], threshold=0.6)
    whole = report.match("anercorp-camel/test", "newsfane-gold/*")
    assert whole is not None and whole.units == 7 and whole.matched == 7
    # each ANERcorp sentence is matched with the NewsFANE sentence at the same position
    cross = [(a, b) for a, b, _, _ in report.pairs if a.dataset != b.dataset]
    for a, b in cross:
        ours, theirs = (a, b) if a.dataset == "anercorp-camel" else (b, a)
        assert ours.sentence == theirs.sentence
    # the differences are real (sentence-initial words), so most pairs are near, not exact
    assert min(whole.best_similarities) >= 0.6 and sum(s < 1.0 for s in whole.best_similarities) >= 4
    # the surface strings differ: without the canonical view, hardly anything would match
    raw = [(a.text, b.text) for a, b in cross]
    assert all(x != y for x, y in raw)


# ---------------------------------------------------------------------------------------------
# The shared corpora
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not SHARED.is_dir():
        pytest.skip(f"the shared corpora are not at {SHARED}")
    out = tmp_path_factory.mktemp("shared-builds")
    return {name: _build_recipe(name, SHARED, out) for name in ("anercorp-camel", "newsfane-gold", "wojood-sample")}


@needs_shared
@pytest.mark.slow
def test_newsfane_holds_most_of_the_anercorp_test_split(shared_builds: dict[str, Path]) -> None:
    report = audit([shared_builds["anercorp-camel"], shared_builds["newsfane-gold"]], threshold=0.8)
    whole = report.match("anercorp-camel/test", "newsfane-gold/*")
    assert whole is not None
    assert whole.fraction > 0.7  # measured: 685 of 898 sentences (76.3%) at 0.8
    by_split = {s: report.match("anercorp-camel/test", f"newsfane-gold/{s}") for s in ("train", "validation", "test")}
    assert all(m is not None and m.matched > 0 for m in by_split.values())  # the text is spread over all splits
    loose = audit([shared_builds["anercorp-camel"], shared_builds["newsfane-gold"]], threshold=0.5)
    assert loose.match("anercorp-camel/test", "newsfane-gold/*").fraction > 0.85  # measured: 89.8%


@needs_shared
@pytest.mark.slow
def test_wojood_boilerplate_line_is_found_in_all_three_splits(shared_builds: dict[str, Path]) -> None:
    report = audit([shared_builds["wojood-sample"]], max_pairs=10_000)
    boilerplate = canonical_tokens("تم النشر قبل بواسطة عبد الحميد عبد العاطي")
    exact = [(a, b) for a, b, _, is_exact in report.pairs if is_exact and canonical_tokens(a.text) == boilerplate]
    assert {frozenset((a.split, b.split)) for a, b in exact} == {
        frozenset(("train", "validation")), frozenset(("train", "test")), frozenset(("validation", "test"))}
    # Wojood's 41 exact duplicate segments within splits are punctuation only ("." and `" $#$`):
    # no words, so they are left out as too short, and counted.
    assert sum(report.short.values()) >= 41
    assert 0.0 < report.max_leakage("wojood-sample") < 0.05


@needs_shared
@pytest.mark.slow
def test_newsfane_contiguous_block_split_leaks_only_repeated_text(shared_builds: dict[str, Path]) -> None:
    report = audit([shared_builds["newsfane-gold"]])
    leakage = report.leakage()["newsfane-gold"]
    assert leakage["test"] < 0.02 and leakage["validation"] < 0.02
    cross = [p for p in report.pairs if p[0].split != p[1].split]
    # what crosses splits are exact repeats (the corpus holds a few stories twice), not cut articles
    assert cross and all(is_exact for _, _, _, is_exact in cross)


def test_audit_units_rejects_a_bad_threshold() -> None:
    with pytest.raises(ValueError, match="threshold"):
        audit_units([AuditUnit("d", "train", "a", "نص قصير هنا")], threshold=0.0)
