"""The screening: `benefits_screening_form` asks at most ten questions (eight of the engine and the ward), each with a
"skip / わからない" button, and only those still worth asking: `required_slots` follows the engine's
`needed_questions` for the answers so far — no child questions for a household without children, income only as
ranges and only when an undecided programme depends on it, the ward only when a result's desk (or its phone)
depends on it and the resident's town did not already tell. Then `action_submit_benefits_screening` lists the
programmes the household can use (eligible) and may use (with what to check), with the amounts for today, the
vaccinations and check-ups due now, how to apply and the source — in the resident's language, with a clear note
that the city decides, and the offer of For You reminders when there is a young child.

Answers are parsed in the ten languages by actions/benefits/parsing.py; a skipped answer is "skip" (unknown to the
engine, so the programmes it decides stay "maybe"). Nothing a resident answers is logged or stored outside the
conversation (whose tracker "forget me" deletes).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import date
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.benefits.common import (
    HOUSEHOLD_SLOT,
    QUESTION_SLOTS,
    SCREENING_SLOTS,
    WARD_SLOT,
    BenefitsKnowledge,
    answers_of,
    contact_phone,
    curated_apply,
    desk_office,
    domain_events,
    household_of,
    knowledge,
    needs_ward,
    skip_button,
    value_button,
    ward_id_of,
    ward_known,
    yes_no_buttons,
    young_children,
)
from actions.benefits.parsing import (
    INSURANCES,
    NO,
    SKIP,
    YES,
    fold,
    is_skip,
    parse_age,
    parse_children,
    parse_insurance,
    parse_yes_no,
)
from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.kb import places_or_none
from actions.common.offices import office_lines
from actions.common.offload import off_loop
from actions.common.replies import lang_of, latest_entity, latest_text, send_sources, unique
from settings import ActionSettings
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.benefits import Finding, Household, Programmes
    from knowledge_base.places import Places

FORM = "benefits_screening_form"
MAX_QUESTIONS = 10
YES_NO_CODES = ("pregnant", "single_parent", "child_disability", "welfare")
CODE_OF_SLOT = {slot: code for code, slot in QUESTION_SLOTS.items()}
# Intents the NLU gives a typed yes or no (used only when the words themselves say nothing).
_INTENT_ANSWERS = {"affirm": YES, "deny": NO}
_NLU_CONFIDENT = 0.8
MAX_MESSAGE_CHARS = 3500  # one chat bubble; LINE allows 5,000 per message


def _is_payload(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("/")


def _answered(value: Any) -> bool:
    return value is not None


# --- which questions --------------------------------------------------------------------------------------------


def question_slots(answers: dict[str, Any], ward_answer: Any, ward_given: bool, know: BenefitsKnowledge | None,
                   today: date) -> list[str]:  # fmt: skip
    """The form's slots for the answers so far: the ones answered (validated or being validated) and then the ones
    the engine still needs, in the engine's order; the ward last, unless it is known already, when the desk of a
    result (or its phone) depends on the resident's ward. Without the engine (knowledge base down) every question
    is asked, but not the child-only ones for a household without children."""
    answered = [slot for code, slot in QUESTION_SLOTS.items() if _answered(answers.get(code))]
    household = household_of(answers, today)
    if know is None:
        from knowledge_base.benefits.models import CHILDREN_ONLY_QUESTIONS

        skipped = CHILDREN_ONLY_QUESTIONS if household.children == () else frozenset()
        needed = [code for code in QUESTION_SLOTS if code not in skipped]
    else:
        from knowledge_base.benefits import needed_questions

        needed = needed_questions(household, know.programmes)
    remaining = [QUESTION_SLOTS[code] for code in needed if not _answered(answers.get(code))]
    slots = [*answered, *remaining]
    ask_ward = not remaining and not ward_given and know is not None and _ward_matters(household, know.programmes)
    if _answered(ward_answer) or ask_ward:
        slots.append(WARD_SLOT)
    return slots[:MAX_QUESTIONS]


def _ward_matters(household: Household, programmes: Programmes) -> bool:
    from knowledge_base.benefits import screen

    return any(needs_ward(programmes.get(f.programme_id)) for f in screen(household, programmes))


# --- the form's validation ----------------------------------------------------------------------------------------


class ValidateBenefitsScreeningForm(FormValidationAction):
    def name(self) -> str:
        return "validate_benefits_screening_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if (tracker.active_loop or {}).get("name") != FORM:
            return await self._start(dispatcher, tracker, domain)
        return await super().run(dispatcher, tracker, domain)

    async def _start(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """A new screening: earlier answers are forgotten; children named in the request are taken as the answer
        ("I have a 2 year old and a newborn, what can we get?")."""
        events: list[EventType] = [SlotSet(slot, None) for slot in SCREENING_SLOTS]
        for slot in SCREENING_SLOTS:
            tracker.slots[slot] = None
        text = latest_text(tracker)
        children = parse_children(text) if text and not text.startswith("/") else None
        if isinstance(children, list) and children:
            events.append(SlotSet("bf_children", children))
            tracker.slots["bf_children"] = children
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return [*events, next_slot] if next_slot else events

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        today = ActionSettings.from_env().today()
        try:
            know: BenefitsKnowledge | None = await knowledge()
        except KnowledgeBaseUnavailable:
            know = None
        places = know.places if know is not None else await places_or_none()
        # The engine tries the possible answers of every open question (~10 ms): off the action server's loop.
        return await off_loop(
            question_slots,
            answers_of(tracker),
            tracker.get_slot(WARD_SLOT),
            _ward_from_elsewhere(tracker, places),
            know,
            today,
        )

    # Each validator returns the parsed answer, or None with a hint (the form then asks the question again).

    async def validate_bf_children(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        children = parse_children(value)
        if children is None:
            if not _is_payload(value):
                dispatcher.utter_message(text=render("bf_hint_children", lang_of(tracker)))
            return {"bf_children": None}
        return {"bf_children": children}

    async def validate_bf_pregnant(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:  # fmt: skip
        return _yes_no("bf_pregnant", value, dispatcher, tracker)

    async def validate_bf_single_parent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:  # fmt: skip
        return _yes_no("bf_single_parent", value, dispatcher, tracker)

    async def validate_bf_child_disability(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> dict[str, Any]:  # fmt: skip
        return _yes_no("bf_child_disability", value, dispatcher, tracker)

    async def validate_bf_welfare(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:  # fmt: skip
        return _yes_no("bf_welfare", value, dispatcher, tracker)

    async def validate_bf_resident_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        age = parse_age(value)
        if age is None and not _is_payload(value):
            dispatcher.utter_message(text=render("bf_hint_age", lang_of(tracker)))
        return {"bf_resident_age": age}

    async def validate_bf_insurance(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        insurance = parse_insurance(value)
        if insurance is None and not _is_payload(value):
            dispatcher.utter_message(text=render("bf_hint_choice", lang_of(tracker)))
        return {"bf_insurance": insurance}

    async def validate_bf_income_band(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = lang_of(tracker)
        try:
            programmes: Programmes | None = (await knowledge()).programmes
        except KnowledgeBaseUnavailable:
            programmes = None
        band = _band(value, lang, programmes)
        if band is None and not _is_payload(value):
            dispatcher.utter_message(text=render("bf_hint_choice", lang))
        return {"bf_income_band": band}

    async def validate_bf_ward(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        places = await places_or_none()
        ward = _ward(value, places)
        if ward is None and not _is_payload(value):
            dispatcher.utter_message(text=render("bf_hint_choice", lang_of(tracker)))
        return {WARD_SLOT: ward}


def _yes_no(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    answer = parse_yes_no(value)
    if answer is None:
        intent = (tracker.latest_message or {}).get("intent") or {}
        if float(intent.get("confidence") or 0) >= _NLU_CONFIDENT:
            answer = _INTENT_ANSWERS.get(str(intent.get("name")))
    if answer is None:
        if not _is_payload(value):
            dispatcher.utter_message(text=render("bf_hint_yes_no", lang_of(tracker)))
        return {slot: None}
    return {slot: SKIP if answer == SKIP else answer == YES}


def _band(value: Any, lang: str, programmes: Programmes | None) -> str | None:
    """A band code (a button), "skip", or a typed band label in the resident's language or Japanese."""
    raw = str(value or "").strip()
    if raw == SKIP or is_skip(raw):
        return SKIP
    if programmes is None:
        return None
    codes = [band.code for band in programmes.income_bands]
    if raw in codes:
        return raw
    from knowledge_base.benefits import band_label

    folded = fold(raw)
    for code in codes:
        labels = {fold(band_label(code, lang, programmes)), fold(band_label(code, "ja", programmes))}
        if folded in labels:
            return code
    return None


