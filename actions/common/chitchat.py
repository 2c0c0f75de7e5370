"""Greeting, goodbye, thanks and help: short replies in the resident's language (templates in translations/)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.contacts import CONSULT_PHONE
from actions.common.replies import lang_of
from translations.messages import render

# The help message offers these as buttons; payloads go straight to the intent (no NLU), titles are translated.
HELP_BUTTONS = (
    ("help_button_item", '/ask_garbage_item{"item": "スプレー缶"}'),
    ("help_button_days", "/ask_collection_day"),
    ("help_button_bulky", "/ask_bulky_waste"),
)


class ChitchatAction(Action, ABC):
    """Abstract, so rasa_sdk (which registers every imported Action subclass) skips it."""

    with_buttons: ClassVar[bool] = False

    @property
    @abstractmethod
    def action_name(self) -> str: ...

    @property
    @abstractmethod
    def message_key(self) -> str: ...

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        buttons = [{"title": render(key, lang), "payload": payload} for key, payload in HELP_BUTTONS]
        dispatcher.utter_message(
            text=render(self.message_key, lang, phone=CONSULT_PHONE), buttons=buttons if self.with_buttons else None
        )
        return []


class ActionGreet(ChitchatAction):
    action_name = "action_greet"
    message_key = "greet"


class ActionGoodbye(ChitchatAction):
    action_name = "action_goodbye"
    message_key = "goodbye"


class ActionThank(ChitchatAction):
    action_name = "action_thank"
    message_key = "thank"


class ActionHelp(ChitchatAction):
    action_name = "action_help"
    message_key = "help"
    with_buttons = True
