"""Rasa input channel for the aiohttp gateway: one JSON request in, the bot's messages plus metadata out.

POST /webhooks/gateway/webhook  {"sender": str, "message": str, "metadata"?: {...}, "message_id"?: str, "retry"?: bool}
  -> 200 {"messages": [{"text": str, "buttons"?: [{"title", "payload"}]}],
          "meta": {"intent": str, "confidence": float, "fallback": bool, "sources": [url]}}
GET  /webhooks/gateway/health   -> 200 {"status": "ok"} once a model is loaded and the tracker store answers, else
  503 {"status": "loading"} or {"status": "tracker_store_fallback", "tracker_store": {...}}.

Actions send metadata as custom JSON (``dispatcher.utter_message(json_message={"sources": [...], "fallback": true})``);
it is merged into ``meta`` and never shown as a message. ``{"forget_me": true}`` (action_forget_me, once the resident
confirmed) becomes ``meta.forget_me``: the gateway deletes the sender's data after this reply (channels/forget.py).

`message_id` (from the gateway, one per resident message) is stored with the message in the tracker. A `retry` is the
same message sent again after the server it went to died while answering (channels/rasa_client.py): if that server had
stored the turn before dying, the stored answer is sent back instead of answering twice; otherwise it is answered now.

Rasa wraps the configured tracker store in a ``FailSafeTrackerStore``, which on a database error logs and carries on
with an in-memory tracker: the turn is answered from an empty conversation and kept only in this process. With several
servers that is a resident who silently loses their conversation, so ``TrackerStoreWatch`` records every such fallback
and /health answers 503 while the database does not answer a probe and for ``FALLBACK_HOLD_SECONDS`` after the last
fallback (the gateway's /healthz then fails). It also has SQL connections checked before use, so a PostgreSQL restart
costs no resident a turn (a stale pooled connection would otherwise fail the first turn after it), and it notes the
intent of the tracker the message processor saves, so `meta` needs no second read of the whole conversation (17 ms
for 10 turns, 63 ms for 50 from PostgreSQL) — and cannot pick up the intent of a newer message of the same sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypedDict

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.components import speedups

logger = logging.getLogger(__name__)

CHANNEL_NAME = "gateway"
MAX_MESSAGE_CHARS = 5000
# Intents that mean "the assistant could not help"; the gateway may then offer a human contact.
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# Seconds /health stays 503 after the tracker store last failed: the turns handled meanwhile were answered without
# their conversation and kept only in this process — an operator must hear of it even if the database came back at once.
FALLBACK_HOLD_SECONDS = 60.0
# Seconds for the tracker store's database to answer the health probe.
TRACKER_PROBE_SECONDS = 3.0
MESSAGE_ID_CHARS = 64
# The turn the webhook is handling ({"sender": ...}); the watched tracker store adds the "intent" it saved. Rasa's
# processor saves in the same task as the webhook awaits, so the context carries it there.
_TURN: ContextVar[dict[str, Any] | None] = ContextVar("gateway_turn", default=None)


class Button(TypedDict):
    title: str
    payload: str


class Meta(TypedDict, total=False):
    intent: str
    confidence: float
    fallback: bool
    sources: list[str]
    cards: list[dict[str, Any]]  # only when an action sent rich cards (the LINE channel draws them)
    forget_me: bool  # only when an action confirmed "forget me": the gateway then deletes the sender's data


class GatewayRequestError(Exception):
    """The request body is not a valid gateway message; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class GatewayOutput(CollectingOutputChannel):
    """Collects text/button messages; custom JSON from actions becomes metadata instead of a message."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.fallback = False
        # An action said the message was answered after all (a domain claimed a fallback message): not a fallback.
        self.answered = False
        self.cards: list[dict[str, Any]] = []
        self.forget_me = False

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        sources = json_message.get("sources") or []
        if isinstance(sources, str):
            sources = [sources]
        for url in sources:
            if isinstance(url, str) and url not in self.sources:
                self.sources.append(url)
        if json_message.get("fallback") is True:
            self.fallback = True
        elif json_message.get("fallback") is False:
            self.answered = True
        cards = json_message.get("cards") or []
        self.cards.extend(card for card in cards if isinstance(card, dict))
        if json_message.get("forget_me") is True:
            self.forget_me = True

    def client_messages(self) -> list[dict[str, Any]]:
        """The collected messages in the gateway's shape (text and optional buttons only)."""
        out: list[dict[str, Any]] = []
        for message in self.messages:
            text = message.get("text")
            buttons = [
                Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                for b in message.get("buttons") or []
            ]
            if text is None and not buttons:
                continue  # images/attachments: no action of ours sends them
            item: dict[str, Any] = {"text": text or ""}
            if buttons:
                item["buttons"] = buttons
            out.append(item)
        return out


