"""State two gateways share in the scaled profile: the resident's language (Redis) and "forget me" deleting the
PostgreSQL conversation under the Rasa servers' conversation lock, so a turn in flight cannot write it back.

Needs the machine's Redis (127.0.0.1:6379; keys under a prefix of this test, removed after) and PostgreSQL
(127.0.0.1:5432/test, a schema of this test); CHIBA_TEST_REDIS_URL / CHIBA_TEST_POSTGRES_URL point elsewhere.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as redis
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from channels.appdb import AppDatabase
from channels.forget import ConversationBusy, ConversationLocks, Forgetter
from channels.language import NO_HISTORY, LanguageMemory, RedisLanguageMemory, UserLanguage, language_memory
from settings import SharedStateSettings
from storage.db import create_engine_from_url

REDIS_URL = os.environ.get("CHIBA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SENDER = "line:U1234567890abcdef1234567890abcdef"
OTHER = "web-0b6f0c3e"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = f"scaletest{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        await client.ping()
    except (redis.RedisError, OSError) as exc:
        pytest.fail(f"Redis at {REDIS_URL} unreachable ({type(exc).__name__}); set CHIBA_TEST_REDIS_URL")
    yield prefix
    async for key in client.scan_iter(f"{prefix}*"):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
async def gateways(prefix: str) -> AsyncIterator[list[RedisLanguageMemory]]:
    """The language memory of two gateway processes."""
    memories = [RedisLanguageMemory.from_url(REDIS_URL, prefix) for _ in range(2)]
    yield memories
    for memory in memories:
        await memory.close()


# --- the language memory ----------------------------------------------------------------------------------------------


async def test_a_language_chosen_through_one_gateway_is_used_by_the_other(gateways: list[RedisLanguageMemory]) -> None:
    first, second = gateways
    assert await second.load(SENDER) == NO_HISTORY
    assert await first.record(SENDER, "vi", "vi") == UserLanguage(chosen="vi", last="vi")
    assert await second.load(SENDER) == UserLanguage(chosen="vi", last="vi")
    # no `lang` keeps the choice; a payload turn never becomes a choice; "auto" forgets it
    assert await second.record(SENDER, None, "vi") == UserLanguage(chosen="vi", last="vi")
    assert await first.record(SENDER, "ko", "ko", payload=True) == UserLanguage(chosen="vi", last="ko")
    assert await second.record(SENDER, "auto", "ne") == UserLanguage(chosen=None, last="ne")
    assert await first.load(SENDER) == UserLanguage(chosen=None, last="ne")
    assert await first.load(OTHER) == NO_HISTORY


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        ([("en", "en")], UserLanguage("en", "en")),
        ([("en", "en"), (None, "ja")], UserLanguage("en", "ja")),
        ([("en", "en"), ("auto", "ko")], UserLanguage(None, "ko")),
        ([(None, "vi")], UserLanguage(None, "vi")),
    ],
)
async def test_the_shared_memory_follows_the_same_rules_as_process_memory(
    gateways: list[RedisLanguageMemory], turns: list[tuple[str | None, str]], expected: UserLanguage
) -> None:
    local, shared = LanguageMemory(), gateways[0]
    sender = f"s-{uuid.uuid4().hex}"
    for requested, used in turns:
        local.remember(sender, requested, used)
        await shared.record(sender, requested, used)
    assert local.get(sender) == await shared.load(sender) == expected


async def test_entries_expire_and_sender_ids_are_not_written_out(prefix: str) -> None:
    memory = RedisLanguageMemory.from_url(REDIS_URL, prefix, ttl=60)
    await memory.record(SENDER, "tl", "tl")
    client = redis.Redis.from_url(REDIS_URL)
    keys = [key.decode() async for key in client.scan_iter(f"{prefix}*")]
    assert keys == [memory.key(SENDER)] and "U1234567890" not in keys[0]
    assert 55_000 < await client.pttl(keys[0]) <= 60_000
    assert await memory.forget(SENDER) == 1
    assert await memory.load(SENDER) == NO_HISTORY
    assert await memory.forget(SENDER) == 0
    await client.aclose()
    await memory.close()


async def test_redis_down_answers_without_memory_and_logs_no_sender(caplog: pytest.LogCaptureFixture) -> None:
    memory = RedisLanguageMemory.from_url("redis://127.0.0.1:1/0", "scaletest")
    with caplog.at_level(logging.WARNING, logger="channels.language"):
        assert await memory.load(SENDER) == NO_HISTORY
        assert await memory.record(SENDER, "pt", "pt") == UserLanguage("pt", "pt")
    assert "language memory unavailable (ConnectionError)" in caplog.text
    assert SENDER not in caplog.text
    await memory.close()


async def test_the_synchronous_api_of_the_shared_memory_is_refused(gateways: list[RedisLanguageMemory]) -> None:
    """A route still calling get()/remember() would keep languages per process without anyone noticing."""
    with pytest.raises(TypeError, match="await load"):
        gateways[0].get(SENDER)
    with pytest.raises(TypeError, match="await record"):
        gateways[0].remember(SENDER, "en", "en")


async def test_two_gateways_answer_a_resident_in_the_language_chosen_on_either(
    aiohttp_client: Any, settings: Any, backend: Any, prefix: str
) -> None:
    from channels.app import create_app
    from channels.language import setup_language_memory

    clients = []
    for _ in range(2):
        app = create_app(settings)
        setup_language_memory(app, RedisLanguageMemory.from_url(REDIS_URL, prefix))
        clients.append(await aiohttp_client(app))
    chose = await clients[0].post("/api/chat", json={"sender_id": OTHER, "text": "xin chào", "lang": "vi"})
    assert chose.status == 200 and (await chose.json())["lang"] == "vi"
    # The next message reaches the other gateway, without a language: the choice made on the first one holds.
    follow = await clients[1].post("/api/chat", json={"sender_id": OTHER, "text": "OK"})
    assert follow.status == 200 and (await follow.json())["lang"] == "vi"
    assert backend.received[-1]["metadata"]["lang"] == "vi"


def test_the_settings_pick_the_memory() -> None:
    assert type(language_memory(SharedStateSettings.from_env({}))) is LanguageMemory
    shared = language_memory(SharedStateSettings.from_env({"CHIBA_REDIS_URL": REDIS_URL}))
    assert isinstance(shared, RedisLanguageMemory)
    asyncio.run(shared.close())


# --- forget me under the conversation lock ---------------------------------------------------------------------------


@pytest.fixture
def pg_tracker() -> Iterator[Any]:
    """Rasa's events table in a fresh schema of the machine's PostgreSQL; yields (url, engine)."""
    bases = [os.environ["CHIBA_TEST_POSTGRES_URL"]] if os.environ.get("CHIBA_TEST_POSTGRES_URL") else [
        f"postgresql+psycopg://{user}@127.0.0.1:5432/test" for user in dict.fromkeys(["postgres", getpass.getuser()])
    ]  # fmt: skip
    schema = f"scale_{uuid.uuid4().hex[:12]}"
    for base in bases:
        admin = create_engine_from_url(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
                conn.exec_driver_sql(
                    f'CREATE TABLE "{schema}".events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, '
                    "type_name VARCHAR(255) NOT NULL, data TEXT)"
                )
        except OperationalError:
            admin.dispose()
            continue
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
        engine = create_engine_from_url(url, poolclass=NullPool)
        try:
            yield url, engine
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
        return
    pytest.fail("PostgreSQL at 127.0.0.1:5432/test unreachable; set CHIBA_TEST_POSTGRES_URL")


def save_turn(engine: Any, sender: str, n: int = 2) -> None:
    """What a Rasa server's SQL tracker store writes at the end of a turn: the events the table does not have."""
    with engine.begin() as conn:
        for _ in range(n):
            conn.execute(
                text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, 'user', '{}')"), {"s": sender}
            )


