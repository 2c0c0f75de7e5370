"""Privacy and access, end to end (issue 12 §6): residents give the assistant their name, phone number and e-mail
address in forms, over the web chat and LINE, and no log line of the run shows any of it, nor a LINE user id; and Rasa
and the action server listen on 127.0.0.1 only.

The web chat goes to the session's stack (tests/e2e/conftest.py: Rasa, action server, gateway and worker under the
supervisor, all logging into one file). LINE goes through a second gateway process started here (the session stack has
no LINE channel), with the channel configured against a fake LINE API in this process, asking the same Rasa; its log
is scanned too. The scan covers every line written so far in the session, including the other end-to-end tests'
conversations (their names and numbers are in KNOWN_PERSONAL).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scripts.stack_process import ROOT, StackProcess

pytestmark = pytest.mark.e2e

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "line"))
from line_fakes import REPLY, TOKEN, FakeLine  # noqa: E402  (tests/line is not a package)

# Ports from input's range (_parts/CONTRACT.md).
LINE_GATEWAY_PORT, FAKE_LINE_PORT = 18310, 18311
LINE_SECRET = "e2e-privacy-line-secret"
LINE_USER = "U" + uuid.uuid4().hex  # 32 hex digits, like a real LINE user id
NAME, PHONE, EMAIL = "秘匿 ミチコ", "090-8765-4321", "privacy.check+web@example.org"
LINE_EMAIL = "line.privacy.check@example.net"
QUESTION = "幕張の古い地図について調べたい（ログ確認用）"
# What other end-to-end tests type into forms (tests/e2e/test_smartphone_e2e.py, test_domains_e2e.py, …).
KNOWN_PERSONAL = ("千葉 花子", "Maria Santos", "Nguyễn Thị Lan", "hanako@example.jp", "090-1234-5678", "080 2345 6789",
                  "070-3456-7890")  # fmt: skip

PHONE_NUMBER = re.compile(
    r"(?<![\d.:])(?:\+81[-\s]?|0)\d{1,4}[-\s]\d{1,4}[-\s]\d{3,4}(?![\d.])"  # 043-245-5111, 090 1234 5678
    r"|(?<!\d)0[789]0\d{8}(?!\d)"  # 09012345678
)
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LINE_USER_ID = re.compile(r"\b[UCR][0-9a-f]{32}\b")


_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")


def unescaped(line: str) -> str:
    """The line with JSON/Python \\uXXXX escapes decoded: a tracker dumped as JSON hides names that way."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line)


def leaks(lines: list[str]) -> dict[str, list[str]]:
    """Log lines that show personal data, by kind (shortened, for the failure message)."""
    found: dict[str, list[str]] = {}
    personal = (NAME, PHONE, EMAIL, LINE_EMAIL, QUESTION, *KNOWN_PERSONAL)
    for raw in lines:
        line = unescaped(raw)
        kinds = [kind for kind, pattern in (("phone", PHONE_NUMBER), ("email", EMAIL_ADDRESS),
                                            ("line_user_id", LINE_USER_ID)) if pattern.search(line)]  # fmt: skip
        kinds += ["form value"] if any(value in line for value in personal) else []
        for kind in kinds:
            found.setdefault(kind, []).append(line[:240])
    return found


def test_the_scanner_finds_what_it_looks_for() -> None:
    lines = [
        f"INFO chat from {LINE_USER}",
        "DEBUG contact=hanako@example.jp",
        "tel 043-245-5111 and 09012345678",
        f"name {NAME}",
        "INFO POST /api/chat 200 35ms",
        '500 body={"text": "\\\\u79d8\\\\u533f \\\\u30df\\\\u30c1\\\\u30b3"}',
        "rasa 3.6.21 on 127.0.0.1:5005, took 0.25 s, version 2026-12-07",
    ]
    found = leaks(lines)
    assert set(found) == {"line_user_id", "email", "phone", "form value"}
    flagged = {line for kind_lines in found.values() for line in kind_lines}
    assert unescaped(lines[4]) not in flagged and lines[6] not in flagged
    assert unescaped(lines[5]) in found["form value"]  # the name, JSON-escaped inside an error body


