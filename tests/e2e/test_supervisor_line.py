"""LINE events received while Rasa is down, or while a gateway dies, are answered when it is back: nothing lost,
nothing answered twice, a chat's answers in order. The gateway runs in-process against the fake LINE API and fake
Rasa of tests/line (no model needed); the store is a SQLite file per test, or PostgreSQL for the migration check.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from channels.app import create_app
from channels.line import LINE_CHANNEL, setup_line
from channels.line.handler import answer_later_text, retry_key
from settings import GatewaySettings, LineSettings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "line"))
from line_fakes import (
    PUSH,
    REPLY,
    SECRET,
    TOKEN,
    USER,
    FakeLine,
    FakeRasa,
    sign,
    text_event,
    unfollow_event,
    webhook_body,
)

OTHER = "U9999999999abcdef0123456789abcdef"
MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture(autouse=True)
def _own_databases_and_quick_replays(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHIBA_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("CHIBA_TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.delenv("CHIBA_TRACKER_URL", raising=False)
    monkeypatch.setenv("CHIBA_LINE_REPLAY_INTERVAL", "0.1")
    monkeypatch.setenv("CHIBA_LINE_LEASE", "1")


@pytest.fixture
def fake_line() -> FakeLine:
    return FakeLine()


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def servers(
    aiohttp_server: Any, fake_line: FakeLine, fake_rasa: FakeRasa, action_server: ActionServer
) -> AsyncIterator[tuple[str, str]]:
    line = await aiohttp_server(fake_line.app())
    rasa: TestServer = await aiohttp_server(with_health(fake_rasa, action_server))
    yield str(line.make_url("")).rstrip("/"), str(rasa.make_url("")).rstrip("/")
    if fake_rasa.gate is not None:
        fake_rasa.gate.set()


@dataclass
class ActionServer:
    up: bool = True


@pytest.fixture
def action_server() -> ActionServer:
    return ActionServer()


def with_health(fake_rasa: FakeRasa, action_server: ActionServer) -> web.Application:
    """The fake Rasa plus the health checks the gateway probes before it replays held events: Rasa's (503 while
    the fake is "down") and the action server's knowledge-base check (served here too)."""

    async def rasa_health(request: web.Request) -> web.Response:
        ok = fake_rasa.status == 200
        return web.json_response({"status": "ok" if ok else "down"}, status=200 if ok else 503)

    async def knowledge_base_health(request: web.Request) -> web.Response:
        # The action server's answer to action_kb_health (channels/health.py): every domain loaded some records.
        if not action_server.up:
            raise web.HTTPServiceUnavailable()
        return web.json_response({"events": [], "responses": [{"custom": {"kb": {"garbage_items": 1}}}]})

    app = fake_rasa.app()
    app.router.add_get("/webhooks/gateway/health", rasa_health)
    app.router.add_post("/webhook", knowledge_base_health)
    return app


@pytest.fixture
def make_client(aiohttp_client: Any, servers: tuple[str, str], tmp_path: Path) -> MakeClient:
    line_url, rasa_url = servers

    async def make(**overrides: Any) -> TestClient:
        app = create_app(GatewaySettings(rasa_url=rasa_url, action_server_url=rasa_url, backend_timeout=2.0))
        settings = LineSettings(
            channel_secret=SECRET, access_token=TOKEN, api_base_url=line_url, api_data_base_url=line_url,
            db_path=tmp_path / "line.db", retry_base_delay=0.01, retry_max_delay=0.05, max_retries=1,
            loading_after=30.0, shutdown_grace=1.0,
        )  # fmt: skip
        setup_line(app, settings.model_copy(update=overrides))
        return await aiohttp_client(app)

    return make


async def send(client: TestClient, *events: dict[str, Any]) -> None:
    body = webhook_body(*events)
    resp = await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 200
    await client.server.app[LINE_CHANNEL].drain(timeout=10)


def texts(call: Any) -> list[str]:
    return [m["text"] for m in call.json["messages"]]


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for `check()` (a safety timeout, not a speed assertion)."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def settle(seconds: float = 1.0) -> None:
    """Let the replay loop run a few more rounds, to see that nothing more is sent."""
    await asyncio.sleep(seconds)


