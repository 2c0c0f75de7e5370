"""Rasa's fail-safe tracker store falls back to memory silently; the gateway channel's /health must not stay silent.

Real Rasa objects: a FailSafeTrackerStore around an SQLTrackerStore on the machine's PostgreSQL (127.0.0.1:5432/test,
a schema of this test; CHIBA_TEST_POSTGRES_URL points elsewhere). "The database is gone" is the store's engine pointed
at a closed port, as a stopped PostgreSQL looks to Rasa.
"""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.gateway_channel as gateway_channel
from bot.gateway_channel import GatewayInput

SENDER = "resident-7"
CLOSED = "postgresql://postgres@127.0.0.1:1/test"


class Agent:
    """What the channel reads of Rasa's Agent: the (fail-safe) tracker store and readiness."""

    def __init__(self, tracker_store: Any) -> None:
        self.tracker_store = tracker_store

    def is_ready(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def point_at(store: SQLTrackerStore, url: str) -> None:
    """Swap the store's database, as when PostgreSQL goes away or comes back."""
    store.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    store.sessionmaker = sa.orm.session.sessionmaker(bind=store.engine)


def health(channel: GatewayInput, agent: Agent) -> tuple[int, dict[str, Any]]:
    blueprint = channel.blueprint(lambda message: asyncio.sleep(0))
    handler = {route.uri: route.handler for route in blueprint._future_routes}["/health"]
    response = asyncio.run(handler(SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))))
    return response.status, json.loads(response.body)


def a_turn(store: FailSafeTrackerStore, text: str) -> None:
    async def turn() -> None:
        tracker = await store.retrieve(SENDER) or DialogueStateTracker(SENDER, [])
        tracker.update(UserUttered(text))
        await store.save(tracker)

    asyncio.run(turn())


@pytest.fixture
def stores(pg_url: str) -> tuple[FailSafeTrackerStore, SQLTrackerStore]:
    primary = SQLTrackerStore(Domain.empty(), host=pg_url)
    return FailSafeTrackerStore(primary), primary


def test_health_is_ok_while_the_tracker_store_database_answers(stores: Any) -> None:
    failsafe, _ = stores
    a_turn(failsafe, "こんにちは")
    assert health(GatewayInput(), Agent(failsafe)) == (200, {"status": "ok"})


def test_a_fallback_to_memory_fails_health_and_is_logged(
    stores: Any, pg_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    failsafe, primary = stores
    clock = Clock()
    channel = GatewayInput()
    channel.tracker_watch = gateway_channel.TrackerStoreWatch(clock=clock)
    agent = Agent(failsafe)
    assert health(channel, agent)[0] == 200

    point_at(primary, CLOSED)  # PostgreSQL stops
    with caplog.at_level(logging.ERROR, logger="bot.gateway_channel"):
        a_turn(failsafe, "粗大ごみの出し方")  # Rasa answers on, from memory
    assert "falls back to an in-memory tracker" in caplog.text
    assert SENDER not in caplog.text  # who it was is not logged
    status, body = health(channel, agent)
    assert status == 503 and body["status"] == "tracker_store_fallback"
    assert body["tracker_store"]["database"].startswith("unreachable")
    assert body["tracker_store"]["fallbacks"] >= 1 and body["tracker_store"]["error"] == "OperationalError"

    point_at(primary, pg_url)  # PostgreSQL is back: still reported for a while, the turns meanwhile were not stored
    clock.now += 10
    status, body = health(channel, agent)
    assert status == 503 and body["tracker_store"]["database"] == "ok"
    clock.now += gateway_channel.FALLBACK_HOLD_SECONDS
    assert health(channel, agent) == (200, {"status": "ok"})


def test_a_postgresql_restart_costs_no_turn(stores: Any, pg_url: str) -> None:
    """Pooled connections die with the server; each is tested before use, so the next turn opens a fresh one."""
    failsafe, primary = stores
    channel = GatewayInput()
    agent = Agent(failsafe)
    a_turn(failsafe, "最初のメッセージ")
    assert health(channel, agent)[0] == 200  # attaches the watch
    application_name = pg_url.rsplit("application_name=", 1)[1]
    admin = sa.create_engine(pg_url.split("?")[0], isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:  # what a restart does to every open connection
        ended = conn.execute(
            sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": application_name},
        ).scalar()
    admin.dispose()
    assert ended >= 1
    a_turn(failsafe, "二つ目のメッセージ")
    assert channel.tracker_watch.fallbacks == 0
    tracker = asyncio.run(primary.retrieve(SENDER))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["最初のメッセージ", "二つ目のメッセージ"]


def test_the_embedded_sqlite_tracker_store_is_watched_too(tmp_path: Any) -> None:
    failsafe = FailSafeTrackerStore(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db")))
    channel, agent = GatewayInput(), Agent(failsafe)
    assert health(channel, agent) == (200, {"status": "ok"})  # attaches the watch and its checkout ping
    a_turn(failsafe, "こんにちは")
    a_turn(failsafe, "ありがとう")
    tracker = asyncio.run(failsafe.retrieve(SENDER))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["こんにちは", "ありがとう"]
    assert channel.tracker_watch.fallbacks == 0


class CountingStore(InMemoryTrackerStore):
    def __init__(self) -> None:
        super().__init__(Domain.empty())
        self.reads = 0

    async def retrieve(self, sender_id: str) -> Any:
        self.reads += 1
        return await super().retrieve(sender_id)


def test_the_reply_meta_comes_from_the_saved_turn_without_reading_the_conversation_again() -> None:
    primary = CountingStore()
    failsafe = FailSafeTrackerStore(primary)

    async def processor(message: UserMessage) -> None:
        """What Rasa's processor does: one read, the parsed message, the answer, one save."""
        tracker = await failsafe.retrieve(message.sender_id) or DialogueStateTracker(message.sender_id, [])
        tracker.update(UserUttered(message.text, intent={"name": "ask_garbage_item", "confidence": 0.91}))
        await message.output_channel.send_response(message.sender_id, {"text": "可燃ごみです。"})
        await failsafe.save(tracker)

    handler = {r.uri: r.handler for r in GatewayInput().blueprint(processor)._future_routes}["/webhook"]
    body = json.dumps({"sender": SENDER, "message": "紙おむつ"}).encode()
    request = SimpleNamespace(body=body, app=SimpleNamespace(ctx=SimpleNamespace(agent=Agent(failsafe))))
    response = asyncio.run(handler(request))
    reply = json.loads(response.body)
    assert reply["meta"]["intent"] == "ask_garbage_item" and reply["meta"]["confidence"] == 0.91
    assert primary.reads == 1  # the processor's own read only
