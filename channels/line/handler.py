"""What the LINE channel does with one webhook event (runs in a background task after the webhook is acked).

Nothing lost, nothing answered twice (issue 12 §2). Every event is first *accepted* into the store with its JSON
(`accept`; the webhook should call it before it answers LINE 200, so a gateway killed right after the 200 loses
nothing). Then it is answered; the life of an event is in storage/line_pending.py:
- Rasa or the action server down (no answer, 5xx, time-out, or an empty answer while a probe says a backend is
  down): the resident is told at once, politely and in their language, that the answer comes as soon as the assistant
  is back; the event waits, and the replay loop (`start`) answers it then, by push.
- A chat's events are answered in order: an event arriving while an earlier one of the same chat still waits goes
  behind it.
- Rasa's answer is stored before it is sent, so a gateway that dies while sending leaves the same answer to be
  delivered (by push under a retry key derived from the event id, which LINE delivers at most once), not a second
  question to Rasa.

Logs name event types and outcomes only: never message text, postback data or user ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

from channels.errors import GatewayError
from channels.forget import LINE_SENDER_PREFIX
from channels.line.api import LineApi, LineApiError
from channels.line.messages import LANGUAGE_MENU, SET_LANGUAGE_PREFIX, Message, build_reply, language_menu
from channels.line.rasa import LineAnswer
from channels.line.store import LineStore
from channels.line.texts import LANG_CODES, text
from settings import GatewaySettings, LineReplaySettings, LineSettings

log = logging.getLogger("channels.line")

DEFAULT_LANG = "ja"
# Typed words that open the language menu (besides the rich menu's 言語/Language area).
_LANGUAGE_WORDS = frozenset({"言語", "language", "lang", "languages", "言語設定", "げんご"})
# The held-event notice ("we will answer here as soon as we are back"); until the UI catalogue has it, the general
# "not available right now" string is used.
ANSWER_LATER_KEY = "line.answer_later"
# Retry keys of late pushes: uuid5(namespace, event id), the same for every attempt by any gateway.
_RETRY_NAMESPACE = uuid.UUID("6f1c1f64-5a43-4a4e-9b7e-0c6f3d1f1a20")
# A replayed event that fails this many times while the backends look up is answered with an apology and closed.
MAX_REPLAY_ATTEMPTS = 10
# Events replayed at the same time (each is one chat's oldest).
_REPLAY_CONCURRENCY = 8

# (sender, message, lang) → Rasa's answer for the LINE channel.
AskRasa = Callable[[str, str, str], Awaitable[LineAnswer]]
# channels.forget.Forget: (sender id, line_user_id=...) → rows deleted per kind.
Forget = Callable[..., Awaitable[dict[str, int]]]
# True when Rasa and the action server answer their health checks.
BackendUp = Callable[[], Awaitable[bool]]


class BackendDown(Exception):
    """Rasa or the action server cannot answer now: the event waits for a replay."""


def profile_to_lang(tag: str | None) -> str:
    """A LINE profile's BCP 47 tag → a supported reply language (unsupported non-Japanese tags → English)."""
    if not tag:
        return DEFAULT_LANG
    primary = tag.replace("_", "-").split("-")[0].lower()
    if primary in LANG_CODES:
        return primary
    return {"fil": "tl", "in": "id"}.get(primary, "en")


def retry_key(event_id: str) -> str:
    return str(uuid.uuid5(_RETRY_NAMESPACE, event_id))


def answer_later_text(lang: str) -> str:
    from translations.ui import UnknownUiKey, ui_text

    try:
        return ui_text(ANSWER_LATER_KEY, lang)
    except UnknownUiKey:
        return text("unavailable", lang)


