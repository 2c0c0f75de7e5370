"""Staff pages for the smartphone classes: the token guards every page, export and the cancel button; staff see seats,
bookings and the waiting list in order (names and phones, to call residents), export CSV, and cancelling on a
resident's behalf promotes the first waiting resident(s) and queues their notification."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web

from channels.errors import error_middleware
from channels.staff import setup_staff
from settings import StaffSettings
from storage.db import create_engine_from_url, sqlite_url
from storage.migrate import upgrade
from storage.repositories import Repositories
from storage.smartphone import JST, ClassRow

TOKEN = "counter-staff-secret-2026"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
# The pages use the real clock (upcoming = not over yet), so the classes are placed relative to it.
START = (datetime.now(JST) + timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
CLASS_ID = "ex-test-chuo-line"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = sqlite_url(tmp_path / "app.db")
    monkeypatch.setenv("CHIBA_DATABASE_URL", url)
    upgrade(url)
    return url


@pytest.fixture
def repos(db_url: str) -> Repositories:
    repos = Repositories.for_engine(create_engine_from_url(db_url), sender_salt="test")
    rows = [
        _row(CLASS_ID, "line", capacity=3, start=START),
        _row("ex-test-inage-scam", "scam", capacity=10, start=START + timedelta(days=1), venue="ward_office_inage"),
    ]
    repos.smartphone.replace_catalogue(rows, example=True)
    return repos


def _row(class_id: str, topic: str, *, capacity: int, start: datetime, venue: str = "ward_office_chuo") -> ClassRow:
    return ClassRow(class_id, topic, "beginner", venue, start, start + timedelta(hours=2), capacity, "043-221-2133")


def _book(repos: Repositories, name: str, seats: int, *, phone: str = "090-1111-2222", channel: str = "web") -> str:
    booking = repos.smartphone.book(
        CLASS_ID, name=name, phone=phone, seats=seats, lang="ja", channel=channel, sender_id=f"web:{name}",
        line_to="U" + "a" * 32 if channel == "line" else None,
    )  # fmt: skip
    return booking.number


@pytest.fixture
async def client(aiohttp_client: Any, db_url: str) -> Any:
    app = web.Application(middlewares=[error_middleware])
    setup_staff(app, StaffSettings(token=TOKEN))
    return await aiohttp_client(app)


ROUTES = [
    ("GET", "/staff/classes"),
    ("GET", f"/staff/classes/{CLASS_ID}"),
    ("GET", "/staff/classes.csv"),
    ("GET", f"/staff/classes/{CLASS_ID}.csv"),
    ("POST", "/staff/bookings/S-000001/cancel"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-123456", "Basic abc", f"Bearer {TOKEN}x"])
async def test_every_class_endpoint_needs_the_token(
    client: Any, repos: Repositories, method: str, path: str, auth: str | None
) -> None:
    number = _book(repos, "千葉花子", 1)
    headers = {"Authorization": auth} if auth else {}
    response = await client.request(method, path, headers=headers, allow_redirects=False)
    assert response.status == 401
    if response.content_type == "text/html":  # pages offer the sign-in form
        page = await response.text()
        assert 'type="password"' in page and "千葉花子" not in page
    else:
        assert (await response.json())["error"]["code"] == "unauthorized"
    assert repos.smartphone.find(number).status == "booked"  # the refused cancel changed nothing


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_without_a_token_configured_the_pages_are_off(
    aiohttp_client: Any, db_url: str, method: str, path: str
) -> None:
    app = web.Application(middlewares=[error_middleware])
    setup_staff(app, StaffSettings(token=None))
    client = await aiohttp_client(app)
    response = await client.request(method, path, headers=BEARER)
    assert response.status == 503
    assert "CHIBA_STAFF_TOKEN" in (await response.json())["error"]["message"]


async def test_list_shows_seats_waiting_and_the_example_flag(client: Any, repos: Repositories) -> None:
    _book(repos, "千葉花子", 2)
    _book(repos, "稲毛太郎", 2)  # does not fit: waiting
    response = await client.get("/staff/classes", headers=BEARER)
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    page = await response.text()
    assert '<html lang="ja">' in page and 'href="/static/staff.css"' in page
    assert '<th scope="col">空き</th>' in page and '<th scope="col">キャンセル待ち</th>' in page
    row = page.split(f'href="/staff/classes/{CLASS_ID}"')[0].rsplit("<tr>", 1)[1]
    assert f"<td>{START:%Y-%m-%d}" in row and f"<td>{START:%H:%M}～" in row
    assert "<td>中央区役所</td>" in row and "ward_office_chuo" not in row  # the venue's name from the places data
    # capacity 3, taken 2, free 1, waiting 1
    assert "<td>3</td><td>2</td><td>1</td><td>1</td>" in row
    assert "例（架空の日程）" in row
    assert "LINE" in row and "初心者" in row
    assert "千葉花子" not in page  # names only on the class's own page


async def test_detail_shows_bookings_then_the_waiting_list_in_order(client: Any, repos: Repositories) -> None:
    booked = _book(repos, "千葉花子", 3, phone="043-111-1111")
    waiting = [_book(repos, name, 1, phone=f"090-0000-000{i}") for i, name in enumerate(["一郎", "二郎", "三郎"])]
    page = await (await client.get(f"/staff/classes/{CLASS_ID}", headers=BEARER)).text()
    bookings_table, waiting_table = page.split("<caption>")[1:3]
    assert booked in bookings_table and "千葉花子" in bookings_table and "043-111-1111" in bookings_table
    positions = [waiting_table.index(number) for number in waiting]
    assert positions == sorted(positions)  # first come, first promoted
    for place, (number, name) in enumerate(zip(waiting, ["一郎", "二郎", "三郎"], strict=True), start=1):
        row = waiting_table.split(number)[1].split("</tr>")[0]
        assert name in row and f"<td>{place}</td>" in row and f"090-0000-000{place - 1}" in row
    assert f'action="/staff/bookings/{waiting[0]}/cancel"' in page


async def test_what_residents_typed_is_escaped(client: Any, repos: Repositories) -> None:
    _book(repos, '<script>alert("x")</script>', 1)
    page = await (await client.get(f"/staff/classes/{CLASS_ID}", headers=BEARER)).text()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


@pytest.mark.parametrize("path", ["/staff/classes/no-such-class", "/staff/classes/no-such-class.csv"])
async def test_unknown_class_is_404(client: Any, repos: Repositories, path: str) -> None:
    response = await client.get(path, headers=BEARER)
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"


async def test_classes_csv(client: Any, repos: Repositories) -> None:
    _book(repos, "千葉花子", 2)
    response = await client.get("/staff/classes.csv", headers=BEARER)
    body = await response.read()
    assert response.status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert list(rows[0])[:4] == ["id", "date", "start", "end"]
    first = rows[0]
    assert first["id"] == CLASS_ID and first["date"] == f"{START:%Y-%m-%d}" and first["start"] == "10:00"
    assert (first["capacity"], first["taken"], first["free"], first["waiting"]) == ("3", "2", "1", "0")
    assert first["example"] == "yes" and first["venue"] == "ward_office_chuo" and first["venue_name"]
    assert len(rows) == 2


async def test_class_csv_lists_bookings_in_order_and_defuses_formulas(client: Any, repos: Repositories) -> None:
    booked = _book(repos, '=HYPERLINK("http://x")', 3)
    waiting = _book(repos, "稲毛太郎", 1, phone="+81-90-1234-5678")
    response = await client.get(f"/staff/classes/{CLASS_ID}.csv", headers=BEARER)
    assert response.headers["Content-Disposition"] == f'attachment; filename="smartphone_class_{CLASS_ID}.csv"'
    rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"), newline="")))
    assert [(r["number"], r["status"], r["seats"], r["position"]) for r in rows] == [
        (booked, "booked", "3", ""),
        (waiting, "waiting", "1", "1"),
    ]
    assert rows[0]["name"].startswith("'=HYPERLINK")  # a spreadsheet shows it as text, never runs it
    assert rows[1]["name"] == "稲毛太郎" and rows[1]["phone"] == "'+81-90-1234-5678"
    assert all(r["class_id"] == CLASS_ID and r["date"] == f"{START:%Y-%m-%d %H:%M}" for r in rows)


async def test_cancel_promotes_the_first_waiting_residents_and_says_so(client: Any, repos: Repositories) -> None:
    booked = _book(repos, "千葉花子", 3)
    first = _book(repos, "一郎", 2, channel="line")
    second = _book(repos, "二郎", 1)
    third = _book(repos, "三郎", 2)
    response = await client.post(f"/staff/bookings/{booked}/cancel", headers=BEARER, allow_redirects=False)
    assert response.status == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/staff/classes/{CLASS_ID}"
    assert parse_qs(location.query) == {"cancelled": [booked], "promoted": [f"{first},{second}"]}

    states = {number: repos.smartphone.find(number) for number in (booked, first, second, third)}
    assert [states[n].status for n in (booked, first, second, third)] == ["cancelled", "booked", "booked", "waiting"]
    assert states[third].position == 1
    assert repos.smartphone.get(CLASS_ID).taken == 3
    # Storage queued the promotions: LINE for the LINE booking (the worker pushes it), web for the next visit.
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    pushed = repos.smartphone.claim_notifications("test", later, channels=("line",))
    assert [(n.kind, n.booking_number) for n in pushed] == [("waitlist_promoted", first)]
    web_notes = repos.smartphone.pending_for_sender("web:二郎", later)
    assert [(n.kind, n.booking_number) for n in web_notes] == [("waitlist_promoted", second)]

    page = await (await client.get(response.headers["Location"], headers=BEARER)).text()
    assert 'role="status"' in page and f"{booked} を取り消しました" in page and f"{first}、{second}" in page


async def test_cancel_after_signing_in_with_the_form(client: Any, repos: Repositories) -> None:
    number = _book(repos, "千葉花子", 1)
    signed_in = await client.post("/staff/login", data={"token": TOKEN}, allow_redirects=False)
    assert signed_in.cookies["chiba_staff"]["samesite"] == "Strict"  # another site's form cannot send it
    response = await client.post(f"/staff/bookings/{number}/cancel", allow_redirects=True)
    assert response.status == 200 and f"{number} を取り消しました" in await response.text()
    assert repos.smartphone.find(number).status == "cancelled"


async def test_cancel_twice_is_harmless(client: Any, repos: Repositories) -> None:
    number = _book(repos, "千葉花子", 2)
    for _ in range(2):
        response = await client.post(f"/staff/bookings/{number}/cancel", headers=BEARER, allow_redirects=False)
        assert response.status == 303
    assert repos.smartphone.get(CLASS_ID).taken == 0


@pytest.mark.parametrize("number", ["S-999999", "not-a-number", "R-000001"])
async def test_cancel_unknown_booking_is_404(client: Any, repos: Repositories, number: str) -> None:
    _book(repos, "千葉花子", 1)
    response = await client.post(f"/staff/bookings/{number}/cancel", headers=BEARER)
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"
    assert repos.smartphone.get(CLASS_ID).taken == 1


@pytest.mark.parametrize(
    ("query", "shown"),
    [("cancelled=S-000001&promoted=S-000002", "S-000002"), ("cancelled=<b>x</b>", None), ("promoted=S-000002", None)],
)
async def test_the_message_after_a_cancel_shows_only_booking_numbers(
    client: Any, repos: Repositories, query: str, shown: str | None
) -> None:
    page = await (await client.get(f"/staff/classes/{CLASS_ID}?{query}", headers=BEARER)).text()
    assert "<b>x</b>" not in page
    assert ('role="status"' in page) == (shown is not None)
    if shown:
        assert shown in page


async def test_staff_home_links_to_the_classes(client: Any, repos: Repositories) -> None:
    await client.post("/staff/login", data={"token": TOKEN})
    page = await (await client.get("/staff")).text()
    assert 'href="/staff/classes"' in page


async def test_past_classes_only_on_request(client: Any, repos: Repositories) -> None:
    past = datetime.now(JST) - timedelta(days=3)
    rows = [_row(CLASS_ID, "line", capacity=3, start=START), _row("ex-test-past", "photos", capacity=5, start=past)]
    repos.smartphone.replace_catalogue(rows, example=False)
    upcoming = await (await client.get("/staff/classes", headers=BEARER)).text()
    everything = await (await client.get("/staff/classes?past=1", headers=BEARER)).text()
    assert "ex-test-past" not in upcoming and "ex-test-past" in everything
    assert "例（架空の日程）" not in upcoming  # a real catalogue: no example flag
