"""What the LINE channel remembers, in SQLite: webhook event ids already handled and each user's language.

sqlite3 runs in a worker thread (asyncio.to_thread) so the event loop never waits on the disk; one connection
guarded by a lock is enough for a gateway's write rate and keeps INSERT-OR-IGNORE claims atomic.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_events (event_id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS seen_events_at ON seen_events (seen_at);
CREATE TABLE IF NOT EXISTS users (user_id TEXT PRIMARY KEY, lang TEXT NOT NULL, updated_at REAL NOT NULL);
"""
# Expired ids are purged every this many claims, so the table stays small without a timer.
_PURGE_EVERY = 500


class LineStore:
    def __init__(self, path: Path, *, event_ttl: float, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._ttl = event_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._claims = 0

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        if self._path != Path(":memory:"):
            self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        self._conn = conn
        self._purge()

    async def close(self) -> None:
        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            with self._lock:
                if self._conn is None:
                    raise RuntimeError("LineStore is not open")
                return fn(self._conn)

        return await asyncio.to_thread(call)

    async def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen (within the expiry), False for every later delivery."""
        now = self._clock()

        def claim(conn: sqlite3.Connection) -> bool:
            # An id past its expiry counts as new: drop it first so the insert below decides.
            conn.execute("DELETE FROM seen_events WHERE event_id = ? AND seen_at < ?", (event_id, now - self._ttl))
            cur = conn.execute("INSERT OR IGNORE INTO seen_events (event_id, seen_at) VALUES (?, ?)", (event_id, now))
            return cur.rowcount == 1

        first = await self._run(claim)
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            await self._run(lambda _conn: self._purge())
        return first

    def _purge(self) -> None:
        assert self._conn is not None
        self._conn.execute("DELETE FROM seen_events WHERE seen_at < ?", (self._clock() - self._ttl,))

    async def get_lang(self, user_id: str) -> str | None:
        def get(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT lang FROM users WHERE user_id = ?", (user_id,)).fetchone()
            return row[0] if row else None

        return await self._run(get)

    async def set_lang(self, user_id: str, lang: str) -> None:
        now = self._clock()
        await self._run(
            lambda conn: conn.execute(
                "INSERT INTO users (user_id, lang, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at",
                (user_id, lang, now),
            )
        )

    async def forget_user(self, user_id: str) -> None:
        """Delete everything stored about the user (their language is the only per-user row)."""
        await self._run(lambda conn: conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,)))
