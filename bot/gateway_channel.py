"""Rasa input channel for the aiohttp gateway: one JSON request in, the bot's messages plus metadata out.

POST /webhooks/gateway/webhook  {"sender": str, "message": str, "metadata"?: {...}}
  -> 200 {"messages": [{"text": str, "buttons"?: [{"title", "payload"}]}],
          "meta": {"intent": str, "confidence": float, "fallback": bool, "sources": [url]}}
GET  /webhooks/gateway/health   -> 200 {"status": "ok"} once a model is loaded, else 503.

Actions send metadata as custom JSON (``dispatcher.utter_message(json_message={"sources": [...], "fallback": true})``);
it is merged into ``meta`` and never shown as a message. ``{"forget_me": true}`` (action_forget_me, once the resident
confirmed) becomes ``meta.forget_me``: the gateway deletes the sender's data after this reply (channels/forget.py).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

CHANNEL_NAME = "gateway"
MAX_MESSAGE_CHARS = 5000
# Intents that mean "the assistant could not help"; the gateway may then offer a human contact.
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


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


async def build_meta(agent: Any, sender: str, output: GatewayOutput) -> Meta:
    """Reads the intent the bot understood from the stored tracker and merges the actions' metadata."""
    intent, confidence = "", 0.0
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is not None:
        parsed = tracker.latest_message.intent or {}
        intent = parsed.get("name") or ""
        confidence = float(parsed.get("confidence") or 0.0)
    meta = Meta(
        intent=intent,
        confidence=confidence,
        fallback=output.fallback or intent in FALLBACK_INTENTS,
        sources=list(output.sources),
    )
    if output.cards:
        meta["cards"] = list(output.cards)
    if output.forget_me:
        meta["forget_me"] = True
    return meta


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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{CHANNEL_NAME}_webhook", __name__)

        @webhook.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if _agent_ready(request) is None:
                return _json({"status": "loading"}, status=503)
            return _json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_request(request.body)
            except GatewayRequestError as exc:
                return _error(exc.status, exc.message)
            agent = _agent_ready(request)
            if agent is None:
                return _error(503, "no model loaded yet")
            logger.debug("gateway message from %s: %s", sender, text)
            output = GatewayOutput()
            try:
                await on_new_message(UserMessage(text, output, sender, input_channel=CHANNEL_NAME, metadata=metadata))
                meta = await build_meta(agent, sender, output)
            except asyncio.CancelledError:
                logger.error("gateway message from %s timed out", sender)
                return _error(504, "the assistant timed out")
            except Exception:
                logger.exception("gateway message from %s failed", sender)
                return _error(500, "the assistant failed to handle the message")
            return _json({"messages": output.client_messages(), "meta": meta})

        return webhook
