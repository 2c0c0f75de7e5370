"""The gateway with its LINE channel, wired to a fake LINE API and a fake Rasa on loopback ports."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.app import create_app
from channels.line import setup_line
from settings import GatewaySettings, LineSettings

# The tests import line_fakes by plain name; this also works under --import-mode=importlib.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from line_fakes import SECRET, TOKEN, FakeLine, FakeRasa

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture(autouse=True)
def _own_databases(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The gateway opens the application database and Rasa's tracker store for "forget me" and the stop link: each
    test gets its own, never the repository's var/."""
    monkeypatch.setenv("CHIBA_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("CHIBA_TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.delenv("CHIBA_TRACKER_URL", raising=False)


@pytest.fixture
def fake_line() -> FakeLine:
    return FakeLine()


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def line_server(aiohttp_server: Any, fake_line: FakeLine) -> TestServer:
    return await aiohttp_server(fake_line.app())


@pytest.fixture
async def rasa_server(aiohttp_server: Any, fake_rasa: FakeRasa) -> AsyncIterator[TestServer]:
    server = await aiohttp_server(fake_rasa.app())
    yield server
    if fake_rasa.gate is not None:
        fake_rasa.gate.set()  # let held answers finish before the server closes


@pytest.fixture
def line_settings(line_server: TestServer, tmp_path: Path) -> LineSettings:
    url = str(line_server.make_url("")).rstrip("/")
    return LineSettings(
        channel_secret=SECRET,
        access_token=TOKEN,
        api_base_url=url,
        api_data_base_url=url,
        db_path=tmp_path / "line.db",
        retry_base_delay=0.01,
        retry_max_delay=0.05,
        max_retries=3,
        # Far above any answer time here, so only the test that wants the loading animation sees one.
        loading_after=30.0,
        shutdown_grace=5.0,
    )


@pytest.fixture
def make_client(aiohttp_client: Any, rasa_server: TestServer, line_settings: LineSettings) -> MakeClient:
    gateway = GatewaySettings(rasa_url=str(rasa_server.make_url("")), backend_timeout=5.0)

    async def make(**overrides: Any) -> TestClient:
        app = create_app(gateway)
        setup_line(app, line_settings.model_copy(update=overrides))
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()
