"""/staff/classes: smartphone classes for staff — seats and waiting lists, who booked (to call them), CSV, cancelling.

    GET  /staff/classes                    every upcoming class (?past=1: past ones too): seats taken, free, waiting
    GET  /staff/classes/{id}               one class: its bookings, then its waiting list in order
    GET  /staff/classes.csv                the list as CSV
    GET  /staff/classes/{id}.csv           one class's bookings as CSV (storage.export.smartphone_bookings_csv:
                                           names and phone numbers, handle with care)
    POST /staff/bookings/{number}/cancel   cancel on the resident's behalf; storage promotes the first waiting
                                           resident(s) who fit and queues their notification; back to the class page

The same token as the other staff pages (views.py): the session cookie (HttpOnly, SameSite=Strict, so another site
cannot make a signed-in browser post the cancel form) or `Authorization: Bearer`. Pages with personal data are sent
with Cache-Control: no-store. Values are HTML-escaped; CSV cells a resident typed cannot start a formula; nothing
personal is logged.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from channels.errors import GatewayError
from channels.staff.views import _authorised, _csv_response, _login_form, _logout_form, _page, _repos, _require, _token
from settings import JST
from translations.messages import MessageError, template

log = logging.getLogger("channels.staff")

STATUS_JA = {"booked": "予約", "waiting": "キャンセル待ち", "cancelled": "取消"}
CLASS_COLUMNS = (
    "id", "date", "start", "end", "venue", "venue_name", "topic", "level", "capacity", "taken", "free", "waiting",
    "example", "cancelled", "phone", "note",
)  # fmt: skip
EXAMPLE_NOTE = (
    "「例」の教室は説明用の架空の日程（example）で、実際には開かれません。"
    "実際の日程は python -m storage.smartphone_import FILE.csv で取り込みます。"
)


class ClassNotFoundPage(GatewayError):
    status = 404
    code = "not_found"
    message = "There is no smartphone class with that id."
    message_ja = "そのIDのスマホ教室はありません。"


class BookingNotFoundPage(GatewayError):
    status = 404
    code = "not_found"
    message = "There is no booking with that number."
    message_ja = "その予約番号の予約はありません。"


# --- data ------------------------------------------------------------------------------------------------------------


async def _smartphone(request: web.Request) -> Any:
    """The SmartphoneClasses repository, each method awaited in a worker thread (storage.repositories)."""
    return (await _repos(request)).smartphone


@lru_cache(maxsize=1)
def _venue_names() -> dict[str, str]:
    """Office id → Japanese name from the places data; {} when it cannot be read (the id is shown instead)."""
    try:
        from knowledge_base.places.load import load_places
        from settings import KnowledgeBaseSettings

        places = load_places(KnowledgeBaseSettings().data_dir)
    except Exception as exc:  # the page still works without names
        log.warning("staff classes: places data unavailable (%s); showing venue ids", type(exc).__name__)
        return {}
    return {office_id: office.name for office_id, office in places.offices.items()}


def _label(kind: str, code: str) -> str:
    """A topic or level in Japanese, worded as residents read it (translations/messages/ja/smartphone.yml:
    sp_topic_<code>, sp_level_<code>); an unknown code is shown as it is."""
    try:
        return template(f"sp_{kind}_{code}", "ja")
    except MessageError:
        return code


def _topic(item: Any) -> str:
    return _label("topic", item.topic)


def _level(item: Any) -> str:
    return _label("level", item.level)


async def _venue(venue: str) -> str:
    return (await asyncio.to_thread(_venue_names)).get(venue, venue)


def _date(item: Any) -> str:
    return f"{item.starts_at.astimezone(JST):%Y-%m-%d}（{'月火水木金土日'[item.starts_at.astimezone(JST).weekday()]}）"


def _time(item: Any) -> str:
    return f"{item.starts_at.astimezone(JST):%H:%M}～{item.ends_at.astimezone(JST):%H:%M}"


# --- pages -----------------------------------------------------------------------------------------------------------


def _no_store(response: web.Response) -> web.Response:
    response.headers["Cache-Control"] = "no-store"  # names and phone numbers stay out of caches
    return response


def _sign_in_first() -> web.Response:
    response = _page("スマホ教室（職員用）", _login_form())
    response.set_status(401)
    return response


def _nav() -> str:
    return '<nav aria-label="職員用ページ"><p><a href="/staff">職員用ページへ戻る（Staff home）</a></p></nav>'


async def classes_page(request: web.Request) -> web.Response:
    _token(request)
    if not _authorised(request):
        return _sign_in_first()
    past = request.query.get("past") == "1"
    repo = await _smartphone(request)
    classes = await repo.all_classes(include_past=past)
    names = await asyncio.to_thread(_venue_names)
    rows = [_class_row(item, names.get(item.venue, item.venue)) for item in classes]
    toggle = (
        '<a href="/staff/classes">これからの教室だけ表示</a>'
        if past
        else '<a href="/staff/classes?past=1">終わった教室も表示</a>'
    )
    example = (
        f'<p class="note"><strong>例</strong>：{html.escape(EXAMPLE_NOTE)}</p>'
        if any(c.example for c in classes)
        else ""
    )
    body = (
        f"{_nav()}<h1>スマホ教室（Smartphone classes）</h1>{example}"
        f'<p>{toggle}　<a href="/staff/classes.csv">CSVで書き出す（Export CSV）</a></p>'
        "<table><caption>教室の一覧（日時順、時刻は日本時間）</caption><thead><tr>"
        '<th scope="col">日付</th><th scope="col">時間</th><th scope="col">会場</th><th scope="col">内容</th>'
        '<th scope="col">レベル</th><th scope="col">定員</th><th scope="col">予約済み</th><th scope="col">空き</th>'
        '<th scope="col">キャンセル待ち</th><th scope="col">区分</th><th scope="col">詳細</th>'
        "</tr></thead><tbody>"
        + ("".join(rows) or '<tr><td colspan="11">教室はありません。</td></tr>')
        + "</tbody></table>"
        + _logout_form()
    )
    return _no_store(_page("スマホ教室（職員用）", body))


def _kind(item: Any) -> str:
    labels = []
    if item.example:
        labels.append('<strong class="example">例（架空の日程）</strong>')
    if item.cancelled:
        labels.append('<strong class="error">中止</strong>')
    return "・".join(labels) or "実施"


def _class_row(item: Any, venue_name: str) -> str:
    class_id = html.escape(item.id)
    href = html.escape(quote(item.id, safe=""))
    return (
        "<tr>"
        f"<td>{_date(item)}</td><td>{_time(item)}</td><td>{html.escape(venue_name)}</td>"
        f"<td>{html.escape(_topic(item))}</td>"
        f"<td>{html.escape(_level(item))}</td>"
        f"<td>{item.capacity}</td><td>{item.taken}</td><td>{item.free}</td><td>{item.waiting}</td>"
        f"<td>{_kind(item)}</td>"
        f'<td><a href="/staff/classes/{href}">予約者を見る<span class="visually-hidden">（{class_id}）</span></a></td>'
        "</tr>"
    )


async def class_page(request: web.Request) -> web.Response:
    _token(request)
    if not _authorised(request):
        return _sign_in_first()
    item, bookings = await _class_and_bookings(request)
    venue = await _venue(item.venue)
    booked = [b for b in bookings if b.status == "booked"]
    waiting = sorted((b for b in bookings if b.status == "waiting"), key=lambda b: b.position or 0)
    others = [b for b in bookings if b.status not in ("booked", "waiting")]
    href = html.escape(quote(item.id, safe=""))
    title = f"{_date(item)} {_time(item)} {venue} {_topic(item)}"
    summary = (
        "<dl>"
        f"<dt>会場</dt><dd>{html.escape(venue)}</dd>"
        f"<dt>内容・レベル</dt><dd>{html.escape(_topic(item))}・"
        f"{html.escape(_level(item))}</dd>"
        f"<dt>席</dt><dd>定員 {item.capacity}、予約済み {item.taken}、空き {item.free}、"
        f"キャンセル待ち {item.waiting}</dd>"
        f"<dt>問い合わせ電話</dt><dd>{html.escape(item.phone)}</dd>"
        f"<dt>区分</dt><dd>{_kind(item)}</dd>"
        + (f"<dt>メモ</dt><dd>{html.escape(item.note)}</dd>" if item.note else "")
        + "</dl>"
    )
    example = f'<p class="note"><strong>例</strong>：{html.escape(EXAMPLE_NOTE)}</p>' if item.example else ""
    body = (
        f'{_nav()}<p><a href="/staff/classes">教室の一覧へ戻る</a></p>'
        f"<h1>{html.escape(title)}</h1>{_flash(request)}{example}{summary}"
        f'<p><a href="/staff/classes/{href}.csv">この教室の予約をCSVで書き出す</a>'
        "（氏名・電話番号を含みます。取り扱いに注意してください）</p>"
        + _bookings_table("予約（Bookings）", booked, cancel=True)
        + _bookings_table("キャンセル待ち（Waiting list、繰り上げの順）", waiting, cancel=True)
        + (_bookings_table("取り消し済み", others, cancel=False) if others else "")
        + _logout_form()
    )
    return _no_store(_page(f"{title}（職員用）", body))


async def _class_and_bookings(request: web.Request) -> tuple[Any, list[Any]]:
    repo = await _smartphone(request)
    class_id = request.match_info["id"]
    item = await repo.get(class_id)
    if item is None:
        raise ClassNotFoundPage()
    return item, list(await repo.bookings(class_id))


def _flash(request: web.Request) -> str:
    """The outcome of a cancel, from the redirect's query (only well-formed booking numbers are shown)."""
    from storage.smartphone import parse_booking_number

    cancelled = parse_booking_number(request.query.get("cancelled", ""))
    if not cancelled:
        return ""
    promoted = [n for n in (parse_booking_number(p) for p in request.query.get("promoted", "").split(",") if p) if n]
    lines = [f"{cancelled} を取り消しました。"]
    if promoted:
        lines.append(
            f"キャンセル待ちから {'、'.join(promoted)} が予約に繰り上がりました（LINEの方には通知が送られ、"
            "ウェブの方には次にチャットを開いたときに表示されます。必要なら電話で連絡してください）。"
        )
    return f'<p role="status" class="status">{html.escape("".join(lines))}</p>'


