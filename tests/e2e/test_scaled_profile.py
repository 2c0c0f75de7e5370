"""The scaled profile end to end (`python -m scripts.run_stack --scaled`): two Rasa servers on this machine's
PostgreSQL (trackers, application data) and Redis (conversation locks, languages), one action server, the gateway.

- a conversation whose turns alternate between the two Rasa servers keeps its context (the town given on one server
  is known on the other);
- messages of one resident sent to both servers at the same moment are each stored once and each answered;
- through the gateway, a resident whose Rasa server is killed goes on, with their conversation, on the other one;
- "forget me" deletes the conversation from PostgreSQL.

Own PostgreSQL databases (`scale_e2e_*`, dropped after), own Redis key prefix, ports 18205-18206 (Rasa), 18255
(actions), 18280 (gateway). The Rasa servers are called directly where a test must choose the server.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from channels.rasa_client import preference
from scripts.stack_process import StackProcess
from translations.messages import render

pytestmark = pytest.mark.e2e

GATEWAY_PORT, RASA_PORT, ACTIONS_PORT = 18280, 18205, 18255
RASA = [f"http://127.0.0.1:{RASA_PORT + i}" for i in range(2)]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
STARTUP_SECONDS = 420.0


def _drop_databases(*names: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=10) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SUFFIX = uuid.uuid4().hex[:8]
TRACKER_DB, APP_DB, PREFIX = f"scale_e2e_tracker_{SUFFIX}", f"scale_e2e_app_{SUFFIX}", f"scalee2e{SUFFIX}"
TRACKER_DSN = f"postgresql://postgres@127.0.0.1:5432/{TRACKER_DB}"


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    tracker_db, app_db, prefix = TRACKER_DB, APP_DB, PREFIX
    try:
        _drop_databases(tracker_db, app_db)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 unreachable ({type(exc).__name__})")
    extra = {
        # Wednesday 10:00, as the embedded e2e stack: collection dates in the answers are known.
        "CHIBA_TODAY": "2026-11-25",
        "CHIBA_NOW": "2026-11-25T10:00",
        "CHIBA_RASA_SERVERS": "2",
        "CHIBA_ACTION_SERVERS": "1",
        "CHIBA_WORKER_ENABLED": "false",
        "CHIBA_TRACKER_URL": TRACKER_DSN,
        "CHIBA_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{app_db}",
        "CHIBA_REDIS_URL": REDIS_URL,
        "CHIBA_REDIS_PREFIX": prefix,
    }
    workdir: Path = tmp_path_factory.mktemp("scaled")
    stack = StackProcess(GATEWAY_PORT, RASA_PORT, ACTIONS_PORT, workdir, extra_env=extra, scaled=True)
    try:
        stack.start(timeout=STARTUP_SECONDS)
        deadline = time.monotonic() + 120  # /healthz may be green with one server ready: wait for both
        while not all(_get(base + "/webhooks/gateway/health")[0] == 200 for base in RASA):
            assert time.monotonic() < deadline, f"a Rasa server did not load its model:\n{stack.log_tail()}"
            time.sleep(1)
        print(f"scaled profile ready after {stack.cold_start_seconds:.1f} s")
        yield stack
    finally:
        stack.stop()
        _drop_databases(tracker_db, app_db)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:
        return 0, str(exc)


def on_server(server: int, sender: str, text: str, lang: str = "ja") -> dict[str, Any]:
    """One turn sent straight to Rasa server `server` (the gateway channel's webhook, as the gateway calls it)."""
    body = json.dumps({"sender": sender, "message": text, "metadata": {"lang": lang, "channel": "web"}}).encode()
    request = urllib.request.Request(
        RASA[server] + "/webhooks/gateway/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def via_gateway(stack: StackProcess, sender: str, text: str, lang: str = "ja") -> dict[str, Any]:
    status, body = stack.chat(text, sender_id=sender, lang=lang)
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def text_of(body: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m.get("text"))


def stored_user_texts(sender: str) -> list[str]:
    """The resident's messages as Rasa stored them in PostgreSQL, in order."""
    with psycopg.connect(TRACKER_DSN, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


def test_a_conversation_alternating_between_two_rasa_servers_keeps_its_context(scaled: StackProcess) -> None:
    sender = f"scale-{uuid.uuid4().hex}"
    asked = on_server(0, sender, "不燃ごみの日はいつですか？")
    assert "町" in text_of(asked), text_of(asked)  # which town?
    answered = on_server(1, sender, "稲毛区小仲台です")  # the other server knows the question
    assert "12月4日" in text_of(answered), text_of(answered)
    again = on_server(0, sender, "可燃ごみはいつ？")  # and the first one knows the town given on the other
    assert "水" in text_of(again) and "土" in text_of(again), text_of(again)
    assert again["meta"]["intent"] and again["meta"]["confidence"] > 0  # as the turn was saved, not re-read
    assert stored_user_texts(sender) == ["不燃ごみの日はいつですか？", "稲毛区小仲台です", "可燃ごみはいつ？"]


def test_messages_to_both_servers_at_once_are_each_stored_once_and_answered(scaled: StackProcess) -> None:
    sender = f"scale-{uuid.uuid4().hex}"
    questions = {"紙おむつの捨て方": "可燃ごみ", "CDは何ごみですか？": "不燃ごみ", "傘を捨てたい": "不燃ごみ",
                 "発泡スチロールは何ごみ？": "可燃ごみ"}  # fmt: skip
    texts = list(questions)
    with concurrent.futures.ThreadPoolExecutor(len(texts)) as pool:
        replies = list(pool.map(lambda i: on_server(i % 2, sender, texts[i]), range(len(texts))))
    for text, reply in zip(texts, replies, strict=True):
        assert questions[text] in text_of(reply), f"{text!r} → {text_of(reply)!r}"  # each its own answer
    stored = stored_user_texts(sender)
    assert Counter(stored) == Counter(texts), f"lost or doubled: {stored}"


def test_forget_me_deletes_the_conversation_from_postgresql(scaled: StackProcess) -> None:
    sender = uuid.uuid4().hex
    via_gateway(scaled, sender, "使える制度を知りたい")
    assert stored_user_texts(sender)
    asked = via_gateway(scaled, sender, "私のデータを全部消して")
    assert render("forget_ask", "ja") in text_of(asked), text_of(asked)
    done = via_gateway(scaled, sender, '/forget_me{"forget_confirm": "yes"}')
    assert render("forget_done", "ja") in text_of(done), text_of(done)
    assert stored_user_texts(sender) == [], "the conversation is gone from PostgreSQL"


def test_a_resident_whose_rasa_server_is_killed_goes_on_with_the_other(scaled: StackProcess) -> None:
    """Last in the module: the supervisor restarts the killed server while the next tests (if any) run."""
    sender = f"scale-{uuid.uuid4().hex}"
    home = RASA.index(preference(sender, RASA)[0])
    asked = via_gateway(scaled, sender, "不燃ごみの日はいつですか？")
    assert "町" in text_of(asked), text_of(asked)
    os.kill(scaled.pid(f"rasa-{home}"), signal.SIGKILL)
    # At once: the message finds the server dying (it hangs up, then refuses) or gone (refused); either way it goes on.
    answered = via_gateway(scaled, sender, "稲毛区小仲台です")  # re-routed, the question still known
    assert "12月4日" in text_of(answered), text_of(answered)
    assert stored_user_texts(sender) == ["不燃ごみの日はいつですか？", "稲毛区小仲台です"]
