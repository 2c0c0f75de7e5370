"""Fuzz the gateway against its own OpenAPI description (/api/openapi.json): bad input must never cause a 5xx, a
traceback, or an error body that is not the documented JSON error.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venvs/services/bin/python -m bench.fuzz [--requests 10000] [--seed 1]

Runs, in this process (a background thread with its own event loop), the real gateway (`create_app` + LINE channel +
staff pages, staff token set, a throwaway SQLite application database seeded with reference requests and a
smartphone class) wired to fakes: Rasa and the action server (tests/channels/gateway_fakes.py) and the LINE API
(tests/line/line_fakes.py). Requests come from schemathesis (hypothesis strategies generated from the OpenAPI
document, positive and negative), plus two strategies of our own: LINE webhooks signed with the channel secret whose
events are random (so the parser and the event handler are reached, not only the signature check), and chat texts that
look like payloads (`/restart`, `/intent{json}`), the way an attacker would try them. Staff requests go with no
token, a wrong one, the right bearer token or the session cookie.

Every response is checked (`check_response`): status below 500; no traceback or exception text in the body; the status
is documented for the operation (or a generic 404/405); the body matches the documented content type and schema —
for every JSON error that is `#/components/schemas/Error`. Prints how many requests went to each operation, the
statuses seen, and the counts of each kind of problem with up to three examples each. Exit 1 if any problem was found.

tests/channels/test_fuzz.py runs the same harness with a few hundred requests.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _helpers in (ROOT / "tests" / "channels", ROOT / "tests" / "line"):
    if str(_helpers) not in sys.path:
        sys.path.insert(0, str(_helpers))

STAFF_TOKEN = "fuzz-staff-token-0123456789"
LINE_SECRET = "fuzz-line-secret"
# Text in a body that means an exception escaped to the client.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"/|\b[A-Z]\w*(Error|Exception): ")
# The gateway's own routes (channels/openapi.build_spec); other parts may document more in the same document.
FUZZED_PREFIXES = (
    "/api/chat",
    "/api/ui/",
    "/api/area/",
    "/api/openapi.json",
    "/healthz",
    "/webhooks/line",
    "/staff",
    "/for-you/",
)
GENERIC_STATUSES = {404, 405}  # any path/method: the middleware's not_found / method_not_allowed
PROBLEM_KINDS = (
    "server_error", "traceback", "error_shape", "undocumented_status", "content_type", "body_schema", "logged_error",
)  # fmt: skip
ATTACK_TEXTS = (
    "/restart",
    "/session_start",
    '/ask_garbage_item{"item": "電池"}',
    '/ask_item{"item":"スプレー缶"}',
    "/affirm@1.0",
    "/" + "a" * 3000,
    '/inform{"x": ' * 50,
    "  /restart  ",
)


@dataclass
class Tally:
    requests: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    by_operation_status: Counter[tuple[str, int]] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0

    def add(self, operation: str, status: int, problems: list[tuple[str, str]]) -> None:
        self.requests += 1
        self.by_operation[operation] += 1
        self.by_operation_status[(operation, status)] += 1
        self.statuses[status] += 1
        for kind, detail in problems:
            self.problems[kind] += 1
            if len(self.examples[kind]) < 3:
                self.examples[kind].append(f"{operation} → {status}: {detail[:300]}")

    def logged(self, record: logging.LogRecord) -> None:
        self.problems["logged_error"] += 1
        if len(self.examples["logged_error"]) < 3:
            self.examples["logged_error"].append(f"{record.name}: {record.getMessage()[:300]}")

    @property
    def failures(self) -> int:
        return sum(self.problems.values())


# --- the stack under test -------------------------------------------------------------------------------------------


def _sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def seed_database(url: str) -> None:
    """A few rows so the staff pages render real data (names, phone numbers, odd characters)."""
    from storage.db import create_engine_from_url
    from storage.migrate import upgrade
    from storage.repositories import Repositories
    from storage.smartphone import ClassRow

    engine = create_engine_from_url(url)
    try:
        upgrade(engine)
        repos = Repositories.for_engine(engine, sender_salt="fuzz")
        repos.reference_requests.create(
            "<script>alert(1)</script> 千葉の歴史", "=cmd|' /C calc'!A0", None, "ja", True, "s1"
        )
        start = datetime.now(timezone.utc) + timedelta(days=3)
        row = ClassRow("fuzz-1", "line", "beginner", "ward_office_chuo", start, start + timedelta(hours=2), 5, "043-0")
        repos.smartphone.replace_catalogue([row], example=True)
        repos.smartphone.book("fuzz-1", name="千葉 花子", phone="090-0000-0000", seats=1, lang="ja", channel="web",
                              sender_id="s2")  # fmt: skip
    finally:
        engine.dispose()


class FuzzStack:
    """The gateway and its fakes on loopback ports, served by an event loop in a background thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fuzz-stack", daemon=True)
        self._runners: list[Any] = []
        self.url = ""

    def __enter__(self) -> FuzzStack:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=120)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self, app: Any) -> str:
        from aiohttp import web

        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    async def _start(self) -> str:
        from gateway_fakes import FakeBackend, fake_action_app, fake_rasa_app
        from line_fakes import TOKEN, FakeLine

        from channels.app import create_app
        from channels.line import setup_line
        from settings import GatewaySettings, LineSettings

        self.backend = FakeBackend()
        self.fake_line = FakeLine()
        rasa, actions = await self._serve(fake_rasa_app(self.backend)), await self._serve(fake_action_app(self.backend))
        line_api = await self._serve(self.fake_line.app())
        app = create_app(GatewaySettings(rasa_url=rasa, action_server_url=actions, backend_timeout=5.0))
        setup_line(
            app,
            LineSettings(channel_secret=LINE_SECRET, access_token=TOKEN, api_base_url=line_api,
                         api_data_base_url=line_api, max_retries=0, loading_after=30.0, shutdown_grace=5.0),
        )  # fmt: skip
        return await self._serve(app)

    async def _stop(self) -> None:
        self.backend.release.set()
        for runner in reversed(self._runners):
            await runner.cleanup()


