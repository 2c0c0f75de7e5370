"""The interpreter's API as the tablet page uses it: phrasebook search on both sides, a phrase in both languages,
a free sentence matched on the action server (fake here) with machine translation only where installed and accepted,
and transcripts saved only with the staff token, expiring after their days."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from channels.app import create_app
from channels.interpreter.matching import MachineTranslation
from channels.interpreter.store import TranscriptDatabase
from channels.interpreter.ui import _table as _ui_table
from channels.interpreter.views import STATE, InterpreterState
from settings import GatewaySettings, InterpreterSettings, StaffSettings
from translations import languages
from translations.mt_base import Reason, Translation

TOKEN = "counter-staff-token-123"
PHRASE = {
    "id": "resident_phrases_register_address",
    "topic": "resident_phrases",
    "speaker": "resident",
    "score": 0.93,
    "via": "vi",
    "slots": [],
    "ja": "住所の登録をしたいです。",
    "text": "Tôi muốn đăng ký địa chỉ.",
}
ANSWER = {
    "kind": "faq",
    "domain": "foreign_residents",
    "id": "moving_in",
    "score": 0.81,
    "ja": "転入の届出は14日以内に区役所へ。",
    "text": "Hãy khai báo chuyển đến tại văn phòng quận trong vòng 14 ngày.",
    "curated": True,
    "certainty": "confirmed",
    "sources": ["https://www.city.chiba.jp/"],
}


class FakeMT:
    """A translator that answers only pairs it was given (the guard's verdict is part of the answer)."""

    def __init__(self, pairs: dict[tuple[str, str], Translation]) -> None:
        self.pairs = pairs
        self.calls: list[tuple[str, str, str]] = []

    def translate(self, text: str, source: str, target: str) -> Translation:
        self.calls.append((text, source, target))
        return self.pairs.get((source, target)) or Translation.failed("argos", Reason.NO_PACKAGE, target)

    def has_pair(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs


def fake_interpreter_actions(calls: list[dict[str, Any]], mode: dict[str, str]) -> web.Application:
    class Understand(Action):
        def name(self) -> str:
            return "action_interpreter_understand"

        async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
            message = tracker.latest_message
            calls.append({"text": message.get("text"), "metadata": message.get("metadata")})
            if mode.get("kb") == "down":
                dispatcher.utter_message(json_message={"interpreter": None, "error": "kb_unavailable"})
                return []
            role = message["metadata"]["role"]
            answers = [ANSWER] if role == "resident" else []
            dispatcher.utter_message(
                json_message={"interpreter": {"phrases": [PHRASE], "questions": [], "answers": answers}}
            )
            return []

    executor = ActionExecutor()
    executor.register_action(Understand)

    async def webhook(request: web.Request) -> web.Response:
        if mode.get("http") == "500":
            return web.Response(status=500, text="Traceback: secret")
        result = await executor.run(await request.json())
        return web.json_response(result.model_dump() if result else None)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    return app


@pytest.fixture
def mt() -> FakeMT:
    return FakeMT({})


@pytest.fixture
def mode() -> dict[str, str]:
    return {}


@pytest.fixture
def calls() -> list[dict[str, Any]]:
    return []


@pytest.fixture
async def interp(
    aiohttp_client: Any, aiohttp_server: Any, tmp_path: Path, mt: FakeMT, mode: dict[str, str], calls: list[Any]
) -> TestClient:
    actions = await aiohttp_server(fake_interpreter_actions(calls, mode))
    app = create_app(GatewaySettings(action_server_url=str(actions.make_url("")), rasa_url="http://127.0.0.1:9"))
    app[STATE] = InterpreterState(
        InterpreterSettings(transcript_days=30),
        StaffSettings(token=TOKEN),
        MachineTranslation(mt, mt.has_pair),
        TranscriptDatabase(f"sqlite:///{tmp_path / 'interp.db'}"),
    )
    return await aiohttp_client(app)


async def test_page_is_served_with_the_gateway_headers(interp: TestClient) -> None:
    resp = await interp.get("/interpreter")
    assert resp.status == 200
    assert "窓口通訳タブレット" in await resp.text()
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


async def test_config_lists_languages_topics_and_resident_words(interp: TestClient) -> None:
    body = await (await interp.get("/api/interpreter/config?lang=vi")).json()
    assert body["staff_lang"] == "ja" and body["lang"] == "vi"
    codes = [language["code"] for language in body["languages"]]
    assert "ja" not in codes and {"vi", "ko", "tl", "ja-easy"} <= set(codes)
    assert body["phrases"] >= 300
    assert all(topic["ja"] and topic["text"] for topic in body["topics"])
    assert body["ui"]["send"] == "Gửi"
    assert not any(language["machine_translation"] for language in body["languages"])  # nothing installed
    assert body["saving"] is True and body["transcript_days"] == 30


async def test_staff_search_in_japanese_returns_both_languages(interp: TestClient) -> None:
    body = await (await interp.get("/api/interpreter/phrases", params={"q": "在留カード", "lang": "vi"})).json()
    assert body["hits"], body
    first = body["hits"][0]
    assert "在留カード" in first["ja"]
    assert "(在留カード)" in first["text"] or "在留カード" in first["text"]  # the official term kept in parentheses


async def test_resident_search_in_their_language(interp: TestClient) -> None:
    params = {"q": "đăng ký địa chỉ", "lang": "vi", "side": "resident"}
    body = await (await interp.get("/api/interpreter/phrases", params=params)).json()
    ids = [hit["id"] for hit in body["hits"]]
    assert "resident_phrases_register_address" in ids


async def test_staff_numbers_prefill_a_phrase_blank(interp: TestClient) -> None:
    body = await (await interp.get("/api/interpreter/phrases", params={"q": "5番窓口へ", "lang": "en"})).json()
    with_window = [hit for hit in body["hits"] if "window" in hit["slots"]]
    assert with_window and with_window[0]["values"].get("window") == "5"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "x", "lang": "fr"}, "invalid_field"),
        ({"q": "x", "lang": "vi", "side": "robot"}, "invalid_field"),
        ({"q": "x", "lang": "vi", "topic": "no_such_topic"}, "invalid_field"),
    ],
)
async def test_bad_search_is_a_clear_400(interp: TestClient, params: dict[str, str], code: str) -> None:
    resp = await interp.get("/api/interpreter/phrases", params=params)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == code