async def test_a_message_sent_while_rasa_is_down_is_answered_once_when_it_is_back(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    client = await make_client()
    fake_rasa.status = 503
    await send(client, text_event("電池", event_id="01DOWN"))
    [notice] = fake_line.calls(REPLY)
    assert texts(notice) == [answer_later_text("ja")]  # told at once, politely, in their language
    assert fake_line.calls(PUSH) == []
    fake_rasa.status = 200
    await until(lambda: len(fake_line.calls(PUSH)) == 1)
    await settle()
    [push] = fake_line.calls(PUSH)
    assert push.json["to"] == USER and texts(push) == ["回答：電池"]
    assert push.headers["X-Line-Retry-Key"] == retry_key("01DOWN")
    assert len(fake_line.calls(PUSH)) == 1 and len(fake_line.calls(REPLY)) == 1


async def test_a_chats_held_messages_are_answered_in_order_and_later_ones_wait_behind_them(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    client = await make_client()
    fake_rasa.status = 503
    await send(client, text_event("一", reply_token="t1"), text_event("二", reply_token="t2"))
    fake_rasa.status = 200
    # Rasa is back, but the chat still has held messages: the new one is answered after them, not before.
    await send(client, text_event("三", reply_token="t3"))
    await until(lambda: len(fake_line.calls(PUSH)) == 3)
    await settle()
    assert [texts(p) for p in fake_line.calls(PUSH)] == [["回答：一"], ["回答：二"], ["回答：三"]]
    assert [r["message"] for r in fake_rasa.requests if r["message"] in "一二三"][-3:] == ["一", "二", "三"]


async def test_an_empty_answer_while_the_action_server_is_down_is_held_and_answered_when_it_is_back(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa, action_server: ActionServer
) -> None:
    client = await make_client()
    action_server.up = False
    # Rasa goes on without a custom action that failed and answers nothing at all.
    fake_rasa.replies["電池"] = {"messages": [], "meta": {"intent": "ask_garbage_item", "confidence": 0.9}}
    await send(client, text_event("電池", event_id="01NOACTIONS"))
    assert [texts(r) for r in fake_line.calls(REPLY)] == [[answer_later_text("ja")]]
    del fake_rasa.replies["電池"]
    action_server.up = True
    await until(lambda: len(fake_line.calls(PUSH)) == 1)
    assert texts(fake_line.calls(PUSH)[0]) == ["回答：電池"]


async def test_an_empty_answer_with_every_backend_up_gets_an_apology_not_silence(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    from channels.line.texts import text

    client = await make_client()
    # A custom action failed on a healthy action server: Rasa answers nothing.
    fake_rasa.replies["こんにちは"] = {"messages": [], "meta": {"intent": "greet", "confidence": 0.9}}
    await send(client, text_event("こんにちは"))
    assert [texts(r) for r in fake_line.calls(REPLY)] == [[text("unavailable", "ja")]]
    await settle(0.5)
    assert fake_line.calls(PUSH) == []  # closed: not held, not sent again


async def test_other_residents_are_answered_normally_while_one_chat_waits(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    client = await make_client()
    fake_rasa.status = 503
    await send(client, text_event("一", reply_token="t1"))
    fake_rasa.status = 200
    await send(client, text_event("別", user=OTHER, reply_token="t-other"))
    replies = {r.json["replyToken"]: texts(r) for r in fake_line.calls(REPLY)}
    assert replies["t-other"] == ["回答：別"]  # answered at once, with its own reply token
    await until(lambda: len(fake_line.calls(PUSH)) == 1)


async def test_a_redelivered_held_event_is_not_answered_twice(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    client = await make_client()
    fake_rasa.status = 503
    await send(client, text_event("電池", event_id="01AGAIN"))
    await send(client, text_event("電池", event_id="01AGAIN", redelivery=True))
    fake_rasa.status = 200
    await until(lambda: len(fake_line.calls(PUSH)) == 1)
    await settle()
    assert len(fake_line.calls(PUSH)) == 1 and len(fake_line.calls(REPLY)) == 1


async def test_an_event_a_dead_gateway_accepted_is_answered_by_the_next_one(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    from linebot.v3.webhooks import Event

    first = await make_client()
    # The gateway stored the event and told LINE 200, then died before answering it.
    event = Event.from_dict(text_event("電池", event_id="01ORPHAN"))
    assert await first.server.app[LINE_CHANNEL].handler.accept(event)
    await first.close()
    second = await make_client()  # same database; the first gateway's lease (1 s here) runs out
    second.server.app[LINE_CHANNEL].handler.start()
    await until(lambda: len(fake_line.calls(PUSH)) == 1)
    await settle(1.5)
    [push] = fake_line.calls(PUSH)
    assert texts(push) == ["回答：電池"] and push.headers["X-Line-Retry-Key"] == retry_key("01ORPHAN")
    assert [r["message"] for r in fake_rasa.requests] == ["電池"]


async def test_an_answer_line_would_not_take_is_delivered_later_without_asking_rasa_again(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    client = await make_client()
    fake_line.fail_next(REPLY, 500, times=1)
    fake_line.fail_next(PUSH, 500, times=2)  # the reply, then the push and its one retry fail: LINE is down
    await send(client, text_event("電池", event_id="01LINEDOWN"))
    assert len(fake_line.calls(PUSH)) == 2
    await until(lambda: len(fake_line.calls(PUSH)) == 3)  # after the lease: the stored answer, same retry key
    await settle(1.5)
    pushes = fake_line.calls(PUSH)
    assert len(pushes) == 3 and {p.headers["X-Line-Retry-Key"] for p in pushes} == {retry_key("01LINEDOWN")}
    assert texts(pushes[-1]) == ["回答：電池"]
    assert [r["message"] for r in fake_rasa.requests] == ["電池"]


async def test_unfollowing_deletes_held_messages(
    make_client: MakeClient, fake_line: FakeLine, fake_rasa: FakeRasa, tmp_path: Path
) -> None:
    import sqlite3

    client = await make_client()
    fake_rasa.status = 503
    await send(client, text_event("秘密の相談"))
    await send(client, unfollow_event())
    with sqlite3.connect(tmp_path / "line.db") as conn:
        rows = conn.execute("SELECT status, payload FROM line_events").fetchall()
    assert all(status == "done" and payload is None for status, payload in rows)
    fake_rasa.status = 200
    await settle()
    assert fake_line.calls(PUSH) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0004_goes_down_and_up_again(backend: str, tmp_path: Path) -> None:
    """0004 on both backends: held events survive nothing they should not (a downgrade drops them, done ids stay)."""
    import uuid
    from datetime import datetime, timedelta, timezone

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from storage.db import create_engine_from_url, session_factory
    from storage.line_pending import LinePending
    from storage.migrate import ALEMBIC_INI, upgrade

    schema = f"supervisor_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        admin = create_engine_from_url("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine_from_url(url)
    try:
        upgrade(engine, "0004")
        pending = LinePending(session_factory(engine))
        now = datetime.now(timezone.utc)
        day, lease = timedelta(days=1), timedelta(seconds=60)
        assert pending.accept("held", now, ttl=day, lease=lease, chat_id="U1", payload=json.dumps({"x": 1}))
        assert pending.accept("old", now, ttl=day, lease=lease)
        assert not pending.accept("held", now, ttl=day, lease=lease, chat_id="U1", payload="{}")
        config = Config(str(ALEMBIC_INI))
        config.attributes["engine"] = engine
        command.downgrade(config, "0003")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT event_id FROM line_events")).scalars().all() == ["old"]
        upgrade(engine, "0004")
        assert pending.accept("held", now, ttl=day, lease=lease, chat_id="U1", payload="{}")
        assert [row.event_id for row in pending.due(now + 2 * lease)] == ["held"]
    finally:
        engine.dispose()
        if backend == "postgresql":
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
