"""An action call whose connection to the action server broke (a replica killed mid-call) is sent again, so the
resident's turn is answered in full; an action server that answered with an error is never asked twice (bot/serve.py).

The stand-in action server is a raw TCP server: for the first calls it reads the request and hangs up without an
answer (what a killed process does to the calls it had accepted), then it answers like rasa_sdk.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot import serve

ANSWER = {"events": [], "responses": [{"text": "電池は有害ごみです。"}]}


async def _call(behaviour: list[str]) -> tuple[list[Any] | BaseException, int]:
    """Run one custom action against a server that behaves as listed per call ("hangup", "500", "ok"; the last
    entry repeats). Returns the action's events (or the exception it raised) and how many calls the server got."""
    calls = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        await reader.readexactly(length)
        what = behaviour[min(calls, len(behaviour) - 1)]
        calls += 1
        if what != "hangup":
            status, body = ("200 OK", ANSWER) if what == "ok" else ("500 Internal Server Error", {"error": "X"})
            raw = json.dumps(body, ensure_ascii=False).encode()
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(raw)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + raw)  # fmt: skip
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    domain = Domain.empty()
    action = RemoteAction("action_garbage_item", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    tracker = DialogueStateTracker.from_events("retry-test", [])
    try:
        result: list[Any] | BaseException = await action.run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
        )
    except RasaException as exc:
        result = exc
    finally:
        server.close()
        await server.wait_closed()
    return result, calls


@pytest.fixture(autouse=True)
def retry_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)  # restored after the test
    monkeypatch.setattr(serve, "RETRY_DELAY", 0.01)
    serve.install_action_retry()


@pytest.mark.parametrize("hangups", [1, serve.RETRIES])
def test_a_call_whose_connection_broke_is_answered_by_the_next_attempt(hangups: int) -> None:
    result, calls = asyncio.run(_call(["hangup"] * hangups + ["ok"]))
    assert not isinstance(result, BaseException), result
    assert [e.text for e in result if isinstance(e, BotUttered)] == ["電池は有害ごみです。"]
    assert calls == hangups + 1


@pytest.mark.parametrize(
    ("behaviour", "expected_calls"),
    [
        (["500"], 1),  # the action server answered: the action failed there, asking again would run it twice
        (["hangup"], serve.RETRIES + 1),  # gone for good: Rasa's own error after the last attempt
    ],
)
def test_an_answered_error_is_not_retried_and_retries_end(behaviour: list[str], expected_calls: int) -> None:
    result, calls = asyncio.run(_call(behaviour))
    assert isinstance(result, RasaException)
    assert calls == expected_calls


def test_installing_twice_wraps_once() -> None:
    wrapped = RemoteAction.run
    serve.install_action_retry()
    assert RemoteAction.run is wrapped
