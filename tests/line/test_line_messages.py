"""Rasa answers as LINE messages: quick replies, the 5-message and text limits, garbage-item Flex cards."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from line_fakes import REPLY, FakeLine, FakeRasa, post_events, text_event

from channels.line.messages import CATEGORIES_YAML, build_reply
from channels.line.rasa import parse_cards
from channels.line.texts import text

META = {"intent": "ask_garbage_item", "confidence": 0.9, "fallback": False, "sources": []}
CITY = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/hunengomi.html"


def category(category_id: str) -> dict[str, Any]:
    rows = yaml.safe_load(CATEGORIES_YAML.read_text(encoding="utf-8"))
    return next(r for r in rows if r["id"] == category_id)


async def answer(client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, body: dict[str, Any]) -> list[dict[str, Any]]:
    fake_rasa.replies["質問"] = body
    await post_events(client, text_event("質問"))
    [reply] = fake_line.calls(REPLY)  # the fake LINE API answers 400 to anything over LINE's limits
    return reply.json["messages"]


async def test_buttons_become_quick_replies(client: Any, fake_line: FakeLine, fake_rasa: FakeRasa) -> None:
    buttons = [
        {"title": "スプレー缶", "payload": '/ask_garbage_item{"item":"スプレー缶"}'},
        {"title": "乾電池", "payload": "乾電池"},
    ]
    [message] = await answer(
        client, fake_line, fake_rasa, {"messages": [{"text": "どれですか？", "buttons": buttons}], "meta": META}
    )
    assert message["quickReply"]["items"] == [
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": "スプレー缶",
                "data": '/ask_garbage_item{"item":"スプレー缶"}',
                "displayText": "スプレー缶",
            },
        },
        {"type": "action", "action": {"type": "message", "label": "乾電池", "text": "乾電池"}},
    ]


@pytest.mark.parametrize("count", [13, 14, 30])
async def test_at_most_13_quick_replies(client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, count: int) -> None:
    buttons = [{"title": f"町{i}", "payload": f'/inform_town{{"town":"町{i}"}}'} for i in range(count)]
    messages = await answer(
        client, fake_line, fake_rasa, {"messages": [{"text": "町は？", "buttons": buttons}], "meta": META}
    )
    items = messages[-1]["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == [f"町{i}" for i in range(13)]


async def test_buttons_spread_over_messages_are_offered_under_the_last_one(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    body = {
        "messages": [
            {"text": "一つ目", "buttons": [{"title": "A", "payload": "/a"}]},
            {"text": "二つ目", "buttons": [{"title": "B", "payload": "/b"}]},
        ],
        "meta": META,
    }
    first, last = await answer(client, fake_line, fake_rasa, body)
    assert "quickReply" not in first
    assert [i["action"]["data"] for i in last["quickReply"]["items"]] == ["/a", "/b"]


@pytest.mark.parametrize("count", [1, 5, 6, 9])
async def test_at_most_5_messages_and_no_text_is_lost(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, count: int
) -> None:
    texts = [f"メッセージ{i}" for i in range(count)]
    messages = await answer(client, fake_line, fake_rasa, {"messages": [{"text": t} for t in texts], "meta": META})
    assert len(messages) == min(count, 5)
    sent = "\n".join(m["text"] for m in messages)
    assert all(t in sent for t in texts)


async def test_long_text_is_cut_to_lines_limit(client: Any, fake_line: FakeLine, fake_rasa: FakeRasa) -> None:
    [message] = await answer(client, fake_line, fake_rasa, {"messages": [{"text": "あ" * 6000}], "meta": META})
    assert len(message["text"]) == 5000 and message["text"].endswith("…")


async def test_long_button_title_and_payload_stay_within_limits(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    buttons = [{"title": "とても長いボタンの名前です" * 3, "payload": "/ask_garbage_item" + "x" * 400}]
    [message] = await answer(
        client, fake_line, fake_rasa, {"messages": [{"text": "？", "buttons": buttons}], "meta": META}
    )
    [item] = message["quickReply"]["items"]
    assert len(item["action"]["label"]) == 20
    assert item["action"]["type"] == "message"  # a payload too long for postback data is sent as the title


def garbage_answer(**card: Any) -> dict[str, Any]:
    base = {
        "type": "garbage_item",
        "item": "スプレー缶",
        "category": "有害ごみ",
        "category_id": "yugai",
        "how": "中身を使い切り、穴は開けずに透明な袋に入れます。",
        "next_date": "6月12日(木)",
        "source": CITY,
    }
    return {
        "messages": [{"text": "「スプレー缶」は「有害ごみ」です。"}, {"text": "ほかに知りたい品目はありますか？"}],
        "meta": {**META, "sources": [CITY], "cards": [{**base, **card}]},
    }


async def test_item_answer_is_a_flex_card_in_the_category_colour(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    card, follow_up = await answer(client, fake_line, fake_rasa, garbage_answer())
    assert card["type"] == "flex"
    assert card["altText"] == "「スプレー缶」は「有害ごみ」です。"
    bubble = card["contents"]
    assert bubble["header"]["backgroundColor"] == category("yugai")["colour"]
    assert bubble["header"]["contents"][0]["text"] == "有害ごみ"
    body_texts = [c["text"] for c in bubble["body"]["contents"]]
    assert body_texts == [
        "スプレー缶",
        text("card_how", "ja"),
        "中身を使い切り、穴は開けずに透明な袋に入れます。",
        text("card_next", "ja"),
        "6月12日(木)",
    ]
    assert bubble["footer"]["contents"][0]["action"] == {"type": "uri", "label": text("card_source", "ja"), "uri": CITY}
    assert follow_up == {"type": "text", "text": "ほかに知りたい品目はありますか？"}


@pytest.mark.parametrize(
    ("overrides", "present", "absent"),
    [
        pytest.param({"next_date": None}, ["スプレー缶"], [text("card_next", "ja")], id="no-next-date"),
        pytest.param({"source": "javascript:alert(1)"}, [], [], id="unsafe-source"),
        pytest.param({"colour": "#2e7d32"}, [], [], id="explicit-colour"),
    ],
)
async def test_card_fields_are_optional_and_checked(
    client: Any,
    fake_line: FakeLine,
    fake_rasa: FakeRasa,
    overrides: dict[str, Any],
    present: list[str],
    absent: list[str],
) -> None:
    card, _ = await answer(client, fake_line, fake_rasa, garbage_answer(**overrides))
    bubble = card["contents"]
    body_texts = [c["text"] for c in bubble["body"]["contents"]]
    assert all(t in body_texts for t in present) and not any(t in body_texts for t in absent)
    if "source" in overrides:
        assert "footer" not in bubble
    if "colour" in overrides:
        assert bubble["header"]["backgroundColor"] == "#2e7d32"


async def test_card_labels_follow_the_users_language(client: Any, fake_line: FakeLine, fake_rasa: FakeRasa) -> None:
    from line_fakes import postback_event

    await post_events(client, postback_event("lang=en"))
    fake_line.requests.clear()
    card, _ = await answer(client, fake_line, fake_rasa, garbage_answer())
    labels = [c["text"] for c in card["contents"]["body"]["contents"]]
    assert text("card_how", "en") in labels


async def test_answer_without_cards_is_plain_text(client: Any, fake_line: FakeLine, fake_rasa: FakeRasa) -> None:
    body = garbage_answer()
    del body["meta"]["cards"]
    messages = await answer(client, fake_line, fake_rasa, body)
    assert [m["type"] for m in messages] == ["text", "text"]


@pytest.mark.parametrize(
    "cards",
    [
        "not a list",
        [{"type": "other", "item": "x", "category": "y"}],
        [{"type": "garbage_item", "item": "", "category": "y"}],
        [{"type": "garbage_item", "item": 3, "category": "y"}],
        ["string"],
    ],
)
def test_malformed_cards_are_dropped(cards: Any) -> None:
    assert parse_cards({"messages": [], "meta": {"cards": cards}}) == []


def test_many_cards_leave_room_for_the_follow_up_text() -> None:
    answer_ = {
        "reply": {"messages": [{"text": "答え"}, {"text": "続き"}], "meta": META},
        "cards": [
            {"type": "garbage_item", "item": f"品{i}", "category": "可燃ごみ", "category_id": "kanen"} for i in range(9)
        ],
    }
    messages = build_reply(answer_, "ja")  # type: ignore[arg-type]
    assert [m["type"] for m in messages] == ["flex"] * 4 + ["text"]
    assert messages[0]["contents"]["header"]["backgroundColor"] == category("kanen")["colour"]
