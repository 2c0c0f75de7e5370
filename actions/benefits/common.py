"""What the benefits actions share: the programmes and places from the knowledge base, the household a resident
described (slots → knowledge_base.benefits.Household), a programme's text in the resident's language, its desk, the
storage, and the channels reminders can go by.

The programmes' own text (names, amounts, how to apply) comes from the engine's data and its renderer
(knowledge_base/benefits/render.py); the assistant's own words are in translations/messages/<lang>/benefits.yml.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.benefits import CONTACT_OFFICE
from actions.benefits.parsing import INSURANCES, SKIP
from actions.common.contacts import CALL_CENTRE_PHONE
from actions.common.errors import KnowledgeBaseUnavailable
from actions.common.kb import kb_async
from actions.common.offices import office_phone
from actions.common.replies import line_user
from actions.common.store import call
from settings import GatewaySettings, MailSettings
from translations.messages import render

if TYPE_CHECKING:
    from datetime import date

    from knowledge_base.benefits import Household, Programme, Programmes
    from knowledge_base.places import Places
    from storage.repositories import Repositories

T = TypeVar("T")
DOMAIN = "benefits"
HOUSEHOLD_SLOT = "bf_household"  # the last screening's answers, for single questions and the opt-in
# Question code of the engine (knowledge_base.benefits.QUESTION_CODES) → slot of the screening form.
QUESTION_SLOTS: dict[str, str] = {
    "children": "bf_children",
    "pregnant": "bf_pregnant",
    "single_parent": "bf_single_parent",
    "child_disability": "bf_child_disability",
    "resident_age": "bf_resident_age",
    "insurance": "bf_insurance",
    "income_band": "bf_income_band",
    "welfare": "bf_welfare",
}
WARD_SLOT = "bf_ward"
SCREENING_SLOTS = (*QUESTION_SLOTS.values(), WARD_SLOT)
TOWN_WARD_SLOT = "town_ward"  # the garbage domain's: the ward name (中央区) once the resident gave their town
YOUNG_CHILD_MONTHS = 72  # vaccinations and check-ups: children before school age


class BenefitsKnowledge:
    """The programmes (engine data) and the shared places (offices, wards, opening hours)."""

    def __init__(self, programmes: Programmes, places: Places | None) -> None:
        self.programmes = programmes
        self.places = places


async def knowledge() -> BenefitsKnowledge:
    """Raises KnowledgeBaseUnavailable when the knowledge base or its benefits domain is missing."""
    kb = await kb_async()
    try:
        programmes = kb.domain(DOMAIN).programmes
    except (KeyError, AttributeError) as exc:  # an index built before the domain existed, a broken data folder
        raise KnowledgeBaseUnavailable(f"no {DOMAIN} domain in the knowledge base") from exc
    return BenefitsKnowledge(programmes, getattr(kb, "places", None))


async def store(operation: Callable[[Repositories], T]) -> T:
    """One storage call in a worker thread; a database failure raises StoreUnavailable (logged by type only)."""
    return await asyncio.to_thread(call, operation)


def domain_events(office: str | None = CONTACT_OFFICE) -> list[EventType]:
    return [SlotSet("last_domain", DOMAIN), SlotSet("last_office", office or CONTACT_OFFICE)]


def contact_phone(places: Places | None) -> str:
    return office_phone(places, CONTACT_OFFICE) or CALL_CENTRE_PHONE


# --- the household ------------------------------------------------------------------------------------------------


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _children(value: Any) -> list[int] | None:
    if isinstance(value, list) and all(isinstance(m, int) and not isinstance(m, bool) for m in value):
        return value
    return None


def answers_of(tracker: Tracker) -> dict[str, Any]:
    """The screening's answers as the slots hold them now (validated values, "skip", or raw text being checked)."""
    return {code: tracker.get_slot(slot) for code, slot in QUESTION_SLOTS.items()}


