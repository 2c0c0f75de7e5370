"""Shared reply helpers: the resident's language, dates as residents read them, sources and buttons."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.contacts import CONSULT_PHONE
from translations.messages import DEFAULT_LANG, render

Button = dict[str, str]

_JA = r"\u3000-\u30ff\u4e00-\u9fff\uff01-\uff60"
# YAML folded blocks (>-) join lines with a space, which reads as a stray gap in Japanese text.
_FOLD_SPACE = re.compile(rf"(?<=[{_JA}])[ \t]+(?=[{_JA}])")


def lang_of(tracker: Tracker) -> str:
    """The reply language the gateway put in the message metadata (default Japanese)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    lang = metadata.get("lang") if isinstance(metadata, dict) else None
    return lang.strip() if isinstance(lang, str) and lang.strip() else DEFAULT_LANG


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


def format_date(day: date, lang: str) -> str:
    """e.g. 11月26日(木)."""
    weekdays = render("weekday_names", lang).split(",")
    return render("date", lang, month=day.month, day=day.day, weekday=weekdays[day.weekday()].strip())


def format_dates(days: Iterable[date], lang: str) -> str:
    return render("list_separator", lang).join(format_date(day, lang) for day in days)


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


def send_kb_unavailable(dispatcher: CollectingDispatcher, lang: str) -> None:
    dispatcher.utter_message(text=render("kb_unavailable", lang, phone=CONSULT_PHONE))