def parse_request(body: bytes) -> tuple[str, str, dict[str, Any]]:
    """Validates the JSON body; returns (sender, message, metadata) or raises GatewayRequestError."""
    try:
        data = json.loads(body or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GatewayRequestError(400, "body must be JSON") from exc
    if not isinstance(data, dict):
        raise GatewayRequestError(400, "body must be a JSON object")
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise GatewayRequestError(400, "'sender' must be a non-empty string")
    if not isinstance(text, str) or not text.strip():
        raise GatewayRequestError(400, "'message' must be a non-empty string")
    if len(text) > MAX_MESSAGE_CHARS:
        raise GatewayRequestError(413, f"'message' is longer than {MAX_MESSAGE_CHARS} characters")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise GatewayRequestError(400, "'metadata' must be a JSON object")
    return sender, text, metadata


def parse_delivery(body: bytes) -> tuple[str | None, bool]:
    """(message_id, retry) of a body parse_request accepted; GatewayRequestError when they are malformed."""
    data = json.loads(body)
    message_id, retry = data.get("message_id"), data.get("retry", False)
    if message_id is not None and not (
        isinstance(message_id, str) and 0 < len(message_id) <= MESSAGE_ID_CHARS and message_id.isascii()
    ):
        raise GatewayRequestError(400, f"'message_id' must be a string of 1-{MESSAGE_ID_CHARS} ASCII characters")
    if not isinstance(retry, bool):
        raise GatewayRequestError(400, "'retry' must be true or false")
    if retry and message_id is None:
        raise GatewayRequestError(400, "a 'retry' needs the 'message_id' of the first attempt")
    return message_id, retry


async def stored_answer(agent: Any, sender: str, message_id: str) -> tuple[GatewayOutput, Meta] | None:
    """The answer this conversation already holds for message `message_id` (its bot messages, replayed through a
    fresh output channel, and the intent it was understood as), or None when the message was never stored."""
    tracker = await agent.tracker_store.retrieve(sender)
    events = list(tracker.events) if tracker is not None else []
    found = [i for i, e in enumerate(events) if isinstance(e, UserUttered) and e.message_id == message_id]
    if not found:
        return None
    output = GatewayOutput()
    for event in events[found[-1] + 1 :]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            await output.send_response(sender, event.message())  # as Rasa's processor sends it
    return output, await build_meta(agent, sender, output, dict(events[found[-1]].intent or {}))


async def build_meta(agent: Any, sender: str, output: GatewayOutput, parsed: dict[str, Any] | None = None) -> Meta:
    """The intent the bot understood (`parsed`, as the tracker store saw it saved, else read from the stored tracker)
    with the actions' metadata merged in."""
    if parsed is None:
        tracker = await agent.tracker_store.retrieve(sender)
        parsed = (tracker.latest_message.intent or {}) if tracker is not None else {}
    intent = parsed.get("name") or ""
    confidence = float(parsed.get("confidence") or 0.0)
    meta = Meta(
        intent=intent,
        confidence=confidence,
        fallback=output.fallback or (intent in FALLBACK_INTENTS and not output.answered),
        sources=list(output.sources),
    )
    if output.cards:
        meta["cards"] = list(output.cards)
    if output.forget_me:
        meta["forget_me"] = True
    return meta


class TrackerStoreWatch:
    """Notices Rasa's fail-safe tracker store falling back to memory, and probes the store's database."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._watched: Any = None
        self.fallbacks = 0
        self.last_fallback: float | None = None
        self.last_error = ""

    def attach(self, agent: Any) -> None:
        """Hook into the agent's FailSafeTrackerStore (once per store; the agent may load a new model and store)."""
        store = getattr(agent, "tracker_store", None)
        if store is None or store is self._watched or not hasattr(store, "_on_tracker_store_error"):
            return
        store._on_tracker_store_error = self.record
        store.save = _noting_intent(store.save)
        primary = getattr(store, "_tracker_store", None)
        # A local SQLite file has no stale connections to find; a database server's pool may (a restart).
        if not speedups.tune_sqlite_store(primary) and getattr(primary, "engine", None) is not None:
            _ping_before_use(primary.engine)
        speedups.cache_trackers(primary)
        self._watched = store

    def record(self, error: Exception) -> None:
        """FailSafeTrackerStore's error callback (replaces its own log line, so it must log)."""
        self.fallbacks += 1
        self.last_fallback = self._clock()
        self.last_error = type(error).__name__
        logger.error(
            "tracker store failed (%s): Rasa falls back to an in-memory tracker, this turn is not stored; "
            "/health reports 503",
            self.last_error,
        )

    async def problem(self, agent: Any) -> dict[str, Any] | None:
        """None while the tracker store is sound, else what /health reports about it."""
        self.attach(agent)
        probe = await _probe(getattr(getattr(agent, "tracker_store", None), "_tracker_store", None))
        recent = self.last_fallback is not None and self._clock() - self.last_fallback < FALLBACK_HOLD_SECONDS
        if probe is None and not recent:
            return None
        report: dict[str, Any] = {"database": probe or "ok", "fallbacks": self.fallbacks}
        if self.last_fallback is not None:
            report["seconds_since_fallback"] = round(self._clock() - self.last_fallback, 1)
            report["error"] = self.last_error
        return report


def _noting_intent(save: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    async def save_and_note(tracker: Any) -> None:
        await save(tracker)
        turn = _TURN.get()
        if turn is not None and turn.get("sender") == tracker.sender_id:
            turn["intent"] = dict(tracker.latest_message.intent or {})

    return save_and_note


def _ping_before_use(engine: Any) -> None:
    """Test every pooled connection when it is taken, as `pool_pre_ping` would — Rasa creates the engine without it."""
    from sqlalchemy import event

    if not event.contains(engine.pool, "checkout", _ping_on_checkout):
        event.listen(engine.pool, "checkout", _ping_on_checkout)


def _ping_on_checkout(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """SQLAlchemy's pool checkout event: raising DisconnectionError makes the pool open a fresh connection."""
    from sqlalchemy import exc

    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
    except Exception as error:
        raise exc.DisconnectionError(type(error).__name__) from error
    finally:
        # a dead connection may not close its cursor either; it is being discarded anyway
        with contextlib.suppress(Exception):
            cursor.close()


async def _probe(primary: Any) -> str | None:
    """None when the primary store's database answers SELECT 1, else a short reason. Stores without an SQL engine
    (in-memory, fakes in tests) are not probed."""
    engine = getattr(primary, "engine", None)
    if engine is None:
        return None

    def select_one() -> None:
        from sqlalchemy import text

        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        # the driver call blocks: keep it off Sanic's event loop, which is answering residents
        await asyncio.wait_for(asyncio.to_thread(select_one), TRACKER_PROBE_SECONDS)
    except asyncio.TimeoutError:
        return "timeout"
    except Exception as error:
        return f"unreachable ({type(error).__name__})"
    return None


def _agent_ready(request: Request) -> Any | None:
    agent = getattr(request.app.ctx, "agent", None)
    return agent if agent is not None and agent.is_ready() else None


def _json(body: Any, status: int = 200) -> HTTPResponse:
    # Readable UTF-8 instead of \\u escapes; both are valid JSON.
    return response.json(body, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))


def _error(status: int, message: str) -> HTTPResponse:
    return _json({"error": message}, status=status)


class GatewayInput(InputChannel):
    """The channel the gateway posts to (credentials.yml: ``bot.gateway_channel.GatewayInput: {}``)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        if credentials:
            raise ValueError(f"The '{CHANNEL_NAME}' channel takes no credentials, got keys {sorted(credentials)}.")
        return cls()

    def __init__(self) -> None:
        self.tracker_watch = TrackerStoreWatch()
        speedups.install()  # the server this channel runs in stops redoing constant work per turn

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{CHANNEL_NAME}_webhook", __name__)

        @webhook.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            agent = _agent_ready(request)
            if agent is None:
                return _json({"status": "loading"}, status=503)
            problem = await self.tracker_watch.problem(agent)
            if problem is not None:
                return _json({"status": "tracker_store_fallback", "tracker_store": problem}, status=503)
            return _json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_request(request.body)
                message_id, retry = parse_delivery(request.body)
            except GatewayRequestError as exc:
                return _error(exc.status, exc.message)
            agent = _agent_ready(request)
            if agent is None:
                return _error(503, "no model loaded yet")
            self.tracker_watch.attach(agent)
            logger.debug("gateway message from %s: %s", sender, text)
            output = GatewayOutput()
            try:
                if retry and message_id is not None and (stored := await stored_answer(agent, sender, message_id)):
                    logger.warning("a re-sent message was answered before its server died: its answer is replayed")
                    output, meta = stored
                    return _json({"messages": output.client_messages(), "meta": meta})
                message = UserMessage(
                    text, output, sender, input_channel=CHANNEL_NAME, metadata=metadata, message_id=message_id
                )
                turn: dict[str, Any] = {"sender": sender}
                token = _TURN.set(turn)
                try:
                    await on_new_message(message)
                finally:
                    _TURN.reset(token)
                meta = await build_meta(agent, sender, output, turn.get("intent"))
            except asyncio.CancelledError:
                logger.error("gateway message from %s timed out", sender)
                return _error(504, "the assistant timed out")
            except Exception:
                logger.exception("gateway message from %s failed", sender)
                return _error(500, "the assistant failed to handle the message")
            return _json({"messages": output.client_messages(), "meta": meta})

        return webhook
