"""The gateway input channel: request validation, collected messages, merged metadata, health."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from sanic.response import HTTPResponse

from bot.gateway_channel import GatewayInput, GatewayOutput, GatewayRequestError, parse_request

Handler = Callable[..., Awaitable[HTTPResponse]]


class FakeTrackerStore:
    def __init__(self, intent: dict[str, Any] | None) -> None:
        self.intent = intent

    async def retrieve(self, sender_id: str) -> Any:
        if self.intent is None:
            return None
        return SimpleNamespace(latest_message=SimpleNamespace(intent=self.intent))


class FakeAgent:
    def __init__(self, intent: dict[str, Any] | None = None, ready: bool = True) -> None:
        self.tracker_store = FakeTrackerStore(intent)
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready


def bot_replying(*responses: dict[str, Any], received: list[UserMessage] | None = None):
    """An on_new_message callback that answers with the given Rasa responses, like the message processor."""

    async def on_new_message(message: UserMessage) -> None:
        if received is not None:
            received.append(message)
        for reply in responses:
            await message.output_channel.send_response(message.sender_id, dict(reply))

    return on_new_message


def routes(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> dict[str, Handler]:
    blueprint = GatewayInput.from_credentials(None).blueprint(on_new_message)
    return {route.uri: route.handler for route in blueprint._future_routes}


def request(body: bytes | str, agent: FakeAgent | None) -> Any:
    ctx = SimpleNamespace(agent=agent) if agent is not None else SimpleNamespace()
    raw = body.encode() if isinstance(body, str) else body
    return SimpleNamespace(body=raw, app=SimpleNamespace(ctx=ctx))


def post(body: Any, agent: FakeAgent | None, on_new_message=None) -> tuple[int, dict[str, Any]]:
    handler = routes(on_new_message or bot_replying())["/webhook"]
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    response = asyncio.run(handler(request(raw, agent)))
    return response.status, json.loads(response.body)


GREETING = {"sender": "u1", "message": "こんにちは", "metadata": {"lang": "ja", "channel": "web"}}


def test_text_and_buttons_reach_the_resident() -> None:
    replies = (
        {"text": "スプレー缶は「有害ごみ」です。"},
        {"text": "どの町にお住まいですか？", "buttons": [{"title": "青葉町", "payload": "/inform_town", "x": 1}]},
    )
    status, body = post(GREETING, FakeAgent({"name": "ask_garbage_item", "confidence": 0.97}), bot_replying(*replies))

    assert status == 200
    assert body["messages"] == [
        {"text": "スプレー缶は「有害ごみ」です。"},
        {"text": "どの町にお住まいですか？", "buttons": [{"title": "青葉町", "payload": "/inform_town"}]},
    ]
    assert body["meta"] == {"intent": "ask_garbage_item", "confidence": 0.97, "fallback": False, "sources": []}


def test_custom_json_becomes_meta_not_a_message() -> None:
    url_a, url_b = "https://www.city.chiba.jp/a.html", "https://www.city.chiba.jp/b.html"
    replies = (
        {"text": "答え"},
        {"custom": {"sources": [url_a, url_b]}},
        {"custom": {"sources": [url_b, url_a], "fallback": True}},
    )
    status, body = post(GREETING, FakeAgent({"name": "ask_garbage_rule", "confidence": 0.8}), bot_replying(*replies))

    assert status == 200
    assert body["messages"] == [{"text": "答え"}]
    assert body["meta"]["sources"] == [url_a, url_b]  # deduplicated, first-seen order
    assert body["meta"]["fallback"] is True


def test_a_confirmed_forget_me_reaches_the_gateway_in_meta() -> None:
    replies = ({"text": "データを削除しました。"}, {"custom": {"forget_me": True}})
    status, body = post(GREETING, FakeAgent({"name": "affirm", "confidence": 0.9}), bot_replying(*replies))

    assert status == 200
    assert body["messages"] == [{"text": "データを削除しました。"}]
    assert body["meta"]["forget_me"] is True
    _, plain = post(GREETING, FakeAgent({"name": "affirm", "confidence": 0.9}), bot_replying({"text": "はい"}))
    assert "forget_me" not in plain["meta"]


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope"])
def test_a_fallback_message_a_domain_answered_is_not_a_fallback(intent: str) -> None:
    replies = (
        {"text": "ボタン電池は協力店へ"},
        {"custom": {"fallback": False, "sources": ["https://www.city.chiba.jp/x"]}},
    )
    _, body = post(GREETING, FakeAgent({"name": intent, "confidence": 0.4}), bot_replying(*replies))

    assert body["meta"]["intent"] == intent
    assert body["meta"]["fallback"] is False


@pytest.mark.parametrize(
    ("intent", "fallback"),
    [("nlu_fallback", True), ("out_of_scope", True), ("greet", False), ("ask_collection_day", False)],
)
def test_fallback_flag_follows_the_understood_intent(intent: str, fallback: bool) -> None:
    _, body = post(GREETING, FakeAgent({"name": intent, "confidence": 0.4}), bot_replying({"text": "…"}))

    assert body["meta"]["intent"] == intent
    assert body["meta"]["fallback"] is fallback


def test_metadata_and_sender_are_passed_to_rasa() -> None:
    received: list[UserMessage] = []
    post(GREETING, FakeAgent({"name": "greet", "confidence": 1.0}), bot_replying(received=received))

    assert len(received) == 1
    assert received[0].sender_id == "u1"
    assert received[0].text == "こんにちは"
    assert received[0].metadata == {"lang": "ja", "channel": "web"}
    assert received[0].input_channel == "gateway"


@pytest.mark.parametrize(
    ("body", "status", "mentions"),
    [
        ("{not json", 400, "JSON"),
        (b"\xff\xfe", 400, "JSON"),
        ("[1, 2]", 400, "object"),
        ({"message": "こんにちは"}, 400, "sender"),
        ({"sender": "", "message": "こんにちは"}, 400, "sender"),
        ({"sender": "u1"}, 400, "message"),
        ({"sender": "u1", "message": "   "}, 400, "message"),
        ({"sender": "u1", "message": 42}, 400, "message"),
        ({"sender": "u1", "message": "ごみ", "metadata": ["ja"]}, 400, "metadata"),
        ({"sender": "u1", "message": "ご" * 5001}, 413, "longer"),
    ],
)
def test_bad_requests_get_a_json_error(body: Any, status: int, mentions: str) -> None:
    received: list[UserMessage] = []
    got_status, got = post(body, FakeAgent({"name": "greet", "confidence": 1.0}), bot_replying(received=received))

    assert got_status == status
    assert mentions in got["error"]
    assert received == []  # nothing reached the dialogue engine


def test_message_before_the_model_is_loaded_is_refused() -> None:
    status, body = post(GREETING, FakeAgent(ready=False))

    assert status == 503
    assert "error" in body


def test_failure_inside_rasa_is_a_json_500() -> None:
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("boom")

    status, body = post(GREETING, FakeAgent({"name": "greet", "confidence": 1.0}), broken)

    assert status == 500
    assert "boom" not in body["error"]  # no internals leak to the client


@pytest.mark.parametrize(("agent", "status"), [(FakeAgent(), 200), (FakeAgent(ready=False), 503), (None, 503)])
def test_health_reports_whether_a_model_is_loaded(agent: FakeAgent | None, status: int) -> None:
    handler = routes(bot_replying())["/health"]
    response = asyncio.run(handler(request(b"", agent)))

    assert response.status == status
    assert (json.loads(response.body)["status"] == "ok") is (status == 200)


def test_parse_request_keeps_metadata_and_defaults_it() -> None:
    assert parse_request(b'{"sender": "a", "message": "b"}') == ("a", "b", {})
    with pytest.raises(GatewayRequestError) as err:
        parse_request(b"")
    assert err.value.status == 400


def test_output_channel_accepts_a_single_source_string() -> None:
    output = GatewayOutput()
    asyncio.run(output.send_custom_json("u1", {"sources": "https://www.city.chiba.jp/x.html"}))

    assert output.sources == ["https://www.city.chiba.jp/x.html"]
    assert output.client_messages() == []


def test_channel_rejects_unexpected_credentials() -> None:
    with pytest.raises(ValueError, match="gateway"):
        GatewayInput.from_credentials({"token": "x"})
