"""Collection days: the official patterns, next dates around month/year ends, and finding a resident's town."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge_base.garbage.collection import TownMatcher, describe, load_town_readings, next_dates, parse_pattern
from knowledge_base.garbage.models import load_knowledge, load_towns, split_town_name

REAL_DATA = Path(__file__).resolve().parents[2] / "knowledge_base" / "data"


@pytest.mark.parametrize(
    ("pattern", "description"),
    [
        ("月・木", "毎週月曜日・木曜日"),
        ("水・土", "毎週水曜日・土曜日"),
        ("金", "毎週金曜日"),
        ("2・4水", "第2・第4水曜日"),
        ("1・3月", "第1・第3月曜日"),
        ("２・４水", "第2・第4水曜日"),  # full-width digits
        ("-", "収集なし"),
        ("", "収集なし"),
        ("2・4火※", "第2・第4火曜日（※注記あり）"),
        ("※", "※注記をご確認ください"),
    ],
)
def test_describe(pattern: str, description: str) -> None:
    assert describe(parse_pattern(pattern)) == description


@pytest.mark.parametrize("pattern", ["毎週", "月木", "6・7水", "2・4", "x"])
def test_unknown_pattern_is_an_error(pattern: str) -> None:
    with pytest.raises(ValueError, match="unknown collection pattern"):
        parse_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "today", "expected"),
    [
        # Every Mon+Thu; today (a Monday) is included.
        ("月・木", date(2025, 6, 2), [date(2025, 6, 2), date(2025, 6, 5), date(2025, 6, 9)]),
        # Across a month end.
        ("火・金", date(2025, 1, 29), [date(2025, 1, 31), date(2025, 2, 4), date(2025, 2, 7)]),
        # 2nd and 4th Wednesday: a 5th Wednesday (2025-04-30) is skipped.
        ("2・4水", date(2025, 4, 24), [date(2025, 5, 14), date(2025, 5, 28), date(2025, 6, 11)]),
        # 1st and 3rd Monday, from the 1st of the month which is not a Monday.
        ("1・3月", date(2025, 9, 1), [date(2025, 9, 1), date(2025, 9, 15), date(2025, 10, 6)]),
        # No collection 12/31–1/3: Wed 2025-12-31 is skipped, Sat 2026-01-03 too.
        ("水・土", date(2025, 12, 30), [date(2026, 1, 7), date(2026, 1, 10), date(2026, 1, 14)]),
        # The break starts on 12/31 exactly: Tue 12/30 is still collected.
        ("火", date(2025, 12, 29), [date(2025, 12, 30), date(2026, 1, 6), date(2026, 1, 13)]),
        # 1st Saturday of January 2026 is 1/3 (break): the next is the 3rd Saturday.
        ("1・3土", date(2026, 1, 1), [date(2026, 1, 17), date(2026, 2, 7), date(2026, 2, 21)]),
        # National holidays are collected (2025-11-03 文化の日, a Monday).
        ("月", date(2025, 11, 3), [date(2025, 11, 3), date(2025, 11, 10), date(2025, 11, 17)]),
        # Leap day.
        ("木", date(2024, 2, 28), [date(2024, 2, 29), date(2024, 3, 7), date(2024, 3, 14)]),
    ],
)
def test_next_dates(pattern: str, today: date, expected: list[date]) -> None:
    assert next_dates(parse_pattern(pattern), today, count=3) == expected


@pytest.mark.parametrize("pattern", ["-", "※", ""])
def test_no_dates_when_not_collected(pattern: str) -> None:
    assert next_dates(parse_pattern(pattern), date(2025, 6, 2)) == []


@pytest.mark.parametrize(
    ("name", "base", "chome"),
    [
        ("稲荷町1～3丁目", "稲荷町", {1, 2, 3}),
        ("院内1・2丁目", "院内", {1, 2}),
        ("幕張本郷2・4・6・7丁目", "幕張本郷", {2, 4, 6, 7}),
        ("検見川町1～3・5丁目", "検見川町", {1, 2, 3, 5}),
        ("蘇我町2丁目", "蘇我町", {2}),
        ("青葉町", "青葉町", None),
    ],
)
def test_split_town_name(name: str, base: str, chome: set[int] | None) -> None:
    assert split_town_name(name) == (base, frozenset(chome) if chome is not None else None)


@pytest.fixture(scope="module")
def real_towns() -> TownMatcher:
    return TownMatcher(load_towns(REAL_DATA), load_town_readings(REAL_DATA))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("稲荷町2丁目", ["中央区稲荷町1～3丁目"]),
        ("稲荷町２丁目", ["中央区稲荷町1～3丁目"]),
        ("稲荷町二丁目に住んでいます", ["中央区稲荷町1～3丁目"]),
        ("稲荷町2-5-3", ["中央区稲荷町1～3丁目"]),
        ("中央区青葉町", ["中央区青葉町"]),  # 「中央区」 is not the town 中央1～4丁目
        ("千葉市中央区青葉町のごみの日", ["中央区青葉町"]),
        ("青葉町", ["中央区青葉町"]),
        ("院内2丁目", ["中央区院内1・2丁目"]),
        ("中央3丁目", ["中央区中央1～4丁目"]),
        ("都町5丁目", ["中央区都町1～8丁目"]),
        ("都町", ["中央区都町", "中央区都町1～8丁目"]),  # whole-town row first, then ask
        ("稲毛海岸", ["美浜区稲毛海岸1・2・4丁目", "美浜区稲毛海岸3・5丁目"]),  # which chome? ask
        ("稲毛海岸3丁目", ["美浜区稲毛海岸3・5丁目"]),
        ("松ヶ丘町", ["中央区松ケ丘町"]),
        ("さつきヶ丘2丁目", ["花見川区さつきが丘1・2丁目"]),
        ("花見川区花見川", ["花見川区花見川"]),
        ("美浜区若葉3丁目", ["美浜区若葉3丁目"]),
        ("鵜ノ森町", ["中央区鵜の森町"]),
        ("幕張町5丁目", ["花見川区幕張町5・6丁目"]),
    ],
)
def test_find_real_towns(real_towns: TownMatcher, message: str, expected: list[str]) -> None:
    assert [town.label for town in real_towns.find(message)] == expected


@pytest.mark.parametrize("message", ["若葉区", "中央区", "今日はいい天気", "", "千葉市"])
def test_no_town_in_message(real_towns: TownMatcher, message: str) -> None:
    assert real_towns.find(message) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # Romanised, as a newly arrived resident writes them (readings from Japan Post's data).
        ("I live in Makuhari Hongo 1-chome, when is PET bottle day?", ["花見川区幕張本郷1・3・5丁目"]),
        ("Makuhari Hongo 2 chome", ["花見川区幕張本郷2・4・6・7丁目"]),
        ("Aoba-cho, Chuo-ku", ["中央区青葉町"]),
        ("aobacho", ["中央区青葉町"]),
        ("Aoba-machi", ["中央区青葉町"]),
        ("Chūō 2-chome", ["中央区中央1～4丁目"]),
        ("Mihama Ward, Utase 2", ["美浜区打瀬2・3丁目"]),
        ("Oyumino Minami 3", ["緑区おゆみ野南1～3丁目"]),
        ("I live in Inage-ku Konakadai", ["稲毛区小中台町"]),
        ("tôi sống ở Kemigawa-cho 5", ["花見川区検見川町1～3・5丁目"]),
        # Hiragana readings, chome as numbers or kana.
        ("あおばちょうです", ["中央区青葉町"]),
        ("まくはりほんごう3ちょうめ", ["花見川区幕張本郷1・3・5丁目"]),
    ],
)
def test_find_towns_in_romaji_and_hiragana(real_towns: TownMatcher, message: str, expected: list[str]) -> None:
    assert [town.label for town in real_towns.find(message)] == expected


@pytest.mark.parametrize("message", ["Chuo-ku", "Mihama Ward", "Hello, how are you?", "I want to throw away a honda"])
def test_romaji_without_a_town(real_towns: TownMatcher, message: str) -> None:
    assert real_towns.find(message) == []


def test_every_town_but_two_has_a_reading() -> None:
    """Japan Post lists every town of the table except 蘇我町 and 道場北町 (printed by scripts/town_readings.py)."""
    readings = load_town_readings(REAL_DATA)
    towns = {(town.ward, town.base) for town in load_towns(REAL_DATA)}
    assert towns - set(readings) == {("中央区", "蘇我町"), ("中央区", "道場北町")}


def test_same_town_name_in_two_wards_is_ambiguous_until_the_ward_is_given(fixture_data: Path) -> None:
    matcher = TownMatcher(load_knowledge(fixture_data).towns)
    assert [t.label for t in matcher.find("青葉町")] == ["中央区青葉町", "稲毛区青葉町"]
    assert [t.label for t in matcher.find("稲毛区青葉町")] == ["稲毛区青葉町"]


def test_every_real_row_has_a_readable_pattern_and_chome() -> None:
    towns = load_towns(REAL_DATA)
    assert len(towns) == 261
    for town in towns:
        for _, pattern in town.patterns:
            parse_pattern(pattern)
