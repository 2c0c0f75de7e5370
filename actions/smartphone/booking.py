"""Seat bookings for the smartphone classes: the form `smartphone_booking_form` (class, seats, name, phone,
confirmation), stored through `repos.smartphone` (storage/smartphone.py: the database counts the seats, a full class
puts the booking on its waiting list), then cancelling, checking and changing a booking by its number (S-000123).

Only the sender who booked can see, change or cancel a booking. LINE bookings keep the LINE id (the chat after
"line:") so the day-before reminder and a promotion from the waiting list can be pushed. Names and phone numbers are
never logged, and the conversation forgets them once the booking is stored.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.errors import StoreUnavailable, send_unavailable
from actions.common.kb import places_or_none
from actions.common.replies import LINE_SENDER_PREFIX, intent_button, lang_of, latest_entity, latest_text, line_user
from actions.smartphone.classes import (
    LISTED_SLOT,
    MAX_LISTED,
    book_button,
    class_list,
    class_title,
    class_when,
    contact,
    domain_events,
    example_notice,
    level_name,
    matching_or_nearest,
    store,
    utc_now,
    venue_text,
)
from actions.smartphone.filters import ClassFilters, fold, parse_count, parse_filters
from settings import ActionSettings
from storage.smartphone import (
    MAX_SEATS,
    BookingCancelled,
    BookingNotFound,
    BookingView,
    ClassClosed,
    ClassNotFound,
    ClassView,
    InvalidSeats,
    NotEnoughSeats,
    NotYourBooking,
    SmartphoneError,
    parse_booking_number,
)
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.places import Places
    from storage.repositories import Repositories

T = TypeVar("T")
FORM = "smartphone_booking_form"
SLOTS = ("sp_class", "sp_seats", "sp_name", "sp_phone", "sp_confirm")
MAX_NAME = 40
NUMBER_ENTITY = "sp_number"
CANCEL_INTENT = "cancel_smartphone_booking"
# Japanese numbers (0 + 9–10 digits) or international ones (+ and 8–15 digits), as reference requests accept them.
_PHONE = re.compile(r"^(?:\+\d{8,15}|0\d{9,10})$")
# "change" in the ten languages: 「S-000012を2人に変更したい」 changes the seats instead of cancelling or showing.
_CHANGE = re.compile(
    "|".join(
        re.escape(fold(word))
        for word in (
            "変更", "変え", "かえ", "増や", "減ら", "change", "更改", "改成", "改为", "变更", "변경", "바꾸", "바꿔",
            "đổi", "palitan", "baguhin", "परिवर्तन", "बदल", "mudar", "alterar", "cambiar", "ubah", "ganti",
        )
    )
)  # fmt: skip


class _Refused(Exception):
    """A storage.smartphone.SmartphoneError, carried out of `store` (which turns other exceptions into
    StoreUnavailable) so the resident hears why."""

    def __init__(self, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.error = error


async def _attempt(operation: Callable[[Repositories], T]) -> T:
    """A booking operation: its result, _Refused for a refusal (full, not yours, …), StoreUnavailable when down."""

    def guarded(repos: Repositories) -> T | _Refused:
        try:
            return operation(repos)
        except SmartphoneError as error:
            return _Refused(error)

    result = await store(guarded)
    if isinstance(result, _Refused):
        raise result
    return result


def normalise_phone(text: str) -> str | None:
    """A phone number as stored (digits, a leading +), or None: 「０９０－１２３４－５６７８」 → 09012345678."""
    digits = re.sub(r"[\s\-.()‐−ー－]", "", unicodedata.normalize("NFKC", text).strip())
    return digits if _PHONE.match(digits) else None


def mask_phone(phone: str) -> str:
    """Only the last four digits, as the summary shows it: ＊＊＊＊＊＊＊5678."""
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def channel_of(tracker: Tracker) -> tuple[str, str | None]:
    """The channel the resident writes from (message metadata, else the sender id) and, on LINE, the id to push to."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    given = metadata.get("channel") if isinstance(metadata, dict) else None
    if (tracker.sender_id or "").startswith(LINE_SENDER_PREFIX):
        return "line", line_user(tracker)
    return (str(given) if given else "web"), None


def number_in(tracker: Tracker) -> str | None:
    """The booking number of a button (entity sp_number) or typed in the message (S-000012, s12, Ｓ０００１２)."""
    return parse_booking_number(latest_entity(tracker, NUMBER_ENTITY) or latest_text(tracker))


