"""For You reminders, opt-in: `benefit_reminder_form` asks for consent (what is stored and why), the channel — LINE
only when the conversation is on LINE (sender "line:<id>"), e-mail only when e-mail is on (CHIBA_SMTP_HOST) — the
e-mail address (checked), the child's birth month, and a confirmation; `action_submit_benefit_reminders` stores the
subscription through `repos.benefits.subscribe` and says what comes next and how to stop.
`action_unsubscribe_benefit_reminders` stops every subscription of the sender.

Off LINE with e-mail off there is nothing to offer: the form asks nothing and the submit says so. The worker sends
the reminders (message `bf_reminder`); the assistant never logs an address or a LINE id.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.benefits.common import (
    contact_phone,
    domain_events,
    email_enabled,
    knowledge,
    line_user,
    reminder_channels,
    saved_household,
    stop_url,
    store,
    value_button,
    ward_id_of,
    yes_no_buttons,
)
from actions.benefits.parsing import NO, SKIP, YES, fold, mask_email, parse_birth_month, parse_email, parse_yes_no
from actions.common.errors import KnowledgeBaseUnavailable, StoreUnavailable, send_unavailable
from actions.common.kb import places_or_none
from actions.common.replies import format_date, lang_of, latest_entity, latest_text
from settings import ActionSettings
from translations.messages import render

if TYPE_CHECKING:
    from storage.benefits import Subscription
    from storage.repositories import Repositories

T = TypeVar("T")
REMINDER_FORM = "benefit_reminder_form"
REMINDER_SLOTS = ("br_consent", "br_channel", "br_email", "br_birth_month", "br_confirm")
INTENT = "subscribe_benefit_reminders"
UPCOMING_DAYS = 90  # the reply lists what the reminders will be about in the next three months
MAX_UPCOMING = 5
_CHANNEL_WORDS = {
    "line": ("line", "ライン", "라인", "라인으로", "लाइन"),
    "email": (
        "email", "e-mail", "mail", "メール", "電子メール", "めーる", "邮件", "电子邮件", "電子郵件", "이메일", "메일",
        "thu dien tu", "correo", "correo electronico", "surel", "surat elektronik", "इमेल", "इ-मेल",
    ),
}  # fmt: skip
_CHANNEL_PATTERNS = {
    channel: re.compile("|".join(rf"(?<![a-z]){re.escape(fold(w))}(?![a-z])" for w in words))
    for channel, words in _CHANNEL_WORDS.items()
}


def _is_payload(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("/")


def _month_code(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _month_of(value: Any) -> date | None:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = map(int, value.split("-"))
        return date(year, month, 1) if 1 <= month <= 12 else None
    return None


def month_label(month: date, lang: str) -> str:
    return render("br_month_label", lang, year=month.year, month=month.month)


def parse_channel(value: Any) -> str | None:
    raw = str(value or "").strip()
    if raw in _CHANNEL_WORDS:
        return raw
    folded = fold(raw)
    found = [channel for channel, pattern in _CHANNEL_PATTERNS.items() if pattern.search(folded)]
    return found[0] if len(found) == 1 else None


def reminder_slots(tracker: Tracker) -> list[str]:
    """The opt-in's questions for this conversation: nothing when no channel can be offered; after a "no" to the
    consent nothing more; the channel only when two are possible; the address only for e-mail."""
    channels = reminder_channels(tracker)
    if not channels:
        return []
    slots = ["br_consent"]
    if tracker.get_slot("br_consent") is False:
        return slots
    if len(channels) > 1:
        slots.append("br_channel")
        channel = tracker.get_slot("br_channel")
    else:
        channel = channels[0]
    if channel == "email":
        slots.append("br_email")
    return [*slots, "br_birth_month", "br_confirm"]


def candidate_months(tracker: Tracker, today: date) -> list[date]:
    """Birth months to offer as buttons: for each young child of the screening in this conversation, the two months
    its age in completed months allows (a 0-month-old was born this month or last month)."""
    from knowledge_base.benefits.dates import add_months

    household = saved_household(tracker, today)
    children = household.children or () if household is not None else ()
    months: list[date] = []
    for child in children:
        if child.age_months >= 72:
            continue
        latest = add_months(today, -child.age_months).replace(day=1)
        for month in (latest, add_months(latest, -1)):
            if month not in months:
                months.append(month)
    return months[:4]


class ValidateBenefitReminderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_benefit_reminder_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if (tracker.active_loop or {}).get("name") != REMINDER_FORM:
            return await self._start(dispatcher, tracker, domain)
        return await super().run(dispatcher, tracker, domain)

    async def _start(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """A new opt-in: earlier answers are forgotten; a birth month in the request is taken as the answer."""
        events: list[EventType] = [SlotSet(slot, None) for slot in REMINDER_SLOTS]
        for slot in REMINDER_SLOTS:
            tracker.slots[slot] = None
        today = ActionSettings.from_env().today()
        said = latest_entity(tracker, "bf_value") or latest_text(tracker)
        month = _month_of(said) or (parse_birth_month(said, today) if not said.startswith("/") else None)
        if month is not None:
            events.append(SlotSet("br_birth_month", _month_code(month)))
            tracker.slots["br_birth_month"] = _month_code(month)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return [*events, next_slot] if next_slot else events

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return reminder_slots(tracker)

    async def validate_br_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = parse_yes_no(value)
        if answer is None:
            if not _is_payload(value):
                dispatcher.utter_message(text=render("bf_hint_yes_no", lang_of(tracker)))
            return {"br_consent": None}
        return {"br_consent": answer == YES}  # "I don't know" is not a consent

    async def validate_br_channel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        channel = parse_channel(value)
        if channel not in reminder_channels(tracker):
            if not _is_payload(value):
                dispatcher.utter_message(text=render("bf_hint_choice", lang_of(tracker)))
            return {"br_channel": None}
        return {"br_channel": channel}

    async def validate_br_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        address = parse_email(value)
        if address is None and not _is_payload(value):
            dispatcher.utter_message(text=render("br_hint_email", lang_of(tracker)))
        return {"br_email": address}

    async def validate_br_birth_month(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        today = ActionSettings.from_env().today()
        month = _month_of(value) or parse_birth_month(value, today)
        if month is None or month > today.replace(day=1):
            if not _is_payload(value):
                dispatcher.utter_message(text=render("br_hint_birth_month", lang_of(tracker)))
            return {"br_birth_month": None}
        return {"br_birth_month": _month_code(month)}

    async def validate_br_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = parse_yes_no(value)
        if answer == YES:
            return {"br_confirm": True}
        if answer == NO:  # change something: ask again (the consent stands)
            dispatcher.utter_message(text=render("br_changed", lang_of(tracker)))
            return {"br_channel": None, "br_email": None, "br_birth_month": None, "br_confirm": None}
        if answer != SKIP and not _is_payload(value):
            dispatcher.utter_message(text=render("bf_hint_yes_no", lang_of(tracker)))
        return {"br_confirm": None}


# --- the questions ------------------------------------------------------------------------------------------------


def _channel_text(tracker: Tracker, lang: str) -> str:
    channels = reminder_channels(tracker)
    channel = tracker.get_slot("br_channel") or (channels[0] if len(channels) == 1 else None)
    if channel == "line":
        return render("br_channel_line", lang)
    if channel == "email":
        address = tracker.get_slot("br_email")
        if address:
            return render("br_channel_email_to", lang, address=mask_email(address))
        return render("br_channel_email", lang)
    return render("br_channel_line_or_email", lang)


class _AskAction(Action, ABC):
    """Abstract (rasa_sdk registers only concrete Action subclasses): one subclass per question."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ActionAskBrConsent(_AskAction):
    slot = "br_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        lines = [render("br_ask_consent", lang, channel=_channel_text(tracker, lang))]
        if line_user(tracker) and not email_enabled():
            lines.append(render("br_email_off_line", lang))
        dispatcher.utter_message(text="\n".join(lines), buttons=yes_no_buttons(lang))
        return []


