"""My area: the web chat's town picker, the next collection days of one town per category, and their .ics export.

GET  /api/area/towns?q=<text>                         → TownSearch: towns for the picker (Japanese, hiragana,
     katakana, romaji such as "Aoba-cho" or "Makuhari Hongo 1-chome"; a part of a name lists the towns it begins or
     is contained in). `status` is found (one town), ambiguous (several) or not_found.
GET  /api/area/calendar?town=<label>&lang=<code>&weeks=<1-8>      → AreaCalendar: per column of the official table
     (可燃ごみ, びん・缶・ペットボトル, …), its categories in `lang` with the official Japanese term in parentheses and
     the collection dates of the next `weeks` weeks from today (Japan time; CHIBA_TODAY fixes it), with no date in the
     new-year break (12/31–1/3) — the rules of knowledge_base/garbage/collection.py.
GET  /api/area/calendar.ics?town=<label>&lang=<code>&weeks=<1-53> → the same dates as an iCalendar file (RFC 5545:
     all-day events, CRLF, folded lines, a stable UID per town, category and date so a second import updates).
POST /api/area/choose {"sender_id", "town", "lang"?}  → the chat answer (ChatResponse) to the town chosen in the
     picker: the gateway itself sends Rasa `/inform_town{"town": <label>}` — the payload the assistant's own "which
     town?" buttons carry — built from a row of the table, never from the client's text, so typed "/" text stays
     disarmed (channels/payload_guard.py) and the assistant remembers the town for later questions.

`town` is a label from the search (ward + town as printed, 「中央区青葉町」); any text naming exactly one row of the
table is accepted too. Town names stay in Japanese as printed in the official table (that is what the signs say).
The table is read once, in a worker thread, on first use. Errors are the gateway's one JSON error shape.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote

from aiohttp import web

from channels.errors import GatewayError, InvalidField
from channels.jsonutil import json_response
from channels.language import validate_requested
from channels.openapi import JSON_ERROR, document
from channels.rasa_client import SETTINGS

log = logging.getLogger("channels.area")

MAX_QUERY_CHARS = 100
MAX_TOWNS = 20  # towns one search lists (a whole ward has up to ~70 rows: narrow it down by typing more)
CALENDAR_WEEKS, MAX_CALENDAR_WEEKS = 4, 8
ICS_WEEKS, MAX_ICS_WEEKS = 13, 53
TOWN_INTENT = "inform_town"  # as actions/garbage/collection_days.py offers it in its "which town?" buttons
_LATIN = re.compile(r"[A-Za-z]")


class TownNotFound(GatewayError):
    status = 404
    code = "unknown_town"
    message = "No town of Chiba City's collection-day table matches. Please check the name or pick it from the list."
    message_ja = "収集日の表に、その町名は見つかりませんでした。町名を確かめるか、一覧から選んでください。"


class AmbiguousTown(GatewayError):
    status = 400
    code = "ambiguous_town"
    message = "Several towns match. Please pick one of them."
    message_ja = "いくつかの町が当てはまります。どれか一つを選んでください。"


class AreaUnavailable(GatewayError):
    status = 503
    code = "area_unavailable"
    message = "Sorry, the collection-day table cannot be read just now. Please try again later."
    message_ja = "申し訳ありません。いま収集日の表を読み込めません。しばらくしてから、もう一度お試しください。"


class TownInfo(TypedDict):
    label: str  # ward + town as printed: 中央区青葉町
    ward: str
    name: str  # as printed: 稲荷町1～3丁目
    reading: str | None  # hiragana of the town (without its chome), from Japan Post's data; None where unknown


class TownSearch(TypedDict):
    query: str
    status: str  # found | ambiguous | not_found
    towns: list[TownInfo]
    more: bool  # more towns matched than are listed


class CategoryName(TypedDict):
    id: str
    name: str  # in the requested language with the official term: "Burnable waste (可燃ごみ)"


class CalendarRow(TypedDict):
    column: str  # the official table's column, e.g. 不燃ごみ・有害ごみ
    categories: list[CategoryName]
    pattern: str  # as printed, e.g. 月・木, 2・4水, -
    deadline: str | None  # 8:00
    deadline_note: str | None  # "Put your garbage out … by 10:00 …" in the calendar's language
    dates: list[str]  # ISO dates


class AreaCalendar(TypedDict):
    town: TownInfo
    lang: str
    start: str  # first day of the window (today), ISO
    end: str  # last day of the window, ISO
    rows: list[CalendarRow]
    no_collection: list[str]  # days of the window in the new-year break (12/31–1/3), ISO
    deadline_note: str  # the usual deadline ("Put your garbage out … by 8:00 …") in `lang`
    footnote: str | None  # the official table's footnote for the town (Japanese, as printed)
    source: str


@dataclass(frozen=True)
class _Category:
    id: str
    column: str
    deadline: str | None
    source: str


class AreaData:
    """The collection-day table, town matching and the station categories; built in a worker thread."""

    def __init__(self, data_dir: Path) -> None:
        import yaml

        from knowledge_base.garbage.collection import TownMatcher, load_town_readings
        from knowledge_base.garbage.models import load_towns

        self.towns = load_towns(data_dir)
        readings = load_town_readings(data_dir)
        self.matcher = TownMatcher(self.towns, readings)
        self.by_label = {town.label: town for town in self.towns}
        self._readings = {(w, b): _hiragana(kana) for (w, b), kana in readings.items()}
        self._search_forms = [(town, _search_forms(town, readings.get((town.ward, town.base)))) for town in self.towns]
        raw = yaml.safe_load((Path(data_dir) / "garbage" / "categories.yaml").read_text(encoding="utf-8")) or []
        self.categories = [
            _Category(str(c["id"]), str(c["schedule_column"]), c.get("deadline"), str(c.get("source", "")))
            for c in raw
            if isinstance(c, dict) and c.get("schedule_column")
        ]

    def info(self, town: Any) -> TownInfo:
        return TownInfo(
            label=town.label, ward=town.ward, name=town.name, reading=self._readings.get((town.ward, town.base))
        )

    def search(self, query: str) -> list[Any]:
        """Towns the query names (as the assistant understands them), else towns whose name contains what was typed."""
        text = query.strip()
        if text in self.by_label:
            return [self.by_label[text]]
        named = self.matcher.find(text)
        if named:
            return list(named)
        keys = _query_forms(text)
        if not keys:
            return []
        scored = []
        for order, (town, forms) in enumerate(self._search_forms):
            best = min((f.find(k) for f in forms for k in keys if k in f), default=-1)
            if best >= 0:
                scored.append((best > 0, order, town))  # names that begin with the text first, then table order
        return [town for _, _, town in sorted(scored, key=lambda s: (s[0], s[1]))]

    def resolve(self, text: str) -> Any:
        """The one town `text` names; TownNotFound or AmbiguousTown otherwise."""
        towns = self.search(text)
        exact = [t for t in towns if t.label == text.strip() or t.name == text.strip()]
        towns = exact if len(exact) == 1 else towns
        if not towns:
            raise TownNotFound(query=text[:MAX_QUERY_CHARS])
        if len(towns) > 1:
            raise AmbiguousTown(candidates=[t.label for t in towns[:MAX_TOWNS]])
        return towns[0]

    def calendar(self, town: Any, start: date, weeks: int, lang: str) -> AreaCalendar:
        from knowledge_base.garbage.collection import collects_on, is_break, parse_pattern
        from knowledge_base.garbage.models import COLLECTION_SOURCE
        from translations.content import category_name
        from translations.messages import render

        days = [start + timedelta(days=i) for i in range(weeks * 7)]
        rows: list[CalendarRow] = []
        deadlines: list[str] = []
        for column, pattern in town.patterns:
            categories = [c for c in self.categories if c.column == column]
            if not categories:
                continue
            schedule = parse_pattern(pattern)
            deadline = next((c.deadline for c in categories if c.deadline), None)
            if deadline:
                deadlines.append(deadline)
            rows.append(
                CalendarRow(
                    column=column,
                    categories=[CategoryName(id=c.id, name=category_name(c.id, lang) or column) for c in categories],
                    pattern=pattern,
                    deadline=deadline,
                    deadline_note=render("collection_deadline", lang, deadline=deadline) if deadline else None,
                    dates=[d.isoformat() for d in days if collects_on(schedule, d)],
                )
            )
        usual = max(set(deadlines), key=deadlines.count) if deadlines else "8:00"
        return AreaCalendar(
            town=self.info(town),
            lang=lang,
            start=days[0].isoformat(),
            end=days[-1].isoformat(),
            rows=rows,
            no_collection=[d.isoformat() for d in days if is_break(d)],
            deadline_note=render("collection_deadline", lang, deadline=usual),
            footnote=town.footnote,
            source=getattr(town, "source", COLLECTION_SOURCE),
        )


def _hiragana(kana: str) -> str:
    import jaconv

    return jaconv.kata2hira(kana)


def _search_forms(town: Any, kana: str | None) -> list[str]:
    """Matching forms of a town for typed-ahead search: its label and name, its reading, its romaji."""
    from knowledge_base.garbage.collection import _town_key, roman_keys

    forms = [_town_key(town.label), _town_key(town.name)]
    if kana:
        forms.append(_town_key(kana))
        strong, weak = roman_keys(kana)
        forms.extend(strong + weak)
    return list(dict.fromkeys(f for f in forms if f))


def _query_forms(text: str) -> list[str]:
    from knowledge_base.garbage.collection import _roman_norm, _strip_accents, _town_key

    if _LATIN.search(text):
        # Romaji: chome numbers and "-cho"/"ku" spellings are left to the matcher; here the letters count.
        letters = re.sub(r"\b(?:chome|chō|chou)\b|[0-9]+", " ", _strip_accents(text).lower())
        key = _roman_norm(letters)
        return [key] if len(key) >= 2 else []
    key = _town_key(unicodedata.normalize("NFKC", text).replace("千葉市", ""))
    return [key] if key else []


# ---- iCalendar (RFC 5545) ------------------------------------------------------------------------------------------

_ICS_LINE_OCTETS = 75


def _ics_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _ics_fold(line: str) -> list[str]:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        limit = _ICS_LINE_OCTETS if not parts else _ICS_LINE_OCTETS - 1  # continuation lines start with a space
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += ch
        size += width
    parts.append(current)
    return [parts[0], *(" " + part for part in parts[1:])]


def ics_calendar(calendar: AreaCalendar, now: datetime) -> str:
    """The calendar's dates as all-day VEVENTs; the UID is stable for (town, column, date)."""
    town = calendar["town"]
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    town_id = hashlib.sha256(town["label"].encode("utf-8")).hexdigest()[:16]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Chiba City Assistant//Collection days//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_escape(town['label'])}",
    ]
    for row in calendar["rows"]:
        column_id = hashlib.sha256(row["column"].encode("utf-8")).hexdigest()[:8]
        summary = " / ".join(c["name"] for c in row["categories"])
        note = row["deadline_note"] or calendar["deadline_note"]
        description = f"{town['label']}\n{note}\n{calendar['source']}"
        if row["deadline"]:
            summary += f" ({row['deadline']})"
        for day in row["dates"]:
            start = date.fromisoformat(day)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{start:%Y%m%d}-{column_id}-{town_id}@chiba-assistant",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
                f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}",
                f"SUMMARY:{_ics_escape(summary)}",
                f"DESCRIPTION:{_ics_escape(description)}",
                f"URL:{calendar['source']}",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _ics_fold(line))


