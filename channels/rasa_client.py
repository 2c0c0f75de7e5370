"""Client for the Rasa `gateway` custom channel, sharing one aiohttp ClientSession per app.

Wire contract with bot/ (the custom channel):
  POST {RASA_URL}/webhooks/gateway/webhook {"sender", "message", "metadata": {"lang", "channel"}}
  → {"messages": [{"text", "buttons"?}], "meta": {"intent", "confidence", "fallback", "sources"}}
  GET {RASA_URL}/webhooks/gateway/health → 200 with a model loaded, else 503 ({"status": "loading"}, or
  {"status": "tracker_store_fallback"} when its tracker store lost its database).

Several Rasa servers (CHIBA_RASA_URLS, the scaled profile): each sender goes to one server, picked by rendezvous
hashing of the sender id over the server URLs — a stable hash, so every gateway process picks the same server, and
when a server leaves only its own senders move. Sticky routing keeps a conversation's turns on one server, so they
rarely wait for each other's lock (bot/lock_store.py keeps them correct when they do). A message the server never
received (connection refused or timed out while connecting, or 503 "no model loaded") goes to the sender's next
server, and that server is tried last for DOWN_SECONDS. A server that hung up while answering and then refuses
connections died with the message: it is sent again to the next server, marked as a retry with the same `message_id`,
and bot/gateway_channel.py answers it from the stored conversation if the dead server had stored the turn — nothing is
answered twice. A server that is still up after hanging up, or that did not answer in time, may still be handling the
message, so it is not sent again: the resident gets the usual polite error. Each message opens its own connection
(loopback or LAN: well under a millisecond), so a killed server shows as refused, never as a dead pooled connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, NotRequired, TypedDict

import aiohttp
from aiohttp import web

from channels.errors import BackendTimeout, BackendUnavailable, BadGateway
from settings import GatewaySettings, SettingsError

log = logging.getLogger("channels.rasa")

WEBHOOK_PATH = "/webhooks/gateway/webhook"
HEALTH_PATH = "/webhooks/gateway/health"
# Seconds a server that refused a message is tried only after the others (a restart by the supervisor takes a few).
DOWN_SECONDS = 5.0
_CLOSE = {"Connection": "close"}
# How long a server that hung up mid-answer is watched for refusing connections (a killed process takes a moment to go).
GONE_CHECKS, GONE_INTERVAL = 10, 0.05


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


def rasa_base_urls(settings: GatewaySettings) -> tuple[str, ...]:
    """The Rasa servers' base URLs: CHIBA_RASA_URLS (comma-separated) when set, else RASA_URL."""
    if not settings.rasa_urls:
        return (settings.rasa_base,)
    urls = tuple(dict.fromkeys(u.strip().rstrip("/") for u in settings.rasa_urls.split(",") if u.strip()))
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad or not urls:
        raise SettingsError(f"CHIBA_RASA_URLS must be comma-separated http(s) URLs, got {settings.rasa_urls!r}")
    return urls


def _weight(sender: str, base: str) -> bytes:
    # blake2b, not hash(): Python's string hash differs between processes, and every gateway must agree.
    return hashlib.blake2b(f"{base}\n{sender}".encode(), digest_size=8).digest()


def preference(sender: str, bases: Sequence[str]) -> list[str]:
    """The servers in the order `sender` tries them (rendezvous hashing: highest weight first)."""
    return sorted(bases, key=lambda base: _weight(sender, base), reverse=True)