# --- checking one response ------------------------------------------------------------------------------------------


class ResponseChecker:
    def __init__(self, spec: dict[str, Any]) -> None:
        import jsonschema_rs

        self._spec = spec
        self._components = spec["components"]
        self._validators: dict[str, Any] = {}
        self._make = jsonschema_rs.validator_for
        self._error = self._validator({"$ref": "#/components/schemas/Error"})

    def _validator(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = self._make({**schema, "components": self._components})
        return self._validators[key]

    def check(self, path: str, method: str, status: int, content_type: str, body: bytes) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        text = body.decode("utf-8", "replace")
        if status >= 500:
            problems.append(("server_error", text[:200]))
        if TRACEBACK.search(text):
            problems.append(("traceback", text[:200]))
        media = content_type.split(";")[0].strip().lower()
        parsed: Any = None
        if media == "application/json":
            try:
                parsed = json.loads(text)
            except ValueError:
                problems.append(("body_schema", "Content-Type is JSON but the body is not"))
                return problems
        if status >= 400 and media == "application/json" and not self._error.is_valid(parsed):
            problems.append(("error_shape", text[:200]))
        responses = self._spec["paths"].get(path, {}).get(method.lower(), {}).get("responses", {})
        documented = responses.get(str(status))
        if documented is None:
            if status not in GENERIC_STATUSES:
                problems.append(("undocumented_status", f"{method} {path} {status}"))
            elif media != "application/json":
                problems.append(("error_shape", f"generic {status} is not JSON: {media}"))
            return problems
        content = documented.get("content")
        if not content:
            return problems  # redirects and the like: no body promised
        if media not in content:
            problems.append(("content_type", f"{media!r} not in {sorted(content)}"))
            return problems
        schema = content[media].get("schema")
        already = any(kind == "error_shape" for kind, _ in problems)  # one wrong error body is one problem
        if media == "application/json" and schema and not already and not self._validator(schema).is_valid(parsed):
            problems.append(("body_schema", text[:200]))
        return problems


# --- generating requests --------------------------------------------------------------------------------------------


@dataclass
class Request:
    operation: str  # "POST /api/chat"
    path: str  # the OpenAPI path template
    method: str
    kwargs: dict[str, Any]  # for requests.Session.request


def _auth_variants() -> Any:
    from hypothesis import strategies as st

    return st.sampled_from(["none", "wrong", "bearer", "cookie"])


def _apply_auth(kwargs: dict[str, Any], variant: str) -> None:
    from channels.staff.views import COOKIE, _session_value

    headers = kwargs.setdefault("headers", {})
    if variant == "wrong":
        headers["Authorization"] = "Bearer not-the-token-at-all"
    elif variant == "bearer":
        headers["Authorization"] = f"Bearer {STAFF_TOKEN}"
    elif variant == "cookie":
        kwargs.setdefault("cookies", {})[COOKIE] = _session_value(STAFF_TOKEN)


def _body_bytes(kwargs: dict[str, Any]) -> bytes | None:
    """Serialise a JSON body ourselves (the LINE signature covers the exact bytes)."""
    if "json" in kwargs:
        kwargs["data"] = json.dumps(kwargs.pop("json"), ensure_ascii=False).encode()
    data = kwargs.get("data")
    return data if isinstance(data, bytes) else None


def schema_strategies(spec: dict[str, Any]) -> list[tuple[str, Any]]:
    """(operation name, strategy of Request) for every documented operation, positive and negative."""
    import schemathesis
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_dict(spec)
    out: list[tuple[str, Any]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path, method = operation.path, operation.method.upper()
        if not path.startswith(FUZZED_PREFIXES):
            continue  # another part's routes (speech, interpreter): theirs to fuzz, with their own fakes
        definition = spec["paths"][path][method.lower()]
        staff = path.startswith("/staff")
        has_input = "requestBody" in definition or any(p.get("required") for p in definition.get("parameters", []))
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if has_input else [])
        for mode in modes:
            cases = operation.as_strategy(generation_mode=mode)

            def build(pair: tuple[Any, str], path: str = path, method: str = method, staff: bool = staff) -> Request:
                case, variant = pair
                kwargs = case.as_transport_kwargs(base_url="")
                kwargs.pop("method", None)  # kwargs["url"] is the path: the runner prefixes the stack's URL
                if staff:
                    _apply_auth(kwargs, variant)
                body = _body_bytes(kwargs)
                if path == "/webhooks/line" and variant in ("bearer", "cookie") and body is not None:
                    kwargs.setdefault("headers", {})["X-Line-Signature"] = _sign(body)  # half signed correctly
                return Request(f"{method} {path}", path, method, kwargs)

            out.append((f"{method} {path} [{mode.value}]", st.tuples(cases, _auth_variants()).map(build)))
    return out


def line_event_strategy() -> Any:
    """Signed LINE webhooks with events of every kind the channel reads, and junk ones."""
    from hypothesis import strategies as st

    user = st.from_regex(r"U[0-9a-f]{32}", fullmatch=True)
    text = st.one_of(st.text(max_size=300), st.sampled_from(ATTACK_TEXTS), st.sampled_from(["言語", "language"]))
    source = st.one_of(
        st.builds(lambda u: {"type": "user", "userId": u}, user),
        st.builds(lambda u: {"type": "group", "groupId": "C" + u[1:], "userId": u}, user),
        st.just({"type": "room", "roomId": "R0"}),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    )
    common = st.fixed_dictionaries(
        {
            "mode": st.sampled_from(["active", "standby"]),
            "timestamp": st.integers(0, 2**42),
            "source": source,
            "webhookEventId": st.from_regex(r"[0-9A-Z]{26}", fullmatch=True),
            "deliveryContext": st.fixed_dictionaries({"isRedelivery": st.booleans()}),
            "replyToken": st.text(min_size=1, max_size=40),
        }
    )
    message = st.one_of(
        st.fixed_dictionaries({"type": st.just("text"), "id": st.just("1"), "quoteToken": st.just("q"), "text": text}),
        st.fixed_dictionaries(
            {
                "type": st.just("sticker"),
                "id": st.just("2"),
                "packageId": st.just("1"),
                "stickerId": st.just("1"),
                "stickerResourceType": st.just("STATIC"),
            }
        ),
        st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    )
    postback_data = st.one_of(st.sampled_from(ATTACK_TEXTS), st.text(max_size=300), st.sampled_from(
        ["menu=language", "lang=vi", "lang=xx", "lang="]
    ))  # fmt: skip
    event = st.one_of(
        st.builds(lambda c, m: {**c, "type": "message", "message": m}, common, message),
        st.builds(lambda c, d: {**c, "type": "postback", "postback": {"data": d}}, common, postback_data),
        st.builds(lambda c: {**c, "type": "follow", "follow": {"isUnblocked": False}}, common),
        st.builds(lambda c: {**c, "type": "unfollow"}, common),
        st.builds(lambda c, t: {**c, "type": t}, common, st.text(max_size=12)),
        st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=10), max_size=4),
    )
    body = st.fixed_dictionaries({"destination": st.just("Ubot"), "events": st.lists(event, max_size=4)})

    def build(payload: dict[str, Any]) -> Request:
        data = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Line-Signature": _sign(data)}
        return Request("POST /webhooks/line [signed events]", "/webhooks/line", "POST",
                       {"url": "/webhooks/line", "data": data, "headers": headers})  # fmt: skip

    return body.map(build)


