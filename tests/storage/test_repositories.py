"""Repositories on both backends: atomic claims, reference numbers, the status constraint, forgetting, masking."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from storage.models import ReferenceRequest
from storage.repositories import AsyncRepositories, QuestionCount, Repositories, parse_reference_number

T = TypeVar("T")
NOW = datetime(2026, 1, 5, 0, 30, tzinfo=timezone.utc)
TTL = timedelta(hours=24)
LINE_ID = "U" + "0123456789abcdef" * 2


def at_once(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run fn(0..n-1) in n threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def new_request(repos: Repositories, sender: str = LINE_ID, question: str = "千葉氏の歴史の本") -> ReferenceRequest:
    return repos.reference_requests.create(
        question=question, contact="taro@example.com", library="chuo_library", lang="ja", consent=True, sender_id=sender
    )


# --- LINE events ---


def test_an_event_id_is_claimed_once(repos: Repositories) -> None:
    assert repos.line_events.claim("e1", NOW, TTL)
    assert not repos.line_events.claim("e1", NOW + timedelta(minutes=5), TTL)
    assert repos.line_events.claim("e2", NOW, TTL)


def test_an_expired_event_id_claims_again_and_restarts_its_expiry(repos: Repositories) -> None:
    assert repos.line_events.claim("e1", NOW, TTL)
    later = NOW + TTL + timedelta(seconds=1)
    assert repos.line_events.claim("e1", later, TTL)
    assert not repos.line_events.claim("e1", later + timedelta(hours=1), TTL)


def test_twenty_concurrent_claims_of_one_id_have_one_winner(repos: Repositories) -> None:
    assert sorted(at_once(20, lambda _: repos.line_events.claim("e-race", NOW, TTL))) == [False] * 19 + [True]


def test_twenty_concurrent_claims_of_an_expired_id_have_one_winner(repos: Repositories) -> None:
    repos.line_events.claim("e-old", NOW - TTL * 2, TTL)
    assert sorted(at_once(20, lambda _: repos.line_events.claim("e-old", NOW, TTL))) == [False] * 19 + [True]


def test_purge_forgets_only_old_ids(repos: Repositories) -> None:
    repos.line_events.claim("old", NOW - timedelta(days=2), TTL)
    repos.line_events.claim("new", NOW, TTL)
    assert repos.line_events.purge(NOW - TTL) == 1
    assert repos.line_events.claim("old", NOW, TTL)
    assert not repos.line_events.claim("new", NOW, TTL)


# --- LINE users ---


def test_user_language_is_set_replaced_and_forgotten(repos: Repositories) -> None:
    assert repos.line_users.get_lang(LINE_ID) is None
    repos.line_users.set_lang(LINE_ID, "en")
    repos.line_users.set_lang(LINE_ID, "ne")
    repos.line_users.set_lang("Uother", "vi")
    assert repos.line_users.get_lang(LINE_ID) == "ne"
    assert repos.line_users.forget(LINE_ID)
    assert not repos.line_users.forget(LINE_ID)
    assert (repos.line_users.get_lang(LINE_ID), repos.line_users.get_lang("Uother")) == (None, "vi")


# --- Reference requests ---


def test_a_request_gets_a_number_and_is_found_by_it(repos: Repositories, clock: object) -> None:
    created = new_request(repos)
    assert created.number == f"R-{created.id:06d}" and created.status == "received"
    assert created.created_at == created.updated_at == NOW
    for typed in (created.number, created.number.lower(), f"R{created.id}", f"Ｒ－{created.id:06d}", f"r-{created.id}"):
        found = repos.reference_requests.get(typed)
        assert found is not None and found.number == created.number, typed
    assert found.question == "千葉氏の歴史の本" and found.library == "chuo_library" and found.consent is True
    assert repos.reference_requests.get("R-999999") is None
    assert repos.reference_requests.get("no number here") is None


def test_the_raw_sender_id_is_never_stored(repos: Repositories, engine: Engine) -> None:
    created = new_request(repos)
    assert re.fullmatch(r"[0-9a-f]{64}", created.sender_key) and LINE_ID not in created.sender_key
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM reference_requests")).one()
    assert all(LINE_ID not in str(value) for value in row)


def test_twenty_concurrent_creates_get_unique_sequential_numbers(repos: Repositories) -> None:
    created = at_once(20, lambda i: new_request(repos, sender=f"sender-{i}", question=f"質問 {i}"))
    numbers = sorted(r.number for r in created)
    assert len(set(numbers)) == 20 and all(re.fullmatch(r"R-\d{6}", n) for n in numbers)
    ids = sorted(r.id for r in created)
    assert ids == list(range(ids[0], ids[0] + 20))  # no gaps, no repeats
    assert numbers == [f"R-{i:06d}" for i in ids]
    assert {repos.reference_requests.get(r.number).question for r in created} == {f"質問 {i}" for i in range(20)}


def test_list_filters_by_status_oldest_first_with_paging(repos: Repositories) -> None:
    first, second, third = (new_request(repos, question=q) for q in ("a", "b", "c"))
    repos.reference_requests.set_status(second.number, "answered")
    assert [r.number for r in repos.reference_requests.list()] == [first.number, second.number, third.number]
    assert [r.number for r in repos.reference_requests.list(status="received")] == [first.number, third.number]
    assert [r.number for r in repos.reference_requests.list(limit=1, offset=1)] == [second.number]


def test_set_status_updates_the_request(repos: Repositories, clock: object) -> None:
    created = new_request(repos)
    clock.advance(hours=3)  # type: ignore[attr-defined]
    updated = repos.reference_requests.set_status(created.number, "in_progress")
    assert updated is not None and updated.status == "in_progress"
    assert (updated.created_at, updated.updated_at) == (NOW, NOW + timedelta(hours=3))
    assert repos.reference_requests.set_status("R-999999", "closed") is None
    with pytest.raises(ValueError):
        repos.reference_requests.set_status(created.number, "lost")


@pytest.mark.parametrize("status", ["lost", "RECEIVED", ""])
def test_the_database_rejects_an_unknown_status(repos: Repositories, engine: Engine, status: str) -> None:
    created = new_request(repos)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE reference_requests SET status = :s WHERE id = :id"), {"s": status, "id": created.id})
    assert repos.reference_requests.get(created.number).status == "received"


def test_the_database_rejects_a_duplicate_number(repos: Repositories, engine: Engine) -> None:
    first, second = new_request(repos), new_request(repos)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("UPDATE reference_requests SET number = :n WHERE id = :id"), {"n": first.number, "id": second.id}
        )


def test_forget_sender_deletes_that_residents_requests_only(repos: Repositories) -> None:
    mine = [new_request(repos), new_request(repos)]
    other = new_request(repos, sender="Uother")
    assert repos.reference_requests.forget_sender(LINE_ID) == 2
    assert all(repos.reference_requests.get(r.number) is None for r in mine)
    assert repos.reference_requests.get(other.number) is not None
    assert repos.reference_requests.forget_sender(LINE_ID) == 0


def test_numbers_of_forgotten_requests_are_not_given_again(repos: Repositories) -> None:
    new_request(repos, sender="Uother")
    last = new_request(repos)
    repos.reference_requests.forget_sender(LINE_ID)
    assert new_request(repos).id == last.id + 1


def test_a_different_salt_cannot_find_the_sender(engine: Engine, repos: Repositories) -> None:
    created = new_request(repos)
    other_salt = Repositories.for_engine(engine, sender_salt="another-salt")
    assert other_salt.reference_requests.forget_sender(LINE_ID) == 0
    assert repos.reference_requests.get(created.number) is not None


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("R-000123", "R-000123"),
        ("r-123", "R-000123"),
        ("Ｒ０００１２３", "R-000123"),
        ("番号はR000045です", "R-000045"),
        ("R−45", "R-000045"),
    ],
)
def test_reference_numbers_as_residents_type_them(typed: str, number: str) -> None:
    assert parse_reference_number(typed) == number


@pytest.mark.parametrize("typed", ["PR-2025", "番号がわからない", "R-"])
def test_text_without_a_reference_number(typed: str) -> None:
    assert parse_reference_number(typed) is None


# --- Unanswered questions ---


def test_unanswered_questions_are_masked_and_have_no_sender(repos: Repositories, engine: Engine) -> None:
    stored = repos.unanswered.record("090-1234-5678に折り返してほしい taro@example.com", "ja", "out_of_scope", None)
    assert stored.text == "[phone]に折り返してほしい [email]"
    columns = {c["name"] for c in inspect(engine).get_columns("unanswered_questions")}
    assert columns == {"id", "text", "lang", "intent", "domain", "created_at"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM unanswered_questions")).scalars().all() == [stored.text]


def test_unanswered_list_since_and_counts_most_frequent_first(repos: Repositories, clock: object) -> None:
    record = repos.unanswered.record
    record("図書館で傘を借りたい", "ja", "nlu_fallback", "library")
    record("図書館で傘を借りたい", "ja", "nlu_fallback", "library")
    clock.advance(days=1)  # type: ignore[attr-defined]
    record("Can I bring my dog?", "en", "out_of_scope")
    record("図書館で傘を借りたい", "ja", "nlu_fallback", "library")
    record("図書館で傘を借りたい", "ja-easy", "nlu_fallback", "library")
    record("会員番号12345の予約", "ja", "ask_library", "library")
    record("会員番号98765の予約", "ja", "ask_library", "library")  # the same question once masked
    assert len(repos.unanswered.list()) == 7
    assert [q.text for q in repos.unanswered.list(since=NOW + timedelta(hours=1))] == [
        "Can I bring my dog?",
        "図書館で傘を借りたい",
        "図書館で傘を借りたい",
        "会員番号[number]の予約",
        "会員番号[number]の予約",
    ]
    counts = repos.unanswered.counts()
    assert counts[:2] == [
        QuestionCount("図書館で傘を借りたい", "ja", 3),
        QuestionCount("会員番号[number]の予約", "ja", 2),
    ]
    assert set(counts[2:]) == {
        QuestionCount("Can I bring my dog?", "en", 1),
        QuestionCount("図書館で傘を借りたい", "ja-easy", 1),
    }
    recent = repos.unanswered.counts(since=NOW + timedelta(hours=1))
    assert recent[0] == QuestionCount("会員番号[number]の予約", "ja", 2)
    assert set(recent[1:]) == {
        QuestionCount("Can I bring my dog?", "en", 1),
        QuestionCount("図書館で傘を借りたい", "ja", 1),
        QuestionCount("図書館で傘を借りたい", "ja-easy", 1),
    }


# --- Async wrapper ---


async def test_async_repositories_run_the_same_methods(repos: Repositories) -> None:
    repos_async = AsyncRepositories(repos)
    assert await repos_async.line_events.claim("e1", NOW, TTL)
    assert not await repos_async.line_events.claim("e1", NOW, TTL)
    await repos_async.line_users.set_lang(LINE_ID, "pt")
    assert await repos_async.line_users.get_lang(LINE_ID) == "pt"
    created = await repos_async.reference_requests.create("q", "c", None, "en", True, LINE_ID)
    assert (await repos_async.reference_requests.get(created.number)).library is None
    assert await repos_async.reference_requests.forget_sender(LINE_ID) == 1
    await repos_async.unanswered.record("x", "en", "out_of_scope")
    assert await repos_async.unanswered.counts() == [QuestionCount("x", "en", 1)]


def test_timestamps_come_back_aware_in_utc(repos: Repositories, engine: Engine) -> None:
    new_request(repos)
    with engine.connect() as conn:
        stored = conn.execute(select(ReferenceRequest.created_at)).scalar_one()
    assert stored == NOW and stored.tzinfo is not None
