"""Several Rasa servers behind one gateway (CHIBA_RASA_URLS): a resident stays on one server, moves when it is down,
and a message is never sent to two servers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from gateway_fakes import DOWN_503, HANG, HTTP_500, OK, FakeBackend, closed_port_url, fake_rasa_app

import channels.rasa_client as rasa_client
from channels.app import create_app
from channels.rasa_client import (
    ServerHealth,
    preference,
    rasa_base_urls,
    rasa_health_problem,
    rasa_server_states,
)
from settings import GatewaySettings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
SENDERS = [f"web-resident-{n}" for n in range(24)]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Each test starts with no server marked down (the marks are per process), on a clock it controls."""
    clock = Clock()
    monkeypatch.setattr(rasa_client, "SERVER_HEALTH", ServerHealth(clock=clock))
    return clock


@pytest.fixture
def backends() -> list[FakeBackend]:
    return [FakeBackend(), FakeBackend()]


@pytest.fixture
async def servers(aiohttp_server: Any, backends: list[FakeBackend]) -> AsyncIterator[list[TestServer]]:
    running = [await aiohttp_server(fake_rasa_app(backend)) for backend in backends]
    yield running
    for backend in backends:
        backend.release.set()


def url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
def two_servers(settings: GatewaySettings, servers: list[TestServer]) -> GatewaySettings:
    return settings.model_copy(update={"rasa_urls": ",".join(url(s) for s in servers), "backend_timeout": 1.0})


async def chat(client: TestClient, sender: str, text: str = "粗大ごみの出し方") -> aiohttp.ClientResponse:
    return await client.post("/api/chat", json={"sender_id": sender, "text": text, "lang": "ja"})


def senders_of(backend: FakeBackend) -> list[str]:
    return [payload["sender"] for payload in backend.received]


def preferring(servers: list[TestServer], index: int) -> list[str]:
    bases = [url(s) for s in servers]
    return [s for s in SENDERS if preference(s, bases)[0] == bases[index]]


async def test_each_resident_stays_on_one_server_and_both_servers_work(
    aiohttp_client: Any, two_servers: GatewaySettings, backends: list[FakeBackend]
) -> None:
    client = await aiohttp_client(create_app(two_servers))
    for turn in range(3):
        for sender in SENDERS:
            assert (await chat(client, sender, f"質問 {turn}")).status == 200
    first, second = (set(senders_of(b)) for b in backends)
    assert not first & second, "a resident's turns went to two servers"
    assert first | second == set(SENDERS)
    assert len(first) >= 4 and len(second) >= 4  # both servers take a share


async def test_two_gateways_send_a_resident_to_the_same_server(
    aiohttp_client: Any, two_servers: GatewaySettings, backends: list[FakeBackend]
) -> None:
    gateways = [await aiohttp_client(create_app(two_servers)) for _ in range(2)]
    for sender in SENDERS[:8]:
        for gateway in gateways:
            assert (await chat(gateway, sender)).status == 200
    for backend in backends:
        assert all(senders_of(backend).count(s) in (0, 2) for s in SENDERS[:8])


def test_the_choice_does_not_depend_on_the_process() -> None:
    """Python's hash() of a string changes with every process; the route must not."""
    bases = ["http://10.0.0.1:5005", "http://10.0.0.2:5005", "http://10.0.0.3:5005"]
    code = f"from channels.rasa_client import preference; print([preference(s, {bases!r})[0] for s in {SENDERS!r}])"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert other.stdout.strip() == str([preference(s, bases)[0] for s in SENDERS])


async def test_residents_of_a_server_that_refuses_connections_are_answered_by_another(
    aiohttp_client: Any, settings: GatewaySettings, servers: list[TestServer], backends: list[FakeBackend]
) -> None:
    dead = closed_port_url()
    alive = url(servers[0])
    client = await aiohttp_client(create_app(settings.model_copy(update={"rasa_urls": f"{dead},{alive}"})))
    moved = [s for s in SENDERS if preference(s, [dead, alive])[0] == dead]
    assert moved
    for sender in moved:
        response = await chat(client, sender)
        assert response.status == 200 and (await response.json())["messages"]
    assert senders_of(backends[0]) == moved


