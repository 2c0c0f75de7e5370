"""Smartphone classes (`repos.smartphone`): the class catalogue, bookings with waiting lists, the notification outbox.

Seats are counted by the database. A booking is one transaction that locks the class row and then runs the
conditional `UPDATE smartphone_classes SET taken = taken + :seats WHERE taken + :seats <= capacity AND <nobody is
waiting>`; when it changes no row the booking joins the waiting list. The CHECK `taken <= capacity` backs this up, so
no interleaving can overbook. Cancelling frees the seats and promotes waiting bookings first come, first served
(by id) while the next one fits, in the same transaction; each promotion queues a notification.

Locking: every write that touches a class's seats first locks the class row (`SELECT … FOR UPDATE` on PostgreSQL),
so the writes of one class take turns; on SQLite every transaction starts with `BEGIN IMMEDIATE` (storage.db), which
serialises all writers. Notifications are claimed with one conditional UPDATE (`FOR UPDATE SKIP LOCKED` on
PostgreSQL), so two workers never get the same one.

Nothing here logs: names, phone numbers, sender ids and LINE ids are personal data.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from storage.models import (
    MAX_SEATS,
    BookingStatus,
    Notification,
    NotificationKind,
    SmartphoneBooking,
    SmartphoneClass,
)
from storage.privacy import mask, sender_key

__all__ = [
    "JST",
    "LEVELS",
    "MAX_ATTEMPTS",
    "MAX_SEATS",
    "MESSAGE_KEYS",
    "PUSH_CHANNELS",
    "TOPICS",
    "WEB_CHANNEL",
    "BookingCancelled",
    "BookingNotFound",
    "BookingView",
    "CatalogueConflict",
    "ClassClosed",
    "ClassNotFound",
    "ClassRow",
    "ClassView",
    "ImportResult",
    "InvalidSeats",
    "NotEnoughSeats",
    "NotYourBooking",
    "NotificationView",
    "SmartphoneClasses",
    "SmartphoneError",
    "booking_number",
    "parse_booking_number",
]

TOPICS = ("basics", "line", "video_call", "photos", "mynumber", "disaster", "scam")
LEVELS = ("beginner", "intermediate")
JST = timezone(timedelta(hours=9), "JST")  # class times are Japan time (no daylight saving)
WEB_CHANNEL = "web"  # web-chat notifications wait for the resident's next visit (pending_for_sender)
PUSH_CHANNELS = ("line",)  # what the worker claims and pushes
MAX_ATTEMPTS = 5  # a notification that failed this often is no longer claimed (it stays for staff to see)
MESSAGE_KEYS = {
    NotificationKind.CLASS_REMINDER.value: "sp_reminder",
    NotificationKind.WAITLIST_PROMOTED.value: "sp_promoted",
}
_MAX_ERROR_CHARS = 500
# Held by load_example_if_empty on PostgreSQL, so two `make migrate` at once load the example schedule once.
_EXAMPLE_LOCK_KEY = 0x43484942_53500001

Clock = Callable[[], datetime]
Sessions = sessionmaker[Session]

_NUMBER = re.compile(r"(?<![A-Z])S[-‐−ー]?0*(\d{1,12})")
_BOOKED = BookingStatus.BOOKED.value
_WAITING = BookingStatus.WAITING.value
_CANCELLED = BookingStatus.CANCELLED.value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def booking_number(booking_id: int) -> str:
    """The number a resident quotes for booking `booking_id`: "S-000123"."""
    return f"S-{booking_id:06d}"


def parse_booking_number(text: str) -> str | None:
    """The canonical number in what a resident typed ("s-12", "Ｓ０００１２", "S000012" → "S-000012"), or None."""
    found = _NUMBER.search(unicodedata.normalize("NFKC", text).upper())
    return booking_number(int(found.group(1))) if found else None


# ---------- errors ----------


class SmartphoneError(Exception):
    """A booking operation that cannot be done as asked (the transaction changed nothing)."""


class ClassNotFound(SmartphoneError):
    pass


class ClassClosed(SmartphoneError):
    """The class has started (or is over) or was cancelled: no booking or change any more."""


class BookingNotFound(SmartphoneError):
    pass


class BookingCancelled(BookingNotFound):
    """The booking was cancelled: its seats cannot be changed (a subclass of BookingNotFound)."""


class NotYourBooking(SmartphoneError):
    """The booking number belongs to another sender."""


class InvalidSeats(SmartphoneError):
    """Seats outside 1..MAX_SEATS, or more than the class has at all."""


class NotEnoughSeats(SmartphoneError):
    """change_seats: the class has not enough free seats for the extra ones (the booking is left as it was)."""

    def __init__(self, free: int) -> None:
        super().__init__(f"only {free} seat(s) free")
        self.free = free


class CatalogueConflict(SmartphoneError):
    """replace_catalogue: classes whose new capacity is below the seats already booked; nothing was imported."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{class_id}: {message}" for class_id, message in problems))
        self.problems = tuple(problems)  # (class id, message)


