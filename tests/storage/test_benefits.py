"""Benefit reminder subscriptions on both backends: opting in and out, queuing due reminders exactly once, forgetting.

`queue_due` runs against a fixed clock and a small fake of the engine's `due_reminders` (one test uses the real
programme data); the concurrency tests run real threads against a SQLite file and the real PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from storage.benefits import KIND, MESSAGE_KEY, BenefitSubscriptions, InvalidSubscription, Subscription, reference
from storage.db import session_factory
from storage.models import BenefitSubscription, Notification
from storage.repositories import AsyncRepositories, Repositories

T = TypeVar("T")
NOW = datetime(2026, 1, 5, 0, 30, tzinfo=timezone.utc)  # the FakeClock's time: 09:30 on 5 January in Japan
TODAY = date(2026, 1, 5)
LINE_ID = "U" + "0123456789abcdef" * 2
OTHER_LINE_ID = "U" + "fedcba9876543210" * 2
SENDER = f"line:{LINE_ID}"
SALT = "test-salt"


@dataclass(frozen=True)
class FakeDue:
    key: str
    programme_id: str
    due_from: date
    due_until: date | None


class FakeEngine:
    """due_reminders of a tiny schedule: for a child born in November 2025, Hib 1 and PCV 1 are due from 1 February
    (within 14 days from 18 January); anyone else has nothing due. Records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[date, date, Any]] = []

    def __call__(self, birth_month: date, today: date, programmes: Any) -> Sequence[FakeDue]:
        self.calls.append((birth_month, today, programmes))
        if birth_month != date(2025, 11, 1) or today < date(2026, 1, 18):
            return []
        return [
            FakeDue("hib_1", "vaccine_hib", date(2026, 2, 1), date(2026, 6, 1)),
            FakeDue("pcv_1", "vaccine_pcv", date(2026, 2, 1), None),
        ]


def at_once(n: int, fn: Callable[[int], T]) -> list[T]:
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def bf(engine: Engine, clock: Any, fake_engine: FakeEngine) -> BenefitSubscriptions:
    return BenefitSubscriptions(session_factory(engine), sender_salt=SALT, clock=clock, due_reminders=fake_engine)


def subscribe(
    bf: BenefitSubscriptions,
    sender: str = SENDER,
    *,
    channel: str = "line",
    recipient: str = LINE_ID,
    month: date = date(2025, 11, 17),
    lang: str = "vi",
) -> Subscription:
    return bf.subscribe(
        sender_id=sender, channel=channel, recipient=recipient, child_birth_month=month, ward="chuo", lang=lang
    )


def stored_notifications(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(Notification).order_by(Notification.id)).all())


def stored_subscriptions(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(BenefitSubscription).order_by(BenefitSubscription.id)).all())


LATER = NOW + timedelta(days=13)  # 18 January: the fake's reminders have become due


# --- opting in ---


def test_subscribe_stores_the_month_and_a_random_token(bf: BenefitSubscriptions, engine: Engine) -> None:
    sub = subscribe(bf)
    assert (sub.channel, sub.recipient, sub.child_birth_month, sub.ward, sub.lang) == (
        "line", LINE_ID, date(2025, 11, 1), "chuo", "vi"
    )  # fmt: skip
    assert sub.active and sub.created_at == NOW and len(sub.token) >= 32
    other = subscribe(bf, "web:abc", channel="email", recipient="hanako@example.jp")
    assert other.token != sub.token and other.id != sub.id
    assert bf.active() == [sub, other]
    assert bf.find_by_token(sub.token) == sub and bf.find_by_token("nope") is None


def test_subscribing_again_returns_the_same_subscription(bf: BenefitSubscriptions) -> None:
    first = subscribe(bf, lang="vi")
    again = subscribe(bf, lang="en", month=date(2025, 11, 30))
    assert again.id == first.id and again.token == first.token and again.lang == "en"
    second_child = subscribe(bf, month=date(2023, 4, 1))
    assert second_child.id != first.id
    assert [s.id for s in bf.for_sender(SENDER)] == [first.id, second_child.id]
    assert bf.for_sender("someone else") == []


