"""Smartphone class bookings on both backends: seats, waiting lists, promotion, ownership, notifications, forgetting.

The concurrency tests run real threads with separate sessions against a SQLite file and the real PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from storage.export import SMARTPHONE_BOOKING_COLUMNS, smartphone_bookings_csv
from storage.models import Notification, SmartphoneBooking, SmartphoneClass
from storage.repositories import AsyncRepositories, Repositories
from storage.smartphone import (
    JST,
    MAX_ATTEMPTS,
    BookingCancelled,
    BookingNotFound,
    BookingView,
    CatalogueConflict,
    ClassClosed,
    ClassNotFound,
    ClassRow,
    InvalidSeats,
    NotEnoughSeats,
    NotYourBooking,
    SmartphoneClasses,
    booking_number,
    parse_booking_number,
)

T = TypeVar("T")
NOW = datetime(2026, 1, 5, 0, 30, tzinfo=timezone.utc)  # the FakeClock's time: 09:30 on 5 January in Japan
LINE_ID = "U" + "0123456789abcdef" * 2


def at_once(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run fn(0..n-1) in n threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def row(
    class_id: str = "c1",
    *,
    capacity: int = 10,
    day: date = date(2026, 2, 3),
    hour: int = 10,
    topic: str = "line",
    level: str = "beginner",
    venue: str = "ward_office_chuo",
) -> ClassRow:
    starts = datetime(day.year, day.month, day.day, hour, tzinfo=JST)
    return ClassRow(class_id, topic, level, venue, starts, starts + timedelta(hours=2), capacity, "043-221-2133")


def book(
    sp: SmartphoneClasses, class_id: str = "c1", sender: str = LINE_ID, seats: int = 1, line: bool = True
) -> BookingView:
    return sp.book(
        class_id,
        name="千葉 花子",
        phone="090-1234-5678",
        seats=seats,
        lang="ja",
        channel="line" if line else "web",
        sender_id=sender,
        line_to=sender if line else None,
    )


@pytest.fixture
def sp(repos: Repositories) -> SmartphoneClasses:
    repos.smartphone.replace_catalogue([row("c1"), row("small", capacity=3)], example=False)
    return repos.smartphone


def assert_seats_consistent(engine: Engine) -> None:
    """The invariant: every class's taken == the seats of its booked bookings, never above capacity."""
    booked = (
        select(SmartphoneBooking.class_id, func.sum(SmartphoneBooking.seats))
        .where(SmartphoneBooking.status == "booked")
        .group_by(SmartphoneBooking.class_id)
    )
    with engine.connect() as conn:
        sums = dict(conn.execute(booked).all())
        for class_id, taken, capacity in conn.execute(
            select(SmartphoneClass.id, SmartphoneClass.taken, SmartphoneClass.capacity)
        ):
            assert taken == sums.get(class_id, 0) and taken <= capacity, class_id


def notifications(engine: Engine) -> list[Notification]:
    with engine.connect() as conn:
        return list(conn.execute(select(Notification).order_by(Notification.id)).all())


# --- booking and the waiting list ---


def test_a_booking_takes_seats_and_gets_a_number(sp: SmartphoneClasses, engine: Engine) -> None:
    booking = book(sp, seats=3)
    assert booking.status == "booked" and booking.position is None and booking.seats == 3
    assert booking.number == "S-000001" and booking.created_at == NOW
    cls = sp.get("c1")
    assert (cls.taken, cls.free, cls.waiting) == (3, 7, 0)
    assert sp.find(booking.number.lower()) == booking
    assert sp.find("S-999999") is None and sp.find("no number") is None
    assert_seats_consistent(engine)


def test_a_full_class_puts_bookings_on_the_waiting_list_in_order(sp: SmartphoneClasses, engine: Engine) -> None:
    first = book(sp, "small", seats=2)
    second = book(sp, "small", "U2", seats=2)
    third = book(sp, "small", "U3", seats=1)  # one seat is free, but someone is already waiting: no queue-jumping
    assert (first.status, second.status, third.status) == ("booked", "waiting", "waiting")
    assert (second.position, third.position) == (1, 2)
    cls = sp.get("small")
    assert (cls.taken, cls.free, cls.waiting) == (2, 1, 2)
    assert [(b.number, b.status, b.position) for b in sp.bookings("small")] == [
        (first.number, "booked", None),
        (second.number, "waiting", 1),
        (third.number, "waiting", 2),
    ]
    assert_seats_consistent(engine)


