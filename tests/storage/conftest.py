"""Every storage test runs on both backends: SQLite in tmp_path and the machine's PostgreSQL in a fresh schema.

PostgreSQL (127.0.0.1:5432, database `test`, trust auth; user `postgres`, else the current user) must be reachable:
its tests fail otherwise, unless CHIBA_TEST_NO_POSTGRES=1 is set, which skips them.
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage.db import create_engine_from_url, sqlite_url
from storage.migrate import upgrade
from storage.repositories import Repositories

PG_SERVER = "127.0.0.1:5432/test"
SALT = "test-salt"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    if os.environ.get("CHIBA_TEST_NO_POSTGRES") == "1":
        pytest.skip("CHIBA_TEST_NO_POSTGRES=1: PostgreSQL backend not tested")
    errors = []
    for user in dict.fromkeys(["postgres", getpass.getuser()]):
        url = f"postgresql+psycopg://{user}@{PG_SERVER}"
        engine = create_engine_from_url(url, poolclass=NullPool)
        try:
            with engine.connect():
                return url
        except OperationalError as exc:
            errors.append(f"{user}: {str(exc.orig).splitlines()[0]}")
        finally:
            engine.dispose()
    pytest.fail(f"PostgreSQL at {PG_SERVER} unreachable ({'; '.join(errors)}); CHIBA_TEST_NO_POSTGRES=1 skips these")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database of the parametrized backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "app.db")
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine_from_url(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        # The URL's query becomes psycopg connect args: every connection starts with the schema as search_path.
        url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database; pool large enough for the 20-thread tests to run truly at once."""
    engine = create_engine_from_url(db_url, pool_size=20, max_overflow=5)
    upgrade(engine)
    yield engine
    engine.dispose()


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 0, 30, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def repos(engine: Engine, clock: FakeClock) -> Repositories:
    return Repositories.for_engine(engine, sender_salt=SALT, clock=clock)