class ActionAskBrChannel(_AskAction):
    slot = "br_channel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        buttons = [
            value_button(render("br_button_line", lang), "line", INTENT),
            value_button(render("br_button_email", lang), "email", INTENT),
        ]
        dispatcher.utter_message(text=render("br_ask_channel", lang), buttons=buttons)
        return []


class ActionAskBrEmail(_AskAction):
    slot = "br_email"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("br_ask_email", lang_of(tracker)))
        return []


class ActionAskBrBirthMonth(_AskAction):
    slot = "br_birth_month"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        today = ActionSettings.from_env().today()
        buttons = [
            value_button(month_label(month, lang), _month_code(month), INTENT)
            for month in candidate_months(tracker, today)
        ]
        dispatcher.utter_message(text=render("br_ask_birth_month", lang), buttons=buttons or None)
        return []


class ActionAskBrConfirm(_AskAction):
    slot = "br_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        month = _month_of(tracker.get_slot("br_birth_month"))
        text = render(
            "br_ask_confirm",
            lang,
            channel=_channel_text(tracker, lang),
            month=month_label(month, lang) if month else "",
        )
        buttons = [
            *yes_no_buttons(lang)[:1],
            {"title": render("bf_button_change", lang), "payload": "/deny"},
            {"title": render("bf_button_stop", lang), "payload": "/stop"},
        ]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


