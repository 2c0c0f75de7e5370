"""Client for the Rasa `gateway` custom channel, sharing one aiohttp ClientSession per app.

Wire contract with bot/ (the custom channel):
  POST {RASA_URL}/webhooks/gateway/webhook {"sender", "message", "metadata": {"lang", "channel"}}
  → {"messages": [{"text", "buttons"?}], "meta": {"intent", "confidence", "fallback", "sources"}}
  GET {RASA_URL}/webhooks/gateway/health → 200 with a model loaded, else 503.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from typing import Any, NotRequired, TypedDict

import aiohttp
from aiohttp import web

from channels.errors import BackendTimeout, BackendUnavailable, BadGateway
from settings import GatewaySettings

log = logging.getLogger("channels.rasa")

WEBHOOK_PATH = "/webhooks/gateway/webhook"
HEALTH_PATH = "/webhooks/gateway/health"


class Button(TypedDict):
    title: str
    payload: str


class ChatMessage(TypedDict):
    text: str
    buttons: NotRequired[list[Button]]


class ChatMeta(TypedDict):
    intent: str
    confidence: float
    fallback: bool
    sources: list[str]


class BotReply(TypedDict):
    messages: list[ChatMessage]
    meta: ChatMeta


class RasaClient:
    def __init__(self, session: aiohttp.ClientSession, settings: GatewaySettings) -> None:
        self._session = session
        self._url = settings.rasa_base + WEBHOOK_PATH
        self._timeout = aiohttp.ClientTimeout(total=settings.backend_timeout)

    async def send(self, sender: str, message: str, *, lang: str, channel: str = "web") -> BotReply:
        return parse_reply(await self.post(sender, message, lang=lang, channel=channel))

    async def post(self, sender: str, message: str, *, lang: str, channel: str) -> Any:
        """Rasa's raw JSON reply (channels that draw more than text, like LINE's cards, read it themselves)."""
        payload = {"sender": sender, "message": message, "metadata": {"lang": lang, "channel": channel}}
        try:
            async with self._session.post(self._url, json=payload, timeout=self._timeout) as resp:
                if resp.status == 503:
                    raise BackendUnavailable()
                if resp.status != 200:
                    log.warning("rasa answered HTTP %d", resp.status)
                    raise BadGateway()
                try:
                    body = await resp.json(content_type=None)
                except ValueError as exc:
                    log.warning("rasa answered a body that is not JSON")
                    raise BadGateway() from exc
        except TimeoutError as exc:
            log.warning("rasa did not answer within %.1fs", self._timeout.total)
            raise BackendTimeout() from exc
        except aiohttp.ClientError as exc:
            log.warning("rasa unreachable: %s", type(exc).__name__)
            raise BackendUnavailable() from exc
        return body


def parse_reply(body: Any) -> BotReply:
    """Validate Rasa's reply into the public shape; anything unreadable is a BadGateway."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        log.warning("rasa reply has no messages list")
        raise BadGateway()
    messages = [m for m in (_message(raw) for raw in body["messages"]) if m is not None]
    return {"messages": messages, "meta": _meta(body.get("meta"))}


def _message(raw: Any) -> ChatMessage | None:
    if not isinstance(raw, dict):
        return None
    text = raw.get("text") if isinstance(raw.get("text"), str) else ""
    buttons = [
        Button(title=b["title"], payload=b["payload"])
        for b in raw.get("buttons") or []
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)
    ]
    if not text and not buttons:
        return None  # images/custom payloads have no place in the public contract yet
    message = ChatMessage(text=text)
    if buttons:
        message["buttons"] = buttons
    return message


def _meta(raw: Any) -> ChatMeta:
    meta = raw if isinstance(raw, dict) else {}
    confidence = meta.get("confidence")
    if not isinstance(confidence, int | float) or isinstance(confidence, bool) or not math.isfinite(confidence):
        confidence = 0.0
    sources = meta.get("sources") if isinstance(meta.get("sources"), list) else []
    return ChatMeta(
        intent=meta["intent"] if isinstance(meta.get("intent"), str) else "",
        confidence=float(confidence),
        fallback=meta["fallback"] if isinstance(meta.get("fallback"), bool) else False,
        # Only web links: the page renders these as <a href>, so javascript: or data: URLs must never pass.
        sources=list(dict.fromkeys(s for s in sources if isinstance(s, str) and s.startswith(("https://", "http://")))),
    )


SETTINGS = web.AppKey("settings", GatewaySettings)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
RASA_CLIENT = web.AppKey("rasa_client", RasaClient)


async def http_session_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one pooled ClientSession for Rasa and the action server, closed on shutdown."""
    settings = app[SETTINGS]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100), raise_for_status=False)
    app[HTTP_SESSION] = session
    app[RASA_CLIENT] = RasaClient(session, settings)
    try:
        yield
    finally:
        await session.close()
        # Let the connector's transports close before the loop goes away (aiohttp's documented advice).
        await asyncio.sleep(0)
