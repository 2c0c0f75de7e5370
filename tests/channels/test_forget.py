"""Forget me (channels/forget.py): a sender's reference requests, bookings, reminder subscriptions, notifications,
LINE language and Rasa conversation are deleted, other senders' are not, and nothing personal is logged; the web chat
acts on Rasa's {"forget_me": true} and never shows a confirmation when the deletion failed."""

from __future__ import annotations

import getpass
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from channels.appdb import AppDatabase
from channels.forget import Forgetter, forget_everything, forget_requested
from knowledge_base.benefits import load_programmes
from settings import JST, DatabaseSettings, KnowledgeBaseSettings
from storage.db import create_engine_from_url
from storage.migrate import upgrade
from storage.privacy import sender_key
from storage.repositories import Repositories
from storage.smartphone import ClassRow

NOW = datetime(2027, 1, 20, 10, 0, tzinfo=JST)
CLASS_AT = datetime(2099, 3, 1, 10, 0, tzinfo=JST)
LINE_USER, OTHER_USER = "U" + "1" * 32, "U" + "2" * 32
LINE_SENDER, WEB_SENDER, OTHER_SENDER = f"line:{LINE_USER}", "web-5f1c9a", f"line:{OTHER_USER}"
TRACKER_DDL = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL, "
    "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
)
PERSONAL = ("山田 花子", "090-1111-2222", "hanako@example.jp", LINE_USER, WEB_SENDER, "5f1c9a")


@pytest.fixture
def repos() -> Repositories:
    url = os.environ["CHIBA_DATABASE_URL"]  # tests/channels/conftest.py: this test's own SQLite file
    upgrade(url)
    repos = Repositories.for_engine(create_engine_from_url(url), clock=lambda: NOW)  # the gateway's salt (default)
    repos.smartphone.replace_catalogue(
        [ClassRow("c1", "line", "beginner", "ward_office_chuo", CLASS_AT, CLASS_AT + timedelta(hours=2), 1, "043")],
        example=False,
    )
    return repos


@pytest.fixture
def tracker_db() -> Path:
    path = Path(os.environ["CHIBA_TRACKER_DB"])
    with sqlite3.connect(path) as conn:
        conn.execute(TRACKER_DDL)
    return path


def add_events(path: Path, sender: str, n: int = 3) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', 0, ?)",
            [(sender, '{"text": "山田 花子です"}')] * n,
        )