class EventHandler:
    def __init__(
        self,
        settings: LineSettings,
        store: LineStore,
        api: LineApi,
        ask_rasa: AskRasa,
        forget: Forget | None = None,
        *,
        replay: LineReplaySettings | None = None,
        backend_up: BackendUp | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._api = api
        self._ask = ask_rasa
        self._forget = forget  # None: only the LINE store's own rows are deleted
        self._replay = replay or LineReplaySettings.from_env()
        # None: replays are simply tried (each failure waits again); an empty answer is checked against the
        # backends of the environment's GatewaySettings.
        self._backend_up = backend_up
        self._wake = asyncio.Event()
        self._held = False  # some event was held since the replay loop last found none: wake it when one is done
        self._replayer: asyncio.Task[None] | None = None
        self._chat_locks: dict[str, list[Any]] = {}  # chat id → [asyncio.Lock, users]

    # --- lifecycle ---------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the replay loop (idempotent; needs a running event loop)."""
        if self._replayer is None or self._replayer.done():
            self._replayer = asyncio.get_running_loop().create_task(self._replay_loop(), name="line-replay")

    async def close(self) -> None:
        task, self._replayer = self._replayer, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- receiving ---------------------------------------------------------------------------------------------------

    async def accept(self, event: Any) -> bool:
        """Record the event (with what is needed to answer it later); False for a redelivery already recorded."""
        return await self._store.accept(
            event.webhook_event_id,
            chat_id=_chat_id(event) or None,
            payload=event.to_json() if _needs_answer(event) else None,  # nothing to keep for an unfollow
        )

    async def handle(self, event: Any, *, accepted: bool = False) -> None:
        """Answer one event; `accepted`: the webhook already called accept() for it."""
        self.start()
        chat = _chat_id(event)
        # One chat's events one after the other, in the order they arrived (asyncio.Lock is first come, first served).
        async with self._chat_lock(chat):
            # Accepted before any work: a redelivery (same webhookEventId, also after a restart) is answered at most
            # once.
            if not accepted and not await self.accept(event):
                log.info(
                    "LINE %s event already handled (redelivery=%s)", event.type, event.delivery_context.is_redelivery
                )
                return
            # (An unfollow needs no answer and acts at once: it deletes the held events too.)
            if chat and _needs_answer(event) and await self._store.earlier_waiting(event.webhook_event_id, chat):
                # An earlier event of this chat waits for the backend: this one is answered after it.
                await self._store.wait(event.webhook_event_id)
                self._held = True
                return
            await self._answer(event, late=False)

    @contextlib.asynccontextmanager
    async def _chat_lock(self, chat: str) -> AsyncIterator[None]:
        entry = self._chat_locks.setdefault(chat, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if not entry[1]:
                del self._chat_locks[chat]

    async def _answer(self, event: Any, *, late: bool) -> bool:
        """Work out the answer, store it, deliver it, close the event; False when it is left for later.
        `late`: a replay (the reply token is spent or stale: the answer is pushed)."""
        event_id = event.webhook_event_id
        try:
            messages = await self._compose(event, late=late)
        except BackendDown:
            await self._store.wait(event_id)
            self._held = True
            if not late:
                await self._tell_answer_later(event)
            return False
        if messages:
            await self._store.answered(event_id, json.dumps(messages, ensure_ascii=False))
            try:
                await self._deliver(event, messages, late=late)
            except LineApiError as exc:
                # Stays 'sending' with its answer: delivered by push when the lease runs out. A refusal that retries
                # cannot cure (401: revoked token, 403) needs an operator: an error, not a warning.
                level = logging.ERROR if 400 <= exc.status < 500 and exc.status != 429 else logging.WARNING
                log.log(level, "LINE answer not delivered (HTTP %d); kept to deliver later", exc.status)
                return False
        await self._store.done(event_id)
        if self._held:
            self._wake.set()  # the chat's next held event can go now, not at the next round
        return True

    async def _compose(self, event: Any, *, late: bool) -> list[Message]:
        from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent, TextMessageContent, UnfollowEvent

        user_id = getattr(event.source, "user_id", None)
        if isinstance(event, UnfollowEvent):
            if user_id:
                # Blocked: everything stored about the user goes (LINE sends no further event to tell them so).
                await self._forget_user(f"{LINE_SENDER_PREFIX}{user_id}", user_id)
            return []
        if isinstance(event, FollowEvent):
            return await self._on_follow(user_id)
        if isinstance(event, MessageEvent):
            lang = await self._lang(user_id)
            if isinstance(event.message, TextMessageContent):
                return await self._on_text(event, user_id, event.message.text, lang, late=late)
            return [{"type": "text", "text": text("non_text", lang)}]
        if isinstance(event, PostbackEvent):
            return await self._on_postback(event, user_id, event.postback.data, late=late)
        log.debug("LINE %s event skipped", event.type)
        return []

    async def _lang(self, user_id: str | None) -> str:
        return (await self._store.get_lang(user_id) if user_id else None) or DEFAULT_LANG

    async def _on_follow(self, user_id: str | None) -> list[Message]:
        lang = DEFAULT_LANG
        if user_id:
            try:
                lang = profile_to_lang(await self._api.profile_language(user_id))
            except LineApiError as exc:
                log.warning("LINE profile unavailable (HTTP %d); using %s", exc.status, lang)
            await self._store.set_lang(user_id, lang)
        return [{"type": "text", "text": text("welcome", lang)}, *language_menu(lang)]

    async def _on_postback(self, event: Any, user_id: str | None, data: str, *, late: bool) -> list[Message]:
        lang = await self._lang(user_id)
        if data == LANGUAGE_MENU:
            return language_menu(lang)
        if data.startswith(SET_LANGUAGE_PREFIX):
            chosen = data.removeprefix(SET_LANGUAGE_PREFIX)
            if chosen not in LANG_CODES or not user_id:
                return language_menu(lang)
            await self._store.set_lang(user_id, chosen)
            return [{"type": "text", "text": text("language_set", chosen)}]
        if data.startswith("/"):
            return await self._on_text(event, user_id, data, lang, late=late)  # Rasa reads /intent{...} payloads
        log.info("LINE postback with unknown data skipped")
        return []

    async def _on_text(self, event: Any, user_id: str | None, message: str, lang: str, *, late: bool) -> list[Message]:
        if message.strip().lower() in _LANGUAGE_WORDS:
            return language_menu(lang)
        sender = f"{LINE_SENDER_PREFIX}{_chat_id(event)}"
        answer = asyncio.ensure_future(self._ask(sender, message, lang))
        done, _ = await asyncio.wait({answer}, timeout=self._settings.loading_after)
        # The animation exists only in one-to-one chats; a late answer is a push the resident is not waiting on.
        if not done and not late and user_id and event.source.type == "user":
            await self._show_loading(user_id)
        try:
            reply = await answer
        except GatewayError as exc:
            log.warning("LINE answer unavailable: %s", exc.code)
            raise BackendDown from None
        messages = build_reply(reply, lang)
        if not messages and not reply.get("forget_me"):
            # Rasa goes on without a failed custom action and answers nothing: the action server is down (answer
            # later), or an action failed (never leave the resident in silence: apologise).
            if not await self._backends_up(default=_env_backends_up):
                log.warning("LINE answer empty while a backend is down")
                raise BackendDown
            log.error("LINE answer empty with every backend up (a custom action failed?); apologising")
            return [{"type": "text", "text": text("unavailable", lang)}]
        # "Forget me" confirmed: delete now that Rasa has saved the conversation; if that fails, the resident must
        # not read that it worked.
        if reply.get("forget_me") and not await self._forget_user(sender, user_id):
            return [{"type": "text", "text": text("unavailable", lang)}]
        return messages

    async def _backends_up(self, default: BackendUp | None = None) -> bool:
        probe = self._backend_up or default
        if probe is None:
            return True
        try:
            return await probe()
        except Exception as exc:  # a probe that fails is a backend that is down, never a failed event
            log.warning("LINE backend probe failed: %s", type(exc).__name__)
            return False

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

    async def _tell_answer_later(self, event: Any) -> None:
        """The polite notice for a held event, through its reply token only (a failed notice is not pushed: the
        answer itself follows)."""
        token = getattr(event, "reply_token", None)
        if not token:
            return
        lang = await self._lang(getattr(event.source, "user_id", None))
        with contextlib.suppress(LineApiError):
            await self._api.reply(token, [{"type": "text", "text": answer_later_text(lang)}])

    async def _deliver(self, event: Any, messages: list[Message], *, late: bool) -> None:
        """Reply through the event's reply token; if LINE refuses it (expired, used, invalid), or the answer is late,
        push under the event's own retry key, so LINE delivers it once however often it is tried."""
        token = getattr(event, "reply_token", None)
        if token and not late:
            try:
                await self._api.reply(token, messages)
                return
            except LineApiError as exc:
                log.info("LINE reply failed (HTTP %d); pushing instead", exc.status)
        await self._api.push(_chat_id(event), messages, retry_key=retry_key(event.webhook_event_id))

    # --- replaying held events ---------------------------------------------------------------------------------------

    async def _replay_loop(self) -> None:
        interval = self._replay.replay_interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()
            try:
                if await self.replay_due():
                    self._wake.set()  # more may be waiting behind the ones just answered
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database that cannot be reached: tried again next round
                if not self._store.is_open:
                    return  # the app is shutting down (its cleanup closed the store first)
                log.error("LINE replay round failed: %s", type(exc).__name__)

    async def replay_due(self) -> int:
        """Answer the events that wait (and those a dead gateway left); returns how many were answered."""
        given_up = await self._store.give_up(self._replay.max_age_seconds)
        if given_up:
            log.error("LINE: %d event(s) unanswered after %.0f s given up", given_up, self._replay.max_age_seconds)
        due = await self._store.due()
        if not due:
            self._held = await self._store.open_count() > 0
            return 0
        backends_up = await self._backends_up()
        semaphore = asyncio.Semaphore(_REPLAY_CONCURRENCY)

        async def one(event_id: str, has_answer: bool) -> bool:
            if not has_answer and not backends_up:
                return False  # only stored answers can go out while Rasa is down
            async with semaphore:
                return await self._replay_one(event_id)

        results = await asyncio.gather(*(one(row.event_id, row.answer is not None) for row in due))
        return sum(results)

    async def _replay_one(self, event_id: str) -> bool:
        from linebot.v3.webhooks import Event

        row = await self._store.take(event_id)
        if row is None:
            return False  # another gateway took it, or it was answered meanwhile
        if row.payload is None:
            await self._store.done(event_id)
            return False
        event = Event.from_json(row.payload)
        if row.answer is not None:
            messages: list[Message] = json.loads(row.answer)
            try:
                await self._deliver(event, messages, late=True)
            except LineApiError as exc:
                log.warning("LINE late answer not delivered (HTTP %d); tried again later", exc.status)
                return False
            await self._store.done(event_id)
            log.info("LINE %s event answered late (stored answer)", event.type)
            return True
        if row.attempts > MAX_REPLAY_ATTEMPTS:
            lang = await self._lang(getattr(event.source, "user_id", None))
            log.error("LINE %s event failed %d times; answered with an apology", event.type, row.attempts)
            await self._store.answered(event_id, json.dumps([{"type": "text", "text": text("unavailable", lang)}]))
            with contextlib.suppress(LineApiError):
                await self._deliver(event, [{"type": "text", "text": text("unavailable", lang)}], late=True)
                await self._store.done(event_id)
            return False
        answered = await self._answer(event, late=True)
        if answered:
            log.info("LINE %s event answered late (attempt %d)", event.type, row.attempts)
        return answered


def backend_probe(session: Callable[[], aiohttp.ClientSession], gateway: GatewaySettings) -> BackendUp:
    """A BackendUp over the gateway's own /healthz probes (`session()`: the gateway's pooled client session, looked up
    when called): a Rasa server answers (with several, the gateway routes around one that is down), and the action
    server answers with its knowledge base loaded (a restarted one accepts connections long before it can answer)."""
    from channels.health import backends_answer

    async def up() -> bool:
        return await backends_answer(session(), gateway)

    return up


async def _env_backends_up() -> bool:
    """Rasa and the action server of the gateway's settings (the environment) answer their health checks; for a
    handler built without a probe, asked only when Rasa's answer is empty (rare), so a session per call is fine."""
    async with aiohttp.ClientSession() as session:
        return await backend_probe(lambda: session, GatewaySettings.from_env())()


def _needs_answer(event: Any) -> bool:
    from linebot.v3.webhooks import UnfollowEvent

    return not isinstance(event, UnfollowEvent)


def _chat_id(event: Any) -> str:
    """Where answers go: the group or room the event came from, else the user."""
    source = event.source
    return getattr(source, "group_id", None) or getattr(source, "room_id", None) or getattr(source, "user_id", "") or ""
