"""Gateway under test, wired to a fake Rasa and a fake action server on loopback ports."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

# Test modules import the fakes by plain name (`tests` is shadowed by argostranslate's site-packages `tests`);
# pytest's default import mode puts this folder on sys.path, this line does it for --import-mode=importlib too.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway_fakes import FakeBackend, MakeClient, fake_action_app, fake_rasa_app

from channels.app import create_app
from channels.language import LanguageDecider, decide_language
from settings import GatewaySettings


@pytest.fixture(autouse=True)
def _own_databases(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The gateway opens the application database and Rasa's tracker store for "forget me" and the stop link: each
    test gets its own, never the repository's var/."""
    monkeypatch.setenv("CHIBA_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("CHIBA_TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.delenv("CHIBA_TRACKER_URL", raising=False)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
async def rasa_server(aiohttp_server: Any, backend: FakeBackend) -> AsyncIterator[TestServer]:
    server = await aiohttp_server(fake_rasa_app(backend))
    yield server
    backend.release.set()  # let hanging handlers finish before aiohttp_server closes the server


@pytest.fixture
async def action_server(aiohttp_server: Any, backend: FakeBackend) -> AsyncIterator[TestServer]:
    server = await aiohttp_server(fake_action_app(backend))
    yield server
    backend.release.set()


@pytest.fixture
def settings(rasa_server: TestServer, action_server: TestServer) -> GatewaySettings:
    return GatewaySettings(
        rasa_url=str(rasa_server.make_url("")),
        action_server_url=str(action_server.make_url("")),
        backend_timeout=5.0,
        health_timeout=5.0,
    )


@pytest.fixture
def make_client(aiohttp_client: Any, settings: GatewaySettings) -> MakeClient:
    async def make(decide_language: LanguageDecider = decide_language, **overrides: Any) -> TestClient:
        return await aiohttp_client(create_app(settings.model_copy(update=overrides), decide_language=decide_language))

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()