# --- the conversations ----------------------------------------------------------------------------------------------


def chat(stack: StackProcess, text: str, sender: str) -> dict[str, Any]:
    status, body = stack.chat(text, sender_id=sender, lang="ja")
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def text_of(body: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in body["messages"])


def buttons(body: dict[str, Any]) -> list[str]:
    return [b["payload"] for m in body["messages"] for b in m.get("buttons") or []]


def press_or_type(stack: StackProcess, body: dict[str, Any], payload: str, typed: str, sender: str) -> dict[str, Any]:
    """Press the offered button `payload`, else type `typed` (what a resident would do)."""
    return chat(stack, payload if payload in buttons(body) else typed, sender)


@dataclass
class Outcomes:
    """What the conversations got back: answers by label, and what went wrong on the way (with log tails)."""

    web: dict[str, dict[str, Any]] = field(default_factory=dict)
    line: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # None: no reply came
    problems: list[str] = field(default_factory=list)


def web_conversations(stack: StackProcess, out: Outcomes) -> None:
    # A library reference request with an e-mail address to answer to.
    sender = uuid.uuid4().hex
    body = chat(stack, "図書館に調べものを頼みたいです", sender)
    for typed in (QUESTION, "中央図書館", EMAIL):
        body = chat(stack, typed, sender)
    for _ in range(2):  # consent, then confirmation
        body = press_or_type(stack, body, "/affirm", "はい", sender)
    out.web["reference request"] = body
    # A smartphone class booking with a name and a phone number.
    sender = uuid.uuid4().hex
    listed = chat(stack, "スマホ教室の予定を教えて", sender)
    book = [p for p in buttons(listed) if p.startswith("/book_smartphone_class")]
    if book:
        chat(stack, book[0], sender)
        chat(stack, "1人", sender)
        chat(stack, NAME, sender)
        summary = chat(stack, PHONE, sender)
        out.web["booking"] = press_or_type(stack, summary, "/affirm", "はい", sender)
    # Text that looks like a payload (Rasa warns about payloads it cannot parse, quoting them).
    out.web["broken payload"] = chat(stack, f'/inform{{"name": "{NAME}", "phone": "{PHONE}"', sender)
    out.web["/restart"] = chat(stack, "/restart", sender)
    # Forget me, confirmed.
    body = chat(stack, "私の個人情報を削除してください", sender)
    forget = [p for p in buttons(body) if p.startswith("/forget_me")]
    if forget:
        out.web["forget me"] = chat(stack, forget[0], sender)


class FakeLineServer:
    """tests/line's fake LINE API on a fixed port, served by an event loop in a background thread."""

    def __init__(self, port: int) -> None:
        self.fake = FakeLine()
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeLineServer:
        from aiohttp import web

        async def start() -> web.AppRunner:
            runner = web.AppRunner(self.fake.app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self._port).start()
            return runner

        self._thread.start()
        self._runner = asyncio.run_coroutine_threadsafe(start(), self._loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def replies(self) -> list[dict[str, Any]]:
        return [call.json for call in self.fake.calls(REPLY)]


@pytest.fixture(scope="module")
def line_gateway(stack: StackProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Any]]:
    """A second gateway with LINE configured, asking the session stack's Rasa; (its URL, its log, the fake LINE)."""
    workdir = tmp_path_factory.mktemp("line-gateway")
    log_path = workdir / "gateway.log"
    env = {k: v for k, v in os.environ.items() if k not in ("CHIBA_RASA_URLS", "CHIBA_TRACKER_URL")}
    env.update(
        PYTHONPATH=str(ROOT),
        CHIBA_GATEWAY_PORT=str(LINE_GATEWAY_PORT),
        RASA_URL=f"http://127.0.0.1:{stack.env['CHIBA_RASA_PORT']}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{stack.env['CHIBA_ACTIONS_PORT']}",
        CHIBA_DATABASE_URL=stack.env["CHIBA_DATABASE_URL"],
        CHIBA_TRACKER_DB=stack.env["CHIBA_TRACKER_DB"],
        LINE_CHANNEL_SECRET=LINE_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        LINE_API_BASE_URL=f"http://127.0.0.1:{FAKE_LINE_PORT}",
        LINE_API_DATA_BASE_URL=f"http://127.0.0.1:{FAKE_LINE_PORT}",
        CHIBA_LINE_LOADING_AFTER="30",
        CHIBA_LOG_LEVEL="INFO",
    )
    with FakeLineServer(FAKE_LINE_PORT) as fake_line, log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "channels"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip
        url = f"http://127.0.0.1:{LINE_GATEWAY_PORT}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(url + "/api/openapi.json", timeout=2):
                        break
                except OSError:
                    assert proc.poll() is None, log_path.read_text(errors="replace")
                    time.sleep(0.3)
            yield url, log_path, fake_line
        finally:
            proc.terminate()
            proc.wait(30)


