"""Smartphone classes: filters read from what residents type, the class list, the booking form, booking, waiting
list, cancelling, checking and changing a booking — through the real actions, a SQLite database in tmp loaded through
the storage API, and the real places data. The clock is Wednesday 2026-11-25 10:00 Japan time, as on the e2e stack.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import kb as kb_holder
from actions.common.store import set_repositories
from actions.smartphone import CONTACT_OFFICE, HELP_BUTTONS
from actions.smartphone.booking import (
    ActionAskSpClass,
    ActionAskSpConfirm,
    ActionCancelSmartphoneBooking,
    ActionCancelSmartphoneForm,
    ActionSmartphoneBookingStatus,
    ActionSubmitSmartphoneBooking,
    ValidateSmartphoneBookingForm,
    change_request,
    channel_of,
    mask_phone,
    normalise_phone,
)
from actions.smartphone.classes import ActionListSmartphoneClasses, describe_filters, localised_params
from actions.smartphone.filters import find_dates, parse_count, parse_filters
from knowledge_base.places import load_places
from settings import JST
from storage.db import create_engine_from_url, sqlite_url
from storage.migrate import upgrade
from storage.repositories import Repositories
from storage.smartphone import MAX_SEATS, ClassRow
from translations.messages import LANGUAGES, MESSAGES_DIR, render

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JST)  # a Wednesday
TODAY = NOW.date()
CALL_CENTRE = "043-245-4894"
LANGS = ["ja", "en", "vi", "zh", "ko", "pt"]
OTHER_SENDER = "someone-else"
NAME, PHONE = "千葉 花子", "090-1234-5678"


def _at(day: str, start: str, end: str) -> tuple[datetime, datetime]:
    return (datetime.fromisoformat(f"{day}T{start}").replace(tzinfo=JST),
            datetime.fromisoformat(f"{day}T{end}").replace(tzinfo=JST))  # fmt: skip


def _row(class_id: str, topic: str, level: str, venue: str, day: str, capacity: int = 10, note: str | None = None
         ) -> ClassRow:  # fmt: skip
    starts, ends = _at(day, "10:00", "12:00")
    return ClassRow(class_id, topic, level, venue, starts, ends, capacity, "043-284-6121", note)


CLASSES = [
    _row("c-chuo-basics", "basics", "beginner", "ward_office_chuo", "2026-11-26"),  # tomorrow (Thu)
    _row("c-inage-line", "line", "beginner", "ward_office_inage", "2026-12-01"),  # next week (Tue)
    _row("c-midori-scam", "scam", "beginner", "ward_office_midori", "2026-12-03", capacity=1),
    _row("c-mihama-video", "video_call", "intermediate", "ward_office_mihama", "2026-12-10", capacity=2),
    _row("c-wakaba-photos", "photos", "beginner", "ward_office_wakaba", "2027-01-14", note="スマホをお持ちください"),
    _row("c-past", "basics", "beginner", "ward_office_chuo", "2026-11-20"),  # over
]


# --- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_NOW", "2026-11-25T10:00")


@pytest.fixture(scope="session")
def places() -> Any:
    return load_places(ROOT / "knowledge_base" / "data")


@pytest.fixture(autouse=True)
def places_only_kb(places: Any) -> Iterator[None]:
    """The actions read only the places from the knowledge base: no model or index needed."""
    previous = kb_holder.set_kb(SimpleNamespace(places=places))
    yield
    kb_holder.set_kb(previous)


def _repositories(tmp_path: Path, example: bool) -> Repositories:
    url = sqlite_url(tmp_path / "app.db")
    upgrade(url)
    repos = Repositories.for_engine(create_engine_from_url(url), sender_salt="test", clock=lambda: NOW)
    repos.smartphone.replace_catalogue(CLASSES, example=example)
    return repos


@pytest.fixture
def repos(tmp_path: Path) -> Iterator[Repositories]:
    repositories = _repositories(tmp_path, example=True)
    previous = set_repositories(repositories)
    yield repositories
    set_repositories(previous)


@pytest.fixture
def real_repos(tmp_path: Path) -> Iterator[Repositories]:
    """A catalogue that staff loaded (not the example)."""
    repositories = _repositories(tmp_path, example=False)
    previous = set_repositories(repositories)
    yield repositories
    set_repositories(previous)


@pytest.fixture
def database_down(tmp_path: Path) -> Iterator[None]:
    """Repositories on a SQLite file that cannot be opened: every storage call fails as a real outage would."""
    url = sqlite_url(tmp_path / "no-such-folder" / "app.db")
    previous = set_repositories(Repositories.for_engine(create_engine_from_url(url), sender_salt="test"))
    yield
    set_repositories(previous)


def tracker(
    text: str,
    intent: str = "nlu_fallback",
    lang: str = "ja",
    slots: dict[str, Any] | None = None,
    entities: dict[str, str] | None = None,
    sender: str = "resident",
    channel: str = "web",
) -> Tracker:
    """A tracker as Rasa 3.6 sends it to the action server, with the gateway's metadata (lang, channel)."""
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots or {},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 1.0},
                "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
                "metadata": {"lang": lang, "channel": channel},
            },
            "events": [],
            "latest_action_name": "action_listen",
        }
    )