def events_of(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT sender_id, count(*) FROM events GROUP BY sender_id").fetchall())


def seed(repos: Repositories, sender: str, line_user: str | None) -> None:
    """Everything the application stores about one resident: a request, a booking (and one waiting), a reminder
    subscription with its queued reminders, a LINE language."""
    repos.reference_requests.create("山田 花子の質問", "090-1111-2222", None, "ja", True, sender)
    channel, recipient = ("line", line_user) if line_user else ("email", "hanako@example.jp")
    repos.smartphone.book(
        "c1", name="山田 花子", phone="090-1111-2222", seats=1, lang="ja", channel=channel if line_user else "web",
        sender_id=sender, line_to=line_user, now=NOW,
    )  # fmt: skip
    repos.benefits.subscribe(
        sender_id=sender, channel=channel, recipient=recipient, child_birth_month=date(2026, 11, 1), ward="chuo",
        lang="ja",
    )  # fmt: skip
    assert repos.benefits.queue_due(NOW, load_programmes(KnowledgeBaseSettings().data_dir)) > 0
    if line_user:
        repos.line_users.set_lang(line_user, "vi", NOW)


def stored(repos: Repositories, sender: str, line_user: str | None) -> dict[str, int]:
    """What is left of one resident (the repositories find rows by the salted sender key, as "forget me" does)."""
    return {
        "bookings": len(repos.smartphone.for_sender(sender, now=NOW)),
        "subscriptions": len(repos.benefits.for_sender(sender)),
        "requests": len(requests_of(repos, sender)),
        "line_lang": int(line_user is not None and repos.line_users.get_lang(line_user) is not None),
    }


def requests_of(repos: Repositories, sender: str) -> list[Any]:
    """The sender's reference requests, found as the repository's forget_sender finds them."""
    key = sender_key(sender, DatabaseSettings().sender_salt.get_secret_value())
    return [r for r in repos.reference_requests.list(limit=1000) if r.sender_key == key]


# --- forget_everything -----------------------------------------------------------------------------------------------


async def test_everything_about_the_sender_goes_and_nothing_else(
    repos: Repositories, tracker_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed(repos, LINE_SENDER, LINE_USER)  # the only seat of c1
    seed(repos, OTHER_SENDER, OTHER_USER)  # waits for it
    add_events(tracker_db, LINE_SENDER, 5)
    add_events(tracker_db, OTHER_SENDER, 2)
    assert stored(repos, LINE_SENDER, LINE_USER) == {"bookings": 1, "subscriptions": 1, "requests": 1, "line_lang": 1}
    before_other = stored(repos, OTHER_SENDER, OTHER_USER)
    database = AppDatabase()
    forgetter = Forgetter(database)
    with caplog.at_level(logging.DEBUG):
        counts = await forgetter(LINE_SENDER, line_user_id=LINE_USER)
    assert counts == {"reference_requests": 1, "smartphone_bookings": 1, "benefit_subscriptions": 1, "line_users": 1,
                      "tracker_events": 5}  # fmt: skip
    assert events_of(tracker_db) == {OTHER_SENDER: 2}
    assert stored(repos, LINE_SENDER, LINE_USER) == {"bookings": 0, "subscriptions": 0, "requests": 0, "line_lang": 0}
    assert stored(repos, OTHER_SENDER, OTHER_USER) == before_other
    [booking] = repos.smartphone.for_sender(OTHER_SENDER, now=NOW)
    assert booking.status == "booked"  # the freed seat went to the resident who was waiting
    assert all(n.recipient in (OTHER_USER, None) for n in repos.smartphone.claim_notifications("w", NOW))
    assert "forget me: reference_requests=1" in caplog.text
    assert not any(value in caplog.text for value in PERSONAL)
    assert await forgetter(LINE_SENDER, line_user_id=LINE_USER) == dict.fromkeys(counts, 0)  # twice: nothing left
    forgetter.close()
    await database.close()


async def test_the_module_function_uses_the_environments_databases(repos: Repositories, tracker_db: Path) -> None:
    seed(repos, WEB_SENDER, None)
    add_events(tracker_db, WEB_SENDER)
    counts = await forget_everything(WEB_SENDER)
    assert counts["benefit_subscriptions"] == 1 and counts["tracker_events"] == 3 and counts["line_users"] == 0
    assert events_of(tracker_db) == {}


async def test_a_tracker_store_that_does_not_exist_is_not_created(repos: Repositories, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "tracker.db"
    forgetter = Forgetter(AppDatabase(), tracker=f"sqlite:///{missing}")
    assert (await forgetter(WEB_SENDER))["tracker_events"] == 0
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a file without Rasa's table yet
    assert (await Forgetter(AppDatabase(), tracker=f"sqlite:///{empty}")(WEB_SENDER))["tracker_events"] == 0


@pytest.fixture
def pg_tracker_url() -> Iterator[str]:
    """A fresh schema on the machine's PostgreSQL (as tests/storage/conftest.py), holding Rasa's events table."""
    if os.environ.get("CHIBA_TEST_NO_POSTGRES") == "1":
        pytest.skip("CHIBA_TEST_NO_POSTGRES=1: PostgreSQL backend not tested")
    for user in dict.fromkeys(["postgres", getpass.getuser()]):
        admin_url = f"postgresql+psycopg://{user}@127.0.0.1:5432/test"
        admin = create_engine_from_url(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                schema = f"test_{uuid.uuid4().hex[:16]}"
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
                table = f'"{schema}".events'
                conn.exec_driver_sql(
                    f"CREATE TABLE {table} (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                    "type_name VARCHAR(255) NOT NULL, data TEXT)"
                )
                for sender in (WEB_SENDER, WEB_SENDER, OTHER_SENDER):
                    conn.execute(text(f"INSERT INTO {table} (sender_id, type_name) VALUES (:s, 'user')"), {"s": sender})
        except OperationalError:
            admin.dispose()
            continue
        try:
            yield make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
        return
    pytest.fail("PostgreSQL at 127.0.0.1:5432/test unreachable; CHIBA_TEST_NO_POSTGRES=1 skips this test")


async def test_a_tracker_store_on_postgresql(
    repos: Repositories, pg_tracker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIBA_TRACKER_URL", pg_tracker_url)
    forgetter = Forgetter(AppDatabase())
    assert (await forgetter(WEB_SENDER))["tracker_events"] == 2
    assert (await forgetter(OTHER_SENDER))["tracker_events"] == 1
    forgetter.close()


@pytest.mark.parametrize(
    ("body", "wanted"),
    [
        ({"messages": [], "meta": {"forget_me": True}}, True),
        ({"messages": [{"text": "x"}, {"custom": {"forget_me": True}}]}, True),
        ({"messages": [{"forget_me": True}]}, True),
        ({"messages": [{"text": "forget_me"}], "meta": {"forget_me": "yes"}}, False),
        ({"messages": [{"custom": {"forget_me": False}}]}, False),
        ([], False),
        (None, False),
    ],
)
def test_forget_requested(body: Any, wanted: bool) -> None:
    assert forget_requested(body) is wanted


# --- the web chat ----------------------------------------------------------------------------------------------------


def confirmation(**meta: Any) -> dict[str, Any]:
    return {
        "messages": [{"text": "データをすべて削除しました。"}],
        "meta": {"intent": "affirm", "confidence": 0.98, "fallback": False, "sources": [], **meta},
    }


async def chat(client: Any, sender: str, message: str = "はい、削除する") -> Any:
    return await client.post("/api/chat", json={"sender_id": sender, "text": message, "lang": "ja"})


async def test_the_web_chat_forgets_after_rasa_confirmed(
    repos: Repositories, tracker_db: Path, client: Any, backend: Any, caplog: pytest.LogCaptureFixture
) -> None:
    seed(repos, WEB_SENDER, None)
    seed(repos, OTHER_SENDER, OTHER_USER)
    add_events(tracker_db, WEB_SENDER)
    add_events(tracker_db, OTHER_SENDER)
    backend.reply = confirmation()
    response = await chat(client, WEB_SENDER, "私のデータを消して")  # no forget_me yet: Rasa asks to confirm
    assert response.status == 200 and stored(repos, WEB_SENDER, None)["subscriptions"] == 1
    backend.reply = confirmation(forget_me=True)
    with caplog.at_level(logging.DEBUG):
        response = await chat(client, WEB_SENDER)
    body = await response.json()
    assert response.status == 200 and body["messages"] == [{"text": "データをすべて削除しました。"}]
    assert "forget_me" not in body["meta"]
    assert stored(repos, WEB_SENDER, None) == {"bookings": 0, "subscriptions": 0, "requests": 0, "line_lang": 0}
    assert events_of(tracker_db) == {OTHER_SENDER: 3}
    assert stored(repos, OTHER_SENDER, OTHER_USER) == {"bookings": 1, "subscriptions": 1, "requests": 1, "line_lang": 1}
    assert not any(value in caplog.text for value in PERSONAL)


async def test_a_failed_deletion_is_never_confirmed(
    repos: Repositories, client: Any, backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(repos, WEB_SENDER, None)
    monkeypatch.setenv("CHIBA_TRACKER_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nothing")  # refused
    backend.reply = confirmation(forget_me=True)
    response = await chat(client, WEB_SENDER)
    body = await response.json()
    assert response.status == 503 and body["error"]["code"] == "forget_failed"
    assert "削除できませんでした" in body["error"]["message_ja"]


async def test_a_web_client_cannot_erase_a_line_users_data(
    repos: Repositories, tracker_db: Path, client: Any, backend: Any
) -> None:
    seed(repos, LINE_SENDER, LINE_USER)
    add_events(tracker_db, LINE_SENDER)
    backend.reply = confirmation(forget_me=True)
    response = await chat(client, LINE_SENDER)
    # A LINE user's conversation is reachable only from LINE: the web chat refuses the sender id outright.
    assert response.status == 400 and (await response.json())["error"]["code"] == "invalid_field"
    assert stored(repos, LINE_SENDER, LINE_USER) == {"bookings": 1, "subscriptions": 1, "requests": 1, "line_lang": 1}
    assert events_of(tracker_db) == {LINE_SENDER: 3}
