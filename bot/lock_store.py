"""An atomic Redis ticket lock store for several Rasa servers sharing one Redis (bot/endpoints.scaled.yml).

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: ${CHIBA_REDIS_URL}          # redis://host:6379/0
      key_prefix: ${CHIBA_REDIS_PREFIX}
      socket_timeout: 2                # optional, seconds
      poll_interval: 0.02              # optional, seconds between "is it my turn?" checks
      liveness: 10                     # optional, seconds a killed server's locks outlive it

Why not Rasa's own `type: redis`: `RedisLockStore` (Rasa 3.6) keeps a conversation's ticket lock as one JSON value and
changes it by GET, edit in Python, SET (issue a ticket, drop expired tickets, finish serving), and deletes it after a
separate "is anyone waiting?" read. Two servers that take a ticket for the same sender at the same moment both read
"no tickets", both write ticket 0, and both run the conversation at once — Rasa's SQL tracker store then loses or
doubles events (RasaHQ/rasa#9213). A delete racing with a new ticket throws that ticket away.

Here every change is one Lua script, which Redis runs atomically (keys and scripts: bot/lock_keys.py): a counter gives
every ticket a unique, increasing number, a sorted set holds the live tickets with their expiry on Redis's clock, and a
ticket holder is served when its number is the lowest live one (first come, first served, across servers); finishing
removes the ticket and the queue goes with the last one. Both keys expire shortly after the longest ticket, so a server
killed while holding a lock would block its conversation for the lock lifetime (`TICKET_LOCK_LIFETIME`, default 60 s,
longer than the gateway waits for an answer), so each server also keeps a heartbeat key alive from a thread of its
own, and a ticket whose server's heartbeat has expired (`liveness` seconds after the kill) is dropped by the next
server that waits behind it. The gateway's "forget me" takes the same lock (channels/forget.py).

The Redis client is synchronous (Rasa's LockStore API is), with a short socket timeout so an unreachable Redis fails
the message quickly (LockError) instead of holding the server's event loop for Rasa's 10 s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_keys import (
    FINISH_SCRIPT,
    ISSUE_SCRIPT,
    SNAPSHOT_SCRIPT,
    TURN_SCRIPT,
    alive_prefix,
    owners_key,
    queue_key,
    seq_key,
)

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "chiba"
DEFAULT_SOCKET_TIMEOUT = 2.0
# Rasa asks for a 1 s wait between attempts: a queued message would wait up to a second after its turn came.
DEFAULT_POLL_INTERVAL = 0.02
# Seconds a server's heartbeat outlives it: long enough for a busy server's heartbeat thread to get the GIL, short
# enough that the resident of a killed server waits only a few seconds (the gateway waits 30 s for an answer).
DEFAULT_LIVENESS = 10.0
_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class LockStoreConfigError(ValueError):
    """The lock_store section of the endpoints file is unusable; the message names the key."""


class AtomicRedisLockStore(LockStore):
    """Ticket locks in Redis, changed only by atomic Lua scripts (see the module docstring)."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        url: str | None = None,
        key_prefix: str | None = None,
        socket_timeout: float | None = None,
        poll_interval: float | None = None,
        liveness: float | None = None,
        client: Any = None,
    ) -> None:
        """Rasa passes `endpoint_config` (the endpoints file's section); tests may pass the values, or a Redis
        `client` of their own."""
        options: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        url = url or (endpoint_config.url if endpoint_config is not None else None)
        prefix = key_prefix if key_prefix is not None else options.get("key_prefix") or DEFAULT_KEY_PREFIX
        if not _PREFIX_PATTERN.match(str(prefix)):
            raise LockStoreConfigError(f"lock_store.key_prefix must be 1-64 of A-Z a-z 0-9 _ -, got {prefix!r}")
        self.key_prefix = str(prefix)
        self.socket_timeout = _positive("socket_timeout", socket_timeout, options, DEFAULT_SOCKET_TIMEOUT)
        self.poll_interval = _positive("poll_interval", poll_interval, options, DEFAULT_POLL_INTERVAL)
        self.liveness = _positive("liveness", liveness, options, DEFAULT_LIVENESS)
        if client is None:
            if not url:
                raise LockStoreConfigError("lock_store.url is required (redis://host:port/db)")
            client = _redis_client(str(url), self.socket_timeout)
        self.red = client
        self._issue = client.register_script(ISSUE_SCRIPT)
        self._turn = client.register_script(TURN_SCRIPT)
        self._finish = client.register_script(FINISH_SCRIPT)
        self._snapshot = client.register_script(SNAPSHOT_SCRIPT)
        self.server_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._alive_key = alive_prefix(self.key_prefix) + self.server_id
        self._stopped = threading.Event()
        self._beat(log_failure=False)  # alive before the first ticket; an unreachable Redis shows at the first turn
        self._heart = threading.Thread(target=self._heartbeat, name="lock-store-heartbeat", daemon=True)
        self._heart.start()
        super().__init__()

    # --- liveness ---------------------------------------------------------------------------------------------------

    def _beat(self, *, log_failure: bool = True) -> bool:
        try:
            self.red.set(self._alive_key, 1, px=int(self.liveness * 1000))
        except Exception as exc:  # redis errors of every kind; the thread must go on beating
            if log_failure:
                logger.warning("lock store heartbeat failed: %s", type(exc).__name__)
            return False
        return True

    def _heartbeat(self) -> None:
        """A thread, not a task: a server busy on its event loop is still alive. A third of the liveness between
        beats, so two may fail before the server's tickets count as a dead server's."""
        healthy = True
        while not self._stopped.wait(self.liveness / 3):
            healthy = self._beat(log_failure=healthy)

    def close(self) -> None:
        """Stop the heartbeat (the server's remaining tickets then count as a dead server's after `liveness`)."""
        self._stopped.set()

    # --- keys -------------------------------------------------------------------------------------------------------

    def _queue_key(self, conversation_id: str) -> str:
        return queue_key(self.key_prefix, conversation_id)

    def _seq_key(self, conversation_id: str) -> str:
        return seq_key(self.key_prefix, conversation_id)

    def _owners_key(self, conversation_id: str) -> str:
        return owners_key(self.key_prefix, conversation_id)

    # --- the atomic operations --------------------------------------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket at the end of the conversation's queue (atomic: no two tickets share a number)."""
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        try:
            keys = [self._queue_key(conversation_id), self._seq_key(conversation_id), self._owners_key(conversation_id)]
            return int(self._issue(keys=keys, args=[lifetime_ms, self.server_id]))
        except Exception as exc:  # redis errors of every kind: Rasa's callers expect LockError
            raise LockError(f"Error while acquiring lock: {type(exc).__name__}: {exc}") from exc

    def turn(self, conversation_id: str, ticket: int) -> int:
        """1: `ticket` is served now; 0: it waits behind lower tickets; -1: it expired."""
        keys = [self._queue_key(conversation_id), self._owners_key(conversation_id)]
        try:
            return int(self._turn(keys=keys, args=[ticket, alive_prefix(self.key_prefix)]))
        except Exception as exc:
            raise LockError(f"Error while waiting for lock: {type(exc).__name__}: {exc}") from exc

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the queue is deleted in the same step when it was the last (no delete race)."""
        self._finish(keys=[self._queue_key(conversation_id), self._owners_key(conversation_id)], args=[ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        try:
            self.finish_serving(conversation_id, ticket_number)
        except Exception as exc:
            # The ticket then expires on its own after the lock lifetime; the reply already went out.
            logger.error("could not release lock ticket %s: %s: %s", ticket_number, type(exc).__name__, exc)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        interval = min(self.poll_interval, wait_time_in_seconds) if wait_time_in_seconds > 0 else self.poll_interval
        while True:
            state = self.turn(conversation_id, ticket)
            if state == 1:
                # Rasa's callers ignore the lock object; reading the queue back would cost two more round trips.
                return TicketLock(conversation_id, deque([Ticket(ticket, time.time() + LOCK_LIFETIME)]))
            if state < 0:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}' (ticket expired).")
            await asyncio.sleep(interval)

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock: take a ticket, wait for its turn, release it however the block ends."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, ticket)

    # --- Rasa's LockStore interface (reads and whole-lock writes) ----------------------------------------------------

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """A snapshot of the live tickets (expiry converted to this machine's epoch seconds), or None."""
        flat = self._snapshot(keys=[self._queue_key(conversation_id)])
        if not flat:
            return None
        # Redis gives expiries on its own clock; shift them to ours so TicketLock's time.time() checks agree.
        offset = time.time() - _redis_now(self.red)
        pairs = zip(flat[::2], flat[1::2], strict=True)
        tickets = deque(Ticket(int(number), float(expires) / 1000 + offset) for number, expires in pairs)
        return TicketLock(conversation_id, tickets)

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets are dropped by every script already; nothing to write."""

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return bool(self.red.zcard(self._queue_key(conversation_id)))

    def delete_lock(self, conversation_id: str) -> None:
        keys = (self._queue_key(conversation_id), self._seq_key(conversation_id), self._owners_key(conversation_id))
        deleted = self.red.delete(*keys)
        self._log_deletion(conversation_id, bool(deleted))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the whole lock in one MULTI/EXEC transaction (not used by `lock()`; kept for Rasa's interface)."""
        queue, seq = self._queue_key(lock.conversation_id), self._seq_key(lock.conversation_id)
        offset = _redis_now(self.red) - time.time()
        live = [t for t in lock.tickets if not t.has_expired()]
        pipe = self.red.pipeline(transaction=True)
        pipe.delete(queue, self._owners_key(lock.conversation_id))
        if live:
            pipe.zadd(queue, {str(t.number): int((t.expires + offset) * 1000) for t in live})
            longest_ms = int((max(t.expires for t in live) - time.time()) * 1000) + 1000
            pipe.pexpire(queue, longest_ms)
            # never lower the counter: a number already given must not be given again
            pipe.set(seq, max(t.number for t in live), nx=True, px=longest_ms)
        pipe.execute()


def _positive(name: str, given: float | None, options: dict[str, Any], default: float) -> float:
    raw = given if given is not None else options.get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise LockStoreConfigError(f"lock_store.{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise LockStoreConfigError(f"lock_store.{name} must be positive, got {raw!r}")
    return value


def _redis_client(url: str, socket_timeout: float) -> Any:
    try:
        import redis
    except ImportError as exc:  # Rasa 3.6 depends on redis, so this means a broken bot environment
        raise ImportError("AtomicRedisLockStore needs the redis package: uv pip install 'redis>=4.5.3,<5'") from exc
    if not url.startswith(("redis://", "rediss://", "unix://")):
        # the URL may hold a password: name its scheme only
        scheme = url.split("://", 1)[0] if "://" in url else "no scheme"
        raise LockStoreConfigError(f"lock_store.url must be a redis://, rediss:// or unix:// URL, got {scheme!r}")
    return redis.Redis.from_url(url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout)


def _redis_now(client: Any) -> float:
    seconds, micros = client.time()
    return float(seconds) + float(micros) / 1e6