def book(repos: Repositories, class_id: str, seats: int = 1, sender: str = "resident") -> Any:
    return repos.smartphone.book(class_id, name="x", phone="0431234567", seats=seats, lang="ja", channel="web",
                                 sender_id=sender, now=NOW)  # fmt: skip


def booking_slots(class_id: str = "c-inage-line", seats: int = 2) -> dict[str, Any]:
    return {"sp_class": class_id, "sp_seats": seats, "sp_name": NAME, "sp_phone": normalise_phone(PHONE),
            "sp_confirm": True}  # fmt: skip


async def validate(slot: str, value: Any, tracker_: Tracker) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    form = ValidateSmartphoneBookingForm()
    dispatcher = CollectingDispatcher()
    result = await getattr(form, f"validate_{slot}")(value, dispatcher, tracker_, {})
    return result, dispatcher.messages


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


# --- filters ------------------------------------------------------------------------------------------------------

NEXT_WEEK = (date(2026, 11, 30), date(2026, 12, 6))
INAGE_VENUES = ("inage_library", "ward_office_inage")


@pytest.mark.parametrize(
    ("text", "ward", "topic", "level"),
    [
        ("来週、稲毛区でLINEの教室ある？", "inage", "line", None),
        ("稻毛区的视频通话课程", "inage", "video_call", None),
        ("Inage, LINE class for beginners", "inage", "line", "beginner"),
        ("inage-ku smartphone class", "inage", None, None),
        ("이나게구 사진 교실", "inage", "photos", None),
        ("Quận Inage lớp gọi video", "inage", "video_call", None),
        ("美浜区 マイナポータル 中級", "mihama", "mynumber", "intermediate"),
        ("Mihama Ward, My Number card class", "mihama", "mynumber", None),
        ("इनागे वडा फोटो", "inage", "photos", None),
        ("aula de golpe em Midori", "midori", "scam", None),
        ("clase de videollamada para principiantes", None, "video_call", "beginner"),
        ("kelas penipuan untuk pemula", None, "scam", "beginner"),
        ("防災のスマホ講座", None, "disaster", None),
        ("スマホの基本を習いたい", None, "basics", None),
        ("稲毛海岸のスマホ教室", None, None, None),  # 稲毛海岸 is in 美浜区: not Inage Ward
        ("online shopping class", None, None, None),  # "online" is not LINE
        ("スマホ教室いつありますか", None, None, None),
    ],
)
def test_ward_topic_and_level_in_every_language(
    text: str, ward: str | None, topic: str | None, level: str | None, places: Any
) -> None:
    filters = parse_filters(text, places, TODAY)
    assert (filters.ward, filters.topic, filters.level) == (ward, topic, level)
    if ward == "inage":
        assert filters.venues == INAGE_VENUES


