"""`POST /webhooks/line`: signature first, 200 at once, events handled in tracked background tasks.

`setup_line(app)` adds the route and a cleanup_ctx that opens the store (storage/) and the LINE API client, and on
shutdown lets events in progress finish (up to `shutdown_grace` seconds) before cancelling the rest.
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
from channels.line.handler import EventHandler
from channels.line.rasa import LineAnswer, ask_rasa
from channels.line.store import LineStore, line_database_url
from channels.rasa_client import HTTP_SESSION, SETTINGS
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

    def __init__(self, settings: LineSettings, handler: EventHandler) -> None:
        from linebot.v3 import WebhookParser

        self.parser = WebhookParser(settings.channel_secret)
        self.handler = handler
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, event: Any) -> None:
        task = asyncio.create_task(self.handler.handle(event), name=f"line-{event.type}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

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
        channel.spawn(event)
    return json_response({})


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
    channel = LineChannel(settings, EventHandler(settings, store, api, ask, app.get(FORGETTER)))
    app[LINE_CHANNEL] = channel
    try:
        yield
    finally:
        await channel.close(settings.shutdown_grace)
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
    app.router.add_post(WEBHOOK_ROUTE, line_webhook)
    app.cleanup_ctx.append(_line_ctx)
