"""Forget me: delete everything stored about one sender, in the application database and in Rasa's tracker store.

`forget_everything(sender_id, line_user_id=None)` deletes the sender's reference requests, smartphone bookings (their
seats freed, waiting lists moved up) and notifications, benefit reminder subscriptions and their reminders, the LINE
user's language, and the conversation Rasa stored for the sender id (the tracker store's `events` rows: SQLite file
CHIBA_TRACKER_DB, or CHIBA_TRACKER_URL). The database work runs in a worker thread, never on the event loop.

It runs in the gateway, after Rasa's reply: Rasa saves the tracker after the actions ran, so deleting inside an action
would be undone at once. The action that confirmed the request sends the custom payload `{"forget_me": true}`
(`forget_requested` finds it in Rasa's reply); the web chat and LINE act on it, and LINE's unfollow forgets the user
too. The log says how many rows of which kind went, never whose.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from channels.appdb import AppDatabase, setup_app_database

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.repositories import Repositories

log = logging.getLogger("channels.forget")

# The table and column of Rasa's SQLTrackerStore (rasa/core/tracker_store.py, SQLEvent).
TRACKER_TABLE = "events"
LINE_SENDER_PREFIX = "line:"
# Seconds a delete waits for Rasa's own write lock on the SQLite tracker file.
SQLITE_TRACKER_TIMEOUT = 15


class Forget(Protocol):
    def __call__(self, sender_id: str, *, line_user_id: str | None = None) -> Awaitable[dict[str, int]]: ...


def forget_requested(body: Any) -> bool:
    """Whether Rasa's raw reply carries the custom payload {"forget_me": true}: in `meta` (where bot/gateway_channel.py
    puts custom JSON), or as a message of its own (`{"custom": {...}}` or the payload's keys on the message)."""
    if not isinstance(body, dict):
        return False
    meta = body.get("meta")
    if isinstance(meta, dict) and meta.get("forget_me") is True:
        return True
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        custom = message.get("custom")
        if message.get("forget_me") is True or (isinstance(custom, dict) and custom.get("forget_me") is True):
            return True
    return False


def tracker_url() -> str:
    """CHIBA_TRACKER_URL, else the SQLite file CHIBA_TRACKER_DB that bot/endpoints.yml names."""
    from settings import DatabaseSettings, StackSettings
    from storage.db import sqlite_url

    return DatabaseSettings().tracker_url or sqlite_url(StackSettings().tracker_db)


class Forgetter:
    """forget_everything for one database and one tracker store; the tracker engine is made on first use."""

    def __init__(self, database: AppDatabase, *, tracker: str | None = None) -> None:
        self._database = database
        self._tracker_url = tracker
        self._tracker: Engine | None = None

    async def __call__(self, sender_id: str, *, line_user_id: str | None = None) -> dict[str, int]:
        repos = await self._database.repos()
        counts = await asyncio.to_thread(self._forget, repos, sender_id, line_user_id)
        log.info("forget me: %s", ", ".join(f"{name}={count}" for name, count in counts.items()))
        return counts

    def _forget(self, repos: Repositories, sender_id: str, line_user_id: str | None) -> dict[str, int]:
        counts = {
            "reference_requests": repos.reference_requests.forget_sender(sender_id),
            "smartphone_bookings": repos.smartphone.forget_sender(sender_id),
            "benefit_subscriptions": repos.benefits.forget_sender(sender_id),
            "line_users": int(repos.line_users.forget(line_user_id)) if line_user_id else 0,
        }
        counts["tracker_events"] = self._forget_tracker(sender_id)
        return counts

    def _forget_tracker(self, sender_id: str) -> int:
        from sqlalchemy import Column, MetaData, String, Table, delete, inspect

        engine = self._tracker_engine()
        if engine is None:
            return 0
        with engine.begin() as connection:
            if not inspect(connection).has_table(TRACKER_TABLE):
                return 0  # Rasa has stored nothing yet
            events = Table(TRACKER_TABLE, MetaData(), Column("sender_id", String(255)))
            return connection.execute(delete(events).where(events.c.sender_id == sender_id)).rowcount

    def _tracker_engine(self) -> Engine | None:
        """The tracker store's engine; None for a SQLite file that does not exist (Rasa never ran: nothing stored,
        and the file is not created here). No pool: Rasa owns the file, this only visits."""
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        from storage.db import normalize_url

        if self._tracker is not None:
            return self._tracker
        url = normalize_url(self._tracker_url or tracker_url())
        options: dict[str, Any] = {"poolclass": NullPool}
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
                return None
            options["connect_args"] = {"timeout": SQLITE_TRACKER_TIMEOUT}
        elif url.get_backend_name() == "postgresql":
            options["connect_args"] = {"connect_timeout": 10}
        self._tracker = create_engine(url, **options)
        return self._tracker

    def close(self) -> None:
        engine, self._tracker = self._tracker, None
        if engine is not None:
            engine.dispose()


FORGETTER = web.AppKey("forgetter", Forgetter)


async def _close_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await asyncio.to_thread(app[FORGETTER].close)


def setup_forget(app: web.Application, forgetter: Forgetter | None = None) -> Forgetter:
    """The app's Forgetter, on the app's AppDatabase (made once; `forgetter` replaces the default on the first call)."""
    if FORGETTER not in app:
        app[FORGETTER] = forgetter or Forgetter(setup_app_database(app))
        app.cleanup_ctx.append(_close_ctx)
    return app[FORGETTER]


_default: Forgetter | None = None


async def forget_everything(sender_id: str, *, line_user_id: str | None = None) -> dict[str, int]:
    """Delete everything stored about `sender_id` (and the language of the LINE user `line_user_id`) in
    CHIBA_DATABASE_URL and Rasa's tracker store; how many rows of each kind. Raises when a database cannot be reached
    (then the resident must be told it did not work)."""
    global _default
    if _default is None:
        _default = Forgetter(AppDatabase())
    return await _default(sender_id, line_user_id=line_user_id)
