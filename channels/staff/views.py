"""/staff: sign in with the staff token, list and update reference requests, export CSV, see unanswered questions.

Authentication: a form posts the token; the page then keeps an HttpOnly, SameSite=Strict cookie holding an HMAC of
the token (never the token). Scripts and CSV downloads may send `Authorization: Bearer <token>` instead.
Every value shown is HTML-escaped; nothing personal is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from channels.errors import GatewayError
from settings import StaffSettings

log = logging.getLogger("channels.staff")

COOKIE = "chiba_staff"
STATUSES = ("received", "in_progress", "answered", "closed")
STATUS_JA = {"received": "受付", "in_progress": "調査中", "answered": "回答済み", "closed": "終了"}
MIN_TOKEN = 12
STAFF_SETTINGS = web.AppKey("staff_settings", StaffSettings)


class _Database:
    """The application database, opened (and migrated) on the first authorised staff request, closed with the app."""

    def __init__(self) -> None:
        self.repos: Any = None
        self.engine: Any = None
        self._lock: Any = None

    async def get(self) -> Any:
        import asyncio

        if self.repos is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self.repos is None:
                    self.engine, self.repos = await asyncio.to_thread(_open_database)
        return self.repos

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


STAFF_DB = web.AppKey("staff_database", _Database)


class StaffDisabled(GatewayError):
    status = 503
    code = "staff_disabled"
    message = "Staff pages are off. Set CHIBA_STAFF_TOKEN (at least 12 characters) to turn them on."
    message_ja = "職員用ページは無効です。CHIBA_STAFF_TOKEN（12文字以上）を設定してください。"


class StaffUnauthorized(GatewayError):
    status = 401
    code = "unauthorized"
    message = "A valid staff token is required."
    message_ja = "職員用トークンが必要です。"


class StaffNotFound(GatewayError):
    status = 404
    code = "not_found"
    message = "There is no reference request with that number."
    message_ja = "その受付番号の依頼はありません。"


class StaffBadStatus(GatewayError):
    status = 400
    code = "invalid_status"
    message = "Unknown status."
    message_ja = "状態の値が正しくありません。"


def _token(request: web.Request) -> str:
    secret = request.app[STAFF_SETTINGS].token
    value = secret.get_secret_value() if secret else ""
    if len(value) < MIN_TOKEN:
        raise StaffDisabled()
    return value


def _session_value(token: str) -> str:
    return hmac.new(token.encode(), b"chiba-staff-session", hashlib.sha256).hexdigest()


def bearer_matches(request: web.Request, token: str) -> bool:
    """`Authorization: Bearer <token>` carries the staff token (compared in constant time)."""
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


def _authorised(request: web.Request) -> bool:
    token = _token(request)
    if bearer_matches(request, token):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), _session_value(token).encode())


def _require(request: web.Request) -> None:
    if not _authorised(request):
        raise StaffUnauthorized()


async def _repos(request: web.Request) -> Any:
    return await request.app[STAFF_DB].get()


def _page(title: str, body: str) -> web.Response:
    document = (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/static/staff.css"></head>'
        f"<body><main>{body}</main></body></html>"
    )
    return web.Response(text=document, content_type="text/html", charset="utf-8")


def _login_form(message: str = "") -> str:
    note = f'<p role="alert" class="error">{html.escape(message)}</p>' if message else ""
    return (
        "<h1>職員用ページ（Staff）</h1>"
        f"{note}"
        '<form method="post" action="/staff/login">'
        '<label for="token">職員用トークン（Staff token）</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" required>'
        '<button type="submit">ログイン（Sign in）</button></form>'
    )


async def staff_home(request: web.Request) -> web.Response:
    _token(request)
    if not _authorised(request):
        return _page("職員用ページ", _login_form())
    repos = await _repos(request)
    settings = request.app[STAFF_SETTINGS]
    requests = await repos.reference_requests.list(limit=settings.page_size, offset=0)
    counts = await repos.unanswered.counts()
    classes = (
        '<nav aria-label="ほかの職員用ページ"><p><a href="/staff/classes">スマホ教室の予約（Smartphone classes）</a>'
        "</p></nav>"
    )
    return _page(
        "職員用ページ", classes + _requests_section(requests) + _unanswered_section(counts[:50]) + _logout_form()
    )


def _requests_section(requests: Any) -> str:
    rows = []
    for item in requests:
        options = "".join(
            f'<option value="{s}"{" selected" if s == item.status else ""}>{STATUS_JA[s]}（{s}）</option>'
            for s in STATUSES
        )
        number = html.escape(item.number or "")
        rows.append(
            "<tr>"
            f"<td>{number}</td>"
            f"<td>{item.created_at:%Y-%m-%d %H:%M}</td>"
            f"<td>{html.escape(item.library or 'どこでも')}</td>"
            f"<td>{html.escape(item.lang)}</td>"
            f'<td class="question">{html.escape(item.question)}</td>'
            f"<td>{html.escape(item.contact)}</td>"
            f'<td><form method="post" action="/staff/reference-requests/{number}/status">'
            f'<label class="visually-hidden" for="status-{number}">{number}の状態</label>'
            f'<select id="status-{number}" name="status">{options}</select>'
            '<button type="submit">更新</button></form></td>'
            "</tr>"
        )
    table = (
        "<table><caption>調べものの依頼（Reference requests）</caption><thead><tr>"
        '<th scope="col">受付番号</th><th scope="col">受付日時（UTC）</th><th scope="col">図書館</th>'
        '<th scope="col">言語</th><th scope="col">質問</th><th scope="col">連絡先</th><th scope="col">状態</th>'
        "</tr></thead><tbody>"
        + ("".join(rows) or '<tr><td colspan="7">依頼はまだありません。</td></tr>')
        + "</tbody></table>"
    )
    return (
        "<h1>職員用ページ（Staff）</h1><section><h2>調べものの依頼</h2>"
        '<p><a href="/staff/reference-requests.csv">CSVで書き出す（Export CSV）</a></p>'
        f"{table}</section>"
    )


def _unanswered_section(counts: Any) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c.text)}</td><td>{html.escape(c.lang)}</td><td>{c.count}</td></tr>" for c in counts
    )
    return (
        "<section><h2>答えられなかった質問（Unanswered questions）</h2>"
        "<p>個人情報（電話番号・メール・数字）は伏せて記録しています。"
        ' <a href="/staff/unanswered.csv">CSVで書き出す</a></p>'
        "<table><caption>多い順（most frequent first）</caption><thead><tr>"
        '<th scope="col">質問</th><th scope="col">言語</th><th scope="col">件数</th></tr></thead><tbody>'
        + (rows or '<tr><td colspan="3">まだありません。</td></tr>')
        + "</tbody></table></section>"
    )


def _logout_form() -> str:
    return '<form method="post" action="/staff/logout"><button type="submit">ログアウト（Sign out）</button></form>'


async def staff_login(request: web.Request) -> web.Response:
    token = _token(request)
    form = await request.post()
    given = str(form.get("token", ""))
    if not hmac.compare_digest(given.encode(), token.encode()):
        log.warning("staff sign-in refused")
        response = _page("職員用ページ", _login_form("トークンが違います（wrong token）。"))
        response.set_status(401)
        return response
    response = web.HTTPSeeOther("/staff")
    response.set_cookie(COOKIE, _session_value(token), httponly=True, samesite="Strict", path="/staff",
                        secure=request.secure)  # fmt: skip
    return response


async def staff_logout(request: web.Request) -> web.Response:
    response = web.HTTPSeeOther("/staff")
    response.del_cookie(COOKIE, path="/staff")
    return response


async def set_status(request: web.Request) -> web.Response:
    _require(request)
    form = await request.post()
    status = str(form.get("status", ""))
    if status not in STATUSES:
        raise StaffBadStatus(allowed=list(STATUSES))
    updated = await (await _repos(request)).reference_requests.set_status(request.match_info["number"], status)
    if updated is None:
        raise StaffNotFound()
    return web.HTTPSeeOther("/staff")


async def requests_json(request: web.Request) -> web.Response:
    _require(request)
    items = await (await _repos(request)).reference_requests.list(limit=request.app[STAFF_SETTINGS].page_size, offset=0)
    body = [
        {"number": i.number, "status": i.status, "library": i.library, "lang": i.lang, "question": i.question,
         "contact": i.contact, "created_at": i.created_at.isoformat()}
        for i in items
    ]  # fmt: skip
    return web.json_response({"reference_requests": body})


async def requests_csv(request: web.Request) -> web.Response:
    from storage.export import reference_requests_csv

    _require(request)
    items = await (await _repos(request)).reference_requests.list(limit=100_000, offset=0)
    return _csv_response(reference_requests_csv(items), "reference_requests.csv")


async def unanswered_csv(request: web.Request) -> web.Response:
    from storage.export import unanswered_counts_csv

    _require(request)
    return _csv_response(
        unanswered_counts_csv(await (await _repos(request)).unanswered.counts()), "unanswered_questions.csv"
    )


def _csv_response(data: bytes, filename: str) -> web.Response:
    return web.Response(
        body=data,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _open_database() -> tuple[Any, Any]:
    from storage.db import create_engine_from_url, database_url
    from storage.migrate import upgrade
    from storage.repositories import AsyncRepositories, Repositories

    url = database_url()
    upgrade(url)  # idempotent: the embedded SQLite default needs nothing started by hand
    engine = create_engine_from_url(url)
    return engine, AsyncRepositories(Repositories.for_engine(engine))


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    app[STAFF_DB] = _Database()
    yield
    app[STAFF_DB].close()


def setup_staff(app: web.Application, settings: StaffSettings | None = None) -> None:
    app[STAFF_SETTINGS] = settings or StaffSettings()
    app.cleanup_ctx.append(_database_ctx)
    app.router.add_get("/staff", staff_home)
    app.router.add_post("/staff/login", staff_login)
    app.router.add_post("/staff/logout", staff_logout)
    app.router.add_post("/staff/reference-requests/{number}/status", set_status)
    app.router.add_get("/staff/api/reference-requests", requests_json)
    app.router.add_get("/staff/reference-requests.csv", requests_csv)
    app.router.add_get("/staff/unanswered.csv", unanswered_csv)
    from channels.staff.classes import add_class_routes  # it imports this module's helpers

    add_class_routes(app)
