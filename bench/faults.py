"""Fault campaign: LINE conversations while parts of the scaled stack are killed, and what residents got.

    PYTHONPATH=. .venvs/services/bin/python -m bench.faults [--users 6] [--quiet-seconds 15] [--only rasa,gateway]
        [--profile scaled|embedded]

Starts its own throwaway PostgreSQL 15 (port 18150, a temporary data folder; initdb runs as the `postgres` user when
started as root) and Redis (port 18151, no persistence), the scaled stack (`scripts.run_stack --scaled`: two Rasa
servers, one action server, gateway and worker on ports 18180/18105-/18115-) with LINE pointed at a fake LINE API
served here (port 18170). Simulated residents send LINE text messages through the signed webhook the whole time; like
LINE, a webhook that is not acknowledged with 200 is delivered again (isRedelivery) until it is.

`--profile embedded` runs `make run`'s profile instead (one Rasa server on SQLite, no PostgreSQL or Redis to stop).

Faults, one after the other, each followed by a quiet spell until /healthz is 200 again: kill -9 of a Rasa server,
the action server (one of its processes when it has several), its forked Sanic worker (when it has one), the gateway
and the worker; Redis and PostgreSQL stopped and started again; the fake LINE API timing out, then answering 500, for a
while.

How long the assistant was unavailable, as a resident of the web chat sees it: a prober sends a question that needs
the action server ("電池はどうやって捨てますか") to /api/chat every PROBE_INTERVAL seconds, one at a time, the whole
campaign. A probe fails when it gets no 200 answer with text. Per fault it prints the failed probes and "unavailable":
from the fault to the end of the last failed probe before the assistant answered again (0 when none failed).

The fake LINE API delivers a push once per X-Line-Retry-Key (a repeat answers 409, as LINE does) and delivers nothing
for a request it times out or fails. Per message it then counts: answered (a real answer reached the resident),
answered late (the answer came by push after the "we will answer when we are back" notice, or more than 10 s after
the message), lost (no answer when the campaign ends, after a drain of up to --drain-seconds) and doubled (more than
one answer). Prints the totals and a line per fault phase.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from channels.line.handler import answer_later_text, retry_key
from channels.line.texts import text as line_text
from scripts.stack_process import StackError, StackProcess
from scripts.supervisor import group_members

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PORT_BASE = 18100  # --port-base moves every port below together (another range on a shared machine)
PG_PORT, REDIS_PORT, LINE_PORT = 18150, 18151, 18170
GATEWAY_PORT, RASA_PORT, ACTIONS_PORT = 18180, 18105, 18115


def use_ports(base: int) -> None:
    """Move every port of the campaign by `base - PORT_BASE`."""
    global PG_PORT, REDIS_PORT, LINE_PORT, GATEWAY_PORT, RASA_PORT, ACTIONS_PORT
    shift = base - PORT_BASE
    PG_PORT, REDIS_PORT, LINE_PORT = PG_PORT + shift, REDIS_PORT + shift, LINE_PORT + shift
    GATEWAY_PORT, RASA_PORT, ACTIONS_PORT = GATEWAY_PORT + shift, RASA_PORT + shift, ACTIONS_PORT + shift


SECRET, TOKEN = "faults-secret", "faults-token"
LATE_SECONDS = 10.0
ANSWER_WAIT_SECONDS = 60.0
PROBE_QUESTION = "電池はどうやって捨てますか"
PROBE_INTERVAL = 0.25
QUESTIONS = ["こんにちは", "電池はどうやって捨てますか", "粗大ごみの出し方を教えて", "図書館の開館時間は？",
             "スプレー缶は何ごみ？", "ありがとう"]  # fmt: skip


# --- throwaway PostgreSQL and Redis -----------------------------------------------------------------------------------


class Postgres:
    def __init__(self, folder: Path) -> None:
        self.data = folder / "pg"
        self.sock = folder / "pgsock"
        self.log = folder / "pg.log"
        self.url_app = f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/chiba"
        self.url_tracker = f"postgresql://postgres@127.0.0.1:{PG_PORT}/chiba_tracker"

    def _run(self, *argv: str) -> None:
        # initdb and postgres refuse to run as root: run them as the `postgres` user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True)

    def init(self) -> None:
        for path in (self.data, self.sock):
            path.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.data.parent, "postgres")
            for path in (self.data, self.sock):
                shutil.chown(path, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        opts = f"-p {PG_PORT} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


class Redis:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{REDIS_PORT}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# --- the fake LINE API ----------------------------------------------------------------------------------------------


@dataclass
class Delivery:
    event_id: str
    at: float
    texts: list[str]
    kind: str  # reply | push


@dataclass
class FakeLine:
    mode: str = "ok"  # ok | timeout | error
    deliveries: list[Delivery] = field(default_factory=list)
    by_token: dict[str, str] = field(default_factory=dict)  # reply token → event id
    by_key: dict[str, str] = field(default_factory=dict)  # retry key → event id
    accepted_keys: set[str] = field(default_factory=set)
    refused: int = 0

    def answered(self, event_id: str) -> bool:
        return any(d.event_id == event_id and not set(d.texts) <= notices() for d in self.deliveries)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        path = request.path
        if path.startswith("/v2/bot/profile/"):
            return web.json_response({"displayName": "市民", "userId": path.rsplit("/", 1)[1], "language": "ja"})
        if path == "/v2/bot/chat/loading/start":
            return web.json_response({}, status=202)
        if path not in ("/v2/bot/message/reply", "/v2/bot/message/push"):
            return web.json_response({"message": "Not found"}, status=404)
        if self.mode == "timeout":
            self.refused += 1
            await asyncio.sleep(6)  # longer than the gateway's CHIBA_LINE_API_TIMEOUT: it gives up, nothing delivered
            return web.json_response({"message": "too late"}, status=504)
        if self.mode == "error":
            self.refused += 1
            return web.json_response({"message": "fake failure"}, status=500)
        data = json.loads(body)
        texts = [m.get("text") or m.get("altText") or "" for m in data.get("messages", [])]
        if path.endswith("/reply"):
            event_id = self.by_token.pop(data.get("replyToken", ""), None)
            if event_id is None:
                return web.json_response({"message": "Invalid reply token"}, status=400)  # used, or unknown
            self.deliveries.append(Delivery(event_id, time.monotonic(), texts, "reply"))
            return web.json_response({"sentMessages": [{"id": "1", "quoteToken": "q"}]})
        key = request.headers.get("X-Line-Retry-Key", "")
        if key in self.accepted_keys:
            return web.json_response({"message": "The retry key is already accepted"}, status=409)
        self.accepted_keys.add(key)
        self.deliveries.append(Delivery(self.by_key.get(key, "?"), time.monotonic(), texts, "push"))
        return web.json_response({"sentMessages": [{"id": "1", "quoteToken": "q"}]})


# --- residents ------------------------------------------------------------------------------------------------------


@dataclass
class Sent:
    event_id: str
    user: str
    at: float
    phase: str
    acked_at: float | None = None
    deliveries: int = 0  # webhook POSTs it took


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


async def deliver_webhook(session: aiohttp.ClientSession, url: str, sent: Sent, text: str, give_up: float) -> None:
    """POST the event like LINE: again (isRedelivery) every second until the gateway answers 200."""
    redelivery = False
    while time.monotonic() < give_up:
        event = {
            "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": sent.user}, "webhookEventId": sent.event_id,
            "deliveryContext": {"isRedelivery": redelivery}, "replyToken": f"rt-{sent.event_id}",
            "message": {"id": sent.event_id[-12:], "type": "text", "text": text, "quoteToken": "q"},
        }  # fmt: skip
        body = json.dumps({"destination": "Ubot", "events": [event]}, ensure_ascii=False).encode()
        sent.deliveries += 1
        try:
            headers = {"X-Line-Signature": sign(body), "Content-Type": "application/json"}
            async with session.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as r:
                if r.status == 200:
                    sent.acked_at = time.monotonic()
                    return
        except (aiohttp.ClientError, TimeoutError):
            pass
        redelivery = True
        await asyncio.sleep(1.0)


class Campaign:
    def __init__(self, args: argparse.Namespace, line: FakeLine) -> None:
        self.args = args
        self.line = line
        self.sent: list[Sent] = []
        self.phase = "warm-up"
        self.running = True
        self.webhook = f"http://127.0.0.1:{GATEWAY_PORT}/webhooks/line"
        self.pending: set[asyncio.Task[None]] = set()

    async def resident(self, session: aiohttp.ClientSession, n: int) -> None:
        user = f"U{n:032x}"
        rng = random.Random(n)
        while self.running:
            event_id = uuid.uuid4().hex.upper()[:26]
            sent = Sent(event_id, user, time.monotonic(), self.phase)
            self.sent.append(sent)
            self.line.by_token[f"rt-{event_id}"] = event_id
            self.line.by_key[retry_key(event_id)] = event_id
            task = asyncio.create_task(
                deliver_webhook(session, self.webhook, sent, rng.choice(QUESTIONS), time.monotonic() + 900)
            )
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            await task
            # As a person chats: read the answer (or give up waiting after a while), then type the next message.
            # Without this, a machine slower than the residents builds a backlog that no drain can clear.
            give_up = time.monotonic() + ANSWER_WAIT_SECONDS
            while time.monotonic() < give_up and not self.line.answered(event_id):
                await asyncio.sleep(0.5)
            await asyncio.sleep(rng.uniform(1.0, 3.0))


@dataclass
class Probe:
    at: float  # sent (monotonic)
    took: float
    ok: bool


class Prober:
    """One web-chat sender asking the same question again and again; records which probes were answered."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/api/chat"
        self.probes: list[Probe] = []
        self.running = True

    async def run(self, session: aiohttp.ClientSession) -> None:
        n = 0
        while self.running:
            n += 1
            body = {"sender_id": f"probe-{n // 20}", "text": PROBE_QUESTION, "lang": "ja"}  # a short conversation each
            started = time.monotonic()
            ok = False
            try:
                async with session.post(self.url, json=body, timeout=aiohttp.ClientTimeout(total=30)) as resp:
                    data = await resp.json(content_type=None)
                    ok = resp.status == 200 and any(m.get("text") for m in data.get("messages", []))
            except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
                ok = False
            self.probes.append(Probe(started, time.monotonic() - started, ok))
            await asyncio.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - started)))

    def outage(self, begun: float, until: float) -> tuple[int, int, float]:
        """(probes sent, probes failed, seconds unavailable) between `begun` and `until`."""
        window = [p for p in self.probes if begun <= p.at < until]
        failed = [p for p in window if not p.ok]
        unavailable = max((p.at + p.took - begun for p in failed), default=0.0)
        return len(window), len(failed), unavailable