@pytest.mark.parametrize(
    ("text", "span", "weekday"),
    [
        ("今日", (TODAY, TODAY), None),
        ("明日のスマホ教室", (date(2026, 11, 26), date(2026, 11, 26)), None),
        ("tomorrow", (date(2026, 11, 26), date(2026, 11, 26)), None),
        ("今週", (TODAY, date(2026, 11, 29)), None),
        ("来週", NEXT_WEEK, None),
        ("next week", NEXT_WEEK, None),
        ("下周", NEXT_WEEK, None),
        ("다음 주", NEXT_WEEK, None),
        ("tuần sau", NEXT_WEEK, None),
        ("susunod na linggo", NEXT_WEEK, None),
        ("अर्को हप्ता", NEXT_WEEK, None),
        ("próxima semana", NEXT_WEEK, None),
        ("la semana que viene", NEXT_WEEK, None),
        ("minggu depan", NEXT_WEEK, None),
        ("再来週", (date(2026, 12, 7), date(2026, 12, 13)), None),
        ("今月", (TODAY, date(2026, 11, 30)), None),
        ("来月", (date(2026, 12, 1), date(2026, 12, 31)), None),
        ("next month", (date(2026, 12, 1), date(2026, 12, 31)), None),
        ("12月", (date(2026, 12, 1), date(2026, 12, 31)), None),
        ("1월", (date(2027, 1, 1), date(2027, 1, 31)), None),
        ("tháng 1", (date(2027, 1, 1), date(2027, 1, 31)), None),
        ("in January", (date(2027, 1, 1), date(2027, 1, 31)), None),
        ("dezembro", (date(2026, 12, 1), date(2026, 12, 31)), None),
        ("11月", (TODAY, date(2026, 11, 30)), None),  # the rest of this month
        ("12月3日", (date(2026, 12, 3), date(2026, 12, 3)), None),
        ("mañana por la mañana", (date(2026, 11, 26), date(2026, 11, 26)), None),
        ("por la mañana", None, None),  # "in the morning", not tomorrow
        ("月曜日の教室", None, 0),
        ("来週の金曜", NEXT_WEEK, 4),
        ("Friday", None, 4),
        ("星期六", None, 5),
        ("hari Minggu", None, 6),
        ("minggu ini", (TODAY, date(2026, 11, 29)), None),  # "this week", not Sunday
        ("スマホ教室", None, None),
    ],
)
def test_dates_relative_to_now(text: str, span: tuple[date, date] | None, weekday: int | None) -> None:
    assert find_dates(text, TODAY) == (span, weekday)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("2", 2), ("２人", 2), ("二名", 2), ("ふたり", 2), ("two people", 2), ("dalawa", 2), ("दुई", 2), ("२", 2),
        ("3명", 3), ("두 명", 2), ("4 người", 4), ("três", 3), ("dos personas", 2), ("berdua", 2), ("一人", 1),
        ("just me", 1), ("0", 0), ("5", 5), ("S-000012", None), ("abc", None), ("", None),
    ],
)  # fmt: skip
def test_counts_in_every_language(text: str, count: int | None) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "stored"),
    [("090-1234-5678", "09012345678"), ("０４３－１２３－４５６７", "0431234567"),
     ("+81 90 1234 5678", "+819012345678"), ("taro@example.jp", None), ("12345", None), ("tomorrow", None)],
)  # fmt: skip
def test_phone_numbers_only(text: str, stored: str | None) -> None:
    assert normalise_phone(text) == stored


def test_masked_phone_shows_the_last_four_digits() -> None:
    assert mask_phone("09012345678") == "*******5678"


@pytest.mark.parametrize(
    ("text", "seats"),
    [("2人に変更したい S-000012", 2), ("S-000012 change to 3 people", 3), ("đổi S-000012 thành 1 người", 1),
     ("S-000012をキャンセル", None), ("S-000012の確認", None)],
)  # fmt: skip
def test_a_change_of_seats_is_told_apart_from_cancel_and_status(text: str, seats: int | None) -> None:
    assert change_request(text) == seats


@pytest.mark.parametrize(
    ("sender", "channel", "expected"),
    [("line:U1234", "line", ("line", "U1234")), ("web-abc", "web", ("web", None)),
     ("line:C99", "web", ("line", "C99"))],
)  # fmt: skip
def test_channel_and_line_recipient(sender: str, channel: str, expected: tuple[str, str | None]) -> None:
    assert channel_of(tracker("x", sender=sender, channel=channel)) == expected


# --- listing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_list_shows_upcoming_classes_marked_as_example(lang: str, run: Any, repos: Repositories) -> None:
    reply = await run(ActionListSmartphoneClasses(), tracker("スマホ教室いつありますか", lang=lang))
    assert render("sp_example", lang) in reply.text
    if lang == "ja":
        assert "例（実際の日程ではありません）" in reply.text
    payloads = [b["payload"] for b in reply.buttons]
    assert payloads[0] == '/book_smartphone_class{"sp_class": "c-chuo-basics"}'
    assert len(payloads) == 5 and all("c-past" not in p for p in payloads)
    assert reply.slot("sp_listed") == ["c-chuo-basics", "c-inage-line", "c-midori-scam", "c-mihama-video",
                                       "c-wakaba-photos"]  # fmt: skip
    assert "10:00–12:00" in reply.text
    assert CALL_CENTRE in reply.text
    assert render("sp_topic_basics", lang) in reply.text
    assert reply.slot("last_domain") == "smartphone" and reply.slot("last_office") == CONTACT_OFFICE


