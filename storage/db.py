"""Engines and sessions for the application database; nothing connects until an engine is first used.

SQLite: WAL (readers do not block the writer), foreign keys on, a busy timeout so concurrent writers wait instead of
failing, and SQLAlchemy in charge of BEGIN — `BEGIN IMMEDIATE`, so every transaction holds the write lock from its
first statement and a read-then-write can never fail half way with "database is locked".
PostgreSQL: psycopg 3, connections checked before use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from settings import DatabaseSettings

# Milliseconds a SQLite writer waits for another's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Seconds to wait for a PostgreSQL server that does not answer (a refused port fails at once anyway).
PG_CONNECT_TIMEOUT = 10


def database_url() -> str:
    """The application database URL: `CHIBA_DATABASE_URL`, default `sqlite:///<repo>/var/app.db`."""
    return DatabaseSettings().url


def sqlite_url(path: Path | str) -> str:
    """`sqlite:///` URL of a file (relative paths stay relative to the working directory)."""
    return f"sqlite:///{path}"


def normalize_url(url: str | URL) -> URL:
    """Parse `url`; plain `postgresql://` / `postgres://` mean psycopg 3, the only PostgreSQL driver installed."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages."""
    return normalize_url(url).render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database)


def create_engine_from_url(url: str | URL, **options: Any) -> Engine:
    """An engine for `url`; `options` go to sqlalchemy.create_engine (e.g. pool_size, connect_args)."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, options)
    if backend == "postgresql":
        connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT, **options.pop("connect_args", {})}
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **options)
    raise ValueError(f"unsupported database {display_url(parsed)!r}: use sqlite:/// or postgresql+psycopg://")


def _sqlite_engine(url: URL, options: dict[str, Any]) -> Engine:
    path = _sqlite_file(url)
    connect_args = {"check_same_thread": False, **options.pop("connect_args", {})}
    if path is None:
        # One shared connection, or every pooled connection (and worker thread) would see its own empty database.
        options.setdefault("poolclass", StaticPool)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args=connect_args, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not emit its own BEGIN (it skips SELECTs and DDL); the "begin" hook below does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (repositories return them detached)."""
    return sessionmaker(engine, expire_on_commit=False)
