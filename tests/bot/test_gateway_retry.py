"""A message re-sent because its Rasa server died while answering is answered once: from the stored conversation when
the dead server had stored the turn, else now (bot/gateway_channel.py; the gateway side is in channels/rasa_client.py).
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.gateway_channel import GatewayInput

SENDER = "web-4f1c"
SOURCE = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/sodai.html"


class Store:
    def __init__(self, tracker: DialogueStateTracker | None) -> None:
        self.tracker = tracker

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return self.tracker


class Agent:
    def __init__(self, tracker: DialogueStateTracker | None) -> None:
        self.tracker_store = Store(tracker)

    def is_ready(self) -> bool:
        return True


def stored_conversation() -> DialogueStateTracker:
    """A turn the dead server finished and stored: 'ソファを捨てたい' (m-1) with its two answers, then another turn."""
    sofa = {"name": "ask_garbage_item", "confidence": 0.97}
    return DialogueStateTracker.from_events(
        SENDER,
        [
            UserUttered("ソファを捨てたい", intent=sofa, message_id="m-1"),
            ActionExecuted("action_garbage_item"),
            BotUttered("ソファは粗大ごみです。", data={"buttons": [{"title": "申込", "payload": "/bulky"}]}),
            BotUttered(None, data={"custom": {"sources": [SOURCE]}}),
            ActionExecuted("action_listen"),
            UserUttered("ありがとう", intent={"name": "thank", "confidence": 0.99}, message_id="m-2"),
            BotUttered("どういたしまして。"),
        ],
    )


def post(body: dict[str, Any], agent: Agent, received: list[UserMessage]) -> tuple[int, dict[str, Any]]:
    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "今、答えました。"})

    handler = {r.uri: r.handler for r in GatewayInput().blueprint(on_new_message)._future_routes}["/webhook"]
    request = SimpleNamespace(body=json.dumps(body).encode(), app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))
    response = asyncio.run(handler(request))
    return response.status, json.loads(response.body)


def test_a_retry_of_a_stored_turn_gets_the_stored_answer_and_is_not_handled_again() -> None:
    received: list[UserMessage] = []
    body = {"sender": SENDER, "message": "ソファを捨てたい", "message_id": "m-1", "retry": True}
    status, reply = post(body, Agent(stored_conversation()), received)
    assert status == 200 and received == []
    assert reply["messages"] == [
        {"text": "ソファは粗大ごみです。", "buttons": [{"title": "申込", "payload": "/bulky"}]}
    ]
    assert reply["meta"] == {"intent": "ask_garbage_item", "confidence": 0.97, "fallback": False, "sources": [SOURCE]}


@pytest.mark.parametrize("tracker", [stored_conversation(), None], ids=["other turns stored", "nothing stored"])
def test_a_retry_of_a_turn_that_was_not_stored_is_answered_now(tracker: DialogueStateTracker | None) -> None:
    received: list[UserMessage] = []
    body = {"sender": SENDER, "message": "テレビを捨てたい", "message_id": "m-3", "retry": True}
    status, reply = post(body, Agent(tracker), received)
    assert status == 200 and reply["messages"] == [{"text": "今、答えました。"}]
    assert [m.message_id for m in received] == ["m-3"]


def test_a_first_attempt_is_never_looked_up_and_keeps_its_message_id() -> None:
    received: list[UserMessage] = []
    body = {"sender": SENDER, "message": "ソファを捨てたい", "message_id": "m-1"}  # same id, not a retry
    status, _ = post(body, Agent(stored_conversation()), received)
    assert status == 200 and [m.message_id for m in received] == ["m-1"]


@pytest.mark.parametrize(
    ("extra", "mentions"),
    [
        ({"message_id": ""}, "'message_id'"),
        ({"message_id": "x" * 65}, "'message_id'"),
        ({"message_id": 7}, "'message_id'"),
        ({"message_id": "m-1", "retry": "yes"}, "'retry'"),
        ({"retry": True}, "'message_id'"),
    ],
)
def test_a_malformed_delivery_is_a_json_400(extra: dict[str, Any], mentions: str) -> None:
    received: list[UserMessage] = []
    status, reply = post({"sender": SENDER, "message": "こんにちは", **extra}, Agent(None), received)
    assert status == 400 and mentions in reply["error"] and received == []