# ---- the service and its routes ------------------------------------------------------------------------------------


class AreaService:
    """The table, loaded once on first use in a worker thread (a failed load is tried again next time)."""

    def __init__(self, data_dir: Path | None = None, today: Callable[[], date] | None = None) -> None:
        self._data_dir = data_dir
        self._today = today
        self._data: AreaData | None = None
        self._lock = asyncio.Lock()

    def today(self) -> date:
        if self._today is not None:
            return self._today()
        from settings import ActionSettings

        return ActionSettings.from_env().today()  # Japan time; CHIBA_TODAY fixes it, as for the assistant

    async def data(self) -> AreaData:
        if self._data is None:
            async with self._lock:
                if self._data is None:
                    data_dir = self._data_dir
                    if data_dir is None:
                        from settings import KnowledgeBaseSettings

                        data_dir = KnowledgeBaseSettings.from_env().data_dir
                    import yaml

                    from knowledge_base.core.data import DataError

                    try:
                        self._data = await asyncio.to_thread(AreaData, data_dir)
                    except (OSError, ValueError, KeyError, DataError, yaml.YAMLError) as exc:
                        log.error("collection-day table unavailable: %s", exc)  # a data file, no personal data
                        raise AreaUnavailable() from exc
        return self._data


AREA_SERVICE = web.AppKey("area_service", AreaService)


