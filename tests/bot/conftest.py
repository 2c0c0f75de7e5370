"""Shared fixtures for the Rasa-project tests (bot env, Python 3.10)."""

import getpass
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Rasa would otherwise try to send telemetry (no network here) and print a banner.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def rasa_bin() -> Path:
    return REPO / ".venvs" / "bot" / "bin" / "rasa"


@pytest.fixture(scope="session")
def rasa_env() -> dict[str, str]:
    """Environment for `rasa` subprocesses: the repo on PYTHONPATH so `bot.components...` imports."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the machine's PostgreSQL (CHIBA_TEST_POSTGRES_URL elsewhere) as a psycopg2 URL, Rasa's
    driver, with it as search_path; connections carry the schema as application_name so a test can end them."""
    import sqlalchemy as sa

    candidates = (
        [os.environ["CHIBA_TEST_POSTGRES_URL"]]
        if os.environ.get("CHIBA_TEST_POSTGRES_URL")
        else [f"postgresql://{user}@127.0.0.1:5432/test" for user in dict.fromkeys(["postgres", getpass.getuser()])]
    )
    schema = f"scale_{uuid.uuid4().hex[:12]}"
    for base in candidates:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError:
            admin.dispose()
            continue
        try:
            yield f"{base}?options=-csearch_path%3D{schema}&application_name={schema}"
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        return
    pytest.fail("PostgreSQL at 127.0.0.1:5432/test unreachable; set CHIBA_TEST_POSTGRES_URL")
