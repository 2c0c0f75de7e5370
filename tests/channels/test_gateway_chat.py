"""POST /api/chat happy paths: what a resident's browser receives when everything works."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import CITY_SOURCE, FakeBackend


async def ask(client: TestClient, text: str = "スプレー缶はどう捨てますか", **extra: Any) -> dict[str, Any]:
    resp = await client.post("/api/chat", json={"sender_id": "resident-1", "text": text, **extra})
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


async def test_answer_has_contract_shape(client: TestClient) -> None:
    body = await ask(client, lang="ja")
    assert set(body) == {"lang", "messages", "meta"}
    assert body["lang"] == "ja"
    assert body["messages"][0]["text"] == "「スプレー缶はどう捨てますか」についての回答です。"
    assert body["meta"] == {
        "intent": "ask_garbage_item",
        "confidence": 0.93,
        "fallback": False,
        "sources": [CITY_SOURCE],
        "source_labels": {CITY_SOURCE: "千葉市：不燃ごみ・有害ごみ"},
    }


async def test_buttons_pass_through_unchanged(client: TestClient) -> None:
    body = await ask(client)
    assert "buttons" not in body["messages"][0]
    assert body["messages"][1]["buttons"] == [
        {"title": "スプレー缶", "payload": '/ask_item{"item":"スプレー缶"}'},
        {"title": "乾電池", "payload": "乾電池"},
    ]


@pytest.mark.parametrize(
    ("requested", "answered"),
    [(None, "ja"), ("auto", "ja"), ("AUTO", "ja"), ("ja", "ja"), ("en", "en"), ("ja-easy", "ja-easy"), ("ne", "ne")],
)
async def test_language_forwarded_to_rasa(
    client: TestClient, backend: FakeBackend, requested: str | None, answered: str
) -> None:
    body = await ask(client, **({} if requested is None else {"lang": requested}))
    assert body["lang"] == answered
    assert backend.received[-1]["metadata"] == {"lang": answered, "channel": "web"}


async def test_rasa_gets_sender_and_trimmed_text(client: TestClient, backend: FakeBackend) -> None:
    await ask(client, "  　乾電池\n")
    assert backend.received[-1]["sender"] == "resident-1"
    assert backend.received[-1]["message"] == "乾電池"


async def test_text_of_exactly_the_limit_is_accepted(client: TestClient) -> None:
    await ask(client, "あ" * 2000)


async def test_charset_parameter_on_content_type_is_accepted(client: TestClient) -> None:
    resp = await client.post(
        "/api/chat",
        data='{"sender_id": "r", "text": "粗大ごみ"}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert resp.status == 200


@pytest.mark.parametrize(
    ("rasa_reply", "messages", "meta"),
    [
        pytest.param(
            {"messages": [{"text": "はい"}]},
            [{"text": "はい"}],
            {"intent": "", "confidence": 0.0, "fallback": False, "sources": []},
            id="meta-missing",
        ),
        pytest.param(
            {
                "messages": [{"image": "https://x/y.png"}, {"text": "A", "buttons": [{"title": 1}]}, "junk"],
                "meta": {"intent": "nlu_fallback", "confidence": "high", "fallback": True,
                         "sources": ["javascript:alert(1)", CITY_SOURCE, CITY_SOURCE, 7]},
            },
            [{"text": "A"}],
            {
                "intent": "nlu_fallback",
                "confidence": 0.0,
                "fallback": True,
                "sources": [CITY_SOURCE],
                "source_labels": {CITY_SOURCE: "千葉市：不燃ごみ・有害ごみ"},
            },
            id="unsafe-and-odd-parts-dropped",
        ),
    ],
)  # fmt: skip
async def test_rasa_reply_is_sanitised(
    client: TestClient, backend: FakeBackend, rasa_reply: dict[str, Any], messages: list[Any], meta: dict[str, Any]
) -> None:
    backend.reply = rasa_reply
    body = await ask(client)
    assert body["messages"] == messages
    assert body["meta"] == meta


async def test_japanese_is_sent_as_utf8_not_escapes(client: TestClient) -> None:
    resp = await client.post("/api/chat", json={"sender_id": "r", "text": "乾電池"})
    assert "回答です" in await resp.text()


@pytest.mark.parametrize("rasa_mode", ["ok", "503"])
async def test_logs_hold_no_message_text_or_sender(
    client: TestClient, backend: FakeBackend, caplog: pytest.LogCaptureFixture, rasa_mode: str
) -> None:
    backend.rasa_mode = rasa_mode
    caplog.set_level("DEBUG", logger="channels")
    await client.post("/api/chat", json={"sender_id": "yamada-taro", "text": "電話は090-1234-5678です"})
    assert "POST /api/chat" in caplog.text
    for private in ("yamada-taro", "090-1234-5678", "電話"):
        assert private not in caplog.text