def _query(request: web.Request, name: str, *, required: bool = True) -> str | None:
    value = request.query.get(name)
    if value is None or not value.strip():
        if not required:
            return None
        raise InvalidField(f"Missing parameter {name!r}.", message_ja=f"パラメータ {name} がありません。", field=name)
    if len(value) > MAX_QUERY_CHARS:
        raise InvalidField(
            f"Parameter {name!r} must be at most {MAX_QUERY_CHARS} characters.",
            message_ja=f"パラメータ {name} は{MAX_QUERY_CHARS}文字以内にしてください。",
            field=name,
        )
    return value.strip()


def _weeks(request: web.Request, default: int, maximum: int) -> int:
    raw = request.query.get("weeks")
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidField(
            f"Parameter 'weeks' must be a whole number from 1 to {maximum}.",
            message_ja=f"パラメータ weeks は1〜{maximum}の整数にしてください。",
            field="weeks",
        )
    return int(raw)


def _lang(request: web.Request) -> str:
    code = validate_requested(request.query.get("lang") or "ja")
    return "ja" if code == "auto" else code


async def towns(request: web.Request) -> web.Response:
    query = _query(request, "q") or ""
    data = await request.app[AREA_SERVICE].data()
    found = await asyncio.to_thread(data.search, query)
    status = "not_found" if not found else "found" if len(found) == 1 else "ambiguous"
    body = TownSearch(
        query=query, status=status, towns=[data.info(t) for t in found[:MAX_TOWNS]], more=len(found) > MAX_TOWNS
    )
    return json_response(body)