async def test_phrase_with_a_blank_is_rendered_in_both_languages(interp: TestClient) -> None:
    hits = (await (await interp.get("/api/interpreter/phrases", params={"q": "窓口", "lang": "en"})).json())["hits"]
    hit = next(h for h in hits if h["slots"] == ["window"])
    resp = await interp.post("/api/interpreter/phrase", json={"id": hit["id"], "lang": "en", "slots": {"window": 5}})
    body = await resp.json()
    assert resp.status == 200, body
    assert "5" in body["ja"] and "5" in body["text"] and body["source"] == "phrasebook"
    bad = await interp.post("/api/interpreter/phrase", json={"id": hit["id"], "lang": "en", "slots": {}})
    assert bad.status == 400 and (await bad.json())["error"]["details"]["slot"] == "window"
    unknown = await interp.post("/api/interpreter/phrase", json={"id": "nope", "lang": "en"})
    assert unknown.status == 404


async def test_resident_sentence_gets_candidates_answers_and_says_free_translation_is_unavailable(
    interp: TestClient, calls: list[dict[str, Any]]
) -> None:
    resp = await interp.post(
        "/api/interpreter/understand", json={"text": "Tôi muốn đăng ký địa chỉ", "lang": "vi", "role": "resident"}
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert body["phrases"][0]["ja"] == "住所の登録をしたいです。"
    assert body["answers"][0]["text"].startswith("Hãy khai báo")
    assert body["mt"] == {"ok": False, "reason": "no_package", "source": "vi", "target": "ja"}
    assert calls[-1] == {"text": "Tôi muốn đăng ký địa chỉ", "metadata": {"lang": "vi", "role": "resident"}}


async def test_machine_translation_is_shown_labelled_only_when_the_guard_accepts(
    interp: TestClient, mt: FakeMT
) -> None:
    mt.pairs[("vi", "ja")] = Translation(True, "住所を登録したい", "argos:vi>en>ja", Reason.OK, "ja")
    mt.pairs[("ja", "vi")] = Translation.failed("argos", Reason.WRONG_SCRIPT, "vi")  # the guard refused it
    resident = await interp.post(
        "/api/interpreter/understand", json={"text": "Tôi muốn đăng ký", "lang": "vi", "role": "resident"}
    )
    assert (await resident.json())["mt"] == {
        "ok": True, "text": "住所を登録したい", "engine": "argos:vi>en>ja", "source": "vi", "target": "ja",
    }  # fmt: skip
    staff = await interp.post("/api/interpreter/understand", json={"text": "少々お待ちください", "lang": "vi",
                                                                   "role": "staff"})  # fmt: skip
    body = await staff.json()
    assert body["mt"]["ok"] is False and body["mt"]["reason"] == "wrong_script" and "text" not in body["mt"]
    assert body["answers"] == []  # agent assist is for what residents say


async def test_matching_down_is_a_polite_503(interp: TestClient, mode: dict[str, str]) -> None:
    mode["kb"] = "down"
    resp = await interp.post("/api/interpreter/understand", json={"text": "hello", "lang": "en", "role": "resident"})
    assert resp.status == 503
    error = (await resp.json())["error"]
    assert error["code"] == "matching_unavailable" and "フレーズ集" in error["message_ja"]
    mode["http"] = "500"
    resp = await interp.post("/api/interpreter/understand", json={"text": "hello", "lang": "en", "role": "resident"})
    assert resp.status == 503 and "secret" not in await resp.text()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "", "lang": "vi", "role": "resident"}, 400),
        ({"text": "hi", "lang": "vi", "role": "boss"}, 400),
        ({"text": "hi", "lang": "xx", "role": "staff"}, 400),
        ({"text": "a" * 2001, "lang": "vi", "role": "staff"}, 413),
    ],
)
async def test_bad_sentences_are_refused(interp: TestClient, body: dict[str, Any], status: int) -> None:
    assert (await interp.post("/api/interpreter/understand", json=body)).status == status