def test_cancel_promotes_the_waiting_list_in_order_and_queues_notifications(
    sp: SmartphoneClasses, engine: Engine
) -> None:
    booked = book(sp, "small", seats=3)
    line_waiting = book(sp, "small", "U2", seats=2)
    web_waiting = book(sp, "small", "web-sender", seats=1, line=False)
    cancelled = sp.cancel(booked.number, sender_id=LINE_ID)
    assert cancelled.status == "cancelled"
    assert [sp.find(b.number).status for b in (line_waiting, web_waiting)] == ["booked", "booked"]
    assert (sp.get("small").taken, sp.get("small").waiting) == (3, 0)
    sent = notifications(engine)
    assert [(n.kind, n.booking_number, n.channel, n.recipient) for n in sent] == [
        ("waitlist_promoted", line_waiting.number, "line", "U2"),
        ("waitlist_promoted", web_waiting.number, "web", None),
    ]
    assert sent[0].message_key == "sp_promoted" and sent[0].dedupe_key == f"waitlist_promoted:{line_waiting.number}"
    assert_seats_consistent(engine)


def test_promotion_is_first_come_first_served_and_stops_at_a_booking_that_does_not_fit(
    sp: SmartphoneClasses, engine: Engine
) -> None:
    one, two = book(sp, "small", seats=1), book(sp, "small", "U2", seats=2)
    big = book(sp, "small", "U3", seats=3)
    small = book(sp, "small", "U4", seats=1)
    assert (big.status, small.status) == ("waiting", "waiting")
    sp.cancel(one.number, sender_id=None)  # 1 seat free: `big` (3) is first and does not fit, `small` must wait
    assert [sp.find(b.number).status for b in (big, small)] == ["waiting", "waiting"]
    assert sp.find(small.number).position == 2
    sp.cancel(two.number, sender_id=None)  # 3 free: `big` moves up, then nothing is left for `small`
    assert [sp.find(b.number).status for b in (big, small)] == ["booked", "waiting"]
    assert sp.find(small.number).position == 1
    assert_seats_consistent(engine)


def test_cancel_is_idempotent_and_frees_the_seats_once(sp: SmartphoneClasses, engine: Engine) -> None:
    booking = book(sp, seats=4)
    first = sp.cancel(booking.number, sender_id=LINE_ID)
    again = sp.cancel(booking.number.replace("-", ""), sender_id=LINE_ID)
    assert first == again and again.status == "cancelled"
    assert sp.get("c1").taken == 0
    assert_seats_consistent(engine)


def test_cancelling_a_waiting_booking_leaves_the_seats_alone(sp: SmartphoneClasses, engine: Engine) -> None:
    book(sp, "small", seats=3)
    waiting = book(sp, "small", "U2", seats=1)
    after = book(sp, "small", "U3", seats=1)
    sp.cancel(waiting.number, sender_id="U2")
    assert sp.get("small").taken == 3 and sp.find(after.number).position == 1
    assert notifications(engine) == []
    assert_seats_consistent(engine)


def test_change_seats(sp: SmartphoneClasses, engine: Engine) -> None:
    mine = book(sp, "small", seats=1)
    assert sp.change_seats(mine.number, 2, sender_id=LINE_ID).seats == 2
    other = book(sp, "small", "U2", seats=1)
    with pytest.raises(NotEnoughSeats) as raised:
        sp.change_seats(mine.number, 3, sender_id=LINE_ID)
    assert raised.value.free == 0 and sp.find(mine.number).seats == 2
    waiting = book(sp, "small", "U3", seats=2)
    assert sp.change_seats(waiting.number, 1, sender_id="U3").status == "waiting"  # still no free seat
    changed = sp.change_seats(mine.number, 1, sender_id=LINE_ID)  # frees a seat: the waiting booking moves up
    assert changed.seats == 1 and changed.status == "booked"
    assert sp.find(waiting.number).status == "booked"
    assert sp.get("small").taken == 3
    sp.cancel(other.number, sender_id="U2")
    with pytest.raises(BookingCancelled):
        sp.change_seats(other.number, 2, sender_id="U2")
    assert_seats_consistent(engine)


