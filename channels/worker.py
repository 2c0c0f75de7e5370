"""`python -m channels.worker`: deliver what the assistant promised to tell residents later.

Every CHIBA_WORKER_INTERVAL seconds one round runs: each outbox (`Source`) first queues what has become due (e.g. the
day-before class reminders; idempotent, the database's unique keys keep a notification from being queued twice), then
the worker claims a batch of unsent notifications — an atomic claim in the database, so two workers never send the
same one — renders each (kind → renderer, default: the message key and parameters the notification carries, through
translations.messages) and hands it to its channel's sender (channel → sender: 'line' pushes through the LINE
Messaging API, with a retry key derived from the notification, so a push repeated in a later round is delivered at
most once). Success marks it sent; a failure releases it with the error's type name, to be tried again next round
(storage stops offering it after MAX_ATTEMPTS failures and keeps it for staff). Only the channels the worker has a
sender for are claimed: 'web' notifications wait for the resident's next web-chat visit (`pending_for_sender`).

All domains share one outbox table (storage/smartphone.py's notifications), so `default_sources` has one `Source`
whose queue step runs each domain's own step. A domain with notifications of its own adds its step there and, when
its message key and parameters are not enough, a renderer in `RENDERERS`; a new channel adds a sender ('email': the
SMTP sender of channels/mail.py). The loop names no domain.

Without LINE_CHANNEL_ACCESS_TOKEN the worker still runs (LINE pushes are off, said once in the log; LINE
notifications wait in the outbox); the same for e-mail without CHIBA_SMTP_HOST. The benefits domain's "For You"
reminders are queued each round from the subscriptions (storage/benefits.py) and the programme data
(knowledge_base.benefits, loaded once, lazily); each ends with its stop link (CHIBA_PUBLIC_URL/for-you/stop?t=...).
SIGTERM / SIGINT stop it: a round in progress gets STOP_GRACE seconds, then the notifications still in hand are
released for the next worker. The log holds counts and error type names only: no names, phone numbers, LINE ids,
e-mail addresses, stop-link tokens or message text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Protocol

from settings import GatewaySettings, LineSettings, MailSettings, SettingsError, WorkerSettings
from translations.messages import render

log = logging.getLogger("channels.worker")

BATCH = 20
# A LINE text message holds at most 5,000 characters.
LINE_TEXT_LIMIT = 5000
# On SIGTERM, seconds the notification in hand gets to finish before it is cancelled (the supervisor waits 10 s).
STOP_GRACE = 5.0
# Retry keys are derived from the notification, so a push retried in a later round (or by another worker after a
# crash) carries the key of the first attempt and LINE delivers it at most once (409 = already accepted).
_RETRY_KEY_NAMESPACE = uuid.UUID("6f1d3c2e-5b7a-4e8f-9a0b-1c2d3e4f5a6b")


class Notification(Protocol):
    """What the worker reads of a notification (storage's NotificationView has these fields)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def recipient(self) -> str | None: ...
    @property
    def lang(self) -> str: ...
    @property
    def message_key(self) -> str: ...
    @property
    def params(self) -> Mapping[str, str]: ...


class Outbox(Protocol):
    """The storage side of an outbox (storage/smartphone.py's SmartphoneClasses is one)."""

    def claim_notifications(
        self,
        worker: str,
        now: datetime,
        *,
        limit: int = ...,
        stale_after: timedelta = ...,
        channels: Collection[str] = ...,
    ) -> Sequence[Any]: ...
    def mark_sent(self, notification_id: int, now: datetime) -> None: ...
    def mark_failed(self, notification_id: int, error: str) -> None: ...


@dataclass(frozen=True)
class Source:
    """One outbox the worker empties: `queue(now)` first adds what has become due (returns how many), may be None."""

    name: str
    outbox: Outbox
    queue: Callable[[datetime], int] | None = None


Renderer = Callable[[Notification], str]
# (notification, rendered text) → returns when delivered; raises when not (the notification is tried again later).
Sender = Callable[[Notification, str], Awaitable[None]]


def render_message(notification: Notification) -> str:
    """The default renderer: the notification's message key in its language, filled with its parameters."""
    return render(notification.message_key, notification.lang, **dict(notification.params))


@lru_cache(maxsize=1)
def _places() -> Any:
    """The places data (venue names and addresses), read once; None when it cannot be read (venue ids are shown)."""
    try:
        from knowledge_base.places import load_places
        from settings import KnowledgeBaseSettings

        return load_places(KnowledgeBaseSettings().data_dir)
    except Exception as exc:  # a message with the venue id beats no message
        log.warning("worker: places data unavailable (%s)", type(exc).__name__)
        return None


def smartphone_class_message(notification: Notification) -> str:
    """Class reminders and waiting-list promotions: the stored parameters (topic, venue id, ISO date) become the class
    title, venue and date in the resident's language, as the action server words them (one helper for both)."""
    from actions.smartphone.classes import localised_params

    params = localised_params(dict(notification.params), notification.lang, _places())
    return render(notification.message_key, notification.lang, **params)


@lru_cache(maxsize=1)
def _benefit_programmes() -> Any:
    """The benefits programmes (knowledge_base.benefits.load_programmes), read once; None when they cannot be read
    (said once in the log: no reminders are queued, and queued ones show the programme id)."""
    try:
        from knowledge_base.benefits import load_programmes
        from settings import KnowledgeBaseSettings

        return load_programmes(KnowledgeBaseSettings().data_dir)
    except Exception as exc:  # a worker without the programmes still sends everything else
        log.warning("worker: benefits programmes unavailable (%s); no For You reminders are queued", type(exc).__name__)
        return None


@lru_cache(maxsize=1)
def _public_base() -> str:
    return GatewaySettings.from_env().public_base


def due_label(programmes: Any, programme_id: str, due_key: str, lang: str) -> str:
    """What is due, in `lang`: the schedule item's label (e.g. 「ヒブワクチン 1回目」, from
    knowledge_base.benefits.schedule_label), else the programme's name, else the key (programmes unavailable, or the
    data changed since the reminder was queued)."""
    if programmes is None:
        return due_key
    from knowledge_base.benefits import programme_name, schedule_label

    try:
        programme = programmes.get(programme_id)
    except KeyError:
        return due_key
    try:
        return schedule_label(programme, due_key, lang)
    except StopIteration:  # the item is gone from the data
        return programme_name(programme, lang)


def due_text(due_from: str, due_until: str, lang: str) -> tuple[str, str]:
    """(first day, last day or "") as the resident reads dates; `due_until` is the engine's exclusive end."""
    from actions.common.replies import format_date

    start = format_date(date.fromisoformat(due_from), lang)
    end = format_date(date.fromisoformat(due_until) - timedelta(days=1), lang) if due_until else ""
    return start, end


class BenefitReminderRenderer:
    """'benefit_reminder': message `bf_reminder` with {programme} (what is due, in the resident's language), {due} and
    {due_from} (the first day), {due_until} (the last day, may be empty) and {stop_url} (the stop link)."""

    def __init__(self, programmes: Callable[[], Any], public_base: Callable[[], str]) -> None:
        self._programmes = programmes
        self._public_base = public_base

    def __call__(self, notification: Notification) -> str:
        from channels.for_you import stop_url

        params = dict(notification.params)
        lang = notification.lang
        due_from, due_until = due_text(params["due_from"], params.get("due_until", ""), lang)
        return render(
            notification.message_key,
            lang,
            programme=due_label(self._programmes(), params["programme_id"], params["due_key"], lang),
            due=due_from,
            due_from=due_from,
            due_until=due_until,
            stop_url=stop_url(self._public_base(), params["token"]),
        )


benefit_reminder_message = BenefitReminderRenderer(_benefit_programmes, _public_base)

# kind → renderer, for kinds whose message key and stored parameters are not enough on their own.
RENDERERS: dict[str, Renderer] = {
    "class_reminder": smartphone_class_message,
    "waitlist_promoted": smartphone_class_message,
    "benefit_reminder": benefit_reminder_message,
}


def benefit_queue(repos: Any, programmes: Callable[[], Any] = _benefit_programmes) -> Callable[[datetime], int]:
    """The benefits domain's queue step: the due reminders of every active subscription (none without programmes)."""

    def queue(now: datetime) -> int:
        loaded = programmes()
        return 0 if loaded is None else repos.benefits.queue_due(now, loaded)

    return queue


def queue_steps(steps: Mapping[str, Callable[[datetime], int]]) -> Callable[[datetime], int]:
    """One queue function running every domain's step; a step that fails is logged (its type) and the others still
    run, so one domain's problem never holds up another's reminders."""

    def queue(now: datetime) -> int:
        queued = 0
        for name, step in steps.items():
            try:
                queued += step(now)
            except Exception as exc:
                log.error("worker: queuing %s reminders failed: %s", name, type(exc).__name__)
        return queued

    return queue


def default_sources(repos: Any, *, programmes: Callable[[], Any] = _benefit_programmes) -> list[Source]:
    """The outbox: one notifications table (storage/smartphone.py) that every domain queues into and the worker claims
    from, whatever the kind (the renderers go by kind). A domain with notifications of its own adds its queue step."""
    steps = {"smartphone": repos.smartphone.queue_reminders, "benefits": benefit_queue(repos, programmes)}
    return [Source("notifications", repos.smartphone, queue_steps(steps))]


class NoRecipient(Exception):
    """A LINE notification without a LINE id to push to."""


def retry_key(notification: Notification) -> str:
    return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, f"{notification.kind}:{notification.id}"))