@pytest.mark.parametrize(
    ("text", "lang", "date_shown"),
    [
        ("来週、稲毛区でLINEの教室ある？", "ja", "12月1日(火)"),
        ("LINE class in Inage next week?", "en", "Tue 1 Dec"),
        ("tuần sau ở quận Inage có lớp LINE không?", "vi", "T3 1/12"),
        ("下周稻毛区有LINE课吗？", "zh", "12月1日（周二）"),
    ],
)
async def test_list_with_filters(text: str, lang: str, date_shown: str, run: Any, repos: Repositories,
                                 places: Any) -> None:  # fmt: skip
    reply = await run(ActionListSmartphoneClasses(), tracker(text, "list_smartphone_classes", lang=lang))
    assert reply.slot("sp_listed") == ["c-inage-line"]
    assert date_shown in reply.text
    assert "稲毛区役所" in reply.text  # the venue's official name, as on the sign
    assert places.offices["ward_office_inage"].address in reply.text
    assert render("sp_topic_line", lang) in reply.text
    assert render("sp_level_beginner", lang) in reply.text


async def test_the_list_of_a_weekday(run: Any, repos: Repositories) -> None:
    reply = await run(ActionListSmartphoneClasses(), tracker("火曜日のスマホ教室は？"))
    assert reply.slot("sp_listed") == ["c-inage-line"]


@pytest.mark.parametrize("lang", LANGS)
async def test_nothing_matches_says_so_and_shows_the_nearest(
    lang: str, run: Any, repos: Repositories, places: Any
) -> None:
    reply = await run(ActionListSmartphoneClasses(), tracker("美浜区 LINE 来週", lang=lang))
    asked = describe_filters(parse_filters("美浜区 LINE 来週", places, TODAY), places, lang)
    assert reply.text.splitlines()[1] == render("sp_list_none", lang, filters=asked)  # after the example notice
    assert places.ward_name("mihama", lang) in asked and render("sp_topic_line", lang) in asked
    assert reply.slot("sp_listed") == ["c-inage-line"]  # the other LINE class


