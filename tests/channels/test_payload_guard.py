"""Text a resident types is text: only payloads of buttons the assistant offered to that sender reach Rasa as payloads.

The reported bug: typing `/restart` wiped the conversation (empty reply) and `/ask_garbage_item{"item": "…"}` skipped
the NLU. Web chat: the gateway remembers the /payloads it showed each sender in the application database (so a second
gateway agrees); LINE: postback data is the assistant's own, typed text is text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import FakeBackend, MakeClient

from channels.app import create_app
from channels.line import setup_line
from channels.payload_guard import TEXT_MARK, as_text, is_payload
from settings import ROOT, GatewaySettings, LineSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "line"))
from line_fakes import SECRET, TOKEN, USER, FakeLine, FakeRasa, post_events, postback_event, text_event

OFFERED = '/ask_item{"item":"スプレー缶"}'  # the button gateway_fakes.default_reply offers
NEVER_OFFERED = '/ask_item{"item":"ダイヤモンド"}'
BOT_PYTHON = ROOT / ".venvs" / "bot" / "bin" / "python"


async def ask(client: TestClient, text: str, sender: str = "resident-1") -> dict[str, Any]:
    resp = await client.post("/api/chat", json={"sender_id": sender, "text": text, "lang": "ja"})
    assert resp.status == 200, await resp.text()
    return await resp.json()


def rasa_got(backend: FakeBackend) -> str:
    return backend.received[-1]["message"]


# --- what Rasa receives from the web chat ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["/restart", '/ask_garbage_item{"item": "電池"}', "  /restart  ", "/", "/affirm@1.0", "/session_start"],
)
async def test_typed_payloads_reach_rasa_as_text(client: TestClient, backend: FakeBackend, typed: str) -> None:
    await ask(client, typed)
    sent = rasa_got(backend)
    assert sent == TEXT_MARK + typed.strip()
    assert not sent.strip().startswith("/")  # what Rasa checks before running a message as an intent


async def test_a_button_the_assistant_offered_is_sent_as_its_payload(client: TestClient, backend: FakeBackend) -> None:
    body = await ask(client, "スプレー缶")
    assert OFFERED in [b["payload"] for m in body["messages"] for b in m.get("buttons", [])]
    await ask(client, OFFERED)
    assert rasa_got(backend) == OFFERED
    await ask(client, OFFERED)  # pressed again later: still the assistant's button
    assert rasa_got(backend) == OFFERED


async def test_a_payload_no_button_carried_stays_text_after_other_buttons(
    client: TestClient, backend: FakeBackend
) -> None:
    await ask(client, "スプレー缶")
    await ask(client, NEVER_OFFERED)
    assert rasa_got(backend) == TEXT_MARK + NEVER_OFFERED


async def test_a_button_offered_to_one_sender_is_text_for_another(client: TestClient, backend: FakeBackend) -> None:
    await ask(client, "スプレー缶", sender="alice")
    await ask(client, OFFERED, sender="mallory")
    assert rasa_got(backend) == TEXT_MARK + OFFERED
    await ask(client, OFFERED, sender="alice")
    assert rasa_got(backend) == OFFERED


async def test_plain_text_with_a_slash_is_untouched(client: TestClient, backend: FakeBackend) -> None:
    await ask(client, "1/2サイズのソファ")
    assert rasa_got(backend) == "1/2サイズのソファ"


async def test_a_second_gateway_on_the_same_database_recognises_the_button(
    make_client: MakeClient, backend: FakeBackend
) -> None:
    first, second = await make_client(), await make_client()
    await ask(first, "スプレー缶")
    await ask(second, OFFERED)
    assert rasa_got(backend) == OFFERED


async def test_without_the_database_payloads_are_text_and_answers_still_arrive(
    make_client: MakeClient, backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    monkeypatch.setenv("CHIBA_DATABASE_URL", "postgresql://chiba@127.0.0.1:9/none")
    client = await make_client()
    body = await ask(client, "スプレー缶")
    assert body["messages"][1]["buttons"][0]["payload"] == OFFERED
    await ask(client, OFFERED)
    assert rasa_got(backend) == TEXT_MARK + OFFERED  # could not be checked: never run


async def test_the_table_holds_neither_sender_ids_nor_payload_text(
    client: TestClient, tmp_path: Path, backend: FakeBackend
) -> None:
    import sqlite3

    await ask(client, "スプレー缶", sender="yamada-taro")
    with sqlite3.connect(tmp_path / "app.db") as db:
        rows = db.execute("SELECT sender_key, payload_key FROM offered_payloads").fetchall()
    assert len(rows) == 1  # the plain-text button ("乾電池") needs no record: it is text anyway
    dump = json.dumps(rows, ensure_ascii=False)
    assert "yamada" not in dump and "スプレー" not in dump and "ask_item" not in dump


async def test_forget_me_deletes_the_offers(client: TestClient, tmp_path: Path, backend: FakeBackend) -> None:
    import sqlite3

    await ask(client, "スプレー缶")
    backend.reply = {"messages": [{"text": "削除しました。"}], "meta": {"intent": "affirm", "forget_me": True}}
    await ask(client, "はい")
    with sqlite3.connect(tmp_path / "app.db") as db:
        assert db.execute("SELECT count(*) FROM offered_payloads").fetchone() == (0,)
    backend.reply = None
    await ask(client, OFFERED)
    assert rasa_got(backend) == TEXT_MARK + OFFERED


# --- the repository: expiry --------------------------------------------------------------------------------------


PG_ADMIN_URL = "postgresql+psycopg://127.0.0.1:5432/test"  # the machine's PostgreSQL (ARCHITECTURE.md)


@contextmanager
def _database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh application database: a SQLite file, or a throwaway PostgreSQL database (several gateways' case)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'offers.db'}"
        return
    import sqlalchemy as sa

    name = f"input_offers_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__})")
    try:
        yield f"postgresql+psycopg://127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def offers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    from storage.db import create_engine_from_url, session_factory
    from storage.migrate import upgrade
    from storage.offered_payloads import OfferedPayloads

    with _database(request.param, tmp_path) as url:
        engine = create_engine_from_url(url)
        upgrade(engine)
        clock = {"now": datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)}
        yield OfferedPayloads(session_factory(engine), salt="test-salt", clock=lambda: clock["now"]), clock
        engine.dispose()


def test_an_offer_expires_after_the_ttl_and_a_new_offer_renews_it(offers: Any) -> None:
    repo, clock = offers
    ttl = timedelta(hours=1)
    repo.offer("s", [OFFERED])
    clock["now"] += timedelta(minutes=59)
    assert repo.was_offered("s", OFFERED, ttl)
    clock["now"] += timedelta(minutes=2)
    assert not repo.was_offered("s", OFFERED, ttl)
    repo.offer("s", [OFFERED])  # offered again in a later answer
    assert repo.was_offered("s", OFFERED, ttl)
    clock["now"] += timedelta(hours=2)
    assert repo.purge(clock["now"] - ttl) == 1


def test_the_same_button_offered_twice_is_one_offer_and_forget_me_removes_it(offers: Any) -> None:
    repo, _ = offers
    assert repo.offer("s", [OFFERED, OFFERED, "  ", NEVER_OFFERED]) == 2
    assert repo.offer("s", [OFFERED]) == 1  # a later answer with the same button: refreshed, no duplicate-key error
    assert repo.forget("s") == 2
    assert not repo.was_offered("s", OFFERED, timedelta(hours=1))


def test_surrounding_whitespace_does_not_matter_as_for_rasa(offers: Any) -> None:
    repo, _ = offers
    repo.offer("s", [OFFERED])
    assert repo.was_offered("s", f"  {OFFERED}\n", timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("/restart", True), ("  /x", True), ("1/2", False), ("", False), ("／restart", False), (TEXT_MARK + "/x", False)],
)
def test_is_payload(text: str, expected: bool) -> None:
    assert is_payload(text) is expected


# --- Rasa itself reads the disarmed text as a sentence ---------------------------------------------------------------


def test_rasa_does_not_run_disarmed_text_as_an_intent() -> None:
    """Rasa 3.6's own payload parser (bot env), on the texts the gateway sends."""
    if not BOT_PYTHON.exists():
        pytest.skip(f"bot environment missing ({BOT_PYTHON}): run `make envs`")
    texts = ["/restart", '/ask_garbage_item{"item": "電池"}', " /greet "]
    script = (
        "import json, sys\n"
        "from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader\n"
        "from rasa.shared.nlu.training_data.message import Message\n"
        "out = []\n"
        "for text in json.loads(sys.stdin.read()):\n"
        "    m = YAMLStoryReader.unpack_regex_message(Message(data={'text': text}))\n"
        "    out.append((m.get('intent') or {}).get('name'))\n"
        "print(json.dumps(out))\n"
    )
    payloads = texts + [as_text(t) for t in texts]
    done = subprocess.run(
        [str(BOT_PYTHON), "-c", script],
        input=json.dumps(payloads),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    intents = json.loads(done.stdout.strip().splitlines()[-1])
    assert intents[: len(texts)] == ["restart", "ask_garbage_item", "greet"]  # the attack works on raw text…
    assert intents[len(texts) :] == [None] * len(texts)  # …and not on what the gateway sends


# --- LINE ------------------------------------------------------------------------------------------------------------


@pytest.fixture
async def line(aiohttp_client: Any, aiohttp_server: Any, tmp_path: Path) -> tuple[TestClient, FakeRasa, FakeLine]:
    fake_line, fake_rasa = FakeLine(), FakeRasa()
    line_server, rasa_server = await aiohttp_server(fake_line.app()), await aiohttp_server(fake_rasa.app())
    url = str(line_server.make_url("")).rstrip("/")
    app = create_app(GatewaySettings(rasa_url=str(rasa_server.make_url("")), backend_timeout=5.0))
    setup_line(
        app,
        LineSettings(
            channel_secret=SECRET, access_token=TOKEN, api_base_url=url, api_data_base_url=url,
            db_path=tmp_path / "line.db", retry_base_delay=0.01, retry_max_delay=0.05, loading_after=30.0,
        ),
    )  # fmt: skip
    return await aiohttp_client(app), fake_rasa, fake_line


@pytest.mark.parametrize("typed", ["/restart", '/ask_garbage_item{"item": "電池"}'])
async def test_line_text_typed_as_a_payload_is_text(line: tuple[TestClient, FakeRasa, FakeLine], typed: str) -> None:
    client, fake_rasa, _ = line
    assert (await post_events(client, text_event(typed))).status == 200
    assert fake_rasa.requests[-1]["message"] == TEXT_MARK + typed


async def test_line_postbacks_are_the_assistants_own_payloads(line: tuple[TestClient, FakeRasa, FakeLine]) -> None:
    client, fake_rasa, _ = line
    await post_events(client, postback_event('/ask_library{"faq_id": "library_locations"}'))
    assert fake_rasa.requests[-1]["message"] == '/ask_library{"faq_id": "library_locations"}'
    assert fake_rasa.requests[-1]["sender"] == f"line:{USER}"
