"""What the LINE channel does with one webhook event (runs in a background task after the webhook is acked).

Logs name event types and outcomes only: never message text, postback data or user ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.errors import GatewayError
from channels.forget import LINE_SENDER_PREFIX
from channels.line.api import LineApi, LineApiError
from channels.line.messages import LANGUAGE_MENU, SET_LANGUAGE_PREFIX, Message, build_reply, language_menu
from channels.line.rasa import LineAnswer
from channels.line.store import LineStore
from channels.line.texts import LANG_CODES, text
from settings import LineSettings

log = logging.getLogger("channels.line")

DEFAULT_LANG = "ja"
# Typed words that open the language menu (besides the rich menu's 言語/Language area).
_LANGUAGE_WORDS = frozenset({"言語", "language", "lang", "languages", "言語設定", "げんご"})

# (sender, message, lang) → Rasa's answer for the LINE channel.
AskRasa = Callable[[str, str, str], Awaitable[LineAnswer]]
# channels.forget.Forget: (sender id, line_user_id=...) → rows deleted per kind.
Forget = Callable[..., Awaitable[dict[str, int]]]


def profile_to_lang(tag: str | None) -> str:
    """A LINE profile's BCP 47 tag → a supported reply language (unsupported non-Japanese tags → English)."""
    if not tag:
        return DEFAULT_LANG
    primary = tag.replace("_", "-").split("-")[0].lower()
    if primary in LANG_CODES:
        return primary
    return {"fil": "tl", "in": "id"}.get(primary, "en")


class EventHandler:
    def __init__(
        self, settings: LineSettings, store: LineStore, api: LineApi, ask_rasa: AskRasa, forget: Forget | None = None
    ) -> None:
        self._settings = settings
        self._store = store
        self._api = api
        self._ask = ask_rasa
        self._forget = forget  # None: only the LINE store's own rows are deleted

    async def handle(self, event: Any) -> None:
        from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent, TextMessageContent, UnfollowEvent

        # Claimed before any work: a redelivery (same webhookEventId, also after a restart) is answered at most once.
        if not await self._store.claim_event(event.webhook_event_id):
            log.info("LINE %s event already handled (redelivery=%s)", event.type, event.delivery_context.is_redelivery)
            return
        user_id = getattr(event.source, "user_id", None)
        if isinstance(event, UnfollowEvent):
            if user_id:
                # Blocked: everything stored about the user goes (LINE sends no further event to tell them so).
                await self._forget_user(f"{LINE_SENDER_PREFIX}{user_id}", user_id)
            return
        if isinstance(event, FollowEvent):
            await self._on_follow(event, user_id)
        elif isinstance(event, MessageEvent):
            lang = await self._lang(user_id)
            if isinstance(event.message, TextMessageContent):
                await self._on_text(event, user_id, event.message.text, lang)
            else:
                await self._send(event, [{"type": "text", "text": text("non_text", lang)}])
        elif isinstance(event, PostbackEvent):
            await self._on_postback(event, user_id, event.postback.data)
        else:
            log.debug("LINE %s event skipped", event.type)

    async def _lang(self, user_id: str | None) -> str:
        return (await self._store.get_lang(user_id) if user_id else None) or DEFAULT_LANG

    async def _on_follow(self, event: Any, user_id: str | None) -> None:
        lang = DEFAULT_LANG
        if user_id:
            try:
                lang = profile_to_lang(await self._api.profile_language(user_id))
            except LineApiError as exc:
                log.warning("LINE profile unavailable (HTTP %d); using %s", exc.status, lang)
            await self._store.set_lang(user_id, lang)
        welcome: list[Message] = [{"type": "text", "text": text("welcome", lang)}, *language_menu(lang)]
        await self._send(event, welcome)

    async def _on_postback(self, event: Any, user_id: str | None, data: str) -> None:
        lang = await self._lang(user_id)
        if data == LANGUAGE_MENU:
            await self._send(event, language_menu(lang))
        elif data.startswith(SET_LANGUAGE_PREFIX):
            chosen = data.removeprefix(SET_LANGUAGE_PREFIX)
            if chosen not in LANG_CODES or not user_id:
                await self._send(event, language_menu(lang))
                return
            await self._store.set_lang(user_id, chosen)
            await self._send(event, [{"type": "text", "text": text("language_set", chosen)}])
        elif data.startswith("/"):
            await self._on_text(event, user_id, data, lang)  # Rasa reads /intent{...} payloads itself
        else:
            log.info("LINE postback with unknown data skipped")

    async def _on_text(self, event: Any, user_id: str | None, message: str, lang: str) -> None:
        if message.strip().lower() in _LANGUAGE_WORDS:
            await self._send(event, language_menu(lang))
            return
        sender = f"{LINE_SENDER_PREFIX}{_chat_id(event)}"
        answer = asyncio.ensure_future(self._ask(sender, message, lang))
        done, _ = await asyncio.wait({answer}, timeout=self._settings.loading_after)
        if not done and user_id and event.source.type == "user":  # the animation exists only in one-to-one chats
            await self._show_loading(user_id)
        try:
            reply = await answer
            messages = build_reply(reply, lang)
        except GatewayError as exc:
            log.warning("LINE answer unavailable: %s", exc.code)
            messages = [{"type": "text", "text": text("unavailable", lang)}]
        else:
            # "Forget me" confirmed: delete now that Rasa has saved the conversation; if that fails, the resident must
            # not read that it worked.
            if reply.get("forget_me") and not await self._forget_user(sender, user_id):
                messages = [{"type": "text", "text": text("unavailable", lang)}]
        if messages:
            await self._send(event, messages)

    async def _forget_user(self, sender: str, user_id: str | None) -> bool:
        """Delete what is stored about the chat `sender` and the LINE user; False (logged, type only) on failure."""
        try:
            if user_id:
                await self._store.forget_user(user_id)  # the LINE store may be a database of its own (CHIBA_LINE_DB)
            if self._forget is not None:
                await self._forget(sender, line_user_id=user_id)
        except Exception as exc:  # a database that cannot be reached: reported, never raised into the event task
            log.error("LINE forget failed: %s", type(exc).__name__)
            return False
        return True

    async def _show_loading(self, user_id: str) -> None:
        # Cosmetic: a failure here must not delay or block the answer.
        with contextlib.suppress(LineApiError):
            await self._api.show_loading(user_id, self._settings.loading_seconds)

    async def _send(self, event: Any, messages: list[Message]) -> None:
        """Reply through the event's reply token; if LINE refuses it (expired, used, invalid), push instead."""
        token = getattr(event, "reply_token", None)
        if token:
            try:
                await self._api.reply(token, messages)
                return
            except LineApiError as exc:
                log.info("LINE reply failed (HTTP %d); pushing instead", exc.status)
        await self._api.push(_chat_id(event), messages)


def _chat_id(event: Any) -> str:
    """Where answers go: the group or room the event came from, else the user."""
    source = event.source
    return getattr(source, "group_id", None) or getattr(source, "room_id", None) or getattr(source, "user_id", "") or ""
