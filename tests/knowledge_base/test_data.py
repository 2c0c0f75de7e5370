"""The data files load and are consistent; broken data is reported with a message that names the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge_base.garbage.models import DataError, load_knowledge, validate
from settings import KnowledgeBaseSettings

REAL_DATA = KnowledgeBaseSettings.from_env().data_dir


def test_fixture_data_is_valid(fixture_data: Path) -> None:
    knowledge = load_knowledge(fixture_data)
    assert validate(knowledge) == []
    assert {item.name for item in knowledge.items} >= {"スプレー缶", "ペットボトル", "傘"}


@pytest.mark.skipif(not any((REAL_DATA / "garbage" / "items").glob("*.yaml")), reason="no item data files yet")
def test_real_data_is_valid() -> None:
    knowledge = load_knowledge(REAL_DATA)
    assert validate(knowledge) == []
    assert set(knowledge.categories) >= {"kanen", "funen", "yugai", "bin_kan_pet", "koshi_nuno", "sodai"}
    assert len(knowledge.items) >= 100
    assert len(knowledge.towns) == 261
    assert all(item.source.startswith("http") for item in knowledge.items)


def _edit(path: Path, change) -> None:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("garbage/items/yugai.yaml", lambda e: e[0].pop("source"), "missing 'source'"),
        ("garbage/items/yugai.yaml", lambda e: e[0].pop("category"), "missing 'category'"),
        ("garbage/items/yugai.yaml", lambda e: e[0].update(aliases="スプレー"), "'aliases' must be a list"),
        ("garbage/faq.yaml", lambda e: e[0].pop("source"), "missing 'source'"),
        ("garbage/faq.yaml", lambda e: e[0].update(questions=[]), "at least one question"),
        ("garbage/categories.yaml", lambda e: e[0].pop("id"), "missing 'id'"),
    ],
)
def test_missing_fields_fail_loading(fixture_data: Path, file: str, change, message: str) -> None:
    _edit(fixture_data / file, change)
    with pytest.raises(DataError, match=message):
        load_knowledge(fixture_data)


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("garbage/items/yugai.yaml", lambda e: e[0].update(category="moeru"), "unknown category 'moeru'"),
        ("garbage/items/yugai.yaml", lambda e: e[0].update(source="city page"), "source must be a URL"),
        ("garbage/items/yugai.yaml", lambda e: e[0].update(certainty="maybe"), "certainty must be one of"),
        # Same name twice (after normalisation: half-width katakana) in different categories.
        ("garbage/items/funen.yaml", lambda e: e.append({**e[0], "name": "ｽﾌﾟﾚｰ缶"}), "duplicate name"),
        # An alias that sends residents to two categories.
        ("garbage/items/funen.yaml", lambda e: e[0]["aliases"].append("電池"), "points to different categories"),
        ("garbage/faq.yaml", lambda e: e.append(dict(e[0])), "duplicate id"),
        ("garbage/faq.yaml", lambda e: e[0].update(source="ask the city"), "source must be a URL"),
        ("garbage/categories.yaml", lambda e: e[0].update(schedule_column="燃えるごみ"), "not in the table"),
    ],
)
def test_inconsistent_data_is_reported(fixture_data: Path, file: str, change, message: str) -> None:
    _edit(fixture_data / file, change)
    problems = validate(load_knowledge(fixture_data))
    assert any(message in problem for problem in problems), problems


def test_bad_yaml_names_the_file(fixture_data: Path) -> None:
    (fixture_data / "garbage/items/yugai.yaml").write_text("- name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"yugai\.yaml: cannot read YAML"):
        load_knowledge(fixture_data)


def test_bad_collection_pattern_is_reported(fixture_data: Path) -> None:
    csv_path = fixture_data / "collection_days/chiba_city_collection_days.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("月・木,金", "毎週,金", 1), encoding="utf-8")
    problems = validate(load_knowledge(fixture_data))
    assert any("中央区青葉町" in p and "unknown collection pattern" in p for p in problems), problems


def test_short_csv_row_is_reported(fixture_data: Path) -> None:
    csv_path = fixture_data / "collection_days/chiba_city_collection_days.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8") + "中央区,新町,月・木\n", encoding="utf-8")
    with pytest.raises(DataError, match="expected 7 columns, got 3"):
        load_knowledge(fixture_data)


def test_missing_categories_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"categories\.yaml does not exist"):
        load_knowledge(tmp_path)