def change_request(text: str) -> int | None:
    """The seats asked for when the message asks to change a booking (「S-000012を2人に変更」), else None."""
    if not _CHANGE.search(fold(text)):
        return None
    without_number = re.sub(r"[sSｓＳ][-‐−ー－]?[0-9０-９]+", " ", text)
    return parse_count(without_number)


def _clear_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in SLOTS]


def _is_payload(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("/")


def _seats(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- the form -----------------------------------------------------------------------------------------------------


class ValidateSmartphoneBookingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_smartphone_booking_form"

    async def validate_sp_class(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = lang_of(tracker)
        text = str(value or "").strip()
        listed = [str(i) for i in tracker.get_slot(LISTED_SLOT) or []]
        settings = ActionSettings.from_env()
        now = utc_now(settings)
        try:
            view = await store(lambda repos: repos.smartphone.get(text)) if text else None
            if view is None and text and not text.startswith("/"):
                index = parse_count(text)
                if index is not None and 1 <= index <= len(listed):
                    chosen = listed[index - 1]
                    view = await store(lambda repos: repos.smartphone.get(chosen))
                elif index is None:
                    # 「来週の稲毛区のにして」: show the classes that match instead.
                    places = await places_or_none()
                    filters = parse_filters(text, places, settings.now().date())
                    if not filters.empty:
                        found, _ = await store(lambda repos: matching_or_nearest(repos, filters, now))
                        if found:
                            return {"sp_class": None, LISTED_SLOT: [v.id for v in found]}
        except StoreUnavailable:
            return {"sp_class": None}  # action_ask_sp_class says the database is down, once
        if view is None:
            if not text.startswith("/"):  # a button of another question is not an answer: the form asks again
                dispatcher.utter_message(text=render("sp_unknown_class", lang, text=text[:40], count=len(listed) or 1))
            return {"sp_class": None}
        if view.cancelled or view.starts_at <= now:
            dispatcher.utter_message(text=render("sp_class_closed", lang))
            return {"sp_class": None}
        if view.free < 1:
            dispatcher.utter_message(text=render("sp_class_full_notice", lang, position=view.waiting + 1))
        return {"sp_class": view.id}

    async def validate_sp_seats(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _is_payload(value):  # a button of another question: not an answer (the form asks again)
            return {"sp_seats": None}
        seats = _seats(value)
        if seats is None:
            seats = parse_count(str(value or ""))
        most = min(MAX_SEATS, await _capacity(str(tracker.get_slot("sp_class") or "")))
        if seats is None or not 1 <= seats <= most:
            lang = lang_of(tracker)
            office, phone = contact(await places_or_none(), lang)
            dispatcher.utter_message(text=render("sp_invalid_seats", lang, max=most, office=office, phone=phone))
            return {"sp_seats": None}
        return {"sp_seats": seats}

    async def validate_sp_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _is_payload(value):
            return {"sp_name": None}
        name = " ".join(str(value or "").split())
        if not name or len(name) > MAX_NAME or name.isdigit():
            dispatcher.utter_message(text=render("sp_invalid_name", lang_of(tracker), max=MAX_NAME))
            return {"sp_name": None}
        return {"sp_name": name}

    async def validate_sp_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _is_payload(value):
            return {"sp_phone": None}
        phone = normalise_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(text=render("sp_invalid_phone", lang_of(tracker)))
        return {"sp_phone": phone}

    async def validate_sp_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is False:  # the resident wants to change something: ask everything again
            dispatcher.utter_message(text=render("sp_changed", lang_of(tracker)))
            return {slot: None for slot in SLOTS}
        return {"sp_confirm": value}


async def _capacity(class_id: str) -> int:
    """The class's capacity (a small class takes fewer than MAX_SEATS in one booking); MAX_SEATS when unknown."""
    try:
        view = await store(lambda repos: repos.smartphone.get(class_id)) if class_id else None
    except StoreUnavailable:
        return MAX_SEATS  # the submit says the database is down
    return view.capacity if view is not None else MAX_SEATS


def _seat_buttons() -> list[dict[str, str]]:
    return [{"title": str(n), "payload": str(n)} for n in range(1, MAX_SEATS + 1)]


def _yes_change_stop(lang: str) -> list[dict[str, str]]:
    return [
        {"title": render("sp_button_yes", lang), "payload": "/affirm"},
        {"title": render("sp_button_change", lang), "payload": "/deny"},
        {"title": render("sp_button_stop", lang), "payload": "/stop"},
    ]


class _AskAction(Action):
    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ActionAskSpClass(_AskAction):
    """Lists the classes to choose from: the ones last shown, else the next ones matching what the resident said."""

    slot = "sp_class"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        settings = ActionSettings.from_env()
        places = await places_or_none()
        office, phone = contact(places, lang)
        listed = [str(i) for i in tracker.get_slot(LISTED_SLOT) or []][:MAX_LISTED]
        now = utc_now(settings)
        text = latest_text(tracker)
        filters = ClassFilters() if text.startswith("/") else parse_filters(text, places, settings.now().date())

        def choices(repos: Repositories) -> list[ClassView]:
            shown = [view for view in map(repos.smartphone.get, listed) if view is not None]
            shown = [view for view in shown if not view.cancelled and view.starts_at > now]
            if shown:
                return shown
            found, nearest = matching_or_nearest(repos, filters, now)
            return found or nearest

        try:
            shown = await store(choices)
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, phone)
            return []
        if not shown:
            dispatcher.utter_message(text=render("sp_nothing_to_book", lang, office=office, phone=phone))
            return []
        lines = [*example_notice(shown, lang), render("sp_ask_class", lang), class_list(shown, places, lang)]
        buttons = [book_button(view, lang, i) for i, view in enumerate(shown, start=1)]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return [SlotSet(LISTED_SLOT, [view.id for view in shown])]


class ActionAskSpSeats(_AskAction):
    slot = "sp_seats"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("sp_ask_seats", lang_of(tracker), max=MAX_SEATS), buttons=_seat_buttons())
        return []


class ActionAskSpName(_AskAction):
    slot = "sp_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("sp_ask_name", lang_of(tracker), max=MAX_NAME))
        return []


class ActionAskSpPhone(_AskAction):
    slot = "sp_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("sp_ask_phone", lang_of(tracker)))
        return []


class ActionAskSpConfirm(_AskAction):
    slot = "sp_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        places = await places_or_none()
        class_id = str(tracker.get_slot("sp_class") or "")
        seats = _seats(tracker.get_slot("sp_seats")) or 1
        try:
            view = await store(lambda repos: repos.smartphone.get(class_id))
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, contact(places, lang)[1])
            return []
        if view is None:  # gone from the catalogue meanwhile: choose again
            dispatcher.utter_message(text=render("sp_class_closed", lang))
            return [SlotSet("sp_class", None), SlotSet("requested_slot", "sp_class")]
        lines = [
            *example_notice([view], lang),
            render(
                "sp_ask_confirm",
                lang,
                title=class_title(view, lang),
                level=level_name(view.level, lang),
                when=class_when(view, lang),
                venue=venue_text(places, view.venue, lang),
                seats=seats,
                name=tracker.get_slot("sp_name") or "",
                phone=mask_phone(str(tracker.get_slot("sp_phone") or "")),
            ),
        ]
        if seats > view.free:
            lines.append(render("sp_confirm_waiting", lang, free=view.free, position=view.waiting + 1))
        dispatcher.utter_message(text="\n".join(lines), buttons=_yes_change_stop(lang))
        return []


def _details(view: ClassView | None, places: Places | None, lang: str) -> dict[str, str]:
    if view is None:
        return {"title": "", "level": "", "when": "", "venue": ""}
    return {
        "title": class_title(view, lang),
        "level": level_name(view.level, lang),
        "when": class_when(view, lang),
        "venue": venue_text(places, view.venue, lang),
    }


class ActionSubmitSmartphoneBooking(Action):
    def name(self) -> str:
        return "action_submit_smartphone_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        places = await places_or_none()
        office, phone = contact(places, lang)
        events = [*_clear_slots(), *domain_events()]
        seats = _seats(tracker.get_slot("sp_seats"))
        class_id = tracker.get_slot("sp_class")
        name, resident_phone = tracker.get_slot("sp_name"), tracker.get_slot("sp_phone")
        if tracker.get_slot("sp_confirm") is not True or not (class_id and seats and name and resident_phone):
            dispatcher.utter_message(text=render("sp_not_booked", lang))
            return events
        channel, line_to = channel_of(tracker)
        settings = ActionSettings.from_env()

        def book(repos: Repositories) -> tuple[BookingView, ClassView | None]:
            booking = repos.smartphone.book(
                str(class_id),
                name=str(name),
                phone=str(resident_phone),
                seats=seats,
                lang=lang,
                channel=channel,
                sender_id=tracker.sender_id,
                line_to=line_to,
                now=utc_now(settings),
            )
            return booking, repos.smartphone.get(booking.class_id)

        try:
            booking, view = await _attempt(book)
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, phone)
            return events
        except _Refused as refused:
            if isinstance(refused.error, InvalidSeats):
                text = render("sp_invalid_seats", lang, max=MAX_SEATS, office=office, phone=phone)
            elif isinstance(refused.error, ClassClosed | ClassNotFound):
                text = render("sp_class_closed", lang)
            else:
                text = render("sp_not_booked", lang)
            dispatcher.utter_message(text="\n".join([text, render("sp_not_booked", lang)]))
            return events
        details = _details(view, places, lang)
        lines = [render("sp_example_booking", lang)] if view is not None and view.example else []
        if booking.status == "waiting":
            lines.append(render("sp_waiting", lang, number=booking.number, position=booking.position or 1,
                                seats=booking.seats, **details))  # fmt: skip
            lines.append(render("sp_waiting_notify_line" if channel == "line" else "sp_waiting_notify_web", lang))
        else:
            lines.append(render("sp_booked", lang, number=booking.number, seats=booking.seats, **details))
            lines.append(render("sp_reminder_line" if channel == "line" else "sp_reminder_web", lang))
        lines.append(render("sp_booked_howto", lang, number=booking.number, office=office, phone=phone))
        dispatcher.utter_message(text="\n".join(lines))
        return events