# ---------- views ----------


@dataclass(frozen=True)
class ClassView:
    id: str
    topic: str
    level: str
    venue: str  # office id (knowledge_base/data/places/offices.yaml)
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    capacity: int
    taken: int  # seats of the booked bookings
    waiting: int  # bookings on the waiting list
    phone: str
    example: bool
    cancelled: bool
    note: str | None

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True)
class BookingView:
    number: str
    class_id: str
    name: str
    phone: str
    seats: int
    status: str  # booked | waiting | cancelled
    lang: str
    channel: str
    created_at: datetime
    position: int | None  # 1-based place on the waiting list when status == "waiting"


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str  # class_reminder | waitlist_promoted
    booking_number: str
    channel: str  # line | web
    recipient: str | None  # LINE user id for line
    lang: str
    message_key: str  # sp_reminder | sp_promoted
    # class_id, topic, level, venue_id (office id), date (YYYY-MM-DD), time (HH:MM–HH:MM), Japan time; number, seats,
    # phone. The sender localises topic/level/venue_id (class_title, venue) before rendering the message.
    params: dict[str, str]
    due_at: datetime


@dataclass(frozen=True)
class ClassRow:
    """One class of a catalogue import (times aware)."""

    id: str
    topic: str
    level: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    phone: str
    note: str | None = None


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    removed: int  # classes no longer in the catalogue and without bookings: deleted
    # Classes no longer in the catalogue that have bookings: kept, marked cancelled; (class id, active bookings).
    cancelled: tuple[tuple[str, int], ...] = ()


# ---------- repository ----------


def _insert(session: Session) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT with ON CONFLICT (the same syntax on PostgreSQL and SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), JST)


def _closed(cls: SmartphoneClass, now: datetime) -> bool:
    return cls.cancelled or cls.starts_at <= now


def _valid_seats(seats: object) -> bool:
    return isinstance(seats, int) and not isinstance(seats, bool) and 1 <= seats <= MAX_SEATS


def _class_view(cls: SmartphoneClass, waiting: int) -> ClassView:
    return ClassView(
        id=cls.id,
        topic=cls.topic,
        level=cls.level,
        venue=cls.venue,
        starts_at=cls.starts_at,
        ends_at=cls.ends_at,
        capacity=cls.capacity,
        taken=cls.taken,
        waiting=waiting,
        phone=cls.phone,
        example=cls.example,
        cancelled=cls.cancelled,
        note=cls.note,
    )


def _booking_view(row: SmartphoneBooking, position: int | None) -> BookingView:
    return BookingView(
        number=row.number or booking_number(row.id),
        class_id=row.class_id,
        name=row.name,
        phone=row.phone,
        seats=row.seats,
        status=row.status,
        lang=row.lang,
        channel=row.channel,
        created_at=row.created_at,
        position=position if row.status == _WAITING else None,
    )


def _notification_view(row: Notification) -> NotificationView:
    return NotificationView(
        id=row.id,
        kind=row.kind,
        booking_number=row.booking_number,
        channel=row.channel,
        recipient=row.recipient,
        lang=row.lang,
        message_key=row.message_key,
        params=json.loads(row.params),
        due_at=row.due_at,
    )


def _waiting_counts() -> Any:
    return (
        select(SmartphoneBooking.class_id, func.count().label("waiting"))
        .where(SmartphoneBooking.status == _WAITING)
        .group_by(SmartphoneBooking.class_id)
        .subquery()
    )


def _with_waiting(*conditions: Any) -> Any:
    waiting = _waiting_counts()
    return (
        select(SmartphoneClass, func.coalesce(waiting.c.waiting, 0))
        .outerjoin(waiting, waiting.c.class_id == SmartphoneClass.id)
        .where(*conditions)
        .order_by(SmartphoneClass.starts_at, SmartphoneClass.id)
    )