def _bookings_table(caption: str, bookings: Sequence[Any], *, cancel: bool) -> str:
    rows = []
    for b in bookings:
        number = html.escape(b.number)
        action = (
            f'<form method="post" action="/staff/bookings/{number}/cancel">'
            f'<button type="submit">取り消す<span class="visually-hidden">（{number}）</span></button></form>'
            if cancel
            else ""
        )
        rows.append(
            "<tr>"
            f"<td>{number}</td><td>{html.escape(STATUS_JA.get(b.status, b.status))}</td><td>{b.seats}</td>"
            f"<td>{html.escape(b.name)}</td><td>{html.escape(b.phone)}</td>"
            f"<td>{b.position if b.position is not None else ''}</td>"
            f"<td>{html.escape(b.lang)}</td><td>{html.escape(b.channel)}</td>"
            f"<td>{b.created_at.astimezone(JST):%Y-%m-%d %H:%M}</td>"
            + (f"<td>{action}</td>" if cancel else "")
            + "</tr>"
        )
    columns = 10 if cancel else 9
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>"
        '<th scope="col">予約番号</th><th scope="col">状態</th><th scope="col">席数</th><th scope="col">氏名</th>'
        '<th scope="col">電話番号</th><th scope="col">待ち順</th><th scope="col">言語</th><th scope="col">経路</th>'
        '<th scope="col">受付日時</th>'
        + ('<th scope="col">操作</th>' if cancel else "")
        + "</tr></thead><tbody>"
        + ("".join(rows) or f'<tr><td colspan="{columns}">ありません。</td></tr>')
        + "</tbody></table>"
    )


