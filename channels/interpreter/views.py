"""Routes of the desk-tablet interpreter.

    GET  /interpreter                          the page (channels/static/interpreter.{html,js,css})
    GET  /api/interpreter/config?lang=vi       languages, phrasebook topics, whether free translation is installed
    GET  /api/interpreter/phrases?q=&lang=&side=staff|resident[&topic=]
                                               phrasebook search: staff type Japanese, the resident their language
    POST /api/interpreter/phrase               {"id", "lang", "slots"?} → the phrase in Japanese and in `lang`
    POST /api/interpreter/understand           {"text", "lang", "role"} → "probably:" phrases, knowledge-base
                                               questions and suggested answers (action server), and machine
                                               translation only where installed and accepted by the guard
    POST /api/interpreter/transcripts          save a transcript (staff token); GET …/transcripts/{id} reads it

Nothing a resident or staff member says is logged or stored, except a transcript staff save.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from channels.errors import EmptyText, GatewayError, InvalidField, TextTooLong
from channels.interpreter.matching import MachineTranslation, default_machine_translation, mt_json, understand
from channels.interpreter.openapi import document_routes
from channels.interpreter.store import TranscriptDatabase
from channels.interpreter.ui import resident_words
from channels.jsonutil import json_response
from channels.rasa_client import HTTP_SESSION, SETTINGS
from channels.staff.views import bearer_matches
from channels.webchat import read_json_object
from settings import InterpreterSettings, StaffSettings
from translations import languages
from translations.mt_base import Reason, Translation

log = logging.getLogger("channels.interpreter")

STAFF_LANG = "ja"
ROLES = ("staff", "resident")
MIN_TOKEN = 12  # as the staff pages (channels/staff): a shorter token turns saving off
MAX_QUERY_CHARS = 200
SEARCH_LIMIT = 12
PHRASE_SOURCE = "phrasebook"
WARM_ROLE, WARM_TEXT = "warm", "warm-up"  # actions/interpreter/understand.py embeds the language's phrases


class InterpreterState:
    """What the routes share: settings, the phrasebook (read on first use), machine translation, transcripts."""

    def __init__(
        self,
        settings: InterpreterSettings,
        staff: StaffSettings,
        mt: MachineTranslation | None,
        database: TranscriptDatabase,
    ) -> None:
        self.settings = settings
        self.staff = staff
        self._mt = mt
        self.database = database
        self._book: Any = None
        self._lock = asyncio.Lock()
        self.warming: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones

    async def book(self) -> Any:
        if self._book is None:
            async with self._lock:
                if self._book is None:
                    from knowledge_base.phrasebook import load_phrasebook
                    from settings import KnowledgeBaseSettings

                    data_dir = KnowledgeBaseSettings.from_env().data_dir
                    self._book = await asyncio.to_thread(load_phrasebook, data_dir)
        return self._book

    def mt(self) -> MachineTranslation:
        if self._mt is None:
            self._mt = default_machine_translation()
        return self._mt


STATE = web.AppKey("interpreter_state", InterpreterState)


class UnknownPhraseError(GatewayError):
    status = 404
    code = "unknown_phrase"
    message = "There is no phrase with that id."
    message_ja = "そのフレーズはありません。"


class BadSlot(InvalidField):
    code = "invalid_slot"


class SavingDisabled(GatewayError):
    status = 503
    code = "staff_disabled"
    message = "Saving transcripts is off. Set CHIBA_STAFF_TOKEN (at least 12 characters) to turn it on."
    message_ja = "記録の保存は無効です。CHIBA_STAFF_TOKEN（12文字以上）を設定してください。"


class StaffTokenRequired(GatewayError):
    status = 401
    code = "unauthorized"
    message = "A valid staff token is required."
    message_ja = "職員用トークンが必要です。"


class TranscriptNotFound(GatewayError):
    status = 404
    code = "not_found"
    message = "There is no saved transcript with that number (saved transcripts are deleted when they expire)."
    message_ja = "その番号の記録はありません（保存した記録は期限が来ると削除されます）。"


class TranscriptUnavailable(GatewayError):
    status = 503
    code = "database_unavailable"
    message = "The transcript could not be saved or read just now. Please try again in a little while."
    message_ja = "いま、記録を保存・表示できませんでした。しばらくしてから、もう一度お試しください。"


# ---- helpers -----------------------------------------------------------------------------------------------------


def _resident_lang(value: object, field: str = "lang") -> str:
    code = languages.resolve(value) if isinstance(value, str) else None
    if code is None:
        supported = ", ".join(languages.codes())
        raise InvalidField(
            f"Field {field!r} must be one of {supported}.",
            message_ja=f"{field} は {supported} のどれかにしてください。",
            field=field,
        )
    return code


def _text(value: object, max_chars: int, field: str = "text") -> str:
    if not isinstance(value, str):
        raise InvalidField(f"Field {field!r} must be a string.", message_ja=f"{field} は文字列にしてください。",
                           field=field)  # fmt: skip
    text = value.strip()
    if not text:
        raise EmptyText()
    if len(text) > max_chars:
        raise TextTooLong(
            f"The text is too long ({len(text)} characters). Please keep it under {max_chars}.",
            message_ja=f"文が長すぎます（{len(text)}文字）。{max_chars}文字以内にしてください。",
            max_chars=max_chars,
        )
    return text


def _phrase_json(phrase: Any, lang: str, values: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": phrase.id,
        "topic": phrase.topic,
        "speaker": phrase.speaker,
        "slots": list(phrase.slots),
        "values": dict(values or {}),
        "ja": phrase.texts[STAFF_LANG],
        "text": phrase.texts[lang],
    }


def _require_staff(request: web.Request) -> None:
    secret = request.app[STATE].staff.token
    token = secret.get_secret_value() if secret else ""
    if len(token) < MIN_TOKEN:
        raise SavingDisabled()
    if not bearer_matches(request, token):
        raise StaffTokenRequired()


# ---- routes ------------------------------------------------------------------------------------------------------


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(request.app[SETTINGS].static_dir / "interpreter.html")


async def _warm(app: web.Application, lang: str) -> None:
    """Ask the action server to embed the phrasebook in `lang` now; a failure only costs speed later."""
    state, gateway = app[STATE], app[SETTINGS]
    try:
        await understand(app[HTTP_SESSION], gateway.action_server_base, WARM_TEXT, lang, WARM_ROLE,
                         state.settings.action_timeout * 3)  # fmt: skip
    except GatewayError as exc:
        log.info("interpreter warm-up for %s did not finish: %s", lang, exc.code)


async def config(request: web.Request) -> web.Response:
    state = request.app[STATE]
    lang = _resident_lang(request.query.get("lang", "en"))
    task = asyncio.create_task(_warm(request.app, lang))
    state.warming.add(task)
    task.add_done_callback(state.warming.discard)
    book = await state.book()
    mt = state.mt()
    return json_response(
        {
            "staff_lang": STAFF_LANG,
            "lang": lang,
            "languages": [
                {
                    "code": language.code,
                    "name": language.name,
                    "native": language.native,
                    "tag": language.tag,
                    "machine_translation": language.base != STAFF_LANG and mt.available(STAFF_LANG, language.code),
                }
                for language in languages.languages()
                if language.code != STAFF_LANG
            ],
            "topics": [{"id": t.id, "ja": t.labels[STAFF_LANG], "text": t.labels[lang]} for t in book.topics],
            "phrases": len(book),
            "saving": len(state.staff.token.get_secret_value() if state.staff.token else "") >= MIN_TOKEN,
            "transcript_days": state.settings.transcript_days,
            "ui": dict(resident_words(lang)),
        }
    )


async def phrases(request: web.Request) -> web.Response:
    """Staff search in Japanese (side=staff), the resident in their language (side=resident); both get both texts."""
    state = request.app[STATE]
    lang = _resident_lang(request.query.get("lang"))
    side = request.query.get("side", "staff")
    if side not in ROLES:
        raise InvalidField("Field 'side' must be staff or resident.", message_ja="side は staff か resident です。",
                           field="side")  # fmt: skip
    query = request.query.get("q", "")[:MAX_QUERY_CHARS]
    topic = request.query.get("topic") or None
    book = await state.book()
    if topic is not None and topic not in {t.id for t in book.topics}:
        raise InvalidField("Unknown topic.", message_ja="そのトピックはありません。", field="topic")
    search_lang = STAFF_LANG if side == "staff" else lang
    hits = book.search(query, search_lang, SEARCH_LIMIT, topic=topic)
    return json_response(
        {
            "side": side,
            "lang": lang,
            "hits": [{**_phrase_json(hit.phrase, lang, dict(hit.slots)), "match": hit.match} for hit in hits],
        }
    )


async def phrase(request: web.Request) -> web.Response:
    """One phrase in Japanese and the resident's language, its blanks filled (a bad value: 400 naming the blank)."""
    from knowledge_base.phrasebook import SlotError, UnknownPhrase

    state = request.app[STATE]
    body = await read_json_object(request, request.app[SETTINGS].max_body_bytes)
    lang = _resident_lang(body.get("lang"))
    phrase_id = body.get("id")
    slots = body.get("slots") or {}
    if not isinstance(phrase_id, str) or not isinstance(slots, dict):
        raise InvalidField("Send 'id' (text) and 'slots' (an object).", message_ja="id と slots を送ってください。")
    book = await state.book()
    try:
        found = book.get(phrase_id)
        ja, text = found.render(STAFF_LANG, **slots), found.render(lang, **slots)
    except UnknownPhrase as exc:
        raise UnknownPhraseError() from exc
    except SlotError as exc:
        raise BadSlot(f"The blank {{{exc.slot}}} needs a valid value.",
                      message_ja=f"空欄 {{{exc.slot}}} の値が正しくありません。", slot=exc.slot) from exc  # fmt: skip
    except TypeError as exc:  # a slot name that is not an identifier
        raise BadSlot("Unknown blank.", message_ja="空欄の名前が正しくありません。") from exc
    return json_response({"id": found.id, "lang": lang, "ja": ja, "text": text, "source": PHRASE_SOURCE})


