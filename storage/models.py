"""Tables of the application database. The schema itself is created by the migrations in storage/migrations/."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint and index names are fixed, so later migrations can refer to them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC: timestamptz on PostgreSQL, naive UTC text on SQLite (which sorts correctly)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (e.g. datetime.now(timezone.utc))")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class RequestStatus(str, enum.Enum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


STATUS_CHECK = "status IN ({})".format(", ".join(f"'{status.value}'" for status in RequestStatus))


class LineEventStatus(str, enum.Enum):
    """Where a LINE event is on its way to an answer (migration 0004; the supervisor part of issue 12)."""

    RECEIVED = "received"  # accepted; a gateway is asking Rasa (owner: until lease_until)
    WAITING = "waiting"  # Rasa or the action server was down: the resident was told, the answer comes later
    SENDING = "sending"  # the answer is stored in `answer` and is being delivered
    DONE = "done"  # answered (or nothing to answer); only the id is kept, against redeliveries


LINE_EVENT_STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s.value}'" for s in LineEventStatus))


class LineEvent(Base):
    """A LINE webhook event id: redeliveries of it are ignored until it expires.

    Until it is answered the row also holds the event itself (`payload`, the webhook JSON) and, once Rasa has
    answered, the messages to send (`answer`), so an event received while a backend is down, or while a gateway
    dies, is answered later exactly once. Both are cleared when the event is done.
    """

    __tablename__ = "line_events"
    __table_args__ = (CheckConstraint(LINE_EVENT_STATUS_CHECK, name="status"),)

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=LineEventStatus.DONE.value, index=True)
    # The chat the answer goes to (user, group or room id): answers in one chat keep their order; "forget me" and
    # unfollow delete the chat's rows.
    chat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class LineUser(Base):
    """The reply language a LINE user chose (or their LINE app's language); deleted when they unfollow."""

    __tablename__ = "line_users"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lang: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class ReferenceRequest(Base):
    """A written reference request to the city libraries (personal data: stored because the resident asked)."""

    __tablename__ = "reference_requests"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="status"),
        # AUTOINCREMENT: SQLite would otherwise reuse the id (and so the number) of a deleted ("forgotten") request.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # "R-000123", set from the id in the transaction that inserts the row (so NULL only inside that transaction).
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    question: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(Text)
    # Office id from knowledge_base/data/places/offices.yaml (e.g. chuo_library); None = any library.
    library: Mapped[str | None] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.RECEIVED.value)
    consent: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # privacy.sender_key(sender id): lets "forget me" find the rows without storing who sent them.
    sender_key: Mapped[str] = mapped_column(String(64), index=True)