TURNS = [
    {"role": "staff", "ja": "こんにちは。", "text": "Xin chào.", "source": "phrasebook"},
    {"role": "resident", "ja": "住所の登録をしたいです。", "text": "Tôi muốn đăng ký địa chỉ", "source": "phrasebook"},
]


async def test_transcript_needs_the_staff_token(interp: TestClient) -> None:
    no_token = await interp.post("/api/interpreter/transcripts", json={"lang": "vi", "turns": TURNS})
    assert no_token.status == 401
    wrong = await interp.post("/api/interpreter/transcripts", json={"lang": "vi", "turns": TURNS},
                              headers={"Authorization": "Bearer wrong-token-000"})  # fmt: skip
    assert wrong.status == 401
    assert (await interp.get("/api/interpreter/transcripts/1")).status == 401


async def test_saved_transcript_reads_back_and_expires(interp: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    resp = await interp.post("/api/interpreter/transcripts", json={"lang": "vi", "turns": TURNS}, headers=auth)
    saved = await resp.json()
    assert resp.status == 201, saved
    expires = datetime.fromisoformat(saved["expires_at"])
    assert timedelta(days=29, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=30)
    back = await (await interp.get(f"/api/interpreter/transcripts/{saved['reference']}", headers=auth)).json()
    assert back["turns"] == TURNS and back["lang"] == "vi"
    # Thirty days later the transcript is gone.
    repo = await interp.app[STATE].database.repo()
    later = datetime.now(timezone.utc) + timedelta(days=30, minutes=1)
    repo._clock = lambda: later  # the repository's clock is its test seam
    gone = await interp.get(f"/api/interpreter/transcripts/{saved['id']}", headers=auth)
    assert gone.status == 404 and "期限" in (await gone.json())["error"]["message_ja"]


async def test_saving_is_off_without_a_staff_token(interp: TestClient) -> None:
    state = interp.app[STATE]
    state.staff = StaffSettings()
    resp = await interp.post("/api/interpreter/transcripts", json={"lang": "vi", "turns": TURNS},
                             headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert resp.status == 503 and "CHIBA_STAFF_TOKEN" in (await resp.json())["error"]["message"]


@pytest.mark.parametrize(
    "turns",
    [
        [],
        [{"role": "robot", "ja": "", "text": "", "source": "x"}],
        [{"role": "staff", "ja": 1, "text": "", "source": ""}],
    ],
)
async def test_malformed_transcripts_are_refused(interp: TestClient, turns: list[Any]) -> None:
    resp = await interp.post("/api/interpreter/transcripts", json={"lang": "vi", "turns": turns},
                             headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert resp.status == 400


@pytest.mark.parametrize("lang", [code for code in languages.codes() if code not in ("ja", "en")])
def test_every_resident_language_has_its_own_words_for_the_page(lang: str) -> None:
    english, own = _ui_table()["en"], _ui_table()[lang]
    assert set(own) == set(english), f"{lang}: keys differ from English"
    assert own["send"] != english["send"] and own["no_free_translation"] != english["no_free_translation"]


async def test_default_machine_translation_says_no_package_when_none_is_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from channels.interpreter.matching import default_machine_translation

    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "packages"))
    monkeypatch.setenv("MT_ARGOS_HOME", str(tmp_path / "argos"))
    mt = default_machine_translation()
    assert mt.available("ja", "vi") is False
    result = await mt.translate("住所の登録をしたいです。", "ja", "vi")
    assert result.ok is False and result.reason is Reason.NO_PACKAGE and result.text == ""


async def test_the_interpreter_is_in_the_openapi_document(interp: TestClient) -> None:
    import schemathesis

    spec = await (await interp.get("/api/openapi.json")).json()
    ours = {path for path in spec["paths"] if path.startswith(("/interpreter", "/api/interpreter/"))}
    routed = {
        info.get("path") or info.get("formatter")
        for route in interp.app.router.routes()
        if route.resource is not None
        for info in [route.resource.get_info()]
        if (info.get("path") or info.get("formatter") or "").startswith(("/interpreter", "/api/interpreter/"))
    }
    assert ours == routed
    operations = [op.ok() for op in schemathesis.openapi.from_dict(spec).get_all_operations()]
    assert {op.path for op in operations} >= ours


async def test_easy_japanese_gets_curated_text_only_never_machine_output(interp: TestClient, mt: FakeMT) -> None:
    body = {"text": "少々お待ちください", "lang": "ja-easy", "role": "staff"}
    result = await (await interp.post("/api/interpreter/understand", json=body)).json()
    assert result["mt"] == {"ok": False, "reason": "unsupported_language", "source": "ja", "target": "ja-easy"}
    assert result["phrases"] and mt.calls == []


async def test_opening_a_language_warms_its_phrases_on_the_action_server(
    interp: TestClient, calls: list[dict[str, Any]]
) -> None:
    assert (await interp.get("/api/interpreter/config?lang=ne")).status == 200
    for _ in range(50):  # the warm-up runs in the background: the page does not wait for it
        if calls:
            break
        await asyncio.sleep(0.02)
    assert calls == [{"text": "warm-up", "metadata": {"lang": "ne", "role": "warm"}}]