def test_more_seats_are_not_taken_from_people_waiting(sp: SmartphoneClasses) -> None:
    mine = book(sp, "small", seats=1)
    book(sp, "small", "U2", seats=1)
    book(sp, "small", "U3", seats=2)  # waits: one seat free, two needed
    with pytest.raises(NotEnoughSeats):
        sp.change_seats(mine.number, 2, sender_id=LINE_ID)


def test_only_the_sender_or_staff_can_see_cancel_and_change(sp: SmartphoneClasses) -> None:
    booking = book(sp, seats=2)
    with pytest.raises(NotYourBooking):
        sp.cancel(booking.number, sender_id="Uintruder")
    with pytest.raises(NotYourBooking):
        sp.change_seats(booking.number, 1, sender_id="Uintruder")
    assert sp.find(booking.number, sender_id="Uintruder") is None
    assert sp.find(booking.number, sender_id=LINE_ID) == booking
    assert sp.change_seats(booking.number, 1, sender_id=None).seats == 1  # staff
    assert sp.cancel(booking.number, sender_id=None).status == "cancelled"
    with pytest.raises(BookingNotFound):
        sp.cancel("S-999999", sender_id=None)
    with pytest.raises(BookingNotFound):
        sp.cancel("no number", sender_id=None)


def test_past_cancelled_and_unknown_classes(sp: SmartphoneClasses, repos: Repositories, clock: object) -> None:
    with pytest.raises(ClassNotFound):
        book(sp, "nope")
    booking = book(sp)
    repos.smartphone.replace_catalogue([row("small", capacity=3)], example=False)  # c1 has a booking: cancelled
    assert sp.get("c1").cancelled
    with pytest.raises(ClassClosed):
        book(sp, "c1")
    with pytest.raises(ClassClosed):
        sp.change_seats(booking.number, 2, sender_id=LINE_ID)
    assert sp.cancel(booking.number, sender_id=LINE_ID).status == "cancelled"  # cancelling is still possible
    later = book(sp, "small")
    clock.now = row("small").starts_at  # type: ignore[attr-defined]  # the class starts: closed
    with pytest.raises(ClassClosed):
        book(sp, "small")
    with pytest.raises(ClassClosed):
        sp.change_seats(later.number, 2, sender_id=LINE_ID)


@pytest.mark.parametrize("seats", [0, 5, -1, True, 2.0])
def test_invalid_seats(sp: SmartphoneClasses, seats: object) -> None:
    with pytest.raises(InvalidSeats):
        book(sp, seats=seats)  # type: ignore[arg-type]


def test_more_seats_than_the_class_has_are_refused(repos: Repositories) -> None:
    repos.smartphone.replace_catalogue([row("tiny", capacity=2)], example=False)
    with pytest.raises(InvalidSeats):
        book(repos.smartphone, "tiny", seats=3)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE smartphone_classes SET taken = capacity + 1",
        "UPDATE smartphone_classes SET taken = -1",
        "UPDATE smartphone_classes SET capacity = 0, taken = 0",
        "UPDATE smartphone_bookings SET seats = 5",
        "UPDATE smartphone_bookings SET seats = 0",
        "UPDATE smartphone_bookings SET status = 'lost'",
    ],
)
def test_the_database_enforces_the_constraints(sp: SmartphoneClasses, engine: Engine, statement: str) -> None:
    book(sp, seats=2)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(statement))
    assert sp.get("c1").taken == 2


def test_the_raw_sender_id_is_stored_only_as_the_line_recipient(sp: SmartphoneClasses, engine: Engine) -> None:
    book(sp, sender="web-abc123", line=False)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM smartphone_bookings")).one()
    assert all("web-abc123" not in str(value) for value in stored)


# --- concurrency ---


def test_fifty_simultaneous_bookings_of_ten_seats(sp: SmartphoneClasses, engine: Engine) -> None:
    results = at_once(50, lambda i: book(sp, sender=f"sender-{i}"))
    statuses = [r.status for r in results]
    assert (statuses.count("booked"), statuses.count("waiting")) == (10, 40)
    assert sorted(r.position for r in results if r.status == "waiting") == list(range(1, 41))
    assert len({r.number for r in results}) == 50
    cls = sp.get("c1")
    assert (cls.taken, cls.free, cls.waiting) == (10, 0, 40)
    assert_seats_consistent(engine)