def _ward(value: Any, places: Places | None) -> str | None:
    """A ward id (a button), "skip", or the ward named in a typed answer (中央区, Chuo, Quận Chuo)."""
    raw = str(value or "").strip()
    if raw == SKIP or is_skip(raw):
        return SKIP
    if places is None:
        return None
    if raw in places.wards:
        return raw
    from knowledge_base.places import find_wards

    found = {ward.id for ward in find_wards(places, raw)}
    if not found:  # "Chuo", "quan Inage": the romaji name alone, as a word
        folded = fold(raw)
        for ward in places.wards.values():
            stem = ward.romaji.split("-")[0].lower()
            if re.search(rf"(?<![a-z]){re.escape(stem)}(?![a-z])", folded):
                found.add(ward.id)
    return found.pop() if len(found) == 1 else None


def _ward_from_elsewhere(tracker: Tracker, places: Places | None) -> bool:
    """The ward is known without asking: the town the resident gave earlier (garbage domain)."""
    saved_ward = tracker.get_slot(WARD_SLOT)
    if _answered(saved_ward):
        return False  # answered in this screening: the form validates it
    return ward_known(tracker, places)


# --- the questions ------------------------------------------------------------------------------------------------


def _question_number(tracker: Tracker, slot: str) -> int:
    return 1 + sum(1 for other in SCREENING_SLOTS if other != slot and _answered(tracker.get_slot(other)))


