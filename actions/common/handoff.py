"""Hand-off to people: the right desk with its phone, and whether it is open now (Japan time, weekends, national
holidays and the year-end closure computed from the places data).

action_handoff names the desk of the conversation's last answer (slot last_office), else of its last domain, else
the city's call centre. action_office_hours answers "is X open now?" for an office named in the message.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.contacts import CALL_CENTRE_OFFICE, CALL_CENTRE_PHONE
from actions.common.domains import contact_office
from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.kb import kb_async
from actions.common.offices import office_lines, office_phone, office_sources
from actions.common.offload import off_loop
from actions.common.replies import lang_of, latest_entity, latest_text, send_sources
from settings import ActionSettings
from translations.messages import render


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        try:
            kb = await kb_async()
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        places = kb.places
        named = await off_loop(_named_office, kb, latest_text(tracker))
        office = (
            named
            or tracker.get_slot("last_office")
            or contact_office(tracker.get_slot("last_domain"))
            or CALL_CENTRE_OFFICE
        )
        if places is None or office not in places.offices:
            dispatcher.utter_message(text=render("handoff_general", lang, phone=CALL_CENTRE_PHONE))
            return []
        lines = [render("handoff_intro", lang), *office_lines(places, office, lang, ActionSettings.from_env().now())]
        if office != CALL_CENTRE_OFFICE:
            phone = office_phone(places, CALL_CENTRE_OFFICE) or CALL_CENTRE_PHONE
            lines += ["", render("handoff_general", lang, phone=phone)]
        dispatcher.utter_message(text="\n".join(lines))
        send_sources(dispatcher, office_sources(places, office))
        return [SlotSet("last_office", office)]


def _named_office(kb: Any, text: str) -> str | None:
    """The office a message names (longest name first), e.g. 「中央図書館は今開いてる？」 -> chuo_library."""
    if kb.places is None or not text or text.startswith("/"):
        return None
    from knowledge_base.places import find_offices

    found = find_offices(kb.places, text)
    return found[0].id if found else None


class ActionOfficeHours(Action):
    def name(self) -> str:
        return "action_office_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        try:
            kb = await kb_async()
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        office = latest_entity(tracker, "office") or await off_loop(_named_office, kb, latest_text(tracker))
        office = office or tracker.get_slot("last_office")
        if kb.places is None or not office or office not in kb.places.offices:
            dispatcher.utter_message(text=render("office_which", lang))
            return []
        dispatcher.utter_message(text="\n".join(office_lines(kb.places, office, lang, ActionSettings.from_env().now())))
        send_sources(dispatcher, office_sources(kb.places, office))
        return [SlotSet("last_office", office)]
