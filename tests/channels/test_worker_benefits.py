"""The "For You" reminders end to end: subscriptions in a real SQLite database, the real programme data, the worker,
a real SMTP server on loopback (aiosmtpd), the fake LINE API and the gateway's stop page.

A child's due vaccinations are e-mailed (or pushed on LINE) exactly once in the resident's language, however many
workers run the rounds; each reminder's stop link opens a page whose button stops the reminders; without SMTP settings
e-mail is off and e-mail reminders wait; nothing personal reaches the log.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "line"))
from line_fakes import PUSH, TOKEN, FakeLine
from smtp_fakes import smtp_server

from actions.common.replies import format_date
from channels.for_you import page_text
from channels.line.api import LineApi
from channels.mail import EmailSend, Mailer
from channels.worker import (
    RENDERERS,
    BenefitReminderRenderer,
    LinePush,
    Worker,
    default_sources,
    email_senders,
)
from knowledge_base.benefits import due_reminders, load_programmes, schedule_label
from settings import JST, KnowledgeBaseSettings, LineSettings, MailSettings
from storage.db import create_engine_from_url
from storage.migrate import upgrade
from storage.repositories import Repositories
from translations.messages import render

ROOT = Path(__file__).resolve().parents[2]

NOW = datetime(2027, 1, 20, 10, 0, tzinfo=JST)
BORN = date(2026, 11, 1)  # two months old at NOW: the first vaccinations are due
PUBLIC = "https://assistant.example.jp"
USER_A = "U" + "a" * 32
ADDRESS = "hanako.chiba@example.jp"


@lru_cache(maxsize=1)
def programmes() -> Any:
    return load_programmes(KnowledgeBaseSettings().data_dir)


def expected_dues() -> list[Any]:
    dues = due_reminders(BORN, NOW.date(), programmes())
    assert dues, "the programme data has nothing due for a two-month-old: pick another BORN"
    return dues


def expected_text(due: Any, lang: str, token: str) -> str:
    label = schedule_label(programmes().get(due.programme_id), due.key, lang)
    start = format_date(due.due_from, lang)
    end = format_date(due.due_until - timedelta(days=1), lang) if due.due_until else ""
    stop = f"{PUBLIC}/for-you/stop?t={token}"
    return render("bf_reminder", lang, programme=label, due=start, due_from=start, due_until=end, stop_url=stop)


@pytest.fixture
def db_url() -> str:
    url = os.environ["CHIBA_DATABASE_URL"]  # tests/channels/conftest.py: this test's own file, also the gateway's
    upgrade(url)
    return url


@pytest.fixture
def repos(db_url: str) -> Repositories:
    return Repositories.for_engine(create_engine_from_url(db_url), clock=lambda: NOW)


def renderers() -> dict[str, Any]:
    return {**RENDERERS, "benefit_reminder": BenefitReminderRenderer(programmes, lambda: PUBLIC)}


def make_worker(repos: Repositories, senders: dict[str, Any], name: str = "worker-1", **options: Any) -> Worker:
    return Worker(
        default_sources(repos, programmes=programmes),
        senders,
        worker_id=name,
        renderers=renderers(),
        clock=lambda: NOW,
        **options,
    )


def mail_settings(server: Any) -> MailSettings:
    return MailSettings(host=server.host, port=server.port, starttls=False, sender="noreply@city.example.jp")


def subscribe_email(repos: Repositories, lang: str = "en", address: str = ADDRESS) -> Any:
    return repos.benefits.subscribe(
        sender_id="web:resident-1", channel="email", recipient=address, child_birth_month=BORN, ward="chuo", lang=lang
    )


@pytest.fixture
def fake_line() -> FakeLine:
    return FakeLine()


@pytest.fixture
async def line_api(aiohttp_server: Any, fake_line: FakeLine) -> AsyncIterator[LineApi]:
    server = await aiohttp_server(fake_line.app())
    api = LineApi(LineSettings(access_token=TOKEN, api_base_url=str(server.make_url("")).rstrip("/"), max_retries=0))
    yield api
    await api.close()


# --- e-mail ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "vi", "ja"])
async def test_due_reminders_are_emailed_exactly_once_by_two_workers(
    repos: Repositories, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    sub = subscribe_email(repos, lang)
    dues = expected_dues()
    with caplog.at_level(logging.DEBUG), smtp_server() as server:
        send = EmailSend(Mailer(mail_settings(server)), public_url=PUBLIC)
        workers = [make_worker(repos, {"email": send}, name, batch=1) for name in ("worker-1", "worker-2")]
        first = await asyncio.gather(*(worker.run_once(NOW) for worker in workers))
        later = await asyncio.gather(*(worker.run_once(NOW + timedelta(minutes=m)) for m, worker in enumerate(workers)))
    assert sum(r.queued for r in first) == len(dues) and sum(r.sent for r in first) == len(dues)
    assert all((r.queued, r.sent, r.failed) == (0, 0, 0) for r in later)
    mails = server.inbox.to(ADDRESS)
    assert len(mails) == len(dues)
    bodies = sorted(m.get_content().rstrip("\n") for m in mails)
    assert bodies == sorted(expected_text(due, lang, sub.token) for due in dues)
    for mail in mails:
        assert f"{PUBLIC}/for-you/stop?t={sub.token}" in mail.get_content()
        assert mail["List-Unsubscribe"] == f"<{PUBLIC}/for-you/stop?t={sub.token}>"
        assert mail["Subject"] and "\n" not in mail["Subject"]
    assert len({m["Message-ID"] for m in mails}) == len(dues)
    assert ADDRESS not in caplog.text and sub.token not in caplog.text and "hanako" not in caplog.text


async def test_a_reminder_the_mail_server_refused_is_sent_next_round(repos: Repositories) -> None:
    from smtp_fakes import free_port

    subscribe_email(repos)
    dues = expected_dues()
    down = EmailSend(
        Mailer(MailSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=2)), public_url=PUBLIC
    )
    first = await make_worker(repos, {"email": down}).run_once(NOW)
    assert (first.queued, first.sent, first.failed) == (len(dues), 0, len(dues))  # released for the next round
    with smtp_server() as server:
        send = EmailSend(Mailer(mail_settings(server)), public_url=PUBLIC)
        second = await make_worker(repos, {"email": send}).run_once(NOW + timedelta(minutes=1))
    assert (second.sent, second.failed) == (len(dues), 0)
    assert len(server.inbox.received) == len(dues)


# --- the stop link ---------------------------------------------------------------------------------------------------


async def test_the_stop_link_in_the_mail_stops_the_reminders(repos: Repositories, make_client: Any) -> None:
    sub = subscribe_email(repos, "vi")
    with smtp_server() as server:
        send = EmailSend(Mailer(mail_settings(server)), public_url=PUBLIC)
        await make_worker(repos, {"email": send}).run_once(NOW)
    body = server.inbox.received[0].message.get_content()
    [link] = re.findall(r"https://\S+/for-you/stop\?t=[\w-]+", body)
    path = link.removeprefix(PUBLIC)
    client = await make_client()

    page = await client.get(path)
    html = await page.text()
    assert page.status == 200 and page.headers["Cache-Control"] == "no-store"
    assert page_text("bf_stop_confirm", "ja") in html and page_text("bf_stop_confirm", "vi") in html
    assert 'method="post"' in html and sub.token in html
    assert repos.benefits.find_by_token(sub.token).active  # opening the link alone stops nothing

    done = await client.post("/for-you/stop", data={"t": sub.token})
    html = await done.text()
    assert done.status == 200 and page_text("bf_stop_done", "ja") in html and page_text("bf_stop_done", "vi") in html
    assert ADDRESS not in html
    stopped = repos.benefits.find_by_token(sub.token)
    assert not stopped.active and stopped.recipient is None
    # Later rounds queue nothing for it; the link still answers politely.
    later = NOW + timedelta(days=40)
    with smtp_server() as server:
        send = EmailSend(Mailer(mail_settings(server)), public_url=PUBLIC)
        result = await make_worker(repos, {"email": send}).run_once(later)
    assert (result.queued, result.sent) == (0, 0) and server.inbox.received == []
    again = await client.get(path)
    assert again.status == 200 and page_text("bf_stop_already", "vi") in await again.text()


async def test_one_click_unsubscribe_from_the_mail_app(repos: Repositories, make_client: Any) -> None:
    sub = subscribe_email(repos, "en")
    client = await make_client()
    response = await client.post(f"/for-you/stop?t={sub.token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    assert not repos.benefits.find_by_token(sub.token).active


@pytest.mark.parametrize("query", ["", "?t=", "?t=unknown-token", "?t=" + "x" * 100])
async def test_an_unknown_link_gets_a_polite_404_page(repos: Repositories, make_client: Any, query: str) -> None:
    client = await make_client()
    for response in (await client.get(f"/for-you/stop{query}"), await client.post(f"/for-you/stop{query}")):
        html = await response.text()
        assert response.status == 404 and response.content_type == "text/html"
        assert page_text("bf_stop_unknown", "ja") in html and page_text("bf_stop_unknown", "en") in html


async def test_the_page_is_accessible_html(repos: Repositories, make_client: Any) -> None:
    sub = subscribe_email(repos, "zh")
    client = await make_client()
    html = await (await client.get(f"/for-you/stop?t={sub.token}")).text()
    assert html.startswith('<!doctype html><html lang="ja">') and '<meta name="viewport"' in html
    assert "<h1>" in html and "<button" in html and "<title>" in html
    if page_text("bf_stop_confirm", "zh") != page_text("bf_stop_confirm", "ja"):
        assert '<section lang="zh-Hans">' in html
    css = await client.get("/static/for_you.css")
    assert css.status == 200


# --- no SMTP, LINE ---------------------------------------------------------------------------------------------------


def test_without_smtp_settings_email_is_off_and_said_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert email_senders(MailSettings.from_env({})) == {}
    assert caplog.text.count("e-mail off") == 1


async def test_email_reminders_wait_in_the_outbox_while_email_is_off(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine
) -> None:
    sub = subscribe_email(repos)
    result = await make_worker(repos, {"line": LinePush(line_api)}).run_once(NOW)
    assert (result.queued, result.sent) == (len(expected_dues()), 0)
    assert fake_line.calls(PUSH) == []
    waiting = repos.benefits.reminders(sub.id)
    assert waiting and all(n.channel == "email" for n in waiting)
    claimed = repos.smartphone.claim_notifications("later", NOW, channels=("email",))
    assert len(claimed) == len(waiting)  # nothing was claimed, marked or lost meanwhile


async def test_line_reminders_are_pushed_once(
    repos: Repositories, line_api: LineApi, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    sub = repos.benefits.subscribe(
        sender_id=f"line:{USER_A}", channel="line", recipient=USER_A, child_birth_month=BORN, ward=None, lang="ko"
    )
    dues = expected_dues()
    workers = [make_worker(repos, {"line": LinePush(line_api)}, name, batch=1) for name in ("w1", "w2")]
    with caplog.at_level(logging.DEBUG):
        await asyncio.gather(*(worker.run_once(NOW) for worker in workers))
        await asyncio.gather(*(worker.run_once(NOW + timedelta(hours=1)) for worker in workers))
    pushes = fake_line.calls(PUSH)
    assert len(pushes) == len(dues) and {p.json["to"] for p in pushes} == {USER_A}
    texts = sorted(p.json["messages"][0]["text"] for p in pushes)
    assert texts == sorted(expected_text(due, "ko", sub.token) for due in dues)
    assert len({p.headers["X-Line-Retry-Key"] for p in pushes}) == len(dues)
    assert USER_A not in caplog.text and sub.token not in caplog.text


async def test_without_programme_data_nothing_is_queued_and_the_rest_goes_on(repos: Repositories) -> None:
    subscribe_email(repos)

    async def never(notification: Any, text: str) -> None:
        raise AssertionError("nothing is due without the programmes")

    worker = Worker(default_sources(repos, programmes=lambda: None), {"email": never}, renderers=renderers())
    assert (await worker.run_once(NOW)).queued == 0


# --- the worker process ----------------------------------------------------------------------------------------------


def test_the_worker_process_emails_a_due_reminder(db_url: str, tmp_path: Path) -> None:
    today = datetime.now(JST).date()
    months = [date(today.year - (k >= today.month), (today.month - 1 - k) % 12 + 1, 1) for k in range(24)]
    month = next(m for m in months if due_reminders(m, today, programmes()))  # the youngest child with something due
    repos = Repositories.for_engine(create_engine_from_url(db_url))
    sub = repos.benefits.subscribe(
        sender_id="web:p", channel="email", recipient=ADDRESS, child_birth_month=month, ward=None, lang="en"
    )
    due = len(due_reminders(month, today, programmes()))
    with smtp_server() as server:
        smtp = {"CHIBA_SMTP_HOST": server.host, "CHIBA_SMTP_PORT": str(server.port), "CHIBA_SMTP_STARTTLS": "false"}
        env = {
            **os.environ,
            **smtp,
            "PYTHONPATH": str(ROOT),
            "CHIBA_WORKER_INTERVAL": "0.2",
            "CHIBA_PUBLIC_URL": PUBLIC,
        }
        env.pop("LINE_CHANNEL_ACCESS_TOKEN", None)
        proc = subprocess.Popen([sys.executable, "-m", "channels.worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while len(server.inbox.received) < due and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            time.sleep(0.5)  # a few more rounds: nothing more may arrive
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, out
    assert len(server.inbox.to(ADDRESS)) == due, out
    assert all(f"{PUBLIC}/for-you/stop?t={sub.token}" in m.get_content() for m in server.inbox.to(ADDRESS))
    assert "e-mail off" not in out and "LINE pushes are off" in out and "Traceback" not in out
    assert ADDRESS not in out and sub.token not in out
