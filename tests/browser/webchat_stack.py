"""The gateway wired to fake Rasa/action servers, served on loopback ports from a thread with its own event loop
(Playwright's sync API runs in the test's thread)."""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from channels.app import create_app
from settings import GatewaySettings

# The fakes live with the gateway's unit tests; `tests` itself is not importable as a package
# (argostranslate installs a top-level `tests` package into site-packages).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "channels"))
from gateway_fakes import FakeBackend, fake_action_app, fake_rasa_app


@dataclass
class Stack:
    url: str
    backend: FakeBackend


class StackThread(threading.Thread):
    """Fake Rasa, fake action server and the gateway on loopback ports, in a loop of their own."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.backend: FakeBackend | None = None
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
        rasa = await self._serve(fake_rasa_app(self.backend))
        actions = await self._serve(fake_action_app(self.backend))
        self.url = await self._serve(create_app(GatewaySettings(rasa_url=rasa, action_server_url=actions)))

    async def _close_servers(self) -> None:
        assert self.backend is not None
        self.backend.release.set()
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