def chat_attack_strategy() -> Any:
    """Chat requests whose text looks like a payload, from a few senders (so some exceed the rate limit)."""
    from hypothesis import strategies as st

    text = st.one_of(
        st.sampled_from(ATTACK_TEXTS),
        st.builds(
            lambda name, value: f"/{name}{json.dumps(value, ensure_ascii=False)}",
            st.from_regex(r"[a-z_]{1,30}", fullmatch=True),
            st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
        ),
    )
    body = st.fixed_dictionaries(
        {"sender_id": st.sampled_from(["fuzz-a", "fuzz-b", "fuzz-c"]) | st.text(min_size=1, max_size=20), "text": text},
        optional={"lang": st.sampled_from(["auto", "ja", "en", "ko", "xx", "PT-br"])},
    )
    return body.map(
        lambda b: Request("POST /api/chat [payload-like text]", "/api/chat", "POST", {"url": "/api/chat", "json": b})
    )


def known_values_strategy() -> Any:
    """Requests to real resources (a supported language, the seeded class, request and booking), so the fuzzing goes
    past "not found": odd query strings, form bodies and credentials on pages that exist."""
    from hypothesis import strategies as st

    from translations import languages

    codes = list(languages.codes())
    lang = st.sampled_from([*codes, "pt-BR", "zh-TW", "fil", "JA", "Ja-Easy"]) | st.text(max_size=8)
    junk = st.dictionaries(st.text(max_size=8), st.text(max_size=30), max_size=3)
    status = st.sampled_from(["received", "in_progress", "answered", "closed", ""]) | st.text(max_size=12)

    def staff(method: str, path: str, template: str, data: Any = None) -> Any:
        return st.tuples(junk, _auth_variants(), st.just(data) if data is None else data).map(
            lambda t: _staff_request(method, path, template, t[0], t[1], t[2])
        )

    return st.one_of(
        st.builds(lambda code, q: Request("GET /api/ui/{lang} [known]", "/api/ui/{lang}", "GET",
                                          {"url": f"/api/ui/{_quote(code)}", "params": q}), lang, junk),
        staff("GET", f"/staff/classes/{SEEDED_CLASS}", "/staff/classes/{id}"),
        staff("GET", f"/staff/classes/{SEEDED_CLASS}.csv", "/staff/classes/{id}.csv"),
        staff("GET", "/staff/classes", "/staff/classes"),
        staff("POST", f"/staff/reference-requests/{SEEDED_REQUEST}/status", "/staff/reference-requests/{number}/status",
              st.fixed_dictionaries({"status": status})),
        staff("POST", "/staff/login", "/staff/login", st.fixed_dictionaries({"token": st.text(max_size=40)})),
    )  # fmt: skip