def _question_text(tracker: Tracker, slot: str, key: str, lang: str) -> str:
    return render("bf_question_number", lang, n=_question_number(tracker, slot)) + render(key, lang)


def _starting(tracker: Tracker) -> bool:
    """The first question of a screening the resident has just asked for (the message that started it, not a skip
    button, which comes back as the same intent with a `bf_value`)."""
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    return intent == "screen_benefits" and latest_entity(tracker, "bf_value") is None


class _AskAction(Action, ABC):
    """Abstract (rasa_sdk registers only concrete Action subclasses): one subclass per question."""

    key = ""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def buttons(self, lang: str, know: BenefitsKnowledge | None) -> list[dict[str, str]]:
        return [*yes_no_buttons(lang), skip_button(lang)]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        try:
            know: BenefitsKnowledge | None = await knowledge()
        except KnowledgeBaseUnavailable:
            know = None
        if _starting(tracker):
            # Said here, with the first question: Rasa keeps only the slot events of a validation run at activation.
            dispatcher.utter_message(text=render("bf_intro", lang, max=MAX_QUESTIONS))
        dispatcher.utter_message(text=_question_text(tracker, self.slot, self.key, lang),
                                 buttons=self.buttons(lang, know))  # fmt: skip
        return []


class ActionAskBfChildren(_AskAction):
    slot, key = "bf_children", "bf_ask_children"

    def buttons(self, lang: str, know: BenefitsKnowledge | None) -> list[dict[str, str]]:
        return [value_button(render("bf_button_no_children", lang), "none"), skip_button(lang)]


class ActionAskBfPregnant(_AskAction):
    slot, key = "bf_pregnant", "bf_ask_pregnant"


class ActionAskBfSingleParent(_AskAction):
    slot, key = "bf_single_parent", "bf_ask_single_parent"


