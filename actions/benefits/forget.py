"""action_forget_me: "delete my data" — first asks to confirm (yes/no buttons that come back as
/forget_me{"forget_confirm": "yes"|"no"}; a typed yes or no right after the question answers it too), then says, in
the resident's language, that everything is deleted and attaches the custom message {"forget_me": true}.

The deletion itself happens in the gateway after this reply (channels/forget.py: the application database's rows of
the sender and Rasa's stored conversation), because Rasa saves the tracker again after every action: deleting it
here would be undone. In the middle of a form, "forget me" ends the form first.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.benefits.common import HOUSEHOLD_SLOT, SCREENING_SLOTS
from actions.benefits.reminders import REMINDER_SLOTS
from actions.common.replies import intent_button, lang_of, latest_entity
from translations.messages import render

ASKED_SLOT = "forget_asked"
CONFIRM_ENTITY = "forget_confirm"
FORGET_INTENT = "forget_me"
FORGET_PAYLOAD = {"forget_me": True}  # the gateway deletes the sender's data when a reply carries it


def _answer(tracker: Tracker) -> str | None:
    """Yes or no from the buttons, or from a typed yes / no right after the question; None: not answered yet."""
    button = latest_entity(tracker, CONFIRM_ENTITY)
    if button in ("yes", "no"):
        return button
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if tracker.get_slot(ASKED_SLOT) is True and intent in ("affirm", "deny"):
        return "yes" if intent == "affirm" else "no"
    return None


def confirm_buttons(lang: str) -> list[dict[str, str]]:
    return [
        intent_button(render("forget_button_yes", lang), FORGET_INTENT, **{CONFIRM_ENTITY: "yes"}),
        intent_button(render("forget_button_no", lang), FORGET_INTENT, **{CONFIRM_ENTITY: "no"}),
    ]


class ActionForgetMe(Action):
    def name(self) -> str:
        return "action_forget_me"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        events: list[EventType] = []
        if (tracker.active_loop or {}).get("name"):  # "forget me" in the middle of a form ends it
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
            events += [SlotSet(slot, None) for slot in (*SCREENING_SLOTS, *REMINDER_SLOTS)]
        answer = _answer(tracker)
        if answer == "yes":
            dispatcher.utter_message(text=render("forget_done", lang))
            dispatcher.utter_message(json_message=FORGET_PAYLOAD)
            cleared = (*SCREENING_SLOTS, *REMINDER_SLOTS, HOUSEHOLD_SLOT)
            return [*events, *(SlotSet(slot, None) for slot in cleared), SlotSet(ASKED_SLOT, None)]
        if answer == "no":
            dispatcher.utter_message(text=render("forget_kept", lang))
            return [*events, SlotSet(ASKED_SLOT, None)]
        dispatcher.utter_message(text=render("forget_ask", lang), buttons=confirm_buttons(lang))
        return [*events, SlotSet(ASKED_SLOT, True)]


class ActionForgetMeInForm(ActionForgetMe):
    """The same, when "forget me" comes in the middle of a form: a separate name because Rasa's rules need an action
    that always ends the active loop to be told apart from one that never does."""

    def name(self) -> str:
        return "action_forget_me_in_form"