# --- storing and stopping ---------------------------------------------------------------------------------------


class _Refused(Exception):
    """storage.benefits.InvalidSubscription, carried out of `store` (which turns other errors into StoreUnavailable)."""


async def _attempt(operation: Callable[[Repositories], T]) -> T:
    from storage.benefits import InvalidSubscription

    def guarded(repos: Repositories) -> T | _Refused:
        try:
            return operation(repos)
        except InvalidSubscription:
            return _Refused()

    result = await store(guarded)
    if isinstance(result, _Refused):
        raise result
    return result


def _upcoming_lines(month: date, lang: str, today: date, programmes: Any) -> list[str]:
    """What the reminders will be about in the next months (vaccinations and check-ups), first ones first."""
    from knowledge_base.benefits import due_reminders, schedule_label

    lines: list[str] = []
    for due in due_reminders(month, today, programmes, ahead_days=UPCOMING_DAYS)[:MAX_UPCOMING]:
        label = schedule_label(programmes.get(due.programme_id), due.key, lang)
        lines.append(render("br_upcoming_line", lang, label=label, date=format_date(max(due.due_from, today), lang)))
    return lines


class ActionSubmitBenefitReminders(Action):
    def name(self) -> str:
        return "action_submit_benefit_reminders"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        events = [*(SlotSet(slot, None) for slot in REMINDER_SLOTS), *domain_events()]
        channels = reminder_channels(tracker)
        if not channels:
            dispatcher.utter_message(text=render("br_unavailable", lang))
            return events
        channel = tracker.get_slot("br_channel") or (channels[0] if len(channels) == 1 else None)
        recipient = line_user(tracker) if channel == "line" else tracker.get_slot("br_email")
        month = _month_of(tracker.get_slot("br_birth_month"))
        agreed = tracker.get_slot("br_consent") is True and tracker.get_slot("br_confirm") is True
        if not agreed or channel not in channels or not recipient or month is None:
            dispatcher.utter_message(text=render("br_not_subscribed", lang))
            return events
        places = await places_or_none()
        ward_id = ward_id_of(tracker, places)
        ward = places.wards[ward_id].name if places is not None and ward_id else None
        sender = tracker.sender_id

        def subscribe(repos: Repositories) -> Subscription:
            return repos.benefits.subscribe(sender_id=sender, channel=channel, recipient=recipient,
                                            child_birth_month=month, ward=ward, lang=lang)  # fmt: skip

        try:
            subscription = await _attempt(subscribe)
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, contact_phone(places))
            return events
        except _Refused:
            dispatcher.utter_message(text=render("br_invalid", lang))
            return events
        lines = [render("br_subscribed", lang, channel=_channel_text(tracker, lang), month=month_label(month, lang))]
        try:
            upcoming = _upcoming_lines(month, lang, ActionSettings.from_env().today(), (await knowledge()).programmes)
        except KnowledgeBaseUnavailable:
            upcoming = []
        if upcoming:
            lines += [render("br_upcoming", lang), *upcoming]
        lines.append(render("br_how_to_stop", lang, url=stop_url(subscription.token)))
        dispatcher.utter_message(text="\n".join(lines))
        return events


class ActionUnsubscribeBenefitReminders(Action):
    def name(self) -> str:
        return "action_unsubscribe_benefit_reminders"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        sender = tracker.sender_id
        try:
            stopped = await store(lambda repos: repos.benefits.unsubscribe_sender(sender))
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, contact_phone(await places_or_none()))
            return domain_events()
        key = "br_unsubscribed" if stopped else "br_nothing_to_stop"
        dispatcher.utter_message(text=render(key, lang, count=stopped))
        return domain_events()
