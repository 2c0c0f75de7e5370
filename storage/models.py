"""Tables of the application database. The schema itself is created by the migrations in storage/migrations/."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import Boolean, CheckConstraint, DateTime, Dialect, Integer, MetaData, String, Text, TypeDecorator
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


class LineEvent(Base):
    """A LINE webhook event id already handled; redeliveries of it are ignored until it expires."""

    __tablename__ = "line_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


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
