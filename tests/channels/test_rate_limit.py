"""Per-sender rate limit: a script hammering one sender id gets 429 with Retry-After (web) or a polite "please wait"
in the user's language (LINE); a resident typing normally, and every other sender, never notice it."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import FakeBackend, MakeClient

from channels.app import create_app
from channels.line import setup_line
from channels.ratelimit import MemoryRateLimiter, RedisRateLimiter, bucket_key, slow_down_text
from settings import GatewaySettings, LineSettings, SettingsError
from translations import languages

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "line"))
from line_fakes import REPLY, SECRET, TOKEN, USER, FakeLine, FakeRasa, post_events, text_event

REDIS_URL = os.environ.get("CHIBA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> None:
    """3 messages at once, then one a minute (slow enough that no refill happens while a test runs)."""
    monkeypatch.setenv("CHIBA_RATE_LIMIT_BURST", "3")
    monkeypatch.setenv("CHIBA_RATE_LIMIT_PER_MINUTE", "1")


async def send(client: TestClient, sender: str = "resident-1", text: str = "粗大ごみ") -> Any:
    return await client.post("/api/chat", json={"sender_id": sender, "text": text, "lang": "ja"})


@pytest.mark.usefixtures("limited")
async def test_a_sender_over_the_limit_gets_429_with_retry_after(make_client: MakeClient, backend: FakeBackend) -> None:
    client = await make_client()
    for _ in range(3):
        assert (await send(client)).status == 200
    resp = await send(client)
    assert resp.status == 429
    assert resp.content_type == "application/json"
    retry_after = int(resp.headers["Retry-After"])
    assert 50 <= retry_after <= 60
    body = await resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["message"] and body["error"]["message_ja"]
    assert body["error"]["details"] == {"retry_after": retry_after}
    assert len(backend.received) == 3  # the refused message never reached the assistant


@pytest.mark.usefixtures("limited")
async def test_other_senders_are_not_slowed_by_one_noisy_sender(make_client: MakeClient) -> None:
    client = await make_client()
    for _ in range(5):
        await send(client, "noisy")
    assert (await send(client, "quiet")).status == 200


@pytest.mark.usefixtures("limited")
async def test_concurrent_messages_cannot_slip_past_the_limit(make_client: MakeClient) -> None:
    client = await make_client()
    statuses = [r.status for r in await asyncio.gather(*(send(client) for _ in range(8)))]
    assert sorted(statuses) == [200] * 3 + [429] * 5


async def test_bad_requests_do_not_use_up_the_allowance(make_client: MakeClient, limited: None) -> None:
    client = await make_client()
    for _ in range(5):
        resp = await client.post("/api/chat", json={"sender_id": "resident-1", "text": "   "})
        assert resp.status == 400
    assert (await send(client)).status == 200


async def test_the_allowance_refills_over_time() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(2, 60.0, clock=lambda: now[0])  # one a second
    assert [await limiter.acquire("k") for _ in range(2)] == [0.0, 0.0]
    assert await limiter.acquire("k") == pytest.approx(1.0)
    now[0] += 1.0
    assert await limiter.acquire("k") == 0.0
    now[0] += 100.0  # a long pause refills only up to the burst
    assert [await limiter.acquire("k") for _ in range(3)][-1] > 0


async def test_memory_holds_a_bounded_number_of_senders() -> None:
    limiter = MemoryRateLimiter(1, 1.0, max_senders=100)
    for i in range(1000):
        await limiter.acquire(str(i))
    assert len(limiter._buckets) == 100


async def test_zero_burst_turns_the_limit_off(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_RATE_LIMIT_BURST", "0")
    client = await make_client()
    assert all([(await send(client)).status == 200 for _ in range(15)])


@pytest.mark.parametrize("value", ["-1", "lots"])
def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CHIBA_RATE_LIMIT_BURST", value)
    with pytest.raises(SettingsError, match="CHIBA_RATE_LIMIT_BURST"):
        create_app(GatewaySettings())


def test_keys_carry_no_sender_id() -> None:
    key = bucket_key("line", USER)
    assert USER not in key and len(key) == 32
    assert key != bucket_key("web", USER)


def test_every_reply_language_has_its_own_please_wait() -> None:
    english = slow_down_text("en")
    texts = {code: slow_down_text(code) for code in languages.codes()}
    assert [code for code, text in texts.items() if code != "en" and text == english] == []  # no English stand-in
    assert slow_down_text("pt-BR") == texts["pt"]
    assert slow_down_text("fr") == english


# --- shared counting through Redis (several gateways) --------------------------------------------------------------


@pytest.fixture
async def redis_url() -> str:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); set CHIBA_TEST_REDIS_URL")
    finally:
        await client.aclose()
    return REDIS_URL


async def test_two_gateways_on_one_redis_count_a_sender_together(redis_url: str) -> None:
    key = uuid.uuid4().hex
    prefix = "input-test"  # never the assistant's own keys
    first = RedisRateLimiter(redis_url, 3, 30.0, prefix=prefix)
    second = RedisRateLimiter(redis_url, 3, 30.0, prefix=prefix)
    try:
        waits = [await (first if i % 2 else second).acquire(key) for i in range(4)]
        assert waits[:3] == [0.0, 0.0, 0.0]
        assert 0 < waits[3] <= 2.0
    finally:
        import redis.asyncio as redis

        cleanup = redis.Redis.from_url(redis_url)
        await cleanup.delete(f"{prefix}:rl:{key}")
        await cleanup.aclose()
        await first.close()
        await second.close()


async def test_gateways_sharing_redis_answer_429_together(
    make_client: MakeClient, redis_url: str, limited: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scaled profile: a sender whose messages a load balancer spreads over two gateways is limited once."""
    import redis.asyncio as redis

    prefix = f"input-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CHIBA_REDIS_URL", redis_url)
    monkeypatch.setenv("CHIBA_REDIS_PREFIX", prefix)
    first, second = await make_client(), await make_client()
    try:
        statuses = [(await send(gateway)).status for gateway in (first, second, first, second)]
        assert statuses == [200, 200, 200, 429]
    finally:
        cleanup = redis.Redis.from_url(redis_url)
        keys = [key async for key in cleanup.scan_iter(match=f"{prefix}:*")]
        if keys:
            await cleanup.delete(*keys)
        await cleanup.aclose()