SEEDED_CLASS, SEEDED_REQUEST = "fuzz-1", "R-000001"


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _staff_request(method: str, url: str, template: str, query: dict[str, str], auth: str, data: Any) -> Request:
    kwargs: dict[str, Any] = {"url": url, "params": query}
    if data is not None:
        kwargs["data"] = data
    _apply_auth(kwargs, auth)
    return Request(f"{method} {template} [known]", template, method, kwargs)


# --- running --------------------------------------------------------------------------------------------------------


def run_strategy(strategy: Any, examples: int, seed: int, each: Callable[[Request], None]) -> None:
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import seed as fix_seed
    from hypothesis import settings as hypothesis_settings
    from hypothesis.errors import Unsatisfiable

    @fix_seed(seed)
    @hypothesis_settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],  # every request is counted; nothing is shrunk or replayed
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def inner(request: Request) -> None:
        each(request)

    with contextlib.suppress(Unsatisfiable):  # an operation with nothing to vary in this mode
        inner()


def fuzz(total: int, seed: int = 1, *, progress: bool = False) -> Tally:
    """Run about `total` requests against a fresh stack (the caller sets CHIBA_DATABASE_URL and CHIBA_STAFF_TOKEN)."""

    tally = Tally()
    # An exception in a background task (a LINE event) never reaches a response: count what the gateway logs as errors.
    counter = _ErrorCounter(tally)
    logging.getLogger().addHandler(counter)
    try:
        _fuzz(total, seed, tally, progress)
    finally:
        logging.getLogger().removeHandler(counter)
    return tally


