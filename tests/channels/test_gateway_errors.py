"""Every way a chat request can fail gets a clear JSON error, never a traceback or internals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import BAD_SHAPE, DOWN_503, HANG, HTTP_500, NOT_JSON, FakeBackend, MakeClient, closed_port_url

from channels.language import SUPPORTED_LANGS

LEAKS = ("Traceback", "Exception", 'File "', "secret internals", "127.0.0.1", "aiohttp", "<html")


async def assert_polite_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    text = await resp.text()
    assert resp.status == status, text
    assert resp.content_type == "application/json"
    for leak in LEAKS:
        assert leak not in text
    error = json.loads(text)["error"]
    assert error["code"] == code
    assert error["message"] and error["message_ja"]
    return error


def chat_body(**overrides: Any) -> dict[str, Any]:
    return {"sender_id": "resident-1", "text": "乾電池の捨て方", "lang": "auto", **overrides}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"text": "乾電池"}, "invalid_field", id="sender-missing"),
        pytest.param({"sender_id": "r"}, "invalid_field", id="text-missing"),
        pytest.param(chat_body(text=42), "invalid_field", id="text-number"),
        pytest.param(chat_body(text=None), "invalid_field", id="text-null"),
        pytest.param(chat_body(text=["乾電池"]), "invalid_field", id="text-list"),
        pytest.param(chat_body(sender_id=7), "invalid_field", id="sender-number"),
        pytest.param(chat_body(sender_id=""), "invalid_field", id="sender-empty"),
        pytest.param(chat_body(sender_id="   "), "invalid_field", id="sender-blank"),
        pytest.param(chat_body(sender_id="line:U0123456789abcdef0123456789abcdef"), "invalid_field", id="sender-line"),
        pytest.param(chat_body(sender_id="x" * 129), "invalid_field", id="sender-129-chars"),
        pytest.param(chat_body(lang=1), "invalid_field", id="lang-number"),
        pytest.param(chat_body(text=""), "empty_text", id="text-empty"),
        pytest.param(chat_body(text=" \n\t　"), "empty_text", id="text-whitespace"),
        pytest.param(chat_body(lang="fr"), "unsupported_language", id="lang-unknown"),
        pytest.param(chat_body(lang=""), "unsupported_language", id="lang-empty"),
    ],
)
async def test_bad_fields_get_400(client: TestClient, backend: FakeBackend, body: dict[str, Any], code: str) -> None:
    await assert_polite_error(await client.post("/api/chat", json=body), 400, code)
    assert backend.received == []  # nothing reached Rasa


async def test_unknown_language_lists_supported_codes(client: TestClient) -> None:
    error = await assert_polite_error(
        await client.post("/api/chat", json=chat_body(lang="xx")), 400, "unsupported_language"
    )
    assert error["details"]["supported"] == ["auto", *SUPPORTED_LANGS]
    assert {"ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"} <= set(error["details"]["supported"])


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b"", id="empty-body"),
        pytest.param(b'["sender_id", "text"]', id="array"),
        pytest.param(b'"text"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b'{"sender_id": "r", "text": "\xff\xfe"}', id="invalid-utf8"),
    ],
)
async def test_malformed_json_gets_400(client: TestClient, raw: bytes) -> None:
    resp = await client.post("/api/chat", data=raw, headers={"Content-Type": "application/json"})
    await assert_polite_error(resp, 400, "invalid_json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
async def test_wrong_content_type_gets_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    resp = await client.post("/api/chat", data=json.dumps(chat_body()).encode(), headers=headers)
    await assert_polite_error(resp, 415, "unsupported_media_type")


async def test_text_over_limit_gets_413(client: TestClient, backend: FakeBackend) -> None:
    error = await assert_polite_error(
        await client.post("/api/chat", json=chat_body(text="あ" * 2001)), 413, "text_too_long"
    )
    assert error["details"]["max_chars"] == 2000
    assert "2000" in error["message_ja"]
    assert backend.received == []


async def test_limit_follows_setting(make_client: MakeClient) -> None:
    client = await make_client(max_text_chars=10)
    await assert_polite_error(await client.post("/api/chat", json=chat_body(text="あ" * 11)), 413, "text_too_long")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_huge_body_gets_413(client: TestClient, chunked: bool) -> None:
    raw = json.dumps(chat_body(text="a" * 2_000_000)).encode()

    async def stream():
        for start in range(0, len(raw), 65536):
            yield raw[start : start + 65536]

    resp = await client.post(
        "/api/chat", data=stream() if chunked else raw, headers={"Content-Type": "application/json"}
    )
    await assert_polite_error(resp, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        pytest.param(DOWN_503, 503, "backend_unavailable", id="rasa-without-model"),
        pytest.param(HTTP_500, 502, "bad_gateway", id="rasa-500-with-traceback"),
        pytest.param(NOT_JSON, 502, "bad_gateway", id="rasa-html"),
        pytest.param(BAD_SHAPE, 502, "bad_gateway", id="rasa-wrong-shape"),
    ],
)
async def test_rasa_misbehaving(client: TestClient, backend: FakeBackend, mode: str, status: int, code: str) -> None:
    backend.rasa_mode = mode
    await assert_polite_error(await client.post("/api/chat", json=chat_body()), status, code)


async def test_rasa_down_gets_polite_503_in_both_languages(make_client: MakeClient) -> None:
    client = await make_client(rasa_url=closed_port_url())
    error = await assert_polite_error(await client.post("/api/chat", json=chat_body()), 503, "backend_unavailable")
    assert "申し訳ありません" in error["message_ja"]
    assert "Sorry" in error["message"]


async def test_rasa_timeout_gets_504(make_client: MakeClient, backend: FakeBackend) -> None:
    backend.rasa_mode = HANG
    client = await make_client(backend_timeout=0.2)
    await assert_polite_error(await client.post("/api/chat", json=chat_body()), 504, "backend_timeout")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("GET", "/api/chat", 405, "method_not_allowed"), ("GET", "/api/nothing", 404, "not_found")],
)
async def test_routing_errors_are_json(client: TestClient, method: str, path: str, status: int, code: str) -> None:
    await assert_polite_error(await client.request(method, path), status, code)


async def test_unexpected_crash_gets_generic_500(make_client: MakeClient) -> None:
    def broken_decider(requested: str, text: str) -> str:
        raise RuntimeError("secret internals: /etc/passwd")

    client = await make_client(decide_language=broken_decider)
    await assert_polite_error(await client.post("/api/chat", json=chat_body()), 500, "internal_error")
