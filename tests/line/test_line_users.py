"""Per-user language (follow, language menu, unfollow), stickers and images, postbacks."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from line_fakes import (
    IMAGE,
    REPLY,
    STICKER,
    USER,
    FakeLine,
    FakeRasa,
    follow_event,
    message_event,
    post_events,
    postback_event,
    text_event,
    unfollow_event,
)

from channels.line.texts import LANGUAGES, text


def rasa_langs(fake_rasa: FakeRasa) -> list[str]:
    return [r["metadata"]["lang"] for r in fake_rasa.requests]


@pytest.mark.parametrize(
    ("profile_language", "lang"),
    [
        ("ja", "ja"),
        ("en", "en"),
        ("zh-Hans", "zh"),
        ("zh-TW", "zh"),
        ("pt-BR", "pt"),
        ("vi", "vi"),
        ("th", "en"),
        (None, "ja"),
    ],
)
async def test_follow_stores_the_profile_language_and_later_answers_use_it(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, profile_language: str | None, lang: str
) -> None:
    fake_line.profile_language = profile_language
    await post_events(client, follow_event())
    assert [r.path for r in fake_line.requests] == [f"/v2/bot/profile/{USER}", REPLY]
    welcome, menu = fake_line.calls(REPLY)[0].json["messages"]
    assert welcome["text"] == text("welcome", lang)
    assert len(menu["quickReply"]["items"]) == len(LANGUAGES)
    await post_events(client, text_event("電池"))
    assert rasa_langs(fake_rasa) == [lang]


async def test_follow_without_a_readable_profile_defaults_to_japanese(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    fake_line.fail_next(f"/v2/bot/profile/{USER}", 404)
    await post_events(client, follow_event())
    assert fake_line.calls(REPLY)[0].json["messages"][0]["text"] == text("welcome", "ja")


async def test_language_menu_offers_every_language_within_lines_limits(client: Any, fake_line: FakeLine) -> None:
    await post_events(client, postback_event("menu=language"))
    [message] = fake_line.calls(REPLY)[0].json["messages"]
    items = message["quickReply"]["items"]
    assert [i["action"]["data"] for i in items] == [f"lang={code}" for code, _ in LANGUAGES]
    assert "やさしい日本語" in [i["action"]["label"] for i in items]
    assert len(items) <= 13 and all(len(i["action"]["label"]) <= 20 for i in items)


@pytest.mark.parametrize("word", ["言語", "Language", "language "])
async def test_typing_language_opens_the_menu_without_asking_rasa(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, word: str
) -> None:
    await post_events(client, text_event(word))
    assert fake_rasa.requests == []
    assert "quickReply" in fake_line.calls(REPLY)[0].json["messages"][0]


@pytest.mark.parametrize("code", [code for code, _ in LANGUAGES])
async def test_choosing_a_language_is_confirmed_in_it_and_sent_to_rasa(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, code: str
) -> None:
    await post_events(client, postback_event(f"lang={code}"))
    assert fake_line.calls(REPLY)[0].json["messages"] == [{"type": "text", "text": text("language_set", code)}]
    await post_events(client, text_event("電池"))
    assert rasa_langs(fake_rasa) == [code]


async def test_unknown_language_code_shows_the_menu_again(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    await post_events(client, postback_event("lang=xx"))
    assert "quickReply" in fake_line.calls(REPLY)[0].json["messages"][0]
    await post_events(client, text_event("電池"))
    assert rasa_langs(fake_rasa) == ["ja"]


async def test_unfollow_deletes_everything_stored_about_the_user(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, line_settings: Any
) -> None:
    await post_events(client, postback_event("lang=ne"))
    await post_events(client, postback_event("lang=vi", user="Uother"))
    await post_events(client, unfollow_event())
    with sqlite3.connect(line_settings.db_path) as conn:
        assert conn.execute("SELECT user_id FROM line_users").fetchall() == [("Uother",)]
    await post_events(client, text_event("電池"))  # refollowed without a profile language: back to Japanese
    assert rasa_langs(fake_rasa) == ["ja"]


@pytest.mark.parametrize("content", [STICKER, IMAGE], ids=["sticker", "image"])
@pytest.mark.parametrize("lang", ["ja", "en", "ne"])
async def test_sticker_or_image_asks_for_the_item_name_as_text(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, content: dict[str, Any], lang: str
) -> None:
    await post_events(client, postback_event(f"lang={lang}"))
    await post_events(client, message_event(content, reply_token="t-sticker"))
    reply = fake_line.calls(REPLY)[-1].json
    assert reply["replyToken"] == "t-sticker"
    assert reply["messages"] == [{"type": "text", "text": text("non_text", lang)}]
    assert fake_rasa.requests == []


@pytest.mark.parametrize("data", ['/ask_garbage_item{"item":"スプレー缶"}', "/ask_collection_day"])
async def test_postback_payload_goes_to_rasa_as_the_message(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, data: str
) -> None:
    await post_events(client, postback_event(data, reply_token="t-pb"))
    assert [r["message"] for r in fake_rasa.requests] == [data]
    reply = fake_line.calls(REPLY)[0].json
    assert reply["replyToken"] == "t-pb"
    assert reply["messages"][0]["text"] == f"回答：{data}"


async def test_unknown_postback_is_ignored(client: Any, fake_line: FakeLine, fake_rasa: FakeRasa) -> None:
    await post_events(client, postback_event("something-else"))
    assert fake_rasa.requests == [] and fake_line.requests == []
