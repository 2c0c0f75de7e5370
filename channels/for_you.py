"""The "For You" reminders' stop link: GET/POST /for-you/stop?t=<token>.

Every reminder (LINE or e-mail) ends with `<CHIBA_PUBLIC_URL>/for-you/stop?t=<token>`. Opening it shows a small page
in Japanese and in the subscription's language with one button; pressing it (a POST) stops the reminders and the page
confirms it. The GET alone changes nothing on purpose: mail security scanners and LINE's link previews open links
before the resident does, and must not stop their reminders. A POST to the same URL with the body
`List-Unsubscribe=One-Click` (RFC 8058, what mail apps send for the List-Unsubscribe header) stops them too.
An unknown token gets a polite page with status 404. The token is the only thing the link carries; nothing about the
resident is shown (not even the address) and nothing is logged.
"""

from __future__ import annotations

import asyncio
import html
import logging

from aiohttp import web

from channels.appdb import APP_DATABASE, setup_app_database
from translations import languages
from translations.messages import UnknownMessageKey, render

log = logging.getLogger("channels.for_you")

STOP_PATH = "/for-you/stop"
MAX_TOKEN_CHARS = 64
# Page texts: translations/messages/<lang>/benefits.yml (no placeholders). Used only while a catalogue lacks a key.
_FALLBACK = {
    "ja": {
        "bf_stop_title": "お知らせの停止",
        "bf_stop_confirm": "千葉市AIアシスタントの「For You」お知らせ（予防接種・健診）を止めますか。",
        "bf_stop_button": "お知らせを止める",
        "bf_stop_done": "お知らせを止めました。これからは届きません。",
        "bf_stop_already": "このお知らせは、もう止まっています。",
        "bf_stop_unknown": "このリンクは使えません。お知らせを止めたいときは、チャットで「お知らせを止めたい」と"
        "送ってください。",
    },
    "en": {
        "bf_stop_title": "Stop reminders",
        "bf_stop_confirm": "Do you want to stop the “For You” reminders (vaccinations and check-ups) of the Chiba City "
        "assistant?",
        "bf_stop_button": "Stop the reminders",
        "bf_stop_done": "The reminders are stopped. You will not receive them any more.",
        "bf_stop_already": "These reminders are already stopped.",
        "bf_stop_unknown": "This link cannot be used. To stop reminders, send “stop reminders” in the chat.",
    },
}


def stop_url(public_base: str, token: str) -> str:
    """The stop link of a subscription (`public_base` = CHIBA_PUBLIC_URL without a trailing slash)."""
    return f"{public_base.rstrip('/')}{STOP_PATH}?t={token}"


def page_text(key: str, lang: str) -> str:
    try:
        return render(key, lang)
    except UnknownMessageKey:
        fallback = _FALLBACK["ja"] if lang.startswith("ja") else _FALLBACK.get(lang, _FALLBACK["en"])
        return fallback[key]


def _tag(lang: str) -> str:
    try:
        return languages.get(lang).tag
    except LookupError:
        return lang


def _page(langs: list[str], keys: list[str], *, form_token: str | None = None, status: int = 200) -> web.Response:
    """One section per language (ja first), each with its own `lang`, so screen readers switch voice."""
    # A language whose catalogue lacks the texts would repeat the Japanese ones: shown once.
    langs = list({tuple(page_text(key, lang) for key in keys): lang for lang in reversed(langs)}.values())[::-1]
    title = " / ".join(dict.fromkeys(page_text("bf_stop_title", lang) for lang in langs))
    sections = []
    for lang in langs:
        paragraphs = "".join(f"<p>{html.escape(page_text(key, lang))}</p>" for key in keys)
        heading = html.escape(page_text("bf_stop_title", lang))
        sections.append(f'<section lang="{html.escape(_tag(lang))}"><h2>{heading}</h2>{paragraphs}</section>')
    form = ""
    if form_token is not None:
        label = " / ".join(dict.fromkeys(page_text("bf_stop_button", lang) for lang in langs))
        form = (
            f'<form method="post" action="{STOP_PATH}">'
            f'<input type="hidden" name="t" value="{html.escape(form_token)}">'
            f'<button type="submit">{html.escape(label)}</button></form>'
        )
    document = (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/static/for_you.css"></head>'
        f"<body><main><h1>{html.escape(title)}</h1>{''.join(sections)}{form}</main></body></html>"
    )
    response = web.Response(text=document, content_type="text/html", charset="utf-8", status=status)
    response.headers["Cache-Control"] = "no-store"  # the token is in the URL
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _unknown() -> web.Response:
    return _page(["ja", "en"], ["bf_stop_unknown"], status=404)


def _token(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= MAX_TOKEN_CHARS else None


def _langs(lang: str) -> list[str]:
    return ["ja", lang] if lang != "ja" else ["ja"]


async def stop_page(request: web.Request) -> web.Response:
    token = _token(request.query.get("t"))
    if token is None:
        return _unknown()
    repos = await request.app[APP_DATABASE].repos()
    subscription = await asyncio.to_thread(repos.benefits.find_by_token, token)
    if subscription is None:
        return _unknown()
    if not subscription.active:
        return _page(_langs(subscription.lang), ["bf_stop_already"])
    return _page(_langs(subscription.lang), ["bf_stop_confirm"], form_token=token)


async def stop(request: web.Request) -> web.Response:
    form = await request.post()
    token = _token(form.get("t")) or _token(request.query.get("t"))
    if token is None:
        return _unknown()
    repos = await request.app[APP_DATABASE].repos()
    subscription = await asyncio.to_thread(repos.benefits.stop_by_token, token)
    if subscription is None:
        return _unknown()
    log.info("For You reminders stopped by their link")
    return _page(_langs(subscription.lang), ["bf_stop_done"])


def setup_for_you(app: web.Application) -> None:
    setup_app_database(app)
    app.router.add_get(STOP_PATH, stop_page)
    app.router.add_post(STOP_PATH, stop)
