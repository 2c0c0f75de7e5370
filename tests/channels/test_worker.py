"""The notification worker (channels/worker.py) on a real SQLite database and the fake LINE API on loopback.

A booking for a class tomorrow gets exactly one reminder, in the booking's language, however often and by however many
workers the rounds run; a push LINE refuses is tried again next round (with the same retry key) and not lost; a
waiting-list promotion is pushed; web notifications are left for the web chat; without LINE credentials nothing is
claimed; SIGTERM stops the process; nothing personal reaches the log. Also: `make run`'s supervisor starts the worker
and loads the example catalogue first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "line"))
from line_fakes import PUSH, TOKEN, FakeLine

from actions.smartphone.classes import localised_params
from channels.line.api import LineApi
from channels.worker import LinePush, RoundResult, Worker, _places, default_sources, line_senders
from settings import JST, LineSettings, StackSettings
from storage.db import create_engine_from_url, session_factory, sqlite_url
from storage.migrate import upgrade
from storage.models import Notification
from storage.repositories import Repositories
from storage.smartphone import MAX_ATTEMPTS, ClassRow
from translations.messages import render

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 1, 11, 10, 0, tzinfo=JST)  # Monday morning
TOMORROW = datetime(2027, 1, 12, 10, 0, tzinfo=JST)
NEXT_WEEK = datetime(2027, 1, 18, 14, 0, tzinfo=JST)
TOMORROW_CLASS, LATER_CLASS = "ex-2027-01-12-chuo-line", "ex-2027-01-18-inage-scam"
USER_A, USER_B = "U" + "a" * 32, "U" + "b" * 32


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "app.db")
    upgrade(url)
    return url


@pytest.fixture
def repos(db_url: str) -> Repositories:
    repos = Repositories.for_engine(create_engine_from_url(db_url), sender_salt="test", clock=lambda: NOW)
    rows = [
        ClassRow(TOMORROW_CLASS, "line", "beginner", "ward_office_chuo", TOMORROW, TOMORROW + timedelta(hours=2), 10,
                 "043-221-2133"),
        ClassRow(LATER_CLASS, "scam", "beginner", "ward_office_inage", NEXT_WEEK, NEXT_WEEK + timedelta(hours=2), 1,
                 "043-284-6121"),
    ]  # fmt: skip
    repos.smartphone.replace_catalogue(rows, example=True)
    return repos


@pytest.fixture
def fake_line() -> FakeLine:
    return FakeLine()


@pytest.fixture
async def line_settings(aiohttp_server: Any, fake_line: FakeLine) -> LineSettings:
    server = await aiohttp_server(fake_line.app())
    url = str(server.make_url("")).rstrip("/")
    return LineSettings(
        access_token=TOKEN, api_base_url=url, retry_base_delay=0.01, retry_max_delay=0.02, max_retries=1
    )


@pytest.fixture
async def line_api(line_settings: LineSettings) -> AsyncIterator[LineApi]:
    api = LineApi(line_settings)
    yield api
    await api.close()


def make_worker(repos: Repositories, api: LineApi | None, name: str = "worker-1", **options: Any) -> Worker:
    senders = {"line": LinePush(api)} if api is not None else {}
    return Worker(default_sources(repos), senders, worker_id=name, stale_after=timedelta(minutes=5), **options)


def book(
    repos: Repositories, class_id: str = TOMORROW_CLASS, *, lang: str = "en", line_to: str | None = USER_A,
    name: str = "Maria Santos", seats: int = 1,
) -> str:  # fmt: skip
    channel = "line" if line_to else "web"
    sender = f"line:{line_to}" if line_to else "web:resident-1"
    made = repos.smartphone.book(class_id, name=name, phone="090-1234-5678", seats=seats, lang=lang,
                                 channel=channel, sender_id=sender, line_to=line_to, now=NOW)  # fmt: skip
    return made.number


def expected_text(key: str, lang: str, class_id: str, number: str, seats: int = 1) -> str:
    """What the resident should read, built from the class as the test knows it (not from the notification)."""
    start, topic, venue, phone = {
        TOMORROW_CLASS: (TOMORROW, "line", "ward_office_chuo", "043-221-2133"),
        LATER_CLASS: (NEXT_WEEK, "scam", "ward_office_inage", "043-284-6121"),
    }[class_id]
    params = {"class_id": class_id, "topic": topic, "level": "beginner", "venue_id": venue,
              "date": start.date().isoformat(), "time": f"{start:%H:%M}–{start + timedelta(hours=2):%H:%M}",
              "number": number, "seats": str(seats), "phone": phone}  # fmt: skip
    return render(key, lang, **localised_params(params, lang, _places()))


def notification_rows(db_url: str) -> list[Notification]:
    with session_factory(create_engine_from_url(db_url)).begin() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)).all())


# --- reminders -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja", "zh", "vi", "ja-easy"])
async def test_a_booking_for_tomorrow_gets_one_reminder_in_its_language(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine, lang: str
) -> None:
    number = book(repos, lang=lang)
    result = await make_worker(repos, line_api).run_once(NOW)
    assert result == RoundResult(queued=1, sent=1, failed=0)
    [push] = [r.json for r in fake_line.calls(PUSH)]
    assert push["to"] == USER_A
    [message] = push["messages"]
    assert message["type"] == "text"
    assert message["text"] == expected_text("sp_reminder", lang, TOMORROW_CLASS, number)
    assert number in message["text"] and "10:00" in message["text"]
    if lang != "ja":
        assert message["text"] != expected_text("sp_reminder", "ja", TOMORROW_CLASS, number)


async def test_running_twice_still_sends_one(repos: Repositories, line_api: LineApi, fake_line: FakeLine) -> None:
    book(repos)
    worker = make_worker(repos, line_api)
    first = await worker.run_once(NOW)
    second = await worker.run_once(NOW + timedelta(minutes=1))
    assert (first.sent, second.queued, second.sent) == (1, 0, 0)
    assert len(fake_line.calls(PUSH)) == 1


async def test_two_workers_at_once_send_each_reminder_once(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine
) -> None:
    users = [f"U{i:032x}" for i in range(7)]
    numbers = [book(repos, line_to=user) for user in users]
    workers = [make_worker(repos, line_api, name, batch=2) for name in ("worker-1", "worker-2")]
    results = await asyncio.gather(*(worker.run_once(NOW) for worker in workers))
    assert sum(r.queued for r in results) == len(numbers)  # the unique dedupe key: queued once in all
    assert sum(r.sent for r in results) == len(numbers)
    assert sorted(r.json["to"] for r in fake_line.calls(PUSH)) == sorted(users)


async def test_no_reminder_for_a_class_further_away(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine
) -> None:
    book(repos, LATER_CLASS)
    assert await make_worker(repos, line_api).run_once(NOW) == RoundResult()
    assert fake_line.calls(PUSH) == []


# --- failures --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "refused_calls"),
    [(500, 2), (429, 2), (400, 1), (401, 1)],  # 5xx/429: LineApi retries once itself (max_retries=1), then gives up
    ids=["server-error", "rate-limited", "bad-request", "unauthorised"],
)
async def test_a_refused_push_is_retried_next_round_not_lost(
    repos: Repositories, db_url: str, line_api: LineApi, fake_line: FakeLine, status: int, refused_calls: int
) -> None:
    number = book(repos)
    fake_line.fail_next(PUSH, status, times=refused_calls)
    worker = make_worker(repos, line_api)

    first = await worker.run_once(NOW)
    assert (first.sent, first.failed) == (0, 1)
    [row] = notification_rows(db_url)
    assert row.sent_at is None and row.claimed_by is None and row.attempts == 1
    assert row.last_error == "LineApiError"  # the type name only

    second = await worker.run_once(NOW + timedelta(minutes=1))
    assert (second.sent, second.failed) == (1, 0)
    calls = fake_line.calls(PUSH)
    assert len(calls) == refused_calls + 1 and number in calls[-1].json["messages"][0]["text"]
    # One retry key for every attempt, across rounds: LINE delivers it at most once even if a refused call got through.
    keys = {call.headers["X-Line-Retry-Key"] for call in calls}
    assert len(keys) == 1 and uuid.UUID(keys.pop())
    assert notification_rows(db_url)[0].sent_at is not None


async def test_a_push_that_keeps_failing_stops_after_the_last_attempt(
    repos: Repositories, db_url: str, line_api: LineApi, fake_line: FakeLine
) -> None:
    book(repos)
    fake_line.fail_next(PUSH, 400, times=100)
    worker = make_worker(repos, line_api)
    for minute in range(MAX_ATTEMPTS + 2):
        await worker.run_once(NOW + timedelta(minutes=minute))
    assert len(fake_line.calls(PUSH)) == MAX_ATTEMPTS
    [row] = notification_rows(db_url)
    assert row.attempts == MAX_ATTEMPTS and row.sent_at is None  # kept for staff to see


async def test_a_message_that_cannot_be_rendered_fails_with_its_type_only(
    repos: Repositories, db_url: str, line_api: LineApi, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    book(repos)

    def broken(notification: Any) -> str:
        raise ValueError("Maria Santos 090-1234-5678")

    worker = make_worker(repos, line_api, renderers={"class_reminder": broken})
    with caplog.at_level(logging.DEBUG):
        assert (await worker.run_once(NOW)).failed == 1
    assert fake_line.calls(PUSH) == []
    assert notification_rows(db_url)[0].last_error == "ValueError"
    assert "Maria" not in caplog.text and "090" not in caplog.text


@pytest.mark.parametrize(("minutes_later", "pushes"), [(1, 0), (6, 1)])
async def test_a_claim_of_a_worker_that_died_is_taken_over_after_stale_after(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine, minutes_later: int, pushes: int
) -> None:
    book(repos)
    repos.smartphone.queue_reminders(NOW)
    assert len(repos.smartphone.claim_notifications("dead-worker", NOW)) == 1  # claimed, never sent
    await make_worker(repos, line_api).run_once(NOW + timedelta(minutes=minutes_later))
    assert len(fake_line.calls(PUSH)) == pushes


# --- promotions, web, no LINE ----------------------------------------------------------------------------------------


async def test_a_promotion_from_the_waiting_list_is_pushed(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine
) -> None:
    first = book(repos, LATER_CLASS, line_to=None)  # the class has one seat
    waiting = book(repos, LATER_CLASS, lang="zh", line_to=USER_B, name="王芳")
    assert repos.smartphone.find(waiting).status == "waiting"
    repos.smartphone.cancel(first, sender_id=None)  # staff cancel on the first resident's behalf

    result = await make_worker(repos, line_api).run_once(NOW)
    assert (result.queued, result.sent) == (0, 1)  # no reminder: the class is next week
    [push] = [r.json for r in fake_line.calls(PUSH)]
    assert push["to"] == USER_B
    assert push["messages"][0]["text"] == expected_text("sp_promoted", "zh", LATER_CLASS, waiting)


async def test_web_notifications_are_left_for_the_web_chat(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine
) -> None:
    number = book(repos, line_to=None)
    result = await make_worker(repos, line_api).run_once(NOW)
    assert result == RoundResult(queued=1, sent=0, failed=0)
    assert fake_line.calls(PUSH) == []
    pending = repos.smartphone.pending_for_sender("web:resident-1", NOW)
    assert [(n.kind, n.booking_number) for n in pending] == [("class_reminder", number)]


async def test_without_line_credentials_nothing_is_claimed_and_nothing_lost(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    book(repos)
    with caplog.at_level(logging.INFO, logger="channels.worker"):
        senders, api = line_senders(LineSettings.from_env({}))
    assert (senders, api) == ({}, None)
    assert caplog.text.count("LINE pushes are off") == 1
    without = Worker(default_sources(repos), senders, worker_id="no-line")
    assert await without.run_once(NOW) == RoundResult(queued=1)
    # A worker with LINE (another machine, or after the token is set) still finds it, unclaimed.
    assert (await make_worker(repos, line_api).run_once(NOW)).sent == 1
    assert len(fake_line.calls(PUSH)) == 1


# --- the loop and the process ----------------------------------------------------------------------------------------


async def test_the_loop_logs_counts_only_and_stops_on_request(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    book(repos, name="Maria Santos")
    worker = Worker(default_sources(repos), {"line": LinePush(line_api)}, worker_id="loop", clock=lambda: NOW)
    stop = asyncio.Event()
    with caplog.at_level(logging.DEBUG):
        loop = asyncio.create_task(worker.run_forever(0.05, stop))
        await fake_line.wait_for(PUSH)
        await asyncio.sleep(0.2)  # a few more (empty) rounds
        stop.set()
        await asyncio.wait_for(loop, 10)
    assert len(fake_line.calls(PUSH)) == 1
    assert "1 queued, 1 sent, 0 failed" in caplog.text
    for personal in ("Maria", "090-1234-5678", USER_A, "S-0"):
        assert personal not in caplog.text


async def test_stopping_mid_push_releases_what_was_in_hand(
    repos: Repositories, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channels.worker

    monkeypatch.setattr(channels.worker, "STOP_GRACE", 0.05)
    for user in (USER_A, USER_B):
        book(repos, line_to=user)
    started = asyncio.Event()

    async def hangs(notification: Any, text: str) -> None:  # LINE that never answers
        started.set()
        await asyncio.Event().wait()

    worker = Worker(default_sources(repos), {"line": hangs}, worker_id="stopping", clock=lambda: NOW)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run_forever(60, stop))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    await asyncio.wait_for(loop, 10)
    rows = notification_rows(db_url)
    assert len(rows) == 2
    assert all(r.claimed_by is None and r.sent_at is None and r.last_error == "WorkerStopped" for r in rows)
    assert len(repos.smartphone.claim_notifications("next-worker", NOW)) == 2  # at once, not after stale_after


async def test_a_failing_round_does_not_stop_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        calls = 0

        def queue(self, now: datetime) -> int:
            Broken.calls += 1
            raise OSError("database is down")

    from channels.worker import Source

    broken = Broken()
    worker = Worker([Source("broken", broken, broken.queue)], {}, worker_id="w")  # type: ignore[arg-type]
    stop = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="channels.worker"):
        loop = asyncio.create_task(worker.run_forever(0.01, stop))
        while Broken.calls < 3:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(loop, 10)
    assert "worker round failed: OSError" in caplog.text and "database is down" not in caplog.text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_process_runs_without_line_and_stops_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CHIBA_DATABASE_URL": sqlite_url(tmp_path / "app.db"),
        "CHIBA_WORKER_INTERVAL": "0.2",
        "LINE_CHANNEL_ACCESS_TOKEN": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "channels.worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "a round every" in line or not line:
                break
        assert any("a round every 0.2 s" in line for line in lines), "".join(lines)
        time.sleep(0.5)  # a few rounds
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = "".join(lines) + out
    assert proc.returncode == 0, log
    assert log.count("LINE pushes are off") == 1 and "worker stopped" in log
    assert "Traceback" not in log


def test_the_process_refuses_a_bad_setting(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHIBA_WORKER_INTERVAL": "soon"}
    done = subprocess.run([sys.executable, "-m", "channels.worker"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2 and "CHIBA_WORKER_INTERVAL must be a number" in done.stderr


# --- the supervisor (make run) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("enabled", "names"), [(True, ["rasa", "actions", "gateway", "worker"]),
                                                (False, ["rasa", "actions", "gateway"])])  # fmt: skip
def test_the_supervisor_starts_the_worker_unless_disabled(enabled: bool, names: list[str]) -> None:
    from scripts.run_stack import services

    children = services(StackSettings.from_env({}), worker=enabled)
    assert [child.name for child in children] == names
    if enabled:
        assert children[-1].argv[1:] == ["-m", "channels.worker"]


async def test_the_supervisor_loads_the_example_catalogue_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts.run_stack import prepare

    url = sqlite_url(tmp_path / "app.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHIBA_DATABASE_URL": url}
    await prepare(env)
    out = capsys.readouterr().out
    assert "[catalogue] " in out and "EXAMPLE classes" in out and "failed" not in out
    repos = Repositories.for_engine(create_engine_from_url(url), sender_salt="test")
    classes = repos.smartphone.all_classes(include_past=True)
    assert classes and all(c.example for c in classes)


async def test_a_failed_preparation_is_reported_and_the_stack_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts import run_stack

    step = run_stack.Service("catalogue", [sys.executable, "-c", "print('no places data'); raise SystemExit(2)"],
                             ROOT, {})  # fmt: skip
    monkeypatch.setattr(run_stack, "prepare_steps", lambda: [step])
    await run_stack.prepare(dict(os.environ))
    out = capsys.readouterr().out
    assert "[catalogue] no places data" in out
    assert "[stack] catalogue failed (exit code 2); starting the services anyway" in out