def household_of(answers: Mapping[str, Any], today: date) -> Household:
    """The engine's household: an answer that is skipped, missing or not (yet) understood is unknown (None)."""
    from knowledge_base.benefits import Child, Household

    months = _children(answers.get("children"))
    disability = _flag(answers.get("child_disability"))
    children = None if months is None else tuple(Child(m, disability=disability if months else None) for m in months)
    age = answers.get("resident_age")
    insurance = answers.get("insurance")
    band = answers.get("income_band")
    return Household(
        today=today,
        children=children,
        pregnant=_flag(answers.get("pregnant")),
        single_parent=_flag(answers.get("single_parent")),
        resident_age=age if isinstance(age, int) and not isinstance(age, bool) else None,
        insurance=insurance if insurance in INSURANCES else None,
        income_band=band if isinstance(band, str) and band != SKIP and not band.startswith("/") else None,
        welfare=_flag(answers.get("welfare")),
    )


def saved_household(tracker: Tracker, today: date) -> Household | None:
    """The household of the last screening in this conversation, if there was one."""
    saved = tracker.get_slot(HOUSEHOLD_SLOT)
    return household_of(saved, today) if isinstance(saved, dict) else None


def young_children(household: Household | None) -> list[int]:
    return [c.age_months for c in (household.children or ()) if c.age_months < YOUNG_CHILD_MONTHS] if household else []


# --- wards --------------------------------------------------------------------------------------------------------


def ward_id_of(tracker: Tracker, places: Places | None) -> str | None:
    """The resident's ward id: answered in the screening, else from the town they gave (garbage domain)."""
    if places is None:
        return None
    answered = tracker.get_slot(WARD_SLOT)
    if isinstance(answered, str) and answered in places.wards:
        return answered
    saved = tracker.get_slot(HOUSEHOLD_SLOT)
    if isinstance(saved, dict) and saved.get("ward") in places.wards:
        return str(saved["ward"])
    name = tracker.get_slot(TOWN_WARD_SLOT)
    return next((ward.id for ward in places.wards.values() if name and ward.name == name), None)


def ward_known(tracker: Tracker, places: Places | None) -> bool:
    return ward_id_of(tracker, places) is not None


# --- a programme's desk -------------------------------------------------------------------------------------------


def desk_office(programme: Programme, places: Places | None, ward: str | None) -> str | None:
    """The office id of places/ where the programme is applied for: its office, or the resident's ward office."""
    from knowledge_base.benefits.models import RESIDENT_WARD_OFFICE

    office = programme.apply.office
    if office != RESIDENT_WARD_OFFICE:
        return office if places is None or office in places.offices else None
    if places is None or ward not in places.wards:
        return None
    return places.wards[ward].ward_office


def needs_ward(programme: Programme) -> bool:
    """Whether the desk (or its phone) depends on the resident's ward."""
    from knowledge_base.benefits.models import RESIDENT_WARD_OFFICE

    return programme.apply.office == RESIDENT_WARD_OFFICE or bool(programme.apply.desk_phones)


def curated_apply(programme: Programme, lang: str) -> str:
    """How to apply in `lang` (curated), else English (not for やさしい日本語), else the Japanese data text."""
    if lang.startswith("ja"):
        text = programme.translations.get(lang)
        return text.apply if text and lang != "ja" and text.apply else programme.apply.how
    for code in (lang, "en"):
        text = programme.translations.get(code)
        if text and text.apply:
            return text.apply
    return programme.apply.how


# --- channels for reminders ---------------------------------------------------------------------------------------


def email_enabled() -> bool:
    """E-mail to residents is on when an SMTP host is set (CHIBA_SMTP_HOST)."""
    return MailSettings.from_env().configured


def reminder_channels(tracker: Tracker) -> list[str]:
    """The channels reminders can go by for this conversation: LINE only on LINE, e-mail only when it is on."""
    channels = ["line"] if line_user(tracker) else []
    if email_enabled():
        channels.append("email")
    return channels


def stop_url(token: str) -> str:
    return f"{GatewaySettings.from_env().public_base}/for-you/stop?t={token}"


def skip_button(lang: str, intent: str = "screen_benefits") -> dict[str, str]:
    return {"title": render("bf_button_skip", lang), "payload": f'/{intent}{{"bf_value": "{SKIP}"}}'}


def value_button(title: str, value: str, intent: str = "screen_benefits") -> dict[str, str]:
    return {"title": title, "payload": f'/{intent}{{"bf_value": "{value}"}}'}


def yes_no_buttons(lang: str) -> list[dict[str, str]]:
    return [
        {"title": render("bf_button_yes", lang), "payload": "/affirm"},
        {"title": render("bf_button_no", lang), "payload": "/deny"},
    ]
