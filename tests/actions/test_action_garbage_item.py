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
    assert "どれのことですか" in reply.text and CONSULT in reply.text
    titles = [button["title"] for button in reply.buttons]
    assert any("乾電池" in title for title in titles)  # single-use: 有害ごみ
    assert any("充電式" in title or "ボタン" in title for title in titles)  # taken back by shops
    assert 2 <= len(titles) <= 3
    assert reply.slot("item") is None
    dry = next(title for title in titles if "乾電池" in title)
    payload = reply.buttons[titles.index(dry)]["payload"]
    entities = json.loads(payload.removeprefix("/ask_garbage_item"))
    answer = await run(ActionGarbageItem(), tracker_for(payload, "ask_garbage_item", entities))
    assert f"「{dry}」は「有害ごみ」です。" in answer.text


@pytest.mark.parametrize(
    ("text", "lang", "item", "category"),
    [
        ("do i need an umbrella this afternoon", "en", "傘", "不燃ごみ"),  # an item question to the NLU, the weather
        ("明日の朝はストーブをつけたほうがいいかな", "ja", "ストーブ", "粗大ごみ"),
    ],
)
async def test_a_message_that_only_mentions_a_thing_is_asked_before_a_category_is_stated(
    text: str, lang: str, item: str, category: str, tracker_for: Any, run: Any
) -> None:
    """No disposal or category word, no day, and the thing is a small part of the message: the resident is asked
    whether they mean the thing (one button that answers), never told its category outright."""
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", lang=lang))
    assert reply.slot("item") is None
    assert [button["title"] for button in reply.buttons] and any(item in b["payload"] for b in reply.buttons)
    assert "不燃ごみ" not in reply.text and "Non-burnable" not in reply.text and "燃えないごみ" not in reply.text
    assert category not in reply.text


