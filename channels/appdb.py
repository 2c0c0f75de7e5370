"""The application database (CHIBA_DATABASE_URL) for the gateway's own routes: "forget me" and the "For You" stop link.

Opened, and migrated (idempotent), in a worker thread on first use, so a gateway whose database is down still starts
and answers everything else; closed with the app. The repositories are synchronous: call them with asyncio.to_thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from aiohttp import web

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.repositories import Repositories

R = TypeVar("R")


class LazyDatabase(Generic[R]):
    """A repository over the application database, opened and migrated in a worker thread on first use (one opener
    for concurrent first callers) and disposed by `close()`. Every gateway store (forget me, transcripts, offered
    payloads) opens its repository this way."""

    def __init__(self, build: Callable[[Engine], R], url: str | None = None) -> None:
        """`build(engine)` makes the repository; `url`: default CHIBA_DATABASE_URL, read on first use."""
        self._build = build
        self._url = url
        self._engine: Engine | None = None
        self._repo: R | None = None
        self._lock: asyncio.Lock | None = None

    async def repository(self) -> R:
        if self._repo is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._repo is None:
                    self._engine, self._repo = await asyncio.to_thread(self._open)
        return self._repo

    def _open(self) -> tuple[Engine, R]:
        from storage.db import create_engine_from_url, database_url
        from storage.migrate import upgrade

        engine = create_engine_from_url(self._url or database_url())
        try:
            upgrade(engine)
            return engine, self._build(engine)
        except BaseException:
            engine.dispose()
            raise

    async def close(self) -> None:
        engine, self._engine, self._repo = self._engine, None, None
        if engine is not None:
            await asyncio.to_thread(engine.dispose)


class AppDatabase(LazyDatabase["Repositories"]):
    def __init__(self, url: str | None = None, *, sender_salt: str | None = None) -> None:
        """`url`: default CHIBA_DATABASE_URL, read when the database is first used (so is the salt)."""
        super().__init__(self._repositories, url)
        self._salt = sender_salt

    def _repositories(self, engine: Engine) -> Repositories:
        from storage.repositories import Repositories

        return Repositories.for_engine(engine, sender_salt=self._salt)

    async def repos(self) -> Repositories:
        return await self.repository()


APP_DATABASE = web.AppKey("app_database", AppDatabase)


async def _close_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[APP_DATABASE].close()


def setup_app_database(app: web.Application, database: AppDatabase | None = None) -> AppDatabase:
    """The app's AppDatabase (made once; `database` replaces the default only on the first call)."""
    if APP_DATABASE not in app:
        app[APP_DATABASE] = database or AppDatabase()
        app.cleanup_ctx.append(_close_ctx)
    return app[APP_DATABASE]
