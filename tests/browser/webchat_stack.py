"""The gateway wired to fake Rasa/action servers, served on loopback ports from a thread with its own event loop
(Playwright's sync API runs in the test's thread)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from channels.app import create_app
from channels.rasa_client import WEBHOOK_PATH
from settings import GatewaySettings

# The fakes live with the gateway's unit tests; `tests` itself is not importable as a package
# (argostranslate installs a top-level `tests` package into site-packages).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "channels"))
from gateway_fakes import FakeBackend, fake_action_app, fake_rasa_app

# 「幸町に住んでいます」: the fake Rasa remembers the town per sender, as the real one keeps it in a slot.
_TOWN = re.compile(r"(\S+?町)に住んでいます")


@dataclass
class Conversations:
    """What the fake Rasa adds in front of gateway_fakes: a town remembered per sender id (shown in every later
    reply), and answers held back until the test releases them (to answer a question late)."""

    loop: asyncio.AbstractEventLoop
    towns: dict[str, str] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)  # messages whose answer waits for release()
    arrived: list[str] = field(default_factory=list)  # every message, in the order the gateway sent it
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        """From the test's thread: answer the held messages now."""
        self.loop.call_soon_threadsafe(self._released.set)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path != WEBHOOK_PATH:
            return await handler(request)
        body = await request.json()
        sender, message = str(body.get("sender")), str(body.get("message"))
        self.arrived.append(message)
        if message in self.held:
            await self._released.wait()
        response = await handler(request)
        if match := _TOWN.search(message):
            self.towns[sender] = match.group(1)
        town = self.towns.get(sender)
        if town is None or response.status != 200 or not isinstance(response, web.Response) or not response.body:
            return response
        reply = json.loads(bytes(response.body))
        reply["messages"].append({"text": f"（{town}の情報としてお答えしました）"})
        return web.json_response(reply)


@dataclass
class Stack:
    url: str
    backend: FakeBackend
    conversations: Conversations


class StackThread(threading.Thread):
    """Fake Rasa, fake action server and the gateway on loopback ports, in a loop of their own."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.backend: FakeBackend | None = None
        self.conversations: Conversations | None = None
        self.url = ""
        self._runners: list[web.AppRunner] = []

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _open_servers(self) -> None:
        self.backend = FakeBackend()
        self.conversations = Conversations(loop=self.loop)
        rasa_app = fake_rasa_app(self.backend)
        rasa_app.middlewares.append(self.conversations.middleware)
        rasa = await self._serve(rasa_app)
        actions = await self._serve(fake_action_app(self.backend))
        self.url = await self._serve(create_app(GatewaySettings(rasa_url=rasa, action_server_url=actions)))

    async def _close_servers(self) -> None:
        assert self.backend is not None and self.conversations is not None
        self.backend.release.set()
        self.conversations._released.set()
        for runner in reversed(self._runners):
            await runner.cleanup()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._open_servers())
        finally:
            self.ready.set()  # the fixture checks self.url to tell a failed start
        self.loop.run_forever()
        self.loop.run_until_complete(self._close_servers())
        self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=30)
