"""The gateway with the interpreter and the real speech endpoints (Whisper on the server), wired to a fake action
server whose action_interpreter_understand answers like the real one (its matching is tested on the real knowledge
base in tests/actions/test_interpreter_actions.py). Served from a thread with its own event loop, as webchat_stack."""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from channels.app import create_app
from channels.interpreter.matching import MachineTranslation
from channels.interpreter.store import TranscriptDatabase
from channels.interpreter.views import STATE, InterpreterState
from settings import GatewaySettings, InterpreterSettings, StaffSettings
from translations.mt_base import Reason, Translation

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "channels"))
from gateway_fakes import FakeBackend, fake_rasa_app

STAFF_TOKEN = "counter-staff-token-browser"
REGISTER_ADDRESS = {
    "id": "resident_phrases_register_address",
    "topic": "resident_phrases",
    "speaker": "resident",
    "score": 0.97,
    "via": "vi",
    "confidence": "high",
    "slots": [],
    "ja": "住所の登録をしたいです。",
    "text": "Tôi muốn đăng ký địa chỉ.",
}
PLEASE_WAIT = {
    "id": "greeting_waiting_please_wait",
    "topic": "greeting_waiting",
    "speaker": "staff",
    "score": 0.95,
    "via": "ja",
    "confidence": "high",
    "slots": [],
    "ja": "少々お待ちください。",
    "text": "Xin vui lòng đợi một chút.",
}
MOVING_IN_QUESTION = {
    "domain": "foreign_residents",
    "id": "moving_in_notification",
    "score": 0.62,
    "ja": "引っ越してきたら何をすればいいですか？",
    "text": "Tôi mới chuyển đến thì cần làm gì?",
}
MOVING_IN_ANSWER = {
    "kind": "faq",
    "domain": "foreign_residents",
    "id": "moving_in_notification",
    "score": 0.62,
    "ja": "転入した日から14日以内に、区役所の市民総合窓口課で転入届を出してください。在留カードを持ってきてください。",
    "text": "Trong vòng 14 ngày kể từ ngày chuyển đến, hãy nộp thông báo chuyển đến (転入届) tại quầy của văn phòng "
    "quận. Hãy mang theo thẻ cư trú (在留カード).",
    "curated": True,
    "certainty": "confirmed",
    "sources": ["https://www.city.chiba.jp/"],
}


class NoMachineTranslation:
    """No Argos package is installed here, as on a fresh machine: every pair says so."""

    def translate(self, text: str, source: str, target: str) -> Translation:
        return Translation.failed("argos", Reason.NO_PACKAGE, target)


@dataclass
class InterpreterCalls:
    understood: list[dict[str, Any]] = field(default_factory=list)


def fake_interpreter_action_app(calls: InterpreterCalls) -> web.Application:
    class Understand(Action):
        def name(self) -> str:
            return "action_interpreter_understand"

        async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
            message = tracker.latest_message
            metadata = message.get("metadata") or {}
            calls.understood.append({"text": message.get("text"), **metadata})
            resident = metadata.get("role") == "resident"
            dispatcher.utter_message(
                json_message={
                    "interpreter": {
                        "phrases": [REGISTER_ADDRESS] if resident else [PLEASE_WAIT],
                        "questions": [MOVING_IN_QUESTION] if resident else [],
                        "answers": [MOVING_IN_ANSWER] if resident else [],
                    }
                }
            )
            return []

    executor = ActionExecutor()
    executor.register_action(Understand)

    async def webhook(request: web.Request) -> web.Response:
        result = await executor.run(await request.json())
        return web.json_response(result.model_dump() if result else None)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/health", health)
    return app


def _with_speech(app: web.Application) -> None:
    """The voice part's real endpoints: added here until channels/app.py registers them itself."""
    if any(getattr(r, "resource", None) and r.resource.canonical == "/api/speech/voices" for r in app.router.routes()):
        return
    from channels.speech import setup_speech  # ImportError: the voice part has not landed (a failure, not a skip)

    setup_speech(app)


class InterpreterStackThread(threading.Thread):
    def __init__(self, database_path: Path) -> None:
        super().__init__(daemon=True)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.calls = InterpreterCalls()
        self.database_path = database_path
        self.url = ""
        self.error: BaseException | None = None
        self._runners: list[web.AppRunner] = []

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _open(self) -> None:
        rasa = await self._serve(fake_rasa_app(FakeBackend()))
        actions = await self._serve(fake_interpreter_action_app(self.calls))
        app = create_app(GatewaySettings(rasa_url=rasa, action_server_url=actions))
        mt = NoMachineTranslation()
        app[STATE] = InterpreterState(
            InterpreterSettings(),
            StaffSettings(token=STAFF_TOKEN),
            MachineTranslation(mt, lambda source, target: False),
            TranscriptDatabase(f"sqlite:///{self.database_path}"),
        )
        _with_speech(app)
        self.url = await self._serve(app)

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._open())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
        finally:
            self.ready.set()
        self.loop.run_forever()
        for runner in reversed(self._runners):
            self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=30)
