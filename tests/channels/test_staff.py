"""Staff pages: the token guards every page and export, staff see and update reference requests, exports open in
Excel (BOM, header), and what residents typed is shown escaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from channels.errors import error_middleware
from channels.staff import setup_staff
from settings import StaffSettings
from storage.db import create_engine_from_url, sqlite_url
from storage.migrate import upgrade
from storage.repositories import Repositories

TOKEN = "counter-staff-secret-2026"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = sqlite_url(tmp_path / "app.db")
    monkeypatch.setenv("CHIBA_DATABASE_URL", url)
    upgrade(url)
    return url


@pytest.fixture
def repos(db_url: str) -> Repositories:
    return Repositories.for_engine(create_engine_from_url(db_url), sender_salt="test")


@pytest.fixture
async def client(aiohttp_client: Any, db_url: str) -> Any:
    app = web.Application(middlewares=[error_middleware])
    setup_staff(app, StaffSettings(token=TOKEN))
    return await aiohttp_client(app)


def _request(
    repos: Repositories, question: str = "千葉の歴史の本を探しています", contact: str = "taro@example.jp"
) -> str:
    made = repos.reference_requests.create(question, contact, "chuo_library", "ja", True, "sender-1")
    assert made.number
    return made.number


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/staff/api/reference-requests"),
        ("GET", "/staff/reference-requests.csv"),
        ("GET", "/staff/unanswered.csv"),
        ("POST", "/staff/reference-requests/R-000001/status"),
    ],
)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-123456", "Basic abc"])
async def test_every_staff_endpoint_needs_the_token(client: Any, method: str, path: str, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    response = await client.request(method, path, headers=headers, data={"status": "closed"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"


async def test_without_a_token_configured_the_pages_are_off(aiohttp_client: Any, db_url: str) -> None:
    app = web.Application(middlewares=[error_middleware])
    setup_staff(app, StaffSettings(token=None))
    client = await aiohttp_client(app)
    response = await client.get("/staff")
    assert response.status == 503
    assert "CHIBA_STAFF_TOKEN" in (await response.json())["error"]["message"]


async def test_sign_in_then_list_and_update_a_request(client: Any, repos: Repositories) -> None:
    number = _request(repos)
    login_page = await client.get("/staff")
    assert login_page.status == 200 and 'type="password"' in await login_page.text()

    refused = await client.post("/staff/login", data={"token": "not-the-token"}, allow_redirects=False)
    assert refused.status == 401

    signed_in = await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)
    assert signed_in.status == 303
    cookie = signed_in.cookies["chiba_staff"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and TOKEN not in cookie.value

    page = await (await client.get("/staff")).text()
    assert number in page and "千葉の歴史の本を探しています" in page and "taro@example.jp" in page

    updated = await client.post(f"/staff/reference-requests/{number}/status", data={"status": "answered"},
                                allow_redirects=False)  # fmt: skip
    assert updated.status == 303
    assert repos.reference_requests.get(number).status == "answered"


async def test_unknown_status_and_unknown_number_are_clear_errors(client: Any, repos: Repositories) -> None:
    number = _request(repos)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    bad = await client.post(f"/staff/reference-requests/{number}/status", data={"status": "lost"}, headers=headers)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_status"
    missing = await client.post("/staff/reference-requests/R-999999/status", data={"status": "closed"},
                                headers=headers)  # fmt: skip
    assert missing.status == 404


async def test_what_residents_typed_is_escaped(client: Any, repos: Repositories) -> None:
    _request(repos, question='<script>alert("x")</script> 本を探しています')
    await client.post("/staff/login", data={"token": TOKEN})
    page = await (await client.get("/staff")).text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


async def test_csv_exports_open_in_excel(client: Any, repos: Repositories) -> None:
    number = _request(repos)
    repos.unanswered.record("船橋市の粗大ごみは？ 090-1234-5678", "ja", "nlu_fallback", None)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    requests_csv = await client.get("/staff/reference-requests.csv", headers=headers)
    body = await requests_csv.read()
    assert requests_csv.status == 200 and body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert number in text and "千葉の歴史の本を探しています" in text
    assert "attachment" in requests_csv.headers["Content-Disposition"]

    unanswered = (await (await client.get("/staff/unanswered.csv", headers=headers)).read()).decode("utf-8-sig")
    assert "船橋市の粗大ごみは" in unanswered
    assert "090-1234-5678" not in unanswered  # the phone number was masked before it was stored


async def test_json_list_for_scripts(client: Any, repos: Repositories) -> None:
    number = _request(repos)
    response = await client.get("/staff/api/reference-requests", headers={"Authorization": f"Bearer {TOKEN}"})
    items = (await response.json())["reference_requests"]
    assert [item["number"] for item in items] == [number]
    assert items[0]["status"] == "received" and items[0]["library"] == "chuo_library"