# --- faults ---------------------------------------------------------------------------------------------------------


def kill_service(stack: StackProcess, name: str) -> str:
    pid = stack.pid(name)
    os.kill(pid, signal.SIGKILL)
    return f"kill -9 {name} (pid {pid})"


def listening_pid(port: int) -> int | None:
    """The process listening on 127.0.0.1:`port` (from /proc/net/tcp and the processes' open sockets)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                return int(entry.name)
    return None


def kill_serving(stack: StackProcess, names: list[str], port: int) -> str:
    """kill -9 the one of `names` that serves `port` (a standby waits without listening)."""
    pids = {stack.pid(name): name for name in names if f"started {name} (pid" in stack.log_text()}
    serving = listening_pid(port)
    if serving not in pids:
        return kill_service(stack, names[0])
    os.kill(serving, signal.SIGKILL)
    return f"kill -9 {pids[serving]} (pid {serving}, the one serving port {port})"


def kill_sanic_worker(stack: StackProcess, name: str) -> str:
    main = stack.pid(name)
    workers = sorted(group_members(main) - {main})
    if not workers:
        return f"{name}: no forked worker (one process serves), nothing killed"
    os.kill(workers[-1], signal.SIGKILL)
    return f"kill -9 {name}'s Sanic worker (pid {workers[-1]})"


async def run(args: argparse.Namespace) -> int:
    scaled = args.profile == "scaled"
    folder = Path(tempfile.mkdtemp(prefix="supervisor-faults-"))
    pg, redis = Postgres(folder), Redis()
    line = FakeLine()
    runner = web.AppRunner(line.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", LINE_PORT).start()
    env: dict[str, str] = {}
    if scaled:
        print(f"throwaway PostgreSQL :{PG_PORT} and Redis :{REDIS_PORT} in {folder}", flush=True)
        pg.init()
        redis.start()
        env = {"CHIBA_DATABASE_URL": pg.url_app, "CHIBA_TRACKER_URL": pg.url_tracker, "CHIBA_REDIS_URL": redis.url}
    env |= {
        "CHIBA_REDIS_PREFIX": "faults", "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": f"http://127.0.0.1:{LINE_PORT}", "LINE_API_DATA_BASE_URL": f"http://127.0.0.1:{LINE_PORT}",
        "CHIBA_LINE_API_TIMEOUT": "2", "CHIBA_LINE_MAX_RETRIES": "1", "CHIBA_LINE_RETRY_BASE_DELAY": "0.2",
        "CHIBA_LINE_LEASE": "20", "CHIBA_LINE_REPLAY_INTERVAL": "1", "CHIBA_RATE_LIMIT_BURST": "0",
        "CHIBA_RASA_SERVERS": "2", "CHIBA_ACTION_SERVERS": "1", "CHIBA_WORKER_INTERVAL": "5",
    }  # fmt: skip
    stack = StackProcess(GATEWAY_PORT, RASA_PORT, ACTIONS_PORT, folder / "stack", extra_env=env, scaled=scaled)
    started = time.monotonic()
    try:
        stack.start(timeout=600)
    except StackError as exc:
        print(f"the stack did not start: {exc}")
        await runner.cleanup()
        if scaled:
            redis.stop()
            with contextlib.suppress(subprocess.CalledProcessError):
                pg.stop()
        return 1
    print(f"{args.profile} stack ready in {time.monotonic() - started:.0f} s; log: {stack.log_path}", flush=True)
    print(f"resident set size after start: {rss_line(stack)}", flush=True)

    async def stop_start(stop: object, start: object, what: str, seconds: float = 5.0) -> str:
        await asyncio.to_thread(stop)  # type: ignore[arg-type]
        await asyncio.sleep(seconds)
        await asyncio.to_thread(start)  # type: ignore[arg-type]
        return f"{what} stopped for {seconds:.0f} s"

    async def line_mode(mode: str, seconds: float = 10.0) -> str:
        line.mode = mode
        await asyncio.sleep(seconds)
        line.mode = "ok"
        return f"fake LINE API {mode} for {seconds:.0f} s"

    rasa, actions = ("rasa-0", "actions-0") if scaled else ("rasa", "actions")
    faults = {
        "rasa": lambda: asyncio.to_thread(kill_serving, stack, [rasa, f"{rasa}/2"], RASA_PORT),
        "actions": lambda: asyncio.to_thread(kill_service, stack, actions),
        "sanic-worker": lambda: asyncio.to_thread(kill_sanic_worker, stack, actions),
        "gateway": lambda: asyncio.to_thread(kill_service, stack, "gateway"),
        "worker": lambda: asyncio.to_thread(kill_service, stack, "worker"),
        "redis": lambda: stop_start(redis.stop, redis.start, "Redis"),
        "postgresql": lambda: stop_start(pg.stop, pg.start, "PostgreSQL"),
        "line-timeout": lambda: line_mode("timeout"),
        "line-500": lambda: line_mode("error"),
    }
    if not scaled:
        del faults["redis"], faults["postgresql"]
    chosen = [name for name in faults if not args.only or name in args.only.split(",")]
    campaign = Campaign(args, line)
    prober = Prober(stack.url)
    outages: list[str] = []
    async with aiohttp.ClientSession() as session:
        residents = [asyncio.create_task(campaign.resident(session, n)) for n in range(args.users)]
        probing = asyncio.create_task(prober.run(session))
        await asyncio.sleep(args.quiet_seconds)
        for name in chosen:
            campaign.phase = name
            begun = time.monotonic()
            what = await faults[name]()
            await asyncio.sleep(2)
            try:
                back = await asyncio.to_thread(stack.wait_healthy, 300)
            except StackError:
                back = float("nan")
            after = time.monotonic() - begun
            print(f"{name:>12}: {what}; /healthz 200 again {after:.1f} s after (waited {back:.1f} s)", flush=True)
            await asyncio.sleep(args.quiet_seconds)
            sent, failed, unavailable = prober.outage(begun, time.monotonic())
            outages.append(f"{name:>12}: web chat unavailable {unavailable:5.1f} s ({failed} of {sent} probes failed)")
            print(outages[-1], flush=True)
        campaign.phase = "end"
        campaign.running = False
        prober.running = False
        await asyncio.gather(*residents, probing, return_exceptions=True)
        # Drain: wait until every message is answered, or the drain time is up.
        deadline = time.monotonic() + args.drain_seconds
        while time.monotonic() < deadline and answered_count(campaign, line) < len(campaign.sent):
            await asyncio.sleep(1)
    restarts = [line_ for line_ in stack.log_text().splitlines() if "restarting in" in line_]
    print(f"resident set size at the end: {rss_line(stack)}", flush=True)
    stack.stop()
    await runner.cleanup()
    if scaled:
        redis.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            pg.stop("fast")
    report(campaign, line, restarts)
    print(f"\nunavailable, as the web chat saw it (probe every {PROBE_INTERVAL:.2f} s):")
    for row in outages:
        print("  " + row)
    kept = Path(tempfile.gettempdir()) / f"faults-stack-{int(time.time())}.log"
    shutil.copy(stack.log_path, kept)
    print(f"stack log kept at {kept}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def rss_line(stack: StackProcess) -> str:
    """Resident memory of each service's process group, from /proc (MiB), and the total."""
    names = sorted(set(re.findall(r"\[stack\] started (\S+) \(pid", stack.log_text())))
    sizes: dict[str, float] = {}
    for name in names:
        total = 0
        for pid in group_members(stack.pid(name)):
            with contextlib.suppress(OSError, ValueError, IndexError):
                status = Path(f"/proc/{pid}/status").read_text()
                total += int(next(x for x in status.splitlines() if x.startswith("VmRSS:")).split()[1])
        sizes[name] = total / 1024
    parts = ", ".join(f"{name} {mib:.0f}" for name, mib in sizes.items())
    return f"{parts}; total {sum(sizes.values()):.0f} MiB"


