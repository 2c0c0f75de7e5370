"""Fake Rasa (gateway custom channel) and fake action server, served on loopback ports by the tests.

The fake action server runs the real rasa_sdk ActionExecutor, so the gateway's knowledge-base health call
is checked against rasa_sdk's own parsing of an action call.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

OK, DOWN_503, HANG, NOT_JSON, HTTP_500, BAD_SHAPE = "ok", "503", "hang", "not_json", "500", "bad_shape"

# make_client(decide_language=..., **Settings overrides) → a TestClient for a fresh gateway app.
MakeClient = Callable[..., Awaitable[TestClient]]

CITY_SOURCE = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/hunengomi.html"


def default_reply(message: str) -> dict[str, Any]:
    return {
        "messages": [
            {"text": f"「{message}」についての回答です。"},
            {
                "text": "どちらですか？",
                "buttons": [
                    {"title": "スプレー缶", "payload": '/ask_item{"item":"スプレー缶"}'},
                    {"title": "乾電池", "payload": "乾電池"},
                ],
            },
        ],
        "meta": {"intent": "ask_garbage_item", "confidence": 0.93, "fallback": False, "sources": [CITY_SOURCE]},
    }


@dataclass
class FakeBackend:
    """What the fakes do; tests flip these fields between requests."""

    rasa_mode: str = OK
    rasa_health: int = 200
    action_mode: str = OK
    kb_items: int = 640
    reply: dict[str, Any] | None = None  # None: default_reply(message)
    received: list[dict[str, Any]] = field(default_factory=list)
    action_calls: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # set at teardown so hanging handlers end


async def _misbehave(state: FakeBackend, mode: str) -> web.Response | None:
    if mode == DOWN_503:
        return web.json_response({"error": "no model"}, status=503)
    if mode == HANG:
        await state.release.wait()
        return web.json_response({}, status=200)
    if mode == NOT_JSON:
        return web.Response(text="<html>oops</html>", content_type="text/html")
    if mode == HTTP_500:
        return web.Response(text="Traceback (most recent call last): secret internals", status=500)
    return None


def fake_rasa_app(state: FakeBackend) -> web.Application:
    async def webhook(request: web.Request) -> web.Response:
        payload = await request.json()
        state.received.append(payload)
        if (bad := await _misbehave(state, state.rasa_mode)) is not None:
            return bad
        if state.rasa_mode == BAD_SHAPE:
            return web.json_response({"text": "no messages list"})
        return web.json_response(state.reply if state.reply is not None else default_reply(payload["message"]))

    async def health(_: web.Request) -> web.Response:
        if state.rasa_mode == HANG:
            await state.release.wait()
        return web.json_response({"status": "ok" if state.rasa_health == 200 else "no model"}, status=state.rasa_health)

    app = web.Application()
    app.router.add_post("/webhooks/gateway/webhook", webhook)
    app.router.add_get("/webhooks/gateway/health", health)
    return app


def fake_action_app(state: FakeBackend) -> web.Application:
    class KbHealth(Action):
        def name(self) -> str:
            return "action_kb_health"

        async def run(self, dispatcher, tracker, domain):
            dispatcher.utter_message(
                json_message={"kb": {"garbage.items": state.kb_items, "library.faq": 22, "garbage.towns": 261}}
            )
            return []

    executor = ActionExecutor()
    executor.register_action(KbHealth)

    async def health(_: web.Request) -> web.Response:
        if (bad := await _misbehave(state, state.action_mode)) is not None:
            return bad
        return web.json_response({"status": "ok"})

    async def webhook(request: web.Request) -> web.Response:
        call = await request.json()
        state.action_calls.append(call)
        if (bad := await _misbehave(state, state.action_mode)) is not None:
            return bad
        result = await executor.run(call)  # raises (→ 500) if rasa_sdk cannot read the call
        return web.json_response(result.model_dump() if result else None)

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_post("/webhook", webhook)
    return app


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
