"""The only code that reads and writes the application tables. Synchronous; every method is its own transaction.

Smartphone classes (bookings, waiting lists, notifications) live in storage.smartphone (`repos.smartphone`), benefit
reminder subscriptions in storage.benefits (`repos.benefits`, sharing the notifications outbox).
Async code (gateway, action server) uses `AsyncRepositories`, which runs the same methods in a worker thread
(asyncio.to_thread) so the event loop never waits on the database. Nothing here logs: question and contact text,
sender ids and LINE user ids are personal data.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, ParamSpec, TypeVar

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from settings import DatabaseSettings
from storage.benefits import BenefitSubscriptions
from storage.db import session_factory
from storage.models import LineEvent, LineEventStatus, LineUser, ReferenceRequest, RequestStatus, UnansweredQuestion
from storage.privacy import mask, sender_key
from storage.smartphone import SmartphoneClasses

P = ParamSpec("P")
T = TypeVar("T")
Clock = Callable[[], datetime]
Sessions = sessionmaker[Session]

_NUMBER = re.compile(r"(?<![A-Z])R[-‐−ー]?0*(\d{1,12})")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def reference_number(request_id: int) -> str:
    """The number a resident quotes for request `request_id`: "R-000123"."""
    return f"R-{request_id:06d}"


def parse_reference_number(text: str) -> str | None:
    """The canonical number in what a resident typed ("r-123", "Ｒ０００１２３", "R000123" → "R-000123"), or None."""
    found = _NUMBER.search(unicodedata.normalize("NFKC", text).upper())
    return reference_number(int(found.group(1))) if found else None


def _upsert(session: Session) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT with ON CONFLICT (the same syntax on PostgreSQL and SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class LineEvents:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def claim(self, event_id: str, now: datetime, ttl: timedelta) -> bool:
        """True for the first claim of `event_id` (or the first after it expired), False otherwise.

        One INSERT … ON CONFLICT statement: a new id is inserted; a known id is taken over only when its seen_at is
        older than `ttl`. The database's unique key decides between concurrent claims, so exactly one wins.
        """
        with self._sessions.begin() as session:
            stmt = _upsert(session)(LineEvent).values(event_id=event_id, seen_at=now)
            stmt = stmt.on_conflict_do_update(
                index_elements=[LineEvent.event_id],
                set_={"seen_at": stmt.excluded.seen_at},
                where=LineEvent.seen_at < now - ttl,
            )
            # RETURNING yields the row only when it was inserted or taken over (rowcount is not reliable for INSERT).
            return session.execute(stmt.returning(LineEvent.event_id)).first() is not None

    def purge(self, before: datetime) -> int:
        """Forget ids of events answered before `before` (an event still waiting for its answer stays); returns how
        many."""
        with self._sessions.begin() as session:
            done = (LineEvent.seen_at < before) & (LineEvent.status == LineEventStatus.DONE.value)
            return session.execute(delete(LineEvent).where(done)).rowcount


class LineUsers:
    def __init__(self, sessions: Sessions, clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def get_lang(self, user_id: str) -> str | None:
        with self._sessions.begin() as session:
            return session.scalar(select(LineUser.lang).where(LineUser.user_id == user_id))

    def set_lang(self, user_id: str, lang: str, now: datetime | None = None) -> None:
        now = now or self._clock()
        with self._sessions.begin() as session:
            stmt = _upsert(session)(LineUser).values(user_id=user_id, lang=lang, updated_at=now)
            stmt = stmt.on_conflict_do_update(
                index_elements=[LineUser.user_id], set_={"lang": stmt.excluded.lang, "updated_at": now}
            )
            session.execute(stmt)

    def forget(self, user_id: str) -> bool:
        """Delete the user's row; True if there was one."""
        with self._sessions.begin() as session:
            return session.execute(delete(LineUser).where(LineUser.user_id == user_id)).rowcount > 0


