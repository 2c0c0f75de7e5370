"""`POST /webhooks/line`: signature first, 200 at once, events handled in tracked background tasks.

`setup_line(app)` adds the route and a cleanup_ctx that opens the store (storage/) and the LINE API client, and on
shutdown lets events in progress finish (up to `shutdown_grace` seconds) before cancelling the rest.

Before an event is handed on: text a user typed is text — a message starting with "/" is disarmed
(channels/payload_guard.py) so Rasa never runs it as an intent; postback data comes only from buttons and menus the
assistant itself sent, so it stays a payload. A user over the rate limit (channels/ratelimit.py) gets a polite
"please wait" reply in their language instead of an answer (LINE shows no status codes to anyone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from channels.errors import BadRequest, GatewayError, PayloadTooLarge
from channels.forget import FORGETTER
from channels.jsonutil import json_response
from channels.line.api import LineApi
from channels.line.handler import EventHandler, backend_probe
from channels.line.rasa import LineAnswer, ask_rasa
from channels.line.store import LineStore, line_database_url
from channels.payload_guard import as_text, is_payload
from channels.rasa_client import HTTP_SESSION, SETTINGS
from channels.ratelimit import RATE_LIMITER, bucket_key, setup_rate_limit, slow_down_text
from settings import GatewaySettings, LineSettings

log = logging.getLogger("channels.line")

WEBHOOK_ROUTE = "/webhooks/line"


class LineNotConfigured(GatewayError):
    status = 503
    code = "line_not_configured"
    message = "LINE is not configured"
    message_ja = "LINEは設定されていません。"


class InvalidSignature(BadRequest):
    code = "invalid_signature"
    message = "The X-Line-Signature header is missing or does not match the body."
    message_ja = "X-Line-Signature ヘッダーがないか、本文と一致しません。"


class LineChannel:
    """Runtime state of the LINE channel: parser, handler and the background tasks in flight."""

    def __init__(
        self,
        settings: LineSettings,
        handler: EventHandler,
        *,
        api: LineApi | None = None,
        store: LineStore | None = None,
    ) -> None:
        from linebot.v3 import WebhookParser

        self.parser = WebhookParser(settings.channel_secret)
        self.handler = handler
        self._api = api  # for the rate limit's "please wait" reply; None: over-limit events are dropped (logged)
        self._store = store
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, event: Any, *, accepted: bool = False) -> None:
        self._track(asyncio.create_task(self.handler.handle(event, accepted=accepted), name=f"line-{event.type}"))

    def spawn_slow_down(self, event: Any) -> None:
        self._track(asyncio.create_task(self._slow_down(event), name=f"line-{event.type}-limited"))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def _slow_down(self, event: Any) -> None:
        """Answer an event over the rate limit with "please wait" through its reply token (free; no push: a flood
        must not spend the channel's message quota)."""
        from channels.line.api import LineApiError

        token = getattr(event, "reply_token", None)
        if self._api is None or not token:
            log.info("LINE %s event over the rate limit dropped (no reply token)", event.type)
            return
        user_id = getattr(event.source, "user_id", None)
        lang = (await self._store.get_lang(user_id) if self._store is not None and user_id else None) or "ja"
        try:
            await self._api.reply(token, [{"type": "text", "text": slow_down_text(lang)}])
        except LineApiError as exc:
            log.info("LINE rate-limit reply failed (HTTP %d)", exc.status)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            # Type only: exception text can quote the message (e.g. a model validation error).
            log.error("LINE event task %s failed: %s", task.get_name(), type(exc).__name__)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every event received so far is handled (tasks may spawn none further)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self, grace: float) -> None:
        await self.drain(grace)
        pending = set(self._tasks)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("LINE: cancelled %d unfinished event(s) at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)


LINE_SETTINGS = web.AppKey("line_settings", LineSettings)
LINE_CHANNEL = web.AppKey("line_channel", LineChannel)


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The raw body (the signature covers its exact bytes), or None past `limit`.

    Read from the stream rather than request.read(), whose cap is the web chat's much smaller client_max_size.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error(error: GatewayError) -> web.Response:
    return json_response(error.body(), status=error.status)


async def line_webhook(request: web.Request) -> web.Response:
    from linebot.v3.exceptions import InvalidSignatureError

    channel = request.app.get(LINE_CHANNEL)
    if channel is None:
        return _error(LineNotConfigured())
    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        return _error(InvalidSignature())
    body = await _read_body(request, request.app[LINE_SETTINGS].max_body_bytes)
    if body is None:
        return _error(PayloadTooLarge())
    try:
        events = channel.parser.parse(body.decode("utf-8"), signature)
    except (InvalidSignatureError, UnicodeDecodeError):
        return _error(InvalidSignature())
    except (ValueError, KeyError, TypeError) as exc:
        # Signed by LINE but not a webhook body we can read: answer 400 rather than retry forever.
        log.warning("LINE webhook body unreadable: %s", type(exc).__name__)
        return _error(BadRequest())
    for event in events:
        _disarm_typed_payload(event)  # first: the event stored for a later replay is the disarmed one
        if await _over_rate_limit(request.app, event):
            channel.spawn_slow_down(event)
        elif await channel.handler.accept(event):
            # Stored before LINE hears 200, so a gateway killed now loses nothing. A database that is down makes
            # accept() raise: the middleware answers 500 and LINE redelivers later — nothing acknowledged unstored.
            channel.spawn(event, accepted=True)
        else:
            log.info("LINE %s event already handled (redelivery)", event.type)
    return json_response({})


def _disarm_typed_payload(event: Any) -> None:
    """A text message the user typed starting with "/" becomes text Rasa's NLU reads (never an intent)."""
    message = getattr(event, "message", None)
    text = getattr(message, "text", None) if getattr(event, "type", None) == "message" else None
    if isinstance(text, str) and is_payload(text):
        message.text = as_text(text)  # type: ignore[union-attr]
        log.info("LINE: a typed '/' message is answered as text")


# Events that ask the assistant something, and so count against the sender's rate limit.
_LIMITED_TYPES = frozenset({"message", "postback"})


async def _over_rate_limit(app: web.Application, event: Any) -> bool:
    limiter = app.get(RATE_LIMITER)
    if limiter is None or getattr(event, "type", None) not in _LIMITED_TYPES:
        return False
    source = event.source
    sender = getattr(source, "user_id", None) or getattr(source, "group_id", None) or getattr(source, "room_id", None)
    if not sender:
        return False
    wait = await limiter.acquire(bucket_key("line", sender))
    if wait > 0:
        log.info("LINE sender over the rate limit; retry after %.1fs", wait)
    return wait > 0


async def _line_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[LINE_SETTINGS]
    if not settings.configured:
        log.info("LINE channel not configured (LINE_CHANNEL_SECRET unset); /webhooks/line answers 503")
        yield
        return
    gateway = app.get(SETTINGS) or GatewaySettings.from_env()
    # Reuse the gateway's pooled session when it is already open; otherwise (setup order) bring our own.
    own_session = None if HTTP_SESSION in app else aiohttp.ClientSession()

    async def ask(sender: str, message: str, lang: str) -> LineAnswer:
        return await ask_rasa(own_session or app[HTTP_SESSION], gateway, sender, message, lang)

    store = LineStore(line_database_url(settings), event_ttl=settings.event_ttl_seconds)
    await store.open()
    api = LineApi(settings)
    handler = EventHandler(
        settings, store, api, ask, app.get(FORGETTER),
        backend_up=backend_probe(lambda: own_session or app[HTTP_SESSION], gateway),
    )  # fmt: skip
    channel = LineChannel(settings, handler, api=api, store=store)
    app[LINE_CHANNEL] = channel
    handler.start()  # answers events left waiting (a backend was down, or a gateway died) as soon as it can
    try:
        yield
    finally:
        await channel.close(settings.shutdown_grace)
        await handler.close()
        await api.close()
        await store.close()
        if own_session is not None:
            await own_session.close()


def setup_line(app: web.Application, settings: LineSettings | None = None) -> None:
    """Add the LINE webhook to `app`; settings from the environment unless given. Safe to call twice."""
    already = LINE_SETTINGS in app
    app[LINE_SETTINGS] = settings or (app[LINE_SETTINGS] if already else LineSettings.from_env())
    if already:
        return
    setup_rate_limit(app)
    app.router.add_post(WEBHOOK_ROUTE, line_webhook)
    app.cleanup_ctx.append(_line_ctx)