class ServerHealth:
    """Which Rasa servers refused a message recently, in this process (a hint for ordering, never a reason to skip
    the only server left)."""

    def __init__(self, down_seconds: float = DOWN_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._down_seconds, self._clock = down_seconds, clock
        self._down_until: dict[str, float] = {}

    def mark_down(self, base: str) -> None:
        self._down_until[base] = self._clock() + self._down_seconds

    def mark_up(self, base: str) -> None:
        self._down_until.pop(base, None)

    def is_down(self, base: str) -> bool:
        until = self._down_until.get(base)
        return until is not None and until > self._clock()

    def order(self, sender: str, bases: Sequence[str]) -> list[str]:
        """The sender's preference, servers that refused recently moved to the end (in their preference order)."""
        preferred = preference(sender, bases)
        return [b for b in preferred if not self.is_down(b)] + [b for b in preferred if self.is_down(b)]


# Per process: RasaClient is also made per message (the LINE channel), and what one refused every caller should know.
SERVER_HEALTH = ServerHealth()


class _NotDelivered(Exception):
    """The server never took the message (refused, or no model yet): safe to send it to another server."""

    def __init__(self, error: BackendUnavailable, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


class _HungUp(Exception):
    """The server closed the connection before answering: it died with the message, or dropped it while up."""


class RasaClient:
    def __init__(
        self, session: aiohttp.ClientSession, settings: GatewaySettings, *, health: ServerHealth | None = None
    ) -> None:
        self._session = session
        self._bases = rasa_base_urls(settings)
        self._health = health or SERVER_HEALTH
        # A dead machine must not hold a message for the whole backend timeout before it is re-routed.
        connect = min(settings.health_timeout, settings.backend_timeout)
        self._timeout = aiohttp.ClientTimeout(total=settings.backend_timeout, sock_connect=connect)

    @property
    def servers(self) -> tuple[str, ...]:
        return self._bases

    def server_for(self, sender: str) -> str:
        """The server `sender`'s next message goes to first."""
        return self._health.order(sender, self._bases)[0]

    async def send(self, sender: str, message: str, *, lang: str, channel: str = "web") -> BotReply:
        return parse_reply(await self.post(sender, message, lang=lang, channel=channel))

    async def post(self, sender: str, message: str, *, lang: str, channel: str) -> Any:
        """Rasa's raw JSON reply (channels that draw more than text, like LINE's cards, read it themselves)."""
        payload: dict[str, Any] = {
            "sender": sender,
            "message": message,
            "metadata": {"lang": lang, "channel": channel},
            "message_id": uuid.uuid4().hex,
        }
        order = self._health.order(sender, self._bases)
        refused: BackendUnavailable | None = None
        for attempt, base in enumerate(order):
            number = f"{self._bases.index(base) + 1}/{len(self._bases)}"
            try:
                body = await self._post_once(base, payload)
            except _NotDelivered as exc:
                self._health.mark_down(base)
                refused = exc.error
                if attempt + 1 < len(order):
                    log.warning("rasa server %s %s; re-routing", number, exc.reason)
                continue
            except _HungUp as exc:
                if attempt + 1 == len(order) or not await self._gone(base):
                    # still up (it may be answering it), or no other server: the resident is asked to try again
                    log.warning("rasa server %s hung up while answering (%s); not sent again", number, exc)
                    raise BackendUnavailable() from exc
                self._health.mark_down(base)
                refused = BackendUnavailable()
                payload = {**payload, "retry": True}
                if attempt + 1 < len(order):
                    log.warning("rasa server %s died while answering; sending the message to the next server", number)
                continue
            self._health.mark_up(base)
            return body
        assert refused is not None  # the loop ran at least once and every failure that continues sets it
        log.warning("rasa unreachable: no server (%d) answered", len(order))
        raise refused

    async def _gone(self, base: str) -> bool:
        """Whether `base` refuses connections now (its process is gone), watched for a moment while it goes."""
        timeout = aiohttp.ClientTimeout(total=1.0)
        for _ in range(GONE_CHECKS):
            try:
                async with self._session.get(base + HEALTH_PATH, timeout=timeout, headers=_CLOSE):
                    pass
            except aiohttp.ClientConnectorError:
                return True
            except (TimeoutError, aiohttp.ClientError):
                pass  # still dying, or up and unwell: look again
            else:
                return False  # it answers: up, maybe still handling the message
            await asyncio.sleep(GONE_INTERVAL)
        return False

    async def _post_once(self, base: str, payload: dict[str, Any]) -> Any:
        try:
            # A fresh connection per message: a pooled one to a server killed since would fail in a way that cannot
            # be told apart from "died while answering", and then the message could not safely go to another server.
            async with self._session.post(
                base + WEBHOOK_PATH, json=payload, timeout=self._timeout, headers=_CLOSE
            ) as resp:
                if resp.status == 503:
                    raise _NotDelivered(BackendUnavailable(), "has no model loaded (503)")
                if resp.status != 200:
                    log.warning("rasa answered HTTP %d", resp.status)
                    raise BadGateway()
                try:
                    return await resp.json(content_type=None)
                except ValueError as exc:
                    log.warning("rasa answered a body that is not JSON")
                    raise BadGateway() from exc
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # never connected: the message cannot have reached the conversation
            raise _NotDelivered(BackendUnavailable(), f"unreachable ({type(exc).__name__})") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            raise _HungUp(type(exc).__name__) from exc
        except TimeoutError as exc:
            log.warning("rasa did not answer within %.1fs", self._timeout.total)
            raise BackendTimeout() from exc
        except aiohttp.ClientError as exc:
            log.warning("rasa unreachable: %s", type(exc).__name__)
            raise BackendUnavailable() from exc


async def rasa_server_states(
    session: aiohttp.ClientSession, settings: GatewaySettings, *, health: ServerHealth | None = None
) -> dict[str, str]:
    """Each Rasa server's health: "ok", "loading", "tracker_store_fallback", "unreachable", "timeout" or "http N".
    A server that does not answer is also marked down for routing."""
    health = health or SERVER_HEALTH
    timeout = aiohttp.ClientTimeout(total=settings.health_timeout)

    async def state(base: str) -> str:
        try:
            async with session.get(base + HEALTH_PATH, timeout=timeout) as resp:
                if resp.status == 200:
                    health.mark_up(base)
                    return "ok"
                try:
                    status = (await resp.json(content_type=None)).get("status")
                except (ValueError, AttributeError, aiohttp.ClientError):
                    status = None
                if resp.status == 503:  # the same words as the other /healthz probes unless Rasa said why
                    return str(status) if status in ("loading", "tracker_store_fallback") else "not ready (503)"
                return f"http {resp.status}"
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError:
            health.mark_down(base)
            return "unreachable"

    bases = rasa_base_urls(settings)
    return dict(zip(bases, await asyncio.gather(*(state(base) for base in bases)), strict=True))


def rasa_health_problem(states: dict[str, str]) -> str | None:
    """None when residents are served with their conversations: at least one server ready, and no server answering
    from an in-memory tracker (its residents would silently lose their conversation). Else a short public reason."""
    fallback = [base for base, state in states.items() if state == "tracker_store_fallback"]
    if fallback:
        return "tracker store fallback"
    if not any(state == "ok" for state in states.values()):
        return next(iter(states.values()), "no server") if len(states) == 1 else "no server ready"
    return None


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