@pytest.mark.parametrize(
    ("channel", "recipient"),
    [
        ("sms", "090-1234-5678"),
        ("line", "hanako@example.jp"),
        ("line", "C" + "0" * 32),  # a group, not a user
        ("email", "hanako"),
        ("email", "hanako@localhost"),
        ("email", "a b@example.jp"),
        ("email", "x" * 250 + "@example.jp"),
        ("email", ""),
    ],
)
def test_an_unusable_channel_or_recipient_is_refused(bf: BenefitSubscriptions, channel: str, recipient: str) -> None:
    with pytest.raises(InvalidSubscription):
        subscribe(bf, channel=channel, recipient=recipient)
    assert bf.active() == []


def test_the_raw_sender_id_is_never_stored(bf: BenefitSubscriptions, engine: Engine) -> None:
    subscribe(bf, "web:sender-7f3a", channel="email", recipient="hanako@example.jp")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM benefit_subscriptions")).one()
    assert all("sender-7f3a" not in str(value) for value in stored)


def test_a_long_address_fits(bf: BenefitSubscriptions, fake_engine: FakeEngine, clock: Any, engine: Engine) -> None:
    address = "a" * 64 + "@" + "b" * 178 + ".example.jp"  # 254 characters: the SMTP limit
    assert len(address) == 254
    subscribe(bf, channel="email", recipient=address)
    clock.now = LATER
    assert bf.queue_due(LATER, "programmes") == 2
    assert {n.recipient for n in stored_notifications(engine)} == {address}


# --- opting out ---


def test_the_stop_link_stops_clears_the_address_and_drops_unsent_reminders(
    bf: BenefitSubscriptions, engine: Engine, clock: Any
) -> None:
    sub = subscribe(bf)
    kept = subscribe(bf, "line:other", recipient=OTHER_LINE_ID)
    clock.now = LATER
    assert bf.queue_due(LATER, "programmes") == 4
    assert bf.unsubscribe_by_token(sub.token) is True
    assert bf.unsubscribe_by_token(sub.token) is False  # already stopped
    assert bf.unsubscribe_by_token("unknown") is False
    stopped = bf.find_by_token(sub.token)
    assert stopped is not None and not stopped.active and stopped.recipient is None and stopped.stopped_at == LATER
    assert bf.active() == [kept]
    assert {n.booking_number for n in stored_notifications(engine)} == {reference(kept.id)}
    assert bf.queue_due(LATER + timedelta(days=1), "programmes") == 0


def test_stop_by_token_returns_the_subscription_and_can_be_repeated(bf: BenefitSubscriptions) -> None:
    sub = subscribe(bf, lang="ne")
    first = bf.stop_by_token(sub.token)
    second = bf.stop_by_token(sub.token)
    assert first is not None and second is not None
    assert first.lang == "ne" and not first.active and first.stopped_at == second.stopped_at
    assert bf.stop_by_token("unknown") is None


def test_a_sent_reminder_stays_sent_without_the_address(bf: BenefitSubscriptions, engine: Engine, clock: Any) -> None:
    sub = subscribe(bf)
    clock.now = LATER
    bf.queue_due(LATER, "programmes")
    first = stored_notifications(engine)[0]
    with engine.begin() as conn:
        conn.execute(text("UPDATE notifications SET sent_at = due_at WHERE id = :id"), {"id": first.id})
    assert bf.unsubscribe_sender(SENDER) == 1
    [left] = stored_notifications(engine)
    assert left.id == first.id and left.recipient is None and left.sent_at is not None
    # Subscribing again is a new subscription: its reminders are new too.
    again = subscribe(bf)
    assert again.id != sub.id and bf.queue_due(LATER, "programmes") == 2


def test_unsubscribe_sender_stops_only_that_senders(bf: BenefitSubscriptions) -> None:
    subscribe(bf)
    subscribe(bf, month=date(2024, 2, 1))
    other = subscribe(bf, "web:x", channel="email", recipient="taro@example.jp")
    assert bf.unsubscribe_sender(SENDER) == 2
    assert bf.unsubscribe_sender(SENDER) == 0
    assert bf.active() == [other]


# --- queuing due reminders ---


