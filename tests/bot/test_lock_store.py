"""bot/lock_store.py: two Rasa servers, one resident, messages at the same moment — nothing lost, nothing doubled.

Needs the machine's Redis (127.0.0.1:6379, keys under a prefix of this test) and PostgreSQL (127.0.0.1:5432/test, a
schema of this test holding Rasa's `events` table); CHIBA_TEST_REDIS_URL / CHIBA_TEST_POSTGRES_URL point elsewhere.

Each "server" is a thread with its own event loop, lock store client, Redis connection and SQLTrackerStore — what two
`rasa run` processes share is exactly Redis and PostgreSQL. Under the lock a server does what Rasa's processor does:
read the tracker, add the resident's message, think, add the reply, save (Rasa's SQL store appends by counting rows,
so two servers inside the lock at once lose or double events). Every Redis command is given 2 ms of latency, as Redis
on another machine has: that widens the window between a read and the write that depends on it, which is where Rasa's
RedisLockStore breaks (GET the JSON lock, edit in Python, SET it back).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

redis = pytest.importorskip("redis")  # a dependency of rasa 3.6: present in the bot env

from rasa.core.lock_store import LockError, LockStore, RedisLockStore  # noqa: E402
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import BotUttered, UserUttered  # noqa: E402
from rasa.utils.endpoints import read_endpoint_config  # noqa: E402

from bot.lock_store import AtomicRedisLockStore, LockStoreConfigError  # noqa: E402

REDIS_URL = os.environ.get("CHIBA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LATENCY = 0.002  # seconds added to every Redis command
WAVES = 10  # each wave: one message to each server at the same instant
WAVE_GAP = 0.15  # seconds between waves: longer than a ticket takes, shorter than the queue ahead
WORK = 0.03  # seconds of "NLU, policies and actions" per message
LIFETIME = 5.0  # lock lifetime in the concurrency test: a zombie ticket must not hang the suite for Rasa's 60 s
WATCHDOG = 45.0
SENDER = "resident-1"

REPO = Path(__file__).resolve().parents[2]


class SlowRedis(redis.Redis):
    """A Redis client whose every command takes LATENCY longer (as over a network)."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        time.sleep(LATENCY)
        return super().execute_command(*args, **options)


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    prefix = f"scaletest{uuid.uuid4().hex[:12]}"  # alphanumeric: Rasa's RedisLockStore ignores other prefixes
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} unreachable ({type(exc).__name__}); set CHIBA_TEST_REDIS_URL")
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def rasa_redis_lock_store(prefix: str) -> LockStore:
    store = RedisLockStore(key_prefix=prefix)
    store.red = SlowRedis.from_url(REDIS_URL, socket_timeout=2)
    return store


def atomic_lock_store(prefix: str) -> LockStore:
    return AtomicRedisLockStore(client=SlowRedis.from_url(REDIS_URL, socket_timeout=2), key_prefix=prefix)


@dataclass
class Server:
    """One simulated Rasa server: its own lock store client and tracker store, its messages and what it answered."""

    name: str
    lock_store: LockStore
    tracker_store: TrackerStore
    inbox: list[tuple[float, str]]  # (seconds after the start, text)
    replies: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    async def handle(self, text: str) -> None:
        """What Rasa's MessageProcessor does with one message, under the conversation's lock."""
        try:
            async with self.lock_store.lock(SENDER, lock_lifetime=LIFETIME, wait_time_in_seconds=0.02):
                tracker = await self.tracker_store.get_or_create_tracker(SENDER)
                tracker.update(UserUttered(text))
                await asyncio.sleep(WORK)
                reply = f"reply to {text} from {self.name}"
                tracker.update(BotUttered(reply))
                await self.tracker_store.save(tracker)
                self.replies[text] = reply
        except LockError as exc:
            self.errors[text] = str(exc)

    def run(self, start: float) -> None:
        async def main() -> None:
            async def one(delay: float, text: str) -> None:
                await asyncio.sleep(max(0.0, start + delay - time.monotonic()))
                await self.handle(text)

            await asyncio.gather(*(one(delay, text) for delay, text in self.inbox))

        asyncio.run(main())