def notices() -> set[str]:
    return {answer_later_text("ja"), line_text("unavailable", "ja")}


def answered_count(campaign: Campaign, line: FakeLine) -> int:
    answered = {d.event_id for d in line.deliveries if not set(d.texts) <= notices()}
    return sum(1 for s in campaign.sent if s.event_id in answered)


def report(campaign: Campaign, line: FakeLine, restarts: list[str]) -> None:
    notice_texts = notices()
    answers: dict[str, list[Delivery]] = defaultdict(list)
    noticed: set[str] = set()
    for d in line.deliveries:
        if set(d.texts) <= notice_texts:
            noticed.add(d.event_id)
        else:
            answers[d.event_id].append(d)
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in campaign.sent:
        for key in ("all", s.phase):
            row = rows[key]
            row["sent"] += 1
            got = answers.get(s.event_id, [])
            if not got:
                row["lost"] += 1
                continue
            row["answered"] += 1
            if s.event_id in noticed or got[0].at - s.at > LATE_SECONDS:
                row["late"] += 1
            if len(got) > 1:
                row["doubled"] += 1
            if s.event_id in noticed:
                row["noticed"] += 1
    print()
    print(f"{'phase':>14} {'sent':>6} {'answered':>9} {'late':>6} {'lost':>6} {'doubled':>8} {'notified':>9}")
    for phase, row in rows.items():
        print(f"{phase:>14} {row['sent']:>6} {row['answered']:>9} {row['late']:>6} {row['lost']:>6} "
              f"{row['doubled']:>8} {row['noticed']:>9}")  # fmt: skip
    redelivered = sum(1 for s in campaign.sent if s.deliveries > 1)
    print(f"\nwebhooks LINE had to deliver again (gateway down or 5xx): {redelivered}; "
          f"LINE API calls the fake refused or timed out: {line.refused}")  # fmt: skip
    print(f"supervisor restarts ({len(restarts)}):")
    for line_ in restarts:
        print("  " + line_.split("] ", 1)[-1][:200])
    total = rows["all"]
    print(f"\nsent {total['sent']}, answered {total['answered']}, answered late {total['late']}, "
          f"lost {total['lost']}, doubled {total['doubled']}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=6, help="simulated LINE residents")
    parser.add_argument("--quiet-seconds", type=float, default=15.0, help="normal traffic before and after each fault")
    parser.add_argument("--drain-seconds", type=float, default=120.0, help="longest wait for the last answers")
    parser.add_argument("--only", default="", help="comma-separated faults (default: all)")
    parser.add_argument("--profile", choices=("scaled", "embedded"), default="scaled", help="which stack to run")
    parser.add_argument("--port-base", type=int, default=PORT_BASE, help="first port of the range the campaign uses")
    args = parser.parse_args()
    use_ports(args.port_base)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