async def test_no_classes_at_all(run: Any, repos: Repositories, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_NOW", "2027-06-01T10:00")
    reply = await run(ActionListSmartphoneClasses(), tracker("スマホ教室", lang="en"))
    assert "No smartphone classes" in reply.text and CALL_CENTRE in reply.text and not reply.buttons


@pytest.mark.parametrize(("lang", "note"), [("ja", "備考：スマホをお持ちください"),
                                            ("en", "Note (in Japanese): スマホをお持ちください")])  # fmt: skip
async def test_a_real_catalogue_is_not_called_an_example(lang: str, note: str, run: Any,
                                                         real_repos: Repositories) -> None:  # fmt: skip
    reply = await run(ActionListSmartphoneClasses(), tracker("スマホ教室", lang=lang))
    assert "例（実際の日程ではありません）" not in reply.text and render("sp_example", lang) not in reply.text
    assert note in reply.text  # staff's note on a class


@pytest.mark.parametrize("lang", LANGS)
async def test_a_full_class_is_listed_with_its_waiting_list(lang: str, run: Any, repos: Repositories) -> None:
    book(repos, "c-midori-scam", sender=OTHER_SENDER)  # its only seat
    book(repos, "c-midori-scam", sender=OTHER_SENDER)  # and one waiting
    reply = await run(ActionListSmartphoneClasses(), tracker("詐欺の教室", lang=lang))
    assert render("sp_seats_full", lang, waiting=1) in reply.text


# --- the form -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_ask_class_lists_what_the_resident_asked_for(lang: str, run: Any, repos: Repositories) -> None:
    reply = await run(ActionAskSpClass(), tracker("稲毛区のLINE教室に申し込みたい", "book_smartphone_class", lang))
    assert reply.slot("sp_listed") == ["c-inage-line"]
    assert render("sp_example", lang) in reply.text and render("sp_ask_class", lang) in reply.text


@pytest.mark.parametrize(
    ("value", "listed", "expected"),
    [
        ("c-inage-line", [], "c-inage-line"),  # a button
        ("2", ["c-chuo-basics", "c-inage-line"], "c-inage-line"),  # typed number from the list
        ("２番", ["c-chuo-basics", "c-inage-line"], "c-inage-line"),
        ("9", ["c-chuo-basics"], None),
        ("c-nope", [], None),
        ("c-past", [], None),  # over
    ],
)
@pytest.mark.parametrize("lang", ["ja", "en", "vi"])
async def test_class_by_button_or_number(value: str, listed: list[str], expected: str | None, lang: str,
                                         repos: Repositories) -> None:  # fmt: skip
    result, messages = await validate("sp_class", value, tracker(value, lang=lang, slots={"sp_listed": listed}))
    assert result["sp_class"] == expected
    if expected is None:
        assert messages and all(m["text"] for m in messages)


async def test_a_full_class_can_be_chosen_for_the_waiting_list(repos: Repositories) -> None:
    book(repos, "c-midori-scam", sender=OTHER_SENDER)
    result, messages = await validate("sp_class", "c-midori-scam", tracker("x", lang="en"))
    assert result == {"sp_class": "c-midori-scam"}
    assert "waiting list (number 1)" in _texts(messages)


async def test_typed_filters_while_choosing_show_those_classes(repos: Repositories) -> None:
    result, messages = await validate("sp_class", "来週の稲毛区のがいい", tracker("来週の稲毛区のがいい"))
    assert result == {"sp_class": None, "sp_listed": ["c-inage-line"]} and not messages


@pytest.mark.parametrize(("value", "seats"), [("2", 2), ("２人", 2), ("two", 2), ("dalawa", 2), ("4", 4), (1, 1)])
async def test_seats(value: Any, seats: int, repos: Repositories) -> None:
    assert (await validate("sp_seats", value, tracker(str(value))))[0] == {"sp_seats": seats}


@pytest.mark.parametrize("value", ["0", "5", "many", "十人"])
@pytest.mark.parametrize("lang", LANGS)
async def test_seats_out_of_range_are_explained(value: str, lang: str, repos: Repositories) -> None:
    result, messages = await validate("sp_seats", value, tracker(value, lang=lang))
    assert result == {"sp_seats": None}
    assert _texts(messages) == render("sp_invalid_seats", lang, max=MAX_SEATS, office=_office(lang), phone=CALL_CENTRE)


async def test_seats_beyond_a_small_class_are_explained(repos: Repositories) -> None:
    result, messages = await validate("sp_seats", "3", tracker("3", lang="en", slots={"sp_class": "c-mihama-video"}))
    assert result == {"sp_seats": None} and "from 1 to 2" in _texts(messages)


def _office(lang: str) -> str:
    return kb_holder.get_kb().places.office_name(CONTACT_OFFICE, lang)


@pytest.mark.parametrize(("value", "name"), [("千葉 花子", "千葉 花子"), ("  Maria   Santos ", "Maria Santos"),
                                             ("", None), ("あ" * 41, None), ("0901234", None)])  # fmt: skip
async def test_name(value: str, name: str | None) -> None:
    result, messages = await validate("sp_name", value, tracker(value, lang="en"))
    assert result == {"sp_name": name}
    assert bool(messages) == (name is None)


async def test_a_button_of_another_question_is_not_a_name() -> None:
    assert await validate("sp_name", "/affirm", tracker("/affirm")) == ({"sp_name": None}, [])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("value", "stored"), [("090-1234-5678", "09012345678"), ("call me", None)])
async def test_phone(value: str, stored: str | None, lang: str) -> None:
    result, messages = await validate("sp_phone", value, tracker(value, lang=lang))
    assert result == {"sp_phone": stored}
    assert _texts(messages) == ("" if stored else render("sp_invalid_phone", lang))


async def test_no_at_the_confirmation_asks_everything_again() -> None:
    result, messages = await validate("sp_confirm", False, tracker("いいえ", "deny"))
    assert result == {"sp_class": None, "sp_seats": None, "sp_name": None, "sp_phone": None, "sp_confirm": None}
    assert messages


@pytest.mark.parametrize("lang", LANGS)
async def test_the_confirmation_summarises_with_a_masked_phone(lang: str, run: Any, repos: Repositories) -> None:
    reply = await run(ActionAskSpConfirm(), tracker("x", lang=lang, slots=booking_slots()))
    assert NAME in reply.text and "*******5678" in reply.text and "09012345678" not in reply.text
    assert render("sp_topic_line", lang) in reply.text and "10:00–12:00" in reply.text
    assert render("sp_example", lang) in reply.text
    assert [b["payload"] for b in reply.buttons] == ["/affirm", "/deny", "/stop"]


async def test_the_confirmation_warns_of_the_waiting_list(run: Any, repos: Repositories) -> None:
    reply = await run(ActionAskSpConfirm(), tracker("x", lang="en", slots=booking_slots("c-mihama-video", 3)))
    assert "only 2 seat(s) are free" in reply.text