def run_two_servers(make_lock_store: Callable[[str], LockStore], prefix: str, pg_url: str) -> tuple[list[Server], Any]:
    domain = Domain.empty()
    SQLTrackerStore(domain, host=pg_url)  # creates the events table once, as the first server to start does
    servers = [
        Server(
            name,
            make_lock_store(prefix),
            SQLTrackerStore(domain, host=pg_url),
            [(wave * WAVE_GAP, f"wave {wave} via {name}") for wave in range(WAVES)],
        )
        for name in ("rasa-a", "rasa-b")
    ]
    start = time.monotonic() + 0.2
    threads = [threading.Thread(target=server.run, args=(start,), daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WATCHDOG)
    assert not any(thread.is_alive() for thread in threads), f"messages still waiting for the lock after {WATCHDOG}s"
    tracker = asyncio.run(SQLTrackerStore(domain, host=pg_url).retrieve(SENDER))
    return servers, tracker


@pytest.mark.parametrize(
    "make_lock_store",
    [
        pytest.param(
            rasa_redis_lock_store,
            id="rasa-RedisLockStore",
            marks=pytest.mark.xfail(strict=True, reason="Rasa 3.6's RedisLockStore is not atomic (RasaHQ/rasa#9213)"),
        ),
        pytest.param(atomic_lock_store, id="AtomicRedisLockStore"),
    ],
)
def test_concurrent_messages_to_two_servers_are_each_kept_once_and_answered_in_order(
    make_lock_store: Callable[[str], LockStore], redis_prefix: str, pg_url: str
) -> None:
    servers, tracker = run_two_servers(make_lock_store, redis_prefix, pg_url)
    sent = [text for server in servers for _, text in server.inbox]
    errors = {text: error for server in servers for text, error in server.errors.items()}
    assert not errors, f"messages that got no answer: {errors}"
    assert tracker is not None, "the conversation was not stored"
    said = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    doubled = sorted(text for text, count in Counter(said).items() if count > 1)
    lost = sorted(set(sent) - set(said))
    assert (lost, doubled) == ([], []), f"lost {len(lost)}: {lost}; doubled {len(doubled)}: {doubled}"
    # Each message is followed by its own reply: no server ran the conversation while another one was inside it.
    events = [e for e in tracker.events if isinstance(e, UserUttered | BotUttered)]
    pairs = [(events[i].text, events[i + 1].text) for i in range(0, len(events), 2)]
    replies = {text: reply for server in servers for text, reply in server.replies.items()}
    assert pairs == [(text, replies[text]) for text in said]
    # First come, first served: a later wave is never answered before an earlier one.
    waves = [int(text.split()[1]) for text in said]
    assert waves == sorted(waves)


# --- the atomic store on its own ----------------------------------------------------------------------------------


@pytest.fixture
def store(redis_prefix: str) -> Iterator[AtomicRedisLockStore]:
    store = AtomicRedisLockStore(url=REDIS_URL, key_prefix=redis_prefix)
    yield store
    store.close()


def test_tickets_taken_at_once_from_many_clients_are_all_different(redis_prefix: str) -> None:
    conversation = f"many-{uuid.uuid4().hex}"
    stores = [atomic_lock_store(redis_prefix) for _ in range(8)]
    tickets: list[int] = []
    barrier = threading.Barrier(len(stores))

    def take(store: LockStore) -> None:
        barrier.wait()
        tickets.extend(store.issue_ticket(conversation, 5) for _ in range(10))

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(tickets) == list(range(1, 81))


def test_a_server_killed_while_holding_the_lock_delays_its_resident_only_for_its_heartbeat(
    store: AtomicRedisLockStore, redis_prefix: str
) -> None:
    conversation = f"killed-{uuid.uuid4().hex}"
    killed = AtomicRedisLockStore(url=REDIS_URL, key_prefix=redis_prefix, liveness=0.6)
    killed.issue_ticket(conversation)  # Rasa's 60 s lifetime: the resident would wait a minute for a dead server
    killed.close()  # kill -9: no release, and the heartbeat stops

    async def next_message_on_the_other_server() -> float:
        started = time.monotonic()
        async with store.lock(conversation):
            return time.monotonic() - started

    assert 0.2 < asyncio.run(asyncio.wait_for(next_message_on_the_other_server(), 10)) < 3.0


def test_a_ticket_never_released_by_a_live_server_is_waited_for_until_its_lifetime(
    store: AtomicRedisLockStore,
) -> None:
    conversation = f"stuck-{uuid.uuid4().hex}"
    store.issue_ticket(conversation, lock_lifetime=0.5)  # taken and never released by a server still alive

    async def next_message() -> float:
        started = time.monotonic()
        async with store.lock(conversation, lock_lifetime=5):
            return time.monotonic() - started

    assert 0.3 < asyncio.run(next_message()) < 3.0


def test_a_conversation_leaves_no_lock_behind_and_others_are_not_blocked(store: AtomicRedisLockStore) -> None:
    mine, other = f"mine-{uuid.uuid4().hex}", f"other-{uuid.uuid4().hex}"

    async def two_residents() -> None:
        async with store.lock(mine):
            async with store.lock(other):  # another resident is served while this one is
                assert store.is_someone_waiting(other)
            assert store.get_lock(mine) is not None

    asyncio.run(asyncio.wait_for(two_residents(), 5))
    assert store.get_lock(mine) is None and store.get_lock(other) is None
    assert not store.is_someone_waiting(mine)


def test_an_expired_ticket_is_refused_not_served(store: AtomicRedisLockStore) -> None:
    conversation = f"expired-{uuid.uuid4().hex}"
    ticket = store.issue_ticket(conversation, lock_lifetime=0.05)
    time.sleep(0.2)
    with pytest.raises(LockError, match="expired"):
        asyncio.run(store._acquire_lock(conversation, ticket, 0.01))


def test_unreachable_redis_fails_the_message_within_the_socket_timeout() -> None:
    store = AtomicRedisLockStore(url="redis://127.0.0.1:1/0", socket_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(LockError, match="ConnectionError"):
        store.issue_ticket("anyone")
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"key_prefix": "bad prefix!"}, "lock_store.key_prefix"),
        ({"url": "http://127.0.0.1:6379"}, "lock_store.url must be a redis://"),
        ({"url": None}, "lock_store.url is required"),
        ({"socket_timeout": 0}, "lock_store.socket_timeout must be positive"),
        ({"poll_interval": "soon"}, "lock_store.poll_interval must be a number"),
    ],
)
def test_a_wrong_endpoints_entry_names_the_key(options: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"url": REDIS_URL, **options}
    with pytest.raises(LockStoreConfigError, match=message):
        AtomicRedisLockStore(**values)


def test_a_password_in_a_wrong_url_is_not_echoed() -> None:
    with pytest.raises(LockStoreConfigError) as caught:
        AtomicRedisLockStore(url="http://user:s3cret@redis.example:6379")
    assert "s3cret" not in str(caught.value)


def test_endpoints_scaled_yml_builds_the_atomic_store_and_the_postgresql_tracker_store(
    monkeypatch: pytest.MonkeyPatch, redis_prefix: str
) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("CHIBA_TRACKER_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("CHIBA_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("CHIBA_REDIS_PREFIX", redis_prefix)
    endpoints = str(REPO / "bot" / "endpoints.scaled.yml")
    lock_store = LockStore.create(read_endpoint_config(endpoints, "lock_store"))
    assert isinstance(lock_store, AtomicRedisLockStore) and lock_store.key_prefix == redis_prefix
    tracker = read_endpoint_config(endpoints, "tracker_store")
    assert tracker is not None and tracker.type == "SQL" and tracker.url == "postgresql://postgres@127.0.0.1:5432/test"
