"""Per-sender rate limit: a token bucket of CHIBA_RATE_LIMIT_BURST messages refilled at CHIBA_RATE_LIMIT_PER_MINUTE.

One resident typing fast never meets it; a script hammering one sender id does, and the assistant (Rasa, the
embedding model) is spared the work. The web chat answers 429 with Retry-After and the usual JSON error; LINE, where a
status code reaches no one, gets one polite reply in the user's language (`slow_down_text`) per refill.

Two stores: in this process's memory (the default: one gateway), or the shared Redis (CHIBA_REDIS_URL, keys
`<CHIBA_REDIS_PREFIX>:rl:<hash>`) so that several gateways count one sender together — one Lua script per message,
atomic in Redis. Keys are keyed hashes of
the sender (no sender id, LINE user id or address is kept in either store or logged). If Redis cannot be reached the
message is let through (logged): the rate limit protects capacity and must not become an outage of its own.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from aiohttp import web

from channels.errors import GatewayError
from settings import InputGuardSettings, SharedStateSettings
from translations.ui import ui_text

log = logging.getLogger("channels.ratelimit")

# Senders remembered in memory; the least recently seen go first (a full bucket is the same as no entry).
MEMORY_MAX_SENDERS = 50_000


class RateLimited(GatewayError):
    status = 429
    code = "rate_limited"
    message = "You are sending messages very quickly. Please wait a moment and try again."
    message_ja = "短い時間にたくさんのメッセージが届きました。少し待ってから、もう一度お試しください。"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(retry_after=seconds)
        self.retry_after = seconds

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# LINE's reply to a sender over the limit (the web page shows the JSON error's message instead).
def slow_down_text(lang: str) -> str:
    """The polite "please wait" in the user's language (translations/ui: the web chat shows the same words)."""
    return ui_text("common.slow_down", lang)


def bucket_key(channel: str, sender: str) -> str:
    """A short, non-reversible key for one sender of one channel."""
    return hashlib.blake2b(f"{channel}\x00{sender}".encode(), digest_size=16).hexdigest()


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> float:
        """Take one message from `key`'s bucket: 0.0 when allowed, else the seconds until one is allowed."""
        ...

    async def close(self) -> None: ...


class NoRateLimit:
    """CHIBA_RATE_LIMIT_BURST=0."""

    async def acquire(self, key: str) -> float:
        return 0.0

    async def close(self) -> None:
        return None


class MemoryRateLimiter:
    """Token buckets in this process (one gateway). Not thread-safe: used from the event loop only."""

    def __init__(
        self,
        burst: int,
        per_minute: float,
        *,
        max_senders: int = MEMORY_MAX_SENDERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst <= 0 or per_minute <= 0:
            raise ValueError("MemoryRateLimiter needs burst > 0 and per_minute > 0")
        self._burst, self._rate = float(burst), per_minute / 60.0
        self._max, self._clock = max_senders, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)

    async def acquire(self, key: str) -> float:
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            self._buckets.move_to_end(key)
            return (1.0 - tokens) / self._rate
        self._buckets[key] = (tokens - 1.0, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return 0.0

    async def close(self) -> None:
        self._buckets.clear()


# KEYS[1] bucket; ARGV: burst, tokens per second, TTL in ms. Redis's own clock, so gateways' clocks need not agree.
_TOKEN_BUCKET_LUA = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""


class RedisRateLimiter:
    """Token buckets in Redis, shared by every gateway using the same URL."""

    def __init__(self, url: str, burst: int, per_minute: float, *, prefix: str = "chiba") -> None:
        import redis.asyncio as redis

        self._client: Any = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = f"{prefix}:rl:"
        self._script = self._client.register_script(_TOKEN_BUCKET_LUA)
        self._burst, self._rate = burst, per_minute / 60.0
        # A bucket left alone refills completely in burst/rate seconds; after that it may as well not exist.
        self._ttl_ms = max(1000, math.ceil(burst / self._rate * 1000))

    async def acquire(self, key: str) -> float:
        try:
            wait = await self._script(keys=[self._prefix + key], args=[self._burst, self._rate, self._ttl_ms])
        except Exception as exc:  # Redis down: let the message through rather than refuse every resident
            log.warning("rate limit store unavailable (%s); message allowed", type(exc).__name__)
            return 0.0
        return float(wait)

    async def close(self) -> None:
        await self._client.aclose()


def make_rate_limiter(settings: InputGuardSettings, shared: SharedStateSettings) -> RateLimiter:
    if settings.rate_limit_burst == 0:
        return NoRateLimit()
    if shared.redis_url:
        return RedisRateLimiter(
            shared.redis_url, settings.rate_limit_burst, settings.rate_limit_per_minute, prefix=shared.redis_prefix
        )
    return MemoryRateLimiter(settings.rate_limit_burst, settings.rate_limit_per_minute)


RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)


async def check(app: web.Application, channel: str, sender: str) -> None:
    """Raise RateLimited when `sender` of `channel` is over the limit (nothing happens for an app without a limiter)."""
    limiter = app.get(RATE_LIMITER)
    if limiter is None:
        return
    wait = await limiter.acquire(bucket_key(channel, sender))
    if wait > 0:
        log.debug("%s sender over the rate limit; retry after %.1fs", channel, wait)  # the 429 is logged anyway
        raise RateLimited(wait)


async def _close_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[RATE_LIMITER].close()


def setup_rate_limit(app: web.Application, limiter: RateLimiter | None = None) -> RateLimiter:
    """The app's rate limiter (made once, from InputGuardSettings unless `limiter` is given on the first call)."""
    if RATE_LIMITER not in app:
        app[RATE_LIMITER] = limiter or make_rate_limiter(InputGuardSettings(), SharedStateSettings())
        app.cleanup_ctx.append(_close_ctx)
    return app[RATE_LIMITER]