class ActionCancelSmartphoneForm(Action):
    def name(self) -> str:
        return "action_cancel_smartphone_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=render("sp_form_stopped", lang_of(tracker)))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_clear_slots()]


# --- a booking by its number: cancel, status, change of seats ------------------------------------------------------


def _status_text(booking: BookingView, lang: str) -> str:
    if booking.status == "waiting":
        return render("sp_status_waiting", lang, position=booking.position or 1)
    return render("sp_status_cancelled" if booking.status == "cancelled" else "sp_status_booked", lang)


def _cancel_button(number: str, lang: str) -> dict[str, str]:
    return intent_button(render("sp_button_cancel_booking", lang, number=number), CANCEL_INTENT, sp_number=number)


async def _send_own_bookings(
    dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, ask_key: str, with_buttons: bool
) -> None:
    """Ask for the number; list the sender's upcoming bookings (with cancel buttons when cancelling)."""
    places = await places_or_none()
    now = utc_now(ActionSettings.from_env())

    def own(repos: Repositories) -> list[tuple[BookingView, ClassView | None]]:
        return [(b, repos.smartphone.get(b.class_id)) for b in repos.smartphone.for_sender(tracker.sender_id, now=now)]

    try:
        bookings = await store(own)
    except StoreUnavailable as reason:
        send_unavailable(dispatcher, reason, lang, contact(places, lang)[1])
        return
    lines = [render(ask_key, lang)]
    if bookings:
        lines.append(render("sp_your_bookings", lang))
        for booking, view in bookings[:MAX_LISTED]:
            details = _details(view, places, lang)
            status = _status_text(booking, lang)
            lines.append(render("sp_booking_line", lang, number=booking.number, title=details["title"],
                                when=details["when"], seats=booking.seats, status=status))  # fmt: skip
    buttons = [_cancel_button(b.number, lang) for b, _ in bookings[:MAX_LISTED]] if with_buttons else None
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons)