async def _calendar(request: web.Request, default_weeks: int, max_weeks: int) -> AreaCalendar:
    text = _query(request, "town") or ""
    weeks, lang = _weeks(request, default_weeks, max_weeks), _lang(request)
    service = request.app[AREA_SERVICE]
    data = await service.data()
    town = await asyncio.to_thread(data.resolve, text)
    return await asyncio.to_thread(data.calendar, town, service.today(), weeks, lang)


async def calendar(request: web.Request) -> web.Response:
    return json_response(await _calendar(request, CALENDAR_WEEKS, MAX_CALENDAR_WEEKS))


async def calendar_ics(request: web.Request) -> web.Response:
    found = await _calendar(request, ICS_WEEKS, MAX_ICS_WEEKS)
    body = await asyncio.to_thread(ics_calendar, found, datetime.now(timezone.utc))  # ~8 ms for 13 weeks
    response = web.Response(body=body.encode("utf-8"), content_type="text/calendar", charset="utf-8")
    # An ASCII file name, and the town's name for browsers that read filename* (RFC 6266).
    name = f"chiba-collection-days-{found['start']}.ics"
    label = quote(f"{found['town']['label']}-収集日.ics")
    response.headers["Content-Disposition"] = f"attachment; filename=\"{name}\"; filename*=UTF-8''{label}"
    return response


async def choose(request: web.Request) -> web.Response:
    """The town chosen in the picker, told to the assistant as the payload its own buttons carry."""
    from channels.webchat import AreaMeta, read_json_object, string_field, town_turn

    body = await read_json_object(request, request.app[SETTINGS].max_body_bytes)
    text = string_field(body, "town")
    if not text.strip() or len(text) > MAX_QUERY_CHARS:
        raise InvalidField(
            f"Field 'town' must be 1-{MAX_QUERY_CHARS} characters.",
            message_ja=f"town は1〜{MAX_QUERY_CHARS}文字にしてください。",
            field="town",
        )
    data = await request.app[AREA_SERVICE].data()
    town = await asyncio.to_thread(data.resolve, text)
    payload = f"/{TOWN_INTENT}{json.dumps({'town': town.label}, ensure_ascii=False)}"
    return await town_turn(request, body, payload, AreaMeta(label=town.label, ward=town.ward, name=town.name))


def _town_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["label", "ward", "name", "reading"],
        "properties": {
            "label": {"type": "string"},
            "ward": {"type": "string"},
            "name": {"type": "string"},
            "reading": {"type": ["string", "null"]},
        },
    }


def _params(*names: tuple[str, bool, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "required": r, "schema": s} for n, r, s in names]