class SmartphoneClasses:
    def __init__(self, sessions: Sessions, *, sender_salt: str, clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._salt = sender_salt
        self._clock = clock

    def _key(self, sender_id: str) -> str:
        return sender_key(sender_id, self._salt)

    # ----- the catalogue -----

    def list_upcoming(
        self,
        *,
        now: datetime,
        venues: Sequence[str] | None = None,
        topic: str | None = None,
        level: str | None = None,
        start: date | None = None,
        end: date | None = None,
        limit: int = 10,
    ) -> list[ClassView]:
        """Classes not cancelled that start after `now`, soonest first; `start`/`end` are Japan dates, inclusive."""
        conditions: list[Any] = [SmartphoneClass.cancelled.is_(False), SmartphoneClass.starts_at > now]
        if venues is not None:
            conditions.append(SmartphoneClass.venue.in_(list(venues)))
        if topic is not None:
            conditions.append(SmartphoneClass.topic == topic)
        if level is not None:
            conditions.append(SmartphoneClass.level == level)
        if start is not None:
            conditions.append(SmartphoneClass.starts_at >= _start_of(start))
        if end is not None:
            conditions.append(SmartphoneClass.starts_at < _start_of(end + timedelta(days=1)))
        query = _with_waiting(*conditions).limit(limit)
        with self._sessions.begin() as session:
            return [_class_view(cls, waiting) for cls, waiting in session.execute(query)]

    def get(self, class_id: str) -> ClassView | None:
        """The class (also past or cancelled), or None."""
        with self._sessions.begin() as session:
            found = session.execute(_with_waiting(SmartphoneClass.id == class_id)).first()
            return _class_view(*found) if found else None

    def all_classes(self, *, include_past: bool = False) -> list[ClassView]:
        """Every class (cancelled ones too) by start time, for staff; past ones only with `include_past`."""
        conditions = [] if include_past else [SmartphoneClass.ends_at > self._clock()]
        with self._sessions.begin() as session:
            return [_class_view(cls, waiting) for cls, waiting in session.execute(_with_waiting(*conditions))]

    # ----- bookings -----

    def book(
        self,
        class_id: str,
        *,
        name: str,
        phone: str,
        seats: int,
        lang: str,
        channel: str,
        sender_id: str,
        line_to: str | None = None,
        now: datetime | None = None,
    ) -> BookingView:
        """Book `seats` seats, or join the waiting list when they are not free (or others are already waiting).

        Raises ClassNotFound, ClassClosed (started, over or cancelled) and InvalidSeats (outside 1..MAX_SEATS or
        more than the class's capacity).
        """
        if not _valid_seats(seats):
            raise InvalidSeats(f"seats must be 1..{MAX_SEATS}")
        now = now or self._clock()
        with self._sessions.begin() as session:
            cls = self._lock_class(session, class_id)
            if cls is None:
                raise ClassNotFound(class_id)
            if _closed(cls, now):
                raise ClassClosed(class_id)
            if seats > cls.capacity:
                raise InvalidSeats(f"the class has {cls.capacity} seats")
            booked = self._take(session, class_id, seats, behind_queue=True)
            row = SmartphoneBooking(
                class_id=class_id,
                name=name,
                phone=phone,
                seats=seats,
                status=_BOOKED if booked else _WAITING,
                lang=lang,
                channel=channel,
                sender_key=self._key(sender_id),
                line_to=line_to,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()  # the INSERT: assigns row.id
            row.number = booking_number(row.id)
            session.flush()
            return self._view(session, row)

    def cancel(self, number: str, *, sender_id: str | None) -> BookingView:
        """Cancel a booking (or a place on the waiting list); idempotent on a cancelled one.

        `sender_id` None = staff on the resident's behalf; otherwise it must be the sender who booked
        (NotYourBooking). Booked seats are freed and waiting bookings promoted in order while the next one fits,
        each with a 'waitlist_promoted' notification. The booking's unsent notifications are dropped.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            cls, row = self._lock_booking(session, number, sender_id)
            if row.status == _CANCELLED:
                return self._view(session, row)
            if row.status == _BOOKED:
                self._release(session, cls.id, row.seats)
            row.status = _CANCELLED
            row.updated_at = now
            session.flush()
            self._drop_unsent(session, [row.number or booking_number(row.id)])
            if not _closed(cls, now):
                self._promote(session, cls, now)
            return self._view(session, row)

    def change_seats(self, number: str, seats: int, *, sender_id: str | None) -> BookingView:
        """Change the seats of a booking or a waiting-list place (position kept).

        More seats for a booked booking come only from free seats nobody waits for (NotEnoughSeats otherwise,
        booking unchanged); fewer seats free them for the waiting list. Raises InvalidSeats, BookingNotFound,
        BookingCancelled, NotYourBooking, ClassClosed.
        """
        if not _valid_seats(seats):
            raise InvalidSeats(f"seats must be 1..{MAX_SEATS}")
        now = self._clock()
        with self._sessions.begin() as session:
            cls, row = self._lock_booking(session, number, sender_id)
            if row.status == _CANCELLED:
                raise BookingCancelled(row.number)
            if _closed(cls, now):
                raise ClassClosed(cls.id)
            if seats > cls.capacity:
                raise InvalidSeats(f"the class has {cls.capacity} seats")
            delta = seats - row.seats
            if delta == 0:
                return self._view(session, row)
            if row.status == _BOOKED:
                if delta > 0 and not self._take(session, cls.id, delta, behind_queue=True):
                    session.refresh(cls)
                    raise NotEnoughSeats(cls.capacity - cls.taken)
                if delta < 0:
                    self._release(session, cls.id, -delta)
            row.seats = seats
            row.updated_at = now
            session.flush()
            self._promote(session, cls, now)
            return self._view(session, row)

    def find(self, number: str, *, sender_id: str | None = None) -> BookingView | None:
        """The booking with this number (as a resident types it); None if unknown or, with `sender_id`, not theirs."""
        canonical = parse_booking_number(number)
        if canonical is None:
            return None
        with self._sessions.begin() as session:
            row = session.scalar(select(SmartphoneBooking).where(SmartphoneBooking.number == canonical))
            if row is None or (sender_id is not None and row.sender_key != self._key(sender_id)):
                return None
            return self._view(session, row)

    def for_sender(self, sender_id: str, *, now: datetime) -> list[BookingView]:
        """The sender's booked and waiting bookings of classes that have not started, soonest class first."""
        query = (
            select(SmartphoneBooking)
            .join(SmartphoneClass, SmartphoneClass.id == SmartphoneBooking.class_id)
            .where(
                SmartphoneBooking.sender_key == self._key(sender_id),
                SmartphoneBooking.status != _CANCELLED,
                SmartphoneClass.starts_at > now,
            )
            .order_by(SmartphoneClass.starts_at, SmartphoneBooking.id)
        )
        with self._sessions.begin() as session:
            return [self._view(session, row) for row in session.scalars(query).all()]

    def bookings(self, class_id: str) -> list[BookingView]:
        """Staff: the class's booked bookings, then the waiting list in order, then the cancelled ones."""
        rank = {_BOOKED: 0, _WAITING: 1, _CANCELLED: 2}
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(SmartphoneBooking).where(SmartphoneBooking.class_id == class_id).order_by(SmartphoneBooking.id)
            ).all()
        rows = sorted(rows, key=lambda row: (rank.get(row.status, 3), row.id))
        waiting = [row.id for row in rows if row.status == _WAITING]
        return [_booking_view(row, waiting.index(row.id) + 1 if row.id in waiting else None) for row in rows]

    def forget_sender(self, sender_id: str) -> int:
        """Delete the sender's bookings and notifications ("forget me"); returns how many bookings.

        Their booked seats are freed first and the waiting lists move up as on a cancellation.
        """
        key = self._key(sender_id)
        now = self._clock()
        with self._sessions.begin() as session:
            class_ids = session.scalars(
                select(SmartphoneBooking.class_id).where(SmartphoneBooking.sender_key == key).distinct()
            ).all()
            classes = [self._lock_class(session, class_id) for class_id in sorted(class_ids)]  # one lock order
            rows = session.scalars(
                select(SmartphoneBooking).where(SmartphoneBooking.sender_key == key).with_for_update()
            ).all()
            for row in rows:
                if row.status == _BOOKED:
                    self._release(session, row.class_id, row.seats)
            session.execute(delete(Notification).where(Notification.sender_key == key))
            for row in rows:
                session.delete(row)
            session.flush()
            for cls in classes:
                if cls is not None and not _closed(cls, now):
                    self._promote(session, cls, now)
            return len(rows)

    # ----- notifications -----

    def queue_reminders(self, now: datetime) -> int:
        """Queue a 'class_reminder' for every booked booking of a class on the next calendar day (Japan time).

        Idempotent: each booking's reminder has a unique dedupe key, so running it again (or from two processes at
        once) queues nothing twice. Returns how many were queued by this call.
        """
        tomorrow = _start_of(now.astimezone(JST).date() + timedelta(days=1))
        query = (
            select(SmartphoneBooking, SmartphoneClass)
            .join(SmartphoneClass, SmartphoneClass.id == SmartphoneBooking.class_id)
            .where(
                SmartphoneBooking.status == _BOOKED,
                SmartphoneClass.cancelled.is_(False),
                SmartphoneClass.starts_at >= tomorrow,
                SmartphoneClass.starts_at < tomorrow + timedelta(days=1),
                SmartphoneClass.starts_at > now,
            )
            .order_by(SmartphoneBooking.id)
        )
        with self._sessions.begin() as session:
            rows = session.execute(query).all()
            return sum(self._queue(session, NotificationKind.CLASS_REMINDER, row, cls, now) for row, cls in rows)

    def claim_notifications(
        self,
        worker: str,
        now: datetime,
        *,
        limit: int = 20,
        stale_after: timedelta = timedelta(minutes=5),
        channels: Collection[str] = PUSH_CHANNELS,
    ) -> list[NotificationView]:
        """Claim up to `limit` due, unsent notifications of `channels` for `worker`, oldest first.

        One conditional UPDATE: a notification is claimable when nobody claimed it, or its claim is older than
        `stale_after` (a worker that died), and it failed fewer than MAX_ATTEMPTS times. Two workers never get
        the same one. Call mark_sent or mark_failed for each.
        """
        claimable = and_(
            Notification.sent_at.is_(None),
            Notification.due_at <= now,
            Notification.attempts < MAX_ATTEMPTS,
            Notification.channel.in_(list(channels)),
            or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - stale_after),
        )
        candidates = (
            select(Notification.id)
            .where(claimable)
            .order_by(Notification.due_at, Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(Notification)
            .where(Notification.id.in_(candidates.scalar_subquery()), claimable)
            .values(claimed_by=worker, claimed_at=now)
            .returning(Notification)
            .execution_options(synchronize_session=False)
        )
        with self._sessions.begin() as session:
            claimed = session.scalars(stmt).all()
            return [_notification_view(row) for row in sorted(claimed, key=lambda row: (row.due_at, row.id))]

    def mark_sent(self, notification_id: int, now: datetime) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(sent_at=now)
                .execution_options(synchronize_session=False)
            )

    def mark_failed(self, notification_id: int, error: str) -> None:
        """Release the claim (another try later) and count the attempt; `error` is stored masked and shortened."""
        with self._sessions.begin() as session:
            session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.sent_at.is_(None))
                .values(
                    claimed_by=None,
                    claimed_at=None,
                    attempts=Notification.attempts + 1,
                    last_error=mask(error)[:_MAX_ERROR_CHARS],
                )
                .execution_options(synchronize_session=False)
            )

    def pending_for_sender(self, sender_id: str, now: datetime) -> list[NotificationView]:
        """The sender's due web-chat notifications, claimed and marked sent in one UPDATE (shown once)."""
        stmt = (
            update(Notification)
            .where(
                Notification.sender_key == self._key(sender_id),
                Notification.channel == WEB_CHANNEL,
                Notification.sent_at.is_(None),
                Notification.due_at <= now,
            )
            .values(claimed_by=WEB_CHANNEL, claimed_at=now, sent_at=now)
            .returning(Notification)
            .execution_options(synchronize_session=False)
        )
        with self._sessions.begin() as session:
            rows = session.scalars(stmt).all()
            return [_notification_view(row) for row in sorted(rows, key=lambda row: (row.due_at, row.id))]

    # ----- catalogue import -----

    def replace_catalogue(self, rows: Sequence[ClassRow], *, example: bool) -> ImportResult:
        """Make `rows` the catalogue, in one transaction.

        New ids are added, known ones updated (a cancelled one comes back); classes not in `rows` are deleted, or,
        when they have bookings, kept and marked cancelled (listed in the result; their unsent reminders are
        dropped). Raises CatalogueConflict, importing nothing, when a class's capacity would fall below its booked
        seats, and ValueError for duplicate ids.
        """
        with self._sessions.begin() as session:
            return self._replace(session, rows, example=example)

    def load_example_if_empty(self, rows: Sequence[ClassRow]) -> ImportResult | None:
        """Import `rows` as example classes when the catalogue is empty (checked in the same transaction);
        None when there were classes already."""
        with self._sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Blocks other writers of the table (also a second loader) until this transaction ends.
                session.execute(select(func.pg_advisory_xact_lock(_EXAMPLE_LOCK_KEY)))
            if session.scalar(select(exists().select_from(SmartphoneClass))):
                return None
            return self._replace(session, rows, example=True)

    def count_classes(self) -> int:
        with self._sessions.begin() as session:
            return session.scalar(select(func.count()).select_from(SmartphoneClass)) or 0

    def _replace(self, session: Session, rows: Sequence[ClassRow], *, example: bool) -> ImportResult:
        ids = [row.id for row in rows]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate class ids")
        now = self._clock()
        existing = {cls.id: cls for cls in session.scalars(select(SmartphoneClass).with_for_update()).all()}
        active = dict(
            session.execute(
                select(SmartphoneBooking.class_id, func.count())
                .where(SmartphoneBooking.status != _CANCELLED)
                .group_by(SmartphoneBooking.class_id)
            ).all()
        )
        with_bookings = set(session.scalars(select(SmartphoneBooking.class_id).distinct()).all())
        conflicts = [
            (row.id, f"capacity {row.capacity} is below the {existing[row.id].taken} seats already booked")
            for row in rows
            if row.id in existing and row.capacity < existing[row.id].taken
        ]
        if conflicts:
            raise CatalogueConflict(conflicts)
        added = updated = unchanged = removed = 0
        cancelled: list[tuple[str, int]] = []
        for row in rows:
            values = {
                "topic": row.topic,
                "level": row.level,
                "venue": row.venue,
                "starts_at": row.starts_at,
                "ends_at": row.ends_at,
                "capacity": row.capacity,
                "phone": row.phone,
                "note": row.note,
                "example": example,
                "cancelled": False,
            }
            cls = existing.get(row.id)
            if cls is None:
                session.add(SmartphoneClass(id=row.id, taken=0, updated_at=now, **values))
                added += 1
            elif all(getattr(cls, name) == value for name, value in values.items()):
                unchanged += 1
            else:
                for name, value in values.items():
                    setattr(cls, name, value)
                cls.updated_at = now
                updated += 1
        session.flush()
        wanted = set(ids)
        for class_id, cls in sorted(existing.items()):
            if class_id in wanted:
                if not _closed(cls, now):
                    self._promote(session, cls, now)  # more seats, or a class back from cancelled
                continue
            if class_id not in with_bookings:
                session.delete(cls)
                removed += 1
            elif not cls.cancelled:
                cls.cancelled = True
                cls.updated_at = now
                cancelled.append((class_id, active.get(class_id, 0)))
                numbers = session.scalars(
                    select(SmartphoneBooking.number).where(SmartphoneBooking.class_id == class_id)
                ).all()
                self._drop_unsent(session, [n for n in numbers if n])
        session.flush()
        return ImportResult(added, updated, unchanged, removed, tuple(cancelled))

    # ----- helpers (inside a transaction) -----

    @staticmethod
    def _lock_class(session: Session, class_id: str) -> SmartphoneClass | None:
        query = select(SmartphoneClass).where(SmartphoneClass.id == class_id).with_for_update()
        return session.scalars(query.execution_options(populate_existing=True)).one_or_none()

    def _lock_booking(
        self, session: Session, number: str, sender_id: str | None
    ) -> tuple[SmartphoneClass, SmartphoneBooking]:
        """The booking and its class, class row locked first (the lock order of every seat change)."""
        canonical = parse_booking_number(number)
        class_id = None
        if canonical is not None:
            class_id = session.scalar(select(SmartphoneBooking.class_id).where(SmartphoneBooking.number == canonical))
        if class_id is None:
            raise BookingNotFound(number)
        cls = self._lock_class(session, class_id)
        row = session.scalars(
            select(SmartphoneBooking)
            .where(SmartphoneBooking.number == canonical)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if cls is None or row is None:  # deleted ("forgotten") meanwhile
            raise BookingNotFound(number)
        if sender_id is not None and row.sender_key != self._key(sender_id):
            raise NotYourBooking(canonical)
        return cls, row

    @staticmethod
    def _take(session: Session, class_id: str, seats: int, *, behind_queue: bool) -> bool:
        """The conditional UPDATE that books seats: True if they were free (and, with `behind_queue`, nobody is
        waiting for them), False if the class is unchanged."""
        conditions = [SmartphoneClass.id == class_id, SmartphoneClass.taken + seats <= SmartphoneClass.capacity]
        if behind_queue:
            # Waiting bookings that can never fit (capacity lowered below their seats) do not hold the others up.
            queue = exists().where(
                SmartphoneBooking.class_id == class_id,
                SmartphoneBooking.status == _WAITING,
                SmartphoneBooking.seats <= SmartphoneClass.capacity,
            )
            conditions.append(~queue)
        result = session.execute(
            update(SmartphoneClass)
            .where(*conditions)
            .values(taken=SmartphoneClass.taken + seats)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    @staticmethod
    def _release(session: Session, class_id: str, seats: int) -> None:
        session.execute(
            update(SmartphoneClass)
            .where(SmartphoneClass.id == class_id)
            .values(taken=SmartphoneClass.taken - seats)
            .execution_options(synchronize_session=False)
        )

    def _promote(self, session: Session, cls: SmartphoneClass, now: datetime) -> int:
        """Move waiting bookings up in order while the next one fits; each gets a notification. How many moved."""
        waiting = session.scalars(
            select(SmartphoneBooking)
            .where(SmartphoneBooking.class_id == cls.id, SmartphoneBooking.status == _WAITING)
            .order_by(SmartphoneBooking.id)
        ).all()
        promoted = 0
        for row in waiting:
            if row.seats > cls.capacity:
                continue  # can never fit (the capacity was lowered): must not block the others; staff see it
            if not self._take(session, cls.id, row.seats, behind_queue=False):
                break
            row.status = _BOOKED
            row.updated_at = now
            session.flush()
            self._queue(session, NotificationKind.WAITLIST_PROMOTED, row, cls, now)
            promoted += 1
        return promoted

    def _queue(
        self, session: Session, kind: NotificationKind, row: SmartphoneBooking, cls: SmartphoneClass, now: datetime
    ) -> int:
        """Insert the notification unless one with its dedupe key exists; 1 if inserted."""
        number = row.number or booking_number(row.id)
        starts, ends = cls.starts_at.astimezone(JST), cls.ends_at.astimezone(JST)
        params = {
            "class_id": cls.id,
            "topic": cls.topic,
            "level": cls.level,
            "venue_id": cls.venue,
            "date": starts.date().isoformat(),
            "time": f"{starts:%H:%M}–{ends:%H:%M}",
            "number": number,
            "seats": str(row.seats),
            "phone": cls.phone,
        }
        stmt = (
            _insert(session)(Notification)
            .values(
                kind=kind.value,
                dedupe_key=f"{kind.value}:{number}",
                booking_number=number,
                channel=PUSH_CHANNELS[0] if row.line_to else WEB_CHANNEL,
                recipient=row.line_to,
                sender_key=row.sender_key,
                lang=row.lang,
                message_key=MESSAGE_KEYS[kind.value],
                params=json.dumps(params, ensure_ascii=False, sort_keys=True),
                due_at=now,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
            .returning(Notification.id)
        )
        return 1 if session.execute(stmt).first() is not None else 0

    @staticmethod
    def _drop_unsent(session: Session, numbers: Sequence[str]) -> None:
        if numbers:
            session.execute(
                delete(Notification)
                .where(Notification.booking_number.in_(list(numbers)), Notification.sent_at.is_(None))
                .execution_options(synchronize_session=False)
            )

    @staticmethod
    def _view(session: Session, row: SmartphoneBooking) -> BookingView:
        position = None
        if row.status == _WAITING:
            position = session.scalar(
                select(func.count()).where(
                    SmartphoneBooking.class_id == row.class_id,
                    SmartphoneBooking.status == _WAITING,
                    SmartphoneBooking.id <= row.id,
                )
            )
        return _booking_view(row, position)