async def _change_seats(
    dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, number: str, seats: int
) -> list[EventType]:
    places = await places_or_none()
    office, phone = contact(places, lang)
    try:
        sender = tracker.sender_id
        booking = await _attempt(lambda repos: repos.smartphone.change_seats(number, seats, sender_id=sender))
    except StoreUnavailable as reason:
        send_unavailable(dispatcher, reason, lang, phone)
        return domain_events()
    except _Refused as refused:
        error = refused.error
        if isinstance(error, NotEnoughSeats):
            text = render("sp_not_enough_seats", lang, number=number, free=error.free, seats=seats)
        elif isinstance(error, BookingCancelled):
            text = render("sp_already_cancelled", lang, number=number)
        elif isinstance(error, NotYourBooking):
            text = render("sp_not_yours", lang, number=number, office=office, phone=phone)
        elif isinstance(error, BookingNotFound):
            text = render("sp_booking_not_found", lang, number=number)
        elif isinstance(error, ClassClosed):
            text = render("sp_change_closed", lang, number=number, office=office, phone=phone)
        elif isinstance(error, InvalidSeats):
            text = render("sp_invalid_seats", lang, max=MAX_SEATS, office=office, phone=phone)
        else:
            text = render("sp_booking_not_found", lang, number=number)
        dispatcher.utter_message(text=text)
        return domain_events()
    if booking.status == "waiting":
        text = render("sp_seats_changed_waiting", lang, number=number, seats=booking.seats,
                      position=booking.position or 1)  # fmt: skip
    else:
        text = render("sp_seats_changed", lang, number=number, seats=booking.seats)
    dispatcher.utter_message(text=text)
    return domain_events()