def _document(app: web.Application) -> None:
    from translations import languages

    town_param = ("town", True, {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS})
    lang_param = ("lang", False, {"type": "string", "enum": ["auto", *languages.codes()]})
    errors = {
        "400": {"description": "Bad parameter, or several towns match (ambiguous_town).", "content": JSON_ERROR},
        "404": {"description": "No town matches (unknown_town).", "content": JSON_ERROR},
        "503": {"description": "The table cannot be read.", "content": JSON_ERROR},
    }
    calendar_ref = {"$ref": "#/components/schemas/AreaCalendar"}
    paths = {
        "/api/area/towns": {
            "get": {
                "summary": "Towns of the collection-day table for the web chat's area picker.",
                "parameters": _params(("q", True, {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS})),
                "responses": {
                    "200": {
                        "description": "Matching towns (at most 20).",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TownSearch"}}},
                    },
                    "400": errors["400"],
                    "503": errors["503"],
                },
            }
        },
        "/api/area/calendar": {
            "get": {
                "summary": "The next collection dates of one town, per category.",
                "parameters": _params(
                    town_param, lang_param, ("weeks", False, {"type": "integer", "minimum": 1, "maximum": 8})
                ),
                "responses": {
                    "200": {"description": "The calendar.", "content": {"application/json": {"schema": calendar_ref}}},
                    **errors,
                },
            }
        },
        "/api/area/calendar.ics": {
            "get": {
                "summary": "The same dates as an iCalendar file (all-day events).",
                "parameters": _params(
                    town_param, lang_param, ("weeks", False, {"type": "integer", "minimum": 1, "maximum": 53})
                ),
                "responses": {
                    "200": {
                        "description": "text/calendar",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    },
                    **errors,
                },
            }
        },
        "/api/area/choose": {
            "post": {
                "summary": "Tell the assistant the town chosen in the picker; answers like POST /api/chat.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["sender_id", "town"],
                                "properties": {
                                    "sender_id": {"type": "string", "minLength": 1, "maxLength": 128},
                                    "town": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
                                    "lang": {"type": ["string", "null"], "enum": ["auto", *languages.codes(), None]},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The assistant's answer; meta.area is the town.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatResponse"}}},
                    },
                    "400": errors["400"],
                    "404": errors["404"],
                    "413": {"description": "Body too large.", "content": JSON_ERROR},
                    "415": {"description": "Not application/json.", "content": JSON_ERROR},
                    "429": {
                        "description": "Too many messages.",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": JSON_ERROR,
                    },
                    "502": {"description": "Unreadable answer.", "content": JSON_ERROR},
                    "503": errors["503"],
                    "504": {"description": "The assistant took too long.", "content": JSON_ERROR},
                },
            }
        },
    }
    schemas = {
        "TownSearch": {
            "type": "object",
            "required": ["query", "status", "towns", "more"],
            "properties": {
                "query": {"type": "string"},
                "status": {"type": "string", "enum": ["found", "ambiguous", "not_found"]},
                "towns": {"type": "array", "items": _town_schema()},
                "more": {"type": "boolean"},
            },
        },
        "AreaCalendar": {
            "type": "object",
            "required": [
                "town",
                "lang",
                "start",
                "end",
                "rows",
                "no_collection",
                "deadline_note",
                "footnote",
                "source",
            ],
            "properties": {
                "town": _town_schema(),
                "lang": {"type": "string"},
                "start": {"type": "string", "format": "date"},
                "end": {"type": "string", "format": "date"},
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["column", "categories", "pattern", "deadline", "deadline_note", "dates"],
                        "properties": {
                            "column": {"type": "string"},
                            "categories": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "name"],
                                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                                },
                            },
                            "pattern": {"type": "string"},
                            "deadline": {"type": ["string", "null"]},
                            "deadline_note": {"type": ["string", "null"]},
                            "dates": {"type": "array", "items": {"type": "string", "format": "date"}},
                        },
                    },
                },
                "no_collection": {"type": "array", "items": {"type": "string", "format": "date"}},
                "deadline_note": {"type": "string"},
                "footnote": {"type": ["string", "null"]},
                "source": {"type": "string", "pattern": "^https?://"},
            },
        },
    }
    document(app, paths, schemas)


def setup_area(app: web.Application, service: AreaService | None = None) -> AreaService:
    """Routes of the area picker; `service` replaces the default (tests: another data folder or a fixed today)."""
    if AREA_SERVICE not in app:
        app[AREA_SERVICE] = service or AreaService()
        app.router.add_get("/api/area/towns", towns)
        app.router.add_get("/api/area/calendar", calendar)
        app.router.add_get("/api/area/calendar.ics", calendar_ics)
        app.router.add_post("/api/area/choose", choose)
        _document(app)
    return app[AREA_SERVICE]