async def test_stop_ends_the_form_and_keeps_nothing(run: Any) -> None:
    reply = await run(ActionCancelSmartphoneForm(), tracker("やめる", "stop", slots=booking_slots()))
    assert reply.slot("sp_name") is None and reply.slot("sp_phone") is None
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in reply.events)


# --- booking ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_submit_books_seats_and_gives_a_number(lang: str, run: Any, repos: Repositories) -> None:
    reply = await run(ActionSubmitSmartphoneBooking(), tracker("/affirm", "affirm", lang, booking_slots()))
    booking = repos.smartphone.find("S-000001", sender_id="resident")
    assert booking is not None and booking.status == "booked" and booking.seats == 2
    assert booking.name == NAME and booking.phone == "09012345678" and booking.lang == lang
    assert booking.channel == "web"
    assert "S-000001" in reply.text
    assert render("sp_reminder_web", lang) in reply.text
    assert reply.text.startswith(render("sp_example_booking", lang))
    assert repos.smartphone.get("c-inage-line").taken == 2
    assert reply.slot("sp_name") is None and reply.slot("sp_phone") is None  # not kept in the conversation
    assert "09012345678" not in reply.text


async def test_a_line_booking_is_reminded_on_line_the_day_before(run: Any, repos: Repositories) -> None:
    t = tracker("/affirm", "affirm", "en", booking_slots("c-chuo-basics"), sender="line:U0123", channel="line")
    reply = await run(ActionSubmitSmartphoneBooking(), t)
    assert "remind you on LINE the day before" in reply.text
    assert repos.smartphone.queue_reminders(NOW) == 1  # the class is tomorrow
    (reminder,) = repos.smartphone.claim_notifications("test", NOW)
    assert (reminder.channel, reminder.recipient, reminder.lang) == ("line", "U0123", "en")


@pytest.mark.parametrize("lang", LANGS)
async def test_a_full_class_puts_the_booking_on_the_waiting_list(lang: str, run: Any, repos: Repositories) -> None:
    book(repos, "c-midori-scam", sender=OTHER_SENDER)  # the only seat: S-000001
    book(repos, "c-midori-scam", sender=OTHER_SENDER)  # first on the waiting list: S-000002
    reply = await run(ActionSubmitSmartphoneBooking(),
                      tracker("/affirm", "affirm", lang, booking_slots("c-midori-scam", 1)))  # fmt: skip
    booking = repos.smartphone.find("S-000003", sender_id="resident")
    assert booking.status == "waiting" and booking.position == 2
    assert render("sp_waiting", lang, number="S-000003", position=2, seats=1, title="", level="", when="",
                  venue="").splitlines()[0] in reply.text  # fmt: skip
    assert repos.smartphone.get("c-midori-scam").taken == 1  # never overbooked


async def test_nothing_is_booked_without_the_confirmation(run: Any, repos: Repositories) -> None:
    slots = {**booking_slots(), "sp_confirm": None}
    reply = await run(ActionSubmitSmartphoneBooking(), tracker("x", slots=slots))
    assert repos.smartphone.find("S-000001") is None and "申し込みはしていません" in reply.text


async def test_a_class_that_started_meanwhile_is_not_booked(run: Any, repos: Repositories) -> None:
    reply = await run(ActionSubmitSmartphoneBooking(), tracker("/affirm", "affirm", "en", booking_slots("c-past")))
    assert repos.smartphone.find("S-000001") is None
    assert "can no longer be booked" in reply.text and "S-0" not in reply.text


# --- a booking by its number --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_cancel_own_booking_frees_the_seats(lang: str, run: Any, repos: Repositories) -> None:
    number = book(repos, "c-inage-line", seats=2).number
    reply = await run(ActionCancelSmartphoneBooking(), tracker(f"{number.lower()} キャンセル", lang=lang))
    assert repos.smartphone.find(number).status == "cancelled"
    assert repos.smartphone.get("c-inage-line").taken == 0
    assert number in reply.text and render("sp_topic_line", lang) in reply.text
    assert render("sp_cancelled", lang, number=number, seats=2, title="", when="").split("{")[0][-8:] in reply.text


async def test_cancel_promotes_the_waiting_list(run: Any, repos: Repositories) -> None:
    mine = book(repos, "c-midori-scam").number
    waiting = book(repos, "c-midori-scam", sender=OTHER_SENDER).number
    await run(ActionCancelSmartphoneBooking(), tracker(f"{mine}をキャンセル"))
    assert repos.smartphone.find(waiting).status == "booked"