async def understand_route(request: web.Request) -> web.Response:
    """A free sentence: curated matches (action server) and, where installed and accepted, machine translation."""
    state = request.app[STATE]
    gateway = request.app[SETTINGS]
    body = await read_json_object(request, gateway.max_body_bytes)
    lang = _resident_lang(body.get("lang"))
    role = body.get("role")
    if role not in ROLES:
        raise InvalidField("Field 'role' must be staff or resident.", message_ja="role は staff か resident です。",
                           field="role")  # fmt: skip
    text = _text(body.get("text"), gateway.max_text_chars)
    source, target = (lang, STAFF_LANG) if role == "resident" else (STAFF_LANG, lang)
    mt = state.mt()
    matching = understand(
        request.app[HTTP_SESSION], gateway.action_server_base, text, lang, str(role), state.settings.action_timeout
    )
    if languages.get(lang).base == STAFF_LANG:
        # やさしい日本語: only curated text can be easy Japanese (no engine writes it), so no free translation.
        result = await matching
        translation = Translation.failed("none", Reason.UNSUPPORTED_LANGUAGE, target)
    else:
        result, translation = await asyncio.gather(matching, mt.translate(text, source, target))
    log.info("interpreter understand role=%s lang=%s chars=%d", role, lang, len(text))
    return json_response(
        {**result, "role": role, "lang": lang, "text": text, "mt": mt_json(translation, source, target)}
    )


