"""Split rules: deterministic per document id, ratios honoured, split files checked."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dataset_builder.problems import InputError
from dataset_builder.split import (
    FileSplit,
    HashSplit,
    load_split_file,
    parse_split_spec,
    split_rule_from_dict,
)

IDS = [f"sana-{i:05d}" for i in range(20_000)]


def test_hash_split_is_a_function_of_the_id_alone() -> None:
    rule = parse_split_spec("train=0.8,validation=0.1,test=0.1")
    forward = {doc_id: rule.assign(doc_id) for doc_id in IDS[:2000]}
    again = parse_split_spec("train=0.8, validation=0.1, test=0.1")
    backward = {doc_id: again.assign(doc_id) for doc_id in reversed(IDS[:2000])}
    assert forward == backward
    # Arabic ids hash as their UTF-8 bytes, like any other.
    assert rule.assign("وكالة-سانا-1") == again.assign("وكالة-سانا-1")


def test_hash_split_ratios_are_met_within_binomial_noise() -> None:
    rule = parse_split_spec("train=0.8,validation=0.1,test=0.1")
    counts = {name: 0 for name in rule.splits}
    for doc_id in IDS:
        counts[rule.assign(doc_id)] += 1
    n = len(IDS)
    for name, ratio in rule.ratios:
        sigma = math.sqrt(n * ratio * (1 - ratio))
        assert abs(counts[name] - n * ratio) < 4 * sigma, (name, counts)


def test_unit_values_are_uniform_and_seed_reshuffles() -> None:
    a, b = HashSplit(seed="a"), HashSplit(seed="b")
    values = [a.unit_value(doc_id) for doc_id in IDS[:5000]]
    assert all(0.0 <= v < 1.0 for v in values)
    assert abs(sum(values) / len(values) - 0.5) < 0.02
    moved = sum(a.assign(i) != b.assign(i) for i in IDS[:5000])
    assert moved > 1000  # about 1 - (0.8² + 0.1² + 0.1²) = 34% of documents change split


def test_zero_ratio_split_is_declared_but_never_assigned() -> None:
    rule = parse_split_spec("train=0.0,test=1.0")
    assert rule.splits == ("train", "test")
    assert {rule.assign(i) for i in IDS[:3000]} == {"test"}


def test_single_split_takes_everything() -> None:
    rule = split_rule_from_dict({"test": 1.0})
    assert {rule.assign(i) for i in IDS[:500]} == {"test"}
    assert rule.describe()["ratios"] == {"test": 1.0}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("train=0.8,test=0.1", "sum to 0.9"),
        ("train=0.8,test", "has no '='"),
        ("train=abc,test=1", "not a number"),
        ("train=0.5,train=0.5", "named twice"),
        ("train=1.5,test=-0.5", ">= 0"),
        ("tr ain=1.0", "not a valid split name"),
        ("", "no splits"),
    ],
)
def test_bad_split_specs_say_what_is_wrong(spec: str, expected: str) -> None:
    with pytest.raises(InputError) as info:
        parse_split_spec(spec)
    assert expected in str(info.value)
    assert info.value.problem.fix


def test_split_file_tsv_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "splits.tsv"
    path.write_text("# official split\nd1\ttrain\n\nd2\ttest\nd3\tvalidation\n", encoding="utf-8")
    rule = load_split_file(path)
    assert [rule.assign(d) for d in ("d1", "d2", "d3")] == ["train", "test", "validation"]
    assert rule.splits == ("train", "validation", "test")
    assert rule.finish() == []
    described = rule.describe()
    assert described["rule"] == "file" and described["file"] == "splits.tsv"
    assert described["ids_per_split"] == {"train": 1, "validation": 1, "test": 1}
    assert len(described["sha256"]) == 64


def test_split_file_json_both_shapes(tmp_path: Path) -> None:
    by_id = tmp_path / "by_id.json"
    by_id.write_text(json.dumps({"d1": "train", "d2": "test"}), encoding="utf-8")
    by_split = tmp_path / "by_split.json"
    by_split.write_text(json.dumps({"train": ["d1"], "test": ["d2"]}), encoding="utf-8")
    for path in (by_id, by_split):
        rule = load_split_file(path)
        assert (rule.assign("d1"), rule.assign("d2")) == ("train", "test")


def test_ids_missing_from_the_split_file_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "splits.tsv"
    path.write_text("d1\ttrain\n", encoding="utf-8")
    rule = load_split_file(path)
    assert rule.assign("d1") == "train"
    assert rule.assign("ghost-1") == ""
    assert rule.assign("ghost-2") == ""
    [problem] = rule.finish()
    assert problem.is_error and problem.code == "split-file-missing-ids"
    assert "ghost-1" in problem.message and "ghost-2" in problem.message and "2 document" in problem.message
    assert problem.path == str(path)


def test_split_file_errors_name_the_line(tmp_path: Path) -> None:
    conflict = tmp_path / "conflict.tsv"
    conflict.write_text("d1\ttrain\nd2\ttest\nd1\ttest\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_split_file(conflict)
    assert info.value.problem.line == 3 and "line 1" in info.value.problem.message

    malformed = tmp_path / "malformed.tsv"
    malformed.write_text("d1\ttrain\nd2 test\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_split_file(malformed)
    assert info.value.problem.line == 2 and "2 tab-separated" in info.value.problem.message

    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"d1": "train",\n "d2": }', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_split_file(bad_json)
    assert info.value.problem.line == 2

    with pytest.raises(InputError, match="cannot read"):
        load_split_file(tmp_path / "absent.tsv")


def test_empty_assignment_is_refused() -> None:
    with pytest.raises(InputError, match="assigns no document"):
        FileSplit({})


def test_split_rule_from_recipe_values(tmp_path: Path) -> None:
    (tmp_path / "s.tsv").write_text("d1\ttest\n", encoding="utf-8")
    assert isinstance(split_rule_from_dict({"file": "s.tsv"}, base=tmp_path), FileSplit)
    seeded = split_rule_from_dict({"train": 0.5, "test": 0.5, "seed": "x"})
    assert isinstance(seeded, HashSplit) and seeded.seed == "x"
    assert split_rule_from_dict(None).splits == ("train", "validation", "test")
    assert split_rule_from_dict("train=0.9,test=0.1").splits == ("train", "test")