# --- CSV -------------------------------------------------------------------------------------------------------------


def classes_csv_bytes(classes: Iterable[Any], names: dict[str, str]) -> bytes:
    """Columns CLASS_COLUMNS; dates and times in Japan time."""
    from storage.export import _csv, _text

    return _csv(
        CLASS_COLUMNS,
        (
            (
                c.id,
                f"{c.starts_at.astimezone(JST):%Y-%m-%d}",
                f"{c.starts_at.astimezone(JST):%H:%M}",
                f"{c.ends_at.astimezone(JST):%H:%M}",
                c.venue,
                _text(names.get(c.venue, "")),
                c.topic,
                c.level,
                c.capacity,
                c.taken,
                c.free,
                c.waiting,
                "yes" if c.example else "no",
                "yes" if c.cancelled else "no",
                _text(c.phone),
                _text(c.note),
            )
            for c in classes
        ),
    )


async def classes_csv(request: web.Request) -> web.Response:
    _require(request)
    repo = await _smartphone(request)
    past = request.query.get("past") == "1"
    classes = await repo.all_classes(include_past=past)
    names = await asyncio.to_thread(_venue_names)
    return _csv_response(classes_csv_bytes(classes, names), "smartphone_classes.csv")


async def class_csv(request: web.Request) -> web.Response:
    from storage.export import smartphone_bookings_csv

    _require(request)
    item, bookings = await _class_and_bookings(request)
    data = smartphone_bookings_csv([item], {item.id: bookings})
    return _csv_response(data, f"smartphone_class_{_filename_part(item.id)}.csv")