class ActionAskBfChildDisability(_AskAction):
    slot, key = "bf_child_disability", "bf_ask_child_disability"


class ActionAskBfWelfare(_AskAction):
    slot, key = "bf_welfare", "bf_ask_welfare"


class ActionAskBfResidentAge(_AskAction):
    slot, key = "bf_resident_age", "bf_ask_resident_age"

    def buttons(self, lang: str, know: BenefitsKnowledge | None) -> list[dict[str, str]]:
        return [skip_button(lang)]


class ActionAskBfInsurance(_AskAction):
    slot, key = "bf_insurance", "bf_ask_insurance"

    def buttons(self, lang: str, know: BenefitsKnowledge | None) -> list[dict[str, str]]:
        return [*(value_button(render(f"bf_insurance_{code}", lang), code) for code in INSURANCES), skip_button(lang)]


class ActionAskBfIncomeBand(_AskAction):
    slot, key = "bf_income_band", "bf_ask_income_band"

    def buttons(self, lang: str, know: BenefitsKnowledge | None) -> list[dict[str, str]]:
        if know is None:
            return [skip_button(lang)]
        from knowledge_base.benefits import band_label

        bands = [value_button(band_label(b.code, lang, know.programmes), b.code) for b in know.programmes.income_bands]
        return [*bands, skip_button(lang)]


class ActionAskBfWard(_AskAction):
    slot, key = "bf_ward", "bf_ask_ward"

    def buttons(self, lang: str, know: BenefitsKnowledge | None) -> list[dict[str, str]]:
        places = know.places if know is not None else None
        wards = [value_button(places.ward_name(ward_id, lang), ward_id) for ward_id in places.wards] if places else []
        return [*wards, skip_button(lang)]


# --- the result ---------------------------------------------------------------------------------------------------


def _has_schedule_only(finding: Finding, programmes: Programmes) -> bool:
    """A vaccination or check-up the children will have later, with nothing due now and nothing to pay."""
    return bool(programmes.get(finding.programme_id).schedule) and not finding.due and not finding.amounts


def programme_block(finding: Finding, know: BenefitsKnowledge, household: Household, lang: str, ward: str | None,
                    now: Any, detailed: bool, shown: set[str] | None = None) -> str:  # fmt: skip
    """One programme of the result: its name, amounts for today (with the fiscal-year note), what is due now, what
    to check (for "maybe"), how to apply (said once when programmes share it: `shown`) and the desk with its phone
    for the resident's ward and whether it is open now, the source."""
    from knowledge_base.benefits import amount_lines, check_text, due_lines, programme_name

    programmes = know.programmes
    programme = programmes.get(finding.programme_id)
    today = household.today
    lines = [f"【{programme_name(programme, lang)}】"]
    lines += amount_lines(programme, finding.amounts, lang, today, household, programmes)
    lines += due_lines(programme, finding.due, lang, programmes)
    if finding.checks:
        checks = [check_text(code, lang, programmes) for code in finding.checks]
        lines.append(render("bf_checks", lang, checks=" ".join(checks)))
    if detailed:
        how = curated_apply(programme, lang)
        if shown is not None and how in shown:
            lines.append(render("bf_apply_as_above", lang))
        else:
            lines.append(render("bf_how_to_apply", lang, how=how))
            if shown is not None:
                shown.add(how)
        if programme.apply.online:
            lines.append(render("bf_online", lang, url=programme.apply.online))
        phone = programme.apply.desk_phones.get(ward) if ward else None
        if phone and know.places is not None and ward in know.places.wards:
            lines.append(render("bf_desk_phone", lang, ward=know.places.ward_name(ward, lang), phone=phone))
        office = desk_office(programme, know.places, ward)
        if office and office != "call_centre" and know.places is not None:
            lines += office_lines(know.places, office, lang, now)
    lines.append(render("bf_source", lang, url=programme.source))
    return "\n".join(lines)


