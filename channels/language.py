"""Which language a chat turn is answered in, and what the gateway remembers about each sender's language.

Precedence for one turn: an explicit `lang` in the request (remembered as the sender's choice) > the sender's
remembered choice when the request has no `lang` > detection. `lang: "auto"` forgets the choice and detects
every message, with the sender's last reply language as the tie-breaker for short or ambiguous text.

A payload (`/intent` or `/intent{...}`: the text of a button or postback the assistant offered) is never detected —
its JSON is no language (「/ask_garbage_item{"item": "電池"}」 reads as Indonesian). It is answered in the requested
code (the web page sends the language of the answer the button came with), else the sender's choice, else the language
of their last reply, else Japanese (`payload_language`); and its code is not remembered as a choice.

`decide_language` is the seam: another decider with the same signature can be passed to
`create_app(..., decide_language=...)` without touching the routes.

What the gateway remembers per sender lives in `LanguageMemory` (this process; the embedded profile) or, when
CHIBA_REDIS_URL is set, in `RedisLanguageMemory`, so several gateways behind a load balancer agree on a resident's
language. Routes use the async API (`load`, `record`, `forget`), which both provide; `setup_language_memory(app)` picks
one from the settings.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from channels.errors import UnsupportedLanguage
from settings import SharedStateSettings
from translations import languages
from translations.detect import DetectorUnavailable, detect_language, warm_up

log = logging.getLogger("channels.language")

AUTO = "auto"
DEFAULT_LANG = "ja"
# The reply languages (translations/languages.yaml); "ja-easy" is やさしい日本語 (easy Japanese), a reply style rather
# than a separate language. Read from the table on first access (module __getattr__ below), not at import time.
SUPPORTED_LANGS: tuple[str, ...]

# Web chat sender ids are random per browser; a day covers a visit, and the browser keeps the choice itself.
MEMORY_MAX_USERS = 10_000
MEMORY_TTL_SECONDS = 24 * 3600.0
# Seconds for one Redis call of the shared memory: a slow Redis must not hold a resident's answer.
REDIS_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class UserLanguage:
    chosen: str | None = None  # picked explicitly (not "auto"); wins over detection
    last: str | None = None  # the language of the previous reply; breaks detection ties


NO_HISTORY = UserLanguage()

# (requested: a code, "auto", or None when the request had no `lang`; text; what we know of the sender) → code
LanguageDecider = Callable[[str | None, str, UserLanguage], str]


def __getattr__(name: str) -> object:
    if name == "SUPPORTED_LANGS":
        return languages.codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validate_requested(requested: str) -> str:
    """The requested code in canonical form, or UnsupportedLanguage listing what is supported."""
    code, supported = requested.strip().lower(), languages.codes()
    if code == AUTO or code in supported:
        return code
    raise UnsupportedLanguage(
        f"Unsupported language {requested[:20]!r}. Supported: auto, {', '.join(supported)}.",
        message_ja=f"対応していない言語です。対応言語: auto, {', '.join(supported)}",
        supported=[AUTO, *supported],
    )


def decide_language(requested: str | None, text: str, user: UserLanguage = NO_HISTORY) -> str:
    """Reply language for one turn (see the module docstring for the precedence)."""
    if requested is not None and requested != AUTO:
        return requested
    if requested is None and user.chosen:
        return user.chosen
    try:
        return detect_language(text, user.last)
    except DetectorUnavailable:
        log.warning("language detection unavailable; answering in the last or default language")
        return user.last or DEFAULT_LANG


def is_payload(text: str) -> bool:
    """Whether Rasa reads `text` as a payload (an intent, maybe with entities) rather than as a sentence."""
    return text.lstrip().startswith("/")


def payload_language(requested: str | None, user: UserLanguage = NO_HISTORY) -> str:
    """Reply language for a payload turn (see the module docstring): the sender's current language, never detected."""
    if requested is not None and requested != AUTO:
        return requested
    return user.chosen or user.last or DEFAULT_LANG