class _ByNumberAction(Action, ABC):
    """An action on a booking the resident names by its number: without a number it lists their bookings and asks
    for one; "2人に変更 S-000012" changes the seats whichever of the two intents NLU chose."""

    ask_key: ClassVar[str]
    with_buttons: ClassVar[bool]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        number = number_in(tracker)
        if number is None:
            await _send_own_bookings(dispatcher, tracker, lang, self.ask_key, with_buttons=self.with_buttons)
            return domain_events()
        seats = change_request(latest_text(tracker))
        if seats is not None:
            return await _change_seats(dispatcher, tracker, lang, number, seats)
        places = await places_or_none()
        return await self.act(dispatcher, tracker, lang, number, places)

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, number: str, places: Places | None
    ) -> list[EventType]: ...


class ActionCancelSmartphoneBooking(_ByNumberAction):
    ask_key, with_buttons = "sp_cancel_ask_number", True

    def name(self) -> str:
        return "action_cancel_smartphone_booking"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, number: str, places: Places | None
    ) -> list[EventType]:
        office, phone = contact(places, lang)

        def cancel(repos: Repositories) -> tuple[BookingView, str | None, ClassView | None]:
            before = repos.smartphone.find(number, sender_id=tracker.sender_id)
            booking = repos.smartphone.cancel(number, sender_id=tracker.sender_id)  # checks whose it is
            return booking, before.status if before else None, repos.smartphone.get(booking.class_id)

        try:
            booking, was, view = await _attempt(cancel)
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, phone)
            return domain_events()
        except _Refused as refused:
            if isinstance(refused.error, NotYourBooking):
                text = render("sp_not_yours", lang, number=number, office=office, phone=phone)
            else:
                text = render("sp_booking_not_found", lang, number=number)
            dispatcher.utter_message(text=text)
            return domain_events()
        details = _details(view, places, lang)
        if was == "cancelled":
            text = render("sp_already_cancelled", lang, number=number)
        elif was == "waiting":
            text = render("sp_cancelled_waiting", lang, number=number, **details)
        else:
            text = render("sp_cancelled", lang, number=number, seats=booking.seats, **details)
        dispatcher.utter_message(text=text)
        return domain_events()


class ActionSmartphoneBookingStatus(_ByNumberAction):
    ask_key, with_buttons = "sp_status_ask_number", False

    def name(self) -> str:
        return "action_smartphone_booking_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, number: str, places: Places | None
    ) -> list[EventType]:
        office, phone = contact(places, lang)

        def lookup(repos: Repositories) -> tuple[BookingView | None, bool, ClassView | None]:
            mine = repos.smartphone.find(number, sender_id=tracker.sender_id)
            if mine is None:
                return None, repos.smartphone.find(number) is not None, None
            return mine, True, repos.smartphone.get(mine.class_id)

        try:
            booking, exists, view = await _attempt(lookup)
        except StoreUnavailable as reason:
            send_unavailable(dispatcher, reason, lang, phone)
            return domain_events()
        if booking is None:
            key = "sp_not_yours" if exists else "sp_booking_not_found"
            dispatcher.utter_message(text=render(key, lang, number=number, office=office, phone=phone))
            return domain_events()
        lines = example_notice([view] if view else [], lang)
        lines.append(render("sp_status", lang, number=number, status=_status_text(booking, lang), seats=booking.seats,
                            **_details(view, places, lang)))  # fmt: skip
        buttons = [_cancel_button(number, lang)] if booking.status != "cancelled" else None
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return domain_events()