class LinePush:
    """The 'line' sender: one text message pushed to the notification's recipient."""

    def __init__(self, api: Any) -> None:
        self._api = api  # channels.line.api.LineApi

    async def __call__(self, notification: Notification, text: str) -> None:
        if not notification.recipient:
            raise NoRecipient()
        message = {"type": "text", "text": text[:LINE_TEXT_LIMIT]}
        await self._api.push(notification.recipient, [message], retry_key=retry_key(notification))


@dataclass(frozen=True)
class RoundResult:
    queued: int = 0
    sent: int = 0
    failed: int = 0

    def __add__(self, other: RoundResult) -> RoundResult:
        return RoundResult(self.queued + other.queued, self.sent + other.sent, self.failed + other.failed)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_worker_id() -> str:
    """Unique per process: host, pid and a random suffix (claims name the worker that holds them; at most 64
    characters, the width of notifications.claimed_by)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs rounds over `sources`; `senders` maps a channel to its sender. Only notifications of those channels are
    claimed: the others (web, or LINE when pushes are off) stay in the outbox for whoever can deliver them."""

    def __init__(
        self,
        sources: Sequence[Source],
        senders: Mapping[str, Sender],
        *,
        worker_id: str | None = None,
        stale_after: timedelta = timedelta(minutes=5),
        renderers: Mapping[str, Renderer] | None = None,
        batch: int = BATCH,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.worker_id = worker_id or new_worker_id()
        self._sources = list(sources)
        self._senders = dict(senders)
        self._renderers = dict(RENDERERS if renderers is None else renderers)
        self._stale_after = stale_after
        self._batch = batch
        self._clock = clock

    async def run_once(self, now: datetime | None = None) -> RoundResult:
        """One round over every source: queue what is due at `now`, then claim and send until nothing is left."""
        now = now or self._clock()
        total = RoundResult()
        for source in self._sources:
            total += await self._run_source(source, now)
        return total

    async def _run_source(self, source: Source, now: datetime) -> RoundResult:
        queued = await asyncio.to_thread(source.queue, now) if source.queue is not None else 0
        sent = failed = 0
        if not self._senders:
            return RoundResult(queued)  # nothing this worker could send: leave every notification unclaimed
        while True:
            claimed = await asyncio.to_thread(
                source.outbox.claim_notifications,
                self.worker_id,
                now,
                limit=self._batch,
                stale_after=self._stale_after,
                channels=tuple(self._senders),
            )
            batch_sent, batch_failed = await self._deliver(source, claimed)
            sent, failed = sent + batch_sent, failed + batch_failed
            # A full batch sent without failures: there may be more. A failure waits for the next round, so a LINE
            # outage is not hammered (failed notifications are released and would be claimed again at once).
            if len(claimed) < self._batch or batch_failed:
                return RoundResult(queued, sent, failed)

    async def _deliver(self, source: Source, claimed: Sequence[Any]) -> tuple[int, int]:
        sent = failed = 0
        pending = list(claimed)
        try:
            while pending:
                notification = pending[0]
                error = await self._send(notification)
                if error is None:
                    await asyncio.to_thread(source.outbox.mark_sent, notification.id, self._clock())
                    sent += 1
                else:
                    await asyncio.to_thread(source.outbox.mark_failed, notification.id, error)
                    failed += 1
                pending.pop(0)
        except asyncio.CancelledError:
            # Stopped with notifications in hand: release them at once instead of leaving them claimed until
            # stale_after (a push cut short is safe to repeat: the retry key makes LINE deliver it at most once).
            for notification in pending:
                with contextlib.suppress(Exception):
                    source.outbox.mark_failed(notification.id, "WorkerStopped")
            raise
        return sent, failed

    async def _send(self, notification: Notification) -> str | None:
        """None when delivered, else the error's type name (never its text: it may quote personal data)."""
        sender = self._senders.get(notification.channel)
        if sender is None:
            return "NoSender"
        try:
            text = self._renderers.get(notification.kind, render_message)(notification)
            await sender(notification, text)
        except Exception as exc:  # any failure is recorded and retried; the loop goes on
            return type(exc).__name__
        return None

    async def run_forever(self, interval: float, stop: asyncio.Event) -> None:
        """Rounds every `interval` seconds until `stop` is set; a failed round is logged and the next one runs."""
        while not stop.is_set():
            round_task = asyncio.create_task(self.run_once())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({round_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not round_task.done():
                await asyncio.wait({round_task}, timeout=STOP_GRACE)
                round_task.cancel()
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper
            try:
                result = await round_task
            except asyncio.CancelledError:
                log.info("worker stopped during a round; unsent notifications released")
                return
            except Exception as exc:  # e.g. the database is unreachable: try again next round
                log.error("worker round failed: %s", type(exc).__name__)
            else:
                if result.queued or result.sent or result.failed:
                    log.info("worker round: %d queued, %d sent, %d failed", result.queued, result.sent, result.failed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


def line_senders(line: LineSettings) -> tuple[dict[str, Sender], Any]:
    """The 'line' sender and its LineApi (close it when done), or none without an access token (said once)."""
    if not line.access_token:
        log.warning("LINE pushes are off (LINE_CHANNEL_ACCESS_TOKEN unset); LINE notifications wait in the outbox")
        return {}, None
    from channels.line.api import LineApi

    api = LineApi(line)
    return {"line": LinePush(api)}, api


def email_senders(mail: MailSettings, public_base: str | None = None) -> dict[str, Sender]:
    """The 'email' sender (channels/mail.py), or none without CHIBA_SMTP_HOST (said once)."""
    if not mail.configured:
        log.warning("e-mail off (CHIBA_SMTP_HOST unset); e-mail notifications wait in the outbox")
        return {}
    from channels.mail import EmailSend, Mailer

    return {"email": EmailSend(Mailer(mail), public_url=public_base or _public_base())}


def _open_repositories() -> tuple[Any, Any]:
    from storage.db import create_engine_from_url, database_url
    from storage.migrate import upgrade
    from storage.repositories import Repositories

    url = database_url()
    upgrade(url)  # idempotent; the embedded SQLite default needs nothing started by hand
    engine = create_engine_from_url(url)
    return engine, Repositories.for_engine(engine)


async def _open_when_possible(interval: float, stop: asyncio.Event) -> tuple[Any, Any] | None:
    """The engine and repositories; while the database cannot be opened, try again every `interval` seconds (the
    worker stays up, as the gateway does). None when stopped first."""
    while not stop.is_set():
        try:
            return await asyncio.to_thread(_open_repositories)
        except Exception as exc:  # e.g. PostgreSQL not reachable yet
            log.error("worker: database unavailable (%s); trying again in %.0f s", type(exc).__name__, interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
    return None


async def serve(settings: WorkerSettings, line: LineSettings, mail: MailSettings | None = None) -> None:
    """The worker process: rounds every CHIBA_WORKER_INTERVAL seconds until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    senders, api = line_senders(line)
    senders.update(email_senders(mail or MailSettings.from_env()))
    try:
        opened = await _open_when_possible(settings.interval, stop)
        if opened is None:
            return
        engine, repos = opened
        worker = Worker(default_sources(repos), senders, stale_after=settings.stale_timedelta)
        log.info("worker %s: a round every %g s", worker.worker_id, settings.interval)
        try:
            await worker.run_forever(settings.interval, stop)
        finally:
            engine.dispose()
    finally:
        if api is not None:
            await api.close()
        log.info("worker stopped")


def main() -> int:
    try:
        settings = WorkerSettings.from_env()
        line = LineSettings.from_env()
        mail = MailSettings.from_env()
        GatewaySettings.from_env()  # CHIBA_PUBLIC_URL, for the stop links
    except SettingsError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(settings, line, mail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
