"""What the LINE channel remembers: webhook event ids already handled and each user's language.

Kept in the application database (storage/, tables line_events and line_users). The repositories are synchronous
and run in a worker thread (asyncio.to_thread) so the event loop never waits on the database; a claim is one
INSERT … ON CONFLICT statement, so it stays atomic with several gateways on one PostgreSQL.
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

    from storage.repositories import LineEvents, LineUsers

# Expired ids are purged every this many claims, so the table stays small without a timer.
_PURGE_EVERY = 500


def line_database_url(settings: LineSettings) -> str:
    """The LINE store's database: `sqlite:///<CHIBA_LINE_DB>` when that older setting is set (differs from its
    default), otherwise the application database (CHIBA_DATABASE_URL)."""
    from storage.db import database_url, sqlite_url

    default = LineSettings.model_fields["db_path"].default
    return sqlite_url(settings.db_path) if settings.db_path != default else database_url()


class LineStore:
    def __init__(self, database: str | Engine, *, event_ttl: float, clock: Callable[[], float] = time.time) -> None:
        """`database`: a database URL (the store makes and disposes its engine) or an Engine the caller owns."""
        self._database = database
        self._ttl = timedelta(seconds=event_ttl)
        self._clock = clock
        self._engine: Engine | None = None
        self._events: LineEvents | None = None
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
        from storage.migrate import upgrade
        from storage.repositories import LineEvents, LineUsers

        engine = self._database if isinstance(self._database, Engine) else create_engine_from_url(self._database)
        try:
            upgrade(engine)
            sessions = session_factory(engine)
            events = LineEvents(sessions)
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

    def _repos(self) -> tuple[LineEvents, LineUsers]:
        if self._events is None or self._users is None:
            raise RuntimeError("LineStore is not open")
        return self._events, self._users

    async def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen (within the expiry), False for every later delivery."""
        events, _ = self._repos()
        now = self._now()
        first = await asyncio.to_thread(events.claim, event_id, now, self._ttl)
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            await asyncio.to_thread(events.purge, now - self._ttl)
        return first

    async def get_lang(self, user_id: str) -> str | None:
        _, users = self._repos()
        return await asyncio.to_thread(users.get_lang, user_id)

    async def set_lang(self, user_id: str, lang: str) -> None:
        _, users = self._repos()
        await asyncio.to_thread(users.set_lang, user_id, lang, self._now())

    async def forget_user(self, user_id: str) -> None:
        """Delete everything the LINE channel stores about the user (their language is the only per-user row)."""
        _, users = self._repos()
        await asyncio.to_thread(users.forget, user_id)