def events(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT sender_id, count(*) FROM events GROUP BY sender_id")).all())


async def test_forget_waits_for_the_turn_in_flight_then_deletes_the_postgresql_conversation(
    prefix: str, pg_tracker: Any, gateways: list[RedisLanguageMemory]
) -> None:
    url, engine = pg_tracker
    save_turn(engine, SENDER, 6)
    save_turn(engine, OTHER, 3)
    await gateways[1].record(SENDER, "vi", "vi")
    rasa_server = ConversationLocks.from_url(REDIS_URL, prefix)  # takes tickets exactly as bot/lock_store.py does
    locks = ConversationLocks.from_url(REDIS_URL, prefix)
    forgetter = Forgetter(AppDatabase(), tracker=url, locks=locks, languages=gateways[0])
    async with rasa_server.hold(SENDER):  # a second LINE message is being answered
        forgetting = asyncio.create_task(forgetter(SENDER))
        await asyncio.sleep(0.3)
        assert not forgetting.done() and events(engine)[SENDER] == 6
        save_turn(engine, SENDER, 2)  # the turn ends by saving what it added
    counts = await asyncio.wait_for(forgetting, 10)
    assert counts["tracker_events"] == 8 and counts["language_memory"] == 1
    assert events(engine) == {OTHER: 3}
    assert await gateways[1].load(SENDER) == NO_HISTORY  # the other gateway forgot the language too
    await forgetter.aclose()
    await rasa_server.close()


async def test_a_conversation_that_stays_busy_is_not_half_deleted(
    prefix: str, pg_tracker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channels.forget as forget

    monkeypatch.setattr(forget, "LOCK_WAIT_SECONDS", 0.3)
    url, engine = pg_tracker
    save_turn(engine, SENDER, 4)
    rasa_server = ConversationLocks.from_url(REDIS_URL, prefix)
    forgetter = Forgetter(AppDatabase(), tracker=url, locks=ConversationLocks.from_url(REDIS_URL, prefix))
    async with rasa_server.hold(SENDER):
        with pytest.raises(ConversationBusy) as caught:
            await forgetter(SENDER)
    assert caught.value.status == 503 and "削除できませんでした" in caught.value.message_ja
    assert events(engine) == {SENDER: 4}
    async with rasa_server.hold(SENDER, wait=1):  # the gateway's ticket was released: the next turn is not blocked
        pass
    await forgetter.aclose()
    await rasa_server.close()