def post_line(url: str, *events: dict[str, Any]) -> None:
    body = json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": signature}
    request = urllib.request.Request(url + "/webhooks/line", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


def line_event(kind: str, **content: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": LINE_USER},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
    }
    event.update(content)
    return event


def line_text(text: str) -> dict[str, Any]:
    return line_event("message", message={"type": "text", "id": "1", "quoteToken": "q", "text": text})


def line_say(url: str, fake_line: FakeLineServer, event: dict[str, Any]) -> dict[str, Any] | None:
    """Send one event and wait for the reply to it (a safety timeout, not a speed check); None when none came."""
    before = len(fake_line.replies())
    post_line(url, event)
    deadline = time.monotonic() + 60
    while len(fake_line.replies()) <= before:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)
    return fake_line.replies()[-1]


def postbacks(reply: dict[str, Any]) -> list[str]:
    items = [item for m in reply["messages"] for item in (m.get("quickReply") or {}).get("items", [])]
    return [item["action"]["data"] for item in items if item["action"]["type"] == "postback"]


def line_conversations(url: str, fake_line: FakeLineServer, out: Outcomes) -> None:
    out.line["follow"] = line_say(url, fake_line, line_event("follow", follow={"isUnblocked": False}))
    out.line["question"] = line_say(url, fake_line, line_text("電池は何ごみ？"))
    reply = line_say(url, fake_line, line_text("図書館に調べものを頼みたいです"))
    for typed in (QUESTION, "中央図書館", LINE_EMAIL):
        reply = line_say(url, fake_line, line_text(typed))
    for _ in range(2):
        if reply is not None and "/affirm" in postbacks(reply):
            reply = line_say(url, fake_line, line_event("postback", postback={"data": "/affirm"}))
        else:
            reply = line_say(url, fake_line, line_text("はい"))
    out.line["reference request"] = reply
    out.line["name and phone"] = line_say(url, fake_line, line_text(f"私の名前は{NAME}、電話は{PHONE}です"))
    out.line["/restart"] = line_say(url, fake_line, line_text("/restart"))
    post_line(url, line_event("unfollow"))  # no reply: it deletes what is stored about the user
    time.sleep(1.0)


@pytest.fixture(scope="module")
def outcomes(stack: StackProcess, line_gateway: tuple[str, Path, Any]) -> Outcomes:
    """Runs the conversations once; what fails on the way is recorded, so the log scan still runs."""
    url, line_log, fake_line = line_gateway
    out = Outcomes()
    for name, run in (("web", lambda: web_conversations(stack, out)),
                      ("LINE", lambda: line_conversations(url, fake_line, out))):  # fmt: skip
        try:
            run()
        except Exception as exc:
            out.problems.append(f"{name}: {type(exc).__name__}: {exc}")
    out.problems += [f"LINE: no reply to {label!r}" for label, reply in out.line.items() if reply is None]
    if out.problems:
        out.problems.append("stack log tail:\n" + stack.log_tail(40))
        out.problems.append("LINE gateway log tail:\n" + "\n".join(line_log.read_text().splitlines()[-40:]))
        out.problems.append("LINE API calls: " + ", ".join(f"{r.path}" for r in fake_line.fake.requests[-20:]))
    time.sleep(2.0)  # the worker and the logs catch up
    return out


# --- the checks -----------------------------------------------------------------------------------------------------