def _filename_part(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in text)[:80]


# --- cancelling ------------------------------------------------------------------------------------------------------


async def cancel_booking(request: web.Request) -> web.Response:
    from storage.smartphone import BookingNotFound, parse_booking_number

    _require(request)
    number = parse_booking_number(request.match_info["number"])
    if number is None:
        raise BookingNotFoundPage()
    repo = await _smartphone(request)
    try:
        found = await repo.find(number)
        if found is None:
            raise BookingNotFoundPage()
        waiting_before = {b.number for b in await repo.bookings(found.class_id) if b.status == "waiting"}
        # sender_id None: staff on the resident's behalf. Storage frees the seats, promotes waiting bookings in order
        # and queues their notifications, all in one transaction.
        cancelled = await repo.cancel(number, sender_id=None)
    except BookingNotFound:
        raise BookingNotFoundPage() from None
    after = await repo.bookings(cancelled.class_id)
    promoted = [b.number for b in after if b.status == "booked" and b.number in waiting_before]
    log.info("staff cancelled a smartphone booking (%d promoted)", len(promoted))
    query = {"cancelled": cancelled.number}
    if promoted:
        query["promoted"] = ",".join(promoted)
    return web.HTTPSeeOther(f"/staff/classes/{quote(cancelled.class_id, safe='')}?{urlencode(query)}")


def add_class_routes(app: web.Application) -> None:
    """Called by setup_staff. The .csv routes come first: `{id}` would also match "x.csv"."""
    app.router.add_get("/staff/classes.csv", classes_csv)
    app.router.add_get("/staff/classes", classes_page)
    app.router.add_get("/staff/classes/{id}.csv", class_csv)
    app.router.add_get("/staff/classes/{id}", class_page)
    app.router.add_post("/staff/bookings/{number}/cancel", cancel_booking)
