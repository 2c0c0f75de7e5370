"""action_collection_days against the real knowledge base, with today fixed to Tuesday 2026-11-24."""

from __future__ import annotations

import json
from typing import Any

import pytest

from actions.garbage.collection_days import ActionCollectionDays

COLLECTION_PAGE = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/shushubi.html"
AOBA = {"town": "青葉町", "town_ward": "中央区"}  # 中央区青葉町: 可燃 月・木, 木の枝 2・4水, 不燃・有害 1・3水

pytestmark = pytest.mark.usefixtures("kb")


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        (
            "中央区青葉町の可燃ごみはいつ？",
            {},
            ["中央区青葉町", "可燃ごみ", "毎週月曜日・木曜日", "11月26日(木)、11月30日(月)、12月3日(木)", "8:00"],
        ),
        ("青葉町の燃えないごみの日", {}, ["不燃ごみ", "第1・第3水曜日", "12月2日(水)、12月16日(水)、1月6日(水)"]),
        ("中央区青葉町の木の枝", {}, ["木の枝", "11月25日(水)、12月9日(水)、12月23日(水)", "10:00"]),
        ("収集日を教えて", {"town": "中央区青葉町", "garbage_category": "kanen"}, ["可燃ごみ", "11月26日(木)"]),
        ("ごみの日", {"town": "中央区青葉町", "garbage_category": "有害ごみ"}, ["有害ごみ", "12月2日(水)"]),
        ("高洲3丁目の可燃ごみ", {}, ["美浜区高洲3丁目", "可燃ごみ"]),
    ],
)
async def test_collection_days_of_a_named_town(
    text: str, entities: dict[str, str], expected: list[str], tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionCollectionDays(), tracker_for(text, "ask_collection_days", entities))
    for fragment in expected:
        assert fragment in reply.text
    assert COLLECTION_PAGE in reply.sources
    assert reply.slot("town_ward") in reply.text
    assert reply.slot("asked_category") is None


async def test_one_category_asked_shows_only_that_category(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for("中央区青葉町の可燃ごみの日"))
    assert "可燃ごみ" in reply.text
    assert "不燃ごみ" not in reply.text
    assert "古紙" not in reply.text


async def test_no_category_lists_every_station_category_with_both_deadlines(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for("中央区青葉町のごみの日を教えて"))
    for name in ("可燃ごみ", "不燃ごみ", "有害ごみ", "びん・缶・ペットボトル", "古紙・布類", "木の枝"):
        assert name in reply.text
    assert "8:00" in reply.text
    assert "10:00" in reply.text
    assert "粗大ごみ" not in reply.text  # no station collection: not listed as a collection day
    assert len(reply.sources) >= 2


@pytest.mark.parametrize(("text", "asked"), [("可燃ごみの日はいつ？", "kanen"), ("ごみの収集日を教えて", None)])
async def test_unknown_town_is_asked_and_the_category_remembered(
    text: str, asked: str | None, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionCollectionDays(), tracker_for(text))
    assert "お住まいの町名を教えてください" in reply.text
    assert "中央区青葉町" in reply.text  # the example
    assert reply.slot("asked_category") == asked
    with pytest.raises(KeyError):
        reply.slot("town")


async def test_town_given_after_the_question_answers_the_remembered_category(tracker_for: Any, run: Any) -> None:
    tracker = tracker_for(
        '/inform_town{"town": "中央区青葉町"}', "inform_town", {"town": "中央区青葉町"}, {"asked_category": "kanen"}
    )
    reply = await run(ActionCollectionDays(), tracker)
    assert "11月26日(木)" in reply.text
    assert "不燃ごみ" not in reply.text
    assert reply.slot("town") == "青葉町"
    assert reply.slot("asked_category") is None


@pytest.mark.parametrize("text", ["不燃ごみの日は？", "収集日は？"])
async def test_remembered_town_is_used_when_the_message_names_none(text: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for(text, slots=AOBA))
    assert "中央区青葉町" in reply.text
    assert "12月2日(水)" in reply.text


async def test_a_town_named_now_wins_over_the_remembered_one(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for("美浜区若葉3丁目の可燃ごみ", slots=AOBA))
    assert "美浜区若葉3丁目" in reply.text
    assert reply.slot("town") == "若葉3丁目"
    assert reply.slot("town_ward") == "美浜区"


@pytest.mark.parametrize(("text", "rows"), [("高洲の可燃ごみの日", 4), ("おゆみ野南のごみの日", 4)])
async def test_a_town_with_several_rows_offers_buttons(text: str, rows: int, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for(text))
    assert len(reply.buttons) == rows
    for button in reply.buttons:
        assert button["payload"].startswith("/inform_town{")
        assert json.loads(button["payload"].removeprefix("/inform_town")) == {"town": button["title"]}
    assert reply.sources == []


async def test_a_town_button_resolves_to_that_row(tracker_for: Any, run: Any) -> None:
    first = await run(ActionCollectionDays(), tracker_for("おゆみ野南の可燃ごみの日"))
    button = first.buttons[0]
    town = json.loads(button["payload"].removeprefix("/inform_town"))["town"]
    slots = {"asked_category": first.slot("asked_category")}
    tracker = tracker_for(button["payload"], "inform_town", {"town": town}, slots)
    reply = await run(ActionCollectionDays(), tracker)
    assert reply.buttons == []
    assert button["title"] in reply.text
    assert "可燃ごみ" in reply.text


async def test_year_end_break_is_skipped(monkeypatch: pytest.MonkeyPatch, tracker_for: Any, run: Any) -> None:
    monkeypatch.setenv("CHIBA_TODAY", "2026-12-30")
    reply = await run(ActionCollectionDays(), tracker_for("中央区青葉町の可燃ごみ"))
    assert "1月4日(月)、1月7日(木)、1月11日(月)" in reply.text
    assert "12月31日" not in reply.text


@pytest.mark.parametrize(("text", "note"), [("稲毛区千草台1丁目", "町内自治会"), ("美浜区打瀬2丁目", "有害ごみのみ")])
async def test_town_footnotes_are_shown(text: str, note: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for(f"{text}のごみの日"))
    assert note in reply.text


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("中央区青葉町の可燃ごみはいつ？", {"type": "area", "ward": "中央区", "town": "青葉町"}),
        ("Aoba-cho, Chuo-ku: when is burnable garbage?", {"type": "area", "ward": "中央区", "town": "青葉町"}),
    ],
)
async def test_the_town_answered_for_travels_as_an_area_card(
    text: str, card: dict[str, str], tracker_for: Any, run: Any
) -> None:
    """The web chat's "my area" chip shows the town the assistant answered for, also when it was written in romaji."""
    reply = await run(ActionCollectionDays(), tracker_for(text))
    assert card in reply.custom["cards"]


async def test_an_unknown_town_sends_no_area_card(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for("可燃ごみの日はいつ？"))
    assert "cards" not in reply.custom