async def test_an_unreachable_redis_lets_messages_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:9/0", 1, 1.0)
    try:
        assert [await limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    finally:
        await limiter.close()


# --- LINE ------------------------------------------------------------------------------------------------------------


async def test_line_user_over_the_limit_is_asked_politely_to_wait_in_their_language(
    aiohttp_client: Any, aiohttp_server: Any, tmp_path: Path, limited: None
) -> None:
    fake_line, fake_rasa = FakeLine(), FakeRasa()
    line_server, rasa_server = await aiohttp_server(fake_line.app()), await aiohttp_server(fake_rasa.app())
    url = str(line_server.make_url("")).rstrip("/")
    app = create_app(GatewaySettings(rasa_url=str(rasa_server.make_url("")), backend_timeout=5.0))
    setup_line(
        app,
        LineSettings(
            channel_secret=SECRET, access_token=TOKEN, api_base_url=url, api_data_base_url=url,
            db_path=tmp_path / "line.db", loading_after=30.0,
        ),
    )  # fmt: skip
    client = await aiohttp_client(app)
    from channels.line import LINE_CHANNEL

    await client.server.app[LINE_CHANNEL].handler._store.set_lang(USER, "vi")
    events = [text_event(f"câu hỏi {i}", reply_token=f"t{i}") for i in range(5)]
    assert (await post_events(client, *events)).status == 200
    assert len(fake_rasa.requests) == 3
    replies = {call.json["replyToken"]: call.json["messages"][0]["text"] for call in fake_line.calls(REPLY)}
    assert set(replies) == {f"t{i}" for i in range(5)}  # every message is answered, none lost silently
    assert [replies[f"t{i}"] for i in (3, 4)] == [slow_down_text("vi")] * 2
    assert all(replies[f"t{i}"] != slow_down_text("vi") for i in range(3))