def test_simultaneous_cancels_promote_each_waiting_booking_once(sp: SmartphoneClasses, engine: Engine) -> None:
    booked = [book(sp, sender=f"b{i}") for i in range(10)]
    waiting = [book(sp, sender=f"w{i}") for i in range(10)]
    assert {b.status for b in booked} == {"booked"} and {w.status for w in waiting} == {"waiting"}
    at_once(10, lambda i: sp.cancel(booked[i].number, sender_id=f"b{i}"))
    assert {sp.find(w.number).status for w in waiting} == {"booked"}
    promoted = [n.booking_number for n in notifications(engine) if n.kind == "waitlist_promoted"]
    assert sorted(promoted) == sorted(w.number for w in waiting)
    assert (sp.get("c1").taken, sp.get("c1").waiting) == (10, 0)
    assert_seats_consistent(engine)


def test_simultaneous_cancels_of_one_booking_free_its_seats_once(sp: SmartphoneClasses, engine: Engine) -> None:
    booking = book(sp, seats=4)
    book(sp, "c1", "U2", seats=4)
    waiting = book(sp, "c1", "U3", seats=4)
    at_once(8, lambda _: sp.cancel(booking.number, sender_id=LINE_ID))
    assert sp.get("c1").taken == 8 and sp.find(waiting.number).status == "booked"
    assert len(notifications(engine)) == 1
    assert_seats_consistent(engine)


# --- reminders and the outbox ---


def test_reminders_go_to_booked_bookings_of_classes_tomorrow_in_japan(repos: Repositories, engine: Engine) -> None:
    sp = repos.smartphone
    tomorrow, today = date(2026, 1, 6), date(2026, 1, 5)  # NOW is 09:30 on 5 January in Japan
    sp.replace_catalogue(
        [
            row("tomorrow", capacity=2, day=tomorrow, hour=10),
            row("late", day=tomorrow, hour=20),
            row("today", day=today, hour=14),
            row("day-after", day=date(2026, 1, 7), hour=0),  # 6 January 15:00 UTC, but the 7th in Japan
        ],
        example=False,
    )
    a = book(sp, "tomorrow", "A", seats=2)
    b = book(sp, "late", "B", line=False)
    waiting = book(sp, "tomorrow", "C")
    for class_id in ("today", "day-after"):
        book(sp, class_id, "D")
    assert waiting.status == "waiting"
    assert sp.queue_reminders(NOW) == 2
    assert sp.queue_reminders(NOW) == 0
    reminders = notifications(engine)
    assert [(n.kind, n.booking_number, n.channel, n.recipient) for n in reminders] == [
        ("class_reminder", a.number, "line", "A"),
        ("class_reminder", b.number, "web", None),
    ]
    claimed = sp.claim_notifications("w1", NOW)
    assert [n.booking_number for n in claimed] == [a.number]  # the web one waits for the resident's next visit
    assert claimed[0].message_key == "sp_reminder"
    assert claimed[0].params == {
        "class_id": "tomorrow",
        "topic": "line",
        "level": "beginner",
        "venue_id": "ward_office_chuo",
        "date": "2026-01-06",
        "time": "10:00–12:00",
        "number": a.number,
        "seats": "2",
        "phone": "043-221-2133",
    }


def test_reminders_are_queued_once_from_two_threads(repos: Repositories, engine: Engine) -> None:
    sp = repos.smartphone
    sp.replace_catalogue([row("tomorrow", capacity=30, day=date(2026, 1, 6))], example=False)
    for i in range(25):
        book(sp, "tomorrow", f"s{i}")
    assert sum(at_once(2, lambda _: sp.queue_reminders(NOW))) == 25
    assert sum(at_once(4, lambda _: sp.queue_reminders(NOW))) == 0
    assert len(notifications(engine)) == 25


def test_a_cancelled_booking_gets_no_reminder(repos: Repositories, engine: Engine) -> None:
    sp = repos.smartphone
    sp.replace_catalogue([row("tomorrow", day=date(2026, 1, 6))], example=False)
    booking = book(sp, "tomorrow")
    assert sp.queue_reminders(NOW) == 1
    sp.cancel(booking.number, sender_id=LINE_ID)
    assert notifications(engine) == [] and sp.claim_notifications("w1", NOW) == []
    assert sp.queue_reminders(NOW) == 0


