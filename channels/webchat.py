"""Web chat: the JSON chat API (POST /api/chat), the page's own words (GET /api/ui/{lang}) and the page (GET /,
/static/*).

POST /api/chat `{"sender_id": str, "text": str, "lang"?: "auto" | code}` (the contract in ARCHITECTURE.md). The reply
language follows channels/language.py; a `text` that is a payload (`/intent{...}`, a button the assistant offered) is
never run through language detection: it is answered in `lang` when that is a code, else in the sender's current
language. The page sends, with a button's payload, the language of the answer the button came with (never "auto").

Text a resident types is text (channels/payload_guard.py): a `text` starting with "/" is sent to Rasa as a payload only
when it is the payload of a button the assistant offered to this sender (recorded with every reply that has buttons);
any other "/" text is disarmed and understood as a sentence. Each sender may send CHIBA_RATE_LIMIT_BURST messages at
once and CHIBA_RATE_LIMIT_PER_MINUTE after that; faster senders get 429 with Retry-After (channels/ratelimit.py).

`meta` may carry two optional fields besides the contract's (older clients ignore them): `area` {label, ward, name},
the town the answer is about — from the `{"type": "area"}` card action_collection_days sends, or the town chosen in
the page's picker (POST /api/area/choose, channels/area.py, which runs its turn through `answer_turn` with a payload
the gateway built itself) — and `source_labels` {url: label}, the label of each cited page that
knowledge_base/data/sources.yaml names, in the reply's language (`sources` itself is unchanged).

The page keeps its sender id and the transcript in the browser's storage (nothing more is stored here); "new
conversation" starts over with a new sender id, so Rasa starts with an empty conversation (no town, no item). The
earlier conversation stays in Rasa's tracker store as any conversation does."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, TypedDict

from aiohttp import web

from channels.errors import (
    BackendUnavailable,
    EmptyText,
    GatewayError,
    InvalidField,
    InvalidJSON,
    PayloadTooLarge,
    TextTooLong,
    UnsupportedMediaType,
)
from channels.forget import FORGETTER, LINE_SENDER_PREFIX, forget_requested
from channels.health import backends_answer
from channels.jsonutil import json_response
from channels.language import LANGUAGE_MEMORY, LanguageDecider, payload_language, validate_requested
from channels.openapi import add_openapi_route
from channels.payload_guard import PAYLOAD_GUARD, as_text, is_payload, setup_payload_guard
from channels.rasa_client import HTTP_SESSION, RASA_CLIENT, SETTINGS, ChatMessage, ChatMeta, parse_reply
from channels.ratelimit import check as check_rate_limit
from channels.ratelimit import setup_rate_limit
from translations import languages
from translations.ui import ui_strings

log = logging.getLogger("channels.webchat")

LANGUAGE_DECIDER = web.AppKey("language_decider", LanguageDecider)
MAX_SENDER_ID_CHARS = 128


class UnknownUiLanguage(GatewayError):
    """GET /api/ui/{lang} for a code that is not a reply language (nor an alias of one)."""

    status = 404
    code = "unsupported_language"


class ChatRequest(TypedDict):
    sender_id: str
    text: str
    lang: str | None  # None: the request had no `lang`, so the sender's remembered choice applies


class WebMeta(ChatMeta, total=False):
    area: AreaMeta  # the town the answer is about (the "my area" chip), see area_of
    source_labels: dict[str, str]  # url → label in the reply's language, for the sources that have one


class ChatResponse(TypedDict):
    lang: str
    messages: list[ChatMessage]
    meta: WebMeta


async def read_json_object(request: web.Request, max_bytes: int) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise UnsupportedMediaType()
    # Refuse a declared oversize body before reading it; chunked bodies are capped by client_max_size.
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(max_bytes=max_bytes)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(max_bytes=max_bytes) from exc
    try:
        body = json.loads(raw.decode(request.charset or "utf-8"))
    except (ValueError, LookupError) as exc:  # bad JSON, bad UTF-8 or an unknown charset
        raise InvalidJSON() from exc
    if not isinstance(body, dict):
        raise InvalidJSON()
    return body


def string_field(body: dict[str, Any], name: str, *, default: str | None = None) -> str:
    value = body.get(name, default)
    if value is None:
        raise InvalidField(f"Missing field {name!r}.", message_ja=f"項目 {name} がありません。", field=name)
    if not isinstance(value, str):
        raise InvalidField(
            f"Field {name!r} must be a string.", message_ja=f"項目 {name} は文字列にしてください。", field=name
        )
    return value


def parse_sender(body: dict[str, Any]) -> tuple[str, str | None]:
    """The sender id and the requested language (None: the request had none) of a chat-like request."""
    sender_id = string_field(body, "sender_id")
    lang = None if body.get("lang") is None else string_field(body, "lang")
    if not sender_id.strip() or len(sender_id) > MAX_SENDER_ID_CHARS:
        raise InvalidField(
            f"Field 'sender_id' must be 1-{MAX_SENDER_ID_CHARS} characters.",
            message_ja=f"sender_id は1〜{MAX_SENDER_ID_CHARS}文字にしてください。",
            field="sender_id",
        )
    if sender_id.startswith(LINE_SENDER_PREFIX):  # a LINE user's conversation (and data) is reachable only from LINE
        raise InvalidField(
            f"Field 'sender_id' must not start with '{LINE_SENDER_PREFIX}'.",
            message_ja=f"sender_id は「{LINE_SENDER_PREFIX}」で始めないでください。",
            field="sender_id",
        )
    return sender_id, None if lang is None else validate_requested(lang)


def parse_chat_request(body: dict[str, Any], max_text_chars: int) -> ChatRequest:
    sender_id, lang = parse_sender(body)
    text = string_field(body, "text").strip()
    if not text:
        raise EmptyText()
    if len(text) > max_text_chars:
        raise TextTooLong(
            f"The message is too long ({len(text)} characters). Please keep it under {max_text_chars}.",
            message_ja=f"メッセージが長すぎます（{len(text)}文字）。{max_text_chars}文字以内にしてください。",
            max_chars=max_text_chars,
        )
    return ChatRequest(sender_id=sender_id, text=text, lang=lang)


async def _offered(app: web.Application, sender_id: str, text: str) -> bool:
    """Whether `text` is the payload of a button the assistant offered to `sender_id` (see the module docstring)."""
    guard = app.get(PAYLOAD_GUARD)
    return guard is not None and await guard.was_offered(sender_id, text)


async def chat(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    chat_request = parse_chat_request(await read_json_object(request, settings.max_body_bytes), settings.max_text_chars)
    answer = await answer_turn(request, chat_request["sender_id"], chat_request["text"], chat_request["lang"])
    return json_response(answer)


async def town_turn(request: web.Request, body: dict[str, Any], payload: str, area: AreaMeta) -> web.Response:
    """POST /api/area/choose (channels/area.py): `payload` was built by the gateway from a row of the town table, so
    it runs as a payload without having been offered; `meta.area` is that town whatever the assistant answers."""
    sender_id, lang = parse_sender(body)
    answer = await answer_turn(request, sender_id, payload, lang, built_here=True)
    answer["meta"]["area"] = area
    return json_response(answer)


async def answer_turn(
    request: web.Request, sender_id: str, text: str, requested: str | None, *, built_here: bool = False
) -> ChatResponse:
    """One turn of the web chat. `built_here`: `text` is a payload the gateway built itself (never client text)."""
    settings, memory = request.app[SETTINGS], request.app[LANGUAGE_MEMORY]
    await check_rate_limit(request.app, "web", sender_id)
    user = await memory.load(sender_id)
    looks_like_payload = is_payload(text)
    offered = looks_like_payload and (built_here or await _offered(request.app, sender_id, text))
    if looks_like_payload and not offered:
        log.info("chat: a '/' message no offered button carries is answered as text")
    # A payload's JSON is no language, offered or typed: never let it reach detection (or a custom decider).
    if looks_like_payload:
        lang = payload_language(requested, user)
    else:
        lang = request.app[LANGUAGE_DECIDER](requested, text, user)
    await memory.record(sender_id, requested, lang, payload=looks_like_payload)
    body = await request.app[RASA_CLIENT].post(sender_id, text if offered else as_text(text), lang=lang, channel="web")
    reply = parse_reply(body)
    if not reply["messages"] and not await backends_answer(request.app[HTTP_SESSION], settings):
        # Rasa goes on without a custom action that failed and answers nothing: say "try again", not silence.
        raise BackendUnavailable()
    if forget_requested(body):
        await _forget(request, sender_id)
    elif (guard := request.app.get(PAYLOAD_GUARD)) is not None:
        # Recorded before the answer goes out: the resident may press a button the moment it appears.
        await guard.offer(sender_id, (b["payload"] for m in reply["messages"] for b in m.get("buttons", [])))
    meta = WebMeta(**reply["meta"])
    if (area := area_of(body)) is not None:
        meta["area"] = area
    if meta["sources"] and (labels := await source_labels(request.app, meta["sources"], lang)):
        meta["source_labels"] = labels
    # Metadata only: the message text and sender id stay out of the logs.
    log.info(
        "chat lang=%s chars=%d payload=%s intent=%s confidence=%.2f fallback=%s",
        lang, len(text), offered, meta["intent"] or "-", meta["confidence"], meta["fallback"],
    )  # fmt: skip
    return ChatResponse(lang=lang, messages=reply["messages"], meta=meta)


# ---- the town the assistant answered for (meta.area) --------------------------------------------------------------

MAX_AREA_CHARS = 64


class AreaMeta(TypedDict):
    label: str  # ward + town as printed in the official table: 中央区青葉町
    ward: str
    name: str


def area_of(body: Any) -> AreaMeta | None:
    """The town the assistant answered collection days for: the `{"type": "area"}` card the action sends
    (actions/garbage/collection_days.py; channels that draw cards, like LINE, skip this type)."""
    meta = body.get("meta") if isinstance(body, dict) else None
    cards = meta.get("cards") if isinstance(meta, dict) else None
    for card in reversed(cards if isinstance(cards, list) else []):
        if not isinstance(card, dict) or card.get("type") != "area":
            continue
        ward, name = card.get("ward"), card.get("town")
        if isinstance(ward, str) and isinstance(name, str) and 0 < len(ward + name) <= MAX_AREA_CHARS:
            return AreaMeta(label=ward + name, ward=ward, name=name)
    return None


# ---- source links by label (meta.source_labels) -------------------------------------------------------------------


class SourceLabels:
    """Labels of the pages the assistant cites (knowledge_base/data/sources.yaml): the publisher in the reply's
    language where the file translates it, then the page's title where known, else a short topic (Japanese).
    Read once, in a worker thread, on first use; a missing or broken file means no labels (the URLs are shown)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._table: dict[str, tuple[dict[str, str], str | None]] | None = None
        self._lock = asyncio.Lock()

    def _load(self) -> dict[str, tuple[dict[str, str], str | None]]:
        import yaml

        path = self._path
        if path is None:
            from settings import KnowledgeBaseSettings

            path = KnowledgeBaseSettings.from_env().data_dir / "sources.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.error("source labels unavailable (%s): links are shown by address", type(exc).__name__)
            return {}
        publishers = data.get("publishers") if isinstance(data, dict) else None
        sources = data.get("sources") if isinstance(data, dict) else None
        if not isinstance(publishers, dict) or not isinstance(sources, dict):
            log.error("source labels: %s needs 'publishers' and 'sources' mappings", path.name)
            return {}
        names = {
            key: (dict(value) if isinstance(value, dict) else {"ja": str(value)}) for key, value in publishers.items()
        }
        table: dict[str, tuple[dict[str, str], str | None]] = {}
        for url, entry in sources.items():
            if isinstance(url, str) and isinstance(entry, dict) and entry.get("publisher") in names:
                text = entry.get("title") or entry.get("topic")
                table[url] = (names[entry["publisher"]], str(text) if text else None)
        return table

    async def table(self) -> dict[str, tuple[dict[str, str], str | None]]:
        if self._table is None:
            async with self._lock:
                if self._table is None:
                    self._table = await asyncio.to_thread(self._load)
        return self._table

    async def labels(self, urls: list[str], lang: str) -> dict[str, str]:
        table = await self.table()
        return {url: label_text(*table[url], lang) for url in urls if url in table}


