"""What the LINE channel remembers: webhook events (until answered, and their ids a day longer) and each user's
language.

Kept in the application database (storage/, tables line_events and line_users). The repositories are synchronous
and run in a worker thread (asyncio.to_thread) so the event loop never waits on the database; accepting an event is
one INSERT … ON CONFLICT statement and taking over an unanswered one a conditional UPDATE, so both stay atomic with
several gateways on one PostgreSQL (storage/line_pending.py has the life of an event).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from settings import LineSettings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.line_pending import LinePending, PendingEvent
    from storage.repositories import LineUsers

# Expired ids are purged every this many claims, so the table stays small without a timer.
_PURGE_EVERY = 500


def line_database_url(settings: LineSettings) -> str:
    """The LINE store's database: `sqlite:///<CHIBA_LINE_DB>` when that older setting is set (differs from its
    default), otherwise the application database (CHIBA_DATABASE_URL)."""
    from storage.db import database_url, sqlite_url

    default = LineSettings.model_fields["db_path"].default
    return sqlite_url(settings.db_path) if settings.db_path != default else database_url()


class LineStore:
    def __init__(
        self,
        database: str | Engine,
        *,
        event_ttl: float,
        lease: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`database`: a database URL (the store makes and disposes its engine) or an Engine the caller owns.
        `lease`: seconds this gateway owns an event it is answering before another may take it over (default
        CHIBA_LINE_LEASE)."""
        from settings import LineReplaySettings

        self._database = database
        self._ttl = timedelta(seconds=event_ttl)
        self._lease = timedelta(seconds=lease if lease is not None else LineReplaySettings.from_env().lease_seconds)
        self._clock = clock
        self._engine: Engine | None = None
        self._events: LinePending | None = None
        self._users: LineUsers | None = None
        self._claims = 0

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), timezone.utc)

    async def open(self) -> None:
        """Connect and bring the schema up to date (idempotent; SQLite needs nothing else started)."""
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        from sqlalchemy import Engine

        from storage.db import create_engine_from_url, session_factory
        from storage.line_pending import LinePending
        from storage.migrate import upgrade
        from storage.repositories import LineUsers

        engine = self._database if isinstance(self._database, Engine) else create_engine_from_url(self._database)
        try:
            upgrade(engine)
            sessions = session_factory(engine)
            events = LinePending(sessions)
            events.purge(self._now() - self._ttl)
        except BaseException:
            if engine is not self._database:
                engine.dispose()
            raise
        self._engine, self._events, self._users = engine, events, LineUsers(sessions, self._now)

    async def close(self) -> None:
        engine, self._engine, self._events, self._users = self._engine, None, None, None
        if engine is not None and engine is not self._database:
            await asyncio.to_thread(engine.dispose)

    @property
    def is_open(self) -> bool:
        return self._events is not None

    def _repos(self) -> tuple[LinePending, LineUsers]:
        if self._events is None or self._users is None:
            raise RuntimeError("LineStore is not open")
        return self._events, self._users

    async def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen (within the expiry), False for every later delivery; the event
        counts as handled at once (nothing is kept to answer later)."""
        return await self.accept(event_id)

    async def accept(self, event_id: str, *, chat_id: str | None = None, payload: str | None = None) -> bool:
        """Record a new event with what is needed to answer it later (`payload`, the event's JSON); False for an id
        already known (a redelivery, or another gateway has it)."""
        events, _ = self._repos()
        now = self._now()
        first = await asyncio.to_thread(
            events.accept, event_id, now, ttl=self._ttl, lease=self._lease, chat_id=chat_id, payload=payload
        )
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            await asyncio.to_thread(events.purge, now - self._ttl)
        return first

    async def earlier_waiting(self, event_id: str, chat_id: str) -> bool:
        events, _ = self._repos()
        return await asyncio.to_thread(events.earlier_waiting, event_id, chat_id, self._now())

    async def wait(self, event_id: str) -> None:
        events, _ = self._repos()
        await asyncio.to_thread(events.wait, event_id)

    async def answered(self, event_id: str, answer: str) -> None:
        events, _ = self._repos()
        await asyncio.to_thread(events.answered, event_id, answer, self._now(), self._lease)

    async def done(self, event_id: str) -> None:
        events, _ = self._repos()
        await asyncio.to_thread(events.done, event_id)

    async def due(self) -> list[PendingEvent]:
        events, _ = self._repos()
        return await asyncio.to_thread(events.due, self._now())

    async def take(self, event_id: str) -> PendingEvent | None:
        events, _ = self._repos()
        return await asyncio.to_thread(events.take, event_id, self._now(), self._lease)

    async def give_up(self, max_age: float) -> int:
        events, _ = self._repos()
        return await asyncio.to_thread(events.give_up, self._now() - timedelta(seconds=max_age))

    async def open_count(self) -> int:
        events, _ = self._repos()
        return await asyncio.to_thread(events.open_count)

    async def get_lang(self, user_id: str) -> str | None:
        _, users = self._repos()
        return await asyncio.to_thread(users.get_lang, user_id)

    async def set_lang(self, user_id: str, lang: str) -> None:
        _, users = self._repos()
        await asyncio.to_thread(users.set_lang, user_id, lang, self._now())

    async def forget_user(self, user_id: str) -> None:
        """Delete everything the LINE channel stores about the user: their language and their unanswered events."""
        events, users = self._repos()
        await asyncio.to_thread(users.forget, user_id)
        await asyncio.to_thread(events.forget_chat, user_id)
