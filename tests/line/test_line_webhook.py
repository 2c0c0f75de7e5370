"""POST /webhooks/line: signature first, 503 when unconfigured, 200 then a reply, redeliveries answered once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

import pytest
from line_fakes import (
    REPLY,
    SECRET,
    USER,
    FakeLine,
    FakeRasa,
    handled,
    post_events,
    sign,
    text_event,
    webhook_body,
)

from channels.line import LINE_CHANNEL


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Line-Signature": ""}, id="empty"),
        pytest.param({"X-Line-Signature": "Zm9yZ2Vk"}, id="forged"),
        pytest.param({"X-Line-Signature": sign(webhook_body(text_event("別の本文")))}, id="other-body"),
        pytest.param({"X-Line-Signature": sign(webhook_body(text_event("ペットボトル")), "wrong")}, id="wrong-secret"),
    ],
)
async def test_bad_signature_is_rejected_and_nothing_is_processed(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, headers: dict[str, str]
) -> None:
    body = webhook_body(text_event("ペットボトル"))
    resp = await client.post("/webhooks/line", data=body, headers={"Content-Type": "application/json", **headers})
    await handled(client)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_signature"
    assert fake_rasa.requests == []
    assert fake_line.requests == []


async def test_signed_but_unreadable_body_is_400(client: Any, fake_rasa: FakeRasa) -> None:
    body = b'{"destination": "Ubot"}'
    resp = await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 400
    assert fake_rasa.requests == []


@pytest.mark.parametrize(("size", "status"), [(200_000, 200), (2_000_000, 413)])
async def test_large_batches_pass_and_oversized_bodies_are_refused(
    client: Any, fake_line: FakeLine, size: int, status: int
) -> None:
    # Larger than the web chat's 64 kB cap: LINE batches many events, each text up to 5,000 characters.
    events = [text_event("あ" * 4000, reply_token=f"t{i}") for i in range(size // 12_000 + 1)]
    resp = await post_events(client, *events)
    assert resp.status == status
    assert len(fake_line.calls(REPLY)) == (len(events) if status == 200 else 0)


async def test_unconfigured_line_answers_503_and_the_gateway_still_runs(make_client: Any) -> None:
    client = await make_client(channel_secret="", access_token="")
    body = webhook_body(text_event("ペットボトル"))
    resp = await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 503
    assert (await resp.json())["error"]["message"] == "LINE is not configured"
    assert (await client.get("/no-such-page")).status == 404  # the rest of the app answers as usual


async def test_verify_request_without_events_is_acknowledged(client: Any, fake_line: FakeLine) -> None:
    resp = await post_events(client)
    assert resp.status == 200
    assert fake_line.requests == []


async def test_text_message_is_answered_with_rasas_text_through_the_reply_token(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    resp = await post_events(client, text_event("スプレー缶は何ごみ？", reply_token="token-abc"))
    assert resp.status == 200
    [sent] = fake_rasa.requests
    # The message id lets a second Rasa server replay a stored answer instead of answering twice (scaled profile).
    assert sent.pop("message_id")
    assert sent == {
        "sender": f"line:{USER}",
        "message": "スプレー缶は何ごみ？",
        "metadata": {"lang": "ja", "channel": "line"},
    }
    [reply] = fake_line.calls(REPLY)
    assert reply.json["replyToken"] == "token-abc"
    assert reply.json["messages"] == [{"type": "text", "text": "回答：スプレー缶は何ごみ？"}]


async def test_webhook_is_acknowledged_before_rasa_answers(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    fake_rasa.gate = asyncio.Event()
    body = webhook_body(text_event("粗大ごみ"))
    resp = await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 200
    assert fake_line.calls(REPLY) == []  # acked while Rasa is still thinking
    fake_rasa.gate.set()
    await handled(client)
    assert len(fake_line.calls(REPLY)) == 1


@pytest.mark.parametrize("redelivery", [False, True])
async def test_redelivered_event_is_answered_once(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, redelivery: bool
) -> None:
    await post_events(client, text_event("電池", event_id="01EVENT"))
    resp = await post_events(client, text_event("電池", event_id="01EVENT", redelivery=redelivery))
    assert resp.status == 200
    assert len(fake_rasa.requests) == 1
    assert len(fake_line.calls(REPLY)) == 1


async def test_redelivery_after_a_restart_is_still_answered_once(
    make_client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    first = await make_client()
    await post_events(first, text_event("電池", event_id="01RESTART"))
    await first.close()  # shutdown: the SQLite store is closed
    second = await make_client()  # same CHIBA_LINE_DB
    await post_events(second, text_event("電池", event_id="01RESTART", redelivery=True))
    await post_events(second, text_event("傘", event_id="01OTHER"))
    assert [r["message"] for r in fake_rasa.requests] == ["電池", "傘"]
    assert len(fake_line.calls(REPLY)) == 2


async def test_several_events_in_one_webhook_are_all_answered(client: Any, fake_line: FakeLine) -> None:
    await post_events(client, text_event("傘", reply_token="t1"), text_event("電池", reply_token="t2"))
    assert sorted(r.json["replyToken"] for r in fake_line.calls(REPLY)) == ["t1", "t2"]


async def test_failing_event_is_logged_without_its_text_and_the_app_keeps_working(
    make_client: Any, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(access_token="revoked")  # every LINE call answers 401
    with caplog.at_level(logging.INFO, logger="channels"):
        resp = await post_events(client, text_event("秘密の相談内容"))
    assert resp.status == 200
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures, "the failed event must be logged"
    assert all("秘密の相談内容" not in r.getMessage() and not r.exc_info for r in caplog.records)
    assert (await post_events(client, text_event("次の質問"))).status == 200


async def test_shutdown_cancels_events_still_waiting_for_rasa(
    make_client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    fake_rasa.gate = asyncio.Event()  # Rasa never answers while the gateway shuts down
    client = await make_client(shutdown_grace=0.0)
    body = webhook_body(text_event("ソファ"))
    assert (await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    channel = client.server.app[LINE_CHANNEL]
    await client.close()
    await channel.drain()  # nothing left running
    assert fake_line.calls(REPLY) == []


def test_secret_in_fixture_is_the_one_used_for_signing() -> None:
    # Guards the tests above: a forged signature must differ from the real one for the same body.
    body = webhook_body(text_event("x"))
    assert sign(body) != sign(body, "other") and sign(body, SECRET) == sign(body)


async def test_event_ids_are_stored_in_sqlite(client: Any, line_settings: Any) -> None:
    await post_events(client, text_event("電池", event_id="01STORED"))
    with sqlite3.connect(line_settings.db_path) as conn:
        assert conn.execute("SELECT event_id FROM line_events").fetchall() == [("01STORED",)]
