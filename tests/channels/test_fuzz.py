"""Bad input, measured (issue 12 §5): a few hundred requests generated from the gateway's own OpenAPI description
(schemathesis + hypothesis), and signed LINE webhooks with random events, against the real gateway wired to fake
backends — no 5xx, no traceback, every error the documented JSON shape, nothing logged as an error.

The long run (≥10,000 requests) is `python -m bench.fuzz`; this file runs the same harness small, and checks that the
harness would notice the failures it is there to count.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.fuzz import ResponseChecker, fuzz, fuzz_environment, report
from channels.openapi import build_spec
from settings import GatewaySettings


def test_a_few_hundred_generated_requests_find_no_server_error_traceback_or_bad_error_body(tmp_path: Path) -> None:
    with fuzz_environment(tmp_path):
        tally = fuzz(300, seed=12)
    summary = report(tally)
    assert tally.requests >= 250, summary
    assert tally.failures == 0, summary
    # The run reached past the front doors: answers from the assistant, staff pages opened with the token, signed
    # LINE events accepted, and the refusals the contract promises.
    for operation, status in [
        ("POST /api/chat", 200),
        ("POST /api/chat", 400),
        ("GET /staff/api/reference-requests", 200),
        ("GET /staff/api/reference-requests", 401),
        ("POST /webhooks/line [signed events]", 200),
        ("POST /webhooks/line", 400),
    ]:
        assert tally.by_operation_status[(operation, status)] > 0, (operation, status, summary)


@pytest.fixture(scope="module")
def checker() -> ResponseChecker:
    return ResponseChecker(json.loads(json.dumps(build_spec(GatewaySettings()))))


ERROR = {"error": {"code": "bad_request", "message": "The request is not valid.", "message_ja": "正しくありません。"}}
JSON = "application/json; charset=utf-8"


def kinds(problems: list[tuple[str, str]]) -> set[str]:
    return {kind for kind, _ in problems}


@pytest.mark.parametrize(
    ("path", "method", "status", "content_type", "body", "expected"),
    [
        pytest.param("/api/chat", "POST", 400, JSON, ERROR, set(), id="documented-error"),
        pytest.param(
            "/api/chat",
            "POST",
            500,
            JSON,
            {"error": {**ERROR["error"], "code": "internal_error"}},
            {"server_error", "undocumented_status"},
            id="500",
        ),
        pytest.param("/api/chat", "POST", 400, JSON, {"detail": "bad"}, {"error_shape"}, id="other-json-shape"),
        pytest.param("/api/chat", "POST", 400, "text/plain", "400: Bad Request", {"content_type"}, id="plain-text"),
        pytest.param("/api/chat", "POST", 200, JSON, {"messages": []}, {"body_schema"}, id="answer-missing-keys"),
        pytest.param(
            "/webhooks/line",
            "POST",
            500,
            "text/plain",
            'Traceback (most recent call last):\n  File "/app/x.py"',
            {"server_error", "traceback", "undocumented_status"},
            id="traceback",
        ),
        pytest.param("/staff/classes/{id}", "GET", 404, JSON, ERROR, set(), id="documented-404"),
        pytest.param("/nowhere", "GET", 404, "text/html", "<h1>404</h1>", {"error_shape"}, id="generic-404-html"),
        pytest.param("/healthz", "GET", 418, JSON, ERROR, {"undocumented_status"}, id="undocumented"),
    ],
)
def test_the_checker_notices_what_the_fuzz_run_counts(
    checker: ResponseChecker, path: str, method: str, status: int, content_type: str, body: Any, expected: set[str]
) -> None:
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    assert kinds(checker.check(path, method, status, content_type, raw)) == expected