def _chunks(blocks: list[str], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Blocks joined into messages of at most `limit` characters (a block is never split)."""
    out: list[str] = []
    for block in blocks:
        if out and len(out[-1]) + len(block) + 2 <= limit:
            out[-1] += "\n\n" + block
        else:
            out.append(block)
    return out


def result_messages(findings: list[Finding], know: BenefitsKnowledge, household: Household, lang: str,
                    ward: str | None, settings: ActionSettings) -> list[str]:  # fmt: skip
    """The result as chat messages: the programmes the household can use, those it may use with what to check,
    the routine vaccinations and check-ups for later, the desk, and that the city decides."""
    from knowledge_base.benefits import ELIGIBLE, programme_name

    programmes = know.programmes
    now = settings.now()
    later = [f for f in findings if f.status == ELIGIBLE and _has_schedule_only(f, programmes)]
    eligible = [f for f in findings if f.status == ELIGIBLE and f not in later]
    maybe = [f for f in findings if f.status != ELIGIBLE]
    messages: list[str] = []
    if eligible:
        blocks = [render("bf_result_eligible", lang, count=len(eligible))]
        shown: set[str] = set()
        blocks += [programme_block(f, know, household, lang, ward, now, detailed=True, shown=shown) for f in eligible]
        messages += _chunks(blocks)
    else:
        messages.append(render("bf_result_none_sure", lang))
    if later:
        names = render("list_separator", lang).join(programme_name(programmes.get(f.programme_id), lang) for f in later)
        messages.append(render("bf_result_later", lang, names=names))
    if maybe:
        blocks = [render("bf_result_maybe", lang, count=len(maybe))]
        blocks += [programme_block(f, know, household, lang, ward, now, detailed=False) for f in maybe]
        messages += _chunks(blocks)
    places = know.places
    contact = office_lines(places, "call_centre", lang, now) if places is not None else []
    messages.append("\n".join([render("bf_result_contact", lang), *contact]))
    return messages


class ActionSubmitBenefitsScreening(Action):
    def name(self) -> str:
        return "action_submit_benefits_screening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        from knowledge_base.benefits import screen

        lang = lang_of(tracker)
        settings = ActionSettings.from_env()
        answers = answers_of(tracker)
        clear = [SlotSet(slot, None) for slot in SCREENING_SLOTS]
        try:
            know = await knowledge()
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, contact_phone(await places_or_none()))
            return [*clear, *domain_events()]
        household = household_of(answers, settings.today())
        ward = ward_id_of(tracker, know.places)
        findings = screen(household, know.programmes)
        for text in result_messages(findings, know, household, lang, ward, settings):
            dispatcher.utter_message(text=text)
        buttons = None
        closing = [render("bf_city_decides", lang)]
        if young_children(household):
            closing.append(render("bf_offer_reminders", lang))
            buttons = [
                {"title": render("bf_button_reminders", lang), "payload": "/subscribe_benefit_reminders"},
                {"title": render("bf_button_no_thanks", lang), "payload": "/thank"},
            ]
        closing.append(render("bf_ask_more", lang))
        dispatcher.utter_message(text="\n".join(closing), buttons=buttons)
        sources = [know.programmes.get(f.programme_id).source for f in findings]
        send_sources(dispatcher, unique(sources))
        saved = {code: value for code, value in answers.items() if value is not None}
        saved["ward"] = ward
        return [*clear, SlotSet(HOUSEHOLD_SLOT, saved), *domain_events()]


class ActionCancelBenefitsForm(Action):
    """「やめる」 in the screening or the opt-in: nothing is kept, nothing is stored."""

    def name(self) -> str:
        return "action_cancel_benefits_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        from actions.benefits.reminders import REMINDER_FORM, REMINDER_SLOTS

        lang = lang_of(tracker)
        active = (tracker.active_loop or {}).get("name")
        if active == REMINDER_FORM:
            dispatcher.utter_message(text=render("br_stopped", lang))
            slots = REMINDER_SLOTS
        else:
            dispatcher.utter_message(text=render("bf_stopped", lang))
            slots = SCREENING_SLOTS
        return [ActiveLoop(None), SlotSet("requested_slot", None), *(SlotSet(slot, None) for slot in slots)]
