"""action_collection_days: the collection days of a town, for one category or all of them."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.kb import kb_async
from actions.common.offload import off_loop
from actions.common.replies import (
    describe_schedule,
    display,
    format_dates,
    intent_button,
    join_words,
    lang_of,
    latest_entity,
    latest_text,
    send_sources,
)
from actions.garbage.categories import categories_from_value, detect_categories
from actions.garbage.localized import category_how, category_label
from actions.garbage.towns import SLOT_ASKED, TownChoice, choose_town, remember
from settings import ActionSettings
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.garbage.models import Category, Town
    from knowledge_base.garbage.service import CollectionEntry, GarbageKnowledge

TOWN_INTENT = "inform_town"
MAX_TOWN_BUTTONS = 10  # a town name shared by several wards/chome rows; more than this is not a choice


def requested_categories(tracker: Tracker, choice: TownChoice, kb: GarbageKnowledge | None = None) -> list[str]:
    """Entity, then words in the message (town names removed), then an item named in it (「ピザの箱は何曜日？」),
    then the category asked before the town."""
    entity = latest_entity(tracker, "garbage_category")
    if entity and (ids := categories_from_value(entity)):
        return ids
    places = [name for town in choice.towns for name in (town.ward, town.name, town.base)]
    text = latest_text(tracker)
    if ids := detect_categories(text, exclude=places):
        return ids
    if kb is not None and text:
        for place in places:
            text = text.replace(place, " ")
        lookup = kb.lookup_item(text)
        if lookup.status == "found" and lookup.best is not None:
            category = kb.category(lookup.best.item.category)
            ids = [category.id, *getattr(category, "alternatives", ())]
            return [cid for cid in ids if kb.category(cid).schedule_column] or [category.id]
    asked = tracker.get_slot(SLOT_ASKED)
    return [cid for cid in asked.split(",") if cid] if isinstance(asked, str) else []


def _deadline_lines(entries: list[CollectionEntry], lang: str) -> list[str]:
    """One line for the usual deadline (8:00), exceptions (木の枝… 10:00) in brackets after it."""
    by_deadline: dict[str, list[str]] = {}
    for entry in entries:
        if entry.next_dates and entry.category.deadline:
            names = by_deadline.setdefault(entry.category.deadline, [])
            name = category_label(entry.category, lang)
            if name not in names:
                names.append(name)
    if not by_deadline:
        return []
    counts = Counter({deadline: len(names) for deadline, names in by_deadline.items()})
    main = counts.most_common(1)[0][0]
    line = render("collection_deadline", lang, deadline=main)
    for deadline, names in by_deadline.items():
        if deadline != main:
            line += render("collection_deadline_other", lang, categories=join_words(names, lang), deadline=deadline)
    return [line]


def collection_reply(
    kb: GarbageKnowledge, town: Town, category_ids: list[str], settings: ActionSettings, lang: str
) -> tuple[str, list[str]]:
    """Reply text and sources for a resolved town (its name stays in Japanese: that is what the signs say)."""
    today, count = settings.today(), settings.next_dates
    lines = [render("collection_header", lang, town=town.label)]
    entries: list[CollectionEntry] = []
    unscheduled: list[Category] = []
    if category_ids:
        for cid in category_ids:
            category = kb.category(cid)
            if category.schedule_column:
                entries.extend(kb.collection_days(town, cid, today=today, count=count))
            else:
                unscheduled.append(category)
    else:
        entries = kb.collection_days(town, None, today=today, count=count)
    for entry in entries:
        values = {
            "category": category_label(entry.category, lang),
            "description": describe_schedule(entry.pattern, lang),
        }
        if entry.next_dates:
            lines.append(render("collection_line", lang, dates=format_dates(entry.next_dates, lang), **values))
        else:
            lines.append(render("collection_line_no_dates", lang, **values))
    lines.extend(_deadline_lines(entries, lang))
    for category in unscheduled:
        how = category_how(category, lang)
        lines.append(render("collection_no_station", lang, category=category_label(category, lang), how=how))
    if town.footnote:
        lines.append(render("town_note", lang, note=display(town.footnote)))
    sources = [town.source, *(entry.category.source for entry in entries), *(c.source for c in unscheduled)]
    return "\n".join(lines), sources


class ActionCollectionDays(Action):
    def name(self) -> str:
        return "action_collection_days"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        try:
            kb = (await kb_async()).garbage
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        choice = await off_loop(choose_town, kb, tracker)  # town matching and item lookup: off the loop
        category_ids = await off_loop(requested_categories, tracker, choice, kb)  # may embed
        asked = SlotSet(SLOT_ASKED, ",".join(category_ids) or None)
        if not choice.towns:
            dispatcher.utter_message(text=render("ask_town", lang))
            return [asked]
        if choice.town is None:
            buttons = [
                intent_button(town.label, TOWN_INTENT, town=town.label) for town in choice.towns[:MAX_TOWN_BUTTONS]
            ]
            bases = {town.base for town in choice.towns}
            text = render("choose_town_named", lang, name=next(iter(bases))) if len(bases) == 1 else None
            text = text or render("choose_town", lang)
            dispatcher.utter_message(text=text, buttons=buttons)
            return [asked]
        text, sources = await off_loop(collection_reply, kb, choice.town, category_ids, ActionSettings.from_env(), lang)
        dispatcher.utter_message(text=text)
        send_sources(dispatcher, sources)
        # The web chat shows the town as its "my area" chip (channels/webchat.py area_of); LINE skips this card type.
        dispatcher.utter_message(
            json_message={"cards": [{"type": "area", "ward": choice.town.ward, "town": choice.town.name}]}
        )
        return [*remember(choice.town), SlotSet(SLOT_ASKED, None)]