class UnansweredQuestion(Base):
    """A question the assistant could not answer, masked, with no sender: staff read these to add answers."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)


class BookingStatus(str, enum.Enum):
    BOOKED = "booked"  # holds `seats` of the class's `taken`
    WAITING = "waiting"  # on the waiting list, promoted in order of id when seats free up
    CANCELLED = "cancelled"


class NotificationKind(str, enum.Enum):
    CLASS_REMINDER = "class_reminder"
    WAITLIST_PROMOTED = "waitlist_promoted"
    BENEFIT_REMINDER = "benefit_reminder"  # storage.benefits: a vaccination / check-up becomes due ("For You")


def _in(column: str, values: type[enum.Enum]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value.value}'" for value in values))


BOOKING_STATUS_CHECK = _in("status", BookingStatus)
NOTIFICATION_KIND_CHECK = _in("kind", NotificationKind)
MAX_SEATS = 4
# Longest e-mail address SMTP carries (RFC 5321 path limit less the angle brackets); LINE ids are 33 characters.
MAX_RECIPIENT = 254
SUBSCRIPTION_CHANNELS = ("line", "email")


class SmartphoneClass(Base):
    """A smartphone class of the catalogue (storage.smartphone_import); `taken` = seats of its booked bookings."""

    __tablename__ = "smartphone_classes"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        # The seat count the database enforces: a booking that would overfill the class fails its UPDATE.
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken"),
        CheckConstraint("ends_at > starts_at", name="times"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. ex-2027-01-12-chuo-line
    topic: Mapped[str] = mapped_column(String(32))  # storage.smartphone.TOPICS
    level: Mapped[str] = mapped_column(String(16))  # storage.smartphone.LEVELS
    venue: Mapped[str] = mapped_column(String(64))  # office id from knowledge_base/data/places/offices.yaml
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    phone: Mapped[str] = mapped_column(String(32))  # where residents call about the class
    example: Mapped[bool] = mapped_column(Boolean)  # an invented example schedule, not a real class
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class SmartphoneBooking(Base):
    """A resident's booking or place on a waiting list (personal data: stored because the resident asked)."""

    __tablename__ = "smartphone_bookings"
    __table_args__ = (
        CheckConstraint(f"seats >= 1 AND seats <= {MAX_SEATS}", name="seats"),
        CheckConstraint(BOOKING_STATUS_CHECK, name="status"),
        # The waiting list of a class in order (promotion is first come, first served).
        Index("ix_smartphone_bookings_class_status", "class_id", "status", "id"),
        # AUTOINCREMENT: SQLite would otherwise reuse the id (and so the number) of a deleted ("forgotten") booking.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # "S-000123", set from the id in the transaction that inserts the row (so NULL only inside that transaction).
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    class_id: Mapped[str] = mapped_column(String(64), ForeignKey("smartphone_classes.id"))
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    seats: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # line | web | ...
    # privacy.sender_key(sender id): finds the resident's bookings again ("forget me") without storing who sent them.
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    line_to: Mapped[str | None] = mapped_column(String(64))  # LINE push recipient, only for LINE bookings
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Notification(Base):
    """Outbox of messages to residents (class reminders, waiting-list promotions, benefit reminders), claimed and sent
    by the worker."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(NOTIFICATION_KIND_CHECK, name="kind"),
        CheckConstraint("attempts >= 0", name="attempts"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    # One notification per purpose, e.g. "class_reminder:S-000123": queuing it twice inserts nothing.
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    # What the notification is about: a booking number ("S-000123"), or "BF-000012" for benefit subscription 12.
    booking_number: Mapped[str] = mapped_column(String(16), index=True)
    # line / email = sent by the worker; web = shown at the resident's next visit
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(MAX_RECIPIENT))  # LINE user id / e-mail address, else None
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    lang: Mapped[str] = mapped_column(String(16))
    message_key: Mapped[str] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(Text)  # JSON object of strings
    due_at: Mapped[datetime] = mapped_column(index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class BenefitSubscription(Base):
    """A resident's opt-in to "For You" reminders (vaccinations and check-ups due for a child born in a month).

    `recipient` (a LINE user id or an e-mail address) is personal data, stored only because the resident opted in, and
    cleared when they stop the reminders; "forget me" deletes the row. The reminders go through the notifications
    outbox (kind benefit_reminder, dedupe key "benefit:<id>:<due key>").
    """

    __tablename__ = "benefit_subscriptions"
    __table_args__ = (
        CheckConstraint("channel IN ({})".format(", ".join(f"'{c}'" for c in SUBSCRIPTION_CHANNELS)), name="channel"),
        CheckConstraint("stopped_at IS NOT NULL OR recipient IS NOT NULL", name="recipient"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Random, unguessable: the stop link's `t` (whoever holds the link may stop the reminders, nothing else).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # privacy.sender_key(sender id): "forget me" and "stop my reminders" find the rows without storing who sent them.
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # line | email
    recipient: Mapped[str | None] = mapped_column(String(MAX_RECIPIENT))
    child_birth_month: Mapped[date] = mapped_column(Date)  # the first day of the month
    ward: Mapped[str | None] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None] = mapped_column(index=True)


# --- input (issue 12 §5): payloads of buttons the assistant offered --------------------------------------------------


class OfferedPayload(Base):
    """A button payload (`/intent{...}`) the assistant offered to a sender: only these are run when sent back.

    Both columns are keyed hashes (storage.privacy.sender_key), so the table holds neither sender ids nor the entity
    values a payload may carry; rows expire (CHIBA_OFFERED_PAYLOAD_TTL) and "forget me" deletes the sender's.
    """

    __tablename__ = "offered_payloads"

    sender_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    offered_at: Mapped[datetime] = mapped_column(index=True)


# --- interpreter (issue 11 §6): transcripts counter staff chose to save --------------------------------------------


class InterpreterTranscript(Base):
    """A desk-tablet conversation staff saved (personal data: stored only on staff's request, deleted once it
    expires). `turns` is a JSON list of {"role", "ja", "text", "source"}: each utterance in Japanese and in `lang`."""

    __tablename__ = "interpreter_transcripts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lang: Mapped[str] = mapped_column(String(16))
    turns: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
