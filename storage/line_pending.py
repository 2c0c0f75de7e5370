"""LINE events on their way to an answer (table line_events, migration 0004): nothing lost, nothing answered twice.

An event is *accepted* once (its webhook event id is the primary key, so of two deliveries or two gateways exactly
one wins), with its JSON, before anything else happens. Then:

    received ──Rasa answers──► sending ──delivered──► done
        │                         ▲
        └──backend down──► waiting ┘ (a replay asks Rasa again when the backend is back)

`received` and `sending` rows belong to one gateway until `lease_until`; a gateway that dies leaves them to be taken
over when the lease runs out. `sending` rows keep the answer, so a take-over delivers the same answer rather than
asking Rasa a second time. A take-over is a conditional UPDATE, so two gateways never take the same row.
Replays go chat by chat, oldest first, one event per chat at a time, so a chat's answers keep their order.
Payload and answer (message text: personal data) are cleared as soon as the event is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from storage.models import LineEvent, LineEventStatus

Sessions = sessionmaker[Session]

RECEIVED, WAITING, SENDING, DONE = (s.value for s in LineEventStatus)
OPEN = (RECEIVED, WAITING, SENDING)


def _upsert(session: Session) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True, slots=True)
class PendingEvent:
    event_id: str
    status: str
    chat_id: str | None
    payload: str | None
    answer: str | None
    seen_at: datetime
    attempts: int


def _pending(row: LineEvent) -> PendingEvent:
    return PendingEvent(row.event_id, row.status, row.chat_id, row.payload, row.answer, row.seen_at, row.attempts)


class LinePending:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def accept(
        self, event_id: str, now: datetime, *, ttl: timedelta, lease: timedelta, chat_id: str | None = None,
        payload: str | None = None,
    ) -> bool:  # fmt: skip
        """Record a new event; False when the id is already known (a redelivery, or another gateway has it).

        Without a payload the event is done at once (nothing to answer later). A `done` id older than `ttl` counts
        as new again (LINE redelivers within hours; ids are kept a day)."""
        status = RECEIVED if payload is not None else DONE
        lease_until = now + lease if payload is not None else None
        values = {"event_id": event_id, "seen_at": now, "status": status, "chat_id": chat_id, "payload": payload,
                  "answer": None, "lease_until": lease_until, "attempts": 0}  # fmt: skip
        with self._sessions.begin() as session:
            stmt = _upsert(session)(LineEvent).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=[LineEvent.event_id],
                set_={key: getattr(stmt.excluded, key) for key in values if key != "event_id"},
                where=and_(LineEvent.status == DONE, LineEvent.seen_at < now - ttl),
            )
            # RETURNING yields the row only when it was inserted or taken over.
            return session.execute(stmt.returning(LineEvent.event_id)).first() is not None

    def earlier_waiting(self, event_id: str, chat_id: str, now: datetime) -> bool:
        """True when the chat has an older event that waits for a replay (held while a backend was down, or left by
        a gateway that died): this one must wait its turn. Events a live gateway is answering do not count."""
        with self._sessions.begin() as session:
            seen = select(LineEvent.seen_at).where(LineEvent.event_id == event_id).scalar_subquery()
            query = select(LineEvent.event_id).where(
                LineEvent.chat_id == chat_id,
                LineEvent.event_id != event_id,
                or_(LineEvent.status == WAITING, and_(LineEvent.status.in_(OPEN), LineEvent.lease_until < now)),
                or_(LineEvent.seen_at < seen, and_(LineEvent.seen_at == seen, LineEvent.event_id < event_id)),
            )
            return session.execute(query.limit(1)).first() is not None

    def wait(self, event_id: str) -> None:
        """The backend is down: keep the event for a replay (no owner until then)."""
        with self._sessions.begin() as session:
            session.execute(
                update(LineEvent)
                .where(LineEvent.event_id == event_id, LineEvent.status.in_(OPEN))
                .values(status=WAITING, lease_until=None, answer=None)
            )

    def answered(self, event_id: str, answer: str, now: datetime, lease: timedelta) -> None:
        """Rasa answered: keep the messages to send until they are delivered."""
        with self._sessions.begin() as session:
            session.execute(
                update(LineEvent)
                .where(LineEvent.event_id == event_id, LineEvent.status.in_(OPEN))
                .values(status=SENDING, answer=answer, lease_until=now + lease)
            )

    def done(self, event_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(LineEvent)
                .where(LineEvent.event_id == event_id)
                .values(status=DONE, payload=None, answer=None, chat_id=None, lease_until=None)
            )

    def due(self, now: datetime, limit: int = 50) -> list[PendingEvent]:
        """The oldest unanswered event of each chat that nobody owns (waiting, or its lease ran out), oldest first."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(LineEvent).where(LineEvent.status.in_(OPEN)).order_by(LineEvent.seen_at, LineEvent.event_id)
            ).all()
            heads: dict[str | None, LineEvent] = {}
            for row in rows:
                heads.setdefault(row.chat_id, row)
            free = [_pending(row) for row in heads.values() if row.lease_until is None or row.lease_until < now]
            return free[:limit]

    def take(self, event_id: str, now: datetime, lease: timedelta) -> PendingEvent | None:
        """Own an unowned open event until now + lease; None when another gateway was faster or it is done."""
        with self._sessions.begin() as session:
            row = session.execute(
                update(LineEvent)
                .where(
                    LineEvent.event_id == event_id,
                    LineEvent.status.in_(OPEN),
                    or_(LineEvent.lease_until.is_(None), LineEvent.lease_until < now),
                )
                .values(lease_until=now + lease, attempts=LineEvent.attempts + 1)
                .returning(LineEvent)
            ).scalar_one_or_none()
            return _pending(row) if row is not None else None

    def open_count(self) -> int:
        with self._sessions.begin() as session:
            return len(session.scalars(select(LineEvent.event_id).where(LineEvent.status.in_(OPEN))).all())

    def give_up(self, before: datetime) -> int:
        """Close open events received before `before` (too old to answer); returns how many."""
        with self._sessions.begin() as session:
            return session.execute(
                update(LineEvent)
                .where(LineEvent.status.in_(OPEN), LineEvent.seen_at < before)
                .values(status=DONE, payload=None, answer=None, chat_id=None, lease_until=None)
            ).rowcount

    def purge(self, before: datetime) -> int:
        """Forget done ids seen before `before` (open events are never purged)."""
        with self._sessions.begin() as session:
            return session.execute(
                delete(LineEvent).where(LineEvent.status == DONE, LineEvent.seen_at < before)
            ).rowcount

    def forget_chat(self, chat_id: str) -> int:
        """Delete the chat's unanswered events ("forget me", unfollow); returns how many."""
        with self._sessions.begin() as session:
            return session.execute(
                delete(LineEvent).where(LineEvent.chat_id == chat_id, LineEvent.status.in_(OPEN))
            ).rowcount