async def test_a_server_without_a_model_passes_its_residents_on_until_it_is_back(
    aiohttp_client: Any,
    two_servers: GatewaySettings,
    servers: list[TestServer],
    backends: list[FakeBackend],
    clock: Clock,
) -> None:
    client = await aiohttp_client(create_app(two_servers))
    theirs, others = preferring(servers, 0), preferring(servers, 1)
    backends[0].rasa_mode = DOWN_503  # restarting: up, but no model loaded yet
    for sender in theirs + others:
        assert (await chat(client, sender)).status == 200
    assert set(senders_of(backends[1])) == set(theirs + others)
    refused = len(backends[0].received)
    assert refused == 1  # asked once, then tried last while it is marked down
    backends[0].rasa_mode = OK
    clock.now += rasa_client.DOWN_SECONDS + 1
    for sender in theirs:
        assert (await chat(client, sender)).status == 200
    assert senders_of(backends[0])[refused:] == theirs  # back on their own server


@pytest.mark.parametrize(("mode", "status"), [(HANG, 504), (HTTP_500, 502)])
async def test_a_message_that_may_have_reached_a_server_is_never_sent_to_a_second_one(
    aiohttp_client: Any,
    two_servers: GatewaySettings,
    servers: list[TestServer],
    backends: list[FakeBackend],
    mode: str,
    status: int,
) -> None:
    client = await aiohttp_client(create_app(two_servers))
    sender = preferring(servers, 0)[0]
    backends[0].rasa_mode = mode
    response = await chat(client, sender)
    body = await response.json()
    assert response.status == status and body["error"]["message_ja"]
    assert senders_of(backends[0]) == [sender] and backends[1].received == []


async def test_every_server_down_is_a_polite_json_503(aiohttp_client: Any, settings: GatewaySettings) -> None:
    urls = f"{closed_port_url()},{closed_port_url()}"
    client = await aiohttp_client(create_app(settings.model_copy(update={"rasa_urls": urls})))
    response = await chat(client, SENDERS[0])
    body = await response.json()
    assert response.status == 503 and body["error"]["code"] == "backend_unavailable"
    assert "しばらくしてから" in body["error"]["message_ja"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ("http://127.0.0.1:5005",)),
        ({"RASA_URL": "http://rasa:5005/"}, ("http://rasa:5005",)),
        (
            {"RASA_URL": "http://x:1", "CHIBA_RASA_URLS": " http://a:5005/, http://b:5006 ,,http://a:5005"},
            ("http://a:5005", "http://b:5006"),
        ),
    ],
)
def test_the_server_list_comes_from_chiba_rasa_urls(environ: dict[str, str], expected: tuple[str, ...]) -> None:
    assert rasa_base_urls(GatewaySettings.from_env(environ)) == expected


@pytest.mark.parametrize("value", ["rasa:5005", "http://a:5005,ftp://b", ", ,"])
def test_a_wrong_server_list_names_the_variable(value: str) -> None:
    settings = GatewaySettings.from_env({"CHIBA_RASA_URLS": value})
    with pytest.raises(SettingsError, match="CHIBA_RASA_URLS"):
        rasa_base_urls(settings)


@pytest.mark.parametrize(
    ("states", "problem"),
    [
        ({"a": "ok", "b": "ok"}, None),
        ({"a": "ok", "b": "unreachable"}, None),  # its residents are re-routed: still served
        ({"a": "ok", "b": "tracker_store_fallback"}, "tracker store fallback"),
        ({"a": "loading", "b": "unreachable"}, "no server ready"),
        ({"a": "timeout"}, "timeout"),
    ],
)
def test_health_policy(states: dict[str, str], problem: str | None) -> None:
    assert rasa_health_problem(states) == problem


async def test_server_states_read_each_servers_health(
    settings: GatewaySettings, aiohttp_server: Any, backends: list[FakeBackend]
) -> None:
    async def fallback(_: Any) -> Any:
        return web.json_response({"status": "tracker_store_fallback", "tracker_store": {"fallbacks": 1}}, status=503)

    broken = web.Application()
    broken.router.add_get("/webhooks/gateway/health", fallback)
    good, bad = await aiohttp_server(fake_rasa_app(backends[0])), await aiohttp_server(broken)
    dead = closed_port_url()
    health = ServerHealth()
    urls = ",".join([url(good), url(bad), dead])
    async with aiohttp.ClientSession() as session:
        states = await rasa_server_states(session, settings.model_copy(update={"rasa_urls": urls}), health=health)
    assert states == {url(good): "ok", url(bad): "tracker_store_fallback", dead: "unreachable"}
    assert health.is_down(dead) and not health.is_down(url(good))
    assert json.dumps(states)  # plain strings: fit for the /healthz body


