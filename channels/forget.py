"""Forget me: delete everything stored about one sender, in the application database and in Rasa's tracker store.

`forget_everything(sender_id, line_user_id=None)` deletes the sender's reference requests, smartphone bookings (their
seats freed, waiting lists moved up) and notifications, benefit reminder subscriptions and their reminders, the LINE
user's language, and the conversation Rasa stored for the sender id (the tracker store's `events` rows: SQLite file
CHIBA_TRACKER_DB, or CHIBA_TRACKER_URL). The database work runs in a worker thread, never on the event loop.

It runs in the gateway, after Rasa's reply: Rasa saves the tracker after the actions ran, so deleting inside an action
would be undone at once. With several Rasa servers (CHIBA_REDIS_URL set) it first takes the conversation's lock — the
one bot/lock_store.py gives every turn — because a turn already in flight (a second LINE message) would otherwise save
the whole conversation back: Rasa's SQL tracker store writes every event the table does not have yet. The shared
language memory forgets the sender too.

The action that confirmed the request sends the custom payload `{"forget_me": true}` (`forget_requested` finds it in
Rasa's reply); the web chat and LINE act on it, and LINE's unfollow forgets the user too. The log says how many rows of
which kind went, never whose.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from bot.lock_keys import FINISH_SCRIPT, ISSUE_SCRIPT, TURN_SCRIPT, alive_prefix, owners_key, queue_key, seq_key
from channels.appdb import AppDatabase, setup_app_database
from channels.errors import GatewayError
from channels.language import LANGUAGE_MEMORY, LanguageMemory

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.repositories import Repositories

log = logging.getLogger("channels.forget")

# The table and column of Rasa's SQLTrackerStore (rasa/core/tracker_store.py, SQLEvent).
TRACKER_TABLE = "events"
LINE_SENDER_PREFIX = "line:"
# Seconds a delete waits for Rasa's own write lock on the SQLite tracker file.
SQLITE_TRACKER_TIMEOUT = 15
# Seconds the gateway waits for a turn in flight to finish before deleting its conversation (a turn takes a few), and
# the life of its own ticket should the gateway die holding it.
LOCK_WAIT_SECONDS = 30.0
LOCK_LIFETIME_SECONDS = 30.0
LOCK_POLL_SECONDS = 0.02


class ConversationBusy(GatewayError):
    """A turn of the conversation did not finish in time: nothing was deleted."""

    status = 503
    code = "forget_failed"
    message = "Sorry, your data could not be deleted right now. Please try again in a moment."
    message_ja = "申し訳ありません。ただいまデータを削除できませんでした。しばらくしてから、もう一度お試しください。"


class ConversationLocks:
    """The Rasa servers' conversation locks (bot/lock_keys.py) taken from the gateway, over redis.asyncio."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client, self._prefix = client, prefix
        self._issue = client.register_script(ISSUE_SCRIPT)
        self._turn = client.register_script(TURN_SCRIPT)
        self._finish = client.register_script(FINISH_SCRIPT)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> ConversationLocks:
        import redis.asyncio as redis

        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5), prefix)

    @asynccontextmanager
    async def hold(self, conversation_id: str, wait: float | None = None) -> AsyncIterator[None]:
        """Wait for the turns ahead (first come, first served; at most `wait`, default LOCK_WAIT_SECONDS, else
        ConversationBusy), hold the lock, release it however the block ends."""
        queue, owners = queue_key(self._prefix, conversation_id), owners_key(self._prefix, conversation_id)
        lifetime_ms = int(LOCK_LIFETIME_SECONDS * 1000)
        # No owner: the gateway keeps no heartbeat; its ticket ends with its lifetime should the gateway die.
        keys = [queue, seq_key(self._prefix, conversation_id), owners]
        ticket = int(await self._issue(keys=keys, args=[lifetime_ms, ""]))
        try:
            deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
            alive = alive_prefix(self._prefix)
            while (state := int(await self._turn(keys=[queue, owners], args=[ticket, alive]))) != 1:
                if state < 0 or time.monotonic() > deadline:
                    raise ConversationBusy()
                await asyncio.sleep(LOCK_POLL_SECONDS)
            yield
        finally:
            await self._finish(keys=[queue, owners], args=[ticket])

    async def close(self) -> None:
        await self._client.aclose()


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

    def __init__(
        self,
        database: AppDatabase,
        *,
        tracker: str | None = None,
        locks: ConversationLocks | None = None,
        languages: LanguageMemory | None = None,
    ) -> None:
        self._database = database
        self._tracker_url = tracker
        self._tracker: Engine | None = None
        self._locks = locks
        self._languages = languages

    async def __call__(self, sender_id: str, *, line_user_id: str | None = None) -> dict[str, int]:
        repos = await self._database.repos()
        if self._locks is None:
            counts = await asyncio.to_thread(self._forget, repos, sender_id, line_user_id)
        else:
            async with self._locks.hold(sender_id):
                counts = await asyncio.to_thread(self._forget, repos, sender_id, line_user_id)
        if self._languages is not None:
            counts["language_memory"] = await self._languages.forget(sender_id)
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

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)
        if self._locks is not None:
            await self._locks.close()


FORGETTER = web.AppKey("forgetter", Forgetter)


async def _close_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[FORGETTER].aclose()


def setup_forget(app: web.Application, forgetter: Forgetter | None = None) -> Forgetter:
    """The app's Forgetter, on the app's AppDatabase (made once; `forgetter` replaces the default on the first call).
    With CHIBA_REDIS_URL set it takes the Rasa servers' conversation lock, and it forgets the app's language memory."""
    if FORGETTER not in app:
        if forgetter is None:
            from settings import SharedStateSettings

            shared = SharedStateSettings.from_env()
            locks = ConversationLocks.from_url(shared.redis_url, shared.redis_prefix) if shared.redis_url else None
            forgetter = Forgetter(setup_app_database(app), locks=locks, languages=app.get(LANGUAGE_MEMORY))
        app[FORGETTER] = forgetter
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