async def test_cancel_a_place_on_the_waiting_list(run: Any, repos: Repositories) -> None:
    book(repos, "c-midori-scam", sender=OTHER_SENDER)
    mine = book(repos, "c-midori-scam").number
    reply = await run(ActionCancelSmartphoneBooking(), tracker(f"cancel {mine}", lang="en"))
    assert "waiting list" in reply.text and repos.smartphone.find(mine).status == "cancelled"


@pytest.mark.parametrize("lang", LANGS)
async def test_cancel_someone_elses_booking_is_refused(lang: str, run: Any, repos: Repositories) -> None:
    number = book(repos, "c-inage-line", sender=OTHER_SENDER).number
    reply = await run(ActionCancelSmartphoneBooking(), tracker(f"{number}をキャンセル", lang=lang))
    assert repos.smartphone.find(number).status == "booked"
    assert reply.text == render("sp_not_yours", lang, number=number, office=_office(lang), phone=CALL_CENTRE)


@pytest.mark.parametrize("lang", LANGS)
async def test_cancel_an_unknown_number(lang: str, run: Any, repos: Repositories) -> None:
    reply = await run(ActionCancelSmartphoneBooking(), tracker("S-004242をキャンセル", lang=lang))
    assert reply.text == render("sp_booking_not_found", lang, number="S-004242")


async def test_cancel_twice(run: Any, repos: Repositories) -> None:
    number = book(repos, "c-inage-line").number
    await run(ActionCancelSmartphoneBooking(), tracker(f"{number}をキャンセル"))
    reply = await run(ActionCancelSmartphoneBooking(), tracker(f"{number}をキャンセル", lang="en"))
    assert "already cancelled" in reply.text


async def test_cancel_without_a_number_asks_for_it_and_offers_own_bookings(run: Any, repos: Repositories) -> None:
    mine = book(repos, "c-inage-line").number
    book(repos, "c-chuo-basics", sender=OTHER_SENDER)
    reply = await run(ActionCancelSmartphoneBooking(), tracker("予約をキャンセルしたい", "cancel_smartphone_booking"))
    assert "S-000123" in reply.text and mine in reply.text and "S-000002" not in reply.text
    assert [b["payload"] for b in reply.buttons] == [f'/cancel_smartphone_booking{{"sp_number": "{mine}"}}']


async def test_a_cancel_button_carries_the_number(run: Any, repos: Repositories) -> None:
    mine = book(repos, "c-inage-line").number
    t = tracker(f'/cancel_smartphone_booking{{"sp_number": "{mine}"}}', "cancel_smartphone_booking",
                entities={"sp_number": mine})  # fmt: skip
    await run(ActionCancelSmartphoneBooking(), t)
    assert repos.smartphone.find(mine).status == "cancelled"


@pytest.mark.parametrize("lang", LANGS)
async def test_status_of_own_booking(lang: str, run: Any, repos: Repositories) -> None:
    number = book(repos, "c-inage-line", seats=2).number
    reply = await run(ActionSmartphoneBookingStatus(), tracker(f"{number}の確認", lang=lang))
    assert render("sp_status_booked", lang) in reply.text and render("sp_example", lang) in reply.text
    assert number in reply.text and "10:00–12:00" in reply.text
    assert reply.buttons == [{"title": render("sp_button_cancel_booking", lang, number=number),
                              "payload": f'/cancel_smartphone_booking{{"sp_number": "{number}"}}'}]  # fmt: skip


async def test_status_on_the_waiting_list(run: Any, repos: Repositories) -> None:
    book(repos, "c-midori-scam", sender=OTHER_SENDER)
    number = book(repos, "c-midori-scam").number
    reply = await run(ActionSmartphoneBookingStatus(), tracker(f"{number} status", lang="en"))
    assert "waiting list (number 1)" in reply.text


@pytest.mark.parametrize("lang", LANGS)
async def test_status_of_someone_elses_booking_shows_nothing(lang: str, run: Any, repos: Repositories) -> None:
    number = book(repos, "c-inage-line", sender=OTHER_SENDER).number
    reply = await run(ActionSmartphoneBookingStatus(), tracker(f"{number}の確認", lang=lang))
    assert reply.text == render("sp_not_yours", lang, number=number, office=_office(lang), phone=CALL_CENTRE)
    assert not reply.buttons


async def test_status_of_an_unknown_number(run: Any, repos: Repositories) -> None:
    reply = await run(ActionSmartphoneBookingStatus(), tracker("S-000777はどうなってる？"))
    assert "S-000777" in reply.text and "見つかりません" in reply.text