def test_due_reminders_are_queued_into_the_outbox(
    bf: BenefitSubscriptions, engine: Engine, clock: Any, fake_engine: FakeEngine
) -> None:
    line = subscribe(bf)
    mail = subscribe(bf, "web:abc", channel="email", recipient="hanako@example.jp", lang="en")
    subscribe(bf, "web:def", channel="email", recipient="taro@example.jp", month=date(2024, 5, 1))  # nothing due
    assert bf.queue_due(NOW, "programmes") == 0  # 5 January: nothing within 14 days yet
    assert bf.queue_due(LATER, "programmes") == 4
    assert fake_engine.calls[-1] == (date(2024, 5, 1), date(2026, 1, 18), "programmes")
    rows = stored_notifications(engine)
    assert [(n.kind, n.dedupe_key, n.channel, n.recipient, n.lang, n.message_key) for n in rows] == [
        (KIND, f"benefit:{line.id}:hib_1", "line", LINE_ID, "vi", MESSAGE_KEY),
        (KIND, f"benefit:{line.id}:pcv_1", "line", LINE_ID, "vi", MESSAGE_KEY),
        (KIND, f"benefit:{mail.id}:hib_1", "email", "hanako@example.jp", "en", MESSAGE_KEY),
        (KIND, f"benefit:{mail.id}:pcv_1", "email", "hanako@example.jp", "en", MESSAGE_KEY),
    ]
    assert json.loads(rows[0].params) == {
        "programme_id": "vaccine_hib", "due_key": "hib_1", "due_from": "2026-02-01", "due_until": "2026-06-01",
        "token": line.token,
    }  # fmt: skip
    assert json.loads(rows[1].params)["due_until"] == ""
    assert all(n.due_at == LATER and n.booking_number in (reference(line.id), reference(mail.id)) for n in rows)
    assert [n.params["due_key"] for n in bf.reminders(line.id)] == ["hib_1", "pcv_1"]


def test_the_japanese_date_decides_what_is_due(bf: BenefitSubscriptions, fake_engine: FakeEngine) -> None:
    subscribe(bf)
    late_evening_utc = datetime(2026, 1, 17, 15, 30, tzinfo=timezone.utc)  # 00:30 on 18 January in Japan
    assert bf.queue_due(late_evening_utc, "programmes") == 2
    assert fake_engine.calls[-1][1] == date(2026, 1, 18)


def test_queue_due_is_idempotent(bf: BenefitSubscriptions, engine: Engine) -> None:
    subscribe(bf)
    assert bf.queue_due(LATER, "programmes") == 2
    assert bf.queue_due(LATER, "programmes") == 0
    assert bf.queue_due(LATER + timedelta(days=3), "programmes") == 0
    assert len(stored_notifications(engine)) == 2


def test_queue_due_from_two_threads_queues_each_reminder_once(bf: BenefitSubscriptions, engine: Engine) -> None:
    for i in range(15):
        subscribe(bf, f"web:{i}", channel="email", recipient=f"parent{i}@example.jp")
    assert sum(at_once(2, lambda _: bf.queue_due(LATER, "programmes"))) == 30
    assert sum(at_once(4, lambda _: bf.queue_due(LATER, "programmes"))) == 0
    keys = [n.dedupe_key for n in stored_notifications(engine)]
    assert len(keys) == len(set(keys)) == 30


def test_a_stop_while_reminders_are_queued_leaves_none_for_it(bf: BenefitSubscriptions, engine: Engine) -> None:
    subs = [subscribe(bf, f"web:{i}", channel="email", recipient=f"p{i}@example.jp") for i in range(10)]

    def run(i: int) -> int:
        return bf.queue_due(LATER, "programmes") if i == 0 else int(bf.unsubscribe_by_token(subs[i].token))

    at_once(len(subs), run)
    left = {n.booking_number for n in stored_notifications(engine)}
    assert left <= {reference(subs[0].id)}  # only the one never stopped may have reminders


def test_the_worker_claims_benefit_reminders_with_the_others(repos: Repositories, engine: Engine) -> None:
    bf = BenefitSubscriptions(
        session_factory(engine), sender_salt=SALT, clock=lambda: LATER, due_reminders=FakeEngine()
    )
    subscribe(bf)
    subscribe(bf, "web:abc", channel="email", recipient="hanako@example.jp")
    bf.queue_due(LATER, "programmes")
    line_only = repos.smartphone.claim_notifications("w1", LATER, channels=("line",))
    assert [(n.kind, n.channel) for n in line_only] == [(KIND, "line")] * 2
    email = repos.smartphone.claim_notifications("w2", LATER, channels=("line", "email"))
    assert [(n.channel, n.recipient) for n in email] == [("email", "hanako@example.jp")] * 2


