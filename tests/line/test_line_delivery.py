"""Getting the answer to the resident: loading animation, push when the reply token fails, retries on 429/5xx."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from line_fakes import LOADING, PUSH, REPLY, USER, FakeLine, FakeRasa, post_events, sign, text_event, webhook_body

from channels.line.handler import answer_later_text


async def test_slow_answer_shows_the_loading_animation_first(
    make_client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    client = await make_client(loading_after=0.05)
    fake_rasa.gate = asyncio.Event()
    body = webhook_body(text_event("冷蔵庫を捨てたい"))
    assert (await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await fake_line.wait_for(LOADING)  # Rasa is held until the animation has been asked for
    fake_rasa.gate.set()
    await fake_line.wait_for(REPLY)
    [loading] = fake_line.calls(LOADING)
    assert loading.json["chatId"] == USER
    assert 5 <= loading.json["loadingSeconds"] <= 60 and loading.json["loadingSeconds"] % 5 == 0
    assert [r.path for r in fake_line.requests] == [LOADING, REPLY]


async def test_quick_answer_needs_no_loading_animation(client: Any, fake_line: FakeLine) -> None:
    await post_events(client, text_event("電池"))
    assert [r.path for r in fake_line.requests] == [REPLY]


async def test_failed_loading_animation_does_not_stop_the_answer(
    make_client: Any, fake_line: FakeLine, fake_rasa: FakeRasa
) -> None:
    client = await make_client(loading_after=0.0)
    fake_rasa.gate = asyncio.Event()
    fake_line.fail_next(LOADING, 429, times=5)
    body = webhook_body(text_event("電池"))
    await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sign(body)})
    await fake_line.wait_for(LOADING)
    fake_rasa.gate.set()
    await fake_line.wait_for(REPLY)
    assert len(fake_line.calls(LOADING)) == 1  # cosmetic: never retried
    assert fake_line.calls(REPLY)[0].json["messages"][0]["text"] == "回答：電池"


@pytest.mark.parametrize("status", [400, 401, 500])
async def test_rejected_reply_token_falls_back_to_a_push(client: Any, fake_line: FakeLine, status: int) -> None:
    fake_line.fail_next(REPLY, status)  # e.g. 400 "Invalid reply token" after the token expired
    await post_events(client, text_event("スプレー缶"))
    [push] = fake_line.calls(PUSH)
    assert push.json["to"] == USER
    assert push.json["messages"] == [{"type": "text", "text": "回答：スプレー缶"}]
    assert len(fake_line.calls(REPLY)) == 1  # a reply token is never retried after a 400 or a 5xx


@pytest.mark.parametrize(
    ("path", "headers", "replies", "pushes"),
    [
        pytest.param(REPLY, {"Retry-After": "0"}, 2, 0, id="reply-retry-after"),
        pytest.param(REPLY, {}, 2, 0, id="reply-exponential"),
        pytest.param(PUSH, {"Retry-After": "0"}, 1, 2, id="push-retry-after"),
        pytest.param(PUSH, {}, 1, 2, id="push-exponential"),
    ],
)
async def test_rate_limit_is_retried_and_the_answer_arrives(
    client: Any, fake_line: FakeLine, path: str, headers: dict[str, str], replies: int, pushes: int
) -> None:
    if path == PUSH:
        fake_line.fail_next(REPLY, 400)
    fake_line.fail_next(path, 429, headers=headers)
    await post_events(client, text_event("傘"))
    assert (len(fake_line.calls(REPLY)), len(fake_line.calls(PUSH))) == (replies, pushes)
    first, retry = fake_line.calls(path)
    assert first.body == retry.body  # the same answer, nothing lost


async def test_retries_are_bounded_and_end_in_a_push(client: Any, fake_line: FakeLine) -> None:
    fake_line.fail_next(REPLY, 429, times=100)
    await post_events(client, text_event("傘"))
    assert len(fake_line.calls(REPLY)) == 4  # max_retries=3 in the fixture
    assert len(fake_line.calls(PUSH)) == 1


async def test_push_retries_keep_one_retry_key_so_line_delivers_once(client: Any, fake_line: FakeLine) -> None:
    fake_line.fail_next(REPLY, 400)
    fake_line.fail_next(PUSH, 500, times=2)
    await post_events(client, text_event("傘"))
    keys = {r.headers["X-Line-Retry-Key"] for r in fake_line.calls(PUSH)}
    assert len(fake_line.calls(PUSH)) == 3
    assert len(keys) == 1


async def test_push_already_accepted_under_its_retry_key_counts_as_sent(
    client: Any, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    fake_line.fail_next(REPLY, 400)
    fake_line.fail_next(PUSH, 409)  # LINE: "The retry key is already accepted"
    await post_events(client, text_event("傘"))
    assert len(fake_line.calls(PUSH)) == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize("status", [503, 500])
async def test_rasa_down_gets_a_polite_apology(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, status: int
) -> None:
    fake_rasa.status = status
    await post_events(client, text_event("電池"))
    [reply] = fake_line.calls(REPLY)
    # The event is kept: the resident is told the answer will come here when the assistant is back (no retyping).
    assert reply.json["messages"] == [{"type": "text", "text": answer_later_text("ja")}]
