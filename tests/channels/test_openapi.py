"""GET /api/openapi.json describes the gateway as it is: every documented operation is routed, every route of the
chat, LINE, staff and stop-link parts is documented, limits and languages are the running ones. And every staff
operation in it needs the staff token: without it nothing personal is shown or changed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import MakeClient

from channels.openapi import OPENAPI_PATH, build_spec, document
from channels.staff.views import COOKIE, _session_value
from settings import GatewaySettings
from translations import languages

STAFF_TOKEN = "openapi-test-staff-token"
# Route prefixes this document covers; other parts (speech, interpreter) document theirs with channels.openapi.document.
COVERED = ("/api/chat", "/api/ui/", "/api/openapi.json", "/healthz", "/webhooks/line", "/staff", "/for-you/")
# What the seeded database holds that only staff may see.
PERSONAL = ("hanako@example.jp", "千葉 花子", "090-1234-5678", "本の題名を調べたい")


async def spec_of(client: TestClient) -> dict[str, Any]:
    resp = await client.get(OPENAPI_PATH)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    return await resp.json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in spec["paths"].items():
        for method in item:
            yield path, method.upper()


def routed(client: TestClient) -> set[tuple[str, str]]:
    """(path template, method) of every route of the app, in OpenAPI's spelling."""
    found = set()
    for route in client.server.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if path and route.method != "HEAD":
            found.add((path, route.method))
    return found


async def test_the_document_is_openapi_31_that_schemathesis_loads(client: TestClient) -> None:
    import schemathesis

    spec = await spec_of(client)
    assert spec["openapi"] == "3.1.0"
    loaded = [result.ok() for result in schemathesis.openapi.from_dict(spec).get_all_operations()]
    assert {(op.path, op.method.upper()) for op in loaded} == set(operations(spec))


async def test_every_documented_operation_is_routed_and_every_covered_route_documented(client: TestClient) -> None:
    spec, routes = await spec_of(client), routed(client)
    documented = set(operations(spec))
    assert documented - routes == set()
    covered = {(path, method) for path, method in routes if path.startswith(COVERED)}
    assert covered - documented == set()


async def test_every_error_response_is_the_one_error_shape_or_a_documented_page(client: TestClient) -> None:
    spec = await spec_of(client)
    for path, method in operations(spec):
        for status, response in spec["paths"][path][method.lower()]["responses"].items():
            if int(status) < 400 or path == "/healthz":  # its 503 is the health report itself, for load balancers
                continue
            content = response["content"]
            if "application/json" in content:
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)
            else:
                assert set(content) == {"text/html"}, (path, status)


async def test_limits_and_languages_are_the_running_ones(make_client: MakeClient) -> None:
    client = await make_client(max_text_chars=500)
    chat = (await spec_of(client))["components"]["schemas"]["ChatRequest"]["properties"]
    assert chat["text"]["maxLength"] == 500
    assert chat["lang"]["enum"] == ["auto", *languages.codes(), None]


async def test_the_429_answer_documents_retry_after(client: TestClient) -> None:
    response = (await spec_of(client))["paths"]["/api/chat"]["post"]["responses"]["429"]
    assert "Retry-After" in response["headers"]


async def test_another_part_can_document_its_routes(aiohttp_client: Any, settings: GatewaySettings) -> None:
    from channels.app import create_app

    app = create_app(settings)
    document(app, {"/api/speech/voices": {"get": {"responses": {"200": {"description": "Voices."}}}}})
    spec = await spec_of(await aiohttp_client(app))
    assert "/api/speech/voices" in spec["paths"]
    assert "/api/chat" in spec["paths"]