def test_the_real_engine_and_programme_data(repos: Repositories, engine: Engine) -> None:
    from knowledge_base.benefits import load_programmes
    from settings import KnowledgeBaseSettings

    programmes = load_programmes(KnowledgeBaseSettings().data_dir)
    now = datetime(2027, 1, 20, 1, 0, tzinfo=timezone.utc)
    sub = repos.benefits.subscribe(
        sender_id=SENDER, channel="line", recipient=LINE_ID, child_birth_month=date(2026, 11, 1), ward=None, lang="en"
    )
    queued = repos.benefits.queue_due(now, programmes)
    assert queued > 0 and repos.benefits.queue_due(now, programmes) == 0
    reminders = repos.benefits.reminders(sub.id)
    assert len(reminders) == queued
    for reminder in reminders:
        assert reminder.params["due_key"] in programmes.schedule_keys
        assert programmes.schedule_keys[reminder.params["due_key"]] == reminder.params["programme_id"]
        assert date.fromisoformat(reminder.params["due_from"]) <= now.date() + timedelta(days=14)


# --- forgetting, constraints ---


def test_forget_sender_deletes_subscriptions_and_their_reminders(
    bf: BenefitSubscriptions, repos: Repositories, engine: Engine
) -> None:
    subscribe(bf)
    subscribe(bf, month=date(2024, 1, 1))
    bf.unsubscribe_sender(SENDER)
    subscribe(bf)  # an active one beside the stopped ones
    other = subscribe(bf, "web:x", channel="email", recipient="taro@example.jp")
    bf.queue_due(LATER, "programmes")
    assert bf.forget_sender(SENDER) == 3
    assert bf.forget_sender(SENDER) == 0
    assert [row.id for row in stored_subscriptions(engine)] == [other.id]
    assert {n.booking_number for n in stored_notifications(engine)} == {reference(other.id)}
    assert repos.benefits.forget_sender("web:x") == 1  # the repositories' instance, same salt


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE benefit_subscriptions SET channel = 'sms'",
        "UPDATE benefit_subscriptions SET recipient = NULL",  # an active subscription needs somewhere to send to
        "UPDATE benefit_subscriptions SET token = 'same'",
        "UPDATE notifications SET kind = 'newsletter'",
    ],
)
def test_the_database_enforces_the_constraints(bf: BenefitSubscriptions, engine: Engine, statement: str) -> None:
    subscribe(bf)
    subscribe(bf, "web:x", channel="email", recipient="taro@example.jp")
    bf.queue_due(LATER, "programmes")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(statement))


async def test_async_repositories_run_the_same_methods(repos: Repositories) -> None:
    repos_async = AsyncRepositories(repos)
    sub = await repos_async.benefits.subscribe(
        sender_id=SENDER, channel="line", recipient=LINE_ID, child_birth_month=date(2025, 11, 1), ward=None, lang="ja"
    )
    assert await repos_async.benefits.for_sender(SENDER) == [sub]
    assert (await repos_async.benefits.stop_by_token(sub.token)).active is False
    assert await repos_async.benefits.forget_sender(SENDER) == 1


def test_downgrade_to_0002_and_upgrade_again(engine: Engine, bf: BenefitSubscriptions) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from storage.migrate import ALEMBIC_INI, current_revision, upgrade

    subscribe(bf, "web:x", channel="email", recipient="a" * 70 + "@example.jp")
    bf.queue_due(LATER, "programmes")
    config = Config(str(ALEMBIC_INI))
    config.attributes["engine"] = engine
    command.downgrade(config, "0002")
    assert current_revision(engine) == "0002"
    assert "benefit_subscriptions" not in inspect(engine).get_table_names()
    assert stored_notifications(engine) == []  # 0002 cannot hold benefit reminders
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO notifications (kind, dedupe_key, booking_number, channel, sender_key, lang, message_key, "
                "params, due_at, attempts) VALUES ('benefit_reminder', 'k', 'BF-1', 'line', 's', 'ja', 'm', '{}', "
                ":now, 0)"
            ),
            {"now": NOW.replace(tzinfo=None)},
        )
    assert int(upgrade(engine).after or 0) >= 3  # back to the newest schema, 0003 included
    assert "benefit_subscriptions" in inspect(engine).get_table_names()
