"""Greeting, goodbye, thanks and help: short replies in the resident's language (templates in translations/)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.domains import action_domains
from actions.common.fallback import _places, call_centre_phone, capabilities
from actions.common.replies import lang_of
from translations.messages import render


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
        places = await _places()
        text = render(self.message_key, lang, capabilities=capabilities(lang, places), phone=call_centre_phone(places))
        buttons = [
            {"title": render(key, lang), "payload": payload}
            for domain in action_domains()
            for key, payload in domain.help_buttons
        ]
        dispatcher.utter_message(text=text, buttons=buttons if self.with_buttons else None)
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