def test_two_workers_never_claim_the_same_notification(repos: Repositories) -> None:
    sp = repos.smartphone
    sp.replace_catalogue([row("tomorrow", capacity=40, day=date(2026, 1, 6))], example=False)
    for i in range(40):
        book(sp, "tomorrow", f"s{i}")
    assert sp.queue_reminders(NOW) == 40
    claims = at_once(8, lambda i: sp.claim_notifications(f"worker-{i}", NOW, limit=7))
    ids = [n.id for batch in claims for n in batch]
    assert len(ids) == len(set(ids)) == 40
    assert sp.claim_notifications("late", NOW) == []


def test_claims_expire_failures_are_retried_and_sent_ones_stay_sent(repos: Repositories, engine: Engine) -> None:
    sp = repos.smartphone
    sp.replace_catalogue([row("tomorrow", day=date(2026, 1, 6))], example=False)
    book(sp, "tomorrow", "A")
    book(sp, "tomorrow", "B")
    sp.queue_reminders(NOW)
    first, second = sp.claim_notifications("w1", NOW)
    assert sp.claim_notifications("w2", NOW + timedelta(minutes=4)) == []
    sp.mark_sent(first.id, NOW)
    sp.mark_failed(second.id, "LINE push failed: 500 for U" + "0" * 32)
    retried = sp.claim_notifications("w2", NOW + timedelta(minutes=1))
    assert [n.id for n in retried] == [second.id]
    stale = sp.claim_notifications("w3", NOW + timedelta(minutes=7))  # w2 died holding it
    assert [n.id for n in stale] == [second.id]
    with engine.connect() as conn:
        error = conn.execute(select(Notification.last_error).where(Notification.id == second.id)).scalar_one()
    assert error == "LINE push failed: 500 for [line-id]"
    for _ in range(MAX_ATTEMPTS - 1):
        sp.mark_failed(second.id, "still failing")
    assert sp.claim_notifications("w4", NOW + timedelta(hours=1)) == []  # given up after MAX_ATTEMPTS


def test_web_notifications_are_shown_once_at_the_next_visit(sp: SmartphoneClasses) -> None:
    booked = book(sp, "small", "web-1", seats=3, line=False)
    waiting = book(sp, "small", "web-2", seats=1, line=False)
    sp.cancel(booked.number, sender_id="web-1")
    assert sp.claim_notifications("worker", NOW + timedelta(minutes=1)) == []
    assert sp.pending_for_sender("web-1", NOW) == []
    shown = at_once(3, lambda _: sp.pending_for_sender("web-2", NOW))
    delivered = [n for batch in shown for n in batch]
    assert [(n.kind, n.booking_number) for n in delivered] == [("waitlist_promoted", waiting.number)]
    assert sp.pending_for_sender("web-2", NOW) == []


# --- forgetting, catalogue, listing ---


def test_forget_sender_deletes_bookings_and_notifications_and_frees_seats(
    sp: SmartphoneClasses, engine: Engine
) -> None:
    book(sp, "small", seats=2)
    book(sp, "c1", seats=1)
    theirs = book(sp, "small", "U2", seats=1)
    mine_waiting = book(sp, "small", seats=1)
    other_waiting = book(sp, "small", "U3", seats=2)
    assert (theirs.status, mine_waiting.status, other_waiting.status) == ("booked", "waiting", "waiting")
    assert sp.forget_sender(LINE_ID) == 3
    # The forgotten resident's own waiting place is gone, so the next in line moves up into the freed seats.
    assert sp.find(theirs.number).status == "booked" and sp.find(other_waiting.number).status == "booked"
    assert sp.find(mine_waiting.number) is None
    assert sp.get("small").taken == 3 and sp.get("c1").taken == 0
    assert [n.booking_number for n in notifications(engine)] == [other_waiting.number]
    assert sp.forget_sender(LINE_ID) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SmartphoneBooking)).scalar_one() == 2
    assert_seats_consistent(engine)


def test_numbers_of_forgotten_bookings_are_not_given_again(sp: SmartphoneClasses) -> None:
    last = book(sp, sender="Uforget")
    sp.forget_sender("Uforget")
    assert book(sp).number == booking_number(int(last.number[2:]) + 1)