class LanguageMemory:
    """Each sender's language, in this process only: least recently seen senders are dropped first, and an entry
    expires `ttl` seconds after the sender's last turn. Holds codes only; nothing here is logged."""

    def __init__(
        self,
        max_users: int = MEMORY_MAX_USERS,
        ttl: float = MEMORY_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_users <= 0 or ttl <= 0:
            raise ValueError("LanguageMemory needs max_users > 0 and ttl > 0")
        self._max_users, self._ttl, self._clock = max_users, ttl, clock
        self._entries: OrderedDict[str, tuple[float, UserLanguage]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, sender_id: str) -> UserLanguage:
        entry = self._entries.get(sender_id)
        if entry is None:
            return NO_HISTORY
        expires, user = entry
        if expires <= self._clock():
            del self._entries[sender_id]
            return NO_HISTORY
        return user

    def remember(self, sender_id: str, requested: str | None, used: str, *, payload: bool = False) -> UserLanguage:
        """Record one turn: an explicit code becomes the choice, "auto" clears it, no `lang` keeps it. A payload turn's
        code is the language of the answer its button came with, not a choice: it keeps the choice as it was."""
        if payload and requested != AUTO:
            requested = None
        chosen = self.get(sender_id).chosen if requested is None else requested
        user = UserLanguage(chosen=None if chosen == AUTO else chosen, last=used)
        self._entries[sender_id] = (self._clock() + self._ttl, user)
        self._entries.move_to_end(sender_id)
        while len(self._entries) > self._max_users:
            self._entries.popitem(last=False)
        return user

    # The async API every route uses, so the shared memory below can stand in for this one.

    async def load(self, sender_id: str) -> UserLanguage:
        return self.get(sender_id)

    async def record(self, sender_id: str, requested: str | None, used: str, *, payload: bool = False) -> UserLanguage:
        return self.remember(sender_id, requested, used, payload=payload)

    async def forget(self, sender_id: str) -> int:
        """How many entries went (0 or 1)."""
        return int(self._entries.pop(sender_id, None) is not None)

    async def close(self) -> None:
        """Nothing to release in process memory."""


class RedisLanguageMemory(LanguageMemory):
    """The same rules as LanguageMemory, kept in Redis so every gateway sees one sender's language.

    One hash per sender, `<prefix>:lang:<sha256 of the sender id>` (sender ids — LINE user ids among them — are not
    written out) with fields `chosen` and `last`, expiring `ttl` seconds after the sender's last turn. A turn is one
    MULTI/EXEC transaction that sets only what the turn changes and reads the result, so two gateways handling the
    same sender at once cannot mix up a choice. When Redis fails, the turn goes on without memory (detection still
    works): a warning is logged, never the sender or the text. Only the async API is shared; the synchronous
    `get`/`remember` of the base class would be this process's memory alone and are refused.
    """

    def __init__(self, client: Any, prefix: str, ttl: float = MEMORY_TTL_SECONDS) -> None:
        super().__init__(ttl=ttl)
        self._client, self._prefix, self._ttl_ms = client, prefix, int(ttl * 1000)

    @classmethod
    def from_url(cls, url: str, prefix: str, ttl: float = MEMORY_TTL_SECONDS) -> RedisLanguageMemory:
        import redis.asyncio as redis

        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        return cls(client, prefix, ttl)

    def key(self, sender_id: str) -> str:
        return f"{self._prefix}:lang:{hashlib.sha256(sender_id.encode()).hexdigest()[:32]}"

    def get(self, sender_id: str) -> UserLanguage:
        raise TypeError("RedisLanguageMemory is shared through `await load()`; get() would read this process only")

    def remember(self, sender_id: str, requested: str | None, used: str, *, payload: bool = False) -> UserLanguage:
        raise TypeError("RedisLanguageMemory is shared through `await record()`; remember() would write here only")

    async def load(self, sender_id: str) -> UserLanguage:
        try:
            fields = await self._client.hgetall(self.key(sender_id))
        except Exception as exc:  # redis errors of every kind (and OSError): answer without memory
            log.warning("language memory unavailable (%s): detecting without history", type(exc).__name__)
            return NO_HISTORY
        return _user_language(fields.get(b"chosen"), fields.get(b"last"))

    async def record(self, sender_id: str, requested: str | None, used: str, *, payload: bool = False) -> UserLanguage:
        if payload and requested != AUTO:
            requested = None
        key = self.key(sender_id)
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                if requested == AUTO:
                    pipe.hdel(key, "chosen")
                elif requested is not None:
                    pipe.hset(key, "chosen", requested)
                pipe.hset(key, "last", used)
                pipe.pexpire(key, self._ttl_ms)
                pipe.hget(key, "chosen")
                results = await pipe.execute()
        except Exception as exc:
            log.warning("language memory unavailable (%s): this turn's language is not remembered", type(exc).__name__)
            return UserLanguage(chosen=None if requested in (None, AUTO) else requested, last=used)
        return _user_language(results[-1], used.encode())

    async def forget(self, sender_id: str) -> int:
        """How many entries went (0 or 1). Raises when Redis cannot be reached: "forget me" must then not be
        confirmed."""
        return int(await self._client.delete(self.key(sender_id)))

    async def close(self) -> None:
        await self._client.aclose()


def _user_language(chosen: bytes | None, last: bytes | None) -> UserLanguage:
    def code(raw: bytes | None) -> str | None:
        return raw.decode() if raw else None

    if chosen is None and last is None:
        return NO_HISTORY
    return UserLanguage(chosen=code(chosen), last=code(last))


def language_memory(settings: SharedStateSettings | None = None) -> LanguageMemory:
    """Redis when CHIBA_REDIS_URL is set (several gateways), else this process's memory."""
    settings = settings or SharedStateSettings.from_env()
    if settings.redis_url:
        return RedisLanguageMemory.from_url(settings.redis_url, settings.redis_prefix)
    return LanguageMemory()


LANGUAGE_MEMORY = web.AppKey("language_memory", LanguageMemory)


def setup_language_memory(app: web.Application, memory: LanguageMemory | None = None) -> LanguageMemory:
    """The app's language memory (`language_memory()` unless given), closed on shutdown."""
    app[LANGUAGE_MEMORY] = memory if memory is not None else language_memory()  # an empty memory is falsy

    async def close(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[LANGUAGE_MEMORY].close()

    app.cleanup_ctx.append(close)
    return app[LANGUAGE_MEMORY]


async def warm_up_detector(_: web.Application) -> None:
    """Load the detection model at startup, off the event loop, so the first resident does not wait for it."""
    try:
        await asyncio.get_running_loop().run_in_executor(None, warm_up)
    except DetectorUnavailable:
        log.warning("py3langid is not installed: lang=auto falls back to the last or default language")
