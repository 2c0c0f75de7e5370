"""action_garbage_faq: rules and procedures from the FAQ data; the fallback message when nothing fits."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.fallback import send_fallback
from actions.common.faq_reply import faq_text
from actions.common.kb import kb_async
from actions.common.offload import off_loop
from actions.common.replies import lang_of, latest_text, send_sources
from actions.garbage.contacts import CONSULT_PHONE


class ActionGarbageFaq(Action):
    def name(self) -> str:
        return "action_garbage_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        text = latest_text(tracker)
        try:
            kb = (await kb_async()).garbage
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        hit = await off_loop(kb.search_faq, text) if text else None  # CPU-bound: off the event loop
        if hit is None:
            await send_fallback(dispatcher, tracker, lang, domain="garbage")
            return []
        entry, _score = hit
        dispatcher.utter_message(text=faq_text(entry, lang, fallback_phone=CONSULT_PHONE))
        send_sources(dispatcher, [entry.source])
        return []