def test_replace_catalogue_adds_updates_removes_and_keeps_classes_with_bookings(
    repos: Repositories, engine: Engine
) -> None:
    sp = repos.smartphone
    first = sp.replace_catalogue([row("a"), row("b"), row("c"), row("d")], example=True)
    assert (first.added, first.updated, first.unchanged, first.removed, first.cancelled) == (4, 0, 0, 0, ())
    book(sp, "c", sender="U1")
    cancelled = book(sp, "d", sender="U2")
    sp.cancel(cancelled.number, sender_id=None)
    result = sp.replace_catalogue([row("a"), row("b", capacity=12), row("e")], example=False)
    assert (result.added, result.updated, result.unchanged, result.removed) == (1, 2, 0, 0)
    assert result.cancelled == (("c", 1), ("d", 0))
    assert sp.get("c").cancelled and sp.get("d").cancelled and sp.get("e").example is False
    assert (sp.get("b").capacity, sp.get("a").example) == (12, False)
    again = sp.replace_catalogue([row("a"), row("b", capacity=12), row("e"), row("c")], example=False)
    assert (again.unchanged, again.updated, again.cancelled) == (3, 1, ())  # c is back
    assert not sp.get("c").cancelled and sp.get("d").cancelled
    assert [c.id for c in sp.all_classes()] == ["a", "b", "c", "d", "e"]
    none_booked = sp.replace_catalogue([row("a")], example=False)
    assert (none_booked.removed, none_booked.cancelled) == (2, (("c", 1),))  # b and e go; c and d have bookings
    assert_seats_consistent(engine)


def test_capacity_below_the_booked_seats_imports_nothing(repos: Repositories) -> None:
    sp = repos.smartphone
    sp.replace_catalogue([row("a", capacity=5), row("b")], example=False)
    book(sp, "a", seats=4)
    with pytest.raises(CatalogueConflict) as raised:
        sp.replace_catalogue([row("a", capacity=3), row("new")], example=False)
    assert raised.value.problems == (("a", "capacity 3 is below the 4 seats already booked"),)
    assert sp.get("new") is None and sp.get("a").capacity == 5 and sp.get("b") is not None


def test_more_capacity_promotes_the_waiting_list(repos: Repositories, engine: Engine) -> None:
    sp = repos.smartphone
    sp.replace_catalogue([row("a", capacity=2)], example=False)
    book(sp, "a", seats=2)
    waiting = book(sp, "a", "U2", seats=2)
    sp.replace_catalogue([row("a", capacity=4)], example=False)
    assert sp.find(waiting.number).status == "booked"
    assert [n.kind for n in notifications(engine)] == ["waitlist_promoted"]
    assert_seats_consistent(engine)


def test_a_waiting_booking_that_can_never_fit_does_not_hold_up_the_others(repos: Repositories, engine: Engine) -> None:
    sp = repos.smartphone
    sp.replace_catalogue([row("a", capacity=5)], example=False)
    first, second = book(sp, "a", seats=3), book(sp, "a", "U2", seats=2)
    big, small = book(sp, "a", "U3", seats=4), book(sp, "a", "U4", seats=1)
    sp.cancel(first.number, sender_id=None)  # 3 free: big (4) is first and does not fit, so small waits too
    assert [sp.find(b.number).status for b in (big, small)] == ["waiting", "waiting"]
    sp.replace_catalogue([row("a", capacity=3)], example=False)  # big can never fit now: small moves up
    assert [sp.find(b.number).status for b in (big, small)] == ["waiting", "booked"]
    sp.cancel(second.number, sender_id=None)
    assert book(sp, "a", "U5", seats=2).status == "booked"  # not behind big
    assert sp.get("a").taken == 3 and sp.find(big.number).position == 1
    assert_seats_consistent(engine)


