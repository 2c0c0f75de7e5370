"""GET /healthz: 200 only when Rasa has a model, the action server answers and the knowledge base is loaded."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import DOWN_503, HANG, HTTP_500, NOT_JSON, FakeBackend, MakeClient, closed_port_url

ALL_OK = {"rasa": "ok", "action_server": "ok", "knowledge_base": "ok"}


async def healthz(client: TestClient, status: int) -> dict[str, Any]:
    resp = await client.get("/healthz")
    text = await resp.text()
    assert resp.status == status, text
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Traceback" not in text
    return await resp.json()


async def test_all_parts_up(client: TestClient, backend: FakeBackend) -> None:
    body = await healthz(client, 200)
    assert body == {
        "status": "ok",
        "checks": ALL_OK,
        "knowledge_base": {"garbage.items": 640, "library.faq": 22, "garbage.towns": 261},
    }
    # The knowledge-base call went through the real rasa_sdk executor and named the health action.
    assert backend.action_calls[-1]["next_action"] == "action_kb_health"


@pytest.mark.parametrize(
    ("change", "missing", "reason"),
    [
        pytest.param({"rasa_health": 503}, ["rasa"], "not ready (503)", id="rasa-no-model"),
        pytest.param({"rasa_health": 500}, ["rasa"], "http 500", id="rasa-500"),
        pytest.param({"kb_items": 0}, ["knowledge_base"], "empty", id="kb-empty"),
        pytest.param(
            {"action_mode": DOWN_503}, ["action_server", "knowledge_base"], "not ready (503)", id="actions-503"
        ),
        pytest.param({"action_mode": HTTP_500}, ["action_server", "knowledge_base"], "http 500", id="actions-500"),
        pytest.param({"action_mode": NOT_JSON}, ["action_server", "knowledge_base"], "invalid response", id="not-json"),
    ],
)
async def test_a_missing_part_gives_503(
    client: TestClient, backend: FakeBackend, change: dict[str, Any], missing: list[str], reason: str
) -> None:
    for name, value in change.items():
        setattr(backend, name, value)
    body = await healthz(client, 503)
    assert body["status"] == "unavailable"
    assert body["missing"] == missing
    assert all(body["checks"][name] == reason for name in missing)
    assert all(body["checks"][name] == "ok" for name in ALL_OK.keys() - set(missing))


@pytest.mark.parametrize(
    ("setting", "missing"),
    [("rasa_url", ["rasa"]), ("action_server_url", ["action_server", "knowledge_base"])],
)
async def test_unreachable_part_gives_503(make_client: MakeClient, setting: str, missing: list[str]) -> None:
    body = await healthz(await make_client(**{setting: closed_port_url()}), 503)
    assert body["missing"] == missing
    assert {body["checks"][name] for name in missing} == {"unreachable"}


async def test_everything_down(make_client: MakeClient) -> None:
    client = await make_client(rasa_url=closed_port_url(), action_server_url=closed_port_url())
    body = await healthz(client, 503)
    assert body["missing"] == ["rasa", "action_server", "knowledge_base"]


async def test_hanging_rasa_times_out(make_client: MakeClient, backend: FakeBackend) -> None:
    backend.rasa_mode = HANG
    body = await healthz(await make_client(health_timeout=0.2), 503)
    assert body["checks"]["rasa"] == "timeout"
