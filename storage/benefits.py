"""Benefit reminders (`repos.benefits`): residents' opt-ins to "For You" reminders and the reminders they are due.

A subscription names a channel ('line' or 'email'), a recipient (the LINE user id or the e-mail address: personal
data, stored only because the resident opted in) and the month a child was born. Each round the worker calls
`queue_due(now, programmes)`: for every active subscription the benefits engine's `due_reminders` says which
vaccinations and check-ups become due soon, and each one is queued once in the shared notifications outbox
(storage.smartphone: kind 'benefit_reminder', dedupe key "benefit:<subscription id>:<due key>"). The outbox's unique
key makes queuing idempotent, also from two workers at once; the worker claims and sends them with the other
notifications (an atomic claim: each is sent once).

Stopping (by the link in every reminder, or by asking the assistant) sets `stopped_at`, clears the recipient and drops
the unsent reminders in the same transaction; "forget me" deletes the rows. The queuing transaction locks the active
subscriptions it reads (`FOR UPDATE` on PostgreSQL; SQLite serialises every writer), so a stop that commits meanwhile
is never followed by a reminder queued for it.

Nothing here logs: sender ids, LINE ids and e-mail addresses are personal data.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Protocol

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import (
    MAX_RECIPIENT,
    SUBSCRIPTION_CHANNELS,
    BenefitSubscription,
    Notification,
    NotificationKind,
)
from storage.privacy import sender_key
from storage.smartphone import JST, NotificationView, _insert, _notification_view

__all__ = [
    "KIND",
    "MESSAGE_KEY",
    "BenefitSubscriptions",
    "InvalidSubscription",
    "Subscription",
    "reference",
]

KIND = NotificationKind.BENEFIT_REMINDER.value
MESSAGE_KEY = "bf_reminder"  # translations/messages/<lang>/benefits.yml
TOKEN_BYTES = 24  # 32 URL-safe characters
# A plain check, not a full RFC 5322 parser: one @, no spaces or angle brackets, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[^@\s<>,;:\"]+$")
_LINE_ID = re.compile(r"^U[0-9a-f]{32}$")

Clock = Callable[[], datetime]
Sessions = sessionmaker[Session]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def reference(subscription_id: int) -> str:
    """What a benefit reminder's outbox row names in its `booking_number` column: "BF-000012"."""
    return f"BF-{subscription_id:06d}"


class InvalidSubscription(ValueError):
    """subscribe(): a channel that is not 'line'/'email', or a recipient that is not a LINE user id / an address."""


class DueLike(Protocol):
    """What queue_due reads of the engine's knowledge_base.benefits.Due."""

    @property
    def key(self) -> str: ...
    @property
    def programme_id(self) -> str: ...
    @property
    def due_from(self) -> date: ...
    @property
    def due_until(self) -> date | None: ...


# (child's birth month, today, programmes) → what becomes due soon (knowledge_base.benefits.due_reminders).
DueReminders = Callable[[date, date, Any], Sequence[DueLike]]


@dataclass(frozen=True)
class Subscription:
    id: int
    token: str
    channel: str  # line | email
    recipient: str | None  # None once stopped
    child_birth_month: date  # day 1
    ward: str | None
    lang: str
    created_at: datetime
    stopped_at: datetime | None

    @property
    def active(self) -> bool:
        return self.stopped_at is None


def _view(row: BenefitSubscription) -> Subscription:
    return Subscription(
        id=row.id,
        token=row.token,
        channel=row.channel,
        recipient=row.recipient,
        child_birth_month=row.child_birth_month,
        ward=row.ward,
        lang=row.lang,
        created_at=row.created_at,
        stopped_at=row.stopped_at,
    )


def _engine_due_reminders(birth_month: date, today: date, programmes: Any) -> Sequence[DueLike]:
    from knowledge_base.benefits import due_reminders

    return due_reminders(birth_month, today, programmes)


