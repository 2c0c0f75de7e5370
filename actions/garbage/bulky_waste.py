"""action_bulky_waste: how to apply for bulky-waste (粗大ごみ) collection, from the FAQ data (topic sodai)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.faq_reply import faq_text
from actions.common.kb import kb_async
from actions.common.offload import off_loop
from actions.common.replies import lang_of, latest_text, send_sources
from actions.garbage.contacts import CONSULT_PHONE, CONSULT_SOURCE
from translations.messages import render

TOPIC = "sodai"
# Asked when the resident's own words (or a button payload) match no bulky-waste entry: the general procedure.
PROCEDURE_QUERY = "粗大ごみの出し方と申し込み方法"


class ActionBulkyWaste(Action):
    def name(self) -> str:
        return "action_bulky_waste"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        text = latest_text(tracker)
        try:
            kb = (await kb_async()).garbage
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        # Embedding and search are CPU-bound: off the action server's event loop.
        asked = text if text and not text.startswith("/") else None
        hit = await off_loop(kb.search_faq, asked, topic=TOPIC) if asked else None
        hit = hit or await off_loop(kb.search_faq, PROCEDURE_QUERY, topic=TOPIC)
        if hit is None:
            dispatcher.utter_message(text=render("bulky_not_found", lang, phone=CONSULT_PHONE))
            send_sources(dispatcher, [CONSULT_SOURCE])
            return []
        entry, _score = hit
        reply = faq_text(entry, lang, phone_key="bulky_phone", fallback_phone=CONSULT_PHONE)
        sources = [entry.source]
        if not entry.phone:
            # A narrower entry (fees, items) may lack the reception number; the procedure entry has it.
            procedure = await off_loop(kb.search_faq, PROCEDURE_QUERY, topic=TOPIC)
            if procedure and procedure[0].phone and procedure[0].phone not in reply:
                reply += "\n" + render("bulky_phone", lang, phone=procedure[0].phone)
                sources.append(procedure[0].source)
        dispatcher.utter_message(text=reply)
        send_sources(dispatcher, sources)
        return []