class ReferenceRequests:
    def __init__(self, sessions: Sessions, *, sender_salt: str, clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._salt = sender_salt
        self._clock = clock

    def create(
        self, question: str, contact: str, library: str | None, lang: str, consent: bool, sender_id: str
    ) -> ReferenceRequest:
        """Store a request and give it its number, both in one transaction (the number is derived from the id)."""
        now = self._clock()
        row = ReferenceRequest(
            question=question,
            contact=contact,
            library=library,
            lang=lang,
            status=RequestStatus.RECEIVED.value,
            consent=consent,
            created_at=now,
            updated_at=now,
            sender_key=sender_key(sender_id, self._salt),
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()  # the INSERT: assigns row.id
            row.number = reference_number(row.id)
        return row

    def get(self, number: str) -> ReferenceRequest | None:
        """The request with this number, also as a resident types it ("r-123"); None if there is none."""
        canonical = parse_reference_number(number)
        if canonical is None:
            return None
        with self._sessions.begin() as session:
            return session.scalar(select(ReferenceRequest).where(ReferenceRequest.number == canonical))

    def list(
        self, status: RequestStatus | str | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[ReferenceRequest]:
        """Requests oldest first (the order staff answer them), optionally of one status."""
        query = select(ReferenceRequest).order_by(ReferenceRequest.id).limit(limit).offset(offset)
        if status is not None:
            query = query.where(ReferenceRequest.status == RequestStatus(status).value)
        with self._sessions.begin() as session:
            return session.scalars(query).all()

    def set_status(self, number: str, status: RequestStatus | str) -> ReferenceRequest | None:
        """Change a request's status; the updated request, or None if the number is unknown.

        Raises ValueError for a status outside RequestStatus (the table's check constraint would refuse it too).
        """
        value = RequestStatus(status).value
        canonical = parse_reference_number(number)
        if canonical is None:
            return None
        with self._sessions.begin() as session:
            row = session.scalar(select(ReferenceRequest).where(ReferenceRequest.number == canonical).with_for_update())
            if row is None:
                return None
            row.status = value
            row.updated_at = self._clock()
        return row

    def forget_sender(self, sender_id: str) -> int:
        """Delete every request the sender made ("forget me"); returns how many."""
        key = sender_key(sender_id, self._salt)
        with self._sessions.begin() as session:
            return session.execute(delete(ReferenceRequest).where(ReferenceRequest.sender_key == key)).rowcount


class QuestionCount(NamedTuple):
    text: str
    lang: str
    count: int


class Unanswered:
    def __init__(self, sessions: Sessions, clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, text: str, lang: str, intent: str, domain: str | None = None) -> UnansweredQuestion:
        """Store a question the assistant could not answer, personal data masked (privacy.mask), with no sender."""
        row = UnansweredQuestion(text=mask(text), lang=lang, intent=intent, domain=domain, created_at=self._clock())
        with self._sessions.begin() as session:
            session.add(row)
        return row

    def list(self, since: datetime | None = None) -> Sequence[UnansweredQuestion]:
        """Questions oldest first, optionally only those recorded at or after `since`."""
        query = select(UnansweredQuestion).order_by(UnansweredQuestion.created_at, UnansweredQuestion.id)
        if since is not None:
            query = query.where(UnansweredQuestion.created_at >= since)
        with self._sessions.begin() as session:
            return session.scalars(query).all()

    def counts(self, since: datetime | None = None) -> Sequence[QuestionCount]:
        """How often each (masked text, language) was asked, most frequent first, then by text."""
        count = func.count().label("count")
        query = (
            select(UnansweredQuestion.text, UnansweredQuestion.lang, count)
            .group_by(UnansweredQuestion.text, UnansweredQuestion.lang)
            .order_by(count.desc(), UnansweredQuestion.text, UnansweredQuestion.lang)
        )
        if since is not None:
            query = query.where(UnansweredQuestion.created_at >= since)
        with self._sessions.begin() as session:
            return [QuestionCount(text, lang, n) for text, lang, n in session.execute(query)]


@dataclass(frozen=True, slots=True)
class Repositories:
    line_events: LineEvents
    line_users: LineUsers
    reference_requests: ReferenceRequests
    unanswered: Unanswered
    smartphone: SmartphoneClasses
    benefits: BenefitSubscriptions

    @classmethod
    def for_engine(cls, engine: Engine, *, sender_salt: str | None = None, clock: Clock = utcnow) -> Repositories:
        """All repositories on one engine; the salt defaults to CHIBA_DATABASE_SENDER_SALT."""
        sessions = session_factory(engine)
        salt = sender_salt if sender_salt is not None else DatabaseSettings().sender_salt.get_secret_value()
        return cls(
            line_events=LineEvents(sessions),
            line_users=LineUsers(sessions, clock),
            reference_requests=ReferenceRequests(sessions, sender_salt=salt, clock=clock),
            unanswered=Unanswered(sessions, clock),
            smartphone=SmartphoneClasses(sessions, sender_salt=salt, clock=clock),
            benefits=BenefitSubscriptions(sessions, sender_salt=salt, clock=clock),
        )


class AsyncRepositories:
    """The repositories for async code: the same methods, each awaited in a worker thread."""

    def __init__(self, repositories: Repositories) -> None:
        self.sync = repositories
        self.line_events = _AsyncLineEvents(repositories.line_events)
        self.line_users = _AsyncLineUsers(repositories.line_users)
        self.reference_requests = _AsyncReferenceRequests(repositories.reference_requests)
        self.unanswered = _AsyncUnanswered(repositories.unanswered)
        self.smartphone = _AsyncSmartphoneClasses(repositories.smartphone)
        self.benefits = _AsyncBenefitSubscriptions(repositories.benefits)


class _AsyncLineEvents:
    def __init__(self, repo: LineEvents) -> None:
        self.claim = _threaded(repo.claim)
        self.purge = _threaded(repo.purge)


class _AsyncLineUsers:
    def __init__(self, repo: LineUsers) -> None:
        self.get_lang = _threaded(repo.get_lang)
        self.set_lang = _threaded(repo.set_lang)
        self.forget = _threaded(repo.forget)


class _AsyncReferenceRequests:
    def __init__(self, repo: ReferenceRequests) -> None:
        self.create = _threaded(repo.create)
        self.get = _threaded(repo.get)
        self.list = _threaded(repo.list)
        self.set_status = _threaded(repo.set_status)
        self.forget_sender = _threaded(repo.forget_sender)


class _AsyncUnanswered:
    def __init__(self, repo: Unanswered) -> None:
        self.record = _threaded(repo.record)
        self.list = _threaded(repo.list)
        self.counts = _threaded(repo.counts)


class _AsyncSmartphoneClasses:
    def __init__(self, repo: SmartphoneClasses) -> None:
        self.list_upcoming = _threaded(repo.list_upcoming)
        self.get = _threaded(repo.get)
        self.all_classes = _threaded(repo.all_classes)
        self.book = _threaded(repo.book)
        self.cancel = _threaded(repo.cancel)
        self.change_seats = _threaded(repo.change_seats)
        self.find = _threaded(repo.find)
        self.for_sender = _threaded(repo.for_sender)
        self.bookings = _threaded(repo.bookings)
        self.forget_sender = _threaded(repo.forget_sender)
        self.queue_reminders = _threaded(repo.queue_reminders)
        self.claim_notifications = _threaded(repo.claim_notifications)
        self.mark_sent = _threaded(repo.mark_sent)
        self.mark_failed = _threaded(repo.mark_failed)
        self.pending_for_sender = _threaded(repo.pending_for_sender)
        self.replace_catalogue = _threaded(repo.replace_catalogue)
        self.load_example_if_empty = _threaded(repo.load_example_if_empty)
        self.count_classes = _threaded(repo.count_classes)


class _AsyncBenefitSubscriptions:
    def __init__(self, repo: BenefitSubscriptions) -> None:
        self.subscribe = _threaded(repo.subscribe)
        self.find_by_token = _threaded(repo.find_by_token)
        self.for_sender = _threaded(repo.for_sender)
        self.active = _threaded(repo.active)
        self.stop_by_token = _threaded(repo.stop_by_token)
        self.unsubscribe_by_token = _threaded(repo.unsubscribe_by_token)
        self.unsubscribe_sender = _threaded(repo.unsubscribe_sender)
        self.forget_sender = _threaded(repo.forget_sender)
        self.queue_due = _threaded(repo.queue_due)
        self.reminders = _threaded(repo.reminders)


def _threaded(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """`fn` as a coroutine function (typed with fn's parameters) that runs it in a worker thread."""

    async def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    return call
