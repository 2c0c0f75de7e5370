"""action_fallback: what the assistant can do in every domain, and whom to call instead; the question is counted
(masked, without the sender) so staff can see what residents ask that the assistant cannot answer yet."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.contacts import CALL_CENTRE_OFFICE, CALL_CENTRE_PHONE
from actions.common.domains import action_domains, fallback_claims
from actions.common.kb import loaded_kb, places_or_none
from actions.common.offices import office_phone
from actions.common.replies import lang_of, latest_text
from actions.common.store import record_unanswered
from translations.messages import render

logger = logging.getLogger(__name__)


async def _places() -> Any:
    """The places data for phones and desks; never waits for the whole knowledge base to load."""
    return await places_or_none()


def _other_city(text: str) -> str | None:
    """Another municipality named in the message, when the knowledge base is loaded (a fallback never waits)."""
    kb = loaded_kb()
    garbage = getattr(kb, "garbage", None) if kb is not None else None
    if garbage is None or not text or text.startswith("/"):
        return None
    try:
        return garbage.other_city(text)
    except Exception:  # a lexicon problem must cost this sentence, not the fallback
        logger.exception("reading another city's name failed")
        return None


def capabilities(lang: str, places: Any) -> str:
    """One paragraph per domain (capability_<domain> in its catalogue), with that domain's desk phone."""
    lines = []
    for domain in action_domains():
        phone = office_phone(places, domain.contact_office) or CALL_CENTRE_PHONE
        lines.append(render(domain.capability_key, lang, phone=phone))
    return "\n".join(lines)


def call_centre_phone(places: Any) -> str:
    return office_phone(places, CALL_CENTRE_OFFICE) or CALL_CENTRE_PHONE


async def send_fallback(
    dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, domain: str | None = None, record: bool = True
) -> None:
    """The capabilities message plus the flag the gateway copies into meta.fallback; counts the question."""
    places = await _places()
    city = _other_city(latest_text(tracker))
    if city:
        # 「船橋市の粗大ごみの出し方」: say why there is no answer before listing what the assistant can do.
        dispatcher.utter_message(text=render("item_other_city", lang, city=city))
    dispatcher.utter_message(
        text=render("fallback", lang, capabilities=capabilities(lang, places), phone=call_centre_phone(places))
    )
    dispatcher.utter_message(json_message={"fallback": True})
    text = latest_text(tracker)
    if record and text and not text.startswith("/"):
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "none"
        await asyncio.to_thread(record_unanswered, text, lang, str(intent), domain)


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        for claim in fallback_claims():
            try:
                events = await claim(dispatcher, tracker, domain)
            except Exception:  # a domain's claim must never cost the resident the fallback reply
                logger.exception("a fallback claim failed")
                events = None
            if events is not None:
                # Answered by a domain: the gateway must not report it as a fallback (meta.fallback), whatever
                # the intent was; the web chat would offer its starters again.
                dispatcher.utter_message(json_message={"fallback": False})
                return events
        await send_fallback(dispatcher, tracker, lang_of(tracker))
        return []
