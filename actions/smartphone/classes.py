"""action_list_smartphone_classes: the upcoming smartphone classes that match what the resident asked for (ward,
topic, level, dates — actions/smartphone/filters.py), up to five, each with a "book" button.

A class reads as residents need it: its title in their language with the Japanese name in parentheses, the level,
date with weekday and time (Japan time), the venue's name and address from the places data, the seats free or "full
— waiting list", and the phone to ask. When nothing matches, the reply says so and shows the nearest other classes.
An answer drawn from the example catalogue says that it is an example, not a real schedule.

The rendering helpers here are shared with the booking form (actions/smartphone/booking.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.contacts import CALL_CENTRE_PHONE
from actions.common.errors import StoreUnavailable, send_unavailable
from actions.common.kb import places_or_none
from actions.common.offices import office_phone
from actions.common.replies import format_date, intent_button, lang_of, latest_text
from actions.common.store import call
from actions.smartphone import CONTACT_OFFICE
from actions.smartphone.filters import LEVELS, TOPICS, ClassFilters, parse_filters
from settings import JST, ActionSettings
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.places import Places
    from storage.repositories import Repositories
    from storage.smartphone import ClassView

T = TypeVar("T")
DOMAIN = "smartphone"
MAX_LISTED = 5
# With a weekday asked for, more classes are read and those on other days dropped.
_WEEKDAY_WINDOW = 60
LISTED_SLOT = "sp_listed"  # ids of the classes last shown, in order: "2" picks the second
BOOK_INTENT = "book_smartphone_class"


# --- shared helpers -----------------------------------------------------------------------------------------------


def contact(places: Places | None, lang: str) -> tuple[str, str]:
    """The desk residents call about the classes: (its name in `lang`, its phone)."""
    phone = office_phone(places, CONTACT_OFFICE) or CALL_CENTRE_PHONE
    if places is None or CONTACT_OFFICE not in places.offices:
        return render("sp_call_centre", lang), phone
    return places.office_name(CONTACT_OFFICE, lang), phone


def domain_events() -> list[EventType]:
    return [SlotSet("last_domain", DOMAIN), SlotSet("last_office", CONTACT_OFFICE)]


async def store(operation: Callable[[Repositories], T]) -> T:
    """One storage call in a worker thread; a database failure raises StoreUnavailable (logged by type only)."""
    return await asyncio.to_thread(call, operation)


def utc_now(settings: ActionSettings) -> datetime:
    return settings.now().astimezone(timezone.utc)


def japan_time(moment: datetime) -> datetime:
    """A stored time (aware UTC; a naive one is taken as UTC, as the storage writes it) in Japan time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(JST)


def topic_name(topic: str, lang: str) -> str:
    """「LINEの使い方」 / "Using LINE (LINEの使い方)"; an unknown code is shown as it is."""
    return render(f"sp_topic_{topic}", lang) if topic in TOPICS else topic


def level_name(level: str, lang: str) -> str:
    return render(f"sp_level_{level}", lang) if level in LEVELS else level


def class_title(view: ClassView, lang: str) -> str:
    return topic_name(view.topic, lang)


def class_when(view: ClassView, lang: str) -> str:
    """e.g. 12月8日(火) 10:00–12:00 / Tue 8 Dec, 10:00–12:00."""
    starts, ends = japan_time(view.starts_at), japan_time(view.ends_at)
    return render("sp_when", lang, date=format_date(starts.date(), lang), time=f"{starts:%H:%M}–{ends:%H:%M}")


def venue_text(places: Places | None, venue: str, lang: str) -> str:
    """The venue's name in `lang` (official name in parentheses) and its address."""
    if places is None or venue not in places.offices:
        return venue
    office = places.offices[venue]
    name = places.office_name(venue, lang)
    return render("sp_venue_address", lang, venue=name, address=office.address) if office.address else name


def seats_text(view: ClassView, lang: str) -> str:
    if view.free > 0:
        return render("sp_seats_free", lang, free=view.free, capacity=view.capacity)
    return render("sp_seats_full", lang, waiting=view.waiting)


def class_block(view: ClassView, places: Places | None, lang: str, index: int | None = None) -> str:
    block = render(
        "sp_class_block",
        lang,
        index=f"{index}. " if index is not None else "",
        title=class_title(view, lang),
        level=level_name(view.level, lang),
        when=class_when(view, lang),
        venue=venue_text(places, view.venue, lang),
        seats=seats_text(view, lang),
        phone=view.phone,
    )
    # Staff's note, as written in the catalogue (Japanese); the example's note only repeats the example notice.
    if view.note and not view.example:
        block += "\n" + render("sp_note", lang, note=view.note.strip())
    return block


