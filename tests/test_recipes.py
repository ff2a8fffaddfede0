"""The recipes of the three real corpora, and the split rules they need (contiguous blocks, by file).

On the shared corpora (``../shared``; skipped when absent) every count in the manifest must equal
the figure measured independently in the corpus' SOURCE.md. On the committed slices the builds run
unconditionally and are checked against a small reference reading of the same bytes.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from dataset_builder.config import BuildConfig
from dataset_builder.pipeline import build
from dataset_builder.problems import InputError
from dataset_builder.recipe import load_recipe
from dataset_builder.split import BlockSplit, ByFileSplit, split_rule_from_dict

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "corpora" / "recipes"
SHARED = ROOT.parent / "shared" / "corpora"
SLICES = ROOT / "tests" / "fixtures" / "corpora"
LABELMAPS = ROOT / "dataset_builder" / "labelmaps"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared corpora are not at {SHARED}")


def _build(recipe_name: str, data_dir: Path, out: Path) -> dict:
    recipe = load_recipe(RECIPES / f"{recipe_name}.yaml", data_dir=data_dir)
    report = build(BuildConfig.from_recipe(recipe, {"out_dir": out, "progress": False, "audit": None}))
    assert report.exit_code == 0, (report.documents, report.rejected_ids)
    return json.loads((report.version_dir / "manifest.json").read_text(encoding="utf-8"))


def _totals(manifest: dict) -> tuple[int, int, Counter[str]]:
    sentences = sum(s["sentences"] for s in manifest["splits"].values())
    tokens = sum(s["tokens"] for s in manifest["splits"].values())
    labels: Counter[str] = Counter()
    for layers in manifest["labels"].values():
        labels.update(layers["entities"])
    return sentences, tokens, +labels


# ---------------------------------------------------------------------------------------------
# A reference reading of CoNLL bytes, independent of the reader: sentences, tokens, mentions
# (conlleval-style lenient decoding: an I- after O or after another type starts a mention),
# decoded column by column for nested files.
# ---------------------------------------------------------------------------------------------


def _reference(path: Path, pseudo: str | None = None) -> tuple[int, int, Counter[str]]:
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    sentences = tokens = 0
    mentions: Counter[str] = Counter()
    block: list[list[str]] = []

    def close() -> None:
        nonlocal sentences, tokens
        if not block:
            return
        words = [row[0].strip("\u200e") for row in block]
        sentences += 1
        tokens += sum(1 for w in words if w != pseudo)
        depth = max(len(row) - 1 for row in block)
        for level in range(1, depth + 1):
            previous = "O"
            for row in block:
                tag = row[level] if level < len(row) else "O"
                if tag != "O" and (tag.startswith("B-") or previous == "O" or previous[2:] != tag[2:]):
                    mentions[tag[2:]] += 1
                previous = tag
        block.clear()

    for line in text.split("\n"):
        if not line.strip():
            close()
            continue
        block.append(line.split("\t") if "\t" in line else line.split())
    close()
    return sentences, tokens, mentions


def _slice_data_dir(tmp_path: Path) -> Path:
    """A data directory laid out like ../shared/corpora, holding the committed slices."""
    data = tmp_path / "data"
    files = {
        "anercorp-camel/ANERCorp_CamelLab_test.txt": SLICES / "anercorp-camel" / "ANERCorp_slice.txt",
        "newsfane-gold/NewsFANE_Gold_2014_170K.txt": SLICES / "newsfane-gold" / "NewsFANE_slice.txt",
        "wojood-sample/train.txt": SLICES / "wojood-sample" / "train_slice.txt",
        "wojood-sample/val.txt": SLICES / "wojood-sample" / "val_slice.txt",
        # Wojood's test file has no committed slice: the validation slice stands in for it.
        "wojood-sample/test.txt": SLICES / "wojood-sample" / "val_slice.txt",
    }
    for target, source in files.items():
        (data / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, data / target)
    return data


# ---------------------------------------------------------------------------------------------
# Recipes on the committed slices (always run)
# ---------------------------------------------------------------------------------------------


def test_anercorp_recipe_on_the_slice_matches_a_reference_reading(tmp_path: Path) -> None:
    data = _slice_data_dir(tmp_path)
    manifest = _build("anercorp-camel", data, tmp_path / "out")
    sentences, tokens, mentions = _reference(data / "anercorp-camel" / "ANERCorp_CamelLab_test.txt")
    assert _totals(manifest) == (sentences, tokens, mentions)
    assert list(manifest["splits"]) == ["test"]
    # blocks of 25 sentences: ceil(sentences / 25) documents, ids from the recipe's prefix
    assert manifest["splits"]["test"]["documents"] == -(-sentences // 25)
    assert manifest["licence"].startswith("CC BY-SA 4.0") and "Benajiba" in manifest["citation"]


def test_newsfane_recipe_maps_fine_types_and_splits_by_contiguous_runs(tmp_path: Path) -> None:
    data = _slice_data_dir(tmp_path)
    manifest = _build("newsfane-gold", data, tmp_path / "out")
    fine_manifest = _build("newsfane-gold-fine", data, tmp_path / "out")
    sentences, tokens, fine = _reference(data / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt")
    mapping = yaml.safe_load((LABELMAPS / "newsfane-to-anercorp.yaml").read_text(encoding="utf-8"))["map"]
    coarse: Counter[str] = Counter()
    for label, n in fine.items():
        coarse[mapping[label]] += n
    assert _totals(manifest) == (sentences, tokens, coarse)
    assert _totals(fine_manifest) == (sentences, tokens, fine)
    assert set(_totals(manifest)[2]) <= {"PERS", "LOC", "ORG", "MISC"}
    # the same documents land in the same splits in both builds
    assert {s: c["documents"] for s, c in manifest["splits"].items()} == \
        {s: c["documents"] for s, c in fine_manifest["splits"].items()}
    assert manifest["split_rule"]["rule"] == "blocks" and manifest["split_rule"]["run"] == 2


def test_wojood_recipe_keeps_the_file_splits_nesting_and_drops_line_break_markers(tmp_path: Path) -> None:
    data = _slice_data_dir(tmp_path)
    manifest = _build("wojood-sample", data, tmp_path / "out")
    for split, name in (("train", "train.txt"), ("validation", "val.txt"), ("test", "test.txt")):
        sentences, tokens, mentions = _reference(data / "wojood-sample" / name, pseudo="$#$")
        counts = manifest["splits"][split]
        assert (counts["sentences"], counts["tokens"]) == (sentences, tokens), split
        assert +Counter(manifest["labels"][split]["entities"]) == mentions, split
    # the 4-level EVENT > ORG > ORG > GPE mention of the train slice is projected to 4 tag columns
    from datasets import load_from_disk

    tokens_config = load_from_disk(str(tmp_path / "out" / "wojood-sample" / "1.0.0" / "tokens"))
    assert {"ner_tags", "ner_tags_2", "ner_tags_3", "ner_tags_4"} <= set(tokens_config["train"].column_names)
    assert any(any(tag != 0 for tag in row) for row in tokens_config["train"]["ner_tags_4"])
    assert not any("$#$" in row for row in tokens_config["train"]["tokens"])


def test_recipe_label_map_errors_name_the_recipe(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text((RECIPES / "newsfane-gold.yaml").read_text(encoding="utf-8")
                      .replace("label_map: newsfane-to-anercorp", "label_map: no-such-map")
                      .replace("schemas/", str(RECIPES / "schemas") + "/"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_recipe(recipe, data_dir=_slice_data_dir(tmp_path))
    assert info.value.problem.path == str(recipe) and "no-such-map" in info.value.problem.message


def test_recipe_audit_settings_are_checked(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    text = (RECIPES / "anercorp-camel.yaml").read_text(encoding="utf-8")
    text = text.replace("schemas/", str(RECIPES / "schemas") + "/")
    recipe.write_text(text.replace("action: refuse", "action: shrug"), encoding="utf-8")
    with pytest.raises(InputError, match="action"):
        load_recipe(recipe, data_dir=_slice_data_dir(tmp_path))
    recipe.write_text(text, encoding="utf-8")
    loaded = load_recipe(recipe, data_dir=_slice_data_dir(tmp_path))
    assert loaded.audit is not None and loaded.audit.max_leakage == 0.0 and loaded.audit.action == "refuse"


# ---------------------------------------------------------------------------------------------
# Split rules
# ---------------------------------------------------------------------------------------------


def _ids(n: int, prefix: str = "news") -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(1, n + 1)]


def test_block_split_assigns_whole_runs_with_exact_shares_per_cycle() -> None:
    rule = BlockSplit((("train", 0.8), ("validation", 0.1), ("test", 0.1)), run=3, seed="s")
    assert rule.cycle == 10
    assigned = [rule.assign(doc_id) for doc_id in _ids(3 * 10 * 7)]  # 7 complete cycles
    runs = [assigned[i : i + 3] for i in range(0, len(assigned), 3)]
    assert all(len(set(run)) == 1 for run in runs)  # consecutive blocks of a run stay together
    for cycle in range(7):
        shares = Counter(run[0] for run in runs[cycle * 10 : (cycle + 1) * 10])
        assert shares == {"train": 8, "validation": 1, "test": 1}
    # the test slot moves between cycles: the seed permutes each cycle anew
    positions = {[run[0] for run in runs[c * 10 : (c + 1) * 10]].index("test") for c in range(7)}
    assert len(positions) > 1


def test_block_split_is_a_function_of_the_id_and_appending_moves_nothing() -> None:
    ratios = (("train", 0.8), ("test", 0.2))
    rule = BlockSplit(ratios, run=2, seed="a")
    short = {doc_id: rule.assign(doc_id) for doc_id in _ids(40)}
    longer = {doc_id: BlockSplit(ratios, run=2, seed="a").assign(doc_id) for doc_id in reversed(_ids(400))}
    assert all(longer[doc_id] == split for doc_id, split in short.items())
    other_seed = [BlockSplit(ratios, run=2, seed="b").assign(doc_id) for doc_id in _ids(400)]
    assert other_seed != [longer[doc_id] for doc_id in _ids(400)]
    # another file's blocks (another prefix) get their own permutation
    assert [rule.assign(i) for i in _ids(400, "x")] != [rule.assign(i) for i in _ids(400, "y")]


def test_block_split_rejects_unnumbered_ids_and_bad_ratios() -> None:
    rule = split_rule_from_dict({"blocks": {"train": 0.5, "test": 0.5}})
    assert isinstance(rule, BlockSplit)
    assert rule.assign("article-about-moscow") == ""
    (problem,) = rule.finish()
    assert problem.code == "split-block-id" and "article-about-moscow" in problem.message
    with pytest.raises(InputError):
        BlockSplit((("train", 0.7), ("test", 0.2)))  # does not sum to 1
    with pytest.raises(InputError, match="denominator"):
        BlockSplit((("train", 0.999), ("test", 0.001)))
    with pytest.raises(InputError, match="run"):
        split_rule_from_dict({"blocks": {"train": 1.0, "run": 0}})
    assert BlockSplit((("train", 1.0),)).describe()["rule"] == "blocks"


def test_by_file_split_follows_the_file_stem_in_the_id() -> None:
    rule = split_rule_from_dict({"by_file": {"train.txt": "train", "val.txt": "validation",
                                             "train-extra.txt": "test"}})
    assert isinstance(rule, ByFileSplit)
    assert rule.splits == ("train", "validation", "test")
    assert rule.assign("train-00001") == "train"
    assert rule.assign("val-00012") == "validation"
    assert rule.assign("train-extra-00003") == "test"  # the longest matching stem wins
    assert rule.assign("test-00001") == ""
    (problem,) = rule.finish()
    assert problem.code == "split-by-file-unknown" and "test-00001" in problem.message
    with pytest.raises(InputError):
        split_rule_from_dict({"by_file": {"a/train.txt": "train", "b/train.tsv": "test"}})


# ---------------------------------------------------------------------------------------------
# Recipes on the shared corpora: counts equal SOURCE.md's
# ---------------------------------------------------------------------------------------------


@needs_shared
@pytest.mark.slow
def test_anercorp_recipe_on_the_shared_corpus_matches_source_md(tmp_path: Path) -> None:
    manifest = _build("anercorp-camel", SHARED, tmp_path)
    # SOURCE.md: 925 sentences, 25,008 tokens; lenient mentions PERS 907, LOC 676, ORG 459, MISC 243
    assert _totals(manifest) == (925, 25_008, Counter({"PERS": 907, "LOC": 676, "ORG": 459, "MISC": 243}))
    assert manifest["splits"]["test"]["documents"] == 37


@needs_shared
@pytest.mark.slow
def test_newsfane_recipe_on_the_shared_corpus_matches_source_md(tmp_path: Path) -> None:
    manifest = _build("newsfane-gold", SHARED, tmp_path)
    source_md = (SHARED / "newsfane-gold" / "SOURCE.md").read_text(encoding="utf-8")
    # the per-type table of SOURCE.md ("Nation 2232 | Population-Center 1427 | ..."), mapped
    table = source_md.split("Per fine type:")[1].split("- Coarse grouping")[0]
    fine = {name: int(n) for name, n in (cell.strip().rsplit(" ", 1) for cell in table.replace("\n", "|").split("|")
                                         if cell.strip())}
    assert len(fine) == 45 and sum(fine.values()) == 11_423
    mapping = yaml.safe_load((LABELMAPS / "newsfane-to-anercorp.yaml").read_text(encoding="utf-8"))["map"]
    coarse: Counter[str] = Counter()
    for label, n in fine.items():
        coarse[mapping[label]] += n
    assert _totals(manifest) == (4_760, 168_080, coarse)
    documents = {split: counts["documents"] for split, counts in manifest["splits"].items()}
    assert sum(documents.values()) == 191  # ceil(4760 / 25)
    # 191 blocks = 95 runs of 2 + 1: 9 whole cycles of 10 runs (8/1/1) and a partial one
    assert documents["validation"] >= 18 and documents["test"] >= 18


@needs_shared
@pytest.mark.slow
def test_wojood_recipe_on_the_shared_corpus_matches_source_md(tmp_path: Path) -> None:
    manifest = _build("wojood-sample", SHARED, tmp_path)
    # SOURCE.md: segments 1,114/158/357; tokens 18,887/2,743/5,344 of which 523 are `$#$`
    # (left out of the text); mentions 2,883/470/870.
    splits = manifest["splits"]
    assert [splits[s]["sentences"] for s in ("train", "validation", "test")] == [1114, 158, 357]
    assert sum(splits[s]["tokens"] for s in splits) == 26_974 - 523
    assert [splits[s]["mentions"]["entities"] for s in ("train", "validation", "test")] == [2883, 470, 870]
    labels = manifest["labels"]
    assert labels["train"]["entities"]["GPE"] == 677 and labels["test"]["entities"]["ORG"] == 194
    assert labels["validation"]["entities"]["QUANTITY"] == 1 and labels["validation"]["entities"]["UNIT"] == 1