@pytest.mark.parametrize(
    ("text", "lang", "entities"),
    [
        ("old umbrella", "en", {}),  # mostly the thing's name
        ("how do i throw away an umbrella", "en", {}),  # a disposal question
        ("is an umbrella non-burnable?", "en", {}),  # a category named
        ('/ask_garbage_item{"item": "傘"}', "en", {"item": "傘"}),  # a button the assistant offered
    ],
)
async def test_a_question_about_the_thing_is_answered_with_its_category(
    text: str, lang: str, entities: dict[str, str], tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", entities, lang=lang))
    assert reply.slot("item") == "傘"
    assert "不燃ごみ" in reply.text  # the official term, also in English answers


@pytest.mark.parametrize("text", ["xyzzy", "ぷにょぷにょ"])
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


async def test_a_thing_named_by_one_kanji_is_offered_with_not_sure(tracker_for: Any, run: Any) -> None:
    """「もう履かない靴」: one character is too little to state a category on; the reply says it is not sure and
    offers the thing as a button (never 「次のいずれか」 as if several matched)."""
    reply = await run(ActionGarbageItem(), tracker_for("もう履かない靴", "ask_garbage_item"))
    assert "はっきり分かりません" in reply.text
    assert [button["title"] for button in reply.buttons][:1] == ["靴"]


# ---- issue 7: yes/no first, day questions, channels, the dictionary, unknown things, other cities --------------


@pytest.mark.parametrize(
    ("text", "lang", "first"),
    [
        # The city's answer for a (usually greasy) pizza box is 可燃ごみ: 「資源？」 gets 「いいえ」, then the category.
        ("ピザの箱って資源？", "ja", "いいえ、「ピザの箱」は「資源物」ではありません。「可燃ごみ」です。"),
        ("新聞紙って資源ごみ？", "ja", "はい、「新聞紙」は「資源物（古紙・布類）」です。"),
        ("スプレー缶は燃えるごみでいいの？", "ja", "いいえ、「スプレー缶」は「可燃ごみ」ではありません。"),
        ("Is a spray can burnable?", "en", "No: spray can (スプレー缶) is not Burnable waste (可燃ごみ)."),
    ],
)
async def test_a_yes_no_question_gets_yes_or_no_first(
    text: str, lang: str, first: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", lang=lang))
    assert reply.text.startswith(first), reply.text


async def test_a_day_question_without_a_town_asks_for_it_and_remembers_the_category(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("段ボールは何曜日？", "ask_garbage_item"))
    assert "「資源物（古紙・布類）」の収集日をお調べします" in reply.text
    assert "Aoba-cho" in reply.text  # a town may be written in romaji
    assert reply.slot("asked_category") == "koshi_nuno"


async def test_a_day_question_with_a_known_town_gets_the_day(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("段ボールは何曜日？", "ask_garbage_item", slots=AOBA))
    assert "中央区青葉町の次の資源物（古紙・布類）の収集日は11月24日(火)" in reply.text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("タイヤを捨てたい", "「タイヤ」は千葉市では収集しません（排出禁止物等）。"),
        ("プリンターのインクカートリッジ", "はごみステーションには出せません（店頭回収協力店へ）。"),
        ("猫の死体", "はごみステーションには出せません（環境事業所へ申込）。"),
        ("テレビ", "「テレビ」は千葉市では収集しません（家電リサイクル法の対象）。"),
    ],
)
async def test_things_the_city_does_not_collect_are_answered_as_such(
    text: str, line: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item"))
    assert line in reply.text
    assert "です。" not in reply.text.splitlines()[0]  # never 「…は排出禁止物等です」 as if it were a bag


async def test_a_size_rule_entry_gives_both_outcomes(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("IHクッキングヒーターは何ごみ？", "ask_garbage_item"))
    assert "「不燃ごみまたは粗大ごみ」" in reply.text
    assert "50cm" in reply.text and "粗大ごみ受付センター" in reply.text


async def test_a_dictionary_entry_says_where_the_answer_comes_from(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("アイロン台", "ask_garbage_item"))
    assert "「アイロン台」は「粗大ごみ」です。" in reply.text
    assert "ごみ分別事典」（2014年版）" in reply.text and CONSULT in reply.text
    assert "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/gomibunbetujiten.html" in reply.sources


@pytest.mark.parametrize(("lang", "fragment"), [("ja", "プラスチック資源"), ("en", "Plastic resources")])
async def test_plastic_items_mention_the_coming_change(lang: str, fragment: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("ポリバケツ", "ask_garbage_item", lang=lang))
    assert fragment in reply.text and "2027" in reply.text
    egg = await run(ActionGarbageItem(), tracker_for("卵の殻", "ask_garbage_item", lang=lang))
    assert "2027" not in egg.text


@pytest.mark.parametrize("text", ["牛を捨てたい", "宇宙船は何ごみ？", "ふわもこぴょんは何ごみですか"])
async def test_things_that_are_not_household_items_get_no_category(text: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item"))
    assert "家庭ごみの品目として分かりませんでした" in reply.text
    assert CONSULT in reply.text
    assert "」です。" not in reply.text and reply.buttons == []


async def test_another_city_is_answered_as_chiba_only(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("船橋市の粗大ごみの出し方", "ask_garbage_item"))
    assert "ご案内できるのは千葉市のごみの出し方だけです。船橋市のルールは船橋市に" in reply.text


async def test_an_unknown_gas_cylinder_is_never_a_snowboard(tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("an unknown gas cylinder", "ask_garbage_item", lang="en"))
    assert "snowboard" not in reply.text.lower() and "スノーボード" not in json.dumps(reply.buttons, ensure_ascii=False)
    assert "Bulky waste (粗大ごみ)" not in reply.text


@pytest.mark.parametrize(
    ("text", "lang", "fragment"),
    [
        ("우산은 어떻게 버려요?", "ko", "(不燃ごみ)"),  # particle attached
        ("Tôi muốn vứt cái ô cũ", "vi", "(不燃ごみ)"),
        ("vut pin kho o dau", "vi", "(有害ごみ)"),  # no diacritics
    ],
)
async def test_items_inside_sentences_in_other_languages(
    text: str, lang: str, fragment: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", lang=lang))
    assert fragment in reply.text.splitlines()[0], reply.text


async def test_item_notes_are_in_the_residents_language(tracker_for: Any, run: Any) -> None:
    """The battery's instructions (a fire risk) used to be shown "(in Japanese)"."""
    reply = await run(ActionGarbageItem(), tracker_for("モバイルバッテリー", "ask_garbage_item", lang="en"))
    assert "(in Japanese)" not in reply.text
    assert "fire" in reply.text.lower()