# --- staff operations need the token -------------------------------------------------------------------------------


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The application database with a reference request and a class booking (personal data); path values to use."""
    from storage.db import create_engine_from_url
    from storage.migrate import upgrade
    from storage.repositories import Repositories
    from storage.smartphone import ClassRow

    monkeypatch.setenv("CHIBA_STAFF_TOKEN", STAFF_TOKEN)
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'app.db'}")
    upgrade(engine)
    repos = Repositories.for_engine(engine, sender_salt="t")
    request = repos.reference_requests.create("本の題名を調べたい", "hanako@example.jp", None, "ja", True, "s1")
    start = datetime.now(timezone.utc) + timedelta(days=3)
    row = ClassRow("c-1", "line", "beginner", "ward_office_chuo", start, start + timedelta(hours=2), 5, "043-245-5111")
    repos.smartphone.replace_catalogue([row], example=True)
    booking = repos.smartphone.book(
        "c-1", name="千葉 花子", phone="090-1234-5678", seats=1, lang="ja", channel="web", sender_id="s2"
    )
    engine.dispose()
    return {"number": request.number, "id": "c-1", "booking": booking.number}


def staff_operations() -> list[tuple[str, str]]:
    spec = build_spec(GatewaySettings())
    return [(path, method) for path, method in operations(spec) if path.startswith("/staff")]


def _url(path: str, values: dict[str, str]) -> str:
    if path.startswith("/staff/bookings/"):
        return path.replace("{number}", values["booking"])
    return path.replace("{number}", values["number"]).replace("{id}", values["id"])


def _form(path: str) -> dict[str, str]:
    if path.endswith("/status"):
        return {"status": "closed"}
    if path == "/staff/login":
        return {"token": "guess-guess-guess"}
    return {}


async def _call(client: TestClient, method: str, url: str, **kw: Any) -> tuple[int, str]:
    resp = await client.request(method, url, allow_redirects=False, data=_form(url) or None, **kw)
    return resp.status, await resp.text()


@pytest.mark.parametrize(("path", "method"), staff_operations())
@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param({}, id="none"),
        pytest.param({"headers": {"Authorization": "Bearer wrong-token-wrong"}}, id="wrong-bearer"),
        pytest.param({"cookies": {COOKIE: "forged"}}, id="forged-cookie"),
        pytest.param({"headers": {"Authorization": STAFF_TOKEN}}, id="token-without-bearer"),
    ],
)
async def test_staff_operations_show_and_change_nothing_without_the_token(
    make_client: MakeClient,
    seeded: dict[str, str],
    tmp_path: Path,
    path: str,
    method: str,
    credentials: dict[str, Any],
) -> None:
    client = await make_client()
    if "cookies" in credentials:
        client.session.cookie_jar.update_cookies(credentials.pop("cookies"))
    status, body = await _call(client, method, _url(path, seeded), **credentials)
    if path in ("/staff", "/staff/logout"):
        assert status in (200, 303)  # the sign-in form, or signing out: nothing behind either
    else:
        assert status == 401, (path, status, body[:200])
    assert not any(value in body for value in PERSONAL), (path, body[:300])
    # Nothing changed: the request is still open, the booking still there.
    with sqlite3.connect(tmp_path / "app.db") as db:
        assert db.execute("SELECT status FROM reference_requests").fetchall() == [("received",)]
        assert db.execute("SELECT status FROM smartphone_bookings").fetchall() == [("booked",)]


@pytest.mark.parametrize(("path", "method"), staff_operations())
async def test_staff_operations_work_with_the_token(
    make_client: MakeClient, seeded: dict[str, str], path: str, method: str
) -> None:
    client = await make_client()
    status, _ = await _call(client, method, _url(path, seeded), headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
    if path == "/staff/login":
        assert status == 401  # a guessed token is refused even when another credential is sent
    else:
        assert status in (200, 303), (path, status)


async def test_the_session_cookie_opens_the_pages_and_only_for_staff(
    make_client: MakeClient, seeded: dict[str, str]
) -> None:
    client = await make_client()
    resp = await client.post("/staff/login", data={"token": STAFF_TOKEN}, allow_redirects=False)
    assert resp.status == 303
    set_cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and re.search("SameSite=Strict", set_cookie, re.I)
    assert STAFF_TOKEN not in set_cookie  # an HMAC of the token, never the token
    status, body = await _call(client, "GET", f"/staff/classes/{seeded['id']}",
                               cookies={COOKIE: _session_value(STAFF_TOKEN)})  # fmt: skip
    assert status == 200 and "千葉 花子" in body


@pytest.mark.parametrize(("path", "method"), staff_operations())
async def test_without_a_configured_token_staff_operations_are_off(
    make_client: MakeClient, seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch, path: str, method: str
) -> None:
    monkeypatch.delenv("CHIBA_STAFF_TOKEN")
    client = await make_client()
    status, body = await _call(client, method, _url(path, seeded), headers={"Authorization": "Bearer "})
    if path == "/staff/logout":
        assert status == 303
    else:
        assert status == 503 and "staff_disabled" in body, (path, status)