def label_text(publisher: dict[str, str], text: str | None, lang: str) -> str:
    """「千葉市：収集日の一覧」, "Chiba City: 収集日の一覧"; the publisher alone when there is no text."""
    japanese = lang in ("ja", "ja-easy")
    name = publisher.get(lang) or (publisher.get("ja") if japanese else publisher.get("en")) or publisher.get("ja", "")
    if not text:
        return name
    return f"{name}：{text}" if japanese else f"{name}: {text}"


SOURCE_LABELS = web.AppKey("source_labels", SourceLabels)


async def source_labels(app: web.Application, urls: list[str], lang: str) -> dict[str, str]:
    labels = app.get(SOURCE_LABELS)
    return {} if labels is None else await labels.labels(urls, lang)


class ForgetFailed(BackendUnavailable):
    """The resident confirmed "forget me" but the deletion failed: they must not read that it worked."""

    code = "forget_failed"
    message = "Your data could not be deleted just now. Please try again in a little while."
    message_ja = "いま、データを削除できませんでした。しばらくしてから、もう一度お試しください。"


async def _forget(request: web.Request, sender_id: str) -> None:
    """Rasa confirmed "forget me" (its reply carries {"forget_me": true}): delete the sender's data now that Rasa has
    saved the conversation. (The language this process remembers for the sender, a code only, expires by itself.)"""
    if sender_id.startswith(LINE_SENDER_PREFIX):
        # A web client may name any sender id: never let one erase a LINE user's data (LINE forgets through LINE).
        log.warning("forget me refused for a web sender id in the LINE namespace")
        raise ForgetFailed()
    try:
        await request.app[FORGETTER](sender_id)
        if (guard := request.app.get(PAYLOAD_GUARD)) is not None:
            await guard.forget(sender_id)
    except Exception as exc:  # a database that cannot be reached: say so instead of the confirmation
        log.error("forget me failed: %s", type(exc).__name__)
        raise ForgetFailed() from exc


async def ui(request: web.Request) -> web.Response:
    """The UI strings of one language (translations/ui/<lang>.yml, gaps filled from English, then Japanese)."""
    requested = request.match_info["lang"]
    code = languages.resolve(requested)  # pt-BR → pt, like the languages clients send elsewhere
    if code is None:
        supported = languages.codes()
        raise UnknownUiLanguage(
            f"Unknown language {requested[:20]!r}. Supported: {', '.join(supported)}.",
            message_ja=f"対応していない言語です。対応言語: {', '.join(supported)}",
            supported=list(supported),
        )
    return json_response(ui_strings(code))


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(request.app[SETTINGS].static_dir / "index.html")


def add_routes(app: web.Application, static_dir: Any) -> None:
    setup_payload_guard(app)
    if SOURCE_LABELS not in app:
        app[SOURCE_LABELS] = SourceLabels()
    setup_rate_limit(app)
    add_openapi_route(app)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/ui/{lang}", ui)
    app.router.add_get("/", index)
    app.router.add_static("/static/", static_dir, follow_symlinks=False)