def book_button(view: ClassView, lang: str, index: int) -> dict[str, str]:
    day = format_date(japan_time(view.starts_at).date(), lang)
    return intent_button(render("sp_button_book", lang, index=index, date=day), BOOK_INTENT, sp_class=view.id)


def class_list(views: Sequence[ClassView], places: Places | None, lang: str) -> str:
    return "\n".join(class_block(view, places, lang, i) for i, view in enumerate(views, start=1))


def example_notice(views: Sequence[ClassView], lang: str) -> list[str]:
    """The line that says the schedule is an example, when any class shown comes from the example catalogue."""
    return [render("sp_example", lang)] if any(view.example for view in views) else []


def date_text(start: date, end: date, lang: str) -> str:
    if start == end:
        return format_date(start, lang)
    return render("sp_date_range", lang, start=format_date(start, lang), end=format_date(end, lang))


def describe_filters(filters: ClassFilters, places: Places | None, lang: str) -> str:
    """What was asked for, in words: 「稲毛区・LINEの使い方・11月30日(月)〜12月6日(日)」."""
    parts: list[str] = []
    if filters.ward and places is not None and filters.ward in places.wards:
        parts.append(places.ward_name(filters.ward, lang))
    if filters.topic:
        parts.append(topic_name(filters.topic, lang))
    if filters.level:
        parts.append(level_name(filters.level, lang))
    if filters.start and filters.end:
        parts.append(date_text(filters.start, filters.end, lang))
    if filters.weekday is not None:
        parts.append(render("weekday_full", lang).split(",")[filters.weekday].strip())
    return render("list_separator", lang).join(parts)


def upcoming(repos: Repositories, filters: ClassFilters, now: datetime, limit: int = MAX_LISTED) -> list[ClassView]:
    """The next classes matching `filters` (a storage operation: run it through `store`)."""
    views = repos.smartphone.list_upcoming(
        now=now,
        venues=filters.venues,
        topic=filters.topic,
        level=filters.level,
        start=filters.start,
        end=filters.end,
        limit=_WEEKDAY_WINDOW if filters.weekday is not None else limit,
    )
    if filters.weekday is not None:
        views = [view for view in views if japan_time(view.starts_at).weekday() == filters.weekday]
    return views[:limit]


def matching_or_nearest(
    repos: Repositories, filters: ClassFilters, now: datetime
) -> tuple[list[ClassView], list[ClassView]]:
    """(classes matching the filters, the nearest other classes when none match)."""
    found = upcoming(repos, filters, now)
    if found or filters.empty:
        return found, []
    if filters.topic and filters != ClassFilters(topic=filters.topic):
        nearest = upcoming(repos, ClassFilters(topic=filters.topic), now)
        if nearest:
            return [], nearest
    return [], upcoming(repos, ClassFilters(), now)


def localised_params(params: dict[str, str], lang: str, places: Places | None) -> dict[str, str]:
    """A stored notification's parameters (topic, level, venue_id, ISO date, …) with what the sp_reminder and
    sp_promoted templates name in the resident's language: class_title, venue, date with weekday."""
    out = dict(params)
    out["class_title"] = topic_name(params.get("topic", ""), lang)
    out["venue"] = venue_text(places, params.get("venue_id", ""), lang)
    with contextlib.suppress(ValueError):
        out["date"] = format_date(date.fromisoformat(params.get("date", "")), lang)
    return out


# --- the action ---------------------------------------------------------------------------------------------------


class ActionListSmartphoneClasses(Action):
    def name(self) -> str:
        return "action_list_smartphone_classes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        settings = ActionSettings.from_env()
        places = await places_or_none()
        office, phone = contact(places, lang)
        text = latest_text(tracker)
        filters = ClassFilters() if text.startswith("/") else parse_filters(text, places, settings.now().date())
        now = utc_now(settings)
        try:
            found, nearest = await store(lambda repos: matching_or_nearest(repos, filters, now))
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, phone)
            return domain_events()
        shown = found or nearest
        if not shown:
            dispatcher.utter_message(text=render("sp_list_empty", lang, office=office, phone=phone))
            return domain_events()
        wanted = describe_filters(filters, places, lang)
        if not found:
            header = render("sp_list_none", lang, filters=wanted)
        elif wanted:
            header = render("sp_list_header_filtered", lang, filters=wanted)
        else:
            header = render("sp_list_header", lang)
        lines = [*example_notice(shown, lang), header, class_list(shown, places, lang), "",
                 render("sp_list_howto", lang), render("sp_list_footer", lang, office=office, phone=phone)]  # fmt: skip
        buttons = [book_button(view, lang, i) for i, view in enumerate(shown, start=1)]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return [SlotSet(LISTED_SLOT, [view.id for view in shown]), *domain_events()]
