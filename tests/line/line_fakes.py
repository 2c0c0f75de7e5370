"""A fake LINE Messaging API and a fake Rasa (gateway channel), both aiohttp apps served on loopback by the tests.

The fake LINE API records every request, checks the bearer token and LINE's documented limits (so a gateway
that breaks them gets the 400 the real platform would give), and can be told to fail the next calls to a path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from channels.line import LINE_CHANNEL

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
USER = "U0123456789abcdef0123456789abcdef"

REPLY, PUSH, LOADING = "/v2/bot/message/reply", "/v2/bot/message/push", "/v2/bot/chat/loading/start"
RICHMENU = "/v2/bot/richmenu"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeLine:
    requests: list[Recorded] = field(default_factory=list)
    profile_language: str | None = "ja"
    # path → queue of (status, headers) answered before the normal answer.
    failures: dict[str, deque[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def fail_next(self, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self.failures.setdefault(path, deque()).extend([(status, headers or {})] * times)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, path: str, count: int = 1) -> None:
        """Wait until `count` requests reached `path` (a safety timeout, not a speed assertion)."""
        async with asyncio.timeout(10):
            while len(self.calls(path)) < count:
                self.arrived.clear()
                await self.arrived.wait()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        self.arrived.set()
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Authentication failed"}, status=401)
        queue = self.failures.get(request.path)
        if queue:
            status, headers = queue.popleft()
            return web.json_response({"message": f"fake failure {status}"}, status=status, headers=headers)
        return self._answer(request, body)

    def _answer(self, request: web.Request, body: bytes) -> web.StreamResponse:
        path = request.path
        if path in (REPLY, PUSH):
            problem = _message_problem(json.loads(body).get("messages"))
            if problem:
                return web.json_response({"message": problem}, status=400)
            if path == PUSH and request.headers.get("X-Line-Retry-Key"):
                uuid.UUID(request.headers["X-Line-Retry-Key"])  # LINE requires a UUID
            return web.json_response({"sentMessages": [{"id": "1", "quoteToken": "q"}]})
        if path == LOADING:
            data = json.loads(body)
            if not (5 <= data.get("loadingSeconds", 20) <= 60 and data.get("loadingSeconds", 20) % 5 == 0):
                return web.json_response({"message": "bad loadingSeconds"}, status=400)
            return web.json_response({}, status=202)
        if path.startswith("/v2/bot/profile/"):
            profile = {"displayName": "市民", "userId": path.rsplit("/", 1)[1]}
            if self.profile_language is not None:
                profile["language"] = self.profile_language
            return web.json_response(profile)
        if path == RICHMENU and request.method == "POST":
            return web.json_response({"richMenuId": "richmenu-0001"})
        if path.startswith(RICHMENU + "/") and path.endswith("/content"):
            if request.headers.get("Content-Type") != "image/png":
                return web.json_response({"message": "bad content type"}, status=415)
            return web.json_response({})
        if path.startswith("/v2/bot/user/all/richmenu/"):
            return web.json_response({})
        return web.json_response({"message": "Not found"}, status=404)


def _message_problem(messages: Any) -> str | None:
    """LINE's documented limits for reply/push messages, as the real API enforces them."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "messages: must be 1-5"
    for m in messages:
        if m.get("type") == "text" and not 1 <= len(m.get("text", "")) <= 5000:
            return "text: must be 1-5000 characters"
        if m.get("type") == "flex" and not 1 <= len(m.get("altText", "")) <= 400:
            return "altText: must be 1-400 characters"
        items = (m.get("quickReply") or {}).get("items", [])
        if len(items) > 13:
            return "quickReply.items: at most 13"
        for item in items:
            action = item["action"]
            if len(action.get("label", "")) > 20 or len(action.get("data", "")) > 300:
                return "quick reply action too long"
    return None


@dataclass
class FakeRasa:
    requests: list[dict[str, Any]] = field(default_factory=list)
    # message → reply body; anything else is echoed as one text message.
    replies: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    # When set, every answer waits for this event first (a slow Rasa, released by the test).
    gate: asyncio.Event | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/gateway/webhook", self._webhook)
        return app

    async def _webhook(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.requests.append(payload)
        if self.gate is not None:
            await self.gate.wait()
        if self.status != 200:
            return web.json_response({"error": "down"}, status=self.status)
        body = self.replies.get(payload["message"]) or echo(payload["message"])
        return web.json_response(body)


def echo(message: str) -> dict[str, Any]:
    return {
        "messages": [{"text": f"回答：{message}"}],
        "meta": {"intent": "ask_garbage_item", "confidence": 0.9, "fallback": False, "sources": []},
    }


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False).encode()


def _event(kind: str, *, event_id: str | None, redelivery: bool, user: str, reply_token: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1_700_000_000_000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id or uuid.uuid4().hex.upper(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply_token:
        event["replyToken"] = reply_token
    return event


def message_event(
    content: dict[str, Any],
    *,
    event_id: str | None = None,
    redelivery: bool = False,
    user: str = USER,
    reply_token: str = "reply-token-1",
) -> dict[str, Any]:
    event = _event("message", event_id=event_id, redelivery=redelivery, user=user, reply_token=reply_token)
    event["message"] = {"id": "100001", "quoteToken": "quote", **content}
    return event


def text_event(text: str, **kwargs: Any) -> dict[str, Any]:
    return message_event({"type": "text", "text": text}, **kwargs)


STICKER = {"type": "sticker", "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC"}
IMAGE = {"type": "image", "contentProvider": {"type": "line"}}


def postback_event(data: str, *, user: str = USER, reply_token: str = "reply-token-pb") -> dict[str, Any]:
    event = _event("postback", event_id=None, redelivery=False, user=user, reply_token=reply_token)
    event["postback"] = {"data": data}
    return event


def follow_event(*, user: str = USER) -> dict[str, Any]:
    event = _event("follow", event_id=None, redelivery=False, user=user, reply_token="reply-token-follow")
    event["follow"] = {"isUnblocked": False}
    return event


def unfollow_event(*, user: str = USER) -> dict[str, Any]:
    return _event("unfollow", event_id=None, redelivery=False, user=user, reply_token=None)


async def post_events(client: TestClient, *events: dict[str, Any], signature: str | None = None) -> ClientResponse:
    """POST a signed webhook and wait until the gateway has handled its events."""
    body = webhook_body(*events)
    headers = {"Content-Type": "application/json", "X-Line-Signature": signature or sign(body)}
    resp = await client.post("/webhooks/line", data=body, headers=headers)
    await handled(client)
    return resp


async def handled(client: TestClient) -> None:
    channel = client.server.app.get(LINE_CHANNEL)
    if channel is not None:
        await channel.drain(timeout=10)
