"""action_fallback: what the assistant can do, and whom to call instead."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.contacts import CONSULT_PHONE
from actions.common.replies import lang_of
from translations.messages import render


def send_fallback(dispatcher: CollectingDispatcher, lang: str) -> None:
    """The capabilities message plus the flag the gateway copies into meta.fallback."""
    dispatcher.utter_message(text=render("fallback", lang, phone=CONSULT_PHONE))
    dispatcher.utter_message(json_message={"fallback": True})


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        send_fallback(dispatcher, lang_of(tracker))
        return []
