"""Reference requests (レファレンス): the resident's question, the library to answer at, a contact, consent and a
confirmation, taken down in a Rasa form, stored in the application database and confirmed with a number; the
status can be asked for with that number. Staff list and export requests on the staff page (channels/staff.py).
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.errors import StoreUnavailable, send_unavailable
from actions.common.kb import places_or_none
from actions.common.offices import office_phone
from actions.common.offload import off_loop
from actions.common.replies import format_date, lang_of, latest_text
from actions.common.store import call
from actions.library import CONTACT_OFFICE
from translations.messages import render

FORM = "reference_request_form"
SLOTS = ("ref_question", "ref_library", "ref_contact", "ref_consent", "ref_confirm")
ANY_LIBRARY = "any"
MIN_QUESTION = 5
MAX_QUESTION = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Japanese numbers (0 + 9–10 digits) or international ones (+ and 8–15 digits), with spaces, dots or hyphens.
_PHONE = re.compile(r"^(?:\+\d{8,15}|0\d{9,10})$")
# "Any library" in the languages residents write; matched on the NFKC-lowered text.
_ANY_WORDS = (
    "どこでも", "任意", "any", "anywhere", "任何", "어디든", "bất kỳ", "bat ky", "kahit saan", "जहाँ पनि", "qualquer",
    "cualquiera", "mana saja", "dimana saja",
)  # fmt: skip


def _clear_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in SLOTS]


def normalise_contact(text: str) -> str | None:
    """An e-mail address or a phone number as stored; None when it is neither."""
    value = unicodedata.normalize("NFKC", text).strip()
    if _EMAIL.match(value):
        return value
    digits = re.sub(r"[\s\-.()]", "", value)
    return digits if _PHONE.match(digits) else None


def main_libraries(places: Any) -> list[str]:
    """The eight city libraries (not branches, rooms or the prefectural library), as offered on buttons."""
    return [
        office.id
        for office in places.offices.values()
        if office.kind == "library" and office.id.endswith("_library") and not office.id.startswith("prefectural")
    ]


def library_label(places: Any, library: str | None, lang: str) -> str:
    if not library or library == ANY_LIBRARY or places is None or library not in places.offices:
        return render("ref_any_library", lang)
    return places.office_name(library, lang)


def _yes_no(lang: str) -> list[dict[str, str]]:
    return [
        {"title": render("ref_button_yes", lang), "payload": "/affirm"},
        {"title": render("ref_button_no", lang), "payload": "/deny"},
    ]


async def _places() -> Any:
    return await places_or_none()


class ValidateReferenceRequestForm(FormValidationAction):
    def name(self) -> str:
        return "validate_reference_request_form"

    async def validate_ref_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if text.startswith("/") or len(text) < MIN_QUESTION:
            dispatcher.utter_message(text=render("ref_invalid_question", lang_of(tracker)))
            return {"ref_question": None}
        return {"ref_question": text[:MAX_QUESTION]}

    async def validate_ref_library(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        lowered = unicodedata.normalize("NFKC", text).lower()
        if any(word in lowered for word in _ANY_WORDS):
            return {"ref_library": ANY_LIBRARY}
        places = await _places()
        if places is not None and text and not text.startswith("/"):
            from knowledge_base.places import find_offices

            found = await off_loop(find_offices, places, text, ("library",))
            if found:
                return {"ref_library": found[0].id}
        lang = lang_of(tracker)
        dispatcher.utter_message(
            text=render("ref_unknown_library", lang, text=text[:40]), buttons=_library_buttons(places, lang)
        )
        return {"ref_library": None}

    async def validate_ref_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        contact = normalise_contact(str(value or ""))
        if contact is None:
            dispatcher.utter_message(text=render("ref_invalid_contact", lang_of(tracker)))
        return {"ref_contact": contact}

    async def validate_ref_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is False:  # nothing more to ask: the submit action explains and stores nothing
            return {"ref_consent": False, "ref_confirm": False}
        return {"ref_consent": value}

    async def validate_ref_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is False:  # the resident wants to change an answer: ask everything again
            dispatcher.utter_message(text=render("ref_changed", lang_of(tracker)))
            return {"ref_confirm": None, "ref_question": None, "ref_library": None, "ref_contact": None}
        return {"ref_confirm": value}


def _library_buttons(places: Any, lang: str) -> list[dict[str, str]]:
    if places is None:
        return []
    buttons = [
        {"title": places.office_name(o, lang), "payload": places.offices[o].name} for o in main_libraries(places)
    ]
    return [*buttons, {"title": render("ref_any_library", lang), "payload": render("ref_any_library", "ja")}]


class _AskAction(Action):
    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ActionAskRefQuestion(_AskAction):
    slot = "ref_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("ref_ask_question", lang_of(tracker)))
        return []


class ActionAskRefLibrary(_AskAction):
    slot = "ref_library"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        dispatcher.utter_message(text=render("ref_ask_library", lang), buttons=_library_buttons(await _places(), lang))
        return []


class ActionAskRefContact(_AskAction):
    slot = "ref_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("ref_ask_contact", lang_of(tracker)))
        return []


class ActionAskRefConsent(_AskAction):
    slot = "ref_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        dispatcher.utter_message(text=render("ref_ask_consent", lang), buttons=_yes_no(lang))
        return []


class ActionAskRefConfirm(_AskAction):
    slot = "ref_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        places = await _places()
        text = render(
            "ref_ask_confirm",
            lang,
            question=tracker.get_slot("ref_question") or "",
            library=library_label(places, tracker.get_slot("ref_library"), lang),
            contact=tracker.get_slot("ref_contact") or "",
        )
        buttons = [
            {"title": render("ref_button_yes", lang), "payload": "/affirm"},
            {"title": render("ref_button_change", lang), "payload": "/deny"},
        ]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionSubmitReference(Action):
    def name(self) -> str:
        return "action_submit_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        places = await _places()
        phone = office_phone(places, CONTACT_OFFICE) or ""
        events = [*_clear_slots(), SlotSet("last_domain", "library"), SlotSet("last_office", CONTACT_OFFICE)]
        if tracker.get_slot("ref_consent") is not True or tracker.get_slot("ref_confirm") is not True:
            dispatcher.utter_message(text=render("ref_no_consent", lang, phone=phone))
            return events
        library = tracker.get_slot("ref_library")
        try:
            request = await asyncio.to_thread(
                call,
                lambda repos: repos.reference_requests.create(
                    question=tracker.get_slot("ref_question") or "",
                    contact=tracker.get_slot("ref_contact") or "",
                    library=None if library in (None, ANY_LIBRARY) else library,
                    lang=lang,
                    consent=True,
                    sender_id=tracker.sender_id,
                ),
            )
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, phone)
            return events
        dispatcher.utter_message(text=render("ref_submitted", lang, number=request.number))
        return events


class ActionCancelReference(Action):
    def name(self) -> str:
        return "action_cancel_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("ref_cancelled", lang_of(tracker)))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_clear_slots()]


class ActionReferenceStatus(Action):
    def name(self) -> str:
        return "action_reference_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        from storage.repositories import parse_reference_number

        lang = lang_of(tracker)
        number = parse_reference_number(latest_text(tracker))
        if number is None:
            dispatcher.utter_message(text=render("ref_status_ask_number", lang))
            return []
        try:
            request = await asyncio.to_thread(call, lambda repos: repos.reference_requests.get(number))
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, office_phone(await _places(), CONTACT_OFFICE))
            return []
        if request is None:
            dispatcher.utter_message(text=render("ref_status_not_found", lang, number=number))
            return []
        status = render(f"ref_status_{request.status}", lang)
        day = format_date(request.created_at.date(), lang)
        dispatcher.utter_message(text=render("ref_status", lang, number=number, status=status, date=day))
        return [SlotSet("last_domain", "library"), SlotSet("last_office", CONTACT_OFFICE)]
