"""action_garbage_item: which category an item belongs to, how to put it out, and when it is next collected."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.kb import kb_async
from actions.common.replies import (
    capitalized,
    format_date,
    format_dates,
    intent_button,
    lang_of,
    latest_entity,
    latest_text,
    send_sources,
    unique,
)
from actions.garbage.contacts import CONSULT_PHONE, CONSULT_SOURCE
from actions.garbage.localized import category_label, item_how, item_label
from actions.garbage.towns import choose_town, remember
from settings import ActionSettings
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.garbage.service import GarbageKnowledge, ItemLookup, ItemMatch

ITEM_INTENT = "ask_garbage_item"


def _found(
    kb: GarbageKnowledge, match: ItemMatch, query: str, tracker: Tracker, settings: ActionSettings, lang: str
) -> tuple[str, dict[str, Any], list[str], list[EventType]]:
    """Reply text, its card, sources and slot events for an item that was recognised."""
    item = match.item
    category = kb.category(item.category)
    item_name, category_name = item_label(item, lang), category_label(category, lang)
    lines = []
    if match.score < 1.0:
        # A similarity match, not a name the resident typed: say which item the answer is about.
        lines.append(render("item_closest", lang, query=query, item=item_name))
    lines.append(capitalized(render("item_found", lang, item=item_name, category=category_name)))
    how_lines, how = item_how(item, category, lang)
    lines.extend(how_lines)
    if item.certainty == "inferred":
        lines.append(render("item_inferred", lang, phone=CONSULT_PHONE))
    sources = [item.source, category.source]
    events: list[EventType] = [SlotSet("item", item.name)]
    next_date: str | None = None
    # Only a town the resident named or confirmed before: guessing from an item question misreads words as towns.
    town = choose_town(kb, tracker, use_text=False).town if category.schedule_column else None
    if town is not None:
        entries = kb.collection_days(town, category.id, today=settings.today(), count=settings.next_dates)
        dated = [entry for entry in entries if entry.next_dates]
        if dated:
            key = "item_next_collection" if category.deadline else "item_next_collection_no_deadline"
            lines.append(
                render(
                    key,
                    lang,
                    town=town.label,  # kept in Japanese: it is what the signs and the official table say
                    category=category_name,
                    dates=format_dates(dated[0].next_dates, lang),
                    deadline=category.deadline or "",
                )
            )
            next_date = format_date(dated[0].next_dates[0], lang)
            sources.append(town.source)
            events.extend(remember(town))
    card = {
        "type": "garbage_item",
        "item": item_name,
        "category": category_name,
        "category_id": category.id,
        "colour": category.colour,
        "how": how,
        "next_date": next_date,
        "source": item.source,
    }
    return "\n".join(lines), card, sources, events


def _buttons(lookup: ItemLookup, limit: int, lang: str) -> list[dict[str, str]]:
    """Titles in the resident's language; the payload keeps the Japanese name, which the lookup knows."""
    items = {match.item.name: match.item for match in lookup.candidates}
    names = unique(match.item.name for match in lookup.candidates)[:limit]
    return [intent_button(item_label(items[name], lang), ITEM_INTENT, item=name) for name in names]


class ActionGarbageItem(Action):
    def name(self) -> str:
        return "action_garbage_item"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        query = latest_entity(tracker, "item") or latest_text(tracker)
        if not query:
            dispatcher.utter_message(text=render("item_ask", lang))
            return []
        try:
            kb = (await kb_async()).garbage
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        settings = ActionSettings.from_env()
        lookup = await asyncio.to_thread(kb.lookup_item, query)  # CPU-bound: off the event loop
        if lookup.status == "found" and lookup.best is not None:
            text, card, sources, events = _found(kb, lookup.best, query, tracker, settings, lang)
            dispatcher.utter_message(text=text)
            # Rendered by channels that show cards (LINE Flex); the gateway passes `cards` on in meta.
            dispatcher.utter_message(json_message={"cards": [card]})
            send_sources(dispatcher, sources)
            return events
        if lookup.status == "ambiguous" and lookup.candidates:
            dispatcher.utter_message(
                text=render("item_ambiguous", lang, query=query), buttons=_buttons(lookup, settings.max_buttons, lang)
            )
            return []
        # Near misses (below the match threshold) are offered as guesses; the resident decides.
        guesses = _buttons(lookup, settings.max_buttons, lang)
        text = render("item_not_found", lang, query=query, phone=CONSULT_PHONE)
        if guesses:
            text += "\n" + render("item_guesses", lang)
        dispatcher.utter_message(text=text, buttons=guesses)
        send_sources(dispatcher, [CONSULT_SOURCE])
        return [SlotSet("item", None)]