def _valid_recipient(channel: str, recipient: str) -> bool:
    if channel == "line":
        return bool(_LINE_ID.match(recipient))
    return len(recipient) <= MAX_RECIPIENT and bool(_EMAIL.match(recipient))


class BenefitSubscriptions:
    def __init__(
        self,
        sessions: Sessions,
        *,
        sender_salt: str,
        clock: Clock = utcnow,
        due_reminders: DueReminders = _engine_due_reminders,
    ) -> None:
        self._sessions = sessions
        self._salt = sender_salt
        self._clock = clock
        self._due_reminders = due_reminders

    def _key(self, sender_id: str) -> str:
        return sender_key(sender_id, self._salt)

    # ----- subscriptions -----

    def subscribe(
        self,
        *,
        sender_id: str,
        channel: str,
        recipient: str,
        child_birth_month: date,
        ward: str | None,
        lang: str,
    ) -> Subscription:
        """Start reminders for a child born in `child_birth_month` (any day of it; stored as day 1).

        The same sender subscribing the same recipient for the same month again gets the active subscription back
        (language and ward updated), not a second one. Raises InvalidSubscription for an unknown channel or a
        recipient that is not a LINE user id ('line') or an e-mail address ('email').
        """
        recipient = recipient.strip()
        if channel not in SUBSCRIPTION_CHANNELS:
            raise InvalidSubscription(f"channel must be one of {SUBSCRIPTION_CHANNELS}")
        if not _valid_recipient(channel, recipient):
            raise InvalidSubscription(f"not a valid {channel} recipient")
        month = child_birth_month.replace(day=1)
        key = self._key(sender_id)
        with self._sessions.begin() as session:
            row = session.scalar(
                select(BenefitSubscription)
                .where(
                    BenefitSubscription.sender_key == key,
                    BenefitSubscription.channel == channel,
                    BenefitSubscription.recipient == recipient,
                    BenefitSubscription.child_birth_month == month,
                    BenefitSubscription.stopped_at.is_(None),
                )
                .order_by(BenefitSubscription.id)
                .limit(1)
                .with_for_update()
            )
            if row is None:
                row = BenefitSubscription(
                    token=secrets.token_urlsafe(TOKEN_BYTES),
                    sender_key=key,
                    channel=channel,
                    recipient=recipient,
                    child_birth_month=month,
                    created_at=self._clock(),
                )
                session.add(row)
            row.ward, row.lang = ward, lang
            session.flush()
            return _view(row)

    def find_by_token(self, token: str) -> Subscription | None:
        with self._sessions.begin() as session:
            row = session.scalar(select(BenefitSubscription).where(BenefitSubscription.token == token))
            return None if row is None else _view(row)

    def for_sender(self, sender_id: str) -> list[Subscription]:
        """The sender's active subscriptions, oldest first."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(BenefitSubscription)
                .where(BenefitSubscription.sender_key == self._key(sender_id), BenefitSubscription.stopped_at.is_(None))
                .order_by(BenefitSubscription.id)
            ).all()
            return [_view(row) for row in rows]

    def active(self) -> list[Subscription]:
        """Every active subscription, oldest first."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(BenefitSubscription)
                .where(BenefitSubscription.stopped_at.is_(None))
                .order_by(BenefitSubscription.id)
            ).all()
            return [_view(row) for row in rows]

    def stop_by_token(self, token: str) -> Subscription | None:
        """Stop the subscription of a stop link (if still active); the subscription as it is now, None for an unknown
        token. Stopping twice is harmless (the second time changes nothing)."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(BenefitSubscription).where(BenefitSubscription.token == token).with_for_update()
            )
            if row is None:
                return None
            if row.stopped_at is None:
                self._stop(session, [row])
            return _view(row)

    def unsubscribe_by_token(self, token: str) -> bool:
        """True when the token named an active subscription, now stopped."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(BenefitSubscription)
                .where(BenefitSubscription.token == token, BenefitSubscription.stopped_at.is_(None))
                .with_for_update()
            )
            if row is None:
                return False
            self._stop(session, [row])
            return True

    def unsubscribe_sender(self, sender_id: str) -> int:
        """Stop every active subscription of the sender; how many."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(BenefitSubscription)
                .where(BenefitSubscription.sender_key == self._key(sender_id), BenefitSubscription.stopped_at.is_(None))
                .order_by(BenefitSubscription.id)
                .with_for_update()
            ).all()
            self._stop(session, rows)
            return len(rows)

    def forget_sender(self, sender_id: str) -> int:
        """Delete the sender's subscriptions, active or stopped, and their reminders, sent or not ("forget me");
        how many subscriptions."""
        key = self._key(sender_id)
        with self._sessions.begin() as session:
            session.execute(
                delete(Notification)
                .where(Notification.sender_key == key, Notification.kind == KIND)
                .execution_options(synchronize_session=False)
            )
            return session.execute(
                delete(BenefitSubscription)
                .where(BenefitSubscription.sender_key == key)
                .execution_options(synchronize_session=False)
            ).rowcount

    def _stop(self, session: Session, rows: Sequence[BenefitSubscription]) -> None:
        if not rows:
            return
        now = self._clock()
        for row in rows:
            row.stopped_at, row.recipient = now, None
        session.execute(
            delete(Notification)
            .where(
                Notification.kind == KIND,
                Notification.booking_number.in_([reference(row.id) for row in rows]),
                Notification.sent_at.is_(None),
            )
            .execution_options(synchronize_session=False)
        )
        # Sent reminders stay (the outbox's dedupe keys keep them from being queued again) without the address.
        session.execute(
            update(Notification)
            .where(Notification.kind == KIND, Notification.booking_number.in_([reference(row.id) for row in rows]))
            .values(recipient=None)
            .execution_options(synchronize_session=False)
        )

    # ----- reminders -----

    def queue_due(self, now: datetime, programmes: Any) -> int:
        """Queue a 'benefit_reminder' for everything that `due_reminders` says becomes due soon for the children of the
        active subscriptions (today = `now`'s date in Japan). Idempotent: each (subscription, due key) is queued once,
        however often and from however many workers this runs. Returns how many this call queued."""
        today = now.astimezone(JST).date()
        queued = 0
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(BenefitSubscription)
                .where(BenefitSubscription.stopped_at.is_(None))
                .order_by(BenefitSubscription.id)
                .with_for_update()
            ).all()
            for row in rows:
                for due in self._due_reminders(row.child_birth_month, today, programmes):
                    queued += self._queue(session, row, due, now)
        return queued

    def _queue(self, session: Session, row: BenefitSubscription, due: DueLike, now: datetime) -> int:
        params = {
            "programme_id": due.programme_id,
            "due_key": due.key,
            "due_from": due.due_from.isoformat(),
            "due_until": due.due_until.isoformat() if due.due_until else "",
            "token": row.token,  # the stop link's
        }
        stmt = (
            _insert(session)(Notification)
            .values(
                kind=KIND,
                dedupe_key=f"benefit:{row.id}:{due.key}",
                booking_number=reference(row.id),
                channel=row.channel,
                recipient=row.recipient,
                sender_key=row.sender_key,
                lang=row.lang,
                message_key=MESSAGE_KEY,
                params=json.dumps(params, ensure_ascii=False, sort_keys=True),
                due_at=now,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
            .returning(Notification.id)
        )
        return 1 if session.execute(stmt).first() is not None else 0

    def reminders(self, subscription_id: int) -> list[NotificationView]:
        """The subscription's reminders in the outbox, oldest first (staff and tests)."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(Notification)
                .where(and_(Notification.kind == KIND, Notification.booking_number == reference(subscription_id)))
                .order_by(Notification.id)
            ).all()
            return [_notification_view(row) for row in rows]
