"""Shared reply helpers: the resident's language, dates and collection patterns as residents read them, sources and
buttons."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.garbage.collection import parse_pattern
from translations.messages import render, reply_language

Button = dict[str, str]

_JA = r"\u3000-\u30ff\u4e00-\u9fff\uff01-\uff60"
# YAML folded blocks (>-) join lines with a space, which reads as a stray gap in Japanese text.
_FOLD_SPACE = re.compile(rf"(?<=[{_JA}])[ \t]+(?=[{_JA}])")


# The gateway's LINE channel names a conversation "line:<user, group or room id>" (channels/line/handler.py).
LINE_SENDER_PREFIX = "line:"


def line_user(tracker: Tracker) -> str | None:
    """The LINE id to push to when the conversation is on LINE, else None."""
    sender = tracker.sender_id or ""
    return sender.removeprefix(LINE_SENDER_PREFIX) or None if sender.startswith(LINE_SENDER_PREFIX) else None


def lang_of(tracker: Tracker) -> str:
    """The reply language the gateway put in the message metadata; Japanese when it is missing or unsupported."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return reply_language(metadata.get("lang") if isinstance(metadata, dict) else None)


def latest_text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    """The first non-empty value of `entity` in the latest message."""
    for value in tracker.get_latest_entity_values(entity):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def display(text: str) -> str:
    """Data text as shown to residents: trimmed, without the spaces that line folding put between Japanese words."""
    return _FOLD_SPACE.sub("", text.strip())


def capitalized(text: str) -> str:
    """A sentence that starts with a data name (spray can …) starts with a capital letter; other scripts unchanged."""
    return text[:1].upper() + text[1:]


def _indexed(key: str, lang: str, index: int) -> str:
    """One entry of a comma-separated catalogue list (weekday_names, month_names, ordinals, …)."""
    return render(key, lang).split(",")[index].strip()


def format_date(day: date, lang: str) -> str:
    """e.g. 11月26日(木), Thu 26 Nov, 11월 26일(목)."""
    return render(
        "date",
        lang,
        month_name=_indexed("month_names", lang, day.month - 1),
        day=day.day,
        weekday=_indexed("weekday_names", lang, day.weekday()),
    )


def format_dates(days: Iterable[date], lang: str) -> str:
    return render("list_separator", lang).join(format_date(day, lang) for day in days)


def join_words(words: list[str], lang: str) -> str:
    """「月曜日・木曜日」, "Monday and Thursday", "Monday, Wednesday and Friday"."""
    if len(words) <= 1:
        return "".join(words)
    return render("list_comma", lang).join(words[:-1]) + render("list_and", lang) + words[-1]


def describe_schedule(pattern: str, lang: str) -> str:
    """A pattern of the official table in words: 「2・4水」 -> 第2・第4水曜日 / 2nd and 4th Wednesday of the month."""
    schedule = parse_pattern(pattern)
    if not schedule.collects:
        return render("schedule_see_note" if schedule.footnote else "schedule_none", lang)
    days = join_words([_indexed("weekday_full", lang, d) for d in sorted(schedule.weekdays)], lang)
    if schedule.weeks is None:
        text = render("schedule_weekly", lang, days=days)
    else:
        weeks = join_words([_indexed("ordinals", lang, w - 1) for w in sorted(schedule.weeks)], lang)
        text = render("schedule_monthly", lang, weeks=weeks, day=days)
    return render("schedule_footnote", lang, text=text) if schedule.footnote else text


def unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values in first-seen order."""
    out: list[str] = []
    for value in values:
        if value and value not in out:
            out.append(value)
    return out


def send_sources(dispatcher: CollectingDispatcher, urls: Iterable[str | None]) -> None:
    """Source URLs travel as a custom message; the Rasa channel merges them into meta.sources."""
    sources = unique(urls)
    if sources:
        dispatcher.utter_message(json_message={"sources": sources})


def intent_button(title: str, intent: str, **entities: Any) -> Button:
    """A button whose payload triggers `intent` with entities, e.g. /ask_garbage_item{"item": "電池"}."""
    return {"title": title, "payload": f"/{intent}{json.dumps(entities, ensure_ascii=False)}"}
