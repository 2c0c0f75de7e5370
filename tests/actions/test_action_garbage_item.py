"""action_garbage_item against the real knowledge base, as a resident sees the replies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from actions.garbage.item import ActionGarbageItem

CONSULT = "043-204-5380"
CHECK = "念のため家庭ごみ相談ダイヤル（043-204-5380）でご確認ください。"
AOBA = {"town": "青葉町", "town_ward": "中央区"}  # 不燃・有害 1・3水, 古紙 火; today is Tue 2026-11-24

pytestmark = pytest.mark.usefixtures("kb")


@pytest.mark.parametrize(
    ("text", "entities", "item", "category"),
    [
        ("スプレー缶", {}, "スプレー缶", "有害ごみ"),
        ("スプレー缶は何ごみ？", {}, "スプレー缶", "有害ごみ"),
        ("ﾍｱｽﾌﾟﾚｰの捨て方", {}, "ヘアスプレー", "有害ごみ"),
        ('/ask_garbage_item{"item": "乾電池"}', {"item": "乾電池"}, "乾電池", "有害ごみ"),
        ("フライパンの捨て方を教えて", {}, "フライパン", "不燃ごみ"),
        ("卵の殻", {}, "卵の殻", "可燃ごみ"),
        ("ペットボトル", {}, "ペットボトル", "資源物（びん・缶・ペットボトル）"),
        ("新聞紙はどう出す？", {}, "新聞紙", "資源物（古紙・布類）"),
        ("ソファを捨てたい", {}, "ソファ", "粗大ごみ"),
        ("テレビ", {}, "テレビ", "家電リサイクル法の対象"),
    ],
)
async def test_item_is_answered_with_its_category_and_how(
    text: str, entities: dict[str, str], item: str, category: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", entities))
    assert f"「{item}」は「{category}」です。" in reply.text
    assert "出し方：" in reply.text
    assert reply.sources
    assert all(url.startswith("http") for url in reply.sources)
    assert reply.slot("item") == item
    assert reply.buttons == []


@pytest.mark.parametrize(("text", "checked"), [("スプレー缶", False), ("ソファ", True), ("卵の殻", True)])
async def test_inferred_items_ask_residents_to_check(text: str, checked: bool, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text))
    assert (CHECK in reply.text) is checked


@pytest.mark.parametrize(
    ("text", "category", "dates"),
    [
        ("スプレー缶", "有害ごみ", "12月2日(水)、12月16日(水)、1月6日(水)"),
        ("新聞紙", "資源物（古紙・布類）", "11月24日(火)、12月1日(火)、12月8日(火)"),
    ],
)
async def test_known_town_adds_the_next_collection_date(
    text: str, category: str, dates: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, slots=AOBA))
    assert f"中央区青葉町の次の{category}の収集日は{dates}です" in reply.text
    assert "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/shushubi.html" in reply.sources


@pytest.mark.parametrize(("text", "slots"), [("ソファ", AOBA), ("スプレー缶", {})])
async def test_no_date_without_a_town_or_a_station_collection(
    text: str, slots: dict[str, str], tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, slots=slots))
    assert "収集日は" not in reply.text


async def test_ambiguous_item_asks_with_buttons_that_answer(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("電池", "ask_garbage_item"))
    assert "どれのことですか" in reply.text
    titles = [button["title"] for button in reply.buttons]
    assert {"乾電池", "充電式電池"} <= set(titles)
    assert 2 <= len(titles) <= 4
    with pytest.raises(KeyError):
        reply.slot("item")
    payload = reply.buttons[titles.index("乾電池")]["payload"]
    entities = json.loads(payload.removeprefix("/ask_garbage_item"))
    answer = await run(ActionGarbageItem(), tracker_for(payload, "ask_garbage_item", entities))
    assert "「乾電池」は「有害ごみ」です。" in answer.text


@pytest.mark.parametrize("text", ["xyzzy", "タイムマシン"])
async def test_unknown_item_suggests_rephrasing_and_the_phone(text: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item"))
    assert f"「{text}」は分別リストに見つかりませんでした" in reply.text
    assert "別の言い方" in reply.text
    assert CONSULT in reply.text
    assert reply.slot("item") is None
    assert len(reply.buttons) <= 4


async def test_an_empty_message_asks_for_the_item(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("", "ask_garbage_item"))
    assert "品目名を教えてください" in reply.text
    assert reply.events == []


@pytest.mark.parametrize("text", ["スプレー缶", "図書館の本", "ふるいせんぷうき"])
async def test_a_similarity_match_says_which_item_it_answers(text: str, kb: Any, tracker_for: Any, run: Any) -> None:
    lookup = kb.garbage.lookup_item(text)
    reply = await run(ActionGarbageItem(), tracker_for(text))
    if lookup.status == "found":
        assert ("に近い品目として" in reply.text) is (lookup.best.score < 1.0)
        assert f"「{lookup.best.item.name}」" in reply.text