def test_residents_with_personal_data_are_answered_on_the_web_and_line(outcomes: Outcomes) -> None:
    assert not outcomes.problems, "\n".join(outcomes.problems)[:6000]
    assert "R-" in text_of(outcomes.web["reference request"])


def test_typed_restart_is_answered_as_text_and_starts_nothing_over(outcomes: Outcomes) -> None:
    """The reported bug: a resident who typed /restart got an empty reply (Rasa ran it as its restart intent)."""
    web = outcomes.web["/restart"]
    assert web["messages"], web
    assert web["meta"]["intent"] != "restart"
    line = outcomes.line["/restart"]
    assert line is not None and line["messages"], "typed /restart on LINE got no reply"


def test_no_log_line_of_the_run_shows_personal_data(
    stack: StackProcess, line_gateway: tuple[str, Path, Any], outcomes: Outcomes
) -> None:
    _, line_log, fake_line = line_gateway
    assert fake_line.replies(), "the LINE gateway answered nothing: the scan would prove little"
    lines = stack.log_text().splitlines() + line_log.read_text(errors="replace").splitlines()
    assert len(lines) > 50, "too few log lines for a meaningful scan"
    found = leaks(lines)
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)[:4000]


def test_a_failing_action_does_not_send_the_conversation_back(stack: StackProcess) -> None:
    """rasa_sdk's own error answer carries the whole action call (the tracker: every message of the conversation),
    and Rasa logs that answer: an action that fails must answer with no more than the kind of failure."""
    import copy
    import urllib.error

    from channels.health import _KB_CALL

    call = copy.deepcopy(_KB_CALL)
    call["next_action"] = "action_fallback"
    # An intent that is not a dict: the fallback's bookkeeping trips over it, as any action may trip over something.
    call["tracker"]["latest_message"] = {"text": f"{NAME} {PHONE} {EMAIL}", "intent": "not-a-dict"}
    call["tracker"]["events"] = [{"event": "user", "text": f"{NAME} {PHONE}", "timestamp": time.time()}]
    url = f"http://127.0.0.1:{stack.env['CHIBA_ACTIONS_PORT']}/webhook"
    request = urllib.request.Request(url, data=json.dumps(call).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            status, body = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    if status < 500:
        pytest.skip(f"the action did not fail (HTTP {status}): nothing to check on this path")
    text = unescaped(body.decode("utf-8", "replace"))
    assert not any(value in text for value in (NAME, PHONE, EMAIL)), text[:500]
    assert "request_body" not in text, text[:500]


def listening(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    addresses = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            host, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                addresses.add(_address(host, width))
    return addresses


def _address(hex_host: str, width: int) -> str:
    raw = bytes.fromhex(hex_host)
    if width == 8:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    import ipaddress

    return str(ipaddress.IPv6Address(b"".join(words)))


@pytest.mark.parametrize("service", ["CHIBA_RASA_PORT", "CHIBA_ACTIONS_PORT"])
def test_rasa_and_the_action_server_listen_on_loopback_only(stack: StackProcess, service: str) -> None:
    port = int(stack.env[service])
    addresses = listening(port)
    assert addresses, f"nothing listens on {port}"
    assert addresses <= {"127.0.0.1", "::1", "::ffff:127.0.0.1"}, addresses


def test_the_supervisor_starts_rasa_and_the_action_server_on_loopback() -> None:
    from scripts import run_stack
    from settings import StackSettings, SupervisorSettings

    stack_settings = StackSettings()
    env = run_stack.child_env(stack_settings)
    assert env["SANIC_HOST"] == "127.0.0.1"  # rasa_sdk binds 0.0.0.0 without it
    profiles = [run_stack.services(stack_settings)]
    profiles.append(run_stack.scaled_services(stack_settings, SupervisorSettings()))
    for services in profiles:
        for service in services:
            if service.name.startswith("rasa"):
                argv = list(service.argv)
                assert argv[argv.index("-i") + 1] == "127.0.0.1", argv
                assert "--enable-api" not in argv  # Rasa's HTTP API stays off (it would need a token)
            if service.name.startswith("actions"):
                assert service.env.get("SANIC_HOST", env["SANIC_HOST"]) == "127.0.0.1"