class _ErrorCounter(logging.Handler):
    def __init__(self, tally: Tally) -> None:
        super().__init__(level=logging.ERROR)
        self._tally = tally

    def emit(self, record: logging.LogRecord) -> None:
        self._tally.logged(record)


def _fuzz(total: int, seed: int, tally: Tally, progress: bool) -> None:
    import requests

    with FuzzStack() as stack, requests.Session() as session:
        spec = requests.get(stack.url + "/api/openapi.json", timeout=10).json()  # what the gateway itself serves
        checker = ResponseChecker(spec)
        strategies = schema_strategies(spec)
        weights = {name: (4 if "/api/chat" in name or "/webhooks/line" in name else 1) for name, _ in strategies}
        ours = [
            ("chat attacks", chat_attack_strategy(), 4),
            ("LINE events", line_event_strategy(), 6),
            ("known resources", known_values_strategy(), 4),
        ]
        units = sum(weights.values()) + sum(w for _, _, w in ours)
        plan = [(name, strategy, max(1, total * weights[name] // units)) for name, strategy in strategies]
        plan += [(name, strategy, max(1, total * w // units)) for name, strategy, w in ours]
        started = time.perf_counter()

        def send(request: Request) -> None:
            kwargs = dict(request.kwargs)
            kwargs["url"] = stack.url + kwargs["url"]
            kwargs.setdefault("allow_redirects", False)
            try:
                resp = session.request(request.method, timeout=30, **kwargs)
            except requests.RequestException as exc:
                tally.add(request.operation, 0, [("server_error", f"no response: {type(exc).__name__}")])
                return
            problems = checker.check(
                request.path, request.method, resp.status_code, resp.headers.get("Content-Type", ""), resp.content
            )
            tally.add(request.operation, resp.status_code, problems)

        for index, (name, strategy, examples) in enumerate(plan):
            before = tally.requests
            run_strategy(strategy, examples, seed + index, send)
            if progress:
                print(f"  {name:<60} {tally.requests - before:>6} requests", flush=True)
        # Operations with little to vary end early (hypothesis stops when it has seen their whole space): top up with
        # the big ones, new seeds each round, until the requested count is reached.
        big = [strategy for name, strategy, _ in plan if "/api/chat" in name or "LINE" in name
               or "/webhooks/line" in name or "known" in name]  # fmt: skip
        round_ = 0
        while tally.requests < total:
            round_ += 1
            before = tally.requests
            for index, strategy in enumerate(big):
                remaining = total - tally.requests
                if remaining <= 0:
                    break
                run_strategy(strategy, max(1, min(remaining, total // 20)), seed + 1000 * round_ + index, send)
            if tally.requests == before:
                break  # nothing left to generate (cannot happen with these strategies; never loop forever)
            if progress:
                print(f"  top-up round {round_}: {tally.requests} requests so far", flush=True)
        # LINE events are answered in background tasks: wait for them, so their failures are in the log too.
        time.sleep(0.5)
        tally.seconds = time.perf_counter() - started


def report(tally: Tally) -> str:
    lines = [f"requests: {tally.requests}"]
    lines.append("by operation:")
    for op, n in sorted(tally.by_operation.items()):
        statuses = sorted((status, count) for (name, status), count in tally.by_operation_status.items() if name == op)
        lines.append(f"  {op:<60} {n:>6}  " + " ".join(f"{status}×{count}" for status, count in statuses))
    lines.append("statuses: " + ", ".join(f"{s}={n}" for s, n in sorted(tally.statuses.items())))
    server_errors = sum(n for s, n in tally.statuses.items() if s >= 500 or s == 0)
    lines.append(f"5xx (or no response): {server_errors}")
    lines.append(f"tracebacks: {tally.problems['traceback']}")
    lines.append(f"error bodies not of the documented JSON shape: {tally.problems['error_shape']}")
    lines.append(f"errors the gateway logged (background tasks included): {tally.problems['logged_error']}")
    for kind in PROBLEM_KINDS:
        lines.append(f"problem {kind}: {tally.problems[kind]}")
        lines += [f"    e.g. {example}" for example in tally.examples.get(kind, [])]
    return "\n".join(lines)


@contextmanager
def fuzz_environment(workdir: Path) -> Iterator[None]:
    """Throwaway databases, the staff token, and a rate limit as configured by default."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "CHIBA_DATABASE_URL": f"sqlite:///{workdir / 'app.db'}",
            "CHIBA_TRACKER_DB": str(workdir / "tracker.db"),
            "CHIBA_STAFF_TOKEN": STAFF_TOKEN,
        }
    )
    os.environ.pop("CHIBA_TRACKER_URL", None)
    os.environ.pop("CHIBA_REDIS_URL", None)  # the rate limit and language memory in this process
    try:
        seed_database(os.environ["CHIBA_DATABASE_URL"])
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="about how many requests to send")
    parser.add_argument("--seed", type=int, default=1, help="hypothesis seed (the same seed sends the same requests)")
    args = parser.parse_args()
    import logging

    # The gateway's own log lines are not the point here; a traceback in them would be (they go to stderr).
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="chiba-fuzz-") as tmp, fuzz_environment(Path(tmp)):
        tally = fuzz(args.requests, args.seed, progress=True)
    print(report(tally))
    print(f"seconds: {tally.seconds:.1f}")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
