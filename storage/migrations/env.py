"""Alembic environment of the application database (run by storage.migrate.upgrade or the alembic command).

The database comes from config.attributes: "connection" (an open Connection), "engine" (an Engine) or "url";
otherwise from CHIBA_DATABASE_URL (storage.db.database_url()). The whole upgrade is one transaction on both
backends (SQLite's BEGIN IMMEDIATE serialises concurrent upgrades; PostgreSQL takes an advisory lock).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from storage.db import create_engine_from_url, database_url
from storage.models import Base

# Held for the upgrade's transaction, so gateways starting at the same time migrate one after the other.
_PG_LOCK_KEY = 0x43484942_41505001


def _configure(**kwargs: object) -> None:
    context.configure(target_metadata=Base.metadata, compare_type=True, **kwargs)  # type: ignore[arg-type]


def _run(connection: Connection) -> None:
    # Batch mode lets later migrations ALTER tables on SQLite (copy-and-move); SQLite does run DDL in transactions.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite", transactional_ddl=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        # Read under the lock, so of several concurrent upgrades only the one that migrated reports a change.
        context.config.attributes["before"] = context.get_context().get_current_revision()
        context.run_migrations()


def run_online() -> None:
    attributes = context.config.attributes
    if attributes.get("connection") is not None:
        _run(attributes["connection"])
        return
    engine = attributes.get("engine")
    own = engine is None
    if own:
        engine = create_engine_from_url(attributes.get("url") or database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        if own:
            engine.dispose()


def run_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    _configure(url=context.config.attributes.get("url") or database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
