"""Forget me on LINE: after Rasa's confirmed reply ({"forget_me": true}) and on unfollow, everything stored about the
user goes (their language in the LINE store, their requests and reminder subscriptions, Rasa's conversation); other
users keep theirs; a deletion that failed is never confirmed."""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from line_fakes import REPLY, USER, FakeLine, FakeRasa, post_events, postback_event, text_event, unfollow_event

from channels.line.texts import text
from settings import JST
from storage.db import create_engine_from_url
from storage.migrate import upgrade
from storage.repositories import Repositories

NOW = datetime(2027, 1, 20, 10, 0, tzinfo=JST)
OTHER = "U" + "9" * 32
CONFIRMED = {
    "messages": [{"text": "データをすべて削除しました。"}],
    "meta": {"intent": "affirm", "confidence": 0.97, "fallback": False, "sources": [], "forget_me": True},
}


@pytest.fixture
def repos() -> Repositories:
    url = os.environ["CHIBA_DATABASE_URL"]  # tests/line/conftest.py: this test's own SQLite file
    upgrade(url)
    return Repositories.for_engine(create_engine_from_url(url), clock=lambda: NOW)


@pytest.fixture
def tracker_db() -> Path:
    path = Path(os.environ["CHIBA_TRACKER_DB"])
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, data TEXT)")
        conn.executemany("INSERT INTO events (sender_id, data) VALUES (?, '{}')", [(f"line:{USER}",)] * 4 + [
            (f"line:{OTHER}",)] * 2)  # fmt: skip
    return path


def seed(repos: Repositories, user: str) -> None:
    sender = f"line:{user}"
    repos.reference_requests.create("質問", "090-1111-2222", None, "ja", True, sender)
    repos.benefits.subscribe(sender_id=sender, channel="line", recipient=user, child_birth_month=date(2026, 11, 1),
                             ward=None, lang="ja")  # fmt: skip
    repos.line_users.set_lang(user, "ko", NOW)  # the application database's copy


def left(repos: Repositories, tracker_db: Path, line_db: Path, user: str) -> dict[str, Any]:
    with sqlite3.connect(tracker_db) as conn:
        events = conn.execute("SELECT count(*) FROM events WHERE sender_id = ?", (f"line:{user}",)).fetchone()[0]
    with sqlite3.connect(line_db) as conn:
        lang = conn.execute("SELECT count(*) FROM line_users WHERE user_id = ?", (user,)).fetchone()[0]
    return {
        "subscriptions": len(repos.benefits.for_sender(f"line:{user}")),
        "app_lang": repos.line_users.get_lang(user),
        "line_store_lang": lang,
        "events": events,
    }


async def test_a_confirmed_forget_me_deletes_the_users_data(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, repos: Repositories, tracker_db: Path,
    line_settings: Any, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    seed(repos, USER)
    seed(repos, OTHER)
    await post_events(client, postback_event("lang=vi"))  # the LINE store's language (CHIBA_LINE_DB here)
    await post_events(client, postback_event("lang=pt", user=OTHER))
    fake_rasa.replies["はい、削除する"] = CONFIRMED
    with caplog.at_level(logging.DEBUG):
        await post_events(client, text_event("はい、削除する"))
    assert fake_line.calls(REPLY)[-1].json["messages"][0]["text"] == "データをすべて削除しました。"
    mine = left(repos, tracker_db, line_settings.db_path, USER)
    assert (mine["subscriptions"], mine["app_lang"], mine["line_store_lang"], mine["events"]) == (0, None, 0, 0)
    assert repos.reference_requests.forget_sender(f"line:{USER}") == 0
    other = left(repos, tracker_db, line_settings.db_path, OTHER)
    assert (other["subscriptions"], other["app_lang"], other["line_store_lang"], other["events"]) == (1, "ko", 1, 2)
    assert USER not in caplog.text and "090-1111-2222" not in caplog.text


async def test_unfollow_forgets_everything(
    client: Any, repos: Repositories, tracker_db: Path, line_settings: Any
) -> None:
    seed(repos, USER)
    seed(repos, OTHER)
    await post_events(client, unfollow_event())
    mine = left(repos, tracker_db, line_settings.db_path, USER)
    assert (mine["subscriptions"], mine["app_lang"], mine["events"]) == (0, None, 0)
    assert repos.reference_requests.forget_sender(f"line:{USER}") == 0
    assert len(repos.benefits.for_sender(f"line:{OTHER}")) == 1


async def test_a_failed_deletion_is_not_confirmed(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(repos, USER)
    monkeypatch.setenv("CHIBA_TRACKER_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nothing")  # refused
    fake_rasa.replies["はい、削除する"] = CONFIRMED
    await post_events(client, text_event("はい、削除する"))
    assert fake_line.calls(REPLY)[-1].json["messages"] == [{"type": "text", "text": text("unavailable", "ja")}]


async def test_an_ordinary_answer_deletes_nothing(
    client: Any, fake_rasa: FakeRasa, repos: Repositories, tracker_db: Path
) -> None:
    seed(repos, USER)
    await post_events(client, text_event("電池"))
    assert len(repos.benefits.for_sender(f"line:{USER}")) == 1
    with sqlite3.connect(tracker_db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 6
