"""Text a resident types is text: only payloads of buttons the assistant offered to that sender reach Rasa as payloads.

Rasa runs any message starting with "/" as an intent (`/restart` wipes the conversation, `/ask_garbage_item{"item":
"…"}` skips the NLU and its confidence checks). The web chat cannot tell a pressed button from typed text — both are a
POST with `text` — so the gateway remembers which /payloads it showed each sender (storage.offered_payloads, in the
application database so several gateways agree) and disarms every other "/" message with `as_text`.
On LINE the platform tells them apart: postback data comes from buttons the assistant sent, typed text is text.

`as_text` puts a zero-width space before the "/": Rasa strips only whitespace before looking for its "/" prefix, and
U+200B is not whitespace, so the NLU reads the message as the sentence it is; the resident sees no difference if the
answer quotes it, and the tokenizers drop it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from channels.appdb import LazyDatabase

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.offered_payloads import OfferedPayloads

log = logging.getLogger("channels.payload_guard")

PAYLOAD_PREFIX = "/"
TEXT_MARK = "\u200b"  # ZERO WIDTH SPACE: not whitespace to str.strip(), so Rasa no longer sees a leading "/"
# Expired offers are purged every this many recorded replies (no timer needed).
_PURGE_EVERY = 500


def is_payload(text: str) -> bool:
    """Whether Rasa would read `text` as a payload (it strips whitespace, then looks for "/")."""
    return text.strip().startswith(PAYLOAD_PREFIX)


def as_text(text: str) -> str:
    """`text` disarmed so Rasa's NLU reads it as a sentence; text that is no payload is returned unchanged."""
    return TEXT_MARK + text.strip() if is_payload(text) else text


def offered_payloads(buttons: Iterable[str]) -> list[str]:
    """The button payloads worth recording: only /payloads (a plain-text payload is text anyway)."""
    return [p for p in buttons if is_payload(p)]


class PayloadGuard:
    """The offered-payload store for one gateway: opened (and migrated) in a worker thread on first use.

    Failures never break a chat turn: an offer that cannot be recorded is logged, and a payload that cannot be checked
    counts as not offered (answered as text) — running an unverified payload is the one thing it must not do.
    """

    def __init__(self, url: str | None = None, *, ttl: float | None = None, salt: str | None = None) -> None:
        """`url`: default CHIBA_DATABASE_URL; `ttl` seconds: default CHIBA_OFFERED_PAYLOAD_TTL (read on first use)."""
        self._ttl = ttl
        self._salt = salt
        self._database: LazyDatabase[OfferedPayloads] = LazyDatabase(self._repository, url)
        self._offers = 0

    @property
    def ttl(self) -> timedelta:
        if self._ttl is None:  # read once, on first use
            from settings import InputGuardSettings

            self._ttl = float(InputGuardSettings().offered_payload_ttl)
        return timedelta(seconds=self._ttl)

    async def _get(self) -> OfferedPayloads:
        return await self._database.repository()

    def _repository(self, engine: Engine) -> OfferedPayloads:
        from settings import DatabaseSettings
        from storage.db import session_factory
        from storage.offered_payloads import OfferedPayloads

        salt = self._salt if self._salt is not None else DatabaseSettings().sender_salt.get_secret_value()
        return OfferedPayloads(session_factory(engine), salt=salt)

    async def was_offered(self, sender_id: str, payload: str) -> bool:
        try:
            repo = await self._get()
            return await asyncio.to_thread(repo.was_offered, sender_id, payload, self.ttl)
        except Exception as exc:  # the database is unreachable: never run a payload we could not check
            log.warning("offered payloads unavailable (%s): payload answered as text", type(exc).__name__)
            return False

    async def offer(self, sender_id: str, buttons: Iterable[str]) -> None:
        payloads = offered_payloads(buttons)
        if not payloads:
            return
        try:
            repo = await self._get()
            await asyncio.to_thread(repo.offer, sender_id, payloads)
            self._offers += 1
            if self._offers % _PURGE_EVERY == 0:
                from datetime import datetime, timezone

                await asyncio.to_thread(repo.purge, datetime.now(timezone.utc) - self.ttl)
        except Exception as exc:  # the answer still goes out; its buttons will be answered as text
            log.warning("offered payloads not recorded (%s)", type(exc).__name__)

    async def forget(self, sender_id: str) -> int:
        repo = await self._get()
        return await asyncio.to_thread(repo.forget, sender_id)

    async def close(self) -> None:
        await self._database.close()


PAYLOAD_GUARD = web.AppKey("payload_guard", PayloadGuard)


async def _close_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[PAYLOAD_GUARD].close()


def setup_payload_guard(app: web.Application, guard: PayloadGuard | None = None) -> PayloadGuard:
    """The app's PayloadGuard (made once; `guard` replaces the default only on the first call)."""
    if PAYLOAD_GUARD not in app:
        app[PAYLOAD_GUARD] = guard or PayloadGuard()
        app.cleanup_ctx.append(_close_ctx)
    return app[PAYLOAD_GUARD]