async def save_transcript(request: web.Request) -> web.Response:
    from storage.transcripts import TranscriptError, check_turns

    _require_staff(request)
    state = request.app[STATE]
    body = await read_json_object(request, 1024 * 1024)
    lang = _resident_lang(body.get("lang"))
    try:
        turns = check_turns(body.get("turns"), state.settings.max_transcript_turns)
    except TranscriptError as exc:
        raise InvalidField(str(exc), message_ja="記録の内容が正しくありません。", field="turns") from exc
    try:
        saved = await state.database.save(lang, turns, state.settings.transcript_days)
    except Exception as exc:  # a database that cannot be reached: say so, the page keeps the transcript
        log.error("saving a transcript failed: %s", type(exc).__name__)
        raise TranscriptUnavailable() from exc
    log.info("transcript saved turns=%d lang=%s", len(turns), lang)
    return json_response(
        {"id": saved.id, "reference": saved.reference, "expires_at": saved.expires_at.isoformat()}, status=201
    )


async def get_transcript(request: web.Request) -> web.Response:
    _require_staff(request)
    raw = request.match_info["transcript_id"].upper().removeprefix("T-")
    if not raw.isdigit() or len(raw) > 12:
        raise TranscriptNotFound()
    try:
        saved = await request.app[STATE].database.get(int(raw))
    except Exception as exc:
        log.error("reading a transcript failed: %s", type(exc).__name__)
        raise TranscriptUnavailable() from exc
    if saved is None:
        raise TranscriptNotFound()
    return json_response(
        {
            "id": saved.id,
            "reference": saved.reference,
            "lang": saved.lang,
            "turns": saved.turns,
            "created_at": saved.created_at.isoformat(),
            "expires_at": saved.expires_at.isoformat(),
        }
    )


async def _close_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    for task in list(app[STATE].warming):
        task.cancel()
    await app[STATE].database.close()


def setup_interpreter(
    app: web.Application,
    settings: InterpreterSettings | None = None,
    *,
    staff: StaffSettings | None = None,
    mt: MachineTranslation | None = None,
    database: TranscriptDatabase | None = None,
) -> None:
    """Add the interpreter's routes; `mt` and `database` replace the defaults (tests)."""
    app[STATE] = InterpreterState(
        settings or InterpreterSettings.from_env(), staff or StaffSettings(), mt, database or TranscriptDatabase()
    )
    app.cleanup_ctx.append(_close_ctx)
    app.router.add_get("/interpreter", page)
    app.router.add_get("/api/interpreter/config", config)
    app.router.add_get("/api/interpreter/phrases", phrases)
    app.router.add_post("/api/interpreter/phrase", phrase)
    app.router.add_post("/api/interpreter/understand", understand_route)
    app.router.add_post("/api/interpreter/transcripts", save_transcript)
    app.router.add_get("/api/interpreter/transcripts/{transcript_id}", get_transcript)
    document_routes(app)
