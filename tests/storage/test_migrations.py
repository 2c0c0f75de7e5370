"""Migrations: from an empty database to head, idempotent, in step with the models, and the command's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_engine_from_url, sqlite_url
from storage.migrate import upgrade
from storage.models import Base

REPO = Path(__file__).resolve().parents[2]
HEAD = "0006"
TABLES_0001 = {"line_events", "line_users", "reference_requests", "unanswered_questions"}
TABLES_0002 = TABLES_0001 | {"smartphone_classes", "smartphone_bookings", "notifications"}
TABLES = TABLES_0002 | {"benefit_subscriptions", "offered_payloads", "interpreter_transcripts"}


def migrate_command(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHIBA_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "storage.migrate"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    result = upgrade(db_url)
    assert (result.before, result.after, result.changed) == (None, HEAD, True)
    engine = create_engine_from_url(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_twice_changes_nothing_the_second_time(db_url: str) -> None:
    upgrade(db_url)
    again = upgrade(db_url)
    assert (again.before, again.after, again.changed) == (HEAD, HEAD, False)


def test_concurrent_upgrades_of_an_empty_database_all_succeed(db_url: str) -> None:
    # Gateways starting together (separate processes): the database lock makes the later ones find head.
    env = {**os.environ, "CHIBA_DATABASE_URL": db_url, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "storage.migrate"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0]
    assert sum("upgraded from an empty database" in out for out in outputs) == 1


def test_upgrades_from_threads_of_one_process_take_turns(db_url: str) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: upgrade(db_url), range(3)))
    assert sum(r.changed for r in results) == 1 and {r.after for r in results} == {HEAD}


def test_smartphone_tables_downgrade_and_upgrade_again(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from storage.migrate import ALEMBIC_INI, current_revision

    engine = create_engine_from_url(db_url)
    try:
        upgrade(engine)
        config = Config(str(ALEMBIC_INI))
        config.attributes["engine"] = engine
        command.downgrade(config, "0001")
        assert current_revision(engine) == "0001"
        assert set(inspect(engine).get_table_names()) == TABLES_0001 | {"alembic_version"}
        result = upgrade(engine)
        assert (result.before, result.after) == ("0001", HEAD)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_models_match_the_migrations(db_url: str) -> None:
    engine = create_engine_from_url(db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_migrate_command_reports_what_it_did(db_url: str) -> None:
    first = migrate_command(db_url)
    assert first.returncode == 0, first.stderr
    assert f"upgraded from an empty database to {HEAD}" in first.stdout
    second = migrate_command(db_url)
    assert second.returncode == 0, second.stderr
    assert f"already at revision {HEAD}, nothing to do" in second.stdout


def test_migrate_command_creates_the_sqlite_folder(tmp_path: Path) -> None:
    result = migrate_command(sqlite_url(tmp_path / "deep" / "var" / "app.db"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "deep" / "var" / "app.db").is_file()


def test_migrate_command_exits_2_when_the_database_cannot_be_reached() -> None:
    result = migrate_command("postgresql+psycopg://postgres@127.0.0.1:1/test")
    assert result.returncode == 2
    assert "cannot reach the database postgresql+psycopg://postgres@127.0.0.1:1/test" in result.stderr
    assert "Connection refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_command_hides_the_password_and_rejects_unknown_databases() -> None:
    unreachable = migrate_command("postgresql://app:s3cret-pw@127.0.0.1:1/test")
    assert unreachable.returncode == 2 and "s3cret-pw" not in unreachable.stderr
    unknown = migrate_command("oracle://app@127.0.0.1/x")
    assert unknown.returncode == 2 and "not usable" in unknown.stderr