@pytest.mark.parametrize(
    ("text", "seats", "lang"), [("2人に変更したい {n}", 2, "ja"), ("change {n} to 3 people", 3, "en")]
)
async def test_change_of_seats(text: str, seats: int, lang: str, run: Any, repos: Repositories) -> None:
    number = book(repos, "c-inage-line").number
    reply = await run(ActionSmartphoneBookingStatus(), tracker(text.format(n=number), lang=lang))
    assert repos.smartphone.find(number).seats == seats
    assert reply.text == render("sp_seats_changed", lang, number=number, seats=seats)


async def test_change_beyond_the_free_seats_keeps_the_booking(run: Any, repos: Repositories) -> None:
    book(repos, "c-wakaba-photos", seats=4, sender=OTHER_SENDER)
    book(repos, "c-wakaba-photos", seats=4, sender=OTHER_SENDER)
    number = book(repos, "c-wakaba-photos").number  # the 9th of 10 seats
    reply = await run(ActionCancelSmartphoneBooking(), tracker(f"{number}を3人に変更", lang="en"))
    assert repos.smartphone.find(number).seats == 1
    assert "Only 1 seat(s) are free" in reply.text


# --- the database is down ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_a_database_outage_gets_a_polite_reply_with_the_phone(lang: str, run: Any, database_down: None) -> None:
    polite = render("store_unavailable", lang, phone=CALL_CENTRE)
    replies = [
        await run(ActionListSmartphoneClasses(), tracker("スマホ教室", lang=lang)),
        await run(ActionSubmitSmartphoneBooking(), tracker("/affirm", "affirm", lang, booking_slots())),
        await run(ActionCancelSmartphoneBooking(), tracker("S-000001をキャンセル", lang=lang)),
        await run(ActionSmartphoneBookingStatus(), tracker("S-000001の確認", lang=lang)),
        await run(ActionAskSpClass(), tracker("申し込みたい", lang=lang)),
    ]
    for reply in replies:
        assert reply.text == polite
    assert all("S-0" not in reply.text and "09012345678" not in reply.text for reply in replies)


async def test_validation_during_an_outage_leaves_the_reply_to_the_question(database_down: None) -> None:
    assert await validate("sp_class", "c-inage-line", tracker("x")) == ({"sp_class": None}, [])


# --- messages --------------------------------------------------------------------------------------------------


def _catalogue(lang: str) -> dict[str, str]:
    return yaml.safe_load((MESSAGES_DIR / lang / "smartphone.yml").read_text(encoding="utf-8"))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "ja"])
def test_every_key_in_every_language_with_the_same_placeholders(lang: str) -> None:
    japanese, other = _catalogue("ja"), _catalogue(lang)
    assert sorted(other) == sorted(japanese)
    assert {k: _fields(v) for k, v in other.items()} == {k: _fields(v) for k, v in japanese.items()}


@pytest.mark.parametrize("lang", ["en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"])
@pytest.mark.parametrize("topic", ["basics", "line", "video_call", "photos", "mynumber", "disaster", "scam"])
def test_class_titles_name_the_japanese_term(lang: str, topic: str) -> None:
    japanese = _catalogue("ja")[f"sp_topic_{topic}"]
    assert re.search(r"[（(][^()（）]*[\u3040-\u30ff\u4e00-\u9fff]", render(f"sp_topic_{topic}", lang)), japanese


@pytest.mark.parametrize("key", ["sp_reminder", "sp_promoted"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_worker_notifications_render_from_stored_parameters(key: str, lang: str, places: Any) -> None:
    stored = {"class_id": "c-inage-line", "topic": "line", "level": "beginner", "venue_id": "ward_office_inage",
              "date": "2026-12-01", "time": "10:00–12:00", "number": "S-000012", "seats": "2",
              "phone": "043-284-6121"}  # fmt: skip
    text = render(key, lang, **localised_params(stored, lang, places))
    assert "S-000012" in text and "10:00–12:00" in text and "稲毛区役所" in text
    assert render("sp_topic_line", lang) in text


def test_help_offers_the_class_list() -> None:
    assert HELP_BUTTONS == (("help_button_smartphone", "/list_smartphone_classes"),)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_seats_limit_matches_the_storage(lang: str) -> None:
    assert str(MAX_SEATS) in render("sp_ask_seats", lang, max=MAX_SEATS)


def test_a_day_already_past_is_next_years() -> None:
    assert find_dates("11月20日", TODAY)[0] == (date(2027, 11, 20), date(2027, 11, 20))