def test_list_upcoming_filters(repos: Repositories) -> None:
    sp = repos.smartphone
    sp.replace_catalogue(
        [
            row("past", day=date(2026, 1, 5), hour=7),  # 07:00–09:00 in Japan, before NOW
            row("inage-line", day=date(2026, 1, 8), venue="ward_office_inage"),
            row("chuo-scam", day=date(2026, 1, 6), topic="scam", level="intermediate"),
            row("chuo-line", day=date(2026, 1, 20)),
            row("late-night", day=date(2026, 1, 20), hour=23),  # 14:00 UTC on the 20th
            row("booked-out", day=date(2026, 1, 9)),
        ],
        example=False,
    )
    book(sp, "booked-out")
    sp.replace_catalogue(
        [
            row("past", day=date(2026, 1, 5), hour=7),
            row("inage-line", day=date(2026, 1, 8), venue="ward_office_inage"),
            row("chuo-scam", day=date(2026, 1, 6), topic="scam", level="intermediate"),
            row("chuo-line", day=date(2026, 1, 20)),
            row("late-night", day=date(2026, 1, 20), hour=23),
        ],
        example=False,
    )  # booked-out is cancelled now

    def ids(**filters: object) -> list[str]:
        return [c.id for c in sp.list_upcoming(now=NOW, **filters)]  # type: ignore[arg-type]

    assert ids() == ["chuo-scam", "inage-line", "chuo-line", "late-night"]
    assert ids(venues=["ward_office_inage"]) == ["inage-line"]
    assert ids(venues=[]) == []
    assert ids(topic="line", level="beginner") == ["inage-line", "chuo-line", "late-night"]
    assert ids(start=date(2026, 1, 7), end=date(2026, 1, 19)) == ["inage-line"]
    assert ids(start=date(2026, 1, 20), end=date(2026, 1, 20)) == ["chuo-line", "late-night"]
    assert ids(limit=2) == ["chuo-scam", "inage-line"]
    assert [c.id for c in sp.all_classes(include_past=True)][:2] == ["past", "chuo-scam"]
    assert "past" not in [c.id for c in sp.all_classes()]


def test_for_sender_lists_active_bookings_of_coming_classes(sp: SmartphoneClasses) -> None:
    mine = book(sp, "c1")
    gone = book(sp, "small")
    sp.cancel(gone.number, sender_id=None)
    book(sp, "small", "U2")
    assert [b.number for b in sp.for_sender(LINE_ID, now=NOW)] == [mine.number]
    assert sp.for_sender(LINE_ID, now=row("c1").starts_at) == []


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("S-000012", "S-000012"),
        ("s-12", "S-000012"),
        ("Ｓ０００１２", "S-000012"),
        ("S000012", "S-000012"),
        ("予約をキャンセルしたい S-000012", "S-000012"),
        ("Ｓ－１２", "S-000012"),
    ],
)
def test_booking_numbers_as_residents_type_them(typed: str, number: str) -> None:
    assert parse_booking_number(typed) == number


@pytest.mark.parametrize("typed", ["SMS", "S-", "予約番号がわからない", "R-000012", "OS-12"])
def test_text_without_a_booking_number(typed: str) -> None:
    assert parse_booking_number(typed) is None


async def test_async_repositories_run_the_same_methods(sp: SmartphoneClasses, repos: Repositories) -> None:
    repos_async = AsyncRepositories(repos)
    booking = await repos_async.smartphone.book(
        "c1", name="n", phone="p", seats=1, lang="en", channel="web", sender_id="web-1"
    )
    assert (await repos_async.smartphone.get("c1")).taken == 1
    assert (await repos_async.smartphone.cancel(booking.number, sender_id="web-1")).status == "cancelled"
    assert await repos_async.smartphone.forget_sender("web-1") == 1


# --- staff CSV ---


def test_smartphone_bookings_csv(sp: SmartphoneClasses) -> None:
    first = book(sp, "small", seats=3)
    waiting = sp.book(
        "small", name="=cmd()", phone="+81-90-0000-0000", seats=1, lang="en", channel="web", sender_id="U2"
    )
    classes = sp.all_classes()
    data = smartphone_bookings_csv(classes, {c.id: sp.bookings(c.id) for c in classes})
    assert data.startswith(b"\xef\xbb\xbf")
    header, *lines = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert tuple(header) == SMARTPHONE_BOOKING_COLUMNS
    class_cells = ["small", "2026-02-03 10:00", "ward_office_chuo"]
    assert lines == [
        [*class_cells, first.number, "booked", "3", "千葉 花子", "090-1234-5678", "", "2026-01-05 09:30:00"],
        [*class_cells, waiting.number, "waiting", "1", "'=cmd()", "'+81-90-0000-0000", "1", "2026-01-05 09:30:00"],
    ]