KILLABLE_RASA = """
import sys
from aiohttp import web
sys.path.insert(0, sys.argv[2])
from gateway_fakes import FakeBackend, fake_rasa_app
web.run_app(fake_rasa_app(FakeBackend()), host="127.0.0.1", port=int(sys.argv[1]),
            print=lambda *a: print("up", flush=True))
"""


async def test_a_resident_whose_server_was_killed_after_their_last_turn_is_answered_by_the_other(
    aiohttp_client: Any, settings: GatewaySettings, servers: list[TestServer], backends: list[FakeBackend]
) -> None:
    """kill -9 of the resident's server between two turns: the next turn goes to the other server at once."""
    port = int(closed_port_url().rsplit(":", 1)[1])
    killable = await asyncio.create_subprocess_exec(
        sys.executable, "-c", KILLABLE_RASA, str(port), str(Path(__file__).parent), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert killable.stdout is not None
        assert await asyncio.wait_for(killable.stdout.readline(), 30) == b"up\n"
        bases = [f"http://127.0.0.1:{port}", url(servers[0])]
        client = await aiohttp_client(create_app(settings.model_copy(update={"rasa_urls": ",".join(bases)})))
        sender = next(s for s in SENDERS if preference(s, bases)[0] == bases[0])
        assert (await chat(client, sender, "最初")).status == 200 and backends[0].received == []
        killable.kill()
        await killable.wait()
        response = await chat(client, sender, "二つ目")
        assert response.status == 200, await response.text()
        assert [p["message"] for p in backends[0].received] == ["二つ目"]
    finally:
        if killable.returncode is None:
            killable.kill()
            await killable.wait()


DYING_RASA = """
import os, sys
from aiohttp import web

async def webhook(request):
    await request.read()
    os._exit(1)  # killed while answering: the connection drops, the port closes

async def health(request):
    return web.json_response({"status": "ok"})

app = web.Application()
app.router.add_post("/webhooks/gateway/webhook", webhook)
app.router.add_get("/webhooks/gateway/health", health)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=lambda *a: print("up", flush=True))
"""


async def test_a_message_whose_server_died_while_answering_is_answered_by_the_next_one_as_a_retry(
    aiohttp_client: Any, settings: GatewaySettings, servers: list[TestServer], backends: list[FakeBackend]
) -> None:
    port = int(closed_port_url().rsplit(":", 1)[1])
    dying = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DYING_RASA, str(port), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert dying.stdout is not None
        assert await asyncio.wait_for(dying.stdout.readline(), 30) == b"up\n"
        bases = [f"http://127.0.0.1:{port}", url(servers[0])]
        client = await aiohttp_client(create_app(settings.model_copy(update={"rasa_urls": ",".join(bases)})))
        sender = next(s for s in SENDERS if preference(s, bases)[0] == bases[0])
        response = await chat(client, sender, "ソファを捨てたい")
        assert response.status == 200, await response.text()
        [resent] = backends[0].received
        assert resent["message"] == "ソファを捨てたい" and resent["retry"] is True and resent["message_id"]
    finally:
        if dying.returncode is None:
            dying.kill()
        await dying.wait()


async def test_a_server_that_hangs_up_but_stays_up_is_not_sent_the_message_again(
    aiohttp_client: Any,
    aiohttp_server: Any,
    settings: GatewaySettings,
    servers: list[TestServer],
    backends: list[FakeBackend],
) -> None:
    async def hang_up(request: web.Request) -> web.Response:
        await request.read()
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    flaky = web.Application()
    flaky.router.add_post("/webhooks/gateway/webhook", hang_up)
    flaky.router.add_get("/webhooks/gateway/health", health)
    bases = [url(await aiohttp_server(flaky)), url(servers[0])]
    client = await aiohttp_client(create_app(settings.model_copy(update={"rasa_urls": ",".join(bases)})))
    sender = next(s for s in SENDERS if preference(s, bases)[0] == bases[0])
    response = await chat(client, sender)
    body = await response.json()
    assert response.status == 503 and body["error"]["code"] == "backend_unavailable"
    assert backends[0].received == []  # it may still be answered over there: never twice
